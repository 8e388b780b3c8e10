"""Every conformance case again, with the sandbox stopping after every side effect.

``run_case(..., faults="interrupt")`` ends the invocation right after each step's side effect (a
Lambda, service or S3 call), once per step, before the step's result is checkpointed, and the
local runner invokes the handler again, which replays. That is what happens on AWS when a
durable function's sandbox stops at the worst moment.

For the STANDARD cases no step's effect runs twice (each ran at most once per attempt: an
interrupted attempt fails instead of running again) and every chained invoke reached its
function exactly once. Each case then ends either as recorded on AWS, or failed with the
documented interrupted error (``<Service>.SdkClientException``, ``States.TaskFailed``) when a
call was interrupted and nothing retried or caught it. The EXPRESS cases may run an effect
again (at least once), and must still end as recorded.
"""

import json

import pytest
from conformance import case_lambdas, case_param, compare, load_cases, run_case

from asl2durable.run.local import _runtime

pytestmark = pytest.mark.slow  # every recorded case again, interrupted after each side effect

CASES = load_cases()
INTERRUPTED = _runtime().INTERRUPTED_CAUSE

# Cases that conform in a plain run but not under faults, each with the reason.
FAULT_KNOWN_FAILURES: dict[str, str] = {}


def _operations(ops):
    for op in ops:
        yield op
        yield from _operations(op.get("children", []))


def _counting(lambdas: dict) -> tuple[dict, list]:
    calls: list = []

    def counted(name, function):
        def run(event, context):
            calls.append(name)
            return function(event, context)

        return run

    return {name: counted(name, function) for name, function in lambdas.items()}, calls


def _interrupted(result) -> bool:
    """Did an interrupted call decide the outcome? Its error failed the run, or a Catch put it
    in the output (the cause says the attempt was interrupted)."""
    return INTERRUPTED in json.dumps(result.to_dict())


@pytest.mark.parametrize("case", [case_param(c, FAULT_KNOWN_FAILURES) for c in CASES])
def test_conformance_under_interruptions(case, monkeypatch):
    import conformance

    lambdas, calls = _counting(case_lambdas(case))
    monkeypatch.setattr(conformance, "case_lambdas", lambda _case: lambdas)
    result = run_case(case, faults="interrupt")
    express = case.data.get("state_machine_type") == "EXPRESS"
    if not express:
        twice = {key: n for key, n in (result.effect_runs or {}).items() if n > 1}
        assert not twice, f"side effects ran more than once in one attempt: {twice}"
        # a function runs once per chained invoke, or once per (interrupted) step that calls it
        invokes = [op for op in _operations(result.operations) if op["type"] == "CHAINED_INVOKE"]
        assert len(calls) <= len(invokes) + len(result.effect_runs or {}), (calls, [op["name"] for op in invokes])
    if _interrupted(result):
        return
    problems = compare(case, result)
    assert not problems, "\n".join(problems)
