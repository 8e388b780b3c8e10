"""The results of a batch: one record per input, its diagnostics as data, and the errors that
stop a command (a usage error; a failure with the lines that say why)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.report.report import Report


class UsageError(ValueError):
    """An argument a batch cannot use; ``option`` names it (``PATH``, ``--substitute``, ...)."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


class Failed(Exception):
    """A command cannot go on (exit 1): ``lines`` say why, the first one as the message."""

    def __init__(self, *lines: str):
        super().__init__(lines[0] if lines else "")
        self.lines = list(lines)


# --------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Skipped:
    """An input found in a folder walk that is not a state machine (a ``package.json``)."""

    source: str
    name: str
    reason: str

    def to_dict(self, **verdict: None) -> dict:
        """The JSON record; ``verdict``: the command's own keys, None (``valid``; ``converted``, ``output``)."""
        return {"source": self.source, "name": self.name, **verdict, "skipped": True, "reason": self.reason,
                "diagnostics": []}


@dataclass
class Checked:
    """``validate``'s record of one state machine, or of a template's rewrite (``kind``)."""

    source: str
    name: str
    valid: bool
    diagnostics: list[Diagnostic]
    kind: str = "machine"  # or "template"

    def to_dict(self) -> dict:
        record = {"source": self.source, "name": self.name, "valid": self.valid, "skipped": False,
                  "diagnostics": [d.to_dict() for d in self.diagnostics]}
        return {**record, "kind": self.kind} if self.kind == "template" else record


@dataclass
class Converted:
    """``convert``'s record of one state machine, or of a template's rewrite (``kind``).
    ``output``: the folder written (a template: its template.yaml), None when not converted;
    ``outcome``: the writer's ("written", "unchanged" or "replaced")."""

    source: str
    name: str
    output: Path | None
    diagnostics: list[Diagnostic]
    kind: str = "machine"  # or "template"
    outcome: str | None = None

    @property
    def converted(self) -> bool:
        return self.output is not None

    def to_dict(self) -> dict:
        kind = {"kind": self.kind} if self.kind == "template" else {}
        return {"source": self.source, "name": self.name, **kind, "converted": self.converted,
                "output": str(self.output) if self.output is not None else None, "skipped": False,
                "diagnostics": [d.to_dict() for d in self.diagnostics]}


def _summary(head: str, skipped: list[Skipped], tail: str) -> str:
    return head + (f", {len(skipped)} skipped" if skipped else "") + tail


@dataclass
class ValidateResult:
    """``records``: each state machine's, in input order, then each template rewrite's."""

    records: list[Checked]
    skipped: list[Skipped]

    @property
    def ok(self) -> bool:
        return all(r.valid for r in self.records)

    def to_json(self) -> list[dict]:
        return [*(r.to_dict() for r in self.records), *(s.to_dict(valid=None) for s in self.skipped)]

    def lines(self) -> Iterator[str]:
        """The text report: each diagnostic at FILE:LINE:COLUMN where there is one, then the summary."""
        for r in self.records:
            for d in r.diagnostics:
                yield f"{d.position or r.source + (' (template)' if r.kind == 'template' else '')}: {d}"
        yield self.summary()

    def summary(self) -> str:
        machines = [r for r in self.records if r.kind != "template"]
        templates = [r for r in self.records if r.kind == "template"]
        n_invalid = sum(not r.valid for r in machines)
        tail = ""
        if templates:
            n_bad = sum(not r.valid for r in templates)
            tail = f"; {len(templates)} template rewrite{'s' if len(templates) > 1 else ''} checked, {n_bad} invalid"
        return _summary(f"{len(machines)} checked: {len(machines) - n_invalid} valid, {n_invalid} invalid",
                        self.skipped, tail)


@dataclass
class ConvertResult:
    """``records``: each state machine's, in input order; ``templates``: each rewritten template's."""

    records: list[Converted]
    templates: list[Converted]
    skipped: list[Skipped]
    strict: bool = False  # a WARNING failed an input too

    @property
    def ok(self) -> bool:
        return all(r.converted for r in [*self.records, *self.templates])

    @property
    def failed(self) -> list[Converted]:
        return [r for r in [*self.records, *self.templates] if not r.converted]

    def to_json(self) -> list[dict]:
        return [*(r.to_dict() for r in [*self.records, *self.templates]),
                *(s.to_dict(converted=None, output=None) for s in self.skipped)]

    def lines(self) -> Iterator[str]:
        """The text report: each input's outcome and diagnostics, then the summary."""
        for r in [*self.records, *self.templates]:
            template = r.kind == "template"
            if r.converted:
                note = {"unchanged": " (unchanged)", "replaced": " (replaced)"}.get(r.outcome or "", "")
                yield f"{r.source}: {'template rewritten' if template else 'converted'} -> {r.output}{note}"
            else:
                yield f"{r.source}: {'template not rewritten' if template else 'failed'}"
            yield from (f"  {d.position}: {d}" if d.position else f"  {d}" for d in r.diagnostics)
        yield self.summary()

    def failure_lines(self) -> Iterator[str]:
        """The end-of-batch list of every input that was not written, with its errors."""
        from asl2durable.diagnostics import failing

        failed = self.failed
        if failed:
            yield f"error: {len(failed)} input{'s' if len(failed) != 1 else ''} not converted:"
        for r in failed:
            errors = failing(r.diagnostics, strict=self.strict) or r.diagnostics
            first = f": {errors[0].code}: {errors[0].message}" if errors else ""
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            yield f"  {r.source}{' (template)' if r.kind == 'template' else ''}{first}{more}"

    def summary(self) -> str:
        tail = ""
        if self.templates:
            tail = f"; {sum(t.converted for t in self.templates)} of {len(self.templates)} templates rewritten"
        return _summary(f"{sum(r.converted for r in self.records)} of {len(self.records)} converted",
                        self.skipped, tail)


@dataclass
class ReportResult:
    """The report (one row per state machine), the files written, or why they were not."""

    report: Report
    read: int  # inputs whose definition could be read
    written: list[Path] = field(default_factory=list)
    not_written: OSError | None = None
    behaviour: bool = False  # machines were checked for behaviour (--inputs)

    @property
    def ok(self) -> bool:
        return bool(self.read) and self.not_written is None

    def summary(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in self.report.statuses().items())
        summary = f"{len(self.report.machines)} state machines: {counts}"
        if self.behaviour:
            from asl2durable.run.behaviour import verdict_counts

            verdicts = verdict_counts(c for m in self.report.machines for c in m.comparisons)
            summary += "; behaviour: " + ", ".join(f"{n} {verdict}" for verdict, n in verdicts.items())
        return f"{summary} -> {', '.join(map(str, self.written))}"
