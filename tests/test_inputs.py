"""Real SAM, CloudFormation and CDK templates from public projects as inputs (issue 16): every
state machine in ``tests/fixtures/inputs/{sam,cloudformation,cdk}`` converts, and the tests
generated for it pass. The projects, their commits and licences: the README.md of each folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated import generated_test_failures

from asl2durable.diagnostics import Severity
from asl2durable.load.loader import discover, load
from asl2durable.run.local import load_handler
from asl2durable.translate import translate_loaded
from asl2durable.writer import write_translation

INPUTS = Path(__file__).parent / "fixtures" / "inputs"
KINDS = ("sam", "cloudformation", "cdk")

MACHINES = {
    # (kind, project, template in the project, logical ID): (workflow type, placeholders)
    # ---- SAM: AWS::Serverless::StateMachine
    ("sam", "aws-lambda-power-tuning", "template.yml", "powerTuningStateMachine"): (
        "STANDARD", ["initializerArn", "publisherArn", "executorArn", "cleanerArn", "analyzerArn", "optimizerArn", "totalExecutionTimeout"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/app-business-rules-orchestration/template.yaml", "RuleStateMachine"): (
        "EXPRESS", ["AuditLambaPath", "ExecuteRulesetLambdaPath"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/app-control-concurrency-with-dynamodb/template.yaml", "StateMachineSempaphore"): (
        "STANDARD", ["TableSemaphore", "LockName", "LambdaDoWorkFunction", "ConcurrentAccessLimit"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/app-control-concurrency-with-dynamodb/template.yaml", "StateMachineSempaphoreCleanup"): (
        "STANDARD", ["TableSemaphore", "LockName"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/app-control-concurrency-with-dynamodb/template.yaml", "StateMachineTestSemaphore"): (
        "STANDARD", ["StateMachineSemaphore"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/app-dataquality-using-lambda/template.yaml", "DataQualityUsingLambdaStateMachine"): (
        "STANDARD", ["DeequOnLambdaFunctionArn", "AggregateFunctionArn", "DataQualityUsingLambdaTopicArn", "input_path", "output_path",
                     "MyScriptBucketName", "CopyInputFileFunctionArn"],
    ),
    ("sam", "aws-stepfunctions-examples", "sam/demo-asl-features/template.yaml", "StateMachineAslDemo"): ("STANDARD", []),
    ("sam", "serverless-patterns", "apigw-sfn-crud/template.yaml", "StateMachine"): ("EXPRESS", ["DDBTable"]),
    ("sam", "serverless-patterns", "s3-event-sfn-lambda-ddb-sns/template.yaml", "UpdateTableStateMachine"): (
        "STANDARD", ["AWS::Region", "AWS::AccountId"],
    ),
    ("sam", "serverless-patterns", "sfn-sfn/template.yml", "ChildStateMachine"): ("EXPRESS", []),
    ("sam", "serverless-patterns", "sfn-sfn/template.yml", "ParentStateMachine"): ("EXPRESS", ["ChildStateMachineArn"]),
    ("sam", "serverless-patterns", "stepfunctions-sns-apigw-human-review/template.yaml", "ReviewStateMachine"): (
        "STANDARD", ["TopicArn", "ApiEndpoint"],
    ),
    ("sam", "step-functions-workflows-collection", "calling-async-api-callback/template.yaml", "WorkflowAsyncAPICallbackPattern"): (
        "STANDARD", ["SQSSendMessageAction", "SQSQueueURL", "SNSTopicARN", "SNSTopicPublishAction"],
    ),
    ("sam", "step-functions-workflows-collection", "calling-async-api-callback/template.yaml", "WorkflowExternalAsyncAPISimulator"): (
        "STANDARD", ["LambdaActionAction", "CallbackSystemLambdaFunctionARN"],
    ),
    ("sam", "step-functions-workflows-collection", "common-error-handling/template.yaml", "CommonErrorOption1StateMachine"): (
        "STANDARD", ["OddFunctionArn", "EvenFunctionArn", "NumberFunctionArn", "CommonErrorOption1FunctionArn"],
    ),
    ("sam", "step-functions-workflows-collection", "common-error-handling/template.yaml", "CommonErrorOption2StateMachine"): (
        "STANDARD", ["OddFunctionArn", "EvenFunctionArn", "NumberFunctionArn", "CommonErrorOption2FunctionArn"],
    ),
    ("sam", "step-functions-workflows-collection", "cqrs/template.yaml", "CQRSStateMachine"): (
        "EXPRESS", ["DynamoDBTableName", "EventBridgeBusName", "QueryItemSalesReportFunctionArn", "QueryMonthlySalesByItemFunctionArn"],
    ),
    ("sam", "step-functions-workflows-collection", "saga-pattern-sam/template.yaml", "StateMachine"): (
        "STANDARD", [
            "StateMachinereserveFlightLambdaHandlerArn", "StateMachinereserveRentalLambdaHandlerArn",
            "StateMachineprocessPaymentLambdaHandlerArn", "StateMachineconfirmFlightLambdaHandlerArn",
            "StateMachineconfirmRentalLambdaHandlerArn", "StateMachinerefundPaymentLambdaHandlerArn",
            "StateMachinecancelRentalLambdaHandlerArn", "StateMachinecancelFlightLambdaHandlerArn", "StateMachineTopicArn",
        ],
    ),
    ("sam", "step-functions-workflows-collection", "synchronous-api/template.yaml", "syncronousApiStateMachine"): (
        "EXPRESS", ["sumFunction", "AvgFunction", "MaxMinFunction"],
    ),
    ("sam", "step-functions-workflows-collection", "workflow-within-a-workflow/template.yaml", "NestingPatternAnotherStateMachine"): (
        "STANDARD", ["NestingPatternCallbackLambdaFunction"],
    ),
    ("sam", "step-functions-workflows-collection", "workflow-within-a-workflow/template.yaml", "NestingPatternMainStateMachine"): (
        "STANDARD", ["NestingPatternAnotherStateMachineArn"],
    ),
    # ---- CloudFormation: AWS::StepFunctions::StateMachine (and one SAM machine beside one)
    ("cloudformation", "aws-control-tower-customizations", "customizations-for-aws-control-tower.template", "ResourceControlPolicyMachine"): (
        "STANDARD", ["StateMachineLambda.Arn"],
    ),
    ("cloudformation", "aws-control-tower-customizations", "customizations-for-aws-control-tower.template", "ServiceControlPolicyMachine"): (
        "STANDARD", ["StateMachineLambda.Arn"],
    ),
    ("cloudformation", "aws-control-tower-customizations", "customizations-for-aws-control-tower.template", "StackSetStateMachine"): (
        "STANDARD", ["StateMachineLambda.Arn"],
    ),
    ("cloudformation", "aws-stepfunctions-examples", "sam/app-sfn-kms-integration/template.yaml", "StockTradingStateMachine"): (
        "STANDARD", ["StockCheckerFunctionArn", "StockSellerFunctionArn", "StockBuyerFunctionArn", "DDBPutItem", "DDBTable"],
    ),
    ("cloudformation", "aws-stepfunctions-examples", "usecases/dataquality-pipeline/cloudformation/cfn-deequ-pipeline.yaml", "AthenaStateMachine"): (
        "STANDARD", ["deequLambda", "input_path", "output_path", "crawlerLambda", "AWS::Partition", "database", "workgroup", "snsTopicArn"],
    ),
    ("cloudformation", "aws-stepfunctions-examples", "usecases/distributedmap/monte-carlo-simulation/cloudformation/lambda/main.yml", "DataGenerationStateMachine"): (
        "STANDARD", ["bucket", "FunctionName", "FunctionName2", "Bucket", "Prefix", "FunctionName3", "Prefix2", "FunctionName4", "Prefix3"],
    ),
    ("cloudformation", "aws-stepfunctions-examples", "usecases/distributedmap/monte-carlo-simulation/cloudformation/lambda/main.yml", "DataProcessorStateMachine"): (
        "STANDARD", ["SourceS3Bucket", "DestinationS3Bucket", "BatchSize", "FunctionName", "FunctionName2", "Prefix"],
    ),
    ("cloudformation", "serverless-patterns", "apigw-lambda-sfn-transcribe-translate-polly-sam/template.yaml", "Orchestrator"): (
        "EXPRESS", ["AWS::Region", "AWS::AccountId"],
    ),
    ("cloudformation", "serverless-patterns", "sfn-lambda-function-crossaccount/template.yaml", "StepFunction"): ("STANDARD", ["Lambda"]),
    ("cloudformation", "step-functions-workflows-collection", "call-microservice-apigw/template.yml", "ApiGatewayECSStateMachine"): (
        "STANDARD", ["AWS::Partition", "apiEndpoint", "snsTopicArn"],
    ),
    # ---- CDK output: synthesized templates (cdk synth, integ-test snapshots)
    ("cdk", "aws-cdk-exec", "test/exec.integ.snapshot/integ-cdk-exec.template.json", "StateMachine2E01A3A5"): ("STANDARD", []),
    ("cdk", "aws-solutions-constructs", "aws-constructs-factories/integ.facstp-defaults.js.snapshot/facstp-defaults.template.json", "targetStateMachinetestsm59897C57"): (
        "STANDARD", ["AWS::Partition", "lambdatest8B679D7FArn"],
    ),
    ("cdk", "aws-solutions-constructs", "aws-lambda-stepfunctions/integ.lamstp-state-machine-defintion.js.snapshot/lamstp-state-machine-defintion.template.json", "testlambdastepfunctionsconstructStateMachineE1526513"): (
        "STANDARD", ["AWS::Partition", "firstfunction297AC5ABArn", "secondfunctionB2F1D4DDArn"],
    ),
    ("cdk", "aws-solutions-constructs", "aws-restaurant-management-demo/integ.basic-deployment.js.snapshot/ManagerStack.template.json", "closeoutserviceStateMachineC9DD68A8"): (
        "STANDARD", ["AWS::Partition", "createreportLambdaFunctionB37EBE52Arn", "calculatetipsLambdaFunction9F2FE033Arn", "archiveordersLambdaFunction66659E04Arn"],
    ),
    ("cdk", "aws-solutions-constructs", "aws-sqs-pipes-stepfunctions/integ.sqspstp-state-machine-enrichment.js.snapshot/sqspstp-state-machine-enrichment.template.json", "temp3A4F7567"): (
        "EXPRESS", ["AWS::Partition", "lambdatemp1CD2462EArn"],
    ),
    ("cdk", "aws-solutions-constructs", "aws-sqs-pipes-stepfunctions/integ.sqspstp-state-machine-enrichment.js.snapshot/sqspstp-state-machine-enrichment.template.json", "testsqspipesstatesconstructStateMachine29272AA9"): (
        "STANDARD", ["AWS::Partition", "lambdas3stptest9FBDC6CEArn"],
    ),
    ("cdk", "step-functions-workflows-collection", "scatter-gather/out.yaml", "StateMachine2E01A3A5"): ("STANDARD", []),
}

# Whose generated tests are run: a subset covering the forms, to keep this quick (every machine's
# passed when this was written). aws-control-tower-customizations' and aws-lambda-power-tuning's hung at
# random in the local runner until the harness waited for the runner to record the end of the caller's
# invocation before a stub answers its chained invoke (asl_testing.lambda_function): they stay here.
GENERATED = {
    ("cloudformation", "aws-control-tower-customizations", "customizations-for-aws-control-tower.template", "StackSetStateMachine"),
    ("sam", "aws-lambda-power-tuning", "template.yml", "powerTuningStateMachine"),
    ("sam", "step-functions-workflows-collection", "calling-async-api-callback/template.yaml", "WorkflowExternalAsyncAPISimulator"),
    ("sam", "aws-stepfunctions-examples", "sam/app-dataquality-using-lambda/template.yaml", "DataQualityUsingLambdaStateMachine"),
    ("sam", "serverless-patterns", "s3-event-sfn-lambda-ddb-sns/template.yaml", "UpdateTableStateMachine"),
    ("sam", "serverless-patterns", "sfn-sfn/template.yml", "ParentStateMachine"),
    ("sam", "step-functions-workflows-collection", "saga-pattern-sam/template.yaml", "StateMachine"),
    ("sam", "step-functions-workflows-collection", "synchronous-api/template.yaml", "syncronousApiStateMachine"),
    ("sam", "step-functions-workflows-collection", "workflow-within-a-workflow/template.yaml", "NestingPatternMainStateMachine"),
    ("cloudformation", "aws-stepfunctions-examples", "usecases/dataquality-pipeline/cloudformation/cfn-deequ-pipeline.yaml", "AthenaStateMachine"),
    ("cloudformation", "aws-stepfunctions-examples", "usecases/distributedmap/monte-carlo-simulation/cloudformation/lambda/main.yml", "DataGenerationStateMachine"),
    ("cloudformation", "serverless-patterns", "apigw-lambda-sfn-transcribe-translate-polly-sam/template.yaml", "Orchestrator"),
    ("cloudformation", "step-functions-workflows-collection", "call-microservice-apigw/template.yml", "ApiGatewayECSStateMachine"),
    ("cdk", "aws-cdk-exec", "test/exec.integ.snapshot/integ-cdk-exec.template.json", "StateMachine2E01A3A5"),
    ("cdk", "aws-solutions-constructs", "aws-lambda-stepfunctions/integ.lamstp-state-machine-defintion.js.snapshot/lamstp-state-machine-defintion.template.json", "testlambdastepfunctionsconstructStateMachineE1526513"),
    ("cdk", "aws-solutions-constructs", "aws-sqs-pipes-stepfunctions/integ.sqspstp-state-machine-enrichment.js.snapshot/sqspstp-state-machine-enrichment.template.json", "temp3A4F7567"),
    ("cdk", "step-functions-workflows-collection", "scatter-gather/out.yaml", "StateMachine2E01A3A5"),
}


def _key(item) -> tuple[str, str, str, str]:
    relative = Path(item.source).relative_to(INPUTS)
    kind, project = relative.parts[:2]
    return kind, project, Path(*relative.parts[2:]).as_posix(), item.resource


def _items() -> dict[tuple[str, str, str, str], object]:
    """The machines of the three folders, found as ``convert`` finds them (names unique over all)."""
    return {_key(d): d for d in discover([INPUTS / kind for kind in KINDS]) if not d.skipped}


def _errors(loaded) -> list[str]:
    return [f"{d.code}: {d.message}" for d in loaded.diagnostics if d.severity is Severity.ERROR]


def test_at_least_three_projects_of_each_kind_each_with_its_licence():
    for kind in KINDS:
        projects = {project for k, project, _, _ in MACHINES if k == kind}
        assert len(projects) >= 3, kind
        assert {p.name for p in (INPUTS / kind).iterdir() if p.is_dir()} == projects, kind
        for project in projects:
            assert (INPUTS / kind / project / "LICENSE").is_file(), (kind, project)
        readme = (INPUTS / kind / "README.md").read_text(encoding="utf-8")
        assert all(f"`{project}/`" in readme for project in projects), kind


def test_every_machine_is_in_the_table_and_definition_files_are_not_converted_twice():
    items = discover([INPUTS / kind for kind in KINDS])
    assert {_key(d) for d in items if not d.skipped} == set(MACHINES)
    skipped = [d for d in items if d.skipped]
    assert skipped, "the DefinitionUri files"
    assert all(d.reason.startswith("the DefinitionUri of ") for d in skipped), [(d.source, d.reason) for d in skipped]


CASES = [pytest.param(key, id="/".join(key)) for key in sorted(MACHINES)]


@pytest.mark.slow  # every real project's machine converted
@pytest.mark.parametrize("key", CASES)
def test_real_machine_converts(key):
    kind, project, template, machine = key
    workflow_type, placeholders = MACHINES[key]
    loaded = load(INPUTS / kind / project / template, resource=machine)
    assert loaded.definition is not None and _errors(loaded) == [], _errors(loaded)
    assert loaded.workflow_type == workflow_type
    assert [s.name for s in loaded.substitutions] == placeholders
    outcome = translate_loaded(loaded, workflow_type=loaded.workflow_type)
    assert outcome.translation is not None and outcome.translation.ok, [str(d) for d in outcome.diagnostics]
    # every Task's resource is one the handler calls (not a state that raises as unsupported)
    assert [d.message for d in outcome.diagnostics if d.code == "UNSUPPORTED_INTEGRATION"] == []


@pytest.mark.slow  # the generated folders' tests, run by pytest
@pytest.mark.parametrize("kind", KINDS)
def test_real_machines_generated_tests_pass(kind, tmp_path):
    """The test_handler.py of each machine of GENERATED passes as ``convert`` writes it (as
    tests/test_testgen.py runs them)."""
    assert GENERATED <= set(MACHINES)
    folders = []
    for key, item in sorted(_items().items()):
        if key[0] != kind or key not in GENERATED:
            continue
        loaded = load(item.source, name=item.name, resource=item.resource)
        outcome = translate_loaded(loaded, workflow_type=loaded.workflow_type)
        assert outcome.translation is not None and outcome.translation.ok, (item.name, outcome.diagnostics)
        folders.append(write_translation(outcome.translation, tmp_path))
    assert len(folders) == sum(1 for key in GENERATED if key[0] == kind)
    failures = generated_test_failures(folders)
    assert not failures, "\n\n".join(failures)


# --------------------------------------------------------------------------------------
# what reading real templates needed


DUPLICATES = """\
AWSTemplateFormatVersion: "2010-09-09"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Queue:
    Type: AWS::SQS::Queue
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        Topic: first
        Topic: !Ref Topic
      Definition:
        StartAt: P
        States:
          P:
            Type: Pass
            Result: ${Topic}
            Result: kept
            End: true
  Other:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, End: true}
          A: {Type: Succeed}
"""


def test_duplicate_keys_of_a_template_are_warnings_outside_the_machine_definition(tmp_path):
    """CloudFormation reads a template's duplicate keys keeping the last, and deploys it (as SAM's
    parser, PyYAML, reads them): only in the definition being converted do they stop it."""
    template = tmp_path / "template.yaml"
    template.write_text(DUPLICATES, encoding="utf-8")
    machine = load(template, resource="Machine")
    found = [(d.pointer, d.severity) for d in machine.diagnostics]
    assert found == [
        ("/AWSTemplateFormatVersion", Severity.WARNING),
        ("/Resources/Machine/Properties/Definition/States/P/Result", Severity.ERROR),
        ("/Resources/Machine/Properties/DefinitionSubstitutions/Topic", Severity.WARNING),
        ("/Resources/Other/Properties/Definition/States/A", Severity.WARNING),
        ("/Resources/Queue", Severity.WARNING),
    ]
    assert [(s.name, s.value) for s in machine.substitutions] == []  # ${Topic} was the duplicate left out
    other = load(template, resource="Other")
    assert [d.pointer for d in other.diagnostics if d.severity is Severity.ERROR] == ["/Resources/Other/Properties/Definition/States/A"]
    assert {d.code for d in other.diagnostics if d.severity is Severity.ERROR} == {"DUPLICATE_STATE_NAME"}


def test_a_placeholder_inside_an_intrinsic_function_is_substituted(monkeypatch):
    """CloudFormation puts DefinitionSubstitutions values into the definition's text, intrinsic
    function arguments too: the approval message carries the endpoint, and States.Format is valid."""
    loaded = load(INPUTS / "sam" / "serverless-patterns" / "stepfunctions-sns-apigw-human-review" / "template.yaml")
    assert [s.name for s in loaded.substitutions] == ["TopicArn", "ApiEndpoint"]
    outcome = translate_loaded(loaded, workflow_type=loaded.workflow_type)
    assert outcome.translation is not None and outcome.translation.ok
    handler = load_handler(outcome.translation.files["handler.py"], loaded.name).handler
    import asl_testing  # the generated tests' harness (load_handler puts the runtime on sys.path)

    monkeypatch.setenv("TopicArn", "arn:aws:sns:us-east-1:111111111111:review")
    monkeypatch.setenv("ApiEndpoint", "https://api.example.test/Prod")
    sent = []

    def publish(request):
        sent.append(request)
        return {"Result": "Approved"}

    result = asl_testing.run(handler, {"expense": 900}, {"arn:aws:states:::sns:publish.waitForTaskToken": publish})
    assert result.status == "SUCCEEDED", result
    assert sent[0]["Message"].startswith('Please review \n\nApprove: "https://api.example.test/Prod?Type=Approved&Token=')
