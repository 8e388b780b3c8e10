"""Numbers and date/time in JSONata exactly as jsonata-js 2.0.6 (the version Step
Functions runs) handles them (issue 20). Every expected value was printed by jsonata-js
2.0.6 itself."""

from __future__ import annotations

import pytest

from asl2durable.runtime.asl_jsonata import QueryEvaluationError, evaluate


def value_of(expr: str, **bindings: object) -> object:
    return evaluate("{% " + expr + " %}", bindings, field="Output")


def code_of(expr: str, **bindings: object) -> str | None:
    with pytest.raises(QueryEvaluationError) as caught:
        value_of(expr, **bindings)
    return caught.value.code


class TestNumberToString:
    """$string and ``&`` write a number as jsonata-js does: rounded to 15 significant
    digits, then written by JavaScript (in full from 1e-6 up to 1e21)."""

    @pytest.mark.parametrize(
        ("expr", "text"),
        [
            ("$string(5890840712243076)", "5890840712243080"),
            ("'order-' & 9007199254740991", "order-9007199254740990"),
            ("$string([1e300*10])", "[1e+301]"),
            ("$string(123456789012345678)", "123456789012346000"),
            ("$string(1234567890123455)", "1234567890123460"),
            ('$string({"b": 1e21, "a": [0.1+0.2, -0]})', '{"b":1e+21,"a":[0.3,0]}'),
        ],
    )
    def test_fifteen_significant_digits(self, expr, text):
        assert value_of(expr) == text
        assert value_of("$string(1/3) & ' ' & (0.1 + 0.2)") == "0.333333333333333 0.3"

    def test_in_full_from_a_millionth_up_to_1e21(self):
        assert value_of("$string(1e20)") == "100000000000000000000"
        assert value_of("$string([1e21, 2.5e+25, 1e-7, 0.000001, -1.5e-9])") == "[1e+21,2.5e+25,1e-7,0.000001,-1.5e-9]"
        assert value_of("1.5 & '/' & 1e-7") == "1.5/1e-7"

    def test_a_bound_number_is_written_the_same_way(self):
        assert value_of("$string($n) & '|' & $n", n=5890840712243076) == "5890840712243080|5890840712243080"

    def test_objects_keep_javascripts_key_order_and_text(self):
        assert value_of('$string({"b": 1, "10": 2, "2": 3})') == '{"2":3,"10":2,"b":1}'
        assert value_of('$string({"a": "é\\u0001\\""}, true)') == '{\n  "a": "é\\u0001\\""\n}'
        assert value_of("$string([1, $sum])") == '[1,""]'

    @pytest.mark.parametrize("expr", ["$string(1/0)", "$string(-1/0)", "$string(0/0)", "'x' & 1/0"])
    def test_infinity_and_nan_cannot_be_written(self, expr):
        assert code_of(expr) == "D3001"

    def test_infinity_is_a_number_until_it_is_written_or_negated(self):
        assert value_of("(1/0) > 5") is True
        with pytest.raises(QueryEvaluationError, match=r"D1001: Number out of range: null$"):
            value_of("$string([1/0])")
        assert code_of("-(1/0)") == "D1001"


class TestArithmetic:
    """Arithmetic on doubles as JavaScript does it: Infinity and NaN carry on until a
    function or operator refuses them; ``%`` keeps the fraction."""

    @pytest.mark.parametrize(("expr", "result"), [("5.5 % 2", 1.5), ("-5.5 % 2", -1.5), ("$x % 0.75", 0.5)])
    def test_results(self, expr, result):
        assert value_of(expr, x=2) == result


class TestPower:
    """$power fails with D3061 whenever the result is not a finite number."""

    @pytest.mark.parametrize(
        "expr", ["$power(-2, 1/3)", "$power(100, 1000)", "$power(-10, 1001)", "$power(1, 1/0)", "$power(0, -1)"]
    )
    def test_not_a_finite_number(self, expr):
        assert code_of(expr) == "D3061"

    def test_the_message_writes_numbers_as_javascript(self):
        with pytest.raises(QueryEvaluationError, match=r"D3061: .* base=100000000000000000000, exponent=1000$"):
            value_of("$power(1e20, 1000)")

    def test_finite_results_only(self):
        assert value_of("[$power(2, 0.5), $power(2, 10), $power(-2, 3)]") == [1.4142135623730951, 1024, -8]
        assert code_of("$power(-2, 0.5)") == "D3061"
