"""Compile-time helpers for Step Functions JSONata expressions ("{% ... %}" strings).

Parsing uses jsonata-python through the runtime module (``asl2durable.runtime.asl_jsonata``),
so the translator, the validator and generated handlers agree on what parses. What an
expression may refer to at its top level is checked by ``top_level_references``.
"""

from __future__ import annotations

import re
from types import ModuleType

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
    if kind == "path":
        steps = getattr(node, "steps", None) or []
        if steps:
            _walk_top(steps[0], found)
        return
    if kind == "name":
        found.append(str(node.value))
        return
    if kind == "variable":
        if not node.value:
            found.append("$")
        elif node.value == "$":
            found.append("$$")
        return  # its predicates run against the variable's value, not the root
    if kind in ("binary", "apply", "bind"):
        if kind != "bind":
            _walk_top(getattr(node, "lhs", None), found)
        _walk_top(getattr(node, "rhs", None), found)
        return
    if kind == "unary":
        if node.value == "-":
            _walk_top(getattr(node, "expression", None), found)
        elif node.value == "[":
            _walk_top(getattr(node, "expressions", None), found)
        elif node.value == "{":
            for pair in getattr(node, "lhs_object", None) or []:
                _walk_top(pair, found)
        return
    if kind == "condition":
        for part in ("condition", "then", "_else"):
            _walk_top(getattr(node, part, None), found)
        return
    if kind == "block":
        _walk_top(getattr(node, "expressions", None), found)
        return
    if kind in ("function", "partial"):
        _walk_top(getattr(node, "arguments", None), found)
        return
    # literals, regexes, lambdas, sort/transform/descendant/wildcard...: nothing (or not
    # knowingly at the top level)
