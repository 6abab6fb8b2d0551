"""``python -m vsslib.study.bench`` (``make bench``): the metrics benchmark, then the refiner benchmark.

Takes no options; each benchmark has its own (``python -m vsslib.study.bench.metrics --help``).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run every benchmark with its defaults."""
    if sys.argv[1:]:
        sys.exit("python -m vsslib.study.bench takes no options; for options run one benchmark, e.g. "
                 "python -m vsslib.study.bench.metrics --help")
    from . import metrics, refine

    print("== metrics ==")
    metrics.main([])
    print("\n== refiner ==")
    refine.main()


if __name__ == "__main__":
    main()
