"""Tests from recorded executions: ``asl2durable convert PATH --history DIR_OR_FILE...``.

Each recorded execution (a history as ``aws stepfunctions get-execution-history`` prints it, or
a conformance case, whose ``input`` is then the one run) becomes a test in ``test_handler.py``:
the recorded input and calls written out as data (in the test, or in ``recorded/<name>.json``
beside it when they would not read well inline), the handler run with every call answered as
recorded (``asl_testing.run_recorded``), then the calls' payloads, the attempts per Task visit
and the end asserted.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.load import history as _history
from asl2durable.load.history import Execution, HistoryError, Lane

# Data written inline in the test up to these sizes; beyond, in recorded/<name>.json
INLINE_CALLS = 20
INLINE_CHARS = 4000

@dataclass
class Recording:
    """One recorded execution, as read from its file(s)."""

    source: str  # the first file, as given
    events: list[dict]
    input: Any = None  # with given_input: a conformance case's input (its history's has placeholders)
    given_input: bool = False


@dataclass
class RecordedCase:
    """One test of the generated ``test_handler.py`` (see the template)."""

    name: str
    source: str
    status: str
    input: Any
    calls: list[dict]
    attempts: dict[str, int]
    output: Any = None
    check_output: bool = True
    error: Any = None
    check_error: bool = True
    cause: Any = None
    file: str | None = None  # recorded/<name>.json, when the data is not inline
    options: dict = field(default_factory=dict)  # run_recorded's region, account_id, start, role_arn

    @property
    def source_name(self) -> str:
        return Path(self.source).name

    @property
    def file_name(self) -> str | None:
        return Path(self.file).name if self.file else None


def load(paths: Iterable[str | Path]) -> list[Recording]:
    """The executions in ``paths`` (files and folders, see ``history.discover``); a file that is
    not a history raises :class:`HistoryError` naming it."""
    groups = _history.discover(paths)
    if not groups:
        raise HistoryError("no history files found")
    out = []
    for files in groups:
        for file in files:
            if not file.exists():
                raise HistoryError(f"{file} does not exist")
        recording = Recording(str(files[0]), _history.load_events(files))
        if len(files) == 1:
            data = json.loads(files[0].read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("history"), list) and "input" in data:
                # a conformance case: where its history's input has <placeholders>, the case's own input
                recorded = next((_history.decode((e.get("executionStartedEventDetails") or {}).get("input"))
                                 for e in recording.events if e.get("type") == "ExecutionStarted"), None)
                if _history.PLACEHOLDER.search(json.dumps(recorded)):
                    recording.input, recording.given_input = data["input"], True
        out.append(recording)
    return out


def recorded_calls(execution: Execution) -> list[dict]:
    """The recorded attempts of ``execution``, in the history's order, as ``asl_testing.Recorded``
    takes them (``verify`` hands them out; the generated tests write them out). Each names its Task
    visit: the state, inside the branches and iterations around it (``Ship[1]/Pack``: iteration 1
    of the Map state Ship), with ``#n`` for its n-th visit in that lane (a loop)."""
    calls: list[dict] = []

    def walk(lane: Lane, where: str) -> None:
        seen: dict[str, int] = {}
        for visit in lane.visits:
            seen[visit.state] = seen.get(visit.state, 0) + 1
            label = where + visit.state + (f" #{seen[visit.state]}" if seen[visit.state] > 1 else "")
            for attempt, call in enumerate(visit.calls, 1):
                calls.append({
                    "state": visit.state, "visit": label, "attempt": attempt, "kind": call.service,
                    "function": call.function, "parameters": call.parameters, "outcome": call.outcome,
                    "output": call.output, "error": call.error, "cause": call.cause,
                })
            for index in sorted(visit.lanes):
                walk(visit.lanes[index], f"{label}[{index}]/")

    walk(execution.root, "")
    return calls


def _slug(source: str) -> str:
    stem = Path(source).name.removesuffix(".json")
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", stem.lower())).strip("_")[:60].rstrip("_") or "execution"


def cases(definition: dict, recordings: list[Recording]) -> tuple[list[RecordedCase], list[str]]:
    """The tests for ``recordings`` of the machine ``definition``, and why any execution got none."""
    from asl2durable.run.local import _home

    text = json.dumps(definition)
    reads_context = "$$" in text or "$states.context" in text  # the context object (JSONPath, JSONata)

    region, account = _home(definition)
    options = {}  # where the run takes place (run_handler's defaults: us-east-1, 111111111111)
    if region != "us-east-1":
        options["region"] = region
    if account != "111111111111":
        options["account_id"] = account
    out, skipped, names = [], [], set()
    for recording in recordings:
        execution = _history.read(recording.events, definition, recording.source)
        if recording.given_input:
            execution.input = recording.input
        why = _history.cannot_replay(execution, definition)
        if why is None and execution.status == "TIMED_OUT":
            why = "the execution timed out (a test does not wait that long)"
        if why is not None:
            skipped.append(f"{recording.source}: no test: {why}")
            continue
        name = base = f"test_recorded_{_slug(recording.source)}"
        n = 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.add(name)
        # each attempt: its Task visit ("Charge", "Charge #2"), attempt (after the first), kind, function,
        # parameters and answer; what was not recorded (None) left out
        calls = [
            {key: value for key, value in call.items() if value is not None and key != "state" and (key, value) != ("attempt", 1)}
            for call in recorded_calls(execution)
        ]
        attempts: dict[str, int] = {}
        for call in calls:
            attempts[call["visit"]] = attempts.get(call["visit"], 0) + 1
        context = dict(options)
        if reads_context:  # $$.Execution.StartTime and RoleArn as recorded
            started = _history.epoch(execution.start)
            if started is not None:
                context["start"] = _dt.datetime.fromtimestamp(started, _dt.UTC).isoformat().replace("+00:00", "Z")
            if execution.role_arn:
                context["role_arn"] = execution.role_arn
        error_is_placeholder = isinstance(execution.error, str) and bool(_history.PLACEHOLDER.fullmatch(execution.error))
        case = RecordedCase(
            name, recording.source, execution.status or "", execution.input, calls, attempts,
            output=execution.output, check_output=not execution.output_truncated,
            error=execution.error, check_error=not error_is_placeholder, cause=execution.cause, options=context,
        )
        size = len(json.dumps([case.input, case.calls, case.output, case.cause], default=str))
        if len(calls) > INLINE_CALLS or size > INLINE_CHARS:
            case.file = f"recorded/{name.removeprefix('test_recorded_')}.json"
        out.append(case)
    return out, skipped


def recording_file(case: RecordedCase) -> str:
    """``recorded/<name>.json``: what the test reads when its data is not inline."""
    data: dict[str, Any] = {"source": Path(case.source).name, "input": case.input, "calls": case.calls,
                            "attempts": case.attempts, "status": case.status}
    if case.status == "SUCCEEDED":
        data["output"] = case.output
    else:
        data["error"], data["cause"] = case.error, case.cause
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def with_recorded(translation: Any, definition: dict, recordings: list[Recording]) -> tuple[dict[str, str], list[str]]:
    """The translation's files with a test per recorded execution (test_handler.py rendered again,
    recorded/*.json added), and the notes on executions that got no test."""
    from asl2durable.render.testgen import render_tests

    found, skipped = cases(definition, recordings)
    files = dict(translation.files)
    files["test_handler.py"] = render_tests(translation.workflow, recorded=found)
    for case in found:
        if case.file is not None:
            files[case.file] = recording_file(case)
    return files, skipped
