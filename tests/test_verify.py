"""``asl2durable verify``: recorded executions replayed on the translation, compared state by state.

The histories here are written as ``aws stepfunctions get-execution-history`` prints them (values
as JSON text, ISO timestamps, ``previousEventId`` chains, interleaved Map iterations), for one
machine that has a Lambda Task retried once, a Choice, a Map whose iterations call Lambda through
``lambda:invoke``, a Parallel with a service call, and a Succeed. Each deliberately wrong
translation (a mutant of the definition) must be found at the field it changes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asl2durable.cli import main
from asl2durable.load.history import discover, read
from asl2durable.run.verify import COULD_NOT_COMPARE, DIFFERS, SAME, verify

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/shipped"

DEFINITION = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": FN + "charge",
            "Parameters": {"amount.$": "$.order.total", "currency": "EUR"},
            "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2, "IntervalSeconds": 1}],
            "Next": "Big?",
        },
        "Big?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.order.total", "NumericGreaterThan": 100, "Next": "Ship"}],
            "Default": "Small",
        },
        "Small": {"Type": "Fail", "Error": "TooSmall", "Cause": "small order"},
        "Ship": {
            "Type": "Map",
            "ItemsPath": "$.order.items",
            "ItemSelector": {"sku.$": "$$.Map.Item.Value", "order.$": "$.order.id"},
            "ItemProcessor": {
                "StartAt": "Pack",
                "States": {
                    "Pack": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": FN + "pack", "Payload.$": "$"},
                        "ResultSelector": {"box.$": "$.Payload.box"},
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.boxes",
            "Next": "Notify",
        },
        "Notify": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Email", "States": {"Email": {"Type": "Pass", "Result": "email", "End": True}}},
                {
                    "StartAt": "Queue",
                    "States": {
                        "Queue": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sqs:sendMessage",
                            "Parameters": {"QueueUrl": QUEUE, "MessageBody.$": "$.order.id"},
                            "ResultSelector": {"id.$": "$.MessageId"},
                            "End": True,
                        }
                    },
                },
            ],
            "ResultPath": "$.notified",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed", "OutputPath": "$.boxes"},
    },
}


class History:
    """Events as get-execution-history prints them: JSON values as text, ids chained."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, after: int | None = None, details: str | None = None, **fields) -> int:
        ident = len(self.events) + 1
        event = {
            "timestamp": f"2026-11-30T10:00:{ident % 60:02d}.{ident:03d}000+00:00",
            "type": kind,
            "id": ident,
            "previousEventId": ident - 1 if after is None else after,
        }
        if details is not None:
            event[details] = {k: json.dumps(v) if k in ("input", "output", "parameters") else v for k, v in fields.items()}
        self.events.append(event)
        return ident

    def entered(self, kind: str, name: str, value, after: int | None = None) -> int:
        return self.add(f"{kind}StateEntered", after, "stateEnteredEventDetails", name=name, input=value)

    def exited(self, kind: str, name: str, value, after: int | None = None) -> int:
        return self.add(f"{kind}StateExited", after, "stateExitedEventDetails", name=name, output=value)

    def doc(self) -> dict:
        return {"events": self.events}


LAMBDA_ERROR = {
    "errorMessage": "try later",
    "errorType": "Busy",
    "requestId": "5f1c2b4e-0000-4000-8000-000000000001",
    "stackTrace": ['  File "/var/task/app.py", line 3, in handler\n    raise Busy("try later")\n'],
}


def envelope(payload) -> dict:
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {"HttpStatusCode": 200, "HttpHeaders": {"x-amzn-RequestId": "4d0d"}},
        "SdkResponseMetadata": {"RequestId": "4d0d"},
        "StatusCode": 200,
    }


def succeeded_history() -> dict:
    h = History()
    order = {"id": "o-1", "total": 120, "items": ["a", "b"]}
    data = {"order": order}
    h.add("ExecutionStarted", 0, "executionStartedEventDetails", input=data, roleArn="arn:aws:iam::123456789012:role/sfn")
    e = h.entered("Task", "Charge", data)
    sent = {"amount": 120, "currency": "EUR"}
    e = h.add("LambdaFunctionScheduled", e, "lambdaFunctionScheduledEventDetails", resource=FN + "charge", input=sent)
    e = h.add("LambdaFunctionStarted", e)
    e = h.add("LambdaFunctionFailed", e, "lambdaFunctionFailedEventDetails", error="Busy", cause=json.dumps(LAMBDA_ERROR))
    e = h.add("LambdaFunctionScheduled", e, "lambdaFunctionScheduledEventDetails", resource=FN + "charge", input=sent)
    e = h.add("LambdaFunctionStarted", e)
    e = h.add("LambdaFunctionSucceeded", e, "lambdaFunctionSucceededEventDetails", output={"id": "ch-1"})
    data = {**data, "charge": {"id": "ch-1"}}
    e = h.exited("Task", "Charge", data, e)
    e = h.entered("Choice", "Big?", data, e)
    e = h.exited("Choice", "Big?", data, e)
    e = h.entered("Map", "Ship", data, e)
    started = h.add("MapStateStarted", e, "mapStateStartedEventDetails", length=2)
    # the two iterations run at once: their events interleave, each chained to its own
    first = h.add("MapIterationStarted", started, "mapIterationStartedEventDetails", name="Ship", index=0)
    second = h.add("MapIterationStarted", started, "mapIterationStartedEventDetails", name="Ship", index=1)
    lanes = {}
    for index, (sku, box, at) in enumerate((("a", "A1", first), ("b", "B2", second))):
        item = {"sku": sku, "order": "o-1"}
        lanes[index] = h.entered("Task", "Pack", item, at)
    for index, (sku, box) in enumerate((("a", "A1"), ("b", "B2"))):
        item = {"sku": sku, "order": "o-1"}
        params = {"FunctionName": FN + "pack", "Payload": item}
        e = h.add("TaskScheduled", lanes[index], "taskScheduledEventDetails", resourceType="lambda", resource="invoke",
                  region="us-east-1", parameters=params, timeoutInSeconds=None)
        e = h.add("TaskStarted", e, "taskStartedEventDetails", resourceType="lambda", resource="invoke")
        lanes[index] = h.add("TaskSucceeded", e, "taskSucceededEventDetails", resourceType="lambda", resource="invoke",
                             output=envelope({"box": box}))
    ends = []
    for index, box in ((1, "B2"), (0, "A1")):
        e = h.exited("Task", "Pack", {"box": box}, lanes[index])
        ends.append(h.add("MapIterationSucceeded", e, "mapIterationSucceededEventDetails", name="Ship", index=index))
    e = h.add("MapStateSucceeded", ends[-1])
    boxes = [{"box": "A1"}, {"box": "B2"}]
    data = {**data, "boxes": boxes}
    e = h.exited("Map", "Ship", data, e)
    e = h.entered("Parallel", "Notify", data, e)
    started = h.add("ParallelStateStarted", e)
    email = h.entered("Pass", "Email", data, started)
    queue = h.entered("Task", "Queue", data, started)
    email = h.exited("Pass", "Email", "email", email)
    e = h.add("TaskScheduled", queue, "taskScheduledEventDetails", resourceType="sqs", resource="sendMessage",
              region="us-east-1", parameters={"QueueUrl": QUEUE, "MessageBody": "o-1"})
    e = h.add("TaskStarted", e, "taskStartedEventDetails", resourceType="sqs", resource="sendMessage")
    e = h.add("TaskSucceeded", e, "taskSucceededEventDetails", resourceType="sqs", resource="sendMessage",
              output={"MD5OfMessageBody": "8b1a", "MessageId": "m-1", "SdkHttpMetadata": {"HttpStatusCode": 200}})
    e = h.exited("Task", "Queue", {"id": "m-1"}, e)
    e = h.add("ParallelStateSucceeded", e)
    data = {**data, "notified": ["email", {"id": "m-1"}]}
    e = h.exited("Parallel", "Notify", data, e)
    e = h.entered("Succeed", "Done", data, e)
    e = h.exited("Succeed", "Done", boxes, e)
    h.add("ExecutionSucceeded", e, "executionSucceededEventDetails", output=boxes)
    return h.doc()


def failed_history() -> dict:
    h = History()
    data = {"order": {"id": "o-2", "total": 50, "items": []}}
    h.add("ExecutionStarted", 0, "executionStartedEventDetails", input=data, roleArn="arn:aws:iam::123456789012:role/sfn")
    e = h.entered("Task", "Charge", data)
    e = h.add("LambdaFunctionScheduled", e, "lambdaFunctionScheduledEventDetails", resource=FN + "charge",
              input={"amount": 50, "currency": "EUR"})
    e = h.add("LambdaFunctionStarted", e)
    e = h.add("LambdaFunctionSucceeded", e, "lambdaFunctionSucceededEventDetails", output={"id": "ch-2"})
    data = {**data, "charge": {"id": "ch-2"}}
    e = h.exited("Task", "Charge", data, e)
    e = h.entered("Choice", "Big?", data, e)
    e = h.exited("Choice", "Big?", data, e)
    e = h.entered("Fail", "Small", data, e)
    h.add("ExecutionFailed", e, "executionFailedEventDetails", error="TooSmall", cause="small order")
    return h.doc()


def mutant(change) -> dict:
    definition = copy.deepcopy(DEFINITION)
    change(definition["States"])
    return definition


@pytest.mark.slow  # every recorded execution verified
def test_the_recorded_executions_verify_as_the_same():
    for history in (succeeded_history(), failed_history()):
        result = verify(DEFINITION, history)
        assert result.verdict == SAME, str(result)
    result = verify(DEFINITION, succeeded_history())
    assert (result.events, result.states) == (len(succeeded_history()["events"]), 9)


def test_history_places_interleaved_iterations_and_branches_by_their_event_chains():
    execution = read(succeeded_history()["events"], DEFINITION)
    states = [v.state for v in execution.root.visits]
    assert states == ["Charge", "Big?", "Ship", "Notify", "Done"]
    charge, _, ship, notify, _ = execution.root.visits
    assert [c.outcome for c in charge.calls] == ["failed", "succeeded"]
    assert {i: [(v.state, v.input, v.output) for v in lane.visits] for i, lane in ship.lanes.items()} == {
        0: [("Pack", {"sku": "a", "order": "o-1"}, {"box": "A1"})],
        1: [("Pack", {"sku": "b", "order": "o-1"}, {"box": "B2"})],
    }
    assert ship.lanes[1].visits[0].calls[0].parameters["Payload"] == {"sku": "b", "order": "o-1"}
    assert [lane.visits[0].state for _, lane in sorted(notify.lanes.items())] == ["Email", "Queue"]
    assert execution.status == "SUCCEEDED" and execution.output == [{"box": "A1"}, {"box": "B2"}]


# each mutant, and where verify must find it: (recorded event id, state, field, path, where)
def _set(path: list, value):
    def change(states):
        target = states
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BRANCH_QUEUE = ["Notify", "Branches", 1, "States", "Queue"]
PACK = ["Ship", "ItemProcessor", "States", "Pack"]

MUTANTS = {
    "a static Parameters value": (_set(["Charge", "Parameters", "currency"], "USD"), 3, "Charge", "parameters", "$.currency", ""),
    "Retry MaxAttempts": (_set(["Charge", "Retry", 0, "MaxAttempts"], 0), 6, "Charge", "attempts", "$", ""),
    "Retry ErrorEquals": (_set(["Charge", "Retry", 0, "ErrorEquals"], ["Busier"]), 6, "Charge", "attempts", "$", ""),
    "a ResultPath": (_set(["Charge", "ResultPath"], "$.payment"), 9, "Charge", "output", "$.charge", ""),
    "a Choice threshold": (_set(["Big?", "Choices", 0, "NumericGreaterThan"], 200), 12, "Small", "state entered", "$", ""),
    "an ItemSelector": (_set(["Ship", "ItemSelector", "order.$"], "$.order.total"), 16, "Pack", "input", "$.order",
                        "Map 'Ship' iteration 0"),
    "a ResultSelector in an iteration": (_set(PACK + ["ResultSelector"], {"crate.$": "$.Payload.box"}), 26, "Pack", "output",
                                         "$.box", "Map 'Ship' iteration 0"),
    "a parameter in a branch": (_set(BRANCH_QUEUE + ["Parameters", "MessageBody.$"], "$.order.total"), 35, "Queue",
                                "parameters", "$.MessageBody", "Parallel 'Notify' branch 1"),
    "an OutputPath": (_set(["Done", "OutputPath"], "$.notified"), 42, "Done", "output", "$[0]", ""),
}


@pytest.mark.slow  # a verify run per changed field
@pytest.mark.parametrize("name", list(MUTANTS))
def test_verify_finds_a_wrong_translation_at_the_field_it_changes(name):
    change, event, state, field, path, where = MUTANTS[name]
    result = verify(mutant(change), succeeded_history())
    assert result.verdict == DIFFERS, str(result)
    d = result.divergence
    if field == "state entered":  # the route: the recorded state, and what ran instead
        assert (d.event, d.field, d.recorded, d.translated) == (event, field, "Ship", state), str(result)
        return
    assert (d.event, d.state, d.field, d.path, d.where) == (event, state, field, path, where), str(result)


def test_verify_finds_a_different_end():
    history = failed_history()
    error = verify(mutant(_set(["Small", "Error"], "Tiny")), history)
    assert (error.verdict, error.divergence.field, error.divergence.recorded, error.divergence.translated) == (
        DIFFERS, "error", "TooSmall", "Tiny")
    assert error.divergence.event == len(history["events"])
    cause = verify(mutant(_set(["Small", "Cause"], "tiny order")), history)
    assert (cause.divergence.field, cause.divergence.recorded, cause.divergence.translated) == (
        "cause", "small order", "tiny order")
    route = verify(mutant(_set(["Big?", "Choices", 0, "NumericGreaterThan"], 10)), history)
    assert (route.divergence.field, route.divergence.recorded, route.divergence.translated) == (
        "state entered", "Small", "Ship")


def test_ignore_skips_the_paths_the_user_knows_differ():
    wrong = mutant(_set(["Charge", "Parameters", "currency"], "USD"))
    assert verify(wrong, succeeded_history(), ignore=["$.currency"]).verdict == SAME
    assert verify(wrong, succeeded_history(), ignore=["$..currency"]).verdict == SAME
    assert verify(wrong, succeeded_history(), ignore=["$.amount"]).verdict == DIFFERS
    with pytest.raises(ValueError, match="JSONPath"):
        verify(DEFINITION, succeeded_history(), ignore=["currency"])


@pytest.mark.slow  # verify runs with and without placeholders
def test_placeholders_are_wildcards_only_when_asked():
    """A history whose values were normalised to tokens (the order id here, as in the shared
    conformance histories) verifies with --placeholders, run on the real input."""
    history = json.loads(json.dumps(succeeded_history()).replace("o-1", "<order-id>"))
    real = {"order": {"id": "o-1", "total": 120, "items": ["a", "b"]}}
    wrong = verify(DEFINITION, history, input=real)
    assert wrong.verdict == DIFFERS and wrong.divergence.path == "$.order.id", str(wrong)
    assert verify(DEFINITION, history, input=real, placeholders=True).verdict == SAME
    partly = json.loads(json.dumps(succeeded_history()).replace('\\"o-1\\"', '\\"order <n>\\"'))
    assert verify(DEFINITION, partly, input=real, placeholders=True).verdict == DIFFERS  # "order " is not a token


@pytest.mark.slow  # verify runs of several recordings
def test_aws_only_values_are_not_compared():
    """The answers' HTTP metadata and the request id in a Lambda error are AWS's own; the run's
    differ (the recorded ones are what the stand-ins answered, so the states see them)."""
    execution = read(succeeded_history()["events"], DEFINITION)
    pack = execution.root.visits[2].lanes[0].visits[0]
    assert "SdkHttpMetadata" in pack.calls[0].output
    assert verify(DEFINITION, succeeded_history()).verdict == SAME


def test_histories_that_cannot_be_compared_say_why(tmp_path):
    history = succeeded_history()
    running = {"events": history["events"][:-1]}
    assert verify(DEFINITION, running).reason.startswith("the execution has not ended")
    truncated = copy.deepcopy(history)
    truncated["events"][0]["executionStartedEventDetails"]["inputDetails"] = {"truncated": True}
    assert verify(DEFINITION, truncated).reason == "the recorded input is truncated"
    bad = tmp_path / "bad.json"
    bad.write_text('{"executions": []}')
    result = verify(DEFINITION, bad)
    assert result.verdict == COULD_NOT_COMPARE and "not an execution history" in result.reason
    reader = mutant(_set(["Ship", "ItemReader"], {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}))
    assert "ItemReader" in verify(reader, history).reason


def test_pages_of_one_history_are_one_execution(tmp_path):
    events = succeeded_history()["events"]
    (tmp_path / "run-1.json").write_text(json.dumps({"events": events[:20]}))
    (tmp_path / "run-1.page2.json").write_text(json.dumps({"events": events[20:], "nextToken": None}))
    (tmp_path / "run-2.json").write_text(json.dumps(failed_history()))
    groups = discover([tmp_path])
    assert sorted(len(g) for g in groups) == [1, 2]
    pages = next(g for g in groups if len(g) == 2)
    assert verify(DEFINITION, pages).verdict == SAME


@pytest.mark.slow  # verify through the CLI on every recording
def test_cli_verify_reports_each_execution_and_exits_by_verdict(tmp_path):
    definition = tmp_path / "machine.asl.json"
    definition.write_text(json.dumps(DEFINITION))
    histories = tmp_path / "histories"
    histories.mkdir()
    (histories / "good.json").write_text(json.dumps(succeeded_history()))
    (histories / "failed.json").write_text(json.dumps(failed_history()))
    runner = CliRunner()
    same = runner.invoke(main, ["verify", str(definition), "--history", str(histories), "-j", "2"])
    assert same.exit_code == 0, same.output
    assert "2 executions verified: 2 same, 0 differ, 0 could not be compared" in same.output

    wrong = tmp_path / "wrong.asl.json"
    wrong.write_text(json.dumps(mutant(_set(["Charge", "ResultPath"], "$.payment"))))
    differs = runner.invoke(main, ["verify", str(wrong), "--history", str(histories), "--format", "json"])
    assert differs.exit_code == 1
    records = json.loads(differs.stdout)
    by_file = {Path(r["history"]).name: r for r in records}
    assert by_file["good.json"]["verdict"] == "differs"
    assert by_file["good.json"]["divergence"]["field"] == "output"
    assert by_file["good.json"]["divergence"]["path"] == "$.charge"
    assert set(by_file["good.json"]["divergence"]) >= {"event", "state", "field", "recorded", "translated"}

    usage = runner.invoke(main, ["verify", str(definition), "--history", str(histories), "--ignore", "currency"])
    assert usage.exit_code == 2 and "JSONPath" in usage.output
    missing = runner.invoke(main, ["verify", str(definition), "--history", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2


def test_the_run_sees_the_recorded_start_and_entered_times_and_role():
    definition = {
        "StartAt": "Stamp",
        "States": {
            "Stamp": {
                "Type": "Pass",
                "Parameters": {
                    "entered.$": "$$.State.EnteredTime",
                    "started.$": "$$.Execution.StartTime",
                    "role.$": "$$.Execution.RoleArn",
                },
                "End": True,
            }
        },
    }
    h = History()
    role = "arn:aws:iam::123456789012:role/sfn"
    h.add("ExecutionStarted", 0, "executionStartedEventDetails", input={}, roleArn=role)
    e = h.entered("Pass", "Stamp", {})
    output = {"entered": "2026-11-30T10:00:02.002Z", "started": "2026-11-30T10:00:01.001Z", "role": role}
    e = h.exited("Pass", "Stamp", output, e)
    h.add("ExecutionSucceeded", e, "executionSucceededEventDetails", output=output)
    assert [event["timestamp"] for event in h.events[:2]] == ["2026-11-30T10:00:01.001000+00:00", "2026-11-30T10:00:02.002000+00:00"]
    result = verify(definition, h.doc())
    assert result.verdict == SAME, str(result)


def test_verify_finds_a_different_status():
    """A recorded execution that timed out after its last state: the translation succeeds."""
    history = succeeded_history()
    end = history["events"][-1]
    history["events"][-1] = {
        "timestamp": end["timestamp"], "type": "ExecutionTimedOut", "id": end["id"], "previousEventId": end["previousEventId"],
        "executionTimedOutEventDetails": {"error": "States.Timeout"},
    }
    result = verify(DEFINITION, history)
    d = result.divergence
    assert (result.verdict, d.event, d.field, d.recorded, d.translated) == (DIFFERS, end["id"], "status", "TIMED_OUT", "SUCCEEDED")


def test_a_redriven_execution_cannot_be_compared():
    history = failed_history()
    end = history["events"][-1]
    history["events"].append({"timestamp": end["timestamp"], "type": "ExecutionRedriven", "id": end["id"] + 1,
                              "previousEventId": end["id"], "executionRedrivenEventDetails": {"redriveCount": 1}})
    result = verify(DEFINITION, history)
    assert result.verdict == COULD_NOT_COMPARE and "redriven" in result.reason


# ---- a verify and another local run at the same time --------------------------------------

ROLE = "arn:aws:iam::123456789012:role/sfn"


def _stamped(task: str, function: str) -> dict:
    """A Lambda Task, then a Pass that reads the entered and start times and the role."""
    return {
        "StartAt": task,
        "States": {
            task: {"Type": "Task", "Resource": FN + function, "ResultPath": "$.result", "Next": "Stamp"},
            "Stamp": {
                "Type": "Pass",
                "Parameters": {
                    "result.$": "$.result",
                    "entered.$": "$$.State.EnteredTime",
                    "started.$": "$$.Execution.StartTime",
                    "role.$": "$$.Execution.RoleArn",
                },
                "End": True,
            },
        },
    }


def _stamped_history() -> dict:
    h = History()
    h.add("ExecutionStarted", 0, "executionStartedEventDetails", input={}, roleArn=ROLE)
    e = h.entered("Task", "Charge", {})
    e = h.add("LambdaFunctionScheduled", e, "lambdaFunctionScheduledEventDetails", resource=FN + "charge", input={})
    e = h.add("LambdaFunctionStarted", e)
    e = h.add("LambdaFunctionSucceeded", e, "lambdaFunctionSucceededEventDetails", output={"id": "ch-1"})
    e = h.exited("Task", "Charge", {"result": {"id": "ch-1"}}, e)
    e = h.entered("Pass", "Stamp", {"result": {"id": "ch-1"}}, e)
    output = {"result": {"id": "ch-1"}, "entered": "2026-11-30T10:00:07.007Z", "started": "2026-11-30T10:00:01.001Z",
              "role": ROLE}
    e = h.exited("Pass", "Stamp", output, e)
    h.add("ExecutionSucceeded", e, "executionSucceededEventDetails", output=output)
    return h.doc()


def test_a_verify_traces_and_changes_its_own_run_only(monkeypatch):
    """A verify and a run_local of another machine in two threads, the run_local going from
    its Lambda call to its end while the verify waits inside its own Lambda Task: the verify
    sees its recorded start time, entered time and role and none of the other run's states
    or calls; the other run sees its own times and no role; nothing of ``asl_runtime``,
    ``asl_sdk`` or the environment is left changed."""
    import datetime
    import os
    import threading

    import asl_runtime
    import asl_sdk

    from asl2durable.run import verify as verify_module
    from asl2durable.run.local import run_local

    monkeypatch.delenv("ASL_EXECUTION_ROLE_ARN", raising=False)
    runtime_before, sdk_before, environ_before = dict(vars(asl_runtime)), dict(vars(asl_sdk)), dict(os.environ)
    inside = threading.Barrier(2, timeout=60)  # both runs inside their Lambda call
    other_done = threading.Event()
    waited: list[str] = []
    traced: set[str] = set()  # the executions whose states and calls the verify traced
    traced_call, traced_enter = verify_module.Tracer.call, verify_module.Tracer.enter

    def call(self, run, sent):  # the verify's first traced call waits for the other run to end
        traced.add(run.execution.get("Name"))
        if run.execution.get("Name") != "other" and not waited:
            waited.append(run.execution.get("Name"))
            inside.wait()
            assert other_done.wait(60)
        return traced_call(self, run, sent)

    def enter(self, run, state, state_input):
        traced.add(run.execution.get("Name"))
        return traced_enter(self, run, state, state_input)

    monkeypatch.setattr(verify_module.Tracer, "call", call)
    monkeypatch.setattr(verify_module.Tracer, "enter", enter)

    def work(event, _context):
        inside.wait()
        return {"worked": True}

    results: dict[str, object] = {}

    def run_verify():
        results["verify"] = verify(_stamped("Charge", "charge"), _stamped_history())

    def run_other():
        try:
            results["other"] = run_local(_stamped("Work", "work"), {}, lambdas={"work": work}, execution_name="other")
        finally:
            other_done.set()

    threads = [threading.Thread(target=run_verify), threading.Thread(target=run_other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert waited, "the verify's Lambda call was not traced"
    assert traced == {"execution-name"}, traced  # the verify's run only
    assert results["verify"].verdict == SAME, str(results["verify"])
    other = results["other"]
    assert other.status == "SUCCEEDED", other
    assert (other.output["result"], other.output["role"]) == ({"worked": True}, "")
    now = datetime.datetime.now(datetime.UTC)
    for key in ("started", "entered"):  # the other run's own times, not the recorded ones
        moment = datetime.datetime.fromisoformat(other.output[key].replace("Z", "+00:00"))
        assert abs((now - moment).total_seconds()) < 300, (key, other.output[key])
    # nothing left changed: the support modules' names (a feature imported on first use
    # may have been added), the SDK adapter, the environment, the runs' hooks
    assert {k for k, v in runtime_before.items() if vars(asl_runtime).get(k) is not v} == set()
    assert {k for k, v in sdk_before.items() if vars(asl_sdk).get(k) is not v} == set()
    assert dict(os.environ) == environ_before
    assert asl_runtime._HOOKS.get() is None and asl_runtime._LOCAL_RUNS == {}
