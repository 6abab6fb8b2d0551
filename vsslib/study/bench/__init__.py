"""Benchmarks (``make bench``): vectorised routes timed against the plain loops they replace.

- :mod:`.metrics`: mIoU, Boundary IoU and VC_n against per-class and per-window loops;
- :mod:`.refine`: the majority-vote refiner against a per-masklet loop.

Benchmarks time and print; they are not tests, although each first checks that both routes agree.
"""
