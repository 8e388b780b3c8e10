"""Load step of the pipeline: read a state machine definition from a file, text or dict.

Nothing here raises for bad input: problems come back as diagnostics on ``Loaded``.
``discover`` expands the command line's PATH arguments (files and folders) into a
sorted list of inputs, each with a machine name that is unique within the batch.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asl2durable.load import cfn, placeholders, serverless, terraform
from asl2durable.diagnostics import Diagnostic, Position, Severity, pointer

if TYPE_CHECKING:
    import yaml

__all__ = [
    "DEFAULT_NAME",
    "Discovered",
    "Loaded",
    "discover",
    "load",
    "machine_name",
    "unique_names",
]

DEFAULT_NAME = "state_machine"

INVALID_JSON = "INVALID_JSON_DESCRIPTION"
DUPLICATE_STATE = "DUPLICATE_STATE_NAME"
NOT_READABLE = "INPUT_NOT_READABLE"

# Suffixes stripped from a file name to get the machine name ("orders.asl.json" -> "orders").
_NAME_SUFFIXES = (".json", ".yaml", ".yml", ".asl")
# Files picked up while walking a folder (*.asl.json and *.asl.yaml end in these too).
_DISCOVER_SUFFIXES = (".json", ".yaml", ".yml", ".tf", ".template")
_YAML_SUFFIXES = (".yaml", ".yml")


def _yaml_syntax(path: Path, text: str) -> bool:
    """Whether the text of ``path`` is read as YAML: a .yaml/.yml file; a .json file never; any other
    suffix (a CloudFormation ``.template``, ``.txt``) by its content: YAML unless it starts like JSON."""
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        return True
    return suffix != ".json" and not text.lstrip().startswith(("{", "["))
_MAX_NAME_LENGTH = 100
# Step Functions takes definitions (and CloudFormation templates) of up to 1 MB; a file ten times
# that is refused unread, so that a huge input costs neither the memory nor the time to parse it.
MAX_INPUT_BYTES = 10 * 1024 * 1024
TOO_LARGE = "INPUT_TOO_LARGE"


@dataclass(frozen=True)
class Loaded:
    source: str  # the path as given, or "<dict>" / "<text>"
    name: str  # machine name, usable as a folder name
    definition: dict | None  # None when it could not be loaded
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # the ${Name} placeholders the input template gives values to (see asl2durable.load.cfn)
    substitutions: tuple[cfn.Substitution, ...] = ()
    resource: str | None = None  # the logical ID, when the machine comes from a template
    template: dict | None = None  # that template
    # STANDARD or EXPRESS, when the input says (a template's Type/StateMachineType, a description's type)
    workflow_type: str | None = None
    # The text read (None for a dict); and the text the definition is in with the definition's
    # pointer in it: the same text ("" for a definition file, a template's inline Definition's
    # pointer), a DefinitionUri file's, or None (a DefinitionString: the definition is a string).
    text: SourceText | None = field(default=None, repr=False, compare=False)
    definition_text: tuple[SourceText, str] | None = field(default=None, repr=False, compare=False)
    # a serverless.yml's machine: what MIGRATION.md says about it (see asl2durable.load.serverless)
    serverless: dict | None = field(default=None, repr=False, compare=False)

    def locate(self, diagnostics: Iterable[Diagnostic], *, in_definition: bool = True) -> list[Diagnostic]:
        """``diagnostics`` with the position of each one's pointer in the text read, where there is
        one. Pointers into the definition (``in_definition``: validation and translation) or into
        the document read (the loader's own diagnostics: in a template they start at /Resources)."""
        source, prefix = (self.definition_text or (None, "")) if in_definition else (self.text, "")
        if source is None:
            return list(diagnostics)
        return [d if d.position else replace(d, position=source.position(prefix + d.pointer)) for d in diagnostics]


SEVERAL_MACHINES = "SEVERAL_STATE_MACHINES"
NO_MACHINE = "NO_STATE_MACHINE"


@dataclass(frozen=True)
class Discovered:
    """One input found by ``discover``.

    ``source`` is a file path, or the JSON text itself when a PATH argument was inline JSON.
    ``skipped`` inputs (found while walking a folder, but not state machines) carry a ``reason``
    and are not to be processed; they take no part in name de-duplication.
    A state machine of a CloudFormation/SAM template has the template as ``source``, its logical
    ID as ``resource`` and, as ``group``, the name of the folder the rewritten template goes to.
    """

    source: Path | str
    name: str
    skipped: bool = False
    reason: str | None = None
    resource: str | None = None
    group: str | None = None
    walked: bool = field(default=False, compare=False, repr=False)  # found in a folder walk

    @property
    def display(self) -> str:
        return "<text>" if self.is_text else str(self.source)

    @property
    def is_text(self) -> bool:
        return not isinstance(self.source, Path)


# --------------------------------------------------------------------------------------
# names


def machine_name(path: str | os.PathLike) -> str:
    """The machine name for a file: its name without .asl/.json/.yaml/.yml suffixes, sanitised.

    Characters outside [A-Za-z0-9_.-] become "_"; leading dots are dropped; an empty result
    is "state_machine".
    """
    filename = Path(path).name
    stem = filename
    while True:
        lowered = stem.lower()
        for suffix in _NAME_SUFFIXES:
            if lowered.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            break
    if stem == filename:  # none of ours: drop the one suffix there is ("machine.txt" -> "machine")
        stem = Path(filename).stem
    return _sanitise(stem)


def _sanitise(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    name = name.lstrip(".")  # no hidden folders, no "." or ".."
    name = name[:_MAX_NAME_LENGTH].rstrip(".")  # trailing dots are dropped by Windows
    if not name.strip("_"):
        return DEFAULT_NAME
    return name


def unique_names(names: Iterable[str]) -> list[str]:
    """Make names unique (case-insensitively, for case-insensitive file systems).

    The first of several equal names keeps it; the later ones get "-2", "-3", ...,
    never taking a name that another input has in its own right.
    """
    names = list(names)
    natural = Counter(n.casefold() for n in names)
    taken: set[str] = set()
    result = []
    for n in names:
        key = n.casefold()
        if key not in taken:
            taken.add(key)
            result.append(n)
            continue
        i = 2
        while f"{n}-{i}".casefold() in taken or f"{n}-{i}".casefold() in natural:
            i += 1
        taken.add(f"{n}-{i}".casefold())
        result.append(f"{n}-{i}")
    return result


# --------------------------------------------------------------------------------------
# load


def load(
    source: str | os.PathLike | dict, *, name: str | None = None, resource: str | None = None,
    substitute: Mapping[str, str] | None = None,
) -> Loaded:
    """Load a definition from a dict, a .json/.yaml/.yml file, or JSON text (a str starting with "{").

    ``name`` overrides the machine name (``discover`` hands out names unique in a batch).
    A CloudFormation/SAM template yields the state machine ``resource`` (its logical ID; may be
    left out when the template has one state machine); the output of
    ``aws stepfunctions describe-state-machine`` yields its definition, named after its ``name``.
    ``substitute`` gives ``${Name}`` placeholders their values (text, as CloudFormation substitutes
    it), over those a template gives (``--substitute NAME=VALUE``); see ``asl2durable.load.placeholders``.
    """
    return _settle(_load(source, name, resource), substitute or {})


def _settle(loaded: Loaded, given: Mapping[str, str]) -> Loaded:
    """The loaded machine with its placeholders settled (``placeholders.settle``): each one with
    a value, or a pseudo parameter, is a substitution the handler reads from its environment."""
    if loaded.definition is None:
        return loaded
    used = placeholders.used(loaded.definition)
    if not used:
        return loaded
    subs = {sub.name: sub for sub in loaded.substitutions}
    taken = {sub.env.upper() for sub in loaded.substitutions}
    for name in used:
        if name in subs:
            if name in given:
                subs[name] = replace(subs[name], value=given[name])
            continue
        if name in given:
            value: object = given[name]
        elif name in placeholders.PSEUDO_PARAMETERS:
            value = {"Ref": name}
        else:
            continue
        subs[name] = cfn.Substitution(name, value, placeholders.env_names([name], taken)[name])
    values = substitution_values(subs.values(), loaded.template)
    definition, diagnostics = placeholders.settle(loaded.definition, values, configured=frozenset(subs))
    # settling looks at the definition: its diagnostics are placed in the definition's text
    placed = loaded.locate(diagnostics)
    return replace(
        loaded, definition=definition, substitutions=tuple(subs.values()), diagnostics=[*loaded.diagnostics, *placed]
    )


def substitution_values(substitutions: Iterable[cfn.Substitution], template: dict | None) -> dict[str, str | None]:
    """Each placeholder's value as text where it is known before deployment: a literal, or the
    default of the template parameter it refers to; else None (read from the environment only)."""
    return {
        sub.name: sub.literal if sub.literal is not None else _parameter_default(template, sub.value) for sub in substitutions
    }


def _parameter_default(template: dict | None, value: object) -> str | None:
    """The default of the template parameter ``value`` refers to (``{"Ref": "Timeout"}``), as text:
    what a deployment that does not override it substitutes; None for anything else."""
    parameters = template.get("Parameters") if isinstance(template, dict) else None
    name = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
    parameter = parameters.get(name) if isinstance(parameters, dict) and isinstance(name, str) else None
    default = parameter.get("Default") if isinstance(parameter, dict) else None
    return cfn.Substitution(str(name), default).literal if default is not None else None


def _load(source: str | os.PathLike | dict, name: str | None, resource: str | None) -> Loaded:
    if isinstance(source, dict):
        if cfn.is_template(source) or cfn.is_description(source):
            return _from_document("<dict>", name, source, [], None, resource)
        return Loaded("<dict>", name or DEFAULT_NAME, source, [])

    if isinstance(source, str) and not _exists(source) and source.lstrip().startswith("{"):
        if len(source) > MAX_INPUT_BYTES:
            return Loaded("<text>", name or DEFAULT_NAME, None, [Diagnostic("", TOO_LARGE, _too_large("The text", len(source)))])
        definition, diagnostics = _parse(source, yaml_syntax=False)
        return _from_document("<text>", name, definition, diagnostics, None, resource, SourceText("<text>", source, False))

    if not isinstance(source, (str, os.PathLike)):
        return Loaded(
            repr(source)[:80],
            name or DEFAULT_NAME,
            None,
            [Diagnostic("", NOT_READABLE, f"Cannot load a definition from a {type(source).__name__}")],
        )

    display = os.fspath(source)
    path = Path(source)
    if terraform.is_terraform(path):
        return _from_terraform(display, name, path, resource)
    if serverless.is_serverless(path):
        return _from_serverless(display, name, path, resource)
    text, problem = _read_text(path)
    if problem:
        code = TOO_LARGE if problem.startswith(_TOO_LARGE_START) else NOT_READABLE
        return Loaded(display, name or machine_name(path), None, [Diagnostic("", code, problem)])
    yaml_syntax = _yaml_syntax(path, text)
    definition, diagnostics = _parse(text, yaml_syntax=yaml_syntax)
    return _from_document(display, name, definition, diagnostics, path, resource, SourceText(display, text, yaml_syntax))


def _parse_definition(text: str, yaml_syntax: bool) -> tuple[object, list[Diagnostic]]:
    return _parse(text, yaml_syntax=yaml_syntax)


def _from_document(
    display: str, name: str | None, document: object, diagnostics: list[Diagnostic], path: Path | None,
    resource: str | None, text: SourceText | None = None,
) -> Loaded:
    """A parsed document (read from ``text``): a definition, a template (one of its machines) or a
    describe-state-machine output."""
    loaded, extracted = _document(display, name, document, diagnostics, path, resource)
    if text is None:
        return loaded
    definition_text: tuple[SourceText, str] | None = (text, "")
    if extracted is not None:
        definition_text = None
        if extracted.definition_pointer is not None:
            definition_text = (text, extracted.definition_pointer)
        elif extracted.definition_file is not None:
            file, file_text = extracted.definition_file
            definition_text = (SourceText(str(file), file_text, file.suffix.lower() in _YAML_SUFFIXES), "")
    return replace(loaded, text=text, definition_text=definition_text)


def _document(
    display: str, name: str | None, document: object, diagnostics: list[Diagnostic], path: Path | None, resource: str | None
) -> tuple[Loaded, cfn.Extracted | None]:
    """``_from_document``'s work; and what was extracted from a template or a description."""
    stem = machine_name(path) if path is not None else DEFAULT_NAME
    if diagnostics and document is None:
        return Loaded(display, name or stem, None, diagnostics), None
    if cfn.is_template(document):
        assert isinstance(document, dict)
        ids = cfn.machine_ids(document)
        if resource is None:
            if len(ids) != 1:
                code, message = (
                    (NO_MACHINE, "The template has no AWS::Serverless::StateMachine or AWS::StepFunctions::StateMachine")
                    if not ids
                    else (SEVERAL_MACHINES, "The template has several state machines: " + ", ".join(ids))
                )
                return Loaded(display, name or stem, None, [*diagnostics, Diagnostic("/Resources", code, message)]), None
            resource = ids[0]
        name = name or template_machine_name(stem, resource)
        diagnostics = _template_duplicates(diagnostics, resource)
        folder = path.parent if path is not None else None
        extracted = cfn.extract(document, resource, folder, _parse_definition)
        loaded = _finish(display, name, extracted.definition, [*diagnostics, *extracted.diagnostics])
        return Loaded(
            loaded.source, loaded.name, loaded.definition, loaded.diagnostics, extracted.substitutions, resource, document,
            cfn.workflow_type(document, resource),
        ), extracted
    if cfn.is_description(document):
        assert isinstance(document, dict)
        described, extracted = cfn.from_description(document, _parse_definition)
        name = name or (_sanitise(described) if described else stem)
        loaded = _finish(display, name, extracted.definition, [*diagnostics, *extracted.diagnostics])
        return replace(loaded, workflow_type=cfn.described_workflow_type(document)), extracted
    return _finish(display, name or stem, document, diagnostics), None


def _template_duplicates(diagnostics: list[Diagnostic], logical_id: str) -> list[Diagnostic]:
    """A template's duplicate keys outside the inline Definition of the machine converted are
    warnings: CloudFormation reads them keeping the last, and deploys the template (as SAM's
    parser, PyYAML, does), so only in that definition do they change what is converted."""
    definition = pointer("Resources", logical_id, "Properties", "Definition")
    return [
        replace(d, severity=Severity.WARNING)
        if d.code in (INVALID_JSON, DUPLICATE_STATE) and d.message.startswith("Duplicate ")
        and d.pointer != definition and not d.pointer.startswith(definition + "/")
        else d
        for d in diagnostics
    ]


def _from_terraform(display: str, name: str | None, path: Path, resource: str | None) -> Loaded:
    """A state machine of a Terraform file (see asl2durable.load.terraform): ``resource`` is its
    ``aws_sfn_state_machine.NAME`` or ``module.NAME``, and may be left out when the file has one."""
    stem = machine_name(path)
    module = terraform.read_module(path, _read_text)
    if module.main is None:
        return Loaded(display, name or stem, None, module.diagnostics)
    ids = [machine_id for machine_id, _ in module.machines()]
    if resource is None:
        if len(ids) != 1:
            code, message = (
                (NO_MACHINE, f"The file has no {terraform.MACHINE_TYPE} resource")
                if not ids
                else (SEVERAL_MACHINES, "The file has several state machines: " + ", ".join(ids))
            )
            return Loaded(display, name or stem, None, [Diagnostic("", code, message)])
        resource = ids[0]
    name = name or template_machine_name(stem, resource.rpartition(".")[2])
    extracted = terraform.extract(module, resource, _parse_definition)
    loaded = _finish(display, name, extracted.definition, extracted.diagnostics)
    return replace(loaded, substitutions=extracted.substitutions, resource=resource, workflow_type=extracted.workflow_type)


def _from_serverless(display: str, name: str | None, path: Path, resource: str | None) -> Loaded:
    """A state machine of a serverless.yml (see asl2durable.load.serverless): ``resource`` is its key in
    ``stepFunctions.stateMachines``, and may be left out when the file has one."""
    stem = machine_name(path)
    service = serverless.read_service(path, _read_text, _parse_serverless)
    if service.document is None:
        return Loaded(display, name or stem, None, service.diagnostics)
    text = SourceText(display, service.text, True)
    ids = service.machines()
    if resource is None:
        if len(ids) != 1:
            code, message = (
                (NO_MACHINE, "The file has no stepFunctions.stateMachines")
                if not ids
                else (SEVERAL_MACHINES, "The file has several state machines: " + ", ".join(ids))
            )
            return Loaded(display, name or stem, None, [*service.diagnostics, Diagnostic("", code, message)], text=text)
        resource = ids[0]
    name = name or template_machine_name(stem, resource)
    extracted = serverless.extract(service, resource)
    loaded = _finish(display, name, extracted.definition, [*service.diagnostics, *extracted.diagnostics])
    definition_text = (text, extracted.definition_pointer) if extracted.definition_pointer is not None else None
    if extracted.definition_file is not None:
        file, file_text = extracted.definition_file
        definition_text = (SourceText(str(file), file_text, file.suffix.lower() in _YAML_SUFFIXES), "")
    return replace(
        loaded, substitutions=extracted.substitutions, resource=resource, workflow_type=extracted.workflow_type,
        text=text, definition_text=definition_text, serverless=extracted.details,
    )


def template_machine_name(stem: str, logical_id: str) -> str:
    """The machine name of a template's state machine: ``<template stem>-<logical ID>``, sanitised."""
    return _sanitise(f"{stem}-{logical_id}")


def _exists(text: str) -> bool:
    try:
        return os.path.exists(text)
    except (OSError, ValueError):
        return False


_TOO_LARGE_START = "Too large:"


def _too_large(what: object, size: int) -> str:
    return (
        f"{_TOO_LARGE_START} {what} has {size:,} bytes; Step Functions takes definitions of up to 1 MB,"
        f" and inputs over {MAX_INPUT_BYTES:,} bytes are not read"
    )


def _read_text(path: Path) -> tuple[str, str | None]:
    try:
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_INPUT_BYTES:
            return "", _too_large(path, size)
        data = path.read_bytes()
    except IsADirectoryError:
        return "", f"{path} is a directory, not a file"
    except FileNotFoundError:
        return "", f"{path} does not exist"
    except PermissionError:
        return "", f"Permission denied reading {path}"
    except OSError as e:
        return "", f"Cannot read {path}: {e.strerror or e}"
    except ValueError as e:  # a NUL in the path
        return "", f"Cannot read {str(path)!r}: {e}"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return "", f"{path} is not UTF-8 text (invalid byte at offset {e.start})"


def _finish(display: str, name: str, definition: object, diagnostics: list[Diagnostic]) -> Loaded:
    if diagnostics and definition is None:
        return Loaded(display, name, None, diagnostics)
    if not isinstance(definition, dict):
        kind = _json_type(definition)
        message = f"Definition must be a JSON object, not {kind}"
        return Loaded(display, name, None, [Diagnostic("", INVALID_JSON, message)])
    return Loaded(display, name, definition, diagnostics)


def _json_type(value: object) -> str:
    if value is None:
        return "null (the input is empty)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _parse(text: str, *, yaml_syntax: bool, loader_class: type | None = None) -> tuple[object, list[Diagnostic]]:
    """Parse JSON (or YAML when ``yaml_syntax``). Returns (value, diagnostics); value None on failure.

    A YAML file whose text is JSON is parsed as JSON first (JSON allows things, such as
    tabs, that YAML does not). Duplicate keys are reported, as AWS rejects them.
    """
    if not yaml_syntax or text.lstrip().startswith(("{", "[")):
        try:
            return _parse_json(text)
        except json.JSONDecodeError as e:
            if not yaml_syntax:
                where = f" at line {e.lineno}, column {e.colno}"
                return None, [Diagnostic("", INVALID_JSON, f"Invalid JSON: {e.msg}{where}")]
        except ValueError as e:  # NaN / Infinity
            if not yaml_syntax:
                return None, [Diagnostic("", INVALID_JSON, f"Invalid JSON: {e}")]
        except RecursionError:
            return None, [Diagnostic("", INVALID_JSON, "Invalid JSON: nested too deeply")]
    import yaml

    try:
        return _parse_yaml(text, loader_class or _yaml_loaders()[0])
    except yaml.MarkedYAMLError as e:
        return None, [Diagnostic("", INVALID_JSON, "Invalid YAML: " + _yaml_message(e))]
    except yaml.YAMLError as e:
        return None, [Diagnostic("", INVALID_JSON, f"Invalid YAML: {e}")]
    except RecursionError:
        return None, [Diagnostic("", INVALID_JSON, "Invalid YAML: nested too deeply")]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a valid JSON value")


def _parse_json(text: str) -> tuple[object, list[Diagnostic]]:
    # id -> (the object, its duplicate keys); holding the object keeps its id from being reused
    duplicates: dict[int, tuple[dict, list[str]]] = {}

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            dups = []
            for k, _ in pairs:
                if k in seen and k not in dups:
                    dups.append(k)
                seen.add(k)
            duplicates[id(obj)] = (obj, dups)
        return obj

    # ${Name} written unquoted (a number or boolean that CloudFormation substitutes as text)
    text, unquoted = placeholders.protect(text)
    value = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    return placeholders.restore(value, unquoted), _duplicate_diagnostics(value, duplicates)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (e.context, e.problem) if p]
    message = ", ".join(parts) or str(e)
    mark = e.problem_mark or e.context_mark
    if mark is not None:
        message += f" at line {mark.line + 1}, column {mark.column + 1}"
    return message


@functools.cache
def _yaml_loaders() -> tuple[type, type]:
    """``(_JsonCompatibleLoader, _ServerlessLoader)``, made on first use: PyYAML is imported only
    when YAML is read (start-up time; most inputs are JSON)."""
    import yaml

    class _JsonCompatibleLoader(yaml.SafeLoader):
        """SafeLoader that keeps timestamps as strings (ASL wants strings) and records duplicate keys."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            # id -> (the mapping, its duplicate keys); holding the mapping keeps its id from being reused
            self.duplicates: dict[int, tuple[dict, list[str]]] = {}

    _JsonCompatibleLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    cfn.add_yaml_tags(_JsonCompatibleLoader)  # !Ref, !Sub, !GetAtt, ... as {"Ref": ...}, {"Fn::Sub": ...}
    _JsonCompatibleLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    class _ServerlessLoader(_JsonCompatibleLoader):
        """A serverless.yml as the Serverless Framework reads it (js-yaml: YAML 1.2's booleans, so
        ``Yes``/``No``/``on``/``off`` are strings; mapping keys are strings, as in JavaScript)."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
            mapping = super().construct_mapping(node, deep=deep)
            if all(isinstance(k, str) for k in mapping):
                return mapping
            return {_js_key(k): v for k, v in mapping.items()}

    _ServerlessLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _YAML_BOOL]
        for first, resolvers in _JsonCompatibleLoader.yaml_implicit_resolvers.items()
    }
    for first in "tTfF":
        _ServerlessLoader.yaml_implicit_resolvers.setdefault(first, []).insert(
            0, (_YAML_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
        )
    return _JsonCompatibleLoader, _ServerlessLoader


def __getattr__(name: str) -> type:
    """``_JsonCompatibleLoader`` and ``_ServerlessLoader`` (the tests read YAML with them)."""
    loaders = {"_JsonCompatibleLoader": 0, "_ServerlessLoader": 1}
    if name not in loaders:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _yaml_loaders()[loaders[name]]


def _construct_map(loader: Any, node: yaml.MappingNode):
    import yaml

    data: dict = {}
    yield data
    # Count the keys written in this mapping, before "<<" merge keys are expanded
    # (a key that overrides a merged one is not a duplicate).
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"]
    data.update(loader.construct_mapping(node))
    dups = [k for k, count in Counter(keys).items() if count > 1]
    if dups:
        loader.duplicates[id(data)] = (data, dups)


def _js_key(key: object) -> object:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return str(key)
    return key


_YAML_BOOL = "tag:yaml.org,2002:bool"


def _parse_serverless(text: str, yaml_syntax: bool) -> tuple[object, list[Diagnostic]]:
    """``_parse`` for a serverless.yml and the files its ``${file(...)}`` reads."""
    return _parse(text, yaml_syntax=yaml_syntax, loader_class=_yaml_loaders()[1])


# PyYAML takes time quadratic in the nesting of [ ] and { }, and fails past a few hundred levels
# anyway (RecursionError): deeper text is refused before it is parsed.
_MAX_YAML_FLOW_DEPTH = 1000


def _flow_depth(text: str) -> int:
    """The deepest nesting of brackets in ``text`` (counting those in strings too: an upper bound)."""
    depth = deepest = 0
    for ch in re.sub(r"[^\[\]{}]+", "", text):
        depth = depth + 1 if ch in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _parse_yaml(text: str, loader_class: type | None = None) -> tuple[object, list[Diagnostic]]:
    if _flow_depth(text) > _MAX_YAML_FLOW_DEPTH:
        raise RecursionError
    loader = (loader_class or _yaml_loaders()[0])(text)
    try:
        value = loader.get_single_data()
    finally:
        loader.dispose()
    problem = _non_json(value)
    if problem:
        return None, [Diagnostic(problem[0], INVALID_JSON, problem[1])]
    return value, _duplicate_diagnostics(value, loader.duplicates)


def _walk(value: object):
    """Yield (json pointer, parent key, value) for every node, iteratively (no recursion limit)."""
    stack: list[tuple[str, object, object]] = [("", None, value)]
    seen: set[int] = set()
    while stack:
        ptr, parent_key, node = stack.pop()
        yield ptr, parent_key, node
        if isinstance(node, (dict, list)):
            if id(node) in seen:  # YAML anchors can share (or even cycle) nodes
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for k in reversed(list(node)):
                stack.append((ptr + pointer(k), k, node[k]))
        elif isinstance(node, list):
            for i in reversed(range(len(node))):
                stack.append((ptr + pointer(i), parent_key, node[i]))


def _non_json(value: object) -> tuple[str, str] | None:
    """The first place where a YAML value is not plain JSON data, as (pointer, message)."""
    cycle = _cycle(value)
    if cycle:
        return cycle
    size = _expanded_size(value)
    if size > MAX_YAML_VALUES:
        return "", f"YAML aliases expand to over {MAX_YAML_VALUES:,} values; that is too large for a definition"
    for ptr, _, node in _walk(value):
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str):
                    kind = "null" if k is None else type(k).__name__
                    return ptr, f"Keys must be strings; {k!r} is a {kind} (quote it in the YAML)"
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                return ptr, f"{node!r} is not a valid JSON value"
        elif node is not None and not isinstance(node, (str, int, list)):
            return ptr, f"A {type(node).__name__} value cannot be represented as JSON"
    return None


# The values a YAML document may hold once its aliases are expanded (a 1 MB definition has far
# fewer): more, as in the "billion laughs", would take the validator forever.
MAX_YAML_VALUES = 2_000_000


def _expanded_size(value: object) -> int:
    """How many values the (acyclic) document holds with every alias expanded, counting shared
    nodes once per use but visiting each once; stops counting soon after MAX_YAML_VALUES."""
    sizes: dict[int, int] = {}
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        node, leaving = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if leaving:
            size = 1 + sum(sizes.get(id(c), 1) for c in children)
            sizes[id(node)] = size
            if size > MAX_YAML_VALUES:
                return size
        elif id(node) not in sizes:
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, (dict, list)) and id(c) not in sizes)
    return sizes.get(id(value), 1)


def _cycle(value: object) -> tuple[str, str] | None:
    """Find a container that contains itself (possible with YAML anchors)."""
    on_path: set[int] = set()
    done: set[int] = set()  # explored without finding a cycle: shared nodes are explored once
    stack: list[tuple[str, object, bool]] = [("", value, False)]
    while stack:
        ptr, node, leaving = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if leaving:
            on_path.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in on_path:
            return ptr, "A YAML alias refers to its own ancestor; that cannot be represented as JSON"
        if id(node) in done:
            continue
        on_path.add(id(node))
        stack.append((ptr, node, True))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append((ptr + pointer(k), v, False))
    return None


def _duplicate_diagnostics(value: object, duplicates: dict[int, tuple[dict, list[str]]]) -> list[Diagnostic]:
    if not duplicates:
        return []
    diagnostics = []
    reported: set[int] = set()
    for ptr, parent_key, node in _walk(value):
        if isinstance(node, dict) and id(node) in duplicates and id(node) not in reported:
            reported.add(id(node))
            for key in duplicates[id(node)][1]:
                if parent_key == "States":
                    diagnostics.append(
                        Diagnostic(ptr + pointer(key), DUPLICATE_STATE, f"Duplicate State name: {key}")
                    )
                else:
                    diagnostics.append(
                        Diagnostic(ptr + pointer(key), INVALID_JSON, f"Duplicate key {key!r}; only the last is kept")
                    )
    return sorted(diagnostics)


# --------------------------------------------------------------------------------------
# discover


def discover(paths: Iterable[str | os.PathLike]) -> list[Discovered]:
    """Expand PATH arguments into a sorted list of inputs.

    Files are taken as given, whatever their suffix. Folders are walked recursively (hidden
    files and folders are left out; symlinked folders are not followed) for *.json, *.yaml,
    *.yml, *.template and *.tf files; of those, files that parse to something other than an
    object with "StartAt" or "States" or a template, JSON with comments (a tsconfig.json) that
    is not a state machine, and *.template files that are neither JSON nor YAML are returned
    with ``skipped=True`` and a reason. Other files that do not parse are kept, so that loading
    them reports the problem.

    A str argument that is not an existing path and starts with "{" is inline JSON text.
    Raises FileNotFoundError for any other argument that does not exist (a usage error).
    Inputs are sorted by path (inline texts last, in the order given), duplicates removed,
    and each gets a machine name unique in the batch.
    """
    files: dict[tuple[str, str], Discovered] = {}
    texts: list[str] = []
    missing: list[str] = []
    for arg in paths:
        if isinstance(arg, str) and not _exists(arg) and arg.lstrip().startswith("{"):
            texts.append(arg)
            continue
        path = Path(arg)
        if path.is_dir():
            for found in _walk_folder(path):
                files.setdefault((_identity(found.source), found.resource or ""), found)
        elif path.exists() or path.is_symlink():
            # given explicitly: never skipped, even if a folder walk skipped it
            key = _identity(path)
            for found in _file_inputs(path, explicit=True):
                k = (key, found.resource or "")
                if k not in files or files[k].skipped or files[k].walked:
                    files[k] = found
        else:
            missing.append(os.fspath(arg))
    if missing:
        raise FileNotFoundError("No such file or folder: " + ", ".join(missing))
    # A definition file that a template found in a folder points at (DefinitionUri) is converted
    # as part of that template, not on its own.
    used = _definition_files(d for d in files.values() if d.resource is not None)
    for file_key, d in list(files.items()):
        if d.resource is None and not d.skipped and d.walked and file_key[0] in used:
            files[file_key] = Discovered(d.source, d.name, True, used[file_key[0]])

    items = sorted(files.values(), key=lambda d: (_sort_key(d.source), d.resource or ""))
    items += [Discovered(t, DEFAULT_NAME) for t in texts]
    _name_uniquely(items)
    return items


def _name_uniquely(items: list[Discovered]) -> None:
    """Give each input that is not skipped, and each folder of a rewritten template, a name unique
    in the batch (the folders of rewritten templates share the output folder with the machines)."""
    active = [i for i, d in enumerate(items) if not d.skipped]
    groups: list[tuple[Path | str, str]] = []
    for i in active:
        group = items[i].group
        if group is not None and (items[i].source, group) not in groups:
            groups.append((items[i].source, group))
    names = unique_names([*(items[i].name for i in active), *(g for _, g in groups)])
    group_names = dict(zip(groups, names[len(active):]))
    for i, n in zip(active, names):
        group = items[i].group
        if group is not None:
            group = group_names[(items[i].source, group)]
        if items[i].name != n or items[i].group != group:
            d = items[i]
            items[i] = Discovered(d.source, n, d.skipped, d.reason, d.resource, group)


def _identity(path: Path) -> str:
    try:
        return os.path.normcase(os.path.realpath(path))
    except (OSError, ValueError):
        return os.path.normcase(os.path.abspath(path))


def _sort_key(path: Path) -> tuple:
    return tuple(path.parts)


def _walk_folder(folder: Path) -> list[Discovered]:
    found: list[Discovered] = []
    unreadable: list[Path] = []

    def onerror(e: OSError) -> None:
        if e.filename:
            unreadable.append(Path(e.filename))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith(".") or not filename.lower().endswith(_DISCOVER_SUFFIXES):
                continue
            found += [replace(d, walked=True) for d in _file_inputs(Path(dirpath) / filename, explicit=False)]
    # A folder that cannot be listed is kept as an input, so that loading it reports the problem.
    found += [Discovered(p, machine_name(p)) for p in unreadable]
    return found


def _definition_files(items: Iterable[Discovered]) -> dict[str, str]:
    """The local definition files of the given template machines (a template's DefinitionUri, a Terraform
    machine's file() or templatefile()): identity -> why the file is not converted on its own."""
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item.source, Path):
            continue
        if serverless.is_serverless(item.source) and item.resource is not None:
            service = serverless.read_service(item.source, _read_text, _parse_serverless)
            for used in serverless.definition_files(service, item.resource) if service.document is not None else ():
                out.setdefault(_identity(used), f"read by {item.source}#{item.resource}")
            continue
        if terraform.is_terraform(item.source) and item.resource is not None:
            module = terraform.read_module(item.source, _read_text)
            for used in terraform.definition_files(module, item.resource):
                out.setdefault(_identity(used), f"the definition file of {item.source}#{item.resource}")
            continue
        text, problem = _read_text(item.source)
        document = None if problem else _parse(text, yaml_syntax=_yaml_syntax(item.source, text))[0]
        if not cfn.is_template(document):
            continue
        assert isinstance(document, dict)
        resource = document["Resources"].get(item.resource)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        uri = props.get("DefinitionUri") if isinstance(props, dict) else None
        if isinstance(uri, str) and uri and not uri.startswith("s3://"):
            out.setdefault(_identity(item.source.parent / uri), f"the DefinitionUri of {item.source}#{item.resource}")
    return out


def _file_inputs(path: Path, *, explicit: bool) -> list[Discovered]:
    """The inputs a file holds: one per state machine of a template, else the file itself
    (skipped, with a reason, when a folder walk found it and it is not a state machine)."""
    if terraform.is_terraform(path):
        module = terraform.read_module(path, _read_text, siblings=False)
        ids = [machine_id for machine_id, _ in module.machines()]
        stem = machine_name(path)
        if ids:
            return [Discovered(path, template_machine_name(stem, i.rpartition(".")[2]), resource=i) for i in ids]
        if not explicit and module.main is not None:
            return [Discovered(path, stem, True, f"a Terraform file without {terraform.MACHINE_TYPE} resources")]
        return [Discovered(path, stem)]
    if serverless.is_serverless(path):
        service = serverless.read_service(path, _read_text, _parse_serverless)
        stem = machine_name(path)
        keys = service.machines() if service.document is not None else []
        if keys:
            return [Discovered(path, template_machine_name(stem, k), resource=k) for k in keys]
        if not explicit and service.document is not None:
            return [Discovered(path, stem, True, "a Serverless Framework file without stepFunctions.stateMachines")]
        return [Discovered(path, stem)]
    text, problem = _read_text(path)
    document = None
    if not problem:
        document, _ = _parse(text, yaml_syntax=_yaml_syntax(path, text))
    if cfn.is_template(document):
        assert isinstance(document, dict)
        ids = cfn.machine_ids(document)
        stem = machine_name(path)
        if ids:
            return [Discovered(path, template_machine_name(stem, i), resource=i, group=stem) for i in ids]
        if not explicit:
            return [Discovered(path, stem, True, "a CloudFormation template without state machines")]
        return [Discovered(path, stem)]
    if cfn.is_description(document):
        assert isinstance(document, dict)
        described = document.get("name")
        return [Discovered(path, _sanitise(described) if isinstance(described, str) else machine_name(path))]
    reason = None if explicit else _not_a_state_machine(path, text, document, problem)
    return [Discovered(path, machine_name(path), reason is not None, reason)]


def _not_a_state_machine(path: Path, text: str, document: object, problem: str | None) -> str | None:
    """Why a file found in a folder walk is not a state machine, or None if it is (or may be)."""
    if problem is None and document is None:
        if path.suffix.lower() == ".template":
            return "not a CloudFormation template (neither JSON nor YAML)"
        commented = _parse_json_with_comments(text)
        if commented is not None and not _may_be_machine(commented):
            return "JSON with comments, not a state machine"
    if problem or document is None:
        if problem is None:
            loaded = load(path)
            codes = {d.code for d in loaded.diagnostics}
            if codes == {INVALID_JSON} and any(
                d.message.startswith("Definition must be a JSON object") for d in loaded.diagnostics
            ):
                return "not a JSON object"
        return None  # unreadable or malformed: keep it, loading reports the problem
    if not isinstance(document, dict):
        return "not a JSON object"
    if not _may_be_machine(document):
        return 'has neither "StartAt" nor "States"'
    return None


def _may_be_machine(document: object) -> bool:
    return isinstance(document, dict) and ("StartAt" in document or "States" in document or cfn.is_template(document))


# A JSON string, or a // or /* */ comment; a JSON string, or a comma before a closing bracket.
_JSONC_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)
_JSONC_COMMA = re.compile(r'"(?:[^"\\\n]|\\.)*"|,(?=\s*[}\]])')


def _parse_json_with_comments(text: str) -> object | None:
    """What JSON-with-comments text (a tsconfig.json: // and /* */ comments, trailing commas)
    holds, or None when it is not that (plain JSON, or still not JSON without them)."""
    stripped = text
    for token in (_JSONC_COMMENT, _JSONC_COMMA):
        stripped = token.sub(lambda m: m.group() if m.group().startswith('"') else " ", stripped)
    if stripped == text:
        return None
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        return None



# --------------------------------------------------------------------------------------
# positions: where a JSON pointer is in the text read


_JSON_DECODER = json.JSONDecoder()
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_YAML_MERGE = "tag:yaml.org,2002:merge"


class SourceText:
    """A text a document was read from (JSON, or YAML when ``yaml_syntax``, taken as ``_parse``
    takes it), to find the line and column of a JSON pointer in it. A member of an object is at
    its key; an array's item, and the whole document, where the value starts. A pointer to
    something the text does not have is placed at the nearest enclosing value it has.
    The index is built on the first lookup, and left out when pickled."""

    def __init__(self, file: str, text: str, yaml_syntax: bool) -> None:
        self.file = file
        self.text = text
        self.yaml_syntax = yaml_syntax
        self._index: _JsonIndex | _YamlIndex | None = None
        self._indexed = False

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_index": None, "_indexed": False}

    def position(self, ptr: str) -> Position | None:
        """Where ``ptr`` is in the text; None when the text does not parse."""
        if not self._indexed:
            self._index, self._indexed = _position_index(self.text, self.yaml_syntax), True
        if self._index is None:
            return None
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]] if ptr else []
        line, column = self._index.find(tokens)
        return Position(self.file, line, column)


class _JsonIndex:
    """JSON text: the offset of every pointer, and where each line starts."""

    def __init__(self, text: str, offsets: dict[str, int]) -> None:
        self.offsets = offsets
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def find(self, tokens: list[str]) -> tuple[int, int]:
        while tokens and pointer(*tokens) not in self.offsets:
            tokens = tokens[:-1]
        offset = self.offsets[pointer(*tokens)]
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1


class _YamlIndex:
    """YAML text: its node tree, and each mapping's members (by key) once looked up."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root
        self.members: dict[int, dict[str, tuple[yaml.Mark, yaml.Node]]] = {}

    def find(self, tokens: list[str]) -> tuple[int, int]:
        import yaml

        node, mark = self.root, self.root.start_mark
        for token in tokens:
            if isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
                node = node.value[int(token)]
                mark = node.start_mark
            elif isinstance(node, yaml.MappingNode) and token in self._members(node):
                mark, node = self._members(node)[token]
            else:
                break
        return mark.line + 1, mark.column + 1

    def _members(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Mark, yaml.Node]]:
        """key -> (the key's mark, the value): the keys written in the mapping (a repeated key:
        the last, whose value is kept), then those its ``<<`` merge keys bring (the first
        mapping that has one)."""
        members = self.members.get(id(node))
        if members is not None:
            return members
        import yaml

        members = self.members[id(node)] = {}  # before the merged ones: a mapping may merge itself
        merged: list[yaml.Node] = []
        for key, value in node.value:
            if key.tag == _YAML_MERGE:
                merged += value.value if isinstance(value, yaml.SequenceNode) else [value]
            elif isinstance(key, yaml.ScalarNode):
                members[key.value] = (key.start_mark, value)
        for source in merged:
            if isinstance(source, yaml.MappingNode):
                for key, found in list(self._members(source).items()):
                    members.setdefault(key, found)
        return members


def _position_index(text: str, yaml_syntax: bool) -> _JsonIndex | _YamlIndex | None:
    """The index of JSON or YAML text, as ``_parse`` decides; None when it does not parse."""
    if not yaml_syntax or text.lstrip().startswith(("{", "[")):
        text = placeholders.protect(text)[0]  # as _parse_json reads it; the same length
        offsets = _json_offsets(text)
        if offsets is not None:
            return _JsonIndex(text, offsets)
        if not yaml_syntax:
            return None
    if _flow_depth(text) > _MAX_YAML_FLOW_DEPTH:  # as _parse_yaml: too slow to parse, and refused
        return None
    import yaml

    loader = _yaml_loaders()[0](text)
    try:
        root = loader.get_single_node()
        return _YamlIndex(root) if root is not None else None  # None: no document
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


def _json_offsets(text: str) -> dict[str, int] | None:
    """pointer -> offset in ``text`` of every value of a JSON document (of a member: its key), or
    None when it is not JSON or nests deeper than the loader reads."""
    offsets: dict[str, int] = {}
    # open containers: [pointer, is an object, items so far]
    stack: list[list] = []
    pos = _skip_space(text, 0)
    ptr = ""
    offsets[ptr] = pos
    try:
        while True:
            # a value starts at pos
            c = text[pos]
            if c in "{[":
                pos = _skip_space(text, pos + 1)
                if text[pos] == ("}" if c == "{" else "]"):
                    pos += 1
                elif len(stack) >= _MAX_YAML_FLOW_DEPTH:  # json.loads fails before this depth
                    return None
                else:
                    stack.append([ptr, c == "{", 0])
                    ptr, pos = _json_item(text, pos, stack[-1], offsets)
                    continue
            elif c == '"':
                pos = _JSON_DECODER.raw_decode(text, pos)[1]
            else:
                match = _JSON_SCALAR.match(text, pos)
                if match is None:
                    return None
                pos = match.end()
            # after a value: the next item of the innermost open container, or its end
            while True:
                pos = _skip_space(text, pos)
                if not stack:
                    return offsets if pos == len(text) else None
                container = stack[-1]
                if text[pos] == ",":
                    pos = _skip_space(text, pos + 1)
                    ptr, pos = _json_item(text, pos, container, offsets)
                    break
                if text[pos] != ("}" if container[1] else "]"):
                    return None
                stack.pop()
                pos += 1
    except (IndexError, ValueError):  # json.JSONDecodeError is a ValueError
        return None


def _json_item(text: str, pos: int, container: list, offsets: dict[str, int]) -> tuple[str, int]:
    """Record the item of ``container`` starting at ``pos``: (its pointer, where its value starts)."""
    where, is_object, n = container
    container[2] += 1
    if not is_object:
        offsets[where + pointer(n)] = pos
        return where + pointer(n), pos
    if text[pos] != '"':
        raise ValueError("expected a key")
    key, end = _JSON_DECODER.raw_decode(text, pos)
    end = _skip_space(text, end)
    if text[end] != ":":
        raise ValueError("expected a colon")
    offsets[where + pointer(key)] = pos  # a repeated key: the last one, whose value is kept
    return where + pointer(key), _skip_space(text, end + 1)


def _skip_space(text: str, pos: int) -> int:
    """Where the JSON whitespace at ``pos`` ends."""
    space = _JSON_SPACE.match(text, pos)
    return space.end() if space else pos
