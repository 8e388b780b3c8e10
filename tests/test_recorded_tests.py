"""``convert --history``: a test per recorded execution in the generated test_handler.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import black
import pytest
from click.testing import CliRunner

from asl2durable import recorded
from asl2durable.cli import main
from asl2durable.translate import translate
from tests.generated import generated_test_failures

CASES = Path(__file__).parent / "fixtures" / "conformance" / "cases"

# conformance cases recorded on AWS: name -> what the execution does
RECORDED = {
    "retry_catch": "scenarios.test_base_scenarios.test_lambda_invoke_with_retry_base.392dace9.json",  # Lambda, Retry, Catch
    "map": "scenarios.test_base_scenarios.test_map_state_retry.85f38e9c.json",  # a Map that fails
    "parallel": "scenarios.test_base_scenarios.test_parallel_state_retry.887d494f.json",  # a Parallel that fails
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


def _pytest(folder: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_handler.py"]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)


def test_recorded_executions_become_tests_the_folder_passes(tmp_path):
    folders = [_convert(tmp_path, key) for key in RECORDED]
    for folder in folders:
        text = (folder / "test_handler.py").read_text()
        assert text.count("def test_recorded_") == 1, folder.name
        assert black.format_str(text, mode=black.Mode(line_length=100)) == text
        assert "assert run.mismatches() == []" in text and "assert run.attempts() == " in text
    retry = (folders[0] / "test_handler.py").read_text()
    assert 'assert run.attempts() == {"InvokeLambdaWithRetry": 4}' in retry
    assert retry.count('"outcome": "failed"') == 4  # every attempt's answer, written out
    assert "assert asl_testing.difference(output, run.outcome.output) is None" in retry
    service = (folders[3] / "test_handler.py").read_text()
    assert 'assert run.outcome.status == "FAILED"' in service and "cause_difference(cause, run.outcome.cause)" in service
    assert generated_test_failures(folders) == []


MUTATIONS = {
    # one retry less: the recorded fourth attempt is not made, and the end differs
    "retry_catch": ('rt.Retrier(["States.ALL"])', 'rt.Retrier(["States.ALL"], max_attempts=2)', "not made"),
    # another parameter value: the call's payload differs from the recorded one
    "service": ('rt.get(run, state, data, "$.Item", "Item.$")', '{"id": {"S": "id2"}}', "payload.Item"),
}


@pytest.mark.parametrize("key", sorted(MUTATIONS))
def test_the_recorded_test_fails_when_the_translation_is_wrong(tmp_path, key):
    folder = _convert(tmp_path, key)
    before, after, says = MUTATIONS[key]
    handler = folder / "handler.py"
    assert before in handler.read_text()
    handler.write_text(handler.read_text().replace(before, after))
    run = _pytest(folder)
    assert run.returncode == 1, run.stdout
    assert "FAILED test_handler.py::test_recorded_" in run.stdout and says in run.stdout, run.stdout[-3000:]


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
    assert f'(RECORDED / "{name.split("/")[1]}")' in text and '"outcome": "failed"' not in text
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
