"""The code generated for JSONata states (issue 18): a template with no expression is its
literal, a Catch routes as a JSONPath one does (``error.matches``), the error output's fields are
Python, an Assign is one statement, and a Lambda Task's Payload is evaluated on its own; each
form behaves as the ``rt.jsonata`` evaluation of the whole field it replaces did."""

from __future__ import annotations

import json
import re
from typing import Any

from asl2durable.run.local import run_local
from asl2durable.translate import translate

FN = "arn:aws:lambda:us-east-1:111111111111:function:echo"
PREFIX = "An error occurred while executing the state 'S'. "


def machine(state: dict, **more: dict) -> dict:
    state = {**state, "QueryLanguage": "JSONata"}
    return {"StartAt": "S", "States": {"S": state if "Next" in state else {**state, "End": True}, **more}}


def handler(definition: dict) -> str:
    translation = translate(definition, name="m", outputs=("handler",))
    assert translation.ok, [str(d) for d in translation.diagnostics]
    return translation.files["handler.py"]


def echo(event: Any, context: Any = None) -> Any:
    return {"echoed": event}


INVOKE = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Arguments": {"FunctionName": FN, "Payload": {"items": "{% $states.input.items %}"}},
}


def caught(output: Any) -> dict:
    return {"Caught": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": output, "End": True}}


def test_a_lambda_payload_is_evaluated_on_its_own_before_the_call():
    code = handler(machine(INVOKE))
    assert 'payload = rt.jsonata(\n            run, {"items": "{% $states.input.items %}"}, "Arguments/Payload", data\n' in code
    assert f'"FunctionName": "{FN}",\n                "Payload": payload,' in code
    result = run_local(machine(INVOKE), {"items": [1]}, lambdas={FN: echo})
    assert result.output["Payload"] == {"echoed": {"items": [1]}}, result


def test_the_payload_field_is_named_as_the_whole_arguments_name_it():
    result = run_local(machine(INVOKE), {"other": 1}, lambdas={FN: echo})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError"), result
    assert result.cause == (
        PREFIX + "The JSONata expression '$states.input.items' specified for the field 'Arguments/Payload/items' "
        "returned nothing (undefined)."
    )


def test_a_payload_undefined_is_caught_by_the_catch():
    state = {**INVOKE, "Next": "Never", "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}]}
    state["Assign"] = {"v": 1}
    definition = machine(state, Never={"Type": "Succeed"}, **caught({"out": "{% $states.input %}"}))
    result = run_local(definition, {}, lambdas={FN: echo})
    assert result.status == "SUCCEEDED", result
    assert result.output["out"]["Error"] == "States.QueryEvaluationError"
    assert "'Arguments/Payload/items' returned nothing" in result.output["out"]["Cause"]


def test_a_payload_is_not_evaluated_apart_when_it_is_evaluated_in_each_attempt_or_reads_the_clock():
    retried = {**INVOKE, "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    clock = {**INVOKE, "Arguments": {"FunctionName": FN, "Payload": {"at": "{% $now() %}"}}}
    named = {**INVOKE, "Arguments": {"FunctionName": "{% 'echo' %}", "Payload": {"a": "{% 1 %}"}}}
    for state in (retried, clock, named):
        assert "payload = " not in handler(machine(state)), state


def test_a_template_with_no_expression_is_its_literal_and_the_work_still_runs():
    calls = []

    def recorded(event: Any, context: Any = None) -> Any:
        calls.append(event)
        return 1

    state = {**INVOKE, "Output": {"done": True}, "Assign": {"tier": "gold"}}
    code = handler(machine(state))
    assert 'run.assign({"tier": "gold"})' in code and "rt.jsonata(run, {\"done\"" not in code
    assert "result = " not in code  # nothing reads the result
    result = run_local(machine(state), {"items": 2}, lambdas={FN: recorded})
    assert (result.status, result.output, calls) == ("SUCCEEDED", {"done": True}, [{"items": 2}]), result


def test_a_catch_routes_with_error_matches_and_reads_the_error_output_as_python():
    def fails(event: Any, context: Any = None) -> Any:
        raise ValueError("boom")

    state = {
        **INVOKE,
        "Next": "Never",
        "Catch": [
            {"ErrorEquals": ["Other"], "Next": "Never"},
            {
                "ErrorEquals": ["States.ALL"],
                "Output": {"error": "{% $states.errorOutput.Error %}", "cause": "{% $states.errorOutput.Cause %}"},
                "Next": "Caught",
            },
        ],
    }
    definition = machine(state, Never={"Type": "Succeed", "QueryLanguage": "JSONata"}, **caught("{% $states.input %}"))
    code = handler(definition)
    assert "rt.catch" not in code and "rt.Catcher" not in code
    assert 'elif error.matches("States.ALL"):' in code
    assert '"error": error.output["Error"],\n                "cause": error.output["Cause"],' in code
    result = run_local(definition, {"items": 1}, lambdas={FN: fails})
    assert result.status == "SUCCEEDED", result
    assert result.output["error"] == "ValueError" and "boom" in result.output["cause"]


def test_a_catch_evaluates_its_output_before_its_assign_sets_variables():
    def fails(event: Any, context: Any = None) -> Any:
        raise ValueError("boom")

    state = {
        **INVOKE,
        "Assign": {"v": 0},
        "Next": "Never",
        "Catch": [
            {
                "ErrorEquals": ["States.ALL"],
                "Output": {"before": "{% $v %}", "input": "{% $states.input.items %}"},
                "Assign": {"v": "{% $states.errorOutput.Error & '!' %}"},
                "Next": "Caught",
            }
        ],
    }
    start = {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"v": "old"}, "Next": "S"}
    output = {"out": "{% $states.input %}", "v": "{% $v %}"}
    definition = machine(state, Never={"Type": "Succeed", "QueryLanguage": "JSONata"}, **caught(output))
    definition["StartAt"] = "Start"
    definition["States"]["Start"] = start
    code = handler(definition)
    assert "rt.assign_jsonata(" in code and "error_output=error.output" in code
    result = run_local(definition, {"items": 7}, lambdas={FN: fails})
    assert result.status == "SUCCEEDED", result
    assert result.output == {"out": {"before": "old", "input": 7}, "v": "ValueError!"}


def _names(operations: list[dict]) -> list[str]:
    return [o["name"] for o in operations] + [n for o in operations for n in _names(o.get("children", []))]


def test_a_field_that_reads_the_clock_is_evaluated_in_a_step_without_being_told():
    definition = {
        "StartAt": "S",
        "QueryLanguage": "JSONata",
        "States": {
            "S": {"Type": "Pass", "Output": {"t": "{% $now() %}"}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% [1] %}",
                "ItemSelector": {"at": "{% $now() %}"},
                "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": True}}},
                "End": True,
            },
        },
    }
    assert "reads_clock" not in handler(definition)
    result = run_local(definition, {})
    assert result.status == "SUCCEEDED", result
    # the Output in a step of its own; a Map's ItemSelector too, in each iteration (a replay of
    # an unfinished iteration sees the time its first run saw)
    names = _names(result.operations)
    assert "S (Output)" in names and "M (ItemSelector)" in names


def test_a_template_with_a_configured_placeholder_is_told_whether_it_reads_the_clock():
    from asl2durable.lower import ir
    from asl2durable.render import render
    from asl2durable.runtime import asl_jsonata

    setting = ir.Setting("{% $now() %}", (("X", "X"),))
    assert render.jsonata_field(ir.Jsonata({"a": setting}), "Output").endswith(", reads_clock=True)")
    plain = ir.Setting("${X}", (("X", "X"),))
    assert render.jsonata_field(ir.Jsonata({"a": plain, "b": "{% 1 %}"}), "Output").endswith(", reads_clock=False)")
    for text in ("{% $now() %}", " {% $millis ( ) %}", "{% $nowhere %}", "$now()", {"a": ["{% $now() %}"]}):
        assert render.reads_clock(ir.Jsonata(text)) == asl_jsonata.reads_the_clock(text), text


def test_a_catch_output_that_reads_the_clock_is_evaluated_in_a_step():
    """Where the error is caught, in a step named after the field, as every other field that
    reads the clock: a replay after the Catch sees the same time (the report counts that step)."""
    def fails(event: Any, context: Any = None) -> Any:
        raise ValueError("boom")

    state = {**INVOKE, "Next": "Never", "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"at": "{% $now() %}"}, "Next": "Caught"}]}
    definition = machine(state, Never={"Type": "Succeed"}, **caught("{% $states.input %}"))
    assert "reads_clock" not in handler(definition)
    result = run_local(definition, {"items": 1}, lambdas={FN: fails})
    assert result.status == "SUCCEEDED" and set(result.output) == {"at"}, result
    assert "S (Output)" in _names(result.operations)
    forced = run_local(definition, {"items": 1}, lambdas={FN: fails}, force_replays=True)
    assert forced.status == "SUCCEEDED" and set(forced.output) == {"at"}, forced


def _caught_output(failing: dict, text: str, lambdas: dict) -> Any:
    state = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "X", "States": {"X": failing}}],
        "Next": "Never",
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"e": text, "c": text.replace("Error", "Cause")}, "Next": "Caught"}],
    }
    definition = machine(state, Never={"Type": "Succeed"}, **caught("{% $states.input %}"))
    result = run_local(definition, {"items": 1}, lambdas=lambdas)
    assert result.status == "SUCCEEDED", result
    return result.output


def test_the_error_output_read_as_python_is_what_the_engine_gives():
    def fails(event: Any, context: Any = None) -> Any:
        raise ValueError("boom")

    sources = [
        {"Type": "Task", "Resource": FN, "End": True},
        {"Type": "Fail"},
        {"Type": "Fail", "Error": "Only.Error"},
        {"Type": "Fail", "Cause": "only a cause"},
    ]
    def unrequested(output: Any) -> Any:  # (a Lambda error's requestId is the execution's)
        return json.loads(re.sub(r'requestId[^,]*,', "", json.dumps(output)))

    for failing in sources:
        python = _caught_output(failing, "{% $states.errorOutput.Error %}", {FN: fails})
        engine = _caught_output(failing, "{% ($states.errorOutput).Error %}", {FN: fails})
        assert unrequested(python) == unrequested(engine), (failing, python, engine)
    code = handler(machine({"Type": "Pass", "Output": {"e": "{% ($states.errorOutput).Error %}"}}))
    assert "rt.jsonata(" in code  # (the engine's form is not read as Python)
