"""Device names, CUDA availability and peak memory (no GPU needed: CUDA's presence is simulated where it matters)."""

from __future__ import annotations

import mmap

import numpy as np
import pytest
import torch

from vsslib.base.devices import PeakMemory, check_device_name, reset_resident_peak, resolve_device
from vsslib.base.errors import ParameterError


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)


def test_names_are_cpu_cuda_or_cuda_with_an_index() -> None:
    for name in ("cpu", "cuda", "cuda:0", "cuda:12"):
        assert check_device_name(name) == name
    for name in ("gpu", "CUDA", "cuda:", "cuda:-1", "cuda:x", "cpu:0", "mps", "", None, 0):
        with pytest.raises(ParameterError, match=r"must be 'cpu', 'cuda' or 'cuda:<index>'"):
            check_device_name(name)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_cuda_without_a_gpu_is_a_clear_error(no_cuda: None) -> None:
    for name in ("cuda", "cuda:0", "cuda:1"):
        with pytest.raises(ParameterError, match=rf"device='{name}' asks for CUDA, but torch .* use device 'cpu' "
                                                 r"\(--device cpu\)"):
            resolve_device(name)
    assert resolve_device("cpu").type == "cpu"  # the CPU is always there


def test_cuda_indices_are_checked_against_the_devices_present(two_gpus: None) -> None:
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    assert resolve_device("cuda") == torch.device("cuda", 1)  # the current device
    with pytest.raises(ParameterError, match=r"device='cuda:2': torch sees 2 CUDA devices \(cuda:0, cuda:1\)"):
        resolve_device("cuda:2")


def test_peak_memory_on_the_cpu_sees_a_100_mib_block() -> None:
    # Where the kernel lets the mark be reset (clear_refs), it starts at the resident size; where not, earlier
    # tests may have raised it above anything this test allocates. Either way, allocate past the mark as it
    # stands after the reset attempt, by 100 MiB, so the mark must rise by about that much.
    reset_resident_peak()
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    headroom = (int(fields["VmHWM"].split()[0]) - int(fields["VmRSS"].split()[0])) * 1024 if "VmHWM" in fields else 0
    with PeakMemory(torch.device("cpu")) as seen:
        # Fresh anonymous pages, each written once, so all of them become resident: malloc (np.ones) may instead
        # hand back pages that an earlier test freed and that are resident already.
        region = mmap.mmap(-1, headroom + 100 * 2**20)
        view = np.frombuffer(region, np.uint8)
        view[:] = 1
        del view
        region.close()
    if seen.method == "VmHWM":
        assert 95 <= seen.increase_mib < 200
    else:  # off Linux only the lifetime peak is known
        assert seen.peak_mib >= 100
    with PeakMemory(torch.device("cpu")) as small:
        pass
    if small.method == "VmHWM":
        assert small.increase_mib < 20  # the mark was reset: the earlier block is not seen again
