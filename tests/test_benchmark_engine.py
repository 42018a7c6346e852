"""The engine benchmark's event count: each event the day's loop processes, once."""
from __future__ import annotations

import pytest

from sim import engine_build, load_scenario
from sim.engine import CompiledScenario
from sim.engine.environment import DayEnvironment

from tests.conftest import experiment_module


@pytest.fixture
def benchmark_engine(monkeypatch):
    return experiment_module(monkeypatch, "benchmark_engine")


#: The counting pass patches the interpreted engine's loop; a compiled one calls past any
#: patch, and the benchmark counts its events on the sources in a child (count_events).
INTERPRETED_ONLY = pytest.mark.skipif(engine_build() == "compiled", reason="the counting "
                                      "pass counts the interpreted engine's events")


@INTERPRETED_ONLY
def test_counting_pass_counts_each_processed_event(benchmark_engine):
    env = DayEnvironment()
    for delay in (3.0, 1.0, 2.0):
        env.timeout(delay)
    env.call_at(5.0, lambda: None)
    with benchmark_engine.counting_steps() as counter:
        env.run()
    assert counter.steps == 4


@INTERPRETED_ONLY
def test_counting_pass_counts_a_run_of_days(benchmark_engine):
    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    calendar = benchmark_engine.engine_calendar(scenario, 1)
    with benchmark_engine.counting_steps() as counter:
        contacts = benchmark_engine.run_days(model, 1, 1, calendar)
    assert contacts > 0 and counter.steps > 2 * contacts  # several events a contact


def test_run_days_marks_each_runs_first_day(benchmark_engine):
    """[4]'s later days leave out exactly each run's first day (which sets the run up)."""
    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    calendar = benchmark_engine.engine_calendar(scenario, 1)
    times: list[float] = []
    days: list[tuple[bool, int]] = []
    contacts = benchmark_engine.run_days(model, 1, 3, calendar, per_day=times,
                                         day_contacts=days)
    per_run = calendar.total_days
    assert len(days) == len(times) == 3 * per_run
    assert [first for first, _arisen in days] == ([True] + [False] * (per_run - 1)) * 3
    assert sum(arisen for _first, arisen in days) == contacts


def test_scaled_practice_keeps_patients_per_person(benchmark_engine):
    """[4] compares list sizes with the staff in proportion: the same patients per person at
    every size (the default's 9 people for 6,000 patients: 3 for 2,000, 120 for 80,000)."""
    base = load_scenario("default")
    for list_size, people in ((2_000, 3), (6_000, 9), (20_000, 30), (80_000, 120)):
        scaled = benchmark_engine.scaled_scenario(base, list_size)
        assert scaled.population.list_size == list_size
        assert benchmark_engine.staff_count(scaled) == people
    with pytest.raises(ValueError, match="no one is left"):
        benchmark_engine.scaled_scenario(base, 100)


def test_best_steps_takes_each_steps_best_pass(benchmark_engine):
    # a slow spell hits day 2 in the first pass and day 1 in the second: neither counts
    passes = [[1.0, 9.0, 3.0], [8.0, 2.0, 3.5]]
    assert benchmark_engine.best_steps(passes) == pytest.approx(6.0)


def test_paired_ratios_read_each_pass_against_the_reference_pass_before_it(benchmark_engine):
    """[5] holds each pass of the case against the reference's pass just before it, so a
    slow spell that hits a pair hits both sides of its ratio."""
    ref = {"events": 600, "customers": 100}
    # (reference seconds, engine seconds): the second pair ran at half speed throughout
    engine = {"events": 360, "contacts": 90, "pairs": [(1.0, 1.0), (2.0, 2.0), (1.0, 1.2)]}
    ratios = benchmark_engine.paired_ratios(engine, ref)
    assert ratios["events"] == pytest.approx([0.5, 0.6, 0.6])
    assert ratios["contacts"] == pytest.approx([0.75, 0.9, 0.9])


def test_timed_run_is_run_ones_run(benchmark_engine):
    """[3] times run_one's loop step by step: it must make what run_one makes."""
    from sim.experiment.replications import run_one

    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    calendar = benchmark_engine.engine_calendar(scenario, 1)
    times: list[float] = []
    rows, staff, days = benchmark_engine.run_timed(model, 1, 2, calendar, True, True, times)
    out = run_one(model, 1, 2, calendar, keep_days=True)
    assert (rows, staff, days) == (out.rows, out.staff, out.days)
    assert len(times) == calendar.total_days + 3  # set-up, each day, the end, the rows
    engine_times: list[float] = []
    assert benchmark_engine.run_timed(model, 1, 2, calendar, False, False, engine_times) is None
    assert len(engine_times) == calendar.total_days + 2


def test_timing_the_metric_code_leaves_run_one_as_it_was(benchmark_engine):
    from sim.experiment import replications
    from sim.experiment.replications import run_one

    scenario = load_scenario("default")
    model = CompiledScenario(scenario)
    calendar = benchmark_engine.engine_calendar(scenario, 1)
    plain = run_one(model, 1, 0, calendar, keep_days=False)
    originals = replications.RunMetrics, replications.StaffTime
    with benchmark_engine.timing_metric_code() as spent:
        timed = run_one(model, 1, 0, calendar, keep_days=False)
    assert (replications.RunMetrics, replications.StaffTime) == originals
    assert (timed.rows, timed.staff) == (plain.rows, plain.staff)
    assert spent[0] > 0.0


def test_a_days_memory_grows_with_the_practice(benchmark_engine):
    """[4]'s day's memory is the day's own: a practice ten times the size (its staff in
    proportion) makes several times the objects a day."""
    base = load_scenario("default")
    sizes = {}
    for list_size in (2_000, 20_000):
        scenario = benchmark_engine.scaled_scenario(base, list_size)
        calendar = benchmark_engine.engine_calendar(scenario, 3)
        sizes[list_size] = benchmark_engine.day_memory(CompiledScenario(scenario), 1, calendar)
    assert 0 < sizes[2_000] and 4 * sizes[2_000] < sizes[20_000]


def test_memory_control_times_each_day_size(benchmark_engine, monkeypatch):
    monkeypatch.setattr(benchmark_engine, "CONTROL_ITEMS", 2_000)
    per_item = benchmark_engine.memory_control([10, 1_000], repeats=2)
    assert len(per_item) == 2 and all(0 < t < 1e-3 for t in per_item)


def test_kept_days_takes_the_marked_days_best_times_and_contacts(benchmark_engine):
    passes = [[1.0, 2.0, 3.0], [2.0, 1.0, 4.0]]
    day_contacts = [(True, 5), (False, 7), (False, 9)]
    cpu, contacts = benchmark_engine.kept_days(passes, day_contacts, [False, True, True])
    assert (cpu, contacts) == (1.0 + 3.0, 7 + 9)
