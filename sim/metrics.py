"""From days' compact records to a run's metrics, and from runs to summaries.

A run (replication) of W measured weeks gives one value per metric, with a weight, in a
tidy row ``(metric, role, activity, weekday, value, weight)``; ``role``, ``activity`` and
``weekday`` are ``None`` where they do not apply (``weekday`` is set for the per-weekday
figures). Metric names are documented in the README ("Metrics"). Three kinds:

* **per day**: a count or total per working day (calls offered, minutes of staff time,
  appointments in the book at closing): the run's total over its measured days divided by
  their number, so a day with none counts as zero; weight = measured days;
* **pooled ratio**: a per-contact or per-minute mean (phone wait, abandonment, utilisation,
  planned wait): the run's total of the numerator over the total of the denominator, so a
  busy day weighs more than a quiet one; weight = the denominator (calls, minutes, ...);
  undefined (NaN, weight 0) in a run with no denominator;
* **per run**: figures of the run as a whole (90th percentiles over all its waits, the
  backlog's trend, what was still booked when it ended); weight 1.

Across runs, :func:`summarise` pools ``value x weight / weight`` with a ratio estimator's
confidence interval (:mod:`sim.estimators`): the mean per day, or the mean per contact over
every contact of every run. Runs are independent; days within a run are not, and are never
treated as samples. The conservation of contacts is checked over each whole run by the
engine; every day's time accounting is checked here before any metric is computed.
"""
from __future__ import annotations

import math
import operator
from array import array
from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from typing import TYPE_CHECKING, Callable, Final, Iterable

import numpy as np

from sim.arguments import confidence
from sim.engine.contacts import AFTER_RUN, CALENDAR_TASK, OUTCOMES, REQUESTED
from sim.engine.errors import ConservationError
from sim.engine.model import CompiledScenario
from sim.engine.records import (BOOKING_COLUMNS, CONTACT_COLUMNS, STAFF_COLUMNS,
                                DayRecords)
from sim.estimators import RatioSums, intervals
from sim.labels import COUNTED_SHARES, counts_events, metric_bounds
from sim.scenario.schema import ACTIVITIES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # type: ignore[import-untyped]

#: Outcomes where the practice did something for the patient (a handled contact).
HANDLED: Final = ("resolved_on_phone", "consulted", "inbox_handled", "home_visit", "referred")
SEEN: Final = ("consulted", "home_visit")
#: Outcomes of a caller who never reached anyone (after any redials).
GAVE_UP: Final = ("abandoned", "line_closed")
WORKING: Final = ("consulting", "phone", "supervising", "being_supervised", "inbox_admin",
                  "home_visits")
#: Where each of WORKING is in ACTIVITIES (a person's minutes are in that order)
_WORKING_AT: Final = tuple(ACTIVITIES.index(a) for a in WORKING)
TASK_KINDS: Final = ("call", "consult", "inbox", "home_visit", "question", "joint", "message")
DAY_OUTCOMES: Final = tuple(o for o in OUTCOMES if o not in AFTER_RUN)
#: Each outcome of a day with the name of its per-day metric
_OUTCOME_METRICS: Final = tuple((o, f"outcome_{o}") for o in DAY_OUTCOMES)
TIME_TOLERANCE: Final = 1e-6
#: The tasks of a role that did none on a day (read only)
_NO_TASKS: Final[dict[str, int]] = {}
#: Percentile of a run's waits reported as ``*_p90_*``.
PERCENTILE: Final = 90
_ENDED: Final = "a run's metrics end when its rows are read: add its days before rows()"

KEYS = ["metric", "role", "activity", "weekday"]
Key = tuple[str, str | None, str | None]
Row = tuple[str, str | None, str | None, str | None, float, float]

#: Metrics with neither role nor activity (targets and stopping rules name these).
OVERALL_METRICS: tuple[str, ...] = (
    "calls_offered", "calls_answered", "calls_abandoned", "calls_retried",
    "abandonment_rate", "callers_gave_up_rate", "phone_wait_mean_min", "phone_wait_p90_min",
    "phone_wait_all_mean_min", "acute_same_day_rate", "acute_same_day_in_hours_rate",
    "call_to_consult_wait_mean_min", "tnaa_days", "planned_slots_booked_ahead",
    "planned_requests",
    "requested_wait_mean_days", "planned_wait_mean_days", "planned_wait_p90_days",
    "backlog_planned",
    "backlog_trend_per_week", "continuity_own_gp", "turned_away", "contacts_arisen",
    "contacts_carried_over", "carried_trend_per_week", *(f"outcome_{o}" for o in OUTCOMES),
    "contacts_handled_total", "questions_unanswered", "overtime_min",
    "nonphysician_consult_share", "doctor_min_per_contact", "staff_cost_dkk",
    "cost_per_contact_dkk", "cost_per_patient_year_dkk",
)
#: Metrics given by role only, one row per role (``tnaa_days`` and ``overtime_min`` have
#: a practice-wide row as well, so they are among the overall metrics too).
ROLE_METRICS: tuple[str, ...] = ("time_use_min", "utilisation", "contacts_handled",
                                 "continuity_own_clinician")
def practice_metric_expected(name: str) -> str:
    """What a target or stopping rule should have named instead of ``name``, which is not
    among :data:`OVERALL_METRICS`: a metric given by role only says so; a misspelling gets
    the closest names."""
    import difflib

    if name in ROLE_METRICS:
        return (f"a practice-wide metric ({name} is given by role only, one figure per "
                "role, so it cannot be a target or a stopping rule)")
    close = difflib.get_close_matches(name, OVERALL_METRICS, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"a practice-wide metric from the README's Metrics table{hint}"


#: Metrics computed once per run, not per day (weight 1).
RUN_METRICS = ("phone_wait_p90_min", "planned_wait_p90_days", "backlog_trend_per_week",
               "carried_trend_per_week",
               *(f"outcome_{o}" for o in AFTER_RUN))
#: Metrics with a role that are also given per weekday.
WEEKDAY_ROLE_METRICS = ("utilisation", "tnaa_days", "planned_slots_booked_ahead")


def check_time(records: DayRecords) -> None:
    """Every person's activities add up to their hours plus overtime. A failure is a model
    bug (contacts are conserved over the whole run, checked by the engine)."""
    for sid, _group, _role, _team, start, _end, left, time in records.staff:
        spent: dict[str, float] = time
        total = 0.0  # a check within a tolerance: a plain sum (fsum's exactness buys nothing)
        for minutes in spent.values():
            total += minutes
        if abs(total - (left - start)) > TIME_TOLERANCE * max(1.0, total):
            raise ConservationError(
                f"{sid}: activities add up to {total:.3f} min but {left - start:.3f} min passed")


def check_conservation(days: Iterable[DayRecords]) -> None:
    """Over the days of a whole run: each contact that arose ended exactly once (on a day,
    or with an after-run outcome), outcomes are known, and each day's time adds up."""
    days = list(days)
    ids: list[int] = []
    arisen = 0
    for records in days:
        check_time(records)
        arisen += records.arisen
        ids += [c[0] for c in records.contacts] + [c[0] for c in records.after_run]
        unknown = {c[6] for c in records.contacts} - set(OUTCOMES)
        if unknown:
            raise ConservationError(f"unknown outcomes recorded: {sorted(unknown)}")
    if len(ids) != arisen or len(set(ids)) != len(ids):
        raise ConservationError(
            f"{arisen} contacts arose but {len(ids)} outcomes were recorded "
            f"({len(ids) - len(set(ids))} duplicated)")


class Cell:
    """A metric's sums over a run's measured days: of its value (or numerator) and of its
    weight (days, or denominator). Fields of a class of the compiled engine's own, so that
    the day's additions are of machine floats: a list's items are Python floats, each sum
    a new object (a small practice's day adds to about 130 cells)."""

    __slots__ = ("num", "den", "run", "touched")

    def __init__(self) -> None:
        self.num = 0.0
        self.den = 0.0
        #: a weekday's cell: the run's cell of the same metric and role, which every
        #: addition to this one also goes to (None: this is the run's cell)
        self.run: Cell | None = None
        #: whether this run has looked the cell up: only those give rows, as a run that
        #: made its cells afresh would have made just those (see :class:`MetricCells`)
        self.touched = False


class Tally:
    """A day's count of one outcome (or of one kind of task, for a person), as a machine
    integer (a dict of counts makes a new int object at each count past 256, and looks the
    outcome up twice)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class DayCells:
    """The cells a day of one weekday adds to (or, for weekday None, the run's alone),
    found by metric and role name: a day adds to about 35 of them. Each found cell is the
    weekday's, linked to the run's, so one lookup serves both; a key tuple built and
    hashed for each was a tenth of a small practice's metric work, and three nested
    lookups (metric, role, weekday) a tenth again."""

    __slots__ = ("_sums", "_weekday", "_run", "_plain", "_by_role")

    def __init__(self, sums: dict[tuple, Cell], weekday: str | None,
                 run: DayCells | None = None):
        self._sums = sums
        self._weekday = weekday
        #: a weekday's view: the run's own (weekday None), which makes the run's cells
        self._run = run
        self._plain: dict[str, Cell] = {}  # metric -> cell, without a role
        self._by_role: dict[str, dict[str, Cell]] = {}  # role -> metric -> cell

    def cell(self, metric: str, role: str | None = None) -> Cell:
        """The cell of ``metric`` (for ``role``) this view adds to, made on first use."""
        if role is None:
            cell = self._plain.get(metric)
            if cell is None:
                cell = self._plain[metric] = self._made(metric, None)
        else:
            mine = self._by_role.get(role)
            if mine is None:
                mine = self._by_role[role] = {}
            cell = mine.get(metric)
            if cell is None:
                cell = mine[metric] = self._made(metric, role)
        cell.touched = True
        run = cell.run
        if run is not None:
            run.touched = True
        return cell

    def ratio(self, metric: str, num: float, den: float, role: str | None = None) -> None:
        """Add a day's numerator and denominator of ``metric`` (for ``role``) to the run's
        cell and the weekday's; the metric is their ratio over the run."""
        cell = self.cell(metric, role)
        cell.num += num
        cell.den += den
        run = cell.run
        if run is not None:
            run.num += num
            run.den += den

    def per_day(self, metric: str, value: float, role: str | None = None) -> None:
        """Add a day's ``value`` of ``metric``: a mean over days, a ratio whose denominator
        counts the days."""
        self.ratio(metric, value, 1.0, role)

    def _made(self, metric: str, role: str | None) -> Cell:
        """The cell this view adds to first (the run's made first, as rows are keyed). The
        run's cell is found by name through the run's view, and a weekday's is new: only
        this view makes its weekday's cells, once each (a key tuple hashed for a look-up
        that always missed was a large part of a short run's cells' cost)."""
        if self._run is None:
            return _cell(self._sums, (metric, role, None, None))
        run = self._run.cell(metric, role)
        cell = self._sums[(metric, role, None, self._weekday)] = Cell()
        cell.run = run
        return cell


def _cell(sums: dict[tuple, Cell], key: tuple) -> Cell:
    """The cell of ``key`` in ``sums``, made on first use (a plain dict: a defaultdict's
    missing key went through its factory by a generic call, most of a short run's cells'
    cost)."""
    cell = sums.get(key)
    if cell is None:
        cell = sums[key] = Cell()
    return cell


class MetricCells:
    """A run's cells, with the views and look-ups that find them, kept from one run of a
    scenario to the next (:meth:`MetricSetup.take_cells`): a small practice's 2-week run
    made its 300 cells, their keys and its views' dicts afresh in its first week, about 2 %
    of the run's time ([3] of the benchmark); a later run zeroes them instead. A cell
    gives a row only once this run has looked it up (``Cell.touched``), when a run making
    its cells afresh would have made it: rows are the same either way, in the order the
    cells keep (:meth:`in_row_order`)."""

    __slots__ = ("sums", "days", "by_metric", "role_minutes", "_row_order", "_ordered")

    def __init__(self) -> None:
        self.sums: dict[tuple, Cell] = {}  # (metric, role, activity, weekday) -> its sums
        #: weekday (None: the run's alone) -> the cells a day adds to
        self.days: dict[str | None, DayCells] = {}
        #: (metric, role) -> the role's per-day cells of the metric by activity
        self.by_metric: dict[tuple[str, str], list[tuple[str, Cell]]] = {}
        #: role -> a cell for each activity, for a day's minutes (reset as each day uses
        #: them: a dozen cells made and freed for each role and day were a twentieth of a
        #: short run's metric work)
        self.role_minutes: dict[str, list[Cell]] = {}
        #: the cells that give rows and the run's own figures (RUN_METRICS, with no cell),
        #: in the order of a run's rows, and how many cells there were when it was sorted
        self._row_order: list[tuple[tuple, Cell | None]] = []
        self._ordered = -1

    def in_row_order(self) -> list[tuple[tuple, Cell | None]]:
        """The cells that give rows (by metric, role, activity, weekday) and the keys of the
        run's own figures (RUN_METRICS, with None for a cell), in the order of a run's rows:
        sorted once for these cells, until a run makes a new one (a small practice's run
        spent 0.1 ms sorting its rows). A run's rows are those of the cells it looked up."""
        if self._ordered != len(self.sums):
            order: list[tuple[tuple, Cell | None]] = [
                (key, cell) for key, cell in self.sums.items() if _gives_row(key)]
            order += [((metric, None, None, None), None) for metric in RUN_METRICS]
            order.sort(key=_order_of)
            self._row_order, self._ordered = order, len(self.sums)
        return self._row_order

    def zeroed(self) -> MetricCells:
        """These cells as a new run finds them: at zero, none looked up yet."""
        for cell in self.sums.values():
            cell.num = 0.0
            cell.den = 0.0
            cell.touched = False
        return self


class MetricSetup:
    """What a scenario's runs read of it for their metrics (its roles by kind, their costs),
    worked out once for all its runs: a 2-week run of a small practice spent about 2 % of
    its metric work reading them from the scenario's plain-Python objects. Read only, but
    for the cells of ended runs it keeps for the next ones (:meth:`take_cells`)."""

    __slots__ = ("roles", "bookable", "doctors", "list_roles", "own_roles", "task_kinds",
                 "cost", "spare_cells")

    def __init__(self, model: CompiledScenario) -> None:
        s = model.scenario
        self.roles: list[str] = sorted(s.present_roles() & set(s.roles))
        self.bookable: list[str] = list(model.bookable_roles)
        self.doctors: set[str] = {r for r, spec in s.roles.items() if spec.doctor}
        self.list_roles: set[str] = {r for r, spec in s.roles.items() if spec.keeps_list}
        #: roles patients are listed with besides the GP (a fixed nurse)
        self.own_roles: list[str] = sorted(s.population.own_clinician)
        #: kinds of task counted per role (histories and assisting only where a scenario
        #: has them)
        self.task_kinds: tuple[str, ...] = TASK_KINDS + (
            ("history",) if model.history_before else ()) + (
            ("assist",) if model.assist_routes else ())
        self.cost: dict[str, float] = {r: spec.cost_per_hour / 60.0
                                       for r, spec in s.roles.items()}
        #: cells of this scenario's ended runs, each taken by one run at a time (runs in
        #: other threads take others: a list's ``pop`` and ``append`` are single steps)
        self.spare_cells: list[MetricCells] = []

    def take_cells(self) -> MetricCells:
        """Cells for a new run: an ended run's, zeroed, else new ones."""
        try:
            return self.spare_cells.pop().zeroed()
        except IndexError:
            return MetricCells()


#: The last model whose runs' metrics were set up, and its set-up: a scenario's runs come
#: one after another, and only the last model is kept alive by it (a capacity search
#: makes a model for each list size it tries).
_LAST_SETUP: list[tuple[CompiledScenario, MetricSetup]] = []


def _setup_of(model: CompiledScenario) -> MetricSetup:
    """``model``'s metric set-up, worked out by the first of its runs in a row."""
    last = _LAST_SETUP[0] if _LAST_SETUP else None
    if last is None or last[0] is not model:
        last = (model, MetricSetup(model))
        _LAST_SETUP[:] = [last]  # (one step, safe beside runs in other threads)
    return last[1]


class RunMetrics:
    """One run's metrics, accumulated day by day (only measured days count)."""

    def __init__(self, model: CompiledScenario, weekdays: Iterable[str]):
        s = model.scenario
        self.scenario = s
        self.weekdays_per_week = len(tuple(weekdays))
        #: the scenario's roles by kind and their costs, shared by its runs
        self.setup = _setup_of(model)
        #: the cells this run adds to, until its rows are read (then the next run's)
        self.cells: MetricCells | None = self.setup.take_cells()
        #: every answered call's wait, in order (doubles, a day's added by ``fromlist``:
        #: one C loop that reads the list's floats directly, where ``extend`` went through
        #: the generic item protocol for each)
        self.answered_waits = array("d")
        #: working days a booked patient waits -> patients (a plain dict: a Counter's
        #: missing keys run Python code of its own)
        self.planned_waits: dict[int, int] = {}
        self.backlog: list[tuple[int, int]] = []
        #: (day, patients and inbox items carried to the next day) of each measured day
        self.carried: list[tuple[int, int]] = []
        self.after_run: Counter = Counter()
        self.days = 0
        #: outcome -> its count today (reset as each measured day starts)
        self._tallies: dict[str, Tally] = {o: Tally() for o in OUTCOMES}

    # --- a day ------------------------------------------------------------------------------
    def add(self, records: DayRecords) -> None:
        if self.cells is None:
            raise RuntimeError(_ENDED)
        check_time(records)
        if records.after_run:
            self.after_run.update(c[6] for c in records.after_run)
        if not records.day.measured:
            return
        self.days += 1
        day = self._cells_on(records.day.name)  # the run's cells and this weekday's
        run_only = self._cells_on(None)

        # one pass over the day's ended contacts for the figures of several sections below
        # (the phone's callers, the wait from call to consultation, continuity, delegation)
        today = records.day.index
        setup = self.setup
        list_roles, doctors = setup.list_roles, setup.doctors
        callers = gave_up = own = gp_seen = consulted = by_others = 0
        seen_waits = []
        # counted in tallies kept for the run: a Counter built each day runs Python code of
        # its own (its __init__, update and __missing__), which compiling cannot speed up
        tallies = self._tallies
        for tally in tallies.values():
            tally.n = 0
        for c in records.contacts:
            # typed: compared as strings and subtracted as numbers, not as objects of any
            # type (CONTACT_COLUMNS names the places)
            outcome: str = c[6]
            channel: str = c[1]
            counted = tallies.get(outcome)
            if counted is None:  # not an outcome: the conservation check names it
                counted = tallies[outcome] = Tally()
            counted.n += 1
            seen = outcome in SEEN
            if channel == "phone":
                callers += 1
                if outcome in GAVE_UP:
                    gave_up += 1
                elif seen:
                    arose: int = c[4]
                    if arose == today:
                        t_seen: float = c[8]
                        t_arise: float = c[5]
                        seen_waits.append(t_seen - t_arise)
            if seen:
                if c[9] in list_roles:
                    own_gp: str | None = c[13]
                    if own_gp is not None:
                        gp_seen += 1
                        own += c[10] == own_gp
            if outcome == "consulted":
                consulted += 1
                by_others += c[9] not in doctors
        # access: the phone -----------------------------------------------------------------
        calls = records.calls
        waits: list[float] = []
        ended: list[float] = []
        for call in calls:  # (CALL_COLUMNS; typed: subtracted as numbers)
            t_ring: float = call[1]
            t_answer: float = call[2]
            t_end: float = call[4]
            if t_answer == t_answer:  # answered (NaN: not)
                waits.append(t_answer - t_ring)
            ended.append(t_end - t_ring)
        # (fsum of lists, not of generators: the same exact sums, without a generator
        # object resumed for every value)
        all_wait = math.fsum(ended)
        offered, answered = len(calls), len(waits)
        day.per_day("calls_offered", offered)
        day.per_day("calls_answered", answered)
        day.per_day("calls_abandoned", offered - answered)
        day.per_day("calls_retried", records.redials)
        day.ratio("abandonment_rate", offered - answered, offered)
        # callers, not rings: those whose call ended today without reaching anyone, after
        # any redials, over every caller whose contact ended today
        day.ratio("callers_gave_up_rate", gave_up, callers)
        day.ratio("phone_wait_mean_min", math.fsum(waits), answered)
        day.ratio("phone_wait_all_mean_min", all_wait, offered)
        self.answered_waits.fromlist(waits)
        # access: same day ------------------------------------------------------------------
        needs = records.same_day
        seen_today = in_hours = 0
        for n in needs:
            if n[1]:
                seen_today += 1
            if n[2]:
                in_hours += 1
        day.ratio("acute_same_day_rate", seen_today, len(needs))
        day.ratio("acute_same_day_in_hours_rate", in_hours, len(needs))
        day.ratio("call_to_consult_wait_mean_min", math.fsum(seen_waits),
                    len(seen_waits))
        # access: the appointment book ------------------------------------------------------
        for role, days in records.tnaa.items():
            if role is None or role in setup.bookable:
                day.per_day("tnaa_days", days, role)
        booked_all = slots_all = 0
        for role, (booked, slots) in records.booked_ahead.items():
            day.ratio("planned_slots_booked_ahead", booked, slots, role)
            booked_all += booked
            slots_all += slots
        day.ratio("planned_slots_booked_ahead", booked_all, slots_all)
        day.per_day("backlog_planned", records.backlog)
        self.backlog.append((today, records.backlog))
        day.per_day("planned_requests", records.requests)
        wait_total = waited = asked_total = asked = 0
        planned_waits = self.planned_waits
        for b in records.bookings:
            source: str = b[1]
            if source == CALENDAR_TASK:  # a slot a task took: no patient waits for it
                continue
            booked_day: int = b[4]
            due_day: int = b[3]
            wait = booked_day - due_day
            wait_total += wait
            waited += 1
            planned_waits[wait] = planned_waits.get(wait, 0) + 1
            if source in REQUESTED:
                asked_total += wait
                asked += 1
        day.ratio("planned_wait_mean_days", wait_total, waited)
        day.ratio("requested_wait_mean_days", asked_total, asked)
        # outcomes ---------------------------------------------------------------------------
        day.per_day("contacts_arisen", records.arisen)
        day.per_day("contacts_carried_over", records.carried)
        self.carried.append((today, records.carried))
        day.per_day("turned_away", tallies["turned_away"].n)
        for outcome, metric in _OUTCOME_METRICS:
            day.per_day(metric, tallies[outcome].n)
        handled = 0
        for outcome in HANDLED:
            handled += tallies[outcome].n
        day.per_day("contacts_handled_total", handled)
        day.per_day("questions_unanswered", records.unanswered)
        # continuity and delegation ---------------------------------------------------------
        day.ratio("continuity_own_gp", own, gp_seen)
        if setup.own_roles:  # own clinicians of other roles: by the role that saw them
            # (plain dicts: a Counter's missing keys run Python code of its own)
            seen_own: dict[str, int] = {}
            with_own: dict[str, int] = {}
            for c in records.contacts:
                if c[6] in SEEN and c[15] is not None:
                    by = c[9]
                    with_own[by] = with_own.get(by, 0) + 1
                    seen_own[by] = seen_own.get(by, 0) + (c[10] == c[15])
            for role in setup.own_roles:
                day.ratio("continuity_own_clinician", seen_own.get(role, 0),
                          with_own.get(role, 0), role)
        day.ratio("nonphysician_consult_share", by_others, consulted)
        # staff time -------------------------------------------------------------------------
        # a person's minutes come by activity in ACTIVITIES order (the engine's Worker.minutes()):
        # summed by position, not looked up by name twice for every activity and person
        # (in cells: machine floats, where a list of Python floats made one per addition)
        time_by_role = {r: self._minutes_of(r) for r in setup.roles}
        available = dict.fromkeys(setup.roles, 0.0)
        overtime = dict.fromkeys(setup.roles, 0.0)
        cost = 0.0
        for _sid, _group, role, _team, start, end, left, time in records.staff:
            mine = time_by_role.get(role)
            if mine is None:
                mine = time_by_role[role] = self._minutes_of(role)
            by_activity: dict[str, float] = time
            for i, minutes in enumerate(by_activity.values()):
                mine[i].num += minutes
            # time working for another practice is neither available nor paid by this one
            away = time["other_practice"]
            available[role] = available.get(role, 0.0) + (left - start) - time["break"] - away
            overtime[role] = overtime.get(role, 0.0) + max(0.0, left - end)
            cost += (left - start - away) * setup.cost[role]
        # kind -> tasks done, by the person (their index) and then by role: dicts by name,
        # not a key tuple built for each task, nor a role looked up for each; counted in
        # tallies, so that a task is one look-up, not a look-up and a store
        by_person: list[dict[str, Tally] | None] = [None] * len(records.staff)
        for task in records.tasks:  # (worker index, kind, ...)
            person: int = task[0]
            done = by_person[person]
            if done is None:
                done = by_person[person] = {}
            kind: str = task[1]
            count = done.get(kind)
            if count is None:
                count = done[kind] = Tally()
            count.n += 1
        tasks: dict[str, dict[str, int]] = {}
        for person, done in enumerate(by_person):
            if done is not None:
                kinds = tasks.setdefault(records.staff[person][2], {})
                for kind, tally in done.items():
                    kinds[kind] = kinds.get(kind, 0) + tally.n
        doctor_minutes = 0.0
        for role, spent in time_by_role.items():
            for (_activity, cell), part in zip(self._cells_of(role, "time_use_min",
                                                              ACTIVITIES), spent):
                cell.num += part.num
                cell.den += 1.0
            busy = math.fsum([spent[i].num for i in _WORKING_AT])
            day.ratio("utilisation", busy, available[role], role)
            run_only.per_day("overtime_min", overtime[role], role)
            if role in setup.doctors:
                doctor_minutes += busy
            kinds = tasks.get(role, _NO_TASKS)
            for kind, cell in self._cells_of(role, "contacts_handled", setup.task_kinds):
                cell.num += kinds.get(kind, 0)
                cell.den += 1.0
        day.per_day("overtime_min", math.fsum(overtime.values()))
        day.ratio("doctor_min_per_contact", doctor_minutes, handled)
        day.per_day("staff_cost_dkk", cost)
        day.ratio("cost_per_contact_dkk", cost, handled)
        patients = self.scenario.population.list_size
        if patients:
            day.per_day("cost_per_patient_year_dkk",
                          cost * self.scenario.clinic.working_days_per_year / patients)

    def _minutes_of(self, role: str) -> list[Cell]:
        """``role``'s cells for a day's minutes by activity (ACTIVITIES order), at zero."""
        mine = self._own_cells().role_minutes
        cells = mine.get(role)
        if cells is None:
            cells = mine[role] = _activity_cells()
        else:
            for cell in cells:
                cell.num = 0.0
        return cells

    def _cells_on(self, weekday: str | None) -> DayCells:
        """The cells a day of ``weekday`` adds to (None: the run's alone)."""
        cells = self._own_cells()
        found = cells.days.get(weekday)
        if found is None:
            found = cells.days[weekday] = DayCells(
                cells.sums, weekday, None if weekday is None else self._cells_on(None))
        return found

    def _cells_of(self, role: str, metric: str,
                  activities: tuple[str, ...]) -> list[tuple[str, Cell]]:
        """A role's per-day cells of ``metric`` by activity (not by weekday), as
        :meth:`_per_day` would make them: looked up once a run, not once a day (the staff-time
        loops are most of a small practice's metric work)."""
        key = (metric, role)
        cells = self._own_cells()
        found = cells.by_metric.get(key)
        if found is None:
            found = cells.by_metric[key] = [(a, _cell(cells.sums, (metric, role, a, None)))
                                            for a in activities]
        for _activity, cell in found:
            cell.touched = True
        return found

    def _own_cells(self) -> MetricCells:
        cells = self.cells
        if cells is None:
            raise RuntimeError(_ENDED)
        return cells

    # --- the run ----------------------------------------------------------------------------
    def rows(self) -> list[Row]:
        """The run's tidy rows, in a stable order: (metric, role, activity, weekday, value,
        weight). This ends the run: its cells go to the scenario's next run."""
        cells = self._own_cells()
        # the run's own figures (RUN_METRICS): value, weight
        waits = np.sort(np.frombuffer(self.answered_waits)) if self.answered_waits else ()
        whole: dict[str, tuple[float, float]] = {
            "phone_wait_p90_min": (percentile(len(waits), PERCENTILE, waits.__getitem__)
                                   if len(waits) else math.nan, 1.0 if len(waits) else 0.0),
            "planned_wait_p90_days": (self._planned_p90(), 1.0 if self.planned_waits else 0.0),
            "backlog_trend_per_week": (self._trend(self.backlog),
                                       1.0 if len(self.backlog) > 1 else 0.0),
            "carried_trend_per_week": (self._trend(self.carried),
                                       1.0 if len(self.carried) > 1 else 0.0)}
        for outcome in AFTER_RUN:
            whole[f"outcome_{outcome}"] = (float(self.after_run.get(outcome, 0)), 1.0)
        out: list[Row] = []
        for key, cell in cells.in_row_order():
            metric, role, activity, weekday = key
            if cell is None:
                value, weight = whole[metric]
                out.append((metric, None, None, None, value, weight))
            elif cell.touched:
                num, den = cell.num, cell.den
                out.append((metric, role, activity, weekday,
                            num / den if den > 0 else math.nan, den))
        self.cells = None
        self.setup.spare_cells.append(cells)
        return out

    def _planned_p90(self) -> float:
        if not self.planned_waits:
            return math.nan
        values = sorted(self.planned_waits)
        ends = list(accumulate(self.planned_waits[v] for v in values))  # of each value's run

        def at(i: int) -> float:  # the i-th smallest wait, of all the run's waits
            return float(values[bisect_right(ends, i)])
        return percentile(ends[-1], PERCENTILE, at)

    def _trend(self, series: list[tuple[int, int]]) -> float:
        """Least-squares slope of a day-end stock (the book, the work carried over) over
        the measured days, per week. Days and stocks are whole numbers, so the slope is
        computed exactly and rounded once: the same float on every platform and NumPy
        build (a least-squares solver's last digits depend on its LAPACK). Divided as
        Python's whole numbers divide (``operator.truediv``: correctly rounded, as a
        ``Fraction``'s float is, at a tenth of its cost), not as ``p / q``: compiled, two
        machine-size whole numbers are divided as doubles, each rounded first past 2^53."""
        n = len(series)
        if n < 2:
            return math.nan
        sx = sum(d for d, _ in series)
        sy = sum(s for _, s in series)
        sxy = sum(d * s for d, s in series)
        sxx = sum(d * d for d, _ in series)
        return float(operator.truediv((n * sxy - sx * sy) * self.weekdays_per_week,
                                      n * sxx - sx * sx))


class StaffTime:
    """Each person's minutes by activity over a run's measured days (a run's staff rows),
    kept beside :class:`RunMetrics` and compiled with it in the compiled engine."""

    def __init__(self) -> None:
        #: (person, group, role, team) -> minutes by activity, in ACTIVITIES order
        self.minutes: dict[tuple, list[float]] = {}
        self.present: dict[tuple, int] = {}
        self.days = 0

    def add(self, records: DayRecords) -> None:
        if not records.day.measured:
            return
        self.days += 1
        minutes, present = self.minutes, self.present
        for sid, group, role, team, _s, _e, _l, spent in records.staff:
            key = (sid, group, role, team)
            mine = minutes.get(key)
            if mine is None:  # a person's first measured day
                mine = minutes[key] = [0.0] * len(ACTIVITIES)
                present[key] = 0
            for i, m in enumerate(spent.values()):  # in ACTIVITIES order, as RunMetrics reads
                mine[i] += m
            present[key] += 1

    def rows(self, replication: int) -> list[tuple]:
        days = max(self.days, 1)
        return [(replication, *key, activity, minutes / days, self.present[key])
                for key in sorted(self.minutes, key=_person_id)
                for activity, minutes in zip(ACTIVITIES, self.minutes[key])]


def _activity_cells() -> list[Cell]:
    """A cell for each activity, in ACTIVITIES order (a role's minutes of a day)."""
    return [Cell() for _ in ACTIVITIES]


def _person_id(key: tuple) -> str:
    return key[0]


def percentile(n: int, q: float, at: Callable[[int], float]) -> float:
    """The ``q``-th percentile of ``n`` values, ``at(i)`` the ``i``-th smallest, by NumPy's
    default ("linear") method and with the float operations ``numpy.percentile`` does, so
    the same bits (``tests/test_engine.py`` checks it): NumPy's call costs about 90 µs
    whatever the size, a fifth of a small practice's run's rows; this reads two values."""
    virtual = (n - 1) * (q / 100)
    if virtual >= n - 1:
        return float(at(n - 1))
    below = math.floor(virtual)
    gamma = virtual - below
    a, b = float(at(below)), float(at(below + 1))
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _gives_row(key: tuple) -> bool:
    """Whether a cell of ``key`` (metric, role, activity, weekday) gives one of a run's
    rows: a weekday's cell only without a role (or for WEEKDAY_ROLE_METRICS), and without
    an activity; the others only add to the run's cell of the same metric."""
    metric, role, activity, weekday = key
    return weekday is None or activity is None and (role is None
                                                    or metric in WEEKDAY_ROLE_METRICS)


def _order_of(source: tuple[tuple, Cell | None]) -> tuple:
    """Where a row goes among a run's rows: by metric, role, activity and weekday."""
    metric, role, activity, weekday = source[0]
    return (metric, role or "", activity or "", weekday or "")


# --- tables of a run's records -------------------------------------------------------------


def staff_table(records: DayRecords) -> pd.DataFrame:
    """Minutes by person and activity (long form), with hours and overtime."""
    import pandas as pd
    rows = []
    for sid, group, role, team, start, end, left, time in records.staff:
        for activity, minutes in time.items():
            rows.append((sid, group, role, team, activity, minutes, start, end, left,
                         max(0.0, left - end)))
    return pd.DataFrame(rows, columns=["staff_id", "group", "role", "team", "activity",
                                       "minutes", "start", "end", "left", "overtime_min"])


#: Columns the engine leaves as "" where there is no one (a contact no one saw, an event of
#: no person's); the tables give them as missing, as every other column without a value.
NO_ONE: Final = ""


def _missing_where_no_one(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        table[column] = table[column].mask(table[column] == NO_ONE, None)
    return table


def contacts_table(records: DayRecords) -> pd.DataFrame:
    """Contacts that reached their outcome that day (and, on a run's last day, those given an
    after-run outcome); ``seen_by`` and ``seen_by_id`` are missing for one no one saw."""
    import pandas as pd
    table = pd.DataFrame(records.contacts + records.after_run, columns=list(CONTACT_COLUMNS))
    return _missing_where_no_one(table, ("seen_by", "seen_by_id"))


def bookings_table(records: DayRecords) -> pd.DataFrame:
    import pandas as pd
    return pd.DataFrame(records.bookings, columns=list(BOOKING_COLUMNS))


def events_table(records: DayRecords) -> pd.DataFrame:
    import pandas as pd
    table = pd.DataFrame(records.events or [], columns=["time", "contact_id", "event", "staff_id"])
    return _missing_where_no_one(table, ("staff_id",))


def day_row(records: DayRecords) -> dict:
    """One row of a run's day-by-day table (for the backlog and TNAA over the run, and the
    warm-up analysis)."""
    d = records.day
    row = {"day": d.index, "week": d.week + 1, "weekday": d.name, "measured": d.measured,
           "backlog_planned": records.backlog, "tnaa_days": records.tnaa.get(None, math.nan),
           "calls_offered": len(records.calls), "contacts_arisen": records.arisen,
           "consultations": sum(1 for c in records.contacts if c[6] == "consulted"),
           "planned_requests": records.requests,
           "turned_away": sum(1 for c in records.contacts if c[6] == "turned_away"),
           "overtime_min": sum(max(0.0, s[6] - s[5]) for s in records.staff)}
    for role, days in records.tnaa.items():
        if role is not None:
            row[f"tnaa_days_{role}"] = days
    return row


assert STAFF_COLUMNS[2] == "role"  # the staff tuples' layout the code above reads


# --- across runs ----------------------------------------------------------------------------


def overall(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of a summary for the practice as a whole: no role, activity or weekday."""
    require_columns(summary, ("metric", "role", "activity"),
                    "overall's table, a summary (results.summary() or a sweep's summary.parquet),")
    keep = summary["role"].isna() & summary["activity"].isna()
    if "weekday" in summary:
        keep &= summary["weekday"].isna()
    return summary[keep]


def whole_week(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of a summary over all weekdays (roles and activities included)."""
    return summary[summary["weekday"].isna()] if "weekday" in summary else summary


class SummaryStream:
    """Pooled estimates over runs fed one block of runs at a time (memory flat in runs).

    Its ``level`` and :func:`summarise`'s are typed ``object``: compiled, a ``float``
    parameter refuses a text with mypyc's "float object expected" before the check can
    name the argument, and takes True as 1.0."""

    def __init__(self) -> None:
        self.index: dict[tuple, int] = {}
        self.sums = RatioSums(1)

    def add(self, frame: pd.DataFrame) -> None:
        """Add the runs of a tidy table (replication, keys, value, weight)."""
        if frame.empty:
            return
        keys = frame[KEYS].astype(object).where(frame[KEYS].notna(), None)
        runs, run_index = np.unique(frame["replication"].to_numpy(), return_inverse=True)
        self._add_block(zip(*(keys[k] for k in KEYS)), len(frame), len(runs), run_index,
                        frame["value"].to_numpy(dtype=float),
                        frame["weight"].to_numpy(dtype=float))

    def add_rows(self, replication: int, rows: list[Row]) -> None:
        """Add one run's rows as :meth:`RunMetrics.rows` gives them: what :meth:`add` does
        for a table of one run, without building one (a parallel run's main process adds
        every run, so this is its share of the work that does not parallelise)."""
        if rows:
            self._add_block((row[:4] for row in rows), len(rows), 1, 0,
                            np.array([row[4] for row in rows], dtype=float),
                            np.array([row[5] for row in rows], dtype=float))

    def _add_block(self, labels: Iterable[tuple], n: int, runs: int,
                   run_index: np.ndarray | int, values: np.ndarray,
                   weights: np.ndarray) -> None:
        """Add ``n`` values and weights, the i-th for key ``labels[i]`` in run
        ``run_index[i]`` of ``runs``; keys not seen before get the next code."""
        index = self.index
        codes = np.fromiter((index.setdefault(label, len(index)) for label in labels),
                            dtype=np.intp, count=n)
        block_values = np.full((1, runs, len(index)), np.nan)
        block_weights = np.zeros((1, runs, len(index)))
        block_values[0, run_index, codes] = values
        block_weights[0, run_index, codes] = weights
        self.sums.add(block_values, block_weights)

    def table(self, level: object = 0.95, runs: int | None = None,
              whole_practice: bool = False) -> pd.DataFrame:
        """The pooled estimates and their intervals; with ``runs``, the intervals that
        many runs would give if the means and the spread between runs stayed as they are
        (a standard error shrinks as one over the root of the runs): a projection, for
        deciding whether more runs can settle a question, not an estimate. With
        ``whole_practice``, only the rows :func:`overall` keeps (no role, activity or
        weekday), worked out for those alone."""
        import pandas as pd
        labels, n, estimate, low, high = self._estimates(confidence("level", level), runs,
                                                         whole_practice)
        if not labels:
            return pd.DataFrame(columns=[*KEYS, "mean", "ci_low", "ci_high", "replications"])
        summary = pd.DataFrame(labels, columns=KEYS)
        summary["mean"], summary["ci_low"], summary["ci_high"] = estimate, low, high
        summary["replications"] = n.astype(int)
        summary = summary[summary["replications"] > 0]
        order = sorted(summary.index, key=lambda i: tuple(
            "" if v is None else str(v) for v in labels[i]))
        summary = summary.loc[order].reset_index(drop=True)
        for key in ("role", "activity", "weekday"):
            summary[key] = summary[key].astype(object).where(summary[key].notna(), None)
        return summary

    def practice_intervals(self, level: object = 0.95, runs: int | None = None
                           ) -> dict[str, tuple[float, float, float]]:
        """Each whole-practice metric's (mean, ci_low, ci_high), as ``table(level, runs,
        whole_practice=True)`` gives them, by metric; metrics no run defined are left
        out. A capacity search reads a few of them after every batch of runs: 0.13 ms,
        where building the table took 2.2 ms, about 2 % of the frontier's time
        (experiments/performance.md, "A capacity search's looks without pandas")."""
        labels, n, estimate, low, high = self._estimates(confidence("level", level), runs,
                                                         True)
        return {label[0]: (float(estimate[i]), float(low[i]), float(high[i]))
                for i, label in enumerate(labels) if n[i] > 0}

    def _estimates(self, level: float, runs: int | None, whole_practice: bool
                   ) -> tuple[list[tuple], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every label (or the whole practice's alone) with its runs, pooled estimate
        and interval, in the order first seen."""
        labels = list(self.index)
        kept: list[int] | None = None  # the labels' places, where only some are wanted
        if whole_practice:
            kept = [i for i, label in enumerate(labels)
                    if label[1] is None and label[2] is None and label[3] is None]
            labels = [labels[i] for i in kept]
        if not labels:
            empty = np.zeros(0)
            return labels, empty, empty, empty, empty
        n, estimate, se = (a[0] for a in self.sums.estimate())
        # the pooled weight: a counted share's trials, a count's days (or runs)
        pooled = self.sums.sx[0]
        if kept is not None:
            n, estimate, se, pooled = n[kept], estimate[kept], se[kept], pooled[kept]
        if runs is not None:
            grow = runs / np.maximum(n, 1)
            se, pooled, n = se / np.sqrt(grow), pooled * grow, np.where(n > 0, runs, n)
        bounds = np.array([metric_bounds(label[0]) for label in labels], dtype=object)
        counted = np.array([label[0] in COUNTED_SHARES for label in labels])
        events = np.array([counts_events(label[0]) for label in labels])
        low, high = intervals(estimate, se, n, bounds, level,
                              trials=np.where(counted, pooled, np.nan),
                              exposure=np.where(events, pooled, np.nan))
        return labels, n, estimate, low, high


def summarise(metrics: pd.DataFrame | object, level: object = 0.95) -> pd.DataFrame:
    """Pooled estimate and confidence interval per (metric, role, activity, weekday) over
    the runs of a tidy table with ``value`` and ``weight`` columns (see the module's doc);
    ``replications`` counts the runs in which the metric was defined."""
    checked = confidence("level", level)  # before the table is read
    table = getattr(metrics, "metrics", metrics)
    require_columns(table, ("replication", *KEYS, "value", "weight"),
                    "summarise's table, the runs' rows (results.metrics, not a summary),")
    stream = SummaryStream()
    stream.add(table)
    return stream.table(checked)


def require_columns(table: object, columns: Iterable[str], what: str) -> None:
    """A plain error where a caller is given the wrong table, not a KeyError in pandas:
    ``what`` names the table the caller takes."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected {what} (a pandas DataFrame), not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} lacks the columns {missing}")
