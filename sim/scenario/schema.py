"""The scenario schema: what a practice looks like to the model.

Every field is validated on load (types, ranges, unknown keys); relations between fields
(a role named in a route must exist, blocks must lie inside working hours, ...) are
checked in :mod:`sim.scenario.checks`. Times of day are written ``"HH:MM"`` and held as
minutes after midnight.
"""
from __future__ import annotations

import json
import math
import re
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from sim.limits import MAX_LIST_SIZE, MAX_WEEKS, MIN_SLOT_MIN

#: Weeks in the year a season or a period names (1-52); a run's weeks wrap round them.
WEEKS_PER_YEAR = 52

_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
#: A time written another way that still says hours and minutes: "8.00", "8,30", "8".
_CLOCK_OTHERWISE = re.compile(r"^(\d{1,2})(?:[.,](\d{2}))?$")


def parse_clock(value: object) -> float:
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if match:
            minutes = int(match.group(1)) * 60 + int(match.group(2))
            if minutes <= 24 * 60:
                return float(minutes)
    hint = ""
    written = _CLOCK_OTHERWISE.match(value.strip()) if isinstance(value, str) else None
    if written:  # "8.00" as in "kl. 8.00", or "8": the hours and minutes are there
        hours, minutes = int(written.group(1)), int(written.group(2) or 0)
        if 0 <= hours < 24 and 0 <= minutes < 60:
            hint = f' (with a colon: "{hours:02d}:{minutes:02d}")'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        meant = "08:30"
        if math.isfinite(value):
            hours, minutes = int(value), round((value - int(value)) * 100)
            if 0 <= hours < 24 and 0 <= minutes < 60 or (hours, minutes) == (24, 0):
                meant = f"{hours:02d}:{minutes:02d}"
        hint = f', in quotes ("{meant}": YAML reads {value!r} unquoted as a number)'
    raise ValueError(f'a time of day written "HH:MM" between "00:00" and "24:00"{hint}')


def clock_text(minutes: float) -> str:
    """Minutes after midnight as "HH:MM" (for messages, reports and saved scenarios)."""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


#: How a number with thousands grouped by '.' looks (6.000, 12.500): YAML reads it as a
#: decimal, so ``list_size: 6.000`` would be six patients, not six thousand.
THOUSANDS_WITH_DOTS = re.compile(r"^[-+]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+$")


class DottedNumber(float):
    """A float written like ``6.000``; it remembers its text so that a whole-number field
    can say why the value is not the thousands its writer probably meant."""

    text: str

    @classmethod
    def from_text(cls, value: float, text: str) -> "DottedNumber":
        number = cls(value)
        number.text = text
        return number


def refuse_quoted_number(text: str, what: str) -> None:
    """Refuse a number written in quotes: pydantic would read the text ``"6.000"`` as six
    where a Danish writer means six thousand, so text is never taken for a number. Other
    text (words, ``6,000``) is left to pydantic's error, which the wording explains."""
    written = text.strip()
    try:
        float(written)
    except ValueError:
        return
    hint = ""
    if THOUSANDS_WITH_DOTS.match(written):
        hint = (f"; {written} with '.' between thousands would be read as "
                f"{float(written):g}, so write {written.replace('.', '')} if that is what "
                "you meant")
    raise ValueError(f"{what} written without quotes (in quotes it is text){hint}")


def whole_number(value: object) -> object:
    """Refuse floats and booleans where a count is meant: pydantic would read 6.0 as 6,
    and a value written ``6.000`` (Danish for six thousand) as six."""
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")
    if isinstance(value, DottedNumber):
        raise ValueError(
            f"a whole number; {value.text} is read as {float(value):g} because '.' is the "
            f"decimal point, not a thousands separator (write {value.text.replace('.', '')} "
            "if that is what you meant)")
    if isinstance(value, float):
        raise ValueError("a whole number (no decimal point)")
    if isinstance(value, str):
        refuse_quoted_number(value, "a whole number")
    return value


#: An integer field that refuses 6.0 instead of reading it as 6.
WholeNumber = Annotated[int, BeforeValidator(whole_number)]


def not_true_or_false(value: object) -> object:
    """Refuse booleans where a number is meant: pydantic would read ``slot_min: true`` as
    a 1-minute slot and ``share_70plus: true`` as everyone."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    if isinstance(value, str):
        refuse_quoted_number(value, "a number")
    return value


#: A float field that refuses true and false instead of reading them as 1 and 0.
Number = Annotated[float, BeforeValidator(not_true_or_false)]
NonNegativeNumber = Annotated[Number, Field(ge=0)]
NonNegativeWhole = Annotated[WholeNumber, Field(ge=0)]
PositiveWhole = Annotated[WholeNumber, Field(gt=0)]

#: A time of day, written "HH:MM" in files and held as minutes after midnight.
Clock = Annotated[float, BeforeValidator(parse_clock),
                  PlainSerializer(clock_text, return_type=str, when_used="json")]
Probability = Annotated[Number, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: Upper bounds keep a day finite and catch typos (a duration of 9000 minutes, a list of
#: ten million patients); they are far beyond any real practice.
MINUTES_IN_DAY = 24 * 60
Minutes = Annotated[Number, Field(gt=0.0, le=MINUTES_IN_DAY, allow_inf_nan=False)]
NonNegativeMinutes = Annotated[Number, Field(ge=0.0, le=MINUTES_IN_DAY, allow_inf_nan=False)]
#: A booked slot's length: at least a minute (see ``sim.limits.MIN_SLOT_MIN``).
SlotMinutes = Annotated[Number, Field(ge=MIN_SLOT_MIN, le=MINUTES_IN_DAY, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys and NaN/inf are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


# --- durations ---------------------------------------------------------------------------


class FixedSpec(Strict):
    dist: Literal["fixed"]
    value: NonNegativeMinutes


class ExponentialSpec(Strict):
    dist: Literal["exponential"]
    mean: Minutes


class LognormalSpec(Strict):
    dist: Literal["lognormal"]
    mean: Minutes
    sd: Minutes


class GammaSpec(Strict):
    dist: Literal["gamma"]
    mean: Minutes
    sd: Minutes


class UniformSpec(Strict):
    dist: Literal["uniform"]
    low: NonNegativeMinutes
    high: NonNegativeMinutes

    @model_validator(mode="after")
    def _ordered(self) -> "UniformSpec":
        """numpy would silently draw from [high, low); a swap is a typo, not a wish."""
        if self.low > self.high:
            raise ValueError(f"low at most high (a uniform distribution from low to high); "
                             f"low {self.low:g} is above high {self.high:g}")
        return self


DistSpec = Annotated[
    Union[FixedSpec, ExponentialSpec, LognormalSpec, GammaSpec, UniformSpec],
    Field(discriminator="dist"),
]

# --- the practice ------------------------------------------------------------------------

#: What a person's time is spent on; staff time-use tables use exactly these names.
Activity = Literal[
    "consulting",
    "phone",
    "supervising",
    "being_supervised",
    "inbox_admin",
    "home_visits",
    "break",
    "idle",
    "other_practice",
]
ACTIVITIES: tuple[str, ...] = Activity.__args__  # type: ignore[attr-defined]

#: The kinds of waiting work a block can pull from, in the order the block lists them.
#: ``booked`` is the person's own booked patients (planned or acute slots) who have arrived.
WorkKind = Literal["booked", "question", "call", "walk_in", "squeeze_in", "inbox", "home_visit",
                   "outreach"]
WORK_KINDS: tuple[str, ...] = WorkKind.__args__  # type: ignore[attr-defined]

Channel = Literal["phone", "walk_in", "inbox", "planned", "home_visit", "outreach"]

#: Days of the week as written in scenario files, Monday first.
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]
TriageOutcome = Literal[
    "resolved_on_phone", "same_day", "booked_later", "e_consultation", "home_visit", "referred"
]


class OpeningHours(Strict):
    """One weekday's opening hours, where they differ from the clinic's usual day."""

    open: Clock | None = None
    close: Clock | None = None


class Clinic(Strict):
    """The practice's opening hours. On a day whose people all leave before closing (an
    evening consultation not held in a holiday week), the practice closes when the last
    one's hours end: calls, walk-ins and the day's leftovers are dealt with then."""

    open: Clock
    close: Clock
    working_days_per_year: Annotated[Number, Field(gt=0, le=366)] = Field(
        description="Days the clinic is open a year; turns yearly rates into daily demand."
    )
    on: dict[Weekday, OpeningHours] = Field(
        default_factory=dict, description="Weekdays whose opening hours differ (an evening "
                                          "consultation on Wednesdays: case 9).")

    def hours(self, weekday: str) -> tuple[float, float]:
        """Opening and closing time on ``weekday``."""
        own = self.on.get(weekday)
        if own is None:
            return self.open, self.close
        return (self.open if own.open is None else own.open,
                self.close if own.close is None else own.close)


class Season(Strict):
    """Demand over the year: a cosine with its low in ``quietest_week``."""

    peak_to_trough: Annotated[Number, Field(ge=1.0, le=10.0)] = Field(
        description="Busiest week's demand over the quietest week's (D16: about 1.2).")
    quietest_week: Annotated[WholeNumber, Field(ge=1, le=53)] = Field(
        description="Week of the year with the least demand (D16: August).")


class Calendar(Strict):
    """Which weekdays the clinic works, how demand varies over them, and how long a run is."""

    weekdays: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1,
        description="Working weekdays, in order; a run is consecutive working days.")
    demand_by_weekday: dict[Weekday, Annotated[Number, Field(gt=0, le=10)]] = Field(
        default_factory=dict,
        description="Relative demand by weekday (normalised to a mean of 1 over the working "
                    "weekdays; a weekday not listed counts as 1).")
    season: Season | None = None
    start_week: Annotated[WholeNumber, Field(ge=1, le=53)] = Field(
        default=1, description="Week of the year the run starts in (for the season).")
    weeks: Annotated[WholeNumber, Field(ge=1, le=MAX_WEEKS)] = Field(
        default=8, description="Weeks measured in each run (replication).")
    warmup_weeks: Annotated[WholeNumber, Field(ge=0, le=MAX_WEEKS)] = Field(
        default=4, description="Weeks simulated before measuring starts, then discarded.")

    def week_of_year(self, week: int) -> int:
        """Week of the year (1-52) of week ``week`` (0-based) of a run: the season's, a
        period's and an absence's check all count the year's weeks this one way."""
        return (self.start_week - 1 + week) % WEEKS_PER_YEAR + 1


class Booking(Strict):
    """How planned needs find a slot in the appointment book (booking rule and access)."""

    horizon_days: Annotated[WholeNumber, Field(ge=1, le=260)] = Field(
        default=30, description="Working days ahead the book is open; a need that finds no "
                                "slot within it is turned away.")
    earliest_days: Annotated[WholeNumber, Field(ge=0, le=260)] = Field(
        default=1, description="A planned need books from this many working days after it "
                               "arises (0: later the same day).")
    own_gp_extra_days: Annotated[Number, Field(ge=0, le=260)] = Field(
        default=0.0, description="Working days more a patient accepts to wait to see their "
                                 "own GP (continuity against speed).")
    own_gp_first_rung_only: bool = Field(
        default=False, description="The own-GP preference holds only for needs whose route "
                                   "starts with the own GP's role: patients wait for their "
                                   "known doctor rather than see another, but a need the "
                                   "route gives a nurse first stays with the nurse (case 16).")
    own_team_extra_days: Annotated[Number, Field(ge=0, le=260)] = Field(
        default=0.0, description="... to be seen within their own team.")
    own_clinician_extra_days: Annotated[Number, Field(ge=0, le=260)] = Field(
        default=0.0, description="... to see their own clinician of another role "
                                 "(population.own_clinician: a fixed nurse).")
    level_extra_days: Annotated[Number, Field(ge=0, le=260)] = Field(
        default=0.0, description="Working days more a need waits for each lower rung of its "
                                 "route (lowest competent level first, within reason).")
    release_acute_days: Annotated[WholeNumber, Field(ge=0, le=260)] | None = Field(
        default=None, description="Acute (same-day) slots open to planned booking this many "
                                  "working days before their day (carve-out release); null: "
                                  "never, they stay for same-day needs.")
    no_show_by_weekday: dict[Weekday, Probability] = Field(
        default_factory=dict, description="Share of booked patients who do not come, by "
                                          "weekday (a weekday not listed: none).")


class FollowUps(Strict):
    """Needs that a consultation or an inbox item creates for a later day."""

    after_same_day: dict[Name, Probability] = Field(
        default_factory=dict, description="By the role that saw a same-day need: share asked "
                                          "to come back (T7).")
    after_inbox: dict[Name, Probability] = Field(
        default_factory=dict, description="By contact type of an inbox item: share that "
                                          "leads to a planned visit (T10).")
    after_days: DistSpec | None = Field(
        default=None, description="Working days from the consultation to the follow-up.")
    contact_type: Name = "follow_up"


class Reviews(Strict):
    """Chronic-care reviews: morbid patients are reviewed at intervals, booked ahead."""

    interval_days: Annotated[Number, Field(gt=0, le=2600)] = Field(
        description="Working days between a morbid patient's reviews.")
    book_ahead_days: Annotated[WholeNumber, Field(ge=0, le=260)] = Field(
        default=10, description="A review is booked this many working days before it is due.")
    contact_type: Name = "chronic_review"


class Notes(Strict):
    """Work after a consultation that is not face time: notes, referrals, results."""

    share_of_consultation: dict[Name, Annotated[Number, Field(ge=0, le=10)]] = Field(
        default_factory=dict, description="By role: minutes of notes per minute with the "
                                          "patient, added to each consultation whose "
                                          "durations are face time (T14, T15).")


class Redial(Strict):
    """What callers who hang up (or whose call is cut off at closing) do next."""

    same_day: Probability = Field(
        description="Share who ring again later the same day, while the line takes calls "
                    "(within the stream's windows that day); a redial that would fall "
                    "outside them rings the next working day instead.")
    next_day: Probability = Field(
        description="Of the others, share who ring again the next working day.")
    delay: DistSpec = Field(description="Minutes until a same-day redial.")

class Population(Strict):
    #: 0 is the bundled base's placeholder for a practice's file to set; the checks warn
    #: of it (a capacity search of a staffing-only file sets the list itself).
    list_size: Annotated[WholeNumber, Field(ge=0, le=MAX_LIST_SIZE)]
    share_70plus: Probability
    share_morbid: Probability
    reference_share_70plus: Probability = Field(
        description="Share aged 70+ of the population the base rates were measured on."
    )
    reference_share_morbid: Probability
    relative_rate_70plus: Annotated[Number, Field(gt=0, le=100)] = Field(
        description="Contact rate of people aged 70+ relative to the rest."
    )
    relative_rate_morbid: Annotated[Number, Field(gt=0, le=100)]
    demand_factor: Annotated[Number, Field(gt=0, le=10)] | None = Field(
        default=None, description="The list's contacts per patient relative to the "
                                  "reference population's rates, where a source states "
                                  "it (a practice's own count, or case 6's \"2,500 "
                                  "patients in the city work like 1,500 in the "
                                  "provinces\"): it replaces the factor the shares aged "
                                  "70+ and morbid give. Those shares still say which "
                                  "patients contact the practice more.")
    morbid_duration_factor: Annotated[Number, Field(gt=0, le=10)] = Field(
        default=1.0, description="Consultations with a morbid patient take this many times "
                                 "as long (a heavy list: cases 16, 17).")
    teams: dict[Name, Probability] = Field(
        default_factory=dict, description="Share of listed patients belonging to each team."
    )
    own_gp_for: Literal["all", "morbid"] = Field(
        default="all", description="Which patients have a fixed doctor of their own: all, "
                                   "or only the morbid (\"patients with known disease have "
                                   "a fixed doctor\": cases 2, 3, 5). A patient without one "
                                   "books with no own-GP preference and does not count in "
                                   "continuity_own_gp.")
    own_clinician: dict[Name, Literal["all", "morbid"]] = Field(
        default_factory=dict, description="Roles besides the GP's with whom patients are "
                                          "listed too, and which patients (all, or the "
                                          "morbid): {nurse: morbid} lists each patient with "
                                          "chronic disease with a fixed nurse (\"tilmeldt en "
                                          "fast sygeplejerske\": cases 4, 5). Booking prefers "
                                          "that person (booking.own_clinician_extra_days); "
                                          "measured by continuity_own_clinician.")


class Role(Strict):
    label: str
    cost_per_hour: Annotated[Number, Field(ge=0, le=100_000)]
    level: NonNegativeWhole = Field(
        description="Rank on the escalation ladder; higher answers lower.")
    doctor: bool = False
    in_training: bool = Field(default=False, description="a doctor in training (not a GP)")
    supervises: bool = False
    keeps_list: bool = Field(default=False,
                             description="People in this role have patients listed with them "
                                         "(their own GP).")
    default_block: Name = Field(description="Block kind for working time no block covers.")
    slot_min: SlotMinutes = Field(description="Default length of a booked slot.")


class BlockKind(Strict):
    activity: Activity = Field(description="What idle time in this block counts as.")
    activity_if_supervisor: Activity | None = None
    serves: list[WorkKind] = Field(default_factory=list)
    slots: Literal["planned", "acute", "none"] = "none"
    lines: list[Name] | None = Field(
        default=None, description="Phone blocks: the phone lines answered (null: all).")


class PreTest(Strict):
    """A first stage booked before the visit itself (samples before a chronic review)."""

    contact_type: Name
    days_before: Annotated[WholeNumber, Field(ge=0, le=60)] = Field(
        default=0, description="Working days before the visit (0: the same day).")


class HistoryTaking(Strict):
    """A same-day visit in two stages: someone free takes the history, then the clinician
    who was to see the patient sees them for less time (case 16: "en sygeplejerske tager
    anamnesen på en akut patient")."""

    by: list[Name] = Field(min_length=1, description="Roles who take the history, when one "
                                                    "of them is free the moment the "
                                                    "clinician would start.")
    before: list[Name] = Field(min_length=1, description="Roles whose same-day consultation "
                                                        "the history goes before.")
    duration: DistSpec = Field(description="Minutes the history takes.")
    later_share: Annotated[Number, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = Field(
        description="The consultation after a history, as a share of its usual time.")


class ContactType(Strict):
    label: str
    acute: bool = False
    patient_contact: bool = Field(
        default=True, description="Counts as a patient contact in activity statistics."
    )
    remote: bool = Field(default=False, description="Can be done by video or phone, so a "
                                                    "remote clinician may take it.")
    group: bool = Field(default=False, description="Held as a group session: patients book "
                                                   "seats in a group slot (case 2).")
    pre_test: PreTest | None = Field(
        default=None, description="A first stage by another role before the visit (pre-tests "
                                  "before a chronic review: cases 1, 5, 8, 9).")
    history_taking: HistoryTaking | None = Field(
        default=None, description="Same-day visits: a free colleague takes the history "
                                  "first (case 16), when one is free.")
    durations: dict[Name, DistSpec] = Field(
        description="Service time by role; a role without an entry cannot handle the type."
    )
    durations_include_notes: bool = Field(
        default=False, description="The durations are a booked slot used in full (T4), notes "
                                   "and all, so `notes` adds nothing to them; otherwise they "
                                   "are face time (T1, T7, T8) and `notes` adds its share.")


class Window(Strict):
    start: Clock
    end: Clock
    weight: NonNegativeNumber = 1.0


class StreamDay(Strict):
    """One weekday's arrivals, where they differ from the stream's usual day."""

    profile: list[Window] = Field(
        description="The time-of-day profile on this weekday (a phone open 11-17 on "
                    "Wednesdays and 08-14 on other days: case 6).")


class DemandStream(Strict):
    channel: Channel
    per_patient_year: Annotated[Number, Field(ge=0, le=365)]
    mix: dict[Name, Probability]
    profile: list[Window] = Field(default_factory=list)
    on: dict[Weekday, StreamDay] = Field(
        default_factory=dict, description="Weekdays whose arrival profile differs.")
    patience: DistSpec | None = Field(
        default=None, description="Phone only: how long a caller waits before hanging up."
    )
    redial: Redial | None = Field(
        default=None, description="Phone only: whether callers who hang up ring again.")
    line: Name = Field(default="main", description="Phone only: the line the calls come in on "
                                                   "(an acute line with its own hours).")
    triage_outcomes: dict[Name, dict[TriageOutcome, Probability]] = Field(
        default_factory=dict, description="Phone only: outcome shares by triaging role for "
                                          "this line's calls (default: triage.outcomes).")
    block: Name | None = Field(
        default=None, description="Outreach only: the block kind on whose days the contacts "
                                  "arise and in which they are served (nursing-home rounds, "
                                  "outside lab orders).")


class Triage(Strict):
    durations: dict[Name, DistSpec]
    outcomes: dict[Name, dict[TriageOutcome, Probability]]
    e_consultation_type: Name
    home_visit_type: Name


class Delegation(Strict):
    degree: Name
    routes: dict[Name, dict[Name, list[Name]]] = Field(
        description="By degree and contact type: roles to try, in order."
    )
    complex_routes: dict[Name, list[Name]] = Field(
        default_factory=dict,
        description="By contact type: the route for a complex (morbid) patient, whatever the "
                    "degree (multimorbid patients to a GP: cases 2, 3, 8, 11-14, 16, 17).")


class Supervision(Strict):
    mode: Literal["wait", "interrupt"]
    questions: dict[Name, Probability] = Field(default_factory=dict)
    question_duration: DistSpec
    joint: dict[Name, Probability] = Field(default_factory=dict)
    joint_duration: DistSpec
    triage_questions: dict[Name, Probability] = Field(default_factory=dict)
    messages: dict[Name, Probability] = Field(
        default_factory=dict, description="By asking role: share of questions sent as a "
                                          "message (the doctor answers in a gap; the "
                                          "patient is not held: cases 5, 7).")
    calendar: dict[Name, Probability] = Field(
        default_factory=dict, description="By asking role: share of questions about an "
                                          "inbox item put into a doctor's calendar as a "
                                          "task instead (the first free planned slot of a "
                                          "doctor who answers the role and can handle the "
                                          "item; the asker carries on: case 10). Drawn "
                                          "after `messages`: the two shares add up to at "
                                          "most 1.")
    call_hold: NonNegativeMinutes | None = Field(
        default=None, description="Longest a triager keeps a caller on hold while a "
                                  "question about the call waits for a doctor: past it "
                                  "the question becomes a message, answered in a "
                                  "doctor's gap, and the triager goes back to the phone. "
                                  "None: the caller is held until a doctor answers.")


class Acute(Strict):
    prefer: Literal["lowest_level", "earliest"]
    overflow: Literal["squeeze_in", "overtime", "next_day"]


class HomeVisits(Strict):
    travel: DistSpec


class EndOfDay(Strict):
    patients: Literal["overtime", "carry_over"]
    inbox: Literal["overtime", "carry_over"]


class Block(Strict):
    kind: Name
    start: Clock
    end: Clock
    slot_min: SlotMinutes | None = None
    group_size: Annotated[WholeNumber, Field(ge=2, le=100)] | None = Field(
        default=None, description="Seats in each slot: a group session for contact types "
                                  "marked group.")


class DayPlan(Strict):
    """One weekday's own hours and blocks, where they differ from the person's usual day."""

    start: Clock | None = None
    end: Clock | None = None
    blocks: list[Block] | None = None


def in_cycle(week: int, every_weeks: int, weeks: list[int]) -> bool:
    """Whether week ``week`` of a run (0-based) is one of ``weeks`` (1-based) of a cycle of
    ``every_weeks``: a rotation's and a meeting's rule alike."""
    return (week % every_weeks) + 1 in weeks


class Rotation(Strict):
    """Present only in some weeks of a repeating cycle (a rotating locum)."""

    every_weeks: Annotated[WholeNumber, Field(ge=1, le=52)]
    weeks: list[Annotated[WholeNumber, Field(ge=1, le=52)]] = Field(
        min_length=1, description="Weeks of each cycle the person is in (1 = the first).")


class Period(Strict):
    """Weeks of the year in which a staff entry keeps other days or hours (school holidays,
    a high season). A run's week falls in week ``(calendar.start_week - 1 + w) mod 52 + 1``
    of the year (as the season does), so a period shows in a run only if the run reaches it.
    """

    weeks_of_year: list[Annotated[WholeNumber, Field(ge=1, le=52)]] = Field(
        min_length=1, description="Weeks of the year (1-52) this period covers.")
    days: list[Weekday] | None = Field(
        default=None, description="Weekdays present in these weeks (null: as usual; [] for "
                                  "none).")
    on: dict[Weekday, DayPlan] = Field(
        default_factory=dict, description="Weekdays whose hours or blocks differ in these "
                                          "weeks (in place of the usual entry for that day).")


class Duty(Strict):
    """A day's duty taken in turn, one person a week (a nursing-home day, a home-visit day):
    in week w of a run (1 = the first simulated week), ``rota[(w - 1) mod len(rota)]``
    works these blocks on ``weekday`` instead of their own plan for that day. If that
    person is out that day (a rotation, an absence, a period of the year), ``cover`` says
    who holds it: no one, or the next rota member in that day."""

    weekday: Weekday
    rota: list[Name] = Field(min_length=1, description="Staff entries (one person each) "
                                                       "who take the duty in turn.")
    start: Clock | None = Field(default=None, description="null: the person's own hours "
                                                          "that day")
    end: Clock | None = None
    blocks: list[Block] = Field(default_factory=list)
    cover: Literal["none", "next_in_rota"] = Field(
        default="none", description="When this week's member is out: none holds the duty, "
                                    "or the next rota member in that day (in rota order) "
                                    "who holds no other duty that day.")


class Meeting(Strict):
    """A recurring meeting (a staff meeting, a morning huddle): on its days and weeks its
    attendees who are in leave their plan for its time, which counts as the activity of
    block ``kind``; their slots in it are not offered. Weeks count as a rotation's do:
    week w of a run (1 = the first simulated week) is week ``(w - 1) mod every_weeks + 1``
    of the cycle."""

    days: list[Weekday] = Field(min_length=1, description="Weekdays it is held.")
    start: Clock
    end: Clock
    every_weeks: Annotated[WholeNumber, Field(ge=1, le=52)] = Field(
        default=1, description="Length of its cycle in weeks (1: every week; 4: monthly).")
    weeks: list[Annotated[WholeNumber, Field(ge=1, le=52)]] = Field(
        default_factory=lambda: [1], min_length=1,
        description="Weeks of each cycle it is held (1 = the first).")
    attendees: list[Name] | None = Field(
        default=None, description="Staff entries who attend (null: everyone in that day).")
    kind: Name = Field(default="meeting", description="Block kind its time counts as.")


class Absence(Strict):
    """Days off: a week of the run (1 = the first simulated week) and its weekdays."""

    week: Annotated[WholeNumber, Field(ge=1, le=1040)]
    days: list[Weekday] | None = Field(default=None, description="null: the whole week")


class Staff(Strict):
    """A person, or ``count`` identical people, and their week."""

    role: Name
    count: Annotated[WholeNumber, Field(ge=0, le=500)] = 1
    team: Name | None = None
    start: Clock
    end: Clock
    blocks: list[Block] = Field(default_factory=list)
    days: list[Weekday] | None = Field(
        default=None, description="Weekdays present (null: every working weekday).")
    on: dict[Weekday, DayPlan] = Field(
        default_factory=dict, description="Weekdays whose hours or blocks differ.")
    rotation: Rotation | None = None
    absent: list[Absence] = Field(default_factory=list)
    periods: list[Period] = Field(
        default_factory=list, description="Weeks of the year with other days or hours.")
    remote: bool = Field(default=False, description="Works from elsewhere by video or phone: "
                                                    "takes only remote contact types.")
    assisted_by: list[Name] = Field(
        default_factory=list, description="Roles of whom one is with the patient for each of "
                                          "this person's consultations (a nurse in the room "
                                          "for a remote GP's video consultations: case 17); "
                                          "the consultation waits until one is free.")
    list_share: Annotated[Number, Field(ge=0, le=1000)] | None = Field(
        default=None, description="Relative share of the list with each of these people as "
                                  "own GP, or as own clinician where their role is in "
                                  "population.own_clinician (null: 1 if the role keeps a "
                                  "list or is such a role, else 0).")

    def never_in(self) -> bool:
        """Whether these people work no day of any run: ``days: []`` and no period of the
        year that brings them in (warned of; a head count leaves them apart)."""
        return self.days == [] and not any(p.days for p in self.periods)


def period_view(person: Staff, period: Period) -> Staff:
    """``person`` as they are in the weeks of ``period``: its days where it sets them, and
    its weekday plans in place of the usual ones for those weekdays."""
    days = person.days if period.days is None else period.days
    return person.model_copy(update={"days": days, "on": {**person.on, **period.on},
                                     "periods": []})


def period_of(person: Staff, week_of_year: int) -> int | None:
    """Index of ``person``'s period covering ``week_of_year``, or None (the usual weeks)."""
    for i, period in enumerate(person.periods):
        if week_of_year in period.weeks_of_year:
            return i
    return None


class Practice(Strict):
    """Facts about the practice that the day does not depend on (seed 003's fact boxes)."""

    case: PositiveWhole | None = None
    form: str | None = None
    capacities: PositiveWhole | None = Field(default=None, description="ydernumre (list rights)")
    doctors: str | None = Field(default=None, description="headcount, excluding trainees")
    owner_doctors: str | None = None
    practice_staff: NonNegativeNumber | None = Field(default=None, description="headcount")
    list_open: bool | None = None
    region: str | None = None
    municipality_type: str | None = None
    gp_shortage_area: bool | None = None


#: The sections that say who works in a practice, when, and at what wage: two scenarios
#: alike in these have the same staff, whatever their lists (see :meth:`Scenario.staffing`).
STAFFING_SECTIONS = ("roles", "staff", "duties", "meetings")


class Scenario(Strict):
    name: str
    description: str = ""
    practice: Practice = Field(default_factory=Practice)
    clinic: Clinic
    population: Population
    roles: dict[Name, Role]
    block_kinds: dict[Name, BlockKind]
    contact_types: dict[Name, ContactType]
    demand: dict[Name, DemandStream]
    triage: Triage
    delegation: Delegation
    supervision: Supervision
    acute: Acute
    home_visits: HomeVisits
    end_of_day: EndOfDay
    calendar: Calendar = Field(default_factory=Calendar)
    booking: Booking = Field(default_factory=Booking)
    follow_ups: FollowUps = Field(default_factory=FollowUps)
    reviews: Reviews | None = None
    notes: Notes = Field(default_factory=Notes)
    staff: dict[Name, Staff]
    duties: dict[Name, Duty] = Field(default_factory=dict)
    meetings: dict[Name, Meeting] = Field(default_factory=dict)

    def __repr__(self) -> str:
        """One line, not every field (a notebook shows this when a cell ends with a
        scenario; :meth:`model_dump` gives them all): its name, list and working staff by
        role, with anyone who works no day (:meth:`Staff.never_in`) counted apart."""
        heads: dict[str, int] = {}
        idle = 0
        for group in self.staff.values():
            if group.never_in():
                idle += group.count
                continue
            heads[group.role] = heads.get(group.role, 0) + group.count
        staff = ", ".join(f"{n} {role}" for role, n in heads.items() if n) or "none"
        apart = f"; {idle} on staff who work no day" if idle else ""
        return (f"<Scenario {self.name!r}: {self.population.list_size:,} patients; "
                f"staff {staff}{apart}>")

    def staffing(self) -> str:
        """Who works here, when, and at what wage (:data:`STAFFING_SECTIONS`), as one text
        that is equal exactly when the staffing is: between two designs with the same
        staff, totals a day (staff cost, overtime) compare even where their lists differ."""
        return json.dumps(self.model_dump(mode="json", include=set(STAFFING_SECTIONS)),
                          sort_keys=True, default=str)

    def route(self, contact_type: str) -> list[str]:
        """Roles that may start ``contact_type``, in the order they are tried."""
        return self.delegation.routes[self.delegation.degree][contact_type]

    def present_roles(self) -> set[str]:
        """Roles of anyone on staff on at least one working weekday (in some weeks of the
        year, for a staff entry with periods)."""
        weekdays = set(self.calendar.weekdays)
        views = [v for s in self.staff.values()
                 for v in (s, *(period_view(s, p) for p in s.periods))]
        return {s.role for s in views
                if s.count > 0 and (s.days is None or weekdays.intersection(s.days))}
