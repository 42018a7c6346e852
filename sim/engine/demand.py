"""Demand: when contacts arise, and what they are.

Each demand stream draws its daily count from a Poisson distribution with mean
rate x list size x patient-mix factor / working days, and spreads arrivals over its
time-of-day profile (a piecewise-constant rate, i.e. a non-homogeneous Poisson process).
Arrival times come from the stream's own generator and each contact's attributes from a
second stream, so the same seed gives the same patients whatever the staffing.
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
    gen = streams.generator(f"arrivals.{name}")
    n = int(gen.poisson(model.expected_per_day(name)))
    profile = model.arrival_profiles[name]
    if n == 0 or profile is None:
        return np.empty(0)
    which = profile.cdf.searchsorted(gen.random(n), side="right")
    starts = profile.starts[which]
    return np.sort(starts + gen.random(n) * (profile.ends[which] - starts))


def schedule_demand(clinic, model: CompiledScenario, streams: RandomStreams) -> None:
    """Put every contact of the day on the clinic's calendar."""
    env = clinic.env
    for name, stream in model.scenario.demand.items():
        if stream.per_patient_year <= 0 or model.scenario.population.list_size == 0:
            continue
        attributes = streams.stream(f"contacts.{name}")
        table = model.type_tables[name]
        if stream.channel == "planned":
            n = int(streams.generator(f"arrivals.{name}").poisson(model.expected_per_day(name)))
            draws = attributes.draw(n)
            contacts = [clinic.new_contact("planned", ctype, u) for ctype, u in
                        zip(pick_all(table, draws[:, _TYPE]), draws.tolist())]
            clinic.book_planned(contacts, stream.no_show)
            continue
        times = arrival_times(model, name, streams).tolist()
        draws = attributes.draw(len(times))
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
