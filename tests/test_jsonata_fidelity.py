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


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{% $contains($states.input.a, "x") %}', "T0410"),
        ('{% $join(["x"], $states.input.a) %}', "T0410"),
        ("{% $abs($states.input.a) %}", "T0410"),
        ("{% $sum($states.input.a) %}", "T0412"),
        ("{% $merge($states.input.a) %}", "T0412"),
    ],
)
def test_a_json_null_argument_is_null_not_missing(text, code):
    """jsonata-js types JSON null as null (``l``) when it checks a signature; jsonata-python
    took it for a missing argument and returned undefined (or failed in Python)."""
    with pytest.raises(asl_jsonata.QueryEvaluationError) as caught:
        asl_jsonata.evaluate(text, {"states": {"input": {"a": None}}}, field="Output")
    assert caught.value.code == code


def test_null_is_an_item_where_a_function_takes_an_array():
    bindings = {"states": {"input": {"a": None}}}
    assert asl_jsonata.evaluate("{% $count($states.input.a) %}", bindings, field="Output") == 1
    assert asl_jsonata.evaluate("{% $reverse($states.input.a) %}", bindings, field="Output") == [None]
