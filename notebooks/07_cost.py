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
# **First run:** a minute or two on a CPU (the SAM2 timings dominate).

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)

# %%
import pandas as pd

from vsslib import viz
from vsslib.analysis import refiner_stages, sam2_cost_grid, sam2_memory_by_length, time_stages
from vsslib.specs import sam2_config
from vsslib.study import Study
from vsslib.viz.prose import takeaway

study = Study.open_notebook(params_file, results_dir)
settings = study.settings
sam2 = settings.masklets.sam2

# %% [markdown]
# ## Time per frame of every stage
# The baseline network, masklet generation and the vote, for every baseline and masklet source, on one video.

# %%
dataset = study.dataset()
video = dataset.load(study.videos()[0])
tables = []
for baseline in study.baselines():
    for source in settings.masklets.sources:
        stages = refiner_stages(video, study.segmenter(baseline), study.masklet_source(source), dataset.num_classes,
                                vote=settings.refiner.vote, dilation_ratio=settings.metrics.dilation_ratio)
        tables.append(time_stages(stages, num_frames=video.num_frames).assign(baseline=baseline, masklets=source))
stage_times = pd.concat(tables, ignore_index=True)
viz.save_table(stage_times[["baseline", "masklets", "stage", "seconds_per_frame"]], "cost_stages",
               caption="Seconds per frame of each stage (this machine)", machine_dependent_columns=("seconds_per_frame",))
view = stage_times.assign(stage=stage_times["stage"] + " (" + stage_times["baseline"] + ", " + stage_times["masklets"] + ")")
fig = viz.cost.plot_stage_times(view, title=f"Seconds per frame of each stage | {study.data_name} | CPU")
viz.save_figure(fig, "cost_stage_times", caption="Seconds per frame of every stage", machine_dependent=True)

# %%
slowest = stage_times.loc[stage_times["seconds_per_frame"].idxmax()]
fastest = stage_times.loc[stage_times["seconds_per_frame"].idxmin()]
takeaway(f"The slowest stage is `{slowest['stage']}` ({slowest['masklets']} masklets, {1e3 * slowest['seconds_per_frame']:.1f} "
         f"ms a frame), the fastest `{fastest['stage']}` ({1e3 * fastest['seconds_per_frame']:.2f} ms). The vote itself "
         "is one bincount and never the bottleneck; masklet generation is.")

# %% [markdown]
# ## SAM2: the point grid and the window
# The automatic generator on one key frame for each grid, and propagation of 4 seeded masks for each window
# length (a few frames measured, the rest extended at the measured rate; the figure says which).

# %%
checkpoint = str(settings.folder(sam2.checkpoint)) if sam2.checkpoint else None
cost = sam2_cost_grid(settings.cost.grids, settings.cost.windows, (settings.data.height, settings.data.width), 4,
                      sam2.device, config=sam2_config(settings), checkpoint=checkpoint, measured_frames=2,
                      max_measured_grid=max(settings.cost.grids))
viz.save_table(cost.generator, "cost_sam2_generator", caption="SAM2 automatic generator seconds per key frame by grid",
               machine_dependent_columns=("seconds",))
viz.save_table(cost.propagation, "cost_sam2_propagation", caption="SAM2 propagation seconds by window length",
               machine_dependent_columns=("seconds", "seconds_per_frame"))
fig = viz.cost.plot_sam2_cost(cost, title=f"SAM2 {sam2_config(settings)} cost | {sam2.device} | {'checkpoint' if checkpoint else 'random weights'}")
viz.save_figure(fig, "cost_sam2_grid_and_window", caption="SAM2 seconds by point grid and by window length", machine_dependent=True)

# %%
generator = cost.generator.sort_values("points_per_side")
takeaway(f"On {sam2.device}, the generator takes {generator['seconds'].iloc[0]:.1f} s on one key frame with a "
         f"{generator['points_per_side'].iloc[0]}x{generator['points_per_side'].iloc[0]} grid and "
         f"{generator['seconds'].iloc[-1]:.1f} s with {generator['points_per_side'].iloc[-1]}x"
         f"{generator['points_per_side'].iloc[-1]}: the cost grows with the number of prompts, so the paper's 16x16 "
         "grid is a trade-off between small objects found and time.")

# %% [markdown]
# ## Peak memory against the length of one predictor state
# Windows keep one predictor state each, so a video's peak memory is that of its longest window, however long
# the video.

# %%
memory = sam2_memory_by_length([1, 2, 4], (settings.data.height, settings.data.width), 1, sam2.device,
                               config=sam2_config(settings), checkpoint=checkpoint)
viz.save_table(memory, "cost_sam2_memory", caption="Peak memory (MiB) of one SAM2 predictor state by its number of frames",
               machine_dependent_columns=("peak_mib", "start_mib", "increase_mib"))
fig = viz.cost.plot_memory_by_length(memory, title=f"SAM2 {sam2_config(settings)} memory by state length | {sam2.device}")
viz.save_figure(fig, "cost_sam2_memory", caption="Peak memory of SAM2 propagation by frames in the state", machine_dependent=True)

# %%
memory = memory.sort_values("frames")
per_frame = (memory["increase_mib"].iloc[-1] - memory["increase_mib"].iloc[0]) / max(memory["frames"].iloc[-1] - memory["frames"].iloc[0], 1)
takeaway(f"Each further frame in a predictor state adds about {per_frame:.0f} MiB at the peak here; with "
         f"{settings.masklets.window}-frame windows that bounds the memory of any video length.")

# %% [markdown]
# ## What we learned
# - The refiner's own step (the vote) is negligible; the masklet generator sets the cost, and SAM2's grows with
#   the point grid.
# - Windowing bounds memory: a video needs the memory of its longest window, not of its length.
# - All numbers are of this machine; the tables in `results/` mark them as machine-dependent.
