"""Run a translated state machine locally, in the durable SDK testing package's in-process runner.

Used by the tests, by ``asl2durable run`` and by anyone checking a migration: translate the
definition, import the generated handler, and run it with time skipping. Lambda functions are
Python callables run in-process (see ``asl_runtime.local_invoker``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import os
import queue
import sys
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .diagnostics import Diagnostic
from .loader import Loaded, load
from .translate import RUNTIME_DIR, translate

_LOCK = threading.Lock()


class TranslationFailed(Exception):
    """The definition did not translate; ``diagnostics`` says why."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("; ".join(str(d) for d in diagnostics if d.severity.value == "ERROR") or "translation failed")


@dataclass
class LocalResult:
    status: str  # "SUCCEEDED" | "FAILED" | "TIMED_OUT"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    operations: list[dict] = field(default_factory=list)  # the durable operation history, nested

    def to_dict(self) -> dict:
        if self.status == "SUCCEEDED":
            return {"status": self.status, "output": self.output}
        return {"status": self.status, "error": self.error, "cause": self.cause}


def _runtime():
    """The support module, imported under the name generated handlers use."""
    if str(RUNTIME_DIR) not in sys.path:
        sys.path.insert(0, str(RUNTIME_DIR))
    import asl_runtime

    return asl_runtime


def load_handler(source: str, name: str = "state_machine") -> types.ModuleType:
    """Import generated handler source as a fresh module."""
    _runtime()
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    module = types.ModuleType(f"asl2durable_generated_{digest}")
    module.__file__ = f"<{name}/handler.py>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def _definition(definition: dict | str | os.PathLike | Loaded) -> tuple[dict, str, tuple]:
    loaded = definition if isinstance(definition, Loaded) else load(definition)
    if loaded.definition is None:
        raise TranslationFailed(loaded.diagnostics)
    return loaded.definition, loaded.name, loaded.substitutions


def _operations(ops: Iterable[Any]) -> list[dict]:
    out = []
    for op in ops:
        entry = {
            "name": op.name,
            "type": getattr(op.operation_type, "value", str(op.operation_type)),
            "status": getattr(op.status, "value", str(op.status)),
        }
        if getattr(op, "result", None) is not None:
            entry["result"] = op.result  # the checkpointed result, serialised by the SDK
        children = getattr(op, "child_operations", None)
        if children:
            entry["children"] = _operations(children)
        out.append(entry)
    return out


def run_local(
    definition: dict | str | os.PathLike | Loaded,
    input: Any = None,
    *,
    lambdas: dict[str, Callable[[Any, Any], Any]] | None = None,
    callbacks: Callable[[dict], dict] | None = None,
    timeout: float = 60,
) -> LocalResult:
    """Translate ``definition`` (a dict, JSON text, a path or a ``Loaded`` machine, e.g. one
    of a template), run it on ``input`` and return the result.

    ``lambdas`` maps a function name or ARN (qualifiers allowed) to a callable ``(event, context)``;
    an exception it raises is a Lambda function error named after the exception's class.
    ``callbacks`` answers task tokens (``.waitForTaskToken`` Tasks and activities): it is called
    with ``{"token", "resource", "payload"}`` and returns ``{"output": value}`` to succeed the
    task or ``{"error": name, "cause": text}`` to fail it.
    ``timeout`` bounds the run in real seconds (waits and retry delays are skipped, not slept).
    """
    from aws_durable_execution_sdk_python.execution import InvocationStatus
    from aws_durable_execution_sdk_python.lambda_service import ErrorObject
    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

    asl, name, substitutions = _definition(definition)
    translation = translate(asl, name=name, substitutions=substitutions)
    if not translation.ok:
        raise TranslationFailed(translation.diagnostics)
    module = load_handler(translation.files["handler.py"], name)
    rt = _runtime()
    functions = {rt.function_key(key): fn for key, fn in (lambdas or {}).items()}
    payload = json.dumps({} if input is None else input)
    tokens: queue.Queue = queue.Queue()
    with _LOCK:
        rt.use_lambda_invoker(rt.local_invoker(functions))
        rt.observe_task_tokens((lambda *request: tokens.put(request)) if callbacks else None)
        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)  # the SDK logs every failed step with a traceback
        try:
            with DurableFunctionTestRunner(handler=module.handler, poll_interval=0.05) as runner:
                arn = runner.run_async(input=payload, execution_timeout=math.ceil(timeout))
                done = threading.Event()
                if callbacks:
                    answerer = threading.Thread(
                        target=_answer_callbacks, args=(runner, tokens, callbacks, done, ErrorObject), daemon=True
                    )
                    answerer.start()
                try:
                    result = runner.wait_for_result(arn, timeout=math.ceil(timeout) + 5)
                except TimeoutError:
                    return LocalResult("TIMED_OUT", error="States.Timeout", cause="Execution timed out")
                finally:
                    done.set()
        finally:
            logging.disable(previous)
            rt.use_lambda_invoker(None)
            rt.observe_task_tokens(None)
    operations = _operations(result.operations)
    if getattr(result.execution_status, "name", None) == "TIMED_OUT":
        return LocalResult("TIMED_OUT", error="States.Timeout", cause="Execution timed out", operations=operations)
    if result.status is InvocationStatus.SUCCEEDED:
        output = json.loads(result.result) if result.result else None
        return LocalResult("SUCCEEDED", output=output, operations=operations)
    error = result.error
    name = getattr(error, "type", None)
    return LocalResult(
        "FAILED",
        error=None if name == rt.UNNAMED else name,  # a Fail state without Error has no name
        cause=(getattr(error, "message", None) or None),
        operations=operations,
    )


def _answer_callbacks(runner: Any, tokens: queue.Queue, callbacks: Callable[[dict], dict], done: threading.Event, error_object: Any) -> None:
    """Answer every task token the handler sends, with what ``callbacks`` says."""
    while not done.is_set():
        try:
            token, resource, payload = tokens.get(timeout=0.05)
        except queue.Empty:
            continue
        outcome = callbacks({"token": token, "resource": resource, "payload": payload})
        if "error" in outcome or "cause" in outcome:
            failure = error_object(message=outcome.get("cause") or "", type=outcome.get("error"), data=None, stack_trace=None)
            runner.send_callback_failure(token, failure)
        else:
            runner.send_callback_success(token, json.dumps(outcome.get("output")).encode("utf-8"))


def lambdas_from_specs(specs: Iterable[str]) -> dict[str, Callable[[Any, Any], Any]]:
    """Parse ``NAME_OR_ARN=path/to/file.py[:function]`` specs into callables (default function: ``handler``)."""
    out: dict[str, Callable[[Any, Any], Any]] = {}
    for spec in specs:
        name, sep, target = spec.partition("=")
        if not sep or not name or not target:
            raise ValueError(f"bad --lambda {spec!r}: expected NAME_OR_ARN=path/to/file.py[:function]")
        file, function = target, "handler"
        if ":" in target and not Path(target).exists():
            file, _, function = target.rpartition(":")
        path = Path(file)
        if not path.is_file():
            raise ValueError(f"bad --lambda {spec!r}: no such file {file}")
        module_name = "asl2durable_lambda_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ValueError(f"bad --lambda {spec!r}: cannot import {file}")
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as err:  # the user's file failed to import: report it plainly
            raise ValueError(f"bad --lambda {spec!r}: importing {file} failed: {type(err).__name__}: {err}") from None
        fn = getattr(module, function, None)
        if not callable(fn):
            raise ValueError(f"bad --lambda {spec!r}: {file} has no function {function!r}")
        out[name] = fn
    return out
