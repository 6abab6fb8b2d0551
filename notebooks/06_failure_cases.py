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
# # When refinement hurts, and what to do about it
#
# A *damaged* pixel is one the baseline got right and the refiner got wrong, with masklets of each source (the
# classical generator; sam2-mini, the SAM2 architecture trained here on the generated benchmark; the exact objects). The code sorts every damaged
# pixel into the first cause that applies (see `vsslib.analysis.failures`), and each cause points to a knob to
# turn against it.
#
# The causes, in the order they are tried:
#
# | cause (its code in the tables) | what happened | what to try (SAM2 sources) | what to try (classical generator) |
# |---|---|---|---|
# | object entered mid-window (`late_entry`) | no masklet was proposed for it before the next key frame | `discover_every`, a shorter `window` | the same |
# | small or thin object swallowed (`small_or_thin`) | it fell between grid points (SAM2) or under the smallest region kept (classical); a larger masklet absorbed it | a denser `points_per_side` | a lower `scale`, `min_area`, `min_size` |
# | masklet drifted off its object (`drift`) | propagation lost the object in this frame | a shorter `window` | a shorter `window`, `motion: masklet` |
# | vote spoiled by the masklet's drifting frames (`drift_vote`) | the masklet is on its object here, but its drifting frames won its one vote | `vote: frame`, a shorter `window` | the same |
# | masklet spans several classes (`spanning`) | one mask covered two objects; the vote overwrote the minority | the filters `pred_iou_thresh` / `stability_score_thresh` (`08_sam2_knobs` measures what each does on sam2-mini: read it before turning one) | a lower `scale`, a smaller `sigma` |
# | pure masklet spilled onto a neighbour (`leak`) | a mostly-correct mask reached over an object's edge | tighter masks at edges | a smaller `flow.winsize` |
# | baseline's majority wrong inside a correct masklet (`wrong_majority`) | the mask was right, the network's majority inside it was wrong | a better baseline network | the same |
# | none of the above (`other`) | the vote was decided by pixels without a label | - | - |
#
# The knobs, each declared with its default in `vsslib/masks/`: `window` (frames a masklet is carried from its
# key frame) and `discover_every` (propose again on the area no masklet covers every k frames inside a window;
# 0, the paper's choice, is off) belong to every source. `points_per_side`, `pred_iou_thresh` and
# `stability_score_thresh` are SAM2's grid and filters (`08_sam2_knobs`). The classical generator proposes
# regions with Felzenszwalb's graph segmentation, where a higher `scale` gives larger regions, `sigma` blurs the
# frame first (px), `min_size` is the smallest region kept while merging and `min_area` the smallest proposal
# kept (px); it carries them with Farnebäck optical flow, averaged over `flow.winsize` px (larger: smoother flow
# that smears across object edges), either per pixel or, with `motion: masklet`, moving each masklet as a whole.
# A knob in these columns is what a cause points to, not a measured cure: for the SAM2 source, `08_sam2_knobs`
# moves its grid, filters and window one at a time and measures the refined change; read it before turning one.
#
# Drift is charged per frame: only the frames where a masklet has slid off its object. The whole-masklet
# charge (every frame of a masklet that drifts anywhere) is an upper bound: it is in the saved table
# `failure_causes.csv` (its rows with `drift_scope` = `masklet`; the table shown below lists only the per-frame
# charge) and in the takeaway after it, not in the figures.
# Each cause gets a count, the mIoU it costs, and its worst example. Counts, shares and costs are means over the
# baseline's training seeds, with their sd over seeds and 95 % intervals over seeds and videos.
#
# **First run:** about 3 min in a cold `make verify` (the whole study from an empty cache on the project's
# 2-core machine, two notebooks at a time; README, "Measured run times"); it reuses `03_refiner`'s cached runs.

# %% [markdown]
# ## Parameters
# `params_file` names the study's settings (`params/default.yaml`: the embedded default; `make figures
# PARAMS=params/sam2-vspw.yaml` runs the paper's setting). Run by hand, the notebook writes its figures and
# tables to `scratch/results/`, so the committed `results/` stay as `make figures` made them.
#
# **Knobs to turn.** `vote` and `max_videos` (`None` keeps the settings file's value). The vote is the remedy
# the table names against "vote spoiled by the masklet's drifting frames"; the masklets are cached, so a changed vote only
# votes and diagnoses again. The exercises at the end use them.

# %% tags=["parameters"]
params_file = "params/default.yaml"  # the study's settings file
results_dir = "scratch/results"  # figures/ and tables/ go here (make figures passes results/)
vote = None  # None: as params_file says ("masklet"); "frame": one vote per masklet and frame, the remedy against a vote spoiled by drifting frames
max_videos = None  # None: as params_file says (all videos); try 5: a quicker run, wider intervals

# %%
import pandas as pd
from IPython.display import display

from vsslib import viz
from vsslib.analysis import FailureSettings, diagnose, merge_reports, summarize_failures, summarize_hurt_frames
from vsslib.study import Study
from vsslib.study.lessons import as_list, failure_lessons
from vsslib.study.tables import interval_columns, readable
from vsslib.study.verdicts import cause_findings, cause_remedies
from vsslib.viz.failures import CAUSE_LABELS
from vsslib.viz.prose import interval, takeaway

study = Study.open_notebook("06_failure_cases", params_file, results_dir, vote=vote, max_videos=max_videos)
settings = study.settings

# %% [markdown]
# ## Damage by cause, for every masklet source
# Left: each cause's share of the damaged pixels. Right: the mIoU that giving its damaged pixels back to the
# baseline would regain (the costs of single causes do not add up, since mIoU is not linear in the counts).
# Each video is diagnosed once per training seed of the baseline; bars are means over seeds, whiskers 95 %
# intervals over seeds and videos. The table's `share_over_next` is each cause's share minus that of the cause
# ranked just below it, with a *paired* interval (each bootstrap draw of seeds and videos scores both causes), the
# interval that decides whether one cause comes before the next.

# %%
dataset = study.dataset()
baseline = study.baselines()[-1]
seeds = study.seeds(baseline)
scopes = ("frame", "masklet")
reports = {(source, scope): [[] for _ in seeds] for source in settings.masklets.sources for scope in scopes}
jobs = [(source, k, seed, video_name) for source in settings.masklets.sources for k, seed in enumerate(seeds)
        for video_name in study.videos()]  # (source, drift scope) -> per seed, the reports of every video
for source, k, seed, video_name in study.track(jobs, "diagnosing every masklet source x training seed x video"):
    run = study.video_run(baseline, source, video_name, train_seed=seed)
    for scope in scopes:
        reports[(source, scope)][k].append(
            diagnose(run.gt, run.objects, run.baseline, run.refined, run.masklets, dataset.num_classes,
                     settings.masklets.window, video=video_name,
                     settings=FailureSettings(vote=settings.refiner.vote, drift_scope=scope)))
del run
causes = pd.concat([summarize_failures(per_seed).assign(masklets=source)
                    for (source, _), per_seed in reports.items()], ignore_index=True)
study.save_table(causes, "failure_causes", caption=f"Failure causes of the refiner per masklet source ({baseline}): "
               "damaged pixels and events (an event: one cause's damaged pixels in one masklet on one frame; mean "
               "and sd over training seeds), each cause's share of the damaged pixels "
               "(%) and the mIoU points it costs, with 95 % intervals over seeds and videos; drift_scope: drift charged per "
               "frame, or on every frame of a masklet that drifts anywhere")
for source in settings.masklets.sources:
    summary = causes[(causes["masklets"] == source) & (causes["drift_scope"] == "frame")]
    fig = viz.failures.plot_failure_causes(summary, title=f"Failure causes | {baseline} + {source} masklets | {study.data_name}")
    study.save_figure(fig, f"failure_causes_{source}", caption=f"Each failure cause's share of the pixels the refiner "
                      f"damaged and the mIoU points it costs, {source} masklets, drift charged per frame ({baseline}, "
                      f"mean over {len(seeds)} training seeds on {len(study.videos())} val videos of {study.data_name}); "
                      "whiskers: 95 % intervals over seeds and videos; under each cause its damaged pixels and events (an event: "
                      "its damaged pixels in one masklet on one frame). A cause leads only where its interval of the "
                      "share over the next cause lies above zero (table)")
display(readable(causes[causes["drift_scope"] == "frame"][["masklets", "cause",
                                                           *interval_columns("pixel_share", "share_over_next",
                                                                             "miou_cost")]].reset_index(drop=True),
                 digits=2))

# %%
lines = []
per_frame = causes[causes["drift_scope"] == "frame"]
for finding, (source, part) in zip(cause_findings(per_frame), per_frame.groupby("masklets", sort=False), strict=True):
    top = part.sort_values("pixel_share", ascending=False).iloc[0]
    lines.append(f"- {finding.text} Of {part['pixels'].sum():,.0f} damaged pixels (mean over seeds), "
                 f"*{CAUSE_LABELS[top['cause']]}* costs {interval(top, 'miou_cost', digits=2, signed=False)} mIoU "
                 f"points. {cause_remedies(part, source)}")
drift = causes[causes["cause"] == "drift"].set_index(["masklets", "drift_scope"])
drift_lines = [f"drift is {interval(drift.loc[(s, 'frame')], 'pixel_share', digits=0, signed=False)} % of the {s} "
               f"damage per frame, {interval(drift.loc[(s, 'masklet')], 'pixel_share', digits=0, signed=False)} % "
               "when a drifting masklet is charged on all its frames"
               for s in settings.masklets.sources]
takeaway(f"`{baseline}` refined, {len(study.seeds(baseline))} training seeds on the val videos; shares and costs with "
         "their 95 % interval over seeds and videos:\n" + "\n".join(lines) + "\n\nCharging drift: "
         + "; ".join(drift_lines) + ".")

# %% [markdown]
# ## Frames where refinement hurts
# Per frame, the accuracy of the baseline and of the refined map; a frame is *hurt* when refinement lowers it.

# %%
hurt = pd.DataFrame([{"masklets": source, **summarize_hurt_frames(reports[(source, "frame")])}
                     for source in settings.masklets.sources])
study.save_table(hurt, "failure_hurt_frames", caption="Frames where refinement lowers the frame's accuracy, per masklet "
               "source: hurt frames (mean and sd over training seeds) and their share (%) with its 95 % "
               "interval over seeds and videos")
display(readable(hurt))

# %%
takeaway(f"`{baseline}` refined: " + " ".join(f"{row['masklets']} masklets hurt {row['hurt_frames']:.0f} of {row['frames']} frames "
                  f"({interval(row, 'hurt_share', digits=0, signed=False)} %, 95 % interval over seeds and videos)."
                  for _, row in hurt.iterrows()))

# %% [markdown]
# ## The worst example of each cause
# One row per cause: the frame, its ground truth and baseline, the masklets (dark outlines on the grey frame)
# with the blamed one outlined in orange, and the refined map with the damage it caused kept bright and outlined
# in black. The examples come from the first training seed.

# %%
for source in settings.masklets.sources:
    report = merge_reports(reports[(source, "frame")][0])
    worst = report.examples.sort_values("pixels", ascending=False).drop_duplicates("cause")
    rows, loaded = [], {}
    for example in worst.to_dict("records"):  # one row per cause that damaged any pixel
        if example["video"] not in loaded:
            loaded[example["video"]] = study.video_run(baseline, source, example["video"], train_seed=seeds[0])
        run = loaded[example["video"]]
        f = int(example["frame"])
        rows.append({**example, "image": run.frames[f], "gt": run.gt[f], "baseline": run.baseline[f],
                     "masklets": run.masklets[f], "refined": run.refined[f]})
    if rows:
        fig = viz.failures.plot_failure_panel(rows, dataset.palette, class_names=dataset.class_names,
                                              title=f"Worst example of each cause | {source} masklets | {study.data_name}")
        study.save_figure(fig, f"failure_examples_{source}", caption=f"The worst example of each failure cause with "
                        f"{source} masklets ({study.data_name}, {baseline}, first training seed; vote "
                        f"\"{settings.refiner.vote}\"), one row each, the cause, video, frame and damaged pixels "
                        "written above it: frame, ground truth, baseline, the masklets with the blamed one outlined "
                        "in orange (the masklet whose vote wrote the damaged pixels: for an object no masklet was "
                        "proposed for, the other object's masklet that covered it), and the refined map with the "
                        "damage it caused bright and outlined in black (the rest faded)")
        takeaway(f"{source} masklets, the worst example of each cause (first training seed): "
                 + "; ".join(f"{r['cause']} damaged {int(r['pixels'])} pixels ({r['video']} frame {int(r['frame'])})"
                             for r in rows)
                 + ". Single frames picked for being the worst: they show what each cause looks like, not how often "
                 "it happens (the table above).")

# %% [markdown]
# ## What we learned
# Read from the tables above:

# %%
lessons = failure_lessons(per_frame, drift, settings.masklets.sources)
lessons.append("`07_cost` asks what the refiner costs in time and memory.")
takeaway(f"On `{baseline}`'s refined maps (the other network's are not analysed here):\n\n" + as_list(lessons))

# %% [markdown]
# ## Exercises
# Change a knob in the parameters cell, re-run, and compare with the run above.
#
# 1. Set `vote = "frame"`. What happens to the cause "vote spoiled by the masklet's drifting frames", and to the
#    number of damaged pixels?
#
# <details><summary>Solution</summary>
#
# That cause charges damage in frames where a masklet sits on its object but loses its one vote to the frames
# where it drifted. With one vote per frame, each frame's vote is decided by that frame's pixels alone, so the
# drifting frames cannot outvote it: read the cause's share in the new table. The other causes stay, and the
# total damage moves with them; the takeaway gives both.
#
# </details>
#
# 2. With `vote = "frame"`, which cause now leads, and does its remedy change?
#
# <details><summary>Solution</summary>
#
# The takeaway names the leading cause and the knob against it (from the remedy table at the top, which depends
# on the masklet source); when no cause leads (the paired interval of the two largest shares reaches zero) it
# names no single knob and gives the knobs against the two largest. If drift itself leads, a per-frame vote is
# not enough: the masklet still covers the wrong pixels in its drifting frames, and the remedy is a shorter
# `window`.
#
# </details>
#
# 3. Set `max_videos = 5`. For which sources do the takeaways still say that a cause *leads*?
#
# <details><summary>Solution</summary>
#
# A cause is said to lead only when the paired interval of its share minus the next cause's lies above zero. With
# fewer videos the intervals widen and reach zero more often, so fewer rankings are settled; the takeaway says "no
# cause leads" where this happens.
#
# </details>
