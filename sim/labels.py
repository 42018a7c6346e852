"""Names, units and directions of metrics and activities, for every text, plot and report.

One table, so a label reads the same in the terminal summary, the plots and the HTML
report. Danish terms stand in parentheses where a Danish reader expects them.
"""
from __future__ import annotations

ACTIVITY_LABELS: dict[str, str] = {
    "consulting": "Consulting (konsultation)",
    "phone": "Phone triage (telefonvisitation)",
    "supervising": "Supervising staff (supervision)",
    "being_supervised": "Being supervised / waiting for a doctor",
    "inbox_admin": "Inbox and admin (e-konsultation, korrespondance)",
    "home_visits": "Home visits incl. travel (sygebesøg)",
    "break": "Break (frokost)",
    "idle": "Idle / unused slot time (ledig tid)",
}

#: metric -> (label, unit, scale, better): ``scale`` turns the stored value into the unit
#: shown (shares are stored 0-1 and shown in %); ``better`` is "min", "max" or None.
METRICS: dict[str, tuple[str, str, float, str | None]] = {
    "calls_offered": ("Calls offered", "calls/day", 1.0, None),
    "calls_answered": ("Calls answered", "calls/day", 1.0, "max"),
    "calls_abandoned": ("Calls abandoned", "calls/day", 1.0, "min"),
    "abandonment_rate": ("Calls abandoned (share)", "%", 100.0, "min"),
    "phone_wait_mean_min": ("Phone wait, mean (ventetid i telefonen)", "min", 1.0, "min"),
    "phone_wait_p90_min": ("Phone wait, 90th percentile", "min", 1.0, "min"),
    "acute_same_day_rate": ("Same-day needs seen today (akuttider)", "%", 100.0, "max"),
    "call_to_consult_wait_mean_min": ("Call to consultation, mean", "min", 1.0, "min"),
    "contacts_arisen": ("Contacts arising", "contacts/day", 1.0, None),
    "contacts_handled_total": ("Contacts handled", "contacts/day", 1.0, "max"),
    "outcome_consulted": ("Consultations", "contacts/day", 1.0, None),
    "outcome_carried_over": ("Carried over to tomorrow", "contacts/day", 1.0, "min"),
    "outcome_booked_later": ("Booked for a later day", "contacts/day", 1.0, "min"),
    "outcome_abandoned": ("Abandoned calls", "contacts/day", 1.0, "min"),
    "questions_unanswered": ("Supervision questions unanswered", "questions/day", 1.0, "min"),
    "overtime_min": ("Overtime, all staff (overarbejde)", "min/day", 1.0, "min"),
    "nonphysician_consult_share": ("Consultations by non-doctors (delegation)", "%", 100.0,
                                   None),
    "doctor_min_per_contact": ("Doctor minutes per handled contact", "min", 1.0, "min"),
    "staff_cost_dkk": ("Staff cost per day (lønomkostning)", "DKK/day", 1.0, "min"),
    "cost_per_contact_dkk": ("Staff cost per handled contact", "DKK", 1.0, "min"),
    "cost_per_patient_year_dkk": ("Staff cost per listed patient a year", "DKK", 1.0, "min"),
    "utilisation": ("Utilisation (working / present minus break)", "%", 100.0, None),
    "time_use_min": ("Staff time", "min/day", 1.0, None),
}


def metric_info(metric: str) -> tuple[str, str, float, str | None]:
    """(label, unit, scale, better) of a metric; a readable fallback for unknown ones."""
    return METRICS.get(metric, (metric.replace("_", " ").capitalize(), "", 1.0, None))
