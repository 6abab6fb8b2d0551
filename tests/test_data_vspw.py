"""The VSPW-layout reader: layout, label remap, and a clear error for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vsslib.data import VSPW_CLASSES, VSPWDataset, remap_labels
from vsslib.errors import DataError


def _write_dataset(root: Path, *, classes: list[str] | None = ("a", "b", "c"), frames: int = 2,
                   raw_mask: np.ndarray | None = None) -> Path:
    (root / "data" / "v1" / "origin").mkdir(parents=True)
    (root / "data" / "v1" / "mask").mkdir(parents=True)
    for split in ("train", "val", "test"):
        (root / f"{split}.txt").write_text("v1\n" if split == "val" else "")
    if classes is not None:
        (root / "classes.txt").write_text("\n".join(classes) + "\n")
    mask = raw_mask if raw_mask is not None else np.array([[0, 1, 2, 3], [255, 3, 2, 1], [1, 1, 1, 1]], np.uint8)
    for t in range(frames):
        frame = np.full((3, 4, 3), 40 * t, np.uint8)
        Image.fromarray(frame).save(root / "data" / "v1" / "origin" / f"{t:08d}.jpg", quality=95)
        Image.fromarray(mask).save(root / "data" / "v1" / "mask" / f"{t:08d}.png")
    return root


def test_layout_and_remap(tmp_path: Path) -> None:
    ds = VSPWDataset(_write_dataset(tmp_path), "val")
    assert ds.videos == ["v1"] and len(ds) == 1
    assert ds.class_names == ("a", "b", "c") and ds.num_classes == 3 and ds.palette.shape == (3, 3)
    video = ds.load("v1")
    assert video.frame_ids == ["00000000", "00000001"]
    assert video.frames.shape == (2, 3, 4, 3) and video.frames.dtype == np.uint8
    assert video.labels.dtype == np.uint8 and video.instances is None
    # raw 0 and 255 -> 255 (ignore); raw k -> k-1
    np.testing.assert_array_equal(video.labels[0], [[255, 0, 1, 2], [255, 2, 1, 0], [0, 0, 0, 0]])


def test_vspw_classes_when_no_classes_file(tmp_path: Path) -> None:
    ds = VSPWDataset(_write_dataset(tmp_path, classes=None), "val")
    assert ds.num_classes == 124 and ds.class_names[0] == "wall" and ds.class_names[-1] == "train"
    assert len(set(VSPW_CLASSES)) == 124 and ds.name == "VSPW"


def test_remap_lut_matches_the_documented_rule() -> None:
    raw = np.array([0, 1, 124, 255], np.uint8)
    np.testing.assert_array_equal(remap_labels(raw, 124), [255, 0, 123, 255])


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere: dataset root not found"):
        VSPWDataset(tmp_path / "nowhere")


def test_split_naming_missing_video(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "val.txt").write_text("v1\nghost\n")
    with pytest.raises(DataError, match=r"val.txt: names video 'ghost', but .*ghost/origin does not exist"):
        VSPWDataset(root, "val")


def test_frame_without_mask(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "data" / "v1" / "mask" / "00000001.png").unlink()
    with pytest.raises(DataError, match=r"00000001.jpg: frame has no mask \(expected .*mask/00000001.png\)"):
        VSPWDataset(root, "val").load("v1")


def test_mask_size_differs_from_frame(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    Image.fromarray(np.ones((5, 4), np.uint8)).save(root / "data" / "v1" / "mask" / "00000000.png")
    with pytest.raises(DataError, match=r"00000000.png: mask of size 4x5 differs from its frame .*\(4x3\)"):
        VSPWDataset(root, "val").load("v1")


def test_label_value_neither_class_nor_void(tmp_path: Path) -> None:
    mask = np.array([[1, 9, 9, 2], [0, 0, 0, 0], [1, 1, 1, 1]], np.uint8)
    root = _write_dataset(tmp_path, raw_mask=mask)
    with pytest.raises(DataError, match=r"label value 9 \(2 pixels\) is neither a class \(1..3\) nor void"):
        VSPWDataset(root, "val").load("v1")


def test_unreadable_image(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "data" / "v1" / "origin" / "00000001.jpg").write_bytes(b"\xff\xd8garbage")
    with pytest.raises(DataError, match=r"00000001.jpg: not a readable image"):
        VSPWDataset(root, "val").load("v1")


def test_unknown_split_and_missing_split_file(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    with pytest.raises(DataError, match="split 'dev' is not one of train, val, test"):
        VSPWDataset(root, "dev")
    (root / "test.txt").unlink()
    with pytest.raises(DataError, match=r"test.txt: split file not found"):
        VSPWDataset(root, "test")
