"""Serverless Framework inputs (issue 16, part 3): ``serverless.yml`` with the serverless-step-functions
plugin. Each ``stepFunctions.stateMachines.<name>`` is a machine; Serverless variables become
placeholders; the plugin's function references become Lambda calls; the file is read as the Serverless
Framework reads YAML; MIGRATION.md says what to change in ``serverless.yml``; real services from public
projects convert, with their generated tests passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from generated import generated_test_failures

from asl2durable import batch, cli
from asl2durable.diagnostics import Severity
from asl2durable.load.loader import discover, load
from asl2durable.run.local import run_local
from asl2durable.translate import translate_loaded
from asl2durable.writer import write_translation

REAL = Path(__file__).parent / "fixtures" / "inputs" / "serverless"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(loaded) -> list[str]:
    return [f"{d.code}: {d.message}" for d in loaded.diagnostics if d.severity is Severity.ERROR]


def infos(loaded) -> list[str]:
    return [d.message for d in loaded.diagnostics if d.code == "SERVERLESS_PLACEHOLDER"]


SERVICE = """
service: orders
provider:
  name: aws
  stage: ${opt:stage, 'dev'}
  region: eu-west-1
custom:
  tableName: orders-${sls:stage}
  timeout: 30
  retries: 3
  enabled: true
  queueUrl: ${env:QUEUE_URL}
functions:
  hello:
    handler: handler.hello
  charge-card:
    handler: handler.charge
stepFunctions:
  stateMachines:
    orders:
      name: orders-${self:provider.stage}
      type: EXPRESS
      definition:
        Comment: Orders of ${self:service} in ${aws:region}
        StartAt: Hello
        TimeoutSeconds: ${self:custom.timeout}
        States:
          Hello:
            Type: Task
            Resource: arn:aws:lambda:${self:provider.region}:${aws:accountId}:function:${self:service}-${opt:stage, self:provider.stage}-hello
            Retry:
              - ErrorEquals: [States.ALL]
                MaxAttempts: ${self:custom.retries}
            Next: Charge
          Charge:
            Type: Task
            Resource:
              Fn::GetAtt: [charge-card, Arn]
            Parameters:
              table: ${self:custom.tableName}
              queue: ${self:custom.queueUrl}
              enabled: ${self:custom.enabled}
              Yes: No
              on: off
            End: true
"""


def test_a_machine_with_serverless_variables_as_placeholders(tmp_path):
    loaded = load(write(tmp_path / "serverless.yml", SERVICE))
    assert errors(loaded) == []
    assert (loaded.name, loaded.resource, loaded.workflow_type) == ("serverless-orders", "orders", "EXPRESS")
    assert batch.workflow_type(loaded) == "EXPRESS"
    definition = loaded.definition
    assert definition["Comment"] == "Orders of ${service} in ${region}"
    assert definition["TimeoutSeconds"] == 30  # a number where the definition needs one: the literal
    assert definition["States"]["Hello"]["Retry"][0]["MaxAttempts"] == 3
    assert definition["States"]["Hello"]["Resource"] == "${HelloLambdaFunctionArn}"
    charge = definition["States"]["Charge"]
    assert charge["Resource"] == "${ChargeDashcardLambdaFunctionArn}"
    # YAML as the Serverless Framework reads it: Yes/No/on/off are strings, keys and values
    assert charge["Parameters"] == {"table": "orders-${stage}", "queue": "${QUEUE_URL}", "enabled": True, "Yes": "No", "on": "off"}
    subs = {s.name: (s.value, s.function) for s in loaded.substitutions}
    assert subs == {
        "HelloLambdaFunctionArn": ({"Fn::GetAtt": ["HelloLambdaFunction", "Arn"]}, True),
        "ChargeDashcardLambdaFunctionArn": ({"Fn::GetAtt": ["ChargeDashcardLambdaFunction", "Arn"]}, True),
        "service": ("orders", False),  # a literal of the file is the value, as a Terraform variable's default
        "region": ({"Ref": "AWS::Region"}, False),
        "stage": ("dev", False),
        "QUEUE_URL": ({"Serverless": "${env:QUEUE_URL}"}, False),
    }
    messages = infos(loaded)
    assert "${stage} is the Serverless variable ${sls:stage} (its value in the file: \"dev\"); the handler reads it from the environment variable stage" in messages
    assert "${QUEUE_URL} is the Serverless variable ${env:QUEUE_URL}; the handler reads it from the environment variable QUEUE_URL" in messages
    assert any(m.startswith("${HelloLambdaFunctionArn} is the function hello of serverless.yml") for m in messages)
    # diagnostics point into serverless.yml
    [located] = [d for d in translate_loaded(loaded).diagnostics if "${stage}" in d.message]
    assert located.position is not None and located.position.line == SERVICE.splitlines().index("      definition:") + 1


def test_serverless_machine_runs_with_its_placeholders_from_the_environment(tmp_path, monkeypatch):
    loaded = load(write(tmp_path / "serverless.yml", SERVICE))
    monkeypatch.setenv("HelloLambdaFunctionArn", "arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-hello")
    monkeypatch.setenv("ChargeDashcardLambdaFunctionArn", "arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-charge-card")
    for name, value in {"service": "orders", "region": "eu-west-1", "stage": "prod", "QUEUE_URL": "q"}.items():
        monkeypatch.setenv(name, value)
    calls = []
    lambdas = {
        "orders-dev-hello": lambda event, context: {"hello": event["id"]},
        "orders-dev-charge-card": lambda event, context: calls.append(event) or {"charged": True},
    }
    result = run_local(loaded, {"id": 7}, lambdas=lambdas)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert calls == [{"table": "orders-prod", "queue": "q", "enabled": True, "Yes": "No", "on": "off"}]


def test_definitions_from_files_and_custom_sections(tmp_path):
    write(tmp_path / "serverless.yml", """
service: files
custom:
  express: ${file(./machines.yml):express}
stepFunctions:
  stateMachines:
    fromFile:
      definition: ${file(./definition.json)}
    fromCustom: ${self:custom.express}
    fromText:
      definition: '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
""")
    write(tmp_path / "machines.yml", "express:\n  type: EXPRESS\n  definition:\n    StartAt: P\n    States:\n      P: {Type: Pass, End: true}\n")
    write(tmp_path / "definition.json", '{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}}')
    items = discover([tmp_path])
    active = {(d.name, d.resource) for d in items if not d.skipped}
    assert active == {("serverless-fromFile", "fromFile"), ("serverless-fromCustom", "fromCustom"), ("serverless-fromText", "fromText")}
    skipped = {Path(d.source).name: d.reason for d in items if d.skipped}
    assert skipped["definition.json"] == f"read by {tmp_path / 'serverless.yml'}#fromFile"
    path = tmp_path / "serverless.yml"
    assert load(path, resource="fromFile").definition["States"]["W"]["Seconds"] == 5
    custom = load(path, resource="fromCustom")
    assert custom.workflow_type == "EXPRESS" and custom.definition["StartAt"] == "P"
    assert load(path, resource="fromText").definition["States"]["P"]["Type"] == "Pass"
    # diagnostics about a definition read from a file point into that file
    write(tmp_path / "definition.json", '{"StartAt": "W",\n "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true},\n  "Lost": {"Type": "Pass", "End": true}}}')
    [lost] = [d for d in translate_loaded(load(path, resource="fromFile")).diagnostics if d.pointer == "/States/Lost"]
    assert (lost.position.file, lost.position.line) == (str(tmp_path / "definition.json"), 3)


def test_a_function_arn_in_a_definition_file_is_the_function(tmp_path):
    write(tmp_path / "serverless.yml", (
        "service: files\nfunctions:\n  hello: {handler: h.hello}\n"
        "stepFunctions:\n  stateMachines:\n    m:\n      definition: ${file(./machine.yml)}\n"
    ))
    write(tmp_path / "machine.yml", (
        "StartAt: Hello\nStates:\n  Hello:\n    Type: Task\n"
        "    Resource: arn:aws:lambda:#{AWS::Region}:#{AWS::AccountId}:function:${self:service}-${sls:stage}-hello\n    End: true\n"
    ))
    loaded = load(tmp_path / "serverless.yml")
    assert loaded.definition["States"]["Hello"]["Resource"] == "${HelloLambdaFunctionArn}"
    assert [(s.name, s.function) for s in loaded.substitutions] == [("HelloLambdaFunctionArn", True)]


@pytest.mark.parametrize(
    "definition, words",
    [
        ("${ssm:/app/definition}", "only known when the service is deployed"),
        ("${file(./missing.json)}", "does not exist"),
        ("${file(./definition.js)}", "only YAML and JSON files are read"),
    ],
)
def test_definitions_that_cannot_be_read_are_diagnostics(tmp_path, definition, words):
    loaded = load(write(tmp_path / "serverless.yml", f"service: s\nstepFunctions:\n  stateMachines:\n    m:\n      definition: {definition}\n"))
    assert loaded.definition is None
    [message] = [m for m in errors(loaded) if m.startswith("UNSUPPORTED_DEFINITION_FORM")]
    assert words in message


def test_files_with_several_or_no_machines(tmp_path):
    several = write(tmp_path / "a" / "serverless.yml", "service: s\nstepFunctions:\n  stateMachines:\n    one: {definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}}\n    two: {definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}}\n")
    assert errors(load(several)) == ["SEVERAL_STATE_MACHINES: The file has several state machines: one, two"]
    assert load(several, resource="two").name == "serverless-two"
    none = write(tmp_path / "b" / "serverless.yaml", "service: s\nfunctions:\n  f: {handler: h.f}\n")
    assert errors(load(none)) == ["NO_STATE_MACHINE: The file has no stepFunctions.stateMachines"]
    walked = {Path(d.source).parent.name: (d.skipped, d.reason) for d in discover([tmp_path]) if d.skipped}
    assert walked == {"b": (True, "a Serverless Framework file without stepFunctions.stateMachines")}


def test_migration_says_what_to_change_in_serverless_yml(tmp_path):
    loaded = load(write(tmp_path / "serverless.yml", SERVICE.replace("      type: EXPRESS\n", "      type: EXPRESS\n      id: OrdersMachine\n      events:\n        - schedule: rate(1 hour)\n      tracingConfig: {enabled: true}\n")))
    outcome = translate_loaded(loaded, workflow_type="EXPRESS")
    assert outcome.translation is not None and outcome.translation.ok
    migration = outcome.translation.files["MIGRATION.md"]
    assert "## Changing serverless.yml" in migration
    assert "Remove `stepFunctions.stateMachines.orders` from `serverless.yml`" in migration
    assert "CloudFormation logical ID `OrdersMachine`" in migration and "`Ref: OrdersMachine`" in migration
    assert "The machine's events (`schedule`)" in migration
    assert "no counterpart here: `tracingConfig`." in migration
    assert "serverless.yml writes it `${env:QUEUE_URL}`" in migration
    assert "`${ChargeDashcardLambdaFunctionArn}` of the definition, read at run time; the ARN of the function `charge-card` of serverless.yml" in migration
    assert "the original template gave it" not in migration
    template = outcome.translation.files["template.yaml"]
    assert "the Serverless variable $ {env:QUEUE_URL}" in template


def test_validate_convert_and_run_take_serverless_yml(tmp_path):
    path = write(tmp_path / "svc" / "serverless.yml", SERVICE)
    runner = CliRunner()
    validated = runner.invoke(cli.main, ["validate", str(path)])
    assert validated.exit_code == 0, validated.output
    converted = runner.invoke(cli.main, ["convert", str(tmp_path / "svc"), "-o", str(tmp_path / "out")])
    assert converted.exit_code == 0, converted.output
    assert (tmp_path / "out" / "serverless-orders" / "handler.py").is_file()
    reported = runner.invoke(cli.main, ["report", str(path), "-o", str(tmp_path / "report")])
    assert reported.exit_code == 0, reported.output
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in report["machines"]] == ["serverless-orders"]
    several = write(tmp_path / "two" / "serverless.yml", "service: s\nstepFunctions:\n  stateMachines:\n    one: {definition: {StartAt: P, States: {P: {Type: Pass, Result: 1, End: true}}}}\n    two: {definition: {StartAt: P, States: {P: {Type: Pass, Result: 2, End: true}}}}\n")
    ran = runner.invoke(cli.main, ["run", str(several), "--resource", "two", "--input", "{}"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout.strip().splitlines()[-1]) == {"status": "SUCCEEDED", "output": 2}
    ambiguous = runner.invoke(cli.main, ["run", str(several), "--input", "{}"])
    assert ambiguous.exit_code == 2 and "(one, two)" in ambiguous.output


# --------------------------------------------------------------------------------------
# real services from public projects


# (project, folder, machine) -> (workflow type, placeholders)
REAL_MACHINES = {
    ("serverless-examples", "aws-ruby-step-functions", "myStateMachine"): ("STANDARD", [
        "BuyDashticketLambdaFunctionArn", "ReserveDashparkingDashlotDashspaceLambdaFunctionArn",
        "CheckDashweatherLambdaFunctionArn", "ReturnDashticketLambdaFunctionArn", "ReleaseDashparkingDashspaceLambdaFunctionArn",
    ]),
    ("serverless-examples", "aws-ruby-step-functions-express", "myStateMachine"): ("EXPRESS", ["SendDashemailLambdaFunctionArn", "service", "stage"]),
    ("serverless-examples", "aws-ruby-step-functions-with-callback", "WorkflowWithCallback"): ("STANDARD", [
        "CheckDashcommentLambdaFunctionArn", "RedactDashcommentLambdaFunctionArn", "service", "stage",
    ]),
    ("serverless-patterns", "lambda-sfn-sls", "helloWorld"): ("EXPRESS", []),
    ("serverless-step-functions", "fixtures/activities", "activityMachine"): ("STANDARD", ["AWS::Partition", "AWS::Region", "AWS::AccountId"]),
    ("serverless-step-functions", "fixtures/api-gateway", "apiMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/athena", "athenaMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/athena", "athenaAsyncMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/athena", "athenaRuntimeWorkgroupMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/basic-state-machine", "basicMachine"): ("STANDARD", ["HelloLambdaFunctionArn"]),
    ("serverless-step-functions", "fixtures/basic-state-machine", "fnSubMachine"): ("STANDARD", ["AWS::Partition", "AWS::Region", "AWS::AccountId"]),
    ("serverless-step-functions", "fixtures/circular-dependency", "circularMachine"): ("STANDARD", ["ParseCSVLambdaFunction"]),
    ("serverless-step-functions", "fixtures/cloudwatch-alarms", "alarmMachine"): ("STANDARD", ["HelloLambdaFunctionArn"]),
    ("serverless-step-functions", "fixtures/cloudwatch-event", "eventMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/configure-task-timeouts", "autoTimeoutsMachine"): ("STANDARD", [
        "ShortLambdaFunctionArn", "LongLambdaFunctionArn", "DefaultedLambdaFunctionArn",
    ]),
    ("serverless-step-functions", "fixtures/configure-task-timeouts", "backCompatMachine"): ("STANDARD", ["ShortLambdaFunctionArn"]),
    ("serverless-step-functions", "fixtures/express-workflow", "expressMachine"): ("EXPRESS", ["HelloLambdaFunctionArn"]),
    ("serverless-step-functions", "fixtures/no-output", "noOutputMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/notifications", "notificationMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/notifications", "notificationMachine2"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/schedule", "rateMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/schedule", "schedulerMachine"): ("STANDARD", []),
    ("serverless-step-functions", "fixtures/use-exact-version", "exactVersionMachine"): ("STANDARD", ["HelloLambdaFunctionArn"]),
    ("stepfunctions2processing", "aws-batch", "HelloWorldStepFunction"): ("STANDARD", [
        "JobDefinition", "JobQueue", "MapLambdaFunctionArn", "BranchLambdaFunctionArn", "ReduceLambdaFunctionArn",
    ]),
    ("stepfunctions2processing", "aws-fargate", "HelloWorldStepFunction"): ("STANDARD", [
        "ECSCluster", "FargateTaskDefinition", "PublicSubnetOne", "PublicSubnetTwo", "ServiceName",
        "MapLambdaFunctionArn", "BranchLambdaFunctionArn", "ReduceLambdaFunctionArn",
    ]),
    ("stepfunctions2processing", "aws-lambda", "hellostepfunc1"): ("STANDARD", None),
    ("stepfunctions2processing", "aws-sagemaker", "SagemakerStepFunction"): ("STANDARD", [
        "AWS::AccountId", "AWS::Region", "PreprocessingLambdaLambdaFunctionArn", "PostprocessingLambdaLambdaFunctionArn",
    ]),
}


def _key(item) -> tuple[str, str, str]:
    relative = Path(item.source).relative_to(REAL)
    return relative.parts[0], relative.parent.relative_to(relative.parts[0]).as_posix(), item.resource


def test_real_projects_keep_their_licences():
    for project in {p for p, _, _ in REAL_MACHINES}:
        assert any((REAL / project / name).is_file() for name in ("LICENSE", "LICENSE.txt")), project


def test_real_services_are_found_and_their_definition_files_not_converted_twice():
    items = discover([REAL])
    assert {_key(d) for d in items if not d.skipped} == set(REAL_MACHINES)
    skipped = {Path(d.source).name: d.reason for d in items if d.skipped}
    assert skipped["stateMachine.asl.yml"].startswith("read by ")
    assert skipped["base.yml"] == 'has neither "StartAt" nor "States"'


@pytest.mark.parametrize("key", sorted(REAL_MACHINES), ids=lambda k: f"{k[0]}/{k[1]}/{k[2]}")
def test_real_service_converts(key):
    project, folder, machine = key
    workflow_type, placeholders = REAL_MACHINES[key]
    loaded = load(REAL / project / folder / "serverless.yml", resource=machine)
    assert loaded.definition is not None and errors(loaded) == [], loaded.diagnostics
    assert loaded.workflow_type == workflow_type
    if placeholders is not None:
        assert [s.name for s in loaded.substitutions] == placeholders
    outcome = translate_loaded(loaded, workflow_type=workflow_type)
    assert outcome.translation is not None and outcome.translation.ok, outcome.diagnostics


def test_real_lambda_arns_written_with_the_deployed_name_are_function_calls():
    loaded = load(REAL / "stepfunctions2processing" / "aws-fargate" / "serverless.yml")
    states = loaded.definition["States"]
    assert states["StartStepF"]["Resource"] == "${MapLambdaFunctionArn}"  # ...:function:${self:service}-${opt:stage}-map
    assert states["FargateStep"]["Parameters"]["Cluster"] == "${ECSCluster}"  # #{ECSCluster}
    functions = {s.name for s in loaded.substitutions if s.function}
    assert functions == {"MapLambdaFunctionArn", "BranchLambdaFunctionArn", "ReduceLambdaFunctionArn"}
    # a definition file whose states are named Yes and No, read as the Serverless Framework reads YAML
    patterns = load(REAL / "serverless-patterns" / "lambda-sfn-sls" / "serverless.yml").definition
    assert {"Yes", "No"} <= set(patterns["States"]) and patterns["States"]["Hello World example?"]["Default"] == "No"


def test_real_activity_of_the_plugin_is_an_activity():
    loaded = load(REAL / "serverless-step-functions" / "fixtures" / "activities" / "serverless.yml")
    resource = loaded.definition["States"]["WaitForActivity"]["Resource"]
    assert resource == "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:activity:MyActivityTask"
    outcome = translate_loaded(loaded, workflow_type="STANDARD")
    assert outcome.translation is not None and outcome.translation.ok
    assert not [d for d in outcome.diagnostics if d.code == "UNSUPPORTED_INTEGRATION"]
    assert "ActivityQueue" in outcome.translation.files["template.yaml"]


@pytest.mark.slow  # the generated folders' tests, run by pytest
def test_real_services_generated_tests_pass(tmp_path):
    """Each real machine's test_handler.py passes as generated."""
    folders = []
    for item in discover([REAL]):
        if item.skipped:
            continue
        loaded = load(item.source, name=item.name.replace("-", "_"), resource=item.resource)
        outcome = translate_loaded(loaded, workflow_type=loaded.workflow_type)
        assert outcome.translation is not None and outcome.translation.ok, (item.name, outcome.diagnostics)
        folders.append(write_translation(outcome.translation, tmp_path))
    assert len(folders) == len(REAL_MACHINES)
    failures = generated_test_failures(folders)
    assert not failures, "\n\n".join(failures)


def test_variables_that_cannot_be_resolved_are_warnings(tmp_path):
    cycle = load(write(tmp_path / "a" / "serverless.yml", (
        "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\nstepFunctions:\n  stateMachines:\n    m:\n      definition:\n"
        "        StartAt: P\n        States:\n          P: {Type: Pass, Result: '${self:custom.a}', End: true}\n"
    )))
    assert cycle.definition["States"]["P"]["Result"] == "${a}"
    assert [(d.code, d.severity, d.message) for d in cycle.diagnostics if d.code == "SERVERLESS_VARIABLE_UNRESOLVED"] == [
        ("SERVERLESS_VARIABLE_UNRESOLVED", Severity.WARNING, "a Serverless variable is not resolved: ${self:custom.a} refers to itself"),
    ]
    unterminated = load(write(tmp_path / "b" / "serverless.yml", (
        "stepFunctions:\n  stateMachines:\n    m:\n      definition:\n        StartAt: P\n        States:\n"
        "          P: {Type: Pass, Result: '${self:custom.a', End: true}\n"
    )))
    assert unterminated.definition["States"]["P"]["Result"] == "${self:custom.a"
    assert [d.code for d in unterminated.diagnostics] == ["SERVERLESS_VARIABLE_UNRESOLVED"]
    empty = load(write(tmp_path / "c" / "serverless.yml", ""))
    assert empty.definition is None and errors(empty) == ["INVALID_TEMPLATE: serverless.yml is empty"]
