"""Study parameters: defaults, YAML files, notebook parameter cells and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from vsslib.errors import ParameterError
from vsslib.params import StudyParams, load_params, repo_root

ROOT = Path(__file__).resolve().parent.parent


def test_default_yaml_equals_the_dataclass_defaults() -> None:
    assert load_params(ROOT / "params" / "default.yaml").to_dict() == StudyParams().to_dict()


def test_default_yaml_names_every_knob() -> None:
    import yaml

    assert sorted(yaml.safe_load((ROOT / "params" / "default.yaml").read_text())) == sorted(StudyParams.keys())


def test_real_run_params_load() -> None:
    params = load_params(ROOT / "params" / "sam2-vspw.yaml")
    assert params.dataset == "vspw" and "sam2" in params.masklet_sources and params.device == "cuda"
    assert (params.points_per_side, params.pred_iou_thresh, params.stability_score_thresh,
            params.stability_score_offset, params.window) == (16, 0.6, 0.8, 0.9, 32)


def test_every_notebook_declares_defaults_equal_to_default_yaml() -> None:
    from vsslib.study import list_notebooks, notebook_parameters

    defaults = StudyParams().to_dict()
    notebooks = list_notebooks(ROOT)
    assert len(notebooks) >= 8
    for notebook in notebooks:
        declared = notebook_parameters(notebook)
        assert declared, f"{notebook.name} has no parameters"
        for name, text in declared.items():
            assert name in defaults, f"{notebook.name}: {name} is not a study knob"
            value = eval(text, {})  # the parameters cell holds literals only
            expected = defaults[name]
            assert (list(value) if isinstance(value, tuple) else value) == expected, (notebook.name, name)


def test_unknown_key_lists_the_known_ones() -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'windw'.*known parameters: .*window"):
        StudyParams.from_mapping({"windw": 8})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("window", 0, "window=0 must be at least 1"),
    ("points_per_side", 0, "points_per_side=0 must be at least 1"),
    ("dilation_ratio", -0.01, r"dilation_ratio=-0.01 must lie in \(0, 1\)"),
    ("masklet_sources", ["classical", "sam3"], "names 'sam3', not one of classical, oracle, sam2"),
    ("vote", "mode", "vote='mode' is not one of masklet, frame"),
    ("window", 2.5, "window=2.5 must be an integer"),
    ("segmenters", "fcn8-small", "must be a list"),
])
def test_impossible_values_are_named(key: str, value: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        StudyParams.from_mapping({key: value})


def test_sam2_without_checkpoint_is_refused() -> None:
    with pytest.raises(ParameterError, match="sam2_checkpoint is empty"):
        StudyParams.from_mapping({"masklet_sources": ["sam2"]})


def test_bad_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="parameter file not found"):
        load_params(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match="expected a mapping"):
        load_params(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("widow: 8\n")
    with pytest.raises(ParameterError, match=f"{typo}: unknown parameter"):
        load_params(typo)


def test_paths_resolve_against_the_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.delenv("VSSLIB_RESULTS", raising=False)
    assert repo_root() == ROOT
    assert StudyParams().results == ROOT / "results"
    monkeypatch.setenv("VSSLIB_RESULTS", "/tmp/elsewhere")
    assert StudyParams().results == Path("/tmp/elsewhere")
