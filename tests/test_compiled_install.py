"""The optional compiled install (pyproject.toml's mypyc build hook, README "A faster
engine"): a plain ``pip install .`` never needs a compiler, and the wheel the hook builds
gives the same runs as the sources, in one process and with ``-j 2`` workers.

The wheel is built from a copy of the checkout: the hook compiles in place, and its
modules must never shadow the sources the other tests import. It takes about a minute
(pip's build environment, then mypyc), and is skipped where there is no C compiler.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, stale_compiled_modules

#: The hook's table in pyproject.toml.
with open(REPO / "pyproject.toml", "rb") as _f:
    HOOK = tomllib.load(_f)["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["mypyc"]

#: What the child hashes: each scenario's records and event log over two runs of two weeks
#: after one of warm-up, and a -j 2 run's JSON summary (long enough to start a worker).
CHILD = """
import contextlib, dataclasses, hashlib, io, json, sys
import sim.engine.run
from sim import engine_build, load_scenario
from sim.cli import main
from sim.engine import CompiledScenario
from sim.engine.run import simulate_run
from sim.experiment.replications import run_calendar

out = {"engine": engine_build(), "file": sim.engine.run.__file__}
for name in ("default", "case03", "case16"):
    scenario = load_scenario(name)
    model = CompiledScenario(scenario)
    h = hashlib.sha256()
    for rep in range(2):
        for rec in simulate_run(model, 1, rep, run_calendar(scenario, 2, 1), event_log=True):
            d = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec) if f.name != "day"}
            h.update(repr(sorted(d.items())).encode())
    out[name] = h.hexdigest()
text = io.StringIO()
with contextlib.redirect_stdout(text):
    main(["run", "case03", "-r", "60", "--weeks", "1", "--warmup-weeks", "0", "-j", "2",
          "--json"])
out["run -j 2"] = hashlib.sha256(text.getvalue().encode()).hexdigest()
print(json.dumps(out))
"""


def _c_compiler() -> str | None:
    cc = sysconfig.get_config_var("CC") or "cc"
    return shutil.which(shlex.split(cc)[0])


def _runs(path: Path, cwd: Path) -> dict:
    """The child's hashes with ``sim`` imported from ``path`` (and nothing from the checkout)."""
    env = {**os.environ, "PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_a_plain_install_compiles_nothing():
    assert HOOK["enable-by-default"] is False
    for pattern in HOOK["include"]:
        assert (REPO / pattern.lstrip("/")).is_file(), pattern
    # objects of these are pickled for -j workers: they stay plain Python
    for kept in ("calendar.py", "model.py", "distributions.py"):
        assert not any(p.endswith(kept) for p in HOOK["include"])


@pytest.mark.skipif(_c_compiler() is None, reason="no C compiler: the compiled install "
                    "cannot be built here")
def test_the_compiled_wheel_gives_the_same_runs(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".ci-venv", ".venv", "out", "__pycache__", "*.so", ".pytest_cache",
        ".hypothesis", "build", "dist"))
    env = {**os.environ, "HATCH_BUILD_HOOK_ENABLE_MYPYC": "1",
           "HATCH_BUILD_CLEAN_HOOKS_AFTER": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path / "wheel"), str(source)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list((source / "sim").rglob("*.so")), "the build left compiled modules in " \
        "the source tree, where they would shadow its sources"
    installed = tmp_path / "site"
    (wheel,) = (tmp_path / "wheel").glob("clinicsim-*.whl")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(installed)
    compiled = _runs(installed, tmp_path)
    interpreted = _runs(REPO, tmp_path)
    assert compiled.pop("file").endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    assert interpreted.pop("file").endswith(".py")
    assert (compiled.pop("engine"), interpreted.pop("engine")) == ("compiled", "interpreted")
    assert compiled == interpreted


def test_a_compiled_module_older_than_its_source_is_found(tmp_path):
    """The tests refuse to start on such a checkout (conftest.py): they would test old code."""
    source = tmp_path / "sim" / "engine" / "run.py"
    source.parent.mkdir(parents=True)
    source.write_text("x = 1\n")
    compiled = source.with_name("run" + sysconfig.get_config_var("EXT_SUFFIX"))
    compiled.write_bytes(b"")
    os.utime(compiled, (1_000_000, 1_000_000))  # built long before the source's edit
    assert stale_compiled_modules(tmp_path / "sim") == [compiled]
    os.utime(compiled, None)  # built after it: Python imports what the source says
    os.utime(source, (1_000_000, 1_000_000))
    assert stale_compiled_modules(tmp_path / "sim") == []
