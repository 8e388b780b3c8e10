"""Check a definition against ``asl.schema.json`` and word the errors the way AWS does.

The schema covers shapes, field types, ranges and which fields each state type accepts in each
query language. Errors from ``jsonschema`` are turned into Diagnostics here; the annotations
``x-messages`` (keyword -> message, ``{field}`` is replaced) and ``x-query-language`` in the schema
let it choose better wording than the library's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from asl2durable.diagnostics import Diagnostic, pointer
from asl2durable.load.placeholders import has_placeholder
from asl2durable.validate.accepts import accepts
from asl2durable.validate.messages import (
    PLACEHOLDER_NOTE,
    error,
    required_field,
    soften,
    unsupported_field,
)
from asl2durable.validate.walk import nesting_depth

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).with_name("asl.schema.json")

_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


@cache
def schema() -> dict:
    """The ASL JSON Schema (draft 2020-12) as a dict."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


# Python frames per level of JSON nesting allowed for jsonschema, with a margin: it takes about
# 5 (nested Map states: RecursionError at 1,872 levels under the package's limit of 10,000); the
# fast check takes fewer. Deeper, jsonschema answers, as it would have (TOO_DEEPLY_NESTED).
_FRAMES_PER_LEVEL = 20


def _accepted(definition: dict) -> bool:
    """True when the schema surely accepts ``definition``: then there is no error to word, and
    jsonschema is neither imported nor run (see accepts.py). False: ask jsonschema."""
    if nesting_depth(definition) * _FRAMES_PER_LEVEL >= sys.getrecursionlimit():
        return False
    try:
        return accepts(schema(), definition)
    except Exception:  # noqa: BLE001 - Unsupported, RecursionError: jsonschema answers, as before
        return False


def pattern(name: str) -> str:
    """The regex of ``$defs/<name>`` (shared with the semantic checks, e.g. "timestamp")."""
    return schema()["$defs"][name]["pattern"]


def check_schema(definition: dict) -> Iterator[Diagnostic]:
    """Every schema violation in ``definition``, one Diagnostic per problem."""
    if _accepted(definition):
        return
    for err in _validator().iter_errors(definition):
        for diagnostic in _translate(err):
            # "${Seconds}" in an integer field is fine once the template is deployed
            yield soften(diagnostic, PLACEHOLDER_NOTE) if has_placeholder(err.instance) else diagnostic


def _label(path: list) -> str:
    """Field label for messages: the last field name, with any trailing array indexes."""
    suffix = ""
    for part in reversed(path):
        if isinstance(part, int):
            suffix = f"[{part}]" + suffix
        else:
            return f"{part}{suffix}"
    return "definition" + suffix


def _custom(err: ValidationError, field: str) -> str | None:
    messages = err.schema.get("x-messages") if isinstance(err.schema, dict) else None
    if messages and err.validator in messages:
        return messages[err.validator].replace("{field}", field)
    return None


# The messages of the bounds a value breaks, by JSON Schema keyword
_AT_LEAST = "The value for the field '{field}' must be greater than or equal to {value}"
_AT_MOST = "The value for the field '{field}' must be less than or equal to {value}"
_BOUNDS = {
    "minimum": _AT_LEAST,
    "exclusiveMinimum": _AT_LEAST,
    "maximum": _AT_MOST,
    "exclusiveMaximum": _AT_MOST,
    "minLength": "The value for the field '{field}' must be at least {value} characters long",
    "maxLength": "The value for the field '{field}' must be at most {value} characters long",
    "minItems": "Value cannot be empty",
    "minProperties": "Value cannot be empty",
}


def _missing(err: ValidationError) -> list:
    """The required fields an object lacks."""
    return [name for name in err.validator_value if isinstance(err.instance, dict) and name not in err.instance]


def _unknown(err: ValidationError) -> list:
    """The fields of an object that its schema does not know."""
    known = err.schema.get("properties", {})
    return [name for name in err.instance if name not in known]


def _translate(err: ValidationError) -> Iterator[Diagnostic]:
    path = list(err.absolute_path)
    at = pointer(*path)
    field = _label(path)
    kind = err.validator
    value = err.validator_value

    if "propertyNames" in err.schema_path:  # the instance is a property name of the object at `at`
        name = err.instance
        yield error(at + pointer(name), _custom(err, str(name)) or f"Invalid name: {name!r}")
        return
    custom = _custom(err, field)
    if custom:
        yield error(at, custom)
    elif kind == "required":
        yield from (error(at, required_field(name)) for name in _missing(err))
    elif kind == "additionalProperties":
        query_language = err.schema.get("x-query-language")
        yield from (error(at + pointer(name), unsupported_field(name, query_language)) for name in _unknown(err))
    elif kind == "type":
        types = [value] if isinstance(value, str) else list(value)
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        if len(path) >= 2 and path[-2] == "States":
            yield error(at, f"The state '{path[-1]}' must be {wanted}")
        else:
            yield error(at, f"The value for the field '{field}' must be {wanted}")
    elif kind in ("enum", "const"):
        values = value if kind == "enum" else [value]
        shown = ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in values)
        yield error(at, f"The field '{field}' should have one of these values: [{shown}]")
    elif kind in _BOUNDS:
        yield error(at, _BOUNDS[kind].format(field=field, value=value))
    elif kind in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match

        yield from _translate(best_match(err.context))
    else:
        yield error(at, err.message)
