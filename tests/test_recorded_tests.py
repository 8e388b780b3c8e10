"""``convert --history``: a test per recorded execution in the generated test_handler.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import black
import pytest
from click.testing import CliRunner

from asl2durable.run import recorded
from asl2durable.cli import main
from asl2durable.translate import translate
from tests.generated import generated_test_failures

pytestmark = pytest.mark.slow  # recorded executions turned into generated tests and run by pytest

CASES = Path(__file__).parent / "fixtures" / "conformance" / "cases"

# conformance cases recorded on AWS: name -> what the execution does (a Map and a Parallel with
# calls: the get-execution-history-shaped machine below)
RECORDED = {
    "retry_catch": "scenarios.test_base_scenarios.test_lambda_invoke_with_retry_base.392dace9.json",  # Lambda, Retry, Catch
    "service": "error_handling.test_task_service_dynamodb.test_put_item_no_such_table.5e66e0d4.json",  # fails
    "callback": "callback.test_callback.test_sqs_failure_in_wait_for_task_tok_no_error_field_SQS_WAIT_FOR_TASK_TOKEN_CATCH.236ad084.json",
}


def _convert(tmp_path: Path, key: str, *extra: str) -> Path:
    """``convert`` the case's definition with its history; the folder written."""
    case = CASES / RECORDED[key]
    definition = tmp_path / f"{key}.asl.json"
    definition.write_text(json.dumps(json.loads(case.read_text())["definition"]))
    result = CliRunner().invoke(main, ["convert", str(definition), "--history", str(case), "-o", str(tmp_path / "out"), *extra])
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / key


def _recorded_tests(folders: list[Path]) -> list[subprocess.CompletedProcess]:
    """pytest on the recorded tests of each folder, two folders at a time."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "test_recorded_", "test_handler.py"]
    done: list[subprocess.CompletedProcess] = []
    for pair in (folders[i:i + 2] for i in range(0, len(folders), 2)):
        running = [subprocess.Popen(command, cwd=f, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for f in pair]
        for process in running:
            output, _ = process.communicate(timeout=300)
            done.append(subprocess.CompletedProcess(command, process.returncode, output))
    return done


def test_recorded_executions_become_tests_the_folder_passes(tmp_path):
    folders = [_convert(tmp_path, key) for key in RECORDED]
    for folder in folders:
        text = (folder / "test_handler.py").read_text()
        assert text.count("def test_recorded_") == 1, folder.name
        assert black.format_str(text, mode=black.Mode()) == text
        assert "assert run.mismatches() == []" in text and "assert run.attempts() == " in text
    retry = (folders[0] / "test_handler.py").read_text()
    assert 'assert run.attempts() == {"InvokeLambdaWithRetry": 4}' in retry
    assert retry.count('"outcome": "failed"') == 4  # every attempt's answer, written out
    assert "assert asl_testing.difference(output, run.outcome.output) is None" in retry
    service = (folders[1] / "test_handler.py").read_text()
    assert 'assert run.outcome.status == "FAILED"' in service and "cause_difference(cause, run.outcome.cause)" in service
    assert generated_test_failures(folders) == []


def test_the_recorded_test_fails_when_the_generated_handler_is_edited(tmp_path):
    folder = _convert(tmp_path, "service")
    handler = folder / "handler.py"
    # another parameter value: the call's payload differs from the recorded one
    before, after = '"Item": data["Item"]', '"Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id2"}}'
    assert before in handler.read_text()
    handler.write_text(handler.read_text().replace(before, after))
    [run] = _recorded_tests([folder])
    assert run.returncode == 1, run.stdout
    assert "FAILED test_handler.py::test_recorded_" in run.stdout
    assert 'PutItem (dynamodb:putItem, attempt 1): payload.Item.id.S: recorded "id1", got "id2"' in run.stdout, run.stdout


def test_a_long_recording_is_read_from_a_recorded_file(tmp_path, monkeypatch):
    monkeypatch.setattr(recorded, "INLINE_CALLS", 2)  # the retried Lambda Task has four attempts
    case = json.loads((CASES / RECORDED["retry_catch"]).read_text())
    translation = translate(case["definition"], name="retry")
    files, skipped = recorded.with_recorded(translation, case["definition"], recorded.load([CASES / RECORDED["retry_catch"]]))
    assert skipped == []
    [name] = [name for name in files if name.startswith("recorded/")]
    data = json.loads(files[name])
    assert data["attempts"] == {"InvokeLambdaWithRetry": 4} and len(data["calls"]) == 4
    assert data["input"] == case["input"]  # the case's own: its history's input has placeholders
    text = files["test_handler.py"]
    flat = " ".join(text.split()).replace("( ", "(").replace(" )", ")")
    assert f'(RECORDED / "{name.split("/")[1]}")' in flat and '"outcome": "failed"' not in text
    folder = tmp_path / "retry"
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(content)
    assert generated_test_failures([folder]) == []


def test_an_execution_that_cannot_be_replayed_gets_no_test_and_a_warning(tmp_path):
    case = CASES / RECORDED["retry_catch"]
    events = json.loads(case.read_text())["history"][:-1]  # not ended
    history = tmp_path / "running.json"
    history.write_text(json.dumps({"events": events}))
    definition = tmp_path / "retry.asl.json"
    definition.write_text(json.dumps(json.loads(case.read_text())["definition"]))
    result = CliRunner().invoke(main, ["convert", str(definition), "--history", str(history), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "HISTORY_NOT_TESTED" in result.output and "has not ended" in result.output
    assert "test_recorded_" not in (tmp_path / "out" / "retry" / "test_handler.py").read_text()


@pytest.mark.parametrize(
    "content, says",
    [
        ("not json", "is not JSON"),
        ('{"events": 3}', "is not an execution history"),
        ("[]", "no events"),
    ],
)
def test_cli_history_that_is_not_one_is_a_usage_error(tmp_path, content, says):
    definition = tmp_path / "m.asl.json"
    definition.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = CliRunner().invoke(main, ["convert", str(definition), "--history", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Invalid value for --history" in result.output and says in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists()


def test_cli_history_needs_one_state_machine(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.asl.json").write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    history = CASES / RECORDED["retry_catch"]
    result = CliRunner().invoke(
        main, ["convert", str(tmp_path / "a.asl.json"), str(tmp_path / "b.asl.json"), "--history", str(history), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "belong to one state machine; 2 were given" in result.output


# A machine recorded as get-execution-history prints it (tests/test_verify.py): a retried Lambda
# Task, a Choice, a Map whose iterations call lambda:invoke (their events interleaved), a Parallel
# with an SQS call; a succeeded and a failed execution.
def _orders(tmp_path: Path, definition: dict, name: str = "orders") -> Path:
    from tests.test_verify import failed_history, succeeded_history

    histories = tmp_path / "histories"
    histories.mkdir(parents=True, exist_ok=True)
    (histories / "shipped.json").write_text(json.dumps(succeeded_history()))
    (histories / "too-small.json").write_text(json.dumps(failed_history()))
    source = tmp_path / f"{name}.asl.json"
    source.write_text(json.dumps(definition))
    result = CliRunner().invoke(main, ["convert", str(source), "--history", str(histories), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / name


def test_a_history_with_a_map_and_a_parallel_becomes_a_test_the_folder_passes(tmp_path):
    from tests.test_verify import DEFINITION

    folder = _orders(tmp_path, DEFINITION)
    text = (folder / "test_handler.py").read_text()
    assert "def test_recorded_shipped()" in text and "def test_recorded_too_small()" in text
    # each attempt names its Task visit, inside the iteration or branch it ran in
    assert '"visit": "Ship[1]/Pack"' in text and '"visit": "Notify[1]/Queue"' in text
    assert '"Charge": 2' in text  # the retried Lambda Task: two attempts
    assert 'account_id="123456789012"' in text  # the account of the machine's functions
    assert generated_test_failures([folder]) == []


# deliberately wrong translations (tests/test_verify.py's mutants of the definition) and what the
# recorded test then reports
WRONG = {
    "Retry MaxAttempts": "Charge (arn:aws:lambda:us-east-1:123456789012:function:charge, attempt 2): not made",
    "an ItemSelector": 'Ship[0]/Pack (lambda:invoke, attempt 1): payload.order: recorded "o-1", got 120',  # sku a's
    "a parameter in a branch": 'Notify[1]/Queue (sqs:sendMessage, attempt 1): payload.MessageBody: recorded "o-1", got 120',
    "an OutputPath": "assert '$[0]: recorded",
}


def test_the_recorded_tests_find_wrong_translations_of_a_map_and_a_parallel(tmp_path):
    from tests.test_verify import MUTANTS, mutant

    folders = [_orders(tmp_path / str(i), mutant(MUTANTS[name][0])) for i, name in enumerate(WRONG)]
    for name, run in zip(WRONG, _recorded_tests(folders)):
        assert run.returncode == 1, f"{name}: {run.stdout[-2000:]}"
        assert "FAILED test_handler.py::test_recorded_shipped" in run.stdout, name
        assert WRONG[name] in run.stdout, f"{name}: {run.stdout[-3000:]}"


def test_the_recorded_start_time_and_role_are_the_runs(tmp_path):
    from tests.test_verify import History

    definition = {
        "StartAt": "Stamp",
        "States": {
            "Stamp": {
                "Type": "Pass",
                "Parameters": {"started.$": "$$.Execution.StartTime", "role.$": "$$.Execution.RoleArn"},
                "End": True,
            }
        },
    }
    h = History()
    role = "arn:aws:iam::123456789012:role/sfn"
    h.add("ExecutionStarted", 0, "executionStartedEventDetails", input={}, roleArn=role)
    e = h.entered("Pass", "Stamp", {})
    output = {"started": "2026-11-30T10:00:01.001Z", "role": role}
    e = h.exited("Pass", "Stamp", output, e)
    h.add("ExecutionSucceeded", e, "executionSucceededEventDetails", output=output)
    (tmp_path / "stamp.asl.json").write_text(json.dumps(definition))
    (tmp_path / "stamped.json").write_text(json.dumps(h.doc()))
    result = CliRunner().invoke(
        main, ["convert", str(tmp_path / "stamp.asl.json"), "--history", str(tmp_path / "stamped.json"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "stamp"
    text = (folder / "test_handler.py").read_text()
    assert 'start="2026-11-30T10:00:01.001000Z"' in text and f'role_arn="{role}"' in text
    assert generated_test_failures([folder]) == []
