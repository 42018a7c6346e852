"""Every bundled case file against its fact box (seed 003), and every case runs."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim.engine import CompiledScenario, RunCalendar, simulate_run
from sim.cases import case_file, catalogue, fact_boxes
from sim.cli import main
from sim.metrics import check_conservation
from sim.scenario import load_scenario

FACTS = fact_boxes().set_index("case")
CASES = list(FACTS.index)


def test_all_seventeen_cases_have_a_file():
    assert CASES == list(range(1, 18))
    assert all(case_file(c) is not None for c in CASES)
    assert catalogue()["file"].str.len().gt(0).all()


@pytest.mark.parametrize("case", CASES)
def test_case_matches_its_fact_box(case):
    s = load_scenario(f"case{case:02d}")
    fact = FACTS.loc[case]
    assert s.practice.case == case
    assert s.population.list_size == fact.patients
    base = load_scenario("default").population
    for field, column in (("share_70plus", "share_70plus_pct"), ("share_morbid",
                                                                  "share_morbid_pct")):
        expected = getattr(base, field) if pd.isna(fact[column]) else fact[column] / 100
        assert getattr(s.population, field) == pytest.approx(expected), field
    if isinstance(fact.delegation, str):
        allowed = fact.delegation.split("-")  # "low-medium": either reading
        assert s.delegation.degree in allowed
    assert s.practice.capacities == fact.capacities
    assert s.practice.doctors == str(fact.doctors_excl_trainees)
    if not pd.isna(fact.practice_staff):
        assert s.practice.practice_staff == pytest.approx(fact.practice_staff)
    # the typical weekday has at least one doctor and no more than the headcount
    headcount = max(int(n) for n in re.findall(r"\d+", str(fact.doctors_excl_trainees)))
    present = sum(p.count for p in s.staff.values()
                  if s.roles[p.role].doctor and not s.roles[p.role].in_training)
    assert 1 <= present <= headcount


@pytest.mark.parametrize("case", CASES)
def test_case_runs_a_week(case):
    s = load_scenario(f"case{case:02d}")
    model = CompiledScenario(s)
    run = list(simulate_run(model, 1, 0, RunCalendar(s.calendar, weeks=1, warmup_weeks=0)))
    check_conservation(run)
    assert all(records.arisen > 0 for records in run)
    assert not math.isnan(run[0].staff[0][6])


def test_cases_command_lists_every_case(capsys):
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    assert all(f"case{c:02d}" in out for c in CASES)
    assert "(missing)" not in out


def test_run_accepts_a_case_shorthand(capsys):
    assert main(["run", "case08", "-r", "2", "--json"]) == 0
    assert '"metric": "calls_offered"' in capsys.readouterr().out
