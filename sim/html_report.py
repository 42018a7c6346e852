"""One self-contained HTML report of saved results (``clinicsim report DIR -o report.html``).

``DIR`` is either a saved run (``clinicsim run --save DIR``, or
``ReplicationResults.save``; it holds ``run.json``) or a sweep directory
(``clinicsim sweep ... -o DIR``; it holds ``manifest.json``). The report says what was
simulated in plain words, gives the key figures with 95 % confidence intervals, shows
the plots of :mod:`sim.plots` as embedded PNG images, and states the assumptions. The
file needs nothing else: no network, no external CSS or JavaScript.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from sim.metrics import overall as overall_rows
from sim.metrics import whole_week
from sim import __version__
from sim import plots
from sim.labels import (
    METRICS,
    better_direction,
    figure_label,
    metric_info,
    same_doctors,
    same_list,
    same_staff,
    with_unit,
)
from sim.outputs import atomic_file
from sim.practice_text import plural
from sim.report import HEADLINES, ROLE_HEADLINES, role_rows, shown
from sim.scenario.errors import field_path
from sim.scenario.schema import ACTIVITIES, Scenario, clock_text

__all__ = ["build_report", "describe_scenario", "figure_html"]

#: Headline metrics of a sweep's comparison tables, in reading order.
SWEEP_TABLES = {
    "Access": ("acute_same_day_rate", "phone_wait_mean_min", "abandonment_rate",
               "call_to_consult_wait_mean_min"),
    "Staff time and cost": ("overtime_min", "nonphysician_consult_share",
                            "doctor_min_per_contact", "staff_cost_dkk", "cost_per_contact_dkk"),
}

_SHORT_ACTIVITY = {"consulting": "consulting", "phone": "phone triage",
                   "supervising": "supervising", "being_supervised": "being supervised",
                   "inbox_admin": "inbox, admin", "home_visits": "home visits",
                   "break": "break", "idle": "idle", "other_practice": "other practice"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
     margin:0 auto;max-width:1180px;padding:1.2em 2em 4em;color:#1d1d1d;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{border-bottom:2px solid #2f6db5;padding-bottom:.2em;
   margin-top:2em} h3{margin-top:1.5em}
.lead{color:#444;font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #d4d4d4;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f1f4f9} td.num{text-align:right;font-variant-numeric:tabular-nums;
   white-space:nowrap}
td.good{background:#e3f4e6} td.bad{background:#fbe3e3}
figure{margin:1.2em 0 2em} figure img{max-width:100%;height:auto;border:1px solid #e2e2e2}
figcaption{color:#444;font-size:.92em;margin-top:.3em}
.note{background:#fff8e1;border-left:4px solid #f0a30a;padding:.5em .9em}
.small{font-size:.88em;color:#555} nav a{margin-right:1em} .wide{overflow-x:auto}
.conclusion{background:#eef4fb;border-left:4px solid #2f6db5;padding:.2em 1em .4em}
.conclusion h2{border:none;margin-top:.6em}
blockquote{border-left:3px solid #c8c8c8;margin:.4em 0 1em;padding:.1em .9em}
"""


# --- small helpers --------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def figure_html(fig, caption: str, alt: str | None = None, dpi: int = 100) -> str:
    """A matplotlib figure as an ``<figure>`` with the PNG embedded as base64."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt or caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _first_weeks(scenario: Scenario) -> str:
    """Which weeks the roster figure shows, in words."""
    n = plots.roster_weeks(scenario)
    whole = plots.roster_weeks(scenario, most=520)
    shown = "the first week of a run" if n == 1 else f"the first {n} weeks of a run"
    return shown + (f"; the roster repeats every {whole} weeks" if whole > n else "")


def _try_figure(make: Callable[[], Any], caption: str) -> str:
    """A figure, or a short note saying why it could not be drawn (never a failed report)."""
    try:
        fig = make()
    except ValueError as err:
        return f'<p class="note">{_e(caption)}: not drawn ({_e(err)}).</p>'
    return figure_html(fig, caption)


def _table(header: Iterable[str] | None, rows: Iterable[Iterable[Any]],
           numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    head = ("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead>"
            if header else "")
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if isinstance(cell, tuple):  # (text, css class)
                text, cls = cell
                cells.append(f'<td class="{cls}">{text}</td>')
            else:
                cells.append(f'<td class="num">{_e(cell)}</td>' if i in numeric
                             else f"<td>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='wide'><table>{head}<tbody>{''.join(body)}</tbody></table></div>"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fmt(value: Any, unit: str, digits: int) -> str:
    """``value`` in ``unit`` (a share as per cent) to ``digits`` decimals; a tiny negative
    shows as 0.0, never -0.0."""
    if _nan(value):
        return "-"
    if unit == "%":
        return f"{shown(100 * value, digits):.{digits}f}"
    return f"{shown(value, digits):,.{digits}f}"


def _with_ci(mean: Any, low: Any, high: Any, unit: str, digits: int) -> str:
    text = _fmt(mean, unit, digits)
    if not _nan(low) and not _nan(high):
        text += f" [{_fmt(low, unit, digits)}, {_fmt(high, unit, digits)}]"
    return text


def _digits(metric: str) -> tuple[str, int]:
    """The unit and decimals a metric is shown with (those of the text summary)."""
    unit = metric_info(metric)[1]
    for rows in HEADLINES.values():
        for m, digits in rows:
            if m == metric:
                return unit, digits
    return unit, 1


def _run_length(weeks: int | None, warmup_weeks: int | None) -> str:
    """" of 8 weeks (after 4 weeks of warm-up)", " of 8 weeks" without warm-up (as the
    terminal says it), or "" when the weeks are not known."""
    if not weeks:
        return ""
    warmup = f" (after {plural(warmup_weeks, 'week')} of warm-up)" if warmup_weeks else ""
    return f" of {plural(weeks, 'week')}{warmup}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


# --- the scenario in plain words -------------------------------------------------------------


def _plan(scenario: Scenario, spec) -> list[tuple[float, float, str]]:
    from sim.scenario.checks import day_plan

    return day_plan(scenario, spec, scenario.roles[spec.role].default_block)


def _block_words(scenario: Scenario, spec) -> str:
    role = scenario.roles[spec.role]
    parts = []
    for start, end, kind in _plan(scenario, spec):
        text = f"{clock_text(start)}-{clock_text(end)} {kind.replace('_', ' ')}"
        bk = scenario.block_kinds.get(kind)
        if bk is not None and bk.slots != "none":
            slot = next((b.slot_min for b in spec.blocks if b.start == start and b.kind == kind
                         and b.slot_min), None) or role.slot_min
            text += f" ({slot:g}-min slots)"
        parts.append(text)
    return "; ".join(parts)


def _role_name(scenario: Scenario, role: str) -> str:
    return scenario.roles[role].label if role in scenario.roles else role


def describe_scenario(scenario: Scenario, description: str | None = None) -> str:
    """The practice of a scenario in plain words (an HTML fragment), generated from its
    data; ``description`` (the one the scenario's own file wrote, if any) is quoted as
    the author's words, never an inherited one (:func:`sim.provenance.own_description`)."""
    from sim.engine.model import CompiledScenario
    from sim.practice_text import mix_text, other_hours, practice_sentences
    from sim.slot_fit import FITS, overrun_sentence, overruns

    s = scenario
    p = s.population
    model = CompiledScenario(s)
    out = [f"<p class='lead'>{_e(' '.join(practice_sentences(s)))}</p>"]
    if description:
        out.append(f"<blockquote class='small'>In the scenario file's own words: "
                   f"&ldquo;{_e(' '.join(description.split()))}&rdquo;</blockquote>")
    facts = [
        ("Opening hours", f"{clock_text(s.clinic.open)}-{clock_text(s.clinic.close)}"
                          f"{other_hours(s)}, "
                          f"{s.clinic.working_days_per_year:g} working days a year"),
        ("Listed patients (patientliste)", f"{p.list_size:,}"),
        ("Patient mix", f"{_pct(p.share_70plus)} aged 70+ (reference "
                        f"{_pct(p.reference_share_70plus)}), {_pct(p.share_morbid)} morbid "
                        f"(reference {_pct(p.reference_share_morbid)}): " +
                        mix_text(s, model.mix_factor)),
        ("Delegation degree (delegationsgrad)", s.delegation.degree),
        ("Supervision", "a nurse waits for a free doctor" if s.supervision.mode == "wait"
         else "the doctor is called out of a consultation"),
        ("When acute slots run out", {"squeeze_in": "squeezed in between planned patients",
                                      "overtime": "seen after closing (overtime)",
                                      "next_day": "booked for the next day"}
         [s.acute.overflow]),
        ("Patients left at closing", "seen in overtime" if s.end_of_day.patients == "overtime"
         else "carried over to tomorrow"),
    ]
    if s.practice.case:
        facts.insert(0, ("Based on practice case", f"case {s.practice.case:02d}"
                         + (f", {s.practice.form}" if s.practice.form else "")
                         + (f", {s.practice.region}" if s.practice.region else "")))
    if p.teams:
        facts.append(("Teams (behandlerteams)", ", ".join(f"{t} {_pct(v)}"
                                                           for t, v in p.teams.items())))
    facts.append(("Consultations against their slots",
                  overrun_sentence(overruns(model)) or FITS))
    out.append(_table(None, facts))

    demand = []
    for name, d in s.demand.items():
        if d.per_patient_year <= 0:
            continue
        top = sorted(d.mix.items(), key=lambda kv: -kv[1])[:3]
        mix = ", ".join(f"{s.contact_types[t].label if t in s.contact_types else t} {_pct(v)}"
                        for t, v in top if v > 0)
        demand.append((name, d.channel, f"{d.per_patient_year:g}",
                       f"{model.expected_per_day(name):.1f}", mix))
    out.append("<h3>Demand</h3>")
    out.append(_table(["stream", "channel", "per patient a year", "expected per day",
                       "largest shares of the mix"], demand, numeric=[2, 3]))

    from sim.practice_text import days_text, week_table

    staff_rows = []
    for group, spec in s.staff.items():
        if spec.count == 0:
            continue
        staff_rows.append((f"{spec.count} x {_role_name(s, spec.role)}", group,
                           days_text(s, spec, group),
                           f"{clock_text(spec.start)}-{clock_text(spec.end)}",
                           f"{(spec.end - spec.start) / 60 * spec.count:.1f}",
                           _block_words(s, spec)))
    out.append("<h3>Staff and their week</h3>")
    header, rows = week_table(s)
    out.append("<p class='small'>People in on each working day of the first week of a run "
               "(rotations and absences as the scenario gives them).</p>")
    out.append(_table(header, rows, numeric=range(1, len(header))))
    out.append(_table(["who", "group", "days", "usual hours", "person-hours a day",
                       "day plan (blocks)"], staff_rows, numeric=[4]))

    phone, acute = [], []
    for group, spec in s.staff.items():
        if spec.count == 0:
            continue
        for start, end, kind in _plan(s, spec):
            bk = s.block_kinds.get(kind)
            if bk is None:
                continue
            if "call" in bk.serves:
                phone.append(f"{spec.count} x {_role_name(s, spec.role)} ({group}) "
                             f"{clock_text(start)}-{clock_text(end)}")
            if bk.slots == "acute":
                role = s.roles[spec.role]
                slot = next((b.slot_min for b in spec.blocks if b.start == start
                             and b.kind == kind and b.slot_min), None) or role.slot_min
                n = int((end - start) // slot) * spec.count
                acute.append(f"{spec.count} x {_role_name(s, spec.role)} ({group}) "
                             f"{clock_text(start)}-{clock_text(end)}: {n} slots of {slot:g} min")
    out.append("<h3>Phone triage (telefonvisitation)</h3>")
    out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in phone) + "</ul>" if phone else
               "<p>No one has phone duty in this scenario.</p>")
    out.append("<h3>Acute slots (akuttider)</h3>")
    overflow = {"squeeze_in": "squeezed in", "overtime": "seen in overtime",
                "next_day": "booked for the next day"}[s.acute.overflow]
    out.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in acute) + "</ul>" if acute else
               f"<p>No reserved acute slots: same-day needs are {_e(overflow)}.</p>")

    out.append(delegation_html(s))
    return "\n".join(out)


def delegation_html(scenario: Scenario, heading: str = "h3") -> str:
    """Who takes what: the roles that may start each contact type at the scenario's
    delegation degree, in the order its routes try them."""
    from sim.practice_text import delegation_rows

    degree = _e(scenario.delegation.degree)
    return (f"<{heading}>Who takes what at {degree} delegation</{heading}>"
            "<p class='small'>Roles that may start each contact type, tried in the order "
            "the scenario's route gives (at low delegation a doctor comes first for most "
            "types, at high a nurse or an assistant), among the roles present.</p>"
            + _table(["contact type", "first offered to"], delegation_rows(scenario)))


def conclusion_html(paragraphs: list[str], heading: str = "What the figures say") -> str:
    """The generated conclusion, first thing in a report."""
    body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    return f"<section id='conclusion' class='conclusion'><h2>{_e(heading)}</h2>{body}</section>"


def warnings_html(scenario: Scenario, weeks: int | None = None,
                  warmup_weeks: int | None = None) -> str:
    """The scenario's warnings (days that validate but probably are not meant), as
    ``validate`` and ``run`` print them, so a report read later still carries them; of
    the run's weeks where they are known (an absence outside them is said)."""
    from sim.scenario import scenario_warnings

    found = scenario_warnings(scenario, weeks=weeks, warmup_weeks=warmup_weeks)
    if not found:
        return ""
    items = "".join(f"<li><code>{_e(field_path(w.path))}</code>: "
                    f"{_e(f'found {w.found}; ' if w.found is not None else '')}"
                    f"expected {_e(w.expected)}</li>" for w in found)
    return ("<div class='note' id='warnings'><p><strong>Warnings about the scenario.</strong> "
            "It is valid, but these days probably do not work as meant; the figures "
            f"below simulate them as written.</p><ul>{items}</ul></div>")


def explanations_html(metrics: Iterable[str],
                      scenario: Scenario | dict[str, Scenario] | None = None) -> str:
    """How each figure is computed and which inputs move it (:mod:`sim.explain`); with
    several designs (name -> scenario), each one's phone is described under its name."""
    from sim.explain import EXPLANATIONS, patience_sentences

    designs = scenario if isinstance(scenario, dict) else (
        {"": scenario} if scenario is not None else {})
    items = []
    for metric in metrics:
        found = EXPLANATIONS.get(metric)
        if found is None:
            continue
        inputs = "; ".join(found.inputs)
        extra = ""
        if metric == "abandonment_rate":
            extra = "".join(f" {name + ': ' if len(designs) > 1 else ''}"
                            + " ".join(patience_sentences(sc)) for name, sc in designs.items())
        items.append(f"<li><b>{_e(metric_info(metric)[0])}</b>: {_e(found.how)}{_e(extra)} "
                     f"<span class='small'>Moved most by: {_e(inputs)}.</span></li>")
    return ("<p class='small'>Also on the command line: <code>clinicsim explain "
            "METRIC</code>.</p><ul>" + "".join(items) + "</ul>")


# --- the assumptions --------------------------------------------------------------------------


def _assumptions(sweep: bool) -> str:
    items = [
        "Every default (durations, demand rates, costs, triage outcomes, delegation routes) "
        "is data in <code>models/defaults/base.yaml</code>, each with its source next to it: "
        "a row of <code>models/sources.md</code>, a sentence of the practice cases (seed 003) "
        "or a stated assumption. The practice cases override only what they say.",
        "A run is consecutive working days with a memory: the appointment book, inbox items "
        "and patients carried over, callers who ring again, chronic patients' next reviews. "
        "Warm-up weeks are simulated and discarded. Contacts arise from the listed patients "
        "(Poisson counts by weekday, time-of-day profiles; each contact belongs to a patient "
        "with an age band, morbidity and own GP); callers hang up when their patience runs "
        "out; planned needs book the first suitable slot in the book.",
        "Conservation is checked over every run: every contact that arose ends in exactly one "
        "outcome (those still booked or waiting at the end count as such), and every person's "
        "activities add up to their hours plus overtime each day. A violation stops the run, "
        "so every figure here passed it.",
        "Common random numbers: replication r of a seed draws the same patients whatever the "
        "staffing, so differences between designs are paired run by run and are the design's, "
        "not luck's" + (" (the paired differences and their CIs in this report)." if sweep
                        else "."),
        "Confidence intervals are at 95 % across independent runs (days within a run are not "
        "independent): per-day figures are means over every measured day, a day without "
        "events counting as zero; per-contact figures (waits, shares) pool every contact of "
        "every run, with a ratio estimator's interval; intervals never leave a figure's "
        "range (counts stay at or above 0, shares within 0-100 %).",
        "Staff cost is hours present x cost per hour of the role (no overheads, rent or "
        "supplies); overtime is paid at the same rate.",
        "Not modelled: several topics in one consultation, sickness absence beyond the "
        "absences a scenario lists, and anything the scenario does not describe.",
    ]
    # (the 17 cases' stated figures the model does not produce are listed with them in
    # the calibration report, not in every practice's report)
    items.append("How well the model reproduces the practices' own figures, and which of "
                 "their stated figures it does not produce: <code>clinicsim calibrate</code> "
                 "(experiments/calibration/report.md).")
    return "<ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>"


# --- a saved run ----------------------------------------------------------------------------


def _typical_day(days: pd.DataFrame | None, timeline: pd.DataFrame) -> tuple[int, int]:
    """The (run, day) whose number of calls is closest to the median of the measured days
    in the timeline (a typical day)."""
    kept = timeline[["replication", "day"]].drop_duplicates()
    if days is None or days.empty:
        first = kept.iloc[0]
        return int(first["replication"]), int(first["day"])
    table = days[days["measured"]].merge(kept, on=["replication", "day"])
    if table.empty:
        first = kept.iloc[0]
        return int(first["replication"]), int(first["day"])
    best = (table["calls_offered"] - table["calls_offered"].median()).abs().idxmin()
    return int(table.loc[best, "replication"]), int(table.loc[best, "day"])


def few_runs_html(runs: int, per: str = "", one_run: str = "") -> str:
    """The terminal's note on too few runs (:func:`sim.report.few_runs_note`), for a
    report read later: '' where the runs are enough."""
    from sim.estimators import MIN_RUNS_FOR_INTERVALS
    from sim.report import few_runs_note

    note = few_runs_note(runs, f"{MIN_RUNS_FOR_INTERVALS} runs", per, one_run)
    return f"<p class='note'>{_e(note)}</p>" if note else ""


def short_warmup_html(results: Sequence) -> str:
    """The terminal's note on a warm-up shorter than the scenario's
    (:func:`sim.report.short_warmup_note`), for saved runs: '' where it is not."""
    from sim.report import short_warmup_note

    note = short_warmup_note([(r.warmup_weeks, r.scenario.calendar.warmup_weeks)
                              for r in results], "{} weeks of warm-up")
    return f"<p class='note'>{_e(note)}</p>" if note else ""


def _run_report(root: Path) -> tuple[str, str]:
    from sim.experiment.replications import ReplicationResults

    try:
        results = ReplicationResults.load(root)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{root}: the saved run is incomplete or unreadable ({err})") from None
    from sim.conclusion import run_conclusion

    s = results.scenario
    summary = whole_week(results.summary())
    overall = overall_rows(summary).set_index("metric")
    title = f"clinicsim report: {s.name}"
    weeks = _run_length(results.weeks, results.warmup_weeks)
    record = results.provenance or {}
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p class='lead'>{plural(results.replications, 'independent run')}"
             f"{_e(weeks)}, seed "
             f"{results.seed}. Figures per working day, or per contact where they say so, "
             f"with 95 % confidence intervals across runs. {_e(_made_by(record))}; results "
             f"from <code>{_e(root)}</code>.</p>",
             few_runs_html(results.replications),
             short_warmup_html([results]),
             "<nav><a href='#conclusion'>Conclusion</a><a href='#practice'>The practice</a>"
             "<a href='#figures'>Key figures</a><a href='#weeks'>The weeks</a>"
             "<a href='#time'>Staff time</a><a href='#day'>The day</a>"
             "<a href='#explain'>How figures are computed</a>"
             "<a href='#assumptions'>Assumptions</a></nav>",
             conclusion_html(run_conclusion(summary, s)),
             warnings_html(s, results.weeks, results.warmup_weeks),
             "<h2 id='practice'>The practice simulated</h2>",
             describe_scenario(s, record.get("description")),
             "<h2 id='figures'>Key figures</h2>"]
    for section, rows in HEADLINES.items():
        table = []
        for metric, digits in rows:
            if metric not in overall.index:
                continue
            label, unit, _scale, _better = metric_info(metric)
            r = overall.loc[metric]
            table.append((label, _with_ci(r["mean"], r["ci_low"], r["ci_high"], unit, digits),
                          unit))
        for metric, digits in ROLE_HEADLINES.get(section, []):  # by role (a fixed nurse)
            label, unit, _scale, _better = metric_info(metric)
            for _, r in role_rows(summary, metric).iterrows():
                table.append((f"{label}: {r['role']}",
                              _with_ci(r["mean"], r["ci_low"], r["ci_high"], unit, digits),
                              unit))
        parts.append(f"<h3>{_e(section)}</h3>")
        parts.append(_table(["figure", "mean [95 % CI]", "unit"], table, numeric=[1]))
        if section == "Access by phone" and "abandonment_rate" in overall.index:
            parts.append("<p class='note'>Why callers hang up although the mean wait is short: "
                         "the phone wait counts answered calls only, and a caller hangs up "
                         "when the wait exceeds their patience, a setting of the "
                         "scenario (its patience, redials and busiest phone hour are in "
                         "<a href='#conclusion'>what the figures say</a>).</p>")

    parts.append("<h2 id='weeks'>The weeks</h2>")
    parts.append(_try_figure(lambda: plots.week_roster(s, weeks=plots.roster_weeks(s)),
                             "Who works which day, with each day's blocks "
                             f"({_first_weeks(s)}; rotations, duties, meetings and "
                             "absences as the scenario gives them)."))
    if results.days is not None and not results.days.empty:
        parts.append(_try_figure(lambda: plots.access_over_run(results),
                                 "The appointment book over the run: appointments booked "
                                 "ahead at each day's close, and the third next available "
                                 "appointment by role at each day's opening."))

    parts.append("<h2 id='time'>Staff time use and overtime</h2>")
    tu = plots.time_use_table(results.metrics)
    roles = sorted(tu["role"].unique(), key=lambda r: plots._role_rank(r, s))
    rows = []
    util = summary[summary["metric"] == "utilisation"].set_index("role")
    over = summary[(summary["metric"] == "overtime_min") & summary["role"].notna()
                   ].set_index("role")
    for role in roles:
        part = tu[tu["role"] == role].set_index("activity")
        cells = [f"{part.loc[a, 'mean'] / 60:.1f}" if a in part.index else "-"
                 for a in ACTIVITIES]
        u = util.loc[role] if role in util.index else None
        o = over.loc[role] if role in over.index else None
        rows.append((_role_name(s, role).split(" (")[0], *cells,
                     _with_ci(u["mean"], u["ci_low"], u["ci_high"], "%", 0) if u is not None
                     else "-",
                     _with_ci(o["mean"], o["ci_low"], o["ci_high"], "min", 1) if o is not None
                     else "-"))
    parts.append("<p class='small'>Hours per day, all people in the role (means); utilisation "
                 "is working minutes over minutes present less breaks.</p>")
    parts.append(_table(["role", *[_SHORT_ACTIVITY[a] for a in ACTIVITIES],
                         "utilisation, % [95 % CI]", "overtime, min [95 % CI]"], rows,
                        numeric=range(1, len(ACTIVITIES) + 3)))
    parts.append(_try_figure(lambda: plots.time_use(results),
                             "Staff time use by role and activity (hours a day, all people "
                             "in the role), with 95 % CI whiskers."))
    parts.append("<h2 id='day'>The day</h2>")
    if results.timeline is not None and not results.timeline.empty:
        rep, day = _typical_day(results.days, results.timeline)
        parts.append(_try_figure(lambda: plots.staff_gantt(results, replication=rep, day=day),
                                 f"Who did what when on a typical simulated day (run {rep}, "
                                 f"day {day}: its number of calls is closest to the median)."))
    else:
        parts.append("<p class='note'>This run was saved without the event log, so the day "
                     "cannot be drawn; save it with <code>clinicsim run --save</code>.</p>")
    if results.events is not None and not results.events.empty:
        parts.append(_try_figure(lambda: plots.phone_queue(results),
                                 "Callers waiting over the day (mean and 10-90 % band over "
                                 "the simulated days) and phone waits by hour of the call."))
    parts.append("<h2 id='explain'>How the figures are computed</h2>")
    parts.append(explanations_html(EXPLAINED))  # the conclusion gives the scenario's phone
    parts.append("<h2 id='assumptions'>Assumptions</h2>")
    parts.append(_assumptions(sweep=False))
    return title, "\n".join(parts)


#: Figures whose computation and inputs the reports explain.
EXPLAINED = ("abandonment_rate", "phone_wait_mean_min", "call_to_consult_wait_mean_min",
             "acute_same_day_rate", "doctor_time_min", "overtime_min", "tnaa_days",
             "planned_slots_booked_ahead", "requested_wait_mean_days",
             "planned_wait_mean_days", "backlog_trend_per_week", "continuity_own_gp",
             "staff_cost_dkk")


def _made_by(record: dict) -> str:
    """'clinicsim 0.1.0 (clinicsim run case08 -r 30)': what produced the results."""
    version = record.get("clinicsim_version") or "clinicsim version not recorded"
    text = f"clinicsim {version}" if record.get("clinicsim_version") else version
    if record.get("engine"):  # recorded since the compiled engine came
        text += f" ({record['engine']} engine)"
    if record.get("command"):
        text += f", command: {record['command']}"
    files = [f"{x['path']} (sha256 {x['sha256'][:12]})" for x in record.get("scenarios", [])
             if isinstance(x, dict) and "sha256" in x]
    if files:
        text += "; scenario " + ", ".join(files)
    return text


# --- a sweep ----------------------------------------------------------------------------------


def _sweep_summary(root: Path, manifest: dict) -> tuple[pd.DataFrame, bool]:
    path = root / "summary.parquet"
    if path.exists():
        return pd.read_parquet(path), True
    from sim.experiment.stats import summarise_parts
    from sim.experiment.store import ResultStore

    summary = summarise_parts(ResultStore(root), int(manifest.get("baseline", 0)))
    if summary.empty:
        raise ValueError(f"{root}: the sweep has no finished results yet")
    names = {p["point"]: p["name"] for p in manifest.get("points", [])}
    summary.insert(1, "name", summary["point"].map(names))
    return summary, False


def _comparison_table(overall: pd.DataFrame, scenarios: pd.DataFrame, names: dict, base: int,
                      metrics: list[str], list_sizes: dict | None = None,
                      staffing: dict | None = None) -> str:
    """Design points x metrics: mean [CI] and the paired difference, coloured by direction
    (none for a count a day between points of different ``list_sizes``, nor for a total a
    day unless their ``staffing`` is the same)."""
    rows = []
    for point in scenarios["point"]:
        label = _e(plots._short_name(names[point], 34)).replace("\n", "<br>")
        cells = [label + ("<br><b>(baseline)</b>" if point == base else "")]
        for metric in metrics:
            r = overall[(overall["point"] == point) & (overall["metric"] == metric)]
            if r.empty:
                cells.append('<td class="num">-</td>')
                continue
            r = r.iloc[0]
            unit, digits = _digits(metric)
            text = _e(_with_ci(r["mean"], r["ci_low"], r["ci_high"], unit, digits))
            cls = "num"
            if point != base and not _nan(r.get("diff_mean")):
                sign = "+" if r["diff_mean"] > 0 else ""
                diff = sign + _fmt(r["diff_mean"], unit, digits)
                if not _nan(r["diff_ci_low"]):
                    diff += (f" [{_fmt(r['diff_ci_low'], unit, digits)}, "
                             f"{_fmt(r['diff_ci_high'], unit, digits)}]")
                text += f"<br><span class='small'>&Delta; {_e(diff)}</span>"
                colour = plots._direction_colour(
                    r["diff_ci_low"], r["diff_ci_high"],
                    better_direction(metric, same_list(list_sizes, point, base),
                                     same_staff(staffing, point, base),
                                     same_doctors(staffing, point, base)))
                cls += {plots._GOOD: " good", plots._BAD: " bad"}.get(colour, "")
            cells.append(f'<td class="{cls}">{text}</td>')
        rows.append("<tr><td>" + cells[0] + "</td>" + "".join(cells[1:]) + "</tr>")
    header = ["design point"]
    for m in metrics:
        unit, _ = _digits(m)
        label = METRICS[m][0] if m in METRICS else m
        header.append(with_unit(label, unit))
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return (f"<div class='wide'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def _factor_text(value: Any) -> str:
    """A factor value in words: blank cells keep the base's value, day plans read as blocks."""
    if _nan(value):
        return "(as in the base)"
    if isinstance(value, str) and value[:1] in "[{":
        try:
            data = json.loads(value)
        except ValueError:
            return value
        if isinstance(data, list) and all(isinstance(b, dict) and {"kind", "start", "end"}
                                          <= set(b) for b in data):
            return "; ".join(f"{b['start']}-{b['end']} {str(b['kind']).replace('_', ' ')}"
                             + (f" ({b['slot_min']:g}-min slots)" if b.get("slot_min") else "")
                             for b in data)
    return str(value)


def _sweep_list_sizes(scenarios: pd.DataFrame) -> dict | None:
    """Each design point's list size where the sweep varies it (a factor), else None."""
    column = "population.list_size"
    if column not in scenarios or scenarios[column].isna().any():
        return None
    return dict(zip(scenarios["point"], scenarios[column].astype(int)))


def _factors(scenarios: pd.DataFrame) -> list[str]:
    return [c for c in scenarios.columns if c not in ("point", "name")]


def _sweep_report(root: Path) -> tuple[str, str]:
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        scenarios = pd.read_parquet(root / "scenarios.parquet")
    except (OSError, ValueError) as err:
        raise ValueError(f"{root}: the sweep directory is incomplete or unreadable ({err})"
                         ) from None
    summary, finished = _sweep_summary(root, manifest)
    base = int(manifest.get("baseline", 0))
    list_sizes = _sweep_list_sizes(scenarios)
    staffing = plots.sweep_staffing(scenarios)
    names = dict(zip(scenarios["point"], scenarios["name"]))
    base_name = names.get(base, str(base))
    spec: dict = {}
    experiment = None
    if (root / "experiment.yaml").exists():
        try:
            from sim.scenario import read_yaml_mapping

            spec = read_yaml_mapping(root / "experiment.yaml")
        except Exception:
            spec = {}
        try:
            from sim.experiment.design import load_experiment

            experiment = load_experiment(root / "experiment.yaml")
        except Exception:
            experiment = None
    title = f"clinicsim sweep report: {manifest.get('experiment', root.name)}"
    reps = summary.groupby("point")["replications"].max()
    parts = [f"<h1>{_e(title)}</h1>"]
    if spec.get("description"):
        parts.append(f"<p class='lead'>{_e(' '.join(str(spec['description']).split()))}</p>")
    weeks = ""
    if experiment is not None and experiment.points:
        calendar = experiment.points[0].scenario.calendar
        weeks = _run_length(experiment.spec.weeks or calendar.weeks,
                            experiment.spec.warmup_weeks
                            if experiment.spec.warmup_weeks is not None
                            else calendar.warmup_weeks)
    parts.append(f"<p>{len(scenarios)} design points, {int(reps.min())}"
                 + (f"-{int(reps.max())}" if reps.max() != reps.min() else "")
                 + f" independent run{'s' if reps.max() != 1 else ''}{_e(weeks)} each, seed "
                 f"{_e(manifest.get('seed'))}; "
                 "differences are "
                 f"paired against the baseline <b>{_e(base_name)}</b> (common random "
                 f"numbers). clinicsim {__version__}; results from <code>{_e(root)}</code>.</p>")
    if not spec.get("stopping"):  # a stopping rule's runs are as many as its goals need
        parts.append(few_runs_html(int(reps.min()), per=" per point"))
    if not finished:
        parts.append("<p class='note'>The sweep has not finished (no summary.parquet): "
                     "figures use the tasks finished so far. Finish it with "
                     "<code>clinicsim sweep ... --resume</code>.</p>")
    parts.append("<nav><a href='#conclusion'>Conclusion</a><a href='#design'>The design</a>"
                 "<a href='#figures'>Key figures</a><a href='#plots'>Plots</a>"
                 "<a href='#practice'>The base practice</a>"
                 "<a href='#assumptions'>Assumptions</a></nav>")
    from sim.conclusion import comparison_conclusion

    parts.append(conclusion_html(comparison_conclusion(whole_week(summary), names, base,
                                                       list_sizes=list_sizes)))

    factors = _factors(scenarios)
    parts.append("<h2 id='design'>The design</h2>")
    design = (spec.get("design") or {}).get("kind", "")
    parts.append(f"<p>Base scenario <code>{_e(spec.get('base', '?'))}</code>; "
                 f"{_e(design or 'a')} design over {len(factors)} factor"
                 f"{'s' if len(factors) != 1 else ''}: each factor is a field of the scenario "
                 "set to the value shown (fields not listed keep the base's value).</p>")
    header = ["point", "name", *factors]
    rows = [(p, n + (" (baseline)" if p == base else ""),
             *[_factor_text(v) for v in vals])
            for p, n, *vals in scenarios[["point", "name", *factors]].itertuples(index=False)]
    parts.append(_table(header, rows, numeric=[0]))
    if experiment is not None and manifest.get("fingerprint") not in (None,
                                                                     experiment.fingerprint()):
        parts.append("<p class='note'>The experiment or a scenario it uses has changed since "
                     "this sweep ran: the practice described below is today's version.</p>")

    parts.append("<h2 id='figures'>Key figures per design point</h2>")
    parts.append("<p class='small'>Mean [95 % CI] per simulated day; below it, the paired "
                 "difference against the baseline [95 % CI], green where the point is better "
                 "and the CI excludes no difference, red where worse.</p>")
    overall = overall_rows(summary)
    for heading, group in SWEEP_TABLES.items():
        metrics = [m for m in group if (overall["metric"] == m).any()]
        if metrics:
            parts.append(f"<h3>{_e(heading)}</h3>")
            parts.append(_comparison_table(overall, scenarios, names, base, metrics,
                                           list_sizes, staffing))

    parts.append("<h2 id='plots'>Plots</h2>")
    parts.append(_try_figure(lambda: plots.paired_differences(summary, baseline=base,
                                                              list_sizes=list_sizes,
                                                              staffing=staffing),
                             "Paired differences against the baseline, mean and 95 % CI "
                             "(common random numbers): green better, red worse, grey no clear "
                             "difference."))
    for y in ("acute_same_day_rate", "phone_wait_mean_min"):
        if (overall["metric"] == y).any() and (overall["metric"] == "cost_per_contact_dkk").any():
            parts.append(_try_figure(
                lambda y=y: plots.tradeoff(summary, "cost_per_contact_dkk", y, baseline=base),
                f"Staff cost per handled contact against {METRICS[y][0].lower()}: "
                "non-dominated design points starred (no other point is better on both)."))
    varying = [f for f in factors if scenarios[f].nunique() > 1]
    grid = design == "grid" or (not design and not scenarios[factors].isna().any().any()
                                and not scenarios.duplicated(varying).any())
    if grid and len(varying) in (1, 2):
        x = varying[0]
        y = varying[1] if len(varying) == 2 else None
        for metric in ("cost_per_contact_dkk", "phone_wait_mean_min", "acute_same_day_rate",
                       "overtime_min", "doctor_min_per_contact"):
            values = overall.loc[overall["metric"] == metric, "mean"].dropna()
            if values.empty:
                continue
            if values.max() - values.min() <= 1e-9 * max(1.0, abs(values.max())):
                unit, digits = _digits(metric)
                parts.append(f"<p>{_e(METRICS[metric][0])} is the same at every design "
                             f"point: {_e(_fmt(values.iloc[0], unit, digits))} {_e(unit)}.</p>")
                continue
            parts.append(_try_figure(
                lambda metric=metric: plots.heatmap(summary, scenarios, metric, x, y,
                                                    baseline=base),
                f"{METRICS[metric][0]} over the design's factors (mean [95 % CI] "
                "per point; green is better; faded where the paired difference against "
                "the baseline is not clear)."))
    elif varying:
        parts.append("<p class='small'>No heatmap: the design is not a grid over one or two "
                     "factors.</p>")

    parts.append("<h2 id='practice'>The base practice</h2>")
    from sim.experiment.store import point_scenario

    stored = point_scenario(root, base)
    if stored is not None:
        parts.append(f"<p>The baseline point <b>{_e(base_name)}</b>, as it ran:</p>")
        parts.append(describe_scenario(stored))
    elif experiment is not None:
        parts.append(f"<p>The baseline point <b>{_e(experiment.baseline.name)}</b>:</p>")
        parts.append(describe_scenario(experiment.baseline.scenario))
    else:
        parts.append("<p class='note'>The experiment file in this directory could not be "
                     "loaded again (its base scenario may be given as a path relative to where "
                     "it was run), so the practice cannot be described here.</p>")
    if "delegation.degree" in scenarios.columns:
        parts.append("<h2 id='delegation'>Who takes what at each delegation degree</h2>")
        for degree, point in scenarios.groupby("delegation.degree", sort=False)["point"].first(
                ).items():
            found = point_scenario(root, int(point))
            if found is not None:
                parts.append(delegation_html(found))
    parts.append("<h2 id='assumptions'>Assumptions</h2>")
    parts.append(_assumptions(sweep=True))
    return title, "\n".join(parts)


# --- a comparison ----------------------------------------------------------------------------


def _difference_rows(summary: pd.DataFrame, point: int, baseline: int,
                     same_demand: bool = True, same_staff: bool = False,
                     same_doctors: bool = True) -> str:
    """One design against the baseline, largest effects relative to their uncertainty
    first; a cell is coloured only where the CI of the difference excludes zero (and,
    between lists of different sizes, not for counts a day, nor totals a day unless the
    staff are the same: see :attr:`sim.conclusion.Effect.same_demand`)."""
    from sim.compare import baseline_only, difference_digits, effect_ratio_text, ranked
    from sim.conclusion import Effect

    rows = []
    for r in ranked(summary, point, baseline).itertuples(index=False):
        unit, digits = metric_info(r.metric)[1], difference_digits(r)
        label = figure_label(r.metric, r.role)
        effect = Effect(r.metric, r.diff_mean, r.diff_ci_low, r.diff_ci_high, r.base_mean,
                        r.mean, same_demand, same_staff, same_doctors)
        verdict = effect.verdict or ("clear; no better direction" if effect.clear
                                     else "no clear difference")
        if not math.isfinite(r.base_mean):
            verdict = "only this design has it (no difference)"
        cls = {"better": "num good", "worse": "num bad"}.get(effect.verdict or "", "num")
        sign = "+" if r.diff_mean > 0 else ""
        diff = sign + _with_ci(r.diff_mean, r.diff_ci_low, r.diff_ci_high, unit, digits)
        rows.append(
            f"<tr><td>{_e(label)}</td><td>{_e(unit)}</td>"
            f"<td class='num'>{_e(_with_ci(r.base_mean, r.base_ci_low, r.base_ci_high, unit, digits))}</td>"
            f"<td class='num'>{_e(_with_ci(r.mean, r.ci_low, r.ci_high, unit, digits))}</td>"
            f"<td class='{cls}'>{_e(diff)}</td><td>{_e(verdict)}</td>"
            f"<td class='num'>{effect_ratio_text(r.effect_ratio)}</td></tr>")
    for r in baseline_only(summary, point, baseline).itertuples(index=False):
        unit, digits = _digits(r.metric)
        label = figure_label(r.metric, r.role)
        rows.append(
            f"<tr><td>{_e(label)}</td><td>{_e(unit)}</td>"
            f"<td class='num'>{_e(_with_ci(r.mean, r.ci_low, r.ci_high, unit, digits))}</td>"
            "<td class='num'>-</td><td class='num'>-</td>"
            "<td>only the baseline has it (no difference)</td><td class='num'></td></tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in (
        "figure", "unit (% as points)", "baseline mean [95 % CI]", "this design [95 % CI]",
        "difference [95 % CI]", "reading", "difference / CI half-width"))
    return (f"<div class='wide'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def comparison_body(comparison, origin: str) -> tuple[str, str]:
    """The HTML of a comparison of designs run under common random numbers."""
    from sim.conclusion import KEY_METRICS, comparison_conclusion, same_patients

    summary = whole_week(comparison.summary())
    lists, staffing = comparison.list_sizes, comparison.staffing
    names = dict(enumerate(comparison.names))
    base = comparison.baseline
    record = comparison.provenance or {}
    first = comparison.results[0]
    weeks = _run_length(first.weeks, first.warmup_weeks)
    title = "clinicsim comparison: " + " / ".join(comparison.names)
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p class='lead'>{len(names)} designs, "
             f"{plural(comparison.replications, 'independent run')}"
             f"{_e(weeks)} each, seed {comparison.seed}, with common random numbers "
             f"({_e(same_patients(lists))}), so each difference from the "
             f"baseline <b>{_e(names[base])}</b> is paired run by run. {_e(_made_by(record))};"
             f" results from <code>{_e(origin)}</code>.</p>",
             few_runs_html(comparison.replications,
                           one_run=", so no difference is called clear"),
             short_warmup_html(comparison.results),
             "<nav><a href='#conclusion'>Conclusion</a><a href='#differences'>Differences"
             "</a><a href='#designs'>The designs</a><a href='#weeks'>The weeks</a>"
             "<a href='#explain'>How figures are computed</a>"
             "<a href='#assumptions'>Assumptions</a></nav>",
             conclusion_html(comparison_conclusion(summary, names, base, list_sizes=lists,
                                                   staffing=staffing))]
    parts.append("<h2 id='differences'>Paired differences from the baseline</h2>")
    parts.append("<p class='small'>Largest effects relative to their uncertainty first. Green: "
                 "better, red: worse, and only where the 95 % CI of the difference excludes "
                 "zero; uncoloured: no clear difference, or no better direction.</p>")
    for point, name in names.items():
        if point == base:
            continue
        parts.append(f"<h3>{_e(name)} against {_e(names[base])}</h3>")
        parts.append(_difference_rows(summary, point, base, same_list(lists, point, base),
                                      same_staff(staffing, point, base),
                                      same_doctors(staffing, point, base)))
    forest = [m for m in KEY_METRICS if (summary["metric"] == m).any()]
    parts.append(_try_figure(lambda: plots.paired_differences(summary, forest, baseline=base,
                                                              list_sizes=lists,
                                                              staffing=staffing),
                             "Paired differences against the baseline, mean and 95 % CI: "
                             "green better, red worse, grey no clear difference."))
    parts.append("<h2 id='designs'>The designs</h2>")
    for point, (name, results) in enumerate(zip(comparison.names, comparison.results)):
        own = (results.provenance or {}).get("description")
        tag = " (baseline)" if point == base else ""
        parts.append(f"<h3>{_e(name)}{tag}</h3>")
        parts.append(warnings_html(results.scenario, results.weeks, results.warmup_weeks))
        parts.append(describe_scenario(results.scenario, own))
    parts.append("<h2 id='weeks'>The weeks</h2>")
    for name, results in zip(comparison.names, comparison.results):
        parts.append(f"<h3>{_e(name)}</h3>")
        parts.append(_try_figure(
            lambda r=results: plots.week_roster(r.scenario,
                                                weeks=plots.roster_weeks(r.scenario)),
            f"{name}: who works which day ({_first_weeks(results.scenario)})."))
        if results.days is not None and not results.days.empty:
            parts.append(_try_figure(lambda r=results: plots.access_over_run(r),
                                     f"{name}: the appointment book over the run (backlog "
                                     "at each day's close, TNAA by role at its opening)."))
    parts.append("<h2 id='explain'>How the figures are computed</h2>")
    parts.append(explanations_html(EXPLAINED, {name: r.scenario for name, r in
                                               zip(comparison.names, comparison.results)}))
    parts.append("<h2 id='assumptions'>Assumptions</h2>")
    parts.append(_assumptions(sweep=True))
    return title, "\n".join(parts)


def _comparison_report(root: Path) -> tuple[str, str]:
    from sim.compare import Comparison

    try:
        comparison = Comparison.load(root)
    except (OSError, KeyError) as err:
        raise ValueError(f"{root}: the saved comparison is incomplete or unreadable ({err})"
                         ) from None
    return comparison_body(comparison, str(root))


def _saved_runs_report(roots: list[Path]) -> tuple[str, str]:
    from sim.compare import Comparison

    seen: dict[Path, Path] = {}
    for root in roots:  # a run compared with itself differs by exactly nothing
        if root.resolve() in seen:
            raise ValueError(f"{root} is the same saved run as {seen[root.resolve()]}; "
                             "give saved runs of different designs to compare them")
        seen[root.resolve()] = root
    for root in roots:
        if not (root / "run.json").exists():
            raise ValueError(f"{root} is not a saved run (no run.json); only saved runs "
                             "(clinicsim run --save) can be compared in one report")
    try:
        comparison = Comparison.of_saved_runs(roots)
    except (OSError, KeyError) as err:
        raise ValueError(f"a saved run is incomplete or unreadable ({err})") from None
    return comparison_body(comparison, ", ".join(str(r) for r in roots))


# --- entry point ------------------------------------------------------------------------------


def build_report(results_dir: str | Path | list, out_path: str | Path) -> Path:
    """Write one self-contained HTML report of a saved run, a saved comparison, a sweep
    directory, or (given a list) several saved runs of the same seed compared.

    Raises :class:`ValueError` (one line, naming the path) when ``results_dir`` is
    none of these."""
    if isinstance(results_dir, (list, tuple)):
        title, body = _saved_runs_report([Path(p) for p in results_dir])
        return _write_page(title, body, out_path)
    root = Path(results_dir)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory of saved results "
                         "(expected one written by clinicsim run --save, clinicsim compare "
                         "--save or clinicsim sweep -o)")
    run_file = root / "run.json"
    if run_file.exists():
        try:
            kind = json.loads(run_file.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind != "run":
            raise ValueError(f"{run_file} is not a saved run (unreadable, or kind is not 'run')")
        title, body = _run_report(root)
    elif (root / "comparison.json").exists():
        title, body = _comparison_report(root)
    elif (root / "manifest.json").exists():
        title, body = _sweep_report(root)
    else:
        raise ValueError(f"{root} is neither a saved run (no run.json), a saved comparison "
                         "(no comparison.json) nor a sweep directory (no manifest.json)")
    return _write_page(title, body, out_path)


def _write_page(title: str, body: str, out_path: str | Path) -> Path:
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:  # whole or not at all, from the API as from the CLI
        tmp.write_text(page, encoding="utf-8")
    return out
