"""Choice rules: the values that make a condition true or false, fixed in the trees (up to
``MAX_WAYS`` ways for And / Or / Not)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from asl2durable.lower import ir
from asl2durable.render.testgen.model import ABSENT, HOLE, UNKNOWN, JsonOf, Merged, Ref, Stop, _Scope, _Walk
from asl2durable.render.testgen.support import _runtime_helpers
from asl2durable.render.testgen.trees import _fixable, _frozen, _node, _read, _resolve, _set, _simple_steps, _step


def _candidates(operator: str, operand: Any) -> list:
    if operator.startswith("String"):
        if operator == "StringMatches":
            literal = re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*", "", operand))
            return [literal, literal + "x", "x" + literal, "", "~"]
        return [operand, operand + "z", "", "a", "~", operand[:-1]]
    if operator.startswith("Numeric"):
        return [operand, operand + 1, operand - 1, 0, operand + 0.5, operand - 0.5]
    if operator == "BooleanEquals":
        return [operand, not operand]
    if operator.startswith("Timestamp"):
        moment = _parse_time(operand)
        if moment is None:
            return []
        return [_iso(moment), _iso(moment + _dt.timedelta(days=1)), _iso(moment - _dt.timedelta(days=1))]
    return {
        "IsNull": [None, "x"],
        "IsNumeric": [1, "x"],
        "IsString": ["x", 1],
        "IsBoolean": [True, "x"],
        "IsTimestamp": ["2024-01-01T00:00:00Z", "x"],
    }.get(operator, [])


def _parse_time(text: Any) -> _dt.datetime | None:
    return _runtime_helpers().parse_timestamp(text)


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_OPERAND_PLACEHOLDER = {"String": "value", "Numeric": 1, "Boolean": True, "Timestamp": "2024-01-01T00:00:00Z"}


def _compare_value(w: _Walk, value: Any) -> Any:
    """The value a comparison sees, for a value that is not a hole."""
    value = _resolve(w, value)
    if isinstance(value, Ref) and isinstance(_node(w, value), JsonOf):
        raise Stop("a Choice tests a value the walk does not know")
    if isinstance(value, (Ref, Merged, dict)):
        return {}
    if isinstance(value, list):
        return []
    if value is UNKNOWN or isinstance(value, JsonOf):
        raise Stop("a Choice tests a value the walk does not know")
    return value


MAX_WAYS = 4  # the ways to satisfy one condition that the walk keeps


def _ways(w: _Walk, scope: _Scope, data: Any, condition: Any, want: bool) -> list[_Walk]:
    """Copies of ``w`` in which ``condition`` evaluates to ``want`` (up to MAX_WAYS of them:
    an And made false by its first, second, ... rule; an Or made true likewise)."""
    if isinstance(condition, ir.Combinator):
        rules = condition.rules
        if condition.kind == "Not":
            return _ways(w, scope, data, rules[0], not want)
        if (condition.kind == "And") == want:  # And→true / Or→false: every rule must give `want`
            ways = [w]
            for rule in rules:
                ways = [x for way in ways for x in _ways(way, scope, data, rule, want)][:MAX_WAYS]
            return ways
        out: list[_Walk] = []
        for i in range(len(rules)):  # short-circuit: rules before i give `not want`, rule i gives `want`
            ways = [w]
            for rule in rules[:i]:
                ways = [x for way in ways for x in _ways(way, scope, data, rule, not want)][:MAX_WAYS]
            out.extend(x for way in ways for x in _ways(way, scope, data, rules[i], want))
        return out[:MAX_WAYS]
    one = _solve(w, scope, data, condition, want)
    return [] if one is None else [one]


def _taking(w: _Walk, scope: _Scope, data: Any, rules: list, i: int) -> _Walk | None:
    """A way in which Choice rule ``i`` is true and the rules before it are false, fixing rule
    ``i``'s values first (so that "not COMPLETED" does not rule out "FAILED")."""
    for way in _ways(w, scope, data, rules[i].condition, True):
        ways = [way]
        for rule in rules[:i]:
            ways = [x for y in ways for x in _ways(y, scope, data, rule.condition, False)][:MAX_WAYS]
        if ways:
            return ways[0]
    return None


def _solve(w: _Walk, scope: _Scope, data: Any, condition: Any, want: bool) -> _Walk | None:
    """A copy of ``w`` in which ``condition`` evaluates to ``want`` (None: none found)."""
    compare = _runtime_helpers().compare
    w = w.fork()
    try:
        if isinstance(condition, ir.Combinator):
            ways = _ways(w, scope, data, condition, want)
            return ways[0] if ways else None
        if isinstance(condition, ir.Jsonata):
            return None  # handled by the caller (evaluated, not solved)
        operator, operand = condition.operator, condition.operand
        if operator == "IsPresent":
            return _solve_present(w, scope, data, condition.variable.spec, operand == want)
        value = _read(w, scope, data, condition.variable.spec)
        if operator.endswith("Path"):
            other = _read(w, scope, data, operand.spec)
            operator = operator[: -len("Path")]
            if _fixable(w, other):
                family = next((f for f in _OPERAND_PLACEHOLDER if operator.startswith(f)), "String")
                _set(w, other, _OPERAND_PLACEHOLDER[family])
            operand = _compare_value(w, other)
        if _fixable(w, value):
            for candidate in _candidates(operator, operand):
                try:
                    if compare(operator, candidate, operand) == want:
                        _set(w, value, candidate)
                        return w
                except (TypeError, ValueError):
                    continue
            return None
        return w if compare(operator, _compare_value(w, value), operand) == want else None
    except Stop:
        return None


def _solve_present(w: _Walk, scope: _Scope, data: Any, spec: Any, present: bool) -> _Walk | None:
    root, steps = spec[0], spec[1]
    if root != "$":
        return w if present == _safe_present(w, scope, data, spec) else None
    value: Any = data
    steps = _simple_steps(steps)
    for i, step in enumerate(steps):
        value = _resolve(w, value)
        if isinstance(value, Ref):
            node = _node(w, value)
            frozen = _frozen(w, value.root, value.path)
            if node is HOLE or (isinstance(node, dict) and isinstance(step, str) and step not in node):
                if frozen:
                    return None if present else w
                if present:
                    _read(w, scope, value, ("$", tuple(("key" if isinstance(s, str) else "index", s) for s in steps[i:])))
                    return w
                if not isinstance(step, str):
                    return None
                if node is HOLE:
                    _set(w, value, {})
                _set(w, value.child(step), ABSENT)
                return w
            if isinstance(node, dict) and node.get(step) is ABSENT:
                return None if present else w
            if not isinstance(node, (dict, list)):
                return None if present else w
            value = value.child(step)
            continue
        try:
            value = _step(w, value, step)
        except Stop:
            return None if present else w
    return w if present else None


def _safe_present(w: _Walk, scope: _Scope, data: Any, spec: Any) -> bool:
    _read(w, scope, data, spec)  # a context-object or variable path: present, or the walk stops
    return True
