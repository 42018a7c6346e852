"""A scenario compiled for the engine: distributions built, routes ranked, rates scaled,
each working weekday's staff and slots laid out.

The engine never reads the scenario schema directly: everything it needs per event is
looked up here in a plain dict, built once per scenario (not per replication).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.distributions import Distribution, build
from sim.engine.calendar import Day
from sim.scenario.checks import day_plan, duty_view
from sim.scenario.schema import (WEEKDAYS, Meeting, Scenario, Staff, in_cycle, period_of,
                                 period_view)

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.book import FreeIndex, FreeSlots

    #: a day's slots as the appointment book lays them out: all, by person, by team
    SlotTemplate = tuple[FreeSlots, FreeIndex, FreeIndex]


@dataclass(frozen=True)
class PlanBlock:
    """One stretch of a person's day: what they do and which waiting work they take."""

    start: float
    end: float
    kind: str
    serves: tuple[str, ...]
    activity: str
    slots: str
    slot_min: float
    lines: frozenset[str] | None = None  # phone lines answered (None: all)
    group_size: int | None = None  # seats per slot in a group session
    serve_set: frozenset[str] = frozenset()  # ``serves`` as a set, for "does it take X?"

    def __post_init__(self) -> None:
        object.__setattr__(self, "serve_set", frozenset(self.serves))


@dataclass(frozen=True)
class Person:
    """One member of staff on one weekday (a group of ``count`` identical people expands to
    several, each with a stable id across the week: ``group`` or ``group-2``)."""

    id: str
    group: str
    role: str
    team: str | None
    start: float
    end: float
    plan: tuple[PlanBlock, ...]
    remote: bool = False
    assist: Route | None = None  # who must be with the patient in their consultations


@dataclass(frozen=True, eq=False)
class Route:
    """Who may take a contact type, and how much each is preferred (0 = first); a call's
    route also names its phone line. ``levels`` groups the roles by rank, lowest first."""

    roles: frozenset[str]
    rank: dict[str, int]
    line: str | None = None
    levels: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        by_rank: dict[int, list[str]] = {}
        for role in sorted(self.roles):
            by_rank.setdefault(self.rank[role], []).append(role)
        object.__setattr__(self, "levels", tuple((r, tuple(by_rank[r]))
                                                 for r in sorted(by_rank)))

    @classmethod
    def in_order(cls, roles: list[str]) -> Route:
        """A route preferring ``roles`` in the order given (the first most)."""
        return cls(frozenset(roles), {r: i for i, r in enumerate(roles)})


@dataclass(frozen=True, eq=False)
class History:
    """The first stage of a two-stage same-day visit: who may take the history, how long
    it takes, and what it leaves of the consultation after it."""

    route: Route
    duration: Distribution
    later_share: float


@dataclass(frozen=True)
class ArrivalProfile:
    """A demand stream's time-of-day profile as arrays: the windows with a positive weight
    and the cumulative share of arrivals up to each (the last is exactly 1)."""

    starts: np.ndarray
    ends: np.ndarray
    cdf: np.ndarray
    #: each window's (start, end) as Python floats, for the check of a redial's time
    #: against the line's hours (``RunState._line_open``: no NumPy scalars per hang-up)
    spans: tuple[tuple[float, float], ...]
    #: ``cdf`` as Python floats, for a redial's time (``RunState._ring_time``)
    shares: tuple[float, ...]


def _arrival_profile(profile: list) -> ArrivalProfile | None:
    """A profile's windows with a positive weight as arrays (None when there are none)."""
    windows = [w for w in profile if w.weight > 0]
    if not windows:
        return None
    weights = np.array([w.weight for w in windows], dtype=float)
    cdf = np.cumsum(weights / weights.sum())
    cdf /= cdf[-1]
    starts = np.array([w.start for w in windows], dtype=float)
    ends = np.array([w.end for w in windows], dtype=float)
    return ArrivalProfile(starts, ends, cdf, tuple(zip(starts.tolist(), ends.tolist())),
                          tuple(cdf.tolist()))


def weekday_spec(spec: Staff, weekday: str) -> SimpleNamespace | None:
    """A staff group's hours and blocks on ``weekday``, or None if they are not in."""
    if spec.count == 0 or (spec.days is not None and weekday not in spec.days):
        return None
    own = spec.on.get(weekday)
    return SimpleNamespace(
        start=spec.start if own is None or own.start is None else own.start,
        end=spec.end if own is None or own.end is None else own.end,
        blocks=spec.blocks if own is None or own.blocks is None else own.blocks)


def person_ids(group: str, spec: Staff) -> list[str]:
    return [group] if spec.count == 1 else [f"{group}-{i + 1}" for i in range(spec.count)]


class CompiledScenario:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        s = scenario
        #: per working weekday (calendar order): everyone who may be in that day (in the
        #: usual weeks of the year)
        usual = {group: [self._people(group, spec, weekday) for weekday in s.calendar.weekdays]
                 for group, spec in s.staff.items()}
        self.weekday_people: list[list[Person]] = [
            [p for by_weekday in usual.values() for p in by_weekday[i]]
            for i in range(len(s.calendar.weekdays))]
        #: staff entry -> per period of the year, per working weekday: who is in then
        self.period_people: dict[str, list[list[list[Person]]]] = {
            group: [[self._people(group, period_view(spec, period), weekday)
                     for weekday in s.calendar.weekdays] for period in spec.periods]
            for group, spec in s.staff.items() if spec.periods}
        self._usual_people = usual  # staff entry -> per working weekday (usual weeks)
        self._weeks_of_year: dict[tuple[int, int], list[Person]] = {}
        #: weekday -> [(meeting, its block)] of the meetings held on that weekday
        self.meetings: dict[str, list[tuple[Meeting, PlanBlock]]] = {}
        for meeting in s.meetings.values():
            bk = s.block_kinds[meeting.kind]
            block = PlanBlock(meeting.start, meeting.end, meeting.kind, tuple(bk.serves),
                              bk.activity, bk.slots, 0.0)
            for weekday in meeting.days:
                self.meetings.setdefault(weekday, []).append((meeting, block))
        self._in_meeting: dict[tuple[int, int], Person] = {}
        self._people_on: dict[tuple[int, str, int], list[Person]] = {}  # see people_on
        #: a day's people (their ids) -> the appointment book's slots for them, shared by
        #: the runs (:meth:`sim.engine.book.AppointmentBook._layout` copies them), and
        #: the people, kept alive so that their ids stay theirs
        self.slot_templates: dict[tuple[int, ...], tuple[SlotTemplate, list[Person]]] = {}
        self._calendar_roles: dict[tuple[str, str], list[str]] = {}
        #: duties taken in turn: weekday -> [(rota of person ids, each one's Person that day,
        #: whether the next member in covers an absent one)]
        self.duties: dict[str, list[tuple[tuple[str, ...], dict[str, Person], bool]]] = {}
        for duty in s.duties.values():
            on_duty = {}
            for pid in duty.rota:
                spec = s.staff[pid]
                day = duty_view(spec, duty)
                on_duty[pid] = Person(pid, pid, spec.role, spec.team, day.start, day.end,
                                      tuple(self._plan(spec, day)), spec.remote,
                                      self.assist_routes.get(pid))
            self.duties.setdefault(duty.weekday, []).append(
                (tuple(duty.rota), on_duty, duty.cover == "next_in_rota"))

    def _people(self, group: str, spec: Staff, weekday: str) -> list[Person]:
        """The people of staff entry ``group`` on ``weekday`` (none if not in that day)."""
        day = weekday_spec(spec, weekday)
        if day is None:
            return []
        plan = tuple(self._plan(spec, day))
        assist = self.assist_routes.get(group)
        return [Person(pid, group, spec.role, spec.team, day.start, day.end, plan, spec.remote,
                       assist) for pid in person_ids(group, spec)]

    @cached_property
    def assist_routes(self) -> dict[str, Route]:
        """staff entry -> the roles one of whom is with the patient in each of that entry's
        consultations (``assisted_by``), in order of preference."""
        return {group: Route.in_order(spec.assisted_by)
                for group, spec in self.scenario.staff.items() if spec.assisted_by}

    def _weekday_people(self, day: Day) -> list[Person]:
        return self.weekday_people_in(day.weekday, day.week_of_year)

    def weekday_people_in(self, weekday: int, week_of_year: int) -> list[Person]:
        """Everyone who may be in on working weekday ``weekday`` (its index) in week
        ``week_of_year``: the usual people, with each staff entry that has a period then as
        it is in that period."""
        if not self.period_people:
            return self.weekday_people[weekday]
        key = (weekday, week_of_year)
        found = self._weeks_of_year.get(key)
        if found is None:
            found = []
            for group, spec in self.scenario.staff.items():
                i = period_of(spec, week_of_year) if spec.periods else None
                by_weekday = (self._usual_people[group] if i is None
                              else self.period_people[group][i])
                found += by_weekday[weekday]
            self._weeks_of_year[key] = found
        return found

    @cached_property
    def everyone(self) -> list[Person]:
        """Every weekday's people, in the usual weeks and in every period of the year (the
        same person once per weekday plan)."""
        return [p for people in self.weekday_people for p in people] + [
            p for periods in self.period_people.values() for weekdays in periods
            for people in weekdays for p in people]

    def _plan(self, spec: Staff, day: SimpleNamespace) -> list[PlanBlock]:
        s = self.scenario
        role = s.roles[spec.role]
        plan = []
        for start, end, kind in day_plan(s, day, role.default_block):
            bk = s.block_kinds[kind]
            slot_min, group_size = role.slot_min, None
            for b in day.blocks:
                if b.start == start and b.kind == kind:
                    slot_min = b.slot_min if b.slot_min is not None else slot_min
                    group_size = b.group_size
            activity = bk.activity_if_supervisor if (role.supervises and
                                                     bk.activity_if_supervisor) else bk.activity
            plan.append(PlanBlock(start, end, kind, tuple(bk.serves), activity, bk.slots,
                                  slot_min, frozenset(bk.lines) if bk.lines is not None
                                  else None, group_size))
        return plan

    def __getstate__(self) -> dict:
        """The model as workers get it, without the caches keyed by the ids of this
        process's objects: in another process those ids are other objects' (they refill
        there as the runs go)."""
        state = self.__dict__.copy()
        state["_in_meeting"], state["slot_templates"] = {}, {}
        return state

    def people_on(self, day: Day) -> list[Person]:
        """Everyone in on ``day``: the weekday's people in that week of the year, less
        rotations and absences, with the week's duties (worked out once a model for each
        week of a run, weekday and week of the year; a day asks twice, and the book asks
        again for every day it opens)."""
        key = (day.week, day.name, day.week_of_year)
        found = self._people_on.get(key)
        if found is None:
            found = self._people_on[key] = self._people_in(day)
        return found

    def _people_in(self, day: Day) -> list[Person]:
        staff = self.scenario.staff
        week = day.week + 1
        out = []
        for person in self._weekday_people(day):
            spec = staff[person.group]
            rot = spec.rotation
            if rot is not None and not in_cycle(day.week, rot.every_weeks, rot.weeks):
                continue
            if any(a.week == week and (a.days is None or day.name in a.days)
                   for a in spec.absent):
                continue
            out.append(person)
        duties = self.duties.get(day.name, ())
        if duties:
            here = {p.id for p in out}
            # members in on their own turn hold that duty: not free to cover another
            taken = {rota[day.week % len(rota)] for rota, _, _ in duties} & here
        for rota, on_duty, cover in duties:
            turn = day.week % len(rota)
            pid = rota[turn]  # this week's turn; if they are out, held by no one or covered
            if cover and pid not in here:
                pid = next((m for m in rota[turn:] + rota[:turn]
                            if m in here and m not in taken), pid)
                taken.add(pid)
            out = [on_duty[pid] if p.id == pid else p for p in out]
        for meeting, block in self.meetings.get(day.name, ()):
            if in_cycle(day.week, meeting.every_weeks, meeting.weeks):
                out = [self._attending(p, block) if meeting.attendees is None
                       or p.group in meeting.attendees else p for p in out]
        return out

    def _attending(self, person: Person, block: PlanBlock) -> Person:
        """``person`` with the part of ``block``'s time within their hours given to it
        (the blocks it overlaps cut short or split around it)."""
        key = (id(person), id(block))
        found = self._in_meeting.get(key)
        if found is not None:
            return found
        start, end = max(block.start, person.start), min(block.end, person.end)
        if start >= end:
            found = person
        else:
            plan = [replace(block, start=start, end=end)]
            for b in person.plan:
                if b.start < start:
                    plan.append(replace(b, end=min(b.end, start)))
                if b.end > end:
                    plan.append(replace(b, start=max(b.start, end)))
            found = replace(person, plan=tuple(sorted(plan, key=lambda b: b.start)))
        self._in_meeting[key] = found
        return found

    @cached_property
    def _lists(self) -> dict[str | None, list[tuple[str, str | None, float]]]:
        """Each list patients are listed on, by the role that keeps it (None: the own-GP
        list, of the roles that keep a list or set ``list_share``; a role of
        ``population.own_clinician``: its own), as (person id, team, share)."""
        s = self.scenario
        lists: dict[str | None, list[tuple[str, str | None, float]]] = {None: []}
        for group, spec in s.staff.items():
            own = spec.role in s.population.own_clinician
            share = spec.list_share
            if share is None:
                share = 1.0 if own or s.roles[spec.role].keeps_list else 0.0
            if share > 0 and spec.count > 0:
                lists.setdefault(spec.role if own else None, []).extend(
                    (pid, spec.team, share) for pid in person_ids(group, spec))
        return lists

    @property
    def list_holders(self) -> list[tuple[str, str | None, float]]:
        """(person id, team, share) of everyone patients can have as their own GP."""
        return self._lists[None]

    @property
    def clinician_holders(self) -> dict[str, list[tuple[str, str | None, float]]]:
        """Role -> (person id, team, share) of everyone of a role in
        ``population.own_clinician`` (a fixed nurse): each keeps a list of their own."""
        return {role: holders for role, holders in self._lists.items() if role is not None}

    # --- durations -----------------------------------------------------------------------
    @cached_property
    def service(self) -> dict[tuple[str, str], Distribution]:
        """(contact type, role) -> service time distribution."""
        return {(name, role): build(spec)
                for name, ct in self.scenario.contact_types.items()
                for role, spec in ct.durations.items()}

    @cached_property
    def service_by_role(self) -> dict[str, dict[str, Distribution]]:
        """role -> contact type -> service time distribution (a person's own table)."""
        table: dict[str, dict[str, Distribution]] = {}
        for (ctype, role), dist in self.service.items():
            table.setdefault(role, {})[ctype] = dist
        return table

    @cached_property
    def notes_by_role(self) -> dict[str, dict[str, float]]:
        """role -> contact type -> minutes of a consultation per minute with the patient:
        1 plus the role's notes (T15) where the type's durations are face time, 1 where they
        are a booked slot used in full, which holds the notes already."""
        shares, types = self.scenario.notes.share_of_consultation, self.scenario.contact_types
        return {role: {ctype: 1.0 if types[ctype].durations_include_notes
                       else 1.0 + shares.get(role, 0.0) for ctype in by_type}
                for role, by_type in self.service_by_role.items()}

    @cached_property
    def triage_duration(self) -> dict[str, Distribution]:
        return {role: build(spec) for role, spec in self.scenario.triage.durations.items()}

    @cached_property
    def triage_outcomes(self) -> dict[str, tuple[tuple[float, str], ...]]:
        """role -> cumulative (probability, outcome) table for inverse-transform draws."""
        table = {}
        for role, shares in self.scenario.triage.outcomes.items():
            table[role] = _cumulative(shares)
        return table

    @cached_property
    def question_duration(self) -> Distribution:
        return build(self.scenario.supervision.question_duration)

    @cached_property
    def joint_duration(self) -> Distribution:
        return build(self.scenario.supervision.joint_duration)

    @cached_property
    def travel(self) -> Distribution:
        return build(self.scenario.home_visits.travel)

    @cached_property
    def history_before(self) -> dict[str, dict[str, History]]:
        """role -> contact type -> the history taken before that role's same-day
        consultation (``history_taking``); roles and types without one are absent."""
        table: dict[str, dict[str, History]] = {}
        for ctype, spec in self.scenario.contact_types.items():
            h = spec.history_taking
            if h is None:
                continue
            stage = History(Route.in_order(h.by), build(h.duration), h.later_share)
            for role in h.before:
                table.setdefault(role, {})[ctype] = stage
        return table

    @cached_property
    def patience(self) -> dict[str, Distribution | None]:
        """demand stream -> callers' patience (None: they wait for ever), every stream."""
        return {name: build(d.patience) if d.patience is not None else None
                for name, d in self.scenario.demand.items()}

    # --- routing -------------------------------------------------------------------------
    @cached_property
    def routes(self) -> dict[str, Route]:
        s = self.scenario
        return {ctype: self._route_of(ctype, roles)
                for ctype, roles in s.delegation.routes[s.delegation.degree].items()}

    @cached_property
    def complex_routes(self) -> dict[str, Route]:
        """contact type -> the route for a complex (morbid) patient, where it differs."""
        return {ctype: self._route_of(ctype, roles)
                for ctype, roles in self.scenario.delegation.complex_routes.items()}

    @cached_property
    def _present_roles(self) -> frozenset[str]:
        return frozenset(self.scenario.present_roles())

    def _route_of(self, ctype: str, roles: list[str]) -> Route:
        """A route of the roles that can handle ``ctype`` (a duration for it), among those
        this practice has: a role it does not have takes no rung, so a booking's
        ``level_extra_days`` and the own-GP rule on a route's first rung count the rungs
        between the roles it has. A route none of whose roles is on staff keeps them all
        (the scenario's checks make sure no contact that arises has such a route)."""
        durations = self.scenario.contact_types[ctype].durations
        competent = [r for r in roles if r in durations]
        on_staff = [r for r in competent if r in self._present_roles]
        return Route.in_order(on_staff or competent)

    @cached_property
    def route_order(self) -> dict[str, list[str]]:
        """contact type -> competent roles that may start it, lowest level first."""
        return _in_order(self.routes)

    @cached_property
    def complex_route_order(self) -> dict[str, list[str]]:
        """The same for complex patients, where their routes differ."""
        return _in_order(self.complex_routes)

    @cached_property
    def bookable_roles(self) -> list[str]:
        """Roles with bookable (planned or acute) slots on some weekday."""
        roles = {p.role for p in self.everyone if any(b.slots != "none" for b in p.plan)}
        return sorted(roles)

    @cached_property
    def remote_types(self) -> frozenset[str]:
        """Contact types a remote clinician may take (by video or phone)."""
        return frozenset(n for n, t in self.scenario.contact_types.items() if t.remote)

    @cached_property
    def group_types(self) -> frozenset[str]:
        """Contact types held as group sessions (seats in a group slot)."""
        return frozenset(n for n, t in self.scenario.contact_types.items() if t.group)

    @cached_property
    def list_roles(self) -> set[str]:
        """Roles whose people have patients listed with them (GPs)."""
        return {r for r, spec in self.scenario.roles.items() if spec.keeps_list}

    @cached_property
    def redial(self):
        """demand stream -> its redial behaviour (phone streams that have one)."""
        return {name: d.redial for name, d in self.scenario.demand.items()
                if d.redial is not None}

    @cached_property
    def redial_delay(self) -> dict[str, Distribution]:
        return {name: build(r.delay) for name, r in self.redial.items()}

    @cached_property
    def follow_up_after(self) -> Distribution | None:
        spec = self.scenario.follow_ups.after_days
        return build(spec) if spec is not None else None

    @cached_property
    def triage_route(self) -> Route:
        roles = sorted(self.scenario.triage.durations)
        return Route(frozenset(roles), {r: 0 for r in roles}, "main")

    @cached_property
    def triage_routes(self) -> dict[str, Route]:
        """demand stream -> the route of its calls (the triaging roles, on its line)."""
        roles = sorted(self.scenario.triage.durations)
        lines = {d.line for d in self.scenario.demand.values() if d.channel == "phone"}
        by_line = {line: Route(frozenset(roles), {r: 0 for r in roles}, line)
                   for line in lines | {"main"}}
        return {name: by_line[d.line] for name, d in self.scenario.demand.items()
                if d.channel == "phone"}

    @cached_property
    def stream_triage_outcomes(self) -> dict[str, dict[str, tuple[tuple[float, str], ...]]]:
        """demand stream -> role -> cumulative outcome table, where a line sets its own."""
        return {name: {role: _cumulative(shares) for role, shares in d.triage_outcomes.items()}
                for name, d in self.scenario.demand.items() if d.triage_outcomes}

    @cached_property
    def outreach_days(self) -> dict[str, float]:
        """outreach stream -> share of working days someone has its block (over a year of
        the roster, rotations included), to spread the yearly volume over those days."""
        from sim.engine.calendar import RunCalendar

        s = self.scenario
        streams = {n: d.block for n, d in s.demand.items() if d.channel == "outreach"}
        if not streams:
            return {}
        days = RunCalendar(s.calendar, weeks=52, warmup_weeks=0).days()
        shares = {}
        for name, block in streams.items():
            on = sum(1 for day in days
                     if any(b.kind == block for p in self.people_on(day) for b in p.plan))
            shares[name] = on / len(days)
        return shares

    @cached_property
    def answerers(self) -> dict[str, Route]:
        """asker role -> supervising roles above it, lowest level first (case 5's ladder)."""
        roles = self.scenario.roles
        sup = sorted((r for r, spec in roles.items() if spec.supervises),
                     key=lambda r: (roles[r].level, r))
        table = {}
        for asker, spec in roles.items():
            above = [r for r in sup if roles[r].level > spec.level]
            table[asker] = Route.in_order(above)
        return table

    def calendar_roles(self, ctype: str, asker: str) -> list[str]:
        """Roles whose calendars take ``asker``'s inbox questions about ``ctype`` as tasks
        (``supervision.calendar``): those who answer ``asker``, lowest level first, that
        can handle the type."""
        key = (ctype, asker)
        roles = self._calendar_roles.get(key)
        if roles is None:
            route = self.answerers[asker]
            roles = self._calendar_roles[key] = [
                r for r in sorted(route.roles, key=route.rank.__getitem__)
                if ctype in self.service_by_role.get(r, {})]
        return roles

    # --- demand --------------------------------------------------------------------------
    @cached_property
    def mix_factor(self) -> float:
        """How much more (or less) this practice's patients contact it than the reference
        mix: as stated (``population.demand_factor``), or from its shares aged 70+ and
        morbid."""
        p = self.scenario.population
        if p.demand_factor is not None:
            return p.demand_factor
        def weight(s70: float, smorb: float) -> float:
            return 1 + (p.relative_rate_70plus - 1) * s70 + (p.relative_rate_morbid - 1) * smorb
        return weight(p.share_70plus, p.share_morbid) / weight(p.reference_share_70plus,
                                                               p.reference_share_morbid)

    def expected_per_day(self, stream: str) -> float:
        """Mean contacts of ``stream`` on an average working day (before the weekday and
        season factors); an outreach stream's on a day with its block."""
        s = self.scenario
        d = s.demand[stream]
        per_day = (d.per_patient_year * s.population.list_size * self.mix_factor
                   / s.clinic.working_days_per_year)
        if d.channel == "outreach":
            share = self.outreach_days.get(stream, 0.0)
            return per_day / share if share > 0 else 0.0
        return per_day

    @cached_property
    def day_profiles(self) -> dict[str, dict[str, ArrivalProfile | None]]:
        """weekday -> stream -> the profile on that weekday: its own where the stream has
        one, else the usual day's (None when no window has a weight: no arrivals)."""
        usual = {name: _arrival_profile(stream.profile)
                 for name, stream in self.scenario.demand.items()}
        return {weekday: {name: (_arrival_profile(stream.on[weekday].profile)
                                 if weekday in stream.on else usual[name])
                          for name, stream in self.scenario.demand.items()}
                for weekday in WEEKDAYS}

    @cached_property
    def opening(self) -> dict[str, tuple[float, float]]:
        """weekday -> the clinic's opening and closing time that day."""
        return {weekday: self.scenario.clinic.hours(weekday) for weekday in WEEKDAYS}

    @cached_property
    def type_tables(self) -> dict[str, tuple[tuple[float, str], ...]]:
        return {name: _cumulative(d.mix) for name, d in self.scenario.demand.items()}


def _in_order(routes: dict[str, Route]) -> dict[str, list[str]]:
    """contact type -> the route's roles, lowest level first."""
    return {ctype: sorted(route.roles, key=route.rank.__getitem__)
            for ctype, route in routes.items()}


def _cumulative(shares: dict[str, float]) -> tuple[tuple[float, str], ...]:
    total, table = 0.0, []
    for name, p in shares.items():
        if p > 0:
            total += p
            table.append((total, name))
    return tuple(table)
