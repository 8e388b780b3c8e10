"""Deployment: what the SAM template and MIGRATION.md of a converted machine need, from the IR.

:func:`deployment` walks the workflow once and collects the Lambda functions the handler invokes,
the AWS API actions of its service integrations, activities and callbacks, and the durable
configuration. :func:`template` turns that into the SAM template's data (a plain dict, dumped as
YAML by the ``yaml`` filter, so no string from the definition is ever pasted into YAML text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from asl2durable.load import cfn

from asl2durable.lower import ir
from asl2durable.diagnostics import Diagnostic, Severity
from asl2durable.lower.integrations import sdk_api
from asl2durable.lower.lower import MAX_EXECUTION_TIMEOUT
from asl2durable.load.placeholders import PLACEHOLDER, fresh, sub_variables
from asl2durable.render.render import render_template
from asl2durable.runtime import asl_services as _svc

# DurableConfig.RetentionPeriodInDays: 1..90, Lambda's documented default is 14.
DEFAULT_RETENTION_DAYS = 14
RUNTIME = "python3.13"
# The template sets no MemorySize, so the function gets Lambda's default: 128 MB. The cost
# estimate (pricing.py) prices the function's compute at this size.
MEMORY_MB = 128
# The per-invocation Lambda timeout (not the execution's): the longest one invocation may take.
INVOCATION_TIMEOUT = 900
FUNCTION_ID = "DurableFunction"
ALIAS = "live"
ACTIVITY_QUEUE_ID = "ActivityQueue"
DURABLE_POLICY = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"

_FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_-]+)?$")

# Integrations that are not one AWS API (asl_services.CUSTOM).
_CUSTOM_ACTIONS = {
    ("apigateway", "invoke"): ("execute-api:Invoke",),
    ("http", "invoke"): ("events:DescribeConnection", "secretsmanager:GetSecretValue"),
    ("bedrock", "invokeModel"): ("bedrock:InvokeModel",),
    ("elasticmapreduce", "modifyInstanceFleetByName"): (
        "elasticmapreduce:ListInstanceFleets", "elasticmapreduce:ModifyInstanceFleet",
    ),
    ("elasticmapreduce", "modifyInstanceGroupByName"): (
        "elasticmapreduce:ListInstanceGroups", "elasticmapreduce:ModifyInstanceGroups",
    ),
}
# aws-sdk service names whose IAM prefix differs from the Step Functions name.
_IAM_PREFIX = {"sfn": "states", "cloudwatchlogs": "logs", "emr": "elasticmapreduce", "apigatewayv2": "apigateway"}
# APIs whose IAM action is not the API name.
_IAM_ACTION = {
    "s3:ListObjectsV2": ("s3:ListBucket",),
    "s3:ListObjects": ("s3:ListBucket",),
    "s3:ListObjectVersions": ("s3:ListBucketVersions",),
    "s3:HeadObject": ("s3:GetObject",),
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:CopyObject": ("s3:GetObject", "s3:PutObject"),
    "s3:DeleteObjects": ("s3:DeleteObject",),
}
_ITEM_READER_ACTIONS = ("s3:GetObject", "s3:ListBucket")
_RESULT_WRITER_ACTIONS = ("s3:PutObject",)


@dataclass(frozen=True)
class Deployment:
    """What the deployed durable function needs, derived from the IR."""

    name: str
    execution_timeout: int
    timeout_note: str  # where execution_timeout comes from
    retention_days: int
    functions: tuple[str, ...]  # static function names / ARNs invoked, sorted
    dynamic_functions: bool  # some FunctionName is only known at run time
    actions: tuple[str, ...]  # IAM actions of the service integrations and item I/O, sorted
    callbacks: tuple[str, ...]  # names of .waitForTaskToken states
    activities: tuple[str, ...]  # activity ARNs, sorted
    warnings: tuple[Diagnostic, ...] = field(default=())
    # configuration: (placeholder, environment variable) pairs the handler reads, and the functions
    # named by such placeholders; ``values`` gives each placeholder its value in the template
    settings: tuple[tuple[str, str], ...] = ()
    configured_functions: tuple[ir.Setting, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    function_kinds: dict[str, str] = field(default_factory=dict)  # placeholder -> "arn" | "name"
    # a Distributed Map with an ItemReader runs large datasets in child executions of the function
    invokes_itself: bool = False
    # (placeholder, pattern) of the startExecution Tasks that start a machine of the same template
    # (ir.Workflow.starts): the function invokes that machine's durable function (its alias)
    starts: tuple[tuple[str, str], ...] = ()

    def started(self) -> list[Any]:
        """The IAM resources of the durable functions this one starts (the start placeholders' values)."""
        out: list[Any] = []
        for placeholder, _pattern in self.starts:
            value = self.values.get(placeholder)
            if value not in (None, "") and value not in out:
                out.append(value)
        return out

    @property
    def invocation_timeout(self) -> int:
        return min(INVOCATION_TIMEOUT, self.execution_timeout)

    def environment(self, function_id: str = FUNCTION_ID, queue_id: str = ACTIVITY_QUEUE_ID) -> dict[str, Any]:
        env: dict[str, Any] = {"ASL_EXECUTION_ROLE_ARN": {"Fn::GetAtt": [f"{function_id}Role", "Arn"]}}
        if self.activities:
            env["ASL_ACTIVITY_QUEUE_URL"] = {"Ref": queue_id}
        for placeholder, variable in self.settings:
            env[variable] = self.values.get(placeholder, "")
        return env

    def statements(self, queue_id: str = ACTIVITY_QUEUE_ID, function_id: str = FUNCTION_ID) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.invokes_itself:  # by the name CloudFormation gives it (its ARN would be a circular reference)
            out.append({"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": {"Fn::Sub": _FUNCTION_PREFIX + "${AWS::StackName}-" + function_id + "-*"}})
        configured = [_configured_function(f, self.values, self.function_kinds) for f in self.configured_functions]
        dynamic = self.dynamic_functions or any(r is None for r in configured)
        started = [r for r in self.started() if r not in configured]
        if self.functions or configured or dynamic or started:
            resources: Any = "*" if dynamic else [_function_resource(f) for f in self.functions] + configured + started
            out.append({"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": resources})
        if self.actions:
            out.append({"Effect": "Allow", "Action": list(self.actions), "Resource": "*"})
        if self.activities:
            out.append(
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": [queue_id, "Arn"]}}
            )
        return out

    def policies(self, queue_id: str = ACTIVITY_QUEUE_ID, function_id: str = FUNCTION_ID) -> list[Any]:
        policies: list[Any] = [{"Fn::Sub": DURABLE_POLICY}]
        statements = self.statements(queue_id, function_id)
        if statements:
            policies.append({"Version": "2012-10-17", "Statement": statements})
        return policies


_FUNCTION_PREFIX = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"


def _function_resource(function: str) -> Any:
    """The IAM resource of a statically known function: its ARN, or an ARN built from its name."""
    if _FUNCTION_ARN.match(function):
        return function
    return {"Fn::Sub": _FUNCTION_PREFIX + function}


def _configured_function(function: ir.Setting, values: dict[str, Any], kinds: dict[str, str]) -> Any:
    """The IAM resource of a function named by configuration, from the values the template gives
    its placeholders; None when that is not known (the policy then allows any function)."""
    whole = PLACEHOLDER.fullmatch(function.text)
    if whole:
        placeholder = whole.group(1)
        value = values.get(placeholder)
        if isinstance(value, str):
            return _function_resource(value) if _static_function(value) else None
        if kinds.get(placeholder) == "arn":  # !GetAtt Function.Arn
            return value
        if kinds.get(placeholder) == "name":  # !Ref Function
            return {"Fn::Sub": [_FUNCTION_PREFIX + "${Name}", {"Name": value}]}
        return None
    if function.text.startswith("arn:"):  # an ARN with configured parts: the same parts in Fn::Sub
        text = function.text
        variables = {}
        for placeholder, variable in function.env:
            text = text.replace("${" + placeholder + "}", "${" + variable + "}")
            variables[variable] = values.get(placeholder, "")
        return {"Fn::Sub": [text, variables]}
    return None


def _static_function(function: str | None) -> str | None:
    """A function usable in the policy, or None when it is dynamic or not a plain name/ARN."""
    if function is None:
        return None
    if _FUNCTION_ARN.match(function) or _FUNCTION_NAME.match(function):
        return function
    return None


def _service_actions(call: ir.ServiceCall) -> list[str]:
    res = _svc.parse_resource(call.base)
    if call.kind == "aws-sdk":
        api = sdk_api(res.service, res.action)[1] or res.action[:1].upper() + res.action[1:]
        action = f"{_IAM_PREFIX.get(res.service, res.service)}:{api}"
        return list(_IAM_ACTION.get(action, (action,)))
    key = (res.service, res.action)
    if key in _CUSTOM_ACTIONS:
        return list(_CUSTOM_ACTIONS[key])
    spec = _svc.OPTIMIZED.get(key)
    if spec is None:
        return []
    actions = [f"{res.service}:{spec.operation}"]
    if call.pattern in ("sync", "sync:2") and spec.poller:
        actions.extend(_svc.POLLER_ACTIONS.get(spec.poller, ()))  # the poller table's
        if res.service == "states":  # .sync on a child execution: Step Functions' managed rule
            actions.extend(("events:PutTargets", "events:PutRule", "events:DescribeRule"))
    return actions


def deployment(
    workflow: ir.Workflow,
    diagnostics: list[Diagnostic] = (),
    values: dict[str, Any] | None = None,
    function_kinds: dict[str, str] | None = None,
) -> Deployment:
    functions: set[str] = set()
    configured: list[ir.Setting] = []
    dynamic = False
    actions: set[str] = set()
    callbacks: list[str] = []
    activities: set[str] = set()
    invokes_itself = False
    for state in workflow.states():
        if isinstance(state, ir.TaskState):
            call = state.call
            if (isinstance(call, ir.LambdaCall) or (isinstance(call, ir.ServiceCall) and call.kind == "lambda")) and (
                isinstance(call.function, ir.Setting)
            ):
                if call.function not in configured:
                    configured.append(call.function)
            elif isinstance(call, ir.LambdaCall) or (isinstance(call, ir.ServiceCall) and call.kind == "lambda"):
                static = _static_function(call.function)
                if static is None:
                    dynamic = True
                else:
                    functions.add(static)
            elif isinstance(call, ir.ServiceCall) and call.kind == "activity":
                activities.add(call.base)
            elif isinstance(call, ir.ServiceCall):
                actions.update(_service_actions(call))
            if ir.waits_for_token(call) and call.kind != "activity":
                callbacks.append(state.name)
        elif isinstance(state, ir.MapState):
            if state.reads_items:
                actions.update(_ITEM_READER_ACTIONS)
                invokes_itself = True
            if state.result_writer is not ir.DEFAULT and state.result_writer is not None:
                actions.update(_RESULT_WRITER_ACTIONS)
    execution_timeout, note = workflow.lifetime, workflow.lifetime_reason
    return Deployment(
        name=workflow.name,
        execution_timeout=execution_timeout,
        timeout_note=note,
        retention_days=DEFAULT_RETENTION_DAYS,
        functions=tuple(sorted(functions)),
        dynamic_functions=dynamic,
        actions=tuple(sorted(actions)),
        callbacks=tuple(callbacks),
        activities=tuple(sorted(activities)),
        warnings=tuple(d for d in sorted(diagnostics) if d.severity is Severity.WARNING),
        settings=workflow.settings,
        configured_functions=tuple(configured),
        values=dict(values or {}),
        function_kinds=dict(function_kinds or {}),
        invokes_itself=invokes_itself,
        starts=workflow.starts,
    )


def function_resource(
    dep: Deployment,
    description: str,
    code_uri: str = ".",
    function_id: str = FUNCTION_ID,
    queue_id: str = ACTIVITY_QUEUE_ID,
) -> dict[str, Any]:
    """The durable function's ``AWS::Serverless::Function`` resource (logical ID ``function_id``;
    the SQS queue of its activities, if any, is ``queue_id``)."""
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": description,
            "Runtime": RUNTIME,
            "Handler": "handler.handler",
            "CodeUri": code_uri,
            "Timeout": dep.invocation_timeout,
            "AutoPublishAlias": ALIAS,
            "DurableConfig": {"ExecutionTimeout": dep.execution_timeout, "RetentionPeriodInDays": dep.retention_days},
            "Environment": {"Variables": dep.environment(function_id, queue_id)},
            "Policies": dep.policies(queue_id, function_id),
        },
    }


def template(dep: Deployment, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The SAM template as data."""
    function = function_resource(dep, description)
    resources: dict[str, Any] = {FUNCTION_ID: function}
    outputs: dict[str, Any] = {
        "FunctionAliasArn": {
            "Description": "Invoke this (qualified) ARN to start an execution",
            "Value": {"Ref": f"{FUNCTION_ID}Alias{ALIAS}"},
        },
    }
    if dep.activities:
        resources[ACTIVITY_QUEUE_ID] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 300}}
        outputs["ActivityQueueUrl"] = {
            "Description": "Activity workers read their tasks from this queue",
            "Value": {"Ref": ACTIVITY_QUEUE_ID},
        }
    data: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": description,
    }
    if parameters:
        data["Parameters"] = parameters
    data["Resources"] = resources
    data["Outputs"] = outputs
    return data


# intrinsic functions whose value does not depend on other resources, parameters, mappings or conditions
_SELF_CONTAINED = ("Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::ImportValue", "Fn::Base64", "Fn::GetAZs")


def _self_contained(value: Any) -> bool:
    """Does a template value only use literals and pseudo parameters (valid in any template)?"""
    if isinstance(value, list):
        return all(_self_contained(v) for v in value)
    if not isinstance(value, dict):
        return True
    if len(value) != 1:
        return all(_self_contained(v) for v in value.values())
    key, arg = next(iter(value.items()))
    if key == "Ref":
        return isinstance(arg, str) and arg.startswith("AWS::")
    if key not in _SELF_CONTAINED:
        return False
    if key == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else ("", None)
        if not isinstance(text, str) or not isinstance(variables, dict):
            return False
        return all(n.startswith("AWS::") or n in variables for n in sub_variables(text)) and _self_contained(list(variables.values()))
    return _self_contained(arg)


def describe_value(value: Any) -> str:
    """A template value in words, without "${" (cfn-lint reads that as a Sub outside Fn::Sub)."""
    short = cfn.short_form(value)
    if short is not None:
        return short
    if isinstance(value, dict) and len(value) == 1:
        key, arg = next(iter(value.items()))
        if key == "Terraform" and isinstance(arg, str):
            return "the Terraform expression " + arg.replace("${", "$ {")
        if key == "Serverless" and isinstance(arg, str):
            return "the Serverless variable " + arg.replace("${", "$ {")
        return f"an {key} value"
    return json.dumps(value).replace("${", "$ {")


def env_value(value: Any) -> Any:
    """A substitution value as an environment variable's value (a string, or an intrinsic)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def function_kinds(substitutions: Any) -> dict[str, str]:
    """Placeholders naming a Lambda function of the template: "arn" (!GetAtt F.Arn, Terraform's
    aws_lambda_function.f.arn) or "name" (!Ref F, aws_lambda_function.f.function_name)."""
    kinds = {}
    for sub in substitutions:
        if sub.function:
            value = sub.value if isinstance(sub.value, dict) else {}
            arn = "Fn::GetAtt" in value or str(value.get("Terraform", "")).endswith("arn")  # a Terraform function's .arn
            kinds[sub.name] = "arn" if arn else "name"
    return kinds


def standalone_values(workflow: ir.Workflow, substitutions: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of the configured placeholders in the machine's own template, and its Parameters.

    Literals and values that only use pseudo parameters are kept; a value that refers to
    something of the original template (a resource, parameter, mapping, condition) becomes a
    template parameter (the original template, rewritten, keeps the reference itself).
    """
    by_name = {sub.name: sub for sub in substitutions}
    values: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    for placeholder, variable in workflow.settings:
        sub = by_name.get(placeholder)
        if sub is None:
            continue
        if _self_contained(sub.value):
            values[placeholder] = env_value(sub.value)
            continue
        base = re.sub(r"[^A-Za-z0-9]", "", variable) or "Setting"
        name = fresh(base, {*parameters, FUNCTION_ID, ACTIVITY_QUEUE_ID})
        parameters[name] = {
            "Type": "String",
            "Description": (
                f"Sets {variable}, placeholder {placeholder} of the definition; the original template gave "
                f"{describe_value(sub.value)}"
                + (" (a state machine: give the alias ARN of the durable function it became)" if sub.machine else "")
            )[:4000],
        }
        values[placeholder] = {"Ref": name}
    return values, parameters


def render_deploy_files(
    workflow: ir.Workflow, diagnostics: list[Diagnostic], substitutions: Any = (), *, serverless: dict | None = None
) -> dict[str, str]:
    """``template.yaml`` and ``MIGRATION.md`` of one translated machine (``serverless``: the machine's
    serverless.yml, see ``Loaded.serverless``)."""
    values, parameters = standalone_values(workflow, substitutions)
    dep = deployment(workflow, diagnostics, values, function_kinds(substitutions))
    description = f"{workflow.name}: durable function translated from a Step Functions state machine by asl2durable"
    data = template(dep, description, parameters)
    by_name = {sub.name: sub for sub in substitutions}
    settings = [
        {"variable": variable, "placeholder": placeholder, "value": json.dumps(by_name[placeholder].value, sort_keys=True)}
        for placeholder, variable in workflow.settings
        if placeholder in by_name
    ]
    if serverless is not None:  # the Serverless variable a setting stands for, as serverless.yml writes it
        written = serverless.get("settings") or {}
        functions = serverless.get("functions") or {}
        for s in settings:
            s["written"] = written.get(s["placeholder"]) or ""
            s["function"] = functions.get(s["placeholder"]) or ""
    return {
        "template.yaml": render_template("template.yaml.jinja", template=data),
        "MIGRATION.md": render_template(
            "MIGRATION.md.jinja",
            dep=dep, workflow=workflow, template=data, function_id=FUNCTION_ID, alias=ALIAS,
            durable_policy=DURABLE_POLICY, max_timeout=MAX_EXECUTION_TIMEOUT, settings=settings,
            serverless=serverless,
        ),
    }
