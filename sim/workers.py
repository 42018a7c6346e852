"""How many worker processes a command may start.

More workers than CPUs only adds start-up time and memory (each loky or Dask worker is a
Python process with the model imported, about 150 MB), and more workers than tasks sit
idle: ``--jobs 1000`` once started hundreds of processes for a two-task sweep.
"""
from __future__ import annotations

import os


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
