"""Compact per-day records: plain tuples appended during the day, tables built later.

Nothing here computes a metric; :mod:`sim.metrics` turns these into tidy tables. Each
list's tuple layout is named by its ``*_COLUMNS`` constant, which the tables use.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.calendar import Day

#: A contact that reached its outcome today (or, in ``after_run``, when the run ended).
CONTACT_COLUMNS = ("contact_id", "channel", "contact_type", "team", "day_arise", "t_arise",
                   "outcome", "t_outcome", "t_seen", "seen_by", "seen_by_id", "same_day",
                   "patient", "own_gp", "complex", "own_clinician")
#: One ring of the phone: answered (t_answer) or not (NaN), and when the wait ended.
CALL_COLUMNS = ("contact_id", "t_arrive", "t_answer", "role", "t_end")
#: One task a person did.
TASK_COLUMNS = ("worker", "kind", "contact_id", "t0", "t1")
#: One person's day.
STAFF_COLUMNS = ("staff_id", "group", "role", "team", "start", "end", "left", "time")
#: A planned need booked today: where it came from, when it was asked for, the slot.
#: ``due_day`` is the day the patient asked to be seen from: the request day, or the day a
#: follow-up or review was due; the planned wait runs from it to ``appointment_day``.
BOOKING_COLUMNS = ("contact_id", "source", "request_day", "due_day", "appointment_day",
                   "time", "staff_id", "role", "own_gp", "urgent")
#: A same-day need's day: was it seen that day, and before closing?
SAME_DAY_COLUMNS = ("contact_id", "seen", "in_hours")


@dataclass
class DayRecords:
    day: Day
    event_log: bool = False
    #: Whether the day keeps its contact-level lists (contacts, calls, tasks, bookings,
    #: same-day needs). A warm-up day's are read only by a run's day table, so a run that
    #: builds none leaves them empty on its warm-up days; its counts, staff rows, TNAA and
    #: backlog are kept on every day.
    detail: bool = True
    contacts: list[tuple] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)
    staff: list[tuple] = field(default_factory=list)
    bookings: list[tuple] = field(default_factory=list)
    same_day: list[tuple] = field(default_factory=list)
    #: (time, contact id, event, staff id), only when the event log is on
    events: list[tuple] | None = None
    #: (staff id, activity, start, end): every stretch of everyone's day, with the event log
    timeline: list[tuple] | None = None
    #: contacts still booked or waiting when the run ended (set on the run's last day)
    after_run: list[tuple] = field(default_factory=list)
    #: calls rung today (first rings and redials), and how many were redials
    offered: int = 0
    redials: int = 0
    unanswered: int = 0
    #: contacts that arose today (new needs; a redial or a booking arriving is not new)
    arisen: int = 0
    #: patients and inbox items carried over to the next working day at closing
    carried: int = 0
    #: planned needs that asked for a slot today (booked or turned away)
    requests: int = 0
    #: third next available appointment at opening, by role (None: any role), working days
    tnaa: dict = field(default_factory=dict)
    #: today's planned slots by role at opening: (booked ahead, all)
    booked_ahead: dict = field(default_factory=dict)
    #: appointments booked for later days, at the end of the day
    backlog: int = 0

    def __post_init__(self) -> None:
        if self.event_log and self.events is None:
            self.events = []
            self.timeline = []

    def __repr__(self) -> str:
        """One line, not every record (a notebook shows this when a cell ends with
        ``simulate_day``'s day; the records are its lists)."""
        day = self.day
        return (f"<DayRecords day {day.index} ({day.name}, week {day.week + 1}"
                f"{'' if day.measured else ', warm-up'}): {self.arisen} contacts arisen, "
                f"{len(self.contacts)} reached an outcome, {self.offered} calls, "
                f"{len(self.staff)} staff; backlog {self.backlog}"
                f"{'; event log' if self.event_log else ''}>")

    def call(self, cid: object, t_arrive: float, t_answer: float, role: str, t_end: float) -> None:
        if self.detail:
            self.calls.append((cid, t_arrive, t_answer, role, t_end))
