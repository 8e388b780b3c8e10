"""References between the machines of one template, rewritten consistently (issue 16).

A parent machine that starts a child machine of the same template: in the rewritten template the
child is a durable function, and every reference used to start it is the function's alias ARN
(the parent's environment, IAM, outputs, other resources); the parent's startExecution Task
invokes that function. What has no counterpart is unresolved: a WARNING, and a row of the
MIGRATION.md written beside the rewritten template.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from generated import generated_test_failures
from lint import cfn_lint

from asl2durable import cli
from asl2durable.run.local import load_handler
from asl2durable.translate import RUNTIME_DIR

PARENT_CHILD = Path(__file__).parent / "fixtures" / "rewrite" / "parent-child.yaml"
ALIAS = {"Ref": "ChildAliaslive"}
CHILD_ARN = "arn:aws:lambda:us-east-1:111111111111:function:Child:live"


def convert(tmp_path: Path, path: Path) -> tuple[object, dict]:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["convert", str(path), "-o", str(out), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    return out, {r["name"]: r for r in json.loads(result.stdout)}


def invoke_resources(function: dict) -> list:
    return [
        statement["Resource"]
        for policy in function["Properties"]["Policies"] if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"] if "lambda:InvokeFunction" in statement["Action"]
    ]


@pytest.mark.slow  # every input template converted
def test_every_reference_to_the_child_is_its_function_alias_or_listed_unresolved(tmp_path):
    out, records = convert(tmp_path, PARENT_CHILD)
    whole = yaml.safe_load((out / "parent-child" / "template.yaml").read_text(encoding="utf-8"))
    resources = whole["Resources"]
    parent = resources["Parent"]["Properties"]
    # the parent's environment: both start placeholders are the alias ARN (was: the function name)
    assert parent["Environment"]["Variables"]["ChildArn"] == ALIAS
    assert parent["Environment"]["Variables"]["ChildArn2"] == ALIAS
    assert invoke_resources(resources["Parent"]) == [[ALIAS]]
    # another function's environment, its IAM statement and the SAM policy template
    starter = resources["Starter"]["Properties"]
    assert starter["Environment"]["Variables"] == {"CHILD_ARN": ALIAS, "CHILD_NAME": {"Ref": "Child"}}
    assert starter["Policies"][0]["Statement"][0] == {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": ALIAS}
    # an EventBridge target: the alias, without the role, with a resource-based permission
    assert resources["Nightly"]["Properties"]["Targets"] == [{"Arn": ALIAS, "Id": "child"}]
    assert resources["NightlyChildPermission"]["Properties"] == {
        "Action": "lambda:InvokeFunction", "FunctionName": ALIAS, "Principal": "events.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": ["Nightly", "Arn"]},
    }
    statement = resources["EventsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert statement == {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [ALIAS]}
    assert whole["Outputs"]["ChildArn"]["Value"] == ALIAS
    cfn_lint(out / "parent-child" / "template.yaml")

    unresolved = [
        (d["severity"], d["pointer"]) for d in records["parent-child"]["diagnostics"]
        if d["code"] == "STATE_MACHINE_REFERENCE_UNRESOLVED"
    ]
    assert unresolved == [
        ("WARNING", "/Outputs/ChildName/Value"),
        ("WARNING", "/Resources/Starter/Properties/Environment/Variables/CHILD_NAME"),
        ("WARNING", "/Resources/Starter/Properties/Policies/0/Statement/1/Resource"),
    ]
    migration = (out / "parent-child" / "MIGRATION.md").read_text(encoding="utf-8")
    rewritten = migration.split("## Rewritten references")[1].split("## Unresolved references")[0]
    left = migration.split("## Unresolved references")[1].split("## Warnings")[0]
    warnings = migration.split("## Warnings")[1]
    for where in (
        "/Resources/Parent/Properties/DefinitionSubstitutions/ChildArn", "/Resources/Parent/Properties/Definition",
        "/Resources/Starter/Properties/Environment/Variables/CHILD_ARN", "/Resources/Starter/Properties/Policies/0/Statement/0",
        "/Resources/Nightly/Properties/Targets/0/Arn", "/Outputs/ChildArn/Value",
        "/Resources/EventsRole/Properties/Policies/0/PolicyDocument/Statement/0",
    ):
        assert f"| `{where}` | `Child` |" in rewritten
    for _, where in unresolved:
        assert f"| `{where}` | `Child` |" in left
    assert "None." not in left and "None." not in warnings
    assert "STATE_MACHINE_REFERENCE_UNRESOLVED" in warnings
    # the parent's own MIGRATION.md warns of the Tasks that now invoke the child's function
    own = (out / "parent-child-Parent" / "MIGRATION.md").read_text(encoding="utf-8")
    assert own.count("STARTS_CONVERTED_MACHINE") == 2
    assert "`lambda:InvokeFunction` on the durable functions of the state machines it starts" in own
    assert generated_test_failures([out / "parent-child-Parent", out / "parent-child-Child"]) == []


CHILD = """\
  Child:
    Type: {kind}
    Properties:
      Definition:
        StartAt: Double
        States:
          Double: {{Type: Pass, Parameters: {{"doubled.$": "States.MathAdd($.x, $.x)"}}, End: true}}
"""
TASK = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": "", "Parameters": {"Input": {"x.$": "$.x"}}, "End": True}}}


def parent_template(kind: str, form: str, suffix: str) -> str:
    """A template with a child and a parent machine (SAM or CloudFormation) whose startExecution
    Task names the child as ``form`` says."""
    sam = kind == "AWS::Serverless::StateMachine"
    definition = json.loads(json.dumps(TASK))
    definition["States"]["Run"]["Resource"] = "arn:aws:states:::states:startExecution" + suffix
    props: dict = {}
    arn = {"ref": {"Ref": "Child"}, "getatt": {"Fn::GetAtt": ["Child", "Arn"]}}
    if form in arn:  # DefinitionSubstitutions
        props["DefinitionSubstitutions"] = {"ChildArn": arn[form]}
        definition["States"]["Run"]["Parameters"]["StateMachineArn"] = "${ChildArn}"
    elif form == "inline":
        definition["States"]["Run"]["Parameters"]["StateMachineArn"] = {"Ref": "Child"}
    elif sam:  # "sub": an Fn::Sub inside the Definition
        definition["States"]["Run"]["Parameters"]["StateMachineArn"] = {"Fn::Sub": "${Child.Arn}"}
    else:  # "sub": a DefinitionString Fn::Sub naming ${Child}
        definition["States"]["Run"]["Parameters"]["StateMachineArn"] = "${Child}"
    if form == "sub" and not sam:
        props["DefinitionString"] = {"Fn::Sub": json.dumps(definition)}
    else:
        props["Definition"] = definition
    if not sam:
        props["RoleArn"] = "arn:aws:iam::111111111111:role/sfn"
    child = CHILD.format(kind=kind)
    if not sam:
        child += "      RoleArn: arn:aws:iam::111111111111:role/sfn\n"
    parent = yaml.safe_dump({"Parent": {"Type": kind, "Properties": props}}, sort_keys=False)
    return "Resources:\n" + child + "".join("  " + line + "\n" for line in parent.splitlines())


@pytest.mark.parametrize("suffix", [".sync", ".sync:2", ""])
@pytest.mark.parametrize(
    "kind, form",
    [
        ("AWS::Serverless::StateMachine", "ref"),
        ("AWS::Serverless::StateMachine", "getatt"),
        ("AWS::Serverless::StateMachine", "inline"),
        ("AWS::Serverless::StateMachine", "sub"),
        ("AWS::StepFunctions::StateMachine", "getatt"),
        ("AWS::StepFunctions::StateMachine", "inline"),
        ("AWS::StepFunctions::StateMachine", "sub"),
    ],
)
@pytest.mark.slow  # each template form converted and run
def test_the_parent_invokes_the_child_alias_however_the_template_names_it(tmp_path, kind, form, suffix):
    path = tmp_path / "pc.yaml"
    path.write_text(parent_template(kind, form, suffix), encoding="utf-8")
    out, records = convert(tmp_path, path)
    whole = yaml.safe_load((out / "pc" / "template.yaml").read_text(encoding="utf-8"))
    parent = whole["Resources"]["Parent"]
    [variable] = [k for k in parent["Properties"]["Environment"]["Variables"] if k != "ASL_EXECUTION_ROLE_ARN"]
    assert parent["Properties"]["Environment"]["Variables"][variable] == ALIAS
    assert invoke_resources(parent) == [[ALIAS]]
    assert [d["code"] for d in records["pc-Parent"]["diagnostics"] if d["severity"] == "WARNING"] == ["STARTS_CONVERTED_MACHINE"]
    assert not [d for d in records["pc"]["diagnostics"] if d["code"] == "STATE_MACHINE_REFERENCE_UNRESOLVED"]
    migration = (out / "pc" / "MIGRATION.md").read_text(encoding="utf-8")
    assert "now invokes the function" in migration.split("## Unresolved references")[0]
    # the machine's own template takes the child's alias ARN as a parameter, which the role may invoke
    own = yaml.safe_load((out / "pc-Parent" / "template.yaml").read_text(encoding="utf-8"))
    [parameter] = own["Parameters"]
    assert "a state machine: give the alias ARN" in own["Parameters"][parameter]["Description"]
    assert invoke_resources(own["Resources"]["DurableFunction"]) == [[{"Ref": parameter}]]
    cfn_lint(out / "pc" / "template.yaml", out / "pc-Parent" / "template.yaml")


def test_a_reference_read_for_something_else_than_starting_the_child_is_unresolved(tmp_path):
    path = tmp_path / "pc.yaml"
    text = parent_template("AWS::Serverless::StateMachine", "ref", ".sync")
    text = text.replace("StateMachineArn: ${ChildArn}", "StateMachineArn: arn:aws:states:us-east-1:111111111111:stateMachine:x\n            Comment: ${ChildArn}")
    path.write_text(text, encoding="utf-8")
    out, records = convert(tmp_path, path)
    codes = [(d["code"], d["pointer"]) for d in records["pc"]["diagnostics"] if d["severity"] == "WARNING"]
    assert codes == [("STATE_MACHINE_REFERENCE_UNRESOLVED", "/Resources/Parent/Properties/DefinitionSubstitutions/ChildArn")]
    assert "STATE_MACHINE_REFERENCE_UNRESOLVED" in (out / "pc" / "MIGRATION.md").read_text(encoding="utf-8")


def _handlers(out: Path, monkeypatch) -> tuple:
    parent = load_handler((out / "pc-Parent" / "handler.py").read_text(encoding="utf-8"), "Parent")
    child = load_handler((out / "pc-Child" / "handler.py").read_text(encoding="utf-8"), "Child")
    import sys

    sys.path.insert(0, str(RUNTIME_DIR))
    import asl_testing

    return parent, child, asl_testing


@pytest.mark.parametrize("suffix", [".sync", ".sync:2"])
def test_the_rewritten_parent_runs_the_child_function_by_chained_invoke(tmp_path, monkeypatch, suffix):
    path = tmp_path / "pc.yaml"
    path.write_text(parent_template("AWS::Serverless::StateMachine", "ref", suffix), encoding="utf-8")
    out, _ = convert(tmp_path, path)
    parent, child, asl_testing = _handlers(out, monkeypatch)
    monkeypatch.setenv("ChildArn", CHILD_ARN)  # what the rewritten template gives it
    outcome = asl_testing.run_handler(parent.handler, {"x": 21}, durable_functions={"Child": child.handler})
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    given, output = ({"x": 21}, {"doubled": 42}) if suffix == ".sync:2" else ('{"x":21}', '{"doubled":42}')
    assert outcome.output == {
        "Input": given, "InputDetails": {"Included": True}, "Output": output, "OutputDetails": {"Included": True},
        "StateMachineArn": CHILD_ARN, "Status": "SUCCEEDED",
    }
    invokes = [op for op in outcome.operations if getattr(op.operation_type, "value", op.operation_type) == "CHAINED_INVOKE"]
    assert [op.name for op in invokes] == ["Run"]


def test_a_failed_child_fails_the_parent_task_as_step_functions_does(tmp_path, monkeypatch):
    path = tmp_path / "pc.yaml"
    path.write_text(
        parent_template("AWS::Serverless::StateMachine", "ref", ".sync").replace(
            'Double: {Type: Pass, Parameters: {"doubled.$": "States.MathAdd($.x, $.x)"}, End: true}',
            "Double: {Type: Fail, Error: Child.Broken, Cause: no luck}",
        ),
        encoding="utf-8",
    )
    out, _ = convert(tmp_path, path)
    parent, child, asl_testing = _handlers(out, monkeypatch)
    monkeypatch.setenv("ChildArn", CHILD_ARN)
    outcome = asl_testing.run_handler(parent.handler, {"x": 1}, durable_functions={"Child": child.handler})
    assert (outcome.status, outcome.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(outcome.cause) == {
        "Cause": "no luck", "Error": "Child.Broken", "Input": '{"x":1}', "StateMachineArn": CHILD_ARN, "Status": "FAILED",
    }


def test_starting_the_child_without_waiting_invokes_it_asynchronously(tmp_path, monkeypatch):
    path = tmp_path / "pc.yaml"
    path.write_text(parent_template("AWS::Serverless::StateMachine", "ref", ""), encoding="utf-8")
    out, _ = convert(tmp_path, path)
    parent, _child, asl_testing = _handlers(out, monkeypatch)
    monkeypatch.setenv("ChildArn", CHILD_ARN)
    calls = []
    started = CHILD_ARN + "/durable-execution/run-1/0123"

    def invoker(function_name, payload, params):
        calls.append((function_name, payload, params))
        return asl_testing.rt.InvokeResponse(status_code=202, durable_execution_arn=started)

    outcome = asl_testing.run_handler(parent.handler, {"x": 5}, invoker=invoker)
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert calls == [(CHILD_ARN, b'{"x":5}', {"InvocationType": "Event"})]
    assert outcome.output["ExecutionArn"] == started and isinstance(outcome.output["StartDate"], int)


def test_a_state_machine_arn_still_starts_an_execution(tmp_path, monkeypatch):
    """Given a state machine ARN (the machine's own template, deployed beside Step Functions),
    the Task calls Step Functions as before: here, the test double of generated tests answers."""
    path = tmp_path / "pc.yaml"
    path.write_text(parent_template("AWS::Serverless::StateMachine", "ref", ".sync"), encoding="utf-8")
    out, _ = convert(tmp_path, path)
    parent, _child, asl_testing = _handlers(out, monkeypatch)
    monkeypatch.setenv("ChildArn", "arn:aws:states:us-east-1:111111111111:stateMachine:Child")
    asked = []

    def service(resource, params, pattern):
        asked.append((resource, params["StateMachineArn"], pattern))
        return {"Status": "SUCCEEDED"}

    outcome = asl_testing.run_handler(parent.handler, {"x": 5}, service_caller=service)
    assert outcome.status == "SUCCEEDED" and outcome.output == {"Status": "SUCCEEDED"}
    assert asked == [("arn:aws:states:::states:startExecution.sync", "arn:aws:states:us-east-1:111111111111:stateMachine:Child", "sync")]


def test_a_child_started_with_a_task_token_is_unresolved(tmp_path):
    """The child would answer the token with states:SendTaskSuccess; as a durable function's
    callback it must use the durable callback APIs: the rewrite cannot change that."""
    path = tmp_path / "pc.yaml"
    text = parent_template("AWS::Serverless::StateMachine", "ref", ".waitForTaskToken")
    path.write_text(text.replace("x.$: $.x", "token.$: $$.Task.Token"), encoding="utf-8")
    out, records = convert(tmp_path, path)
    whole = yaml.safe_load((out / "pc" / "template.yaml").read_text(encoding="utf-8"))
    assert whole["Resources"]["Parent"]["Properties"]["Environment"]["Variables"]["ChildArn"] == ALIAS
    [unresolved] = [d for d in records["pc"]["diagnostics"] if d["code"] == "STATE_MACHINE_REFERENCE_UNRESOLVED"]
    assert unresolved["pointer"] == "/Resources/Parent/Properties/DefinitionSubstitutions/ChildArn"
    assert "SendDurableExecutionCallbackSuccess" in unresolved["message"]
    left = (out / "pc" / "MIGRATION.md").read_text(encoding="utf-8").split("## Unresolved references")[1]
    assert "/Resources/Parent/Properties/DefinitionSubstitutions/ChildArn" in left.split("## Warnings")[0]
