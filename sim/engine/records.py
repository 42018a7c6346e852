"""Compact per-day records: plain tuples appended during the run, tables built later.

Nothing here computes a metric; :mod:`sim.metrics` turns these into tidy tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DayRecords:
    event_log: bool = False
    #: (id, channel, type, team, t_arise, outcome, t_outcome, t_seen, seen_by, same_day)
    contacts: list[tuple] = field(default_factory=list)
    #: (id, t_arrive, t_answer or nan, answering role or "")
    calls: list[tuple] = field(default_factory=list)
    #: (worker index, kind, contact id, t_start, t_end)
    tasks: list[tuple] = field(default_factory=list)
    #: (id, group, role, team, start, end, left_at, {activity: minutes})
    staff: list[tuple] = field(default_factory=list)
    #: (time, contact id, event, staff id), only when the event log is on
    events: list[tuple] | None = None
    #: (staff id, activity, start, end): every stretch of everyone's day, with the event log
    timeline: list[tuple] | None = None
    offered: int = 0
    unanswered: int = 0
    arisen: int = 0

    def __post_init__(self) -> None:
        if self.event_log and self.events is None:
            self.events = []
            self.timeline = []

    def call(self, cid: int, t_arrive: float, t_answer: float, role: str) -> None:
        self.calls.append((cid, t_arrive, t_answer, role))
