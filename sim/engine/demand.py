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

from typing import TYPE_CHECKING, Any, Final, Generator

import numpy as np
from librt.vecs import vec

from sim.engine.choice import pick, pick_all
from sim.engine.durations import Duration
from sim.engine.model import CompiledScenario
from sim.draws import FIRST_BLOCK_ROWS, MAX_BLOCK_ROWS, DecisionRows
from sim.rng import CONTACT_DRAWS, DRAW, RandomStreams

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.calendar import RunCalendar
    from sim.engine.clinic import Clinic
    from sim.engine.population import Listing, Patients

_TYPE: Final = DRAW["type"]
_PATIENT: Final = DRAW["patient"]
#: A contact's row of decision draws: one per decision (``sim.rng.CONTACT_DRAWS``).
ROW: Final = len(CONTACT_DRAWS)
#: Draws in a piece of rows contacts share (whole rows): a contact keeps its piece and
#: where its row starts in it. A piece is small enough that any draw's place in it is
#: below 256, a number Python keeps made: compiled, reading a draw makes its place a
#: Python integer, and a larger one was a new object for each draw read.
PIECE: Final = (256 // ROW) * ROW

#: The most arrivals of an outreach stream's day given their types in plain Python rather
#: than with NumPy: both give the same types, and a NumPy call costs about a microsecond
#: whatever its size (experiments/performance.md, "A small practice's day").
FEW = 32
#: The most arrivals of a stream worked out at once (:meth:`DemandStream.day`; a busier
#: day is worked out alone): as many as a block of decision rows holds at most
#: (``sim.draws.MAX_BLOCK_ROWS``), so that the rows held stay the same in long runs.
CHUNK_ROWS = MAX_BLOCK_ROWS


class DemandStream:
    """One demand stream of a run, looked up once a run rather than every day.

    Its daily counts are drawn for the whole run at once: a generator's Poisson draws for
    an array of means are its draws for each mean in turn, so the counts are those of a draw
    a day. An outreach stream's count is drawn on the days its block is held, as they come.
    ``factors`` are the run's days' demand factors (weekday x season), ``weekdays``
    their names, day by day; ``timed``: whether the stream has an arrival profile on any
    of those days.

    The other streams' arrivals are worked out some days at a time (:meth:`day`): their
    times, types, patients and rows of draws in a few NumPy calls for up to
    :data:`CHUNK_ROWS` arrivals, where a day at a time took about ten calls per stream and
    day whatever its arrivals. The draws are taken in the same order, and the same
    operations made on the same doubles, so the same days come out whatever the chunks.
    """

    __slots__ = ("name", "channel", "block", "counts", "count_stream", "mean", "arrivals",
                 "contacts", "table", "patience", "weekdays", "_first", "_stop", "_offsets",
                 "_times", "_ctypes", "_patients", "_listings", "_flat")

    def __init__(self, model: CompiledScenario, name: str, streams: RandomStreams,
                 factors: list[float], weekdays: list[str], timed: bool,
                 patience: Duration | None):
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
        # a stream with no profile on any of the run's days (planned requests, placed at
        # opening) or an outreach stream draws no arrival times: its two streams stay
        # unopened (each stream is seeded by its name, so the others' draws are the same)
        self.arrivals: DecisionRows | None = (
            streams.arrival_rows(name, rows) if timed and self.counts is not None else None)
        self.contacts = streams.decision_rows(name, rows)
        self.table = model.type_tables[name]
        self.patience = patience
        self.weekdays = weekdays
        self._first = self._stop = 0  # the days worked out: [_first, _stop)
        self._offsets: list[int] = []  # each of those days' first arrival in the lists below
        self._times: list[float] = []  # arrival times, day by day, each day's unsorted
        self._ctypes: list[str] = []
        self._patients: list[int] = []
        self._listings: list[Listing] = []  # the patients' listings
        self._flat: vec[float] = vec[float]()  # the arrivals' decision rows, in turn

    def day(self, model: CompiledScenario, patients: Patients, index: int
            ) -> tuple[list[float], list[str], list[int], list[Listing], vec[float], int]:
        """Day ``index``'s arrivals (not of an outreach stream; the days asked for in
        order): their times, sorted, and each one's contact type, patient and the patient's
        listing; and the vector their rows of decision draws are in, one after another,
        from the place given."""
        if index >= self._stop:
            self._work_out(model, patients, index)
        counts = self.counts
        assert counts is not None  # only streams with their counts drawn ahead
        n = counts[index]
        start = self._offsets[index - self._first]
        times = self._times[start:start + n]
        times.sort()
        return (times, self._ctypes[start:start + n], self._patients[start:start + n],
                self._listings[start:start + n], self._flat, start * ROW)

    def _work_out(self, model: CompiledScenario, patients: Patients, first: int) -> None:
        """The arrivals of the days from ``first`` on, up to :data:`CHUNK_ROWS` of them
        (at least a day's). A stream's profile may differ by weekday: a stretch of days
        with the same profile is one calculation, and a day without one places its
        arrivals at opening, taking no draws."""
        counts = self.counts
        assert counts is not None
        stop, rows = first, 0
        while stop < len(counts) and (stop == first or rows + counts[stop] <= CHUNK_ROWS):
            rows += counts[stop]
            stop += 1
        offsets = [0] * (stop - first)
        times: list[float] = []
        profiles = model.day_profiles
        d = first
        while d < stop:
            profile = profiles[self.weekdays[d]][self.name]
            end, n = d, 0
            while end < stop and profiles[self.weekdays[end]][self.name] is profile:
                offsets[end - first] = len(times) + n
                n += counts[end]
                end += 1
            if profile is None:  # planned requests without a profile: at opening
                for day in range(d, end):
                    times.extend([model.opening[self.weekdays[day]][0]] * counts[day])
            elif n:
                arrivals = self.arrivals
                assert arrivals is not None  # opened where a day of the run has a profile
                draws = arrivals.take(n)  # columns: window, offset
                which = profile.cdf.searchsorted(draws[:, 0], side="right")
                starts = profile.starts[which]
                times.extend((starts + draws[:, 1] * (profile.ends[which] - starts)).tolist())
            d = end
        draws = self.contacts.take(rows)
        self._first, self._stop, self._offsets, self._times = first, stop, offsets, times
        self._ctypes = pick_all(self.table, draws[:, _TYPE])
        self._patients = patients.pick(draws[:, _PATIENT]).tolist()
        self._listings = patients.listings(self._patients)
        self._flat = flat_rows(draws)


def run_demand(model: CompiledScenario, streams: RandomStreams, calendar: RunCalendar,
               patience: dict[str, Duration | None]) -> list[DemandStream]:
    """The demand streams that bring contacts in this run, in the scenario's order, with
    their callers' patience (``patience``: the run's, by stream)."""
    if model.scenario.population.list_size == 0:
        return []
    days = calendar.days()
    factors = [day.demand_factor for day in days]  # each day's weekday x season
    weekdays = [day.name for day in days]
    # the streams with an arrival profile on any of the run's weekdays
    timed = {name for weekday in set(weekdays)
             for name, profile in model.day_profiles[weekday].items() if profile is not None}
    return [DemandStream(model, name, streams, factors, weekdays, name in timed,
                         patience.get(name))
            for name, stream in model.scenario.demand.items() if stream.per_patient_year > 0]


def schedule_demand(clinic: Clinic, model: CompiledScenario,
                    demand: list[DemandStream]) -> None:
    """Put every new contact of the day on the clinic's calendar."""
    env, patients, day = clinic.env, clinic.run.patients, clinic.day
    for stream in demand:
        if stream.counts is not None:
            times, ctypes, picked, listed, rows, first = stream.day(model, patients,
                                                                    day.index)
        else:  # outreach: on days with its block, waiting at its start
            start = block_start(clinic, stream.block)
            if start is None:
                continue
            n = int(stream.count_stream.poisson(stream.mean * day.demand_factor))
            times = [start] * n
            draws = stream.contacts.take(n)
            rows = flat_rows(draws)
            table = stream.table
            ctypes = ([pick(table, rows[i * ROW + _TYPE]) for i in range(n)] if n <= FEW
                      else pick_all(table, draws[:, _TYPE]))
            picked = patients.pick(draws[:, _PATIENT]).tolist()
            listed = patients.listings(picked)
            first = 0
        env.process(_arrivals(clinic, stream.name, stream.channel, times, ctypes, picked,
                              listed, rows, first, stream.patience))


def block_start(clinic: Clinic, kind: str | None) -> float | None:
    """When the first block of ``kind`` starts today among the people in, or None."""
    run = clinic.run
    starts = [b.start for w in clinic.workers for b in run.plan_blocks(w.person)
              if b.kind == kind]
    return min(starts) if starts else None


def flat_rows(draws: np.ndarray) -> vec[float]:
    """Rows of decision draws one after another, as one compact vector of doubles (the
    same floats as the rows'): a contact waiting weeks (an unanswered inbox item) keeps its
    day's in 120 bytes a contact, where a list of Python floats took about 500. The rows
    (consecutive rows of a C-ordered block) are copied once, from their own memory. A
    vector, not an ``array("d")``: the compiled engine reads a draw of it as a machine
    double in place (about 4 ns), where an array's item was a generic look-up that boxed
    the index and the value (about 30 ns; three draws a contact)."""
    if not draws.size:
        return vec[float]()
    return vec[float](np.ascontiguousarray(draws).reshape(-1))  # rows in order


class DrawPieces:
    """Rows of decision draws, one after another in ``draws`` from place ``first``,
    handed out a contact at a time in pieces of at most :data:`PIECE` draws, cut as they
    are needed: a contact keeps its piece (``rows`` as its row is handed out) and where its
    row starts in it, so one waiting weeks keeps its piece, not the day's or the block's
    draws."""

    __slots__ = ("_draws", "_next", "rows", "_at")

    def __init__(self, draws: vec[float], first: int = 0) -> None:
        self._draws = draws
        self._next = first  # where the next piece starts in ``draws``
        self.rows: vec[float] = vec[float]()  # the piece being handed out
        self._at = 0  # where the next row starts in it

    def next(self) -> int:
        """Where the next row starts in ``rows`` (read ``rows`` after this call: a new
        piece replaces it when one runs out)."""
        at = self._at
        if at >= len(self.rows):
            start = self._next
            self.rows, self._next, at = self._draws[start:start + PIECE], start + PIECE, 0
        self._at = at + ROW
        return at

    def exhausted(self) -> bool:
        """Whether every row of ``draws`` has been handed out."""
        return self._at >= len(self.rows) and self._next >= len(self._draws)


def _arrivals(clinic: Clinic, stream: str, channel: str, times: list[float], ctypes: list[str],
              patients: list[int], listed: list[Listing], draws: vec[float], first: int,
              patience: Duration | None) -> Generator[Any, Any, None]:
    """One demand stream's arrivals, in time order, each with its row of ``draws`` (the
    first at place ``first``; see :class:`DrawPieces`). A process per stream keeps one
    pending timer each in SimPy's event heap, not one per contact of the day: a smaller
    heap makes every event's push and pop cheaper."""
    env = clinic.env
    pieces = DrawPieces(draws, first)
    for t, ctype, patient, listing in zip(times, ctypes, patients, listed):
        if t > env._now:
            yield t - env._now  # minutes asleep
        at = pieces.next()
        clinic.arrive(stream, channel, ctype, pieces.rows, at, patient, listing, patience)
