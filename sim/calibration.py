"""Calibration report: the figures the sources state, next to the model's own figures.

The checks live in ``models/calibration/targets.yaml`` and what each case's narrative says
in ``models/calibration/recognisability.yaml``; the model never reads either. Each target
names a kind of figure (see targets.yaml): a ratio whose numerator and denominator are
summed over a run's measured days (all working time of the run, all its consultations,
...), then pooled over independent runs with a 95 % confidence interval. Figures a source
states about demand are inputs of their case, not checks, and are listed as such.

The recognisability table sets, for every case, the figures a consultant knows a practice
by (GP and nurse utilisation, consultations per GP a day, the share seen by non-doctors,
abandonment, the routine wait, continuity) next to what its narrative says.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import pandas as pd

import numpy as np

from sim.engine import CompiledScenario, collector_paused, simulate_run
from sim.engine.contacts import REQUESTED
from sim.engine.records import DayRecords
from sim.progress import tick
from sim.estimators import RatioSums, intervals
from sim.experiment.replications import run_calendar
from sim.metrics import HANDLED, SEEN, WORKING
from sim.phone_load import busiest_phone_hour, load_sentence, week_of, week_sentence
from sim.report import shown
from sim.scenario import load_scenario, models_dir, read_yaml_mapping
from sim.scenario.schema import ACTIVITIES, Scenario, parse_clock

#: All time present for this practice: every activity but breaks and work for another.
PRESENT = tuple(a for a in ACTIVITIES if a not in ("break", "other_practice"))

#: The practice cases of seed 003, by number (their files are ``caseNN`` in models/cases).
CASES = range(1, 18)
#: Tasks in which a clinician serves a patient in person.
PATIENT_TASKS = ("consult", "home_visit", "outreach")


def _activities(spec: Any) -> tuple[str, ...]:
    if spec == "working":
        return WORKING
    if spec == "present":
        return PRESENT
    return tuple(spec)


def _roles(records: DayRecords, spec: Any) -> set[str]:
    return {row[2] for row in records.staff} if spec == "all" else set(spec)


def _staff_rows(records: DayRecords, t: dict) -> list[tuple]:
    """The day's staff rows the target is about: its roles, and its staff groups if given."""
    roles = _roles(records, t.get("roles", "all"))
    groups = set(t["staff"]) if t.get("staff") else None
    return [row for row in records.staff
            if row[2] in roles and (groups is None or row[1] in groups)]


Ratio = tuple[float, float]


def _time_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    minutes: dict[str, float] = defaultdict(float)
    for row in _staff_rows(records, t):
        for activity, m in row[7].items():
            minutes[activity] += m
    return (sum(minutes[a] for a in _activities(t["numerator"])),
            sum(minutes[a] for a in _activities(t["denominator"])))


def _consult_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    role_of = [row[2] for row in records.staff]
    consults = [role_of[w] for w, kind, *_ in records.tasks if kind == "consult"]
    return sum(r in set(t["roles"]) for r in consults), len(consults)


def _patient_contacts(records: DayRecords, s: Scenario, t: dict | None = None
                      ) -> list[tuple]:
    """Handled patient contacts, less the types the target's source does not count as
    contacts (``not_counted``: Statistics Denmark leaves out prescription renewals)."""
    skip = set((t or {}).get("not_counted") or ())
    return [c for c in records.contacts
            if c[6] in HANDLED and s.contact_types[c[2]].patient_contact
            and c[2] not in skip]


def _type_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    handled = _patient_contacts(records, s)
    return sum(c[2] in set(t["types"]) for c in handled), len(handled)


def _type_time_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Minutes ``roles`` spend serving contacts of ``types``, or with ``types: same_day``
    serving same-day needs of any type (the day's acute slots, squeezed-in and walk-in
    patients, home visits), over ``denominator``."""
    roles = _roles(records, t.get("roles", "all"))
    if t["types"] == "same_day":
        chosen = {c[0] for c in records.contacts if c[11]}
    else:
        types = set(t["types"])
        chosen = {c[0] for c in records.contacts if c[2] in types}
    role_of = [row[2] for row in records.staff]
    served = [(cid in chosen, t1 - t0) for w, kind, cid, t0, t1 in records.tasks
              if kind in PATIENT_TASKS and role_of[w] in roles]
    numerator = sum(m for is_chosen, m in served if is_chosen)
    if t["denominator"] == "consult_time":
        return numerator, sum(m for _, m in served)
    within = _activities(t["denominator"])
    total = sum(m for row in records.staff if row[2] in roles
                for a, m in row[7].items() if a in within)
    return numerator, total


def _patient_time_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Minutes serving complex (morbid) patients over all minutes serving patients."""
    roles = _roles(records, t.get("roles", "all"))
    complex_of = {c[0]: c[14] for c in records.contacts}
    role_of = [row[2] for row in records.staff]
    served = [(complex_of.get(cid, False), t1 - t0) for w, kind, cid, t0, t1 in records.tasks
              if kind in PATIENT_TASKS and role_of[w] in roles]
    return sum(m for is_complex, m in served if is_complex), sum(m for _, m in served)


def _planned_wait_days(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Working days from a patient's request to their appointment, over the bookings they
    asked for that day: with those of ``roles`` only, if given (a wait "with the doctor");
    with ``same_day``, the same-day needs seen as consultations that day count too, at
    0 days (a wait "for a consultation", same-day ones included)."""
    sources = set(t.get("sources") or REQUESTED)
    roles = set(t["roles"]) if t.get("roles") else None
    waits = [b[4] - b[3] for b in records.bookings
             if b[1] in sources and (roles is None or b[7] in roles)]
    seen_today = 0
    if t.get("same_day"):
        consulted = {c[0] for c in records.contacts if c[6] == "consulted"
                     and (roles is None or c[9] in roles)}
        seen_today = sum(1 for cid, seen, _ in records.same_day if seen and cid in consulted)
    return float(sum(waits)), float(len(waits) + seen_today)


def _gps_present(records: DayRecords, s: Scenario) -> int:
    return sum(1 for row in records.staff
               if s.roles[row[2]].doctor and not s.roles[row[2]].in_training)


def _contacts_per_patient_year(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Handled patient contacts a day, as a yearly rate per listed patient (per day: the
    denominator counts days)."""
    handled = len(_patient_contacts(records, s, t))
    if not s.population.list_size:
        return 0.0, 0.0
    return handled * s.clinic.working_days_per_year / s.population.list_size, 1.0


def _contacts_per_gp_day(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    return len(_patient_contacts(records, s, t)), _gps_present(records, s)


def _face_to_face_per_gp_day(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    return sum(1 for c in records.contacts if c[6] in SEEN), _gps_present(records, s)


def _calls_answered_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Rings of the phone in ``window`` (first rings and redials alike, as D13 counts calls)
    that reached a person, over all rings in it."""
    start, end = (parse_clock(x) for x in t["window"])
    rung = [c for c in records.calls if start <= c[1] < end]
    return float(sum(1 for c in rung if c[2] == c[2])), float(len(rung))


#: Each kind of figure as (numerator, denominator) of one day; a run's figure is the sum of
#: numerators over the sum of denominators of its measured days.
FIGURES: dict[str, Callable[[DayRecords, Scenario, dict], Ratio]] = {
    "time_share": _time_share,
    "consult_share": _consult_share,
    "type_share": _type_share,
    "type_time_share": _type_time_share,
    "patient_time_share": _patient_time_share,
    "planned_wait_days": _planned_wait_days,
    "contacts_per_patient_year": _contacts_per_patient_year,
    "contacts_per_gp_day": _contacts_per_gp_day,
    "face_to_face_per_gp_day": _face_to_face_per_gp_day,
    "calls_answered_share": _calls_answered_share,
}

#: What each kind of figure rests on in the model, for reading a verdict.
DEPENDS_ON = {
    "time_share": "staff day plans, routing by delegation, question rates (T11, T12) and demand",
    "consult_share": "delegation routes, staff present and planned/acute slot templates",
    "type_share": "the demand mix by contact type in base.yaml (assumptions) and the case's overrides",
    "type_time_share": "demand mix, routes and durations by role (T1, T5, T7, T8, assumptions)",
    "patient_time_share": "the share morbid of the fact box, their contact rate (D8), complex routes and durations",
    "planned_wait_days": "planned demand against the slots of the week's roster, the booking rule and horizon",
    "contacts_per_patient_year": "demand rates (D3, D9 split) and patient-mix factor (D6, D8), less unhandled contacts",
    "contacts_per_gp_day": "demand for the case's list size divided by the GPs present over the week",
    "face_to_face_per_gp_day": "consultations and visits the staff complete, divided by the GPs present over the week",
    "calls_answered_share": "calls against the people on the phone and their triage time (T5), callers' patience (P2) and redials (assumptions), a triager's hold for a doctor's answer (`supervision.call_hold`, an assumption)",
}


def load_targets(path: Path | None = None) -> dict:
    return read_yaml_mapping(path or models_dir() / "calibration" / "targets.yaml")


def verdict(mean: float, low_ci: float, high_ci: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "no figure (undefined in the model)"
    if low <= mean <= high:
        return "within the stated range"
    overlaps = not (math.isnan(low_ci) or high_ci < low or low_ci > high)
    side = "below" if mean < low else "above"
    return f"borderline: mean {side}, CI overlaps" if overlaps else f"outside: model {side}"


#: Whether a kind of figure is a share (0-1) or a rate (never negative), for its interval.
BOUNDS = {"contacts_per_patient_year": "nonnegative", "contacts_per_gp_day": "nonnegative",
          "face_to_face_per_gp_day": "nonnegative", "planned_wait_days": "nonnegative",
          "_gp_consultations": "nonnegative"}
#: Kinds read as numbers (not shares) in the report.
RATES = ("contacts_per_patient_year", "contacts_per_gp_day", "face_to_face_per_gp_day",
         "planned_wait_days")


def _gp_consultations(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Consultations and visits by GPs (doctors not in training) over GP-days present."""
    gp = [bool(s.roles[row[2]].doctor and not s.roles[row[2]].in_training)
          for row in records.staff]
    seen = sum(1 for w, kind, *_ in records.tasks if kind in PATIENT_TASKS and gp[w])
    return float(seen), float(sum(gp))


#: The recognisability table's columns: (key, label, metric of a run's summary and its role,
#: or a figure computed here, and whether it is a share).
COLUMNS: tuple[tuple[str, str, tuple, bool], ...] = (
    ("gp_busy", "GP utilisation", ("utilisation", "gp"), True),
    ("nurse_busy", "nurse utilisation", ("utilisation", "nurse"), True),
    ("consultations_per_gp_day", "consultations per GP a day", ("figure", "gp_consultations"),
     False),
    ("nonphysician_share", "consultations by non-doctors",
     ("nonphysician_consult_share", None), True),
    ("phone_access", "calls abandoned", ("abandonment_rate", None), True),
    ("callers_lost", "callers who never got through", ("callers_gave_up_rate", None), True),
    ("tnaa", "GP third next available (working days)", ("tnaa_days", None), False),
    ("gp_calendar", "GP planned slots booked as the day begins",
     ("planned_slots_booked_ahead", "gp"), True),
    ("planned_wait", "wait for a requested appointment (working days)",
     ("figure", "planned_wait"), False),
    ("continuity", "GP visits with own GP", ("continuity_own_gp", None), True),
    ("carried_trend", "work carried over: growth a week", ("carried_trend_per_week", None),
     False),
)
#: Extra figures the table needs, computed like targets.
_TABLE_FIGURES = {"gp_consultations": {"kind": "_gp_consultations"},
                  "planned_wait": {"kind": "planned_wait_days"}}
#: The acceptance the cases are held to (the project's own bar): GPs busy at least this share of
#: their hours where the narrative describes full days; callers who never get through at
#: most this share unless the narrative says access is poor. The ceiling is read per
#: caller, not per ring: D13's region leaves 20-24 % of its morning rings unanswered and
#: has "personal contact on about half of calls, most after queueing or calling again",
#: so a caller who gets through on a redial is not lost to the practice.
FULL_DAYS_UTILISATION = 0.70
MOST_ABANDONED = 0.15


def _items(mean: float, low: float, high: float) -> str:
    """A weekly count and its interval, in as many decimals as the mean needs to read as
    more than nothing."""
    digits = 0 if abs(mean) >= 10 else 1 if abs(mean) >= 1 else 2
    return f"{mean:.{digits}f} items a week ({low:.{digits}f}-{high:.{digits}f})"


def load_recognisability(path: Path | None = None) -> dict:
    """What each case's narrative says (models/calibration/recognisability.yaml), by case."""
    path = path or models_dir() / "calibration" / "recognisability.yaml"
    if not path.exists():
        return {}
    return {int(k): v or {} for k, v in (read_yaml_mapping(path).get("cases") or {}).items()}


def _applies(t: dict, case: int, scenario: Scenario) -> bool:
    if t["case"] != "all":
        return int(t["case"]) == case
    degrees, regions = t.get("degrees"), t.get("regions")
    return ((degrees is None or scenario.delegation.degree in degrees)
            and (regions is None or scenario.practice.region in regions))


#: The national face-validity checks (D2, D11): a whole practice's figures set against
#: national averages, which hold for a national list (``national_inputs`` in targets.yaml).
NATIONAL = ("contacts_per_patient_year", "contacts_per_gp_day", "face_to_face_per_gp_day")
#: Simulated runs per case and replication: the case as it is, and at national inputs.
RUNS_PER_REPLICATION = 2
#: ``read_at`` of a national check: read from the runs at national inputs.
NATIONAL_LIST = "a national list"
#: Columns of a national check's figure for the case's own list (information, no verdict
#: of the report counts it).
OWN_LIST = ("own_list_mean", "own_list_ci_low", "own_list_ci_high")


def at_national_inputs(scenario: Scenario, patients_per_gp_fte: float) -> Scenario:
    """The same practice (roster, routes, durations) with the national list: this many
    listed patients per full-time GP, of the reference age and morbidity mix its rates
    describe, at those rates (a case's stated ``demand_factor`` is its own list's). Used
    only to read the national checks at the list their source states them for, never to
    set a case's inputs."""
    from sim.capacity import gp_fte

    population = scenario.population
    return scenario.model_copy(update={"population": population.model_copy(update={
        "list_size": int(round(patients_per_gp_fte * gp_fte(scenario))),
        "share_70plus": population.reference_share_70plus,
        "share_morbid": population.reference_share_morbid,
        "demand_factor": None})})


def _pooled_figures(scenario: Scenario, measured: list[dict], replications: int, seed: int,
                    weeks: int | None, warmup_weeks: int | None, stream: Any = None
                    ) -> tuple[np.ndarray, ...]:
    """Each measured figure over ``replications`` runs: (runs, mean, ci_low, ci_high), one
    entry per figure; each run's metric rows go to ``stream`` when one is given."""
    from sim.metrics import RunMetrics

    figures = {**FIGURES, "_gp_consultations": _gp_consultations}
    model = CompiledScenario(scenario)
    calendar = run_calendar(scenario, weeks, warmup_weeks)
    values = np.full((1, replications, len(measured)), np.nan)
    weights = np.zeros((1, replications, len(measured)))
    with collector_paused():
        for r in range(replications):
            sums = np.zeros((len(measured), 2))
            metrics = RunMetrics(model, calendar.weekdays) if stream is not None else None
            for records in simulate_run(model, seed, r, calendar):
                if metrics is not None:
                    metrics.add(records)
                if records.day.measured:
                    for i, t in enumerate(measured):
                        sums[i] += figures[t["kind"]](records, scenario, t)
                del records  # freed before the next day runs, as run_one frees them
            with np.errstate(invalid="ignore", divide="ignore"):
                values[0, r] = sums[:, 0] / sums[:, 1]
            weights[0, r] = sums[:, 1]
            if metrics is not None:
                stream.add_rows(r, metrics.rows())
            tick()  # a run done, for the command line's progress bar
    pooled = RatioSums(1)
    pooled.add(values, weights)
    n, mean, se = (a[0] for a in pooled.estimate())
    bounds = np.array([BOUNDS.get(t["kind"], "share") for t in measured], dtype=object)
    low_ci, high_ci = intervals(mean, se, n, bounds)
    return n, mean, low_ci, high_ci


def calibrate_all(replications: int = 10, seed: int = 1, targets: dict | None = None,
                  weeks: int | None = None, warmup_weeks: int | None = None, jobs: int = 1
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every target against the model's figure (one row per target and case), and the
    recognisability table (one row per case). Each case's runs are simulated once as the
    case stands, and once at national inputs for reading its national checks. With
    ``jobs`` above 1 the cases share that many processes; every case's runs are seeded by
    the seed and their replication alone, so the tables are the same."""
    targets = targets or load_targets()
    args = (targets, replications, seed, weeks, warmup_weeks)
    if jobs == 1:
        done = [_calibrate_case(case, *args) for case in CASES]
    else:
        from sim.workers import shared_out

        found = {}
        for i, result in shared_out(_calibrate_case, [(case, *args) for case in CASES], jobs):
            found[i] = result
            tick(result[2])  # the case's runs, for the command line's progress bar
        done = [found[i] for i in range(len(CASES))]  # in the cases' order
    return (pd.DataFrame([r for case_rows, _row, _runs in done for r in case_rows]),
            pd.DataFrame([row for _rows, row, _runs in done]))


def _calibrate_case(case: int, targets: dict, replications: int, seed: int,
                    weeks: int | None, warmup_weeks: int | None
                    ) -> tuple[list[dict], dict, int]:
    """One case's rows of the report, its row of the recognisability table, and how many
    runs it simulated."""
    from sim.capacity import gp_fte
    from sim.metrics import SummaryStream, whole_week

    per_gp = float((targets.get("national_inputs") or {}).get("patients_per_gp_fte", 0))
    rows = []
    scenario = load_scenario(f"case{case:02d}")
    case_targets = [t for t in targets["targets"] if _applies(t, case, scenario)]
    measured = case_targets + list(_TABLE_FIGURES.values())
    stream = SummaryStream()
    n, mean, low_ci, high_ci = _pooled_figures(scenario, measured, replications, seed,
                                               weeks, warmup_weeks, stream)
    national = [i for i, t in enumerate(case_targets) if t["id"] in NATIONAL]
    at_national: dict[int, tuple[float, float, float]] = {}
    if national and per_gp > 0:
        _n, nat_mean, nat_low, nat_high = _pooled_figures(
            at_national_inputs(scenario, per_gp), [case_targets[i] for i in national],
            replications, seed, weeks, warmup_weeks)
        at_national = {i: (float(nat_mean[j]), float(nat_low[j]), float(nat_high[j]))
                       for j, i in enumerate(national)}
    for i, t in enumerate(case_targets):
        own = (float(mean[i]), float(low_ci[i]), float(high_ci[i]))
        # a national check is read at the national list its source states it for;
        # the case's own list is kept beside it, as information
        checked = at_national.get(i, own)
        rows.append({
            "target": t["id"], "case": case, "scenario": scenario.name,
            "statement": t["statement"], "source": t["source"], "kind": t["kind"],
            "stated_low": t["low"], "stated_high": t["high"], "model_mean": checked[0],
            "ci_low": checked[1], "ci_high": checked[2], "replications": int(n[i]),
            "verdict": verdict(*checked, t["low"], t["high"]),
            "read_at": NATIONAL_LIST if i in at_national else "the case",
            **dict(zip(OWN_LIST, own if i in at_national else (math.nan,) * 3)),
            "own_list_verdict": (verdict(*own, t["low"], t["high"])
                                 if i in at_national else ""),
            "fitted": t["id"] in set(targets.get("fitted") or []),
            "depends_on": DEPENDS_ON[t["kind"]],
            "note": " ".join(str(t.get("note", "")).split()),
        })
    extra = {name: (mean[len(case_targets) + j], low_ci[len(case_targets) + j],
                    high_ci[len(case_targets) + j])
             for j, name in enumerate(_TABLE_FIGURES)}
    summary = whole_week(stream.table())
    fte = gp_fte(scenario)
    compiled = CompiledScenario(scenario)
    peak = busiest_phone_hour(compiled)
    week = week_of(compiled, peak) if peak else None
    row = {"case": case, "scenario": scenario.name,
           "delegation": scenario.delegation.degree,
           # inputs, for reading the calls abandoned: the busiest phone hour's load,
           # and that line's over the week
           "phone_peak_load": peak.load if peak else math.nan,
           "phone_peak": load_sentence(peak),
           "phone_week_load": week.load if week else math.nan,
           "phone_week": week_sentence(week, peak) if week else "",
           # an input, for reading the national checks: D11 has ~1,600 per full-time GP
           "patients_per_gp_fte": scenario.population.list_size / fte if fte else math.nan}
    for key, _label, (metric, role), _share in COLUMNS:
        if metric == "figure":
            found = extra[role]
        else:
            sel = summary[(summary["metric"] == metric) & summary["activity"].isna()
                          & (summary["role"].isna() if role is None
                             else summary["role"] == role)]
            found = (tuple(sel[["mean", "ci_low", "ci_high"]].iloc[0])
                     if len(sel) else (math.nan,) * 3)
        row[key], row[f"{key}_low"], row[f"{key}_high"] = (float(x) for x in found)
    runs = replications * (2 if at_national else 1)
    return rows, row, runs


def calibrate(replications: int = 10, seed: int = 1, targets: dict | None = None,
              weeks: int | None = None, warmup_weeks: int | None = None, jobs: int = 1
              ) -> pd.DataFrame:
    """Every target against the model's figure, one row per (target, case)."""
    return calibrate_all(replications, seed, targets, weeks, warmup_weeks, jobs)[0]


def _fmt(x: float, kind: str) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return f"{x:.1f}" if kind in RATES else f"{100 * x:.0f} %"


def _cell(row: pd.Series, key: str, share: bool) -> str:
    value = row[key]
    if isinstance(value, float) and math.isnan(value):
        return "-"
    scale, unit, digits = (100.0, " %", 0) if share else (1.0, "", 1)

    def text(x: float) -> str:
        return f"{shown(scale * x, digits):.{digits}f}"
    low, high = row[f"{key}_low"], row[f"{key}_high"]
    ci = f" ({text(low)}-{text(high)})" if not (math.isnan(low) or math.isnan(high)) else ""
    return f"{text(value)}{unit}{ci}"


def _table_text(text: object) -> str:
    """A narrative's words as one markdown table cell: one line (a YAML folded block ends
    in a newline, which would end the row) and no bare ``|``."""
    return " ".join(str(text).split()).replace("|", "\\|") if text else ""


def recognisability_lines(table: pd.DataFrame, narratives: dict,
                          checks: dict[tuple[int, str], float] | None = None) -> list[str]:
    """The recognisability table as markdown: each case's figures (95 % CI), each with what
    its narrative says ("not stated" where it says nothing), then the acceptance checks."""
    lines = ["## Does each practice look like itself?", "",
             "For every case, the figures a consultant knows a practice by, next to what its "
             "narrative says (`models/calibration/recognisability.yaml`; the model never "
             "reads it). Means over every measured day of every run, 95 % CI in brackets.", ""]
    for row in table.itertuples(index=False):
        r = pd.Series(row._asdict())
        says = narratives.get(int(r["case"]), {})
        lines += [f"### Case {int(r['case'])} ({r['delegation']} delegation)", "",
                  "| figure | model | the narrative says |", "| --- | --- | --- |"]
        for key, label, _metric, share in COLUMNS:
            stated = says.get(key, {}) if isinstance(says.get(key), dict) else {}
            note = _table_text(stated.get("says")) or "not stated"
            lines.append(f"| {label} | {_cell(r, key, share)} | {note} |")
        lines.append("")
    lines += ["### Acceptance: figures the narratives make plain", ""]
    first = len(lines)
    for row in table.itertuples(index=False):
        r = pd.Series(row._asdict())
        case, says = int(r["case"]), narratives.get(int(r["case"]), {})
        gp = says.get("gp_busy") or {}
        if gp.get("full_days") and not r["gp_busy"] >= FULL_DAYS_UTILISATION:
            lines.append(f"- case {case}: the narrative describes full GP days, the model's "
                         f"GPs are {100 * r['gp_busy']:.0f} % busy (at least "
                         f"{100 * FULL_DAYS_UTILISATION:.0f} % expected)")
        poor = (says.get("phone_access") or {}).get("poor", False)
        if not poor and r["callers_lost"] > MOST_ABANDONED:
            lines.append(f"- case {case}: {100 * r['callers_lost']:.0f} % of callers never "
                         f"got through, after their redials (at most "
                         f"{100 * MOST_ABANDONED:.0f} % expected; the narrative does not say "
                         f"access is poor); {100 * r['phone_access']:.0f} % of rings went "
                         "unanswered"
                         + (f". {r['phone_peak']}" if r.get("phone_peak") else "")
                         + (f" {r['phone_week']}" if r.get("phone_week") else ""))
        if r["carried_trend_low"] > 0:
            lines.append(f"- case {case}: the work carried to the next day grows by "
                         + _items(r["carried_trend"], r["carried_trend_low"],
                                  r["carried_trend_high"]) + "; "
                         "no practice keeps up a growing pile, and the narrative does not "
                         "describe one")
        wait = says.get("planned_wait") or {}
        check = (checks or {}).get((case, wait.get("check", "")))
        waited = r["planned_wait"] if check is None else check
        if "low" in wait and not wait["low"] <= waited <= wait["high"]:
            what = ("a requested appointment waits" if check is None else
                    f"the wait the sentence describes (check {wait['check']}) is")
            held_back = (f" Its phone holds part of that demand back: "
                         f"{100 * r['callers_lost']:.0f} % of its callers never get through, "
                         "and a need that never gets through books no slot."
                         if waited < wait["low"] and r["callers_lost"] > MOST_ABANDONED
                         else "")
            lines.append(f"- case {case}: {what} {waited:.1f} working days; the narrative "
                         f"says \"{_sentence(wait.get('says'))}\" ({wait['low']}-"
                         f"{wait['high']} working days)"
                         + _calendar_text(r) + held_back)
    if len(lines) == first:
        lines.append("- every case meets them")
    if any("never got through" in line for line in lines[first:]):
        lines += ["", f"The {100 * MOST_ABANDONED:.0f} % ceiling on callers who never get "
                  "through is this acceptance's, not a source's. It counts callers, not "
                  "rings: a caller who hangs up and gets through on a redial is not lost to "
                  "the practice, and counted by ring the Capital Region's own practices "
                  "leave 20-24 % of their morning calls unanswered (D13). The source-based "
                  "check of rings answered is that regional figure, under \"Regional "
                  "face-validity figures\"."]
    return lines + [""]


def _sentence(text: object) -> str:
    """A narrative's sentence quoted inside another: one line, without its full stop."""
    return " ".join(str(text or "").split()).rstrip(".")


def _calendar_text(r: pd.Series) -> str:
    """How full the GPs' calendar is as each day begins, read against a planned wait: a
    slot still free at opening could have been booked the day before, so waits of many
    days need the calendar booked out for the days ahead."""
    fill = r.get("gp_calendar")
    if fill is None or fill != fill:
        return ""
    return (f". As each day begins, {100 * fill:.0f} % of the GPs' planned slots are booked "
            f"({100 * r['gp_calendar_low']:.0f}-{100 * r['gp_calendar_high']:.0f} %): a slot "
            "still free then was there for the day before's requests, so waits of several "
            "days need a calendar near full for the days ahead.")


def _read_at_national_list(row: Any) -> bool:
    """Whether a row is a national check read from the runs at national inputs."""
    return getattr(row, "read_at", "") == NATIONAL_LIST


def national_list_lines(national: pd.DataFrame, targets: dict) -> list[str]:
    """How the national checks are read (at the national list their source states them
    for), how many hold there and for the cases' own lists, and why a miss at the
    national list remains."""
    if "read_at" not in national:
        return []
    read = national[national["read_at"] == NATIONAL_LIST]
    if not len(read):
        return []
    per_gp = (targets.get("national_inputs") or {}).get("patients_per_gp_fte")
    within = read["verdict"].str.startswith("within")
    own = read["own_list_verdict"].fillna("").str.startswith("within")
    lines = [f"**Read at a national list.** D11's figures are national averages: they hold "
             f"for the national list, about {per_gp:,.0f} listed patients per full-time GP, "
             "and the contact rates describe the reference age and morbidity mix. So each "
             "national check is read, the way its source states it, from a second set of "
             f"runs of the case with {per_gp:,.0f} patients per full-time GP of that mix "
             "at those rates (not a contact rate the case's narrative states), with the "
             "case's own roster, routes, durations and the same seeds (`national_inputs` "
             "in targets.yaml); nothing is fitted. "
             f"At the national list {int(within.sum())} of the {len(read)} national checks "
             f"fall within their range. With the cases' own lists {int(own.sum())} "
             f"{'does' if int(own.sum()) == 1 else 'do'} (\"own list\" in the table): a "
             "practice with more patients per GP has more contacts per GP a day for the "
             "same demand per patient, and an older or sicker list more contacts per "
             "patient, which says how the case differs from the national average, not "
             "whether the model's rates are right."]
    still = read[~within]
    why = (targets.get("national_inputs") or {}).get("why_still_outside") or {}
    if len(still):
        lines += ["", "Missed at the national list:"]
        for r in still.itertuples(index=False):
            cause = why.get(int(r.case))
            lines.append(f"- case {r.case}, {r.statement[0].lower()}{r.statement[1:]}: "
                         f"{r.model_mean:.1f} ({r.ci_low:.1f}-{r.ci_high:.1f}), "
                         f"{r.verdict}" + (f". Why: {cause}." if cause else "."))
    return lines


#: The report's picture, beside report.md in its folder.
PICTURE = "calibration.png"


def markdown(table: pd.DataFrame, targets: dict, replications: int, seed: int,
             command: str, recognisable: pd.DataFrame | None = None,
             narratives: dict | None = None, picture: str | None = None) -> str:
    counts = table["verdict"].str.split(":").str[0].value_counts()
    within = int(table["verdict"].str.startswith("within").sum())
    lines = [
        "# Calibration report",
        "",
        f"Regenerate with `{command}` ({replications} independent runs of each case's "
        f"weeks, seed {seed}). Each row sets a figure a source states against the model's "
        "own figure, pooled over every measured working day of every run, with its 95 % "
        "confidence interval across runs. The model never reads these figures: they are in "
        "`models/calibration/targets.yaml` only.",
        "",
        "**Fitted targets:** " + (", ".join(targets.get("fitted") or []) or
                                  "none. No parameter was estimated to reach any stated "
                                  "figure; every row is an independent check."),
        "",
        "**Reading convention:** \"about x %\" is read as x ± 5 percentage points; stated "
        "ranges as given; D11's national and D13's regional averages as ±15 %.",
        "",
        "**Summary:** " + ", ".join(f"{n} {v}" for v, n in counts.items())
        + f" ({within} of {len(table)} checks within their stated range).",
        "",
    ]
    if picture:
        lines += [f"![Each stated range (grey) and the model's mean with its 95 % CI, green "
                  f"within, amber borderline, red outside]({picture})", ""]
    if recognisable is not None:
        checks = {(int(r.case), r.target): float(r.model_mean)
                  for r in table.itertuples(index=False)}
        lines += recognisability_lines(recognisable, narratives or {}, checks)
    inputs = targets.get("inputs") or []
    if inputs:
        lines += ["## Figures used as inputs, not checks", "",
                  "A figure a source states about a case's demand or staffing is an input "
                  "to that case's scenario file, so the model reproduces it by construction "
                  "and it is no test:", ""]
        lines += [f"- case {i['case']}: {i['statement']} ({i['source']}); used as "
                  f"{i['used_as']}." for i in inputs]
        lines.append("")
    lines += [
        "## Case statements (seed 003)",
        "",
        "| case | statement | stated | model (95 % CI) | verdict | why | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    national = table["target"].isin(NATIONAL)
    general = {t["id"] for t in targets.get("targets") or [] if t["case"] == "all"}
    regional = table["target"].isin(general) & ~national

    def row(r: Any) -> str:
        return (f"| {r.case} | {r.statement} | {_fmt(r.stated_low, r.kind)}-"
                f"{_fmt(r.stated_high, r.kind)} | {_fmt(r.model_mean, r.kind)} "
                f"({_fmt(r.ci_low, r.kind)}-{_fmt(r.ci_high, r.kind)}) | {r.verdict} | "
                f"{'' if r.verdict.startswith('within') else r.note} | "
                f"{r.source.replace('|', '/')} |")
    lines += [row(r) for r in table[~national & ~regional].itertuples(index=False)]
    if regional.any():
        lines += ["", "## Regional face-validity figures", "",
                  "A region's survey figure, set against each case in that region.", "",
                  "| case | statement | stated | model (95 % CI) | verdict | why | source |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        lines += [row(r) for r in table[regional].itertuples(index=False)]
    per_gp = ({} if recognisable is None or "patients_per_gp_fte" not in recognisable
              else dict(zip(recognisable["case"], recognisable["patients_per_gp_fte"])))
    lines += ["", "## National face-validity figures", "",
              "Each case's figure at a national list (D11's ~1,600 listed patients per "
              "full-time GP, of the reference age and morbidity mix), which the verdict "
              "reads, then its figure with its own list. Listed patients per full-time GP "
              "is an input (the case's list and roster).", "",
              "| case | listed patients per full-time GP (D11: ~1,600) | contacts per patient a "
              "year (D2/D3: 6.1-8.6) | contacts per GP a day (D11: ~49) | face-to-face per GP "
              "a day (D11: ~28) |",
              "| --- | ---: | --- | --- | --- |"]
    wide = table[national].set_index(["case", "target"])
    for case in sorted(table.loc[national, "case"].unique()):
        cells = []
        for target in NATIONAL:
            if (case, target) not in wide.index:
                cells.append("not a check here (high delegation)")
                continue
            r = wide.loc[(case, target)]
            cell = (f"{r.model_mean:.1f} ({r.ci_low:.1f}-{r.ci_high:.1f}), "
                    f"{r.verdict.split(':')[0]}")
            if _read_at_national_list(r):
                cell += (f"; own list {r.own_list_mean:.1f} "
                         f"({r.own_list_ci_low:.1f}-{r.own_list_ci_high:.1f}), "
                         f"{r.own_list_verdict.split(':')[0]}")
            cells.append(cell)
        ratio = per_gp.get(case, math.nan)
        lines.append(f"| {case} | " + ("-" if math.isnan(ratio) else f"{ratio:,.0f}") + " | "
                     + " | ".join(cells) + " |")
    notes = table[national].drop_duplicates("target")
    lines += [""] + [f"- {r.statement}: {r.note}" for r in notes.itertuples(index=False)]
    lines += [""] + national_list_lines(table[national], targets)
    lines += ["", "## What each figure rests on", ""]
    for kind, text in DEPENDS_ON.items():
        lines.append(f"- `{kind}`: {text}.")
    lines += ["", "## Stated figures the model does not produce", ""]
    for item in targets.get("not_modelled") or []:
        lines.append(f"- {item['statement']} ({item['source']}): {item['why']}.")
    lines += ["", "A row outside its range is a finding, not an error to tune away: it says "
              "which mechanism or default (see above and `models/defaults/base.yaml`) does "
              "not yet reproduce that practice's account of its day.", ""]
    return "\n".join(lines)


def write_report(out: Path, replications: int = 10, seed: int = 1,
                 command: str = "clinicsim calibrate", weeks: int | None = None,
                 warmup_weeks: int | None = None, jobs: int = 1) -> pd.DataFrame:
    from sim.plots import calibration_ranges

    targets = load_targets()
    table, recognisable = calibrate_all(replications, seed, targets, weeks, warmup_weeks,
                                        jobs)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "report.csv", index=False)
    recognisable.to_csv(out / "recognisability.csv", index=False)
    calibration_ranges(table).savefig(out / PICTURE, dpi=100)
    (out / "report.md").write_text(markdown(table, targets, replications, seed, command,
                                            recognisable, load_recognisability(), PICTURE),
                                   encoding="utf-8")
    return table
