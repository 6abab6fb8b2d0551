"""``python -m vsslib``: see :mod:`vsslib.study.cli`."""

import sys

from .study.cli import main

if __name__ == "__main__":  # spawned worker processes import this module too; they must not run main
    sys.exit(main())
