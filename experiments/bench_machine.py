"""What the benchmark scripts print about the machine and software they ran on.

Every benchmark prints the same header (command line, versions, machine, load average) so
that a figure pasted into the README can be traced to the run that produced it, and a
noisy run (a high load average at start or end) shows as such.
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Seconds to wait for ``git`` before reporting the revision as unknown.
GIT_TIMEOUT_S = 10


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cache_sizes() -> str:
    """The first CPU's caches by level, as the kernel lists them (e.g. "L1d 48K, L2 2048K,
    L3 491520K"): [4]'s cost per contact turns on whether a day's objects fit in a core's
    cache, so a figure read on one machine is traced to the caches it had."""
    caches = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size = ((index / name).read_text(encoding="utf-8").strip()
                                 for name in ("level", "type", "size"))
        except OSError:
            continue
        if kind != "Instruction":
            caches.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(caches) or "caches unknown"


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask), which caps ``--jobs``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def git_revision() -> str:
    """Short commit of the checkout, flagged when ``sim/`` has uncommitted changes (the
    figures would then belong to no commit)."""
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=GIT_TIMEOUT_S).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "sim"],
                               capture_output=True, text=True,
                               timeout=GIT_TIMEOUT_S).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not rev:
        return "unknown"
    return rev + (" (sim/ has uncommitted changes)" if dirty else "")


def versions() -> str:
    """Versions of everything the figures depend on: Python and the libraries the engine
    and the metrics run on."""
    import numpy
    import pandas
    import simpy

    import sim

    return (f"python {platform.python_version()}, simpy {simpy.__version__}, "
            f"numpy {numpy.__version__}, pandas {pandas.__version__}, "
            f"clinicsim {sim.__version__} @ {git_revision()}, {sim.engine_build()} engine "
            f"from {Path(sim.__file__).parent}")


def command_line() -> str:
    """The command that produced this output, as it could be typed again."""
    script = os.path.relpath(sys.argv[0], os.getcwd())
    return f"python {shlex.join([script] + sys.argv[1:])}   (cwd {os.getcwd()})"


def print_header(title: str, mode: str) -> None:
    """The header every benchmark prints first: what ran, on what, under what load."""
    print(f"# {title}")
    print(f"command:   {command_line()}")
    print(f"versions:  {versions()}")
    print(f"python:    {sys.executable}")
    print(f"platform:  {platform.platform()}")
    print(f"machine:   {cpu_model()}; {os.cpu_count()} logical CPUs, {available_cpus()} "
          f"available to this process; caches {cache_sizes()}")
    print(f"load avg:  {load_average()} (1, 5, 15 min) at start")
    print(f"mode:      {mode}")
    print(flush=True)
