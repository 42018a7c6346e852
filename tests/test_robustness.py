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


def test_frontier_on_a_full_disk_leaves_neither_file(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", disk_full)
    exp = write(tmp_path, """\
        name: one mix
        base: default
        replications: 2
        design: {kind: list, points: [{name: base, set: {}}]}
        targets: [acute_same_day_rate >= 0.5]
        """, "mixes.yaml")
    out = tmp_path / "out"
    code = main(["frontier", str(exp), "-o", str(out), "-r", "2", "--max-replications", "2",
                 "--resolution", "5000"])
    assert code == 1 and "No space left on device" in capsys.readouterr().err
    assert not out.exists()
