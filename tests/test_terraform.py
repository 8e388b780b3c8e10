"""Terraform configurations as inputs (issue 16, part 4): ``aws_sfn_state_machine`` resources in
``.tf`` files, each definition form, placeholders for what Terraform computes at apply time,
``type = "EXPRESS"``, bad HCL, and real configurations from public projects converting, with
their generated tests passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from generated import generated_test_failures

from asl2durable import batch, cli
from asl2durable.diagnostics import Severity
from asl2durable.load.loader import discover, load
from asl2durable.run.local import run_local
from asl2durable.translate import translate
from asl2durable.writer import write_translation

REAL = Path(__file__).parent / "fixtures" / "inputs" / "terraform"

PASS_ASL = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"a": 1}, "End": True}}}
TASK_ASL = '{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "${fn}", "End": true}}}'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(loaded) -> list[str]:
    return [f"{d.code}: {d.message}" for d in loaded.diagnostics if d.severity is Severity.ERROR]


# --------------------------------------------------------------------------------------
# the definition forms


JSONENCODE = """
variable "stage" {
  default = "dev"
}
variable "timeout" {
  default = 30
}
resource "aws_lambda_function" "charge" {
  function_name = "charge-${var.stage}"
}
resource "aws_sfn_state_machine" "orders" {
  name     = "orders-${var.stage}"
  role_arn = aws_iam_role.sfn.arn
  type     = "EXPRESS"
  definition = jsonencode({
    Comment        = "Orders for ${var.stage}"
    StartAt        = "Charge"
    TimeoutSeconds = var.timeout
    States = {
      Charge = {
        Type     = "Task"
        Resource = aws_lambda_function.charge.arn
        Parameters = { "order.$" = "$.order", "table" = aws_dynamodb_table.orders.name, count = 3, flag = true }
        End      = true
      }
    }
  })
}
"""


def test_jsonencode_definition_with_interpolations_as_placeholders(tmp_path):
    loaded = load(write(tmp_path / "main.tf", JSONENCODE))
    assert errors(loaded) == []
    assert loaded.name == "main-orders" and loaded.resource == "aws_sfn_state_machine.orders"
    assert loaded.workflow_type == "EXPRESS"
    assert batch.workflow_type(loaded) == "EXPRESS"  # what report's cost estimate bills
    definition = loaded.definition
    assert definition["Comment"] == "Orders for ${stage}"
    assert definition["TimeoutSeconds"] == 30  # a number default is used where a number is needed
    call = definition["States"]["Charge"]
    assert call["Resource"] == "${charge_arn}"
    assert call["Parameters"] == {"order.$": "$.order", "table": "${orders_name}", "count": 3, "flag": True}
    subs = {s.name: s for s in loaded.substitutions}
    assert subs["stage"].value == "dev" and subs["stage"].literal == "dev"
    assert subs["charge_arn"].value == {"Terraform": "aws_lambda_function.charge.arn"}
    assert subs["charge_arn"].function  # a Lambda function of the same configuration
    assert subs["orders_name"].value == {"Terraform": "aws_dynamodb_table.orders.name"} and not subs["orders_name"].function
    infos = [d.message for d in loaded.diagnostics if d.code == "TERRAFORM_PLACEHOLDER"]
    assert any("aws_dynamodb_table.orders.name" in m and "orders_name" in m for m in infos)
    assert all(d.severity is Severity.INFO for d in loaded.diagnostics)


def test_templatefile_definition_relative_to_the_module(tmp_path):
    write(tmp_path / "statemachine" / "sm.asl.json", TASK_ASL.replace('"End": true', '"End": true, "Comment": "${greeting} $${kept}"'))
    tf = write(tmp_path / "sfn.tf", """
resource "aws_sfn_state_machine" "tpl" {
  definition = templatefile("${path.module}/statemachine/sm.asl.json", {
    fn       = aws_lambda_function.worker.arn
    greeting = "hello"
  })
}
""")
    loaded = load(tf)
    assert errors(loaded) == []
    assert loaded.name == "sfn-tpl" and loaded.workflow_type == "STANDARD"
    state = loaded.definition["States"]["Call"]
    assert state["Resource"] == "${fn}"  # named after the template variable
    assert state["Comment"] == "hello ${kept}"  # a literal variable is filled in; $${ is a literal ${
    assert [(s.name, s.value, s.env) for s in loaded.substitutions] == [
        ("fn", {"Terraform": "aws_lambda_function.worker.arn"}, "fn")
    ]


def test_file_definition_and_data_template_file(tmp_path):
    write(tmp_path / "plain.json", json.dumps(PASS_ASL))
    write(tmp_path / "templates" / "sm.tpl", TASK_ASL)
    tf = write(tmp_path / "main.tf", """
data "template_file" "sm" {
  template = file("templates/sm.tpl")
  vars = {
    fn = var.function_arn
  }
}
resource "aws_sfn_state_machine" "plain" {
  definition = file("./plain.json")
}
resource "aws_sfn_state_machine" "rendered" {
  definition = data.template_file.sm.rendered
}
""")
    assert load(tf, resource="aws_sfn_state_machine.plain").definition == PASS_ASL
    rendered = load(tf, resource="aws_sfn_state_machine.rendered")
    assert errors(rendered) == []
    assert rendered.definition["States"]["Call"]["Resource"] == "${fn}"
    assert [(s.name, s.value) for s in rendered.substitutions] == [("fn", {"Terraform": "var.function_arn"})]


def test_heredoc_and_indented_heredoc_definitions(tmp_path):
    tf = write(tmp_path / "main.tf", """
resource "aws_sfn_state_machine" "plain" {
  definition = <<EOF
{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${data.aws_region.current.name}", "End": true}}}
EOF
}
resource "aws_sfn_state_machine" "indented" {
  definition = <<-SFN
    {
      "StartAt": "P",
      "States": {"P": {"Type": "Pass", "End": true}}
    }
    SFN
}
""")
    plain = load(tf, resource="aws_sfn_state_machine.plain")
    assert errors(plain) == []
    assert plain.definition["States"]["P"]["Result"] == "${current_name}"
    assert [(s.name, s.value) for s in plain.substitutions] == [("current_name", {"Terraform": "data.aws_region.current.name"})]
    indented = load(tf, resource="aws_sfn_state_machine.indented")
    assert indented.definition == {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def test_local_definition_from_a_sibling_file_and_var_type(tmp_path):
    write(tmp_path / "locals.tf", """
locals {
  machine = local.inner
  inner   = jsonencode({ StartAt = "P", States = { P = { Type = "Pass", End = true } } })
}
variable "kind" {
  default = "express"
}
""")
    tf = write(tmp_path / "main.tf", """
resource "aws_sfn_state_machine" "from_local" {
  definition = local.machine
  type       = var.kind
}
""")
    loaded = load(tf)
    assert errors(loaded) == []
    assert loaded.definition == {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    assert loaded.workflow_type == "EXPRESS"  # the variable's default, in any case


def test_a_module_call_with_a_definition_is_a_machine(tmp_path):
    tf = write(tmp_path / "main.tf", """
module "step_function" {
  source     = "terraform-aws-modules/step-functions/aws"
  type       = "express"
  definition = jsonencode({ StartAt = "P", States = { P = { Type = "Pass", End = true } } })
}
module "other" {
  source = "./other"
}
""")
    [item] = [d for d in discover([tmp_path]) if not d.skipped]
    assert (item.name, item.resource) == ("main-step_function", "module.step_function")
    loaded = load(tf)
    assert loaded.workflow_type == "EXPRESS" and loaded.definition["StartAt"] == "P"


def test_terraform_machine_runs_with_its_placeholder_from_the_environment(tmp_path, monkeypatch):
    loaded = load(write(tmp_path / "main.tf", JSONENCODE))
    monkeypatch.setenv("charge_arn", "arn:aws:lambda:us-east-1:123456789012:function:charge-dev")
    monkeypatch.setenv("orders_name", "orders-dev")
    monkeypatch.setenv("stage", "dev")
    calls = []

    def charge(event, context):
        calls.append(event)
        return {"charged": event["order"]}

    result = run_local(loaded, {"order": 5}, lambdas={"charge-dev": charge})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert calls == [{"order": 5, "table": "orders-dev", "count": 3, "flag": True}]
    assert result.output == {"charged": 5}


def test_emitted_template_names_the_terraform_expression(tmp_path):
    loaded = load(write(tmp_path / "main.tf", JSONENCODE))
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions, workflow_type="EXPRESS")
    assert translation.ok, translation.diagnostics
    template = translation.files["template.yaml"]
    assert "the Terraform expression aws_dynamodb_table.orders.name" in template
    assert "the Terraform expression aws_lambda_function.charge.arn" in template


# --------------------------------------------------------------------------------------
# what cannot be read


def test_bad_hcl_is_a_diagnostic_with_file_and_line(tmp_path):
    tf = write(tmp_path / "broken.tf", 'resource "aws_sfn_state_machine" "x" {\n  definition = file("a.json")\n  type = = "EXPRESS"\n}\n')
    loaded = load(tf)
    assert loaded.definition is None
    [message] = [d.message for d in loaded.diagnostics if d.code == "INVALID_HCL"]
    assert message.startswith("Invalid HCL at broken.tf:3")
    # a folder walk keeps the file, so that loading it reports the problem
    assert [d.skipped for d in discover([tmp_path])] == [False]


@pytest.mark.parametrize(
    ("definition", "code", "words", "line"),
    [
        ("var.definition", "UNSUPPORTED_DEFINITION_FORM", "the definition is var.definition", 7),
        ('file("missing.json")', "INPUT_NOT_READABLE", "cannot read missing.json", 7),
        ("local.loop", "UNSUPPORTED_DEFINITION_FORM", "local.loop refers to itself", 4),  # the local's line
        ('"not json"', "INVALID_JSON_DESCRIPTION", "Invalid JSON", 7),
        ('"%{if true}x%{endif}"', "UNSUPPORTED_DEFINITION_FORM", "template directives", 7),
    ],
)
def test_definitions_that_cannot_be_read_are_diagnostics(tmp_path, definition, code, words, line):
    tf = write(tmp_path / "main.tf", f"""
variable "definition" {{}}
locals {{
  loop = local.loop
}}
resource "aws_sfn_state_machine" "m" {{
  definition = {definition}
}}
""")
    loaded = load(tf)
    assert loaded.definition is None
    assert [d.code for d in loaded.diagnostics] == [code]
    assert words in loaded.diagnostics[0].message
    assert loaded.diagnostics[0].message.startswith(f"main.tf:{line}: ")
    assert loaded.diagnostics[0].pointer.startswith("/resource/aws_sfn_state_machine/m/definition")


def test_file_with_several_or_no_machines(tmp_path):
    write(tmp_path / "two.tf", 'resource "aws_sfn_state_machine" "a" {\n  definition = "{}"\n}\nresource "aws_sfn_state_machine" "b" {\n  definition = "{}"\n}\n')
    write(tmp_path / "none.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    assert [d.code for d in load(tmp_path / "two.tf").diagnostics] == ["SEVERAL_STATE_MACHINES"]
    assert [d.code for d in load(tmp_path / "none.tf").diagnostics] == ["NO_STATE_MACHINE"]
    found = [(Path(d.source).name, d.name, d.resource, d.skipped) for d in discover([tmp_path])]
    assert found == [
        ("none.tf", "none", None, True),
        ("two.tf", "two-a", "aws_sfn_state_machine.a", False),
        ("two.tf", "two-b", "aws_sfn_state_machine.b", False),
    ]


# --------------------------------------------------------------------------------------
# real configurations from public projects


REAL_MACHINES = {
    # (project, folder, machine id): (workflow type, placeholders)
    ("serverless-patterns", "apigw-sfn-crud-terraform", "aws_sfn_state_machine.API_SF_CRUD-tf_CF"): ("EXPRESS", []),
    ("serverless-patterns", "eventbridge-pipes-sqs-to-stepfunctions-terraform", "aws_sfn_state_machine.target_state_machine"): ("EXPRESS", []),
    ("serverless-patterns", "sfn-sns-tf", "aws_sfn_state_machine.state_machine_to_sns"): ("STANDARD", ["state_machine_sns_topic_arn"]),
    ("serverless-patterns", "sfn-tasktoken-lambda", "aws_sfn_state_machine.state_machine"): ("STANDARD", ["current_partition", "sqs_queue_url"]),
    ("step-functions-workflows-collection", "activity-state-machine-tf", "aws_sfn_state_machine.sfn_state_machine"): ("STANDARD", ["ActivityArn"]),
    ("step-functions-workflows-collection", "eventbridge-custom-tf", "aws_sfn_state_machine.state_machine"): ("STANDARD", []),
    ("step-functions-workflows-collection", "lambda-orchestration-tf", "aws_sfn_state_machine.sample_state_machine"): (
        "STANDARD", ["checkPriceFnArn", "BuySellFnArn", "queueUrl", "buyFnArn", "sellFnArn", "topic"],
    ),
    ("terraform-aws-step-functions", "examples/complete", "module.step_function"): ("EXPRESS", []),
    ("terraform-aws-step-functions", "examples/complete", "module.step_function_with_existing_log_group"): ("EXPRESS", []),
}


def _real_items():
    return [d for d in discover([REAL]) if not d.skipped]


def test_real_projects_keep_their_licences():
    for project in {p for p, _, _ in REAL_MACHINES}:
        assert (REAL / project / "LICENSE").is_file(), project


def test_real_configurations_are_found_and_their_definition_files_not_converted_twice():
    items = discover([REAL])
    found = {(Path(d.source).relative_to(REAL).parts[0], Path(d.source).parent.relative_to(REAL / Path(d.source).relative_to(REAL).parts[0]).as_posix(), d.resource) for d in items if not d.skipped}
    assert found == set(REAL_MACHINES)
    skipped = {Path(d.source).name: d.reason for d in items if d.skipped}
    assert skipped["crud-asl.json"].startswith("the definition file of ")
    assert skipped["sqs-pipes-sfn.asl.json"].startswith("the definition file of ")


@pytest.mark.parametrize("key", sorted(REAL_MACHINES), ids=lambda k: f"{k[0]}/{k[1]}/{k[2]}")
def test_real_configuration_converts(key):
    project, folder, machine = key
    workflow_type, placeholders = REAL_MACHINES[key]
    tf = REAL / project / folder / "main.tf"
    loaded = load(tf, resource=machine)
    assert loaded.definition is not None and errors(loaded) == [], loaded.diagnostics
    assert loaded.workflow_type == workflow_type
    assert [s.name for s in loaded.substitutions] == placeholders
    translation = translate(loaded.definition, name=loaded.name, substitutions=loaded.substitutions, workflow_type=loaded.workflow_type)
    assert translation.ok, translation.diagnostics


@pytest.mark.slow  # the generated folders' tests, run by pytest
def test_real_configurations_generated_tests_pass(tmp_path):
    """Each real machine's test_handler.py passes as generated (as tests/test_testgen.py runs them)."""
    folders = []
    for item in _real_items():
        loaded = load(item.source, name=item.name, resource=item.resource)
        translation = translate(
            loaded.definition, name=loaded.name.replace("-", "_"), substitutions=loaded.substitutions,
            workflow_type=loaded.workflow_type,
        )
        assert translation.ok, (item.name, translation.diagnostics)
        folders.append(write_translation(translation, tmp_path))
    assert len(folders) == len(REAL_MACHINES)
    failures = generated_test_failures(folders)
    assert not failures, "\n\n".join(failures)


def test_run_picks_a_terraform_machine_with_resource():
    from click.testing import CliRunner

    tf = REAL / "terraform-aws-step-functions" / "examples" / "complete" / "main.tf"
    result = CliRunner().invoke(cli.main, ["run", str(tf), "--resource", "module.step_function", "--input", "{}"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": "SUCCEEDED", "output": "World"}
    several = CliRunner().invoke(cli.main, ["run", str(tf), "--input", "{}"])
    assert several.exit_code == 2 and "module.step_function, module.step_function_with_existing_log_group" in several.output
