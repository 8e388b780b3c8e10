"""The trees under construction (the execution input, each stub's answer): reading a JSONPath
adds the members it reads (holes); ``_concrete`` turns a value into plain JSON."""

from __future__ import annotations

import copy
import json
from typing import Any

from asl2durable.render.testgen.model import ABSENT, HOLE, UNKNOWN, JsonOf, Merged, Ref, Stop, _Scope, _Walk


def _frozen(w: _Walk, root: str, path: tuple) -> bool:
    return any(r == root and path[: len(p)] == p for r, p in w.frozen)


def _locate(w: _Walk, ref: Ref) -> tuple[Any, Any]:
    """The container and key of ``ref``'s node, creating members on the way (holes)."""
    if ref.root.startswith("result:"):
        w.read.add(ref.root)
    container, key = w.trees, ref.root
    for depth, step in enumerate(ref.path):
        node = container[key]
        if node is HOLE:
            if _frozen(w, ref.root, ref.path[:depth]):
                raise Stop("a path into a value fixed earlier")
            node = {} if isinstance(step, str) else []
            container[key] = node
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise Stop(f"a path reads {step!r} from a value that is not an object")
            if step not in node:
                if _frozen(w, ref.root, ref.path[:depth]):
                    raise Stop("a path into a value fixed earlier")
                node[step] = HOLE
            elif node[step] is ABSENT:
                raise Stop("a path reads a member that must be absent")
        else:
            if not isinstance(node, list) or step < 0:
                raise Stop("a path reads an index from a value that is not an array")
            while len(node) <= step:
                if _frozen(w, ref.root, ref.path[:depth]):
                    raise Stop("a path into a value fixed earlier")
                node.append(HOLE)
        container, key = node, step
    return container, key


def _node(w: _Walk, ref: Ref) -> Any:
    container, key = _locate(w, ref)
    return container[key]


def _set(w: _Walk, ref: Ref, value: Any) -> None:
    container, key = _locate(w, ref)
    container[key] = value


def _resolve(w: _Walk, value: Any) -> Any:
    """A Ref whose node is a scalar is that scalar; other values are kept."""
    if isinstance(value, Ref):
        node = _node(w, value)
        if node is HOLE or isinstance(node, (dict, list, JsonOf)):
            return value
        return node
    return value


def _step(w: _Walk, value: Any, step: Any) -> Any:
    value = _resolve(w, value)
    if isinstance(value, Ref):
        return _resolve(w, value.child(step))
    if isinstance(value, Merged):
        if isinstance(step, str) and step in value.fields:
            return value.fields[step]
        if not isinstance(step, str):
            raise Stop("a path reads an index from an object")
        return _step(w, value.base, step)
    if isinstance(step, str) and isinstance(value, dict):
        if step not in value:
            raise Stop(f"a path reads {step!r}, which the data does not have")
        return value[step]
    if isinstance(step, int) and isinstance(value, list):
        if not 0 <= step < len(value):
            raise Stop("a path reads an index past the end of an array")
        return value[step]
    raise Stop("a path reads from a value the walk does not know")


def _step_raw(w: _Walk, value: Any, step: Any) -> Any:
    """Like ``_step``, but a member of a tree stays a Ref (so that it can be fixed)."""
    base = _resolve(w, value)
    if isinstance(base, Ref):
        _node(w, base.child(step))
        return base.child(step)
    return _step(w, base, step)


def _simple_steps(steps: Any) -> list:
    out = []
    for step in steps:
        if step[0] == "key" or step[0] == "index":
            out.append(step[1])
        else:
            raise Stop(f"a path with {step[0]} steps")
    return out


_CONTEXT_LEAVES = {
    ("Execution", "Id"), ("Execution", "Name"), ("Execution", "RoleArn"), ("Execution", "StartTime"),
    ("Execution", "RedriveCount"), ("State", "Name"), ("State", "EnteredTime"), ("State", "RetryCount"),
    ("StateMachine", "Id"), ("StateMachine", "Name"), ("Task", "Token"),
}


def _read(w: _Walk, scope: _Scope, data: Any, spec: Any) -> Any:
    """The value at a JSONPath (root ``$``, ``$$`` or ``$variable``) with simple steps."""
    root, steps = spec[0], _simple_steps(spec[1])
    if root == "$":
        value = data
    elif root == "$$":
        head = tuple(steps[:2])
        if head == ("Execution", "Input"):
            value, steps = Ref("input"), steps[2:]
        elif tuple(steps[:3]) == ("Map", "Item", "Value") and scope.in_map:
            value, steps = scope.item, steps[3:]
        elif tuple(steps[:3]) == ("Map", "Item", "Index") and scope.in_map and len(steps) == 3:
            return scope.index
        elif head == ("Task", "Token") and not w.task_token:
            raise Stop("$$.Task.Token outside a callback Task")
        elif head in _CONTEXT_LEAVES and len(steps) == 2:
            return UNKNOWN
        else:
            raise Stop("a context-object path")
    else:
        name = root[1:]
        if name not in w.variables:
            raise Stop(f"variable ${name} is not known")
        value = w.variables[name]
    for step in steps:
        value = _step(w, value, step)
    return value


def _placeholder(path: tuple) -> Any:
    """The value of a member nothing constrains: its name (an array element: "item")."""
    if path and isinstance(path[-1], str) and path[-1]:
        return path[-1]
    return "item"


_NONE = object()


def _concrete(w: _Walk, value: Any, unknown: list | None = None, freeze: bool = False, filler: Any = None) -> Any:
    """Plain JSON for a value; holes become placeholders (fixed in the tree when ``freeze``).
    UNKNOWN parts are ``filler`` (None), and make ``unknown`` non-empty."""
    if isinstance(value, Ref):
        return _concrete_ref(w, value, freeze)
    if isinstance(value, Merged):
        base = _concrete(w, value.base, unknown, freeze, filler)
        if not isinstance(base, dict):
            raise Stop("ResultPath into a value that is not an object")
        return {**base, **{k: _concrete(w, x, unknown, freeze, filler) for k, x in value.fields.items()}}
    if isinstance(value, dict):
        return {k: _concrete(w, x, unknown, freeze, filler) for k, x in value.items()}
    if isinstance(value, list):
        return [_concrete(w, x, unknown, freeze, filler) for x in value]
    if value is UNKNOWN:
        if unknown is not None:
            unknown.append(True)
        return filler
    return value


def _concrete_ref(w: _Walk, ref: Ref, freeze: bool) -> Any:
    """Plain JSON for a place in a tree (frozen there when ``freeze``)."""
    if ref.root.startswith("result:"):
        w.read.add(ref.root)
    out = _tree_json(w, _node(w, ref), ref.path)
    if freeze:
        _set(w, ref, copy.deepcopy(out))
        w.frozen.add((ref.root, ref.path))
    return out


def _tree_json(w: _Walk, node: Any, path: tuple) -> Any:
    """Plain JSON for a node of a tree at ``path``: holes become placeholders, absent members are left out."""
    if isinstance(node, JsonOf):
        return json.dumps(_tree_json(w, w.trees[node.root], ()), separators=(",", ":"))
    if node is HOLE:
        return {} if path == () else _placeholder(path)  # a whole input or result: an object
    if isinstance(node, dict):
        return {k: _tree_json(w, v, path + (k,)) for k, v in node.items() if v is not ABSENT}
    if isinstance(node, list):
        return [_tree_json(w, v, path + (i,)) for i, v in enumerate(node)]
    return node


def _require_object(w: _Walk, value: Any) -> None:
    value = _resolve(w, value)
    if isinstance(value, Ref):
        if _node(w, value) is HOLE:
            if _frozen(w, value.root, value.path):
                raise Stop("a value fixed earlier")
            _set(w, value, {})
        elif not isinstance(_node(w, value), dict):
            raise Stop("ResultPath into a value that is not an object")
    elif not isinstance(value, (dict, Merged)):
        raise Stop("ResultPath into a value that is not an object")


def _set_path(w: _Walk, value: Any, steps: list, result: Any) -> Any:
    """ResultPath: ``value`` with ``result`` placed at ``steps``."""
    if not steps:
        return result
    key, rest = steps[0], steps[1:]
    if not isinstance(key, str):
        raise Stop("a ResultPath with an index")
    value = _resolve(w, value)
    _require_object(w, value)
    if isinstance(value, Ref):
        inner = _set_path(w, value.child(key), rest, result) if rest else result
        return Merged(value, {key: inner})
    if isinstance(value, Merged):
        current = value.fields[key] if key in value.fields else (value.base.child(key) if rest else None)
        return Merged(value.base, {**value.fields, key: _set_path(w, current, rest, result) if rest else result})
    current = value.get(key, {}) if rest else None
    return {**value, key: _set_path(w, current, rest, result) if rest else result}


def _fixable(w: _Walk, value: Any) -> bool:
    return isinstance(value, Ref) and _node(w, value) is HOLE and not _frozen(w, value.root, value.path)
