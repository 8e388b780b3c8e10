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

# Which of the package's modules may import the SDK's testing package (its local runner): the
# local runs, and the generated tests' harness among the support modules.
MAY_RUN_LOCALLY = {"asl2durable.local", "asl2durable.runtime.asl_testing"}
# What each stage must not reach: validation reports on a definition before anything is
# rendered or run, lowering does not know how its result is written or run.
FORBIDDEN = {
    "asl2durable.validate": ("asl2durable.render", "asl2durable.testgen", "asl2durable.deploy", "asl2durable.local"),
    "asl2durable.lower": ("asl2durable.render", "asl2durable.testgen", "asl2durable.deploy", "asl2durable.local"),
    "asl2durable.structure": ("asl2durable.render", "asl2durable.testgen", "asl2durable.deploy", "asl2durable.local"),
}


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
    assert "asl2durable.render" in edges["asl2durable.translate"]
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
    assert importers <= MAY_RUN_LOCALLY


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_a_stage_does_not_reach_a_later_one(stage):
    edges = _edges()
    reached = {stage_module: set() for stage_module in edges if _within(stage_module, stage)}
    for start in reached:
        seen, todo = set(), [start]
        while todo:
            for target in edges[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        reached[start] = {target for target in seen if any(_within(target, f) for f in FORBIDDEN[stage])}
    assert {module: sorted(found) for module, found in reached.items() if found} == {}


def test_the_cli_uses_only_public_names():
    private = sorted(
        f"{target}.{name}"
        for target, names in _imports()["asl2durable.cli"]
        for name in names
        if _within(target, "asl2durable") and name.startswith("_")
    )
    assert private == []
