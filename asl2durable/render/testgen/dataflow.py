"""The JSONPath data flow of a state on symbolic values: Parameters and other templates,
intrinsic functions (evaluated with the real support module), InputPath / OutputPath /
ResultPath, and the number fields read from the data."""

from __future__ import annotations

import copy
from typing import Any

from asl2durable.lower import ir
from asl2durable.render.testgen.jsonata_fields import _jsonata
from asl2durable.render.testgen.model import HOLE, UNKNOWN, JsonOf, Ref, Stop, _Scope, _Walk
from asl2durable.render.testgen.support import _runtime_module
from asl2durable.render.testgen.trees import (
    _concrete,
    _fixable,
    _frozen,
    _node,
    _read,
    _resolve,
    _set,
    _set_path,
    _simple_steps,
)


def _template(w: _Walk, scope: _Scope, data: Any, template: Any) -> Any:
    if isinstance(template, ir.Path):
        return _read(w, scope, data, template.spec)
    if isinstance(template, ir.Intrinsic):
        return _intrinsic(w, scope, data, template)
    if isinstance(template, dict):
        return {k: _template(w, scope, data, v) for k, v in template.items()}
    if isinstance(template, list):
        return [_template(w, scope, data, v) for v in template]
    return template


def _intrinsic(w: _Walk, scope: _Scope, data: Any, call: ir.Intrinsic) -> Any:
    """Evaluate an intrinsic with the real implementation; the values it reads are frozen."""
    intrinsics = _runtime_module("asl_intrinsics")
    spec = call.spec
    if spec[1] == "States.StringToJson" and len(spec[2]) == 1 and spec[2][0][0] == "path":
        text = _read(w, scope, data, spec[2][0][1])
        if _fixable(w, text):  # the text is the JSON of a new tree, built as it is read
            root = f"json:{len(w.trees)}"
            w.trees[root] = HOLE
            _set(w, text, JsonOf(root))
            return Ref(root)
        if isinstance(text, Ref) and isinstance(_node(w, text), JsonOf):
            return Ref(_node(w, text).root)
    unknown: list = []
    _prefill(w, scope, data, call.spec)

    def resolve(spec: Any) -> Any:
        return _concrete(w, _read(w, scope, data, spec), unknown, freeze=True)

    try:
        value = intrinsics.evaluate(call.spec, resolve)
    except Stop:
        raise
    except Exception as err:  # the call would fail at run time (or differ): not a simple path
        raise Stop(f"intrinsic {call.text} fails on the synthesized input ({type(err).__name__})") from None
    return UNKNOWN if unknown or call.nondeterministic else value


# A value for a hole that an intrinsic reads, by function and argument position ("*": any).
_INTRINSIC_ARGS = {
    "States.StringToJson": {0: "{}"},
    "States.MathAdd": {"*": 1},
    "States.MathRandom": {"*": 1},
    "States.ArrayLength": {0: []},
    "States.ArrayUnique": {0: []},
    "States.ArrayContains": {0: []},
    "States.ArrayGetItem": {0: ["item"], 1: 0},
    "States.ArrayRange": {"*": 1},
    "States.ArrayPartition": {0: [], 1: 1},
    "States.StringSplit": {0: "a,b", 1: ","},
    "States.Base64Decode": {0: ""},
    "States.Base64Encode": {0: "x"},
    "States.Hash": {0: "x", 1: "SHA-256"},
    "States.Format": {"*": "x"},
}


def _prefill(w: _Walk, scope: _Scope, data: Any, spec: Any) -> None:
    """Give the holes an intrinsic reads values of the types its function takes."""
    if not (isinstance(spec, list) and spec and spec[0] == "call"):
        return
    table = _INTRINSIC_ARGS.get(spec[1], {})
    for i, arg in enumerate(spec[2]):
        if arg[0] == "call":
            _prefill(w, scope, data, arg)
        elif arg[0] == "path":
            wanted = table.get(i, table.get("*"))
            try:
                value = _read(w, scope, data, arg[1])
            except Stop:
                continue
            if wanted is not None and _fixable(w, value):
                _set(w, value, copy.deepcopy(wanted))


def _select(w: _Walk, scope: _Scope, data: Any, p: Any) -> Any:
    """InputPath / OutputPath (None: an empty object)."""
    if p is ir.DEFAULT:
        return data
    if p is None:
        return {}
    return _read(w, scope, data, p.spec)


def _result_path(w: _Walk, state_input: Any, result: Any, p: Any) -> Any:
    if p is ir.DEFAULT:
        return result
    if p is None:
        return state_input
    root, steps = p.spec
    if root != "$":
        raise Stop("a ResultPath that is not rooted at $")
    return _set_path(w, state_input, _simple_steps(steps), result)


def _integer(w: _Walk, scope: _Scope, data: Any, p: Any, default: int) -> int:
    value = _read(w, scope, data, p.spec)
    if isinstance(value, Ref) and _node(w, value) is HOLE and not _frozen(w, value.root, value.path):
        _set(w, value, default)
        return default
    value = _resolve(w, value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Stop("a number read from the data is not a small whole number")
    return value


def _number_field(w: _Walk, scope: _Scope, value: Any, field_name: str, bindings: dict) -> None:
    """A literal or JSONata number field: check it evaluates to a whole number (a literal
    ``"${Placeholder}"`` left in the definition fails at run time)."""
    if isinstance(value, ir.Jsonata):
        _jsonata(w, scope, value, field_name, bindings, expect="integer")
    elif value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Stop(f"{field_name} is not a whole number")
