"""How JSONPath data flow is written into generated code (render.jsonpath, render.payload).

A simple path is its text; any other keeps the translator's parse. A payload template is a
dict literal whose "key.$" leaves are one rt.get / rt.intrinsic call each. Text from the
definition only ever reaches the code as quoted literals.
"""

from __future__ import annotations

import ast

import pytest

from asl2durable import ir
from asl2durable.intrinsics import parse_intrinsic
from asl2durable.paths import parse_path
from asl2durable.render import jsonpath, payload


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


def _evaluate(code, data="DATA"):
    return eval(code, {"rt": _Recorder, "run": None, "state": "S", "data": data})


def test_payload_is_a_dict_literal_with_one_call_per_dynamic_leaf():
    template = {
        "static": {"n": 1, "list": [True, None, 2.5], "text": "a'b\"c\n}}{{"},
        "id": path("$.order.id"),
        "all": path("$..id"),
        "nested": [{"x": path("$$.Map.Item.Value")}],
        "label": ir.Intrinsic("States.Format('{}', $.a)", parse_intrinsic("States.Format('{}', $.a)")),
    }
    code = payload(template, "data")
    assert _evaluate(code) == {
        "static": {"n": 1, "list": [True, None, 2.5], "text": "a'b\"c\n}}{{"},
        "id": ("get", "DATA", "$.order.id", "id.$"),
        "all": ("get", "DATA", ("JsonPath", "$..id"), "all.$"),
        "nested": [{"x": ("get", "DATA", "$$.Map.Item.Value", "x.$")}],
        "label": ("intrinsic", "DATA", "States.Format('{}', $.a)", "label.$"),
    }


def test_a_top_level_path_names_the_field_given():
    assert _evaluate(payload(path("$.error"), "data", "ErrorPath")) == ("get", "DATA", "$.error", "ErrorPath")


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
    assert names <= {"rt", "run", "state", "data"}
    assert _evaluate(code) == {key: ("get", "DATA", text, f"{key}.$"), "k": key}


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
