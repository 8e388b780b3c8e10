"""Tests for the HTML report's Python highlighting: the text is kept, escaped, and marked."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from asl2durable.report.highlight import python_lines

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))


@pytest.mark.parametrize(
    ("source", "marked"),
    [
        ("return None", [("kw", "return"), ("kw", "None")]),
        ("x = 'a<b>&'  # c <i>", [("str", "&#x27;a&lt;b&gt;&amp;&#x27;"), ("com", "# c &lt;i&gt;")]),
        ("@rt.step\ndef f(): pass", [("dec", "rt"), ("kw", "def"), ("def", "f"), ("kw", "pass")]),
        ("class A: x = 1.5", [("kw", "class"), ("def", "A"), ("num", "1.5")]),
    ],
)
def test_marks(source: str, marked: list[tuple[str, str]]) -> None:
    found = re.findall(r'<span class="(\w+)">(.*?)</span>', "\n".join(python_lines(source)))
    assert found == marked


def test_multiline_strings_are_marked_on_each_line() -> None:
    lines = python_lines('s = """one\n<two>\nthree"""\n')
    assert lines == [
        's = <span class="str">&quot;&quot;&quot;one</span>',
        '<span class="str">&lt;two&gt;</span>',
        '<span class="str">three&quot;&quot;&quot;</span>',
    ]


def test_text_that_does_not_tokenize_is_escaped() -> None:
    assert python_lines('x = "<open\n') == ["x = &quot;&lt;open"]


@pytest.mark.parametrize("handler", sorted(GOLDEN.glob("*.handler.py")), ids=lambda p: p.name)
def test_generated_handlers_keep_their_text(handler: Path) -> None:
    source = handler.read_text(encoding="utf-8")
    assert [plain(line) for line in python_lines(source)] == source.split("\n")[:-1]
