"""EMR Serverless optimized integrations (``arn:aws:states:::emr-serverless:<api>[.sync]``).

Step Functions' page "Create and manage Amazon EMR Serverless applications with Step Functions"
defines six APIs over the service's own: createApplication, startApplication, stopApplication,
deleteApplication, startJobRun, cancelJobRun, each request-response and ``.sync`` (no
``.waitForTaskToken``). start/stop/deleteApplication answer ``{"ApplicationId"}`` where the
service answers nothing; ``.sync`` waits for the application state CREATED, STARTED, STOPPED,
TERMINATED, or the job run state SUCCESS, CANCELLED.

Runs against moto's EMR Serverless; the states a real service passes through (CREATING,
STARTING, RUNNING, FAILED...) are set on moto's backend between polls.
"""

from __future__ import annotations

import json
import re

import pytest
from moto.emrserverless.models import emrserverless_backends

from asl2durable.run.aws_local import moto_aws
from asl2durable.lower.integrations import classify
from asl2durable.runtime.asl_services import ServiceError, call, poll, poll_interval, start

ACCOUNT = "111111111111"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/emr-job-role"
ARN = "arn:aws:states:::emr-serverless:"
APP = {"Name": "app", "ReleaseLabel": "emr-7.0.0", "Type": "SPARK"}
JOB = {"ExecutionRoleArn": ROLE, "Name": "job",
       "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://bucket/job.py", "EntryPointArguments": ["--x", "1"]}}}  # fmt: skip


@pytest.fixture
def aws():
    """moto's AWS, in the test account and region (aws_local.moto_aws: fake credentials, fresh clients)."""
    with moto_aws(region=REGION, account_id=ACCOUNT):
        yield emrserverless_backends[ACCOUNT][REGION]


def _application(backend, app_id: str):
    return backend.applications[app_id]


def _job_run(backend, app_id: str, job_run_id: str):
    return next(run for run in backend.job_runs[app_id] if run.id == job_run_id)


def _failure(resource: str, handle: dict) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        poll(resource, handle)
    return err.value


def test_request_response_results(aws):
    created = call(ARN + "createApplication", APP)  # ClientToken is filled in, as the SDK does
    app_id = created["ApplicationId"]
    assert set(created) == {"ApplicationId", "Arn", "Name"} and created["Name"] == "app"
    assert created["Arn"].endswith(f":/applications/{app_id}")
    assert call(ARN + "stopApplication", {"ApplicationId": app_id}) == {"ApplicationId": app_id}
    assert call(ARN + "startApplication", {"ApplicationId": app_id}) == {"ApplicationId": app_id}
    run = call(ARN + "startJobRun", {"ApplicationId": app_id, **JOB})
    assert set(run) == {"ApplicationId", "Arn", "JobRunId"} and run["ApplicationId"] == app_id
    assert _job_run(aws, app_id, run["JobRunId"]).job_driver["sparkSubmit"]["entryPointArguments"] == ["--x", "1"]
    cancelled = call(ARN + "cancelJobRun", {"ApplicationId": app_id, "JobRunId": run["JobRunId"]})
    assert cancelled == {"ApplicationId": app_id, "JobRunId": run["JobRunId"]}
    assert call(ARN + "stopApplication", {"ApplicationId": app_id}) == {"ApplicationId": app_id}
    assert call(ARN + "deleteApplication", {"ApplicationId": app_id}) == {"ApplicationId": app_id}
    assert _application(aws, app_id).state == "TERMINATED"


def test_create_application_sync_waits_for_created(aws):
    resource = ARN + "createApplication.sync"
    handle = start(resource, APP)
    json.dumps(handle)  # checkpointed by the durable SDK
    _application(aws, handle["ApplicationId"]).state = "CREATING"
    assert poll(resource, handle) == (False, None)
    _application(aws, handle["ApplicationId"]).state = "CREATED"
    done, output = poll(resource, handle)
    assert done and set(output) == {"ApplicationId", "Arn", "Name"} and output["ApplicationId"] == handle["ApplicationId"]


@pytest.mark.parametrize(
    "api, before, passing, target",
    [("startApplication", "STOPPED", "STARTING", "STARTED"), ("stopApplication", "STARTED", "STOPPING", "STOPPED")],
)
def test_application_sync_waits_for_its_state(aws, api, before, passing, target):
    app_id = call(ARN + "createApplication", APP)["ApplicationId"]
    _application(aws, app_id).state = before
    resource = f"{ARN}{api}.sync"
    handle = start(resource, {"ApplicationId": app_id})
    _application(aws, app_id).state = passing
    assert poll(resource, handle) == (False, None)
    _application(aws, app_id).state = target
    assert poll(resource, handle) == (True, {"ApplicationId": app_id})
    _application(aws, app_id).state = "TERMINATED"  # an application that ends on the way fails the task
    failure = _failure(resource, handle)
    assert failure.error == "States.TaskFailed"
    assert json.loads(failure.cause)["State"] == "TERMINATED" and json.loads(failure.cause)["ApplicationId"] == app_id


def test_delete_application_sync_waits_for_terminated(aws):
    app_id = call(ARN + "createApplication", APP)["ApplicationId"]
    call(ARN + "stopApplication", {"ApplicationId": app_id})
    resource = ARN + "deleteApplication.sync"
    handle = start(resource, {"ApplicationId": app_id})
    assert poll(resource, handle) == (True, {"ApplicationId": app_id})
    del aws.applications[app_id]  # gone from the service altogether: deleted as well
    assert poll(resource, handle) == (True, {"ApplicationId": app_id})


def test_start_job_run_sync(aws):
    app_id = call(ARN + "createApplication", APP)["ApplicationId"]
    resource = ARN + "startJobRun.sync"
    handle = start(resource, {"ApplicationId": app_id, **JOB})
    run = _job_run(aws, app_id, handle["JobRunId"])
    for state in ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED", "CANCELLING"):
        run.state = state
        assert poll(resource, handle) == (False, None), state
    run.state = "SUCCESS"
    done, output = poll(resource, handle)
    assert done and output == {"ApplicationId": app_id, "Arn": run.arn, "JobRunId": run.id}


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_start_job_run_sync_fails_with_the_job_run(aws, state):
    app_id = call(ARN + "createApplication", APP)["ApplicationId"]
    resource = ARN + "startJobRun.sync"
    handle = start(resource, {"ApplicationId": app_id, **JOB})
    _job_run(aws, app_id, handle["JobRunId"]).state = state
    failure = _failure(resource, handle)
    cause = json.loads(failure.cause)
    assert failure.error == "States.TaskFailed"
    assert (cause["State"], cause["JobRunId"], cause["ApplicationId"]) == (state, handle["JobRunId"], app_id)
    assert isinstance(cause["CreatedAt"], int)  # Java SDK 1.x: epoch milliseconds, as the other optimized integrations


def test_cancel_job_run_sync_waits_for_cancelled(aws):
    app_id = call(ARN + "createApplication", APP)["ApplicationId"]
    job_run_id = call(ARN + "startJobRun", {"ApplicationId": app_id, **JOB})["JobRunId"]
    _job_run(aws, app_id, job_run_id).state = "RUNNING"
    resource = ARN + "cancelJobRun.sync"
    handle = start(resource, {"ApplicationId": app_id, "JobRunId": job_run_id})
    _job_run(aws, app_id, job_run_id).state = "CANCELLING"
    assert poll(resource, handle) == (False, None)
    _job_run(aws, app_id, job_run_id).state = "CANCELLED"
    assert poll(resource, handle) == (True, {"ApplicationId": app_id, "JobRunId": job_run_id})
    _job_run(aws, app_id, job_run_id).state = "SUCCESS"  # it ended before the cancellation took
    assert _failure(resource, handle).error == "States.TaskFailed"


def test_service_errors_are_named_for_emr_serverless(aws):
    with pytest.raises(ServiceError) as err:
        call(ARN + "startApplication", {"ApplicationId": "nosuchapp"})
    assert err.value.error == "EMRServerless.ResourceNotFoundException"
    # the status is moto's (400; the API reference gives 404 for ResourceNotFoundException)
    assert re.search(r"\(Service: AWSEMRServerless; Status Code: \d+; Error Code: ResourceNotFoundException; Request ID: ", err.value.cause)
    with pytest.raises(ServiceError) as err:  # a required member missing: the service's ValidationException
        call(ARN + "startJobRun", {"ApplicationId": "a"})
    assert err.value.error == "EMRServerless.ValidationException"
    with pytest.raises(ServiceError) as err:
        call(ARN + "startApplication", {"ApplicationId": "a", "Nope": 1})
    assert err.value.error == "States.Runtime"


@pytest.mark.parametrize(
    "resource, kind",
    [
        *[(f"{ARN}{api}{suffix}", "optimized") for api in (
            "createApplication", "startApplication", "stopApplication", "deleteApplication", "startJobRun", "cancelJobRun")
          for suffix in ("", ".sync")],
        (ARN + "startJobRun.waitForTaskToken", "unsupported"),  # Step Functions offers no callback here
        (ARN + "startJobRun.sync:2", "unsupported"),
        (ARN + "getJobRun", "unsupported"),  # not one of the six (aws-sdk:emrserverless:getJobRun is)
    ],
)  # fmt: skip
def test_classify(resource, kind):
    assert classify(resource).kind == kind


def test_poll_interval():
    assert poll_interval(ARN + "startJobRun.sync") == 15


def test_a_translated_machine_runs_an_application_and_a_job(aws):
    """The whole path: classification, generated handler, durable .sync waits, against moto."""
    from asl2durable.run.local import run_local

    definition = {
        "StartAt": "Create",
        "States": {
            "Create": {"Type": "Task", "Resource": ARN + "createApplication.sync", "Parameters": APP,
                       "ResultSelector": {"id.$": "$.ApplicationId"}, "ResultPath": "$.app", "Next": "Run"},
            "Run": {"Type": "Task", "Resource": ARN + "startJobRun.sync",
                    "Parameters": {"ApplicationId.$": "$.app.id", **JOB}, "ResultPath": "$.run", "Next": "Stop"},
            "Stop": {"Type": "Task", "Resource": ARN + "stopApplication.sync",
                     "Parameters": {"ApplicationId.$": "$.app.id"}, "ResultPath": None, "Next": "Delete"},
            "Delete": {"Type": "Task", "Resource": ARN + "deleteApplication.sync",
                       "Parameters": {"ApplicationId.$": "$.app.id"}, "End": True},
        },
    }  # fmt: skip
    result = run_local(definition, {})
    assert result.status == "SUCCEEDED", result
    (app_id,) = aws.applications
    assert result.output == {"ApplicationId": app_id}
    assert aws.applications[app_id].state == "TERMINATED"
    (run,) = aws.job_runs[app_id]
    assert run.name == "job" and run.execution_role_arn == ROLE
