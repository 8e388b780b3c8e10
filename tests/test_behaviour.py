"""The behaviour check (issue 6, item 4): the translation against moto's ASL interpreter."""

from __future__ import annotations

import copy

import moto.stepfunctions.parser  # noqa: F401 - moto is a test dependency: fail loudly when missing
import pytest
from conformance import case_input, case_lambdas, load_cases
from conformance_aws import case_seed

from asl2durable.run.behaviour import check, json_diff, report

CASES = {case.id: case for case in load_cases()}

# JSONPath conformance cases moto's interpreter runs offline, and on which the translation
# behaves as the interpreter does: Pass, Choice, Wait, Parallel, Map, Fail, Retry/Catch,
# intrinsics, the context object and Lambda tasks (the same Python stubs on both sides).
SAME = [
    "base.test_base.test_state_pass_result.2d9aee52",
    "base.test_base.test_state_pass_result_jsonpaths.d002dc7a",
    "base.test_base.test_state_pass_result_null_input_output_paths.2fca4374",
    "base.test_base.test_state_fail.1c1aa418",
    "base.test_base.test_state_fail_intrinsic.8007fc0f",
    "base.test_wait.test_base_wait_seconds_path_1.1c373156",
    "scenarios.test_base_scenarios.test_choice_singleton_composite_CHOICE_STATE_SINGLETON_COMPOSITE.1f7b467d",
    "scenarios.test_base_scenarios.test_choice_unsorted_parameters_negative_CHOICE_STATE_UNSORTED_CHOICE_PARAMETERS.8d5fade0",
    "scenarios.test_base_scenarios.test_parallel_state_order.8f3e32f7",
    "scenarios.test_base_scenarios.test_parallel_state_PARALLEL_STATE_PARAMETERS.e7acb4db",
    "scenarios.test_base_scenarios.test_map_state_break_condition.d3d63736",
    "scenarios.test_base_scenarios.test_map_state_catch.9360d1bc",
    "scenarios.test_base_scenarios.test_map_state_legacy_config_inline_parameters.f0188662",
    "scenarios.test_base_scenarios.test_retry_interval_features.aa0916c6",
    "scenarios.test_base_scenarios.test_catch_states_runtime.0ed651f2",
    "context_object.test_context_object.test_error_cause_path.db7a80c6",
    "intrinsic_functions.test_array.test_array_partition.e2.7d827cb3",
    "intrinsic_functions.test_generic.test_format_1.e1.c3d74c5d",
    "intrinsic_functions.test_hash_calculations.test_hash.e0.ba7b15ad",
    "intrinsic_functions.test_math_operations.test_math_add.e1.f459bf4c",
    "intrinsic_functions.test_string_operations.test_string_split.e1.bd8647a0",
    "intrinsic_functions.test_encode_decode.test_base_64_decode.e0.f49205df",
    "comments.test_comments.test_comments_as_per_docs.20a53d95",
    "error_handling.test_task_lambda.test_raise_exception.537c33ab",
    "error_handling.test_task_lambda.test_no_such_function.42094520",
    "error_handling.test_task_lambda.test_raise_custom_exception.c298f3bf",
    "error_handling.test_task_service_lambda.test_raise_exception_catch.c9b6cb54",
    "local_mocking.test_base_scenarios.test_lambda_service_invoke.0ae49915",
    "services.test_lambda_task.test_lambda_task_filter_parameters_input.321b3e08",
]


# Cases that call AWS services: both sides run against moto, each in a fresh emulation seeded
# with the resources the original test created.
SAME_WITH_SERVICES = [
    "services.test_sqs_task_service.test_send_message.4b4bdc4a",
    "services.test_sns_task_service.test_publish_base.0a9fb92d",
    "services.test_aws_sdk_task_service.test_dynamodb_put_get_item.937333e9",
]


@pytest.mark.slow  # recorded cases through moto's ASL interpreter
@pytest.mark.parametrize("case_id", SAME + SAME_WITH_SERVICES)
def test_conformance_case_behaves_the_same(case_id):
    case = CASES[case_id]
    seed = case_seed(case.data) if case_id in SAME_WITH_SERVICES else None
    [comparison] = check(
        case.data["definition"], [case_input(case)], lambdas=case_lambdas(case), seed=seed, timeout=30
    )
    assert comparison.verdict == "same", comparison.to_dict()
    assert comparison.step_functions.status == case.data["expected"]["status"]


def test_lambda_error_cause_is_compared_as_json_ignoring_the_request_id():
    case = CASES["error_handling.test_task_lambda.test_raise_custom_exception.c298f3bf"]
    [comparison] = check(case.data["definition"], [case_input(case)], lambdas=case_lambdas(case))
    assert comparison.verdict == "same"
    reasons = {i["path"]: i["why"] for i in comparison.ignored}
    assert reasons["output.Cause<json>.requestId"] == "both UUIDs (drawn per run)"


PASS_MACHINE = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Pass", "Result": {"greeting": "hello"}, "ResultPath": "$.out", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Done"}],
            "Default": "Refuse",
        },
        "Done": {"Type": "Succeed"},
        "Refuse": {"Type": "Fail", "Error": "Negative", "Cause": "n <= 0"},
    },
}


def test_a_mistranslated_pass_state_differs_with_the_diff():
    wrong = copy.deepcopy(PASS_MACHINE)
    wrong["States"]["Greet"]["Result"] = {"greeting": "bonjour"}
    first, second = check(PASS_MACHINE, [{"n": 1}, {"n": -1}], durable_definition=wrong)
    assert first.verdict == "differs"
    assert first.diff == [{"path": "output.out.greeting", "expected": "hello", "actual": "bonjour"}]
    assert first.step_functions.output == {"n": 1, "out": {"greeting": "hello"}}
    # the other input ends in the Fail state on both sides: the Pass state's result does not show
    assert second.verdict == "same", second.to_dict()
    assert second.step_functions.error == "Negative"
    assert report([first, second]).splitlines() == [
        'input 1: {"n": 1}',
        "  differs",
        '    output.out.greeting: Step Functions "hello", durable "bonjour"',
        'input 2: {"n": -1}',
        "  same",
    ]


def test_a_different_error_name_or_status_differs():
    other_error = copy.deepcopy(PASS_MACHINE)
    other_error["States"]["Refuse"]["Error"] = "Other"
    [error] = check(PASS_MACHINE, [{"n": -1}], durable_definition=other_error)
    assert error.verdict == "differs"
    assert error.diff == [{"path": "error", "expected": "Negative", "actual": "Other"}]
    no_fail = copy.deepcopy(PASS_MACHINE)
    no_fail["States"]["Refuse"] = {"Type": "Succeed"}
    [status] = check(PASS_MACHINE, [{"n": -1}], durable_definition=no_fail)
    assert status.verdict == "differs"
    assert status.diff == [{"path": "status", "expected": "FAILED", "actual": "SUCCEEDED"}]


def test_jsonata_cannot_be_compared():
    case = CASES["arguments.test_arguments.test_base_cases_BASE_LAMBDA_LITERALS.b8f1075a"]
    [comparison] = check(case.data["definition"], [case_input(case)], lambdas=case_lambdas(case))
    assert comparison.verdict == "could not compare"
    assert "JSONata" in comparison.reason
    assert comparison.step_functions is None and comparison.durable is None


def test_variable_references_and_task_tokens_cannot_be_compared():
    case = CASES["assign.test_assign_reference_variables.test_reference_assign_BASE_REFERENCE_IN_CHOICE.ecd0f229"]
    [comparison] = check(case.data["definition"], [case_input(case)])
    assert comparison.verdict == "could not compare"
    assert "variable reference" in comparison.reason
    token = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True}}}
    [comparison] = check(token, [{}])
    assert comparison.verdict == "could not compare" and "task token" in comparison.reason


def test_run_specific_values_are_ignored_and_listed():
    expected = {
        "id": "arn:aws:states:us-east-1:111111111111:execution:m:5b0f8e86-0d59-4a8e-9bd2-5d2e2f9f3e11",
        "machine": "arn:aws:states:us-east-1:111111111111:stateMachine:m",
        "start": "2026-11-27T17:00:00.123Z",
        "token": "5b0f8e86-0d59-4a8e-9bd2-5d2e2f9f3e11",
        "meta": {"SdkHttpMetadata": {"HttpHeaders": {"Date": "x"}}},
        "arn": "arn:aws:lambda:us-east-1:111111111111:function:a",
        "n": 1,
    }
    actual = {
        "id": "arn:aws:lambda:us-east-1:111111111111:function:m:$LATEST/durable-execution/x/y",
        "machine": "arn:aws:lambda:us-east-1:111111111111:function:m",
        "start": "2026-11-27T17:00:01+00:00",
        "token": "0e6c3a77-0b8e-4f0e-a0a4-2c2d7c4f1b22",
        "meta": {"SdkHttpMetadata": {"HttpHeaders": {"Date": "y"}}},
        "arn": "arn:aws:lambda:us-east-1:111111111111:function:b",
        "n": 1.0,
    }
    diff, ignored = json_diff(expected, actual)
    # a Lambda ARN in the data is not run-specific: it is reported
    assert diff == [{"path": "$.arn", "expected": expected["arn"], "actual": actual["arn"]}]
    assert sorted(i["path"] for i in ignored) == [
        "$.id", "$.machine", "$.meta.SdkHttpMetadata", "$.start", "$.token"]
