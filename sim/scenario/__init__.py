"""Scenario files: schema, loading with inheritance, and validation.

Names are imported on first use: the schema builds its validators when imported (a few
hundred milliseconds), which ``clinicsim --version`` or ``--help`` should not pay, and
``sim.scenario.errors`` stays light for the command line's error handling.
"""
from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS = {
    "scenario_warnings": "sim.scenario.checks",
    "set_path": "sim.scenario.changes",
    "with_changes": "sim.scenario.changes",
    "Problem": "sim.scenario.errors",
    "ScenarioError": "sim.scenario.errors",
    "as_scenario": "sim.scenario.loading",
    "bundled_names": "sim.scenario.loading",
    "load_raw": "sim.scenario.loading",
    "load_scenario": "sim.scenario.loading",
    "models_dir": "sim.scenario.loading",
    "read_yaml_mapping": "sim.scenario.loading",
    "resolve_reference": "sim.scenario.loading",
    "scenario_file": "sim.scenario.loading",
    "scenario_from_dict": "sim.scenario.loading",
    "ACTIVITIES": "sim.scenario.schema",
    "WORK_KINDS": "sim.scenario.schema",
    "Scenario": "sim.scenario.schema",
    "clock_text": "sim.scenario.schema",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
