"""The environment variables the handler reads (``ir.Setting`` placeholders) and the IR as the
generated tests see it, each variable set to its value there."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from asl2durable.lower import ir
from asl2durable.load.placeholders import PLACEHOLDER


def settings(workflow: ir.Workflow) -> dict[str, str]:
    """The environment variables the handler reads (``ir.Setting`` placeholders), sorted, each with
    its value in the generated tests: its own name, so a stub's key names the variable that selects
    it; a variable read as JSON (a typed setting) its value at conversion, else its name as a JSON
    string."""
    found: dict[str, str] = {}
    _collect_settings(workflow, found)
    return dict(sorted(found.items()))


def _collect_settings(value: Any, found: dict[str, str]) -> None:
    if value is None or isinstance(value, (str, int, float)):  # (most of the IR's values)
        return
    if isinstance(value, ir.Setting):
        for _, variable in value.env:
            if value.typed:
                found[variable] = value.example if value.example is not None else json.dumps(variable)
            else:
                found.setdefault(variable, variable)
    elif isinstance(value, list) and len(value) == 3 and value[0] == "setting" and isinstance(value[2], dict):
        for variable in value[2].values():  # a setting argument of an intrinsic
            found.setdefault(variable, variable)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_settings(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_settings(v, found)
    else:
        for name in ir.field_names(type(value)) or ():  # a dataclass: its fields
            _collect_settings(getattr(value, name), found)


def _expand_settings(value: Any, values: dict[str, str]) -> Any:
    """``value`` (IR) with every ``ir.Setting`` (and setting argument of an intrinsic) replaced by
    what it reads in the generated tests, where each variable is set as ``settings`` says
    (``${Fn}`` → ``"FnArn"`` when the variable is ``FnArn``); a part without one is the same
    object (see ``_same``)."""
    if value is None or isinstance(value, (str, int, float)):  # (most of the IR's values)
        return value
    if isinstance(value, ir.Setting):
        env = dict(value.env)
        text = PLACEHOLDER.sub(lambda m: values.get(env.get(m.group(1), ""), m.group(0)), value.text)
        if value.typed:
            try:
                return json.loads(text)
            except ValueError:  # the handler fails on it, as the tests will show
                return text
        return text
    if isinstance(value, list) and len(value) == 3 and value[0] == "setting" and isinstance(value[2], dict):
        env = value[2]
        return ["lit", PLACEHOLDER.sub(lambda m: values.get(env.get(m.group(1), ""), m.group(0)), value[1])]
    if isinstance(value, dict):
        expanded = {k: _expand_settings(v, values) for k, v in value.items()}
        return value if _same(expanded.values(), value.values()) else expanded
    if isinstance(value, list):
        items = [_expand_settings(v, values) for v in value]
        return value if _same(items, value) else items
    if isinstance(value, tuple):
        items = [_expand_settings(v, values) for v in value]
        return value if _same(items, value) else tuple(items)
    names = ir.field_names(type(value))
    if names is not None:  # a dataclass
        fields = [getattr(value, name) for name in names]
        items = [_expand_settings(v, values) for v in fields]
        return value if _same(items, fields) else dataclasses.replace(value, **dict(zip(names, items)))
    return value


def _same(expanded: Any, original: Any) -> bool:
    """Did expanding leave every part as it was? Then the original stands for the copy: the
    plan reads the IR and changes none of it (it copies what it builds on), and most
    machines have no setting at all."""
    return all(a is b for a, b in zip(expanded, original))
