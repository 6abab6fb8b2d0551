"""The pinned environment: pyproject.toml and environment.yml must list the same packages and versions."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import yaml
from conftest import readme_words

ROOT = Path(__file__).resolve().parent.parent


def _normalise(requirement: str) -> tuple[str, str]:
    name, version = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*", requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), version


def test_pyproject_and_environment_yml_pin_the_same_packages() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = dict(_normalise(r) for r in pyproject["project"]["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert conda_python == ["python=3.11"]
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_lines, "environment.yml must install vsslib itself, editable"
    listed = dict(_normalise(line) for line in pip_lines if line != "-e .")
    assert listed == pinned


def test_every_dependency_is_pinned_exactly_and_constraints_agree() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = _normalise(line)
            constraints[name] = version
    for requirement in pyproject["project"]["dependencies"]:
        name, version = _normalise(requirement)  # raises (AttributeError) if not an exact pin
        assert constraints.get(name) == version, f"{name}: pyproject pins {version}, constraints.txt has {constraints.get(name)}"


def test_no_top_level_training_module() -> None:
    """sam2 installs a top-level package named `training`; vsslib must not shadow or clash with it."""
    assert not (ROOT / "training").exists() and not (ROOT / "training.py").exists()
    import training  # the one sam2 installs

    assert "site-packages" in str(Path(training.__file__))


def test_venv_set_up_refuses_a_disk_without_room_before_writing_anything(tmp_path: Path) -> None:
    """`make venv` checks the free disk first (VENV_GIB) and names it: the CI run of 2026-12-07 ran out of space
    half-way through pip (Errno 28) instead."""
    import shutil
    import subprocess

    venv = tmp_path / "venv"
    done = subprocess.run(["make", "-C", str(ROOT), f"VENV={venv}", "VENV_GIB=1000000", "venv"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    free = int(re.search(r"error: (\d+) GiB free on the disk of ", done.stdout).group(1))
    assert abs(free - shutil.disk_usage(ROOT).free // 2**30) <= 1  # df's figure, checked by another route
    assert "needs about 1000000 GiB" in done.stdout
    assert not venv.exists()


def test_readme_states_the_disk_the_makefile_checks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    gib = re.search(r"^VENV_GIB \?= (\d+)$", makefile, re.M).group(1)
    readme = readme_words()
    assert f"It needs about {gib} GiB of free disk" in readme


def test_readme_states_the_disk_the_environment_keeps() -> None:
    """The README's "`.venv` keeps N GiB" is the disk this test's own environment (``sys.prefix``: the Makefile's
    ``.venv``) takes, counted in allocated blocks as ``du`` counts them, to the README's one decimal."""
    readme = readme_words()
    stated = float(re.search(r"once installed, `\.venv` keeps (\d+\.\d) GiB", readme).group(1))
    used = 0
    for folder, _, files in os.walk(sys.prefix):
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            used += stat.st_blocks * 512
    assert abs(used / 2**30 - stated) <= 0.1, f"{sys.prefix} takes {used / 2**30:.2f} GiB; the README says {stated}"
