"""Compile-time classification of Task resources.

:func:`classify` tells what a Task ``Resource`` is and whether the translated handler can run it:

* ``lambda`` - ``arn:aws:states:::lambda:invoke`` (request-response or callback) or a function ARN;
* ``optimized`` - ``arn:aws:states:::<service>:<api>`` that ``asl_services`` implements
  (see :data:`asl2durable.runtime.asl_services.OPTIMIZED` and ``CUSTOM``);
* ``aws-sdk`` - ``arn:aws:states:::aws-sdk:<service>:<action>`` whose service and action botocore
  knows (the boto3 service is derived from the model's ``serviceId``, see ``asl_services.sdk_service``);
* ``activity`` - ``arn:aws:states:<region>:<account>:activity:<name>``;
* ``unsupported`` - anything else, with the reason.

The table of optimized integrations and the service-name rule live in the runtime support module
(``asl2durable/runtime/asl_services.py``) so that compile time and run time cannot disagree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from asl2durable._resources import cache_dir, keep
from asl2durable.load.placeholders import PLACEHOLDER
from asl2durable.runtime import asl_services as _svc

LAMBDA = "lambda"
OPTIMIZED = "optimized"
AWS_SDK = "aws-sdk"
ACTIVITY = "activity"
UNSUPPORTED = "unsupported"

_FUNCTION_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$")


@dataclass(frozen=True)
class Integration:
    kind: str  # "lambda" | "optimized" | "aws-sdk" | "activity" | "unsupported"
    service: str  # e.g. "sqs", "dynamodb", "s3"
    action: str  # e.g. "sendMessage", "getItem"
    pattern: str  # "request-response" | "sync" | "sync:2" | "callback"
    base: str  # the resource without the .sync/.waitForTaskToken suffix
    reason: str | None = None  # why unsupported


def _unsupported(res: _svc.Resource, reason: str) -> Integration:
    return Integration(UNSUPPORTED, res.service, res.action, res.pattern, res.base, reason)


_PATTERN_WORDS = {
    _svc.SYNC: "'.sync'",
    _svc.SYNC2: "'.sync:2'",
    _svc.CALLBACK: "'.waitForTaskToken'",
    _svc.REQUEST_RESPONSE: "request-response",
}


def classify(resource: str) -> Integration:
    """What the Task resource ``resource`` is, and whether the translated handler can run it."""
    if not isinstance(resource, str) or not resource:
        return Integration(UNSUPPORTED, "", "", _svc.REQUEST_RESPONSE, str(resource or ""), "the Task has no Resource")
    res = _svc.parse_resource(resource)
    masked = PLACEHOLDER.sub(lambda m: m.group(0).replace(":", "_"), resource)  # "${AWS::Region}" holds colons
    if _FUNCTION_ARN.match(masked):
        return Integration(LAMBDA, "lambda", "invoke", _svc.REQUEST_RESPONSE, resource)
    if res.kind == "other":
        if PLACEHOLDER.fullmatch(resource.strip()):
            return _unsupported(
                res, "a deployment-time placeholder; substitute the real ARN (Lambda function, activity or "
                "integration) before converting"
            )
        return _unsupported(res, "not a Lambda function, activity or Step Functions service integration ARN")
    if PLACEHOLDER.search(res.service + res.action):
        return _unsupported(res, "the service or action is a deployment-time placeholder")
    if res.kind == ACTIVITY:
        if res.pattern != _svc.REQUEST_RESPONSE:
            return _unsupported(res, "an activity takes no integration-pattern suffix")
        return Integration(ACTIVITY, "states", res.action, _svc.CALLBACK, res.base)
    if res.kind == "aws-sdk":
        return _classify_sdk(res)
    return _classify_optimized(res)


def _classify_sdk(res: _svc.Resource) -> Integration:
    if res.pattern in (_svc.SYNC, _svc.SYNC2):
        return _unsupported(res, f"Step Functions offers no {_PATTERN_WORDS[res.pattern]} pattern for aws-sdk integrations")
    boto_service, api = sdk_api(res.service, res.action)
    if boto_service is None:
        return _unsupported(res, f"botocore knows no service that Step Functions calls '{res.service}'")
    if api is None:
        return _unsupported(res, f"'{res.action}' is not an API of {res.service} (botocore service '{boto_service}')")
    return Integration(AWS_SDK, res.service, res.action, res.pattern, res.base)


def sdk_api(service: str, action: str) -> tuple[str | None, str | None]:
    """The boto3 service for ``aws-sdk:<service>:<action>`` (``asl_services.sdk_service``) and
    the API's name in botocore's model of it (``find_operation``); None for what botocore does
    not know. Found once for each pair: finding them loads botocore's models (JSON of a hundred
    kilobytes or more each, a third of a second for the corpus's services), and the answers are
    kept in the cache folder for as long as botocore's version and asl_services' text are the
    same (when botocore's models are its own alone: ``_sdk_names``)."""
    known, path = _sdk_names()
    key = f"{service}:{action}"
    if key not in known:
        boto_service = _svc.sdk_service(service)
        operation = _svc.find_operation(_svc.service_model(boto_service), action) if boto_service else None
        known[key] = [boto_service, operation.name if operation is not None else None]
        if path is not None:
            keep(Path(path), json.dumps(known).encode("utf-8"))
    boto_service, api = known[key]
    return boto_service, api


@cache
def _sdk_names() -> tuple[dict[str, list], str | None]:
    """``sdk_api``'s answers so far, ``{"<service>:<action>": [boto3 service, API]}``, and the
    file in the cache folder that keeps them for this botocore and this asl_services (None: not
    kept). They are kept only when botocore reads no models but those it ships (no
    ``AWS_DATA_PATH``, no ``~/.aws/models``, no ``data_path`` in the AWS config file): then its
    version says which models they are. Found without importing botocore's session (a sixth of a second)."""
    folder = cache_dir()
    if folder is None or not _botocore_models_only():
        return {}, None
    import botocore  # type: ignore[import-untyped]  # (the package alone: its version)

    # asl_services' service-name rules decide the answers as well as botocore's models
    with open(_svc.__file__, "rb") as source:
        rules = hashlib.sha256(source.read()).hexdigest()[:16]
    path = str(folder / f"aws-sdk-names-{botocore.__version__}-{rules}.json")
    known: dict[str, list] = {}
    with contextlib.suppress(OSError, ValueError):
        with open(path, encoding="utf-8") as handle:
            kept = json.load(handle)
        if isinstance(kept, dict) and all(isinstance(v, list) and len(v) == 2 for v in kept.values()):
            known = kept
    return known, path


def _botocore_models_only() -> bool:
    """Whether botocore loads only the service models in its own package (its loader's other
    places: the ``AWS_DATA_PATH`` variable or the AWS config file's ``data_path``, and
    ``~/.aws/models``)."""
    if os.environ.get("AWS_DATA_PATH") or os.path.isdir(os.path.join(os.path.expanduser("~"), ".aws", "models")):
        return False
    config = os.environ.get("AWS_CONFIG_FILE") or os.path.join(os.path.expanduser("~"), ".aws", "config")
    try:
        with open(os.path.expanduser(config), encoding="utf-8", errors="replace") as handle:
            return "data_path" not in handle.read()
    except OSError:
        return True


def _classify_optimized(res: _svc.Resource) -> Integration:
    if res.service == "lambda" and res.action == "invoke":
        if res.pattern in (_svc.SYNC, _svc.SYNC2):
            return _unsupported(res, "lambda:invoke has no '.sync' pattern")
        return Integration(LAMBDA, "lambda", "invoke", res.pattern, res.base)
    spec = _svc.OPTIMIZED.get((res.service, res.action)) or _svc.CUSTOM.get((res.service, res.action))
    if spec is None:
        return _unsupported(
            res,
            f"the optimized integration {res.service}:{res.action} is not implemented by asl2durable "
            f"(the same API through an aws-sdk:{res.service}:... resource may be)",
        )
    if res.pattern not in spec.patterns:
        return _unsupported(res, f"{res.service}:{res.action} has no {_PATTERN_WORDS[res.pattern]} pattern")
    return Integration(OPTIMIZED, res.service, res.action, res.pattern, res.base)


def unsupported_parameters(resource: str, parameters: object) -> list[str]:
    """Top-level ``Parameters``/``Arguments`` fields the integration does not take (``.$`` suffixes
    removed), as Step Functions rejects them when the machine is created. Empty when the
    integration is not an optimized or aws-sdk one, or when ``parameters`` is not an object."""
    integration = classify(resource)
    if not isinstance(parameters, dict) or integration.kind not in (OPTIMIZED, AWS_SDK):
        return []
    names = [key[:-2] if key.endswith(".$") else key for key in parameters]
    if integration.kind == AWS_SDK:
        boto_service = _svc.sdk_service(integration.service)
        shape = _svc.find_operation(_svc.service_model(boto_service), integration.action).input_shape
        accepted = set(shape.members) if shape is not None else set()
    else:
        spec = _svc.OPTIMIZED.get((integration.service, integration.action)) or _svc.CUSTOM.get(
            (integration.service, integration.action)
        )
        accepted = _svc.accepted_parameters(spec)
        if accepted is None:
            return []
    lowered = {name.lower() for name in accepted}
    return [name for name in names if name not in accepted and name.lower() not in lowered]


_RR, _SYNC, _SYNC2, _CB = _svc.REQUEST_RESPONSE, _svc.SYNC, _svc.SYNC2, _svc.CALLBACK
_PATTERN_ORDER = (_RR, _SYNC, _SYNC2, _CB)

# Step Functions' optimized integrations, as AWS lists them ("Integrating optimized services with
# Step Functions" for the services, each service's page for its APIs and their patterns; the HTTP
# Task from "Call HTTPS APIs in Step Functions workflows"): (service, action) -> (the service as
# AWS names it, the patterns AWS offers for that API). docs/integrations.md shows this table with
# what asl2durable does for each entry; tests/test_integrations_doc.py keeps the two equal.
AWS_OPTIMIZED: dict[tuple[str, str], tuple[str, frozenset]] = {
    ("apigateway", "invoke"): ("Amazon API Gateway", frozenset({_RR, _CB})),
    **{("athena", api): ("Amazon Athena", frozenset({_RR, _SYNC} if api == "startQueryExecution" else {_RR}))
       for api in ("startQueryExecution", "stopQueryExecution", "getQueryExecution", "getQueryResults")},
    ("batch", "submitJob"): ("AWS Batch", frozenset({_RR, _SYNC})),
    ("bedrock", "invokeModel"): ("Amazon Bedrock", frozenset({_RR})),
    ("bedrock", "createModelCustomizationJob"): ("Amazon Bedrock", frozenset({_RR, _SYNC})),
    **{("codebuild", api): ("AWS CodeBuild", frozenset({_RR, _SYNC} if api.startswith(("start", "retry")) else {_RR}))
       for api in ("startBuild", "stopBuild", "batchDeleteBuilds", "batchGetReports", "startBuildBatch",
                   "stopBuildBatch", "retryBuild", "retryBuildBatch", "deleteBuildBatch")},
    **{("dynamodb", api): ("Amazon DynamoDB", frozenset({_RR})) for api in ("getItem", "putItem", "updateItem", "deleteItem")},
    ("ecs", "runTask"): ("Amazon ECS/Fargate", frozenset({_RR, _SYNC, _CB})),
    **{("eks", api): ("Amazon EKS", frozenset({_RR, _SYNC}))
       for api in ("createCluster", "deleteCluster", "createFargateProfile", "deleteFargateProfile", "createNodegroup",
                   "deleteNodegroup", "runJob")},
    ("eks", "call"): ("Amazon EKS", frozenset({_RR})),
    **{("elasticmapreduce", api): ("Amazon EMR", frozenset({_RR, _SYNC}))
       for api in ("createCluster", "terminateCluster", "addStep")},
    **{("elasticmapreduce", api): ("Amazon EMR", frozenset({_RR}))
       for api in ("cancelStep", "setClusterTerminationProtection", "modifyInstanceFleetByName", "modifyInstanceGroupByName")},
    ("emr-containers", "createVirtualCluster"): ("Amazon EMR on EKS", frozenset({_RR})),
    ("emr-containers", "deleteVirtualCluster"): ("Amazon EMR on EKS", frozenset({_RR, _SYNC})),
    ("emr-containers", "startJobRun"): ("Amazon EMR on EKS", frozenset({_RR, _SYNC})),
    **{("emr-serverless", api): ("Amazon EMR Serverless", frozenset({_RR, _SYNC}))
       for api in ("createApplication", "startApplication", "stopApplication", "deleteApplication", "startJobRun",
                   "cancelJobRun")},
    ("events", "putEvents"): ("Amazon EventBridge", frozenset({_RR, _CB})),
    ("glue", "startJobRun"): ("AWS Glue", frozenset({_RR, _SYNC})),
    ("databrew", "startJobRun"): ("AWS Glue DataBrew", frozenset({_RR, _SYNC})),
    ("lambda", "invoke"): ("AWS Lambda", frozenset({_RR, _CB})),
    ("mediaconvert", "createJob"): ("AWS Elemental MediaConvert", frozenset({_RR, _SYNC})),
    **{("sagemaker", api): ("Amazon SageMaker", frozenset({_RR, _SYNC}))
       for api in ("createTrainingJob", "createTransformJob", "createProcessingJob", "createHyperParameterTuningJob",
                   "createLabelingJob")},
    **{("sagemaker", api): ("Amazon SageMaker", frozenset({_RR}))
       for api in ("createModel", "createEndpoint", "createEndpointConfig", "updateEndpoint")},
    ("sns", "publish"): ("Amazon SNS", frozenset({_RR, _CB})),
    ("sqs", "sendMessage"): ("Amazon SQS", frozenset({_RR, _CB})),
    ("states", "startExecution"): ("AWS Step Functions", frozenset({_RR, _SYNC, _SYNC2, _CB})),
    ("http", "invoke"): ("HTTP Task", frozenset({_RR})),
}  # fmt: skip

_SUFFIX = {_RR: "", _SYNC: ".sync", _SYNC2: ".sync:2", _CB: ".waitForTaskToken"}


def optimized_status() -> list[tuple[str, str, str, list[str], list[str], str | None]]:
    """Every optimized integration AWS lists, with what asl2durable does for it:
    ``(AWS service name, service, action, AWS patterns, patterns asl2durable translates,
    why a pattern AWS offers is not translated, or None)``, ordered by AWS service name. The
    translated patterns are what :func:`classify` answers, so this cannot disagree with conversion."""
    rows = []
    for (service, action), (name, aws_patterns) in AWS_OPTIMIZED.items():
        ours, reason = [], None
        for pattern in (p for p in _PATTERN_ORDER if p in aws_patterns):
            integration = classify(f"arn:aws:states:::{service}:{action}{_SUFFIX[pattern]}")
            if integration.kind == UNSUPPORTED:
                reason = reason or integration.reason
            else:
                ours.append(pattern)
        rows.append((name, service, action, [p for p in _PATTERN_ORDER if p in aws_patterns], ours, reason))
    return sorted(rows, key=lambda row: (row[0].lower(), row[1], row[2]))


def supported_optimized() -> list[tuple[str, str, list[str]]]:
    """``(service, action, patterns)`` of every optimized integration asl2durable runs (docs)."""
    order = [_svc.REQUEST_RESPONSE, _svc.SYNC, _svc.SYNC2, _svc.CALLBACK]
    table = {**_svc.OPTIMIZED, **_svc.CUSTOM}
    return [(svc, action, [p for p in order if p in spec.patterns]) for (svc, action), spec in sorted(table.items())]
