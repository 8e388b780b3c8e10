"""Every recorded AWS execution, replayed on its translation, state by state (``verify``).

Each case's history (every state entered and exited with its input and output, every call with
its parameters and answer) is compared with the translated run's, every Task answered as
recorded (a Map's S3 objects in moto, as the case's test created them): ``same`` unless the
case is a known difference (its reason in ``conformance.KNOWN_DIFFERENCES``) or one verify
cannot compare (a Distributed Map whose iterations call Lambda in child executions: their
answers are in those executions' histories, not in the case's).
"""

import pytest
from conformance import KNOWN_DIFFERENCES, load_cases, verify_case

from asl2durable.run.verify import COULD_NOT_COMPARE, SAME

pytestmark = pytest.mark.slow  # every recorded history replayed state by state

CASES = [c for c in load_cases() if c.data.get("history")]

NOT_COMPARABLE = "ran its iterations as child executions"


def _param(case):
    reason = KNOWN_DIFFERENCES.get(case.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_recorded_history_is_the_same_state_by_state(case):
    result = verify_case(case)
    if result.verdict == COULD_NOT_COMPARE and NOT_COMPARABLE in (result.reason or ""):
        return  # the history does not hold the child executions' answers (README: the figure counts it)
    assert result.verdict == SAME, str(result)
