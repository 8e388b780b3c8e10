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
import math
import time
from pathlib import Path

import moto.stepfunctions.parser  # noqa: F401 - moto is a test dependency: fail loudly when missing
import pytest
from click.testing import CliRunner

from asl2durable import batch, cli
from asl2durable.run.behaviour import (
    Comparison,
    RunResult,
    count_operations,
    count_transitions,
    verdict_counts,
)
from asl2durable.report.pricing import DEFAULT, estimate

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
    from asl2durable.run.behaviour import check

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
    # what else each side is billed for: the durable handler's time per invocation and the bytes
    # it wrote; the interpreter's time, and the waits it skipped (Wait 5 s; a 1 s retry interval)
    assert len(c.durable.invocation_ms) == invocations and all(ms > 0 for ms in c.durable.invocation_ms)
    assert c.durable.data_written >= 2 * len(json.dumps({"items": [1, 2, 3]}))  # at least the input and output
    assert c.step_functions.duration_ms is not None and c.step_functions.duration_ms >= 0
    assert c.step_functions.skipped_seconds == {"wait": 5, "task retried once": 1}.get(name, 0)
    assert c.step_functions.data_bytes == max(len(json.dumps(c.input)), len(json.dumps(c.step_functions.output)))
    assert c.step_functions.parallel_steps == {"map over 3 items": 3, "parallel of 2 branches": 1}.get(name, 0)
    assert as_dict["durable"]["invocation_ms"] == [round(ms, 3) for ms in c.durable.invocation_ms]
    assert as_dict["step_functions"]["skipped_seconds"] == c.step_functions.skipped_seconds


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
    assert set(prices) == {
        "transition", "express_request", "express_duration", "operation", "request", "compute", "data_written",
        "data_retained"}
    assert prices["operation"]["source"] == "AWS Lambda pricing page, durable functions section"
    assert prices["operation"]["read_on"] == "2026-09-20"
    assert (prices["compute"]["usd"], prices["compute"]["per"]) == (0.0000166667, 1)
    assert (prices["data_written"]["usd"], prices["data_retained"]["usd"]) == (0.25, 0.15)
    assert (prices["express_request"]["usd"], prices["express_request"]["per"]) == (1.0, 1_000_000)
    assert prices["express_duration"]["usd"] == 0.06 and "GB-hours" in prices["express_duration"]["unit"]
    for name in ("compute", "data_written", "data_retained", "express_request", "express_duration"):
        assert prices[name]["read_on"] == "2026-12-06"
    assert all(p["source"] and p["read_on"] for p in prices.values())
    assert "://" not in repr(prices) and ".com" not in repr(prices)


def test_prices_replace_by_name():
    prices = DEFAULT.replace(compute=0.00002, express_duration=0.03)
    assert prices.compute.value == 0.00002 and prices.compute.source == "given on the command line"
    assert prices.express_duration.value == 0.03 and prices.transition == DEFAULT.transition
    with pytest.raises(TypeError, match="no such price: gpu"):
        DEFAULT.replace(gpu=1.0)


def _timed(transitions, duration_ms, skipped_seconds=0.0, data_bytes=100, parallel_steps=0):
    """A Step Functions run with what an Express execution is billed for."""
    return Comparison({}, "same", "", RunResult(
        "SUCCEEDED", transitions=transitions, duration_ms=duration_ms, skipped_seconds=skipped_seconds,
        data_bytes=data_bytes, parallel_steps=parallel_steps,
    ))


def test_express_is_priced_by_requests_and_duration_times_memory():
    # 250 ms on the interpreter + a 2 s Wait it skipped = 2.25 s, billed 2.3 s; 50 MB + a small
    # definition and payload is billed as one 64-MB chunk
    runs = [_timed(4, 250.0, 2.0), _timed(6, 380.0, 0.0)]  # billed 2300 ms and 400 ms
    express = estimate(runs, workflow_type="express", definition_bytes=2_000)
    assert express.workflow_type == "EXPRESS" and express.transitions == 5  # counted, not billed
    assert express.express_billed_ms == 1350 and express.express_memory_mb == 64
    gb_hours = (2.3 + 0.4) / 2 / 3600 * 64 / 1024
    assert express.step_functions_parts == {
        "requests": pytest.approx(1.00 / 1e6), "duration": pytest.approx(0.06 * gb_hours)}
    assert express.step_functions_cost == pytest.approx(1e-6 + 0.06 * gb_hours)
    standard = estimate(runs, definition_bytes=2_000)
    assert standard.step_functions_parts == {"transitions": pytest.approx(5 * 0.025 / 1000)}
    assert not any("as a Standard workflow" in note for note in express.notes)
    assert any("EXPRESS" in note and "skipped (1 s per execution" in note for note in express.notes)
    parts = express.to_dict()["parts"]["step_functions"]
    assert parts["requests"] == {"per_execution_usd": 1e-06, "per_million_usd": 1.0}
    assert parts["duration"]["per_million_usd"] == pytest.approx(0.06 * gb_hours * 1e6)
    # longer than an Express execution may run: said
    assert any("5 minutes" in note for note in estimate([_timed(1, 10.0, 400.0)], workflow_type="EXPRESS").notes)
    # without a measured duration the duration is not priced, and that is said
    unmeasured = estimate([_comparison(4, {"execution": 1}, 1)], workflow_type="express")
    assert unmeasured.step_functions_parts == {"requests": pytest.approx(1e-6), "duration": None}
    assert any("duration part is not priced" in note for note in unmeasured.notes)


@pytest.mark.parametrize(
    ("definition_bytes", "data_bytes", "steps", "billed"),
    [
        (50_000, 32_000, 400, 64),  # the pricing page's example: 62.85 MB used
        (0, 0, 0, 64),
        (1_000_000, 256_000, 60, 128),  # 50 + 1 + 15.36 MB
    ],
)
def test_express_memory_estimate(definition_bytes, data_bytes, steps, billed):
    from asl2durable.report.pricing import express_memory_mb

    assert express_memory_mb(definition_bytes, data_bytes, steps) == billed


def _durable(operations, invocations, invocation_ms, data_written):
    return Comparison({}, "same", "", None, RunResult(
        "SUCCEEDED", operations=operations, invocations=invocations, invocation_ms=invocation_ms,
        data_written=data_written,
    ))


def test_durable_compute_data_written_and_retained():
    gib = 2**30
    runs = [
        _durable({"execution": 1, "step": 3}, 2, [10.2, 3.0], gib // 4),  # billed 11 + 3 ms
        _durable({"execution": 1, "step": 1}, 1, [100.0], gib // 4),  # billed 100 ms
    ]
    result = estimate(runs, memory_mb=1024, retention_days=30)
    assert (result.memory_mb, result.retention_days) == (1024, 30)
    assert result.billed_ms == 57 and result.gb_seconds == pytest.approx(0.057)
    assert result.data_written == gib / 4
    assert result.gb_months == pytest.approx(0.25 * 30 / (365 / 12))
    parts = result.durable_parts
    assert parts["operations"] == pytest.approx(3 * 8 / 1e6) and parts["requests"] == pytest.approx(1.5 * 0.2 / 1e6)
    assert parts["compute"] == pytest.approx(0.057 * 0.0000166667)
    assert parts["data_written"] == pytest.approx(0.25 * 0.25)
    assert parts["data_retained"] == pytest.approx(0.15 * 0.25 * 30 / (365 / 12))
    assert result.durable_cost == pytest.approx(sum(parts.values()))
    assert result.compute_share == pytest.approx(parts["compute"] / result.durable_cost)
    data = result.to_dict()
    assert data["memory_mb"] == 1024 and data["retention_days"] == 30
    assert data["per_execution"]["billed_ms"] == 57 and data["per_execution"]["data_written_bytes"] == gib / 4
    assert set(data["parts"]["durable"]) == {"operations", "requests", "compute", "data_written", "data_retained"}
    assert data["compute_share"] == pytest.approx(result.compute_share, abs=1e-9)
    # the template's memory and retention by default
    from asl2durable.render.deploy import DEFAULT_RETENTION_DAYS, MEMORY_MB

    default = estimate(runs)
    assert (default.memory_mb, default.retention_days) == (MEMORY_MB, DEFAULT_RETENTION_DAYS) == (128, 14)
    assert default.gb_seconds == pytest.approx(0.057 / 8)


def test_unmeasured_durable_parts_are_not_priced_and_said():
    result = estimate([_comparison(4, {"execution": 1, "step": 3}, 1)])
    assert result.durable_parts["compute"] is None and result.durable_parts["data_written"] is None
    assert result.durable_cost == pytest.approx(4 * 8 / 1e6 + 0.2 / 1e6)
    assert result.compute_share is None
    assert any("compute is not priced" in note for note in result.notes)
    assert any("data written and retained are not priced" in note for note in result.notes)


def test_empty_estimate_says_what_it_is():
    empty = estimate([Comparison({}, "could not compare", "JSONata")])
    data = empty.to_dict()
    assert {key: value for key, value in data["per_execution"].items() if value is not None} == {}
    assert set(data["per_execution"]) >= {
        "transitions", "step_functions_usd", "durable_operations", "invocations", "durable_usd"}
    assert data["ratio"] is None and data["runs"] == {"step_functions": 0, "durable": 0}
    assert data["parts"] == {"step_functions": {}, "durable": {}} and data["compute_share"] is None


SLOW = 0.5  # seconds a slow function takes
SLOW_ARN = "arn:aws:lambda:us-east-1:111111111111:function:slow"


def _slow(event, context):
    time.sleep(SLOW)
    return {"ok": True}


def test_a_chained_invoke_suspends_the_handler_a_call_from_a_step_keeps_it_running():
    from asl2durable.run.local import run_local

    chained = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": SLOW_ARN, "End": True}}}
    from_step = {"StartAt": "T", "States": {"T": {  # LogType Tail: a chained invoke cannot return the log
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": SLOW_ARN, "Payload.$": "$", "LogType": "Tail"}}}}
    suspended = run_local(chained, {}, lambdas={"slow": _slow})
    running = run_local(from_step, {}, lambdas={"slow": _slow})
    assert suspended.status == running.status == "SUCCEEDED"
    # the handler ends its invocation while the function runs, and is invoked again for the result
    assert suspended.invocations == len(suspended.invocation_ms) == 2
    assert max(suspended.invocation_ms) < SLOW * 1000
    # the step waits for the function inside the one invocation: its time is the handler's
    assert running.invocations == len(running.invocation_ms) == 1
    assert running.invocation_ms[0] >= SLOW * 1000


def test_data_written_is_the_input_the_checkpoints_the_answers_and_the_result():
    from asl2durable.run.local import run_local

    event = {"x": "y" * 1000}
    plain = run_local({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, event)
    assert plain.data_written == 2 * len(json.dumps(event))  # the input, and the same output
    answer = {"z": "w" * 5000}
    invoked = run_local(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": SLOW_ARN, "End": True}}}, event,
        lambdas={"slow": lambda e, c: answer},
    )
    # the input, the invoke's payload (checkpointed), its result (written by the service), the output
    expected = 2 * len(json.dumps(event)) + 2 * len(json.dumps(answer))
    assert expected - 10 <= invoked.data_written <= expected + 100  # (up to the spacing of the JSON)


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
        "--price-compute", "0.00002", "--memory", "512",
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
    each = cost["per_execution"]
    assert {key: each[key] for key in ("transitions", "step_functions_usd", "durable_operations", "invocations")} == {
        # the chained invoke suspends the handler: the first invocation and the resume
        "transitions": 3, "step_functions_usd": 0.00015, "durable_operations": 2, "invocations": 2}
    # each side is the sum of its parts; the durable compute is the measured duration at 512 MB
    assert cost["memory_mb"] == 512 and cost["retention_days"] == 14
    sfn, durable = cost["parts"]["step_functions"], cost["parts"]["durable"]
    assert sfn == {"transitions": {"per_execution_usd": 0.00015, "per_million_usd": 150.0}}
    assert durable["operations"]["per_million_usd"] == 20.0 and durable["requests"]["per_million_usd"] == 2.0
    invocation_ms = [b["durable"]["invocation_ms"] for b in pay["behaviour"]]
    assert [len(each_run) for each_run in invocation_ms] == [2, 2]
    assert each["billed_ms"] == sum(math.ceil(ms) for run in invocation_ms for ms in run) / 2
    assert each["gb_seconds"] == pytest.approx(each["billed_ms"] / 1000 * 0.5)
    assert durable["compute"]["per_million_usd"] == pytest.approx(each["gb_seconds"] * 0.00002 * 1e6, rel=1e-6)
    assert each["data_written_bytes"] > 0 and durable["data_written"]["per_million_usd"] > 0
    assert durable["data_retained"]["per_million_usd"] > 0
    total = sum(part["per_million_usd"] for part in durable.values())
    assert cost["per_million_executions"]["durable_usd"] == pytest.approx(total, rel=1e-6)
    assert cost["per_million_executions"]["step_functions_usd"] == 150.0
    assert cost["ratio"] == pytest.approx(total / 150, rel=1e-6)
    assert cost["compute_share"] == pytest.approx(durable["compute"]["per_million_usd"] / total, rel=1e-6)
    assert cost["prices"]["operation"]["usd"] == 10.0 and cost["prices"]["compute"]["usd"] == 0.00002
    assert cost["workflow_type"] == "STANDARD"

    pause = by_name["pause"]
    assert [b["input"] for b in pause["behaviour"]] == [{"x": 1}, {"x": 2}]  # files in name order
    assert {b["verdict"] for b in pause["behaviour"]} == {"same"}
    assert {key: pause["cost"]["per_execution"][key] for key in ("transitions", "durable_operations", "invocations")} == {
        "transitions": 2, "durable_operations": 2, "invocations": 2}
    assert pause["cost"]["parts"]["durable"]["operations"]["per_million_usd"] == 20.0

    assert by_name["plain"]["behaviour"] == [] and by_name["plain"]["cost"] is None
    [broken] = by_name["broken"]["behaviour"]
    assert broken["verdict"] == "could not compare" and "is not valid JSON" in broken["reason"]
    assert by_name["broken"]["status"] == "exact"  # the inputs' problem is not the machine's

    # The pages show the same figures.
    page = next((tmp_path / "report").glob("machines/*-pay.html")).read_text(encoding="utf-8")
    assert "<td class=\"n\">3 state transitions</td>" in page
    assert "<th>durable function (512 MB)</th>" in page
    assert "<tr><th>transitions</th><td class=\"n\">$150.00</td><td class=\"n\"></td></tr>" in page
    assert "<tr><th>operations</th><td class=\"n\"></td><td class=\"n\">$20.00</td></tr>" in page
    assert "<tr><th>requests</th><td class=\"n\"></td><td class=\"n\">$2.00</td></tr>" in page
    for part in ("compute", "data written", "data retained"):
        assert f"<tr><th>{part}</th><td class=\"n\"></td><td class=\"n\">$" in page
    assert f"<b>{cost['ratio']:.2f}×</b>" in page
    assert f"Compute is {100 * cost['compute_share']:.1f}% of the durable function's cost." in page
    assert "$0.05 per 1,000 state transitions (Standard workflows) (given on the command line)" in page
    assert "$2e-05 per 1 GB-seconds of Lambda duration (x86, first tier) (given on the command line)" in page
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert f"Per million executions: $150.0 against ${cost['per_million_executions']['durable_usd']}." in markdown
    assert "| transitions | $150.0 |  |" in markdown and "| operations |  | $20.0 |" in markdown
    assert f"| compute |  | ${durable['compute']['per_million_usd']} |" in markdown
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "4 same" in index and "1 could not compare" in index
    assert f"cost: {cost['ratio']:.2f}× Step Functions" in index


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
    from asl2durable.load.loader import Loaded

    if properties is None:
        loaded = Loaded("m.asl.json", "m", PAUSE)
    else:
        template = {"Resources": {"M": {"Type": "AWS::Serverless::StateMachine", "Properties": properties}}}
        loaded = Loaded("t.yaml", "t-M", PAUSE, template=template, resource="M")
    assert batch.workflow_type(loaded) == expected


@pytest.mark.slow  # the README's machines run for their cost figures
def test_the_readme_cost_figures_machines(tmp_path):
    """The README's figures with and without chained invoke: examples/order-processing and the
    same machine with its Lambda Tasks called from steps (tests/fixtures/cost), on the same inputs."""
    fixtures = Path(__file__).parent / "fixtures" / "cost"
    example = Path(__file__).parent.parent / "examples" / "order-processing.asl.json"
    stubs = fixtures / "lambdas.py"
    result = CliRunner().invoke(cli.main, [
        "report", str(example), str(fixtures / "order-processing-from-steps.asl.json"), "-o", str(tmp_path),
        "--format", "json", "--inputs", str(fixtures / "inputs"), "--lambda", f"validate-order={stubs}:validate",
        "--lambda", f"charge-card={stubs}:charge", "--lambda", f"ship-item={stubs}:ship",
    ])
    assert result.exit_code == 0, result.output
    by_name = {m["name"]: m for m in json.loads((tmp_path / "report.json").read_text())["machines"]}
    chained, from_steps = by_name["order-processing"], by_name["order-processing-from-steps"]
    for machine in (chained, from_steps):
        assert [b["verdict"] for b in machine["behaviour"]] == ["same", "same"]
        assert machine["cost"]["compute_share"] > 0
    # one invocation, plus one after the hour's wait; the chained invokes add one each to resume
    assert from_steps["cost"]["per_execution"]["invocations"] == 1.5
    assert chained["cost"]["per_execution"]["invocations"] > 1.5
    # a step's Lambda call runs inside the invocation: the 50 ms of each stub are billed
    first = from_steps["behaviour"][0]["durable"]["invocation_ms"][0]
    assert first >= 3 * 50  # validate, charge, then the three ship calls at once
