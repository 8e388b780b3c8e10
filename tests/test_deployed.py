"""Deployed fidelity of Tasks: what a translated handler does once it runs on Lambda.

* Lambda Tasks are chained invokes (``context.invoke``): the durable function suspends while the
  target runs; TimeoutSeconds races a durable timer; errors keep Step Functions' names.
* Steps with a side effect run at most once per attempt in STANDARD workflows, at least once in
  EXPRESS ones; ``run_local(faults="interrupt")`` shows the difference.
* AWS clients: one per service, no retries of their own, a read timeout above Lambda's maximum.
* The context object of a durable execution; callbacks completed with text that is not JSON.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from asl2durable.run.local import load_handler, run_local
from asl2durable.translate import translate

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:work"


def task(**fields):
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "End": True, **fields}}}


def flat(operations):
    for op in operations:
        yield op
        yield from flat(op.get("children", []))


def kinds(result) -> list[str]:
    return [op["type"] for op in flat(result.operations)]


# --------------------------------------------------------------------------- chained invoke


def test_a_lambda_task_is_a_chained_invoke_not_a_step():
    result = run_local(task(Resource=FUNCTION), {"a": 1}, lambdas={"work": lambda event, _: {"got": event}})
    assert result.status == "SUCCEEDED" and result.output == {"got": {"a": 1}}
    assert kinds(result) == ["CHAINED_INVOKE"], result.operations


def test_the_lambda_invoke_envelope():
    machine = task(Resource="arn:aws:states:::lambda:invoke", Parameters={"FunctionName": FUNCTION, "Payload.$": "$"})
    result = run_local(machine, {"a": 1}, lambdas={"work": lambda event, _: {"got": event}})
    out = result.output
    assert result.status == "SUCCEEDED" and kinds(result) == ["CHAINED_INVOKE"]
    assert (out["StatusCode"], out["ExecutedVersion"], out["Payload"]) == (200, "$LATEST", {"got": {"a": 1}})
    headers = out["SdkHttpMetadata"]["HttpHeaders"]
    assert headers["Content-Length"] == str(len(json.dumps({"got": {"a": 1}})))
    assert headers["x-amzn-RequestId"] == out["SdkResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-amzn-RequestId"])
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["Date"])


def test_a_numeric_qualifier_is_the_executed_version():
    machine = task(
        Resource="arn:aws:states:::lambda:invoke", Parameters={"FunctionName": FUNCTION, "Qualifier": "7", "Payload": {}}
    )
    result = run_local(machine, {}, lambdas={"work": lambda event, _: 1})
    assert result.output["ExecutedVersion"] == "7" and result.output["Payload"] == 1


class CardDeclined(Exception):
    pass


def test_a_function_error_keeps_its_error_type_and_lambda_error_json():
    def work(event, _context):
        raise CardDeclined("insufficient funds")

    result = run_local(task(Resource=FUNCTION), {}, lambdas={"work": work})
    assert (result.status, result.error) == ("FAILED", "CardDeclined")
    cause = json.loads(result.cause)
    assert cause["errorType"] == "CardDeclined" and cause["errorMessage"] == "insufficient funds"
    assert any("raise CardDeclined" in line for line in cause["stackTrace"]) and cause["requestId"]


def test_a_missing_function_is_a_lambda_service_error():
    result = run_local(task(Resource=FUNCTION), {}, lambdas={})
    assert (result.status, result.error) == ("FAILED", "Lambda.ResourceNotFoundException")


def test_timeout_seconds_races_a_durable_timer():
    def slow(event, _context):
        time.sleep(3)
        return "late"

    result = run_local(task(Resource=FUNCTION, TimeoutSeconds=1), {}, lambdas={"work": slow})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    # no step waits for the function: the invoke and a callback that times out, in a Parallel
    assert "STEP" not in kinds(result) and {"CHAINED_INVOKE", "CALLBACK"} <= set(kinds(result))

    quick = run_local(task(Resource=FUNCTION, TimeoutSeconds=30), {}, lambdas={"work": lambda e, c: "on time"})
    assert (quick.status, quick.output) == ("SUCCEEDED", "on time")


def test_timeout_seconds_path_and_catch():
    def slow(event, _context):
        time.sleep(3)

    machine = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": FUNCTION, "TimeoutSecondsPath": "$.limit",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Done"}], "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    result = run_local(machine, {"limit": 1}, lambdas={"work": slow})
    assert result.status == "SUCCEEDED" and result.output["error"] == {"Error": "States.Timeout", "Cause": ""}


@pytest.mark.parametrize(
    "parameters, why",
    [
        ({"InvocationType": "Event"}, "asynchronous"),
        ({"LogType": "Tail"}, "log tail"),
        ({"ClientContext": "e30="}, "ClientContext"),
    ],
)
def test_what_a_chained_invoke_cannot_carry_is_called_from_a_step(parameters, why):
    machine = task(
        Resource="arn:aws:states:::lambda:invoke", Parameters={"FunctionName": FUNCTION, "Payload": {}, **parameters}
    )
    translation = translate(machine)
    warnings = [d for d in translation.diagnostics if d.code == "LAMBDA_CALLED_FROM_STEP"]
    assert len(warnings) == 1 and why in warnings[0].message
    result = run_local(machine, {}, lambdas={"work": lambda event, _: {"ok": True}})
    assert result.status == "SUCCEEDED" and kinds(result) == ["STEP"]
    if parameters.get("InvocationType") == "Event":
        assert result.output["StatusCode"] == 202
    if "LogType" in parameters:
        assert "LogResult" in result.output


def test_a_function_in_another_region_is_called_from_a_step():
    other = "arn:aws:lambda:eu-west-1:111111111111:function:work"
    machine = {
        "StartAt": "Here",
        "States": {
            "Here": {"Type": "Task", "Resource": FUNCTION, "ResultPath": "$.here", "Next": "There"},
            "There": {"Type": "Task", "Resource": other, "ResultPath": "$.there", "End": True},
        },
    }
    result = run_local(machine, {}, lambdas={"work": lambda event, _: 1})
    assert result.status == "SUCCEEDED" and result.output == {"here": 1, "there": 1}
    assert kinds(result) == ["CHAINED_INVOKE", "STEP"]


# --------------------------------------------------------------------------- at most once


SEND = {
    "Type": "Task",
    "Resource": "arn:aws:states:::sqs:sendMessage",
    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/orders", "MessageBody.$": "$"},
}


def _run_with_faults(definition, workflow_type, calls, **kw):
    import asl_testing

    translation = translate(definition, workflow_type=workflow_type)
    handler = load_handler(translation.files["handler.py"]).handler

    def service(resource, params, pattern):
        calls.append(params)
        return {"MessageId": str(len(calls))}

    return asl_testing.run_handler(handler, {"order": 1}, service_caller=service, faults="interrupt", **kw)


def test_standard_runs_a_side_effect_at_most_once_per_attempt():
    calls: list = []
    outcome = _run_with_faults(task(**SEND), "STANDARD", calls)
    # the sandbox stopped after the message was sent, before the result was saved: on replay the
    # step is not run again, it fails with the name of a lost answer
    assert len(calls) == 1
    assert (outcome.status, outcome.error) == ("FAILED", "SQS.SdkClientException")
    assert "interrupted before its result was saved" in outcome.cause
    assert set(outcome.effect_runs.values()) == {1}


def test_retry_and_catch_apply_to_the_interrupted_error():
    calls: list = []
    retried = task(
        **SEND,
        Retry=[{"ErrorEquals": ["SQS.SdkClientException"], "MaxAttempts": 2}],
        Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
    )
    retried["States"]["Caught"] = {"Type": "Pass", "End": True}
    outcome = _run_with_faults(retried, "STANDARD", calls)
    # every attempt is a new step, and each is interrupted once (faults="interrupt"): three
    # attempts, one call each, then the Catch
    assert len(calls) == 3 and sorted(outcome.effect_runs.values()) == [1, 1, 1]
    assert outcome.status == "SUCCEEDED" and outcome.output["error"]["Error"] == "SQS.SdkClientException"


def test_express_runs_a_side_effect_at_least_once():
    calls: list = []
    outcome = _run_with_faults(task(**SEND), "EXPRESS", calls)
    assert outcome.status == "SUCCEEDED" and len(calls) == 2  # run again on replay, as Express may
    assert list(outcome.effect_runs.values()) == [2]


def test_a_chained_invoke_interrupted_after_it_returned_is_not_invoked_again():
    count = []
    result = run_local(
        task(Resource=FUNCTION), {}, lambdas={"work": lambda event, _: count.append(1) or len(count)}, faults="interrupt"
    )
    assert (result.status, result.output, len(count)) == ("SUCCEEDED", 1, 1)


def test_the_workflow_type_comes_from_the_template_or_is_assumed_with_a_note():
    from asl2durable.load.loader import load

    definition = task(Resource=FUNCTION)
    for key, kind, expected in [
        ("Type", "AWS::Serverless::StateMachine", "EXPRESS"),
        ("StateMachineType", "AWS::StepFunctions::StateMachine", "EXPRESS"),
    ]:
        template = {"Resources": {"M": {"Type": kind, "Properties": {"Definition": definition, key: "EXPRESS"}}}}
        assert load(template).workflow_type == expected
    plain = translate(definition)
    assert [d.code for d in plain.diagnostics if d.severity.value == "INFO"] == ["WORKFLOW_TYPE_ASSUMED"]
    assert "workflow_type=" not in plain.files["handler.py"]
    express = translate(definition, workflow_type="EXPRESS")
    assert 'workflow_type="EXPRESS"' in express.files["handler.py"]
    assert "WORKFLOW_TYPE_ASSUMED" not in [d.code for d in express.diagnostics]


# --------------------------------------------------------------------------- AWS clients


class _Slow(BaseHTTPRequestHandler):
    """Answers every call late; counts the calls per path (one path per client under test)."""

    requests: dict[str, int] = {}

    def do_POST(self):  # noqa: N802
        type(self).requests[self.path] = type(self).requests.get(self.path, 0) + 1
        time.sleep(0.6)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped waiting, which is the point

    def log_message(self, *args):
        pass


@pytest.mark.slow  # waits on a local endpoint's time-outs
def test_clients_do_not_resend_a_call_they_stopped_waiting_for(monkeypatch):
    import asl_aws
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ReadTimeoutError

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    # a server that answers calls side by side, so a late call never delays the count of the next
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    calls = lambda name: sum(n for path, n in _Slow.requests.items() if f"/functions/{name}/" in path)  # noqa: E731
    try:
        # botocore's defaults re-send a call whose answer is late (the reproduction of the issue)
        default = boto3.client("lambda", region_name="us-east-1", endpoint_url=endpoint, config=Config(read_timeout=0.3))
        with pytest.raises(ReadTimeoutError):
            default.invoke(FunctionName="slow-default")
        assert calls("slow-default") > 1
        # ours: one request, whatever happens (here a read timeout shortened for the test)
        ours = boto3.client("lambda", region_name="us-east-1", endpoint_url=endpoint, config=asl_aws.client_config(read_timeout=0.3))
        with pytest.raises(ReadTimeoutError):
            ours.invoke(FunctionName="slow-ours")
        time.sleep(0.3)  # a re-sent call, if any, would have arrived by now
        assert calls("slow-ours") == 1
    finally:
        server.shutdown()
        server.server_close()


def test_one_client_per_service_with_a_read_timeout_above_lambdas_maximum(monkeypatch):
    import asl_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert asl_aws.client("sqs") is asl_aws.client("sqs")
    assert asl_aws.client("sqs") is not asl_aws.client("sqs", "eu-west-1")
    config = asl_aws.client("lambda").meta.config
    assert config.read_timeout > 900 and config.retries["total_max_attempts"] == 1


# --------------------------------------------------------------------------- context object


CONTEXT = {
    "StartAt": "P",
    "States": {
        "P": {
            "Type": "Pass",
            "Parameters": {"execution.$": "$$.Execution", "machine.$": "$$.StateMachine"},
            "End": True,
        }
    },
}


def test_the_context_object_of_a_durable_execution():
    result = run_local(CONTEXT, {"k": 1}, execution_name="order-1234")
    execution, machine = result.output["execution"], result.output["machine"]
    assert execution["Name"] == "order-1234"
    assert re.fullmatch(
        r"arn:aws:lambda:us-east-1:111111111111:function:[\w-]+:\$LATEST/durable-execution/order-1234/[\w-]+",
        execution["Id"],
    ), execution["Id"]
    assert machine["Id"] == execution["Id"].split("/durable-execution/")[0]
    assert execution["RedriveCount"] == 0 and execution["Input"] == {"k": 1}
    replayed = run_local(CONTEXT, {"k": 1}, execution_name="order-1234", force_replays=True)
    assert replayed.output["machine"] == machine


def test_express_executions_have_no_redrive_count():
    result = run_local(CONTEXT, {}, workflow_type="EXPRESS")
    assert "RedriveCount" not in result.output["execution"]


# --------------------------------------------------------------------------- callbacks


CALLBACK = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "MessageBody.$": "$$.Task.Token"},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_a_callback_result_that_is_not_json_fails_the_task_catchably():
    from asl2durable.run.aws_local import moto_aws

    with moto_aws({"queues": ["q"]}):
        result = run_local(CALLBACK, {}, callbacks=lambda request: {"raw": "approved, not JSON"})
        ok = run_local(CALLBACK, {}, callbacks=lambda request: {"raw": '{"approved": true}'})
    assert result.status == "SUCCEEDED", result
    assert result.output["error"]["Error"] == "States.TaskFailed"
    assert "not JSON" in result.output["error"]["Cause"]
    assert ok.output == {"approved": True}


def test_the_lambda_api_errors_are_the_invoke_operations_errors_in_botocores_model():
    import asl_runtime as rt
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    assert rt.LAMBDA_API_ERRORS == {shape.name for shape in model.operation_model("Invoke").error_shapes}


def test_the_report_counts_what_a_lambda_task_costs():
    from asl2durable.lower.lower import lower
    from asl2durable.report.report import operations

    def counted(**fields):
        workflow, _ = lower(task(**fields), "m")
        return operations(workflow.root.states["T"])

    assert counted(Resource=FUNCTION) == {"invoke": 1}
    assert counted(Resource=FUNCTION, TimeoutSeconds=5) == {"invoke": 1, "callback": 1, "parallel": 1}
    event = {"FunctionName": FUNCTION, "InvocationType": "Event"}
    assert counted(Resource="arn:aws:states:::lambda:invoke", Parameters=event) == {"step": 1}


def test_names_the_api_would_refuse_are_refused_plainly():
    with pytest.raises(ValueError, match="execution_name"):
        run_local(CONTEXT, {}, execution_name="not a valid name")
    with pytest.raises(ValueError, match="workflow_type"):
        translate(CONTEXT, workflow_type="SOMETIMES")


def test_invocations_are_counted_over_every_page_of_the_history():
    """The runner gives the history in pages of 100 events (about 30 invocations); a run of 40
    waits has 41 invocations."""
    states = {f"W{i}": {"Type": "Wait", "Seconds": 1, "Next": f"W{i + 1}"} for i in range(40)}
    definition = {"StartAt": "W0", "States": {**states, "W40": {"Type": "Pass", "End": True}}}
    assert run_local(definition, {}).invocations == 41
