"""A run: consecutive working days of one practice, with a memory.

The run is what carries from one day to the next: the listed patients, the appointment
book, inbox items and patients carried over, callers who will ring again, chronic
patients' next reviews. Each day the clinic (:class:`sim.engine.clinic.Clinic`) takes
today's share of this state, runs the day in SimPy, and hands back what is left.

One loop, :func:`simulate_run`, runs days for every caller (a run of the command line, a
sweep task, the capacity search, the calibration report): it yields each day's records,
the warm-up days flagged as not measured. At the end of the run whatever is still booked
or waiting gets its after-run outcome, and the run checks that every contact that arose
ended exactly once.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Final, Iterable, Iterator

import numpy as np
from librt.vecs import vec

from sim.engine.book import Appointment, AppointmentBook
from sim.engine.calendar import RunCalendar
from sim.engine.contacts import CALENDAR_TASK, TASK, Contact
from sim.engine.errors import ConservationError
from sim.engine.demand import DrawPieces, flat_rows, run_demand, schedule_demand
from sim.engine.durations import Duration, durations_of
from sim.engine.idle import IdleIndex
from sim.engine.model import CompiledScenario, Person, Route
from sim.engine.population import Patients
from sim.engine.queues import WorkQueue
from sim.engine.records import DayRecords
from sim.engine.staff import Block, RoleKit
from sim.rng import RandomStreams

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.clinic import Clinic
    from sim.engine.staff import Worker

#: Planned needs the practice booked for a chosen later day (a follow-up's, a review's):
#: their wait runs from that day, not from when they were booked.
SCHEDULED_SOURCES: Final = ("follow_up", "review", "pre_test")
#: Rows of decision draws taken at a time for contacts the run itself creates (follow-ups,
#: reviews).
ROW_BLOCK: Final = 64


class RowSource:
    """Decision rows for contacts of one endogenous source, one contact at a time, taken
    from the source a block at a time."""

    __slots__ = ("_source", "_pieces")

    def __init__(self, streams: RandomStreams, source: str):
        self._source = streams.decision_rows(source)
        self._pieces = DrawPieces(vec[float]())

    def pieces(self) -> DrawPieces:
        """The rows to hand the next contact from (its row: ``next()`` of them)."""
        if self._pieces.exhausted():
            self._pieces = DrawPieces(flat_rows(self._source.take(ROW_BLOCK)))
        return self._pieces


class Redial:
    """A stream's callers' shares who ring again the same day and (of the rest) the next
    working day, in fields of the engine's own: read at every hang-up, where the
    scenario's object is looked up by name."""

    __slots__ = ("same_day", "next_day")

    def __init__(self, same_day: float, next_day: float) -> None:
        self.same_day = same_day
        self.next_day = next_day


class Reviews:
    """When each morbid patient's next chronic-care review is to be booked."""

    def __init__(self, model: CompiledScenario, patients: Patients, streams: RandomStreams):
        spec = model.scenario.reviews
        self.spec = spec
        #: days before a review's due day that it is asked for (0 without reviews)
        self.book_ahead: int = spec.book_ahead_days if spec is not None else 0
        self.by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        #: working days from one review's due day to the next's, whether it was booked or
        #: turned away: a fixed cycle, so requests keep the spacing the start gives them
        self.cycle = max(1, int(round(spec.interval_days))) if spec is not None else 1
        if spec is None:
            return
        morbid = np.flatnonzero(patients.morbid)
        # Stationary start: each patient is somewhere in their cycle of *requests*, so
        # about one in ``cycle`` asks on each day from the first. (Spreading the due days
        # instead would put every review due within ``book_ahead_days`` of the start, a
        # fifth of them at the defaults, onto day 0, whose echo one cycle later fell
        # inside the measured weeks.)
        first = np.floor(streams.generator("reviews.first_due").random(len(morbid))
                         * self.cycle).astype(int) + spec.book_ahead_days
        for patient, due in zip(morbid.tolist(), first.tolist()):
            self.schedule(patient, due)

    def schedule(self, patient: int, due: int, today: int = -1) -> None:
        """Ask for the review due on day ``due`` ``book_ahead_days`` before it, or
        tomorrow if that day is past (a cycle shorter than the lead time)."""
        self.by_day[max(today + 1, due - self.book_ahead)].append((patient, due))

    def due(self, day: int) -> list[tuple[int, int]]:
        return self.by_day.pop(day, [])


class RunState:
    """What the practice remembers from one working day to the next."""

    def __init__(self, model: CompiledScenario, streams: RandomStreams,
                 calendar: RunCalendar):
        s = model.scenario
        self.model, self.streams, self.calendar = model, streams, calendar
        self.patients = Patients(model, streams)
        self.book = AppointmentBook(model, lambda d: model.people_on(calendar.day(d)))
        self.reviews = Reviews(model, self.patients, streams)
        self.no_show = [s.booking.no_show_by_weekday.get(w, 0.0)  # type: ignore[call-overload]
                        for w in calendar.weekdays]
        self.next_id = 0
        self.arisen = 0
        self.ended = 0
        #: home-visit requests and outreach work carried to the next day
        self.carried: dict[str, list[Contact]] = {"home_visit": [], "outreach": []}
        #: the inbox: its waiting items go on from day to day in their queue, in order
        self.inbox = WorkQueue()
        self.idle = IdleIndex()  # the day's idle people, cleared as each day ends
        #: callers who will ring again: day -> [(minute, contact)]
        self.redials: dict[int, list[tuple[float, Contact]]] = defaultdict(list)
        self._rows: dict[str, RowSource] = {}
        self._redial = streams.uniforms("phone.redial")
        self._redial_time = streams.uniforms("phone.redial_time")
        self._follow_up = streams.uniforms("follow_ups.ask")
        self._follow_up_after = streams.uniforms("follow_ups.after")
        # the run's durations, sampled by compiled code (sim.engine.durations)
        self.patience: dict[str, Duration | None] = {
            name: None if d is None else Duration(d) for name, d in model.patience.items()}
        self.redial_delay: dict[str, Duration] = durations_of(model.redial_delay)
        self.follow_up_after: Duration | None = (
            None if model.follow_up_after is None else Duration(model.follow_up_after))
        self.triage_duration: dict[str, Duration] = durations_of(model.triage_duration)
        self.service_by_role: dict[str, dict[str, Duration]] = {
            role: durations_of(by_type) for role, by_type in model.service_by_role.items()}
        self.question_duration = Duration(model.question_duration)
        self.joint_duration = Duration(model.joint_duration)
        self.travel = Duration(model.travel)
        self.demand = run_demand(model, streams, calendar, self.patience)
        # What contacts look up in the scenario, read here once a run: the model is plain
        # Python (it is pickled for the workers), and each read of one of its attributes
        # from the engine is a lookup by name.
        self.routes: dict[str, Route] = model.routes
        self.complex_routes: dict[str, Route] = model.complex_routes
        self.route_order: dict[str, list[str]] = model.route_order
        self.complex_route_order: dict[str, list[str]] = model.complex_route_order
        self.remote_types: frozenset[str] = model.remote_types
        self.group_types: frozenset[str] = model.group_types
        self.earliest_days: int = s.booking.earliest_days
        self.acute_prefer: str = s.acute.prefer
        self.acute_overflow: str = s.acute.overflow
        #: doctors answer questions by interrupting what they do (else between tasks)
        self.interrupt_mode: bool = s.supervision.mode == "interrupt"
        self.pre_tests: dict[str, Any] = {name: t.pre_test for name, t in s.contact_types.items()}
        self.redial: dict[str, Redial] = {name: Redial(r.same_day, r.next_day)
                                          for name, r in model.redial.items()}
        #: weekday -> demand stream -> its arrival profile that day (None: no profile)
        self.day_profiles: dict[str, dict[str, Any]] = model.day_profiles
        self.follow_up_type: str = s.follow_ups.contact_type
        self.follow_up_share_same_day: dict[str, float] = s.follow_ups.after_same_day
        self.follow_up_share_inbox: dict[str, float] = s.follow_ups.after_inbox
        self.weekdays: tuple[str, ...] = calendar.weekdays
        self.triage_route: Route = model.triage_route
        self.triage_routes: dict[str, Route] = model.triage_routes
        self.stream_triage_outcomes: dict[str, dict[str, tuple[tuple[float, str], ...]]] = \
            model.stream_triage_outcomes
        self.answerers: dict[str, Route] = model.answerers
        #: id of a person -> (the person, their plan's blocks as the day loop reads them)
        self._blocks: dict[int, tuple[Person, list[Block]]] = {}
        self._kits: dict[str, RoleKit] = {}  # role -> what it sets for a worker's day

    def role_kit(self, role: str) -> RoleKit:
        """What ``role`` sets for a worker's day, made once a run."""
        found = self._kits.get(role)
        if found is None:
            found = self._kits[role] = RoleKit(self.model, self, role)
        return found

    def plan_blocks(self, person: Person) -> list[Block]:
        """``person``'s plan as their day loop reads it, made once a run (the person is
        kept with it, so that their id stays theirs)."""
        found = self._blocks.get(id(person))
        if found is None or found[0] is not person:
            found = self._blocks[id(person)] = (person, [Block(b) for b in person.plan])
        return found[1]

    def route(self, ctype: str, complex_patient: bool) -> Route:
        """The route of a contact: by its type, and its patient's complexity."""
        if complex_patient:
            found = self.complex_routes.get(ctype)
            if found is not None:
                return found
        return self.routes[ctype]

    def roles_for(self, ctype: str, complex_patient: bool) -> list[str]:
        """The roles a contact may be booked with, lowest level first."""
        if complex_patient:
            found = self.complex_route_order.get(ctype)
            if found is not None:
                return found
        return self.route_order[ctype]

    # --- contacts ---------------------------------------------------------------------------
    def derived_contact(self, clinic: Clinic, source: str, ctype: str,
                        patient: Contact | int) -> Contact:
        """A need the run creates for a patient (a follow-up, a review), with its own draws."""
        rows = self._rows.get(source)
        if rows is None:
            rows = self._rows[source] = RowSource(self.streams, source)
        if isinstance(patient, Contact):
            patient = patient.patient
        pieces = rows.pieces()
        at = pieces.next()
        p = self.patients
        c = clinic.new_contact(source, ctype, pieces.rows, at, patient,
                               p.listing_of[patient] if p.size else None)
        c.stream = source
        return c

    # --- planned needs ----------------------------------------------------------------------
    def request(self, clinic: Clinic, c: Contact, source: str, first_day: int | None = None,
                urgent: bool = False, before: tuple[int, float] | None = None) -> None:
        """Book a planned need into the appointment book, or turn it away; a visit with a
        first stage (a pre-test) books that too, before it."""
        today = clinic.day_index
        earliest = today + self.earliest_days
        first = earliest if first_day is None else max(first_day, earliest)
        if urgent:
            first = today + 1 if first_day is None else first_day
        now = clinic.env._now
        c.request_day, c.urgent = today, urgent
        clinic.records.requests += 1
        roles = self.roles_for(c.ctype, c.complex)
        a = self.book.book(c, roles, first, now, c.own_gp, c.team, urgent, c.own_others,
                           remote_ok=c.ctype in self.remote_types,
                           group=c.ctype in self.group_types, before=before)
        if a is None:
            clinic.finish(c, "turned_away")
            return
        due = first_day if first_day is not None and source in SCHEDULED_SOURCES else today
        self._booked(clinic, c, a, source, due, urgent,
                     "booked_for_later" if a.day > today else "booked")
        pre = self.pre_tests[c.ctype]
        if pre is not None and source != "pre_test":
            test = self.derived_contact(clinic, "pre_test", pre.contact_type, c)
            self.request(clinic, test, "pre_test", first_day=a.day - pre.days_before,
                         before=(a.day, a.time))

    def to_calendar(self, clinic: Clinic, c: Contact, asker: str) -> bool:
        """Book inbox item ``c`` into the calendar of a doctor who answers ``asker``'s
        questions and can handle it (the first free planned slot from now, scored as a
        planned need's: own GP preferred); False if there is no such doctor or slot."""
        roles = self.model.calendar_roles(c.ctype, asker)
        if not roles:
            return False
        today = clinic.day_index
        a = self.book.book(c, roles, today, clinic.env._now, c.own_gp, c.team,
                           own_others=c.own_others)
        if a is None:
            return False
        c.stage = TASK
        self._booked(clinic, c, a, CALENDAR_TASK, today, False, "to_calendar")
        return True

    def _booked(self, clinic: Clinic, c: Contact, a: Appointment, source: str, due: int,
                urgent: bool, event: str) -> None:
        """Record ``c``'s booking ``a`` (the bookings table, the event log); an appointment
        today is kept at once."""
        today = clinic.day_index
        if clinic.records.detail:
            clinic.records.bookings.append((c.id, source, today, due, a.day, a.time, a.person,
                                            self.book.role_of[a.person], c.own_gp, urgent))
        if clinic.log is not None:
            clinic.log_event(c.id, event, None)
        if a.day == today:
            clinic.keep_appointment(a)

    def carry(self, clinic: Clinic, c: Contact) -> None:
        """Work not done today: home-visit requests wait for tomorrow's queue (inbox items
        stay in the inbox, see :meth:`Clinic.hand_over_inbox`); a patient who was to be
        seen books the first slot from tomorrow (acute slots included: the need is
        urgent)."""
        if c.stage in self.carried:
            self.carried[c.stage].append(c)
        elif c.stage == "inbox":  # a calendar task its doctor did not reach: the inbox
            c.queued = True
            self.inbox.append(c)
        else:
            self.request(clinic, c, "carried_over", urgent=True)

    def after_hang_up(self, clinic: Clinic, c: Contact, closing: bool) -> None:
        """A caller who hung up (or was cut off at closing) rings again, or gives up: later
        today while the line is open, else the next working day, with the stream's shares.
        A same-day redial that would fall outside the line's hours rings the next working
        day instead: callers ring when the practice takes calls, redials as first calls."""
        redial = self.redial.get(c.stream)
        outcome = "line_closed" if closing else "abandoned"
        if redial is None:
            clinic.finish(c, outcome)
            return
        u = self._redial.next()
        if u < redial.same_day and not closing:
            t = clinic.env._now + self.redial_delay[c.stream].quantile(
                self._redial.next())
            if t < clinic.close and self._line_open(c.stream, clinic.day.name, t):
                clinic.env.call_at(t, clinic.call_arrives_later, c,
                                   self.patience.get(c.stream))
                return
        elif u >= redial.same_day + (1.0 - redial.same_day) * redial.next_day:
            clinic.finish(c, outcome)
            return
        tomorrow = self.weekdays[(clinic.day_index + 1) % len(self.weekdays)]
        self.redials[clinic.day_index + 1].append((self._ring_time(c.stream, tomorrow), c))

    def _line_open(self, stream: str, weekday: str, t: float) -> bool:
        """Whether ``stream``'s line takes calls at time ``t`` on ``weekday``: ``t`` falls
        in one of the windows its first calls ring in that day."""
        profile = self.day_profiles[weekday][stream]
        return profile is not None and any(start <= t < end for start, end in profile.spans)

    def _ring_time(self, stream: str, weekday: str) -> float:
        """A time of day for a redial on ``weekday``, from the stream's arrival profile
        that day: its window as NumPy's ``searchsorted(side="right")`` finds it for an
        arrival, in plain floats (the same doubles, without NumPy scalars a redial)."""
        profile = self.day_profiles[weekday][stream]
        assert profile is not None  # callers ring on phone lines, which have profiles
        window, within = self._redial_time.next(), self._redial_time.next()
        shares = profile.shares
        start, end = profile.spans[min(bisect.bisect_right(shares, window), len(shares) - 1)]
        return start + within * (end - start)

    def after_outcome(self, clinic: Clinic, c: Contact, outcome: str, worker: Worker,
                      same_day: bool) -> None:
        """What a finished contact asks for later: a follow-up after a same-day
        consultation (by the role that saw it, T7), a visit after an inbox item (T10)."""
        if same_day and outcome in ("consulted", "home_visit"):
            share = self.follow_up_share_same_day.get(worker.role, 0.0)
        elif outcome == "inbox_handled":
            share = self.follow_up_share_inbox.get(c.ctype, 0.0)
        else:
            return
        if share <= 0.0 or self._follow_up.next() >= share:
            return
        after = self.follow_up_after
        assert after is not None  # a scenario with follow-up shares must give after_days
        days = max(1, int(round(after.quantile(self._follow_up_after.next()))))
        need = self.derived_contact(clinic, "follow_up", self.follow_up_type, c)
        self.request(clinic, need, "follow_up", first_day=clinic.day_index + days)

    # --- a day ------------------------------------------------------------------------------
    def start_day(self, clinic: Clinic) -> None:
        """Today's share of the run's memory: appointments, waiting work, redials, reviews,
        then today's new demand."""
        day = clinic.day
        records = clinic.records
        sessions: dict[tuple[str, float], list] = {}
        for a in self.book.start_day(day.index):
            if a.contact.ctype in self.group_types:  # seats of one group session
                sessions.setdefault((a.person, a.time), []).append(a)
            else:
                clinic.keep_appointment(a)
        for seats in sessions.values():
            clinic.keep_group_session(seats)
        records.tnaa = self.access_at_opening(clinic)
        records.booked_ahead = self.book.booked_ahead()
        for kind, waiting in self.carried.items():
            for c in waiting:
                clinic.enqueue(c, kind)
            waiting.clear()
        for t, c in self.redials.pop(day.index, []):
            clinic.env.call_at(t, clinic.call_arrives_later, c, self.patience.get(c.stream))
        spec = self.reviews.spec
        for patient, due in self.reviews.due(day.index):
            assert spec is not None  # reviews fall due only in a scenario with reviews
            need = self.derived_contact(clinic, "review", spec.contact_type, patient)
            self.request(clinic, need, "review", first_day=due)
            self.reviews.schedule(patient, due + self.reviews.cycle, day.index)
        schedule_demand(clinic, self.model, self.demand)

    def access_at_opening(self, clinic: Clinic) -> dict:
        """Third next available appointment by role with bookable slots, and for the
        practice (key None): with a GP, the roles that keep a list (the classic measure),
        or with anyone where no role keeps a list. Counted from the first day a routine
        need may book (``booking.earliest_days``): today's free slots, which only the
        practice's own tasks can take then, are no appointment a patient could have."""
        now, first = clinic.open, self.earliest_days
        gps = self.model.list_roles & set(self.model.bookable_roles)
        book = self.book
        out: dict[str | None, int] = {None: book.third_next_available(gps or None, now, first)}
        for role in self.model.bookable_roles:
            out[role] = book.third_next_available({role}, now, first)
        return out

    def end_day(self, clinic: Clinic) -> None:
        clinic.records.backlog = self.book.future

    # --- the end of the run -----------------------------------------------------------------
    def finish_run(self, records: DayRecords) -> None:
        """Give what is still booked or waiting its after-run outcome; check conservation."""
        def end(c: Contact, outcome: str) -> None:
            if c.outcome is not None:
                raise ConservationError(f"contact {c.id} finished twice ({c.outcome}, {outcome})")
            c.outcome = outcome
            records.after_run.append((c.id, c.channel, c.ctype, c.team, c.day, c.t_arise,
                                      outcome, math.nan, c.t_seen, c.seen_by, c.seen_by_id,
                                      False, c.patient, c.own_gp, c.complex, c.own_seen()))
            self.ended += 1

        for a in self.book.pending():
            end(a.contact, "booked_after_run")
        left: list[Iterable[Contact]] = [*self.carried.values(), self.inbox]
        for waiting in left:
            for c in waiting:
                end(c, "carried_over")
        for day in sorted(self.redials):
            for _t, c in self.redials[day]:
                end(c, "carried_over")
        if self.ended != self.arisen:
            raise ConservationError(
                f"{self.arisen} contacts arose over the run but {self.ended} ended")


def simulate_run(model: CompiledScenario, seed: int, replication: int,
                 calendar: RunCalendar, event_log: bool = False,
                 warmup_detail: bool = True) -> Iterator[DayRecords]:
    """Run the days of one replication; yield each day's records as the day ends.

    The random streams depend on (seed, replication) only, so the same pair gives the same
    run, and two scenarios with the same pair face the same patients. Without
    ``warmup_detail`` a warm-up day's contact-level lists stay empty
    (``DayRecords.detail``): a run's metrics read only its measured days, and making
    records no one reads was about 3 % of a run with as many weeks of warm-up as measured."""
    from sim.engine.clinic import Clinic

    streams = RandomStreams(seed, replication)
    state = RunState(model, streams, calendar)
    last = calendar.total_days - 1
    for index in range(calendar.total_days):
        day = calendar.day(index)
        clinic = Clinic(model, state, day, event_log, warmup_detail or day.measured)
        state.start_day(clinic)
        clinic.env.run()
        clinic.sweep()
        state.end_day(clinic)
        records = clinic.records
        for w in clinic.workers:
            records.staff.append((w.id, w.person.group, w.role, w.team, w.start, w.end,
                                  w.left_at, w.minutes()))
        clinic.release()
        if index == last:
            state.finish_run(records)
        yield records
        del records, clinic  # freed now, not kept through the next day (see run_one)
