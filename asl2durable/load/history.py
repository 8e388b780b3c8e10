"""Recorded Step Functions executions, as ``aws stepfunctions get-execution-history`` prints them.

A history is a flat list of events. :func:`read` turns it into what happened, state by state:
the execution's input and end, and a tree of *lanes* (the execution, each Parallel branch, each
Map iteration), each a list of *visits* (a state entered, its input, the calls it made, one per
attempt, with what they answered, and its output). ``verify`` runs a translation against it
and compares the same tree built from the run.

Events are placed by ``previousEventId`` where the history keeps it, and by the definition where
it does not (some tools renumber concurrent events): a state's lane is the innermost branch or
iteration of the Parallel or Map state that contains it, whose state names are unique in a
machine.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# the fields of event details that Step Functions writes as JSON text
_JSON_FIELDS = ("input", "output", "parameters")

# a recorded value normalised to a token, as ``<uuid:1>`` or ``<region>`` (``--placeholders``)
PLACEHOLDER = re.compile(r"<[^<>\s]+>")


class HistoryError(ValueError):
    """A file that is not an execution history (the message says why)."""


@dataclass
class Call:
    """One attempt of a Task: a Lambda function or a service called, and what it answered."""

    event: int | None  # the TaskScheduled / LambdaFunctionScheduled event
    service: str  # "lambda" (a function ARN as Resource), or "sqs:sendMessage", "lambda:invoke", ...
    parameters: Any  # as sent (a function ARN Resource: the payload)
    function: str | None = None  # the function ARN of a function ARN Resource
    outcome: str | None = None  # "succeeded", "failed", "timed out"; None: no answer recorded
    output: Any = None
    error: str | None = None
    cause: Any = None
    timeout: int | None = None  # timeoutInSeconds, where recorded
    submitted: Any = None  # a .waitForTaskToken call's send result (TaskSubmitted)


@dataclass
class Visit:
    """A state entered once: its input, its calls, its branches or iterations, its output."""

    state: str
    kind: str  # the state type as the events name it: Task, Pass, Map, ...
    event: int | None  # the StateEntered event
    input: Any = None
    input_truncated: bool = False
    exited: bool = False
    output: Any = None
    output_truncated: bool = False
    exit_event: int | None = None
    timestamp: Any = None
    calls: list[Call] = field(default_factory=list)
    lanes: dict[int, Lane] = field(default_factory=dict)  # by branch / iteration index
    error: tuple[str | None, Any] | None = None  # (translated runs only) the error it raised
    # a Distributed Map whose iterations ran in child executions (a Map Run): their events are
    # in those executions' histories, not in this one
    map_run: bool = False


@dataclass
class Lane:
    """The states one (sub-)machine ran, in order: the execution, a branch or an iteration."""

    machine: tuple[str, int | None] | None = None  # None: the execution; (Parallel, branch) or (Map, None)
    parent: Lane | None = None
    owner: Visit | None = None
    index: int | None = None
    visits: list[Visit] = field(default_factory=list)

    def open_visit(self, state: str) -> Visit | None:
        for visit in reversed(self.visits):
            if visit.state == state:
                return visit
        return None

    def walk(self) -> Iterator[Visit]:
        for visit in self.visits:
            yield visit
            for index in sorted(visit.lanes):
                yield from visit.lanes[index].walk()


@dataclass
class Execution:
    """A recorded execution: where it came from, its input, its lanes and its end."""

    source: str
    events: int = 0
    input: Any = None
    input_truncated: bool = False
    start: Any = None  # the ExecutionStarted event's timestamp
    role_arn: str | None = None  # the execution's role ($$.Execution.RoleArn)
    root: Lane = field(default_factory=Lane)
    status: str | None = None  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED; None: not ended
    output: Any = None
    output_truncated: bool = False
    error: str | None = None
    cause: Any = None
    end_event: int | None = None
    unplaced: list[int] = field(default_factory=list)  # events that could not be placed
    redriven: bool = False  # an ExecutionRedriven event: a failed execution run again from where it failed

    def calls(self) -> Iterator[Call]:
        for visit in self.root.walk():
            yield from visit.calls


# --------------------------------------------------------------------------- reading files


def load_events(paths: Iterable[str | Path]) -> list[dict]:
    """The events of one execution, from one or more files (pages of one history, in any order):
    each is ``{"events": [...]}`` as the CLI prints it, or a bare list of events."""
    events: dict[Any, dict] = {}
    unnumbered: list[dict] = []
    for path in paths:
        for event in _file_events(Path(path)):
            key = event.get("id")
            if isinstance(key, int):
                events[key] = event
            else:
                unnumbered.append(event)
    if not events and not unnumbered:
        raise HistoryError("no events")
    if unnumbered:  # a tool renumbered some events: keep the files' order
        ordered: list[dict] = []
        for path in paths:
            ordered.extend(_file_events(Path(path)))
        return ordered
    return [events[k] for k in sorted(events)]


def _file_events(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise HistoryError(f"cannot read {path}: {err}") from None
    except ValueError as err:
        raise HistoryError(f"{path} is not JSON: {err}") from None
    if isinstance(data, dict) and isinstance(data.get("history"), list):  # a conformance case
        data = data["history"]
    if isinstance(data, dict):
        data = data.get("events")
    if not isinstance(data, list) or not all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in data):
        raise HistoryError(f"{path} is not an execution history: expected {{\"events\": [...]}} as get-execution-history prints it")
    return data


def discover(paths: Iterable[str | Path]) -> list[list[Path]]:
    """Group history files into executions: a folder gives one execution per ``*.json`` file
    in it (sorted); files named ``NAME.pageN.json`` / ``NAME-pageN.json`` are pages of ``NAME``."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        else:
            files.append(path)
    groups: dict[str, list[Path]] = {}
    for file in files:
        stem = re.sub(r"[.-]page\d+$", "", file.name.removesuffix(".json"))
        groups.setdefault(str(file.parent / stem), []).append(file)
    return list(groups.values())


def decode(value: Any) -> Any:
    """A field Step Functions writes as JSON text, as its value (text that is not JSON: as is)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --------------------------------------------------------------------------- placing events


def containers(definition: dict) -> dict[str, tuple[str, int | None] | None]:
    """For each state name: the (Parallel state, branch index) or (Map state, None) whose
    machine it is a state of; None for the top-level machine."""
    found: dict[str, tuple[str, int | None] | None] = {}

    def walk(machine: Any, where: tuple[str, int | None] | None) -> None:
        states = machine.get("States") if isinstance(machine, dict) else None
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            found.setdefault(name, where)
            if not isinstance(state, dict):
                continue
            for i, branch in enumerate(state.get("Branches") or []):
                walk(branch, (name, i))
            inner = state.get("ItemProcessor") or state.get("Iterator")
            if inner is not None:
                walk(inner, (name, None))

    walk(definition, None)
    return found


_END = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
_CALL_STARTS = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
_CALL_ENDS = {
    "TaskSucceeded": "succeeded",
    "TaskFailed": "failed",
    "TaskTimedOut": "timed out",
    "TaskStartFailed": "failed",
    "TaskSubmitFailed": "failed",
    "LambdaFunctionSucceeded": "succeeded",
    "LambdaFunctionFailed": "failed",
    "LambdaFunctionTimedOut": "timed out",
    "LambdaFunctionStartFailed": "failed",
    "LambdaFunctionScheduleFailed": "failed",
    "ActivitySucceeded": "succeeded",
    "ActivityFailed": "failed",
    "ActivityTimedOut": "timed out",
    "ActivityScheduleFailed": "failed",
}


def _details(event: dict) -> dict:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _truncated(details: dict, name: str) -> bool:
    return bool((details.get(f"{name}Details") or {}).get("truncated"))


def read(events: list[dict], definition: dict, source: str = "") -> Execution:
    """What the events say happened, state by state (see the module's docstring)."""
    return _Reader(definition, source).read(events)


class _Reader:
    def __init__(self, definition: dict, source: str):
        self.where = containers(definition)
        self.execution = Execution(source)
        self.lane_of: dict[int, Lane] = {}  # event id -> the lane it happened in
        self.last: Lane = self.execution.root
        self.visits: dict[str, list[tuple[Lane, Visit]]] = {}  # by state name, in order
        self.order: dict[int, int] = {}  # id(visit) -> its place in entry order

    def read(self, events: list[dict]) -> Execution:
        execution = self.execution
        execution.events = len(events)
        for event in events:
            kind = event["type"]
            details = _details(event)
            base = self._base(event)
            lane = self._place(kind, details, base, event)
            if lane is None:
                execution.unplaced.append(event.get("id"))
                lane = base
            if isinstance(event.get("id"), int):
                self.lane_of[event["id"]] = lane
            self.last = lane
        return execution

    def _base(self, event: dict) -> Lane:
        previous = event.get("previousEventId")
        if isinstance(previous, int) and previous in self.lane_of:
            return self.lane_of[previous]
        return self.last

    def _place(self, kind: str, details: dict, base: Lane, event: dict) -> Lane | None:
        ident = event.get("id") if isinstance(event.get("id"), int) else None
        if kind in ("ExecutionStarted", "ExecutionRedriven") or kind in _END:
            return self._execution_event(kind, details, base, event, ident)
        if kind.endswith("StateEntered"):
            return self._enter(details.get("name", ""), kind.removesuffix("StateEntered"), details, base, event, ident)
        if kind.endswith("StateExited"):
            return self._exit(details, base, ident)
        if kind == "MapIterationStarted":
            lane, visit = self._find(details.get("name", ""), base)
            if visit is None:
                return None
            index = int(details.get("index", len(visit.lanes)))
            return visit.lanes.setdefault(index, Lane((visit.state, None), lane, visit, index))
        if kind == "MapRunStarted":
            if base.visits:
                base.visits[-1].map_run = True
            return base
        if kind in _CALL_STARTS:
            lane, visit = (base, base.visits[-1] if base.visits else None) if ident is not None else self._next_task()
            if visit is None:
                return None
            visit.calls.append(self._call(kind, details, ident))
            return lane
        if kind in _CALL_ENDS or kind == "TaskSubmitted":
            return self._answer(kind, details, base, ident)
        return base  # Map/Parallel/MapRun bookkeeping, EvaluationFailed, ...: where they came from

    def _execution_event(self, kind: str, details: dict, base: Lane, event: dict, ident: int | None) -> Lane:
        """The execution started, was redriven, or ended."""
        execution = self.execution
        if kind == "ExecutionStarted":
            execution.input = decode(details.get("input"))
            execution.input_truncated = _truncated(details, "input")
            execution.start = event.get("timestamp")
            execution.role_arn = details.get("roleArn")
            return execution.root
        if kind == "ExecutionRedriven":
            execution.redriven = True
            return base
        execution.status = _END[kind]
        execution.end_event = ident
        execution.output = decode(details.get("output"))
        execution.output_truncated = _truncated(details, "output")
        execution.error = details.get("error")
        execution.cause = details.get("cause")
        return base

    def _exit(self, details: dict, base: Lane, ident: int | None) -> Lane | None:
        lane, visit = self._find(details.get("name", ""), base)
        if visit is None:
            return None
        visit.exited, visit.exit_event = True, ident
        visit.output = decode(details.get("output"))
        visit.output_truncated = _truncated(details, "output")
        return lane

    def _answer(self, kind: str, details: dict, base: Lane, ident: int | None) -> Lane | None:
        """A call's answer (or a .sync job's submission): on the call it answers."""
        if ident is not None:
            call = base.visits[-1].calls[-1] if base.visits and base.visits[-1].calls else None
        else:
            call = self._unanswered()
        if call is None:
            return None
        if kind == "TaskSubmitted":
            call.submitted = decode(details.get("output"))
            return base
        call.outcome = _CALL_ENDS[kind]
        call.output = decode(details.get("output"))
        call.error = details.get("error")
        call.cause = details.get("cause")
        return base

    # Renumbered events (no id to follow): a call belongs to the first Task entered that has no
    # call yet, an answer to the first call without one.
    def _next_task(self) -> tuple[Lane, Visit | None]:
        tasks = [(lane, visit) for entries in self.visits.values() for lane, visit in entries if visit.kind == "Task"]
        tasks.sort(key=lambda entry: self.order[id(entry[1])])
        for lane, visit in tasks:
            if not visit.calls:
                return lane, visit
        return tasks[-1] if tasks else (self.last, None)

    def _unanswered(self) -> Call | None:
        for call in self.execution.calls():
            if call.outcome is None:
                return call
        return None

    def _call(self, kind: str, details: dict, ident: int | None) -> Call:
        if kind == "LambdaFunctionScheduled":
            return Call(ident, "lambda", decode(details.get("input")), function=details.get("resource"),
                        timeout=details.get("timeoutInSeconds"))
        if kind == "ActivityScheduled":
            return Call(ident, "activity", decode(details.get("input")), function=details.get("resource"),
                        timeout=details.get("timeoutInSeconds"))
        service = f"{details.get('resourceType', '')}:{details.get('resource', '')}"
        return Call(ident, service, decode(details.get("parameters")), timeout=details.get("timeoutInSeconds"))

    def _enter(self, state: str, kind: str, details: dict, base: Lane, event: dict, ident: int | None) -> Lane | None:
        target = self.where.get(state)
        lane = self._lane_for(target, base)
        if lane is None:
            return None
        visit = Visit(state, kind, ident, decode(details.get("input")), _truncated(details, "input"),
                      timestamp=event.get("timestamp"))
        lane.visits.append(visit)
        self.visits.setdefault(state, []).append((lane, visit))
        self.order[id(visit)] = len(self.order)
        return lane

    def _lane_for(self, target: tuple[str, int | None] | None, base: Lane) -> Lane | None:
        """The lane of a state of machine ``target``, seen from ``base`` (the lane of the event
        before): ``base`` or one around it; else a new branch / the current iteration of the
        innermost Parallel / Map visit around ``base``."""
        lane: Lane | None = base
        while lane is not None:
            if lane.machine == target:
                return lane
            lane = lane.parent
        if target is None:
            return self.execution.root
        container, branch = target
        lane = base
        while lane is not None:
            visit = lane.open_visit(container)
            if visit is not None:
                if branch is not None:
                    return visit.lanes.setdefault(branch, Lane(target, lane, visit, branch))
                if visit.lanes:  # the iteration started last
                    return visit.lanes[max(visit.lanes)]
                return visit.lanes.setdefault(0, Lane(target, lane, visit, 0))
            lane = lane.parent
        return None

    def _find(self, state: str, base: Lane) -> tuple[Lane, Visit | None]:
        lane: Lane | None = base
        while lane is not None:
            visit = lane.open_visit(state)
            if visit is not None:
                return lane, visit
            lane = lane.parent
        for lane, visit in reversed(self.visits.get(state, [])):  # renumbered events: by name
            if not visit.exited:
                return lane, visit
        return base, None


# ---- what a recording allows


def cannot_replay(execution: Execution, definition: dict, emulated: bool = False) -> str | None:
    """Why ``execution`` cannot be run again on a translation of ``definition`` and compared
    (None: it can); ``emulated``: its Map data sources are answered by moto."""
    if execution.events == 0:
        return "the history has no events"
    if execution.input is None and not any(True for _ in execution.root.walk()) and execution.status is None:
        return "the history has no ExecutionStarted event"
    if execution.input_truncated:
        return "the recorded input is truncated"
    if execution.status is None:
        return "the execution has not ended (no ExecutionSucceeded/Failed/TimedOut/Aborted event)"
    if execution.status == "ABORTED":
        return "the execution was aborted (stopped from outside)"
    if execution.redriven:
        return "the execution was redriven (run again from the state that failed); a durable execution is not"
    if _has(definition, "ItemReader") and not emulated:
        return "a Map state reads its items with an ItemReader, whose data the history does not hold (see --aws moto)"
    if _has(definition, "ResultWriter") and not emulated:
        return "a Map state writes its results to S3 with a ResultWriter, which the history does not answer (see --aws moto)"
    for visit in execution.root.walk():
        if visit.map_run and _map_calls(definition, visit.state):
            return (
                f"the Distributed Map {visit.state!r} ran its iterations as child executions: their calls are in "
                "those executions' histories, not in this one"
            )
    return None


def _map_calls(definition: Any, state: str) -> bool:
    """Does the Map state ``state`` have a Task in its iterations?"""
    found = _find_state(definition, state)
    inner = (found or {}).get("ItemProcessor") or (found or {}).get("Iterator") or {}
    return '"Task"' in json.dumps(inner)


def _find_state(machine: Any, name: str) -> dict | None:
    if isinstance(machine, dict):
        states = machine.get("States")
        if isinstance(states, dict) and isinstance(states.get(name), dict):
            return states[name]
        for value in machine.values():
            found = _find_state(value, name)
            if found is not None:
                return found
    elif isinstance(machine, list):
        for value in machine:
            found = _find_state(value, name)
            if found is not None:
                return found
    return None


def _has(definition: Any, key: str) -> bool:
    if isinstance(definition, dict):
        return key in definition or any(_has(v, key) for v in definition.values())
    if isinstance(definition, list):
        return any(_has(v, key) for v in definition)
    return False


def epoch(timestamp: Any) -> float | None:
    """A recorded event timestamp (ISO 8601 as the CLI prints it, or epoch seconds) in seconds."""
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        return float(timestamp) / (1000 if timestamp > 1e11 else 1)
    if isinstance(timestamp, str):
        try:
            moment = _dt.datetime.fromisoformat(timestamp)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        return moment.timestamp()
    return None
