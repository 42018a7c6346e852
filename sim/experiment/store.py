"""A sweep's results directory: written as tasks finish, safe to interrupt, resumable.

Layout::

    OUT/manifest.json         what the sweep is (fingerprint, points, task size)
    OUT/experiment.yaml       the experiment file as given
    OUT/scenarios.parquet     one row per design point with every factor's value in effect
    OUT/points/pNNNN.json     each design point's resolved scenario, as run
    OUT/results/part-*.parquet  one file per finished task (tidy metric rows)
    OUT/summary.parquet, summary.csv   means, CIs and paired differences (at the end)
    OUT/.lock                 the process using the directory

A part is written to a temporary name and renamed into place, so a part file is either
complete or absent: killing a sweep at any moment leaves only complete results, and
``--resume`` runs exactly the tasks whose part is missing. A part damaged after it was
written (a disk error, a careless copy) is found at ``--resume``: every part is read and
checked (readable Parquet, the expected columns, rows for exactly the point and
replications its name says), and a damaged one is deleted and run again.

The initial layout (manifest, experiment, points) is written into a staging folder and
moved into place together; a sweep that cannot set up its directory leaves nothing.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment.design import LoadedExperiment
from sim.experiment.errors import SweepError
from sim.outputs import TEMP_PREFIX, atomic_file, atomic_files
from sim.scenario.changes import get_path

RESULT_COLUMNS = ["point", "replication", "metric", "role", "activity", "weekday", "value",
                  "weight"]
_SCHEMA = pa.schema([("point", pa.int32()), ("replication", pa.int32()),
                     ("metric", pa.string()), ("role", pa.string()),
                     ("activity", pa.string()), ("weekday", pa.string()),
                     ("value", pa.float64()), ("weight", pa.float64())])


_PART = re.compile(r"^part-p(\d+)-r(\d+)-(\d+)\.parquet$")
#: Why a part whose name is outside the sweep's layout is deleted: no task makes it, so
#: nothing runs again in its place.
OUTSIDE = "a name outside this sweep's layout"


def part_name(point: int, start: int, stop: int) -> str:
    return f"part-p{point:04d}-r{start:07d}-{stop:07d}.parquet"


def part_span(name: str) -> tuple[int, int, int] | None:
    """(point, start, stop) of a part's file name, or None for a name no task writes."""
    match = _PART.match(name)
    return None if match is None else tuple(int(g) for g in match.groups())


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _schema_difference(schema: pa.Schema) -> str:
    """How a part's columns differ from a result part's: their names, or where the names
    agree, the types of the columns that differ."""
    if schema.names != _SCHEMA.names:
        return f"columns {', '.join(schema.names)}; expected {', '.join(_SCHEMA.names)}"
    differ = [(f.name, f.type, _SCHEMA.field(f.name).type) for f in schema
              if not f.equals(_SCHEMA.field(f.name))]
    return "column types " + ", ".join(f"{name} {found} (expected {want})"
                                        for name, found, want in differ)


def part_problem(path: Path, experiment: LoadedExperiment) -> str | None:
    """Why the part file ``path`` cannot be trusted, or None if it holds exactly the rows
    its name promises: one design point's replications start..stop-1."""
    match = _PART.match(path.name)
    size = experiment.task_size
    if not match:
        return OUTSIDE
    point, start, stop = (int(g) for g in match.groups())
    # a part starts on the task size's steps, or, in a stopping rule's later rounds, where
    # the parts before it end (sim.experiment.sweep._tasks): any start, at most a task long
    aligned = start % size == 0 or experiment.spec.stopping is not None
    if point >= len(experiment.points) or not aligned or not start < stop <= start + size:
        return OUTSIDE
    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as err:
        return f"not readable as Parquet ({_first_line(err)})"
    if not table.schema.remove_metadata().equals(_SCHEMA):
        return _schema_difference(table.schema.remove_metadata())
    points = set(table.column("point").to_pylist())
    replications = set(table.column("replication").to_pylist())
    if points != {point} or replications != set(range(start, stop)):
        return (f"rows of points {sorted(points)} and replications {_span(replications)}; "
                f"expected point {point}, replications {start}-{stop - 1}")
    return None


def _span(values: set[int]) -> str:
    return f"{min(values)}-{max(values)}" if values else "none"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def factor_table(experiment: LoadedExperiment,
                 resolved: dict[int, str] | None = None) -> pd.DataFrame:
    """One row per design point (point, name) and a column per factor any point sets,
    each cell the value in effect in that point's scenario: a point of a list design that
    does not set a factor has the base's value, which a blank cell would hide from a
    regression on the table. ``resolved``: each point's scenario as JSON, where already
    written out. Mappings and lists are given as JSON text."""
    factors = list(dict.fromkeys(f for p in experiment.points for f in p.factors))
    rows = []
    for p in experiment.points:
        data = json.loads(resolved[p.index] if resolved else p.scenario.model_dump_json())
        values = {f: get_path(data, f) for f in factors}
        rows.append({"point": p.index, "name": p.name,
                     **{f: json.dumps(v) if isinstance(v, (dict, list)) else v
                        for f, v in values.items()}})
    return pd.DataFrame(rows)


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.results = self.root / "results"
        self.lock = self.root / ".lock"
        self._locked = False
        #: parts found damaged at --resume and deleted (name -> what was wrong)
        self.damaged: dict[str, str] = {}

    # --- opening and closing ---------------------------------------------------------------
    def open(self, experiment: LoadedExperiment, resume: bool,
             provenance: dict | None = None) -> None:
        """Claim the directory for this sweep, or refuse with a clear reason; a new sweep's
        manifest records ``provenance`` (what it was run from; not in the fingerprint)."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise SweepError(f"{root} exists and is not a directory")
        created = [p for p in (root, *root.parents) if not p.exists()]
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SweepError(f"cannot create the results directory {root}: {err.strerror}"
                             ) from None
        if not os.access(root, os.W_OK):
            raise SweepError(f"the results directory {root} is not writable")
        try:
            self._take_lock()
            self._check_manifest(experiment, resume, provenance or {})
        except BaseException:
            self.close()
            for folder in created:  # innermost first; only what this sweep created
                shutil.rmtree(folder, ignore_errors=True)
            raise

    def _take_lock(self) -> None:
        me = f"{os.getpid()}@{socket.gethostname()}"
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self.lock.read_text(encoding="utf-8", errors="replace").strip()
                pid, _, host = holder.partition("@")
                if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
                    self.lock.unlink(missing_ok=True)  # left by a sweep that was killed
                    continue
                raise SweepError(f"{self.root} is in use by another sweep (process {holder}); "
                                 "wait for it to finish or choose another --out directory"
                                 ) from None
            with os.fdopen(fd, "w") as handle:
                handle.write(me)
            self._locked = True
            return
        raise SweepError(f"could not lock {self.root}")

    def _check_manifest(self, experiment: LoadedExperiment, resume: bool,
                        provenance: dict) -> None:
        manifest_path = self.root / "manifest.json"
        fingerprint = experiment.fingerprint()
        if manifest_path.exists():
            if not resume:
                if (self.root / "summary.parquet").exists():
                    raise SweepError(f"{self.root} already holds a finished sweep; choose "
                                     "another --out directory, or read it with "
                                     f"clinicsim report {self.root}")
                raise SweepError(f"{self.root} already holds a sweep; use --resume to finish it "
                                 "or choose another --out directory")
            try:
                found = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise SweepError(f"{manifest_path} is unreadable; this directory cannot be "
                                 "resumed") from None
            if found.get("fingerprint") != fingerprint:
                raise SweepError(
                    f"{self.root} holds a sweep of a different experiment (the experiment file "
                    "or a scenario it uses has changed since it started, or this version of "
                    "clinicsim cuts its replications into tasks differently); run the "
                    "experiment into a new --out directory")
            for stale in [*self.results.glob("*.tmp"), *self.results.glob(f"{TEMP_PREFIX}*")]:
                stale.unlink()
            self.damaged = self._remove_damaged(experiment)
            return
        if self.results.exists() and any(self.results.iterdir()):
            raise SweepError(f"{self.root} has results but no manifest; choose another --out "
                             "directory")
        if resume:
            raise SweepError(f"{self.root} holds no sweep to resume; run without --resume")
        self._create_layout(experiment, fingerprint, provenance)

    def _create_layout(self, experiment: LoadedExperiment, fingerprint: str,
                       provenance: dict) -> None:
        """Write what the sweep is, all at once: manifest, experiment, points."""
        spec = experiment.spec
        manifest = {
            **provenance,
            "fingerprint": fingerprint,
            "experiment": spec.name,
            "seed": spec.seed,
            "replications_per_task": experiment.task_size,
            "baseline": experiment.baseline.index,
            "points": [{"point": p.index, "name": p.name} for p in experiment.points],
        }
        resolved = {p.index: p.scenario.model_dump_json(indent=1) for p in experiment.points}
        table = factor_table(experiment, resolved)
        names = ["experiment.yaml", "scenarios.parquet", "points", "results", "manifest.json"]
        with atomic_files(self.root, names) as staging:
            (staging / "experiment.yaml").write_bytes(experiment.path.read_bytes())
            table.to_parquet(staging / "scenarios.parquet", index=False)
            (staging / "points").mkdir()
            for p in experiment.points:
                (staging / "points" / f"p{p.index:04d}.json").write_text(
                    resolved[p.index], encoding="utf-8")
            (staging / "results").mkdir()
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1),
                                                   encoding="utf-8")

    def _remove_damaged(self, experiment: LoadedExperiment) -> dict[str, str]:
        """Delete every part that cannot be trusted, so it runs again; name -> why."""
        damaged = {}
        for path in sorted(self.results.glob("part-*.parquet")):
            problem = part_problem(path, experiment)
            if problem:
                damaged[path.name] = problem
                path.unlink()
        return damaged

    def close(self) -> None:
        if self._locked:
            self.lock.unlink(missing_ok=True)
            self._locked = False

    # --- parts -----------------------------------------------------------------------------
    def completed(self) -> set[str]:
        return {p.name for p in self.results.glob("part-*.parquet")}

    def write_part(self, name: str, rows: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(rows[RESULT_COLUMNS], schema=_SCHEMA, preserve_index=False)
        with atomic_file(self.results / name) as tmp:
            pq.write_table(table, tmp)

    def read_parts(self, names: list[str]) -> pd.DataFrame:
        if not names:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        return pd.concat([pq.read_table(self.results / n).to_pandas() for n in names],
                         ignore_index=True)

    def write_summary(self, summary: pd.DataFrame) -> None:
        with atomic_files(self.root, ["summary.parquet", "summary.csv"]) as staging:
            summary.to_parquet(staging / "summary.parquet", index=False)
            summary.to_csv(staging / "summary.csv", index=False)


def point_scenario(root: str | Path, point: int):
    """The scenario design point ``point`` of a sweep ran, or None if not stored."""
    from sim.scenario.schema import Scenario

    path = Path(root) / "points" / f"p{point:04d}.json"
    if not path.exists():
        return None
    return Scenario.model_validate_json(path.read_text(encoding="utf-8"))


def read_results(root: str | Path) -> pd.DataFrame:
    """All finished rows of a sweep, with point names (tidy: one row per point x replication x
    metric), in a stable order."""
    root = Path(root)
    parts = sorted((root / "results").glob("part-*.parquet"))
    rows = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True) \
        if parts else pd.DataFrame(columns=RESULT_COLUMNS)
    names = pd.read_parquet(root / "scenarios.parquet")[["point", "name"]]
    return rows.merge(names, on="point", how="left")
