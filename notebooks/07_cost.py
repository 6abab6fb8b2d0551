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
# # What it costs
#
# Time per frame of every stage on this machine, how SAM2's cost grows with the point grid and the window,
# and peak memory. Stage times are measured over one whole video (median of 3 runs after a warm-up). SAM2
# times use the real package; without a checkpoint its model has random weights: the compute does not depend
# on the weights, but the number of masks kept does, so propagation is timed with a fixed number of seeded
# masks. Every number here is machine-dependent (`make verify` lists it and does not compare it).
#
# **First run:** about 2.5 min in a cold `make verify` (the whole study from an empty cache on the project's
# 2-core machine, two notebooks at a time; this one alone; README, "Measured run times"); the SAM2 timings dominate.

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.
#
# **Knobs to turn.** `grids` and `device` (`None` keeps the settings file's value). Each point grid is timed
# afresh, so a denser grid costs what it measures (seconds per grid on a CPU). The exercises at the end use them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
grids = None  # None: as params_file says; try [2, 4, 8, 12]: more points per side, more prompts per key frame, more seconds
device = None  # None: as params_file says ("cpu"); "cuda" where a GPU and CUDA torch are installed: the SAM2 timings and memory on the GPU

# %%
import pandas as pd

from vsslib import viz
from vsslib.analysis import (pipeline_summary, refiner_stages, sam2_cost_grid, sam2_memory_by_length, sam2_rates,
                             time_stages)
from vsslib.study import Study
from vsslib.study.lessons import as_list, cost_lessons, memory_lesson, slowest_stages
from vsslib.study.specs import sam2_config
from vsslib.viz.prose import takeaway

study = Study.open_notebook("07_cost", params_file, results_dir, grids=grids, device=device)
settings = study.settings
sam2 = settings.masklets.sam2

# %% [markdown]
# ## Time per frame of every stage
# The baseline network, masklet generation and the vote, for every baseline and masklet source, on one video.
# A SAM2 source (by default sam2-mini, the SAM2 architecture trained here on the generated benchmark) is timed
# once, with the first baseline, in one call after the untimed run that makes its inputs, to keep this notebook
# short (the others: median of 3 after a warm-up).

# %%
dataset = study.dataset()
video = dataset.load(study.videos()[0])
tables, sam2_sources = [], {}
for source in settings.masklets.sources:
    masklets = study.masklet_source(source)
    timed_by_sam2 = hasattr(masklets, "timings")  # SAM2 sources count their key frames and object-frames
    for baseline in study.baselines()[:1] if timed_by_sam2 else study.baselines():
        stages = refiner_stages(video, study.segmenter(baseline), masklets, dataset.num_classes,
                                vote=settings.refiner.vote, dilation_ratio=settings.metrics.dilation_ratio)
        repeats = {"repeats": 1, "warmup": 0} if timed_by_sam2 else {}
        tables.append(time_stages(stages, num_frames=video.num_frames, **repeats).assign(baseline=baseline,
                                                                                         masklets=source))
    if timed_by_sam2:
        sam2_sources[source] = dict(masklets.timings)
stage_times = pd.concat(tables, ignore_index=True)
study.save_table(stage_times[["baseline", "masklets", "stage", "seconds_per_frame"]], "cost_stages",
               caption="Seconds per frame of each stage (this machine)", machine_dependent_columns=("seconds_per_frame",))
view = stage_times.assign(stage=stage_times["stage"] + " (" + stage_times["baseline"] + ", " + stage_times["masklets"] + ")")
fig = viz.cost.plot_stage_times(view, title=f"Seconds per frame of each stage | {study.data_name} | CPU")
study.save_figure(fig, "cost_stage_times", caption=f"Seconds per frame of every stage of the pipeline (one bar per stage, "
                  f"baseline network and masklet source), timed on {video.name} ({video.num_frames} frames, "
                  f"{study.data_name}) on this machine's CPU: median of 3 runs after a warm-up, whiskers from "
                  "the fastest to the slowest (SAM2 sources: one run, drawn hatched and without whiskers). The axis is "
                  "logarithmic, so compare bars by where they end, not by their length: of one pipeline's bars, the "
                  "one ending furthest right is where most of its time goes (the metrics bar scores the result and is "
                  "not part of the pipeline)", machine_dependent=True)

# %% [markdown]
# The SAM2 sources' own counters over everything they ran above: seconds per key frame of the automatic
# generator, and seconds per *object-frame* of propagation (one masklet carried one frame), the unit their
# propagation cost grows with.
# sam2-mini computes in its own *pinned interpreter*: a second Python process started with environment variables
# that fix which compiled kernels torch and MKL use (their AVX2 versions; AVX2 is the 256-bit vector instruction
# set of x86 processors since about 2013) and how many threads split each sum (its `threads` setting, 1 by
# default), so that its masklets are the same bits on every machine (`vsslib/base/pinned.py`). Its counters are
# that interpreter's.

# %%
if sam2_sources:
    rates = sam2_rates(sam2_sources)
    study.save_table(rates, "cost_sam2_rates", caption=f"SAM2 sources on {study.data_name} (this machine): seconds per "
                   "key frame of the generator and per object-frame of propagation",
                   machine_dependent_columns=("seconds_per_key_frame", "seconds_per_object_frame", "object_frames",
                                              "objects_per_frame"))  # counts follow the masks: float-sensitive
    display(rates.round(4))
    for _, r in rates.iterrows():
        staged = stage_times[(stage_times["masklets"] == r["masklets"]) & (stage_times["stage"] == "propagation")]
        if len(staged):
            takeaway(f"{r['masklets']}: the stage table puts propagation at {staged['seconds_per_frame'].iloc[0]:.2f} s "
                     f"a frame; the counters give {r['objects_per_frame']:.1f} object-frames a frame x "
                     f"{1e3 * r['seconds_per_object_frame']:.0f} ms = {r['objects_per_frame'] * r['seconds_per_object_frame']:.2f} "
                     "s a frame. They time different work (the stage table: the timed run on one video, per video frame; "
                     "the counters: every call the source made above, per propagated frame) and are not meant to "
                     "agree to the digit: read them as the same order of magnitude.")

# %%
pipelines = pipeline_summary(stage_times)  # per baseline x source: seconds, slowest stage, the vote's share
takeaway("The slowest stage of each pipeline (of its stages but `metrics`, which scores the result): "
         + slowest_stages(pipelines)
         + f". The vote (`refinement`) takes {100 * pipelines['vote_share'].min():.1f} to "
         f"{100 * pipelines['vote_share'].max():.1f} % of a pipeline's time"
         + (": it is never the slowest stage." if (pipelines["slowest"] != "refinement").all() else "."))

# %% [markdown]
# ## SAM2: the point grid and the window
# The automatic generator on one key frame for each grid, and propagation of 4 seeded masks for each window
# length (a few frames measured, the rest extended at the measured rate; the figure says which). This section
# times the official SAM2 architecture (the config named in the figure's title, random weights: no checkpoint
# can be had here), not sam2-mini, on small grids (those of the settings' `cost.grids`; the paper's 16 x 16 is
# not timed) and with random weights, whose filters keep no mask, so propagation is timed on seeded masks: it shows how the cost
# of that architecture grows with the grid and the window on this machine, a rough lower bound on the paper's
# model (a trained checkpoint keeps masks, and each kept mask is propagated), not its measured cost. The stage
# times above are those of the study's own pipelines, sam2-mini's included, which is far smaller.

# %%
checkpoint = str(settings.folder(sam2.checkpoint)) if sam2.checkpoint else None
cost = sam2_cost_grid(settings.cost.grids, settings.cost.windows, (settings.data.height, settings.data.width), 4,
                      sam2.device, config=sam2_config(settings), checkpoint=checkpoint, measured_frames=2,
                      max_measured_grid=max(settings.cost.grids))
study.save_table(cost.generator, "cost_sam2_generator", caption="SAM2 automatic generator seconds per key frame by grid",
               machine_dependent_columns=("seconds",))
study.save_table(cost.propagation, "cost_sam2_propagation", caption="SAM2 propagation seconds by window length",
               machine_dependent_columns=("seconds", "seconds_per_frame"))
fig = viz.cost.plot_sam2_cost(cost, title=f"SAM2 {sam2_config(settings)} cost | {sam2.device} | {'checkpoint' if checkpoint else 'random weights'}")
study.save_figure(fig, "cost_sam2_grid_and_window", caption=f"SAM2 ({sam2_config(settings)}, "
                  f"{'checkpoint' if checkpoint else 'random weights'}, {sam2.device}) at {settings.data.height} x "
                  f"{settings.data.width}, 4 seeded masks: at the top the automatic generator's seconds on one key "
                  "frame by point grid and the cost per video frame by grid and window, at the bottom propagation's "
                  "seconds per frame of a window (the frames measured and those extended at the measured rate "
                  "marked). A cell marked ≥ rests on a propagation extended from frames timed before the memory bank "
                  "filled, so it is a lower bound; * marks a grid whose generator time is predicted from smaller grids",
                  machine_dependent=True)

# %%
generator = cost.generator.sort_values("points_per_side")
takeaway(f"On {sam2.device}, the generator takes {generator['seconds'].iloc[0]:.1f} s on one key frame with a "
         f"{generator['points_per_side'].iloc[0]}x{generator['points_per_side'].iloc[0]} grid and "
         f"{generator['seconds'].iloc[-1]:.1f} s with {generator['points_per_side'].iloc[-1]}x"
         f"{generator['points_per_side'].iloc[-1]}"
         + (f": {generator['candidates'].iloc[-1] / generator['candidates'].iloc[0]:.0f} times the prompts (3 per "
            f"grid point) took {generator['seconds'].iloc[-1] / generator['seconds'].iloc[0]:.1f} times as long, "
            f"so the time grows with the grid, less than in proportion, over the {len(generator)} grids timed."
            if generator["seconds"].is_monotonic_increasing else ": the time does not grow steadily with the grid "
            "here."))

# %% [markdown]
# ## Peak memory against the length of one predictor state
# Windows keep one predictor state each, so a video's peak memory is that of its longest window, however long
# the video.
#
# *How the peak is measured.* On a CPU the table's `method` column reads `VmHWM`: Linux's *high-water mark* of
# the process's resident memory (the most physical memory it has held, a line of `/proc/self/status`), reset
# just before each measured call, so the peak is the call's own; `increase_mib` subtracts the memory held before
# the call. On CUDA it reads `cuda max_memory_allocated`: PyTorch's peak of the tensors on the GPU.

# %%
memory = sam2_memory_by_length([1, 2, 4], (settings.data.height, settings.data.width), 1, sam2.device,
                               config=sam2_config(settings), checkpoint=checkpoint)
study.save_table(memory, "cost_sam2_memory", caption="Peak memory (MiB) of one SAM2 predictor state by its number of frames",
               machine_dependent_columns=("peak_mib", "start_mib", "increase_mib"))
fig = viz.cost.plot_memory_by_length(memory, title=f"SAM2 {sam2_config(settings)} memory by state length | {sam2.device}")
study.save_figure(fig, "cost_sam2_memory", caption=f"Peak memory (MiB) of one SAM2 predictor state ("
                  f"{sam2_config(settings)}, {sam2.device}, {settings.data.height} x {settings.data.width}, 1 object) "
                  "by the frames it holds (VmHWM on a CPU, explained above): a video's peak is that of its longest "
                  "window", machine_dependent=True)

# %%
takeaway(memory_lesson(memory, settings.masklets.window))

# %% [markdown]
# ## What we learned
# Read from the tables above:

# %%
takeaway(as_list(cost_lessons(pipelines, memory, settings.masklets.window)
                 + ["All numbers are of this machine; the tables in `results/` mark them as machine-dependent."]))

# %% [markdown]
# ## Exercises
# Change a knob in the parameters cell, re-run, and compare with the run above. Every number here is measured on
# this machine, so compare runs on the same machine.
#
# 1. Add a denser grid to `grids` (for example `[2, 4, 8, 12]`). How does the generator's time per key frame grow
#    with the points per side?
#
# <details><summary>Solution</summary>
#
# A grid of n points per side prompts the mask decoder n x n times, so the work of the decoder grows with the
# square of n, while the image encoder runs once per key frame whatever n. Compare the generator table: if the
# time grows about four-fold when n doubles, the decoder dominates; if it barely grows, the encoder does. The
# takeaway prints the smallest and largest grid's times.
#
# </details>
#
# 2. Where a GPU is available, set `device = "cuda"`. Which column of the memory table changes its meaning?
#
# <details><summary>Solution</summary>
#
# `method` reads `cuda max_memory_allocated` instead of `VmHWM`: the peak counts the tensors on the GPU, not the
# process's resident memory on the host, so the two devices' numbers measure different things and are not
# comparable one to one.
#
# </details>
#
# 3. Does a changed `grids` change the stage times of the first section?
#
# <details><summary>Solution</summary>
#
# No: the first section times the masklet sources of the settings with their own settings (on the embedded
# default classical, sam2-mini and oracle; sam2-mini keeps its own `points_per_side`); `grids` only sets which
# SAM2 grids the second section times. Differences between runs there are measurement noise of this machine.
#
# </details>
