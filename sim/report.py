"""Human-readable summaries of results (text for the terminal, JSON rows for tools)."""
from __future__ import annotations

import json
import math
import textwrap
from typing import Iterable

import pandas as pd

from sim.estimators import MIN_RUNS_FOR_INTERVALS
from sim.labels import metric_info, with_unit
from sim.scenario.schema import ACTIVITIES, WEEKDAYS

#: Headline metrics and the digits to show, in the order a consultant reads them; names
#: and units come from :mod:`sim.labels`.
HEADLINES: dict[str, list[tuple[str, int]]] = {
    "Access by phone": [("calls_offered", 1), ("calls_answered", 1), ("calls_retried", 1),
                        ("abandonment_rate", 1), ("callers_gave_up_rate", 1),
                        ("phone_wait_mean_min", 2),
                        ("phone_wait_p90_min", 2), ("phone_wait_all_mean_min", 2)],
    "Same-day access": [("acute_same_day_rate", 1), ("acute_same_day_in_hours_rate", 1),
                        ("call_to_consult_wait_mean_min", 1)],
    "Access over weeks": [("tnaa_days", 1), ("planned_slots_booked_ahead", 1),
                          ("requested_wait_mean_days", 1), ("planned_wait_mean_days", 1),
                          ("planned_wait_p90_days", 1), ("backlog_planned", 0),
                          ("backlog_trend_per_week", 1), ("turned_away", 1),
                          ("continuity_own_gp", 1)],
    "Throughput": [("contacts_arisen", 1), ("contacts_handled_total", 1),
                   ("outcome_consulted", 1), ("nonphysician_consult_share", 1),
                   ("doctor_min_per_contact", 2), ("contacts_carried_over", 1),
                   ("carried_trend_per_week", 1),
                   ("overtime_min", 1)],
    "Cost": [("staff_cost_dkk", 0), ("cost_per_contact_dkk", 1),
             ("cost_per_patient_year_dkk", 0)],
}
#: Headline metrics given by role, shown one line per role after their section's rows
#: (only where the scenario has them: a fixed nurse's continuity).
ROLE_HEADLINES: dict[str, list[tuple[str, int]]] = {
    "Access over weeks": [("tnaa_days", 1), ("planned_slots_booked_ahead", 1),
                          ("continuity_own_clinician", 1)],
}


def role_rows(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``metric``'s rows by role (no activity), in role order: the lines of a
    :data:`ROLE_HEADLINES` figure."""
    rows = summary[(summary["metric"] == metric) & summary["role"].notna()
                   & summary["activity"].isna()]
    return rows.sort_values("role")


def shown(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` as it will be printed, a tiny negative as 0.0 (never
    -0.0)."""
    return round(value, digits) + 0.0


def _fmt(value: float | None, scale: float, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{shown(scale * value, digits):,.{digits}f}"


#: Characters of a figure's label in the terminal summary.
LABEL = 56
#: Figures shown by weekday, with their digits.
WEEKDAY_FIGURES = (("calls_offered", 0), ("abandonment_rate", 0), ("acute_same_day_rate", 0),
                   ("tnaa_days", 1), ("planned_slots_booked_ahead", 0), ("backlog_planned", 0),
                   ("overtime_min", 0))


def few_runs_note(runs: int, more: str, per: str = "", one_run: str = "") -> str:
    """The note under figures of ``runs`` runs (``per``: " per point"), where they are too
    few to rely on ('' where they are not): one run has no interval at all (``one_run``
    says what follows from that). ``more`` is how to ask for more runs (``-r 10``)."""
    if runs == 1:
        return (f"Note: one run{per} gives no confidence intervals (they come from the "
                f"spread between runs){one_run}; use {more} or more.")
    if 1 < runs < MIN_RUNS_FOR_INTERVALS:
        return (f"Note: with {runs} runs{per} the intervals are rough; use {more} or more "
                "before relying on them.")
    return ""


def short_warmup_note(warmups: Iterable[tuple[int | None, int]], more: str) -> str:
    """The note under figures measured after fewer warm-up weeks than their scenario sets
    ('' where they are not): a run starts with an empty book, so a short warm-up measures
    a book still filling, and its trend reads the filling as growth. ``warmups``: each
    design's (weeks of warm-up run, weeks its scenario sets); ``more`` says how to ask for
    the scenario's own warm-up, given its weeks (``--warmup-weeks {}``)."""
    short = [(ran, own) for ran, own in warmups if ran is not None and ran < own]
    if not short:
        return ""
    warmup_weeks, own = min(ran for ran, _ in short), max(own for _, own in short)
    return (f"Note: {warmup_weeks} week{'s' if warmup_weeks != 1 else ''} of warm-up, fewer "
            f"than the {own} the scenario sets: the appointment book may still be filling "
            "as the measured weeks begin, and a book that seems to grow may only be filling; "
            f"use {more.format(own)}.")


def text_summary(summary: pd.DataFrame, title: str, seed: int, replications: int,
                 weeks: int | None = None, warmup_weeks: int | None = None,
                 scenario_warmup_weeks: int = 0) -> str:
    """The summary a consultant reads after ``clinicsim run``; ``scenario_warmup_weeks``,
    the warm-up its scenario sets, for the note on a shorter one."""
    runs = f"{replications} run{'s' if replications != 1 else ''}"
    if weeks is not None:
        runs += f" of {weeks} week{'s' if weeks != 1 else ''}"
        if warmup_weeks:
            runs += f" (after {warmup_weeks} week{'s' if warmup_weeks != 1 else ''} of warm-up)"
    lines = [title, f"{runs}, seed {seed}. Per working day, or per contact where it says so; "
             "95 % confidence intervals across runs."]
    for note in (few_runs_note(replications, f"-r {MIN_RUNS_FOR_INTERVALS}"),
                 short_warmup_note([(warmup_weeks, scenario_warmup_weeks)],
                                   "--warmup-weeks {}")):
        if note:
            lines.append(note)
    lines.append("")
    whole = summary[summary["weekday"].isna()] if "weekday" in summary else summary
    overall = whole[whole["role"].isna() & whole["activity"].isna()].set_index("metric")

    def line(label: str, r, unit: str, scale: float, digits: int) -> str:
        ci = (f"[{_fmt(r.ci_low, scale, digits)}, {_fmt(r.ci_high, scale, digits)}]"
              if not math.isnan(r.ci_low) else "")
        return "\n".join(_labelled(label, f" {_fmt(r['mean'], scale, digits):>10} "
                                          f"{unit:<12} {ci}"))

    for section, rows in HEADLINES.items():
        lines.append(section)
        for metric, digits in rows:
            if metric not in overall.index:
                continue
            label, unit, scale, _better = metric_info(metric)
            lines.append(line(label, overall.loc[metric], unit, scale, digits))
        for metric, digits in ROLE_HEADLINES.get(section, []):
            label, unit, scale, _better = metric_info(metric)
            for _, r in role_rows(whole, metric).iterrows():
                lines.append(line(f"{label}: {r['role']}", r, unit, scale, digits))
        lines.append("")
    lines += _weekday_table(summary)
    lines.append("Staff time use, minutes per day (all people in the role; means)")
    time = whole[whole["metric"] == "time_use_min"]
    if not time.empty:
        table = time.pivot(index="role", columns="activity", values="mean").reindex(
            columns=list(ACTIVITIES)).fillna(0.0)
        util = whole[whole["metric"] == "utilisation"].set_index("role")["mean"].fillna(0.0)
        over = whole[(whole["metric"] == "overtime_min") & whole["role"].notna()
                     ].set_index("role")["mean"]
        lines += _activity_header(list(table.columns))
        for role, row in table.iterrows():
            cells = "".join(f"{v:>{ACTIVITY_COLUMN}.0f}" for v in row.tolist())
            lines.append(f"  {role:<12}{cells}{over.get(role, 0.0):>10.1f}"
                         f"{100 * util.get(role, 0.0):>9.0f}%")
    return "\n".join(lines)


def _labelled(label: str, figures: str) -> list[str]:
    """A figure's lines: its label in lines of at most :data:`LABEL` characters, split
    between words (a label is never cut; a role's name, set by the scenario, can make one
    long), and ``figures`` after the last."""
    *before, last = textwrap.wrap(label, LABEL, break_on_hyphens=False) or [""]
    return [f"  {part}" for part in before] + [f"  {last:<{LABEL}}{figures}"]


#: Width of a column of the staff time-use table.
ACTIVITY_COLUMN = 12


def _activity_header(activities: list[str]) -> list[str]:
    """The staff table's header: each activity's name whole, on two lines where it has two
    words ("being" over "supervised"), so no name is cut to the column's width."""
    words = [a.split("_", 1) for a in activities]
    top = "".join(f"{w[0] if len(w) > 1 else '':>{ACTIVITY_COLUMN}}" for w in words)
    bottom = "".join(f"{w[-1]:>{ACTIVITY_COLUMN}}" for w in words)
    lines = [f"  {'':<12}{top}", f"  {'role':<12}{bottom}{'overtime':>10}{'utilised':>10}"]
    return lines if top.strip() else lines[1:]


def _weekday_table(summary: pd.DataFrame) -> list[str]:
    """Key figures by weekday (means), for the Monday peak."""
    if "weekday" not in summary or summary["weekday"].isna().all():
        return []
    part = summary[summary["weekday"].notna() & summary["role"].isna()]
    days = [d for d in WEEKDAYS if d in set(part["weekday"])]
    lines = ["By weekday (means)", "  " + f"{'':<{LABEL}}" + "".join(f"{d:>8}" for d in days)]
    for metric, digits in WEEKDAY_FIGURES:
        rows = part[part["metric"] == metric].set_index("weekday")["mean"]
        if rows.empty:
            continue
        label, unit, scale, _better = metric_info(metric)
        cells = "".join(f"{_fmt(rows.get(d), scale, digits):>8}" for d in days)
        lines += _labelled(with_unit(label, unit), cells)
    return lines + [""]


def json_rows(summary: pd.DataFrame) -> str:
    """The summary as a JSON array of tidy rows (stable order, NaN as null)."""
    def clean(v):
        if v is None:
            return None
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    rows = [
        {"metric": r.metric, "role": clean(r.role), "activity": clean(r.activity),
         "weekday": clean(r.weekday), "mean": clean(float(r.mean)),
         "ci_low": clean(float(r.ci_low)),
         "ci_high": clean(float(r.ci_high)),
         "replications": int(r.replications)}
        for r in summary.itertuples(index=False)
    ]
    return json.dumps(rows, indent=1)


def sweep_runs(summary: pd.DataFrame, names: dict[int, str], stopping=None) -> list[str]:
    """Lines on the runs behind each point: with a stopping rule, how many each point took
    and whether its precision goals were met or it stopped at the maximum; without one, a
    note where the runs are too few for the intervals to be relied on."""
    from sim.experiment.sweep import precision_misses

    runs = summary.groupby("point")["replications"].max().to_dict()
    if stopping is None:
        note = few_runs_note(min(runs.values(), default=0),
                             f"replications: {MIN_RUNS_FOR_INTERVALS}", per=" per point")
        return [note, ""] if note else []
    goals = "; ".join(f"{m} ±{g:g}" for m, g in stopping.half_widths.items())
    lines = [f"Stopping rule: runs added until the 95 % CI half-widths are at most {goals}, "
             f"up to {stopping.max_replications} runs a point."]
    for point, name in names.items():
        misses = precision_misses(summary, point, stopping.half_widths)
        verdict = ("goals met" if not misses else
                   "goals not met, stopped at the maximum: " + ", ".join(
                       f"{m} ±{h:.3g}" for m, h in misses.items()))
        lines.append(f"  [{point}] {name}: {runs.get(point, 0)} runs, {verdict}")
    return lines + [""]


def sweep_summary(summary: pd.DataFrame, baseline: int, out: str,
                  everything: bool = False, list_sizes: dict[int, int] | None = None,
                  stopping=None, staffing: dict[int, str] | None = None) -> str:
    """A sweep's terminal summary: the runs behind each point, the conclusion, then each
    design point's paired differences from the baseline, largest effects relative to their
    uncertainty first (so the largest real effect is never left out); ``list_sizes`` and
    ``staffing``: each point's list size and staffing, where they may differ."""
    import textwrap

    from sim.compare import difference_table
    from sim.conclusion import comparison_conclusion
    from sim.labels import same_doctors, same_list, same_staff

    names = summary.drop_duplicates("point").set_index("point")["name"].to_dict()
    letters = {p: f"[{p}]" for p in names}
    lines = [f"Results in {out} (results/*.parquet, summary.csv; clinicsim report {out} -o "
             "sweep.html). Means [95 % CI]; differences are paired against the baseline "
             f"[{baseline}] {names.get(baseline, baseline)!s} (common random numbers).", "",
             *sweep_runs(summary, names, stopping), "What the figures say"]
    for paragraph in comparison_conclusion(summary, names, baseline, list_sizes=list_sizes,
                                           staffing=staffing):
        lines += textwrap.wrap(paragraph, 92, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    for point, name in names.items():
        if point == baseline:
            continue
        lines.append(f"[{point}] {name} against [{baseline}]")
        lines += difference_table(summary, point, baseline, letters, everything,
                                  same_list(list_sizes, point, baseline),
                                  same_staff(staffing, point, baseline),
                                  same_doctors(staffing, point, baseline))
        lines.append("")
    return "\n".join(lines).rstrip()
