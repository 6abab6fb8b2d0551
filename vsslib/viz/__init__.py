"""Plot helpers for the notebooks. No algorithm lives here: every number plotted comes from vsslib.

Topic modules: ``dataset``, ``masks``, ``training``, ``classify``, ``study`` (gains, sweeps, trimaps,
failure panels, cost). Shared pieces here: the figure style, colourising label maps, and saving figures and
tables into ``results/`` with deterministic bytes (so ``make verify`` can compare them pixel for pixel).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .._io import atomic_path, write_json_atomic, write_text_atomic  # noqa: E402

__all__ = ["set_style", "colorize", "overlay", "save_figure", "save_table", "results_dir", "use_results",
           "record_file"]

_DPI = 110


def set_style() -> None:
    """Apply the study's plot style (seaborn whitegrid, readable fonts, no figure-level randomness)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": _DPI,
        "savefig.dpi": _DPI,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "figure.titlesize": 12,
        "figure.titleweight": "bold",
        "image.interpolation": "nearest",
        "svg.hashsalt": "vsslib",
    })


_RESULTS: Path | None = None


def use_results(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` the results root of :func:`save_figure` and :func:`save_table` (notebooks pass
    ``StudyParams.results``, resolved against the repository root)."""
    global _RESULTS
    _RESULTS = Path(path)
    return _RESULTS


def results_dir(root: str | os.PathLike[str] = "results") -> Path:
    """The results root: set by :func:`use_results`, else ``$VSSLIB_RESULTS``, else ``root``."""
    if _RESULTS is not None:
        return _RESULTS
    return Path(os.environ.get("VSSLIB_RESULTS", root))


def colorize(labels: np.ndarray, palette: np.ndarray, *, ignore_color: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Colour a label map.

    Parameters
    ----------
    labels : (..., H, W) integer label map; values outside the palette (255 = ignore) get ``ignore_color``.
    palette : (C, 3) uint8 colours.

    Returns
    -------
    (..., H, W, 3) uint8 image.
    """
    palette = np.asarray(palette, dtype=np.uint8)
    lut = np.tile(np.asarray(ignore_color, dtype=np.uint8), (256, 1))
    lut[: min(len(palette), 256)] = palette[:256]
    return lut[np.asarray(labels).astype(np.int64).clip(0, 255)]


def overlay(frame: np.ndarray, labels: np.ndarray, palette: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """Blend a coloured label map onto a (H, W, 3) uint8 frame; ignore pixels (255) stay unblended."""
    colour = colorize(labels, palette).astype(np.float32)
    frame_f = frame.astype(np.float32)
    keep = (np.asarray(labels) == 255)[..., None]
    out = np.where(keep, frame_f, (1 - alpha) * frame_f + alpha * colour)
    return out.round().astype(np.uint8)


def save_figure(fig: plt.Figure, name: str, *, caption: str, root: str | os.PathLike[str] | None = None,
                machine_dependent: bool = False) -> Path:
    """Save ``fig`` as ``<results>/figures/<name>.png`` (atomic, no timestamp metadata) and close it.

    ``caption`` (one sentence: what the reader should see) goes into ``<results>/index.json``, from which
    ``results/summary.md`` is built. ``machine_dependent`` marks figures of measured times, which
    ``make verify`` reports but cannot compare pixel for pixel.
    """
    base = results_dir() if root is None else Path(root)
    path = base / "figures" / f"{name}.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    _record(base, "figures", name, {"file": f"figures/{name}.png", "caption": caption,
                                    "machine_dependent": machine_dependent})
    return path


def save_table(table: pd.DataFrame, name: str, *, caption: str, root: str | os.PathLike[str] | None = None,
               float_format: str = "%.4f", machine_dependent_columns: tuple[str, ...] = ()) -> Path:
    """Save ``table`` as ``<results>/tables/<name>.csv`` plus a Markdown copy ``<name>.md``.

    ``machine_dependent_columns`` name columns of measured times (seconds, frames per second), which
    ``make verify`` reports but does not require to match.
    """
    base = results_dir() if root is None else Path(root)
    folder = base / "tables"
    csv_path = folder / f"{name}.csv"
    write_text_atomic(csv_path, table.to_csv(index=False, float_format=float_format, lineterminator="\n"))
    write_text_atomic(folder / f"{name}.md", _to_markdown(table, float_format) + "\n")
    missing = [c for c in machine_dependent_columns if c not in table.columns]
    if missing:
        raise ValueError(f"table {name}: machine_dependent_columns {missing} are not columns of the table "
                         f"({list(table.columns)})")
    _record(base, "tables", name, {"file": f"tables/{name}.csv", "caption": caption,
                                   "machine_dependent_columns": list(machine_dependent_columns)})
    return csv_path


def record_file(path: Path, *, caption: str, root: str | os.PathLike[str] | None = None) -> Path:
    """Index a file written by other means (an animation) under ``figures`` in ``index.json``."""
    base = results_dir() if root is None else Path(root)
    _record(base, "figures", Path(path).name, {"file": str(Path(path).relative_to(base)), "caption": caption,
                                               "machine_dependent": False})
    return Path(path)


def _record(base: Path, kind: str, name: str, entry: dict) -> None:
    """Add one entry to ``<results>/index.json`` (what each file shows and which notebook made it)."""
    index_path = base / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    entry = {**entry, "notebook": os.environ.get("VSSLIB_NOTEBOOK", "interactive")}
    index.setdefault(kind, {})[name] = entry
    write_json_atomic(index_path, index)


def _to_markdown(table: pd.DataFrame, float_format: str) -> str:
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return "nan" if np.isnan(value) else float_format % value
        return str(value)

    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


from . import classify, masks, study, training  # noqa: E402  (topic modules use the helpers above)
