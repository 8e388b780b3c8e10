"""How JSONPath data flow is written into generated code (render.jsonpath, render.payload).

A path fixed at translation time (keys and indexes) is Python data access (``data["order"]["id"]``);
a runtime call keeps a simple path as its text and any other with the translator's parse. A
payload template is a dict literal whose "key.$" leaves are data access, or one rt.get /
rt.intrinsic call each. Text from the definition only ever reaches the code as quoted literals.
"""

from __future__ import annotations

import ast
import json

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


# A state of each type with every data-flow field it can have, each reading the key named for its
# step of ir.DATA_FLOW ("work": a Fail's ErrorPath and CausePath)
ALL_FIELDS = {
    "Pass": {"Type": "Pass", "Parameters": {"p.$": "$.parameters"}},
    "Task": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "TimeoutSecondsPath": "$.settings",
        "Parameters": {"p.$": "$.parameters"}, "ResultSelector": {"r.$": "$.result_selector"},
    },
    "Parallel": {
        "Type": "Parallel", "Parameters": {"p.$": "$.parameters"}, "ResultSelector": {"r.$": "$.result_selector"},
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
    },
    "Map": {
        "Type": "Map", "ItemsPath": "$.items_path", "MaxConcurrencyPath": "$.settings",
        "ResultSelector": {"r.$": "$.result_selector"},
        "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
    },
    "Wait": {"Type": "Wait", "SecondsPath": "$.settings"},
    "Choice": {"Type": "Choice", "Choices": [{"Variable": "$.choices", "IsPresent": True, "Next": "T"}], "Default": "T"},
    "Succeed": {"Type": "Succeed"},
    "Fail": {"Type": "Fail", "ErrorPath": "$.work", "CausePath": "$.work"},
}
FLOW_FIELDS = {"InputPath": "$.input_path", "ResultPath": "$.result_path", "OutputPath": "$.output_path",
               "Assign": {"a.$": "$.assign"}}
# the fields each type has of those
FLOW_FIELDS_OF = {
    "Pass": ("InputPath", "ResultPath", "OutputPath", "Assign"),
    "Task": ("InputPath", "ResultPath", "OutputPath", "Assign"),
    "Parallel": ("InputPath", "ResultPath", "OutputPath", "Assign"),
    "Map": ("InputPath", "ResultPath", "OutputPath", "Assign"),
    "Wait": ("InputPath", "OutputPath", "Assign"),
    "Choice": ("InputPath", "OutputPath"),
    "Succeed": ("InputPath", "OutputPath"),
    "Fail": (),
}


@pytest.mark.parametrize("kind", ALL_FIELDS)
def test_generated_code_reads_a_states_fields_in_the_data_flows_order(kind):
    """The order of ir.DATA_FLOW (which the wording of a failed read and the test walk follow) is
    the order in which generated code reads the fields, for every state type."""
    from asl2durable.translate import translate

    DATA_FLOW = ir.DATA_FLOW
    state = {**ALL_FIELDS[kind], **{key: FLOW_FIELDS[key] for key in FLOW_FIELDS_OF[kind]}}
    if kind not in ("Choice", "Succeed", "Fail"):
        state["Next"] = "T"
    if kind == "Choice":
        state["Choices"][0]["Assign"] = {"a.$": "$.assign"}
    definition = {"StartAt": "S", "States": {"S": state, "T": {"Type": "Succeed"}}}
    if kind in ("Succeed", "Fail"):
        del definition["States"]["T"]
    translation = translate(definition, name="order", outputs=("handler",))
    assert translation.ok, translation.diagnostics
    code = translation.files["handler.py"]
    body = code[code.index('("S"'):]  # the state's function or block
    read = sorted((body.index(f'"{step}"'), step) for step in DATA_FLOW if f'"{step}"' in body)
    fields = json.dumps(state)
    assert [step for _, step in read] == [step for step in DATA_FLOW if f'"$.{step}"' in fields], body
