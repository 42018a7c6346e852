"""Replications of one scenario: independent days with common random numbers.

Replication r of seed s always draws from the same streams, so results do not depend
on how many replications run, in what order, or on how many workers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed

from sim.engine import CompiledScenario, collector_paused, simulate_day
from sim.metrics import contacts_table, day_metrics, events_table, staff_table, summarise
from sim.scenario.schema import Scenario


@dataclass
class ReplicationResults:
    """Tidy results of R replications of one scenario."""

    scenario: Scenario
    seed: int
    #: one row per replication x metric: replication, metric, role, activity, value
    metrics: pd.DataFrame
    #: minutes by replication, person and activity
    staff: pd.DataFrame
    #: the event log (only when asked for): replication, time, contact_id, event, staff_id
    events: pd.DataFrame | None = None
    #: with the event log: replication, staff_id, activity, start, end (every stretch of
    #: everyone's day, for Gantt charts)
    timeline: pd.DataFrame | None = None
    #: with the event log: one row per contact (channel, type, arrival, outcome, ...)
    contacts: pd.DataFrame | None = None

    def save(self, directory: str | Path) -> Path:
        """Write the results to a directory that :meth:`load` and ``clinicsim report`` read.

        The directory is written beside its place and renamed when complete, so a failed
        save (a full disk) leaves no half-written results; it replaces an earlier save
        (a directory with ``run.json``) or an empty directory, never other files."""
        from sim.outputs import atomic_directory

        with atomic_directory(directory, marker="run.json") as out:
            self._write(out)
        return Path(directory)

    def _write(self, out: Path) -> None:
        self.metrics.to_parquet(out / "metrics.parquet", index=False)
        self.staff.to_parquet(out / "staff.parquet", index=False)
        for name in ("events", "timeline", "contacts"):
            table = getattr(self, name)
            if table is not None:
                table.to_parquet(out / f"{name}.parquet", index=False)
        (out / "scenario.json").write_text(self.scenario.model_dump_json(indent=1),
                                           encoding="utf-8")
        (out / "run.json").write_text(json.dumps({
            "kind": "run", "scenario": self.scenario.name, "seed": self.seed,
            "replications": self.replications}, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> "ReplicationResults":
        root = Path(directory)
        optional = {name: pd.read_parquet(root / f"{name}.parquet")
                    if (root / f"{name}.parquet").exists() else None
                    for name in ("events", "timeline", "contacts")}
        run = json.loads((root / "run.json").read_text(encoding="utf-8"))
        scenario = Scenario.model_validate_json((root / "scenario.json").read_text(
            encoding="utf-8"))
        return cls(scenario, int(run["seed"]), pd.read_parquet(root / "metrics.parquet"),
                   pd.read_parquet(root / "staff.parquet"), **optional)

    @property
    def replications(self) -> int:
        return int(self.metrics["replication"].nunique())

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        return summarise(self.metrics, level)


def _one_day(model: CompiledScenario, seed: int, replication: int, event_log: bool):
    records = simulate_day(model, seed, replication, event_log)
    metrics = pd.DataFrame(day_metrics(records, model.scenario),
                           columns=["metric", "role", "activity", "value"])
    metrics.insert(0, "replication", replication)
    staff = staff_table(records)
    staff.insert(0, "replication", replication)
    events = timeline = contacts = None
    if event_log:
        contacts = contacts_table(records)
        contacts.insert(0, "replication", replication)
        events = events_table(records)
        events.insert(0, "replication", replication)
        timeline = pd.DataFrame(records.timeline,
                                columns=["staff_id", "activity", "start", "end"])
        timeline.insert(0, "replication", replication)
    return metrics, staff, events, timeline, contacts


def run_replications(scenario: Scenario, replications: int = 20, seed: int = 1,
                     event_log: bool = False, jobs: int = 1,
                     first_replication: int = 0) -> ReplicationResults:
    """Run ``replications`` independent days of ``scenario``."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    model = CompiledScenario(scenario)
    indices = range(first_replication, first_replication + replications)
    if jobs == 1:
        with collector_paused():
            parts = [_one_day(model, seed, r, event_log) for r in indices]
    else:
        parts = Parallel(n_jobs=jobs)(delayed(_one_day)(model, seed, r, event_log)
                                      for r in indices)
    metrics = pd.concat([p[0] for p in parts], ignore_index=True)
    staff = pd.concat([p[1] for p in parts], ignore_index=True)
    events = pd.concat([p[2] for p in parts], ignore_index=True) if event_log else None
    timeline = pd.concat([p[3] for p in parts], ignore_index=True) if event_log else None
    contacts = pd.concat([p[4] for p in parts], ignore_index=True) if event_log else None
    return ReplicationResults(scenario, seed, metrics, staff, events, timeline, contacts)


def metrics_block(scenario: Scenario, seed: int, point: int, start: int,
                  stop: int) -> pd.DataFrame:
    """Tidy metric rows of replications ``start..stop-1`` of one design point (a sweep task)."""
    model = CompiledScenario(scenario)
    rows = []
    with collector_paused():
        for r in range(start, stop):
            for metric, role, activity, value in day_metrics(simulate_day(model, seed, r),
                                                             scenario):
                rows.append((point, r, metric, role, activity, value))
    return pd.DataFrame(rows, columns=["point", "replication", "metric", "role", "activity",
                                       "value"])
