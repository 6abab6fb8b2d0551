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
# # SAM2's own knobs: grid, filters and window
#
# SAM2 makes masklets with a few knobs of its own: the grid of point prompts on each key frame
# (`points_per_side`), the two filters that keep a proposed mask (`pred_iou_thresh`: the mask's IoU as SAM2's
# IoU head predicts it; `stability_score_thresh`: how little the mask changes when its logit cut-off moves),
# and how many frames a masklet is carried before the next key frame (`window`). Here we move each knob alone,
# away from the values the study uses, and watch three things: how many masklets a frame gets, how much of the
# frame they cover, and what the refiner of approach 1 makes of them.
#
# On the embedded default the SAM2 source is **sam2-mini** (SAM2 architecture, trained here on the generated
# benchmark); its own filters were calibrated for it (`vsslib/sam2_mini/assets/generator.json`), and the
# paper's values (0.6 and 0.8) are among the values tried, each alone (the other filter at sam2-mini's own value:
# one knob moves at a time, so the paper's pair together is not a row here; the model card's key-frame recall
# has it). With `params/sam2-vspw.yaml` the same notebook
# moves the official checkpoint's knobs. What sam2-mini does with a knob says how SAM2's pipeline reacts on this
# data with this small model, not how the official checkpoints would.
#
# **First run:** about 15 s in a cold `make verify` (the whole study from an empty cache on the project's
# 2-core machine, two notebooks at a time; README, "Measured run times"), where `make figures` has made the
# masklets of every value before it. Run first by hand on an empty cache, every value makes the masklets of its
# videos anew with sam2-mini (about 40 s a video, 3 videos a value); cached afterwards.

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings; the values tried are its `knob_sweep` section (declared in
# `vsslib/study/settings.py`, each value checked by the component that takes the knob). Run by hand, the
# notebook writes to `scratch/results/`.
#
# **Knobs to turn** (`None` keeps the settings file's value). `sweep_network`: the network whose predictions are
# refined; the masklets depend on the frames only, so with a warm cache another network costs only its
# refinement (21 s by hand; README, "Measured run times"). `sweep_videos`: more videos narrow the intervals,
# but every value makes the masklets of the new videos anew (6 videos took 408 s by hand, earlier weights: 3 new videos at each
# of the 6 settings).

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
sweep_network = None  # None: as params_file says (the last network, fcn16-wide); try "fcn8-small": same masklets, other predictions
sweep_videos = None  # None: as params_file says (3); try 6: narrower intervals, several minutes of new masklets

# %%
from IPython.display import display

from vsslib import viz
from vsslib.study import Study
from vsslib.study.knob_sweep import knob_sweep, sweep_baseline, sweep_source
from vsslib.study.tables import interval_columns, readable
from vsslib.study.verdicts import FEW_VIDEOS, bullets, knob_findings
from vsslib.viz.prose import takeaway

study = Study.open_notebook("08_sam2_knobs", params_file, results_dir, sweep_network=sweep_network,
                            sweep_videos=sweep_videos)
settings = study.settings
source = sweep_source(settings)
baseline = sweep_baseline(settings)
tried = "; ".join(f"{knob} {', '.join(f'{v:g}' for v in values)}"
                  for knob, values in settings.knob_sweep.values().items())
print(f"SAM2 source: {source}; baseline: {baseline}; values tried besides the source's own: {tried}")

# %% [markdown]
# ## One knob at a time
# Each row refines the same baseline predictions (every training seed) on the same videos; only the masklets
# differ. `gain_*` compares the refined map with the baseline, `change_*` with the map refined at the source's
# own settings (the row marked `default`), so a `change` interval that excludes zero says that moving this knob
# alone moved the result on these videos. Intervals are over seeds and videos: with three videos they are wide,
# and yet they may be too narrow, since a bootstrap over three videos can draw them in only ten distinct ways and
# cannot show how much a fourth video would differ. A verdict here is weaker than the same words over all the val
# videos in 03, and on so few videos the takeaway says so beside each gain or loss ("a rough interval").

# %%
if source is None:
    print("no SAM2 source among masklets.sources: nothing to sweep")
else:
    with study.step("every knob value x seed"):
        sweep = knob_sweep(study, baseline, source)
    count = int(sweep["n_videos"].iloc[0])
    videos = f"first {count} video{'s' if count != 1 else ''} of {study.data_name}"
    study.save_table(sweep, "sam2_knobs", caption=f"{source} masklets with one knob moved at a time ({baseline}, "
                   f"{videos}): masklets a frame, "
                   "pixels covered (%), refined metrics with gains over the baseline and changes against the "
                   "source's own settings; mean over training seeds, 95 % intervals over seeds and videos",
                   machine_dependent_columns=("fps",))
    display(readable(sweep[["knob", "value", "default", "masklets_per_frame", "coverage",
                            *interval_columns("mIoU", "change_mIoU", "change_mBIoU"), "n_seeds", "n_videos"]]
                     .assign(value=lambda d: d["value"].map(lambda v: f"{v:g}"))))  # 8, 0.6: not 8.0
    fig = viz.intervals.plot_knob_sweep(sweep, title=f"{source} knobs | {baseline} | {videos}")
    study.save_figure(fig, "sam2_knobs", caption=f"Each of {source}'s knobs moved alone (one row per knob; {baseline}, mean over "
                      f"{int(sweep['n_seeds'].iloc[0])} training seeds on the {videos}): masklets a frame, pixels "
                      "covered, and the refined mIoU and mBIoU minus those at the source's own settings (dashed line); "
                      "bands: 95 % intervals over seeds and videos. A band clear of zero is a change these videos "
                      "resolve" + (", read roughly on so few videos (see the text above)" if count < FEW_VIDEOS else ""))

# %%
if source is not None:
    takeaway(f"Each knob of {source} moved alone (`{baseline}`, every training seed, {videos}"
             + ("; with so few videos the intervals are rough, see above" if count < FEW_VIDEOS else "") + "):\n"
             + bullets(knob_findings(sweep)))

# %% [markdown]
# ## What we learned
# - The grid sets how many prompts a key frame gets, the filters how many of the masks they propose survive,
#   and the window how often new ones are proposed; the table says how many masklets each value left on a
#   frame. Coverage shows how much of each frame the refiner can change at all: pixels outside every masklet
#   keep the baseline's class.
# - Whether a knob moves the refined metrics is read from its `change` interval: the takeaway above states
#   only what the intervals support on these few videos.
# - The study's other notebooks use the source's own settings (the dashed line); `03_refiner` sweeps the window
#   for the generators that cost seconds a video, and `07_cost` times the official SAM2 architecture by point
#   grid and window length (not sam2-mini's knobs, which it does not time).

# %% [markdown]
# ## Exercises
# Change a knob in the parameters cell, re-run, and compare with the run above.
#
# 1. Set `sweep_network = "fcn8-small"`. Which columns of the table stay exactly as they were, and does each
#    knob's `change` keep its sign on the other network?
#
# <details><summary>Solution</summary>
#
# `masklets_per_frame` and `coverage` do not move: the masklets are made from the frames alone, so the run
# reuses them from the cache and only refines the other network's predictions. The `gain` and `change`
# columns do move, because the vote takes the majority class of *that* network inside each masklet and can only
# choose classes it predicts. A knob whose `change` interval excludes zero on both networks with the same sign
# is a property of the masklets; one whose sign depends on the network is about how the masklets meet that
# network's errors.
#
# </details>
#
# 2. Set `sweep_videos = 6`. Which `change` intervals shrink enough to exclude zero?
#
# <details><summary>Solution</summary>
#
# Each value now makes masklets for six videos (about twice the time). The intervals are over seeds and videos,
# so they narrow roughly with the square root of the number of videos, unless the new videos disagree with the
# first three. A finding turns from "not distinguishable from zero" into a gain or a loss only where the mean
# change stays while the interval narrows; the takeaway states the new verdicts from the new table.
#
# </details>
#
# 3. Copy the settings file, add 32 to `knob_sweep.points_per_side`, and pass the copy as `params_file`. Does a
#    finer grid keep adding masklets?
#
# <details><summary>Solution</summary>
#
# A finer grid prompts more points, but masks that several points find are merged by the generator's
# non-maximum suppression, and the filters drop the weak ones, so the number of masklets a frame need not
# follow the number of prompts (4 times more at 32 than at 16): compare the `masklets_per_frame` column. The
# cost follows the prompts (generation) and the masklets kept (propagation): `07_cost` times the generator by
# grid size on the official SAM2 architecture, and gives sam2-mini's own seconds per key frame and per
# object-frame (one masklet carried one frame), from which a grid's or a threshold's cost follows.
#
# </details>
