"""Command line: ``asl2durable validate | convert | report | run``.

Wiring only: the work is done by loader, validate, translate, writer, report and local.
Exit codes: 0 success, 1 an input is invalid / failed / did not succeed, 2 usage error.
Expected failures never show a traceback.

Start-up time counts (``--help``, one file): this module imports only click and small parts of
the standard library; each command imports the pipeline modules it uses when it runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.loader import Discovered, Loaded
    from asl2durable.pricing import Prices
    from asl2durable.report import MachineReport

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report as text lines or as one JSON document.",
)


WORKFLOW_TYPE_OPTION = click.option(
    "--workflow-type",
    type=click.Choice(["standard", "express"], case_sensitive=False),
    default=None,
    help="The state machine's type when the input does not say (a template does): STANDARD runs each "
    "Task's call at most once per attempt, EXPRESS at least once. Default: the template's, else standard.",
)
STRICT_OPTION = click.option(
    "--strict",
    is_flag=True,
    help="A WARNING fails an input too, as an ERROR does.",
)


def _substitution_options(command: Callable) -> Callable:
    """``--substitute NAME=VALUE`` (repeatable) and ``--substitutions FILE.json``: values for the
    definition's ``${NAME}`` placeholders, as a template's DefinitionSubstitutions give them."""
    command = click.option(
        "--substitutions",
        "substitutions_file",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE.json",
        help="Values for ${NAME} placeholders: a JSON object of NAME: string, number or boolean.",
    )(command)
    return click.option(
        "--substitute",
        "substitute",
        multiple=True,
        metavar="NAME=VALUE",
        help="The value of the definition's ${NAME} placeholder (the text substituted, as "
        "DefinitionSubstitutions does); over --substitutions and a template's values. Repeatable.",
    )(command)


def _substitution_values(substitute: tuple[str, ...], file: Path | None) -> dict[str, str]:
    """The placeholder values ``--substitutions`` and ``--substitute`` give (the latter win)."""
    from asl2durable import cfn

    values: dict[str, str] = {}
    if file is not None:
        try:
            document = _read_json(file)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--substitutions") from None
        if not isinstance(document, dict):
            raise click.BadParameter(f"{file} must hold a JSON object of NAME: value", param_hint="--substitutions")
        for name, value in document.items():
            text = cfn.Substitution(name, value).literal
            if text is None or value is None:
                raise click.BadParameter(
                    f"{file}: the value of {name} must be a string, number or boolean", param_hint="--substitutions"
                )
            values[name] = text
    for spec in substitute:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{spec!r} is not NAME=VALUE", param_hint="--substitute")
        values[name] = value
    return values


def _jobs_option(verb: str) -> Callable:
    """``-j/--jobs N``: how many processes work on the inputs; one per CPU unless told (as
    black and ruff do). One input, or ``-j 1``, runs in this process."""
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=0),
        default=0,
        show_default="one per CPU",
        help=f"{verb} in this many parallel processes (0: one per CPU; 1: in this process); the output is the same.",
    )


def _output_option(help: str) -> Callable:
    """``-o/--output OUTDIR``: a folder, required."""
    return click.option(
        "-o", "--output", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path), help=help
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asl2durable")
def main() -> None:
    """Translate AWS Step Functions (Amazon States Language) state machines into
    AWS Lambda durable function handlers."""


# --------------------------------------------------------------------------------------
# helpers


def _discover(paths: tuple[str, ...]) -> list[Discovered]:
    from asl2durable.loader import discover

    try:
        return discover(paths)
    except FileNotFoundError as e:
        raise click.BadParameter(str(e), param_hint="PATH") from None


def _internal_error(e: BaseException) -> Diagnostic:
    from asl2durable.diagnostics import Diagnostic, Severity

    return Diagnostic("", "INTERNAL_ERROR", f"{type(e).__name__}: {e}", Severity.ERROR)


def _echo_records(records: list[dict]) -> None:
    """Print records as one JSON document (keys starting with "_" are internal)."""
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in records]
    click.echo(json.dumps(public, indent=2, default=str))


def _echo_diagnostics(source: str, diagnostics: list[Diagnostic], *, err: bool = False) -> None:
    """One line each: ``FILE:LINE:COLUMN: SEVERITY CODE at POINTER: message`` where the input was
    text and the pointer is found in it (FILE: the file it is in), else ``SOURCE: ...``."""
    for d in diagnostics:
        click.echo(f"{d.position or source}: {d}", err=err)


def _skipped_record(item: Discovered, **extra: object) -> dict:
    return {
        "source": item.display,
        "name": item.name,
        **extra,
        "skipped": True,
        "reason": item.reason,
        "diagnostics": [],
    }


def _note_skipped(items: list[Discovered], fmt: str) -> None:
    if fmt == "text":
        for item in items:
            if item.skipped:
                click.echo(f"note: skipped {item.display}: {item.reason}", err=True)
        if not any(not i.skipped for i in items):
            click.echo("note: no state machine definitions found", err=True)


def load(source: Any, **kwargs: Any) -> Loaded:
    """``loader.load``, imported on the first call (the tests replace this name)."""
    from asl2durable.loader import load as load_input

    return load_input(source, **kwargs)


def _load(item: Discovered, substitute: dict[str, str] | None = None) -> Loaded:
    return load(item.source, name=item.name, resource=item.resource, substitute=substitute)


def _each(
    items: list[Discovered],
    process: Callable[[Discovered], dict],
    failed: Callable[[Discovered, Diagnostic], dict],
    jobs: int = 1,
) -> list[dict]:
    """Process every input; an unexpected exception fails that input only.

    ``jobs`` > 1 (0: one per CPU) runs ``process`` in that many forked worker processes; the
    records come back in input order, as with one job (``process`` and its records must not
    print, and records must pickle)."""
    todo = [item for item in items if not item.skipped]

    def one(item: Discovered) -> dict:
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


_WORKER_TASK: Callable[[Discovered], dict] | None = None


def _run_worker_task(item: Discovered) -> dict:
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
# validate


@main.command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@FORMAT_OPTION
@_jobs_option("Check")
@WORKFLOW_TYPE_OPTION
@STRICT_OPTION
@_substitution_options
def validate(
    paths: tuple[str, ...], fmt: str, jobs: int, workflow_type: str | None, strict: bool,
    substitute: tuple[str, ...], substitutions_file: Path | None,
) -> None:
    """Check state machine definitions (files, folders, or inline JSON).

    Reports every ERROR, WARNING and INFO that convert reports for each state machine (the
    same pipeline, stopping before the code is rendered, and writing nothing), and for each
    template the rewrite's; in text,
    each at FILE:LINE:COLUMN where the input is a text file. Exits 0 when every input is valid,
    1 when any is invalid: has an ERROR, or with --strict a WARNING.
    """
    from asl2durable.diagnostics import failing
    from asl2durable.translate import translate_loaded

    values = _substitution_values(substitute, substitutions_file)
    items = _discover(paths)
    _note_skipped(items, fmt)

    def process(item: Discovered) -> dict:
        loaded = _load(item, values)
        outcome = translate_loaded(loaded, workflow_type=_workflow_type(workflow_type, loaded), render=False)
        valid = loaded.definition is not None and not failing(outcome.diagnostics, strict=strict)
        record = _validate_record(item, loaded.source, valid, outcome.diagnostics)
        if item.group is not None and outcome.translation is not None and outcome.translation.ok:
            record["_machine"] = (loaded, outcome.translation)  # for the template's rewrite
        return record

    def failed(item: Discovered, d: Diagnostic) -> dict:
        return _validate_record(item, item.display, False, [d])

    records = _each(items, process, failed, jobs)
    records += _check_rewrites(items, records, strict)

    if fmt == "json":
        _echo_records([*records, *(_skipped_record(i, valid=None) for i in items if i.skipped)])
    else:
        for record in records:
            _echo_diagnostics(record["source"] + (" (template)" if record.get("kind") else ""), record["_diagnostics"])
        machines = [r for r in records if not r.get("kind")]
        n_invalid = sum(not r["valid"] for r in machines)
        summary = f"{len(machines)} checked: {len(machines) - n_invalid} valid, {n_invalid} invalid"
        n_skipped = sum(i.skipped for i in items)
        if n_skipped:
            summary += f", {n_skipped} skipped"
        templates = [r for r in records if r.get("kind")]
        if templates:
            n_bad = sum(not r["valid"] for r in templates)
            summary += f"; {len(templates)} template rewrite{'s' if len(templates) > 1 else ''} checked, {n_bad} invalid"
        click.echo(summary)
    sys.exit(1 if any(not r["valid"] for r in records) else 0)


def _check_rewrites(items: list[Discovered], records: list[dict], strict: bool) -> list[dict]:
    """validate: what rewriting each template whose machines all translate would report (as
    ``convert`` does it, into a folder beside the template), one record per template; nothing
    is written."""
    groups: dict[str, list[Discovered]] = {}
    for item in items:
        if item.group is not None and not item.skipped:
            groups.setdefault(item.group, []).append(item)
    if not groups:
        return []
    from asl2durable.diagnostics import failing
    from asl2durable.rewrite import rewrite_template

    by_name = {r["name"]: r for r in records}
    out = []
    for group, members in groups.items():
        found = [by_name.get(item.name, {}).get("_machine") for item in members]
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
        record = _validate_record(members[0], str(source), not failing(diagnostics, strict=strict), diagnostics)
        record.update(name=group, kind="template")
        out.append(record)
    return out


def _validate_record(item: Discovered, source: str, valid: bool, diagnostics: list[Diagnostic]) -> dict:
    return {
        "source": source,
        "name": item.name,
        "valid": valid,
        "skipped": False,
        "diagnostics": [d.to_dict() for d in diagnostics],
        "_diagnostics": diagnostics,
    }


# --------------------------------------------------------------------------------------
# convert


@main.command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@_output_option("Folder to write into; each state machine goes to OUTDIR/<name>/.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace output folders that already exist with other content (default: refuse, OUTPUT_EXISTS).",
)
@FORMAT_OPTION
@_jobs_option("Convert")
@WORKFLOW_TYPE_OPTION
@STRICT_OPTION
@_substitution_options
@click.option(
    "--history", "histories", multiple=True, type=click.Path(path_type=Path), metavar="DIR_OR_FILE",
    help="Recorded executions of the (one) state machine converted (get-execution-history's JSON; a folder: "
    "every *.json in it): each becomes a test in test_handler.py that answers every call as recorded and "
    "asserts the calls' payloads, the attempts and the end. Repeatable.",
)
def convert(
    paths: tuple[str, ...], outdir: Path, fmt: str, force: bool, jobs: int, workflow_type: str | None, strict: bool,
    substitute: tuple[str, ...], substitutions_file: Path | None, histories: tuple[Path, ...],
) -> None:
    """Translate state machine definitions into durable function handlers.

    Each OUTDIR/<name>/ is written atomically. An existing folder with other content is
    left alone (OUTPUT_EXISTS) unless --force; one that already holds exactly the new
    output is left as it is. An input with an ERROR (with --strict, or a WARNING) is not
    written. Exits 0 when every input converted, 1 when any failed (the others are still
    written; the failures are listed again at the end).
    """
    from asl2durable.diagnostics import Diagnostic, Severity, failing

    values = _substitution_values(substitute, substitutions_file)
    items = _discover(paths)
    recordings = _recordings(histories, items)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        click.echo(f"Error: cannot create output folder {outdir}: {e.strerror or e}", err=True)
        sys.exit(1)
    _note_skipped(items, fmt)

    def process(item: Discovered) -> dict:
        from asl2durable.translate import translate_loaded

        loaded = _load(item, values)
        result = translate_loaded(loaded, workflow_type=_workflow_type(workflow_type, loaded))
        translation, diagnostics = result.translation, result.diagnostics
        if translation is None or failing(diagnostics, strict=strict):
            return _convert_record(item, loaded.source, None, diagnostics)
        files = translation.files
        if recordings:
            from asl2durable.recorded import with_recorded

            files, skipped = with_recorded(translation, loaded.definition, recordings)
            diagnostics = [*diagnostics, *(Diagnostic("", "HISTORY_NOT_TESTED", note, Severity.WARNING) for note in skipped)]
        folder, outcome, problem = _write_folder(outdir, translation.name, files, force)
        if problem is not None:
            return _convert_record(item, loaded.source, None, [*diagnostics, problem])
        record = _convert_record(item, loaded.source, folder, diagnostics)
        record["_outcome"] = outcome
        if item.group is not None:  # kept for rewriting the template
            record["_machine"] = (loaded, translation, Path(folder))
        return record

    def failed(item: Discovered, d: Diagnostic) -> dict:
        return _convert_record(item, item.display, None, [d])

    records = _each(items, process, failed, jobs)
    templates = _rewrite_templates(items, records, outdir, force)

    if fmt == "json":
        _echo_records(
            [*records, *templates, *(_skipped_record(i, converted=None, output=None) for i in items if i.skipped)]
        )
    else:
        for record in [*records, *templates]:
            if record["converted"]:
                what = "template rewritten" if record.get("kind") == "template" else "converted"
                note = {"unchanged": " (unchanged)", "replaced": " (replaced)"}.get(record.get("_outcome", ""), "")
                click.echo(f"{record['source']}: {what} -> {record['output']}{note}")
            else:
                what = "template not rewritten" if record.get("kind") == "template" else "failed"
                click.echo(f"{record['source']}: {what}")
            for d in record["_diagnostics"]:
                click.echo(f"  {d.position}: {d}" if d.position else f"  {d}")
        n_ok = sum(r["converted"] for r in records)
        summary = f"{n_ok} of {len(records)} converted"
        n_skipped = sum(i.skipped for i in items)
        if n_skipped:
            summary += f", {n_skipped} skipped"
        if templates:
            summary += f"; {sum(t['converted'] for t in templates)} of {len(templates)} templates rewritten"
        click.echo(summary)
        _echo_failures([r for r in [*records, *templates] if not r["converted"]], strict)
    sys.exit(0 if all(r["converted"] for r in [*records, *templates]) else 1)


def _recordings(histories: tuple[Path, ...], items: list) -> list:
    """The executions ``--history`` names (none: []); a file that is not a history, or more than
    one state machine to convert, is a usage error."""
    if not histories:
        return []
    from asl2durable.recorded import HistoryError, load

    machines = [item for item in items if not item.skipped]
    if len(machines) != 1:
        raise click.BadParameter(
            f"recorded executions belong to one state machine; {len(machines)} were given", param_hint="--history"
        )
    try:
        return load(histories)
    except HistoryError as e:
        raise click.BadParameter(str(e), param_hint="--history") from None


def _echo_failures(failed: list[dict], strict: bool = False) -> None:
    """The end-of-batch list of every input that was not written, with its errors (stderr)."""
    if not failed:
        return
    from asl2durable.diagnostics import failing

    click.echo(f"error: {len(failed)} input{'s' if len(failed) != 1 else ''} not converted:", err=True)
    for record in failed:
        what = " (template)" if record.get("kind") == "template" else ""
        errors = failing(record["_diagnostics"], strict=strict) or record["_diagnostics"]
        first = f": {errors[0].code}: {errors[0].message}" if errors else ""
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        click.echo(f"  {record['source']}{what}{first}{more}", err=True)


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


def _rewrite_templates(items: list[Discovered], records: list[dict], outdir: Path, force: bool) -> list[dict]:
    """Write ``OUTDIR/<template>/template.yaml`` for each input template whose machines all converted."""
    from asl2durable.diagnostics import Diagnostic

    groups: dict[str, list[Discovered]] = {}
    for item in items:
        if item.group is not None and not item.skipped:
            groups.setdefault(item.group, []).append(item)
    by_name = {r["name"]: r for r in records}  # machine names are unique in a batch
    out = []
    for group, members in groups.items():
        source = members[0].display
        folder = outdir / group
        machines: dict[str, tuple] = {}
        problems = []
        template = None
        for item in members:
            record = by_name.get(item.name)
            if record is None or "_machine" not in record:
                problems.append(Diagnostic(
                    "/Resources/" + (item.resource or ""), "TEMPLATE_NOT_REWRITTEN",
                    f"{item.resource} did not convert, so the template is not rewritten",
                ))
                continue
            loaded, translation, machine_folder = record["_machine"]
            template = loaded.template
            machines[item.resource or ""] = (translation, loaded.substitutions, machine_folder)
        record = {
            "source": source, "name": group, "kind": "template", "converted": False, "output": None,
            "skipped": False,
        }
        diagnostics = problems
        if not problems and template is not None:
            try:
                from asl2durable.rewrite import render_migration, render_rewritten, rewrite

                rewritten = rewrite(template, machines, Path(source).parent, folder)
                diagnostics = rewritten.diagnostics
                files = {
                    "template.yaml": render_rewritten(rewritten.template, Path(source).name),
                    "MIGRATION.md": render_migration(rewritten, Path(source).name),
                }
                written, outcome, problem = _write_folder(outdir, group, files, force)
                if problem is not None:
                    diagnostics = [*diagnostics, problem]
                else:
                    record.update(converted=True, output=str(written / "template.yaml"), _outcome=outcome)
            except Exception as e:  # noqa: BLE001 - one bad template must not stop the batch
                diagnostics = [_internal_error(e)]
        record["diagnostics"] = [d.to_dict() for d in diagnostics]
        record["_diagnostics"] = diagnostics
        out.append(record)
    return out


def _convert_record(item: Discovered, source: str, folder: Path | None, diagnostics: list[Diagnostic]) -> dict:
    return {
        "source": source,
        "name": item.name,
        "converted": folder is not None,
        "output": str(folder) if folder is not None else None,
        "skipped": False,
        "diagnostics": [d.to_dict() for d in diagnostics],
        "_diagnostics": diagnostics,
    }


# --------------------------------------------------------------------------------------
# options shared by report and run


def _parse_input(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    where = "the value"
    text = value
    if value.startswith("@"):
        name = value[1:]
        where = "stdin" if name == "-" else name
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                text = Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise click.BadParameter(f"cannot read {name}: {getattr(e, 'strerror', None) or e}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise click.BadParameter(f"{where} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


def _parse_seed(ctx: click.Context, param: click.Parameter, value: str | None) -> dict | None:
    if value is None:
        return None
    from asl2durable.aws_local import load_seed

    try:
        return load_seed(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


LAMBDA_OPTION = click.option(
    "--lambda",
    "lambda_specs",
    metavar="NAME_OR_ARN=FILE.py[:FUNCTION]",
    multiple=True,
    help="Serve invocations of a Lambda function with a local Python function (repeatable).",
)
AWS_OPTION = click.option(
    "--aws",
    type=click.Choice(["none", "moto"]),
    default="none",
    show_default=True,
    help="Where AWS service calls go: nowhere special, or moto's in-process emulation (needs moto).",
)
SEED_OPTION = click.option(
    "--seed",
    metavar="FILE|@FILE|JSON",
    callback=_parse_seed,
    help="With --aws moto: resources to create first (buckets, tables, queues, topics, secrets, activities).",
)


def _workflow_type(option: str | None, loaded: Any) -> str | None:
    """STANDARD or EXPRESS: --workflow-type, else what the input says, else None (not known)."""
    return option.upper() if option else loaded.workflow_type


def _lambdas(lambda_specs: tuple[str, ...]) -> dict | None:
    """The --lambda functions (None: none given); a bad spec is a usage error."""
    if not lambda_specs:
        return None
    from asl2durable.local import lambdas_from_specs

    try:
        return lambdas_from_specs(list(lambda_specs))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--lambda") from None
    except Exception as e:  # noqa: BLE001 - e.g. the handler file does not import
        raise click.BadParameter(f"{type(e).__name__}: {e}", param_hint="--lambda") from None


def _check_seed(aws: str, seed: dict | None) -> None:
    if seed is not None and aws != "moto":
        raise click.BadParameter("a seed needs --aws moto", param_hint="--seed")


# --------------------------------------------------------------------------------------
# report


@main.command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@_output_option("Folder to write the report into: index.html and machines/*.html, report.json, report.md.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(["html", "json", "md"]),
    multiple=True,
    help="Write only this format (repeatable); all three by default.",
)
@click.option(
    "--inputs",
    "inputs_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of sample execution inputs, per machine: NAME.json (a JSON array of inputs) and/or "
    "NAME/*.json (one input per file). NAME is the machine's name in the report: a definition file's "
    "name without its .asl/.json/.yaml suffixes, or TEMPLATE-LOGICALID for a template's machine. Each machine "
    "with inputs is run on them on moto's Step Functions interpreter and as its translation, "
    "compared, and its cost estimated; a machine without inputs gets no behaviour check.",
)
@LAMBDA_OPTION
@AWS_OPTION
@SEED_OPTION
@click.option(
    "--price-transition",
    type=click.FloatRange(min=0),
    metavar="USD_PER_1000",
    help="Step Functions Standard price per 1,000 state transitions (default: 0.025).",
)
@click.option(
    "--price-operation",
    type=click.FloatRange(min=0),
    metavar="USD_PER_MILLION",
    help="Lambda durable functions price per million durable operations (default: 8.00).",
)
@click.option(
    "--price-request",
    type=click.FloatRange(min=0),
    metavar="USD_PER_MILLION",
    help="Lambda price per million requests (default: 0.20).",
)
@click.option(
    "--price-compute",
    type=click.FloatRange(min=0),
    metavar="USD_PER_GB_SECOND",
    help="Lambda price per GB-second of duration (default: 0.0000166667).",
)
@click.option(
    "--memory",
    "memory_mb",
    type=click.IntRange(128, 10_240),
    metavar="MB",
    help="The durable function's memory size, for its compute cost (default: 128, what the generated "
    "template gives it: Lambda's default).",
)
@WORKFLOW_TYPE_OPTION
@_substitution_options
def report(
    paths: tuple[str, ...], outdir: Path, formats: tuple[str, ...], inputs_dir: Path | None,
    lambda_specs: tuple[str, ...], aws: str, seed: dict | None, price_transition: float | None,
    price_operation: float | None, price_request: float | None, price_compute: float | None,
    memory_mb: int | None, workflow_type: str | None, substitute: tuple[str, ...], substitutions_file: Path | None,
) -> None:
    """Report what each state machine becomes: status, durable operations, diagnostics, and
    where each state's code is in the generated handler; then the blockers across the batch.

    With --inputs, each machine that has sample inputs is also checked for behaviour (the
    original definition on moto's Step Functions interpreter against the translation in the
    durable SDK's local runner, per input: same, differs, or could not compare) and its cost
    estimated from those runs, each side with its parts: Step Functions billed state transitions
    (STANDARD) or requests and duration x memory (EXPRESS) against the durable function's
    operations, requests, compute (the measured duration of each invocation x --memory), data
    written and data retained, per execution and per million executions, at the --price-...
    prices (list prices by default). --lambda, --aws and --seed are as for run; the interpreter
    always runs in moto, and --aws moto sends the translation's AWS calls to moto too.

    Exits 0 when the report is written (invalid machines are rows of it), 1 when no input
    could be read.
    """
    from asl2durable.report import (
        FORMATS,
        INVALID,
        MachineReport,
        Report,
        machine_report,
        write_report,
    )

    _check_seed(aws, seed)
    values = _substitution_values(substitute, substitutions_file)
    lambdas = _lambdas(lambda_specs) if inputs_dir is not None else None
    from asl2durable.pricing import DEFAULT

    prices = DEFAULT.replace(
        transition=price_transition, operation=price_operation, request=price_request, compute=price_compute
    )
    if seed is None and aws == "moto":
        seed = {}  # behaviour.check: an empty seed still runs the translation against moto
    items = _discover(paths)
    _note_skipped(items, "text")
    todo = [i for i in items if not i.skipped]
    if inputs_dir is not None:
        for unknown in _unused_inputs(inputs_dir, {i.name for i in todo}):
            click.echo(f"note: {unknown} is not the inputs of any machine (NAME.json or NAME/)", err=True)

    read = 0  # inputs whose definition was read

    def process(item: Discovered) -> MachineReport:
        nonlocal read
        loaded = _load(item, values)
        if loaded.definition is None:
            machine = machine_report(item.name, loaded.source, loaded.diagnostics, None)
        else:
            read += 1
            from asl2durable.translate import translate_loaded

            outcome = translate_loaded(loaded, workflow_type=_workflow_type(workflow_type, loaded))
            machine = machine_report(item.name, loaded.source, outcome.diagnostics, outcome.translation)
        if inputs_dir is not None:
            _check_behaviour(
                machine, loaded, inputs_dir, lambdas=lambdas, seed=seed, prices=prices, memory_mb=memory_mb,
                workflow_type_option=workflow_type,
            )
        return machine

    machines = []
    with click.progressbar(todo, label="Reporting", file=sys.stderr, hidden=len(todo) <= 1) as batch:
        for item in batch:
            try:
                machines.append(process(item))
            except Exception as e:  # noqa: BLE001 - one bad input must not stop the batch
                machines.append(MachineReport(item.name, item.display, INVALID, [_internal_error(e)]))
    result = Report(machines, [(i.display, i.reason or "") for i in items if i.skipped])
    try:
        written = write_report(result, outdir, formats or FORMATS)
    except OSError as e:
        click.echo(f"Error: cannot write the report to {outdir}: {e.strerror or e}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{n} {status}" for status, n in result.statuses().items())
    summary = f"{len(machines)} state machines: {counts}"
    if inputs_dir is not None:
        from asl2durable.behaviour import verdict_counts

        verdicts = verdict_counts(c for m in machines for c in m.comparisons)
        summary += "; behaviour: " + ", ".join(f"{n} {verdict}" for verdict, n in verdicts.items())
    click.echo(f"{summary} -> {', '.join(map(str, written))}")
    sys.exit(0 if read else 1)


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


def _unused_inputs(folder: Path, names: set[str]) -> list[Path]:
    """The entries of an --inputs folder that name no machine (hidden ones left out)."""
    unused = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        name = entry.name.removesuffix(".json") if entry.is_file() else entry.name
        if name not in names or (entry.is_file() and entry.suffix != ".json"):
            unused.append(entry)
    return unused


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


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
        machine.comparisons, prices, workflow_type=(workflow_type_option or workflow_type(loaded)).upper(),
        memory_mb=memory_mb or MEMORY_MB,
        definition_bytes=definition_bytes,
    )


# --------------------------------------------------------------------------------------
# run


@main.command()
@click.argument("path", metavar="PATH")
@click.option(
    "--input",
    "input_",
    metavar="JSON|@FILE",
    callback=_parse_input,
    help="Execution input: JSON text, @file to read it from a file, or @- for stdin.",
)
@LAMBDA_OPTION
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Give up after this long (status TIMED_OUT).",
)
@AWS_OPTION
@SEED_OPTION
@click.option(
    "--resource",
    metavar="LOGICAL_ID",
    help="With a template as PATH: the logical ID of the state machine to run (a serverless.yml: its key in "
    "stepFunctions.stateMachines; a Terraform file: "
    "aws_sfn_state_machine.NAME or module.NAME).",
)
@WORKFLOW_TYPE_OPTION
@_substitution_options
def run(
    path: str,
    input_: object,
    lambda_specs: tuple[str, ...],
    timeout: float,
    aws: str,
    seed: dict | None,
    resource: str | None,
    workflow_type: str | None,
    substitute: tuple[str, ...],
    substitutions_file: Path | None,
) -> None:
    """Run a state machine locally through its translated durable handler.

    PATH is a definition file (or inline JSON), or a CloudFormation/SAM template (--resource
    picks the machine when it has several). Prints one JSON object with the status and the
    output (or error and cause). Exits 0 when the execution SUCCEEDED, 1 otherwise.
    """
    try:
        is_folder = Path(path).is_dir()
    except OSError:  # inline JSON longer than a file name can be (ENAMETOOLONG)
        is_folder = False
    if is_folder:
        raise click.BadParameter(f"{path} is a folder; run takes one definition file", param_hint="PATH")
    items = [i for i in _discover((path,)) if not i.skipped]
    if resource is not None:
        items = [i for i in items if i.resource == resource]
        if not items:
            raise click.BadParameter(f"{path} has no state machine {resource}", param_hint="--resource")
    elif len(items) > 1:
        ids = ", ".join(str(i.resource) for i in items)
        raise click.BadParameter(f"{path} has several state machines ({ids}): pick one with --resource", param_hint="PATH")

    _check_seed(aws, seed)
    from asl2durable.diagnostics import has_errors

    try:
        from asl2durable.local import TranslationFailed, run_local
    except ImportError as e:
        click.echo(f"Error: the local runner is not available: {e}", err=True)
        sys.exit(1)

    lambdas = _lambdas(lambda_specs)

    loaded = _load(items[0], _substitution_values(substitute, substitutions_file))
    if loaded.definition is None or has_errors(loaded.diagnostics):
        _echo_diagnostics(loaded.source, loaded.locate(loaded.diagnostics, in_definition=False), err=True)
        sys.exit(1)

    seconds: float | int = int(timeout) if float(timeout).is_integer() else timeout
    with contextlib.ExitStack() as emulation:  # --aws moto: AWS calls go to moto while the run lasts
        if aws == "moto":
            from asl2durable.aws_local import moto_aws

            try:
                emulation.enter_context(moto_aws(seed))
            except RuntimeError as e:  # moto is not installed
                click.echo(f"Error: {e}", err=True)
                sys.exit(1)
            except Exception as e:  # noqa: BLE001 - moto refused a seeded resource
                raise click.BadParameter(
                    f"cannot create the seeded resources: {type(e).__name__}: {e}", param_hint="--seed"
                ) from None
        try:
            result = run_local(
                loaded, input_, lambdas=lambdas, timeout=seconds, workflow_type=_workflow_type(workflow_type, loaded)
            )
        except TranslationFailed as e:
            click.echo(f"{loaded.source}: cannot run, the definition does not translate", err=True)
            _echo_diagnostics(loaded.source, loaded.locate(getattr(e, "diagnostics", [])), err=True)
            sys.exit(1)
        except Exception as e:  # noqa: BLE001 - no tracebacks
            click.echo(f"Error: internal error while running {loaded.source}: {type(e).__name__}: {e}", err=True)
            sys.exit(1)

    if result.status == "SUCCEEDED":
        report = {"status": result.status, "output": result.output}
    else:
        report = {"status": result.status, "error": result.error, "cause": result.cause}
    click.echo(json.dumps(report, default=str))
    if result.status == "TIMED_OUT":
        # A Lambda function that overran the timeout may still be running in a worker thread,
        # and the process would wait for it (forever, if it never returns).
        _exit_now(1)
    sys.exit(0 if result.status == "SUCCEEDED" else 1)


@main.command()
@click.argument("path", metavar="DEFINITION")
@click.option(
    "--history",
    "histories",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="FILE|DIR",
    help="A recorded execution history as `aws stepfunctions get-execution-history` prints it "
    "(files NAME.page2.json... are pages of NAME.json), or a folder of them; repeatable.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: a list with one record per execution (history, verdict, divergence or reason).",
)
@click.option(
    "--ignore", "ignore", multiple=True, metavar="JSONPATH",
    help="Do not compare this path in any compared value (a state's input or output, a call's "
    "parameters, the output), e.g. $.timestamp or $..requestId; repeatable.",
)
@click.option(
    "--placeholders", is_flag=True,
    help="Each <...> token in a recorded value stands for any text (histories normalised with tokens).",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=60, show_default=True, metavar="SECONDS",
    help="Give up on one execution's run after this long (its verdict: could not compare).",
)
@click.option("--resource", metavar="LOGICAL_ID", help="With a template as DEFINITION: the state machine to verify.")
@AWS_OPTION
@SEED_OPTION
@_jobs_option("Verify the executions")
@WORKFLOW_TYPE_OPTION
@_substitution_options
def verify(
    path: str,
    histories: tuple[Path, ...],
    fmt: str,
    ignore: tuple[str, ...],
    placeholders: bool,
    timeout: float,
    resource: str | None,
    aws: str,
    seed: dict | None,
    jobs: int,
    workflow_type: str | None,
    substitute: tuple[str, ...],
    substitutions_file: Path | None,
) -> None:
    """Replay recorded executions on the translated handler and compare them state by state.

    Each execution runs locally on its recorded input with every Task answered as recorded;
    the states entered (per branch and iteration), their input and output, each call's
    parameters and attempts, and the end are compared. A Map's ItemReader and ResultWriter,
    which the history cannot answer, run in moto with --aws moto (--seed: the S3 objects).
    Exits 0 when every execution is the same, 1 when any differs or could not be compared,
    2 on a usage error.
    """
    from asl2durable.diagnostics import has_errors
    from asl2durable.verify import verify_all

    _check_seed(aws, seed)
    items = [i for i in _discover((path,)) if not i.skipped]
    if resource is not None:
        items = [i for i in items if i.resource == resource]
    if len(items) != 1:
        found = ", ".join(str(i.resource) for i in items) or "none"
        raise click.BadParameter(f"{path} must hold one state machine (found: {found}); pick one with --resource",
                                 param_hint="DEFINITION")
    loaded = _load(items[0], _substitution_values(substitute, substitutions_file))
    if loaded.definition is None or has_errors(loaded.diagnostics):
        _echo_diagnostics(loaded.source, loaded.locate(loaded.diagnostics, in_definition=False), err=True)
        sys.exit(1)
    try:
        summary = verify_all(
            loaded, histories, jobs=jobs or (os.cpu_count() or 1), ignore=ignore, placeholders=placeholders,
            timeout=timeout, workflow_type=_workflow_type(workflow_type, loaded),
            aws_seed=(seed or {}) if aws == "moto" else None,
        )
    except ValueError as e:  # a JSONPath --ignore cannot read
        raise click.BadParameter(str(e), param_hint="--ignore") from None
    if fmt == "json":
        click.echo(json.dumps([v.to_dict() for v in summary.verifications], indent=2, default=str))
    else:
        for v in summary.verifications:
            click.echo(str(v))
    click.echo(summary.line(), err=fmt == "json")
    sys.exit(summary.exit_code)


def _exit_now(code: int) -> None:
    """End the process without waiting for worker threads (the tests replace this)."""
    import logging

    logging.disable(logging.CRITICAL)  # the abandoned threads' SDK logs are noise now
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
