"""Errors of paths fixed at translation time, which generated code reads as Python data access
(``data["order"]["id"]``): where one finds no value, the state's decorator gives the error Step
Functions gives, with its cause, worked out again from the definition next to the handler."""

from __future__ import annotations

import pytest

from asl2durable.run.local import run_local

FN = "arn:aws:lambda:us-east-1:111111111111:function:echo"
PREFIX = "An error occurred while executing the state 'S'. "


def machine(state: dict, **more: dict) -> dict:
    return {"StartAt": "S", "States": {"S": {**state, "End": True} if "Next" not in state else state, **more}}


def echo(event, context=None):
    return {"echoed": event}


CASES = {
    "Parameters": (
        {"Type": "Pass", "Parameters": {"a.$": "$.a", "id.$": "$.order.id"}},
        {"a": 1, "order": {}},
        "States.Runtime",
        PREFIX + "The JSONPath '$.order.id' specified for the field 'id.$' could not be found in the input "
        "'{\"a\":1,\"order\":{}}'",
    ),
    "a step into a string": (
        {"Type": "Pass", "Parameters": {"id.$": "$.order.id"}},
        {"order": "x"},
        "States.Runtime",
        PREFIX + "The JSONPath '$.order.id' specified for the field 'id.$' could not be found in the input "
        "'{\"order\":\"x\"}'",
    ),
    "an index into a string": (
        {"Type": "Pass", "Parameters": {"first.$": "$.name[0]"}},
        {"name": "abc"},
        "States.Runtime",
        PREFIX + "The JSONPath '$.name[0]' specified for the field 'first.$' could not be found in the input "
        "'{\"name\":\"abc\"}'",
    ),
    "InputPath": (
        {"Type": "Pass", "InputPath": "$.missing"},
        {"a": 1},
        "States.Runtime",
        None,
    ),
    "an intrinsic's path argument": (
        {"Type": "Pass", "Parameters": {"label.$": "States.Format('{} and {}', $.a, $.b)"}},
        {"a": 1},
        "States.Runtime",
        PREFIX + "The JSONPath '$.b' specified for the field 'label.$' could not be found in the input "
        "'{\"a\":1}'",
    ),
    "an intrinsic's arguments": (
        {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.a, 1)"}},
        {"a": "x"},
        "States.Runtime",
        PREFIX + "Invalid arguments in States.MathAdd",
    ),
    "ResultSelector": (
        {"Type": "Task", "Resource": FN, "ResultSelector": {"x.$": "$.nothing"}},
        {"a": 1},
        "States.Runtime",
        PREFIX + "The JSONPath '$.nothing' specified for the field 'x.$' could not be found in the input "
        "'{\"echoed\":{\"a\":1}}'",
    ),
    "ResultPath into a list": (
        {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b"},
        {"a": [1]},
        "States.ResultPathMatchFailure",
        None,
    ),
    "SecondsPath": (
        {"Type": "Wait", "SecondsPath": "$.delay"},
        {"delay": "soon"},
        "States.Runtime",
        PREFIX + "The SecondsPath parameter cannot be parsed as a long value: $.delay == \"soon\"",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_path_that_finds_no_value_fails_as_step_functions_words_it(name):
    state, event, error, cause = CASES[name]
    result = run_local(machine(state), event, lambdas={FN: echo})
    assert (result.status, result.error) == ("FAILED", error), result
    if cause is not None:
        assert result.cause == cause
    else:
        assert result.cause.startswith(PREFIX), result.cause


# A state of each type with an OutputPath that finds no value, going on to T
OUTPUT_PATHS = {
    "Pass": {"Type": "Pass", "Next": "T"},
    "Task": {"Type": "Task", "Resource": FN, "ResultPath": "$.r", "Next": "T"},
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "T"},
    "Succeed": {"Type": "Succeed"},
    "Choice": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "T"}], "Default": "T"},
    "Parallel": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
                 "ResultPath": "$.r", "Next": "T"},
    "Map": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.r", "Next": "T",
            "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}},
}


T = {"T": {"Type": "Succeed"}}


@pytest.mark.parametrize("kind", OUTPUT_PATHS)
def test_an_output_path_that_finds_no_value_is_states_runtime_in_every_state_type(kind):
    """The wording of a failed read replays every type's data flow (ir.DATA_FLOW): a Wait's
    and a Succeed's OutputPath failed with a Python KeyError before."""
    definition = {
        "StartAt": "S",
        "States": {"S": {**OUTPUT_PATHS[kind], "OutputPath": "$.missing"}, **({} if kind == "Succeed" else T)},
    }
    result = run_local(definition, {"a": 1, "items": [1]}, lambdas={FN: echo})
    assert (result.status, result.error) == ("FAILED", "States.Runtime"), result
    assert result.cause.startswith(PREFIX + "Invalid path '$.missing'"), result.cause


def test_a_wait_states_assign_that_finds_no_value_is_worded_as_step_functions_words_it():
    result = run_local(machine({"Type": "Wait", "Seconds": 1, "Assign": {"x.$": "$.missing"}}), {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime"), result
    assert result.cause == (
        PREFIX + "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    )


def test_a_choice_variable_that_finds_no_value_fails_the_execution():
    definition = {
        "StartAt": "S",
        "States": {
            "S": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "T"}], "Default": "T"},
            "T": {"Type": "Succeed"},
        },
    }
    result = run_local(definition, {"m": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause.startswith("An error occurred while executing the state 'S'. Invalid path '$.n'")


def test_a_choice_rule_of_the_wrong_type_is_false():
    definition = {
        "StartAt": "S",
        "States": {
            "S": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"},
                    {"Variable": "$.n", "StringEquals": "2", "Next": "Text"},
                ],
                "Default": "Other",
            },
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Text": {"Type": "Pass", "Result": "text", "End": True},
            "Other": {"Type": "Pass", "Result": "other", "End": True},
        },
    }
    assert run_local(definition, {"n": "2"}).output == "text"
    assert run_local(definition, {"n": 2}).output == "big"
    assert run_local(definition, {"n": True}).output == "other"


def test_an_item_selector_path_that_finds_no_value():
    definition = machine(
        {
            "Type": "Map",
            "ItemSelector": {"v.$": "$$.Map.Item.Value.sku", "o.$": "$.order"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        }
    )
    result = run_local(definition, [{"sku": 1}])
    assert (result.status, result.error) == ("FAILED", "States.Runtime"), result
    assert "The JSONPath '$.order' specified for the field 'o.$' could not be found" in result.cause


def test_a_catch_catches_a_result_path_failure_but_not_states_runtime():
    definition = {
        "StartAt": "S",
        "States": {
            "S": {
                "Type": "Task", "Resource": FN, "ResultPath": "$.a.b",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    result = run_local(definition, {"a": [1]}, lambdas={FN: echo})
    assert result.status == "SUCCEEDED" and result.output["error"]["Error"] == "States.ResultPathMatchFailure"
    definition["States"]["S"].update(ResultPath="$.x", Parameters={"id.$": "$.missing"})
    result = run_local(definition, {"a": [1]}, lambdas={FN: echo})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
