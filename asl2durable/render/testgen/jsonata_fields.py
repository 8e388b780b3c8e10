"""JSONata fields on symbolic values: plain member paths (``$states.input.a.b``, ``$var.x``)
are followed like JSONPath; anything else is evaluated with ``asl_jsonata`` on the data built
so far, which is then frozen."""

from __future__ import annotations

import copy
import re
from typing import Any

from asl2durable.lower import ir
from asl2durable.render.testgen.model import HOLE, UNKNOWN, Ref, Stop, _Scope, _Walk
from asl2durable.render.testgen.support import _runtime_module
from asl2durable.render.testgen.trees import _NONE, _concrete, _fixable, _resolve, _set, _step, _step_raw

_SIMPLE_JSONATA = re.compile(r"^\{%\s*\$(states\.(input|result|errorOutput)|(?!states\b)[A-Za-z_][A-Za-z0-9_]*)((\.[A-Za-z_][A-Za-z0-9_]*)*)\s*%\}$")
_MEMBER = re.compile(r"\$(states\.input|states\.result|[A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_VOLATILE = re.compile(r"\$(now|millis|uuid|random)\s*\(|\$states\.context")


def _expressions(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("{%") and value.rstrip().endswith("%}") else []
    if isinstance(value, dict):
        return [e for v in value.values() for e in _expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    return []


def _jsonata(w: _Walk, scope: _Scope, value: Any, field_name: str, bindings: dict, expect: str | None = None) -> Any:
    """A JSONata field. Plain member paths (``$states.input.a.b``, ``$var.x``) are followed like
    JSONPath; anything else is evaluated with ``asl_jsonata`` on the data built so far, frozen."""
    if isinstance(value, ir.Jsonata):
        value = value.value
    expressions = _expressions(value)
    if all(_SIMPLE_JSONATA.match(e) for e in expressions):
        got = _followed(w, value, bindings, expect)
        if got is not _NONE:
            return got
    jsonata = _runtime_module("asl_jsonata")
    text = " ".join(expressions)
    _freeze_what_is_read(w, text, bindings)
    return _evaluated(jsonata, w, scope, value, field_name, bindings, expect, text)


def _followed(w: _Walk, value: Any, bindings: dict, expect: str | None) -> Any:
    """A field of plain member paths, followed like JSONPath (``_NONE``: evaluate it instead)."""
    if expect is None:
        return _simple_jsonata(w, value, bindings)
    if isinstance(value, str) and expect in _EXPECTED:
        got = _simple_jsonata(w, value, bindings)
        if _fixable(w, got):
            _set(w, got, copy.deepcopy(_EXPECTED[expect]))
        return got if expect == "array" and isinstance(_resolve(w, got), Ref) else _concrete_checked(w, got, expect)
    return _NONE


def _freeze_what_is_read(w: _Walk, text: str, bindings: dict) -> None:
    """Fix what the expressions read, so that it stays as they saw it: each member path (given a
    value guessed from how it is used), each binding and variable read whole, the input when
    they read the context object."""
    for head, steps in _MEMBER.findall(text):  # members the expressions read: part of a simple input
        _freeze_member(w, text, bindings, head, steps)
    for name, bound in bindings.items():  # a binding used whole is fixed whole
        if len(re.findall(r"\$states\." + name + r"\b", text)) > len(re.findall(r"\$states\." + name + r"\.[A-Za-z_]", text)):
            _concrete(w, bound, freeze=True)
    for name, bound in w.variables.items():
        if re.search(r"\$" + re.escape(name) + r"\b", text):
            _concrete(w, bound, freeze=True)
    if "$states.context" in text:
        _concrete(w, Ref("input"), freeze=True)


def _freeze_member(w: _Walk, text: str, bindings: dict, head: str, steps: str) -> None:
    """Fix the member ``$head.steps`` an expression reads (a hole gets a value ``_hint`` guesses)."""
    source = bindings.get(head.split(".", 1)[1], _NONE) if head.startswith("states.") else w.variables.get(head, _NONE)
    if source is _NONE:
        return
    try:
        current = source
        for step in [x for x in steps.split(".") if x]:
            current = _step_raw(w, current, step)
        if _fixable(w, current):
            hint = _hint(text, head + steps)
            if hint is not None:
                _set(w, current, hint)
        _concrete(w, current, freeze=True)  # what the expression saw stays so
    except Stop:
        pass


def _evaluated(jsonata: Any, w: _Walk, scope: _Scope, value: Any, field_name: str, bindings: dict,
               expect: str | None, text: str) -> Any:
    """The field evaluated with ``asl_jsonata`` on the data built so far (UNKNOWN when the result
    depends on values the walk cannot know)."""
    unknown: list = []
    results = []
    for filler in (None, "\u2063"):  # UNKNOWN parts as two different values: the result must not depend on them
        states, variables = _jsonata_data(w, scope, bindings, unknown, filler)
        try:
            result = jsonata.evaluate_template(copy.deepcopy(value), {**variables, "states": states}, field=field_name)
            if expect is not None:
                jsonata.expect_type(result, expect, field=field_name, text=value)
        except Exception as err:  # the field would fail at run time (or differ): not a simple path
            raise Stop(f"a JSONata {field_name} fails on the synthesized input ({type(err).__name__})") from None
        results.append(result)
        if not unknown:
            break
    if len(results) > 1 and results[0] != results[1] or _VOLATILE.search(text):
        return UNKNOWN
    return results[0]


def _jsonata_data(w: _Walk, scope: _Scope, bindings: dict, unknown: list, filler: Any) -> tuple[dict, dict]:
    """``$states`` (the bindings and the context object) and the variables, as plain JSON."""
    states = {k: _concrete(w, v, unknown, filler=filler) for k, v in bindings.items()}
    variables = {k: _concrete(w, v, unknown, filler=filler) for k, v in w.variables.items()}
    states["context"] = {
        "Execution": {"Id": "", "Input": _concrete(w, Ref("input"), unknown, filler=filler), "Name": "", "RoleArn": "",
                      "StartTime": "2024-01-01T00:00:00.000Z", "RedriveCount": 0},
        "State": {"Name": ""},
        "StateMachine": {"Id": "", "Name": ""},
    }
    if scope.in_map:
        states["context"]["Map"] = {"Item": {"Index": scope.index, "Value": _concrete(w, scope.item, unknown, filler=filler)}}
    return states, variables


_EXPECTED = {"array": [HOLE], "integer": 1, "number": 1, "boolean": True, "string": "x"}


def _concrete_checked(w: _Walk, value: Any, expect: str) -> Any:
    got = _concrete(w, value, freeze=True)
    python_type = {"integer": int, "number": (int, float), "boolean": bool, "string": str, "array": list}[expect]
    if not isinstance(got, python_type) or (expect in ("integer", "number") and isinstance(got, bool)):
        raise Stop(f"a JSONata field that is not a{'n' if expect[0] in 'ai' else ''} {expect}")
    return got


def _hint(expression: str, member: str) -> Any:
    """A value for a member an expression reads, guessed from how it is used: aggregated
    (``$sum(x)``: an array of numbers) or in arithmetic/comparison with a number (a number)."""
    name = re.escape("$" + member)
    if re.search(r"\$(sum|max|min|average)\(\s*" + name + r"\s*\)", expression):
        return [1]
    if re.search(r"\$count\(\s*" + name + r"\s*\)", expression):
        return [HOLE]
    number = r"-?\d+(\.\d+)?"
    if re.search(name + r"(?![.\w])\s*([-+*/%<>]=?|!=|=)\s*" + number, expression) or re.search(number + r"\s*([-+*/%<>]=?|!=|=)\s*" + name + r"(?![.\w])", expression):
        return 1
    return None


def _simple_jsonata(w: _Walk, value: Any, bindings: dict) -> Any:
    if isinstance(value, dict):
        return {k: _simple_jsonata(w, v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_simple_jsonata(w, v, bindings) for v in value]
    if not isinstance(value, str):
        return value
    match = _SIMPLE_JSONATA.match(value)
    if not match:
        return value
    head, steps = match.group(1), [s for s in match.group(3).split(".") if s]
    if head.startswith("states."):
        name = head.split(".", 1)[1]
        if name not in bindings:
            raise Stop(f"$states.{name} is not available here")
        current = bindings[name]
    else:
        if head not in w.variables:
            raise Stop(f"variable ${head} is not known")
        current = w.variables[head]
    for step in steps:
        current = _step(w, current, step)
    return current
