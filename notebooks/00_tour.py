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
# embedded *classical* generator, and SAM2 when a checkpoint is configured. Side by side you see the method
# succeed and fail on the same frames, and the text tells you which is which. Notebooks 01-07 repeat each step
# on the whole split and analyse it.
#
# **First run:** it generates the benchmark and trains the two baseline networks (a few minutes on a laptop
# CPU; cached in `.cache/` afterwards, when the notebook takes seconds).
#
# **Glossary.**
# - *Semantic map*: one class per pixel, from a segmentation network (here a small CNN, the *baseline*).
# - *Masklet*: a class-agnostic object mask carried through time. SAM2 makes them from a point grid on a
#   *key frame* and propagates them with its video memory through a *window* of frames. Without a SAM2
#   checkpoint this study uses an embedded *classical* generator (graph-based regions + optical flow).
# - *Oracle masklets*: the dataset's own objects, exact; the best masklets any generator could give.
# - *Refiner* (approach 1): every masklet takes the majority class of the semantic map inside it.
# - *Segmentor* (approach 2): masklets pool feature vectors and a small MLP classifies each one.
# - *mIoU*, *mBIoU* (Boundary IoU: IoU of thin bands along class boundaries), *mVC8/16* (video
#   consistency: how often a pixel whose true class stays fixed for 8 / 16 frames also keeps its prediction).

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from vsslib import viz
from vsslib.metrics import MetricAccumulator
from vsslib.refine import masklet_votes
from vsslib.study import Study
from vsslib.verdicts import bullets, largest_change
from vsslib.viz.prose import change, takeaway

study = Study.open_notebook(params_file, results_dir)
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

# %% [markdown]
# ## 2. Baseline, masklets, refinement, for every masklet source
# One frame through the pipeline, once per masklet source. Errors against the ground truth are outlined in
# red. The baseline predicts at a coarse stride and upsamples bilinearly, so its boundaries are blurred; the
# refined map takes the baseline's majority class inside each masklet, so it inherits the masklets'
# boundaries, good or bad. Look for the red outlines: where do they shrink, where do they grow?

# %%
for source, run in runs.items():
    fig = viz.refiner.plot_steps(run.frames[t], run.gt[t], run.baseline[t], run.masklets[t], run.refined[t],
                                 dataset.palette, dataset.class_names,
                                 title=f"{study.data_name} | {name} frame {t} | {baseline} + {source} masklets")
    viz.save_figure(fig, f"tour_steps_{source}", caption=f"One frame through the refiner with {source} masklets: "
                    "frame, ground truth, baseline, masklets, refined (errors outlined in red)")

# %% [markdown]
# ## 3. The three metrics on this video
# mIoU scores every pixel, mBIoU only thin bands along class boundaries (where a coarse network fails), and
# mVC8/mVC16 whether a pixel keeps its prediction while its true class stays the same.

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
                        (("mIoU", "miou"), ("mBIoU", "mbiou"), ("mVC8", "mvc8"), ("mVC16", "mvc16"))}})
per_video = pd.DataFrame(rows)
viz.save_table(per_video, f"tour_metrics_{name}", caption=f"mIoU, mBIoU, mVC8, mVC16 (%) of one video ({name})")
display(per_video)

# %%
scores = per_video.set_index("method")
base = scores.loc["baseline"]
verdicts = []
for source in sources:
    row = scores.loc[f"refined ({source})"]
    helped = sum(row[m] > base[m] for m in ("mIoU", "mBIoU", "mVC8", "mVC16"))
    verdict = "**success**" if helped >= 3 else "**failure**" if helped <= 1 else "**mixed**"
    verdicts.append(f"- {source} masklets: {verdict}; mIoU {change(base.mIoU, row.mIoU)}, mBIoU "
                    f"{change(base.mBIoU, row.mBIoU)}, mVC16 {change(base.mVC16, row.mVC16)}.")
takeaway(f"The same vote, different masklets ({name}, `{baseline}`, its first training seed; one video, so no "
         "interval):\n" + "\n".join(verdicts) + "\n\nWhich metric moves most on this video:\n"
         + bullets(largest_change(scores)) + "\n\nThe refiner can only be as good as its masklets: the vote copies "
         "their outlines, good or bad.")

# %% [markdown]
# ## 4. The votes behind one refinement
# Each masklet counts the baseline's classes over all its pixels in all frames (`vote="masklet"`) and takes
# the winner. The table lists the largest masklets of the first source: how many pixels they hold and how
# decisive the vote was. A winner share near 1 means the baseline agreed with itself inside the masklet; a
# share near 0.5 means the masklet covered two classes, and one of them lost all its pixels.

# %%
run = runs[sources[0]]
votes = masklet_votes(run.baseline, run.masklets, dataset.num_classes, vote=settings.refiner.vote)
table = pd.DataFrame({"masklet": votes.ids, "pixels": votes.votes.sum(axis=1),
                      "winner": [dataset.class_names[w] if w >= 0 else "-" for w in votes.winners],
                      "winner_share": votes.votes.max(axis=1) / np.maximum(votes.votes.sum(axis=1), 1)})
largest = table.sort_values("pixels", ascending=False).head(8).round(3)
display(largest.set_index("masklet"))  # the masklet id once, as the row label

# %%
split_votes = largest[largest["winner_share"] < 0.7]
takeaway(f"Of the {len(largest)} largest {sources[0]} masklets, {len(split_votes)} won their vote with less than "
         f"70 % of their pixels (lowest: {largest['winner_share'].min():.2f}, for a masklet voted "
         f"`{largest.loc[largest['winner_share'].idxmin(), 'winner']}`). Those masklets span several objects, "
         "and the losing classes' pixels are overwritten.")

# %% [markdown]
# ## 5. The other path: classifying masklets
# Approach 2 drops the network's map inside masklets: each masklet's pooled feature vector is classified by an
# MLP trained on the train split's masklets. Here with the plain appearance features (colour and texture),
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
         "compares every masklet source and feature over all training seeds, with intervals.")

# %% [markdown]
# ## What we learned
# - The refiner changes only pixels inside masklets, and only to a class the network already predicts there.
#   With exact masklets that fixes boundaries and flicker; with masklets that span or leave their objects it
#   spreads the network's majority over the wrong pixels. Which of the two happens is decided by mask quality,
#   not by the vote.
# - Which metric moves most depends on the masklets and the video: the takeaway of section 3 reads it from the
#   table, and `03_refiner` gives it over the whole split with intervals.
# - Classifying masklets instead of voting (approach 2) stands or falls with the masklets it classifies:
#   `04_mask_classifier` gives the verdict per masklet source, with intervals.
# - Next: `01_dataset` (what the data looks like), then `02_baselines`, `03_refiner` (the whole split).
