"""Compile-time helpers for Step Functions JSONata expressions ("{% ... %}" strings).

Parsing uses jsonata-python through the runtime module (``asl2durable.runtime.asl_jsonata``),
so the translator, the validator and generated handlers agree on what parses. What an
expression may refer to at its top level is checked by ``top_level_references``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = [
    "is_expression",
    "expression_text",
    "check_expression",
    "uses_nondeterminism",
    "top_level_references",
    "reads_the_clock",
]


def _runtime() -> ModuleType:
    """The runtime's JSONata module, imported on first use: it imports jsonata-python, which
    costs start-up time, and most definitions hold no expression."""
    from asl2durable.runtime import asl_jsonata

    return asl_jsonata


def is_expression(value: object) -> bool:
    """True for a string that starts with "{%" and ends with "%}" (no surrounding spaces:
    AWS treats " {% x %} " as a literal string)."""
    return isinstance(value, str) and value.startswith("{%") and _runtime().is_expression(value)


def reads_the_clock(value: str) -> bool:
    """Does a field's string call $now() or $millis() (the runtime's test)?"""
    return bool(_runtime().reads_the_clock(value))


def expression_text(value: str) -> str:
    """The text between "{%" and "%}", stripped."""
    return _runtime().expression_text(value)


def check_expression(value: str) -> str | None:
    """None when the expression (a "{% %}" string or a bare expression) parses with
    jsonata-python, else the parser's message as AWS words it, e.g.
    'Expected "]", got ","' (without the S0202 code)."""
    return _runtime().parse_error(expression_text(value))


#: Calls whose result differs from one run (or replay) to the next.
_NONDETERMINISTIC = re.compile(r"\$(uuid|random|now|millis)\s*\(")


def uses_nondeterminism(text: str) -> bool:
    """True when the expression calls $uuid(), $random(), $now() or $millis()."""
    return _NONDETERMINISTIC.search(_without_literals(text)) is not None


def _without_literals(text: str) -> str:
    """The expression with its string literals and comments blanked out, so that
    '"$uuid()"' in a string does not count as a call."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def top_level_references(value: str) -> list[str]:
    """Names the expression reads from the (absent) input document at its top level: a bare
    field name such as ``phone`` in "{% phone %}", and the context references ``$`` and
    ``$$``. AWS rejects these (its data is only ``$states`` and variables). Positions whose
    context is something else (later path steps, predicates, function bodies, sort keys) are
    not looked at. Empty when the expression does not parse."""
    compiled = _runtime()._compile(expression_text(value))
    if compiled.error is not None:
        return []
    found: list[str] = []
    _walk_top(compiled.engine.ast, found)
    return found


def _walk_top(node: object, found: list[str]) -> None:
    """Collect top-level references in ``node``, which is evaluated against the root context."""
    if isinstance(node, (list, tuple)):
        for item in node:
            _walk_top(item, found)
        return
    from jsonata.parser import Parser

    if not isinstance(node, Parser.Symbol):
        return
    kind = node.type
    if kind == "name":
        found.append(str(node.value))
    elif kind == "variable":
        if not node.value:
            found.append("$")
        elif node.value == "$":
            found.append("$$")
        # its predicates run against the variable's value, not the root
    else:
        for child in _TOP_CHILDREN.get(kind, _no_children)(node):
            _walk_top(child, found)


def _no_children(node: Any) -> list:
    # literals, regexes, lambdas, sort/transform/descendant/wildcard...: nothing (or not
    # knowingly at the top level)
    return []


def _path_children(node: Any) -> list:
    steps = getattr(node, "steps", None) or []
    return [steps[0]] if steps else []


def _unary_children(node: Any) -> list:
    if node.value == "-":
        return [getattr(node, "expression", None)]
    if node.value == "[":
        return [getattr(node, "expressions", None)]
    if node.value == "{":
        return list(getattr(node, "lhs_object", None) or [])
    return []


def _both_sides(node: Any) -> list:
    return [getattr(node, "lhs", None), getattr(node, "rhs", None)]


# The parts of a node evaluated against the same context as the node, by its type
_TOP_CHILDREN: dict[str, Callable[[Any], list]] = {
    "path": _path_children,
    "binary": _both_sides,
    "apply": _both_sides,
    "bind": lambda node: [getattr(node, "rhs", None)],
    "unary": _unary_children,
    "condition": lambda node: [getattr(node, part, None) for part in ("condition", "then", "_else")],
    "block": lambda node: [getattr(node, "expressions", None)],
    "function": lambda node: [getattr(node, "arguments", None)],
    "partial": lambda node: [getattr(node, "arguments", None)],
}
