"""How JSONPath data flow is written into generated code (render.jsonpath, render.payload).

A path fixed at translation time (keys and indexes) is Python data access (``data["order"]["id"]``);
a runtime call keeps a simple path as its text and any other with the translator's parse. A
payload template is a dict literal whose "key.$" leaves are data access, or one rt.get /
rt.intrinsic call each. Text from the definition only ever reaches the code as quoted literals.
"""

from __future__ import annotations

import ast

import pytest

from asl2durable.lower import ir
from asl2durable.expressions.intrinsics import parse_intrinsic
from asl2durable.expressions.paths import parse_path
from asl2durable.render.render import jsonpath, payload


def path(text):
    return ir.Path(text, parse_path(text))


@pytest.mark.parametrize(
    "text",
    ["$", "$.order.id", "$['order id'][0]", "$$.Execution.Id", "$var.a", "$.a-b", "$['it\\'s']", " $.a "],
)
def test_simple_paths_are_their_text(text):
    assert ast.literal_eval(jsonpath(path(text))) == text


@pytest.mark.parametrize("text", ["$..id", "$.items[*].id", "$[1:]", "$.a[?(@.x > 1)]", "$.a.length()", "$['a','b']"])
def test_other_paths_keep_their_parse(text):
    code = jsonpath(path(text))
    assert code.startswith("rt.JsonPath(")
    call = ast.parse(code, mode="eval").body
    assert ast.literal_eval(call.args[0]) == text
    assert ast.literal_eval(call.args[1]) == _lists(parse_path(text))


def test_null_path_is_none():
    assert jsonpath(None) == "None"


class _Recorder:
    """Stands in for asl_runtime: rt.get and rt.intrinsic return what they were called with."""

    @staticmethod
    def get(run, state, data, p, field):
        return ("get", data, p, field)

    @staticmethod
    def intrinsic(run, state, data, text, spec, field):
        return ("intrinsic", data, text, field)

    JsonPath = staticmethod(lambda text, spec=None: ("JsonPath", text))

    @staticmethod
    def item(value, index):
        assert isinstance(value, list)
        return value[index]


class _Run:
    """Stands in for the run: the context object's fields and the variables."""

    state = "S"
    execution = {"Id": "arn:execution"}
    item = {"Index": 0, "Value": {"sku": "A-1"}}
    variables = {"var": {"a": 5}}


DATA = {"order": {"id": 7, "items": ["x", "y"]}, "a": {"b": 1}}


class _States:
    """Stands in for asl_intrinsics.States: a call returns the function's name and arguments."""

    def __getattr__(self, name):
        return lambda *args: (f"States.{name}", *args)


def _evaluate(code, data=None):
    return eval(code, {"rt": _Recorder, "States": _States(), "run": _Run, "data": DATA if data is None else data})


def test_payload_is_a_dict_literal_of_data_access_and_runtime_calls():
    template = {
        "static": {"n": 1, "list": [True, None, 2.5], "text": "a'b\"c\n}}{{"},
        "id": path("$.order.id"),
        "second": path("$.order.items[1]"),
        "all": path("$..id"),
        "nested": [{"x": path("$$.Map.Item.Value")}],
        "variable": path("$var.a"),
        "label": ir.Intrinsic("States.Format('{}', $.a)", parse_intrinsic("States.Format('{}', $.a)")),
    }
    code = payload(template, "data")
    assert 'data["order"]["id"]' in code.replace("'", '"') and "$.order.id" not in code
    assert _evaluate(code) == {
        "static": {"n": 1, "list": [True, None, 2.5], "text": "a'b\"c\n}}{{"},
        "id": 7,
        "second": "y",
        "all": ("get", DATA, ("JsonPath", "$..id"), "all.$"),
        "nested": [{"x": {"sku": "A-1"}}],
        "variable": 5,
        "label": ("States.Format", "{}", {"b": 1}),
    }


def test_a_top_level_path_is_data_access():
    assert _evaluate(payload(path("$.a.b"), "data", "ErrorPath")) == 1
    assert _evaluate(payload(path("$..b"), "data", "ErrorPath")) == ("get", DATA, ("JsonPath", "$..b"), "ErrorPath")


@pytest.mark.parametrize(
    "key, text",
    [
        ('"); import os; ("', "$['\"); import os; (']"),
        ("a\nb", "$['x\\'); os.system(1); (\\'']"),
        ("{{ x }}", "$.a"),
    ],
)
def test_definition_text_only_reaches_the_code_quoted(key, text):
    code = payload({key: path(text), "k": key}, "data")
    tree = ast.parse(code, mode="eval")
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert names <= {"rt", "run", "data"}
    field = parse_path(text)[1][0][1]
    assert _evaluate(code, {field: "value"}) == {key: "value", "k": key}


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def test_recorder_matches_the_runtime_signatures():
    """The stand-in above takes the arguments the real helpers take."""
    import inspect
    import sys

    from asl2durable.translate import RUNTIME_DIR

    sys.path.insert(0, str(RUNTIME_DIR))
    try:
        import asl_runtime
    finally:
        sys.path.remove(str(RUNTIME_DIR))
    for name in ("get", "intrinsic"):
        real = list(inspect.signature(getattr(asl_runtime, name)).parameters)
        fake = list(inspect.signature(getattr(_Recorder, name)).parameters)
        assert len(real) == len(fake), name
