"""The phone's offered load hour by hour, from a scenario's inputs alone.

Why callers hang up is mostly arithmetic a consultant can check before any run: the calls
a phone line is expected to get in an hour (the demand rates, the weekday's factor and the
time-of-day profile), times the mean triage call of the people answering it then, against
the minutes those people are on that line. Above 1 the line is offered more work than it
can do in that hour, before a single redial, and callers queue past their patience. The
figure uses no simulation output, so it says which inputs make a phone too thin.
"""
from __future__ import annotations

from dataclasses import dataclass

from sim.engine.calendar import RunCalendar
from sim.engine.model import CompiledScenario
from sim.scenario.schema import clock_text

#: Length of the windows the load is summed over, in minutes.
HOUR = 60.0


@dataclass(frozen=True)
class PhoneHour:
    """One phone line in one hour of one working weekday."""

    weekday: str
    start: float        # minutes after midnight
    line: str
    calls: float        # first rings expected (no redials)
    offered_min: float  # calls x the mean triage call of the people on the line then
    staffed_min: float  # minutes people spend in blocks that answer this line

    @property
    def load(self) -> float:
        """Offered over staffed minutes (infinite if calls come and no one answers)."""
        return _load(self.calls, self.offered_min, self.staffed_min)


@dataclass(frozen=True)
class PhoneWeek:
    """One phone line's hours summed over an average working week: whether the line's
    people could answer its first rings at all, given all their phone hours, as against
    the busiest hour, which says whether they are there when the calls come."""

    line: str
    calls: float        # first rings expected in the week (no redials)
    offered_min: float  # the week's triage minutes, hour by hour as in PhoneHour
    staffed_min: float  # the week's minutes in blocks that answer this line

    @property
    def load(self) -> float:
        return _load(self.calls, self.offered_min, self.staffed_min)


#: A load above which a phone's week is called near full: a queue of random calls waits
#: longer and longer as its load nears 1 (Erlang C: with 2 people at a load of 0.9 a
#: caller waits about 4.3 calls' lengths on average, at 0.5 about a third of one).
NEAR_FULL = 0.9

def _load(calls: float, offered_min: float, staffed_min: float) -> float:
    if staffed_min > 0:
        return offered_min / staffed_min
    return float("inf") if calls > 0 else 0.0


def _share_in(profile, start: float, end: float) -> float:
    """Share of a day's arrivals of ``profile`` between ``start`` and ``end`` (arrivals
    spread evenly within each window, as the engine draws them)."""
    share, before = 0.0, 0.0
    for a, b, cum in zip(profile.starts, profile.ends, profile.cdf):
        overlap = max(0.0, min(b, end) - max(a, start))
        if b > a:
            share += (cum - before) * overlap / (b - a)
        before = cum
    return share


def phone_hours(model: CompiledScenario) -> list[PhoneHour]:
    """Every working weekday's hours in which a phone line gets calls or is staffed, on
    an average week of the year (no season, the usual weeks' roster)."""
    s = model.scenario
    calendar = RunCalendar(s.calendar, weeks=1, warmup_weeks=0)
    streams = [name for name, d in s.demand.items() if d.channel == "phone"]
    lines = sorted({s.demand[n].line for n in streams})
    out = []
    for i, weekday in enumerate(calendar.weekdays):
        opens, closes = s.clinic.hours(weekday)
        factor = calendar.weekday_factors[i]
        people = model.weekday_people[i]
        t = opens
        while t < closes:
            end = t + HOUR
            for line in lines:
                calls = 0.0
                for name in streams:
                    profile = model.day_profiles[weekday].get(name)
                    if s.demand[name].line == line and profile is not None:
                        calls += (model.expected_per_day(name) * factor
                                  * _share_in(profile, t, end))
                by_role: dict[str, float] = {}
                for p in people:
                    for b in p.plan:
                        if "call" in b.serve_set and (b.lines is None or line in b.lines):
                            minutes = max(0.0, min(b.end, end) - max(b.start, t))
                            if minutes > 0 and p.role in model.triage_duration:
                                by_role[p.role] = by_role.get(p.role, 0.0) + minutes
                staffed = sum(by_role.values())
                if calls <= 0 and staffed <= 0:
                    continue
                mean = (sum(model.triage_duration[r].mean * m for r, m in by_role.items())
                        / staffed if staffed else 0.0)
                out.append(PhoneHour(weekday, t, line, calls, calls * mean, staffed))
            t = end
    return out


def phone_weeks(model: CompiledScenario) -> list[PhoneWeek]:
    """Each phone line's hours of :func:`phone_hours` summed over the week, by line."""
    totals: dict[str, list[float]] = {}
    for h in phone_hours(model):
        week = totals.setdefault(h.line, [0.0, 0.0, 0.0])
        week[0] += h.calls
        week[1] += h.offered_min
        week[2] += h.staffed_min
    return [PhoneWeek(line, *totals[line]) for line in sorted(totals)]


def week_of(model: CompiledScenario, hour: PhoneHour) -> PhoneWeek:
    """The week of the line ``hour`` is on."""
    return next(w for w in phone_weeks(model) if w.line == hour.line)


def busiest_phone_hour(model: CompiledScenario) -> PhoneHour | None:
    """The hour and line with the highest offered load (None without phone demand)."""
    hours = [h for h in phone_hours(model) if h.calls > 0]
    return max(hours, key=lambda h: h.load) if hours else None


def load_sentence(hour: PhoneHour | None) -> str:
    """The busiest hour in words, for reports."""
    if hour is None:
        return ""
    when = (f"{hour.weekday.capitalize()} {clock_text(hour.start)}-"
            f"{clock_text(hour.start + HOUR)}")
    line = "" if hour.line == "main" else f" on the {hour.line} line"
    if hour.staffed_min <= 0:
        return (f"In its busiest phone hour ({when}{line}) about {hour.calls:.0f} calls "
                "come and no one answers that line.")
    return (f"In its busiest phone hour ({when}{line}) about {hour.calls:.0f} calls come, "
            f"{hour.offered_min:.0f} minutes of triage for {hour.staffed_min:.0f} staffed "
            f"minutes on the phone: a load of {hour.load:.2f} before any redial.")


def week_sentence(week: PhoneWeek, peak: PhoneHour | None = None) -> str:
    """A line's week in words: too few phone hours in all, too few at the peak (its
    busiest hour, ``peak``), or enough even then."""
    line = "its phone" if week.line == "main" else f"its {week.line} line"
    if week.staffed_min <= 0:
        return (f"Over an average week {line} gets about {week.calls:,.0f} calls and no one "
                "answers it in any hour.")
    text = (f"Over an average week {line} gets about {week.calls:,.0f} calls, "
            f"{week.offered_min:,.0f} minutes of triage for {week.staffed_min:,.0f} staffed "
            f"minutes: a load of {week.load:.2f}")
    if week.load > 1:
        return (text + ", more than its people can do in all their phone hours together: "
                "however patient, some callers cannot be answered, so more phone hours "
                "are needed, not only at the peak.")
    if peak is None or peak.load > 1:
        spare = ("" if week.load <= NEAR_FULL else ", though with little to spare: calls "
                 "come at random, and near a load of 1 even an hour with enough people "
                 "queues long")
        return (text + f": the phone hours would do if the calls came evenly{spare}; it is "
                "the peak that is short of people.")
    if week.load > NEAR_FULL:
        return (text + ", and even its busiest hour has more staffed minutes than minutes "
                "of triage, though with little to spare: calls come at random, and near a "
                "load of 1 they queue long even with enough people.")
    return (text + ", and even its busiest hour has more staffed minutes than minutes of "
            "triage: callers who wait do so because calls come at random and bunch within "
            "the hour, not for want of phone hours.")
