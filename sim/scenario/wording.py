"""pydantic's validation errors in a reader's words: each problem names the file, the
field, what was found and what was expected, and where the slip is a common one (a
misspelled key or entry name, a decimal comma, a Danish weekday, a time written "8.00")
how to write it instead."""
from __future__ import annotations

import datetime
import difflib
import re
import types
import typing
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, show
from sim.scenario.schema import DistSpec


#: How alike an unknown key and a field name must be (difflib's ratio) to suggest the
#: field: difflib's own default, close enough that the guess is usually right.
SUGGESTION_CUTOFF = 0.6

#: What a required field left out should have held.
MISSING = "a value for this required field"

#: The ``Name`` pattern in words (pydantic would show the regular expression).
NAME_RULE = ("a name of the letters a-z and A-Z, digits, '_', '.' or '-' (no spaces, and no "
             "letters such as æ, ø or å)")

#: How a mapping and a list are written, for readers who do not know the words.
MAPPING = "a mapping (indented `key: value` lines)"
LIST = "a list (lines starting with '- ', or [a, b] on one line)"

#: pydantic's type errors in words, by error type (its own messages name Python's types
#: and give the parser's reason: "a valid integer, unable to parse string as an integer").
PLAIN_TYPES: dict[str, str] = {
    "int_type": "a whole number", "int_parsing": "a whole number",
    "int_parsing_size": "a whole number", "int_from_float": "a whole number (no decimal point)",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text", "string_unicode": "text",
    "dict_type": MAPPING, "mapping_type": MAPPING,
    "list_type": LIST, "tuple_type": LIST, "set_type": LIST, "frozen_set_type": LIST,
    "iterable_type": LIST,
}

#: Error types that mean a section of settings was expected: pydantic's messages name
#: the schema's class ("a valid dictionary or instance of Delegation").
SECTION_TYPES = frozenset({"model_type", "model_attributes_type", "dataclass_type",
                           "dataclass_exact_type", "named_tuple_type"})

#: How many of a section's keys a "such as" names: enough to recognise the section.
SHOWN_KEYS = 4

#: pydantic's phrases no reader should see, for error types :data:`PLAIN_TYPES` does not
#: word: a class named ("or instance of Staff") and the parser's reason (", unable to
#: parse string as a number").
_CLASS_NAMED = re.compile(r"(?:,? or)? ?\b(?:an )?instance of [\w.\[\]]+")
_PARSER_REASON = re.compile(r", unable to .*$")


def _expected(error: Mapping[str, Any], loc: tuple, model: type[BaseModel],
              data: Any = None) -> str:
    """What the user should have written, in words."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(loc, model, data, error.get("input"))
    if kind == "missing":
        return MISSING
    if kind in ("string_pattern_mismatch", "string_type") and tuple(loc) == (
            "delegation", "degree"):  # the degrees the routes give, to pick from
        routes = ((data or {}).get("delegation") or {}).get("routes")
        if isinstance(routes, Mapping) and routes:
            return f"one of {', '.join(map(str, routes))}"
    if kind == "string_pattern_mismatch":
        return NAME_RULE
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return DISTRIBUTION
    if _is_absence(error):
        return _absence_form(error.get("input"))
    if kind in SECTION_TYPES:
        return _section(loc, model, data)
    message = PLAIN_TYPES.get(kind) or _plain(str(error["msg"]), kind)
    value = error.get("input")
    if (kind == "literal_error" and isinstance(value, str) and _weekday(value)
            and "'mon'" in str((error.get("ctx") or {}).get("expected"))):
        return f"{message} (write {_weekday(value)!r} for {value!r})"
    if kind in ("float_parsing", "int_parsing") and isinstance(value, str):
        hint = _comma_hint(value, whole=kind == "int_parsing")
        if hint:
            return f"{message} ({hint})"
    if (kind == "less_than_equal" and (error.get("ctx") or {}).get("le") == 1
            and isinstance(value, (int, float))):
        message += _share_hint(value)
    return message


def _plain(message: str, kind: str) -> str:
    """pydantic's ``message`` without its preamble, and for its own errors (not the
    schema's worded ValueErrors) without class names or the parser's reason."""
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if kind == "value_error":
        return message
    message = _PARSER_REASON.sub("", _CLASS_NAMED.sub("", message)).strip()
    return message or "a value of another kind"


def _section(loc: tuple, model: type[BaseModel], data: Any) -> str:
    """A section of settings in words, with whose it is and some of the keys it takes
    (pydantic's message names the schema's class instead); for a distribution, how one
    is written."""
    if _is_distribution(loc, model, data):
        return DISTRIBUTION
    whose = f" of {loc[-1]}'s settings" if loc and isinstance(loc[-1], str) else \
        " of settings"
    keys = _allowed_keys(loc, model, data)[:SHOWN_KEYS]
    return f"{MAPPING}{whose}" + (f", such as {', '.join(keys)}" if keys else "")


def _share_hint(value: float) -> str:
    """For a share above 1 that reads as a percentage (up to 100), how the percentage is
    written: said outright for a whole number (40 can only be 40 %), as a condition for
    one with decimals (1.6 may be 1.6 % or a slip for 0.16); nothing above 100."""
    if not 1 < value <= 100:
        return ""
    if value == int(value):
        return f" (a share between 0 and 1: {value:g} % is written {value / 100:g})"
    return f" (a share between 0 and 1: if {value:g} % is meant, write {value / 100:g})"


def _is_absence(error: Mapping[str, Any]) -> bool:
    """Whether ``error`` is of something written where an absence (``{week: 5}``) goes."""
    return error["type"] == "model_type" and (error.get("ctx") or {}).get(
        "class_name") == "Absence"


def _absence_form(value: Any) -> str:
    """How an absence is written, for one written otherwise: a date (``absent:
    [2025-07-01]``, which YAML reads as a date) is not how absences are given, since they
    count weeks of the run, not of the calendar."""
    week = value if type(value) is int and 1 <= value <= 1040 else 5
    not_a_date = ", not a date" if isinstance(value, datetime.date) else ""
    return (f"an absence as a week of the run{not_a_date} (week 1 is the first simulated "
            "week, warm-up included), with its weekdays if it is not the whole week: "
            f"{{week: {week}}} or {{week: {week}, days: [mon, tue]}}")


def _found(error: Mapping[str, Any]) -> str | None:
    """The value a problem was found in, as the file wrote it; a date given for an
    absence as written (2025-07-01), not as Python shows it."""
    if error["type"] == "missing":
        return None
    value = error.get("input")
    if _is_absence(error) and isinstance(value, datetime.date):
        return value.isoformat()
    return show(value)


#: Weekdays by their full Danish and English names: a weekday written as one of these,
#: or as its first three letters or more ('man.', 'Tue', 'onsdag'), is that day.
_WEEKDAY_NAMES = {"mandag": "mon", "tirsdag": "tue", "onsdag": "wed", "torsdag": "thu",
                  "fredag": "fri", "lørdag": "sat", "søndag": "sun", "monday": "mon",
                  "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
                  "saturday": "sat", "sunday": "sun"}


def _weekday(text: str) -> str | None:
    """The schema's name of a weekday written another way ('mandag', 'Tue', 'Monday'), or
    None if ``text`` names no weekday."""
    word = text.strip().lower().rstrip(".")
    if len(word) < 3:
        return None
    return next((short for name, short in _WEEKDAY_NAMES.items() if name.startswith(word)),
                None)


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_THOUSANDS_COMMA = re.compile(r"^\s*\d{1,3}(,\d{3})+\s*$")


def _comma_hint(text: str, whole: bool) -> str | None:
    """How to write a number given with a comma (a Danish decimal comma, or a thousands
    separator) where a ``whole`` number or any number is meant; None for other text."""
    number = text.strip()
    if _THOUSANDS_COMMA.match(number):
        if whole:
            return f"no thousands separator: write {number.replace(',', '')}"
        return (f"a point for decimals and no thousands separator: write "
                f"{number.replace(',', '.')} for a decimal comma, {number.replace(',', '')} "
                "for thousands")
    if _DECIMAL_COMMA.match(number):
        if whole:
            return f"{number} has a decimal comma; a count is a whole number"
        return f"decimals take a point, not a comma: write {number.replace(',', '.')}"
    return None


#: Top-level keys one kind of clinicsim file takes where the other takes another: a
#: scenario file names the scenario it changes with ``extends``, an experiment file its
#: scenario with ``base``. Each with the key meant, and why.
OTHER_KIND_KEYS: dict[str, tuple[str, str]] = {
    "base": ("extends", "a scenario file names the scenario it changes with 'extends'; "
                        "'base' is an experiment file's key"),
    "extends": ("base", "an experiment file names its scenario with 'base'; 'extends' is a "
                        "scenario file's key"),
}


def _unknown_key(loc: tuple, model: type[BaseModel], data: Any, value: Any = None) -> str:
    """'no such key', with the closest allowed key as a suggestion and the allowed ones;
    for the other kind of file's key, the key meant; for a path written as one key
    (``staff.nurse.count: 4``), the same keys nested."""
    allowed = _allowed_keys(loc[:-1], model, data)
    meant = OTHER_KIND_KEYS.get(str(loc[-1])) if len(loc) == 1 else None
    if meant is not None and meant[0] not in (data or {}):
        return f"{meant[0]!r} in its place ({meant[1]})"
    nested = _nested(loc, model, data, allowed, value)
    if nested:
        return nested
    listing = f" (allowed here: {', '.join(allowed)})" if allowed else ""
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=SUGGESTION_CUTOFF)
    if close:
        return f"no such key; did you mean {close[0]!r}?{listing}"
    return f"no such key; check the spelling{listing}"


#: One key of a path written with dots: a plain name, no list index (``blocks[0]``).
_PLAIN_KEY = re.compile(r"^[^\s\[\].]+$")


def _nested(loc: tuple, model: Any, data: Any, allowed: list[str],
            value: Any) -> str | None:
    """For a key at ``loc`` that is a path of keys joined by dots whose first is a key
    ``allowed`` there (``staff.nurse.count``), how to write it nested by indentation, one
    key a line: YAML reads the dots as part of one key's name. None for any other key,
    and where the keys before the last do not take keys (a list, a number)."""
    key = str(loc[-1])
    parts = key.split(".")
    if len(parts) < 2 or parts[0] not in allowed or not all(map(_PLAIN_KEY.match, parts)):
        return None
    for depth in range(1, len(parts)):
        found = _annotation_at(tuple(loc[:-1]) + tuple(parts[:depth]), model, data)
        inner = _unwrap(*found) if found is not None else None
        if inner is not None and not (_is_model(inner) or typing.get_origin(inner) is dict):
            return None
    lines = [f"`{'  ' * depth}{part}:`" for depth, part in enumerate(parts)]
    lines[-1] = f"{lines[-1][:-1]} {show(value)}`"
    return (f"the keys nested by indentation, not joined by dots ({parts[0]!r} is a key "
            f"here, {key!r} is not): {' / '.join(lines)}, one key a line, each indented "
            "under the one before")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _tag(model: Any) -> Any:
    """The ``dist`` a distribution model stands for (its discriminator), if any."""
    field = model.model_fields.get("dist")
    args = typing.get_args(field.annotation) if field is not None else ()
    return args[0] if args else None


def _unwrap(annotation: Any, node: Any) -> Any:
    """``annotation`` without Annotated and Optional; a union of models resolved by the
    ``dist`` written in ``node`` (the discriminator), or None if it cannot be told."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            tag = node.get("dist") if isinstance(node, dict) else None
            chosen = [m for m in members if _is_model(m) and _tag(m) == tag] or \
                [m for m in members if _is_model(m)]
            if len(chosen) != 1 and len(members) != 1:
                return None
            annotation = chosen[0] if len(chosen) == 1 else members[0]
        else:
            return annotation


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _allowed_keys(loc: tuple, model: Any, data: Any = None) -> list[str]:
    """Field names allowed at ``loc`` in the schema, for "unknown key" hints: through
    nested models, mappings of names (``staff.nurse``), lists (``blocks[0]``) and
    distributions (chosen by the ``dist`` written in ``data``)."""
    found = _annotation_at(loc, model, data)
    annotation = _unwrap(*found) if found is not None else None
    return list(annotation.model_fields) if _is_model(annotation) else []


def _is_distribution(loc: tuple, model: Any, data: Any = None) -> bool:
    """Whether the field at ``loc`` takes a distribution: its union resolves to a
    distribution's model once a ``dist`` is written (whatever ``data`` holds there)."""
    found = _annotation_at(loc, model, data)
    member = _unwrap(found[0], {"dist": DIST_FAMILIES[0]}) if found is not None else None
    return _is_model(member) and _tag(member) in _UNION_TAGS


def _annotation_at(loc: tuple, model: Any, data: Any = None) -> tuple[Any, Any] | None:
    """The schema's annotation for ``loc`` and what ``data`` holds there, or None where
    the schema cannot tell (an unknown key, a union the data does not resolve)."""
    annotation, node = model, data
    for part in loc:
        annotation = _unwrap(annotation, node)
        origin = typing.get_origin(annotation)
        if _is_model(annotation):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return None
        node = _child(node, part)
    return annotation, node


#: The distribution families a ``dist:`` may name, in the schema's order.
DIST_FAMILIES: tuple[str, ...] = tuple(
    typing.get_args(m.model_fields["dist"].annotation)[0]
    for m in typing.get_args(typing.get_args(DistSpec)[0]))
_UNION_TAGS = set(DIST_FAMILIES)

#: What a distribution is written as.
DISTRIBUTION = (f"a distribution with dist: one of {', '.join(DIST_FAMILIES)} (a "
                "distribution is given whole, with all its fields)")


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop the discriminator tags and key markers pydantic adds to locations."""
    cleaned: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and part in _UNION_TAGS:
            continue
        if part == "[key]":  # pydantic's marker for "the key itself is wrong"
            continue
        if _union_member(part, node):  # which member of a union: not a field
            continue
        cleaned.append(part)
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node)
            else None)
    return tuple(cleaned)


def _union_member(part: Any, node: Any) -> bool:
    """Whether a location part is pydantic's name for a member of a union (``int``,
    ``literal['auto']``, ``function-after[...]``) rather than a key the user wrote."""
    if not isinstance(part, str) or (isinstance(node, dict) and part in node):
        return False
    return part in ("int", "float", "str", "bool", "none") or part.startswith(
        ("literal[", "function-", "constrained-", "lax-", "strict-"))


def validation_problems(err: ValidationError, data: Mapping[str, Any],
                        model: type[BaseModel], file_of) -> list[Problem]:
    """Pydantic's errors as problems naming file, field, what was found and expected; a
    value no member of a union accepts is one problem whose expectations are joined
    ('greater than 0 or 'auto''), not one per member."""
    merged: dict[tuple, list[str]] = {}
    for e in err.errors():
        loc = _clean_loc(tuple(e["loc"]), data)
        found = _found(e)
        expected = merged.setdefault((file_of(loc), loc, found), [])
        text = _expected(e, loc, model, data)
        if text not in expected:
            expected.append(text)
    # a key the other kind of file takes, written for the one meant: its problem says
    # so, and the key meant is not also reported missing
    meant = {(OTHER_KIND_KEYS[str(key)][0],) for key in data
             if str(key) in OTHER_KIND_KEYS and OTHER_KIND_KEYS[str(key)][0] not in data}
    return [Problem(file, loc, " or ".join(expected), found)
            for (file, loc, found), expected in merged.items()
            if not (found is None and loc in meant and expected == [MISSING])]


#: Sections of named entries, where a file changes an inherited entry by its name and a
#: misspelled name adds a new entry instead.
NAMED_SECTIONS = ("staff", "roles", "demand", "contact_types", "block_kinds")


def misspelled_entries(problems: list[Problem], data: Mapping[str, Any]) -> list[Problem]:
    """The required fields missing from a new named entry, as one problem that suggests
    the inherited entry it was probably meant to change (``staff: {nurse_phon: {count:
    2}}`` for ``nurse_phone``), instead of one 'required field' problem per field."""
    missing: dict[tuple, list[Problem]] = {}
    for p in problems:
        if p.expected == MISSING and len(p.path) == 3 and p.path[0] in NAMED_SECTIONS:
            missing.setdefault(tuple(p.path[:2]), []).append(p)
    merged: list[Problem] = []
    for p in problems:
        entry = tuple(p.path[:2])
        if entry not in missing:
            merged.append(p)
            continue
        group = missing[entry]
        if p is not group[0]:
            continue  # reported with the group's first
        section, name = entry
        entries = data.get(section)
        written = entries.get(name) if isinstance(entries, Mapping) else None
        close = difflib.get_close_matches(
            str(name), [str(k) for k in entries if k != name], n=1,
            cutoff=SUGGESTION_CUTOFF) if isinstance(entries, Mapping) else []
        if not close or not isinstance(written, Mapping):
            merged.extend(group)
            continue
        fields = ", ".join(str(q.path[2]) for q in group)
        given = ", ".join(map(str, written))
        merged.append(Problem(
            group[0].file, entry,
            f"the name of an entry to change (did you mean {close[0]!r}?), or a new entry "
            f"with every required field ({fields} missing)",
            f"a new entry {name!r} with only {given}" if given
            else f"a new, empty entry {name!r}"))
    return merged
