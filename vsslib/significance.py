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


def bootstrap_p_value(draws: np.ndarray, estimate: float) -> float:
    """Two-sided p-value of "the gain is 0" for ``estimate``, from the bootstrap draws of that gain.

    ``2 * (1 - Phi(|estimate| / se))`` with ``se`` the standard deviation of the draws (``(B,) float``, NaNs left
    out): the normal approximation with the bootstrap's standard error. The draws' own tail fraction cannot
    go below ``2 / (B + 1)`` (0.002 with 1000 draws), too coarse for a family of 40 verdicts; this p-value is
    smooth. NaN when fewer than two draws are defined; 1 when the draws do not vary and the estimate is 0.
    """
    from scipy.stats import norm

    draws = np.asarray(draws, np.float64).reshape(-1)
    draws = draws[~np.isnan(draws)]
    if draws.size < 2 or not np.isfinite(estimate):
        return float("nan")
    se = float(draws.std(ddof=1))
    if se == 0:
        return 1.0 if estimate == 0 else 0.0
    return float(2 * norm.sf(abs(estimate) / se))


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
