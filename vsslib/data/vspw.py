"""Reader of the VSPW release layout (Miao et al., CVPR 2021), used for real VSPW and the generated benchmark.

Layout::

    root/train.txt, root/val.txt, root/test.txt      one video name a line
    root/classes.txt                                 optional: one class name a line (else VSPW's 124)
    root/data/<video>/origin/<frame>.jpg             RGB frames
    root/data/<video>/mask/<frame>.png               raw labels: 0 = "others", 1..C classes, 255 = void
    root/data/<video>/instance/<frame>.png           optional 16-bit instance ids, 0 = none

Label remap ("reduce zero label", as the VSPW baselines CFFM, MRCFA and TV3S train and evaluate): raw 0 and
raw 255 become 255 (ignored), raw k in 1..C becomes k-1. Models and metrics therefore see classes 0..C-1
and 255 = ignore. Any other raw value is an error that names the file, the value and its pixel count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import read_image
from ..errors import DataError
from .vspw_classes import VSPW_CLASSES, make_palette

__all__ = ["Video", "VSPWDataset", "IGNORE_INDEX", "SPLITS", "remap_labels"]

IGNORE_INDEX = 255
SPLITS = ("train", "val", "test")


@dataclass(frozen=True, eq=False)
class Video:
    """One video clip.

    Attributes
    ----------
    name : video name (folder under ``root/data``).
    frame_ids : sorted frame stems, e.g. ``["00000000", "00000001", ...]``.
    frames : (T, H, W, 3) uint8 RGB.
    labels : (T, H, W) uint8, classes 0..C-1, 255 = ignore; ``None`` where the split has no masks.
    instances : (T, H, W) int32, 0 = none; ``None`` where the dataset has no instance maps.
    """

    name: str
    frame_ids: list[str]
    frames: np.ndarray
    labels: np.ndarray | None = None
    instances: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return len(self.frame_ids)

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the frames."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])


def remap_labels(raw: np.ndarray, num_classes: int, *, where: str = "mask") -> np.ndarray:
    """Map raw VSPW mask values to training ids: 0 and 255 -> 255, k in 1..C -> k-1.

    Parameters
    ----------
    raw : integer array of raw mask values.
    num_classes : C.
    where : file name used in the error message.

    Raises
    ------
    DataError : a value that is neither 0, 1..C nor 255 (names the value and its pixel count).
    """
    raw = np.asarray(raw)
    if raw.dtype != np.uint8:
        if raw.size and (raw.min() < 0 or raw.max() > 255):
            bad = int(raw.max() if raw.max() > 255 else raw.min())
            raise DataError(f"{where}: label value {bad} is neither a class (1..{num_classes}) nor void "
                            f"(0 or 255)")
        raw = raw.astype(np.uint8)
    counts = np.bincount(raw.ravel(), minlength=256)
    valid = np.zeros(256, dtype=bool)
    valid[[0, 255]] = True
    valid[1 : num_classes + 1] = True
    invalid = np.flatnonzero((counts > 0) & ~valid)
    if invalid.size:
        value = int(invalid[0])
        raise DataError(f"{where}: label value {value} ({int(counts[value])} pixels) is neither a class "
                        f"(1..{num_classes}) nor void (0 or 255)")
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    lut[1 : num_classes + 1] = np.arange(num_classes, dtype=np.uint8)
    return lut[raw]


class VSPWDataset:
    """A split of a dataset in the VSPW layout.

    Parameters
    ----------
    root : dataset root (holds ``data/`` and the split files).
    split : ``"train"``, ``"val"`` or ``"test"``.

    Raises
    ------
    DataError : a missing root, split file, or a split naming a video folder that does not exist.
    """

    def __init__(self, root: str | os.PathLike[str], split: str = "val") -> None:
        self.root = Path(root)
        if split not in SPLITS:
            raise DataError(f"split {split!r} is not one of {', '.join(SPLITS)}")
        self.split = split
        if not self.root.is_dir():
            raise DataError(f"{self.root}: dataset root not found (expected data/ and {split}.txt inside; "
                            "generate the embedded benchmark with `python -m vsslib generate --out ROOT`)")
        split_file = self.root / f"{split}.txt"
        if not split_file.is_file():
            raise DataError(f"{split_file}: split file not found")
        self.videos: list[str] = [line.strip() for line in split_file.read_text().splitlines() if line.strip()]
        for name in self.videos:
            if not (self.root / "data" / name / "origin").is_dir():
                raise DataError(f"{split_file}: names video {name!r}, but {self.root / 'data' / name / 'origin'} "
                                "does not exist")
        classes_file = self.root / "classes.txt"
        if classes_file.is_file():
            names = [line.strip() for line in classes_file.read_text().splitlines() if line.strip()]
            if not names or len(names) > 254:
                raise DataError(f"{classes_file}: expected 1..254 class names, found {len(names)}")
            self.class_names: tuple[str, ...] = tuple(names)
        else:
            self.class_names = VSPW_CLASSES
        self.num_classes = len(self.class_names)
        self.palette = make_palette(self.num_classes)

    # ------------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"VSPWDataset(root={str(self.root)!r}, split={self.split!r}, videos={len(self.videos)})"

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[Video]:
        for name in self.videos:
            yield self.load(name)

    @property
    def name(self) -> str:
        """Short description for titles: "generated benchmark (not VSPW)" or "VSPW"."""
        if (self.root / "benchmark.json").is_file():
            return "generated benchmark (not VSPW)"
        return "VSPW"

    def frame_paths(self, video: str) -> list[Path]:
        """Sorted JPEG frame files of ``video``."""
        folder = self.root / "data" / video / "origin"
        if not folder.is_dir():
            raise DataError(f"{folder}: frame folder of video {video!r} not found")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
        if not paths:
            raise DataError(f"{folder}: no JPEG frames (SAM2 and this reader expect .jpg frames; convert PNG "
                            "frames with e.g. `mogrify -format jpg *.png`)")
        return paths

    def mask_paths(self, video: str) -> list[Path] | None:
        """Mask files matching the frames of ``video``, or ``None`` if the video has no mask folder."""
        folder = self.root / "data" / video / "mask"
        if not folder.is_dir():
            return None
        paths = []
        for frame in self.frame_paths(video):
            mask = folder / f"{frame.stem}.png"
            if not mask.is_file():
                raise DataError(f"{frame}: frame has no mask (expected {mask})")
            paths.append(mask)
        return paths

    def input_paths(self, video: str) -> list[Path]:
        """Every file that defines ``video`` (frames, masks, instances): what a cache key fingerprints."""
        paths = list(self.frame_paths(video))
        paths += self.mask_paths(video) or []
        folder = self.root / "data" / video / "instance"
        if folder.is_dir():
            paths += sorted(folder.glob("*.png"))
        return paths

    def load(self, video: str) -> Video:
        """Read one video.

        Raises
        ------
        DataError : an unreadable image, a frame without its mask, a mask whose size differs from its
            frame, or a label value that is neither a class nor void.
        """
        if video not in self.videos:
            raise DataError(f"video {video!r} is not in {self.root / (self.split + '.txt')}")
        frame_paths = self.frame_paths(video)
        frames = np.stack([self._read_frame(p) for p in frame_paths])
        if len({f.shape for f in frames}) > 1:  # np.stack already fails; kept for clarity
            raise DataError(f"{video}: frames differ in size")
        labels = None
        mask_paths = self.mask_paths(video)
        if mask_paths is not None:
            labels = np.stack([self._read_mask(p, frames.shape[1:3], frame) for p, frame
                               in zip(mask_paths, frame_paths, strict=True)])
        instances = None
        instance_folder = self.root / "data" / video / "instance"
        if instance_folder.is_dir():
            maps = []
            for frame in frame_paths:
                path = instance_folder / f"{frame.stem}.png"
                ids = read_image(path)
                if ids.shape != frames.shape[1:3]:
                    raise DataError(f"{path}: instance map of size {ids.shape[1]}x{ids.shape[0]} differs from "
                                    f"its frame {frame} ({frames.shape[2]}x{frames.shape[1]})")
                maps.append(ids.astype(np.int32))
            instances = np.stack(maps)
        return Video(name=video, frame_ids=[p.stem for p in frame_paths], frames=frames, labels=labels,
                     instances=instances)

    @staticmethod
    def _read_frame(path: Path) -> np.ndarray:
        frame = read_image(path, mode="RGB")
        return frame

    def _read_mask(self, path: Path, frame_shape: tuple[int, int], frame_path: Path) -> np.ndarray:
        raw = read_image(path)
        if raw.ndim != 2:
            raise DataError(f"{path}: expected a single-channel label PNG, got shape {raw.shape}")
        if raw.shape != tuple(frame_shape):
            raise DataError(f"{path}: mask of size {raw.shape[1]}x{raw.shape[0]} differs from its frame "
                            f"{frame_path} ({frame_shape[1]}x{frame_shape[0]})")
        return remap_labels(raw, self.num_classes, where=str(path))
