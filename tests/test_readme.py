"""Every command shown in the README, run as written in a fresh temporary directory.

Each of the README's ```bash blocks is a test: its command lines run in order through bash
in a fresh temporary directory that holds copies of ``models/`` and the experiment files,
and ``my_practice.yaml`` (the README's own example scenario file, its first ```yaml
block), so relative paths resolve as they would in a fresh clone. Commands that build on
an earlier one of their block (``clinicsim report out/case08`` after ``--save
out/case08``) see its output; blocks are independent of each other, so they can run in
parallel.

Not run, and why:

* ``pip install`` lines: installing is what the test environment has already done (an
  install would replace the engine under the running tests:
  ``tests/test_compiled_install.py`` builds the same wheels apart, compiled and plain,
  and checks their runs);
* ``dask scheduler``, ``dask worker`` and ``--backend dask --scheduler``: they need a
  cluster of other hosts.

Run with small overrides, because as written they take minutes (their full runs are what
the README's figures and ``experiments/`` come from); each is listed in :data:`OVERRIDES`
or :func:`shrink_experiment`:

* ``clinicsim calibrate``: one run of one week per case;
* ``clinicsim capacity``: two runs of one week per list size, to 2,000 patients;
* ``clinicsim frontier``: as capacity, over the first two staffing mixes;
* the experiment files are copied with two runs of one week per design point.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

#: Lines not run (see the module's docstring for why).
NOT_RUN = (re.compile(r"^\s*(\w+=\S*\s+)*pip install"), re.compile(r"^\s*dask (scheduler|worker)"),
           re.compile(r"--backend dask --scheduler"))

#: Options appended to a command that takes minutes as written (first match applies).
OVERRIDES: tuple[tuple[re.Pattern, list[str]], ...] = (
    (re.compile(r"^clinicsim calibrate\b"), ["-r", "1", "-w", "1", "--warmup-weeks", "1"]),
    (re.compile(r"^clinicsim (capacity|frontier)\b"),
     ["-r", "2", "--max-replications", "2", "-w", "1", "--warmup-weeks", "1",
      "--resolution", "2000"]),
)

#: Seconds one README command may take here (the slowest, a run of 30 x 12 weeks with
#: the event log, takes about 15 s on the 2-core test machine).
TIMEOUT_S = 300


def bash_blocks(text: str) -> list[list[str]]:
    """Command lines of each ```bash block, in order (comments and blank lines dropped)."""
    return [[line.strip() for line in block.splitlines()
             if line.strip() and not line.strip().startswith("#")]
            for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def bash_commands(text: str) -> list[str]:
    """Every command line of the ```bash blocks, in order."""
    return [line for block in bash_blocks(text) for line in block]


def runnable(block: list[str]) -> list[str]:
    return [c for c in block if not any(p.search(c) for p in NOT_RUN)]


BLOCKS = [b for b in bash_blocks(README.read_text(encoding="utf-8")) if runnable(b)]


def shrink_experiment(path: Path) -> None:
    """Two runs of one week per point, and at most two points for a frontier."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(replications=2, weeks=1, warmup_weeks=1)
    data.pop("stopping", None)
    if data.get("replications_per_task") not in (None, "auto"):
        data["replications_per_task"] = 2
    if "targets" in data and data.get("design", {}).get("kind") == "grid":
        factors = data["design"]["factors"]
        varied = False
        for name, values in factors.items():
            keep = 2 if len(values) > 1 and not varied else 1
            varied = varied or keep == 2
            factors[name] = values[:keep]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def clone(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    shutil.copytree(REPO / "models", root / "models")
    (root / "experiments").mkdir()
    for file in (REPO / "experiments").glob("*.yaml"):
        shutil.copy(file, root / "experiments" / file.name)
        shrink_experiment(root / "experiments" / file.name)
    example = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (root / "my_practice.yaml").write_text(example.group(1), encoding="utf-8")
    return root


def test_the_readme_shows_commands():
    commands = bash_commands(README.read_text(encoding="utf-8"))
    assert len(commands) > 15
    assert any(c.startswith("clinicsim compare") for c in commands)


@pytest.mark.parametrize("block", BLOCKS, ids=[runnable(b)[0][:40] for b in BLOCKS])
def test_every_readme_command_succeeds(block, clone):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    for command in runnable(block):
        line = command.split(" #")[0].strip()
        for pattern, extra in OVERRIDES:
            if pattern.search(line):
                line = " ".join([line, *extra])
                break
        done = subprocess.run(["bash", "-c", line], cwd=clone, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{line}\nexit {done.returncode}\n{done.stderr[-3000:]}"
    if any("--save out/case08" in c for c in block):
        assert (clone / "out" / "case08" / "run.json").exists()
    if any("report out/cmp" in c for c in block):
        assert (clone / "comparison.html").exists()


def test_every_readme_block_with_commands_is_run():
    assert len(BLOCKS) >= 6
    assert sum(len(runnable(b)) for b in BLOCKS) > 15


def test_every_metric_is_in_the_metrics_table():
    """Each metric a run reports has a row in the README's Metrics table (the outcomes as
    ``outcome_<outcome>``)."""
    from sim.metrics import OVERALL_METRICS, ROLE_METRICS

    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z0-9_<>]+)`", table))
    missing = [m for m in (*OVERALL_METRICS, *ROLE_METRICS) if m not in named
               and not (m.startswith("outcome_") and "outcome_<outcome>" in named)]
    assert not missing, missing


def python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_block_runs(index, monkeypatch, tmp_path):
    """Each ```python block of the README runs as written (short runs: the calls'
    replications and weeks are cut, and a capacity search's list sizes, as the command
    lines' are)."""
    _short_runs(monkeypatch)
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks()[index], f"README python block {index}", "exec"), {})


def test_the_package_s_own_example_runs(monkeypatch, tmp_path):
    """The example in ``help(sim)`` runs as written, with short runs as the README's (it
    used with_changes without importing it)."""
    import textwrap

    import sim

    example = textwrap.dedent(re.search(r"::\n\n(.*?)\n\n", sim.__doc__, re.S).group(1))
    assert "with_changes(" in example
    _short_runs(monkeypatch)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "sim's example", "exec"), {})


def _short_runs(monkeypatch) -> None:
    """``sim.run_replications`` and ``sim.find_capacity`` cut to short runs."""
    from sim.experiment import replications

    real = replications.run_replications

    def short(scenario, replications=10, seed=1, weeks=None, warmup_weeks=None, **rest):
        return real(scenario, 2, seed, weeks=1, warmup_weeks=1, **rest)

    from sim.capacity import find_capacity

    def short_search(scenario, targets=None, **_options):  # as OVERRIDES cut the command's
        return find_capacity(scenario, targets, replications=2, max_replications=2, weeks=1,
                             warmup_weeks=1, resolution=2000)

    import sim

    monkeypatch.setattr(sim, "run_replications", short, raising=False)
    monkeypatch.setattr(sim, "find_capacity", short_search, raising=False)
