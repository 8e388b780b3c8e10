"""Tests for the asl2durable command line (validate, convert, run), through click's CliRunner.

They run the real pipeline (loader, validator, translator, writer, local runner) and assert
behaviour: exit codes, the JSON documents printed, and the files written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asl2durable import cli
from asl2durable.batch import inputs as batch_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
PASS_FILE = FIXTURES / "pass.asl.json"
FAIL_FILE = FIXTURES / "fail.asl.json"
INVALID_FILE = FIXTURES / "invalid.asl.json"
MALFORMED_FILE = FIXTURES / "malformed.json"
TASK_FILE = FIXTURES / "task.asl.yaml"
ECHO_LAMBDA = FIXTURES / "echo_lambda.py"
HEARTBEAT_FILE = FIXTURES / "heartbeat.asl.json"  # translates with a WARNING
BATCH = FIXTURES / "batch"

PASS_TEXT = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"End":true}}}'
ECHO_ARN = "arn:aws:lambda:us-east-1:111111111111:function:echo"

VALIDATE_KEYS = {"source", "name", "valid", "skipped", "diagnostics"}
CONVERT_KEYS = {"source", "name", "converted", "output", "skipped", "diagnostics"}
DIAGNOSTIC_KEYS = {"severity", "code", "pointer", "message"}


def invoke(*args: object, input: str | None = None):
    result = CliRunner().invoke(cli.main, [str(a) for a in args], input=input)
    # Expected failures never show a traceback: only SystemExit may end a command.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def records(result) -> list[dict]:
    document = json.loads(result.stdout)
    assert isinstance(document, list)
    return document


def run_report(result) -> dict:
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def error_codes(record: dict) -> list[str]:
    return [d["code"] for d in record["diagnostics"] if d["severity"] == "ERROR"]


# --------------------------------------------------------------------------------------
# validate


def test_validate_valid_file_exits_0():
    result = invoke("validate", PASS_FILE)
    assert result.exit_code == 0, result.output


def test_validate_invalid_file_exits_1():
    result = invoke("validate", INVALID_FILE)
    assert result.exit_code == 1, result.output


def test_validate_text_lines_name_the_file_and_the_problem():
    result = invoke("validate", INVALID_FILE)
    # "StartAt": "Missing" is on line 2, its key at column 3
    line = f"{INVALID_FILE}:2:3: ERROR MISSING_TRANSITION_TARGET at /StartAt: Missing 'StartAt' target: Missing"
    assert line in result.stdout.splitlines(), result.stdout


def test_validate_malformed_file_exits_1():
    result = invoke("validate", MALFORMED_FILE, "--format", "json")
    assert result.exit_code == 1
    (record,) = records(result)
    assert record["valid"] is False
    assert error_codes(record) == ["INVALID_JSON_DESCRIPTION"]


def test_validate_json_records():
    result = invoke("validate", PASS_FILE, INVALID_FILE, "--format", "json")
    assert result.exit_code == 1
    document = records(result)
    assert [r["source"] for r in document] == sorted([str(INVALID_FILE), str(PASS_FILE)])
    by_name = {r["name"]: r for r in document}
    assert set(by_name) == {"pass", "invalid"}
    for record in document:
        assert set(record) == VALIDATE_KEYS
        assert record["skipped"] is False
        for d in record["diagnostics"]:
            assert set(d) == DIAGNOSTIC_KEYS
    assert by_name["pass"]["valid"] is True
    assert error_codes(by_name["pass"]) == []
    assert by_name["invalid"]["valid"] is False
    assert error_codes(by_name["invalid"])


def test_validate_all_valid_exits_0():
    assert invoke("validate", PASS_FILE, FAIL_FILE, TASK_FILE).exit_code == 0


def test_validate_inline_json_text():
    result = invoke("validate", PASS_TEXT, "--format", "json")
    assert result.exit_code == 0
    (record,) = records(result)
    assert record["source"] == "<text>"
    assert record["valid"] is True


def test_validate_missing_path_is_usage_error(tmp_path):
    result = invoke("validate", PASS_FILE, tmp_path / "missing.json")
    assert result.exit_code == 2
    assert "missing.json" in result.stderr


def test_validate_bad_format_is_usage_error():
    assert invoke("validate", PASS_FILE, "--format", "xml").exit_code == 2


def test_validate_without_paths_is_usage_error():
    assert invoke("validate").exit_code == 2


def test_validate_folder_skips_metadata_files():
    result = invoke("validate", BATCH, "--format", "json")
    assert result.exit_code == 1  # bad.json is malformed
    document = records(result)
    processed = [r for r in document if not r["skipped"]]
    skipped = [r for r in document if r["skipped"]]
    assert [Path(r["source"]).name for r in processed] == ["bad.json", "good.asl.json"]
    assert [r["valid"] for r in processed] == [False, True]
    (meta,) = skipped
    assert Path(meta["source"]).name == "metadata.json"
    assert meta["valid"] is None
    assert meta["reason"]


def test_validate_folder_text_mode_notes_skipped_files_on_stderr():
    result = invoke("validate", BATCH)
    assert "metadata.json" in result.stderr
    assert "metadata.json" not in result.stdout


def test_validate_folder_skips_json_with_comments_and_is_not_failed_by_it(tmp_path):
    shutil.copy(PASS_FILE, tmp_path / "pass.asl.json")
    (tmp_path / "tsconfig.json").write_text('{\n  // editor settings\n  "compilerOptions": {"strict": true,},\n}\n')
    result = invoke("validate", tmp_path)
    assert result.exit_code == 0, result.output
    assert f"note: skipped {tmp_path / 'tsconfig.json'}: JSON with comments, not a state machine" in result.stderr
    assert "1 checked: 1 valid, 0 invalid, 1 skipped" in result.stdout
    # named on the command line, it is read, and its error reported
    result = invoke("validate", tmp_path / "tsconfig.json")
    assert result.exit_code == 1
    assert "INVALID_JSON_DESCRIPTION" in result.stdout


def test_validate_order_is_deterministic():
    a = records(invoke("validate", PASS_FILE, INVALID_FILE, FAIL_FILE, "--format", "json"))
    b = records(invoke("validate", FAIL_FILE, PASS_FILE, INVALID_FILE, "--format", "json"))
    assert a == b


def test_validate_unexpected_error_in_one_file_does_not_stop_the_batch(monkeypatch):
    real_load = batch_inputs.load

    def load(source, **kwargs):
        if Path(str(source)).name == "fail.asl.json":
            raise RuntimeError("boom")
        return real_load(source, **kwargs)

    monkeypatch.setattr(batch_inputs, "load", load)
    result = invoke("validate", PASS_FILE, FAIL_FILE, "--format", "json")
    assert result.exit_code == 1
    by_name = {r["name"]: r for r in records(result)}
    assert by_name["pass"]["valid"] is True
    assert by_name["fail"]["valid"] is False
    (d,) = by_name["fail"]["diagnostics"]
    assert d["code"] == "INTERNAL_ERROR" and d["severity"] == "ERROR"
    assert "RuntimeError" in d["message"] and "boom" in d["message"]


# --------------------------------------------------------------------------------------
# convert


def test_convert_folder_goes_on_past_a_bad_file(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", BATCH, "-o", out)
    assert result.exit_code == 1, result.output
    assert (out / "good" / "handler.py").is_file()
    assert not (out / "bad").exists()
    assert not (out / "metadata").exists()


def test_convert_json_records(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", BATCH, "--output", out, "--format", "json")
    assert result.exit_code == 1
    document = records(result)
    processed = [r for r in document if not r["skipped"]]
    for record in processed:
        assert set(record) == CONVERT_KEYS
        for d in record["diagnostics"]:
            assert set(d) == DIAGNOSTIC_KEYS
    good, bad = sorted(processed, key=lambda r: r["name"], reverse=True)
    assert good["name"] == "good"
    assert good["converted"] is True
    assert Path(good["output"]) == out / "good"
    assert (Path(good["output"]) / "handler.py").is_file()
    assert bad["name"] == "bad"
    assert bad["converted"] is False
    assert bad["output"] is None
    assert error_codes(bad) == ["INVALID_JSON_DESCRIPTION"]
    (meta,) = [r for r in document if r["skipped"]]
    assert meta["converted"] is None and meta["output"] is None


def test_convert_writes_a_python_handler(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", PASS_FILE, TASK_FILE, "-o", out)
    assert result.exit_code == 0, result.output
    for name in ("pass", "task"):
        handler = out / name / "handler.py"
        assert handler.is_file()
        compile(handler.read_text(encoding="utf-8"), str(handler), "exec")


def test_convert_warnings_do_not_fail(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", HEARTBEAT_FILE, "-o", out, "--format", "json", "--workflow-type", "standard")
    assert result.exit_code == 0, result.output
    (record,) = records(result)
    assert record["converted"] is True
    assert [d["severity"] for d in record["diagnostics"]] == ["WARNING"]
    assert (out / "heartbeat" / "handler.py").is_file()


def test_convert_says_when_it_assumes_a_standard_workflow(tmp_path):
    result = invoke("convert", HEARTBEAT_FILE, "-o", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    (record,) = records(result)
    infos = [d for d in record["diagnostics"] if d["severity"] == "INFO"]
    assert [d["code"] for d in infos] == ["WORKFLOW_TYPE_ASSUMED"] and "--workflow-type" in infos[0]["message"]
    express = invoke("convert", HEARTBEAT_FILE, "-o", tmp_path / "express", "--workflow-type", "express")
    assert express.exit_code == 0, express.output
    assert 'workflow_type="EXPRESS"' in (tmp_path / "express" / "heartbeat" / "handler.py").read_text()


def test_validate_warnings_do_not_fail():
    result = invoke("validate", HEARTBEAT_FILE, "--format", "json")
    assert result.exit_code == 0
    assert records(result)[0]["valid"] is True


WARNED = """{
  "StartAt": "Notify",
  "States": {
    "Notify": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "notify", "InvocationType": "Event", "Payload.$": "$"},
      "Next": "Sleep"
    },
    "Sleep": {
      "Type": "Wait",
      "Seconds": 40000000,
      "End": true
    }
  }
}
"""
WARNED_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Sleep
        States:
          Sleep:
            Type: Wait
            Seconds: 40000000
            End: true
"""


def test_validate_reports_what_convert_reports(tmp_path):
    """The same pipeline: validate gives convert's WARNINGs and INFOs, in the same JSON shape."""
    path = tmp_path / "warned.asl.json"
    path.write_text(WARNED, encoding="utf-8")
    checked = invoke("validate", path, "--format", "json")
    converted = invoke("convert", path, "-o", tmp_path / "out", "--format", "json")
    assert (checked.exit_code, converted.exit_code) == (0, 0), checked.output + converted.output
    (record,) = records(checked)
    assert set(record) == VALIDATE_KEYS and record["valid"] is True
    assert all(set(d) == DIAGNOSTIC_KEYS for d in record["diagnostics"])
    assert record["diagnostics"] == records(converted)[0]["diagnostics"]
    assert {(d["severity"], d["code"]) for d in record["diagnostics"]} == {
        ("WARNING", "LAMBDA_CALLED_FROM_STEP"), ("WARNING", "WAIT_OUTLASTS_EXECUTION"), ("INFO", "WORKFLOW_TYPE_ASSUMED"),
    }
    assert not (tmp_path / "warned").exists()  # validate writes nothing


def test_validate_text_gives_file_line_column_pointer_code_and_message(tmp_path):
    path = tmp_path / "warned.asl.json"
    path.write_text(WARNED, encoding="utf-8")
    result = invoke("validate", path, "--workflow-type", "standard")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # "InvocationType" is on line 7, "Seconds" on line 12
    column = WARNED.splitlines()[6].index('"InvocationType"') + 1
    assert f"{path}:7:{column}: WARNING LAMBDA_CALLED_FROM_STEP at /States/Notify/Parameters/InvocationType: " in "\n".join(lines)
    (wait,) = [line for line in lines if "WAIT_OUTLASTS_EXECUTION" in line]
    assert wait.startswith(f"{path}:12:7: WARNING WAIT_OUTLASTS_EXECUTION at /States/Sleep/Seconds: this wait (40,000,000 s)")
    assert lines[-1] == "1 checked: 1 valid, 0 invalid"
    assert not any("WORKFLOW_TYPE_ASSUMED" in line for line in lines)  # --workflow-type given, as for convert


def test_validate_text_positions_in_a_yaml_template(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(WARNED_TEMPLATE, encoding="utf-8")
    result = invoke("validate", template)
    assert result.exit_code == 0, result.output
    assert f"{template}:12:13: WARNING WAIT_OUTLASTS_EXECUTION at /States/Sleep/Seconds: " in result.stdout
    converted = invoke("convert", template, "-o", tmp_path / "out")  # convert's lines say the same
    assert f"  {template}:12:13: WARNING WAIT_OUTLASTS_EXECUTION at /States/Sleep/Seconds: " in converted.stdout


def test_validate_strict_fails_on_a_warning(tmp_path):
    path = tmp_path / "warned.asl.json"
    path.write_text(WARNED, encoding="utf-8")
    result = invoke("validate", path, "--strict")
    assert result.exit_code == 1, result.output
    assert "1 checked: 0 valid, 1 invalid" in result.stdout
    (record,) = records(invoke("validate", path, "--strict", "--format", "json"))
    assert record["valid"] is False
    assert invoke("validate", HEARTBEAT_FILE, "--strict").exit_code == 1
    assert invoke("validate", PASS_FILE, "--strict").exit_code == 0  # an INFO does not fail


def test_validate_in_parallel_gives_what_one_job_gives(tmp_path):
    path = tmp_path / "warned.asl.json"
    path.write_text(WARNED, encoding="utf-8")
    for fmt in ("text", "json"):
        outcomes = [
            (r.exit_code, r.stdout)
            for r in (invoke("validate", BATCH, path, SAM_APP, "--format", fmt, "-j", jobs) for jobs in ("1", "2"))
        ]
        assert outcomes[0][0] == 1 and "WAIT_OUTLASTS_EXECUTION" in outcomes[0][1]
        assert outcomes[0] == outcomes[1]


def test_convert_strict_does_not_write_an_input_with_a_warning(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", HEARTBEAT_FILE, PASS_FILE, "-o", out, "--strict")
    assert result.exit_code == 1, result.output
    assert not (out / "heartbeat").exists() and (out / "pass" / "handler.py").is_file()
    assert f"{HEARTBEAT_FILE}: failed" in result.stdout
    assert "error: 1 input not converted:" in result.stderr
    # the failure list names the WARNING that failed it, not the INFO before it
    assert f"  {HEARTBEAT_FILE}: UNSUPPORTED_FEATURE: HeartbeatSeconds" in result.stderr


def test_convert_duplicate_state_names_fail(tmp_path):
    # json.loads would silently keep the last "A"; the loader reports it and nothing is written
    src = tmp_path / "dup.json"
    src.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}')
    out = tmp_path / "out"
    result = invoke("convert", src, "-o", out, "--format", "json")
    assert result.exit_code == 1
    (record,) = records(result)
    assert record["converted"] is False
    assert "DUPLICATE_STATE_NAME" in error_codes(record)
    assert not (out / "dup").exists()


def test_convert_invalid_definition_fails(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", INVALID_FILE, "-o", out, "--format", "json")
    assert result.exit_code == 1
    (record,) = records(result)
    assert record["converted"] is False
    assert error_codes(record)
    assert not (out / "invalid").exists()


def test_convert_same_stem_twice_does_not_overwrite(tmp_path):
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    shutil.copy(PASS_FILE, src / "a" / "orders.asl.json")
    shutil.copy(FAIL_FILE, src / "b" / "orders.json")
    out = tmp_path / "out"
    result = invoke("convert", src, "-o", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(r["name"], r["converted"]) for r in records(result)] == [("orders", True), ("orders-2", True)]
    assert (out / "orders" / "handler.py").is_file()
    assert (out / "orders-2" / "handler.py").is_file()


def test_convert_requires_output(tmp_path):
    assert invoke("convert", PASS_FILE).exit_code == 2


def test_convert_missing_path_is_usage_error(tmp_path):
    assert invoke("convert", tmp_path / "missing.json", "-o", tmp_path / "out").exit_code == 2


def test_convert_unexpected_error_in_one_file_does_not_stop_the_batch(tmp_path, monkeypatch):
    real_load = batch_inputs.load

    def load(source, **kwargs):
        if Path(str(source)).name == "fail.asl.json":
            raise KeyError("boom")
        return real_load(source, **kwargs)

    monkeypatch.setattr(batch_inputs, "load", load)
    out = tmp_path / "out"
    result = invoke("convert", FAIL_FILE, PASS_FILE, "-o", out, "--format", "json")
    assert result.exit_code == 1
    by_name = {r["name"]: r for r in records(result)}
    assert by_name["pass"]["converted"] is True
    assert by_name["fail"]["converted"] is False
    assert [d["code"] for d in by_name["fail"]["diagnostics"]] == ["INTERNAL_ERROR"]
    assert "KeyError" in by_name["fail"]["diagnostics"][0]["message"]
    assert (out / "pass" / "handler.py").is_file()


# --------------------------------------------------------------------------------------
# run


def test_run_inline_pass_machine():
    result = invoke("run", PASS_TEXT)
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"a": 1}}


def test_run_pass_file_with_input():
    result = invoke("run", PASS_FILE, "--input", '{"ignored": true}')
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"a": 1}}


def test_run_fail_state():
    result = invoke("run", FAIL_FILE, "--input", "{}")
    assert result.exit_code == 1, result.output
    report = run_report(result)
    assert report["status"] == "FAILED"
    assert report["error"] == "Custom.Error"
    assert report["cause"] == "it went wrong"


@pytest.mark.parametrize("name", ["echo", ECHO_ARN])
def test_run_task_with_local_lambda(name):
    event = {"order": 7, "items": ["a", "b"]}
    result = invoke("run", TASK_FILE, "--input", json.dumps(event), "--lambda", f"{name}={ECHO_LAMBDA}")
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": event}


def test_run_task_with_local_lambda_function_name(tmp_path):
    module = tmp_path / "fns.py"
    module.write_text("def double(event, context):\n    return {'n': event['n'] * 2}\n", encoding="utf-8")
    result = invoke("run", TASK_FILE, "--input", '{"n": 21}', "--lambda", f"echo={module}:double")
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"n": 42}}


def test_run_input_from_file(tmp_path):
    data = tmp_path / "input.json"
    data.write_text('{"x": [1, 2]}', encoding="utf-8")
    result = invoke("run", TASK_FILE, "--input", f"@{data}", "--lambda", f"echo={ECHO_LAMBDA}")
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"x": [1, 2]}}


def test_run_input_from_stdin():
    result = invoke("run", TASK_FILE, "--input", "@-", "--lambda", f"echo={ECHO_LAMBDA}", input='{"y": 1}')
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"y": 1}}


def test_run_bad_input_is_usage_error():
    result = invoke("run", PASS_FILE, "--input", "{not json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--input" in result.stderr


def test_run_missing_input_file_is_usage_error(tmp_path):
    result = invoke("run", PASS_FILE, "--input", f"@{tmp_path / 'nope.json'}")
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize("spec", ["no-equals-sign", "echo=", "echo=/does/not/exist.py"])
def test_run_bad_lambda_spec_is_usage_error(spec):
    result = invoke("run", TASK_FILE, "--input", "{}", "--lambda", spec)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--lambda" in result.stderr


def test_run_missing_path_is_usage_error(tmp_path):
    assert invoke("run", tmp_path / "missing.json").exit_code == 2


def test_run_folder_is_usage_error():
    assert invoke("run", BATCH).exit_code == 2


def test_run_bad_timeout_is_usage_error():
    assert invoke("run", PASS_FILE, "--timeout", "0").exit_code == 2
    assert invoke("run", PASS_FILE, "--timeout", "soon").exit_code == 2


def test_run_malformed_definition_exits_1():
    result = invoke("run", MALFORMED_FILE)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "INVALID_JSON_DESCRIPTION" in result.stderr


def test_run_invalid_definition_exits_1():
    result = invoke("run", INVALID_FILE)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip()


def test_run_timeout(tmp_path, monkeypatch):
    # The CLI ends the process at once on TIMED_OUT (the overrunning Lambda function may still
    # be running in a thread); here that hard exit is replaced by an ordinary one.
    def exit_now(code):
        raise SystemExit(code)

    from asl2durable.run import local

    monkeypatch.setattr(local, "exit_now", exit_now)
    slow = tmp_path / "slow.py"
    slow.write_text("import time\n\ndef handler(event, context):\n    time.sleep(1.5)\n    return event\n")
    result = invoke("run", TASK_FILE, "--input", "{}", "--lambda", f"echo={slow}", "--timeout", "0.3")
    assert result.exit_code == 1, result.output
    report = run_report(result)
    assert report["status"] == "TIMED_OUT", report


# --------------------------------------------------------------------------------------
# run --aws moto --seed

import sys  # noqa: E402

SEED_TEXT = '{"buckets": {"cli-bucket": {"in.txt": "seeded text"}}, "queues": ["cli-queue"]}'


def test_run_pass_machine_with_aws_moto_and_seed(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(SEED_TEXT, encoding="utf-8")
    for value in (str(seed), f"@{seed}", SEED_TEXT):
        result = invoke("run", PASS_FILE, "--aws", "moto", "--seed", value)
        assert result.exit_code == 0, result.output
        assert run_report(result) == {"status": "SUCCEEDED", "output": {"a": 1}}


def test_run_with_aws_moto_serves_lambda_functions_the_seeded_resources(tmp_path):
    module = tmp_path / "read_s3.py"
    module.write_text(
        "import boto3\n\ndef handler(event, context):\n"
        "    body = boto3.client('s3').get_object(Bucket=event['Bucket'], Key=event['Key'])['Body'].read()\n"
        "    return {'text': body.decode()}\n",
        encoding="utf-8",
    )
    event = '{"Bucket": "cli-bucket", "Key": "in.txt"}'
    result = invoke(
        "run", TASK_FILE, "--input", event, "--lambda", f"echo={module}", "--aws", "moto", "--seed", SEED_TEXT
    )
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"text": "seeded text"}}


@pytest.mark.parametrize(
    "seed, message",
    [
        ("{not json", "not valid JSON"),
        ('{"queues": "q"}', "seed.queues"),
        ('{"buckets": {"b-1": {"k": 5}}}', "seed.buckets.b-1.k"),
        ("missing-seed.json", "cannot read seed file"),
    ],
)
def test_run_bad_seed_is_usage_error(seed, message):
    result = invoke("run", PASS_FILE, "--aws", "moto", "--seed", seed)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--seed" in result.stderr and message in result.stderr


def test_run_seed_moto_refuses_is_usage_error():
    seed = (
        '{"tables": {"t": {"key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],'
        ' "attributes": [{"AttributeName": "id", "AttributeType": "S"}], "items": [{"other": {"S": "x"}}]}}}'
    )
    result = invoke("run", PASS_FILE, "--aws", "moto", "--seed", seed)
    assert result.exit_code == 2
    assert "cannot create the seeded resources" in result.stderr


def test_run_seed_without_aws_moto_is_usage_error():
    result = invoke("run", PASS_FILE, "--seed", SEED_TEXT)
    assert result.exit_code == 2
    assert "--aws moto" in result.stderr


def test_run_bad_aws_choice_is_usage_error():
    assert invoke("run", PASS_FILE, "--aws", "localstack").exit_code == 2


def test_run_aws_moto_without_moto_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)
    result = invoke("run", PASS_FILE, "--aws", "moto")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "aws-local" in result.stderr


def test_run_aws_sdk_task_reads_a_seeded_object():
    definition = json.dumps(
        {
            "StartAt": "Get",
            "States": {
                "Get": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"},
                    "ResultSelector": {"Body.$": "$.Body", "ContentLength.$": "$.ContentLength"},
                    "End": True,
                }
            },
        }
    )
    event = '{"Bucket": "cli-bucket", "Key": "in.txt"}'
    result = invoke("run", definition, "--input", event, "--aws", "moto", "--seed", SEED_TEXT)
    assert result.exit_code == 0, result.output
    assert run_report(result) == {"status": "SUCCEEDED", "output": {"Body": "seeded text", "ContentLength": 11}}
    # without the seeded bucket the same call fails the way S3 does
    result = invoke("run", definition, "--input", event, "--aws", "moto")
    assert result.exit_code == 1, result.output
    assert run_report(result)["error"] == "S3.NoSuchBucketException"


def test_converting_the_same_inputs_twice_gives_byte_identical_folders(tmp_path):
    inputs = [Path(__file__).parent.parent / "examples", Path(__file__).parent / "fixtures" / "golden", BATCH]
    trees = []
    for run in ("first", "second"):
        out = tmp_path / run
        invoke("convert", *inputs, "-o", out)
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert any(name.endswith("handler.py") for name in files)
        trees.append(files)
    assert trees[0] == trees[1]


# --------------------------------------------------------------------------------------
# templates (CloudFormation / SAM) as inputs

TEMPLATES = Path(__file__).parent / "fixtures" / "templates"
SAM_APP = TEMPLATES / "sam-app" / "template.yaml"


def test_convert_template_records_each_machine_and_the_rewritten_template(tmp_path):
    result = invoke("convert", SAM_APP, "-o", tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    machines = [r for r in records(result) if r.get("kind") != "template"]
    [template] = [r for r in records(result) if r.get("kind") == "template"]
    assert [(r["name"], r["converted"]) for r in machines] == [("template-OrderMachine", True), ("template-RefundMachine", True)]
    assert all(set(r) == CONVERT_KEYS for r in machines)
    assert (template["name"], template["converted"], template["output"]) == (
        "template", True, str(tmp_path / "template" / "template.yaml"),
    )
    for name in ("template-OrderMachine", "template-RefundMachine"):
        assert (tmp_path / name / "handler.py").is_file()


def test_convert_template_text_mode(tmp_path):
    result = invoke("convert", TEMPLATES, "-o", tmp_path)
    assert result.exit_code == 1  # the template with DefinitionS3Location
    assert "ERROR DEFINITION_IN_S3 at /Resources/FromS3/Properties/DefinitionS3Location" in result.stdout
    assert f"template rewritten -> {tmp_path / 'template' / 'template.yaml'}" in result.stdout
    assert "5 of 6 converted, 1 skipped; 2 of 3 templates rewritten" in result.stdout
    assert "DefinitionUri of" in result.stderr  # statemachine/orders.asl.json belongs to the template


def test_validate_template(tmp_path):
    result = invoke("validate", SAM_APP, "--format", "json")
    assert result.exit_code == 0
    assert [(r["name"], r["valid"]) for r in records(result)] == [
        ("template-OrderMachine", True), ("template-RefundMachine", True), ("template", True),
    ]
    assert records(result)[-1]["kind"] == "template"  # what rewriting the template reports


def test_run_template_machine_reads_its_configuration(monkeypatch):
    monkeypatch.setenv("RefundFunctionArn", ECHO_ARN)
    monkeypatch.setenv("SFN_AWS_Region", "eu-west-1")
    monkeypatch.setenv("OrdersTable", "orders")
    result = invoke("run", SAM_APP, "--resource", "RefundMachine", "--input", '{"n": 1}', "--lambda", f"echo={ECHO_LAMBDA}")
    assert result.exit_code == 0, result.output
    assert run_report(result)["output"]["region"] == "eu-west-1"


@pytest.mark.parametrize("extra, message", [([], "several state machines"), (["--resource", "Nope"], "no state machine Nope")])
def test_run_template_needs_one_machine(extra, message):
    result = invoke("run", SAM_APP, *extra)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_convert_in_parallel_gives_what_one_job_gives(tmp_path, monkeypatch, fmt):
    """``-j 2`` and ``-j 0`` (one per CPU): the same stdout, exit code and files as ``-j 1``, in
    input order, with a failing input and a template (whose machines' records cross processes)."""
    outcomes = []
    for jobs in ("1", "2", "0"):
        (tmp_path / jobs).mkdir()
        monkeypatch.chdir(tmp_path / jobs)
        result = invoke("convert", BATCH, PASS_FILE, SAM_APP, FAIL_FILE, "-o", "out", "--format", fmt, "-j", jobs)
        files = {p.relative_to("out").as_posix(): p.read_bytes() for p in sorted(Path("out").rglob("*")) if p.is_file()}
        outcomes.append((result.exit_code, result.stdout, files))
    assert outcomes[0][0] == 1 and any(name.endswith("template.yaml") for name in outcomes[0][2])
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_validate_reports_what_the_template_rewrite_would(tmp_path):
    """Issue 16 part 5: validate prints the WARNINGs convert prints for a template, its rewrite's too."""
    template = Path(__file__).parent / "fixtures" / "rewrite" / "parent-child.yaml"
    runner = CliRunner()
    result = runner.invoke(cli.main, ["validate", str(template)])
    assert result.exit_code == 0, result.output
    assert "parent-child.yaml:" in result.output and "WARNING STATE_MACHINE_REFERENCE_UNRESOLVED" in result.output
    assert result.output.strip().splitlines()[-1].endswith("; 1 template rewrite checked, 0 invalid")
    strict = runner.invoke(cli.main, ["validate", str(template), "--strict"])
    assert strict.exit_code == 1
    records = json.loads(runner.invoke(cli.main, ["validate", str(template), "--format", "json"]).output)
    rewrite = [r for r in records if r.get("kind") == "template"]
    assert len(rewrite) == 1 and any(d["code"] == "STATE_MACHINE_REFERENCE_REWRITTEN" for d in rewrite[0]["diagnostics"])
    # convert reports the same rewrite diagnostics
    converted = runner.invoke(cli.main, ["convert", str(template), "-o", str(tmp_path / "out"), "--format", "json"])
    written = [r for r in json.loads(converted.output) if r.get("kind") == "template"][0]
    assert {d["code"] for d in written["diagnostics"]} == {d["code"] for d in rewrite[0]["diagnostics"]}
