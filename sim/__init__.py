"""clinicsim: a discrete-event simulation of a Danish general practice over weeks.

Data flows one way: scenario file -> :mod:`sim.scenario` -> :mod:`sim.engine` ->
compact records -> :mod:`sim.metrics` tables -> summaries, plots and reports.

The public API for notebooks and scripts::

    from sim import load_scenario, overall, run_replications, with_changes
    scenario = load_scenario("default")
    results = run_replications(scenario, replications=10, weeks=8, seed=1)
    overall(results.summary())   # the practice as a whole: no role, activity or weekday
    more = with_changes(scenario, {"staff.nurse.count": 4}, name="One more nurse")

Names are imported on first use, so the command line starts quickly.
"""
from __future__ import annotations

from sim._lazy import lazy_exports

__version__ = "0.1.0"


def engine_build() -> str:
    """``"compiled"`` where the engine's modules are mypyc extensions (a standard install
    on a machine with a C compiler, README "The compiled engine"), else
    ``"interpreted"``. Runs are the same either way; saved results and ``--version`` say
    which ran. Read from the files beside this
    one, so that nothing is imported: Python loads an extension module before a source
    file of the same name."""
    from importlib.machinery import EXTENSION_SUFFIXES
    from pathlib import Path

    engine = Path(__file__).parent / "engine"
    return "compiled" if any((engine / f"run{s}").exists() for s in EXTENSION_SUFFIXES) \
        else "interpreted"

_EXPORTS = {
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "scenario_from_dict": "sim.scenario",
    "scenario_warnings": "sim.scenario",
    "with_changes": "sim.scenario",
    "simulate_day": "sim.engine",
    "run_replications": "sim.experiment",
    "ReplicationResults": "sim.experiment",
    "find_capacity": "sim.capacity",
    "summarise": "sim.metrics",
    "overall": "sim.metrics",
    "whole_week": "sim.metrics",
}
__all__ = sorted(_EXPORTS)
#: Modules for notebooks and scripts (the README's): ``sim.plots`` works after ``import
#: sim``, importing the module (and matplotlib) only then.
SUBMODULES = ("calibration", "capacity", "experiment", "html_report", "plots")


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, SUBMODULES,
                                    defined=("__version__", "engine_build"))
