"""Changing a scenario by field paths (``staff.nurse.count``, ``delegation.degree``,
``staff.gp.blocks[0].end``): what an experiment's factors do to its base, and what a
notebook does with :func:`with_changes`. One path syntax and one check of the paths for
both, and every changed scenario is validated like a scenario file."""
from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from sim.scenario.errors import Problem, ScenarioError, show
from sim.scenario.loading import as_scenario, scenario_from_dict
from sim.scenario.schema import Scenario

#: One step of a path: a field name, then any list indices (``blocks[0]``).
SEGMENT = re.compile(r"^([^\[\]]+)((?:\[\d+\])*)$")

#: Scenario sections that are named entries (``staff.nurse``): a path into an entry the
#: scenario does not have would make a new, partial one.
NAMED_ENTRIES = tuple(name for name, field in Scenario.model_fields.items()
                      if getattr(field.annotation, "__origin__", None) is dict)


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``a.b[2].c`` in nested mappings and lists (missing mappings are created)."""
    node: Any = data
    parts = path.split(".")
    for depth, part in enumerate(parts):
        match = SEGMENT.match(part)
        if not match:
            raise KeyError(f"{part!r} is not a field name")
        key, indices = match.group(1), [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
        last = depth == len(parts) - 1
        if not isinstance(node, dict):
            raise KeyError(f"{'.'.join(parts[:depth])} is not a mapping")
        if last and not indices:
            node[key] = copy.deepcopy(value)
            return
        node = node.setdefault(key, {})
        for j, i in enumerate(indices):
            if not isinstance(node, list) or i >= len(node):
                raise KeyError(f"{key}{''.join(f'[{k}]' for k in indices[:j + 1])} does not "
                               f"exist (the list has {len(node) if isinstance(node, list) else 0}"
                               " items)")
            if last and j == len(indices) - 1:
                node[i] = copy.deepcopy(value)
                return
            node = node[i]


def get_path(data: Any, path: str, default: Any = None) -> Any:
    """The value at ``a.b[2].c`` in nested mappings and lists (a path as :func:`set_path`
    takes it), or ``default`` where ``data`` has no such path."""
    node = data
    for part in path.split("."):
        match = SEGMENT.match(part)
        if not match or not isinstance(node, Mapping) or match.group(1) not in node:
            return default
        node = node[match.group(1)]
        for i in (int(k) for k in re.findall(r"\[(\d+)\]", match.group(2))):
            if not isinstance(node, list) or i >= len(node):
                return default
            node = node[i]
    return node


def unknown_entries(base: Mapping[str, Any], paths: Iterable[str]
                    ) -> list[tuple[str, str, str]]:
    """(path, expected, found) for each path that sets a field of a named entry the
    scenario ``base`` (its mapping) does not have (``staff.nurce.count``: a misspelt
    ``nurse``)."""
    out = []
    for path in sorted(paths):
        parts = path.split(".")
        if len(parts) < 3 or parts[0] not in NAMED_ENTRIES:
            continue
        entry = SEGMENT.match(parts[1])
        entries = base.get(parts[0]) or {}
        if entry is None or entry.group(1) in entries:
            continue
        close = difflib.get_close_matches(entry.group(1), list(entries), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        out.append((path, f"an entry of {parts[0]} in the base scenario ({hint}it has "
                    f"{', '.join(entries)})", repr(entry.group(1))))
    return out




def with_changes(scenario: Scenario | str | Path, changes: Mapping[str, Any],
                 name: str | None = None) -> Scenario:
    """A copy of ``scenario`` (a loaded scenario, a bundled name or a file) with each
    field path in ``changes`` set to its value, as an experiment's factors set them
    (``{"staff.nurse.count": 4, "delegation.degree": "high"}``), validated like a
    scenario file: a path or value that is wrong raises :class:`ScenarioError` naming it.
    ``name`` renames the copy (its runs are then told apart in comparisons)."""
    scenario = as_scenario(scenario)
    if not isinstance(changes, Mapping) or not all(isinstance(p, str) for p in changes):
        # a list of pairs, or a key that is not a path, failed inside as "no attribute
        # 'split'"
        raise ScenarioError([Problem(
            "changes", (), "a mapping of field paths to values, such as "
            "{'staff.nurse.count': 4, 'delegation.degree': 'high'}", show(changes))])
    data = scenario.model_dump(mode="json")
    problems = [Problem("changes", (path,), expected, found)
                for path, expected, found in unknown_entries(data, changes)]
    for path, value in changes.items():
        try:
            set_path(data, path, value)
        except KeyError as err:
            problems.append(Problem("changes", (path,), "a scenario field path", str(err)))
    if problems:
        raise ScenarioError(problems)
    if name is not None:
        data["name"] = name
    return scenario_from_dict(data, source="changes")
