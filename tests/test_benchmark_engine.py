"""The engine benchmark's event count: each event the day's loop processes, once."""
from __future__ import annotations

import pytest

from sim import load_scenario
from sim.engine import CompiledScenario
from sim.engine.environment import DayEnvironment

from tests.conftest import experiment_module


@pytest.fixture
def benchmark_engine(monkeypatch):
    return experiment_module(monkeypatch, "benchmark_engine")


def test_counting_pass_counts_each_processed_event(benchmark_engine):
    env = DayEnvironment()
    for delay in (3.0, 1.0, 2.0):
        env.sleep(delay)
    env.call_at(5.0, lambda _event: None)
    with benchmark_engine.counting_steps() as counter:
        env.run()
    assert counter.steps == 4


def test_counting_pass_counts_a_run_of_days(benchmark_engine):
    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    calendar = benchmark_engine.engine_calendar(scenario, 1)
    with benchmark_engine.counting_steps() as counter:
        contacts = benchmark_engine.run_days(model, 1, 1, calendar)
    assert contacts > 0 and counter.steps > 2 * contacts  # several events a contact
