# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # When refinement hurts, and what to do about it
#
# A *damaged* pixel is one the baseline got right and the refiner got wrong. The code sorts every damaged
# pixel into the first cause that applies (see `vsslib.analysis.failures`), and each cause points to a knob:
#
# | cause | what happened | what to try |
# |---|---|---|
# | object entered mid-window | no masklet was proposed for it before the next key frame | `discover_every`, a shorter `window` |
# | small or thin object swallowed | it fell between grid points; a larger masklet absorbed it | a denser `points_per_side` |
# | masklet drifted off its object | propagation lost the object in this frame | a shorter `window` |
# | vote spoiled by drifting frames | the masklet is on its object here, but its drifting frames won its one vote | `vote: frame`, a shorter `window` |
# | masklet spans several classes | one mask covered two objects; the vote overwrote the minority | stricter `pred_iou_thresh` / `stability_score_thresh` |
# | pure masklet spilled onto a neighbour | a mostly-correct mask reached over an object's edge | tighter masks at edges |
# | baseline's majority wrong inside a correct masklet | the mask was right, the network's majority inside it was wrong | a better baseline network |
#
# Drift is charged per frame: only the frames where a masklet has slid off its object. The whole-masklet
# charge (every frame of a masklet that drifts anywhere) is shown beside it, labelled, as an upper bound.
# Each cause gets a count, the mIoU it costs, and its worst example.
#
# **First run:** seconds once `03_refiner` has run.

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
from IPython.display import display

from vsslib import viz
from vsslib.analysis import FailureSettings, diagnose, merge_reports
from vsslib.masks import components_in_time
from vsslib.study import Study
from vsslib.viz.failures import CAUSE_LABELS, CAUSE_REMEDIES
from vsslib.viz.prose import takeaway

study = Study.from_notebook(params_file, results_dir)
settings = study.settings
viz.set_style()
viz.use_results(study.results)
print(f"data: {study.data_name}; figures and tables go to {results_dir}/")

# %% [markdown]
# ## Damage by cause, for every masklet source
# Left: each cause's share of the damaged pixels. Right: the mIoU that giving its damaged pixels back to the
# baseline would regain (the costs of single causes do not add up, since mIoU is not linear in the counts).

# %%
dataset = study.dataset()
baseline = study.baselines()[-1]
tables, reports, runs = [], {}, {}
for source in settings.masklets.sources:
    parts, whole = [], []
    for video_name in study.videos():
        run = study.video_run(baseline, source, video_name)
        runs[(source, video_name)] = run
        instances = run.instances if run.instances is not None else components_in_time(run.gt) + 1
        parts.append(diagnose(run.gt, instances, run.baseline, run.refined, run.masklets,
                              dataset.num_classes, settings.masklets.window, video=video_name,
                              settings=FailureSettings(vote=settings.refiner.vote)))
        whole.append(diagnose(run.gt, instances, run.baseline, run.refined, run.masklets,
                              dataset.num_classes, settings.masklets.window, video=video_name,
                              settings=FailureSettings(vote=settings.refiner.vote, drift_scope="masklet")))
    reports[source] = merge_reports(parts)
    summary = reports[source].summary().assign(masklets=source)
    tables += [summary, merge_reports(whole).summary().assign(masklets=source)]
    fig = viz.failures.plot_failure_causes(summary, title=f"Failure causes | {baseline} + {source} masklets | {study.data_name}")
    viz.save_figure(fig, f"failure_causes_{source}", caption=f"Damaged pixels and mIoU cost per cause ({source} masklets)")
causes = pd.concat(tables, ignore_index=True)
saved = viz.save_table(causes, "failure_causes", caption=f"Failure causes of the refiner per masklet source ({baseline}); "
               "drift_scope: drift charged per frame, or on every frame of a masklet that drifts anywhere")

# %%
lines = []
per_frame = causes[causes["drift_scope"] == "frame"]
for source, part in per_frame.groupby("masklets", sort=False):
    top = part.loc[part["pixel_share"].idxmax()]
    lines.append(f"- {source} masklets: {int(part['pixels'].sum()):,} damaged pixels; the main cause is "
                 f"*{CAUSE_LABELS[top['cause']]}* ({100 * top['pixel_share']:.0f} % of them, "
                 f"{100 * top['miou_cost']:.2f} mIoU points). What to try: {CAUSE_REMEDIES[top['cause']]}.")
drift = causes[causes["cause"] == "drift"].set_index(["masklets", "drift_scope"])["pixel_share"]
drift_lines = [f"drift is {100 * drift.get((s, 'frame'), 0):.0f} % of the {s} damage per frame, "
               f"{100 * drift.get((s, 'masklet'), 0):.0f} % when a drifting masklet is charged on all its frames"
               for s in settings.masklets.sources]
takeaway("\n".join(lines) + "\n\nCharging drift: " + "; ".join(drift_lines) + ".")

# %% [markdown]
# ## Frames where refinement hurts
# Per frame, the accuracy of the baseline and of the refined map; a frame is *hurt* when refinement lowers it.

# %%
hurt = pd.DataFrame([{"masklets": source, "frames": len(report.frames), "hurt_frames": int(report.frames["hurt"].sum())}
                     for source, report in reports.items()])
hurt["hurt_share"] = (hurt["hurt_frames"] / hurt["frames"]).round(3)
viz.save_table(hurt, "failure_hurt_frames", caption="Frames where refinement lowers the frame's accuracy, per masklet source")
display(hurt.round(3))

# %%
takeaway(" ".join(f"{row.masklets} masklets hurt {row.hurt_frames} of {row.frames} frames ({100 * row.hurt_share:.0f} %)."
                  for row in hurt.itertuples()))

# %% [markdown]
# ## The worst example of each cause
# One row per cause: the frame, its ground truth and baseline, the masklets with the blamed one outlined in
# red, and the refined map with the damage it caused kept bright.

# %%
for source, report in reports.items():
    rows = []
    worst = report.examples.sort_values("pixels", ascending=False).drop_duplicates("cause")
    for example in worst.head(6).to_dict("records"):
        run = runs[(source, example["video"])]
        f = int(example["frame"])
        rows.append({**example, "image": run.frames[f], "gt": run.gt[f], "baseline": run.baseline[f],
                     "masklets": run.masklets[f], "refined": run.refined[f]})
    if rows:
        fig = viz.failures.plot_failure_panel(rows, dataset.palette, title=f"Worst example of each cause | {source} masklets | {study.data_name}")
        viz.save_figure(fig, f"failure_examples_{source}", caption=f"The worst example of each failure cause ({source} masklets)")

# %% [markdown]
# ## What we learned
# - Most damage has a cause a reader can act on: drifting or spanning masklets point to the generator's
#   window and filters, objects entering mid-window to discovery, swallowed small objects to the point grid.
# - With exact masklets, what damage remains is the baseline's own wrong majority inside correct masks (the
#   oracle rows of the table): the cure is a better network, not better masks.
# - Charging a drifting masklet's every frame to drift overstates drift; the per-frame charge is the one to
#   act on, and the table shows both.
# - `07_cost` asks what the refiner costs in time and memory.
