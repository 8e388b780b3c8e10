"""validate_batch and convert_batch: the per-input pipeline (load, validate, translate, write) and
each template's rewrite, checked (validate) or written beside its machines (convert)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asl2durable.batch.inputs import (
    Inputs,
    Note,
    discover,
    discover_noted,
    internal_error,
    load_item,
    note_skipped,
    option_type,
    recordings,
    skipped_inputs,
)
from asl2durable.batch.pool import each
from asl2durable.batch.results import Checked, Converted, ConvertResult, Failed, ValidateResult

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.load.loader import Discovered


# A machine kept for its template's rewrite: (loaded, translation[, folder written])
_Machine = tuple


def _validate_one(item: Discovered, values: dict, option: str | None, strict: bool) -> tuple[Checked, _Machine | None]:
    """validate: one input through convert's pipeline, stopping before the code is rendered."""
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
    """convert: one input translated (with its recorded executions as tests) and written."""
    from asl2durable.diagnostics import Diagnostic, Severity, failing
    from asl2durable.translate import translate_loaded

    loaded = load_item(item, values)
    result = translate_loaded(loaded, workflow_type=option_type(option, loaded))
    translation, diagnostics = result.translation, result.diagnostics
    if translation is None or failing(diagnostics, strict=strict):
        return Converted(loaded.source, item.name, None, diagnostics), None
    files = translation.files
    if recorded:
        from asl2durable.run.recorded import with_recorded

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


def validate_batch(
    inputs: Inputs, *, jobs: int = 1, workflow_type: str | None = None, strict: bool = False,
    substitutions: dict[str, str] | None = None, note: Note | None = None,
) -> ValidateResult:
    """What ``convert`` would report for each input (the same pipeline, stopping before the code
    is rendered), and for each template what rewriting it would; nothing is written.
    ``note(text)``: told of each input skipped (found in a folder, not a state machine)."""
    items = discover_noted(inputs, note)
    values = substitutions or {}
    done = each(
        items,
        lambda item: _validate_one(item, values, workflow_type, strict),
        lambda item, d: (Checked(item.display, item.name, False, [d]), None),
        jobs,
    )
    records = [record for record, _ in done]
    return ValidateResult([*records, *_check_rewrites(items, done, strict)], skipped_inputs(items))


def convert_batch(
    inputs: Inputs, outdir: Path | str, *, force: bool = False, jobs: int = 1, workflow_type: str | None = None,
    strict: bool = False, substitutions: dict[str, str] | None = None, histories: Iterable[Path] = (),
    note: Note | None = None,
) -> ConvertResult:
    """Translate each input into ``outdir/<name>/`` (written atomically; an existing folder with
    other content is left alone, OUTPUT_EXISTS, unless ``force``), and rewrite each template
    whose machines all converted into ``outdir/<template>/``. ``histories``: recorded executions
    of the one machine converted, each a test in its test_handler.py. Raises ``UsageError``
    before anything is done, and ``Failed`` when ``outdir`` cannot be created."""
    items = discover(inputs)
    recorded = recordings(histories, items)
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Failed(f"Error: cannot create output folder {outdir}: {e.strerror or e}") from None
    note_skipped(items, note)
    values = substitutions or {}
    done = each(
        items,
        lambda item: _convert_one(item, values, workflow_type, strict, outdir, force, recorded),
        lambda item, d: (Converted(item.display, item.name, None, [d]), None),
        jobs,
    )
    records = [record for record, _ in done]
    return ConvertResult(records, _rewrite_templates(items, done, outdir, force), skipped_inputs(items), strict)


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
    from asl2durable.render.rewrite import rewrite_template

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
            diagnostics = [internal_error(e)]
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
        from asl2durable.render.rewrite import render_migration, render_rewritten, rewrite

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
        record.diagnostics = [internal_error(e)]
