"""The headline once more, on generated videos never looked at while the study was built.

Every table of ``results/`` comes from the development benchmark (``params/default.yaml``, generator seed 0):
the code, the settings and the wording were shaped while looking at it, so its intervals do not cover the choices
made on it. ``params/confirm.yaml`` names a benchmark generated with a seed reserved for this (a separate root, so
nothing is shared but the code): :func:`confirm` trains the same baselines on its train split and computes the
approach-1 table (every baseline x masklet source, the settings' vote, every training seed) on its val split,
into ``results/confirm/tables/refiner.csv``. :func:`confirmation_findings` reads each headline verdict (the gain
of mIoU and mBIoU, gain / loss / not distinguishable from zero) on both and says whether it held.

Run once, after the code that shapes the headline has settled: ``make confirm`` (or
``python -m vsslib.study.confirm``), which also writes the README's block between its ``CONFIRM`` markers. A
benchmark that has been looked at is no longer untouched: the next confirmation takes a new seed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from ..base.errors import DataError, VsslibError
from .findings import update_readme
from .notebook_api import Study
from .settings import load_settings
from .verdicts import Finding, interval_text, verdict

__all__ = ["CONFIRM_MARKERS", "CONFIRM_PARAMS", "confirm", "confirmation_findings", "confirmation_block", "main"]

CONFIRM_PARAMS = "params/confirm.yaml"
CONFIRM_MARKERS = ("<!-- CONFIRM:START -->", "<!-- CONFIRM:END -->")
_METRICS = ("mIoU", "mBIoU")


def confirm(params_file: str | os.PathLike[str] = CONFIRM_PARAMS, *, progress: bool = True) -> Path:
    """Compute the approach-1 table of ``params_file``'s benchmark into ``<its results>/tables/refiner.csv``.

    Raises
    ------
    DataError : the settings' results folder is the development one (``results/``), which this must not touch.
    """
    settings = load_settings(params_file)
    if settings.results.resolve() == settings.folder("results").resolve():
        raise DataError(f"{params_file}: run.results_dir is results/, the development study's; a confirmation "
                        "writes to its own folder (results/confirm in params/confirm.yaml)")
    study = Study(settings, progress=progress, notebook="confirm")
    with study.step("every baseline x source x seed"):
        table, _ = study.refiner_table((settings.refiner.vote,))
    return study.save_table(table, "refiner", caption=f"Approach 1 on {study.data_name} (seed {settings.data.seed}, "
                            "untouched during development): mean over training seeds, sd, 95 % intervals over seeds "
                            "and videos, gains over the baseline", machine_dependent_columns=("fps",))


def _refined(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("baseline", "masklets", "method", "vote") if c not in table.columns]
    if missing:
        raise DataError(f"a refiner table lacks the columns {missing}")
    return table[table["method"] == "refined"].set_index(["baseline", "masklets", "vote"])


def confirmation_findings(development: pd.DataFrame, confirmation: pd.DataFrame) -> list[Finding]:
    """One finding per refined row and headline metric of the development table with a vote the confirmation
    computed (it computes the settings' vote only): its verdict there and on the untouched videos, ``"held"``
    when both are the same, else ``"<dev> -> <confirm>"``.

    Raises
    ------
    DataError : such a row of the development table has no counterpart in the confirmation.
    """
    dev, new = _refined(development), _refined(confirmation)
    dev = dev[dev.index.get_level_values("vote").isin(set(new.index.get_level_values("vote")))]
    missing = sorted(set(dev.index) - set(new.index))
    if missing:
        raise DataError(f"the confirmation table lacks the rows {missing} of the development table")
    findings = []
    for key, row in dev.iterrows():
        other = new.loc[key]
        for metric in _METRICS:
            column = f"gain_{metric}"
            before, after = verdict(row, column), verdict(other, column)
            baseline, masklets, vote = key
            findings.append(Finding(
                f"confirm/{baseline}/{masklets}/{vote}/{metric}", "held" if before == after else f"{before} -> {after}",
                f"`{baseline}` + {masklets}, {metric} gain: {interval_text(row, column)} ({before}) on the development "
                f"videos, {interval_text(other, column)} ({after}) on the untouched ones"))
    return findings


def confirmation_block(development: pd.DataFrame, confirmation: pd.DataFrame, *, seed: int) -> str:
    """The README's block: how many headline verdicts held on the untouched videos, and each one."""
    findings = confirmation_findings(development, confirmation)
    held = sum(f.verdict == "held" for f in findings)
    counts = _refined(confirmation)[["n_seeds", "n_videos"]].iloc[0]
    lines = [f"Written by `make confirm` from `results/tables/refiner.csv` and `results/confirm/tables/refiner.csv`: "
             f"the headline's gains recomputed once on a benchmark generated with seed {seed}, never looked at while "
             f"the study was built (same generator, settings and code; {int(counts['n_seeds'])} training seeds x "
             f"{int(counts['n_videos'])} val videos). A verdict is gain, loss or not distinguishable from zero, as "
             f"above. **{held} of {len(findings)} verdicts held.**", ""]
    lines += [f"- {f.text}" + ("" if f.verdict == "held" else f" (**{f.verdict}**)") + "." for f in findings]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.confirm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default=CONFIRM_PARAMS, help="settings of the untouched benchmark")
    parser.add_argument("--development", default="results",
                        help="the development study's results folder (its tables/refiner.csv)")
    parser.add_argument("--readme", default="README.md", help="README whose CONFIRM block is rewritten ('' : none)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        development = Path(args.development) / "tables" / "refiner.csv"
        if not development.is_file():
            raise DataError(f"{development}: the development table is missing; run `make figures` first")
        written = confirm(args.params, progress=not args.no_progress)
        block = confirmation_block(pd.read_csv(development), pd.read_csv(written),
                                   seed=load_settings(args.params).data.seed)
    except VsslibError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(block)
    if args.readme:
        changed = update_readme(args.readme, block, markers=CONFIRM_MARKERS)
        print(f"{args.readme}: {'rewrote' if changed else 'unchanged'} the block between {CONFIRM_MARKERS[0]} and "
              f"{CONFIRM_MARKERS[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
