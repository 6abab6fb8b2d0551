"""``make confirm``: the headline recomputed once on a held-out benchmark, each verdict compared with the
development table's; run here on tiny generated benchmarks through the same entry point the Makefile calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import blocky_benchmark, readme_words

from vsslib.base.errors import DataError, ParameterError
from vsslib.study import Study
from vsslib.study.confirm import (CONFIRM_MARKERS, classifier_confirmation_findings, confirm, confirmation_block,
                                  confirmation_findings, main, picked_rows)
from vsslib.study.specs import ClassifierRow
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
        "`net` + classical, one vote per masklet, mBIoU gain: -3.5 [-4.9, -2.3] (loss) on the development videos, -0.5 [-1.9, +0.8] "
        "(unclear) on the held-out ones")
    block = confirmation_block(dev, new, seed=7)
    assert "seed 7" in block and "**3 of 4 verdicts held.**" in block and "(**loss -> unclear**)." in block
    with pytest.raises(DataError, match=r"lacks the rows \[\('net', 'oracle', 'masklet'\)\]"):
        confirmation_findings(dev, new.iloc[:1])


def _approach2(masklets: str, features: str, split: str, variant: str, miou: float,
               gains: dict[str, tuple[float, float, float]]) -> dict:
    row = {"masklets": masklets, "method": "approach 2", "features": features, "variant": variant,
           "classifier_videos": split, "mIoU": miou}
    for metric, (mean, low, high) in gains.items():
        row.update({f"gain_{metric}": mean, f"gain_{metric}_ci_low": low, f"gain_{metric}_ci_high": high})
    return row


def test_the_picked_approach2_rows_are_the_highest_of_each_kind_and_compared_by_hand() -> None:
    flat = {"mIoU": (0.5, -1.0, 2.0), "mBIoU": (0.5, -1.0, 2.0)}
    dev = pd.DataFrame([
        {"masklets": "classical", "method": "baseline", "features": "-", "variant": "baseline",
         "classifier_videos": "-", "mIoU": 99.0},  # not an approach-2 row: never picked, whatever its value
        _approach2("classical", "appearance", "train", "none", 40.0, flat),
        _approach2("classical", "appearance", "train", "fused", 45.7, {"mIoU": (-4.2, -6.5, -1.9),
                                                                        "mBIoU": (-3.0, -5.0, -1.0)}),
        _approach2("classical", "segmenter:net", "test", "fused", 44.0, flat),
        _approach2("oracle (exact)", "segmenter:net", "test", "none", 70.0, flat),
        _approach2("oracle (exact)", "segmenter:net", "train", "none", 80.8, {"mIoU": (30.9, 26.5, 36.9),
                                                                               "mBIoU": (20.0, 15.0, 25.0)})])
    assert picked_rows(dev) == [ClassifierRow("classical", "appearance", "train", "fused"),
                                ClassifierRow("oracle (exact)", "segmenter:net", "train", "none")]
    new = pd.DataFrame([
        {"masklets": "classical", "method": "baseline", "features": "-", "variant": "baseline",
         "classifier_videos": "-"},
        _approach2("classical", "appearance", "train", "fused", 46.0, {"mIoU": (-1.0, -2.5, 0.4),
                                                                        "mBIoU": (-2.0, -3.0, -1.0)}),
        _approach2("oracle (exact)", "segmenter:net", "train", "none", 81.0, {"mIoU": (29.0, 25.0, 33.0),
                                                                               "mBIoU": (19.0, 14.0, 24.0)})])
    findings = {f.key: f for f in classifier_confirmation_findings(dev, new)}
    assert {k: f.verdict for k, f in findings.items()} == {
        "confirm/approach2/classical/mIoU": "loss -> unclear", "confirm/approach2/classical/mBIoU": "held",
        "confirm/approach2/oracle (exact)/mIoU": "held", "confirm/approach2/oracle (exact)/mBIoU": "held"}
    assert findings["confirm/approach2/classical/mIoU"].text == (
        "approach 2 on classical masklets (`fused` on appearance features, classifier trained on the train videos), "
        "mIoU gain: -4.2 [-6.5, -1.9] (loss) on the development videos, where it was picked, -1.0 [-2.5, +0.4] "
        "(unclear) on the held-out ones")
    with pytest.raises(DataError, match=r"lacks the picked rows \[\('oracle \(exact\)', 'segmenter:net', 'train', "
                                        r"'none'\)\]"):
        classifier_confirmation_findings(dev, new.iloc[:2])


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("confirm")
    root, preds = blocky_benchmark(base, n_val=2, seed=21)
    settings = {"data": {"dataset": "vspw", "root": str(root)},
                "baselines": {"networks": [], "predictions": [str(preds)], "train_seeds": [0]},
                "masklets": {"sources": ["classical", "oracle"], "window": 5},
                "classifier": {"features": ["appearance"], "epochs": 3},
                "run": {"cache_dir": str(base / "cache"), "results_dir": str(base / "confirm")}}
    params = base / "confirm.yaml"
    params.write_text(yaml.safe_dump(settings))
    development = base / "dev"
    dev_settings = {**settings, "run": {**settings["run"], "results_dir": str(development)}}
    (base / "dev.yaml").write_text(yaml.safe_dump(dev_settings))
    dev_study = Study(load_settings(base / "dev.yaml"), progress=False)
    dev_table, _ = dev_study.refiner_table()  # both votes, as 03
    (development / "tables").mkdir(parents=True)
    dev_table.to_csv(development / "tables" / "refiner.csv", index=False)
    classifier_table, _ = dev_study.classifier_table()  # as 04
    classifier_table.to_csv(development / "tables" / "mask_classifier.csv", index=False)
    readme = base / "README.md"
    readme.write_text(f"intro\n{CONFIRM_MARKERS[0]}\nold\n{CONFIRM_MARKERS[1]}\nrest\n")
    code = main(["--params", str(params), "--development", str(development), "--readme", str(readme),
                 "--headline-only", "--no-progress"])
    return base, code, dev_table, readme, classifier_table


def test_the_command_writes_the_table_and_the_readme_block(confirmed) -> None:
    base, code, dev_table, readme, _ = confirmed
    assert code == 0
    table = pd.read_csv(base / "confirm" / "tables" / "refiner.csv")
    refined = dev_table[(dev_table["method"] == "refined") & (dev_table["vote"] == "masklet")]  # the settings' vote
    # the same settings and data: every cell equals the development table's (the confirmation is the same code)
    for column in ("mIoU", "gain_mIoU", "gain_mBIoU_ci_low"):
        np.testing.assert_allclose(table.loc[table["method"] == "refined", column], refined[column], atol=1e-4)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old" not in text
    assert "**10 of 10 verdicts held.**" in text and "1 training seeds x 2 val videos" in text
    assert text.count("approach 2 on ") == 6  # 3 kinds of masklets (classical, oracle exact and at s = 0.5) x 2 metrics


def test_the_confirmation_computes_exactly_the_picked_approach2_rows(confirmed) -> None:
    base, _, _, _, development = confirmed
    table = pd.read_csv(base / "confirm" / "tables" / "mask_classifier.csv")
    kinds = ["classical", "oracle (exact)", "oracle (s = 0.5)"]
    assert list(development["masklets"].unique()) == kinds  # 04's table: every kind of the settings' sources
    assert len(development) == 3 * (2 + 3)  # per kind: baseline, approach 1, 3 variants of the one feature source
    picks = picked_rows(development)
    assert [p.masklets for p in picks] == kinds
    # per kind: its baseline row, then its picked row; on the same data every cell equals the development table's
    assert list(table["method"]) == ["baseline", "approach 2"] * 3 and list(table["masklets"]) == [k for k in kinds
                                                                                                  for _ in (0, 1)]
    for pick, (_, row) in zip(picks, table[table["method"] == "approach 2"].iterrows(), strict=True):
        assert (row["features"], row["classifier_videos"], row["variant"]) == pick[1:]
        (same,) = [r for _, r in development.iterrows() if r["method"] == "approach 2" and
                   (r["masklets"], r["features"], r["classifier_videos"], r["variant"]) == tuple(pick)]
        for column in ("mIoU", "gain_mIoU", "gain_mBIoU_ci_high"):
            assert row[column] == pytest.approx(same[column], abs=1e-4)
    baselines = development[development["method"] == "baseline"]
    np.testing.assert_allclose(table.loc[table["method"] == "baseline", "mIoU"], baselines["mIoU"], atol=1e-4)


def test_approach1_only_confirms_the_headline_without_an_approach2_table(confirmed, tmp_path: Path) -> None:
    base = confirmed[0]
    development = tmp_path / "dev"
    (development / "tables").mkdir(parents=True)
    shutil.copy(base / "dev" / "tables" / "refiner.csv", development / "tables")  # no mask_classifier.csv
    readme = tmp_path / "README.md"
    readme.write_text(f"{CONFIRM_MARKERS[0]}\nold\n{CONFIRM_MARKERS[1]}\n")
    settings = yaml.safe_load((base / "confirm.yaml").read_text())
    settings["run"]["results_dir"] = str(tmp_path / "again")  # the fixture's folder holds a finished confirmation
    params = tmp_path / "confirm.yaml"
    params.write_text(yaml.safe_dump(settings))
    assert main(["--params", str(params), "--development", str(development), "--readme", str(readme),
                 "--approach1-only", "--no-progress"]) == 0
    text = readme.read_text()
    # the fixture's 10 verdicts less the 6 of approach 2 (3 kinds x 2 metrics)
    assert "**4 of 4 verdicts held.**" in text and "approach 2 on" not in text


def test_a_malformed_development_table_fails_before_anything_is_computed(confirmed, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    base = confirmed[0]
    settings = yaml.safe_load((base / "confirm.yaml").read_text())
    settings["run"]["results_dir"] = str(tmp_path / "out")
    params = tmp_path / "confirm.yaml"
    params.write_text(yaml.safe_dump(settings))
    development = tmp_path / "dev"
    (development / "tables").mkdir(parents=True)
    shutil.copy(base / "dev" / "tables" / "refiner.csv", development / "tables")
    classifier = pd.read_csv(base / "dev" / "tables" / "mask_classifier.csv").drop(columns="variant")
    classifier.to_csv(development / "tables" / "mask_classifier.csv", index=False)
    capsys.readouterr()
    assert main(["--params", str(params), "--development", str(development), "--readme", "", "--no-progress"]) == 2
    assert "the development mask_classifier table: the table lacks the column(s) ['variant']" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # approach 1 was never computed
    dev = pd.read_csv(base / "dev" / "tables" / "mask_classifier.csv")
    dev.loc[dev["method"] == "approach 2", "features"] = "sam2"  # rows of a feature source the study does not run
    dev.to_csv(development / "tables" / "mask_classifier.csv", index=False)
    for mode in ([], ["--headline-only"]):  # the whole study and the headline alone both check first
        capsys.readouterr()
        assert main(["--params", str(params), "--development", str(development), "--readme", "", "--no-progress",
                     *mode]) == 2
        assert "not rows of this study's mask_classifier table" in capsys.readouterr().err
        assert not (tmp_path / "out" / "tables").exists()


def test_a_pick_the_study_does_not_run_is_refused(confirmed) -> None:
    base = confirmed[0]
    study = Study(load_settings(base / "confirm.yaml"), progress=False)
    with pytest.raises(ParameterError, match=r"picks \[.*'sam2-mini'.*\]: not rows of this study's mask_classifier table"):
        study.classifier_table(picks=[ClassifierRow("sam2-mini", "appearance", "train", "fused")])


def test_the_development_results_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump({"run": {"results_dir": "results"}}))
    with pytest.raises(DataError, match="results/, the development study's"):
        confirm(params, progress=False)
    assert main(["--params", str(params), "--development", str(tmp_path / "none"), "--readme", ""]) == 2
    (tmp_path / "dev" / "tables").mkdir(parents=True)
    (tmp_path / "dev" / "tables" / "refiner.csv").write_text("baseline\n")
    capsys.readouterr()
    assert main(["--params", str(params), "--development", str(tmp_path / "dev"), "--readme", ""]) == 2  # no 04 table
    assert "mask_classifier.csv: the development table is missing" in capsys.readouterr().err


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


def test_rewrite_writes_the_same_block_from_the_tables_already_there_and_computes_nothing(
        confirmed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import vsslib.study.confirm as confirm_module

    base, _, _, written, _ = confirmed
    expected = written.read_text()
    monkeypatch.setattr(confirm_module, "confirm", lambda *a, **k: pytest.fail("--rewrite computed the tables"))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{CONFIRM_MARKERS[0]}\nold wording\n{CONFIRM_MARKERS[1]}\nrest\n")
    # the development results it was compared with are kept beside the confirmation; once they move on (a change
    # of the study's code regenerates them), --rewrite still compares the held-out run with the copy
    kept = base / "confirm" / "development"
    assert sorted(p.name for p in (kept / "tables").iterdir()) == sorted(p.name for p in (base / "dev" / "tables").iterdir())
    assert (kept / "tables" / "refiner.csv").read_bytes() == (base / "dev" / "tables" / "refiner.csv").read_bytes()
    development = base / "dev" / "tables" / "refiner.csv"
    original = development.read_bytes()
    moved = pd.read_csv(development)
    moved.loc[moved["method"] == "refined", [c for c in moved if c.startswith("gain_")]] *= -1
    moved.to_csv(development, index=False)
    args = ["--params", str(base / "confirm.yaml"), "--readme", str(readme), "--rewrite"]
    try:
        assert main(args) == 0
    finally:
        development.write_bytes(original)  # the fixture is shared
    assert readme.read_text() == expected
    assert f"`{kept}/tables/refiner.csv` and `{base / 'confirm'}/tables/refiner.csv`" in expected
    empty = tmp_path / "empty.yaml"  # a confirmation that never ran: nothing to rewrite from
    empty.write_text((base / "confirm.yaml").read_text().replace(str(base / "confirm"), str(tmp_path / "none")))
    capsys.readouterr()
    assert main(["--params", str(empty), *args[2:]]) == 2
    assert f"no table ['{tmp_path / 'none' / 'tables' / 'refiner.csv'}'" in capsys.readouterr().err


def test_the_whole_study_runs_on_the_held_out_benchmark_and_every_stated_finding_is_compared(
        confirmed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --headline-only every notebook runs on the held-out benchmark (run_figures, here a stand-in that
    writes what 03 and 04 write: the development tables, with one gain moved across zero), then every finding
    the study states is compared key by key: the moved gain's own findings, and only those, did not hold."""
    import vsslib.study.confirm as confirm_module
    from vsslib.study.findings import stated_findings

    base, _, dev_table, _, classifier_table = confirmed
    settings = yaml.safe_load((base / "confirm.yaml").read_text())
    settings["run"]["results_dir"] = str(tmp_path / "whole")
    params = tmp_path / "confirm.yaml"
    params.write_text(yaml.safe_dump(settings))
    moved = (dev_table["method"] == "refined") & (dev_table["masklets"] == "oracle") & (dev_table["vote"] == "masklet")
    assert moved.sum() == 1 and dev_table.loc[moved, "gain_mIoU_ci_low"].item() > 0  # a gain on the development videos
    ran = []

    def notebooks(params_file: Path, *, progress: bool, jobs: int) -> list[str]:
        ran.append((Path(params_file), jobs))
        results = load_settings(params_file).results
        tables = results / "tables"
        tables.mkdir(parents=True)
        (results / "notebooks").mkdir()
        (results / "notebooks" / "stamps.json").write_text("{}")  # as run_figures leaves it
        table = dev_table.copy()
        table.loc[moved, ["gain_mIoU", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]] = [0.2, -0.9, 1.3]
        table.to_csv(tables / "refiner.csv", index=False)
        classifier_table.to_csv(tables / "mask_classifier.csv", index=False)
        return ["03_refiner.ipynb", "04_mask_classifier.ipynb"]

    monkeypatch.setattr(confirm_module, "run_figures", notebooks)
    readme = tmp_path / "README.md"
    readme.write_text(f"{CONFIRM_MARKERS[0]}\nold\n{CONFIRM_MARKERS[1]}\n")
    assert main(["--params", str(params), "--development", str(base / "dev"), "--readme", str(readme), "--jobs", "3",
                 "--no-progress"]) == 0
    assert ran == [(params, 3)]
    found = pd.read_csv(tmp_path / "whole" / "findings.csv", keep_default_na=False)
    stated = stated_findings(base / "dev")
    assert len(stated) > 10 and list(found["key"]) == sorted(stated)
    changed = found[~found["held"]]
    # the moved row's mIoU gain: the refiner table's verdict on it, nothing else
    assert list(changed["key"]) == ["refiner: refiner/predictions:preds/oracle/masklet"]
    (row,) = changed.itertuples()
    assert row.development.startswith("mIoU gain, mBIoU gain") and row.confirmation.startswith("mIoU unclear, mBIoU gain")
    assert row.development_text == stated[row.key].text and "mIoU gain +0.2 [-0.9, +1.3]" in row.confirmation_text
    text = readme.read_text()
    assert f"Of the {len(found)} verdicts and orderings the study states" in text
    assert f"**{len(found) - len(changed)} held** (each in `{tmp_path / 'whole'}/findings.csv`); these did not:" in text
    assert f"- `{row.key}`: {row.development} -> **{row.confirmation}**. Development: `predictions:preds`" in text
    assert "`" not in row.key  # a plain key keeps one backtick; one naming a `variant` gets two (below)
    assert ".." not in text
    # the headline block reads the same tables, whose refiner table now has both votes: 4 refined rows x 2
    # metrics (2 with the settings' vote alone under --headline-only) and the 6 approach-2 verdicts; the moved
    # gain did not hold
    assert (dev_table["method"] == "refined").sum() == 4 and text.count("(**gain -> unclear**).") == 1
    assert "**13 of 14 verdicts held.**" in text
    # each headline line names its vote scope, so no two of its lines read alike
    headline = [line for line in text.splitlines() if line.startswith("- `") and "on the held-out ones" in line]
    assert len(headline) == 8 and len({line.split(" gain:")[0] for line in headline}) == 8
    assert sum("one vote per masklet and frame," in line for line in headline) == 4
    # --rewrite writes the same block again, running nothing: the comparison is read from the tables again (a
    # findings.csv gone out of date is written anew), not trusted from the file
    monkeypatch.setattr(confirm_module, "run_figures", lambda *a, **k: pytest.fail("--rewrite ran notebooks"))
    found.assign(held=True).to_csv(tmp_path / "whole" / "findings.csv", index=False)
    again = tmp_path / "again.md"
    again.write_text(f"{CONFIRM_MARKERS[0]}\nold\n{CONFIRM_MARKERS[1]}\n")
    assert main(["--params", str(params), "--readme", str(again), "--rewrite"]) == 0
    assert again.read_text() == text
    assert pd.read_csv(tmp_path / "whole" / "findings.csv", keep_default_na=False).equals(found)
    # the folder now holds a finished confirmation: a second run on the same videos is refused, whole or not
    for mode in ([], ["--headline-only"]):
        assert main(["--params", str(params), "--development", str(base / "dev"), "--readme", "", *mode]) == 2
    # a headline-only confirmation in a folder that held a whole study drops the whole study's marks
    (tmp_path / "whole" / "findings.csv").unlink()
    (tmp_path / "whole" / "tables" / "refiner.csv").unlink()
    monkeypatch.setattr(confirm_module, "run_figures", lambda *a, **k: pytest.fail("--headline-only ran notebooks"))
    assert main(["--params", str(params), "--development", str(base / "dev"), "--readme", "", "--headline-only",
                 "--no-progress"]) == 0
    assert not (tmp_path / "whole" / "notebooks" / "stamps.json").exists()
    assert not (tmp_path / "whole" / "findings.csv").exists()


def test_a_finished_confirmation_is_not_run_again(confirmed, capsys: pytest.CaptureFixture[str]) -> None:
    base = confirmed[0]  # the fixture confirmed into base/confirm: its videos have been looked at
    capsys.readouterr()
    assert main(["--params", str(base / "confirm.yaml"), "--development", str(base / "dev"), "--readme", "",
                 "--headline-only", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{base / 'confirm'} holds a finished confirmation" in err and "a new data.seed and data.root" in err


def test_a_key_only_one_side_states_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sides list every verdict of the README's Holm family (:func:`family_findings`); a key only one side's
    tables state reads as absent, with no sentence."""
    import vsslib.study.confirm as confirm_module
    from vsslib.study.verdicts import Finding

    sides = {"dev": {"refiner: a": Finding("a", "mIoU gain", "a gain"),
                     "README: holm/a": Finding("holm/a", "a gain, holds in the family", "a: +1.0 [+0.5, +1.5]"),
                     "sizes: s": Finding("s", "worst: 200-799", "worst bin")},
             "new": {"refiner: a": Finding("a", "mIoU unclear", "unclear"),
                     "README: holm/a": Finding("holm/a", "not claimed (unclear)", "a: +0.2 [-0.3, +0.7]"),
                     "sizes: s": Finding("s", "worst: 200-799", "worst bin"),
                     "classes: c": Finding("c", "more", "more classes")}}
    monkeypatch.setattr(confirm_module, "stated_findings", lambda results: sides[str(results)])
    table = confirm_module.study_confirmation("dev", "new").set_index("key")
    assert list(table.index) == ["README: holm/a", "classes: c", "refiner: a", "sizes: s"]
    assert table.loc["README: holm/a", ["development", "confirmation"]].tolist() == [
        "a gain, holds in the family", "not claimed (unclear)"]
    assert table.loc["classes: c", ["development", "confirmation"]].tolist() == ["<absent>", "more"]
    assert table["held"].tolist() == [False, False, False, True]
    assert table.loc["classes: c", "development_text"] == "" and table.loc["sizes: s", "confirmation_text"] == "worst bin"
    one = pd.DataFrame([_row("net", "oracle", {"mIoU": (12.1, 10.2, 13.8), "mBIoU": (25.3, 22.7, 27.7)})])
    block = confirmation_block(one, one, seed=1, study=table.reset_index())
    assert "- `classes: c`: <absent> -> **more**. Development: (absent). Held-out: more classes." in block
    assert ("- `README: holm/a`: a gain, holds in the family -> **not claimed (unclear)**. Development: a: +1.0 "
            "[+0.5, +1.5]. Held-out: a: +0.2 [-0.3, +0.7].") in block


def test_a_key_with_backticks_is_one_code_span():
    """Keys of the README's Holm family name variants in backticks; fenced with one backtick they broke the span."""
    from vsslib.study.confirm import _code

    assert _code("refiner: a/b") == "`refiner: a/b`"
    key = "README: holm/approach 2, classical masklets, `fused` on appearance, mIoU"
    assert _code(key) == "`` README: holm/approach 2, classical masklets, `fused` on appearance, mIoU ``"


def test_the_readme_block_is_the_one_the_committed_confirmation_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's CONFIRM block is what ``--rewrite`` writes from the committed held-out tables and the development
    results they were compared with (kept in ``results/confirm/development/``), and ``findings.csv`` its table."""
    from vsslib.study.confirm import study_confirmation, written_block

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    block = written_block(ROOT / "params" / "confirm.yaml", record=False)
    assert f"{CONFIRM_MARKERS[0]}\n{block}\n{CONFIRM_MARKERS[1]}" in readme, \
        "run `python -m vsslib.study.confirm --rewrite`"
    committed = pd.read_csv(ROOT / "results" / "confirm" / "findings.csv", keep_default_na=False)
    recomputed = study_confirmation(ROOT / "results" / "confirm" / "development", ROOT / "results" / "confirm")
    assert committed.equals(recomputed.astype(committed.dtypes.to_dict()))


def test_the_readme_reads_the_retired_whole_study_confirmation_from_its_tables() -> None:
    """The README's figures of the first whole-study confirmation (kept in ``results/confirm-20261207/``) and of the
    findings that failed on both held-out benchmarks are those of the committed tables."""
    import re

    from vsslib.study.confirm import confirmation_findings

    readme = readme_words()
    said = re.search(r"there (\d+) of (\d+) headline verdicts and (\d+) of (\d+) stated verdicts and orderings held\. "
                     r"Of the (\d+) that did not hold below, (\d+) did not hold on that first held-out benchmark "
                     r"either", readme)
    assert said, "the README's sentence on the first whole-study confirmation is gone or reworded"
    old = ROOT / "results" / "confirm-20261207"

    def tables(folder: Path, name: str) -> pd.DataFrame:
        return pd.read_csv(folder / "tables" / f"{name}.csv")

    headline = confirmation_findings(tables(old / "development", "refiner"), tables(old, "refiner"))
    headline += classifier_confirmation_findings(tables(old / "development", "mask_classifier"),
                                                 tables(old, "mask_classifier"))
    before = pd.read_csv(old / "findings.csv", keep_default_na=False)
    now = pd.read_csv(ROOT / "results" / "confirm" / "findings.csv", keep_default_na=False)
    failed_before = set(before["key"][~before["held"].astype(bool)])
    failed_now = set(now["key"][~now["held"].astype(bool)])
    assert [int(n) for n in said.groups()] == [
        sum(f.verdict == "held" for f in headline), len(headline), int(before["held"].astype(bool).sum()),
        len(before), len(failed_now), len(failed_now & failed_before)]
