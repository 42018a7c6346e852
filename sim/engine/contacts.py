"""The units of work that flow through the clinic: contacts and supervision questions."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import simpy

    from sim.engine.model import Route

#: Every contact ends in exactly one of these (the conservation check counts them).
OUTCOMES: tuple[str, ...] = (
    "resolved_on_phone",
    "consulted",
    "inbox_handled",
    "home_visit",
    "referred",
    "booked_later",
    "carried_over",
    "abandoned",
    "no_show",
)


class Contact:
    """One patient need (or inbox item) from the moment it arises to its outcome.

    ``stage`` says what the next worker must do with it (``call``, ``consult``, ``inbox``,
    ``home_visit``); ``queued`` is true while it waits in a clinic queue.
    """

    __slots__ = (
        "id", "channel", "ctype", "team", "t_arise", "u", "stage", "queued", "route",
        "outcome", "t_outcome", "t_seen", "seen_by", "same_day",
    )

    def __init__(self, cid: int, channel: str, ctype: str, team: str | None, t: float,
                 u: list[float]):
        self.id = cid
        self.channel = channel
        self.ctype = ctype
        self.team = team
        self.t_arise = t
        self.u = u
        self.stage = ""
        self.queued = False
        self.route: Route | None = None
        self.outcome: str | None = None
        self.t_outcome = float("nan")
        self.t_seen = float("nan")
        self.seen_by = ""
        self.same_day = False


class Question:
    """A clinician's question to a doctor (``question``) or a call-in (``joint``)."""

    __slots__ = ("asker", "contact", "kind", "duration", "route", "team", "queued", "done", "stage")

    def __init__(self, asker, contact: Contact, kind: str, duration: float, route: Route,
                 done: simpy.Event):
        self.asker = asker
        self.contact = contact
        self.kind = kind
        self.duration = duration
        self.route = route
        self.team = asker.team
        self.queued = False
        self.done = done
        self.stage = "question"
