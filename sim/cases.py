"""The catalogue of bundled practice cases (seed 003's 17 deep dives).

The facts come from ``models/cases/fact_boxes.csv``; each case's scenario file is
``models/cases/caseNN_<slug>.yaml``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.scenario.loading import models_dir

FACT_COLUMNS = ["case", "name_da", "practice_form", "patients", "doctors_excl_trainees",
                "practice_staff", "delegation", "region"]


def fact_boxes() -> pd.DataFrame:
    """The fact boxes of the 17 cases as published (English column names)."""
    return pd.read_csv(models_dir() / "cases" / "fact_boxes.csv", dtype={"case": int})


def case_file(case: int) -> Path | None:
    matches = sorted((models_dir() / "cases").glob(f"case{case:02d}_*.yaml"))
    return matches[0] if matches else None


def catalogue() -> pd.DataFrame:
    """Key facts of each case and the path of its scenario file; ``scenario_delegation``
    is the degree the file sets (where a fact box gives none, case 7's, the file takes it
    from the narrative)."""
    table = fact_boxes()[FACT_COLUMNS].copy()
    table.insert(0, "name", [f"case{c:02d}" for c in table["case"]])
    files = [case_file(c) for c in table["case"]]
    table["file"] = [str(f or "") for f in files]
    table["scenario_delegation"] = [_degree(f) for f in files]
    return table


def _degree(path: Path | None) -> str | None:
    """The delegation degree a case file sets itself (None: not set there, or no file)."""
    from sim.scenario.loading import read_yaml_mapping

    if path is None:
        return None
    delegation = read_yaml_mapping(path).get("delegation")
    return delegation.get("degree") if isinstance(delegation, dict) else None
