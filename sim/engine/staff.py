"""A member of staff as a SimPy process that follows their day plan.

A worker loops: find the block they are in, take the first waiting item that block
serves (and they are competent for), do it, repeat; with nothing to do they wait until
work arrives for them or the block ends. At the end of their hours they finish the item
in hand and whatever the end-of-day policy hands them, and the overtime is recorded.
Every minute of the day lands in exactly one activity of ``time``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Generator

import simpy

from sim.engine.model import PlanBlock, pick
from sim.rng import DRAW

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.clinic import Clinic
    from sim.engine.contacts import Contact, Question
    from sim.engine.model import Person

_TRIAGE_DURATION = DRAW["triage_duration"]
_TRIAGE_OUTCOME = DRAW["triage_outcome"]
_TRIAGE_QUESTION = DRAW["triage_question"]
_TRIAGE_QUESTION_DURATION = DRAW["triage_question_duration"]
_SERVICE = DRAW["service"]
_QUESTION = DRAW["question"]
_QUESTION_DURATION = DRAW["question_duration"]
_JOINT = DRAW["joint"]
_JOINT_DURATION = DRAW["joint_duration"]
_TRAVEL = DRAW["travel"]


def _ring(wake: simpy.Event, _timer: simpy.Event) -> None:
    """Block end while idle: wake the worker with no item."""
    if not wake.triggered:
        wake.succeed(None)


class Worker:
    __slots__ = (
        "clinic", "env", "index", "person", "id", "role", "team", "start", "end", "plan",
        "_block_i", "time", "wake", "serving", "interruptible", "process", "left_at",
        "booked", "supervises", "level", "timeline",
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
        self.plan: tuple[PlanBlock, ...] = person.plan
        self._block_i = 0
        role = clinic.scenario.roles[person.role]
        self.supervises = role.supervises
        self.level = role.level
        self.time: dict[str, float] = dict.fromkeys(clinic.activities, 0.0)
        self.wake: simpy.Event | None = None
        self.serving: frozenset[str] = frozenset()
        self.interruptible = False
        self.left_at = float("nan")
        self.booked: list = []  # own booked patients who have arrived, in arrival order
        self.timeline = clinic.records.timeline  # None unless the event log is on
        self.process = self.env.process(self.day())

    def spend(self, activity: str, start: float, end: float) -> None:
        """Book ``start..end`` to ``activity`` (and to the timeline, when it is kept)."""
        self.time[activity] += end - start
        if self.timeline is not None and end > start:
            self.timeline.append((self.id, activity, start, end))

    # --- the day -------------------------------------------------------------------------
    def block_at(self, now: float) -> PlanBlock:
        plan, i = self.plan, self._block_i
        while i < len(plan) - 1 and plan[i].end <= now:
            i += 1
        self._block_i = i
        return plan[i]

    def day(self) -> Generator:
        env, clinic = self.env, self.clinic
        if self.start > env.now:
            yield env.timeout(self.start - env.now)
        while True:
            now = env.now
            if now >= self.end:
                serves = clinic.overtime_serves(self)
                self.serving = frozenset(serves)
                item = clinic.pull(self, serves)
                if item is None:
                    break
                yield from self.serve(item)
                continue
            block = self.block_at(now)
            self.serving = block.serve_set
            item = clinic.pull(self, block.serves) if block.serves else None
            if item is not None:
                yield from self.serve(item)
                continue
            until = min(block.end, self.end)
            if not block.serves:
                yield env.timeout(until - now)
                self.spend(block.activity, now, until)
                continue
            wake = self.wake = env.event()
            clinic.idle.append(self)
            env.timeout(until - now).callbacks.append(lambda timer, w=wake: _ring(w, timer))
            item = yield wake
            self.spend(block.activity, now, env.now)
            if item is None:
                clinic.idle.remove(self)
            else:
                yield from self.serve(item)
        self.left_at = env.now
        clinic.left(self)

    # --- doing work ----------------------------------------------------------------------
    def work(self, duration: float, activity: str, interruptible: bool = False) -> Generator:
        """Spend ``duration`` on ``activity``; in interrupt mode a doctor may be broken into."""
        env = self.env
        if not (interruptible and self.supervises and self.clinic.interrupt_mode):
            t0 = env.now
            yield env.timeout(duration)
            self.spend(activity, t0, env.now)
            return
        remaining = duration
        while True:
            t0 = env.now
            self.interruptible = True
            try:
                yield env.timeout(remaining)
                self.interruptible = False
                self.spend(activity, t0, env.now)
                return
            except simpy.Interrupt as stop:
                self.interruptible = False
                self.spend(activity, t0, env.now)
                remaining = max(0.0, remaining - (env.now - t0))
                yield from self.answer(stop.cause)

    def serve(self, item) -> Generator:
        stage = item.stage
        if stage == "call":
            yield from self.triage(item)
        elif stage == "consult":
            yield from self.consult(item)
        elif stage == "inbox":
            yield from self.handle_inbox(item)
        elif stage == "home_visit":
            yield from self.home_visit(item)
        else:
            yield from self.answer(item)

    def triage(self, c: Contact) -> Generator:
        clinic, model, t0 = self.clinic, self.clinic.model, self.env.now
        clinic.answered(c, self)
        yield from self.work(model.triage_duration[self.role].quantile(c.u[_TRIAGE_DURATION]),
                             "phone", interruptible=True)
        p = clinic.triage_question_prob.get(self.role, 0.0)
        if p > 0 and c.u[_TRIAGE_QUESTION] < p:
            duration = model.question_duration.quantile(c.u[_TRIAGE_QUESTION_DURATION])
            yield from self.ask(c, "question", duration)
        clinic.task_done(self, "call", c, t0)
        clinic.after_triage(c, pick(model.triage_outcomes[self.role], c.u[_TRIAGE_OUTCOME]))

    def consult(self, c: Contact) -> Generator:
        clinic, model, t0 = self.clinic, self.clinic.model, self.env.now
        c.t_seen, c.seen_by = t0, self.role
        clinic.log_event(c.id, "consult_start", self)
        yield from self.work(model.service[c.ctype, self.role].quantile(c.u[_SERVICE]),
                             "consulting", interruptible=True)
        yield from self.maybe_ask(c)
        clinic.task_done(self, "consult", c, t0)
        clinic.finish(c, "consulted", self)

    def handle_inbox(self, c: Contact) -> Generator:
        clinic, model, t0 = self.clinic, self.clinic.model, self.env.now
        clinic.log_event(c.id, "inbox_start", self)
        yield from self.work(model.service[c.ctype, self.role].quantile(c.u[_SERVICE]),
                             "inbox_admin", interruptible=True)
        yield from self.maybe_ask(c)
        clinic.task_done(self, "inbox", c, t0)
        clinic.finish(c, "inbox_handled", self)

    def home_visit(self, c: Contact) -> Generator:
        clinic, model, t0 = self.clinic, self.clinic.model, self.env.now
        c.t_seen, c.seen_by = t0, self.role
        clinic.log_event(c.id, "visit_start", self)
        duration = (model.travel.quantile(c.u[_TRAVEL])
                    + model.service[c.ctype, self.role].quantile(c.u[_SERVICE]))
        yield from self.work(duration, "home_visits")
        clinic.task_done(self, "home_visit", c, t0)
        clinic.finish(c, "home_visit", self)

    # --- supervision ---------------------------------------------------------------------
    def maybe_ask(self, c: Contact) -> Generator:
        clinic, model = self.clinic, self.clinic.model
        p = clinic.question_prob.get(self.role, 0.0)
        if p > 0 and c.u[_QUESTION] < p:
            yield from self.ask(c, "question", model.question_duration.quantile(
                c.u[_QUESTION_DURATION]))
            return
        p = clinic.joint_prob.get(self.role, 0.0)
        if p > 0 and c.u[_JOINT] < p:
            yield from self.ask(c, "joint", model.joint_duration.quantile(c.u[_JOINT_DURATION]))

    def ask(self, c: Contact, kind: str, duration: float) -> Generator:
        """Ask a doctor and wait for the answer; waiting and answer count as supervised."""
        t0 = self.env.now
        question = self.clinic.ask(self, c, kind, duration)
        if question is None:
            return
        yield question.done
        self.spend("being_supervised", t0, self.env.now)

    def answer(self, q: Question) -> Generator:
        t0 = self.env.now
        self.clinic.log_event(q.contact.id, f"{q.kind}_answered", self)
        yield self.env.timeout(q.duration)
        self.spend("supervising", t0, self.env.now)
        self.clinic.task_done(self, q.kind, q.contact, t0)
        q.done.succeed(True)
