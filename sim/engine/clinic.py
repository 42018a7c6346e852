"""The clinic on one working day: queues of waiting work, staff, demand, slots, closing.

Dispatch is push-then-pull. New work goes straight to the best idle person whose block
serves it (lowest competent level first, own team first); otherwise it waits in its
queue, and a person who becomes free pulls the first item their block serves and they
are competent for. What the practice remembers between days (the appointment book, the
patients, carried-over work, callers who will ring again) is the run's
(:class:`sim.engine.run.RunState`); the clinic takes today's share of it at the start and
hands back what is left at closing. Every contact is finished exactly once over the run
through :meth:`Clinic.finish`; the conservation check relies on that.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Final, Iterable

from librt.vecs import vec

from sim.engine.book import Appointment
from sim.engine.calendar import Day
from sim.engine.contacts import TASK, Contact, Question, Work
from sim.engine.durations import Duration
from sim.engine.errors import ConservationError
from sim.engine.environment import DayEnvironment
from sim.engine.model import CompiledScenario
from sim.engine.queues import BOOKED, CALL_PLACE, QUEUE_KINDS, WorkQueue, places_of
from sim.engine.records import DayRecords
from sim.engine.staff import Worker
from sim.rng import DRAW

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.model import History, Route
    from sim.engine.population import Listing
    from sim.engine.run import RunState

NAN: Final = float("nan")
_PATIENCE: Final = DRAW["patience"]
_NO_SHOW: Final = DRAW["no_show"]
_INBOX_PLACE: Final = places_of(("inbox",))[0]

#: Same-day patient work a closing policy applies to (``late``: acute overflow booked
#: after closing, served only in overtime).
PATIENT_QUEUES: Final = ("squeeze_in", "walk_in", "home_visit", "late", "outreach")


class Clinic:
    def __init__(self, model: CompiledScenario, run: RunState, day: Day, event_log: bool,
                 detail: bool = True):
        s = model.scenario
        self.model, self.scenario, self.run, self.day = model, s, run, day
        #: the day's number in the run, a field of the clinic's own: a calendar day is plain
        #: Python (it is pickled with the run's calendar), and the compiled engine reads
        #: its fields by name
        self.day_index: int = day.index
        #: the share of today's booked patients who do not come (by weekday), read once
        self.no_show: float = run.no_show[day.weekday]
        self.streams = run.streams
        self.book = run.book
        people = model.people_on(day)
        self.open, self.close = model.opening[day.name]
        if people:  # no one in to keep it open: it closes when the last one's hours end
            self.close = min(self.close, max(p.end for p in people))
        self.env = DayEnvironment(initial_time=min(
            [self.open] + [p.start for p in people]))
        self.queues: dict[str, WorkQueue] = {k: WorkQueue() for k in QUEUE_KINDS}
        self.queues["inbox"] = run.inbox  # what waited in the inbox yesterday still waits
        #: the same queues in QUEUE_KINDS order, as a plan block's places name them
        self.queue_at: list[WorkQueue] = [self.queues[k] for k in QUEUE_KINDS]
        self.idle = run.idle  # empty: the day before cleared it
        self.history_for: dict[object, Worker] = {}  # contact id -> their clinician, in a history
        self._first_start: dict[Route, float] = {}  # route -> its first answerer's start
        self.records = DayRecords(day, event_log, detail)
        self.log = self.records.events
        self.workers: list[Worker] = []
        self.worker_of: dict[str, Worker] = {}
        self.on_site: dict[str, int] = {}
        for i, person in enumerate(people):
            worker = Worker(self, i, person)
            self.workers.append(worker)
            self.worker_of[person.id] = worker
            self.on_site[person.role] = self.on_site.get(person.role, 0) + 1
        self._overtime_sets: dict[tuple[bool, bool], tuple[tuple[int, ...], frozenset[str]]] = {}
        #: the methods the day's timetable calls, bound once a day (compiled, naming
        #: ``self.hang_up`` made a new bound method at each of the day's calls); cycles
        #: through the clinic, broken by :meth:`release`
        self._hang_up_later: Callable[[Contact, int], None] = self.hang_up
        self.call_arrives_later: Callable[[Contact, Duration | None], None] = \
            self.call_arrives
        self._submit_booked_later: Callable[[Worker, Contact], None] = self.submit_booked
        self._finish_later: Callable[[Contact, str], None] = self.finish
        self.env.process(self.closing())

    # --- contacts ------------------------------------------------------------------------
    def new_contact(self, channel: str, ctype: str, u: vec[float], at: int, patient: int,
                    listed: Listing | None) -> Contact:
        """A need that arises now, for ``patient`` (who brings their team and own GP: their
        listing, ``listed``; None without a list), numbered and counted in the run and the
        day; its draws are the row at ``at`` of ``u``."""
        run = self.run
        cid = run.next_id
        run.next_id = cid + 1
        run.arisen += 1
        self.records.arisen += 1
        if listed is not None:
            c = Contact(cid, channel, ctype, listed.team, self.day_index, self.env._now,
                        u, at, patient, listed.own_gp, listed.own_others, listed.complex)
        else:
            c = Contact(cid, channel, ctype, None, self.day_index, self.env._now, u, at,
                        patient, None)
        if self.log is not None:
            self.log_event(c.id, "arise", None)
        return c

    def arrive(self, stream: str, channel: str, ctype: str, u: vec[float], at: int, patient: int,
               listed: Listing | None, patience: Duration | None) -> None:
        """A contact arises now from a demand stream and goes where its channel leads."""
        c = self.new_contact(channel, ctype, u, at, patient, listed)
        c.stream = stream
        if channel == "phone":
            self.call_arrives(c, patience)
        elif channel == "inbox":
            self.enqueue(c, "inbox")
        elif channel == "planned":  # a request for a later appointment
            self.run.request(self, c, "request")
        elif channel == "outreach":  # served in its block (a nursing-home round, lab orders)
            self.enqueue(c, "outreach")
        else:  # a walk-in or a home-visit request: wanted today
            c.same_day = True
            self.enqueue(c, channel)

    def finish(self, c: Contact, outcome: str, worker: Worker | None = None) -> None:
        if c.outcome is not None:
            raise ConservationError(f"contact {c.id} finished twice ({c.outcome}, {outcome})")
        now = self.env._now
        c.outcome, c.t_outcome = outcome, now
        if self.records.detail:
            self.records.contacts.append((c.id, c.channel, c.ctype, c.team, c.day, c.t_arise,
                                          outcome, now, c.t_seen, c.seen_by, c.seen_by_id,
                                          c.same_day, c.patient, c.own_gp, c.complex,
                                          c.own_seen()))
        self.run.ended += 1
        if c.session:  # a group session ends for everyone in it
            others, c.session = c.session, None
            for other in others:
                other.t_seen, other.seen_by, other.seen_by_id = c.t_seen, c.seen_by, c.seen_by_id
                self.finish(other, outcome)
        same_day = c.same_day
        if same_day:
            self.same_day_done(c, outcome in ("consulted", "home_visit"))
        if self.log is not None:
            self.log_event(c.id, outcome, worker)
        if worker is not None:
            self.run.after_outcome(self, c, outcome, worker, same_day)

    def same_day_done(self, c: Contact, seen: bool) -> None:
        """A same-day need's day is over for it: seen today (before closing?) or not."""
        c.same_day = False
        if self.records.detail:
            self.records.same_day.append((c.id, seen, seen and c.t_seen < self.close))

    def log_event(self, cid: object, event: str, worker: Worker | None) -> None:
        """Append to the event log. Callers check ``self.log is not None`` first, so a day
        without the log spends one comparison per logged moment and nothing more."""
        entry = (self.env._now, cid, event, worker.id if worker else "")
        self.log.append(entry)  # type: ignore[union-attr]

    def task_done(self, worker: Worker, kind: str, c: Contact, t0: float) -> None:
        """Record a finished task (the one place that writes the ``tasks`` layout)."""
        if self.records.detail:
            self.records.tasks.append((worker.index, kind, c.id, t0, self.env._now))

    # --- dispatch ------------------------------------------------------------------------
    def submit(self, kind: str, item) -> None:
        """New waiting work: hand it to the best idle person whose block takes it, or queue it."""
        self._place(kind, item, self.idle.best(kind, item) if self.idle.count else None)

    def _place(self, kind: str, item: Work, worker: Worker | None) -> None:
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
        line = item.route.line
        best, best_key = None, None
        for w in candidates:
            if kind in w.serving and w.role in roles and (
                    line is None or w.lines is None or line in w.lines) and (
                    not w.remote or w.takes_remotely(item)):
                key = (rank[w.role], team is not None and w.team != team, w.index)
                if best_key is None or key < best_key:
                    best, best_key = w, key
        return best

    def submit_booked(self, worker: Worker, c: Contact, first: bool = False) -> None:
        """``c`` is ``worker``'s patient now: at their slot, or back from a history
        (``first``: ahead of those who came after them)."""
        c.stage = "inbox" if c.stage == TASK else "consult"
        if worker.waiting and "booked" in worker.serving:  # idle in a booked block
            worker.wake_with(c)
        elif first:
            worker.booked.appendleft(c)
        else:
            worker.booked.append(c)

    def hand_history(self, c: Contact, history: History, clinician: Worker) -> bool:
        """Two-stage same-day visit: ``clinician`` is about to see ``c``; if a colleague
        who may take the history is free now, in a block that takes same-day patients, the
        history goes to them (True) and ``c`` comes back to ``clinician`` after it."""
        if not self.idle:
            return False
        stage, route = c.stage, c.route
        c.stage, c.route = "history", history.route
        taker = self.idle.best("squeeze_in", c)
        if taker is None:
            c.stage, c.route = stage, route
            return False
        c.history = history
        self.history_for[c.id] = clinician
        taker.wake_with(c)
        return True

    def history_taken(self, c: Contact) -> None:
        """The history is taken: back to the clinician who was to see the patient, first in
        their queue; if they have gone home, to whoever takes same-day patients."""
        clinician = self.history_for.pop(c.id)
        c.route = self.run.route(c.ctype, c.complex)
        if clinician.left_at != clinician.left_at:  # NaN: still here
            self.submit_booked(clinician, c, first=True)
        else:
            self.enqueue(c, "squeeze_in")

    def pull(self, w: Worker, places: tuple[int, ...]) -> Work | None:
        """The first waiting item ``w`` takes from the queues at ``places`` (in
        :data:`QUEUE_KINDS`; :data:`BOOKED`: their own booked patients): by block order, own
        team first, then FIFO (a contact, a question, or None: the worker reads its
        ``stage`` to tell them apart)."""
        for place in places:
            if place == BOOKED:
                if w.booked:
                    return w.booked.popleft()
                continue
            queue = self.queue_at[place]
            if not queue.count:
                continue
            item = queue.pop_for(w.role, w.team, w.lines if place == CALL_PLACE else None,
                                 w.takes_remotely if w.remote else None)
            if item is not None:
                item.queued = False
                return item
        return None

    def overtime_serves(self, w: Worker) -> tuple[tuple[int, ...], frozenset[str]]:
        """What a person past their hours still takes before going home (in order, as
        places in :data:`QUEUE_KINDS`, and as a set of kinds)."""
        after_close = self.env._now >= self.close
        key = (w.kit.supervises, after_close)
        found = self._overtime_sets.get(key)
        if found is None:
            eod = self.scenario.end_of_day
            serves = ["booked"] + (["question"] if w.kit.supervises else [])
            if after_close and eod.patients == "overtime":
                serves += ["late", "squeeze_in", "walk_in", "home_visit", "outreach"]
            if after_close and eod.inbox == "overtime":
                serves.append("inbox")
            found = self._overtime_sets[key] = (places_of(tuple(serves)), frozenset(serves))
        return found

    # --- phone ---------------------------------------------------------------------------
    def call_arrives(self, c: Contact, patience: Duration | None) -> None:
        """A ring of the phone: a new caller, or one who rings again."""
        run = self.run
        c.stage, c.route = "call", run.triage_routes.get(c.stream, run.triage_route)
        c.t_request = self.env._now
        c.attempts += 1
        self.records.offered += 1
        if c.attempts > 1:
            self.records.redials += 1
            if self.log is not None:
                self.log_event(c.id, "redial", None)
        self.submit("call", c)
        if patience is not None and c.queued:
            limit = patience.quantile(c.draw(_PATIENCE))
            self.env.call_at(self.env._now + limit, self._hang_up_later, c, c.attempts)

    def hang_up(self, c: Contact, attempt: int) -> None:
        if c.queued and c.stage == "call" and c.attempts == attempt:
            self.queues["call"].remove(c)
            c.queued = False
            self.records.call(c.id, c.t_request, NAN, "", self.env._now)
            if self.log is not None:
                self.log_event(c.id, "hang_up", None)
            self.run.after_hang_up(self, c, closing=False)

    def answered(self, c: Contact, w: Worker) -> None:
        now = self.env._now
        self.records.call(c.id, c.t_request, now, w.role, now)
        if self.log is not None:
            self.log_event(c.id, "call_answered", w)

    def after_triage(self, c: Contact, outcome: str) -> None:
        if outcome == "same_day":
            self.book_same_day(c)
        elif outcome == "booked_later":
            self.run.request(self, c, "triage")
        elif outcome == "e_consultation":
            c.ctype = self.scenario.triage.e_consultation_type
            self.enqueue(c, "inbox")
        elif outcome == "home_visit":
            c.ctype, c.same_day = self.scenario.triage.home_visit_type, True
            self.enqueue(c, "home_visit")
        else:
            self.finish(c, outcome)

    def enqueue(self, c: Contact, kind: str) -> None:
        """Queue a contact for the work kind that serves it, routed by its type."""
        c.stage = "consult" if kind in ("walk_in", "squeeze_in", "late") else kind
        c.route = self.run.route(c.ctype, c.complex)
        if kind == "late":
            c.queued = True
            self.queues["late"].append(c)
        else:
            self.submit(kind, c)

    # --- slots ---------------------------------------------------------------------------
    def book_same_day(self, c: Contact) -> None:
        c.same_day = True
        run = self.run
        route = run.roles_for(c.ctype, c.complex)
        slot = self.book.take_today("acute", route, self.env._now, run.acute_prefer,
                                    c.ctype in run.remote_types)
        if slot is not None:
            self._book(c, slot[0], self.worker_of[slot[1]])
            return
        overflow = run.acute_overflow
        if overflow == "next_day":
            self.carry_over(c)
        else:
            self.enqueue(c, "squeeze_in" if overflow == "squeeze_in" else "late")

    def _book(self, c: Contact, t: float, worker: Worker) -> None:
        if self.log is not None:
            self.log_event(c.id, "booked", worker)
        if c.stage != TASK:
            c.stage = "consult"
        self.env.call_in_order(t, self._submit_booked_later, worker, c)

    def keep_group_session(self, seats: list[Appointment]) -> None:
        """A group session's patients (each may not come): the first who comes leads, and
        the others are seen with them in the one session."""
        came = []
        for a in seats:
            c = a.contact
            if c.draw(_NO_SHOW) < self.no_show:
                self.env.call_in_order(a.time, self._finish_later, c, "no_show")
            else:
                came.append(c)
        if came:
            lead = came[0]
            lead.session = came[1:]
            self._book(lead, seats[0].time, self.worker_of[seats[0].person])

    def keep_appointment(self, a: Appointment) -> None:
        """Today's booked patient comes at their slot, or does not (no-show by weekday); a
        task in a doctor's calendar is always there."""
        c = a.contact
        if c.stage != TASK and c.draw(_NO_SHOW) < self.no_show:
            self.env.call_in_order(a.time, self._finish_later, c, "no_show")
        else:
            self._book(c, a.time, self.worker_of[a.person])

    def carry_over(self, c: Contact) -> None:
        """A patient or inbox item not dealt with today goes on to a later day."""
        if c.same_day:
            self.same_day_done(c, False)
        self.records.carried += 1
        if self.log is not None:
            self.log_event(c.id, "carried_over", None)
        self.run.carry(self, c)

    # --- supervision ---------------------------------------------------------------------
    def ask(self, asker: Worker, c: Contact, kind: str, duration: float) -> Question | None:
        """A question to a doctor (``question``, ``joint``, or ``message``: sent for the
        doctor's next gap while the asker carries on); None if no one can answer."""
        route = self.run.answerers[asker.role]
        if not self._on_site(route):
            self.records.unanswered += 1
            return None
        if kind != "message" and self.env._now < self._first_in(route):
            kind = "message"  # no one who answers is in yet: it waits for them as a message
        q = Question(asker, c, kind, duration, route, self.env.event())
        if self.log is not None:
            self.log_event(c.id, kind, asker)
        worker = self.idle.best("question", q)
        if worker is None and self.run.interrupt_mode and kind != "message":
            target = self._best([w for w in self.workers if w.interruptible], "question", q)
            if target is not None:  # no doctor free: call one out of a consultation
                target.interruptible = False
                target.process.interrupt(q)
                return q
        self._place("question", q, worker)
        return q

    def call_assistant(self, clinician: Worker, c: Contact, duration: float) -> Question:
        """``clinician`` is to see patient ``c`` for ``duration`` with an assistant: a call
        in the question queue that the first free person of the assisting roles takes (one
        idle in a block that takes questions at once). While it waits, ``call.queued``."""
        q = Question(clinician, c, "assist", duration, clinician.assist, self.env.event())
        someone = self._on_site(q.route)  # type: ignore[arg-type]
        if self.log is not None:
            self.log_event(c.id, "assist" if someone else "unassisted", clinician)
        if someone:
            self._place("question", q, self.idle.best("question", q) if self.idle.count else None)
        return q

    def _on_site(self, route: Route) -> bool:
        """Whether anyone of ``route``'s roles is here today and has not gone home."""
        return any(self.on_site.get(r, 0) > 0 for r in route.roles)

    def _first_in(self, route: Route) -> float:
        """When the first person of ``route``'s roles starts today (a nurse in at 07:00
        does not wait an hour for the doctors: her question is left for them)."""
        found = self._first_start.get(route)
        if found is None:
            found = self._first_start[route] = min(
                (w.start for w in self.workers if w.role in route.roles), default=NAN)
        return found

    def to_calendar(self, asker: Worker, c: Contact, t0: float) -> None:
        """An inbox item ``asker`` cannot finish goes into a doctor's calendar as a task
        (``supervision.calendar``): their review of it is recorded, and the item ends when
        the doctor handles it in that slot. If no doctor who answers ``asker`` can handle
        it, or none has a free slot within the horizon, ``asker`` finishes it without an
        answer."""
        self.task_done(asker, c.stage, c, t0)
        if not self.run.to_calendar(self, c, asker.role):
            self.records.unanswered += 1
            self.finish(c, "inbox_handled", asker)

    def left(self, w: Worker) -> None:
        self.on_site[w.role] -= 1
        if w.kit.supervises or self.queues["question"]:
            self._release_orphaned_questions()

    def _release_orphaned_questions(self) -> None:
        """Questions no remaining doctor can answer: the asker carries on without one (a
        clinician waiting for an assistant no one left can be sees the patient alone)."""
        queue = self.queues["question"]
        for q in list(queue):
            if not self._on_site(q.route):
                queue.remove(q)
                q.queued = False
                if q.kind == "assist":
                    if self.log is not None:
                        self.log_event(q.contact.id, "unassisted", None)
                    if q.asker.waiting:
                        q.asker.wake_with(None)
                    continue
                self.records.unanswered += 1
                if self.log is not None:
                    self.log_event(q.contact.id, "question_unanswered", None)
                q.done.succeed(False)

    # --- end of day ----------------------------------------------------------------------
    def closing(self):
        yield max(0.0, self.close - self.env._now)  # minutes asleep
        self._close_phone_line()
        eod = self.scenario.end_of_day
        if eod.patients == "carry_over":
            for kind in PATIENT_QUEUES:
                self._carry_over(kind)
        if eod.inbox == "carry_over":
            self.hand_over_inbox()

    def _close_phone_line(self) -> None:
        queue = self.queues["call"]
        while queue:
            c = queue.popleft()
            c.queued = False
            self.records.call(c.id, c.t_request, NAN, "", self.env._now)
            if self.log is not None:
                self.log_event(c.id, "hang_up", None)
            self.run.after_hang_up(self, c, closing=True)

    def _carry_over(self, kind: str) -> None:
        queue = self.queues[kind]
        while queue:
            c = queue.popleft()
            c.queued = False
            self.carry_over(c)

    def hand_over_inbox(self) -> None:
        """The inbox closes for today: its waiting items go on to tomorrow in their queue,
        in order (the queue object itself is handed over, not its items one by one)."""
        inbox = self.queues["inbox"]
        self.records.carried += len(inbox)
        if self.log is not None:
            for c in inbox:
                self.log_event(c.id, "carried_over", None)
        if inbox is not self.run.inbox:  # items that came in after an earlier hand-over
            for c in inbox:
                self.run.inbox.append(c)
        self.queues["inbox"] = self.queue_at[_INBOX_PLACE] = WorkQueue()

    def release(self) -> None:
        """Break the day's reference cycles once it is over, so reference counting frees it
        with the cyclic collector paused: clinic <-> workers, clinic <-> its bound methods,
        and the SimPy environment's own (its heap holds events whose callbacks hold
        processes)."""
        for w in self.workers:
            w.clinic = w.process = w.handed = w.alarm = None  # type: ignore[assignment]
        self.workers = []
        self._hang_up_later = self.call_arrives_later = None  # type: ignore[assignment]
        self._submit_booked_later = self._finish_later = None  # type: ignore[assignment]
        self.idle.clear()
        self.env.release()

    def sweep(self) -> None:
        """After everyone has gone home: whatever still waits goes on to a later day."""
        self._close_phone_line()
        for kind in PATIENT_QUEUES:
            self._carry_over(kind)
        self.hand_over_inbox()
        for w in self.workers:
            while w.booked:
                self.carry_over(w.booked.popleft())
        self._release_orphaned_questions()
