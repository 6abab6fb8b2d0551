"""``docs/processor_probe.py``, the script behind the README's account of which float32 results follow the processor."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def _probe():
    spec = importlib.util.spec_from_file_location("processor_probe", ROOT / "docs" / "processor_probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_probe_tries_30_operations_and_its_three_square_roots_are_one() -> None:
    probe = _probe()
    outputs = probe.operations()
    assert len(outputs) == 30 and all(t.dtype == torch.float32 for t in outputs.values())
    assert probe.digest(outputs["sqrt"]) == probe.digest(outputs["pow 0.5"]) == probe.digest(outputs["_foreach_sqrt"])
    # the digest is of the values: equal tensors, equal digests; a changed value, another digest
    assert probe.digest(outputs["exp"]) == probe.digest(outputs["exp"].clone())
    changed = outputs["exp"].clone()
    changed[0] = torch.nextafter(changed[0], torch.tensor(np.inf))
    assert probe.digest(changed) != probe.digest(outputs["exp"])


def test_the_probe_prints_a_line_per_operation_and_training_variant() -> None:
    lines = subprocess.run([sys.executable, str(ROOT / "docs" / "processor_probe.py")], capture_output=True, text=True,
                           check=True, cwd=ROOT).stdout.splitlines()
    assert len(lines) == 1 + 30 + 1 + 4
    assert lines[0].startswith("cpu capability") and lines[31].startswith("torch.sqrt correctly rounded:")
    trained = [line.split()[-1] for line in lines[32:]]
    assert [line.split()[1:3] for line in lines[32:]] == [["fused_adam=True", "onednn=True"],
                                                          ["fused_adam=True", "onednn=False"],
                                                          ["fused_adam=False", "onednn=True"],
                                                          ["fused_adam=False", "onednn=False"]]
    share = float(lines[31].split(":")[1].split()[0])
    if share < 1:  # torch.sqrt an approximation here: the unfused Adam step, which takes it, trains other weights
        assert trained[0] != trained[2] and trained[1] != trained[3]
