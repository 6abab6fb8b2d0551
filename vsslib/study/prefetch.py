"""The sam2-mini masklets a study will read, made before its notebooks run, ``jobs`` videos at a time.

On the project's 2-core CPU nearly all of a cold ``make figures`` beyond the networks' training is sam2-mini's
masklets (tens of seconds a video on one core; the classical and oracle masklets take milliseconds a frame). The
notebooks make a product on first use, one video after another, and two notebooks that need the same one wait for
each other, so left to them these masklets kept about one core busy. :func:`prefetch_masklets` makes the products
:func:`masklet_jobs` lists first, ``jobs`` at once in worker processes, through the very function the notebooks
call (:func:`~vsslib.study.runs.products.masklet_ids`: same key, same lock, same file), so the notebooks then only
read them; anything a notebook reads that is not listed it still makes itself on first use. A sam2-mini video is
made in a pinned interpreter of its own ``threads`` (:mod:`vsslib.base.pinned`), so its masklets are the same bits
however many are made side by side. The official ``sam2`` source is left to the notebooks: it runs on the device
and threads of the process that calls it (two workers would hold two models on one GPU, or split the CPU's cores
differently from a notebook).

Which products (:func:`masklet_jobs`), by purpose:

- ``"first video"``: the first evaluated video at the source's own settings (``00_tour``);
- ``"evaluated"``: every evaluated video (``data.split``, ``data.max_videos``), the source's own settings;
- ``"classifier"``: every video of the splits approach 2 trains its classifiers on
  (:func:`~vsslib.study.specs.classifier_splits` of each of ``classifier.features``; only the picked rows' splits
  where ``picks`` are given, as ``make confirm`` computes), for the sources approach 2 runs on
  (:data:`~vsslib.study.specs.CLASSIFIER_MASKLETS`);
- ``"knob sweep"``: the first ``knob_sweep.videos`` evaluated videos at the source's own settings and at each moved
  knob of ``08_sam2_knobs`` (:func:`~vsslib.study.knob_sweep.sweep_points`), for the source it sweeps.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..base.errors import ParameterError
from ..base.executor import create_executor
from .knob_sweep import sweep_points, sweep_source
from .notebook_api import Study
from .runs import RefineSpec
from .runs.products import is_cached, load_video, masklet_cache, masklet_ids, open_split, video_fingerprint
from .settings import StudySettings
from .specs import CLASSIFIER_MASKLETS, ClassifierRow, baseline_names, classifier_splits, refine_spec

__all__ = ["PURPOSES", "PREFETCHED", "MaskletJob", "PrefetchReport", "masklet_jobs", "prefetch_masklets"]

PURPOSES = ("first video", "evaluated", "classifier", "knob sweep")
"""Why a study reads a masklet product (see the module docstring)."""
PREFETCHED = ("sam2-mini",)
"""The masklet sources made ahead by default: those made in a pinned interpreter (see the module docstring)."""


@dataclass(frozen=True)
class MaskletJob:
    """One video's masklets: ``spec`` names the source and its settings (its baseline plays no part), ``split``
    and ``video`` the input, ``purpose`` the first of :data:`PURPOSES` that reads it."""

    spec: RefineSpec
    split: str
    video: str
    purpose: str


@dataclass(frozen=True)
class PrefetchReport:
    """What :func:`prefetch_masklets` did: the masklet ``sources`` it covered, products ``made`` and found
    ``cached``, the wall-clock ``seconds`` and the ``compute_seconds`` the made products took (summed over the
    workers), and the ``jobs`` at a time."""

    made: int
    cached: int
    seconds: float
    compute_seconds: float
    jobs: int
    sources: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for a log."""
        if not self.sources:
            return (f"masklets made ahead: none (only {', '.join(PREFETCHED)}'s are, and the settings do not run "
                    "it; the notebooks make their masklets on first use)")
        what = f"{' and '.join(self.sources)} masklets made ahead"
        if not self.made:
            return f"{what}: all {self.cached} cached" if self.cached else f"{what}: none read"
        return (f"{what}: {self.made} made ({self.cached} cached) in {self.seconds:.0f} s, {self.jobs} at a "
                f"time ({self.compute_seconds:.0f} s of computing)")


def masklet_jobs(settings: StudySettings, *, purposes: Collection[str] = PURPOSES,
                 sources: Sequence[str] | None = None,
                 picks: Collection[ClassifierRow] | None = None) -> list[MaskletJob]:
    """Every masklet product the study's notebooks read for ``purposes``, each once, in the order listed in the
    module docstring.

    Parameters
    ----------
    settings : the study's settings; its benchmark must exist (:func:`prefetch_masklets` makes it first).
    purposes : a subset of :data:`PURPOSES`.
    sources : masklet sources to cover (default: those of ``masklets.sources`` among :data:`PREFETCHED`).
    picks : approach-2 rows (:class:`~vsslib.study.specs.ClassifierRow`): the ``"classifier"`` purpose covers only
        their kinds of masklets, features and splits (None: every one the study runs).

    Raises
    ------
    ParameterError : an unknown purpose, or a source the settings do not run.
    """
    unknown = sorted(set(purposes) - set(PURPOSES))
    if unknown:
        raise ParameterError(f"purposes {unknown} unknown; valid: {', '.join(PURPOSES)}")
    sources = _sources(settings, sources)
    baseline = baseline_names(settings)[0]
    picked = None if picks is None else {row[:3] for row in picks}  # (masklets, features, classifier split)
    jobs: list[MaskletJob] = []
    seen: set[tuple[str, str, str, str]] = set()

    def add(spec: RefineSpec, split: str, videos: Sequence[str], purpose: str) -> None:
        for video in videos:
            key = (spec.masks, repr(spec.mask_settings), split, video)
            if key not in seen:
                seen.add(key)
                jobs.append(MaskletJob(spec, split, video, purpose))

    for source in sources:
        spec = refine_spec(settings, baseline, source)
        evaluated = spec.videos()
        if "first video" in purposes:
            add(spec, spec.split, evaluated[:1], "first video")
        if "evaluated" in purposes:
            add(spec, spec.split, evaluated, "evaluated")
        if "classifier" in purposes:
            for label, (kind, overrides) in CLASSIFIER_MASKLETS.items():
                if kind != source:
                    continue
                kind_spec = refine_spec(settings, baseline, source, **overrides)
                for features in settings.classifier.features:
                    for split in classifier_splits(features):
                        if picks is None or (label, features, split) in picked:
                            add(kind_spec, split, list(open_split(spec.data_root, split).videos), "classifier")
        if "knob sweep" in purposes and source == sweep_source(settings):
            first = evaluated[:settings.knob_sweep.videos]
            add(spec, spec.split, first, "knob sweep")  # the source's own settings: the sweep's reference rows
            for _, _, _, overrides in sweep_points(settings, source):
                if overrides:
                    add(refine_spec(settings, baseline, source, **overrides), spec.split, first, "knob sweep")
    return jobs


def _sources(settings: StudySettings, sources: Sequence[str] | None) -> tuple[str, ...]:
    """``sources``, or by default those of ``masklets.sources`` among :data:`PREFETCHED`; each one the settings run.

    Raises
    ------
    ParameterError : a source the settings do not run.
    """
    run = settings.masklets.sources
    chosen = tuple(name for name in run if name in PREFETCHED) if sources is None else tuple(sources)
    absent = [name for name in chosen if name not in run]
    if absent:
        raise ParameterError(f"masklet source(s) {absent} are not among masklets.sources {list(run)}")
    return chosen


class _MakeMasklets:
    """Picklable task: one job's masklets, made (or found) through :func:`masklet_ids`; the seconds it took."""

    def __call__(self, job: MaskletJob) -> float:
        video, fingerprint = load_video(job.spec, job.video, job.split)
        started = time.perf_counter()
        masklet_ids(job.spec, video, fingerprint)
        return time.perf_counter() - started


def prefetch_masklets(settings: StudySettings, *, jobs: int, purposes: Collection[str] = PURPOSES,
                      sources: Sequence[str] | None = None, picks: Collection[ClassifierRow] | None = None,
                      progress: bool = True) -> PrefetchReport:
    """Make the products of :func:`masklet_jobs` that are not cached yet, ``jobs`` at a time (worker processes;
    1: in this process); the benchmark is generated first where it does not exist.

    Raises
    ------
    ParameterError : ``jobs`` < 1, or as :func:`masklet_jobs`.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs={jobs!r} must be an integer >= 1")
    Study(settings, progress=progress).data_root  # noqa: B018 - generates the benchmark on first use
    sources = _sources(settings, sources)
    wanted = masklet_jobs(settings, purposes=purposes, sources=sources, picks=picks)
    todo = [job for job in wanted if not is_cached(masklet_cache(job.spec), job.video,
                                                   video_fingerprint(job.spec, job.video, job.split))]
    started = time.perf_counter()
    seconds: list[float] = []
    if todo:
        with create_executor(workers=min(jobs, len(todo))) as executor:
            seconds = executor.map(_MakeMasklets(), todo, desc=f"{' and '.join(sources)} masklets",
                                   progress=progress)
    return PrefetchReport(made=len(todo), cached=len(wanted) - len(todo), seconds=time.perf_counter() - started,
                          compute_seconds=float(sum(seconds)), jobs=min(jobs, max(len(todo), 1)), sources=sources)
