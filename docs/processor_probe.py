"""Which float32 results follow the processor: run this on two processors (or natively and under an emulator) and
compare the printed digests line by line (README, "Reproducing the numbers").

    ENV="ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=2 MKL_NUM_THREADS=2"
    env $ENV .venv/bin/python docs/processor_probe.py > native.txt
    env $ENV qemu-x86_64 -cpu Haswell .venv/bin/python docs/processor_probe.py > haswell.txt   # apt: qemu-user
    diff native.txt haswell.txt

Prints one line per operation (a digest of its float32 output on fixed seeded inputs), the share of ``torch.sqrt``'s
results that are the correctly rounded root, and one line per training variant: a few Adam steps of ``fcn8-small``
on seeded frames (``fused_adam`` on and off, oneDNN's convolutions on and off), digest of the weights.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F

from vsslib.segmenters.networks import NetworkSettings
from vsslib.segmenters.train import TrainSettings, build_network, fit


def digest(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().contiguous().numpy().tobytes()).hexdigest()[:12]


def operations() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4096, generator=g)
    p = a.abs() + 0.01
    x = torch.randn(64, 96, generator=g)
    images = torch.randn(4, 16, 40, 40, generator=g, requires_grad=True)
    kernel = torch.randn(32, 16, 3, 3, generator=g, requires_grad=True)
    conv = F.conv2d(images, kernel, padding=1)
    conv.square().sum().backward()
    q, k, v = (x[None, None, 16 * i:16 * i + 16, :32] for i in range(3))
    return {
        "sqrt": p.sqrt(), "pow 0.5": p.pow(0.5), "_foreach_sqrt": torch._foreach_sqrt([p])[0], "rsqrt": p.rsqrt(),
        "reciprocal": p.reciprocal(), "div": a / p, "pow 2.3": p.pow(2.3), "exp": a.exp(), "log": p.log(),
        "tanh": a.tanh(), "sigmoid": a.sigmoid(), "erf": a.erf(), "sin": a.sin(), "cos": a.cos(), "gelu": F.gelu(a),
        "silu": F.silu(a), "lerp": a.lerp(p, 0.1), "addcmul": a.addcmul(p, a, value=1e-3),
        "addcdiv": a.addcdiv(a, p, value=-3e-3), "sum": x.sum(0), "softmax": x.softmax(-1),
        "layer_norm": F.layer_norm(x, (96,)), "batch_norm": F.batch_norm(x[:, :, None], None, None, training=True),
        "norm": x.norm(dim=1), "matmul": x @ x.T, "attention": F.scaled_dot_product_attention(q, k, v),
        "bilinear": F.interpolate(x[None, None], scale_factor=2, mode="bilinear"),
        "conv2d": conv, "conv2d grad input": images.grad, "conv2d grad weight": kernel.grad,
    }


def training(fused_adam: bool, onednn: bool) -> torch.Tensor:
    rng = np.random.default_rng(0)
    labels = np.zeros((8, 64, 96), np.uint8)
    frames = np.zeros((8, 64, 96, 3), np.uint8)
    for i in range(8):
        for c in range(1, 5):
            r, q = rng.integers(0, 44), rng.integers(0, 66)
            labels[i, r:r + 20, q:q + 30] = c
        palette = rng.integers(0, 255, (5, 3))
        frames[i] = np.clip(palette[labels[i]] + rng.normal(0, 20, (64, 96, 3)), 0, 255).astype(np.uint8)
    network = build_network("fcn8-small", 5, NetworkSettings(), seed=0)
    with torch.backends.mkldnn.flags(enabled=onednn):
        fit(network, frames, labels, settings=TrainSettings(epochs=3, batch_size=4, fused_adam=fused_adam), seed=0,
            progress=False)
    return torch.cat([t.detach().reshape(-1) for t in network.state_dict().values() if t.is_floating_point()])


if __name__ == "__main__":
    print("cpu capability", torch.backends.cpu.get_cpu_capability())
    for name, output in operations().items():
        print(f"{name:20s} {digest(output)}")
    p = torch.randn(4096, generator=torch.Generator().manual_seed(0)).abs()
    exact = np.sqrt(p.numpy().astype(np.float64)).astype(np.float32)
    print(f"torch.sqrt correctly rounded: {np.mean(p.sqrt().numpy() == exact):.3f} of {p.numel()}")
    for fused in (True, False):
        for onednn in (True, False):
            print(f"train fused_adam={fused!s:5s} onednn={onednn!s:5s} {digest(training(fused, onednn))}")
