"""Demand: when contacts arise, and what they are.

Each demand stream draws its daily count from a Poisson distribution with mean
rate x list size x patient-mix factor / working days, and spreads arrivals over its
time-of-day profile (a piecewise-constant rate, i.e. a non-homogeneous Poisson process).
The count, the arrival windows, the times within them and each of a contact's decisions
come from streams of their own (:mod:`sim.rng`), so the same seed gives the same patients
whatever the staffing.
"""
from __future__ import annotations

from typing import Generator
import numpy as np

from sim.engine.model import CompiledScenario, pick_all
from sim.rng import DRAW, RandomStreams

_TYPE = DRAW["type"]


def arrival_times(model: CompiledScenario, name: str, streams: RandomStreams) -> np.ndarray:
    """The day's arrival times of stream ``name``, sorted.

    A window is chosen per arrival by inverse transform on the profile's cumulative shares
    (the same draws ``Generator.choice`` with ``p`` makes), then a time uniformly within it.
    """
    n = daily_count(model, name, streams)
    profile = model.arrival_profiles[name]
    if n == 0 or profile is None:
        return np.empty(0)
    which = profile.cdf.searchsorted(streams.generator(f"arrivals.{name}.window").random(n),
                                     side="right")
    starts = profile.starts[which]
    offsets = streams.generator(f"arrivals.{name}.offset").random(n)
    return np.sort(starts + offsets * (profile.ends[which] - starts))


def daily_count(model: CompiledScenario, name: str, streams: RandomStreams) -> int:
    """How many contacts demand stream ``name`` brings today (Poisson)."""
    return int(streams.generator(f"arrivals.{name}.count").poisson(model.expected_per_day(name)))


def schedule_demand(clinic, model: CompiledScenario, streams: RandomStreams) -> None:
    """Put every contact of the day on the clinic's calendar."""
    env = clinic.env
    for name, stream in model.scenario.demand.items():
        if stream.per_patient_year <= 0 or model.scenario.population.list_size == 0:
            continue
        table = model.type_tables[name]
        if stream.channel == "planned":
            draws = streams.contact_draws(name, daily_count(model, name, streams))
            contacts = [clinic.new_contact("planned", ctype, u) for ctype, u in
                        zip(pick_all(table, draws[:, _TYPE]), draws.tolist())]
            clinic.book_planned(contacts, stream.no_show)
            continue
        times = arrival_times(model, name, streams).tolist()
        draws = streams.contact_draws(name, len(times))
        env.process(_arrivals(clinic, stream.channel, times, pick_all(table, draws[:, _TYPE]),
                              draws.tolist(), model.patience[name]))


def _arrivals(clinic, channel: str, times: list[float], ctypes: list[str],
              draws: list[list[float]], patience) -> Generator:
    """One demand stream's arrivals, in time order. A process per stream keeps one pending
    timer each in SimPy's event heap, not one per contact of the day: a smaller heap makes
    every event's push and pop cheaper."""
    env = clinic.env
    for t, ctype, u in zip(times, ctypes, draws):
        yield env.timeout(t - env.now)
        clinic.arrive(channel, ctype, u, patience)
