"""Atomic writes and the per-video product cache."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from vsslib.base.io import atomic_folder, atomic_path, read_image, save_png_atomic, write_json_atomic
from vsslib.base.cache import ProductCache, fingerprint_files, stable_hash
from vsslib.base.errors import DataError


def test_atomic_write_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == '{\n  "a": 1\n}\n'  # the earlier, complete file survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_atomic_folder_replaces_a_folder_whole_and_keeps_it_whole_on_error(tmp_path: Path) -> None:
    target = tmp_path / "site"
    with atomic_folder(target) as staged:  # no folder there yet
        assert staged.parent == tmp_path and staged.is_dir() and not any(staged.iterdir())
        (staged / "a.txt").write_text("first")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (target / "a.txt").read_text() == "first"

    with pytest.raises(RuntimeError, match="killed"):
        with atomic_folder(target) as staged:
            (staged / "b.txt").write_text("half")
            assert not (target / "b.txt").exists()  # the old folder stays as it was while the new one is made
            raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left beside it
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"] and (target / "a.txt").read_text() == "first"

    with atomic_folder(target) as staged:
        (staged / "b.txt").write_text("second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # the old one deleted once replaced
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]


def test_atomic_folder_without_replace_takes_an_empty_place_only(tmp_path: Path) -> None:
    target = tmp_path / "benchmark"
    target.mkdir()  # an empty folder is taken over
    with atomic_folder(target, replace=False) as staged:
        (staged / "a.txt").write_text("mine")
    assert (target / "a.txt").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["benchmark"]

    with pytest.raises(OSError):
        with atomic_folder(target, replace=False) as staged:  # another process's benchmark stands there
            (staged / "b.txt").write_text("second")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"] and (target / "a.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmark"]  # the new folder deleted


def test_png_round_trip_uint8_and_uint16(tmp_path: Path) -> None:
    labels = np.array([[0, 1, 255], [7, 7, 3]], dtype=np.uint8)
    save_png_atomic(tmp_path / "l.png", labels)
    np.testing.assert_array_equal(read_image(tmp_path / "l.png"), labels)
    ids = np.array([[0, 300], [65535, 2]], dtype=np.uint16)
    save_png_atomic(tmp_path / "i.png", ids)
    np.testing.assert_array_equal(read_image(tmp_path / "i.png").astype(np.uint16), ids)


def test_read_image_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing.png: file not found"):
        read_image(tmp_path / "missing.png")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="broken.jpg: not a readable image"):
        read_image(broken)


def test_stable_hash_is_order_independent_and_value_sensitive() -> None:
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})
    assert stable_hash({"x": np.arange(3)}) != stable_hash({"x": np.arange(4)})


def test_fingerprint_changes_with_bytes(tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"123")
    first = fingerprint_files([a])
    a.write_bytes(b"124")
    assert fingerprint_files([a]) != first


def test_product_cache_round_trip_and_invalidation(tmp_path: Path) -> None:
    cache = ProductCache(tmp_path, "masklets", {"window": 32})
    assert cache.load("v1") is None and not cache.has("v1")
    cache.save("v1", ids=np.arange(6, dtype=np.int32).reshape(2, 3))
    np.testing.assert_array_equal(cache.load("v1")["ids"], np.arange(6).reshape(2, 3))
    assert (cache.folder / "settings.json").is_file()
    other = ProductCache(tmp_path, "masklets", {"window": 16})
    assert other.folder != cache.folder and other.load("v1") is None
    # A truncated product (a crash outside our atomic writer) is treated as absent and removed.
    cache.path("v2").write_bytes(b"PK\x03\x04garbage")
    assert cache.load("v2") is None and not cache.path("v2").exists()


def _make_product(root: str, log: str, start: str) -> None:
    """A process that asks for one product: computes it (slowly, logging it) unless it is made already."""
    import time

    from vsslib.base.cache import ProductCache
    from vsslib.study.runs.products import cached_product

    def compute() -> dict[str, np.ndarray]:
        with open(log, "a") as handle:
            handle.write("computed\n")
        time.sleep(1.0)
        return {"ids": np.arange(4)}

    while not Path(start).exists():  # both processes ask at the same moment
        time.sleep(0.01)
    product = cached_product(ProductCache(root, "masklets", {"source": "x"}), "v", "fp", compute)
    assert product.arrays["ids"].tolist() == [0, 1, 2, 3]


def test_two_processes_asking_for_one_product_compute_it_once(tmp_path: Path) -> None:
    import multiprocessing

    log, start = tmp_path / "log", tmp_path / "start"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_make_product, args=(str(tmp_path / "c"), str(log), str(start)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    start.touch()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert log.read_text() == "computed\n"  # the second waited on the lock and read the first one's product
    cache = ProductCache(tmp_path / "c", "masklets", {"source": "x"})
    assert cache.load("v@fp")["ids"].tolist() == [0, 1, 2, 3]  # stored under the video and its inputs
    with cache.making("v"):  # the lock is free again
        pass


def test_fields_flagged_not_in_key_leave_the_key_at_every_level() -> None:
    from dataclasses import dataclass, field

    from vsslib.base.cache import NOT_IN_KEY

    @dataclass(frozen=True)
    class Inner:
        path: str = field(default="/a/w.pt", metadata={NOT_IN_KEY: True})
        digest: str = "d1"

    @dataclass(frozen=True)
    class Outer:
        weights: str = field(default="/clone1/w.pt", metadata={NOT_IN_KEY: True})
        digest: str = "d1"
        inner: Inner = field(default_factory=Inner)

    def key(settings: Outer) -> str:
        return ProductCache("/tmp", "masklets", {"settings": settings}).key

    moved = Outer(weights="/clone2/w.pt", inner=Inner(path="/b/w.pt"))
    assert key(moved) == key(Outer())  # only the paths differ
    assert key(Outer(digest="d2")) != key(Outer()) and key(Outer(inner=Inner(digest="d2"))) != key(Outer())
    assert ProductCache("/tmp", "masklets", {"settings": moved}).settings["settings"] == {
        "__type__": "Outer", "digest": "d1", "inner": {"digest": "d1"}}


def test_sam2_mini_masklets_are_keyed_by_the_bytes_of_their_weights_not_their_path(tmp_path: Path) -> None:
    import shutil

    from vsslib.sam2_mini.masklets import SAM2MiniSettings
    from vsslib.sam2_mini.model import CONFIG_PATH, WEIGHTS_PATH

    copy = tmp_path / "clone" / "sam2_mini.pt"
    copy.parent.mkdir()
    shutil.copy(WEIGHTS_PATH, copy)
    changed = tmp_path / "changed.pt"
    changed.write_bytes(Path(WEIGHTS_PATH).read_bytes() + b"\0")

    def key(weights: Path) -> str:
        return ProductCache(tmp_path, "masklets", {"settings": SAM2MiniSettings(weights=str(weights),
                                                                                 config=str(CONFIG_PATH))}).key

    assert key(copy) == key(Path(WEIGHTS_PATH))
    assert key(changed) != key(Path(WEIGHTS_PATH))


def test_a_conditional_load_reads_the_condition_alone_and_leaves_a_mismatched_entry_unread(tmp_path: Path) -> None:
    """``only_if`` reads the named arrays first: an entry made from other inputs is rejected without reading the
    rest. Shown with an entry whose large array is damaged on disk: a full read fails to decompress it (and drops
    the entry), a rejected one never touches it."""
    cache = ProductCache(tmp_path, "masklets", {"window": 32})
    path = cache.save("v", ids=np.arange(4096, dtype=np.int32), fingerprint=np.array("fp-a"))
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("ids.npy")
    data = bytearray(path.read_bytes())
    middle = member.header_offset + 30 + len(member.filename) + member.compress_size // 2  # inside its data
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    assert cache.load("v", only_if={"fingerprint": "fp-b"}) is None and path.is_file()  # rejected, left unread
    assert cache.load("v", only_if={"missing": "x"}) is None and path.is_file()
    assert cache.load("v", only_if={"fingerprint": "fp-a"}) is None and not path.is_file()  # read, damaged, dropped
    cache.save("v", ids=np.arange(3, dtype=np.int32), fingerprint=np.array("fp-a"))
    found = cache.load("v", only_if={"fingerprint": "fp-a"})
    assert found is not None and found["ids"].tolist() == [0, 1, 2] and str(found["fingerprint"]) == "fp-a"
