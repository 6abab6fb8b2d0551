"""The headline once more, on generated videos held out while the study was built.

Every table of ``results/`` comes from the development benchmark (``params/default.yaml``, generator seed 0):
the code, the settings and the wording were shaped while looking at it, so its intervals do not cover the choices
made on it. ``params/confirm.yaml`` names a benchmark generated with a seed reserved for this (a separate root, so
nothing is shared but the code): :func:`confirm` trains the same baselines on its train split and computes the
approach-1 table (every baseline x masklet source, the settings' vote, every training seed) on its val split,
into ``results/confirm/tables/refiner.csv``, and the approach-2 rows the development study picked (for each kind
of masklets, the highest of its approach-2 rows on the development val videos: a choice made there, scored here
on videos that played no part in it) into ``results/confirm/tables/mask_classifier.csv``.
:func:`confirmation_findings` reads each headline verdict (the gain of mIoU and mBIoU, gain / loss / not
distinguishable from zero) on both and says whether it held.

:func:`confirm_study` goes further: it runs every notebook on that benchmark (the whole study, into
``results/confirm/``), so every table is computed once more on videos that shaped nothing, and
:func:`study_confirmation` compares every verdict and ordering the study states
(:func:`vsslib.study.findings.stated_findings`, what ``make verify`` compares) with the development results'.
The headline's two tables are then the notebooks' own.

Run once, after the code that shapes the study has settled: ``make confirm`` (or
``python -m vsslib.study.confirm``; ``--headline-only`` for the two headline tables alone), which also writes
the README's block between its ``CONFIRM`` markers and ``findings.csv`` beside the confirmation's tables. A
benchmark that has been looked at is no longer untouched: the next confirmation takes a new seed. After a change
to the block's wording only, ``--rewrite`` writes it again from the tables already there. The development results
a confirmation is compared with are kept beside it (:func:`keep_development`), so its block still compares the same
two sides once the development results have been made again with later code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import pandas as pd

from ..base.errors import DataError, VsslibError, require_columns
from ..base.io import atomic_folder, write_text_atomic
from .findings import stated_findings, update_readme
from .notebook_api import Study
from .notebooks import DEFAULT_JOBS, NotebookFailed, run_figures
from .prefetch import prefetch_masklets
from .settings import StudySettings, load_settings
from .specs import ClassifierRow
from .verdicts import VOTE_SCOPES, Finding, classifier_training, highest_row, interval_text, verdict

__all__ = ["CONFIRM_MARKERS", "CONFIRM_PARAMS", "confirm", "confirm_study", "picked_rows", "confirmation_findings",
           "classifier_confirmation_findings", "STUDY_COLUMNS", "study_confirmation", "write_study_confirmation",
           "confirmation_block", "DEVELOPMENT_COPY", "keep_development", "written_block", "main"]

CONFIRM_PARAMS = "params/confirm.yaml"
CONFIRM_MARKERS = ("<!-- CONFIRM:START -->", "<!-- CONFIRM:END -->")
_METRICS = ("mIoU", "mBIoU")


def confirm(params_file: str | os.PathLike[str] = CONFIRM_PARAMS, *, development: pd.DataFrame | None = None,
            progress: bool = True, jobs: int = DEFAULT_JOBS) -> tuple[Path, Path | None]:
    """Compute the approach-1 table of ``params_file``'s benchmark into ``<its results>/tables/refiner.csv`` and,
    given the development study's ``mask_classifier`` table, its picked approach-2 rows (:func:`picked_rows`) into
    ``<its results>/tables/mask_classifier.csv``.

    The sam2-mini masklets both approaches read (approach 2: the picked rows' splits) are made first, ``jobs``
    videos at a time (:func:`~vsslib.study.prefetch.prefetch_masklets`).

    Returns
    -------
    (refiner, mask_classifier): the tables written (the second None without ``development``).

    Raises
    ------
    DataError : the settings' results folder is the development one (``results/``), which this must not touch;
        ``development`` lacks a column :func:`picked_rows` reads (checked before anything is computed).
    ParameterError : a picked row is one the settings do not run (checked before anything is computed).
    """
    settings = load_settings(params_file)
    picks = None if development is None else picked_rows(development)  # a malformed table fails before hours of work
    results = _own_results(settings, params_file)
    study = Study(settings, progress=progress, notebook="confirm")
    if picks is not None:
        study.check_picks(picks)  # a pick this study cannot run stops before approach 1 is computed
    name = f"{study.data_name} (seed {settings.data.seed}, held out from development)"
    made = prefetch_masklets(settings, jobs=jobs, progress=progress, picks=picks,
                             purposes=("evaluated",) if picks is None else ("evaluated", "classifier"))
    if progress:
        print(made.summary(), flush=True)
    with study.step("approach 1: every baseline x source x seed"):
        table, _ = study.refiner_table((settings.refiner.vote,))
    refiner = study.save_table(table, "refiner", caption=f"Approach 1 on {name}: mean over training seeds, sd, 95 % "
                               "intervals over seeds and videos, gains over the baseline",
                               machine_dependent_columns=("fps",))
    if picks is None:
        return refiner, None
    with study.step("approach 2: the picked rows x seed"):
        table, _ = study.classifier_table(picks=picks)
    classifier = study.save_table(table, "mask_classifier", caption=f"Approach 2 on {name}: for each kind of "
                                  "masklets the baseline and the approach-2 row picked on the development val videos "
                                  "(the highest there), mean over training seeds, sd, 95 % intervals over seeds and "
                                  "videos, gains over the baseline", machine_dependent_columns=("fps",))
    # the folder's headline tables are now this run's, not a whole study's: drop what says otherwise, so that a
    # later whole-study run executes every notebook again and no block reads a stale comparison
    for stale in (results / "findings.csv", results / "notebooks" / "stamps.json"):
        stale.unlink(missing_ok=True)
    return refiner, classifier


def _own_results(settings: StudySettings, params_file: str | os.PathLike[str]) -> Path:
    """The confirmation's results folder (``settings``, loaded from ``params_file``); a DataError when it is the
    development study's ``results/``."""
    if settings.results.resolve() == settings.folder("results").resolve():
        raise DataError(f"{params_file}: run.results_dir is results/, the development study's; a confirmation "
                        "writes to its own folder (results/confirm in params/confirm.yaml)")
    return settings.results


def confirm_study(params_file: str | os.PathLike[str] = CONFIRM_PARAMS, *, progress: bool = True,
                  jobs: int = DEFAULT_JOBS) -> tuple[Path, Path]:
    """Run every notebook on ``params_file``'s benchmark into its results folder
    (:func:`vsslib.study.notebooks.run_figures`: resumable, a notebook already run with the same inputs is
    skipped); returns its ``refiner`` and ``mask_classifier`` tables, which the headline block compares.

    Raises
    ------
    DataError : the settings' results folder is ``results/``; a headline table was not written.
    NotebookFailed : a notebook failed (its executed copy says where).
    """
    results = _own_results(load_settings(params_file), params_file)
    run_figures(Path(params_file), progress=progress, jobs=jobs)
    tables = [results / "tables" / f"{name}.csv" for name in ("refiner", "mask_classifier")]
    missing = [os.fspath(t) for t in tables if not t.is_file()]
    if missing:
        raise DataError(f"the whole study on {params_file} wrote no {missing}")
    return tables[0], tables[1]


STUDY_COLUMNS = ["key", "development", "confirmation", "held", "development_text", "confirmation_text"]


def study_confirmation(development: str | os.PathLike[str], confirmation: str | os.PathLike[str]) -> pd.DataFrame:
    """Every verdict and ordering the study states (:func:`vsslib.study.findings.stated_findings`) on the
    development results and on the confirmation's whole study, one row per key (:data:`STUDY_COLUMNS`): each
    side's verdict (``"<absent>"`` where it states none) and sentence, and whether the verdict held."""
    before, after = stated_findings(development), stated_findings(confirmation)

    def read(found: dict[str, Finding], key: str) -> str:
        return found[key].verdict if key in found else "<absent>"

    rows = []
    for key in sorted(before.keys() | after.keys()):
        old, new = read(before, key), read(after, key)
        rows.append({"key": key, "development": old, "confirmation": new, "held": old == new,
                     "development_text": before[key].text if key in before else "",
                     "confirmation_text": after[key].text if key in after else ""})
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def write_study_confirmation(table: pd.DataFrame, results: str | os.PathLike[str]) -> Path:
    """Write :func:`study_confirmation`'s table to ``<results>/findings.csv`` (atomically)."""
    path = Path(results) / "findings.csv"
    write_text_atomic(path, table.to_csv(index=False))
    return path


def picked_rows(development: pd.DataFrame, metric: str = "mIoU") -> list[ClassifierRow]:
    """The approach-2 row the development ``mask_classifier`` table picks for each kind of masklets, in its order:
    the highest (:func:`~vsslib.study.verdicts.highest_row`), as ``classifier_findings`` names it."""
    require_columns(development, ["masklets", "method", "features", "classifier_videos", "variant", metric],
                  "the development mask_classifier table")
    approach2 = development[development["method"] == "approach 2"]
    return [ClassifierRow(str(label), *(str(best[c]) for c in ("features", "classifier_videos", "variant")))
            for label, group in approach2.groupby("masklets", sort=False)
            for best in [highest_row(group, metric)]]


def _refined(table: pd.DataFrame) -> pd.DataFrame:
    require_columns(table, ["baseline", "masklets", "method", "vote"], "a refiner table")
    return table[table["method"] == "refined"].set_index(["baseline", "masklets", "vote"])


def _compared(development: pd.Series, confirmation: pd.Series, column: str) -> tuple[str, str, str]:
    """The verdicts of ``column`` in a development row and its confirmation, and ``"held"`` when they are the
    same, else ``"<development> -> <confirmation>"``."""
    before, after = verdict(development, column), verdict(confirmation, column)
    return before, after, "held" if before == after else f"{before} -> {after}"


def confirmation_findings(development: pd.DataFrame, confirmation: pd.DataFrame) -> list[Finding]:
    """One finding per refined row and headline metric of the development table with a vote the confirmation
    computed (it computes the settings' vote only): its verdict there and on the held-out videos, ``"held"``
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
            before, after, outcome = _compared(row, other, column)
            baseline, masklets, vote = key
            findings.append(Finding(
                f"confirm/{baseline}/{masklets}/{vote}/{metric}", outcome,
                f"`{baseline}` + {masklets}, {VOTE_SCOPES.get(vote, f'vote {vote}')}, {metric} gain: "
                f"{interval_text(row, column)} ({before}) on the development "
                f"videos, {interval_text(other, column)} ({after}) on the held-out ones"))
    return findings


def classifier_confirmation_findings(development: pd.DataFrame, confirmation: pd.DataFrame) -> list[Finding]:
    """One finding per picked approach-2 row (:func:`picked_rows` of ``development``) and headline metric: the
    verdict of its gain over the baseline network on the development val videos (where it was picked, so that
    interval does not cover the choice) and on the held-out ones; ``"held"`` or ``"<dev> -> <confirm>"``.

    Raises
    ------
    DataError : the confirmation lacks a picked row.
    """
    columns = ["masklets", "features", "classifier_videos", "variant"]
    require_columns(confirmation, [*columns, "method"], "the confirmation's mask_classifier table")

    def indexed(table: pd.DataFrame) -> pd.DataFrame:
        rows = table[table["method"] == "approach 2"].astype({c: str for c in columns})
        return rows.set_index(columns)

    picks = picked_rows(development)  # checks the development table's columns
    dev, new = indexed(development), indexed(confirmation)
    missing = [tuple(p) for p in picks if tuple(p) not in new.index]
    if missing:
        raise DataError(f"the confirmation's mask_classifier table lacks the picked rows {missing}")
    findings = []
    for pick in picks:
        row, other = dev.loc[tuple(pick)], new.loc[tuple(pick)]
        split = "" if pick.classifier_videos == "-" else f", {classifier_training(pick.classifier_videos)}"
        for metric in _METRICS:
            column = f"gain_{metric}"
            before, after, outcome = _compared(row, other, column)
            findings.append(Finding(
                f"confirm/approach2/{pick.masklets}/{metric}", outcome,
                f"approach 2 on {pick.masklets} masklets (`{pick.variant}` on {pick.features} features{split}), "
                f"{metric} gain: {interval_text(row, column)} ({before}) on the development videos, where it was "
                f"picked, {interval_text(other, column)} ({after}) on the held-out ones"))
    return findings


def confirmation_block(development: pd.DataFrame, confirmation: pd.DataFrame, *, seed: int,
                       classifier: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                       study: pd.DataFrame | None = None, folder: str = "results/confirm",
                       development_folder: str = "results") -> str:
    """The README's block: how many headline verdicts held on the held-out videos, and each one; with
    ``classifier`` (the development and the confirmation ``mask_classifier`` tables), the picked approach-2 rows
    too; with ``study`` (:func:`study_confirmation`), how many of the whole study's stated verdicts and orderings
    held, and each one that did not (``folder``, ``development_folder``: where the confirmation's results and the
    development results it is compared with are, as the text names them)."""
    findings = confirmation_findings(development, confirmation)
    picked = [] if classifier is None else classifier_confirmation_findings(*classifier)
    held = sum(f.verdict == "held" for f in findings + picked)
    counts = _refined(confirmation)[["n_seeds", "n_videos"]].iloc[0]
    sources = f"`{development_folder}/tables/refiner.csv` and `{folder}/tables/refiner.csv`" + (
        "" if classifier is None else " (approach 2: the two `mask_classifier.csv`)")
    writer = "`make confirm`" if study is not None else "`python -m vsslib.study.confirm --headline-only`"
    lines = [f"Written by {writer} from {sources}: "
             f"the headline's gains recomputed once on a benchmark generated with seed {seed}, kept apart from the "
             f"development videos: no setting or code was changed for its results (same generator, settings and code; "
             f"{int(counts['n_seeds'])} training seeds x "
             f"{int(counts['n_videos'])} val videos). A verdict is gain, loss or unclear (not distinguishable from "
             f"zero), as above. **{held} of {len(findings) + len(picked)} verdicts held.**", ""]
    lines += [f"- {f.text}" + ("" if f.verdict == "held" else f" (**{f.verdict}**)") + "." for f in findings]
    if picked:
        lines += ["", "Approach 2: for each kind of masklets, the row the development study picked (the highest of "
                  "its approach-2 rows on the development val videos), scored on the held-out videos, which took "
                  "no part in that choice:", ""]
        lines += [f"- {f.text}" + ("" if f.verdict == "held" else f" (**{f.verdict}**)") + "." for f in picked]
    if study is not None:
        changed = study[~study["held"].astype(bool)]
        lines += ["", f"Every notebook was run on the held-out benchmark as well (`{folder}/`), so every table "
                  f"of the study was computed once more on videos that shaped nothing. Of the {len(study)} verdicts "
                  f"and orderings the study states (those `make verify` compares, README's Holm verdicts included), "
                  f"**{len(study) - len(changed)} held** (each in `{folder}/findings.csv`)"
                  + ("." if changed.empty else "; these did not:")]
        if not changed.empty:
            lines.append("")
        lines += [f"- {_code(row.key)}: {row.development} -> **{row.confirmation}**. Development: "
                  f"{str(row.development_text).rstrip('.') or '(absent)'}. Held-out: "
                  f"{str(row.confirmation_text).rstrip('.') or '(absent)'}." for row in changed.itertuples()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.confirm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default=CONFIRM_PARAMS, help="settings of the held-out benchmark")
    parser.add_argument("--development", default=None,
                        help="the development study's results folder (its tables, and every finding they state); "
                             "default: results, or with --rewrite the copy kept beside the confirmation")
    parser.add_argument("--headline-only", action="store_true",
                        help="compute the headline's two tables only (approach 1, approach 2's picked rows), not "
                             "the whole study")
    parser.add_argument("--approach1-only", action="store_true",
                        help="confirm the approach-1 headline only (no mask_classifier table needed; implies "
                             "--headline-only)")
    parser.add_argument("--readme", default="README.md", help="README whose CONFIRM block is rewritten ('' : none)")
    parser.add_argument("--rewrite", action="store_true",
                        help="rewrite the README block from the confirmation tables already written (in the results "
                             "folder of --params) after a change to the block's wording: nothing is computed, and "
                             "the held-out videos are not looked at again")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"notebooks (and sam2-mini masklets) made at once (default {DEFAULT_JOBS}, as "
                             "make figures)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    whole = not (args.headline_only or args.approach1_only)
    try:
        if args.rewrite:
            block = written_block(args.params, args.development, approach1_only=args.approach1_only)
        else:
            block = _confirm_and_compare(args, whole)
    except (VsslibError, NotebookFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(block)
    if args.readme:
        changed = update_readme(args.readme, block, markers=CONFIRM_MARKERS)
        print(f"{args.readme}: {'rewrote' if changed else 'unchanged'} the block between {CONFIRM_MARKERS[0]} and "
              f"{CONFIRM_MARKERS[1]}")
    return 0


DEVELOPMENT_COPY = "development"
"""The folder inside a confirmation's results that keeps the development results it was compared with."""


def keep_development(development: str | os.PathLike[str], results: str | os.PathLike[str]) -> Path:
    """Copy the development results' ``tables/*.csv`` and ``settings.json`` (all that
    :func:`~vsslib.study.findings.stated_findings` reads) into ``<results>/``:data:`DEVELOPMENT_COPY`, replacing an
    earlier copy only once the new one is complete: the comparison's other side, kept beside the confirmation, so
    its block can be written again (``--rewrite``) after the development results have moved on. Returns the copy."""
    development, target = Path(development), Path(results) / DEVELOPMENT_COPY
    with atomic_folder(target) as partial:
        (partial / "tables").mkdir()
        for table in sorted((development / "tables").glob("*.csv")):
            shutil.copyfile(table, partial / "tables" / table.name)
        if (development / "settings.json").is_file():
            shutil.copyfile(development / "settings.json", partial / "settings.json")
    return target


def _confirm_and_compare(args: argparse.Namespace, whole: bool) -> str:
    """``main`` without ``--rewrite``: compute the confirmation, keep the development results it is compared with
    (:func:`keep_development`) and return the block."""
    development_folder = Path(args.development or "results")
    tables = development_folder / "tables"
    names = ["refiner"] + ([] if args.approach1_only else ["mask_classifier"])
    for name in names:
        if not (tables / f"{name}.csv").is_file():
            raise DataError(f"{tables / name}.csv: the development table is missing; run `make figures` first")
    development = {name: pd.read_csv(tables / f"{name}.csv") for name in names}
    _refined(development["refiner"])  # its columns, checked before anything is computed
    settings = load_settings(args.params)
    results = _own_results(settings, args.params)
    _check_untouched(results, args.params)
    if whole:
        # the development table's columns, and picks this study runs, checked before hours of work
        Study(settings, progress=False).check_picks(picked_rows(development["mask_classifier"]))
        confirm_study(args.params, progress=not args.no_progress, jobs=args.jobs)
    else:
        confirm(args.params, development=development.get("mask_classifier"), progress=not args.no_progress,
                jobs=args.jobs)
    kept = keep_development(development_folder, results)
    # a whole study's findings.csv, written here, marks it compared (see _check_untouched)
    return written_block(args.params, kept, approach1_only=args.approach1_only, whole=whole)


def written_block(params_file: str | os.PathLike[str] = CONFIRM_PARAMS,
                  development: str | os.PathLike[str] | None = None, *, approach1_only: bool = False,
                  whole: bool | None = None, record: bool = True) -> str:
    """The README block of the finished confirmation of ``params_file``, from the tables already written (what
    ``--rewrite`` writes; nothing is computed). Its development side is ``development``, by default the copy kept
    beside the confirmation (:func:`keep_development`), else ``results``. ``whole``: compare the whole study too
    (:func:`study_confirmation`); None: where it was compared before (``findings.csv`` is there), a headline-only
    confirmation compares the headline alone. ``record``: write the whole study's comparison to ``findings.csv``
    anew (:func:`write_study_confirmation`).

    Raises
    ------
    DataError : a confirmation or development table is missing.
    """
    settings = load_settings(params_file)
    results = _own_results(settings, params_file)
    if development is None:
        development = results / DEVELOPMENT_COPY if (results / DEVELOPMENT_COPY).is_dir() else Path("results")
    tables, written = Path(development) / "tables", results / "tables"
    names = ["refiner"] + ([] if approach1_only else ["mask_classifier"])
    missing = [os.fspath(folder / f"{name}.csv") for folder in (tables, written) for name in names
               if not (folder / f"{name}.csv").is_file()]
    if missing:
        raise DataError(f"no table {missing}: run `make figures` (development) or `make confirm` (held-out) first")
    read = {name: (pd.read_csv(tables / f"{name}.csv"), pd.read_csv(written / f"{name}.csv")) for name in names}
    if whole is None:
        whole = (results / "findings.csv").is_file()
    study = study_confirmation(development, results) if whole else None
    if study is not None and record:
        write_study_confirmation(study, results)
    return confirmation_block(*read["refiner"], seed=settings.data.seed, classifier=read.get("mask_classifier"),
                              study=study, folder=_shown(results), development_folder=_shown(Path(development)))


def _check_untouched(results: Path, params_file: str | os.PathLike[str]) -> None:
    """Raise a DataError when ``results`` holds a finished confirmation: its videos have been looked at.

    Finished: a whole study compared (``findings.csv``), or headline tables without a whole study's stamps. A
    whole study stopped before its comparison (stamps, no ``findings.csv``) is resumed."""
    tables = results / "tables" / "refiner.csv"
    finished = (results / "findings.csv").is_file() or (tables.is_file()
                                                        and not (results / "notebooks" / "stamps.json").is_file())
    if finished:
        raise DataError(f"{results} holds a finished confirmation (of {params_file}'s benchmark): its videos have "
                        "been looked at. Give the next confirmation a new data.seed and data.root in "
                        f"{params_file} and move {results} away (or use --rewrite to rewrite the README block)")


def _code(text: str) -> str:
    """``text`` as a markdown code span; a text that holds backticks (a key naming a `variant`) is fenced with two,
    so its own backticks do not end the span."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _shown(path: Path) -> str:
    """``path`` relative to the working folder where it lies inside it (as the README names folders)."""
    try:
        return os.fspath(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.fspath(path)


if __name__ == "__main__":
    sys.exit(main())
