"""The clinic: queues of waiting work, staff, demand, slots, and the end of the day.

Dispatch is push-then-pull. New work goes straight to the best idle person whose block
serves it (lowest competent level first, own team first); otherwise it waits in its
queue, and a person who becomes free pulls the first item their block serves and they
are competent for. Every contact that arises is finished exactly once through
:meth:`Clinic.finish`; the conservation check relies on that.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable

import simpy

from sim.distributions import Distribution
from sim.engine.booking import SlotBook
from sim.engine.contacts import Contact, Question
from sim.engine.model import CompiledScenario, pick
from sim.engine.records import DayRecords
from sim.engine.staff import Worker
from sim.rng import DRAW, RandomStreams
from sim.scenario.schema import WORK_KINDS

NAN = float("nan")
_TEAM, _PATIENCE, _NO_SHOW = DRAW["team"], DRAW["patience"], DRAW["no_show"]

#: Same-day patient work a closing policy applies to (``late``: acute overflow booked
#: after closing, served only in overtime).
PATIENT_QUEUES = ("squeeze_in", "walk_in", "home_visit", "late")


class ConservationError(RuntimeError):
    """A contact ended with no outcome, or with two: a bug in the engine, never in input."""


class Clinic:
    def __init__(self, model: CompiledScenario, streams: RandomStreams, event_log: bool):
        s = model.scenario
        self.model, self.scenario, self.streams = model, s, streams
        self.env = simpy.Environment(initial_time=min(
            [s.clinic.open] + [p.start for p in model.people]))
        self.interrupt_mode = s.supervision.mode == "interrupt"
        self.question_prob = dict(s.supervision.questions)
        self.joint_prob = dict(s.supervision.joint)
        self.triage_question_prob = dict(s.supervision.triage_questions)
        self.close = s.clinic.close
        self.queues: dict[str, deque] = {k: deque() for k in (*WORK_KINDS, "late")}
        self.idle: list[Worker] = []
        self.records = DayRecords(event_log)
        self.log = self.records.events
        self.contacts: list[Contact] = []
        self.workers: list[Worker] = []
        self.slots = SlotBook(model.free_slots)
        self.on_site: dict[str, int] = {}
        for i, person in enumerate(model.people):
            worker = Worker(self, i, person)
            self.workers.append(worker)
            self.on_site[person.role] = self.on_site.get(person.role, 0) + 1
        self._overtime_sets: dict[tuple[bool, bool], tuple[tuple[str, ...], frozenset[str]]] = {}
        self.env.process(self.closing())

    # --- contacts ------------------------------------------------------------------------
    def new_contact(self, channel: str, ctype: str, u: list[float]) -> Contact:
        team = pick(self.model.team_table, u[_TEAM]) if self.model.team_table else None
        c = Contact(len(self.contacts), channel, ctype, team, self.env.now, u)
        self.contacts.append(c)
        if self.log is not None:
            self.log_event(c.id, "arise", None)
        return c

    def arrive(self, channel: str, ctype: str, u: list[float],
               patience: Distribution | None) -> None:
        """A contact arises now from a demand stream and goes where its channel leads."""
        c = self.new_contact(channel, ctype, u)
        if channel == "phone":
            self.call_arrives(c, patience)
        elif channel == "inbox":
            self.enqueue(c, "inbox")
        else:  # a walk-in or a home-visit request: wanted today
            c.same_day = True
            self.enqueue(c, channel)

    def finish(self, c: Contact, outcome: str, worker: Worker | None = None) -> None:
        if c.outcome is not None:
            raise ConservationError(f"contact {c.id} finished twice ({c.outcome}, {outcome})")
        now = self.env.now
        c.outcome, c.t_outcome = outcome, now
        self.records.contacts.append((c.id, c.channel, c.ctype, c.team, c.t_arise, outcome, now,
                                      c.t_seen, c.seen_by, c.same_day))
        if self.log is not None:
            self.log_event(c.id, outcome, worker)

    def at(self, t: float, callback) -> None:
        """Call ``callback`` at time ``t`` (now, if ``t`` has passed)."""
        self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(callback)

    def log_event(self, cid: int, event: str, worker: Worker | None) -> None:
        """Append to the event log. Callers check ``self.log is not None`` first, so a day
        without the log spends one comparison per logged moment and nothing more."""
        self.log.append((self.env.now, cid, event, worker.id if worker else ""))

    def task_done(self, worker: Worker, kind: str, c: Contact, t0: float) -> None:
        """Record a finished task (the one place that writes the ``tasks`` layout)."""
        self.records.tasks.append((worker.index, kind, c.id, t0, self.env.now))

    # --- dispatch ------------------------------------------------------------------------
    def submit(self, kind: str, item) -> None:
        """New waiting work: hand it to the best idle person whose block takes it, or queue it."""
        self._place(kind, item, self._best(self.idle, kind, item) if self.idle else None)

    def _place(self, kind: str, item, worker: Worker | None) -> None:
        if worker is not None:
            worker.wake_with(item)
        else:
            item.queued = True
            self.queues[kind].append(item)

    @staticmethod
    def _best(candidates: Iterable[Worker], kind: str, item) -> Worker | None:
        """The preferred person for ``item`` among those whose block takes ``kind``: lowest
        competent level, then own team, then order."""
        roles, rank, team = item.route.roles, item.route.rank, item.team
        best, best_key = None, None
        for w in candidates:
            if kind in w.serving and w.role in roles:
                key = (rank[w.role], team is not None and w.team != team, w.index)
                if best_key is None or key < best_key:
                    best, best_key = w, key
        return best

    def submit_booked(self, worker: Worker, c: Contact) -> None:
        c.stage = "consult"
        if worker.wake is not None and "booked" in worker.serving:  # idle in a booked block
            worker.wake_with(c)
        else:
            worker.booked.append(c)

    def pull(self, w: Worker, serves: Iterable[str]):
        """The first waiting item ``w`` takes: by block order, own team first, then FIFO."""
        for kind in serves:
            if kind == "booked":
                if w.booked:
                    return w.booked.popleft()
                continue
            queue = self.queues[kind]
            if not queue:
                continue
            chosen = -1  # the first own-team item, else the first item of another team
            for i, item in enumerate(queue):
                if w.role in item.route.roles:
                    if item.team is None or item.team == w.team or w.team is None:
                        chosen = i
                        break
                    if chosen < 0:
                        chosen = i
            if chosen >= 0:
                item = queue[chosen]
                del queue[chosen]
                item.queued = False
                return item
        return None

    def overtime_serves(self, w: Worker) -> tuple[tuple[str, ...], frozenset[str]]:
        """What a person past their hours still takes before going home (in order, and as
        a set)."""
        after_close = self.env.now >= self.close
        key = (w.supervises, after_close)
        found = self._overtime_sets.get(key)
        if found is None:
            eod = self.scenario.end_of_day
            serves = ["booked"] + (["question"] if w.supervises else [])
            if after_close and eod.patients == "overtime":
                serves += ["late", "squeeze_in", "walk_in", "home_visit"]
            if after_close and eod.inbox == "overtime":
                serves.append("inbox")
            found = self._overtime_sets[key] = (tuple(serves), frozenset(serves))
        return found

    # --- phone ---------------------------------------------------------------------------
    def call_arrives(self, c: Contact, patience) -> None:
        c.stage, c.route = "call", self.model.triage_route
        self.records.offered += 1
        self.submit("call", c)
        if patience is not None and c.queued:
            limit = patience.quantile(c.u[_PATIENCE])
            self.at(self.env.now + limit, lambda _e, c=c: self.hang_up(c))

    def hang_up(self, c: Contact) -> None:
        if c.queued and c.stage == "call":
            self.queues["call"].remove(c)
            c.queued = False
            self.records.call(c.id, c.t_arise, NAN, "")
            self.finish(c, "abandoned")

    def answered(self, c: Contact, w: Worker) -> None:
        self.records.call(c.id, c.t_arise, self.env.now, w.role)
        if self.log is not None:
            self.log_event(c.id, "call_answered", w)

    def after_triage(self, c: Contact, outcome: str) -> None:
        t = self.scenario.triage
        if outcome == "same_day":
            self.book_same_day(c)
        elif outcome == "e_consultation":
            c.ctype = t.e_consultation_type
            self.enqueue(c, "inbox")
        elif outcome == "home_visit":
            c.ctype, c.same_day = t.home_visit_type, True
            self.enqueue(c, "home_visit")
        else:
            self.finish(c, outcome)

    def enqueue(self, c: Contact, kind: str) -> None:
        """Queue a contact for the work kind that serves it, routed by its type."""
        c.stage = "consult" if kind in ("walk_in", "squeeze_in", "late") else kind
        c.route = self.model.routes[c.ctype]
        if kind == "late":
            c.queued = True
            self.queues["late"].append(c)
        else:
            self.submit(kind, c)

    # --- slots ---------------------------------------------------------------------------
    def book_same_day(self, c: Contact) -> None:
        c.same_day = True
        route = self.scenario.route(c.ctype)
        slot = self.slots.take("acute", route, self.env.now, self.scenario.acute.prefer)
        if slot is not None:
            self._book(c, slot)
            return
        overflow = self.scenario.acute.overflow
        if overflow == "next_day":
            self.finish(c, "carried_over")
        else:
            self.enqueue(c, "squeeze_in" if overflow == "squeeze_in" else "late")

    def _book(self, c: Contact, slot: tuple[float, int]) -> None:
        t, index = slot
        worker = self.workers[index]
        if self.log is not None:
            self.log_event(c.id, "booked", worker)
        self.at(t, lambda _e, c=c, w=worker: self.submit_booked(w, c))

    def book_planned(self, contacts: list[Contact], no_show: float) -> None:
        prefer = self.scenario.acute.prefer
        for c in contacts:
            slot = self.slots.take("planned", self.scenario.route(c.ctype), self.env.now, prefer)
            if slot is None:
                self.finish(c, "booked_later")
                continue
            if c.u[_NO_SHOW] < no_show:
                self.at(slot[0], lambda _e, c=c: self.finish(c, "no_show"))
            else:
                self._book(c, slot)

    # --- supervision ---------------------------------------------------------------------
    def ask(self, asker: Worker, c: Contact, kind: str, duration: float) -> Question | None:
        route = self.model.answerers[asker.role]
        if not any(self.on_site.get(r, 0) > 0 for r in route.roles):
            self.records.unanswered += 1
            return None
        q = Question(asker, c, kind, duration, route, self.env.event())
        if self.log is not None:
            self.log_event(c.id, kind, asker)
        worker = self._best(self.idle, "question", q)
        if worker is None and self.interrupt_mode:
            target = self._best([w for w in self.workers if w.interruptible], "question", q)
            if target is not None:  # no doctor free: call one out of a consultation
                target.interruptible = False
                target.process.interrupt(q)
                return q
        self._place("question", q, worker)
        return q

    def left(self, w: Worker) -> None:
        self.on_site[w.role] -= 1
        if w.supervises:
            self._release_orphaned_questions()

    def _release_orphaned_questions(self) -> None:
        """Questions no remaining doctor can answer: the asker carries on without one."""
        queue = self.queues["question"]
        for q in list(queue):
            if not any(self.on_site.get(r, 0) > 0 for r in q.route.roles):
                queue.remove(q)
                q.queued = False
                self.records.unanswered += 1
                q.done.succeed(False)

    # --- end of day ----------------------------------------------------------------------
    def closing(self):
        yield self.env.timeout(max(0.0, self.close - self.env.now))
        self._close_phone_line()
        eod = self.scenario.end_of_day
        if eod.patients == "carry_over":
            for kind in PATIENT_QUEUES:
                self._carry_over(kind)
        if eod.inbox == "carry_over":
            self._carry_over("inbox")

    def _close_phone_line(self) -> None:
        queue = self.queues["call"]
        while queue:
            c = queue.popleft()
            c.queued = False
            self.records.call(c.id, c.t_arise, NAN, "")
            self.finish(c, "abandoned")

    def _carry_over(self, kind: str) -> None:
        queue = self.queues[kind]
        while queue:
            c = queue.popleft()
            c.queued = False
            self.finish(c, "carried_over")

    def release(self) -> None:
        """Break the clinic <-> worker references once the day is over."""
        for w in self.workers:
            w.clinic = w.process = w.wake = None
        self.workers, self.idle = [], []

    def sweep(self) -> None:
        """After everyone has gone home: whatever still waits is carried over."""
        self._close_phone_line()
        for kind in (*PATIENT_QUEUES, "inbox"):
            self._carry_over(kind)
        for w in self.workers:
            while w.booked:
                self.finish(w.booked.popleft(), "carried_over")
        self._release_orphaned_questions()
        missing = [c.id for c in self.contacts if c.outcome is None]
        if missing:
            raise ConservationError(
                f"{len(missing)} contacts ended the day with no outcome (first ids: {missing[:5]})")


