"""Checks that relate one part of a scenario to another.

Field types and ranges are the schema's job; these checks catch a scenario that is
well-formed but cannot describe a working day: a block outside working hours, a phone
window nobody staffs, a contact type no present role may handle, probabilities that do
not sum to one. Each check yields problems; the loader attaches the file names.

:func:`scenario_warnings` finds days that are valid but probably not what was meant
(acute slots nobody can use, slots outside opening hours, no one consulting, a weekday
with no one for a type of same-day need); the command line
prints them as warnings.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from sim.practice_text import and_list, plural
from sim.scenario.errors import Problem, show
from sim.scenario.schema import (Rotation, Scenario, clock_text, in_cycle,
                                 period_of, period_view)

SUM_TOLERANCE = 1e-6


def _problem(path: tuple, expected: str, found: object = None) -> Problem:
    return Problem("", path, expected, None if found is None else str(found))


def _sums_to_one(path: tuple, shares: Mapping[str, float]) -> Iterator[Problem]:
    total = math.fsum(shares.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        yield _problem(path, "shares that sum to 1", f"a sum of {total:.6g}")


def _uncovered(window: tuple[float, float], cover: Iterable[tuple[float, float]]):
    """Parts of ``window`` that no interval in ``cover`` covers."""
    start, end = window
    gaps = []
    for a, b in sorted(cover):
        if a > start:
            gaps.append((start, min(a, end)))
        start = max(start, b)
        if start >= end:
            break
    if start < end:
        gaps.append((start, end))
    return [(a, b) for a, b in gaps if b - a > 1e-9]


def _span(a: float, b: float) -> str:
    return f"{clock_text(a)}-{clock_text(b)}"


def check_scenario(s: Scenario) -> list[Problem]:
    if not any(p.count > 0 for p in s.staff.values()):
        # Everything else would fail for want of staff: say the one thing that matters.
        return [*_check_clinic(s), _problem(("staff",), "at least one person on staff",
                                             "none")]
    return [
        *_check_clinic(s),
        *_check_calendar(s),
        *_check_roles_and_types(s),
        *_check_demand(s),
        *_check_triage(s),
        *_check_routes(s),
        *_check_supervision(s),
        *_check_planned_needs(s),
        *_check_group_and_pre_tests(s),
        *_check_staff(s),
        *_check_own_clinicians(s),
        *_check_duties(s),
        *_check_meetings(s),
        *_check_coverage(s),
    ]


def _check_clinic(s: Scenario) -> Iterator[Problem]:
    if s.clinic.open >= s.clinic.close:
        yield _problem(("clinic", "close"), "a closing time after the opening time",
                       _span(s.clinic.open, s.clinic.close))
    for weekday in s.clinic.on:
        if weekday not in s.calendar.weekdays:
            yield _problem(("clinic", "on", weekday),
                           f"a working weekday ({', '.join(s.calendar.weekdays)})", weekday)
            continue
        opens, closes = s.clinic.hours(weekday)
        if opens >= closes:
            yield _problem(("clinic", "on", weekday),
                           "a closing time after the opening time", _span(opens, closes))
    if s.population.teams:
        yield from _sums_to_one(("population", "teams"), s.population.teams)
    yield from _check_rates(s)


def _check_rates(s: Scenario) -> Iterator[Problem]:
    """A patient aged 70+ and morbid contacts the practice at ``relative_rate_70plus +
    relative_rate_morbid - 1`` times the rest's rate (the two add as excesses over 1), so
    where a list has both kinds of patient the sum must be above 1."""
    p = s.population
    if p.share_70plus > 0 and p.share_morbid > 0 and \
            p.relative_rate_70plus + p.relative_rate_morbid <= 1:
        yield _problem(("population", "relative_rate_morbid"),
                       "relative_rate_70plus + relative_rate_morbid above 1 (a patient aged "
                       "70+ and morbid contacts the practice at their sum - 1 times the "
                       "rest's rate)",
                       f"{p.relative_rate_70plus:g} + {p.relative_rate_morbid:g}")


def _check_calendar(s: Scenario) -> Iterator[Problem]:
    c = s.calendar
    working = ", ".join(c.weekdays)
    if len(set(c.weekdays)) != len(c.weekdays):
        yield _problem(("calendar", "weekdays"), "each weekday once", c.weekdays)
    for field, mapping in (("calendar", "demand_by_weekday"), ("booking", "no_show_by_weekday")):
        section = getattr(s, field)
        for day in getattr(section, mapping):
            if day not in c.weekdays:
                yield _problem((field, mapping, day), f"a working weekday ({working})", show(day))


def _check_planned_needs(s: Scenario) -> Iterator[Problem]:
    for role in s.notes.share_of_consultation:
        if role not in s.roles:
            yield _problem(("notes", "share_of_consultation", role),
                           f"a role ({', '.join(s.roles)})", show(role))
    f = s.follow_ups
    for role in f.after_same_day:
        if role not in s.roles:
            yield _problem(("follow_ups", "after_same_day", role),
                           f"a role ({', '.join(s.roles)})", show(role))
    for ctype in f.after_inbox:
        if ctype not in s.contact_types:
            yield _problem(("follow_ups", "after_inbox", ctype),
                           f"a contact type ({', '.join(s.contact_types)})", show(ctype))
    asks = any(p > 0 for p in f.after_same_day.values()) or any(
        p > 0 for p in f.after_inbox.values())
    if asks and f.after_days is None:
        yield _problem(("follow_ups", "after_days"),
                       "a distribution of working days until the follow-up", "none")
    needs = [(("follow_ups", "contact_type"), f.contact_type)] if asks else []
    if s.reviews is not None:
        needs.append((("reviews", "contact_type"), s.reviews.contact_type))
    for path, ctype in needs:
        if ctype not in s.contact_types:
            yield _problem(path, f"a contact type ({', '.join(s.contact_types)})", show(ctype))


def _check_group_and_pre_tests(s: Scenario) -> Iterator[Problem]:
    for name, ctype in s.contact_types.items():
        if ctype.pre_test is not None and ctype.pre_test.contact_type not in s.contact_types:
            yield _problem(("contact_types", name, "pre_test", "contact_type"),
                           f"a contact type ({', '.join(s.contact_types)})",
                           show(ctype.pre_test.contact_type))
    for name, ctype in s.contact_types.items():
        history = ctype.history_taking
        if history is None:
            continue
        for field, roles in (("by", history.by), ("before", history.before)):
            for i, role in enumerate(roles):
                if role not in s.roles:
                    yield _problem(("contact_types", name, "history_taking", field, i),
                                   f"a role ({', '.join(s.roles)})", show(role))
                elif field == "before" and role not in ctype.durations:
                    yield _problem(("contact_types", name, "history_taking", field, i),
                                   f"a role with a duration for {name!r} "
                                   f"({', '.join(ctype.durations)})", show(role))
    arising = arising_types(s)
    for name in sorted(t for t in arising if s.contact_types[t].group):
        able = set(s.contact_types[name].durations)
        seats = [(sid, p.role) for sid, p in s.staff.items() if p.count > 0
                 for b in all_blocks(s, sid) if b.group_size]
        if not any(role in able for _sid, role in seats):
            yield _problem(("contact_types", name, "group"),
                           f"a block with group_size held by a role that may take {name!r} "
                           "(group sessions need group slots)", "none")
    # seats need slots, on every day a block is written for: the usual day, a weekday's
    # own plan, a period's and a duty's
    for path, block in _written_blocks(s):
        kind = s.block_kinds.get(block.kind)
        if block.group_size and kind is not None and kind.slots == "none":
            yield _problem(path + ("group_size",),
                           "a block kind with bookable slots (planned or acute)", block.kind)


def _check_roles_and_types(s: Scenario) -> Iterator[Problem]:
    for name, role in s.roles.items():
        if role.default_block not in s.block_kinds:
            yield _problem(("roles", name, "default_block"),
                           f"a block kind ({', '.join(s.block_kinds)})", show(role.default_block))
    for name, ctype in s.contact_types.items():
        for role in ctype.durations:
            if role not in s.roles:
                yield _problem(("contact_types", name, "durations", role),
                               f"a role ({', '.join(s.roles)})", show(role))
        if not ctype.durations:
            yield _problem(("contact_types", name, "durations"),
                           "at least one role that can handle this contact type", "none")
    for name, kind in s.block_kinds.items():
        if kind.slots != "none" and "booked" not in kind.serves:
            yield _problem(("block_kinds", name, "serves"),
                           "'booked' in serves, since this block has bookable slots", kind.serves)


def _check_demand(s: Scenario) -> Iterator[Problem]:
    for name, stream in s.demand.items():
        path = ("demand", name)
        for ctype in stream.mix:
            if ctype not in s.contact_types:
                yield _problem(path + ("mix", ctype),
                               f"a contact type ({', '.join(s.contact_types)})", show(ctype))
        yield from _sums_to_one(path + ("mix",), stream.mix)
        needs_profile = stream.channel not in ("planned", "outreach") and \
            stream.per_patient_year > 0
        usual_days = [d for d in s.calendar.weekdays if d not in stream.on]
        overnight = stream.channel == "inbox"
        yield from _check_profile(s, path, stream.profile, usual_days, needs_profile,
                                  overnight)
        for weekday, own in stream.on.items():
            if weekday not in s.calendar.weekdays:
                yield _problem(path + ("on", weekday),
                               f"a working weekday ({', '.join(s.calendar.weekdays)})", weekday)
                continue
            yield from _check_profile(s, path + ("on", weekday), own.profile, [weekday],
                                      needs_profile, overnight)
        if stream.channel == "outreach":
            kind = s.block_kinds.get(stream.block) if stream.block else None
            if kind is None:
                yield _problem(path + ("block",), f"the block kind outreach is served in "
                               f"({', '.join(s.block_kinds)})", show(stream.block))
            elif "outreach" not in kind.serves:
                yield _problem(("block_kinds", stream.block, "serves"),
                               "'outreach' in serves, since a demand stream's outreach "
                               f"({name}) is served in it", kind.serves)
            elif stream.per_patient_year > 0 and not any(
                    b.kind == stream.block for sid, p in s.staff.items() if p.count > 0
                    for b in all_blocks(s, sid)):
                yield _problem(path + ("block",), f"someone on staff with a {stream.block!r} "
                               "block on some weekday, to serve this outreach", "no one")
        elif stream.block is not None:
            yield _problem(path + ("block",), "block only on an outreach stream", stream.channel)
        if stream.channel != "phone" and (stream.triage_outcomes or stream.line != "main"):
            yield _problem(path + ("line",), "line and triage_outcomes only on a phone stream",
                           stream.channel)
        for role, shares in stream.triage_outcomes.items():
            if role not in s.triage.durations:
                yield _problem(path + ("triage_outcomes", role),
                               f"a role that triages ({', '.join(s.triage.durations)})",
                               show(role))
            yield from _sums_to_one(path + ("triage_outcomes", role), shares)
        if stream.patience is not None and stream.channel != "phone":
            yield _problem(path + ("patience",), "patience only on a phone stream",
                           stream.channel)
        if stream.redial is not None and stream.channel != "phone":
            yield _problem(path + ("redial",), "redial only on a phone stream", stream.channel)


def _check_profile(s: Scenario, path: tuple, profile: list, weekdays: list[str],
                   needs_weight: bool, overnight: bool = False) -> Iterator[Problem]:
    """A profile's windows lie within the opening hours of every weekday it is used on;
    an inbox's may start before opening (``overnight``: what came in while the practice
    was closed waits for the first person in). A weekday whose hours close before they
    open is left out: that is one error, on ``clinic``, not one per window."""
    for i, w in enumerate(profile):
        if w.start >= w.end:
            yield _problem(path + ("profile", i), "a window whose end is after its start",
                           _span(w.start, w.end))
            continue
        for weekday in weekdays:
            opens, closes = s.clinic.hours(weekday)
            if opens >= closes:
                continue  # the hours' own error is reported (clinic); no window fits them
            if (w.start < opens and not overnight) or w.end > closes:
                on = f" on {weekday}" if s.clinic.on else ""
                within = "ending by closing" if overnight else "within opening hours"
                yield _problem(path + ("profile", i),
                               f"a window {within} {_span(opens, closes)}{on}",
                               _span(w.start, w.end))
                break
    if needs_weight and math.fsum(w.weight for w in profile) <= 0:
        yield _problem(path + ("profile",),
                       "at least one window with positive weight (when contacts arrive)", "none")


def _check_triage(s: Scenario) -> Iterator[Problem]:
    t = s.triage
    for role in t.durations:
        if role not in s.roles:
            yield _problem(("triage", "durations", role), f"a role ({', '.join(s.roles)})",
                           show(role))
        if role not in t.outcomes:
            yield _problem(("triage", "outcomes"), f"outcome shares for {role!r}, who triages",
                           "none")
    for role, outcomes in t.outcomes.items():
        if role not in t.durations:
            yield _problem(("triage", "outcomes", role),
                           "a role that also has a triage duration", show(role))
        yield from _sums_to_one(("triage", "outcomes", role), outcomes)
    for field in ("e_consultation_type", "home_visit_type"):
        value = getattr(t, field)
        if value not in s.contact_types:
            yield _problem(("triage", field), f"a contact type ({', '.join(s.contact_types)})",
                           show(value))


def arising_types(s: Scenario) -> set[str]:
    """Contact types that can arise in this scenario (and so need a route)."""
    types = {c for d in s.demand.values() if d.per_patient_year > 0 for c, p in d.mix.items()
             if p > 0}
    f = s.follow_ups
    if any(p > 0 for p in f.after_same_day.values()) or any(p > 0 for p in
                                                           f.after_inbox.values()):
        types.add(f.contact_type)
    if s.reviews is not None and s.population.share_morbid > 0:
        types.add(s.reviews.contact_type)
    for ctype in list(types):  # a visit with a first stage brings that stage's type
        spec = s.contact_types.get(ctype)
        if spec is not None and spec.pre_test is not None:
            types.add(spec.pre_test.contact_type)
    if any(d.channel == "phone" and d.per_patient_year > 0 for d in s.demand.values()):
        triagers = {p.role for p in s.staff.values() if p.count > 0}
        for outcome, ctype in (("e_consultation", s.triage.e_consultation_type),
                               ("home_visit", s.triage.home_visit_type)):
            if any(shares.get(outcome, 0) > 0 for role, shares in s.triage.outcomes.items()
                   if role in triagers):
                types.add(ctype)
    return types & set(s.contact_types)


def _check_route(s: Scenario, path: tuple, ctype: str, roles: list[str]) -> list[Problem]:
    """A route's contact type exists and each of its roles exists and is competent for it."""
    if ctype not in s.contact_types:
        return [_problem(path, f"a contact type ({', '.join(s.contact_types)})", show(ctype))]
    found = []
    for role in roles:
        if role not in s.roles:
            found.append(_problem(path, f"roles from ({', '.join(s.roles)})", show(role)))
        elif role not in s.contact_types[ctype].durations:
            found.append(_problem(path, f"roles competent for {ctype!r} (with a duration in "
                                  f"contact_types.{ctype}.durations)", show(role)))
    return found


def _check_routes(s: Scenario) -> Iterator[Problem]:
    d = s.delegation
    for degree, routes in d.routes.items():
        for ctype, roles in routes.items():
            yield from _check_route(s, ("delegation", "routes", degree, ctype), ctype, roles)
    for ctype, roles in d.complex_routes.items():
        path = ("delegation", "complex_routes", ctype)
        yield from _check_route(s, path, ctype, roles)
        if ctype not in s.contact_types:
            continue
        if not (s.present_roles() & set(roles)):
            yield _problem(path, f"a role on staff who may handle {ctype!r} for a complex "
                           "patient", show(roles))
    if d.degree not in d.routes:
        yield _problem(("delegation", "degree"), f"one of {', '.join(d.routes)}", show(d.degree))
        return
    present = s.present_roles() & set(s.roles)
    for ctype in sorted(arising_types(s)):
        route = d.routes[d.degree].get(ctype)
        if route is None:
            yield _problem(("delegation", "routes", d.degree),
                           f"a route for contact type {ctype!r}, which arises", "none")
        elif not present.intersection(route):
            yield _problem(("delegation", "routes", d.degree, ctype),
                           f"a role on staff who may handle {ctype!r} (staff roles: "
                           f"{', '.join(sorted(present)) or 'none'})", show(route))


def _check_supervision(s: Scenario) -> Iterator[Problem]:
    sup = s.supervision
    present = s.present_roles() & set(s.roles)
    for role in sorted(set(sup.messages) & set(sup.calendar)):
        total = sup.messages[role] + sup.calendar[role]
        if total > 1:
            yield _problem(("supervision", "calendar", role),
                           f"a share that adds up to at most 1 with supervision.messages."
                           f"{role} ({sup.messages[role]:g})", show(sup.calendar[role]))
    for field in ("questions", "joint", "triage_questions", "messages", "calendar"):
        for role, p in getattr(sup, field).items():
            if role not in s.roles:
                yield _problem(("supervision", field, role), f"a role ({', '.join(s.roles)})",
                               show(role))
                continue
            level = s.roles[role].level
            can_answer = [r for r in present if s.roles[r].supervises and s.roles[r].level > level]
            if p > 0 and role in present and not can_answer:
                yield _problem(("supervision", field, role),
                               f"a supervising role above {role!r} on staff to answer", "none")
            elif field == "calendar" and p > 0 and role in present:
                inbox = sorted({c for d in s.demand.values() if d.channel == "inbox"
                                and d.per_patient_year > 0 for c, q in d.mix.items() if q > 0})
                takers = [r for r in can_answer for c in inbox if c in s.contact_types
                          and r in s.contact_types[c].durations]
                if inbox and not takers:
                    yield _problem(("supervision", field, role),
                                   f"a supervising role above {role!r} on staff with a "
                                   f"duration for an inbox contact type ({', '.join(inbox)})",
                                   f"none among {', '.join(sorted(can_answer))}")


def _check_staff(s: Scenario) -> Iterator[Problem]:
    on_staff = {p.role for p in s.staff.values() if p.count > 0}
    for sid, person in s.staff.items():
        path = ("staff", sid)
        if person.role not in s.roles:
            yield _problem(path + ("role",), f"a role ({', '.join(s.roles)})", show(person.role))
        if person.team is not None and person.team not in s.population.teams:
            yield _problem(path + ("team",),
                           f"a team from population.teams ({', '.join(s.population.teams)})",
                           show(person.team))
        if person.rotation is not None:
            for i, week in enumerate(person.rotation.weeks):
                if week > person.rotation.every_weeks:
                    yield _problem(path + ("rotation", "weeks", i),
                                   f"a week of the {person.rotation.every_weeks}-week cycle",
                                   str(week))
        for i, absence in enumerate(person.absent):
            for day in absence.days or []:
                if day not in s.calendar.weekdays:
                    yield _problem(path + ("absent", i, "days"),
                                   f"working weekdays ({', '.join(s.calendar.weekdays)})",
                                   show(day))
        for i, role in enumerate(person.assisted_by):
            if role not in s.roles:
                yield _problem(path + ("assisted_by", i), f"a role ({', '.join(s.roles)})",
                               show(role))
            elif role not in on_staff:
                yield _problem(path + ("assisted_by", i), "a role someone on staff has",
                               show(role))
        yield from _check_week(s, path, person, person)
        first: dict[int, int] = {}  # week of the year -> the period that has it
        for i, period in enumerate(person.periods):
            ppath = path + ("periods", i)
            for j, week in enumerate(period.weeks_of_year):
                other = first.setdefault(week, i)
                if other != i:
                    yield _problem(ppath + ("weeks_of_year", j),
                                   "each week of the year in one period only",
                                   f"week {week}, also in periods[{other}]")
            yield from _check_week(s, ppath, period, period_view(person, period))


def _check_own_clinicians(s: Scenario) -> Iterator[Problem]:
    """A role patients are listed with besides the GP must exist, keep no GP list of its
    own, and have someone on staff to be listed with."""
    for role in s.population.own_clinician:
        path = ("population", "own_clinician", role)
        if role not in s.roles:
            yield _problem(path, f"a role ({', '.join(s.roles)})", show(role))
        elif s.roles[role].keeps_list:
            yield _problem(path, "a role that keeps no GP list (its people are own GPs "
                                 "already)", show(role))
        elif not any(p.role == role and p.count > 0 for p in s.staff.values()):
            yield _problem(path, "a role with someone on staff", f"no one with role {role}")
        elif not any(p.role == role and p.count > 0 and p.list_share != 0
                     for p in s.staff.values()):
            yield _problem(path, "someone of the role who keeps a list",
                           f"list_share 0 for every {role}")


def _check_week(s: Scenario, path: tuple, entry, person) -> Iterator[Problem]:
    """A staff entry's (or one of its periods') weekdays and each weekday's hours and
    blocks: ``entry`` is what the file sets at ``path``, ``person`` the week it makes."""
    working = ", ".join(s.calendar.weekdays)
    for day in entry.days or []:
        if day not in s.calendar.weekdays:
            yield _problem(path + ("days",), f"working weekdays ({working})", show(day))
    for day in entry.on:
        if day not in s.calendar.weekdays:
            yield _problem(path + ("on", day), f"a working weekday ({working})", show(day))
        elif person.days is not None and day not in person.days:
            yield _problem(path + ("on", day), f"a weekday this person is in "
                           f"({', '.join(person.days)}); to drop the plan for {day} (say, "
                           f"one the file extended sets): \"on\": {{{day}: null}}",
                           show(day))
    plans = [] if entry is not person else [(path, person)]
    plans += [(path + ("on", d), _day_view(person, d)) for d in entry.on]
    for where, plan in plans:
        yield from _check_hours(s, where, plan)


def all_blocks(s: Scenario, sid: str) -> list:
    """Every block a staff entry may work: their usual day, their weekdays' own plans and
    the duties they take in turn."""
    p = s.staff[sid]
    return [*p.blocks, *(b for d in p.on.values() for b in (d.blocks or [])),
            *(b for period in p.periods for d in period.on.values() for b in (d.blocks or [])),
            *(b for duty in s.duties.values() if sid in duty.rota for b in duty.blocks)]


def _check_duties(s: Scenario) -> Iterator[Problem]:
    """Each duty on a working weekday, taken by people who are in that day, one a week,
    no one holding two duties the same day of the same week, its blocks within hours."""
    working = ", ".join(s.calendar.weekdays)
    taken: dict[tuple[str, int, str], str] = {}  # (weekday, week of the cycle, person)
    cycle = math.lcm(*(len(d.rota) for d in s.duties.values())) if s.duties else 1
    for name, duty in s.duties.items():
        path = ("duties", name)
        if duty.weekday not in s.calendar.weekdays:
            yield _problem(path + ("weekday",), f"a working weekday ({working})",
                           show(duty.weekday))
            continue
        for i, sid in enumerate(duty.rota):
            person = s.staff.get(sid)
            if person is None:
                yield _problem(path + ("rota", i), f"a staff entry ({', '.join(s.staff)})",
                               show(sid))
                continue
            if person.count != 1:
                yield _problem(path + ("rota", i), "a staff entry of one person (count: 1)",
                               f"{sid} with count {person.count}")
                continue
            if person.days is not None and duty.weekday not in person.days:
                yield _problem(path + ("rota", i), f"someone in on {duty.weekday}",
                               f"{sid}, in on {', '.join(person.days)}")
                continue
            for week in range(i, cycle, len(duty.rota)):
                other = taken.setdefault((duty.weekday, week, sid), name)
                if other != name:
                    yield _problem(path + ("rota", i), f"one duty a day for {sid}",
                                   f"{other} and {name} on {duty.weekday} in week "
                                   f"{week + 1} of every {cycle}")
                    break
            yield from _check_hours(s, path, duty_view(person, duty))


def _check_meetings(s: Scenario) -> Iterator[Problem]:
    """Each meeting on working weekdays, within the clinic's day, of a block kind that
    offers no slots, its weeks within its cycle, its attendees on staff."""
    working = ", ".join(s.calendar.weekdays)
    for name, meeting in s.meetings.items():
        path = ("meetings", name)
        for day in meeting.days:
            if day not in s.calendar.weekdays:
                yield _problem(path + ("days",), f"working weekdays ({working})", show(day))
        if meeting.start >= meeting.end:
            yield _problem(path + ("end",), "an end after its start",
                           _span(meeting.start, meeting.end))
        bk = s.block_kinds.get(meeting.kind)
        if bk is None:
            yield _problem(path + ("kind",), f"a block kind ({', '.join(s.block_kinds)})",
                           show(meeting.kind))
        elif bk.slots != "none":
            yield _problem(path + ("kind",), "a block kind without bookable slots",
                           f"{meeting.kind!r} with {bk.slots} slots")
        for i, week in enumerate(meeting.weeks):
            if week > meeting.every_weeks:
                yield _problem(path + ("weeks", i),
                               f"a week of the {meeting.every_weeks}-week cycle", str(week))
        for i, sid in enumerate(meeting.attendees or []):
            if sid not in s.staff:
                yield _problem(path + ("attendees", i),
                               f"a staff entry ({', '.join(s.staff)})", show(sid))


def duty_view(person, duty):
    """A rota member's hours and blocks on their duty day: the duty's blocks, in the duty's
    hours where it sets them, else in the person's own hours that day."""
    from types import SimpleNamespace

    own = _day_view(person, duty.weekday) if duty.weekday in person.on else person
    return SimpleNamespace(role=person.role,
                           start=own.start if duty.start is None else duty.start,
                           end=own.end if duty.end is None else duty.end,
                           blocks=duty.blocks)


def _rota_views(s: Scenario, duty) -> list:
    """(staff id, duty day view) of each rota member who is on staff."""
    return [(sid, duty_view(s.staff[sid], duty)) for sid in duty.rota
            if sid in s.staff and s.staff[sid].count > 0]


def _day_view(person, weekday: str):
    """A person's hours and blocks on ``weekday`` (their ``on`` entry over their usual day)."""
    from types import SimpleNamespace

    own = person.on[weekday]
    return SimpleNamespace(role=person.role,
                           start=person.start if own.start is None else own.start,
                           end=person.end if own.end is None else own.end,
                           blocks=person.blocks if own.blocks is None else own.blocks)


def _plans(person) -> Iterator[tuple[tuple, Any]]:
    """(path prefix, day plan) of a person's usual day and of each weekday with its own
    blocks or hours, so a warning about blocks names the entry that set them."""
    yield (), person
    for weekday, own in person.on.items():
        yield (("on", weekday) if own.blocks is not None else ()), _day_view(person, weekday)


def _check_hours(s: Scenario, path: tuple, person) -> Iterator[Problem]:
    if person.start >= person.end:
        yield _problem(path + ("end",), "an end of work after its start",
                       _span(person.start, person.end))
        return
    hours = _span(person.start, person.end)
    previous_end, previous = None, None
    for i, block in sorted(enumerate(person.blocks), key=lambda ib: ib[1].start):
        bpath = path + ("blocks", i)
        if block.kind not in s.block_kinds:
            yield _problem(bpath + ("kind",), f"a block kind ({', '.join(s.block_kinds)})",
                           show(block.kind))
        if block.start >= block.end:
            yield _problem(bpath, "a block whose end is after its start",
                           _span(block.start, block.end))
        elif block.start < person.start or block.end > person.end:
            yield _problem(bpath, f"a block within the working hours {hours}",
                           _span(block.start, block.end))
        elif previous_end is not None and block.start < previous_end:
            yield _problem(bpath, "blocks that do not overlap",
                           f"{_span(block.start, block.end)} starting before "
                           f"{clock_text(previous_end)}, the end of blocks[{previous}]")
        if previous_end is None or block.end > previous_end:
            previous_end, previous = block.end, i


def weekday_plans(s: Scenario, weekday: str):
    """(group id, role, hours-and-blocks view) of everyone on staff on ``weekday``."""
    for sid, person in s.staff.items():
        if person.count == 0 or (person.days is not None and weekday not in person.days):
            continue
        yield sid, person.role, (_day_view(person, weekday) if weekday in person.on
                                 else person)


def _serving_intervals(s: Scenario, weekday: str, work: str, roles: set[str] | None = None,
                       line: str | None = None):
    """When someone on staff is in a block that serves ``work`` on ``weekday`` (for calls,
    one that answers phone ``line``, if given)."""
    for _sid, role_name, plan in weekday_plans(s, weekday):
        if roles is not None and role_name not in roles:
            continue
        role = s.roles.get(role_name)
        for start, end, kind in day_plan(s, plan, role.default_block if role else None):
            bk = s.block_kinds.get(kind)
            if bk is not None and work in bk.serves and (
                    line is None or bk.lines is None or line in bk.lines):
                yield (start, end)


def day_plan(s: Scenario, person, default_block: str | None):
    """A person's blocks with the gaps filled by their role's default block."""
    plan, t = [], person.start
    for block in sorted(person.blocks, key=lambda b: b.start):
        if block.start > t and default_block is not None:
            plan.append((t, block.start, default_block))
        plan.append((block.start, block.end, block.kind))
        t = max(t, block.end)
    if t < person.end and default_block is not None:
        plan.append((t, person.end, default_block))
    return plan


def _all_views(s: Scenario, sid: str) -> list:
    """Every day plan of a staff entry: their usual day, their weekdays' own, their
    periods' weekdays' own and their duty days."""
    person = s.staff[sid]
    return [person, *(_day_view(person, d) for d in person.on),
            *(duty_view(person, duty) for duty in s.duties.values() if sid in duty.rota),
            *(_day_view(period_view(person, period), d)
              for period in person.periods for d in period.on)]


def _reversed(view) -> bool:
    """Whether a day plan's hours, or one of its blocks, end before they start: an error
    of its own (:func:`_check_hours`), after which the plan's cover of the day means
    nothing (a phone block 12:00-08:00 covers no hour, and every phone hour would be
    reported unanswered besides)."""
    return view.start >= view.end or any(b.start >= b.end for b in view.blocks)


def _check_coverage(s: Scenario) -> Iterator[Problem]:
    triagers = set(s.triage.durations)
    for person_id, person in s.staff.items():
        role = s.roles.get(person.role)
        if role is None or person.role in triagers:
            continue
        found = next(((start, end, kind) for view in _all_views(s, person_id)
                      for start, end, kind in day_plan(s, view, role.default_block)
                      if s.block_kinds.get(kind) is not None
                      and "call" in s.block_kinds[kind].serves), None)
        if found is not None:
            start, end, kind = found
            yield _problem(("staff", person_id),
                           f"phone duty only for roles that triage "
                           f"({', '.join(sorted(triagers))})",
                           f"{person.role!r} on {kind!r} {_span(start, end)}")
    if any(p.role not in s.roles for p in s.staff.values() if p.count > 0):
        return  # who covers which hours waits for the role's own error to be fixed
    if any(_reversed(view) for sid, p in s.staff.items() if p.count > 0
           for view in _all_views(s, sid)):
        return  # ... and for a block or a day that ends before it starts
    #: phone hours no one covers: (stream, profile path) -> weekday -> [(window, gap)]
    unanswered: dict[tuple, dict[str, list]] = {}
    for weekday in s.calendar.weekdays:
        walk_in_cover = list(_serving_intervals(s, weekday, "walk_in"))
        on = f" on {weekday}" if len(s.calendar.weekdays) > 1 else ""
        for name, stream in s.demand.items():
            if stream.per_patient_year <= 0:
                continue
            own = stream.on.get(weekday)
            for i, w in enumerate(_profile_on(stream, weekday)):
                if w.weight <= 0 or w.start >= w.end:
                    continue
                path = ("demand", name, *(() if own is None else ("on", weekday)), "profile", i)
                if stream.channel == "phone":
                    phone_cover = list(_serving_intervals(s, weekday, "call", triagers,
                                                          stream.line))
                    for gap in _uncovered((w.start, w.end), phone_cover):
                        unanswered.setdefault((name, path[:-1]), {}).setdefault(
                            weekday, []).append((i, (w.start, w.end), gap))
                elif stream.channel == "walk_in":
                    if not any(a < w.end and b > w.start for a, b in walk_in_cover):
                        yield _problem(path, f"someone in a block serving walk-ins during "
                                       f"{_span(w.start, w.end)}{on}", "no one")
    yield from _unanswered_phone(s, unanswered)


def _unanswered_phone(s: Scenario, unanswered: dict[tuple, dict[str, list]]
                      ) -> Iterator[Problem]:
    """Phone hours no one answers, one problem per run of hours and the weekdays it
    happens on (a phone entry set to count 0 would otherwise give one per hour and day),
    naming the staff entries with phone blocks but no one in them."""
    empty = sorted(f"staff.{pid}" for pid, entry in s.staff.items() if entry.count == 0 and any(
        "call" in getattr(s.block_kinds.get(b.kind), "serves", ())
        for b in [*entry.blocks, *(b for plan in entry.on.values() if plan is not None
                                   for b in plan.blocks or ())]))
    why = f" ({', '.join(empty)}: count 0)" if empty else ""
    several = len(s.calendar.weekdays) > 1
    for (_name, profile), by_day in unanswered.items():
        days: dict[tuple, list[str]] = {}
        for weekday, found in by_day.items():
            days.setdefault(tuple(found), []).append(weekday)
        for found, weekdays in days.items():
            on = f" on {', '.join(weekdays)}" if several else ""
            gaps = _merged([gap for _i, _w, gap in found])
            if len({i for i, _w, _gap in found}) == 1:  # one window: its own path
                i, (w0, w1), _gap = found[0]
                yield _problem((*profile, i), f"someone on phone duty throughout the phone "
                               f"window {_span(w0, w1)}{on}", "no one on the phone "
                               + ", ".join(_span(a, b) for a, b in gaps) + why)
                continue
            windows = _merged([w for _i, w, _gap in found])
            yield _problem(profile, "someone on phone duty throughout the phone windows "
                           + ", ".join(_span(a, b) for a, b in windows) + on,
                           "no one on the phone " + ", ".join(_span(a, b) for a, b in gaps)
                           + why)


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Time spans with those that touch joined."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1e-9:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# --- warnings: days that validate but make no sense ---------------------------------------

#: Waiting work that is a patient seen by a clinician: someone in a block serving one of
#: these can consult.
CONSULTING_WORK = ("booked", "walk_in", "squeeze_in")


def scenario_warnings(s: Scenario | str | Path, *, weeks: int | None = None,
                      warmup_weeks: int | None = None) -> list[Problem]:
    """Signs that a valid scenario describes a day that cannot work as meant: acute slots
    no same-day need can use, bookable slots outside opening hours, no one able to consult. The
    model runs such a day faithfully, so these are warnings, not errors; each names the
    field (the caller adds the file). ``s``: a loaded scenario, a bundled name or a file;
    ``weeks`` and ``warmup_weeks`` are the run's, where they are not the scenario's
    calendar's (``--weeks``): absences outside them are said."""
    from sim.scenario.loading import as_scenario  # (loading imports this module)

    s = as_scenario(s)
    if check_scenario(s):
        return []  # an invalid scenario gets its errors, not guesses built on them
    return [*_warn_acute_slots(s), *_warn_slots_outside_hours(s), *_warn_no_consulting(s),
            *_warn_no_one_for_same_day(s), *_warn_no_one_to_answer(s),
            *_warn_phone_without_calls(s), *_warn_absent_attendees(s),
            *_warn_takes_no_work(s), *_warn_planned_slots(s), *_warn_weekday_demand(s),
            *_warn_no_days(s), *_warn_unused_slot_length(s), *_warn_empty_list(s),
            *_warn_absences(s, weeks, warmup_weeks), *_warn_absences_on_days_off(s)]


def roles_on_routes(s: Scenario) -> set[str]:
    """Roles a route at the scenario's delegation degree names (complex patients' routes
    too): the roles a need can be booked with."""
    return ({r for route in s.delegation.routes.get(s.delegation.degree, {}).values()
             for r in route}
            | {r for route in s.delegation.complex_routes.values() for r in route})


def roles_given_work(s: Scenario) -> set[str]:
    """Roles some work can reach at the scenario's delegation degree: a route of a
    contact type (complex patients' routes too), answering the phone (a triage duration),
    answering questions (a supervising role), assisting a colleague, or taking a history."""
    roles = roles_on_routes(s)
    roles |= set(s.triage.durations)
    roles |= {r for r, spec in s.roles.items() if spec.supervises}
    roles |= {r for entry in s.staff.values() for r in entry.assisted_by}
    roles |= {r for spec in s.contact_types.values() if spec.history_taking is not None
              for r in spec.history_taking.by}
    return roles


def _warn_takes_no_work(s: Scenario) -> Iterator[Problem]:
    """Someone on staff with blocks of waiting for work (activity ``idle``: planned,
    acute, open ...) whose role no work reaches at the degree (a manager added to consult,
    while no route names managers): those blocks stay idle, which the file hardly meant.
    Blocks whose time is work of its own (admin, meetings) are not waiting."""
    given = roles_given_work(s)
    waiting: dict[str, set[str]] = {}
    for weekday in s.calendar.weekdays:
        for sid, role_name, plan in weekday_plans(s, weekday):
            role = s.roles.get(role_name)
            if role is None or role_name in given:
                continue
            for _start, _end, kind in day_plan(s, plan, role.default_block):
                bk = s.block_kinds.get(kind)
                if bk is not None and bk.activity == "idle" and bk.serves:
                    waiting.setdefault(sid, set()).add(kind)
    for sid, kinds in waiting.items():
        degree = s.delegation.degree
        yield _problem(("staff", sid),
                       f"a role that work goes to at delegation degree {degree!r}: named in a "
                       f"route (delegation.routes.{degree}), answering the phone "
                       "(triage.durations), supervising, assisting or taking histories",
                       f"role {s.staff[sid].role!r}, which no work reaches, in blocks that "
                       f"wait for work ({', '.join(sorted(kinds))}): idle there all day")


def _warn_no_one_to_answer(s: Scenario) -> Iterator[Problem]:
    """A weekday on which someone in asks a doctor questions (`supervision.questions` or
    `triage_questions`) but no one in may answer them (a supervising role of a higher
    level): those questions go unanswered that day, and the patients they are about wait
    or leave without the answer."""
    sup = s.supervision
    asking = {role for shares in (sup.questions, sup.triage_questions)
              for role, share in shares.items() if share > 0}
    for weekday in s.calendar.weekdays:
        present = {role for _sid, role, _plan in weekday_plans(s, weekday)}
        answerers = [s.roles[r].level for r in present if s.roles[r].supervises]
        unanswered = sorted(r for r in present & asking
                            if not any(level > s.roles[r].level for level in answerers))
        if unanswered:
            who = (", ".join(unanswered[:-1]) + " and " + unanswered[-1]
                   if len(unanswered) > 1 else unanswered[0])
            yield _problem(("staff",),
                           f"someone in on {weekday} who answers questions from {who} (a "
                           "supervising role of a higher level)",
                           f"no one in on {weekday} to answer questions from {who}: they go "
                           "unanswered that day")


def same_day_types(s: Scenario) -> set[str]:
    """Contact types that triage can send to an acute slot today: the types of the
    phone streams, when a triaging role on staff sends some calls to a same-day slot."""
    present = s.present_roles()
    sends = any(shares.get("same_day", 0) > 0 for role, shares in s.triage.outcomes.items()
                if role in present)
    if not sends:
        return set()
    return {c for d in s.demand.values() if d.channel == "phone" and d.per_patient_year > 0
            for c, p in d.mix.items() if p > 0}


def _slot_blocks(s: Scenario, person, slots: str) -> list[tuple[tuple, float, float, str]]:
    """(path, start, end, kind) of the parts of a person's day with bookable ``slots``;
    a part filled by the role's default block points at the person."""
    role = s.roles.get(person.role)
    index = {(b.start, b.end, b.kind): i for i, b in enumerate(person.blocks)}
    found = []
    for start, end, kind in day_plan(s, person, role.default_block if role else None):
        bk = s.block_kinds.get(kind)
        if bk is not None and bk.slots == slots:
            i = index.get((start, end, kind))
            found.append((("blocks", i) if i is not None else (), start, end, kind))
    return found


def _warn_acute_slots(s: Scenario) -> Iterator[Problem]:
    needs = same_day_types(s)
    if not needs:
        return
    routes = s.delegation.routes.get(s.delegation.degree, {})
    types = ", ".join(sorted(needs))
    # (path, who, role, acute slot blocks) of each usual plan and of each duty's rota member
    holders = [(("staff", sid), "", person.role,
                [(prefix + where, start, end) for prefix, plan in _plans(person)
                 for where, start, end, _kind in _slot_blocks(s, plan, "acute")])
               for sid, person in s.staff.items() if person.count > 0]
    holders += [(("duties", name), f"{sid}, ", view.role,
                 [(where, start, end) for where, start, end, _kind
                  in _slot_blocks(s, view, "acute")])
                for name, duty in s.duties.items() for sid, view in _rota_views(s, duty)]
    present_holders = 0
    for path, who, role, blocks in holders:
        if not blocks:
            continue
        present_holders += 1
        if not any(role in routes.get(t, ()) for t in needs):
            where, start, end = blocks[0]
            yield _problem(path + where,
                           f"acute slots held by a role that may take a same-day contact type "
                           f"({types}) at delegation degree {s.delegation.degree!r}",
                           f"acute slots {_span(start, end)} for {who}role {role!r}, who "
                           "may take none of them")
    if present_holders:
        return
    for sid, person in s.staff.items():
        if person.count == 0 and any(_slot_blocks(s, plan, "acute")
                                     for _, plan in _plans(person)):
            yield _problem(("staff", sid, "count"),
                           "someone present to hold the acute slots of this day plan",
                           "0: the acute slots are held by nobody present")


def _warn_planned_slots(s: Scenario) -> Iterator[Problem]:
    """Planned slots held by someone whose role no route at the degree names: no need is
    ever booked in them (case 10's consulting manager, asked at low before the case's file
    gave her routes there: base.yaml's routes name no managers)."""
    degree = s.delegation.degree
    routed = roles_on_routes(s)
    given = roles_given_work(s)  # a role no work reaches at all: warned of as such
    for sid, person in s.staff.items():
        if person.count == 0 or person.role in routed or person.role not in given:
            continue
        blocks = [(prefix + where, start, end) for prefix, plan in _plans(person)
                  for where, start, end, _kind in _slot_blocks(s, plan, "planned")]
        if blocks:
            where, start, end = blocks[0]
            yield _problem(("staff", sid) + where,
                           f"planned slots held by a role that a route at delegation degree "
                           f"{degree!r} names (delegation.routes.{degree})",
                           f"planned slots {_span(start, end)} for role {person.role!r}, "
                           "which no route names: no one is ever booked in them")


def _outside(start: float, end: float, opens: float, close: float) -> list[str]:
    """The parts of a block of slots outside opening hours, in words ('' if none)."""
    parts = []
    if start < opens:
        parts.append(f"{_span(start, min(end, opens))} before opening")
    if end > close:
        parts.append(f"{_span(max(start, close), end)} after closing")
    return parts


def _warn_slots_outside_hours(s: Scenario) -> Iterator[Problem]:
    """Bookable slots before opening or after closing: patients would be booked, and
    seen, while the practice is closed."""
    for sid, person in s.staff.items():
        if person.count == 0:
            continue
        seen = set()
        for slots in ("planned", "acute"):
            for weekday in s.calendar.weekdays:
                if person.days is not None and weekday not in person.days:
                    continue
                own = person.on.get(weekday)
                plan = person if own is None else _day_view(person, weekday)
                prefix = ("on", weekday) if own is not None and own.blocks is not None else ()
                opens, close = s.clinic.hours(weekday)
                for where, start, end, kind in _slot_blocks(s, plan, slots):
                    outside = _outside(start, end, opens, close)
                    if not outside or (prefix + where, start, end) in seen:
                        continue
                    seen.add((prefix + where, start, end))
                    on = f" on {weekday}" if s.clinic.on else ""
                    yield _problem(("staff", sid, *prefix, *where),
                                   f"bookable slots within opening hours "
                                   f"{_span(opens, close)}{on}",
                                   f"{slots} slots " + " and ".join(outside)
                                   + f" (block {kind!r})")
    for name, duty in s.duties.items():  # a duty's blocks, in its rota members' hours
        if duty.weekday not in s.calendar.weekdays:
            continue
        opens, close = s.clinic.hours(duty.weekday)
        odd = {(where, start, end, kind) for _sid, view in _rota_views(s, duty)
               for slots in ("planned", "acute")
               for where, start, end, kind in _slot_blocks(s, view, slots)
               if _outside(start, end, opens, close)}
        for where, start, end, kind in sorted(odd, key=lambda w: (w[1], w[2])):
            yield _problem(("duties", name, *where),
                           f"bookable slots within opening hours {_span(opens, close)} on "
                           f"{duty.weekday}", "slots " + " and ".join(
                               _outside(start, end, opens, close)) + f" (block {kind!r})")


def _warn_no_consulting(s: Scenario) -> Iterator[Problem]:
    for weekday in s.calendar.weekdays:
        opening = s.clinic.hours(weekday)
        if any(a < opening[1] and b > opening[0] for work in CONSULTING_WORK
               for a, b in _serving_intervals(s, weekday, work)):
            continue
        on = f" on {weekday}" if len(s.calendar.weekdays) > 1 else ""
        yield _problem(("staff",),
                       f"someone present in a block serving booked, walk_in or squeeze_in "
                       f"during opening hours {_span(*opening)}{on}",
                       "no one able to consult")


def _warn_no_one_for_same_day(s: Scenario) -> Iterator[Problem]:
    """A weekday on which no one in may take a contact type the phone or the door brings
    for the same day (a roster with no doctor on Fridays, where certificates are for
    doctors): such needs cannot be seen that day. Planned needs book another day, so only
    the phone's and walk-ins' types count."""
    routes = s.delegation.routes.get(s.delegation.degree, {})
    for weekday in s.calendar.weekdays:
        types = sorted({c for d in s.demand.values()
                        if d.channel in ("phone", "walk_in") and d.per_patient_year > 0
                        and _rings_on(d, weekday)
                        for c, share in d.mix.items() if share > 0 and routes.get(c)})
        # (a remote clinician takes only the types that may be done remotely)
        present = {(role, s.staff[sid].remote) for sid, role, _plan in weekday_plans(s, weekday)}
        missing = [t for t in types if not any(
            role in routes[t] and (not remote or s.contact_types[t].remote)
            for role, remote in present)]
        if missing:
            yield _problem(("staff",),
                           f"someone in on {weekday} of the roles these go to at delegation "
                           f"degree {s.delegation.degree!r} ("
                           + "; ".join(f"{t}: {', '.join(routes[t])}" for t in missing) + ")",
                           f"no one in on {weekday} who may take {' or '.join(missing)}: "
                           "such same-day needs wait for another day")


def _rings_on(stream, weekday: str) -> bool:
    """Whether a demand stream brings anything on ``weekday`` (its own profile there, if
    it has one, has a window with weight)."""
    return any(w.weight > 0 for w in _profile_on(stream, weekday))


def _profile_on(stream, weekday: str) -> list:
    """A demand stream's profile on ``weekday``: its own there, if it has one."""
    own = stream.on.get(weekday)
    return stream.profile if own is None else own.profile


def _warn_phone_without_calls(s: Scenario) -> Iterator[Problem]:
    """Someone on phone duty (a block that serves calls and nothing else) in an hour no
    phone stream's profile rings in: the phone hours changed in the blocks but not in
    ``demand.*.profile``, say. The person sits idle there but for callers still queued
    and same-day redials; one problem per staff entry and stretch, naming the weekdays."""
    found: dict[tuple, list[str]] = {}
    for weekday in s.calendar.weekdays:
        ringing = []  # (line, start, end) of every phone stream's windows this weekday
        for stream in s.demand.values():
            if stream.channel != "phone" or stream.per_patient_year <= 0:
                continue
            ringing += [(stream.line, w.start, w.end)
                         for w in _profile_on(stream, weekday) if w.weight > 0]
        for sid, role_name, plan in weekday_plans(s, weekday):
            role = s.roles.get(role_name)
            for start, end, kind in day_plan(s, plan, role.default_block if role else None):
                bk = s.block_kinds.get(kind)
                if bk is None or list(bk.serves) != ["call"]:
                    continue
                answered = [(a, b) for line, a, b in ringing
                            if bk.lines is None or line in bk.lines]
                for gap in _uncovered((start, end), answered):
                    found.setdefault((sid, kind, gap), []).append(weekday)
    several = len(s.calendar.weekdays) > 1
    for (sid, kind, (a, b)), weekdays in found.items():
        on = f" on {', '.join(weekdays)}" if several else ""
        yield _problem(("staff", sid), "phone duty in hours when calls ring (the phone "
                       "streams' profiles under demand)",
                       f"{kind!r} {_span(a, b)}{on}, when no new call rings (only "
                       "callers still queued and same-day redials)")


def _warn_absent_attendees(s: Scenario) -> Iterator[Problem]:
    """A meeting attendee that is a staff entry with no one in it (count 0): the meeting
    goes on without them, which a file that set the count to 0 may not have meant."""
    for name, meeting in s.meetings.items():
        for i, who in enumerate(meeting.attendees or []):
            entry = s.staff.get(who)
            if entry is not None and entry.count == 0:
                yield _problem(("meetings", name, "attendees", i),
                               "an attendee with someone in it (or left out of the list)",
                               f"{who!r} with count 0")


#: How far the days a year the working weekdays give (52 of each) may lie from
#: ``clinic.working_days_per_year`` without a warning: the default's five weekdays give
#: 260 days against 251 (public holidays), 4 % apart; a sixth weekday gives 24 % more.
WORKING_DAYS_TOLERANCE = 0.10


def _warn_weekday_demand(s: Scenario) -> Iterator[Problem]:
    """Demand as the run's calendar spreads it (sim/engine/calendar.py): every working day
    gets the yearly rates over ``clinic.working_days_per_year``, times its weekday's
    ``demand_by_weekday`` factor (a weekday without one counts as 1.0; the factors are
    scaled to average 1 over the working weekdays). So a weekday added to
    ``calendar.weekdays`` adds a day's demand to every week instead of spreading the year's
    over more days, and beside weekdays with factors it gets 1.0 unasked."""
    c = s.calendar
    factors = c.demand_by_weekday
    missing = [d for d in c.weekdays if d not in factors]
    if factors and missing:
        mean = math.fsum(factors.get(d, 1.0) for d in c.weekdays) / len(c.weekdays)
        given = ", ".join(f"{d} {factors[d]:g}" for d in c.weekdays if d in factors)
        they = "it is" if len(missing) == 1 else "each is"
        yield _problem(("calendar", "demand_by_weekday"),
                       f"a factor for each working weekday ({', '.join(c.weekdays)}) once any "
                       f"has one (write {missing[0]}: 1.0 if that is what is meant)",
                       f"no factor for {and_list(missing)}: {they} taken as 1.0 beside "
                       f"{given}, which gives {and_list(missing)} {1.0 / mean:.2f} times an "
                       "average working day's demand")
    per_year = s.clinic.working_days_per_year
    n = len(c.weekdays)
    days = 52 * n
    if abs(days / per_year - 1.0) > WORKING_DAYS_TOLERANCE:
        yield _problem(("clinic", "working_days_per_year"),
                       f"about the days a year the working weekdays give ({days}, less "
                       "public holidays), to spread a year's demand over them",
                       f"{per_year:g} beside {n} working weekday{'s' if n != 1 else ''} in "
                       f"calendar.weekdays ({days} days in 52 weeks): every working day gets "
                       f"1/{per_year:g} of the demand streams' yearly rates "
                       f"(per_patient_year), so 52 weeks of {n} working days bring "
                       f"{days / per_year:.2f} times the yearly rates")


def _warn_empty_list(s: Scenario) -> Iterator[Problem]:
    """A list of no patients (the bundled base's placeholder, for a file to set): valid,
    since a capacity search sets the list itself, but a run of it simulates a practice
    no contact reaches."""
    if s.population.list_size == 0:
        yield _problem(("population", "list_size"), "the practice's listed patients (demand "
                       "is per listed patient: run and compare simulate a practice no "
                       "contact reaches; capacity searches list sizes itself)", "0")


def _warn_no_days(s: Scenario) -> Iterator[Problem]:
    """A staff entry with people in it who are never in (:meth:`Staff.never_in`): they
    work no day of any run (``validate`` counts them apart from its head count), which a
    file that sets a count hardly meant."""
    for sid, person in s.staff.items():
        if person.count == 0 or not person.never_in():
            continue
        people = "1 person" if person.count == 1 else f"{person.count} people"
        yield _problem(("staff", sid, "days"),
                       "the weekdays they are in, or count: 0 if no one is meant to be",
                       f"[] for {people}: in on no weekday, so they work no day of the run")


def _written_blocks(s: Scenario) -> Iterator[tuple[tuple, Any]]:
    """(path, block) of every block a file writes: a person's usual day, their weekdays'
    own plans, their periods' weekday plans and the duties."""
    for sid, person in s.staff.items():
        path = ("staff", sid)
        yield from ((path + ("blocks", i), b) for i, b in enumerate(person.blocks))
        plans = [(path, person.on)] + [(path + ("periods", j), period.on)
                                       for j, period in enumerate(person.periods)]
        for where, on in plans:
            for day, plan in on.items():
                yield from ((where + ("on", day, "blocks", i), b)
                            for i, b in enumerate(plan.blocks or []))
    for name, duty in s.duties.items():
        yield from ((("duties", name, "blocks", i), b) for i, b in enumerate(duty.blocks))


def _warn_unused_slot_length(s: Scenario) -> Iterator[Problem]:
    """``slot_min`` on a block whose kind has no slots (a lunch, a buffer hour): the engine
    reads a block's slot length only where it lays out slots, so this one does nothing. A
    warning, not an error: changing a slot block's kind (a sweep turning acute slots into a
    buffer hour) leaves its slot_min behind, harmlessly."""
    for path, block in _written_blocks(s):
        kind = s.block_kinds.get(block.kind)
        if block.slot_min is not None and kind is not None and kind.slots == "none":
            yield _problem(path + ("slot_min",),
                           "slot_min only on a block kind with bookable slots (planned or "
                           "acute), where it is the length of the slots",
                           f"{block.kind!r}, a block kind without slots (block_kinds."
                           f"{block.kind}.slots: none): the {block.slot_min:g} minutes are "
                           "not used")


def _weeks_text(first: int, last: int) -> str:
    """'week 3' or 'weeks 1-4'."""
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def _warn_absences(s: Scenario, weeks: int | None = None,
                   warmup_weeks: int | None = None) -> Iterator[Problem]:
    """Absences the run never measures. An absence's week counts the run's weeks, warm-up
    included (the engine compares it with the day's week of the run, 1 = the first
    simulated week), so one after the run's last week never happens, and one within the
    warm-up happens in weeks that are simulated and discarded. One problem per staff entry
    and kind, naming the weeks."""
    measured = s.calendar.weeks if weeks is None else weeks
    warmup = s.calendar.warmup_weeks if warmup_weeks is None else warmup_weeks
    last = warmup + measured
    run = (f"{plural(warmup, 'week')} of warm-up, then {measured} measured" if warmup
           else f"{plural(measured, 'week')}, all measured")
    for sid, person in s.staff.items():
        if person.count == 0:
            continue
        after = [(i, a.week) for i, a in enumerate(person.absent) if a.week > last]
        early = [(i, a.week) for i, a in enumerate(person.absent) if a.week <= warmup]
        for found, late in ((after, True), (early, False)):
            if not found:
                continue
            one = len(found) == 1
            them = "the absence" if one else "the absences"
            said = (f"after the run's last (week {last}): {them} never "
                    f"{'happens' if one else 'happen'}" if late else
                    f"within the warm-up ({_weeks_text(1, warmup)}), which is simulated and "
                    f"discarded: {them} {'is' if one else 'are'} never measured")
            path = ("staff", sid, "absent") + ((found[0][0],) if one else ())
            listed = and_list([str(week) for _i, week in found])
            yield _problem(path, f"an absence in a measured week of the run, "
                           f"{_weeks_text(warmup + 1, last)} (the run has {run}; an "
                           "absence's week 1 is the run's first, warm-up included)",
                           f"week{'' if one else 's'} {listed}, {said}")


def _warn_absences_on_days_off(s: Scenario) -> Iterator[Problem]:
    """An absence that names only weekdays the person is not in that week (Friday off for
    someone in Monday to Thursday) takes no one away: the file meant another day, or
    another person. An absence's week is a week of the run, so the days it is held to are
    those of that week of the year (a period's, where one covers it). An absence that also
    names a day they are in is meant (a whole week written mon-fri for a part-timer). An
    absence, whole or of some days, in a week their rotation has them out takes no one
    away either. One problem per staff entry and kind, naming the weeks. Someone never in
    is said once, as such."""
    for sid, person in s.staff.items():
        if person.count == 0 or person.never_in():
            continue
        rot = person.rotation
        off_rotation = [(i, a.week) for i, a in enumerate(person.absent) if rot is not None
                        and not in_cycle(a.week - 1, rot.every_weeks, rot.weeks)]
        if off_rotation:
            yield _off_rotation(sid, off_rotation, rot)
        found: dict[tuple, list[tuple[int, int]]] = {}  # (days, in on, period) -> absences
        for i, absence in enumerate(person.absent):
            if not absence.days or (i, absence.week) in off_rotation:
                continue
            week_of_year = s.calendar.week_of_year(absence.week - 1)
            period = period_of(person, week_of_year) if person.periods else None
            view = person if period is None else period_view(person, person.periods[period])
            in_on = tuple(d for d in s.calendar.weekdays
                          if view.days is None or d in view.days)
            if not set(absence.days) & set(in_on):
                when = None if period is None else (week_of_year, period)
                found.setdefault((tuple(absence.days), in_on, when), []).append(
                    (i, absence.week))
        for (days, in_on, when), absences in found.items():
            one = len(absences) == 1
            weeks = and_list([str(week) for _i, week in absences])
            they = (f"they are in on {and_list(list(in_on))} only" if in_on
                    else "they are in on no weekday")
            if when is not None:
                they = f"in week {when[0]} of the year (periods[{when[1]}]) {they}"
            path = ("staff", sid, "absent") + ((absences[0][0], "days") if one else ())
            yield _problem(path, "an absence on a weekday they are in (or under the staff "
                           "entry of the person meant)",
                           f"{and_list(list(days))} in week{'' if one else 's'} {weeks}: "
                           f"{they}, so the absence{' takes' if one else 's take'} no one "
                           "away")


def _off_rotation(sid: str, absences: list[tuple[int, int]], rot: Rotation) -> Problem:
    """The absences (index, week of the run) of staff entry ``sid`` in weeks its rotation
    has them out: they take no one away."""
    one = len(absences) == 1
    weeks = and_list([str(week) for _i, week in absences])
    path = ("staff", sid, "absent") + ((absences[0][0], "week") if one else ())
    cycle = (f"weeks {and_list([str(w) for w in rot.weeks])}" if len(rot.weeks) > 1
             else f"week {rot.weeks[0]}")
    return _problem(path, "an absence in a week their rotation has them in (or under the "
                    "staff entry of the person meant)",
                    f"week{'' if one else 's'} {weeks}: their rotation has them in only in "
                    f"{cycle} of every {rot.every_weeks} (counted from the run's first "
                    f"week), so the absence{' takes' if one else 's take'} no one away")
