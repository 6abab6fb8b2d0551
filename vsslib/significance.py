"""Significance of the study's gains: bootstrap p-values and Holm's correction over a family of verdicts.

A gain's interval (:func:`vsslib.statistics.summarize_runs`) gives one verdict at 95 %. A block that states many
verdicts (the README's findings) needs them read as one family: :func:`holm_adjust` keeps the chance of any
false verdict in the family at or below the level, from the p-values :func:`bootstrap_p_value` reads off the
same bootstrap draws as the intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_p_value", "holm_adjust"]


def bootstrap_p_value(draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "the gain is 0" from the draws of a gain, ``(B,) float`` (NaNs left out).

    ``min(1, 2 * min(k_low, k_high) / B')`` with ``k_low = 1 + #(draws <= 0)``, ``k_high = 1 + #(draws >= 0)``
    and ``B' = B + 1`` (the +1 keeps it above 0 with finitely many draws): the smallest two-sided level at
    which the percentile interval of the same draws would exclude 0. NaN when no draw is defined.
    """
    draws = np.asarray(draws, np.float64).reshape(-1)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return float("nan")
    low, high = 1 + int((draws <= 0).sum()), 1 + int((draws >= 0).sum())
    return float(min(1.0, 2 * min(low, high) / (draws.size + 1)))


def holm_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values, ``(K,) float64`` in the input's order.

    Sorted ascending p_(1) <= ... <= p_(K): adjusted p_(i) = max over j <= i of min(1, (K - j + 1) p_(j)).
    Rejecting where the adjusted value is below alpha keeps the chance of any false verdict in the family at
    or below alpha. NaN entries stay NaN and do not count in K.
    """
    values = np.asarray(p_values, np.float64).reshape(-1)
    adjusted = np.full(values.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(values))
    if defined.size == 0:
        return adjusted
    order = defined[np.argsort(values[defined], kind="stable")]
    k = order.size
    scaled = np.minimum(1.0, (k - np.arange(k)) * values[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
