"""Parse ASL JSONPath strings into PathSpec tuples at translation time.

A PathSpec is ``(root, steps)`` made only of tuples, str, int, float, bool and None, so
``repr(spec)`` is a Python literal that generated code can embed for ``asl_jsonpath.read``
at run time. Generated code embeds it only for paths beyond a root and .name, ['name'],
[index] steps; it writes simple paths as their text, which ``asl_jsonpath.parse`` reads::

    root:  "$" (state input) | "$$" (context object) | "$name" (workflow variable)
    steps: ("key", name) ("index", i) ("wildcard",) ("slice", start, end, step)
           ("union", (("index", i) | ("key", name), ...)) ("descend", name or None)
           ("filter", expr) ("call", fname)
    expr:  ("or", a, b) ("and", a, b) ("not", a) ("exists", operand)
           ("cmp", op, left, right)    op: == != < <= > >= =~
    operand: ("literal", value) ("regex", pattern, flags) ("current", steps) ("root", steps)

The grammar is grammars/jsonpath.lark (the Jayway JsonPath dialect AWS uses).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, UnexpectedToken

from asl2durable._resources import lark_parser

FUNCTIONS = ("length", "size", "min", "max", "avg", "sum", "stddev")
_FILTER_STEPS = ("key", "index")  # what a path inside a filter may use (plus a final call)


class PathSyntaxError(ValueError):
    """A string is not a valid JSONPath; str() is a one-line message saying what and where."""


_PAIR = "_pair"  # two steps written as one (see then_key); _flatten splits them


def _flatten(steps) -> tuple:
    out: list = []
    for step in steps:
        out.extend(step[1:] if step[0] == _PAIR else (step,))
    return tuple(out)


class _SpecBuilder(Transformer):
    """Turn the lark parse tree into PathSpec tuples (runs inside the LALR parser)."""

    @v_args(inline=True)
    def start(self, root, *steps):
        steps = _flatten(steps)
        _check_steps(steps, "a path")
        return (str(root), steps)

    # -- a step followed by a bare name, which Jayway reads as a .name step
    @v_args(inline=True)
    def then_key(self, step, name):
        return (_PAIR, step, ("key", str(name)))

    @v_args(inline=True)
    def wildcard_then_key(self, _star, name):
        return (_PAIR, ("wildcard",), ("key", str(name)))

    @v_args(inline=True)
    def filter_then_key(self, expr, name):
        return (_PAIR, ("filter", expr), ("key", str(name)))

    # -- steps
    def key(self, children):
        (name,) = children
        return ("key", _quoted_name(name) if name.type == "QUOTED" else str(name))

    def index(self, children):
        return ("index", int(children[0]))

    def wildcard(self, _children):
        return ("wildcard",)

    @v_args(inline=True)
    def slice(self, start, end, step):
        if step is not None and int(step) == 0:
            raise PathSyntaxError("slice step cannot be 0")
        return ("slice",) + tuple(None if n is None else int(n) for n in (start, end, step))

    def index_union(self, children):
        return ("union", tuple(("index", int(n)) for n in children))

    def key_union(self, children):
        return ("union", tuple(("key", _quoted_name(q)) for q in children))

    @v_args(inline=True)
    def descend(self, target):
        if target.type == "STAR":
            return ("descend", None)
        return ("descend", _quoted_name(target) if target.type == "QUOTED" else str(target))

    @v_args(inline=True)
    def call(self, name):
        if name not in FUNCTIONS:
            raise PathSyntaxError(
                f"unknown function {name}(); supported: {', '.join(f + '()' for f in FUNCTIONS)}"
            )
        return ("call", str(name))

    @v_args(inline=True)
    def filter(self, expr):
        return ("filter", expr)

    # -- filter expressions
    @v_args(inline=True)
    def or_(self, a, b):
        return ("or", a, b)

    @v_args(inline=True)
    def and_(self, a, b):
        return ("and", a, b)

    @v_args(inline=True)
    def not_(self, a):
        return ("not", a)

    @v_args(inline=True)
    def exists(self, operand):
        return ("exists", operand)

    @v_args(inline=True)
    def cmp(self, left, op, right):
        if isinstance(right, Token):  # the /pattern/flags after =~
            body, _, flags = right[1:].rpartition("/")
            try:
                re.compile(body)
            except re.error as e:
                raise PathSyntaxError(f"invalid regular expression /{body}/: {e}") from None
            right = ("regex", body, flags)
        return ("cmp", op.strip(), left, right)

    # -- operands
    def current(self, steps):
        steps = _flatten(steps)
        _check_steps(steps, "a filter path", allowed=_FILTER_STEPS)
        return ("current", tuple(steps))

    def root(self, steps):
        steps = _flatten(steps)
        _check_steps(steps, "a filter path", allowed=_FILTER_STEPS)
        return ("root", tuple(steps))

    @v_args(inline=True)
    def number(self, token):
        text = str(token)
        return ("literal", int(text) if re.fullmatch(r"-?\d+", text) else float(text))

    @v_args(inline=True)
    def string(self, token):
        return ("literal", _unescape(token[1:-1]))

    def true(self, _children):
        return ("literal", True)

    def false(self, _children):
        return ("literal", False)

    def null(self, _children):
        return ("literal", None)


def _quoted_name(token: str) -> str:
    r"""A bracket-quoted key name, without its quotes.

    Backslashes are kept: AWS reads $['a\"b'] as the key a\"b (recorded case
    scenarios.test_base_scenarios.test_escape_sequence_parsing_ESCAPE_SEQUENCES_JSONPATH).
    A backslash only stops the next character from closing the quote.
    """
    return token[1:-1]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unescape(text: str) -> str:
    r"""Decode the escapes of a filter string literal: \' \" \\ \n \t \r \b \f and \u with four hex digits."""

    def one(m: re.Match) -> str:
        c = m.group(1)
        if c[0] == "u" and len(c) == 5:
            return chr(int(c[1:], 16))
        return _ESCAPES.get(c, c)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, text, flags=re.DOTALL)


def _check_steps(steps, what: str, allowed: tuple[str, ...] | None = None) -> None:
    """Reject steps the runtime does not support in this position."""
    for i, step in enumerate(steps):
        if step[0] == "call" and i != len(steps) - 1:
            raise PathSyntaxError(f"function {step[1]}() must be the last step of {what}")
        if allowed is not None and step[0] not in allowed and step[0] != "call":
            raise PathSyntaxError(
                f"{what} may only use .name, ['name'], [index] and a final function call;"
                f" found a {step[0]} step"
            )


_parser: Lark | None = None


def _get_parser() -> Lark:
    """The LALR parser for grammars/jsonpath.lark, built on first use."""
    global _parser
    if _parser is None:
        _parser = lark_parser("jsonpath.lark", maybe_placeholders=True, transformer=_SpecBuilder())
    return _parser


def parse_path(text: str) -> tuple:
    """Parse a JSONPath string into a PathSpec ``(root, steps)``; raise PathSyntaxError if invalid."""
    if not isinstance(text, str):
        raise PathSyntaxError(f"a path must be a string, not {type(text).__name__}")
    path = text.strip()  # Jayway trims the path before compiling it
    if not path:
        raise PathSyntaxError("empty path; a path starts with '$'")
    if not path.startswith("$"):
        raise PathSyntaxError(f"invalid JSONPath {text!r}: a path must start with '$'")
    try:
        return _parsed(path)
    except PathSyntaxError as e:
        raise PathSyntaxError(f"invalid JSONPath {text!r}: {e}") from None
    except UnexpectedInput as e:
        raise PathSyntaxError(f"invalid JSONPath {text!r}: {_describe(path, e)}") from None


@lru_cache(maxsize=4096)
def _parsed(path: str) -> tuple:
    """The parse of a (stripped) path, kept: validation, lowering and the test plan each read
    the same paths, and a PathSpec is made only of tuples and scalars (errors are not kept)."""
    return _get_parser().parse(path)


def _describe(path: str, e: UnexpectedInput) -> str:
    """Say what went wrong, and where, for a lark parse error."""
    if isinstance(e, UnexpectedToken) and e.token.type == "$END":
        return f"the path ends too early, after {path!r}"
    pos = e.pos_in_stream if e.pos_in_stream is not None else len(path)
    before = path[:pos]
    if path[pos : pos + 1].isspace() and before.count("[") > before.count("]"):
        pos = len(path) - len(path[pos:].lstrip())  # blanks are fine here: blame what follows
        before = path[:pos]
    word = re.match(r"\w+|.", path[pos:]).group() if pos < len(path) else ""
    message = f"unexpected {word!r} at position {pos}" + (f" (after {before!r})" if before else "")
    if word.isspace():
        message += "; blanks are only allowed inside brackets and filters"
    elif re.search(r"\.\.\[?\s*$", before):
        message += "; '..' must be followed by a name, *, ['name'] or [*]"
    elif re.search(r"(==|!=|<|>|<=|>=)\s*$", before) and word[:1].isalpha():
        message += f"; string literals must be quoted, e.g. '{word}'"
    elif before.rstrip().endswith("=~"):
        message += "; =~ must be followed by a /regex/"
    elif word in ("'", '"'):
        message += f"; the {word} quote is not closed"
    elif before.endswith(".") and not word.isalnum():
        message += "; use bracket notation such as ['my name'] for names with other characters"
    return message


def is_reference_path(spec) -> bool:
    """True for an ASL reference path (as ResultPath needs): root "$" and only key/index steps."""
    root, steps = spec
    return root == "$" and all(step[0] in ("key", "index") for step in steps)


def is_definite(spec) -> bool:
    """True when reading the path gives one value rather than a list of matches.

    That is: only key/index steps, optionally ending in a key union (Jayway merges
    $['a','b'] into one object); or a function call after such steps or after a path
    starting with ".." (Jayway applies $..x.f() to all matches together).
    """
    _root, steps = spec
    if steps and steps[-1][0] == "call":
        steps = steps[:-1]
        if steps and steps[0][0] == "descend":
            return True
    if steps and steps[-1][0] == "union" and all(sel[0] == "key" for sel in steps[-1][1]):
        steps = steps[:-1]
    return all(step[0] in ("key", "index") for step in steps)


def check_path(
    text: str, *, reference: bool = False, allow_context: bool = True, allow_variables: bool = True
) -> str | None:
    """Return None when ``text`` is an acceptable path here, else a plain error message."""
    try:
        spec = parse_path(text)
    except PathSyntaxError as e:
        return str(e)
    root = spec[0]
    if reference and not is_reference_path(spec):
        return (
            f"{text!r} must be a reference path: '$' followed only by .name, ['name'] "
            "and [index] steps"
        )
    if root == "$$" and not allow_context:
        return f"{text!r}: the context object ($$) cannot be used here"
    if root not in ("$", "$$") and not allow_variables:
        return f"{text!r}: variables ({root}) cannot be used here"
    return None
