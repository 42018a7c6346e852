"""Sweeps: designs, statistics, resume after a crash, backends that agree, clear refusals."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiment import design
from sim.experiment.design import load_experiment
from sim.experiment.errors import SweepError
from sim.experiment.store import ResultStore, factor_table, read_results
from sim.experiment.sweep import run_sweep
from sim.labels import metric_bounds
from sim.scenario import ScenarioError
from tests.conftest import command_with_workers, live_parent
from sim.scenario.changes import get_path, set_path

REPO = Path(__file__).resolve().parent.parent


def experiment_file(tmp_path: Path, body: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


SMALL = """\
    name: small sweep
    base: default
    seed: 3
    replications: {reps}
    weeks: 1
    warmup_weeks: 0
    replications_per_task: {per_task}
    baseline: nurses-3
    design:
      kind: list
      points:
        - {{name: nurses-3, set: {{}}}}
        - {{name: nurses-4, set: {{staff.nurse.count: 4}}}}
        - {{name: phone-3, set: {{staff.secretary.count: 3}}}}
    """


def small(tmp_path: Path, reps: int = 6, per_task: int = 2) -> Path:
    return experiment_file(tmp_path, SMALL.format(reps=reps, per_task=per_task))


KEYS = ["point", "replication", "metric", "role", "activity", "weekday"]


def sorted_results(out: Path) -> pd.DataFrame:
    rows = read_results(out)
    return rows.sort_values(KEYS).reset_index(drop=True)


# --- designs ---------------------------------------------------------------------------------


def test_grid_design_expands_every_combination(tmp_path):
    path = experiment_file(tmp_path, """\
        name: grid
        base: default
        replications: 2
        design:
          kind: grid
          factors:
            delegation.degree: [low, high]
            staff.nurse.count: [2, 3, 4]
        """)
    exp = load_experiment(path)
    assert len(exp.points) == 6
    assert exp.points[0].name == "delegation.degree=low,staff.nurse.count=2"
    assert exp.points[5].scenario.staff["nurse"].count == 4
    assert exp.points[5].scenario.delegation.degree == "high"
    assert exp.baseline is exp.points[0]


def test_latin_hypercube_design_covers_the_ranges(tmp_path):
    path = experiment_file(tmp_path, """\
        name: lhs
        base: default
        seed: 9
        replications: 2
        design:
          kind: lhs
          samples: 10
          ranges:
            staff.nurse.count: {low: 1, high: 5, integer: true}
            population.list_size: {low: 4000, high: 9000, integer: true}
        """)
    exp = load_experiment(path)
    assert len(exp.points) == 10
    nurses = sorted(p.scenario.staff["nurse"].count for p in exp.points)
    sizes = sorted(p.scenario.population.list_size for p in exp.points)
    assert nurses[0] >= 1 and nurses[-1] <= 5 and len(set(nurses)) >= 4
    # one sample per tenth of the range: the Latin hypercube property
    bins = {int((s - 4000) / 500.1) for s in sizes}
    assert len(bins) == 10
    again = load_experiment(path)
    assert [p.factors for p in again.points] == [p.factors for p in exp.points]


def test_factor_paths_reach_into_lists(tmp_path):
    path = experiment_file(tmp_path, """\
        name: blocks
        base: default
        replications: 2
        design:
          kind: grid
          factors:
            staff.gp.blocks[0].kind: [acute, planned]
        """)
    exp = load_experiment(path)
    assert exp.points[1].scenario.staff["gp"].blocks[0].kind == "planned"


@pytest.mark.parametrize("body, fragments", [
    ("name: x\nbase: default\nreplications: 0\ndesign: {kind: grid, factors: {a: [1]}}\n",
     ["replications", "greater than 0"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: cube}\n", ["design.kind"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid}\n", ["design.factors",
                                                                       "at least one"]),
    ("name: x\nbase: nowhere\nreplications: 2\ndesign: {kind: grid, factors: "
     "{staff.nurse.count: [1]}}\n", ["bundled name", "'nowhere'"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{staff.nurse.cuont: [1]}}\n", ["design point", "staff.nurse.cuont", "no such key"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{staff.nurse.count: [-2]}}\n", ["design point 'staff.nurse.count=-2'",
                                      "staff.nurse.count", "greater than or equal to 0"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{'staff.gp.blocks[9].kind': [acute]}}\n", ["blocks[9]", "does not exist"]),
    ("name: x\nbase: default\nreplications: 2\nbaseline: nope\ndesign: {kind: grid, factors: "
     "{staff.nurse.count: [2]}}\n", ["baseline", "'nope'"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{delegation.degree: [low, 7]}}\n", ["delegation.degree: found 7",
                                          "expected one of low, medium, high"]),
    ("name: x\nbase: default\nreplications: 2\nreplications_per_task: 0\n",
     ["replications_per_task: found 0; expected greater than 0 or 'auto'"]),
    ("name: x\nbase: default\nreplications: 2\nstopping: {half_widths: {wait: 1}, "
     "max_replications: 10}\ndesign: {kind: grid, factors: {staff.nurse.count: [2]}}\n",
     ["stopping.half_widths.wait", "a practice-wide metric"]),
    ("name: x\nbase: default\nreplications: 2\nstopping: {half_widths: {phone_wait_mean_mn: "
     "0.2}, max_replications: 10}\ndesign: {kind: grid, factors: {staff.nurse.count: [2]}}\n",
     ["stopping.half_widths.phone_wait_mean_mn", "did you mean phone_wait_mean_min"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{staff.nurce.count: [3, 4]}}\n",
     ["design.factors.staff.nurce.count", "'nurce'", "did you mean 'nurse'?"]),
    ("name: x\nbase: default\nreplications: 2\ndesign: {kind: grid, factors: "
     "{delegation.degre: [low, high], staff.nurse.count: [3, 4]}}\n",
     ["and 3 other design points", "delegation.degre", "did you mean 'degree'?"]),
    ("name: x\nbase: default\nreplications: 2\ntargets: ['utilisation <= 0.9']\n"
     "design: {kind: grid, factors: {staff.nurse.count: [2]}}\n",
     ["targets[0]", "utilisation is given by role only"]),
    ("name: x\nbase: default\nreplications: 2\nsurprise: 1\ndesign: {kind: grid, factors: "
     "{staff.nurse.count: [2]}}\n", ["surprise"]),
])
def test_bad_experiment_files_are_reported(tmp_path, body, fragments):
    path = experiment_file(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    text = caught.value.report()
    assert str(path) in text
    assert all(f in text for f in fragments), text
    assert "function-" not in text and "literal[" not in text  # no pydantic internals


def test_bundled_experiments_are_valid():
    files = sorted((REPO / "experiments").glob("*.yaml"))
    assert len(files) >= 4
    for path in files:
        assert load_experiment(path).points


# --- running -----------------------------------------------------------------------------------


def test_sweep_writes_tidy_results_and_paired_summary(tmp_path):
    exp = load_experiment(small(tmp_path))
    summary = run_sweep(exp, tmp_path / "out", progress=False)
    rows = read_results(tmp_path / "out")
    assert list(rows.columns) == ["point", "replication", "metric", "role", "activity",
                                  "weekday", "value", "weight", "name"]
    assert not rows.duplicated(KEYS).any()
    assert rows.replication.nunique() == 6 and rows.point.nunique() == 3
    overall = summary[summary.role.isna() & summary.activity.isna()
                      & summary.weekday.isna()].set_index(["name", "metric"])
    assert pd.isna(overall.loc[("nurses-3", "phone_wait_mean_min"), "diff_mean"])
    phone = overall.loc[("phone-3", "phone_wait_mean_min")]
    assert phone.diff_ci_high < 0  # a third secretary shortens phone waits
    assert phone.variance_reduction > 1  # common random numbers pay off
    scen = pd.read_parquet(tmp_path / "out" / "scenarios.parquet")
    assert list(scen.name) == ["nurses-3", "nurses-4", "phone-3"]
    assert (tmp_path / "out" / "summary.csv").exists()


def test_the_scenarios_table_gives_each_point_the_values_in_effect(tmp_path):
    """A point of a list design that does not set a factor still has a value for it, the
    base's, as its scenario in points/ has it: blank cells would hide from a regression on
    the table that reserved-slots overflows by squeezing in, as squeeze-in does."""
    exp = load_experiment(REPO / "experiments" / "acute_slots.yaml")
    store = ResultStore(tmp_path / "out")
    store.open(exp, resume=False)
    store.close()
    table = pd.read_parquet(tmp_path / "out" / "scenarios.parquet").set_index("name")
    # blank only where the point's own value is none: a buffer hour has no slot length
    lengths = [c for c in table.columns if c.endswith(".slot_min")]
    assert not table.drop(columns=lengths).isna().any().any()
    assert table[lengths].isna().all(axis=1).to_dict() == {
        "reserved-slots": False, "squeeze-in": False, "buffer-hour": True}
    for point in exp.points:
        resolved = json.loads((tmp_path / "out" / "points" / f"p{point.index:04d}.json")
                              .read_text(encoding="utf-8"))
        row = table.loc[point.name]
        assert row["acute.overflow"] == resolved["acute"]["overflow"]
        for role, block in (("gp", 0), ("gp", 5), ("gp_visiting", 0), ("nurse", 3)):
            assert row[f"staff.{role}.blocks[{block}].kind"] == (
                resolved["staff"][role]["blocks"][block]["kind"])
        for role, block in (("gp", 5), ("nurse", 3)):
            length = resolved["staff"][role]["blocks"][block]["slot_min"]
            cell = row[f"staff.{role}.blocks[{block}].slot_min"]
            assert (pd.isna(cell) and length is None) or cell == length
    assert table.loc["reserved-slots", "acute.overflow"] == "squeeze_in"
    assert table.loc["reserved-slots", "staff.gp.blocks[5].kind"] == "acute"
    assert table.loc["buffer-hour", "staff.gp.blocks[0].kind"] == "acute"
    assert table.loc["buffer-hour", "staff.gp.blocks[5].kind"] == "buffer"


def test_a_list_of_blocks_is_given_as_the_json_of_its_scenario_for_every_point(tmp_path):
    exp = load_experiment(REPO / "experiments" / "phone_triage.yaml")
    table = factor_table(exp).set_index("name")
    for point in exp.points:
        staff = point.scenario.model_dump(mode="json")["staff"]
        for role in ("gp", "nurse", "secretary"):
            assert json.loads(table.loc[point.name, f"staff.{role}.blocks"]) == (
                staff[role]["blocks"])


def test_get_path_reads_what_set_path_writes():
    data = {"staff": {"gp": {"blocks": [{"kind": "acute"}, {"kind": "planned"}]}}}
    set_path(data, "staff.gp.blocks[1].kind", "buffer")
    assert get_path(data, "staff.gp.blocks[1].kind") == "buffer"
    assert get_path(data, "staff.gp.blocks") == data["staff"]["gp"]["blocks"]
    for missing in ("staff.nurse.count", "staff.gp.blocks[2].kind", "staff.gp.blocks.kind",
                    "staff.gp[0]"):
        assert get_path(data, missing) is None
        assert get_path(data, missing, "none") == "none"


def test_sweep_matches_run_replications(tmp_path):
    from sim import run_replications

    exp = load_experiment(small(tmp_path, reps=4))
    run_sweep(exp, tmp_path / "out", progress=False)
    rows = read_results(tmp_path / "out")
    direct = run_replications(exp.points[1].scenario, replications=4, seed=3, weeks=1,
                              warmup_weeks=0).metrics
    swept = rows[rows.point == 1].sort_values(["replication"], kind="stable")
    assert swept.value.reset_index(drop=True).equals(
        direct.sort_values(["replication"], kind="stable").value.reset_index(drop=True))


def test_loky_and_dask_give_identical_results(tmp_path):
    pytest.importorskip("dask.distributed")
    exp = load_experiment(small(tmp_path, reps=4))
    run_sweep(exp, tmp_path / "serial", jobs=1, progress=False)
    run_sweep(exp, tmp_path / "loky", jobs=2, backend="loky", progress=False)
    run_sweep(exp, tmp_path / "dask", jobs=2, backend="dask", progress=False)
    serial = sorted_results(tmp_path / "serial")
    pd.testing.assert_frame_equal(serial, sorted_results(tmp_path / "loky"))
    pd.testing.assert_frame_equal(serial, sorted_results(tmp_path / "dask"))


def test_killed_sweep_resumes_to_the_same_results(tmp_path):
    path = small(tmp_path, reps=24, per_task=2)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if len(list((out / "results").glob("part-*.parquet"))) >= 5:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("part-*.parquet")}
    assert 5 <= len(before) < 36, "the sweep was not killed part-way"
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("part-*.parquet")}
    assert all(after[name] == mtime for name, mtime in before.items())  # nothing redone
    assert len(after) == 36
    assert not list((out / "results").glob("*.tmp")) and not (out / ".lock").exists()

    straight = tmp_path / "straight"
    run_sweep(load_experiment(path), straight, progress=False)
    resumed = sorted_results(out)
    assert not resumed.duplicated(KEYS).any()
    pd.testing.assert_frame_equal(resumed, sorted_results(straight))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"),
                                  pd.read_parquet(straight / "summary.parquet"))


@pytest.mark.parametrize("stop, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_sweep_keeps_only_complete_parts(tmp_path, stop, code):
    """Ctrl-C, or SIGTERM as a batch scheduler or kill sends it: the finished parts are
    kept, the folder freed for --resume, and the worker pool shut down."""
    # far more tasks than the three parts it waits for, so the sweep is still running when
    # the interrupt comes, however quick each run and however late this process polls
    path = small(tmp_path, reps=240, per_task=2)
    out = tmp_path / "interrupted"
    # the sweep answers Ctrl-C as a user's terminal would send it, whatever this process
    # inherited: a suite started in the background by a non-interactive shell ignores
    # SIGINT, and a Python started ignoring it never raises KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(path), "--out",
                             str(out), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "results").glob("part-*"))) < 3:
        time.sleep(0.05)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and "Traceback" not in err
    assert "--resume" in err
    for part in (out / "results").glob("part-*.parquet"):
        assert len(pd.read_parquet(part)) > 0
    assert not (out / ".lock").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_a_sweep_s_workers_are_forked_and_a_ctrl_c_as_they_start_prints_no_traceback(
        tmp_path):
    """A sweep's workers were fresh loky processes, never forked (tqdm's monitor thread,
    started by the sweep's bar even when hidden, made the process unsafe to fork): each
    took 0.75 s of a core to start, and a Ctrl-C at the terminal, which reaches every
    process of the group, printed each one's traceback while it imported. They are now
    forked, running what the command runs, and a Ctrl-C as they start ends the sweep with
    its own message and no worker left."""
    path = small(tmp_path, reps=240, per_task=2)
    out = tmp_path / "stopped"
    proc, workers = command_with_workers(["sweep", str(path), "--out", str(out), "-j", "2",
                                          "-q"], poll_s=0.01)
    assert workers, "the sweep never started a worker"
    own = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    commands = []
    for worker in workers:
        try:
            commands.append(Path(f"/proc/{worker}/cmdline").read_bytes())
        except OSError:
            pass
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert commands and all(c == own for c in commands), commands  # forked: not loky's
    assert proc.returncode == 130 and "Traceback" not in err, err
    deadline = time.time() + 10
    while time.time() < deadline and any(live_parent(w) is not None for w in workers):
        time.sleep(0.05)
    assert not any(live_parent(w) is not None for w in workers)  # none left behind


# --- refusals ------------------------------------------------------------------------------------


def test_second_sweep_into_a_directory_in_use_is_refused(tmp_path):
    exp = load_experiment(small(tmp_path, reps=2))
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text(f"{os.getpid()}@{os.uname().nodename}")
    with pytest.raises(SweepError, match="in use by another sweep"):
        run_sweep(exp, out, progress=False)


def test_new_sweep_into_a_finished_directory_is_refused(tmp_path):
    exp = load_experiment(small(tmp_path, reps=2))
    run_sweep(exp, tmp_path / "out", progress=False)
    with pytest.raises(SweepError, match="already holds a finished sweep") as caught:
        run_sweep(exp, tmp_path / "out", progress=False)
    assert "--resume" not in str(caught.value)  # nothing is left to finish


def test_resume_with_a_changed_experiment_is_refused(tmp_path):
    run_sweep(load_experiment(small(tmp_path, reps=2)), tmp_path / "out", progress=False)
    changed = experiment_file(tmp_path, SMALL.format(reps=2, per_task=2).replace(
        "count: 4", "count: 5"), name="changed.yaml")
    with pytest.raises(SweepError, match="different experiment"):
        run_sweep(load_experiment(changed), tmp_path / "out", resume=True, progress=False)


def test_resume_after_the_automatic_task_size_changed_is_refused(tmp_path, monkeypatch):
    """A sweep started with one automatic task size must not be finished with another: the
    two layouts would cut the same replications into different tasks."""
    path = experiment_file(tmp_path, SMALL.format(reps=8, per_task='"auto"'))
    sweep = load_experiment(path)
    first_size = sweep.task_size
    run_sweep(sweep, tmp_path / "out", progress=False)
    run_sweep(load_experiment(path), tmp_path / "out", resume=True, progress=False)  # same: ok
    monkeypatch.setattr(design, "CONTACTS_PER_TASK", 1)  # one day per task from now on
    resized = load_experiment(path)
    assert resized.task_size != first_size
    with pytest.raises(SweepError, match="cuts its replications into tasks differently"):
        run_sweep(resized, tmp_path / "out", resume=True, progress=False)


def test_cli_refusal_is_a_clear_message(tmp_path):
    path = small(tmp_path, reps=2)
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", str(path), "-o", str(out),
                            "-q"], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", str(path), "-o", str(out),
                            "-q"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "already holds a finished sweep" in again.stderr


def test_results_directory_that_is_a_file_is_refused(tmp_path):
    exp = load_experiment(small(tmp_path, reps=2))
    (tmp_path / "file").write_text("x")
    with pytest.raises(SweepError, match="not a directory"):
        run_sweep(exp, tmp_path / "file", progress=False)


# --- sequential stopping ---------------------------------------------------------------------


def test_sequential_stopping_adds_replications_until_the_ci_is_tight(tmp_path):
    path = experiment_file(tmp_path, """\
        name: stopping
        base: default
        seed: 2
        replications: 4
        weeks: 1
        warmup_weeks: 0
        replications_per_task: 4
        design:
          kind: list
          points: [{name: base, set: {}}]
        stopping:
          half_widths: {phone_wait_mean_min: 0.25}
          max_replications: 40
        """)
    summary = run_sweep(load_experiment(path), tmp_path / "out", progress=False)
    row = summary[(summary.metric == "phone_wait_mean_min") & summary.role.isna()
                  & summary.weekday.isna()].iloc[0]
    assert row.replications > 4
    # both sides of the (log-scale, asymmetric) interval within the goal
    assert max(row["mean"] - row.ci_low, row.ci_high - row["mean"]) <= 0.25 or (
        row.replications == 40)


def test_a_stopping_rules_later_rounds_never_run_a_replication_twice(tmp_path, capsys):
    """5 runs in tasks of 2 end with a part r4-5; the next round's parts were laid on the
    task size's steps (r4-6), so run 4 ran again and the results held its rows twice. A
    round now starts where the parts end, and a resumed sweep lays them out the same."""
    from sim.experiment.store import read_results

    path = experiment_file(tmp_path, """\
        name: no twice
        base: default
        seed: 1
        replications: 5
        weeks: 1
        warmup_weeks: 0
        replications_per_task: 2
        design:
          kind: list
          points: [{name: base, set: {}}]
        stopping:
          half_widths: {phone_wait_mean_min: 0.001}
          max_replications: 8
        """)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, progress=False)
    parts = sorted(p.name for p in (out / "results").glob("part-*.parquet"))
    assert [n.split("-r")[1] for n in parts] == ["0000000-0000002.parquet",
                                               "0000002-0000004.parquet",
                                               "0000004-0000005.parquet",
                                               "0000005-0000007.parquet",
                                               "0000007-0000008.parquet"]
    rows = read_results(out)
    keys = ["point", "replication", "metric", "role", "activity", "weekday"]
    assert not rows.duplicated(keys).any() and sorted(rows.replication.unique()) == list(
        range(8))
    summary = (out / "summary.csv").read_bytes()
    # the last part lost: resumed, the same layout, and the parts off the task size's
    # steps (r5-7) kept as the sweep's own, not deleted as damaged and run again
    (out / "results" / parts[-1]).unlink()
    (out / "summary.csv").unlink()
    (out / "summary.parquet").unlink()
    kept = (out / "results" / parts[-2]).stat().st_mtime_ns
    capsys.readouterr()
    run_sweep(load_experiment(path), out, resume=True, progress=False)
    assert "damaged" not in capsys.readouterr().err
    assert (out / "results" / parts[-2]).stat().st_mtime_ns == kept
    assert sorted(p.name for p in (out / "results").glob("part-*.parquet")) == parts
    assert (out / "summary.csv").read_bytes() == summary


#: A stopping rule that the baseline meets at its first two runs while phone-3 needs six
#: (seed 1; the high-delegation point meets it at two as well).
UNEQUAL_STOPPING = """\
    name: unequal stopping
    base: default
    seed: 1
    replications: 2
    weeks: 1
    warmup_weeks: 0
    replications_per_task: 1
    baseline: base
    design:
      kind: list
      points:
        - {name: base, set: {}}
        - {name: high, set: {delegation.degree: high}}
        - {name: phone-3, set: {staff.secretary.count: 3}}
    stopping:
      half_widths: {phone_wait_mean_min: 0.3}
      max_replications: 8
    """


def test_the_baseline_gets_every_run_a_point_gets_so_differences_use_them_all(tmp_path):
    """A point given more runs than the baseline met its goal at must be compared over all
    of them: the baseline runs the same replications, and each difference is paired over
    every run its point's mean counts (not the baseline's first two)."""
    summary = run_sweep(load_experiment(experiment_file(tmp_path, UNEQUAL_STOPPING)),
                        tmp_path / "out", progress=False)
    runs = summary.groupby("name")["replications"].max()
    assert runs["phone-3"] > 2  # the case this test is about: a point went on
    assert runs["base"] == runs.max()
    assert (summary["diff_replications"] == summary["replications"]).all()
    whole = summary[summary.role.isna() & summary.activity.isna() & summary.weekday.isna()]
    base = whole[whole.name == "base"].set_index("metric")["mean"]
    phone = whole[whole.name == "phone-3"].set_index("metric")
    for metric in ("phone_wait_mean_min", "contacts_arisen", "staff_cost_dkk"):
        assert phone.loc[metric, "diff_mean"] == pytest.approx(
            phone.loc[metric, "mean"] - base[metric], rel=1e-9, abs=1e-9)


def test_a_point_that_stopped_early_is_shown_beside_the_baselines_same_runs(tmp_path):
    """The high-delegation point stops at 2 runs, the baseline goes on with phone-3. Its
    difference is over runs 0-1; the baseline's mean beside it, and the relative change the
    conclusion states, must be over those runs too, not over all the baseline's runs (one
    sweep showed 87.5 against 93.4 beside a difference of +7.7)."""
    from sim.compare import ranked
    from sim.conclusion import effects

    summary = run_sweep(load_experiment(experiment_file(tmp_path, UNEQUAL_STOPPING)),
                        tmp_path / "out", progress=False)
    whole = summary[summary.role.isna() & summary.activity.isna() & summary.weekday.isna()]
    base = whole[whole.name == "base"].set_index("metric")
    high = whole[whole.name == "high"].set_index("metric")
    assert (high["replications"] < base["replications"]).all()  # the case in question
    assert base["paired_base_mean"].isna().all()  # the baseline pairs with no one
    assert (high["paired_base_mean"] - (high["mean"] - high["diff_mean"])).abs().max() < 1e-9
    wait = "phone_wait_mean_min"
    assert high.loc[wait, "paired_base_mean"] != pytest.approx(base.loc[wait, "mean"])
    assert high.loc[wait, "paired_base_ci_low"] < high.loc[wait, "paired_base_mean"] < (
        high.loc[wait, "paired_base_ci_high"])
    point, baseline = int(high["point"].iloc[0]), int(base["point"].iloc[0])
    shown = ranked(summary, point, baseline).set_index(["metric"])
    shown = shown[shown["role"].isna()]
    assert shown.loc[wait, "base_mean"] == high.loc[wait, "paired_base_mean"]
    assert shown.loc[wait, "base_ci_high"] == high.loc[wait, "paired_base_ci_high"]
    said = {e.metric: e for e in effects(summary, point, baseline)}
    assert said[wait].baseline_mean == high.loc[wait, "paired_base_mean"]
    # a point with as many runs as the baseline keeps the baseline's own figures
    phone = whole[whole.name == "phone-3"]
    shown = ranked(summary, int(phone["point"].iloc[0]), baseline).set_index("metric")
    assert shown.loc[wait, "base_mean"] == base.loc[wait, "mean"]


@pytest.mark.parametrize("lost", [["p0000-r0000002", "p0000-r0000003", "p0000-r0000004",
                                     "p0000-r0000005"],
                                    ["p0000-r0000005", "p0002-r0000005"]])
def test_a_stopping_sweep_that_lost_its_later_parts_resumes_to_the_same_tables(tmp_path, lost):
    """Parts of later rounds lost (unfinished when the sweep was killed, or damaged and
    deleted at --resume) are run again, and the resumed sweep takes the same decisions. In
    the first case phone-3's finished runs already meet its goal, yet the baseline still
    gets back the runs it was given beside them."""
    path = experiment_file(tmp_path, UNEQUAL_STOPPING)
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run_sweep(load_experiment(path), straight, progress=False)
    assert pd.read_parquet(straight / "summary.parquet").groupby("name")[
        "replications"].max().to_dict() == {"base": 6, "high": 2, "phone-3": 6}
    shutil.copytree(straight, resumed)
    for name in ("summary.parquet", "summary.csv"):
        (resumed / name).unlink()
    for start in lost:
        part, = (resumed / "results").glob(f"part-{start}-*.parquet")
        part.unlink()
    run_sweep(load_experiment(path), resumed, resume=True, progress=False)
    assert sorted(p.name for p in (resumed / "results").iterdir()) == sorted(
        p.name for p in (straight / "results").iterdir())
    for name in ("summary.csv", "summary.parquet"):
        assert (resumed / name).read_bytes() == (straight / name).read_bytes()


def test_the_summary_says_how_many_runs_each_point_took_and_whether_its_goal_was_met(
        tmp_path, capsys):
    """A goal the maximum of runs cannot reach is said to be missed, point by point, not
    passed over in silence; without a stopping rule, few runs get the note on rough
    intervals that run and compare print."""
    from sim.cli import main

    path = experiment_file(tmp_path, """\
        name: stopping
        base: default
        seed: 2
        replications: 2
        weeks: 1
        warmup_weeks: 0
        replications_per_task: 2
        design:
          kind: list
          points: [{name: base, set: {}}, {name: more-nurses, set: {staff.nurse.count: 4}}]
        stopping:
          half_widths: {phone_wait_mean_min: 0.001, abandonment_rate: 0.9}
          max_replications: 4
        """)
    assert main(["sweep", str(path), "-o", str(tmp_path / "out"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "up to 4 runs a point" in out
    assert out.count("4 runs, goals not met, stopped at the maximum: phone_wait_mean_min") == 2
    assert "phone_wait_mean_min ±0.001; abandonment_rate ±0.9," in out
    assert "stopped at the maximum: phone_wait_mean_min ±" in out
    assert out.count("abandonment_rate ±") == 1  # that goal was met: not among the misses
    assert "intervals are rough" not in out
    plain = small(tmp_path, reps=4)
    assert main(["sweep", str(plain), "-o", str(tmp_path / "plain"), "-q"]) == 0
    assert "with 4 runs per point the intervals are rough" in capsys.readouterr().out


def test_sweep_warns_of_its_base_scenario_once_and_of_a_point_s_own_changes(tmp_path,
                                                                            capsys):
    """sweep ran its points without the warnings run, compare and capacity print: its
    base scenario's are said once, for the weeks the experiment runs, and not again for
    each point. A warning only a point's changes bring (a nurse in on no day) was never
    said: it is said once, naming the points it holds for."""
    from sim.cli import main

    base = tmp_path / "practice.yaml"
    base.write_text("extends: default\nstaff: {gp: {absent: [{week: 40}]}}\n")
    path = experiment_file(tmp_path, SMALL.format(reps=1, per_task=1).replace(
        "base: default", "base: practice.yaml").replace(
        "staff.nurse.count: 4}", "staff.nurse.count: 4, staff.hca.days: []}").replace(
        "staff.secretary.count: 3}", "staff.secretary.count: 3, staff.hca.days: []}"))
    assert main(["sweep", str(path), "-o", str(tmp_path / "out"), "-q"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 2, err
    assert (f"warning: {base}: staff.gp.absent[0]: found week 40, after the run's last "
            "(week 1): the absence never happens") in err, err
    assert (f"warning: {path}, design points 'nurses-4', 'phone-3': staff.hca.days: found "
            "[] for 1 person: in on no weekday, so they work no day of the run") in err, err


def test_streaming_summary_equals_a_direct_computation(tmp_path):
    """The block-by-block statistics agree with a direct computation on the whole table:
    pooled means (sum of value x weight over sum of weight), the ratio estimator's standard
    error, and paired differences over the same runs."""
    from scipy import stats as st

    from sim.estimators import intervals

    exp = load_experiment(small(tmp_path, reps=7, per_task=3))  # blocks of 3, 3 and 1
    summary = run_sweep(exp, tmp_path / "out", progress=False)
    rows = read_results(tmp_path / "out").dropna(subset=["value"])
    rows = rows[rows.role.isna() & rows.weekday.isna()]

    def pooled(sel):
        y, x = (sel.value * sel.weight).to_numpy(), sel.weight.to_numpy()
        r = y.sum() / x.sum()
        se = np.sqrt(((y - r * x) ** 2).sum() / (len(x) * (len(x) - 1))) / x.mean()
        return r, se, (y - r * x) / x.mean()

    for point, metric in [(1, "phone_wait_mean_min"), (2, "staff_cost_dkk"),
                          (1, "contacts_arisen"), (2, "abandonment_rate")]:
        sel = rows[(rows.point == point) & (rows.metric == metric)].sort_values("replication")
        base = rows[(rows.point == 0) & (rows.metric == metric)].sort_values("replication")
        r, se, u = pooled(sel)
        rb, _seb, ub = pooled(base)
        row = summary[(summary.point == point) & (summary.metric == metric)
                      & summary.role.isna() & summary.weekday.isna()].iloc[0]
        assert row["mean"] == pytest.approx(r, rel=1e-12)
        low, high = intervals(np.array([r]), np.array([se]), np.array([len(sel)]),
                              metric_bounds(metric))
        assert row["ci_low"] == pytest.approx(low[0], rel=1e-9)
        assert row["ci_high"] == pytest.approx(high[0], rel=1e-9)
        d_se = np.sqrt(((u - ub) ** 2).sum() / (len(u) * (len(u) - 1)))
        half = st.t.ppf(0.975, len(u) - 1) * d_se
        assert row["diff_mean"] == pytest.approx(r - rb, rel=1e-9, abs=1e-12)
        assert row["diff_ci_high"] - row["diff_mean"] == pytest.approx(half, rel=1e-6,
                                                                        abs=1e-12)
        assert row["replications"] == len(sel) == 7


def test_automatic_task_size_follows_the_work(tmp_path):
    body = """\
        name: sizes
        base: default
        replications: {reps}
        design: {{kind: list, points: [{{name: a, set: {{population.list_size: {size}}}}}]}}
        """
    small_practice = load_experiment(experiment_file(tmp_path, body.format(reps=1000,
                                                                           size=2000)))
    big_practice = load_experiment(experiment_file(tmp_path, body.format(reps=1000,
                                                                         size=12000)))
    assert small_practice.task_size > 2 * big_practice.task_size >= 2
    few = load_experiment(experiment_file(tmp_path, body.format(reps=8, size=6000)))
    assert few.task_size == 2  # at least four tasks per point


def test_a_stopping_sweep_of_an_earlier_layout_is_not_resumed(tmp_path, monkeypatch):
    """A stopping rule's rounds are laid out otherwise since the baseline gets every run
    and a round starts where the last ended: a sweep begun the earlier way, resumed, would
    pair fewer runs than its points have. Its fingerprint differs, so it is refused; a sweep
    without a stopping rule, laid out as before, still resumes."""
    body = """\
        name: layout
        base: default
        seed: 1
        replications: 2
        weeks: 1
        warmup_weeks: 0
        design:
          kind: list
          points: [{name: base, set: {}}]
        """
    stopping = experiment_file(tmp_path, body + "stopping: {half_widths: {phone_wait_mean_min: "
                                                "5}, max_replications: 2}\n", "stop.yaml")
    plain = experiment_file(tmp_path, body, "plain.yaml")
    now = {p: load_experiment(p).fingerprint() for p in (stopping, plain)}
    monkeypatch.setattr(design, "STOPPING_LAYOUT", design.STOPPING_LAYOUT - 1)
    assert load_experiment(stopping).fingerprint() != now[stopping]
    assert load_experiment(plain).fingerprint() == now[plain]
