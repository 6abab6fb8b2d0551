"""The settings tree: defaults, YAML files, overrides, notebook knobs and impossible values."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest
import yaml

from vsslib.base.errors import ParameterError
from vsslib.masks import (GeneratorSettings, SAM2Settings, WindowSettings, create_masklet_source, knob_declarations,
                          knob_paths, list_masklet_sources)
from vsslib.sam2_mini.masklets import SAM2MiniSettings, calibrated_generator
from vsslib.sam2_mini.model import GENERATOR_PATH
from vsslib.study.settings import NOTEBOOK_KNOBS, SAM2Section, StudySettings, load_settings, repo_root, setting_keys
from vsslib.study.specs import baseline_names, masklet_settings, refine_spec

ROOT = Path(__file__).resolve().parent.parent


def _leaves(tree: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in tree.items():
        out.extend(_leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else [prefix + key])
    return out


def test_default_yaml_names_every_key_with_the_declared_default() -> None:
    text = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    assert sorted(_leaves(text)) == sorted(setting_keys())
    assert load_settings(ROOT / "params" / "default.yaml") == StudySettings()


def test_paper_setting_loads_and_refines_named_predictions() -> None:
    settings = load_settings(ROOT / "params" / "sam2-vspw.yaml")
    assert settings.data.dataset == "vspw" and settings.masklets.sources == ("sam2",)
    sam2 = settings.masklets.sam2
    assert (sam2.points_per_side, sam2.pred_iou_thresh, sam2.stability_score_thresh, sam2.stability_score_offset,
            settings.masklets.window, sam2.device) == (16, 0.6, 0.8, 0.9, 32, "cuda")
    assert baseline_names(settings) == ["predictions:cffm", "predictions:mrcfa", "predictions:tv3s"]
    spec = refine_spec(settings, "predictions:tv3s", "sam2")
    assert spec.predictions == str(ROOT / "predictions" / "tv3s") and spec.segmenter is None
    assert spec.mask_settings.checkpoint == str(ROOT / "checkpoints" / "sam2.1_hiera_large.pt")


def test_one_translation_to_masklet_settings() -> None:
    settings = StudySettings().replace({"masklets.window": 8, "masklets.oracle.seeds": [4, 5]})
    assert masklet_settings(settings, "classical") == {"window": 8, "link_iou": 0.5, "discover_every": 0}
    assert masklet_settings(settings, "oracle", strength=0.5) == {"strength": 0.5, "seed": 4}
    sam2 = masklet_settings(settings, "sam2")
    assert (sam2["points_per_side"], sam2["pred_iou_thresh"], sam2["stability_score_thresh"],
            sam2["stability_score_offset"], sam2["window"], sam2["config"]) == (16, 0.6, 0.8, 0.9, 8, None)
    assert sam2["max_objects_per_batch"] == 32 and sam2["autocast"] is True and sam2["vos_optimized"] is False
    # sam2-mini takes the window's knobs and those of its own section, none of the official model's (the bug of
    # `refine --masks sam2-mini`: device, autocast and vos_optimized were passed to it); its filters default to
    # the calibrated ones written beside its weights, and a change to the sam2 section does not reach it
    calibrated = json.loads(GENERATOR_PATH.read_text())
    changed = settings.replace({"masklets.sam2.pred_iou_thresh": 0.7, "masklets.sam2_mini.points_per_side": 8})
    mini = masklet_settings(changed, "sam2-mini")
    assert mini == {"window": 8, "link_iou": 0.5, "discover_every": 0, "max_objects_per_batch": 32,
                    "points_per_side": 8, "pred_iou_thresh": calibrated["pred_iou_thresh"],
                    "stability_score_thresh": calibrated["stability_score_thresh"], "stability_score_offset": 0.9,
                    "overlap": "logit"}
    assert masklet_settings(changed, "sam2")["pred_iou_thresh"] == 0.7
    assert masklet_settings(changed, "sam2")["points_per_side"] == 16
    made = create_masklet_source("sam2-mini", **mini).settings
    assert made.windows.window == 8 and made.generator.points_per_side == 8
    assert create_masklet_source("sam2-mini").settings.generator == calibrated_generator()


def test_masklet_sections_are_the_components_declarations() -> None:
    """Every masklet knob of the settings has the annotation and default of the component field it names,
    and every source's keyword of that name and declaration exists: nothing is declared twice."""
    masklets = StudySettings().masklets
    seen = 0
    own_defaults = {"sam2": SAM2Settings(), "sam2_mini": SAM2MiniSettings()}  # the components' default instances
    for prefix, section in (("", masklets), ("sam2", masklets.sam2), ("sam2_mini", masklets.sam2_mini)):
        for f in dataclasses.fields(section):
            if "declared_in" not in f.metadata:
                continue
            owner, name = f.metadata["declared_in"]
            declared = next(d for d in dataclasses.fields(owner) if d.name == name)
            component = own_defaults.get(prefix)
            default = declared.default
            if component is not None:  # the component's own value, down the knob's path (generator.*, ...)
                default = component
                for part in knob_paths(type(component))[name]:
                    default = getattr(default, part)
            assert (f.name, f.default) == (name, default), f.name
            assert typing.get_type_hints(type(section))[f.name] == typing.get_type_hints(owner)[name], f.name
            assert any(knob_declarations(src).get(name) == (owner, name) for src in list_masklet_sources()), name
            seen += 1
    assert seen == 20  # window, link_iou, discover_every + 11 SAM2 knobs + 6 sam2-mini knobs
    assert masklets.sam2_mini.pred_iou_thresh == json.loads(GENERATOR_PATH.read_text())["pred_iou_thresh"]
    assert masklets.sam2 == SAM2Section() and masklets.window == WindowSettings().window
    assert masklets.sam2.points_per_side == GeneratorSettings().points_per_side == 16


def test_a_knob_of_one_source_is_refused_by_another_naming_both() -> None:
    with pytest.raises(ParameterError, match=r"unknown sam2-mini masklet setting\(s\) \['device'\] \('device' is a "
                                             r"setting of sam2\); valid for sam2-mini: .*points_per_side"):
        create_masklet_source("sam2-mini", device="cpu")
    with pytest.raises(ParameterError, match=r"unknown oracle masklet setting\(s\) \['window'\] \('window' is a "
                                             r"setting of classical and sam2 and sam2-mini\)"):
        create_masklet_source("oracle", window=8)


def test_overrides_are_dotted_keys_and_typos_list_the_valid_ones() -> None:
    settings = StudySettings().replace({"data.max_videos": 2, "refiner.vote": "frame"})
    assert settings.data.max_videos == 2 and settings.refiner.vote == "frame"
    assert StudySettings().data.max_videos == 0
    with pytest.raises(ParameterError, match=r"'data.max_video' is not a settings key; valid: .*data.max_videos"):
        StudySettings().replace({"data.max_video": 2})


@pytest.mark.parametrize(("changes", "message"), [
    ({"masklets.window": 0}, "masklets.window=0 must be a positive number of frames"),
    ({"masklets.sam2.points_per_side": 0}, r"masklets.sam2.points_per_side=0 must be an integer in \[1, inf\]"),
    ({"masklets.sam2.pred_iou_thresh": 1.5}, "masklets.sam2.pred_iou_thresh=1.5 must be a number in"),
    ({"masklets.sam2.config": "huge"}, "masklets.sam2: unknown SAM2 config 'huge'"),
    ({"metrics.dilation_ratio": -0.01}, r"metrics.dilation_ratio=-0.01 must lie in \(0, 1\)"),
    ({"masklets.sources": ["classical", "sam3"]}, "masklets.sources='sam3' is not one of classical, oracle, sam2, sam2-mini"),
    ({"refiner.vote": "mode"}, "refiner.vote='mode' is not one of masklet, frame"),
    ({"masklets.window": 2.5}, "masklets.window=2.5 must be an integer"),
    ({"baselines.networks": "fcn8-small"}, "must be a list"),
    ({"masklets.sam2.device": "gpu"}, "masklets.sam2.device='gpu' must be 'cpu', 'cuda' or 'cuda:<index>'"),
    ({"masklets.sources": ["sam2"]}, "masklets.sam2.checkpoint is empty"),
    ({"baselines.train_seeds": []}, "must name at least one seed"),
    ({"knob_sweep.videos": 0}, "knob_sweep.videos=0 must be at least 1"),
    ({"knob_sweep.pred_iou_thresh": [0.2, 1.5]},
     r"knob_sweep.pred_iou_thresh=\[0.2, 1.5\] holds a value GeneratorSettings refuses: pred_iou_thresh=1.5"),
    ({"knob_sweep.window": [0]}, "knob_sweep.window=\\[0\\] holds a value WindowSettings refuses"),
    ({"masklets.oracle.strengths": [0.0, 3.5]},
     r"masklets.oracle.strengths=\[0.0, 3.5\] holds a bad value: strength=3.5 must lie in \[0, 3\]"),
])
def test_impossible_values_are_named(changes: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        StudySettings().replace(changes)


def test_cuda_devices_are_accepted_in_settings() -> None:
    assert StudySettings().replace({"masklets.sam2.device": "cuda:1"}).masklets.sam2.device == "cuda:1"


def test_bad_yaml_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="settings file not found"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match="expected a mapping"):
        load_settings(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("masklets:\n  widow: 8\n")
    with pytest.raises(ParameterError, match=rf"{typo}: unknown key\(s\) 'masklets.widow'; valid in this section"):
        load_settings(typo)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("masklets:\n  window: 0\n")
    with pytest.raises(ParameterError, match=rf"{wrong}: masklets.window=0 must be a positive number of frames"):
        load_settings(wrong)


def test_folders_resolve_against_the_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    assert repo_root() == ROOT
    assert StudySettings().results == ROOT / "results"
    assert StudySettings().replace({"run.results_dir": "/tmp/elsewhere"}).results == Path("/tmp/elsewhere")


def test_notebook_knobs_name_settings_keys() -> None:
    keys = set(setting_keys())
    assert all(key in keys for key in NOTEBOOK_KNOBS.values())


def test_readme_says_which_notebooks_have_sam2_mini_rows() -> None:
    """The README's sentence on sam2-mini in the study follows the settings and the notebooks: a source of the
    embedded default, among approach 2's masklet kinds (04), left out of the window sweep (03)."""
    readme = (ROOT / "README.md").read_text()
    assert "sam2-mini" in load_settings(ROOT / "params" / "default.yaml").masklets.sources
    assert "`sam2-mini` is a masklet source of the embedded default" in readme
    from vsslib.study.specs import CLASSIFIER_MASKLETS

    assert CLASSIFIER_MASKLETS["sam2-mini"] == ("sam2-mini", {})  # 04's table: study.classifier_table
    assert "study.classifier_table(baseline)" in (ROOT / "notebooks" / "04_mask_classifier.py").read_text()
    refiner = (ROOT / "notebooks" / "03_refiner.py").read_text()
    assert 'generated = [s for s in settings.masklets.sources if s not in ("oracle", "sam2-mini")]' in refiner
    assert "in approach 2 (04: its masklets on the train and test splits too" in readme
    assert "The window-length sweep (03) leaves it out" in readme


def test_the_knob_sweep_moves_knobs_both_sam2_sources_declare() -> None:
    from vsslib.masks import knob_declarations

    swept = set(StudySettings().knob_sweep.values())
    assert swept == {"points_per_side", "pred_iou_thresh", "stability_score_thresh", "window"}
    for source in ("sam2", "sam2-mini"):
        assert swept <= set(knob_declarations(source)), source


def test_the_readme_rows_of_the_tour_and_approach_2_name_every_default_masklet_source() -> None:
    rows = {line.split("|")[1].strip(" `"): line for line in (ROOT / "README.md").read_text().splitlines()
            if line.startswith("| `0")}
    sources = load_settings(ROOT / "params" / "default.yaml").masklets.sources
    assert sources and all(isinstance(s, str) for s in sources)
    for notebook in ("00_tour", "04_mask_classifier"):
        assert [s for s in sources if s not in rows[notebook]] == [], (notebook, sources)
