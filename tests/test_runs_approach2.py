"""Approach-2 runs: every setting that shapes the pooled vectors is in their cache key, and the run's
classifier never trains on the evaluated split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import blocky_benchmark

from vsslib.classify import resolve_feature_settings
from vsslib.masks import resolve_masklet_settings
from vsslib.base.errors import ParameterError
from vsslib.study.runs import ClassifySpec, run_classify
from vsslib.study.runs.approach2 import pooled_vectors


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return blocky_benchmark(tmp_path_factory.mktemp("approach2"), n_val=2, seed=6)


def _pooled_files(cache: Path) -> set[Path]:
    return set((cache / "pooled").rglob("*.npz"))


@pytest.mark.parametrize(("change", "expect_new"), [
    ({"feature_settings": resolve_feature_settings("appearance", stride=8)}, True),  # a setting of the feature source
    ({"mask_settings": resolve_masklet_settings("oracle", strength=0.5)}, True),  # other masklets
    ({"epochs": 3}, False),  # the classifier's settings do not shape the pooled vectors
])
def test_a_changed_setting_recomputes_the_pooled_vectors_it_shapes(bench, tmp_path: Path, change: dict,
                                                                   expect_new: bool) -> None:
    root, preds = bench
    spec = ClassifySpec(data_root=str(root), cache_root=str(tmp_path / "c"), predictions=str(preds), masks="oracle",
                        features="appearance")
    video = spec.videos()[0]
    first, _, _ = pooled_vectors(spec, "val", video)
    before = _pooled_files(tmp_path / "c")
    assert len(before) == 1
    second, _, _ = pooled_vectors(spec.replace(**change), "val", video)
    after = _pooled_files(tmp_path / "c")
    assert (len(after) == 2) == expect_new
    if "feature_settings" in change:  # stride 8 instead of 4: the same masklets, other vectors
        np.testing.assert_array_equal(first["ids"], second["ids"])
        assert not np.array_equal(first["vectors"], second["vectors"])
    if not expect_new:
        np.testing.assert_array_equal(first["vectors"], second["vectors"])


def test_the_classifier_trains_on_another_split_and_every_variant_is_scored(bench, tmp_path: Path) -> None:
    root, preds = bench
    with pytest.raises(ParameterError, match="the classifier trains on split 'val': evaluate on another split"):
        ClassifySpec(data_root=str(root), cache_root=str(tmp_path), predictions=str(preds), classifier_split="val")
    spec = ClassifySpec(data_root=str(root), cache_root=str(tmp_path / "c"), predictions=str(preds), masks="oracle",
                        features="appearance", classifier_split="test", epochs=2, out=str(tmp_path / "o"))
    result = run_classify(spec, progress=False)
    assert set(result.scores) == {"baseline", "none", "fallback", "fused"}
    assert result.videos == spec.videos() and result.approach == "classify" and len(result.classifier_loss) == 2
    # the baseline variant is the predictions themselves; the fallback fills uncovered pixels from them
    assert set(result.scores["baseline"].seconds_per_frame) == {"baseline"}
    assert (tmp_path / "o" / "metrics.json").is_file()


class _CountingSource:
    """Stand-in for a network's feature source: (T, 2, h, w) maps from the labels, and a count of its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, video) -> np.ndarray:  # noqa: ANN001 - a vsslib Video
        self.calls += 1
        coarse = video.labels[:, ::4, ::4].astype(np.float32)
        return np.stack([coarse, -coarse], axis=1)


def test_network_feature_maps_are_computed_once_per_video_and_network(bench, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from vsslib.classify import pool
    from vsslib.study.runs import approach2

    source = _CountingSource()
    monkeypatch.setattr(approach2, "feature_source", lambda spec: source)
    monkeypatch.setattr(approach2, "baseline_identity", lambda spec: f"stand-in weights of seed {spec.train_seed}")
    root, preds = bench
    spec = ClassifySpec(data_root=str(root), cache_root=str(tmp_path / "c"), predictions=str(preds), masks="oracle",
                        features="segmenter:fcn8-small")
    video = spec.videos()[0]
    exact, _, _ = pooled_vectors(spec, "val", video)
    corrupted, _, masks = pooled_vectors(spec.replace(mask_settings=resolve_masklet_settings("oracle", strength=0.5)),
                                         "val", video)
    assert source.calls == 1  # the second masklet source pooled from the cached maps
    assert len(list((tmp_path / "c" / "features").rglob("*.npz"))) == 1
    loaded = approach2.load_video(spec, video)[0]
    ids, vectors = pool(source(loaded), masks.arrays["ids"])
    np.testing.assert_array_equal(corrupted["ids"], ids)
    np.testing.assert_array_equal(corrupted["vectors"], vectors)
    pooled_vectors(spec.replace(train_seed=1), "val", video)  # other weights: other maps
    assert source.calls == 3 and len(list((tmp_path / "c" / "features").rglob("*.npz"))) == 2


def test_the_classifier_is_a_cached_product_keyed_by_its_settings(bench, tmp_path: Path) -> None:
    """The MLP lies in the product cache like every other product: <cache>/classifiers/<key>/<split>.pt with the
    settings that made it beside it; other epochs are another product, the same settings load the stored one."""
    import json

    from vsslib.base.executor import SerialExecutor
    from vsslib.study.runs.approach2 import train_classifier

    root, preds = bench
    spec = ClassifySpec(data_root=str(root), cache_root=str(tmp_path / "c"), predictions=str(preds), masks="oracle",
                        features="appearance", classifier_split="test", epochs=2)
    path, loss = train_classifier(spec, executor=SerialExecutor(), progress=False)
    assert path.parent.parent == tmp_path / "c" / "classifiers" and path.name == "test.pt" and len(loss) == 2
    recorded = json.loads((path.parent / "settings.json").read_text())
    assert recorded["settings"]["epochs"] == 2 and recorded["seed"] == spec.train_seed
    stamp = path.stat().st_mtime_ns
    again, loss_again = train_classifier(spec, executor=SerialExecutor(), progress=False)
    assert again == path and again.stat().st_mtime_ns == stamp and loss_again == loss  # loaded, not retrained
    other, other_loss = train_classifier(spec.replace(epochs=3), executor=SerialExecutor(), progress=False)
    assert other.parent != path.parent and len(other_loss) == 3


def test_a_spec_holds_its_feature_sources_own_settings(tmp_path: Path) -> None:
    from vsslib.classify import AppearanceSettings, create_feature_source

    common = {"data_root": str(tmp_path), "cache_root": str(tmp_path), "predictions": str(tmp_path)}
    assert ClassifySpec(**common, features="appearance").feature_settings == AppearanceSettings()  # the defaults
    wider = ClassifySpec(**common, features="appearance", feature_settings=resolve_feature_settings("appearance",
                                                                                                   stride=8))
    assert wider.feature_settings.stride == 8 and wider.public_settings()["feature_settings"] == {
        "stride": 8, "roughness_window": 3}
    message = r"feature source 'appearance' takes AppearanceSettings .*got SAM2FeatureSettings"
    with pytest.raises(ParameterError, match=message):
        ClassifySpec(**common, features="appearance", feature_settings=resolve_feature_settings("sam2"))
    with pytest.raises(ParameterError, match=message):  # the same check where the source is created
        create_feature_source("appearance", settings=resolve_feature_settings("sam2"))
    with pytest.raises(ParameterError, match="takes no feature_settings"):
        ClassifySpec(**common, features="segmenter:fcn8-small", feature_settings=AppearanceSettings())
    assert ClassifySpec(**common, features="segmenter:fcn8-small").feature_settings is None
    with pytest.raises(ParameterError, match="unknown feature source 'colour'"):
        ClassifySpec(**common, features="colour")
    with pytest.raises(ParameterError, match=r"unknown setting\(s\) \['strde'\]"):
        resolve_feature_settings("appearance", strde=8)
    with pytest.raises(ParameterError, match="not both"):
        create_feature_source("appearance", settings=AppearanceSettings(), stride=8)
    with pytest.raises(ParameterError, match="network= is for segmenter"):
        create_feature_source("appearance", network=object())
    assert create_feature_source("appearance", settings=AppearanceSettings(stride=2)).settings.stride == 2
