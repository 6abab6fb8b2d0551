"""Per-video cache of expensive products, keyed by a hash of their inputs and every setting that shapes them.

Layout: ``<root>/<kind>/<key>/settings.json`` records the resolved settings the key was made from, and
``<root>/<kind>/<key>/<video>.npz`` holds one video's arrays. A product file appears only complete
(atomic rename, see :mod:`vsslib.base.io`), so its presence is its completion marker; a run killed part-way
recomputes exactly the videos whose file is missing. Changing a setting changes the key, so it invalidates
exactly the products that depend on it, and nothing else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import fcntl
import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .io import save_npz_atomic, write_json_atomic

__all__ = ["stable_hash", "fingerprint_files", "ProductCache", "default_cache_root", "NOT_IN_KEY", "key_fields"]


NOT_IN_KEY = "not_in_key"
"""Metadata flag of a dataclass field left out of cache keys: a value another field already identifies, such as
a file's path beside the digest of its bytes (``field(metadata={NOT_IN_KEY: True})``), so that the same product
is found wherever the repository is cloned."""


def key_fields(obj: Any) -> Any:
    """``dataclasses.asdict`` without the fields flagged :data:`NOT_IN_KEY`, at every level: a settings
    dataclass as the plain values that identify it."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: key_fields(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not f.metadata.get(NOT_IN_KEY)}
    if isinstance(obj, (list, tuple)):
        return [key_fields(v) for v in obj]
    if isinstance(obj, dict):
        return {k: key_fields(v) for k, v in obj.items()}
    return obj


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__type__": type(obj).__name__, **{k: _canonical(v) for k, v in key_fields(obj).items()}}
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest(),
                "shape": list(obj.shape), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and obj != obj:  # NaN
        return "nan"
    return obj


def stable_hash(obj: Any, *, length: int = 16) -> str:
    """Hex digest of ``obj`` that is the same on every run and machine (canonical, key-sorted JSON)."""
    text = json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def fingerprint_files(paths: Iterable[str | os.PathLike[str]]) -> str:
    """Hash of the names and bytes of ``paths`` (in the given order): the identity of a video's inputs."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_root() -> Path:
    """``.cache`` in the current folder: where products go when no cache folder is given (the command line's
    ``--cache`` and ``$VSSLIB_CACHE`` are read in :mod:`vsslib.study.cli`, not here)."""
    return Path(".cache")


class ProductCache:
    """One kind of per-video product (e.g. ``"masklets"``) under one set of settings.

    Parameters
    ----------
    root : cache root folder.
    kind : product name, used as a folder name.
    settings : everything that shapes the product (JSON-able, dataclasses allowed); hashed into the key.
    """

    def __init__(self, root: str | os.PathLike[str], kind: str, settings: Mapping[str, Any]) -> None:
        self.key = stable_hash({"kind": kind, "settings": settings})
        self.folder = Path(root) / kind / self.key
        self.settings = _canonical(settings)
        self._settings_written = False

    def path(self, video: str, suffix: str = ".npz") -> Path:
        """File of one video's product (or of a product made from a whole split, named after it)."""
        return self.folder / f"{video}{suffix}"

    def record_settings(self) -> None:
        """Write the settings beside the products (once): what the key was made from, for a reader."""
        if not self._settings_written:
            write_json_atomic(self.folder / "settings.json", self.settings)
            self._settings_written = True

    def has(self, video: str) -> bool:
        """Whether a complete product exists for ``video``."""
        return self.path(video).is_file()

    def load(self, video: str, *, only_if: Mapping[str, str] | None = None) -> dict[str, np.ndarray] | None:
        """The cached arrays of ``video``, or ``None`` if absent or unreadable (then it is recomputed).

        ``only_if`` maps array names to the text they must hold (e.g. ``{"fingerprint": ...}``): those arrays are
        read first, alone, and on a mismatch the entry is left unread and ``None`` returned.
        """
        path = self.path(video)
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                if only_if and any(name not in data.files or str(data[name]) != text for name, text in only_if.items()):
                    return None
                return {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, zlib.error):  # damaged: made again
            path.unlink(missing_ok=True)
            return None

    @contextlib.contextmanager
    def making(self, video: str) -> Iterator[None]:
        """Hold ``video``'s product lock while making it: another process that asks for the same product
        meanwhile waits here, then finds it made (load again inside), instead of computing it a second time.

        An advisory ``flock`` on ``<video>.lock`` beside the product, released when the block ends or the process
        dies; the lock file stays (empty) and is reused.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.path(video, ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, video: str, **arrays: np.ndarray) -> Path:
        """Store ``arrays`` for ``video`` atomically; records the settings beside them on first use."""
        self.record_settings()
        return save_npz_atomic(self.path(video), **arrays)
