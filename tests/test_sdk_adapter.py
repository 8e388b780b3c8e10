"""``asl_sdk``: each SDK internal the support modules rely on, checked against the installed SDK.

These tests fail, naming the function, when a release of ``aws-durable-execution-sdk-python``
changes what ``asl_sdk`` relies on. pyproject allows ``>=3.0,<4``; 3.0.0 is the only release in
that range today (both the lowest and the highest supported), and constraints.txt pins it.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import asl_sdk
import pytest
from aws_durable_execution_sdk_python import DurableContext, ParallelBranch, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration, ParallelConfig
from aws_durable_execution_sdk_python.exceptions import CallbackError
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from asl2durable.translate import RUNTIME_DIR

NAME = "Payment.Declined"
Declined = asl_sdk.named_exception(NAME, Exception)


def _run(handler, **kw):
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with DurableFunctionTestRunner(handler=handler, poll_interval=0.05) as runner:
            return runner.run(input="{}", execution_timeout=30, **kw)
    finally:
        logging.disable(previous)


def _declined(_ctx):
    raise Declined("no funds")


@pytest.mark.parametrize("where", ["execution", "step", "child context", "parallel branch"])
def test_named_exception_is_recorded_under_exactly_its_name(where):
    @durable_execution
    def handler(event, context: DurableContext):
        if where == "execution":
            raise Declined("no funds")
        if where == "step":
            context.step(_declined, name="s")
        elif where == "child context":
            context.run_in_child_context(_declined, name="c")
        else:
            result = context.parallel([ParallelBranch(_declined, name="b")], name="p", config=ParallelConfig())
            raise Declined(result.all[0].error.type)  # the branch's recorded type, passed on
        return None

    result = _run(handler)
    assert result.error is not None, "asl_sdk.named_exception: the failure was not recorded"
    recorded = {
        "execution": lambda: result.error.type,
        "step": lambda: result.operations[0].error.type,  # the step operation's record
        "child context": lambda: result.operations[0].error.type,  # the context's record
        "parallel branch": lambda: result.error.message,  # the branch item's type, passed on
    }[where]()
    assert recorded == NAME, f"asl_sdk.named_exception: the SDK recorded {recorded!r}, not {NAME!r}"


def test_execution_start_is_the_executions_and_stable_on_replay():
    seen = []

    @durable_execution
    def handler(event, context: DurableContext):
        seen.append(asl_sdk.execution_start(context))
        context.wait(Duration(1), name="w")  # a second invocation replays
        seen.append(asl_sdk.execution_start(context))
        return None

    import time

    before = time.time()
    result = _run(handler)
    assert result.status.name == "SUCCEEDED"
    assert all(isinstance(t, float) for t in seen), f"asl_sdk.execution_start gave {seen}"
    assert len(set(seen)) == 1, f"asl_sdk.execution_start changed between invocations: {seen}"
    assert abs(seen[0] - before) < 60, f"asl_sdk.execution_start is not the start time: {seen[0]} vs {before}"


def test_callback_error_type_is_the_senders_error_name():
    names = []

    @durable_execution
    def handler(event, context: DurableContext):
        callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration(30)))
        try:
            callback.result()
        except CallbackError:
            names.append(asl_sdk.callback_error_type(callback))
        return None

    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with DurableFunctionTestRunner(handler=handler, poll_interval=0.05) as runner:
            arn = runner.run_async(input="{}", execution_timeout=30)
            token = runner.wait_for_callback(arn, name="approval", timeout=30)
            runner.send_callback_failure(token, ErrorObject(message="no", type="Approval.Rejected", data=None, stack_trace=None))
            runner.wait_for_result(arn, timeout=30)
    finally:
        logging.disable(previous)
    assert names and names[-1] == "Approval.Rejected", f"asl_sdk.callback_error_type gave {names}"


# What only asl_sdk may touch: SDK internals (private attributes, ExecutionState, the recorded
# error-type rule). asl_testing drives the testing runner and is not deployed.
_INTERNALS = re.compile(r"\.state\b|get_execution_operation|get_checkpoint_result|_qualified_error_type|__qualname__")


@pytest.mark.parametrize("module", sorted(p.name for p in RUNTIME_DIR.glob("asl_*.py") if p.name not in ("asl_sdk.py", "asl_testing.py")))
def test_no_other_support_module_touches_sdk_internals(module):
    found = [line.strip() for line in (RUNTIME_DIR / module).read_text().splitlines() if _INTERNALS.search(line)]
    assert not found, f"{module} uses SDK internals outside asl_sdk: {found}"


def test_the_supported_sdk_range_is_the_installed_one():
    from importlib.metadata import version

    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"aws-durable-execution-sdk-python>=3.0,<4"' in pyproject
    assert version("aws-durable-execution-sdk-python").startswith("3."), json.dumps(version("aws-durable-execution-sdk-python"))
