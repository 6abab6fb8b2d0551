"""The baseline networks by name: ``create_segmenter(name, ...)`` and ``list_segmenters()``.

Two networks, so the refiner is judged over more than one baseline: ``"fcn8-small"`` (output stride 8,
narrow) and ``"fcn16-wide"`` (output stride 16, wider and coarser). Their defaults are sized to train from
scratch on the generated benchmark (12 train videos x 48 frames of 128 x 224) in about a minute each on
two CPU cores.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from ..base.errors import ParameterError
from .networks import FCNSegmenter, NetworkSettings
from .train import TrainSettings, load_or_train

__all__ = ["SegmenterSpec", "list_segmenters", "segmenter_spec", "create_segmenter"]


@dataclass(frozen=True)
class SegmenterSpec:
    """Default architecture and training of a named network."""

    network: NetworkSettings
    train: TrainSettings


# Both networks train alike: 16 epochs over every second frame of the train split, random 96 x 160 crops
# (of 128 x 224 frames) and flips. Measured in the pinned training environment on the idle 2-core machine:
# 22-25 s (fcn8-small) and 47-51 s (fcn16-wide) each; 16 epochs rather than 24 keep the study's cold run
# (6 networks) within its 15-minute budget (see the README's timings).
_TRAIN = TrainSettings(epochs=16, batch_size=16, learning_rate=3e-3, crop=(96, 160), flip=True, frame_step=2)

_SPECS: dict[str, SegmenterSpec] = {
    "fcn8-small": SegmenterSpec(
        network=NetworkSettings(widths=(16, 32, 64), head_width=64, blocks_per_stage=1),
        train=_TRAIN,
    ),
    "fcn16-wide": SegmenterSpec(
        network=NetworkSettings(widths=(24, 48, 96, 128), head_width=128, blocks_per_stage=1),
        train=_TRAIN,
    ),
}


def list_segmenters() -> list[str]:
    """Names accepted by :func:`create_segmenter`, sorted."""
    return sorted(_SPECS)


def segmenter_spec(name: str, **overrides: Any) -> SegmenterSpec:
    """The settings of network ``name`` with ``overrides`` applied.

    Parameters
    ----------
    name : one of :func:`list_segmenters`.
    **overrides : fields of :class:`NetworkSettings` or :class:`TrainSettings` (e.g. ``widths=(8, 16)``,
        ``epochs=1``, ``crop=(64, 64)``).

    Raises
    ------
    ParameterError : unknown name or override key (the message lists the valid ones), or an impossible
        value.
    """
    if name not in _SPECS:
        raise ParameterError(f"unknown segmenter {name!r}; valid: {', '.join(list_segmenters())} (or load your "
                             f"own model's predictions with PredictionsOnDisk)")
    spec = _SPECS[name]
    network_keys = {f.name for f in dataclasses.fields(NetworkSettings)}
    train_keys = {f.name for f in dataclasses.fields(TrainSettings)}
    unknown = sorted(set(overrides) - network_keys - train_keys)
    if unknown:
        raise ParameterError(f"segmenter {name!r}: unknown setting(s) {unknown}; valid: "
                             f"{', '.join(sorted(network_keys | train_keys))}")
    network = dataclasses.replace(spec.network, **{k: v for k, v in overrides.items() if k in network_keys})
    train = dataclasses.replace(spec.train, **{k: v for k, v in overrides.items() if k in train_keys})
    return SegmenterSpec(network=network, train=train)


def create_segmenter(name: str, *, dataset_root: str | os.PathLike[str],
                     cache_root: str | os.PathLike[str] | None = None, seed: int = 0, epochs: int | None = None,
                     progress: bool = True, **overrides: Any) -> FCNSegmenter:
    """The network ``name`` trained on the train split of ``dataset_root``: from the cache, or trained now.

    Parameters
    ----------
    name : one of :func:`list_segmenters`.
    dataset_root : a VSPW-layout dataset with a labelled ``train`` split.
    cache_root : cache folder (default :func:`vsslib.base.cache.default_cache_root`); weights go to
        ``<cache_root>/segmenters/<key>.pt``.
    seed : seeds initialisation, shuffling and augmentation.
    epochs : training epochs (default: the network's, see :func:`segmenter_spec`).
    progress : show a tqdm bar while training.
    **overrides : other :class:`NetworkSettings` / :class:`TrainSettings` fields.

    Returns
    -------
    FCNSegmenter : in eval mode; ``.history`` holds the loss history of its training.
    """
    from ..data import VSPWDataset  # deferred: the data layer is not needed to build or load a network

    if epochs is not None:
        overrides["epochs"] = epochs
    spec = segmenter_spec(name, **overrides)
    dataset = VSPWDataset(dataset_root, split="train")
    return load_or_train(name, dataset, network_settings=spec.network, train_settings=spec.train, seed=seed,
                         cache_root=cache_root, progress=progress)
