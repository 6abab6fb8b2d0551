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
# # What the data looks like
#
# Before measuring a method, look at its data. This notebook shows sample frames with their labels, how often
# each class occurs, the objects (instances) with their sizes and motion, and how often an object enters the
# view in the middle of a masklet window: exactly the case a generator that proposes masks only on key frames
# cannot handle. Each of these numbers returns later as a reason the refiner helps or hurts.
#
# **First run:** about 12 s in a cold `make verify` (the whole study from an empty cache on the project's 2-core machine,
# two notebooks at a time; README, "Measured run times"); it generates the benchmark (under 30 s) unless another
# notebook did.

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.
#
# **Knob to turn.** `window` (`None` keeps the settings file's value) sets how many frames masklets are carried
# between two key frames; here it decides which objects count as entering "mid-window". Nothing is trained or
# generated again, so a re-run takes seconds. The exercises at the end use it.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
window = None  # None: as params_file says; try 8: more key frames, so fewer objects enter between two of them

# %%
from IPython.display import display

from vsslib import viz
from vsslib.data.stats import class_frequencies, entries_mid_window, object_table
from vsslib.study import Study
from vsslib.viz.prose import takeaway

study = Study.open_notebook("01_dataset", params_file, results_dir, window=window)
settings = study.settings

# %% [markdown]
# ## Sample frames
# Three videos, three frames each (first, middle, last), labels overlaid. Watch how the camera pans and zooms
# and how small objects (poles, signs, people) are next to large stuff (road, building, sky).

# %%
dataset = study.dataset()
shown = dataset.videos[:3]
fig = viz.dataset.plot_samples(dataset, shown, [0, settings.data.frames // 2, -1],
                               title=f"Sample frames with labels | {study.data_name}")
study.save_figure(fig, "dataset_samples", caption=f"The first, middle and last frame (columns) of the first three "
                  f"{settings.data.split} videos ({', '.join(shown)}; {study.data_name}, rows), the ground-truth labels "
                  "overlaid in the class colours of the legend: how the scene and the objects move within one video")

# %% [markdown]
# ## Class frequencies
# Share of labelled pixels per class, and in how many frames and videos each class appears. mIoU averages
# classes equally, so a rare class weighs as much as the road.

# %%
frequencies = class_frequencies(dataset)
study.save_table(frequencies, "dataset_class_frequencies", caption="Pixel share, frames and videos per class")
frames = sum(len(dataset.frame_paths(v)) for v in dataset.videos)
fig = viz.dataset.plot_class_frequencies(frequencies, f"Class frequencies | {study.data_name}",
                                         palette=dataset.palette, total_frames=frames)
study.save_figure(fig, "dataset_class_frequencies", caption=f"Every class of the {len(dataset.videos)} "
                  f"{settings.data.split} videos ({frames} frames, {study.data_name}), most frequent on top: left its "
                  "share of the labelled pixels (log scale, so rare classes stay visible), right the frames that "
                  "contain it and in how many videos. A short bar on the left weighs as much in mIoU as a long one")

# %%
ranked = frequencies.sort_values("pixel_share", ascending=False)
takeaway(f"The most frequent class, `{ranked.iloc[0]['class']}`, holds {ranked.iloc[0]['pixel_share']:.1f} % "
         f"of the labelled pixels; the rarest, `{ranked.iloc[-1]['class']}`, {ranked.iloc[-1]['pixel_share']:.2f} %. "
         f"Errors on the rare classes move mIoU as much as errors on the frequent ones.")

# %% [markdown]
# ## Objects: how many, how big, how fast, and who enters mid-window
# An object that enters after a window's key frame gets no masklet until the next key frame (every
# `window` frames); its pixels are decided by whichever masklet covers them, or by the baseline.

# %%
objects = object_table(dataset)
per_class = objects.groupby("class", sort=False).agg(instances=("object", "size"), mean_area=("mean_area", "mean"),
                                                     mean_speed=("speed", "mean")).reset_index()
entries = entries_mid_window(objects, settings.masklets.window)
per_class = per_class.merge(entries[["class", "enters_mid_window"]], on="class")
study.save_table(per_class, "dataset_objects_per_class",
               caption=f"Instances, mean area (px), mean speed (px/frame) and entries mid-window "
                       f"(window {settings.masklets.window}) per class")
display(per_class.round(1))

# %%
fig = viz.dataset.plot_object_sizes(objects, f"Object sizes and motion | {study.data_name}")
study.save_figure(fig, "dataset_object_sizes_and_motion", caption=f"The {len(objects)} objects (instances) of the "
                  f"{settings.data.split} videos ({study.data_name}): left their mean area in pixels (log scale), "
                  "right their mean speed in pixels a frame, each with its median dashed")

# %%
entering = int(per_class["enters_mid_window"].sum())
small = (objects["mean_area"] < 200).mean()
takeaway(f"{len(objects):,} objects; {100 * small:.0f} % of them cover under 200 pixels on average, and "
         f"{entering:,} enter the view in the middle of a {settings.masklets.window}-frame window "
         f"(the largest group: `{per_class.loc[per_class['enters_mid_window'].idxmax(), 'class']}`, "
         f"{int(per_class['enters_mid_window'].max())} of them). A small object can "
         "fall between the grid points of a key-frame generator; an object that enters mid-window gets no masklet "
         "of its own before the next key frame.")

# %% [markdown]
# ## What we learned
# Read from the per-class table above:

# %%
by_speed = per_class.sort_values("mean_speed", ascending=False)
by_area = per_class.sort_values("mean_area")
takeaway(f"- The fastest class is `{by_speed.iloc[0]['class']}` "
         f"({by_speed.iloc[0]['mean_speed']:.1f} px/frame, mean area {by_speed.iloc[0]['mean_area']:.0f} px), the "
         f"smallest `{by_area.iloc[0]['class']}` ({by_area.iloc[0]['mean_area']:.0f} px, "
         f"{by_area.iloc[0]['mean_speed']:.1f} px/frame); the slowest `{by_speed.iloc[-1]['class']}` "
         f"({by_speed.iloc[-1]['mean_speed']:.1f} px/frame, mean area {by_speed.iloc[-1]['mean_area']:.0f} px).\n"
         f"- Class frequencies span a factor of {ranked['pixel_share'].max() / ranked['pixel_share'].min():.0f} "
         "in pixels, and mIoU weighs every class equally.")

# %% [markdown]
# - Small objects and objects that enter mid-window (their shares and why a key-frame generator can miss them:
#   the object counts above) are two of the failure causes `06_failure_cases` counts.
# - Next: `02_baselines`, the networks whose maps the masklets refine.

# %% [markdown]
# ## Exercises
# Change `window` in the parameters cell, re-run (seconds), and compare with the run above.
#
# 1. Set `window = 8`. How does the number of objects entering mid-window change, and why can it not grow?
#
# <details><summary>Solution</summary>
#
# An object enters mid-window when it first appears in a frame that is not a key frame (frames 0, `window`,
# 2 x `window`, ...). With `window = 8` every eighth frame is a key frame instead of every 32nd, so the key
# frames of the default are still key frames and more frames become key frames: an entry can only turn from
# "mid-window" into "on a key frame", never the other way. The per-class table's `enters_mid_window` column
# and the takeaway under the object figure give the new count.
#
# </details>
#
# 2. Set `window` to the number of frames of a video (`data.frames` of the settings file). Which objects still
#    count as entering mid-window?
#
# <details><summary>Solution</summary>
#
# Only frame 0 is a key frame, so every object that is not in the first frame enters mid-window: a generator
# that proposes masks only on key frames would give none of them a masklet for the whole video. This is the
# case the masklet setting `discover_every` addresses (off by default, as in the paper: every k frames inside a
# window, propose again on the area no masklet covers; `06_failure_cases` names it among the remedies).
#
# </details>
#
# 3. Which numbers of this notebook do not depend on `window` at all?
#
# <details><summary>Solution</summary>
#
# The sample frames, the class frequencies, and the objects' sizes and speeds: they describe the data alone.
# Only the entries mid-window depend on how the masklets are carried.
#
# </details>
