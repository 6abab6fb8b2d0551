"""Where per-video work runs: in process, in a local process pool, or on a Dask cluster.

Videos are independent units of work. Every executor has one method, ``map(fn, items)``, that returns the
results in input order, so whatever merges them (metric accumulators, in video order) gives the same
result, to the last digit, whichever executor ran the work. Executors are context managers: they keep their
workers, and the workers' memo of loaded models, from one ``map`` to the next until ``close()``.

``fn`` must be picklable (a top-level function or an instance of a top-level class) for the process pool
and Dask; heavy objects belong in a per-process memo inside ``fn`` (see :mod:`vsslib.pipeline`), not in
its arguments. A progress bar (tqdm) advances as results complete (inside a longer step, the step's one bar
says how far this map is instead). If a task fails, the tasks not yet started are cancelled and its exception
is raised.

On a SLURM cluster, start workers with dask-jobqueue and pass the scheduler's address::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=8, memory="32GB", processes=1, walltime="04:00:00",
                           job_extra_directives=["--gres=gpu:1"])
    cluster.scale(jobs=16)             # 16 SLURM jobs, one worker process each
    print(cluster.scheduler_address)   # then: python -m vsslib refine ... --dask tcp://HOST:PORT

Every worker must see the dataset, the cache folder and the output folder at the same paths (a shared
file system); products are written atomically, so workers never read each other's half-written files.
"""

from __future__ import annotations

import multiprocessing
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

from .errors import ParameterError

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "create_executor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a function over items and returns the results in input order.

    An executor may hold workers between calls of :meth:`map` (their per-process memo of heavy objects
    survives from one map to the next); :meth:`close`, or leaving a ``with`` block, releases them.
    """

    name: str

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos",
            progress: Any = True) -> list[R]:
        """``[fn(item) for item in items]``, computed wherever this executor runs work.

        Parameters
        ----------
        fn : picklable callable of one item.
        items : the units of work (video names).
        desc : label of the progress bar.
        progress : show the progress bar; or the bar of a longer step (:meth:`vsslib.study.Study.step`),
            whose postfix then follows this map instead.
        """
        ...

    def close(self) -> None:
        """Release the workers (a later :meth:`map` starts new ones)."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


def _bar(total: int, desc: str, progress: Any) -> Any:
    if not isinstance(progress, bool):  # the bar of a longer step (Study.step): this map is its postfix
        return _StepPart(progress, total, desc)
    from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

    return tqdm(total=total, desc=desc, unit="video", disable=not progress)


class _StepPart:
    """A map inside a longer step: ``desc k/total`` in the step bar's postfix instead of a bar of its own."""

    def __init__(self, bar: Any, total: int, desc: str) -> None:
        self.bar, self.total, self.desc, self.done = bar, total, desc, 0

    def update(self, n: int = 1) -> None:
        self.done += n
        self.bar.set_postfix_str(f"{self.desc} {self.done}/{self.total}")

    def __enter__(self) -> _StepPart:
        self.update(0)
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Closing:
    """``with executor:`` closes it on exit."""

    def close(self) -> None:
        """Release the workers (a later ``map`` starts new ones)."""

    def __enter__(self: Any) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(_Closing):
    """One item after the other, in this process."""

    name = "serial"

    def __repr__(self) -> str:
        return "SerialExecutor()"

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos",
            progress: Any = True) -> list[R]:
        results = []
        with _bar(len(items), desc, progress) as bar:
            for item in items:
                results.append(fn(item))
                bar.update(1)
        return results


class ProcessExecutor(_Closing):
    """A local pool of ``workers`` processes, started with "spawn" (safe with torch and OpenCV threads).

    The pool starts on the first :meth:`map` and serves every later one until :meth:`close` (or until the
    executor is garbage-collected).

    Parameters
    ----------
    workers : number of processes (at least 1).
    """

    name = "processes"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ParameterError(f"workers={workers} must be at least 1")
        self.workers = int(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._finalizer: weakref.finalize | None = None

    def __repr__(self) -> str:
        return f"ProcessExecutor({self.workers})"

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
            self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=True, cancel_futures=True)
        return self._pool

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos",
            progress: Any = True) -> list[R]:
        pool = self._started()
        results: list[Any] = [None] * len(items)
        try:
            with _bar(len(items), desc, progress) as bar:
                futures = {pool.submit(fn, item): k for k, item in enumerate(items)}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update(1)
        except BaseException:
            self.close()  # cancels what has not started; a later map starts a fresh pool
            raise
        return results

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # shuts the pool down, once
        self._pool, self._finalizer = None, None


class DaskExecutor(_Closing):
    """A ``dask.distributed`` cluster: an existing scheduler's address, or ``"local"`` for a LocalCluster.

    The client (and the local cluster) start on the first :meth:`map` and serve every later one until
    :meth:`close` (or until the executor is garbage-collected).

    Parameters
    ----------
    address : ``"tcp://HOST:PORT"`` of a running scheduler, or ``"local"`` to start a
        ``LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True)``.
    local_workers : worker processes of the local cluster.
    """

    name = "dask"

    def __init__(self, address: str, *, local_workers: int = 2) -> None:
        if not address:
            raise ParameterError("--dask needs a scheduler address (tcp://HOST:PORT) or 'local'")
        if local_workers < 1:
            raise ParameterError(f"local_workers={local_workers} must be at least 1")
        self.address = address
        self.local_workers = int(local_workers)
        self._client: Any = None
        self._finalizer: weakref.finalize | None = None

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r})"

    def _started(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            cluster = None
            if self.address == "local":
                cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            self._client = Client(cluster if cluster is not None else self.address)
            self._finalizer = weakref.finalize(self, _close_dask, self._client, cluster)
        return self._client

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos",
            progress: Any = True) -> list[R]:
        from distributed import as_completed as dask_completed

        client = self._started()
        futures = client.map(fn, list(items), pure=False)
        index = {future.key: k for k, future in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        try:
            with _bar(len(items), desc, progress) as bar:
                for future in dask_completed(futures):
                    results[index[future.key]] = future.result()
                    bar.update(1)
        except BaseException:
            client.cancel(futures)
            raise
        return results

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._client, self._finalizer = None, None


def _close_dask(client: Any, cluster: Any) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def create_executor(*, workers: int = 1, dask: str | None = None) -> Executor:
    """The executor for the command-line options ``--workers N`` and ``--dask ADDRESS|local``.

    Use it as a context manager (``with create_executor(workers=4) as executor: ...``) to release its
    workers as soon as the work is done.

    ``workers=1`` without ``dask`` runs in process; ``workers > 1`` a local process pool; ``dask`` a Dask
    cluster (which sets its own workers, so ``workers`` must stay 1).
    """
    if workers < 1:
        raise ParameterError(f"workers={workers} must be at least 1")
    if dask and workers > 1:
        raise ParameterError("--workers and --dask are exclusive: a Dask cluster sets its own workers")
    if dask:
        return DaskExecutor(dask)
    if workers > 1:
        return ProcessExecutor(workers)
    return SerialExecutor()
