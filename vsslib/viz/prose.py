"""Numbers in sentences: the takeaways a notebook prints after each result, read from its computed tables.

A takeaway is Markdown built with f-strings from the table just computed, so the text can never disagree
with the numbers (nothing is typed in by hand). :func:`takeaway` shows it as a rendered Markdown output.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["takeaway", "number", "points", "change", "share", "interval"]


def takeaway(text: str) -> None:
    """Show ``text`` (Markdown) as the cell's output, prefixed with a bold "Takeaway."; print it outside Jupyter."""
    from ._draw import in_notebook

    text = text.strip()
    body = f"**Takeaway.**\n\n{text}" if text.startswith(("- ", "* ")) else f"**Takeaway.** {text}"  # a list
    if in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(body))
    else:
        print(body)


def number(value: float, *, digits: int = 1, signed: bool = True) -> str:
    """``value`` to ``digits`` decimals (``+1.2``; ``signed=False``: ``1.2``), never a signed zero: a value that
    would round to ``-0.0`` or ``+0.0`` is written to its first significant digit if that lies within two more
    decimals (``-0.04``, ``-0.005`` for -0.00503, ``+0.003``), else as zero (``0.0``); ``n/a`` for NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if round(abs(value), digits) > 0:
        return f"{value:{sign}.{digits}f}"
    if value == 0:
        return f"{0.0:.{digits}f}"
    places = -math.floor(math.log10(abs(value)))  # the decimal of the first significant digit
    return f"{value:{sign}.{places}f}" if places <= digits + 2 else f"{0.0:.{digits}f}"


def points(value: float, *, digits: int = 1, signed: bool = True) -> str:
    """``+1.2 points`` / ``-0.4 points`` (``signed=False``: ``1.2 points``); ``n/a`` for NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{number(value, digits=digits, signed=signed)} points"


def change(before: float, after: float, *, digits: int = 1, unit: str = "") -> str:
    """How a score moved: ``"rises from 59.5 to 65.4 (+5.9)"``, ``"falls from ..."``, ``"stays at ..."``."""
    if not (math.isfinite(before) and math.isfinite(after)):
        return "cannot be compared (n/a)"
    delta = after - before
    a, b = f"{before:.{digits}f}{unit}", f"{after:.{digits}f}{unit}"
    if round(delta, digits) == 0:
        return f"stays at {b}"
    verb = "rises" if delta > 0 else "falls"
    return f"{verb} from {a} to {b} ({number(delta, digits=digits)})"


def share(part: float, whole: float, *, digits: int = 0) -> str:
    """``part`` as a percentage of ``whole``: ``"42 %"``; ``n/a`` when ``whole`` is 0."""
    if not whole:
        return "n/a"
    return f"{100 * part / whole:.{digits}f} %"


def interval(row: Any, column: str, *, digits: int = 1, signed: bool = True) -> str:
    """A table cell with its 95 % interval: ``+1.2 [+0.3, +2.1]`` from ``column``, ``column_ci_low`` and
    ``column_ci_high`` of ``row`` (a mapping or a pandas row); ``n/a`` for NaN."""
    value, low, high = row[column], row[f"{column}_ci_low"], row[f"{column}_ci_high"]
    if not math.isfinite(value):
        return "n/a"
    bounds = (f" [{number(low, digits=digits, signed=signed)}, {number(high, digits=digits, signed=signed)}]"
              if math.isfinite(low) and math.isfinite(high) else "")
    return number(value, digits=digits, signed=signed) + bounds
