# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (vsslib)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Where the refiner's gain comes from
#
# The paper's headline is that SAM2 improves video segmentation mainly through precise object boundaries.
# This notebook tests that claim on our data: the gain as the boundary band widens (mBIoU against the
# dilation ratio), accuracy inside bands of growing width around ground-truth boundaries (trimap curves), per
# class, against object size, and over time. Each section says whether the claim holds here, and for which
# masklets (the band, trimap and size sections: the classical generator; sam2-mini, the SAM2 architecture
# trained here on the generated benchmark; the exact objects; the per-class and over-time sections: the first
# source, as they say), on one network's refined maps; the section "The same verdict on the other network" asks
# the paper's question again on every network, and a verdict is said to hold for a masklet source only where it
# holds on all of them. Every number is a mean over the baseline's training seeds, with its sample sd over seeds
# and a 95 % interval over seeds and videos (gains *paired*, as in `03_refiner`: one draw of seeds and videos
# scores both maps, and the interval is that of their difference); a claim is made only where the intervals
# support it.
#
# **First run:** about 110 s in a cold `make verify` (the whole study from an empty cache on the project's
# 2-core machine, two notebooks at a time; README, "Measured run times"). It reuses `03_refiner`'s cached masklets
# and runs.

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.
#
# **Knobs to turn.** `dilation_ratio` and `max_videos` (`None` keeps the settings file's value). The ratio sets
# the Boundary IoU band of the per-class section and the default marked in the band sweep; fewer videos make the
# run quicker and the intervals wider. The masklets are cached, so a re-run only counts again. The exercises at
# the end use them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
dilation_ratio = None  # None: as params_file says; try 0.005: per-class Boundary IoU on 1-px bands, where a coarse network is weakest
max_videos = None  # None: as params_file says (all videos); try 5: a quicker run, wider intervals, fewer verdicts

# %%
import pandas as pd
from IPython.display import display

from vsslib import viz
from vsslib.analysis import collect_boundary_counts, per_class_summary, size_bins, trimap_accuracy
from vsslib.study import Study
from vsslib.study.tables import band_tables, interval_columns, ratio_rows, readable, video_counts
from vsslib.study.boundary_findings import (band_findings, boundary_verdicts, consistency_findings, network_verdicts,
                                            per_class_findings, size_findings)
from vsslib.study.verdicts import bullets
from vsslib.viz.prose import takeaway

study = Study.open_notebook("05_boundary_analysis", params_file, results_dir, dilation_ratio=dilation_ratio, max_videos=max_videos)
settings = study.settings

# %% [markdown]
# ## Counts per video, seed and map
# Each analysis below is a ratio of sums over videos (band intersections over unions, correct pixels over band
# pixels, summed object accuracies over objects, window scores over windows), so the per-video sums are all the
# statistics need. They are collected once per training seed of the baseline, for the baseline and for the
# refined map of every masklet source; the label maps themselves are dropped after each seed.

# %%
dataset = study.dataset()
baseline = study.baselines()[-1]
seeds = study.seeds(baseline)
sources = settings.masklets.sources
first = sources[0]
videos = study.videos()
methods = ["baseline", *(f"refined ({source})" for source in sources)]
ratios = [0.005, 0.01, 0.02, 0.03, 0.05]
widths = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]
bins = [50, 200, 800, 3200]

with study.counting("counting every training seed x masklet source x video",
                    len(seeds) * len(sources) * len(videos)) as tick:
    counts = collect_boundary_counts(
        lambda seed, source, video: tick(study.video_run(baseline, source, video, train_seed=seed)),
        seeds, videos, sources, dataset.num_classes, ratios=ratios, widths=widths, bins=bins)
frame_shape = counts.frame_shape


print(f"{len(videos)} videos x {len(seeds)} training seeds of {baseline}; maps: {', '.join(methods)}")
scope = f"{baseline}, mean over {len(seeds)} training seeds on {len(videos)} val videos of {study.data_name}"  # captions

# %% [markdown]
# ## mBIoU as the band widens
# Boundary IoU scores only pixels within d of a class boundary, d = the dilation ratio times the frame
# diagonal. A narrow band scores the boundary itself; a wide one approaches mIoU. If the gain comes from
# boundaries, it is larger in the narrowest band than in the widest.

# %%
curve, trimap = band_tables(counts, ratios, widths)  # the band sweep, and the trimap drawn further down
study.save_table(curve, "boundary_biou_by_dilation", caption="mBIoU (%) against the Boundary IoU dilation ratio: mean "
               "over training seeds, sd over seeds, 95 % interval over seeds and videos, and the paired gain over the baseline")
fig = viz.boundary.plot_biou_by_dilation(curve, title=f"mBIoU vs band width | {baseline} | {study.data_name}",
                                         frame_shape=frame_shape,
                                         default_ratio=settings.metrics.dilation_ratio)
study.save_figure(fig, "boundary_biou_by_dilation", caption=f"mBIoU (%) of the baseline and of each refined map as "
                  f"the Boundary IoU band widens (dilation ratio of the frame diagonal, its width in pixels on the top "
                  f"axis; {scope}); bands: 95 % intervals over seeds and videos. A gain that comes from boundaries "
                  "is larger at the left, the narrowest band, than at the right")
display(readable(curve[["method", "ratio", *interval_columns("mBIoU", "gain_mBIoU")]]))


# %%
takeaway("mBIoU gain over the baseline in the narrowest and the widest band (points, [95 % interval over seeds and videos]):\n"
         + bullets(band_findings(curve, "mBIoU", x="ratio")))

# %% [markdown]
# ## Trimap curves
# Pixel accuracy inside the band of pixels within w pixels (Chebyshev distance) of a ground-truth boundary.
# The same question asked without classes: how close to a boundary does each map become reliable?
#
# The *Chebyshev* distance counts a step along a row, a column or a diagonal as one pixel, so the pixels within w
# of a point form a (2w+1) x (2w+1) square, not a disc: a pixel is in the band of width w when the square of side
# 2w+1 around it holds a pixel of another ground-truth class (Boundary IoU's bands use the same squares). First
# the band on one frame, at two widths, with the baseline's right and wrong pixels:

# %%
video_name = videos[0]
run = study.video_run(baseline, first, video_name, train_seed=seeds[0])
t = run.frames.shape[0] // 2
shown = (widths[1], widths[5])
band_table = trimap_accuracy(run.gt[t][None], run.baseline[t][None], shown).set_index("width")
fig = viz.metric_drawings.plot_trimap_band(run.frames[t], run.gt[t], run.baseline[t], shown, dataset.palette,
                                           title=f"Trimap bands | {study.data_name} | {video_name} frame {t} | {baseline}")
study.save_figure(fig, "boundary_trimap_band", caption=f"Trimap bands on {video_name} frame {t} ({study.data_name}; "
                f"{baseline}, first training seed): the ground truth, each pixel's Chebyshev distance to the nearest "
                f"pixel of another ground-truth class, and the bands of width {shown[0]} and {shown[1]} px, with the "
                "pixels the baseline gets right in teal and wrong in the error colour the legend names. The trimap "
                "curve below is the teal share of such bands, for every width, over every frame of every video")

# %%
takeaway(f"On this frame the {shown[0]}-px band holds {int(band_table.loc[shown[0], 'pixels']):,} pixels, of which "
         f"the baseline gets {100 * band_table.loc[shown[0], 'accuracy']:.1f} % right; the {shown[1]}-px band "
         f"{int(band_table.loc[shown[1], 'pixels']):,} pixels, {100 * band_table.loc[shown[1], 'accuracy']:.1f} % right.")

# %% [markdown]
# Now the same accuracy over every frame of every video, for every width and map:

# %%
study.save_table(trimap, "boundary_trimap", caption="Pixel accuracy (%) within w px of a ground-truth boundary: mean "
               "over training seeds, sd over seeds, 95 % interval over seeds and videos, and the paired gain over the baseline")
fig = viz.boundary.plot_trimap(trimap, title=f"Trimap accuracy | {baseline} | {study.data_name}")
study.save_figure(fig, "boundary_trimap", caption=f"Pixel accuracy (%) within w px of a ground-truth boundary, for "
                  f"the baseline and each refined map, as w grows ({scope}); bands: 95 % intervals over seeds and "
                  "videos. The gap between two curves at small w is the difference right at the boundaries")

# %%
takeaway("Accuracy change against the baseline in the narrowest and the widest band, by width in px (points, "
         "[95 % interval]):\n" + bullets(band_findings(trimap, "accuracy", x="width", unit=" px")))

# %% [markdown]
# ## One verdict per masklet source
# The band sweep and the trimap look at one question from two angles. The paper's claim has two parts: a gain,
# and a gain that comes mainly from the boundaries. The widest band of the mBIoU sweep (close to mIoU) says
# whether there is a gain at all; the narrowest band against the widest says whether the change is largest at
# the boundary. The mBIoU sweep is the paper's own metric, so it answers; the trimap, without classes, checks only
# its ordering (narrowest band against widest), not its sign: at the same width the two can disagree on gain or
# loss, and the verdicts below say so where they do.
# The per-class and per-size views below say which classes and objects are affected, not where the change sits.

# %%
takeaway(f"For `{baseline}` only ({scope}); the next section asks the same of the other network.\n"
         + bullets(boundary_verdicts(curve, trimap)))

# %% [markdown]
# ## The same verdict on the other network
# Everything above reads one network's refined maps (the last the settings list; `fcn16-wide` by default). The
# claim is about the masklets, so it should not depend on which network's predictions they refine: the same band
# sweep and trimap on every network's refined maps (the same masklets and videos, each network's own training
# seeds), then one line per masklet source saying whether the verdicts agree.

# %%
curves, trimaps = [curve.assign(baseline=baseline)], [trimap.assign(baseline=baseline)]
for other in [network for network in study.baselines() if network != baseline]:
    other_seeds = study.seeds(other)
    with study.counting(f"counting {other}: every training seed x masklet source x video",
                        len(other_seeds) * len(sources) * len(videos)) as tick:
        other_counts = collect_boundary_counts(
            lambda seed, source, video: tick(study.video_run(other, source, video, train_seed=seed)),
            other_seeds, videos, sources, dataset.num_classes, ratios=ratios, widths=widths, bins=bins,
            bands_only=True)
    other_curve, other_trimap = band_tables(other_counts, ratios, widths)
    curves.append(other_curve.assign(baseline=other))
    trimaps.append(other_trimap.assign(baseline=other))
curves = pd.concat(curves, ignore_index=True)
trimaps = pd.concat(trimaps, ignore_index=True)
curves, trimaps = (t[["baseline", *(c for c in t.columns if c != "baseline")]] for t in (curves, trimaps))
study.save_table(curves, "boundary_biou_by_dilation_by_network", caption="mBIoU (%) against the Boundary IoU "
               "dilation ratio for every network's refined maps (`boundary_biou_by_dilation` per network): mean over "
               "the network's training seeds, sd over seeds, 95 % interval over seeds and videos, paired gain over "
               "the network")
study.save_table(trimaps, "boundary_trimap_by_network", caption="Pixel accuracy (%) within w px of a ground-truth "
               "boundary for every network's refined maps (`boundary_trimap` per network): mean over the network's "
               "training seeds, sd over seeds, 95 % interval over seeds and videos, paired gain over the network")
by_network = network_verdicts(curves, trimaps, analysed=baseline)  # its own verdicts are the ones above
agreement = [f for f in by_network if f.key.startswith("boundary/agreement/")]
takeaway("On the other network" + ("s" if curves["baseline"].nunique() > 2 else "") + f" ({len(videos)} val videos "
         f"of {study.data_name}, each network's training seeds):\n"
         + bullets([f for f in by_network if f not in agreement])
         + "\n\nPer masklet source, across the networks:\n" + bullets(agreement))

# %% [markdown]
# ## Per class
# IoU and Boundary IoU gain of every class with one masklet source only: the first that the settings list
# (`masklets.sources`; classical with `params/default.yaml`, named in the figure's title), where the sections
# above cover every source. If the paper's claim held for these masklets, most classes would gain Boundary IoU;
# a class counts as gaining or losing only where its interval excludes zero.

# %%
with study.step("every training seed"):  # one progress bar for all the runs
    seed_runs = study.refine_seeds(baseline, first)
per_class = per_class_summary([video_counts(r, "baseline") for r in seed_runs],
                              [video_counts(r, "refined") for r in seed_runs], dataset.class_names)
study.save_table(per_class, f"boundary_per_class_{first}", caption=f"IoU and BIoU (%) per class, baseline vs refined "
               f"({first} masklets): mean over training seeds, sd over seeds, 95 % intervals over seeds and videos")
fig = viz.boundary.plot_per_class_gain(per_class, title=f"Per-class gain | {baseline} + {first} masklets | {study.data_name}")
study.save_figure(fig, f"boundary_per_class_gain_{first}", caption=f"Gain (points) of IoU and of Boundary IoU per "
                  f"class, refined with {first} masklets minus the baseline ({scope}); whiskers: 95 % intervals over "
                  "seeds and videos, grey where the interval holds zero. A class the baseline never predicts inside a "
                  "masklet cannot gain there: the vote only picks classes the network predicts in the masklet")

# %%
takeaway(bullets(per_class_findings(per_class, source=first)).removeprefix("- ")
         + f" (Boundary IoU at the default dilation ratio {settings.metrics.dilation_ratio:g}.)")

# %% [markdown]
# ## Gain against object size
# Mean pixel accuracy on ground-truth objects binned by their area in a frame: an object is counted once in
# every frame it appears in (an object-frame), so the counts under the bins are object-frames, not objects. A
# masklet generator may miss a small object or merge it into a neighbour; the bins show whether the refined maps
# lose more on small objects.

# %%
binned = size_bins(bins)
n_objects = counts.size["baseline"][1][0].sum(axis=0)  # objects come from the ground truth alone
sizes = ratio_rows(counts.size, "accuracy", {**{c: binned[c].tolist() for c in binned.columns},
                                                 "n_objects": n_objects})
study.save_table(sizes, "boundary_gain_by_object_size", caption="Pixel accuracy (%) on objects per size bin: mean over "
               "training seeds, sd over seeds, 95 % interval over seeds and videos, and the paired gain over the baseline")
fig = viz.boundary.plot_size_gain(sizes, title=f"Accuracy by object size | {baseline} | {study.data_name}")
study.save_figure(fig, "boundary_gain_by_object_size", caption=f"Pixel accuracy (%) on ground-truth objects binned by "
                  f"their area in a frame, for the baseline and each refined map ({scope}); whiskers: 95 % intervals "
                  "over seeds and videos; below, each refined map's gain over the baseline as a dot with its paired "
                  "interval (filled: the interval excludes zero; hollow: it holds zero); under each bin the object-frames "
                  "it holds (an object counts once in each frame it is in). Read across bins: does "
                  "the refiner help or hurt small objects more than large ones?")
display(readable(sizes[["method", "size_bin", "n_objects", *interval_columns("accuracy", "gain_accuracy")]]))

# %%
takeaway("Accuracy on objects against the baseline, by object area, [95 % interval over seeds and videos]:\n"
         + bullets(size_findings(sizes)))

# %% [markdown]
# ## Consistency over time
# VC8 of every 8-frame window of every video: the share of pixels whose class stays fixed in the ground truth
# and whose prediction stays fixed too. Shaded teal where the refiner makes the prediction steadier, salmon
# where it makes it flicker. The figure shows one masklet source, the first that the settings list (as in the
# per-class section; mean over training seeds, dashed: ± sd over seeds); the summary table below it covers every
# source, pooling every window of every video, with intervals over seeds and videos.
# Beside VC8 it gives VCc8, VC8 that also asks for the right class: VSPW's VC8 counts a label held steady on a
# wrong class as consistent, so one vote per masklet can make it 100 whatever class wins.

# %%
by_window = counts.windows.assign(vc_baseline=lambda d: 100 * d["vc_baseline"],
                                      vc_refined=lambda d: 100 * d["vc_refined"])
grouped = by_window.groupby(["video", "window_start"], sort=False)[["vc_baseline", "vc_refined"]]
vc = grouped.mean().join(grouped.std(ddof=1).add_suffix("_sd")).reset_index()
vc = vc[["video", "window_start", "vc_baseline", "vc_baseline_sd", "vc_refined", "vc_refined_sd"]].assign(n_seeds=len(seeds))
study.save_table(vc, "boundary_vc8_over_time", caption=f"VC8 (%) per window, baseline vs refined ({first} masklets): "
               "mean and sd over training seeds")
fig = viz.boundary.plot_vc_over_time(vc, title=f"VC8 over time | {first} masklets | {study.data_name}", n=8,
                                     key_every=settings.masklets.window, source=first)
study.save_figure(fig, "boundary_vc8_over_time", caption=f"Video consistency VC8 of every 8-frame window, plotted at the "
                f"window's first frame (x: where the window starts), for the first videos of {study.data_name} (the note under the panels says how many), baseline "
                f"{baseline} (grey line) and its refinement with {first} masklets (in the {first} source's colour; mean over "
                "training seeds; dashed: ± sd over seeds). Grey strips along the top: windows that span a re-proposal (frames on both sides of a masklet key frame, where "
                "masklets are proposed anew); the space between the lines is shaded where refinement is steadier or flickers more (legend)")
steadier = ratio_rows(counts.steadier, "windows_steadier", {}, against=None).drop(columns=["n_seeds", "n_videos"])
vcc_rows = ratio_rows(counts.vcc, "mVCc8", {}).drop(columns=["n_seeds", "n_videos"])  # correct consistency VCc8
vc_summary = ratio_rows(counts.vc, "mVC8", {}).merge(vcc_rows, on="method").merge(steadier, on="method", how="left")
vc_summary = vc_summary[[c for c in vc_summary.columns if c not in ("n_seeds", "n_videos")] + ["n_seeds", "n_videos"]]
study.save_table(vc_summary, "boundary_vc8_summary", caption="Mean VC8 and correct consistency VCc8 (VC8 that also asks "
               "for the right class) (%) over every window of every video, the gains over the baseline, and the "
               "share of windows (%) refinement makes steadier: mean over training seeds, "
               "sd over seeds, 95 % intervals over seeds and videos")
display(readable(vc_summary))

# %%
takeaway("Consistency over time, [95 % interval over seeds and videos]:\n" + bullets(consistency_findings(vc_summary)))

# %% [markdown]
# ## What we learned
# Whether the refiner's gain "comes from boundaries" is decided per masklet source, by the band sweep (the
# verdicts are recomputed here from the tables above):

# %%
takeaway(f"For `{baseline}` only ({scope}):\n"
         + bullets(boundary_verdicts(curve, trimap) + size_findings(sizes) + consistency_findings(vc_summary))
         + "\n\nAcross the networks (section \"The same verdict on the other network\"):\n" + bullets(agreement))

# %% [markdown]
# - A masklet source's verdict does not carry over to another: the same vote gains or loses depending on the
#   masklets' outlines and on how they are carried. `06_failure_cases` sorts the damage into causes.
# - A class the baseline rarely gets right (its baseline IoU almost zero, named above) has little to gain from
#   the vote, whatever the masklets: the vote only chooses among classes the network predicts inside a masklet.

# %% [markdown]
# ## Exercises
# Change a knob in the parameters cell, re-run, and compare with the run above.
#
# 1. Set `dilation_ratio = 0.005`. Which parts of this notebook change, and which cannot?
#
# <details><summary>Solution</summary>
#
# The band sweep always covers the same ratios (its x-axis), so its curves cannot change; only the marked
# default moves to 0.005. The per-class section scores Boundary IoU at the settings' ratio, so its Boundary IoU
# column and its takeaway change (the band is now d = max(1, round(0.005 x frame diagonal)) px wide). The trimap, object-size and consistency
# sections do not use the ratio at all.
#
# </details>
#
# 2. Set `max_videos = 5`. Does the verdict of the section "One verdict per masklet source" hold?
#
# <details><summary>Solution</summary>
#
# Read the verdict after the re-run. Each verdict requires an interval that excludes zero; with 5 videos the
# intervals widen, so a verdict whose interval ended near zero may turn into "not distinguishable", while a
# large effect keeps its verdict.
#
# </details>
#
# 3. In the trimap figure, why is the image border not part of any band, while Boundary IoU's bands (drawn in
#    `00_tour`) run along it?
#
# <details><summary>Solution</summary>
#
# The trimap band follows the boundaries between ground-truth classes only (`vsslib.analysis.boundary_distance`:
# "the image border is not a boundary"). Boundary IoU, following its reference implementation, counts everything
# outside the frame as background, so a class touching the frame's edge has a band along it. Setting
# `dilation_ratio` changes only the latter.
#
# </details>
