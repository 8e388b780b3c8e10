"""Counts from each execution and the cost estimate (issue 6, items 4 and 5).

The expected durable operations come from reading the generated handlers: Pass states are plain
Python (no operation); a Lambda Task is a chained invoke, which suspends the handler while the
function runs (one more invocation); an ASL Retry is a new invoke (or step) per attempt with a
durable wait between attempts (``rt.with_retry``: "T" and "T (retry 1)", wait "T (retry 1 wait)"); Parallel is a
Parallel context with one branch context per branch; Map a Map context with one iteration
context per item; Wait a durable wait. Every execution is one more operation (its start).
"""

from __future__ import annotations

import json
from pathlib import Path

import moto.stepfunctions.parser  # noqa: F401 - moto is a test dependency: fail loudly when missing
import pytest
from click.testing import CliRunner

from asl2durable import cli
from asl2durable.behaviour import (
    Comparison,
    RunResult,
    count_operations,
    count_transitions,
    verdict_counts,
)
from asl2durable.pricing import DEFAULT, estimate

FLAKY = "arn:aws:lambda:us-east-1:111111111111:function:flaky"


def _pass(name, nxt=None):
    return {"Type": "Pass", **({"Next": nxt} if nxt else {"End": True})}


MACHINES = {
    # name: (definition, Step Functions transitions, durable operations, invocations)
    "pass chain": (
        {"StartAt": "A", "States": {"A": _pass("A", "B"), "B": _pass("B", "C"), "C": _pass("C")}},
        3, {"execution": 1}, 1,
    ),
    "task retried once": (
        {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FLAKY, "End": True,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]}}},
        # two chained invokes (the state, its retry) and the wait between; resumed after each
        # invoke (a chained invoke suspends the handler while the function runs) and the wait
        2, {"execution": 1, "invoke": 2, "wait": 1}, 4,
    ),
    "parallel of 2 branches": (
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "A", "States": {"A": _pass("A")}},
            {"StartAt": "B", "States": {"B": _pass("B", "C"), "C": _pass("C")}}]}}},
        4, {"execution": 1, "parallel": 1, "parallel_branch": 2}, 1,  # P, A, B, C
    ),
    "map over 3 items": (
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                                          "ItemProcessor": {"StartAt": "X", "States": {"X": _pass("X")}}}}},
        4, {"execution": 1, "map": 1, "map_iteration": 3}, 1,  # M, X three times
    ),
    "wait": (
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}},
        1, {"execution": 1, "wait": 1}, 2,  # resumed after the wait
    ),
}


def _flaky():
    calls = {"n": 0}

    def flaky(event, context):  # fails every first call of a side (each side calls it twice)
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("first attempt fails")
        return {"ok": True}

    return flaky


@pytest.mark.parametrize("name", list(MACHINES))
def test_counts_of_one_execution(name):
    from asl2durable.behaviour import check

    definition, transitions, operations, invocations = MACHINES[name]
    [c] = check(definition, [{"items": [1, 2, 3]}], lambdas={"flaky": _flaky()})
    assert c.verdict == "same", c.to_dict()
    assert c.step_functions.transitions == transitions
    assert c.durable.operations == operations
    assert c.durable.invocations == invocations
    assert (c.step_functions.operations, c.step_functions.invocations, c.durable.transitions) == (None, None, None)
    as_dict = c.to_dict()
    assert as_dict["step_functions"]["transitions"] == transitions
    assert as_dict["durable"]["operations"] == operations and as_dict["durable"]["invocations"] == invocations


def _event(id, type, previous=0):
    return {"id": id, "previousEventId": previous, "type": type}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([_event(1, "ExecutionStarted"), _event(2, "PassStateEntered"), _event(3, "PassStateExited", 2),
          _event(4, "ExecutionSucceeded", 3)], 1),
        # two retries of a Task: three attempts, two of them after a failure
        ([_event(1, "ExecutionStarted"), _event(2, "TaskStateEntered"), _event(3, "TaskScheduled", 2),
          _event(4, "TaskFailed", 3), _event(5, "TaskScheduled", 4), _event(6, "TaskFailed", 5),
          _event(7, "TaskScheduled", 6), _event(8, "TaskSucceeded", 7), _event(9, "TaskStateExited", 8),
          _event(10, "SucceedStateEntered", 9)], 4),
        # a retried Parallel state starts its branches again
        ([_event(1, "ParallelStateEntered"), _event(2, "ParallelStateStarted", 1), _event(3, "ParallelStateFailed", 2),
          _event(4, "ParallelStateStarted", 3)], 2),
        ([], 0),
    ],
    ids=["pass", "task retried twice", "parallel retried", "empty"],
)
def test_count_transitions(events, expected):
    assert count_transitions(events) == expected


def test_count_operations_nested_with_step_attempts():
    history = [
        {"type": "STEP", "sub_type": "Step", "attempt": 3},  # two SDK retries
        {"type": "CONTEXT", "sub_type": "Map", "children": [
            {"type": "CONTEXT", "sub_type": "MapIteration", "children": [{"type": "STEP", "attempt": 1}]},
            {"type": "CONTEXT", "sub_type": "MapIteration", "children": [
                {"type": "CONTEXT", "sub_type": "WaitForCallback", "children": [
                    {"type": "CALLBACK"}, {"type": "STEP", "attempt": 1}]}]},
        ]},
        {"type": "CHAINED_INVOKE"},
        {"type": "WAIT"},
    ]
    assert count_operations(history) == {
        "execution": 1, "step": 3, "step_retry": 2, "map": 1, "map_iteration": 2, "child_context": 1,
        "callback": 1, "invoke": 1, "wait": 1,
    }


def _comparison(transitions, operations, invocations, verdict="same"):
    return Comparison(
        {}, verdict, "", RunResult("SUCCEEDED", transitions=transitions),
        RunResult("SUCCEEDED", operations=operations, invocations=invocations),
    )


def test_estimate_averages_and_prices_with_overrides():
    comparisons = [
        _comparison(10, {"execution": 1, "step": 5}, 1),  # 6 operations
        _comparison(20, {"execution": 1, "step": 9, "wait": 2}, 3),  # 12 operations
        Comparison({}, "could not compare", "no counts"),
    ]
    prices = DEFAULT.replace(transition=0.05, operation=10.0, request=1.0)
    result = estimate(comparisons, prices)
    assert (result.step_functions_runs, result.durable_runs) == (2, 2)
    assert result.transitions == 15
    assert result.step_functions_cost == pytest.approx(15 * 0.05 / 1000)
    assert (result.operations, result.invocations) == (9, 2)
    assert result.durable_cost == pytest.approx(9 * 10 / 1e6 + 2 * 1 / 1e6)
    assert result.ratio == pytest.approx((9e-5 + 2e-6) / 7.5e-4)
    data = result.to_dict()
    assert data["per_execution"]["transitions"] == 15
    assert data["per_million_executions"]["step_functions_usd"] == pytest.approx(750.0)
    assert data["per_million_executions"]["durable_usd"] == pytest.approx(92.0)
    assert data["prices"]["transition"] == {
        "usd": 0.05, "per": 1000, "unit": "state transitions (Standard workflows)",
        "source": "given on the command line", "read_on": ""}
    assert data["prices"]["operation"]["usd"] == 10.0 and data["prices"]["request"]["usd"] == 1.0
    assert data["workflow_type"] == "STANDARD"


def test_default_prices_and_their_sources():
    result = estimate([_comparison(4, {"execution": 1, "step": 3}, 1)])
    assert result.step_functions_cost == pytest.approx(4 * 0.025 / 1000)  # $0.0001
    assert result.durable_cost == pytest.approx(4 * 8 / 1e6 + 0.2 / 1e6)
    prices = result.to_dict()["prices"]
    assert prices["operation"]["source"] == "AWS Lambda pricing page, durable functions section"
    assert prices["operation"]["read_on"] == "2026-09-20"
    assert all(p["source"] and p["read_on"] for p in prices.values())
    assert "://" not in repr(prices)


def test_express_and_empty_estimates_say_what_they_are():
    express = estimate([_comparison(4, {"execution": 1}, 1)], workflow_type="express")
    assert express.workflow_type == "EXPRESS"
    assert any("EXPRESS" in note and "Standard" in note for note in express.notes)
    empty = estimate([Comparison({}, "could not compare", "JSONata")])
    data = empty.to_dict()
    assert data["per_execution"] == {
        "transitions": None, "step_functions_usd": None, "durable_operations": None, "invocations": None,
        "durable_usd": None}
    assert data["ratio"] is None and data["runs"] == {"step_functions": 0, "durable": 0}


def test_verdict_counts():
    comparisons = [_comparison(1, {}, 1), _comparison(1, {}, 1, "differs"), _comparison(1, {}, 1)]
    assert verdict_counts(comparisons) == {"same": 2, "differs": 1, "could not compare": 0}


# --------------------------------------------------------------------------- asl2durable report --inputs

ECHO_ARN = "arn:aws:lambda:us-east-1:111111111111:function:echo"
PAY = {
    "StartAt": "Echo",
    "States": {
        "Echo": {"Type": "Task", "Resource": ECHO_ARN, "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Done"}],
                  "Default": "Refuse"},
        "Done": {"Type": "Succeed"},
        "Refuse": {"Type": "Fail", "Error": "Negative", "Cause": "n <= 0"},
    },
}
PAUSE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "W"}, "W": {"Type": "Wait", "Seconds": 3, "End": True}}}


def test_report_with_inputs_checks_behaviour_and_estimates_cost(tmp_path):
    machines = tmp_path / "machines"
    machines.mkdir()
    for name, definition in (("pay", PAY), ("pause", PAUSE), ("plain", PAUSE), ("broken", PAUSE)):
        (machines / f"{name}.asl.json").write_text(json.dumps(definition))
    inputs = tmp_path / "inputs"
    (inputs / "pause").mkdir(parents=True)
    (inputs / "pay.json").write_text(json.dumps([{"n": 1}, {"n": -1}]))  # a JSON array of inputs
    (inputs / "pause" / "a.json").write_text('{"x": 1}')  # one input per file
    (inputs / "pause" / "b.json").write_text('{"x": 2}')
    (inputs / "broken.json").write_text("{not json")
    (inputs / "stray.json").write_text("[]")  # no machine of that name: a note
    echo = Path(__file__).parent / "fixtures" / "cli" / "echo_lambda.py"

    result = CliRunner().invoke(cli.main, [
        "report", str(machines), "-o", str(tmp_path / "report"), "--inputs", str(inputs),
        "--lambda", f"echo={echo}", "--aws", "moto",
        "--price-transition", "0.05", "--price-operation", "10", "--price-request", "1",
    ])
    assert result.exit_code == 0, result.output
    assert "behaviour: 4 same, 0 differs, 1 could not compare" in result.stdout
    assert "stray.json is not the inputs of any machine" in result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    by_name = {m["name"]: m for m in report["machines"]}

    pay = by_name["pay"]
    assert [(b["input"], b["verdict"]) for b in pay["behaviour"]] == [({"n": 1}, "same"), ({"n": -1}, "same")]
    assert pay["behaviour"][1]["step_functions"]["error"] == "Negative"
    assert [b["step_functions"]["transitions"] for b in pay["behaviour"]] == [3, 3]  # Echo, Route, Done/Refuse
    assert [b["durable"]["operations"] for b in pay["behaviour"]] == [{"execution": 1, "invoke": 1}] * 2
    cost = pay["cost"]
    assert cost["runs"] == {"step_functions": 2, "durable": 2}
    assert cost["per_execution"] == {
        # the chained invoke suspends the handler: the first invocation and the resume
        "transitions": 3, "step_functions_usd": 0.00015, "durable_operations": 2, "invocations": 2,
        "durable_usd": 0.000022}
    assert cost["per_million_executions"] == {"step_functions_usd": 150.0, "durable_usd": 22.0}
    assert cost["ratio"] == pytest.approx(22 / 150)
    assert cost["prices"]["operation"]["usd"] == 10.0 and cost["workflow_type"] == "STANDARD"

    pause = by_name["pause"]
    assert [b["input"] for b in pause["behaviour"]] == [{"x": 1}, {"x": 2}]  # files in name order
    assert {b["verdict"] for b in pause["behaviour"]} == {"same"}
    assert pause["cost"]["per_execution"] == {
        "transitions": 2, "step_functions_usd": 0.0001, "durable_operations": 2, "invocations": 2,
        "durable_usd": 0.000022}

    assert by_name["plain"]["behaviour"] == [] and by_name["plain"]["cost"] is None
    [broken] = by_name["broken"]["behaviour"]
    assert broken["verdict"] == "could not compare" and "is not valid JSON" in broken["reason"]
    assert by_name["broken"]["status"] == "exact"  # the inputs' problem is not the machine's

    # The pages show the same figures.
    page = next((tmp_path / "report").glob("machines/*-pay.html")).read_text(encoding="utf-8")
    assert "<td class=\"n\">3 state transitions</td>" in page
    assert "<td class=\"n\">$150.00</td><td class=\"n\">$22.00</td>" in page and "<b>0.15×</b>" in page
    assert "$0.05 per 1,000 state transitions (Standard workflows) (given on the command line)" in page
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Per million executions: $150.0 against $22.0." in markdown
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "4 same" in index and "1 could not compare" in index and "cost: 0.15× Step Functions" in index


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"Type": "EXPRESS"}, "EXPRESS"),  # SAM
        ({"StateMachineType": "EXPRESS"}, "EXPRESS"),  # CloudFormation
        ({"StateMachineType": "STANDARD"}, "STANDARD"),
        ({}, "STANDARD"),
        (None, "STANDARD"),  # a definition file
    ],
)
def test_workflow_type_of_a_machine(properties, expected):
    from asl2durable.loader import Loaded

    if properties is None:
        loaded = Loaded("m.asl.json", "m", PAUSE)
    else:
        template = {"Resources": {"M": {"Type": "AWS::Serverless::StateMachine", "Properties": properties}}}
        loaded = Loaded("t.yaml", "t-M", PAUSE, template=template, resource="M")
    assert cli.workflow_type(loaded) == expected
