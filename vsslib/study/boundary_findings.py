"""The boundary analysis' verdicts (``05_boundary_analysis``): where along the boundary a refiner's change sits
(band sweeps), whether the paper's boundary claim holds per masklet source, which object sizes and classes pay,
and how consistency moves. Built on :mod:`vsslib.study.verdicts`' rules: a gain or a loss only where its 95 %
interval excludes zero, an order only where two intervals are apart.
"""

from __future__ import annotations

import math

import pandas as pd

from ..base.errors import require_columns
from ..viz.prose import number
from .verdicts import (VC_CONSTANT, VERDICT_WORDS, Finding, apart, interval_text, stated, vc_beside_vcc, vc_text,
                       verdict)

__all__ = ["band_findings", "boundary_verdicts", "network_verdicts", "per_class_findings", "size_findings",
           "consistency_findings"]


_TREND_WORDS = {"falls as the band widens": "falls at every step as the band widens",
                "rises as the band widens": "rises at every step as the band widens"}


def band_findings(rows: pd.DataFrame, column: str, *, x: str, unit: str = "") -> list[Finding]:
    """For each refined method of a band table (mBIoU by dilation ratio, trimap accuracy by width): the gain
    in the narrowest and the widest band, whether they are apart, and whether the change grows steadily.

    ``verdict`` is ``"narrow <v>, wide <v>; <narrow better|narrow worse|not apart>; <trend>"`` with trend one of
    ``"falls as the band widens"``, ``"rises as the band widens"``, ``"not monotone"``.
    """
    gain = f"gain_{column}"
    require_columns(rows, ["method", x, gain], f"band table of {column}")
    findings = []
    for method, part in rows[rows["method"] != "baseline"].groupby("method", sort=False):
        part = part.sort_values(x)
        narrow, wide = part.iloc[0], part.iloc[-1]
        steps = part[gain].diff().dropna()
        trend = ("falls as the band widens" if (steps < 0).all() else
                 "rises as the band widens" if (steps > 0).all() else "not monotone")
        if not apart(narrow, wide, gain):
            order, reading = "not apart", "the two intervals overlap, so where the change sits is not resolved"
        elif narrow[gain] > wide[gain]:
            order = "narrow better"
            peak = part.loc[part[gain].idxmax()]  # "largest" only where the narrowest band is the maximum
            larger = ("the gain is largest at the boundary" if peak[x] == narrow[x] else
                      f"the gain is larger at the boundary than in the widest band, though largest at {x} "
                      f"{peak[x]:g}{unit} ({number(peak[gain])})")
            narrow_gain, wide_loss = verdict(narrow, gain) == "gain", verdict(wide, gain) == "loss"
            reading = ("the narrowest band fares better than the widest"
                       + (f": {larger}" if narrow_gain and not wide_loss else
                          ": a gain at the boundary and a loss in the widest band" if narrow_gain else
                          (": the change is least bad at the boundary and the losses grow away from it"
                           if trend == "falls as the band widens" else
                           ": the change is least bad at the boundary and the widest band loses more, though not "
                           "more at every step")
                          if wide_loss else ""))
        else:
            order = "narrow worse"
            reading = ("the narrowest band fares worse than the widest"
                       + (": the masklets' own outlines cost most" if verdict(narrow, gain) == "loss" else ""))
        text = (f"{method}: {interval_text(narrow, gain)} at {x} {narrow[x]:g}{unit} "
                f"({VERDICT_WORDS[verdict(narrow, gain)]}), {interval_text(wide, gain)} at {x} {wide[x]:g}{unit} "
                f"({VERDICT_WORDS[verdict(wide, gain)]}); across the {len(part)} bands the gain "
                f"{_TREND_WORDS.get(trend, 'does not move one way')}; "
                f"{reading}.")
        findings.append(Finding(f"band/{column}/{method}",
                                f"narrow {verdict(narrow, gain)}, wide {verdict(wide, gain)}; {order}; {trend}", text))
    return findings


_PER_CLASS_METRICS = {"gain_biou": "Boundary IoU", "gain_iou": "IoU"}  # per_class_findings' column names


def per_class_findings(per_class: pd.DataFrame, *, column: str = "gain_biou", source: str = "") -> list[Finding]:
    """How many classes gain, lose or are unclear on ``column`` (rows with a NaN gain left out), and the lowest.

    The text names the metric (``gain_biou``: Boundary IoU, ``gain_iou``: IoU). Classes the baseline scores
    almost no IoU on (under 5 %) are named: the vote only chooses among classes the network predicts inside a
    masklet, so a class the network rarely gets right there has little to gain from it.
    """
    require_columns(per_class, ["class", column], "per-class table")
    metric = _PER_CLASS_METRICS.get(column, f"`{column}`")
    scored = per_class.dropna(subset=[column])
    verdicts = scored.apply(lambda row: verdict(row, column), axis=1)
    counts = {v: int((verdicts == v).sum()) for v in ("gain", "loss", "unclear")}
    worst = scored.loc[scored[column].idxmin()]
    majority = next((v for v, n in counts.items() if n > len(scored) / 2), "none")
    text = (f"{metric} per class{' with ' + source + ' masklets' if source else ''}: of {len(scored)} classes "
            f"{counts['loss']} lose (interval below zero), {counts['gain']} gain and {counts['unclear']} "
            f"{'is' if counts['unclear'] == 1 else 'are'} unclear; the lowest gain is `{worst['class']}`'s, "
            f"{interval_text(worst, column)} points.")
    if "iou_baseline" in scored.columns:
        rare = scored[scored["iou_baseline"] < 5.0]
        if len(rare):
            names = ", ".join(f"`{r['class']}` ({r['iou_baseline']:.2f} %)" for _, r in rare.iterrows())
            text += (f" The baseline's IoU is almost zero on {names}: the vote can only choose a class the network "
                     "predicts inside the masklet, so where the network rarely gets a class right, the vote has "
                     "little to give it.")
    return [Finding(f"per_class/{source or column}", f"majority: {majority}; lowest: {worst['class']}", text)]


def boundary_verdicts(curve: pd.DataFrame, trimap: pd.DataFrame) -> list[Finding]:
    """One reconciled verdict per masklet source on the paper's question ("the gain comes primarily from
    boundaries").

    The question has two parts, answered by two angles: is there a gain at all (the widest band of the mBIoU
    sweep, which approaches mIoU), and is it largest at the boundary (the narrowest band against the widest,
    in the mBIoU sweep, the paper's own metric, checked class-free by the trimap). The claim holds only when
    the widest band gains and the narrowest gains more with intervals apart. The per-class count says how
    widespread a change is, not where it sits, so it does not enter.
    """
    bands = {f.key.split("/")[-1]: f for f in band_findings(curve, "mBIoU", x="ratio")}
    trimaps = {f.key.split("/")[-1]: f for f in band_findings(trimap, "accuracy", x="width")}
    findings = []
    for method, band in bands.items():
        part = curve[curve["method"] == method].sort_values("ratio")
        narrow, wide = part.iloc[0], part.iloc[-1]
        overall, order = verdict(wide, "gain_mBIoU"), band.verdict.split("; ")[1]
        trimap_order = trimaps[method].verdict.split("; ")[1] if method in trimaps else "absent"
        # the trimap checks the order of its narrowest and widest bands, and the sign at the boundary: its
        # narrowest band against the sweep's
        agree = (f"agrees on the order of the narrowest and widest bands ({order})" if trimap_order == order
                 else f"reads `{trimap_order}` for the order of its narrowest and widest bands")
        rows = trimap[trimap["method"] == method].sort_values("width")
        sign = ""
        if len(rows) and verdict(rows.iloc[0], "gain_accuracy") != verdict(narrow, "gain_mBIoU"):
            first = rows.iloc[0]
            sign = "; trimap sign differs at the boundary"
            there, here = VERDICT_WORDS[verdict(first, "gain_accuracy")], VERDICT_WORDS[verdict(narrow, "gain_mBIoU")]
            agree += (f"; it differs on the sign at the boundary: accuracy in its narrowest band "
                      f"({first['width']:g} px) {interval_text(first, 'gain_accuracy')} ({there}) "
                      f"against {here} in mBIoU at ratio {narrow['ratio']:g}")
        if overall == "gain" and order == "narrow better":
            holds, text = "holds", ("the paper's claim **holds** in this test's sense: a gain, larger in the "
                                    "narrowest band than in the widest (how much of the whole gain lies on "
                                    "boundary pixels is not measured)" + _headroom(narrow, wide))
            if "oracle" in method:
                text += ("; oracle masklets are the exact objects, so this is a reference with perfect masklets, "
                         "not SAM2")
        elif overall == "gain" and order == "not apart":
            holds, text = "gain, unresolved", ("a gain, but the narrowest and widest bands' intervals overlap, so "
                                               "whether it comes from the boundary is not resolved here")
        elif overall == "gain":
            holds, text = "gain elsewhere", ("a gain, but **not** concentrated at the boundary: the claim's "
                                             "mechanism is not what the bands show")
        elif overall == "loss" and order == "narrow better":
            at_narrow = verdict(narrow, "gain_mBIoU")
            at_boundary = {"gain": _gaining_bands(part), "loss": "least bad at the boundary",
                           "unclear": "no change distinguishable at the boundary"}[at_narrow]
            falls = band.verdict.endswith("falls as the band widens")
            growth = ("a change that falls at every step as the band widens" if falls and at_narrow == "gain"
                      else "losses that grow away from the boundary" if falls
                      else "a larger loss in the widest band than in the narrowest")
            holds, text = "no gain", (f"**no gain to attribute**: a loss in the widest band, {at_boundary}, and "
                                      f"{growth}, so the loss lies in whole regions given a wrong class, not in "
                                      "their outlines")
        elif overall == "loss":
            holds, text = "no gain", "**no gain to attribute**: a loss, worst at or not resolved near the boundary"
        else:
            holds, text = "unresolved", "neither a gain nor a loss in the widest band: the claim is not settled here"
        findings.append(Finding(
            f"boundary/{method}", f"{holds}; {order}{sign}",
            f"{method}: {text}. mBIoU gain {interval_text(narrow, 'gain_mBIoU')} at ratio {narrow['ratio']:g} "
            f"against {interval_text(wide, 'gain_mBIoU')} at ratio {wide['ratio']:g} (the band sweep answers the "
            f"question); the class-free trimap {agree}."))
    return findings


def _gaining_bands(part: pd.DataFrame) -> str:
    """Which bands of one method's sweep (rows by ``ratio``, the narrowest gaining) gain: "a gain in the narrowest
    band only", "gains in the bands up to ratio 0.01" (the gaining bands are the narrowest ones) or "a gain in the
    narrowest band" (others gain too, not all next to it)."""
    gains = [verdict(row, "gain_mBIoU") == "gain" for _, row in part.iterrows()]
    count = sum(gains)
    if count == 1:
        return "a gain in the narrowest band only"
    if all(gains[:count]):
        return f"gains in the bands up to ratio {part['ratio'].iloc[count - 1]:g}"
    return "a gain in the narrowest band"


def network_verdicts(curves: pd.DataFrame, trimaps: pd.DataFrame, *, analysed: str | None = None) -> list[Finding]:
    """:func:`boundary_verdicts` on each network's refined maps, then one finding per masklet source saying whether
    the networks agree. The paper's claim is a claim about the masklets: it is said to hold for a source only where
    it holds on every network; where the verdicts differ, each network's is named.

    Parameters
    ----------
    curves, trimaps : the band-sweep and trimap tables of every network stacked, a ``baseline`` column naming the
        network of each row (``boundary_biou_by_dilation_by_network``, ``boundary_trimap_by_network``).
    analysed : a network whose own verdicts are stated elsewhere (:func:`boundary_verdicts` on its tables): left
        out of the per-network verdicts, still read for the agreement.

    Returns
    -------
    The per-network verdicts (keys ``boundary/<network>/<method>``, texts starting "On `<network>`"), then the
    agreement per source (keys ``boundary/agreement/<method>``, verdict ``"same: <verdict>"`` or
    ``"depends: <network> <verdict>, ..."``).
    """
    require_columns(curves, ["baseline", "method"], "boundary_biou_by_dilation_by_network")
    require_columns(trimaps, ["baseline", "method"], "boundary_trimap_by_network")
    findings, by_source = [], {}
    for network, curve in curves.groupby("baseline", sort=False):
        trimap = trimaps[trimaps["baseline"] == network]
        for finding in boundary_verdicts(curve.drop(columns="baseline"), trimap.drop(columns="baseline")):
            method = finding.key.split("/", 1)[1]
            by_source.setdefault(method, {})[str(network)] = finding.verdict.split("; ")[0]
            if str(network) != analysed:
                findings.append(Finding(f"boundary/{network}/{method}", finding.verdict,
                                        f"On `{network}`, {finding.text}"))
    for method, verdicts in by_source.items():
        named = "; ".join(f"`{v}` on `{n}`" for n, v in verdicts.items())
        if len(set(verdicts.values())) == 1:
            token = f"same: {next(iter(verdicts.values()))}"
            text = f"{method}: the same verdict on every network ({named})."
        else:
            token = "depends: " + ", ".join(f"{n} {v}" for n, v in verdicts.items())
            text = (f"{method}: the verdict depends on the network ({named})"
                    + (", so the paper's claim is not said to hold for these masklets in general: it holds with one "
                       "network's predictions, not with the other's." if "holds" in verdicts.values() else "."))
        findings.append(Finding(f"boundary/agreement/{method}", token, text))
    return findings


def _headroom(narrow: pd.Series, wide: pd.Series) -> str:
    """The narrowest and widest bands' gains as shares of the room the baseline left (100 minus its score), for
    rows of a refined method of the band sweep, whose ``mBIoU - gain_mBIoU`` is the baseline; "" without them."""
    if "mBIoU" not in narrow.index:
        return ""
    shares = [100 * row["gain_mBIoU"] / (100 - (row["mBIoU"] - row["gain_mBIoU"])) for row in (narrow, wide)]
    if not all(math.isfinite(x) for x in shares):
        return ""
    return (f"; the narrowest band also starts lower (baseline {narrow['mBIoU'] - narrow['gain_mBIoU']:.1f} "
            f"against {wide['mBIoU'] - wide['gain_mBIoU']:.1f}), and as a share of the room left the gains are "
            f"{shares[0]:.1f} % against {shares[1]:.1f} %")


def size_findings(sizes: pd.DataFrame, *, column: str = "gain_accuracy") -> list[Finding]:
    """Per refined method of the object-size table: the bin with the lowest and with the highest gain, and
    whether the lowest is apart from every other bin (only then is it "the objects that pay most")."""
    require_columns(sizes, ["method", "size_bin", column], "boundary_gain_by_object_size")
    findings = []
    for method, part in sizes[sizes["method"] != "baseline"].groupby("method", sort=False):
        part = part.reset_index(drop=True)
        low, high = part.loc[part[column].idxmin()], part.loc[part[column].idxmax()]
        alone = all(apart(low, other, column) for i, other in part.iterrows() if i != part[column].idxmin())
        text = (f"{method}: the lowest change is on objects of {low['size_bin']} px, {stated(low, column)}; the "
                f"highest on {high['size_bin']} px, {stated(high, column)}. "
                + ("The lowest bin's interval is apart from every other bin's."
                   if alone else "The lowest bin's interval overlaps another bin's, so no size pays clearly most."))
        # which bin is lowest is a finding only where it is apart from every other bin
        findings.append(Finding(f"size/{method}", f"lowest {low['size_bin']} (apart)" if alone else "lowest not apart",
                                text))
    return findings


def consistency_findings(vc_summary: pd.DataFrame, *, metric: str = "mVC8") -> list[Finding]:
    """Per refined method of the VC summary: the verdict of the consistency gain of VSPW's VC and of correct
    consistency beside it (``mVCc<n>`` for ``metric`` ``mVC<n>``), and (where VC is at or above
    :data:`VC_CONSTANT`) that it is constant by construction, with how far mVCc is below it.

    ``verdict`` is ``"<metric> <verdict>, <correct metric> <verdict>"``.
    """
    correct = "mVCc" + metric.removeprefix("mVC")
    require_columns(vc_summary, ["method", metric, f"gain_{metric}", correct, f"gain_{correct}"], "consistency summary")
    base = vc_summary[vc_summary["method"] == "baseline"].iloc[0]
    findings = []
    for _, row in vc_summary[vc_summary["method"] != "baseline"].iterrows():
        text = (f"{row['method']}: mean {metric} {vc_text(base[metric])} -> {vc_text(row[metric])}, "
                f"{stated(row, f'gain_{metric}')}; mean {correct} (VC that also asks for the right class) "
                f"{base[correct]:.1f} -> {row[correct]:.1f}, {stated(row, f'gain_{correct}')}")
        if "windows_steadier" in row and math.isfinite(float(row["windows_steadier"])):
            text += f"; {interval_text(row, 'windows_steadier', digits=0, signed=False)} % of the windows are steadier"
        if float(row[metric]) >= VC_CONSTANT:
            text += ("; a VC this close to 100 is built in by one vote per masklet (a track keeps one label "
                     "whatever class wins), not evidence that the classes are right")
        text += vc_beside_vcc(row, metric, correct, gains=False) + "."
        findings.append(Finding(f"consistency/{row['method']}",
                                f"{metric} {verdict(row, f'gain_{metric}')}, "
                                f"{correct} {verdict(row, f'gain_{correct}')}",
                                text))
    return findings
