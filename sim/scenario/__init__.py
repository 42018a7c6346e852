"""Scenario files: schema, loading with inheritance, and validation."""
from sim.scenario.checks import scenario_warnings
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loading import (
    bundled_names,
    load_raw,
    load_scenario,
    models_dir,
    read_yaml_mapping,
    resolve_reference,
    scenario_file,
    scenario_from_dict,
)
from sim.scenario.schema import ACTIVITIES, WORK_KINDS, Scenario, clock_text

__all__ = [
    "ACTIVITIES",
    "WORK_KINDS",
    "Problem",
    "Scenario",
    "ScenarioError",
    "bundled_names",
    "clock_text",
    "load_raw",
    "load_scenario",
    "models_dir",
    "read_yaml_mapping",
    "resolve_reference",
    "scenario_file",
    "scenario_from_dict",
    "scenario_warnings",
]
