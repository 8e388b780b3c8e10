"""Replay safety: every conformance case again, with a replay forced after every durable operation.

``run_case(..., force_replays=True)`` makes the runtime follow each durable operation (step,
wait, invoke, callback, Map, Parallel, in every branch and iteration) with a 1-second durable
wait (skipped in time by the local runner, see ``asl_runtime.force_replays``). Each wait ends
the invocation, and the next one replays the handler from the top over the checkpointed
results. The case must still end exactly as it did on AWS: same comparison, same expected
failures as tests/test_conformance.py, and no NonDeterministicExecutionError (which would fail
the execution and so the comparison).
"""

import pytest
from conformance import case_param, compare, load_cases, run_case

from asl2durable.run.local import run_local

pytestmark = pytest.mark.slow  # every recorded case again, with a replay after each operation

CASES = load_cases()

# Cases that conform in a plain run but not under forced replays, each with the reason.
REPLAY_KNOWN_FAILURES: dict[str, str] = {}


@pytest.mark.parametrize("case", [case_param(c, REPLAY_KNOWN_FAILURES) for c in CASES])
def test_conformance_under_forced_replays(case):
    problems = compare(case, run_case(case, force_replays=True))
    assert not problems, "\n".join(problems)


FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:f"
MACHINE = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Resource": FUNCTION, "Next": "P"},
        "P": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": FUNCTION, "End": True}}}],
            "Next": "M",
        },
        "M": {
            "Type": "Map",
            "ItemsPath": "$[0].xs",
            "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Task", "Resource": FUNCTION, "End": True}}},
            "ResultPath": "$[0].m",
            "End": True,
        },
    },
}


def test_forced_replays_reinvoke_the_handler_after_every_operation():
    def f(event, _context):
        return {"xs": [1, 2, 3], "seen": event}

    plain = run_local(MACHINE, {}, lambdas={"f": f})
    forced = run_local(MACHINE, {}, lambdas={"f": f}, force_replays=True)
    assert plain.status == forced.status == "SUCCEEDED", (plain, forced)
    assert forced.output == plain.output
    # A, B and the three C are five chained invokes: each may suspend the handler while its
    # function runs (or have finished by the time the handler looks: then it goes on)
    assert 1 <= plain.invocations <= 1 + 5
    # forced: a suspension after A, the branch's B, the Parallel, the iterations' C (concurrent
    # iterations may suspend together) and the Map, besides those of the invokes
    assert 1 + 5 <= forced.invocations <= 1 + 7 + 5


def test_forced_replays_expose_non_deterministic_operations(monkeypatch):
    """A runtime whose operation names change on replay passes a plain run but not a forced-replay one."""
    import itertools

    from asl2durable.run.local import _runtime

    rt = _runtime()
    real, counter = rt.step, itertools.count()
    monkeypatch.setattr(rt, "step", lambda run, name, func, **kw: real(run, f"{name}-{next(counter)}", func, **kw))
    # steps that never suspend by themselves: a plain run is one invocation, replaying nothing
    machine = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True},
        },
    }
    assert run_local(machine, {}).status == "SUCCEEDED"
    forced = run_local(machine, {}, force_replays=True)
    assert forced.status == "FAILED" and forced.error.endswith("NonDeterministicExecutionError"), forced
