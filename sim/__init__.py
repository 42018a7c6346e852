"""clinicsim: a discrete-event simulation of one day in a Danish general practice.

Data flows one way: scenario file -> :mod:`sim.scenario` -> :mod:`sim.engine` ->
compact records -> :mod:`sim.metrics` tables -> summaries, plots and reports.

The public API for notebooks and scripts::

    from sim import load_scenario, run_replications, summarise
    scenario = load_scenario("default")
    results = run_replications(scenario, replications=20, seed=1)
    summarise(results)
"""
from sim.scenario import ScenarioError, load_scenario, scenario_from_dict
from sim.engine import simulate_day
from sim.experiment import ReplicationResults, run_replications
from sim.metrics import summarise

__all__ = [
    "ScenarioError",
    "load_scenario",
    "scenario_from_dict",
    "simulate_day",
    "run_replications",
    "ReplicationResults",
    "summarise",
]
__version__ = "0.1.0"
