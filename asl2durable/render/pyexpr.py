"""Python expressions laid out the way black lays them out (issue 18, item 4).

The templates place expressions built from a definition's JSON data (literals, dicts, lists,
calls, subscripts, conditions) into statements: ``payload = <expr>``, ``return <expr>``,
``if <cond>:``, ``<expr>  # comment``. When the templates print them already in black's layout,
``black.format_str`` finds nothing to change: one pass instead of two, and black stays the only
formatter (the one judge of layout; this module only predicts it).

Two parts:

* a small expression tree (:class:`Literal`, :class:`Name`, :class:`Attribute`, :class:`Dict`,
  :class:`List`, :class:`Tuple`, :class:`Call`, :class:`Subscript`, :class:`BoolOp`,
  :class:`Not`, :class:`Compare`), with :func:`parse` to build one from Python source text and
  :func:`from_json` from JSON data;
* :func:`statement`, which prints a statement holding one expression exactly as black would
  (:func:`one_line` gives the same statement unsplit, :func:`expression` an expression on one
  line, :func:`literal` a JSON scalar as black normalises it).

``render.statement`` (the templates' ``py``) calls it for every statement that holds a
definition's data and is longer than a line. Usage::

    pyexpr.statement("payload = ", pyexpr.parse(text), "  # Parameters", indent=8)
    pyexpr.statement("return ", pyexpr.Tuple((pyexpr.Literal("Next"), expr)), indent=8)
    pyexpr.statement("if ", condition, ":", indent=4, line_length=100)

The layout is not re-invented: it is a transcription of black's own line splitting (the
installed black's ``linegen.py``: ``transform_line``, ``rhs`` with its omitted trailers,
``_maybe_split_omitting_optional_parens``, ``can_omit_invisible_parens``,
``_prefer_split_rhs_oop_over_rhs``, ``delimiter_split``, the "second opinion" with optional
parentheses forced; ``lines.py``'s ``Line``; ``brackets.py``'s ``BracketTracker``) restricted to
the tokens these expressions produce, with black's default (non-preview) style. Black's quirks
come along on purpose (leaves that lose their parent node after a second opinion, comments
pinned to a single wrapped leaf, ...): an approximation would be right on most lines and wrong
on a few, and the point is to be right on all of them.

``black.format_str`` itself runs its line splitter twice when the first pass changed anything
(trailing commas added by the first pass are "magic" in the second). :func:`statement` does
the same: it re-reads its own output as black would parse it and splits again until nothing
changes, so what it returns is a fixed point: ``format_str(out) == out``. There is no
fallback layout (no magic trailing comma of its own): the result is black's own layout of the
one-line statement, checked by tests/test_pyexpr.py against the installed black.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from black.strings import str_width

__all__ = [
    "Attribute",
    "BoolOp",
    "Call",
    "Compare",
    "Dict",
    "Expr",
    "Lambda",
    "List",
    "Literal",
    "Name",
    "Not",
    "Subscript",
    "Tuple",
    "expression",
    "from_json",
    "literal",
    "one_line",
    "parse",
    "statement",
]

DEFAULT_LINE_LENGTH = 88  # render.format_python's black mode (black's default)


# --------------------------------------------------------------------------------------------
# The expression tree


@dataclass(frozen=True)
class Literal:
    """A JSON scalar: str, int, float, bool or None."""

    value: Any


@dataclass(frozen=True)
class Name:
    """An identifier or a dotted name (``rt.invoke_lambda``)."""

    text: str


@dataclass(frozen=True)
class Attribute:
    value: Expr
    attr: str


@dataclass(frozen=True)
class Dict:
    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True)
class List:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Tuple:
    """Bare (``return "Next", x``) as a whole statement's expression, parenthesized elsewhere."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()  # ("**", Name("kw")) is **kw


@dataclass(frozen=True)
class Subscript:
    value: Expr
    key: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Lambda:
    """A lambda without parameters (``lambda: rt.invoke_lambda(...)``): black's bracket
    tracker raises the depth between ``lambda`` and ``:`` only, where there is nothing."""

    body: Expr


@dataclass(frozen=True)
class Compare:
    left: Expr
    op: str  # == != < <= > >= in "not in" is "is not"
    right: Expr


Expr = Literal | Name | Attribute | Dict | List | Tuple | Call | Subscript | BoolOp | Not | Compare | Lambda

_COMPARE_OPS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"}


def from_json(value: Any) -> Expr:
    """JSON data (dicts, lists, scalars) as an expression of literals."""
    if isinstance(value, dict):
        return Dict(tuple((Literal(k), from_json(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return List(tuple(from_json(v) for v in value))
    return Literal(value)


_AST_COMPARE = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}  # fmt: skip


def parse(text: str) -> Expr:
    """An expression tree from Python source (what the templates' filters print today)."""
    return _from_ast(ast.parse(text.strip(), mode="eval").body)


def _from_ast(node: ast.expr) -> Expr:
    convert = _AST_CONVERTERS.get(type(node))
    if convert is None:
        raise ValueError(f"pyexpr: unsupported expression {ast.unparse(node)!r}")
    return convert(node)


def _from_unary(node: Any) -> Expr:
    if isinstance(node.op, ast.Not):
        return Not(_from_ast(node.operand))
    if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Literal(-value)
    raise ValueError(f"pyexpr: unsupported expression {ast.unparse(node)!r}")


def _from_compare(node: Any) -> Expr:
    if len(node.ops) != 1:
        raise ValueError(f"pyexpr: chained comparison {ast.unparse(node)!r}")
    return Compare(_from_ast(node.left), _AST_COMPARE[type(node.ops[0])], _from_ast(node.comparators[0]))


def _from_call(node: Any) -> Expr:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None and not isinstance(k.value, ast.Name) for k in node.keywords
    ):
        raise ValueError(f"pyexpr: unsupported call {ast.unparse(node)!r}")
    return Call(
        _from_ast(node.func),
        tuple(_from_ast(a) for a in node.args),
        tuple((k.arg or "**", _from_ast(k.value)) for k in node.keywords),
    )


def _from_lambda(node: Any) -> Expr:
    a = node.args
    if a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg:
        raise ValueError(f"pyexpr: a lambda with parameters {ast.unparse(node)!r}")
    return Lambda(_from_ast(node.body))


def _from_dict(node: Any) -> Expr:
    if any(k is None for k in node.keys):
        raise ValueError(f"pyexpr: unsupported dict {ast.unparse(node)!r}")
    return Dict(tuple((_from_ast(k), _from_ast(v)) for k, v in zip(node.keys, node.values)))


def _from_subscript(node: Any) -> Expr:
    if isinstance(node.slice, (ast.Slice, ast.Tuple)):
        raise ValueError(f"pyexpr: unsupported subscript {ast.unparse(node)!r}")  # noqa: TRY004 (input, not a type)
    return Subscript(_from_ast(node.value), _from_ast(node.slice))


def _from_constant(node: Any) -> Expr:
    if node.value is not None and not isinstance(node.value, (str, int, float, bool)):
        raise ValueError(f"pyexpr: unsupported constant {node.value!r}")
    return Literal(node.value)


_AST_CONVERTERS: dict[type, Any] = {
    ast.Constant: _from_constant,
    ast.Name: lambda n: Name(n.id),
    ast.Attribute: lambda n: Attribute(_from_ast(n.value), n.attr),
    ast.Dict: _from_dict,
    ast.List: lambda n: List(tuple(_from_ast(e) for e in n.elts)),
    ast.Tuple: lambda n: Tuple(tuple(_from_ast(e) for e in n.elts)),
    ast.Call: _from_call,
    ast.Subscript: _from_subscript,
    ast.BoolOp: lambda n: BoolOp("and" if isinstance(n.op, ast.And) else "or", tuple(_from_ast(v) for v in n.values)),
    ast.UnaryOp: _from_unary,
    ast.Compare: _from_compare,
    ast.Lambda: lambda n: _from_lambda(n),
}


# --------------------------------------------------------------------------------------------
# Literals as black normalises them


def literal(value: Any) -> str:
    """A JSON scalar as black prints it: double quotes unless they cost more escapes, numbers
    with a lower-case exponent and no ``+``."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return _normalize_quotes(repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a JSON number: {value!r}")
        return _normalize_number(repr(value))
    raise TypeError(f"pyexpr: not a JSON scalar: {value!r}")


def _normalize_number(text: str) -> str:
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    text = text.lower()
    if "e" in text:
        before, after = text.split("e")
        exponent_sign = "-" if after.startswith("-") else ""
        return f"{sign}{_float_text(before)}e{exponent_sign}{after.lstrip('+-')}"
    return sign + _float_text(text)


def _float_text(text: str) -> str:
    if "." not in text:
        return text
    before, after = text.split(".")
    return f"{before or 0}.{after or 0}"


def _quote_patterns(new_quote: str, orig_quote: str) -> tuple[re.Pattern[str], ...]:
    """normalize_string_quotes' three patterns for one direction (compiled once)."""
    return (
        re.compile(rf"(([^\\]|^)(\\\\)*){new_quote}"),
        re.compile(rf"([^\\]|^)\\((?:\\\\)*){new_quote}"),
        re.compile(rf"([^\\]|^)\\((?:\\\\)*){orig_quote}"),
    )


_QUOTE_PATTERNS = {'"': _quote_patterns("'", '"'), "'": _quote_patterns('"', "'")}


def _normalize_quotes(s: str) -> str:
    """black.strings.normalize_string_quotes for a plain (unprefixed, single-line) literal
    (``repr`` of a str). Without a backslash (most strings) only the quotes decide: black
    keeps double quotes, and turns single ones into double unless the text holds one."""
    if "\\" not in s:
        return f'"{s[1:-1]}"' if s[0] == "'" and '"' not in s else s
    if s[0] == '"':
        orig_quote, new_quote = '"', "'"
    else:
        orig_quote, new_quote = "'", '"'
    unescaped_new_quote, escaped_new_quote, escaped_orig_quote = _QUOTE_PATTERNS[orig_quote]
    body = s[1:-1]
    new_body = _sub_twice(escaped_new_quote, rf"\1\2{new_quote}", body)
    if body != new_body:
        body = new_body
        s = f"{orig_quote}{body}{orig_quote}"
    new_body = _sub_twice(escaped_orig_quote, rf"\1\2{orig_quote}", new_body)
    new_body = _sub_twice(unescaped_new_quote, rf"\1\\{new_quote}", new_body)
    if new_body.count("\\") > body.count("\\"):
        return s
    if new_body.count("\\") == body.count("\\") and orig_quote == '"':
        return s
    return f"{new_quote}{new_body}{new_quote}"


def _sub_twice(regex: re.Pattern[str], replacement: str, original: str) -> str:
    return regex.sub(replacement, regex.sub(replacement, original))


# --------------------------------------------------------------------------------------------
# Leaves: the tokens black's splitter sees, with the facts about their tree position it asks

COMMA_PRIORITY = 18
LOGIC_PRIORITY = 14
COMPARATOR_PRIORITY = 10
DOT_PRIORITY = 1

OPENING = frozenset({"LPAR", "LSQB", "LBRACE"})
CLOSING = frozenset({"RPAR", "RSQB", "RBRACE"})
BRACKETS = OPENING | CLOSING
MATCHING = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_OPERATOR_TYPES = {
    "(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE",
    ",": "COMMA", ":": "COLON", "=": "EQUAL", ".": "DOT",
}  # fmt: skip
_COMPARATOR_OPS = {"==", "!=", "<", "<=", ">", ">="}


class Leaf:
    """One token. ``ws`` is the space black's ``whitespace()`` puts before it; ``parent`` says
    whether it still sits in black's tree (a leaf replaced by a copy does not, and black then
    stops treating it as a delimiter); ``trailer`` marks call and subscript brackets,
    ``arglist`` commas between call arguments, ``comp`` the keywords of a comparison; an
    invisible parenthesis knows how many leaves its atom holds (``atom_leaves``)."""

    __slots__ = (
        "arglist", "atom_leaves", "bracket_depth", "comp", "opening_bracket", "optional",
        "parent", "prefix", "trailer", "type", "value", "width", "ws",
    )  # fmt: skip

    def __init__(self, type: str, value: str, ws: str = "", **facts: Any) -> None:
        self.type = type
        self.value = value
        self.ws = ws
        self.prefix = ""
        self.parent = facts.get("parent", True)
        self.trailer = facts.get("trailer", False)
        self.arglist = facts.get("arglist", False)
        self.comp = facts.get("comp", False)
        self.optional = facts.get("optional", False)
        self.atom_leaves = facts.get("atom_leaves", 0)
        self.width = facts.get("width", 1)  # leaves black sees in it ("-5" is two)
        self.bracket_depth = 0
        self.opening_bracket: Leaf | None = None

    def copy(self) -> Leaf:
        """black's ``Leaf(old.type, old.value)`` of append_leaves: same facts, fresh state."""
        return Leaf(
            self.type, self.value, self.ws, parent=self.parent, trailer=self.trailer,
            arglist=self.arglist, comp=self.comp, optional=self.optional,
            atom_leaves=self.atom_leaves, width=self.width,
        )  # fmt: skip

    def __str__(self) -> str:
        return self.prefix + self.value

    def __repr__(self) -> str:
        return f"Leaf({self.type}, {self.value!r})"


def _split_before(leaf: Leaf, previous: Leaf | None) -> int:
    """brackets.is_split_before_delimiter, for the leaves expressions produce."""
    if leaf.type == "DOT":
        return DOT_PRIORITY if leaf.parent and (previous is None or previous.type in CLOSING) else 0
    if leaf.type == "OP" and leaf.value in _COMPARATOR_OPS:
        return COMPARATOR_PRIORITY
    if leaf.type != "NAME":
        return 0
    after_not = previous is not None and previous.type == "NAME" and previous.value == "not"
    after_is = previous is not None and previous.type == "NAME" and previous.value == "is"
    if leaf.value == "is" and leaf.comp:
        return COMPARATOR_PRIORITY
    if leaf.value == "in" and leaf.comp and leaf.parent and not after_not:
        return COMPARATOR_PRIORITY
    if leaf.value == "not" and leaf.comp and leaf.parent and not after_is:
        return COMPARATOR_PRIORITY
    if leaf.value in ("and", "or") and leaf.parent:
        return LOGIC_PRIORITY
    return 0


class CannotSplit(Exception):
    """black.linegen.CannotSplit (and CannotTransform: the splitter treats them alike here)."""


class BracketTracker:
    def __init__(self) -> None:
        self.depth = 0
        self.bracket_match: dict[tuple[int, str], Leaf] = {}
        self.delimiters: dict[int, int] = {}
        self.previous: Leaf | None = None
        self.invisible: list[Leaf] = []

    def mark(self, leaf: Leaf) -> None:
        if leaf.type == "COMMENT":
            return
        if self.depth == 0 and leaf.type in CLOSING and (self.depth, leaf.type) not in self.bracket_match:
            return
        if leaf.type in CLOSING:
            self.depth -= 1
            leaf.opening_bracket = self.bracket_match.pop((self.depth, leaf.type))
            if not leaf.value:
                self.invisible.append(leaf)
        leaf.bracket_depth = self.depth
        if self.depth == 0:
            delim = _split_before(leaf, self.previous)
            if delim and self.previous is not None:
                self.delimiters[id(self.previous)] = delim
            elif leaf.type == "COMMA":
                self.delimiters[id(leaf)] = COMMA_PRIORITY
        if leaf.type in OPENING:
            self.bracket_match[self.depth, MATCHING[leaf.type]] = leaf
            self.depth += 1
            if not leaf.value:
                self.invisible.append(leaf)
        self.previous = leaf

    def any_open_brackets(self) -> bool:
        return bool(self.bracket_match)

    def max_delimiter_priority(self, exclude: Sequence[int] | set[int] = ()) -> int:
        return max(v for k, v in self.delimiters.items() if k not in exclude)

    def delimiter_count_with_priority(self, priority: int = 0) -> int:
        if not self.delimiters:
            return 0
        priority = priority or self.max_delimiter_priority()
        return sum(1 for p in self.delimiters.values() if p == priority)


class Line:
    def __init__(self, depth: int, inside_brackets: bool = False) -> None:
        self.depth = depth
        self.leaves: list[Leaf] = []
        self.comments: dict[int, list[Leaf]] = {}
        self.bracket_tracker = BracketTracker()
        self.inside_brackets = inside_brackets
        self.should_split_rhs = False
        self.magic_trailing_comma: Leaf | None = None

    def append(self, leaf: Leaf, preformatted: bool = False, track_bracket: bool = False) -> None:
        if not (leaf.type in BRACKETS or leaf.value.strip()):
            return
        if self.leaves and not preformatted:
            leaf.prefix += leaf.ws
        if self.inside_brackets or not preformatted or track_bracket:
            self.bracket_tracker.mark(leaf)
            if self.has_magic_trailing_comma(leaf):
                self.magic_trailing_comma = leaf
        if not self.append_comment(leaf):
            self.leaves.append(leaf)

    def append_comment(self, comment: Leaf) -> bool:
        if comment.type != "COMMENT":
            return False
        if not self.leaves:
            raise CannotSplit("pyexpr: a comment without code")
        last_leaf = self.leaves[-1]
        if (
            last_leaf.type == "RPAR"
            and not last_leaf.value
            and last_leaf.parent
            and last_leaf.atom_leaves <= 3
            and len(self.leaves) >= 2
        ):
            last_leaf = self.leaves[-2]
        self.comments.setdefault(id(last_leaf), []).append(comment)
        return True

    def comments_after(self, leaf: Leaf) -> list[Leaf]:
        return self.comments.get(id(leaf), [])

    def has_magic_trailing_comma(self, closing: Leaf) -> bool:
        if not (closing.type in CLOSING and self.leaves and self.leaves[-1].type == "COMMA"):
            return False
        if closing.type == "RBRACE":
            return True
        if closing.type == "RSQB":
            return not (
                closing.parent
                and closing.trailer
                and closing.opening_bracket is not None
                and _is_one_sequence_between(closing.opening_bracket, closing, self.leaves, ("LSQB", "RSQB"))
            )
        return closing.opening_bracket is not None and not _is_one_sequence_between(
            closing.opening_bracket, closing, self.leaves
        )

    @property
    def is_chained_assignment(self) -> bool:
        return [leaf.type for leaf in self.leaves].count("EQUAL") > 1

    def clone(self) -> Line:
        line = Line(self.depth, self.inside_brackets)
        line.should_split_rhs = self.should_split_rhs
        line.magic_trailing_comma = self.magic_trailing_comma
        return line

    def enumerate_with_length(self, is_reversed: bool = False) -> Iterator[tuple[int, Leaf, int]]:
        indexed = list(enumerate(self.leaves))
        for index, leaf in reversed(indexed) if is_reversed else indexed:
            length = len(leaf.prefix) + len(leaf.value)
            for comment in self.comments_after(leaf):
                length += len(comment.value)
            yield index, leaf, length

    def __str__(self) -> str:
        if not self.leaves:
            return "\n"
        first, *rest = self.leaves
        res = f"{first.prefix}{'    ' * self.depth}{first.value}" + "".join(str(leaf) for leaf in rest)
        res += "".join(str(c) for comments in self.comments.values() for c in comments)
        return res + "\n"

    def __bool__(self) -> bool:
        return bool(self.leaves or self.comments)


def _line_str(line: Line) -> str:
    return str(line).strip("\n")


def _short_enough(line: Line, line_length: int, line_str: str = "") -> bool:
    return str_width(line_str or _line_str(line)) <= line_length


def _is_one_sequence_between(
    opening: Leaf, closing: Leaf, leaves: list[Leaf], brackets: tuple[str, str] = ("LPAR", "RPAR")
) -> bool:
    if (opening.type, closing.type) != brackets:
        return False
    depth = closing.bracket_depth + 1
    index = next((i for i, leaf in enumerate(leaves) if leaf is opening), -1)
    if index == -1:
        return False
    commas = 0
    for leaf in leaves[index + 1 :]:
        if leaf is closing:
            break
        if leaf.bracket_depth == depth and leaf.type == "COMMA":
            commas += 1
            if leaf.parent and leaf.arglist:
                commas += 1
                break
    return commas < 2


# --------------------------------------------------------------------------------------------
# black's splitter (linegen.py), for lines of these leaves


def _transform_line(line: Line, ll: int, force: bool = False) -> list[Line]:
    line_str = _line_str(line)
    if not line.should_split_rhs and not line.magic_trailing_comma and _short_enough(line, ll, line_str):
        return [line]
    transformers = [_delimiter_split, _rhs] if line.inside_brackets else [_rhs]
    for transform in transformers:
        try:
            return _run_transformer(line, transform, ll, force, line_str)
        except CannotSplit:
            continue
    return [line]


def _run_transformer(line: Line, transform: Any, ll: int, force: bool, line_str: str) -> list[Line]:
    optional_parens = [b for b in line.bracket_tracker.invisible if b.bracket_depth == 0]
    result: list[Line] = []
    for transformed in transform(line, ll, force):
        if _line_str(transformed) == line_str:
            raise CannotSplit("Line transformer returned an unchanged result")
        result.extend(_transform_line(transformed, ll, force))
    if (
        force
        or transform is not _rhs
        or not line.bracket_tracker.invisible
        or any(bracket.value for bracket in optional_parens)
        or _short_enough(result[0], ll)
        or _over_length_only_due_to_subscript_comment(result[0], ll)
        or any(not leaf.parent for leaf in line.leaves)
    ):
        return result
    line_copy = line.clone()
    _append_leaves(line_copy, line, line.leaves)
    second_opinion = _run_transformer(line_copy, transform, ll, True, line_str)
    if all(_short_enough(ln, ll) for ln in second_opinion):
        result = second_opinion
    return result


def _append_leaves(new_line: Line, old_line: Line, leaves: list[Leaf]) -> None:
    for old_leaf in leaves:
        new_leaf = old_leaf.copy()
        old_leaf.parent = False  # replaced by its copy in black's tree
        new_line.append(new_leaf)
        for comment in old_line.comments_after(old_leaf):
            new_line.append(comment, preformatted=True)


def _delimiter_split(line: Line, ll: int, force: bool) -> Iterator[Line]:
    """delimiter_split under dont_increase_indentation."""
    for split_line in _delimiter_split_lines(line):
        split_line.leaves[0].prefix = ""
        yield split_line


def _delimiter_split_lines(line: Line) -> Iterator[Line]:
    if not line.leaves:
        raise CannotSplit("Line empty")
    last_leaf = line.leaves[-1]
    bt = line.bracket_tracker
    try:
        delimiter_priority = bt.max_delimiter_priority(exclude={id(last_leaf)})
    except ValueError:
        raise CannotSplit("No delimiters found") from None
    if delimiter_priority == DOT_PRIORITY and bt.delimiter_count_with_priority(delimiter_priority) == 1:
        raise CannotSplit("Splitting a single attribute from its owner looks wrong")
    migrate = delimiter_priority == COMMA_PRIORITY  # MIGRATE_COMMENT_DELIMITERS (no strings)
    current_line = Line(line.depth, line.inside_brackets)
    for index, leaf in enumerate(line.leaves):
        current_line.append(leaf, preformatted=True)
        previous_priority = index > 0 and bt.delimiters.get(id(line.leaves[index - 1]))
        if previous_priority != delimiter_priority or migrate:
            for comment in line.comments_after(leaf):
                current_line.append(comment, preformatted=True)
        if bt.delimiters.get(id(leaf)) == delimiter_priority:
            if index + 1 < len(line.leaves) and not migrate:
                for comment in line.comments_after(line.leaves[index + 1]):
                    current_line.append(comment, preformatted=True)
            yield current_line
            current_line = Line(line.depth, line.inside_brackets)
    if current_line:
        if delimiter_priority == COMMA_PRIORITY and current_line.leaves[-1].type != "COMMA":
            current_line.append(Leaf("COMMA", ",", parent=False))
        yield current_line


@dataclass
class _RHS:
    head: Line
    body: Line
    tail: Line
    opening_bracket: Leaf
    closing_bracket: Leaf


def _rhs(line: Line, ll: int, force: bool) -> Iterator[Line]:
    """right_hand_split_with_omits."""
    first_lines: list[Line] | None = None
    prefix_lengths: dict[int, int] = {}
    length = 4 * line.depth
    for leaf in line.leaves:
        prefix_lengths[id(leaf)] = length
        length += len(leaf.prefix) + len(leaf.value)
    for omit in _generate_trailers_to_omit(line, ll):
        if omit:
            target = next((leaf for leaf in reversed(line.leaves) if leaf.type in CLOSING and id(leaf) not in omit), None)
            target_opening = target.opening_bracket if target is not None else None
            if target_opening is not None and target_opening.value and prefix_lengths.get(id(target_opening), 0) > ll:
                continue
        lines = list(_right_hand_split(line, ll, force, omit))
        if first_lines is None and not omit:
            first_lines = lines
        if _short_enough(lines[0], ll) or (omit and _over_length_only_due_to_subscript_comment(lines[0], ll)):
            yield from lines
            return
    if first_lines is not None:
        yield from first_lines
    else:
        yield from _right_hand_split(line, ll, force)


def _over_length_only_due_to_subscript_comment(line: Line, ll: int) -> bool:
    if not line.leaves:
        return False
    first, *rest = line.leaves
    text = f"{first.prefix}{'    ' * line.depth}{first.value}" + "".join(str(leaf) for leaf in rest)
    if str_width(text) > ll:
        return False
    for leaf_id, comments in line.comments.items():
        if not comments:
            continue
        leaf = next((lf for lf in line.leaves if id(lf) == leaf_id), None)
        if leaf is None or leaf.type != "LSQB":
            return False
    return True


def _right_hand_split(line: Line, ll: int, force: bool, omit: set[int] | frozenset[int] = frozenset()) -> Iterator[Line]:
    rhs = _first_right_hand_split(line, omit)
    yield from _maybe_split_omitting_optional_parens(rhs, line, ll, force, omit)


def _first_right_hand_split(line: Line, omit: set[int] | frozenset[int] = frozenset()) -> _RHS:
    tail_leaves: list[Leaf] = []
    body_leaves: list[Leaf] = []
    head_leaves: list[Leaf] = []
    current = tail_leaves
    opening_bracket: Leaf | None = None
    closing_bracket: Leaf | None = None
    for leaf in reversed(line.leaves):
        if current is body_leaves and leaf is opening_bracket:
            current = head_leaves if body_leaves else tail_leaves
        current.append(leaf)
        if current is tail_leaves and leaf.type in CLOSING and id(leaf) not in omit:
            opening_bracket = leaf.opening_bracket
            closing_bracket = leaf
            current = body_leaves
    if not (opening_bracket and closing_bracket and head_leaves):
        raise CannotSplit("No brackets found")
    tail_leaves.reverse()
    body_leaves.reverse()
    head_leaves.reverse()
    head = _bracket_split_build_line(head_leaves, line, opening_bracket, "head")
    body = _bracket_split_build_line(body_leaves, line, opening_bracket, "body")
    tail = _bracket_split_build_line(tail_leaves, line, opening_bracket, "tail")
    _bracket_split_succeeded_or_raise(head, body, tail)
    return _RHS(head, body, tail, opening_bracket, closing_bracket)


def _maybe_split_omitting_optional_parens(
    rhs: _RHS, line: Line, ll: int, force: bool, omit: set[int] | frozenset[int] = frozenset()
) -> Iterator[Line]:
    if (
        not force
        and rhs.opening_bracket.type == "LPAR"
        and not rhs.opening_bracket.value
        and rhs.closing_bracket.type == "RPAR"
        and not rhs.closing_bracket.value
        and _can_omit_invisible_parens(rhs, ll)
    ):
        omit = {id(rhs.closing_bracket), *omit}
        try:
            rhs_oop = _first_right_hand_split(line, omit)
            if _prefer_split_rhs_oop_over_rhs(rhs_oop, rhs, ll):
                yield from _maybe_split_omitting_optional_parens(rhs_oop, line, ll, force, omit)
                return
        except CannotSplit as error:
            if line.is_chained_assignment:
                pass
            elif not _can_be_split(rhs.body) and not _short_enough(rhs.body, ll):
                raise CannotSplit("Splitting failed, body is still too long and can't be split.") from error
    _ensure_visible(rhs.opening_bracket)
    _ensure_visible(rhs.closing_bracket)
    for result in (rhs.head, rhs.body, rhs.tail):
        if result:
            yield result


def _ensure_visible(leaf: Leaf) -> None:
    if leaf.type == "LPAR":
        leaf.value = "("
    elif leaf.type == "RPAR":
        leaf.value = ")"


def _prefer_split_rhs_oop_over_rhs(rhs_oop: _RHS, rhs: _RHS, ll: int) -> bool:
    if not (len(rhs.head.leaves) >= 2 and rhs.head.leaves[-2].type == "EQUAL"):
        return True
    if not any(leaf.type in BRACKETS for leaf in rhs.head.leaves[:-1]):
        return True
    if not _short_enough(rhs.head, ll - 1):
        return True
    if rhs.head.magic_trailing_comma is not None:
        return True
    rhs_head_equal_count = [leaf.type for leaf in rhs.head.leaves].count("EQUAL")
    rhs_oop_head_equal_count = [leaf.type for leaf in rhs_oop.head.leaves].count("EQUAL")
    if rhs_head_equal_count > 1 and rhs_head_equal_count > rhs_oop_head_equal_count:
        return False
    has_closing_bracket_after_assign = False
    for leaf in reversed(rhs_oop.head.leaves):
        if leaf.type == "EQUAL":
            break
        if leaf.type in CLOSING:
            has_closing_bracket_after_assign = True
            break
    return has_closing_bracket_after_assign or (
        any(leaf.type == "EQUAL" for leaf in rhs_oop.head.leaves) and _short_enough(rhs_oop.head, ll)
    )


def _can_omit_invisible_parens(rhs: _RHS, ll: int) -> bool:
    line = rhs.body
    if rhs.head.comments.get(id(rhs.opening_bracket)):
        return False
    bt = line.bracket_tracker
    if not bt.delimiters:
        return True
    max_priority = bt.max_delimiter_priority()
    if bt.delimiter_count_with_priority(max_priority) > 1:
        return False
    if max_priority == DOT_PRIORITY:
        return True
    first, second = line.leaves[0], line.leaves[1]
    if first.type in OPENING and second.type not in CLOSING and _can_omit_opening_paren(line, first, ll):
        return True
    penultimate, last = line.leaves[-2], line.leaves[-1]
    if (
        last.type == "RPAR"
        or last.type == "RBRACE"
        or (last.type == "RSQB" and last.parent and not last.trailer)
    ):
        if penultimate.type in OPENING:
            return False
        if _can_omit_closing_paren(line, last, ll):
            return True
    return False


def _can_omit_opening_paren(line: Line, first: Leaf, ll: int) -> bool:
    remainder = False
    length = 4 * line.depth
    index = -1
    for index, leaf, leaf_length in line.enumerate_with_length():
        if leaf.type in CLOSING and leaf.opening_bracket is first:
            remainder = True
        if remainder:
            length += leaf_length
            if length > ll:
                break
            if leaf.type in OPENING:
                remainder = False
    else:
        if len(line.leaves) == index + 1:
            return True
    return False


def _can_omit_closing_paren(line: Line, last: Leaf, ll: int) -> bool:
    length = 4 * line.depth
    seen_other_brackets = False
    for _index, leaf, leaf_length in line.enumerate_with_length():
        length += leaf_length
        if leaf is last.opening_bracket:
            if seen_other_brackets or length <= ll:
                return True
        elif leaf.type in OPENING:
            seen_other_brackets = True
    return False


def _can_be_split(line: Line) -> bool:
    leaves = line.leaves
    if len(leaves) < 2:
        return False
    if leaves[0].type == "STRING" and leaves[1].type == "DOT":
        call_count = 0
        dot_count = 0
        following = leaves[-1]  # black never moves it on: kept as is
        for leaf in leaves[-2::-1]:
            if leaf.type in OPENING:
                if following.type not in CLOSING:
                    return False
                call_count += 1
            elif leaf.type == "DOT":
                dot_count += 1
            elif leaf.type == "NAME":
                if not (following.type == "DOT" or following.type in OPENING):
                    return False
            elif leaf.type not in CLOSING:
                return False
            if dot_count > 1 and call_count > 1:
                return False
    return True


def _bracket_split_build_line(leaves: list[Leaf], original: Line, opening_bracket: Leaf, component: str) -> Line:
    result = Line(original.depth)
    if component == "body":
        result.inside_brackets = True
        result.depth += 1
    tracked = _leaves_inside_matching_brackets(leaves) if component == "head" else set()
    for leaf in leaves:
        result.append(leaf, preformatted=True, track_bracket=id(leaf) in tracked)
        for comment in original.comments_after(leaf):
            result.append(comment, preformatted=True)
    if component == "body" and _should_split_line(result, opening_bracket):
        result.should_split_rhs = True
    return result


def _should_split_line(line: Line, opening_bracket: Leaf) -> bool:
    if not (opening_bracket.parent and opening_bracket.value in "[{("):
        return False
    exclude = set()
    trailing_comma = False
    try:
        last_leaf = line.leaves[-1]
        if last_leaf.type == "COMMA":
            trailing_comma = True
            exclude.add(id(last_leaf))
        max_priority = line.bracket_tracker.max_delimiter_priority(exclude=exclude)
    except (IndexError, ValueError):
        return False
    return max_priority == COMMA_PRIORITY and (trailing_comma or not opening_bracket.trailer)


def _leaves_inside_matching_brackets(leaves: list[Leaf]) -> set[int]:
    start = next((i for i, leaf in enumerate(leaves) if leaf.type in OPENING), None)
    if start is None:
        return set()
    ids: set[int] = set()
    stack: list[tuple[str, list[int]]] = []
    for leaf in leaves[start:]:
        if leaf.type in OPENING:
            stack.append((MATCHING[leaf.type], [id(leaf)]))
        elif leaf.type in CLOSING:
            if stack and leaf.type == stack[-1][0]:
                _, level = stack.pop()
                level.append(id(leaf))
                ids.update(level)
            else:
                break
        elif stack:
            stack[-1][1].append(id(leaf))
    return ids


def _bracket_split_succeeded_or_raise(head: Line, body: Line, tail: Line) -> None:
    tail_len = len(str(tail).strip())
    if not body:
        if tail_len == 0:
            raise CannotSplit("Splitting brackets produced the same line")
        if tail_len < 3:
            raise CannotSplit(f"Splitting brackets on an empty body to save {tail_len} characters is not worth it")


def _generate_trailers_to_omit(line: Line, ll: int) -> Iterator[set[int]]:
    omit: set[int] = set()
    if not line.magic_trailing_comma:
        yield omit
    length = 4 * line.depth
    opening_bracket: Leaf | None = None
    closing_bracket: Leaf | None = None
    inner_brackets: set[int] = set()
    for index, leaf, leaf_length in line.enumerate_with_length(is_reversed=True):
        length += leaf_length
        if length > ll:
            break
        if leaf_length > len(leaf.value) + len(leaf.prefix):  # an inline comment
            break
        prev = line.leaves[index - 1] if index > 0 else None
        if opening_bracket:
            if leaf is opening_bracket:
                opening_bracket = None
            elif leaf.type in CLOSING:
                if _trailing_comma_before(prev, leaf, line):
                    break
                inner_brackets.add(id(leaf))
        elif leaf.type in CLOSING:
            if prev and prev.type in OPENING:
                inner_brackets.add(id(leaf))
                continue
            if closing_bracket:
                omit.add(id(closing_bracket))
                omit.update(inner_brackets)
                inner_brackets.clear()
                yield omit
            if _trailing_comma_before(prev, leaf, line):
                break
            if leaf.value:
                opening_bracket = leaf.opening_bracket
                closing_bracket = leaf


def _trailing_comma_before(prev: Leaf | None, leaf: Leaf, line: Line) -> bool:
    return bool(
        prev
        and prev.type == "COMMA"
        and leaf.opening_bracket is not None
        and not _is_one_sequence_between(leaf.opening_bracket, leaf, line.leaves)
    )


# --------------------------------------------------------------------------------------------
# Expressions as leaves

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def _leaves(expr: Expr, ws: str) -> list[Leaf]:
    """The tokens of ``expr``; ``ws`` is the space before its first one."""
    emit = _EMITTERS.get(type(expr))
    if emit is None:
        raise TypeError(f"pyexpr: not an expression node: {expr!r}")
    return emit(expr, ws)


def _literal_leaves(expr: Literal, ws: str) -> list[Leaf]:
    text = literal(expr.value)
    if isinstance(expr.value, str):
        return [Leaf("STRING", text, ws)]
    if expr.value is None or isinstance(expr.value, bool):
        return [Leaf("NAME", text, ws)]
    return [Leaf("NUMBER", text, ws, width=2 if text.startswith("-") else 1)]


def _name_leaves(expr: Name, ws: str) -> list[Leaf]:
    if not _NAME.match(expr.text):
        raise ValueError(f"pyexpr: not a (dotted) name: {expr.text!r}")
    first, *rest = expr.text.split(".")
    leaves = [Leaf("NAME", first, ws)]
    for part in rest:
        leaves += [Leaf("DOT", "."), Leaf("NAME", part)]
    return leaves


def _attribute_leaves(expr: Attribute, ws: str) -> list[Leaf]:
    return _primary(expr.value, ws, attribute=True) + [Leaf("DOT", "."), Leaf("NAME", expr.attr)]


def _sequence(items: Sequence[Any], emit: Any, arglist: bool = False) -> list[Leaf]:
    leaves: list[Leaf] = []
    for index, item in enumerate(items):
        if index:
            leaves.append(Leaf("COMMA", ",", arglist=arglist))
        leaves += emit(item, " " if index else "")
    return leaves


def _bracketed(opening: str, inner: list[Leaf], closing: str, ws: str, trailer: bool = False) -> list[Leaf]:
    return [
        Leaf(_OPERATOR_TYPES[opening], opening, ws, trailer=trailer),
        *inner,
        Leaf(_OPERATOR_TYPES[closing], closing, trailer=trailer),
    ]


def _dict_leaves(expr: Dict, ws: str) -> list[Leaf]:
    def item(pair: tuple[Expr, Expr], item_ws: str) -> list[Leaf]:
        key, value = pair
        return _leaves(key, item_ws) + [Leaf("COLON", ":")] + _element(value, " ")

    return _bracketed("{", _sequence(expr.items, item), "}", ws)


def _list_leaves(expr: List, ws: str) -> list[Leaf]:
    return _bracketed("[", _sequence(expr.items, _element), "]", ws)


def _tuple_leaves(expr: Tuple, ws: str) -> list[Leaf]:
    """A parenthesized tuple (a bare one is only a statement's whole expression)."""
    inner = _sequence(expr.items, _element)
    if len(expr.items) == 1:
        inner.append(Leaf("COMMA", ","))
    return _bracketed("(", inner, ")", ws)


def _call_leaves(expr: Call, ws: str) -> list[Leaf]:
    def argument(arg: Any, arg_ws: str) -> list[Leaf]:
        if isinstance(arg, tuple) and arg[0] == "**":  # **kwargs: a name
            return [Leaf("DOUBLESTAR", "**", arg_ws)] + _leaves(arg[1], "")
        if isinstance(arg, tuple):
            name, value = arg
            return [Leaf("NAME", name, arg_ws), Leaf("EQUAL", "=")] + _element(value, "")
        return _element(arg, arg_ws)

    arguments = _sequence([*expr.args, *expr.kwargs], argument, arglist=True)
    return _primary(expr.func, ws) + _bracketed("(", arguments, ")", "", trailer=True)


def _subscript_leaves(expr: Subscript, ws: str) -> list[Leaf]:
    return _primary(expr.value, ws) + _bracketed("[", _element(expr.key, ""), "]", "", trailer=True)


def _boolop_leaves(expr: BoolOp, ws: str) -> list[Leaf]:
    if expr.op not in ("and", "or") or len(expr.operands) < 2:
        raise ValueError(f"pyexpr: a BoolOp needs 'and'/'or' and two operands: {expr!r}")
    leaves: list[Leaf] = []
    for index, operand in enumerate(expr.operands):
        if index:
            leaves.append(Leaf("NAME", expr.op, " "))
        leaves += _operand(operand, " " if index else ws, (BoolOp, Lambda))
    return leaves


def _not_leaves(expr: Not, ws: str) -> list[Leaf]:
    return [Leaf("NAME", "not", ws)] + _operand(expr.operand, " ", (BoolOp, Lambda))


def _compare_leaves(expr: Compare, ws: str) -> list[Leaf]:
    if expr.op not in _COMPARE_OPS:
        raise ValueError(f"pyexpr: unknown comparison {expr.op!r}")
    words = expr.op.split()
    if words[0] in ("in", "not", "is"):
        operator = [Leaf("NAME", word, " ", comp=True) for word in words]
    else:
        operator = [Leaf("OP", expr.op, " ")]
    nested = (BoolOp, Not, Compare, Lambda)
    return _operand(expr.left, ws, nested) + operator + _operand(expr.right, " ", nested)


def _lambda_leaves(expr: Lambda, ws: str) -> list[Leaf]:
    return [Leaf("NAME", "lambda", ws), Leaf("COLON", ":")] + _operand(expr.body, " ", (Lambda,))


def _primary(expr: Expr, ws: str, attribute: bool = False) -> list[Leaf]:
    """What a call, subscript or attribute applies to: parenthesized when it is an operation,
    a negative number, or a number before a dot (``(0).real``)."""
    number = isinstance(expr, Literal) and type(expr.value) in (int, float)
    if number and (attribute or literal(expr.value).startswith("-")):  # type: ignore[union-attr]
        return _bracketed("(", _leaves(expr, ""), ")", ws)
    return _operand(expr, ws, (BoolOp, Not, Compare, Lambda))


def _element(expr: Expr, ws: str) -> list[Leaf]:
    """An item of a collection or an argument: a tuple there needs its parentheses."""
    return _operand(expr, ws, (Tuple,))


def _operand(expr: Expr, ws: str, needs_parens: tuple[type, ...]) -> list[Leaf]:
    if isinstance(expr, Tuple):
        return _tuple_leaves(expr, ws)
    if isinstance(expr, needs_parens):
        return _bracketed("(", _leaves(expr, ""), ")", ws)
    return _leaves(expr, ws)


_EMITTERS: dict[type, Any] = {
    Literal: _literal_leaves,
    Name: _name_leaves,
    Attribute: _attribute_leaves,
    Dict: _dict_leaves,
    List: _list_leaves,
    Tuple: _tuple_leaves,
    Call: _call_leaves,
    Subscript: _subscript_leaves,
    BoolOp: _boolop_leaves,
    Not: _not_leaves,
    Compare: _compare_leaves,
    Lambda: _lambda_leaves,
}


def expression(expr: Expr | str) -> str:
    """The one-line form of an expression (a tuple with its parentheses)."""
    return "".join(str(_fresh(leaf)) for leaf in _operand(_as_expr(expr), "", ()))


def one_line(prefix: str, expr: Expr | str, suffix: str = "", *, indent: int = 4) -> str:
    """The statement of :func:`statement` on one line, however long (what black reads)."""
    leaves, comment = _statement_leaves(prefix, _as_expr(expr), suffix)
    text = " " * indent + "".join(str(_fresh(leaf)) for leaf in leaves)
    return text + (f"  {comment.value}" if comment is not None else "")


def _fresh(leaf: Leaf) -> Leaf:
    leaf.prefix = leaf.ws
    return leaf


def _as_expr(expr: Expr | str) -> Expr:
    return parse(expr) if isinstance(expr, str) else expr


# --------------------------------------------------------------------------------------------
# Statements

_KEYWORDS = ("return", "if", "elif", "while", "assert", "with")  # black wraps what follows in invisible parens
_BARE = {"raise": "NAME", "@": "AT"}  # statements black splits like an expression statement


def statement(
    prefix: str,
    expr: Expr | str,
    suffix: str = "",
    *,
    indent: int = 4,
    line_length: int = DEFAULT_LINE_LENGTH,
    flat: dict[int, str] | None = None,
) -> str:
    """``prefix + expr + suffix`` at ``indent`` spaces, in the lines black would print.

    ``prefix`` is one of ``""`` (an expression statement), ``"return "``, ``"if "``,
    ``"elif "``, ``"while "``, ``"assert "``, ``"raise "``, ``"@"`` (a decorator) or an assignment target with its ``" = "`` (``"payload = "``,
    ``"args: dict[str, Any] = "``; the target itself as black prints it). ``suffix`` is
    ``""``, ``":"`` (after ``if``), a comment (``"  # OutputPath"``) or both (``":  # ..."``).
    ``expr`` is a tree or Python source text (see :func:`parse`). ``flat``: the one-line
    text of the tree's nodes by ``id`` (as :func:`expression` prints them), when the caller
    printed them already. The result has every line indented and no final newline."""
    if indent % 4:
        raise ValueError("pyexpr: indent must be a multiple of 4")
    tree = _as_expr(expr)
    if prefix.startswith("for ") and not isinstance(tree, (List, Dict, Call)):
        # without brackets in the iterable black splits at the target's invisible parentheses
        raise ValueError(f"pyexpr: a for loop over {type(tree).__name__} is not laid out")
    short = _data_statement(prefix, tree, suffix, indent, line_length, flat)
    if short is None:
        short = _call_statement(prefix, tree, suffix, indent, line_length)
    if short is not None:
        return short
    leaves, comment = _statement_leaves(prefix, tree, suffix)
    lines = _format_once([*leaves, *([comment] if comment else [])], indent // 4, line_length)
    text = _text(lines)
    if len(lines) == 1:  # unchanged: black stops after its first pass
        return text.rstrip("\n")
    for _ in range(8):  # black's second pass: its own trailing commas are magic then
        lines = _format_once(_reparse(lines), indent // 4, line_length)
        again = _text(lines)
        if again == text:
            return text.rstrip("\n")
        text = again
    raise RuntimeError(f"pyexpr: no stable layout for {text!r}")  # pragma: no cover


_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]* = ")


def _data_statement(
    prefix: str, tree: Expr, suffix: str, indent: int, line_length: int, flat: dict[int, str] | None = None
) -> str | None:
    """The layout of a statement whose expression is JSON data (``x = {...}``, ``return
    [...]``, ``assert outcome.calls == {...}``), without the line splitter: black explodes a
    collection that does not fit one element a line, with trailing commas, and each element
    that does not fit the same way in turn. These are most of the generated tests' lines,
    and the general splitter is slow on them (tests/test_pyexpr.py checks both agree)."""
    if suffix:
        return None
    if prefix == "assert " and isinstance(tree, Compare) and tree.op == "==" and _plain(tree.left):
        head, data = f"assert {expression(tree.left)} == ", tree.right
    elif prefix == "return " or _TARGET.fullmatch(prefix):
        head, data = prefix, tree
    else:
        return None
    if not (isinstance(data, (Dict, List)) and data.items and _is_data(data)):
        return None
    if flat is None or id(data) not in flat:
        flat = {}
        _flat(data, flat)
    return "\n".join(_nested(data, indent, head, "", line_length, flat))


def _plain(expr: Expr) -> bool:
    """A name or an attribute of one (``outcome.calls``)."""
    while isinstance(expr, Attribute):
        expr = expr.value
    return isinstance(expr, Name) and "." not in expr.text


def _is_data(expr: Expr) -> bool:
    """JSON data, where a plain name (``ANY``) may stand for a value."""
    if isinstance(expr, Literal) or isinstance(expr, Name) and "." not in expr.text:
        return True
    if isinstance(expr, Dict):
        return all(isinstance(k, Literal) and isinstance(k.value, str) and _is_data(v) for k, v in expr.items)
    return isinstance(expr, List) and all(_is_data(item) for item in expr.items)


_CONDITIONS = ("if ", "elif ", "while ")  # with ":" after the expression


def _call_statement(prefix: str, tree: Expr, suffix: str, indent: int, line_length: int) -> str | None:
    """The layout of a statement whose expression is a call of a name (``outcome = run(...)``,
    ``return rt.call_service(...)``, ``if rt.present(...):``, ``raise rt.unsupported(...)``,
    ``rt.map_items(...)``), or a dict or a list that holds more than data (``return {"a":
    rt.get(...)}``), alone or after a scalar in a returned pair (``return "Next", rt.f(...)``:
    black then splits at the same bracket), without the line splitter, as
    :func:`_data_statement` lays out data: the call's arguments stay together on the line
    after its bracket when they fit there, else go one a line with trailing commas; dicts and
    lists explode one element a line, as a lambda's call does (see :func:`_nested`). These
    are most of the statements left to the splitter, and it is slow on them. None when some
    part that does not fit its line is of another shape: the splitter lays that out
    (tests/test_pyexpr.py checks both agree)."""
    if suffix == ":" and prefix in _CONDITIONS:
        pass
    elif suffix or not (prefix in ("", "return ", "raise ") or _TARGET.fullmatch(prefix)):
        return None
    if prefix == "return " and isinstance(tree, Tuple) and len(tree.items) == 2 and isinstance(tree.items[0], Literal):
        prefix, tree = f"{prefix}{literal(tree.items[0].value)}, ", tree.items[1]
    if _is_call_of_name(tree) and (tree.args or tree.kwargs):
        opening = _flat(tree.func, {}) + "("
    elif isinstance(tree, (Dict, List)) and tree.items:
        opening = "{" if isinstance(tree, Dict) else "["
    else:
        return None
    if str_width(" " * indent + prefix + opening) > line_length:
        return None  # black may then split at the parentheses it adds (its "second opinion")
    flat: dict[int, str] = {}
    _flat(tree, flat)
    try:
        return "\n".join(_nested(tree, indent, prefix, suffix, line_length, flat))
    except _NotNested:
        return None


def _flat(expr: Expr, flat: dict[int, str]) -> str:
    """The one-line text of an expression (as :func:`expression` prints it), kept for each
    dict, list, call and scalar in it."""
    if isinstance(expr, Dict):
        text = "{" + ", ".join(f"{_flat(k, flat)}: {_flat(v, flat)}" for k, v in expr.items) + "}"
    elif isinstance(expr, List):
        text = "[" + ", ".join(_flat(item, flat) for item in expr.items) + "]"
    elif _is_call_of_name(expr):
        arguments = [_flat(arg, flat) for arg in expr.args]
        arguments += [("**" if key == "**" else f"{key}=") + _flat(value, flat) for key, value in expr.kwargs]
        text = f"{_flat(expr.func, flat)}({', '.join(arguments)})"
    elif isinstance(expr, Lambda) and not isinstance(expr.body, Lambda):
        text = "lambda: " + _flat(expr.body, flat)
    elif isinstance(expr, Subscript) and _is_trailed(expr.value):
        text = f"{_flat(expr.value, flat)}[{_flat(expr.key, flat)}]"
    elif isinstance(expr, Name):
        if not _NAME.match(expr.text):
            raise ValueError(f"pyexpr: not a (dotted) name: {expr.text!r}")
        text = expr.text
    elif isinstance(expr, Literal):
        text = literal(expr.value)
    else:
        text = expression(expr)
    flat[id(expr)] = text
    return text


def _is_call_of_name(expr: Expr) -> TypeGuard[Call]:
    """A call of a name or of an attribute of one (``run(...)``, ``rt.call_service(...)``)."""
    if not isinstance(expr, Call):
        return False
    func = expr.func
    while isinstance(func, Attribute):
        func = func.value
    return isinstance(func, Name)


def _is_trailed(expr: Expr) -> bool:
    """What a subscript applies to, written without parentheses: a name, an attribute of one,
    a call of one or a subscript of these (``data["a"]``, ``rt.item(data, 0)``)."""
    while isinstance(expr, Subscript):
        expr = expr.value
    return _is_call_of_name(expr) or isinstance(_plain_base(expr), Name)


def _plain_base(expr: Expr) -> Expr:
    while isinstance(expr, Attribute):
        expr = expr.value
    return expr


class _NotNested(Exception):
    """A part of the statement :func:`_nested` does not lay out."""


def _nested(expr: Expr, indent: int, head: str, tail: str, line_length: int, flat: dict[int, str]) -> list[str]:
    """``head + expr + tail`` at ``indent`` as black's splitter lays it out when it is a dict,
    a list or a call of a name: on one line where it fits (black leaves such a line as it is);
    else its bracket ends the first line, and what is inside goes on the lines after it, one
    level deeper: one element a line, each with a comma, when there are commas to split at
    (a call's arguments first all on one line when they fit there: a call's bracket is a
    trailer, which black splits at its commas only when they do not), a lone element on its
    line without one, each split in turn where it does not fit. A scalar, a name or an empty
    bracket pair too long for its line stays as it is (nothing to split at). The first line
    may be too long: with no bracket before the one it opens, black has no other to split
    at. Raises :class:`_NotNested` for any other expression that does not fit."""
    margin = " " * indent
    one = margin + head + flat[id(expr)] + tail
    if str_width(one) <= line_length or isinstance(expr, (Literal, Name)):
        return [one]
    if isinstance(expr, Lambda) and _is_call_of_name(expr.body):  # no delimiter in "lambda: "
        return _nested(expr.body, indent, head + "lambda: ", tail, line_length, flat)
    if isinstance(expr, Subscript) and _is_trailed(expr.value):
        # black splits at the last bracket first, and keeps that when the line before it fits
        first = margin + head + flat[id(expr.value)] + "["
        if str_width(first) > line_length:
            raise _NotNested
        return [first, *_nested(expr.key, indent + 4, "", "", line_length, flat), margin + "]" + tail]
    if isinstance(expr, Dict) and all(isinstance(key, Literal) for key, _ in expr.items):
        opening, closing = "{", "}"
        parts = [(flat[id(key)] + ": ", value) for key, value in expr.items]
    elif isinstance(expr, List):
        opening, closing = "[", "]"
        parts = [("", item) for item in expr.items]
    elif _is_call_of_name(expr):
        opening, closing = flat[id(expr.func)] + "(", ")"
        parts = [("", arg) for arg in expr.args]
        parts += [("**" if key == "**" else f"{key}=", value) for key, value in expr.kwargs]
    else:
        raise _NotNested
    if not parts:
        return [one]
    first = margin + head + opening
    inner = margin + "    "
    if isinstance(expr, Call) and len(parts) > 1:
        together = inner + ", ".join(label + flat[id(value)] for label, value in parts)
        if str_width(together) <= line_length:
            return [first, together, margin + closing + tail]
    comma = "," if len(parts) > 1 else ""
    lines = [first]
    for label, value in parts:
        lines += _nested(value, indent + 4, label, comma, line_length, flat)
    lines.append(margin + closing + tail)
    return lines


def _text(lines: list[Line]) -> str:
    return "".join(str(line) for line in lines)


def _format_once(leaves: list[Leaf], depth: int, ll: int) -> list[Line]:
    """black's LineGenerator and transform_line for one statement: ``leaves`` in source
    order, a comment right after the leaf it follows on its physical line."""
    line = Line(depth)
    for leaf in leaves:
        line.append(leaf)
    return _transform_line(line, ll)


def _statement_leaves(prefix: str, expr: Expr, suffix: str) -> tuple[list[Leaf], Leaf | None]:
    head, wrapped = _prefix_leaves(prefix)
    bare_tuple_allowed = bool(head) and (head[-1].type == "EQUAL" or head[0].value == "return")
    if isinstance(expr, Tuple) and len(expr.items) > 1 and bare_tuple_allowed:
        body = _sequence(expr.items, _element)  # return a, b / x = a, b
    elif isinstance(expr, Tuple):
        body = _tuple_leaves(expr, " " if head else "")  # black keeps a tuple's parentheses
        wrapped = False
    else:
        body = _leaves(expr, " " if head and head[0].type != "AT" else "")
    if wrapped:
        body[0].ws = ""
        body = [
            Leaf("LPAR", "", " " if head else "", optional=True),
            *body,
            Leaf("RPAR", "", optional=True, atom_leaves=2 + sum(leaf.width for leaf in body)),
        ]
    leaves = head + body
    code, _, comment_text = suffix.partition("#")
    if re.match(r"\s*(type|fmt):", comment_text):
        raise ValueError(f"pyexpr: black treats type and fmt comments apart: {suffix!r}")
    if code.strip() not in ("", ":"):
        raise ValueError(f"pyexpr: unsupported suffix {suffix!r}")
    if code.strip() == ":":
        leaves.append(Leaf("COLON", ":"))
    comment = Leaf("COMMENT", _comment("#" + comment_text), "  ") if "#" in suffix else None
    return leaves, comment


def _comment(text: str) -> str:
    """black's comment normalisation: a space after ``#``, no trailing spaces."""
    text = text.rstrip()
    if len(text) > 1 and text[1] not in " !:#'":
        text = "# " + text[1:]
    return text


_PREFIX_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|(?P<number>\d[\d.]*)|(?P<op>[()\[\]{},:=.]))")


def _prefix_leaves(prefix: str) -> tuple[list[Leaf], bool]:
    """The leaves before the expression, and whether black wraps the expression in invisible
    parentheses (after ``return``, ``if``, ``elif``, ``while`` and ``=``)."""
    words = prefix.split()
    if not words:
        return [], False
    if words[0] in _KEYWORDS and len(words) == 1:
        return [Leaf("NAME", words[0])], True
    if prefix in ("raise ", "@"):
        return [Leaf(_BARE[prefix.strip()], prefix.strip())], False
    if words[0] == "for" and words[-1] == "in" and len(words) == 3 and _NAME.match(words[1]):
        # black wraps the target, not the iterable: that splits like an expression statement
        # (an iterable in brackets; see statement)
        return [Leaf("NAME", "for"), Leaf("NAME", words[1], " "), Leaf("NAME", "in", " ")], False
    if not prefix.rstrip().endswith("="):
        raise ValueError(f"pyexpr: unsupported statement prefix {prefix!r}")
    leaves: list[Leaf] = []
    position = 0
    text = prefix.rstrip()
    stack: list[Leaf] = []
    while position < len(text):
        match = _PREFIX_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"pyexpr: unsupported statement prefix {prefix!r}")
        group = match.lastgroup or "op"
        ws = " " if match.start(group) > position and leaves else ""
        value = match.group(group)
        kind = {"name": "NAME", "string": "STRING", "number": "NUMBER"}.get(group) or _OPERATOR_TYPES[value]
        after_primary = bool(leaves) and (leaves[-1].type in ("NAME", "STRING") or leaves[-1].type in CLOSING) and not ws
        leaf = Leaf(kind, value, ws)
        if kind in OPENING:
            leaf.trailer = after_primary
            stack.append(leaf)
        elif kind in CLOSING:
            leaf.trailer = stack.pop().trailer if stack else False
        elif kind == "COMMA":
            leaf.arglist = bool(stack) and stack[-1].type == "LPAR" and stack[-1].trailer
        leaves.append(leaf)
        position = match.end()
    if leaves[-1].type != "EQUAL" or stack:
        raise ValueError(f"pyexpr: unsupported statement prefix {prefix!r}")
    return leaves, True


def _reparse(lines: list[Line]) -> list[Leaf]:
    """The leaves black reads back from printed ``lines``: every leaf in its tree again, the
    trailing commas it added are real ones, an optional paren it made visible is optional
    again unless it holds a tuple (then black keeps it as written), and each comment follows
    the last leaf of its line."""
    leaves: list[Leaf] = []
    for line in lines:
        leaves += [leaf.copy() for leaf in line.leaves]
        leaves += [comment.copy() for comments in line.comments.values() for comment in comments]
    stack: list[int] = []
    for index, leaf in enumerate(leaves):
        leaf.parent = True
        if leaf.type in OPENING:
            stack.append(index)
        elif leaf.type in CLOSING:
            start = stack.pop()
            if leaf.optional:
                _reparse_optional(leaves[start], leaf, leaves[start + 1 : index])
        elif leaf.type == "COMMA" and stack:
            opener = leaves[stack[-1]]
            leaf.arglist = opener.type == "LPAR" and opener.trailer
    return leaves


def _reparse_optional(opening: Leaf, closing: Leaf, inside: list[Leaf]) -> None:
    depth = 0
    has_comma = False
    for leaf in inside:
        if leaf.type in OPENING:
            depth += 1
        elif leaf.type in CLOSING:
            depth -= 1
        elif leaf.type == "COMMA" and depth == 0:
            has_comma = True
    if has_comma and opening.value:
        opening.optional = closing.optional = False
    else:
        opening.value = closing.value = ""
