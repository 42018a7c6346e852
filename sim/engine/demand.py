"""Demand: when contacts arise on a day, what they are, and whose they are.

Each demand stream draws its daily count from a Poisson distribution with mean
rate x list size x patient-mix factor / working days x the day's weekday and season
factor, and spreads arrivals over its time-of-day profile (a piecewise-constant rate,
i.e. a non-homogeneous Poisson process); requests for a planned appointment with no
profile arise at opening. Each contact belongs to a listed patient drawn in proportion to
the patients' contact rates. The count, the arrival windows, the times within them and
each of a contact's decisions come from streams of their own (:mod:`sim.rng`), so the
same seed gives the same patients whatever the staffing.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from typing import TYPE_CHECKING, Any, Generator

import numpy as np

from sim.engine.choice import pick, pick_all
from sim.engine.durations import Duration
from sim.engine.model import CompiledScenario
from sim.rng import DRAW, FIRST_BLOCK_ROWS, DecisionRows, RandomStreams, compact_rows

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.calendar import RunCalendar
    from sim.engine.clinic import Clinic

_TYPE, _PATIENT = DRAW["type"], DRAW["patient"]

#: The most arrivals of one stream in a day placed in plain Python rather than with NumPy.
#: Both give the same numbers; a NumPy call costs about a microsecond whatever its size,
#: and a stream's day takes about ten of them, more than a Python loop over this many
#: arrivals (experiments/performance.md, "A small practice's day").
FEW = 32


class DemandStream:
    """One demand stream of a run, looked up once a run rather than every day.

    Its daily counts are drawn for the whole run at once: a generator's Poisson draws for
    an array of means are its draws for each mean in turn, so the counts are those of a draw
    a day. An outreach stream's count is drawn on the days its block is held, as they come.
    ``factors`` are the run's days' demand factors (weekday x season), day by day.
    """

    __slots__ = ("name", "channel", "block", "counts", "count_stream", "mean", "arrivals",
                 "contacts", "table", "patience")

    def __init__(self, model: CompiledScenario, name: str, streams: RandomStreams,
                 factors: list[float], patience: Duration | None):
        stream = model.scenario.demand[name]
        self.name, self.channel, self.block = name, stream.channel, stream.block
        self.count_stream = streams.generator(f"arrivals.{name}.count")
        self.mean = model.expected_per_day(name)
        self.counts: list[int] | None = None
        rows = FIRST_BLOCK_ROWS
        if stream.channel != "outreach":
            self.counts = self.count_stream.poisson(
                [self.mean * factor for factor in factors]).tolist()
            rows = sum(self.counts)  # the run's rows in one block (up to the largest)
        self.arrivals = streams.arrival_rows(name, rows)
        self.contacts = streams.decision_rows(name, rows)
        self.table = model.type_tables[name]
        self.patience = patience


def run_demand(model: CompiledScenario, streams: RandomStreams, calendar: RunCalendar,
               patience: dict[str, Duration | None]) -> list[DemandStream]:
    """The demand streams that bring contacts in this run, in the scenario's order, with
    their callers' patience (``patience``: the run's, by stream)."""
    if model.scenario.population.list_size == 0:
        return []
    factors = [day.demand_factor for day in calendar.days()]  # each day's weekday x season
    return [DemandStream(model, name, streams, factors, patience.get(name))
            for name, stream in model.scenario.demand.items() if stream.per_patient_year > 0]


def arrival_times(model: CompiledScenario, name: str, rows: DecisionRows,
                  n: int, weekday: str) -> list[float]:
    """``n`` arrival times of stream ``name`` on ``weekday``, sorted.

    A window is chosen per arrival by inverse transform on the profile's cumulative shares
    (the same draws ``Generator.choice`` with ``p`` makes), then a time uniformly within it;
    ``rows`` are the stream's draws (:meth:`sim.rng.RandomStreams.arrival_rows`). A day with
    up to :data:`FEW` arrivals is worked in plain Python, a busier one with NumPy: the same
    operations on the same doubles, so the same times.
    """
    profile = model.day_profiles[weekday][name]
    if n == 0:
        return []
    if profile is None:  # planned requests without a profile: at opening
        return [model.opening[weekday][0]] * n
    draws = rows.take(n)  # columns: window, offset
    if n <= FEW:
        cdf, starts, ends = profile.windows
        times = []
        for u, offset in draws.tolist():
            i = bisect_right(cdf, u)
            start = starts[i]
            times.append(start + offset * (ends[i] - start))
        times.sort()
        return times
    which = profile.cdf.searchsorted(draws[:, 0], side="right")
    starts_of = profile.starts[which]
    return np.sort(starts_of + draws[:, 1] * (profile.ends[which] - starts_of)).tolist()


def schedule_demand(clinic: Clinic, model: CompiledScenario,
                    demand: list[DemandStream]) -> None:
    """Put every new contact of the day on the clinic's calendar."""
    env, patients, day = clinic.env, clinic.run.patients, clinic.day
    for stream in demand:
        if stream.counts is None:  # outreach: on days with its block, waiting at its start
            start = block_start(clinic, stream.block)
            if start is None:
                continue
            times = [start] * int(stream.count_stream.poisson(stream.mean * day.demand_factor))
        else:
            times = arrival_times(model, stream.name, stream.arrivals,
                                  stream.counts[day.index], day.name)
        n = len(times)
        draws, rows = stream.contacts.take_rows(n)
        table = stream.table
        ctypes = ([pick(table, row[_TYPE]) for row in rows] if n <= FEW
                  else pick_all(table, draws[:, _TYPE]))
        env.process(_arrivals(clinic, stream.name, stream.channel, times, ctypes,
                              patients.pick(draws[:, _PATIENT]).tolist(), rows,
                              stream.patience))


def block_start(clinic: Clinic, kind: str | None) -> float | None:
    """When the first block of ``kind`` starts today among the people in, or None."""
    starts = [b.start for w in clinic.workers for b in w.plan if b.kind == kind]
    return min(starts) if starts else None


def draw_rows(draws: np.ndarray) -> list[array]:
    """Each contact's row of decision draws as a compact array of doubles
    (:func:`sim.rng.compact_rows`), from an array of the rows."""
    rows, width = draws.shape
    return compact_rows(array("d", draws.tobytes()), 0, rows, width)  # float64 rows, in order


def _arrivals(clinic: Clinic, stream: str, channel: str, times: list[float], ctypes: list[str],
              patients: list[int], draws: list[array],
              patience: Duration | None) -> Generator[Any, Any, None]:
    """One demand stream's arrivals, in time order. A process per stream keeps one pending
    timer each in SimPy's event heap, not one per contact of the day: a smaller heap makes
    every event's push and pop cheaper."""
    env = clinic.env
    for t, ctype, patient, u in zip(times, ctypes, patients, draws):
        if t > env._now:
            yield t - env._now  # minutes asleep
        clinic.arrive(stream, channel, ctype, u, patient, patience)
