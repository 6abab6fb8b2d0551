"""The study's runs, configured from :class:`vsslib.params.StudyParams`: what the notebooks call.

Every heavy product goes through the cached pipeline (:mod:`vsslib.pipeline`, :mod:`vsslib.approach2`), so
notebooks that share a product (the baseline networks, the classical masklets) compute it once, and
re-running a notebook is fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .params import StudyParams

__all__ = ["Study", "load_run"]


class Study:
    """Data, networks, masklet sources and runs of one parameter set.

    Parameters
    ----------
    params : the validated knobs (``StudyParams.from_mapping(...)`` in a notebook's second cell).
    progress : show progress bars.
    """

    def __init__(self, params: StudyParams, *, progress: bool = True) -> None:
        self.params = params
        self.progress = progress
        self._datasets: dict[str, Any] = {}

    # ---------------------------------------------------------------------------------------- data
    @property
    def data_root(self) -> Path:
        """The dataset root; the embedded benchmark is generated there on first use."""
        if self.params.dataset == "generated":
            from .data import ensure_benchmark

            p = self.params
            ensure_benchmark(p.data, n_videos=p.n_videos, n_frames=p.n_frames, height=p.frame_height,
                             width=p.frame_width, seed=p.data_seed, progress=self.progress)
        return self.params.data

    def dataset(self, split: str | None = None) -> Any:
        """The :class:`~vsslib.data.VSPWDataset` of a split (default: the evaluated split)."""
        from .data import VSPWDataset

        split = split or self.params.eval_split
        if split not in self._datasets:
            self._datasets[split] = VSPWDataset(self.data_root, split)
        return self._datasets[split]

    @property
    def data_name(self) -> str:
        """How titles name the data."""
        return f"{self.dataset().name}, {self.params.eval_split}"

    def videos(self) -> list[str]:
        videos = list(self.dataset().videos)
        return videos[: self.params.max_videos] if self.params.max_videos else videos

    # ------------------------------------------------------------------------------------ components
    def segmenter(self, name: str) -> Any:
        """A baseline network, trained on the train split on first use (cached)."""
        from .pipeline import RefineSpec, baseline_segmenter

        return baseline_segmenter(self.refine_spec(name, "classical"))

    def mask_settings(self, source: str, **overrides: Any) -> dict[str, Any]:
        """Keyword settings of a masklet source from the knobs (plus overrides)."""
        p = self.params
        if source == "oracle":
            return {"strength": 0.0, "seed": p.seed, **overrides}
        settings: dict[str, Any] = {"window": p.window, "link_iou": p.link_iou, "discover_every": p.discover_every}
        if source == "sam2":
            settings.update(config=p.sam2_config, checkpoint=str(self.params.path("sam2_checkpoint")), device=p.device,
                            points_per_side=p.points_per_side, pred_iou_thresh=p.pred_iou_thresh,
                            stability_score_thresh=p.stability_score_thresh,
                            stability_score_offset=p.stability_score_offset)
        settings.update(overrides)
        return settings

    def masklet_source(self, source: str, **overrides: Any) -> Any:
        from .pipeline import RefineSpec, masklet_source

        return masklet_source(source, RefineSpec.settings_tuple(self.mask_settings(source, **overrides)))

    def baselines(self) -> list[str]:
        """Baseline names: the networks, plus ``predictions`` when a predictions folder is given."""
        names = list(self.params.segmenters)
        if self.params.predictions_dir:
            names.append("predictions")
        return names

    # ------------------------------------------------------------------------------------------ runs
    def refine_spec(self, baseline: str, source: str, *, out: str | None = None, vote: str | None = None,
                    **mask_overrides: Any) -> Any:
        from .pipeline import RefineSpec

        p = self.params
        kwargs: dict[str, Any] = {"segmenter": baseline} if baseline != "predictions" else {
            "predictions": str(p.path("predictions_dir"))}
        return RefineSpec(data_root=str(self.data_root), split=p.eval_split, masks=source,
                          mask_settings=RefineSpec.settings_tuple(self.mask_settings(source, **mask_overrides)),
                          vote=vote or p.vote, dilation_ratio=p.dilation_ratio, cache_root=str(p.cache),
                          out=out, train_seed=p.train_seed, max_videos=p.max_videos, **kwargs)

    def run_dir(self, spec: Any) -> str:
        """Where a run's predictions and metrics.json go: ``<cache>/runs/<spec hash>``."""
        from .cache import stable_hash

        return str(self.params.cache / "runs" / stable_hash({**spec.__dict__, "out": None}))

    def refine(self, baseline: str, source: str, *, vote: str | None = None, **mask_overrides: Any) -> dict[str, Any]:
        """Run approach 1 on the evaluated split (cached); predictions and metrics.json in :meth:`run_dir`."""
        from .executor import create_executor
        from .pipeline import run_refine

        spec = self.refine_spec(baseline, source, vote=vote, **mask_overrides)
        spec = type(spec)(**{**spec.__dict__, "out": self.run_dir(spec)})
        metrics = run_refine(spec, executor=create_executor(workers=self.params.workers), progress=self.progress)
        return {**metrics, "out": spec.out}

    def classify(self, features: str, source: str, *, baseline: str | None = None, **mask_overrides: Any) -> dict[str, Any]:
        """Run approach 2 (cached); predictions and metrics.json under ``<cache>/runs/``."""
        from .approach2 import ClassifySpec, run_classify
        from .cache import stable_hash
        from .executor import create_executor
        from .pipeline import RefineSpec

        p = self.params
        spec = ClassifySpec(data_root=str(self.data_root), split=p.eval_split,
                            segmenter=baseline or p.segmenters[-1], features=features, masks=source,
                            mask_settings=RefineSpec.settings_tuple(self.mask_settings(source, **mask_overrides)),
                            epochs=p.classifier_epochs, dilation_ratio=p.dilation_ratio, cache_root=str(p.cache),
                            train_seed=p.train_seed, max_videos=p.max_videos)
        out = str(p.cache / "runs" / stable_hash({**spec.__dict__, "kind": "classify"}))
        spec = ClassifySpec(**{**spec.__dict__, "out": out})
        metrics = run_classify(spec, executor=create_executor(workers=p.workers), progress=self.progress)
        return {**metrics, "out": out}

    # ---------------------------------------------------------------------------------------- tables
    @staticmethod
    def metric_row(metrics: dict[str, Any], **labels: Any) -> dict[str, Any]:
        """One table row (percent, two decimals) from a metrics dict."""
        return {**labels, "mIoU": round(100 * metrics["miou"], 2), "mBIoU": round(100 * metrics["mbiou"], 2),
                "mVC8": round(100 * metrics["mvc8"], 2), "mVC16": round(100 * metrics["mvc16"], 2),
                "fps": round(metrics["fps"], 2)}

    def refiner_table(self, sources: list[str] | None = None) -> tuple[pd.DataFrame, dict[tuple[str, str], dict]]:
        """One row per baseline x masklet source (plus the baseline itself), and the raw metrics."""
        rows, raw = [], {}
        for baseline in self.baselines():
            for source in sources or list(self.params.masklet_sources):
                metrics = self.refine(baseline, source)
                raw[(baseline, source)] = metrics
                if not any(r["baseline"] == baseline and r["method"] == "baseline" for r in rows):
                    rows.append(self.metric_row(metrics["baseline"], baseline=baseline, method="baseline",
                                                masklets="-"))
                rows.append(self.metric_row(metrics["refined"], baseline=baseline, method="refined", masklets=source))
        return pd.DataFrame(rows), raw


def load_run(study: Study, baseline: str, source: str, video: str, *, vote: str | None = None,
             **mask_overrides: Any) -> dict[str, Any]:
    """Every array of one video of a run, from the cache: frames, gt, instances, baseline, masklets, refined."""
    from .cache import fingerprint_files
    from .pipeline import baseline_for, masklets_for
    from .refine import refine

    spec = study.refine_spec(baseline, source, vote=vote, **mask_overrides)
    dataset = study.dataset()
    data = dataset.load(video)
    fingerprint = fingerprint_files(dataset.input_paths(video))
    base = baseline_for(spec, data, fingerprint)["labels"]
    masks = masklets_for(spec, data, fingerprint)["ids"]
    return {"video": video, "frames": data.frames, "gt": data.labels, "instances": data.instances,
            "frame_ids": data.frame_ids, "baseline": base, "masklets": masks,
            "refined": refine(base, masks, dataset.num_classes, vote=spec.vote)}
