"""The compiled engine (pyproject.toml's build hook, hatch_build.py; README "The compiled
engine"): a standard install compiles the engine with mypyc, and its wheel gives the same
runs as the sources, in one process and with ``-j 2`` workers; where the C compiler fails,
the install still succeeds, as plain Python.

Wheels are built from a copy of the checkout: the hook compiles in place, and its modules
must never shadow the sources the other tests import. A compiled build takes about a
minute (pip's build environment, then mypyc) and is skipped where there is no C compiler.
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


def _build_wheel(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A wheel of a copy of the checkout as ``pip install .`` builds it, and pip's output
    (verbose: the hook's warnings)."""
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".ci-venv", ".venv", "out", "__pycache__", "*.so", ".pytest_cache",
        ".hypothesis", "build", "dist", ".mypy_cache"))
    env = {k: v for k, v in {**os.environ, **env}.items() if not k.startswith("HATCH_BUILD")}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w",
                           str(tmp_path / "wheel"), str(source)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert not list((source / "sim").rglob("*.so")), "the build left compiled modules in " \
        "the source tree, where they would shadow its sources"
    (wheel,) = (tmp_path / "wheel").glob("clinicsim-*.whl")
    return wheel, done.stdout + done.stderr


def _unpacked(wheel: Path, where: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(where)
    return where


def test_the_build_hook_compiles_the_engine_and_nothing_pickled(benchmark_compiled):
    hook = benchmark_compiled.hook_config()
    assert (REPO / hook["path"]).is_file()
    assert hook.get("enable-by-default", True) is True  # a standard install compiles
    for pattern in hook["include"]:
        assert (REPO / pattern.lstrip("/")).is_file(), pattern
    # objects of these are pickled for -j workers: they stay plain Python
    for kept in ("calendar.py", "model.py", "distributions.py"):
        assert not any(p.endswith(kept) for p in hook["include"])


def test_without_a_c_compiler_the_install_is_plain_python(tmp_path):
    """A compiler that fails (here /bin/false in its place) leaves a plain wheel that runs,
    and says why in pip's output: an install never fails for want of a compiler."""
    wheel, output = _build_wheel(tmp_path, {"CC": shutil.which("false") or "false"})
    assert wheel.name.endswith("-py3-none-any.whl")
    assert "compiled engine could not be built here" in output
    installed = _unpacked(wheel, tmp_path / "site")
    assert not [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".so")]
    done = subprocess.run([sys.executable, "-c", "import sim; print(sim.engine_build())"],
                          cwd=installed, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(installed)})
    assert done.stdout.strip() == "interpreted", done.stderr


@pytest.fixture(scope="module")
def compiled_site(tmp_path_factory) -> Path:
    """The compiled wheel of the checkout, unpacked: built once for the tests below."""
    if _c_compiler() is None:
        pytest.skip("no C compiler: the compiled install cannot be built here")
    root = tmp_path_factory.mktemp("compiled")
    wheel, _ = _build_wheel(root, {})
    assert not wheel.name.endswith("-none-any.whl"), "a standard build compiled nothing"
    return _unpacked(wheel, root / "site")


def test_the_compiled_wheel_gives_the_same_runs(compiled_site, benchmark_compiled):
    installed = compiled_site
    compiled = _runs(benchmark_compiled, installed)
    interpreted = _runs(benchmark_compiled, REPO)
    assert compiled.pop("file").endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    assert interpreted.pop("file").endswith(".py")
    assert (compiled.pop("engine"), interpreted.pop("engine")) == ("compiled", "interpreted")
    assert compiled == interpreted


#: The command in a fresh interpreter, with Ctrl-C as a terminal delivers it (a child
#: inherits an ignored SIGINT from a parent run in the background).
STOPPED_CHILD = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_compiled_run_stopped_midway_exits_as_stopped(compiled_site):
    """Ctrl-C or SIGTERM in the middle of a compiled run stops it as it stops a plain one:
    "interrupted", exit code 130 or 143. mypyc's runtime takes a failed multiplication of
    numbers beyond a machine word for running out of memory and aborts, and CPython's
    multiplication of such numbers fails when a signal is waiting: a booking's cache key
    (an address times 4) turned 5 of 6 Ctrl-Cs into "fatal: out of memory", exit code
    134, before the key became a tuple."""
    import signal
    import time

    for number, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGINT, 130)):
        child = subprocess.Popen(
            [sys.executable, "-c", STOPPED_CHILD, "run", "case05", "-r", "200", "--weeks",
             "52", "--progress"], cwd=compiled_site, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(compiled_site)})
        seen = b""
        while b"/200" not in seen:  # the progress bar: the runs have begun
            byte = child.stderr.read(1)
            assert byte, seen.decode(errors="replace")
            seen += byte
        time.sleep(1.0)  # well inside the first runs (about 0.6 s each)
        child.send_signal(number)
        rest = child.communicate(timeout=120)[1]
        err = (seen + rest).decode(errors="replace")
        assert child.returncode == code, err[-2000:]
        assert "interrupted" in err and "out of memory" not in err, err[-2000:]


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
