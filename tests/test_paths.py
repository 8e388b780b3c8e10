"""JSONPath: parsing (asl2durable.expressions.paths) and run-time evaluation (runtime/asl_jsonpath.py).

Rows marked ``aws:`` come from executions recorded on AWS Step Functions
(tests/fixtures/conformance/cases, named by case id).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest

from asl2durable.expressions.paths import (
    PathSyntaxError,
    check_path,
    is_definite,
    is_reference_path,
    parse_path,
)
from asl2durable.runtime.asl_jsonpath import PathNotFound, ResultPathMatchFailure, assign, read
from asl2durable.runtime.asl_jsonpath import parse as parse_simple

HERE = Path(__file__).parent
CONFORMANCE_CASES = HERE / "fixtures" / "conformance" / "cases"
REALWORLD_DIRS = [HERE / "fixtures" / "corpus" / "realworld"]

# ---- parsing --------------------------------------------------------------------------------

PARSE_CASES = [
    ("$", ("$", ())),
    ("$$", ("$$", ())),
    ("$myVar", ("$myVar", ())),
    ("$_x1.a", ("$_x1", (("key", "a"),))),
    ("$.a.b", ("$", (("key", "a"), ("key", "b")))),
    ("$.detail-type", ("$", (("key", "detail-type"),))),
    ("$.a$b.3x", ("$", (("key", "a$b"), ("key", "3x")))),
    ("$.prénom", ("$", (("key", "prénom"),))),
    ("$['a b']", ("$", (("key", "a b"),))),
    ('$["a.b"]', ("$", (("key", "a.b"),))),
    ("$[ 'a' ]", ("$", (("key", "a"),))),
    ("$['']", ("$", (("key", ""),))),
    ("$['it\\'s']", ("$", (("key", "it\\'s"),))),  # backslashes are kept (see aws row below)
    ('$[\'Test\\""Name"\']', ("$", (("key", 'Test\\""Name"'),))),  # aws: ESCAPE_SEQUENCES_JSONPATH
    ("$.a[3]", ("$", (("key", "a"), ("index", 3)))),
    ("$[-1]", ("$", (("index", -1),))),
    ("$.[0]", ("$", (("index", 0),))),
    ("$.*", ("$", (("wildcard",),))),
    ("$[*]", ("$", (("wildcard",),))),
    ("$[ * ]", ("$", (("wildcard",),))),
    ("$[1:]", ("$", (("slice", 1, None, None),))),
    ("$[:2]", ("$", (("slice", None, 2, None),))),
    ("$[0:4:2]", ("$", (("slice", 0, 4, 2),))),
    ("$[::-1]", ("$", (("slice", None, None, -1),))),
    ("$[ 1 : 3 ]", ("$", (("slice", 1, 3, None),))),
    ("$[0,2]", ("$", (("union", (("index", 0), ("index", 2))),))),
    ("$['a', \"b\"]", ("$", (("union", (("key", "a"), ("key", "b"))),))),
    ("$.[*].['bucket', 'key']", ("$", (("wildcard",), ("union", (("key", "bucket"), ("key", "key")))))),
    ("$..name", ("$", (("descend", "name"),))),
    ("$..*", ("$", (("descend", None),))),
    ("$..['a b']", ("$", (("descend", "a b"),))),
    ("$..[*]", ("$", (("descend", None),))),
    ("$.a.length()", ("$", (("key", "a"), ("call", "length")))),
    ("$[*].price.sum()", ("$", (("wildcard",), ("key", "price"), ("call", "sum")))),
    ("$$.Execution.Id", ("$$", (("key", "Execution"), ("key", "Id")))),
    ("$$.Map.Item.Value", ("$$", (("key", "Map"), ("key", "Item"), ("key", "Value")))),
    ("  $$.Execution.Name ", ("$$", (("key", "Execution"), ("key", "Name")))),  # trimmed, as Jayway
    (
        "$.users[?(@.status == 0)]",
        ("$", (("key", "users"), ("filter", ("cmp", "==", ("current", (("key", "status"),)), ("literal", 0))))),
    ),
    ("$[?(@.a)]", ("$", (("filter", ("exists", ("current", (("key", "a"),)))),))),
    ("$[?(!@.a)]", ("$", (("filter", ("not", ("exists", ("current", (("key", "a"),))))),))),
    ("$[?(@)]", ("$", (("filter", ("exists", ("current", ()))),))),
    ("$[?(@['a b'][0])]", ("$", (("filter", ("exists", ("current", (("key", "a b"), ("index", 0))))),))),
    (
        "$.pets[?(@.species == 'cat' && @.age<5)]",
        (
            "$",
            (
                ("key", "pets"),
                (
                    "filter",
                    (
                        "and",
                        ("cmp", "==", ("current", (("key", "species"),)), ("literal", "cat")),
                        ("cmp", "<", ("current", (("key", "age"),)), ("literal", 5)),
                    ),
                ),
            ),
        ),
    ),
    (
        "$[?( @.a || @.b && !(@.c) )]",
        (
            "$",
            (
                (
                    "filter",
                    (
                        "or",
                        ("exists", ("current", (("key", "a"),))),
                        (
                            "and",
                            ("exists", ("current", (("key", "b"),))),
                            ("not", ("exists", ("current", (("key", "c"),)))),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "$.approaches[?(@.workerId == $.agent_id)].approach",
        (
            "$",
            (
                ("key", "approaches"),
                ("filter", ("cmp", "==", ("current", (("key", "workerId"),)), ("root", (("key", "agent_id"),)))),
                ("key", "approach"),
            ),
        ),
    ),
    ("$[?(@.v != -1.5e3)]", ("$", (("filter", ("cmp", "!=", ("current", (("key", "v"),)), ("literal", -1500.0))),))),
    ("$[?(@.v >= 2.5)]", ("$", (("filter", ("cmp", ">=", ("current", (("key", "v"),)), ("literal", 2.5))),))),
    ('$[?(@.s <= "x\\"y")]', ("$", (("filter", ("cmp", "<=", ("current", (("key", "s"),)), ("literal", 'x"y'))),))),
    ("$[?(@.s > 'it\\'s')]", ("$", (("filter", ("cmp", ">", ("current", (("key", "s"),)), ("literal", "it's"))),))),
    ("$[?(@.b == true)]", ("$", (("filter", ("cmp", "==", ("current", (("key", "b"),)), ("literal", True))),))),
    ("$[?(@.b == false)]", ("$", (("filter", ("cmp", "==", ("current", (("key", "b"),)), ("literal", False))),))),
    ("$[?(@.b == null)]", ("$", (("filter", ("cmp", "==", ("current", (("key", "b"),)), ("literal", None))),))),
    ("$[?(1 == @.b)]", ("$", (("filter", ("cmp", "==", ("literal", 1), ("current", (("key", "b"),)))),))),
    (
        "$[?(@.n =~ /a\\/b.*/i)]",
        ("$", (("filter", ("cmp", "=~", ("current", (("key", "n"),)), ("regex", "a\\/b.*", "i"))),)),
    ),
    ("$[?(@.n=~/x/)]", ("$", (("filter", ("cmp", "=~", ("current", (("key", "n"),)), ("regex", "x", ""))),))),
    (
        "$[?(@.tags.length() > 1)]",
        ("$", (("filter", ("cmp", ">", ("current", (("key", "tags"), ("call", "length"))), ("literal", 1))),)),
    ),
    ("$.a.[?(@.x)]", ("$", (("key", "a"), ("filter", ("exists", ("current", (("key", "x"),))))))),
    (
        "$..QualityResults[?(@.s=='F')]",
        (
            "$",
            (("descend", "QualityResults"), ("filter", ("cmp", "==", ("current", (("key", "s"),)), ("literal", "F")))),
        ),
    ),
]


@pytest.mark.parametrize("text, spec", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse(text, spec):
    assert parse_path(text) == spec


@pytest.mark.parametrize("text", [c[0] for c in PARSE_CASES])
def test_spec_repr_is_a_python_literal(text):
    spec = parse_path(text)
    assert ast.literal_eval(repr(spec)) == spec


SYNTAX_ERRORS = [
    ("", "empty path"),
    ("   ", "empty path"),
    ("a.b", "must start with '$'"),
    ("@.a", "must start with '$'"),
    ("$.", "ends too early"),
    ("$..", "ends too early"),
    ("$.a.", "ends too early"),
    ("$.a[", "ends too early"),
    ("$[0", "ends too early"),
    ("$.a b", "unexpected ' ' at position 3 (after '$.a'); blanks are only allowed"),
    ("$ .a", "unexpected ' ' at position 1"),
    ("$. a", "unexpected ' ' at position 2"),
    ("$.a@b", "unexpected '@' at position 3"),
    ("$.a.#", "use bracket notation"),
    ("$a-b", "unexpected '-' at position 2"),
    ("${DefaultPath}", "unexpected '{' at position 1"),
    ("$$$", "unexpected '$' at position 2"),
    ("$...a", "unexpected '.'"),
    ("$[]", "unexpected ']'"),
    ("$['a]", "quote is not closed"),
    ("$['a' 'b']", "unexpected"),
    ("$[0,'a']", "unexpected"),
    ("$[a]", "unexpected 'a'"),
    ("$[1.5]", "unexpected"),
    ("$[0:1:0]", "slice step cannot be 0"),
    ("$..[0]", "'..' must be followed by a name"),
    ("$.foo()", "unknown function foo()"),
    ("$.a.length().b", "function length() must be the last step"),
    ("$.a.length(1)", "unexpected"),
    ("$[?(@.a[*])]", "a filter path may only use .name, ['name'], [index] and a final function call"),
    ("$[?(@..a)]", "a filter path may only use"),
    ("$[?(@.a == 1)", "unexpected ')'"),
    ("$[?(@.a = 1)]", "unexpected '=' at position 8"),
    ("$[?(@.a == )]", "unexpected"),
    ("$[?(@.a =~ 'x')]", "=~ must be followed by a /regex/"),
    ("$[?(@.a =~ /(x/)]", "invalid regular expression /(x/"),
    ("$[?(@.a == 'x)]", "quote is not closed"),
    ("$[?(@.a == [1])]", "unexpected"),
    ("$[?(@.a in ['x'])]", "unexpected"),
    ("$[?($$.a)]", "unexpected '$'"),
    ("$[?(1)]", "unexpected"),
    # An unquoted string literal: Jayway's FilterCompiler rejects it ("Failed to parse filter").
    ("$..QualityResults[?(@.constraint_status==Failure)]", "string literals must be quoted, e.g. 'Failure'"),
]


@pytest.mark.parametrize("text, message", SYNTAX_ERRORS, ids=[c[0] or "<empty>" for c in SYNTAX_ERRORS])
def test_syntax_error(text, message):
    with pytest.raises(PathSyntaxError) as info:
        parse_path(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", [None, 3, ["$"]])
def test_parse_rejects_non_strings(value):
    with pytest.raises(PathSyntaxError, match="must be a string"):
        parse_path(value)


# ---- path kinds and check_path ------------------------------------------------------------

KIND_CASES = [
    # text, is_reference_path, is_definite
    ("$", True, True),
    ("$.a['b c'][0][-1]", True, True),
    ("$$.Execution.Id", False, True),
    ("$var.a", False, True),
    ("$.a.length()", False, True),
    ("$..n.sum()", False, True),
    ("$[*].n.sum()", False, False),
    ("$[*].length()", False, False),
    ("$['a','b']", False, True),  # Jayway merges a final key union into one object
    ("$[*]['a','b']", False, False),
    ("$['a','b'].c", False, False),
    ("$[0,1]", False, False),
    ("$.a[*]", False, False),
    ("$.a[1:]", False, False),
    ("$..a", False, False),
    ("$.a[?(@.x)]", False, False),
]


@pytest.mark.parametrize("text, reference, definite", KIND_CASES, ids=[c[0] for c in KIND_CASES])
def test_path_kinds(text, reference, definite):
    spec = parse_path(text)
    assert is_reference_path(spec) is reference
    assert is_definite(spec) is definite


CHECK_CASES = [
    # text, keyword arguments, expected message part (None: accepted)
    ("$.a", {}, None),
    ("$.a", {"reference": True}, None),
    ("$.a[*]", {}, None),
    ("$.a[*]", {"reference": True}, "must be a reference path"),
    ("$$.Task.Token", {"reference": True}, "must be a reference path"),
    ("$x", {"reference": True}, "must be a reference path"),
    ("$$.Execution.Id", {}, None),
    ("$$.Execution.Id", {"allow_context": False}, "the context object ($$) cannot be used here"),
    ("$x.y", {}, None),
    ("$x.y", {"allow_variables": False}, "variables ($x) cannot be used here"),
    ("$.a b", {}, "invalid JSONPath '$.a b'"),
    ("nope", {"reference": True}, "must start with '$'"),
]


@pytest.mark.parametrize("text, kwargs, message", CHECK_CASES)
def test_check_path(text, kwargs, message):
    result = check_path(text, **kwargs)
    if message is None:
        assert result is None
    else:
        assert message in result


# ---- evaluation ---------------------------------------------------------------------------

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}
ITEMS = {"items": [{"item_key": i} for i in range(11)]}
USERS = {"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}
MIXED = {
    "v": [
        {"n": 1},
        {"n": 1.0},
        {"n": "1"},
        {"n": True},
        {"n": None},
        {"n": "b"},
        {"n": [1]},
        {"m": 1},
        {"n": 2},
    ]
}

READ_CASES = [
    # aws: base.test_base.test_json_path_array_access_.items_10.589258d9
    ("aws:items[10]", ITEMS, "$.items[10]", {"item_key": 10}),
    # aws: base.test_base.test_json_path_array_wildcard_or_slice_with_no_input_.* (input {})
    ("aws:items[*] on {}", {}, "$.items[*]", []),
    ("aws:items[1:] on {}", {}, "$.items[1:]", []),
    ("aws:items[:1] on {}", {}, "$.items[:1]", []),
    ("aws:item.items[1:] on {}", {}, "$.item.items[1:]", []),
    ("aws:item.items[:1] on {}", {}, "$.item.items[:1]", []),
    ("aws:item.items[1:5] on {}", {}, "$.item.items[1:5]", []),
    ("aws:items[1:].itemValue on {}", {}, "$.items[1:].itemValue", []),
    # aws: base.test_base.test_state_pass_regex_json_path_base.cf63712b
    ("aws:filter status == 0", USERS, "$.users[?(@.status == 0)]", [{"year": 1997, "status": 0}]),
    # aws: scenarios.test_base_scenarios.test_escape_sequence_parsing_ESCAPE_SEQUENCES_JSONPATH.eea3a1c5
    ("aws:escaped quotes", {'Test\\""Name"': 'Value"\\'}, '$[\'Test\\""Name"\']', 'Value"\\'),
    ("root", {"a": 1}, "$", {"a": 1}),
    ("key", {"a": {"b": 2}}, "$.a.b", 2),
    ("key to null", {"a": None}, "$.a", None),
    ("key with dash", {"detail-type": "x"}, "$.detail-type", "x"),
    ("quoted key", {"a b": 1}, "$['a b']", 1),
    ("negative index", {"a": [1, 2, 3]}, "$.a[-1]", 3),
    ("index on root array", [{"body": "x"}], "$[0].body", "x"),
    ("wildcard on object", {"a": {"x": 1, "y": 2}}, "$.a.*", [1, 2]),
    ("wildcard on array", {"a": [1, [2]]}, "$.a[*]", [1, [2]]),
    ("wildcard on scalar", {"a": 5}, "$.a[*]", []),
    ("wildcard chain", {"pets": [[[1, 2]], [[3]]]}, "$.pets[*][*][*]", [1, 2, 3]),
    (
        "wildcard then key",
        STORE,
        "$.store.book[*].author",
        ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"],
    ),
    ("wildcard then missing key", STORE, "$.store.book[*].isbn", ["0-553", "0-395"]),
    ("slice", {"a": [0, 1, 2, 3, 4]}, "$.a[1:3]", [1, 2]),
    ("slice open end", {"a": [0, 1, 2, 3, 4]}, "$.a[3:]", [3, 4]),
    ("slice negative", {"a": [0, 1, 2, 3, 4]}, "$.a[-2:]", [3, 4]),
    ("slice step", {"a": [0, 1, 2, 3, 4]}, "$.a[0:5:2]", [0, 2, 4]),
    ("slice reversed", {"a": [0, 1, 2]}, "$.a[::-1]", [2, 1, 0]),
    ("slice past end", {"a": [0, 1]}, "$.a[1:10]", [1]),
    ("slice on object", {"a": {"x": 1}}, "$.a[0:1]", []),
    ("index union", {"a": [0, 1, 2]}, "$.a[0,2,5]", [0, 2]),
    ("index union on object", {"a": {"0": 1}}, "$.a[0,1]", []),
    ("key union merges", {"a": 1, "b": 2, "c": 3}, "$['a','b','x']", {"a": 1, "b": 2}),
    (
        "key union after wildcard",
        [{"bucket": "b1", "key": "k1", "size": 1}, {"bucket": "b2", "key": "k2"}],
        "$.[*].['bucket', 'key']",
        [{"bucket": "b1", "key": "k1"}, {"bucket": "b2", "key": "k2"}],
    ),
    ("key union not last", {"a": {"c": 1}, "b": {"c": 2}}, "$['a','b'].c", [1, 2]),
    ("descend", STORE, "$..author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
    ("descend price", STORE, "$..price", [8.95, 12.99, 8.99, 22.99, 19.95]),
    ("descend order", {"a": {"x": 1, "b": {"x": 2}}, "x": 3}, "$..x", [3, 1, 2]),
    ("descend all", {"a": {"b": 1}, "c": 2}, "$..*", [{"b": 1}, 2, 1]),
    ("descend then index", STORE, "$..book[2].title", ["Moby Dick"]),
    ("descend missing", {"a": 1}, "$..zzz", []),
    (
        "descend then filter",
        {"r": {"QualityResults": [{"s": "F"}, {"s": "P"}]}},
        "$..QualityResults[?(@.s=='F')]",
        [{"s": "F"}],
    ),
    ("filter lt root", STORE, "$.store.book[?(@.price < $.expensive)].title", ["Sayings", "Moby Dick"]),
    ("filter exists", STORE, "$.store.book[?(@.isbn)].title", ["Moby Dick", "LOTR"]),
    ("filter not exists", STORE, "$.store.book[?(!@.isbn)].title", ["Sayings", "Sword"]),
    ("filter and", STORE, "$.store.book[?(@.category == 'fiction' && @.price < 20)].title", ["Sword", "Moby Dick"]),
    ("filter or", STORE, "$.store.book[?(@.price > 20 || @.price < 9)].title", ["Sayings", "Moby Dick", "LOTR"]),
    ("filter grouping", STORE, "$.store.book[?(!(@.price > 20 || @.price < 9))].title", ["Sword"]),
    ("filter on object tests it", {"a": {"x": 1}}, "$.a[?(@.x == 1)]", [{"x": 1}]),
    ("filter on object no match", {"a": {"x": 1}}, "$.a[?(@.x == 2)]", []),
    ("filter on scalar", {"a": 1}, "$.a[?(@.x)]", []),
    ("filter on missing", {}, "$.a[?(@.x)]", []),
    ("filter exists null", {"v": [{"n": None}, {}]}, "$.v[?(@.n)]", [{"n": None}]),
    ("filter current index", {"v": [[1, 2], [3]]}, "$.v[?(@[1])]", [[1, 2]]),
    ("filter @ itself", {"v": [1, 2]}, "$.v[?(@ > 1)]", [2]),
    (
        "filter length",
        {"v": [{"t": [1, 2]}, {"t": [1]}, {"t": "abc"}]},
        "$.v[?(@.t.length() > 1)]",
        [{"t": [1, 2]}, {"t": "abc"}],
    ),
    ("== number", MIXED, "$.v[?(@.n == 1)]", [{"n": 1}, {"n": 1.0}]),
    ("== string", MIXED, "$.v[?(@.n == '1')]", [{"n": "1"}]),
    ("== true", MIXED, "$.v[?(@.n == true)]", [{"n": True}]),
    ("== null", MIXED, "$.v[?(@.n == null)]", [{"n": None}]),
    (
        "!= counts missing",
        MIXED,
        "$.v[?(@.n != 1)]",
        [{"n": "1"}, {"n": True}, {"n": None}, {"n": "b"}, {"n": [1]}, {"m": 1}, {"n": 2}],
    ),
    ("< number only", MIXED, "$.v[?(@.n < 2)]", [{"n": 1}, {"n": 1.0}]),
    (">= number", MIXED, "$.v[?(@.n >= 1.5)]", [{"n": 2}]),
    ("> string", MIXED, "$.v[?(@.n > 'a')]", [{"n": "b"}]),
    ("<= string", MIXED, "$.v[?(@.n <= '1')]", [{"n": "1"}]),
    ("== two paths", {"v": [{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 1}]}, "$.v[?(@.a == @.b)]", [{"a": 1, "b": 1}]),
    ("regex", {"v": [{"s": "abc"}, {"s": "xabc"}, {"s": 1}]}, "$.v[?(@.s =~ /ab.*/)]", [{"s": "abc"}]),
    ("regex ignore case", {"v": [{"s": "ABC"}, {"s": "b"}]}, "$.v[?(@.s =~ /a.*/i)]", [{"s": "ABC"}]),
    ("regex missing", {"v": [{}]}, "$.v[?(@.s =~ /.*/)]", []),
    ("length array", {"a": [1, 2, 3]}, "$.a.length()", 3),
    ("length string", {"a": "abcd"}, "$.a.length()", 4),
    ("length object", {"a": {"x": 1}}, "$.a.length()", 1),
    ("length number", {"a": 5}, "$.a.length()", None),
    ("size", {"a": [1, 2]}, "$.a.size()", 2),
    # Jayway: $..x.f() is f($..x), and length() then counts the children of the matches
    ("descend length", STORE, "$..book.length()", 4),
    ("descend size", {"a": [1, 2], "b": {"a": {"x": 1}}}, "$..a.size()", 3),
    ("descend sum", STORE, "$..price.sum()", 73.87),
    ("descend length no matches", {}, "$..a.length()", 0),
    # ... otherwise a function after an indefinite path applies to each match
    ("length of each match", STORE, "$.store.book[*].length()", [4, 4, 5, 5]),
    ("length of no matches", {}, "$.a[*].length()", []),
    ("sum of each match", {"a": [[1, 2], [3]]}, "$.a[*].sum()", [3.0, 3.0]),
    ("sum", {"a": [1, 2, 3]}, "$.a.sum()", 6.0),
    ("sum ignores non numbers", {"a": [1, "2", True, None, 3.5]}, "$.a.sum()", 4.5),
    ("min", {"a": [3, 1, 2]}, "$.a.min()", 1.0),
    ("max", {"a": [3, 1, 2]}, "$.a.max()", 3.0),
    ("avg", {"a": [1, 2, 3, 4]}, "$.a.avg()", 2.5),
    ("stddev", {"a": [2, 4, 4, 4, 5, 5, 7, 9]}, "$.a.stddev()", 2.0),
]


@pytest.mark.parametrize("data, path, expected", [c[1:] for c in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_read(data, path, expected):
    before = copy.deepcopy(data)
    result = read(data, parse_path(path))
    if isinstance(expected, float):
        assert result == pytest.approx(expected)
        assert isinstance(result, float)
    else:
        assert result == expected
        assert type(result) is type(expected)
    assert data == before


CONTEXT = {
    "Execution": {"Id": "arn:exec", "Input": {"input-value": 0}, "Name": "run-1"},
    "State": {"Name": "TestState"},
    "Map": {"Item": {"Index": 2, "Value": {"workerId": "w1"}}},
}
VARIABLES = {"x": 5, "items": [1, 2], "obj": {"a": {"b": "c"}}, "nothing": None}

ROOT_CASES = [
    ("$$", CONTEXT),
    ("$$.Execution.Id", "arn:exec"),
    # aws: context_object.test_context_object.test_input_path.05a06ae4 (Execution.Input is the input)
    ("$$.Execution.Input", {"input-value": 0}),
    ("$$.Map.Item.Value.workerId", "w1"),
    ("$$.Map.Item.Index", 2),
    ("$x", 5),
    ("$items[1]", 2),
    ("$items.length()", 2),
    ("$obj.a.b", "c"),
    ("$obj..b", ["c"]),
    ("$nothing", None),
]


@pytest.mark.parametrize("path, expected", ROOT_CASES, ids=[c[0] for c in ROOT_CASES])
def test_read_context_and_variables(path, expected):
    assert read({"ignored": True}, parse_path(path), context=CONTEXT, variables=VARIABLES) == expected


READ_ERRORS = [
    # aws: scenarios.test_base_scenarios.test_invalid_jsonpath_INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH.c58daa87
    ({"int-literal": 0}, "$.no_such_jsonpath", {}, "No results for path: $['no_such_jsonpath']"),  # a missing leaf (aws: timeouts)
    # aws: ..._INVALID_JSONPATH_IN_STRING_EXPR_CONTEXTPATH.019fa6aa
    (
        {"int-literal": 0},
        "$$.Execution.Input.no_such_jsonpath",
        {"context": {"Execution": {"Input": {"int-literal": 0}}}},
        "No results for path: $$['Execution']['Input']['no_such_jsonpath']",
    ),
    ({"a": {"b": 1}}, "$.a.c.d", {}, "Missing property in path $['a']['c']"),
    ({"a": "text"}, "$.a.b", {}, "Expected an object at $['a'] to read property 'b', found string"),
    ([1], "$.a", {}, "Expected an object at $ to read property 'a', found array"),
    ({"a": None}, "$.a.b", {}, "found null"),
    ({"a": [1, 2]}, "$.a[2]", {}, "Index out of bounds in path $['a'][2] (array length 2)"),
    ({"a": [1, 2]}, "$.a[-3]", {}, "Index out of bounds in path $['a'][-3]"),
    ({"a": {"0": 1}}, "$.a[0]", {}, "Expected an array at $['a'] to read [0], found object"),
    ({"a": 1}, "$.a['x','y']", {}, "Expected an object at $['a'] to read properties, found number"),
    ({}, "$.a.length()", {}, "No results for path: $['a']"),
    ({"a": []}, "$.a.min()", {}, "min() needs an array holding at least one number, found array"),
    ({"a": ["x"]}, "$.a.sum()", {}, "sum() needs an array"),
    ({"a": 3}, "$.a.avg()", {}, "found number"),
    ({}, "$..a.max()", {}, "max() needs an array"),
    ({"a": [[1], 2]}, "$.a[*].max()", {}, "max() needs an array holding at least one number, found number"),
    ({}, "$$.Execution", {}, "The context object ($$) is not available"),
    ({}, "$x", {}, "Variable $x is not defined"),
    ({}, "$x.a", {"variables": {"y": 1}}, "Variable $x is not defined"),
    ({}, "$x.a", {"variables": {"x": {}}}, "No results for path: $x['a']"),
]


@pytest.mark.parametrize("data, path, kwargs, message", READ_ERRORS, ids=[c[1] for c in READ_ERRORS])
def test_read_error(data, path, kwargs, message):
    with pytest.raises(PathNotFound) as info:
        read(data, parse_path(path), **kwargs)
    assert message in str(info.value)


# ---- ResultPath ---------------------------------------------------------------------------

ASSIGN_CASES = [
    # aws: scenarios.test_base_scenarios.test_map_state_item_selector_parameters.c684e906
    ("aws:new key", {}, "$.content", {"bucket": "b"}, {"content": {"bucket": "b"}}),
    # aws: base.test_base.test_query_context_object_values.3d25ff0d
    ("aws:add beside", {"message": "M"}, "$.query_values_1", {"x": 1}, {"message": "M", "query_values_1": {"x": 1}}),
    # aws: comments.test_comments.test_comments_as_per_docs.20a53d95 (ResultPath "$")
    ("aws:$ replaces", {}, "$", {"status": "incomplete"}, {"status": "incomplete"}),
    ("$ replaces with scalar", {"a": 1}, "$", 5, 5),
    ("replace existing", {"a": 1, "b": 2}, "$.a", [9], {"a": [9], "b": 2}),
    ("create intermediates", {"a": 1}, "$.x.y.z", True, {"a": 1, "x": {"y": {"z": True}}}),
    ("deep existing", {"a": {"b": {"c": 1}, "d": 2}}, "$.a.b.e", None, {"a": {"b": {"c": 1, "e": None}, "d": 2}}),
    ("into array", {"a": [1, 2, 3]}, "$.a[1]", "x", {"a": [1, "x", 3]}),
    ("into array negative", {"a": [1, 2, 3]}, "$.a[-1]", "x", {"a": [1, 2, "x"]}),
    ("through array", {"a": [{"b": 1}]}, "$.a[0].c", 2, {"a": [{"b": 1, "c": 2}]}),
    ("quoted key", {}, "$['a b']", 1, {"a b": 1}),
]


@pytest.mark.parametrize("data, path, value, expected", [c[1:] for c in ASSIGN_CASES], ids=[c[0] for c in ASSIGN_CASES])
def test_assign(data, path, value, expected):
    before = copy.deepcopy(data)
    assert assign(data, parse_path(path)[1], value) == expected
    assert data == before  # the input is not changed


def test_assign_copies_only_along_the_path():
    data = {"keep": {"big": [1, 2]}, "a": {"b": 1}}
    result = assign(data, (("key", "a"), ("key", "c")), 2)
    assert result["keep"] is data["keep"]
    assert result["a"] is not data["a"]


ASSIGN_ERRORS = [
    ([1, 2], "$.a", "Cannot set property 'a' at $: it is array, not an object"),
    ("text", "$.a", "it is string"),
    ({"a": "text"}, "$.a.b", "Cannot set property 'b' at $['a']: it is string"),
    ({"a": None}, "$.a.b", "it is null"),
    ({"a": {}}, "$.a[0]", "Cannot set [0] at $['a']: it is object, not an array"),
    ({"a": [1]}, "$.a[1]", "Cannot set [1] at $['a']: the array has 1 items"),
    ({}, "$.a[0]", "it is object, not an array"),  # a created {} cannot take an index
]


@pytest.mark.parametrize(
    "data, path, message", ASSIGN_ERRORS, ids=[c[1] + " " + json.dumps(c[0]) for c in ASSIGN_ERRORS]
)
def test_assign_error(data, path, message):
    with pytest.raises(ResultPathMatchFailure) as info:
        assign(data, parse_path(path)[1], 1)
    assert message in str(info.value)


# ---- every path in recorded cases and real-world definitions parses -----------------------

PATH_FIELDS = {
    "InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable",
    "TimestampPath", "SecondsPath", "ErrorPath", "CausePath", "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
}  # fmt: skip
CHOICE_PATH_FIELD = re.compile(r"^(String|Numeric|Boolean|Timestamp)\w*Path$")
# Paths that real-world definitions use but that are not valid JSONPath: each must be rejected.
KNOWN_INVALID = {
    # unquoted string literal in a filter; Jayway's FilterCompiler fails on it
    "$..QualityResults[?(@.constraint_status==Failure)]",
}
SUBSTITUTION = re.compile(r"\$\{(\w+)\}")  # DefinitionSubstitutions placeholder, filled at deploy time


def _path_strings(node):
    """Path strings in an ASL definition: values of "x.$" keys and of the *Path/Variable fields."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value.startswith("$"):
                if key.endswith(".$") or key in PATH_FIELDS or CHOICE_PATH_FIELD.match(key):
                    yield value
            yield from _path_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _path_strings(value)


def _definition_files(folders, pattern):
    for folder in folders:
        if folder.is_dir():
            return sorted(folder.glob(pattern))
    return []


REALWORLD_FILES = _definition_files(REALWORLD_DIRS, "*.asl.json")
CONFORMANCE_FILES = _definition_files([CONFORMANCE_CASES], "*.json")


def _assert_paths_parse(definition):
    bad = []
    for text in _path_strings(definition):
        text = SUBSTITUTION.sub(r"\1", text)
        try:
            parse_path(text)
        except PathSyntaxError as e:
            if text not in KNOWN_INVALID:
                bad.append(str(e))
        else:
            assert text not in KNOWN_INVALID, f"{text!r} is listed as invalid but parses"
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", REALWORLD_FILES, ids=[p.name.removesuffix(".asl.json") for p in REALWORLD_FILES])
def test_realworld_paths_parse(path):
    _assert_paths_parse(json.loads(path.read_text(encoding="utf-8")))


def test_conformance_paths_parse():
    for path in CONFORMANCE_FILES:
        _assert_paths_parse(json.loads(path.read_text(encoding="utf-8"))["definition"])


# ---- simple paths as text (asl_jsonpath.parse) ------------------------------------------------
# Generated code writes a simple path as its text; the translator does so only when the support
# module's small parser reads the text exactly as the grammar does (render._is_simple).


@pytest.mark.parametrize("text, spec", PARSE_CASES, ids=[t for t, _ in PARSE_CASES])
def test_runtime_parser_reads_simple_paths_as_the_grammar_does(text, spec):
    if all(step[0] in ("key", "index") for step in spec[1]):
        assert parse_simple(text) == spec
    else:
        with pytest.raises(ValueError):
            parse_simple(text)


@pytest.mark.parametrize(
    "text",
    ["$.a.length()", "$.a..b", "$.a b", "$['a'", "$.[a]", "a.b", "$.a.", "$[1:2]", "$['a','b']", "$.a[*]", "$.a()"],
)
def test_runtime_parser_rejects_other_paths(text):
    with pytest.raises(ValueError):
        parse_simple(text)


def test_runtime_parser_agrees_with_the_grammar_on_every_recorded_path():
    """Whatever the runtime parser accepts, the grammar parses to the same spec (the translator
    checks this per path too; this catches a drift between the two early)."""
    texts = set()
    for path in REALWORLD_FILES:
        texts.update(_path_strings(json.loads(path.read_text(encoding="utf-8"))))
    for path in CONFORMANCE_FILES:
        texts.update(_path_strings(json.loads(path.read_text(encoding="utf-8"))["definition"]))
    simple = 0
    for text in sorted(texts):
        try:
            mine = parse_simple(text)
        except ValueError:
            continue
        simple += 1
        assert parse_path(text) == mine, text
    assert simple > 100


@pytest.mark.parametrize(
    ("bare", "dotted"),
    [
        ("$.a[0]b", "$.a[0].b"),
        ("$['a']b[1]c", "$['a'].b[1].c"),
        ("$.*b", "$.*.b"),
        ("$.a[?(@.x[0]y == 1)]z", "$.a[?(@.x[0].y == 1)].z"),
    ],
)
def test_name_right_after_a_bracket_or_star_is_a_key_step_as_jayway_reads_it(bare, dotted):
    """Jayway's PathCompiler reads a name that follows ']' or '*' as a property token."""
    assert check_path(bare) is None
    assert parse_path(bare) == parse_path(dotted)


@pytest.mark.parametrize("text", ["$$x", "$1a", "$.a[0] b"])
def test_name_right_after_the_root_or_a_blank_stays_an_error(text):
    assert check_path(text) is not None
