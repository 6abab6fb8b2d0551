"""Any model's predictions, read from PNG files: refine the outputs of your own VSS model.

Layout (the one VSPW's evaluation scripts read): ``<folder>/<video>/<frame>.png``, one single-channel
uint8 PNG per frame, named like the frame (``00000001.png`` for ``origin/00000001.jpg``), holding class
ids ``0..C-1`` and ``255`` for "no prediction". Palette ("P" mode) PNGs are read as their indices.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.io import read_image, save_png_atomic
from ..base.errors import DataError, ParameterError

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["PredictionsOnDisk", "save_predictions"]

NONE_VALUE = 255


class PredictionsOnDisk:
    """A segmenter whose predictions are PNG files on disk.

    Parameters
    ----------
    folder : root of ``<video>/<frame>.png``.
    num_classes : number of classes C; every stored value must be ``< C`` or 255.
    """

    def __init__(self, folder: str | os.PathLike[str], num_classes: int) -> None:
        if not 1 <= int(num_classes) <= 255:
            raise ParameterError(f"num_classes={num_classes} must be in 1..255 (uint8 PNGs, 255 = none)")
        self.folder = Path(folder)
        self.num_classes = int(num_classes)
        self.name = f"predictions:{self.folder.name}"

    def __repr__(self) -> str:
        return f"PredictionsOnDisk({str(self.folder)!r}, num_classes={self.num_classes})"

    def path(self, video: str, frame_id: str) -> Path:
        """File holding the prediction of one frame."""
        return self.folder / video / f"{frame_id}.png"

    def predict(self, video: Video) -> np.ndarray:
        """Read the predictions of every frame of ``video`` (``video.frame_ids``, in order).

        Returns
        -------
        (T, H, W) uint8 class ids, 255 = none.

        Raises
        ------
        DataError : the video folder or a frame's file is missing or unreadable, a file is not a
            single-channel 8-bit image, its size differs from the frame's, or it holds a value ``>= C``
            other than 255; the message names the file and the video.
        """
        video_folder = self.folder / video.name
        if not video_folder.is_dir():
            raise DataError(f"{video_folder}: no prediction folder for video {video.name!r} (expected "
                            f"<folder>/<video>/<frame>.png)")
        frame_shape = tuple(video.frames.shape[1:3])
        labels = np.empty((len(video.frame_ids), *frame_shape), dtype=np.uint8)
        for t, frame_id in enumerate(video.frame_ids):
            path = self.path(video.name, frame_id)
            if not path.is_file():
                raise DataError(f"{path}: prediction of frame {frame_id} of video {video.name!r} not found")
            image = read_image(path)
            if image.ndim != 2 or image.dtype != np.uint8:
                raise DataError(f"{path}: a prediction must be a single-channel 8-bit PNG of class ids, got "
                                f"an array of shape {image.shape} and dtype {image.dtype} (video "
                                f"{video.name!r})")
            if image.shape != frame_shape:
                raise DataError(f"{path}: prediction of shape {image.shape} but frame {frame_id} of video "
                                f"{video.name!r} has shape {frame_shape}; save predictions at frame size")
            labels[t] = image
        counts = np.bincount(labels.reshape(-1), minlength=256)
        bad = np.flatnonzero(counts[self.num_classes:NONE_VALUE])
        if bad.size:
            value = int(bad[0]) + self.num_classes
            t = int(np.flatnonzero((labels == value).any(axis=(1, 2)))[0])
            raise DataError(f"{self.path(video.name, video.frame_ids[t])}: value {value} is not a class id "
                            f"(0..{self.num_classes - 1}) nor {NONE_VALUE} (none) (video {video.name!r})")
        return labels


def save_predictions(folder: str | os.PathLike[str], video_name: str, frame_ids: Sequence[str],
                     labels: np.ndarray) -> list[Path]:
    """Write one video's label maps as ``<folder>/<video_name>/<frame_id>.png``, each atomically.

    Parameters
    ----------
    folder : predictions root.
    video_name : sub-folder name.
    frame_ids : (T,) frame stems, in order.
    labels : (T, H, W) uint8 class ids, 255 = none.

    Returns
    -------
    list of Path : the files written, in frame order.

    Raises
    ------
    DataError : ``labels`` is not (T, H, W) uint8 with T = ``len(frame_ids)``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 3 or labels.dtype != np.uint8 or len(labels) != len(frame_ids):
        raise DataError(f"video {video_name!r}: labels must be (T, H, W) uint8 with T = {len(frame_ids)} frame "
                        f"ids, got shape {labels.shape} and dtype {labels.dtype}")
    root = Path(folder) / video_name
    return [save_png_atomic(root / f"{frame_id}.png", label) for frame_id, label in zip(frame_ids, labels)]
