"""Robustness: inputs that used to be read silently wrong, outputs that a full disk left
half-written, and command lines that ended in a traceback. Each test names the failure it
guards against."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main

REPO = Path(__file__).resolve().parent.parent


def write(directory: Path, text: str, name: str = "practice.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run the command line in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, **kwargs)


def leftovers(directory: Path) -> list[str]:
    """Every file and folder below ``directory`` (temporary ones included)."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --- outputs: written whole or not at all --------------------------------------------------


def test_atomic_file_leaves_nothing_when_the_writer_fails(tmp_path):
    from sim.outputs import OutputError, atomic_file

    target = tmp_path / "table.csv"
    with pytest.raises(OutputError, match="No space left on device"):
        with atomic_file(target) as tmp:
            tmp.write_text("half a tab")
            disk_full()
    assert leftovers(tmp_path) == []


def test_atomic_file_keeps_the_old_file_until_the_new_one_is_complete(tmp_path):
    from sim.outputs import OutputError, atomic_file

    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(OutputError):
        with atomic_file(target) as tmp:
            tmp.write_text("new but incomplete")
            disk_full()
    assert target.read_text() == "old" and leftovers(tmp_path) == ["table.csv"]
    with atomic_file(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and leftovers(tmp_path) == ["table.csv"]


def test_atomic_directory_replaces_an_earlier_save_only_when_complete(tmp_path):
    from sim.outputs import OutputError, atomic_directory

    target = tmp_path / "saved"
    with atomic_directory(target, marker="run.json") as staging:
        (staging / "run.json").write_text("1")
    with pytest.raises(OutputError):
        with atomic_directory(target, marker="run.json") as staging:
            (staging / "run.json").write_text("2")
            disk_full()
    assert (target / "run.json").read_text() == "1"
    assert leftovers(tmp_path) == ["saved", "saved/run.json"]


def test_atomic_directory_refuses_to_replace_a_foreign_directory(tmp_path):
    from sim.outputs import OutputError, atomic_directory

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="run.json"):
        with atomic_directory(tmp_path / "mine", marker="run.json") as staging:
            (staging / "run.json").write_text("1")
    assert leftovers(tmp_path) == ["mine", "mine/thesis.tex"]


def test_run_events_on_a_full_disk_leaves_no_truncated_csv(tmp_path, monkeypatch, capsys):
    real = pd.DataFrame.to_csv

    def half_then_full(self, path, *args, **kwargs):
        real(self.head(3), path, *args, **kwargs)
        disk_full()

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full)
    target = tmp_path / "events.csv"
    assert main(["run", "-r", "1", "--events", str(target)]) == 1
    err = capsys.readouterr().err
    assert str(target) in err and "No space left on device" in err
    assert leftovers(tmp_path) == []


def test_run_save_on_a_full_disk_leaves_no_half_written_directory(tmp_path, monkeypatch,
                                                                 capsys):
    real = pd.DataFrame.to_parquet
    calls = []

    def second_write_fails(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            disk_full()
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", second_write_fails)
    target = tmp_path / "saved"
    assert main(["run", "-r", "1", "--save", str(target)]) == 1
    err = capsys.readouterr().err
    assert str(target) in err and "No space left on device" in err
    assert leftovers(tmp_path) == []


def test_a_report_written_from_python_on_a_full_disk_keeps_the_old_one(tmp_path,
                                                                      monkeypatch):
    """``build_report``, as a notebook calls it, writes its page whole or not at all, as
    ``clinicsim report`` does."""
    from sim import run_replications
    from sim.html_report import build_report
    from sim.outputs import OutputError

    saved = run_replications("default", replications=1, weeks=1, warmup_weeks=0).save(
        tmp_path / "run")
    target = tmp_path / "report.html"
    target.write_text("old")
    real = Path.write_text

    def half_then_full(self, data, *args, **kwargs):
        if self.suffix == ".html":
            real(self, data[:100], *args, **kwargs)
            disk_full()
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises(OutputError, match="No space left on device"):
        build_report(saved, target)
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["report.html"]


def test_frontier_on_a_full_disk_leaves_neither_file(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", disk_full)
    exp = write(tmp_path, """\
        name: one mix
        base: default
        replications: 2
        weeks: 1
        warmup_weeks: 0
        design: {kind: list, points: [{name: base, set: {}}]}
        targets: [phone_wait_p90_min <= 10]
        """, "mixes.yaml")
    out = tmp_path / "out"
    code = main(["frontier", str(exp), "-o", str(out), "-r", "2", "--max-replications", "2",
                 "--resolution", "5000"])
    assert code == 1 and "No space left on device" in capsys.readouterr().err
    assert not out.exists()


# --- sweeps: results directory ---------------------------------------------------------------

SWEEP = """\
    name: small sweep
    base: default
    seed: 3
    replications: 4
    replications_per_task: 2
    design:
      kind: list
      points:
        - {name: nurses-3, set: {}}
        - {name: nurses-4, set: {staff.nurse.count: 4}}
    """


@pytest.fixture
def sweep_file(tmp_path) -> Path:
    return write(tmp_path, SWEEP, "exp.yaml")


def test_sweep_summary_on_a_full_disk_leaves_no_partial_summary(sweep_file, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "summary" in err and "No space left on device" in err and "--resume" in err
    assert not (out / "summary.parquet").exists() and not (out / "summary.csv").exists()
    assert [p for p in leftovers(out) if ".clinicsim-" in p or p.endswith(".tmp")] == []
    assert len(list((out / "results").glob("part-*.parquet"))) == 4  # the work is kept


def test_sweep_part_on_a_full_disk_leaves_no_temporary_part(sweep_file, tmp_path,
                                                           monkeypatch, capsys):
    import pyarrow.parquet as pq

    real = pq.write_table

    def half_then_full(table, where, *args, **kwargs):
        if "part-" in str(where):
            Path(where).write_bytes(b"PAR1 half a part")
            disk_full()
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", half_then_full)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "-o", str(out), "-q"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list((out / "results").iterdir()) == []


def test_sweep_that_cannot_set_up_its_directory_leaves_nothing(sweep_file, tmp_path,
                                                              monkeypatch, capsys):
    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    out = tmp_path / "new" / "out"
    assert main(["sweep", str(sweep_file), "-o", str(out), "-q"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_scheduler_without_dask_is_refused_before_anything_is_written(sweep_file, tmp_path,
                                                                     capsys):
    out = tmp_path / "out"
    code = main(["sweep", str(sweep_file), "-o", str(out), "--scheduler", "tcp://127.0.0.1:1",
                 "-q"])
    assert code == 2 and "--backend dask" in capsys.readouterr().err
    assert not out.exists()
    # the corrected command then runs: nothing was left to refuse it
    assert main(["sweep", str(sweep_file), "-o", str(out), "-q"]) == 0


def test_an_unreachable_scheduler_leaves_no_folder_behind(sweep_file, tmp_path, monkeypatch,
                                                          capsys):
    """The backend is set up before the folder: a scheduler that cannot be reached (here
    one whose connection fails at once) leaves nothing for the corrected command to
    refuse as 'already holds a sweep'."""
    import sim.experiment.sweep as sweep
    from sim.experiment.errors import SweepError

    def unreachable(name, jobs, scheduler):
        raise SweepError(f"cannot reach the Dask scheduler {scheduler}: refused")

    monkeypatch.setattr(sweep, "make_backend", unreachable)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "-o", str(out), "--backend", "dask",
                 "--scheduler", "tcp://127.0.0.1:1", "-q"]) == 2
    assert "cannot reach" in capsys.readouterr().err
    assert not out.exists()


def test_a_part_rewritten_with_other_column_types_names_the_types(sweep_file, tmp_path):
    """Same column names, other types (a part copied through pandas): the reason names
    the types, where two identical lists of names explained nothing."""
    from sim.experiment.design import load_experiment
    from sim.experiment.store import part_problem

    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "-o", str(out), "-q"]) == 0
    part = sorted((out / "results").glob("part-*.parquet"))[0]
    table = pd.read_parquet(part)
    table["point"] = table["point"].astype("int64")
    table.to_parquet(part)
    why = part_problem(part, load_experiment(sweep_file))
    assert why is not None and why.startswith("column types point int64 (expected int32)")


def _damage(results: Path) -> dict[str, str]:
    """Damage four parts in four ways; return their names and how."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(results.glob("part-*.parquet"))
    empty, garbage, schema, wrong_range = parts[:4]
    pq.write_table(pq.read_table(empty), wrong_range)  # another part's rows
    empty.write_bytes(b"")
    garbage.write_bytes(b"PAR1" + os.urandom(200))
    pq.write_table(pa.table({"metric": ["x"], "value": [1.0]}), schema)
    return {empty.name: "empty", garbage.name: "garbage", schema.name: "schema",
            wrong_range.name: "range"}


def test_resume_reruns_damaged_parts_and_names_them(sweep_file, tmp_path, capsys):
    from sim.experiment.design import load_experiment
    from sim.experiment.store import read_results
    from sim.experiment.sweep import run_sweep

    out = tmp_path / "out"
    run_sweep(load_experiment(sweep_file), out, progress=False)
    straight = read_results(out).sort_values(["point", "replication", "metric", "role",
                                              "activity"]).reset_index(drop=True)
    damaged = _damage(out / "results")
    stray = out / "results" / "part-p0099-r0000000-0000002.parquet"  # no such point
    stray.write_bytes((out / "results" / next(iter(damaged))).read_bytes())
    assert main(["sweep", str(sweep_file), "-o", str(out), "--resume", "-q"]) == 0
    err = capsys.readouterr().err
    lines = {x.split(": ", 1)[0].strip(" -"): x for x in err.splitlines()
             if x.startswith("  - ")}
    for name in damaged:
        assert lines[name].endswith("; run again"), lines
    # the stray part is deleted, and said to be outside the layout, not run again
    line = next(x for x in err.splitlines() if stray.name in x)
    assert "outside this sweep's layout" in line and "run again" not in line
    assert not stray.exists()
    resumed = read_results(out).sort_values(["point", "replication", "metric", "role",
                                             "activity"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(resumed, straight)


# --- YAML: what the parser used to accept or fail on badly ---------------------------------


def scenario_problems(path: Path) -> list[str]:
    from sim.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_duplicate_key_is_an_error_naming_key_and_lines(tmp_path):
    path = write(tmp_path, """\
        extends: default
        staff:
          nurse: {count: 3}
          nurse: {count: 4}
        """)
    found = scenario_problems(path)
    assert any(str(path) in p and "staff.nurse" in p and "line 3" in p and "line 4" in p
               for p in found), found


def test_duplicate_keys_inside_flow_mappings_too(tmp_path):
    path = write(tmp_path, "extends: default\npopulation: {list_size: 6000, list_size: 7}\n")
    assert any("population.list_size" in p and "once" in p for p in scenario_problems(path))


#: Deep enough to overflow Python's recursion limit in a recursive YAML composer.
DEEP = 400


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_clear_error(tmp_path, opening, closing):
    path = write(tmp_path, "extends: default\nname: " + opening * DEEP + closing * DEEP + "\n")
    done = cli("validate", str(path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert "nested too deep" in done.stderr and str(path) in done.stderr


def test_deeply_nested_block_mappings_too(tmp_path):
    body = "".join(f"{'  ' * i}k{i}:\n" for i in range(DEEP)) + "  " * DEEP + "x: 1\n"
    path = write(tmp_path, body)
    done = cli("validate", str(path))
    assert done.returncode == 2 and "nested too deep" in done.stderr, done.stderr[-500:]


def test_tab_in_indentation_says_so(tmp_path):
    path = write(tmp_path, "extends: default\nstaff:\n  nurse:\n\tcount: 3\n")
    found = scenario_problems(path)
    assert any("tab" in p and "not allowed for indentation" in p and "line 4" in p
               for p in found), found
    assert not any("found found" in p for p in found)


def test_missing_base_names_the_referring_file_too(tmp_path):
    path = write(tmp_path, "extends: ./nowhere/base.yaml\n")
    found = scenario_problems(path)
    assert any(p.startswith(str(path)) and "extends" in p and "nowhere/base.yaml" in p
               and "no such file" in p for p in found), found


def test_missing_base_of_a_base_names_the_file_in_between(tmp_path):
    middle = write(tmp_path, "extends: ./gone.yaml\n", "middle.yaml")
    path = write(tmp_path, "extends: middle.yaml\n")
    found = scenario_problems(path)
    assert any(str(middle) in p and "gone.yaml" in p for p in found), found


def test_experiment_with_a_missing_base_names_both_files(tmp_path):
    from sim.experiment.design import load_experiment
    from sim.scenario import ScenarioError

    path = write(tmp_path, """\
        name: x
        base: ./nowhere.yaml
        replications: 2
        design: {kind: list, points: [{name: a}]}
        """, "exp.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith(str(path)) and "base" in p and "nowhere.yaml" in p for p in found)


#: Larger than any scenario (the biggest bundled file is ~20 kB) by far.
HUGE_BYTES = 50_000_000


def test_a_huge_file_is_refused_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(HUGE_BYTES)  # sparse: costs no disk
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read it whole"))
    assert any("under" in p and "bytes" in p for p in scenario_problems(path))


# --- numbers read silently wrong -----------------------------------------------------------


def _int_fields(model, prefix=()):
    """(path, annotation) of every field that holds a whole number, in nested models too."""
    import typing

    from pydantic import BaseModel

    def parts(annotation):
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is typing.Annotated:
            return parts(args[0])
        return [annotation] if not args else [a for arg in args for a in parts(arg)]

    for name, field in model.model_fields.items():
        kinds = parts(field.annotation)
        if int in kinds:
            yield prefix + (name,), field
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _int_fields(kind, prefix + (name,))


def _schema_int_fields():
    from sim.experiment.design import Experiment
    from sim.scenario import Scenario

    return [*_int_fields(Scenario, ("scenario",)), *_int_fields(Experiment, ("experiment",))]


def test_the_schemas_have_whole_number_fields_to_check():
    paths = {".".join(p) for p, _ in _schema_int_fields()}
    assert {"scenario.population.list_size", "scenario.staff.count", "experiment.seed",
            "experiment.replications", "experiment.design.samples"} <= paths, paths


@pytest.mark.parametrize("path, field", _schema_int_fields(),
                         ids=lambda x: ".".join(x) if isinstance(x, tuple) else "")
def test_every_whole_number_field_refuses_a_float(path, field):
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    import typing

    kind = Annotated[(field.annotation, *field.metadata)] if field.metadata \
        else field.annotation
    adapter = TypeAdapter(kind)
    is_list = typing.get_origin(field.annotation) is list or any(
        typing.get_origin(a) is list for a in typing.get_args(field.annotation))
    wrap = (lambda v: [v]) if is_list else (lambda v: v)  # a list of whole numbers
    with pytest.raises(ValidationError, match="whole number"):
        adapter.validate_python(wrap(6.0))
    assert adapter.validate_python(wrap(6)) == wrap(6)


def test_dotted_thousands_are_not_read_as_six_patients(tmp_path):
    path = write(tmp_path, "extends: default\npopulation: {list_size: 6.000}\n")
    found = scenario_problems(path)
    assert any(str(path) in p and "population.list_size" in p and "whole number" in p
               and "not a thousands separator" in p and "6000" in p for p in found), found


def test_dotted_decimals_stay_decimals_where_a_decimal_is_meant(tmp_path):
    from sim.scenario import load_scenario

    path = write(tmp_path, "extends: default\ndemand: {planned: {per_patient_year: 2.000}}\n")
    assert load_scenario(path).demand["planned"].per_patient_year == 2.0


def test_uniform_with_low_above_high_is_refused(tmp_path):
    path = write(tmp_path, """\
        extends: default
        contact_types:
          acute: {durations: {gp: {dist: uniform, low: 12, high: 4, mean: null, sd: null}}}
        """)
    found = scenario_problems(path)
    assert any("contact_types.acute.durations.gp" in p and "low at most high" in p
               for p in found), found


def test_experiment_seed_has_the_command_line_range(tmp_path):
    from sim.experiment.design import load_experiment
    from sim.scenario import ScenarioError

    body = "name: x\nbase: default\nseed: {seed}\nreplications: 2\n" \
           "design: {{kind: list, points: [{{name: a}}]}}\n"
    largest = write(tmp_path, body.format(seed=2**63 - 1), "ok.yaml")
    assert load_experiment(largest).spec.seed == 2**63 - 1
    too_large = write(tmp_path, body.format(seed=2**63), "big.yaml")
    with pytest.raises(ScenarioError, match=r"seed.*less than or equal to 9223372036854775807"):
        load_experiment(too_large)


@pytest.mark.parametrize("value", ["1.5", "0", "1", "-0.2", "nan", "x"])
def test_capacity_confidence_must_lie_strictly_between_0_and_1(value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["capacity", "default", "-t", "acute_same_day_rate>=0.9", "--confidence", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--confidence" in err and "between 0 and 1" in err


# --- inheritance: mappings the user replaces whole --------------------------------------------


def test_a_users_own_mix_replaces_the_base_mix(tmp_path):
    from sim.scenario import load_scenario

    path = write(tmp_path, """\
        extends: default
        demand:
          planned: {mix: {follow_up: 0.6, chronic_review: 0.4}}
        """)
    assert load_scenario(path).demand["planned"].mix == {"follow_up": 0.6,
                                                         "chronic_review": 0.4}


def test_a_mix_that_does_not_sum_to_one_blames_the_users_file(tmp_path):
    path = write(tmp_path, """\
        extends: default
        demand:
          planned: {mix: {follow_up: 0.6, chronic_review: 0.3}}
        """)
    found = scenario_problems(path)
    assert any(p.startswith(f"{path}: demand.planned.mix") and "0.9" in p for p in found)
    assert not any("base.yaml" in p for p in found), found


def test_a_mix_set_in_a_middle_file_names_that_file(tmp_path):
    write(tmp_path, "extends: default\ndemand: {planned: {mix: {follow_up: 0.5}}}\n",
          "middle.yaml")
    path = write(tmp_path, "extends: middle.yaml\nname: mine\n")
    found = scenario_problems(path)
    assert any("demand.planned.mix" in p and "middle.yaml" in p for p in found), found
    assert not any("base.yaml" in p for p in found), found


def test_switching_a_distributions_family_needs_no_nulls(tmp_path):
    from sim.scenario import load_scenario

    path = write(tmp_path, """\
        extends: default
        home_visits: {travel: {dist: exponential, mean: 10}}
        contact_types:
          acute: {durations: {gp: {dist: fixed, value: 8}}}
        demand:
          phone: {patience: {dist: uniform, low: 2, high: 20}}
        """)
    s = load_scenario(path)
    assert s.home_visits.travel.model_dump() == {"dist": "exponential", "mean": 10}
    assert s.contact_types["acute"].durations["gp"].model_dump() == {"dist": "fixed",
                                                                      "value": 8}
    assert s.contact_types["acute"].durations["nurse"].dist == "lognormal"  # others kept
    assert s.demand["phone"].patience.model_dump() == {"dist": "uniform", "low": 2, "high": 20}


def test_triage_shares_and_teams_are_replaced_whole(tmp_path):
    from sim.scenario import load_scenario

    write(tmp_path, "extends: default\npopulation: {teams: {a: 0.5, b: 0.5}}\n",
          "middle.yaml")
    path = write(tmp_path, """\
        extends: middle.yaml
        triage:
          outcomes:
            secretary: {resolved_on_phone: 0.5, same_day: 0.5}
        population:
          teams: {north: 1.0}
        """)
    s = load_scenario(path)
    assert s.triage.outcomes["secretary"] == {"resolved_on_phone": 0.5, "same_day": 0.5}
    assert s.triage.outcomes["gp"] == load_scenario("default").triage.outcomes["gp"]
    assert s.population.teams == {"north": 1.0}


def test_the_replace_whole_table_covers_every_distribution_field():
    """A new distribution field in the schema must be added to the table too."""
    import typing

    from pydantic import BaseModel

    from sim.scenario.loading import replaced_whole
    from sim.scenario.schema import DistSpec, Scenario

    dist_types = set(typing.get_args(typing.get_args(DistSpec)[0]))

    def walk(annotation, path):
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            yield from walk(args[0], path)
        elif isinstance(annotation, type) and annotation in dist_types:
            yield path
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, field in annotation.model_fields.items():
                yield from walk(field.annotation, path + (name,))
        elif origin is dict:
            yield from walk(args[1], path + ("some_name",))
        elif args and origin is not typing.Literal:
            for arg in args:
                yield from walk(arg, path)

    paths = set(walk(Scenario, ()))
    assert ("home_visits", "travel") in paths and len(paths) >= 6
    for path in paths:
        assert replaced_whole(path), path


# --- messages a user can act on ---------------------------------------------------------------


@pytest.mark.parametrize("body, fragments", [
    ("extends: default\npopulaton: {list_size: 5}\n", ["populaton", "did you mean 'population'"]),
    ("extends: default\nstaff: {nurse: {cuont: 3}}\n", ["staff.nurse.cuont",
                                                       "did you mean 'count'"]),
    ("extends: default\nroles: {nurse: {levle: 3}}\n", ["roles.nurse.levle",
                                                       "did you mean 'level'"]),
    ("extends: default\nhome_visits: {travel: {dist: exponential, mean: 3, maen: 3}}\n",
     ["home_visits.travel.maen", "did you mean 'mean'", "allowed here: dist, mean"]),
    ("extends: default\nstaff: {nurse: {blocks: [{kind: open, start: '08:00', ned: '09:00'}]}}\n",
     ["staff.nurse.blocks[0].ned", "did you mean 'end'"]),
])
def test_unknown_keys_get_a_suggestion(tmp_path, body, fragments):
    found = scenario_problems(write(tmp_path, body))
    assert any(all(f in p for f in fragments) for p in found), found


def test_an_unknown_key_far_from_any_gets_no_wild_guess(tmp_path):
    found = scenario_problems(write(tmp_path, "extends: default\nzzzzzz: 1\n"))
    assert any("zzzzzz" in p and "no such key" in p and "did you mean" not in p for p in found)


def test_a_name_with_a_space_reads_like_a_sentence(tmp_path):
    path = write(tmp_path, "extends: default\ndemand: {phone: {line: main line}}\n")
    found = scenario_problems(path)
    assert any("demand.phone.line" in p and "'main line'" in p and
               "a name of the letters a-z and A-Z, digits, '_', '.' or '-' (no spaces" in p
               for p in found)
    assert not any("^[" in p or "pattern" in p for p in found), found
    # a degree that is no name at all is answered with the degrees there are
    path = write(tmp_path, "extends: default\ndelegation: {degree: very high}\n")
    assert any("delegation.degree" in p and "one of low, medium, high" in p
               for p in scenario_problems(path))


def test_a_distribution_given_in_part_says_it_is_given_whole(tmp_path):
    found = scenario_problems(write(tmp_path, """\
        extends: default
        home_visits: {travel: {mean: 10}}
        triage: {durations: {gp: {dist: weibull, mean: 3}}}
        """))
    assert any("home_visits.travel" in p and "dist: one of fixed, exponential, lognormal, "
               "gamma, uniform" in p and "whole" in p for p in found), found
    assert any("triage.durations.gp" in p and "'weibull'" in p and "one of fixed" in p
               for p in found), found
    assert not any("discriminator" in p or "Input tag" in p for p in found), found


# --- days that validate but make no sense: warnings ---------------------------------------

NO_GP_ACUTE = """\
    extends: default
    staff:
      gp:
        blocks:
          - {kind: planned, start: "08:00", end: "12:00"}
          - {kind: lunch, start: "12:00", end: "12:30"}
      gp_visiting:
        blocks:
          - {kind: home_visits, start: "10:30", end: "12:00"}
          - {kind: lunch, start: "12:00", end: "12:30"}
"""


def warnings_of(path: Path) -> list[str]:
    from sim.scenario import load_scenario, scenario_warnings

    return [str(w) for w in scenario_warnings(load_scenario(path))]


def test_acute_slots_only_a_role_that_takes_no_same_day_need_holds(tmp_path):
    path = write(tmp_path, NO_GP_ACUTE + """\
      nurse: {count: 3, blocks: [{kind: planned, start: "08:00", end: "12:00"}]}
      hca:
        blocks: [{kind: acute, start: "08:00", end: "10:00"}]
    """)
    found = warnings_of(path)
    assert any("staff.hca" in p and "acute" in p and "'hca'" in p and "same-day" in p
               for p in found), found


def test_acute_slots_held_by_nobody_present(tmp_path):
    path = write(tmp_path, NO_GP_ACUTE + "      nurse: {count: 0}\n")
    found = warnings_of(path)
    assert any("staff.nurse.count" in p and "acute slots" in p and "nobody present" in p
               for p in found), found


#: The HCA's planned slots run an hour past closing (16:00).
LATE_HCA = """\
    extends: default
    staff:
      hca:
        end: "17:00"
        blocks:
          - {kind: lunch, start: "12:00", end: "12:30"}
          - {kind: planned, start: "15:30", end: "17:00"}
"""


def test_planned_slots_after_closing_time(tmp_path):
    path = write(tmp_path, LATE_HCA)
    found = warnings_of(path)
    assert any("staff.hca.blocks[1]" in p and "planned slots" in p and "16:00-17:00" in p
               and "after closing" in p for p in found), found


@pytest.mark.parametrize("text, fragments", [
    # hours before opening become bookable slots too: patients seen at 06:30 in a
    # practice that opens at 08:00
    ("""\
        extends: default
        staff:
          hca:
            start: "06:00"
            blocks:
              - {kind: planned, start: "06:30", end: "09:00"}
              - {kind: lunch, start: "12:00", end: "12:30"}
        """, ["staff.hca.blocks[0]", "planned slots 06:30-08:00 before opening"]),
    # a weekday's own blocks are checked as the usual day's are
    ("""\
        extends: default
        staff:
          hca:
            on:
              thu:
                end: "17:00"
                blocks:
                  - {kind: lunch, start: "12:00", end: "12:30"}
                  - {kind: planned, start: "15:30", end: "17:00"}
        """, ["staff.hca.on.thu.blocks[1]", "planned slots", "16:00-17:00"]),
], ids=["before opening", "after closing on one weekday only"])
def test_planned_slots_outside_opening_hours(text, fragments, tmp_path):
    found = warnings_of(write(tmp_path, text))
    assert any(all(f in p for f in fragments) for p in found), found


@pytest.mark.parametrize("duty, fragments", [
    ({"end": "18:00", "blocks": [{"kind": "planned", "start": "15:00", "end": "18:00"}],
      "rota": ["gp_visiting"]}, ["16:00-18:00", "after closing"]),
    ({"blocks": [{"kind": "acute", "start": "13:00", "end": "14:00"}], "rota": ["hca"]},
     ["acute slots 13:00-14:00 for hca, role 'hca'"]),
], ids=["slots after closing", "acute slots for a role that takes none"])
def test_a_duty_s_blocks_are_warned_of_as_a_day_plan_s(duty, fragments, tmp_path):
    path = tmp_path / "duty.yaml"
    path.write_text(yaml.safe_dump({"extends": "default",
                                    "duties": {"the_duty": {"weekday": "wed", **duty}}}))
    found = warnings_of(path)
    assert any("duties.the_duty.blocks[0]" in p and all(f in p for f in fragments)
               for p in found), found


def test_a_weekday_with_no_one_for_a_same_day_type_is_warned_of(tmp_path):
    """No doctor in on Fridays, where certificates go to doctors only: Friday's callers
    needing one cannot be seen that day. A valid roster, so a warning."""
    path = write(tmp_path, """\
        extends: case08
        staff:
          gp_a: {days: [mon, tue, wed, thu]}
          gp_b: {days: [mon, tue, wed, thu]}
          gp_c: null
          trainee: {days: [mon, tue, wed, thu]}
        meetings: {management: {attendees: [gp_a, gp_b]}}
        """)
    found = warnings_of(path)
    assert any("no one in on fri who may take certificate" in p and "certificate: trainee, gp"
               in p for p in found), found
    assert not any("on thu" in p for p in found)
    # nor is anyone in to answer the nurses' and the others' questions
    assert any("no one in on fri to answer questions from nurse, secretary and student: "
               "they go unanswered that day" in p for p in found), found


def test_phone_duty_in_an_hour_no_call_rings_in_is_warned_of(tmp_path):
    """Phone hours moved to 08-11 in the blocks but the calls left at 08-10: the hour
    10-11 has people on the phone and no calls. A valid day, so a warning, once for the
    whole week."""
    path = write(tmp_path, """\
        extends: default
        demand:
          phone:
            profile:
              - {start: "08:00", end: "09:00", weight: 0.6}
              - {start: "09:00", end: "10:00", weight: 0.4}
        """)
    found = [p for p in warnings_of(path) if "when no new call rings" in p]
    assert found and all("10:00-12:00 on mon, tue, wed, thu, fri" in p for p in found), found


def test_someone_whose_role_no_work_reaches_is_warned_of(tmp_path):
    """A manager added to consult in the default practice, where no route names
    managers: her planned block would stay idle all day. A manager on admin alone (cases
    1, 11, 12) waits for nothing, so is not warned of."""
    def manager_in(kind: str) -> list[str]:
        path = write(tmp_path, f"""\
            extends: default
            staff:
              boss:
                role: manager
                start: "08:00"
                end: "16:00"
                blocks: [{{kind: {kind}, start: "08:00", end: "16:00"}}]
            """, f"{kind}.yaml")
        return [p for p in warnings_of(path) if "no work reaches" in p]

    found = manager_in("planned")
    assert len(found) == 1 and "staff.boss" in found[0] and "(planned)" in found[0], found
    assert manager_in("admin") == []


def test_the_run_report_carries_the_warnings(tmp_path):
    """A report read later, away from the terminal, still says the day is odd."""
    from sim import load_scenario, run_replications
    from sim.html_report import build_report

    path = write(tmp_path, LATE_HCA)
    saved = run_replications(load_scenario(path), 2, 1, weeks=1, warmup_weeks=0).save(
        tmp_path / "run")
    page = build_report(saved, tmp_path / "run.html").read_text(encoding="utf-8")
    assert "Warnings about the scenario" in page
    assert "staff.hca.blocks[1]" in page and "after closing" in page
    plain = run_replications(load_scenario("default"), 2, 1, weeks=1, warmup_weeks=0).save(
        tmp_path / "plain")
    assert "Warnings about the scenario" not in build_report(
        plain, tmp_path / "plain.html").read_text(encoding="utf-8")


def test_nobody_able_to_consult_during_opening_hours(tmp_path):
    path = write(tmp_path, """\
        extends: default
        staff:
          gp: {blocks: [{kind: admin, start: "08:00", end: "16:00"}]}
          gp_visiting: {blocks: [{kind: admin, start: "08:00", end: "16:00"}]}
          nurse: {blocks: [{kind: admin, start: "08:00", end: "15:30"}]}
          hca: {blocks: [{kind: admin, start: "08:00", end: "15:00"}]}
        """)
    found = warnings_of(path)
    assert any("staff" in p and "booked, walk_in or squeeze_in" in p and "08:00-16:00" in p
               for p in found), found


def test_bundled_scenarios_give_no_warnings():
    from sim.scenario import bundled_names, load_scenario, scenario_warnings

    for name in bundled_names():
        assert scenario_warnings(load_scenario(name)) == [], name


def test_warnings_are_printed_by_validate_and_run(tmp_path):
    path = write(tmp_path, NO_GP_ACUTE + "      nurse: {count: 0}\n")
    for args in (["validate", str(path)], ["run", str(path), "-r", "1"]):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
        assert f"warning: {path}: staff.nurse.count" in done.stderr, done.stderr
    done = cli("validate", "models/cases/case01_east_jutland_care_teams.yaml",
               "models/scenarios/default.yaml")
    assert done.returncode == 0 and "warning" not in done.stderr


# --- the command line in a pipeline and with system paths -------------------------------------


def test_output_into_a_closed_pipe_exits_quietly_with_141():
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", "--json", "-r", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # the reader has gone (as `| head` does after its lines)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err and err == ""


@pytest.mark.parametrize("target", ["/proc/clinicsim-results", "/sys/clinicsim-results",
                                    "/proc/self/clinicsim/results"])
def test_save_to_an_unwritable_system_path_is_refused_before_simulating(target, monkeypatch,
                                                                       capsys):
    import sim.experiment.replications as replications

    system = Path("/", target.split("/")[1])
    if not system.is_dir():
        pytest.skip(f"no {system} on this system")
    monkeypatch.setattr(replications, "run_replications",
                        lambda *a, **k: pytest.fail("simulated before checking --save"))
    assert main(["run", "-r", "1", "--save", target]) == 2
    err = capsys.readouterr().err
    assert "--save" in err and target in err


# --- sizes: workers and design points -------------------------------------------------------


def test_workers_are_capped_at_cpus_and_tasks(monkeypatch):
    from sim import workers

    monkeypatch.setattr(workers, "available_cpus", lambda: 4)
    assert workers.usable_workers(1000, 2)[0] == 2
    jobs, note = workers.usable_workers(1000, 500)
    assert jobs == 4 and "1000" in note and "4 CPUs" in note
    assert workers.usable_workers(3, 100) == (3, None)
    assert workers.usable_workers(1, 0) == (1, None)


def test_sweep_with_a_thousand_jobs_uses_what_the_machine_has(sweep_file, tmp_path,
                                                             monkeypatch, capsys):
    import sim.experiment.sweep as sweep
    from sim import workers
    from sim.experiment.backends import SerialBackend

    used = []

    def recording_backend(name, jobs, scheduler):
        used.append(jobs)
        return SerialBackend()

    monkeypatch.setattr(sweep, "make_backend", recording_backend)
    assert main(["sweep", str(sweep_file), "-o", str(tmp_path / "out"), "-j", "1000",
                 "-q"]) == 0
    assert used and used[0] <= min(workers.available_cpus(), 4)  # 4 tasks in this sweep
    assert "--jobs 1000" in capsys.readouterr().err


def test_run_with_a_thousand_jobs_for_one_day_uses_one(monkeypatch, capsys):
    import sim.experiment.replications as replications

    real, used = replications.iter_runs, []

    def recording(*args, **kwargs):
        used.append(kwargs.get("jobs"))
        return real(*args, **kwargs)

    monkeypatch.setattr(replications, "iter_runs", recording)
    assert main(["run", "-r", "1", "-w", "1", "-j", "1000"]) == 0
    assert used == [1] and "--jobs 1000" in capsys.readouterr().err


GRID = """\
    name: grid
    base: default
    replications: 2
    design:
      kind: grid
      factors:
        population.list_size: [{sizes}]
        staff.nurse.count: [{nurses}]
        staff.gp.count: [{gps}]
    """


def test_a_huge_grid_is_refused_before_its_points_are_built(tmp_path, monkeypatch, capsys):
    import sim.experiment.design as design

    body = GRID.format(sizes=", ".join(str(1000 + i) for i in range(100)),
                       nurses=", ".join(map(str, range(100))), gps=", ".join(map(str, range(91))))
    path = write(tmp_path, body, "grid.yaml")
    monkeypatch.setattr(design, "_points", lambda spec: pytest.fail("built the points"))
    for command in ("sweep", "frontier"):
        extra = ["-t", "acute_same_day_rate>=0.9"] if command == "frontier" else []
        assert main([command, str(path), "-o", str(tmp_path / command), *extra]) == 2
        err = capsys.readouterr().err
        assert "910,000" in err and "10,000" in err and "--max-points" in err, err
        assert not (tmp_path / command).exists()


def test_max_points_raises_and_lowers_the_limit(tmp_path, capsys):
    from sim.experiment.design import load_experiment

    path = write(tmp_path, GRID.format(sizes="5000, 6000", nurses="3, 4", gps="2, 3"), "g.yaml")
    assert main(["sweep", str(path), "-o", str(tmp_path / "o"), "--max-points", "7"]) == 2
    assert "8 design points" in capsys.readouterr().err
    assert len(load_experiment(path, max_points=8).points) == 8


def test_a_huge_latin_hypercube_is_refused(tmp_path):
    from sim.experiment.design import load_experiment
    from sim.scenario import ScenarioError

    path = write(tmp_path, """\
        name: lhs
        base: default
        replications: 2
        design:
          kind: lhs
          samples: 5000000
          ranges: {population.list_size: {low: 1000, high: 9000, integer: true}}
        """, "lhs.yaml")
    with pytest.raises(ScenarioError, match="5,000,000"):
        load_experiment(path)


# --- a worker killed mid-task ---------------------------------------------------------------


def _square_dying_in_a_worker(i: int, parent: int, dies: int) -> int:
    """``i * i``; call ``dies`` kills its process when it runs in a worker (not in the
    test's own process, where a lost call is made again)."""
    if i == dies and os.getpid() != parent:
        import signal
        os.kill(os.getpid(), signal.SIGKILL)
    return i * i


def test_a_lost_workers_task_and_the_rest_are_done_here_once_each():
    """A worker killed mid-task once broke `frontier -j 2`, `sweep -j 2` and `calibrate
    -j 2` with joblib's TerminatedWorkerError and a traceback (`run` already carried on).
    Each shares its tasks out with :func:`sim.workers.shared_out` (a sweep through its
    loky backend): every task now gives its result once, with one warning."""
    from types import SimpleNamespace

    from sim.experiment.backends import LokyBackend
    from sim.experiment.errors import WorkerLost

    tasks = [SimpleNamespace(name=f"t{i}", args=(i, os.getpid(), 5)) for i in range(12)]
    with pytest.warns(WorkerLost) as caught, LokyBackend(2) as backend:
        got = [(task.name, result) for task, result in
               backend.run(_square_dying_in_a_worker, tasks)]
    assert sorted(got) == sorted((f"t{i}", i * i) for i in range(12))  # each once
    assert len([w for w in caught if issubclass(w.category, WorkerLost)]) == 1


def test_an_output_never_replaces_a_file_the_command_reads(tmp_path, capsys):
    base = tmp_path / "ours.yaml"
    base.write_text("extends: default\n")
    design = tmp_path / "more_nurses.yaml"
    design.write_text("extends: ours.yaml\nstaff: {nurse: {count: 4}}\n")
    before = {p: p.read_bytes() for p in (base, design)}
    short = ["-r", "1", "--weeks", "1", "--warmup-weeks", "0"]
    for target in (design, base):  # the scenario, and the base it extends
        assert main(["run", str(design), *short, "--events", str(target)]) == 2
        assert "which it reads as input" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in before} == before
    saved = tmp_path / "saved"
    assert main(["run", str(design), *short, "--save", str(saved)]) == 0
    run_json = (saved / "run.json").read_bytes()
    assert main(["report", str(saved), "-o", str(saved / "run.json")]) == 2
    assert main(["report", str(saved), "-o", str(design)]) == 2  # not a page: a scenario
    assert "ending .html" in capsys.readouterr().err
    assert (saved / "run.json").read_bytes() == run_json
    assert design.read_bytes() == before[design]
    for _ in range(2):  # a report beside the results it reads, made again
        assert main(["report", str(saved), "-o", str(saved / "report.html")]) == 0


def test_save_suggests_force_only_where_force_would_replace(tmp_path, capsys):
    """--force replaces only the command's own earlier output: offering it for a folder
    of other files (a saved run given to compare --save) sent the user to a second
    refusal."""
    saved = tmp_path / "saved"
    short = ["-r", "1", "--weeks", "1", "--warmup-weeks", "0"]
    assert main(["run", *short, "--save", str(saved)]) == 0
    capsys.readouterr()
    assert main(["run", *short, "--save", str(saved)]) == 2
    assert "or --force to replace the earlier output there" in capsys.readouterr().err
    assert main(["compare", "default", "case08", *short, "--save", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "--force could replace" in err and "or --force to" not in err
