"""Worker processes: how many a command may start, and whole tasks shared out among them.

More workers than CPUs only adds start-up time and memory (each loky or Dask worker is a
Python process with the model imported, about 150 MB), and more workers than tasks sit
idle: ``--jobs 1000`` once started hundreds of processes for a two-task sweep.

A run's replications (:func:`sim.experiment.replications.iter_runs`) and the whole tasks
:func:`shared_out` shares out (searches, cases, sweep tasks) use one kept pool of workers.
"""
from __future__ import annotations

import itertools
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
    """``(i, fn(*calls[i]))`` for every call, on ``jobs`` local processes, in the order
    the calls finish.

    The processes are the kept pool a run's replications use
    (:func:`sim.experiment.replications.submit_to_pool`): forked from this process where
    that is safe, so up in milliseconds with clinicsim imported and leaving Ctrl-C to this
    process, else loky's fresh ones. Fresh processes took about 0.75 s of a core each to
    start, and a Ctrl-C at the terminal in that time printed each one's traceback. At most
    two calls a worker are sent ahead, so a long list of calls is not all pickled at once.

    A worker that ends before its call is done (killed, or out of memory) breaks the
    pool, which then gives up every call not yet finished. Those calls are made in this
    process instead, with one :class:`WorkerLost` warning: each call carries its own
    seeds, so its result is the same wherever it runs, and none is lost or made twice.
    ``frontier``, ``sweep`` and ``calibrate`` once ended there with a traceback. A stop
    (Ctrl-C, SIGTERM) or an error ends the workers at once: they may hold long tasks."""
    from concurrent.futures import FIRST_COMPLETED, Future, wait
    from concurrent.futures.process import BrokenProcessPool

    from sim.experiment.replications import stop_worker_pool, submit_to_pool

    finished: set[int] = set()
    waiting: dict[Future, int] = {}
    ahead = iter(range(len(calls)))
    try:
        try:
            for i in itertools.islice(ahead, SENT_AHEAD * jobs):
                waiting[submit_to_pool(jobs, fn, *calls[i])] = i
            while waiting:
                done, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=waiting.__getitem__):
                    i = waiting.pop(future)
                    result = future.result()
                    finished.add(i)
                    for j in itertools.islice(ahead, 1):
                        waiting[submit_to_pool(jobs, fn, *calls[j])] = j
                    yield i, result
        except BrokenProcessPool:  # a worker ended mid-task
            stop_worker_pool()  # the next call starts a new one
            warnings.warn(WorkerLost(
                "a worker process ended before its task was done (killed, or out of "
                "memory?); its task and the rest are done in this process, with the same "
                "results"), stacklevel=2)
            for i, args in enumerate(calls):
                if i not in finished:
                    yield i, fn(*args)
    except BaseException:  # a stop, an error, or the caller done early (GeneratorExit)
        stop_worker_pool()
        raise


#: Calls sent to the pool ahead of their turn, per worker: one at work, one queued, so a
#: worker never waits for this process to hand it the next (assumption: as joblib's
#: ``pre_dispatch="2*n_jobs"`` did here before).
SENT_AHEAD = 2
