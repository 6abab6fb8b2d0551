"""Atomic file writing and image reading shared by every module.

Every file vsslib writes goes to a temporary name in the same folder first and is renamed into place,
so a run killed at any moment (``kill -9`` included) never leaves a half-written file under a final name;
a folder written as a whole (a generated benchmark, the site, a kept copy of tables) is built the same way
(:func:`atomic_folder`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DataError

__all__ = [
    "sha256_of_file",
    "atomic_path",
    "atomic_folder",
    "write_bytes_atomic",
    "write_text_atomic",
    "write_json_atomic",
    "save_npz_atomic",
    "save_png_atomic",
    "read_image",
]


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(path: str | os.PathLike[str], *, replace: bool = True) -> Iterator[Path]:
    """Yield a new empty folder beside ``path``; on success it takes ``path``'s place, on error it is deleted.

    A folder already at ``path`` stays there, whole, until the new one is complete: it is moved aside, the new one
    renamed onto ``path`` (moved back if that fails) and only then deleted. A run killed meanwhile leaves at most a
    ``.<name>.*.tmp`` or ``.<name>.*.old`` folder beside ``path``, which may be deleted. ``replace=False``: the new
    folder takes the place of nothing or of an empty folder only; where something else stands at ``path`` when it
    is complete (written meanwhile by another process, say), an OSError, and that stays as it is.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    stale = path.with_name(f".{path.name}.{os.getpid()}.old")
    try:
        yield tmp
        if replace and (path.exists() or path.is_symlink()):
            os.replace(path, stale)
        try:
            os.replace(tmp, path)
        except BaseException:
            if stale.exists():
                os.replace(stale, path)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(stale, ignore_errors=True)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON (byte-stable for equal content) atomically."""
    return write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def save_npz_atomic(path: str | os.PathLike[str], **arrays: np.ndarray) -> Path:
    """Save arrays with ``np.savez_compressed`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return Path(path)


def save_png_atomic(path: str | os.PathLike[str], image: np.ndarray) -> Path:
    """Save a (H, W) uint8/uint16 or (H, W, 3) uint8 array as PNG atomically (deterministic bytes)."""
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16):
        raise DataError(f"{path}: PNG images must be uint8 or uint16, got {image.dtype}")
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG", optimize=False, compress_level=6)
    return Path(path)


def read_image(path: str | os.PathLike[str], *, mode: str | None = None) -> np.ndarray:
    """Read an image file into a numpy array.

    Parameters
    ----------
    path : image file (JPEG or PNG).
    mode : ``"RGB"`` for (H, W, 3) uint8 frames; ``None`` keeps the stored mode (label/instance PNGs,
        (H, W) uint8 or uint16/int32).

    Raises
    ------
    DataError : the file is missing or not a readable image; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        with Image.open(path) as img:
            img.load()
            if mode is not None:
                img = img.convert(mode)
            array = np.array(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({exc})") from exc
    return array


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """Lower-case hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
