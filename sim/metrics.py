"""From a day's compact records to tidy metrics, and from replications to summaries.

A day's metrics are rows ``(metric, role, activity, value)``; ``role`` and ``activity``
are ``None`` where they do not apply. Metric names are documented in the README
("Metrics"). The conservation check runs on every day before any metric is computed.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.clinic import ConservationError
from sim.engine.contacts import OUTCOMES
from sim.engine.records import DayRecords
from sim.scenario.schema import ACTIVITIES, Scenario

#: Outcomes where the practice did something for the patient (a handled contact).
HANDLED = ("resolved_on_phone", "consulted", "inbox_handled", "home_visit", "referred")
SEEN = ("consulted", "home_visit")
WORKING = ("consulting", "phone", "supervising", "being_supervised", "inbox_admin", "home_visits")
TIME_TOLERANCE = 1e-6

Row = tuple[str, str | None, str | None, float]

#: Metrics with neither role nor activity (targets and stopping rules name these).
OVERALL_METRICS: tuple[str, ...] = (
    "calls_offered", "calls_answered", "calls_abandoned", "abandonment_rate",
    "phone_wait_mean_min", "phone_wait_p90_min", "acute_same_day_rate",
    "call_to_consult_wait_mean_min", "contacts_arisen",
    *(f"outcome_{o}" for o in OUTCOMES),
    "contacts_handled_total", "questions_unanswered", "overtime_min",
    "nonphysician_consult_share", "doctor_min_per_contact", "staff_cost_dkk",
    "cost_per_contact_dkk", "cost_per_patient_year_dkk",
)


def check_conservation(records: DayRecords) -> None:
    """Every contact that arose has exactly one recorded outcome, and every person's
    activities add up to their hours plus overtime. A failure is a model bug."""
    ids = [c[0] for c in records.contacts]
    if len(ids) != records.arisen or len(set(ids)) != len(ids):
        raise ConservationError(
            f"{records.arisen} contacts arose but {len(ids)} outcomes were recorded "
            f"({len(ids) - len(set(ids))} duplicated)")
    unknown = {c[5] for c in records.contacts} - set(OUTCOMES)
    if unknown:
        raise ConservationError(f"unknown outcomes recorded: {sorted(unknown)}")
    for sid, _group, _role, _team, start, _end, left, time in records.staff:
        total = math.fsum(time.values())
        if abs(total - (left - start)) > TIME_TOLERANCE * max(1.0, total):
            raise ConservationError(
                f"{sid}: activities add up to {total:.3f} min but {left - start:.3f} min passed")


def day_metrics(records: DayRecords, scenario: Scenario) -> list[Row]:
    """All metrics of one simulated day."""
    check_conservation(records)
    rows: list[Row] = []
    add = rows.append
    roles = scenario.roles

    # access ------------------------------------------------------------------------------
    answered = [(t1 - t0) for _cid, t0, t1, _r in records.calls if t1 == t1]
    add(("calls_offered", None, None, float(records.offered)))
    add(("calls_answered", None, None, float(len(answered))))
    add(("calls_abandoned", None, None, float(records.offered - len(answered))))
    add(("abandonment_rate", None, None,
         (records.offered - len(answered)) / records.offered if records.offered else math.nan))
    add(("phone_wait_mean_min", None, None, float(np.mean(answered)) if answered else math.nan))
    add(("phone_wait_p90_min", None, None,
         float(np.percentile(answered, 90)) if answered else math.nan))
    same_day = [c for c in records.contacts if c[9]]
    add(("acute_same_day_rate", None, None,
         sum(c[5] in SEEN for c in same_day) / len(same_day) if same_day else math.nan))
    waits = [c[7] - c[4] for c in records.contacts if c[1] == "phone" and c[5] in SEEN]
    add(("call_to_consult_wait_mean_min", None, None,
         float(np.mean(waits)) if waits else math.nan))

    # outcomes ----------------------------------------------------------------------------
    outcomes = Counter(c[5] for c in records.contacts)
    add(("contacts_arisen", None, None, float(records.arisen)))
    for outcome in OUTCOMES:
        add((f"outcome_{outcome}", None, None, float(outcomes.get(outcome, 0))))
    handled = sum(outcomes.get(o, 0) for o in HANDLED)
    add(("contacts_handled_total", None, None, float(handled)))
    add(("questions_unanswered", None, None, float(records.unanswered)))

    # staff time ----------------------------------------------------------------------------
    time_by_role: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(ACTIVITIES, 0.0))
    worked: dict[str, float] = defaultdict(float)
    overtime: dict[str, float] = defaultdict(float)
    cost = 0.0
    for _sid, _group, role, _team, start, end, left, time in records.staff:
        for activity, minutes in time.items():
            time_by_role[role][activity] += minutes
        worked[role] += left - start
        overtime[role] += max(0.0, left - end)
        cost += (left - start) / 60.0 * roles[role].cost_per_hour
    doctor_minutes = 0.0
    for role in sorted(time_by_role):
        time = time_by_role[role]
        for activity in ACTIVITIES:
            add(("time_use_min", role, activity, time[activity]))
        busy = math.fsum(time[a] for a in WORKING)
        available = worked[role] - time["break"]
        add(("utilisation", role, None, busy / available if available > 0 else math.nan))
        add(("overtime_min", role, None, overtime[role]))
        if roles[role].doctor:
            doctor_minutes += busy
    add(("overtime_min", None, None, math.fsum(overtime.values())))

    # throughput ----------------------------------------------------------------------------
    role_of = [s[2] for s in records.staff]
    tasks = Counter((role_of[w], kind) for w, kind, _cid, _t0, _t1 in records.tasks)
    for (role, kind), n in sorted(tasks.items()):
        add(("contacts_handled", role, kind, float(n)))
    consulted = [c[8] for c in records.contacts if c[5] == "consulted"]
    add(("nonphysician_consult_share", None, None,
         sum(not roles[r].doctor for r in consulted) / len(consulted) if consulted else math.nan))
    add(("doctor_min_per_contact", None, None, doctor_minutes / handled if handled else math.nan))
    add(("staff_cost_dkk", None, None, cost))
    add(("cost_per_contact_dkk", None, None, cost / handled if handled else math.nan))
    patients = scenario.population.list_size
    add(("cost_per_patient_year_dkk", None, None,
         cost * scenario.clinic.working_days_per_year / patients if patients else math.nan))
    return rows


def staff_table(records: DayRecords) -> pd.DataFrame:
    """Minutes by person and activity (long form), with hours and overtime."""
    rows = []
    for sid, group, role, team, start, end, left, time in records.staff:
        for activity, minutes in time.items():
            rows.append((sid, group, role, team, activity, minutes, start, end, left,
                         max(0.0, left - end)))
    return pd.DataFrame(rows, columns=["staff_id", "group", "role", "team", "activity",
                                       "minutes", "start", "end", "left", "overtime_min"])


def contacts_table(records: DayRecords) -> pd.DataFrame:
    return pd.DataFrame(records.contacts, columns=[
        "contact_id", "channel", "contact_type", "team", "t_arise", "outcome", "t_outcome",
        "t_seen", "seen_by", "same_day"])


def events_table(records: DayRecords) -> pd.DataFrame:
    return pd.DataFrame(records.events or [], columns=["time", "contact_id", "event", "staff_id"])


# --- across replications -------------------------------------------------------------------


def confidence_interval(values: Iterable[float], level: float = 0.95) -> tuple[float, float,
                                                                               float, int]:
    """Mean and Student-t confidence interval; NaN values (undefined that day) are left out."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


KEYS = ["metric", "role", "activity"]


def summarise(metrics: pd.DataFrame | object, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI per (metric, role, activity) over the replications of a tidy table."""
    frame = getattr(metrics, "metrics", metrics)
    out = []
    for key, group in frame.groupby(KEYS, dropna=False, sort=True):
        mean, low, high, n = confidence_interval(group["value"].tolist(), level)
        out.append((*key, mean, low, high, n))
    summary = pd.DataFrame(out, columns=[*KEYS, "mean", "ci_low", "ci_high", "replications"])
    for key in ("role", "activity"):  # None where a key does not apply; numbers stay NaN
        summary[key] = summary[key].astype(object).where(summary[key].notna(), None)
    return summary.astype({"replications": int})
