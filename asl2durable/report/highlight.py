"""Syntax highlighting of generated Python for the HTML report, with the standard library's
tokenizer: each source line becomes escaped HTML with ``<span class="…">`` around keywords,
strings, numbers, comments, decorators and the names being defined.

The classes: ``kw`` keyword, ``str`` string, ``num`` number, ``com`` comment, ``dec``
decorator, ``def`` the name after ``def``/``class``. Text that does not tokenize (it never
should: the handler is black-formatted) comes out escaped and unhighlighted.
"""

from __future__ import annotations

import io
import keyword
import token
import tokenize
from html import escape

from markupsafe import Markup

__all__ = ["python_lines"]

_STRING_TOKENS = {token.STRING} | {
    getattr(token, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(token, name)
}


def python_lines(source: str) -> list[Markup]:
    """``source`` as one HTML fragment per line (no trailing newline in any of them)."""
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    try:
        marks = _marks(source)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return [Markup(escape(line)) for line in lines]
    # Per line: (start column, end column, class), in order and not overlapping.
    per_line: list[list[tuple[int, int, str]]] = [[] for _ in lines]
    for (row, col), (end_row, end_col), css in marks:
        for number in range(row, end_row + 1):
            if number - 1 >= len(lines):
                break
            start = col if number == row else 0
            end = end_col if number == end_row else len(lines[number - 1])
            if end > start:
                per_line[number - 1].append((start, end, css))
    return [_line_html(line, spans) for line, spans in zip(lines, per_line)]


def _marks(source: str) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """The highlighted tokens: (start, end, class), positions as tokenize gives them."""
    marks = []
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        css = None
        if tok.type in _STRING_TOKENS:
            css = "str"
        elif tok.type == token.NUMBER:
            css = "num"
        elif tok.type == tokenize.COMMENT:
            css = "com"
        elif tok.type == token.NAME:
            if previous is not None and previous.type == token.OP and previous.string == "@":
                css = "dec"
            elif previous is not None and previous.string in ("def", "class"):
                css = "def"
            elif keyword.iskeyword(tok.string):
                css = "kw"
        if css:
            marks.append((tok.start, tok.end, css))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            previous = tok
    return marks


def _line_html(line: str, spans: list[tuple[int, int, str]]) -> Markup:
    parts = []
    at = 0
    for start, end, css in spans:
        parts.append(escape(line[at:start]))
        parts.append(f'<span class="{css}">{escape(line[start:end])}</span>')
        at = end
    parts.append(escape(line[at:]))
    return Markup("".join(parts))
