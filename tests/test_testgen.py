"""Generated tests (test_handler.py): the input synthesis, and the generated files passing.

The generated test file of a translated machine must pass as generated: each of the golden
examples, a selection of conformance definitions and a sample of real-world definitions is
written to a folder and its ``test_handler.py`` run with pytest in a subprocess.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from generated import generated_test_failures

from asl2durable.load.loader import load
from asl2durable.lower.lower import lower
from asl2durable.render.testgen import plan
from asl2durable.translate import translate
from asl2durable.writer import write_translation

FIXTURES = Path(__file__).parent / "fixtures"


def _choice(rule: dict, default: bool = True) -> dict:
    states: dict = {
        "Route": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}]},
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Fail", "Error": "No"},
    }
    if default:
        states["Route"]["Default"] = "No"
    return {"StartAt": "Route", "States": states}


def _inputs(definition: dict) -> dict:
    """The synthesized input of each planned test, by the end state it reaches."""
    workflow, _ = lower(definition, "m")
    return {case.path[-1]: case.input for case in plan(workflow).cases if case.function is None}


V = "$.v"
SYNTHESIS = [
    # (rule, input that takes it, input that does not)
    ({"Variable": V, "StringEquals": "ok"}, {"v": "ok"}, {"v": "okz"}),
    ({"Variable": V, "StringLessThan": "m"}, {"v": ""}, {"v": "m"}),
    ({"Variable": V, "StringMatches": "log-*.txt"}, {"v": "log-.txt"}, {"v": "log-.txtx"}),
    ({"Variable": V, "NumericEquals": 3}, {"v": 3}, {"v": 4}),
    ({"Variable": V, "NumericGreaterThan": 10}, {"v": 11}, {"v": 10}),
    ({"Variable": V, "NumericLessThanEquals": 0}, {"v": 0}, {"v": 1}),
    ({"Variable": V, "BooleanEquals": True}, {"v": True}, {"v": False}),
    (
        {"Variable": V, "TimestampGreaterThan": "2024-05-01T00:00:00Z"},
        {"v": "2024-05-02T00:00:00Z"},
        {"v": "2024-05-01T00:00:00Z"},
    ),
    ({"Variable": V, "IsNull": True}, {"v": None}, {"v": "x"}),
    ({"Variable": V, "IsNumeric": False}, {"v": "x"}, {"v": 1}),
    ({"Variable": V, "IsPresent": True}, {"v": "v"}, {}),
    ({"Variable": V, "IsPresent": False}, {}, {"v": "v"}),
    ({"Variable": "$.a.b", "StringEquals": "x"}, {"a": {"b": "x"}}, {"a": {"b": "xz"}}),
    ({"Variable": "$.list[1]", "NumericEquals": 2}, {"list": ["item", 2]}, {"list": ["item", 3]}),
    (
        {"And": [{"Variable": "$.a", "BooleanEquals": True}, {"Variable": "$.b", "NumericGreaterThan": 0}]},
        {"a": True, "b": 1},
        {"a": False},
    ),
    (
        {"Or": [{"Variable": "$.a", "StringEquals": "x"}, {"Variable": "$.b", "StringEquals": "y"}]},
        {"a": "x"},
        {"a": "xz", "b": "yz"},
    ),
    ({"Not": {"Variable": V, "StringEquals": "x"}}, {"v": "xz"}, {"v": "x"}),
    ({"Variable": "$.a", "StringEqualsPath": "$.b"}, {"a": "value", "b": "value"}, {"a": "valuez", "b": "value"}),
]


@pytest.mark.parametrize("rule,taken,not_taken", SYNTHESIS, ids=[json.dumps(r[0])[:60] for r in SYNTHESIS])
def test_choice_rule_synthesis(rule, taken, not_taken):
    assert _inputs(_choice(rule)) == {"Yes": taken, "No": not_taken}


def test_a_choice_without_default_fails_with_no_choice_matched():
    workflow, _ = lower(_choice({"Variable": V, "StringEquals": "ok"}, default=False), "m")
    cases = {(c.status, c.error): c.input for c in plan(workflow).cases if c.function is None}  # paths
    assert cases == {("SUCCEEDED", None): {"v": "ok"}, ("FAILED", "States.NoChoiceMatched"): {"v": "okz"}}


def test_a_choice_on_a_stub_result_sets_the_result():
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:check", "Next": "Ok?"},
            "Ok?": {"Type": "Choice", "Choices": [{"Variable": "$.status", "StringEquals": "DONE", "Next": "Done"}], "Default": "Again"},
            "Again": {"Type": "Fail", "Error": "NotDone"},
            "Done": {"Type": "Succeed"},
        },
    }
    workflow, _ = lower(definition, "m")
    result = plan(workflow)
    assert [s.key for s in result.stubs] == ["check"]
    by_end = {c.path[-1]: c for c in result.cases}
    assert by_end["Done"].results == {"check": {"status": "DONE"}}
    assert by_end["Done"].output == {"status": "DONE"} and by_end["Done"].check_output
    assert by_end["Again"].results == {"check": {"status": "DONEz"}} and by_end["Again"].error == "NotDone"


def test_catch_routes_make_the_stub_fail_and_unreached_ends_are_listed():
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "t", "Item": {"id": {"S.$": "$.id"}}},
                "Catch": [
                    {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "Exists"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Broken"},
                ],
                "End": True,
            },
            "Exists": {"Type": "Succeed"},
            "Broken": {"Type": "Fail", "Error": "Broken"},
            "Never": {"Type": "Pass", "Parameters": {"x.$": "$..deep"}, "End": True},
        },
    }
    workflow, _ = lower(definition, "m")
    result = plan(workflow)
    key = "arn:aws:states:::dynamodb:putItem"
    routes = {c.path[-1]: (c.status, c.error, c.errors, c.results) for c in result.cases}
    assert routes == {
        "Work": ("SUCCEEDED", None, {}, {key: {}}),
        "Exists": ("SUCCEEDED", None, {key: "DynamoDB.ConditionalCheckFailedException"}, {}),
        "Broken": ("FAILED", "Broken", {key: "TestError"}, {}),
    }
    assert result.untested == ["Never"]


def test_the_search_is_bounded():
    """A long chain of Choices (2**30 paths) gets at most 20 tests, quickly."""
    states: dict = {}
    for i in range(30):
        states[f"C{i}"] = {
            "Type": "Choice",
            "Choices": [{"Variable": f"$.v{i}", "BooleanEquals": True, "Next": f"C{i + 1}"}],
            "Default": f"C{i + 1}",
        }
    states["C30"] = {"Type": "Succeed"}
    workflow, _ = lower({"StartAt": "C0", "States": states}, "m")
    assert 1 <= len(plan(workflow).cases) <= 20


def test_a_forked_walk_is_a_deep_copy_of_every_field():
    """``_Walk.fork`` lists the fields it copies (cheaply where they hold only immutable values):
    the copy equals the original, shares no mutable container with it, and keeps shared objects shared."""
    import copy
    import dataclasses

    from asl2durable.render import testgen

    shared = {"k": [1, {"n": 2}]}
    walk = testgen._Walk(
        trees={"input": {"a": shared, "b": shared}, "result:f": testgen.HOLE},
        outcomes={"f": None, "g": "States.TaskFailed"},
        read={"result:f"},
        frozen={("input", ("a", 0))},
        variables={"v": [shared]},
        visits={("m", "S"): 2},
        attempts=3,
        trail=["S", "T (label)"],
        task_token=True,
        calls=[("f", {"id": testgen.Ref("input", ("a",))})],  # requests are never changed: shared
        calls_exact=False,
        failing=("A", "B"),
        answers={"f": 2},
    )
    assert all(getattr(walk, f.name) != f.default for f in dataclasses.fields(walk) if f.default is not dataclasses.MISSING)
    forked = walk.fork()
    assert forked == copy.deepcopy(walk)
    for f in dataclasses.fields(walk):
        if isinstance(getattr(walk, f.name), (dict, list, set)):
            assert getattr(forked, f.name) is not getattr(walk, f.name), f.name
    assert forked.trees["input"]["a"] is forked.trees["input"]["b"] is not shared
    assert forked.variables["v"][0] is forked.trees["input"]["a"]  # shared across fields too


@pytest.mark.parametrize("source", sorted((FIXTURES / "golden").glob("*.asl.json")), ids=lambda p: p.name.removesuffix(".asl.json"))
def test_generated_tests_match_golden_file(source):
    """The generated tests of each golden example, compared whole (refresh: UPDATE_GOLDEN=1)."""
    name = source.name.removesuffix(".asl.json")
    actual = translate(json.loads(source.read_text()), name=name).files["test_handler.py"]
    expected_file = source.parent / f"{name}.test_handler.py"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


def test_generated_tests_are_deterministic():
    source = FIXTURES / "golden" / "order-processing.asl.json"
    first = translate(json.loads(source.read_text()), name="m").files["test_handler.py"]
    second = translate(json.loads(source.read_text()), name="m").files["test_handler.py"]
    assert first == second


# --------------------------------------------------------------------------- running them

GOLDEN = sorted((FIXTURES / "golden").glob("*.asl.json"))
CONFORMANCE = [  # JSONata, variables in Map, callbacks, activities, catch routes, ItemReader
    "arguments.test_arguments.test_base_cases_BASE_LAMBDA_LITERALS.b8f1075a",
    "assign.test_assign_base.test_base_cases_BASE_SCOPE_MAP.ac26f7db",
    "activities.test_activities.test_activity_task_on_deleted.36673872",
    "callback.test_callback.test_sns_publish_wait_for_task_token.2f7b4563",
    "error_handling.test_task_service_lambda.test_raise_exception_catch.c9b6cb54",
    "scenarios.test_base_scenarios.test_map_item_reader_base_json.56fa9d0f",
    "scenarios.test_base_scenarios.test_map_state_catch_legacy.207a8e9e",
]
REALWORLD = sorted((FIXTURES / "corpus" / "realworld").glob("*.asl.json"))[::11]  # 16 of them


TEMPLATE_MACHINES = [(FIXTURES / "templates" / "sam-app" / "template.yaml", r) for r in ("OrderMachine", "RefundMachine")]


def _definitions() -> list[tuple[str, dict, tuple]]:
    """(name, definition, substitutions): golden, conformance, real-world and template machines."""
    out = [(p.name.removesuffix(".asl.json"), json.loads(p.read_text()), ()) for p in GOLDEN]
    for case in CONFORMANCE:
        path = FIXTURES / "conformance" / "cases" / f"{case}.json"
        out.append((case.split(".")[-2][-40:], json.loads(path.read_text())["definition"], ()))
    for path in REALWORLD:
        loaded = load(path)
        assert loaded.definition is not None, path
        out.append((path.name.removesuffix(".asl.json")[-40:], loaded.definition, ()))
    for path, resource in TEMPLATE_MACHINES:  # ${placeholders} read from environment variables
        loaded = load(path, resource=resource)
        assert loaded.definition is not None and loaded.substitutions, (path, resource)
        out.append((resource, loaded.definition, loaded.substitutions))
    return out


@pytest.mark.slow  # every generated folder's tests, run by pytest
def test_generated_test_files_pass(tmp_path):
    """Every folder's test_handler.py passes as generated (one pytest run over all folders)."""
    folders = []
    for i, (name, definition, substitutions) in enumerate(_definitions()):
        translation = translate(
            definition, name=f"m{i}_{name}".replace("-", "_").replace(".", "_"), substitutions=substitutions
        )
        assert translation.ok, (name, translation.diagnostics)
        assert "test_handler.py" in translation.files and "asl_testing.py" in translation.files
        folders.append(write_translation(translation, tmp_path))
    total = sum((folder / "test_handler.py").read_text().count("\ndef test_") for folder in folders)
    failures = generated_test_failures(folders)
    assert not failures, "\n\n".join(failures)
    assert total >= len(folders)


def test_string_to_json_reads_a_json_document_carried_by_the_input():
    definition = {
        "StartAt": "Parse",
        "States": {
            "Parse": {"Type": "Pass", "Parameters": {"doc.$": "States.StringToJson($.body)"}, "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$.doc.kind", "StringEquals": "a", "Next": "A"}], "Default": "B"},
            "A": {"Type": "Succeed"},
            "B": {"Type": "Succeed"},
        },
    }
    assert _inputs(definition) == {"A": {"body": '{"kind":"a"}'}, "B": {"body": '{"kind":"az"}'}}


def test_jsonata_conditions_are_evaluated_on_the_synthesized_input():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "Big"}], "Default": "Small"},
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"},
        },
    }
    assert _inputs(definition) == {"Small": {"n": 1}}  # one way: the hint makes n a number


def test_a_function_named_by_the_input_gets_the_dynamic_stub():
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.fn", "Payload": {}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    workflow, _ = lower(definition, "m")
    result = plan(workflow)
    assert [s.key for s in result.stubs] == ["dynamic-function"] and result.dynamic == ["Call"]
    assert [(c.input, c.results, c.output) for c in result.cases] == [({"fn": "dynamic-function"}, {"dynamic-function": {}}, {})]
