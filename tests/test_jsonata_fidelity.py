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
    warm Lambda container worded every later execution's error with another name. A built-in
    now keeps its own name (jsonata-js would name the call ``$g("a")`` "g": the one wording
    that differs, for a built-in called by another name)."""
    assert asl_jsonata.evaluate("{% ($g := $sum; $g([1, 2])) %}", {}, field="Output") == 3
    assert '"sum" must be' in str(_error('{% $sum("a") %}'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # the first argument that does not match, not always the first
        ('{% $join(["a"], 1) %}', 'T0410: Argument 2 of function "join" does not match function signature'),
        # a built-in called in a lambda's tail position is named, not the lambda's caller
        ('{% $map([1], function($v){$uppercase($v)}) %}', 'T0410: Argument 1 of function "uppercase" does not'),
        # a lambda not called by name is undefined; jsonata-python said "lambda"
        ('{% function($a)<a<n>>{$a}(["x"]) %}', 'T0412: Argument 1 of function undefined must be an array of "numbers"'),
        # jsonata-js's quotes
        ('{% $formatNumber(20, "#.0.0") %}', "D3081: The sub-picture must not contain more than one instance of the 'decimal"),
    ],
)
def test_a_signature_error_is_worded_as_jsonata_js_words_it(text, message):
    assert message in str(_error(text))


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


def test_calling_a_value_that_is_no_function_fails_without_printing(capsys):
    """jsonata-python printed "Proc not found ..." on standard output (the function's log)."""
    assert _error("{% ($f := 2; $f()) %}").code == "T1006"
    assert capsys.readouterr().out == ""


def test_undefined_arguments_found_by_the_differential_check():
    """``benchmarks/jsonata_differential.py``: jsonata-js gives undefined for a $formatNumber of
    nothing (we failed in Python when the picture was missing too) and D3061 for a $power with
    no exponent (NaN), where we failed in Python."""
    assert asl_jsonata.evaluate_document("$formatNumber(nothing, nothing)", None, {}, undefined="u") == "u"
    assert _error("{% $power(2, nothing) %}").code == "D3061"
