"""``make confirm``: the headline recomputed once on an untouched benchmark, each verdict compared with the
development table's; run here on tiny generated benchmarks through the same entry point the Makefile calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import blocky_benchmark

from vsslib.base.errors import DataError
from vsslib.study import Study
from vsslib.study.confirm import CONFIRM_MARKERS, confirm, confirmation_block, confirmation_findings, main
from vsslib.study.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def _row(baseline: str, masklets: str, gains: dict[str, tuple[float, float, float]]) -> dict:
    row = {"baseline": baseline, "masklets": masklets, "vote": "masklet", "method": "refined", "n_seeds": 3,
           "n_videos": 20}
    for metric, (mean, low, high) in gains.items():
        row.update({f"gain_{metric}": mean, f"gain_{metric}_ci_low": low, f"gain_{metric}_ci_high": high})
    return row


def test_each_verdict_is_compared_with_its_counterpart_by_hand() -> None:
    dev = pd.DataFrame([{"baseline": "net", "masklets": "-", "vote": "-", "method": "baseline"},
                        _row("net", "classical", {"mIoU": (-5.8, -6.9, -4.8), "mBIoU": (-3.5, -4.9, -2.3)}),
                        _row("net", "oracle", {"mIoU": (12.1, 10.2, 13.8), "mBIoU": (25.3, 22.7, 27.7)}),
                        {**_row("net", "oracle", {"mIoU": (1.0, 0.5, 1.5), "mBIoU": (1.0, 0.5, 1.5)}),
                         "vote": "frame"}])  # a vote the confirmation did not compute: not compared
    new = pd.DataFrame([_row("net", "classical", {"mIoU": (-4.0, -5.5, -2.6), "mBIoU": (-0.5, -1.9, 0.8)}),
                        _row("net", "oracle", {"mIoU": (11.0, 9.0, 13.0), "mBIoU": (24.0, 21.0, 27.0)})])
    findings = {f.key: f for f in confirmation_findings(dev, new)}
    assert [f.verdict for f in findings.values()] == ["held", "loss -> unclear", "held", "held"]
    assert findings["confirm/net/classical/masklet/mBIoU"].text == (
        "`net` + classical, mBIoU gain: -3.5 [-4.9, -2.3] (loss) on the development videos, -0.5 [-1.9, +0.8] "
        "(unclear) on the untouched ones")
    block = confirmation_block(dev, new, seed=7)
    assert "seed 7" in block and "**3 of 4 verdicts held.**" in block and "(**loss -> unclear**)." in block
    with pytest.raises(DataError, match=r"lacks the rows \[\('net', 'oracle', 'masklet'\)\]"):
        confirmation_findings(dev, new.iloc[:1])


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("confirm")
    root, preds = blocky_benchmark(base, n_val=2, seed=21)
    settings = {"data": {"dataset": "vspw", "root": str(root)},
                "baselines": {"networks": [], "predictions": [str(preds)], "train_seeds": [0]},
                "masklets": {"sources": ["classical", "oracle"], "window": 5},
                "run": {"cache_dir": str(base / "cache"), "results_dir": str(base / "confirm")}}
    params = base / "confirm.yaml"
    params.write_text(yaml.safe_dump(settings))
    development = base / "dev"
    dev_settings = {**settings, "run": {**settings["run"], "results_dir": str(development)}}
    (base / "dev.yaml").write_text(yaml.safe_dump(dev_settings))
    dev_table, _ = Study(load_settings(base / "dev.yaml"), progress=False).refiner_table()  # both votes, as 03
    (development / "tables").mkdir(parents=True)
    dev_table.to_csv(development / "tables" / "refiner.csv", index=False)
    readme = base / "README.md"
    readme.write_text(f"intro\n{CONFIRM_MARKERS[0]}\nold\n{CONFIRM_MARKERS[1]}\nrest\n")
    code = main(["--params", str(params), "--development", str(development), "--readme", str(readme),
                 "--no-progress"])
    return base, code, dev_table, readme


def test_the_command_writes_the_table_and_the_readme_block(confirmed) -> None:
    base, code, dev_table, readme = confirmed
    assert code == 0
    table = pd.read_csv(base / "confirm" / "tables" / "refiner.csv")
    refined = dev_table[(dev_table["method"] == "refined") & (dev_table["vote"] == "masklet")]  # the settings' vote
    # the same settings and data: every cell equals the development table's (the confirmation is the same code)
    for column in ("mIoU", "gain_mIoU", "gain_mBIoU_ci_low"):
        np.testing.assert_allclose(table.loc[table["method"] == "refined", column], refined[column], atol=1e-4)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old" not in text
    assert "**4 of 4 verdicts held.**" in text and "1 training seeds x 2 val videos" in text


def test_the_development_results_folder_is_refused(tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({"run": {"results_dir": "results"}}))
    with pytest.raises(DataError, match="results/, the development study's"):
        confirm(params, progress=False)
    assert main(["--params", str(params), "--development", str(tmp_path / "none"), "--readme", ""]) == 2


def test_make_confirm_runs_this_entry_point_on_the_reserved_benchmark() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nconfirm:", 1)[1].split("\n\n", 1)[0]
    assert "-m vsslib.study.confirm --params params/confirm.yaml" in recipe
    reserved = load_settings(ROOT / "params" / "confirm.yaml")
    default = load_settings(ROOT / "params" / "default.yaml")
    assert reserved.data.seed != default.data.seed and reserved.data_root != default.data_root
    assert reserved.results == default.results / "confirm"
    assert reserved.replace({"data.seed": default.data.seed, "data.root": default.data.root,
                             "run.results_dir": default.run.results_dir}) == default  # nothing else differs
