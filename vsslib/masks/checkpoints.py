"""The official SAM2 checkpoints: their names, addresses and published checksums, download and verification.

``python -m vsslib sam2-checkpoint --size large`` calls :func:`fetch_checkpoint`: the file is downloaded
to a hidden ``.<name>.part`` beside its final name (resumed with an HTTP ``Range`` request when a part is
already there), verified, and only then renamed into place, so the final name never holds a partial or
unverified file. Verification, strongest first:

1. **SHA-256**, where one is known: the table's value (:data:`OFFICIAL_CHECKPOINTS`, each with its
   source) or the caller's ``sha256`` (a mirror, a private copy).
2. **Size in bytes**, where the table has one (checked before and while downloading, so a wrong file
   stops early).
3. **A strict load of the state dict** into the model built from the checkpoint's config, where no
   SHA-256 is known (the SAM 2.0 files): every weight present, none extra, every shape right. Building
   the model is :mod:`.sam2_model`'s work, and that module imports this one, so the caller hands the check in
   (``strict_load``, e.g. :func:`vsslib.masks.sam2_model.strict_load_check`); this module imports only the base.

A file that fails is deleted (no file is left under either name) and a
:class:`~vsslib.base.errors.CheckpointError` names the file, the expected and the found value, and where the
expected value comes from. A transfer that breaks keeps its ``.part`` file and says that running the
same command again resumes it.

Sources of the table:

- File names and addresses: ``checkpoints/download_ckpts.sh`` of facebookresearch/sam2 (release folders
  ``072824`` for SAM 2, ``092824`` for SAM 2.1).
- SHA-256 of the SAM 2.1 files: no value is published by Meta. The values here are those pinned by
  computational-cell-analytics/micro-sam, ``micro_sam/v2/util.py`` (``HASHES``, which its downloader
  checks against the files it fetches from the same ``092824`` addresses), commit
  05c57cce615abd66915365b7ca6c9bf552b71455; several unrelated projects pin the same tiny and large
  values.
- Sizes of the SAM 2.1 files: the Git LFS pointers of the Hugging Face mirror camenduru/sam2-1-hiera,
  commit cdd35a45a78a3a93bc99988f4b56db40131a823a (recorded in the project's reference notes).
- SAM 2.0 files: no cited checksum or size; they are verified by the strict load.
- Published speed of the SAM 2.1 files (``published_fps``): facebookresearch/sam2 ``README.md`` at commit 2b90b9f,
  "Model Description": frames per second of single-object video tracking on one A100 (torch 2.5.1, CUDA 12.4,
  the whole model compiled, ``vos_optimized``). None is published for many objects or for the automatic generator.
"""

from __future__ import annotations

import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import CheckpointError, ParameterError
from ..base.io import sha256_of_file  # re-exported: the checkpoint checks use it

__all__ = ["OfficialCheckpoint", "OFFICIAL_CHECKPOINTS", "SAM2_SIZES", "official_checkpoint", "sha256_of_file",
           "verify_checkpoint", "fetch_checkpoint"]

_DOWNLOAD = "https://dl.fbaipublicfiles.com/segment_anything_2/"
_SHA256_SOURCE = ("computational-cell-analytics/micro-sam micro_sam/v2/util.py (HASHES) at "
                  "05c57cce615abd66915365b7ca6c9bf552b71455")
_BYTES_SOURCE = "Git LFS pointers of huggingface.co/camenduru/sam2-1-hiera at cdd35a45a78a3a93bc99988f4b56db40131a823a"
_NO_SOURCE = "none published; verified by a strict load against the config"
_FPS_SOURCE = ("facebookresearch/sam2 README.md at 2b90b9f, Model Description: single-object tracking, one A100, "
               "torch 2.5.1, CUDA 12.4, whole model compiled")


@dataclass(frozen=True)
class OfficialCheckpoint:
    """One official SAM2 checkpoint.

    Attributes
    ----------
    config : the sam2 package's config name, e.g. ``configs/sam2.1/sam2.1_hiera_t.yaml``.
    file : the checkpoint's file name, e.g. ``sam2.1_hiera_tiny.pt``.
    url : its download address.
    sha256 : lower-case hex SHA-256, or None where none can be cited.
    num_bytes : file size, or None where none can be cited.
    sha256_source, bytes_source : where the two values come from.
    published_fps : frames per second of single-object tracking published by Meta, or None where none is.
    fps_source : where it comes from.
    """

    config: str
    file: str
    url: str
    sha256: str | None
    num_bytes: int | None
    sha256_source: str
    bytes_source: str
    published_fps: float | None = None
    fps_source: str = "none published"


def _sam21(short: str, file: str, sha256: str, num_bytes: int, fps: float) -> OfficialCheckpoint:
    return OfficialCheckpoint(f"configs/sam2.1/sam2.1_hiera_{short}.yaml", file, f"{_DOWNLOAD}092824/{file}", sha256,
                              num_bytes, _SHA256_SOURCE, _BYTES_SOURCE, fps, _FPS_SOURCE)


def _sam20(short: str, file: str) -> OfficialCheckpoint:
    return OfficialCheckpoint(f"configs/sam2/sam2_hiera_{short}.yaml", file, f"{_DOWNLOAD}072824/{file}", None, None,
                              _NO_SOURCE, _NO_SOURCE)


OFFICIAL_CHECKPOINTS: dict[str, OfficialCheckpoint] = {
    "tiny": _sam21("t", "sam2.1_hiera_tiny.pt",
                   "7402e0d864fa82708a20fbd15bc84245c2f26dff0eb43a4b5b93452deb34be69", 156_008_466, 91.2),
    "small": _sam21("s", "sam2.1_hiera_small.pt",
                    "6d1aa6f30de5c92224f8172114de081d104bbd23dd9dc5c58996f0cad5dc4d38", 184_416_285, 84.8),
    "base_plus": _sam21("b+", "sam2.1_hiera_base_plus.pt",
                        "a2345aede8715ab1d5d31b4a509fb160c5a4af1970f199d9054ccfb746c004c5", 323_606_802, 64.1),
    "large": _sam21("l", "sam2.1_hiera_large.pt",
                    "2647878d5dfa5098f2f8649825738a9345572bae2d4350a2468587ece47dd318", 898_083_611, 39.5),
    "configs/sam2/sam2_hiera_t.yaml": _sam20("t", "sam2_hiera_tiny.pt"),
    "configs/sam2/sam2_hiera_s.yaml": _sam20("s", "sam2_hiera_small.pt"),
    "configs/sam2/sam2_hiera_b+.yaml": _sam20("b+", "sam2_hiera_base_plus.pt"),
    "configs/sam2/sam2_hiera_l.yaml": _sam20("l", "sam2_hiera_large.pt"),
}
"""Short SAM 2.1 size (``tiny``, ...) or SAM 2.0 config name -> :class:`OfficialCheckpoint`."""

SAM2_SIZES = ("tiny", "small", "base_plus", "large")
"""The SAM 2.1 Hiera sizes, smallest first."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def official_checkpoint(config: str) -> OfficialCheckpoint:
    """The table entry of a short size (``"tiny"``) or a package config name (either SAM2 release).

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    if config in OFFICIAL_CHECKPOINTS:
        return OFFICIAL_CHECKPOINTS[config]
    for entry in OFFICIAL_CHECKPOINTS.values():
        if entry.config == config:
            return entry
    raise ParameterError(f"unknown SAM2 config {config!r}; valid: {', '.join(SAM2_SIZES)} or one of "
                         f"{', '.join(e.config for e in OFFICIAL_CHECKPOINTS.values())}")


def _expected(config: str, sha256: str | None) -> tuple[OfficialCheckpoint, str | None, str, int | None, str]:
    """(entry, sha256, its source, byte size, its source) after the caller's override."""
    entry = official_checkpoint(config)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not _HEX64.match(sha256):
            raise ParameterError(f"sha256={sha256!r} is not a SHA-256 (64 hexadecimal digits)")
        return entry, sha256, "given by the caller", None, "not checked (the given SHA-256 defines the file)"
    return entry, entry.sha256, entry.sha256_source, entry.num_bytes, entry.bytes_source


def verify_checkpoint(path: str | os.PathLike[str], config: str, *, sha256: str | None = None,
                      strict_load: Callable[[Path, str], None] | None = None) -> str:
    """Check a checkpoint file against the table (or a given SHA-256); return how it was verified.

    Parameters
    ----------
    path : the checkpoint file.
    config : its size or package config name (:func:`official_checkpoint`).
    sha256 : expected SHA-256 in place of the table's (then the table's size is not checked either).
    strict_load : ``strict_load(path, package_config)`` raises CheckpointError unless the file loads strictly
        into the config's model; used where no SHA-256 is known (required then).

    Returns
    -------
    str
        ``"sha256"`` or ``"strict load"``: the check that passed.

    Raises
    ------
    CheckpointError
        The file is missing, of another size or hash, or (without a known hash) not a state dict of the
        config's model; the message names the file, both values and the expected value's source.
    """
    path = Path(path)
    entry, sha, sha_source, num_bytes, bytes_source = _expected(config, sha256)
    if not path.is_file():
        raise CheckpointError(f"SAM2 checkpoint {path} not found")
    found_bytes = path.stat().st_size
    if num_bytes is not None and found_bytes != num_bytes:
        raise CheckpointError(f"SAM2 checkpoint {path} has {found_bytes} bytes; {entry.file} has {num_bytes} "
                              f"(source: {bytes_source})")
    if sha is not None:
        found = sha256_of_file(path)
        if found != sha:
            raise CheckpointError(f"SAM2 checkpoint {path} has SHA-256 {found}; expected {sha} for {entry.file} "
                                  f"(source: {sha_source}). The file is corrupt or another file.")
        return "sha256"
    if strict_load is None:
        raise CheckpointError(f"SAM2 checkpoint {path}: no SHA-256 is known for {entry.file}; pass sha256=... or "
                              "strict_load=vsslib.masks.sam2_model.strict_load_check to verify it by loading it")
    strict_load(path, entry.config)
    return "strict load"


def fetch_checkpoint(config: str = "tiny", *, folder: str | os.PathLike[str] = "checkpoints", url: str | None = None,
                     sha256: str | None = None, progress: bool = True, timeout: float = 60.0,
                     strict_load: Callable[[Path, str], None] | None = None) -> Path:
    """Download an official SAM2 checkpoint into ``folder``, verified, resuming a broken transfer.

    Parameters
    ----------
    config : ``tiny``, ``small``, ``base_plus``, ``large`` (SAM 2.1) or a package config name.
    folder : where the file goes, under its official name (created if missing).
    url : download from here instead of the official address (a mirror); the table's SHA-256 and size
        still apply unless ``sha256`` is given.
    sha256 : expected SHA-256 in place of the table's.
    strict_load : the check of files without a known SHA-256 (:func:`verify_checkpoint`).
    progress : show a tqdm bar.
    timeout : seconds a connection may stay silent.

    Returns
    -------
    Path
        The verified checkpoint. A file already there is verified and kept, not downloaded again.

    Raises
    ------
    CheckpointError
        A failed verification (the file is deleted), a file already there that fails it (kept; delete it
        or move it away), a server error, or a broken transfer (the ``.part`` file is kept for resuming).
    ParameterError
        An unknown config or a malformed ``sha256``.
    """
    entry, sha, sha_source, num_bytes, bytes_source = _expected(config, sha256)
    source = url or entry.url
    target = Path(folder) / entry.file
    if target.exists():
        try:
            verify_checkpoint(target, config, sha256=sha256, strict_load=strict_load)
        except CheckpointError as exc:
            raise CheckpointError(f"{exc}. It was already there and is left as it is: delete it (or move it away) "
                                  "and run again to download it.") from None
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{entry.file}.part")
    _download(source, part, num_bytes=num_bytes, bytes_source=bytes_source, progress=progress, timeout=timeout,
              label=entry.file)
    try:
        verify_checkpoint(part, config, sha256=sha256, strict_load=strict_load)
    except CheckpointError as exc:
        part.unlink(missing_ok=True)
        raise CheckpointError(f"download from {source} rejected and deleted: {exc}") from None
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)
    return target


def _download(url: str, part: Path, *, num_bytes: int | None, bytes_source: str, progress: bool, timeout: float,
              label: str) -> None:
    """Fetch ``url`` into ``part``, appending to what it holds when the server honours a Range request."""
    offset = part.stat().st_size if part.exists() else 0
    if num_bytes is not None and offset > num_bytes:
        part.unlink()
        offset = 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) addresses only)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset and (num_bytes is None or offset == num_bytes):
            return  # the part is already whole; verification decides
        raise CheckpointError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CheckpointError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}. Check the address or the "
                              "network, or download the file another way and pass its path.") from None
    with response:
        if offset and response.status == 206:
            start = _content_range_start(response.headers.get("Content-Range"))
            if start != offset:
                raise CheckpointError(f"download of {url}: asked to resume at byte {offset}, the server answered "
                                      f"{response.headers.get('Content-Range')!r}; delete {part} and run again")
            mode = "ab"
        else:
            offset, mode = 0, "wb"  # a full answer: start over
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        if num_bytes is not None and total is not None and total != num_bytes:
            part.unlink(missing_ok=True)
            raise CheckpointError(f"{url} offers {total} bytes; {label} has {num_bytes} (source: {bytes_source}). "
                                  "Nothing was kept.")
        from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

        received = offset
        with open(part, mode) as handle, tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                                                unit_divisor=1024, desc=label, disable=not progress) as bar:
            try:
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    handle.write(block)
                    received += len(block)
                    bar.update(len(block))
                    if num_bytes is not None and received > num_bytes:
                        break
            except (http.client.IncompleteRead, OSError) as exc:
                handle.flush()
                raise CheckpointError(_broken(url, part, received, total, exc)) from None
            handle.flush()
            os.fsync(handle.fileno())
    if num_bytes is not None and received > num_bytes:
        part.unlink(missing_ok=True)
        raise CheckpointError(f"{url} sent more than the {num_bytes} bytes of {label} (source: {bytes_source}). "
                              "Nothing was kept.")
    if total is not None and received < total:
        raise CheckpointError(_broken(url, part, received, total, None))


def _broken(url: str, part: Path, received: int, total: int | None, error: BaseException | None) -> str:
    why = f" ({type(error).__name__})" if error is not None else ""
    of = f" of {total}" if total is not None else ""
    return (f"download of {url} broke off after {received}{of} bytes{why}; the part is kept at {part}: run the same "
            "command again to resume it")


def _content_range_start(header: str | None) -> int | None:
    match = re.match(r"^bytes (\d+)-\d+/(\d+|\*)$", header or "")
    return int(match.group(1)) if match else None
