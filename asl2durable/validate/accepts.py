"""Does ``asl.schema.json`` accept a definition? A yes/no answer without jsonschema.

Importing jsonschema (with attrs, referencing and the metaschemas it loads) costs more than the
rest of a small ``validate``. Most definitions are valid, and a valid one has no error to word,
so the schema check asks this first. Only its True skips jsonschema, and True means exactly
that jsonschema's ``Draft202012Validator`` finds no error. For anything else (False, or a
keyword this module does not know: :class:`Unsupported`), jsonschema runs as before and finds
and words the errors.

Each keyword that asl.schema.json uses is applied as jsonschema applies it (its
``_keywords.py``, ``_types.py`` and ``_utils.equal``, draft 2020-12). A keyword that is not in
:data:`_KEYWORDS` or :data:`_ANNOTATIONS` raises Unsupported, so the schema can gain keywords
without this module giving a wrong answer. ``tests/test_validate.py`` compares the two
validators on every definition the tests hold and on mutations of them.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class Unsupported(Exception):
    """The schema uses something this module does not apply: ask jsonschema."""


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "null": lambda value: value is None,
    "number": lambda value: isinstance(value, numbers.Number) and not isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def _is(value: Any, kind: str) -> bool:
    check = _TYPES.get(kind)
    if check is None:  # jsonschema raises UnknownType
        raise Unsupported(f"type {kind!r}")
    return check(value)


def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality for ``const`` and ``enum``: ``True`` is not ``1``, in containers too."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and equal(value, two[key]) for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


_TRUE, _FALSE = object(), object()


def _unbool(value: Any) -> Any:
    return _TRUE if value is True else _FALSE if value is False else value


class _Check:
    """One schema, its ``$ref`` targets looked up once each."""

    def __init__(self, root: dict) -> None:
        self.root = root
        self.targets: dict[str, Any] = {}

    def valid(self, instance: Any, schema: Any) -> bool:
        if schema is True or schema is False:
            return schema
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            keyword_holds = _KEYWORDS.get(keyword)
            if keyword_holds is None:
                raise Unsupported(f"keyword {keyword!r}")
            if not keyword_holds(self, value, instance, schema):
                return False
        return True

    def target(self, ref: str) -> Any:
        """The schema ``ref`` names: only ``#/...`` pointers into the root schema."""
        if ref not in self.targets:
            if not ref.startswith("#/") or "%" in ref:
                raise Unsupported(f"$ref {ref!r}")
            node: Any = self.root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise Unsupported(f"$ref {ref!r}")
                node = node[part]
            self.targets[ref] = node
        return self.targets[ref]


def _extras(instance: dict, schema: dict) -> list:
    """jsonschema's ``find_additional_properties``."""
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    return [name for name in instance if name not in properties and not (patterns and re.search(patterns, name))]


def _additional_properties(check: _Check, allowed: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, dict):
        return True
    extras = _extras(instance, schema)
    if isinstance(allowed, dict):
        return all(check.valid(instance[name], allowed) for name in extras)
    return bool(allowed) or not extras


def _properties(check: _Check, properties: dict, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(check.valid(instance[name], sub) for name, sub in properties.items() if name in instance)


def _items(check: _Check, items: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    return all(check.valid(item, items) for item in instance)


def _if(check: _Check, condition: Any, instance: Any, schema: dict) -> bool:
    branch = "then" if check.valid(instance, condition) else "else"
    return branch not in schema or check.valid(instance, schema[branch])


def _type(check: _Check, types: Any, instance: Any, schema: dict) -> bool:
    return any(_is(instance, kind) for kind in ([types] if isinstance(types, str) else types))


def _number(compare: Callable[[Any, Any], bool]) -> Callable[[_Check, Any, Any, dict], bool]:
    return lambda check, limit, instance, schema: not _is(instance, "number") or compare(instance, limit)


def _size(kind: str, compare: Callable[[int, Any], bool]) -> Callable[[_Check, Any, Any, dict], bool]:
    return lambda check, limit, instance, schema: not _is(instance, kind) or compare(len(instance), limit)


# keyword -> does the instance satisfy it (check, the keyword's value, instance, the schema)
_KEYWORDS: dict[str, Callable[[_Check, Any, Any, dict], bool]] = {
    "$ref": lambda check, ref, instance, schema: check.valid(instance, check.target(ref)),
    "type": _type,
    "properties": _properties,
    "required": lambda check, names, instance, schema: (
        not isinstance(instance, dict) or all(name in instance for name in names)
    ),
    "additionalProperties": _additional_properties,
    "propertyNames": lambda check, names, instance, schema: (
        not isinstance(instance, dict) or all(check.valid(name, names) for name in instance)
    ),
    "const": lambda check, value, instance, schema: equal(instance, value),
    "enum": lambda check, values, instance, schema: any(equal(value, instance) for value in values),
    "if": _if,
    "then": lambda check, then, instance, schema: True,  # applied by "if"
    "else": lambda check, else_, instance, schema: True,
    "allOf": lambda check, subs, instance, schema: all(check.valid(instance, sub) for sub in subs),
    "anyOf": lambda check, subs, instance, schema: any(check.valid(instance, sub) for sub in subs),
    "items": _items,
    "minimum": _number(lambda value, limit: not value < limit),
    "maximum": _number(lambda value, limit: not value > limit),
    "minItems": _size("array", lambda size, limit: not size < limit),
    "minLength": _size("string", lambda size, limit: not size < limit),
    "maxLength": _size("string", lambda size, limit: not size > limit),
    "minProperties": _size("object", lambda size, limit: not size < limit),
    "pattern": lambda check, pattern, instance, schema: not isinstance(instance, str) or bool(re.search(pattern, instance)),
}
# what jsonschema does not check
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"})


def accepts(schema: dict, instance: Any) -> bool:
    """True when jsonschema's Draft202012Validator finds no error in ``instance``; False when
    it finds one. Raises Unsupported for a schema it cannot answer for (and RecursionError as
    jsonschema would, a little deeper)."""
    return _Check(schema).valid(instance, schema)
