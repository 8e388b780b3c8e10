"""Conformance cases recorded on AWS Step Functions: load them, run them locally, compare.

The cases (``fixtures/conformance/cases``, copied from ``shared/conformance``) each hold a
definition, an input and what AWS produced. ``run_case`` translates the definition, runs the
generated handler in the durable SDK's local runner with the case's Lambda functions, and
``compare`` says how the result differs from AWS's (an empty list means it conforms).

Run as a script (``python tests/conformance.py``) to print the pass rate by family.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from asl2durable.run.local import LocalResult, TranslationFailed, run_local
from asl2durable.runtime.asl_jsonpath import assign, parse

FIXTURES = Path(__file__).parent / "fixtures" / "conformance"
CASES_DIR = FIXTURES / "cases"
LAMBDAS_DIR = FIXTURES / "lambdas"

# `needs` values that no issue implements yet; cases with one of them run as expected failures.
# (Intrinsic functions, JSONata, variables and the context object: issue #3. AWS services,
# callbacks, activities and Distributed Map I/O: issue #4, run against moto.)
LATER: dict[str, str] = {}

# `needs` values that call AWS services: such cases run inside moto's in-process emulation,
# seeded with the resources the original test created.
AWS_NEEDS = ("sqs", "sns", "dynamodb", "events", "sfn", "s3", "aws-sdk", "callback", "activity", "distributed-map")

# What the original test sent back for each task token (the case records only the outcome).
CALLBACK_ANSWERS = {
    "test_sns_publish_wait_for_task_token": {"output": {}},  # SendTaskSuccess(output="{}")
    "test_sqs_failure_in_wait_for_task_tok_no_error_field": {"error": None, "cause": None},  # SendTaskFailure(token)
}

# In-scope cases that do not pass, each with the reason.
KNOWN_FAILURES: dict[str, str] = {
    "error_handling.test_aws_sdk.test_invalid_secret_name.7df85eac":
        "moto accepts the invalid secret name AWS rejects (issue #4)",
    "error_handling.test_task_service_dynamodb.test_put_item_invalid_table_name.da61962c":
        "moto does not validate DynamoDB table names (issue #4)",
    "services.test_aws_sdk_task_service.test_s3_put_object_list.0f3808da":
        "moto's S3 PutObject answers no ChecksumType (issue #4)",
    "services.test_aws_sdk_task_service.test_s3_put_object_num.07070e1e":
        "moto's S3 PutObject answers no ChecksumType (issue #4)",
    "services.test_aws_sdk_task_service.test_s3_put_object_str.3378110d":
        "moto's S3 PutObject answers no ChecksumType (issue #4)",
    "services.test_sns_task_service.test_fifo_message_attribute_input_params1-False.dca0706f":
        "moto's SNS gives FIFO publishes no SequenceNumber (issue #4)",
    "services.test_aws_sdk_task_service.test_sfn_send_task_outcome_with_no_such_token_state_machine_template1.96a15875":
        "moto's Step Functions accepts SendTaskFailure for any token (issue #4)",
}


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    data: dict

    @property
    def needs(self) -> list[str]:
        return self.data.get("needs", [])

    def later_reason(self) -> str | None:
        """Why this case needs a later issue, or None when the translator core covers it."""
        needs = set(self.needs)
        reasons = sorted({LATER[n.split(":")[0]] for n in needs if not n.startswith("lambda:") and n.split(":")[0] in LATER})
        return "; ".join(reasons) or None


def expected_failure(case: Case) -> str | None:
    """Why ``case`` is expected not to conform (a later issue, a known failure), or None."""
    return case.later_reason() or KNOWN_FAILURES.get(case.id)


def case_param(case: Case, known_failures: dict[str, str] | None = None):
    """``case`` as a pytest parameter, an expected failure (not strict) when it does not conform yet."""
    import pytest

    reason = expected_failure(case) or (known_failures or {}).get(case.id)
    marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(data["id"], data["family"], data))
    return cases


def case_input(case: Case, now: dt.datetime | None = None) -> Any:
    """The execution input of ``case`` as its recorded test would build it at ``now`` (UTC).

    A case with ``input_from_clock`` had part of its input computed from the clock when the
    test ran (``now + days_from_now`` days, formatted with ``format``); the fixed value in
    ``input`` was right only on the day the case was extracted, so that part is computed again.
    """
    value = case.data.get("input")
    clock = case.data.get("input_from_clock")
    if clock is None:
        return value
    now = now or dt.datetime.now(dt.UTC)
    moment = now.astimezone(dt.UTC) + dt.timedelta(days=clock["days_from_now"])
    root, steps = parse(clock["path"])
    if root != "$":
        raise ValueError(f"{case.id}: input_from_clock path {clock['path']!r} is not in the input")
    return assign(value, steps, moment.strftime(clock["format"]))


@cache
def _lambda_handler(file_name: str):
    path = LAMBDAS_DIR / file_name
    spec = importlib.util.spec_from_file_location(f"conformance_lambda_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def case_lambdas(case: Case) -> dict:
    return {
        fn["name"]: _lambda_handler(fn["handler_file"])
        for fn in case.data.get("resources", {}).get("lambda_functions", [])
        if fn.get("handler_file")
    }


def _callbacks(case: Case):
    test = case.data.get("source", "").split("::")[-1].split("[")[0]
    answer = CALLBACK_ANSWERS.get(test)
    return (lambda request: answer) if answer is not None else None


def run_case(case: Case, timeout: float = 60, *, force_replays: bool = False, faults: str | None = None) -> LocalResult:
    """Run the case locally, as the workflow type it was recorded with; ``force_replays``
    suspends after every durable operation (a replay each); ``faults="interrupt"`` stops the
    invocation after every side effect, once per step (see ``run_local``)."""
    def run() -> LocalResult:
        return run_local(
            case.data["definition"], case_input(case),
            lambdas=case_lambdas(case), callbacks=_callbacks(case), timeout=timeout,
            force_replays=force_replays, faults=faults, workflow_type=case.data.get("state_machine_type", "STANDARD"),
        )

    try:
        if any(n.split(":")[0] in AWS_NEEDS for n in case.needs):
            from conformance_aws import case_seed

            from asl2durable.run.aws_local import moto_aws

            with moto_aws(case_seed(case.data)):
                return run()
        return run()
    except TranslationFailed as err:
        return LocalResult("NOT_TRANSLATED", error="TranslationFailed", cause=str(err))


# --------------------------------------------------------------------------- state by state

# Cases whose recorded history differs from the translation for a reason outside it.
KNOWN_DIFFERENCES = {
    "activities.test_activities.test_activity_task_on_deleted.36673872":
        "the recorded activity had been deleted, so Step Functions failed the state before scheduling it; "
        "the translation cannot know that and sends the task (the conformance run answers it with that failure)",
    "scenarios.test_base_scenarios.test_lambda_invoke_with_retry_extended_input.ee9f0798":
        "recorded on 2023-10-24, before Step Functions added $$.Execution.RedriveCount (November 2023)",
}

_PLAIN_WORDS = re.compile(
    r"(?<![\w<-])(" + "|".join(sorted(map(re.escape, _PLAIN_TOKENS_FOR_HISTORY := (
        "timestamp", "date", "start-time", "entered-time", "snf_role_arn", "lambda_function_name",
        "activity_arn", "RandomNumberGenerated",
    )), key=len, reverse=True)) + r")(?![\w>-])"
)


def case_history(case: Case) -> list[dict]:
    """The case's recorded history with every snapshot placeholder as a ``<...>`` token (what
    ``verify --placeholders`` reads as a wildcard): the plain tokens LocalStack's transformers
    wrote (``timestamp``, ``lambda_function_name``, ``stateExitedEventDetails.output``, ...) and
    the recorded input's values that differ from what the test sent (resource names)."""
    history = case.data["history"]
    recorded = history[0].get("executionStartedEventDetails", {}).get("input")
    if isinstance(recorded, str):
        try:
            recorded = json.loads(recorded)
        except ValueError:
            pass
    replaced: set[str] = set()

    def differing(a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                differing(a[key], b.get(key))
        elif isinstance(a, list) and isinstance(b, list):
            for x, y in zip(a, b):
                differing(x, y)
        elif isinstance(a, str) and a != b and not _PLACEHOLDER.search(a):
            replaced.add(a)

    differing(recorded, case.data.get("input"))

    def tokens(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: tokens(v) for k, v in value.items()}
        if isinstance(value, list):
            return [tokens(v) for v in value]
        if isinstance(value, str):
            if value in replaced or re.fullmatch(r"\w+EventDetails\.\w+", value):
                return f"<{value}>"
            return _PLAIN_WORDS.sub(r"<\1>", value)
        return value

    return tokens(history)


def verify_case(case: Case, timeout: float = 30):
    """``verify`` the case's recorded history (``--placeholders``), run on the input its test
    sent; a Map's S3 objects in moto, as the test created them (``--aws moto --seed``)."""
    from asl2durable.run.verify import verify

    seed = None
    if "s3" in case.needs or "distributed-map" in case.needs:  # a Map's S3 data: in moto, as the test created it
        from conformance_aws import case_seed

        seed = case_seed(case.data)
    return verify(
        case.data["definition"], case_history(case), placeholders=True, name=case.id, timeout=timeout,
        workflow_type=case.data.get("state_machine_type", "STANDARD"), input=case_input(case), aws_seed=seed,
    )


# --------------------------------------------------------------------------- comparison

_PLACEHOLDER = re.compile(r"<[^<>]+>")
# Plain-token placeholders that LocalStack's snapshot transformers write in place of values
# (the conformance README names some of them; they are not always listed in placeholder_paths).
_PLAIN_TOKENS = {
    "timestamp", "date", "start-time", "entered-time", "snf_role_arn", "lambda_function_name",
    "activity_arn", "RandomNumberGenerated",
}
_EVENT_ID = re.compile(r" \(entered at the event id #\d+\)")


def _placeholder_keys(case: Case) -> set[tuple]:
    """The recorded placeholder paths ($.output.a["b"][0]) as tuples of keys/indices."""
    out = set()
    for text in case.data.get("placeholder_paths", []):
        parts = re.findall(r'\.([A-Za-z0-9_$-]+)|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]', text[1:])
        out.add(tuple(a or b or int(c) for a, b, c in parts))
    return out


def _string_matches(expected: str, actual: str) -> bool:
    """Literal comparison, except that snapshot placeholders (<uuid:1>, <timestamp>, ...) match anything."""
    if expected == actual:
        return True
    if not _PLACEHOLDER.search(expected):
        return False
    pattern = ".*".join(re.escape(part) for part in _PLACEHOLDER.split(expected))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def _diff(expected: Any, actual: Any, where: tuple, loose: set[tuple], out: list[str]) -> None:
    if where in loose or (isinstance(expected, str) and expected in _PLAIN_TOKENS):
        return
    if where and where[-1] == "stackTrace":
        return  # stack traces name files and lines of the machine the function ran on
    if len(where) >= 2 and where[-2] == "SdkHttpMetadata" and where[-1] in ("AllHttpHeaders", "HttpHeaders"):
        return  # HTTP headers (names, casing, lengths) are the endpoint's (moto here, AWS there), not the translation's
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual:
                out.append(f"{_show(where + (key,))}: missing (expected {expected[key]!r:.200})")
            elif key not in expected:
                out.append(f"{_show(where + (key,))}: unexpected {actual[key]!r:.200}")
            else:
                _diff(expected[key], actual[key], where + (key,), loose, out)
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            _diff(e, a, where + (i,), loose, out)
        return
    if isinstance(expected, str) and isinstance(actual, str) and _string_matches(expected, actual):
        return
    if type(expected) is type(actual) and expected == actual:
        return
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)) and not isinstance(expected, bool) \
            and not isinstance(actual, bool) and expected == actual:
        return
    out.append(f"{_show(where)}: expected {expected!r:.300}, got {actual!r:.300}")


def _show(where: tuple) -> str:
    return "$" + "".join(f"[{w}]" if isinstance(w, int) else f".{w}" for w in where)


def compare(case: Case, result: LocalResult) -> list[str]:
    """Differences between AWS's recorded result and ours (empty when they agree)."""
    expected = case.data["expected"]
    loose = _placeholder_keys(case)
    if result.status != expected["status"]:
        got = result.to_dict() if result.status != "NOT_TRANSLATED" else {"error": result.cause}
        return [f"status: expected {expected['status']}, got {result.status} {json.dumps(got, default=str)[:600]}"]
    out: list[str] = []
    if expected.get("output_undecodable"):
        return out  # AWS's recorded output could not be decoded: only the status is known
    if expected["status"] == "SUCCEEDED":
        _diff(expected.get("output"), result.output, ("output",), loose, out)
        return out
    if expected.get("error") != result.error:
        out.append(f"error: expected {expected.get('error')!r}, got {result.error!r} (cause {result.cause!r:.300})")
    want = expected.get("cause")
    if isinstance(want, dict):
        try:
            got = json.loads(result.cause or "")
        except ValueError:
            got = result.cause
        _diff(want, got, ("cause",), loose, out)
    elif isinstance(want, str):
        _diff(_EVENT_ID.sub("", want), result.cause, ("cause",), loose, out)
    elif want is None and result.cause:
        out.append(f"cause: expected none, got {result.cause!r:.300}")
    return out


def main() -> int:
    """Print the pass rate by family (all public cases, and those in the translator core's scope)."""
    logging_off()
    by_family: Counter = Counter()
    passed: Counter = Counter()
    failures = []
    for case in load_cases():
        scope = "in scope" if case.later_reason() is None else "later"
        problems = compare(case, run_case(case, timeout=30))
        by_family[(scope, case.family)] += 1
        if not problems:
            passed[(scope, case.family)] += 1
        elif scope == "in scope":
            failures.append((case.id, problems[0]))
    for scope in ("in scope", "later"):
        total = sum(n for (s, _), n in by_family.items() if s == scope)
        ok = sum(n for (s, _), n in passed.items() if s == scope)
        print(f"{scope}: {ok}/{total} passed")
        for (s, family), n in sorted(by_family.items()):
            if s == scope:
                print(f"  {family:24} {passed[(s, family)]:4}/{n}")
    for case_id, problem in failures:
        print(f"FAIL {case_id}: {problem}")
    return 0


def logging_off() -> None:
    import logging

    logging.disable(logging.CRITICAL)


if __name__ == "__main__":
    sys.exit(main())
