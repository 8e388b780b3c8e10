"""pyexpr prints statements in black's layout (issue 18, item 4).

The property: for random expression trees (nested dicts, lists, calls, subscripts, conditions
with realistic strings: ARNs, keys, JSONPaths, text with quotes and non-ASCII characters)
placed in each statement shape the templates use, at indents 4, 8 and 12, black leaves the
printed statement unchanged, formats the one-line form into exactly the same lines, and the
printed code means the same as the one-line form (same ``ast``).
"""

from __future__ import annotations

import ast

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl2durable.render import pyexpr, render
from asl2durable.render.pyexpr import (
    Attribute,
    BoolOp,
    Call,
    Compare,
    Dict,
    Lambda,
    List,
    Literal,
    Name,
    Not,
    Subscript,
    Tuple,
    expression,
    literal,
    one_line,
    parse,
    statement,
)
from asl2durable.render.testgen import ANYTHING, Answers, expected_code

SHAPES = [  # (prefix, suffix) as the templates write them
    ("payload = ", ""),
    ("result = ", "  # ResultSelector"),
    ("args: dict[str, Any] = ", "  # Parameters"),
    ("return ", ""),
    ("if ", ":"),
    ("elif ", ":  # Choice rule"),
    ("", "  # Assign"),
    ("raise ", ""),
    ("assert ", ""),
]


def module(statement_text: str, indent: int, block: bool) -> str:
    """``statement_text`` inside nested ``def`` blocks that reach ``indent`` (after an ``if``
    block when it is an ``elif``)."""
    lines = [f"{'    ' * depth}def f{depth}():" for depth in range(indent // 4)]
    if statement_text.lstrip().startswith("elif "):
        lines += [" " * indent + "if x:", " " * (indent + 4) + "pass"]
    lines.append(statement_text)
    if block:
        lines.append(" " * (indent + 4) + "pass")
    # as in every generated file: black's target versions then allow a comma after **kwargs
    return "from __future__ import annotations\n\n\n" + "\n".join(lines) + "\n"


def check(prefix: str, expr: pyexpr.Expr, suffix: str = "", indent: int = 4, line_length: int = 100) -> str:
    printed = statement(prefix, expr, suffix, indent=indent, line_length=line_length)
    flat = one_line(prefix, expr, suffix, indent=indent)
    block = suffix.startswith(":")
    source = module(printed, indent, block)
    mode = black.Mode(line_length=line_length)
    assert black.format_str(source, mode=mode) == source
    assert black.format_str(module(flat, indent, block), mode=mode) == source
    assert ast.dump(ast.parse(source)) == ast.dump(ast.parse(module(flat, indent, block)))
    return printed


# -- strategies -------------------------------------------------------------------------------

_ARN = st.builds(
    "arn:aws:{}:us-east-1:123456789012:{}:{}".format,
    st.sampled_from(["lambda", "states", "sqs", "dynamodb"]),
    st.sampled_from(["function", "stateMachine", "table"]),
    st.text("abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=60),
)
_KEY = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", min_size=1, max_size=40)
_PATH = st.builds("$.{}".format, _KEY)
_TEXT = st.text(st.sampled_from(list("ab cd'\"\\\n\té€日x")), max_size=30)
STRINGS = st.one_of(_ARN, _KEY, _PATH, _TEXT, st.builds(lambda n: "k" * n, st.integers(0, 130)))
SCALARS = st.one_of(
    STRINGS.map(Literal),
    st.integers(-(10**12), 10**12).map(Literal),
    st.floats(allow_nan=False, allow_infinity=False).map(Literal),
    st.sampled_from([True, False, None]).map(Literal),
)
NAMES = st.sampled_from(["data", "run", "state", "result", "rt.invoke_lambda", "rt.JsonPath", "context.execution_input"]).map(Name)
ATOMS = st.one_of(SCALARS, NAMES)
_FUNCS = st.sampled_from(["rt.invoke_lambda", "rt.select_output", "rt.JsonPath", "run.assign", "f"]).map(Name)
_OPS = st.sampled_from(sorted(pyexpr._COMPARE_OPS))
_KWARG = st.sampled_from(["timeout", "heartbeat", "typed", "x"])


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(st.tuples(STRINGS.map(Literal), children), max_size=5).map(lambda items: Dict(tuple(items))),
        st.lists(children, max_size=5).map(lambda items: List(tuple(items))),
        st.builds(
            Call,
            _FUNCS,
            st.lists(children, max_size=4).map(tuple),
            st.lists(st.tuples(_KWARG, children), max_size=2, unique_by=lambda kw: kw[0]).map(tuple).map(
                lambda kwargs: kwargs + (("**", Name("overrides")),) if len(kwargs) == 2 else kwargs
            ),
        ),
        st.builds(Subscript, st.one_of(NAMES, children), st.one_of(STRINGS.map(Literal), children)),
        st.builds(Attribute, children, st.sampled_from(["value", "get", "x"])),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4).map(tuple)),
        st.builds(Not, children),
        st.builds(Compare, children, _OPS, children),
        st.lists(children, min_size=1, max_size=3).map(lambda items: Tuple(tuple(items))),
        st.builds(Lambda, children),
    )


EXPRS = st.recursive(ATOMS, _extend, max_leaves=15)
CALLS = st.builds(Call, _FUNCS, st.lists(EXPRS, max_size=4).map(tuple))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(SHAPES),
    expr=EXPRS,
    call=CALLS,
    indent=st.sampled_from([4, 8, 12]),
    line_length=st.sampled_from([100, 100, 88, 60]),
)
def test_black_keeps_the_printed_statement(shape, expr, call, indent, line_length):
    prefix, suffix = shape
    if not prefix:
        expr = call  # an expression statement: a call (a bare string would be a docstring)
    check(prefix, expr, suffix, indent, line_length)


@settings(max_examples=60, deadline=None)
@given(expr=EXPRS, indent=st.sampled_from([8, 12]))
def test_return_of_a_next_state(expr, indent):
    """``return "Next", <data>``: the bare tuple of a state function's result."""
    check("return ", Tuple((Literal("Next"), expr)), "", indent)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(STRINGS, st.text(), st.floats(allow_nan=False, allow_infinity=False), st.integers()))
def test_literals_as_black_normalises_them(value):
    text = literal(value)
    assert ast.literal_eval(text) == value
    assert black.format_str(f"x = {text}\n", mode=black.Mode(line_length=10**6)) == f"x = {text}\n"


# -- hand-written examples -------------------------------------------------------------------

ARN = "arn:aws:lambda:us-east-1:123456789012:function:charge"


def test_short_statements_stay_on_one_line():
    assert check("payload = ", parse(f'rt.invoke_lambda(run, "{ARN}", data)')) == (
        f'    payload = rt.invoke_lambda(run, "{ARN}", data)'
    )
    assert check("if ", parse('data["a"] == 1 and not data["b"]'), ":") == '    if data["a"] == 1 and not data["b"]:'


def test_the_last_bracket_hugs_its_body_when_it_fits():
    printed = check("return ", Tuple((Literal("Next"), parse(f'rt.invoke_lambda(run, "{ARN}", data, timeout=30)'))), "", 8)
    assert printed.splitlines() == [
        '        return "Next", rt.invoke_lambda(',
        f'            run, "{ARN}", data, timeout=30',
        "        )",
    ]


def test_arguments_explode_one_a_line_when_they_do_not_fit_together():
    printed = check("payload = ", parse(f'rt.invoke_lambda(run, "{ARN}", data["order"]["id"], timeout=30)'), indent=8)
    assert printed.splitlines() == [
        "        payload = rt.invoke_lambda(",
        "            run,",
        f'            "{ARN}",',
        '            data["order"]["id"],',
        "            timeout=30,",
        "        )",
    ]


def test_collections_explode_one_element_a_line_with_a_trailing_comma():
    value = {"order": {"id": "o-1", "items": [1, 2, 3]}, "customer": "c" * 40, "arn": ARN}
    printed = check("result = ", pyexpr.from_json(value), "  # ResultSelector", indent=8)
    assert printed.splitlines() == [
        "        result = {",
        '            "order": {"id": "o-1", "items": [1, 2, 3]},',
        f'            "customer": "{"c" * 40}",',
        f'            "arn": "{ARN}",',
        "        }  # ResultSelector",
    ]


def test_long_conditions_are_parenthesized_and_split_at_and():
    printed = check("if ", parse(f'rt.is_present(data, "$.{"a" * 30}") and data["status"] == "{"b" * 30}" and not data["x"]'), ":", 8)
    assert printed.splitlines() == [
        "        if (",
        f'            rt.is_present(data, "$.{"a" * 30}")',
        f'            and data["status"] == "{"b" * 30}"',
        '            and not data["x"]',
        "        ):",
    ]


def test_a_string_too_long_for_any_line_stays_on_its_line():
    printed = check("payload = ", Literal("x" * 150))
    assert printed == f'    payload = "{"x" * 150}"'
    printed = check("payload = ", Call(Name("rt.check_size"), (Name("state"), Literal("x" * 150))))
    assert printed.splitlines() == ["    payload = rt.check_size(", "        state,", f'        "{"x" * 150}",', "    )"]


def test_a_comment_on_a_wrapped_string_moves_inside_the_parentheses():
    """Black pins a trailing comment to the single leaf its optional parentheses wrap."""
    printed = check("args: dict[str, Any] = ", Literal(ARN + "-and-some-more-text"), "  # Parameters")
    assert printed.splitlines() == [
        "    args: dict[str, Any] = (",
        f'        "{ARN}-and-some-more-text"  # Parameters',
        "    )",
    ]


def test_other_statement_shapes():
    data = pyexpr.from_json({"key": "v" * 30, "other": ["w" * 30, 1, None]})
    assert check('data["order"]["id"] = ', data).splitlines()[0] == '    data["order"]["id"] = {'
    assert check("while ", parse(f'not rt.done(run, "{ARN}", data["x"], "{"y" * 5}")'), ":").splitlines() == [
        "    while not rt.done(",
        f'        run, "{ARN}", data["x"], "{"y" * 5}"',
        "    ):",
    ]
    assert check("return ", Tuple((Name("x"),))) == "    return (x,)"
    condition = parse("a in b and c not in d or e is not None")  # nested and/or: parenthesized
    assert check("elif ", condition, ":") == "    elif (a in b and c not in d) or e is not None:"


@settings(max_examples=60, deadline=None)
@given(items=st.lists(STRINGS.map(Literal), min_size=1, max_size=6), indent=st.sampled_from([4, 8]))
def test_a_for_loop_over_a_list(items, indent):
    """``for _variable in [...]:`` (the generated tests' configured names)."""
    check("for _variable in ", List(tuple(items)), ":", indent, 88)


def test_a_long_decorator_splits_like_a_call():
    printed = statement("@", parse(f'rt.task("{"A long state name " * 5}", entered_time=True)'), indent=0)
    source = printed + "\ndef f(run, data):\n    pass\n"
    assert black.format_str(source, mode=black.Mode(line_length=100)) == source
    assert printed.splitlines()[0] == "@rt.task("


def test_strings_prefer_double_quotes_unless_they_cost_escapes():
    assert literal("it's") == '"it\'s"'
    assert literal('say "hi"') == "'say \"hi\"'"
    assert literal("both ' and \"") == '"both \' and \\""'
    assert literal(1e16) == "1e16"
    assert literal(1.5e-07) == "1.5e-07"
    assert literal(-0.0) == "-0.0"


def test_parse_round_trips_through_the_one_line_form():
    text = 'rt.f(a, [1, "x"], {"k": (1, 2)}, key=not (a or b), other=x["y"].z) and c is not None'
    assert expression(parse(text)) == text


def test_unsupported_input_is_refused():
    with pytest.raises(ValueError):
        parse("a + b")
    with pytest.raises(ValueError):
        statement("del ", Name("x"))
    with pytest.raises(ValueError):
        statement("x = ", Name("x"), indent=3)
    with pytest.raises(ValueError):
        statement("x = ", Name("x"), "  # type: ignore")


_DATA = st.recursive(
    st.one_of(SCALARS, st.just(Name("ANY"))),
    lambda children: st.one_of(
        st.lists(st.tuples(STRINGS.map(Literal), children), min_size=1, max_size=4).map(lambda items: Dict(tuple(items))),
        st.lists(children, min_size=1, max_size=4).map(lambda items: List(tuple(items))),
    ),
    max_leaves=25,
)


def splitter_layout(prefix: str, expr: pyexpr.Expr, indent: int, line_length: int, suffix: str = "") -> str:
    """The statement as black's transcribed line splitter lays it out, over as many passes as
    :func:`statement` makes, without its short ways."""
    leaves, comment = pyexpr._statement_leaves(prefix, expr, suffix)
    assert comment is None
    lines = pyexpr._format_once(leaves, indent // 4, line_length)
    text = pyexpr._text(lines)
    for _ in range(8):
        if len(lines) == 1:
            break
        lines = pyexpr._format_once(pyexpr._reparse(lines), indent // 4, line_length)
        again = pyexpr._text(lines)
        if again == text:
            break
        text = again
    return text.rstrip("\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_DATA.filter(lambda d: isinstance(d, (Dict, List))),
    shape=st.sampled_from(["payload = ", "return ", "assert outcome.calls == "]),
    indent=st.sampled_from([4, 8]),
    line_length=st.sampled_from([88, 60]),
)
def test_json_data_takes_the_short_way_to_the_same_layout(data, shape, indent, line_length):
    """Statements of JSON data (most of the generated tests' lines) are laid out without the
    line splitter; the layout is the splitter's, and black keeps it."""
    if shape.startswith("assert "):
        prefix, expr = "assert ", Compare(Attribute(Name("outcome"), "calls"), "==", data)
    else:
        prefix, expr = shape, data
    short = pyexpr._data_statement(prefix, expr, "", indent, line_length)
    assert short is not None
    assert short == splitter_layout(prefix, expr, indent, line_length)
    source = module(short, indent, False)
    assert black.format_str(source, mode=black.Mode(line_length=line_length)) == source


def _nesting(children: st.SearchStrategy) -> st.SearchStrategy:
    """Calls, dicts, lists, lambdas of calls and subscripts: what the short way for calls lays
    out."""
    kwargs = st.lists(st.tuples(_KWARG, children), max_size=2, unique_by=lambda kw: kw[0]).map(tuple)
    call = st.builds(
        Call, _FUNCS, st.lists(children, max_size=4).map(tuple),
        kwargs.map(lambda kw: kw + (("**", Name("overrides")),) if len(kw) == 2 else kw),
    )
    return st.one_of(
        call,
        call.map(Lambda),
        st.builds(Subscript, st.one_of(NAMES, call), st.one_of(STRINGS.map(Literal), children)),
        st.lists(st.tuples(STRINGS.map(Literal), children), max_size=4).map(lambda items: Dict(tuple(items))),
        st.lists(children, max_size=4).map(lambda items: List(tuple(items))),
    )


NESTED = st.recursive(st.one_of(ATOMS, EXPRS), _nesting, max_leaves=25)


CALL_SHAPES = [("payload = ", ""), ("return ", ""), ("", ""), ("raise ", ""), ("if ", ":"), ("while ", ":")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expr=NESTED.filter(lambda e: isinstance(e, (Call, Dict, List))),
    shape=st.sampled_from(CALL_SHAPES),
    pair=st.booleans(),
    indent=st.sampled_from([4, 8, 12]),
    line_length=st.sampled_from([88, 88, 60]),
)
@pytest.mark.slow  # black over many generated calls
def test_calls_take_the_short_way_to_the_same_layout(expr, shape, pair, indent, line_length):
    """Statements of a call (``outcome = run(...)``, ``return rt.call_service(...)``,
    ``if rt.present(...):``), or of a dict or a list holding calls, alone or returned after
    a state's name (``return "Next", ...``), are laid out without the line splitter where
    every part too long for its line is a call, a dict, a list, a lambda of a call or a
    subscript; the layout is the splitter's, and black keeps it."""
    prefix, suffix = shape
    if prefix in ("", "raise ") and not isinstance(expr, Call):
        expr = Call(Name("rt.f"), (expr,))  # an expression statement: a call
    if pair and prefix == "return ":
        expr = Tuple((Literal("Next"), expr))
    short = pyexpr._call_statement(prefix, expr, suffix, indent, line_length)
    if short is None:
        return  # another shape: the splitter lays it out (test_black_keeps_the_printed_statement)
    assert short == splitter_layout(prefix, expr, indent, line_length, suffix)
    source = module(short, indent, suffix.startswith(":"))
    assert black.format_str(source, mode=black.Mode(line_length=line_length)) == source


_EXPECTED = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-(10**20), 10**20), STRINGS, st.just(ANYTHING),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(STRINGS, children, max_size=4),
        st.lists(children, min_size=1, max_size=3).map(Answers),
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=_EXPECTED, left=st.sampled_from(["outcome.calls", "outcome.output"]))
def test_expected_values_carry_the_tree_their_text_reads_as(value, left):
    """The generated tests' expected values reach ``py`` with their tree (render.Code): the
    tree is the one the text parses to, so the statement is laid out as from the text."""
    code = render.asserted_equal(left, expected_code(value))
    if not isinstance(code, render.Code):
        return  # (no tree: a value that is not JSON data)
    assert code.tree == parse(code)
    assert all(text == expression(parse(text)) for text in code.flat.values())
    assert statement("assert ", code.tree, flat=code.flat) == statement("assert ", str(code))
