"""Verdicts and orderings from small hand-made tables: each answer is read off the numbers by hand, and a
change of sign or order in the table changes the finding."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.study.findings import study_findings
from vsslib.study.boundary_findings import (band_findings, boundary_verdicts, consistency_findings, network_verdicts,
                                            per_class_findings, size_findings)
from vsslib.study.verdicts import (apart, cause_findings, cause_remedies, classifier_findings, refiner_findings,
                                   sweep_findings, verdict, window_findings)


def _cells(name: str, mean: float, low: float, high: float) -> dict[str, float]:
    return {name: mean, f"{name}_ci_low": low, f"{name}_ci_high": high}


def test_verdict_and_apart_read_the_interval_only() -> None:
    assert verdict(_cells("g", 0.1, 0.01, 0.2), "g") == "gain"
    assert verdict(_cells("g", -0.1, -0.2, -0.01), "g") == "loss"
    assert verdict(_cells("g", 5.0, -0.01, 9.0), "g") == "unclear"  # a large mean does not make a gain
    assert apart(_cells("g", 3, 2, 4), _cells("g", 0, -1, 1.9), "g")
    assert not apart(_cells("g", 3, 2, 4), _cells("g", 0, -1, 2.0), "g")  # touching intervals overlap
    with pytest.raises(DataError, match="g_ci_low"):
        verdict({"g": 1.0}, "g")


def _band(method: str, xs: list[float], gains: list[tuple[float, float, float]], x: str = "ratio") -> pd.DataFrame:
    return pd.DataFrame([{"method": method, x: v, **_cells("gain_mBIoU", *g)} for v, g in zip(xs, gains)])


def test_band_findings_say_where_the_change_sits() -> None:
    # classical-like: a small gain at the narrowest band, losses growing as it widens
    falling = _band("refined (a)", [0.005, 0.02, 0.05], [(1.2, 0.3, 2.0), (-3.5, -4.7, -2.5), (-5.5, -6.5, -4.7)])
    (finding,) = band_findings(falling, "mBIoU", x="ratio")
    assert finding.verdict == "narrow gain, wide loss; narrow better; falls as the band widens"
    assert "+1.2 [+0.3, +2.0] at ratio 0.005" in finding.text and "least bad" not in finding.text  # a gain there
    assert "a gain at the boundary and a loss in the widest band" in finding.text
    milder = _band("refined (a)", [0.005, 0.05], [(-1.2, -2.0, -0.3), (-5.5, -6.5, -4.7)])  # losses both ends
    assert "least bad at the boundary and the losses grow away from it" in band_findings(milder, "mBIoU",
                                                                                         x="ratio")[0].text
    # the classical trimap: least bad at 1 px, worst at 8 px, a little better again at 32 px: not "grow away"
    bent = _band("refined (a)", [1, 8, 32], [(-1.2, -2.0, -0.3), (-6.8, -7.6, -6.0), (-5.8, -6.5, -5.0)], x="width")
    text = band_findings(bent, "mBIoU", x="width")[0].text
    assert "grow away" not in text and "the widest band loses more, though not more at every step" in text
    # flip the order: the narrow band now loses most
    flipped = _band("refined (a)", [0.005, 0.02, 0.05], [(-5.5, -6.5, -4.7), (-3.5, -4.7, -2.5), (1.2, 0.3, 2.0)])
    assert band_findings(flipped, "mBIoU", x="ratio")[0].verdict == (
        "narrow loss, wide gain; narrow worse; rises as the band widens")
    # overlapping ends: no location is stated
    close = _band("refined (a)", [1, 2], [(-1.0, -2.0, -0.5), (-1.5, -2.5, -0.9)], x="width")
    close = close.rename(columns=lambda c: c.replace("mBIoU", "accuracy"))
    finding = band_findings(close, "accuracy", x="width")[0]
    assert "not apart" in finding.verdict and "not resolved" in finding.text
    # narrow above wide, but the peak one band in (sam2-mini with fcn16-wide: +7.6 at 0.005, +8.6 at 0.01)
    peaked = _band("refined (m)", [0.005, 0.01, 0.05], [(7.6, 6.5, 8.7), (8.6, 7.6, 9.6), (2.9, 2.0, 3.8)])
    text = band_findings(peaked, "mBIoU", x="ratio")[0].text
    assert "largest at the boundary" not in text
    assert "larger at the boundary than in the widest band, though largest at ratio 0.01 (+8.6)" in text
    top = _band("refined (m)", [0.005, 0.01, 0.05], [(9.6, 8.5, 10.7), (8.6, 7.6, 9.6), (2.9, 2.0, 3.8)])
    assert "the gain is largest at the boundary" in band_findings(top, "mBIoU", x="ratio")[0].text


def test_boundary_verdict_needs_a_gain_largest_at_the_boundary() -> None:
    curve = pd.concat([
        _band("refined (a)", [0.005, 0.05], [(1.2, 0.3, 2.0), (-5.5, -6.5, -4.7)]),
        _band("refined (b)", [0.005, 0.05], [(41.7, 39.3, 43.9), (14.3, 12.4, 16.0)]),
        _band("refined (c)", [0.005, 0.05], [(3.0, 2.0, 4.0), (9.0, 8.0, 10.0)])])
    trimap = curve.rename(columns={c: c.replace("mBIoU", "accuracy").replace("ratio", "width") for c in curve.columns})
    verdicts = {f.key: f for f in boundary_verdicts(curve, trimap)}
    assert verdicts["boundary/refined (a)"].verdict == "no gain; narrow better"
    assert "a loss in the widest band, a gain in the narrowest band only" in verdicts["boundary/refined (a)"].text
    assert verdicts["boundary/refined (b)"].verdict == "holds; narrow better"
    assert verdicts["boundary/refined (c)"].verdict == "gain elsewhere; narrow worse"
    assert all("trimap agrees on the order of the narrowest and widest bands" in f.text for f in verdicts.values())
    # two bands, the narrow one gaining: the change falls as the band widens (not "losses that grow")
    assert "and a change that falls at every step as the band widens, so the loss lies in whole regions" in \
        verdicts["boundary/refined (a)"].text
    # sam2-mini on fcn8-small: the two narrowest bands gain, the widest loses
    two = _band("refined (m)", [0.005, 0.01, 0.05], [(4.3, 3.2, 5.1), (1.6, 0.3, 2.7), (-1.5, -2.6, -0.6)])
    (finding,) = boundary_verdicts(two, two.rename(columns=lambda c: c.replace("mBIoU", "accuracy")
                                                   .replace("ratio", "width")))
    assert "a loss in the widest band, gains in the bands up to ratio 0.01, and a change that falls" in finding.text
    losing = _band("refined (a)", [0.005, 0.05], [(-1.9, -3.1, -0.7), (-10.9, -12.4, -9.6)])
    (finding,) = boundary_verdicts(losing, losing.rename(columns=lambda c: c.replace("mBIoU", "accuracy")
                                                         .replace("ratio", "width")))
    assert "least bad at the boundary, and losses that grow away from the boundary" in finding.text
    bent = _band("refined (a)", [0.005, 0.02, 0.05], [(1.2, 0.3, 2.0), (-6.8, -7.6, -6.0), (-5.5, -6.5, -4.7)])
    (finding,) = boundary_verdicts(bent, bent.rename(columns=lambda c: c.replace("mBIoU", "accuracy")
                                                     .replace("ratio", "width")))
    assert "a larger loss in the widest band than in the narrowest" in finding.text and "grow away" not in finding.text
    plain = verdicts["boundary/refined (b)"].text
    assert "a reference with perfect masklets" not in plain and "room left" not in plain  # no refined scores given
    assert all("sign" not in f.verdict for f in verdicts.values())  # the trimap's signs were the sweep's
    # the classical masklets on fcn16-wide: the sweep gains at its narrowest band (ratio 0.005, a 1-px band),
    # the trimap loses at 1 px: same order, other sign at the boundary; said, and part of the verdict verify reads
    sweep = _band("refined (a)", [0.005, 0.05], [(1.1, 0.2, 1.9), (-5.5, -6.7, -4.5)])
    bands = _band("refined (a)", [1, 32], [(-1.3, -2.3, -0.5), (-5.8, -6.5, -5.0)], x="width")
    (finding,) = boundary_verdicts(sweep, bands.rename(columns=lambda c: c.replace("mBIoU", "accuracy")))
    assert finding.verdict == "no gain; narrow better; trimap sign differs at the boundary"
    assert ("agrees on the order of the narrowest and widest bands (narrow better); it differs on the sign at the "
            "boundary: accuracy in its narrowest band (1 px) -1.3 [-2.3, -0.5] (a loss) against a gain in mBIoU "
            "at ratio 0.005") in finding.text


def test_the_boundary_claim_holds_for_a_source_only_where_it_holds_on_every_network() -> None:
    # sam2-mini-like: holds on the wide network; on the small one the widest band's interval reaches zero
    curves = pd.concat([
        _band("refined (m)", [0.005, 0.05], [(7.6, 6.3, 8.7), (2.9, 1.4, 4.2)]).assign(baseline="wide"),
        _band("refined (c)", [0.005, 0.05], [(1.1, 0.2, 1.9), (-5.5, -6.7, -4.5)]).assign(baseline="wide"),
        _band("refined (m)", [0.005, 0.05], [(1.9, 1.4, 2.4), (-0.5, -1.4, 0.4)]).assign(baseline="small"),
        _band("refined (c)", [0.005, 0.05], [(-2.0, -3.0, -1.0), (-11.1, -12.7, -9.6)]).assign(baseline="small")])
    trimaps = curves.rename(columns={c: c.replace("mBIoU", "accuracy").replace("ratio", "width") for c in curves})
    found = {f.key: f for f in network_verdicts(curves, trimaps)}
    assert found["boundary/wide/refined (m)"].verdict == "holds; narrow better"
    assert found["boundary/small/refined (m)"].verdict == "unresolved; narrow better"
    assert found["boundary/small/refined (m)"].text.startswith("On `small`, refined (m): neither a gain nor a loss")
    mixed = found["boundary/agreement/refined (m)"]
    assert mixed.verdict == "depends: wide holds, small unresolved"
    assert "not said to hold for these masklets in general" in mixed.text
    same = found["boundary/agreement/refined (c)"]
    assert same.verdict == "same: no gain"
    assert same.text == "refined (c): the same verdict on every network (`no gain` on `wide`; `no gain` on `small`)."
    # the small network's widest band now gains too: the claim holds on both
    curves.loc[(curves["baseline"] == "small") & (curves["method"] == "refined (m)") & (curves["ratio"] == 0.05),
               ["gain_mBIoU", "gain_mBIoU_ci_low", "gain_mBIoU_ci_high"]] = [0.8, 0.2, 1.3]
    agreed = {f.key: f for f in network_verdicts(curves, trimaps)}["boundary/agreement/refined (m)"]
    assert agreed.verdict == "same: holds"
    # the analysed network's own verdicts are stated elsewhere: left out, still read for the agreement
    without = {f.key: f for f in network_verdicts(curves, trimaps, analysed="wide")}
    assert sorted(without) == ["boundary/agreement/refined (c)", "boundary/agreement/refined (m)",
                               "boundary/small/refined (c)", "boundary/small/refined (m)"]
    assert without["boundary/agreement/refined (m)"] == agreed


def test_a_boundary_claim_that_holds_names_the_headroom_and_the_oracle_upper_bound() -> None:
    # oracle-like: baseline 12.4 in the narrowest band, 46.1 in the widest; refined 54.2 and 60.1
    curve = _band("refined (oracle)", [0.005, 0.05], [(41.8, 39.3, 43.9), (14.0, 12.4, 16.0)])
    curve["mBIoU"] = [54.2, 60.1]
    trimap = curve.rename(columns={c: c.replace("mBIoU", "accuracy").replace("ratio", "width") for c in curve.columns})
    (finding,) = boundary_verdicts(curve, trimap)
    assert finding.verdict == "holds; narrow better"
    # by hand: 41.8 / (100 - 12.4) = 47.7 %, 14.0 / (100 - 46.1) = 26.0 %
    assert "(baseline 12.4 against 46.1), and as a share of the room left the gains are 47.7 % against 26.0 %" in (
        finding.text)
    assert "a reference with perfect masklets, not SAM2" in finding.text and "in this test's sense" in finding.text


def test_sweep_lists_every_group_and_only_those_present() -> None:
    sweep = pd.DataFrame([{"strength": s, **_cells("gain_mIoU", *g)} for s, g in
                          [(0.0, (12.3, 10.5, 14.1)), (0.25, (3.7, 1.7, 5.7)), (0.5, (-0.5, -2.0, 1.0)),
                           (1.0, (-13.0, -14.9, -11.4))]])
    *per_strength, summary = sweep_findings(sweep)
    assert [f.verdict for f in per_strength] == ["gain", "gain", "unclear", "loss"]
    assert summary.verdict == "gain: 0,0.25; loss: 1; unclear: 0.5"
    assert "holds zero at s = 0.5" in summary.text
    # 3.7 at 0.25, -0.5 at 0.5: zero at 0.25 + 0.25 * 3.7 / 4.2 = 0.470
    assert "changes sign between s = 0.25 and s = 0.5 (the straight line between s = 0.25 and s = 0.5 crosses " \
           "zero at s = 0.47)" in summary.text
    assert "changes sign" not in sweep_findings(sweep[sweep["strength"] < 0.5])[-1].text  # all gains positive
    sweep.loc[2, ["gain_mIoU", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]] = [-3.5, -5.9, -1.3]
    summary = sweep_findings(sweep)[-1]
    assert summary.verdict == "gain: 0,0.25; loss: 0.5,1" and "holds zero" not in summary.text


def test_window_findings_do_not_blame_drift_alone_when_the_shortest_window_loses() -> None:
    windows = pd.DataFrame([{"masklets": "classical", "window": w, **_cells("gain_mIoU", *g)} for w, g in
                            [(32, (-10.4, -11.9, -9.2)), (4, (-1.4, -2.2, -0.8)), (8, (-3.4, -4.3, -2.7))]])
    (finding,) = window_findings(windows)
    assert finding.verdict == "shorter better; shortest loss"
    assert "4-frame" in finding.text and "when masklets are proposed" in finding.text
    # a shorter window also proposes more often and votes over fewer frames: drift is not isolated
    assert "does not say which of them matters" in finding.text and "(drift)" not in finding.text


def test_refiner_findings_flag_a_vc_built_in_by_the_vote() -> None:
    row = {"baseline": "net", "masklets": "oracle", "method": "refined", "mVC16": 99.96,
           **_cells("mVCc16", 84.3, 82.0, 86.5),
           **_cells("gain_mIoU", 9.8, 8.3, 11.1), **_cells("gain_mBIoU", 19.7, 17.9, 21.4),
           **_cells("gain_mVC16", 6.4, 5.2, 7.6), **_cells("gain_mVCc16", 5.1, 3.9, 6.2)}
    table = pd.DataFrame([{**row, "vote": "masklet"}, {**row, "vote": "frame", "mVC16": 98.6}])
    whole, frame = refiner_findings(table)
    assert whole.verdict == frame.verdict == "mIoU gain, mBIoU gain, mVC16 gain, mVCc16 gain"
    assert "near 100 by construction" in whole.text and "by construction" not in frame.text
    assert "mVC16 is 99.96:" in whole.text  # not rounded up to a perfect 100.0
    # beside the built-in VC: mVCc16 with its interval and 99.96 - 84.3 = 15.66, 15.7 points below it
    assert "mVCc16 is 84.3 [82.0, 86.5], 15.7 points below mVC16" in whole.text
    assert "points below" not in frame.text and "reads" not in frame.text  # VC not constant, both gains agree


def test_refiner_findings_say_where_vc_and_vcc_disagree() -> None:
    row = {"baseline": "net", "masklets": "classical", "method": "refined", "vote": "frame", "mVC16": 81.0,
           "mVCc16": 60.0, **_cells("gain_mIoU", -5.0, -6.0, -4.0), **_cells("gain_mBIoU", -3.0, -4.0, -2.0),
           **_cells("gain_mVC16", 2.0, 1.0, 3.0), **_cells("gain_mVCc16", -1.5, -2.5, -0.5)}
    (finding,) = refiner_findings(pd.DataFrame([row]))
    assert finding.verdict == "mIoU loss, mBIoU loss, mVC16 gain, mVCc16 loss"
    assert ("the mVC16 gain reads a gain, the mVCc16 gain a loss: the labels get steadier without getting right "
            "more often") in finding.text
    flipped = {**row, **_cells("gain_mVCc16", 1.5, 0.5, 2.5)}  # VCc now a gain too: no disagreement to state
    (finding,) = refiner_findings(pd.DataFrame([flipped]))
    assert finding.verdict.endswith("mVCc16 gain") and "reads" not in finding.text
    with pytest.raises(DataError, match="gain_mVCc16"):  # a table made before VCc existed
        refiner_findings(pd.DataFrame([{k: v for k, v in row.items() if "mVCc16" not in k}]))


def test_classifier_findings_take_approach_2_rows_only() -> None:
    rows = [{"masklets": "k", "method": "approach 1", "features": "-", "variant": "refined", **_cells("mIoU", 99.0, 98, 100),
             **_cells("gain_mIoU", 9, 8, 10)},
            {"masklets": "k", "method": "approach 2", "features": "f", "variant": "none", **_cells("mIoU", 40.0, 39, 41),
             **_cells("gain_mIoU", -2, -3, -1)},
            {"masklets": "k", "method": "approach 2", "features": "f", "variant": "fused", **_cells("mIoU", 42.0, 41.5, 43),
             **_cells("gain_mIoU", 0.5, -1, 2)}]
    findings = {f.key: f for f in classifier_findings(pd.DataFrame(rows))}
    assert findings["classifier/k/highest"].verdict == "f/fused (apart)"  # not the approach-1 row's 99.0
    assert "overlaps" not in findings["classifier/k/highest"].text  # 41.5 above `none`'s 41: apart
    tie = pd.DataFrame(rows + [{**rows[2], "variant": "fallback"}])  # equal to the last digit: named, then skipped
    tied = {f.key: f for f in classifier_findings(tie)}["classifier/k/highest"]
    assert tied.verdict == "f/fused (apart)" and "(tied with `fallback` on f features)" in tied.text
    # 42.04 prints as 42.0 too: tied as printed, not the next distinct row (sam2-mini's fallback 52.11 beside 52.13)
    near = pd.DataFrame(rows + [{**rows[2], "variant": "fallback", **_cells("mIoU", 41.96, 41.4, 42.9)}])
    near_text = {f.key: f for f in classifier_findings(near)}["classifier/k/highest"].text
    assert "(tied with `fallback` on f features)" in near_text and "its score: `none`" not in near_text
    # the highest row leans on the network (fused): what the masklets' classes do alone is said beside it
    assert findings["classifier/k/highest"].text.endswith(
        "; the masklets' classes alone (`none`: no network votes inside the masklets, and pixels outside every "
        "masklet unlabelled and scored as misses, so this row also pays for what the masklets leave uncovered) at "
        "best, `none` on f features: a gain of -2.0 [-3.0, -1.0] (a loss)")
    assert findings["classifier/k/highest none"].verdict == "loss"
    alone_best = {f.key: f for f in classifier_findings(pd.DataFrame(rows[:2]))}
    assert "highest none" not in {k.split("/")[-1] for k in alone_best} and "alone" not in \
        alone_best["classifier/k/highest"].text  # `none` is itself the highest row: nothing to add
    assert findings["classifier/k/f/none"].verdict == "loss"
    assert "of the 2 approach-2 rows" in findings["classifier/k/highest"].text
    assert "a gain over the baseline network of +0.5" in findings["classifier/k/highest"].text  # no network named
    # a table that names its baseline network and its seeds and videos: the sentence says them
    scoped = pd.DataFrame([{**row, "baseline": "net", "n_seeds": 3, "n_videos": 20} for row in rows])
    assert ("mIoU 42.0 [41.5, 43.0] (3 training seeds x 20 videos), a gain over the baseline network (`net`) of +0.5"
            in {f.key: f for f in classifier_findings(scoped)}["classifier/k/highest"].text)
    # the same features and variant trained on two splits: two findings, each naming its classifier's videos
    split = [{**row, "classifier_videos": v} for row, v in zip(rows, ("-", "test", "test"), strict=True)]
    split.append({**rows[2], "classifier_videos": "train", **_cells("mIoU", 44.0, 43, 45), **_cells("gain_mIoU", 2, 1, 3)})
    findings = {f.key: f for f in classifier_findings(pd.DataFrame(split))}
    assert findings["classifier/k/f/fused/test"].verdict == "unclear"
    assert findings["classifier/k/f/fused/train"].verdict == "gain"
    # 44 [43, 45] against the next row's 42 [41.5, 43]: the intervals touch, so the pick is not a finding
    assert findings["classifier/k/highest"].verdict == "highest not apart"
    assert "(classifier trained on the train videos)" in findings["classifier/k/highest"].text
    assert (
        "its interval overlaps that of the next distinct row (the highest of the others, leaving out rows that print "
        "its score: `fused` on f features (classifier trained on the test split's labelled videos: extra labelled "
        "data that approach 1 never uses, and never scored (the val videos are)), 42.0 [41.5, 43.0]), so these videos "
        "do not resolve which row is highest; the masklets' classes alone") in findings["classifier/k/highest"].text


def test_size_and_cause_findings_state_an_order_only_where_intervals_are_apart() -> None:
    sizes = pd.DataFrame([{"method": "refined (a)", "size_bin": b, **_cells("gain_accuracy", *g)} for b, g in
                          [("< 50", (-7.3, -10.2, -4.5)), ("200-799", (-10.7, -12.9, -8.6)),
                           (">= 3200", (-4.6, -6.0, -3.5))]])
    (finding,) = size_findings(sizes)
    assert finding.verdict == "lowest not apart"  # -8.6 > -10.2: overlaps the smallest bin, so no bin is named
    sizes.loc[0, ["gain_accuracy", "gain_accuracy_ci_low", "gain_accuracy_ci_high"]] = [-2.0, -3.0, -1.0]
    assert size_findings(sizes)[0].verdict == "lowest 200-799 (apart)"
    nan = float("nan")
    causes = pd.DataFrame([{"cause": c, "masklets": "k", "drift_scope": "frame", **_cells("pixel_share", *g),
                            **_cells("share_over_next", *d)}
                           for c, g, d in [("spanning", (28.0, 24.1, 31.9), (15.8, 12.0, 19.0)),
                                           ("drift", (35.2, 31.7, 38.9), (7.2, -0.4, 14.1)),
                                           ("leak", (12.2, 10.3, 14.3), (nan, nan, nan))]])
    assert cause_findings(causes)[0].verdict == "drift not apart from spanning"  # the paired interval reaches below 0
    causes.loc[1, ["share_over_next_ci_low"]] = 0.3  # the marginal intervals still overlap (31.7 < 31.9)
    (finding,) = cause_findings(causes)
    assert finding.verdict == "drift leads" and "+7.2 [+0.3, +14.1] points" in finding.text


def test_a_remedy_is_named_only_for_a_cause_that_leads() -> None:
    nan = float("nan")
    part = pd.DataFrame([{"cause": c, **_cells("pixel_share", *g), **_cells("share_over_next", *d)}
                         for c, g, d in [("leak", (20.0, 17.0, 23.0), (nan, nan, nan)),
                                         ("drift", (35.2, 31.7, 38.9), (10.5, -1.0, 19.4))]])
    text = cause_remedies(part, "sam2-mini")
    assert text == ("No cause leads for sam2-mini masklets, so no single knob is indicated; against the two largest: "
                    "`drift`, shorter windows (window); `leak`, tighter masks at object edges (a better generator or "
                    "higher mask thresholds).")
    part.loc[1, "share_over_next_ci_low"] = 0.5
    assert cause_remedies(part, "sam2-mini") == "What to try with sam2-mini masklets: shorter windows (window)."
    assert cause_remedies(part, "classical") == ("What to try with classical masklets: shorter windows (window), or "
                                                 "whole-masklet motion (motion: masklet).")


def test_per_class_consistency_and_largest_change() -> None:
    per_class = pd.DataFrame([{"class": c, "iou_baseline": base, **_cells("gain_biou", *g)} for c, base, g in
                              [("car", 80.0, (-20.0, -23.0, -17.0)), ("pole", 0.05, (-0.05, -0.1, -0.01)),
                               ("sky", 66.0, (8.9, 5.4, 12.7))]])
    (finding,) = per_class_findings(per_class, source="k")
    assert finding.verdict == "majority: loss; lowest: car"
    assert finding.text.startswith("Boundary IoU per class with k masklets: of 3 classes 2 lose (interval below zero), "
                                   "1 gain and 0 are unclear; the lowest gain is `car`'s, -20.0 [-23.0, -17.0] points.")
    assert "IoU is almost zero on `pole` (0.05 %)" in finding.text
    nan = float("nan")
    vc = pd.DataFrame([{"method": "baseline", "mVC8": 92.2, **_cells("mVCc8", 80.1, 78.0, 82.0),
                        **_cells("gain_mVC8", nan, nan, nan), **_cells("gain_mVCc8", nan, nan, nan)},
                       {"method": "refined (o)", "mVC8": 99.96, **_cells("mVCc8", 79.5, 77.0, 81.9),
                        **_cells("gain_mVC8", 7.7, 6.8, 8.7), **_cells("gain_mVCc8", -0.6, -1.4, 0.3)}])
    (finding,) = consistency_findings(vc)
    assert finding.verdict == "mVC8 gain, mVCc8 unclear" and "built in" in finding.text
    assert "mean mVCc8 (VC that also asks for the right class) 80.1 -> 79.5, -0.6 [-1.4, +0.3]" in finding.text
    assert "mVCc8 is 79.5 [77.0, 81.9], 20.5 points below mVC8" in finding.text  # 99.96 - 79.5 = 20.46
    scores = pd.DataFrame({"mIoU": [50.0, 61.4], "mBIoU": [30.0, 35.0], "mVC8": [90.0, 91.0], "mVC16": [88.0, 89.7]},
                          index=["baseline", "refined (o)"])
    from vsslib.study.one_video import largest_change

    assert largest_change(scores)[0].verdict == "most mIoU; least mVC8"


def test_study_findings_read_every_table_present(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    sweep = pd.DataFrame([{"strength": 0.0, **_cells("gain_mIoU", 1.0, 0.5, 1.5)}])
    sweep.to_csv(tmp_path / "tables" / "refiner_oracle_sweep.csv", index=False)
    found = study_findings(tmp_path)
    assert set(found) == {"refiner_oracle_sweep: sweep/0", "refiner_oracle_sweep: sweep/summary"}
    assert found["refiner_oracle_sweep: sweep/0"].verdict == "gain"


def test_study_findings_state_the_analysed_networks_boundary_verdicts_once(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    wide = _band("refined (m)", [0.005, 0.05], [(7.6, 6.3, 8.7), (2.9, 1.4, 4.2)])
    small = _band("refined (m)", [0.005, 0.05], [(1.9, 1.4, 2.4), (-0.5, -1.4, 0.4)])

    def trimap(curve: pd.DataFrame) -> pd.DataFrame:
        return curve.rename(columns={c: c.replace("mBIoU", "accuracy").replace("ratio", "width") for c in curve})

    wide.to_csv(tables / "boundary_biou_by_dilation.csv", index=False)  # the analysed network's tables
    trimap(wide).to_csv(tables / "boundary_trimap.csv", index=False)
    both = pd.concat([wide.assign(baseline="wide"), small.assign(baseline="small")])
    both = both[["baseline", *wide.columns]]  # as 05 writes them: the network first, then the band table's columns
    both.to_csv(tables / "boundary_biou_by_dilation_by_network.csv", index=False)
    trimap(both).to_csv(tables / "boundary_trimap_by_network.csv", index=False)
    found = study_findings(tmp_path)
    verdicts = sorted(key for key in found if key.split(":")[0] in ("boundary", "boundary_by_network"))
    assert verdicts == ["boundary: boundary/refined (m)", "boundary_by_network: boundary/agreement/refined (m)",
                        "boundary_by_network: boundary/small/refined (m)"]
    assert found["boundary_by_network: boundary/agreement/refined (m)"].verdict == "depends: wide holds, small unresolved"


def test_quality_findings_place_each_generator_against_the_interpolated_break_even() -> None:
    from vsslib.study.verdicts import break_even, quality_findings

    nan = float("nan")
    rows = [("oracle, s = 0", 0.0, (100, 100, 100), (100, 100, 100), (12.0, 10.0, 14.0)),
            ("oracle, s = 0.25", 0.25, (94, 93, 95), (84, 83, 85), (4.0, 1.0, 7.0)),
            ("oracle, s = 0.5", 0.5, (86, 85, 87), (70, 69, 71), (-4.0, -7.0, -1.0)),
            ("oracle, s = 1", 1.0, (79, 78, 80), (55, 54, 56), (-13.0, -15.0, -11.0)),
            ("classical", nan, (84.5, 83.0, 86.0), (40, 38, 42), (-5.8, -7.0, -4.6)),
            ("sam2-mini", nan, (94.3, 93.9, 94.8), (31, 29, 33), (1.0, -0.5, 2.5))]
    table = pd.DataFrame([{"masklets": m, "strength": s, **_cells("vote_ceiling", *v), **_cells("mask_quality", *q),
                           **_cells("gain_mIoU", *g)} for m, s, v, q, g in rows])
    oracle = table[table["strength"].notna()]
    assert break_even(oracle, "vote_ceiling") == pytest.approx(94 - 8 * 4 / 8)  # 4 -> -4 between 94 and 86: 90
    assert break_even(oracle, "mask_quality") == pytest.approx(84 - 14 * 0.5)  # 77
    assert break_even(oracle.assign(gain_mIoU=[3.0, 2.0, 1.0, 0.5]), "vote_ceiling") is None
    ceiling, quality = quality_findings(table)
    assert ceiling.key == "quality/vote_ceiling" and quality.key == "quality/mask_quality"
    # classical: interval 83-86 below 90 and a loss: agrees; sam2-mini: 93.9-94.8 above 90, gain unclear
    assert ceiling.verdict == "classical agrees; sam2-mini unclear"
    assert "breaks even at 90.0 %" in ceiling.text and "spans 79.0-100.0 %" in ceiling.text
    assert quality.verdict == "classical unplaced; sam2-mini unplaced"  # 40 and 31 lie below the sweep's 55
    # mask quality: classical 38-42 above sam2-mini 29-33, gains -7..-4.6 below -0.5..2.5, both pairs apart: the
    # order is reversed and said; vote ceiling: classical below sam2-mini like its gain, nothing said
    reversal = ("Between classical and sam2-mini the order on this axis is the reverse of their gains' order "
                "(classical 40.0 % and -5.8, sam2-mini 31.0 % and +1.0): here this axis does not predict which "
                "generator gains.")
    assert quality.text.endswith(reversal) and "reverse" not in ceiling.text
    assert "its own mIoU gain is -5.8" in ceiling.text  # no n_seeds column: no scope added
    # the sweep's gain at the generator's position: 84.5 lies between 86 (-4) and 79 (-13): -13 + 9 * 5.5 / 7
    assert (f"classical at 84.5 [83.0, 86.0] % lies below the break-even (the sweep's gain there: "
            f"{-13 + 9 * 5.5 / 7:+.1f}, interpolated), and its own mIoU gain is -5.8") in ceiling.text
    assert "gain there" not in quality.text  # both generators lie outside the sweep's range on that axis
    one_seed = quality_findings(table.assign(n_seeds=1))[0].text
    assert "classical at 84.5 [83.0, 86.0] % lies below the break-even (the sweep's gain there: -5.9, " \
           "interpolated), and its own mIoU gain on that one training seed is -5.8 [-7.0, -4.6] (a loss)" in one_seed
    table.loc[5, "mask_quality_ci_high"] = 39  # the axis intervals overlap now: nothing said
    assert "reverse" not in quality_findings(table)[1].text
    table.loc[5, "mask_quality_ci_high"] = 33.0
    table.loc[5, ["gain_mIoU_ci_low"]] = 0.2  # now a gain above the break-even
    assert quality_findings(table)[0].verdict == "classical agrees; sam2-mini agrees"
    table.loc[4, ["gain_mIoU", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]] = [3.0, 1.0, 5.0]  # a gain below it
    ceiling = quality_findings(table)[0]
    assert ceiling.verdict == "classical disagrees; sam2-mini agrees"
    assert ("classical lies below the break-even yet its gain is a gain: on this axis the sweep's sign does not "
            "hold for it.") in ceiling.text and "sam2-mini lies above the break-even yet" not in ceiling.text


def test_the_vote_ceiling_names_coverage_and_the_generators_that_cover_less_than_the_sweep() -> None:
    from vsslib.study.verdicts import quality_findings

    nan = float("nan")
    rows = [("oracle, s = 0", 0.0, (100, 100, 100), (12.0, 10.0, 14.0), (100, 100, 100)),
            ("oracle, s = 1", 1.0, (79, 78, 80), (-13.0, -15.0, -11.0), (99.2, 99.0, 99.4)),
            ("classical", nan, (84.5, 83.0, 86.0), (-5.8, -7.0, -4.6), (99.5, 99.1, 99.8)),
            ("sam2-mini", nan, (94.3, 93.9, 94.8), (1.0, 0.2, 2.5), (83.7, 82.0, 85.1))]
    table = pd.DataFrame([{"masklets": m, "strength": s, **_cells("vote_ceiling", *v), **_cells("mask_quality", *v),
                           **_cells("gain_mIoU", *g), **_cells("labelled_coverage", *c)} for m, s, v, g, c in rows])
    ceiling, quality = quality_findings(table)
    assert ("masklets cover 99.2-100.0 % of the labelled pixels in the sweep, classical 99.5 [99.1, 99.8] %, "
            "sam2-mini 83.7 [82.0, 85.1] %.") in ceiling.text
    # sam2-mini's interval (82.0-85.1) lies below the sweep's lowest coverage, 99.2; classical's reaches into it
    assert "sam2-mini covers less than any strength of the sweep" in ceiling.text and "classical covers" not in ceiling.text
    assert "With 2 generators, agreeing with the sweep on this axis is an observation" in ceiling.text
    assert "cover" not in quality.text  # the mask-quality axis does not count uncovered pixels as right
    table.loc[3, "labelled_coverage_ci_high"] = 99.3  # now within the sweep's coverage: no generator named
    assert "less than any strength" not in quality_findings(table)[0].text
    assert "cover" not in quality_findings(table.drop(columns="labelled_coverage"))[0].text  # older tables: nothing said


def test_knob_verdicts_on_few_videos_say_their_interval_is_rough_where_they_stand() -> None:
    from vsslib.study.verdicts import FEW_VIDEOS, knob_findings

    def table(videos: int) -> pd.DataFrame:
        rows = [("points_per_side", 16, True, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
                ("points_per_side", 24, False, (0.6, 0.3, 0.9), (0.1, -0.2, 0.4))]
        return pd.DataFrame([{"knob": k, "value": v, "default": d, "masklets_per_frame": 10.0, "coverage": 80.0,
                              **_cells("change_mIoU", *i), **_cells("change_mBIoU", *b), "n_videos": videos}
                             for k, v, d, i, b in rows])

    few = knob_findings(table(3))[0]
    assert "mIoU +0.6 [+0.3, +0.9] (a gain; on 3 videos only, a rough interval)" in few.text
    assert few.text.endswith("mBIoU +0.1 [-0.2, +0.4] (not distinguishable from zero)")  # no note on no verdict
    assert few.verdict == "mIoU gain, mBIoU unclear"  # the verdict itself is the interval's, as everywhere
    many = knob_findings(table(FEW_VIDEOS))[0]
    assert "mIoU +0.6 [+0.3, +0.9] (a gain);" in many.text and "rough" not in many.text


def test_one_videos_outcome_counts_the_metrics_a_method_raises() -> None:
    from vsslib.study.one_video import video_outcome

    scores = pd.DataFrame({"mIoU": [50.0, 52.0, 49.0, 51.0], "mBIoU": [40.0, 41.0, 39.0, 41.0],
                           "mVC8": [90.0, 91.0, 91.0, 89.0], "mVC16": [85.0, 84.0, 84.0, 84.0]},
                          index=["baseline", "a", "b", "c"])
    assert video_outcome(scores, "a").verdict == "raised"  # 3 of 4 raised
    assert video_outcome(scores, "b").verdict == "lowered"  # 1 of 4
    assert video_outcome(scores, "c").verdict == "mixed"  # 2 of 4
    assert video_outcome(scores, "a").text == "a: raised on this video, 3 of 4 metrics raised (mIoU, mBIoU, mVC8, mVC16)"
    two = ("mIoU", "mVC8")  # a raises both: raised; b one of two: mixed; b none of mBIoU, mVC16: lowered
    assert [video_outcome(scores, m, metrics=two).verdict for m in "ab"] == ["raised", "mixed"]
    assert video_outcome(scores, "b", metrics=("mBIoU", "mVC16")).verdict == "lowered"
    assert video_outcome(scores, "a", metrics=("mVC16",)).verdict == "lowered"  # 84 < 85
    assert video_outcome(scores, "b", metrics=("mVC8",)).verdict == "raised"
    three = ("mIoU", "mBIoU", "mVC8")  # a 3, b 1, c 2 raised
    assert [video_outcome(scores, m, metrics=three).verdict for m in "abc"] == ["raised", "lowered", "raised"]
    with pytest.raises(ParameterError, match="at least one metric"):
        video_outcome(scores, "a", metrics=())
