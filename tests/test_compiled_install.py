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
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, stale_compiled_modules

#: Besides the records (the benchmark's HASH_CHILD): which engine ran, and a -j 2 run's JSON
#: summary (long enough to start a worker).
J2_CHILD = """
import contextlib, hashlib, io, json
import sim.engine.run
from sim.cli import main
text = io.StringIO()
with contextlib.redirect_stdout(text):
    main(["run", "case03", "-r", "60", "--weeks", "1", "--warmup-weeks", "0", "-j", "2",
          "--json"])
print(json.dumps({"file": sim.engine.run.__file__,
                  "run -j 2": hashlib.sha256(text.getvalue().encode()).hexdigest()}))
"""
#: Scenarios whose records and event logs are compared.
COMPARED = ("default", "case03", "case16")


def _c_compiler() -> str | None:
    cc = sysconfig.get_config_var("CC") or "cc"
    return shutil.which(shlex.split(cc)[0])


def _runs(bench, path: Path) -> dict:
    """Which engine ran and what it gave, with ``sim`` imported from ``path``."""
    engine, *hashes = bench.child(bench.HASH_CHILD, path, list(COMPARED)).splitlines()
    out = dict(line.split() for line in hashes)
    out["engine"] = engine.split()[1]
    out.update(json.loads(bench.child(J2_CHILD, path, []).splitlines()[-1]))
    return out


def test_a_plain_install_compiles_nothing(benchmark_compiled):
    hook = benchmark_compiled.hook_config()
    assert hook["enable-by-default"] is False
    for pattern in hook["include"]:
        assert (REPO / pattern.lstrip("/")).is_file(), pattern
    # objects of these are pickled for -j workers: they stay plain Python
    for kept in ("calendar.py", "model.py", "distributions.py"):
        assert not any(p.endswith(kept) for p in hook["include"])


@pytest.mark.skipif(_c_compiler() is None, reason="no C compiler: the compiled install "
                    "cannot be built here")
def test_the_compiled_wheel_gives_the_same_runs(tmp_path, benchmark_compiled):
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
    compiled = _runs(benchmark_compiled, installed)
    interpreted = _runs(benchmark_compiled, REPO)
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
