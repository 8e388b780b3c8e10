"""Functions of a support module (``asl2durable/runtime/``) without the module's heavy imports.

The compiler calls a few pure helpers of the runtime: the test plan asks ``asl_runtime`` how a
Choice compares (``compare``) and which ``ErrorEquals`` catch an error (``error_matches``), and
``asl_testing`` what stub key a function name has (``function_key``). Importing either imports
the durable SDK and boto3 with it, which cost more than the rest of a ``convert``. So :func:`subset` compiles
from the module's own source only the statements those functions need: their definitions, the
module-level names they read (recursively) and the standard-library imports those use. The
runtime stays the one place where each rule is written, and the compiler runs that very code.

A function that needs a name bound by any other import (the SDK, another support module) is
not taken apart: :class:`NotSeparable` is raised and the caller imports the whole module. The
compiled subset is kept in the cache folder, keyed by the module's text (reading a module of
4,000 lines costs 50 ms; loading the kept code costs well under one).
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Iterable, Iterator
from functools import cache

from asl2durable import _resources
from asl2durable._resources import RUNTIME_DIR


class NotSeparable(Exception):
    """A function needs a name that only a non-standard-library import binds."""


@cache
def subset(module: str, names: tuple[str, ...]) -> types.ModuleType:
    """A module holding ``names`` of the support module ``module`` (e.g. ``"asl_runtime"``)
    and what they need from it, compiled from its source; raises NotSeparable."""
    path = RUNTIME_DIR / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    code = _resources.cached_code(f"subset-{module}", [text, *names], lambda: _compile(text, str(path), names))
    if code is None:
        raise NotSeparable(f"{module}: {', '.join(names)}")
    # a module of its own name, as dataclasses and pickle look a class's module up
    out = types.ModuleType(f"{__name__}.{module}.{'.'.join(names)}", f"{', '.join(names)} of {module}")
    out.__file__ = str(path)
    sys.modules[out.__name__] = out
    try:
        exec(code, out.__dict__)  # noqa: S102 - the package's own runtime source, compiled above
    except BaseException:
        del sys.modules[out.__name__]
        raise
    return out


def _compile(text: str, filename: str, names: Iterable[str]) -> types.CodeType | None:
    """The code of the statements of ``text`` that ``names`` need (None: not separable).
    Their line numbers are kept, so a traceback shows the runtime's own lines."""
    body = ast.parse(text, filename).body
    lazy_annotations = any(_is_future_annotations(s) for s in body)
    bound = [_bound(s) for s in body]
    at_import = [set() if isinstance(s, _IMPORTS) else _read_at_definition(s, lazy_annotations) for s in body]
    reads = [run | _read_when_called(s) for s, run in zip(body, at_import, strict=True)]
    ours = {name for s, its in zip(body, bound, strict=True) if not isinstance(s, _IMPORTS) for name in its}
    data = ours - {s.name for s in body if isinstance(s, _DEFINITIONS)}
    uses: dict[str, set[str]] = {}  # a name of the module's own -> the names of its own it reads
    for its, read in zip(bound, reads, strict=True):
        for name in its & ours:
            uses.setdefault(name, set()).update(read & ours)
    # what each statement may change as the module is imported: the data it names
    # (``TABLE["x"] = ...``) and what the functions it calls may (``@register("x")``)
    changes = [
        (run & data) | _reach(_called_at_definition(s) & ours, uses)
        for s, run in zip(body, at_import, strict=True)
    ]
    wanted, taken = set(names), set()
    changed = True
    while changed:
        changed = False
        for i, statement in enumerate(body):
            if i in taken or not (bound[i] & wanted or changes[i] & wanted):
                continue
            if not all(_standard(node) for node in _walk_module_level(statement) if isinstance(node, _IMPORTS)):
                return None
            taken.add(i)
            wanted |= reads[i]
            changed = True
    if not set(names) <= {name for i in taken for name in bound[i]}:
        return None
    kept = [s for i, s in enumerate(body) if i in taken or _is_future_annotations(s)]
    return compile(ast.Module(body=kept, type_ignores=[]), filename, "exec", dont_inherit=True)


def _reach(start: set[str], uses: dict[str, set[str]]) -> set[str]:
    """``start``, the names of the module's own they read, those these read, and so on: what
    calling ``start`` may change. What an imported function or decorator is called on
    (``re.compile``, ``@dataclass``) it does not change in this module."""
    out, todo = set(start), list(start)
    while todo:
        for name in uses.get(todo.pop(), ()):
            if name not in out:
                out.add(name)
                todo.append(name)
    return out


_IMPORTS = (ast.Import, ast.ImportFrom)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _bound(statement: ast.stmt) -> set[str]:
    """The module-level names a statement binds."""
    if isinstance(statement, _DEFINITIONS):
        return {statement.name}
    out = set()
    for node in _walk_module_level(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, _DEFINITIONS):
            out.add(node.name)
        elif isinstance(node, _IMPORTS):
            out |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return out


def _read_at_definition(statement: ast.stmt, lazy_annotations: bool) -> set[str]:
    """The names a statement reads as the module runs it (a function's body: not then)."""
    return {
        node.id
        for node in _walk_module_level(statement, lazy_annotations)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def _called_at_definition(statement: ast.stmt) -> set[str]:
    """The names a statement calls as the module runs it: in calls, decorators and base classes
    (a subclass may register itself with its base)."""
    out = set()
    for node in _walk_module_level(statement):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            called = [*node.decorator_list, *(node.bases if isinstance(node, ast.ClassDef) else [])]
            out |= {part.id for part in called if isinstance(part, ast.Name)}
        elif isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, ast.Attribute):  # Registry.add(...): what Registry's methods read
                func = func.value
            if isinstance(func, ast.Name):
                out.add(func.id)
    return out


def _read_when_called(statement: ast.stmt) -> set[str]:
    """The names the functions in a statement read that they do not bind themselves."""
    out = set()
    for function in ast.walk(statement):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            nodes = [node for part in _as_list(function.body) for node in ast.walk(part)]
            declared = {name for node in nodes if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
            local = {a.arg for a in _arguments(function.args)} | {
                node.id for node in nodes if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
            }
            out |= {
                node.id for node in nodes if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            } - (local - declared)
    return out


def _as_list(body: ast.AST | list[ast.stmt]) -> list[ast.AST]:
    return list(body) if isinstance(body, list) else [body]


def _walk_module_level(node: ast.AST, lazy_annotations: bool = True) -> Iterator[ast.AST]:
    """The nodes Python runs as it runs ``node`` at module level: a function's decorators and
    defaults, not its body; a class's body; annotations only when they are evaluated."""
    yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts: list[ast.AST] = [*node.decorator_list, *node.args.defaults, *filter(None, node.args.kw_defaults)]
        if not lazy_annotations:
            parts += [a.annotation for a in _arguments(node.args) if a.annotation] + ([node.returns] if node.returns else [])
    elif isinstance(node, ast.Lambda):
        parts = [*node.args.defaults, *filter(None, node.args.kw_defaults)]
    elif isinstance(node, ast.AnnAssign) and lazy_annotations:
        parts = [node.target, *([node.value] if node.value else [])]
    else:
        parts = list(ast.iter_child_nodes(node))
    for part in parts:
        yield from _walk_module_level(part, lazy_annotations)


def _arguments(args: ast.arguments) -> list[ast.arg]:
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, [args.vararg, args.kwarg])]


def _standard(statement: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return statement.level == 0 and _is_standard(statement.module or "")
    return all(_is_standard(alias.name) for alias in statement.names)


def _is_standard(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def _is_future_annotations(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
