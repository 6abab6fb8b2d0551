"""The VSPW-layout reader: layout, label remap (worked out by hand and by a plain loop), and one clear error
for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vsslib.base.io import save_png_atomic
from vsslib.data import VSPW_CLASSES, VSPW_PALETTE, Video, VSPWDataset, class_palette, remap_labels
from vsslib.base.errors import DataError

# Raw mask of a 3x4 frame: 0 = "others", 255 = void, 1..3 classes of a 3-class classes.txt.
RAW = np.array([[0, 1, 2, 3],
                [255, 3, 2, 1],
                [1, 1, 1, 1]], np.uint8)
MAPPED = np.array([[255, 0, 1, 2],
                   [255, 2, 1, 0],
                   [0, 0, 0, 0]], np.uint8)


def _write_dataset(root: Path, *, classes: list[str] | None = ("a", "b", "c"), frames: int = 2,
                   raw_mask: np.ndarray = RAW, instances: np.ndarray | None = None,
                   split: str = "val") -> Path:
    video = root / "data" / "v1"
    (video / "origin").mkdir(parents=True)
    (video / "mask").mkdir()
    for name in ("train", "val", "test"):
        (root / f"{name}.txt").write_text("v1\n" if name == split else "")
    if classes is not None:
        (root / "classes.txt").write_text("\n".join(classes) + "\n")
    for t in range(frames):
        frame = np.full((3, 4, 3), (40 * t, 80, 120), np.uint8)
        Image.fromarray(frame).save(video / "origin" / f"{t:08d}.jpg", quality=95)
        Image.fromarray(raw_mask).save(video / "mask" / f"{t:08d}.png")
        if instances is not None:
            save_png_atomic(video / "instance" / f"{t:08d}.png", instances + t)
    return root


def test_layout_classes_and_remap(tmp_path: Path) -> None:
    ds = VSPWDataset(_write_dataset(tmp_path), "val")
    assert ds.videos == ["v1"] and len(ds) == 1 and ds.split == "val" and ds.root == tmp_path
    assert ds.class_names == ("a", "b", "c") and ds.num_classes == 3
    assert ds.palette.shape == (3, 3) and ds.palette.dtype == np.uint8
    assert [p.name for p in ds.frame_paths("v1")] == ["00000000.jpg", "00000001.jpg"]
    assert [p.name for p in ds.mask_paths("v1")] == ["00000000.png", "00000001.png"]
    assert ds.instance_paths("v1") is None and len(ds.input_paths("v1")) == 4
    video = ds.load("v1")
    assert video.name == "v1" and video.frame_ids == ["00000000", "00000001"]
    assert video.num_frames == 2 and video.shape == (3, 4)
    assert video.frames.shape == (2, 3, 4, 3) and video.frames.dtype == np.uint8
    np.testing.assert_allclose(video.frames[1, 0, 0], (40, 80, 120), atol=2)  # flat JPEG colours survive
    assert video.labels.dtype == np.uint8 and video.instances is None
    np.testing.assert_array_equal(video.labels, np.stack([MAPPED, MAPPED]))
    assert [v.name for v in ds] == ["v1"]


def test_instance_maps_are_read_as_int32_including_16_bit_ids(tmp_path: Path) -> None:
    ids = np.array([[0, 1, 1, 300], [0, 2, 2, 300], [65000, 65000, 0, 0]], np.uint16)
    ds = VSPWDataset(_write_dataset(tmp_path, instances=ids), "val")
    video = ds.load("v1")
    assert video.instances.dtype == np.int32
    np.testing.assert_array_equal(video.instances, np.stack([ids, ids + 1]).astype(np.int32))
    assert len(ds.input_paths("v1")) == 6


def test_vspw_classes_and_palette_when_no_classes_file(tmp_path: Path) -> None:
    ds = VSPWDataset(_write_dataset(tmp_path, classes=None), "val")
    assert ds.num_classes == 124 and ds.class_names == VSPW_CLASSES
    assert VSPW_CLASSES[0] == "wall" and VSPW_CLASSES[28] == "sky" and VSPW_CLASSES[-1] == "train"
    assert len(set(VSPW_CLASSES)) == 124 and ds.name == "VSPW"
    assert len(np.unique(VSPW_PALETTE, axis=0)) == 124  # every class its own colour
    np.testing.assert_array_equal(ds.palette, VSPW_PALETTE)
    # Cityscapes colours for street classes, the same on VSPW and on a classes.txt that names them.
    np.testing.assert_array_equal(VSPW_PALETTE[VSPW_CLASSES.index("sky")], (70, 130, 180))
    np.testing.assert_array_equal(class_palette(["Traffic Sign", "car"]), [(220, 220, 0), (0, 0, 142)])


def test_remap_matches_the_documented_rule_value_by_value() -> None:
    np.testing.assert_array_equal(remap_labels(np.array([0, 1, 124, 255], np.uint8), 124), [255, 0, 123, 255])
    for num_classes in (3, 124):
        for value in range(256):  # plain-loop reference of the rule
            raw = np.array([[value]], np.uint8)
            if value in (0, 255):
                assert remap_labels(raw, num_classes)[0, 0] == 255
            elif value <= num_classes:
                assert remap_labels(raw, num_classes)[0, 0] == value - 1
            else:
                with pytest.raises(DataError, match=f"label value {value} \\(1 pixels\\)"):
                    remap_labels(raw, num_classes)


def test_remap_of_16_bit_values() -> None:
    raw = np.array([[1, 300, 300], [2, 0, 255]], np.uint16)
    with pytest.raises(DataError, match=r"m.png: label value 300 \(2 pixels\) is neither a class \(1..3\)"):
        remap_labels(raw, 3, where="m.png")
    valid = np.array([[1, 3], [0, 255]], np.uint16)  # wider dtypes map like uint8
    np.testing.assert_array_equal(remap_labels(valid, 3), [[0, 2], [255, 255]])


def test_test_split_may_have_no_masks_but_val_may_not(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path / "t", split="test")
    for path in (root / "data" / "v1" / "mask").iterdir():
        path.unlink()
    (root / "data" / "v1" / "mask").rmdir()
    video = VSPWDataset(root, "test").load("v1")
    assert video.labels is None and video.frames.shape == (2, 3, 4, 3)
    root = _write_dataset(tmp_path / "v")
    for path in (root / "data" / "v1" / "mask").iterdir():
        path.unlink()
    (root / "data" / "v1" / "mask").rmdir()
    with pytest.raises(DataError, match=r"v1/mask: video 'v1' of the val split has no mask folder"):
        VSPWDataset(root, "val").load("v1")


# --- errors ----------------------------------------------------------------------------------------------
def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere: dataset root not found"):
        VSPWDataset(tmp_path / "nowhere")


def test_unknown_split_and_missing_split_file(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    with pytest.raises(DataError, match="split 'dev' is not one of train, val, test"):
        VSPWDataset(root, "dev")
    (root / "test.txt").unlink()
    with pytest.raises(DataError, match=r"test.txt: split file not found"):
        VSPWDataset(root, "test")


def test_split_naming_missing_video(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "val.txt").write_text("v1\nghost\n")
    with pytest.raises(DataError, match=r"val.txt: names video 'ghost', but .*ghost/origin does not exist"):
        VSPWDataset(root, "val")


def test_video_not_in_split(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"video 'v2' is not in .*val.txt"):
        VSPWDataset(_write_dataset(tmp_path), "val").load("v2")


def test_bad_classes_file(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path, classes=["a", "b", "a"])
    with pytest.raises(DataError, match=r"classes.txt: class names must be unique; repeated: a"):
        VSPWDataset(root, "val")


def test_frame_without_mask(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "data" / "v1" / "mask" / "00000001.png").unlink()
    with pytest.raises(DataError, match=r"00000001.jpg: frame has no mask \(expected .*mask/00000001.png\)"):
        VSPWDataset(root, "val").load("v1")


def test_mask_size_differs_from_frame(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    Image.fromarray(np.ones((5, 4), np.uint8)).save(root / "data" / "v1" / "mask" / "00000000.png")
    with pytest.raises(DataError, match=r"00000000.png: mask of size 4x5 differs from its frame .*00000000.jpg "
                                        r"\(4x3\)"):
        VSPWDataset(root, "val").load("v1")


def test_instance_map_size_differs_from_frame(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path, instances=np.ones((3, 4), np.uint16))
    save_png_atomic(root / "data" / "v1" / "instance" / "00000001.png", np.ones((3, 5), np.uint16))
    with pytest.raises(DataError, match=r"00000001.png: instance map of size 5x3 differs from its frame"):
        VSPWDataset(root, "val").load("v1")


def test_colour_mask_is_rejected(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    Image.fromarray(np.zeros((3, 4, 3), np.uint8)).save(root / "data" / "v1" / "mask" / "00000000.png")
    with pytest.raises(DataError, match=r"00000000.png: expected a single-channel integer PNG, got shape "
                                        r"\(3, 4, 3\)"):
        VSPWDataset(root, "val").load("v1")


def test_label_value_neither_class_nor_void(tmp_path: Path) -> None:
    mask = np.array([[1, 9, 9, 2], [0, 0, 0, 0], [1, 1, 1, 1]], np.uint8)
    root = _write_dataset(tmp_path, raw_mask=mask)
    with pytest.raises(DataError, match=r"mask/00000000.png: label value 9 \(2 pixels\) is neither a class "
                                        r"\(1..3\) nor void \(0 or 255\)"):
        VSPWDataset(root, "val").load("v1")


def test_unreadable_image(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    (root / "data" / "v1" / "origin" / "00000001.jpg").write_bytes(b"\xff\xd8garbage")
    with pytest.raises(DataError, match=r"00000001.jpg: not a readable image"):
        VSPWDataset(root, "val").load("v1")


def test_frames_of_different_sizes(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    Image.fromarray(np.zeros((3, 5, 3), np.uint8)).save(root / "data" / "v1" / "origin" / "00000001.jpg")
    with pytest.raises(DataError, match=r"00000001.jpg: frame of size 5x3 differs from the first frame "
                                        r".*00000000.jpg \(4x3\)"):
        VSPWDataset(root, "val").load("v1")


def test_no_jpeg_frames(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path)
    for path in (root / "data" / "v1" / "origin").iterdir():
        path.rename(path.with_suffix(".png"))
    with pytest.raises(DataError, match=r"origin: no JPEG frames"):
        VSPWDataset(root, "val").load("v1")


def test_video_checks_its_shapes() -> None:
    frames = np.zeros((2, 3, 4, 3), np.uint8)
    with pytest.raises(DataError, match=r"video 'v': labels of shape \(2, 3, 5\) do not match frames \(2, 3, 4\)"):
        Video("v", ["0", "1"], frames, np.zeros((2, 3, 5), np.uint8))
    with pytest.raises(DataError, match=r"video 'v': 1 frame ids for 2 frames"):
        Video("v", ["0"], frames)
    with pytest.raises(DataError, match=r"frames must be \(T, H, W, 3\), got shape \(2, 3, 4\)"):
        Video("v", ["0", "1"], frames[..., 0])
