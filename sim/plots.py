"""Plots of clinicsim results, for consultants' reports and researchers' notebooks.

Every plotting function takes tidy pandas tables (or the results objects that hold them),
never runs the model, and returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (safe under the Agg backend, on servers and in tests; nothing is shown or
kept open globally). In a notebook, ``%matplotlib inline`` displays a returned figure.

One simulated day of a run (from ``run_replications(..., event_log=True)``):

* :func:`staff_gantt`: who did what when, one row per person;
* :func:`phone_queue`: callers waiting over the day, and phone waits by hour;
* :func:`time_use`: staff time use by role and activity, with 95 % CI whiskers.

Sweeps (``summary.parquet`` and ``scenarios.parquet`` of a sweep directory), or
:func:`paired_summary` of a few runs under common random numbers:

* :func:`heatmap`: a metric over two factors of a grid design;
* :func:`paired_differences`: differences against the baseline with CIs (forest plot);
* :func:`tradeoff`: cost against access, with the non-dominated points marked
  (:func:`non_dominated`).

The weeks: :func:`week_roster` (who works which day, from a scenario) and
:func:`access_over_run` (backlog and TNAA day by day, from ``results.days``).

Calibration (:func:`sim.calibration.calibrate`): :func:`calibration_ranges`. The capacity
search (:func:`sim.capacity.find_capacity`): :func:`capacity_search`.

Small pure helpers return tidy tables for your own plots: :func:`phone_calls`,
:func:`phone_queue_length`, :func:`time_use_table`, :func:`paired_summary`.
"""
from __future__ import annotations

import json
import math
import textwrap
from numbers import Integral
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from sim.arguments import confidence, texts
from sim.labels import ACTIVITY_LABELS, METRICS
from sim.labels import (
    better_direction,
    metric_info as _metric_info,
    one_list,
    same_doctors,
    same_list,
    same_staff,
    with_unit,
)
from sim.metrics import require_columns
from sim.practice_text import number_ranges
from sim.scenario.schema import ACTIVITIES, STAFFING_SECTIONS, clock_text

__all__ = [
    "ACTIVITY_COLOURS", "ACTIVITY_LABELS", "METRICS", "ROSTER_KINDS", "access_over_run",
    "calibration_ranges", "capacity_search",
    "heatmap", "metric_label", "non_dominated", "paired_differences", "paired_summary",
    "phone_calls", "phone_queue", "phone_queue_length", "staff_gantt", "sweep_staffing",
    "time_use", "time_use_table", "tradeoff", "week_roster",
]

# --- vocabulary ----------------------------------------------------------------------------


def _given_scenario(given: Any, found: Any) -> Any:
    """The scenario a figure is drawn for: the one given (a loaded scenario, a bundled
    name or a file), else the results object's own (None for a bare table)."""
    if given is None:
        return found
    from sim.scenario.loading import as_scenario

    return as_scenario(given)

#: Each activity's colour; those the roster's block kinds share (consulting and planned
#: slots, phone, supervision, admin, home visits) are the roster's (:data:`ROSTER_KINDS`), so
#: one report's figures colour the same work alike.
ACTIVITY_COLOURS: dict[str, str] = {
    "consulting": "#2f6db5",
    "phone": "#f28e2b",
    "supervising": "#332288",
    "being_supervised": "#e377c2",
    "inbox_admin": "#009e73",
    "home_visits": "#9c6b4e",
    "break": "#c9c2a8",
    "idle": "#ececec",
    "other_practice": "#b7b7b7",
}
_HATCH = {"being_supervised": "///"}


#: Headline metrics of a comparison (paired differences), in reading order.
DIFF_METRICS = ("acute_same_day_rate", "phone_wait_mean_min", "abandonment_rate",
                "overtime_min", "doctor_min_per_contact", "cost_per_contact_dkk")

_ROLE_ORDER = ("gp", "trainee", "nurse", "midwife", "physio", "hca", "lab", "pharmaconomist",
               "student", "manager", "secretary")
_GOOD, _BAD, _NEUTRAL = "#1a9641", "#d7191c", "#7f7f7f"


def metric_label(metric: str, role: str | None = None, activity: str | None = None,
                 diff: bool = False) -> str:
    """Axis label of a metric with its unit, e.g. ``Staff cost per handled contact (DKK)``."""
    label, unit, _scale, _ = _metric_info(metric)
    if role:
        label += f", {role}"
    if activity:
        label += f", {ACTIVITY_LABELS.get(activity, activity)}"
    if diff and unit == "%":
        unit = "percentage points"
    return with_unit(label, unit)


def _clock_axis(ax, axis: str = "x", major: float = 60.0, minor: float = 30.0) -> None:
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MultipleLocator(major))
    target.set_minor_locator(MultipleLocator(minor))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: clock_text(v % 1440)))


def _role_label(role: str, scenario=None) -> str:
    if scenario is not None and role in scenario.roles:
        label = scenario.roles[role].label
        return label.split(" (")[0] if len(label) > 24 else label
    return role


def _role_rank(role: str, scenario=None) -> tuple:
    if scenario is not None and role in scenario.roles:
        r = scenario.roles[role]
        return (-r.level, not r.doctor, role)
    return (_ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER), role)


def _natural(text: str) -> tuple:
    head, _, tail = str(text).rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (str(text), -1)


def _unpack(obj: Any, name: str) -> tuple[pd.DataFrame | None, Any]:
    """A table from a results object (or the table itself), and the object's scenario."""
    if isinstance(obj, pd.DataFrame) or obj is None:
        return obj, None
    return getattr(obj, name, None), getattr(obj, "scenario", None)


#: Tables results hold only when run with ``event_log=True``.
EVENT_LOG_TABLES = ("events", "timeline", "contacts", "bookings", "day_staff")


def _require(table: pd.DataFrame | None, columns: Iterable[str], what: str) -> pd.DataFrame:
    if table is None:
        raise ValueError(f"no {what} table" + (": run the replications with event_log=True"
                                               if what in EVENT_LOG_TABLES else ""))
    require_columns(table, columns, f"the {what} table")
    if table.empty:
        raise ValueError(f"the {what} table is empty")
    return table


def _short_name(name: Any, width: int = 30) -> str:
    """A design point's name shortened for a label (``staff.`` prefixes dropped)."""
    text = str(name).replace("staff.", "").replace("delegation.", "").replace(",", ", ")
    return "\n".join(textwrap.wrap(text, width)) or str(name)


# --- one day: who did what when --------------------------------------------------------------


def _select(rows: pd.DataFrame, column: str, chosen, what: str) -> tuple:
    """``chosen`` (the first there is when None) and the rows that have it in ``column``;
    a value the table does not hold is an error (``what`` names it, ``{}`` the value) with
    the range it does hold."""
    values = sorted(rows[column].unique())
    chosen = values[0] if chosen is None else chosen
    if chosen not in values:
        raise ValueError(f"{what.format(chosen)} is not in the timeline "
                         f"({values[0]}..{values[-1]})")
    return chosen, rows[rows[column] == chosen]


#: Width (points) of the line round each span of a person's day: thin enough to leave a
#: 2-minute task visible, wide enough that back-to-back tasks read as separate ones.
_SPAN_EDGE_PT = 0.5


def _span_edge(activity: str) -> str:
    """The line round one span of ``activity``: white, so that back-to-back consultations
    read as the patients they are rather than one long bar; grey round idle time (pale on
    white); none where the span is hatched, whose hatching takes the edge's colour."""
    if activity == "idle":
        return "#b0b0b0"
    return "none" if activity in _HATCH else "white"


def staff_gantt(timeline: Any, replication: int | None = None, staff: pd.DataFrame | None = None,
                scenario=None, title: str | None = None, day: int | None = None) -> Figure:
    """Who did what when on one simulated day: one row per person, coloured by activity.

    ``timeline`` is ``results.timeline`` (replication, day, staff_id, activity, start, end;
    minutes after midnight) or the results object itself. ``staff`` (``results.day_staff``)
    adds each person's role, hours and overtime; ``scenario`` adds role labels and the
    clinic's opening hours. ``replication`` defaults to the first run, ``day`` to its first
    day in the timeline.
    """
    table, found_scenario = _unpack(timeline, "timeline")
    if staff is None and not isinstance(timeline, pd.DataFrame):
        staff = getattr(timeline, "day_staff", None)
    scenario = _given_scenario(scenario, found_scenario)
    table = _require(table, ["replication", "staff_id", "activity", "start", "end"], "timeline")
    replication, one_day = _select(table, "replication", replication, "replication {}")
    if "day" in one_day:
        day, one_day = _select(one_day, "day", day, f"day {{}} of run {replication}")
    people: dict[str, dict] = {sid: {"role": sid.rpartition("-")[0] or sid}
                               for sid in one_day["staff_id"].unique()}
    if staff is not None and not staff.empty and "start" in staff:
        s = staff[staff["replication"] == replication] if "replication" in staff else staff
        if "day" in s and day is not None:
            s = s[s["day"] == day]
        for row in s.drop_duplicates("staff_id").itertuples(index=False):
            if row.staff_id in people:
                people[row.staff_id] = {"role": row.role, "start": row.start, "end": row.end,
                                        "left": row.left}
    order = sorted(people, key=lambda sid: (_role_rank(people[sid]["role"], scenario),
                                            _natural(sid)))
    row_of = {sid: i for i, sid in enumerate(order)}

    fig = Figure(figsize=(12, 1.6 + 0.42 * len(order)), layout="constrained")
    ax = fig.add_subplot()
    present = []
    for activity in ACTIVITIES:
        part = one_day[one_day["activity"] == activity]
        if part.empty:
            continue
        present.append(activity)
        for sid, bars in part.groupby("staff_id"):
            spans = list(zip(bars["start"], bars["end"] - bars["start"]))
            ax.broken_barh(spans, (row_of[sid] - 0.38, 0.76),
                           facecolors=ACTIVITY_COLOURS[activity],
                           edgecolor=_span_edge(activity), linewidth=_SPAN_EDGE_PT,
                           hatch=_HATCH.get(activity))
    overtime = False
    for sid, info in people.items():
        if "end" not in info:
            continue
        y = row_of[sid]
        ax.plot([info["start"]] * 2, [y - 0.46, y + 0.46], color="black", lw=1.2)
        ax.plot([info["end"]] * 2, [y - 0.46, y + 0.46], color="black", lw=1.2)
        if info["left"] > info["end"] + 1e-9:
            overtime = True
            ax.add_patch(Rectangle((info["end"], y - 0.45), info["left"] - info["end"], 0.9,
                                   fill=False, edgecolor=_BAD, lw=2.0, zorder=4))
    if scenario is not None:
        weekdays = scenario.calendar.weekdays
        hours = (scenario.clinic.hours(weekdays[int(day) % len(weekdays)]) if day is not None
                 else (scenario.clinic.open, scenario.clinic.close))  # runs start on the first
        for t in hours:
            ax.axvline(t, color="#555555", ls="--", lw=0.8, zorder=0)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"{sid}  ({_role_label(people[sid]['role'], scenario)})"
                        for sid in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    lo = float(one_day["start"].min())
    hi = float(max(one_day["end"].max(), *(p.get("left", 0) for p in people.values())))
    ax.set_xlim(math.floor(lo / 30) * 30 - 5, math.ceil(hi / 30) * 30 + 5)
    _clock_axis(ax)
    ax.grid(axis="x", which="major", color="#d0d0d0", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel("Time of day (HH:MM)")
    ax.set_ylabel("Staff member (role)")
    name = getattr(scenario, "name", None)
    # no break inside "run 0" or "day 27" where the title wraps (non-breaking spaces)
    when = f"run\u00a0{replication}" + (f", day\u00a0{day}" if day is not None else "")
    ax.set_title(title or (f"Who did what when: {name + ', ' if name else ''}one simulated "
                           f"day ({when})"), loc="left", wrap=True)  # at the figure's edge
    handles = [Patch(facecolor=ACTIVITY_COLOURS[a], edgecolor="#b0b0b0" if a == "idle" else
                     "none", hatch=_HATCH.get(a), label=ACTIVITY_LABELS[a]) for a in present]
    if staff is not None:
        handles.append(Line2D([], [], color="black", lw=1.2, marker="|", ls="none",
                              markersize=12, label="Start / end of hours"))
    if overtime:
        handles.append(Patch(fill=False, edgecolor=_BAD, lw=2.0,
                             label="Overtime (overarbejde): red frame"))
    if scenario is not None:
        handles.append(Line2D([], [], color="#555555", ls="--", lw=0.8,
                              label="Clinic opens / closes"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(4, len(handles)),
               fontsize="small", frameon=False)
    return fig


# --- one day: the phone ------------------------------------------------------------------------


def _day_keys(table: pd.DataFrame) -> list[str]:
    """The columns that name one simulated day: replication, and day within a run."""
    return ["replication", "day"] if "day" in table else ["replication"]


def phone_calls(events: Any) -> pd.DataFrame:
    """One row per ring of the phone from the event log: replication, day, contact_id,
    arrive, answered (time, NaN if not), answered_by, abandoned (time the caller hung up or
    was cut off, NaN if answered), wait_min and outcome ("answered"/"abandoned"). A caller
    who rings again has a row per ring.

    A ring starts at a contact's ``arise`` (for contacts that are answered or hang up) or a
    ``redial``, and ends at ``call_answered`` or ``hang_up``."""
    ev, _ = _unpack(events, "events")
    ev = _require(ev, ["replication", "time", "contact_id", "event", "staff_id"], "events")
    day = _day_keys(ev)
    keys = day + ["contact_id"]
    ends = ev[ev["event"].isin(["call_answered", "hang_up", "abandoned"])]
    if "hang_up" in set(ev["event"]):
        ends = ends[ends["event"] != "abandoned"]
    phone = ends[keys].drop_duplicates()
    starts = ev[ev["event"].isin(["arise", "redial"])].merge(phone, on=keys)
    starts = starts.sort_values(keys + ["time"], kind="stable").assign(
        ring=lambda t: t.groupby(keys).cumcount())
    ends = ends.sort_values(keys + ["time"], kind="stable").assign(
        ring=lambda t: t.groupby(keys).cumcount())
    calls = starts[keys + ["ring", "time"]].rename(columns={"time": "arrive"}).merge(
        ends[keys + ["ring", "time", "event", "staff_id"]], on=keys + ["ring"], how="inner")
    answered = calls["event"] == "call_answered"
    calls["answered"] = calls["time"].where(answered)
    calls["answered_by"] = calls["staff_id"].where(answered)
    calls["abandoned"] = calls["time"].where(~answered)
    calls["wait_min"] = calls["time"] - calls["arrive"]
    calls["outcome"] = np.where(answered, "answered", "abandoned")
    return calls.sort_values(day + ["arrive", "contact_id"]).reset_index(drop=True)[
        day + ["contact_id", "arrive", "answered", "answered_by", "abandoned", "wait_min",
               "outcome"]]


def phone_queue_length(events: Any, step: float = 1.0) -> pd.DataFrame:
    """Callers waiting (arrived, neither answered nor hung up) at each ``step`` minutes:
    tidy rows replication (and day), time (minutes after midnight), queue."""
    calls = phone_calls(events)
    day = [k for k in ("replication", "day") if k in calls]
    left = calls["answered"].fillna(calls["abandoned"])
    start = math.floor(calls["arrive"].min() / step) * step
    stop = math.ceil(left.max() / step) * step
    grid = np.arange(start, stop + step / 2, step)
    frames = []
    for unit, c in calls.groupby(day, sort=True):
        unit = unit if isinstance(unit, tuple) else (unit,)
        arrived = np.searchsorted(np.sort(c["arrive"].to_numpy()), grid, side="right")
        gone = np.searchsorted(np.sort(left[c.index].to_numpy()), grid, side="right")
        frame = pd.DataFrame({"time": grid, "queue": arrived - gone})
        for k, v in zip(reversed(day), reversed(unit)):
            frame.insert(0, k, v)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def phone_queue(events: Any, replication: int | None = None, scenario=None,
                bin_min: float = 5.0, title: str | None = None) -> Figure:
    """The phone over the day: callers waiting (mean over the simulated days, with the
    10-90 % band, averaged over ``bin_min`` minutes, and one day's queue minute by minute
    if ``replication`` is given), and by hour of the
    call the mean and 90th-percentile wait of answered calls, calls per day and the share
    who hung up."""
    ev, found = _unpack(events, "events")
    scenario = _given_scenario(scenario, found)
    calls = phone_calls(ev)
    queue = phone_queue_length(ev)
    day = _day_keys(ev)
    queue["unit"] = list(zip(*(queue[k] for k in day)))
    units = sorted(set(zip(*(ev[k] for k in day))))
    reps = len(units)
    wide = queue.pivot(index="time", columns="unit", values="queue")
    # days without any call have no column: they count as an empty queue
    for unit in sorted(set(units) - set(wide.columns)):
        wide[unit] = 0
    wide = wide.fillna(0)
    if replication is not None and not isinstance(replication, tuple):
        replication = next((u for u in units if u[0] == replication), (replication,))
    # time-averaged queue per 5 minutes, per day; then mean and spread over the days
    binned = wide.groupby((wide.index // bin_min) * bin_min).mean()
    edges = np.append(binned.index.to_numpy(), binned.index[-1] + bin_min)

    def stairs(values) -> np.ndarray:
        return np.append(np.asarray(values, dtype=float), float(np.asarray(values)[-1]))

    fig = Figure(figsize=(12, 7), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.1])
    t = wide.index.to_numpy()
    if reps >= 3:
        top.fill_between(edges, stairs(binned.quantile(0.1, axis=1)),
                         stairs(binned.quantile(0.9, axis=1)), step="post", color="#f28e2b",
                         alpha=0.25, lw=0, label=f"10-90 % of the {reps} simulated days")
    top.step(edges, stairs(binned.mean(axis=1)), where="post", color="#c4550a", lw=1.8,
             label=f"Mean over {reps} simulated day{'s' if reps != 1 else ''}"
                   f" ({bin_min:g}-minute averages)")
    if replication is not None:
        if replication not in wide.columns:
            raise ValueError(f"replication {replication[0]} is not in the event log")
        which = f"Run {replication[0]}" + (f", day {replication[1]}" if len(replication) > 1
                                           else "")
        top.step(t, wide[replication], where="post", color="black", lw=0.8, alpha=0.7,
                 label=f"{which}, minute by minute")
    top.set_ylabel("Callers waiting\n(number in the queue)")
    top.set_xlabel("Time of day (HH:MM)")
    top.tick_params(labelbottom=True)
    top.set_ylim(bottom=0)
    top.set_title(title or ("Phone queue (telefonkø) over the day"
                            + (f": {scenario.name}" if scenario is not None else "")),
                  loc="left", wrap=True)
    top.legend(loc="upper right", fontsize="small")
    top.grid(axis="both", color="#e0e0e0", lw=0.6)

    calls["hour"] = (calls["arrive"] // 60).astype(int)
    answered = calls[calls["outcome"] == "answered"]
    by_hour = pd.DataFrame({
        "mean": answered.groupby("hour")["wait_min"].mean(),
        "p90": answered.groupby("hour")["wait_min"].quantile(0.9),
        "calls": calls.groupby("hour").size() / reps,
        "abandoned": calls.groupby("hour")["outcome"].apply(lambda s: (s == "abandoned").mean()),
    }).fillna({"mean": 0.0})
    x = by_hour.index.to_numpy() * 60 + 30
    bottom.bar(x, by_hour["mean"], width=48, color="#f28e2b",
               label="Mean wait of answered calls")
    bottom.plot(x, by_hour["p90"], ls="none", marker="_", markersize=22, mew=2.5,
                color="black", label="90th percentile wait")
    top_value = float(np.nanmax([by_hour["p90"].max(), by_hour["mean"].max(), 1.0]))
    for xi, r in zip(x, by_hour.itertuples()):
        bottom.text(xi, (r.p90 if r.p90 == r.p90 else r.mean) + 0.04 * top_value,
                    f"{r.calls:.1f} calls/day\n{100 * r.abandoned:.0f} % hung up",
                    ha="center", va="bottom", fontsize="x-small")
    bottom.set_ylim(0, top_value * 1.35)
    bottom.set_ylabel("Wait until answered (min)")
    bottom.set_xlabel("Time of day (HH:MM); bars by the hour the call came in")
    bottom.set_title("Phone waits by hour of the call", loc="left")
    bottom.legend(loc="upper right", fontsize="small")
    bottom.grid(axis="y", color="#e0e0e0", lw=0.6)
    lo = min(t.min(), x.min() - 30)
    hi = max(t.max(), x.max() + 30)
    bottom.set_xlim(lo - 5, hi + 5)
    _clock_axis(bottom)
    return fig


# --- staff time use -----------------------------------------------------------------------------


def time_use_table(metrics: Any, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI of each role's minutes a day per activity over the runs (from the
    ``time_use_min`` rows): role, activity, mean, ci_low, ci_high, replications."""
    from sim.metrics import summarise

    level = confidence("level", level)
    table, _ = _unpack(metrics, "metrics")
    table = _require(table, ["replication", "metric", "role", "activity", "value"], "metrics")
    rows = table[table["metric"] == "time_use_min"]
    if "weight" not in rows:
        rows = rows.assign(weight=1.0)
    if "weekday" not in rows:
        rows = rows.assign(weekday=None)
    summary = summarise(rows, level)
    return summary[["role", "activity", "mean", "ci_low", "ci_high", "replications"]]


def _days_of_runs(days: int | None, runs: int) -> str:
    """'30 simulated days (3 runs)', or the runs alone where the days are not known."""
    text = f"{runs} run{'s' if runs != 1 else ''}"
    return f"{days} simulated day{'s' if days != 1 else ''} ({text})" if days else text


def time_use(metrics: Any, scenario=None, per_person: bool = False,
             title: str | None = None) -> Figure:
    """Staff time use by role as stacked bars of activities (hours a day), with 95 % CI
    whiskers on each segment, and each role's utilisation and overtime beside its bar.

    ``metrics`` is ``results.metrics`` (tidy, one row per replication x metric) or the
    results object. With ``per_person`` (needs the scenario for headcounts) the bars show
    hours per person instead of all people in the role.
    """
    table, found = _unpack(metrics, "metrics")
    scenario = _given_scenario(scenario, found)
    table = _require(table, ["replication", "metric", "role", "activity", "value"], "metrics")
    tu = time_use_table(table)
    heads: dict[str, int] = {}
    if scenario is not None:
        for s in scenario.staff.values():
            heads[s.role] = heads.get(s.role, 0) + s.count
    if per_person and not heads:
        raise ValueError("per_person needs the scenario (for the number of people per role)")
    roles = sorted(tu["role"].unique(), key=lambda r: _role_rank(r, scenario))
    reps = int(table["replication"].nunique())
    # each run's row weighs its measured days: the days of one role and activity over runs
    rows = table[table["metric"] == "time_use_min"]
    days = (int(rows.groupby(["role", "activity"])["weight"].sum().iloc[0])
            if "weight" in rows and len(rows) else None)
    from sim.metrics import summarise

    role_rows = table[table["activity"].isna() & table["metric"].isin(["utilisation",
                                                                        "overtime_min"])]
    if "weekday" in role_rows:
        role_rows = role_rows[role_rows["weekday"].isna()]
    pooled = summarise(role_rows) if "weight" in role_rows else None
    if pooled is not None:
        util = pooled[pooled["metric"] == "utilisation"].set_index("role")["mean"]
        over = pooled[pooled["metric"] == "overtime_min"].set_index("role")["mean"]
    else:
        util = role_rows[role_rows["metric"] == "utilisation"].groupby("role")["value"].mean()
        over = role_rows[role_rows["metric"] == "overtime_min"].groupby("role")["value"].mean()

    fig = Figure(figsize=(12, 1.9 + 0.75 * len(roles)), layout="constrained")
    ax = fig.add_subplot()
    left = np.zeros(len(roles))
    reach = np.zeros(len(roles))
    present = [a for a in ACTIVITIES if (tu.loc[tu["activity"] == a, "mean"] > 0).any()]
    div = np.array([60.0 * (heads.get(r, 1) if per_person else 1) for r in roles])
    total = sum(tu[tu["activity"] == a].set_index("role").reindex(roles)["mean"].fillna(0)
                .to_numpy() for a in present) / div if present else np.zeros(len(roles))
    span = max(float(np.max(total)) if len(total) else 0.0, 1e-9)
    for activity in present:
        part = tu[tu["activity"] == activity].set_index("role").reindex(roles)
        mean = part["mean"].fillna(0).to_numpy() / div
        lo = part["ci_low"].to_numpy() / div
        hi = part["ci_high"].to_numpy() / div
        ax.barh(range(len(roles)), mean, left=left, height=0.62,
                color=ACTIVITY_COLOURS[activity], hatch=_HATCH.get(activity),
                edgecolor="#b0b0b0" if activity == "idle" else "white", lw=0.5,
                label=ACTIVITY_LABELS[activity])
        ends = left + mean
        ok = (mean > 0) & ~np.isnan(lo) & ~np.isnan(hi)
        if ok.any():
            ax.errorbar(ends[ok], np.arange(len(roles))[ok],
                        xerr=[np.clip(mean[ok] - lo[ok], 0, None),
                              np.clip(hi[ok] - mean[ok], 0, None)],
                        fmt="none", ecolor="black", elinewidth=0.9, capsize=3)
            reach = np.maximum(reach, np.where(ok, np.nan_to_num(left + (hi - lo) / 2 + mean),
                                               reach))
        dark = activity in ("consulting", "supervising", "home_visits")
        for i, (x0, w) in enumerate(zip(left, mean)):
            if w >= 0.07 * span:
                ax.text(x0 + w / 2, i + 0.05, f"{w:.1f} h", ha="center", va="top",
                        fontsize="x-small", color="white" if dark else "#222222")
        left = ends
    reach = np.maximum(reach, left)
    for i in range(len(roles)):
        pieces = []
        if pd.notna(util.get(roles[i])):
            pieces.append(f"utilised {100 * util[roles[i]]:.0f} %")
        if pd.notna(over.get(roles[i])):
            pieces.append(f"overtime {over[roles[i]]:.0f} min")
        # beside the bar and its whiskers; very wide whiskers (few days) are cut at the frame
        ax.text(min(reach[i], span * 1.06) + 0.015 * span, i, ", ".join(pieces), va="center",
                fontsize="small", clip_on=True)
    ax.set_xlim(0, span * 1.42)
    ax.set_yticks(range(len(roles)))
    def headcount(role: str) -> str:
        if role not in heads or per_person:
            return ""
        return f"\n({heads[role]} {'person' if heads[role] == 1 else 'people'})"

    ax.set_yticklabels([_role_label(r, scenario) + headcount(r) for r in roles])
    ax.invert_yaxis()
    unit = "hours per person per day" if per_person else "hours per day, all people in the role"
    ax.set_xlabel(f"Staff time ({unit})")
    ax.set_ylabel("Role")
    ax.grid(axis="x", color="#e0e0e0", lw=0.6)
    ax.set_axisbelow(True)
    name = getattr(scenario, "name", None)
    ax.set_title(title or (f"Staff time use by role and activity{': ' + name if name else ''}"
                           f"\nmean of {_days_of_runs(days, reps)}; "
                           "whiskers: 95 % CI of each activity's hours (at its segment's end)"),
                 loc="left", wrap=True)
    fig.legend(loc="outside lower center", ncol=4, fontsize="small", frameon=False)
    return fig


# --- comparisons ------------------------------------------------------------------------------


def _check_paired(runs: Mapping[str, Any]) -> None:
    """Refuse results that do not face the same patients run by run: other seeds, other
    run numbers, or runs of other lengths (results objects say; tables say their runs)."""
    first_name, first = next(iter(runs.items()))
    for name, obj in runs.items():
        for what in ("seed", "weeks", "warmup_weeks"):
            a, b = getattr(first, what, None), getattr(obj, what, None)
            if a is not None and b is not None and a != b:
                raise ValueError(f"{name!r} has {what} {b} and {first_name!r} {a}: only runs "
                                 "of the same seed and length face the same patients, so "
                                 "their differences cannot be paired")
        mine, theirs = (set(t["replication"]) if isinstance(t, pd.DataFrame)
                        and "replication" in t else None
                        for t in (_unpack(o, "metrics")[0] for o in (obj, first)))
        if mine is not None and theirs is not None and mine != theirs:
            raise ValueError(f"{name!r} and {first_name!r} have different runs "
                             f"({len(mine)} and {len(theirs)}, not the same numbers): runs "
                             "are paired by number")


def paired_summary(runs: Mapping[str, Any], baseline: str | None = None,
                   level: float = 0.95) -> pd.DataFrame:
    """Pooled means and paired differences of a few results of the same seed (common
    random numbers), in the layout of a sweep's ``summary.parquet``: point, name, metric,
    role, activity, weekday, mean, ci_low, ci_high, replications, diff_mean, diff_ci_low,
    diff_ci_high, diff_replications, variance_reduction, paired_base_mean,
    paired_base_ci_low, paired_base_ci_high. ``runs`` maps a name to results
    (or their ``.metrics`` table); ``baseline`` defaults to the first."""
    from sim.experiment.stats import PointSummary

    level = confidence("level", level)
    if not runs:
        raise ValueError("no runs to compare")
    names = list(runs)
    baseline = names[0] if baseline is None else baseline
    if baseline not in runs:
        raise ValueError(f"baseline {baseline!r} is not one of {names}")
    _check_paired(runs)
    frames = []
    for point, (name, obj) in enumerate(runs.items()):
        t, _ = _unpack(obj, "metrics")
        t = _require(t, ["replication", "metric", "role", "activity", "value"], "metrics")
        if "weekday" not in t:
            t = t.assign(weekday=None)
        if "weight" not in t:
            t = t.assign(weight=1.0)
        frames.append((point, t))
    summary = PointSummary(list(range(len(names))), names.index(baseline))
    summary.add_parts(frames)
    table = summary.table(level)
    table.insert(1, "name", table["point"].map(dict(enumerate(names))))
    return table


def _overall(summary: pd.DataFrame, metric: str, role: str | None = None,
             activity: str | None = None) -> pd.DataFrame:
    rows = summary[summary["metric"] == metric]
    if "weekday" in rows:
        rows = rows[rows["weekday"].isna()]
    rows = rows[rows["role"].isna()] if role is None else rows[rows["role"] == role]
    rows = rows[rows["activity"].isna()] if activity is None else rows[rows["activity"] == activity]
    if rows.empty:
        raise ValueError(f"the summary has no rows for metric {metric!r}"
                         + (f" role {role!r}" if role else "")
                         + (f" activity {activity!r}" if activity else ""))
    return rows.sort_values("point")


def _baseline_point(summary: pd.DataFrame, baseline: Any = None) -> int | None:
    """The baseline's point index: given by name or index, else the point whose paired
    differences are all missing (a sweep leaves the baseline's differences empty). A
    number no point of the summary has is refused, as is a bool or a fraction: taken as
    it was, the picture was drawn as if there were no baseline, or against point 1."""
    if baseline is not None:
        if isinstance(baseline, str):
            points = sorted(int(p) for p in summary["point"].unique())
            if "name" not in summary:
                raise ValueError(f"baseline {baseline!r} is a name, but the summary has no "
                                 f"'name' column; give the baseline as a design point's "
                                 f"number: {number_ranges(points)}")
            match = summary.loc[summary["name"] == baseline, "point"]
            if match.empty:
                names = ", ".join(repr(n) for n in dict.fromkeys(summary["name"].dropna()))
                raise ValueError(f"no design point named {baseline!r}; the summary's points "
                                 f"are named {names}")
            return int(match.iloc[0])
        if isinstance(baseline, bool) or not isinstance(baseline, Integral):
            raise TypeError(f"baseline must be a design point's name or number, not "
                            f"{type(baseline).__name__} {baseline!r}")
        points = sorted(int(p) for p in summary["point"].unique())
        if int(baseline) not in points:
            raise ValueError(f"baseline {int(baseline)} is not a design point of the "
                             f"summary; its points are {number_ranges(points)}")
        return int(baseline)
    if "diff_mean" not in summary:
        return None
    empty = summary.groupby("point")["diff_mean"].apply(lambda s: s.isna().all())
    return int(empty[empty].index[0]) if empty.any() else None


def _require_metrics(summary: pd.DataFrame, metrics: Iterable[str]) -> None:
    """Every metric named is in ``summary``: a misspelt one is an error naming the closest
    names, never a panel silently left out."""
    import difflib

    have = sorted(set(summary["metric"]))
    for m in metrics:
        if m not in have:
            close = difflib.get_close_matches(m, have, n=3)
            raise ValueError(f"no metric {m!r} in the summary" + (
                f"; did you mean {', '.join(close)}?" if close else
                " (see the README's Metrics table)"))


def _direction_colour(low: float, high: float, better: str | None) -> str:
    if better is None or not (low == low and high == high) or (low <= 0 <= high):
        return _NEUTRAL
    up = low > 0
    return _GOOD if (up and better == "max") or (not up and better == "min") else _BAD


#: Most tick labels on a forest plot panel's axis: a panel is a third of the figure wide,
#: and a difference's labels (-0.015) run into each other beyond five or so.
FOREST_TICKS = 5


def paired_differences(summary: pd.DataFrame, metrics: Sequence[str] | str | None = None,
                       baseline: Any = None, title: str | None = None,
                       list_sizes: Mapping[Any, int] | None = None,
                       staffing: Mapping[Any, str] | None = None) -> Figure:
    """A forest plot: each design point's paired difference against the baseline (mean and
    95 % CI, common random numbers), one panel per metric. Green: better, red: worse,
    grey: the CI includes no difference (or the metric has no better direction, as a count
    a day has none between points of different ``list_sizes``, nor a total a day unless
    their ``staffing`` is the same: :func:`sweep_staffing`).

    ``summary`` is a sweep's ``summary.parquet`` or a :func:`paired_summary` table;
    ``metrics`` (one or a list) defaults to those of :data:`DIFF_METRICS` the summary has,
    and any named must be in it."""
    summary = _require(summary, ["point", "name", "metric", "diff_mean"],
                       "paired summary (plots.paired_summary or a sweep's summary.parquet)")
    base = _baseline_point(summary, baseline)
    if metrics is None:
        metrics = [m for m in DIFF_METRICS if (summary["metric"] == m).any()]
    else:
        metrics = texts("metrics", metrics, "a metric's name")
        _require_metrics(summary, metrics)
    if not metrics:
        raise ValueError("none of the requested metrics is in the summary")
    names = summary.drop_duplicates("point").set_index("point")["name"].sort_index()
    points = [p for p in names.index if p != base]
    if not points:
        raise ValueError("the summary holds only the baseline: nothing to compare")
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig = Figure(figsize=(4.3 * ncols + 1.5, 0.9 + nrows * (1.1 + 0.45 * len(points))),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    for ax, metric in zip(axes, metrics):
        _, unit, scale, _better = _metric_info(metric)
        rows = _overall(summary, metric).set_index("point").reindex(points)
        for i, p in enumerate(points):
            r = rows.loc[p]
            m, lo, hi = (r["diff_mean"] * scale, r["diff_ci_low"] * scale,
                         r["diff_ci_high"] * scale)
            if m != m:
                ax.text(0, i, "n/a", ha="center", va="center", fontsize="small", color=_NEUTRAL)
                continue
            colour = _direction_colour(lo, hi, better_direction(
                metric, same_list(list_sizes, p, base), same_staff(staffing, p, base),
                same_doctors(staffing, p, base)))
            if lo == lo:
                ax.plot([lo, hi], [i, i], color=colour, lw=2.2, solid_capstyle="butt")
            ax.plot([m], [i], marker="o", color=colour, markersize=6)
        ax.axvline(0, color="black", lw=0.8)
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=FOREST_TICKS))  # narrow panels
        spread = np.nanmax(np.abs(rows[["diff_ci_low", "diff_ci_high", "diff_mean"]]
                                  .to_numpy(dtype=float) * scale)) if rows["diff_mean"].notna(
                                  ).any() else 0.0
        if not spread > 1e-9:
            ax.set_xlim(-1, 1)
            ax.text(0.5, 0.97, "no difference at any point", transform=ax.transAxes,
                    ha="center", va="top", fontsize="small", color=_NEUTRAL,
                    bbox=dict(facecolor="white", edgecolor="none", pad=1))  # over the zero line
        title_text, *_ = _metric_info(metric)
        ax.set_title("\n".join(textwrap.wrap(title_text, 34)), fontsize="medium")
        ax.set_xlabel(f"Difference ({'percentage points' if unit == '%' else unit})")
        ax.grid(axis="x", color="#e0e0e0", lw=0.6)
        if spread > 1e-9:
            ax.margins(x=0.15)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].set_yticks(range(len(points)))
    axes[0].set_yticklabels([_short_name(names[p], 26) for p in points])
    axes[0].set_ylim(len(points) - 0.5, -0.5)
    for k in range(0, len(metrics), ncols):
        axes[k].set_ylabel("Design")
    base_name = names.get(base, "the baseline") if base is not None else "the baseline"
    fig.suptitle(title or (f"Paired differences against the baseline '{base_name}'\n"
                           "mean and 95 % CI under common random numbers ("
                           + ("same patients" if one_list(list_sizes)
                              else "same patients where the list size is the same") + ")"),
                 x=0.01, ha="left", wrap=True)
    fig.legend(handles=[Line2D([], [], color=c, marker="o", lw=2.2, label=t) for c, t in
                        ((_GOOD, "better than the baseline"), (_BAD, "worse than the baseline"),
                         (_NEUTRAL, "no clear difference, or no better direction"))],
               loc="outside lower center", ncol=3, fontsize="small", frameon=False)
    return fig


def _factor_values(column: pd.Series) -> list:
    values = list(dict.fromkeys(column.tolist()))
    return values


def _factor_label(path: str) -> str:
    known = {
        "delegation.degree": "Delegation degree (delegationsgrad)",
        "acute.overflow": "When acute slots run out (akuttider)",
        "acute.prefer": "Acute booking preference",
        "supervision.mode": "Supervision mode",
        "population.list_size": "List size (patients)",
    }
    if path in known:
        return known[path]
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "staff" and parts[2] == "count":
        return f"People in staff group '{parts[1]}' (count)"
    return path


def sweep_staffing(scenarios: pd.DataFrame) -> dict[Any, str]:
    """Each design point's staffing, from a sweep's ``scenarios.parquet``: the points share
    their base scenario, so two have the same staff exactly when their factors in the
    staffing sections (``staff.``, ``roles.``, ``duties.``, ``meetings.``) agree."""
    columns = [c for c in scenarios.columns if c.split(".")[0] in STAFFING_SECTIONS]
    return {p: json.dumps([None if pd.isna(v) else v for v in values], default=str)
            for p, *values in scenarios[["point", *columns]].itertuples(index=False)}


def _fixed(scenarios: pd.DataFrame, where: Mapping[str, Any], factors: list[str]
           ) -> pd.DataFrame:
    """The points of ``scenarios`` with each factor of ``where`` at its value. A factor the
    sweep lacks, or a value no point left has, is an error naming it and what the sweep
    has: it left no cell to draw, and matplotlib's error said nothing of why."""
    design = scenarios
    fixed: list[str] = []
    for f, v in where.items():
        if f not in scenarios.columns:
            raise ValueError(f"where: {f!r} is not a factor of this sweep (factors: "
                             f"{factors})")
        if not pd.api.types.is_scalar(v):
            raise TypeError(f"where: {f} takes one value, not {type(v).__name__} {v!r} "
                            f"(its values: {_factor_values(design[f])}); draw one picture "
                            f"per value")
        chosen = design[f] == v
        if not chosen.any():
            among = (f"among the points with {', '.join(fixed)} (their values: "
                     if fixed else "in this sweep (its values: ")
            raise ValueError(f"where: {f} has no value {v!r} {among}"
                             f"{_factor_values(design[f])})")
        design = design[chosen]
        fixed.append(f"{f} = {v!r}")
    return design.copy()


def heatmap(summary: pd.DataFrame, scenarios: pd.DataFrame, metric: str, x: str,
            y: str | None = None, role: str | None = None, activity: str | None = None,
            value: str = "mean", baseline: Any = None, where: Mapping[str, Any] | None = None,
            fade_unclear: bool = True, title: str | None = None) -> Figure:
    """A metric over one or two factors of a sweep: cells coloured green where better.

    ``scenarios`` is the sweep's ``scenarios.parquet`` (point, name, one column per factor);
    ``x`` and ``y`` are factor columns (``y=None`` for one factor). ``value`` is "mean" or
    "diff_mean" (the paired difference against the baseline). Points of other factors can
    be fixed with ``where={factor: value}``. Each cell shows the mean and its 95 % CI; the
    baseline's cell is framed. With paired differences in the summary, colour marks only
    what their CIs support: a cell is green (better) or red (worse) only where its paired
    difference from the baseline excludes zero, deeper the larger the difference relative
    to the baseline (full at :data:`FULL_COLOUR_RELATIVE_CHANGE`), and white otherwise, so
    a small range of means is never painted as a large one. Without them (no baseline),
    the scale spans the means and ``fade_unclear`` has nothing to fade."""
    if value not in ("mean", "diff_mean"):
        raise ValueError("value must be 'mean' or 'diff_mean'")
    factors = [c for c in scenarios.columns if c not in ("point", "name")]
    for f in (x, y):
        if f is not None and f not in scenarios.columns:
            raise ValueError(f"{f!r} is not a factor of this sweep (factors: {factors})")
    design = _fixed(scenarios, where or {}, factors)
    rows = _overall(summary, metric, role, activity).drop(columns=["name"], errors="ignore")
    data = design.merge(rows, on="point", how="inner")
    label, unit, scale, _better = _metric_info(metric)
    # a count a day grows with the list: no better direction where a point's list differs
    # from the baseline's, against which the colours are (the baseline may be filtered out)
    lists = (dict(zip(scenarios["point"], scenarios["population.list_size"]))
             if "population.list_size" in scenarios else None)
    shown = list(design["point"])
    base_point = _baseline_point(summary, baseline)
    ref = base_point if base_point is not None else (shown[0] if shown else None)
    staffing = sweep_staffing(scenarios)
    better = better_direction(metric, all(same_list(lists, p, ref) for p in shown),
                              all(same_staff(staffing, p, ref) for p in shown),
                              all(same_doctors(staffing, p, ref) for p in shown))
    ykey = y if y is not None else "_all"
    if y is None:
        data[ykey] = ""
    if data.duplicated([x, ykey]).any():
        others = [c for c in scenarios.columns if c not in ("point", "name", x, y)]
        raise ValueError(f"several points share each ({x}, {y}) cell: fix the other factors "
                         f"{others} with where={{...}}")
    xs = _factor_values(design[x])
    ys = _factor_values(data[ykey]) if y is None else _factor_values(design[y])
    lo_col, hi_col = ("ci_low", "ci_high") if value == "mean" else ("diff_ci_low", "diff_ci_high")
    grid = np.full((len(ys), len(xs)), np.nan)
    lows, highs = grid.copy(), grid.copy()
    clear = np.ones_like(grid, dtype=bool)
    for _, row in data.iterrows():
        i, j = ys.index(row[ykey]), xs.index(row[x])
        grid[i, j] = row[value] * scale
        lows[i, j] = row[lo_col] * scale
        highs[i, j] = row[hi_col] * scale
        if "diff_ci_low" in row:
            dl, dh = row["diff_ci_low"], row["diff_ci_high"]
            clear[i, j] = bool(dl == dl and dh == dh and not (dl <= 0 <= dh))
    base = _baseline_point(summary, baseline)
    paired = "diff_ci_low" in data and base is not None
    fig = Figure(figsize=(max(6.0, 1.9 * len(xs) + 3), max(3.2, 1.1 * len(ys) + 2)),
                 layout="constrained")
    ax = fig.add_subplot()
    finite = grid[np.isfinite(grid)]
    if paired:
        # colour marks what the CI supports: a cell is green or red only where its paired
        # difference from the baseline excludes zero, and its depth grows with the
        # relative size of the difference, so 1.91 against 1.83 is never "full red
        # against full green"
        colour_of = _supported_scores(data, xs, ys, x, ykey, scale, better)
        cmap, vmin, vmax = _SUPPORTED_CMAP, -1.0, 1.0
    else:
        colour_of = grid
        cmap = {"max": "RdYlGn", "min": "RdYlGn_r"}.get(better, "viridis")
        if value == "diff_mean" and finite.size:
            bound = float(np.abs(finite).max()) or 1.0
            vmin, vmax = -bound, bound
        else:
            vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0, 1)
            if vmin == vmax:
                vmin, vmax = vmin - 1, vmax + 1
    image = ax.imshow(np.ma.masked_invalid(colour_of), cmap=cmap, vmin=vmin, vmax=vmax,
                      aspect="auto")
    norm = image.norm
    cm = image.get_cmap()
    largest = float(np.nanmax(np.abs(finite))) if finite.size else 0.0
    digits = 0 if largest >= 100 else 1 if largest >= 1 else 2
    if value == "diff_mean" and finite.size:
        smallest = float(np.nanmin(np.abs(finite[finite != 0]))) if (finite != 0).any() else 1
        digits = max(digits, 1 if smallest < 10 else 0)
    base_cell = None
    if base is not None and (data["point"] == base).any():
        b = data[data["point"] == base].iloc[0]
        base_cell = (ys.index(b[ykey]), xs.index(b[x]))
    for i in range(len(ys)):
        for j in range(len(xs)):
            v = grid[i, j]
            if v != v:
                text = "baseline\n(0 by definition)" if (i, j) == base_cell else "n/a"
                ax.text(j, i, text, ha="center", va="center", color="#555555",
                        fontsize="small")
                continue
            shade = colour_of[i, j]
            rgb = cm(norm(shade))[:3] if shade == shade else (1.0, 1.0, 1.0)
            fade = (fade_unclear and "diff_ci_low" in data and (i, j) != base_cell
                    and not clear[i, j] and not paired)
            dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.5 and not fade
            ci = (f"\n[{lows[i, j]:,.{digits}f}, {highs[i, j]:,.{digits}f}]"
                  if lows[i, j] == lows[i, j] else "")
            sign = "+" if value == "diff_mean" and v > 0 else ""
            ax.text(j, i, f"{sign}{v:,.{digits}f}{ci}", ha="center", va="center",
                    fontsize="medium", color="white" if dark else "black")
    faded = 0
    if paired:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if (i, j) != base_cell and grid[i, j] == grid[i, j] and not clear[i, j]:
                    faded += 1
                    ax.text(j, i + 0.42, "no clear difference", ha="center", va="bottom",
                            fontsize="x-small", color="#555555", zorder=3)
    elif fade_unclear and "diff_ci_low" in data:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if (i, j) != base_cell and grid[i, j] == grid[i, j] and not clear[i, j]:
                    faded += 1
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="white",
                                           alpha=0.72, edgecolor="none", zorder=2))
                    ax.text(j, i + 0.42, "no clear difference", ha="center", va="bottom",
                            fontsize="x-small", color="#555555", zorder=3)
    for txt in ax.texts:
        txt.set_zorder(3)
    if base_cell is not None:
        bi, bj = base_cell
        ax.add_patch(Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, lw=2.5,
                               edgecolor="black"))
        if value == "mean":
            ax.text(bj, bi + 0.47, "baseline", ha="center", va="bottom", fontsize="x-small",
                    fontweight="bold")
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([str(v) for v in xs])
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels([str(v) for v in ys] if y is not None else [""])
    ax.set_xlabel(_factor_label(x))
    if y is not None:
        ax.set_ylabel(_factor_label(y))
    else:
        ax.set_ylabel("\n".join(f"{_factor_label(f)} = {v}" for f, v in (where or {}).items())
                      or "All design points")
    cbar = fig.colorbar(image, ax=ax, shrink=0.9)
    if paired:
        cbar.set_ticks([-1, 0, 1])
        full = f"{100 * FULL_COLOUR_RELATIVE_CHANGE:.0f} %"
        cbar.set_ticklabels([f"worse by\n{full}+", "no clear\ndifference", f"better by\n{full}+"])
        # three short lines: the label runs along the bar, which in a one-row heatmap is
        # barely three inches tall, and two long lines ran off the figure at both ends
        cbar.set_label("Relative difference from\nthe baseline, coloured where\nits 95 % CI "
                       "excludes zero")
    else:
        cbar_label = metric_label(metric, role, activity, diff=value == "diff_mean")
        cbar.set_label(("Difference vs baseline: " if value == "diff_mean" else "")
                       + "\n".join(textwrap.wrap(cbar_label, 40)))
    what = "paired difference against the baseline" if value == "diff_mean" else "mean"
    ax.set_title(title or ("\n".join(textwrap.wrap(metric_label(metric, role, activity,
                                                                diff=value == "diff_mean"), 60))
                           + f"\n{what} [95 % CI] per design point"
                           + ("; green is better" if better else "")
                           + ("\ncoloured only where the paired difference's CI excludes 0"
                              if paired else "")
                           + ("\nfaded: paired difference vs baseline not clear (CI includes 0)"
                              if faded and not paired else "")), loc="left")
    return fig


#: The relative difference from the baseline (|difference| / |baseline mean|) that a
#: heatmap paints in full green or red; smaller supported differences are paler. A quarter
#: is a change a practice notices in any of its figures.
FULL_COLOUR_RELATIVE_CHANGE = 0.25

_SUPPORTED_CMAP = None  # built on first use (a red-white-green scale)


def _supported_scores(data: pd.DataFrame, xs: list, ys: list, x: str, ykey: str,
                      scale: float, better: str | None) -> np.ndarray:
    """Per cell: +1 (much better) .. -1 (much worse), 0 where the paired difference's CI
    includes zero or the metric has no better direction; NaN where there is no value."""
    global _SUPPORTED_CMAP
    from matplotlib.colors import LinearSegmentedColormap

    if _SUPPORTED_CMAP is None:
        _SUPPORTED_CMAP = LinearSegmentedColormap.from_list(
            "supported", [_BAD, "#ffffff", _GOOD])
    scores = np.full((len(ys), len(xs)), np.nan)
    base_mean = None
    rows = list(data.iterrows())
    for _, row in rows:
        if not (row["diff_mean"] == row["diff_mean"]):  # the baseline: no difference
            base_mean = row["mean"]
    for _, row in rows:
        i, j = ys.index(row[ykey]), xs.index(row[x])
        if row["mean"] != row["mean"]:
            continue
        dl, dh, d = row["diff_ci_low"], row["diff_ci_high"], row["diff_mean"]
        if better is None or not (dl == dl and dh == dh) or dl <= 0 <= dh:
            scores[i, j] = 0.0
            continue
        # the baseline's mean over the runs this difference pairs (a sweep's point may
        # have stopped before the baseline did), else its mean, else the point's own
        paired = row.get("paired_base_mean", np.nan)
        own = paired if paired == paired else base_mean
        reference = abs(own) if own and own == own else abs(row["mean"])
        size = abs(d) / reference if reference else 1.0
        good = (d > 0) == (better == "max")
        scores[i, j] = (1 if good else -1) * min(1.0, size / FULL_COLOUR_RELATIVE_CHANGE)
    return scores


def non_dominated(df: pd.DataFrame, minimise: Sequence[str] | str = (),
                  maximise: Sequence[str] | str = ()) -> pd.Series:
    """True for the rows no other row dominates (Pareto-optimal design points).

    Row *a* dominates row *b* when *a* is at least as good in every column (lower in
    ``minimise``, higher in ``maximise``) and strictly better in at least one. Rows with a
    missing value in any of the columns are never non-dominated (and dominate nothing);
    identical rows do not dominate each other. Returns a boolean Series on ``df.index``
    (the rule of :func:`sim.frontier.non_dominated`, with keyword-first arguments)."""
    minimise = texts("minimise", minimise, "a column's name")
    maximise = texts("maximise", maximise, "a column's name")
    columns = minimise + maximise
    if not columns:
        raise ValueError("name at least one column to minimise or maximise")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    from sim.frontier import non_dominated as frontier_non_dominated  # one definition

    return frontier_non_dominated(df, list(maximise), list(minimise)).rename("non_dominated")


#: Trade-off labels: points nearer than this share of each axis's span share one label
#: (about a label's height on the plot), so no two numbers are drawn over each other.
LABEL_NEAR = 0.025


def tradeoff(summary: pd.DataFrame, x: str = "cost_per_contact_dkk",
             y: str = "acute_same_day_rate", baseline: Any = None,
             minimise: Sequence[str] | str | None = None,
             maximise: Sequence[str] | str | None = None,
             title: str | None = None) -> Figure:
    """Cost against access: every design point with 95 % CI crosses, the non-dominated
    ones (no other point is both cheaper and better) starred and joined, the baseline framed.

    Whether lower or higher is better comes from :data:`METRICS` unless ``minimise`` and
    ``maximise`` name the metrics."""
    _require_metrics(summary, (x, y))
    if minimise is None and maximise is None:
        minimise = [m for m in (x, y) if _metric_info(m)[3] == "min"]
        maximise = [m for m in (x, y) if _metric_info(m)[3] == "max"]
        unknown = [m for m in (x, y) if _metric_info(m)[3] is None]
        if unknown:
            raise ValueError(f"no better direction known for {unknown}: pass minimise=[...] "
                             "and/or maximise=[...]")
    minimise = texts("minimise", minimise, "a metric's name") if minimise else []
    maximise = texts("maximise", maximise, "a metric's name") if maximise else []
    tables = {}
    for metric in (x, y):
        r = _overall(summary, metric).set_index("point")
        tables[metric] = r
    points = sorted(set(tables[x].index) & set(tables[y].index))
    names = summary.drop_duplicates("point").set_index("point")["name"]
    frame = pd.DataFrame({"name": [names[p] for p in points],
                          x: tables[x].loc[points, "mean"].to_numpy(dtype=float),
                          y: tables[y].loc[points, "mean"].to_numpy(dtype=float)}, index=points)
    front = non_dominated(frame, minimise=[m for m in minimise if m in (x, y)],
                          maximise=[m for m in maximise if m in (x, y)])
    xs = _metric_info(x)[2]
    ys = _metric_info(y)[2]
    base = _baseline_point(summary, baseline)

    fig = Figure(figsize=(13, 6.8), layout="constrained")
    ax, key = fig.subplots(1, 2, width_ratios=[2.6, 1])
    for p in points:
        rx, ry = tables[x].loc[p], tables[y].loc[p]
        mx, my = rx["mean"] * xs, ry["mean"] * ys
        xerr = [[max(0.0, mx - rx["ci_low"] * xs)], [max(0.0, rx["ci_high"] * xs - mx)]] \
            if pd.notna(rx["ci_low"]) else None
        yerr = [[max(0.0, my - ry["ci_low"] * ys)], [max(0.0, ry["ci_high"] * ys - my)]] \
            if pd.notna(ry["ci_low"]) else None
        on = bool(front[p])
        ax.errorbar([mx], [my], xerr=xerr, yerr=yerr, fmt="*" if on else "o",
                    markersize=16 if on else 7, color="#e15759" if on else "#8c8c8c",
                    ecolor="#c8c8c8", elinewidth=1, capsize=2, zorder=3)
        if p == base:
            ax.plot([mx], [my], marker="s", markersize=19, mfc="none", mec="black", mew=1.5,
                    zorder=4)
    # label the points by their number in the summary; points that (nearly) coincide as
    # drawn share one label "4, 7": near within a share of the axes' spans (the CI
    # crosses and margins included), not of the points' own spread, which can be a tiny
    # part of an axis the crosses stretch
    px, py = frame[x].to_numpy() * xs, frame[y].to_numpy() * ys
    ax.margins(0.12)
    rx_ = abs(np.subtract(*ax.get_xlim())) or 1.0
    ry_ = abs(np.subtract(*ax.get_ylim())) or 1.0
    done: set[int] = set()
    for k in range(len(points)):
        if k in done or not (px[k] == px[k] and py[k] == py[k]):
            continue
        group = [j for j in range(len(points)) if j not in done
                 and abs(px[j] - px[k]) < LABEL_NEAR * rx_
                 and abs(py[j] - py[k]) < LABEL_NEAR * ry_]
        done.update(group)
        framed = any(points[j] == base for j in group)  # clear of the baseline's square
        ax.annotate(", ".join(str(points[j]) for j in group), (px[k], py[k]),
                    xytext=(11, 9) if framed else (7, 6),
                    textcoords="offset points", fontsize="small", zorder=5,
                    fontweight="bold" if any(front.iloc[j] for j in group) else "normal")
    fr = frame[front].sort_values(x)
    if len(fr) > 1:
        ax.plot(fr[x] * xs, fr[y] * ys, color="#e15759", lw=1, ls="--", zorder=2)
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(y))
    ax.grid(color="#e6e6e6", lw=0.6)
    # values as they are (99.996 %), not as an offset and its remainder (+9.999e1, 0.006):
    # a figure that hardly varies between points must still read as itself
    ax.ticklabel_format(useOffset=False, style="plain")
    horiz = "left" if x in minimise else "right"
    vert = "down" if y in minimise else "up"
    arrow = {("left", "up"): "↖", ("left", "down"): "↙", ("right", "up"): "↗",
             ("right", "down"): "↘"}[(horiz, vert)]
    ax.text(0.99 if horiz == "right" else 0.01, 0.99 if vert == "up" else 0.01,
            f"better {arrow}", transform=ax.transAxes, ha=horiz,
            va="top" if vert == "up" else "bottom", fontsize="large", color=_GOOD,
            fontweight="bold")
    ax.set_title(title or (f"Trade-off: {_metric_info(x)[0].lower()} against "
                           f"{_metric_info(y)[0].lower()}\nmeans per design point; crosses: "
                           "95 % CI of each mean (paired differences are tighter)"),
                 loc="left")
    # the key: design points by their number (the ``point`` column of the summary)
    key.axis("off")
    key.set_title("Design points", loc="left")
    lines = []
    for p in points:
        tags = [t for t, flag in (("non-dominated", bool(front[p])), ("baseline", p == base))
                if flag]
        lines.append((p, _short_name(names[p], 34), ", ".join(tags), bool(front[p])))
    step = min(0.08, 0.78 / max(1, len(lines)))
    for k, (number, text, tags, on) in enumerate(lines):
        yk = 0.97 - k * step
        key.text(0.0, yk, f"{number}", fontweight="bold" if on else "normal",
                 color="#e15759" if on else "#333333", va="top", transform=key.transAxes)
        key.text(0.09, yk, text.replace("\n", " ") + (f"  ({tags})" if tags else ""),
                 va="top", fontsize="small", transform=key.transAxes, wrap=True,
                 fontweight="bold" if on else "normal")
    key.legend(handles=[
        Line2D([], [], marker="*", color="#e15759", ls="--", markersize=13,
               label="Non-dominated: no other point\nis better on both axes"),
        Line2D([], [], marker="o", color="#8c8c8c", ls="none", label="Dominated design point"),
        Line2D([], [], marker="s", mfc="none", mec="black", ls="none", markersize=12,
               label="Baseline"),
        Line2D([], [], color="#c8c8c8", label="95 % CI")],
        loc="lower left", fontsize="small", frameon=False)
    return fig


# --- calibration ------------------------------------------------------------------------------

_NATIONAL = {"contacts_per_patient_year": "Contacts per listed patient a year",
             "contacts_per_gp_day": "Contacts per GP a working day",
             "face_to_face_per_gp_day": "Face-to-face contacts per GP a day"}


def _verdict_colour(verdict: str) -> str:
    v = str(verdict)
    if v.startswith("within"):
        return _GOOD
    if v.startswith("borderline"):
        return "#f0a30a"
    if v.startswith("outside"):
        return _BAD
    return _NEUTRAL


#: The axis of case statements that are shares, and its scale (fractions drawn in %).
_SHARE = ("Share (%)", 100.0)
#: Kinds of case statement in another unit than a share: (axis label, scale).
_STATEMENT_UNITS = {"planned_wait_days": ("Working days", 1.0)}


def calibration_ranges(table: pd.DataFrame, title: str | None = None) -> Figure:
    """The model against the sources' stated figures: for each target a grey band (the
    stated range) and the model's mean with its 95 % CI, coloured by the verdict (green
    within, amber borderline, red outside). Top: the case statements (shares in %, then
    waits in working days, each on an axis of its own); below: the national face-validity
    figures for every case.

    ``table`` is :func:`sim.calibration.calibrate`'s result (or report.csv)."""
    need = ["target", "case", "statement", "kind", "stated_low", "stated_high", "model_mean",
            "ci_low", "ci_high", "verdict"]
    table = _require(table, need, "calibration")
    national = table[table["kind"].isin(list(_NATIONAL))]
    statements = table[~table["kind"].isin(list(_NATIONAL))]
    # statements by unit: shares in %, waits in working days (each on an axis of its own)
    groups = [(unit, statements[statements["kind"].map(
        lambda k: _STATEMENT_UNITS.get(k, _SHARE)[0]) == unit[0]]) for unit in
        (_SHARE, *dict.fromkeys(_STATEMENT_UNITS.values()))]
    groups = [(unit, part) for unit, part in groups if len(part)]
    kinds = [k for k in _NATIONAL if (national["kind"] == k).any()]
    cases = sorted(national["case"].unique())
    heights = [0.5 * len(part) + 1.0 for _unit, part in groups]
    heights += [0.3 * len(cases) + 1.4] if kinds else []
    fig = Figure(figsize=(13, 1.6 + sum(heights)), layout="constrained")
    sub = fig.subfigures(len(heights), 1, height_ratios=heights) if len(heights) > 1 else [fig]
    k = 0

    def draw(ax, y, r, scale):
        lo, hi = r.stated_low * scale, r.stated_high * scale
        ax.barh(y, hi - lo, left=lo, height=0.6, color="#d9d9d9", edgecolor="#9a9a9a", lw=0.6)
        colour = _verdict_colour(r.verdict)
        if r.ci_low == r.ci_low:
            ax.plot([r.ci_low * scale, r.ci_high * scale], [y, y], color=colour, lw=2.2)
        if r.model_mean == r.model_mean:
            ax.plot([r.model_mean * scale], [y], "o", color=colour, markersize=6)

    for (unit, scale), part in groups:
        ax = sub[k].add_subplot()
        for i, r in enumerate(part.itertuples(index=False)):
            draw(ax, i, r, scale)
        ax.set_yticks(range(len(part)))
        ax.set_yticklabels([f"Case {r.case}: " + "\n".join(textwrap.wrap(r.statement, 60))
                            for r in part.itertuples(index=False)], fontsize="small")
        ax.set_ylim(len(part) - 0.5, -0.5)
        if (unit, scale) == _SHARE:
            ax.set_xlim(0, 100)
        else:
            ax.set_xlim(0, None)
        ax.set_xlabel(f"{unit}: stated range (grey band) and model mean with 95 % CI")
        ax.set_ylabel("Statement in the case report")
        ax.set_title("Case statements (seed 003)" + ("" if k == 0 else ", continued"),
                     loc="left")
        ax.grid(axis="x", color="#e6e6e6", lw=0.6)
        k += 1
    if kinds:
        axes = np.atleast_1d(sub[k].subplots(1, len(kinds), sharey=True))
        for ax, kind in zip(axes, kinds):
            part = national[national["kind"] == kind].set_index("case").reindex(cases)
            for i, case in enumerate(cases):
                r = part.loc[case]
                if isinstance(r["verdict"], str):
                    draw(ax, i, r, 1.0)
            ax.set_title("\n".join(textwrap.wrap(_NATIONAL[kind], 30)), fontsize="medium")
            ax.set_xlabel("per " + ("patient a year" if kind.endswith("year") else "GP a day"))
            ax.grid(axis="x", color="#e6e6e6", lw=0.6)
        axes[0].set_yticks(range(len(cases)))
        axes[0].set_yticklabels([f"case {c:02d}" for c in cases])
        axes[0].set_ylim(len(cases) - 0.5, -0.5)
        axes[0].set_ylabel("Practice case")
        # read at the national list where the case's own-list figure stands beside it
        at_list = "own_list_mean" in national and national["own_list_mean"].notna().all()
        sub[k].suptitle("National face-validity figures, every case"
                        + (", each read at the national list its source states it for"
                           if at_list else ""), x=0.01, ha="left",
                        fontsize="medium")
    reps = table["replications"].max() if "replications" in table else None
    fig.suptitle(title or ("Calibration: the model against the figures the sources state"
                           + (f" ({int(reps)} runs per case)" if reps == reps
                              and reps is not None else "")), x=0.01, ha="left")
    fig.legend(handles=[Patch(facecolor="#d9d9d9", edgecolor="#9a9a9a", label="Stated range"),
                        *(Line2D([], [], color=c, marker="o", lw=2.2, label=t) for c, t in
                          ((_GOOD, "Model within the range"),
                           ("#f0a30a", "Borderline (CI overlaps)"),
                           (_BAD, "Model outside the range")))],
               loc="outside lower center", ncol=4, fontsize="small", frameon=False)
    return fig


# --- the capacity search --------------------------------------------------------------------

#: A target's status at a list size, as the capacity search judged it, and its colour.
_STATUS_COLOURS = {"met": _GOOD, "unclear": _NEUTRAL, "violated": _BAD}
#: Characters of a panel's title line (two panels side by side).
_PANEL_TITLE_CHARS = 48


def capacity_search(result: Any, title: str | None = None) -> Figure:
    """The capacity search in a picture: one panel per target, with its figure's mean and
    95 % CI at each list size tried (green met, grey unclear, red confidently missed), the
    target as a dashed line, and the capacity as a vertical line (dotted where it is a
    lower bound only: no larger list was confidently missed).

    ``result`` is :func:`sim.capacity.find_capacity`'s result (``clinicsim capacity
    --plot``)."""
    from sim.targets import STEADY_STATE

    tried = sorted(result.evaluations, key=lambda e: e.list_size)
    targets = list(result.targets)
    cols = 1 if len(targets) == 1 else 2
    rows = math.ceil(len(targets) / cols)
    fig = Figure(figsize=(6.5 * cols if cols > 1 else 8.0, 1.6 + 2.4 * rows),
                 layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
    served = result.capacity > 0
    for ax, target in zip(axes, targets):
        _label, unit, scale, _better = _metric_info(target.metric)
        for e in tried:
            row = next((r for r in e.rows if r["target"] == str(target)), None)
            if row is None:
                continue
            colour = _STATUS_COLOURS.get(row["status"], _NEUTRAL)
            if row["ci_low"] == row["ci_low"] and row["ci_high"] == row["ci_high"]:
                ax.plot([e.list_size] * 2, [row["ci_low"] * scale, row["ci_high"] * scale],
                        color=colour, lw=2.2)
            if row["mean"] == row["mean"]:
                ax.plot([e.list_size], [row["mean"] * scale], "o", color=colour, ms=5)
        ax.axhline(target.value * scale, color="0.25", ls="--", lw=1)
        if served:
            ax.axvline(result.capacity, color="0.25", lw=1.2,
                       ls="-" if result.settled else ":")
        ax.set_title("\n".join(textwrap.wrap(target.words(), _PANEL_TITLE_CHARS)),
                     fontsize="medium", loc="left")
        ax.set_ylabel(unit or "value")
        ax.grid(color="#e6e6e6", lw=0.6)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    for ax in axes[len(targets):]:
        ax.set_visible(False)
    for i in range(len(targets) - cols, len(targets)):  # each column's lowest panel
        if i >= 0:
            axes[i].xaxis.set_tick_params(labelbottom=True)
            axes[i].set_xlabel("Listed patients (the list sizes tried)")
    if title is None:
        if not served:
            answer = "no list served within the targets"
        else:
            answer = (f"{'' if result.settled else 'at least '}{result.capacity:,} listed "
                      "patients")
        binding = result.target(result.settled_binding or "")
        title = "\n".join([*textwrap.wrap(f"Capacity of {result.scenario}: {answer}",
                                           45 * cols + 25),
                           *([f"bound by: {binding.words()}"] if binding is not None
                             else [])])
    fig.suptitle(title, x=0.01, ha="left")
    level = f"{result.confidence * 100:g} %"
    met = (f"met (whole {level} CI on the good side"
           + ("; a trend's: not wholly on the bad side)"
              if any(t.metric in STEADY_STATE for t in result.targets) else ")"))
    fig.legend(handles=[
        *(Line2D([], [], color=c, marker="o", lw=2.2, label=t) for c, t in
          ((_GOOD, met), (_NEUTRAL, "unclear"), (_BAD, "confidently missed"))),
        Line2D([], [], color="0.25", ls="--", lw=1, label="target"),
        Line2D([], [], color="0.25", lw=1.2, ls="-" if result.settled else ":",
               label="capacity" if result.settled else "capacity (a lower bound)")],
        loc="outside lower center", ncol=5 if cols > 1 else 3, fontsize="small",
        frameon=False)
    return fig


# --- the weeks -------------------------------------------------------------------------------


#: Most weeks a roster figure shows: the cycle of rotations, duties and meetings, up to this.
ROSTER_MOST_WEEKS = 4


def roster_weeks(scenario, most: int = ROSTER_MOST_WEEKS) -> int:
    """Weeks after which the roster repeats (the least common multiple of its rotations',
    duties' and meetings' cycles), at most ``most``: what a roster figure should show.
    ``scenario``: a loaded scenario, a bundled name or a file."""
    import math

    from sim.scenario.loading import as_scenario

    scenario = as_scenario(scenario)

    cycles = [s.rotation.every_weeks for s in scenario.staff.values() if s.rotation]
    cycles += [len(d.rota) for d in scenario.duties.values()]
    cycles += [m.every_weeks for m in scenario.meetings.values()]
    return min(most, math.lcm(1, *cycles))


#: The roster's block kinds: colour and legend label, in legend order; a new kind is one row.
#: The colours are clearly apart for colour-blind eyes too (Okabe-Ito and Paul Tol's
#: qualitative sets beside the roster's earlier blue, red, orange, brown and grey): a floor
#: doctor's day must not read as supervision, nor an open consultation as planned slots.
ROSTER_KINDS: dict[str, tuple[str, str]] = {
    "planned": ("#2f6db5", "planned"),
    "acute": ("#d7191c", "acute"),
    "open": ("#56b4e9", "open"),
    "floor": ("#cc79a7", "floor"),
    "phone": ("#f28e2b", "phone"),
    "home_visits": ("#9c6b4e", "home visits"),
    "nursing_home": ("#d2b48c", "nursing home"),
    "supervision": ("#332288", "supervision"),
    "admin": ("#009e73", "admin"),
    "meeting": ("#f0e442", "meeting"),
    "buffer": ("#c7e9c0", "buffer"),
    "lunch": ("#cfcfcf", "lunch"),
    "other": ("#555555", "other"),
}


def _roster_kind(kind: str, scenario) -> str:
    """The row of :data:`ROSTER_KINDS` a block kind is drawn as: its own, or for a kind a
    scenario defines for itself the kind it is (its slots, the phone, admin, home visits,
    supervision), so a secretary's 'admin and the acute line' afternoon is not drawn as
    lunch; "other" for the rest."""
    if kind in ROSTER_KINDS:
        return kind
    bk = scenario.block_kinds.get(kind)
    if bk is None:
        return "other"
    if bk.slots != "none":
        return bk.slots
    if bk.activity == "inbox_admin":
        return "admin"
    if "call" in bk.serves:
        return "phone"
    if bk.activity == "home_visits" or "home_visit" in bk.serves:
        return "home_visits"
    if bk.activity == "being_supervised":
        return "supervision"
    return "other"


def week_roster(scenario, weeks: int = 1, title: str | None = None) -> Figure:
    """Who works which day: one row per person, one column per working day of the first
    ``weeks`` weeks, each cell showing their hours (blank: not in), with the day's blocks
    coloured by kind (:data:`ROSTER_KINDS`); the legend names the kinds drawn.
    ``scenario``: a loaded scenario, a bundled name or a file (a results object's is its
    ``.scenario``)."""
    from sim.engine import CompiledScenario, RunCalendar
    from sim.scenario.loading import as_scenario

    scenario = as_scenario(scenario)
    model = CompiledScenario(scenario)
    calendar = RunCalendar(scenario.calendar, weeks=weeks, warmup_weeks=0)
    days = calendar.days()
    people: dict[str, str] = {}
    for p in model.everyone:
        people.setdefault(p.id, p.role)
    order = sorted(people, key=lambda sid: (_role_rank(people[sid], scenario), _natural(sid)))
    row_of = {sid: i for i, sid in enumerate(order)}
    drawn: set[str] = set()
    per_day = 1.3 if weeks == 1 else 0.8  # inches a day: several weeks stay readable
    fig = Figure(figsize=(max(7.0, per_day * len(days) + 3), 1.4 + 0.38 * len(order)),
                 layout="constrained")
    ax = fig.add_subplot()
    for x, day in enumerate(days):
        for person in model.people_on(day):
            y = row_of[person.id]
            span = max(person.end - person.start, 1e-9)
            for block in person.plan:  # the day's blocks as a strip across the cell
                left = x + 0.05 + 0.9 * (block.start - person.start) / span
                width = 0.9 * (block.end - block.start) / span
                kind = _roster_kind(block.kind, scenario)
                drawn.add(kind)
                ax.add_patch(Rectangle((left, y - 0.36), width, 0.72, lw=0,
                                       facecolor=ROSTER_KINDS[kind][0]))
            ax.text(x + 0.5, y, f"{clock_text(person.start)}-{clock_text(person.end)}",
                    ha="center", va="center", fontsize=7, color="white",
                    bbox=dict(boxstyle="round,pad=0.1", fc="#00000055", lw=0))
    ax.set_xlim(0, len(days))
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xticks([i + 0.5 for i in range(len(days))])
    ax.set_xticklabels([f"{d.name}\nweek {d.week + 1}" if weeks > 1 else d.name
                        for d in days], fontsize=7 if weeks > 1 else None)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"{sid}  ({_role_label(people[sid], scenario)})" for sid in order])
    ax.set_xlabel("Working day")
    ax.set_ylabel("Staff member (role)")
    ax.set_title(title or f"Who works which day: {scenario.name}", loc="left", wrap=True)
    handles = [Patch(facecolor=colour, label=label)
               for kind, (colour, label) in ROSTER_KINDS.items() if kind in drawn]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize="small",
                   frameon=False)
    return fig


def _tnaa_columns(columns: list[str], roles: list[str]) -> list[str]:
    """The TNAA columns of ``roles``; a role the days do not have is an error listing the
    roles they have (a misspelt one left its panel empty without a word)."""
    have = [c.removeprefix("tnaa_days_") for c in columns]
    unknown = [r for r in roles if r not in have]
    if unknown:
        raise ValueError(f"roles must name roles whose TNAA the days hold "
                         f"({', '.join(have) or 'none'}); found "
                         f"{', '.join(map(repr, unknown))}")
    return [f"tnaa_days_{r}" for r in roles]


#: A panel's legend to the right of its axes, top-aligned.
LEGEND_BESIDE = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                     frameon=False)


def access_over_run(days: Any, roles: Sequence[str] | str | None = None,
                    title: str | None = None) -> Figure:
    """The appointment book over the run: appointments booked ahead (backlog) at each
    day's close, and the third next available appointment (TNAA) at each day's opening,
    by role; the mean over runs with the 10-90 % band; the warm-up shaded.

    ``days`` is ``results.days`` (one row per run and day) or the results object;
    ``roles`` (one or a list) the roles whose TNAA is drawn, by default every one."""
    table, found = _unpack(days, "days")
    table = _require(table, ["replication", "day", "measured", "backlog_planned"], "days")
    tnaa_cols = [c for c in table.columns if c.startswith("tnaa_days_")]
    if roles is not None:
        tnaa_cols = _tnaa_columns(tnaa_cols, texts("roles", roles, "a role's name"))
    runs = int(table["replication"].nunique())
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    by_day = table.groupby("day")
    x = np.array(sorted(table["day"].unique()))
    warm = table.loc[~table["measured"], "day"]
    for ax in (top, bottom):
        if len(warm):
            ax.axvspan(x.min() - 0.5, warm.max() + 0.5, color="#eeeeee", lw=0,
                       label="warm-up (not measured)")
        ax.grid(axis="y", color="#e0e0e0", lw=0.6)
    mean = by_day["backlog_planned"].mean()
    if runs >= 3:
        top.fill_between(x, by_day["backlog_planned"].quantile(0.1),
                         by_day["backlog_planned"].quantile(0.9), color="#2f6db5", alpha=0.2,
                         lw=0, label=f"10-90 % of {runs} runs")
    top.plot(x, mean, color="#2f6db5", lw=1.6, label=f"mean over {runs} run{'s' * (runs > 1)}")
    top.set_ylabel("Appointments booked\nahead (backlog)")
    top.set_xlabel("Working day of the run")
    top.tick_params(labelbottom=True)
    top.set_ylim(bottom=0)
    # legends beside the axes, not in them: inside, the TNAA legend hid a role's line at
    # the top of the panel (case 3's nurse at 11 working days)
    top.legend(**LEGEND_BESIDE)
    top.set_title(title or ("The appointment book over the run"
                            + (f": {found.name}" if found is not None else "")), loc="left",
                  wrap=True)
    colours = ["#2f6db5", "#d7191c", "#59a14f", "#f28e2b", "#7b3fa0", "#9c6b4e"]
    for colour, column in zip(colours, tnaa_cols):
        role = column.removeprefix("tnaa_days_")
        bottom.plot(x, by_day[column].mean(), color=colour, lw=1.4,
                    label=_role_label(role, found))
    bottom.set_ylabel("Third next available\nappointment (working days)")
    bottom.set_xlabel("Working day of the run (TNAA at each day's opening)")
    bottom.set_ylim(bottom=0)
    if tnaa_cols:
        bottom.legend(**LEGEND_BESIDE)
    return fig
