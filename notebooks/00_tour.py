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
# # A tour of the study in one video
#
# Open this notebook first. It takes one video through the whole method, with a picture at every step, and
# runs the refiner with every masklet source the study has: the dataset's exact objects (*oracle*), the
# embedded *classical* generator, *sam2-mini* (SAM2's architecture and pipeline with weights trained here on the
# generated benchmark; not SAM 2 or SAM 2.1), and the official SAM2 when a checkpoint is configured. Side by side you see the method
# help and hurt on the same frames of one video, and the text says which metrics each source raised or lowered
# there (one video says nothing general). Notebooks 01-08 repeat each step on the whole split, with intervals,
# and analyse it.
#
# **First run:** about 18 s in a cold `make verify` (the whole study from an empty cache on the project's 2-core machine,
# two notebooks at a time; README, "Measured run times"), where `02_baselines` has trained the networks and `make
# figures` has made the sam2-mini masklets before it. Run
# first by hand on an empty cache, it also generates the benchmark (under 30 s), trains the two baseline networks
# (22-25 s a `fcn8-small`, 47-51 s a `fcn16-wide`), makes sam2-mini's masklets of its one video (about 40 s)
# and, for section 5, the first masklet source's masklets and appearance features of the train and val videos
# and the MLP trained on them; that whole first run by hand has not been timed. All of it is cached in `.cache/`.
#
# **Glossary.**
# - *Semantic map*: one class per pixel, from a segmentation network (here a small CNN, the *baseline*).
# - *Masklet*: a class-agnostic object mask carried through time. SAM2 makes them from a point grid on a
#   *key frame* and propagates them with its video memory through a *window* of frames. Without an official SAM2
#   checkpoint this study runs *sam2-mini* (the SAM2 architecture, trained here on the generated benchmark:
#   on videos of its own, another seed of the same generator, never the study's; not SAM 2 or SAM 2.1), beside
#   an embedded *classical* generator
#   (graph-based regions + optical flow).
# - *Oracle masklets*: the dataset's own objects, exact: what a perfect generator would propose. A reference,
#   not a bound: one vote per exact object still paints the whole object wrong where the network's majority is.
# - *Refiner* (approach 1): every masklet takes the majority class of the semantic map inside it.
# - *Segmentor* (approach 2): masklets pool feature vectors and a small MLP classifies each one.
# - *mIoU*, *mBIoU* (Boundary IoU: IoU of thin bands along class boundaries), *mVC8/16* (video
#   consistency: how often a pixel whose true class stays fixed for 8 / 16 frames also keeps its prediction).

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.
#
# **Knobs to turn.** `vote` and `dilation_ratio` are yours to change (`None` keeps the settings file's value);
# re-run the notebook and compare. With a warm cache a changed knob re-runs in seconds: the masklets and the
# networks are reused, only the vote and the scores are recomputed. The exercises at the end use them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
vote = None  # None: as params_file says ("masklet"); "frame": one vote per masklet and frame; watch mVC8/mVC16 of the refined maps
dilation_ratio = None  # None: as params_file says; try 0.005 or 0.05: the band drawn in section 3 narrows or widens, mBIoU with it

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from vsslib import viz
from vsslib.metrics import MetricAccumulator, video_consistency
from vsslib.masks.sam2_model import GeneratorSettings
from vsslib.refine import masklet_votes
from vsslib.study import Study
from vsslib.study.one_video import largest_change, video_outcome
from vsslib.study.verdicts import bullets
from vsslib.viz.prose import change, takeaway

study = Study.open_notebook("00_tour", params_file, results_dir, vote=vote, dilation_ratio=dilation_ratio)
settings = study.settings

# %% [markdown]
# ## 1. The data
# The embedded default is a generated street-scene benchmark in the VSPW layout (it is *not* VSPW; every title
# says so). We take the first video of the evaluated split and one frame in the middle of its first window.

# %%
dataset = study.dataset()
name = study.videos()[0]
baseline = study.baselines()[0]
sources = list(settings.masklets.sources)
runs = {source: study.video_run(baseline, source, name) for source in sources}
t = min(runs[sources[0]].frames.shape[0] // 2 + 3, settings.masklets.window - 1)
frames = runs[sources[0]].frames
print(f"{name}: {frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]} px, {dataset.num_classes} classes; "
      f"baseline {baseline}; masklet sources {', '.join(sources)}")
if "sam2-mini" in sources:
    mini, paper = settings.masklets.sam2_mini, GeneratorSettings()
    print(f"sam2-mini's generator: {mini.points_per_side}x{mini.points_per_side} point grid, keeps masks with predicted "
          f"IoU > {mini.pred_iou_thresh:g} and stability >= {mini.stability_score_thresh:g} (its own filters, calibrated "
          f"on training videos; the paper's: {paper.pred_iou_thresh:g} / {paper.stability_score_thresh:g}; both "
          "compared in its model card)")

# %% [markdown]
# ## 2. Baseline, masklets, refinement, for every masklet source
# One frame through the pipeline, once per masklet source. Errors against the ground truth are outlined in a
# colour no class uses (the panel titles and the legend name it). Masklets are drawn as dark outlines on the
# frame in grey, so they cannot be mistaken for classes; pixels outside every masklet are faded and hatched.
# The baseline predicts at a coarse stride and upsamples bilinearly, so its boundaries are blurred; the
# refined map takes the baseline's majority class inside each masklet, so it inherits the masklets'
# boundaries, good or bad. Look for the error outlines: where do they shrink, where do they grow?

# %%
for source, run in runs.items():
    fig = viz.refiner.plot_steps(run.frames[t], run.gt[t], run.baseline[t], run.masklets[t], run.refined[t],
                                 dataset.palette, dataset.class_names,
                                 title=f"{study.data_name} | {name} frame {t} | {baseline} + {source} masklets")
    study.save_figure(fig, f"tour_steps_{source}", caption=f"One frame through the refiner with {source} masklets "
                    f"({study.data_name}, {name} frame {t}, {baseline}, first training seed): frame, ground truth, "
                    "baseline, masklets (dark outlines on the grey frame; hatched: no masklet), refined map. Wrong "
                    "pixels are outlined in the colour the titles name; compare the outlines of the baseline and "
                    "the refined map to see where the vote fixed or spread errors")

# %% [markdown]
# ## 3. The three metrics on this video
# mIoU scores every pixel, mBIoU only thin bands along class boundaries (where a coarse network fails), and
# mVC8/mVC16 whether a pixel keeps its prediction while its true class stays the same (mVCc8/mVCc16, correct
# consistency, also ask that the kept prediction be the right class). Before the numbers, the
# two less familiar metrics drawn on this frame and video, with the pixel sets the metric code itself counts.
#
# **Boundary IoU.** Each class's *band* is its pixels within d pixels of another class or of the frame's edge
# (d = `metrics.dilation_ratio` x the frame diagonal). "Within d" is the *Chebyshev* distance: the
# (2d+1) x (2d+1) square around the pixel holds another class, so d steps along a row, a column or a diagonal
# all count as d. Per class, Boundary IoU divides the band pixels the ground truth and the map share (same
# class in both bands) by those in either band; mBIoU averages the classes.

# %%
run = runs[sources[0]]
numbers = viz.metric_drawings.band_numbers(run.gt[t], run.baseline[t], dataset.num_classes,
                                           settings.metrics.dilation_ratio)
fig = viz.metric_drawings.plot_boundary_band(frames[t], run.gt[t], run.baseline[t], dataset.num_classes,
                                             dataset.palette, dataset.class_names,
                                             dilation_ratio=settings.metrics.dilation_ratio,
                                             title=f"Boundary IoU bands | {study.data_name} | {name} frame {t} | {baseline}")
study.save_figure(fig, "tour_boundary_band", caption=f"The bands Boundary IoU compares, on {name} frame {t} "
                f"({study.data_name}) at dilation ratio {settings.metrics.dilation_ratio:g} (d = {numbers['d']:.0f} px): "
                f"each ground-truth class's band in its colour, the same for the {baseline} baseline's map, and every "
                "band pixel by kind (legend): teal pixels are the intersection, all four kinds together the "
                "union; their ratio per class, averaged over classes, is the frame's mBIoU in the last title")

# %%
takeaway(f"At d = {numbers['d']:.0f} px, {100 * numbers['gt_band_px'] / numbers['scored_px']:.0f} % of this frame's "
         f"labelled pixels lie in a ground-truth band, and the baseline's bands match {numbers['intersection_px']:,.0f} "
         f"of the {numbers['union_px']:,.0f} band pixels counted over all classes: mBIoU {numbers['mbiou']:.1f} % "
         f"against mIoU {numbers['miou']:.1f} % on the same frame.")

# %% [markdown]
# **Video consistency VC8.** A window is 8 consecutive frames. G is the set of pixels whose ground truth is the
# same in all 8; the window scores the share of G whose prediction is also the same in all 8 (mVC8 averages
# the windows of all videos; as VSPW's script does, the windows start at frames 0 .. T-9 of a T-frame video, so
# the last full window is left out; README, "Metric definitions"). Pixels whose true class changes (an object passing) are not scored at all. The
# window drawn is the one where the baseline is least consistent in this video.

# %%
start = int(np.nanargmin(video_consistency(run.gt, run.baseline, 8)))  # the baseline's least consistent window
refined_name = f"refined ({sources[0]})"
maps = {"baseline": run.baseline, refined_name: run.refined}
vc_window = viz.metric_drawings.vc_window_numbers(run.gt, maps, start, 8).set_index("map")
fig = viz.metric_drawings.plot_vc_window(frames, run.gt, maps, start, 8, dataset.palette,
                                         title=f"One VC8 window | {study.data_name} | {name} frames {start}-{start + 7}")
study.save_figure(fig, "tour_vc8_window", caption=f"One window of VC8 ({name}, frames {start}-{start + 7}, "
                f"{study.data_name}; {baseline} and its refinement with {sources[0]} masklets): the ground truth at "
                "the window's first and last frame, G (dark: the ground truth is the same in all 8 frames), and for "
                "each map the pixels of G that keep their prediction (teal) or change it (the error colour). VC8 of "
                "the window is teal over G")

# %%
takeaway(f"In frames {start}-{start + 7}, {vc_window['constant_px'].iloc[0]:,} pixels keep their true class; the "
         f"baseline keeps its prediction on {vc_window.loc['baseline', 'kept_px']:,} of them (VC8 "
         f"{vc_window.loc['baseline', 'vc']:.1f} %), the map refined with {sources[0]} masklets on "
         f"{vc_window.loc[refined_name, 'kept_px']:,} (VC8 {vc_window.loc[refined_name, 'vc']:.1f} %).")

# %% [markdown]
# Now the three metrics over the whole video:

# %%
rows = []
for source, run in runs.items():
    for method in ("baseline", "refined"):
        if method == "baseline" and rows:
            continue  # the baseline is the same for every source
        accumulator = MetricAccumulator(dataset.num_classes, dilation_ratio=settings.metrics.dilation_ratio)
        scores = accumulator.update(run.gt, getattr(run, method)).result()
        rows.append({"method": "baseline" if method == "baseline" else f"refined ({source})",
                     **{k: round(100 * scores[m], 2) for k, m in
                        (("mIoU", "miou"), ("mBIoU", "mbiou"), ("mVC8", "mvc8"), ("mVC16", "mvc16"),
                         ("mVCc8", "mvcc8"), ("mVCc16", "mvcc16"))}})
per_video = pd.DataFrame(rows)
study.save_table(per_video, f"tour_metrics_{name}", caption=f"mIoU, mBIoU, mVC8, mVC16, mVCc8, mVCc16 (%) of one "
               f"video ({name})")
display(per_video)

# %%
scores = per_video.set_index("method")
base = scores.loc["baseline"]
verdicts = []
for source in sources:
    row = scores.loc[f"refined ({source})"]
    outcome = video_outcome(scores, f"refined ({source})")  # raised: all metrics but one raised; lowered: one or none
    verdicts.append(f"- {source} masklets: **{outcome.verdict}** on this video; mIoU {change(base.mIoU, row.mIoU)}, mBIoU "
                    f"{change(base.mBIoU, row.mBIoU)}, mVC16 {change(base.mVC16, row.mVC16)}.")
takeaway(f"The same vote, different masklets ({name}, `{baseline}`, its first training seed; one video, so no "
         "interval: the range a score would likely take with other videos and training seeds, which the later "
         "notebooks give from many videos by the bootstrap of `02_baselines`):\n" + "\n".join(verdicts) + "\n\nWhich metric moves most on this video:\n"
         + bullets(largest_change(scores)) + "\n\nThe refiner can only be as good as its masklets: the vote copies "
         "their outlines, good or bad.")

# %% [markdown]
# ## 4. The votes behind one refinement
# Each masklet counts the baseline's classes over all its pixels in all frames (`vote="masklet"`, the
# default) or in each frame separately (`vote="frame"`, the `vote` knob) and takes the winner. The table lists
# the largest vote rows of the first source: how many pixels they hold and how decisive the vote was, as the
# winner's share of the votes in percent. A share near 100 % means the baseline agreed with itself inside the
# masklet; a share near 50 % means the masklet covered two classes, and one of them lost all its pixels.
# `03_refiner` draws both vote scopes on one masklet.

# %%
run = runs[sources[0]]
votes = masklet_votes(run.baseline, run.masklets, dataset.num_classes, vote=settings.refiner.vote)
rows = votes.ids if votes.ids.ndim == 1 else [f"{i} (frame {f})" for i, f in votes.ids]  # vote="frame": per frame
table = pd.DataFrame({"masklet": rows, "pixels": votes.votes.sum(axis=1),
                      "winner": [dataset.class_names[w] if w >= 0 else "-" for w in votes.winners],
                      "winner_share (%)": 100 * votes.votes.max(axis=1) / np.maximum(votes.votes.sum(axis=1), 1)})
largest = table.sort_values("pixels", ascending=False).head(8).round(1)
display(largest.set_index("masklet"))  # the masklet id once, as the row label

# %%
split_votes = largest[largest["winner_share (%)"] < 70]
takeaway(f"Of the {len(largest)} largest {sources[0]} vote rows (`vote=\"{settings.refiner.vote}\"`), "
         f"{len(split_votes)} were won with less than 70 % of their pixels (lowest: "
         f"{largest['winner_share (%)'].min():.0f} %, for a masklet voted "
         f"`{largest.loc[largest['winner_share (%)'].idxmin(), 'winner']}`)"
         + (". In such a row the network predicts several classes inside one masklet, and the vote overwrites all "
            "but the winner's pixels." if len(split_votes) else "."))

# %% [markdown]
# ## 5. The other path: classifying masklets
# Approach 2 drops the network's map inside masklets: each masklet's pooled feature vector is classified by an
# MLP trained on labelled masklets. Here with the plain appearance features (colour and texture; the MLP trained
# on the train split's masklets; `04_mask_classifier` also classifies the network's own features),
# in three variants: `none` leaves pixels outside every masklet unlabelled, `fallback` gives them the
# baseline's class, `fused` mixes the MLP's probabilities with the baseline's votes.

# %%
with study.step("approach 2, appearance features", total=1):  # one progress bar for the whole step
    approach2 = study.classify("appearance", sources[0])
summary = pd.DataFrame([{"variant": v, **approach2[v].percent()} for v in ("baseline", "none", "fallback", "fused")])
display(summary.round(2))

# %%
scores2 = summary.set_index("variant")["mIoU"]
best = scores2.drop(index="baseline").idxmax()
change_text = change(scores2["baseline"], scores2[best])
takeaway(f"Scope changes here: this is the whole evaluated split ({len(study.videos())} videos), one training seed, "
         f"{sources[0]} masklets and the `{approach2.baseline_name}` network, not the one video and `{baseline}` "
         f"above. The best approach-2 variant is `{best}`: mIoU {change_text} against that network. Classifying "
         "masklets from scratch must recognise each object from a single pooled vector; `04_mask_classifier` "
         "compares every masklet source and feature over all training seeds, with intervals."
         + (f" `none` and `fallback` score the same to every digit: the {sources[0]} masklets cover every pixel, "
            "so no pixel is left for the fallback to fill." if summary.set_index("variant").loc["none"].equals(
                summary.set_index("variant").loc["fallback"]) else ""))

# %% [markdown]
# ## What we learned
# - The refiner changes only pixels inside masklets, and only to a class the network already predicts there.
#   With exact masklets that fixes boundaries and flicker; with masklets that span or leave their objects it
#   spreads the network's majority over the wrong pixels. Which of the two happens depends first on mask
#   quality; `03_refiner` compares the two vote scopes over the whole split.
# - Which metric moves most depends on the masklets and the video: the takeaway of section 3 reads it from the
#   table, and `03_refiner` gives it over the whole split with intervals.
# - Classifying masklets instead of voting (approach 2) stands or falls with the masklets it classifies:
#   `04_mask_classifier` gives the verdict per masklet source, with intervals.
# - Next: `01_dataset` (what the data looks like), then `02_baselines`, `03_refiner` (the whole split).

# %% [markdown]
# ## Exercises
# Change a knob in the parameters cell at the top, re-run the notebook (seconds with a warm cache), and compare
# with the run above. Unfold a solution only after trying.
#
# 1. Set `dilation_ratio = 0.005`, then `0.05`. How wide is the Boundary IoU band each time, and how do this
#    frame's mBIoU and the video's mBIoU move against mIoU?
#
# <details><summary>Solution</summary>
#
# The band width is d = max(1, round(ratio x frame diagonal)) pixels; the band figure's second title prints
# it. A narrow band holds only the pixels at the
# class boundaries, exactly where a network that predicts at stride 8 or 16 and upsamples is blurred, so if
# the baseline's errors sit on boundaries its mBIoU falls further below its mIoU; a wide band covers most of
# each object, and mBIoU approaches mIoU. Read both from the takeaway under the band figure and from the table
# of section 3; `05_boundary_analysis` sweeps the ratio over the whole split, with intervals.
#
# </details>
#
# 2. Set `vote = "frame"`. What is a row of the vote table in section 4 now, and which columns of the metric
#    table of section 3 can the change move?
#
# <details><summary>Solution</summary>
#
# Each row is one masklet in one frame ("12 (frame 5)"): the masklet votes anew in every frame, so it can take
# one class in some frames and another in others. With one vote per masklet every pixel of a masklet gets the
# same class in all frames, which holds video consistency up by construction (with exact masklets, a pixel
# whose true class stays fixed stays in one masklet, so its refined class stays fixed too). Per-frame votes remove that guarantee, so the mVC8 and mVC16 columns are the ones to
# watch; mIoU and mBIoU change only where a masklet's per-frame winner differs from its overall winner.
#
# </details>
#
# 3. With `vote = "frame"`, which panels of the VC8 window figure change, and which cannot?
#
# <details><summary>Solution</summary>
#
# The ground truth, G and the baseline's panel cannot change: none of them depends on the vote. Only the refined
# map's panel (and its VC8 in the title) can, since the refined map is the vote's output. The window drawn is
# chosen from the baseline alone, so it stays the same window too.
#
# </details>
