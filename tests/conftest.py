"""Shared test data builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vsslib.data import VSPWDataset, generate
from vsslib.segmenters import save_predictions

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_words() -> str:
    """The README with every run of whitespace made one space: its sentences wrap anywhere, tests match them whole."""
    return " ".join(README.read_text().split())


def blocky_benchmark(base: Path, *, n_val: int, seed: int) -> tuple[Path, Path]:
    """A tiny generated benchmark (1 train / ``n_val`` val / 1 test videos of 10 frames at 32x48) and, as
    'predictions' of a coarse network, its val ground truth subsampled by 8 and repeated back (blocky
    boundaries a refiner can fix). Returns (dataset root, predictions folder)."""
    root = generate(base / "data", n_videos=n_val + 2, n_frames=10, height=32, width=48, seed=seed,
                    split_counts=(1, n_val, 1))
    dataset = VSPWDataset(root, "val")
    for name in dataset.videos:
        video = dataset.load(name)
        blocky = np.repeat(np.repeat(video.labels[:, ::8, ::8], 8, axis=1), 8, axis=2)
        save_predictions(base / "preds", name, video.frame_ids, blocky)
    return root, base / "preds"


PARAMETERS_CELL = '# %% tags=["parameters"]\nparams_file = "params/default.yaml"\nresults_dir = "scratch/results"\n\n'
"""The parameters cell every study notebook opens with (the two values ``make figures`` injects)."""


def toy_repository(base: Path, notebooks: dict[str, str]) -> Path:
    """A repository root that ``repo_root()`` accepts (``pyproject.toml`` and ``vsslib/``) holding ``params.yaml``
    (results into ``out/``) and, for each ``name: code`` of ``notebooks``, ``notebooks/<name>.py`` made of
    :data:`PARAMETERS_CELL` and one code cell of ``code``, paired to its ``.ipynb``. Returns ``base``."""
    from vsslib.study.notebooks import sync_notebooks

    (base / "pyproject.toml").write_text("")
    (base / "vsslib").mkdir()
    (base / "notebooks").mkdir()
    (base / "params.yaml").write_text("run:\n  results_dir: out\n")
    for name, code in notebooks.items():
        (base / "notebooks" / f"{name}.py").write_text(f"{PARAMETERS_CELL}# %%\n{code}")
    sync_notebooks(base)
    return base
