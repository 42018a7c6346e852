"""Names, units and directions of metrics and activities, for every text, plot and report.

One table, so a label reads the same in the terminal summary, the plots and the HTML
report. Danish terms stand in parentheses where a Danish reader expects them.
"""
from __future__ import annotations

from typing import Any, Mapping

ACTIVITY_LABELS: dict[str, str] = {
    "consulting": "Consulting (konsultation)",
    "phone": "Phone triage (telefonvisitation)",
    "supervising": "Supervising staff (supervision)",
    "being_supervised": "Being supervised / waiting for a doctor",
    "inbox_admin": "Inbox and admin (e-konsultation, korrespondance)",
    "home_visits": "Home visits incl. travel (sygebesøg)",
    "break": "Break (frokost)",
    "idle": "Idle / unused slot time (ledig tid)",
    "other_practice": "Working for another practice (delt personale)",
}

#: metric -> (label, unit, scale, better): ``scale`` turns the stored value into the unit
#: shown (shares are stored 0-1 and shown in %); ``better`` is "min", "max" or None.
METRICS: dict[str, tuple[str, str, float, str | None]] = {
    "calls_offered": ("Calls offered", "calls/day", 1.0, None),
    "calls_answered": ("Calls answered", "calls/day", 1.0, "max"),
    "calls_abandoned": ("Calls abandoned", "calls/day", 1.0, "min"),
    "abandonment_rate": ("Calls abandoned (share)", "%", 100.0, "min"),
    "callers_gave_up_rate": ("Callers who never got through, after redials (share)", "%",
                             100.0, "min"),
    "phone_wait_mean_min": ("Phone wait, mean (ventetid i telefonen)", "min", 1.0, "min"),
    "phone_wait_p90_min": ("Phone wait, 90th percentile", "min", 1.0, "min"),
    "acute_same_day_rate": ("Same-day needs seen today (akuttider)", "%", 100.0, "max"),
    "call_to_consult_wait_mean_min": ("Call to consultation, mean", "min", 1.0, "min"),
    "contacts_arisen": ("Contacts arising", "contacts/day", 1.0, None),
    "contacts_handled_total": ("Contacts handled", "contacts/day", 1.0, "max"),
    "outcome_consulted": ("Consultations", "contacts/day", 1.0, None),
    "outcome_carried_over": ("Still waiting when the run ended", "contacts/run", 1.0, "min"),
    "outcome_abandoned": ("Callers who gave up, after their redials", "contacts/day", 1.0,
                          "min"),
    "questions_unanswered": ("Supervision questions unanswered", "questions/day", 1.0, "min"),
    "overtime_min": ("Overtime, all staff (overarbejde)", "min/day", 1.0, "min"),
    "nonphysician_consult_share": ("Consultations by non-doctors (delegation)", "%", 100.0,
                                   None),
    "doctor_min_per_contact": ("Doctor minutes per handled contact", "min", 1.0, "min"),
    "doctor_time_min": ("Doctors' working time (all doctors present)", "min/day", 1.0, "min"),
    "staff_cost_dkk": ("Staff cost per day (lønomkostning)", "DKK/day", 1.0, "min"),
    "cost_per_contact_dkk": ("Staff cost per handled contact", "DKK", 1.0, "min"),
    "cost_per_patient_year_dkk": ("Staff cost per listed patient a year", "DKK", 1.0, "min"),
    "utilisation": ("Utilisation (working / present minus break)", "%", 100.0, None),
    "time_use_min": ("Staff time", "min/day", 1.0, None),
    "calls_retried": ("Calls that were a redial (genringning)", "calls/day", 1.0, None),
    "phone_wait_all_mean_min": ("Phone wait of all callers, incl. those who hung up", "min",
                                1.0, "min"),
    "acute_same_day_in_hours_rate": ("Same-day needs seen today before closing", "%", 100.0,
                                     "max"),
    "tnaa_days": ("Third next available appointment (TNAA)", "working days", 1.0, "min"),
    "planned_slots_booked_ahead": ("Planned slots already booked as the day begins", "%",
                                   100.0, None),
    "requested_wait_mean_days": ("Wait for a requested appointment, mean", "working days",
                                 1.0, "min"),
    "planned_wait_mean_days": ("Wait for a planned appointment, mean", "working days", 1.0,
                               "min"),
    "planned_wait_p90_days": ("Wait for a planned appointment, 90th percentile",
                              "working days", 1.0, "min"),
    "backlog_planned": ("Appointments booked ahead (backlog)", "appointments", 1.0, None),
    "backlog_trend_per_week": ("Backlog trend", "appointments/week", 1.0, "min"),
    "continuity_own_gp": ("GP consultations with the patient's own GP (continuity)", "%",
                          100.0, "max"),
    "continuity_own_clinician": ("Consultations with the patient's own clinician", "%",
                                 100.0, "max"),
    "turned_away": ("Planned needs turned away (no slot in time; pre-tests included)",
                    "needs/day", 1.0, "min"),
    "planned_requests": ("Planned needs asking for a slot", "needs/day", 1.0, None),
    "contacts_carried_over": ("Patients and inbox items carried to the next day",
                              "contacts/day", 1.0, "min"),
    "carried_trend_per_week": ("Work carried over: trend", "contacts/week", 1.0, "min"),
    "outcome_booked_after_run": ("Still booked when the run ended", "contacts/run", 1.0, None),
    "outcome_line_closed": ("Callers cut off when the line closed", "contacts/day", 1.0, "min"),
    "outcome_resolved_on_phone": ("Resolved on the phone", "contacts/day", 1.0, None),
    "outcome_inbox_handled": ("Inbox items handled", "contacts/day", 1.0, None),
    "outcome_home_visit": ("Home visits made", "contacts/day", 1.0, None),
    "outcome_referred": ("Referred elsewhere at triage", "contacts/day", 1.0, None),
    "outcome_no_show": ("Patients who did not come (no-show)", "contacts/day", 1.0, None),
    "outcome_turned_away": ("Contacts ended turned away (no slot in time)", "contacts/day", 1.0, None),
}

#: The range a metric's values lie in, so confidence intervals respect it: ``share`` (0-1),
#: ``real`` (any sign); everything else is a count, time or cost (never below zero).
BOUNDS: dict[str, str] = {
    "abandonment_rate": "share",
    "callers_gave_up_rate": "share",
    "acute_same_day_rate": "share",
    "acute_same_day_in_hours_rate": "share",
    "nonphysician_consult_share": "share",
    "continuity_own_gp": "share",
    "continuity_own_clinician": "share",
    "utilisation": "share",
    "planned_slots_booked_ahead": "share",
    "backlog_trend_per_week": "real",
    "carried_trend_per_week": "real",
}


#: Shares whose denominator counts things (calls, callers, needs, consultations, visits,
#: slots): for these alone an estimate of exactly 0 or 1 gets a binomial limit from the
#: pooled count (:func:`sim.estimators.intervals`). Utilisation's denominator is minutes.
COUNTED_SHARES = frozenset(m for m, b in BOUNDS.items() if b == "share") - {"utilisation"}


def metric_bounds(metric: str) -> str:
    """``share``, ``nonnegative`` or ``real``: where the metric's values can lie."""
    return BOUNDS.get(metric, "nonnegative")


def metric_info(metric: str) -> tuple[str, str, float, str | None]:
    """(label, unit, scale, better) of a metric; a readable fallback for unknown ones."""
    return METRICS.get(metric, (metric.replace("_", " ").capitalize(), "", 1.0, None))


def with_unit(label: str, unit: str) -> str:
    """``label`` with its unit: "Phone wait, mean (min)"; after a label that already ends
    in parentheses, "Calls abandoned (share), %", not two parentheses in a row."""
    if not unit:
        return label
    return f"{label}, {unit}" if label.endswith(")") else f"{label} ({unit})"


def figure_label(metric: str, role: str | None = None) -> str:
    """A figure's name, with its role where it is given by role: the role's row of a
    practice-wide figure drops the qualifier "all staff" (its overtime is the role's)."""
    label = metric_info(metric)[0]
    if isinstance(role, str):
        label = label.replace(", all staff", "") + f", {role}"
    return label


#: Units of figures that count what arises or is done: they grow with the demand a list
#: brings, so between designs of different list sizes more of them is neither better nor
#: worse (a longer list has more calls to answer and more contacts to handle).
VOLUME_UNITS = ("calls/day", "contacts/day", "needs/day", "questions/day", "contacts/run")


#: Totals of the practice's day that grow with its size, not its performance: a practice
#: for a longer list has more staff, so more staff cost, doctor time and overtime summed
#: over its staff, whatever it achieves (per contact or per listed patient they compare).
PRACTICE_TOTALS = frozenset({"staff_cost_dkk", "doctor_time_min", "overtime_min"})

#: Totals that still compare between lists of different sizes when the staff are the
#: same: the same people costing more or working later for a longer list is worse.
#: Doctors' working time is not among them: it grows with the work a list brings, like a
#: count, whoever is on staff.
SAME_STAFF_TOTALS = frozenset({"staff_cost_dkk", "overtime_min"})


#: Totals of the doctors' day: fewer doctor minutes is better (delegation frees them) only
#: between designs with the same doctors on staff; with a GP fewer, or away for a week,
#: the minutes fall because the doctor is not there.
SAME_DOCTORS_TOTALS = frozenset({"doctor_time_min"})


#: Figures of the volume units that are a stock at each day's close, not events of the day:
#: an item waiting a week is counted on each of its days, so the days are no exposure.
DAY_END_STOCKS = frozenset({"contacts_carried_over"})

#: Counts of events a day (calls, contacts, needs, questions) or a run (contacts still
#: waiting or booked when it ended), pooled over the measured days or the runs: for these
#: alone an estimate of exactly 0 gets the Poisson limit of 0 events over that exposure
#: (:func:`sim.estimators.intervals`). The volume units' figures less the day-end stocks;
#: the outcomes without a label of their own are in :func:`counts_events`.
EVENT_COUNTS = frozenset(m for m, (_label, unit, _scale, _better) in METRICS.items()
                         if unit in VOLUME_UNITS) - DAY_END_STOCKS


def counts_events(metric: str) -> bool:
    """Whether ``metric`` counts events over its pooled weight (days, or runs): one of
    :data:`EVENT_COUNTS`, or any ``outcome_<outcome>`` (contacts ending in that outcome,
    a day or at the end of a run; only some have a label of their own)."""
    return metric in EVENT_COUNTS or metric.startswith("outcome_")


def scales_with_list(metric: str, same_staff: bool = False) -> bool:
    """Whether ``metric`` grows with the list size: volume (see :data:`VOLUME_UNITS`), or a
    total of the practice's day (see :data:`PRACTICE_TOTALS`) unless the staff are the
    same (``same_staff``) and it is one of :data:`SAME_STAFF_TOTALS`."""
    if metric in PRACTICE_TOTALS:
        return not (same_staff and metric in SAME_STAFF_TOTALS)
    return metric_info(metric)[1] in VOLUME_UNITS


def same_list(list_sizes: Mapping[Any, int] | None, point: Any, baseline: Any) -> bool:
    """Whether design ``point`` and the ``baseline`` have the same list size, and so the
    same demand (no ``list_sizes``: they do)."""
    return not list_sizes or list_sizes.get(point) == list_sizes.get(baseline)


def same_staff(staffing: Mapping[Any, str] | None, point: Any, baseline: Any) -> bool:
    """Whether design ``point`` and the ``baseline`` have the same staff (``staffing``:
    each design's :meth:`sim.scenario.schema.Scenario.staffing`; not given: not known, so
    not taken to be the same)."""
    return (staffing is not None and point in staffing and baseline in staffing
            and staffing[point] == staffing[baseline])


def same_doctors(staffing: Mapping[Any, str] | None, point: Any, baseline: Any) -> bool:
    """Whether design ``point`` and the ``baseline`` have the same doctors present: the
    same people of the roles with ``doctor: true``, in on the same days and hours, read from
    each design's :meth:`sim.scenario.schema.Scenario.staffing`. How their day is planned
    (blocks, slot lengths) or paid is no matter: fewer doctor minutes there are freed. Not
    given, they are taken to be the same: a table of differences alone does not say who
    worked, and nothing would then be said of the doctors' time at all."""
    if staffing is None or point not in staffing or baseline not in staffing:
        return True
    return _doctors(staffing[point]) == _doctors(staffing[baseline])


#: What of a staff entry says when its people are in (the rest plans their day).
_PRESENCE = ("role", "count", "start", "end", "days", "rotation", "absent")


def _hours(plans: Any) -> Any:
    """A weekday plan's hours alone (``on``: weekday -> start, end, blocks)."""
    if not isinstance(plans, dict):
        return plans
    return {day: {k: v for k, v in plan.items() if k in ("start", "end")}
            if isinstance(plan, dict) else plan for day, plan in plans.items()}


def _doctors(staffing: str) -> Any:
    """The doctors present in a staffing's text: each staff entry of a doctor role by its
    presence (count, hours, days, rotation, absences, each weekday's and period's hours);
    a text that is no staffing's JSON stands for itself."""
    import json

    try:
        data = json.loads(staffing)
    except ValueError:
        return staffing
    if not isinstance(data, dict):
        return staffing
    roles = {name for name, spec in (data.get("roles") or {}).items()
             if isinstance(spec, dict) and spec.get("doctor")}
    present = {}
    for sid, person in (data.get("staff") or {}).items():
        if not isinstance(person, dict) or person.get("role") not in roles \
                or not person.get("count", 1):
            continue
        present[sid] = {**{k: person.get(k) for k in _PRESENCE},
                        "on": _hours(person.get("on")),
                        "periods": [{**period, "on": _hours(period.get("on"))}
                                    if isinstance(period, dict) else period
                                    for period in person.get("periods") or []]}
    return present


def one_list(list_sizes: Mapping[Any, int] | None) -> bool:
    """Whether every design has the same list size (no ``list_sizes``: they do), so that
    common random numbers give every one the same patients."""
    return not list_sizes or len(set(list_sizes.values())) <= 1


def better_direction(metric: str, same_demand: bool = True, same_staff: bool = False,
                     same_doctors: bool = True) -> str | None:
    """``max``, ``min`` or None: which way ``metric`` is better when a design is set
    against a baseline; ``same_demand``: whether the two have the same list size (if not,
    a count of what arises or is done has no better direction, nor has a total of the
    practice's day unless ``same_staff``); ``same_doctors``: whether they have the same
    doctors (if not, the doctors' total has none: :data:`SAME_DOCTORS_TOTALS`)."""
    if not same_demand and scales_with_list(metric, same_staff):
        return None
    if not same_doctors and metric in SAME_DOCTORS_TOTALS:
        return None
    return metric_info(metric)[3]
