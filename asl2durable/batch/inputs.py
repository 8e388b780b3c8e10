"""A batch's inputs and arguments: PATH arguments discovered, placeholder values, recorded
executions, --lambda functions, --seed, JSON arguments; and each input loaded."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asl2durable.batch.results import Failed, Skipped, UsageError

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.load.loader import Discovered, Loaded
    from asl2durable.run.recorded import Recording

Inputs = Sequence["str | os.PathLike | Discovered"]
Note = Callable[[str], None]  # note(text): told of each input skipped, and the like (a line for stderr)


def discover(inputs: Inputs) -> list[Discovered]:
    """``loader.discover``'s inputs for PATH arguments (already discovered ones are kept)."""
    from asl2durable.load.loader import Discovered
    from asl2durable.load.loader import discover as discover_paths

    if inputs and all(isinstance(i, Discovered) for i in inputs):
        return list(inputs)  # type: ignore[arg-type]
    try:
        return discover_paths(inputs)  # type: ignore[arg-type]
    except FileNotFoundError as e:
        raise UsageError(str(e), "PATH") from None


def note_skipped(items: list[Discovered], note: Note | None) -> None:
    """``note`` each input skipped, and when there is nothing else."""
    if note is None:
        return
    for item in items:
        if item.skipped:
            note(f"note: skipped {item.display}: {item.reason}")
    if not any(not i.skipped for i in items):
        note("note: no state machine definitions found")


def discover_noted(inputs: Inputs, note: Note | None) -> list[Discovered]:
    """``discover``, then ``note_skipped``."""
    items = discover(inputs)
    note_skipped(items, note)
    return items


def skipped_inputs(items: list[Discovered]) -> list[Skipped]:
    """The inputs skipped, as records."""
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
    from asl2durable.run.aws_local import load_seed

    return load_seed(value)


def substitution_values(substitute: Iterable[str] = (), file: Path | None = None) -> dict[str, str]:
    """The placeholder values ``--substitutions FILE.json`` and ``--substitute NAME=VALUE`` give
    (the latter win), as DefinitionSubstitutions would substitute them."""
    from asl2durable.load import cfn

    values: dict[str, str] = {}
    if file is not None:
        try:
            document = read_json(file)
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


def recordings(histories: Iterable[Path], items: list[Discovered]) -> list[Recording]:
    """The executions ``--history`` names (none: []); a file that is not a history, or more than
    one state machine to convert, is a usage error."""
    histories = list(histories)
    if not histories:
        return []
    from asl2durable.run.recorded import HistoryError, load

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
    from asl2durable.run.local import lambdas_from_specs

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


def read_json(path: Path) -> object:
    """A JSON file's value; ValueError saying why it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


def load(source: Any, **kwargs: Any) -> Loaded:
    """``loader.load``, imported on the first call (the tests replace this name)."""
    from asl2durable.load.loader import load as load_input

    return load_input(source, **kwargs)


def option_type(option: str | None, loaded: Loaded) -> str | None:
    """STANDARD or EXPRESS: the option's, else what the input says, else None (not known)."""
    return option.upper() if option else loaded.workflow_type


def internal_error(e: BaseException) -> Diagnostic:
    """The diagnostic of an unexpected exception: it fails one input, never the batch."""
    from asl2durable.diagnostics import Diagnostic, Severity

    return Diagnostic("", "INTERNAL_ERROR", f"{type(e).__name__}: {e}", Severity.ERROR)
