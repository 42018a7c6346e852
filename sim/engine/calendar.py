"""The run's calendar: consecutive working days, their weekday, week and demand factor.

Day ``d`` of a run (0 = the first simulated day, warm-up included) falls in week
``d // n`` (0-based) on working weekday ``d % n``, where ``n`` is the number of working
weekdays. Demand on a day is the yearly rate spread evenly over working days, times the
weekday's factor (normalised so the working weekdays average 1) and the season's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario.schema import WEEKS_PER_YEAR as _WEEKS, Calendar

#: Weeks in a year, for the seasonal cosine.
WEEKS_PER_YEAR = float(_WEEKS)


@dataclass(frozen=True)
class Day:
    """One working day of a run."""

    index: int        # 0-based day of the run, warm-up included
    week: int         # 0-based week of the run
    weekday: int      # position in the calendar's working weekdays
    name: str         # "mon", "tue", ...
    demand_factor: float
    measured: bool    # False during the warm-up
    week_of_year: int = 1  # 1-52, from the calendar's start week (staff periods, the season)


class RunCalendar:
    def __init__(self, calendar: Calendar, weeks: int | None = None,
                 warmup_weeks: int | None = None, days: int | None = None,
                 warmup_days: int | None = None):
        self.calendar = calendar
        self.weekdays: tuple[str, ...] = tuple(calendar.weekdays)
        n = len(self.weekdays)
        weeks = calendar.weeks if weeks is None else weeks
        warmup_weeks = calendar.warmup_weeks if warmup_weeks is None else warmup_weeks
        self.warmup_days = warmup_weeks * n if warmup_days is None else warmup_days
        self.measured_days = weeks * n if days is None else days
        self.total_days = self.warmup_days + self.measured_days
        raw = [calendar.demand_by_weekday.get(name, 1.0)  # type: ignore[call-overload]
               for name in self.weekdays]
        mean = math.fsum(raw) / n
        self.weekday_factors: tuple[float, ...] = tuple(f / mean for f in raw)
        #: the days asked for so far, by index: worked out once a calendar, not at every
        #: ask (a run asks for each day two or three times, and the book for the days it
        #: looks ahead, past the run's end too); every run of a command shares them (runs
        #: in threads sharing a calendar at worst store the same day twice)
        self._days: dict[int, Day] = {}

    def __getstate__(self) -> dict:
        """Pickled without its days: a worker works them out as its first run asks."""
        state = self.__dict__.copy()
        state["_days"] = {}
        return state

    def season_factor(self, week: int) -> float:
        """Relative demand in week ``week`` of the run (1 without a season)."""
        season = self.calendar.season
        if season is None:
            return 1.0
        # a cosine between trough (1 - a) and peak (1 + a), with (1 + a) / (1 - a) = ratio
        ratio = season.peak_to_trough
        amplitude = (ratio - 1.0) / (ratio + 1.0)
        week_of_year = self.week_of_year(week) - 1
        phase = 2.0 * math.pi * (week_of_year - (season.quietest_week - 1)) / WEEKS_PER_YEAR
        return 1.0 - amplitude * math.cos(phase)

    def week_of_year(self, week: int) -> int:
        """Week of the year (1-52) of week ``week`` (0-based) of the run."""
        return self.calendar.week_of_year(week)

    def day(self, index: int) -> Day:
        """Day ``index`` of the run (or past its end: the book looks ahead)."""
        found = self._days.get(index)
        if found is None:
            if index < 0:
                raise IndexError(f"a run has no day {index}")
            found = self._days[index] = self._make_day(index)
        return found

    def days(self) -> list[Day]:
        return [self.day(i) for i in range(self.total_days)]

    def _make_day(self, index: int) -> Day:
        n = len(self.weekdays)
        week, weekday = divmod(index, n)
        return Day(index, week, weekday, self.weekdays[weekday],
                   self.weekday_factors[weekday] * self.season_factor(week),
                   index >= self.warmup_days, self.week_of_year(week))
