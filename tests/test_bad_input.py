"""The corpus of broken files in tests/data/invalid: each must give its clear message.

Each file's first line says what the message must contain: ``# expect: a | b`` (every
fragment, in one reported problem). Through the API a broken file raises ScenarioError;
through the command line it exits with code 2, prints no traceback, and writes nothing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.experiment.design import load_experiment
from sim.scenario import ScenarioError, load_scenario

CORPUS = Path(__file__).parent / "data" / "invalid"
NO_HEADER = {"empty.yaml": ["empty file"]}


def expectations(path: Path) -> list[str]:
    if path.name in NO_HEADER:
        return NO_HEADER[path.name]
    first = path.read_bytes().decode("latin-1").splitlines()[0]
    assert first.startswith("# expect:"), f"{path} has no '# expect:' line"
    return [f.strip() for f in first.removeprefix("# expect:").split("|")]


def corpus(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).glob("*.yaml"))


def assert_reported(problems: list[str], fragments: list[str]) -> None:
    assert any(all(f in p for f in fragments) for p in problems), (fragments, problems)


@pytest.mark.parametrize("path", corpus("scenarios"), ids=lambda p: p.stem)
def test_broken_scenario(path, capsys):
    fragments = expectations(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert_reported([str(p) for p in caught.value.problems], fragments)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    assert main(["run", str(path), "-r", "1"]) == 2


@pytest.mark.parametrize("path", corpus("experiments"), ids=lambda p: p.stem)
def test_broken_experiment(path, tmp_path, capsys):
    fragments = expectations(path)
    with pytest.raises(ScenarioError) as caught:
        load_experiment(path)
    assert_reported([str(p) for p in caught.value.problems], fragments)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    assert not out.exists(), "a broken experiment must not leave a results directory"


def test_corpus_is_not_empty():
    assert len(corpus("scenarios")) >= 25 and len(corpus("experiments")) >= 8


@pytest.mark.parametrize("args, fragment", [
    (["run", "-r", "-3"], "at least 1"),
    (["run", "--seed", "-1"], "from 0"),
    (["run", "--seed", "1e99"], "whole number"),
    (["run", "--jobs", "0"], "at least 1"),
    (["sweep", "experiments/delegation_degree.yaml"], "--out"),
    (["sweep", "experiments/delegation_degree.yaml", "-o", "/tmp/x", "--backend", "spark"],
     "invalid choice"),
    (["capacity", "default"], "--target"),
    (["capacity", "default", "-t", "nonsense"], "METRIC >= VALUE"),
])
def test_bad_command_line_options(args, fragment, capsys):
    try:
        code = main(args)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_scheduler_needs_the_dask_backend(tmp_path, capsys):
    code = main(["sweep", "experiments/delegation_degree.yaml", "-o", str(tmp_path / "o"),
                 "--scheduler", "tcp://127.0.0.1:1", "-q"])
    assert code == 2 and "--backend dask" in capsys.readouterr().err


def test_resume_of_a_directory_without_a_sweep(tmp_path, capsys):
    code = main(["sweep", "experiments/delegation_degree.yaml", "-o", str(tmp_path / "o"),
                 "--resume", "-q"])
    assert code == 2 and "no sweep to resume" in capsys.readouterr().err


def test_unwritable_results_directory(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os
        if os.access(locked, os.W_OK):  # root ignores permissions
            pytest.skip("running as a user who can write anywhere")
        code = main(["sweep", "experiments/delegation_degree.yaml", "-o", str(locked / "o"),
                     "-q"])
        assert code == 2 and "cannot create" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_events_file_in_missing_directory_creates_nothing(tmp_path, capsys):
    target = tmp_path / "missing" / "events.csv"
    assert main(["run", "-r", "1", "--events", str(target)]) == 2
    assert "existing directory" in capsys.readouterr().err
    assert not target.parent.exists()
