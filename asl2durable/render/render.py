"""Rendering: the IR workflow → Python source text, through Jinja templates, then black.

Values from the definition reach the templates only through filters that turn them into
Python literals (``lit``, ``pystr``) or safe comments (``comment``); templates never paste
raw definition text into code. Identifiers come from ``lower`` (sanitised, collision-free).
"""

from __future__ import annotations

import gc
import json
import re
from functools import cache
from typing import Any

import black
import jinja2
import yaml
from black.strings import str_width

from asl2durable.lower import ir

from asl2durable.expressions import jsonata

from asl2durable.render import pyexpr
from asl2durable._resources import resource_dir, template_cache
from asl2durable.lower.ir import reads_clock
from asl2durable.runtime import asl_jsonpath
from asl2durable.lower.structure import routed


def lit(value: Any) -> str:
    """A Python expression for an IR value: JSON data, paths, retriers."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return pyexpr.literal(value)  # as black writes it: "double quotes", 1e-05
    if isinstance(value, ir.Path):
        if _is_simple(value):
            return f"rt.JsonPath({value.text!r})"
        return f"rt.JsonPath({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Intrinsic):
        return f"rt.Intrinsic({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Jsonata):
        return lit(value.value)
    if isinstance(value, ir.Setting):
        typed = ", typed=True" if value.typed else ""
        return f"rt.setting({value.text!r}, {lit(dict(value.env))}{typed})"
    if isinstance(value, ir.Retrier):
        args = [lit(list(value.error_equals))]
        defaults = ir.Retrier(())
        for name in ("interval_seconds", "max_attempts", "backoff_rate", "max_delay_seconds", "jitter"):
            if getattr(value, name) != getattr(defaults, name):
                args.append(f"{name}={lit(getattr(value, name))}")
        return f"rt.Retrier({', '.join(args)})"
    if isinstance(value, tuple):
        return "(" + ", ".join(lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__}")


class Code(str):
    """Python source text that knows the pyexpr tree it was printed from (``tree``) and the
    text of each of its nodes (``flat``, by ``id``): a statement holding it (``statement``)
    is laid out from them, without parsing the text back or printing it again. The
    generated tests' expected values are most of the text laid out."""

    tree: pyexpr.Expr
    flat: dict[int, str]


def asserted_equal(left: str, right: str) -> str:
    """``left == right`` (the ``equals`` template global), for an ``assert`` statement: a
    :class:`Code` when ``right`` is one and ``left`` a name or an attribute of one."""
    text = f"{left} == {right}"
    if not isinstance(right, Code) or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", left):
        return text
    first, *attributes = left.split(".")
    target: pyexpr.Expr = pyexpr.Name(first)
    for attribute in attributes:
        target = pyexpr.Attribute(target, attribute)
    code = Code(text)
    code.tree, code.flat = pyexpr.Compare(target, "==", right.tree), right.flat
    return code


def _is_simple(p: ir.Path) -> bool:
    """Can generated code write this path as its text? Yes when the support module's small
    parser (``asl_jsonpath.parse``: a root, then .name, ['name'] and [index] steps) reads
    the text exactly as the translator's grammar does."""
    try:
        return bool(asl_jsonpath.parse(p.text) == p.spec)
    except ValueError:
        return False


def jsonpath(value: ir.Path | None) -> str:
    """A path argument of a data-flow helper: the path's text as a string literal when it is
    simple (``"$.order.id"``), else ``rt.JsonPath(text, spec)`` with the translator's parse;
    ``None`` (a null InputPath, OutputPath or ResultPath) stays ``None``."""
    if value is None:
        return "None"
    if not isinstance(value, ir.Path):
        raise TypeError(f"not a path: {type(value).__name__}")
    return lit(value.text) if _is_simple(value) else lit(value)


def is_default(value: Any) -> bool:
    """Is a field absent? A path field that is ``"$"`` counts as absent: InputPath, OutputPath,
    ResultPath and ItemsPath all default to ``"$"``, which passes the whole value on."""
    if isinstance(value, ir.Path):
        return value.text.strip() == "$" and value.spec == ("$", ())
    return value is ir.DEFAULT


# Context object fields generated code reads from the run directly ($$.Execution.Id is
# run.execution["Id"], $$.Map.Item is run.item); the others from run.context_object().
_CONTEXT_FIELDS = ((("Execution",), "run.execution"), (("StateMachine",), "run.state_machine"), (("Map", "Item"), "run.item"))


def access(value: ir.Path, data: str) -> str | None:
    """A path fixed at translation time as Python data access: ``$.order.id`` reading ``data``
    is ``data["order"]["id"]``, ``$$.Execution.Id`` is ``run.execution["Id"]``, ``$var.a`` is
    ``run.variables["var"]["a"]``; an ``[index]`` step is ``rt.item(...)`` (a string has no
    items in JSONPath). None for any other path (filters, wildcards, slices, functions),
    which stays a runtime call. Only paths the support module's parser reads qualify: where
    Python finds no value, the runtime words the error from the definition's text."""
    if not _is_simple(value):
        return None
    root, steps = value.spec
    if root == "$":
        expr = data
    elif root == "$$":
        keys = tuple(arg for _, arg in steps)
        expr = "run.context_object()"
        for prefix, attribute in _CONTEXT_FIELDS:
            if keys[: len(prefix)] == prefix and all(kind == "key" for kind, _ in steps[: len(prefix)]):
                expr, steps = attribute, steps[len(prefix):]
                break
    else:
        expr = f"run.variables[{lit(root[1:])}]"
    for kind, arg in steps:
        expr = f"{expr}[{lit(arg)}]" if kind == "key" else f"rt.item({expr}, {lit(arg)})"
    return expr


def select(value: Any, data: str) -> str:
    """InputPath, OutputPath or ItemsPath applied to ``data``: ``$`` keeps it, null is ``{}``."""
    if is_default(value):
        return data
    if value is None:
        return "{}"
    return access(value, data) or f"rt.select_input(run, run.state, {data}, {jsonpath(value)})"


# How the runtime reads a ``...Path`` setting from a path that is not fixed: its helper, by the
# Python helper that checks a fixed path's value.
_SETTING_READERS = {
    "seconds": "rt.seconds_from_path(run, run.state, {data}, {path})",
    "moment": "rt.timestamp_from_path(run, run.state, {data}, {path})",
    "integer": "rt.read_integer(run, run.state, {data}, {path}, {field})",
    "fraction": "rt.read_number(run, run.state, {data}, {path}, {field})",
}


_SETTING_CHECKS = {"seconds": "rt.seconds", "moment": "rt.moment", "integer": "rt.integer", "fraction": "rt.fraction"}


def setting(value: ir.Path, data: str, kind: str, field: str) -> str:
    """A ``...Path`` field (SecondsPath, TimeoutSecondsPath, MaxConcurrencyPath, ...) read from
    ``data``: ``rt.seconds(data["delay"])``, which checks the value's type (the decorator
    words a failure as Step Functions does)."""
    read = access(value, data)
    if read is not None:
        return f"{_SETTING_CHECKS[kind]}({read})"
    return _SETTING_READERS[kind].format(data=data, path=jsonpath(value), field=lit(field))


def put(value: Any, data: str, result: str) -> str:
    """ResultPath: ``result`` placed into ``data`` (``$``: the result; null: ``data`` as is)."""
    if is_default(value):
        return result
    if value is None:
        return data
    root, steps = value.spec
    if root == "$" and all(kind in ("key", "index") for kind, _ in steps):
        keys = [arg for _, arg in steps]
        if _reference_text(keys) == value.text:
            return f"rt.put(run, {data}, {result}, {', '.join(lit(k) for k in keys)})"
    return f"rt.apply_result_path(run.state, {data}, {result}, {jsonpath(value)})"


# A key a reference path writes after a dot (asl_jsonpath's simple steps; asl_runtime.path_text).
_DOTTED = re.compile(r"[A-Za-z0-9_\-$\u0080-\U0010FFFF]+")


def _reference_text(keys: list) -> str:
    """``asl_runtime.path_text``: how the runtime writes a reference path in its messages."""
    text = "$"
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        elif _DOTTED.fullmatch(key):
            text += f".{key}"
        else:
            text += f"['{key}']"
    return text


# Choice comparisons as Python: each side is seen through the operator's type (rt.number,
# rt.string, rt.timestamp, rt.boolean give a value that compares false with everything when
# the type is wrong, as a rule of the wrong type is false in Step Functions).
_COMPARED = {"String": ("rt.string", str), "Numeric": ("rt.number", (int, float)), "Timestamp": ("rt.timestamp", None), "Boolean": ("rt.boolean", bool)}
_ORDERS = {"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">="}
_TYPE_TESTS = {
    "IsNull": ("{v} is None", "{v} is not None"),
    "IsNumeric": ("rt.is_number({v})", "not rt.is_number({v})"),
    "IsString": ("isinstance({v}, str)", "not isinstance({v}, str)"),
    "IsBoolean": ("isinstance({v}, bool)", "not isinstance({v}, bool)"),
    "IsTimestamp": ("rt.is_timestamp({v})", "not rt.is_timestamp({v})"),
}


def condition(value: Any, data: str, top: bool = True) -> str:
    """A Choice rule as a Python condition over ``data``."""
    if isinstance(value, ir.Combinator):
        if value.kind == "Not":
            return f"not {condition(value.rules[0], data, top=False)}"
        joined = f" {value.kind.lower()} ".join(condition(r, data, top=False) for r in value.rules)
        return joined if top else f"({joined})"
    return _comparison(value, data) or (
        f"rt.test(run, run.state, {data}, {jsonpath(value.variable)}, {lit(value.operator)}, "
        f"{jsonpath(value.operand) if value.operator.endswith('Path') else lit(value.operand)})"
    )


def _comparison(c: ir.Comparison, data: str) -> str | None:
    """A comparison as Python, or None where it stays an ``rt.test`` call."""
    operator = c.operator
    if operator == "IsPresent":
        root, steps = c.variable.spec
        if not _is_simple(c.variable) or not isinstance(c.operand, bool):
            return None
        if root == "$":
            base = data
        elif root == "$$":
            base = "run.context_object()"
        else:
            base = "run.variables"
            steps = (("key", root[1:]), *steps)
        call = f"rt.present({', '.join([base, *(lit(arg) for _, arg in steps)])})"
        return call if c.operand else f"not {call}"
    value = access(c.variable, data)
    if value is None:
        return None
    if operator in _TYPE_TESTS:
        if not isinstance(c.operand, bool):
            return None
        return _TYPE_TESTS[operator][0 if c.operand else 1].format(v=value)
    if operator == "StringMatches":
        return f"rt.matches({value}, {lit(c.operand)})" if isinstance(c.operand, str) else None
    if operator == "BooleanEquals" and isinstance(c.operand, bool):
        return f"{value} is {c.operand!r}"
    kind = next((k for k in _COMPARED if operator.startswith(k)), None)
    order = operator[len(kind):] if kind else ""
    by_path = order.endswith("Path")
    order = order.removesuffix("Path")
    if kind is None or order not in _ORDERS or (kind == "Boolean" and order != "Equals"):
        return None
    wrap, python_type = _COMPARED[kind]
    if by_path:
        operand = access(c.operand, data)
        if operand is None:
            return None
        operand = f"{wrap}({operand})"
    elif python_type is not None and isinstance(c.operand, python_type) and not (kind == "Numeric" and isinstance(c.operand, bool)):
        operand = lit(c.operand)
    else:
        operand = f"{wrap}({lit(c.operand)})"
    return f"{wrap}({value}) {_ORDERS[order]} {operand}"


def payload(value: Any, data: str, field: str = "Parameters", read: Any = None) -> str:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign, ErrorPath/CausePath)
    as a Python expression: static parts are literals; each dynamic leaf (a ``"key.$"`` field)
    reads the variable ``data``: a fixed path as Python data access (:func:`access`), any other
    with ``rt.get``, an intrinsic call with ``rt.intrinsic``, which name the field when it
    fails, as Step Functions does. ``data`` is a name the template chooses, never text from
    the definition."""
    if isinstance(value, ir.Path):
        return (read or _read)(value, data, field)
    if isinstance(value, ir.Intrinsic):
        spec = _spec(_intrinsic_paths_as_text(value.spec))
        call = intrinsic_call(value.spec, data, field)
        return call or f"rt.intrinsic(run, run.state, {data}, {lit(value.text)}, {spec}, {lit(field)})"
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            dynamic = isinstance(item, (ir.Path, ir.Intrinsic))
            items.append(f"{lit(str(key))}: {payload(item, data, f'{key}.$' if dynamic else str(key), read)}")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(payload(item, data, field, read) for item in value) + "]"
    return lit(value)


def _read(value: ir.Path, data: str, field: str) -> str:
    """A ``"key.$"`` path of a payload: data access, or ``rt.get`` for a path that is not fixed."""
    return access(value, data) or f"rt.get(run, run.state, {data}, {jsonpath(value)}, {lit(field)})"


def intrinsic_call(spec: Any, data: str, field: str = "Parameters") -> str | None:
    """An intrinsic function call as Python: ``States.Format("{} items", data["n"])``
    (``asl_intrinsics.States``); States.UUID and an unseeded States.MathRandom draw in durable
    steps (``rt.uuid4``, ``rt.math_random``). A path argument that is not fixed is read with
    ``rt.get``, named as the function's own reading names it. None for an argument this
    cannot write (then the call stays ``rt.intrinsic``)."""
    kind, name, args = spec
    arguments: list[str | None] = []
    for arg in args:
        if arg[0] in ("lit", "tpl"):
            arguments.append(lit(arg[1]))
        elif arg[0] == "setting" and len(arg) == 3:
            arguments.append(f"rt.setting({lit(arg[1])}, {lit(dict(arg[2]))})")
        elif arg[0] == "call":
            arguments.append(intrinsic_call(arg, data, field))
        elif arg[0] == "path":
            text = _path_as_text(arg[1])
            found = access(ir.Path(text, _tuples(arg[1])), data) if text is not None else None
            if found is None:  # as asl_intrinsics.intrinsic reads it: named by _path_text
                found = f"rt.get(run, run.state, {data}, rt.JsonPath({lit(_runtime_path_text(arg[1]))}, {_spec(arg[1])}), {lit(field)})"
            arguments.append(found)
        else:
            arguments.append(None)
    if None in arguments:
        return None
    if name == "States.UUID":
        return "rt.uuid4(run)"
    if name == "States.MathRandom" and len(arguments) == 2:
        return f"rt.math_random(run, {', '.join(arguments)})"  # type: ignore[arg-type]
    return f"{name}({', '.join(arguments)})"  # type: ignore[arg-type]


# Map fields the runtime evaluates itself (rt.Intrinsic values inside their literals).
_EVALUATED_BY_RUNTIME = frozenset({"item_reader", "item_batcher", "result_writer"})


def uses_intrinsic_calls(workflow: ir.Workflow) -> bool:
    """Does the handler call an intrinsic function through ``asl_intrinsics.States``?"""

    def calls_states(spec: Any) -> bool:
        _, name, args = spec
        direct = name != "States.UUID" and not (name == "States.MathRandom" and len(args) == 2)
        return direct or any(arg[0] == "call" and calls_states(arg) for arg in args)

    def found(value: Any) -> bool:
        if value is None or isinstance(value, (str, int, float)):  # (most of the IR's values)
            return False
        if isinstance(value, ir.Intrinsic):
            return intrinsic_call(value.spec, "data") is not None and calls_states(value.spec)
        if isinstance(value, ir.Machine):
            return False
        names = ir.field_names(type(value))
        if names is not None:  # a dataclass
            return any(found(getattr(value, name)) for name in names if name not in _EVALUATED_BY_RUNTIME)
        if isinstance(value, dict):
            return any(found(item) for item in value.values())
        if isinstance(value, (list, tuple)):
            return any(found(item) for item in value)
        return False

    return any(found(state) for state in workflow.states())


def _runtime_path_text(spec: Any) -> str:
    """``asl_intrinsics._path_text``: how the runtime names an intrinsic's path argument."""
    root, steps = spec
    parts = [root]
    for step in steps:
        kind = step[0]
        parts.append(f".{step[1]}" if kind == "key" else f"[{step[1]}]" if kind == "index" else "[...]")
    return "".join(parts)


def _intrinsic_paths_as_text(spec: Any) -> Any:
    """An intrinsic call's parse with each simple path argument written as text
    (``["path", "$.a"]`` instead of ``["path", ["$", [["key", "a"]]]]``), when the support
    module's parser reads that text back to the same path."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return spec
    if spec[0] == "path" and len(spec) == 2:
        text = _path_as_text(spec[1])
        return ["path", text] if text is not None else spec
    return [_intrinsic_paths_as_text(item) for item in spec]


def _path_as_text(spec: Any) -> str | None:
    """A simple path's text, written back from its parse (``None`` when it is not simple)."""
    root, steps = spec
    text = root
    for step in steps:
        kind, arg = step[0], step[1]
        if kind == "index" and isinstance(arg, int):
            text += f"[{arg}]"
        elif kind == "key" and isinstance(arg, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
            text += f".{arg}"
        elif kind == "key" and isinstance(arg, str) and "'" not in arg and not arg.endswith("\\"):
            text += f"['{arg}']"
        else:
            return None
    try:
        same = asl_jsonpath.parse(text) == _tuples(spec)
    except ValueError:
        return None
    return text if same else None


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


# The error output's fields a catcher's Assign can read as Python: {"Error": ..., "Cause": ...}.
_ERROR_OUTPUT = {(): "error.output", (("key", "Error"),): 'error.output["Error"]', (("key", "Cause"),): 'error.output["Cause"]'}


def catcher_assign(value: Any) -> str:
    """A JSONPath catcher's Assign, whose ``"key.$"`` fields read the error output (``$``,
    ``$.Error`` and ``$.Cause`` always have a value; any other path stays an ``rt.get`` call,
    which words its failure)."""
    return payload(value, "error.output", "Assign", _read_error_output)


def _read_error_output(value: ir.Path, data: str, field: str) -> str:
    if value.spec[0] == "$" and tuple(value.spec[1]) in _ERROR_OUTPUT:
        return _ERROR_OUTPUT[tuple(value.spec[1])]
    return f"rt.get(run, run.state, {data}, {jsonpath(value)}, {lit(field)})"


def sized_lit(value: Any) -> str:
    """A Pass state's Result: its literal, checked against the payload limit only when it is over."""
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    return f"rt.check_size(run.state, {lit(value)})" if size > _PAYLOAD_LIMIT else lit(value)


_PAYLOAD_LIMIT = 256 * 1024  # asl_runtime.PAYLOAD_LIMIT
_LONGEST_DURABLE_WAIT = 31_622_400  # asl_runtime.MAX_DURABLE_WAIT_SECONDS


def is_durable_wait(seconds: Any) -> bool:
    """Is a Wait state's Seconds one durable wait (``context.wait``) as it stands?"""
    return isinstance(seconds, int) and not isinstance(seconds, bool) and 0 < seconds <= _LONGEST_DURABLE_WAIT


def reads_input(value: Any) -> bool:
    """Does a payload template read ``$`` (its input: a Task's result for ResultSelector)?"""
    if isinstance(value, ir.Path):
        return value.spec[0] == "$"
    if isinstance(value, ir.Intrinsic):
        return _call_reads_input(value.spec)
    if isinstance(value, dict):
        return any(reads_input(v) for v in value.values())
    if isinstance(value, list):
        return any(reads_input(v) for v in value)
    return False


def binds_result(state: Any) -> bool:
    """Is a Task/Parallel/Map's result read after its work (so bound to ``result``)? In
    JSONPath, ResultSelector reads it; without one, Assign and the output do (unless
    ResultPath or OutputPath is null). In JSONata, an Output or Assign with an expression."""
    if state.jsonata:  # read by an Output or Assign the engine evaluates
        return any(t is not ir.DEFAULT and _jsonata_python(t.value, None) is None for t in (state.output, state.assign))
    flow = state.flow
    if flow.result_selector is not ir.DEFAULT:
        return reads_input(flow.result_selector)
    assigned = state.assign is not ir.DEFAULT and reads_input(state.assign)
    return assigned or (flow.result_path is not None and flow.output_path is not None)


def _call_reads_input(spec: Any) -> bool:
    return any(
        (arg[0] == "path" and arg[1][0] == "$") or (arg[0] == "call" and _call_reads_input(arg)) for arg in spec[2]
    )


def is_static(value: Any) -> bool:
    """Does a payload template hold no dynamic leaf?"""
    if isinstance(value, (ir.Path, ir.Intrinsic)):
        return False
    if isinstance(value, dict):
        return all(is_static(v) for v in value.values())
    if isinstance(value, list):
        return all(is_static(v) for v in value)
    return True


# JSONata expressions that Python reads with no evaluation, exactly: a Catch's error output
# and its fields ({"Error": str | None, "Cause": str | None}, both always there; plain JSON
# data, which the engine gives back unchanged).
_JSONATA_ERROR_OUTPUT = {
    "$states.errorOutput": "error.output",
    "$states.errorOutput.Error": 'error.output["Error"]',
    "$states.errorOutput.Cause": 'error.output["Cause"]',
}


def jsonata_field(
    value: Any, field: str, result: str | None = None, error_output: str | None = None, expect: str | None = None
) -> str:
    """A JSONata field (``value``: its template) as a Python expression. A template with no
    expression (and no configured placeholder, which could become one) is its literal: the
    engine would give it back unchanged. One whose every expression Python reads exactly
    (:data:`_JSONATA_ERROR_OUTPUT`) is that Python. Any other is evaluated by ``rt.jsonata``
    with the state's input ``data``, the work's ``result`` or the Catch's ``error_output``.
    ``expect`` is the type the field must have (checked by ``rt.jsonata``)."""
    template = value.value if isinstance(value, ir.Jsonata) else value
    if expect is None:
        compiled = _jsonata_python(template, error_output)
        if compiled is not None:
            return compiled
    return f"rt.jsonata({_jsonata_arguments(template, field, result, error_output, expect)})"


def jsonata_assign(value: Any, result: str | None = None, error_output: str | None = None) -> str:
    """A JSONata Assign as a statement: ``run.assign({...})`` for a template Python reads (see
    :func:`jsonata_field`), else ``rt.assign_jsonata``, which evaluates it and assigns."""
    template = value.value if isinstance(value, ir.Jsonata) else value
    compiled = _jsonata_python(template, error_output)
    if compiled is not None:
        return f"run.assign({compiled})"
    return f"rt.assign_jsonata({_jsonata_arguments(template, None, result, error_output, None)})"


def lambda_payload(state: Any) -> tuple[str, str] | None:
    """A JSONata Task that invokes a Lambda function (``lambda:invoke``) whose Arguments name a
    fixed FunctionName and have no member other than Payload to evaluate: ``(payload,
    arguments)``, the Payload evaluated on its own before the call (its field
    "Arguments/Payload", where the engine's walk through the whole template names it too) and
    the arguments as Python data that read it (``{"FunctionName": "pricing", "Payload":
    payload}``). None for any other Task, and where the Payload is evaluated otherwise: in each
    attempt (a Retry) or in a durable step named after its field (it reads the clock)."""
    call, arguments = getattr(state, "call", None), getattr(state, "arguments", ir.DEFAULT)
    if not (state.jsonata and isinstance(call, ir.LambdaCall) and call.envelope and not state.retry):
        return None
    template = arguments.value if isinstance(arguments, ir.Jsonata) else None
    if not isinstance(template, dict) or "Payload" not in template:
        return None
    function = template.get("FunctionName")
    if not isinstance(function, str) or jsonata.is_expression(function):
        return None
    others = [_jsonata_python(v, None) for k, v in template.items() if k != "Payload"]
    payload = template["Payload"]
    if any(v is None for v in others) or _jsonata_python(payload, None) is not None or reads_clock(payload):
        return None
    members = [f"{lit(str(k))}: {'payload' if k == 'Payload' else lit(v)}" for k, v in template.items()]
    return jsonata_field(payload, "Arguments/Payload"), "{" + ", ".join(members) + "}"


def _jsonata_arguments(
    template: Any, field: str | None, result: str | None, error_output: str | None, expect: str | None
) -> str:
    args = ["run", lit(template), *([lit(field)] if field else []), "data"]
    if result:
        args.append(result)
    if error_output:
        args.append(f"error_output={error_output}")
    if expect:
        args.append(f"expect={lit(expect)}")
    if _holds_setting(template):  # (rt.jsonata sees it substituted: it is told)
        args.append(f"reads_clock={reads_clock(template)}")
    return ", ".join(args)


def _holds_setting(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_setting(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_setting(v) for v in value)
    return isinstance(value, ir.Setting)


def _jsonata_python(template: Any, error_output: str | None) -> str | None:
    """Python for a JSONata template Python reads exactly (see :func:`jsonata_field`); None
    for any other."""
    if isinstance(template, ir.Setting):
        return None
    if isinstance(template, str) and jsonata.is_expression(template):
        read = _JSONATA_ERROR_OUTPUT.get(jsonata.expression_text(template))
        return read.replace("error.output", error_output) if read and error_output else None
    if isinstance(template, dict):
        items = [(lit(str(k)), _jsonata_python(v, error_output)) for k, v in template.items()]
        if any(v is None for _, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(template, list):
        values = [_jsonata_python(v, error_output) for v in template]
        if any(v is None for v in values):
            return None
        return "[" + ", ".join(v for v in values if v is not None) + "]"
    return lit(template)


def _spec(spec: Any) -> str:
    """A parsed path (nested tuples of scalars) as a compact literal: nested lists, which
    black keeps on one line (one-element tuples would need trailing commas)."""
    if isinstance(spec, (tuple, list)):
        return "[" + ", ".join(_spec(v) for v in spec) + "]"
    return lit(spec)


def named_plainly(ident: str, name: str) -> bool:
    """Is ``ident`` the plain spelling of the state name ``name`` (lower case, runs of other
    characters as "_")? Then a call needs no comment to say which state it runs."""
    return ident == ir.plain_spelling(name)


def pystr(value: Any) -> str:
    return pyexpr.literal(str(value))


def docstring(text: Any) -> str:
    """Text safe inside a triple-quoted docstring, each line without the trailing spaces
    black would strip."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in str(text))
    text = "\n".join(line.rstrip() for line in cleaned.replace("\\", "\\\\").strip().split("\n"))
    body = text.rstrip('"')  # quotes at the end would run into the closing """: escaped
    return body.replace('"""', '\\"\\"\\"') + '\\"' * (len(text) - len(body))


def comment(text: Any) -> str:
    """Text as Python comment lines: every line starts with '# ', control characters escaped."""
    lines = str(text).splitlines() or [""]
    safe = []
    for line in lines:
        cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line)
        safe.append(("# " + cleaned).rstrip())
    return "\n".join(safe)


class _Dumper(yaml.SafeDumper):
    """Block style, and no aliases for repeated values. Which quoting a scalar needs (its
    analysis, a function of its text alone) is kept: the same keys and values come back in
    every template, and the emitter reads them character by character."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def analyze_scalar(self, scalar: str) -> Any:
        key = (scalar, self.allow_unicode)
        found = _SCALARS.get(key)
        if found is None:
            if len(_SCALARS) >= 10_000:
                _SCALARS.clear()
            found = _SCALARS[key] = super().analyze_scalar(scalar)
        return found


_SCALARS: dict[tuple[str, bool], Any] = {}  # (text, allow_unicode) -> yaml's ScalarAnalysis


def to_yaml(value: Any) -> str:
    """YAML text for data: every string quoted as YAML needs it (a ``yaml`` template filter)."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=False, width=4096)


def md(text: Any) -> str:
    """Text safe on one Markdown line or table cell: whitespace collapsed, control characters,
    pipes, backticks and HTML brackets escaped."""
    cleaned = " ".join(str(text).split())
    cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cleaned)
    for ch in ("\\", "|", "`", "*", "_", "[", "]", "<", ">"):
        cleaned = cleaned.replace(ch, "\\" + ch)
    return cleaned


def code(text: Any) -> str:
    """Text as a Markdown code span: backticks become quotes, pipes are escaped for tables."""
    cleaned = " ".join(str(text).split()).replace("`", "'")
    cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cleaned)
    return "`" + cleaned.replace("|", "\\|") + "`"


def fence(text: Any) -> str:
    """A Markdown code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", str(text))), default=0)
    return "`" * max(3, longest + 1)


def template_environment(*, autoescape: bool) -> jinja2.Environment:
    """A Jinja environment over templates/ (undefined names are errors); ``autoescape`` for
    HTML pages, where text from definitions must never be markup. Compiled templates are kept
    in the user's cache folder: compiling them is most of a small ``convert``'s start-up. The
    templates are part of the installed package: Jinja does not look for changes on disk each
    time one is used (``auto_reload``)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        bytecode_cache=template_cache(),
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
        extensions=["jinja2.ext.do"],
    )


def environment() -> jinja2.Environment:
    """The environment of the generated files' templates, one per process (the generated tests'
    template adds its ``expected`` filter in an overlay: ``testgen.rendering``)."""
    return _environment()


@cache
def _environment() -> jinja2.Environment:
    env = template_environment(autoescape=False)
    env.filters.update(
        lit=lit, pystr=pystr, comment=comment, docstring=docstring,
        jsonpath=jsonpath, payload=payload, yaml=to_yaml, md=md, code=code, fence=fence, read_path=select, put=put,
        condition=condition, catcher_assign=catcher_assign, sized_lit=sized_lit, setting=setting, jsonata_field=jsonata_field,
        jsonata_assign=jsonata_assign, lambda_payload=lambda_payload,
        json=lambda value: json.dumps(value, default=str, ensure_ascii=False, sort_keys=True),
    )
    env.tests["default_value"] = is_default
    env.tests["jsonata"] = lambda value: isinstance(value, ir.Jsonata)
    env.tests["routed"] = routed
    env.tests["named_plainly"] = named_plainly
    env.tests["calling_intrinsics"] = uses_intrinsic_calls
    env.tests["static"] = is_static
    env.tests["reading_input"] = reads_input
    env.tests["binding_result"] = binds_result
    env.tests["durable_wait"] = is_durable_wait
    env.tests["durable_wait_state"] = lambda state: isinstance(state, ir.WaitState) and is_durable_wait(state.seconds)
    env.filters["static_next"] = lambda state: getattr(state, "next", None)
    env.filters["quoted"] = lambda text: repr(str(text))  # a name in a comment: 'Poll'
    env.globals["py"] = statement
    env.globals["equals"] = asserted_equal
    env.globals["lines"] = Lines
    env.globals["signature"] = signature
    return env


LINE_LENGTH = 88  # black's default, which format_python keeps


def statement(indent: str | int, prefix: str, expr: str, suffix: str = "") -> str:
    """A statement holding one expression (``prefix + expr + suffix``, ``prefix`` as
    :func:`pyexpr.statement` takes it) at ``indent`` (spaces, or their number), in black's
    layout: on one line where it fits, which black leaves as it is, else split as black
    splits it. The templates write every statement that holds a definition's data with it,
    so black, the formatting stage, finds nothing to change (the ``py`` template global)."""
    width = indent if isinstance(indent, int) else len(indent)
    line = " " * width + prefix + expr + suffix
    if str_width(line) <= LINE_LENGTH:
        return line
    try:
        if isinstance(expr, Code):
            return pyexpr.statement(prefix, expr.tree, suffix, indent=width, line_length=LINE_LENGTH, flat=expr.flat)
        return pyexpr.statement(prefix, expr, suffix, indent=width, line_length=LINE_LENGTH)
    except (ValueError, SyntaxError, RecursionError):
        # an expression pyexpr does not lay out, or nested deeper than Python's parser reads
        # (200 brackets; black's own parser has no such limit): black splits the line
        return line


def signature(name: str, returns: str, parameters: str = "run: rt.Run, data: Any") -> str:
    """A module-level ``def`` line in black's layout: its parameters on a line of their own
    when a long name makes the line too long (the return annotation's brackets are a trailer
    black omits first)."""
    line = f"def {name}({parameters}) -> {returns}:"
    if str_width(line) <= LINE_LENGTH:
        return line
    comma = "" if "," in parameters else ","  # black's trailing comma for a lone parameter
    return f"def {name}(\n    {parameters}{comma}\n) -> {returns}:"


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


def format_python(source: str) -> str:
    """The formatting stage: black, with its defaults (88 columns, the line length ruff's
    defaults check too, so a generated folder passes ``ruff check`` and ``ruff format --check``
    with no configuration).

    Python's cyclic garbage collector is paused while black runs: black builds a tree of
    parent-linked nodes for the whole file, and the collector's repeated walks over it cost a
    third of black's time on a 10,000-line handler, growing with the file. The cycles are
    left to the collector's next rounds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return black.format_str(source, mode=black.Mode(line_length=LINE_LENGTH))
    finally:
        if enabled:
            gc.enable()


class Lines:
    """The statements of a state's code, added one at a time by its template macros (each
    statement one or more lines in black's layout) and written one a line: what a state
    writes depends on which of its fields are set, and no line is left blank between them."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def add(self, statement: str) -> None:
        self.statements.append(statement)

    def text(self, indent: str) -> str:
        """The statements one a line; ``pass`` at ``indent`` when there are none."""
        return "\n".join(self.statements) if self.statements else indent + "pass"


class SourceMap:
    """Where each state's function and each machine function of ``handler.py`` is, and the
    lines that call each function, recorded while the template writes it (:func:`handler_source`):
    the text it has yielded so far gives the current line. The template marks a place with a
    ``{% set %}`` statement (Jinja yields the text before a statement first); in a machine
    body, written by a recursive macro as one piece, a :class:`Cursor` counts the lines of each
    statement it writes. The report reads its line numbers here, not from the parsed handler."""

    def __init__(self) -> None:
        self.line = 1  # the line the next character goes on
        self.fresh = True  # the text so far ends with a newline
        self.spans: dict[str, tuple[int, int]] = {}  # function -> its first and last line
        self.calls: dict[str, list[int]] = {}  # function -> the lines that call it
        self._started: dict[str, int] = {}

    def feed(self, text: str) -> None:
        if text:
            self.line += text.count("\n")
            self.fresh = text.endswith("\n")

    def start(self, function: str) -> str:
        self._started[function] = self.line
        return ""

    def stop(self, function: str) -> str:
        self.spans[function] = (self._started.pop(function), self.line - 1 if self.fresh else self.line)
        return ""

    def call(self, function: str) -> str:
        self.calls.setdefault(function, []).append(self.line)
        return ""

    def cursor(self) -> Cursor:
        return Cursor(self, self.line)


class Cursor:
    """The line a machine body's next statement goes on (see :class:`SourceMap`)."""

    def __init__(self, source: SourceMap, line: int) -> None:
        self.source, self.line = source, line

    def emit(self, statement: str, calls: str | None = None) -> str:
        """``statement`` (whole lines, written with a newline after it) as it is; ``calls``:
        the function it calls (on the statement's first line, or further down where black
        wraps a long call in parentheses)."""
        if calls is not None:
            offset = statement[: statement.index(calls + "(")].count("\n")
            self.source.calls.setdefault(calls, []).append(self.line + offset)
        self.line += statement.count("\n") + 1
        return statement

    def inline(self, function: str, block: str) -> str:
        """``block``, a state written in the machine's body: its span is kept under the name
        its function would have, and its ``with`` line is where it runs."""
        first = self.line + block[: block.index("with run.in_")].count("\n")
        self.source.spans[function] = (self.line, self.line + block.count("\n"))
        self.source.calls.setdefault(function, []).append(first)
        return self.emit(block)


def handler_source(workflow: ir.Workflow, source: SourceMap | None = None) -> str:
    """``handler.py`` as the templates write it (already in black's layout); ``source``
    records where its functions are."""
    source = source if source is not None else SourceMap()
    pieces = []
    for piece in _environment().get_template("handler.py.jinja").generate(workflow=workflow, source=source):
        source.feed(piece)
        pieces.append(piece)
    return "".join(pieces)


def render_handler_mapped(workflow: ir.Workflow) -> tuple[str, SourceMap | None]:
    """``handler.py`` and its :class:`SourceMap` (None where black changed the layout: a
    statement :func:`statement` could not lay out, whose lines then moved)."""
    source = SourceMap()
    written = handler_source(workflow, source)
    formatted = format_python(written)
    return formatted, source if formatted == written else None


def render_handler(workflow: ir.Workflow) -> str:
    return render_handler_mapped(workflow)[0]
