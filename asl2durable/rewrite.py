"""The whole input template, rewritten: each state machine replaced by its durable function.

When ``convert`` is given a CloudFormation/SAM template, it writes each machine's folder as for
any input and, beside them, the template itself rewritten (``<out>/<template>/template.yaml``):

* each converted state machine resource becomes an ``AWS::Serverless::Function`` with the same
  logical ID (so ``DependsOn`` keeps working), ``CodeUri`` pointing at the machine's folder,
  the IAM policies the handler needs, and its configured placeholders as environment variables
  set to the very values (``!Ref``, ``!GetAtt``, ``!Sub``, literals) the template gave them;
* references to a replaced machine are rewritten: ``!Ref M`` and ``!GetAtt M.Arn`` (the state
  machine ARN) become the function alias ARN (``!Ref M<Alias>``), ``!GetAtt M.Name`` the function
  name (``!Ref M``), likewise inside ``!Sub`` strings; each rewritten reference inside another
  resource is a WARNING (whoever started executions now invokes a function);
* every other resource, parameter, condition, mapping and output is kept as it was, except that
  relative local paths (``CodeUri``, ``ContentUri``, ``DefinitionUri``, ...) are made relative
  to the new template's folder.

Problems are diagnostics (pointers into the input template), never exceptions.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

from . import cfn
from .deploy import ALIAS, deployment, env_value, function_kinds, function_resource
from .diagnostics import Diagnostic, Severity, pointer
from .placeholders import PLACEHOLDER
from .render import render_template

TRANSFORM = "AWS::Serverless-2016-10-31"
REFERENCE = "STATE_MACHINE_REFERENCE_REWRITTEN"
DROPPED = "STATE_MACHINE_PROPERTY_DROPPED"
REPLACED = "STATE_MACHINE_PROPERTY_REPLACED"
CARRIED = "STATE_MACHINE_EVENT_CARRIED_OVER"
UNKNOWN_ATTRIBUTE = "STATE_MACHINE_ATTRIBUTE_UNAVAILABLE"

# Properties of a state machine that the function replaces: the definition, and its role and policies.
_DEFINITION = {"Definition", "DefinitionUri", "DefinitionString", "DefinitionSubstitutions"}
_ROLE = {"Role", "RoleArn", "Policies", "PermissionsBoundary", "RolePath"}
# SAM state machine event sources that SAM functions have too, and the properties only the
# state machine's version takes (the role EventBridge assumed to start executions, ...).
_EVENT_TYPES = {"Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule"}
_STATE_MACHINE_ONLY = {"RoleArn", "PermissionsBoundary", "Target", "UseExistingRule", "InputTransformer"}
# Local paths SAM/CloudFormation packaging resolves relative to the template, by resource type.
_PATH_PROPERTIES = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::Application": ("Location",),
    "AWS::Serverless::GraphQLApi": ("SchemaUri",),
    "AWS::Lambda::Function": ("Code",),
    "AWS::Lambda::LayerVersion": ("Content",),
    "AWS::CloudFormation::Stack": ("TemplateURL",),
}
_REMOTE = re.compile(r"^(s3|https?)://", re.IGNORECASE)


def alias_id(logical_id: str) -> str:
    """The logical ID SAM gives the ``AutoPublishAlias`` alias of a function."""
    return f"{logical_id}Alias{ALIAS}"


def rewrite_template(
    template: dict,
    machines: dict[str, Any],
    source_folder: Path,
    out_folder: Path,
) -> tuple[dict, list[Diagnostic]]:
    """The template with each machine in ``machines`` (logical ID -> ``(translation, substitutions,
    machine folder)``) replaced by its durable function; and the diagnostics of the rewrite."""
    diagnostics: list[Diagnostic] = []
    data = copy.deepcopy(template)
    resources: dict[str, Any] = data["Resources"]

    _add_transform(data)
    for logical_id, resource in resources.items():
        if logical_id in machines or not isinstance(resource, dict):
            continue
        _relocate_paths(resource, source_folder, out_folder)
    globals_function = data.get("Globals", {}).get("Function") if isinstance(data.get("Globals"), dict) else None
    if isinstance(globals_function, dict):
        _relocate(globals_function, "CodeUri", source_folder, out_folder)

    # references first, on the original resources; then the machines are replaced
    replaced = set(machines)
    for section in ("Resources", "Outputs", "Conditions"):
        block = data.get(section)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if section == "Resources" and key in replaced:
                continue
            found: list[str] = []
            block[key] = _rewrite_references(value, replaced, found, pointer(section, key), diagnostics)
            if found and section == "Resources":
                names = ", ".join(sorted(set(found)))
                diagnostics.append(Diagnostic(
                    pointer(section, key), REFERENCE,
                    f"{key} refers to the state machine {names}, now a durable function: its ARN is the "
                    "function alias ARN; whoever called states:StartExecution (or other Step Functions APIs) "
                    "now invokes the function (lambda:InvokeFunction); review this resource",
                    Severity.WARNING,
                ))

    for logical_id, (translation, substitutions, folder) in machines.items():
        original = resources[logical_id]
        props = original.get("Properties", {}) if isinstance(original.get("Properties"), dict) else {}
        here = pointer("Resources", logical_id)
        carried: dict[str, Any] = {}
        for key, value in props.items():
            where = here + pointer("Properties", key)
            if key in _DEFINITION or (key == "Type" and value == "STANDARD"):
                continue
            if key in _ROLE:
                diagnostics.append(Diagnostic(
                    where, REPLACED,
                    f"{key}: the function has its own role, with the policies its handler needs (see MIGRATION.md)",
                    Severity.INFO,
                ))
            elif key == "Tags" and _tags(value) is not None:
                carried["Tags"] = _tags(value)
            elif key == "Events" and isinstance(value, dict):
                carried["Events"] = _events(value, where, diagnostics)
            else:
                why = (
                    "an EXPRESS machine becomes a durable function: executions are checkpointed and may run "
                    "up to the ExecutionTimeout; review callers that expected synchronous EXPRESS results"
                    if key == "Type"
                    else "not carried over to the durable function; configure the function instead"
                )
                diagnostics.append(Diagnostic(where, DROPPED, f"{key}: {why}", Severity.WARNING))
        values = {sub.name: env_value(sub.value) for sub in substitutions}
        dep = deployment(translation.workflow, translation.diagnostics, values, function_kinds(substitutions))
        description = f"{logical_id}: durable function translated from a Step Functions state machine by asl2durable"
        code_uri = Path(os.path.relpath(folder, out_folder)).as_posix()
        queue_id = f"{logical_id}ActivityQueue"
        function = function_resource(dep, description, code_uri, logical_id, queue_id)
        function["Properties"].update({k: v for k, v in carried.items() if v})
        for attribute in ("Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"):
            if attribute in original:
                function[attribute] = original[attribute]
        resources[logical_id] = function
        if dep.activities:
            if queue_id in resources:
                diagnostics.append(Diagnostic(
                    pointer("Resources", queue_id), cfn.BAD_TEMPLATE,
                    f"{queue_id} already exists; the activity queue of {logical_id} needs that logical ID",
                ))
            else:
                resources[queue_id] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 300}}
    return data, sorted(diagnostics)


def render_rewritten(data: dict, source: str) -> str:
    return render_template("rewritten.yaml.jinja", template=data, source=source)


def _tags(value: Any) -> dict | None:
    """Tags as a SAM function takes them (a mapping): SAM machines have one, CloudFormation a list."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and all(
        isinstance(t, dict) and set(t) == {"Key", "Value"} and isinstance(t["Key"], str) for t in value
    ):
        return {t["Key"]: t["Value"] for t in value}
    return None


def _events(events: dict, where: str, diagnostics: list[Diagnostic]) -> dict:
    """The SAM state machine's event sources that a function has too (schedules, EventBridge rules)."""
    out = {}
    for name, event in events.items():
        here = where + pointer(name)
        kind = event.get("Type") if isinstance(event, dict) else None
        props = event.get("Properties", {}) if isinstance(event, dict) else None
        if kind in _EVENT_TYPES and isinstance(props, dict):
            kept = {k: v for k, v in props.items() if k not in _STATE_MACHINE_ONLY}
            out[name] = {"Type": kind, "Properties": kept}
            dropped = sorted(set(props) - set(kept))
            note = f" ({', '.join(dropped)} dropped: the function is invoked directly)" if dropped else ""
            diagnostics.append(Diagnostic(
                here, CARRIED,
                f"the {kind} event now invokes the function (its alias) with the event as the execution input{note}",
                Severity.INFO,
            ))
        else:
            diagnostics.append(Diagnostic(
                here, DROPPED,
                f"the {kind} event is not carried over: a function behind it receives a different event than "
                "StartExecution did; wire it to the function by hand",
                Severity.WARNING,
            ))
    return out


def _add_transform(data: dict) -> None:
    transform = data.get("Transform")
    if transform is None:
        data["Transform"] = TRANSFORM
    elif isinstance(transform, list):
        if TRANSFORM not in transform:
            data["Transform"] = [*transform, TRANSFORM]
    elif transform != TRANSFORM:
        data["Transform"] = [transform, TRANSFORM]
    if "Transform" in data and list(data).index("Transform") > 1:  # keep it near the top, as people write it
        ordered = {k: data[k] for k in ("AWSTemplateFormatVersion", "Transform") if k in data}
        rest = {k: v for k, v in data.items() if k not in ordered}
        data.clear()
        data.update(ordered)
        data.update(rest)


def _relocate_paths(resource: dict, source_folder: Path, out_folder: Path) -> None:
    props = resource.get("Properties")
    if not isinstance(props, dict):
        return
    for key in _PATH_PROPERTIES.get(resource.get("Type", ""), ()):
        _relocate(props, key, source_folder, out_folder)


def _relocate(props: dict, key: str, source_folder: Path, out_folder: Path) -> None:
    value = props.get(key)
    if isinstance(value, str) and value and not _REMOTE.match(value) and not os.path.isabs(value):
        props[key] = Path(os.path.relpath(source_folder / value, out_folder)).as_posix()


def _rewrite_references(value: Any, replaced: set[str], found: list[str], where: str, diagnostics: list[Diagnostic]) -> Any:
    """``value`` with references to replaced state machines pointed at their functions."""
    if isinstance(value, list):
        return [_rewrite_references(v, replaced, found, where + pointer(i), diagnostics) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        key, arg = next(iter(value.items()))
        if key == "Ref" and arg in replaced:
            found.append(arg)
            return {"Ref": alias_id(arg)}
        if key == "Fn::GetAtt":
            target = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(target, list) and len(target) == 2 and target[0] in replaced:
                found.append(target[0])
                if target[1] == "Name":
                    return {"Ref": target[0]}
                if target[1] != "Arn":
                    diagnostics.append(Diagnostic(
                        where, UNKNOWN_ATTRIBUTE,
                        f"{target[0]}.{target[1]} has no counterpart on the durable function; the alias ARN is used",
                        Severity.WARNING,
                    ))
                return {"Ref": alias_id(target[0])}
        if key == "Fn::Sub":
            if isinstance(arg, str):
                return {"Fn::Sub": _rewrite_sub(arg, replaced, found, set())}
            if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
                variables = _rewrite_references(arg[1], replaced, found, where + pointer(1), diagnostics)
                return {"Fn::Sub": [_rewrite_sub(arg[0], replaced, found, set(arg[1])), variables]}
    return {k: _rewrite_references(v, replaced, found, where + pointer(k), diagnostics) for k, v in value.items()}


def _rewrite_sub(text: str, replaced: set[str], found: list[str], variables: set[str]) -> str:
    def replace(match: re.Match) -> str:
        inner = match.group(1)
        if inner.startswith("!") or inner in variables:
            return match.group(0)
        name, _, attribute = inner.partition(".")
        if name not in replaced:
            return match.group(0)
        found.append(name)
        if attribute == "Name":
            return "${" + name + "}"
        return "${" + alias_id(name) + "}"

    return PLACEHOLDER.sub(replace, text)


__all__ = ["alias_id", "render_rewritten", "rewrite_template"]
