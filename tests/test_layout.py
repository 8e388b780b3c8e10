"""The package's dependency rules (README, Layout), read from the source's import statements:
every ``import`` counts, also one inside a function (a lazy import still makes a dependency,
and hid the cycles the rules forbid)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asl2durable"
RUNTIME = "asl2durable.runtime"
SDK_TESTING = "aws_durable_execution_sdk_python_testing"

# The stages, first to last (README, Layout): a module imports only from its own stage and the
# stages before it. The package's __init__ (its public names, imported lazily) stands outside.
STAGES = (
    ("asl2durable.diagnostics", "asl2durable._resources"),  # used by every stage
    ("asl2durable.runtime",),  # the support modules, copied next to each handler
    ("asl2durable.expressions",),
    ("asl2durable.load",),
    ("asl2durable.validate",),
    ("asl2durable.lower",),
    ("asl2durable.render",),
    ("asl2durable.translate", "asl2durable.writer"),  # the pipeline for one definition, and its folder
    ("asl2durable.run",),
    ("asl2durable.report",),
    ("asl2durable.batch",),
    ("asl2durable.cli",),
)
# Which of the package's modules may import the SDK's testing package (its local runner): the
# local runs, and the generated tests' harness among the support modules.
MAY_RUN_LOCALLY = ("asl2durable.run", "asl2durable.runtime.asl_testing")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.Import | ast.ImportFrom, package: str) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for each module ``node`` imports."""
    modules = _modules()

    def known(name: str) -> str:
        # the support modules import each other by plain name, as they do next to a handler
        if name.startswith("asl_") and f"{RUNTIME}.{name}" in modules:
            return f"{RUNTIME}.{name}"
        return name

    if isinstance(node, ast.Import):
        return [(known(alias.name), []) for alias in node.names]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = known(node.module or "")
    found = []
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        found.append((submodule, []) if submodule in modules else (source, [alias.name]))
    return found


@cache
def _imports() -> dict[str, list[tuple[str, list[str]]]]:
    """Each module of the package: what it imports (modules, with the names taken)."""
    graph = {}
    for module, path in _modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += _resolve(module, node, package)
        graph[module] = found
    return graph


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    return {
        module: {target for target, _ in found if target in modules and target != module}
        for module, found in _imports().items()
    }


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(edges[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_graph_is_read():
    edges = _edges()
    assert {"asl2durable.translate", "asl2durable.cli", f"{RUNTIME}.asl_runtime"} <= set(edges)
    assert "asl2durable.render.render" in edges["asl2durable.translate"]
    assert f"{RUNTIME}.asl_runtime" in edges[f"{RUNTIME}.asl_map"]  # a plain-name import


def test_no_import_cycles():
    assert _cycles(_edges()) == []


def test_the_support_modules_import_nothing_else_of_the_package():
    """They are copied next to each handler, where the package is not installed."""
    outside = {
        (module, target)
        for module, targets in _edges().items()
        if _within(module, RUNTIME)
        for target in targets
        if not _within(target, RUNTIME)
    }
    assert outside == set()


def test_only_local_runs_and_the_test_harness_import_the_sdks_testing_package():
    importers = {
        module
        for module, found in _imports().items()
        if any(_within(target, SDK_TESTING) for target, _ in found)
    }
    assert sorted(m for m in importers if not any(_within(m, allowed) for allowed in MAY_RUN_LOCALLY)) == []


def _stage(module: str) -> int | None:
    return next((i for i, names in enumerate(STAGES) for name in names if _within(module, name)), None)


def test_every_module_has_a_stage():
    assert [module for module in _edges() if module != "asl2durable" and _stage(module) is None] == []


def test_a_stage_imports_only_from_itself_and_the_stages_before_it():
    later = sorted(
        (module, target)
        for module, targets in _edges().items()
        if module != "asl2durable"
        for target in targets
        if _stage(target) > _stage(module)
    )
    assert later == []


def test_the_cli_uses_only_public_names():
    private = sorted(
        f"{target}.{name}"
        for target, names in _imports()["asl2durable.cli"]
        for name in names
        if _within(target, "asl2durable") and name.startswith("_")
    )
    assert private == []
