"""User-facing scenario errors: every problem names its file, field, what was found and
what was expected, so a consultant can fix the file without reading code."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

Path = tuple[Any, ...]


def field_path(path: Sequence[Any]) -> str:
    """``("staff", "gp", "blocks", 0, "end")`` -> ``staff.gp.blocks[0].end``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


#: How YAML spells the values Python would show as True, False and None.
_YAML_WORDS = {True: "true", False: "false", None: "null"}


def show(value: Any, limit: int = 60) -> str:
    """``value`` as the file spells it (``true``, not Python's ``True``), cut to ``limit``."""
    if value is None or isinstance(value, bool):
        return _YAML_WORDS[value]
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    file: str
    path: Path
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {field_path(self.path)}" if self.path else self.file
        found = f" found {self.found};" if self.found is not None else ""
        return f"{where}:{found} expected {self.expected}"


class ScenarioError(Exception):
    """A scenario (or other input file) that cannot be used, with every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        """Every problem on a line of its own, under a count (what the command line prints
        and the exception says)."""
        n = len(self.problems)
        head = f"invalid input: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
