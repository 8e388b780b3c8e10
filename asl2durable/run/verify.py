"""Verify a translation on recorded executions: ``asl2durable verify DEFINITION --history FILE...``.

For each recorded execution (:mod:`asl2durable.load.history`), the translated handler runs in the
local runner on the recorded input, every Task answered exactly as recorded (Lambda results and
failures, service results and failures, callback results; each attempt of a retried Task takes the
next recorded answer), and the run is traced state by state: the lanes (execution, branches,
iterations) with the states entered in order, each state's input and output, each call's
parameters as sent and the number of attempts, and the end. The two trees are compared in
order; the first difference is the verdict's ``divergence``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.load import history as _history
from asl2durable.load.history import PLACEHOLDER, Call, Execution, HistoryError, Lane, Visit, cannot_replay, epoch
from asl2durable.runtime.asl_testing import as_json, same_scalar, wildcard

SAME, DIFFERS, COULD_NOT_COMPARE = "same", "differs", "could not compare"

# Values only AWS knows, never compared: the HTTP metadata of a service's answer, and the
# request id in a Lambda function error's cause (the local run makes its own).
AWS_ONLY_KEYS = frozenset({"SdkHttpMetadata", "SdkResponseMetadata"})
_CAUSE_AWS_ONLY = frozenset({"requestId"})


@dataclass
class Divergence:
    """The first place where the translation did not do what the recording shows."""

    event: int | None  # the recorded event where it shows (None: the recording has no such event)
    state: str | None
    field: str  # "state entered", "input", "parameters", "attempts", "output", "status", "error", "cause"
    recorded: Any
    translated: Any
    path: str = "$"  # where in the value (JSONPath)
    where: str = ""  # the branch or iteration, e.g. "Map 'Ship' iteration 2"

    def to_dict(self) -> dict:
        return {
            "event": self.event, "state": self.state, "field": self.field, "path": self.path,
            "where": self.where, "recorded": self.recorded, "translated": self.translated,
        }

    def __str__(self) -> str:
        at = f"event {self.event}" if self.event is not None else "after the recorded events"
        state = f", state {self.state!r}" if self.state else ""
        where = f" in {self.where}" if self.where else ""
        path = f" at {self.path}" if self.path != "$" else ""
        return (
            f"{at}{state}{where}: {self.field}{path}: recorded {_show(self.recorded)}, translated {_show(self.translated)}"
        )


_MISSING = "<missing>"


def _show(value: Any) -> str:
    if value is _NOTHING:
        return _MISSING
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


class _Nothing:
    """The value of a field that is absent (one object, also after a trip between processes)."""

    def __repr__(self) -> str:
        return _MISSING

    def __reduce__(self) -> str:
        return "_NOTHING"


_NOTHING: Any = _Nothing()


@dataclass
class Verification:
    """One recorded execution checked against the translation."""

    history: str
    verdict: str  # SAME, DIFFERS, COULD_NOT_COMPARE
    divergence: Divergence | None = None
    reason: str | None = None
    events: int = 0
    states: int = 0  # recorded states entered (all lanes)

    def to_dict(self) -> dict:
        record: dict[str, Any] = {"history": self.history, "verdict": self.verdict}
        if self.divergence is not None:
            record["divergence"] = self.divergence.to_dict()
        if self.reason is not None:
            record["reason"] = self.reason
        record["events"], record["states"] = self.events, self.states
        return record

    def __str__(self) -> str:
        if self.verdict == SAME:
            return f"{self.history}: same ({self.states} states, {self.events} events)"
        if self.verdict == DIFFERS:
            return f"{self.history}: differs at {self.divergence}"
        return f"{self.history}: could not compare: {self.reason}"


# --------------------------------------------------------------------------- comparing values


def _parse_path(text: str) -> list[tuple[str, Any]]:
    """A JSONPath as steps: ("key", name), ("index", n), ("any", None), ("deep", name)."""
    if not text.startswith("$"):
        raise ValueError(f"--ignore {text!r}: a JSONPath starts with $")
    steps: list[tuple[str, Any]] = []
    pattern = re.compile(
        r"\.\.(?P<deep>[^.\[]+)|\.(?P<key>[^.\[]+)|\[(?:(?P<index>-?\d+)|'(?P<sq>[^']*)'|\"(?P<dq>[^\"]*)\"|(?P<star>\*))\]"
    )
    rest = text[1:]
    while rest:
        match = pattern.match(rest)
        if match is None:
            raise ValueError(f"--ignore {text!r}: cannot read {rest!r}")
        if match["deep"] is not None:
            steps.append(("deep", None if match["deep"] == "*" else match["deep"]))
        elif match["key"] is not None:
            steps.append(("any", None) if match["key"] == "*" else ("key", match["key"]))
        elif match["index"] is not None:
            steps.append(("index", int(match["index"])))
        elif match["star"] is not None:
            steps.append(("any", None))
        else:
            steps.append(("key", match["sq"] if match["sq"] is not None else match["dq"]))
        rest = rest[match.end():]
    return steps


def _matches(steps: Sequence[tuple[str, Any]], path: tuple) -> bool:
    if not steps:
        return not path
    kind, arg = steps[0]
    if kind == "deep":
        return any(
            (arg is None or path[i] == arg) and _matches(steps[1:], path[i + 1:]) for i in range(len(path))
        )
    if not path:
        return False
    head = path[0]
    if kind == "any" or (kind == "key" and head == arg) or (kind == "index" and head == arg):
        return _matches(steps[1:], path[1:])
    return False


def path_text(path: tuple) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if re.fullmatch(r"[A-Za-z_][\w]*", p) else f"[{json.dumps(p)}]" for p in path)


class Comparer:
    """Compares a recorded value with a translated one: JSON values equal; with
    ``placeholders``, each ``<...>`` token in a recorded string stands for any text (a string
    that is a token alone, for any value); paths in ``ignore`` and :data:`AWS_ONLY_KEYS` are
    not compared; a task token the local run made matches any recorded string."""

    def __init__(self, ignore: Iterable[str] = (), placeholders: bool = False):
        self.ignore = [_parse_path(text) for text in ignore]
        self.placeholders = placeholders
        self.tokens: set[str] = set()
        # a value of the run that stands for a recorded one of another shape: the durable
        # execution's ARN for Step Functions' execution ARN, the function's for the machine's
        self.equivalents: dict[str, re.Pattern] = {}

    def diff(self, recorded: Any, translated: Any, path: tuple = (), skip: frozenset = frozenset()) -> tuple | None:
        """The path of the first difference, or None when the values are the same."""
        if self._not_compared(path) or self._stands_for(recorded, translated):
            return None
        if isinstance(recorded, dict) and isinstance(translated, dict):
            for key in list(recorded) + [k for k in translated if k not in recorded]:
                if key in skip:
                    continue
                found = self.diff(recorded.get(key, _NOTHING), translated.get(key, _NOTHING), (*path, key))
                if found is not None:
                    return found
            return None
        if isinstance(recorded, list) and isinstance(translated, list):
            for i in range(max(len(recorded), len(translated))):
                found = self.diff(
                    recorded[i] if i < len(recorded) else _NOTHING, translated[i] if i < len(translated) else _NOTHING, (*path, i)
                )
                if found is not None:
                    return found
            return None
        if same_scalar(recorded, translated):
            return None
        return self._diff_read_through(recorded, translated, path, skip)

    def _not_compared(self, path: tuple) -> bool:
        """The path is ignored (``ignore``), or a key only AWS writes."""
        return any(_matches(steps, path) for steps in self.ignore) or bool(path and path[-1] in AWS_ONLY_KEYS)

    def _stands_for(self, recorded: Any, translated: Any) -> bool:
        """The recorded value stands for the translated one: a ``<...>`` token (with
        ``placeholders``), or a string for a task token the run made or an equivalent ARN."""
        if self.placeholders and isinstance(recorded, str) and PLACEHOLDER.search(recorded):
            if PLACEHOLDER.fullmatch(recorded):
                return True
            if isinstance(translated, str) and wildcard(recorded).fullmatch(translated):
                return True
        if isinstance(translated, str) and isinstance(recorded, str):
            if translated in self.tokens:
                return True
            equivalent = self.equivalents.get(translated)
            if equivalent is not None and equivalent.fullmatch(recorded):
                return True
        return False

    def _diff_read_through(self, recorded: Any, translated: Any, path: tuple, skip: frozenset) -> tuple | None:
        """Scalars that differ as they are: compared again with Step Functions' ARNs in the recorded
        text replaced by the run's, or with JSON written as text read; else ``path``."""
        if isinstance(recorded, str) and isinstance(translated, str) and self.equivalents:
            # Step Functions' ARNs written into text: the durable ARNs that stand for them
            shown = recorded
            for ours, theirs in self.equivalents.items():
                shown = re.compile(theirs.pattern.replace(".+", r"[^\s,;}\]\"']+")).sub(lambda _m, o=ours: o, shown)
            if shown != recorded:
                return self.diff(shown, translated, path, skip)
        # JSON written as text on one side (a cause, a nested output kept as text): its value
        left, right = as_json(recorded), as_json(translated)
        if (left is not recorded or right is not translated) and isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
            return self.diff(left, right, path, skip)
        return path


def _at(value: Any, path: tuple) -> Any:
    """The value at ``path`` (JSON written as text is read through), or :data:`_NOTHING`."""
    for step in path:
        value = as_json(value)
        if isinstance(value, dict) and step in value or isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return _NOTHING
    return value


# --------------------------------------------------------------------------- the trace of a run


class Tracer:
    """Builds the tree of lanes and visits of a translated run (the same shape as
    :class:`history.Execution`'s), from its state functions and its calls. Replays run the
    handler again from the top: a state's ``n``-th visit in a scope is the same visit each time.
    Each Run of a branch or iteration has a scope (``run.scope``: ``"Map[3]"``, ``"P[0]/Map[3]"``);
    the scopes of one branch or iteration index of one visit (a retried Parallel or Map runs them
    again under other names) make one lane, in the order they started, as in Step Functions'
    history."""

    def __init__(self, recorded: Lane | None = None) -> None:
        self.lock = threading.RLock()
        self.scopes: dict[str, _Scope] = {"": _Scope(None, None, recorded=recorded)}
        self.counterparts: dict[int, Visit] = {}  # id(visit) -> the recorded visit at its place
        self.visits: dict[int, int] = {}  # id(run) -> visits so far
        self.calls: dict[int, int] = {}  # id(visit) -> calls since it was (re)entered
        self.current: dict[int, Visit] = {}  # id(run) -> its current visit
        self.keep: list[Any] = []  # the runs seen (their ids stay theirs)
        # id(run) -> the visit of a state written in its machine's body, until its output is
        # known: the next state's input, or what the machine returns
        self.open: dict[int, Visit] = {}

    def _scope(self, run: Any) -> _Scope:
        name = getattr(run, "scope", "") or ""
        scope = self.scopes.get(name)
        if scope is not None:
            return scope
        for known in sorted(self.scopes, key=len, reverse=True):
            rest = name[len(known) + 1:] if known else name
            if (not known or name.startswith(known + "/")) and (match := re.fullmatch(r".*\[(\d+)\]", rest, re.DOTALL)):
                parent = self.scopes[known]
                index = int(match.group(1))
                theirs = self.counterparts.get(id(parent.running)) if parent.running is not None else None
                scope = _Scope(parent.running, index, recorded=theirs.lanes.get(index) if theirs is not None else None)
                break
        else:  # a Distributed Map's part in a child execution: not compared
            scope = _Scope(None, None)
        self.scopes[name] = scope
        return scope

    def enter(self, run: Any, state: str, state_input: Any) -> Visit:
        with self.lock:
            self.leave(run, state_input)
            scope = self._scope(run)
            key = id(run)
            if key not in self.visits:
                self.keep.append(run)
            n = self.visits.get(key, 0)
            self.visits[key] = n + 1
            if n < len(scope.visits) and scope.visits[n].state == state:
                visit = scope.visits[n]
            else:
                del scope.visits[n:]
                visit = Visit(state, "", None)
                scope.visits.append(visit)
            visit.input = _copy(state_input)
            recorded = scope.recorded.visits if scope.recorded is not None else []
            if n < len(recorded) and recorded[n].state == state:
                self.counterparts[id(visit)] = recorded[n]
            self.calls[id(visit)] = 0
            scope.running = visit
            self.current[key] = visit
            return visit

    def recorded(self, run: Any) -> Visit | None:
        """The recorded visit at the place of ``run``'s current one (same lane, same position)."""
        with self.lock:
            visit = self.current.get(id(run))
            return self.counterparts.get(id(visit)) if visit is not None else None

    def call(self, run: Any, call: Call) -> None:
        with self.lock:
            visit = self.current.get(id(run))
            if visit is None:
                return
            n = self.calls.get(id(visit), 0)
            self.calls[id(visit)] = n + 1
            if n < len(visit.calls):
                visit.calls[n] = call
            else:
                visit.calls.append(call)

    @property
    def root(self) -> Lane:
        """The run's lanes, each branch or iteration under the visit that started it."""
        lanes: dict[tuple[int, int], Lane] = {}
        for scope in self.scopes.values():
            for visit in scope.visits:
                visit.lanes = {}
        for scope in self.scopes.values():
            if scope.owner is None or scope.index is None:
                continue
            lane = lanes.get((id(scope.owner), scope.index))
            if lane is None:
                lane = lanes[(id(scope.owner), scope.index)] = Lane(index=scope.index, owner=scope.owner)
                scope.owner.lanes[scope.index] = lane
            lane.visits.extend(scope.visits)
        return Lane(visits=list(self.scopes[""].visits))

    def leave(self, run: Any, output: Any = None, error: BaseException | None = None) -> None:
        """The open visit of ``run`` (a state written in the machine's body) ends with
        ``output``, or with ``error``."""
        with self.lock:
            visit = self.open.pop(id(run), None)
            if visit is None:
                return
            if error is not None:
                name = getattr(error, "name", None)
                if name is not None:
                    visit.error = (name, getattr(error, "cause", None))
            else:
                visit.exited, visit.output = True, _copy(output)

    # the run's tracer hook (``asl_testing.LocalHooks.tracer``): visiting, sent, entered_time

    def visiting(self, run: Any, state: str, state_input: Any) -> None:
        """A state written in the machine's body starts."""
        visit = self.enter(run, state, state_input)
        with self.lock:
            self.open[id(run)] = visit

    def sent(self, run: Any, resource: str, parameters: Any, function: str | None = None) -> None:
        """A Task calls ``resource`` (a Lambda function: ``"lambda"`` or ``"lambda:invoke"``) with
        ``parameters`` (an activity's: the payload's ``input``)."""
        if ":activity:" in resource and isinstance(parameters, dict):
            parameters = parameters.get("input")
        self.call(run, Call(None, _service(resource), _copy(parameters), function=function))

    def entered_time(self, run: Any) -> float | None:
        """The ``$$.State.EnteredTime`` to record: the recorded visit's (None: not recorded)."""
        visit = self.recorded(run)
        return epoch(visit.timestamp) if visit is not None else None

    def wrap_machine(self, function: Callable) -> Callable:
        tracer = self

        def traced(run: Any, data: Any) -> Any:
            try:
                result = function(run, data)
            except Exception as err:
                tracer.leave(run, error=err)
                raise
            tracer.leave(run, result)
            return result

        traced.__wrapped__ = function  # type: ignore[attr-defined]
        return traced

    def wrap_state(self, state: str, function: Callable) -> Callable:
        tracer = self

        def traced(run: Any, state_input: Any, *args: Any, **kwargs: Any) -> Any:
            visit = tracer.enter(run, state, state_input)
            try:
                result = function(run, state_input, *args, **kwargs)
            except Exception as err:
                name = getattr(err, "name", None)
                if name is not None:
                    visit.error = (name, getattr(err, "cause", None))
                raise
            if isinstance(result, BaseException):  # a Fail state: returns its error
                visit.error = (getattr(result, "name", None), getattr(result, "cause", None))
                return result
            routed = isinstance(result, tuple) and len(result) == 2 and (result[0] is None or isinstance(result[0], str))
            visit.exited, visit.output = True, _copy(result[1] if routed else result)
            return result

        traced.__wrapped__ = function  # type: ignore[attr-defined]
        return traced


@dataclass
class _Scope:
    owner: Visit | None  # the Parallel/Map visit that started it (None: the execution)
    index: int | None  # its branch / iteration index
    visits: list[Visit] = field(default_factory=list)
    running: Visit | None = None
    recorded: Lane | None = None  # the recorded lane at its place


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - a value that does not copy: keep it as it is
        return value


def _service(resource: str) -> str:
    """``arn:aws:states:::sqs:sendMessage.waitForTaskToken`` -> ``sqs:sendMessage`` (as events say:
    resourceType:resource, without the integration pattern)."""
    rest = resource.split(":::", 1)[-1]
    return re.sub(r"\.(sync(:2)?|waitForTaskToken)$", "", rest)


# --------------------------------------------------------------------------- answering as recorded


class Answers:
    """The recorded calls, handed out to the run's calls by ``asl_testing.Recorded`` (the one
    implementation, which the generated tests use too)."""

    def __init__(self, execution: Execution, done: threading.Event):
        import asl_testing  # type: ignore[import-not-found]

        from asl2durable.run.recorded import recorded_calls

        self.recorded = asl_testing.Recorded(recorded_calls(execution), done)

    def function(self, event: Any, context: Any) -> Any:
        return self.recorded.function(event, context)

    def service(self, resource: str, params: Any, pattern: str) -> Any:
        return self.recorded.service(resource, params, pattern)

    def callback(self, request: dict) -> dict | None:
        return self.recorded.callback(request.get("resource") or "", request.get("payload"))


# --------------------------------------------------------------------------- comparing trees


class _Compare:
    def __init__(self, comparer: Comparer, execution: Execution):
        self.c = comparer
        self.execution = execution

    def lane(self, recorded: Lane, translated: Lane, where: str) -> Divergence | None:
        for k, rv in enumerate(recorded.visits):
            if k >= len(translated.visits):
                return Divergence(rv.event, rv.state, "state entered", rv.state, _NOTHING, where=where)
            tv = translated.visits[k]
            if tv.state != rv.state:
                return Divergence(rv.event, rv.state, "state entered", rv.state, tv.state, where=where)
            found = self.visit(rv, tv, where)
            if found is not None:
                return found
        if len(translated.visits) > len(recorded.visits):
            extra = translated.visits[len(recorded.visits)]
            last = recorded.visits[-1].exit_event or recorded.visits[-1].event if recorded.visits else None
            return Divergence(last, extra.state, "state entered", _NOTHING, extra.state, where=where)
        return None

    def value(self, event: int | None, state: str, field: str, recorded: Any, translated: Any, where: str,
              skip: frozenset = frozenset()) -> Divergence | None:
        path = self.c.diff(recorded, translated, (), skip)
        if path is None:
            return None
        return Divergence(event, state, field, _at(recorded, path), _at(translated, path), path_text(path), where)

    def visit(self, rv: Visit, tv: Visit, where: str) -> Divergence | None:
        if not rv.input_truncated:
            found = self.value(rv.event, rv.state, "input", rv.input, tv.input, where)
            if found is not None:
                return found
        for j, rc in enumerate(rv.calls):
            if j >= len(tv.calls):
                return Divergence(rc.event, rv.state, "attempts", len(rv.calls), len(tv.calls), where=where)
            found = self.value(rc.event, rv.state, "parameters" if j == 0 else f"parameters (attempt {j + 1})",
                               rc.parameters, tv.calls[j].parameters, where)
            if found is not None:
                return found
        if len(tv.calls) > len(rv.calls):
            event = rv.calls[-1].event if rv.calls else rv.event
            return Divergence(event, rv.state, "attempts", len(rv.calls), len(tv.calls), where=where)
        for index in [] if rv.map_run else sorted(set(rv.lanes) | set(tv.lanes)):
            inner = f"{where} / " if where else ""
            label = f"{inner}{rv.kind or 'state'} {rv.state!r} {'branch' if rv.kind == 'Parallel' else 'iteration'} {index}"
            if index not in tv.lanes:
                first = rv.lanes[index].visits[0] if rv.lanes[index].visits else None
                return Divergence(first.event if first else rv.event, first.state if first else rv.state,
                                  "state entered", first.state if first else None, _NOTHING, where=label)
            if index not in rv.lanes:
                first = tv.lanes[index].visits[0] if tv.lanes[index].visits else None
                return Divergence(rv.exit_event or rv.event, first.state if first else rv.state, "state entered",
                                  _NOTHING, first.state if first else None, where=label)
            found = self.lane(rv.lanes[index], tv.lanes[index], label)
            if found is not None:
                return found
        if rv.exited and not rv.output_truncated:
            if not tv.exited:
                error = tv.error[0] if tv.error else None
                return Divergence(rv.exit_event, rv.state, "output", rv.output, {"Error": error} if error else _NOTHING, where=where)
            return self.value(rv.exit_event, rv.state, "output", rv.output, tv.output, where)
        return None

    def end(self, result: Any) -> Divergence | None:
        ex = self.execution
        if result.status != ex.status:
            shown = {"status": result.status, "error": result.error, "cause": result.cause} if result.status == "FAILED" else result.status
            return Divergence(ex.end_event, None, "status", ex.status, shown)
        if ex.status == "SUCCEEDED":
            if ex.output_truncated:
                return None
            return self.value(ex.end_event, None, "output", ex.output, result.output, "")
        if ex.status == "FAILED":
            any_error = self.c.placeholders and isinstance(ex.error, str) and PLACEHOLDER.fullmatch(ex.error)
            if not any_error and (ex.error or None) != (result.error or None):
                return Divergence(ex.end_event, None, "error", ex.error, result.error)
            if ex.cause is not None or result.cause:
                path = self.c.diff(_cause(ex.cause), _cause(result.cause), (), _CAUSE_AWS_ONLY)
                if path is not None:
                    return Divergence(ex.end_event, None, "cause", _at(_cause(ex.cause), path), _at(_cause(result.cause), path), path_text(path))
        return None


# Step Functions' causes name the event a state was entered at; a durable execution has no event ids
_ENTERED_AT = re.compile(r" \(entered at the event id #\d+\)")


def _cause(cause: Any) -> Any:
    if cause is None:
        return ""
    if isinstance(cause, str):
        return as_json(_ENTERED_AT.sub("", cause))
    return cause


# --------------------------------------------------------------------------- verify


def _states(lane: Lane) -> int:
    return sum(1 for _ in lane.walk())


def verify(
    definition: Any,
    history: Any,
    *,
    ignore: Iterable[str] = (),
    placeholders: bool = False,
    timeout: float = 60,
    workflow_type: str | None = None,
    name: str | None = None,
    input: Any = _NOTHING,
    aws_seed: dict | None = None,
) -> Verification:
    """Check the translation of ``definition`` (a dict, JSON text, a path, a ``loader.Loaded``
    machine or a ``local.Prepared`` one) against one recorded execution: ``history`` is a file,
    a list of files (pages of one history), ``{"events": [...]}`` or a list of events.
    ``ignore``: JSONPaths (in each compared value) not compared; ``placeholders``: each
    ``<...>`` token in a recorded value stands for any text. ``name`` labels the verdict.
    ``input``: run on this input instead of the recorded one (whose values may be placeholders);"""
    from asl2durable.run import local

    label = name or _label(history)
    comparer = Comparer(ignore, placeholders)  # (a bad --ignore raises ValueError here, before any run)
    try:
        events = _events(history)
    except HistoryError as err:
        return Verification(label, COULD_NOT_COMPARE, reason=str(err))
    try:
        prepared = _own(definition) if isinstance(definition, local.Prepared) else local.prepare(definition, workflow_type=workflow_type)
    except local.TranslationFailed as err:
        return Verification(label, COULD_NOT_COMPARE, reason=f"the definition does not translate: {err}", events=len(events))
    execution = _history.read(events, prepared.loaded.definition, label)
    states = _states(execution.root)
    why = cannot_replay(execution, prepared.loaded.definition, emulated=aws_seed is not None)
    if why is not None:
        return Verification(label, COULD_NOT_COMPARE, reason=why, events=len(events), states=states)
    if input is not _NOTHING:
        execution.input = input
    if aws_seed is not None:
        from asl2durable.run.aws_local import moto_aws

        region, account = local._home(prepared.loaded.definition)
        with moto_aws(aws_seed, region=region, account_id=account):
            tracer, result = _run(prepared, execution, comparer, timeout)
    else:
        tracer, result = _run(prepared, execution, comparer, timeout)
    if result is None:
        return Verification(label, COULD_NOT_COMPARE, reason=tracer, events=len(events), states=states)  # type: ignore[arg-type]
    compare = _Compare(comparer, execution)
    found = compare.lane(execution.root, tracer.root, "") or compare.end(result)
    if found is None:
        return Verification(label, SAME, events=len(events), states=states)
    if result.status == "TIMED_OUT" and execution.status != "TIMED_OUT" and found.field in ("status", "state entered"):
        reason = (
            f"the run did not end within {timeout:g} s (a recorded answer it waited for may be missing or a "
            f"recorded time-out takes longer); first difference so far: {found}"
        )
        return Verification(label, COULD_NOT_COMPARE, reason=reason, events=len(events), states=states)
    return Verification(label, DIFFERS, found, events=len(events), states=states)


def _label(history: Any) -> str:
    if isinstance(history, (str, Path)):
        return str(history)
    if isinstance(history, (list, tuple)) and history and isinstance(history[0], (str, Path)):
        return str(history[0])
    return "<history>"


def _events(history: Any) -> list[dict]:
    if isinstance(history, (str, Path)):
        return _history.load_events([history])
    if isinstance(history, dict):
        events = history.get("events", history.get("history"))
        if not isinstance(events, list):
            raise HistoryError('expected {"events": [...]} as get-execution-history prints it')
        return events
    if isinstance(history, (list, tuple)):
        if history and all(isinstance(h, (str, Path)) for h in history):
            return _history.load_events(history)
        return list(history)
    raise HistoryError(f"not a history: {type(history).__name__}")


def _run(prepared: Any, execution: Execution, comparer: Comparer, timeout: float) -> tuple[Any, Any]:
    """Run the translation as the recording says, traced: (tracer, LocalResult), or (reason, None).
    What the run does differently is its own (the hooks it carries, a handler module of its own):
    other runs in the process at the same time are neither traced nor changed."""
    from asl2durable.run import local

    tracer = Tracer(execution.root)
    done = threading.Event()
    answers = Answers(execution, done)
    functions = {name: answers.function for name in _function_names(prepared.loaded.definition, execution, answers)}

    def callbacks(request: dict) -> dict | None:
        comparer.tokens.add(request.get("token") or "")
        return answers.callback(request)

    start = epoch(execution.start)
    _wrap_functions(prepared, tracer)
    try:
        result = local.execute(
            prepared, execution.input, lambdas=functions, callbacks=callbacks, services=answers.service, timeout=timeout,
            execution_start=None if start is None else lambda _context: start, role_arn=execution.role_arn or None,
            tracer=tracer,
        )
    except ValueError as err:  # e.g. an input over the durable API's limit
        return f"the run could not start: {err}", None
    finally:
        done.set()
    for run in tracer.keep[:1]:
        comparer.equivalents[run.execution.get("Id", "")] = _EXECUTION_ARN
        comparer.equivalents[run.state_machine.get("Id", "")] = _MACHINE_ARN
    return tracer, result


def _own(prepared: Any) -> Any:
    """``prepared`` with a handler module of its own, whose functions a verify may wrap (the
    caller's module may be running elsewhere at the same time)."""
    from asl2durable.run import local

    files = prepared.translation.files
    module = local.load_handler(files["handler.py"], prepared.loaded.name, files["definition.asl.json"])
    return dataclasses.replace(prepared, module=module)


def _wrap_functions(prepared: Any, tracer: Tracer) -> None:
    """Each state's function and each machine's in the run's own handler module (:func:`_own`,
    :func:`local.prepare`), traced; the Map runs' table names the traced ones."""
    module = prepared.module
    states = dict(prepared.translation.workflow.functions)
    for state, ident in states.items():
        if ident in module.__dict__:
            module.__dict__[ident] = tracer.wrap_state(state, module.__dict__[ident])
    for ident in [m.ident for m in prepared.translation.workflow.machines()]:
        if ident in module.__dict__:
            module.__dict__[ident] = tracer.wrap_machine(module.__dict__[ident])
    map_runs = getattr(module, "MAP_RUNS", None)
    if map_runs:
        map_runs.update({k: module.__dict__.get(states.get(k, ""), v) for k, v in map_runs.items()})


_EXECUTION_ARN = re.compile(r"arn:[^:]+:states:[^:]+:[^:]+:(execution|express):.+")
_MACHINE_ARN = re.compile(r"arn:[^:]+:states:[^:]+:[^:]+:stateMachine:.+")


def _function_names(definition: dict, execution: Execution, answers: Answers) -> set[str]:
    """The functions the run may invoke: every string in the definition and the input that could
    name a Lambda function (a name, a partial or a full ARN: a FunctionName may come from anywhere
    in the data), and those the recorded calls name."""
    import asl_testing  # type: ignore[import-not-found]

    return asl_testing.function_names([definition, execution.input]) | answers.recorded.function_names()


# --------------------------------------------------------------------------- many histories


@dataclass
class Summary:
    verifications: list[Verification] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {SAME: 0, DIFFERS: 0, COULD_NOT_COMPARE: 0}
        for v in self.verifications:
            out[v.verdict] += 1
        return out

    @property
    def exit_code(self) -> int:
        return 0 if all(v.verdict == SAME for v in self.verifications) else 1

    def line(self) -> str:
        c = self.counts
        n = len(self.verifications)
        return (
            f"{n} execution{'s' if n != 1 else ''} verified: {c[SAME]} same, {c[DIFFERS]} differ, "
            f"{c[COULD_NOT_COMPARE]} could not be compared"
        )


_PREPARED: dict[tuple, Any] = {}  # in each process: the translation, made once for all its histories


def _verify_one(args: tuple) -> Verification:
    definition, files, options = args
    from asl2durable.run import local

    key = (definition.name, json.dumps(definition.definition, sort_keys=True), options.get("workflow_type"))
    if key not in _PREPARED:
        try:
            _PREPARED.clear()
            _PREPARED[key] = local.prepare(definition, workflow_type=options.get("workflow_type"))
        except local.TranslationFailed:
            _PREPARED[key] = definition  # verify says why, for each history
    return verify(_PREPARED[key], [str(f) for f in files], name=str(files[0]), **options)


def verify_all(
    definition: Any, histories: Iterable[str | Path], *, jobs: int = 1, **options: Any
) -> Summary:
    """:func:`verify` for each execution in ``histories`` (files and folders; see
    :func:`history.discover`), ``jobs`` at a time in separate processes."""
    from asl2durable.load.loader import Loaded, load

    groups = _history.discover(histories)
    if not isinstance(definition, Loaded):
        definition = load(definition)
    Comparer(options.get("ignore", ()))  # a bad --ignore fails before any run
    tasks = [(definition, files, options) for files in groups]
    if jobs <= 1 or len(tasks) <= 1:
        return Summary([_verify_one(t) for t in tasks])
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return Summary(list(pool.map(_verify_one, tasks)))
