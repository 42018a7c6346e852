"""Plain-language conclusions generated from results, never written by hand.

A practice manager reads "more delegation frees 41 [35, 47] doctor minutes a day", not a
table of intervals. Every sentence here is built from a summary table's confidence
intervals, and only what they support is stated:

* a difference is stated as an effect only when its 95 % CI excludes zero, with the CI,
  in the direction the CI shows; it is called better or worse only when the metric has a
  better direction (:func:`sim.labels.metric_info`);
* every other metric is listed under "no clear difference";
* effects are ordered by how large they are relative to their uncertainty (the
  difference over its CI's half-width, a t-like ratio), so the clearest come first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import pandas as pd

from sim.experiment.stats import beside_baseline
from sim.labels import (
    better_direction,
    metric_info,
    one_list,
    same_doctors,
    same_list,
    same_staff,
    scales_with_list,
)

#: The metrics a conclusion speaks about, in the order a consultant asks about them.
KEY_METRICS: tuple[str, ...] = (
    "doctor_time_min", "call_to_consult_wait_mean_min", "phone_wait_mean_min",
    "abandonment_rate", "callers_gave_up_rate", "acute_same_day_rate", "tnaa_days",
    "planned_wait_mean_days", "backlog_trend_per_week", "carried_trend_per_week",
    "contacts_handled_total", "nonphysician_consult_share", "continuity_own_gp",
    "turned_away", "overtime_min", "staff_cost_dkk", "cost_per_patient_year_dkk",
)

#: Effects named per design in a conclusion; the rest are counted ("and 3 more"), since
#: a paragraph of fifteen effects is a table in disguise (the table follows anyway).
MAX_EFFECTS_NAMED = 6

#: Phrases for an increase and a decrease; ``{d}`` becomes the size and its CI, both
#: positive, in the metric's unit.
PHRASES: dict[str, tuple[str, str]] = {
    "doctor_time_min": ("doctors work {d} more minutes a day",
                        "frees {d} doctor minutes a day"),
    "call_to_consult_wait_mean_min": (
        "patients wait {d} minutes longer from call to consultation",
        "patients wait {d} minutes less from call to consultation"),
    "phone_wait_mean_min": ("callers wait {d} minutes longer to be answered",
                            "callers are answered {d} minutes sooner"),
    "phone_wait_p90_min": ("the 90th-percentile phone wait is {d} minutes longer",
                           "the 90th-percentile phone wait is {d} minutes shorter"),
    "abandonment_rate": ("{d} percentage points more calls go unanswered (each ring counts)",
                         "{d} percentage points fewer calls go unanswered (each ring counts)"),
    "callers_gave_up_rate": (
        "{d} percentage points more callers never get through, after their redials",
        "{d} percentage points fewer callers never get through, after their redials"),
    "acute_same_day_rate": ("{d} percentage points more same-day needs are seen the same day",
                            "{d} percentage points fewer same-day needs are seen the same "
                            "day"),
    "tnaa_days": ("the third next available appointment is {d} working days further off",
                  "the third next available appointment is {d} working days sooner"),
    "planned_wait_mean_days": ("planned patients wait {d} working days longer",
                               "planned patients wait {d} working days less"),
    "backlog_trend_per_week": ("the appointment book grows {d} appointments a week faster",
                               "the appointment book grows {d} appointments a week slower"),
    "carried_trend_per_week": ("work carried to the next day grows {d} items a week faster",
                               "work carried to the next day grows {d} items a week slower"),
    "contacts_handled_total": ("the practice handles {d} more contacts a day",
                               "the practice handles {d} fewer contacts a day"),
    "nonphysician_consult_share": (
        "{d} percentage points more consultations are done by non-doctors",
        "{d} percentage points fewer consultations are done by non-doctors"),
    "continuity_own_gp": ("{d} percentage points more GP consultations are with the "
                          "patient's own GP",
                          "{d} percentage points fewer GP consultations are with the "
                          "patient's own GP"),
    "turned_away": ("{d} more planned needs a day find no slot",
                    "{d} fewer planned needs a day find no slot"),
    "overtime_min": ("staff work {d} more minutes of overtime a day",
                     "staff work {d} fewer minutes of overtime a day"),
    "staff_cost_dkk": ("staff cost rises by {d} DKK a day", "staff cost falls by {d} DKK a day"),
    "cost_per_patient_year_dkk": ("staff cost per listed patient rises by {d} DKK a year",
                                  "staff cost per listed patient falls by {d} DKK a year"),
    "cost_per_contact_dkk": ("each handled contact costs {d} DKK more",
                             "each handled contact costs {d} DKK less"),
}

#: Phrases for designs with other doctors on staff, where fewer doctor minutes are not
#: freed: the doctor is not there (:data:`sim.labels.SAME_DOCTORS_TOTALS`).
OTHER_DOCTORS_PHRASES: dict[str, tuple[str, str]] = {
    "doctor_time_min": ("doctors work {d} more minutes a day, with other doctors on staff",
                        "doctors work {d} fewer minutes a day, with other doctors on staff"),
}


#: Short names for lists ("no clear difference in ..."), without commas.
SHORT: dict[str, str] = {
    "doctor_time_min": "doctor time", "call_to_consult_wait_mean_min": "call to consultation",
    "phone_wait_mean_min": "mean phone wait", "phone_wait_p90_min": "90th-percentile phone wait",
    "abandonment_rate": "calls abandoned", "acute_same_day_rate": "same-day needs seen today",
    "tnaa_days": "third next available appointment",
    "planned_wait_mean_days": "wait for a planned appointment",
    "backlog_trend_per_week": "backlog trend", "carried_trend_per_week": "carried-over trend",
    "contacts_handled_total": "contacts handled",
    "nonphysician_consult_share": "consultations by non-doctors",
    "continuity_own_gp": "continuity with the own GP", "turned_away": "needs turned away",
    "overtime_min": "overtime", "staff_cost_dkk": "staff cost per day",
    "cost_per_patient_year_dkk": "cost per listed patient",
    "cost_per_contact_dkk": "cost per handled contact",
}


@dataclass(frozen=True)
class Effect:
    """One metric's paired difference of a design from the baseline."""

    metric: str
    diff: float
    low: float
    high: float
    baseline_mean: float
    mean: float
    #: whether the design and the baseline have the same list size: if not, a count of
    #: what arises or is done a day differs with the demand and is no better or worse
    same_demand: bool = True
    #: whether the two have the same staff: then totals a day (staff cost, overtime)
    #: are better or worse even between lists of different sizes
    same_staff: bool = False
    #: whether the two have the same doctors: if not, fewer doctor minutes are not freed
    same_doctors: bool = True

    @property
    def clear(self) -> bool:
        """The CI excludes zero (a real difference at the 95 % level)."""
        return _finite(self.low, self.high) and (self.low > 0 or self.high < 0)

    @property
    def ratio(self) -> float:
        """|difference| / CI half-width: how many half-widths from no difference."""
        half = (self.high - self.low) / 2 if _finite(self.low, self.high) else math.nan
        if not _finite(self.diff) or not half == half:
            return 0.0
        return math.inf if half == 0 and self.diff != 0 else (
            0.0 if half == 0 else abs(self.diff) / half)

    @property
    def verdict(self) -> str | None:
        """"better", "worse" or None (no clear difference, or no better direction)."""
        better = better_direction(self.metric, self.same_demand, self.same_staff,
                                  self.same_doctors)
        if not self.clear or better is None:
            return None
        up = self.low > 0
        return "better" if up == (better == "max") else "worse"


def _finite(*values: float) -> bool:
    return all(v is not None and isinstance(v, (int, float)) and math.isfinite(v)
               for v in values)


def digits_for(largest: float) -> int:
    """Decimals for figures up to ``largest`` in a sentence: whole numbers from 10 on
    ("41 [35, 47] minutes"), one decimal from 1, two below."""
    return 0 if largest >= 10 else 1 if largest >= 1 else 2


def number(value: float, metric: str) -> str:
    """A value in the metric's unit with sensible digits (shares in %)."""
    scale = metric_info(metric)[2]
    return f"{value * scale:,.{digits_for(abs(value * scale))}f}"


def size_with_ci(effect: Effect) -> str:
    """'41 [35, 47]': the size of a clear effect and its CI, as positive numbers."""
    sign = 1.0 if effect.diff >= 0 else -1.0
    low, high = sorted((sign * effect.low, sign * effect.high))
    scale = metric_info(effect.metric)[2]
    largest = max(abs(effect.diff), abs(low), abs(high)) * scale
    fmt = f",.{digits_for(largest)}f"
    return (f"{abs(effect.diff) * scale:{fmt}} [{low * scale:{fmt}}, {high * scale:{fmt}}]")


def phrase(effect: Effect) -> str:
    """The effect in words: direction, size and CI."""
    up = effect.diff > 0
    phrases = PHRASES if effect.same_doctors else {**PHRASES, **OTHER_DOCTORS_PHRASES}
    if effect.metric in phrases:
        return phrases[effect.metric][0 if up else 1].format(d=size_with_ci(effect))
    label, unit, _scale, _better = metric_info(effect.metric)
    unit = "percentage points" if unit == "%" else unit
    return (f"{label.lower()} is {size_with_ci(effect)} {unit} {'higher' if up else 'lower'}"
            ).replace("  ", " ")


def label_of(metric: str) -> str:
    return SHORT.get(metric) or metric_info(metric)[0].split(" (")[0].lower()


def effects(summary: pd.DataFrame, point: int, baseline: int,
            metrics: Sequence[str] = KEY_METRICS, same_demand: bool = True,
            same_staff: bool = False, same_doctors: bool = True) -> list[Effect]:
    """The effects of ``point`` against ``baseline`` over ``metrics`` (whole-practice rows:
    no role, activity or weekday), clearest first; ``same_demand``, ``same_staff``,
    ``same_doctors``: whether both have the same list size, staff and doctors (see
    :attr:`Effect.same_demand`)."""
    mine = beside_baseline(_overall(summary), point, baseline, ["metric"]).set_index("metric")
    out = []
    for metric in metrics:
        if metric not in mine.index:
            continue
        r = mine.loc[metric]
        if not _finite(r["diff_mean"]) or not _finite(r["base_mean"]):
            continue
        out.append(Effect(metric, float(r["diff_mean"]), float(r["diff_ci_low"]),
                          float(r["diff_ci_high"]), float(r["base_mean"]),
                          float(r["mean"]), same_demand, same_staff, same_doctors))
    return sorted(out, key=lambda e: -e.ratio)


def _overall(summary: pd.DataFrame) -> pd.DataFrame:
    keep = summary["role"].isna() & summary["activity"].isna()
    if "weekday" in summary:
        keep &= summary["weekday"].isna()
    return summary[keep]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def list_sentence(lists: tuple[int, int] | None, same_staff: bool = False) -> str:
    """What a design's other list size means for reading its differences ("" when the
    design and the baseline have the same list); ``same_staff``: whether they have the
    same staff."""
    if lists is None or lists[0] == lists[1]:
        return ""
    mine, base = lists
    if same_staff:
        return (f"Its list is {mine:,} patients against {base:,} with the same staff: a "
                "longer list brings more calls and contacts, so counts a day and doctors' "
                "working time are not called better or worse; the same people's staff cost "
                "and overtime a day, waits, shares and figures per contact or per listed "
                "patient are.")
    return (f"Its list is {mine:,} patients against {base:,}: a longer list brings more "
            "calls and contacts and needs more staff, so counts and totals a day (staff "
            "cost, doctor time, overtime) are not called better or worse; waits, shares and "
            "figures per contact or per listed patient compare like with like.")


#: Waits measured over the needs that found a slot: shorter with more needs turned away,
#: as a shorter horizon turns away the reviews due beyond it.
BOOKED_WAITS = frozenset({"tnaa_days", "requested_wait_mean_days", "planned_wait_mean_days",
                          "planned_wait_p90_days"})


def turned_away_note(found: Sequence[Effect]) -> str:
    """A caveat where a design clearly gains on appointment waits or doctor time while
    clearly more needs find no slot: the waits count only needs that were booked, and the
    doctor minutes it frees include the consultations no longer given, so part of the
    gain is care no longer booked ('' otherwise)."""
    shorter = any(e.metric in BOOKED_WAITS and e.clear and e.diff < 0 for e in found)
    frees = any(e.metric == "doctor_time_min" and e.clear and e.diff < 0 and e.same_doctors
                for e in found)
    more = next((e for e in found if e.metric == "turned_away" and e.clear and e.diff > 0),
                None)
    if not (shorter or frees) or more is None:
        return ""
    said = ", and ".join(
        text for text, holds in (
            ("its shorter waits for appointments count only the needs that found a slot",
             shorter),
            ("the doctor minutes it frees include consultations no longer given", frees))
        if holds)
    return (f"{said[0].upper()}{said[1:]}: {size_with_ci(more)} more planned needs a day find "
            "none, so part of the gain is care no longer booked.")


def design_paragraph(found: Iterable[Effect], name: str, baseline_name: str,
                     lists: tuple[int, int] | None = None, same_staff: bool = False) -> str:
    """One design against the baseline, in sentences a practice manager reads;
    ``lists``: the design's and the baseline's list sizes; ``same_staff``: whether they
    have the same staff."""
    found = list(found)
    # counts that differ only with the list size come after the effects with a verdict
    clear = sorted((e for e in found if e.clear),
                   key=lambda e: not e.same_demand and scales_with_list(e.metric,
                                                                        e.same_staff))
    unclear = [e for e in found if not e.clear]
    named = clear[:MAX_EFFECTS_NAMED]
    groups = {"better": [], "worse": [], None: []}
    for e in named:
        groups[e.verdict].append(phrase(e))
    lines = [f"{name} against {baseline_name}:"]
    other_list = list_sentence(lists, same_staff)
    if other_list:
        lines.append(other_list)
    if groups["better"]:
        lines.append(f"Better: {_join(groups['better'])}.")
    if groups["worse"]:
        lines.append(f"Worse: {_join(groups['worse'])}.")
    if groups[None]:
        lines.append(f"Also: {_join(groups[None])}.")
    caveat = turned_away_note(found)
    if caveat:
        lines.append(caveat)
    measured = [e for e in unclear if _finite(e.low, e.high)]
    if not clear and (measured or not unclear):  # (with one run, no interval says it)
        lines.append(f"{'N' if other_list else 'n'}o difference is clear at the 95 % level.")
    elif len(clear) > len(named):
        more = len(clear) - len(named)
        lines.append(f"({more} more clear difference{'s' if more != 1 else ''} among the key "
                     "figures; the table has every figure.)")
    no_interval = [e for e in unclear if not _finite(e.low, e.high)]  # one run: no CI
    if measured:
        lines.append("No clear difference (the 95 % CI includes zero) in "
                     + ", ".join(label_of(e.metric) for e in measured) + ".")
    if no_interval:
        lines.append("No confidence interval (one run gives none), so no difference is "
                     "called clear, in " + ", ".join(label_of(e.metric) for e in no_interval)
                     + ".")
    return " ".join(lines)


def comparison_conclusion(summary: pd.DataFrame, names: dict[int, str], baseline: int,
                          metrics: Sequence[str] = KEY_METRICS,
                          list_sizes: Mapping[int, int] | None = None,
                          staffing: Mapping[int, str] | None = None) -> list[str]:
    """One paragraph per design, each against the baseline (a comparison or a sweep);
    ``summary`` has the layout of :class:`sim.experiment.stats.PointSummary`'s table;
    ``list_sizes``, each design's list size where they may differ; ``staffing``, each
    design's staffing (:meth:`sim.scenario.schema.Scenario.staffing`)."""
    points = [p for p in sorted(names) if p != baseline]
    paragraphs = []
    for p in points:
        lists = ((list_sizes[p], list_sizes[baseline])
                 if list_sizes and p in list_sizes and baseline in list_sizes else None)
        same, staff = same_list(list_sizes, p, baseline), same_staff(staffing, p, baseline)
        doctors = same_doctors(staffing, p, baseline)
        paragraphs.append(design_paragraph(effects(summary, p, baseline, metrics, same, staff,
                                                   doctors),
                                           names[p], names[baseline], lists, staff))
    paragraphs.append("Each figure is a mean per working day (or per contact) with its "
                      "95 % confidence interval; differences are paired run by run under "
                      "common random numbers (" + same_patients(list_sizes) + ").")
    return paragraphs


def same_patients(list_sizes: Mapping[int, int] | None) -> str:
    """Who faces the same patients under common random numbers, in a few words."""
    if one_list(list_sizes):
        return "the same patients in every design"
    return ("the same patients in designs with the same list size; a design with another "
            "list size meets the demand of its own list")


def _value(rows: pd.DataFrame, metric: str) -> tuple[float, float, float] | None:
    if metric not in rows.index:
        return None
    r = rows.loc[metric]
    return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])


def with_ci(rows: pd.DataFrame, metric: str) -> str | None:
    """'1.7 [1.5, 1.9]': a mean and its CI in the metric's unit (shares in %)."""
    found = _value(rows, metric)
    if found is None or not _finite(found[0]):
        return None
    mean, low, high = found
    scale = metric_info(metric)[2]
    digits = digits_for(max(abs(v * scale) for v in found if _finite(v)))
    text = f"{mean * scale:,.{digits}f}"
    if _finite(low, high):
        text += f" [{low * scale:,.{digits}f}, {high * scale:,.{digits}f}]"
    return text


def run_conclusion(summary: pd.DataFrame, scenario=None) -> list[str]:
    """What one scenario's figures say, in sentences, each figure with its 95 % CI; a
    trend is called a trend only when its CI excludes zero."""
    from sim.explain import patience_sentences

    rows = _overall(summary).set_index("metric")
    out = []
    calls, wait, p90 = (with_ci(rows, m) for m in ("calls_offered", "phone_wait_mean_min",
                                                  "phone_wait_p90_min"))
    abandoned = with_ci(rows, "abandonment_rate")
    if calls and wait:
        text = (f"On an average working day {calls} calls ring in (redials included); those "
                f"answered wait {wait} minutes on average")
        text += f", and nine in ten of them at most {p90} minutes" if p90 else ""
        text += "."
        if abandoned:
            text += (f" {abandoned} % of calls end with the caller hanging up: the wait "
                     "above counts answered calls only, and a caller hangs up when the wait "
                     "exceeds their patience, a setting of the scenario.")
        out.append(text)
        if scenario is not None and abandoned:
            out += patience_sentences(scenario)
    same_day, c2c = with_ci(rows, "acute_same_day_rate"), with_ci(
        rows, "call_to_consult_wait_mean_min")
    if same_day:
        text = f"{same_day} % of same-day needs are seen the same day"
        text += (f"; callers seen that day wait {c2c} minutes from their call to the "
                 "consultation." if c2c else ".")
        out.append(text)
    trend = _value(rows, "backlog_trend_per_week")
    backlog = with_ci(rows, "backlog_planned")
    if trend is not None and backlog and _finite(*trend):
        mean, low, high = trend
        size = with_ci(rows, "backlog_trend_per_week")
        if low > 0:
            out.append(f"The appointment book is filling up: {backlog} appointments are booked "
                       f"ahead, growing by {size} a week, so waits for planned care would "
                       "keep lengthening.")
        elif high < 0:
            shrink = size_with_ci(Effect("backlog_trend_per_week", mean, low, high, 0.0, mean))
            out.append(f"The appointment book is emptying: {backlog} appointments booked "
                       f"ahead, shrinking by {shrink} a week.")
        else:
            out.append(f"The appointment book holds {backlog} appointments booked ahead with "
                       f"no clear trend over the run ({size} a week; the CI includes zero).")
    piling = _value(rows, "carried_trend_per_week")
    carried = with_ci(rows, "contacts_carried_over")
    if piling is not None and carried and _finite(*piling) and piling[1] > 0:
        out.append(f"Work is piling up: {carried} patients and inbox items a day are carried "
                   f"to the next day, growing by {with_ci(rows, 'carried_trend_per_week')} a "
                   "week: the staff do not keep up with their inbox and patients, which the "
                   "appointment book's trend does not show.")
    overtime, cost = with_ci(rows, "overtime_min"), with_ci(rows, "staff_cost_dkk")
    if overtime and cost:
        per_patient = with_ci(rows, "cost_per_patient_year_dkk")
        out.append(f"Staff work {overtime} minutes of overtime a day in total; staff cost is "
                   f"{cost} DKK a day" + (f" ({per_patient} DKK per listed patient a year)."
                                          if per_patient else "."))
        if scenario is not None:  # overtime the inputs make before any run
            from sim.slot_fit import slot_note

            late = slot_note(scenario)
            if late:
                out.append(late)
    out.append("Figures are means per working day (or per contact) with 95 % confidence "
               "intervals across independent runs.")
    return out


__all__ = ["run_conclusion", "with_ci", "Effect", "KEY_METRICS", "MAX_EFFECTS_NAMED", "PHRASES", "comparison_conclusion",
           "design_paragraph", "effects", "list_sentence", "phrase", "same_patients",
           "size_with_ci"]
