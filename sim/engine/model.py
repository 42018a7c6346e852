"""A scenario compiled for the engine: distributions built, routes ranked, rates scaled.

The engine never reads the scenario schema directly: everything it needs per event is
looked up here in a plain dict, built once per scenario (not per replication).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.distributions import Distribution, build
from sim.engine.booking import FreeSlots, free_slots
from sim.scenario.checks import day_plan
from sim.scenario.schema import Scenario


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
    serve_set: frozenset[str] = frozenset()  # ``serves`` as a set, for "does it take X?"

    def __post_init__(self) -> None:
        object.__setattr__(self, "serve_set", frozenset(self.serves))


@dataclass(frozen=True)
class Person:
    """One member of staff (a group of ``count`` identical people expands to several)."""

    id: str
    group: str
    role: str
    team: str | None
    start: float
    end: float
    plan: tuple[PlanBlock, ...]


@dataclass(frozen=True)
class Route:
    """Who may take a contact type, and how much each is preferred (0 = first)."""

    roles: frozenset[str]
    rank: dict[str, int]


@dataclass(frozen=True)
class ArrivalProfile:
    """A demand stream's time-of-day profile as arrays: the windows with a positive weight
    and the cumulative share of arrivals up to each (the last is exactly 1)."""

    starts: np.ndarray
    ends: np.ndarray
    cdf: np.ndarray


@dataclass
class CompiledScenario:
    scenario: Scenario
    people: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.scenario
        for group, spec in s.staff.items():
            role = s.roles[spec.role]
            plan = []
            for start, end, kind in day_plan(s, spec, role.default_block):
                bk = s.block_kinds[kind]
                slot_min = role.slot_min
                for b in spec.blocks:
                    if b.start == start and b.kind == kind and b.slot_min is not None:
                        slot_min = b.slot_min
                activity = bk.activity_if_supervisor if (role.supervises and
                                                         bk.activity_if_supervisor) else bk.activity
                plan.append(PlanBlock(start, end, kind, tuple(bk.serves), activity, bk.slots,
                                      slot_min))
            for i in range(spec.count):
                pid = group if spec.count == 1 else f"{group}-{i + 1}"
                self.people.append(Person(pid, group, spec.role, spec.team, spec.start,
                                          spec.end, tuple(plan)))

    @cached_property
    def free_slots(self) -> FreeSlots:
        return free_slots(self.people)

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
    def patience(self) -> dict[str, Distribution | None]:
        return {name: (build(d.patience) if d.patience is not None else None)
                for name, d in self.scenario.demand.items()}

    # --- routing -------------------------------------------------------------------------
    @cached_property
    def routes(self) -> dict[str, Route]:
        s = self.scenario
        routes = {}
        for ctype, roles in s.delegation.routes[s.delegation.degree].items():
            competent = [r for r in roles if r in s.contact_types[ctype].durations]
            routes[ctype] = Route(frozenset(competent), {r: i for i, r in enumerate(competent)})
        return routes

    @cached_property
    def triage_route(self) -> Route:
        roles = sorted(self.scenario.triage.durations)
        return Route(frozenset(roles), {r: 0 for r in roles})

    @cached_property
    def answerers(self) -> dict[str, Route]:
        """asker role -> supervising roles above it, lowest level first (case 5's ladder)."""
        roles = self.scenario.roles
        sup = sorted((r for r, spec in roles.items() if spec.supervises),
                     key=lambda r: (roles[r].level, r))
        table = {}
        for asker, spec in roles.items():
            above = [r for r in sup if roles[r].level > spec.level]
            table[asker] = Route(frozenset(above), {r: i for i, r in enumerate(above)})
        return table

    # --- demand --------------------------------------------------------------------------
    @cached_property
    def mix_factor(self) -> float:
        """How much more (or less) this practice's patients contact it than the reference mix."""
        p = self.scenario.population
        def weight(s70: float, smorb: float) -> float:
            return 1 + (p.relative_rate_70plus - 1) * s70 + (p.relative_rate_morbid - 1) * smorb
        return weight(p.share_70plus, p.share_morbid) / weight(p.reference_share_70plus,
                                                               p.reference_share_morbid)

    def expected_per_day(self, stream: str) -> float:
        s = self.scenario
        d = s.demand[stream]
        return (d.per_patient_year * s.population.list_size * self.mix_factor
                / s.clinic.working_days_per_year)

    @cached_property
    def arrival_profiles(self) -> dict[str, ArrivalProfile | None]:
        """stream -> its profile (None when no window has a weight: no arrivals)."""
        profiles: dict[str, ArrivalProfile | None] = {}
        for name, stream in self.scenario.demand.items():
            windows = [w for w in stream.profile if w.weight > 0]
            if not windows:
                profiles[name] = None
                continue
            weights = np.array([w.weight for w in windows], dtype=float)
            cdf = np.cumsum(weights / weights.sum())
            cdf /= cdf[-1]
            profiles[name] = ArrivalProfile(np.array([w.start for w in windows], dtype=float),
                                            np.array([w.end for w in windows], dtype=float), cdf)
        return profiles

    @cached_property
    def type_tables(self) -> dict[str, tuple[tuple[float, str], ...]]:
        return {name: _cumulative(d.mix) for name, d in self.scenario.demand.items()}

    @cached_property
    def team_table(self) -> tuple[tuple[float, str], ...]:
        return _cumulative(self.scenario.population.teams)


def _cumulative(shares: dict[str, float]) -> tuple[tuple[float, str], ...]:
    total, table = 0.0, []
    for name, p in shares.items():
        if p > 0:
            total += p
            table.append((total, name))
    return tuple(table)


def pick(table: tuple[tuple[float, str], ...], u: float) -> str:
    """Inverse-transform choice from a cumulative table (the last entry absorbs rounding)."""
    for edge, name in table:
        if u < edge:
            return name
    return table[-1][1]


def pick_all(table: tuple[tuple[float, str], ...], us: np.ndarray) -> list[str]:
    """:func:`pick` for a whole column of draws at once (the same choices, vectorised)."""
    edges = np.array([edge for edge, _ in table])
    names = [name for _, name in table]
    chosen = np.minimum(edges.searchsorted(us, side="right"), len(names) - 1)
    return [names[i] for i in chosen.tolist()]
