"""The direct image pass of sam2-mini's image stage: sam2's own encoder, prompt encoder and mask decoder, once.

``SAM2Train``'s single-frame forward draws point-or-box once per batch, runs a correction pass on the
previous logits and gates masks by the object score (masks of a frame scored "no object" are set to
-1024 and get no gradient). From random initialisation on these CPUs that forward collapsed to empty masks
and was 3x slower a step (../shared/reference.md, E4-E5). This pass calls the same modules the automatic
mask generator calls (``SAM2ImagePredictor.set_image_batch`` then ``_predict``), for many prompts a step:

1. ``model.forward_image`` on a batch of frames, ``no_mem_embed`` added to the lowest-resolution level
   (as the image predictor does when ``directly_add_no_mem_embed``);
2. each object's image features picked by its frame (``owner``);
3. ``sam_prompt_encoder`` on one prompt per object: one positive click drawn uniformly inside the object,
   or its bounding box with a few pixels of noise (labels 2 and 3, as the predictor encodes boxes);
4. ``sam_mask_decoder`` with ``multimask_output=True``: three masks, their predicted IoU and the object
   score, upsampled to the input size like ``SAM2Base._forward_sam_heads`` (without its object-score gate).

The outputs are laid out as sam2's ``MultiStepMultiMasksAndIous`` expects (one step, one frame), so the
loss is sam2's own: min-loss of the three masks for focal and dice, IoU prediction on all three.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base.errors import ParameterError

__all__ = ["draw_prompts", "image_pass"]


def draw_prompts(masks: np.ndarray, rng: np.random.Generator, *, prob_box: float, box_noise: float = 0.1
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One prompt per object mask, in sam2's point format.

    Parameters
    ----------
    masks : (O, S, S) bool, one non-empty mask per object.
    prob_box : probability that an object's prompt is its noisy bounding box instead of one click.
    box_noise : each box corner moves by up to this fraction of the box side (at least 1 px), uniformly.

    Returns
    -------
    coords : (O, 2, 2) float32, (x, y) pixel coordinates; a click fills the first row (the second is unused).
    labels : (O, 2) int32; 1 = positive click, -1 = unused, 2 / 3 = box corners (top-left, bottom-right).
    """
    if masks.ndim != 3:
        raise ParameterError(f"masks must be (O, S, S), got shape {masks.shape}")
    if not 0.0 <= prob_box <= 1.0:
        raise ParameterError(f"prob_box={prob_box!r} must lie in [0, 1]")
    size = masks.shape[-1]
    coords = np.zeros((len(masks), 2, 2), np.float32)
    labels = np.full((len(masks), 2), -1, np.int32)
    for o, mask in enumerate(masks):
        rows, cols = np.nonzero(mask)
        if not len(rows):
            raise ParameterError(f"object {o} has an empty mask; prompts need at least one pixel")
        if rng.random() < prob_box:
            x0, x1, y0, y1 = cols.min(), cols.max(), rows.min(), rows.max()
            noise_x = max(1.0, box_noise * (x1 - x0 + 1))
            noise_y = max(1.0, box_noise * (y1 - y0 + 1))
            box = np.array([x0, y0, x1, y1], np.float32) + rng.uniform(-1, 1, 4) * [noise_x, noise_y, noise_x, noise_y]
            box = np.clip(box, 0, size - 1)
            coords[o] = [[min(box[0], box[2]), min(box[1], box[3])], [max(box[0], box[2]), max(box[1], box[3])]]
            labels[o] = [2, 3]
        else:
            k = int(rng.integers(len(rows)))
            coords[o, 0] = [cols[k], rows[k]]
            labels[o, 0] = 1
    return coords, labels


def image_pass(model: Any, images: Any, owner: Any, coords: Any, labels: Any) -> dict[str, Any]:
    """Three masks per prompt from a batch of frames, through sam2's own modules (see the module docstring).

    Parameters
    ----------
    model : a ``SAM2Base`` (or subclass) with ``multimask_output_in_sam``.
    images : (B, 3, S, S) float32 tensor, ImageNet-normalised.
    owner : (O,) int64 tensor, the frame of each prompt.
    coords, labels : (O, P, 2) float32 and (O, P) int32 tensors (:func:`draw_prompts`).

    Returns
    -------
    ``{"multistep_pred_multimasks_high_res": [(O, 3, S, S) logits], "multistep_pred_ious": [(O, 3)],
    "multistep_object_score_logits": [(O, 1)]}``: one prediction step, the layout of sam2's loss.
    """
    import torch.nn.functional as F

    batch = images.shape[0]
    backbone = model.forward_image(images)
    _, vision_feats, _, feat_sizes = model._prepare_backbone_features(backbone)
    if model.directly_add_no_mem_embed:
        vision_feats[-1] = vision_feats[-1] + model.no_mem_embed
    feats = [feat.permute(1, 2, 0).reshape(batch, -1, *size) for feat, size in zip(vision_feats, feat_sizes)]
    feats = [f[owner] for f in feats]
    # clicks go in as [click] and boxes as [corner, corner], exactly as SAM2ImagePredictor encodes them (the
    # prompt encoder appends its own padding point); the two kinds are decoded as two groups
    import torch

    clicks = labels[:, 1] == -1
    groups = [(clicks, 1), (~clicks, 2)]
    pieces = []
    for chosen, points in groups:
        index = torch.nonzero(chosen).flatten()
        if not len(index):
            continue
        sparse, dense = model.sam_prompt_encoder(points=(coords[index, :points], labels[index, :points]), boxes=None,
                                                 masks=None)
        low_res, ious, _, object_scores = model.sam_mask_decoder(
            image_embeddings=feats[-1][index], image_pe=model.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=True,
            repeat_image=False,
            high_res_features=[f[index] for f in feats[:-1]] if model.use_high_res_features_in_sam else None)
        pieces.append((index, low_res, ious, object_scores))
    order = torch.argsort(torch.cat([p[0] for p in pieces]))
    low_res = torch.cat([p[1] for p in pieces])[order]
    ious = torch.cat([p[2] for p in pieces])[order]
    object_scores = torch.cat([p[3] for p in pieces])[order]
    high_res = F.interpolate(low_res.float(), size=(model.image_size, model.image_size), mode="bilinear",
                             align_corners=False)
    return {"multistep_pred_multimasks_high_res": [high_res], "multistep_pred_ious": [ious],
            "multistep_object_score_logits": [object_scores]}
