"""Every recorded AWS execution, translated and run locally, must end as it did on AWS.

Cases that need features of later issues run as expected failures (not strict), so a case
that starts passing shows up as XPASS in the report.
"""

import pytest

from conformance import case_param, compare, load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("case", [case_param(c) for c in CASES])
def test_conformance(case):
    problems = compare(case, run_case(case))
    assert not problems, "\n".join(problems)
