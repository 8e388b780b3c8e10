"""Task resources other than Lambda: ``asl2durable/runtime/asl_services.py`` and ``asl2durable/lower/integrations.py``.

* Naming rules and conversions as tables (no AWS needed).
* Error names and causes against the causes recorded on AWS, by answering botocore's request
  with the recorded error (no AWS needed): these cover the cases an emulator cannot reproduce.
* The recorded conformance cases of the services families, run task by task against moto
  (``moto.mock_aws``, fake credentials, us-east-1, account 111111111111 as in the recordings).
* ``.sync`` pollers, ``apigateway:invoke`` and ``http:invoke`` against moto and a local HTTP server.
* ``classify`` over every Task resource of the real-world corpus.
"""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from asl2durable.lower import integrations
from asl2durable.lower.integrations import classify, unsupported_parameters
from asl2durable.runtime import asl_services as svc
from asl2durable.runtime.asl_services import ServiceError, call, poll, poll_interval, start

FIXTURES = Path(__file__).parent / "fixtures"
CASES = FIXTURES / "conformance" / "cases"
CORPUS = sorted((FIXTURES / "corpus" / "realworld").glob("*.asl.json"))
ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn-role"


def case(prefix: str) -> dict:
    found = sorted(CASES.glob(prefix + "*.json"))
    assert len(found) == 1, (prefix, found)
    return json.loads(found[0].read_text())


# --------------------------------------------------------------------------- naming rules


@pytest.mark.parametrize(
    "service_id, name",
    [
        ("DynamoDB", "DynamoDb"),
        ("S3", "S3"),
        ("Secrets Manager", "SecretsManager"),
        ("SFN", "Sfn"),
        ("EventBridge", "EventBridge"),
        ("CloudWatch Logs", "CloudWatchLogs"),
        ("Config Service", "Config"),
        ("Elasticsearch Service", "Elasticsearch"),
        ("ApiGatewayV2", "ApiGatewayV2"),
        ("SESv2", "SesV2"),
        ("IoT Data Plane", "IotDataPlane"),
        ("Elastic Load Balancing v2", "ElasticLoadBalancingV2"),
    ],
)
def test_sdk_service_name(service_id, name):
    assert svc.sdk_service_name(service_id) == name


@pytest.mark.parametrize(
    "sfn_name, boto",
    [
        ("dynamodb", "dynamodb"), ("s3", "s3"), ("sfn", "stepfunctions"), ("eventbridge", "events"),
        ("cloudwatchlogs", "logs"), ("secretsmanager", "secretsmanager"), ("bedrockagent", "bedrock-agent"),
        ("emrserverless", "emr-serverless"), ("redshiftdata", "redshift-data"), ("config", "config"),
        ("costexplorer", "ce"), ("elasticloadbalancingv2", "elbv2"), ("iotdataplane", "iot-data"),
        ("apigateway", "apigateway"), ("cloudwatch", "cloudwatch"), ("rds", "rds"), ("nosuchservice", None),
    ],
)  # fmt: skip
def test_sdk_service_maps_to_boto3(sfn_name, boto):
    assert svc.sdk_service(sfn_name) == boto


@pytest.mark.parametrize(
    "shape, name",
    [
        ("NoSuchBucket", "NoSuchBucketException"),
        ("ResourceNotFoundException", "ResourceNotFoundException"),
        ("InvalidToken", "InvalidTokenException"),
        ("KMSAccessDeniedException", "KmsAccessDeniedException"),
        ("InternalServiceFault", "InternalServiceException"),
    ],
)
def test_sdk_exception_name(shape, name):
    assert svc.sdk_exception_name(shape) == name


@pytest.mark.parametrize(
    "member, name",
    [
        ("DBInstances", "DbInstances"),  # the corpus reads $.DbInstances[0] after rds:describeDBInstances
        ("DBSnapshotIdentifier", "DbSnapshotIdentifier"),
        ("ETag", "ETag"),  # recorded: s3:putObject
        ("ChecksumCRC32", "ChecksumCRC32"),  # recorded: s3:putObject
        ("SSEKMSKeyId", "SsekmsKeyId"),
        ("cluster", "Cluster"),
        ("S3Object", "S3Object"),
        ("BOOL", "Bool"),
        ("S", "S"),
    ],
)
def test_sdk_member_name(member, name):
    assert svc.sdk_member_name(member) == name


@pytest.mark.parametrize(
    "resource, kind, service, action, pattern",
    [
        ("arn:aws:states:::sqs:sendMessage", "optimized", "sqs", "sendMessage", "request-response"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "optimized", "sqs", "sendMessage", "callback"),
        ("arn:aws:states:::states:startExecution.sync:2", "optimized", "states", "startExecution", "sync:2"),
        ("arn:aws:states:::states:startExecution.sync", "optimized", "states", "startExecution", "sync"),
        ("arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk", "s3", "getObject", "request-response"),
        ("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:aws-sdk:s3:getObject",
         "aws-sdk", "s3", "getObject", "request-response"),
        ("arn:aws:states:us-east-1:123456789012:activity:worker", "activity", "states", "worker", "request-response"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", "other", "", "", "request-response"),
    ],
)  # fmt: skip
def test_parse_resource(resource, kind, service, action, pattern):
    res = svc.parse_resource(resource)
    assert (res.kind, res.service, res.action, res.pattern) == (kind, service, action, pattern)
    assert not res.base.endswith((".sync", ".sync:2", ".waitForTaskToken"))


def _shape(service: str, operation: str, member: str):
    return svc.service_model(service).operation_model(operation).input_shape.members[member]


@pytest.mark.parametrize(
    "service, operation, member, value, expected",
    [
        # s3:putObject Body (a streaming payload) is the JSON text of the value: recorded ETags are
        # md5('"text data"'), md5('0'), md5('["List","Data"]').
        ("s3", "PutObject", "Body", "text data", b'"text data"'),
        ("s3", "PutObject", "Body", 0, b"0"),
        ("s3", "PutObject", "Body", ["List", "Data"], b'["List","Data"]'),
        ("kms", "Encrypt", "Plaintext", "aGVsbG8=", b"hello"),  # other blobs: base64 text
        ("sfn" and "stepfunctions", "SendTaskSuccess", "output", {"a": 1}, '{"a":1}'),  # string member, JSON value
        ("ecs", "UpdateService", "desiredCount", "3", 3),  # "${var.ecstaskcount}" in the corpus
        ("ecs", "UpdateService", "forceNewDeployment", "true", True),
        ("sqs", "SendMessage", "MessageBody", "text", "text"),
    ],
)
def test_to_boto_conversions(service, operation, member, value, expected):
    assert svc.to_boto(value, _shape(service, operation, member)) == expected


def test_to_boto_matches_members_without_case_and_drops_nulls():
    shape = svc.service_model("ecs").operation_model("RunTask").input_shape
    params = {"Cluster": "c", "TaskDefinition": "td", "Group": None,
              "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["s"], "AssignPublicIp": "ENABLED"}}}  # fmt: skip
    assert svc.to_boto(params, shape) == {
        "cluster": "c", "taskDefinition": "td",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"], "assignPublicIp": "ENABLED"}},
    }  # fmt: skip


def test_unknown_field_is_a_runtime_error():
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::aws-sdk:s3:listBuckets", {"NoSuchField": 1})
    assert err.value.error == "States.Runtime"


@pytest.mark.parametrize(
    "value, text",
    [
        ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.120000+00:00", "2024-01-02T03:04:05.120Z"),
        ("2024-01-02T03:04:05.123456+02:00", "2024-01-02T01:04:05.123456Z"),
    ],
)
def test_timestamps(value, text):
    import datetime as dt

    moment = dt.datetime.fromisoformat(value)
    assert svc.instant(moment) == text
    assert svc.epoch_millis(moment) == int(moment.timestamp() * 1000)


def test_poll_intervals():
    assert poll_interval("arn:aws:states:::states:startExecution.sync") >= 1
    assert poll_interval("arn:aws:states:::batch:submitJob.sync") == 30
    assert poll_interval("arn:aws:states:::nosuch:thing.sync") == 10


def test_unsupported_optimized_integration_is_a_runtime_error():
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::bedrockagentcore:invokeHarness", {})
    assert err.value.error == "States.Runtime"
    assert "not supported by asl2durable" in str(err.value)


# --------------------------------------------------------------------------- recorded errors, answered locally


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "MOTO_ACCOUNT_ID": ACCOUNT,
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _answer(monkeypatch, status: int, headers: dict, body: bytes):
    """Make every client asl_services creates receive this HTTP response instead of calling AWS."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self):
            self.data = body

        def stream(self, **_kw):
            yield body

        def read(self, *_a, **_kw):
            return body

    real = svc._client

    def client(service, region=None):
        made = real(service, region)
        made.meta.events.register("before-send", lambda **_kw: AWSResponse("https://aws", status, headers, Raw()))
        return made

    monkeypatch.setattr(svc, "_client", client)


def _json_error(code: str, message: str, query_error: str | None = None) -> tuple[dict, bytes]:
    headers = {"x-amzn-RequestId": "<request_id>", "Content-Type": "application/x-amz-json-1.0"}
    if query_error:
        headers["x-amzn-query-error"] = query_error
    return headers, json.dumps({"__type": code, "message": message}).encode()


def _cause_matches(expected: str, actual: str) -> bool:
    parts = re.split(r"<[^<>]+>", expected)
    return re.fullmatch(".*".join(re.escape(p) for p in parts), actual, re.DOTALL) is not None


_SDK_ATTEMPTS = " (SDK Attempt Count: 1)"  # recorded since late 2025 (test_sfn_send_task_outcome_...)


@pytest.mark.parametrize(
    "case_prefix, resource, params, status, headers_body",
    [
        ("error_handling.test_task_service_sqs.test_send_message_empty_body", "arn:aws:states:::sqs:sendMessage",
         {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/queue-u0001", "MessageBody": None}, 400,
         _json_error("com.amazonaws.sqs#MissingParameter", "The request must contain the parameter MessageBody.",
                     "MissingParameter;Sender")),
        ("error_handling.test_task_service_dynamodb.test_invalid_param", "arn:aws:states:::dynamodb:putItem",
         {"TableName": "no_such_sfn_test_table_u0001", "Item": None}, 400,
         _json_error("com.amazon.coral.validate#ValidationException",
                     "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")),
        ("error_handling.test_task_service_dynamodb.test_put_item_invalid_table_name", "arn:aws:states:::dynamodb:putItem",
         {"TableName": "/invalid_test_table_u0001", "Item": {"id": {"S": "id1"}}}, 400,
         _json_error("com.amazon.coral.validate#ValidationException",
                     "1 validation error detected: Value '/invalid_test_table_u0001' at 'tableName' failed to satisfy "
                     "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")),
        ("error_handling.test_task_service_dynamodb.test_put_item_no_such_table", "arn:aws:states:::dynamodb:putItem",
         {"TableName": "no_such_sfn_test_table_u0001", "Item": {"id": {"S": "id1"}}}, 400,
         _json_error("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found")),
        ("error_handling.test_aws_sdk.test_dynamodb_put_item_no_such_table", "arn:aws:states:::aws-sdk:dynamodb:putItem",
         {"TableName": "no_such_sfn_test_table_u0001", "Item": {"id": {"S": "id1"}}}, 400,
         _json_error("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "Requested resource not found")),
        ("error_handling.test_aws_sdk.test_invalid_secret_name", "arn:aws:states:::aws-sdk:secretsmanager:createSecret",
         {"Name": "Invalid Name", "SecretString": "HelloWorld"}, 400,
         _json_error("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, "
                     "or any of the following: -/_+=.@!")),
        ("services.test_aws_sdk_task_service.test_sfn_send_task_outcome_with_no_such_token",
         "arn:aws:states:::aws-sdk:sfn:sendTaskFailure", {"TaskToken": "NoSuchTaskToken"}, 400,
         _json_error("InvalidToken", "Invalid Token: 'Invalid token'")),
        ("services.test_sns_task_service.test_publish_base_error_topic_arn", "arn:aws:states:::sns:publish",
         {"TopicArn": "arn:aws:sns:us-east-1:111111111111:topic-u0001", "Message": {"Message": "HelloWorld!"}}, 404,
         ({"x-amzn-RequestId": "<request_id>", "Content-Type": "text/xml"},
          b"<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message>"
          b"</Error><RequestId>&lt;request_id&gt;</RequestId></ErrorResponse>")),
    ],
)  # fmt: skip
def test_recorded_error_names_and_causes(aws_env, monkeypatch, case_prefix, resource, params, status, headers_body):
    recorded = case(case_prefix)["expected"]
    if recorded["status"] == "SUCCEEDED":  # caught by a Catch: the error output is recorded
        recorded = recorded["output"].get("TaskFailedError") or recorded["output"]["aws_error"]
        error, cause = recorded["Error"], recorded["Cause"]
    else:
        error, cause = recorded["error"], recorded["cause"]
    headers, body = headers_body
    _answer(monkeypatch, status, headers, body)
    with pytest.raises(ServiceError) as raised:
        call(resource, params)
    assert raised.value.error == error
    actual = str(raised.value)
    # The 2023 recordings predate the SDK's "(SDK Attempt Count: n)" suffix; later ones have it.
    assert _cause_matches(cause, actual) or _cause_matches(cause + _SDK_ATTEMPTS, actual), actual


def test_s3_error_names_the_extended_request_id(aws_env, monkeypatch):
    recorded = case("error_handling.test_aws_sdk.test_no_such_bucket")["expected"]["output"]["TaskFailedError"]
    body = (b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
            b"<BucketName>someNonexistentBucketNameu0001</BucketName></Error>")  # fmt: skip
    _answer(monkeypatch, 404, {"x-amz-request-id": "<request_id>", "x-amz-id-2": "<extended_request_id>"}, body)
    with pytest.raises(ServiceError) as raised:
        call("arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "someNonexistentBucketNameu0001"})
    assert raised.value.error == recorded["Error"] == "S3.NoSuchBucketException"
    assert _cause_matches(recorded["Cause"] + _SDK_ATTEMPTS, str(raised.value)), str(raised.value)


# --------------------------------------------------------------------------- recorded cases against moto

import moto  # noqa: E402  (a test dependency: pyproject's test extra)


@pytest.fixture
def aws(aws_env):
    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": False}}):
        yield


def _path(data: Any, path: str, context: dict) -> Any:
    root, path = (context, path[2:]) if path.startswith("$$") else (data, path[1:])
    for key in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        root = root[key[0]] if key[0] else root[int(key[1])]
    return root


def _parameters(template: Any, data: Any, context: dict) -> Any:
    if isinstance(template, dict):
        return {
            (k[:-2] if k.endswith(".$") else k): (_path(data, v, context) if k.endswith(".$") else _parameters(v, data, context))
            for k, v in template.items()
        }
    if isinstance(template, list):
        return [_parameters(v, data, context) for v in template]
    return template


def _put(data: Any, path: str | None, value: Any) -> Any:
    if path is None or path == "$":
        return value
    data = json.loads(json.dumps(data))
    keys = re.findall(r"\.([A-Za-z0-9_]+)", path)
    here = data
    for key in keys[:-1]:
        here = here.setdefault(key, {})
    here[keys[-1]] = value
    return data


def _matches(errors: list[str], error: str) -> bool:
    return "States.ALL" in errors or error in errors or ("States.TaskFailed" in errors and not error.startswith("States."))


def run_tasks(definition: dict, data: Any) -> dict:
    """A small interpreter for the services cases (Task/Pass, Parameters, ResultPath, Catch)."""
    context = {"Execution": {"Input": data}}
    name = definition["StartAt"]
    while True:
        state = definition["States"][name]
        if state["Type"] == "Pass":
            data = _put(data, state.get("ResultPath", "$"), state.get("Result", data))
        else:
            try:
                result = call(state["Resource"], _parameters(state.get("Parameters", {}), data, context))
                data = _put(data, state.get("ResultPath", "$"), result)
            except ServiceError as err:
                catcher = next((c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], err.error)), None)
                if catcher is None:
                    return {"status": "FAILED", "error": err.error, "cause": str(err)}
                data = _put(data, catcher.get("ResultPath", "$"), {"Error": err.error, "Cause": str(err)})
                name = catcher["Next"]
                continue
        if state.get("End"):
            return {"status": "SUCCEEDED", "output": data}
        name = state["Next"]


_TOKENS = {"date", "RequestId", "x-amzn-RequestId", "x-amzn-requestid", "x-amz-crc32", "Server", "table-name",
           "<test-table>", "someNonexistentBucketName"}  # fmt: skip


def differences(expected: Any, actual: Any, where: str = "$", skip: frozenset = frozenset()) -> list[str]:
    """How ``actual`` differs from a recorded value; placeholders match anything, header maps
    (named by the server, which moto is not) only need to be there."""
    if where in skip or (isinstance(expected, str) and (expected in _TOKENS or re.fullmatch(r"<[^<>]+>", expected))):
        return []
    if where.endswith("SdkHttpMetadata"):
        ok = isinstance(actual, dict) and actual.get("HttpStatusCode") == expected["HttpStatusCode"]
        ok = ok and set(actual) == set(expected)
        return [] if ok else [f"{where}: {actual!r:.200}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected.keys() | actual.keys():
            here = f"{where}.{key}"
            if here in skip:
                continue
            if key not in actual or key not in expected:
                out.append(f"{here}: expected {expected.get(key, '<absent>')!r:.100}, got {actual.get(key, '<absent>')!r:.100}")
            else:
                out += differences(expected[key], actual[key], here, skip)
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]", skip)]
    if isinstance(expected, str) and isinstance(actual, str) and _cause_matches(expected, actual):
        return []
    return [] if expected == actual and type(expected) is type(actual) else [f"{where}: expected {expected!r:.200}, got {actual!r:.200}"]


def create_resources(recorded: dict, skip: tuple = ()) -> None:
    import ast

    import boto3

    for other in recorded.get("resources", {}).get("other", []):
        kind, name = other["kind"], other["name"]
        if name in skip:
            continue
        if kind == "sqs":
            boto3.client("sqs").create_queue(QueueName=name)
        elif kind == "sns":
            attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
            boto3.client("sns").create_topic(Name=name, Attributes=attributes)
        elif kind == "dynamodb":
            boto3.client("dynamodb").create_table(
                TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            )  # fmt: skip
        elif kind == "s3":
            boto3.client("s3").create_bucket(Bucket=name)
    for obj in recorded.get("resources", {}).get("s3_objects", []):
        body = obj["Body"]
        body = ast.literal_eval(body) if body.startswith(("b'", 'b"')) else body
        boto3.client("s3").put_object(Bucket=obj["Bucket"], Key=obj["Key"], Body=body)


# Where moto answers differently from AWS (the values are moto's, not ours to fix).
MOTO_GAPS = {
    "s3_get": frozenset({"$.output.ServerSideEncryption", "$.output.ChecksumCRC32"}),  # no SSE; moto echoes the checksum
    "s3_put": frozenset({"$.output.ServerSideEncryption", "$.output.ChecksumType"}),
    "ddb_update": frozenset({"$.output.updateItemOutput.ConsumedCapacity"}),  # moto reports capacity unasked
    # moto sends no x-amz-id-2 (Extended Request ID); test_s3_error_names_the_extended_request_id covers it
    "s3_error": frozenset({"$.output.TaskFailedError.Cause"}),
    "sns_fifo": frozenset({"$.output.SequenceNumber"}),  # moto's FIFO Publish returns no SequenceNumber
}

RECORDED = [
    ("services.test_sqs_task_service.test_send_message.", ()),
    ("services.test_sqs_task_service.test_send_message_attributes", ()),
    ("services.test_sqs_task_service.test_send_message_unsupported_parameters", ()),
    ("local_mocking.test_base_scenarios.test_sqs_send_message", ()),
    ("services.test_sns_task_service.test_publish_base.", ()),
    ("services.test_sns_task_service.test_publish_base_1", ()),
    ("services.test_sns_task_service.test_publish_base_HelloWorld", ()),
    ("services.test_sns_task_service.test_publish_base_None", ()),
    ("services.test_sns_task_service.test_publish_base_True", ()),
    ("services.test_sns_task_service.test_publish_message_attributes_HelloWorld", ()),
    ("services.test_sns_task_service.test_fifo_message_attribute_input_params1-False", MOTO_GAPS["sns_fifo"]),
    ("local_mocking.test_base_scenarios.test_sns_publish_base", ()),
    ("services.test_dynamodb_task_service.test_base_integrations_DYNAMODB_PUT_GET_ITEM", ()),
    ("services.test_dynamodb_task_service.test_base_integrations_DYNAMODB_PUT_QUERY", ()),
    ("services.test_dynamodb_task_service.test_base_integrations_DYNAMODB_PUT_UPDATE_GET_ITEM", MOTO_GAPS["ddb_update"]),
    ("services.test_aws_sdk_task_service.test_dynamodb_put_delete_item", ()),
    ("services.test_aws_sdk_task_service.test_dynamodb_put_get_item", ()),
    ("services.test_aws_sdk_task_service.test_dynamodb_put_update_get_item", MOTO_GAPS["ddb_update"]),
    ("services.test_aws_sdk_task_service.test_list_secrets", ()),
    ("services.test_aws_sdk_task_service.test_s3_get_object_binary", MOTO_GAPS["s3_get"]),
    ("services.test_aws_sdk_task_service.test_s3_get_object_empty_binary", MOTO_GAPS["s3_get"]),
    ("services.test_aws_sdk_task_service.test_s3_get_object_empty_str", MOTO_GAPS["s3_get"]),
    ("services.test_aws_sdk_task_service.test_s3_put_object_list", MOTO_GAPS["s3_put"]),
    ("services.test_aws_sdk_task_service.test_s3_put_object_num", MOTO_GAPS["s3_put"]),
    ("services.test_aws_sdk_task_service.test_s3_put_object_str", MOTO_GAPS["s3_put"]),
    ("error_handling.test_task_service_dynamodb.test_put_item_no_such_table", ()),
    ("error_handling.test_aws_sdk.test_dynamodb_put_item_no_such_table", ()),
    ("error_handling.test_aws_sdk.test_no_such_bucket", MOTO_GAPS["s3_error"]),
]


@pytest.mark.slow  # recorded service cases on moto
@pytest.mark.parametrize("prefix, skip", [pytest.param(p, s, id=p.rstrip(".")) for p, s in RECORDED])
def test_recorded_case_on_moto(aws, prefix, skip):
    recorded = case(prefix)
    create_resources(recorded)
    actual = run_tasks(recorded["definition"], recorded["input"])
    expected = dict(recorded["expected"])
    if actual["status"] == "FAILED" and "(SDK Attempt Count" not in expected.get("cause", "(SDK Attempt Count"):
        actual["cause"] = actual["cause"].replace(_SDK_ATTEMPTS, "")  # the 2023 recordings predate the suffix
    problems = differences(expected, actual, "$", frozenset(skip))
    assert not problems, "\n".join(problems)


def test_sns_missing_topic_is_not_found(aws):
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::sns:publish", {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:nope", "Message": "m"})
    assert err.value.error == "SNS.NotFoundException"
    assert re.fullmatch(r".* \(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: .*; Proxy: null\)", str(err.value))


def test_sqs_missing_queue(aws):
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::sqs:sendMessage", {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/nope", "MessageBody": "m"})
    assert err.value.error == "SQS.QueueDoesNotExistException"
    assert "Error Code: AWS.SimpleQueueService.NonExistentQueue" in str(err.value)


def test_sqs_json_encodes_a_non_string_body_and_rejects_unsupported_fields(aws):
    import boto3

    url = boto3.client("sqs").create_queue(QueueName="q-json")["QueueUrl"]
    call("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": {"a": [1, "x"]}})
    assert boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == '{"a":[1,"x"]}'
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": "m", "MessageSystemAttributes": {}})
    assert err.value.error == "States.Runtime"


def test_dynamodb_optimized_rows(aws):
    import boto3

    boto3.client("dynamodb").create_table(
        TableName="rows", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    item = {"id": {"S": "a"}, "flag": {"BOOL": True}, "n": {"N": "1"}}
    put = call("arn:aws:states:::dynamodb:putItem", {"TableName": "rows", "Item": item})
    assert set(put) == {"SdkHttpMetadata", "SdkResponseMetadata"}
    got = call("arn:aws:states:::dynamodb:getItem", {"TableName": "rows", "Key": {"id": {"S": "a"}}})
    assert got["Item"] == item  # optimized results keep the API's attribute-value names (BOOL)
    sdk = call("arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": "rows", "Key": {"id": {"S": "a"}}})
    assert sdk == {"Item": {"id": {"S": "a"}, "flag": {"Bool": True}, "n": {"N": "1"}}}  # Java SDK 2.x names
    deleted = call("arn:aws:states:::dynamodb:deleteItem", {"TableName": "rows", "Key": {"id": {"S": "a"}}, "ReturnValues": "ALL_OLD"})
    assert deleted["Attributes"] == item
    assert "Item" not in call("arn:aws:states:::dynamodb:getItem", {"TableName": "rows", "Key": {"id": {"S": "a"}}})


def test_events_put_events(aws):
    out = call("arn:aws:states:::events:putEvents", {"Entries": [{"Detail": {"a": 1}, "DetailType": "t", "Source": "s"}]})
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 1 and "EventId" in out["Entries"][0]
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200


def test_aws_sdk_s3_list_and_timestamps(aws):
    import boto3

    boto3.client("s3").create_bucket(Bucket="listing")
    boto3.client("s3").put_object(Bucket="listing", Key="a.txt", Body=b"x")
    out = call("arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": "listing"})
    assert [o["Key"] for o in out["Contents"]] == ["a.txt"] and out["KeyCount"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", out["Contents"][0]["LastModified"])
    assert "ResponseMetadata" not in out


def test_aws_sdk_services_named_as_step_functions_names_them(aws):
    import boto3

    boto3.client("ssm").put_parameter(Name="cfg", Value='{"a":1}', Type="String")
    assert call("arn:aws:states:::aws-sdk:ssm:getParameter", {"Name": "cfg"})["Parameter"]["Value"] == '{"a":1}'
    assert call("arn:aws:states:::aws-sdk:eventbridge:listRules", {}) == {"Rules": []}
    assert call("arn:aws:states:::aws-sdk:rds:describeDBInstances", {}) == {"DbInstances": []}
    assert "LogGroups" in call("arn:aws:states:::aws-sdk:cloudwatchlogs:describeLogGroups", {})


# --------------------------------------------------------------------------- .sync


def _child_machines():
    import boto3

    client = boto3.client("stepfunctions")
    ok = client.create_state_machine(name="child-ok", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "End": True}}}))["stateMachineArn"]  # fmt: skip
    bad = client.create_state_machine(name="child-bad", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}))["stateMachineArn"]  # fmt: skip
    return ok, bad


def _run_sync(resource: str, params: dict, polls: int = 200) -> Any:
    import time

    handle = start(resource, params)
    json.dumps(handle)  # a handle is checkpointed by the durable SDK: it must be JSON
    for _ in range(polls):  # moto runs child executions on threads of its own: give them time
        done, output = poll(resource, handle)
        if done:
            return output
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_start_execution_request_response(aws):
    ok, _ = _child_machines()
    out = call("arn:aws:states:::states:startExecution", {"StateMachineArn": ok, "Name": "rr", "Input": {"a": 1}})
    assert out["ExecutionArn"].endswith(":rr") and isinstance(out["StartDate"], int)
    assert {"SdkHttpMetadata", "SdkResponseMetadata"} <= set(out)


@pytest.mark.parametrize("suffix", [".sync", ".sync:2"])
def test_start_execution_sync(aws, suffix):
    ok, _ = _child_machines()
    out = _run_sync("arn:aws:states:::states:startExecution" + suffix, {"StateMachineArn": ok, "Name": "s" + suffix[-1], "Input": {"a": 1}})
    assert out["Status"] == "SUCCEEDED" and "SdkHttpMetadata" not in out
    if suffix == ".sync":  # .sync: Output as the child wrote it (a string); .sync:2: parsed JSON
        assert isinstance(out["Output"], str) and json.loads(out["Output"]) == {"x": 1}
    else:
        assert out["Output"] == {"x": 1} and out["Input"] == {"a": 1}


def test_start_execution_sync_failure(aws):
    _, bad = _child_machines()
    with pytest.raises(ServiceError) as err:
        _run_sync("arn:aws:states:::states:startExecution.sync", {"StateMachineArn": bad, "Name": "f"})
    assert err.value.error == "States.TaskFailed"
    cause = json.loads(str(err.value))
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "E", "C")


def test_start_execution_missing_machine(aws):
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::states:startExecution", {"StateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nope"})
    assert err.value.error == "StepFunctions.StateMachineDoesNotExistException"
    assert "(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;" in str(err.value)


def test_glue_start_job_run_sync(aws):
    import boto3

    boto3.client("glue").create_job(Name="job", Role=ROLE, Command={"Name": "glueetl"})
    rr = call("arn:aws:states:::glue:startJobRun", {"JobName": "job"})
    assert rr["JobRunId"] and "SdkHttpMetadata" in rr
    out = _run_sync("arn:aws:states:::glue:startJobRun.sync", {"JobName": "job", "Arguments": {"--x": "1"}})
    assert out["JobRunState"] == "SUCCEEDED" and out["JobName"] == "job" and out["Arguments"] == {"--x": "1"}


def _emulator_must_answer(service: str, calls) -> None:
    """Fail, naming the emulator and botocore, when moto cannot answer what a test relies on.

    ``calls`` makes the plain boto3 calls the test needs; an error there is a gap of the
    installed moto/botocore pair (botocore 1.44 sends Athena requests as rest-json, which moto
    5.2.6 answers "Not yet implemented"), not of asl2durable. The pinned set is constraints.txt.
    """
    import boto3
    import botocore
    import moto

    try:
        calls(boto3.client(service))
    except botocore.exceptions.ClientError as err:
        pytest.fail(
            f"the emulator does not answer {service} as this test needs (moto {moto.__version__}, "
            f"botocore {botocore.__version__}): {err}; install the pinned versions: "
            "pip install -c constraints.txt '.[test]'"
        )


def _athena_round_trip(athena) -> None:
    started = athena.start_query_execution(QueryString="select 1", WorkGroup="primary")
    execution = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    athena.get_query_results(QueryExecutionId=started["QueryExecutionId"])


def test_athena_start_query_execution_sync(aws):
    # needs: StartQueryExecution, GetQueryExecution (SUCCEEDED at once) and GetQueryResults
    _emulator_must_answer("athena", _athena_round_trip)
    out = _run_sync("arn:aws:states:::athena:startQueryExecution.sync", {"QueryString": "select 1", "WorkGroup": "primary"})
    assert out["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    results = call("arn:aws:states:::athena:getQueryResults", {"QueryExecutionId": out["QueryExecution"]["QueryExecutionId"]})
    assert "ResultSet" in results


def test_batch_submit_job_sync(aws):
    import boto3

    ec2, batch = boto3.client("ec2"), boto3.client("batch")
    role = boto3.client("iam").create_role(RoleName="batch-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    env = batch.create_compute_environment(
        computeEnvironmentName="cenv", type="MANAGED", state="ENABLED", serviceRole=role,
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": [subnet], "securityGroupIds": [group]},
    )["computeEnvironmentArn"]  # fmt: skip
    queue = batch.create_job_queue(jobQueueName="queue", state="ENABLED", priority=1,
                                   computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]  # fmt: skip
    definition = batch.register_job_definition(jobDefinitionName="jobdef", type="container", containerProperties={
        "image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]})["jobDefinitionArn"]  # fmt: skip
    out = _run_sync("arn:aws:states:::batch:submitJob.sync", {"JobName": "job-1", "JobQueue": queue, "JobDefinition": definition})
    assert out["Status"] == "SUCCEEDED" and out["JobName"] == "job-1"
    assert {"Name": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"} in out["Container"]["Environment"]


def test_codebuild_start_build_sync(aws):
    import boto3

    boto3.client("codebuild").create_project(
        name="proj", source={"type": "S3", "location": "bucket/key.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"}, serviceRole=ROLE,
    )  # fmt: skip
    out = _run_sync("arn:aws:states:::codebuild:startBuild.sync", {"ProjectName": "proj"})
    assert out["Build"]["BuildStatus"] == "SUCCEEDED"


def test_sagemaker_training_job_sync(aws):
    params = {
        "TrainingJobName": "train", "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"}, "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30},
    }  # fmt: skip
    out = _run_sync("arn:aws:states:::sagemaker:createTrainingJob.sync", params)
    assert out["TrainingJobStatus"] == "Completed" and out["ModelArtifacts"]["S3ModelArtifacts"]
    model = call("arn:aws:states:::sagemaker:createModel", {"ModelName": "m", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "img"}})
    assert model["ModelArn"].endswith("model/m")


def test_emr_cluster_step_and_termination(aws):
    cluster = {"Name": "c", "ReleaseLabel": "emr-5.26.0", "JobFlowRole": "r", "ServiceRole": "r",
               "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m5.xlarge"}}  # fmt: skip
    created = _run_sync("arn:aws:states:::elasticmapreduce:createCluster.sync", cluster)
    assert created["ClusterId"].startswith("j-")
    step = call("arn:aws:states:::elasticmapreduce:addStep", {"ClusterId": created["ClusterId"], "Step": {
        "Name": "s", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["x"]}}})  # fmt: skip
    assert step["StepId"].startswith("s-")
    assert call("arn:aws:states:::elasticmapreduce:terminateCluster", {"ClusterId": created["ClusterId"]}) == {}


def test_ecs_run_task_sync(aws):
    import boto3
    from moto.ec2 import utils as ec2_utils

    ec2, ecs = boto3.resource("ec2"), boto3.client("ecs")
    ecs.create_cluster(clusterName="cluster")
    instance = ec2.create_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)[0]
    document = json.dumps(ec2_utils.generate_instance_identity_document(instance))
    ecs.register_container_instance(cluster="cluster", instanceIdentityDocument=document)
    ecs.register_task_definition(family="td", containerDefinitions=[{"name": "c", "image": "i", "memory": 128}])
    resource = "arn:aws:states:::ecs:runTask.sync"
    handle = start(resource, {"Cluster": "cluster", "TaskDefinition": "td", "LaunchType": "EC2"})
    assert poll(resource, handle) == (False, None)  # running
    ecs.stop_task(cluster="cluster", task=handle["TaskArn"])
    done, task = poll(resource, handle)
    assert done and task["LastStatus"] == "STOPPED" and task["TaskArn"] == handle["TaskArn"]


def test_sync_on_an_integration_without_poller(aws):
    with pytest.raises(ServiceError) as err:
        start("arn:aws:states:::sqs:sendMessage.sync", {"QueueUrl": "x", "MessageBody": "m"})
    assert err.value.error == "States.Runtime"


# --------------------------------------------------------------------------- apigateway:invoke, http:invoke


class _Server:
    """A local HTTP server that records requests and answers JSON (status from the path /status/<n>)."""

    def __init__(self):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen.append({"method": self.command, "path": self.path,
                             "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": self.rfile.read(length).decode() if length else None})  # fmt: skip
                status = int(self.path.split("/status/")[1].split("?")[0]) if "/status/" in self.path else 200
                body = json.dumps({"ok": status < 400, "path": self.path}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *_args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def test_apigateway_invoke(server, aws_env):
    out = call("arn:aws:states:::apigateway:invoke", {
        "ApiEndpoint": server.url, "Method": "POST", "Stage": "prod", "Path": "orders",
        "QueryParameters": {"q": ["1", "2"]}, "Headers": {"X-Custom": ["v"]}, "RequestBody": {"a": 1}, "AuthType": "NO_AUTH",
    })  # fmt: skip
    assert out["StatusCode"] == 200 and out["StatusText"] == "OK"
    assert out["ResponseBody"] == {"ok": True, "path": "/prod/orders?q=1&q=2"}
    assert out["Headers"]["Content-Type"] == ["application/json"]
    request = server.seen[-1]
    assert request["body"] == '{"a":1}' and request["headers"]["x-custom"] == "v"


def test_apigateway_invoke_signs_with_iam_and_fails_on_error_status(server, aws_env):
    call("arn:aws:states:::apigateway:invoke", {"ApiEndpoint": server.url, "Method": "GET", "AuthType": "IAM_ROLE"})
    assert server.seen[-1]["headers"]["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::apigateway:invoke", {"ApiEndpoint": server.url, "Method": "GET", "Path": "status/403"})
    assert err.value.error == "ApiGateway.403"


def test_http_invoke_with_an_api_key_connection(server, aws):
    import boto3

    connection = boto3.client("events").create_connection(
        Name="conn", AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"}},
    )["ConnectionArn"]  # fmt: skip
    out = call("arn:aws:states:::http:invoke", {"ApiEndpoint": server.url + "/hello", "Method": "POST",
                                                "InvocationConfig": {"ConnectionArn": connection},
                                                "RequestBody": {"a": 1}, "QueryParameters": {"q": "1"}})  # fmt: skip
    assert out["StatusCode"] == 200 and out["ResponseBody"]["path"] == "/hello?q=1"
    assert server.seen[-1]["headers"]["x-api-key"] == "secret"
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::http:invoke", {"ApiEndpoint": server.url + "/status/500", "Method": "GET",
                                              "InvocationConfig": {"ConnectionArn": connection}})  # fmt: skip
    assert err.value.error == "States.Http.StatusCode.500"


# --------------------------------------------------------------------------- classify over the corpus


def _task_resources(node: Any, out: set) -> set:
    if isinstance(node, dict):
        if node.get("Type") == "Task" and isinstance(node.get("Resource"), str):
            out.add(node["Resource"])
        for value in node.values():
            _task_resources(value, out)
    elif isinstance(node, list):
        for value in node:
            _task_resources(value, out)
    return out


CORPUS_RESOURCES = sorted(set().union(*(_task_resources(json.loads(p.read_text()), set()) for p in CORPUS))) if CORPUS else []

# The corpus resources asl2durable cannot run, and why (docs/integrations.md lists them too).
CORPUS_UNSUPPORTED = {"arn:aws:states:::bedrockagentcore:invokeHarness"}


def test_corpus_is_present():
    assert len(CORPUS_RESOURCES) > 100


@pytest.mark.parametrize("resource", CORPUS_RESOURCES)
def test_classify_corpus_resource(resource):
    integration = classify(resource)
    assert integration.kind in ("lambda", "optimized", "aws-sdk", "activity", "unsupported")
    assert not integration.base.endswith((".sync", ".sync:2", ".waitForTaskToken"))
    if integration.kind == "unsupported":
        assert integration.reason
        placeholder = re.fullmatch(r"\$\{[^}]*\}", resource)
        assert placeholder or resource in CORPUS_UNSUPPORTED, (resource, integration.reason)
    else:
        assert integration.reason is None
        assert resource not in CORPUS_UNSUPPORTED
    if ":aws-sdk:" in resource or (":states:::" in resource and resource not in CORPUS_UNSUPPORTED):
        assert integration.kind in ("aws-sdk", "optimized", "lambda"), integration


@pytest.mark.parametrize(
    "resource, kind, pattern, reason",
    [
        ("arn:aws:states:::lambda:invoke", "lambda", "request-response", None),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", "lambda", "callback", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", "lambda", "request-response", None),
        ("arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f", "lambda", "request-response", None),
        ("arn:aws:states:us-east-1:123456789012:activity:a", "activity", "callback", None),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "optimized", "callback", None),
        ("arn:aws:states:::states:startExecution.sync:2", "optimized", "sync:2", None),
        ("arn:aws:states:::ecs:runTask.sync", "optimized", "sync", None),
        ("arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken", "aws-sdk", "callback", None),
        ("arn:aws:states:::aws-sdk:s3:getObject.sync", "unsupported", "sync", "aws-sdk"),
        ("arn:aws:states:::dynamodb:getItem.sync", "unsupported", "sync", "no '.sync'"),
        ("arn:aws:states:::aws-sdk:s3:noSuchAction", "unsupported", "request-response", "not an API"),
        ("arn:aws:states:::aws-sdk:nosuchservice:get", "unsupported", "request-response", "botocore knows no"),
        ("arn:aws:states:::nosuch:thing", "unsupported", "request-response", "not implemented"),
        ("${MyFunctionArn}", "unsupported", "request-response", "placeholder"),
    ],
)  # fmt: skip
def test_classify_table(resource, kind, pattern, reason):
    integration = classify(resource)
    assert (integration.kind, integration.pattern) == (kind, pattern)
    assert (integration.reason is None) if reason is None else (reason in integration.reason)


@pytest.mark.parametrize(
    "resource, params, unsupported",
    [
        ("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "q", "MessageBody.$": "$", "MessageSystemAttributes": {}},
         ["MessageSystemAttributes"]),
        ("arn:aws:states:::dynamodb:getItem", {"TableName": "t", "Key": {}, "Limit": 1}, ["Limit"]),
        ("arn:aws:states:::aws-sdk:rds:describeDBInstances", {"DbInstanceIdentifier.$": "$.id"}, []),
        ("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "b", "Key": "k", "Nope": 1}, ["Nope"]),
        ("arn:aws:states:::batch:submitJob.sync", {"JobName": "j", "JobQueue": "q", "JobDefinition": "d"}, []),
        ("arn:aws:states:::lambda:invoke", {"FunctionName": "f", "Anything": 1}, []),
    ],
)  # fmt: skip
def test_unsupported_parameters(resource, params, unsupported):
    assert unsupported_parameters(resource, params) == unsupported


def test_supported_optimized_lists_the_brief():
    table = {(s, a): p for s, a, p in integrations.supported_optimized()}
    for key in [("sns", "publish"), ("sqs", "sendMessage"), ("dynamodb", "getItem"), ("dynamodb", "putItem"),
                ("dynamodb", "updateItem"), ("dynamodb", "deleteItem"), ("events", "putEvents")]:  # fmt: skip
        assert "request-response" in table[key]
    for key in [("batch", "submitJob"), ("ecs", "runTask"), ("glue", "startJobRun"), ("athena", "startQueryExecution"),
                ("codebuild", "startBuild"), ("states", "startExecution")]:  # fmt: skip
        assert "sync" in table[key]
    assert "sync:2" in table[("states", "startExecution")]


def test_support_module_is_self_contained():
    import ast

    tree = ast.parse(Path(svc.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    import sys

    # asl_aws (the shared AWS clients) is copied next to every handler
    assert imported <= set(sys.stdlib_module_names) | {"boto3", "botocore", "__future__", "asl_aws"}, imported
    assert os.path.basename(svc.__file__) == "asl_services.py"


def test_callback_submitters_strip_the_suffix(aws):
    import boto3

    url = boto3.client("sqs").create_queue(QueueName="callbacks")["QueueUrl"]
    out = call("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"QueueUrl": url, "MessageBody": {"TaskToken": "t"}})
    assert out["MessageId"]
    boto3.client("dynamodb").create_table(
        TableName="tokens", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    assert call("arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken",
                {"TableName": "tokens", "Item": {"id": {"S": "t"}}}) == {}  # fmt: skip


def test_put_events_failed_entry(aws_env, monkeypatch):
    body = json.dumps({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "m"}]}).encode()
    _answer(monkeypatch, 200, {"x-amzn-RequestId": "r", "Content-Type": "application/x-amz-json-1.1"}, body)
    with pytest.raises(ServiceError) as err:
        call("arn:aws:states:::events:putEvents", {"Entries": [{"Detail": "{}", "DetailType": "t", "Source": "s"}]})
    assert err.value.error == "EventBridge.FailedEntry"
    assert json.loads(str(err.value)) == {"Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "m"}], "FailedEntryCount": 1}


def test_service_error_carries_name_and_cause():
    err = ServiceError("SQS.AmazonSQSException", "the cause")
    assert (err.error, err.cause, str(err)) == ("SQS.AmazonSQSException", "the cause", "the cause")
