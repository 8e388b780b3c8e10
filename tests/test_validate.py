"""Tests for asl2durable.validate: one invalid example per rule, valid examples, and the corpora."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jsonschema
import pytest

from asl2durable.diagnostics import Diagnostic, Severity
from asl2durable.validate import schema as schema_module
from asl2durable.validate import validate
from asl2durable.validate.accepts import Unsupported, accepts, equal
from asl2durable.validate.schema import SCHEMA_PATH

CONFORMANCE = Path(__file__).parent / "fixtures" / "conformance" / "cases"
REALWORLD = Path(__file__).parent / "fixtures" / "corpus" / "realworld"
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
EXAMPLES = Path(__file__).parents[1] / "examples"

SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
CROSSING = "INVALID_TRANSITION"
DUPLICATE = "DUPLICATE_STATE_NAME"
UNREACHABLE = "UNREACHABLE_STATE"
TERMINAL = "MISSING_TERMINAL_STATE"
JSONPATH = "INVALID_JSONPATH"
DUP_FIELD = "DUPLICATE_FIELD_NAME"

FN = "arn:aws:lambda:us-east-1:111111111111:function:f"


# ---- tiny builders -----------------------------------------------------------------------


def sm(states: dict, start: str | None = None, **top) -> dict:
    """A machine whose StartAt is the first state unless given."""
    return {"StartAt": start if start is not None else next(iter(states)), "States": states, **top}


def jsonata(states: dict, **top) -> dict:
    return sm(states, QueryLanguage="JSONata", **top)


def ending(state_type: str, **fields) -> dict:
    """A state of a flow type that ends the machine unless ``Next`` is given."""
    return {"Type": state_type, **({} if "Next" in fields else {"End": True}), **fields}


def task(**fields) -> dict:
    """A Task without Next/End unless given (so rows can test that rule)."""
    return {"Type": "Task", "Resource": FN, **fields}


def pass_(**fields) -> dict:
    """A Pass without Next/End unless given."""
    return {"Type": "Pass", **fields}


def end(**fields) -> dict:
    return ending("Pass", **fields)


def wait(**fields) -> dict:
    return ending("Wait", **fields)


def choice(*rules, **fields) -> dict:
    return {"Type": "Choice", "Choices": list(rules), "Default": "Done", **fields}


def choice_machine(*rules, **fields) -> dict:
    return sm({"C": choice(*rules, **fields), "Done": {"Type": "Succeed"}})


def rule(**fields) -> dict:
    return {"Variable": "$.x", "Next": "Done", **fields}


def parallel(*branches, **fields) -> dict:
    return ending("Parallel", Branches=list(branches), **fields)


def a_map(processor: dict | None = None, mode: str | None = None, **fields) -> dict:
    processor = processor or sm({"Inner": end()})
    if mode:
        processor = {**processor, "ProcessorConfig": {"Mode": mode}}
    return ending("Map", ItemProcessor=processor, **fields)


def distributed(**fields) -> dict:
    return a_map(mode="DISTRIBUTED", **fields)


def fail(**fields) -> dict:
    return {"Type": "Fail", **fields}


def one(state: dict, name: str = "A") -> dict:
    return sm({name: state})


def findings(definition: object, severity: Severity = Severity.ERROR) -> set[tuple[str, str]]:
    return {(d.code, d.pointer) for d in validate(definition) if d.severity is severity}


# ---- invalid definitions: one row per rule (id, definition, code, pointer) ------------------

LONG = "N" * 81
RETRY_OK = {"ErrorEquals": ["States.TaskFailed"]}

INVALID = [
    # -- variables
    ("Assign-name-starts-with-digit", sm({"A": pass_(Assign={"1x": 1}, End=True)}), SCHEMA, "/States/A/Assign/1x"),
    ("Assign-name-with-dash", sm({"A": pass_(Assign={"a-b.$": "$"}, End=True)}), SCHEMA, "/States/A/Assign/a-b.$"),
    ("Assign-name-states-reserved", sm({"A": pass_(Assign={"states": 1}, End=True)}), SCHEMA, "/States/A/Assign/states"),
    ("Assign-too-large", sm({"A": pass_(Assign={"v": "x" * 300_000}, End=True)}), SCHEMA, "/States/A/Assign"),
    # -- input and machine shape
    ("not-an-object", [], "INVALID_JSON_DESCRIPTION", ""),
    ("string-definition", "{}", "INVALID_JSON_DESCRIPTION", ""),
    ("missing-StartAt", {"States": {"A": end()}}, SCHEMA, ""),
    ("missing-States", {"StartAt": "A"}, SCHEMA, ""),
    ("empty-States", {"StartAt": "A", "States": {}}, SCHEMA, "/States"),
    ("States-not-object", {"StartAt": "A", "States": []}, SCHEMA, "/States"),
    ("unknown-top-level-field", sm({"A": end()}, Foo=1), SCHEMA, "/Foo"),
    ("top-TimeoutSeconds-zero", sm({"A": end()}, TimeoutSeconds=0), SCHEMA, "/TimeoutSeconds"),
    ("top-QueryLanguage-unknown", sm({"A": end()}, QueryLanguage="YAML"), SCHEMA, "/QueryLanguage"),
    ("branch-missing-StartAt", one(parallel({"States": {"B": end()}})), SCHEMA, "/States/A/Branches/0"),
    (
        "branch-empty-States",
        one(parallel({"StartAt": "B", "States": {}})),
        SCHEMA,
        "/States/A/Branches/0/States",
    ),
    (
        "branch-unknown-field",
        one(parallel({**sm({"B": end()}), "ProcessorConfig": {}})),
        SCHEMA,
        "/States/A/Branches/0/ProcessorConfig",
    ),
    ("processor-missing-States", one(a_map({"StartAt": "B"})), SCHEMA, "/States/A/ItemProcessor"),
    (
        "iterator-empty-States",
        one({"Type": "Map", "Iterator": {"StartAt": "B", "States": {}}, "End": True}),
        SCHEMA,
        "/States/A/Iterator/States",
    ),
    ("Branches-empty", one(parallel()), SCHEMA, "/States/A/Branches"),
    ("state-not-object", sm({"A": "Pass"}), SCHEMA, "/States/A"),
    ("state-name-too-long", sm({LONG: end()}), SCHEMA, f"/States/{LONG}"),
    ("state-name-empty", sm({"": end()}), SCHEMA, "/States/"),
    # -- Type, unknown fields, field types
    ("Type-missing", sm({"A": {"End": True}}), SCHEMA, "/States/A"),
    ("Type-unknown", sm({"A": {"Type": "Lambda", "End": True}}), SCHEMA, "/States/A/Type"),
    ("Type-wrong-case", sm({"A": {"Type": "pass", "End": True}}), SCHEMA, "/States/A/Type"),
    ("unknown-field-Task", one(task(End=True, Foo=1)), SCHEMA, "/States/A/Foo"),
    (
        "unknown-field-Retrier",
        one(task(End=True, Retry=[{**RETRY_OK, "Foo": 1}])),
        SCHEMA,
        "/States/A/Retry/0/Foo",
    ),
    ("Comment-not-string", one(end(Comment=5)), SCHEMA, "/States/A/Comment"),
    ("Resource-missing", one({"Type": "Task", "End": True}), SCHEMA, "/States/A"),
    ("Resource-not-string", one(task(Resource=5, End=True)), SCHEMA, "/States/A/Resource"),
    ("ResultSelector-not-object", one(task(ResultSelector=[1], End=True)), SCHEMA, "/States/A/ResultSelector"),
    ("Resource-not-an-ARN", one(task(Resource="foo:bar", End=True)), SCHEMA, "/States/A/Resource"),
    ("Resource-placeholder-cut-short", one(task(Resource="${lambdaArn", End=True)), SCHEMA, "/States/A/Resource"),
    ("Next-not-string", sm({"A": pass_(Next=1), "B": end()}), SCHEMA, "/States/A/Next"),
    ("End-false", sm({"A": pass_(End=False)}), SCHEMA, "/States/A/End"),
    ("InputPath-number", one(end(InputPath=1)), SCHEMA, "/States/A/InputPath"),
    ("Credentials-without-RoleArn", one(task(End=True, Credentials={})), SCHEMA, "/States/A/Credentials"),
    ("Next-on-Succeed", sm({"A": {"Type": "Succeed", "Next": "B"}, "B": end()}), SCHEMA, "/States/A/Next"),
    ("End-on-Choice", choice_machine(rule(StringEquals="a"), End=True), SCHEMA, "/States/C/End"),
    ("Assign-on-Fail", one(fail(Assign={"x": 1})), SCHEMA, "/States/A/Assign"),
    ("Resource-on-Pass", one(end(Resource=FN)), SCHEMA, "/States/A/Resource"),
    # -- Retry/Catch only on Task, Parallel, Map; retrier ranges
    ("Retry-on-Pass", one(end(Retry=[RETRY_OK])), SCHEMA, "/States/A/Retry"),
    (
        "Catch-on-Wait",
        sm({"W": wait(Seconds=1, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "W"}])}),
        SCHEMA,
        "/States/W/Catch",
    ),
    ("ErrorEquals-missing", one(task(End=True, Retry=[{"MaxAttempts": 1}])), SCHEMA, "/States/A/Retry/0"),
    (
        "ErrorEquals-empty",
        one(task(End=True, Retry=[{"ErrorEquals": []}])),
        SCHEMA,
        "/States/A/Retry/0/ErrorEquals",
    ),
    (
        "MaxAttempts-negative",
        one(task(End=True, Retry=[{**RETRY_OK, "MaxAttempts": -1}])),
        SCHEMA,
        "/States/A/Retry/0/MaxAttempts",
    ),
    (
        "MaxAttempts-fraction",
        one(task(End=True, Retry=[{**RETRY_OK, "MaxAttempts": 1.5}])),
        SCHEMA,
        "/States/A/Retry/0/MaxAttempts",
    ),
    (
        "MaxAttempts-too-big",
        one(task(End=True, Retry=[{**RETRY_OK, "MaxAttempts": 100000000}])),
        SCHEMA,
        "/States/A/Retry/0/MaxAttempts",
    ),
    (
        "BackoffRate-below-1",
        one(task(End=True, Retry=[{**RETRY_OK, "BackoffRate": 0.5}])),
        SCHEMA,
        "/States/A/Retry/0/BackoffRate",
    ),
    (
        "IntervalSeconds-zero",
        one(task(End=True, Retry=[{**RETRY_OK, "IntervalSeconds": 0}])),
        SCHEMA,
        "/States/A/Retry/0/IntervalSeconds",
    ),
    (
        "MaxDelaySeconds-zero",
        one(task(End=True, Retry=[{**RETRY_OK, "MaxDelaySeconds": 0}])),
        SCHEMA,
        "/States/A/Retry/0/MaxDelaySeconds",
    ),
    (
        "MaxDelaySeconds-too-big",
        one(task(End=True, Retry=[{**RETRY_OK, "MaxDelaySeconds": 31622401}])),
        SCHEMA,
        "/States/A/Retry/0/MaxDelaySeconds",
    ),
    (
        "JitterStrategy-unknown",
        one(task(End=True, Retry=[{**RETRY_OK, "JitterStrategy": "BOGUS"}])),
        SCHEMA,
        "/States/A/Retry/0/JitterStrategy",
    ),
    (
        "Catch-without-Next",
        one(task(End=True, Catch=[{"ErrorEquals": ["States.ALL"]}])),
        SCHEMA,
        "/States/A/Catch/0",
    ),
    # -- Wait and Task numbers
    ("Seconds-negative", sm({"W": wait(Seconds=-1)}), SCHEMA, "/States/W/Seconds"),
    ("Seconds-fraction", sm({"W": wait(Seconds=1.5)}), SCHEMA, "/States/W/Seconds"),
    ("Seconds-string", sm({"W": wait(Seconds="10")}), SCHEMA, "/States/W/Seconds"),
    (
        "Timestamp-not-RFC3339",
        sm({"W": wait(Timestamp="2016-03-14 01:59:00")}),
        SCHEMA,
        "/States/W/Timestamp",
    ),
    (
        "Timestamp-lowercase-t",
        sm({"W": wait(Timestamp="2016-03-14t01:59:00Z")}),
        SCHEMA,
        "/States/W/Timestamp",
    ),
    ("Timestamp-no-zone", sm({"W": wait(Timestamp="2016-03-14T01:59:00")}), SCHEMA, "/States/W/Timestamp"),
    ("TimeoutSeconds-zero", one(task(End=True, TimeoutSeconds=0)), SCHEMA, "/States/A/TimeoutSeconds"),
    (
        "HeartbeatSeconds-string",
        one(task(End=True, HeartbeatSeconds="10")),
        SCHEMA,
        "/States/A/HeartbeatSeconds",
    ),
    # -- Map fields
    ("Label-too-long", one(distributed(Label="L" * 41)), SCHEMA, "/States/A/Label"),
    ("Mode-unknown", one(a_map(mode="PARALLEL")), SCHEMA, "/States/A/ItemProcessor/ProcessorConfig/Mode"),
    (
        "ExecutionType-unknown",
        one(a_map({**sm({"B": end()}), "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "FAST"}})),
        SCHEMA,
        "/States/A/ItemProcessor/ProcessorConfig/ExecutionType",
    ),
    ("MaxConcurrency-negative", one(a_map(MaxConcurrency=-1)), SCHEMA, "/States/A/MaxConcurrency"),
    (
        "ToleratedFailurePercentage-over-100",
        one(distributed(ToleratedFailurePercentage=101)),
        SCHEMA,
        "/States/A/ToleratedFailurePercentage",
    ),
    (
        "ToleratedFailureCount-negative",
        one(distributed(ToleratedFailureCount=-1)),
        SCHEMA,
        "/States/A/ToleratedFailureCount",
    ),
    (
        "ItemReader-without-Resource",
        one(distributed(ItemReader={"Parameters": {}})),
        SCHEMA,
        "/States/A/ItemReader",
    ),
    (
        "ReaderConfig-InputType-unknown",
        one(
            distributed(
                ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "XML"}}
            )
        ),
        SCHEMA,
        "/States/A/ItemReader/ReaderConfig/InputType",
    ),
    (
        "ItemBatcher-bytes-too-big",
        one(distributed(ItemBatcher={"MaxInputBytesPerBatch": 300000})),
        SCHEMA,
        "/States/A/ItemBatcher/MaxInputBytesPerBatch",
    ),
    (
        "WriterConfig-Transformation-unknown",
        one(distributed(ResultWriter={"WriterConfig": {"Transformation": "ZIP"}})),
        SCHEMA,
        "/States/A/ResultWriter/WriterConfig/Transformation",
    ),
    # -- query-language mixes
    (
        "JSONPath-field-in-JSONata-state",
        one(end(QueryLanguage="JSONata", InputPath="$")),
        SCHEMA,
        "/States/A/InputPath",
    ),
    (
        "Parameters-in-JSONata-machine",
        jsonata({"A": task(End=True, Parameters={})}),
        SCHEMA,
        "/States/A/Parameters",
    ),
    ("ResultPath-in-JSONata-machine", jsonata({"A": end(ResultPath="$.x")}), SCHEMA, "/States/A/ResultPath"),
    (
        "SecondsPath-in-JSONata-state",
        jsonata({"W": wait(SecondsPath="$.s")}),
        SCHEMA,
        "/States/W/SecondsPath",
    ),
    ("ErrorPath-in-JSONata-state", jsonata({"F": fail(ErrorPath="$.e")}), SCHEMA, "/States/F/ErrorPath"),
    (
        "Catch-ResultPath-in-JSONata",
        jsonata(
            {"A": task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "ResultPath": "$.e"}])}
        ),
        SCHEMA,
        "/States/A/Catch/0/ResultPath",
    ),
    ("Output-in-JSONPath-state", one(end(Output={})), SCHEMA, "/States/A/Output"),
    ("Arguments-in-JSONPath-state", one(task(End=True, Arguments={})), SCHEMA, "/States/A/Arguments"),
    ("Items-in-JSONPath-state", one(a_map(Items=[1])), SCHEMA, "/States/A/Items"),
    (
        "Catch-Output-in-JSONPath",
        one(task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "Output": {}}])),
        SCHEMA,
        "/States/A/Catch/0/Output",
    ),
    ("JSONata-Seconds-not-expression", jsonata({"W": wait(Seconds="ten")}), SCHEMA, "/States/W/Seconds"),
    (
        "JSONata-TimeoutSeconds-zero",
        jsonata({"A": task(End=True, TimeoutSeconds=0)}),
        SCHEMA,
        "/States/A/TimeoutSeconds",
    ),
    (
        "JSONata-Arguments-plain-string",
        jsonata({"A": task(End=True, Arguments="$states.input")}),
        SCHEMA,
        "/States/A/Arguments",
    ),
    ("JSONata-Items-object", jsonata({"A": a_map(Items={"a": 1})}), SCHEMA, "/States/A/Items"),
    (
        "state-JSONPath-under-JSONata-top",
        jsonata({"A": end(QueryLanguage="JSONPath")}),
        SCHEMA,
        "/States/A/QueryLanguage",
    ),
    # -- state names and transitions
    (
        "duplicate-name-in-branch",
        sm({"A": parallel(sm({"A": end()}))}),
        DUPLICATE,
        "/States/A/Branches/0/States/A",
    ),
    (
        "duplicate-name-across-branches",
        one(parallel(sm({"B": end()}), sm({"B": end()}))),
        DUPLICATE,
        "/States/A/Branches/1/States/B",
    ),
    (
        "duplicate-name-in-map",
        sm({"Inner": a_map()}, start="Inner"),
        DUPLICATE,
        "/States/Inner/ItemProcessor/States/Inner",
    ),
    ("StartAt-missing-target", sm({"A": end()}, start="Nope"), TARGET, "/StartAt"),
    ("Next-missing-target", sm({"A": pass_(Next="Nope")}), TARGET, "/States/A/Next"),
    (
        "Default-missing-target",
        sm({"C": {**choice(rule(StringEquals="a")), "Default": "Nope"}, "Done": end()}),
        TARGET,
        "/States/C/Default",
    ),
    (
        "Choice-rule-missing-target",
        choice_machine(rule(StringEquals="a", Next="Nope")),
        TARGET,
        "/States/C/Choices/0/Next",
    ),
    (
        "Catch-missing-target",
        one(task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Nope"}])),
        TARGET,
        "/States/A/Catch/0/Next",
    ),
    (
        "branch-StartAt-missing-target",
        one(parallel(sm({"B": end()}, start="Nope"))),
        TARGET,
        "/States/A/Branches/0/StartAt",
    ),
    (
        "branch-Next-leaves-branch",
        sm({"P": parallel(sm({"B": pass_(Next="Done")}), Next="Done"), "Done": end()}),
        CROSSING,
        "/States/P/Branches/0/States/B/Next",
    ),
    (
        "Next-enters-branch",
        sm({"A": pass_(Next="B"), "P": parallel(sm({"B": end()}))}),
        CROSSING,
        "/States/A/Next",
    ),
    (
        "map-Catch-leaves-processor",
        sm(
            {
                "M": a_map(
                    sm({"T": task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])})
                ),
                "Done": end(),
            }
        ),
        CROSSING,
        "/States/M/ItemProcessor/States/T/Catch/0/Next",
    ),
    (
        "branch-to-other-branch",
        one(parallel(sm({"B": end()}), sm({"C": pass_(Next="B")}))),
        CROSSING,
        "/States/A/Branches/1/States/C/Next",
    ),
    # -- reachability and terminal states
    ("unreachable-orphan", sm({"A": end(), "B": end()}), UNREACHABLE, "/States/B"),
    (
        "unreachable-cycle",
        sm({"A": end(), "B": pass_(Next="C"), "C": pass_(Next="B")}),
        UNREACHABLE,
        "/States/B",
    ),
    (
        "unreachable-in-branch",
        one(parallel(sm({"B": end(), "C": end()}))),
        UNREACHABLE,
        "/States/A/Branches/0/States/C",
    ),
    ("no-terminal-state", sm({"A": pass_(Next="B"), "B": pass_(Next="A")}), TERMINAL, ""),
    ("no-reachable-terminal-state", sm({"A": pass_(Next="A"), "B": end()}), TERMINAL, ""),
    ("no-terminal-in-branch", one(parallel(sm({"B": pass_(Next="B")}))), TERMINAL, "/States/A/Branches/0"),
    ("Next-and-End", sm({"A": pass_(Next="B", End=True), "B": end()}), SCHEMA, "/States/A"),
    ("neither-Next-nor-End", sm({"A": pass_(), "B": end()}), SCHEMA, "/States/A"),
    ("Task-without-Next-or-End", sm({"A": task()}), SCHEMA, "/States/A"),
    # -- Choice rules
    ("Choices-empty", sm({"C": choice(), "Done": end()}), SCHEMA, "/States/C/Choices"),
    ("Choices-missing", sm({"C": {"Type": "Choice", "Default": "Done"}, "Done": end()}), SCHEMA, "/States/C"),
    ("rule-not-object", choice_machine("StringEquals"), SCHEMA, "/States/C/Choices/0"),
    (
        "top-rule-without-Next",
        choice_machine({"Variable": "$.x", "StringEquals": "a"}),
        SCHEMA,
        "/States/C/Choices/0",
    ),
    (
        "nested-rule-with-Next",
        choice_machine({"And": [rule(StringEquals="a")], "Next": "Done"}),
        SCHEMA,
        "/States/C/Choices/0/And/0/Next",
    ),
    ("rule-without-operator", choice_machine(rule()), SCHEMA, "/States/C/Choices/0"),
    (
        "rule-with-two-operators",
        choice_machine(rule(StringEquals="a", IsPresent=True)),
        SCHEMA,
        "/States/C/Choices/0",
    ),
    (
        "rule-without-Variable",
        choice_machine({"StringEquals": "a", "Next": "Done"}),
        SCHEMA,
        "/States/C/Choices/0",
    ),
    (
        "rule-unknown-operator",
        choice_machine(rule(StringEquals="a", StringContains="b")),
        SCHEMA,
        "/States/C/Choices/0/StringContains",
    ),
    ("StringEquals-number", choice_machine(rule(StringEquals=5)), SCHEMA, "/States/C/Choices/0/StringEquals"),
    (
        "StringMatches-number",
        choice_machine(rule(StringMatches=5)),
        SCHEMA,
        "/States/C/Choices/0/StringMatches",
    ),
    (
        "NumericEquals-string",
        choice_machine(rule(NumericEquals="5")),
        SCHEMA,
        "/States/C/Choices/0/NumericEquals",
    ),
    (
        "NumericLessThan-bool",
        choice_machine(rule(NumericLessThan=True)),
        SCHEMA,
        "/States/C/Choices/0/NumericLessThan",
    ),
    (
        "BooleanEquals-string",
        choice_machine(rule(BooleanEquals="true")),
        SCHEMA,
        "/States/C/Choices/0/BooleanEquals",
    ),
    (
        "TimestampEquals-not-RFC3339",
        choice_machine(rule(TimestampEquals="yesterday")),
        SCHEMA,
        "/States/C/Choices/0/TimestampEquals",
    ),
    ("IsPresent-string", choice_machine(rule(IsPresent="yes")), SCHEMA, "/States/C/Choices/0/IsPresent"),
    (
        "StringEqualsPath-number",
        choice_machine(rule(StringEqualsPath=5)),
        SCHEMA,
        "/States/C/Choices/0/StringEqualsPath",
    ),
    ("And-empty", choice_machine({"And": [], "Next": "Done"}), SCHEMA, "/States/C/Choices/0/And"),
    (
        "Or-not-array",
        choice_machine({"Or": {"Variable": "$.x", "IsNull": True}, "Next": "Done"}),
        SCHEMA,
        "/States/C/Choices/0/Or",
    ),
    ("Not-not-object", choice_machine({"Not": [], "Next": "Done"}), SCHEMA, "/States/C/Choices/0/Not"),
    (
        "combinator-and-Variable",
        choice_machine(rule(Not={"Variable": "$.x", "IsNull": True})),
        SCHEMA,
        "/States/C/Choices/0",
    ),
    (
        "nested-rule-bad-value",
        choice_machine({"Or": [{"Variable": "$.x", "NumericEquals": "1"}], "Next": "Done"}),
        SCHEMA,
        "/States/C/Choices/0/Or/0/NumericEquals",
    ),
    (
        "JSONata-rule-without-Condition",
        jsonata({"C": choice({"Next": "Done"}), "Done": end()}),
        SCHEMA,
        "/States/C/Choices/0",
    ),
    (
        "JSONata-rule-with-Variable",
        jsonata({"C": choice({"Condition": "{% true %}", "Variable": "$.x", "Next": "Done"}), "Done": end()}),
        SCHEMA,
        "/States/C/Choices/0/Variable",
    ),
    (
        "JSONata-Condition-not-expression",
        jsonata({"C": choice({"Condition": "$x > 1", "Next": "Done"}), "Done": end()}),
        SCHEMA,
        "/States/C/Choices/0/Condition",
    ),
    (
        "JSONPath-rule-with-Condition",
        choice_machine({"Condition": "{% true %}", "Next": "Done"}),
        SCHEMA,
        "/States/C/Choices/0/Condition",
    ),
    # -- States.ALL
    (
        "States.ALL-not-alone-Retry",
        one(task(End=True, Retry=[{"ErrorEquals": ["States.ALL", "X"]}])),
        SCHEMA,
        "/States/A/Retry/0/ErrorEquals",
    ),
    (
        "States.ALL-not-last-Retry",
        one(task(End=True, Retry=[{"ErrorEquals": ["States.ALL"]}, RETRY_OK])),
        SCHEMA,
        "/States/A/Retry/0",
    ),
    (
        "States.ALL-not-alone-Catch",
        one(task(End=True, Catch=[{"ErrorEquals": ["X", "States.ALL"], "Next": "A"}])),
        SCHEMA,
        "/States/A/Catch/0/ErrorEquals",
    ),
    (
        "States.ALL-not-last-Catch",
        one(
            task(
                End=True,
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}],
            )
        ),
        SCHEMA,
        "/States/A/Catch/0",
    ),
    # -- mutually exclusive fields
    (
        "Wait-Seconds-and-Timestamp",
        sm({"W": wait(Seconds=1, Timestamp="2016-03-14T01:59:00Z")}),
        SCHEMA,
        "/States/W",
    ),
    ("Wait-Seconds-and-SecondsPath", sm({"W": wait(Seconds=1, SecondsPath="$.s")}), SCHEMA, "/States/W"),
    ("Wait-without-duration", sm({"W": wait()}), SCHEMA, "/States/W"),
    (
        "TimeoutSeconds-and-Path",
        one(task(End=True, TimeoutSeconds=5, TimeoutSecondsPath="$.t")),
        SCHEMA,
        "/States/A",
    ),
    (
        "HeartbeatSeconds-and-Path",
        one(task(End=True, HeartbeatSeconds=5, HeartbeatSecondsPath="$.h")),
        SCHEMA,
        "/States/A",
    ),
    (
        "Heartbeat-not-below-Timeout",
        one(task(End=True, TimeoutSeconds=10, HeartbeatSeconds=10)),
        SCHEMA,
        "/States/A/HeartbeatSeconds",
    ),
    (
        "Map-Items-and-ItemsPath",
        jsonata({"A": a_map(Items=[1], ItemsPath="$.x", QueryLanguage="JSONPath")}),
        SCHEMA,
        "/States/A",
    ),
    ("Map-ItemSelector-and-Parameters", one(a_map(ItemSelector={}, Parameters={})), SCHEMA, "/States/A"),
    ("Map-ItemProcessor-and-Iterator", one({**a_map(), "Iterator": sm({"B": end()})}), SCHEMA, "/States/A"),
    ("Map-without-processor", one({"Type": "Map", "End": True}), SCHEMA, "/States/A"),
    (
        "Map-MaxConcurrency-and-Path",
        one(a_map(MaxConcurrency=1, MaxConcurrencyPath="$.m")),
        SCHEMA,
        "/States/A",
    ),
    (
        "Map-ToleratedFailureCount-and-Path",
        one(distributed(ToleratedFailureCount=1, ToleratedFailureCountPath="$.c")),
        SCHEMA,
        "/States/A",
    ),
    (
        "Map-ToleratedFailurePercentage-and-Path",
        one(distributed(ToleratedFailurePercentage=1, ToleratedFailurePercentagePath="$.p")),
        SCHEMA,
        "/States/A",
    ),
    (
        "ReaderConfig-MaxItems-and-Path",
        one(
            distributed(
                ItemReader={
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"MaxItems": 1, "MaxItemsPath": "$.m"},
                }
            )
        ),
        SCHEMA,
        "/States/A/ItemReader/ReaderConfig",
    ),
    (
        "ItemBatcher-MaxItemsPerBatch-and-Path",
        one(distributed(ItemBatcher={"MaxItemsPerBatch": 1, "MaxItemsPerBatchPath": "$.m"})),
        SCHEMA,
        "/States/A/ItemBatcher",
    ),
    ("Fail-Error-and-ErrorPath", one(fail(Error="E", ErrorPath="$.e")), SCHEMA, "/States/A"),
    ("Fail-Cause-and-CausePath", one(fail(Cause="C", CausePath="$.c")), SCHEMA, "/States/A"),
    # -- distributed-only fields
    (
        "ItemReader-on-inline-Map",
        one(a_map(ItemReader={"Resource": "arn:aws:states:::s3:getObject"})),
        SCHEMA,
        "/States/A/ItemReader",
    ),
    (
        "ItemBatcher-on-inline-Map",
        one(a_map(mode="INLINE", ItemBatcher={"MaxItemsPerBatch": 2})),
        SCHEMA,
        "/States/A/ItemBatcher",
    ),
    (
        "ResultWriter-on-inline-Map",
        one(a_map(ResultWriter={"WriterConfig": {"OutputType": "JSON"}})),
        SCHEMA,
        "/States/A/ResultWriter",
    ),
    # -- payload templates
    (
        "duplicate-field-after-dollar",
        one(task(End=True, Parameters={"x": 1, "x.$": "$.x"})),
        DUP_FIELD,
        "/States/A/Parameters/x.$",
    ),
    (
        "duplicate-field-nested",
        one(task(End=True, Parameters={"a": {"x.$": "$.x", "x": 1}})),
        DUP_FIELD,
        "/States/A/Parameters/a/x.$",
    ),
    (
        "duplicate-field-in-array",
        one(end(Parameters={"a": [{"x.$": "$.x", "x": 1}]})),
        DUP_FIELD,
        "/States/A/Parameters/a/0/x.$",
    ),
    (
        "duplicate-field-ResultSelector",
        one(task(End=True, ResultSelector={"x.$": "$.x", "x": 1})),
        DUP_FIELD,
        "/States/A/ResultSelector/x.$",
    ),
    ("duplicate-field-Assign", one(end(Assign={"v.$": "$.x", "v": 1})), DUP_FIELD, "/States/A/Assign/v.$"),
    ("dollar-value-not-string", one(end(Parameters={"x.$": 5})), SCHEMA, "/States/A/Parameters/x.$"),
    # -- JSONPath syntax
    ("InputPath-bad", one(end(InputPath="$.a[")), JSONPATH, "/States/A/InputPath"),
    ("InputPath-no-dollar", one(end(InputPath="a.b")), JSONPATH, "/States/A/InputPath"),
    ("OutputPath-bad", one(end(OutputPath="$.a b")), JSONPATH, "/States/A/OutputPath"),
    ("ResultPath-wildcard", one(end(ResultPath="$.a[*]")), JSONPATH, "/States/A/ResultPath"),
    ("ResultPath-context", one(end(ResultPath="$$.Execution")), JSONPATH, "/States/A/ResultPath"),
    ("ResultPath-variable", one(end(ResultPath="$var.x")), JSONPATH, "/States/A/ResultPath"),
    ("ResultPath-filter", one(end(ResultPath="$.a[?(@.b == 1)]")), JSONPATH, "/States/A/ResultPath"),
    (
        "Catch-ResultPath-bad",
        one(task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "ResultPath": "$.e[*]"}])),
        JSONPATH,
        "/States/A/Catch/0/ResultPath",
    ),
    ("ItemsPath-bad", one(a_map(ItemsPath="$.items[")), JSONPATH, "/States/A/ItemsPath"),
    ("SecondsPath-bad", sm({"W": wait(SecondsPath="seconds")}), JSONPATH, "/States/W/SecondsPath"),
    ("TimestampPath-bad", sm({"W": wait(TimestampPath="$.t[")}), JSONPATH, "/States/W/TimestampPath"),
    (
        "TimeoutSecondsPath-bad",
        one(task(End=True, TimeoutSecondsPath="$..")),
        JSONPATH,
        "/States/A/TimeoutSecondsPath",
    ),
    (
        "HeartbeatSecondsPath-bad",
        one(task(End=True, HeartbeatSecondsPath="x")),
        JSONPATH,
        "/States/A/HeartbeatSecondsPath",
    ),
    (
        "MaxConcurrencyPath-bad",
        one(a_map(MaxConcurrencyPath="$.m[")),
        JSONPATH,
        "/States/A/MaxConcurrencyPath",
    ),
    (
        "ToleratedFailureCountPath-bad",
        one(distributed(ToleratedFailureCountPath="c")),
        JSONPATH,
        "/States/A/ToleratedFailureCountPath",
    ),
    (
        "ToleratedFailurePercentagePath-bad",
        one(distributed(ToleratedFailurePercentagePath="p")),
        JSONPATH,
        "/States/A/ToleratedFailurePercentagePath",
    ),
    ("ErrorPath-bad", one(fail(ErrorPath="error")), JSONPATH, "/States/A/ErrorPath"),
    ("CausePath-bad", one(fail(CausePath="$.c[")), JSONPATH, "/States/A/CausePath"),
    (
        "Variable-bad",
        choice_machine(rule(Variable="x", IsPresent=True)),
        JSONPATH,
        "/States/C/Choices/0/Variable",
    ),
    (
        "nested-Variable-bad",
        choice_machine(
            {
                "And": [{"Variable": "$.a", "IsNull": True}, {"Variable": "$.b[", "IsNull": True}],
                "Next": "Done",
            }
        ),
        JSONPATH,
        "/States/C/Choices/0/And/1/Variable",
    ),
    (
        "Not-Variable-bad",
        choice_machine({"Not": {"Variable": "b", "IsNull": True}, "Next": "Done"}),
        JSONPATH,
        "/States/C/Choices/0/Not/Variable",
    ),
    (
        "operator-Path-bad",
        choice_machine(rule(NumericEqualsPath="$.y[")),
        JSONPATH,
        "/States/C/Choices/0/NumericEqualsPath",
    ),
    (
        "Parameters-dollar-bad",
        one(task(End=True, Parameters={"x.$": "not a path"})),
        JSONPATH,
        "/States/A/Parameters/x.$",
    ),
    (
        "Parameters-nested-dollar-bad",
        one(task(End=True, Parameters={"a": {"b": [{"c.$": "$.["}]}})),
        JSONPATH,
        "/States/A/Parameters/a/b/0/c.$",
    ),
    (
        "ResultSelector-dollar-bad",
        one(task(End=True, ResultSelector={"x.$": "Payload"})),
        JSONPATH,
        "/States/A/ResultSelector/x.$",
    ),
    (
        "ItemSelector-dollar-bad",
        one(a_map(ItemSelector={"x.$": "$$.Map.Item.Value["})),
        JSONPATH,
        "/States/A/ItemSelector/x.$",
    ),
    (
        "Map-Parameters-dollar-bad",
        one({"Type": "Map", "Iterator": sm({"B": end()}), "Parameters": {"x.$": "v"}, "End": True}),
        JSONPATH,
        "/States/A/Parameters/x.$",
    ),
    ("Assign-dollar-bad", one(end(Assign={"v.$": "$.a["})), JSONPATH, "/States/A/Assign/v.$"),
    (
        "Catch-Assign-dollar-bad",
        one(task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "Assign": {"e.$": "x"}}])),
        JSONPATH,
        "/States/A/Catch/0/Assign/e.$",
    ),
    (
        "ItemReader-Parameters-dollar-bad",
        one(
            distributed(
                ItemReader={"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "b"}}
            )
        ),
        JSONPATH,
        "/States/A/ItemReader/Parameters/Bucket.$",
    ),
    (
        "Credentials-RoleArn-dollar-bad",
        one(task(End=True, Credentials={"RoleArn.$": "role"})),
        JSONPATH,
        "/States/A/Credentials/RoleArn.$",
    ),
    (
        "path-in-branch",
        one(parallel(sm({"B": end(InputPath="$[")}))),
        JSONPATH,
        "/States/A/Branches/0/States/B/InputPath",
    ),
    (
        "lambda-arn-no-function-name",
        one(task(Resource="arn:aws:lambda:us-east-1:111111111111:function", End=True)),
        SCHEMA,
        "/States/A/Resource",
    ),
    (
        "lambda-arn-no-account",
        one(task(Resource="arn:aws:lambda:us-east-1:function:f", End=True)),
        SCHEMA,
        "/States/A/Resource",
    ),
    (
        "lambda-arn-bad-region",
        one(task(Resource="arn:aws:lambda:useast1:111111111111:function:f", End=True)),
        SCHEMA,
        "/States/A/Resource",
    ),
    (
        "lambda-arn-bad-name",
        one(task(Resource=FN + "/x", End=True)),
        SCHEMA,
        "/States/A/Resource",
    ),
]


@pytest.mark.parametrize(
    ("definition", "code", "where"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID]
)
def test_invalid_definition_reports(definition, code, where):
    got = findings(definition)
    assert (code, where) in got, f"expected {code} at {where!r}, got {sorted(got)}"


def test_every_invalid_row_has_a_unique_id():
    ids = [row[0] for row in INVALID]
    assert len(ids) == len(set(ids))


# ---- messages resemble AWS's ------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "where", "message"),
    [
        (sm({"A": pass_(Next="Nope")}), "/States/A/Next", "Missing 'Next' target: Nope"),
        (sm({"A": parallel(sm({"A": end()}))}), "/States/A/Branches/0/States/A", "Duplicate State name: A"),
        (sm({"A": end(), "B": end()}), "/States/B", 'State "B" is not reachable.'),
        (sm({"W": wait(Timestamp="soon")}), "/States/W/Timestamp", "String does not match RFC3339 timestamp"),
        (one(parallel()), "/States/A/Branches", "Value cannot be empty"),
        (
            sm({"A": {"Type": "Lambda", "End": True}}),
            "/States/A/Type",
            "The field 'Type' should have one of these values: [Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map]",
        ),
        (
            one(task(End=True, Credentials={})),
            "/States/A/Credentials",
            "The field 'RoleArn' is required but was missing",
        ),
        (
            jsonata({"A": end(QueryLanguage="JSONPath")}),
            "/States/A/QueryLanguage",
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        ),
        (one(task(End=True, Foo=1)), "/States/A/Foo", 'The field "Foo" is not supported by Step Functions'),
    ],
)
def test_messages_follow_aws_wording(definition, where, message):
    assert message in [d.message for d in validate(definition) if d.pointer == where]


# ---- valid definitions ------------------------------------------------------------------

VALID = {
    "minimal": sm({"A": end()}),
    # AWS's ASL schema and the console take any JSON value as Parameters / ItemSelector
    "Parameters-any-JSON": sm(
        {
            "A": pass_(Parameters=[{"id.$": "$$.Execution.Id"}], Next="B"),
            "B": task(Parameters="text", Next="C"),
            "C": parallel(sm({"P": end()}), Parameters=5, Next="D"),
            "D": a_map(ItemSelector=None, Next="E"),
            "E": {"Type": "Map", "Iterator": sm({"I": end()}), "Parameters": "$.foo", "End": True},
        }
    ),
    "Resource-placeholder": one(task(Resource="${LambdaArn}", End=True)),
    "state-names-with-spaces-and-80-chars": sm(
        {"Start Here": pass_(Next="N" * 80), "N" * 80: {"Type": "Succeed"}}
    ),
    "JSONPath-data-flow": sm(
        {
            "Init": pass_(
                Result={"x.$": "literal, not evaluated"},
                ResultPath="$.init",
                Next="Call",
                InputPath=None,
                Assign={"count": 0, "input.$": "$", "ctx.$": "$$.Execution.Id"},
            ),
            "Call": task(
                Resource="arn:aws:states:::lambda:invoke",
                Parameters={
                    "FunctionName": FN,
                    "Payload": {"a.$": "$.a", "list": [{"b.$": "$count"}], "tok.$": "$$.Task.Token"},
                    "msg.$": "States.Format('hello {}', $.name)",
                    "arr.$": "States.Array($.a, 1, 'x')",
                },
                ResultSelector={"payload.$": "$.Payload"},
                ResultPath="$.result",
                OutputPath="$",
                TimeoutSeconds=300,
                HeartbeatSeconds=60,
                Credentials={"RoleArn.$": "$.role"},
                Retry=[
                    {
                        "ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 6,
                        "BackoffRate": 2,
                        "MaxDelaySeconds": 30,
                        "JitterStrategy": "FULL",
                    },
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0},
                ],
                Catch=[
                    {"ErrorEquals": ["States.Timeout"], "Next": "Failed", "ResultPath": "$.error"},
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "Failed",
                        "ResultPath": None,
                        "Assign": {"err.$": "$.Cause"},
                    },
                ],
                Next="Route",
            ),
            "Route": choice(
                {"Variable": "$.result.payload.status", "StringEquals": "DONE", "Next": "Done"},
                {
                    "And": [
                        {"Variable": "$.n", "NumericGreaterThanEquals": 1},
                        {"Variable": "$.n", "NumericLessThanPath": "$.max"},
                        {"Not": {"Variable": "$.flag", "BooleanEquals": True}},
                    ],
                    "Next": "Wait",
                },
                {
                    "Or": [
                        {"Variable": "$.when", "TimestampLessThan": "2016-03-14T01:59:00.123+01:00"},
                        {"Variable": "$.name", "StringMatches": "log-*.txt"},
                        {"Variable": "$count", "IsNumeric": True},
                        {"Variable": "$.ts", "TimestampEqualsPath": "$$.State.EnteredTime"},
                    ],
                    "Next": "Wait",
                    "Assign": {"routed": True},
                },
                Default="Failed",
                Assign={"defaulted": True},
            ),
            "Wait": wait(SecondsPath="$.delay", Next="Later"),
            "Later": {"Type": "Wait", "Timestamp": "2030-01-01T00:00:00Z", "Next": "Call"},
            "Failed": fail(ErrorPath="$.error.Error", CausePath="States.Format('failed: {}', $.error.Cause)"),
            "Done": {"Type": "Succeed", "OutputPath": "$.result"},
        },
        Comment="a bit of everything",
        TimeoutSeconds=3600,
        Version="1.0",
    ),
    "JSONata-everything": jsonata(
        {
            "Init": pass_(
                Assign={"count": 0, "items": "{% $states.input.items %}"},
                Output={"a": "{%$states.input.a%}"},
                Next="Call",
            ),
            "Call": task(
                Arguments={
                    "FunctionName": FN,
                    "Payload": "{% $states.input %}",
                    "literal.$": "$ is a literal in JSONata",
                },
                Output="{% $states.result.Payload %}",
                Assign={"last": "{% $states.result %}"},
                TimeoutSeconds="{% $timeout %}",
                HeartbeatSeconds=10,
                Credentials={"RoleArn": "{% $role %}"},
                Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                Catch=[
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "Failed",
                        "Output": "{% $states.errorOutput %}",
                        "Assign": {"error": "{% $states.errorOutput.Error %}"},
                    }
                ],
                Next="Route",
            ),
            "Route": choice(
                {
                    "Condition": "{% $count > 3 %}",
                    "Next": "Done",
                    "Assign": {"x": 1},
                    "Output": {"done": True},
                },
                {"Condition": True, "Next": "Pause"},
                Output="{% $states.input %}",
            ),
            "Pause": wait(Seconds="{% $count %}", Next="Until"),
            "Until": {"Type": "Wait", "Timestamp": "{% $now() %}", "Next": "Fan"},
            "Fan": {
                "Type": "Parallel",
                "Arguments": "{% $states.input %}",
                "Branches": [sm({"B1": end(Output="{% 1 %}")})],
                "Output": "{% $states.result %}",
                "Next": "Each",
            },
            "Each": a_map(
                Items="{% $items %}",
                ItemSelector={"v": "{% $states.context.Map.Item.Value %}"},
                MaxConcurrency="{% $count %}",
                Next="Done",
            ),
            "Failed": fail(Error="{% $error %}", Cause="static cause"),
            "Done": {"Type": "Succeed", "Output": {"count": "{% $count %}"}},
        }
    ),
    "mixed-query-languages": sm(
        {
            "Path": pass_(Parameters={"a.$": "$"}, Next="Ata"),
            "Ata": end(QueryLanguage="JSONata", Output="{% $states.input %}"),
        }
    ),
    "legacy-Iterator-with-Parameters": one(
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "Parameters": {"item.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
            "MaxConcurrency": 0,
            "Iterator": sm({"B": task(End=True)}),
            "ResultPath": "$.out",
            "End": True,
        }
    ),
    "distributed-Map-without-ExecutionType": one(
        distributed(
            ItemReader={
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket.$": "$.bucket", "Key": "k.csv"},
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10},
            },
            ItemBatcher={
                "MaxItemsPerBatch": 10,
                "MaxInputBytesPerBatch": 1024,
                "BatchInput": {"run.$": "$$.Execution.Id"},
            },
            ResultWriter={
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "b", "Prefix": "out"},
            },
            ToleratedFailurePercentage=5,
            ToleratedFailureCountPath="$.tolerated",
            Label="my-map",
            ItemSelector={"value.$": "$$.Map.Item.Value"},
            MaxConcurrency=1000,
        )
    ),
    "distributed-Map-EXPRESS": one(
        a_map(
            {
                **sm({"B": task(End=True)}),
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            }
        )
    ),
    "Parallel-with-Catch-and-loop": sm(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [sm({"B1": end()}), sm({"B2": pass_(Next="B3"), "B3": {"Type": "Succeed"}})],
                "ResultSelector": {"first.$": "$[0]"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Retry"}],
                "Next": "Done",
            },
            "Retry": {"Type": "Wait", "Seconds": 0, "Next": "P"},
            "Done": end(),
        }
    ),
    "catch-only-reachable": sm(
        {"A": task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]), "Recover": end()}
    ),
    "null-paths": one(task(InputPath=None, OutputPath=None, ResultPath=None, End=True)),
    "paths-with-variables-and-context": sm(
        {
            "A": pass_(Assign={"v": {"k": 1}}, Next="B"),
            "B": end(
                InputPath="$v.k",
                OutputPath="$$.Execution.Input",
                Parameters={"x.$": "$v", "y.$": "$.a[0].b['c d']"},
            ),
        }
    ),
}


@pytest.mark.parametrize("definition", list(VALID.values()), ids=list(VALID))
def test_valid_definition_has_no_errors(definition):
    errors = [str(d) for d in validate(definition) if d.severity is Severity.ERROR]
    assert errors == []


def test_tolerated_failures_on_inline_map_only_warn():
    """AWS ran inline Maps with ToleratedFailure* (conformance evaluate_jsonata.test_base_map_*)."""
    definition = jsonata({"M": a_map(Items=[1], ToleratedFailureCount=1)})
    assert findings(definition) == set()
    assert ("SCHEMA_VALIDATION_FAILED", "/States/M/ToleratedFailureCount") in findings(
        definition, Severity.WARNING
    )


def test_placeholders_only_warn():
    """Templates keep ${...} substitutions that become numbers (or names) when deployed."""
    definition = sm(
        {"W": wait(Seconds="${WaitSeconds}", Next="T"), "T": task(End=True, Parameters={"k.$": "$.${Attr}"})}
    )
    assert findings(definition) == set()
    assert findings(definition, Severity.WARNING) == {
        (SCHEMA, "/States/W/Seconds"),
        (JSONPATH, "/States/T/Parameters/k.$"),
    }


def test_filter_expression_problem_only_warns():
    """A published AWS sample deploys an unquoted string in a filter; we cannot prove AWS rejects it."""
    definition = one(end(InputPath="$..r[?(@.status==Failure)]"))
    assert findings(definition) == set()
    assert findings(definition, Severity.WARNING) == {(JSONPATH, "/States/A/InputPath")}


@pytest.mark.parametrize("value", [" $.a", "\t$.a", " States.UUID()"])
def test_dollar_value_with_a_leading_blank_warns(value):
    """Jayway JsonPath trims blanks, so AWS may accept it: a warning, not an error."""
    definition = one(end(Parameters={"x.$": value, "y.$": "$.b "}))
    assert findings(definition) == set()
    assert findings(definition, Severity.WARNING) == {(JSONPATH, "/States/A/Parameters/x.$")}


def test_well_formed_lambda_arns_are_valid():
    """Qualified ARNs, other partitions and placeholders (unknown until deployed) pass."""
    for resource in (
        FN,
        FN + ":live",
        FN + ":$LATEST",
        FN + ":7",
        "arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:my.fn_1-a",
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f",
        "arn:aws:lambda:::function:${fn}",
        "arn:aws:states:::lambda:invoke",
    ):
        definition = one(task(Resource=resource, End=True, Parameters={"FunctionName": FN}))
        assert findings(definition) == findings(definition, Severity.WARNING) == set(), resource


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        ("States.MathAdd(1, '-1')", "argument 2 of States.MathAdd ('-1') must be a number"),
        ("States.MathAdd(true, 1)", "argument 1 of States.MathAdd (true) must be a number"),
        ("States.ArrayRange(1, '9', 1)", "argument 2 of States.ArrayRange ('9') must be a number"),
        ("States.ArrayLength('abc')", "argument 1 of States.ArrayLength ('abc') must be an array"),
        ("States.ArrayGetItem($.a, null)", "argument 2 of States.ArrayGetItem (null) must be a number"),
        ("States.StringSplit(1, ',')", "argument 1 of States.StringSplit (1) must be a string"),
        ("States.Base64Encode(42)", "argument 1 of States.Base64Encode (42) must be a string"),
        ("States.Hash($.a, 'sha256')", "argument 2 of States.Hash ('sha256') must be one of MD5"),
        ("States.JsonMerge($.a, $.b, true)", "argument 3 of States.JsonMerge (true) must be false"),
        ("States.Format(States.MathAdd(1, 'x'))", "argument 2 of States.MathAdd ('x') must be a number"),
        ("States.Hash('x')", "States.Hash takes 2 arguments, not 1"),
    ],
)
def test_intrinsic_argument_problems_only_warn(call, problem):
    """AWS accepts such a call in a definition; the state fails when it runs (States.Runtime)."""
    definition = one(end(Parameters={"x.$": call}))
    assert findings(definition) == set()
    messages = [d.message for d in validate(definition) if d.severity is Severity.WARNING]
    assert len(messages) == 1 and problem in messages[0], messages


def test_intrinsic_arguments_of_the_right_type_pass():
    definition = one(
        end(
            Parameters={
                "a.$": "States.MathAdd($.n, -1.5)",
                "b.$": "States.ArrayRange(1, 9, 2)",
                "c.$": "States.Hash(42, 'SHA-256')",
                "d.$": "States.JsonMerge($.a, $.b, false)",
                "e.$": "States.Format('{} {}', 1, null)",
                "f.$": "States.ArrayContains(States.Array(1, 2), 'x')",
                "g.$": "States.ArrayLength(States.StringSplit('a,b', ','))",
            }
        )
    )
    assert validate(definition) == []


def test_unterminated_placeholder_warns():
    """'${Name' is a substitution cut short; to Step Functions it is plain text, so only a warning."""
    definition = one(task(End=True, Comment="cost in ${ usd", Parameters={"FunctionName": "${Fn", "k": "${A}"}))
    assert findings(definition) == set()
    assert findings(definition, Severity.WARNING) == {
        (SCHEMA, "/States/A/Comment"),
        (SCHEMA, "/States/A/Parameters/FunctionName"),
    }


# ---- general behaviour ------------------------------------------------------------------


def test_collects_all_problems_sorted_and_unique():
    definition = sm(
        {
            "A": pass_(Next="Nope"),
            "B": wait(Seconds=-1),
            "C": task(End=True, Retry=[{"ErrorEquals": ["X"], "BackoffRate": 0}]),
        }
    )
    diagnostics = validate(definition)
    assert {(d.code, d.pointer) for d in diagnostics} >= {
        (TARGET, "/States/A/Next"),
        (SCHEMA, "/States/B/Seconds"),
        (UNREACHABLE, "/States/B"),
        (SCHEMA, "/States/C/Retry/0/BackoffRate"),
        (UNREACHABLE, "/States/C"),
    }
    assert diagnostics == sorted(diagnostics, key=lambda d: (d.pointer, d.code, d.message))
    assert len(diagnostics) == len(set(diagnostics))
    assert all(isinstance(d, Diagnostic) for d in diagnostics)


def test_no_cascade_from_broken_state():
    """A state that is not an object, or has an unknown Type, gets one diagnostic, not a pile."""
    assert findings(sm({"A": 42})) == {(SCHEMA, "/States/A")}
    assert findings(sm({"A": {"Type": "Nope", "Foo": 1, "Next": 3}})) == {(SCHEMA, "/States/A/Type")}
    assert findings({"StartAt": "A", "States": {}}) == {(SCHEMA, "/States")}


def test_pointer_escapes_slashes_and_tildes():
    definition = sm({"a/b": pass_(Next="c~d"), "c~d": end(), "orphan/x": end()})
    assert (UNREACHABLE, "/States/orphan~1x") in findings(definition)


GARBAGE = [
    None,
    1,
    "x",
    [],
    {},
    {"StartAt": None, "States": None},
    {"StartAt": "A", "States": {"A": None}},
    {
        "StartAt": "A",
        "States": {"A": {"Type": "Choice", "Choices": [None, 1, {"And": None}, {"Not": 1}, {"Or": [None]}]}},
    },
    {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Parallel", "Branches": [None, [], {"StartAt": 1, "States": []}], "End": True}
        },
    },
    {
        "StartAt": "A",
        "States": {"A": {"Type": "Map", "ItemProcessor": [], "Iterator": {"States": {"X": 1}}, "End": True}},
    },
    {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Map",
                "ItemProcessor": {"ProcessorConfig": [], "StartAt": "B", "States": {"B": end()}},
                "ItemReader": [],
                "ItemBatcher": 5,
                "End": True,
            }
        },
    },
    {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": 1,
                "Retry": [None, {"ErrorEquals": None}],
                "Catch": "x",
                "Parameters": {"a.$": None, "b": [[{"c.$": 5}]]},
                "End": True,
            }
        },
    },
    {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": None, "SecondsPath": None, "Next": None}}},
    {
        "StartAt": "A",
        "QueryLanguage": 5,
        "States": {"A": {"Type": "Pass", "QueryLanguage": [], "Assign": 5, "End": "yes"}},
    },
    {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": 5, "StringEquals": "a", "Next": 7}],
                "Default": [],
            }
        },
    },
]


@pytest.mark.parametrize("definition", GARBAGE, ids=range(len(GARBAGE)))
def test_never_raises_on_garbage(definition):
    diagnostics = validate(copy.deepcopy(definition))
    assert isinstance(diagnostics, list)
    assert not [d for d in diagnostics if d.code == "VALIDATOR_INTERNAL_ERROR"]
    if definition != {} and isinstance(definition, dict):
        assert diagnostics  # every garbage definition is invalid somewhere


def test_does_not_modify_the_definition():
    definition = VALID["JSONPath-data-flow"]
    before = json.dumps(definition, sort_keys=True)
    validate(definition)
    assert json.dumps(definition, sort_keys=True) == before


def test_schema_file_is_valid_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# ---- fixtures and corpora ---------------------------------------------------------------


def _fixture_files(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.json"))


@pytest.mark.parametrize("path", _fixture_files("valid"), ids=lambda p: p.stem)
def test_valid_fixture(path):
    errors = [str(d) for d in validate(json.loads(path.read_text())) if d.severity is Severity.ERROR]
    assert errors == []


@pytest.mark.parametrize("path", _fixture_files("invalid"), ids=lambda p: p.stem)
def test_invalid_fixture(path):
    """Each invalid fixture is {"expect": [[code, pointer], ...], "definition": {...}}."""
    case = json.loads(path.read_text())
    got = findings(case["definition"])
    assert {tuple(e) for e in case["expect"]} <= got, sorted(got)


def _errors_by_file(files: list[tuple[str, object]]) -> dict[str, list[str]]:
    out = {}
    for name, definition in files:
        errors = [str(d) for d in validate(definition) if d.severity is Severity.ERROR]
        if errors:
            out[name] = errors
    return out


def test_every_conformance_definition_is_valid():
    """Each of these definitions ran on real AWS Step Functions, so it must validate."""
    files = [(p.name, json.loads(p.read_text())["definition"]) for p in sorted(CONFORMANCE.glob("*.json"))]
    assert len(files) > 300
    assert _errors_by_file(files) == {}


def test_realworld_corpus_validates_without_crashing():
    files = sorted(REALWORLD.glob("*.asl.json"))
    assert len(files) > 100
    for path in files:
        diagnostics = validate(json.loads(path.read_text()))
        assert not [d for d in diagnostics if d.code == "VALIDATOR_INTERNAL_ERROR"], path.name


def test_realworld_corpus_has_no_errors():
    """All public real-world samples validate today (placeholders and one filter only warn).
    If a new sample is genuinely invalid, list it here with the reason."""
    known_invalid: dict[str, str] = {}
    files = [(p.name, json.loads(p.read_text())) for p in sorted(REALWORLD.glob("*.asl.json"))]
    errors = _errors_by_file(files)
    assert {k: v for k, v in errors.items() if k not in known_invalid} == {}


# ---- the fast schema check (validate/accepts.py) answers as jsonschema does -----------------


def _jsonschema_accepts(definition: object) -> bool:
    return jsonschema.Draft202012Validator(schema_module.schema()).is_valid(definition)


@pytest.fixture(autouse=True)
def fast_check_agrees(monkeypatch: pytest.MonkeyPatch):
    """Every definition a test here validates is also a comparison of the fast check's verdict
    with jsonschema's (collected, then asserted: the schema check treats an exception in the
    fast check as "ask jsonschema", so an assertion there would pass unseen)."""
    disagreements = []

    def both(schema: dict, definition: object) -> bool:
        verdict = accepts(schema, definition)
        if verdict != _jsonschema_accepts(definition):
            disagreements.append((verdict, json.dumps(definition)[:300]))
        return verdict

    monkeypatch.setattr(schema_module, "accepts", both)
    yield
    assert disagreements == []


def _all_definitions() -> list[tuple[str, object]]:
    out = [(p.name, json.loads(p.read_text())) for p in sorted(EXAMPLES.glob("*.asl.json"))]
    out += [(p.name, json.loads(p.read_text())) for p in sorted(REALWORLD.glob("*.asl.json"))]
    out += [(p.name, json.loads(p.read_text())["definition"]) for p in sorted(CONFORMANCE.glob("*.json"))]
    for path in sorted(FIXTURES.rglob("*.json")):
        value = json.loads(path.read_text())
        value = value.get("definition", value) if isinstance(value, dict) else value
        if isinstance(value, dict) and "States" in value:
            out.append((path.name, value))
    return out


def _places(value: object, at: tuple = ()) -> list[tuple]:
    """The path of every member of every container in ``value``."""
    out = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        out.append((*at, key))
        out.extend(_places(child, (*at, key)))
    return out


# values of every JSON type, integral floats and booleans (jsonschema's "integer" and equality)
_REPLACEMENTS = [None, True, False, 0, 1, -1, 1.5, 2.0, 1e9, "", "x", "$.x", "States.ALL", [], {}, ["x"], {"a": 1}]


def _mutated(definition: dict, rng: random.Random) -> dict:
    """``definition`` with one member dropped, replaced, renamed or given an unknown sibling."""
    mutant = copy.deepcopy(definition)
    places = _places(mutant)
    if not places:
        return mutant
    *parent_path, key = rng.choice(places)
    parent = mutant
    for step in parent_path:
        parent = parent[step]
    how = rng.choice(["drop", "replace", "replace", "rename", "add"])
    if how == "drop" or (how == "rename" and isinstance(parent, dict)):
        value = parent.pop(key)
        if how == "rename":
            parent[rng.choice(["Unknown", "Next", "End", "Type", "Parameters", "Arguments"])] = value
    elif how == "add" and isinstance(parent, dict):
        parent[rng.choice(["Unknown", "Next", "Output", "Assign", "Retry"])] = rng.choice(_REPLACEMENTS)
    else:
        parent[key] = rng.choice(_REPLACEMENTS)
    return mutant


def test_the_fast_check_answers_every_definition_without_giving_up():
    definitions = _all_definitions()
    assert len(definitions) > 600
    wrong = [name for name, d in definitions if accepts(schema_module.schema(), d) != _jsonschema_accepts(d)]
    assert wrong == []


def test_the_fast_check_agrees_with_jsonschema_on_mutations():
    rng = random.Random(18)
    verdicts = {True: 0, False: 0}
    wrong = []
    for name, definition in _all_definitions()[::2]:
        for _ in range(3):
            mutant = _mutated(definition, rng)
            verdict = accepts(schema_module.schema(), mutant)
            verdicts[verdict] += 1
            if verdict != _jsonschema_accepts(mutant):
                wrong.append((name, json.dumps(mutant)[:300]))
    assert wrong == []
    assert min(verdicts.values()) > 100  # both answers were exercised


def test_the_fast_check_gives_up_on_what_it_does_not_know():
    with pytest.raises(Unsupported):
        accepts({"type": "object", "patternProperties": {"^x": {}}}, {})
    with pytest.raises(Unsupported):
        accepts({"$ref": "other.json#/x"}, {})
    with pytest.raises(Unsupported):
        accepts({"type": "decimal"}, 1)
    assert accepts({"type": "integer", "x-messages": {}, "$comment": "c"}, 2.0)
    assert not accepts({"type": "integer"}, True)
    assert not accepts({"const": 1}, True) and not accepts({"enum": [[0]]}, [False])
    assert equal({"a": [1, "x"]}, {"a": [1.0, "x"]}) and not equal([True], [1])


def test_a_definition_too_deep_for_the_fast_check_goes_to_jsonschema(monkeypatch: pytest.MonkeyPatch):
    asked = []
    monkeypatch.setattr(schema_module, "accepts", lambda schema, definition: asked.append(1) or True)
    deep: object = {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}
    for _ in range(1000):
        deep = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [deep], "End": True}}}
    assert "TOO_DEEPLY_NESTED" in {d.code for d in validate(deep)}
    assert asked == []
    validate(sm({"A": end()}))
    assert asked == [1]
