"""Shared fixtures: the bundled scenarios and a helper to derive variants from them."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.scenario import load_raw, resolve_reference, scenario_from_dict

REPO = Path(__file__).resolve().parent.parent


def stale_compiled_modules(package: Path) -> list[Path]:
    """Compiled modules (left by a compiled install built without cleaning up, README "A
    faster engine") that are older than their sources: Python imports them in place of
    the edited sources, so the tests would test old code."""
    from importlib.machinery import EXTENSION_SUFFIXES

    stale = []
    for suffix in EXTENSION_SUFFIXES:
        for compiled in package.rglob(f"*{suffix}"):
            source = compiled.with_name(compiled.name[:-len(suffix)] + ".py")
            if source.exists() and source.stat().st_mtime > compiled.stat().st_mtime:
                stale.append(compiled)
    return sorted(set(stale))


def pytest_sessionstart(session):
    stale = stale_compiled_modules(REPO / "sim")
    if stale:
        pytest.exit("compiled modules in the checkout are older than their sources, and "
                    "Python imports them instead: " + ", ".join(
                        str(s.relative_to(REPO)) for s in stale)
                    + ". Remove them (git clean -fX sim) and run the tests again.",
                    returncode=2)


def experiment_module(monkeypatch, name: str):
    """A script of ``experiments/`` as a module (its helpers import each other from there)."""
    import importlib

    monkeypatch.syspath_prepend(str(REPO / "experiments"))
    return importlib.import_module(name)


@pytest.fixture
def benchmark_compiled(monkeypatch):
    """``experiments/benchmark_compiled.py`` as a module: what the compiled install compiles
    (pyproject.toml's hook) and how runs are compared across engines."""
    return experiment_module(monkeypatch, "benchmark_compiled")


def scenario_with(base: str = "default", **changes):
    """A bundled scenario with changes given as ``section__field=value`` paths.

    ``scenario_with(staff__nurse__count=4)`` sets ``staff.nurse.count`` to 4.
    """
    data, _ = load_raw(resolve_reference(base, None))
    data = copy.deepcopy(data)
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[leaf] = value
    return scenario_from_dict(data)


def raw(base: str = "default") -> dict:
    data, _ = load_raw(resolve_reference(base, None))
    return copy.deepcopy(data)


@pytest.fixture(scope="session")
def default_raw() -> dict:
    return raw("default")


def live_parent(pid: int) -> int | None:
    """The parent of ``pid`` if it is a live process (not ended, not a zombie waiting to
    be reaped), from ``/proc``; else None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
    except OSError:  # ended
        return None
    return None if state == "Z" else int(parent)


def live_children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (a command's workers), from ``/proc``."""
    return [int(d.name) for d in Path("/proc").iterdir()
            if d.name.isdigit() and live_parent(int(d.name)) == pid]


def command_with_workers(args: list[str], poll_s: float = 0.05):
    """``python -m sim.cli *args`` started in a process group of its own, answering Ctrl-C
    as a terminal's process would (whatever this one inherited), and its first live
    workers once it has any (none if it ended or a minute passed first)."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and not workers and proc.poll() is None:
        time.sleep(poll_s)
        workers = live_children(proc.pid)
    return proc, workers
