"""``python -m vsslib.bench``: the metrics benchmark, then the refiner benchmark."""

from . import metrics, refine

print("== metrics ==")
metrics.main([])
print()
print("== refiner ==")
refine.main([])
