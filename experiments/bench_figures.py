"""A benchmark figure next to its target: printed, exchanged between scripts, tabulated.

Each benchmark script measures figures that the performance issue sets targets for. A
figure is printed the moment it is measured, with its target and "met" / "NOT met", and
collected; the script that runs the others gathers their figures (as JSON, through a file
named on their command line) into one Markdown table for the README. Nothing here asserts:
a missed target is reported, never raised.
"""
from __future__ import annotations

import json
import operator
from dataclasses import asdict, dataclass
from pathlib import Path

_COMPARE = {"<=": operator.le, ">=": operator.ge}
#: The most digits a value is printed to, when it lies that close to its target.
MOST_DIGITS = 6


@dataclass
class Figure:
    """One measured figure and the target it is held against."""

    target_no: int        # the numbering of its targets (1-8)
    name: str             # what is measured, in a few words
    value: float | None   # None: could not be measured here (``note`` says why)
    unit: str             # "s", "x" (a ratio), "ms", ...
    op: str               # "<=" or ">=": which side of the target is good
    target: float
    how: str              # one line: how it was measured
    note: str = ""        # e.g. "stopped after 600 s" or why it was not measured
    digits: int = 2
    at_least: bool = False  # value is a lower bound (a workload stopped before it ended)

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        met = _COMPARE[self.op](self.value, self.target)
        if self.at_least and self.op == "<=" and met:
            return "not known"  # stopped before reaching the target: could go either way
        return "met" if met else "NOT met"

    def value_text(self) -> str:
        """The value to its digits, and to as many more (up to :data:`MOST_DIGITS`) as it
        takes not to read as the target itself when it is not: 1.1004 against 1.1 prints
        1.1004, not a "1.100" that says "NOT met"."""
        if self.value is None:
            return "n/a"
        unit = "" if self.unit == "x" else f" {self.unit}"
        digits = self.digits
        while (digits < MOST_DIGITS and self.value != self.target
               and round(self.value, digits) == round(self.target, digits)):
            digits += 1
        text = f"{self.value:,.{digits}f}{unit}"
        return f"> {text}" if self.at_least else text

    def target_text(self) -> str:
        unit = "" if self.unit == "x" else f" {self.unit}"
        return f"{self.op} {self.target:g}{unit}"

    def line(self) -> str:
        """The figure as printed when it is measured: value, target, verdict, note."""
        note = f"  ({self.note})" if self.note else ""
        return (f"[{self.target_no}] {self.name}: {self.value_text()}   target "
                f"{self.target_text()}   {self.verdict}{note}")


class Figures:
    """The figures of one script, in the order measured."""

    def __init__(self) -> None:
        self.items: list[Figure] = []

    def add(self, figure: Figure) -> Figure:
        self.items.append(figure)
        print(figure.line())
        print(f"    how: {figure.how}", flush=True)
        return figure

    def extend(self, figures: list[Figure]) -> None:
        self.items.extend(figures)

    def save(self, path: str | Path) -> None:
        """Hand the figures to the script that ran this one."""
        Path(path).write_text(json.dumps([asdict(f) for f in self.items], indent=1),
                              encoding="utf-8")

    @staticmethod
    def load(path: str | Path) -> list[Figure]:
        file = Path(path)
        if not file.exists() or not file.read_text(encoding="utf-8").strip():
            return []
        return [Figure(**item) for item in json.loads(file.read_text(encoding="utf-8"))]

    def summary(self) -> str:
        """Every figure on one line each, in the issue's order (for the end of the output)."""
        return "\n".join(f.line() for f in sorted(self.items, key=lambda f: f.target_no))

    def markdown(self) -> str:
        """The table for the README's Performance section."""
        rows = ["| # | figure | value | target | | how it is measured |",
                "| ---: | --- | ---: | ---: | --- | --- |"]
        for f in sorted(self.items, key=lambda f: f.target_no):
            how = f.how + (f" ({f.note})" if f.note else "")
            rows.append(f"| {f.target_no} | {f.name} | {f.value_text()} | {f.target_text()} "
                        f"| {f.verdict} | {how} |")
        return "\n".join(rows)
