"""Checkpoint download and verification against an HTTP server on 127.0.0.1 that the tests start.

The server (``http.server`` in a thread) serves one payload, honours ``Range: bytes=N-`` with 206 answers,
and can be told to break off the first answer halfway or to serve corrupted bytes. Expected SHA-256 values
are computed here with ``hashlib`` from the payload, independently of the code under test.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vsslib.masks.checkpoints import (OFFICIAL_CHECKPOINTS, SAM2_SIZES, fetch_checkpoint, official_checkpoint,
                                      sha256_of_file, verify_checkpoint)
from vsslib.study.cli import main
from vsslib.base.errors import CheckpointError, ParameterError

PAYLOAD = np.random.default_rng(0).integers(0, 256, 3 * 2**20 + 12345, dtype=np.uint8).tobytes()
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server:
    """Serves ``payload`` at every path; records each request's Range header."""

    def __init__(self) -> None:
        self.payload = PAYLOAD
        self.break_first = False  # the first answer announces the full length and stops halfway
        self.ranges: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                wanted = self.headers.get("Range")
                server.ranges.append(wanted)
                body, start = server.payload, 0
                match = re.match(r"^bytes=(\d+)-$", wanted or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if server.break_first:
                    server.break_first = False
                    self.wfile.write(body[start:start + (len(body) - start) // 2])
                    return  # HTTP/1.0: the connection closes, short of the announced length
                self.wfile.write(body[start:])

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sam2.1_hiera_tiny.pt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    yield running
    running.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_is_verified_and_written_under_the_official_name(server: _Server, tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    path = fetch_checkpoint("tiny", folder=folder, url=server.url, sha256=PAYLOAD_SHA, progress=False, timeout=10)
    assert path == folder / "sam2.1_hiera_tiny.pt"
    assert path.read_bytes() == PAYLOAD
    assert _files(folder) == ["sam2.1_hiera_tiny.pt"]  # no part file left
    assert server.ranges == [None]
    # already there: verified, not downloaded again
    assert fetch_checkpoint("tiny", folder=folder, url=server.url, sha256=PAYLOAD_SHA, progress=False) == path
    assert server.ranges == [None]


def test_an_interrupted_download_resumes_where_it_stopped(server: _Server, tmp_path: Path) -> None:
    server.break_first = True
    with pytest.raises(CheckpointError, match=r"broke off after 1579036 of 3158073 bytes; the part is kept at "
                                              r".*\.sam2\.1_hiera_tiny\.pt\.part: run the same command again"):
        fetch_checkpoint("tiny", folder=tmp_path, url=server.url, sha256=PAYLOAD_SHA, progress=False, timeout=10)
    part = tmp_path / ".sam2.1_hiera_tiny.pt.part"
    assert part.read_bytes() == PAYLOAD[:len(PAYLOAD) // 2]
    assert not (tmp_path / "sam2.1_hiera_tiny.pt").exists()

    path = fetch_checkpoint("tiny", folder=tmp_path, url=server.url, sha256=PAYLOAD_SHA, progress=False, timeout=10)
    assert server.ranges == [None, f"bytes={len(PAYLOAD) // 2}-"]  # the second request asked only for the rest
    assert path.read_bytes() == PAYLOAD and _files(tmp_path) == ["sam2.1_hiera_tiny.pt"]


def test_a_corrupted_file_is_rejected_and_nothing_is_left(server: _Server, tmp_path: Path) -> None:
    corrupted = bytearray(PAYLOAD)
    corrupted[1000] ^= 0xFF
    server.payload = bytes(corrupted)
    found = hashlib.sha256(corrupted).hexdigest()
    with pytest.raises(CheckpointError, match=rf"rejected and deleted: .* has SHA-256 {found}; expected "
                                              rf"{PAYLOAD_SHA} for sam2\.1_hiera_tiny\.pt \(source: given by the "
                                              r"caller\)"):
        fetch_checkpoint("tiny", folder=tmp_path, url=server.url, sha256=PAYLOAD_SHA, progress=False, timeout=10)
    assert _files(tmp_path) == []


def test_a_wrong_hash_is_rejected_and_a_malformed_one_named(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=rf"has SHA-256 {PAYLOAD_SHA}; expected 0{{64}}"):
        fetch_checkpoint("tiny", folder=tmp_path, url=server.url, sha256="0" * 64, progress=False, timeout=10)
    assert _files(tmp_path) == []
    with pytest.raises(ParameterError, match=r"sha256='abc' is not a SHA-256"):
        fetch_checkpoint("tiny", folder=tmp_path, url=server.url, sha256="abc", progress=False)


def test_a_mirror_is_held_to_the_tables_size_before_anything_is_kept(server: _Server, tmp_path: Path) -> None:
    """Without ``sha256`` the table's values apply to a mirror: 3,158,073 bytes are not the tiny file's 156,008,466."""
    with pytest.raises(CheckpointError, match=r"offers 3158073 bytes; sam2\.1_hiera_tiny\.pt has 156008466 "
                                              r"\(source: Git LFS pointers of huggingface\.co/camenduru"):
        fetch_checkpoint("tiny", folder=tmp_path, url=server.url, progress=False, timeout=10)
    assert _files(tmp_path) == []


def test_a_file_already_there_that_fails_is_kept_and_named(server: _Server, tmp_path: Path) -> None:
    stale = tmp_path / "sam2.1_hiera_small.pt"
    stale.write_bytes(b"old")
    with pytest.raises(CheckpointError, match=r"has 3 bytes; sam2\.1_hiera_small\.pt has 184416285 .* already there "
                                              r"and is left as it is"):
        fetch_checkpoint("small", folder=tmp_path, url=server.url, progress=False)
    assert stale.read_bytes() == b"old" and server.ranges == []


def test_the_command_line_downloads_and_reports_errors_in_one_line(server: _Server, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sam2-checkpoint", "--size", "tiny", "--dir", str(tmp_path), "--url", server.url, "--no-progress"]
    assert main([*args, "--sha256", "f" * 64]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: download from http://127.0.0.1") and err.count("\n") == 1
    assert main([*args, "--sha256", PAYLOAD_SHA.upper()]) == 0
    assert capsys.readouterr().out == f"verified {tmp_path / 'sam2.1_hiera_tiny.pt'}\n"
    assert sha256_of_file(tmp_path / "sam2.1_hiera_tiny.pt") == PAYLOAD_SHA


@pytest.mark.sam2
def test_without_a_published_hash_a_strict_load_decides(server: _Server, tmp_path: Path) -> None:
    """SAM 2.0 files have no cited hash or size: a state dict of the config's model passes, a partial one fails."""
    import io

    import torch

    from vsslib.masks.sam2_model import build_sam2_model, strict_load_check

    torch.manual_seed(0)
    weights = build_sam2_model("configs/sam2/sam2_hiera_t.yaml", None, random_weights=True).state_dict()
    weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}  # half the bytes
    buffer = io.BytesIO()
    torch.save({"model": weights}, buffer)
    server.payload = buffer.getvalue()
    path = fetch_checkpoint("configs/sam2/sam2_hiera_t.yaml", folder=tmp_path / "good", url=server.url,
                            progress=False, timeout=30, strict_load=strict_load_check)
    assert path.name == "sam2_hiera_tiny.pt" and path.read_bytes() == server.payload
    assert verify_checkpoint(path, "configs/sam2/sam2_hiera_t.yaml", strict_load=strict_load_check) == "strict load"
    with pytest.raises(CheckpointError, match="no SHA-256 is known for sam2_hiera_tiny.pt; pass sha256=... or "
                                              "strict_load="):
        verify_checkpoint(path, "configs/sam2/sam2_hiera_t.yaml")

    first = next(iter(weights))
    buffer = io.BytesIO()
    torch.save({"model": {k: v for k, v in weights.items() if k != first}}, buffer)
    server.payload = buffer.getvalue()
    with pytest.raises(CheckpointError, match=rf"does not match config configs/sam2/sam2_hiera_t\.yaml .* 1 of "
                                              rf"{len(weights)} weights missing \({re.escape(first)}\)"):
        fetch_checkpoint("configs/sam2/sam2_hiera_t.yaml", folder=tmp_path / "bad", url=server.url, progress=False,
                         strict_load=strict_load_check)
    assert _files(tmp_path / "bad") == []


def test_the_table_holds_every_sam21_size_with_cited_values() -> None:
    assert SAM2_SIZES == ("tiny", "small", "base_plus", "large")
    sizes = []
    for size in SAM2_SIZES:
        entry = OFFICIAL_CHECKPOINTS[size]
        assert entry.url == f"https://dl.fbaipublicfiles.com/segment_anything_2/092824/{entry.file}"
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256 or "")
        assert "micro-sam" in entry.sha256_source and "camenduru/sam2-1-hiera" in entry.bytes_source
        sizes.append(entry.num_bytes)
    assert sizes == sorted(sizes) and sizes[0] == 156_008_466  # larger models, larger files
    assert official_checkpoint("configs/sam2.1/sam2.1_hiera_l.yaml").file == "sam2.1_hiera_large.pt"
    assert official_checkpoint("configs/sam2/sam2_hiera_s.yaml").sha256 is None
    with pytest.raises(ParameterError, match=r"unknown SAM2 config 'huge'; valid: tiny, small, base_plus, large"):
        official_checkpoint("huge")
