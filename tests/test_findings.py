"""Findings are written from the tables: each gain with its interval, verdicts only where intervals allow."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vsslib.errors import DataError
from vsslib.findings import PAPER_CLAIM, headline, update_readme

METRICS = ("mIoU", "mBIoU", "mVC8", "mVC16")


def _stats(value: float, gain: float | None = None, low: float = -1.0, high: float = 1.0) -> dict:
    row = {}
    for m in METRICS:
        row.update({m: value, f"{m}_sd": 0.5, f"{m}_ci_low": value - 2, f"{m}_ci_high": value + 2})
        if gain is not None:
            row.update({f"gain_{m}": gain, f"gain_{m}_sd": 0.3, f"gain_{m}_ci_low": gain + low,
                        f"gain_{m}_ci_high": gain + high})
    return {**row, "n_seeds": 3, "n_videos": 20}


def _write(folder: Path) -> Path:
    tables = folder / "tables"
    tables.mkdir(parents=True)
    pd.DataFrame([
        {"baseline": "net", "masklets": "-", "vote": "-", "method": "baseline", **_stats(50.0)},
        {"baseline": "net", "masklets": "oracle", "vote": "masklet", "method": "refined", **_stats(60.0, 10.0)},
        {"baseline": "net", "masklets": "oracle", "vote": "frame", "method": "refined", **_stats(57.0, 7.0)},
        {"baseline": "net", "masklets": "classical", "vote": "masklet", "method": "refined",
         **_stats(49.5, -0.5)},
    ]).to_csv(tables / "refiner.csv", index=False)
    pd.DataFrame([{"baseline": "net", "strength": s, "method": "refined", **_stats(60 - 20 * s, g)}
                  for s, g in ((0.0, 10.0), (0.5, 0.2), (1.0, -8.0))]).to_csv(
        tables / "refiner_oracle_sweep.csv", index=False)
    pd.DataFrame([{"masklets": "oracle", "method": "approach 1", "features": "-", "variant": "refined",
                   **_stats(90.0, 40.0)}]  # not an approach-2 row: never "the highest"
                 + [{"masklets": "oracle", "method": "approach 2", "features": "appearance", "variant": v,
                     **_stats(x, x - 50)} for v, x in (("none", 70.0), ("fallback", 70.0), ("fused", 80.0))]
                 ).to_csv(tables / "mask_classifier.csv", index=False)
    return folder


def test_gains_carry_their_intervals_and_verdicts(tmp_path: Path) -> None:
    text = headline(_write(tmp_path))
    assert "| net | oracle | 50.0 [48.0, 52.0] | 60.0 [58.0, 62.0] | +10.0 [+9.0, +11.0] (a gain)" in text
    assert "| net | classical |" in text and "-0.5 [-1.5, +0.5] (not distinguishable from zero)" in text
    assert "strength 1: -8.0 [-9.0, -7.0] (a loss)" in text
    assert ("above zero at s = 0, below zero at s = 1, and holds zero at s = 0.5 (not distinguishable from no "
            "change)") in text
    assert "+7.0 [+6.0, +8.0] (a gain) with one vote per masklet and frame" in text
    assert "the highest of the 3 approach-2 rows is `fused` on appearance features, mIoU 80.0 [78.0, 82.0]" in text
    assert "`none` and `fallback` are equal in every row" in text and "upper bound" in text
    # 2 one-vote-per-masklet rows x 3 gains + 1 vote line x 2 + 3 strengths + 1 classifier = 12 verdicts
    assert "The block states 12 verdicts" in text and "about 0.6 of them" in text
    assert "built in" not in text  # mVC16 60.0: not constant by construction
    assert PAPER_CLAIM in text


def test_readme_block_is_replaced_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- HEADLINE:START -->\nold\n<!-- HEADLINE:END -->\nb\n")
    assert update_readme(readme, "new")
    assert readme.read_text() == "a\n<!-- HEADLINE:START -->\nnew\n<!-- HEADLINE:END -->\nb\n"
    assert not update_readme(readme, "new")
    readme.write_text("no markers")
    with pytest.raises(DataError, match="markers"):
        update_readme(readme, "x")
    with pytest.raises(DataError, match="refiner.csv: table not found"):
        headline(tmp_path / "nowhere")
