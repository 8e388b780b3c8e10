"""The whole input template, rewritten: each state machine replaced by its durable function.

When ``convert`` is given a CloudFormation/SAM template, it writes each machine's folder as for
any input and, beside them, the template itself rewritten (``<out>/<template>/template.yaml``):

* each converted state machine resource becomes an ``AWS::Serverless::Function`` with the same
  logical ID (so ``DependsOn`` keeps working), ``CodeUri`` pointing at the machine's folder,
  the IAM policies the handler needs, and its configured placeholders as environment variables
  set to the very values (``!Ref``, ``!GetAtt``, ``!Sub``, literals) the template gave them;
* references to a replaced machine follow one rule: what started executions of the machine
  now invokes its durable function, by the function's alias ARN (``!Ref M<Alias>``; a durable
  function is invoked qualified). ``!Ref M`` and ``!GetAtt M.Arn`` (also inside ``!Sub``) become
  that alias ARN everywhere: in other resources, in outputs, and in the environment of a
  converted machine that starts M (whose Task then invokes it, see ``asl_runtime.durable_machine``;
  its role gets ``lambda:InvokeFunction`` on the alias). IAM statements allowing only
  ``states:StartExecution``/``StartSyncExecution`` on M allow ``lambda:InvokeFunction`` on the
  alias; SAM's ``StepFunctionsExecutionPolicy`` for M becomes ``LambdaInvokePolicy``; an
  ``AWS::Events::Rule`` target M targets the alias, without its role, with an
  ``AWS::Lambda::Permission`` for the rule. What has no counterpart is *unresolved* (a WARNING):
  ``!GetAtt M.Name`` (the function name is written), other attributes (the alias ARN is
  written), other Step Functions actions on M or its executions. :class:`Reference` records
  each one; ``MIGRATION.md`` beside the template lists them all;
* every other resource, parameter, condition, mapping and output is kept as it was, except that
  relative local paths (``CodeUri``, ``ContentUri``, ``DefinitionUri``, ...) are made relative
  to the new template's folder.

Problems are diagnostics (pointers into the input template), never exceptions.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.load import cfn
from asl2durable.render.deploy import ALIAS, deployment, env_value, function_kinds, function_resource
from asl2durable.diagnostics import Diagnostic, Severity, pointer
from asl2durable.load.placeholders import PLACEHOLDER
from asl2durable.render.render import render_template

TRANSFORM = "AWS::Serverless-2016-10-31"
REFERENCE = "STATE_MACHINE_REFERENCE_REWRITTEN"
DROPPED = "STATE_MACHINE_PROPERTY_DROPPED"
REPLACED = "STATE_MACHINE_PROPERTY_REPLACED"
CARRIED = "STATE_MACHINE_EVENT_CARRIED_OVER"
UNKNOWN_ATTRIBUTE = "STATE_MACHINE_ATTRIBUTE_UNAVAILABLE"
UNRESOLVED = "STATE_MACHINE_REFERENCE_UNRESOLVED"
# Step Functions actions that start an execution: on a converted machine, lambda:InvokeFunction.
_START_ACTIONS = {"states:startexecution", "states:startsyncexecution"}

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


@dataclass(frozen=True)
class Reference:
    """One reference to a converted state machine: where it is in the input template (a JSON
    pointer), the value there before and after the rewrite, and whether it is resolved (the
    rewritten value does what the reference did) or not (``note`` says what is left to do)."""

    where: str
    machine: str
    before: Any
    after: Any
    resolved: bool
    note: str


@dataclass
class Rewrite:
    """The rewritten template (data), the rewrite's diagnostics and every reference it met."""

    template: dict
    diagnostics: list[Diagnostic]
    references: list[Reference] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Reference]:
        return [r for r in self.references if not r.resolved]


def _describe(value: Any) -> str:
    """A template value as one line of text (short forms for Ref and GetAtt)."""
    short = cfn.short_form(value)
    if short is not None:
        return short
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::Sub"), str):
        return "!Sub " + json.dumps(value["Fn::Sub"])
    return json.dumps(value, sort_keys=True)


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
    result = rewrite(template, machines, source_folder, out_folder)
    return result.template, result.diagnostics


def rewrite(template: dict, machines: dict[str, Any], source_folder: Path, out_folder: Path) -> Rewrite:
    """As :func:`rewrite_template`, with every reference to a converted machine (:class:`Reference`)."""
    data = copy.deepcopy(template)
    resources: dict[str, Any] = data["Resources"]

    _add_transform(data)
    _relocate_all(data, set(machines), source_folder, out_folder)
    # references first, on the original resources; then the machines are replaced
    refs = _References(set(machines))
    diagnostics = refs.diagnostics
    _rewrite_references(data, refs, set(machines))
    _add_once(resources, refs.permissions, diagnostics, lambda taken: (
        f"{taken} already exists; the permission EventBridge needs to invoke a converted machine needs that logical ID"
    ))
    for logical_id, (translation, substitutions, folder) in machines.items():
        _replace_machine(resources, logical_id, translation, substitutions, refs, Path(os.path.relpath(folder, out_folder)))
    references = sorted(refs.references, key=lambda r: (r.where, r.machine))
    return Rewrite(data, sorted(diagnostics), references)


def _relocate_all(data: dict, machines: set[str], source_folder: Path, out_folder: Path) -> None:
    """The relative paths of the resources that stay (and of Globals' Function), as seen from
    the output folder."""
    for logical_id, resource in data["Resources"].items():
        if logical_id in machines or not isinstance(resource, dict):
            continue
        _relocate_paths(resource, source_folder, out_folder)
    globals_function = data.get("Globals", {}).get("Function") if isinstance(data.get("Globals"), dict) else None
    if isinstance(globals_function, dict):
        _relocate(globals_function, "CodeUri", source_folder, out_folder)


def _rewrite_references(data: dict, refs: _References, machines: set[str]) -> None:
    """Each reference to a converted machine in the Resources, Outputs and Conditions that stay,
    rewritten; a WARNING for each resource that refers to one."""
    for section in ("Resources", "Outputs", "Conditions"):
        block = data.get(section)
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if section == "Resources" and key in machines:
                continue
            count = len(refs.references)
            where = pointer(section, key)
            if section == "Resources" and isinstance(value, dict) and value.get("Type") == "AWS::Events::Rule":
                block[key] = refs.rule(key, value, where)
            else:
                block[key] = refs.value(value, where, "output" if section == "Outputs" else "resource")
            found = sorted({r.machine for r in refs.references[count:]})
            if found and section == "Resources":
                refs.diagnostics.append(Diagnostic(
                    where, REFERENCE,
                    f"{key} refers to the state machine {', '.join(found)}, now a durable function: its ARN is the "
                    "function alias ARN; whoever called states:StartExecution (or other Step Functions APIs) "
                    "now invokes the function (lambda:InvokeFunction); review this resource (MIGRATION.md lists "
                    "each reference)",
                    Severity.WARNING,
                ))


def _add_once(
    resources: dict[str, Any], added: dict[str, Any], diagnostics: list[Diagnostic], taken: Callable[[str], str]
) -> None:
    """Add each of ``added`` to the template's resources, or, where its logical ID is taken, an
    error (its message ``taken(logical_id)``)."""
    for logical_id, resource in added.items():
        if logical_id in resources:
            diagnostics.append(Diagnostic(pointer("Resources", logical_id), cfn.BAD_TEMPLATE, taken(logical_id)))
        else:
            resources[logical_id] = resource


def _carried(props: dict, here: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The properties of a machine that its function carries over (Tags, Events); a diagnostic
    for each other one that it does not."""
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
    return carried


def _substitution_values(translation: Any, substitutions: Any, props: dict, here: str, refs: _References) -> dict:
    """The value of each of the machine's substitutions, as its function's environment holds it."""
    starts = dict(translation.workflow.starts)
    given = props.get("DefinitionSubstitutions") if isinstance(props.get("DefinitionSubstitutions"), dict) else {}
    definition_key = next((k for k in ("Definition", "DefinitionString", "DefinitionUri") if k in props), "")
    values = {}
    for sub in substitutions:
        where = here + (
            pointer("Properties", "DefinitionSubstitutions", sub.name)
            if sub.name in given
            else pointer("Properties", definition_key)
        )
        context = f"start:{sub.name}:{starts[sub.name]}" if sub.name in starts else f"setting:{sub.name}"
        values[sub.name] = env_value(refs.value(sub.value, where, context))
    return values


def _replace_machine(
    resources: dict[str, Any], logical_id: str, translation: Any, substitutions: Any, refs: _References, code_uri: Path
) -> None:
    """The machine ``logical_id`` replaced by its durable function (and its activity queue)."""
    diagnostics = refs.diagnostics
    original = resources[logical_id]
    props = original.get("Properties", {}) if isinstance(original.get("Properties"), dict) else {}
    here = pointer("Resources", logical_id)
    carried = _carried(props, here, diagnostics)
    values = _substitution_values(translation, substitutions, props, here, refs)
    dep = deployment(translation.workflow, translation.diagnostics, values, function_kinds(substitutions))
    description = f"{logical_id}: durable function translated from a Step Functions state machine by asl2durable"
    queue_id = f"{logical_id}ActivityQueue"
    function = function_resource(dep, description, code_uri.as_posix(), logical_id, queue_id)
    function["Properties"].update({k: v for k, v in carried.items() if v})
    for attribute in ("Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"):
        if attribute in original:
            function[attribute] = original[attribute]
    resources[logical_id] = function
    if dep.activities:
        queue = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 300}}
        _add_once(resources, {queue_id: queue}, diagnostics, lambda taken: (
            f"{taken} already exists; the activity queue of {logical_id} needs that logical ID"
        ))


def render_migration(result: Rewrite, source: str) -> str:
    """``MIGRATION.md`` beside the rewritten template: every reference to a converted machine,
    rewritten or unresolved, and the rewrite's warnings."""
    warnings = [d for d in result.diagnostics if d.severity is Severity.WARNING]
    return render_template(
        "template_migration.md.jinja", result=result, warnings=warnings, source=source, describe=_describe,
        alias=ALIAS,
    )


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


class _References:
    """Rewrites references to converted machines (``replaced``) and records each one."""

    def __init__(self, replaced: set[str]):
        self.replaced = replaced
        self.references: list[Reference] = []
        self.diagnostics: list[Diagnostic] = []
        self.permissions: dict[str, dict] = {}  # AWS::Lambda::Permission resources for EventBridge rules

    def record(self, where: str, machine: str, before: Any, after: Any, resolved: bool, note: str) -> None:
        self.references.append(Reference(where, machine, before, after, resolved, note))
        if not resolved:
            self.diagnostics.append(Diagnostic(
                where, UNRESOLVED, f"{_describe(before)}: {note}", Severity.WARNING,
            ))

    def machine_arn(self, value: Any) -> str | None:
        """The machine whose ARN ``value`` is, as a whole (``!Ref M``, ``!GetAtt M.Arn``, ``!Sub '${M}'``)."""
        if not isinstance(value, dict) or len(value) != 1:
            return None
        key, arg = next(iter(value.items()))
        if key == "Ref" and arg in self.replaced:
            return arg
        if key == "Fn::GetAtt":
            target = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(target, list) and len(target) == 2 and target[0] in self.replaced and target[1] == "Arn":
                return target[0]
        if key == "Fn::Sub" and isinstance(arg, str):
            whole = PLACEHOLDER.fullmatch(arg)
            name, _, attribute = whole.group(1).partition(".") if whole else ("", "", "")
            if name in self.replaced and attribute in ("", "Arn"):
                return name
        return None

    def mentions(self, value: Any) -> bool:
        """Does ``value`` refer to a converted machine anywhere?"""
        probe = _References(self.replaced)
        probe.value(copy.deepcopy(value), "", "resource")
        return bool(probe.references)

    def arn_note(self, context: str) -> tuple[bool, str]:
        """Whether a reference to a machine's ARN is resolved where it is (``context``), and why."""
        if context == "output":
            return True, "the output is the function alias ARN: invoke it to start an execution"
        if context.startswith("start:"):
            _, placeholder, pattern = context.split(":", 2)
            if pattern == "callback":
                return False, (
                    f"the converted machine's startExecution.waitForTaskToken Task (placeholder {placeholder}) "
                    "invokes the function asynchronously; the child must answer the task token with the durable "
                    "callback APIs (lambda:SendDurableExecutionCallbackSuccess), not states:SendTaskSuccess"
                )
            how = "a chained invoke" if pattern.startswith("sync") else "an asynchronous invoke"
            return True, (
                f"the converted machine's startExecution Task (placeholder {placeholder}) now invokes the function "
                f"({how}); its role may invoke the alias"
            )
        if context.startswith("setting:"):
            placeholder = context.split(":", 1)[1]
            return False, (
                f"the converted machine reads the function alias ARN from placeholder {placeholder}, but not as the "
                "StateMachineArn of a startExecution Task: review the states that use it"
            )
        if context.startswith("unresolved:"):
            return False, context.split(":", 1)[1]
        return True, (
            "now the function alias ARN: whoever started executions with it invokes the function instead "
            "(lambda:InvokeFunction, the execution input as the event)"
        )

    def value(self, value: Any, where: str, context: str) -> Any:
        """``value`` with references to converted machines pointed at their functions."""
        if isinstance(value, list):
            return [self.value(v, where + pointer(i), context) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "Effect" in value and "Resource" in value and ("Action" in value or "NotAction" in value):
            return self.statement(value, where, context)
        if len(value) == 1:
            key, arg = next(iter(value.items()))
            if key == "StepFunctionsExecutionPolicy" and isinstance(arg, dict) and set(arg) == {"StateMachineName"}:
                return self.sam_policy(value, arg["StateMachineName"], where, context)
            if key == "Ref" and arg in self.replaced:
                after = {"Ref": alias_id(arg)}
                self.record(where, arg, value, after, *self.arn_note(context))
                return after
            if key == "Fn::GetAtt":
                target = arg.split(".", 1) if isinstance(arg, str) else arg
                if isinstance(target, list) and len(target) == 2 and target[0] in self.replaced:
                    return self.attribute(value, target[0], target[1], where, context)
            if key == "Fn::Sub":
                return self.sub(value, arg, where, context)
        return {k: self.value(v, where + pointer(k), context) for k, v in value.items()}

    def attribute(self, value: dict, machine: str, attribute: str, where: str, context: str) -> Any:
        if attribute == "Arn":
            after = {"Ref": alias_id(machine)}
            self.record(where, machine, value, after, *self.arn_note(context))
            return after
        if attribute == "Name":
            after = {"Ref": machine}
            self.record(where, machine, value, after, False, (
                "a state machine name has no durable counterpart; the function name is written: whatever builds a "
                "state machine or execution ARN from it, or calls Step Functions with it, must change"
            ))
            return after
        after = {"Ref": alias_id(machine)}
        self.diagnostics.append(Diagnostic(
            where, UNKNOWN_ATTRIBUTE,
            f"{machine}.{attribute} has no counterpart on the durable function; the alias ARN is used",
            Severity.WARNING,
        ))
        self.references.append(Reference(where, machine, value, after, False, f"{attribute} has no counterpart on the function"))
        return after

    def sub(self, value: dict, arg: Any, where: str, context: str) -> Any:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            variables = self.value(arg[1], where + pointer(1), context)
            text, machines, names = self.sub_text(arg[0], set(arg[1]))
            after: Any = {"Fn::Sub": [text, variables]}
        elif isinstance(arg, str):
            text, machines, names = self.sub_text(arg, set())
            after = {"Fn::Sub": text}
        else:
            return value
        if not machines:
            return after
        machine = min(machines)
        if self.machine_arn(value) is not None or context.startswith("unresolved:"):  # the ARN as a whole
            self.record(where, machine, value, after, *self.arn_note(context))
        elif names:
            self.record(where, machine, value, after, False, (
                "a state machine name has no durable counterpart; the function name is written: whatever builds a "
                "state machine or execution ARN from it, or calls Step Functions with it, must change"
            ))
        else:
            self.record(where, machine, value, after, False, (
                "the machine's ARN inside a longer text (a URL, an execution ARN, a request body) is now the "
                "function alias ARN there: what the text is used for must change by hand"
            ))
        return after

    def sub_text(self, text: str, variables: set[str]) -> tuple[str, set[str], bool]:
        machines: set[str] = set()
        names = False

        def replace(match: re.Match) -> str:
            nonlocal names
            inner = match.group(1)
            if inner.startswith("!") or inner in variables:
                return match.group(0)
            name, _, attribute = inner.partition(".")
            if name not in self.replaced:
                return match.group(0)
            machines.add(name)
            if attribute == "Name":
                names = True
                return "${" + name + "}"
            return "${" + alias_id(name) + "}"

        return PLACEHOLDER.sub(replace, text), machines, names

    def statement(self, statement: dict, where: str, context: str) -> Any:
        """An IAM statement: ``states:StartExecution`` on converted machines only becomes
        ``lambda:InvokeFunction`` on their aliases; any other statement about them is unresolved."""
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if not self.mentions(statement["Resource"]):
            return {k: self.value(v, where + pointer(k), context) for k, v in statement.items()}
        targets = [self.machine_arn(r) for r in resources]
        starts_only = "Action" in statement and all(isinstance(a, str) and a.lower() in _START_ACTIONS for a in actions)
        if starts_only and all(targets) and not ({"Condition", "NotResource"} & set(statement)):
            after = dict(statement)
            after["Action"] = "lambda:InvokeFunction" if isinstance(statement["Action"], str) else ["lambda:InvokeFunction"]
            aliases = [{"Ref": alias_id(t)} for t in dict.fromkeys(targets)]
            after["Resource"] = aliases if isinstance(statement["Resource"], list) else aliases[0]
            for machine in dict.fromkeys(targets):
                self.record(where, machine, statement, after, True, (
                    "states:StartExecution on the machine became lambda:InvokeFunction on its function alias"
                ))
            return after
        listed = ", ".join(str(a) for a in actions) if "Action" in statement else "NotAction"
        note = (
            f"the statement allows {listed} on the machine or its executions: besides starting it (lambda:InvokeFunction "
            "on the alias), Step Functions actions have no counterpart on the function (durable executions are read "
            "and stopped with lambda:GetDurableExecution, lambda:StopDurableExecution, ...): rewrite it by hand"
        )
        return {k: self.value(v, where + pointer(k), f"unresolved:{note}") for k, v in statement.items()}

    def sam_policy(self, value: dict, name: Any, where: str, context: str) -> Any:
        """SAM's StepFunctionsExecutionPolicy (states:StartExecution on a machine, by name)."""
        target = None
        if isinstance(name, dict) and len(name) == 1:
            key, arg = next(iter(name.items()))
            attribute = arg.split(".", 1) if isinstance(arg, str) else arg
            if key == "Fn::GetAtt" and isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Name":
                target = attribute[0] if attribute[0] in self.replaced else None
        if target is None:
            return {k: self.value(v, where + pointer(k), context) for k, v in value.items()}
        after = {"LambdaInvokePolicy": {"FunctionName": {"Ref": target}}}
        self.record(where, target, value, after, True, (
            "SAM's StepFunctionsExecutionPolicy (states:StartExecution) became LambdaInvokePolicy on the function "
            "(lambda:InvokeFunction, its alias included)"
        ))
        return after

    def rule(self, logical_id: str, resource: dict, where: str) -> Any:
        """An EventBridge rule: a target that is a converted machine targets its function alias,
        without the role that allowed states:StartExecution (Lambda targets are allowed by the
        function's resource policy: an AWS::Lambda::Permission for the rule is added)."""
        props = resource.get("Properties")
        targets = props.get("Targets") if isinstance(props, dict) else None
        if not isinstance(targets, list):
            return self.value(resource, where, "resource")
        out = dict(resource)
        new_props = {k: self.value(v, where + pointer("Properties", k), "resource") for k, v in props.items() if k != "Targets"}
        new_targets = []
        for i, target in enumerate(targets):
            here = where + pointer("Properties", "Targets", i)
            machine = self.machine_arn(target.get("Arn")) if isinstance(target, dict) else None
            if machine is None:
                new_targets.append(self.value(target, here, "resource"))
                continue
            after = {k: self.value(v, here + pointer(k), "unresolved:input transformation for the function") for k, v in target.items() if k not in ("Arn", "RoleArn")}
            after = {"Arn": {"Ref": alias_id(machine)}, **after}
            permission_id = f"{logical_id}{machine}Permission"
            self.permissions[permission_id] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": alias_id(machine)},
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": [logical_id, "Arn"]},
                },
            }
            self.record(here + pointer("Arn"), machine, target, after, True, (
                f"the rule invokes the function alias with the event as the execution input; {permission_id} "
                "(AWS::Lambda::Permission) allows it, instead of the target's role"
            ))
            new_targets.append(after)
        new_props["Targets"] = new_targets
        out["Properties"] = {k: new_props[k] for k in props}
        return {k: (out[k] if k == "Properties" else self.value(v, where + pointer(k), "resource")) for k, v in resource.items()}


__all__ = ["Reference", "Rewrite", "alias_id", "render_migration", "render_rewritten", "rewrite", "rewrite_template"]
