"""CloudFormation and SAM templates, and ``aws stepfunctions describe-state-machine`` output, as inputs.

A template (a mapping with a ``Resources`` mapping) holds state machines as
``AWS::Serverless::StateMachine`` or ``AWS::StepFunctions::StateMachine`` resources.
:func:`extract` turns one of them into an ASL definition plus its *substitutions*: the
``${Name}`` placeholders of the definition with the value the template gave each (a literal, or
an intrinsic function in its long JSON form such as ``{"Fn::GetAtt": ["Fn", "Arn"]}``). A
placeholder comes from ``DefinitionSubstitutions``, from the variables of an ``Fn::Sub``
``DefinitionString``, from a non-literal piece of an ``Fn::Join`` ``DefinitionString``, or
from an intrinsic function written inside an inline ``Definition``.

Each substitution gets an environment variable name (:func:`placeholders.env_names`): the generated function
reads the value from there at run time, and the emitted templates set it to the original value.
Nothing here raises for bad input: problems are diagnostics with a JSON pointer into the template.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.diagnostics import Diagnostic, Severity, pointer
from asl2durable.load.placeholders import PLACEHOLDER, env_names, fresh, used

SERVERLESS_MACHINE = "AWS::Serverless::StateMachine"
CFN_MACHINE = "AWS::StepFunctions::StateMachine"
MACHINE_TYPES = (SERVERLESS_MACHINE, CFN_MACHINE)
FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")

# diagnostic codes
DEFINITION_IN_S3 = "DEFINITION_IN_S3"
NO_DEFINITION = "NO_DEFINITION"
BAD_DEFINITION = "UNSUPPORTED_DEFINITION_FORM"
BAD_TEMPLATE = "INVALID_TEMPLATE"
NOT_READABLE = "INPUT_NOT_READABLE"


# YAML short forms whose long form is not "Fn::<Name>".
_SHORT_TAGS = (
    "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
    "Transform", "If", "Equals", "And", "Or", "Not", "ToJsonString", "Length",
)


# --------------------------------------------------------------------------------------
# YAML short-form tags


def add_yaml_tags(loader_class: Any) -> None:
    """Teach a PyYAML loader CloudFormation's short forms (``!Ref``, ``!Sub``, ``!GetAtt``, ...)."""

    def construct(node: Any, loader: Any) -> Any:
        import yaml

        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    def long_form(key: str):
        return lambda loader, node: {key: construct(node, loader)}

    def get_att(loader: Any, node: Any) -> dict:
        value = construct(node, loader)
        if isinstance(value, str):
            resource, _, attribute = value.partition(".")
            return {"Fn::GetAtt": [resource, attribute]}
        return {"Fn::GetAtt": value}

    loader_class.add_constructor("!Ref", long_form("Ref"))
    loader_class.add_constructor("!Condition", long_form("Condition"))
    loader_class.add_constructor("!GetAtt", get_att)
    for name in _SHORT_TAGS:
        loader_class.add_constructor("!" + name, long_form("Fn::" + name))


# --------------------------------------------------------------------------------------
# what a document is


def is_template(document: object) -> bool:
    return isinstance(document, dict) and isinstance(document.get("Resources"), dict) and "States" not in document


def is_description(document: object) -> bool:
    """The JSON printed by ``aws stepfunctions describe-state-machine``."""
    return (
        isinstance(document, dict)
        and "stateMachineArn" in document
        and "definition" in document
        and "States" not in document
    )


def machine_ids(template: dict) -> list[str]:
    """Logical IDs of the state machine resources, in template order."""
    return [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") in MACHINE_TYPES
    ]


def is_intrinsic(value: object) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(next(iter(value)), str)
        and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::"))
    )


# --------------------------------------------------------------------------------------
# substitutions


@dataclass(frozen=True)
class Substitution:
    """A ``${name}`` placeholder of a definition and the value the template gives it.

    ``value`` is a literal (str, number, bool) or an intrinsic function in long form;
    ``env`` is the environment variable the generated function reads it from;
    ``function`` is True when the value names a Lambda function resource of the same template
    (``!GetAtt Fn.Arn`` / ``!Ref Fn``), so that a Task ``Resource`` of just this placeholder
    is a Lambda function ARN. ``machine`` is True when the value is the ARN of a state machine
    of the same template (``!Ref M`` / ``!GetAtt M.Arn``): converted too, it becomes that
    machine's durable function (see ``rewrite.py``).
    """

    name: str
    value: Any
    env: str = ""
    function: bool = False
    machine: bool = False

    @property
    def literal(self) -> str | None:
        """The value as text when it is a literal, as Step Functions would substitute it."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, (str, int, float)):
            return str(self.value)
        return None


def short_form(value: Any) -> str | None:
    """A ``Ref`` or ``Fn::GetAtt`` as YAML's short form writes it (``!Ref Table``, ``!GetAtt
    Fn.Arn``); None for any other value."""
    if isinstance(value, dict) and len(value) == 1:
        key, arg = next(iter(value.items()))
        if key == "Ref" and isinstance(arg, str):
            return f"!Ref {arg}"
        if key == "Fn::GetAtt" and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
            return "!GetAtt " + ".".join(arg)
    return None


class _Placeholders:
    """Collects the placeholders of one definition: one name per distinct value."""

    def __init__(self, functions: set[str], machines: set[str] = frozenset()):
        self.functions = functions  # Lambda function logical IDs of the template
        self.machines = machines  # state machine logical IDs of the template
        self.values: dict[str, Any] = {}

    def add(self, name: str, value: Any) -> str:
        """Register ``value`` under ``name`` (or a variant of it); returns the name used."""
        base = re.sub(r"[^A-Za-z0-9_:.]+", "_", name) or "Value"
        candidate = fresh(base, {k for k, v in self.values.items() if v != value})
        self.values[candidate] = value
        return candidate

    def intrinsic(self, value: dict, hint: str) -> str:
        """A placeholder for an intrinsic function; its name comes from what it refers to."""
        key, arg = next(iter(value.items()))
        if key == "Ref" and isinstance(arg, str):
            name = arg
        elif key == "Fn::GetAtt" and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
            name = "".join(re.sub(r"[^A-Za-z0-9]", "", a) for a in arg)
        else:
            name = re.sub(r"[^A-Za-z0-9]", "", hint) or "Value"
        for existing, v in self.values.items():
            if v == value:
                return existing
        return self.add(name, value)

    def sub_text(self, text: str, variables: dict) -> str:
        """The text of an ``Fn::Sub`` with each variable as a ``${placeholder}``."""

        def replace(match: re.Match) -> str:
            inner = match.group(1)
            if inner.startswith("!"):  # ${!Literal} is the literal text ${Literal}
                return "${" + inner[1:] + "}"
            if inner in variables:
                value = variables[inner]
            elif "." in inner and not inner.startswith("AWS::"):
                resource, _, attribute = inner.partition(".")
                value = {"Fn::GetAtt": [resource, attribute]}
            else:
                value = {"Ref": inner}
            return "${" + self.add(inner, value) + "}"

        return PLACEHOLDER.sub(replace, text)

    def substitutions(self) -> tuple[Substitution, ...]:
        envs = env_names(list(self.values))
        return tuple(
            Substitution(
                name, value, envs[name], self._is_function(value), self._is_function(value, self.machines)
            )
            for name, value in self.values.items()
        )

    def _is_function(self, value: Any, among: set[str] | None = None) -> bool:
        """Is ``value`` a reference to a resource of ``among`` (the functions) by its ARN?"""
        among = self.functions if among is None else among
        if not isinstance(value, dict):
            return False
        if "Ref" in value:
            return value["Ref"] in among
        arg = value.get("Fn::GetAtt")
        return isinstance(arg, list) and len(arg) == 2 and arg[0] in among and arg[1] == "Arn"


# --------------------------------------------------------------------------------------
# extraction


@dataclass
class Extracted:
    """One state machine taken out of a template (or a describe-state-machine document)."""

    definition: dict | None
    substitutions: tuple[Substitution, ...] = ()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Where the definition's text is, to place its diagnostics: the pointer of an inline definition
    # in the document, or the DefinitionUri file read (its path and text); neither for a string.
    definition_pointer: str | None = None
    definition_file: tuple[Path, str] | None = None


def extract(template: dict, logical_id: str, folder: Path | None, parse: Any) -> Extracted:
    """The definition of the state machine ``logical_id``.

    ``folder`` is where a ``DefinitionUri`` file is looked up; ``parse(text, yaml_syntax)`` parses
    a definition file (the loader's parser: ``(value, diagnostics)``).
    """
    resources = template["Resources"]
    resource = resources.get(logical_id)
    here = pointer("Resources", logical_id)
    if not isinstance(resource, dict) or resource.get("Type") not in MACHINE_TYPES:
        return Extracted(None, (), [Diagnostic(here, BAD_TEMPLATE, f"{logical_id} is not a state machine resource")])
    props = resource.get("Properties", {})
    props_ptr = here + pointer("Properties")
    if not isinstance(props, dict):
        return Extracted(None, (), [Diagnostic(props_ptr, BAD_TEMPLATE, "Properties must be a mapping")])
    functions = {
        k for k, r in resources.items() if isinstance(r, dict) and r.get("Type") in FUNCTION_TYPES
    }
    holder = _Placeholders(functions, set(machine_ids(template)))
    diagnostics: list[Diagnostic] = []

    if "DefinitionS3Location" in props:
        return Extracted(None, (), [Diagnostic(
            props_ptr + pointer("DefinitionS3Location"), DEFINITION_IN_S3,
            "The definition is in S3 (DefinitionS3Location); download it and point DefinitionString or "
            "DefinitionUri at it, or convert the downloaded file: asl2durable does not read S3",
        )])
    # DefinitionSubstitutions first: placeholders made for intrinsic functions take other names
    _take_substitutions(props, props_ptr, holder, diagnostics)
    definition: object = None
    definition_pointer = definition_file = None
    if "Definition" in props:
        definition_pointer = props_ptr + pointer("Definition")
        definition = _replace_intrinsics(props["Definition"], holder, "Definition")
        if not isinstance(definition, dict):
            diagnostics.append(Diagnostic(props_ptr + pointer("Definition"), BAD_DEFINITION, "Definition must be a mapping"))
            return Extracted(None, (), diagnostics)
    elif "DefinitionString" in props:
        text = _definition_text(props["DefinitionString"], holder)
        if text is None:
            return Extracted(None, (), [Diagnostic(
                props_ptr + pointer("DefinitionString"), BAD_DEFINITION,
                "DefinitionString must be a string, an Fn::Sub or an Fn::Join of strings and references",
            )])
        definition, problems = parse(text, False)
        diagnostics += [_at(props_ptr + pointer("DefinitionString"), d) for d in problems]
    elif "DefinitionUri" in props and resource.get("Type") == SERVERLESS_MACHINE:
        read = _read_definition_uri(props["DefinitionUri"], props_ptr + pointer("DefinitionUri"), folder, parse, holder)
        if read.definition_file is None:  # not read
            return read
        definition, definition_file = read.definition, read.definition_file
        diagnostics += read.diagnostics
    else:
        keys = "Definition, DefinitionUri" if resource.get("Type") == SERVERLESS_MACHINE else "Definition, DefinitionString"
        return Extracted(None, (), [Diagnostic(props_ptr, NO_DEFINITION, f"The state machine has none of {keys}")])

    if definition is None or not isinstance(definition, dict):
        if not diagnostics:
            diagnostics.append(Diagnostic(props_ptr, BAD_DEFINITION, "The definition is not a JSON object"))
        return Extracted(None, (), diagnostics)
    # only the placeholders the definition uses
    names = set(used(definition))
    holder.values = {k: v for k, v in holder.values.items() if k in names}
    return Extracted(definition, holder.substitutions(), diagnostics, definition_pointer, definition_file)


def _take_substitutions(props: dict, props_ptr: str, holder: _Placeholders, diagnostics: list[Diagnostic]) -> None:
    """The machine's DefinitionSubstitutions into ``holder``; a diagnostic for each that is not a
    string, number, boolean or intrinsic function."""
    subs = props.get("DefinitionSubstitutions", {})
    subs_ptr = props_ptr + pointer("DefinitionSubstitutions")
    if not isinstance(subs, dict):
        diagnostics.append(Diagnostic(subs_ptr, BAD_TEMPLATE, "DefinitionSubstitutions must be a mapping"))
        subs = {}
    for name, value in subs.items():
        if isinstance(value, (dict, list)) and not is_intrinsic(value):
            diagnostics.append(Diagnostic(
                subs_ptr + pointer(name), BAD_TEMPLATE,
                f"The substitution {name} must be a string, number, boolean or intrinsic function",
            ))
            continue
        holder.values[str(name)] = value


def _read_definition_uri(uri: Any, uri_ptr: str, folder: Path | None, parse: Any, holder: _Placeholders) -> Extracted:
    """The definition in a SAM machine's DefinitionUri file, with the file read (``definition_file``;
    None, with the diagnostic, where the file could not be read)."""
    if isinstance(uri, dict) or (isinstance(uri, str) and uri.startswith("s3://")):
        return Extracted(None, (), [Diagnostic(
            uri_ptr, DEFINITION_IN_S3,
            "The definition is in S3 (DefinitionUri); download it and set DefinitionUri to the local file",
        )])
    if not isinstance(uri, str) or not uri:
        return Extracted(None, (), [Diagnostic(uri_ptr, BAD_DEFINITION, "DefinitionUri must be a file path")])
    path = (folder or Path(".")) / uri
    on_disk = _spelling_on_disk(folder or Path("."), uri)
    if on_disk is not None:
        return Extracted(None, (), [Diagnostic(uri_ptr, NOT_READABLE, (
            f"DefinitionUri {uri} differs only in case from the file on disk, {on_disk}: file names are"
            " case-sensitive on Linux (where SAM builds), so write it as the file is named"
        ))])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or str(e)
        return Extracted(None, (), [Diagnostic(uri_ptr, NOT_READABLE, f"Cannot read the DefinitionUri file {uri}: {why}")])
    definition, problems = parse(text, path.suffix.lower() in (".yaml", ".yml"))
    if isinstance(definition, dict):
        definition = _replace_intrinsics(definition, holder, "Definition")
    return Extracted(definition, (), [_at(uri_ptr, d) for d in problems], definition_file=(path, text))


def _at(where: str, d: Diagnostic) -> Diagnostic:
    """A parse diagnostic of an embedded definition, placed at the template field."""
    return Diagnostic(where + (d.pointer if d.pointer else ""), d.code, d.message, d.severity)


def _replace_intrinsics(value: Any, holder: _Placeholders, hint: str) -> Any:
    """Inline Definition: each intrinsic function becomes a ``${placeholder}`` string
    (an ``Fn::Sub`` text keeps its text, with its variables as placeholders)."""
    if is_intrinsic(value):
        key, arg = next(iter(value.items()))
        if key == "Fn::Sub" and isinstance(arg, str):
            return holder.sub_text(arg, {})
        if key == "Fn::Sub" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            return holder.sub_text(arg[0], arg[1])
        return "${" + holder.intrinsic(value, hint) + "}"
    if isinstance(value, dict):
        return {k: _replace_intrinsics(v, holder, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_intrinsics(v, holder, hint) for v in value]
    return value


def _definition_text(value: Any, holder: _Placeholders) -> str | None:
    """The text of a DefinitionString: a string, Fn::Sub, or Fn::Join; None for other forms."""
    if isinstance(value, str):
        return value
    if not is_intrinsic(value):
        return None
    key, arg = next(iter(value.items()))
    if key == "Fn::Sub":
        if isinstance(arg, str):
            return holder.sub_text(arg, {})
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            return holder.sub_text(arg[0], arg[1])
        return None
    if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], list):
        pieces = []
        for piece in arg[1]:
            if isinstance(piece, str):
                pieces.append(piece)
            elif is_intrinsic(piece) and next(iter(piece)) == "Fn::Sub":
                text = _definition_text(piece, holder)
                if text is None:
                    return None
                pieces.append(text)
            elif is_intrinsic(piece):
                pieces.append("${" + holder.intrinsic(piece, "Value") + "}")
            else:
                return None
        return arg[0].join(pieces)
    return None


def _workflow_type(value: object) -> str | None:
    return value.upper() if isinstance(value, str) and value.upper() in ("STANDARD", "EXPRESS") else None


def workflow_type(template: dict, logical_id: str) -> str | None:
    """STANDARD or EXPRESS as the template's state machine declares it (SAM ``Type``,
    CloudFormation ``StateMachineType``; both default to STANDARD), or None when it is computed
    (an intrinsic function) and so not known here."""
    resource = template.get("Resources", {}).get(logical_id, {})
    properties = resource.get("Properties") if isinstance(resource, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    key = "Type" if resource.get("Type") == SERVERLESS_MACHINE else "StateMachineType"
    if key not in properties:
        return "STANDARD"
    return _workflow_type(properties[key])


def described_workflow_type(document: dict) -> str | None:
    """The ``type`` of a describe-state-machine document (STANDARD or EXPRESS), or None."""
    return _workflow_type(document.get("type"))


def from_description(document: dict, parse: Any) -> tuple[str | None, Extracted]:
    """The definition (and name) of a describe-state-machine document."""
    name = document.get("name") if isinstance(document.get("name"), str) else None
    text = document.get("definition")
    if isinstance(text, dict):
        return name, Extracted(text, definition_pointer="/definition")
    if not isinstance(text, str):
        return name, Extracted(None, (), [Diagnostic("/definition", BAD_DEFINITION, "definition must be a JSON string")])
    definition, problems = parse(text, False)
    diagnostics = [_at("/definition", d) for d in problems]
    if not isinstance(definition, dict):
        if not diagnostics:
            diagnostics.append(Diagnostic("/definition", BAD_DEFINITION, "definition is not a JSON object"))
        return name, Extracted(None, (), diagnostics)
    return name, Extracted(definition, (), diagnostics)


def _spelling_on_disk(folder: Path, uri: str) -> str | None:
    """How ``uri`` (a path relative to ``folder``) is spelt on disk, when that differs from ``uri``
    only in the case of its names; else None (the same, or no such file, or several candidates)."""
    here, parts, differs = folder, [], False
    for part in Path(uri).parts:
        if part in (".", "..") or Path(part).anchor == part:
            here, chosen = (Path(part) if Path(part).anchor == part else here / part), part
        else:
            try:
                names = os.listdir(here)
            except OSError:
                return None
            if part not in names:
                matches = [n for n in names if n.casefold() == part.casefold()]
                if len(matches) != 1:
                    return None
                part, differs = matches[0], True
            here, chosen = here / part, part
        parts.append(chosen)
    return Path(*parts).as_posix() if differs else None


__all__ = [
    "CFN_MACHINE",
    "DEFINITION_IN_S3",
    "MACHINE_TYPES",
    "SERVERLESS_MACHINE",
    "Extracted",
    "Severity",
    "Substitution",
    "add_yaml_tags",
    "described_workflow_type",
    "env_names",
    "extract",
    "from_description",
    "is_description",
    "is_template",
    "machine_ids",
    "workflow_type",
]
