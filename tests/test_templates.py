"""CloudFormation/SAM templates and describe-state-machine output as inputs (issue 5, items 3 and 4).

Loading (YAML short-form tags, every way a template holds a definition, diagnostics for what
cannot be converted), placeholders as environment variables (names, generated code, a run that
reads the variable), and the templates written by ``convert`` (cfn-lint must accept them).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lint import cfn_lint
import yaml
from click.testing import CliRunner

from asl2durable import cli
from asl2durable.load.cfn import env_names
from asl2durable.diagnostics import Severity
from asl2durable.load.loader import discover, load
from asl2durable.run.local import run_local
from asl2durable.translate import translate

TEMPLATES = Path(__file__).parent / "fixtures" / "templates"
SAM_APP = TEMPLATES / "sam-app" / "template.yaml"
CFN_JSON = TEMPLATES / "cfn-strings.json"
S3_TEMPLATE = TEMPLATES / "s3-location.yaml"
DESCRIBE = TEMPLATES / "describe.json"
REFUND_ARN = "arn:aws:lambda:us-east-1:111111111111:function:refund"


def subs(loaded) -> dict:
    return {s.name: (s.value, s.env, s.function) for s in loaded.substitutions}


def machine(resource_type: str, **props) -> dict:
    return {"Resources": {"M": {"Type": resource_type, "Properties": props}}}


PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


# --------------------------------------------------------------------------------------
# YAML short-form tags


TAGS = [
    ("!Ref Thing", {"Ref": "Thing"}),
    ("!Condition IsProd", {"Condition": "IsProd"}),
    ("!Sub 'arn:${AWS::Partition}:x'", {"Fn::Sub": "arn:${AWS::Partition}:x"}),
    ("!Sub ['${A}-b', {A: !Ref B}]", {"Fn::Sub": ["${A}-b", {"A": {"Ref": "B"}}]}),
    ("!GetAtt Fn.Arn", {"Fn::GetAtt": ["Fn", "Arn"]}),
    ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
    ("!GetAtt [Fn, Arn]", {"Fn::GetAtt": ["Fn", "Arn"]}),
    ("!Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
    ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ("!Split [',', a]", {"Fn::Split": [",", "a"]}),
    ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
    ("!Equals [!Ref S, prod]", {"Fn::Equals": [{"Ref": "S"}, "prod"]}),
    ("!And [!Condition A, !Not [!Condition B]]", {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]}),
    ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
    ("!FindInMap [M, !Ref AWS::Region, k]", {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]}),
    ("!ImportValue shared-arn", {"Fn::ImportValue": "shared-arn"}),
    ("!Base64 text", {"Fn::Base64": "text"}),
    ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
]


@pytest.mark.parametrize("text, expected", TAGS, ids=[t for t, _ in TAGS])
def test_yaml_short_forms_load_as_long_forms(tmp_path, text, expected):
    path = tmp_path / "t.yaml"
    path.write_text(f"Resources:\n  X:\n    Type: AWS::SNS::Topic\n    Properties:\n      Value: {text}\n")
    loaded = load(path)  # a template without state machines: the tags still parse
    assert [d.code for d in loaded.diagnostics] == ["NO_STATE_MACHINE"]
    document = load(path, resource="X")
    assert document.template["Resources"]["X"]["Properties"]["Value"] == expected


# --------------------------------------------------------------------------------------
# loading


def test_discover_expands_templates_and_skips_their_definition_files():
    found = [(d.display.replace("\\", "/"), d.name, d.resource, d.group, d.skipped) for d in discover([TEMPLATES])]
    prefix = str(TEMPLATES).replace("\\", "/") + "/"
    assert [(s.removeprefix(prefix), *rest) for s, *rest in found] == [
        ("cfn-strings.json", "cfn-strings-JoinMachine", "JoinMachine", "cfn-strings", False),
        ("cfn-strings.json", "cfn-strings-SubMachine", "SubMachine", "cfn-strings", False),
        ("describe.json", "HelloWorld", None, None, False),
        ("s3-location.yaml", "s3-location-FromS3", "FromS3", "s3-location", False),
        ("sam-app/statemachine/orders.asl.json", "orders", None, None, True),
        ("sam-app/template.yaml", "template-OrderMachine", "OrderMachine", "template", False),
        ("sam-app/template.yaml", "template-RefundMachine", "RefundMachine", "template", False),
    ]


def test_definition_file_given_explicitly_is_converted_on_its_own():
    [item] = discover([TEMPLATES / "sam-app" / "statemachine" / "orders.asl.json"])
    assert (item.name, item.skipped, item.resource) == ("orders", False, None)


def test_template_without_state_machines_is_skipped_in_a_folder(tmp_path):
    (tmp_path / "network.yaml").write_text("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n")
    [item] = discover([tmp_path])
    assert item.skipped and "without state machines" in item.reason


def test_sam_definition_uri_with_substitutions():
    loaded = load(SAM_APP, resource="OrderMachine")
    assert loaded.name == "template-OrderMachine" and loaded.diagnostics == []
    assert loaded.definition["States"]["Charge"]["Resource"] == "${ChargeFunctionArn}"
    assert subs(loaded) == {
        "ChargeFunctionArn": ({"Fn::GetAtt": ["ChargeFunction", "Arn"]}, "ChargeFunctionArn", True),
        "OrdersTableName": ({"Ref": "OrdersTable"}, "OrdersTableName", False),
        "NotifyTopicArn": (
            {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:orders-${Stage}"},
            "NotifyTopicArn",
            False,
        ),
        "Greeting": ("hello", "Greeting", False),
    }


def test_inline_definition_intrinsics_become_placeholders():
    loaded = load(SAM_APP, resource="RefundMachine")
    assert loaded.definition["States"]["Refund"]["Resource"] == "${RefundFunctionArn}"
    assert loaded.definition["States"]["Done"]["Parameters"] == {
        "refund.$": "$",
        "region": "${AWS::Region}",
        "table": "${OrdersTable}",
    }
    assert subs(loaded) == {
        "RefundFunctionArn": ({"Fn::GetAtt": ["RefundFunction", "Arn"]}, "RefundFunctionArn", True),
        "AWS::Region": ({"Ref": "AWS::Region"}, "SFN_AWS_Region", False),
        "OrdersTable": ({"Ref": "OrdersTable"}, "OrdersTable", False),
    }


@pytest.mark.parametrize(
    "resource, work, placeholders",
    [
        ("SubMachine", "${WorkerArn}", {"WorkerArn", "AWS::Partition", "Queue"}),
        ("JoinMachine", "${WorkerArn}", {"WorkerArn", "Queue"}),
    ],
)
def test_definition_string_sub_and_join(resource, work, placeholders):
    loaded = load(CFN_JSON, resource=resource)
    assert loaded.diagnostics == []
    assert loaded.definition["States"]["Work"]["Resource"] == work
    assert set(subs(loaded)) == placeholders
    assert subs(loaded)["WorkerArn"] == ({"Fn::GetAtt": ["Worker", "Arn"]}, "WorkerArn", True)
    assert subs(loaded)["Queue"] == ({"Ref": "Queue"}, "Queue", False)


def test_sub_escapes_and_implicit_references():
    definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${!Literal} ${Fn.Arn} ${Bucket}", "End": true}}}'
    loaded = load(machine("AWS::StepFunctions::StateMachine", DefinitionString={"Fn::Sub": definition}))
    assert loaded.definition["States"]["P"]["Result"] == "${Literal} ${Fn.Arn} ${Bucket}"
    assert subs(loaded) == {
        "Fn.Arn": ({"Fn::GetAtt": ["Fn", "Arn"]}, "Fn_Arn", False),
        "Bucket": ({"Ref": "Bucket"}, "Bucket", False),
    }


def test_describe_state_machine_output():
    loaded = load(DESCRIBE)
    assert loaded.name == "HelloWorld" and loaded.diagnostics == []
    assert loaded.definition["States"]["Hello"]["Result"] == "Hello World!"


def test_definition_s3_location_is_an_error_with_a_pointer():
    loaded = load(S3_TEMPLATE)
    assert loaded.definition is None
    [d] = loaded.diagnostics
    assert (d.code, d.pointer, d.severity) == (
        "DEFINITION_IN_S3",
        "/Resources/FromS3/Properties/DefinitionS3Location",
        Severity.ERROR,
    )
    assert "S3" in d.message


BAD = [
    ("DefinitionUri in S3", machine("AWS::Serverless::StateMachine", DefinitionUri={"Bucket": "b", "Key": "k"}),
     "DEFINITION_IN_S3", "/Resources/M/Properties/DefinitionUri"),
    ("DefinitionUri s3:// text", machine("AWS::Serverless::StateMachine", DefinitionUri="s3://b/k.json"),
     "DEFINITION_IN_S3", "/Resources/M/Properties/DefinitionUri"),
    ("DefinitionUri missing file", machine("AWS::Serverless::StateMachine", DefinitionUri="nowhere/m.asl.json"),
     "INPUT_NOT_READABLE", "/Resources/M/Properties/DefinitionUri"),
    ("no definition", machine("AWS::StepFunctions::StateMachine", RoleArn="r"), "NO_DEFINITION", "/Resources/M/Properties"),
    ("DefinitionString of another intrinsic", machine("AWS::StepFunctions::StateMachine", DefinitionString={"Fn::If": ["C", "a", "b"]}),
     "UNSUPPORTED_DEFINITION_FORM", "/Resources/M/Properties/DefinitionString"),
    ("DefinitionString not JSON", machine("AWS::StepFunctions::StateMachine", DefinitionString="{not json"),
     "INVALID_JSON_DESCRIPTION", "/Resources/M/Properties/DefinitionString"),
    ("Definition not a mapping", machine("AWS::Serverless::StateMachine", Definition=["a"]),
     "UNSUPPORTED_DEFINITION_FORM", "/Resources/M/Properties/Definition"),
    ("several machines", {"Resources": {"A": {"Type": "AWS::Serverless::StateMachine"}, "B": {"Type": "AWS::StepFunctions::StateMachine"}}},
     "SEVERAL_STATE_MACHINES", "/Resources"),
    ("no machine", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}, "NO_STATE_MACHINE", "/Resources"),
    ("describe with a bad definition", {"stateMachineArn": "arn", "name": "n", "definition": "[1"},
     "INVALID_JSON_DESCRIPTION", "/definition"),
]


@pytest.mark.parametrize("template, code, where", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_templates_are_diagnostics(template, code, where):
    loaded = load(template)
    assert loaded.definition is None
    assert [(d.code, d.pointer) for d in loaded.diagnostics if d.severity is Severity.ERROR][:1] == [(code, where)]


def test_bad_substitution_value_is_reported_and_the_rest_loads():
    template = machine("AWS::Serverless::StateMachine", Definition=PASS, DefinitionSubstitutions={"X": {"a": 1}, "Y": "y"})
    loaded = load(template)
    assert loaded.definition == PASS
    assert [(d.code, d.pointer) for d in loaded.diagnostics] == [
        ("INVALID_TEMPLATE", "/Resources/M/Properties/DefinitionSubstitutions/X")
    ]


# --------------------------------------------------------------------------------------
# environment variable names


ENV_NAMES = [
    (["TableName"], ["TableName"]),
    (["AWS::Region"], ["SFN_AWS_Region"]),
    (["Fn.Arn"], ["Fn_Arn"]),
    (["AWS_REGION"], ["SFN_AWS_REGION"]),  # Lambda reserves AWS_* names
    (["ASL_EXECUTION_ROLE_ARN"], ["SFN_ASL_EXECUTION_ROLE_ARN"]),  # asl2durable's own
    (["_x"], ["x"]),
    (["9lives"], ["SFN_9lives"]),
    (["a-b", "a.b", "A_B"], ["a_b", "a_b_2", "A_B_3"]),  # collisions, case-insensitively
    (["!!"], ["SFN_VALUE"]),
]


@pytest.mark.parametrize("names, expected", ENV_NAMES, ids=[",".join(n) for n, _ in ENV_NAMES])
def test_env_names(names, expected):
    assert list(env_names(names).values()) == expected


# --------------------------------------------------------------------------------------
# generated code and runs


def test_placeholders_are_read_from_the_environment_in_generated_code():
    loaded = load(SAM_APP, resource="OrderMachine")
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions)
    assert translation.ok
    handler = translation.files["handler.py"]
    assert 'rt.setting(' in handler  # (black may split the call)
    assert '"${ChargeFunctionArn}", {"ChargeFunctionArn": "ChargeFunctionArn"}' in handler
    assert "${Greeting}, order ${OrdersTableName}" in handler  # only ever inside a quoted literal
    assert not any(d.code == "UNSUPPORTED_INTEGRATION" for d in translation.diagnostics)
    again = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions)
    assert again.files == translation.files  # deterministic


def test_plain_asl_placeholder_resource_keeps_its_warning():
    loaded = load(TEMPLATES / "sam-app" / "statemachine" / "orders.asl.json")
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions)
    assert [d.pointer for d in translation.diagnostics if d.code == "UNSUPPORTED_INTEGRATION"] == ["/States/Charge/Resource"]
    assert "rt.setting" not in translation.files["handler.py"]


def test_literal_substitution_in_a_resource_is_made_statically():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${Fn}", "End": True}}}
    template = machine("AWS::Serverless::StateMachine", Definition=definition, DefinitionSubstitutions={"Fn": REFUND_ARN})
    loaded = load(template)
    translation = translate(loaded.definition, name="t", substitutions=loaded.substitutions)
    assert translation.ok and not any(d.code == "UNSUPPORTED_INTEGRATION" for d in translation.diagnostics)
    assert repr(REFUND_ARN) in translation.files["handler.py"].replace('"', "'")


def test_a_non_function_reference_as_resource_stays_unsupported():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${Q}", "End": True}}}
    template = machine("AWS::Serverless::StateMachine", Definition=definition, DefinitionSubstitutions={"Q": {"Ref": "Queue"}})
    loaded = load(template)
    translation = translate(loaded.definition, name="t", substitutions=loaded.substitutions)
    assert [d.code for d in translation.diagnostics if d.pointer == "/States/T/Resource"] == ["UNSUPPORTED_INTEGRATION"]


def test_run_reads_placeholder_values_from_the_environment(monkeypatch):
    loaded = load(SAM_APP, resource="RefundMachine")
    monkeypatch.setenv("RefundFunctionArn", REFUND_ARN)
    monkeypatch.setenv("SFN_AWS_Region", "eu-west-3")
    monkeypatch.setenv("OrdersTable", "orders-prod")
    calls = []

    def refund(event, context):
        calls.append(event)
        return {"refunded": event["order"]}

    result = run_local(loaded, {"order": 7}, lambdas={"refund": refund})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert calls == [{"order": 7}]
    assert result.output == {"refund": {"refunded": 7}, "region": "eu-west-3", "table": "orders-prod"}


def test_run_without_the_environment_variable_fails_plainly(monkeypatch):
    loaded = load(SAM_APP, resource="RefundMachine")
    monkeypatch.delenv("RefundFunctionArn", raising=False)
    result = run_local(loaded, {}, lambdas={"refund": lambda e, c: e})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "RefundFunctionArn" in result.cause


# --------------------------------------------------------------------------------------
# emitted templates


def convert(tmp_path: Path, *paths: Path) -> tuple[object, list[dict]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["convert", *map(str, paths), "-o", str(out), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result, json.loads(result.stdout)


@pytest.mark.slow  # a SAM application converted and linted
def test_convert_sam_app_writes_machines_and_the_rewritten_template(tmp_path):
    result, records = convert(tmp_path, SAM_APP)
    assert result.exit_code == 0, result.output
    by_name = {r["name"]: r for r in records}
    assert set(by_name) == {"template-OrderMachine", "template-RefundMachine", "template"}
    assert by_name["template"]["kind"] == "template" and by_name["template"]["converted"]
    out = tmp_path / "out"
    whole = yaml.safe_load((out / "template" / "template.yaml").read_text(encoding="utf-8"))
    resources = whole["Resources"]
    order = resources["OrderMachine"]
    assert order["Type"] == "AWS::Serverless::Function"
    assert order["Properties"]["CodeUri"] == "../template-OrderMachine"
    assert order["Properties"]["Environment"]["Variables"] == {
        "ASL_EXECUTION_ROLE_ARN": {"Fn::GetAtt": ["OrderMachineRole", "Arn"]},
        "ChargeFunctionArn": {"Fn::GetAtt": ["ChargeFunction", "Arn"]},
        "Greeting": "hello",
        "NotifyTopicArn": {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:orders-${Stage}"},
        "OrdersTableName": {"Ref": "OrdersTable"},
    }
    invoke = order["Properties"]["Policies"][1]["Statement"][0]
    assert invoke == {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [{"Fn::GetAtt": ["ChargeFunction", "Arn"]}]}
    # other resources kept; references to the machines point at the functions
    assert resources["ChargeFunction"] == yaml.safe_load(yaml.safe_dump(load(SAM_APP, resource="OrderMachine").template["Resources"]["ChargeFunction"]))
    starter = resources["StarterFunction"]
    assert resources["AfterRefunds"] == {"Type": "AWS::SNS::Topic", "DependsOn": "RefundMachine"}
    assert starter["Properties"]["Environment"]["Variables"] == {
        "ORDER_MACHINE_ARN": {"Ref": "OrderMachineAliaslive"},
        "REFUND_URL": {"Fn::Sub": "https://console.aws.amazon.com/states/home#/statemachines/view/${RefundMachineAliaslive}"},
    }
    # who started executions of OrderMachine may invoke its function (SAM's policy for it)
    assert starter["Properties"]["Policies"] == [{"LambdaInvokePolicy": {"FunctionName": {"Ref": "OrderMachine"}}}]
    assert whole["Outputs"]["OrderMachineArn"]["Value"] == {"Ref": "OrderMachineAliaslive"}
    assert whole["Outputs"]["RefundMachineName"]["Value"] == {"Ref": "RefundMachine"}
    codes = [(d["code"], d["pointer"]) for d in by_name["template"]["diagnostics"]]
    assert codes == [
        # a machine's name, and its ARN inside a console URL: no counterpart on the function
        ("STATE_MACHINE_REFERENCE_UNRESOLVED", "/Outputs/RefundMachineName/Value"),
        ("STATE_MACHINE_PROPERTY_REPLACED", "/Resources/OrderMachine/Properties/Policies"),
        ("STATE_MACHINE_PROPERTY_REPLACED", "/Resources/RefundMachine/Properties/Policies"),
        ("STATE_MACHINE_REFERENCE_REWRITTEN", "/Resources/StarterFunction"),
        ("STATE_MACHINE_REFERENCE_UNRESOLVED", "/Resources/StarterFunction/Properties/Environment/Variables/REFUND_URL"),
    ]
    assert (out / "template" / "MIGRATION.md").is_file()
    for path in (out / "template" / "template.yaml", out / "template-OrderMachine" / "template.yaml", out / "template-RefundMachine" / "template.yaml"):
        cfn_lint(path)


def test_machine_template_of_a_template_input_takes_parameters(tmp_path):
    convert(tmp_path, SAM_APP)
    own = yaml.safe_load((tmp_path / "out" / "template-OrderMachine" / "template.yaml").read_text(encoding="utf-8"))
    assert set(own["Parameters"]) == {"ChargeFunctionArn", "NotifyTopicArn", "OrdersTableName"}
    variables = own["Resources"]["DurableFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["Greeting"] == "hello"
    assert variables["ChargeFunctionArn"] == {"Ref": "ChargeFunctionArn"}
    migration = (tmp_path / "out" / "template-OrderMachine" / "MIGRATION.md").read_text(encoding="utf-8")
    assert "`ChargeFunctionArn`" in migration and "Fn::GetAtt" in migration


def test_convert_cloudformation_json_template(tmp_path):
    result, _ = convert(tmp_path, CFN_JSON)
    assert result.exit_code == 0, result.output
    whole = yaml.safe_load((tmp_path / "out" / "cfn-strings" / "template.yaml").read_text(encoding="utf-8"))
    assert whole["Transform"] == "AWS::Serverless-2016-10-31"
    assert whole["Outputs"]["SubMachineArn"]["Value"] == {"Ref": "SubMachineAliaslive"}
    assert whole["Outputs"]["JoinMachineName"]["Value"] == {"Ref": "JoinMachine"}
    assert whole["Resources"]["Queue"] == {"Type": "AWS::SQS::Queue"}
    assert whole["Resources"]["JoinMachine"]["Properties"]["Environment"]["Variables"]["Queue"] == {"Ref": "Queue"}
    cfn_lint(tmp_path / "out" / "cfn-strings" / "template.yaml")


def test_convert_twice_is_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        CliRunner().invoke(cli.main, ["convert", str(SAM_APP), "-o", str(out)])
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_template_with_an_unconvertible_machine_is_not_rewritten(tmp_path):
    result, records = convert(tmp_path, S3_TEMPLATE)
    assert result.exit_code == 1
    [machine_record, template_record] = records
    assert [d["code"] for d in machine_record["diagnostics"]] == ["DEFINITION_IN_S3"]
    assert template_record["kind"] == "template" and not template_record["converted"]
    assert not (tmp_path / "out" / "s3-location").exists()


def test_relative_paths_of_kept_resources_are_relocated(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(SAM_APP.parent, app)
    text = (app / "template.yaml").read_text(encoding="utf-8")
    (app / "template.yaml").write_text(text.replace(
        "      InlineCode: \"def handler(event, context):\\n    return {'charged': event}\\n\"\n",
        "      CodeUri: functions/charge/\n",
    ), encoding="utf-8")
    (app / "functions" / "charge").mkdir(parents=True)
    (app / "functions" / "charge" / "index.py").write_text("def handler(event, context):\n    return event\n")
    result, _ = convert(tmp_path, app / "template.yaml")
    assert result.exit_code == 0, result.output
    whole = yaml.safe_load((tmp_path / "out" / "template" / "template.yaml").read_text(encoding="utf-8"))
    code_uri = whole["Resources"]["ChargeFunction"]["Properties"]["CodeUri"]
    assert code_uri == "../../app/functions/charge"
    assert ((tmp_path / "out" / "template") / code_uri).resolve() == (app / "functions" / "charge").resolve()


def test_placeholders_in_choice_fail_and_jsonata_fields_are_settings(monkeypatch):
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.stage", "StringEquals": "${Stage}", "Next": "J"}], "Default": "F"},
            "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"stage": "${Stage}"}, "End": True},
            "F": {"Type": "Fail", "Error": "Stopped.${Stage}", "Cause": "${Stage}"},
        },
    }
    template = machine("AWS::Serverless::StateMachine", Definition=definition, DefinitionSubstitutions={"Stage": {"Ref": "Stage"}})
    loaded = load(template)
    monkeypatch.setenv("Stage", "prod")
    assert run_local(loaded, {"stage": "prod"}).to_dict() == {"status": "SUCCEEDED", "output": {"stage": "prod"}}
    monkeypatch.setenv("Stage", "dev")
    assert run_local(loaded, {"stage": "prod"}).to_dict() == {"status": "FAILED", "error": "Stopped.dev", "cause": "dev"}


EVENTS_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Nightly:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Name: nightly-job
      Tags: {team: data}
      Policies: [AWSXrayWriteOnlyAccess]
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      Events:
        EveryNight:
          Type: Schedule
          Properties: {Schedule: 'cron(0 2 * * ? *)', Input: '{"mode": "full"}', RoleArn: arn:aws:iam::111111111111:role/x}
        Http:
          Type: Api
          Properties: {Path: /run, Method: post}
  Tagged:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::111111111111:role/x
      Tags: [{Key: team, Value: data}]
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      StateMachineRevisionOutput: x
Outputs:
  Revision:
    Value: !GetAtt Tagged.StateMachineRevisionId
"""


def test_state_machine_properties_carried_over_or_reported(tmp_path):
    path = tmp_path / "jobs.yaml"
    path.write_text(EVENTS_TEMPLATE, encoding="utf-8")
    result, records = convert(tmp_path, path)
    assert result.exit_code == 0, result.output
    [template] = [r for r in records if r.get("kind") == "template"]
    assert [(d["severity"], d["code"], d["pointer"]) for d in template["diagnostics"]] == [
        ("WARNING", "STATE_MACHINE_ATTRIBUTE_UNAVAILABLE", "/Outputs/Revision/Value"),
        ("INFO", "STATE_MACHINE_EVENT_CARRIED_OVER", "/Resources/Nightly/Properties/Events/EveryNight"),
        ("WARNING", "STATE_MACHINE_PROPERTY_DROPPED", "/Resources/Nightly/Properties/Events/Http"),
        ("WARNING", "STATE_MACHINE_PROPERTY_DROPPED", "/Resources/Nightly/Properties/Name"),
        ("INFO", "STATE_MACHINE_PROPERTY_REPLACED", "/Resources/Nightly/Properties/Policies"),
        ("WARNING", "STATE_MACHINE_PROPERTY_DROPPED", "/Resources/Nightly/Properties/Type"),
        ("INFO", "STATE_MACHINE_PROPERTY_REPLACED", "/Resources/Tagged/Properties/RoleArn"),
        ("WARNING", "STATE_MACHINE_PROPERTY_DROPPED", "/Resources/Tagged/Properties/StateMachineRevisionOutput"),
    ]
    whole = yaml.safe_load((tmp_path / "out" / "jobs" / "template.yaml").read_text(encoding="utf-8"))
    nightly = whole["Resources"]["Nightly"]["Properties"]
    assert nightly["Events"] == {
        "EveryNight": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 2 * * ? *)", "Input": '{"mode": "full"}'}}
    }
    assert nightly["Tags"] == {"team": "data"} == whole["Resources"]["Tagged"]["Properties"]["Tags"]
    cfn_lint(tmp_path / "out" / "jobs" / "template.yaml")


INVOKE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.13, Handler: index.handler, InlineCode: "def handler(e, c):\\n    return e\\n"}
  Table:
    Type: AWS::Serverless::SimpleTable
  M:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions: {Table: other-table}
      Definition:
        StartAt: Invoke
        States:
          Invoke:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: !Ref Fn, Payload.$: $}
            Next: Tables
          Tables:
            Type: Pass
            Parameters: {table: !Ref Table, other: "${Table}"}
            End: true
"""


def test_function_name_references_and_placeholder_name_collisions(tmp_path):
    path = tmp_path / "invoke.yaml"
    path.write_text(INVOKE_TEMPLATE, encoding="utf-8")
    loaded = load(path)
    # the DefinitionSubstitutions key keeps its name; the intrinsic made a placeholder of its own
    assert subs(loaded) == {
        "Table": ("other-table", "Table", False),
        "Fn": ({"Ref": "Fn"}, "Fn", True),
        "Table2": ({"Ref": "Table"}, "Table2", False),
    }
    assert loaded.definition["States"]["Tables"]["Parameters"] == {"table": "${Table2}", "other": "${Table}"}
    result, _ = convert(tmp_path, path)
    assert result.exit_code == 0, result.output
    whole = yaml.safe_load((tmp_path / "out" / "invoke" / "template.yaml").read_text(encoding="utf-8"))
    props = whole["Resources"]["M"]["Properties"]
    assert props["Policies"][1]["Statement"][0]["Resource"] == [
        {"Fn::Sub": ["arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}", {"Name": {"Ref": "Fn"}}]}
    ]
    assert props["Environment"]["Variables"]["Fn"] == {"Ref": "Fn"}
    cfn_lint(tmp_path / "out" / "invoke" / "template.yaml")
    cfn_lint(tmp_path / "out" / "invoke-M" / "template.yaml")


def test_two_templates_with_the_same_name_get_distinct_folders(tmp_path):
    for app in ("app1", "app2"):
        shutil.copytree(SAM_APP.parent, tmp_path / "in" / app)
    found = [(d.name, d.group, d.skipped) for d in discover([tmp_path / "in"])]
    assert found == [
        ("orders", None, True),
        ("template-OrderMachine", "template", False),
        ("template-RefundMachine", "template", False),
        ("orders", None, True),
        ("template-OrderMachine-2", "template-2", False),
        ("template-RefundMachine-2", "template-2", False),
    ]
    result, records = convert(tmp_path, tmp_path / "in")
    assert result.exit_code == 0, result.output
    second = yaml.safe_load((tmp_path / "out" / "template-2" / "template.yaml").read_text(encoding="utf-8"))
    assert second["Resources"]["OrderMachine"]["Properties"]["CodeUri"] == "../template-OrderMachine-2"


def test_lambda_invoke_resource_written_with_sub_and_a_function_from_the_template(monkeypatch):
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:states:::lambda:invoke"},
                "Parameters": {"FunctionName": {"Fn::GetAtt": ["Worker", "Arn"]}, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    template = {
        "Resources": {
            "Worker": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": definition}},
        }
    }
    loaded = load(template)
    assert loaded.definition["States"]["Invoke"]["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
    translation = translate(loaded.definition, name="m", substitutions=loaded.substitutions)
    assert translation.ok and not any(d.severity is Severity.WARNING for d in translation.diagnostics)
    monkeypatch.setenv("WorkerArn", "arn:aws:lambda:us-east-1:111111111111:function:worker")
    result = run_local(loaded, {"x": 1}, lambdas={"worker": lambda event, context: {"got": event}})
    assert result.to_dict() == {"status": "SUCCEEDED", "output": {"got": {"x": 1}}}


def test_definition_file_given_explicitly_beside_its_folder_is_not_skipped():
    orders = TEMPLATES / "sam-app" / "statemachine" / "orders.asl.json"
    found = {d.name: d.skipped for d in discover([TEMPLATES / "sam-app", orders])}
    assert found == {"orders": False, "template-OrderMachine": False, "template-RefundMachine": False}
