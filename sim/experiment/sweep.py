"""A sweep: every design point x replication, batched into tasks, written as they finish.

Replication r of every point uses the same random streams (common random numbers), and
a task's results depend only on its point and replications, never on the worker, the
backend or the order tasks finish in. With a stopping rule, points whose confidence
intervals are still too wide get another task's worth of replications per round, and the
baseline is given every replication any point is given, so each point's paired difference
covers all of its runs; the decisions depend only on finished results, so a resumed sweep
makes the same decisions.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.metrics import overall as overall_rows
from sim.experiment.backends import backend_problem, make_backend
from sim.experiment.design import LoadedExperiment
from sim.experiment.replications import metrics_block
from sim.experiment.stats import summarise_parts
from sim.experiment.errors import SweepError, SweepInterrupted
from sim.experiment.store import OUTSIDE, ResultStore, part_name, part_span
from sim.outputs import OutputError
from sim.progress import counting_bar


@dataclass(frozen=True)
class Task:
    point: int
    start: int
    stop: int
    args: tuple

    @property
    def name(self) -> str:
        return part_name(self.point, self.start, self.stop)


def _tasks(experiment: LoadedExperiment, target: dict[int, int], done: set[str]) -> list[Task]:
    """The tasks that bring each point to its ``target`` runs: its finished parts in order
    from run 0, then tasks of the task size from where they end. A later round of a
    stopping rule so starts where the last one stopped (after parts r0-2, r2-4, r4-5 of 5
    runs, 7 runs add r5-7), rather than on the task size's steps, where r4-6 ran run 4 a
    second time and the results held its rows twice. The same finished parts give the same
    tasks, so a resumed sweep lays its parts out as the sweep it finishes."""
    size = experiment.task_size
    finished: dict[tuple[int, int], list[int]] = {}
    for name in done:
        span = part_span(name)
        if span is not None:
            finished.setdefault(span[:2], []).append(span[2])
    tasks = []
    for p in experiment.points:
        start, end = 0, target[p.index]
        while start < end:
            ends = [stop for stop in finished.get((p.index, start), []) if stop <= end]
            if ends:  # a finished part from here: go on from its end
                start = max(ends)
                continue
            stop = min(start + size, end)
            tasks.append(Task(p.index, start, stop,
                              (p.scenario, experiment.spec.seed, p.index, start, stop,
                               experiment.spec.weeks, experiment.spec.warmup_weeks)))
            start = stop
    # replication-major order: blocks finish together across points, for paired statistics
    return sorted(tasks, key=lambda t: (t.start, t.point))


def precision_misses(summary: pd.DataFrame, point: int,
                     half_widths: dict[str, float]) -> dict[str, float]:
    """The stopping rule's metrics whose CI half-width at ``point`` is still above its
    goal, with that half-width (NaN: too few runs for an interval yet). The half-width is
    the interval's longer side from the mean: on the log or logit scale an interval is
    not symmetric, and a goal of ±0.4 is met only when both sides are within 0.4."""
    overall = overall_rows(summary)
    rows = overall[overall["point"] == point].set_index("metric")
    misses = {}
    for metric, goal in half_widths.items():
        if metric in rows.index:
            r = rows.loc[metric]
            half = float(max(r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]))
            if not half <= goal:  # NaN (too few replications) also asks for more
                misses[metric] = half
    return misses


def _needs_more(experiment: LoadedExperiment, summary: pd.DataFrame,
                target: dict[int, int]) -> list[int]:
    rule = experiment.spec.stopping
    return [p.index for p in experiment.points if target[p.index] < rule.max_replications
            and precision_misses(summary, p.index, rule.half_widths)]


def _with_baseline(target: dict[int, int], baseline: int) -> dict[int, int]:
    """``target`` with the baseline given as many runs as any point: a difference is
    paired over the runs both points have, so a baseline with fewer runs would leave a
    point's later runs out of its difference while its mean counts them. The baseline's
    extra runs are the same replications (the same patients) as the point's."""
    return {**target, baseline: max(target.values())}


def _first_targets(experiment: LoadedExperiment, done: set[str]) -> dict[int, int]:
    """Each point's runs at the first round: the experiment's replications or, with a
    stopping rule, as many as the point's finished parts reach (on the rule's steps of a
    task's size), so a resumed sweep judges each point at the same numbers of runs as the
    sweep it finishes. Judged below them, a point whose goal its finished runs meet would
    keep the baseline from the runs the interrupted sweep had given it too."""
    spec = experiment.spec
    target = {p.index: spec.replications for p in experiment.points}
    if spec.stopping is None:
        return target
    size, most = experiment.task_size, spec.stopping.max_replications
    for name in done:
        span = part_span(name)
        if span is None or span[0] not in target or span[2] <= target[span[0]]:
            continue
        steps = -(-(span[2] - spec.replications) // size)
        target[span[0]] = min(most, spec.replications + steps * size)
    return target


def run_sweep(experiment: LoadedExperiment, out: str | Path, jobs: int = 1,
              backend: str = "loky", scheduler: str | None = None, resume: bool = False,
              progress: bool = True, provenance: dict | None = None) -> pd.DataFrame:
    """Run (or finish) a sweep into ``out`` and return its summary table.

    Every option is checked before anything is written; parts found damaged at resume
    are named on stderr and run again. ``provenance`` (version, command, files and their
    hashes; :func:`sim.provenance.sweep_provenance`) goes into a new sweep's manifest."""
    problem = backend_problem(backend, scheduler)
    if problem:
        raise SweepError(problem)
    # The backend first: a Dask scheduler that cannot be reached must leave no folder
    # behind for the corrected command to refuse.
    with make_backend(backend, jobs, scheduler) as runner:
        return _sweep_into(experiment, out, runner, resume, progress, provenance)


def _sweep_into(experiment: LoadedExperiment, out: str | Path, runner: Any, resume: bool,
                progress: bool, provenance: dict | None) -> pd.DataFrame:
    store = ResultStore(out)
    store.open(experiment, resume, provenance)
    if store.damaged:
        print(damaged_message(store.damaged, store.results), file=sys.stderr)
    baseline = experiment.baseline.index
    try:
        try:
            _run_rounds(experiment, store, runner, progress)
            summary = summarise_parts(store, baseline)
            names = {p.index: p.name for p in experiment.points}
            summary.insert(1, "name", summary["point"].map(names))
            store.write_summary(summary)
        except KeyboardInterrupt:
            raise SweepInterrupted(
                f"interrupted; {len(store.completed())} finished tasks are saved in {out}. "
                "Run the same command with --resume to finish the sweep.") from None
        except OutputError as err:
            raise err.with_hint(
                f"{len(store.completed())} finished tasks are saved in {out}; free some "
                "space and run the same command with --resume") from None
        return summary
    finally:
        store.close()


def damaged_message(damaged: dict[str, str], folder: Path) -> str:
    """Which result parts were damaged, and why, for stderr."""
    lines = [f"clinicsim: {len(damaged)} damaged result part(s) in {folder} deleted:"]
    lines += [f"  - {name}: {why}" + ("" if why.endswith(OUTSIDE) else "; run again")
              for name, why in sorted(damaged.items())]
    return "\n".join(lines)


def _run_rounds(experiment: LoadedExperiment, store: ResultStore, runner: Any,
                progress: bool) -> None:
    """Run the missing tasks; with a stopping rule, add rounds until the CIs are tight."""
    spec = experiment.spec
    baseline = experiment.baseline.index
    target = _first_targets(experiment, store.completed())
    with counting_bar(total=0, unit="task", disable=not progress, desc=spec.name[:40]) as bar:
        while True:
            target = _with_baseline(target, baseline)
            tasks = _tasks(experiment, target, store.completed())
            bar.total += len(tasks)
            bar.refresh()
            for task, rows in runner.run(metrics_block, tasks):
                store.write_part(task.name, rows)
                bar.update(1)
            if spec.stopping is None:
                return
            summary = summarise_parts(store, baseline)
            more = _needs_more(experiment, summary, target)
            if not more:
                return
            for index in more:
                target[index] = min(spec.stopping.max_replications,
                                    target[index] + experiment.task_size)
