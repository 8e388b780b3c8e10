"""Behaviour check: run the generated handler and the original definition, compare per input.

``check(definition, inputs, lambdas=...)`` runs each input twice:

* the **durable side**: the translation, in the durable SDK's local runner (``run_local``);
* the **Step Functions side**: the original definition on moto's ASL interpreter (moto 5.x
  ships LocalStack's Step Functions interpreter as ``moto.stepfunctions.parser``; it executes
  ``StartExecution`` in a thread when moto's user config says
  ``{"stepfunctions": {"execute_state_machine": True}}``, i.e.
  ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``; without it moto's
  executions do nothing and end as ``SF_EXECUTION_HISTORY_TYPE`` says).

and gives one ``Comparison`` per input: ``same``, ``differs`` (with a JSON diff) or
``could not compare`` (with the reason).

How the interpreter is made to run offline and fast (patches active only during ``check``):

* Lambda: the interpreter invokes functions with a boto3 Lambda client made by
  ``lambda_eval_utils.boto_client_for``; moto's own Lambda would need Docker, so that function
  is replaced by a client whose ``invoke`` runs the same Python stubs the durable side uses
  (``asl_testing.local_invoker``: same event decoding, same ``errorType`` for exceptions).
  Both Lambda ARN resources and ``arn:aws:states:::lambda:invoke`` go through it.
* Wait states and Retry intervals are skipped (the interpreter really sleeps otherwise), as
  the durable local runner skips its waits.
* Other AWS services run against moto itself, seeded from ``seed`` (the ``moto_aws`` seed
  format); each side gets a fresh emulation, so writes by one run are not seen by the other.

What is compared: the status; for failed runs the error name (the cause is not compared: the
interpreter's messages are LocalStack's wording, not AWS's, so a difference in it says nothing
about the translation); for succeeded runs the output, as a JSON diff. Values that cannot be
equal between two different executions are ignored (a string holding a JSON object or array,
such as a Lambda error's ``Cause``, is compared as that JSON: its path gets ``<json>``), and each ignored pair is listed in
``Comparison.ignored``: a pair of strings that are both

* UUIDs (``States.UUID()``, task tokens, execution names),
* ISO-8601 timestamps (``$$.Execution.StartTime``, ``$$.State.EnteredTime``), or
* ARNs of an execution, state machine or (on the durable side) the Lambda function that is
  the machine (``$$.Execution.Id``, ``$$.StateMachine.Id``),

and, under a key named ``stackTrace``, anything (file paths and lines of where a stub ran), and,
under a key named ``SdkHttpMetadata`` or ``SdkResponseMetadata``, anything (the service
endpoint's HTTP headers and request ids). ``$$.Execution.RoleArn`` is made equal by giving the
durable side the role the interpreter runs with (``ASL_EXECUTION_ROLE_ARN``). Unseeded random
numbers (``States.MathRandom`` without a seed) are not ignored: such outputs differ.

Could not compare: JSONata machines (moto's interpreter evaluates JSONata through jpype and a
Java JSONata, which is not available offline), machines that wait for task tokens
(``.waitForTaskToken``, activities: nothing would answer the interpreter), definitions the
interpreter rejects or fails to finish within ``timeout``, and definitions that do not translate.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from asl2durable.run.local import LocalResult, TranslationFailed, run_local

__all__ = ["Comparison", "RunResult", "check", "count_operations", "count_transitions", "report", "verdict_counts"]

ROLE_ARN = "arn:aws:iam::111111111111:role/asl2durable-behaviour-check"

_LOCK = threading.Lock()


@dataclass
class RunResult:
    """How one run ended, and what it would be billed for.

    ``transitions`` (Step Functions side) are the billed state transitions of the execution,
    counted from the interpreter's history by :func:`count_transitions`. ``operations`` (durable
    side) are the durable operations by kind, counted from the runner's operation history by
    :func:`count_operations`, and ``invocations`` how many times the runner invoked the handler
    (the first invocation plus one per resume after a wait, a retry delay or a callback). Each is
    None when it was not counted (the other side's counts, or a run that did not finish).
    """

    status: str  # "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    transitions: int | None = None  # Step Functions side
    operations: dict[str, int] | None = None  # durable side, by kind (see count_operations)
    invocations: int | None = None  # durable side
    # Step Functions side, what an Express workflow is billed for: the execution's duration on the
    # interpreter in milliseconds (its history's first to last event), the seconds of Wait states
    # and Retry intervals it skipped (an Express execution is billed for them), the larger of the
    # execution's input and output in bytes, and its Map iterations and Parallel states started
    duration_ms: float | None = None
    skipped_seconds: float | None = None
    data_bytes: int | None = None
    parallel_steps: int | None = None
    # durable side, what the function is billed for besides operations and requests: the wall-clock
    # milliseconds of each invocation of the handler, and the bytes written to its durable history
    invocation_ms: list[float] | None = None
    data_written: int | None = None

    def to_dict(self) -> dict:
        if self.status == "SUCCEEDED":
            out = {"status": self.status, "output": self.output}
        else:
            out = {"status": self.status, "error": self.error, "cause": self.cause}
        out.update(transitions=self.transitions, operations=self.operations, invocations=self.invocations)
        out.update(
            duration_ms=_rounded(self.duration_ms), skipped_seconds=self.skipped_seconds, data_bytes=self.data_bytes,
            parallel_steps=self.parallel_steps,
            invocation_ms=None if self.invocation_ms is None else [_rounded(ms) for ms in self.invocation_ms],
            data_written=self.data_written,
        )
        return out


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 3)


@dataclass
class Comparison:
    input: Any
    verdict: str  # "same" | "differs" | "could not compare"
    reason: str = ""
    step_functions: RunResult | None = None  # the original definition on moto's interpreter (expected)
    durable: RunResult | None = None  # the generated handler in the local runner (actual)
    diff: list[dict] = field(default_factory=list)  # {"path", "expected", "actual"}
    ignored: list[dict] = field(default_factory=list)  # pairs left out of the diff, with "why"

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "verdict": self.verdict,
            "reason": self.reason,
            "step_functions": self.step_functions.to_dict() if self.step_functions else None,
            "durable": self.durable.to_dict() if self.durable else None,
            "diff": self.diff,
            "ignored": self.ignored,
        }


# --------------------------------------------------------------------------- what the interpreter cannot run


def _walk_states(states: Any) -> Iterable[dict]:
    for state in (states or {}).values():
        if not isinstance(state, dict):
            continue
        yield state
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _walk_states(branch.get("States"))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _walk_states(state[key].get("States"))


def cannot_interpret(definition: dict) -> str | None:
    """Why moto's interpreter cannot judge this definition offline, or None."""
    if definition.get("QueryLanguage") == "JSONata" or any(
        s.get("QueryLanguage") == "JSONata" for s in _walk_states(definition.get("States"))
    ):
        return "JSONata: moto's interpreter evaluates JSONata with jpype and a Java JSONata, not available offline"
    reference = _variable_reference(definition)
    if reference:
        return (f"variable reference {reference!r}: moto's interpreter evaluates variable references "
                "with JSONata (jpype), not available offline")
    for state in _walk_states(definition.get("States")):
        resource = state.get("Resource")
        if isinstance(resource, str):
            if resource.endswith(".waitForTaskToken"):
                return f"task token ({resource}): nothing answers the interpreter's callbacks"
            if ":activity:" in resource:
                return f"activity ({resource}): nothing answers the interpreter's activity tasks"
    return None


_VARIABLE = re.compile(r"(?:^|[(,\s])\$[A-Za-z_]")


def _variable_reference(value: Any, key: str = "") -> str | None:
    """The first path or intrinsic in ``value`` that reads a variable (``$name``), or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            found = _variable_reference(v, k)
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _variable_reference(v, key)
            if found:
                return found
    elif isinstance(value, str) and (key.endswith((".$", "Path")) or key == "Variable") and _VARIABLE.search(value):
        return value
    return None


# --------------------------------------------------------------------------- the Step Functions side


class _StubLambdaClient:
    """What the interpreter's boto3 Lambda client is replaced with: stubs run in-process."""

    def __init__(self, invoke: Callable[[str, bytes | None, dict], Any]):
        self._invoke = invoke

    def invoke(self, **params: Any) -> dict:
        payload = params.get("Payload")
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        try:
            response = self._invoke(params["FunctionName"], payload, params)
        except Exception as err:  # noqa: BLE001 - LambdaServiceError (no such function) and the like
            from botocore.exceptions import ClientError

            code = getattr(err, "code", None) or getattr(err, "error", None) or type(err).__name__
            raise ClientError({"Error": {"Code": str(code), "Message": str(err)}}, "Invoke") from None
        out: dict[str, Any] = {
            "StatusCode": response.status_code,
            "ExecutedVersion": response.executed_version,
            "Payload": io.BytesIO(response.payload),
        }
        if response.function_error:
            out["FunctionError"] = response.function_error
        if response.log_result is not None:
            out["LogResult"] = response.log_result
        return out


@contextmanager
def _interpreter_patches(invoker: Callable, skipped: list[float] | None = None) -> Any:
    """The patches that make the interpreter run offline and fast; the seconds of each Wait
    state and Retry interval it skips are appended to ``skipped``."""
    skipped = [] if skipped is None else skipped
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        lambda_eval_utils,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        wait_function,
    )

    def skip(seconds: Any) -> None:
        skipped.append(max(0.0, float(seconds or 0)))

    no_sleep = type("NoSleep", (), {"sleep": staticmethod(skip), "time": staticmethod(time.time)})
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(default_user_config, {"stepfunctions": {"execute_state_machine": True}}))
        stack.enter_context(
            mock.patch.object(lambda_eval_utils, "boto_client_for", lambda **kwargs: _StubLambdaClient(invoker))
        )
        stack.enter_context(
            mock.patch.object(wait_function.WaitFunction, "_wait_interval", lambda self, env, wait_seconds: skip(wait_seconds))
        )
        stack.enter_context(mock.patch.object(retrier_decl, "time", no_sleep))
        # the interpreter logs every failing state at ERROR, with its whole parse tree
        quiet = logging.getLogger("moto.stepfunctions.parser")
        stack.callback(quiet.setLevel, quiet.level)
        quiet.setLevel(logging.CRITICAL)
        yield


def _run_interpreter(definition: dict, input: Any, *, name: str, invoker: Callable, seed: dict | None,
                     timeout: float) -> RunResult:
    import boto3

    from asl2durable.run.aws_local import moto_aws

    skipped: list[float] = []
    with moto_aws(seed) as created, _interpreter_patches(invoker, skipped):
        sfn = boto3.client("stepfunctions", region_name=created["region"])
        arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)["stateMachineArn"]
        execution = sfn.start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=json.dumps({} if input is None else input)
        )["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] not in ("RUNNING", "PENDING_REDRIVE"):
                break
            if time.monotonic() > deadline:
                sfn.stop_execution(executionArn=execution)
                raise TimeoutError(f"the interpreter did not finish within {timeout:g} s")
            time.sleep(0.01)
        events: list[dict] = []
        page: dict = {"executionArn": execution, "maxResults": 1000}
        while True:
            history = sfn.get_execution_history(**page)
            events += history["events"]
            if not history.get("nextToken"):
                break
            page["nextToken"] = history["nextToken"]
    output = described.get("output")
    sizes = [len((text or "").encode("utf-8")) for text in (described.get("input"), output)]
    return RunResult(
        described["status"],
        json.loads(output) if output is not None else None,
        described.get("error"),
        described.get("cause"),
        transitions=count_transitions(events),
        duration_ms=_history_ms(events),
        skipped_seconds=sum(skipped),
        data_bytes=max(sizes),
        parallel_steps=sum(event.get("type") in ("MapIterationStarted", "ParallelStateStarted") for event in events),
    )


def _history_ms(events: list[dict]) -> float | None:
    """Milliseconds from the first to the last event of an execution history."""
    stamps = [event["timestamp"] for event in events if hasattr(event.get("timestamp"), "timestamp")]
    if not stamps:
        return None
    return (max(stamps) - min(stamps)).total_seconds() * 1000


# The events that begin an attempt of a state's work: a Task's call, a Parallel's branches, a
# Map's iterations. One that does not follow its state's ``...StateEntered`` event follows a
# failed attempt: it is a retry.
_ATTEMPT_EVENTS = frozenset({
    "LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled", "ParallelStateStarted", "MapStateStarted",
})


def count_transitions(events: Iterable[dict]) -> int:
    """The billed state transitions of a Standard workflow execution, from its history events
    (``GetExecutionHistory``).

    The Step Functions pricing page says a transition is counted "each time a step of your
    workflow is executed", and that each retry is charged as an additional transition. So this
    counts:

    * one per ``...StateEntered`` event: every state entered, of any type (Pass, Choice, Wait,
      Succeed and Fail included), and the states inside Parallel branches and inline Map
      iterations, once per branch and per iteration (the Parallel or Map state itself is one
      more);
    * one per retry: an attempt event (``LambdaFunctionScheduled``, ``TaskScheduled``,
      ``ActivityScheduled``; ``ParallelStateStarted``/``MapStateStarted`` for a retried
      Parallel or Map) whose previous event is not its state's ``...StateEntered``.

    The start and the end of the execution (``ExecutionStarted``/``ExecutionSucceeded``) are
    not transitions: a chain of three Pass states counts 3. A Distributed Map's child
    executions are not in this history and are not counted.
    """
    events = list(events)
    types = {event.get("id"): event.get("type", "") for event in events}
    entered = sum(event.get("type", "").endswith("StateEntered") for event in events)
    retries = sum(
        event.get("type") in _ATTEMPT_EVENTS and not types.get(event.get("previousEventId"), "").endswith("StateEntered")
        for event in events
    )
    return entered + retries


# --------------------------------------------------------------------------- the durable side


def _run_durable(definition: dict, input: Any, *, lambdas: dict | None, seed: dict | None, timeout: float) -> RunResult:
    with mock.patch.dict(os.environ, {"ASL_EXECUTION_ROLE_ARN": ROLE_ARN}):
        if seed is not None:
            from asl2durable.run.aws_local import moto_aws

            with moto_aws(seed):
                result: LocalResult = run_local(definition, input, lambdas=lambdas, timeout=timeout)
        else:
            result = run_local(definition, input, lambdas=lambdas, timeout=timeout)
    if result.status == "TIMED_OUT":  # the runner gave up: the history is not the whole run's
        return RunResult(result.status, result.output, result.error, result.cause)
    operations = count_operations(result.operations)
    for child in result.child_operations:  # a Distributed Map's parts: executions of their own
        for kind, count in count_operations(child).items():
            operations[kind] = operations.get(kind, 0) + count
    return RunResult(
        result.status, result.output, result.error, result.cause,
        operations=operations, invocations=result.invocations,
        invocation_ms=list(result.invocation_ms) if result.invocation_ms else None, data_written=result.data_written,
    )


# CONTEXT operations by sub-type: Map/Parallel and their per-item contexts, else a child context
# (RunInChildContext, WaitForCallback, ...).
_CONTEXT_KINDS = {"Parallel": "parallel", "ParallelBranch": "parallel_branch", "Map": "map", "MapIteration": "map_iteration"}
_OPERATION_KINDS = {"STEP": "step", "WAIT": "wait", "CALLBACK": "callback", "CHAINED_INVOKE": "invoke"}


def count_operations(operations: Iterable[dict]) -> dict[str, int]:
    """The durable operations of one execution by kind, from ``LocalResult.operations`` (nested).

    The Lambda pricing page (durable functions section) bills "durable operations": starting an
    execution, and each checkpointed operation: steps (retries of a step included), waits,
    callbacks, chained invokes and child contexts. So this counts, with nested operations
    included:

    * ``execution``: 1, the start of the durable execution (not in the operation list);
    * ``step``, ``wait``, ``callback``, ``invoke``: one per operation of that type (a
      wait_for_condition is a step);
    * ``step_retry``: one per attempt of a step after its first (``attempt - 1``; the generated
      code retries ASL Retry with new steps and waits, which count on their own);
    * ``parallel`` / ``parallel_branch``, ``map`` / ``map_iteration``: the Parallel or Map
      context and one context per branch or item;
    * ``child_context``: any other context (run_in_child_context, wait_for_callback's context).

    Kinds with no operation are left out; the billed total is the sum of the values.
    """
    counts: dict[str, int] = {"execution": 1}

    def walk(ops: Iterable[dict]) -> None:
        for op in ops:
            kind = op.get("type")
            if kind == "CONTEXT":
                name = _CONTEXT_KINDS.get(op.get("sub_type") or "", "child_context")
            else:
                name = _OPERATION_KINDS.get(str(kind), str(kind).lower())
            counts[name] = counts.get(name, 0) + 1
            if kind == "STEP" and (op.get("attempt") or 1) > 1:
                counts["step_retry"] = counts.get("step_retry", 0) + op["attempt"] - 1
            walk(op.get("children") or ())

    walk(operations)
    return counts


# --------------------------------------------------------------------------- comparison

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_RUN_ARN = re.compile(r"arn:aws[\w-]*:states:[^:]*:\d*:(execution|stateMachine|express):.+")
_FUNCTION_ARN = re.compile(r"arn:aws[\w-]*:lambda:[^:]*:\d*:function:.+")
_METADATA_KEYS = ("SdkHttpMetadata", "SdkResponseMetadata")


def _volatile(expected: Any, actual: Any) -> str | None:
    """Why two differing values are inherently run-specific, or None."""
    if not (isinstance(expected, str) and isinstance(actual, str)):
        return None
    if _UUID.fullmatch(expected) and _UUID.fullmatch(actual):
        return "both UUIDs (drawn per run)"
    if _TIMESTAMP.fullmatch(expected) and _TIMESTAMP.fullmatch(actual):
        return "both timestamps (read from the clock)"
    if _RUN_ARN.fullmatch(expected) and (_RUN_ARN.fullmatch(actual) or _FUNCTION_ARN.fullmatch(actual)):
        return "both ARNs of the running execution or machine"
    return None


def _show(where: tuple) -> str:
    return "$" + "".join(f"[{w}]" if isinstance(w, int) else w if w == "<json>" else f".{w}" for w in where)


def json_diff(expected: Any, actual: Any) -> tuple[list[dict], list[dict]]:
    """(differences, ignored pairs) between two JSON values; paths are JSONPath-like (``$.a[0]``)."""
    diff: list[dict] = []
    ignored: list[dict] = []
    _MISSING = object()

    def walk(e: Any, a: Any, where: tuple) -> None:
        if where and where[-1] == "stackTrace":
            if e != a:
                ignored.append({"path": _show(where), "why": "a stack trace"})
            return
        if where and where[-1] in _METADATA_KEYS:
            if e != a:
                ignored.append({"path": _show(where), "why": "service response metadata (headers, request ids)"})
            return
        if isinstance(e, dict) and isinstance(a, dict):
            for key in list(e) + [k for k in a if k not in e]:
                walk(e.get(key, _MISSING), a.get(key, _MISSING), where + (key,))
            return
        if isinstance(e, list) and isinstance(a, list) and len(e) == len(a):
            for i, (x, y) in enumerate(zip(e, a)):
                walk(x, y, where + (i,))
            return
        if e is not _MISSING and a is not _MISSING and type(e) is type(a) and e == a:
            return
        if e is not _MISSING and a is not _MISSING and _numbers_equal(e, a):
            return
        inner = _json_text(e), _json_text(a)
        if inner[0] is not None and inner[1] is not None:
            walk(inner[0], inner[1], where + ("<json>",))
            return
        why = _volatile(e, a)
        if why:
            ignored.append({"path": _show(where), "expected": e, "actual": a, "why": why})
            return
        entry: dict[str, Any] = {"path": _show(where)}
        entry["expected"] = "<missing>" if e is _MISSING else e
        entry["actual"] = "<missing>" if a is _MISSING else a
        diff.append(entry)

    walk(expected, actual, ())
    return diff, ignored


def _json_text(value: Any) -> Any:
    """The object or array a string holds as JSON text (a Lambda error's Cause), else None."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, (dict, list)) else None
    return None


def _numbers_equal(e: Any, a: Any) -> bool:
    return (isinstance(e, (int, float)) and isinstance(a, (int, float)) and not isinstance(e, bool)
            and not isinstance(a, bool) and e == a)


def compare(expected: RunResult, actual: RunResult) -> tuple[list[dict], list[dict]]:
    """The differences between the interpreter's result (expected) and the durable one (actual)."""
    if expected.status != actual.status:
        return [{"path": "status", "expected": expected.status, "actual": actual.status}], []
    if expected.status == "SUCCEEDED":
        diff, ignored = json_diff(expected.output, actual.output)
        for entry in diff:
            entry["path"] = "output" + entry["path"][1:]
        for entry in ignored:
            entry["path"] = "output" + entry["path"][1:]
        return diff, ignored
    if expected.error != actual.error:
        return [{"path": "error", "expected": expected.error, "actual": actual.error}], []
    return [], []


# --------------------------------------------------------------------------- check


def check(
    definition: dict,
    inputs: Iterable[Any],
    *,
    lambdas: dict[str, Callable[[Any, Any], Any]] | None = None,
    seed: dict | None = None,
    name: str = "state_machine",
    timeout: float = 60,
    durable_definition: dict | None = None,
) -> list[Comparison]:
    """Run ``definition`` on each input on moto's interpreter and as its translation; compare.

    ``lambdas`` are the Python stubs ``run_local`` takes (name or ARN -> ``(event, context)``),
    used by both sides; ``seed`` creates AWS resources in moto for both (see ``aws_local``).
    ``durable_definition`` is a test hook: translate that definition for the durable side
    instead of ``definition`` (how the tests make a deliberately wrong translation).
    """
    if isinstance(definition, str):
        definition = json.loads(definition)
    inputs = list(inputs)
    reason = cannot_interpret(definition)
    if reason:
        return [Comparison(i, "could not compare", reason) for i in inputs]
    from asl2durable.run.local import _runtime

    _runtime()
    import asl_testing  # local_invoker: the Lambda Python runtime's behaviour

    functions = {asl_testing.function_key(key): fn for key, fn in (lambdas or {}).items()}
    results = []
    for value in inputs:
        with _LOCK:
            try:
                expected = _run_interpreter(
                    definition, value, name=name, invoker=asl_testing.local_invoker(functions), seed=seed, timeout=timeout
                )
            except Exception as err:  # noqa: BLE001 - the interpreter rejected the definition or did not finish
                results.append(Comparison(value, "could not compare", f"moto's interpreter: {type(err).__name__}: {err}"))
                continue
        try:
            actual = _run_durable(
                durable_definition if durable_definition is not None else definition,
                value, lambdas=lambdas, seed=seed, timeout=timeout,
            )
        except TranslationFailed as err:
            results.append(Comparison(value, "could not compare", f"the definition does not translate: {err}", expected))
            continue
        diff, ignored = compare(expected, actual)
        if diff:
            results.append(Comparison(value, "differs", "; ".join(d["path"] for d in diff), expected, actual, diff, ignored))
        else:
            results.append(Comparison(value, "same", "", expected, actual, [], ignored))
    return results


VERDICTS = ("same", "differs", "could not compare")


def verdict_counts(comparisons: Iterable[Comparison]) -> dict[str, int]:
    """How many comparisons have each verdict, every verdict listed (for a machine or a batch:
    pass all the machines' comparisons)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for c in comparisons:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    return counts


def report(comparisons: Iterable[Comparison]) -> str:
    """The comparisons as text, one block per input: the verdict, then the diff or the reason."""
    lines: list[str] = []
    for number, c in enumerate(comparisons, 1):
        lines.append(f"input {number}: {json.dumps(c.input, default=str)[:200]}")
        lines.append(f"  {c.verdict}" + (f": {c.reason}" if c.verdict == "could not compare" else ""))
        for entry in c.diff:
            lines.append(
                f"    {entry['path']}: Step Functions {json.dumps(entry['expected'], default=str)[:300]}, "
                f"durable {json.dumps(entry['actual'], default=str)[:300]}"
            )
        if c.ignored:
            lines.append(f"  ignored (run-specific): {', '.join(i['path'] for i in c.ignored)}")
    return "\n".join(lines)
