"""The pipeline for one definition: validate → lower to IR → render → the output files."""

from __future__ import annotations

import ast
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from asl2durable._resources import RUNTIME_DIR
from asl2durable.diagnostics import Diagnostic, Severity, has_errors
from asl2durable.load.loader import Loaded
from asl2durable.lower.lower import lower
from asl2durable.load.placeholders import BAD_VALUE, UNRESOLVED
from asl2durable.lower.structure import structure
from asl2durable.validate import validate
from asl2durable.validate.walk import nesting_depth

TOO_DEEPLY_NESTED = "TOO_DEEPLY_NESTED"  # the validator's code for a definition too deep to check
# Without the files (``render=False``), a definition nested deeper than this is still rendered,
# for the one diagnostic rendering finds (TOO_DEEPLY_NESTED: Python reads 200 nested brackets at
# most). Every definition up to 180 levels deep renders, whatever is nested (values in Parameters,
# ItemSelector, arrays, Parallel and Map states), so this leaves a wide margin.
RENDER_CHECK_DEPTH = 100
# The groups of files ``translate`` can build (its ``outputs``): the handler with what running it
# needs, the generated tests, the deployment files.
OUTPUTS = ("handler", "tests", "deploy")
# The support modules copied next to every handler, and those copied when the handler needs
# them (``Workflow.uses``: a key for each feature, its modules).
SUPPORT_MODULES = ("asl_runtime.py", "asl_jsonpath.py", "asl_paths.py", "asl_sdk.py")
_LAMBDA = ("asl_lambda.py", "asl_aws.py")  # the Lambda client also starts durable machines
OPTIONAL_MODULES = {
    "intrinsics": ("asl_intrinsics.py", "asl_jsonquery.py"),  # (a path argument may be a query)
    "jsonquery": ("asl_jsonquery.py",),
    "jsonata": ("asl_jsonata.py",),
    "lambda": _LAMBDA,
    "tasks": ("asl_tasks.py", *_LAMBDA),
    "services": ("asl_services.py",),
    "map": ("asl_map.py",),
    "flow": ("asl_flow.py",),  # Parallel states, dispatch loops (structure.py)
    "timeout": ("asl_timeout.py",),  # a Task's TimeoutSeconds
    "wait_until": ("asl_wait_until.py",),  # a Wait state's Timestamp(Path)
    "settings": ("asl_settings.py",),
    "itemio": ("asl_itemio.py", "asl_map.py", *_LAMBDA),  # a large dataset runs in child executions
}


@dataclass
class Translation:
    """The result of translating one definition.

    ``files`` maps a file name (relative to the machine's output folder) to its text; it is
    empty when the definition has errors.
    """

    name: str
    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    workflow: Any = None  # the IR (ir.Workflow) when the definition translated
    # where handler.py's functions are (render.SourceMap), recorded while it was written
    source_map: Any = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def support_files(uses: frozenset[str] = frozenset()) -> dict[str, str]:
    names = dict.fromkeys([*SUPPORT_MODULES, *(name for u in sorted(uses) for name in OPTIONAL_MODULES[u])])
    return {name: runtime_text(name) for name in names}


@cache
def runtime_text(name: str) -> str:
    """A support module's text, read once per process (every translation copies the same ones)."""
    return (RUNTIME_DIR / name).read_text(encoding="utf-8")


def translate(
    definition: dict, *, name: str = "state_machine", substitutions: tuple = (), workflow_type: str | None = None,
    notes: tuple[Diagnostic, ...] = (),
    serverless: dict | None = None,
    render: bool = True,
    outputs: Collection[str] | None = None,
) -> Translation:
    """Validate and translate a definition; the handler is only produced when it is valid.

    ``substitutions`` are the configured ``${placeholders}`` of a machine loaded from a template
    (``Loaded.substitutions``): the handler reads them from environment variables.
    ``workflow_type`` is STANDARD or EXPRESS (None: not known; STANDARD, with an INFO diagnostic).
    ``notes`` are what loading the definition found (``Loaded.diagnostics``): MIGRATION.md lists them too.
    ``serverless``: the machine comes from a serverless.yml (``Loaded.serverless``), which MIGRATION.md
    then says how to change.
    ``render=False``: the diagnostics and the IR without the files (``files`` is empty), the same
    diagnostics at a fraction of the time: Jinja, black and the durable SDK are not imported.
    ``outputs``: which groups of files to build (None: all of them, :data:`OUTPUTS`):

    * ``"handler"``: ``handler.py``, its support modules, ``definition.asl.json`` and
      ``requirements.txt`` (what running the handler needs: ``local.prepare``);
    * ``"tests"``: the generated tests, ``test_handler.py`` (the test plan's symbolic walk),
      its harness ``asl_testing.py`` and ``requirements-test.txt``;
    * ``"deploy"``: ``template.yaml`` and ``MIGRATION.md``.

    A group left out costs nothing. The diagnostics are the same whatever is asked for, except
    TOO_DEEPLY_NESTED (values nested too deeply for Python), which writing the handler or the
    tests finds: only what is written is checked for it (``render=False`` writes the handler,
    and the tests when asked for, for that check alone).
    """
    wanted = _outputs(outputs)
    diagnostics = validate(definition)
    if has_errors(diagnostics):
        return Translation(name, {}, diagnostics)
    workflow, lowering_diagnostics = lower(definition, name, substitutions, workflow_type)
    lowering_diagnostics += structure(workflow)
    if not render and nesting_depth(definition) <= RENDER_CHECK_DEPTH:
        return Translation(name, {}, sorted(diagnostics + lowering_diagnostics), workflow)
    from asl2durable.render.render import render_handler_mapped, render_template
    from asl2durable.render.testgen import render_tests

    handler = source_map = tests = None
    try:
        if "handler" in wanted or not render:
            handler, source_map = render_handler_mapped(workflow)
        if "tests" in wanted:
            tests = render_tests(workflow)
        if handler is not None and nesting_depth(definition) > RENDER_CHECK_DEPTH:  # black writes what Python may not parse
            compile(handler, "handler.py", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, RecursionError) as e:  # Python's parser allows 200 nested brackets
        if isinstance(e, SyntaxError) and "too many" not in str(e.msg):
            raise
        too_deep = Diagnostic("", TOO_DEEPLY_NESTED, "The definition nests values too deeply to write them as Python code")
        return Translation(name, {}, sorted([*diagnostics, *lowering_diagnostics, too_deep]))
    if not render:
        return Translation(name, {}, sorted(diagnostics + lowering_diagnostics), workflow)
    files: dict[str, str] = {}
    if handler is not None:
        files["handler.py"] = handler
        files.update(support_files(workflow.uses))
        # what the handler was translated from: the runtime words a failing path's error from it
        files["definition.asl.json"] = json.dumps(definition, indent=2, ensure_ascii=False) + "\n"
        files["requirements.txt"] = render_template("requirements.txt.jinja", uses=workflow.uses)
    if tests is not None:
        files["requirements-test.txt"] = render_template("requirements-test.txt.jinja")
        files["test_handler.py"] = tests  # with its harness, asl_testing.py
        files["asl_testing.py"] = runtime_text("asl_testing.py")
    if "deploy" in wanted:
        from asl2durable.render.deploy import render_deploy_files  # template.yaml and MIGRATION.md

        files.update(
            render_deploy_files(
                workflow, [*notes, *diagnostics, *lowering_diagnostics], substitutions, serverless=serverless
            )
        )
    return Translation(name, files, sorted(diagnostics + lowering_diagnostics), workflow, source_map)


def _outputs(outputs: Collection[str] | None) -> frozenset[str]:
    """The groups of files ``translate`` builds (all of :data:`OUTPUTS` for None)."""
    if outputs is None:
        return frozenset(OUTPUTS)
    wanted = frozenset([outputs] if isinstance(outputs, str) else outputs)
    unknown = sorted(wanted - set(OUTPUTS))
    if unknown:
        raise ValueError(f"unknown outputs {unknown}: choose from {list(OUTPUTS)}")
    return wanted


@dataclass
class Outcome:
    """What the pipeline makes of one loaded input (``translate_loaded``)."""

    loaded: Loaded
    translation: Translation | None  # None when the input did not load
    # the loader's diagnostics, then the translation's, each with its position when the input was text
    diagnostics: list[Diagnostic]


def translate_loaded(
    loaded: Loaded, *, workflow_type: str | None = None, render: bool = True, outputs: Collection[str] | None = None
) -> Outcome:
    """The pipeline for a loaded input: what ``validate`` reports and ``convert`` writes.

    ``workflow_type``, ``render`` and ``outputs`` as for ``translate``. Nothing is written.
    """
    diagnostics = loaded.locate(loaded.diagnostics, in_definition=False)
    if loaded.definition is None:
        return Outcome(loaded, None, diagnostics)
    translation = translate(
        loaded.definition, name=loaded.name, substitutions=loaded.substitutions, workflow_type=workflow_type,
        notes=tuple(loaded.diagnostics),
        serverless=loaded.serverless, render=render, outputs=outputs,
    )
    # a placeholder without a value is reported once, not again as the wrong type for its field
    unresolved = {d.pointer for d in loaded.diagnostics if d.code in (UNRESOLVED, BAD_VALUE)}
    found = [d for d in translation.diagnostics if d.pointer not in unresolved or d.code in (UNRESOLVED, BAD_VALUE)]
    return Outcome(loaded, translation, [*diagnostics, *loaded.locate(found)])


__all__ = ["OUTPUTS", "Outcome", "Severity", "Translation", "translate", "translate_loaded"]
