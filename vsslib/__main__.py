"""``python -m vsslib``: see :mod:`vsslib.cli`."""

import sys

from .cli import main

sys.exit(main())
