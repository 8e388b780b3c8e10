"""JSONata as Step Functions evaluates it (jsonata-js 2.0.6), class by class (issue 20): each
test here failed on the evaluator before the fix it names."""

from __future__ import annotations

import pytest

from asl2durable.runtime import asl_jsonata


def _error(text: str) -> asl_jsonata.QueryEvaluationError:
    with pytest.raises(asl_jsonata.QueryEvaluationError) as caught:
        asl_jsonata.evaluate(text, {}, field="Output")
    return caught.value


def test_an_error_carries_its_jsonata_code():
    error = _error('{% $sum("a") %}')
    assert error.code == "T0412"
    assert error.error == "States.QueryEvaluationError"
    assert str(error).endswith('T0412: Argument 1 of function "sum" must be an array of "numbers"')


def test_binding_a_built_in_to_a_variable_does_not_rename_it_in_later_evaluations():
    """jsonata-python renamed the shared ``$sum`` to ``g`` for the rest of the process, so a
    warm Lambda container worded every later execution's error with another name."""
    assert asl_jsonata.evaluate("{% ($g := $sum; $g([1, 2])) %}", {}, field="Output") == 3
    assert '"sum" must be' in str(_error('{% $sum("a") %}'))
    assert '"g" must be' in str(_error('{% ($g := $sum; $g("a")) %}'))
