"""Numbers in sentences: the takeaways a notebook prints after each result, read from its computed tables.

A takeaway is Markdown built with f-strings from the table just computed, so the text can never disagree
with the numbers (nothing is typed in by hand). :func:`takeaway` shows it as a rendered Markdown output.
"""

from __future__ import annotations

import math

__all__ = ["takeaway", "points", "change", "share"]


def takeaway(text: str) -> None:
    """Show ``text`` (Markdown) as the cell's output, prefixed with a bold "Takeaway."; print it outside Jupyter."""
    from . import in_notebook

    body = f"**Takeaway.** {text.strip()}"
    if in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(body))
    else:
        print(body)


def points(value: float, *, digits: int = 1, signed: bool = True) -> str:
    """``+1.2 points`` / ``-0.4 points`` (``signed=False``: ``1.2 points``); ``n/a`` for NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    number = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return f"{number} points"


def change(before: float, after: float, *, digits: int = 1, unit: str = "") -> str:
    """How a score moved: ``"rises from 59.5 to 65.4 (+5.9)"``, ``"falls from ..."``, ``"stays at ..."``."""
    if not (math.isfinite(before) and math.isfinite(after)):
        return "cannot be compared (n/a)"
    delta = after - before
    a, b = f"{before:.{digits}f}{unit}", f"{after:.{digits}f}{unit}"
    if round(delta, digits) == 0:
        return f"stays at {b}"
    verb = "rises" if delta > 0 else "falls"
    return f"{verb} from {a} to {b} ({delta:+.{digits}f})"


def share(part: float, whole: float, *, digits: int = 0) -> str:
    """``part`` as a percentage of ``whole``: ``"42 %"``; ``n/a`` when ``whole`` is 0."""
    if not whole:
        return "n/a"
    return f"{100 * part / whole:.{digits}f} %"
