"""Parse ASL intrinsic function calls (``States.Format('{}', $.x)``) at translation time.

A spec is made of nested lists (so that ``repr(spec)`` is a compact Python literal that
generated code embeds and hands to ``asl_intrinsics.evaluate``)::

    call: ["call", "States.Name", [arg, ...]]
    arg:  ["lit", value]       a string (unescaped), number, true, false or null literal
          ["path", [root, steps]]  paths.parse_path(text) as nested lists; root "$", "$$", "$name"
          ["tpl", raw]         the template of States.Format when it is a string literal, kept
                               as written (escapes included) so that \\{ \\} stay literal braces
          ["call", ...]        a nested call

The grammar is grammars/intrinsics.lark. AWS rejects at definition time a call that does
not parse, an unknown function and (we assume) nesting deeper than 10; wrong argument
counts and types only fail when the state runs (``States.Runtime``, "Invalid arguments in
States.X"), so ``check_intrinsic`` accepts them and ``check_arity`` reports them separately.
"""

from __future__ import annotations

import json
import re

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from asl2durable._resources import lark_parser
from asl2durable.expressions.paths import PathSyntaxError, parse_path

#: The 18 intrinsic functions, with their (minimum, maximum) argument counts; None: no maximum.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "States.Format": (1, None),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, None),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}

MAX_DEPTH = 10  # "You can nest up to 10 intrinsic functions within a field"
_ESCAPABLE = "'{}\\"
_START = re.compile(r"States\.[A-Za-z0-9]+\(")


class IntrinsicSyntaxError(ValueError):
    """A string is not a valid intrinsic function call; str() is one line saying what is wrong."""


def _listify(value):
    """Tuples (from paths.parse_path) to lists, recursively."""
    if isinstance(value, (tuple, list)):
        return [_listify(v) for v in value]
    return value


def _unescape(raw: str) -> str:
    r"""The value of a string literal's text (without quotes): \' \{ \} \\ are the only escapes."""

    def one(m: re.Match) -> str:
        if m.group(1) not in _ESCAPABLE:
            shown = {"\n": "a line break", "\t": "a tab"}.get(m.group(1), repr(m.group(1)))
            raise IntrinsicSyntaxError(
                f"invalid escape (a backslash before {shown}) in the string '{raw}'; "
                r"inside intrinsic strings only \' \{ \} and \\ are escapes"
            )
        return m.group(1)

    return re.sub(r"\\(.)", one, raw, flags=re.DOTALL)


class _SpecBuilder(Transformer):
    """Turn the lark parse tree into a spec (runs inside the LALR parser)."""

    @v_args(inline=True)
    def start(self, call):
        return call

    def call(self, children):
        name = str(children[0])[:-1]  # FUNCTION_OPEN is "States.Name("
        if name not in FUNCTIONS:
            close = [f for f in FUNCTIONS if f.lower() == name.lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise IntrinsicSyntaxError(f"unknown intrinsic function {name}{hint}")
        args = [a for a in children[1:] if a is not None]  # [arg (...)*] gives None when empty
        out = []
        for i, arg in enumerate(args):
            if arg[0] == "str":  # a string literal: the Format template keeps its escapes
                _unescape(arg[1])  # report bad escapes everywhere
                arg = ["tpl", arg[1]] if name == "States.Format" and i == 0 else ["lit", _unescape(arg[1])]
            out.append(arg)
        return ["call", name, out]

    @v_args(inline=True)
    def string(self, token):
        return ["str", str(token)[1:-1]]

    @v_args(inline=True)
    def number(self, token):
        text = str(token)
        return ["lit", int(text) if re.fullmatch(r"-?\d+", text) else float(text)]

    def true(self, _children):
        return ["lit", True]

    def false(self, _children):
        return ["lit", False]

    def null(self, _children):
        return ["lit", None]

    @v_args(inline=True)
    def path(self, token):
        try:
            return ["path", _listify(parse_path(str(token)))]
        except PathSyntaxError as e:
            raise IntrinsicSyntaxError(str(e)) from None


_parser: Lark | None = None


def _get_parser() -> Lark:
    """The LALR parser for grammars/intrinsics.lark, built on first use."""
    global _parser
    if _parser is None:
        _parser = lark_parser("intrinsics.lark", transformer=_SpecBuilder())
    return _parser


def is_intrinsic(text) -> bool:
    """True for a string that starts like an intrinsic call: ``States.Name(``."""
    return isinstance(text, str) and _START.match(text) is not None


def parse_intrinsic(text: str) -> list:
    """Parse an intrinsic call into a spec; raise IntrinsicSyntaxError when it is not valid."""
    if not isinstance(text, str):
        raise IntrinsicSyntaxError(f"an intrinsic function call must be a string, not {type(text).__name__}")
    call = text.strip()
    if not is_intrinsic(call):
        if re.match(r"States\.[A-Za-z0-9]+\s+\(", call):
            raise IntrinsicSyntaxError(
                f"invalid intrinsic function call {call!r}: no blank is allowed before '('"
            )
        raise IntrinsicSyntaxError(
            f"{text!r} is not an intrinsic function call: it must start with States.Name("
        )
    try:
        spec = _get_parser().parse(call)
    except IntrinsicSyntaxError as e:
        raise IntrinsicSyntaxError(f"invalid intrinsic function call {call!r}: {e}") from None
    except UnexpectedInput as e:
        raise IntrinsicSyntaxError(
            f"invalid intrinsic function call {call!r}: {_describe(call, e)}"
        ) from None
    depth = _depth(spec)
    if depth > MAX_DEPTH:
        raise IntrinsicSyntaxError(
            f"invalid intrinsic function call {call!r}: calls are nested {depth} deep; "
            f"Step Functions allows at most {MAX_DEPTH}"
        )
    return spec


def _describe(text: str, e: UnexpectedInput) -> str:
    """Say what went wrong, and where, for a lark parse error."""
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        return "it ends too early: a ')' or an argument is missing"
    pos = e.pos_in_stream if e.pos_in_stream is not None else len(text)
    rest = text[pos:]
    if isinstance(e, UnexpectedCharacters) and rest.startswith("'"):
        return f"the string starting at position {pos} is not closed (write \\' for a quote inside a string)"
    found = re.search(r"States\.\w+\s*\(?|[\w.]+|\S", rest)  # the first word after any blanks
    word = found.group() if found else rest
    message = f"unexpected {word!r} at position {pos}"
    if _complete(text[:pos]):
        message += "; there is text after the end of the call"
    elif re.match(r"States\.\w+\s+\(", word):
        message += "; no blank is allowed between a function name and '('"
    elif re.match(r"\.\d", word):
        message += f"; write 0{word}, not {word}"
    elif word.startswith(".") and text[:pos][-1:].isdigit():
        message += "; a number cannot end with '.'"
    elif word == "States" or word.startswith("States."):
        message += "; a nested call is written States.Name(...)"
    elif word == "[" and text[:pos].rstrip()[-1:] not in ("(", ","):
        message += "; this '[' of a path is not closed, or holds what a path cannot"
    elif word in ("[", "{"):
        message += "; arrays and objects cannot be written inline (use States.Array or States.StringToJson)"
    elif word == '"':
        message += "; strings are written in single quotes"
    elif word[:1].isalpha() or word[:1] in "._":
        message += "; strings must be quoted, e.g. 'text', and paths start with $"
    elif word in (",", ")") and text[:pos].rstrip().endswith(("(", ",")):
        message += "; an argument is missing"
    return message


def _complete(text: str) -> bool:
    """True when ``text`` alone is a call that parses."""
    try:
        _get_parser().parse(text.strip())
    except (UnexpectedInput, IntrinsicSyntaxError):
        return False
    return True


def _depth(spec) -> int:
    """How deeply calls are nested: 1 for a call without nested calls."""
    return 1 + max((_depth(a) for a in spec[2] if a[0] == "call"), default=0)


def check_intrinsic(text: str) -> str | None:
    """None when ``text`` is an intrinsic call AWS accepts at definition time, else the problem.

    Argument counts are not checked here: AWS accepts ``States.Hash('x')`` in a definition
    and fails when the state runs (see ``check_arity``).
    """
    try:
        parse_intrinsic(text)
    except IntrinsicSyntaxError as e:
        return str(e)
    return None


def check_arity(spec) -> str | None:
    """A message for the first call of ``spec`` with a wrong number of arguments, else None.

    Such a call is valid in a definition but always fails at run time with States.Runtime
    ("Invalid arguments in States.X"): a translator may warn about it.
    """
    _kind, name, args = spec
    low, high = FUNCTIONS[name]
    if len(args) < low or (high is not None and len(args) > high):
        if high is None:
            wanted = f"at least {low}"
        elif low == high:
            wanted = str(low)
        else:
            wanted = f"{low} to {high}"
        plural = "" if wanted.endswith("1") else "s"
        return f"{name} takes {wanted} argument{plural}, not {len(args)}; it fails at run time"
    for arg in args:
        if arg[0] == "call":
            problem = check_arity(arg)
            if problem:
                return problem
    return None


#: What each argument of a function must be ("any" when any JSON value will do); the last
#: entry covers any further arguments. It mirrors the checks of runtime/asl_intrinsics.py.
ARGUMENT_KINDS: dict[str, tuple[str, ...]] = {
    "States.Format": ("string", "any"),
    "States.StringToJson": ("string",),
    "States.JsonToString": ("any",),
    "States.Array": ("any",),
    "States.ArrayPartition": ("array", "number"),
    "States.ArrayContains": ("array", "any"),
    "States.ArrayRange": ("number", "number", "number"),
    "States.ArrayGetItem": ("array", "number"),
    "States.ArrayLength": ("array",),
    "States.ArrayUnique": ("array",),
    "States.Base64Encode": ("string",),
    "States.Base64Decode": ("string",),
    "States.Hash": ("any", "hash"),
    "States.JsonMerge": ("object", "object", "not true"),
    "States.MathRandom": ("number", "number", "number"),
    "States.MathAdd": ("number", "number"),
    "States.StringSplit": ("string", "string"),
    "States.UUID": ("any",),
}
#: The algorithms States.Hash accepts, spelled exactly so.
HASH_ALGORITHMS = ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")
_KIND_NAMES = {"string": "a string", "number": "a number", "array": "an array", "object": "a JSON object"}


def _literal_problem(kind: str, value) -> str | None:
    """What is wrong with literal ``value`` as an argument of ``kind``, else None."""
    if kind == "any" or (kind == "not true" and value is not True):
        return None
    if kind == "not true":
        return "must be false (deep merging is not supported)"
    if kind == "hash":
        return None if value in HASH_ALGORITHMS else f"must be one of {', '.join(HASH_ALGORITHMS)}"
    if kind == "string" and isinstance(value, str):
        return None
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    return f"must be {_KIND_NAMES[kind]}"  # a literal is never an array or an object


def check_argument_types(spec) -> str | None:
    """A message for the first literal argument of ``spec`` (nested calls included) whose type
    is wrong for its function, e.g. ``States.MathAdd(1, '-1')``, else None.

    Like a wrong argument count, it is valid in a definition and fails at run time
    (States.Runtime, "Invalid arguments in States.X"). Paths and nested calls are not judged.
    """
    _kind, name, args = spec
    kinds = ARGUMENT_KINDS[name]
    for i, arg in enumerate(args):
        if arg[0] == "call":
            problem = check_argument_types(arg)
        elif arg[0] == "lit":
            problem = _literal_problem(kinds[min(i, len(kinds) - 1)], arg[1])
            if problem:
                shown = f"'{arg[1]}'" if isinstance(arg[1], str) else json.dumps(arg[1])
                problem = f"argument {i + 1} of {name} ({shown}) {problem}; it fails at run time"
        else:
            continue
        if problem:
            return problem
    return None


def uses_nondeterminism(spec) -> bool:
    """True when ``spec`` calls States.UUID, or States.MathRandom without a seed."""
    if not isinstance(spec, list) or not spec or spec[0] != "call":
        return False
    _kind, name, args = spec
    if name == "States.UUID" or (name == "States.MathRandom" and len(args) < 3):
        return True
    return any(uses_nondeterminism(arg) for arg in args)
