"""jsonata-js 2.0.6's parser errors and its string, regex, sort, URL and transform functions,
class by class (issue 20): each test here failed on the evaluator before the fix it names."""

from __future__ import annotations

import pytest

from asl2durable.runtime import asl_jsonata


def _value(text: str, data: object = None) -> object:
    return asl_jsonata.evaluate(text, {"states": {"input": data}}, field="Output")


def _error(text: str, data: object = None) -> asl_jsonata.QueryEvaluationError:
    with pytest.raises(asl_jsonata.QueryEvaluationError) as caught:
        _value(text, data)
    return caught.value


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("1 /* no closing tag", "S0106", "Comment has no closing tag"),
        ("[1!2]", "S0204", 'Unknown operator: "!"'),
        ("1 ~ 2", "S0204", 'Unknown operator: "~"'),
        ("λ($a)<n<n>>{$a}(5)", "S0401", "Type parameters can only be applied to functions and arrays"),
        (
            "λ($a)<(sa<n>)>>{$a}([[1]])",
            "S0402",
            "Choice groups containing parameterized types are not supported",
        ),
    ],
)
def test_syntax_errors_carry_jsonata_js_codes(text, code, message):
    """jsonata-python crashed on these (or raised a Python RuntimeError): all came out S0207."""
    error = _error("{% " + text + " %}")
    assert error.code == code
    assert str(error).endswith(f"{code}: {message}")
    assert asl_jsonata.parse_error(text) == message


@pytest.mark.parametrize(
    ("text", "symbol"),
    [("true ?: 5", ":"), ("null ?? 5", "?"), ("$states.input ?? 5", "?")],
)
def test_elvis_and_coalescing_operators_do_not_exist_in_2_0_6(text, symbol):
    """jsonata-python accepts ``?:`` and ``??`` (later jsonata-js versions have them); 2.0.6
    reads "?" then a unary ":" or "?", and the translator rejects them too."""
    error = _error("{% " + text + " %}")
    assert error.code == "S0211"
    assert asl_jsonata.parse_error(text) == f'The symbol "{symbol}" cannot be used as a unary operator'
    assert _value("{% true ? 1 : 2 %}") == 1


def test_partially_applying_a_function_without_its_dollar_is_t1007():
    """jsonata-python asked whether the procedure was defined where jsonata-js asks whether
    it is not: T1008 for T1007, and T1007 for T1008 when the input has such a field."""
    error = _error("{% substring(?, 0, ?) %}")
    assert error.code == "T1007"
    assert str(error).endswith("Did you mean $substring?")
    assert _error("{% $states.input.(substring(?, 0, ?)) %}", {"substring": 5}).code == "T1008"


def test_a_regex_called_as_a_function_gives_jsonata_js_match_object():
    """jsonata-python gave the whole match as the only group, went on past an empty match
    and called a regex an object."""
    assert _value('{% /(a)(b)/("xabab").groups %}') == ["a", "b"]
    assert _value('{% /(a)(b)/("xabab", 2).start %}') == 3
    assert _error('{% /a*/("baa").next() %}').code == "D1004"
    assert _value("{% $type(/a/) %}") == "function"
    assert _value("{% /u/(nothing).match %}") == "u"  # (String(undefined) is "undefined")


def test_replace_with_a_string_pattern_inserts_a_function_as_javascript_does():
    """jsonata-js 2.0.6 inserts String(f), the source text of its wrapper for the function
    (jsonata-python: a Python error)."""
    text = '$replace("abc", "b", function($m){"x"})'
    assert _value("{% " + text + " %}").startswith("aasync function (...params) {")
    assert _value('{% $replace("abc", "x", function($m){"x"}) %}') == "abc"


def test_a_custom_matcher_function_drives_match_replace_split_and_contains():
    matcher = """(
        $m := function($str, $offset) {(
            $before := $substringBefore($str, "a");
            $start := $length($before) + ($exists($offset) ? $offset : 0);
            $before != $str ? {
                "match": "a", "start": $start, "end": $start + 1, "groups": [],
                "next": function() {$m($substringAfter($str, "a"), $start + 1)}
            }
        )};
        %s
    )"""
    assert _value("{% " + matcher % '$match("banana", $m).index' + " %}") == [1, 3, 5]
    assert _value("{% " + matcher % '$replace("banana", $m, "o")' + " %}") == "bonono"
    assert _value("{% " + matcher % '$split("banana", $m)' + " %}") == ["b", "n", "n", ""]
    assert _value("{% " + matcher % '$contains("xyz", $m)' + " %}") is False
    error = _error('{% $split("some text", $uppercase) %}')
    assert error.code == "T1010"
    assert str(error).endswith(
        'T1010: The matcher function argument passed to function "split" does not return the correct object structure'
    )


def test_regex_matches_carry_the_capture_groups_only():
    """jsonata-python put the whole match first among a replacement callback's groups."""
    assert _value('{% $replace("abcd", /(b)(c)/, function($m){$m.groups[0]}) %}') == "abd"
    text = '$replace("temperature = 68F today", /(-?\\d+(?:\\.\\d*)?)F\\b/, function($m) { ($number($m.groups[0]) - 32) * 5/9 & "C" })'
    assert _value("{% " + text + " %}") == "temperature = 20C today"
    assert _value('{% $replace("abc", /(x)?b/, function($m){$string($m.groups)}) %}') == "a[null]c"
    assert _value('{% $match("abcab", /a(x)?/).groups %}') == [None, None]


def test_a_regex_that_goes_on_matching_the_empty_string_is_d1004():
    for text in ('$replace("abracadabra", /.*?/, "$1")', '$match("ab", /a*/)', '$split("abc", /x*/)'):
        error = _error("{% " + text + " %}")
        assert error.code == "D1004", text
        assert str(error).endswith("D1004: Regular expression matches zero length string")
    assert _value('{% $contains("abc", /x*/) %}') is True  # (the first match only)


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ('$replace("hello", "", "bye")', "D3010", "Second argument of replace function cannot be an empty string"),
        ('$replace("hello", "l", "1", -2)', "D3011", "Fourth argument of replace function must evaluate to a positive number"),
    ],
)
def test_replace_arguments_fail_with_jsonata_js_codes(text, code, message):
    """jsonata-python raised these without a code."""
    error = _error("{% " + text + " %}")
    assert error.code == code
    assert str(error).endswith(f"{code}: {message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('$contains("abc", 5)', 'Argument 2 of function "contains" does not match function signature'),
        ('$substring("a", "b")', 'Argument 2 of function "substring" does not match function signature'),
        ('$replace("a", "b", "c", "d")', 'Argument 4 of function "replace" does not match function signature'),
    ],
)
def test_a_signature_error_names_the_argument_that_does_not_fit(text, message):
    """jsonata-python tested each partial pattern against the whole argument list, so it
    named argument 1 whatever the argument."""
    error = _error("{% " + text + " %}")
    assert error.code == "T0410"
    assert str(error).endswith(f"T0410: {message}")


def test_contains_with_no_token_fails_as_jsonata_js_does():
    """jsonata-js 2.0.6 calls the missing matcher: a JavaScript TypeError, without a JSONata
    code (jsonata-python raised a RuntimeError of its own wording)."""
    for text in ('$contains("abc", nothing)', '$replace("abc", nothing, "x")', '$split("abc", nothing)'):
        error = _error("{% " + text + " %}")
        assert error.code is None
        assert str(error).endswith(
            "threw an error during evaluation: Cannot read properties of undefined (reading 'apply')"
        )
    assert _value('{% $exists($contains(nothing, nothing)) %}') is False


def test_sort_is_jsonata_js_stable_merge_sort():
    """jsonata-python's sort with a comparator was not stable (nor jsonata-js's order)."""
    text = '$sort([{"a":1,"k":1},{"a":1,"k":2},{"a":0,"k":3}], function($x,$y){$x.a>$y.a}).k'
    assert _value("{% " + text + " %}") == [3, 1, 2]
    data = [{"p": 2, "q": 1, "k": "a"}, {"p": 1, "q": 2, "k": "b"}, {"p": 2, "q": 3, "k": "c"}, {"p": 1, "q": 1, "k": "d"}]
    text = "($states.input ~> $sort(λ($a,$b){$a.q < $b.q}) ~> $sort(λ($a,$b){$a.p > $b.p})).k"
    assert _value("{% " + text + " %}", data) == ["b", "d", "c", "a"]
    error = _error("{% $sort([{}, {}]) %}")
    assert error.code == "D3070"
    assert "The single argument form of the sort function" in str(error)
    assert _error('{% $sort([1, "a"]) %}').code == "D3070"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$decodeUrl('%E0%A4%A')", "%E0%A4%A"),
        ("$decodeUrlComponent('%C3')", "%C3"),
        ("$decodeUrl('%C0%AF')", "%C0%AF"),
        ("$encodeUrl('\\ud800')", "\ud800"),
        ("$encodeUrlComponent('\\udc00x')", "\udc00x"),
    ],
)
def test_malformed_urls_are_d3140(text, value):
    error = _error("{% " + text + " %}")
    assert error.code == "D3140"
    name = text[1 : text.index("(")]
    assert f"D3140: Malformed URL passed to ${name}(): " in str(error)


def test_url_functions_are_javascript_uri_functions():
    """decodeURI keeps the escapes of reserved characters; encodeURI keeps those characters."""
    assert _value('{% $decodeUrl("%2F%20%41%23") %}') == "%2F A%23"
    assert _value('{% $decodeUrlComponent("%2F%23") %}') == "/#"
    assert _value('{% $encodeUrl("a b/?#[]é") %}') == "a%20b/?#%5B%5D%C3%A9"
    assert _value("{% $encodeUrlComponent(\"a b/é~!*'()\") %}") == "a%20b%2F%C3%A9~!*'()"


def test_a_transform_keeps_fields_whose_value_is_null():
    assert _value('{% {"a":null,"b":1} ~> |$|{"c":2}| %}') == {"a": None, "b": 1, "c": 2}
    assert _value("{% $states.input ~> | ** ['hi'] | {'hello': hi}, ['hi'] | %}", {"hi": "world", "bye": None}) == {
        "hello": "world",
        "bye": None,
    }
    assert _value('{% [{"a":[null, 1]}] ~> |$|{"c":0.1}| %}') == [{"a": [None, 1], "c": 0.1}]


def test_a_transform_copies_and_updates_as_jsonata_js():
    """The copy is ``JSON.parse($string(obj))``: functions become "", numbers keep 15
    significant digits; updating a string, number, boolean or null is JavaScript's
    TypeError (jsonata-python: a Python TypeError, or "function <class ...>" in T0410)."""
    text = '{"a": 0.1+0.2, "f": function(){1}, "g": [$sum, 1]} ~> |$|{}|'
    assert _value("{% " + text + " %}") == {"a": 0.3, "f": "", "g": ["", 1]}
    error = _error('{% {"a": "x"} ~> |a|{"c": 1}| %}')
    assert error.code is None
    assert str(error).endswith("threw an error during evaluation: Cannot create property 'c' on string 'x'")
    assert str(_error('{% {"a": null} ~> |a|{"c": 1}| %}')).endswith("Cannot set properties of null (setting 'c')")
    assert str(_error('{% "abc" ~> |$|{}| %}')).endswith(
        "T0410: Argument 1 of function undefined does not match function signature"
    )

