"""Service targets: what a practice must meet at a list size (``acute_same_day_rate >=
0.95``), read from the command line, an experiment file or ``models/defaults/targets.yaml``,
and judged on a metric's mean and confidence interval. The capacity search and the
frontier judge list sizes by them; an experiment file's targets are checked with it when
the file is loaded."""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

from sim.labels import metric_bounds, metric_info
from sim.metrics import OVERALL_METRICS, practice_metric_expected
from sim.scenario.errors import Problem, ScenarioError

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
                     r"\s*$")
_OPS = {">=": operator.ge, "<=": operator.le}
#: Metrics that sit at their target in a steady state (a stable backlog's trend is zero
#: give or take noise, so its interval always straddles 0): such a target is met unless
#: the whole interval is on the bad side, i.e. unless it is confidently missed, and that
#: is judged on all the runs a list size may get, never on the first ones alone. A
#: search that stopped at the first look where a steady trend's interval happened to lie
#: above 0 would reject sizes whose book is stable: at zero trend each look has a 2.5 %
#: chance of it, and common random numbers give every size and staffing the same first
#: runs, so one unlucky set of runs would bind them all at once.
STEADY_STATE = ("backlog_trend_per_week", "carried_trend_per_week")


@dataclass(frozen=True)
class Target:
    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def words(self) -> str:
        """The target as a consultant reads it, in the figure's own name and unit (the
        summary's): ``abandonment_rate <= 0.15`` is "Calls abandoned (share) at most 15 %"."""
        return f"{self.label()} {self._bound()}"

    def label(self) -> str:
        """The figure's name, as the summary gives it ("Backlog trend")."""
        from sim.labels import metric_info

        return metric_info(self.metric)[0]

    def against(self, mean: float, low: float, high: float) -> str:
        """A measured figure against the target, in the figure's name and unit: "Calls
        abandoned (share) 23.1 % [20.4, 25.8] against at most 15 % (abandonment_rate <=
        0.15)"."""
        scale, unit = self._scale_unit()
        return (f"{self.label()} {mean * scale:.4g}{unit} [{low * scale:.4g}, "
                f"{high * scale:.4g}] against {self._bound()} ({self})")

    def _scale_unit(self) -> tuple[float, str]:
        """How the summary scales the figure, and its unit with a leading space ('' if
        none)."""
        _label, unit, scale, _better = metric_info(self.metric)
        return scale, f" {unit}" if unit else ""

    def _bound(self) -> str:
        """"at most 15 %": the target's value in the figure's scale and unit."""
        scale, unit = self._scale_unit()
        return f"{'at most' if self.op == '<=' else 'at least'} {self.value * scale:g}{unit}"

    def status(self, mean: float, low: float, high: float, final: bool = True) -> str:
        """``met``, ``violated`` or ``unclear`` for a mean and its confidence interval (a
        steady-state metric is met unless confidently missed, and missed only on the
        ``final`` look, with every run: see ``STEADY_STATE``)."""
        if math.isnan(mean):
            return "unclear"
        steady = self.metric in STEADY_STATE
        good, bad = (low, high) if self.op == ">=" else (high, low)
        if not math.isnan(good) and _OPS[self.op](good, self.value):
            return "met"
        if not math.isnan(bad) and not _OPS[self.op](bad, self.value):
            return "violated" if final or not steady else "unclear"
        return "met" if steady and not math.isnan(bad) else "unclear"

    def margin(self, mean: float) -> float:
        """How far the mean is on the good side, relative to the target (negative: bad)."""
        scale = abs(self.value) or 1.0
        return (mean - self.value) / scale if self.op == ">=" else (self.value - mean) / scale


def default_targets() -> list[Target]:
    """The targets of ``models/defaults/targets.yaml``: served week after week, for every
    caller (abandonment), the backlog and the wait for a routine appointment included."""
    from sim.scenario.loading import models_dir, read_yaml_mapping

    path = models_dir() / "defaults" / "targets.yaml"
    data = read_yaml_mapping(path)
    return [parse_target(text, f"{path}: targets[{i}]")
            for i, text in enumerate(data.get("targets") or [])]


#: A target written nearly right: a name, some comparison, some value.
_LOOSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*([<>=≤≥!]+)\s*(\S+)\s*$")
#: Comparisons a target might be written with, and the bound each one means.
_OTHER_OPS = {"<": "<=", "=<": "<=", "≤": "<=", ">": ">=", "=>": ">=", "≥": ">="}


def _how_to_write(text: str) -> str:
    """How to write a target that is nearly right ('' if it is not): a comparison other
    than <= and >= (a target is a bound, held at its value), a share in per cent, a
    decimal comma."""
    loose = _LOOSE.match(text)
    if not loose:
        return ""
    metric, op, value = loose.groups()
    op = _OTHER_OPS.get(op, op)
    if op not in _OPS:
        return f"a target is a bound: {metric} <= VALUE or {metric} >= VALUE"
    number = value.rstrip("%").strip()
    if re.fullmatch(r"[-+]?\d+,\d+", number):  # a decimal comma
        number = number.replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(?:\.\d*)?", number):
        return ""
    if value.endswith("%"):
        share = f"{float(number) / 100:g}"
        return (f"a share is written as a fraction: {metric} {op} {share}"
                if metric_bounds(metric) == "share" else
                f"{metric} is not a share: write its value in its own unit, without %")
    return f"write {metric} {op} {number}"


def parse_target(text: str, source: str = "--target") -> Target:
    match = _TARGET.match(text)
    if not match:
        hint = _how_to_write(text)
        raise ScenarioError([Problem(source, (), "a target written METRIC >= VALUE or "
                                     "METRIC <= VALUE, e.g. 'phone_wait_p90_min <= 10'"
                                     + (f" ({hint})" if hint else ""), repr(text))])
    metric, op, value = match.group(1), match.group(2), float(match.group(3))
    if metric not in OVERALL_METRICS:
        raise ScenarioError([Problem(source, (), practice_metric_expected(metric),
                                     repr(metric))])
    if not math.isfinite(value):
        raise ScenarioError([Problem(source, (), "a finite number", repr(text))])
    outside = _outside_range(metric, value)
    if outside:
        raise ScenarioError([Problem(source, (), outside, repr(text))])
    return Target(metric, op, value)


def _outside_range(metric: str, value: float) -> str | None:
    """Why a target's value lies outside where ``metric`` can be (None if it does not).
    Such a target always holds or never does, so a search would run to its largest list or
    its smallest and report that as the capacity: a typo (2 for 2 %), not a wish."""
    bounds = metric_bounds(metric)
    if bounds == "share" and not 0.0 <= value <= 1.0:
        return (f"a value from 0 to 1: {metric} is a share (0.15 for 15 %), so a target of "
                f"{value:g} always holds or never does")
    if bounds == "nonnegative" and value < 0.0:
        return (f"a value of 0 or more: {metric} is never negative, so a target of "
                f"{value:g} always holds or never does")
    return None
