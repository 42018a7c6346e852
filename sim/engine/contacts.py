"""The units of work that flow through the clinic: contacts and supervision questions."""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from librt.vecs import vec

#: One NaN shared by every contact's unset times (a float object each cost 24 bytes a
#: contact, held as long as the contact waits).
_NAN: Final = float("nan")

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.environment import Signal

    from sim.engine.model import History, Route

#: Every contact ends in exactly one of these over a run (the conservation check counts
#: them). A need booked for a later day, or carried over to tomorrow, is not ended: it goes
#: on to that day. ``booked_after_run`` and ``carried_over`` are what is still booked or
#: waiting when the run ends.
OUTCOMES: Final[tuple[str, ...]] = (
    "resolved_on_phone",
    "consulted",
    "inbox_handled",
    "home_visit",
    "referred",
    "abandoned",
    "line_closed",
    "no_show",
    "turned_away",
    "booked_after_run",
    "carried_over",
)
#: Outcomes given when the run ends, not on a day.
AFTER_RUN: Final[tuple[str, ...]] = ("booked_after_run", "carried_over")
#: The stage of an inbox item waiting in a doctor's calendar as a task
#: (``supervision.calendar``); at its slot it is an inbox item again, for that doctor.
TASK: Final = "task"
#: The booking source of such a task (bookings table): a slot taken, not a patient's wait.
CALENDAR_TASK: Final = "calendar_task"
#: The booking sources of needs a patient asked for that day (a planned request; a triaged
#: "book for a later day"): their wait runs from the day asked, as a patient counts it.
REQUESTED: Final[tuple[str, ...]] = ("request", "triage")


class Work:
    """What waits in a queue and is handed to a person: a contact or a question. The
    fields dispatch, the queues and a person's day read of either are declared here, so
    that the compiled engine reads them at a fixed place whichever it is."""

    __slots__ = ("route", "team", "stage", "queued")

    route: Route | None  # who may take it
    team: str | None  # the patient's (or asker's) team, if any
    stage: str  # what the next person does with it
    queued: bool  # waiting in a queue now


class Contact(Work):
    """One patient need (or inbox item) from the moment it arises to its outcome, over as
    many days as it takes (a booking, a carried-over inbox item, a caller who rings again).

    ``stage`` says what the next worker must do with it (``call``, ``consult``, ``inbox``,
    ``home_visit``; ``task`` while it waits in a doctor's calendar); ``queued`` is true
    while it waits in a clinic queue. ``day`` is the day it arose and ``t_arise`` the
    minute; ``t_request`` is when its current wait began
    (a call's latest ring, a planned need's request day is ``request_day``).
    """

    __slots__ = (
        "id", "channel", "ctype", "day", "t_arise", "u", "at", "outcome", "t_outcome", "t_seen",
        "seen_by", "seen_by_id", "same_day", "patient", "own_gp", "t_request", "request_day",
        "urgent", "attempts", "stream", "complex", "session", "own_others", "history",
    )

    def __init__(self, cid: int, channel: str, ctype: str, team: str | None, day: int,
                 t: float, u: vec[float], at: int, patient: int, own_gp: str | None,
                 own_others: dict[str, str] | None = None, is_complex: bool = False):
        # held as an int object: the records take it as it is, where an int field was
        # boxed anew (a new object past 256) for every record it went into
        self.id: object = cid
        self.channel = channel
        self.ctype = ctype
        self.team = team
        self.day = day
        self.t_arise = t
        self.u = u  # the draws of this contact's day and stream (or source), one row each
        self.at = at  # where its own row starts in them
        self.stage = ""
        self.queued = False
        self.route = None
        self.outcome: str | None = None
        self.t_outcome = _NAN
        self.t_seen = _NAN
        self.seen_by = ""
        self.seen_by_id = ""
        self.same_day = False
        self.patient = patient
        self.own_gp = own_gp
        self.t_request = t
        self.request_day = day
        self.urgent = False
        self.attempts = 0
        self.stream = channel  # the demand stream (or source) it came from
        self.complex = is_complex  # the patient is morbid: routes and durations may differ
        self.session: list[Contact] | None = None  # the others in a group session it leads
        self.own_others = own_others  # own clinicians of other roles ({role: person id})
        # the first stage of a two-stage same-day visit, once a colleague takes it
        # (sim.engine.model.History): the consultation after it is shorter
        self.history: History | None = None

    def draw(self, k: int) -> float:
        """Its own draw ``k`` (a column of ``sim.rng.DRAW``). A contact keeps where its row
        starts in its day's draws, not a row of its own: slicing a row out for every
        contact took about 3 % of a run."""
        return self.u[self.at + k]

    def own_seen(self) -> str | None:
        """The patient's own clinician in the role of whoever saw them, if they have one
        (the own GP is recorded apart)."""
        return self.own_others.get(self.seen_by) if self.own_others else None


class Question(Work):
    """A clinician's question to a doctor (``question``), a call-in (``joint``), or a call
    for an assistant to be with the patient through a consultation (``assist``)."""

    __slots__ = ("asker", "contact", "kind", "duration", "done")

    def __init__(self, asker, contact: Contact, kind: str, duration: float, route: Route | None,
                 done: Signal):
        self.asker = asker
        self.contact = contact
        self.kind = kind
        self.duration = duration
        self.route = route
        self.team = asker.team
        self.queued = False
        self.done = done
        self.stage = "question"
