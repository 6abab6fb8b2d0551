"""Benchmarks (``make bench``): vectorised metrics and refiner against plain loops. Not tests: they time."""
