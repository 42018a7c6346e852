"""The appointment book: every person's bookable slots, day by day, over the booking horizon.

Slots come from the blocks of each day's plan whose kind has ``slots: planned`` or
``slots: acute``: a block of length L with slot length s gives floor(L / s) slots. The book
keeps the days from today to the end of the horizon open (the practice goes on after a run
ends, so the book does too); a day's slots are laid out from the people in on that day
(weekday plan, rotation, absences) when it enters the horizon.

*Planned* needs (a later appointment) book the first suitable slot by :meth:`book`: a role
the delegation allows, scored by how long the patient waits, less the extra days they
accept for their own GP, their own team, or a lower rung of the route. Acute slots are kept
for same-day needs (:meth:`take_today`) unless the carve-out releases them to planned
booking a set number of days ahead. A slot no one books is not lost: the person in that
block takes other waiting work (squeeze-ins, walk-ins, inbox), which is how practices
release unused time on the day.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Final

from sim.engine.model import CompiledScenario, Person
from sim.native import i64

if TYPE_CHECKING:  # pragma: no cover
    from sim.engine.contacts import Contact

EPS: Final = 1e-9
#: Whether this module runs compiled: its searches of sorted slots compare machine floats
#: there, and call the C ``bisect`` module as plain Python, where a loop is slower.
COMPILED: Final = not __file__.endswith((".py", ".pyc"))
PLANNED: Final = "planned"
ACUTE: Final = "acute"

#: the key of (slot kind, role key) (:func:`list_key`) -> sorted list of (start time,
#: person id)
FreeSlots = dict[str, list[tuple[float, str]]]
#: the same key -> person id (or team) -> that person's (or team's) part of the list, sorted
FreeIndex = dict[str, dict[str, list[tuple[float, str]]]]


#: Slot lists of remote clinicians and group sessions are kept apart from the ordinary ones,
#: under the role's name with these suffixes: only needs that may use them look there.
REMOTE: Final = "@remote"
GROUP: Final = "@group"


def slot_key(person: Person, block) -> str:
    """The role key of a person's slots in a block: the role, marked remote or group."""
    if block.group_size:
        return person.role + GROUP
    return person.role + REMOTE if person.remote else person.role


#: (slot kind, role key) -> the key of their slot lists, and back (:func:`list_key`)
_LIST_KEYS: Final[dict[tuple[str, str], str]] = {}
_KEY_PARTS: Final[dict[str, tuple[str, str]]] = {}


def list_key(kind: str, role_key: str) -> str:
    """The key of a day's slot list of slot kind ``kind`` and role key ``role_key``: one
    string object per pair (its parts: :data:`_KEY_PARTS`). A booking looks up several
    lists a day of its horizon; a string keeps its hash and is found by identity, where a
    (kind, role key) tuple was hashed afresh at every look-up."""
    found = _LIST_KEYS.get((kind, role_key))
    if found is None:
        found = _LIST_KEYS[(kind, role_key)] = f"{kind}:{role_key}"
        _KEY_PARTS[found] = (kind, role_key)
    return found


def day_slots(people: list[Person]) -> FreeSlots:
    """Every slot of a day by (slot kind, role key), each list sorted by time; a group slot
    appears once per seat."""
    free: FreeSlots = {}
    for person in people:
        for block in person.plan:
            if block.slots == "none":
                continue
            n = math.floor((block.end - block.start) / block.slot_min + EPS)
            slots = free.setdefault(list_key(block.slots, slot_key(person, block)), [])
            for i in range(n):
                for _seat in range(block.group_size or 1):
                    slots.append((block.start + i * block.slot_min, person.id))
    for slots in free.values():
        slots.sort()
    return free


def index_by(free: FreeSlots, group_of: Callable[[str], str | None]) -> FreeIndex:
    """Each slot list split by a person's group (their id, or their team), kept in the same
    order, so that a need preferring its own GP or team finds their first free slot by
    bisection instead of scanning every clinician's slots before it."""
    index: FreeIndex = {}
    for key, slots in free.items():
        parts: dict[str, list[tuple[float, str]]] = {}
        for slot in slots:
            group = group_of(slot[1])
            if group is not None:
                parts.setdefault(group, []).append(slot)
        index[key] = parts
    return index


class SlotList:
    """One day's free slots of one list key (slot kind, role key), sorted by time, with each
    person's part and each team's part of them (see :func:`index_by`): a booking that
    prefers its own GP or team reaches the parts from the list it found, where it looked
    each up by day, list key and person again."""

    __slots__ = ("slots", "by_person", "by_team")

    def __init__(self, slots: list[tuple[float, str]],
                 by_person: dict[str, list[tuple[float, str]]],
                 by_team: dict[str, list[tuple[float, str]]]) -> None:
        self.slots = slots
        self.by_person = by_person
        self.by_team = by_team


class Appointment:
    """A booked slot: the patient's need, the day, the time and who they will see."""

    __slots__ = ("contact", "day", "time", "person")

    def __init__(self, contact: Contact, day: int, time: float, person: str):
        # typed: the compiled engine reads the contact's fields in place, where an untyped
        # one took generic lookups each morning for every booked patient
        self.contact, self.day, self.time, self.person = contact, day, time, person


def _from(slots: list[tuple[float, str]], low: float) -> int:
    """The first place in the sorted ``slots`` whose time is at or after ``low``: what
    ``bisect.bisect_left(slots, (low, ""))`` gives, comparing the times alone, as machine
    floats in the compiled engine, rather than tuples."""
    if not COMPILED:
        return bisect.bisect_left(slots, (low, ""))
    lo: i64 = 0
    hi: i64 = len(slots)
    while lo < hi:
        mid = (lo + hi) >> 1
        if slots[mid][0] < low:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _place(slots: list[tuple[float, str]], slot: tuple[float, str]) -> int:
    """Where ``slot`` is (or goes) in the sorted ``slots``: ``bisect.bisect_left``, with
    the time compared as a machine float before the person's id."""
    if not COMPILED:
        return bisect.bisect_left(slots, slot)
    time, pid = slot
    lo: i64 = 0
    hi: i64 = len(slots)
    while lo < hi:
        mid = (lo + hi) >> 1
        t, p = slots[mid]
        if t < time or (t == time and p < pid):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _ahead(score: float, time: float, rank: int,
           best_score: float, best_time: float, best_rank: int) -> bool:
    """Whether a slot scoring ``score`` at ``time`` on rung ``rank`` comes before the best
    so far: the lower score, then the earlier time, then the lower rung."""
    if score != best_score:
        return score < best_score
    if time != best_time:
        return time < best_time
    return rank < best_rank


def _suffixes(remote_ok: bool, group: bool = False) -> tuple[str, ...]:
    """The role-key suffixes of the slot lists a need may book: group seats only for a
    group need; a remote clinician's too for a need that may be met remotely."""
    if group:
        return (GROUP,)
    return ("", REMOTE) if remote_ok else ("",)


def _first(part: list[tuple[float, str]] | None, low: float) -> tuple[float, str] | None:
    """The first slot of a person's or team's part at or after ``low``, if any."""
    if not part:
        return None
    i = _from(part, low)
    return part[i] if i < len(part) else None


class Rung:
    """What a booking looks at on one rung of its route. Fields of a class of the compiled
    engine's own: a booking reads them for each day it looks at, and a tuple's numbers
    were read as Python floats, each unpacked and converted again every time."""

    __slots__ = ("rank", "role", "extra", "gain", "own", "own_gain", "planned_keys",
                 "all_keys")

    def __init__(self, rank: int, role: str, extra: float, gain: float, own: str | None,
                 own_gain: float, planned_keys: list[str], all_keys: list[str]) -> None:
        self.rank = rank  # the rung's place in the route (0: its first)
        self.role = role
        self.extra = extra  # the extra wait it counts as, in working days
        self.gain = gain  # the most its slots can take off the wait (own person, own team)
        self.own = own  # the patient's own person in this role, if any
        self.own_gain = own_gain  # what seeing them takes off the wait
        #: its slot lists' keys on a day of planned slots only, and on a day whose acute
        #: slots are open too
        self.planned_keys = planned_keys
        self.all_keys = all_keys

    def mine(self, gain: float, own: str | None, own_gain: float) -> Rung:
        """This rung for a patient with their own person or team on it."""
        return Rung(self.rank, self.role, self.extra, gain, own, own_gain, self.planned_keys,
                    self.all_keys)


class AppointmentBook:
    def __init__(self, model: CompiledScenario, day_people: Callable[[int], list[Person]]):
        booking = model.scenario.booking
        self.model = model
        self.horizon = booking.horizon_days
        self.release = booking.release_acute_days
        self.own_gp_extra = booking.own_gp_extra_days
        self.own_gp_first_rung_only = booking.own_gp_first_rung_only
        self.own_team_extra = booking.own_team_extra_days
        self.own_other_extra = booking.own_clinician_extra_days
        self.level_extra = booking.level_extra_days
        self._day_people = day_people
        self._templates: dict[tuple[int, ...], tuple[FreeSlots, FreeIndex, FreeIndex]] = {}
        #: (the route roles' list's id, group, remote) -> the list (held, so that its id is
        #: not reused) and the route's rungs for a patient with no own clinician or
        #: team on it, laid out as :meth:`book` reads them
        self._rungs: dict[tuple[int, bool, bool], tuple[list[str], list[Rung]]] = {}
        #: (slot kind, the route roles' list's id, remote) -> the list (held) and the keys
        #: of the slot lists :meth:`take_today` looks at for each of its roles
        self._today: dict[tuple[str, int, bool], tuple[list[str], list[list[str]]]] = {}
        #: (roles, acute slots released) -> how many list keys there were and the keys of
        #: the lists :meth:`third_next_available` counts for them
        self._counted: dict[tuple[frozenset[str] | None, bool], tuple[int, list[str]]] = {}
        #: each open day's free slots by list key
        self.free: dict[int, dict[str, SlotList]] = {}
        #: every slot of each open day, booked or not (the day's shared template)
        self.laid_out: dict[int, FreeSlots] = {}
        self.team_of: dict[str, str | None] = {}
        self.role_of: dict[str, str] = {}
        self.appointments: dict[int, list[Appointment]] = defaultdict(list)
        self.today = 0
        #: appointments booked for days after today
        self.future = 0
        self._opened = -1

    # --- the horizon ------------------------------------------------------------------------
    def start_day(self, today: int) -> list[Appointment]:
        """Move to ``today``: drop past days, open new ones; today's appointments, by time."""
        for d in [d for d in self.free if d < today]:
            del self.free[d], self.laid_out[d]
        self.today = today
        last = today + self.horizon - 1
        while self._opened < last:
            self._opened += 1
            day = self._opened
            self.free[day] = self._layout(day)
        todays = self.appointments.pop(today, [])
        self.future -= len(todays)
        todays.sort(key=lambda a: a.time)
        return todays

    def _layout(self, day: int) -> dict[str, SlotList]:
        people = self._day_people(day)
        key = tuple(id(p) for p in people)  # a weekday's Person objects live as long as the model
        template = self._templates.get(key)
        if template is None:
            for p in people:
                self.team_of[p.id] = p.team
                self.role_of[p.id] = p.role
            # the same people give the same slots in every run: laid out once a model
            shared = self.model.slot_templates.get(key)
            if shared is None:
                free = day_slots(people)
                shared = self.model.slot_templates[key] = ((
                    free, index_by(free, lambda pid: pid), index_by(free, self.team_of.get)),
                    people)
            template = self._templates[key] = shared[0]
        free, by_person, by_team = template
        self.laid_out[day] = free
        return {k: SlotList(list(v), {g: list(part) for g, part in by_person[k].items()},
                            {g: list(part) for g, part in by_team[k].items()})
                for k, v in free.items()}

    def _take(self, day: int, key: str, index: int) -> tuple[float, str]:
        """Remove the ``index``-th free slot of ``key`` on ``day``, from the list and from
        its person's and team's parts."""
        found = self.free[day][key]
        slot = found.slots.pop(index)
        pid = slot[1]
        part = found.by_person[pid]
        del part[_place(part, slot)]
        team = self.team_of.get(pid)
        if team is not None:
            part = found.by_team[team]
            del part[_place(part, slot)]
        return slot

    # --- same-day slots ---------------------------------------------------------------------
    def take_today(self, kind: str, route_roles: list[str], earliest: float,
                   prefer: str, remote_ok: bool = False) -> tuple[float, str] | None:
        """Book today's first free ``kind`` slot at or after ``earliest`` (a remote
        clinician's too, if the need may be met remotely).

        ``prefer="lowest_level"`` tries the route's roles in order (a nurse slot at 14:00
        before a GP slot at 09:00); ``"earliest"`` takes the earliest slot of any of them.
        """
        free = self.free.get(self.today)
        if free is None:
            return None
        best: tuple[float, str] | None = None
        best_key: str | None = None
        best_pos = -1
        for keys in self._today_keys(kind, route_roles, remote_ok):
            found = False
            for key in keys:
                found_list = free.get(key)
                if found_list is None or not found_list.slots:
                    continue
                slots = found_list.slots
                pos = _from(slots, earliest - EPS)
                if pos >= len(slots):
                    continue
                found = True
                if best is None or slots[pos] < best:
                    best, best_key, best_pos = slots[pos], key, pos
            if found and prefer == "lowest_level":
                break
        if best is None or best_key is None:
            return None
        self._take(self.today, best_key, best_pos)
        return best

    def _today_keys(self, kind: str, route_roles: list[str],
                    remote_ok: bool) -> list[list[str]]:
        """The slot lists :meth:`take_today` looks at, role by role: laid out once per
        route and kind, not as strings joined and looked up at every booking."""
        key = (kind, id(route_roles), remote_ok)  # the lists live as long as the run
        known = self._today.get(key)
        if known is not None:
            return known[1]
        suffixes = _suffixes(remote_ok)
        found = [[list_key(kind, role + suffix) for suffix in suffixes] for role in route_roles]
        self._today[key] = (route_roles, found)
        return found

    # --- planned needs ----------------------------------------------------------------------
    def _route_rungs(self, route_roles: list[str], group: bool,
                     remote_ok: bool) -> list[Rung]:
        """What a booking along ``route_roles`` looks at on each rung, for a patient with
        no own clinician or team on it (see :meth:`book` for the fields): laid out once
        per route and kind of need, not once per booking."""
        # the lists live as long as the run. A tuple, not arithmetic on id(): an address
        # times 4 is beyond a machine word's fast path in the compiled engine, and there
        # CPython's multiplication answers a Ctrl-C, which mypyc's runtime took for running
        # out of memory and aborted on
        key = (id(route_roles), group, remote_ok)
        known = self._rungs.get(key)
        if known is not None:
            return known[1]
        suffixes = _suffixes(remote_ok, group)
        found: list[Rung] = []
        for rank, role in enumerate(route_roles):
            keys = [list_key(PLANNED, role + x) for x in suffixes]
            found.append(Rung(rank, role, rank * self.level_extra, 0.0, None, 0.0, keys,
                              keys + [list_key(ACUTE, role + x) for x in suffixes]))
        self._rungs[key] = (route_roles, found)
        return found

    def book(self, contact: Contact, route_roles: list[str], first_day: int,
             earliest_time: float, own_gp: str | None, team: str | None, urgent: bool = False,
             own_others: dict[str, str] | None = None, remote_ok: bool = False,
             group: bool = False,
             before: tuple[int, float] | None = None) -> Appointment | None:
        """Book the best slot for a planned need from ``first_day`` (at or after
        ``earliest_time`` if that is today), or None if none is free within the horizon.

        Each candidate scores its wait in working days, plus ``level_extra_days`` per rung
        above the route's first, less ``own_gp_extra_days`` with the patient's own GP (only
        where the route starts with the own GP's role, if ``own_gp_first_rung_only``),
        ``own_clinician_extra_days`` with their own clinician of another role
        (``own_others``: a fixed nurse) and ``own_team_extra_days`` within their team; the
        lowest score wins (then the earliest
        time, then the lower rung). A group need books a seat in a group slot; a need that
        may be met remotely may also book a remote clinician; ``before`` (day, minute) is a
        limit the slot must start before (a pre-test before its visit)."""
        today = self.today
        own_role = self.role_of.get(own_gp) if own_gp is not None else None
        own_extra = self.own_gp_extra if own_gp is not None else 0.0
        if self.own_gp_first_rung_only and route_roles and route_roles[0] != own_role:
            own_extra = 0.0  # a need the route gives another role first goes there
        team_extra = self.own_team_extra if team is not None else 0.0
        other_extra = self.own_other_extra if own_others else 0.0
        bonus = max(own_extra, other_extra) + team_extra
        release, team_of = self.release, self.team_of
        # the route's rungs (:class:`Rung`), with this patient's own person and team
        rungs = self._route_rungs(route_roles, group, remote_ok)
        if own_role is not None or own_others or team is not None:  # this patient's own
            mine: list[Rung] = []
            for rung in rungs:
                role = rung.role
                if role == own_role:
                    own, own_gain = own_gp, own_extra
                elif own_others and role in own_others:
                    own, own_gain = own_others[role], other_extra
                else:
                    own, own_gain = None, 0.0
                mine.append(rung.mine(own_gain + team_extra, own, own_gain))
            rungs = mine
        # the best slot so far: its score, time, rung, day, slot list and place in it (kept
        # in fields rather than a tuple: a tuple's comparison is a generic one)
        found = False
        best_score, best_time, best_rank = 0.0, 0.0, 0
        best_day, best_key, best_index = 0, "", 0
        last = today + self.horizon - 1
        for day in range(max(first_day, today), last + 1):
            wait = day - today
            if found and wait - bonus > best_score:
                break
            free = self.free[day]
            acute_open = urgent or (release is not None and wait <= release)
            if before is not None and day > before[0]:
                break
            limit = before[1] if before is not None and day == before[0] else math.inf
            # slots from here on: today only after ``earliest_time``
            low = earliest_time - EPS if day == today else -math.inf
            for rung in rungs:
                base = wait + rung.extra
                gain = rung.gain
                if found and base - gain > best_score:
                    continue
                rank, own, own_gain = rung.rank, rung.own, rung.own_gain
                for key in (rung.all_keys if acute_open else rung.planned_keys):
                    listed = free.get(key)
                    if listed is None:
                        continue
                    slots = listed.slots
                    if not slots:
                        continue
                    start = _from(slots, low) if day == today else 0
                    if gain == 0.0:  # only the first slot can be best in this list
                        if start < len(slots) and slots[start][0] < limit:
                            time = slots[start][0]
                            if not found or _ahead(base, time, rank,
                                                   best_score, best_time, best_rank):
                                found = True
                                best_score, best_time, best_rank = base, time, rank
                                best_day, best_key, best_index = day, key, start
                        continue
                    # The best of this list is the first slot of one of: everyone, the
                    # patient's own person in this role, their team (a later slot of the
                    # same kind scores no better and waits longer); ties go to the earlier
                    # slot in the list.
                    firsts: list[tuple[float, str] | None] = []
                    if start < len(slots):
                        firsts.append(slots[start])
                    if own is not None:
                        firsts.append(_first(listed.by_person.get(own), low))
                    if team is not None:
                        firsts.append(_first(listed.by_team.get(team), low))
                    here = False  # the best of this list: score, time, person
                    here_score, here_time, here_pid = 0.0, 0.0, ""
                    for slot in firsts:
                        if slot is None or slot[0] >= limit:
                            continue
                        time, pid = slot
                        score = base
                        if pid == own:
                            score -= own_gain
                        if team is not None and team_of.get(pid) == team:
                            score -= team_extra
                        if not here or score < here_score or (score == here_score and (
                                time < here_time or (time == here_time and pid < here_pid))):
                            here, here_score, here_time, here_pid = True, score, time, pid
                    if here and (not found or _ahead(here_score, here_time, rank,
                                                     best_score, best_time, best_rank)):
                        found = True
                        best_score, best_time, best_rank = here_score, here_time, rank
                        best_day, best_key = day, key
                        best_index = _place(slots, (here_time, here_pid))
        if not found:
            return None
        day, time = best_day, best_time
        _, pid = self._take(day, best_key, best_index)
        appointment = Appointment(contact, day, time, pid)
        if day > today:
            self.appointments[day].append(appointment)
            self.future += 1
        return appointment

    # --- access measures --------------------------------------------------------------------
    def third_next_available(self, roles: set[str] | None, now: float, first: int = 0,
                             nth: int = 3) -> int:
        """Working days from today to the ``nth`` free slot a routine need could book (a
        planned slot, or an acute one the carve-out has released), for ``roles`` (None:
        any), counting from ``first`` working days ahead, the first day a need may book:
        a slot of a day no patient can book is not available to them. The horizon's last
        day if there are fewer than ``nth``."""
        today = self.today
        last = today + self.horizon - 1
        release = self.release
        group = None if roles is None else frozenset(roles)
        planned = self._counted_keys(group, False)
        released = planned if release is None else self._counted_keys(group, True)
        seen = 0
        for day in range(today + first, last + 1):
            free = self.free[day]
            for key in (released if release is not None and day - today <= release
                        else planned):
                listed = free.get(key)
                if listed is None:
                    continue
                slots = listed.slots
                if day == today:
                    seen += len(slots) - _from(slots, now - EPS)
                else:
                    seen += len(slots)
            if seen >= nth:
                return day - today
        return last - today

    def _counted_keys(self, roles: frozenset[str] | None, released: bool) -> list[str]:
        """The keys of the slot lists :meth:`third_next_available` counts for ``roles``
        (None: any): planned, and acute too where ``released``; never group seats. Worked
        out once for each, not by splitting every key of every day of the horizon at each
        count (7 counts a day in case 5, 1 % of its run); again only once a new list key
        has appeared."""
        known = len(_KEY_PARTS)
        found = self._counted.get((roles, released))
        if found is not None and found[0] == known:
            return found[1]
        kinds = (PLANNED, ACUTE) if released else (PLANNED,)
        keys = []
        for key, (kind, role_key) in _KEY_PARTS.items():
            role, _, mark = role_key.partition("@")
            if kind in kinds and mark != "group" and (roles is None or role in roles):
                keys.append(key)
        self._counted[(roles, released)] = (known, keys)
        return keys

    def booked_ahead(self) -> dict[str, tuple[int, int]]:
        """Today's planned slots by role before anyone books today: (booked, all). A slot
        counts as booked if a patient or a calendar task holds it; group seats are left
        out, as in :meth:`third_next_available` (how full the calendar is as the day
        begins: the fuller, the longer a new request waits)."""
        today = self.today
        free = self.free[today]
        out: dict[str, tuple[int, int]] = {}
        for key, slots in self.laid_out[today].items():
            kind, role_key = _KEY_PARTS[key]
            role, _, mark = role_key.partition("@")
            if kind != PLANNED or mark == "group":
                continue
            booked, total = out.get(role, (0, 0))
            listed = free.get(key)
            out[role] = (booked + len(slots) - (len(listed.slots) if listed is not None else 0),
                         total + len(slots))
        return out

    def pending(self) -> list[Appointment]:
        """Every appointment still to come (at the end of a run)."""
        return [a for day in sorted(self.appointments) for a in self.appointments[day]]
