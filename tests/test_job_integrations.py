"""The other job-style optimized integrations: EMR on EKS (``emr-containers``), the Amazon EKS
cluster APIs, Amazon Bedrock model customization, AWS Glue DataBrew and the EMR
``modify…ByName`` APIs (see docs/integrations.md, "Every optimized integration AWS lists").

Against moto, whose resources start in their end state (clusters ACTIVE, job runs RUNNING):
the states a real service passes through are set on moto's backend between polls. moto has no
DataBrew job runs and no EMR instance fleets: those calls are answered by a stand-in client.
"""

from __future__ import annotations

import json

import pytest
from moto.bedrock.models import bedrock_backends
from moto.eks.models import eks_backends
from moto.emrcontainers.models import emrcontainers_backends

from asl2durable.run.aws_local import moto_aws
from asl2durable.lower.integrations import classify
from asl2durable.runtime import asl_services as svc
from asl2durable.runtime.asl_services import ServiceError, call, poll, start

ACCOUNT = "111111111111"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/role"
ARN = "arn:aws:states:::"


@pytest.fixture
def aws():
    """moto's AWS, in the test account and region (aws_local.moto_aws: fake credentials, fresh clients)."""
    with moto_aws(region=REGION, account_id=ACCOUNT):
        yield


def _failure(resource: str, handle: dict) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        poll(resource, handle)
    return err.value


# --------------------------------------------------------------------------- EMR on EKS

CONTAINER_PROVIDER = {"Id": "eks-cluster", "Type": "EKS", "Info": {"EksInfo": {"Namespace": "spark"}}}
JOB = {"Name": "job", "ExecutionRoleArn": ROLE, "ReleaseLabel": "emr-6.2.0-latest",
       "JobDriver": {"SparkSubmitJobDriver": {"EntryPoint": "s3://bucket/job.py", "EntryPointArguments": ["60"]}}}  # fmt: skip


def test_emr_containers_virtual_cluster_and_job_run(aws):
    backend = emrcontainers_backends[ACCOUNT][REGION]
    cluster = call(ARN + "emr-containers:createVirtualCluster", {"Name": "vc", "ContainerProvider": CONTAINER_PROVIDER})
    assert set(cluster) == {"Arn", "Id", "Name"} and cluster["Name"] == "vc"  # used as $.cluster.Id in AWS's samples
    resource = ARN + "emr-containers:startJobRun.sync"
    handle = start(resource, {"VirtualClusterId": cluster["Id"], **JOB})
    json.dumps(handle)
    run = backend.job_runs[handle["Id"]]
    assert run.job_driver["sparkSubmitJobDriver"]["entryPointArguments"] == ["60"]
    assert poll(resource, handle) == (False, None)  # RUNNING
    run.state = "COMPLETED"
    done, output = poll(resource, handle)
    assert done and output["State"] == "COMPLETED" and output["Id"] == handle["Id"] and output["VirtualClusterId"] == cluster["Id"]
    run.state = "FAILED"
    failure = _failure(resource, handle)
    assert failure.error == "States.TaskFailed" and json.loads(failure.cause)["State"] == "FAILED"

    resource = ARN + "emr-containers:deleteVirtualCluster.sync"
    handle = start(resource, {"Id": cluster["Id"]})
    assert poll(resource, handle) == (True, {"Id": cluster["Id"]})  # moto terminates at once
    backend.virtual_clusters[cluster["Id"]].state = "TERMINATING"
    assert poll(resource, handle) == (False, None)


def test_emr_containers_errors_are_named_for_the_service(aws):
    with pytest.raises(ServiceError) as err:
        call(ARN + "emr-containers:startJobRun", {"VirtualClusterId": "nope", **JOB})
    assert err.value.error == "EMRContainers.ResourceNotFoundException"
    assert "(Service: AmazonEMRContainers;" in err.value.cause


# --------------------------------------------------------------------------- Amazon EKS

VPC = {"SubnetIds": ["subnet-1", "subnet-2"]}


def test_eks_cluster_nodegroup_and_fargate_profile(aws):
    backend = eks_backends[ACCOUNT][REGION]
    resource = ARN + "eks:createCluster.sync"
    handle = start(resource, {"Name": "c", "RoleArn": ROLE, "ResourcesVpcConfig": VPC})
    backend.clusters["c"].status = "CREATING"
    assert poll(resource, handle) == (False, None)
    backend.clusters["c"].status = "ACTIVE"
    done, output = poll(resource, handle)
    assert done and output["Cluster"]["Name"] == "c" and output["Cluster"]["Status"] == "ACTIVE"
    assert "SdkHttpMetadata" not in output

    resource = ARN + "eks:createNodegroup.sync"
    handle = start(resource, {"ClusterName": "c", "NodegroupName": "ng", "NodeRole": ROLE, "Subnets": VPC["SubnetIds"]})
    done, output = poll(resource, handle)
    assert done and output["Nodegroup"]["NodegroupName"] == "ng"
    backend.clusters["c"].nodegroups["ng"].status = "CREATE_FAILED"
    assert _failure(resource, handle).error == "States.TaskFailed"
    backend.clusters["c"].nodegroups["ng"].status = "ACTIVE"

    resource = ARN + "eks:createFargateProfile.sync"
    handle = start(resource, {"ClusterName": "c", "FargateProfileName": "fp", "PodExecutionRoleArn": ROLE,
                              "Selectors": [{"Namespace": "default"}]})  # fmt: skip
    assert poll(resource, handle)[1]["FargateProfile"]["FargateProfileName"] == "fp"

    for api, params in [("deleteFargateProfile", {"ClusterName": "c", "FargateProfileName": "fp"}),
                        ("deleteNodegroup", {"ClusterName": "c", "NodegroupName": "ng"}),
                        ("deleteCluster", {"Name": "c"})]:  # fmt: skip
        resource = f"{ARN}eks:{api}.sync"
        handle = start(resource, params)
        done, output = poll(resource, handle)  # moto removes it at once: gone is deleted
        assert done and set(output) - {"SdkHttpMetadata", "SdkResponseMetadata"}, api
        assert "SdkHttpMetadata" not in output
    assert backend.clusters == {}

    rr = call(ARN + "eks:createCluster", {"Name": "d", "RoleArn": ROLE, "ResourcesVpcConfig": VPC})
    assert rr["Cluster"]["Name"] == "d" and "SdkHttpMetadata" in rr


def test_eks_deletion_still_under_way_waits(aws):
    backend = eks_backends[ACCOUNT][REGION]
    call(ARN + "eks:createCluster", {"Name": "c", "RoleArn": ROLE, "ResourcesVpcConfig": VPC})
    handle = {"Name": "c", "Output": {"Cluster": {"Name": "c"}}}
    backend.clusters["c"].status = "DELETING"
    assert poll(ARN + "eks:deleteCluster.sync", handle) == (False, None)
    backend.clusters["c"].status = "FAILED"
    assert _failure(ARN + "eks:deleteCluster.sync", handle).error == "States.TaskFailed"


def test_eks_kubernetes_apis_are_not_supported():
    for resource in (ARN + "eks:runJob.sync", ARN + "eks:call"):
        assert classify(resource).kind == "unsupported"


# --------------------------------------------------------------------------- Amazon Bedrock

CUSTOMIZATION = {
    "JobName": "job", "CustomModelName": "model", "RoleArn": ROLE, "BaseModelIdentifier": "amazon.titan-text-express-v1",
    "TrainingDataConfig": {"S3Uri": "s3://bucket/train.jsonl"}, "OutputDataConfig": {"S3Uri": "s3://bucket/out/"},
    "HyperParameters": {"epochCount": "1"},
}  # fmt: skip


def test_bedrock_model_customization_job_sync(aws):
    import boto3

    boto3.client("s3").create_bucket(Bucket="bucket")
    resource = ARN + "bedrock:createModelCustomizationJob.sync"
    handle = start(resource, CUSTOMIZATION)
    job = bedrock_backends[ACCOUNT][REGION].model_customization_jobs["job"]
    assert poll(resource, handle) == (False, None)  # InProgress
    job.status = "Completed"
    done, output = poll(resource, handle)
    assert done and output["JobArn"] == handle["JobArn"] and output["Status"] == "Completed"
    job.status = "Failed"
    assert _failure(resource, handle).error == "States.TaskFailed"


# --------------------------------------------------------------------------- stand-in clients


class _StandIn:
    """A client answering some operations with fixed results (moto lacks them)."""

    class meta:  # noqa: N801 - mimics botocore's client.meta
        class events:  # noqa: N801
            @staticmethod
            def register(*_args, **_kwargs):
                pass

    def __init__(self, **answers):
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, name):
        if name not in self.answers:
            raise AttributeError(name)

        def method(**kwargs):
            self.calls.append((name, kwargs))
            answer = self.answers[name]
            return answer(**kwargs) if callable(answer) else answer

        return method


def test_databrew_start_job_run_sync(monkeypatch):
    states = iter(["RUNNING", "SUCCEEDED"])
    client = _StandIn(
        start_job_run={"RunId": "run-1", "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200}},
        describe_job_run=lambda **kw: {"JobName": kw["Name"], "RunId": kw["RunId"], "State": next(states), "Attempt": 1},
    )
    monkeypatch.setattr(svc, "_client", lambda service, region=None: client)
    resource = ARN + "databrew:startJobRun.sync"
    handle = start(resource, {"Name": "recipe-job"})
    assert poll(resource, handle) == (False, None)
    assert poll(resource, handle) == (True, {"Attempt": 1, "JobName": "recipe-job", "RunId": "run-1", "State": "SUCCEEDED"})
    assert client.calls[0] == ("start_job_run", {"Name": "recipe-job"})
    assert client.calls[-1] == ("describe_job_run", {"Name": "recipe-job", "RunId": "run-1"})


def test_emr_modify_instance_group_by_name(aws):
    import boto3

    emr = boto3.client("emr")
    cluster = emr.run_job_flow(
        Name="c", ReleaseLabel="emr-6.0.0", JobFlowRole="r", ServiceRole="r",
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceGroups": [
            {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
            {"Name": "master", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]},
    )["JobFlowId"]  # fmt: skip
    out = call(ARN + "elasticmapreduce:modifyInstanceGroupByName",
               {"ClusterId": cluster, "InstanceGroupName": "core", "InstanceGroup": {"InstanceCount": 4}})  # fmt: skip
    assert out == {}
    groups = {g["Name"]: g for g in emr.list_instance_groups(ClusterId=cluster)["InstanceGroups"]}
    assert groups["core"]["RequestedInstanceCount"] == 4 and groups["master"]["RequestedInstanceCount"] == 1
    with pytest.raises(ServiceError) as err:
        call(ARN + "elasticmapreduce:modifyInstanceGroupByName",
             {"ClusterId": cluster, "InstanceGroupName": "nope", "InstanceGroup": {"InstanceCount": 1}})  # fmt: skip
    assert err.value.error == "States.TaskFailed" and "no instance group named 'nope'" in err.value.cause


def test_emr_modify_instance_fleet_by_name(monkeypatch):
    client = _StandIn(
        list_instance_fleets=lambda **kw: (
            {"InstanceFleets": [{"Id": "if-1", "Name": "core"}], "Marker": "m"} if "Marker" not in kw
            else {"InstanceFleets": [{"Id": "if-2", "Name": "task"}]}
        ),
        modify_instance_fleet={},
    )  # fmt: skip
    monkeypatch.setattr(svc, "_client", lambda service, region=None: client)
    params = {"ClusterId": "j-1", "InstanceFleetName": "task", "InstanceFleet": {"TargetOnDemandCapacity": 2, "TargetSpotCapacity": 0}}
    assert call(ARN + "elasticmapreduce:modifyInstanceFleetByName", params) == {}
    assert client.calls[-1] == ("modify_instance_fleet", {
        "ClusterId": "j-1", "InstanceFleet": {"TargetOnDemandCapacity": 2, "TargetSpotCapacity": 0, "InstanceFleetId": "if-2"}})  # fmt: skip


# --------------------------------------------------------------------------- request-response APIs and jobs not tested elsewhere


def test_emr_set_cluster_termination_protection(aws):
    import boto3

    emr = boto3.client("emr")
    cluster = emr.run_job_flow(Name="c", ReleaseLabel="emr-6.0.0", JobFlowRole="r", ServiceRole="r",
                               Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1,
                                          "MasterInstanceType": "m5.xlarge"})["JobFlowId"]  # fmt: skip
    out = call(ARN + "elasticmapreduce:setClusterTerminationProtection", {"ClusterId": cluster, "TerminationProtected": True})
    assert out == {}
    assert emr.describe_cluster(ClusterId=cluster)["Cluster"]["TerminationProtected"] is True


def test_athena_get_and_stop_query_execution(aws):
    started = call(ARN + "athena:startQueryExecution", {"QueryString": "select 1", "WorkGroup": "primary"})
    query = started["QueryExecutionId"]
    got = call(ARN + "athena:getQueryExecution", {"QueryExecutionId": query})
    assert got["QueryExecution"]["QueryExecutionId"] == query and "SdkHttpMetadata" in got
    stopped = call(ARN + "athena:stopQueryExecution", {"QueryExecutionId": query})
    assert set(stopped) == {"SdkHttpMetadata", "SdkResponseMetadata"}


def test_codebuild_stop_build(aws):
    import boto3

    boto3.client("codebuild").create_project(
        name="proj", source={"type": "S3", "location": "bucket/key.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"}, serviceRole=ROLE,
    )  # fmt: skip
    build = call(ARN + "codebuild:startBuild", {"ProjectName": "proj"})["Build"]
    stopped = call(ARN + "codebuild:stopBuild", {"Id": build["Id"]})
    assert stopped["Build"]["Id"] == build["Id"] and stopped["Build"]["BuildStatus"] == "STOPPED"


def test_sagemaker_endpoint_config_and_endpoint(aws):
    call(ARN + "sagemaker:createModel", {"ModelName": "m", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "img"}})
    config = call(ARN + "sagemaker:createEndpointConfig", {"EndpointConfigName": "cfg", "ProductionVariants": [
        {"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]})  # fmt: skip
    assert config["EndpointConfigArn"].endswith("endpoint-config/cfg")
    endpoint = call(ARN + "sagemaker:createEndpoint", {"EndpointName": "ep", "EndpointConfigName": "cfg"})
    assert endpoint["EndpointArn"].endswith("endpoint/ep")


def test_sagemaker_processing_and_transform_jobs_sync(aws):
    processing = {"ProcessingJobName": "p", "RoleArn": ROLE, "AppSpecification": {"ImageUri": "img"},
                  "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                            "VolumeSizeInGB": 10}}}  # fmt: skip
    handle = start(ARN + "sagemaker:createProcessingJob.sync", processing)
    done, output = poll(ARN + "sagemaker:createProcessingJob.sync", handle)
    assert done and output["ProcessingJobName"] == "p" and output["ProcessingJobStatus"] == "Completed"
    call(ARN + "sagemaker:createModel", {"ModelName": "m", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "img"}})
    transform = {"TransformJobName": "t", "ModelName": "m",
                 "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}},
                 "TransformOutput": {"S3OutputPath": "s3://b/out"},
                 "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}  # fmt: skip
    handle = start(ARN + "sagemaker:createTransformJob.sync", transform)
    done, output = poll(ARN + "sagemaker:createTransformJob.sync", handle)
    assert done and output["TransformJobName"] == "t" and output["TransformJobStatus"] == "Completed"


def test_sagemaker_hyper_parameter_tuning_job_sync(aws):
    tuning = {
        "HyperParameterTuningJobName": "tune",
        "HyperParameterTuningJobConfig": {"Strategy": "Bayesian", "ResourceLimits": {"MaxParallelTrainingJobs": 1},
                                          "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"}},
        "TrainingJobDefinition": {"AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
                                  "RoleArn": ROLE, "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
                                  "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10},
                                  "StoppingCondition": {"MaxRuntimeInSeconds": 60}},
    }  # fmt: skip
    resource = ARN + "sagemaker:createHyperParameterTuningJob.sync"
    done, output = poll(resource, start(resource, tuning))
    assert done and output["HyperParameterTuningJobName"] == "tune" and output["HyperParameterTuningJobStatus"] == "Completed"
