"""The study as the notebooks use it: its data, baselines, masklet sources and cached runs, from one settings tree.

A notebook's parameters cell names a settings file and a few knobs; :meth:`Study.from_notebook` loads them,
and every run goes through the cached run layer (:mod:`vsslib.study.runs`), so notebooks that share a product (a
trained network, the classical masklets) compute it once and a re-run is fast. Runs write their predictions
and ``metrics.json`` under ``<cache>/runs/<hash of the spec>``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..base.cache import stable_hash
from ..base.errors import ParameterError
from ..base.executor import create_executor
from .runs import ClassifySpec, RefineSpec, RunResult, run_classify, run_refine
from .runs.products import (baseline_labels, baseline_model, load_video, masklet_ids, masklet_source,
                            open_split)
from .settings import NOTEBOOK_KNOBS, VOTES, StudySettings, load_settings
from .specs import (CLASSIFIER_MASKLETS, CLASSIFIER_VARIANTS, PREDICTIONS_PREFIX, ClassifierRow, baseline_names,
                    classifier_splits, classify_spec, default_classifier_split, refine_spec)
from .tables import stats_row

__all__ = ["Study", "VideoRun"]

T = TypeVar("T")


@dataclass(frozen=True)
class VideoRun:
    """Every array of one video of an approach-1 run (for figures and failure analysis).

    ``frames`` (T, H, W, 3) uint8; ``gt``, ``baseline``, ``refined`` (T, H, W) uint8 (255 = none);
    ``instances`` (T, H, W) int32 or None; ``masklets`` (T, H, W) int32 (-1 = none).
    """

    video: str
    frame_ids: list[str]
    frames: np.ndarray
    gt: np.ndarray
    instances: np.ndarray | None
    baseline: np.ndarray
    masklets: np.ndarray
    refined: np.ndarray

    @property
    def objects(self) -> np.ndarray:
        """(T, H, W) int32 object ids, 0 = none: the dataset's ``instances`` where it has them, else each
        class's connected components in space and time (:func:`vsslib.masks.components_in_time`) plus one
        (so that ignored pixels, -1 there, become 0)."""
        if self.instances is not None:
            return self.instances
        from ..masks import components_in_time

        return components_in_time(self.gt) + 1


class Study:
    """Data, baselines, masklet sources and runs of one settings tree.

    Parameters
    ----------
    settings : the study's settings (:func:`vsslib.study.settings.load_settings`).
    progress : show progress bars.
    notebook : the notebook's file name recorded for every figure and table :meth:`save_figure` and
        :meth:`save_table` write (None: a hand session, :data:`vsslib.viz.INTERACTIVE`).
    """

    def __init__(self, settings: StudySettings, *, progress: bool = True, notebook: str | None = None) -> None:
        self.settings = settings
        self.progress = progress
        self.notebook = notebook
        self._step: Any = None  # the bar of the step in progress (see step), or None

    @contextmanager
    def step(self, desc: str, *, total: int | None = None) -> Iterator[None]:
        """One progress bar for every run started inside the ``with`` block, in place of a bar per run.

        The bar counts runs (out of ``total`` when given); its postfix says how far the current run is. A
        notebook cell that loops over many runs wraps the loop in ``with study.step("..."):`` and prints one
        short line instead of a bar per run.
        """
        if not self.progress or self._step is not None:  # no bars, or already inside a step: that one counts
            yield
            return
        from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

        counts = "{n_fmt}/{total_fmt} runs" if total else "{n_fmt} runs"
        shape = "{desc}: {percentage:3.0f}%|{bar}| " + counts if total else "{desc}: " + counts
        with tqdm(desc=desc, total=total, bar_format=shape + " [{elapsed}{postfix}]") as bar:
            self._step = bar
            try:
                yield
                bar.set_postfix_str("", refresh=False)  # the last state reads: how many runs, how long
            finally:
                self._step = None

    @contextmanager
    def counting(self, desc: str, total: int) -> Iterator[Callable[[T], T]]:
        """One progress bar for a loop that is not made of runs: the ``with`` block gets ``tick``, which passes
        its argument through and advances the bar by one (a no-op when the study shows no progress)."""
        if not self.progress:
            yield lambda value: value
            return
        from tqdm.std import tqdm  # text bar, as :meth:`step`

        with tqdm(desc=desc, total=total) as bar:
            def tick(value: T) -> T:
                bar.update()
                return value

            yield tick

    def track(self, items: Sequence[T], desc: str) -> Iterator[T]:
        """``items`` in order, with one progress bar (:meth:`counting`)."""
        with self.counting(desc, len(items)) as tick:
            for item in items:
                yield tick(item)

    def _progress(self) -> Any:
        """What a run is given to show its progress: its own bar, none, or the step's bar."""
        return self._step if self._step is not None else self.progress

    def first_videos(self, count: int) -> Study:
        """The same study on its first ``count`` evaluated videos (fewer when ``data.max_videos`` says so),
        counting its runs on this study's progress bar (see :meth:`step`)."""
        limit = self.settings.data.max_videos
        subset = Study(self.settings.replace({"data.max_videos": min(count, limit) if limit else count}),
                       progress=self.progress, notebook=self.notebook)
        subset._step = self._step
        return subset

    def _ran(self, result: RunResult) -> RunResult:
        if self._step is not None:
            self._step.update(1)
        return result

    @classmethod
    def from_notebook(cls, params_file: str, results_dir: str, *, notebook: str | None = None,
                      **knobs: Any) -> Study:
        """The study of a notebook's parameters cell: a settings file, the results folder and named knobs
        (``notebook``: see :class:`Study`).

        A knob set to None keeps the settings file's value (the default of every knob in a parameters cell, so
        ``make figures`` runs what ``params_file`` says).

        Raises
        ------
        ParameterError : an unknown knob (the message lists those of :data:`NOTEBOOK_KNOBS`), or a bad value.
        """
        unknown = sorted(set(knobs) - set(NOTEBOOK_KNOBS))
        if unknown:
            raise ParameterError(f"notebook parameters: unknown knob(s) {unknown}; known: params_file, "
                                 f"results_dir, {', '.join(NOTEBOOK_KNOBS)}")
        overrides = {NOTEBOOK_KNOBS[name]: value for name, value in knobs.items() if value is not None}
        return cls(load_settings(params_file, {**overrides, "run.results_dir": results_dir}), notebook=notebook)

    @classmethod
    def open_notebook(cls, notebook: str, params_file: str, results_dir: str, **knobs: Any) -> Study:
        """A notebook's setup in one call: :meth:`from_notebook`, the figure style, figures and tables written
        under ``results_dir`` and recorded as made by ``notebook`` (its stem, e.g. ``"03_refiner"``), and a line
        saying which data and where."""
        from ..viz import set_style

        study = cls.from_notebook(params_file, results_dir, notebook=f"{notebook}.ipynb", **knobs)
        set_style()
        print(f"data: {study.data_name}; figures and tables go to {results_dir}/")
        turned = {name: value for name, value in knobs.items() if value is not None}
        if turned:
            print("knobs turned: " + ", ".join(f"{name}={value!r} ({NOTEBOOK_KNOBS[name]})"
                                               for name, value in turned.items()))
        return study

    @property
    def output(self) -> Any:
        """The :class:`vsslib.viz.ResultsFolder` that :meth:`save_figure` and :meth:`save_table` write into."""
        from ..viz import INTERACTIVE, ResultsFolder

        return ResultsFolder(self.results, self.notebook or INTERACTIVE)

    def save_figure(self, fig: Any, name: str, *, caption: str, machine_dependent: bool = False) -> None:
        """Save and show a figure under :attr:`results` (:func:`vsslib.viz.save_figure`)."""
        self.output.save_figure(fig, name, caption=caption, machine_dependent=machine_dependent)

    def save_animation(self, gif: bytes, name: str, *, caption: str) -> None:
        """Save and show an animated GIF under :attr:`results` (:func:`vsslib.viz.save_animation`)."""
        self.output.save_animation(gif, name, caption=caption)

    def save_table(self, table: Any, name: str, *, caption: str, float_format: str = "%.4f",
                   machine_dependent_columns: tuple[str, ...] = ()) -> Path:
        """Save a table under :attr:`results` (:func:`vsslib.viz.save_table`)."""
        return self.output.save_table(table, name, caption=caption, float_format=float_format,
                                      machine_dependent_columns=machine_dependent_columns)

    # ---------------------------------------------------------------------------------------- data
    @property
    def results(self) -> Path:
        """Where figures and tables go."""
        return self.settings.results

    @property
    def data_root(self) -> Path:
        """The dataset root; the generated benchmark is written there on first use."""
        data = self.settings.data
        if data.dataset == "generated":
            from ..data import ensure_benchmark

            ensure_benchmark(self.settings.data_root, n_videos=sum(data.splits), split_counts=data.splits,
                             n_frames=data.frames, height=data.height, width=data.width, seed=data.seed,
                             progress=self.progress)
        return self.settings.data_root

    def dataset(self, split: str | None = None) -> Any:
        """The :class:`~vsslib.data.VSPWDataset` of a split (default: the evaluated split)."""
        return open_split(str(self.data_root), split or self.settings.data.split)

    @property
    def data_name(self) -> str:
        """How titles name the data: the dataset and the split."""
        return f"{self.dataset().name}, {self.settings.data.split}"

    def videos(self) -> list[str]:
        """The evaluated videos."""
        names = list(self.dataset().videos)
        limit = self.settings.data.max_videos
        return names[:limit] if limit else names

    # ------------------------------------------------------------------------------------ components
    def baselines(self) -> list[str]:
        """Baseline names: the networks, then ``predictions:<folder>`` for each predictions folder."""
        return baseline_names(self.settings)

    def segmenter(self, name: str, *, train_seed: int | None = None) -> Any:
        """A baseline network, trained on the train split on first use (cached)."""
        return baseline_model(self.refine_spec(name, "oracle", train_seed=train_seed))

    def masklet_source(self, source: str, **overrides: Any) -> Any:
        """A masklet source built from the settings (plus overrides of its own settings)."""
        spec = self.refine_spec(self.baselines()[0], source, **overrides)
        return masklet_source(spec.masks, spec.mask_settings)

    # ------------------------------------------------------------------------------------------ runs
    def refine_spec(self, baseline: str, source: str, **options: Any) -> RefineSpec:
        """The approach-1 spec (see :func:`vsslib.study.specs.refine_spec`), the dataset generated first."""
        self.data_root  # noqa: B018 - generates the benchmark on first use
        return refine_spec(self.settings, baseline, source, **options)

    def run_dir(self, spec: RefineSpec | ClassifySpec) -> str:
        """Where a run's predictions and metrics.json go: ``<cache>/runs/<hash of the spec>``."""
        return str(self.settings.cache / "runs" / stable_hash({"kind": type(spec).__name__,
                                                                **spec.replace(out=None).__dict__}))

    def refine(self, baseline: str, source: str, *, train_seed: int | None = None, vote: str | None = None,
               write_predictions: bool = False, **mask_overrides: Any) -> RunResult:
        """Approach 1 on the evaluated split (cached); ``mask_overrides`` set the masklet source's own settings
        (for the oracle: ``strength``, ``seed`` of the corruption). With ``write_predictions`` the refined maps
        are also written as PNGs under ``result.out`` (``pred/<video>/<frame>.png``); the study's tables need only
        the metric counts, which every run keeps."""
        spec = self.refine_spec(baseline, source, train_seed=train_seed, vote=vote, **mask_overrides)
        spec = spec.replace(write_predictions=write_predictions)
        with create_executor(workers=self.settings.run.workers) as executor:
            return self._ran(run_refine(spec.replace(out=self.run_dir(spec)), executor=executor,
                                        progress=self._progress()))

    def seeds(self, baseline: str) -> tuple[int, ...]:
        """Training seeds of a baseline: ``baselines.train_seeds`` for a network, one for a predictions folder."""
        return (0,) if baseline.startswith(PREDICTIONS_PREFIX) else self.settings.baselines.train_seeds

    def refine_seeds(self, baseline: str, source: str, **options: Any) -> list[RunResult]:
        """Approach 1 once per training seed of ``baseline`` (see :meth:`refine` for the options)."""
        return [self.refine(baseline, source, train_seed=seed, **options) for seed in self.seeds(baseline)]

    def refine_corruptions(self, baseline: str, strength: float, **options: Any) -> list[list[RunResult]]:
        """Approach 1 with oracle masklets corrupted at ``strength``: for each training seed of ``baseline``, one
        run per ``masklets.oracle.seeds`` seed (the masklets are the same for every training seed; see
        :func:`vsslib.study.tables.pooled_stats_row` for the table row)."""
        return [[self.refine(baseline, "oracle", train_seed=train_seed, strength=strength, seed=seed, **options)
                 for seed in self.settings.masklets.oracle.seeds] for train_seed in self.seeds(baseline)]

    def refiner_table(self, votes: tuple[str, ...] | None = None
                      ) -> tuple[pd.DataFrame, dict[tuple[str, str, str], list[RunResult]]]:
        """Approach 1 over the evaluated split: every baseline x masklet source x vote, once per training seed.

        Returns
        -------
        (table, runs): the ``refiner`` table (one ``baseline`` row per baseline, then one ``refined`` row per
        source and vote with its gains over the baseline; :func:`vsslib.study.tables.stats_row`), and the runs by
        ``(baseline, source, vote)``, one per training seed.
        """
        rows, runs = [], {}
        for baseline in self.baselines():
            first = True  # the baseline's own row comes from its first runs, before their refined rows
            for source in self.settings.masklets.sources:
                for vote in votes or VOTES:
                    seeds = runs[(baseline, source, vote)] = self.refine_seeds(baseline, source, vote=vote)
                    if first:
                        rows.append(stats_row(seeds, "baseline", baseline=baseline, masklets="-", vote="-",
                                              method="baseline"))
                        first = False
                    rows.append(stats_row(seeds, "refined", against="baseline", baseline=baseline, masklets=source,
                                          vote=vote, method="refined"))
        return pd.DataFrame(rows), runs

    def classify(self, features: str, source: str, *, baseline: str | None = None, train_seed: int | None = None,
                 classifier_split: str | None = None, write_predictions: bool = False,
                 **mask_overrides: Any) -> RunResult:
        """Approach 2 on the evaluated split (cached); ``classifier_split`` as :func:`vsslib.study.specs.classify_spec`,
        ``write_predictions`` as :meth:`refine` (``pred/``, ``pred-none/``, ``pred-fused/``)."""
        self.data_root  # noqa: B018 - generates the benchmark on first use
        spec = classify_spec(self.settings, features, source, baseline=baseline, train_seed=train_seed,
                             classifier_split=classifier_split, **mask_overrides)
        spec = spec.replace(write_predictions=write_predictions)
        with create_executor(workers=self.settings.run.workers) as executor:
            return self._ran(run_classify(spec.replace(out=self.run_dir(spec)), executor=executor,
                                          progress=self._progress()))

    def check_picks(self, picks: Collection[ClassifierRow]) -> set[ClassifierRow]:
        """``picks`` as a set, once each is an approach-2 row this study's settings run (its kind's source among
        ``masklets.sources``, its features among ``classifier.features``, a split and variant of those).

        Raises
        ------
        ParameterError : naming the picks the study does not run.
        """
        chosen = {ClassifierRow(*p) for p in picks}
        known = {ClassifierRow(label, features, split, variant)
                 for label, (source, _) in CLASSIFIER_MASKLETS.items() if source in self.settings.masklets.sources
                 for features in self.settings.classifier.features for split in classifier_splits(features)
                 for variant in CLASSIFIER_VARIANTS}
        unknown = sorted(chosen - known)
        if unknown:
            raise ParameterError(f"picks {unknown}: not rows of this study's mask_classifier table")
        return chosen

    def classifier_table(self, baseline: str | None = None, *, picks: Collection[ClassifierRow] | None = None
                         ) -> tuple[pd.DataFrame, dict[tuple[str, str], list[RunResult]]]:
        """Approach 2 over the evaluated split: the ``mask_classifier`` table.

        For every kind of :data:`~vsslib.study.specs.CLASSIFIER_MASKLETS` whose source the settings name: a
        ``baseline`` row, the ``approach 1`` row on the same masklets, then one ``approach 2`` row per feature
        source x classifier split (:func:`~vsslib.study.specs.classifier_splits`) x variant, each over the
        baseline's training seeds with its gains over the baseline network (named in the ``baseline`` column).

        Parameters
        ----------
        baseline : the baseline network (default: the last of :meth:`baselines`).
        picks : compute only these approach-2 rows, each kind's ``baseline`` row (from the same runs) before them,
            and no approach-1 row: a confirmation recomputes rows chosen on other data.

        Returns
        -------
        (table, runs): runs by ``(masklets label, features)``, one per training seed, with the classifier trained
        on the default split of the features (:func:`~vsslib.study.specs.default_classifier_split`).

        Raises
        ------
        ParameterError : a pick names a kind, features, split or variant the study does not run.
        """
        baseline = baseline or self.baselines()[-1]
        chosen = None if picks is None else self.check_picks(picks)
        rows, runs = [], {}
        for label, (source, overrides) in CLASSIFIER_MASKLETS.items():
            if source not in self.settings.masklets.sources:
                continue
            wanted = None if chosen is None else [p for p in chosen if p.masklets == label]
            if wanted == []:
                continue
            if wanted is None:
                approach1 = self.refine_seeds(baseline, source, **overrides)
                rows.append(stats_row(approach1, "baseline", baseline=baseline, masklets=label, method="baseline",
                                      features="-", variant="baseline", classifier_videos="-"))
                rows.append(stats_row(approach1, "refined", against="baseline", baseline=baseline, masklets=label,
                                      method="approach 1", features="-", variant="refined", classifier_videos="-"))
            first = True
            for features in self.settings.classifier.features:
                for split in classifier_splits(features):
                    variants = [v for v in CLASSIFIER_VARIANTS
                                if wanted is None or ClassifierRow(label, features, split, v) in wanted]
                    if not variants:
                        continue
                    seeds = [self.classify(features, source, baseline=baseline, train_seed=seed,
                                           classifier_split=split, **overrides) for seed in self.seeds(baseline)]
                    if split == default_classifier_split(features):
                        runs[(label, features)] = seeds
                    if first and wanted is not None:
                        rows.append(stats_row(seeds, "baseline", baseline=baseline, masklets=label, method="baseline",
                                              features="-", variant="baseline", classifier_videos="-"))
                    first = False
                    rows.extend(stats_row(seeds, variant, against="baseline", baseline=baseline, masklets=label,
                                          method="approach 2", features=features, variant=variant,
                                          classifier_videos=split)
                                for variant in variants)
        return pd.DataFrame(rows), runs

    def masklets(self, source: str, video: str, **mask_overrides: Any) -> np.ndarray:
        """``(T, H, W) int32`` masklet ids of one video (-1 = none), from the cache (made on first use)."""
        spec = self.refine_spec(self.baselines()[0], source, **mask_overrides)
        data, fingerprint = load_video(spec, video)
        return masklet_ids(spec, data, fingerprint).arrays["ids"]

    def video_run(self, baseline: str, source: str, video: str, *, train_seed: int | None = None,
                  vote: str | None = None, **mask_overrides: Any) -> VideoRun:
        """Every array of one video of an approach-1 run, from the cache."""
        from ..refine import refine

        spec = self.refine_spec(baseline, source, train_seed=train_seed, vote=vote, **mask_overrides)
        data, fingerprint = load_video(spec, video)
        base = baseline_labels(spec, data, fingerprint).arrays["labels"]
        ids = masklet_ids(spec, data, fingerprint).arrays["ids"]
        return VideoRun(video=video, frame_ids=list(data.frame_ids), frames=data.frames, gt=data.labels,
                        instances=data.instances, baseline=base, masklets=ids,
                        refined=refine(base, ids, self.dataset().num_classes, vote=spec.vote))
