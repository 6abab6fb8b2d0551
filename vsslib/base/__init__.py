"""The base: what every layer above stands on, and which knows nothing of SAM2, masklets or the study.

- :mod:`.errors`: the exceptions (``DataError``, ``ParameterError``, ``CheckpointError``);
- :mod:`.io`: atomic file writing and image reading;
- :mod:`.cache`: per-video products keyed by a stable hash of their settings (``ProductCache``);
- :mod:`.executor`: where per-video work runs (serial, process pool, Dask);
- :mod:`.devices`: device names, resolution and peak-memory measurement;
- :mod:`.pinned`: a fresh interpreter pinned to one set of CPU kernels and a thread count.
"""
