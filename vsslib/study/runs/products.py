"""The per-video products both approaches share, each built once and cached: the skeleton of every run.

A run is a frozen, picklable :class:`RunSpec` (approach 1 and 2 extend it). For one video it needs:

- the **inputs**: the loaded :class:`~vsslib.data.Video` and the fingerprint of its files (:func:`load_video`);
- the **baseline** label map S (:func:`baseline_labels`): a trained network's prediction or a folder of
  predictions;
- the **masklets** (:func:`masklet_ids`), keyed by the source's name and resolved settings only, so runs
  that differ in anything else share them.

Each product is stored per video in a :class:`~vsslib.base.cache.ProductCache` together with the seconds its
computation took and the fingerprint of the inputs it was made from (:func:`cached_product`); a product whose
inputs changed is recomputed. Heavy objects (datasets, networks, the SAM2 model, feature sources) are built
once per worker process by :func:`memoised`, so a task carries only a spec and a video name.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ...base.io import read_image, save_png_atomic
from ...base.cache import ProductCache, fingerprint_files, key_fields, stable_hash
from ...base.errors import DataError, ParameterError

__all__ = ["RunSpec", "Product", "memoised", "open_split", "baseline_model", "masklet_source", "load_video",
           "video_fingerprint", "cached_product", "is_cached", "baseline_labels", "masklet_cache", "masklet_ids",
           "write_predictions", "flatten_counts", "unflatten_counts", "baseline_identity", "VIDEOS_KEPT"]

T = TypeVar("T")


@dataclass(frozen=True)
class RunSpec:
    """What every run over a split needs: the data, the baseline, the masklets, scoring and folders.

    Exactly one baseline: ``segmenter`` (a network trained on the train split, weights cached) or
    ``predictions`` (a folder ``<video>/<frame>.png`` of any model's predictions).
    """

    data_root: str  # dataset root in the VSPW layout
    cache_root: str  # per-video products, trained networks
    split: str = "val"  # evaluated split
    segmenter: str | None = None  # baseline network name (see vsslib.segmenters.list_segmenters)
    predictions: str | None = None  # or a folder of predictions <video>/<frame>.png
    train_seed: int = 0  # seed of baseline training
    masks: str = "classical"  # masklet source name (see vsslib.masks.list_masklet_sources)
    mask_settings: Any = None  # the source's own settings dataclass (resolve_masklet_settings); None: its defaults
    dilation_ratio: float = 0.02  # Boundary IoU band width, ratio of the image diagonal
    max_videos: int = 0  # only the first N videos of the split (0 = all)
    out: str | None = None  # OUT/pred/<video>/<frame>.png and OUT/metrics.json (None: nothing written)
    write_predictions: bool = True  # write OUT/pred/ (metrics.json is written whenever out is set)

    def __post_init__(self) -> None:
        if (self.segmenter is None) == (self.predictions is None):
            raise ParameterError("give exactly one baseline: a segmenter name or a predictions folder "
                                 f"(got segmenter={self.segmenter!r}, predictions={self.predictions!r})")
        if not self.dilation_ratio > 0:
            raise ParameterError(f"dilation_ratio={self.dilation_ratio!r} must be a positive ratio of the diagonal")
        if self.max_videos < 0:
            raise ParameterError(f"max_videos={self.max_videos} must be 0 (all) or positive")
        if self.mask_settings is not None:
            from ...masks import masklet_settings_type

            expected = masklet_settings_type(self.masks)
            if not isinstance(self.mask_settings, expected):
                raise ParameterError(f"mask_settings of masks={self.masks!r} must be a {expected.__name__} "
                                     f"(resolve_masklet_settings({self.masks!r}, ...)), got "
                                     f"{type(self.mask_settings).__name__}")

    @property
    def baseline_name(self) -> str:
        """How outputs name the baseline: the network's name or ``predictions:<folder name>``."""
        return self.segmenter if self.segmenter is not None else f"predictions:{Path(self.predictions).name}"

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def videos(self) -> list[str]:
        """The videos this run covers, in the split's order."""
        names = list(open_split(self.data_root, self.split).videos)
        return names[: self.max_videos] if self.max_videos else names

    def public_settings(self) -> dict[str, Any]:
        """The spec as plain values for ``metrics.json`` (folders of this machine left out; the masklet and feature
        sources' settings as :func:`~vsslib.base.cache.key_fields` give them: a file's path only where no digest stands
        for it)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name not in ("out", "cache_root", "data_root")}
        return {k: key_fields(v) if dataclasses.is_dataclass(v) else (list(v) if isinstance(v, tuple) else v)
                for k, v in values.items()}


@dataclass(frozen=True)
class Product:
    """One video's cached product: its arrays, the seconds its computation took, and its input fingerprint."""

    arrays: dict[str, np.ndarray]
    seconds: float
    fingerprint: str


# ------------------------------------------------------------------------- heavy objects, once per process
_memo: dict[str, Any] = {}
_videos: OrderedDict[tuple[str, str, str], tuple[tuple, Any, str]] = OrderedDict()
VIDEOS_KEPT = 32  # videos load_video keeps in memory per process (about 12 MB each at 48 x 128 x 224)


def memoised(key: str, build: Callable[[], T]) -> T:
    """``build()``, called once per process for each ``key`` (datasets, networks, models)."""
    if key not in _memo:
        _memo[key] = build()
    return _memo[key]


def open_split(data_root: str, split: str) -> Any:
    """The :class:`~vsslib.data.VSPWDataset` of a split (once per process)."""
    from ...data import VSPWDataset

    return memoised(f"dataset:{data_root}:{split}", lambda: VSPWDataset(data_root, split))


def baseline_model(spec: RunSpec) -> Any:
    """The baseline of ``spec``: a trained network or a :class:`PredictionsOnDisk` (once per process).

    Raises
    ------
    DataError : the predictions folder does not exist.
    ParameterError : unknown segmenter name.
    """
    def build() -> Any:
        from ...segmenters import PredictionsOnDisk, create_segmenter

        if spec.segmenter is not None:
            return create_segmenter(spec.segmenter, dataset_root=spec.data_root, cache_root=spec.cache_root,
                                    seed=spec.train_seed, progress=False)
        folder = Path(spec.predictions)
        if not folder.is_dir():
            raise DataError(f"{folder}: prediction folder not found (expected <video>/<frame>.png inside)")
        return PredictionsOnDisk(folder, open_split(spec.data_root, spec.split).num_classes)

    return memoised(f"segmenter:{spec.data_root}:{spec.segmenter}:{spec.predictions}:{spec.train_seed}:"
                    f"{spec.cache_root}", build)


def baseline_identity(spec: RunSpec) -> str:
    """What baseline products are keyed by: the network's name and a digest of its weights, or the folder."""
    def build() -> str:
        if spec.segmenter is None:
            return f"predictions:{os.path.abspath(spec.predictions)}"
        import torch

        state = baseline_model(spec).state_dict()
        digest = stable_hash({name: tensor.detach().cpu().numpy() for name, tensor in state.items()
                              if isinstance(tensor, torch.Tensor)})
        return f"{spec.segmenter}:{digest}"

    return memoised(f"identity:{spec.data_root}:{spec.segmenter}:{spec.predictions}:{spec.train_seed}:"
                    f"{spec.cache_root}", build)


def masklet_source(name: str, settings: Any = None) -> Any:
    """The masklet source ``name`` holding ``settings``, its own settings dataclass (None: its defaults); once
    per process for equal settings, so SAM2 loads once."""
    from ...masks import create_masklet_source

    return memoised(f"masks:{name}:{settings!r}", lambda: create_masklet_source(name, settings=settings))


# ------------------------------------------------------------------------------------------------ products
def load_video(spec: RunSpec, name: str, split: str | None = None) -> tuple[Any, str]:
    """A video of the split and the fingerprint of its input files.

    The last :data:`VIDEOS_KEPT` videos read stay in memory, read-only, while their files are unchanged.

    Raises
    ------
    DataError : the video has no ground truth (every run scores or trains against it).
    """
    split = split or spec.split
    dataset = open_split(spec.data_root, split)
    paths = dataset.input_paths(name)
    # Runs of one process read the same videos many times: keep the last ones read, as long as none of their
    # files changed (name, size and modification time of each; a changed file is read and fingerprinted again).
    signature = tuple((str(p), *_stat(p)) for p in paths)
    key = (str(spec.data_root), split, name)
    found = _videos.get(key)
    if found is not None and found[0] == signature:
        _videos.move_to_end(key)
        return found[1], found[2]
    video = dataset.load(name)
    if video.labels is None:
        raise DataError(f"video {name!r} of split {split!r} has no ground truth: metrics need masks")
    for array in (video.frames, video.labels, video.instances, video.raw_labels):
        if array is not None:
            array.flags.writeable = False  # shared by every caller from now on
    fingerprint = video_fingerprint(spec, name, split)
    _videos[key] = (signature, video, fingerprint)
    while len(_videos) > VIDEOS_KEPT:
        _videos.popitem(last=False)
    return video, fingerprint


def video_fingerprint(spec: RunSpec, name: str, split: str | None = None) -> str:
    """The fingerprint of a video's input files (what its products are stored under), without loading it."""
    return fingerprint_files(open_split(spec.data_root, split or spec.split).input_paths(name))


def _stat(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def cached_product(cache: ProductCache, video: str, fingerprint: str,
                   compute: Callable[[], dict[str, np.ndarray]]) -> Product:
    """``video``'s product from ``cache`` if it was made from the same inputs, else computed, timed and stored.

    Each product is stored under its video's name and the fingerprint of its inputs (``<video>@<fingerprint>``),
    so the products of two datasets whose videos share names (the development and the confirmation benchmark)
    stay side by side instead of replacing each other; a product stored under the bare name (before entries
    carried the fingerprint) is still read when its inputs match. Making it holds the product's lock
    (:meth:`~vsslib.base.cache.ProductCache.making`): notebooks that run side by side and need the same product
    compute it once; the second waits and reads it."""
    entry = f"{video}@{fingerprint}"
    product = _stored(cache, video, fingerprint)
    if product is not None:
        return product
    with cache.making(entry):
        product = _stored(cache, video, fingerprint)  # made by another process while this one waited
        if product is not None:
            return product
        started = time.perf_counter()
        arrays = compute()
        seconds = time.perf_counter() - started
        cache.save(entry, **arrays, seconds=np.array(seconds), fingerprint=np.array(fingerprint))
    return Product(arrays, seconds, fingerprint)


def _stored(cache: ProductCache, video: str, fingerprint: str) -> Product | None:
    for name in (f"{video}@{fingerprint}", video):
        found = cache.load(name, only_if={"fingerprint": fingerprint})  # another input's product: left unread
        if found is not None:
            seconds = float(found.pop("seconds"))
            found.pop("fingerprint")
            return Product(found, seconds, fingerprint)
    return None


def is_cached(cache: ProductCache, video: str, fingerprint: str) -> bool:
    """Whether :func:`cached_product` would find ``video``'s product made from inputs of ``fingerprint``."""
    return _stored(cache, video, fingerprint) is not None


def baseline_labels(spec: RunSpec, video: Any, fingerprint: str) -> Product:
    """The baseline prediction of one video: ``arrays["labels"]`` (T, H, W) uint8, 255 = none.

    Raises
    ------
    DataError : a prediction file is missing (names the first one and how many are), or its shape differs
        from the frames'.
    """
    model = baseline_model(spec)
    cache = ProductCache(spec.cache_root, "baseline", {"segmenter": baseline_identity(spec)})
    if spec.predictions is not None:  # the prediction files are inputs too
        files = [model.path(video.name, f) for f in video.frame_ids]
        missing = [p for p in files if not p.is_file()]
        if missing:
            raise DataError(f"{missing[0]}: prediction of video {video.name!r} frame {missing[0].stem} not found "
                            f"({len(missing)} of {len(files)} frames missing)")
        fingerprint = stable_hash([fingerprint, fingerprint_files(files)])
    product = cached_product(cache, video.name, fingerprint, lambda: {"labels": model.predict(video)})
    if product.arrays["labels"].shape != video.labels.shape:
        raise DataError(f"video {video.name!r}: baseline predictions of shape {product.arrays['labels'].shape} differ "
                        f"from the frames {video.labels.shape} (T, H, W)")
    return product


def masklet_cache(spec: RunSpec) -> ProductCache:
    """Where the masklets of ``spec``'s source are stored: keyed by the source's name and its resolved settings."""
    source = masklet_source(spec.masks, spec.mask_settings)
    return ProductCache(spec.cache_root, "masklets", {"source": spec.masks, "settings": source.settings})


def masklet_ids(spec: RunSpec, video: Any, fingerprint: str) -> Product:
    """The masklets of one video: ``arrays["ids"]`` (T, H, W) int32, -1 = none, and ``arrays["peak_memory_mib"]``
    (W,) float64, the peak device memory of each propagated window (empty for sources that do not measure it)."""
    source = masklet_source(spec.masks, spec.mask_settings)
    cache = masklet_cache(spec)

    def compute() -> dict[str, np.ndarray]:
        peaks = getattr(source, "peak_memory_mib", None)  # SAM2 sources measure each propagated window
        before = len(peaks) if peaks is not None else 0
        ids = source(video.frames, video)
        window_peaks = np.array(peaks[before:] if peaks is not None else [], np.float64)
        return {"ids": ids, "peak_memory_mib": window_peaks}

    return cached_product(cache, video.name, fingerprint, compute)


def write_predictions(folder: str | os.PathLike[str], frame_ids: Sequence[str], labels: np.ndarray) -> int:
    """Write ``folder/<frame>.png`` for each frame atomically, leaving files that already hold these labels.

    Parameters
    ----------
    folder : the video's prediction folder.
    frame_ids : T frame names.
    labels : (T, H, W) uint8 class ids, 255 = none.

    Returns
    -------
    Number of files written (0 on a re-run of a finished video: their times stay unchanged).
    """
    written = 0
    for frame_id, frame in zip(frame_ids, labels, strict=True):
        path = Path(folder) / f"{frame_id}.png"
        if path.is_file():
            try:
                if np.array_equal(read_image(path), frame):
                    continue
            except DataError:  # unreadable: overwrite it
                pass
        save_png_atomic(path, frame)
        written += 1
    return written


def flatten_counts(counts: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Metric counts of several variants as one flat dict (``"<variant>.<key>"``) for one ``.npz`` file."""
    return {f"{variant}.{key}": value for variant, arrays in counts.items() for key, value in arrays.items()}


def unflatten_counts(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """The inverse of :func:`flatten_counts`."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, value in arrays.items():
        variant, _, key = name.partition(".")
        out.setdefault(variant, {})[key] = value
    return out
