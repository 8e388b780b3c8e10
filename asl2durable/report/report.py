"""Comparison reports: what a batch of state machines becomes, as data (``report.json``),
Markdown (``report.md``, through ``templates/report.md.jinja``) and HTML pages (``index.html``
and ``machines/*.html``, through ``templates/report_*.html.jinja``).

For each machine: its status, its states, the durable operations the generated code performs
(counted from the IR, by kind), its diagnostics, and where each state's code is in
``handler.py``. For the batch: every machine's row and the blockers (diagnostic codes of
WARNINGs and ERRORs) ranked by how many machines they affect.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from asl2durable.report import diagram

from asl2durable.lower import ir
from asl2durable.run.behaviour import VERDICTS
from asl2durable.diagnostics import Diagnostic, Severity, has_errors
from asl2durable.report.highlight import python_lines
from asl2durable.run.local import _runtime
from asl2durable.render.render import render_template, template_environment
from asl2durable.translate import Translation

# Statuses, best first.
EXACT = "exact"  # translated, no warnings
APPROXIMATED = "approximated"  # translated, with warnings about approximations
UNSUPPORTED = "unsupported"  # translated, but some state raises at run time
INVALID = "invalid"  # not translated: the input has errors
STATUSES = (EXACT, APPROXIMATED, UNSUPPORTED, INVALID)

UNSUPPORTED_CODES = frozenset({"UNSUPPORTED_INTEGRATION", "UNSUPPORTED_FEATURE"})
# Durable operation kinds, in the order reports list them; each state's: ir.operations
OPERATIONS = ir.OPERATIONS
operations = ir.operations


@dataclass
class StateRow:
    """One state: where its code is in handler.py and the durable operations it performs."""

    name: str
    type: str
    function: str
    lines: tuple[int, int]  # first and last line of its ``def`` in handler.py
    call_sites: tuple[int, ...]  # lines of the machine functions that run it
    operations: dict[str, int]
    # the name its durable operations carry (asl_runtime.operation_name): the state's name, or,
    # when the Lambda API would refuse that, the name mapped to printable ASCII
    operation_name: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name, "type": self.type, "function": self.function, "lines": list(self.lines),
            "call_sites": list(self.call_sites), "operations": self.operations, "operation_name": self.operation_name,
        }


@dataclass
class MachineReport:
    name: str
    source: str
    status: str
    diagnostics: list[Diagnostic]
    states: list[StateRow] = field(default_factory=list)
    handler: str = ""  # the generated handler.py ("" when not translated)
    # Filled when the report is given sample inputs (``report --inputs``): the behaviour check
    # per input (behaviour.Comparison) and the cost estimate from those runs (pricing.Estimate).
    comparisons: list[Any] = field(default_factory=list)
    cost: Any = None
    workflow: ir.Workflow | None = field(default=None, repr=False)  # for the diagrams; not serialised

    @property
    def operations(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for row in self.states:
            total.update(row.operations)
        return ir.ordered_operations(total)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "source": self.source, "status": self.status, "state_count": len(self.states),
            "operations": self.operations, "diagnostics": [d.to_dict() for d in self.diagnostics],
            "states": [row.to_dict() for row in self.states],
            "behaviour": [c.to_dict() for c in self.comparisons],
            "cost": self.cost.to_dict() if self.cost is not None else None,
        }


def machine_report(name: str, source: str, diagnostics: list[Diagnostic], translation: Translation | None) -> MachineReport:
    """The report of one machine from its load diagnostics and translation (None: not loaded).
    ``diagnostics`` are all of them, as ``convert`` reports them."""
    if translation is None or translation.workflow is None or has_errors(diagnostics):
        return MachineReport(name, source, INVALID, diagnostics)
    workflow = translation.workflow
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    states = workflow.states()
    if any(d.code in UNSUPPORTED_CODES for d in warnings) or any(s.unsupported for s in states):
        status = UNSUPPORTED
    else:
        status = APPROXIMATED if warnings else EXACT
    handler = translation.files["handler.py"]
    mapped = translation.source_map
    spans, uses = (mapped.spans, mapped.calls) if mapped is not None else _locate(handler, workflow)
    rows = [
        StateRow(
            s.name, _state_type(s), "" if s.name in workflow.inline else workflow.functions[s.name],
            spans[workflow.functions[s.name]],
            tuple(uses.get(workflow.functions[s.name], ())), operations(s), _runtime().operation_name(s.name),
        )
        for s in states
    ]
    return MachineReport(name, source, status, diagnostics, rows, handler, workflow=workflow)


def _state_type(state: ir.State) -> str:
    return type(state).__name__.removesuffix("State")


def _inline_state(block: ast.With) -> str | None:
    """The state of a ``with run.in_state("Name", data):`` block."""
    call = block.items[0].context_expr
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in ("in_state", "in_task"):
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            return call.args[0].value
    return None


def _locate(handler: str, workflow: ir.Workflow) -> tuple[dict[str, tuple[int, int]], dict[str, list[int]]]:
    """Each module-level function's line span in ``handler`` (from its decorator), and the
    lines of the machine functions that name each function (call sites, or dispatch-table
    entries): what the source map records while the handler is written, read from the handler
    where black changed its layout (a statement ``render.statement`` did not lay out)."""
    tree = ast.parse(handler)
    spans = {
        node.name: (min([node.lineno, *(d.lineno for d in node.decorator_list)]), node.end_lineno or node.lineno)
        for node in tree.body if isinstance(node, ast.FunctionDef)
    }
    machine_idents = {m.ident for m in workflow.machines()}
    uses: dict[str, list[int]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in machine_idents:
            for name in ast.walk(node):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load):
                    uses.setdefault(name.id, []).append(name.lineno)
                elif isinstance(name, ast.With) and (state := _inline_state(name)) in workflow.functions:
                    function = workflow.functions[state]  # a state written in the body
                    spans[function] = (name.lineno, name.end_lineno or name.lineno)
                    uses.setdefault(function, []).append(name.lineno)
    return spans, {ident: sorted(set(lines)) for ident, lines in uses.items()}


@dataclass
class Report:
    machines: list[MachineReport]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)

    def blockers(self) -> list[dict]:
        """Codes of WARNINGs and ERRORs, the most widespread first, each with its machines."""
        affected: dict[str, set[str]] = {}
        for m in self.machines:
            for d in m.diagnostics:
                if d.severity is not Severity.INFO:
                    affected.setdefault(d.code, set()).add(m.name)
        ranked = sorted(affected.items(), key=lambda item: (-len(item[1]), item[0]))
        return [{"code": code, "count": len(names), "machines": sorted(names)} for code, names in ranked]

    def statuses(self) -> dict[str, int]:
        counts = Counter(m.status for m in self.machines)
        return {status: counts[status] for status in STATUSES}

    def to_dict(self) -> dict:
        machines = sorted(self.machines, key=lambda m: m.name)
        return {
            "statuses": self.statuses(),
            "machines": [m.to_dict() for m in machines],
            "blockers": self.blockers(),
            "skipped": [{"source": s, "reason": r} for s, r in sorted(self.skipped)],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_markdown(self) -> str:
        return render_template(
            "report.md.jinja", report=self, machines=sorted(self.machines, key=lambda m: m.name),
            operations=OPERATIONS,
        )

    def to_html(self) -> dict[str, str]:
        """The HTML pages by relative path: ``index.html`` and one ``machines/*.html`` each."""
        machines = sorted(self.machines, key=lambda m: m.name)
        pages = {}
        for number, m in enumerate(machines, 1):
            pages.setdefault(m.name, f"machines/{number:03d}-{_slug(m.name)}.html")
        verdicts: Counter[str] = Counter(c.verdict for m in machines for c in m.comparisons)
        env = _html_environment()
        files = {
            "index.html": env.get_template("report_index.html.jinja").render(
                report=self, machines=machines, pages=pages, operations=OPERATIONS,
                behaviour={v: verdicts[v] for v in VERDICTS if verdicts[v]},
            )
        }
        page = env.get_template("report_machine.html.jinja")
        for number, m in enumerate(machines, 1):
            path = f"machines/{number:03d}-{_slug(m.name)}.html"
            files[path] = page.render(m=m, code=python_lines(m.handler), diagrams=_diagrams(m))
        return files


FORMATS = ("html", "json", "md")


def _slug(name: str) -> str:
    """A file name part for a machine name: letters, digits, ``.``, ``_`` and ``-`` only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "machine"


def _diagrams(m: MachineReport) -> list[dict]:
    """Per machine of the workflow (the top one, then its Parallel branches and Map iterations
    in the definition's order): its title, its function in handler.py, and the ASL graph and
    the handler's structure as SVG, each state linked to its function's first line."""
    if m.workflow is None:
        return []
    first_line = {row.name: row.lines[0] for row in m.states}

    def link(state: str) -> str | None:
        return f"#L{first_line[state]}" if state in first_line else None

    return [
        {
            "title": "The state machine" if machine is m.workflow.root else machine.title.rstrip("."),
            "function": machine.ident,
            "graph": Markup(diagram.state_graph(machine, link)),
            "structure": Markup(diagram.handler_structure(machine, m.workflow, link)),
        }
        for machine in _preorder(m.workflow.root)
    ]


def _preorder(machine: ir.Machine) -> list[ir.Machine]:
    """``machine``, then each of its inner machines (with theirs) in the order of its states."""
    out = [machine]
    for state in machine.states.values():
        if isinstance(state, ir.ParallelState):
            for branch in state.branches:
                out.extend(_preorder(branch))
        elif isinstance(state, ir.MapState) and state.processor is not None:
            out.extend(_preorder(state.processor))
    return out


def _verdict_counts(comparisons: list[Any]) -> dict[str, int]:
    counts = Counter(c.verdict for c in comparisons)
    return {v: counts[v] for v in VERDICTS if counts[v]}


def _severity_counts(diagnostics: list[Diagnostic]) -> list[tuple[str, int]]:
    counts = Counter(d.severity.value for d in diagnostics)
    return [(s.value, counts[s.value]) for s in Severity if counts[s.value]]


@cache
def _html_environment() -> jinja2.Environment:
    """The HTML pages' templates: autoescaped, so text from definitions is never markup."""
    env = template_environment(autoescape=True)
    env.filters.update(
        pretty_json=lambda value: json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str),
        verdict_counts=_verdict_counts,
        verdict_class=lambda verdict: {"same": "same", "differs": "differs"}.get(verdict, "unknown"),
        severity_counts=_severity_counts,
        number=lambda value: "–" if value is None else f"{value:,.4g}",
        usd=lambda value: "–" if value is None else f"${value:,.2f}" if value >= 1 else f"${value:.6g}",
    )
    return env


def write_report(report: Report, folder: Path, formats: tuple[str, ...]) -> list[Path]:
    """Write the report in each of ``formats`` (``FORMATS``) into ``folder``: ``report.json``,
    ``report.md``, ``index.html`` with ``machines/*.html``. Returns the files written (for HTML,
    ``index.html`` stands for its pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in sorted(formats):
        if fmt == "html":
            pages = report.to_html()
            for relative, text in pages.items():
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
            for stale in (folder / "machines").glob("[0-9][0-9][0-9]-*.html"):  # an earlier report's pages
                if f"machines/{stale.name}" not in pages:
                    stale.unlink()
            written.append(folder / "index.html")
            continue
        path = folder / f"report.{fmt}"
        path.write_text(report.to_json() if fmt == "json" else report.to_markdown(), encoding="utf-8", newline="\n")
        written.append(path)
    return written
