"""Malformed parameters never surface as a Python exception's name.

Every integration in the table (``asl_services.OPTIMIZED``, ``CUSTOM`` and a sample of
``aws-sdk:`` APIs) gets parameters of the wrong shape: missing, ``null``, of the wrong JSON type,
unknown fields, not an object at all. Step Functions answers these with the service's own error
(``DynamoDB.AmazonDynamoDBException``, ``SQS.AmazonSQSException``, ...), a client-side
``<Service>.SdkClientException``, or a ``States.*`` error: the test asserts every failure is
named ``<Service>.<Name>`` or ``States.<Name>`` (see docs/integrations.md, "Malformed
parameters"). It runs against moto, through the runtime's ``_service_call`` (asl_tasks) as a Task does.
"""

from __future__ import annotations

import builtins
import re

import asl_runtime as rt
import asl_services as svc
import asl_tasks
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl2durable.run.aws_local import moto_aws

# <Service>.<Name>, or States.<Name> (the HTTP Task's are longer: States.Http.StatusCode.404)
NAME = re.compile(r"^(States(\.[A-Za-z0-9]+)+|[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*)$")
PYTHON_EXCEPTIONS = {name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)}

SDK_SAMPLE = [
    "arn:aws:states:::aws-sdk:dynamodb:getItem",
    "arn:aws:states:::aws-sdk:s3:putObject",
    "arn:aws:states:::aws-sdk:s3:listObjectsV2",
    "arn:aws:states:::aws-sdk:sqs:sendMessage",
    "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
    "arn:aws:states:::aws-sdk:sfn:startExecution",
    "arn:aws:states:::aws-sdk:lambda:invoke",
    "arn:aws:states:::aws-sdk:ec2:describeInstances",
]
NETWORK = {("apigateway", "invoke"), ("http", "invoke")}  # they call out: given only local endpoints below


def _resources() -> list[tuple[str, frozenset]]:
    out = []
    for (service, action), spec in sorted({**svc.OPTIMIZED, **svc.CUSTOM}.items()):
        suffixes = [""] if "request-response" in spec.patterns or "callback" in spec.patterns else []
        suffixes += [".sync"] if "sync" in spec.patterns else []
        for suffix in suffixes:
            out.append((f"arn:aws:states:::{service}:{action}{suffix}", spec.params or frozenset()))
    return out + [(resource, frozenset()) for resource in SDK_SAMPLE]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _parameters(accepted: frozenset):
    names = sorted(accepted) or ["Key", "Bucket", "Name"]
    fields = st.dictionaries(st.sampled_from(names + ["Unknown", "key"]), JSON, max_size=len(names) + 1)
    return st.one_of(fields, JSON.filter(lambda v: not isinstance(v, dict)))


def _failure_name(resource: str, params) -> str | None:
    """The ASL name the call fails with (None when it succeeded)."""
    function = svc.start if resource.endswith(".sync") else svc.call
    if resource.startswith(("arn:aws:states:::http:", "arn:aws:states:::apigateway:")) and isinstance(params, dict):
        params = {**params, "ApiEndpoint": "http://127.0.0.1:9", "Endpoint": "http://127.0.0.1:9/x"}
    try:
        asl_tasks._service_call(lambda: function(resource, params), resource=resource)
    except rt.AslError as err:
        return err.name
    return None


@pytest.mark.slow  # a run per malformed parameter
@pytest.mark.parametrize("resource, accepted", _resources(), ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_parameters_fail_under_service_or_states_names(resource, accepted, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(_parameters(accepted))
    def check(params):
        name = _failure_name(resource, params)
        if name is None:
            return
        assert NAME.match(name) and name.split(".")[-1] not in PYTHON_EXCEPTIONS, (resource, params, name)

    with moto_aws():
        check()


def test_a_python_exception_in_a_service_call_is_named_for_the_service():
    def broken():
        return {}["QueueUrl"]

    with pytest.raises(rt.AslError) as err:
        asl_tasks._service_call(broken, resource="arn:aws:states:::sqs:sendMessage")
    assert err.value.name == "SQS.SdkClientException" and "KeyError" in err.value.cause
