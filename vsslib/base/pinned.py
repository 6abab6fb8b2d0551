"""A fresh Python interpreter whose float results do not depend on the processor's kernels or the caller's threads.

The float sums of a CPU network pass depend on which kernels ATen, oneDNN and MKL pick for the processor
at hand and on how many threads split each reduction; the libraries fix those choices when they first run,
from environment variables read at start. :func:`pinned_environment` is that set of variables: ATen's and
oneDNN's AVX2 kernels, one MKL code path (``MKL_CBWR``) and a thread count. Work that must give the same bits
wherever it runs (training, and products cached by key, such as sam2-mini's masklets, where a pixel moved by a
float sum moves a table's last digit) runs in an interpreter started with it:

- :func:`is_pinned` says whether this process already runs under it (then the work runs here);
- :class:`PinnedInterpreter` keeps one such interpreter for many calls (a few seconds to start, then
  nothing per call but the arguments' pickling): ``call("package.module:function", *args)`` runs the
  function there and returns its result, or raises its exception here.

The MKL path: training (:mod:`vsslib.segmenters.train`, where emulated AVX2 / AVX-512 / SSE4.2 processors gave
bit-identical weights) pins ``COMPATIBLE``, the path every x86-64 processor runs; inference pins ``AVX2``, because
``COMPATIBLE`` more than doubles its time. Measured on a 2-core Xeon with AVX-512, sam2-mini's masklets of the
first 33 frames of a generated video, one thread: 34.3 s unpinned, 41.2 s with ``MKL_CBWR=AVX2``, 77.6 s with
``COMPATIBLE``; setting any one of the three variables moved 1 or 2 of the 946 176 pixels, which is what a cached
product that depends on the machine looks like. Left open: processors without AVX2, and any choice oneDNN
makes from cache sizes rather than from the instruction set.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from .errors import ParameterError

__all__ = ["MKL_BRANCHES", "pinned_environment", "is_pinned", "PinnedInterpreter", "shared_interpreter", "serve"]

MKL_BRANCHES = ("COMPATIBLE", "AVX2")
"""MKL code paths a pinned interpreter may take (``MKL_CBWR``): the one every x86-64 processor runs, and AVX2's."""


def pinned_environment(threads: int, mkl_branch: str = "AVX2") -> dict[str, str]:
    """The variables a pinned interpreter starts with: AVX2 kernels in ATen and oneDNN, MKL's ``mkl_branch`` path,
    ``threads`` OpenMP and MKL threads.

    Raises
    ------
    ParameterError : ``threads`` is not an integer >= 1, or ``mkl_branch`` not one of :data:`MKL_BRANCHES`.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ParameterError(f"threads={threads!r} must be an integer >= 1")
    if mkl_branch not in MKL_BRANCHES:
        raise ParameterError(f"mkl_branch={mkl_branch!r} must be one of {MKL_BRANCHES}")
    return {
        "ATEN_CPU_CAPABILITY": "avx2",  # ATen's vectorised kernels; any x86-64 server since 2013 has AVX2
        "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN's convolution kernels: AVX-512 ones sum in another order
        "MKL_CBWR": mkl_branch,  # MKL's conditional numerical reproducibility: one code path
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }


def is_pinned(threads: int, mkl_branch: str = "AVX2") -> bool:
    """Whether this process was started under :func:`pinned_environment` of ``threads`` and ``mkl_branch``."""
    return all(os.environ.get(key) == value for key, value in pinned_environment(threads, mkl_branch).items())


class PinnedInterpreter:
    """One interpreter under :func:`pinned_environment`, started on the first :meth:`call`, kept until :meth:`close`
    (or this process's exit).

    Calls run one at a time, in order; arguments and results travel pickled through a private folder. The
    interpreter's standard output goes to this process's standard error (progress bars, warnings), so nothing
    it prints is lost or mixed with the replies.

    Parameters
    ----------
    threads : compute threads of the interpreter (its OpenMP and MKL threads).
    mkl_branch : MKL's code path (:data:`MKL_BRANCHES`).
    """

    def __init__(self, threads: int, mkl_branch: str = "AVX2") -> None:
        self.environment = pinned_environment(threads, mkl_branch)
        self.threads, self.mkl_branch = threads, mkl_branch
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.Lock()
        self._calls = 0
        self._finalizer = weakref.finalize(self, PinnedInterpreter._stop, self.__dict__)

    def __reduce__(self) -> tuple[type, tuple[int, str]]:
        """A copy (or a pickle sent to another process) is a new interpreter of the same settings, not yet started."""
        return PinnedInterpreter, (self.threads, self.mkl_branch)

    def __enter__(self) -> PinnedInterpreter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, function: str, *args: Any) -> Any:
        """``function(*args)`` in the pinned interpreter, ``function`` named ``"package.module:name"``.

        Raises
        ------
        Exception : the exception the function raised there (its type and message, when it cannot be pickled:
            a RuntimeError).
        RuntimeError : the interpreter died (its exit status; its error is printed above on standard error).
        """
        module, _, name = function.partition(":")
        if not module or not name:
            raise ParameterError(f"function={function!r} must read 'package.module:name'")
        with self._lock:
            process, folder = self._started()
            self._calls += 1
            request, reply = Path(folder, f"{self._calls}.request"), Path(folder, f"{self._calls}.reply")
            with open(request, "wb") as handle:
                pickle.dump((module, name, args, os.fspath(reply)), handle, protocol=pickle.HIGHEST_PROTOCOL)
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(os.fsencode(request) + b"\n")
                process.stdin.flush()
                answered = process.stdout.readline()
            except BrokenPipeError:
                answered = b""
            except BaseException:  # interrupted while it works: its late reply would answer the next call
                PinnedInterpreter._stop(self.__dict__, kill=True)
                raise
            request.unlink(missing_ok=True)
            if not answered:
                status = process.wait()
                PinnedInterpreter._stop(self.__dict__)
                raise RuntimeError(f"the pinned interpreter died with exit status {status} while running {function}; "
                                   "its error is printed above on standard error")
            with open(reply, "rb") as handle:
                ok, value = pickle.load(handle)
            reply.unlink()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the interpreter (it is started again by the next :meth:`call`)."""
        with self._lock:
            PinnedInterpreter._stop(self.__dict__)

    def _started(self) -> tuple[subprocess.Popen[bytes], str]:
        if self._process is not None and self._process.poll() is None and self._folder is not None:
            return self._process, self._folder.name
        PinnedInterpreter._stop(self.__dict__)
        self._folder = tempfile.TemporaryDirectory(prefix="vsslib-pinned-")
        # the child must import this vsslib, wherever the caller's working directory is
        package_parent = os.fspath(Path(__file__).resolve().parents[2])
        python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-c", "from vsslib.base.pinned import serve; serve()"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         env={**os.environ, **self.environment, "PYTHONPATH": python_path})
        return self._process, self._folder.name

    @staticmethod
    def _stop(state: dict[str, Any], kill: bool = False) -> None:
        process, folder = state.get("_process"), state.get("_folder")
        if process is not None:
            if kill and process.poll() is None:
                process.kill()
                process.wait()
            if process.poll() is None and process.stdin is not None:
                process.stdin.close()  # the child's loop ends at the end of its input
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()
        if folder is not None:
            folder.cleanup()
        state["_process"], state["_folder"] = None, None


_shared: dict[tuple[int, str], PinnedInterpreter] = {}


def shared_interpreter(threads: int, mkl_branch: str = "AVX2") -> PinnedInterpreter:
    """This process's one :class:`PinnedInterpreter` of ``threads`` and ``mkl_branch``, for callers that would
    otherwise each start their own (sam2-mini sources of different settings): one start, one set of libraries in
    memory, its calls one at a time. Closing it is allowed: the next call starts it again."""
    pinned_environment(threads, mkl_branch)  # validates both
    key = (threads, mkl_branch)
    if key not in _shared:
        _shared[key] = PinnedInterpreter(threads, mkl_branch)
    return _shared[key]


def serve() -> None:
    """The pinned interpreter's loop: one request path a line on standard input, one line back when its reply is
    written. Standard output is kept for the replies; anything else printed goes to standard error."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _answer_each(replies)
    except KeyboardInterrupt:  # Ctrl-C or a kernel's shutdown reaches the whole process group: the caller stops too
        pass


def _answer_each(replies: Any) -> None:
    for line in sys.stdin.buffer:
        with open(os.fsdecode(line.rstrip(b"\n")), "rb") as handle:
            module, name, args, reply = pickle.load(handle)
        try:
            answer: tuple[bool, Any] = (True, getattr(importlib.import_module(module), name)(*args))
        except Exception as exc:  # noqa: BLE001 - raised again in the caller
            answer = (False, exc)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
            shown = answer[1] if not answer[0] else exc
            payload = pickle.dumps((False, RuntimeError(f"{module}:{name} in the pinned interpreter: "
                                                        f"{type(shown).__name__}: {shown}")))
        with open(reply + ".tmp", "wb") as handle:
            handle.write(payload)
        os.replace(reply + ".tmp", reply)
        replies.write(b"done\n")

