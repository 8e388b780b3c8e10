"""Run a translated state machine locally, in the durable SDK testing package's in-process runner.

Used by the tests, by ``asl2durable run`` and by anyone checking a migration: translate the
definition, import the generated handler, and run it with time skipping. Lambda functions are
Python callables run in-process (see ``asl_testing.local_invoker``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable._resources import support_module
from asl2durable.diagnostics import Diagnostic
from asl2durable.load.loader import Loaded, load, substitution_values
from asl2durable.translate import translate


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
    invocations: int | None = None  # handler invocations in the runner: the first, plus one per resume (children too)
    # the wall-clock milliseconds of each handler invocation, and the bytes the execution wrote to
    # its durable history (input, checkpointed payloads and errors, result): what it is billed for
    invocation_ms: list[float] = field(default_factory=list)
    data_written: int | None = None
    # faults="interrupt": how often each step's side effect ran, by the step's scope and name
    effect_runs: dict[str, int] | None = None
    # strict limits: the durable API limits the run went over (then it FAILED on the first)
    limits: list[str] = field(default_factory=list)
    # the operation history of each child execution (a Distributed Map's parts), nested
    child_operations: list[list[dict]] = field(default_factory=list)

    def to_dict(self) -> dict:
        if self.status == "SUCCEEDED":
            return {"status": self.status, "output": self.output}
        return {"status": self.status, "error": self.error, "cause": self.cause}


def _runtime():
    """The support module, imported under the name generated handlers use."""
    return support_module("asl_runtime")


def load_handler(source: str, name: str = "state_machine", definition: str | dict | None = None) -> types.ModuleType:
    """Import generated handler source as a fresh module. ``definition`` (the translation's
    ``definition.asl.json``) is what a deployed handler finds next to it: the runtime words the
    errors of paths that find no value from it."""
    _runtime()
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    module = types.ModuleType(f"asl2durable_generated_{digest}")
    module.__file__ = f"<{name}/handler.py>"
    if definition is not None:
        module.__dict__["__asl_definition__"] = json.loads(definition) if isinstance(definition, str) else definition
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def _definition(definition: dict | str | os.PathLike | Loaded) -> Loaded:
    loaded = definition if isinstance(definition, Loaded) else load(definition)
    if loaded.definition is None:
        raise TranslationFailed(loaded.diagnostics)
    return loaded


_LAMBDA_ARN = re.compile(r"arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:")


def _home(definition: dict) -> tuple[str, str]:
    """The region and account a local run takes place in: those of the first Lambda function
    ARN in the definition (a durable function reaches functions of its own account and region
    by chained invoke), else us-east-1 and 111111111111."""
    found = _LAMBDA_ARN.search(json.dumps(definition))
    return (found.group(1), found.group(2)) if found else ("us-east-1", "111111111111")


def _configuration(loaded: Loaded, region: str, account: str) -> dict[str, str]:
    """The function's configuration for a local run, as its template would set it: each
    placeholder with a value (a template's literal, ``--substitute``) in its environment
    variable, and the pseudo parameters of the run's region and account. The handler reads
    them for this run only (``asl_runtime.environ``: variables the process sets win), so
    runs at the same time in other threads each have their own."""
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
    known = substitution_values(loaded.substitutions, loaded.template)
    values = {sub.env: known[sub.name] if known[sub.name] is not None else pseudo.get(sub.name) for sub in loaded.substitutions}
    return {variable: value for variable, value in values.items() if value is not None}


def _operations(ops: Iterable[Any]) -> list[dict]:
    out = []
    for op in ops:
        entry = {
            "name": op.name,
            "type": getattr(op.operation_type, "value", str(op.operation_type)),
            "status": getattr(op.status, "value", str(op.status)),
        }
        if getattr(op, "sub_type", None) is not None:
            entry["sub_type"] = getattr(op.sub_type, "value", str(op.sub_type))
        if getattr(op, "attempt", None) is not None:
            entry["attempt"] = op.attempt  # steps: the attempt that ended it (1 = no retry)
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
    force_replays: bool = False,
    faults: str | None = None,
    workflow_type: str | None = None,
    execution_name: str = "execution-name",
    strict_limits: bool = True,
) -> LocalResult:
    """Translate ``definition`` (a dict, JSON text, a path or a ``Loaded`` machine, e.g. one
    of a template), run it on ``input`` and return the result.

    ``lambdas`` maps a function name or ARN (qualifiers allowed) to a callable ``(event, context)``;
    an exception it raises is a Lambda function error named after the exception's class.
    Lambda Tasks reach them by chained invoke, as on AWS.
    ``callbacks`` answers task tokens (``.waitForTaskToken`` Tasks and activities): it is called
    with ``{"token", "resource", "payload"}`` and returns ``{"output": value}`` to succeed the
    task, ``{"error": name, "cause": text}`` to fail it, or ``{"raw": text}`` to succeed it with
    exactly that Result text (which Step Functions would have refused unless it is JSON).
    ``timeout`` bounds the run in real seconds (waits and retry delays are skipped, not slept).
    ``force_replays`` (for tests) suspends the handler after every durable operation, so that the
    run replays the handler from the top that many times (see ``asl_testing.LocalHooks.forced_replays``).
    ``faults="interrupt"`` stops the invocation right after each step's side effect (a Lambda,
    service or S3 call), once per step, before its result is checkpointed, as a sandbox that dies
    then; the runner invokes the handler again and it replays. ``result.effect_runs`` says how
    often each step's effect ran.
    ``workflow_type`` (STANDARD or EXPRESS; default: what a template says, else STANDARD)
    decides whether such a step may run again on replay (EXPRESS) or not (STANDARD).
    ``execution_name`` is the execution's name (``$$.Execution.Name``).
    ``strict_limits`` (on; turn it off for experiments only) holds the run to AWS's limits, which
    the SDK's runner does not check: every checkpoint the durable API would refuse (a result over
    256 KiB, an operation name outside printable ASCII or over 256 characters, a wait outside
    1 s..366 days, more than 25,000 operations, ...) is refused, which fails the execution as on
    AWS; ``result.limits`` says which limit. An execution that runs (in modelled time: waits are
    skipped) past the function's ExecutionTimeout (``ir.Workflow.lifetime``) times out. An input
    over 256 KiB raises ``ValueError``.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", execution_name):
        raise ValueError(f"execution_name must be 1 to 64 letters, digits, - or _ (a durable execution name), not {execution_name!r}")
    prepared = prepare(definition, workflow_type=workflow_type)
    return execute(
        prepared, input, lambdas=lambdas, callbacks=callbacks, timeout=timeout, force_replays=force_replays,
        faults=faults, execution_name=execution_name, strict_limits=strict_limits,
    )


@dataclass
class Prepared:
    """A translated machine, its handler imported: what :func:`execute` runs."""

    loaded: Loaded
    translation: Any  # translate.Translation
    module: types.ModuleType


def prepare(definition: dict | str | os.PathLike | Loaded, *, workflow_type: str | None = None) -> Prepared:
    """Translate ``definition`` and import its handler (``TranslationFailed`` if it does not translate)."""
    loaded = _definition(definition)
    translation = translate(
        loaded.definition, name=loaded.name, substitutions=loaded.substitutions,
        workflow_type=workflow_type.upper() if workflow_type else loaded.workflow_type, outputs=("handler",),
    )
    if not translation.ok:
        raise TranslationFailed(translation.diagnostics)
    module = load_handler(translation.files["handler.py"], loaded.name, translation.files["definition.asl.json"])
    return Prepared(loaded, translation, module)


def execute(
    prepared: Prepared,
    input: Any = None,
    *,
    lambdas: dict[str, Callable[[Any, Any], Any]] | None = None,
    callbacks: Callable[[dict], dict] | None = None,
    services: Callable[[str, Any, str], Any] | None = None,
    timeout: float = 60,
    force_replays: bool = False,
    faults: str | None = None,
    execution_name: str = "execution-name",
    strict_limits: bool = True,
    execution_start: Callable[[Any], float | None] | None = None,
    role_arn: str | None = None,
    tracer: Any = None,
) -> LocalResult:
    """Run a prepared machine as :func:`run_local` does. ``services(resource, params, pattern)``
    answers the service integrations instead of AWS (see ``asl_testing.LocalHooks.service_caller``);
    ``execution_start``, ``role_arn`` and ``tracer`` are this run's (``asl_testing.run_handler``'s:
    the recorded start time and role, what follows the run)."""
    loaded, translation, module = prepared.loaded, prepared.translation, prepared.module
    _runtime()
    import asl_testing  # the generated tests' harness: the same runner and hooks

    functions = {asl_testing.function_key(key): fn for key, fn in (lambdas or {}).items()}
    answer = None
    if callbacks is not None:
        answer = lambda token, resource, payload: callbacks({"token": token, "resource": resource, "payload": payload})
    region, account = _home(loaded.definition)
    outcome = asl_testing.run_handler(
        module.handler, {} if input is None else input, functions=functions, invoker=asl_testing.local_invoker(functions),
        service_caller=services, callbacks=answer, timeout=timeout, force_replays=force_replays, faults=faults,
        execution_name=execution_name, region=region, account_id=account, function_name=_function_name(loaded.name),
        strict_limits=strict_limits, execution_timeout=translation.workflow.lifetime,
        environment=_configuration(loaded, region, account), execution_start=execution_start, role_arn=role_arn,
        tracer=tracer,
    )
    return LocalResult(
        outcome.status, outcome.output, outcome.error, outcome.cause, _operations(outcome.operations),
        getattr(outcome, "invocations", None),
        invocation_ms=list(getattr(outcome, "invocation_ms", None) or ()),
        data_written=getattr(outcome, "data_written", None),
        effect_runs=getattr(outcome, "effect_runs", None),
        limits=list(outcome.limits),
        child_operations=[_operations(ops) for ops in getattr(outcome, "child_operations", [])],
    )


def _function_name(name: str) -> str:
    """A Lambda function name for the machine (letters, digits, - and _; at most 64)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:64] or "state-machine"


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


class RunRefused(Exception):
    """Why ``run_in_aws`` could not run: the message (a line for stderr), the diagnostics (at their
    positions) and, for a usage error, the option at fault (``--seed``)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None, option: str | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []
        self.option = option


def run_in_aws(
    loaded: Loaded, input: Any = None, *, lambdas: dict | None = None, timeout: float = 60,
    workflow_type: str | None = None, aws_seed: dict | None = None,
) -> LocalResult:
    """``asl2durable run``: :func:`run_local`, inside moto's emulation seeded with ``aws_seed``
    when that is not None. Raises ``RunRefused`` (never another exception) when it cannot run:
    moto is missing or refuses a seeded resource, the definition does not translate, or an
    internal error."""
    with contextlib.ExitStack() as emulation:  # AWS calls go to moto while the run lasts
        if aws_seed is not None:
            from asl2durable.run.aws_local import moto_aws

            try:
                emulation.enter_context(moto_aws(aws_seed))
            except RuntimeError as e:  # moto is not installed
                raise RunRefused(f"Error: {e}") from None
            except Exception as e:  # noqa: BLE001 - moto refused a seeded resource
                raise RunRefused(f"cannot create the seeded resources: {type(e).__name__}: {e}", option="--seed") from None
        try:
            seconds = int(timeout) if float(timeout).is_integer() else timeout  # 60, not 60.0, in a time-out's cause
            return run_local(loaded, input, lambdas=lambdas, timeout=seconds, workflow_type=workflow_type)
        except TranslationFailed as e:
            diagnostics = loaded.locate(getattr(e, "diagnostics", []))
            raise RunRefused(f"{loaded.source}: cannot run, the definition does not translate", diagnostics) from None
        except Exception as e:  # noqa: BLE001 - no tracebacks
            raise RunRefused(f"Error: internal error while running {loaded.source}: {type(e).__name__}: {e}") from None


def exit_now(code: int) -> None:
    """End the process without waiting for worker threads: a Lambda function that overran a
    run's timeout may still be running in one, and would be waited for (forever, if it never
    returns). The tests replace this."""
    import logging

    logging.disable(logging.CRITICAL)  # the abandoned threads' SDK logs are noise now
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
