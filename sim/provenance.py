"""What a saved result rests on: the clinicsim version, the command, the input files with
their hashes, and the seed.

A run, comparison or sweep saved months ago must say which files produced it, so that a
changed scenario is noticed rather than silently assumed. Every file of a scenario's
``extends`` chain is hashed, since a change to a base changes the practice too.
"""
from __future__ import annotations

import hashlib
import shlex
import sys
from pathlib import Path
from typing import Any, Iterable

from sim import __version__, engine_build
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import read_yaml_mapping, resolve_reference, scenario_file

#: Bytes read at a time while hashing (files are small; this only bounds memory).
_CHUNK = 1 << 16


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def command_line(args: Iterable[str] | None = None) -> str:
    """The command as typed: ``clinicsim`` and its arguments (by default this process's),
    shell-quoted so that it can be pasted back into a shell."""
    rest = list(sys.argv[1:] if args is None else args)
    return " ".join(["clinicsim", *(shlex.quote(a) for a in rest)])


def extends_chain(path: Path) -> list[Path]:
    """A scenario file and the bases it extends, the file itself first."""
    chain = [path]
    while len(chain) <= 16:  # the loader refuses longer chains; this only stops a cycle
        data = read_yaml_mapping(chain[-1])
        parent = data.get("extends")
        if not isinstance(parent, str):
            break
        chain.append(resolve_reference(parent, chain[-1]))
    return chain


def scenario_record(reference: str | Path) -> dict[str, Any]:
    """How a scenario reference was given, and every file it read with its hash."""
    path = scenario_file(reference)
    files = [{"path": str(p), "sha256": sha256_of(p)} for p in extends_chain(path)]
    return {"reference": str(reference), "path": str(path), "sha256": files[0]["sha256"],
            "extends": files[1:]}


def own_description(reference: str | Path) -> str | None:
    """The ``description`` the scenario file itself writes, or None if it inherits one
    (or sets none): only a description its author wrote describes this practice."""
    try:
        data = read_yaml_mapping(scenario_file(reference))
    except (ScenarioError, OSError):
        return None
    text = data.get("description")
    return " ".join(text.split()) if isinstance(text, str) and text.strip() else None


def _made_by(command: str | None) -> dict[str, Any]:
    """What produced a result: the version, which engine (compiled or not), the command."""
    return {"clinicsim_version": __version__, "engine": engine_build(),
            "command": command or command_line()}


def provenance(scenarios: Iterable[str | Path] = (), seed: int | None = None,
               command: str | None = None, **extra: Any) -> dict[str, Any]:
    """The record saved beside results: version, command, scenario files, seed."""
    return {**_made_by(command), "scenarios": [scenario_record(s) for s in scenarios],
            "seed": seed, **extra}


def sweep_provenance(experiment: Any, command: str | None = None) -> dict[str, Any]:
    """The record saved in a sweep's manifest: the experiment file and the base scenario's
    files with their hashes (outside the fingerprint, so a resume typed differently still
    matches)."""
    path = Path(experiment.path)
    base = resolve_reference(experiment.spec.base, path, field="base")
    return {**_made_by(command),
            "experiment_file": {"path": str(path), "sha256": sha256_of(path)},
            "scenarios": [scenario_record(base)], "seed": experiment.spec.seed}


__all__ = ["sweep_provenance", "command_line", "extends_chain", "own_description", "provenance",
           "scenario_record", "sha256_of"]
