"""Tests for asl2durable.run.aws_local (moto emulation with seeded resources) and tests/conformance_aws.py.

Resources are checked with plain boto3 calls against moto; conformance cases' recorded resources
must become seeds that moto_aws accepts, with the names, URLs and ARNs the cases use.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading

import pytest

from asl2durable.run import aws_local
from asl2durable.run.aws_local import SEED_SCHEMA, load_seed, moto_aws, validate_seed
from conformance import load_cases
from conformance_aws import DELETED_BEFORE_RUN, case_seed


TABLE = {
    "key_schema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "attributes": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    "items": [{"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "one"}}, {"pk": {"S": "a"}, "sk": {"N": "2"}}],
}

SEED = {
    "buckets": {
        "seed-bucket": {
            "notes.txt": "hello",
            "data.json": {"json": {"a": [1, 2]}},
            "blob.bin": {"base64": base64.b64encode(b"\x00\x01\xff").decode()},
            "page.html": {"text": "<p/>", "content_type": "text/html"},
        },
        "empty-bucket": {},
    },
    "tables": {"things": TABLE},
    "queues": ["jobs", "jobs.fifo"],
    "topics": ["alerts", "alerts.fifo"],
    "secrets": {"plain": "hunter2", "structured": {"json": {"user": "u"}}},
    "activities": ["approve"],
}

ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "MOTO_ACCOUNT_ID",
)


def client(service: str):
    import boto3

    return boto3.client(service)


# --------------------------------------------------------------------------------------
# seeding


def test_seed_creates_buckets_and_objects():
    with moto_aws(SEED) as created:
        assert sorted(created["buckets"]) == ["empty-bucket", "seed-bucket"]
        s3 = client("s3")
        assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"seed-bucket", "empty-bucket"}
        assert s3.get_object(Bucket="seed-bucket", Key="notes.txt")["Body"].read() == b"hello"
        assert json.loads(s3.get_object(Bucket="seed-bucket", Key="data.json")["Body"].read()) == {"a": [1, 2]}
        assert s3.get_object(Bucket="seed-bucket", Key="blob.bin")["Body"].read() == b"\x00\x01\xff"
        page = s3.get_object(Bucket="seed-bucket", Key="page.html")
        assert page["ContentType"] == "text/html" and page["Body"].read() == b"<p/>"
        assert s3.list_objects_v2(Bucket="empty-bucket")["KeyCount"] == 0
        # like a new bucket on AWS: SSE-S3 by default, reported on reads and writes
        assert s3.get_object(Bucket="seed-bucket", Key="notes.txt")["ServerSideEncryption"] == "AES256"
        assert s3.put_object(Bucket="empty-bucket", Key="new", Body=b"x")["ServerSideEncryption"] == "AES256"


def test_seed_creates_tables_with_items():
    with moto_aws(SEED) as created:
        assert created["tables"] == ["things"]
        dynamodb = client("dynamodb")
        table = dynamodb.describe_table(TableName="things")["Table"]
        assert table["KeySchema"] == TABLE["key_schema"]
        assert table["TableArn"] == "arn:aws:dynamodb:us-east-1:111111111111:table/things"
        item = dynamodb.get_item(TableName="things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
        assert item == TABLE["items"][0]
        assert dynamodb.scan(TableName="things")["Count"] == 2


def test_seed_creates_queues_at_the_urls_definitions_use():
    with moto_aws(SEED) as created:
        url = "https://sqs.us-east-1.amazonaws.com/111111111111/jobs"
        assert created["queues"] == {"jobs": url, "jobs.fifo": url + ".fifo"}
        sqs = client("sqs")
        sqs.send_message(QueueUrl=url, MessageBody="work")
        messages = sqs.receive_message(QueueUrl=url)["Messages"]
        assert [m["Body"] for m in messages] == ["work"]
        attributes = sqs.get_queue_attributes(QueueUrl=url + ".fifo", AttributeNames=["All"])["Attributes"]
        assert attributes["FifoQueue"] == "true"
        assert attributes["QueueArn"] == "arn:aws:sqs:us-east-1:111111111111:jobs.fifo"


def test_seed_creates_topics_secrets_and_activities():
    with moto_aws(SEED) as created:
        assert created["topics"] == {
            "alerts": "arn:aws:sns:us-east-1:111111111111:alerts",
            "alerts.fifo": "arn:aws:sns:us-east-1:111111111111:alerts.fifo",
        }
        sns = client("sns")
        assert sns.publish(TopicArn=created["topics"]["alerts"], Message="m")["MessageId"]
        fifo = sns.get_topic_attributes(TopicArn=created["topics"]["alerts.fifo"])["Attributes"]
        assert fifo["FifoTopic"] == "true"

        secrets = client("secretsmanager")
        assert secrets.get_secret_value(SecretId="plain")["SecretString"] == "hunter2"
        assert json.loads(secrets.get_secret_value(SecretId="structured")["SecretString"]) == {"user": "u"}
        assert created["secrets"]["plain"].startswith("arn:aws:secretsmanager:us-east-1:111111111111:secret:plain-")

        arn = "arn:aws:states:us-east-1:111111111111:activity:approve"
        assert created["activities"] == {"approve": arn}
        assert client("stepfunctions").describe_activity(activityArn=arn)["name"] == "approve"


def test_account_id_and_region_are_used():
    with moto_aws({"buckets": {"eu-bucket": {}}, "queues": ["q"]}, region="eu-west-1", account_id="222222222222") as c:
        assert (c["region"], c["account_id"]) == ("eu-west-1", "222222222222")
        assert c["queues"]["q"] == "https://sqs.eu-west-1.amazonaws.com/222222222222/q"
        assert client("sts").get_caller_identity()["Account"] == "222222222222"
        assert client("s3").get_bucket_location(Bucket="eu-bucket")["LocationConstraint"] == "eu-west-1"


def test_no_seed_starts_an_empty_emulation():
    with moto_aws() as created:
        assert created["buckets"] == [] and created["queues"] == {}
        assert client("sqs").list_queues().get("QueueUrls", []) == []
        assert client("sts").get_caller_identity()["Account"] == "111111111111"


def test_state_is_discarded_on_exit():
    with moto_aws({"queues": ["once"]}):
        pass
    with moto_aws():
        assert client("sqs").list_queues().get("QueueUrls", []) == []


def test_an_emulation_started_in_another_thread_waits_for_the_first_to_end():
    """moto's emulation and the environment are the process's: a second moto_aws (another thread's
    seeded verify or run) starts when the first has ended, each seeing only its own resources and
    account. Without the wait, the first saw the second's account and queue."""
    first_in, second_trying, second_in, first_read = (threading.Event() for _ in range(4))
    seen = {}

    def first():
        with moto_aws({"queues": ["first"]}, account_id="222222222222"):
            first_in.set()
            second_trying.wait(10)
            second_in.wait(0.5)  # (it cannot get in while this one runs)
            seen["first"] = (client("sqs").list_queues().get("QueueUrls", []),
                             client("sts").get_caller_identity()["Account"])
            first_read.set()

    def second():
        first_in.wait(10)
        second_trying.set()
        with moto_aws({"queues": ["second"]}, account_id="333333333333"):
            second_in.set()
            first_read.wait(10)
            seen["second"] = (client("sqs").list_queues().get("QueueUrls", []),
                              client("sts").get_caller_identity()["Account"])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert seen == {
        "first": (["https://sqs.us-east-1.amazonaws.com/222222222222/first"], "222222222222"),
        "second": (["https://sqs.us-east-1.amazonaws.com/333333333333/second"], "333333333333"),
    }


# --------------------------------------------------------------------------------------
# environment


def test_environment_is_set_inside_and_restored_after(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "REAL-KEY")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://localhost:4566")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    for key in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(key, raising=False)
    before = {k: os.environ.get(k) for k in ENV_KEYS}

    with moto_aws({"buckets": {"b-env": {}}}):
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert os.environ["AWS_REGION"] == "us-east-1"
        assert os.environ["MOTO_ACCOUNT_ID"] == "111111111111"
        assert os.environ["AWS_ACCESS_KEY_ID"] != "REAL-KEY"
        assert "AWS_PROFILE" not in os.environ and "AWS_ENDPOINT_URL_S3" not in os.environ
        assert client("s3").head_bucket(Bucket="b-env")  # no profile lookup, no redirect

    assert {k: os.environ.get(k) for k in ENV_KEYS} == before


def test_environment_is_restored_after_an_exception(monkeypatch):
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    before = dict(os.environ)
    with pytest.raises(KeyError):
        with moto_aws({"queues": ["q"]}):
            raise KeyError("boom")
    assert dict(os.environ) == before


def test_environment_is_restored_when_seeding_fails(monkeypatch):
    before = dict(os.environ)
    # valid by the schema, rejected by moto: an item without the table's key
    table = {**TABLE, "items": [{"other": {"S": "x"}}]}
    with pytest.raises(Exception, match="key"):
        with moto_aws({"tables": {"t": table}}):
            pytest.fail("the body must not run")
    assert dict(os.environ) == before


def test_invalid_seed_fails_before_anything_starts():
    before = dict(os.environ)
    with pytest.raises(ValueError, match="seed"):
        with moto_aws({"queues": "not-a-list"}):
            pytest.fail("the body must not run")
    assert dict(os.environ) == before


def test_bad_account_id_is_rejected():
    with pytest.raises(ValueError, match="12 digits"):
        with moto_aws(account_id="123"):
            pass


# --------------------------------------------------------------------------------------
# moto missing


def test_missing_moto_is_a_clear_runtime_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)  # makes `from moto import ...` raise ImportError
    with pytest.raises(RuntimeError, match=r"asl2durable\[aws-local\]") as info:
        with moto_aws({"queues": ["q"]}):
            pass
    assert "moto" in str(info.value)


def test_module_imports_without_moto():
    code = (
        "import sys; sys.modules['moto'] = None; sys.modules['boto3'] = None\n"
        "import asl2durable.run.aws_local as m\n"
        "assert m.load_seed('{\"queues\": [\"q\"]}') == {'queues': ['q']}\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --------------------------------------------------------------------------------------
# load_seed / validate_seed


def test_load_seed_inline_file_and_at_file(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED), encoding="utf-8")
    assert load_seed(json.dumps(SEED)) == SEED
    assert load_seed(str(path)) == SEED
    assert load_seed(f"@{path}") == SEED
    assert load_seed("  {}  ") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ("[]", "is not of type 'object'"),
        ('{"queue": ["q"]}', "Additional properties"),
        ('{"queues": [1]}', "seed.queues[0]"),
        ('{"buckets": {"b-1": {"k": 5}}}', "seed.buckets.b-1.k"),
        ('{"buckets": {"b-1": {"k": {"text": "a", "json": 1}}}}', "seed.buckets.b-1.k"),
        ('{"buckets": {"b-1": {"k": {"base64": "***"}}}}', "base64"),
        (
            '{"tables": {"t": {"key_schema": [{"AttributeName": "id", "KeyType": "HASH"}]}}}',
            "'attributes' is a required",
        ),
        (
            '{"tables": {"t": {"key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],'
            ' "attributes": [{"AttributeName": "other", "AttributeType": "S"}]}}}',
            "'id' is not listed in attributes",
        ),
        ('{"secrets": {"s": 3}}', "seed.secrets.s"),
    ],
)
def test_load_seed_rejects_bad_seeds_with_a_plain_message(text, message):
    with pytest.raises(ValueError) as info:
        load_seed(text)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value)


def test_load_seed_missing_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read seed file .*no such file"):
        load_seed(f"@{tmp_path / 'missing.json'}")
    with pytest.raises(ValueError, match="cannot read seed file"):
        load_seed(str(tmp_path / "missing.json"))


def test_seed_schema_is_a_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SEED_SCHEMA)
    assert validate_seed(SEED) is SEED
    assert set(SEED_SCHEMA["properties"]) == {"buckets", "tables", "queues", "topics", "secrets", "activities"}
    for member in SEED_SCHEMA["properties"]:  # every member is documented in the module docstring
        assert f'"{member}"' in aws_local.__doc__


# --------------------------------------------------------------------------------------
# local runs inside the emulation


def test_local_run_sees_seeded_resources_from_a_lambda_function():
    """The runner's worker threads talk to moto too (a Lambda function reading S3 with boto3)."""
    from asl2durable.run.local import run_local

    def read_object(event, context):
        body = client("s3").get_object(Bucket=event["Bucket"], Key=event["Key"])["Body"].read()
        return {"text": body.decode()}

    definition = {
        "StartAt": "Read",
        "States": {
            "Read": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:read", "End": True}
        },
    }
    with moto_aws({"buckets": {"data-bucket": {"in.txt": "seeded"}}}):
        result = run_local(definition, {"Bucket": "data-bucket", "Key": "in.txt"}, lambdas={"read": read_object})
    assert result.to_dict() == {"status": "SUCCEEDED", "output": {"text": "seeded"}}


# --------------------------------------------------------------------------------------
# conformance cases -> seeds

CASES_WITH_RESOURCES = [
    c
    for c in load_cases()
    if (c.data.get("resources") or {}).get("other") or (c.data.get("resources") or {}).get("s3_objects")
]


def _case(suffix: str):
    matches = [c for c in load_cases() if suffix in c.id]
    assert len(matches) == 1, suffix
    return matches[0].data


def test_there_are_cases_with_resources():
    assert len(CASES_WITH_RESOURCES) >= 40


@pytest.mark.slow  # every case's seed created in moto
@pytest.mark.parametrize("case", CASES_WITH_RESOURCES, ids=lambda c: c.id)
def test_case_seed_is_accepted_by_moto(case):
    seed = case_seed(case.data)
    validate_seed(seed)
    with moto_aws(seed) as created:
        # every queue URL, topic ARN and activity ARN the definition or input mentions exists under
        # that very name (but the ones the original test deleted before the run)
        text = json.dumps([case.data["definition"], case.data["input"]])
        deleted = DELETED_BEFORE_RUN.get(case.data["source"].split("[")[0], set())
        mentioned = {
            "queues": re.findall(r"https://sqs\.us-east-1\.amazonaws\.com/111111111111/([\w.-]+)", text),
            "topics": re.findall(r"arn:aws:sns:us-east-1:111111111111:([\w.-]+)", text),
            "activities": re.findall(r"arn:aws:states:us-east-1:111111111111:activity:([\w.-]+)", text),
        }
        for kind, names in mentioned.items():
            for name in set(names) - deleted:
                assert name in created[kind], (kind, name)
        for name, url in created["queues"].items():
            assert url == f"https://sqs.us-east-1.amazonaws.com/111111111111/{name}"
            assert client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        for name, arn in created["topics"].items():
            assert arn == f"arn:aws:sns:us-east-1:111111111111:{name}"
        for name in created["buckets"]:
            client("s3").head_bucket(Bucket=name)
            for key in seed["buckets"][name]:
                client("s3").head_object(Bucket=name, Key=key)
        for name in created["tables"]:
            assert client("dynamodb").describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def test_case_seed_of_a_case_without_resources_is_empty():
    plain = next(c for c in load_cases() if not c.data.get("resources"))
    assert case_seed(plain.data) == {}


def test_case_seed_turns_bytes_bodies_into_bytes():
    seed = case_seed(_case("test_s3_get_object_binary"))
    assert seed == {"buckets": {"bucket-u0001": {"file_key": {"base64": base64.b64encode(b"binary data").decode()}}}}
    assert case_seed(_case("test_s3_get_object_empty_binary"))["buckets"]["bucket-u0001"]["file_key"] == {"base64": ""}
    assert case_seed(_case("test_s3_get_object_empty_str"))["buckets"]["bucket-u0001"]["file_key"] == ""


def test_case_seed_infers_dynamodb_key_schema():
    expected = {
        "key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "attributes": [{"AttributeName": "id", "AttributeType": "S"}],
    }
    for suffix in ("test_dynamodb_put_get_item.", "DYNAMODB_PUT_QUERY"):
        assert case_seed(_case(suffix)) == {"tables": {"sfn_test_table_u0001": expected}}


def test_case_seed_key_inference_rules():
    def case(definition, input_, tables=("t1",)):
        return {
            "definition": definition,
            "input": input_,
            "resources": {"other": [{"kind": "dynamodb", "name": t} for t in tables]},
        }

    get = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem"}
    # literal Key with a range key, next to a literal TableName
    seed = case_seed(
        case(
            {"States": {"G": {**get, "Parameters": {"TableName": "t1", "Key": {"pk": {"S": "a"}, "n": {"N": "1"}}}}}},
            {},
        )
    )
    assert seed["tables"]["t1"]["key_schema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ]
    assert seed["tables"]["t1"]["attributes"][1] == {"AttributeName": "n", "AttributeType": "N"}
    # two tables: each Key goes with the TableName beside it (paths resolved against the input)
    two = case(
        {"States": {"G": {**get, "Parameters": {"TableName.$": "$.a.name", "Key.$": "$.a.key"}}}},
        {"a": {"name": "t2", "key": {"k2": {"B": "AA=="}}}},
        tables=("t1", "t2"),
    )
    seed = case_seed(two)
    assert seed["tables"]["t2"]["attributes"] == [{"AttributeName": "k2", "AttributeType": "B"}]
    assert seed["tables"]["t1"]["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}]  # default
    # KeyConditionExpression when there is no Key (a placeholder resolved by ExpressionAttributeNames)
    query = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:query"}
    seed = case_seed(case({"States": {"Q": {**query, "Parameters": {"KeyConditionExpression": "customer = :c"}}}}, {}))
    assert seed["tables"]["t1"]["key_schema"][0]["AttributeName"] == "customer"
    params = {"KeyConditionExpression": "#p = :c", "ExpressionAttributeNames": {"#p": "part"}}
    seed = case_seed(case({"States": {"Q": {**query, "Parameters": params}}}, {}))
    assert seed["tables"]["t1"]["key_schema"][0]["AttributeName"] == "part"
    # an S3 "Key" (a string) is not a DynamoDB key
    seed = case_seed(case({"States": {"G": {"Parameters": {"Bucket": "b", "Key": "file.json"}}}}, {}))
    assert seed["tables"]["t1"]["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_case_seed_leaves_out_resources_deleted_before_the_run():
    topic_case = _case("test_publish_base_error_topic_arn")
    assert topic_case["expected"]["error"] == "SNS.NotFoundException"
    assert case_seed(topic_case) == {}
    activity_case = _case("test_activity_task_on_deleted")
    assert "does not exist" in activity_case["expected"]["cause"]
    assert case_seed(activity_case) == {}
    sources = {c.data["source"].split("[")[0] for c in load_cases()}
    assert set(DELETED_BEFORE_RUN) <= sources


def test_case_seed_queue_and_topic_names():
    assert case_seed(_case("test_sns_publish_wait_for_task_token")) == {
        "topics": ["topic-u0001"],
        "queues": ["queue-u0002"],
    }
    assert case_seed(_case("test_fifo_message_attribute_input_params1-False")) == {"topics": ["topic-u0001.fifo"]}
    assert case_seed(_case("test_map_state_result_writer")) == {"buckets": {"result-bucket": {}}}


def test_case_seed_rejects_unknown_resource_kinds():
    with pytest.raises(ValueError, match="unknown resource kind 'kinesis'"):
        case_seed({"id": "x", "resources": {"other": [{"kind": "kinesis", "name": "s"}]}})


def test_case_seed_covers_every_kind_in_the_cases():
    kinds = {o["kind"] for c in load_cases() for o in (c.data.get("resources") or {}).get("other") or []}
    assert kinds <= {"s3", "sqs", "sns", "dynamodb", "activity", "secret", "secretsmanager"}
