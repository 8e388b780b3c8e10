"""Writing ``test_handler.py``: the plan through the test template, its expected values written
with ``ANY`` for the parts no test can know and ``asl_testing.answers`` for the answers of a
stub called in turn.

Data flows one way: the renderer's tools (the template environment, black, ``Code``) are
imported from ``render``, which knows nothing of the plan."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from asl2durable.lower import ir

from asl2durable.render import pyexpr, render
from asl2durable.render.render import Code, lit
from asl2durable.render.testgen.env_settings import settings
from asl2durable.render.testgen.model import ANYTHING, Answers
from asl2durable.render.testgen.planning import plan


def expected(value: Any) -> str:
    """``lit`` for an expected value of the generated tests: a part no test can know (a UUID,
    the time, a task token: ``ANYTHING``) is ``ANY`` (``unittest.mock.ANY``)."""
    if value is ANYTHING:
        return "ANY"
    if isinstance(value, Answers):
        return "asl_testing.answers(" + ", ".join(expected(v) for v in value.values) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(expected(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {expected(v)}" for k, v in value.items()) + "}"
    return lit(value)


def expected_code(value: Any) -> str:
    """``expected(value)``, as a :class:`render.Code` when ``value`` is JSON data (with ``ANY``
    and ``asl_testing.answers``), whose tree is the one ``pyexpr.parse`` reads from the text."""
    flat: dict[int, str] = {}
    text, tree = _expected_parts(value, flat)
    if tree is None:
        return text
    code = Code(text)
    code.tree, code.flat = tree, flat
    return code


def _expected_parts(value: Any, flat: dict[int, str]) -> tuple[str, pyexpr.Expr | None]:
    """``expected(value)`` and its tree (None when some part is not JSON data); ``flat``
    gets the text of each node of the tree."""
    tree: pyexpr.Expr | None
    if value is None or isinstance(value, (bool, int, float, str)):  # (most of the parts)
        text, tree = lit(value), pyexpr.Literal(value)
        flat[id(tree)] = text
        return text, tree
    if value is ANYTHING:
        text, tree = "ANY", pyexpr.Name("ANY")
    elif isinstance(value, (Answers, list)):
        parts = [_expected_parts(v, flat) for v in (value.values if isinstance(value, Answers) else value)]
        inner = ", ".join(t for t, _ in parts)
        items = tuple(node for _, node in parts if node is not None)
        if isinstance(value, Answers):
            text = f"asl_testing.answers({inner})"
            answers = pyexpr.Attribute(pyexpr.Name("asl_testing"), "answers")
            tree = pyexpr.Call(answers, items) if len(items) == len(parts) else None
        else:
            text, tree = f"[{inner}]", pyexpr.List(items) if len(items) == len(parts) else None
    elif isinstance(value, dict):
        keys = [pyexpr.Literal(str(k)) for k in value]
        for key in keys:
            flat[id(key)] = lit(key.value)
        parts = [_expected_parts(v, flat) for v in value.values()]
        text = "{" + ", ".join(f"{flat[id(key)]}: {t}" for key, (t, _) in zip(keys, parts)) + "}"
        pairs = tuple((key, node) for key, (_, node) in zip(keys, parts) if node is not None)
        tree = pyexpr.Dict(pairs) if len(pairs) == len(parts) else None
    else:
        text = lit(value)
        json_scalar = value is None or isinstance(value, (bool, int, float, str))
        tree = pyexpr.Literal(value) if json_scalar else None
    if tree is not None:
        flat[id(tree)] = text
    return text, tree


@cache
def _environment() -> jinja2.Environment:
    """The generated files' template environment with the ``expected`` filter, which writes the
    plan's values (an overlay: the handler's templates never see the plan)."""
    env = render.environment().overlay()
    env.filters = {**env.filters, "expected": expected_code}
    return env


def tests_source(workflow: ir.Workflow, recorded: list | tuple = ()) -> str:
    """``test_handler.py`` as the template writes it (already in black's layout)."""
    values = settings(workflow)
    named = [variable for variable, value in values.items() if value == variable]
    typed = {variable: value for variable, value in values.items() if value != variable}
    return _environment().get_template("test_handler.py.jinja").render(
        workflow=workflow, plan=plan(workflow, values), settings=values,
        settings_named=named, typed_settings=typed, recorded=recorded,
    )


def render_tests(workflow: ir.Workflow, recorded: list | tuple = ()) -> str:
    """``test_handler.py``: stubs and a test per terminal path (the plan), and one per recorded
    execution (``recorded``: ``recorded.RecordedCase``s, ``convert --history``)."""
    return render.format_python(tests_source(workflow, recorded))
