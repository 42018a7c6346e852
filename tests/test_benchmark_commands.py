"""The command benchmark's ceiling for -j 2: what a machine and a command's serial part
allow, so that a missed speed-up target can be told from a slow split."""
from __future__ import annotations

import pytest

from tests.conftest import experiment_module


@pytest.fixture
def bench(monkeypatch):
    return experiment_module(monkeypatch, "benchmark_commands")


def test_two_real_cores_and_no_serial_part_allow_twice_the_speed(bench):
    assert bench.parallel_ceiling(16.0, 0.0, 1.0) == pytest.approx(2.0)


def test_the_serial_part_and_shared_cores_lower_the_ceiling(bench):
    # 0.8 s only the main process does, and 7 % lost when two processes run at once
    assert bench.parallel_ceiling(16.8, 0.8, 1.07) == pytest.approx(16.8 / (0.8 + 8 * 1.07))
    assert bench.parallel_ceiling(16.8, 0.8, 1.07) < 1.8
    assert bench.parallel_ceiling(16.8, 0.8, 1.25) < bench.parallel_ceiling(16.8, 0.8, 1.07)


def test_the_workload_floor_is_the_runs_cpu_split_over_the_cores(bench):
    assert bench.workload_floor(24.0, 20, 2) == pytest.approx(240.0)
    assert bench.workload_floor(24.0, 20, 1) == pytest.approx(480.0)


def test_what_a_workload_holds_above_its_floor_is_split_into_cpu_and_idle_cores(bench):
    # 17 commands: 66.3 s of wall time, 119.0 s of CPU on 2 cores, runs alone 2 x 58.8 s
    said = bench.above_floor(66.3, 58.8, 119.0, 2, 17)
    assert "119 s of CPU" in said and "(1.01 x the runs' alone)" in said
    assert "59.5 s split over the cores" in said
    assert "6.8 s more, 0.40 s a command" in said
    # where the children's CPU is not counted, only the wall time above the floor
    assert bench.above_floor(66.3, 58.8, float("nan"), 2, 17) == \
        "7.5 s above it, 0.44 s a command"


def test_one_run_of_each_case_is_timed_with_the_installed_engine(bench):
    """CPU time and contacts by case, and bare SimPy's customers a second beside them; the
    contacts are the timed run's own: the same seed and run simulated again directly give
    the same count."""
    from sim import load_scenario
    from sim.engine import CompiledScenario, simulate_run
    from sim.experiment.replications import run_calendar

    each = bench.one_run_each(["case06", "case10"], 1, 0, reference_customers=20_000)
    assert set(each.cpu) == set(each.contacts) == {"case06", "case10"}
    assert all(0.0 < t < 30.0 for t in each.cpu.values())
    assert each.customers_per_s > 1_000  # bare SimPy's M/M/3, timed in the same process
    for name in ("case06", "case10"):
        scenario = load_scenario(name)
        direct = sum(records.arisen for records in simulate_run(
            CompiledScenario(scenario), 1, 0, run_calendar(scenario, 1, 0)))
        assert each.contacts[name] == direct > 100


def test_side_by_side_times_two_copies_of_a_command_against_one(bench):
    import sys

    ratio = bench.side_by_side([sys.executable, "-c", "x = sum(range(200_000))"], 1)
    assert 0.3 < ratio < 10.0
    with pytest.raises(SystemExit):
        bench.side_by_side([sys.executable, "-c", "raise SystemExit(3)"], 1)


def test_a_commands_cpu_time_counts_the_workers_it_waited_for(bench):
    """[1] reports -j 2's CPU time against -j 1's: a command's own and its workers'."""
    import sys

    burn = "x = sum(range(4_000_000))"
    alone = bench.run_timed([sys.executable, "-c", burn])
    nested = bench.run_timed([sys.executable, "-c", "import subprocess, sys; "
                              f"subprocess.run([sys.executable, '-c', {burn!r}], check=True)"])
    assert alone.cpu > 0.02
    assert nested.cpu >= 0.9 * alone.cpu  # the burning child's CPU, not the parent's alone


def test_small_runs_are_read_as_pairs_of_minus_j_2_over_minus_j_1(bench):
    """[1]'s small runs: each pair's -j 2 time over its -j 1 time, the two in turn."""
    import sys

    sleeps = "import sys, time; time.sleep(0.05 if sys.argv[-1] == '1' else 0.15)"
    ones, twos = bench.taking_turns([sys.executable, "-c", sleeps], 2)
    ratios = bench.ratios_by_pair(ones, twos)
    assert len(ratios) == len(ones) == len(twos) == 2 and ratios == sorted(ratios)
    assert all(1.5 < r < 4.0 for r in ratios)  # -j 2 sleeps three times as long


def test_a_figure_on_its_target_line_is_printed_to_the_digit_that_tells_the_side(monkeypatch):
    """A value that rounds to its target at its digits gets more, so that "1.100  NOT met"
    cannot be printed for 1.1004 against 1.1; other values keep their digits."""
    figures = experiment_module(monkeypatch, "bench_figures")

    def figure(value, op="<=", target=1.1, digits=3):
        return figures.Figure(4, "ratio", value, "x", op, target, "how", digits=digits)

    assert figure(1.1004).value_text() == "1.1004" and figure(1.1004).verdict == "NOT met"
    assert figure(1.09996).value_text() == "1.09996" and figure(1.09996).verdict == "met"
    assert figure(1.1).value_text() == "1.100" and figure(1.1).verdict == "met"
    assert figure(1.116).value_text() == "1.116"
    assert figure(1.1 + 1e-12).value_text() == "1.100000"  # at most MOST_DIGITS
    assert figure(60.04, target=60, digits=1).value_text() == "60.04"


def test_the_imports_minus_j_2_shares_with_its_runs_are_timed_after_the_command_s_own(bench):
    """[1]'s serial part leaves out the tables' and reports' imports, which a command on
    -j 2 makes while its worker simulates: timed in a process that has made the imports
    the command has by then, so they are not counted twice."""
    seconds = bench.shared_imports_s("default", 1)
    assert 0.0 < seconds < 30.0
    with pytest.raises(SystemExit):
        bench.shared_imports_s("no-such-scenario", 1)


def test_the_small_runs_median_interval_is_the_sign_test_s(bench):
    """[1]'s small runs count as slower on -j 2 where the interval of the pairs' median
    lies above 1: two order statistics, chosen by the binomial coverage they give."""
    eight = [0.91, 0.95, 0.98, 1.00, 1.03, 1.05, 1.07, 1.08]
    low, high, level = bench.median_interval(eight, 0.9)
    assert (low, high) == (0.95, 1.07) and level == pytest.approx(1 - 2 * 9 / 256)
    # a stricter level widens it to the extremes; too few pairs give those, honestly labelled
    assert bench.median_interval(eight, 0.95)[:2] == (0.91, 1.08)
    assert bench.median_interval([0.98, 1.04], 0.9) == (0.98, 1.04, pytest.approx(0.5))
    # all pairs above 1: the lower end says -j 2 is slower
    assert bench.median_interval([1.02, 1.03, 1.05, 1.06, 1.07, 1.08, 1.09, 1.10], 0.9)[0] > 1
    with pytest.raises(ValueError):
        bench.median_interval([], 0.9)
