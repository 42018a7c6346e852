"""The SimPy model of a practice: runs of consecutive working days with a memory."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sim.engine.calendar import Day, RunCalendar
from sim.engine.errors import ConservationError
from sim.engine.model import CompiledScenario
from sim.engine.records import DayRecords
from sim.engine.run import simulate_run
from sim.scenario.schema import Scenario


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (re-entrant; restores its state).

    A day allocates many small objects that live until its end, so the cyclic collector
    would scan them over and over (a third of the run time in profiles). A finished day
    breaks the one cycle it builds (clinic <-> workers), so reference counting frees it
    and memory stays flat with the collector paused across many days: loops over
    replications pause it once around the whole loop.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compiled(scenario: Scenario | CompiledScenario) -> CompiledScenario:
    return scenario if isinstance(scenario, CompiledScenario) else CompiledScenario(scenario)


def simulate_day(scenario: Scenario | CompiledScenario | str | Path, seed: int,
                 replication: int = 0, event_log: bool = False) -> DayRecords:
    """Simulate one day on its own: a run of a single working day (the calendar's first
    weekday) with no warm-up, so it starts with an empty book. Whatever the day leaves
    booked or waiting gets its after-run outcome in ``records.after_run``. ``scenario``:
    a loaded scenario (or a compiled one), a bundled name or a file.

    The random streams depend on (seed, replication) only, so the same pair gives the
    same day, and two scenarios with the same pair face the same patients.
    """
    from sim.arguments import flag

    event_log = flag("event_log", event_log)  # "false" is true to Python
    if not isinstance(scenario, CompiledScenario):
        from sim.scenario.loading import as_scenario  # (only here: YAML is not the run's)

        scenario = as_scenario(scenario)
    model = compiled(scenario)
    calendar = RunCalendar(model.scenario.calendar, days=1, warmup_days=0)
    with collector_paused():
        (records,) = list(simulate_run(model, seed, replication, calendar, event_log))
    return records


__all__ = ["simulate_day", "simulate_run", "collector_paused", "compiled", "CompiledScenario",
           "DayRecords", "ConservationError", "RunCalendar", "Day"]
