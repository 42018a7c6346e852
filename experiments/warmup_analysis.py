"""How long runs must warm up: MSER-5 on the backlog of the default practice and every case.

    python experiments/warmup_analysis.py            # 5 runs of 20 weeks each (a few minutes)
    python experiments/warmup_analysis.py --quick    # 3 runs of 12 weeks

Each scenario runs from an empty appointment book with no warm-up; the mean over runs of
the day-by-day backlog (appointments booked ahead at each day's close) and of the GP TNAA
goes through MSER-5 (:mod:`sim.experiment.warmup`). The truncation point, in working days
and weeks, is printed next to the scenario's own warm-up, and whether that covers it.
docs/validation.md ("Warm-up") quotes the table.
"""
from __future__ import annotations

import argparse
import math
import sys

from sim import load_scenario, run_replications
from sim.experiment.warmup import warmup_days

SCENARIOS = ["default", *(f"case{c:02d}" for c in range(1, 18))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = parser.parse_args()
    runs, weeks = (3, 12) if args.quick else (5, 20)
    print(f"MSER-5 truncation, {runs} runs of {weeks} weeks from an empty book, seed 1")
    print(f"{'scenario':<10}{'backlog (days)':>16}{'GP TNAA (days)':>16}{'weeks':>7}"
          f"{'warm-up':>9}  covered")
    for name in SCENARIOS:
        scenario = load_scenario(name)
        days = run_replications(scenario, runs, 1, weeks=weeks, warmup_weeks=0).days
        backlog = warmup_days(days, "backlog_planned")
        tnaa = warmup_days(days, "tnaa_days")
        per_week = len(scenario.calendar.weekdays)
        need = math.ceil(max(backlog, tnaa) / per_week)
        have = scenario.calendar.warmup_weeks
        print(f"{name:<10}{backlog:>16}{tnaa:>16}{need:>7}{have:>9}  "
              f"{'yes' if need <= have else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
