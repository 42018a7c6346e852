"""Direct comparison of a few designs under common random numbers (``clinicsim compare``).

Every design runs with the same seed and replication numbers, so run r of each faces the
same patients and the paired difference is the design's, not luck's. The summary has the
layout of a sweep's (:class:`sim.experiment.stats.PointSummary`: point = design, the
first is the baseline), so the same conclusions, tables and plots serve both. A saved
comparison is a folder of saved runs (one per design) with a manifest::

    DIR/comparison.json      kind, designs (name, folder), baseline, provenance
    DIR/summary.parquet, summary.csv
    DIR/design-01/ ...       each design as ``clinicsim run --save`` writes it
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from sim.arguments import confidence
from sim.experiment.replications import ReplicationResults, run_replications
from sim.experiment.stats import PointSummary, beside_baseline
from sim.labels import (figure_label, metric_info, one_list, same_doctors, same_list,
                        same_staff, with_unit)
from sim.metrics import WORKING
from sim.scenario.schema import Scenario

MANIFEST = "comparison.json"


def doctor_time_rows(metrics: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Per run: doctors' working minutes a day (``doctor_time_min``), the sum of the doctor
    roles' working activities, so a comparison can say how much doctor time a design frees."""
    doctors = {r for r, spec in scenario.roles.items() if spec.doctor}
    rows = metrics[(metrics["metric"] == "time_use_min") & metrics["role"].isin(doctors)
                   & metrics["activity"].isin(WORKING)]
    if rows.empty:
        return pd.DataFrame(columns=metrics.columns)
    grouped = rows.groupby("replication").agg(value=("value", "sum"), weight=("weight", "max"))
    out = grouped.reset_index()
    out["metric"], out["role"], out["activity"], out["weekday"] = (
        "doctor_time_min", None, None, None)
    return out[list(metrics.columns)]


def metric_parts(results: ReplicationResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's metric rows and its derived rows, as two tables."""
    return results.metrics, doctor_time_rows(results.metrics, results.scenario)


def with_derived(results: ReplicationResults) -> pd.DataFrame:
    """A run's metric rows with the derived rows added."""
    metrics, extra = metric_parts(results)
    return pd.concat([metrics, extra], ignore_index=True) if len(extra) else metrics


def unique_names(names: Sequence[str], sources: Sequence[str] | None = None) -> list[str]:
    """Design names, made distinct where two designs share one (a file that changes only
    the delegation degree keeps the name of the case it extends): by where the design came
    from (``sources``: its file's or folder's name), or else by a number."""
    out: list[str] = []
    for i, name in enumerate(names):
        candidate, k = name, 2
        if candidate in out and sources is not None:
            candidate = f"{name} ({sources[i]})"
        while candidate in out:
            candidate, k = f"{name} ({k})", k + 1
        out.append(candidate)
    return out


def source_name(reference: str | Path) -> str:
    """What a design is called where it came from: a file's or folder's name (``low.yaml``
    as ``low``), a bundled name as it is."""
    path = Path(reference)
    return path.stem if path.suffix in (".yaml", ".yml") else path.name or str(reference)


def paired(results: Sequence[ReplicationResults], names: Sequence[str], baseline: int = 0,
           level: float = 0.95) -> pd.DataFrame:
    """Pooled means and paired differences from ``baseline`` of results run with the same
    seed: point, name, metric, role, activity, weekday, mean, ci_low, ci_high, ...,
    diff_mean, diff_ci_low, diff_ci_high, diff_replications, variance_reduction, and the
    baseline's mean over the paired runs (paired_base_mean, paired_base_ci_low, _high)."""
    level = confidence("level", level)  # before any work, not a math error at the end
    parts = [(i, part) for i, r in enumerate(results) for part in metric_parts(r)]
    summary = PointSummary(list(range(len(results))), baseline)
    summary.add_parts(parts)
    table = summary.table(level)
    table.insert(1, "name", table["point"].map(dict(enumerate(names))))
    return table


@dataclass
class Comparison:
    """Designs run under common random numbers, and what they were run from."""

    names: list[str]
    results: list[ReplicationResults]
    baseline: int = 0
    #: version, command, scenario files with hashes, seed (:mod:`sim.provenance`)
    provenance: dict = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.results[0].seed

    @property
    def replications(self) -> int:
        return self.results[0].replications

    @property
    def list_sizes(self) -> dict[int, int]:
        """Each design's list size, by its index."""
        return {i: int(r.scenario.population.list_size or 0)
                for i, r in enumerate(self.results)}

    @property
    def staffing(self) -> dict[int, str]:
        """Each design's staffing (who works when, at what wage), by its index."""
        return {i: r.scenario.staffing() for i, r in enumerate(self.results)}

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        return paired(self.results, self.names, self.baseline, level)

    def save(self, directory: str | Path) -> Path:
        """Write every design's runs and the summary, whole or not at all."""
        from sim.outputs import atomic_directory

        with atomic_directory(directory, marker=MANIFEST) as out:
            designs = []
            for i, (name, results) in enumerate(zip(self.names, self.results), start=1):
                folder = f"design-{i:02d}"
                (out / folder).mkdir()
                results._write(out / folder)
                designs.append({"name": name, "folder": folder})
            summary = self.summary()
            summary.to_parquet(out / "summary.parquet", index=False)
            summary.to_csv(out / "summary.csv", index=False)
            (out / MANIFEST).write_text(json.dumps({
                **self.provenance, "kind": "comparison", "seed": self.seed,
                "replications": self.replications, "baseline": self.baseline,
                "designs": designs}, indent=1), encoding="utf-8")
        return Path(directory)

    @classmethod
    def load(cls, directory: str | Path) -> "Comparison":
        root = Path(directory)
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("kind") != "comparison":
            raise ValueError(f"{root / MANIFEST} is not a saved comparison (kind is not "
                             "'comparison')")
        designs = manifest["designs"]
        results = [ReplicationResults.load(root / d["folder"]) for d in designs]
        known = {"kind", "designs", "baseline", "replications"}
        return cls([d["name"] for d in designs], results, int(manifest.get("baseline", 0)),
                   {k: v for k, v in manifest.items() if k not in known})

    @classmethod
    def of_saved_runs(cls, directories: Sequence[str | Path]) -> "Comparison":
        """Saved runs compared after the fact; they must share seed and replications, or
        their runs would not face the same patients."""
        results = [ReplicationResults.load(d) for d in directories]
        first = results[0]
        for d, r in zip(directories[1:], results[1:]):
            if r.seed != first.seed or set(r.metrics["replication"]) != set(
                    first.metrics["replication"]):
                raise ValueError(
                    f"{d}: seed {r.seed} with {r.replications} runs; expected seed "
                    f"{first.seed} with the same {first.replications} runs as {directories[0]} "
                    "(only runs of the same seed face the same patients)")
            if (r.weeks, r.warmup_weeks) != (first.weeks, first.warmup_weeks):
                raise ValueError(
                    f"{d}: runs of {_weeks(r)}; expected {_weeks(first)} as in "
                    f"{directories[0]} (runs of other lengths do not face the same patients, "
                    "and a count a day or a trend differs with the length alone)")
        names = unique_names([r.scenario.name for r in results],
                             [source_name(d) for d in directories])
        return cls(names, results, 0, {"seed": first.seed,
                                       "saved_runs": [str(d) for d in directories],
                                       **_shared_provenance(results)})


def _weeks(r: ReplicationResults) -> str:
    return f"{r.weeks} measured weeks after {r.warmup_weeks} of warm-up"


def _shared_provenance(results: Sequence[ReplicationResults]) -> dict:
    """What produced saved runs compared after the fact: their clinicsim version and
    engine where all share one, each command, and every scenario file with its hash."""
    records = [r.provenance or {} for r in results]
    out: dict = {}
    for key in ("clinicsim_version", "engine"):
        values = {rec.get(key) for rec in records}
        if len(values) == 1 and None not in values:
            out[key] = values.pop()
        elif values - {None}:
            out[key] = " / ".join(str(rec.get(key) or "not recorded") for rec in records)
    commands = [rec["command"] for rec in records if rec.get("command")]
    if commands:
        out["command"] = "; ".join(commands)
    out["scenarios"] = [x for rec in records for x in rec.get("scenarios") or []]
    return out


def run_comparison(designs: Sequence[tuple[str, Scenario]], replications: int, seed: int,
                   weeks: int | None = None, warmup_weeks: int | None = None, jobs: int = 1,
                   provenance: dict | None = None,
                   descriptions: Sequence[str | None] | None = None) -> Comparison:
    """Run every design with the same seed and replication numbers (designs named alike
    are told apart by the file each came from, where ``provenance`` records it)."""
    sources = [source_name(x["reference"]) for x in (provenance or {}).get("scenarios", [])]
    names = unique_names([name for name, _ in designs],
                         sources if len(sources) == len(designs) else None)
    results = []
    for i, (_name, scenario) in enumerate(designs):
        r = run_replications(scenario, replications, seed, weeks=weeks,
                             warmup_weeks=warmup_weeks, jobs=jobs,
                             runs_after=replications * (len(designs) - 1 - i))
        source = (provenance or {}).get("scenarios", [])
        r.provenance = {"seed": seed,
                        "scenarios": source[i:i + 1] if i < len(source) else [],
                        "description": descriptions[i] if descriptions else None}
        results.append(r)
    return Comparison(names, results, 0, dict(provenance or {}))


def json_table(summary: pd.DataFrame) -> str:
    """The paired summary as a JSON array of tidy rows (design, metric, keys, mean and CI,
    paired difference and CI), NaN as null."""
    rows = summary.astype(object).where(summary.notna(), None).to_dict(orient="records")
    return json.dumps(rows, indent=1, default=lambda v: v.item() if hasattr(v, "item") else v)


# --- the terminal ----------------------------------------------------------------------------

#: Rows of the terminal table: whole-practice figures, and by role the utilisation and
#: overtime (where a design moves work between roles) and continuity with a fixed nurse.
ROLE_METRICS = ("utilisation", "overtime_min", "continuity_own_clinician")


def _figures(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows a comparison shows: whole practice, and by role the :data:`ROLE_METRICS`."""
    week = summary[summary["weekday"].isna() & summary["activity"].isna()]
    week = week[week["role"].isna() | week["metric"].isin(ROLE_METRICS)]
    return week[week["metric"].map(lambda m: metric_info(m)[1] != "")]


def ranked(summary: pd.DataFrame, point: int, baseline: int) -> pd.DataFrame:
    """One design's rows (whole practice, and by role the :data:`ROLE_METRICS`), with its
    baseline's mean, sorted by |difference| / CI half-width (largest real effects first).
    A figure the baseline does not have (no patient has a fixed nurse there) has no
    baseline mean and no difference."""
    table = beside_baseline(_figures(summary), point, baseline, ["metric", "role"])
    half = (table["diff_ci_high"] - table["diff_ci_low"]) / 2
    # a difference with no spread (the same in every pair of runs) is as clear as one can
    # be: it ranks first, not last; no difference at all ranks last
    exact = (half == 0) & (table["diff_mean"] != 0) & table["diff_mean"].notna()
    table["effect_ratio"] = (table["diff_mean"].abs() / half).where(half > 0, 0.0).fillna(0.0)
    table.loc[exact, "effect_ratio"] = math.inf
    table["clear"] = (table["diff_ci_low"] > 0) | (table["diff_ci_high"] < 0)
    return table.sort_values(["effect_ratio", "metric"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def effect_ratio_text(ratio: float) -> str:
    """A difference over its CI's half-width, as the tables print it ("every pair": the
    same difference in every pair of runs, so no interval around it)."""
    return "every pair" if math.isinf(ratio) else f"{ratio:.1f}"


def _num(value: float, metric: str, digits: int | None = None, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    scale = metric_info(metric)[2]
    v = value * scale
    if digits is None:
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 1 else 2
    v = round(v, digits) + 0.0  # a tiny negative shows as 0, never -0
    return f"{v:+,.{digits}f}" if sign else f"{v:,.{digits}f}"


#: The most decimals a figure of a comparison is shown with.
MAX_DIGITS = 4


def _digits(values: list[float], metric: str) -> int:
    """Decimals that show the largest of ``values`` to two or three significant digits,
    and a small one (a difference of 0.004) as more than zero (at most 4 decimals)."""
    finite = [abs(v * metric_info(metric)[2]) for v in values if v is not None
              and math.isfinite(v)]
    largest = max(finite, default=0.0)
    if largest >= 100:
        return 0
    if largest >= 1:
        return 1
    return 2 if largest == 0 else min(MAX_DIGITS, max(2, 1 - math.floor(math.log10(largest))))


def difference_digits(r: Any) -> int:
    """Decimals for a row of paired differences (a row of :func:`ranked`): the difference
    to its own precision, and the means at least to that, so that a clear difference never
    shows as 0 and the means' difference adds up. The terminal and the HTML report both
    use it. A clear difference (its CI excludes zero) gets the decimals that show its bound
    nearest zero as more than zero, so that "[-1.3, -0.0]" reads "[-1.34, -0.04]"."""
    d = max(_digits([r.diff_mean, r.diff_ci_low, r.diff_ci_high], r.metric),
            _digits([r.base_mean, r.mean], r.metric))
    low, high = r.diff_ci_low, r.diff_ci_high
    if math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0):
        nearest = min(abs(low), abs(high)) * metric_info(r.metric)[2]
        while d < MAX_DIGITS and round(nearest, d) == 0:
            d += 1
    return d


def _row_label(metric: str, role: str | None) -> str:
    label, unit = figure_label(metric, role), metric_info(metric)[1]
    unit = "pp" if unit == "%" else unit
    return with_unit(label, unit)


def difference_table(summary: pd.DataFrame, point: int, baseline: int,
                     letters: dict[int, str], everything: bool = False,
                     same_demand: bool = True, same_staff: bool = False,
                     same_doctors: bool = True) -> list[str]:
    """Text rows: figure, baseline mean, design mean, difference [CI], verdict, and the
    difference over its CI's half-width. Unless ``everything``, figures that are neither
    key figures nor clearly different are only named at the end. ``same_demand``,
    ``same_staff``, ``same_doctors``: whether the design and the baseline have the same
    list size, staff and doctors (if not, counts a day get no verdict:
    :attr:`sim.conclusion.Effect.same_demand`)."""
    from sim.conclusion import KEY_METRICS, Effect

    table = ranked(summary, point, baseline)
    base_letter, letter = letters[baseline], letters[point]
    # as wide as the longest figure's name, so that none is cut
    width = 1 + max([len("figure (unit; pp: percentage points)"), *(
        len(_row_label(m, r)) for m, r in zip(table["metric"], table["role"]))])
    lines = [f"  {'figure (unit; pp: percentage points)':<{width}}{base_letter:>9}{letter:>9}  "
             f"{letter + ' - ' + base_letter + ' [95 % CI]':<27}{'':<8}{'diff/half-CI':>12}"]
    hidden, only = [], {letter: [], base_letter: []}
    for r in table.itertuples(index=False):
        if not math.isfinite(r.base_mean):  # a figure only this design has
            if math.isfinite(r.mean):
                only[letter].append(_one_sided(r.metric, r.role, r.mean, r.ci_low, r.ci_high))
            continue
        same = r.diff_mean == 0 and r.diff_ci_low == r.diff_ci_high
        if not (r.clear or everything or (r.metric in KEY_METRICS and not same)):
            hidden.append(_row_label(r.metric, r.role).rsplit(" (", 1)[0])
            continue
        d = difference_digits(r)
        diff = (f"{_num(r.diff_mean, r.metric, d, True)} [{_num(r.diff_ci_low, r.metric, d, True)}"
                f", {_num(r.diff_ci_high, r.metric, d, True)}]")
        verdict = Effect(r.metric, r.diff_mean, r.diff_ci_low, r.diff_ci_high, r.base_mean,
                         r.mean, same_demand, same_staff, same_doctors).verdict or (
            "" if r.clear else "same" if same else
            "unclear" if math.isfinite(r.diff_ci_low) else "no CI")
        lines.append(f"  {_row_label(r.metric, r.role):<{width}}"
                     f"{_num(r.base_mean, r.metric, d):>9}{_num(r.mean, r.metric, d):>9}  "
                     f"{diff:<27}{verdict:<8}"
                     f"{effect_ratio_text(r.effect_ratio) if same or math.isfinite(r.diff_ci_low) else '-':>12}")
    if hidden:
        lines.append("  No clear difference (95 % CI includes zero) or the same in both: "
                     + "; ".join(hidden) + ".")
    for r in baseline_only(summary, point, baseline).itertuples(index=False):
        only[base_letter].append(_one_sided(r.metric, r.role, r.mean, r.ci_low, r.ci_high))
    for who, other in ((letter, base_letter), (base_letter, letter)):
        if only[who]:
            lines.append(f"  Only {who} has (no such figure in {other}, so no difference): "
                         + "; ".join(only[who]) + ".")
    return lines


def baseline_only(summary: pd.DataFrame, point: int, baseline: int) -> pd.DataFrame:
    """The baseline's figures that design ``point`` does not have (the baseline lists
    patients with a fixed nurse, the design does not)."""
    week = _figures(summary)
    week = week[week["mean"].map(math.isfinite)]
    mine = set(zip(week.loc[week["point"] == point, "metric"],
                   week.loc[week["point"] == point, "role"].fillna("")))
    base = week[week["point"] == baseline]
    keep = [(m, r if isinstance(r, str) else "") not in mine
            for m, r in zip(base["metric"], base["role"])]
    return base[keep]


def _one_sided(metric: str, role: str | None, mean: float, low: float, high: float) -> str:
    """A figure one design has and the other does not, with its 95 % CI."""
    d = _digits([mean, low, high], metric)
    unit = metric_info(metric)[1]
    return (f"{_row_label(metric, role).rsplit(' (', 1)[0]} {_num(mean, metric, d)} "
            f"[{_num(low, metric, d)}, {_num(high, metric, d)}] {unit}").rstrip()


def comparison_text(comparison: Comparison, summary: pd.DataFrame, weeks: int | None,
                    warmup_weeks: int | None, sources: Sequence[str] | None = None,
                    everything: bool = False) -> str:
    """The terminal summary of a comparison: designs, conclusion, ranked differences."""
    import textwrap

    from sim.conclusion import comparison_conclusion, same_patients
    from sim.estimators import MIN_RUNS_FOR_INTERVALS
    from sim.report import few_runs_note, short_warmup_note

    names = dict(enumerate(comparison.names))
    letters = {i: chr(ord("A") + i) if i < 26 else str(i + 1) for i in names}
    runs = f"{comparison.replications} run{'s' if comparison.replications != 1 else ''}"
    if weeks:
        runs += f" of {weeks} week{'s' if weeks != 1 else ''}"
        if warmup_weeks:
            runs += f" (after {warmup_weeks} week{'s' if warmup_weeks != 1 else ''} of warm-up)"
    lists, staffing = comparison.list_sizes, comparison.staffing
    lines = [f"clinicsim compare: {len(names)} designs, {runs} each, seed {comparison.seed}; "
             f"common random numbers ({same_patients(lists)})."]
    for i, name in names.items():
        source = f"  ({sources[i]})" if sources and i < len(sources) else ""
        listed = (f", {lists[i]:,} listed patients" if not one_list(lists) else "")
        lines.append(f"  {letters[i]}  {name}{source}{listed}"
                     + ("  [baseline]" if i == comparison.baseline else ""))
    for note in (few_runs_note(comparison.replications, f"-r {MIN_RUNS_FOR_INTERVALS}",
                               one_run=", so no difference is called clear"),
                 short_warmup_note([(r.warmup_weeks, r.scenario.calendar.warmup_weeks)
                                    for r in comparison.results], "--warmup-weeks {}")):
        if note:
            lines.append(note)
    lines += ["", "What the figures say"]
    for paragraph in comparison_conclusion(summary, names, comparison.baseline,
                                           list_sizes=lists, staffing=staffing):
        lines += textwrap.wrap(paragraph, 92, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    for point in names:
        if point == comparison.baseline:
            continue
        lines.append(f"{letters[point]} against {letters[comparison.baseline]}: paired "
                     "differences, largest effect relative to its uncertainty first")
        lines += difference_table(summary, point, comparison.baseline, letters, everything,
                                  same_list(lists, point, comparison.baseline),
                                  same_staff(staffing, point, comparison.baseline),
                                  same_doctors(staffing, point, comparison.baseline))
        lines.append("")
    return "\n".join(lines).rstrip()


__all__ = ["Comparison", "baseline_only", "comparison_text", "difference_table",
           "doctor_time_rows", "paired", "ranked", "run_comparison", "source_name",
           "unique_names", "with_derived"]
