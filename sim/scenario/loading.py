"""Reading scenario files: YAML, inheritance with ``extends``, and validation (its
messages are worded in :mod:`sim.scenario.wording`).

A scenario file may name a base with ``extends:`` (a bundled name such as ``base`` or
``case08``, or a path relative to the file) and then give only what differs. Mappings
merge key by key, except those in :data:`REPLACED_WHOLE` (shares that must sum to one,
and distributions), which a file gives whole; lists and plain values replace; ``null``
removes an inherited key (every optional field's default is null, so this is also how
to unset one). Every leaf remembers which file set it, so an error points at the file
the user has to edit.
"""
from __future__ import annotations

import copy
import difflib
import re
import sys
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from sim.scenario.checks import check_scenario
from sim.scenario.errors import Problem, ScenarioError, show
from sim.scenario.schema import THOUSANDS_WITH_DOTS, DottedNumber, Scenario
from sim.scenario.wording import MISSING, misspelled_entries, validation_problems

MAX_FILE_BYTES = 2_000_000
MAX_EXTENDS_DEPTH = 10
#: The deepest scenario field is six levels down (``delegation.routes.high.acute[0]``) and
#: an experiment sets a value a few levels deeper; 64 leaves ample room while keeping the
#: recursive YAML composer far from Python's recursion limit (1,000 frames, about three
#: per level), which a few hundred nested brackets used to hit.
MAX_NESTING = 64


def models_dir() -> Path:
    """The bundled ``models/`` folder (inside the wheel, or beside the source tree)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_bundled_models", here.parent / "models"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled models/ folder is missing from this installation")


# --- YAML --------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML without sexagesimal numbers (``13:00`` stays a string), without aliases
    (a scenario needs none, and they are how YAML bombs explode) and without nesting
    deeper than :data:`MAX_NESTING`."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in scenario files", event.start_mark
            )
        if self._depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(
                None, None, f"values nested too deep (more than {MAX_NESTING} levels)",
                self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _duplicate_keys(node: yaml.Node, path: tuple = ()) -> list[tuple[tuple, int, int]]:
    """Keys given twice in one mapping, as (path, first line, second line); YAML itself
    keeps the last silently, so ``list_size`` written twice would use the second."""
    found = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            line = key.start_mark.line + 1
            if name is not None and name in seen:
                found.append((path + (name,), seen[name], line))
            elif name is not None:
                seen[name] = line
            found += _duplicate_keys(value, path + (name,))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, path + (i,))
    return found


def _parse(text: str, name: str) -> Any:
    """YAML text to Python data; a duplicate key is a :class:`ScenarioError`.

    libyaml's C parser reads a scenario about six times faster than PyYAML's Python one
    (base.yaml: 9 ms against 56 ms, paid before every run). A file it does not read
    plainly (an alias, deep nesting, any YAML error) is read again by the Python loader,
    whose checks and messages are the ones users see."""
    if _FastLoader is not None:
        try:
            if _plain(text):
                return _compose_and_construct(_FastLoader(text), name)
        except yaml.YAMLError:
            pass
    return _compose_and_construct(_Loader(text), name)


def _plain(text: str) -> bool:
    """Whether the C parser's events hold no alias and no nesting near MAX_NESTING: the
    cases the Python loader refuses with its own message. A pass of its own, before any
    node is composed: libyaml's composer recurses in C with no depth limit, so a file of
    deeply nested brackets must be turned away before it reaches it."""
    loader = _FastLoader(text)
    try:
        depth = 0
        while not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                return False
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth >= MAX_NESTING:
                    return False
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
        return True
    finally:
        loader.dispose()


def _compose_and_construct(loader: yaml.SafeLoader, name: str) -> Any:
    try:
        node = loader.get_single_node()
        duplicates = _duplicate_keys(node) if node is not None else []
        if duplicates:
            raise ScenarioError([
                Problem(name, where, "each key only once in a mapping (YAML would silently "
                        "use the last)", f"{where[-1]!r} at line {first} and again at line "
                        f"{second}") for where, first, second in duplicates])
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _yaml_problem(err: yaml.YAMLError) -> str:
    """PyYAML's message as a 'found ...' phrase, with its line and column."""
    mark = getattr(err, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(err, "problem", None) or str(err)
    if "'\\t'" in problem:  # PyYAML writes the tab as backslash-t in quotes
        return f"a tab{where} (tabs are not allowed for indentation: indent with spaces)"
    return f"{problem.removeprefix('found ')}{where}"


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                       "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Booleans as YAML 1.2 reads them: only true and false. YAML 1.1 also reads on, off, yes
# and no, which would turn a weekday plan's key ``on:`` into True.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0|[-+]?[1-9][0-9_]*)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    """A YAML float; one written like ``6.000`` keeps its text for clearer errors."""
    value = loader.construct_yaml_float(node)
    if THOUSANDS_WITH_DOTS.match(node.value):
        return DottedNumber.from_text(value, node.value)
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


if yaml.__with_libyaml__:
    class _FastLoader(yaml.CSafeLoader):  # type: ignore[misc]
        """libyaml's parser with :class:`_Loader`'s resolvers and constructors."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.yaml_constructors = _Loader.yaml_constructors
else:  # PyYAML built without libyaml: the Python loader reads everything
    _FastLoader = None  # type: ignore[assignment,misc]


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; any failure is a :class:`ScenarioError`."""
    name = str(path)

    def fail(expected: str, found: str | None = None) -> ScenarioError:
        return ScenarioError([Problem(name, (), expected, found)])

    if not path.exists():
        raise fail("an existing file", "no such file")
    if path.is_dir():
        raise fail("a file", "a directory")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # checked before reading: a huge file is never loaded
            raise fail(f"a file under {MAX_FILE_BYTES:,} bytes", f"{size:,} bytes")
        raw = path.read_bytes()
    except OSError as err:
        raise fail("a readable file", err.strerror or str(err)) from None
    if len(raw) > MAX_FILE_BYTES:  # a file that grew while we looked (or a pipe)
        raise fail(f"a file under {MAX_FILE_BYTES:,} bytes", f"{len(raw):,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise fail("UTF-8 text", f"a byte that is not UTF-8 at offset {err.start}") from None
    if not text.strip():
        raise fail("a YAML mapping (key: value lines)", "an empty file")
    try:
        data = _parse(text, name)
    except yaml.YAMLError as err:
        raise fail("valid YAML", _yaml_problem(err)) from None
    if not isinstance(data, dict):
        raise fail("a YAML mapping (key: value lines)", f"a {type(data).__name__}")
    return data


# --- inheritance -------------------------------------------------------------------------


def resolve_reference(reference: str, relative_to: Path | None,
                      field: str = "extends") -> Path:
    """A scenario reference: a path (relative to the referring file) or a bundled name.
    A path that does not exist is an error naming the referring file and its ``field``,
    since that is the file to fix."""
    as_path = Path(reference)
    if reference.endswith((".yaml", ".yml")) or "/" in reference or "\\" in reference:
        if not as_path.is_absolute() and relative_to is not None:
            as_path = relative_to.parent / as_path
        if relative_to is not None and not as_path.is_file():
            why = "no such file" if not as_path.exists() else "not a file"
            raise ScenarioError([Problem(
                str(relative_to), (field,), "an existing scenario file (a path relative to "
                "this file) or a bundled name", f"{reference!r} ({as_path}: {why})")])
        return as_path
    root = models_dir()
    for folder in ("scenarios", "defaults", "cases"):
        exact = root / folder / f"{reference}.yaml"
        if exact.exists():
            return exact
    matches = sorted((root / "cases").glob(f"{reference}_*.yaml"))
    if len(matches) == 1:
        return matches[0]
    known = bundled_names()
    nearest = _nearest_name(reference, known)
    raise ScenarioError(
        [Problem(str(relative_to or "scenario"), (field,) if relative_to else (),
                 f"a scenario file path or a bundled name ({', '.join(known)})"
                 + (f"; did you mean {nearest}?" if nearest else ""), show(reference))]
    )


def _nearest_name(reference: str, known: list[str]) -> str | None:
    """The bundled name a mistyped one most likely meant: a case by its number however
    written (``case4``, ``Case 4``), else the closest spelling."""
    number = re.fullmatch(r"\s*case[\s_-]*0*(\d{1,3})\s*", reference, re.IGNORECASE)
    if number:  # a case by its number: that case, or none (case99 is not case09)
        name = f"case{int(number.group(1)):02d}"
        return name if name in known else None
    close = difflib.get_close_matches(reference.strip().lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def bundled_names() -> list[str]:
    root = models_dir()
    names = [p.stem for p in sorted((root / "scenarios").glob("*.yaml"))]
    names += [p.stem.split("_")[0] for p in sorted((root / "cases").glob("case*.yaml"))]
    return names


#: Mappings a file replaces whole rather than merging into its base's, as field paths
#: ("*" stands for any one name). Merging would mix the base's keys into the user's: a
#: two-type mix that sums to 1 would gain the base's other types (and fail, blaming the
#: base), and switching a distribution from lognormal to exponential would keep the
#: base's ``sd``. Every distribution field of the schema is here (a test checks it).
REPLACED_WHOLE: tuple[tuple[str, ...], ...] = (
    ("population", "teams"),                   # shares of patients by team
    ("population", "own_clinician"),           # {} in a variant: no fixed nurse any more
    ("demand", "*", "mix"),                    # shares of contact types
    ("triage", "outcomes", "*"),               # outcome shares of one triaging role
    ("demand", "*", "patience"),               # distributions from here on
    ("contact_types", "*", "durations", "*"),
    ("contact_types", "*", "history_taking", "duration"),
    ("triage", "durations", "*"),
    ("supervision", "question_duration"),
    ("supervision", "joint_duration"),
    ("home_visits", "travel"),
    ("demand", "*", "redial", "delay"),
    ("follow_ups", "after_days"),
)


def replaced_whole(path: tuple) -> bool:
    """Whether the mapping at ``path`` is given whole by the file that sets it."""
    return any(len(pattern) == len(path) and all(p in ("*", k) for p, k in zip(pattern, path))
               for pattern in REPLACED_WHOLE)


def _merge(base: Any, override: Any, origin: dict, path: tuple, file: str) -> Any:
    if isinstance(base, dict) and isinstance(override, dict) and not replaced_whole(path):
        if not override:  # an empty mapping given here: a problem with it is this file's
            origin[path] = file
        merged = dict(base)
        for key, value in override.items():
            if value is None:
                merged.pop(key, None)
                _forget(origin, path + (key,))
                origin[path + (key,)] = file
                continue
            merged[key] = _merge(base.get(key), value, origin, path + (key,), file)
        return merged
    if isinstance(base, (dict, list)):
        _forget(origin, path)  # the base's keys below here are gone
    if isinstance(override, dict):  # replaced whole: a null inside just leaves a key out
        override = {k: v for k, v in override.items() if v is not None}
    _record(override, origin, path, file)
    return copy.deepcopy(override)


def _forget(origin: dict, path: tuple) -> None:
    """Drop what ``origin`` says about fields below ``path`` (they were replaced)."""
    n = len(path)
    for key in [k for k in origin if len(k) > n and k[:n] == path]:
        del origin[key]


def _record(value: Any, origin: dict, path: tuple, file: str) -> None:
    origin[path] = file
    if isinstance(value, dict):
        for key, sub in value.items():
            _record(sub, origin, path + (key,), file)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _record(sub, origin, path + (i,), file)


def load_raw(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, dict]:
    """The merged mapping of a scenario file and its bases, and each leaf's file."""
    path = Path(path)
    if len(_chain) >= MAX_EXTENDS_DEPTH or path.resolve() in _chain:
        raise ScenarioError(
            [Problem(str(path), ("extends",), "a chain of bases without a cycle",
                     " -> ".join(str(p) for p in (*_chain, path)))]
        )
    data = read_yaml_mapping(path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        origin: dict = {}
        _record(data, origin, (), str(path))
        return data, origin
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            [Problem(str(path), ("extends",), "a scenario name or path", show(parent_ref))]
        )
    base, origin = load_raw(resolve_reference(parent_ref, path), _chain + (path.resolve(),))
    return _merge(base, data, origin, (), str(path)), origin


# --- validation --------------------------------------------------------------------------


def _origin_file(origin: dict, loc: tuple, default: str) -> str:
    """The file to fix: the one loaded, naming the base file if the field is set there."""
    for cut in range(len(loc), -1, -1):
        found = origin.get(tuple(loc[:cut]))
        if found is not None:
            return default if found == default else f"{default} (field set in {_shown(found)})"
    return default


def _shown(file: str) -> str:
    """A base file as a user can find it: a bundled one by its name (it sits inside the
    installed package, where it is not to be edited), another by its path."""
    try:
        inside = Path(file).resolve().relative_to(models_dir())
    except (ValueError, FileNotFoundError):
        return file
    name = inside.stem.split("_")[0] if inside.parts[0] == "cases" else inside.stem
    return f"the bundled {name}, models/{inside.as_posix()}; override it in your file"


def scenario_from_dict(
    data: Mapping[str, Any], origin: dict | None = None, source: str = "scenario"
) -> Scenario:
    """Validate a mapping as a scenario; raise :class:`ScenarioError` with every problem."""
    origin = origin or {}
    try:
        scenario = Scenario.model_validate(_interned(dict(data)))
    except ValidationError as err:
        raise ScenarioError(misspelled_entries(validation_problems(
            err, data, Scenario, lambda loc: _origin_file(origin, loc, source)), data)) from None
    problems = [
        Problem(_origin_file(origin, p.path, source), p.path, p.expected, p.found)
        for p in check_scenario(scenario)
    ]
    if problems:
        raise ScenarioError(problems)
    return scenario


def _interned(data: Any) -> Any:
    """``data`` with every string in its mappings and lists interned (``sys.intern``).

    The engine looks names up in dicts for every contact (its type's durations, a route's
    queue, a role's slots). A name read in one place (a contact type's key) and the same
    name read in another (a demand mix's entry, possibly from another file) are two string
    objects, and a look-up then compares their characters; interned, they are one object,
    which a look-up recognises at once. Equal strings stay equal, so nothing else changes:
    about 0.7 % of a run's instructions. A text of a subclass of ``str`` (numpy's, from a
    notebook's array or table) is made a plain one first: ``sys.intern`` takes no other."""
    if isinstance(data, str):
        return sys.intern(data if type(data) is str else str.__str__(data))
    if type(data) is dict:
        return {_interned(key): _interned(value) for key, value in data.items()}
    if type(data) is list:
        return [_interned(value) for value in data]
    return data


def scenario_file(reference: str | Path) -> Path:
    """The file a scenario reference (a path or a bundled name) stands for."""
    text = str(reference)
    path = Path(text)
    return path if path.exists() else resolve_reference(text, None)


def as_scenario(scenario: object, argument: str = "scenario") -> Scenario:
    """``scenario`` as a :class:`Scenario`: a loaded one as it is, a bundled name or a
    file loaded (:func:`load_scenario`), so that every public function takes what
    ``run_replications`` takes; anything else is a TypeError naming ``argument`` (it
    failed deep inside, on a missing attribute)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    inside = getattr(scenario, "scenario", None)
    hint = " (its .scenario is one)" if isinstance(inside, Scenario) else ""
    raise TypeError(f"{argument} must be a Scenario, a bundled name or a file, not "
                    f"{type(scenario).__name__}{hint}")


def load_scenario(reference: str | Path) -> Scenario:
    """Load a scenario by path or bundled name (``default``, ``case08``, ...)."""
    path = scenario_file(reference)
    data, origin = load_raw(path)
    try:
        return scenario_from_dict(data, origin, str(path))
    except ScenarioError as err:
        missing = sum(p.expected == MISSING for p in err.problems)
        sections = any(p.expected == MISSING and len(p.path) == 1 for p in err.problems)
        written = read_yaml_mapping(path)
        if not sections or "extends" in written:
            raise  # a whole section missing is a file of changes; a field, a slip
        if "base" in written:  # an experiment's key for 'extends': its problem says so
            raise ScenarioError([p for p in err.problems if p.expected != MISSING]) from None
        # a file written as changes to a practice, without saying which: one line says so
        raise ScenarioError([Problem(
            str(path), ("extends",), "a line 'extends: default' (or a bundled case, such as "
            "'extends: case08') naming the scenario this file changes: without it the file "
            f"must give every section itself, and {missing} required "
            f"value{'s are' if missing != 1 else ' is'} missing (listed below)",
            "no 'extends'"), *err.problems]) from None
