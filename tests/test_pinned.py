"""The pinned interpreter: it starts under the pinned variables, returns results and raises the function's own
errors here, survives what its functions print, restarts after dying; and sam2-mini's masklets are made in it."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

from vsslib.base.errors import ParameterError
from vsslib.base.pinned import PinnedInterpreter, is_pinned, pinned_environment


def test_pinned_environment_by_hand_and_its_validation() -> None:
    assert pinned_environment(3, "COMPATIBLE") == {
        "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE",
        "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}
    assert pinned_environment(1)["MKL_CBWR"] == "AVX2"
    for threads in (0, -1, 1.5, True):
        with pytest.raises(ParameterError, match="threads="):
            pinned_environment(threads)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="mkl_branch='AVX512'"):
        pinned_environment(1, "AVX512")


def test_is_pinned_reads_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in pinned_environment(2).items():
        monkeypatch.setenv(key, value)
    assert is_pinned(2) and not is_pinned(1) and not is_pinned(2, "COMPATIBLE")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert not is_pinned(2)


def test_calls_run_under_the_pinned_variables_and_threads() -> None:
    with PinnedInterpreter(2, "COMPATIBLE") as interpreter:
        assert interpreter.call("os:getenv", "MKL_CBWR") == "COMPATIBLE"
        assert interpreter.call("vsslib.base.pinned:is_pinned", 2, "COMPATIBLE") is True
        assert interpreter.call("torch:get_num_threads") == 2
        pid = interpreter.call("os:getpid")
        assert pid != os.getpid() and interpreter.call("os:getpid") == pid  # one interpreter for many calls
        assert interpreter.call("builtins:print", "printed there, not mixed with the replies") is None
        np.testing.assert_array_equal(interpreter.call("numpy:cumsum", np.arange(5)), [0, 1, 3, 6, 10])
        copy = pickle.loads(pickle.dumps(interpreter))  # a new interpreter of the same settings, started on use
        assert copy.environment == interpreter.environment and copy.call("os:getpid") not in (pid, os.getpid())
        copy.close()


def test_errors_come_back_as_themselves_and_a_dead_interpreter_is_restarted() -> None:
    with PinnedInterpreter(1) as interpreter:
        with pytest.raises(json.JSONDecodeError, match="Expecting property name"):
            interpreter.call("json:loads", "{no json")
        with pytest.raises(RuntimeError, match="threading:Lock in the pinned interpreter: TypeError"):
            interpreter.call("threading:Lock")  # its result cannot be pickled
        with pytest.raises(RuntimeError, match="exit status 3 while running os:_exit"):
            interpreter.call("os:_exit", 3)
        assert interpreter.call("os:getenv", "OMP_NUM_THREADS") == "1"  # started again
        with pytest.raises(ParameterError, match="'package.module:name'"):
            interpreter.call("os.getenv")


def test_sam2_mini_masklets_are_made_in_the_pinned_interpreter() -> None:
    from vsslib.masks import create_masklet_source
    from vsslib.sam2_mini.masklets import pinned_masklets

    frames = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    frames[:, 16:48, 16:48] = (250, 40, 40)  # one square object
    source = create_masklet_source("sam2-mini", window=2, points_per_side=4, pred_iou_thresh=0.0,
                                   stability_score_thresh=0.0)
    ids = source(frames)
    assert ids.shape == (3, 64, 64) and ids.dtype == np.int32 and (ids >= 0).any()
    # the two windows' key frames were generated there and their timings added here; the first window propagates
    # frames 0-1 plus frame 2, onto which the second links, and the second frame 2 alone
    assert source.timings["generate_frames"] == 2 and source.timings["propagate_frames"] == 3 + 1
    np.testing.assert_array_equal(source(frames), ids)
    assert source.timings["generate_frames"] == 4
    if not is_pinned(1):
        with pytest.raises(RuntimeError, match=r"pinned_environment\(1\)"):
            pinned_masklets(source.settings, frames, False)


def test_an_interrupt_ends_the_interpreter_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    import signal

    with PinnedInterpreter(1) as interpreter:
        pid = interpreter.call("os:getpid")
        os.kill(pid, signal.SIGINT)  # as a kernel's shutdown or Ctrl-C sends to the process group
        with pytest.raises(RuntimeError, match="died with exit status 0"):  # it ended, without an error
            interpreter.call("os:getpid")
        assert interpreter.call("os:getpid") != pid  # the next call starts a new one
    assert "Traceback" not in capfd.readouterr().err


def test_a_call_interrupted_here_stops_the_interpreter_so_the_next_call_gets_its_own_reply() -> None:
    import signal
    import threading

    with PinnedInterpreter(1) as interpreter:
        pid = interpreter.call("os:getpid")
        timer = threading.Timer(1.0, signal.raise_signal, (signal.SIGINT,))  # Ctrl-C here while time.sleep runs there
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            interpreter.call("time:sleep", 20)
        timer.join()
        assert interpreter.call("os:getenv", "MKL_CBWR") == "AVX2"  # a new interpreter, not the sleeper's late reply
        assert interpreter.call("os:getpid") != pid
