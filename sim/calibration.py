"""Calibration report: the figures the sources state, next to the model's own figures.

The targets live in ``models/calibration/targets.yaml``; nothing there feeds the model.
Each target names a kind of figure (see that file): a ratio whose numerator and
denominator are summed over a run's measured days (all working time of the run, all its
consultations, ...), then pooled over independent runs with a 95 % confidence interval.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import pandas as pd

import numpy as np

from sim.engine import CompiledScenario, collector_paused, simulate_run
from sim.engine.records import DayRecords
from sim.progress import tick
from sim.estimators import RatioSums, intervals
from sim.experiment.replications import run_calendar
from sim.metrics import HANDLED, SEEN
from sim.scenario import load_scenario, models_dir, read_yaml_mapping
from sim.scenario.schema import ACTIVITIES, Scenario

WORKING = tuple(a for a in ACTIVITIES if a not in ("break", "idle"))


def _activities(spec: Any) -> tuple[str, ...]:
    return WORKING if spec == "working" else tuple(spec)


def _roles(records: DayRecords, spec: Any) -> set[str]:
    return {row[2] for row in records.staff} if spec == "all" else set(spec)


Ratio = tuple[float, float]


def _time_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    roles = _roles(records, t.get("roles", "all"))
    minutes: dict[str, float] = defaultdict(float)
    for row in records.staff:
        if row[2] in roles:
            for activity, m in row[7].items():
                minutes[activity] += m
    return (sum(minutes[a] for a in _activities(t["numerator"])),
            sum(minutes[a] for a in _activities(t["denominator"])))


def _consult_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    role_of = [row[2] for row in records.staff]
    consults = [role_of[w] for w, kind, *_ in records.tasks if kind == "consult"]
    return sum(r in set(t["roles"]) for r in consults), len(consults)


def _patient_contacts(records: DayRecords, s: Scenario) -> list[tuple]:
    return [c for c in records.contacts
            if c[6] in HANDLED and s.contact_types[c[2]].patient_contact]


def _type_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    handled = _patient_contacts(records, s)
    return sum(c[2] in set(t["types"]) for c in handled), len(handled)


def _type_time_share(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    roles = _roles(records, t.get("roles", "all"))
    type_of = {c[0]: c[2] for c in records.contacts}
    role_of = [row[2] for row in records.staff]
    served = [(type_of.get(cid), t1 - t0) for w, kind, cid, t0, t1 in records.tasks
              if kind in ("consult", "home_visit") and role_of[w] in roles]
    numerator = sum(m for ctype, m in served if ctype in set(t["types"]))
    if t["denominator"] == "consult_time":
        return numerator, sum(m for _, m in served)
    working = sum(m for row in records.staff if row[2] in roles
                  for a, m in row[7].items() if a in WORKING)
    return numerator, working


def _gps_present(records: DayRecords, s: Scenario) -> int:
    return sum(1 for row in records.staff
               if s.roles[row[2]].doctor and not s.roles[row[2]].in_training)


def _contacts_per_patient_year(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    """Handled patient contacts a day, as a yearly rate per listed patient (per day: the
    denominator counts days)."""
    handled = len(_patient_contacts(records, s))
    if not s.population.list_size:
        return 0.0, 0.0
    return handled * s.clinic.working_days_per_year / s.population.list_size, 1.0


def _contacts_per_gp_day(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    return len(_patient_contacts(records, s)), _gps_present(records, s)


def _face_to_face_per_gp_day(records: DayRecords, s: Scenario, t: dict) -> Ratio:
    return sum(1 for c in records.contacts if c[6] in SEEN), _gps_present(records, s)


#: Each kind of figure as (numerator, denominator) of one day; a run's figure is the sum of
#: numerators over the sum of denominators of its measured days.
FIGURES: dict[str, Callable[[DayRecords, Scenario, dict], Ratio]] = {
    "time_share": _time_share,
    "consult_share": _consult_share,
    "type_share": _type_share,
    "type_time_share": _type_time_share,
    "contacts_per_patient_year": _contacts_per_patient_year,
    "contacts_per_gp_day": _contacts_per_gp_day,
    "face_to_face_per_gp_day": _face_to_face_per_gp_day,
}

#: What each kind of figure rests on in the model, for reading a verdict.
DEPENDS_ON = {
    "time_share": "staff day plans, routing by delegation, question rates (T11, T12) and demand",
    "consult_share": "delegation routes, staff present and planned/acute slot templates",
    "type_share": "the demand mix by contact type in base.yaml (assumptions) and the case's overrides",
    "type_time_share": "demand mix, routes and durations by role (T1, T5, T7, T8, assumptions)",
    "contacts_per_patient_year": "demand rates (D3, D9 split) and patient-mix factor (D6, D8), less unhandled contacts",
    "contacts_per_gp_day": "demand for the case's list size divided by the GPs present over the week",
    "face_to_face_per_gp_day": "consultations and visits the staff complete, divided by the GPs present over the week",
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
          "face_to_face_per_gp_day": "nonnegative"}


def calibrate(replications: int = 10, seed: int = 1, targets: dict | None = None,
              weeks: int | None = None, warmup_weeks: int | None = None) -> pd.DataFrame:
    """Every target against the model's figure, one row per (target, case)."""
    targets = targets or load_targets()
    by_case: dict[int, list[dict]] = defaultdict(list)
    for t in targets["targets"]:
        cases = range(1, 18) if t["case"] == "all" else [int(t["case"])]
        for case in cases:
            by_case[case].append(t)
    rows = []
    for case, case_targets in sorted(by_case.items()):
        scenario = load_scenario(f"case{case:02d}")
        model = CompiledScenario(scenario)
        calendar = run_calendar(scenario, weeks, warmup_weeks)
        values = np.full((1, replications, len(case_targets)), np.nan)
        weights = np.zeros((1, replications, len(case_targets)))
        with collector_paused():
            for r in range(replications):
                sums = np.zeros((len(case_targets), 2))
                for records in simulate_run(model, seed, r, calendar):
                    if not records.day.measured:
                        continue
                    for i, t in enumerate(case_targets):
                        sums[i] += FIGURES[t["kind"]](records, scenario, t)
                with np.errstate(invalid="ignore", divide="ignore"):
                    values[0, r] = sums[:, 0] / sums[:, 1]
                weights[0, r] = sums[:, 1]
                tick()  # a run done, for the command line's progress bar
        pooled = RatioSums(1)
        pooled.add(values, weights)
        n, mean, se = (a[0] for a in pooled.estimate())
        bounds = np.array([BOUNDS.get(t["kind"], "share") for t in case_targets], dtype=object)
        low_ci, high_ci = intervals(mean, se, n, bounds)
        for i, t in enumerate(case_targets):
            rows.append({
                "target": t["id"], "case": case, "scenario": scenario.name,
                "statement": t["statement"], "source": t["source"], "kind": t["kind"],
                "stated_low": t["low"], "stated_high": t["high"], "model_mean": mean[i],
                "ci_low": low_ci[i], "ci_high": high_ci[i], "replications": int(n[i]),
                "verdict": verdict(mean[i], low_ci[i], high_ci[i], t["low"], t["high"]),
                "fitted": t["id"] in set(targets.get("fitted") or []),
                "depends_on": DEPENDS_ON[t["kind"]],
                "note": " ".join(str(t.get("note", "")).split()),
            })
    return pd.DataFrame(rows)


def _fmt(x: float, kind: str) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "-"
    per = kind in ("contacts_per_patient_year", "contacts_per_gp_day", "face_to_face_per_gp_day")
    return f"{x:.1f}" if per else f"{100 * x:.0f} %"


def markdown(table: pd.DataFrame, targets: dict, replications: int, seed: int,
             command: str) -> str:
    counts = table["verdict"].str.split(":").str[0].value_counts()
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
        "ranges as given; D11's national averages as ±15 %.",
        "",
        "**Summary:** " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".",
        "",
        "## Case statements (seed 003)",
        "",
        "| case | statement | stated | model (95 % CI) | verdict | why | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    national = table["target"].isin(["contacts_per_patient_year", "contacts_per_gp_day",
                                     "face_to_face_per_gp_day"])
    for r in table[~national].itertuples(index=False):
        lines.append(
            f"| {r.case} | {r.statement} | {_fmt(r.stated_low, r.kind)}-"
            f"{_fmt(r.stated_high, r.kind)} | {_fmt(r.model_mean, r.kind)} "
            f"({_fmt(r.ci_low, r.kind)}-{_fmt(r.ci_high, r.kind)}) | {r.verdict} | "
            f"{'' if r.verdict.startswith('within') else r.note} | "
            f"{r.source.replace('|', '/')} |")
    lines += ["", "## National face-validity figures, every case", "",
              "| case | contacts per patient a year (D2/D3: 6.1-8.6) | contacts per GP a day "
              "(D11: ~49) | face-to-face per GP a day (D11: ~28) |",
              "| --- | --- | --- | --- |"]
    wide = table[national].set_index(["case", "target"])
    for case in sorted(table.loc[national, "case"].unique()):
        cells = []
        for target in ("contacts_per_patient_year", "contacts_per_gp_day",
                       "face_to_face_per_gp_day"):
            r = wide.loc[(case, target)]
            cells.append(f"{r.model_mean:.1f} ({r.ci_low:.1f}-{r.ci_high:.1f}), "
                         f"{r.verdict.split(':')[0]}")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    notes = table[national].drop_duplicates("target")
    lines += [""] + [f"- {r.statement}: {r.note}" for r in notes.itertuples(index=False)]
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
                 warmup_weeks: int | None = None) -> pd.DataFrame:
    targets = load_targets()
    table = calibrate(replications, seed, targets, weeks, warmup_weeks)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "report.csv", index=False)
    (out / "report.md").write_text(markdown(table, targets, replications, seed, command),
                                   encoding="utf-8")
    return table
