"""Intrinsic functions: parsing (asl2durable.expressions.intrinsics) and evaluation (runtime/asl_intrinsics.py).

The evaluation table has three sources:
* ``recorded``: every intrinsic_functions conformance case (executions recorded on AWS,
  tests/fixtures/conformance/cases) whose definition is one Pass state with one ``X.$``
  intrinsic in Parameters and that reads only the state input;
* rows marked ``aws:`` in comments: AWS behaviour reported by public AWS-run suites
  (error name and cause "Invalid arguments in States.X", truncation, lenient Base64, ...);
* the rules of the Step Functions documentation.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from asl2durable.expressions import intrinsics
from asl2durable.expressions.intrinsics import (
    IntrinsicSyntaxError,
    check_arity,
    check_intrinsic,
    is_intrinsic,
    parse_intrinsic,
    uses_nondeterminism,
)
from asl2durable.runtime import asl_intrinsics, asl_jsonpath
from asl2durable.runtime.asl_intrinsics import IntrinsicFailure, evaluate, java_double, java_json

CASES_DIR = Path(__file__).parent / "fixtures" / "conformance" / "cases"


def P(*steps, root="$"):
    """A path spec as the parser writes it (nested lists)."""
    return ["path", [root, [list(s) for s in steps]]]


def L(value):
    return ["lit", value]


def C(name, *args):
    return ["call", "States." + name, list(args)]


# ---- parsing ---------------------------------------------------------------------------------

PARSE_CASES = [
    ("States.Array()", C("Array")),
    ("States.UUID()", C("UUID")),
    ("States.Array($)", C("Array", P())),
    ("States.Array($$.Execution.Id)", C("Array", P(("key", "Execution"), ("key", "Id"), root="$$"))),
    ("States.Array($myVar.a[0])", C("Array", P(("key", "a"), ("index", 0), root="$myVar"))),
    ("States.Array( $.a , $.b )", C("Array", P(("key", "a")), P(("key", "b")))),
    ("  States.Array(1)  ", C("Array", L(1))),
    ("States.Array(0, -7, 1.5, -2.5e3, 1E2)", C("Array", L(0), L(-7), L(1.5), L(-2500.0), L(100.0))),
    ("States.Array(true, false, null)", C("Array", L(True), L(False), L(None))),
    ("States.Array('')", C("Array", L(""))),
    (r"States.Array('it\'s', 'a\\b', '\{\}', '{}')", C("Array", L("it's"), L("a\\b"), L("{}"), L("{}"))),
    ("States.Array('line\nbreak')", C("Array", L("line\nbreak"))),  # a real line break is fine
    ("States.Array('a,b)', ' ')", C("Array", L("a,b)"), L(" "))),
    ("States.Array('\"double\"')", C("Array", L('"double"'))),
    ("States.Format('Hello {}', $.name)", C("Format", ["tpl", "Hello {}"], P(("key", "name")))),
    (r"States.Format('\{\} {}', 1)", C("Format", ["tpl", r"\{\} {}"], L(1))),
    ("States.Format($.t, 'x')", C("Format", P(("key", "t")), L("x"))),
    ("States.Array(States.Format('{}', 'x'))", C("Array", C("Format", ["tpl", "{}"], L("x")))),
    (
        "States.Array($['a,b'], $[0,1])",
        C("Array", P(("key", "a,b")), P(("union", [["index", 0], ["index", 1]]))),
    ),
    ("States.Array($.a.length())", C("Array", P(("key", "a"), ("call", "length")))),
    (
        "States.Array($.items[?(@.x == 'a,b)')])",
        C(
            "Array",
            P(("key", "items"), ("filter", ["cmp", "==", ["current", [["key", "x"]]], ["literal", "a,b)"]])),
        ),
    ),
    ("States.MathRandom(1, 10, 42)", C("MathRandom", L(1), L(10), L(42))),
    (
        "States.ArrayGetItem(States.StringSplit($.s, '-'), States.MathAdd(States.ArrayLength($.a), -1))",
        C(
            "ArrayGetItem",
            C("StringSplit", P(("key", "s")), L("-")),
            C("MathAdd", C("ArrayLength", P(("key", "a"))), L(-1)),
        ),
    ),
    # arity is not a syntax matter: AWS accepts these definitions and fails at run time
    ("States.Hash('x')", C("Hash", L("x"))),
    ("States.UUID(1)", C("UUID", L(1))),
]


@pytest.mark.parametrize("text, spec", PARSE_CASES, ids=[t for t, _ in PARSE_CASES])
def test_parse(text, spec):
    assert parse_intrinsic(text) == spec
    assert check_intrinsic(text) is None
    assert is_intrinsic(text.strip())
    # a compact Python literal made of lists only
    assert eval(repr(parse_intrinsic(text))) == spec  # noqa: S307
    assert "(" not in repr(parse_intrinsic(text)).replace("()", "")  # no tuples


NESTED_10 = "States.Array(" * 10 + "1" + ")" * 10
NESTED_11 = "States.Array(" * 11 + "1" + ")" * 11

SYNTAX_ERRORS = [
    # (text, what the message says)
    ("States.Array(", "ends too early"),
    ("States.Array(1", "ends too early"),
    ("States.Array(1,)", "argument is missing"),
    ("States.Array(,1)", "argument is missing"),
    ("States.ArrayGetItem($.arr, )", "argument is missing"),
    ("States.Array(1) trailing", "text after the end of the call"),
    ("States.Array(1))", "text after the end of the call"),
    ("States.Foo(1)", "unknown intrinsic function States.Foo"),
    ("States.array(1)", "did you mean States.Array?"),
    ("States.Array(States.Nope())", "unknown intrinsic function States.Nope"),
    ("States.Array (1)", "no blank is allowed before '('"),
    ("States.Array([1,2])", "cannot be written inline"),
    ("States.Array({})", "cannot be written inline"),
    ("States.Array(1.)", "cannot end with '.'"),
    ("States.Array(.5)", "write 0.5"),
    ("States.Array(+1)", "unexpected '+'"),
    ("States.Array(abc)", "strings must be quoted"),
    ("States.Array(True)", "strings must be quoted"),
    ('States.Array("x")', "single quotes"),
    ("States.Array('abc)", "not closed"),
    (r"States.Array('a\nb')", r"invalid escape (a backslash before 'n')"),  # backslash + n
    (r"States.Array('a\"b')", "invalid escape"),
    (r"States.Format('\d{}', 1)", "invalid escape"),
    ("States.Array($.a b)", "unexpected 'b'"),
    ("States.Array($.a.)", "invalid JSONPath '$.a.'"),
    ("States.Array($.a[)", "'[' of a path is not closed"),
    ("States.Array($[?(@.a ==)])", "invalid JSONPath"),
    ("States.Array(States.Array)", "unexpected 'States.Array'"),
    (NESTED_11, "nested 11 deep"),
    ("$.a", "not an intrinsic function call"),
    ("Format('x')", "not an intrinsic function call"),
]


@pytest.mark.parametrize("text, fragment", SYNTAX_ERRORS, ids=[t[:60] for t, _ in SYNTAX_ERRORS])
def test_syntax_errors(text, fragment):
    with pytest.raises(IntrinsicSyntaxError) as err:
        parse_intrinsic(text)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message
    assert check_intrinsic(text) == message


def test_nesting_limit_is_ten():
    assert parse_intrinsic(NESTED_10)[0] == "call"
    assert intrinsics._depth(parse_intrinsic(NESTED_10)) == 10


def test_not_a_string():
    with pytest.raises(IntrinsicSyntaxError):
        parse_intrinsic(42)
    assert check_intrinsic(None) is not None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("States.Array()", True),
        ("States.Format('{}', $.x)", True),
        ("States.Foo(", True),  # looks like one; check_intrinsic says what is wrong
        ("States.Array (1)", False),
        ("$.a", False),
        ("States.Array", False),
        (" States.Array()", False),
        ("states.Array()", False),
        (None, False),
        (["States.Array()"], False),
    ],
)
def test_is_intrinsic(text, expected):
    assert is_intrinsic(text) is expected


@pytest.mark.parametrize(
    "text, nondeterministic",
    [
        ("States.UUID()", True),
        ("States.MathRandom(1, 10)", True),
        ("States.MathRandom(1, 10, 5)", False),
        ("States.Format('{}-{}', $.a, States.UUID())", True),
        ("States.Array(States.Array(States.MathRandom($.a, $.b)))", True),
        ("States.Array(States.MathRandom($.a, $.b, $.seed))", False),
        ("States.Format('{}', $.a)", False),
    ],
)
def test_uses_nondeterminism(text, nondeterministic):
    assert uses_nondeterminism(parse_intrinsic(text)) is nondeterministic


@pytest.mark.parametrize(
    "text, message",
    [
        ("States.Format('{}', 1)", None),
        ("States.Array()", None),
        ("States.MathRandom(1, 2)", None),
        ("States.MathRandom(1, 2, 3)", None),
        ("States.Hash('x')", "States.Hash takes 2 arguments, not 1; it fails at run time"),
        ("States.UUID(1)", "States.UUID takes 0 arguments, not 1; it fails at run time"),
        ("States.Format()", "States.Format takes at least 1 argument, not 0; it fails at run time"),
        ("States.MathRandom(1)", "States.MathRandom takes 2 to 3 arguments, not 1; it fails at run time"),
        (
            "States.Array(States.ArrayLength())",
            "States.ArrayLength takes 1 argument, not 0; it fails at run time",
        ),
    ],
)
def test_check_arity(text, message):
    assert check_arity(parse_intrinsic(text)) == message


# ---- evaluation: recorded AWS executions ------------------------------------------------------


def _recorded_rows():
    rows = []
    for path in sorted(CASES_DIR.glob("intrinsic_functions.*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        states = case["definition"].get("States", {})
        if case["definition"].get("QueryLanguage") == "JSONata" or len(states) != 1:
            continue
        (state,) = states.values()
        params = state.get("Parameters")
        if state.get("Type") != "Pass" or not isinstance(params, dict) or len(params) != 1:
            continue
        if set(state) - {"Type", "Parameters", "End", "Comment"}:
            continue  # ResultPath, OutputPath ...: covered end to end by tests/conformance.py
        ((key, text),) = params.items()
        if not key.endswith(".$") or not is_intrinsic(text) or "$$" in text:
            continue  # context-object cases are covered end to end
        rows.append(pytest.param(case, key[:-2], text, id=case["id"]))
    return rows


RECORDED = _recorded_rows()


def _read(data):
    return lambda spec: asl_jsonpath.read(data, spec)


def test_recorded_rows_cover_the_family():
    # 92 JSONPath cases in the family; the 3 that read $$ (one also uses ResultPath and
    # OutputPath) are covered end to end by tests/conformance.py.
    assert len(RECORDED) == 89


@pytest.mark.parametrize("case, field, text", RECORDED)
def test_recorded(case, field, text):
    expected = case["expected"]
    spec = parse_intrinsic(text)
    value = evaluate(spec, _read(case["input"]))
    assert expected["status"] == "SUCCEEDED"
    wanted = expected["output"][field]
    if wanted == "RandomNumberGenerated":  # the recording hides the drawn number
        args = case["input"]["FunctionInput"]
        assert isinstance(value, int) and int(args["fst"]) <= value < int(args["snd"])
    else:
        assert value == wanted
        assert type(value) is type(wanted)


# ---- evaluation: every function, edge rules and failures ----------------------------------------

EVAL_CASES = [
    # (text, input, expected)
    # States.Format: strings raw, everything else as Java prints it
    ("States.Format('Hello {}', $.name)", {"name": "Ada"}, "Hello Ada"),
    ("States.Format('no placeholders')", {}, "no placeholders"),
    ("States.Format('{} {} {}', $.a, $.b, $.c)", {"a": "x", "b": 2, "c": True}, "x 2 true"),
    (
        "States.Format('{}|{}|{}|{}|{}', $.nil, $.bool, $.negative, $.fractional, $.huge)",
        {"nil": None, "bool": False, "negative": -1, "fractional": 3.5, "huge": 9007199254740991},
        "null|false|-1|3.5|9007199254740991",  # aws: null prints as "null"
    ),
    ("States.Format('{}', $.x)", {"x": {"Arg1": 1, "Arg2": []}}, "{Arg1=1, Arg2=[]}"),
    (
        "States.Format('{}', $.x)",
        {"x": [1, "a", None, [True], {"k": {"n": 1.0}}]},
        "[1, a, null, [true], {k={n=1.0}}]",
    ),
    (
        "States.Format('{} {} {} {}', $.a, $.b, $.c, $.d)",
        {"a": 1.0, "b": 1e10, "c": 1e-5, "d": -0.0},
        "1.0 1.0E10 1.0E-5 -0.0",
    ),
    (
        r"""States.Format('Name: \'{}\', Surname: "{}"', $.n, $.s)""",
        {"n": "G", "s": "M"},
        "Name: 'G', Surname: \"M\"",
    ),
    (r"States.Format('\{\}{}\\', 'x')", {}, "{}x\\"),
    ("States.Format('  {}  ', $.a)", {"a": "x"}, "  x  "),
    ("States.Format($.template, $.name)", {"template": "Hello {}", "name": "Ada"}, "Hello Ada"),
    (
        "States.Format('arn:{}:{}', $.svc, States.JsonToString($.obj))",
        {"svc": "lambda", "obj": {"k": 1}},
        'arn:lambda:{"k":1}',
    ),
    # States.StringToJson
    ("States.StringToJson($.s)", {"s": '{"a":1,"b":[true,null,1.5]}'}, {"a": 1, "b": [True, None, 1.5]}),
    ("States.StringToJson($.s)", {"s": ' {"a":1} '}, {"a": 1}),
    ("States.StringToJson($.s)", {"s": "\n\t"}, None),
    ("States.StringToJson('\"x\"')", {}, "x"),
    ("States.StringToJson($.s)", {"s": "-0"}, 0),
    # States.JsonToString: compact, key order kept, non-ASCII kept, doubles as Java prints them
    (
        "States.JsonToString($.x)",
        {"x": {"nested": {"a": 1}, "arr": [True, None]}},
        '{"nested":{"a":1},"arr":[true,null]}',
    ),
    (
        "States.JsonToString($.x)",
        {"x": [-1, 3.5, -9007199254740991, 9007199254740991]},
        "[-1,3.5,-9007199254740991,9007199254740991]",
    ),
    ("States.JsonToString($.x)", {"x": [1.0, 1e10, 0.001, 1e-4]}, "[1.0,1.0E10,0.001,1.0E-4]"),
    ("States.JsonToString($.x)", {"x": {"é": 'ü\n\x01"\\/'}}, '{"é":"ü\\n\\u0001\\"\\\\/"}'),
    ("States.JsonToString('x')", {}, '"x"'),
    ("States.JsonToString(null)", {}, "null"),
    # States.Array
    ("States.Array(42, true, null, 'hello')", {}, [42, True, None, "hello"]),
    ("States.Array(1, States.Array(2, 3))", {}, [1, [2, 3]]),
    ("States.Array($.a, $.a)", {"a": {"x": 1}}, [{"x": 1}, {"x": 1}]),
    # States.ArrayPartition: the chunk size is truncated (aws: 2.6 behaves as 2)
    ("States.ArrayPartition($.a, 4)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayPartition($.a, 2.6)", {"a": [1, 2, 3, 4, 5]}, [[1, 2], [3, 4], [5]]),
    ("States.ArrayPartition($.a, 2147483647)", {"a": [1, 2, 3]}, [[1, 2, 3]]),
    ("States.ArrayPartition(States.Array(1,2,3,4,5), 2)", {}, [[1, 2], [3, 4], [5]]),
    # States.ArrayContains compares Java texts (aws: true matches "true", key order matters)
    ("States.ArrayContains($.a, 2)", {"a": [1, 2, 3]}, True),
    ("States.ArrayContains($.a, null)", {"a": [1, None, 3]}, True),
    ("States.ArrayContains($.a, $.t)", {"a": [{"a": 1}, {"b": 2}], "t": {"a": 1}}, True),
    ("States.ArrayContains($.a, $.t)", {"a": [{"a": 1, "b": 2}], "t": {"b": 2, "a": 1}}, False),
    ("States.ArrayContains($.a, $.t)", {"a": [{"a": 1}], "t": {"a": 1, "extra": None}}, False),
    ("States.ArrayContains($.a, false)", {"a": [0, 1, -1, -1.5]}, False),
    ("States.ArrayContains($.a, true)", {"a": ["true", "false"]}, True),
    ("States.ArrayContains($.a, $.t)", {"a": ["9007199254740991"], "t": 9007199254740991}, True),
    ("States.ArrayContains($.a, $.t)", {"a": [None, "", [0, 1, False]], "t": [0, 1, False]}, True),
    # States.ArrayRange: end inclusive, arguments truncated (aws)
    ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("States.ArrayRange(-2, 2, 2)", {}, [-2, 0, 2]),
    ("States.ArrayRange(3, 3, -1)", {}, [3]),
    ("States.ArrayRange(5, 1, -2)", {}, [5, 3, 1]),
    ("States.ArrayRange(5, 1, 1)", {}, []),
    ("States.ArrayRange(1, 5, -1)", {}, []),
    ("States.ArrayRange(1.4, 5.6, 2.2)", {}, [1, 3, 5]),
    ("States.ArrayRange(1.6, 1.4, 1)", {}, [1]),
    ("States.ArrayRange(5.4, -0.6, -2.4)", {}, [5, 3, 1]),
    ("States.ArrayLength(States.ArrayRange(1, 1000, 1))", {}, 1000),
    ("States.ArrayLength(States.ArrayRange(1000, 1, -1))", {}, 1000),
    # States.ArrayGetItem: index truncated (aws: 1.2 reads item 1); empty array gives null (aws)
    ("States.ArrayGetItem($.a, 0)", {"a": ["a", "b", "c"]}, "a"),
    ("States.ArrayGetItem($.a, $.i)", {"a": [10, 20, 30, 40], "i": 2}, 30),
    ("States.ArrayGetItem($.a, 1.2)", {"a": [10, 20, 30]}, 20),
    ("States.ArrayGetItem($.a, 999)", {"a": []}, None),
    ("States.ArrayGetItem($.a, 1)", {"a": [{"a": 1}, {"b": 2}]}, {"b": 2}),
    # States.ArrayLength
    ("States.ArrayLength($.a)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 9),
    ("States.ArrayLength($.a)", {"a": []}, 0),
    # States.ArrayUnique: Java HashSet order (aws: [true, false, ...] gives [false, true])
    ("States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.ArrayUnique($.a)", {"a": ["a", "b", "a", "c", "b"]}, ["a", "b", "c"]),
    ("States.ArrayUnique($.a)", {"a": [True, False, True, False]}, [False, True]),
    ("States.ArrayUnique($.a)", {"a": [None, None, 1, None]}, [None, 1]),
    ("States.ArrayUnique($.a)", {"a": [[1, 2], [1, 2], [2, 1]]}, [[2, 1], [1, 2]]),
    ("States.ArrayUnique($.a)", {"a": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]}, [{"a": 1, "b": 2}]),
    ("States.ArrayUnique($.a)", {"a": [1, "1", "01"]}, [1, "1", "01"]),
    ("States.ArrayUnique($.a)", {"a": [1, 1.0, True]}, [1, True, 1.0]),  # Java: three distinct values
    ("States.ArrayUnique($.a)", {"a": []}, []),
    # States.Base64Encode / States.Base64Decode (aws: decoding is lenient)
    ("States.Base64Encode('hello')", {}, "aGVsbG8="),
    ("States.Base64Encode('')", {}, ""),
    ("States.Base64Encode($.s)", {"s": "こんにちは"}, "44GT44KT44Gr44Gh44Gv"),
    ("States.Base64Encode('🚀')", {}, "8J+agA=="),
    ("States.Base64Encode($.s)", {"s": "abc\x00def"}, "YWJjAGRlZg=="),
    ("States.Base64Decode('4pyT')", {}, "✓"),
    ("States.Base64Decode('YWJjAGRlZg==')", {}, "abc\x00def"),
    ("States.Base64Decode(' YWJjZA== ')", {}, "abcd"),
    ("States.Base64Decode('YWJjZA')", {}, "abcd"),
    ("States.Base64Decode('ab==cd')", {}, "i"),
    ("States.Base64Decode('!!!aGVs!!!bG8=')", {}, "hello"),
    ("States.Base64Decode(States.Base64Encode($.s))", {"s": "hello"}, "hello"),
    ("States.Base64Decode($.s)", {"s": "A" * 10000}, "\x00" * 7500),
    # States.Hash
    ("States.Hash('hello', 'MD5')", {}, "5d41402abc4b2a76b9719d911017c592"),
    ("States.Hash('hello', 'SHA-1')", {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("States.Hash('', 'SHA-256')", {}, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
        "States.Hash($.s, 'SHA-256')",
        {"s": "こんにちは"},
        "125aeadf27b0459b8760c13a3d80912dfa8a81a68261906f60d87f4a0268646c",
    ),
    (
        "States.Hash(States.Format('{}:{}', $.a, $.b), 'SHA-256')",
        {"a": "x", "b": "y"},
        "1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271",
    ),
    ("States.Hash(123, 'MD5')", {}, hashlib.md5(b"123").hexdigest()),  # aws: numbers are hashed as text
    ("States.Hash($.o, 'MD5')", {"o": {"a": [1]}}, hashlib.md5(b"{a=[1]}").hexdigest()),
    ("States.Hash($.s, 'SHA-256')", {"s": "a" * 10000}, hashlib.sha256(b"a" * 10000).hexdigest()),
    # States.JsonMerge: shallow, the second object wins
    (
        "States.JsonMerge($.a, $.b, false)",
        {"a": {"x": 1, "y": 2}, "b": {"y": 3, "z": 4}},
        {"x": 1, "y": 3, "z": 4},
    ),
    ("States.JsonMerge($.a, $.b, false)", {"a": {"n": {"a1": 1}}, "b": {"n": {"a3": 3}}}, {"n": {"a3": 3}}),
    (
        "States.JsonMerge($.a, $.b, false)",
        {"a": {"n": {"l": True}, "k": 1}, "b": {"n": None}},
        {"n": None, "k": 1},
    ),
    ("States.JsonMerge($.a, $.b, $.deep)", {"a": {"x": 1}, "b": {}, "deep": "false"}, {"x": 1}),  # aws
    (
        "States.JsonMerge(States.StringToJson($.a), States.StringToJson($.b), false)",
        {"a": '{"l":1}', "b": '{"r":2}'},
        {"l": 1, "r": 2},
    ),
    # States.MathAdd: Math.round on each number (aws), 32-bit range
    ("States.MathAdd(5, 3)", {}, 8),
    ("States.MathAdd($.v, -1)", {"v": 111}, 110),
    ("States.MathAdd($.a, $.b)", {"a": 1.6, "b": 2.7}, 5),
    ("States.MathAdd($.a, $.b)", {"a": 0.1, "b": 0.2}, 0),
    ("States.MathAdd(0.49999999999999994, 0)", {}, 0),
    ("States.MathAdd(-2.5, 0)", {}, -2),
    ("States.MathAdd(2147483647, 0)", {}, 2147483647),
    ("States.MathAdd(-2147483647, -1)", {}, -2147483648),
    ("States.MathAdd(States.MathAdd($.x, 1), 2)", {"x": 5}, 8),
    # States.StringSplit: Java StringTokenizer (aws: empty pieces are dropped)
    ("States.StringSplit($.s, ',')", {"s": "a,b,c"}, ["a", "b", "c"]),
    ("States.StringSplit($.s, $.d)", {"s": "1+2,3.4", "d": ".+,"}, ["1", "2", "3", "4"]),
    ("States.StringSplit($.s, ',')", {"s": ",a,,b,"}, ["a", "b"]),
    ("States.StringSplit($.s, ',')", {"s": ""}, []),
    ("States.StringSplit($.s, ',')", {"s": ","}, []),
    ("States.StringSplit($.s, 'ab')", {"s": "1a2b3ab4"}, ["1", "2", "3", "4"]),
    ("States.StringSplit($.s, '')", {"s": "abc"}, ["abc"]),
    ("States.StringSplit($.s, '|]^-\\\\')", {"s": "a|b]c^d-e\\f"}, ["a", "b", "c", "d", "e", "f"]),
    ("States.StringSplit(States.Format('{}-{}', $.a, $.b), '-')", {"a": "x", "b": "y"}, ["x", "y"]),
    ("States.StringSplit('Hello\nWorld', '\n')", {}, ["Hello", "World"]),
    # variables and the context object reach intrinsics through resolve()
    ("States.Format('{}/{}', $v, $$.Execution.Name)", {}, "7/exec-1"),
]


def _resolve(data):
    return lambda spec: asl_jsonpath.read(
        data, spec, context={"Execution": {"Name": "exec-1"}}, variables={"v": 7}
    )


@pytest.mark.parametrize(
    "text, data, expected", EVAL_CASES, ids=[f"{i}:{t[:50]}" for i, (t, _, _) in enumerate(EVAL_CASES)]
)
def test_evaluate(text, data, expected):
    value = evaluate(parse_intrinsic(text), _resolve(data))
    assert value == expected
    assert type(value) is type(expected)


FAILURES = [
    # (text, input): each fails with States.Runtime, "Invalid arguments in <function>" (aws)
    ("States.Format('{} {}', $.a)", {"a": "x"}),
    ("States.Format('{}', $.a, $.b)", {"a": "x", "b": "y"}),
    ("States.Format($.t, $.n)", {"t": 123, "n": "A"}),
    ("States.Format('Hello {', $.a)", {"a": "x"}),
    ("States.Format('Hello {{}}', $.a)", {"a": "x"}),
    ("States.Format('}')", {}),
    ("States.StringToJson($.s)", {"s": "{bad json}"}),
    ("States.StringToJson($.s)", {"s": '{"a":1'}),
    ("States.StringToJson($.s)", {"s": "undefined"}),
    ("States.StringToJson($.s)", {"s": "NaN"}),
    ("States.StringToJson($.s)", {"s": "1 2"}),
    ("States.StringToJson($.s)", {"s": 123}),
    ("States.StringToJson($.s)", {"s": {"a": 1}}),
    ("States.StringToJson()", {}),
    ("States.StringToJson($.a, $.b)", {"a": "1", "b": "2"}),
    ("States.JsonToString()", {}),
    ("States.ArrayPartition('not-array', 2)", {}),
    ("States.ArrayPartition($.a, '2')", {"a": [1]}),
    ("States.ArrayPartition($.a, null)", {"a": [1]}),
    ("States.ArrayPartition($.a, 0)", {"a": [1]}),
    ("States.ArrayPartition($.a, 0.6)", {"a": [1]}),
    ("States.ArrayPartition($.a, -0.4)", {"a": [1]}),
    ("States.ArrayPartition($.a, -1)", {"a": [1]}),
    ("States.ArrayPartition($.a)", {"a": [1]}),
    ("States.ArrayPartition($.a, 2, 999)", {"a": [1]}),
    ("States.ArrayContains('not-array', 'x')", {}),
    ("States.ArrayContains($.a)", {"a": [1]}),
    ("States.ArrayContains($.a, 2, 999)", {"a": [1]}),
    ("States.ArrayRange('a', 5, 1)", {}),
    ("States.ArrayRange(1, 'b', 1)", {}),
    ("States.ArrayRange(1, 5, 'c')", {}),
    ("States.ArrayRange(1, 10, 0)", {}),
    ("States.ArrayRange(1, 10, 0.49)", {}),
    ("States.ArrayRange(1, 1001, 1)", {}),
    ("States.ArrayRange(1001, 1, -1)", {}),
    ("States.ArrayRange(true, 5, 1)", {}),
    ("States.ArrayRange(1, 5)", {}),
    ("States.ArrayGetItem('not-array', 0)", {}),
    ("States.ArrayGetItem($.a, 3)", {"a": [10, 20, 30]}),
    ("States.ArrayGetItem($.a, -1)", {"a": [10, 20, 30]}),
    ("States.ArrayGetItem($.a, '1')", {"a": [10, 20, 30]}),
    ("States.ArrayGetItem($.a)", {"a": [10]}),
    ("States.ArrayLength($.o)", {"o": {"a": 1}}),
    ("States.ArrayLength('abc')", {}),
    ("States.ArrayUnique('not-array')", {}),
    ("States.ArrayUnique($.o)", {"o": {"a": 1}}),
    ("States.ArrayUnique()", {}),
    ("States.Base64Encode(123)", {}),
    ("States.Base64Encode($.o)", {"o": {}}),
    ("States.Base64Encode($.a)", {"a": ["x"]}),
    ("States.Base64Encode($.s)", {"s": "a" * 10001}),
    ("States.Base64Encode()", {}),
    ("States.Base64Encode('a', 'b')", {}),
    ("States.Base64Decode(123)", {}),
    ("States.Base64Decode($.s)", {"s": "A" * 10001}),
    ("States.Base64Decode()", {}),
    ("States.Hash('hello', 123)", {}),
    ("States.Hash('data', 'sha-256')", {}),
    ("States.Hash('data', 'SHA256')", {}),
    ("States.Hash('data', 'MD-5')", {}),
    ("States.Hash('data', '')", {}),
    ("States.Hash($.s, 'SHA-256')", {"s": "a" * 10001}),
    ("States.Hash()", {}),
    ("States.Hash('hello')", {}),
    ("States.Hash('hello', 'SHA-256', 'extra')", {}),
    ("States.JsonMerge($.a, $.b, false)", {"a": None, "b": {}}),
    ("States.JsonMerge($.a, $.b, false)", {"a": {}, "b": None}),
    ("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}}),
    ("States.JsonMerge($.a, $.b, false)", {"a": {}, "b": "x"}),
    ("States.JsonMerge($.a, $.b, true)", {"a": {}, "b": {}}),
    ("States.JsonMerge($.a, $.b)", {"a": {}, "b": {}}),
    ("States.JsonMerge()", {}),
    ("States.MathRandom(1, 1)", {}),
    ("States.MathRandom(10, 5)", {}),
    ("States.MathRandom(1.4, 1.6)", {}),
    ("States.MathRandom(1.49, 1.49)", {}),
    ("States.MathRandom('a', 10)", {}),
    ("States.MathRandom(1, 'b')", {}),
    ("States.MathRandom(1, 10, 'seed')", {}),
    ("States.MathRandom(1, 10, null)", {}),
    ("States.MathRandom($.s, $.e)", {"s": None, "e": 10}),
    ("States.MathRandom(1)", {}),
    ("States.MathRandom(1, 10, 5, 99)", {}),
    ("States.MathAdd(2147483647, 1)", {}),
    ("States.MathAdd(-2147483648, -1)", {}),
    ("States.MathAdd(3000000000, 1)", {}),
    ("States.MathAdd(-3000000000, 1)", {}),
    ("States.MathAdd('a', 1)", {}),
    ("States.MathAdd(1, 'b')", {}),
    ("States.MathAdd(null, 1)", {}),
    ("States.MathAdd(true, 1)", {}),
    ("States.MathAdd('-1', 2)", {}),
    ("States.MathAdd($.t, $.p)", {"t": "1", "p": [1]}),
    ("States.MathAdd(1)", {}),
    ("States.MathAdd(1, 2, 999)", {}),
    ("States.StringSplit($.v, ',')", {"v": 123}),
    ("States.StringSplit($.s, $.d)", {"s": "a,b", "d": 1}),
    ("States.StringSplit($.s, $.d)", {"s": None, "d": ","}),
    ("States.StringSplit($.s, $.d)", {"s": "a,b", "d": None}),
    ("States.StringSplit($.s, ',')", {"s": False}),
    ("States.StringSplit($.s, $.d)", {"s": "a,b", "d": [","]}),
    ("States.StringSplit()", {}),
    ("States.UUID(1)", {}),
    ("States.Array(States.MathAdd(1))", {}),  # a failure inside a nested call names that call
]


@pytest.mark.parametrize("text, data", FAILURES, ids=[f"{i}:{t[:50]}" for i, (t, _) in enumerate(FAILURES)])
def test_failures(text, data):
    spec = parse_intrinsic(text)
    with pytest.raises(IntrinsicFailure) as err:
        evaluate(spec, _resolve(data), uuid=lambda: "u", random_int=lambda a, b: a)
    failing = re.findall(r"States\.\w+", text)
    failing = "States.MathAdd" if text.startswith("States.Array(States.MathAdd") else failing[0]
    assert str(err.value) == f"Invalid arguments in {failing}"
    assert err.value.error == "States.Runtime"
    assert err.value.function == failing
    assert err.value.detail


def test_path_errors_propagate_unchanged():
    spec = parse_intrinsic("States.Format('{}', States.Array($.missing))")
    with pytest.raises(asl_jsonpath.PathNotFound):
        evaluate(spec, _read({}))


def test_arguments_are_evaluated_left_to_right():
    seen = []

    def resolve(spec):
        seen.append(spec[1][0][1])
        return seen[-1]

    evaluate(parse_intrinsic("States.Array($.a, States.Array($.b, $.c), $.d)"), resolve)
    assert seen == ["a", "b", "c", "d"]


# ---- States.UUID and States.MathRandom -------------------------------------------------------


def test_uuid_uses_the_hook():
    calls = []
    spec = parse_intrinsic("States.Format('{}/{}', States.UUID(), States.UUID())")
    value = evaluate(spec, _read({}), uuid=lambda: calls.append(1) or f"id{len(calls)}")
    assert value == "id1/id2"


def test_uuid_default_is_a_v4_uuid():
    value = evaluate(parse_intrinsic("States.UUID()"), _read({}))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)


def test_unseeded_random_uses_the_hook_with_inclusive_bounds():
    calls = []

    def random_int(low, high):
        calls.append((low, high))
        return high

    # AWS: the start is inclusive, the end exclusive; bounds are truncated (aws: 12.5 -> 12)
    spec = parse_intrinsic("States.MathRandom($.fst, $.snd)")
    assert evaluate(spec, _read({"fst": 12.5, "snd": 44.51}), random_int=random_int) == 43
    assert calls == [(12, 43)]


def test_unseeded_random_default_stays_in_range():
    spec = parse_intrinsic("States.MathRandom(1.6, 5.4)")  # aws: gives 1 to 4
    values = {evaluate(spec, _read({})) for _ in range(300)}
    assert values == {1, 2, 3, 4}


def test_seeded_random_is_java_util_random():
    def draw(start, end, seed):
        return evaluate(
            parse_intrinsic(f"States.MathRandom({start}, {end}, {seed})"), _read({}), random_int=None
        )

    # new java.util.Random(seed).nextInt(end - start) + start
    assert draw(-5, 5, 42) == -5  # aws: seed 42 over [-5, 5) gives -5
    assert draw(0, 10, 42) == 0
    assert draw(0, 100, 0) == 60
    assert draw(0, 16, 42) == asl_intrinsics._JavaRandom(42).next_int(16)
    assert draw(1, 100, 42) == draw(1, 100, 42)
    assert 2147483640 <= draw(2147483640, 2147483647, 1) < 2147483647
    assert 1 <= draw(1, 10, -10) < 10


def test_seeded_random_does_not_call_the_hook():
    def hook(_low, _high):
        raise AssertionError("a seeded MathRandom must not draw from the hook")

    assert evaluate(parse_intrinsic("States.MathRandom(0, 999, 3)"), _read({}), random_int=hook) in range(999)


# ---- Java renderings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, text",
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (1.1, "1.1"),
        (100.0, "100.0"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (1.25e10, "1.25E10"),
        (0.001, "0.001"),
        (0.00099, "9.9E-4"),
        (-123.456, "-123.456"),
        (1e-300, "1.0E-300"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (float("inf"), "Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_java_double(number, text):
    assert java_double(number) == text


def test_java_json_escapes_control_characters_as_jackson_does():
    assert java_json("a\x1fb\\u001f") == '"a\\u001Fb\\\\u001f"'


def test_java_json_matches_compact_json_for_ints_and_strings():
    value = {"a": [1, "x", None, True, {"b": -7}], "c": "é"}
    assert java_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
