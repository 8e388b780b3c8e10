"""Rendering: the IR workflow → Python source text, through Jinja templates, then black.

Values from the definition reach the templates only through filters that turn them into
Python literals (``lit``, ``pystr``) or safe comments (``comment``); templates never paste
raw definition text into code. Identifiers come from ``lower`` (sanitised, collision-free).
"""

from __future__ import annotations

import ast
import math
import re
from functools import cache
from typing import Any

import black
import jinja2
import yaml

from . import ir
from ._resources import resource_dir


def lit(value: Any) -> str:
    """A Python expression for an IR value: JSON data, paths, retriers, catchers."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a JSON number: {value!r}")
        return repr(value)
    if isinstance(value, ir.Path):
        return f"rt.path({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Intrinsic):
        return f"rt.intrinsic({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Jsonata):
        return lit(value.value)
    if isinstance(value, ir.Retrier):
        args = [lit(list(value.error_equals))]
        defaults = ir.Retrier(())
        for name in ("interval_seconds", "max_attempts", "backoff_rate", "max_delay_seconds", "jitter"):
            if getattr(value, name) != getattr(defaults, name):
                args.append(f"{name}={lit(getattr(value, name))}")
        return f"rt.Retrier({', '.join(args)})"
    if isinstance(value, ir.Catcher):
        return catcher(value, jsonata=False)
    if isinstance(value, tuple):
        return "(" + "".join(lit(v) + ", " for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__}")


def catcher(value: ir.Catcher, jsonata: bool) -> str:
    """A ``Catch`` entry as an ``rt.Catcher(...)`` expression."""
    args = [lit(list(value.error_equals)), lit(value.next)]
    if value.result_path is not ir.DEFAULT:
        args.append(f"result_path={lit(value.result_path)}")
    if value.assign is not ir.DEFAULT:
        args.append(f"assign={lit(value.assign)}")
    if value.output is not ir.DEFAULT:
        args.append(f"output={lit(value.output)}")
    if jsonata:
        args.append("jsonata=True")
    return f"rt.Catcher({', '.join(args)})"


def _reads_clock(value: Any) -> bool:
    """Does a JSONata template call $now() or $millis()?"""
    if isinstance(value, ir.Jsonata):
        value = value.value
    if isinstance(value, str):
        return bool(_CLOCK.search(value)) and value.lstrip().startswith("{%")
    if isinstance(value, dict):
        return any(_reads_clock(v) for v in value.values())
    if isinstance(value, list):
        return any(_reads_clock(v) for v in value)
    return False


_CLOCK = re.compile(r"\$(now|millis)\s*\(")


def _spec(spec: Any) -> str:
    """A parsed path (nested tuples of scalars) as a compact literal: nested lists, which
    black keeps on one line (one-element tuples would need trailing commas)."""
    if isinstance(spec, (tuple, list)):
        return "[" + ", ".join(_spec(v) for v in spec) + "]"
    return lit(spec)


def pystr(value: Any) -> str:
    return repr(str(value))


def docstring(text: Any) -> str:
    """Text safe inside a triple-quoted docstring."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in str(text))
    return cleaned.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()


def comment(text: Any) -> str:
    """Text as Python comment lines: every line starts with '# ', control characters escaped."""
    lines = str(text).splitlines() or [""]
    safe = []
    for line in lines:
        cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line)
        safe.append(("# " + cleaned).rstrip())
    return "\n".join(safe)


class _Dumper(yaml.SafeDumper):
    """Block style, and no aliases for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(value: Any) -> str:
    """YAML text for data: every string quoted as YAML needs it (a ``yaml`` template filter)."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=False, width=4096)


def md(text: Any) -> str:
    """Text safe on one Markdown line or table cell: whitespace collapsed, control characters,
    pipes, backticks and HTML brackets escaped."""
    cleaned = " ".join(str(text).split())
    cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cleaned)
    for ch in ("\\", "|", "`", "*", "_", "[", "]", "<", ">"):
        cleaned = cleaned.replace(ch, "\\" + ch)
    return cleaned


def code(text: Any) -> str:
    """Text as a Markdown code span: backticks become quotes, pipes are escaped for tables."""
    cleaned = " ".join(str(text).split()).replace("`", "'")
    cleaned = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cleaned)
    return "`" + cleaned.replace("|", "\\|") + "`"


def guarded(body: str, catchers: list) -> str:
    """Wrap a rendered block (indented by 8) in ``try:`` when the state has catchers,
    otherwise dedent it to the function body."""
    if catchers:
        return "    try:\n" + body.strip("\n") + "\n"
    return "\n".join(line[4:] if line.startswith("        ") else line for line in body.strip("\n").split("\n")) + "\n"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        lit=lit, pystr=pystr, comment=comment, docstring=docstring, guarded=guarded, catcher=catcher,
        yaml=to_yaml, md=md, code=code,
    )
    env.tests["default_value"] = lambda value: value is ir.DEFAULT
    env.tests["jsonata"] = lambda value: isinstance(value, ir.Jsonata)
    env.tests["reading_clock"] = _reads_clock
    return env


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


def format_python(source: str) -> str:
    """The formatting stage: black, with its defaults and a fixed line length."""
    return black.format_str(source, mode=black.Mode(line_length=100))


def drop_blank_lines(source: str) -> str:
    """Templates leave blank lines where blocks were; black puts back the ones PEP 8 wants.
    The module docstring and the imports (up to the support module's) keep theirs."""
    head, sep, body = source.partition("\nimport asl_runtime as rt\n")
    return head + sep + "\n".join(line for line in body.split("\n") if line.strip()) + "\n"


def drop_unused_state_names(source: str) -> str:
    """State functions start with ``state = "<name>"``; drop that line where nothing reads it."""
    tree = ast.parse(source)
    unused = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.body:
            continue
        first = node.body[0]
        assigns_state = (
            isinstance(first, ast.Assign)
            and len(first.targets) == 1
            and isinstance(first.targets[0], ast.Name)
            and first.targets[0].id == "state"
        )
        if assigns_state and not any(
            isinstance(n, ast.Name) and n.id == "state" and isinstance(n.ctx, ast.Load) for n in ast.walk(node)
        ):
            unused.add(first.lineno)
    lines = source.split("\n")
    return "\n".join(line for i, line in enumerate(lines, start=1) if i not in unused)


def render_tests(workflow: ir.Workflow) -> str:
    """``test_handler.py``: stubs and a test per terminal path (the plan: ``testgen``)."""
    from .testgen import plan

    return format_python(render_template("test_handler.py.jinja", workflow=workflow, plan=plan(workflow)))


def render_handler(workflow: ir.Workflow) -> str:
    source = drop_blank_lines(render_template("handler.py.jinja", workflow=workflow))
    return format_python(drop_unused_state_names(source))
