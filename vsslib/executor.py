"""Where per-video work runs: in process, in a local process pool, or on a Dask cluster.

Videos are independent units of work. Every executor has one method, ``map(fn, items)``, that returns the
results in input order, so whatever merges them (metric accumulators, in video order) gives the same
result, to the last digit, whichever executor ran the work.

On a SLURM cluster, start a scheduler with dask-jobqueue and pass its address::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=8, memory="32GB", processes=1, job_extra_directives=["--gres=gpu:1"])
    cluster.scale(jobs=16)
    print(cluster.scheduler_address)   # then: python -m vsslib refine ... --dask tcp://HOST:PORT
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

from .errors import ParameterError

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "create_executor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a function over items and returns the results in input order."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos", progress: bool = True) -> list[R]: ...


def _bar(total: int, desc: str, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="video", disable=not progress)


class SerialExecutor:
    """One item after the other, in this process."""

    name = "serial"

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos", progress: bool = True) -> list[R]:
        results = []
        with _bar(len(items), desc, progress) as bar:
            for item in items:
                results.append(fn(item))
                bar.update(1)
        return results


class ProcessExecutor:
    """A local pool of ``workers`` processes (spawned, which is safe with torch and OpenCV threads)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ParameterError(f"workers={workers} must be at least 1")
        self.workers = workers

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos", progress: bool = True) -> list[R]:
        results: list[Any] = [None] * len(items)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool, \
                _bar(len(items), desc, progress) as bar:
            futures = {pool.submit(fn, item): k for k, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
        return results


class DaskExecutor:
    """A ``dask.distributed`` cluster: an existing scheduler's address, or ``"local"`` for a LocalCluster."""

    name = "dask"

    def __init__(self, address: str, *, local_workers: int = 2) -> None:
        self.address = address
        self.local_workers = local_workers

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, desc: str = "videos", progress: bool = True) -> list[R]:
        from distributed import Client, LocalCluster, as_completed as dask_completed

        cluster = None
        if self.address == "local":
            cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(self.address)
        try:
            futures = client.map(fn, list(items), pure=False)
            index = {future.key: k for k, future in enumerate(futures)}
            results: list[Any] = [None] * len(items)
            with _bar(len(items), desc, progress) as bar:
                for future in dask_completed(futures):
                    results[index[future.key]] = future.result()
                    bar.update(1)
            return results
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def create_executor(*, workers: int = 1, dask: str | None = None) -> Executor:
    """The executor for the command-line options ``--workers N`` and ``--dask ADDRESS|local``."""
    if dask and workers > 1:
        raise ParameterError("--workers and --dask are exclusive: a Dask cluster sets its own workers")
    if dask:
        return DaskExecutor(dask)
    if workers > 1:
        return ProcessExecutor(workers)
    if workers < 1:
        raise ParameterError(f"workers={workers} must be at least 1")
    return SerialExecutor()
