"""AWS's limits in local runs: what the Lambda durable API and Step Functions refuse, refused here.

``run_local`` holds every run to the durable API's limits (``asl_testing.Limits``), which the
SDK's testing runner does not check; the translation keeps within them where Step Functions does
(operation names, long waits, Task results), and fails as Step Functions fails where it cannot.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from asl2durable import translate
from asl2durable.run.local import _runtime, run_local

_runtime()  # the support modules' folder on sys.path
import asl_testing  # noqa: E402
from aws_durable_execution_sdk_python import DurableContext, durable_execution  # noqa: E402

LIMITS = asl_testing.Limits
API_NAME = re.compile(r"[\x20-\x7E]{1,256}")


def _names(operations: list[dict]) -> list[str]:
    out = []
    for op in operations:
        out.append(op["name"])
        out.extend(_names(op.get("children", [])))
    return out


def _machine(*states: tuple[str, dict], **top) -> dict:
    names = [name for name, _ in states]
    body = {}
    for i, (name, state) in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Succeed", "Fail", "Choice"):
            state.setdefault("Next", names[i + 1]) if i + 1 < len(states) else state.setdefault("End", True)
        body[name] = state
    return {"StartAt": names[0], "States": body, **top}


# --------------------------------------------------------------------------- the checks themselves


def _handler(body):
    @durable_execution
    def handler(event, context: DurableContext):
        return body(context)

    return handler


def test_a_result_over_the_checkpoint_limit_is_refused_as_the_api_refuses_it():
    outcome = asl_testing.run_handler(_handler(lambda ctx: len(ctx.step(lambda _: "x" * 300_000, name="big"))), {})
    assert outcome.status == "FAILED"
    assert outcome.error.endswith("CheckpointError")
    assert "STEP operation 'big': a checkpointed result of 300,002 bytes; the limit is 262,144" in outcome.cause
    assert outcome.limits and "262,144" in outcome.limits[0]
    # the experiment switch: the SDK's runner alone accepts it
    assert asl_testing.run_handler(_handler(lambda ctx: len(ctx.step(lambda _: "x" * 300_000))), {}, strict_limits=False).status == "SUCCEEDED"


def test_a_result_within_the_limit_passes():
    outcome = asl_testing.run_handler(_handler(lambda ctx: len(ctx.step(lambda _: "x" * 200_000, name="fits"))), {})
    assert (outcome.status, outcome.output, outcome.limits) == ("SUCCEEDED", 200_000, [])


def test_an_operation_name_outside_printable_ascii_is_refused():
    outcome = asl_testing.run_handler(_handler(lambda ctx: ctx.step(lambda _: 1, name="caf\u00e9")), {})
    assert outcome.status == "FAILED" and "an operation name is 1 to 256 printable ASCII characters" in outcome.cause
    outcome = asl_testing.run_handler(_handler(lambda ctx: ctx.step(lambda _: 1, name="n" * 257)), {})
    assert outcome.status == "FAILED" and outcome.limits


def test_a_wait_longer_than_the_api_allows_is_refused():
    from aws_durable_execution_sdk_python.config import Duration

    outcome = asl_testing.run_handler(_handler(lambda ctx: ctx.wait(Duration(31_622_401), name="w")), {})
    assert outcome.status == "FAILED" and "WaitSeconds 31,622,401 is outside 1..31,622,400" in outcome.cause


def test_the_operation_count_is_bounded_by_the_history_quota(monkeypatch):
    assert LIMITS.OPERATIONS == 25_000
    monkeypatch.setattr(LIMITS, "OPERATIONS", 300)  # (the same check, sooner)

    def many(ctx):
        for i in range(300):
            ctx.step(lambda _: None, name="s")
        return "done"

    outcome = asl_testing.run_handler(_handler(many), {})
    assert outcome.status == "FAILED"
    assert "would have 301 operations; its history holds at most 300" in outcome.cause


def test_a_checkpoint_batch_over_750_kb_is_refused():
    """The SDK batches checkpoints within the limit; the check catches code that does not."""
    from aws_durable_execution_sdk_python.lambda_service import OperationType, OperationUpdate, OperationAction

    class Execution:
        operations: list = []

    updates = [
        OperationUpdate(operation_id=f"id{i}", operation_type=OperationType.STEP, action=OperationAction.SUCCEED, name="s", payload="x" * 200_000)
        for i in range(4)
    ]
    limits = LIMITS()
    with pytest.raises(Exception, match="one checkpoint of 800,000 bytes; the limit is 768,000"):
        limits.check(updates, Execution(), None)
    assert limits.exceeded


def test_an_input_over_256_kib_is_refused():
    with pytest.raises(ValueError, match="262,144 bytes"):
        run_local(_machine(("P", {"Type": "Pass"})), {"big": "x" * 270_000})


# --------------------------------------------------------------------------- names the API accepts


def test_state_names_become_operation_names_the_api_accepts():
    states = [
        ("Caf\u00e9 \u2615", {"Type": "Pass", "Result": "coffee", "ResultPath": "$.drink"}),
        ("Wait \u00e9", {"Type": "Wait", "Seconds": 5}),
        ("\u540d" * 80, {"Type": "Wait", "Seconds": 1}),
        ("\u540d" * 79 + "x", {"Type": "Wait", "Seconds": 1}),
        ("back\\slash", {"Type": "Wait", "Seconds": 1}),
    ]
    definition = _machine(*states)
    result = run_local(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    names = _names(result.operations)
    assert all(API_NAME.fullmatch(n) for n in names), names
    assert "Wait \\xe9" in names and "back\\\\slash" in names
    long_names = [n for n in names if n.startswith("\\u540d")]
    assert len(long_names) == 2 and len(set(long_names)) == 2 and all(len(n) == 256 for n in long_names)
    # the same names on every replay
    replayed = run_local(definition, {}, force_replays=True)
    assert [n for n in _names(replayed.operations) if not n.startswith("(replay after")] == names
    # and the code still says what the states are called
    handler = translate(definition, outputs=("handler",)).files["handler.py"]
    assert "Caf\u00e9 \u2615" in handler and "\u540d" * 80 in handler


def test_operation_name_mapping():
    rt = _runtime()
    assert rt.operation_name("Charge card") == "Charge card"
    assert rt.operation_name("Caf\u00e9") == "Caf\\xe9"
    assert rt.operation_name("a\\xe9") != rt.operation_name("a\u00e9")  # distinct names stay distinct
    assert rt.operation_name("tab\there") == "tab\\x09here"
    assert rt.operation_name("\U0001f680") == "\\U0001f680"
    long = rt.operation_name("x" * 300)
    assert len(long) == 256 and long.startswith("x" * 247 + "~")
    assert rt.operation_name("x" * 300) == long != rt.operation_name("x" * 301)


# --------------------------------------------------------------------------- long waits


def test_a_wait_past_the_executions_lifetime_warns_and_times_out():
    definition = _machine(("Sleep", {"Type": "Wait", "Seconds": 40_000_000}))
    codes = {d.code for d in translate(definition).diagnostics}
    assert "WAIT_OUTLASTS_EXECUTION" in codes
    result = run_local(definition, {})
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert "times out after 31,622,400 s" in result.limits[0]


def test_a_wait_longer_than_one_durable_wait_is_several():
    definition = _machine(("Sleep", {"Type": "Wait", "Seconds": 40_000_000}), ("Done", {"Type": "Pass"}))
    result = run_local(definition, {"a": 1}, strict_limits=False)  # (the lifetime is the experiment's)
    assert result.status == "SUCCEEDED" and result.output == {"a": 1}
    waits = [op for op in result.operations if op["type"] == "WAIT"]
    assert [op["name"] for op in waits] == ["Sleep (part 1)", "Sleep (part 2)"]


def test_an_express_wait_past_five_minutes_times_out():
    definition = _machine(("Sleep", {"Type": "Wait", "Seconds": 600}))
    translation = translate(definition, workflow_type="EXPRESS")
    assert "WAIT_OUTLASTS_EXECUTION" in {d.code for d in translation.diagnostics}
    assert "ExecutionTimeout: 300" in translation.files["template.yaml"]
    result = run_local(definition, {}, workflow_type="EXPRESS")
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert run_local(definition, {}).status == "SUCCEEDED"  # a Standard execution waits


def test_a_wait_from_a_path_past_the_machines_timeout_times_out():
    definition = _machine(("Sleep", {"Type": "Wait", "SecondsPath": "$.s"}), TimeoutSeconds=3600)
    assert run_local(definition, {"s": 3000}).status == "SUCCEEDED"
    assert run_local(definition, {"s": 4000}).status == "TIMED_OUT"


# --------------------------------------------------------------------------- Step Functions' 256 KiB


@pytest.fixture
def s3(monkeypatch):
    import boto3
    import moto

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="data")
        yield client


def test_a_service_result_over_256_kib_is_data_limit_exceeded_not_a_refused_checkpoint(s3):
    s3.put_object(Bucket="data", Key="big.txt", Body=b"x" * 300_000)
    s3.put_object(Bucket="data", Key="small.txt", Body=b"x" * 1_000)
    definition = _machine(
        ("Get", {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "data", "Key.$": "$.key"}, "ResultSelector": {"Length.$": "$.ContentLength"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        }),
        ("Caught", {"Type": "Pass"}),
    )  # fmt: skip
    result = run_local(definition, {"key": "big.txt"})
    assert result.status == "SUCCEEDED" and result.limits == []
    assert result.output == {
        "Error": "States.DataLimitExceeded",
        "Cause": "The state/task 's3' returned a result with a size exceeding the maximum number of bytes service limit.",
    }
    assert run_local(definition, {"key": "small.txt"}).output == {"Length": 1000}


def test_a_parallel_output_over_256_kib_is_data_limit_exceeded():
    branches = [{"StartAt": b, "States": {b: {"Type": "Pass", "Result": "x" * 150_000, "End": True}}} for b in "AB"]
    definition = _machine(("Both", {"Type": "Parallel", "Branches": branches}))
    result = run_local(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    assert result.limits == []  # Step Functions' limit, met before any durable limit
