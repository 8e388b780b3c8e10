"""Placeholders as CloudFormation applies them (issue 16, part 1): ``${Name}`` unquoted in numbers
and booleans, inside intrinsic templates and JSONata, in integration ARNs with pseudo parameters,
values from ``--substitute``/``--substitutions``, and never an unresolved ``${...}`` that nothing
warns about."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from asl2durable import cli

from asl2durable.lower import ir
from asl2durable.diagnostics import Severity
from asl2durable.load.loader import load
from asl2durable.run.local import run_local
from asl2durable.load.placeholders import PLACEHOLDER, Unquoted, is_data, protect, restore
from asl2durable.report.report import machine_report
from asl2durable.translate import translate_loaded

# The definition file of the issue: placeholders unquoted (a number, a boolean), inside an
# intrinsic's template, and a pseudo parameter in an integration's ARN.
DEFINITION = """{
  "Comment": "placeholders as CloudFormation substitutes them",
  "StartAt": "Call",
  "TimeoutSeconds": ${totalExecutionTimeout},
  "States": {
    "Call": {
      "Type": "Pass",
      "Parameters": {"url.$": "States.Format('${ApiEndpoint}?t={}', $.t)", "enabled": ${IsEnabled}, "limit": ${Limit}},
      "Next": "Save"
    },
    "Save": {
      "Type": "Task",
      "Resource": "arn:${AWS::Partition}:states:::dynamodb:putItem",
      "Parameters": {"TableName": "${Table}", "Item": {"id": {"S": "1"}}},
      "End": true
    }
  }
}
"""

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
      DefinitionSubstitutions:
        totalExecutionTimeout: 300
        ApiEndpoint: https://example.com/api
        IsEnabled: true
        Limit: 25
        Table: orders
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes(diagnostics, severity=None) -> list[str]:
    return [d.code for d in diagnostics if severity is None or d.severity is severity]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "machine.asl.json", DEFINITION)
    return write(tmp_path / "template.yaml", TEMPLATE)


# --------------------------------------------------------------------------------------
# reading text


def test_unquoted_placeholders_parse_and_keep_their_positions():
    text = '{"a": ${Num},\n "b": "${Str}", "c": [${Flag}]}'
    protected, written = protect(text)
    assert len(protected) == len(text) and written == {"Num", "Flag"}
    value = restore(json.loads(protected), written)
    assert value == {"a": "${Num}", "b": "${Str}", "c": ["${Flag}"]}
    assert isinstance(value["a"], Unquoted) and value["a"].name == "Num"
    assert not isinstance(value["b"], Unquoted) and isinstance(value["c"][0], Unquoted)


def test_a_string_that_looks_like_the_stand_in_is_not_taken_for_a_placeholder():
    text = '{"a": ${X}, "b": "$X"}'
    protected, written = protect(text)
    assert written == frozenset()  # "$X" is in the text: left alone, so the text does not parse
    with pytest.raises(json.JSONDecodeError):
        json.loads(protected)


@pytest.mark.parametrize(
    ("ptr", "data"),
    [
        ("/TimeoutSeconds", False),
        ("/States/A/Parameters/x", True),
        ("/States/A/Seconds", False),
        ("/States/A/Retry/0/MaxAttempts", False),
        ("/States/Parameters/TimeoutSeconds", False),  # a state named Parameters
        ("/States/P/Branches/0/States/B/Result", True),
        ("/States/M/ItemProcessor/States/B/Arguments/a", True),
        ("/States/M/ItemReader/Parameters/Bucket", True),
        ("/States/M/ItemReader/ReaderConfig/MaxItems", False),
        ("/States/C/Choices/0/NumericEquals", False),  # checked as a number: fixed at conversion
        ("/States/C/Choices/0/Assign/x", True),
        ("/States/T/Catch/0/Output/x", True),
    ],
)
def test_which_fields_are_data(ptr, data):
    assert is_data(ptr) is data


# --------------------------------------------------------------------------------------
# the issue's examples


def test_unquoted_placeholders_of_a_sam_definition_file_convert(project):
    loaded = load(project)
    outcome = translate_loaded(loaded)
    assert outcome.translation is not None and outcome.translation.ok, outcome.diagnostics
    fixed = [d for d in outcome.diagnostics if d.code == "PLACEHOLDER_FIXED_AT_CONVERSION"]
    assert [d.pointer for d in fixed] == ["/TimeoutSeconds"] and fixed[0].severity is Severity.INFO
    assert fixed[0].position is not None and fixed[0].position.line == 4  # in machine.asl.json
    assert loaded.definition["TimeoutSeconds"] == 300
    assert outcome.translation.workflow.lifetime == 300
    handler = outcome.translation.files["handler.py"]
    flat = re.sub(r"\s+", " ", handler).replace("( ", "(").replace(",)", ")").replace(", )", ")").replace(" )", ")")
    # numbers and booleans read from their variables as JSON; the intrinsic's template too
    assert 'rt.setting("${IsEnabled}", {"IsEnabled": "IsEnabled"}, typed=True)' in flat
    assert 'States.Format(rt.setting("${ApiEndpoint}?t={}", {"ApiEndpoint": "ApiEndpoint"})' in flat
    # the partition does not decide the integration
    assert '"arn:aws:states:::dynamodb:putItem"' in handler
    assert "UNRESOLVED_PLACEHOLDER" not in codes(outcome.diagnostics)
    assert "Warnings: None" in outcome.translation.files["MIGRATION.md"] or "UNRESOLVED" not in outcome.translation.files["MIGRATION.md"]


TABLES = {"tables": {"orders": {
    "key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "attributes": [{"AttributeName": "id", "AttributeType": "S"}],
}}}


def test_the_machine_runs_with_the_templates_values(project):
    """The template's values reach the run (in moto's DynamoDB): the table named by ${Table}."""
    from asl2durable.run.aws_local import moto_aws

    with moto_aws(TABLES):
        import boto3

        result = run_local(load(project), {"t": 5})
        assert result.status == "SUCCEEDED", result.cause
        item = boto3.client("dynamodb", region_name="us-east-1").get_item(TableName="orders", Key={"id": {"S": "1"}})
    assert item["Item"] == {"id": {"S": "1"}}
    assert "${" not in json.dumps(result.output)


def test_values_reach_the_state_typed_as_the_definition_needs(tmp_path):
    definition = write(tmp_path / "m.asl.json", """{
      "StartAt": "Call",
      "States": {"Call": {"Type": "Pass",
        "Parameters": {"url.$": "States.Format('${ApiEndpoint}?t={}', $.t)", "enabled": ${IsEnabled}, "limit": ${Limit},
                       "region": "${AWS::Region}", "arn": "arn:${AWS::Partition}:s3:::b"},
        "End": true}}
    }""")
    values = {"ApiEndpoint": "https://example.com/api", "IsEnabled": "true", "Limit": "25"}
    result = run_local(load(definition, substitute=values), {"t": 5})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {
        "url": "https://example.com/api?t=5", "enabled": True, "limit": 25, "region": "us-east-1", "arn": "arn:aws:s3:::b",
    }
    # the variables are the function's configuration: another value, another output, same code
    os.environ["Limit"] = "7"
    try:
        assert run_local(load(definition, substitute=values), {"t": 5}).output["limit"] == 7
    finally:
        del os.environ["Limit"]


def test_a_placeholder_inside_a_jsonata_expression_is_not_an_error(tmp_path):
    definition = write(tmp_path / "j.asl.json", """{
      "QueryLanguage": "JSONata",
      "StartAt": "Choose",
      "States": {
        "Choose": {"Type": "Choice", "Choices": [{"Condition": "{% ${IsEnabled} = true %}", "Next": "On"}], "Default": "Off"},
        "On": {"Type": "Pass", "Output": {"msg": "{% 'on-' & '${Stage}' %}", "n": ${Count}}, "End": true},
        "Off": {"Type": "Pass", "Output": "off", "End": true}
      }
    }""")
    on = {"IsEnabled": "true", "Stage": "dev", "Count": "3"}
    outcome = translate_loaded(load(definition, substitute=on))
    assert outcome.translation.ok, outcome.diagnostics
    assert run_local(load(definition, substitute=on), {}).output == {"msg": "on-dev", "n": 3}
    assert run_local(load(definition, substitute={**on, "IsEnabled": "false"}), {}).output == "off"


def test_a_sub_resource_with_the_partition_is_an_integration(tmp_path):
    template = write(tmp_path / "t.yaml", """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  M:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Save
        States:
          Save:
            Type: Task
            Resource: !Sub arn:${AWS::Partition}:states:::dynamodb:updateItem
            Parameters:
              TableName: !Ref Table
              Key: {id: {S: "1"}}
            End: true
""")
    outcome = translate_loaded(load(template))
    assert outcome.translation.ok, outcome.diagnostics
    task = outcome.translation.workflow.states()[0]
    assert isinstance(task.call, ir.ServiceCall) and task.call.base == "arn:aws:states:::dynamodb:updateItem"
    assert "UNSUPPORTED" not in " ".join(codes(outcome.diagnostics))


# --------------------------------------------------------------------------------------
# without values


def test_an_unquoted_placeholder_without_a_value_names_it_where_it_is_and_the_fix(tmp_path):
    definition = write(tmp_path / "m.asl.json", DEFINITION)
    outcome = translate_loaded(load(definition))
    errors = [d for d in outcome.diagnostics if d.severity is Severity.ERROR]
    assert [(d.code, d.pointer) for d in errors] == [
        ("UNRESOLVED_PLACEHOLDER", "/TimeoutSeconds"),
        ("UNRESOLVED_PLACEHOLDER", "/States/Call/Parameters/enabled"),
        ("UNRESOLVED_PLACEHOLDER", "/States/Call/Parameters/limit"),
    ]  # each once: not again as a field of the wrong type
    first = errors[0]
    assert (first.position.line, first.position.column) == (4, 3)
    assert "--substitute totalExecutionTimeout=VALUE" in first.message


def test_a_quoted_placeholder_without_a_value_is_a_warning_and_never_exact(tmp_path):
    definition = write(tmp_path / "m.asl.json", json.dumps({
        "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"t.$": "States.Format('${Url}/{}', $.x)", "n": "${Name}"}, "End": True}},
    }))
    loaded = load(definition)
    outcome = translate_loaded(loaded)
    warned = [d for d in outcome.diagnostics if d.code == "UNRESOLVED_PLACEHOLDER"]
    assert {d.severity for d in warned} == {Severity.WARNING} and len(warned) == 2
    assert outcome.translation.ok
    report = machine_report(loaded.name, loaded.source, outcome.diagnostics, outcome.translation)
    assert report.status != "exact"
    assert "UNRESOLVED_PLACEHOLDER" in outcome.translation.files["MIGRATION.md"]


def test_a_typed_value_that_is_not_json_is_an_error(tmp_path):
    definition = write(tmp_path / "m.asl.json", '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"n": ${N}}, "End": true}}}')
    outcome = translate_loaded(load(definition, substitute={"N": "many"}))
    assert codes(outcome.diagnostics, Severity.ERROR) == ["INVALID_PLACEHOLDER_VALUE"]


# --------------------------------------------------------------------------------------
# the command line


def test_substitute_and_substitutions_on_every_command(tmp_path):
    definition = write(tmp_path / "m.asl.json", """{"StartAt": "W", "States": {
      "W": {"Type": "Pass", "Parameters": {"n": ${N}, "s": "${S}"}, "End": true}}}""")
    values = write(tmp_path / "values.json", json.dumps({"N": 4, "S": "from-file"}))
    runner = CliRunner()
    bare = runner.invoke(cli.main, ["validate", str(definition)])
    assert bare.exit_code == 1 and "m.asl.json:2:44: ERROR UNRESOLVED_PLACEHOLDER" in bare.output, bare.output
    valid = runner.invoke(cli.main, ["validate", str(definition), "--substitutions", str(values), "--strict"])
    assert valid.exit_code == 0, valid.output
    run = runner.invoke(cli.main, ["run", str(definition), "--input", "{}", "--substitutions", str(values), "--substitute", "S=cli"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output.strip().splitlines()[-1])["output"] == {"n": 4, "s": "cli"}
    out = tmp_path / "out"
    converted = runner.invoke(cli.main, ["convert", str(definition), "-o", str(out), "--substitute", "N=4", "--substitute", "S=x"])
    assert converted.exit_code == 0, converted.output
    template = (out / "m" / "template.yaml").read_text()
    assert "N: '4'" in template and "S: x" in template
    report = runner.invoke(cli.main, ["report", str(definition), "-o", str(tmp_path / "r"), "--substitutions", str(values)])
    assert report.exit_code == 0, report.output
    assert json.loads((tmp_path / "r" / "report.json").read_text())["machines"][0]["status"] == "exact"


def test_bad_substitute_options_are_usage_errors(tmp_path):
    definition = write(tmp_path / "m.asl.json", '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    runner = CliRunner()
    assert runner.invoke(cli.main, ["validate", str(definition), "--substitute", "novalue"]).exit_code == 2
    nested = write(tmp_path / "v.json", '{"A": {"b": 1}}')
    result = runner.invoke(cli.main, ["validate", str(definition), "--substitutions", str(nested)])
    assert result.exit_code == 2 and "must be a string, number or boolean" in result.output
    assert runner.invoke(cli.main, ["validate", str(definition), "--substitutions", str(tmp_path / "none.json")]).exit_code == 2


def test_one_placeholder_pattern():
    assert PLACEHOLDER.findall("a ${X} ${AWS::Region} ${}") == ["X", "AWS::Region", ""]



def test_the_runtime_reads_settings_and_pseudo_parameters(monkeypatch):
    import asl_runtime as rt

    monkeypatch.setenv("N", "[1, 2]")
    assert rt.setting("${N}", {"N": "N"}, typed=True) == [1, 2]
    assert rt.setting("n=${N}", {"N": "N"}) == "n=[1, 2]"
    monkeypatch.setenv("N", "not json")
    with pytest.raises(rt.AslError) as failed:
        rt.setting("${N}", {"N": "N"}, typed=True)
    assert failed.value.name == "States.Runtime" and "must be JSON" in failed.value.cause
    # a deployed function without the variables still knows its region, partition and URL suffix
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    env = {"AWS::Partition": "SFN_AWS_Partition", "AWS::Region": "SFN_AWS_Region", "AWS::URLSuffix": "SFN_AWS_URLSuffix"}
    assert rt.setting("${AWS::Partition}|${AWS::Region}|${AWS::URLSuffix}", env) == "aws-cn|cn-north-1|amazonaws.com.cn"
    with pytest.raises(rt.AslError):  # the account is not in the environment
        rt.setting("${AWS::AccountId}", {"AWS::AccountId": "SFN_AWS_AccountId"})


def test_a_template_parameters_default_is_the_value_at_conversion(tmp_path):
    write(tmp_path / "m.asl.json", '{"StartAt": "W", "TimeoutSeconds": ${Timeout}, "States": {"W": {"Type": "Pass", "Result": {"n": ${Timeout}}, "End": true}}}')
    template = write(tmp_path / "t.yaml", """
Parameters:
  TimeoutParam: {Type: Number, Default: 90}
Resources:
  M:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: m.asl.json
      DefinitionSubstitutions:
        Timeout: !Ref TimeoutParam
""")
    loaded = load(template)
    outcome = translate_loaded(loaded)
    assert outcome.translation.ok, outcome.diagnostics
    assert loaded.definition["TimeoutSeconds"] == 90  # the machine's shape: the default
    # in data the handler reads the variable, which the template sets to the parameter
    assert 'rt.setting("${Timeout}", {"Timeout": "Timeout"}, typed=True)' in outcome.translation.files["handler.py"]
    assert run_local(loaded, {}).output == {"n": 90}


def test_a_sub_resource_given_by_definition_substitutions_is_an_integration(tmp_path):
    write(tmp_path / "m.asl.json", '{"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "${Put}", "Parameters": {"TableName": "t", "Item": {}}, "End": true}}}')
    template = write(tmp_path / "t.yaml", """
Resources:
  M:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: m.asl.json
      DefinitionSubstitutions:
        Put: !Sub arn:${AWS::Partition}:states:::dynamodb:putItem
""")
    outcome = translate_loaded(load(template))
    task = outcome.translation.workflow.states()[0]
    assert isinstance(task.call, ir.ServiceCall) and task.call.base == "arn:aws:states:::dynamodb:putItem"


def test_the_support_modules_read_placeholders_as_the_translator_does():
    """The support modules run beside a handler without asl2durable, so they keep their own copy of
    the placeholder pattern: each copy is the translator's (asl2durable.load.placeholders.PLACEHOLDER)."""
    import ast

    from asl2durable.runtime import asl_services

    def compiled(module: str, name: str) -> str:
        tree = ast.parse((Path(asl_services.__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
        (call,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == name for t in n.targets)]
        return call.args[0].value

    assert asl_services.PLACEHOLDER.pattern == PLACEHOLDER.pattern
    assert compiled("asl_settings", "_PLACEHOLDER") == PLACEHOLDER.pattern
