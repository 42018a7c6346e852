"""A member of staff as a SimPy process that follows their day plan.

A worker loops: find the block they are in, take the first waiting item that block
serves (and they are competent for), do it, repeat; with nothing to do they wait until
work arrives for them or the block ends. At the end of their hours they finish the item
in hand and whatever the end-of-day policy hands them, and the overtime is recorded.
Every minute of the day lands in exactly one activity of ``time``.
"""
from __future__ import annotations

import math
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Generator, cast

import simpy

from sim.engine.choice import pick
from sim.engine.environment import UNTIL_WOKEN, Alarm
from sim.engine.model import PlanBlock
from sim.engine.queues import places_of
from sim.rng import DRAW
from sim.scenario.schema import ACTIVITIES

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.clinic import Clinic
    from sim.engine.contacts import Contact, Question, Work
    from sim.engine.durations import Duration
    from sim.engine.idle import Bucket
    from sim.engine.model import CompiledScenario, History, Person
    from sim.engine.run import RunState

_TRIAGE_DURATION: Final = DRAW["triage_duration"]
_TRIAGE_OUTCOME: Final = DRAW["triage_outcome"]
_TRIAGE_QUESTION: Final = DRAW["triage_question"]
_TRIAGE_QUESTION_DURATION: Final = DRAW["triage_question_duration"]
_SERVICE: Final = DRAW["service"]
_QUESTION: Final = DRAW["question"]
_QUESTION_DURATION: Final = DRAW["question_duration"]
_JOINT: Final = DRAW["joint"]
_JOINT_DURATION: Final = DRAW["joint_duration"]
_TRAVEL: Final = DRAW["travel"]
_MESSAGE: Final = DRAW["message"]
#: What a clinician waiting for an assistant takes meanwhile.
_QUESTION_SET: Final = frozenset(("question",))
#: the questions' queue alone, as :meth:`Clinic.pull` takes it
_QUESTIONS: Final = places_of(("question",))
_HISTORY_DURATION: Final = DRAW["history_duration"]

#: Each activity's place in ACTIVITIES: a person's minutes are kept in that order, read by
#: place in the day loop rather than looked up by name at every task.
ACTIVITY_AT: Final = {activity: i for i, activity in enumerate(ACTIVITIES)}
_PHONE: Final = ACTIVITY_AT["phone"]
_CONSULTING: Final = ACTIVITY_AT["consulting"]
_HOME_VISITS: Final = ACTIVITY_AT["home_visits"]
#: Per stage of a contact: the activity its time counts as (a call's is ``phone``), the
#: event-log entry at its start (a call's is logged by the clinic), and the outcome it ends
#: in (a call ends in its triage decision instead).
_ACTIVITY: Final = {"consult": _CONSULTING, "inbox": ACTIVITY_AT["inbox_admin"],
                    "home_visit": _HOME_VISITS, "outreach": _CONSULTING}
_START_EVENT: Final = {"consult": "consult_start", "inbox": "inbox_start",
                       "home_visit": "visit_start", "outreach": "consult_start"}
_OUTCOME: Final = {"consult": "consulted", "inbox": "inbox_handled",
                   "home_visit": "home_visit", "outreach": "consulted"}


class Minutes:
    """A person's minutes of one activity on a day, in a field of the engine's own: adding
    a task's minutes is then a machine addition, where a dict of floats replaced its item
    with a new float object at every task."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0.0


class Block:
    """A block of a person's plan as their day loop reads it: a :class:`PlanBlock`'s fields
    copied into an object of the engine's own. A plan block is plain Python (it is pickled
    with the model for -j workers), so each read of one of its fields from the compiled
    engine is a lookup by name, and the loop reads several for every item it takes."""

    __slots__ = ("start", "end", "kind", "serves", "takes", "serve_set", "lines", "activity",
                 "activity_at")

    def __init__(self, block: PlanBlock) -> None:
        self.start = float(block.start)
        self.end = float(block.end)
        self.kind: str = block.kind
        self.serves: tuple[str, ...] = block.serves
        #: the same kinds as the places of their queues (``sim.engine.queues.QUEUE_KINDS``)
        self.takes: tuple[int, ...] = places_of(block.serves)
        self.serve_set: frozenset[str] = block.serve_set
        self.lines: frozenset[str] | None = block.lines
        self.activity: str = block.activity
        self.activity_at: int = ACTIVITY_AT[block.activity]  # its place in ACTIVITIES


class TypeKit:
    """What a task of one role on one contact type takes: its duration, and a
    consultation's minutes per minute with the patient (1 plus the notes it leaves). One
    object, found by type once a task, where the two were looked up in a dict each."""

    __slots__ = ("service", "notes")

    def __init__(self, service: Duration, notes: float) -> None:
        self.service = service
        self.notes = notes


class RoleKit:
    """What a person's role sets for their day (how often they ask a doctor, how long
    their tasks take), made once a run for each role: a worker of the role reads it each
    day rather than looking each up by name in the scenario's plain-Python objects."""

    __slots__ = ("supervises", "may_be_interrupted", "p_question", "p_joint",
                 "p_triage_question", "p_message", "p_message_or_calendar", "call_hold",
                 "asks", "triage_duration", "triage_outcomes", "types", "morbid_factor",
                 "history")

    def __init__(self, model: CompiledScenario, run: RunState, role: str) -> None:
        s = model.scenario
        self.supervises = s.roles[role].supervises
        self.may_be_interrupted = self.supervises and run.interrupt_mode
        # how often this role asks a doctor (about a consultation, a call-in, a call)
        sup = s.supervision
        self.p_question = sup.questions.get(role, 0.0)
        self.p_joint = sup.joint.get(role, 0.0)
        self.p_triage_question = sup.triage_questions.get(role, 0.0)
        self.p_message = sup.messages.get(role, 0.0)
        # a question's form is drawn once: a message below p_message, then a task in a
        # doctor's calendar (inbox items only) below this, else asked and waited for
        self.p_message_or_calendar = self.p_message + sup.calendar.get(role, 0.0)
        self.call_hold = sup.call_hold  # longest a caller is held for a doctor's answer
        self.asks = max(self.p_question, self.p_joint, self.p_triage_question) > 0
        # how long this role takes: a call (if the role triages), each contact type
        self.triage_duration: Duration | None = run.triage_duration.get(role)
        self.triage_outcomes: tuple[tuple[float, str], ...] | None = \
            model.triage_outcomes.get(role)
        # contact type -> its duration, and the notes after a consultation, per minute
        # with the patient (T14, T15)
        notes = model.notes_by_role.get(role, {})
        self.types: dict[str, TypeKit] = {
            ctype: TypeKit(service, notes[ctype])
            for ctype, service in run.service_by_role.get(role, {}).items()}
        self.morbid_factor = s.population.morbid_duration_factor
        # contact type -> the history a colleague may take before this role's same-day
        # consultation (None: no type has one before this role)
        self.history: dict[str, History] | None = model.history_before.get(role)


class Worker:
    __slots__ = (
        "clinic", "env", "index", "person", "id", "role", "team", "start", "end",
        "time", "waiting", "handed", "serving", "interruptible", "process", "left_at", "booked",
        "timeline", "kit", "lines", "block_activity", "remote", "alarm", "assist",
        "idle_serving", "idle_buckets",
    )

    def __init__(self, clinic: Clinic, index: int, person: Person):
        self.clinic = clinic
        self.env = clinic.env
        self.index = index
        self.person = person
        self.id = person.id
        self.role = person.role
        self.team = person.team
        self.start = person.start
        self.end = person.end
        self.kit = clinic.run.role_kit(person.role)  # what the role sets for the day
        #: the day's minutes by activity, in ACTIVITIES order (see :data:`ACTIVITY_AT`)
        self.time: list[Minutes] = [Minutes() for _ in ACTIVITIES]
        self.waiting = False  # idle until someone hands them work, or the block ends
        self.handed: Work | None = None  # what they were woken with (None: the block ended)
        self.serving: frozenset[str] = frozenset()
        # the idle buckets this person sits in while idle, for ``idle_serving``
        # (IdleIndex keeps them here: a block's kinds change a few times a day, while
        # the person goes idle and busy all day)
        self.idle_serving: frozenset[str] | None = None
        self.idle_buckets: list[Bucket] = []
        self.lines: frozenset[str] | None = None  # phone lines the current block answers
        self.remote = person.remote  # works by video or phone: takes remote types only
        self.assist = person.assist  # roles one of whom is with the patient in consultations
        self.block_activity = "idle"
        self.interruptible = False
        self.left_at = math.nan
        self.booked: deque = deque()  # own booked patients who have arrived, in order
        self.timeline = clinic.records.timeline  # None unless the event log is on
        self.alarm = Alarm(self.env, self.is_idle, partial(self.wake_with, None))
        self.process = self.env.process(self.day())

    def is_idle(self) -> bool:
        """Whether this person waits idle (what their alarm asks when it rings)."""
        return self.waiting

    def takes_remotely(self, item) -> bool:
        """Whether a remote clinician may take ``item``: a question, a call, or a contact
        type that can be done by video or phone."""
        ctype = getattr(item, "ctype", None)
        return ctype is None or item.stage == "call" or ctype in self.clinic.run.remote_types

    def wake_with(self, item: Work | None) -> None:
        """Wake this idle person, handing them ``item`` (or nothing: their block ended).
        They leave the idle list at once, so no one hands work to someone already woken in
        the same instant, before their process resumes."""
        if not self.waiting:  # waking a person at work would cut their task short
            raise RuntimeError(f"{self.id} was woken while not waiting")
        self.clinic.idle.remove(self)
        self.waiting, self.handed = False, item
        self.process.wake()

    def minutes(self) -> dict[str, float]:
        """The day's minutes by activity, in ACTIVITIES order (the staff records')."""
        return {activity: m.total for activity, m in zip(ACTIVITIES, self.time)}

    def spend(self, activity: str, start: float, end: float) -> None:
        """Book ``start..end`` to ``activity`` (and to the timeline, when it is kept). The
        two busiest callers (a task done, an idle stretch ended) do this inline."""
        self.time[ACTIVITY_AT[activity]].total += end - start
        if self.timeline is not None and end > start:
            self.timeline.append((self.id, activity, start, end))

    # --- the day -------------------------------------------------------------------------
    def day(self) -> Generator[Any, Any, None]:
        """Find the next item (from the queues, or by waiting idle until one is handed over
        or the block ends), then do it; until the end of hours and what the end-of-day
        policy hands over after them. Tasks are done inline, not in a sub-generator per
        task: resuming the process is the engine's most frequent step."""
        env, clinic = self.env, self.clinic
        plan = clinic.run.plan_blocks(self.person)
        last, i = len(plan) - 1, 0  # plan[i]: the block we are in
        history, assist = self.kit.history, self.assist  # read once: checked for every item
        if self.start > env._now:
            yield self.start - env._now  # minutes asleep
        while True:
            now = env._now
            if now >= self.end:
                serves, self.serving = clinic.overtime_serves(self)
                item: Work | None = clinic.pull(self, serves)
                if item is None:
                    break
            else:
                while i < last and plan[i].end <= now:
                    i += 1
                block = plan[i]
                self.serving = block.serve_set
                self.lines, self.block_activity = block.lines, block.activity
                item = clinic.pull(self, block.takes) if block.takes else None
                if item is None:
                    until = min(block.end, self.end)
                    if not block.serves:
                        yield until - now  # minutes asleep
                        self.spend(block.activity, now, until)
                        continue
                    self.waiting = True
                    clinic.idle.append(self)
                    self.alarm.set(now + (until - now))  # the block's end
                    yield UNTIL_WOKEN  # whoever wakes us has taken us off the idle list
                    item = self.handed
                    t1 = env._now
                    self.time[block.activity_at].total += t1 - now
                    if self.timeline is not None and t1 > now:
                        self.timeline.append((self.id, block.activity, now, t1))
                    if item is None:
                        continue
            # do the item: start it, spend its time, ask a doctor if its draws say so, finish
            if item.stage == "question":
                yield from self.answer(cast("Question", item))
                continue
            c = cast("Contact", item)  # typed, so a compiled engine reads its fields directly
            if (history is not None and c.same_day and c.history is None
                    and c.stage == "consult" and c.ctype in history
                    and clinic.hand_history(c, history[c.ctype], self)):
                continue  # a free colleague takes the history; the patient comes back after
            t0 = env._now
            duration, activity = self.begin(c, t0)
            if assist is not None and c.stage == "consult":
                yield from self.assisted(c, duration)
            else:
                # a doctor may be called out of a task for a question (supervision mode
                # ``interrupt``); the rest of an interrupted task goes on in ``work``
                self.interruptible = self.kit.may_be_interrupted and activity != _HOME_VISITS
                try:
                    yield duration  # minutes asleep
                except simpy.Interrupt as stop:
                    self.interruptible = False
                    t1 = env._now
                    self.spend(ACTIVITIES[activity], t0, t1)
                    yield from self.answer(stop.args[0])
                    yield from self.work(max(0.0, duration - (t1 - t0)), ACTIVITIES[activity])
                else:
                    self.interruptible = False
                    t1 = env._now
                    self.time[activity].total += t1 - t0
                    if self.timeline is not None and t1 > t0:
                        self.timeline.append((self.id, ACTIVITIES[activity], t0, t1))
            if self.kit.asks:
                question = self._question(c)
                if question is not None:
                    u = c.draw(_MESSAGE)
                    if question[0] != "question":
                        yield from self.ask(c, *question)
                    elif u < self.kit.p_message:
                        clinic.ask(self, c, "message", question[1])  # no one waits
                    elif u < self.kit.p_message_or_calendar and c.stage == "inbox":
                        clinic.to_calendar(self, c, t0)  # the item ends in that slot
                        continue
                    else:
                        yield from self.ask(c, *question)
            self.complete(c, t0)
        self.left_at = env._now
        clinic.left(self)

    # --- doing work ----------------------------------------------------------------------
    def begin(self, c: Contact, t0: float) -> tuple[float, int]:
        """Start a task on ``c``: its duration (from the contact's own draws) and activity
        (its place in ACTIVITIES).

        A contact's ``stage`` names the task: ``call``, ``consult``, ``inbox``,
        ``home_visit``, ``outreach`` or ``history`` (the first of two same-day stages).
        """
        stage = c.stage
        clinic = self.clinic
        if stage == "call":
            clinic.answered(c, self)
            triage = self.kit.triage_duration  # set for every role that answers the phone
            return triage.quantile(c.draw(_TRIAGE_DURATION)), _PHONE  # type: ignore[union-attr]
        if stage == "history":  # the patient is not seen yet: that is the next clinician
            if clinic.log is not None:
                clinic.log_event(c.id, "history_start", self)
            taking = c.history.duration  # type: ignore[union-attr]  # set with the stage
            return taking.quantile(c.draw(_HISTORY_DURATION)), _CONSULTING
        kind = self.kit.types[c.ctype]
        duration = kind.service.quantile(c.draw(_SERVICE))
        if c.history is not None:  # a colleague has taken the history
            duration *= c.history.later_share
        if stage != "inbox":
            c.t_seen, c.seen_by, c.seen_by_id = t0, self.role, self.id
            if stage == "home_visit":
                duration += clinic.run.travel.quantile(c.draw(_TRAVEL))
            else:  # a consultation: face time, then the notes it leaves
                duration *= kind.notes
            if c.complex:
                duration *= self.kit.morbid_factor
        if clinic.log is not None and not (stage == "consult" and self.assist is not None):
            clinic.log_event(c.id, _START_EVENT[stage], self)  # assisted: once they are two
        if stage == "outreach" and self.block_activity == "home_visits":
            return duration, _HOME_VISITS  # a nursing-home round counts as visiting
        return duration, _ACTIVITY[stage]

    def complete(self, c: Contact, t0: float) -> None:
        """Record the task; a call goes on to its triage outcome, anything else ends."""
        clinic, stage = self.clinic, c.stage
        clinic.task_done(self, stage, c, t0)
        if stage == "call":
            table = self.kit.triage_outcomes
            by_role = clinic.run.stream_triage_outcomes.get(c.stream)
            if by_role is not None:  # the call's line sets its own outcomes
                table = by_role.get(self.role, table)
            clinic.after_triage(c, pick(table, c.draw(_TRIAGE_OUTCOME)))  # type: ignore[arg-type]
        elif stage == "history":
            clinic.history_taken(c)
        else:
            clinic.finish(c, _OUTCOME[stage], self)

    def assisted(self, c: Contact, duration: float) -> Generator[Any, Any, None]:
        """A consultation with an assistant beside the patient: wait until one comes,
        answering questions meanwhile (so no two people can each wait for the other), then
        spend ``duration`` with the patient. With no one of the assisting roles left on
        site, the consultation goes ahead without."""
        env, clinic = self.env, self.clinic
        call = clinic.call_assistant(self, c, duration)
        while call.queued:  # no assistant yet
            item = clinic.pull(self, _QUESTIONS)
            if item is None:
                t, serving = env._now, self.serving
                self.serving, self.waiting = _QUESTION_SET, True
                clinic.idle.append(self)
                yield UNTIL_WOKEN  # a question, the assistant coming, or no one left
                item = self.handed
                self.serving = serving
                self.spend("idle", t, env._now)
            if item is not None and item is not call:
                yield from self.answer(cast("Question", item))
        start = c.t_seen = env._now  # the patient is seen from now
        if clinic.log is not None:
            clinic.log_event(c.id, "consult_start", self)
        yield duration  # minutes asleep
        self.spend("consulting", start, env._now)

    def work(self, duration: float, activity: str) -> Generator[Any, Any, None]:
        """Spend ``duration`` on ``activity`` as a doctor who may be called out of it for a
        question (supervision mode ``interrupt``)."""
        env = self.env
        remaining = duration
        while True:
            t0 = env._now
            self.interruptible = True
            try:
                yield remaining  # minutes asleep
                self.interruptible = False
                self.spend(activity, t0, env._now)
                return
            except simpy.Interrupt as stop:
                self.interruptible = False
                self.spend(activity, t0, env._now)
                remaining = max(0.0, remaining - (env._now - t0))
                yield from self.answer(stop.args[0])

    # --- supervision ---------------------------------------------------------------------
    def _question(self, c: Contact) -> tuple[str, float] | None:
        """The question this clinician asks a doctor about ``c``, if any: (kind, minutes)."""
        # (a draw is a uniform in [0, 1): a share of 0 asks nothing, and its draw is not
        # read at all)
        run, kit = self.clinic.run, self.kit
        if c.stage == "call":
            if kit.p_triage_question > 0.0 and c.draw(_TRIAGE_QUESTION) < kit.p_triage_question:
                return "question", run.question_duration.quantile(
                    c.draw(_TRIAGE_QUESTION_DURATION))
            return None
        if c.stage == "home_visit" or c.stage == "history":
            return None  # no one asks about a visit on the road, or a patient passed on
        if kit.p_question > 0.0 and c.draw(_QUESTION) < kit.p_question:
            return "question", run.question_duration.quantile(c.draw(_QUESTION_DURATION))
        if kit.p_joint > 0.0 and c.draw(_JOINT) < kit.p_joint:
            return "joint", run.joint_duration.quantile(c.draw(_JOINT_DURATION))
        return None

    def ask(self, c: Contact, kind: str, duration: float) -> Generator[Any, Any, None]:
        """Ask a doctor and wait for the answer; waiting and answer count as supervised.

        A caller is held at most ``supervision.call_hold`` minutes: if no doctor has taken
        the question by then, it stays in the doctors' queue as a message and the triager
        goes back to the phone (the caller's triage outcome stands)."""
        t0 = self.env._now
        question = self.clinic.ask(self, c, kind, duration)
        if question is None or question.kind == "message":  # unanswerable, or left for later
            return
        if self.kit.call_hold is not None and question.queued and c.stage == "call":
            env = self.env
            wake = env.event()  # the answer or the end of the hold, whichever comes first

            def first(_e: Any = None) -> None:
                if not wake.triggered:
                    wake.succeed()
            question.done.callbacks.append(first)
            env.call_at(t0 + self.kit.call_hold, first)
            yield wake
            if question.queued:  # still waiting for a doctor: leave it as a message
                question.kind = "message"
                if self.clinic.log is not None:
                    self.clinic.log_event(c.id, "held_to_message", self)
            elif not question.done.triggered:  # a doctor is answering it now
                yield question.done
        else:
            yield question.done
        self.spend("being_supervised", t0, self.env._now)

    def answer(self, q: Question) -> Generator[Any, Any, None]:
        """Answer a question (time supervising), or be the assistant in a consultation (the
        clinician, if waiting for one, starts it now)."""
        t0 = self.env._now
        if self.clinic.log is not None:
            self.clinic.log_event(q.contact.id, f"{q.kind}_answered", self)
        if q.kind == "assist" and q.asker.waiting:
            q.asker.wake_with(q)
        yield q.duration  # minutes asleep
        self.spend("consulting" if q.kind == "assist" else "supervising", t0, self.env._now)
        self.clinic.task_done(self, q.kind, q.contact, t0)
        q.done.succeed(True)
