"""Reader of the VSPW release layout (Miao et al., CVPR 2021), for real VSPW and for the generated benchmark.

Layout::

    root/train.txt, root/val.txt, root/test.txt   one video name a line
    root/classes.txt                              optional: one class name a line (else VSPW's 124)
    root/data/<video>/origin/<frame>.jpg          RGB frames (SAM2 reads JPEG folders with integer stems)
    root/data/<video>/mask/<frame>.png            raw labels: 0 = "others", 1..C classes, 255 = void
    root/data/<video>/instance/<frame>.png        optional 8- or 16-bit instance ids, 0 = none

Label remap, the "reduce zero label" convention with which the VSPW baselines (CFFM, MRCFA, TV3S) train and
evaluate, and the one VSPW's README recommends: raw 0 ("others") and raw 255 (void) become 255 = ignore, raw
k in 1..C becomes class k-1. Models and metrics therefore see classes 0..C-1 and 255. Any other raw value is
an error naming the file, the value and its pixel count. Only the test split may come without masks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.io import read_image
from ..base.errors import DataError
from .vspw_classes import VSPW_CLASSES, class_palette

__all__ = ["Video", "VSPWDataset", "IGNORE_INDEX", "SPLITS", "VSPW_VIDEOS", "VSPW_FRAMES", "remap_labels"]

IGNORE_INDEX = 255
SPLITS = ("train", "val", "test")
VSPW_VIDEOS = 3_536
"""Videos of VSPW, all splits (ICCV 2021 challenge report, arXiv 2109.01316)."""
VSPW_FRAMES = 251_633
"""Annotated frames of VSPW, all splits (same source): about 71 a video."""
_FRAME_SUFFIXES = (".jpg", ".jpeg")


@dataclass(frozen=True, eq=False)
class Video:
    """One video clip in memory.

    Attributes
    ----------
    name : video name (its folder under ``root/data``).
    frame_ids : sorted frame stems, e.g. ``["00000000", "00000001", ...]``; T entries.
    frames : (T, H, W, 3) uint8 RGB.
    labels : (T, H, W) uint8, classes 0..C-1, 255 = ignore; ``None`` where the split has no masks.
    instances : (T, H, W) int32 instance ids, 0 = none; ``None`` where the dataset has no instance maps.
    raw_labels : (T, H, W) the mask values as stored (0 = "others", 1..C, 255 = void), before the remap;
        ``None`` where ``labels`` is. VSPW's ``VC_perclip.py`` compares these (0 and 255 stay distinct).
    """

    name: str
    frame_ids: list[str]
    frames: np.ndarray
    labels: np.ndarray | None = None
    instances: np.ndarray | None = None
    raw_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        frames = self.frames
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise DataError(f"video {self.name!r}: frames must be (T, H, W, 3), got shape {frames.shape}")
        if len(self.frame_ids) != frames.shape[0]:
            raise DataError(f"video {self.name!r}: {len(self.frame_ids)} frame ids for {frames.shape[0]} frames")
        for key in ("labels", "instances", "raw_labels"):
            array = getattr(self, key)
            if array is not None and array.shape != frames.shape[:3]:
                raise DataError(f"video {self.name!r}: {key} of shape {array.shape} do not match frames "
                                f"{frames.shape[:3]}")

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return len(self.frame_ids)

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the frames."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])


def remap_labels(raw: np.ndarray, num_classes: int, *, where: str = "mask") -> np.ndarray:
    """Map raw VSPW mask values to class ids: 0 and 255 -> 255 (ignore), k in 1..C -> k-1.

    Parameters
    ----------
    raw : (...) integer array of raw mask values (uint8, or wider as read from a 16-bit PNG).
    num_classes : C, the number of classes (raw values 1..C are classes).
    where : what the values came from (a file name), for the error message.

    Returns
    -------
    (...) uint8 array of class ids 0..C-1 and 255.

    Raises
    ------
    DataError : a value that is neither a class nor void; names ``where``, the value and its pixel count.
    """
    raw = np.asarray(raw)
    if raw.dtype.kind not in "ui":
        raise DataError(f"{where}: label values must be integers, got dtype {raw.dtype}")
    if raw.dtype == np.uint8:  # the usual case: one bincount
        counts = np.bincount(raw.ravel(), minlength=256)
        values = np.flatnonzero(counts)
        counts = counts[values]
    else:  # 16-bit PNGs: values may exceed 255
        values, counts = np.unique(raw, return_counts=True)
    valid = (values == 0) | (values == IGNORE_INDEX) | ((values >= 1) & (values <= num_classes))
    if not valid.all():
        bad = np.flatnonzero(~valid)
        listing = ", ".join(f"{int(values[i])} ({int(counts[i])} pixels)" for i in bad[:5])
        raise DataError(f"{where}: label value {listing} is neither a class (1..{num_classes}) nor void "
                        f"(0 or 255); fix the mask or list the classes in classes.txt")
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    lut[1 : num_classes + 1] = np.arange(num_classes, dtype=np.uint8)
    return lut[raw.astype(np.uint8, copy=False)]


class VSPWDataset:
    """One split of a dataset in the VSPW layout.

    Parameters
    ----------
    root : dataset root (holds ``data/`` and the split files).
    split : ``"train"``, ``"val"`` or ``"test"``.

    Attributes
    ----------
    root, split : as given (``root`` as a Path).
    videos : video names in split-file order.
    class_names : C names, from ``root/classes.txt`` if present, else VSPW's 124.
    num_classes : C.
    palette : (C, 3) uint8 RGB colour of each class (see :func:`vsslib.data.vspw_classes.class_palette`).

    Raises
    ------
    DataError : a missing root or split file, a split naming a video folder that does not exist, an unknown
        split, or a ``classes.txt`` with duplicate names or more than 254 classes.
    """

    def __init__(self, root: str | os.PathLike[str], split: str = "val") -> None:
        self.root = Path(root)
        if split not in SPLITS:
            raise DataError(f"split {split!r} is not one of {', '.join(SPLITS)}")
        self.split = split
        if not self.root.is_dir():
            raise DataError(f"{self.root}: dataset root not found (expected data/ and {split}.txt inside); "
                            "generate the benchmark with `python -m vsslib generate --out ROOT`")
        split_file = self.root / f"{split}.txt"
        if not split_file.is_file():
            raise DataError(f"{split_file}: split file not found (one video name a line)")
        self.videos: list[str] = [line.strip() for line in split_file.read_text().splitlines() if line.strip()]
        for name in self.videos:
            folder = self.root / "data" / name / "origin"
            if not folder.is_dir():
                raise DataError(f"{split_file}: names video {name!r}, but {folder} does not exist")
        self.class_names: tuple[str, ...] = self._read_class_names()
        self.num_classes = len(self.class_names)
        self.palette: np.ndarray = class_palette(self.class_names)

    def _read_class_names(self) -> tuple[str, ...]:
        path = self.root / "classes.txt"
        if not path.is_file():
            return VSPW_CLASSES
        names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if not 1 <= len(names) <= 254:
            raise DataError(f"{path}: expected 1..254 class names (raw values 1..C, 255 is void), found "
                            f"{len(names)}")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DataError(f"{path}: class names must be unique; repeated: {', '.join(duplicates)}")
        return tuple(names)

    def __repr__(self) -> str:
        return f"VSPWDataset(root={str(self.root)!r}, split={self.split!r}, videos={len(self.videos)})"

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[Video]:
        for name in self.videos:
            yield self.load(name)

    @property
    def name(self) -> str:
        """How titles name the data: ``"generated benchmark (not VSPW)"`` or ``"VSPW"``."""
        if (self.root / "benchmark.json").is_file():
            return "generated benchmark (not VSPW)"
        return "VSPW"

    # ------------------------------------------------------------------------------------------ files
    def _folder(self, video: str, kind: str) -> Path:
        return self.root / "data" / video / kind

    def frame_paths(self, video: str) -> list[Path]:
        """Sorted JPEG frame files of ``video`` (``root/data/<video>/origin/*.jpg``)."""
        folder = self._folder(video, "origin")
        if not folder.is_dir():
            raise DataError(f"{folder}: frame folder of video {video!r} not found")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in _FRAME_SUFFIXES)
        if not paths:
            raise DataError(f"{folder}: no JPEG frames; SAM2 and this reader expect <integer>.jpg frames "
                            "(convert PNG frames with e.g. `mogrify -format jpg -quality 95 *.png`)")
        return paths

    def mask_paths(self, video: str) -> list[Path] | None:
        """Mask file of each frame of ``video``, in frame order; ``None`` for a test video without masks.

        Raises
        ------
        DataError : a frame without its mask, or a train/val video without a mask folder.
        """
        return self._paired_paths(video, "mask", optional=self.split == "test")

    def instance_paths(self, video: str) -> list[Path] | None:
        """Instance map of each frame of ``video``, or ``None`` where the video has no instance folder."""
        return self._paired_paths(video, "instance", optional=True)

    def _paired_paths(self, video: str, kind: str, *, optional: bool) -> list[Path] | None:
        folder = self._folder(video, kind)
        if not folder.is_dir():
            if optional:
                return None
            raise DataError(f"{folder}: video {video!r} of the {self.split} split has no {kind} folder (only "
                            "the test split may come without masks)")
        paths = []
        for frame in self.frame_paths(video):
            path = folder / f"{frame.stem}.png"
            if not path.is_file():
                raise DataError(f"{frame}: frame has no {kind} (expected {path})")
            paths.append(path)
        return paths

    def input_paths(self, video: str) -> list[Path]:
        """Every file that defines ``video`` (frames, masks, instance maps): what a cache key fingerprints."""
        return (self.frame_paths(video) + (self.mask_paths(video) or [])
                + (self.instance_paths(video) or []))

    # ------------------------------------------------------------------------------------------- load
    def load(self, video: str) -> Video:
        """Read one video of the split.

        Returns
        -------
        The :class:`Video`: frames (T, H, W, 3) uint8, labels (T, H, W) uint8 remapped (``None`` for a test
        video without masks), instances (T, H, W) int32 (``None`` without instance maps).

        Raises
        ------
        DataError : a video not in the split, an unreadable image, frames of different sizes, a frame
            without its mask, a mask or instance map whose size differs from its frame, or a label value
            that is neither a class nor void.
        """
        if video not in self.videos:
            raise DataError(f"video {video!r} is not in {self.root / (self.split + '.txt')}")
        frame_paths = self.frame_paths(video)
        first = read_image(frame_paths[0], mode="RGB")
        frames = np.empty((len(frame_paths), *first.shape), dtype=np.uint8)
        frames[0] = first
        for t, path in enumerate(frame_paths[1:], start=1):
            frame = read_image(path, mode="RGB")
            if frame.shape != first.shape:
                raise DataError(f"{path}: frame of size {_size(frame)} differs from the first frame "
                                f"{frame_paths[0]} ({_size(first)}); all frames of a video must share a size")
            frames[t] = frame
        labels = instances = raw_labels = None
        mask_paths = self.mask_paths(video)
        if mask_paths is not None:
            raw_labels = np.stack([self._read_map(path, frame, first, "mask")
                                   for path, frame in zip(mask_paths, frame_paths, strict=True)])
            labels = np.stack([remap_labels(raw, self.num_classes, where=str(path))
                               for raw, path in zip(raw_labels, mask_paths, strict=True)])
        instance_paths = self.instance_paths(video)
        if instance_paths is not None:
            instances = np.stack([self._read_map(path, frame, first, "instance map").astype(np.int32)
                                  for path, frame in zip(instance_paths, frame_paths, strict=True)])
        return Video(name=video, frame_ids=[p.stem for p in frame_paths], frames=frames, labels=labels,
                     instances=instances, raw_labels=raw_labels)

    @staticmethod
    def _read_map(path: Path, frame_path: Path, frame: np.ndarray, kind: str) -> np.ndarray:
        """A single-channel PNG (mask or instance map) checked against the size of its frame."""
        array = read_image(path)
        if array.ndim != 2 or array.dtype.kind not in "ui":
            raise DataError(f"{path}: expected a single-channel integer PNG, got shape {array.shape} and dtype "
                            f"{array.dtype} (colour-coded masks must be converted to class ids)")
        if array.shape != frame.shape[:2]:
            raise DataError(f"{path}: {kind} of size {_size(array)} differs from its frame {frame_path} "
                            f"({_size(frame)})")
        return array


def _size(image: np.ndarray) -> str:
    """``"WxH"`` of an image array, the way image viewers print sizes."""
    return f"{image.shape[1]}x{image.shape[0]}"
