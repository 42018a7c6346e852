"""Where sweep tasks run: in this process, in local processes (forked from it, or loky's
fresh ones where forking is unsafe), or on Dask.

Each backend maps a function over tasks and yields ``(task, result)`` as tasks finish,
in whatever order they finish; results never depend on the backend because every task
carries its own seeds.
"""
from __future__ import annotations

import importlib.util
from contextlib import AbstractContextManager
from typing import Any, Callable, Iterable, Iterator

from sim.experiment.errors import SweepError


class SerialBackend(AbstractContextManager):
    name = "serial"

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        for task in tasks:
            yield task, fn(*task.args)

    def __exit__(self, *exc) -> None:
        return None


class LokyBackend(AbstractContextManager):
    name = "loky"

    def __init__(self, jobs: int):
        self.jobs = jobs

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Tasks a lost worker held, and those not yet done, are done in this process
        (:func:`sim.workers.shared_out`): the sweep finishes, with the same results."""
        from sim.workers import shared_out

        tasks = list(tasks)
        for i, result in shared_out(fn, [t.args for t in tasks], self.jobs):
            yield tasks[i], result

    def __exit__(self, *exc) -> None:
        return None


class DaskBackend(AbstractContextManager):
    """A running cluster (``scheduler`` address) or a local one with ``jobs`` workers."""

    name = "dask"

    def __init__(self, jobs: int, scheduler: str | None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise SweepError("the dask backend needs dask.distributed: pip install "
                             "'clinicsim[cluster]'") from None
        self._cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="10s")
            else:
                self._cluster = LocalCluster(n_workers=jobs, threads_per_worker=1,
                                             processes=True, dashboard_address=None)
                self.client = Client(self._cluster)
        except (OSError, TimeoutError) as err:
            raise SweepError(f"cannot reach the Dask scheduler {scheduler}: {err}") from None

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        from dask.distributed import as_completed

        tasks = list(tasks)
        futures = {self.client.submit(fn, *t.args, key=f"clinicsim-{t.name}", pure=False): t
                   for t in tasks}
        try:
            for future in as_completed(futures):
                task = futures.pop(future)
                yield task, future.result()
                future.release()
        finally:
            for future in futures:
                future.cancel()

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


BACKENDS = ("loky", "serial", "dask")


def backend_problem(name: str, scheduler: str | None) -> str | None:
    """Why these backend options cannot work, or None; checked before a sweep writes
    anything, so a mistyped command leaves no directory that refuses the corrected one."""
    if name not in BACKENDS:
        return f"unknown backend {name!r}; expected loky or dask"
    if scheduler and name != "dask":
        return "--scheduler needs --backend dask"
    if name == "dask" and importlib.util.find_spec("distributed") is None:
        return "the dask backend needs dask.distributed: pip install 'clinicsim[cluster]'"
    return None


def make_backend(name: str, jobs: int, scheduler: str | None) -> AbstractContextManager:
    problem = backend_problem(name, scheduler)
    if problem:
        raise SweepError(problem)
    if name == "dask":
        return DaskBackend(jobs, scheduler)
    if name == "loky" and jobs > 1:
        return LokyBackend(jobs)
    return SerialBackend()
