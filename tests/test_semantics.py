"""Behaviour of translated handlers, run in the durable SDK's local runner.

Each test states an ASL rule and checks it on a small machine: what Step Functions does is
what the generated handler must do.
"""

from __future__ import annotations

import datetime as dt

import pytest

from asl2durable.run.local import run_local

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"


def task(name, **fields):
    return {"Type": "Task", "Resource": ARN + name, **fields}


def machine(states, start=None):
    return {"StartAt": start or next(iter(states)), "States": states}


class Flaky:
    """A Lambda function that raises the given errors in turn, then returns its input."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, event, context):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return event


def error(name):
    return type(name, (Exception,), {})(f"{name} happened")


# --------------------------------------------------------------------------- Retry


def test_no_retry_field_means_one_attempt():
    fn = Flaky(error("Boom"))
    result = run_local(machine({"T": task("f", End=True)}), {}, lambdas={"f": fn})
    assert (result.status, result.error, fn.calls) == ("FAILED", "Boom", 1)


@pytest.mark.parametrize(
    "retry, errors, calls, status",
    [
        ([{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}], ["Boom"] * 5, 3, "FAILED"),
        ([{"ErrorEquals": ["Boom"], "MaxAttempts": 2}], ["Boom", "Boom"], 3, "SUCCEEDED"),
        ([{"ErrorEquals": ["Boom"], "MaxAttempts": 0}], ["Boom"], 1, "FAILED"),
        ([{"ErrorEquals": ["Other"], "MaxAttempts": 3}], ["Boom"], 1, "FAILED"),
        ([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}], ["Boom", "Boom"], 2, "FAILED"),
        ([{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}], ["Boom"], 2, "SUCCEEDED"),
        # each retrier counts its own attempts: 1 retry of A and 2 of B fit, whatever the order
        (
            [{"ErrorEquals": ["A"], "MaxAttempts": 1}, {"ErrorEquals": ["B"], "MaxAttempts": 2}],
            ["B", "A", "B"],
            4,
            "SUCCEEDED",
        ),
        (
            [{"ErrorEquals": ["A"], "MaxAttempts": 1}, {"ErrorEquals": ["B"], "MaxAttempts": 2}],
            ["A", "B", "A"],
            3,
            "FAILED",
        ),
        # the first matching retrier decides, later ones are not consulted
        (
            [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}],
            ["Boom"],
            1,
            "FAILED",
        ),
    ],
)
def test_retry_counts(retry, errors, calls, status):
    fn = Flaky(*[error(e) for e in errors])
    result = run_local(machine({"T": task("f", Retry=retry, End=True)}), {"x": 1}, lambdas={"f": fn})
    assert (result.status, fn.calls) == (status, calls)


def _waits(operations):
    for op in operations:
        if op["type"] == "WAIT":
            yield op["name"]
        yield from _waits(op.get("children", []))


def test_retry_waits_between_attempts_as_durable_waits():
    fn = Flaky(error("Boom"), error("Boom"))
    retry = [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 30, "BackoffRate": 3}]
    result = run_local(machine({"T": task("f", Retry=retry, End=True)}), {}, lambdas={"f": fn})
    assert result.status == "SUCCEEDED"
    assert list(_waits(result.operations)) == ["T (retry 1 wait)", "T (retry 2 wait)"]


@pytest.mark.parametrize(
    "retrier, expected",
    [
        ({"IntervalSeconds": 3, "BackoffRate": 2.0}, [3, 6, 12, 24]),
        ({"IntervalSeconds": 3, "BackoffRate": 2.0, "MaxDelaySeconds": 10}, [3, 6, 10, 10]),
        ({"IntervalSeconds": 1, "BackoffRate": 1.5}, [1, 2, 3, 4]),  # 1, 1.5, 2.25, 3.375 rounded up
    ],
)
def test_retry_delays(retrier, expected):
    import random

    from asl2durable.run.local import _runtime

    rt = _runtime()
    r = rt.Retrier(["X"], interval_seconds=retrier["IntervalSeconds"], backoff_rate=retrier["BackoffRate"],
                   max_delay_seconds=retrier.get("MaxDelaySeconds"))
    assert [r.delay(n, random.Random(0)) for n in (1, 2, 3, 4)] == expected


def test_full_jitter_stays_within_the_backoff():
    import random

    from asl2durable.run.local import _runtime

    r = _runtime().Retrier(["X"], interval_seconds=10, jitter="FULL")
    delays = [r.delay(1, random.Random(seed)) for seed in range(50)]
    assert all(1 <= d <= 10 for d in delays) and len(set(delays)) > 3


# --------------------------------------------------------------------------- Catch and error names


def test_catch_routes_by_name_and_places_error_output():
    fn = Flaky(error("PaymentDeclined"))
    definition = machine(
        {
            "Charge": task(
                "f",
                Catch=[
                    {"ErrorEquals": ["Other"], "Next": "Wrong"},
                    {"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.error", "Next": "Handled"},
                ],
                End=True,
            ),
            "Wrong": {"Type": "Fail", "Error": "WrongCatcher"},
            "Handled": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {"order": 7}, lambdas={"f": fn})
    assert result.status == "SUCCEEDED"
    assert result.output["order"] == 7
    assert result.output["error"]["Error"] == "PaymentDeclined"
    # a function ARN Resource: Lambda's error JSON as the function's runtime wrote it (AWS's recordings)
    assert '"errorMessage": "PaymentDeclined happened"' in result.output["error"]["Cause"]


def test_catch_after_retries_are_exhausted():
    fn = Flaky(error("Boom"), error("Boom"), error("Boom"))
    definition = machine(
        {
            "T": task(
                "f",
                Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 1}],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                End=True,
            ),
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {}, lambdas={"f": fn})
    assert (result.status, result.output["Error"], fn.calls) == ("SUCCEEDED", "Boom", 2)


def test_states_runtime_is_not_caught_by_states_all():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [machine({"Bad": {"Type": "Pass", "InputPath": "$.missing", "End": True}})],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_error_name_survives_three_levels_of_nesting():
    inner = machine({"Deep": {"Type": "Fail", "Error": "Deep.Failure", "Cause": "at the bottom"}})
    level2 = machine({"M2": {"Type": "Map", "ItemProcessor": inner, "End": True}})
    level1 = machine({"P": {"Type": "Parallel", "Branches": [level2], "End": True}})
    definition = machine(
        {
            "M1": {
                "Type": "Map",
                "ItemsPath": "$.outer",
                "ItemProcessor": level1,
                "Catch": [{"ErrorEquals": ["Deep.Failure"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {"outer": [[1]]})
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "Deep.Failure", "Cause": "at the bottom"}


def test_uncaught_error_ends_execution_with_its_name_and_cause():
    result = run_local(machine({"F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "why"}}), {})
    assert (result.status, result.error, result.cause) == ("FAILED", "Custom.Error", "why")


def test_task_failed_does_not_match_timeout():
    import time

    def slow(event, context):
        time.sleep(3)
        return event

    definition = machine(
        {
            "T": task(
                "slow",
                TimeoutSeconds=1,
                Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                End=True,
            ),
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {}, lambdas={"slow": slow})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


# --------------------------------------------------------------------------- data flow


def test_task_data_flow_order():
    """InputPath → Parameters → task → ResultSelector → ResultPath (into the raw input) → OutputPath."""
    seen = []

    def fn(event, context):
        seen.append(event)
        return {"value": event["v"] * 2, "noise": True}

    definition = machine(
        {
            "T": task(
                "f",
                InputPath="$.in",
                Parameters={"v.$": "$.x", "const": "c"},
                ResultSelector={"doubled.$": "$.value"},
                ResultPath="$.out.result",
                OutputPath="$.out",
                End=True,
            )
        }
    )
    result = run_local(definition, {"in": {"x": 21}, "keep": 1}, lambdas={"f": fn})
    assert seen == [{"v": 21, "const": "c"}]
    assert result.output == {"result": {"doubled": 42}}


def test_lambda_invoke_integration_returns_the_invoke_envelope():
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"a.$": "$.a"}},
                "End": True,
            }
        }
    )
    result = run_local(definition, {"a": 1}, lambdas={"echo": lambda e, c: e})
    assert result.status == "SUCCEEDED"
    assert result.output["Payload"] == {"a": 1}
    assert result.output["StatusCode"] == 200 and result.output["ExecutedVersion"] == "$LATEST"


def test_result_path_null_keeps_input_and_output_path_null_gives_empty_object():
    definition = machine(
        {
            "A": {"Type": "Pass", "Result": "x", "ResultPath": None, "Next": "B"},
            "B": {"Type": "Pass", "OutputPath": None, "End": True},
        }
    )
    assert run_local(definition, {"k": 1}).output == {}
    definition["States"]["B"].pop("OutputPath")
    assert run_local(definition, {"k": 1}).output == {"k": 1}


def test_parameters_path_missing_fails_with_states_runtime():
    definition = machine({"P": {"Type": "Pass", "Parameters": {"v.$": "$.nope"}, "End": True}})
    result = run_local(definition, {"a": 1})
    assert result.error == "States.Runtime"
    assert "The JSONPath '$.nope' specified for the field 'v.$' could not be found" in result.cause


def _missing(field, path, state, data):
    return (
        f"An error occurred while executing the state '{state}'. The JSONPath '{path}' specified for "
        f"the field '{field}' could not be found in the input '{data}'"
    )


def _boom(event, context):
    raise ValueError("no")


INPUT_TEXT = '{"a b":{},"items":[1]}'
# Each payload template is written out as a dict literal; a missing "key.$" path still fails the
# state with States.Runtime naming the field, the path as written and the input it was read from.
TEMPLATE_FAILURES = [
    (  # nested in Parameters, a bracketed path
        {"T": task("echo", Parameters={"fixed": [1], "inner": {"v.$": "$['a b'].c"}}, End=True)},
        _missing("v.$", "$['a b'].c", "T", INPUT_TEXT),
    ),
    (  # ResultSelector reads the result
        {"T": task("echo", ResultSelector={"r.$": "$.nope"}, End=True)},
        _missing("r.$", "$.nope", "T", INPUT_TEXT),
    ),
    (  # ItemSelector with the context object
        {
            "M": {
                "Type": "Map",
                "ItemSelector": {"v.$": "$$.Map.Item.Value.x"},
                "ItemsPath": "$.items",
                "ItemProcessor": machine({"I": {"Type": "Pass", "End": True}}),
                "End": True,
            }
        },
        _missing("v.$", "$$.Map.Item.Value.x", "M", INPUT_TEXT),
    ),
    (  # Assign on a Choice rule, a variable that is not defined
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.items[0]", "NumericEquals": 1, "Assign": {"x.$": "$undefined"}, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        },
        _missing("x.$", "$undefined", "C", INPUT_TEXT),
    ),
    (  # a catcher's Assign reads the error output
        {"T": task("boom", Catch=[{"ErrorEquals": ["States.ALL"], "Assign": {"e.$": "$.Nope"}, "Next": "D"}], End=True), "D": {"Type": "Succeed"}},
        _missing("e.$", "$.Nope", "T", '{"Error":"ValueError","Cause":"@"}'),
    ),
    (  # Fail ErrorPath
        {"F": {"Type": "Fail", "ErrorPath": "$.error", "Cause": "c"}},
        _missing("ErrorPath", "$.error", "F", INPUT_TEXT),
    ),
    (  # an intrinsic's path argument
        {"P": {"Type": "Pass", "Parameters": {"s.$": "States.Format('{}', $.nope)"}, "End": True}},
        _missing("s.$", "$.nope", "P", INPUT_TEXT),
    ),
]


@pytest.mark.parametrize("states, cause", TEMPLATE_FAILURES, ids=["Parameters", "ResultSelector", "ItemSelector", "Assign", "Catch Assign", "ErrorPath", "intrinsic"])
def test_template_paths_that_are_missing_name_their_field(states, cause):
    result = run_local(machine(states), {"a b": {}, "items": [1]}, lambdas={"echo": lambda e, c: e, "boom": _boom})
    assert result.error == "States.Runtime"
    if '"Cause":"@"' in cause:  # the Lambda error text is long: compare around it
        head, tail = cause.split("@")
        assert result.cause.startswith(head) and result.cause.endswith(tail)
    else:
        assert result.cause == cause


def test_parallel_and_map_results_keep_order():
    branches = [machine({f"B{i}": {"Type": "Pass", "Result": i, "End": True}}) for i in range(3)]
    definition = machine(
        {
            "P": {"Type": "Parallel", "Branches": branches, "ResultPath": "$.p", "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                "ItemProcessor": machine({"Inner": {"Type": "Pass", "End": True}}),
                "ResultPath": "$.m",
                "End": True,
            },
        }
    )
    result = run_local(definition, {"items": ["a", "b", "c"]})
    assert result.output["p"] == [0, 1, 2]
    assert result.output["m"] == [{"i": 0, "v": "a"}, {"i": 1, "v": "b"}, {"i": 2, "v": "c"}]


# --------------------------------------------------------------------------- Choice

CHOICE_TABLE = [
    # (operator, operand, value, expected)
    ("StringEquals", "a", "a", True),
    ("StringEquals", "a", 1, False),
    ("StringLessThan", "b", "a", True),
    ("StringGreaterThan", "a", "b", True),
    ("StringLessThanEquals", "a", "a", True),
    ("StringGreaterThanEquals", "a", "b", True),
    ("StringGreaterThanEquals", "a", "A", False),  # code-point order: "A" < "a"
    ("StringMatches", "log-*.txt", "log-2024.txt", True),
    ("StringMatches", "log-*.txt", "log-2024.csv", False),
    ("StringMatches", "a\\*b", "a*b", True),
    ("StringMatches", "a\\*b", "axb", False),
    ("NumericEquals", 3, 3.0, True),
    ("NumericEquals", 3, "3", False),
    ("NumericLessThan", 3, 2, True),
    ("NumericGreaterThan", 3, 4, True),
    ("NumericLessThanEquals", 3, 3, True),
    ("NumericGreaterThanEquals", 3, 2, False),
    ("BooleanEquals", True, True, True),
    ("BooleanEquals", True, 1, False),
    ("TimestampEquals", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", True),
    ("TimestampLessThan", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", True),
    ("TimestampGreaterThan", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", False),
    ("TimestampLessThanEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", True),
    ("TimestampGreaterThanEquals", "2024-01-01T00:00:00Z", "not a timestamp", False),
    ("IsNull", True, None, True),
    ("IsNull", True, 0, False),
    ("IsPresent", True, 1, True),
    ("IsNumeric", True, 1.5, True),
    ("IsNumeric", True, True, False),
    ("IsString", True, "s", True),
    ("IsBoolean", False, "true", True),
    ("IsTimestamp", True, "2024-01-01T00:00:00Z", True),
    ("IsTimestamp", True, "2024-01-01", False),
]


@pytest.mark.parametrize("operator, operand, value, expected", CHOICE_TABLE)
def test_choice_operators(operator, operand, value, expected):
    definition = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.v", operator: operand, "Next": "Yes"}],
                "Default": "No",
            },
            "Yes": {"Type": "Pass", "Result": True, "End": True},
            "No": {"Type": "Pass", "Result": False, "End": True},
        }
    )
    assert run_local(definition, {"v": value}).output is expected


@pytest.mark.parametrize(
    "operator, value, other, expected",
    [
        ("StringEqualsPath", "a", "a", True),
        ("NumericLessThanPath", 1, 2, True),
        ("NumericGreaterThanEqualsPath", 1, 2, False),
        ("BooleanEqualsPath", False, False, True),
        ("TimestampLessThanPath", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", True),
        ("StringLessThanEqualsPath", "b", "a", False),
    ],
)
def test_choice_path_operators(operator, value, other, expected):
    definition = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", operator: "$.w", "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": True, "End": True},
            "No": {"Type": "Pass", "Result": False, "End": True},
        }
    )
    assert run_local(definition, {"v": value, "w": other}).output is expected


def test_choice_combinators_and_no_match():
    rule = {"Or": [{"Not": {"Variable": "$.a", "NumericEquals": 1}}, {"Variable": "$.b", "IsPresent": True}], "Next": "Yes"}
    definition = machine(
        {"C": {"Type": "Choice", "Choices": [rule]}, "Yes": {"Type": "Succeed"}}
    )
    assert run_local(definition, {"a": 2}).status == "SUCCEEDED"
    assert run_local(definition, {"a": 1, "b": 0}).status == "SUCCEEDED"
    result = run_local(definition, {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")


def test_choice_loop_back_edge():
    """A Choice that loops back (a polling loop) runs until its condition holds."""
    calls = Flaky()

    def count(event, context):
        calls(event, context)
        return {"n": event["n"] + 1}

    definition = machine(
        {
            "Inc": task("count", Next="Check"),
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Inc"}], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        }
    )
    result = run_local(definition, {"n": 0}, lambdas={"count": count})
    assert (result.output, calls.calls) == ({"n": 3}, 3)


# --------------------------------------------------------------------------- Wait


@pytest.mark.parametrize(
    "fields, waits",
    [
        ({"Seconds": 0}, []),
        ({"Seconds": 86400}, ["W"]),
        ({"SecondsPath": "$.s"}, ["W"]),
        ({"Timestamp": "2000-01-01T00:00:00Z"}, []),  # in the past: no wait
        ({"Timestamp": "in thirty days"}, ["W"]),  # computed from the clock when the test runs
    ],
)
def test_wait(fields, waits):
    if fields.get("Timestamp") == "in thirty days":  # (a wait of years outlasts the execution: test_limits)
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
        fields = {"Timestamp": later.strftime("%Y-%m-%dT%H:%M:%SZ")}
    definition = machine({"W": {"Type": "Wait", **fields, "End": True}})
    result = run_local(definition, {"s": 5})
    assert result.status == "SUCCEEDED" and result.output == {"s": 5}
    assert list(_waits(result.operations)) == waits


# --------------------------------------------------------------------------- safety


def test_hostile_names_and_strings_are_inert():
    name = 'x"; import os; os.system("echo pwned") #'
    comment = 'line1\n"""\nimport os\n'
    definition = {
        "Comment": comment,
        "StartAt": name,
        "States": {
            name: {"Type": "Pass", "Comment": comment, "Result": {"k\"'": "v\\\n'''"}, "Next": "class"},
            "class": {"Type": "Pass", "Next": "x\"; import os #"},
            "x\"; import os #": {"Type": "Fail", "Error": "E\"'", "Cause": '"""\\'},
        },
    }
    result = run_local(definition, {})
    assert (result.status, result.error, result.cause) == ("FAILED", "E\"'", '"""\\')


def test_wait_longer_than_aws_allows_fails():
    result = run_local(machine({"W": {"Type": "Wait", "Timestamp": "2999-01-01T00:00:00Z", "End": True}}), {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "Wait state delay is too long." in result.cause


# --------------------------------------------------------------------------- replay


def _steps(operations, suffix):
    for op in operations:
        if op["type"] == "STEP" and op["name"].endswith(suffix):
            yield op
        yield from _steps(op.get("children", []), suffix)


def test_uuid_and_entered_time_are_the_same_when_replayed_after_a_wait():
    """The handler is replayed from the top after the Wait: the values minted before it must
    come back from their checkpoints, not be drawn again."""
    import json

    definition = machine(
        {
            "Mint": {
                "Type": "Pass",
                "Parameters": {"id.$": "States.UUID()", "entered.$": "$$.State.EnteredTime"},
                "ResultPath": "$.minted",
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(definition, {})
    assert result.status == "SUCCEEDED"
    (uuid_step,) = _steps(result.operations, "(States.UUID)")  # drawn once, though the handler ran twice
    (clock_step,) = _steps(result.operations, "(entered)")
    assert result.output["minted"]["id"] == json.loads(uuid_step["result"])
    assert result.output["minted"]["entered"] == json.loads(clock_step["result"])
    assert list(_waits(result.operations)) == ["Pause"]  # so the final output was computed on a replay


def test_jsonata_clock_is_read_once_and_replayed():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Stamp",
        "States": {
            "Stamp": {"Type": "Pass", "Output": {"at": "{% $millis() %}", "id": "{% $uuid() %}"}, "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    result = run_local(definition, {})
    assert result.status == "SUCCEEDED"
    (clock,) = _steps(result.operations, "(Output)")  # the whole field ran in one durable step
    assert isinstance(result.output["at"], int) and len(result.output["id"]) == 36
    # the final output (computed on the replay after the Wait) is the checkpointed one
    assert str(result.output["at"]) in clock["result"] and result.output["id"] in clock["result"]


# --------------------------------------------------------------------------- callbacks and activities


def _callback_task(**fields):
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "worker", "Payload": {"token.$": "$$.Task.Token", "x.$": "$.x"}},
        **fields,
    }


def test_wait_for_task_token_returns_what_the_callback_sends():
    delivered = []
    answer = lambda request: {"output": {"approved": request["payload"]["Payload"]["x"] + 1}}  # noqa: E731
    result = run_local(
        machine({"T": _callback_task(End=True)}),
        {"x": 1},
        lambdas={"worker": lambda event, context: delivered.append(event)},
        callbacks=answer,
    )
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": 2})
    assert delivered and delivered[0]["x"] == 1 and delivered[0]["token"]  # the function got $$.Task.Token


def test_wait_for_task_token_failure_keeps_the_senders_error_name():
    definition = machine(
        {
            "T": _callback_task(Catch=[{"ErrorEquals": ["Approval.Rejected"], "Next": "Rejected"}], End=True),
            "Rejected": {"Type": "Pass", "End": True},
        }
    )
    result = run_local(
        definition, {"x": 1}, lambdas={"worker": lambda e, c: None},
        callbacks=lambda request: {"error": "Approval.Rejected", "cause": "not today"},
    )
    assert (result.status, result.output) == ("SUCCEEDED", {"Error": "Approval.Rejected", "Cause": "not today"})


def test_wait_for_task_token_times_out():
    definition = machine({"T": _callback_task(TimeoutSeconds=1, End=True)})
    result = run_local(definition, {"x": 1}, lambdas={"worker": lambda e, c: None})
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


def test_activity_task_gets_token_and_input():
    seen = []

    def worker(request):
        seen.append(request)
        return {"output": {"done": request["payload"]["input"]["job"]}}

    definition = machine(
        {"A": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:111111111111:activity:approve", "End": True}}
    )
    result = run_local(definition, {"job": 7}, callbacks=worker)
    assert (result.status, result.output) == ("SUCCEEDED", {"done": 7})
    assert seen[0]["payload"]["taskToken"] == seen[0]["token"]
