"""Worker processes: how many a command may start, and whole tasks shared out among them.

More workers than CPUs only adds start-up time and memory (each loky or Dask worker is a
Python process with the model imported, about 150 MB), and more workers than tasks sit
idle: ``--jobs 1000`` once started hundreds of processes for a two-task sweep.

A run's replications have their own pool (:func:`sim.experiment.replications.iter_runs`);
:func:`shared_out` is for commands whose tasks are whole searches, cases or sweep tasks.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Iterator, Sequence

from sim.experiment.errors import WorkerLost


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and batch
    systems restrict), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def usable_workers(requested: int, tasks: int) -> tuple[int, str | None]:
    """``requested`` workers capped at the CPUs available and the number of tasks, with a
    note saying so when capped (None when not)."""
    cpus = available_cpus()
    usable = max(1, min(requested, cpus, tasks))
    if usable == requested:
        return requested, None
    return usable, (f"clinicsim: --jobs {requested} capped at {usable} "
                    f"({cpus} CPUs available, {tasks} tasks)")


def shared_out(fn: Callable[..., Any], calls: Sequence[tuple], jobs: int
               ) -> Iterator[tuple[int, Any]]:
    """``(i, fn(*calls[i]))`` for every call, on ``jobs`` local processes (joblib's loky),
    in the order the calls finish.

    A worker that ends before its call is done (killed, or out of memory) breaks the
    pool, and joblib then gives up every call not yet finished. Those calls are made in
    this process instead, with one :class:`WorkerLost` warning: each call carries its own
    seeds, so its result is the same wherever it runs, and none is lost or made twice.
    ``frontier``, ``sweep`` and ``calibrate`` once ended there with a traceback."""
    from concurrent.futures.process import BrokenProcessPool

    from joblib import Parallel, delayed

    finished: set[int] = set()
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs",
                        batch_size=1)
    try:
        for i, result in parallel(delayed(_numbered)(fn, i, args)
                                  for i, args in enumerate(calls)):
            finished.add(i)
            yield i, result
    except BrokenProcessPool:  # loky's TerminatedWorkerError among them
        warnings.warn(WorkerLost(
            "a worker process ended before its task was done (killed, or out of memory?); "
            "its task and the rest are done in this process, with the same results"),
            stacklevel=2)
        for i, args in enumerate(calls):
            if i not in finished:
                yield i, fn(*args)


def _numbered(fn: Callable[..., Any], i: int, args: tuple) -> tuple[int, Any]:
    """A worker's call, with its number: results come back in the order they finish."""
    return i, fn(*args)
