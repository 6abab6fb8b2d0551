"""Training samples for sam2-mini: frames and exact instance masks of generated videos, as sam2 batches.

A :class:`ClipSampler` holds the videos of a generated benchmark resized once to the model's square input
(frames bilinear, instance maps nearest) and draws batches in the layout of sam2's training package
(``training.utils.data_utils.BatchedVideoDatapoint``): ``img_batch (T, B, 3, S, S) float32`` normalised
with ImageNet statistics (as ``SAM2Transforms``), ``masks (T, O, S, S) bool``, ``obj_to_frame_idx
(T, O, 2) int32`` holding (frame, clip) pairs. ``frames=1`` gives single images (stage 1: many objects,
point prompts); ``frames>1`` gives clips whose objects are those visible on the first frame (stage 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.errors import DataError, ParameterError

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "VideoTensors", "ClipSampler", "evaluation_batches", "load_videos",
           "resize_video", "normalise"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


@dataclass(frozen=True)
class VideoTensors:
    """One video at the model's input size: ``frames (T, S, S, 3) uint8``, ``instances (T, S, S) int32``."""

    name: str
    frames: np.ndarray
    instances: np.ndarray


def resize_video(frames: np.ndarray, instances: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize ``frames (T, H, W, 3) uint8`` (bilinear) and ``instances (T, H, W)`` (nearest) to ``size`` x ``size``.

    Returns ``(T, size, size, 3) uint8`` and ``(T, size, size) int32``.
    """
    from PIL import Image

    if frames.ndim != 4 or frames.shape[-1] != 3 or instances.shape != frames.shape[:3]:
        raise DataError(f"frames {frames.shape} and instances {instances.shape} must be (T, H, W, 3) and (T, H, W)")
    out_frames = np.stack([np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR)) for f in frames])
    out_ids = np.stack([np.asarray(Image.fromarray(i.astype(np.int32)).resize((size, size), Image.NEAREST))
                        for i in instances]).astype(np.int32)
    return out_frames, out_ids


def evaluation_batches(videos: list[VideoTensors], count: int, rng: np.random.Generator, *,
                       min_area: float = 0.01) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``count`` fixed batches for one-click evaluation (``vsslib.sam2_mini.train.heldout_iou``): 8 single
    frames each, up to 8 objects a frame covering at least ``min_area`` of it, unflipped, drawn with ``rng``.

    The trainer's held-out curve and the model card draw them alike (only the count, generator and floor
    differ), so the two measure the same kind of prompt."""
    sampler = ClipSampler(videos, frames=1, clips=8, objects=8, min_area=min_area, flip=False)
    return [sampler.draw(rng) for _ in range(count)]


def load_videos(root: str | os.PathLike[str], size: int, *, splits: tuple[str, ...] = ("train",)) -> list[VideoTensors]:
    """Every video of ``splits`` of a generated benchmark at ``root``, resized to ``size``.

    Raises
    ------
    DataError
        A video without instance maps.
    """
    from ..data import VSPWDataset

    videos = []
    for split in splits:
        dataset = VSPWDataset(root, split=split)
        for video in dataset:
            if video.instances is None:
                raise DataError(f"{root}: video {video.name} has no instance maps; sam2-mini trains on them")
            frames, ids = resize_video(video.frames, video.instances, size)
            videos.append(VideoTensors(video.name, frames, ids))
    if not videos:
        raise DataError(f"{root}: no videos in splits {splits}")
    return videos


def normalise(frames: np.ndarray) -> np.ndarray:
    """``(..., S, S, 3) uint8`` -> ``(..., 3, S, S) float32`` scaled to [0, 1] and ImageNet-normalised."""
    x = (frames.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return np.moveaxis(x, -1, -3).copy()


class ClipSampler:
    """Draws sam2 training batches of clips (or single frames) with their objects' exact masks.

    Parameters
    ----------
    videos : the videos, already at the model's input size (:func:`load_videos`).
    frames : frames per clip (1: single images).
    clips : clips (images) per batch.
    objects : at most this many objects per clip, drawn among those on the clip's first frame.
    min_area : an object counts on a frame when it covers at least this fraction of it.
    stride : frame step inside a clip, drawn from 1..stride per clip.
    flip : mirror a clip left-right with probability 1/2.
    """

    def __init__(self, videos: list[VideoTensors], *, frames: int, clips: int, objects: int,
                 min_area: float = 0.002, stride: int = 1, flip: bool = True) -> None:
        if not videos:
            raise ParameterError("ClipSampler needs at least one video")
        for key, value in (("frames", frames), ("clips", clips), ("objects", objects), ("stride", stride)):
            if not isinstance(value, int) or value < 1:
                raise ParameterError(f"{key}={value!r} must be a positive integer")
        if not 0.0 <= min_area < 1.0:
            raise ParameterError(f"min_area={min_area!r} must be in [0, 1)")
        shortest = min(v.frames.shape[0] for v in videos)
        if (frames - 1) * stride + 1 > shortest:
            raise ParameterError(f"frames={frames} at stride={stride} do not fit the shortest video "
                                 f"({shortest} frames)")
        self.videos = videos
        self.frames, self.clips, self.objects = frames, clips, objects
        self.min_area, self.stride, self.flip = min_area, stride, flip
        self.size = videos[0].frames.shape[1]

    def objects_on(self, ids: np.ndarray) -> np.ndarray:
        """Instance ids covering at least ``min_area`` of a ``(S, S)`` frame, sorted."""
        values, counts = np.unique(ids, return_counts=True)
        return values[counts >= self.min_area * ids.size]

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One batch as numpy arrays.

        Returns
        -------
        images : (T, B, 3, S, S) float32, normalised.
        masks : (T, O, S, S) bool, object o of clip ``owner[o]``.
        owner : (O,) int64, the clip of each object.
        """
        images, masks, owner = [], [], []
        for clip in range(self.clips):
            video = self.videos[int(rng.integers(len(self.videos)))]
            step = int(rng.integers(1, self.stride + 1))
            span = (self.frames - 1) * step + 1
            start = int(rng.integers(video.frames.shape[0] - span + 1))
            index = np.arange(start, start + span, step)
            if rng.random() < 0.5:  # time runs either way
                index = index[::-1]
            frames, ids = video.frames[index], video.instances[index]
            if self.flip and rng.random() < 0.5:
                frames, ids = frames[:, :, ::-1], ids[:, :, ::-1]
            present = self.objects_on(ids[0])
            chosen = rng.choice(present, size=min(self.objects, len(present)), replace=False)
            images.append(normalise(frames))
            for obj in chosen:
                masks.append(ids == obj)
                owner.append(clip)
        return (np.stack(images, axis=1), np.stack(masks, axis=1), np.asarray(owner, np.int64))

    def batch(self, rng: np.random.Generator) -> Any:
        """One batch as sam2's ``BatchedVideoDatapoint`` (see the module docstring)."""
        import torch
        from training.utils.data_utils import BatchedVideoDatapoint, BatchedVideoMetaData

        images, masks, owner = self.draw(rng)
        t, o = masks.shape[:2]
        frame_index = np.broadcast_to(np.arange(t)[:, None], (t, o))
        obj_to_frame = np.stack([frame_index, np.broadcast_to(owner[None], (t, o))], axis=-1).astype(np.int32)
        identifier = np.stack([np.broadcast_to(owner[None], (t, o)), np.broadcast_to(np.arange(o)[None], (t, o)),
                               frame_index], axis=-1).astype(np.int64)
        sizes = np.full((t, o, 2), self.size, np.int64)
        return BatchedVideoDatapoint(
            img_batch=torch.from_numpy(images), obj_to_frame_idx=torch.from_numpy(obj_to_frame),
            masks=torch.from_numpy(masks),
            metadata=BatchedVideoMetaData(unique_objects_identifier=torch.from_numpy(identifier),
                                          frame_orig_size=torch.from_numpy(sizes), batch_size=[t]),
            dict_key="sam2-mini", batch_size=[t])
