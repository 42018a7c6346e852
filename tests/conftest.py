"""Shared fixtures: the bundled scenarios and a helper to derive variants from them."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.scenario import load_raw, resolve_reference, scenario_from_dict

REPO = Path(__file__).resolve().parent.parent


def scenario_with(base: str = "default", **changes):
    """A bundled scenario with changes given as ``section__field=value`` paths.

    ``scenario_with(staff__nurse__count=4)`` sets ``staff.nurse.count`` to 4.
    """
    data, _ = load_raw(resolve_reference(base, None))
    data = copy.deepcopy(data)
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[leaf] = value
    return scenario_from_dict(data)


def raw(base: str = "default") -> dict:
    data, _ = load_raw(resolve_reference(base, None))
    return copy.deepcopy(data)


@pytest.fixture(scope="session")
def default_raw() -> dict:
    return raw("default")
