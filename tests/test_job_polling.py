"""``.sync`` jobs: how a running job is polled (``asl_runtime.run_job``).

The job is a fake that ends a given number of seconds after it started, on the local runner's
clock: the runner skips waits and moves that clock by the time it skipped, so a day-long job
runs in minutes of real time, with the polls, invocations and operations it has on AWS.
"""

from __future__ import annotations

import itertools

import asl_runtime as rt  # the support modules by plain name, as a handler imports them
import asl_services
import asl_testing
import pytest

from asl2durable.run.local import run_local

RESOURCE = "arn:aws:states:::states:startExecution.sync:2"  # polled every 5 s before (a child job)
FIRST = asl_services.poll_interval(RESOURCE)


def machine(*, timeout: int | None = None, wait_before: int | None = None, catch: bool = False) -> dict:
    job = {
        "Type": "Task",
        "Resource": RESOURCE,
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"},
        "End": True,
    }
    if timeout is not None:
        job["TimeoutSeconds"] = timeout
    if catch:
        job["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    states = {"Job": job, "Caught": {"Type": "Pass", "End": True}} if catch else {"Job": job}
    if wait_before is None:
        return {"StartAt": "Job", "States": states}
    return {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": wait_before, "Next": "Job"}, **states}}


class FakeJob:
    """A job that runs ``seconds`` on the runner's clock; ``fail_at`` makes that poll raise."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float, fail_at: tuple[int, Exception] | None = None):
        from aws_durable_execution_sdk_python_testing import clock

        self.seconds, self.fail_at = seconds, fail_at
        self.polls: list[float] = []  # when each poll ran, in seconds after the job's start
        self.starts = 0
        self.invocations = 0
        clocks: list = []
        make_clock = clock.SkipClock.__init__

        def remember(skip_clock: clock.SkipClock) -> None:
            make_clock(skip_clock)
            clocks.append(skip_clock)

        self._now = lambda: clocks[-1].now().timestamp()
        monkeypatch.setattr(clock.SkipClock, "__init__", remember)
        monkeypatch.setattr(asl_services, "start", self.start)
        monkeypatch.setattr(asl_services, "poll", self.poll)
        import asl_testing

        invoke = asl_testing._Invocation.__call__

        def counted(invocation, event, context):
            self.invocations += 1
            return invoke(invocation, event, context)

        monkeypatch.setattr(asl_testing._Invocation, "__call__", counted)

    def start(self, resource: str, params: dict) -> dict:
        self.starts += 1
        return {"started": self._now()}

    def poll(self, resource: str, handle: dict):
        elapsed = self._now() - handle["started"]
        self.polls.append(elapsed)
        if self.fail_at is not None and len(self.polls) == self.fail_at[0]:
            raise self.fail_at[1]
        return (True, {"ran": self.seconds}) if elapsed >= self.seconds else (False, None)


def schedule(seconds: float, timeout: float | None = None) -> list[int]:
    """When the polls of a job that runs ``seconds`` come (seconds after its start), from
    ``job_poll_delay``: the figures in the README come from this and the measured runs."""
    at, polls = 0, [0]
    while at < seconds and (timeout is None or at < timeout):
        delay = rt.job_poll_delay(FIRST, len(polls))
        if timeout is not None:
            delay = min(delay, max(1, timeout - at))
        at += delay
        polls.append(at)
    return polls


def gaps(polls: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(polls)]


def operations(result) -> list[dict]:
    def flat(ops):
        for op in ops:
            yield op
            yield from flat(op.get("children", []))

    return list(flat(result.operations))


# --------------------------------------------------------------------------- the schedule


def test_waits_grow_from_the_services_interval_to_the_cap():
    delays = [rt.job_poll_delay(5, n) for n in range(1, 18)]
    assert delays == [5, 6, 8, 9, 11, 13, 15, 18, 22, 26, 31, 38, 45, 54, 60, 60, 60]
    assert rt.JOB_POLL_MAX_SECONDS == 60
    assert [rt.job_poll_delay(30, n) for n in range(1, 7)] == [30, 36, 44, 52, 60, 60]
    assert rt.job_poll_delay(5, 10**7) == 60  # a year of polls: no overflow
    assert rt.job_poll_delay(90, 3) == 90  # an interval above the cap is kept, not shortened


@pytest.mark.parametrize("seconds, polls", [(3600, 70), (86400, 1450)])
def test_a_long_job_costs_few_polls(seconds, polls):
    """Before: a poll every 5 s (720 for an hour, 17,280 for a day, 2 operations each)."""
    assert len(schedule(seconds)) == polls


# --------------------------------------------------------------------------- measured runs


@pytest.mark.slow  # hundreds of polls replayed
def test_an_hour_long_job_is_polled_with_growing_waits_in_one_operation(monkeypatch):
    job = FakeJob(monkeypatch, 3600)
    result = run_local(machine(), {}, timeout=120)
    assert (result.status, result.output) == ("SUCCEEDED", {"ran": 3600})
    assert job.starts == 1
    expected = schedule(3600)
    assert len(job.polls) == len(expected) == 70  # before: 721 polls
    assert job.polls == pytest.approx(expected, abs=1)
    assert job.polls[-1] - 3600 < rt.JOB_POLL_MAX_SECONDS  # seen to end at most a wait late
    assert job.invocations == len(expected)  # one invocation per poll (before: 721)
    ops = operations(result)
    assert [(op["name"], op["type"]) for op in ops] == [("Job (start)", "STEP"), ("Job (poll)", "STEP")]
    assert ops[1]["sub_type"] == "WaitForCondition" and ops[1]["attempt"] == len(expected)


def test_timeout_seconds_ends_a_job_still_running_with_states_timeout(monkeypatch):
    job = FakeJob(monkeypatch, 3600)
    result = run_local(machine(timeout=300), {}, timeout=60)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    # the last wait is shortened: the poll that times the job out comes 300 s after its start
    assert job.polls == pytest.approx(schedule(3600, timeout=300), abs=1)
    assert job.polls[-1] == pytest.approx(300, abs=1)


def test_the_timeout_counts_from_the_jobs_start(monkeypatch):
    job = FakeJob(monkeypatch, 240)  # after a 1000 s Wait: the job's own 240 s are under 300
    result = run_local(machine(timeout=300, wait_before=1000), {}, timeout=60)
    assert (result.status, result.output) == ("SUCCEEDED", {"ran": 240})
    assert 240 <= job.polls[-1] < 300


def test_timeout_is_caught_as_states_timeout(monkeypatch):
    FakeJob(monkeypatch, 3600)
    result = run_local(machine(timeout=100, catch=True), {}, timeout=60)
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.Timeout", "Cause": ""}


@pytest.mark.parametrize(
    "error, name, cause",
    [
        (asl_services.ServiceError("States.TaskFailed", '{"status":"FAILED"}'), "States.TaskFailed", '{"status":"FAILED"}'),
        (KeyError("Executions"), rt.client_error(RESOURCE), "KeyError: 'Executions'"),
    ],
)
def test_a_failed_poll_fails_the_task_under_its_asl_name(monkeypatch, error, name, cause):
    job = FakeJob(monkeypatch, 3600, fail_at=(4, error))
    result = run_local(machine(), {}, timeout=60)
    assert (result.status, result.error, result.cause) == ("FAILED", name, cause)
    assert len(job.polls) == 4


def test_replays_poll_the_same_way(monkeypatch):
    job = FakeJob(monkeypatch, 600)
    result = run_local(machine(), {}, timeout=60, force_replays=True)
    assert (result.status, result.output) == ("SUCCEEDED", {"ran": 600})
    assert job.starts == 1
    # the same waits (the whole run is 1 s later: a forced replay follows the start)
    assert gaps(job.polls) == pytest.approx(gaps(schedule(600)), abs=1)


@pytest.mark.parametrize("force_replays", [False, True])
def test_jobs_in_map_iterations_are_polled_each_on_its_own(monkeypatch, force_replays):
    job = FakeJob(monkeypatch, 300)
    iteration = machine()
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": iteration, "End": True}}}
    result = run_local(definition, [1, 2, 3], timeout=60, force_replays=force_replays)
    assert (result.status, result.output) == ("SUCCEEDED", [{"ran": 300}] * 3)
    assert job.starts == 3
    assert len(job.polls) <= 3 * len(schedule(300))


@pytest.mark.parametrize("workflow_type", ["STANDARD", "EXPRESS"])
def test_an_interrupted_start_is_not_repeated_in_a_standard_workflow(monkeypatch, workflow_type):
    job = FakeJob(monkeypatch, 240)  # (within an Express execution's five minutes)
    result = run_local(machine(), {}, timeout=60, faults="interrupt", workflow_type=workflow_type)
    if workflow_type == "STANDARD":
        assert (result.status, result.error, job.starts, job.polls) == ("FAILED", rt.client_error(RESOURCE), 1, [])
        assert result.cause == rt.INTERRUPTED_CAUSE
    else:  # at least once: the start runs again, then the job is polled as without faults
        assert (result.status, result.output, job.starts) == ("SUCCEEDED", {"ran": 240}, 2)
        assert job.polls == pytest.approx(schedule(240), abs=1)


def test_a_test_double_answers_a_job_in_one_step():
    calls = []
    with asl_testing.using(service_caller=lambda resource, params, pattern: calls.append((resource, pattern)) or {"done": 1}):
        run = rt.Run(_StepOnly(), {}, {})
        run.at("Job")
        assert rt.run_job(run, RESOURCE, {}) == {"done": 1}
    assert calls == [(RESOURCE, "sync")]
    assert run.context.names == ["Job"]


class _StepOnly:
    """A context that runs steps at once and has no other operation."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def step(self, func, name=None, config=None):
        self.names.append(name)
        return func(None)
