"""The corpus of broken files in tests/data/invalid: each must give its clear message.

Each file's first line says what the message must contain: ``# expect: a | b`` (every
fragment, in one reported problem). Through the API a broken file raises ScenarioError;
through the command line it exits with code 2, prints no traceback, and writes nothing.
Generated cases too large or odd to keep as files (deep nesting, a 50 MB file) go the
same way, and every output the command line writes is tried on a full disk (a small
tmpfs, where this machine lets us mount one): exit code 1, no traceback, nothing partial.
"""
from __future__ import annotations

import subprocess
import sys
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
def test_broken_scenario(path, tmp_path, capsys):
    fragments = expectations(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert_reported([str(p) for p in caught.value.problems], fragments)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    assert main(["run", str(path), "-r", "1", "--events", str(tmp_path / "events.csv"),
                 "--save", str(tmp_path / "saved")]) == 2
    assert list(tmp_path.iterdir()) == [], "a broken scenario must not leave output"


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
    (["run", "--weeks", "5200"], "1 to 520 weeks"),  # as a scenario's calendar allows
    (["compare", "default", "case03", "--warmup-weeks", "521"], "0 to 520 weeks"),
    (["sweep", "experiments/delegation_degree.yaml"], "--out"),
    (["sweep", "experiments/delegation_degree.yaml", "-o", "/tmp/x", "--backend", "spark"],
     "invalid choice"),
    (["capacity", "default", "--confidence", "1.5"], "between 0 and 1 (exclusive)"),
    # coarser than the longest list a search tries: the search would start beyond it
    (["capacity", "default", "--resolution", "300000"], "1 to 200,000 patients"),
    (["capacity", "default", "-t", "nonsense"], "METRIC >= VALUE"),
    # a target outside the metric's range always holds or never does: the search would
    # report its largest or smallest list as the capacity
    (["capacity", "default", "-t", "abandonment_rate <= 2"], "a value from 0 to 1"),
    (["capacity", "default", "-t", "tnaa_days <= -1"], "tnaa_days is never negative"),
    # an option of another command: the command that does not know it says so
    (["run", "-o", "x"], "clinicsim run: error: unrecognized arguments: -o (clinicsim run "
                         "--help lists its options)"),
    (["compare", "default", "case03", "--bogus"], "clinicsim compare: error: unrecognized"),
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


# --- through the real command line, with generated cases -------------------------------------

REPO = Path(__file__).resolve().parent.parent
#: Nesting deep enough to have overflowed Python's recursion limit in the YAML composer.
DEEP = 400
#: A file far beyond any scenario (the largest bundled one is about 20 kB).
HUGE_BYTES = 50_000_000


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def generated_cases(folder: Path) -> list[tuple[Path, str]]:
    """Broken scenario files too large or odd to keep in the corpus, with a fragment
    their message must contain."""
    cases = {
        "deep_brackets.yaml": ("extends: default\nname: " + "[" * DEEP + "]" * DEEP + "\n",
                               "nested too deep"),
        "deep_mappings.yaml": ("".join(f"{'  ' * i}k{i}:\n" for i in range(DEEP)) + "  " * DEEP
                               + "x: 1\n", "nested too deep"),
        "deep_flow_mappings.yaml": ("extends: default\nname: " + "{a: " * DEEP + "1" + "}" * DEEP
                                    + "\n", "nested too deep"),
    }
    out = []
    for name, (text, fragment) in cases.items():
        (folder / name).write_text(text, encoding="utf-8")
        out.append((folder / name, fragment))
    huge = folder / "huge.yaml"
    line = "# " + "x" * 97 + "\n"
    with huge.open("w", encoding="utf-8") as handle:
        handle.write("extends: default\n")
        handle.write(line * (HUGE_BYTES // len(line)))
    out.append((huge, "bytes"))
    return out


def test_every_broken_scenario_through_the_command_line(tmp_path):
    """One `clinicsim validate` over the whole corpus and the generated cases: every file
    is named with its problem, exit code 2, no traceback."""
    cases = [(p, expectations(p)[0]) for p in corpus("scenarios")] + generated_cases(tmp_path)
    done = cli("validate", *(str(p) for p, _ in cases))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr
    for path, fragment in cases:
        mine = [line for line in done.stderr.splitlines() if str(path) in line]
        assert any(fragment in line for line in mine), (path, fragment, mine)


def test_generated_cases_through_run_write_nothing(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    for path, fragment in generated_cases(cases):
        out = tmp_path / "out"
        out.mkdir()
        done = cli("run", str(path), "-r", "1", "--events", str(out / "e.csv"), "--save",
                   str(out / "saved"))
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-800:]
        assert fragment in done.stderr and list(out.iterdir()) == []
        out.rmdir()


# --- a full disk ---------------------------------------------------------------------------------

#: A file system just big enough for the test's filler and a little more.
DISK_BYTES = 64 * 1024
#: Room left on the full disk: enough to create (empty) files and folders, too little for
#: any real output, so every write fails part-way, as on a disk that fills up.
FREE_BYTES = 8 * 1024


def _fill(disk: Path) -> None:
    """Fill ``disk``, then free FREE_BYTES of it."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    with filler.open("r+b") as handle:
        handle.truncate(max(0, filler.stat().st_size - FREE_BYTES))


@pytest.fixture
def full_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs",
                               str(disk)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"cannot mount a small tmpfs to fill up ({err})")
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs to fill up (needs root or "
                    f"CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        _fill(disk)
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory) -> Path:
    from sim import run_replications

    out = tmp_path_factory.mktemp("saved") / "run"
    run_replications(load_scenario("default"), 2, 1, event_log=True).save(out)
    return out


TINY_FRONTIER = """\
name: one mix
base: default
replications: 2
weeks: 1
warmup_weeks: 0
design: {kind: list, points: [{name: base, set: {}}]}
targets: [phone_wait_p90_min <= 10]
"""
TINY_SWEEP = """\
name: one point
base: default
replications: 2
weeks: 1
warmup_weeks: 0
replications_per_task: 2
design: {kind: list, points: [{name: base, set: {}}]}
"""


def output_commands(disk: Path, saved: Path, files: Path) -> dict[str, list[str]]:
    (files / "frontier.yaml").write_text(TINY_FRONTIER, encoding="utf-8")
    (files / "sweep.yaml").write_text(TINY_SWEEP, encoding="utf-8")
    return {
        "run --events": ["run", "-r", "2", "-w", "1", "--warmup-weeks", "0", "--events",
                         str(disk / "events.csv")],
        "run --save": ["run", "-r", "2", "-w", "1", "--warmup-weeks", "0", "--save",
                       str(disk / "saved")],
        "report -o": ["report", str(saved), "-o", str(disk / "report.html")],
        "calibrate --out": ["calibrate", "-r", "1", "--weeks", "1", "--warmup-weeks", "0",
                            "--out", str(disk / "calibration")],
        "frontier --out": ["frontier", str(files / "frontier.yaml"), "-o",
                           str(disk / "frontier"), "-r", "2", "--max-replications", "2",
                           "--resolution", "5000"],
        "sweep --out": ["sweep", str(files / "sweep.yaml"), "-o", str(disk / "sweep"), "-q"],
    }


@pytest.mark.parametrize("command", ["run --events", "run --save", "report -o",
                                     "calibrate --out", "frontier --out", "sweep --out"])
def test_every_output_on_a_full_disk(command, full_disk, saved_run, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    args = output_commands(full_disk, saved_run, files)[command]
    done = cli(*args)
    assert done.returncode == 1, (done.returncode, done.stderr[-800:])
    assert "Traceback" not in done.stderr
    assert "could not write" in done.stderr and "No space left on device" in done.stderr
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"], "partial output left"


def test_a_misspelt_role_is_the_only_problem_it_causes(tmp_path):
    """A phone nurse whose role is misspelt is not on the phone, so the phone hours looked
    unanswered too, an error pointing at the bundled case's phone profile: who covers
    which hours waits for the role to be fixed."""
    path = tmp_path / "typo.yaml"
    path.write_text("extends: case08\nname: typo\nstaff:\n  nurse_phone: {role: nurce}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [str(p.path) for p in caught.value.problems] == ["('staff', 'nurse_phone', 'role')"]
