"""Rendering: the IR workflow → Python source text, through Jinja templates, then black.

Values from the definition reach the templates only through filters that turn them into
Python literals (``lit``, ``pystr``) or safe comments (``comment``); templates never paste
raw definition text into code. Identifiers come from ``lower`` (sanitised, collision-free).
"""

from __future__ import annotations

import ast
import gc
import io
import json
import math
import re
import tokenize
from functools import cache
from typing import Any

import black
import jinja2
import yaml

from . import ir
from ._resources import resource_dir, template_cache
from .runtime import asl_jsonpath
from .structure import routed


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
        if _is_simple(value):
            return f"rt.JsonPath({value.text!r})"
        return f"rt.JsonPath({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Intrinsic):
        return f"rt.Intrinsic({value.text!r}, {_spec(value.spec)})"
    if isinstance(value, ir.Jsonata):
        return lit(value.value)
    if isinstance(value, ir.Setting):
        typed = ", typed=True" if value.typed else ""
        return f"rt.setting({value.text!r}, {lit(dict(value.env))}{typed})"
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


def expected(value: Any) -> str:
    """``lit`` for an expected value of the generated tests: a part no test can know (a UUID,
    the time, a task token: ``testgen.ANYTHING``) is ``ANY`` (``unittest.mock.ANY``)."""
    from .testgen import ANYTHING, Answers

    if value is ANYTHING:
        return "ANY"
    if isinstance(value, Answers):
        return "asl_testing.answers(" + ", ".join(expected(v) for v in value.values) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(expected(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {expected(v)}" for k, v in value.items()) + "}"
    return lit(value)


def _is_simple(p: ir.Path) -> bool:
    """Can generated code write this path as its text? Yes when the support module's small
    parser (``asl_jsonpath.parse``: a root, then .name, ['name'] and [index] steps) reads
    the text exactly as the translator's grammar does."""
    try:
        return bool(asl_jsonpath.parse(p.text) == p.spec)
    except ValueError:
        return False


def jsonpath(value: ir.Path | None) -> str:
    """A path argument of a data-flow helper: the path's text as a string literal when it is
    simple (``"$.order.id"``), else ``rt.JsonPath(text, spec)`` with the translator's parse;
    ``None`` (a null InputPath, OutputPath or ResultPath) stays ``None``."""
    if value is None:
        return "None"
    if not isinstance(value, ir.Path):
        raise TypeError(f"not a path: {type(value).__name__}")
    return lit(value.text) if _is_simple(value) else lit(value)


def is_default(value: Any) -> bool:
    """Is a field absent? A path field that is ``"$"`` counts as absent: InputPath, OutputPath,
    ResultPath and ItemsPath all default to ``"$"``, which passes the whole value on."""
    if isinstance(value, ir.Path):
        return value.text.strip() == "$" and value.spec == ("$", ())
    return value is ir.DEFAULT


def payload(value: Any, data: str, field: str = "Parameters") -> str:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign, ErrorPath/CausePath)
    as a Python expression: static parts are literals; each dynamic leaf (a ``"key.$"`` field)
    reads the variable ``data`` with ``rt.get`` (a path) or ``rt.intrinsic`` (an intrinsic call),
    which name the field when it fails, as Step Functions does. ``data`` is a name the
    template chooses, never text from the definition."""
    if isinstance(value, ir.Path):
        return f"rt.get(run, state, {data}, {jsonpath(value)}, {lit(field)})"
    if isinstance(value, ir.Intrinsic):
        spec = _spec(_intrinsic_paths_as_text(value.spec))
        return f"rt.intrinsic(run, state, {data}, {lit(value.text)}, {spec}, {lit(field)})"
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            dynamic = isinstance(item, (ir.Path, ir.Intrinsic))
            items.append(f"{lit(str(key))}: {payload(item, data, f'{key}.$' if dynamic else str(key))}")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(payload(item, data, field) for item in value) + "]"
    return lit(value)


def _intrinsic_paths_as_text(spec: Any) -> Any:
    """An intrinsic call's parse with each simple path argument written as text
    (``["path", "$.a"]`` instead of ``["path", ["$", [["key", "a"]]]]``), when the support
    module's parser reads that text back to the same path."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return spec
    if spec[0] == "path" and len(spec) == 2:
        text = _path_as_text(spec[1])
        return ["path", text] if text is not None else spec
    return [_intrinsic_paths_as_text(item) for item in spec]


def _path_as_text(spec: Any) -> str | None:
    """A simple path's text, written back from its parse (``None`` when it is not simple)."""
    root, steps = spec
    text = root
    for step in steps:
        kind, arg = step[0], step[1]
        if kind == "index" and isinstance(arg, int):
            text += f"[{arg}]"
        elif kind == "key" and isinstance(arg, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
            text += f".{arg}"
        elif kind == "key" and isinstance(arg, str) and "'" not in arg and not arg.endswith("\\"):
            text += f"['{arg}']"
        else:
            return None
    try:
        same = asl_jsonpath.parse(text) == _tuples(spec)
    except ValueError:
        return None
    return text if same else None


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def is_static(value: Any) -> bool:
    """Does a payload template hold no dynamic leaf?"""
    if isinstance(value, (ir.Path, ir.Intrinsic)):
        return False
    if isinstance(value, dict):
        return all(is_static(v) for v in value.values())
    if isinstance(value, list):
        return all(is_static(v) for v in value)
    return True


def catcher(value: ir.Catcher, jsonata: bool) -> str:
    """A ``Catch`` entry as an ``rt.Catcher(...)`` expression."""
    args = [lit(list(value.error_equals)), lit(value.next)]
    if not is_default(value.result_path):
        args.append(f"result_path={jsonpath(value.result_path)}")  # type: ignore[arg-type]
    if value.assign is not ir.DEFAULT:
        if jsonata or is_static(value.assign):
            args.append(f"assign={lit(value.assign)}")
        else:  # its "key.$" fields read the error output
            args.append(f"assign=lambda error_output: {payload(value.assign, 'error_output', 'Assign')}")
    if value.output is not ir.DEFAULT:
        args.append(f"output={lit(value.output)}")
    if jsonata:
        args.append("jsonata=True")
    return f"rt.Catcher({', '.join(args)})"


def reads_clock(value: Any) -> bool:
    """Does a JSONata template call $now() or $millis()?"""
    if isinstance(value, ir.Jsonata):
        value = value.value
    if isinstance(value, ir.Setting):
        value = value.text
    if isinstance(value, str):
        return bool(_CLOCK.search(value)) and value.lstrip().startswith("{%")
    if isinstance(value, dict):
        return any(reads_clock(v) for v in value.values())
    if isinstance(value, list):
        return any(reads_clock(v) for v in value)
    return False


_CLOCK = re.compile(r"\$(now|millis)\s*\(")


def _spec(spec: Any) -> str:
    """A parsed path (nested tuples of scalars) as a compact literal: nested lists, which
    black keeps on one line (one-element tuples would need trailing commas)."""
    if isinstance(spec, (tuple, list)):
        return "[" + ", ".join(_spec(v) for v in spec) + "]"
    return lit(spec)


def named_plainly(ident: str, name: str) -> bool:
    """Is ``ident`` the plain spelling of the state name ``name`` (lower case, runs of other
    characters as "_")? Then a call needs no comment to say which state it runs."""
    return ident == re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_").lower()


def pystr(value: Any) -> str:
    return repr(str(value))


def docstring(text: Any) -> str:
    """Text safe inside a triple-quoted docstring."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in str(text))
    text = cleaned.replace("\\", "\\\\").strip()
    body = text.rstrip('"')  # quotes at the end would run into the closing """: escaped
    return body.replace('"""', '\\"\\"\\"') + '\\"' * (len(text) - len(body))


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


def fence(text: Any) -> str:
    """A Markdown code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", str(text))), default=0)
    return "`" * max(3, longest + 1)


def guarded(body: str, catchers: list) -> str:
    """Wrap a rendered block (indented by 8) in ``try:`` when the state has catchers,
    otherwise dedent it to the function body."""
    if catchers:
        return "    try:\n" + body.strip("\n") + "\n"
    return "\n".join(line[4:] if line.startswith("        ") else line for line in body.strip("\n").split("\n")) + "\n"


def template_environment(*, autoescape: bool) -> jinja2.Environment:
    """A Jinja environment over templates/ (undefined names are errors); ``autoescape`` for
    HTML pages, where text from definitions must never be markup. Compiled templates are kept
    in the user's cache folder: compiling them is most of a small ``convert``'s start-up."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        bytecode_cache=template_cache(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )


@cache
def _environment() -> jinja2.Environment:
    env = template_environment(autoescape=False)
    env.filters.update(
        lit=lit, expected=expected, pystr=pystr, comment=comment, docstring=docstring, guarded=guarded, catcher=catcher,
        jsonpath=jsonpath, payload=payload, yaml=to_yaml, md=md, code=code, fence=fence,
        json=lambda value: json.dumps(value, default=str, ensure_ascii=False, sort_keys=True),
    )
    env.tests["default_value"] = is_default
    env.tests["jsonata"] = lambda value: isinstance(value, ir.Jsonata)
    env.tests["reading_clock"] = reads_clock
    env.tests["routed"] = routed
    env.tests["named_plainly"] = named_plainly
    env.filters["static_next"] = lambda state: getattr(state, "next", None)
    return env


def render_template(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


def format_python(source: str) -> str:
    """The formatting stage: black, with its defaults and a fixed line length.

    Python's cyclic garbage collector is paused while black runs: black builds a tree of
    parent-linked nodes for the whole file, and the collector's repeated walks over it cost a
    third of black's time on a 10,000-line handler, growing with the file. The cycles are
    left to the collector's next rounds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return black.format_str(source, mode=black.Mode(line_length=100))
    finally:
        if enabled:
            gc.enable()


def drop_blank_lines(source: str) -> str:
    """Templates leave blank lines where blocks were; black puts back the ones PEP 8 wants.
    The module docstring and the imports (up to the support module's) keep theirs."""
    head, sep, body = source.partition("\nimport asl_runtime as rt\n")
    return head + sep + "\n".join(line for line in body.split("\n") if line.strip()) + "\n"


def tidy_handler(source: str) -> str:
    """Two clean-ups of the rendered handler, from one parse (line edits on the source):

    * ``output = result`` followed by ``return output`` (or ``return "Next", output``) becomes
      ``return result``: the templates name every stage of a state's data flow, and a stage that
      only passes its input on reads better without its own line. Chains (``result = data``,
      ``output = result``, ``return output``) fold into one return.
    * State functions start with ``state = "<name>"`` and most with ``data = <the input after
      InputPath>``; those lines go where nothing in the function reads the name (a payload with
      no ``"key.$"`` field does not read ``data``). An unread ``data = rt.select_input(...)``
      keeps its call, for the error a missing InputPath raises.

    The edits never touch the same line, and folding keeps every name a function reads (a
    folded return reads the copy's source instead), so both are decided on the same tree.
    """
    tree = ast.parse(source)
    lines = source.split("\n")
    dropped: set[int] = set()
    for top in tree.body:
        read: set[str] = set()
        for node in ast.walk(top):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    read.add(node.id)
                continue
            for body in (getattr(node, f, None) for f in ("body", "orelse", "finalbody")):
                if isinstance(body, list):
                    _fold_copies(body, lines, dropped)
        if isinstance(top, ast.FunctionDef):
            for name in ("data", "state"):
                if name not in read:
                    _drop_assignments(top, name, lines, dropped)
    return "\n".join(line for i, line in enumerate(lines, start=1) if i not in dropped)


def _fold_copies(body: list[ast.stmt], lines: list[str], dropped: set[int]) -> None:
    for k, ret in enumerate(body):
        if not isinstance(ret, ast.Return) or ret.lineno != ret.end_lineno:
            continue
        expected, j = ret.lineno - 1, k - 1
        while j >= 0 and _is_copy(body[j]) and body[j].lineno == expected:
            copy = body[j]
            assert isinstance(copy, ast.Assign) and isinstance(copy.value, ast.Name)
            target = copy.targets[0]
            assert isinstance(target, ast.Name)
            lines[ret.lineno - 1] = _rename(lines[ret.lineno - 1], target.id, copy.value.id)
            dropped.add(copy.lineno)
            expected, j = expected - 1, j - 1


def _drop_assignments(function: ast.FunctionDef, name: str, lines: list[str], dropped: set[int]) -> None:
    """Drop the one-line ``name = ...`` statements of the function's body (keeping a call's call)."""
    prefix = f"{name} = "
    for stmt in function.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == name
            and stmt.lineno == stmt.end_lineno
        ):
            if not isinstance(stmt.value, ast.Call):
                dropped.add(stmt.lineno)
            elif lines[stmt.lineno - 1].lstrip().startswith(prefix):
                lines[stmt.lineno - 1] = lines[stmt.lineno - 1].replace(prefix, "", 1)


def _is_copy(stmt: ast.stmt) -> bool:
    """A one-line ``name = other_name``."""
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Name)
        and stmt.lineno == stmt.end_lineno
    )


def _rename(line: str, name: str, value: str) -> str:
    """``line`` with the identifier ``name`` (not inside strings or comments) replaced by ``value``."""
    out, pos = [], 0
    for token in tokenize.generate_tokens(io.StringIO(line).readline):
        if token.type == tokenize.NAME and token.string == name:
            start, end = token.start[1], token.end[1]
            out.append(line[pos:start] + value)
            pos = end
    return "".join(out) + line[pos:]


def render_tests(workflow: ir.Workflow, recorded: list | tuple = ()) -> str:
    """``test_handler.py``: stubs and a test per terminal path (the plan: ``testgen``), and one
    per recorded execution (``recorded``: ``recorded.RecordedCase``s, ``convert --history``)."""
    from .testgen import plan, settings

    values = settings(workflow)
    named = [variable for variable, value in values.items() if value == variable]
    typed = {variable: value for variable, value in values.items() if value != variable}
    return format_python(
        render_template(
            "test_handler.py.jinja", workflow=workflow, plan=plan(workflow), settings=values,
            settings_named=named, typed_settings=typed, recorded=recorded,
        )
    )


def render_handler(workflow: ir.Workflow) -> str:
    source = drop_blank_lines(render_template("handler.py.jinja", workflow=workflow))
    return format_python(tidy_handler(source))
