"""template.yaml and MIGRATION.md: the SAM template and migration notes written next to each handler."""

import json
from pathlib import Path

import pytest
from lint import cfn_lint
import yaml

from asl2durable.render.deploy import DEFAULT_RETENTION_DAYS, MAX_EXECUTION_TIMEOUT
from asl2durable.translate import translate

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
DURABLE_POLICY = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"}
ROLE_ARN = {"Fn::GetAtt": ["DurableFunctionRole", "Arn"]}


def task(resource, **fields):
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def sub_function(name):
    return {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + name}


def golden(name):
    return json.loads((GOLDEN / f"{name}.asl.json").read_text(encoding="utf-8"))


DISTRIBUTED_MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "in-bucket", "Key": "items.json"},
            },
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "r"}},
            "End": True,
        }
    },
}

ORDER_FUNCTIONS = [
    f"arn:aws:lambda:us-east-1:111111111111:function:{name}" for name in ("charge-card", "ship-item", "validate-order")
]

# (id, definition, expected policy statements, ExecutionTimeout, environment variables)
ROWS = [
    (
        "order-processing: static function ARNs",
        golden("order-processing"),
        [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": ORDER_FUNCTIONS}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "lambda:invoke with a function name",
        golden("jsonata-and-variables"),
        [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [sub_function("pricing")]}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "dynamic FunctionName",
        task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName.$": "$.fn", "Payload.$": "$"}),
        [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": "*"}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "services and a TimeoutSeconds",
        {
            "StartAt": "Send",
            "TimeoutSeconds": 3600,
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody": "hi"},
                    "Next": "Get",
                },
                "Get": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket": "b", "Key": "k"},
                    "Next": "Put",
                },
                "Put": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName": "t", "Item": {"id": {"S": "1"}}},
                    "End": True,
                },
            },
        },
        [{"Effect": "Allow", "Action": ["dynamodb:PutItem", "s3:GetObject", "sqs:SendMessage"], "Resource": "*"}],
        3600,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "TimeoutSeconds above the maximum is capped",
        {**task("arn:aws:states:::sns:publish", Parameters={"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"}),
         "TimeoutSeconds": 99999999},
        [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "startExecution.sync polls the child execution",
        task("arn:aws:states:::states:startExecution.sync:2", Parameters={"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:c"}),
        [{"Effect": "Allow", "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets",
                                        "states:DescribeExecution", "states:StartExecution", "states:StopExecution"],
          "Resource": "*"}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "emr-serverless startJobRun.sync polls the job run",
        task("arn:aws:states:::emr-serverless:startJobRun.sync",
             Parameters={"ApplicationId": "a", "ExecutionRoleArn": "arn:aws:iam::1:role/r"}),
        [{"Effect": "Allow", "Action": ["emr-serverless:CancelJobRun", "emr-serverless:GetJobRun",
                                        "emr-serverless:StartJobRun"], "Resource": "*"}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "Distributed Map ItemReader and ResultWriter",
        DISTRIBUTED_MAP,
        [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"],  # its parts run in child executions of the function
          "Resource": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-DurableFunction-*"}},
         {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], "Resource": "*"}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
    (
        "an activity gets a queue",
        task("arn:aws:states:us-east-1:123456789012:activity:approve"),
        [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["ActivityQueue", "Arn"]}}],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN, "ASL_ACTIVITY_QUEUE_URL": {"Ref": "ActivityQueue"}},
    ),
    (
        "no calls: only the durable policy",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        [],
        MAX_EXECUTION_TIMEOUT,
        {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN},
    ),
]


def files_of(definition, name="machine"):
    translation = translate(definition, name=name)
    assert translation.ok, translation.diagnostics
    return translation


@pytest.mark.parametrize("definition, statements, timeout, env", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_template_policies_durable_config_and_environment(definition, statements, timeout, env):
    document = yaml.safe_load(files_of(definition).files["template.yaml"])
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert document["Transform"] == "AWS::Serverless-2016-10-31"
    (function_id,) = [k for k, v in document["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]
    props = document["Resources"][function_id]["Properties"]
    assert props["Handler"] == "handler.handler" and props["CodeUri"] == "." and props["Runtime"] == "python3.13"
    assert props["DurableConfig"] == {"ExecutionTimeout": timeout, "RetentionPeriodInDays": DEFAULT_RETENTION_DAYS}
    assert props["Environment"] == {"Variables": env}
    expected = [DURABLE_POLICY] + ([{"Version": "2012-10-17", "Statement": statements}] if statements else [])
    assert props["Policies"] == expected
    assert ("ActivityQueue" in document["Resources"]) == ("ASL_ACTIVITY_QUEUE_URL" in env)


def test_every_poller_has_its_iam_actions():
    """Each ``.sync`` poller of the support module is granted the APIs it calls, named with the
    service's IAM prefix, no table names a poller that does not exist, and each integration that
    is not one API call lists its actions."""
    from asl2durable.render import deploy
    from asl2durable.runtime import asl_services

    pollers = {spec.poller for spec in asl_services.OPTIMIZED.values() if spec.poller}
    assert pollers == set(asl_services._POLLERS) == set(asl_services.POLLER_ACTIONS)
    for (service, _action), spec in asl_services.OPTIMIZED.items():
        if spec.poller:
            assert all(action.startswith(service + ":") for action in asl_services.POLLER_ACTIONS[spec.poller]), spec.poller
    assert set(asl_services.CUSTOM) == set(deploy._CUSTOM_ACTIONS)  # calls that are not one API name theirs


def test_each_poller_is_granted_the_api_it_calls(monkeypatch):
    """The API each ``.sync`` poller calls to read its job (recorded by running it) is the one its
    policy grants first (deploy.py reads the actions from the same table, asl_services.POLLER_ACTIONS)."""
    from collections import defaultdict

    from asl2durable.runtime import asl_services

    iam_prefix = {"stepfunctions": "states", "emr": "elasticmapreduce"}  # boto3 name -> IAM prefix
    called: dict[str, str] = {}

    class Called(Exception):
        pass

    for poller, poll in asl_services._POLLERS.items():

        def describe(service, operation, *args, poller=poller, **kwargs):
            called[poller] = f"{iam_prefix.get(service, service)}:{operation}"
            raise Called

        monkeypatch.setattr(asl_services, "_describe", describe)
        with pytest.raises(Called):
            poll(asl_services.parse_resource("arn:aws:states:::batch:submitJob.sync"), defaultdict(lambda: "x"))
    assert called == {poller: actions[0] for poller, actions in asl_services.POLLER_ACTIONS.items()}


def test_output_is_deterministic():
    for _, definition, *_ in ROWS:
        first, second = files_of(definition).files, files_of(definition).files
        assert first["template.yaml"] == second["template.yaml"]
        assert first["MIGRATION.md"] == second["MIGRATION.md"]


def test_strings_from_the_definition_are_quoted():
    name = "evil'\n: [x] # {y} |"
    function = "fn: &a *b"  # not a plain function name: dynamic, so '*'
    definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": function, "Payload": {}})
    translation = files_of(definition, name=name)
    document = yaml.safe_load(translation.files["template.yaml"])
    assert document["Description"].startswith(name)
    props = document["Resources"]["DurableFunction"]["Properties"]
    assert props["Policies"][1]["Statement"][0]["Resource"] == "*"
    assert "evil" in translation.files["MIGRATION.md"].splitlines()[0]
    assert len(translation.files["MIGRATION.md"].splitlines()[0].split("\n")) == 1


def test_migration_lists_every_warning_with_code_and_pointer():
    definition = {
        "StartAt": "T",
        "TimeoutSeconds": 60,
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f",
                "Credentials": {"RoleArn": "arn:aws:iam::111111111111:role/r"},
                "HeartbeatSeconds": 10,
                "End": True,
            }
        },
    }
    translation = files_of(definition)
    warnings = [d for d in translation.diagnostics if d.severity.value == "WARNING"]
    assert {d.code for d in warnings} >= {"EXECUTION_TIMEOUT_NOT_IN_HANDLER", "UNSUPPORTED_FEATURE"}
    migration = translation.files["MIGRATION.md"]
    for d in warnings:
        row = f"| `{d.code}` | `{d.pointer}` |"
        assert row in migration
    assert "ExecutionTimeout`: 60 s" in migration
    document = yaml.safe_load(translation.files["template.yaml"])
    assert document["Resources"]["DurableFunction"]["Properties"]["Timeout"] == 60


def test_migration_callbacks_and_activities():
    callback = task(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters={"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody": {"token.$": "$$.Task.Token"}},
    )
    migration = files_of(callback).files["MIGRATION.md"]
    for api in ("SendDurableExecutionCallbackSuccess", "SendDurableExecutionCallbackFailure", "SendDurableExecutionCallbackHeartbeat"):
        assert api in migration
    assert "`T`" in migration and "uses no activity" in migration

    activity = files_of(task("arn:aws:states:us-east-1:123456789012:activity:approve")).files["MIGRATION.md"]
    assert "arn:aws:states:us-east-1:123456789012:activity:approve" in activity
    assert "ASL_ACTIVITY_QUEUE_URL" in activity and "GetActivityTask" in activity
    assert "no `.waitForTaskToken` task" in activity


def test_no_files_for_an_invalid_definition():
    assert translate({"StartAt": "X", "States": {}}, name="m").files == {}


CFN_DEFINITIONS = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(GOLDEN.glob("*.asl.json"))] + [
    (r[0], r[1]) for r in ROWS
]


@pytest.mark.slow  # cfn-lint over the goldens' templates
@pytest.mark.parametrize("definition", [d for _, d in CFN_DEFINITIONS], ids=[n for n, _ in CFN_DEFINITIONS])
def test_cfn_lint_passes(definition, tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(files_of(definition).files["template.yaml"], encoding="utf-8")
    cfn_lint(path)


def test_cfn_lint_still_checks_runtime_deprecation_on_the_pinned_day(tmp_path):
    """tests/lint.py runs cfn-lint on the day the test stack was pinned: a runtime deprecated
    long before that day still fails, whatever today's date is."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "F": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.7", "Handler": "h.handler", "Role": "arn:aws:iam::111111111111:role/r",
                    "Code": {"ZipFile": "def handler(e, c): return e"},
                },
            }
        },
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(template))
    with pytest.raises(AssertionError, match="deprecated"):
        cfn_lint(path)
