"""Batches of inputs: what ``validate``, ``convert`` and ``report`` do, as a library.

``validate_batch``, ``convert_batch`` and ``report_batch`` take PATH arguments (files, folders,
inline JSON; or ``discover``'s inputs) and return typed results: one record per input with its
diagnostics as data. An unexpected exception fails that input only (``INTERNAL_ERROR``), and a
template whose machines all translate gets one more record, its rewrite's. With ``jobs`` > 1
(0: one per CPU) the inputs are processed in forked worker processes; the records come back in
input order, as with one job. While a batch runs, SIGTERM unwinds like Ctrl-C: the workers are
terminated and folders being written removed (exit 143).

Importing this module imports only the standard library: the pipeline is imported when a batch
runs (the command line's start-up time counts).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.loader import Discovered, Loaded
    from asl2durable.pricing import Prices
    from asl2durable.recorded import Recording
    from asl2durable.report import MachineReport, Report

__all__ = [
    "Checked",
    "ConvertResult",
    "Converted",
    "Failed",
    "ReportResult",
    "Skipped",
    "UsageError",
    "ValidateResult",
    "aws_seed",
    "convert_batch",
    "discover",
    "lambdas",
    "load",
    "load_item",
    "load_one",
    "machine_inputs",
    "one_machine",
    "option_type",
    "parse_json_argument",
    "parse_seed",
    "report_batch",
    "substitution_values",
    "unused_inputs",
    "validate_batch",
    "workflow_type",
]

Inputs = Sequence["str | os.PathLike | Discovered"]


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
            from asl2durable.behaviour import verdict_counts

            verdicts = verdict_counts(c for m in self.report.machines for c in m.comparisons)
            summary += "; behaviour: " + ", ".join(f"{n} {verdict}" for verdict, n in verdicts.items())
        return f"{summary} -> {', '.join(map(str, self.written))}"


# --------------------------------------------------------------------------------------
# arguments


Note = Callable[[str], None]


def discover(inputs: Inputs) -> list[Discovered]:
    """``loader.discover``'s inputs for PATH arguments (already discovered ones are kept)."""
    from asl2durable.loader import Discovered
    from asl2durable.loader import discover as discover_paths

    if inputs and all(isinstance(i, Discovered) for i in inputs):
        return list(inputs)  # type: ignore[arg-type]
    try:
        return discover_paths(inputs)  # type: ignore[arg-type]
    except FileNotFoundError as e:
        raise UsageError(str(e), "PATH") from None


def _note_skipped(items: list[Discovered], note: Note | None) -> None:
    """``note`` each input skipped, and when there is nothing else."""
    if note is None:
        return
    for item in items:
        if item.skipped:
            note(f"note: skipped {item.display}: {item.reason}")
    if not any(not i.skipped for i in items):
        note("note: no state machine definitions found")


def _skipped(items: list[Discovered]) -> list[Skipped]:
    return [Skipped(i.display, i.name, i.reason or "") for i in items if i.skipped]


def one_machine(path: str, resource: str | None, *, command: str = "run") -> Discovered:
    """The one state machine ``run`` or ``verify`` (``command``) takes from PATH: a definition,
    or a template's machine ``resource`` (needed when it has several)."""
    if command == "run":
        try:
            is_folder = Path(path).is_dir()
        except OSError:  # inline JSON longer than a file name can be (ENAMETOOLONG)
            is_folder = False
        if is_folder:
            raise UsageError(f"{path} is a folder; run takes one definition file", "PATH")
    items = [i for i in discover((path,)) if not i.skipped]
    if resource is not None:
        items = [i for i in items if i.resource == resource]
    if command != "run" and len(items) != 1:
        found = ", ".join(str(i.resource) for i in items) or "none"
        raise UsageError(f"{path} must hold one state machine (found: {found}); pick one with --resource", "DEFINITION")
    if resource is not None and not items:
        raise UsageError(f"{path} has no state machine {resource}", "--resource")
    if len(items) > 1:
        ids = ", ".join(str(i.resource) for i in items)
        raise UsageError(f"{path} has several state machines ({ids}): pick one with --resource", "PATH")
    return items[0]


def load_item(item: Discovered, substitutions: dict[str, str] | None = None) -> Loaded:
    """One input, loaded with the placeholder values given (see ``substitution_values``)."""
    return load(item.source, name=item.name, resource=item.resource, substitute=substitutions)


def load_one(item: Discovered, substitutions: dict[str, str] | None = None) -> Loaded:
    """The one input ``run`` or ``verify`` takes, loaded; ``Failed`` (its diagnostics, at their
    positions) when its definition cannot be read or has an ERROR."""
    from asl2durable.diagnostics import has_errors

    loaded = load_item(item, substitutions)
    if loaded.definition is None or has_errors(loaded.diagnostics):
        located = loaded.locate(loaded.diagnostics, in_definition=False)
        raise Failed(*(f"{d.position or loaded.source}: {d}" for d in located))
    return loaded


def aws_seed(aws: str, seed: dict | None) -> dict | None:
    """Where AWS calls go (``--aws none|moto``, ``--seed``): None, nowhere special; else moto,
    seeded with the dict. A seed without moto is a usage error."""
    if seed is not None and aws != "moto":
        raise UsageError("a seed needs --aws moto", "--seed")
    return (seed or {}) if aws == "moto" else None


def parse_seed(value: str) -> dict:
    """``--seed FILE|@FILE|JSON``: the resources to create in moto (ValueError: why not)."""
    from asl2durable.aws_local import load_seed

    return load_seed(value)


def substitution_values(substitute: Iterable[str] = (), file: Path | None = None) -> dict[str, str]:
    """The placeholder values ``--substitutions FILE.json`` and ``--substitute NAME=VALUE`` give
    (the latter win), as DefinitionSubstitutions would substitute them."""
    from asl2durable import cfn

    values: dict[str, str] = {}
    if file is not None:
        try:
            document = _read_json(file)
        except ValueError as e:
            raise UsageError(str(e), "--substitutions") from None
        if not isinstance(document, dict):
            raise UsageError(f"{file} must hold a JSON object of NAME: value", "--substitutions")
        for name, value in document.items():
            text = cfn.Substitution(name, value).literal
            if text is None or value is None:
                raise UsageError(f"{file}: the value of {name} must be a string, number or boolean", "--substitutions")
            values[name] = text
    for spec in substitute:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise UsageError(f"{spec!r} is not NAME=VALUE", "--substitute")
        values[name] = value
    return values


def _recordings(histories: Iterable[Path], items: list[Discovered]) -> list[Recording]:
    """The executions ``--history`` names (none: []); a file that is not a history, or more than
    one state machine to convert, is a usage error."""
    histories = list(histories)
    if not histories:
        return []
    from asl2durable.recorded import HistoryError, load

    machines = [item for item in items if not item.skipped]
    if len(machines) != 1:
        raise UsageError(f"recorded executions belong to one state machine; {len(machines)} were given", "--history")
    try:
        return load(histories)
    except HistoryError as e:
        raise UsageError(str(e), "--history") from None


def lambdas(specs: Iterable[str]) -> dict | None:
    """The ``--lambda NAME=FILE.py[:FUNCTION]`` functions (None: none given)."""
    specs = list(specs)
    if not specs:
        return None
    from asl2durable.local import lambdas_from_specs

    try:
        return lambdas_from_specs(specs)
    except ValueError as e:
        raise UsageError(str(e), "--lambda") from None
    except Exception as e:  # noqa: BLE001 - e.g. the handler file does not import
        raise UsageError(f"{type(e).__name__}: {e}", "--lambda") from None


def parse_json_argument(value: str, read_stdin: Callable[[], str]) -> object:
    """A JSON argument: the text, or ``@FILE`` to read it from a file, ``@-`` from stdin.
    Raises ValueError saying what could not be read."""
    where, text = "the value", value
    if value.startswith("@"):
        name = value[1:]
        where = "stdin" if name == "-" else name
        try:
            text = read_stdin() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read {name}: {getattr(e, 'strerror', None) or e}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


# --------------------------------------------------------------------------------------
# the per-input pipeline


def load(source: Any, **kwargs: Any) -> Loaded:
    """``loader.load``, imported on the first call (the tests replace this name)."""
    from asl2durable.loader import load as load_input

    return load_input(source, **kwargs)


def option_type(option: str | None, loaded: Loaded) -> str | None:
    """STANDARD or EXPRESS: the option's, else what the input says, else None (not known)."""
    return option.upper() if option else loaded.workflow_type


def _internal_error(e: BaseException) -> Diagnostic:
    """The diagnostic of an unexpected exception: it fails one input, never the batch."""
    from asl2durable.diagnostics import Diagnostic, Severity

    return Diagnostic("", "INTERNAL_ERROR", f"{type(e).__name__}: {e}", Severity.ERROR)


# A machine kept for its template's rewrite: (loaded, translation[, folder written])
_Machine = tuple


def _validate_one(item: Discovered, values: dict, option: str | None, strict: bool) -> tuple[Checked, _Machine | None]:
    from asl2durable.diagnostics import failing
    from asl2durable.translate import translate_loaded

    loaded = load_item(item, values)
    outcome = translate_loaded(loaded, workflow_type=option_type(option, loaded), render=False)
    valid = loaded.definition is not None and not failing(outcome.diagnostics, strict=strict)
    record = Checked(loaded.source, item.name, valid, outcome.diagnostics)
    if item.group is not None and outcome.translation is not None and outcome.translation.ok:
        return record, (loaded, outcome.translation)  # for the template's rewrite
    return record, None


def _convert_one(
    item: Discovered, values: dict, option: str | None, strict: bool, outdir: Path, force: bool, recorded: list
) -> tuple[Converted, _Machine | None]:
    from asl2durable.diagnostics import Diagnostic, Severity, failing
    from asl2durable.translate import translate_loaded

    loaded = load_item(item, values)
    result = translate_loaded(loaded, workflow_type=option_type(option, loaded))
    translation, diagnostics = result.translation, result.diagnostics
    if translation is None or failing(diagnostics, strict=strict):
        return Converted(loaded.source, item.name, None, diagnostics), None
    files = translation.files
    if recorded:
        from asl2durable.recorded import with_recorded

        files, skipped = with_recorded(translation, loaded.definition, recorded)
        diagnostics = [*diagnostics, *(Diagnostic("", "HISTORY_NOT_TESTED", note, Severity.WARNING) for note in skipped)]
    folder, outcome, problem = _write_folder(outdir, translation.name, files, force)
    if problem is not None:
        return Converted(loaded.source, item.name, None, [*diagnostics, problem]), None
    record = Converted(loaded.source, item.name, folder, diagnostics, outcome=outcome)
    return record, ((loaded, translation, Path(folder)) if item.group is not None else None)


def _write_folder(
    outdir: Path, name: str, files: dict[str, str], force: bool
) -> tuple[Path | None, str | None, Diagnostic | None]:
    """Write one output folder atomically: (folder, outcome, None) or (None, None, the problem)."""
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.writer import OutputExists, write_folder

    try:
        folder, outcome = write_folder(outdir, name, files, force=force)
    except OutputExists as e:
        return None, None, Diagnostic("", "OUTPUT_EXISTS", str(e))
    except OSError as e:
        return None, None, Diagnostic(
            "", "OUTPUT_NOT_WRITABLE", f"Cannot write {e.filename or outdir / name}: {e.strerror or e}"
        )
    return folder, outcome, None


# --------------------------------------------------------------------------------------
# the process pool


def _each(
    items: list[Discovered],
    process: Callable[[Discovered], Any],
    failed: Callable[[Discovered, Diagnostic], Any],
    jobs: int = 1,
) -> list:
    """Process every input; an unexpected exception fails that input only.

    ``jobs`` > 1 (0: one per CPU) runs ``process`` in that many forked worker processes; the
    results come back in input order, as with one job (``process`` and its results must not
    print, and results must pickle)."""
    todo = [item for item in items if not item.skipped]

    def one(item: Discovered) -> Any:
        try:
            return process(item)
        except Exception as e:  # noqa: BLE001 - one bad input must not stop the batch
            return failed(item, _internal_error(e))

    jobs = jobs or os.cpu_count() or 1
    with _sigterm_exits():
        if jobs == 1 or len(todo) < 2:
            return [one(item) for item in todo]
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return [one(item) for item in todo]
        global _WORKER_TASK
        _WORKER_TASK = one  # forked workers inherit it: closures do not pickle
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(min(jobs, len(todo)), initializer=_worker_started) as pool:
                results = list(pool.imap(_run_worker_task, todo, chunksize=1))
                # done: the workers take their stop message and exit. Terminating them (what
                # leaving the ``with`` does) would signal workers that may be between a task
                # and the queue's lock, and one could be left waiting on it forever.
                pool.close()
                pool.join()
                return results
        finally:  # leaving the ``with`` on an error, SIGTERM or Ctrl-C terminates the workers
            _WORKER_TASK = None


_WORKER_TASK: Callable[[Discovered], Any] | None = None


def _run_worker_task(item: Discovered) -> Any:
    assert _WORKER_TASK is not None
    return _WORKER_TASK(item)


def _worker_started() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it terminates the pool); SIGTERM, which is
    how the pool terminates a worker, exits through ``finally`` blocks so a folder being written
    is cleaned up (the writer defers it while renaming a folder into place)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While a batch runs, SIGTERM (``kill``) unwinds like Ctrl-C instead of killing the process
    on the spot: worker processes are terminated and half-written folders removed; exit 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------------------
# validate and convert


def validate_batch(
    inputs: Inputs, *, jobs: int = 1, workflow_type: str | None = None, strict: bool = False,
    substitutions: dict[str, str] | None = None, note: Note | None = None,
) -> ValidateResult:
    """What ``convert`` would report for each input (the same pipeline, stopping before the code
    is rendered), and for each template what rewriting it would; nothing is written.
    ``note(text)``: told of each input skipped (found in a folder, not a state machine)."""
    items = discover(inputs)
    _note_skipped(items, note)
    values = substitutions or {}
    done = _each(
        items,
        lambda item: _validate_one(item, values, workflow_type, strict),
        lambda item, d: (Checked(item.display, item.name, False, [d]), None),
        jobs,
    )
    records = [record for record, _ in done]
    return ValidateResult([*records, *_check_rewrites(items, done, strict)], _skipped(items))


def convert_batch(
    inputs: Inputs, outdir: Path, *, force: bool = False, jobs: int = 1, workflow_type: str | None = None,
    strict: bool = False, substitutions: dict[str, str] | None = None, histories: Iterable[Path] = (),
    note: Note | None = None,
) -> ConvertResult:
    """Translate each input into ``outdir/<name>/`` (written atomically; an existing folder with
    other content is left alone, OUTPUT_EXISTS, unless ``force``), and rewrite each template
    whose machines all converted into ``outdir/<template>/``. ``histories``: recorded executions
    of the one machine converted, each a test in its test_handler.py. Raises ``UsageError``
    before anything is done, and ``Failed`` when ``outdir`` cannot be created."""
    items = discover(inputs)
    recorded = _recordings(histories, items)
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Failed(f"Error: cannot create output folder {outdir}: {e.strerror or e}") from None
    _note_skipped(items, note)
    values = substitutions or {}
    done = _each(
        items,
        lambda item: _convert_one(item, values, workflow_type, strict, outdir, force, recorded),
        lambda item, d: (Converted(item.display, item.name, None, [d]), None),
        jobs,
    )
    records = [record for record, _ in done]
    return ConvertResult(records, _rewrite_templates(items, done, outdir, force), _skipped(items), strict)


def _groups(items: list[Discovered]) -> dict[str, list[Discovered]]:
    """Each template's machines, by the name of the folder its rewrite goes to."""
    groups: dict[str, list[Discovered]] = {}
    for item in items:
        if item.group is not None and not item.skipped:
            groups.setdefault(item.group, []).append(item)
    return groups


def _kept(done: list[tuple[Any, _Machine | None]]) -> dict[str, _Machine]:
    """The machines kept for their template's rewrite, by name (unique in a batch)."""
    return {record.name: machine for record, machine in done if machine is not None}


def _check_rewrites(items: list[Discovered], done: list, strict: bool) -> list[Checked]:
    """validate: what rewriting each template whose machines all translate would report (as
    ``convert`` does it, into a folder beside the template), one record per template."""
    groups = _groups(items)
    if not groups:
        return []
    from asl2durable.diagnostics import failing
    from asl2durable.rewrite import rewrite_template

    kept = _kept(done)
    out = []
    for group, members in groups.items():
        found = [kept.get(item.name) for item in members]
        if any(machine is None for machine in found) or found[0][0].template is None:
            continue  # a machine did not translate: its own record says why
        source = Path(members[0].display)
        machines = {
            item.resource or "": (translation, loaded.substitutions, source.parent / group / loaded.name)
            for item, (loaded, translation) in zip(members, found)
        }
        try:
            _, diagnostics = rewrite_template(found[0][0].template, machines, source.parent, source.parent / group)
        except Exception as e:  # noqa: BLE001 - one bad template must not stop the batch
            diagnostics = [_internal_error(e)]
        diagnostics = found[0][0].locate(diagnostics, in_definition=False)  # at their lines in the template
        out.append(Checked(str(source), group, not failing(diagnostics, strict=strict), diagnostics, kind="template"))
    return out


def _rewrite_templates(items: list[Discovered], done: list, outdir: Path, force: bool) -> list[Converted]:
    """Write ``OUTDIR/<template>/template.yaml`` for each input template whose machines all converted."""
    from asl2durable.diagnostics import Diagnostic

    kept = _kept(done)
    out = []
    for group, members in _groups(items).items():
        machines: dict[str, tuple] = {}
        problems = []
        template = None
        for item in members:
            if item.name not in kept:
                problems.append(Diagnostic(
                    "/Resources/" + (item.resource or ""), "TEMPLATE_NOT_REWRITTEN",
                    f"{item.resource} did not convert, so the template is not rewritten",
                ))
                continue
            loaded, translation, machine_folder = kept[item.name]
            template = loaded.template
            machines[item.resource or ""] = (translation, loaded.substitutions, machine_folder)
        record = Converted(members[0].display, group, None, problems, kind="template")
        if not problems and template is not None:
            _rewrite_into(record, template, machines, outdir, force)
        out.append(record)
    return out


def _rewrite_into(record: Converted, template: dict, machines: dict, outdir: Path, force: bool) -> None:
    """Write the rewritten template and its MIGRATION.md into ``outdir/<record.name>/``, and
    note the outcome in ``record``."""
    source = Path(record.source)
    try:
        from asl2durable.rewrite import render_migration, render_rewritten, rewrite

        rewritten = rewrite(template, machines, source.parent, outdir / record.name)
        record.diagnostics = rewritten.diagnostics
        files = {
            "template.yaml": render_rewritten(rewritten.template, source.name),
            "MIGRATION.md": render_migration(rewritten, source.name),
        }
        written, outcome, problem = _write_folder(outdir, record.name, files, force)
        if problem is not None:
            record.diagnostics = [*record.diagnostics, problem]
        else:
            record.output, record.outcome = written / "template.yaml", outcome
    except Exception as e:  # noqa: BLE001 - one bad template must not stop the batch
        record.diagnostics = [_internal_error(e)]


# --------------------------------------------------------------------------------------
# report, and the behaviour check from sample inputs (--inputs)


def report_batch(
    inputs: Inputs, outdir: Path | None, *, formats: Sequence[str] = (), inputs_dir: Path | None = None,
    lambdas: dict | None = None, aws_seed: dict | None = None, prices: Prices | None = None,
    memory_mb: int | None = None, workflow_type: str | None = None, substitutions: dict[str, str] | None = None,
    progress: Callable[[list], contextlib.AbstractContextManager[Iterable]] | None = None, note: Note | None = None,
) -> ReportResult:
    """Report what each input becomes, and write the report into ``outdir`` (None: not written)
    in ``formats`` (default: all). With ``inputs_dir``, each machine with sample inputs there
    (see ``machine_inputs``) is checked for behaviour and its cost estimated at ``prices``;
    ``aws_seed`` (not None) sends the translation's AWS calls to moto seeded with it.
    ``progress(todo)``: a context manager over the inputs (a progress bar), one at a time;
    ``note(text)``: told of each input skipped, and of each --inputs entry no machine has."""
    from asl2durable.report import FORMATS, INVALID, MachineReport, Report, write_report

    items = discover(inputs)
    _note_skipped(items, note)
    todo = [i for i in items if not i.skipped]
    for unknown in unused_inputs(inputs_dir, {i.name for i in todo}) if inputs_dir is not None and note else ():
        note(f"note: {unknown} is not the inputs of any machine (NAME.json or NAME/)")
    if prices is None:
        from asl2durable.pricing import DEFAULT as prices
    read = 0
    machines = []
    with (progress or contextlib.nullcontext)(todo) as batch:
        for item in batch:
            try:
                loaded = load_item(item, substitutions or {})
                read += loaded.definition is not None
                machine = _report_one(item, loaded, workflow_type)
                if inputs_dir is not None:
                    _check_behaviour(machine, loaded, inputs_dir, lambdas=lambdas, seed=aws_seed, prices=prices,
                                     memory_mb=memory_mb, workflow_type_option=workflow_type)
            except Exception as e:  # noqa: BLE001 - one bad input must not stop the batch
                machine = MachineReport(item.name, item.display, INVALID, [_internal_error(e)])
            machines.append(machine)
    result = ReportResult(Report(machines, [(s.source, s.reason) for s in _skipped(items)]), read,
                          behaviour=inputs_dir is not None)
    if outdir is not None:
        try:
            result.written = write_report(result.report, outdir, tuple(formats) or FORMATS)
        except OSError as e:
            result.not_written = e
    return result


def _report_one(item: Discovered, loaded: Loaded, option: str | None) -> MachineReport:
    from asl2durable.report import machine_report

    if loaded.definition is None:
        return machine_report(item.name, loaded.source, loaded.diagnostics, None)
    from asl2durable.translate import translate_loaded

    outcome = translate_loaded(loaded, workflow_type=option_type(option, loaded))
    return machine_report(item.name, loaded.source, outcome.diagnostics, outcome.translation)


def machine_inputs(folder: Path, name: str) -> list | None:
    """The sample inputs of machine ``name`` in ``folder``: the JSON array in ``NAME.json``, then
    one input per ``NAME/*.json`` file (sorted by file name). None when neither exists.
    Raises ValueError when a file cannot be read, is not JSON, or ``NAME.json`` is not an array."""
    found = False
    inputs: list = []
    array = folder / f"{name}.json"
    if array.is_file():
        found = True
        value = _read_json(array)
        if not isinstance(value, list):
            raise ValueError(f"{array} is not a JSON array of inputs")
        inputs += value
    each = folder / name
    if each.is_dir():
        found = True
        inputs += [_read_json(path) for path in sorted(each.glob("*.json")) if path.is_file()]
    return inputs if found else None


def unused_inputs(folder: Path, names: set[str]) -> list[Path]:
    """The entries of an --inputs folder that name no machine (hidden ones left out)."""
    unused = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        name = entry.name.removesuffix(".json") if entry.is_file() else entry.name
        if name not in names or (entry.is_file() and entry.suffix != ".json"):
            unused.append(entry)
    return unused


def workflow_type(loaded: Loaded) -> str:
    """STANDARD or EXPRESS: a template machine's ``StateMachineType`` (CloudFormation) or
    ``Type`` (SAM) property; else what the loader read (a Terraform ``type``, a description's
    ``type``); a definition file says nothing, so STANDARD."""
    if loaded.template is None or loaded.resource is None:
        return loaded.workflow_type or "STANDARD"
    resource = (loaded.template.get("Resources") or {}).get(loaded.resource) or {}
    props = resource.get("Properties") if isinstance(resource, dict) else None
    if not isinstance(props, dict):
        return "STANDARD"
    value = props.get("StateMachineType", props.get("Type"))
    return value.upper() if isinstance(value, str) and value.upper() in ("STANDARD", "EXPRESS") else "STANDARD"


_machine_type = workflow_type  # for the functions whose parameter has the name


def _check_behaviour(
    machine: MachineReport, loaded: Loaded, inputs_dir: Path, *, lambdas: dict | None, seed: dict | None, prices: Prices,
    memory_mb: int | None = None, workflow_type_option: str | None = None,
) -> None:
    """Fill ``machine.comparisons`` and ``machine.cost`` from the machine's inputs, if it has any.
    A failure becomes one "could not compare" comparison with the reason; it never raises."""
    from asl2durable.behaviour import Comparison, check
    from asl2durable.pricing import estimate

    try:
        inputs = machine_inputs(inputs_dir, machine.name)
    except ValueError as e:
        machine.comparisons = [Comparison(None, "could not compare", f"inputs: {e}")]
        return
    if inputs is None:
        return
    if loaded.definition is None:
        reason = "the definition could not be read"
        machine.comparisons = [Comparison(value, "could not compare", reason) for value in inputs]
    else:
        try:
            machine.comparisons = check(loaded.definition, inputs, lambdas=lambdas, seed=seed, name=machine.name)
        except Exception as e:  # noqa: BLE001 - one machine's check must not stop the batch
            reason = f"internal error: {type(e).__name__}: {e}"
            machine.comparisons = [Comparison(value, "could not compare", reason) for value in inputs]
    from asl2durable.deploy import MEMORY_MB

    definition_bytes = len(json.dumps(loaded.definition).encode("utf-8")) if loaded.definition is not None else 0
    machine.cost = estimate(
        machine.comparisons, prices, workflow_type=(workflow_type_option or _machine_type(loaded)).upper(),
        memory_mb=memory_mb or MEMORY_MB,
        definition_bytes=definition_bytes,
    )
