"""Numbers in sentences (`vsslib.viz.prose`): a signed zero is never printed."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vsslib.viz.prose import change, interval, number, points


@pytest.mark.parametrize(("value", "kwargs", "text"), [
    (1.24, {}, "+1.2"),
    (-1.26, {}, "-1.3"),
    (1.24, {"signed": False}, "1.2"),
    (-0.04, {}, "-0.04"),  # would read "-0.0": one more decimal shows the sign is real
    (0.049, {}, "+0.05"),
    (-0.004, {}, "-0.004"),  # two more decimals at most
    (-0.00503, {}, "-0.005"),  # to its first significant digit: not "-0.01", twice its size
    (-0.0004, {}, "0.0"),  # below that, zero without a sign
    (0.0, {}, "0.0"),
    (-0.0, {}, "0.0"),
    (0.4, {"digits": 0}, "+0.4"),
    (-7.5, {"digits": 0}, "-8"),
    (math.nan, {}, "n/a"),
])
def test_number_never_prints_a_signed_zero(value: float, kwargs: dict, text: str) -> None:
    assert number(value, **kwargs) == text


def test_interval_points_and_change_use_the_same_numbers() -> None:
    row = pd.Series({"gain": -1.14, "gain_ci_low": -2.43, "gain_ci_high": -0.03})
    assert interval(row, "gain") == "-1.1 [-2.4, -0.03]"
    row = pd.Series({"gain": 0.31, "gain_ci_low": -0.04, "gain_ci_high": 0.62})
    assert interval(row, "gain") == "+0.3 [-0.04, +0.6]"
    assert interval(pd.Series({"gain": 0.5, "gain_ci_low": math.nan, "gain_ci_high": 1.0}), "gain") == "+0.5"
    assert points(-0.02) == "-0.02 points"
    assert change(50.0, 52.5) == "rises from 50.0 to 52.5 (+2.5)"
    assert change(50.0, 50.02) == "stays at 50.0"
