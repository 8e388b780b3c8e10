"""JSONata: run-time evaluation (runtime/asl_jsonata.py), compile-time helpers
(asl2durable.expressions.jsonata) and the validator check (validate/jsonata_check.py).

Rows marked ``aws:`` come from executions recorded on AWS Step Functions
(tests/fixtures/conformance/cases, named by case id); ``test_recorded_cases`` also replays
every recorded case simple enough to evaluate without running a state machine.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from asl2durable.diagnostics import Severity
from asl2durable.expressions.jsonata import (
    check_expression,
    expression_text,
    is_expression,
    top_level_references,
    uses_nondeterminism,
)
from asl2durable.runtime import asl_jsonata as rt
from asl2durable.runtime.asl_jsonata import QueryEvaluationError, evaluate, evaluate_template, expect_type
from asl2durable.validate import validate

HERE = Path(__file__).parent
CASES_DIR = HERE / "fixtures" / "conformance" / "cases"

UNDEFINED = "The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."
THREW = "The JSONata expression '{expr}' specified for the field 'Output' threw an error during evaluation"


def states(input=None, **more) -> dict:
    return {"states": {"input": {} if input is None else input, **more}}


# ---- values -----------------------------------------------------------------------------------

#: (expression, bindings, expected value)
VALUE_ROWS = [
    # aws: evaluate_jsonata...test_base_jsonata_regular_expressions_BASE_*
    ('{% $contains("hello$world", /^hello\\ /) %}', {}, False),
    ("{% $contains('hello$world', /^hello\\$/) %}", {}, True),
    ("{% $contains('hello$world', /^hello\\ /) %}", {}, False),
    # aws: evaluate_jsonata...test_base_map_ITEMS_DOUBLE_QUOTES, TOLERATED_FAILURE_COUNT
    ("{% $number('2') %}", {}, 2),
    ("{% $variable := 1 %}", {}, 1),
    ("{% $states.input.input_value %}", states({"input_value": [1, 2, 3]}), [1, 2, 3]),
    # aws: outputdecl.test_output.test_base_cases_BASE_EXPR
    (
        "{% $sum($states.input.input_values) + $var_constant_1 %}",
        {**states({"input_values": [1, 2, 3]}), "var_constant_1": 1},
        7,
    ),
    ("{% $var_input_value %}", {"var_input_value": "string literal"}, "string literal"),
    # aws: scenarios...ESCAPE_SEQUENCES_JSONATA_COMPARISON_ASSIGN / _OUTPUT
    ("{% $var = '\"' %}", {"var": '"'}, True),
    ("{% $states.input = '\"' %}", states('"'), True),
    # aws: scenarios...CHOICE_STATE_SINGLETON_COMPOSITE_LITERAL_JSONATA, local_mocking...
    ('{% $states.input.str_value = "string literal" %}', states({"str_value": "string literal"}), True),
    ("{% $exists($status) ? 'completed' : 'running' %}", {}, "running"),
    ("{% $exists($status) ? 'completed' : 'running' %}", {"status": "running"}, "completed"),
    ("{% $status = 'completed' %}", {"status": "completed"}, True),
    # aws: scenarios...test_map_state_items_eval_jsonata_empty / _singleton, test_map_state_items_input_array_singleton
    ("{% [] %}", {}, []),
    ("{% [0] %}", {}, [0]),
    ("{% $states.input.items %}", states({"items": [0]}), [0]),
    # aws: intrinsic_functions.test_array_jsonata.test_array_partition.e2..e19
    ("{% $partition([0, 1, 2], 2) %}", {}, [[0, 1], [2]]),
    ("{% $partition([0, 1, 2, 3], 1) %}", {}, [[0], [1], [2], [3]]),
    ("{% $partition([0, 1, 2, 3], 2) %}", {}, [[0, 1], [2, 3]]),
    ("{% $partition([0, 1, 2, 3], 4) %}", {}, [[0, 1, 2, 3]]),
    ("{% $partition([0, 1, 2, 3], 5) %}", {}, [[0, 1, 2, 3]]),
    ("{% $partition([0], 3) %}", {}, [[0]]),
    ("{% $partition([0, 1], 1) %}", {}, [[0], [1]]),
    ("{% $partition([0, 1], 2) %}", {}, [[0, 1]]),
    ("{% $partition([0, 1], 5) %}", {}, [[0, 1]]),
    # aws: intrinsic_functions.test_array_jsonata.test_array_range.e0..e3 (end inclusive; one
    # element comes back as that element)
    ("{% $range(0, 9, 3) %}", {}, [0, 3, 6, 9]),
    ("{% $range(0, 10, 3) %}", {}, [0, 3, 6, 9]),
    ("{% $range(1, 9, 9) %}", {}, 1),
    ("{% $range(1, 9, 2) %}", {}, [1, 3, 5, 7, 9]),
    # aws: intrinsic_functions.test_json_manipulation_jsonata.test_parse.e0,e1,e3,e6
    ('{% $parse("-0") %}', {}, 0),
    ('{% $parse("1") %}', {}, 1),
    ('{% $parse("true") %}', {}, True),
    ('{% $parse(\'{"Arg1": 1, "Arg2": []}\') %}', {}, {"Arg1": 1, "Arg2": []}),
    # $partition / $range edge cases
    ("{% $partition([1, 2, 3]) %}", {}, [[1, 2, 3]]),
    ("{% $partition([1, 2, 3], 2.9) %}", {}, [[1, 2], [3]]),
    ("{% $range(9, 1, -2) %}", {}, [9, 7, 5, 3, 1]),
    ("{% $range(3, 3, 1) %}", {}, 3),
    ("{% $range(-1.2, 2.8, 1.9) %}", {}, [-1, 0, 1, 2]),  # arguments round towards zero
    ("{% [$range(1, 9, 9)] %}", {}, [1]),
    ("{% $append([], $range(7, 7, 1)) %}", {}, [7]),
    ("{% $append([], $range(3, 1, 1)) %}", {}, []),  # wrong direction: undefined
    # $hash: lowercase hex of the UTF-8 bytes
    ("{% $hash('abc', 'MD5') %}", {}, "900150983cd24fb0d6963f7d28e17f72"),
    ("{% $hash('abc', 'SHA-1') %}", {}, "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("{% $hash('abc', 'SHA-256') %}", {}, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        "{% $hash('abc', 'SHA-384') %}",
        {},
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    ),
    (
        "{% $hash('abc', 'SHA-512') %}",
        {},
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    # $random(seed) is java.util.Random(seed).nextDouble(), as on AWS
    ("{% $random(42) %}", {}, 0.7275636800328681),
    ("{% $random(42.9) = $random(42) %}", {}, True),
    ("{% $random(0) %}", {}, 0.730967787376657),
    # numbers: whole numbers are ints, -0 is 0, big ones stay floats
    ("{% 2.0 %}", {}, 2),
    ("{% 10 / 4 %}", {}, 2.5),
    ("{% 10 / 2 %}", {}, 5),
    ("{% -0 %}", {}, 0),
    ("{% 0.1 + 0.2 %}", {}, 0.30000000000000004),
    ("{% 1e300 %}", {}, 1e300),
    ("{% $x %}", {"x": 3.0}, 3),
    ("{% $x %}", {"x": 2**70}, float(2**70)),
    ('{% $parse("1.0") %}', {}, 1),
    ("{% $string(1.0) %}", {}, "1"),
    # null and undefined
    ("{% null %}", {}, None),
    ("{% $x %}", {"x": None}, None),
    ("{% $type($x) %}", {"x": None}, "null"),
    ("{% $x = null %}", {"x": None}, True),
    ("{% $states.input.a %}", states({"a": None}), None),
    ("{% $exists($states.input.a) %}", states({"a": None}), True),
    ("{% $exists($states.input.b) %}", states({"a": None}), False),
    ("{% $states.input.list[1] %}", states({"list": [0, None]}), None),
    ('{% {"a": $nothing, "b": null, "c": [1, $nothing]} %}', {}, {"b": None, "c": [1]}),
    ("{% $states.input.e %}", states({"e": []}), []),
    ("{% $exists($states.input.e) %}", states({"e": []}), True),
    # sequences and paths
    ("{% $states.input.a.b %}", states({"a": [{"b": 1}, {"b": 2}]}), [1, 2]),
    ("{% $states.input.a.b %}", states({"a": [{"b": 1}]}), 1),
    ("{% $states.input.a.b[] %}", states({"a": [{"b": 1}]}), [1]),
    ("{% $states.input.items[$ > 1] %}", states({"items": [1, 2, 3]}), [2, 3]),
    ("{% [1..4] %}", {}, [1, 2, 3, 4]),
    ("{% $map([1, 2], function($v) { $v * 10 }) %}", {}, [10, 20]),
    # $states parts and the context object
    ("{% $states.result.Payload %}", states(result={"Payload": {"k": 1}}), {"k": 1}),
    ("{% $states.errorOutput.Error %}", states(errorOutput={"Error": "E", "Cause": "c"}), "E"),
    ("{% $states.context.Map.Item.Value %}", states(context={"Map": {"Item": {"Value": "Item1"}}}), "Item1"),
    # no input document at the top level
    ("{% $exists(foo) %}", states({"foo": 1}), False),
    # an escaped surrogate pair is one character (jsonata-js strings are UTF-16), in string
    # literals, object keys and path steps; a lone surrogate stays
    ('{% "\\ud83d\\ude80" %}', {}, "\U0001f680"),
    ('{% {"k\\uD83D\\uDE80": 1} %}', {}, {"k\U0001f680": 1}),
    ('{% $states.input."k\\ud83d\\ude80" %}', states({"k\U0001f680": 2}), 2),
    ('{% $states.input.x = "\\ud83d\\ude80!" %}', states({"x": "\U0001f680!"}), True),
    ('{% "\\ud83d" %}', {}, "\ud83d"),
    # jsonata-js messages for $number and $toMillis
    ('{% $number("0x1F") %}', {}, 31),
    ('{% $toMillis("2020-01-01T00:00:00Z") %}', {}, 1577836800000),
]


@pytest.mark.parametrize("text,bindings,expected", VALUE_ROWS, ids=[r[0] for r in VALUE_ROWS])
def test_value(text, bindings, expected):
    got = evaluate(text, bindings, field="Output")
    assert got == expected
    assert type(got) is type(expected)


def test_number_types_nested():
    got = evaluate("{% $states.input %}", states({"a": [1.0, 2.5, {"b": -0.0}], "c": 10**20}), field="Output")
    assert got == {"a": [1, 2.5, {"b": 0}], "c": 10**20}
    assert type(got["a"][0]) is int and type(got["a"][2]["b"]) is int


def test_non_finite_numbers_are_named():
    assert rt._plain(float("inf")) == "Infinity"
    assert rt._plain([float("-inf"), float("nan")]) == ["-Infinity", "NaN"]


# ---- failures ---------------------------------------------------------------------------------

#: (expression, bindings, field, expected cause)
ERROR_ROWS = [
    # aws: assign.test_assign_reference_variables.test_undefined_reference_*
    ("{% $doesNotExist %}", {}, "Output", UNDEFINED.format(expr="$doesNotExist", field="Output")),
    ("{% $doesNotExist %}", {}, "Arguments", UNDEFINED.format(expr="$doesNotExist", field="Arguments")),
    ("{% $doesNotExist %}", {}, "Assign/result", UNDEFINED.format(expr="$doesNotExist", field="Assign/result")),
    # aws: scenarios.test_base_scenarios.test_map_state_items_eval_jsonata_fail_function
    (
        "{% $fn := function($x){$x} %}",
        {},
        "Items",
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' "
        "returned an unsupported result type.",
    ),
    ("{% $sum %}", {}, "Output", "The JSONata expression '$sum' specified for the field 'Output' returned an unsupported result type."),
    ("{%$doesNotExist%}", {}, "Output", UNDEFINED.format(expr="$doesNotExist", field="Output")),
    ("{% $states.input.items[$ > 5] %}", states({"items": [1]}), "Output",
     UNDEFINED.format(expr="$states.input.items[$ > 5]", field="Output")),  # fmt: skip
    ("{% $range(3, 1, 1) %}", {}, "Output", UNDEFINED.format(expr="$range(3, 1, 1)", field="Output")),
    ("{% $range(0, 4) %}", {}, "Output", UNDEFINED.format(expr="$range(0, 4)", field="Output")),
    ("{% $partition([], 2) %}", {}, "Output", UNDEFINED.format(expr="$partition([], 2)", field="Output")),
    ("{% $partition([1], 0) %}", {}, "Output", UNDEFINED.format(expr="$partition([1], 0)", field="Output")),
    ("{% $hash('abc') %}", {}, "Output", UNDEFINED.format(expr="$hash('abc')", field="Output")),
    ("{% foo %}", states({"foo": 1}), "Output", UNDEFINED.format(expr="foo", field="Output")),
    # errors: "<CODE>: <jsonata-js message>" after AWS's sentence
    ("{% $eval('1') %}", {}, "Output", THREW.format(expr="$eval('1')") + ". T1006: Attempted to invoke a non-function"),
    ("{% $range('0', 4, 1) %}", {}, "Output",
     THREW.format(expr="$range('0', 4, 1)") + '. T0410: Argument 1 of function "range" does not match function signature'),
    ("{% $range(0, 4, 1, 2) %}", {}, "Output",
     THREW.format(expr="$range(0, 4, 1, 2)") + '. T0410: Argument 4 of function "range" does not match function signature'),
    ("{% $range(0, 1000000, 1) %}", {}, "Output",
     THREW.format(expr="$range(0, 1000000, 1)") + ": Expression evaluation memory limit exceeded"),
    ("{% $partition([1], -2) %}", {}, "Output",
     THREW.format(expr="$partition([1], -2)") + ". D3137: Second argument must be zero or greater"),
    ("{% $partition('a', 1) %}", {}, "Output",
     THREW.format(expr="$partition('a', 1)") + '. T0412: Argument 1 of function "partition" must be an array of undefined'),
    ("{% $partition([1], 'x') %}", {}, "Output",
     THREW.format(expr="$partition([1], 'x')") + '. T0410: Argument 2 of function "partition" does not match function signature'),
    ("{% $hash(1, 'MD5') %}", {}, "Output",
     THREW.format(expr="$hash(1, 'MD5')") + '. T0410: Argument 1 of function "hash" does not match function signature'),
    ("{% $hash('a', 'md5') %}", {}, "Output",
     THREW.format(expr="$hash('a', 'md5')")
     + ". D3137: Hash algorithm 'md5' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"),
    ("{% $random('x') %}", {}, "Output",
     THREW.format(expr="$random('x')") + '. T0410: Argument 1 of function "random" does not match function signature'),
    ("{% $uuid(1) %}", {}, "Output",
     THREW.format(expr="$uuid(1)") + '. T0410: Argument 1 of function "uuid" does not match function signature'),
    ("{% $parse('{') %}", {}, "Output", THREW.format(expr="$parse('{')") + ". D3137: Invalid JSON"),
    ("{% $parse('') %}", {}, "Output", THREW.format(expr="$parse('')") + ". D3137: Invalid JSON"),
    ("{% $parse('1 2') %}", {}, "Output", THREW.format(expr="$parse('1 2')") + ". D3137: Invalid JSON"),
    ("{% $parse('NaN') %}", {}, "Output", THREW.format(expr="$parse('NaN')") + ". D3137: Invalid JSON"),
    ('{% $parse(\'{"a": 1, "a": 2}\') %}', {}, "Output",
     THREW.format(expr='$parse(\'{"a": 1, "a": 2}\')') + ". D3137: Invalid JSON"),
    ("{% $parse(1) %}", {}, "Output",
     THREW.format(expr="$parse(1)") + '. T0410: Argument 1 of function "parse" does not match function signature'),
    ('{% 1 + "a" %}', {}, "Output",
     THREW.format(expr='1 + "a"') + '. T2002: The right side of the "+" operator must evaluate to a number'),
    ('{% "a" < 1 %}', {}, "Output",
     THREW.format(expr='"a" < 1')
     + '. T2009: The values "a" and 1 either side of operator "<" must be of the same data type'),
    ('{% $sum("a") %}', {}, "Output",
     THREW.format(expr='$sum("a")') + '. T0412: Argument 1 of function "sum" must be an array of "numbers"'),
    ('{% -"a" %}', {}, "Output", THREW.format(expr='-"a"') + '. D1002: Cannot negate a non-numeric value: "a"'),
    ('{% $number("abc") %}', {}, "Output",
     THREW.format(expr='$number("abc")') + '. D3030: Unable to cast value to a number: "abc"'),
    ("{% $number(null) %}", {}, "Output",
     THREW.format(expr="$number(null)") + '. T0410: Argument 1 of function "number" does not match function signature'),
    ('{% {"a": 1, "a": 2} %}', {}, "Output",
     THREW.format(expr='{"a": 1, "a": 2}') + '. D1009: Multiple key definitions evaluate to same key: "a"'),
    ('{% $error("boom") %}', {}, "Output", THREW.format(expr='$error("boom")') + ". D3137: boom"),
    ("{% $nope() %}", {}, "Output", THREW.format(expr="$nope()") + ". T1006: Attempted to invoke a non-function"),
    ("{% 1 + %}", {}, "Output", THREW.format(expr="1 +") + ". S0207: Unexpected end of expression"),
    ("{% 'a\\qb' %}", {}, "Output", THREW.format(expr="'a\\qb'") + '. S0103: Unsupported escape sequence: \\"q"'),
    ("{% $match('a', //) %}", {}, "Output", THREW.format(expr="$match('a', //)") + ". S0301: Empty regular expressions are not allowed"),
    ("{% ($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000)) %}", {}, "Output",
     THREW.format(expr="($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))")
     + ". D1011: Stack overflow. Check for non-terminating recursive function.  Consider rewriting as tail-recursive"),
]  # fmt: skip


@pytest.mark.parametrize("text,bindings,field,cause", ERROR_ROWS, ids=[r[0] for r in ERROR_ROWS])
def test_error(text, bindings, field, cause):
    with pytest.raises(QueryEvaluationError) as caught:
        evaluate(text, bindings, field=field)
    assert str(caught.value) == cause
    assert caught.value.error == "States.QueryEvaluationError"


def test_runaway_expression_times_out(monkeypatch):
    monkeypatch.setattr(rt, "TIMEOUT_SECONDS", 0.2)
    with pytest.raises(QueryEvaluationError, match=r"D1012: Evaluation timeout after 200 milliseconds"):
        evaluate("{% ($f := function($n) { $f($n + 1) }; $f(0)) %}", {}, field="Output")


# ---- templates --------------------------------------------------------------------------------


def test_template_literals_and_expressions():
    # aws: outputdecl.test_output.test_base_output_any_non_dict_LIST_RICH and ...BASE_LITERALS
    template = [
        None, 0, 0.1, True, "string", [], "$nosuchvar", "$.no.such.path", "{% $states.input %}",
        {"key": "{% true %}", "constant_not_jsonata": " {% states.input %} ", "{% k %}": "{% 1 %}"},
    ]  # fmt: skip
    got = evaluate_template(template, states({"input_value": "stringliteral"}), field="Output")
    assert got == [
        None, 0, 0.1, True, "string", [], "$nosuchvar", "$.no.such.path", {"input_value": "stringliteral"},
        {"key": True, "constant_not_jsonata": " {% states.input %} ", "{% k %}": 1},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "template,field,where",
    [
        (
            {"FunctionName": "{% $doesNotExist %}"},
            "Arguments",
            "Arguments/FunctionName",
        ),  # aws: ..._ARGUMENTS_FIELD
        ({"result": "{% $doesNotExist %}"}, "Output", "Output/result"),  # aws: ..._OUTPUT_MULTIPLE_STATES
        ("{% $doesNotExist %}", "Items", "Items"),
        ({"a": {"b": [1, ["{% $doesNotExist %}"]]}}, "Output", "Output/a/b[1][0]"),
        ([{"x": "{% $doesNotExist %}"}], "Choices[0]/Output", "Choices[0]/Output[0]/x"),
    ],
)
def test_template_field_paths(template, field, where):
    with pytest.raises(QueryEvaluationError) as caught:
        evaluate_template(template, {}, field=field)
    assert str(caught.value) == UNDEFINED.format(expr="$doesNotExist", field=where)


def test_template_does_not_share_or_change_data():
    data = {"a": [1, {"b": None}], "n": None}
    bindings = {**states(copy.deepcopy(data)), "v": {"k": [1]}}
    before = copy.deepcopy(bindings)
    got = evaluate_template({"x": "{% $states.input %}", "y": "{% $v %}"}, bindings, field="Output")
    assert got == {"x": data, "y": {"k": [1]}}
    assert bindings == before
    got["x"]["a"].append(2)
    got["y"]["k"].append(2)
    assert bindings == before


# ---- result types -----------------------------------------------------------------------------

#: (field, expression, value, expected type, expected cause or None)
TYPE_ROWS = [
    # aws: scenarios.test_base_scenarios.test_map_state_items_eval_jsonata_fail_* and *_variable_sampling_*
    ("Items", "{% true %}", True, "array", "Expected 'array', but was 'boolean' for value: true"),
    ("Items", "{% null %}", None, "array", "Expected 'array', but was 'null' for value: null"),
    ("Items", "{% 1 %}", 1, "array", "Expected 'array', but was 'number' for value: 1"),
    (
        "Items",
        "{% 'string' %}",
        "string",
        "array",
        "Expected 'array', but was 'string' for value: \"string\"",
    ),
    ("Items", "{% $ItemsVar %}", {"foo": "bar"}, "array",
     'Expected \'array\', but was \'object\' for value: {"foo":"bar"}'),  # fmt: skip
    ("Items", "{% $ItemsVar %}", ["a"], "array", None),
    ("Seconds", "{% $s %}", 1.5, "integer", "Expected 'integer', but was 'number' for value: 1.5"),
    ("Seconds", "{% $s %}", 3, "integer", None),
    ("Seconds", "{% $s %}", True, "integer", "Expected 'integer', but was 'boolean' for value: true"),
    ("Timestamp", "{% $t %}", "2016-03-14T01:59:00Z", "string", None),
    (
        "Choices[0]/Condition",
        "{% $c %}",
        "yes",
        "boolean",
        "Expected 'boolean', but was 'string' for value: \"yes\"",
    ),
    ("Choices[0]/Condition", "{% $c %}", False, "boolean", None),
    ("MaxConcurrency", "{% $m %}", 2.5, "number", None),
]


@pytest.mark.parametrize("field,text,value,expected,cause", TYPE_ROWS)
def test_expect_type(field, text, value, expected, cause):
    if cause is None:
        assert expect_type(value, expected, field=field, text=text) is value
        return
    with pytest.raises(QueryEvaluationError) as caught:
        expect_type(value, expected, field=field, text=text)
    prefix = f"The JSONata expression '{expression_text(text)}' specified for the field '{field}' "
    assert str(caught.value) == prefix + "returned an unexpected result type. " + cause


# ---- $uuid, $random hooks ---------------------------------------------------------------------


def test_uuid_and_random_defaults():
    uuid = evaluate("{% $uuid() %}", {}, field="Output")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid)
    for _ in range(20):
        assert 0 <= evaluate("{% $random() %}", {}, field="Output") < 1


def test_uuid_and_random_hooks():
    calls = []

    def uuid():
        calls.append("uuid")
        return "fixed-uuid"

    def random():
        calls.append("random")
        return 0.25

    got = evaluate_template(
        {"u": "{% $uuid() %}", "r": "{% $random() %}", "s": "{% $random(42) %}"},
        {},
        field="Output",
        uuid=uuid,
        random=random,
    )
    assert got == {"u": "fixed-uuid", "r": 0.25, "s": 0.7275636800328681}
    assert calls == ["uuid", "random"]  # a seeded $random does not call the hook


def test_hook_exceptions_propagate_unchanged():
    class Suspend(BaseException):
        pass

    class Boom(Exception):
        pass

    def suspend():
        raise Suspend()

    def boom():
        raise Boom()

    with pytest.raises(Suspend):
        evaluate("{% $uuid() %}", {}, field="Output", uuid=suspend)
    with pytest.raises(Boom):
        evaluate("{% $map([1], function($v) { $random() }) %}", {}, field="Output", random=boom)


# ---- concurrency ------------------------------------------------------------------------------


def test_concurrent_evaluations_do_not_interfere():
    text = (
        '{% $map($states.input.items, function($v) { {"v": $v * $k, '
        '"top": $sort($states.input.items, function($a, $b) { $a < $b })[0]} }) %}'
    )

    def work(k):
        items = list(range(k % 5 + 2))
        got = evaluate(text, {**states({"items": items}), "k": k}, field="Output")
        return got == [{"v": v * k, "top": max(items)} for v in items]

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(400)))


def test_now_and_millis_are_the_time_of_evaluation():
    # jsonata-python reads $millis() from the thread's "current" instance: evaluating one
    # expression after compiling another used to report the other's (stale) time.
    evaluate("{% $millis() %}", {}, field="Output")
    evaluate("{% 'another expression' %}", {}, field="Output")
    time.sleep(0.3)
    assert abs(evaluate("{% $millis() %}", {}, field="Output") - time.time() * 1000) < 200

    results = {}

    def in_thread():
        time.sleep(0.3)
        results["t"] = evaluate("{% $millis() %}", {}, field="Output") - time.time() * 1000

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert abs(results["t"]) < 200


def test_compiled_once():
    text = "{% $states.input.compiled_once_marker %}"
    evaluate(text, states({"compiled_once_marker": 1}), field="Output")
    compiled = rt._CACHE[expression_text(text)]
    evaluate(text, states({"compiled_once_marker": 2}), field="Output")
    assert rt._CACHE[expression_text(text)] is compiled
    assert compiled.names == {"states"}


# ---- compile-time helpers ---------------------------------------------------------------------

IS_EXPRESSION_ROWS = [
    ("{% $x %}", True),
    ("{%$x%}", True),
    ("{%\n$x\n%}", True),
    (" {% $x %}", False),
    ("{% $x %} ", False),
    ("{% $x", False),
    ("$x", False),
    ("{%}", False),
    (1, False),
    (None, False),
]


@pytest.mark.parametrize("value,expected", IS_EXPRESSION_ROWS)
def test_is_expression(value, expected):
    assert is_expression(value) is expected
    assert rt.is_expression(value) is expected


@pytest.mark.parametrize(
    "value,text", [("{% $x %}", "$x"), ("{%$x%}", "$x"), ("{%  a +\n b  %}", "a +\n b"), ("{%%}", "")]
)
def test_expression_text(value, text):
    assert expression_text(value) == text


CHECK_EXPRESSION_ROWS = [
    ("{% $states.input %}", None),
    ("{% $x := 1 %}", None),
    ("{% a[1,2) %}", 'Expected "]", got ","'),
    ('{% "unterminated %}', "String literal must be terminated by a matching quote"),
    ("{% 1 + %}", "Unexpected end of expression"),
    ('{% {"a":} %}', 'The symbol "}" cannot be used as a unary operator'),
    ("{% $x := %}", "Unexpected end of expression"),
    ('{% $match("a", /abc %}', "No terminating / in regular expression"),
    ("{% %}", "Unexpected end of expression"),
    ("$states.input +", "Unexpected end of expression"),  # a bare expression works too
]


@pytest.mark.parametrize("value,message", CHECK_EXPRESSION_ROWS)
def test_check_expression(value, message):
    assert check_expression(value) == message


@pytest.mark.parametrize(
    "text,expected",
    [
        ("$uuid()", True),
        ("'id-' & $uuid ()", True),
        ("$random()", True),
        ("$random(42)", True),
        ("$now()", True),
        ("$string($millis())", True),
        ("$states.input.uuid", False),
        ("'$uuid()'", False),
        ('"$now()" & $x', False),
        ("/* $now() */ 1", False),
        ("$nowhere()", False),
    ],
)
def test_uses_nondeterminism(text, expected):
    assert uses_nondeterminism(text) is expected


@pytest.mark.parametrize(
    "text,names",
    [
        ("{% phone %}", ["phone"]),
        ("{% $ %}", ["$"]),
        ("{% $$ %}", ["$$"]),
        ("{% $.a %}", ["$"]),
        ("{% a.b + c %}", ["a", "c"]),
        ('{% {"k": v, "w": [x]} %}', ["v", "x"]),
        ("{% a ? b : c %}", ["a", "b", "c"]),
        ("{% $f(a) %}", ["a"]),
        ("{% $states.input.items[price > 5].name %}", []),
        ("{% $states.input.(a + b) %}", []),
        ("{% $map($x, function($v) { a }) %}", []),
        ("{% $x[0].a %}", []),
        ("{% 'a' & $uuid() %}", []),
        ("{% 1 + %}", []),
    ],
)
def test_top_level_references(text, names):
    assert top_level_references(text) == names


# ---- validator --------------------------------------------------------------------------------

INVALID = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED = "UNSUPPORTED_JSONATA_EXPRESSION"
BAD = "{% 1 + %}"
FN = "arn:aws:states:::lambda:invoke"


def machine(state: dict, **top) -> dict:
    return {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}, **top}


def findings(definition: dict) -> set[tuple[str, str, str]]:
    return {(d.code, d.pointer, d.message) for d in validate(definition) if d.severity is Severity.ERROR}


def jsonata_findings(definition: dict) -> set[tuple[str, str, str]]:
    return {f for f in findings(definition) if f[0] in (INVALID, UNSUPPORTED)}


#: (id, definition, [(code, pointer, message)])
VALIDATOR_ROWS = [
    ("pass-output", machine({"Type": "Pass", "Output": BAD, "End": True}),
     [(INVALID, "/States/S/Output", "Unexpected end of expression")]),
    ("pass-output-nested", machine({"Type": "Pass", "Output": {"a": [1, {"b": "{% a[1,2) %}"}]}, "End": True}),
     [(INVALID, "/States/S/Output/a/1/b", 'Expected "]", got ","')]),
    ("assign", machine({"Type": "Pass", "Assign": {"x": BAD, "y": "{% $ok %}"}, "End": True}),
     [(INVALID, "/States/S/Assign/x", "Unexpected end of expression")]),
    ("task-fields", machine({"Type": "Task", "Resource": FN, "Arguments": {"FunctionName": BAD},
                             "TimeoutSeconds": BAD, "HeartbeatSeconds": BAD, "Credentials": {"RoleArn": BAD},
                             "End": True}),
     [(INVALID, "/States/S/Arguments/FunctionName", "Unexpected end of expression"),
      (INVALID, "/States/S/TimeoutSeconds", "Unexpected end of expression"),
      (INVALID, "/States/S/HeartbeatSeconds", "Unexpected end of expression"),
      (INVALID, "/States/S/Credentials/RoleArn", "Unexpected end of expression")]),
    ("task-catch", {"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": FN, "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "Output": BAD, "Assign": {"e": BAD}}]},
        "F": {"Type": "Succeed"}}},
     [(INVALID, "/States/S/Catch/0/Output", "Unexpected end of expression"),
      (INVALID, "/States/S/Catch/0/Assign/e", "Unexpected end of expression")]),
    ("choice-rule", {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "D",
              "Choices": [{"Condition": "{% $x = %}", "Next": "D", "Output": {"o": BAD}, "Assign": {"a": BAD}}]},
        "D": {"Type": "Succeed"}}},
     [(INVALID, "/States/C/Choices/0/Condition", "Unexpected end of expression"),
      (INVALID, "/States/C/Choices/0/Output/o", "Unexpected end of expression"),
      (INVALID, "/States/C/Choices/0/Assign/a", "Unexpected end of expression")]),
    ("wait-seconds", machine({"Type": "Wait", "Seconds": '{% "unterminated %}', "End": True}),
     [(INVALID, "/States/S/Seconds", "String literal must be terminated by a matching quote")]),
    ("wait-timestamp", machine({"Type": "Wait", "Timestamp": BAD, "End": True}),
     [(INVALID, "/States/S/Timestamp", "Unexpected end of expression")]),
    ("fail", machine({"Type": "Fail", "Error": BAD, "Cause": '{% {"a":} %}'}),
     [(INVALID, "/States/S/Error", "Unexpected end of expression"),
      (INVALID, "/States/S/Cause", 'The symbol "}" cannot be used as a unary operator')]),
    ("map-fields", machine({"Type": "Map", "Items": BAD, "ItemSelector": {"v": BAD}, "MaxConcurrency": BAD,
                            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                            "End": True}),
     [(INVALID, "/States/S/Items", "Unexpected end of expression"),
      (INVALID, "/States/S/ItemSelector/v", "Unexpected end of expression"),
      (INVALID, "/States/S/MaxConcurrency", "Unexpected end of expression")]),
    ("distributed-map-fields", machine({
        "Type": "Map", "End": True, "ToleratedFailureCount": BAD, "ToleratedFailurePercentage": BAD,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": BAD, "Key": "k"},
                       "ReaderConfig": {"InputType": "JSON", "MaxItems": BAD}},
        "ItemBatcher": {"MaxItemsPerBatch": BAD, "BatchInput": {"b": BAD}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": {"Bucket": BAD, "Prefix": "p"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}),
     [(INVALID, "/States/S/ToleratedFailureCount", "Unexpected end of expression"),
      (INVALID, "/States/S/ToleratedFailurePercentage", "Unexpected end of expression"),
      (INVALID, "/States/S/ItemReader/Arguments/Bucket", "Unexpected end of expression"),
      (INVALID, "/States/S/ItemReader/ReaderConfig/MaxItems", "Unexpected end of expression"),
      (INVALID, "/States/S/ItemBatcher/MaxItemsPerBatch", "Unexpected end of expression"),
      (INVALID, "/States/S/ItemBatcher/BatchInput/b", "Unexpected end of expression"),
      (INVALID, "/States/S/ResultWriter/Arguments/Bucket", "Unexpected end of expression")]),
    ("nested-in-map-processor", machine({
        "Type": "Map", "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": BAD, "End": True}}}}),
     [(INVALID, "/States/S/ItemProcessor/States/P/Output", "Unexpected end of expression")]),
    ("nested-in-parallel-branch", machine({
        "Type": "Parallel", "End": True, "Arguments": "{% $states.input %}",
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": BAD, "End": True}}}]}),
     [(INVALID, "/States/S/Branches/0/States/B/Output", "Unexpected end of expression")]),
    ("per-state-jsonata", {"StartAt": "S", "States": {
        "S": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": BAD, "End": True}}},
     [(INVALID, "/States/S/Output", "Unexpected end of expression")]),
    ("top-level-name", machine({"Type": "Pass", "Output": {"v": "{% phone %}"}, "End": True}),
     [(UNSUPPORTED, "/States/S/Output/v", "Reference to 'phone' at the top level is not supported.")]),
    ("top-level-dollar", machine({"Type": "Pass", "Output": "{% $.a %}", "End": True}),
     [(UNSUPPORTED, "/States/S/Output", "Reference to '$' at the top level is not supported.")]),
    ("top-level-dollar-dollar", machine({"Type": "Pass", "Output": "{% $$ %}", "End": True}),
     [(UNSUPPORTED, "/States/S/Output", "Reference to '$$' at the top level is not supported.")]),
    ("top-level-reported-once", machine({"Type": "Pass", "Output": "{% a + a %}", "End": True}),
     [(UNSUPPORTED, "/States/S/Output", "Reference to 'a' at the top level is not supported.")]),
    # not findings
    ("jsonpath-state-literal", {"StartAt": "S", "States": {
        "S": {"Type": "Pass", "Parameters": {"a": BAD}, "Assign": {"b": "{% phone %}"}, "End": True}}}, []),
    ("not-an-expression", machine({"Type": "Pass", "Output": {"a": " {% 1 + %} ", "{% 1 + %}": 1}, "End": True}), []),
    ("valid", machine({"Type": "Pass", "Output": {"a": "{% $states.input.items[price > 5].name %}",
                                                  "b": "{% $map($v, function($x) { $x.k }) %}"},
                       "Assign": {"c": "{% $uuid() %}"}, "End": True}), []),
]  # fmt: skip


@pytest.mark.parametrize(
    "definition,expected", [r[1:] for r in VALIDATOR_ROWS], ids=[r[0] for r in VALIDATOR_ROWS]
)
def test_validator(definition, expected):
    assert jsonata_findings(definition) == set(expected)


def test_validator_reports_nothing_else_for_a_bad_expression():
    assert findings(machine({"Type": "Pass", "Output": BAD, "End": True})) == {
        (INVALID, "/States/S/Output", "Unexpected end of expression")
    }


# ---- recorded AWS executions ------------------------------------------------------------------

_PREFIX = re.compile(
    r"^An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. "
)


def _replay(case: dict):
    """Run a recorded case that only chains Pass states (Output/Assign), a Map's Items (with an
    inline Pass processor) and a Fail; None when the case is not of that shape."""
    definition = case["definition"]
    top = definition.get("QueryLanguage", "JSONPath")
    names = list(definition["States"])
    data, variables, name = case["input"], {}, definition["StartAt"]
    for _ in range(len(names)):
        state = definition["States"][name]
        if state.get("QueryLanguage", top) != "JSONata" or "{% $states.context" in json.dumps(state):
            return None
        bindings = {**variables, **states(data)}
        if state["Type"] == "Pass":
            if set(state) - {"Type", "Output", "Assign", "Next", "End", "QueryLanguage", "Comment"}:
                return None
            assign = evaluate_template(state.get("Assign", {}), bindings, field="Assign")
            data = evaluate_template(state["Output"], bindings, field="Output") if "Output" in state else data
            variables.update(assign)
        elif state["Type"] == "Map" and "Items" in state:
            processor = state["ItemProcessor"]["States"]
            if state.get("ItemSelector") or any(
                s != {"Type": "Pass", "End": True} for s in processor.values()
            ):
                return None
            for field in ("MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"):
                if is_expression(state.get(field)):
                    expect_type(
                        evaluate(state[field], bindings, field=field),
                        "number",
                        field=field,
                        text=state[field],
                    )
            items = evaluate_template(state["Items"], bindings, field="Items")
            data = (
                expect_type(items, "array", field="Items", text=state["Items"])
                if isinstance(state["Items"], str)
                else items
            )
        elif state["Type"] == "Fail" and set(state) <= {"Type", "Error", "Cause", "Comment"}:
            return {
                "status": "FAILED",
                **{
                    k.lower(): evaluate_template(state[k], bindings, field=k)
                    for k in ("Error", "Cause")
                    if k in state
                },
            }
        else:
            return None
        if state.get("End"):
            return {"status": "SUCCEEDED", "output": data}
        name = state["Next"]
    return None


def _recorded_cases() -> list[Path]:
    return [p for p in sorted(CASES_DIR.glob("*.json")) if "{%" in p.read_text()]


def _replayable(path: Path) -> bool:
    """Cases this expression-level replay can decide (the rest need a state-machine run,
    which tests/test_conformance.py does)."""
    try:
        return _replay(json.loads(path.read_text())) is not None
    except QueryEvaluationError:
        return True


@pytest.mark.parametrize("path", [p for p in _recorded_cases() if _replayable(p)], ids=lambda p: p.stem)
def test_recorded_cases(path):
    case = json.loads(path.read_text())
    expected = case["expected"]
    try:
        got = _replay(case)
    except QueryEvaluationError as exc:
        assert expected["status"] == "FAILED" and expected.get("error") == "States.QueryEvaluationError"
        assert str(exc) == _PREFIX.sub("", expected["cause"])
        return
    assert got == {k: v for k, v in expected.items() if k in got}


def test_recorded_cases_are_replayed():
    """Guard against the replay silently skipping everything."""
    replayed = 0
    for path in _recorded_cases():
        try:
            replayed += _replay(json.loads(path.read_text())) is not None
        except QueryEvaluationError:
            replayed += 1
    assert not _recorded_cases() or replayed >= 30
