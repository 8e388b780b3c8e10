"""report_batch: what each input becomes, in a report; and with sample inputs (--inputs), each
machine's behaviour checked against moto's interpreter and its cost estimated."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from asl2durable.batch.inputs import (
    Inputs,
    Note,
    discover_noted,
    internal_error,
    load_item,
    option_type,
    read_json,
    skipped_inputs,
)
from asl2durable.batch.results import ReportResult

if TYPE_CHECKING:
    from asl2durable.load.loader import Discovered, Loaded
    from asl2durable.report.pricing import Prices
    from asl2durable.report.report import MachineReport


def report_batch(
    inputs: Inputs, outdir: Path | str | None, *, formats: Sequence[str] = (), inputs_dir: Path | str | None = None,
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
    from asl2durable.report.report import FORMATS, INVALID, MachineReport, Report, write_report

    items = discover_noted(inputs, note)
    todo = [i for i in items if not i.skipped]
    inputs_dir = Path(inputs_dir) if inputs_dir is not None else None
    for unknown in unused_inputs(inputs_dir, {i.name for i in todo}) if inputs_dir is not None and note else ():
        note(f"note: {unknown} is not the inputs of any machine (NAME.json or NAME/)")
    if prices is None:
        from asl2durable.report.pricing import DEFAULT as prices
    read = 0
    machines = []
    with (progress or contextlib.nullcontext)(todo) as shown:
        for item in shown:
            try:
                loaded = load_item(item, substitutions or {})
                read += loaded.definition is not None
                machine = _report_one(item, loaded, workflow_type)
                if inputs_dir is not None:
                    _check_behaviour(machine, loaded, inputs_dir, lambdas=lambdas, seed=aws_seed, prices=prices,
                                     memory_mb=memory_mb, workflow_type_option=workflow_type)
            except Exception as e:  # noqa: BLE001 - one bad input must not stop the batch
                machine = MachineReport(item.name, item.display, INVALID, [internal_error(e)])
            machines.append(machine)
    result = ReportResult(Report(machines, [(s.source, s.reason) for s in skipped_inputs(items)]), read,
                          behaviour=inputs_dir is not None)
    if outdir is not None:
        try:
            result.written = write_report(result.report, Path(outdir), tuple(formats) or FORMATS)
        except OSError as e:
            result.not_written = e
    return result


def _report_one(item: Discovered, loaded: Loaded, option: str | None) -> MachineReport:
    from asl2durable.report.report import machine_report

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
        value = read_json(array)
        if not isinstance(value, list):
            raise ValueError(f"{array} is not a JSON array of inputs")
        inputs += value
    each = folder / name
    if each.is_dir():
        found = True
        inputs += [read_json(path) for path in sorted(each.glob("*.json")) if path.is_file()]
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
    from asl2durable.run.behaviour import Comparison, check
    from asl2durable.report.pricing import estimate

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
    from asl2durable.render.deploy import MEMORY_MB

    definition_bytes = len(json.dumps(loaded.definition).encode("utf-8")) if loaded.definition is not None else 0
    machine.cost = estimate(
        machine.comparisons, prices, workflow_type=(workflow_type_option or _machine_type(loaded)).upper(),
        memory_mb=memory_mb or MEMORY_MB,
        definition_bytes=definition_bytes,
    )
