"""The cells of every notebook (prose and code). tools/make_notebooks.py writes them to notebooks/."""

from __future__ import annotations

DATA = ["dataset", "data_root", "n_videos", "n_frames", "frame_height", "frame_width", "data_seed", "eval_split",
        "max_videos"]
PLACES = ["cache_dir", "results_dir", "workers", "seed"]
MASKS = ["window", "link_iou", "discover_every", "vote", "dilation_ratio"]
SAM2 = ["masklet_sources", "sam2_config", "sam2_checkpoint", "device", "points_per_side", "pred_iou_thresh",
        "stability_score_thresh", "stability_score_offset"]


def setup(names: list[str], extra: str = "") -> str:
    return f'''import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from vsslib import viz
from vsslib.experiment import Study, load_run
from vsslib.params import StudyParams
{extra}
P = StudyParams.from_notebook(globals(), declared={names!r})
study = Study(P)
viz.set_style()
viz.use_results(P.results)
print(f"data: {{study.data_name}}; figures and tables go to {{P.results}}")'''


PARAMS_MD = ("md", "## Parameters\nEvery knob of this notebook, with the defaults of `params/default.yaml` "
             "(papermill overrides them; `make figures PARAMS=params/sam2-vspw.yaml` runs the real setting).")

# ---------------------------------------------------------------------------------------------------- 00
TOUR = DATA + ["segmenters", "train_seed"] + MASKS + ["features", "classifier_epochs"] + PLACES
tour = {"name": "00_tour", "params": TOUR, "cells": [
    ("md", """
# A tour of the study in one video

This notebook walks through the whole method on a single video, with a picture at every step. It is the
first thing to open: the other notebooks repeat each step on the whole split and analyse it.

**Glossary.**
- *Semantic map*: one class per pixel, from a segmentation network (here a small CNN, the *baseline*).
- *Masklet*: a class-agnostic object mask carried through time. SAM2 makes them from a point grid on a
  *key frame* and propagates them with its video memory through a *window* of frames. Without a SAM2
  checkpoint this study uses an embedded *classical* generator (graph-based regions + optical flow).
- *Refiner* (approach 1): every masklet takes the majority class of the semantic map inside it.
- *Segmentor* (approach 2): masklets pool feature vectors and a small MLP classifies each one.
- *mIoU*, *mBIoU* (Boundary IoU: IoU of thin bands along class boundaries), *mVC8/16* (video
  consistency: how often a pixel whose true class stays fixed for 8 / 16 frames also keeps its prediction).
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(TOUR, "from vsslib.metrics import MetricAccumulator\nfrom vsslib.refine import masklet_votes")),
    ("md", """
## 1. The data
The embedded default is a generated street-scene benchmark in the VSPW layout (it is *not* VSPW; titles say
so). We take the first video of the evaluated split.
"""),
    ("code", '''dataset = study.dataset()
name = dataset.videos[0]
run = load_run(study, P.segmenters[0], "classical", name)
t = run["frames"].shape[0] // 2 + 3  # a frame in the middle of the first window
print(f"{name}: {run['frames'].shape[0]} frames of {run['frames'].shape[2]}x{run['frames'].shape[1]}, "
      f"{dataset.num_classes} classes")'''),
    ("md", """
## 2. Baseline, masklets, refinement
Below, one frame through the pipeline. Errors against the ground truth are outlined in red. The baseline
predicts at a coarse stride and upsamples bilinearly, so its boundaries are blurred; the masklets follow
image edges; the refined map takes the baseline's majority class inside each masklet, so it inherits the
masklets' boundaries.
"""),
    ("code", '''fig = viz.study.plot_steps(run["frames"][t], run["gt"][t], run["baseline"][t], run["masklets"][t],
                          run["refined"][t], dataset.palette, dataset.class_names,
                          title=f"{study.data_name} | {name} frame {t} | baseline {P.segmenters[0]}, classical masklets")
viz.save_figure(fig, f"tour_steps_{name}", caption="One frame through the refiner: frame, ground truth, baseline, "
                "masklets, refined (errors outlined in red)")'''),
    ("md", """
## 3. The votes
Each masklet counts the baseline's classes over all its pixels in all frames (`vote="masklet"`) and
takes the winner. The table lists the largest masklets: how many pixels they hold and how decisive the vote was.
"""),
    ("code", '''votes = masklet_votes(run["baseline"], run["masklets"], dataset.num_classes, vote=P.vote)
table = pd.DataFrame({"masklet": votes.ids, "pixels": votes.votes.sum(axis=1),
                      "winner": [dataset.class_names[w] if w >= 0 else "-" for w in votes.winners],
                      "winner_share": votes.votes.max(axis=1) / np.maximum(votes.votes.sum(axis=1), 1)})
display(table.sort_values("pixels", ascending=False).head(10).round(3))'''),
    ("md", "## 4. The three metrics on this video"),
    ("code", '''rows = []
for method in ("baseline", "refined"):
    scores = MetricAccumulator(dataset.num_classes, dilation_ratio=P.dilation_ratio).update(run["gt"], run[method]).result()
    rows.append(Study.metric_row({**scores, "fps": float("nan")}, method=method))
per_video = pd.DataFrame(rows).drop(columns="fps")
viz.save_table(per_video, f"tour_metrics_{name}", caption=f"mIoU, mBIoU, mVC8, mVC16 (%) of one video ({name})")
display(per_video)'''),
    ("md", """
## 5. The other path: classifying masklets
Approach 2 drops the network's map inside masklets: each masklet's pooled feature vector is classified by an
MLP trained on the train split's masklets. Here with the plain appearance features (colour and texture).
"""),
    ("code", '''approach2 = study.classify("appearance", "classical")
summary = pd.DataFrame([Study.metric_row(approach2[v], variant=v) for v in ("baseline", "none", "fallback", "fused")])
display(summary)'''),
    ("md", """
**What to take away.** The refiner changes only pixels inside masklets and only to a class the network
already predicts there, so its gains come from boundaries and from consistency over time; classifying
masklets from scratch (approach 2) must recognise classes too, and on plain features it does worse.
The notebooks `03` and `04` measure both on the whole split.
"""),
]}

# ---------------------------------------------------------------------------------------------------- 01
DS = DATA + ["window"] + PLACES
dataset_nb = {"name": "01_dataset", "params": DS, "cells": [
    ("md", """
# What the data looks like

Sample frames with their labels, how often each class occurs, the objects (instances) with their sizes and
motion, and how often an object enters the view in the middle of a masklet window, which is exactly the case
a key-frame-only masklet generator cannot handle.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(DS, "from vsslib.data.stats import class_frequencies, entries_mid_window, object_table")),
    ("md", "## Sample frames\nThree videos, three frames each (first, middle, last), labels overlaid."),
    ("code", '''dataset = study.dataset()
import matplotlib.pyplot as plt
videos = dataset.videos[:3]
fig, axes = plt.subplots(len(videos), 3, figsize=(12, 2.4 * len(videos)), squeeze=False)
for r, name in enumerate(videos):
    video = dataset.load(name)
    for c, t in enumerate((0, video.num_frames // 2, video.num_frames - 1)):
        axes[r, c].imshow(viz.overlay(video.frames[t], video.labels[t], dataset.palette, alpha=0.45))
        axes[r, c].set_title(f"{name} frame {t}", fontsize=9)
        axes[r, c].axis("off")
fig.legend(handles=viz.study.legend_patches(dataset.class_names, dataset.palette, range(dataset.num_classes)),
           loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.06))
fig.suptitle(f"Sample frames with labels | {study.data_name}")
fig.tight_layout()
viz.save_figure(fig, "dataset_samples", caption="Sample frames of three videos with their label overlays")'''),
    ("md", "## Class frequencies\nShare of labelled pixels, and in how many frames and videos each class appears."),
    ("code", '''frequencies = class_frequencies(dataset)
viz.save_table(frequencies, "dataset_class_frequencies", caption="Pixel share, frames and videos per class")
fig, ax = plt.subplots(figsize=(7, 3.6))
ax.barh(frequencies["class"], 100 * frequencies["pixel_share"], color=dataset.palette[: len(frequencies)] / 255)
ax.set_xscale("log")
ax.set_xlabel("share of labelled pixels (%, log scale)")
ax.invert_yaxis()
ax.set_title(f"Class frequencies | {study.data_name}")
fig.tight_layout()
viz.save_figure(fig, "dataset_class_frequencies", caption="Share of labelled pixels per class (log scale)")
display(frequencies.round(4))'''),
    ("md", "## Objects: how many, how big, how fast, and who enters mid-window"),
    ("code", '''objects = object_table(dataset)
per_class = objects.groupby("class", sort=False).agg(instances=("object", "size"), mean_area=("mean_area", "mean"),
                                                     mean_speed=("speed", "mean")).reset_index()
entries = entries_mid_window(objects, P.window)
per_class = per_class.merge(entries[["class", "enters_mid_window"]], on="class")
viz.save_table(per_class, "dataset_objects_per_class",
               caption=f"Instances, mean area (px), mean speed (px/frame) and entries mid-window (window {P.window}) per class")
display(per_class.round(2))'''),
    ("code", '''fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].hist(objects["mean_area"], bins=np.logspace(0, np.log10(objects["mean_area"].max() + 1), 30), color="#457b9d")
axes[0].set_xscale("log")
axes[0].set_xlabel("mean object area (pixels, log scale)")
axes[0].set_ylabel("objects")
axes[1].hist(objects["speed"], bins=30, color="#e76f51")
axes[1].set_xlabel("mean centroid speed (pixels per frame)")
fig.suptitle(f"Object sizes and motion | {study.data_name}")
fig.tight_layout()
viz.save_figure(fig, "dataset_object_sizes_and_motion", caption="Histograms of object areas and speeds")'''),
]}

# ---------------------------------------------------------------------------------------------------- 02
BL = DATA + ["segmenters", "train_seed", "dilation_ratio"] + PLACES
baselines_nb = {"name": "02_baselines", "params": BL, "cells": [
    ("md", """
# The baseline networks

Two small segmentation CNNs trained from scratch on the train split on the CPU. Both predict at a coarse
output stride (8 and 16) and upsample bilinearly, as real VSS networks do, so their boundaries are coarse:
exactly what a refiner can fix. Training is seeded and cached: the first run trains, later runs load.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(BL, "from vsslib.metrics import MetricAccumulator")),
    ("md", "## Training\nThe loss curves of both networks (mean cross-entropy per epoch)."),
    ("code", '''networks = {name: study.segmenter(name) for name in P.segmenters}
fig = viz.training.plot_loss_curves({name: net.history.epoch_loss for name, net in networks.items()},
                                    f"Training loss | {study.dataset('train').name}, train")
viz.save_figure(fig, "baselines_loss_curves", caption="Training loss of the baseline networks per epoch")'''),
    ("md", "## Evaluation on the evaluated split"),
    ("code", '''dataset = study.dataset()
rows = []
for name, net in networks.items():
    acc = MetricAccumulator(dataset.num_classes, dilation_ratio=P.dilation_ratio)
    for video_name in study.videos():
        video = dataset.load(video_name)
        acc.update(video.labels, net.predict(video))
    rows.append(Study.metric_row({**acc.result(), "fps": float("nan")}, network=name, stride=net.stride))
table = pd.DataFrame(rows).drop(columns="fps")
viz.save_table(table, "baselines_metrics", caption="mIoU, mBIoU, mVC8, mVC16 (%) of the baseline networks")
display(table)'''),
    ("md", """
## Coarse boundaries, up close
A close-up of one frame: where the networks disagree with the ground truth, the errors sit along boundaries
and on thin structures.
"""),
    ("code", '''video = dataset.load(study.videos()[0])
t = video.num_frames // 2
h, w = video.shape
box = (h // 4, w // 3, h // 4 + h // 2, w // 3 + w // 3)
preds = {name: net.predict(video)[t] for name, net in networks.items()}
first, *rest = list(preds)
fig = viz.training.plot_boundary_closeup(video.frames[t], video.labels[t], preds[first], dataset.palette, box,
                                         f"Boundary close-up | {study.data_name} | {video.name} frame {t}",
                                         others={k: preds[k] for k in rest}, pred_name=first)
viz.save_figure(fig, "baselines_boundary_closeup", caption="Close-up of the baselines' coarse boundaries")'''),
]}

# ---------------------------------------------------------------------------------------------------- 03
RF = DATA + ["segmenters", "predictions_dir", "train_seed"] + SAM2 + MASKS + ["oracle_strengths"] + PLACES
refiner_nb = {"name": "03_refiner", "params": RF, "cells": [
    ("md", """
# Approach 1: masklets refine a segmentation network

For each masklet, the majority class of the network's map inside it replaces the map there; pixels outside
every masklet keep the network's class. We run it for every baseline and every masklet source on the whole
evaluated split, check that the numbers in the table are those of the written predictions, sweep the
quality of the masks with corrupted oracle masklets, and try the discovery of objects entering mid-window.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(RF, "from vsslib._io import read_image\nfrom vsslib.metrics import mean_iou")),
    ("md", "## One video, step by step"),
    ("code", '''dataset = study.dataset()
name = study.videos()[0]
source = P.masklet_sources[0]
run = load_run(study, study.baselines()[0], source, name)
t = min(5, run["frames"].shape[0] - 1)
fig = viz.study.plot_steps(run["frames"][t], run["gt"][t], run["baseline"][t], run["masklets"][t], run["refined"][t],
                          dataset.palette, dataset.class_names,
                          title=f"{study.data_name} | {name} frame {t} | {study.baselines()[0]} + {source} masklets")
viz.save_figure(fig, f"refiner_steps_{source}", caption=f"The refiner on one frame with {source} masklets")'''),
    ("md", "The votes behind it: the largest masklets of this video, the class they voted for and by how much."),
    ("code", '''from vsslib.refine import masklet_votes
votes = masklet_votes(run["baseline"], run["masklets"], dataset.num_classes, vote=P.vote)
table_votes = pd.DataFrame({"masklet": votes.ids, "pixels": votes.votes.sum(axis=1),
                            "winner": [dataset.class_names[w] if w >= 0 else "-" for w in votes.winners],
                            "winner_share": votes.votes.max(axis=1) / np.maximum(votes.votes.sum(axis=1), 1)})
display(table_votes.sort_values("pixels", ascending=False).head(8).round(3))'''),
    ("md", """
## The whole split: every baseline x masklet source
`fps` counts the baseline network plus masklet generation plus the vote, measured on this machine.
"""),
    ("code", '''table, raw = study.refiner_table()
viz.save_table(table, "refiner", caption=f"Approach 1 on {study.data_name}: mIoU, mBIoU, mVC8, mVC16 (%) and fps",
               machine_dependent_columns=("fps",))
display(table)'''),
    ("md", "Check: the table's numbers are those that `vsslib.metrics` gives on the predictions written to disk."),
    ("code", '''baseline, source = study.baselines()[0], P.masklet_sources[0]
folder = study.run_dir(study.refine_spec(baseline, source))
gts, preds = [], []
for video_name in study.videos():
    video = dataset.load(video_name)
    gts.append(video.labels)
    preds.append(np.stack([read_image(f"{folder}/pred/{video_name}/{f}.png") for f in video.frame_ids]))
check = mean_iou(gts, preds, dataset.num_classes)["miou"]
assert abs(check - raw[(baseline, source)]["refined"]["miou"]) < 1e-12, check
in_table = raw[(baseline, source)]["refined"]["miou"]
print(f"mIoU of the written predictions: {100 * check:.4f}; in the table: {100 * in_table:.4f}")'''),
    ("code", '''fig = viz.study.plot_gains(table, title=f"Gain of the refiner over each baseline | {study.data_name}")
viz.save_figure(fig, "refiner_gains", caption="Refined minus baseline, per metric, baseline and masklet source")'''),
    ("md", """
## How the gain depends on mask quality
Oracle masklets are the dataset's own objects; corrupting them (boundary jitter, splits, merges across
classes, dropped small masks) by a growing strength shows what the refiner needs from its masks.
"""),
    ("code", '''rows = []
baseline = study.baselines()[-1]
for strength in P.oracle_strengths:
    metrics = study.refine(baseline, "oracle", strength=strength)
    for method in ("baseline", "refined"):
        rows.append(Study.metric_row(metrics[method], strength=strength, method=method))
sweep = pd.DataFrame(rows).drop(columns="fps")
viz.save_table(sweep, "refiner_oracle_sweep", caption=f"Refiner with oracle masklets corrupted by a growing strength ({baseline})")
long = sweep.melt(id_vars=["strength", "method"], value_vars=["mIoU", "mBIoU", "mVC8"], var_name="metric")
long["series"] = long["metric"] + " " + long["method"]
fig = viz.study.plot_lines(long, x="strength", y="value", hue="series", xlabel="oracle corruption strength",
                           ylabel="%", title=f"Mask quality vs gain | {baseline}, oracle masklets | {study.data_name}")
viz.save_figure(fig, "refiner_oracle_sweep", caption="Metrics of baseline and refined as oracle masks are corrupted")
display(sweep)'''),
    ("md", """
## Discovering objects that enter mid-window (beyond the paper)
With `discover_every = k`, every k frames the generator proposes again on the area no masklet covers.
"""),
    ("code", '''rows = []
for source in [s for s in P.masklet_sources if s != "oracle"]:
    for every in (0, 8):
        metrics = study.refine(study.baselines()[0], source, discover_every=every)
        rows.append(Study.metric_row(metrics["refined"], masklets=source, discover_every=every))
discovery = pd.DataFrame(rows)
viz.save_table(discovery, "refiner_discovery", caption="Refined metrics without (0) and with discovery every 8 frames",
               machine_dependent_columns=("fps",))
display(discovery)'''),
    ("md", """
## How long can masklets be carried?
The window sets how many frames masklets are propagated before new proposals. The same classical generator
with shorter windows shows how much of the result depends on propagation rather than on proposals.
"""),
    ("code", '''rows = []
for window in (4, 8, P.window):
    for source in [s for s in P.masklet_sources if s != "oracle"]:
        metrics = study.refine(study.baselines()[0], source, window=window)
        rows.append(Study.metric_row(metrics["refined"], masklets=source, window=window))
windows = pd.DataFrame(rows)
viz.save_table(windows, "refiner_window_length", caption="Refined metrics by masklet window length",
               machine_dependent_columns=("fps",))
display(windows)'''),
    ("md", "## Motion\nOne animated overlay per masklet source: baseline (left) beside refined (right), masklets outlined."),
    ("code", '''for source in P.masklet_sources:
    run = load_run(study, study.baselines()[0], source, name)
    path = P.results / "figures" / f"refiner_animation_{source}.gif"
    viz.study.write_animation(path, run["frames"], run["baseline"], run["refined"], run["masklets"], dataset.palette)
    viz.record_file(path, caption=f"Animated overlay of {name}: baseline beside refined, {source} masklets outlined")
print("animations written")'''),
]}

# ---------------------------------------------------------------------------------------------------- 04
MC = DATA + ["segmenters", "train_seed", "masklet_sources", "features", "classifier_epochs"] + MASKS + PLACES
classifier_nb = {"name": "04_mask_classifier", "params": MC, "cells": [
    ("md", """
# Approach 2: masklets as a segmentor

Masklets pool feature vectors (the mean feature over all their pixels in all frames), a small MLP trained
on the train split's masklets classifies each vector, and every masklet's pixels take its class. Pixels
outside every masklet stay "none" (`none`), take the baseline's class (`fallback`), or the classifier's
probability is fused with the baseline's votes inside the masklet (`fused`). We compare with the baseline
and with approach 1.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(MC, "from vsslib._io import read_image\nfrom vsslib.metrics import confusion_matrix")),
    ("code", '''dataset = study.dataset()
source = [s for s in P.masklet_sources if s != "oracle"][0] if any(s != "oracle" for s in P.masklet_sources) else "oracle"
baseline = P.segmenters[-1]
rows, runs = [], {}
approach1 = study.refine(baseline, source)
rows.append(Study.metric_row(approach1["baseline"], method=f"baseline ({baseline})", features="-"))
rows.append(Study.metric_row(approach1["refined"], method="approach 1 (refiner)", features="-"))
for features in P.features:
    runs[features] = study.classify(features, source, baseline=baseline)
    for variant in ("none", "fallback", "fused"):
        rows.append(Study.metric_row(runs[features][variant], method=f"approach 2 ({variant})", features=features))
table = pd.DataFrame(rows)
viz.save_table(table, "mask_classifier", caption=f"Baseline, approach 1 and approach 2 variants, {source} masklets | {study.data_name}",
               machine_dependent_columns=("fps",))
display(table)'''),
    ("md", """
## One frame: masklets and the classes the MLP gave them
Left the masklets, middle each masklet painted with its predicted class (first feature source), right the
ground truth.
"""),
    ("code", '''name = study.videos()[0]
run = load_run(study, baseline, source, name)
t = run["frames"].shape[0] // 2
painted = read_image(f"{runs[P.features[0]]['out']}/pred-none/{name}/{run['frame_ids'][t]}.png")
ids, first = np.unique(run["masklets"][t].ravel(), return_index=True)
keep = ids >= 0
ids, classes = ids[keep], painted.ravel()[first[keep]].astype(np.int64)
fig = viz.classify.plot_pooled_masks(run["frames"][t], run["masklets"][t], ids, np.where(classes == 255, -1, classes),
                                     dataset.palette, f"{study.data_name} | {name} frame {t} | {source} masklets, "
                                     f"{P.features[0]} features", class_names=dataset.class_names, gt=run["gt"][t])
viz.save_figure(fig, "mask_classifier_pooled_masks", caption="Masklets of one frame and the class the MLP gave each")'''),
    ("md", "## The classifier's training loss"),
    ("code", '''fig = viz.training.plot_loss_curves({f: r["classifier_loss"] for f, r in runs.items()},
                                    f"MLP training loss | {source} masklets | {study.dataset('train').name}, train")
viz.save_figure(fig, "mask_classifier_loss", caption="Training loss of the masklet classifier per feature source")'''),
    ("md", "## Per-class IoU\nWhere approach 2 falls behind: the classes its features cannot tell apart."),
    ("code", '''long = [{"class": c, "method": "baseline", "iou": v} for c, v in zip(dataset.class_names, approach1["baseline"]["iou"])]
long += [{"class": c, "method": "approach 1", "iou": v} for c, v in zip(dataset.class_names, approach1["refined"]["iou"])]
for features, run in runs.items():
    long += [{"class": c, "method": f"approach 2 fallback ({features})", "iou": v}
             for c, v in zip(dataset.class_names, run["fallback"]["iou"])]
long = pd.DataFrame(long)
import seaborn as sns
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(8, 0.45 * dataset.num_classes + 1.5))
sns.barplot(data=long, y="class", x="iou", hue="method", ax=ax, palette="deep")
ax.set_xlabel("IoU")
ax.set_title(f"Per-class IoU | {source} masklets | {study.data_name}")
fig.tight_layout()
viz.save_figure(fig, "mask_classifier_per_class_iou", caption="Per-class IoU of the baseline, approach 1 and approach 2")'''),
    ("md", "## Confusions of approach 2\nRow-normalised confusion matrix of the `none` variant with the first feature source (pixels left as 'none' are not counted)."),
    ("code", '''features = P.features[0]
run_folder = runs[features]["out"]
table_counts = np.zeros((dataset.num_classes, dataset.num_classes + 1), np.int64)
for video_name in study.videos():
    video = dataset.load(video_name)
    pred = np.stack([read_image(f"{run_folder}/pred-none/{video_name}/{f}.png") for f in video.frame_ids])
    keep = pred != 255
    table_counts += confusion_matrix(video.labels[keep], pred[keep], dataset.num_classes)
matrix = table_counts[:, : dataset.num_classes] / np.maximum(table_counts.sum(axis=1, keepdims=True), 1)
fig, ax = plt.subplots(figsize=(7, 6))
sns.heatmap(matrix, annot=True, fmt=".2f", cmap="viridis", xticklabels=dataset.class_names,
            yticklabels=dataset.class_names, ax=ax, cbar_kws={"label": "share of the row"}, annot_kws={"fontsize": 7})
ax.set_xlabel("predicted")
ax.set_ylabel("ground truth")
ax.set_title(f"Approach 2 confusions | {features} features, {source} masklets")
fig.tight_layout()
viz.save_figure(fig, "mask_classifier_confusion", caption="Row-normalised confusion matrix of approach 2 (none variant)")'''),
]}

# ---------------------------------------------------------------------------------------------------- 05
BA = DATA + ["segmenters", "train_seed", "masklet_sources"] + MASKS + PLACES
boundary_nb = {"name": "05_boundary_analysis", "params": BA, "cells": [
    ("md", """
# Where the refiner's gain comes from

The paper's headline is that SAM2 improves VSS mainly through precise object boundaries. We look at the gain
as the boundary band widens (mBIoU against the dilation ratio), accuracy inside bands of growing width
around ground-truth boundaries (trimap curves), per class, against object size, and over time.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(BA, "from vsslib.analysis import (biou_by_dilation, consistency_over_time, gain_by_object_size,\n                             per_class_gain, trimap_accuracy)")),
    ("code", '''dataset = study.dataset()
baseline = P.segmenters[-1]
runs = {source: [load_run(study, baseline, source, v) for v in study.videos()] for source in P.masklet_sources}
first = P.masklet_sources[0]
gts = [r["gt"] for r in runs[first]]
base = [r["baseline"] for r in runs[first]]
print(f"{len(gts)} videos, baseline {baseline}, sources {', '.join(runs)}")'''),
    ("md", "## mBIoU as the band widens\nA narrow band (0.005 of the diagonal) scores only the boundary itself; a wide one approaches mIoU."),
    ("code", '''ratios = [0.005, 0.01, 0.02, 0.03, 0.05]
frames = [biou_by_dilation(gts, base, dataset.num_classes, ratios).assign(method="baseline")]
for source, rs in runs.items():
    frames.append(biou_by_dilation(gts, [r["refined"] for r in rs], dataset.num_classes, ratios).assign(method=f"refined ({source})"))
curve = pd.concat(frames, ignore_index=True)
curve["mbiou"] *= 100
viz.save_table(curve, "boundary_biou_by_dilation", caption="mBIoU (%) against the Boundary IoU dilation ratio")
fig = viz.study.plot_lines(curve, x="ratio", y="mbiou", hue="method", xlabel="dilation ratio (of the image diagonal)",
                           ylabel="mBIoU (%)", title=f"mBIoU vs band width | {baseline} | {study.data_name}")
viz.save_figure(fig, "boundary_biou_by_dilation", caption="mBIoU against the dilation ratio, baseline and refined")'''),
    ("md", "## Trimap curves\nPixel accuracy inside the band of pixels within w pixels (Chebyshev distance) of a ground-truth boundary."),
    ("code", '''widths = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]
frames = [trimap_accuracy(gts, base, widths).assign(method="baseline")]
for source, rs in runs.items():
    frames.append(trimap_accuracy(gts, [r["refined"] for r in rs], widths).assign(method=f"refined ({source})"))
trimap = pd.concat(frames, ignore_index=True)
trimap["accuracy"] *= 100
viz.save_table(trimap, "boundary_trimap", caption="Pixel accuracy (%) within w px of a ground-truth boundary")
fig = viz.study.plot_lines(trimap, x="width", y="accuracy", hue="method", xlabel="band width w (pixels)",
                           ylabel="accuracy in band (%)", title=f"Trimap accuracy | {baseline} | {study.data_name}")
viz.save_figure(fig, "boundary_trimap", caption="Trimap curves: accuracy near boundaries as the band widens")'''),
    ("md", "## Per class"),
    ("code", '''metrics = study.refine(baseline, first)
per_class = per_class_gain(metrics["baseline"], metrics["refined"], dataset.class_names)
viz.save_table(per_class, f"boundary_per_class_{first}", caption=f"IoU and BIoU per class, baseline vs refined ({first} masklets)")
fig = viz.study.plot_per_class_gain(per_class, title=f"Per-class gain | {baseline} + {first} masklets | {study.data_name}")
viz.save_figure(fig, f"boundary_per_class_gain_{first}", caption="IoU and Boundary IoU gain per class")
display(per_class.round(3))'''),
    ("md", "## Gain against object size"),
    ("code", '''instances = [r["instances"] for r in runs[first]]
if instances[0] is None:
    from vsslib.masks import components_in_time
    instances = [components_in_time(g) + 1 for g in gts]
bins = [50, 200, 800, 3200]
frames = []
for source, rs in runs.items():
    frames.append(gain_by_object_size(instances, gts, base, [r["refined"] for r in rs], bins).assign(masklets=source))
sizes = pd.concat(frames, ignore_index=True)
viz.save_table(sizes, "boundary_gain_by_object_size", caption="Pixel accuracy on objects per size bin, baseline vs refined")
fig = viz.study.plot_size_gain(sizes[sizes["masklets"] == first], title=f"Accuracy by object size | {first} masklets | {study.data_name}")
viz.save_figure(fig, "boundary_gain_by_object_size", caption="Accuracy on objects binned by area, baseline vs refined")
display(sizes.round(3))'''),
    ("md", "## Consistency over time\nVC8 of every window of every video."),
    ("code", '''vc = consistency_over_time(gts, base, [r["refined"] for r in runs[first]], 8, videos=[r["video"] for r in runs[first]])
viz.save_table(vc, "boundary_vc8_over_time", caption=f"VC8 per window, baseline vs refined ({first} masklets)")
fig = viz.study.plot_vc_over_time(vc, title=f"VC8 over time | {first} masklets | {study.data_name}", n=8)
viz.save_figure(fig, "boundary_vc8_over_time", caption="Video consistency VC8 per window start, per video")'''),
]}

# ---------------------------------------------------------------------------------------------------- 06
FC = DATA + ["segmenters", "train_seed", "masklet_sources"] + MASKS + PLACES
failure_nb = {"name": "06_failure_cases", "params": FC, "cells": [
    ("md", """
# When refinement hurts

A damaged pixel is one the baseline got right and the refiner got wrong. The code sorts every damaged pixel
into a cause it can detect (see `vsslib.analysis.failures`): an object that entered mid-window
(`late_entry`), a small or thin object swallowed by a larger masklet (`small_or_thin`), a masklet that slid
off its object (`drift`), a masklet spanning several classes (`spanning`), or `other`. Each cause gets a
count, the mIoU it costs, and examples.
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(FC, "from vsslib.analysis import FailureSettings, diagnose, merge_reports\nfrom vsslib.masks import components_in_time")),
    ("code", '''dataset = study.dataset()
baseline = P.segmenters[-1]
tables, reports, runs = [], {}, {}
for source in P.masklet_sources:
    parts = []
    for video_name in study.videos():
        run = load_run(study, baseline, source, video_name)
        runs[(source, video_name)] = run
        instances = run["instances"] if run["instances"] is not None else components_in_time(run["gt"]) + 1
        parts.append(diagnose(run["gt"], instances, run["baseline"], run["refined"], run["masklets"],
                              dataset.num_classes, P.window, video=video_name))
    reports[source] = merge_reports(parts)
    summary = reports[source].summary().assign(masklets=source)
    tables.append(summary)
    fig = viz.study.plot_failure_causes(summary, title=f"Failure causes | {baseline} + {source} masklets | {study.data_name}")
    viz.save_figure(fig, f"failure_causes_{source}", caption=f"Damaged pixels and mIoU cost per cause ({source} masklets)")
causes = pd.concat(tables, ignore_index=True)
viz.save_table(causes, "failure_causes", caption=f"Failure causes of the refiner per masklet source ({baseline})")
display(causes.round(4))'''),
    ("md", "## Frames where refinement hurts\nPer frame, the accuracy of the baseline and of the refined map; a frame is *hurt* when refinement lowers it."),
    ("code", '''hurt = pd.DataFrame([{"masklets": source, "frames": len(report.frames), "hurt_frames": int(report.frames["hurt"].sum())}
                     for source, report in reports.items()])
viz.save_table(hurt, "failure_hurt_frames", caption="Frames where refinement lowers the frame's accuracy, per masklet source")
display(hurt)'''),
    ("md", "## The worst example of each cause"),
    ("code", '''for source, report in reports.items():
    rows = []
    worst = report.examples.sort_values("pixels", ascending=False).drop_duplicates("cause")
    for example in worst.head(4).to_dict("records"):
        run = runs[(source, example["video"])]
        f = int(example["frame"])
        rows.append({**example, "image": run["frames"][f], "gt": run["gt"][f], "baseline": run["baseline"][f],
                     "masklets": run["masklets"][f], "refined": run["refined"][f]})
    if rows:
        fig = viz.study.plot_failure_panel(rows, dataset.palette, title=f"Worst example of each cause | {source} masklets | {study.data_name}")
        viz.save_figure(fig, f"failure_examples_{source}", caption=f"The worst example of each failure cause ({source} masklets)")
print("panels written")'''),
]}

# ---------------------------------------------------------------------------------------------------- 07
CO = DATA + ["segmenters", "train_seed", "masklet_sources", "sam2_config", "sam2_checkpoint", "device",
             "cost_grids", "cost_windows"] + MASKS + PLACES
cost_nb = {"name": "07_cost", "params": CO, "cells": [
    ("md", """
# What it costs

Time per frame of every stage on this machine, how SAM2's cost grows with the point grid and the window, and
peak memory. Stage times come from the cached runs (measured when each product was computed). SAM2 times
use the real package; without a checkpoint its model has random weights: the compute does not depend on the
weights, but the number of masks kept does, so propagation is timed with a fixed number of seeded masks.
Every cell that prints a time is machine-dependent (`make verify` does not compare them).
"""),
    PARAMS_MD, ("params", ""),
    ("code", setup(CO, "from vsslib.analysis import refiner_stages, sam2_cost_grid, sam2_memory_by_length, time_stages")),
    ("md", "## Time per frame of every stage\nEach stage timed over one whole video (median of 3 runs after a warm-up), divided by its frames."),
    ("code", '''# NBVAL_IGNORE_OUTPUT
dataset = study.dataset()
video = dataset.load(study.videos()[0])
tables = []
for baseline in P.segmenters:
    for source in P.masklet_sources:
        stages = refiner_stages(video, study.segmenter(baseline), study.masklet_source(source), dataset.num_classes,
                                vote=P.vote, dilation_ratio=P.dilation_ratio)
        tables.append(time_stages(stages, num_frames=video.num_frames).assign(baseline=baseline, masklets=source))
stage_times = pd.concat(tables, ignore_index=True)
viz.save_table(stage_times[["baseline", "masklets", "stage", "seconds_per_frame"]], "cost_stages",
               caption="Seconds per frame of each stage (this machine)", machine_dependent_columns=("seconds_per_frame",))
fps = pd.DataFrame([Study.metric_row(study.refine(b, s)[k], baseline=b, masklets=s if k == "refined" else "-", method=k)
                    for b in P.segmenters for s in P.masklet_sources for k in ("baseline", "refined")]).drop_duplicates()
viz.save_table(fps[["baseline", "masklets", "method", "fps"]], "cost_fps",
               caption="Frames per second of the whole split, baseline and baseline + refiner",
               machine_dependent_columns=("fps",))
view = stage_times.assign(stage=stage_times["stage"] + " (" + stage_times["baseline"] + ", " + stage_times["masklets"] + ")")
fig = viz.study.plot_stage_times(view, title=f"Seconds per frame of each stage | {study.data_name} | CPU")
viz.save_figure(fig, "cost_stage_times", caption="Seconds per frame of every stage", machine_dependent=True)
display(stage_times.round(4), fps)'''),
    ("md", """
## SAM2: the point grid and the window
The automatic generator on one key frame for each grid, and propagation of 4 seeded masks for each window
length (a few frames measured, the rest extended at the measured rate; the labels say which).
"""),
    ("code", '''# NBVAL_IGNORE_OUTPUT
checkpoint = str(P.path("sam2_checkpoint")) if P.sam2_checkpoint else None
cost = sam2_cost_grid(P.cost_grids, P.cost_windows, (P.frame_height, P.frame_width), 4, P.device, config=P.sam2_config,
                      checkpoint=checkpoint, measured_frames=2, max_measured_grid=max(P.cost_grids))
viz.save_table(cost.generator, "cost_sam2_generator", caption="SAM2 automatic generator seconds per key frame by grid",
               machine_dependent_columns=("seconds",))
viz.save_table(cost.propagation, "cost_sam2_propagation", caption="SAM2 propagation seconds by window length",
               machine_dependent_columns=("seconds", "seconds_per_frame"))
fig = viz.study.plot_sam2_cost(cost, title=f"SAM2 {P.sam2_config} cost | {P.device} | {'checkpoint' if checkpoint else 'random weights'}")
viz.save_figure(fig, "cost_sam2_grid_and_window", caption="SAM2 seconds by point grid and by window length", machine_dependent=True)
display(cost.generator, cost.propagation)'''),
    ("md", "## Peak memory against the length of one predictor state\nWindows keep one state each, so a video's peak is that of its longest window, however long the video."),
    ("code", '''# NBVAL_IGNORE_OUTPUT
memory = sam2_memory_by_length([1, 2, 4], (P.frame_height, P.frame_width), 1, P.device, config=P.sam2_config,
                               checkpoint=checkpoint)
viz.save_table(memory, "cost_sam2_memory", caption="Peak memory (MiB) of one SAM2 predictor state by its number of frames",
               machine_dependent_columns=("peak_mib", "start_mib", "increase_mib"))
fig = viz.study.plot_memory_by_length(memory, title=f"SAM2 {P.sam2_config} memory by state length | {P.device}")
viz.save_figure(fig, "cost_sam2_memory", caption="Peak memory of SAM2 propagation by frames in the state", machine_dependent=True)
display(memory)'''),
]}

NOTEBOOKS = [tour, dataset_nb, baselines_nb, refiner_nb, classifier_nb, boundary_nb, failure_nb, cost_nb]
