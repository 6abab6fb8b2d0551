"""``python -m vsslib.bench`` (``make bench``): the metrics benchmark, then the refiner benchmark.

Takes no options; each benchmark has its own (``python -m vsslib.bench.metrics --help``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def main() -> None:
    """Run every benchmark with its defaults."""
    if sys.argv[1:]:
        sys.exit("python -m vsslib.bench takes no options; for options run one benchmark, e.g. "
                 "python -m vsslib.bench.metrics --help")
    from . import metrics

    print("== metrics ==")
    metrics.main([])
    # The refiner benchmark is written separately; run it once it exists (its own errors are not swallowed).
    if importlib.util.find_spec(f"{__package__}.refine") is None:
        print("\n(vsslib/bench/refine.py does not exist yet: refiner benchmark skipped)")
        return
    print("\n== refiner ==")
    importlib.import_module(f"{__package__}.refine").main()


if __name__ == "__main__":
    main()
