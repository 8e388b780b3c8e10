"""Every recorded AWS execution, translated and run locally, must end as it did on AWS.

Cases that need features of later issues run as expected failures (not strict), so a case
that starts passing shows up as XPASS in the report.
"""

import datetime as dt

import pytest
from conformance import case_input, case_param, compare, load_cases, run_case

from asl2durable.runtime.asl_jsonpath import assign, parse, read

CASES = load_cases()


@pytest.mark.parametrize("case", [case_param(c) for c in CASES])
def test_conformance(case):
    problems = compare(case, run_case(case))
    assert not problems, "\n".join(problems)


CLOCK_CASES = [c for c in CASES if "input_from_clock" in c.data]


def test_some_cases_build_their_input_from_the_clock():
    assert CLOCK_CASES, "the corpus has a clock-built case (base.test_wait.test_timestamp_too_far_in_future_*)"


@pytest.mark.parametrize("case", CLOCK_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("now", ["2026-11-28T00:00:00+00:00", "2031-07-01T23:59:59+00:00", "2090-02-28T12:00:00+00:00"])
def test_clock_built_input_is_computed_at_run_time(case, now):
    clock = case.data["input_from_clock"]
    moment = dt.datetime.fromisoformat(now)
    built = case_input(case, moment)
    expected = (moment + dt.timedelta(days=clock["days_from_now"])).strftime(clock["format"])
    root, steps = parse(clock["path"])
    assert read(built, (root, steps)) == expected
    # the rest of the input is the recorded one, and the recorded case is left as it was
    assert assign(built, steps, None) == assign(case.data["input"], steps, None)
    assert read(case.data["input"], (root, steps)) != expected or now.startswith("2026-11-28")


@pytest.mark.parametrize("case", CLOCK_CASES, ids=lambda c: c.id)
def test_conformance_runs_use_the_input_of_today(case, monkeypatch):
    """run_case sends what the recorded test would send today, not the fixed value of the fixture."""
    import conformance

    sent = []
    monkeypatch.setattr(conformance, "run_local", lambda definition, value, **kw: sent.append(value) or None)
    before = dt.datetime.now(dt.timezone.utc)
    run_case(case)
    after = dt.datetime.now(dt.timezone.utc)
    assert sent and sent[0] in (case_input(case, before), case_input(case, after))
