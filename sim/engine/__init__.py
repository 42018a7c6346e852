"""The SimPy model of one clinic day."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

from sim.engine.clinic import Clinic, ConservationError
from sim.engine.demand import schedule_demand
from sim.engine.model import CompiledScenario
from sim.engine.records import DayRecords
from sim.rng import RandomStreams
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


def simulate_day(scenario: Scenario | CompiledScenario, seed: int, replication: int = 0,
                 event_log: bool = False) -> DayRecords:
    """Simulate one day and return its records.

    The random streams depend on (seed, replication) only, so the same pair gives the
    same day, and two scenarios with the same pair face the same patients.
    """
    model = scenario if isinstance(scenario, CompiledScenario) else CompiledScenario(scenario)
    with collector_paused():
        streams = RandomStreams(seed, replication)
        clinic = Clinic(model, streams, event_log)
        schedule_demand(clinic, model, streams)
        clinic.env.run()
        clinic.sweep()
    records = clinic.records
    records.arisen = len(clinic.contacts)
    for w in clinic.workers:
        records.staff.append((w.id, w.person.group, w.role, w.team, w.start, w.end, w.left_at,
                              dict(w.time)))
    clinic.release()
    return records


__all__ = ["simulate_day", "collector_paused", "CompiledScenario", "DayRecords", "ConservationError", "Clinic"]
