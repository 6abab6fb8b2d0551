"""Devices: the one place that turns ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a torch device, and peak memory.

Every function of vsslib that takes a device calls :func:`resolve_device` (or :func:`check_device_name` where a
settings object is validated before torch is needed), so a bad name or an absent GPU gives the same message
everywhere: the name at fault, what torch sees, and what to pass instead.

:class:`PeakMemory` measures the peak memory of a block of code on a device: on CUDA the caching allocator's
``max_memory_allocated`` (reset on entry, so the peak is the block's own; tensors, not the allocator's cache),
on the CPU the process's resident high-water mark ``VmHWM`` (Linux; reset on entry by writing ``5`` to
``/proc/self/clear_refs``), elsewhere ``ru_maxrss``, the process's peak so far.
"""

from __future__ import annotations

import re
import resource
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import ParameterError

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICE_NAMES", "check_device_name", "resolve_device", "PeakMemory", "resident_mib",
           "reset_resident_peak", "resident_peak_mib"]

DEVICE_NAMES = "'cpu', 'cuda' or 'cuda:<index>'"
"""The device names vsslib accepts, as error messages spell them."""

_NAME = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


def check_device_name(name: Any) -> str:
    """Return ``name`` after checking its spelling only (no torch import, no CUDA query).

    Raises
    ------
    ParameterError
        Anything but ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``.
    """
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None or (match.group(1) == "cpu" and match.group(2) is not None):
        raise ParameterError(f"device={name!r} must be {DEVICE_NAMES}")
    return name


def resolve_device(name: str | torch.device) -> torch.device:
    """The torch device of a device name, after checking that it exists here.

    Parameters
    ----------
    name : ``"cpu"``, ``"cuda"`` (the current CUDA device) or ``"cuda:<index>"``; a ``torch.device`` of
        type cpu or cuda is accepted too.

    Returns
    -------
    torch.device
        ``cuda`` without an index is returned as ``cuda:<current index>``.

    Raises
    ------
    ParameterError
        A misspelt name; CUDA asked for where torch sees none (naming the torch build's CUDA version, or
        saying it is a CPU-only build); an index beyond the devices present (listing them).
    """
    import torch

    if isinstance(name, torch.device):
        name = str(name)
    check_device_name(name)
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        build = (f"torch {torch.__version__} (built for CUDA {torch.version.cuda}) finds no usable GPU: no GPU, "
                 "no driver, or CUDA_VISIBLE_DEVICES hides it" if torch.version.cuda else
                 f"torch {torch.__version__} is a CPU-only build")
        raise ParameterError(f"device={name!r} asks for CUDA, but {build}; use device 'cpu' (--device cpu)")
    count = torch.cuda.device_count()
    index = torch.cuda.current_device() if name == "cuda" else int(name.split(":")[1])
    if index >= count:
        present = ", ".join(f"cuda:{i}" for i in range(count))
        raise ParameterError(f"device={name!r}: torch sees {count} CUDA device{'s' if count != 1 else ''} "
                             f"({present}); pass one of them or 'cpu'")
    return torch.device("cuda", index)


# ------------------------------------------------------------------------------------------- memory
def _status_kib(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), or None off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def resident_mib() -> float | None:
    """The process's resident set size now, MiB (None off Linux)."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib / 1024.0


def reset_resident_peak() -> bool:
    """Reset the resident high-water mark ``VmHWM`` to the current size; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def resident_peak_mib(*, since_reset: bool) -> tuple[float, str]:
    """The process's resident peak, MiB, and how it was read.

    Parameters
    ----------
    since_reset : whether :func:`reset_resident_peak` succeeded; if not, the lifetime peak is all there is.

    Returns
    -------
    peak : MiB.
    method : ``"VmHWM"`` (peak since the reset) or ``"ru_maxrss"`` (the process's peak so far).
    """
    if since_reset:
        kib = _status_kib("VmHWM")
        if kib is not None:
            return kib / 1024.0, "VmHWM"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak / 2**20 if sys.platform == "darwin" else peak / 1024.0), "ru_maxrss"  # bytes on macOS


class PeakMemory:
    """Context manager: the peak memory of its block on a device.

    Parameters
    ----------
    device : a resolved ``torch.device`` (:func:`resolve_device`).

    Attributes
    ----------
    peak_mib : float
        After the block: CUDA ``max_memory_allocated`` of the device, or the process's resident peak, MiB.
    start_mib : float
        The same quantity on entry (allocated CUDA memory, or resident size), MiB.
    method : str
        ``"cuda max_memory_allocated"``, ``"VmHWM"`` or ``"ru_maxrss"``.

    Examples
    --------
    >>> import torch
    >>> with PeakMemory(torch.device("cpu")) as seen:
    ...     block = bytearray(2**20)
    >>> seen.peak_mib >= seen.start_mib
    True
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_mib = 0.0
        self.start_mib = 0.0
        self.method = ""
        self._reset = False

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize(self.device)
            self.start_mib = torch.cuda.memory_allocated(self.device) / 2**20
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self.start_mib = resident_mib() or 0.0
            self._reset = reset_resident_peak()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize(self.device)
            self.peak_mib = torch.cuda.max_memory_allocated(self.device) / 2**20
            self.method = "cuda max_memory_allocated"
        else:
            self.peak_mib, self.method = resident_peak_mib(since_reset=self._reset)

    @property
    def increase_mib(self) -> float:
        """Peak minus start, MiB: what the block added at its peak."""
        return self.peak_mib - self.start_mib
