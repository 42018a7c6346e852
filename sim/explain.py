"""What a number rests on: how each headline metric is computed, which inputs move it
most, and the scenario's own assumptions behind it (``clinicsim explain METRIC``).

Abandonment of 18 % next to a mean wait of under two minutes looks contradictory until
one knows that the mean wait counts answered calls only, and that callers hang up when
their patience (a setting of the scenario) runs out. Such explanations live here, in
one place, for the terminal and the report alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.labels import (COUNTED_SHARES, METRICS, SAME_DOCTORS_TOTALS, counts_events,
                        metric_info, with_unit)
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Explanation:
    how: str
    #: scenario fields that move the metric most, with why (model knowledge, not a fit)
    inputs: tuple[str, ...]


_PHONE_INPUTS = (
    "staff blocks of a kind that serves `call` (who is on the phone, and when)",
    "`demand.<phone stream>.per_patient_year` and its `profile`, for the list "
    "(`population`: its size, and its mix or stated `demand_factor`) (how many call, and "
    "when)",
    "`triage.durations` (how long each call takes, by the role answering)",
    "`demand.<phone stream>.patience` (how long callers wait before hanging up)",
    "`demand.<phone stream>.redial` (who rings again, adding calls)",
    "`supervision.triage_questions` and `supervision.call_hold` (a triager waiting for a "
    "doctor's answer is off the phone, at most `call_hold` minutes a question)",
)

_BOOK_INPUTS = (
    "planned slots in the day plans (who is in on which day, and their planned blocks)",
    "`demand.planned`, `reviews`, `follow_ups` and triage's `booked_later` share (how much "
    "is booked ahead)",
    "`booking` (horizon, earliest day, extra days for the own GP, team or a lower rung, "
    "release of acute slots)",
)

EXPLANATIONS: dict[str, Explanation] = {
    "abandonment_rate": Explanation(
        "Calls that ended with the caller hanging up (or still queued when the line closed) "
        "over all calls rung, redials included, pooled over every call of every run. A "
        "caller hangs up when the wait exceeds their patience, drawn from the phone "
        "stream's patience distribution; the phone wait's mean counts only answered "
        "calls, so many short hang-ups can sit beside a short mean wait. A caller who "
        "gets through on a redial counts here once for each unanswered ring; "
        "`callers_gave_up_rate` counts the callers the practice lost.",
        _PHONE_INPUTS),
    "callers_gave_up_rate": Explanation(
        "Callers (not rings) whose call ended without reaching anyone: they hung up, or "
        "were still queued when the line closed, and did not ring again or gave up after "
        "their redials; over every caller whose contact ended, pooled over every run. "
        "`abandonment_rate` counts each ring, so a caller who rings three times and gets "
        "through on the third adds two abandoned calls there and none here. Callers still "
        "booked when a run ends are not in the denominator.",
        _PHONE_INPUTS),
    "phone_wait_mean_min": Explanation(
        "Minutes from ringing to being answered, over answered calls only (callers who "
        "hung up are in `phone_wait_all_mean_min`), pooled over every answered call.",
        _PHONE_INPUTS),
    "phone_wait_p90_min": Explanation(
        "The 90th percentile of the answered calls' waits over each whole run, averaged "
        "over runs.", _PHONE_INPUTS),
    "phone_wait_all_mean_min": Explanation(
        "Minutes every caller spent waiting, answered or not (a caller who hung up counts "
        "the time until they did), pooled over every call.", _PHONE_INPUTS),
    "call_to_consult_wait_mean_min": Explanation(
        "For callers seen the same day they called: minutes from the call to the start of "
        "the consultation or home visit, pooled over those patients.",
        ("acute slots in the day plans (blocks with `slots: acute`) and when they lie",
         "`acute.prefer` and `acute.overflow` (which slot is booked, and what happens "
         "when none is left)",
         "`triage.outcomes` (the share of calls given a same-day slot)",
         "`delegation.degree` and its routes (who may take a same-day need)")),
    "acute_same_day_rate": Explanation(
        "Same-day needs (triaged to a same-day slot, walk-ins, home-visit requests) seen "
        "the same day, overtime included, over all same-day needs.",
        ("acute slots in the day plans", "`acute.overflow`", "`triage.outcomes`",
         "`delegation.degree` and its routes", "`end_of_day.patients`")),
    "doctor_time_min": Explanation(
        "Minutes a day that doctors (roles with `doctor: true`) spend working: consulting, "
        "on the phone, supervising, being supervised, inbox and admin, home visits (idle "
        "time and breaks excluded), summed over all doctors present.",
        ("`delegation.degree` and its routes (what nurses may start)",
         "`supervision.questions` and `supervision.joint` (doctor time each nurse "
         "consultation costs)", "the contact types' `durations` by role",
         "the demand streams' rates and mixes")),
    "overtime_min": Explanation(
        "Minutes worked past the end of each person's hours, summed over all staff: "
        "patients in hand are finished; `end_of_day` says who else is seen.",
        ("`end_of_day.patients` and `end_of_day.inbox` (overtime or carry over)",
         "`acute.overflow: overtime`", "the day plans' last blocks",
         "the demand streams' rates",
         "slots shorter than the consultations booked in them, notes included "
         "(`slot_min` against `contact_types.<type>.durations` and `notes`): each such "
         "booking runs into the next")),
    "tnaa_days": Explanation(
        "Third next available appointment: working days from a day's opening to the third "
        "free slot a patient could book, by role and for the practice, averaged over "
        "measured days. Slots are counted from the first day a need may book "
        "(`booking.earliest_days`, the next working day by default), so 1 is the least "
        "there: a free slot today, which only the practice's own tasks can take, is no "
        "appointment a patient asking now could have.",
        _BOOK_INPUTS),
    "planned_slots_booked_ahead": Explanation(
        "Of the planned slots in a day's plans, the share a patient or a calendar task "
        "already holds as the day begins (booked on earlier days), by role and for the "
        "practice, pooled over every slot of every measured day (group seats and acute "
        "slots are not counted). A calendar near full is a practice whose new requests "
        "wait, as the third next available appointment and the planned wait show.",
        _BOOK_INPUTS),
    "requested_wait_mean_days": Explanation(
        "Working days from the day a patient asks for an appointment to the appointment, "
        "pooled over every booking they asked for on a measured day (a planned request, a "
        "triaged 'book for a later day'): the wait a patient who rings counts. With a need "
        "booked from the next working day (`booking.earliest_days: 1`) it is at least 1. "
        "Follow-ups, reviews and pre-tests, booked by the practice for a day they fall due, "
        "are left out; `planned_wait_mean_days` counts them too.",
        _BOOK_INPUTS),
    "planned_wait_mean_days": Explanation(
        "Working days from a planned need's request to its appointment, pooled over every "
        "booking of every measured day: a triaged 'book for a later day', a planned "
        "request, a need carried over; a follow-up's, review's or pre-test's wait runs "
        "from the day it was due. A need that finds no slot within the horizon is turned "
        "away and has no wait; tasks put in a doctor's calendar are not counted.",
        _BOOK_INPUTS),
    "planned_wait_p90_days": Explanation(
        "The 90th percentile of the same waits within each run; across runs, the mean of "
        "the runs' percentiles. It shows the long waits a mean hides, such as patients "
        "waiting for their own GP's next day in.",
        _BOOK_INPUTS),
    "backlog_planned": Explanation(
        "Appointments booked for later days, counted at each day's close (tasks in a "
        "doctor's calendar included: they hold a slot), as a mean per working day; "
        "`backlog_trend_per_week` says whether it grows.",
        _BOOK_INPUTS),
    "utilisation": Explanation(
        "Minutes at work over minutes present (less breaks and time working for another "
        "practice), by role, pooled per minute. At work is every activity but idle: "
        "consulting, phone, inbox and admin, home visits, supervising and being "
        "supervised. A block with nothing waiting counts as its kind's `activity` "
        "(`block_kinds` in models/defaults/base.yaml): idle for consultation, phone and "
        "home-visit blocks, admin for admin blocks and meetings, supervising or being "
        "supervised for supervision blocks. So a role whose day is admin blocks is at work "
        "all day by construction, and a nurse's being supervised includes her fixed "
        "supervision blocks and the minutes she holds a patient waiting for a doctor's "
        "answer (she can see no one else then); staff time by activity (`time_use_min`) "
        "shows each part.",
        ("who is in and their blocks (`staff`, `block_kinds`)", "demand and who its routes "
         "send it to (`delegation.routes`)", "durations by role (`contact_types`)",
         "`notes` (minutes after each consultation of face time; none after one whose "
         "durations are a whole slot, `durations_include_notes`)",
         "`supervision` (how often, and how long a question takes)")),
    "turned_away": Explanation(
        "Planned needs a day that found no free slot, with any role their route allows, "
        "within the booking horizon: each ends there, recorded, never dropped. A pre-test "
        "(a sample before a review, `contact_types.<type>.pre_test`) must come between "
        "its `days_before` and the review itself, so it is turned away when no slot is "
        "free in that window, however long the horizon; its review keeps its slot. Where "
        "pre-tests are most of this figure, the event log's `turned_away` contacts of "
        "channel `pre_test` show it.",
        ("`booking.horizon_days`", "planned slots in the day plans",
         "`demand.planned`, `reviews` and `follow_ups` (how much is booked ahead)",
         "a pre-test's `days_before` and the slots of its role in that window")),
    "continuity_own_gp": Explanation(
        "Of consultations and home visits by a role that keeps a list, the share with the "
        "patient's own GP, pooled per contact; patients with no own GP "
        "(`population.own_gp_for: morbid`) are not counted.",
        ("`booking.own_gp_extra_days` and `own_gp_first_rung_only` (how long patients "
         "wait for their own GP)", "the GPs' days in (`days`, `rotation`, `periods`, "
         "duties)", "`list_share` (whose lists are large)", "`delegation.routes` (whether "
         "a GP sees the need at all)")),
    "continuity_own_clinician": Explanation(
        "By role, of consultations and home visits by that role with patients listed with "
        "someone of the role (`population.own_clinician`: a fixed nurse), the share with "
        "that person, pooled per contact.",
        ("`booking.own_clinician_extra_days` (how long patients wait for their own "
         "clinician)", "their days in (`days`, `rotation`, absences)", "`list_share` (whose "
         "lists are large)", "`delegation.routes` (whether the role sees the need at all)")),
    "backlog_trend_per_week": Explanation(
        "The least-squares slope of the appointments booked ahead at each day's close over "
        "the measured days, per week; above zero the book is filling faster than it "
        "empties.",
        ("planned slots against planned demand (`demand.planned`, `reviews`, "
         "`follow_ups`)", "`booking.horizon_days`")),
    "carried_trend_per_week": Explanation(
        "The least-squares slope of the patients and inbox items carried to the next day, "
        "counted at each day's close over the measured days, per week; above zero work "
        "piles up faster than the staff clear it (e-consultations, letters and renewals "
        "waiting in the inbox, same-day patients not seen), which the appointment book's "
        "trend does not show.",
        ("inbox and patient demand (`demand`) against the time staff have for it (day "
         "plans: admin blocks and idle time)", "`delegation.routes` (who may answer the "
         "inbox)")),
    "staff_cost_dkk": Explanation(
        "Hours present (overtime included) times the role's `cost_per_hour`, summed over "
        "staff, per working day; no overheads.",
        ("staff counts and hours", "`roles.<role>.cost_per_hour`")),
    "calls_retried": Explanation(
        "Rings a day from callers who had hung up (or were cut off when the line closed) "
        "and rang again, later the same day or the next working day; each counts among the "
        "calls offered, as in D13's survey.",
        ("`demand.<phone stream>.redial` (who rings again, and when)",
         *_PHONE_INPUTS[:4])),
    "acute_same_day_in_hours_rate": Explanation(
        "Of the day's same-day needs, the share seen that day before closing, pooled per "
        "need; those seen in overtime count as seen the same day "
        "(`acute_same_day_rate`) but not in hours.",
        ("acute slots in the day plans", "`acute.prefer` and `acute.overflow`",
         "the triage outcomes' same-day share", "`end_of_day.patients`",
         "the hours the day plans give same-day work: a home visit asked for on a day "
         "with no `home_visits` block, or a call in the day's last minutes that needs "
         "seeing today (a phone stream's `profile` up to closing), is seen after closing "
         "however short the list")),
    "doctor_min_per_contact": Explanation(
        "Doctors' working minutes (consulting, phone, supervising, inbox and admin, home "
        "visits) over the contacts handled, per day; delegation moves contacts, "
        "supervision brings some of the doctors' time back.",
        ("`delegation.degree` and its routes", "`supervision` (question rates, forms)",
         "durations by role (`contact_types`, `triage.durations`)")),
    "cost_per_contact_dkk": Explanation(
        "The day's staff cost over the contacts handled that day (resolved on the phone, "
        "consulted, inbox items, home visits, referred), pooled over days.",
        ("staff counts and hours", "`roles.<role>.cost_per_hour`",
         "everything that changes how many contacts are handled")),
    "cost_per_patient_year_dkk": Explanation(
        "The day's staff cost times `clinic.working_days_per_year`, over the listed "
        "patients.",
        ("staff counts and hours", "`roles.<role>.cost_per_hour`",
         "`population.list_size`")),
    "nonphysician_consult_share": Explanation(
        "Consultations by roles that are not doctors over all consultations.",
        ("`delegation.degree` and its routes", "which roles are present",
         "slots of non-doctors in the day plans")),
}


#: Figures that consultations longer than their slots move: with a scenario, ``explain``
#: says where its consultations overrun (sim/slot_fit.py).
SLOT_METRICS = ("overtime_min",)


def dist_text(spec) -> str:
    """A distribution in words: 'exponential, mean 10 min'."""
    if spec is None:
        return "none (callers wait for ever)"
    fields = spec.model_dump(exclude={"dist"})
    values = ", ".join(f"{k} {v:g} min" for k, v in fields.items())
    return f"{spec.dist}, {values}"


def patience_sentences(scenario: Scenario) -> list[str]:
    """Each phone stream's patience and redial shares, as the scenario states them, and
    the load of the busiest phone hour its inputs make."""
    from sim.engine import CompiledScenario
    from sim.phone_load import busiest_phone_hour, load_sentence, week_of, week_sentence

    out = []
    for name, d in scenario.demand.items():
        if d.channel != "phone" or d.per_patient_year <= 0:
            continue
        text = f"Callers' patience ({name}): {dist_text(d.patience)}"
        if d.patience is None:  # no one hangs up, so no one rings again
            out.append(text + ".")
            continue
        text += "; a caller still waiting when it runs out hangs up."
        if d.redial is not None:
            r = d.redial
            text += (f" Of those who hang up, {100 * r.same_day:.0f} % ring again the same "
                     f"day (after {dist_text(r.delay)}, if the line still takes calls then; "
                     f"if not, the next working day), and {100 * r.next_day:.0f} % of the "
                     "others the next working day; each ring counts as a call.")
        else:
            text += " Callers who hang up do not ring again."
        out.append(text)
    model = CompiledScenario(scenario)
    peak = busiest_phone_hour(model)
    if out and peak is not None:
        out.append(load_sentence(peak) + (
            " Above 1 the phone is offered more than its people can do in that hour, and "
            "callers queue past their patience." if peak.load > 1 else ""))
        out.append(week_sentence(week_of(model, peak), peak))
    return out


def explain(metric: str, scenario: Scenario | str | Path | None = None) -> str:
    """How ``metric`` is computed, what moves it, and (with a scenario: a loaded one, a
    bundled name or a file) its assumptions."""
    if scenario is not None:
        from sim.scenario.loading import as_scenario

        scenario = as_scenario(scenario)
    label, unit, _scale, better = metric_info(metric)
    lines = [f"{metric}: {with_unit(label, unit)}"]
    if better:
        lines.append(f"Better when {'lower' if better == 'min' else 'higher'}"
                     + (" between designs with the same doctors on staff (with a doctor "
                        "fewer or away, the minutes fall because the doctor is not there)"
                        if metric in SAME_DOCTORS_TOTALS else "") + ".")
    found = EXPLANATIONS.get(metric)
    if found is None:
        lines.append("See the README's Metrics table for how it is counted.")
    else:
        lines.append(f"How it is computed: {found.how}")
        lines.append("Inputs that move it most:")
        lines += [f"  - {item}" for item in found.inputs]
    if scenario is not None and found is not None and any(
            "patience" in item for item in found.inputs):
        lines.append(f"In {scenario.name}:")
        lines += [f"  {s}" for s in patience_sentences(scenario)]
    if scenario is not None and metric in SLOT_METRICS:
        from sim.slot_fit import FITS, slot_note

        lines.append(f"In {scenario.name}:")
        lines.append("  " + (slot_note(scenario) or FITS))
    lines.append("Across runs: the mean per working day (or pooled per contact, or per slot, "
                 "as the figure counts) with a 95 % confidence interval over independent "
                 "runs." + _at_zero(metric))
    return "\n".join(lines)


def _at_zero(metric: str) -> str:
    """What the interval of ``metric`` is where every run gives 0 (or, for a share, all):
    the same in every run is no proof that it always is."""
    if metric in COUNTED_SHARES:
        return (" A share of 0 (or 100 %) in every run is no proof that it always is: its "
                "interval then runs to the exact binomial limit for none (or all) of the "
                "calls, needs, consultations or slots counted in all the runs, not a "
                "single point.")
    if not counts_events(metric):
        return ""
    from sim.estimators import no_event_limit

    if metric_info(metric)[1].endswith("/run"):
        over, example = "runs", f"{no_event_limit(10):.2f} a run over 10 runs"
    else:
        over, example = "days measured", f"{no_event_limit(320):.4f} a day over 320 days"
    return (" A count of 0 in every run is no proof that it never happens: its interval "
            "then runs from 0 to the exact Poisson limit for no events over all the "
            f"{over} ({no_event_limit(1):.1f} / {over.split()[0]} at 95 %: {example}), "
            "not [0, 0].")


def known_metrics() -> list[str]:
    """Metric names ``explain`` accepts."""
    return sorted(set(METRICS) | set(EXPLANATIONS))


def metric_list() -> str:
    """Every metric ``explain`` knows, with the name and unit the summary gives it: what a
    reader asks first, before asking about one of them."""
    names = known_metrics()
    width = max(len(m) for m in names)
    lines = ["The figures clinicsim reports (clinicsim explain METRIC says how one is "
             "computed and what moves it):"]
    for metric in names:
        label, unit, _scale, _better = metric_info(metric)
        lines.append(f"  {metric:<{width}}  {with_unit(label, unit)}")
    return "\n".join(lines)


__all__ = ["EXPLANATIONS", "Explanation", "dist_text", "explain", "known_metrics",
           "metric_list", "patience_sentences"]
