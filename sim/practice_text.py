"""A practice described from its scenario data, in words a practice manager reads.

Reports used to open with the scenario's ``description``, which a user's file inherits
from its base: a file that extends ``default`` with 6,500 patients and no HCA was headed
"6,000 listed patients, ... 1 healthcare assistant". Everything here is generated from
the scenario itself (list size, patient mix, staff and their week, delegation degree), so
it always describes the practice that ran; a description is quoted only when the
scenario's own file wrote it (see :func:`sim.provenance.own_description`).
"""
from __future__ import annotations

from collections.abc import Iterable

from sim.scenario.schema import WEEKDAYS, Scenario, Staff

_DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
              "sat": "Sat", "sun": "Sun"}


def plural(n: float, one: str, many: str | None = None) -> str:
    """'1 week', '4 weeks', '2.5 days': a count with its word, plural unless it is 1."""
    count = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{count} {one if n == 1 else (many or one + 's')}"


def role_name(scenario: Scenario, role: str, n: float = 1) -> str:
    """A role's short label ("GP", "nurse"), plural when ``n`` is not 1."""
    label = scenario.roles[role].label.split(" (")[0] if role in scenario.roles else role
    if not label[:2].isupper():  # "GP" stays, "Nurse" reads "nurse" inside a sentence
        label = label[:1].lower() + label[1:]
    if n == 1:
        return label
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy", "uy")):
        return label[:-1] + "ies"
    return label + ("es" if label.endswith(("s", "sh", "ch")) else "s")


def days_text(scenario: Scenario, spec: Staff, group: str | None = None) -> str:
    """Which working days a staff group is in: 'every working day', 'Mon, Wed', with
    different hours on some days, in some weeks of a rotation, or with absences; and, given
    the group's name, the duties it takes in turn."""
    weekdays = list(scenario.calendar.weekdays)
    present = [d for d in weekdays if spec.days is None or d in spec.days]
    seasonal = "; ".join(f"other days or hours in weeks {number_ranges(p.weeks_of_year)} "
                         "of the year"
                         for p in spec.periods)
    if not present:
        return f"no working day; {seasonal}" if seasonal else "no working day"
    text = ("every working day" if len(present) == len(weekdays)
            else ", ".join(_DAY_NAMES[d] for d in present))
    changed = [d for d in present if d in spec.on]
    if changed:
        text += f" (other hours or blocks on {', '.join(_DAY_NAMES[d] for d in changed)})"
    if spec.rotation is not None:
        weeks = ", ".join(str(w) for w in spec.rotation.weeks)
        text += f", in week{'s' if len(spec.rotation.weeks) > 1 else ''} {weeks} of every " \
                f"{spec.rotation.every_weeks}"
    if spec.absent:
        text += f", absent in {plural(len(spec.absent), 'listed week')}"
    if seasonal:
        text += f"; {seasonal}"
    for name, duty in scenario.duties.items():
        if group in duty.rota:
            text += f"; {_duty(name, duty)} duty one week in {len(duty.rota)}"
    return text


def number_ranges(numbers: Iterable[int]) -> str:
    """Whole numbers (weeks of the year, design points) in words, runs as ranges:
    '1, 7, 27-32'."""
    runs: list[list[int]] = []
    for w in sorted(set(numbers)):
        if runs and w == runs[-1][1] + 1:
            runs[-1][1] = w
        else:
            runs.append([w, w])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _duty(name: str, duty) -> str:
    """A duty in words: 'the Thu home visit day'."""
    return f"the {_DAY_NAMES[duty.weekday]} {name.replace('_', ' ')}"


def duty_sentence(scenario: Scenario) -> str | None:
    """The duties people take in turn, in words (None if there are none)."""
    if not scenario.duties:
        return None
    parts = [f"{_duty(name, d)} by {and_list(d.rota)}"
             + (", one week each" if len(d.rota) > 1 else "")
             for name, d in scenario.duties.items()]
    return "Duties in turn: " + "; ".join(parts) + "."


def meeting_sentence(scenario: Scenario) -> str | None:
    """The recurring meetings, in words (None if there are none)."""
    if not scenario.meetings:
        return None
    parts = []
    for name, m in scenario.meetings.items():
        often = ("every week" if m.every_weeks == 1 and m.weeks == [1]
                 else f"in week{'s' if len(m.weeks) > 1 else ''} "
                      f"{', '.join(str(w) for w in m.weeks)} of every {m.every_weeks}")
        who = "everyone in" if m.attendees is None else and_list(m.attendees)
        parts.append(f"{name.replace('_', ' ')} {', '.join(_DAY_NAMES[d] for d in m.days)} "
                     f"{_clock(m.start)}-{_clock(m.end)} {often} ({who})")
    return "Meetings: " + "; ".join(parts) + "."


def supervision_sentence(scenario: Scenario) -> str | None:
    """How questions reach a doctor, where it is not the usual asking and waiting (None
    if it is): interruption, messages, tasks in a doctor's calendar."""
    sup = scenario.supervision
    present = scenario.present_roles()

    def shares(by_role: dict[str, float]) -> str:
        items = [f"{role_name(scenario, r, 2)} ({100 * p:.0f} %)"
                 for r, p in by_role.items() if p > 0 and r in present]
        return and_list(items) if items else ""

    parts = []
    if sup.mode == "interrupt":
        parts.append("a clinician with a question calls a doctor out of a consultation")
    if shares(sup.messages):
        parts.append(f"{shares(sup.messages)} send that share of their questions as "
                     "messages, answered in a doctor's gap")
    if shares(sup.calendar):
        parts.append(f"{shares(sup.calendar)} put that share of their questions about inbox "
                     "items in a doctor's calendar as a task, in a planned slot")
    return "Questions to a doctor: " + "; ".join(parts) + "." if parts else None


def two_people_sentence(scenario: Scenario) -> str | None:
    """Consultations where a second person takes part: a history taken first, someone
    with the patient through a remote clinician's consultation (None if there are none)."""
    s = scenario
    parts = []
    for name, ctype in s.contact_types.items():
        h = ctype.history_taking
        if h is not None:
            parts.append(f"a free {_or([role_name(s, r) for r in h.by])} takes the history "
                         f"before a {_or([role_name(s, r) for r in h.before])} sees a "
                         f"same-day patient ({name.replace('_', ' ')})")
    for group, spec in s.staff.items():
        if spec.assisted_by and spec.count:
            parts.append(f"a {_or([role_name(s, r) for r in spec.assisted_by])} is with the "
                         f"patient through each consultation of {group}")
    return "Two people in one visit: " + "; ".join(parts) + "." if parts else None


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def staff_counts(scenario: Scenario) -> dict[str, int]:
    """People on staff by role (those in on at least one working day), largest level first."""
    weekdays = set(scenario.calendar.weekdays)
    counts: dict[str, int] = {}
    for spec in scenario.staff.values():
        if spec.count and (spec.days is None or weekdays.intersection(spec.days)):
            counts[spec.role] = counts.get(spec.role, 0) + spec.count
    return dict(sorted(counts.items(), key=lambda kv: (-scenario.roles[kv[0]].level
                                                       if kv[0] in scenario.roles else 0,
                                                       kv[0])))


def week_table(scenario: Scenario) -> tuple[list[str], list[tuple]]:
    """People in on each working weekday by role (the first week of a run; rotations and
    absences as the scenario gives them): a header and one row per role."""
    from sim.engine import CompiledScenario, RunCalendar

    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=1, warmup_weeks=0)
    days = calendar.days()
    roles = list(staff_counts(scenario))
    counts = {role: [0] * len(days) for role in roles}
    for i, day in enumerate(days):
        for person in model.people_on(day):
            counts.setdefault(person.role, [0] * len(days))[i] += 1
    header = ["role", *(_DAY_NAMES[d.name] for d in days)]
    return header, [(role_name(scenario, r, 2), *counts[r]) for r in counts]


def mix_text(scenario: Scenario, factor: float) -> str:
    """The list's contact rate against the reference population's, and where it comes
    from: stated in the scenario (``population.demand_factor``), or the patient mix."""
    if scenario.population.demand_factor is not None:
        return (f"{factor:.2f} times the contacts of the reference population, as the "
                "scenario states")
    return f"so {factor:.2f} times the contacts of the reference population"


def practice_sentences(scenario: Scenario) -> list[str]:
    """The practice in a few sentences, generated from the scenario's data."""
    from sim.engine.model import CompiledScenario

    s = scenario
    p = s.population
    mix = CompiledScenario(s).mix_factor
    weekdays = [d for d in WEEKDAYS if d in s.calendar.weekdays]
    open_days = ("Monday to Friday" if weekdays == ["mon", "tue", "wed", "thu", "fri"]
                 else ", ".join(_DAY_NAMES[d] for d in weekdays))
    sentences = [
        f"A practice with {p.list_size:,} listed patients, {100 * p.share_70plus:.0f} % aged "
        f"70 or more and {100 * p.share_morbid:.0f} % with chronic illness ("
        f"{mix_text(s, mix)}), open "
        f"{_clock(s.clinic.open)}-{_clock(s.clinic.close)} {open_days}"
        f"{other_hours(s)}."]
    counts = staff_counts(s)
    if counts:
        people = [f"{n} {role_name(s, r, n)}" for r, n in counts.items()]
        missing = [role_name(s, r, 0) for r in ("hca", "nurse")
                   if r in s.roles and r not in counts]
        text = "Staff: " + and_list(people)
        if missing:
            text += f" (no {' and no '.join(missing)})"
        sentences.append(text + ".")
    part = []
    for group, spec in s.staff.items():
        when = days_text(s, spec)
        if spec.count and when != "every working day":
            part.append(f"{spec.count} {role_name(s, spec.role, spec.count)} ({group}) "
                        f"{when}")
    sentences.append("Everyone works every working day." if not part else
                     "Not every day: " + "; ".join(part) + ".")
    for extra in (duty_sentence(s), meeting_sentence(s), supervision_sentence(s),
                  two_people_sentence(s)):
        if extra:
            sentences.append(extra)
    sentences.append(f"Delegation degree {s.delegation.degree}: "
                     + {"low": "doctors see most patients first",
                        "medium": "nurses start some contact types before a doctor",
                        "high": "nurses and other staff are the first contact for most "
                                "contact types; doctors mainly supervise"}.get(
                         s.delegation.degree, "routes as the scenario lists them") + ".")
    return sentences


def delegation_rows(scenario: Scenario) -> list[tuple[str, str]]:
    """Who may start each contact type at the scenario's degree, in the order its route
    tries them, among the roles present and able to handle it."""
    s = scenario
    present = s.present_roles()
    rows = []
    for ctype, roles in s.delegation.routes.get(s.delegation.degree, {}).items():
        able = [r for r in roles if r in present and r in s.contact_types[ctype].durations]
        if able:
            rows.append((s.contact_types[ctype].label,
                         " then ".join(role_name(s, r) for r in able)))
    return rows


def other_hours(s: Scenario) -> str:
    """The weekdays whose opening hours differ, as a bracket: `` (Wed 08:00-18:00)``."""
    own = [f"{_DAY_NAMES[d]} {'-'.join(_clock(t) for t in s.clinic.hours(d))}"
           for d in WEEKDAYS if d in s.clinic.on and d in s.calendar.weekdays]
    return f" ({', '.join(own)})" if own else ""


def _clock(minutes: float) -> str:
    from sim.scenario.schema import clock_text

    return clock_text(minutes)


def and_list(items: list[str]) -> str:
    """``items`` as a reader lists them: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


__all__ = ["and_list", "days_text", "delegation_rows", "duty_sentence", "meeting_sentence",
           "practice_sentences", "role_name", "staff_counts", "week_table"]
