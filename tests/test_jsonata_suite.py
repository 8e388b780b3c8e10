"""The JSONata reference implementation's own test suite (jsonata-js v2.0.6, the version Step
Functions implements: tests/fixtures/jsonata-suite/SOURCE.md), run through ``asl_jsonata``.

Each case is evaluated by ``asl_jsonata.evaluate_document``: the engine, Step Functions'
function table and the result conversion that the generated handlers' ``evaluate`` uses, given
the case's input document and bindings. It is compared as the reference runner compares it
(test/run-test-suite.js): a result deeply equal (numbers by value, ``true`` is not ``1``), an
undefined result, or an error with the expected JSONata code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from asl2durable.runtime import asl_jsonata

SUITE = Path(__file__).parent / "fixtures" / "jsonata-suite"
DATASETS = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (SUITE / "datasets").glob("*.json")}

#: Cases of behaviour Step Functions removes on purpose: there, the case's expression fails as
#: the test says instead.
REMOVED = {
    "function-eval": "Step Functions removes $eval (use $parse): calling it fails with T1006",
}

#: Cases that pass differently here, each with its reason (issue 20: at most 0.5 % of the suite).
DIFFERENT: dict[str, str] = {
}

_UNDEFINED = object()


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for group in sorted(path for path in (SUITE / "groups").iterdir() if path.is_dir()):
        for file in sorted(group.glob("*.json")):
            spec = json.loads(file.read_text(encoding="utf-8"))
            for index, case in enumerate(spec if isinstance(spec, list) else [spec]):
                if "expr-file" in case:
                    case["expr"] = (group / case["expr-file"]).read_text(encoding="utf-8")
                name = f"{group.name}/{file.stem}" + (f"[{index}]" if isinstance(spec, list) else "")
                cases.append((name, case))
    return cases


CASES = _cases()


def _same(a: object, b: object) -> bool:
    """chai's deep equality over JSON values: numbers by value, booleans only equal booleans."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _document(case: dict) -> object:
    if "data" in case:
        return case["data"]
    return _UNDEFINED if case.get("dataset") is None else DATASETS[case["dataset"]]


#: The reference runner's own guard (timeboxExpression: a case's "depth" and "timelimit")
#: fails with U1001; ours, given the same bounds, with D1011 (too deep) or D1012 (too long).
GUARD = {"U1001": ("D1011", "D1012")}


def outcome(case: dict) -> tuple[str, object]:
    """("value", result), ("undefined", None) or ("error", code) for one case."""
    bounds = {}
    if "depth" in case and "timelimit" in case:
        bounds = {"max_depth": case["depth"], "timeout": case["timelimit"] / 1000}
    try:
        result = asl_jsonata.evaluate_document(
            case["expr"], _document(case), case.get("bindings") or {}, undefined=_UNDEFINED, **bounds
        )
    except asl_jsonata.QueryEvaluationError as error:
        code = error.code or str(error)
        return "error", next((runner for runner, ours in GUARD.items() if code in ours), code)
    return ("undefined", None) if result is _UNDEFINED else ("value", result)


def expected(name: str, case: dict) -> tuple[str, object]:
    if name.split("/")[0] in REMOVED:
        return "error", "T1006"
    if "code" in case:
        return "error", case["code"]
    if "error" in case:
        return "error", case["error"]["code"]
    if "undefinedResult" in case:
        return "undefined", None
    return "value", case["result"]


def _marked(name: str) -> object:
    if name in DIFFERENT:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=DIFFERENT[name]), id=name)
    return pytest.param(name, id=name)


_BY_NAME = dict(CASES)


@pytest.mark.parametrize("name", [_marked(name) for name, _ in CASES])
def test_reference_case(name):
    case = _BY_NAME[name]
    want = expected(name, case)
    got = outcome(case)
    assert got[0] == want[0] and _same(got[1], want[1]), (case["expr"], want, got)


def test_the_suite_is_the_whole_of_v2_0_6():
    """1,625 cases in 100 groups; each difference listed is one of them."""
    assert len(CASES) == 1625
    assert len({name.split("/")[0] for name, _ in CASES}) == 100
    assert set(DIFFERENT) <= set(_BY_NAME)


def test_at_most_half_a_percent_of_the_suite_differs():
    assert len(DIFFERENT) <= 0.005 * len(CASES)


# ---- error messages: the cause Step Functions gives quotes jsonata-js's message -----------------

#: jsonata-js 2.0.6's code and message for every case that expects an error (written by
#: ``python benchmarks/jsonata_differential.py --suite-messages``; the runner's guard cases aside).
MESSAGES = json.loads((SUITE / "messages.json").read_text(encoding="utf-8"))

#: Cases whose message is worded differently here, each with its reason.
DIFFERENT_MESSAGES: dict[str, str] = {
    "errors/case016": "jsonata-python's parser gives the parameter's name where jsonata-js gives its position (S0208)",
    "literals/case008": "jsonata-python's tokenizer does not give the number's text (S0102)",
    "sorting/case011": "jsonata-python's sort compares the two values the other way round (T2007)",
}


def _message(case: dict) -> str | None:
    try:
        asl_jsonata.evaluate_document(case["expr"], _document(case), case.get("bindings") or {}, undefined=_UNDEFINED)
    except asl_jsonata.QueryEvaluationError as error:
        cause = str(error)
        return cause.split(f"evaluation. {error.code}: ", 1)[1] if error.code else cause
    return None


def _message_case(name: str) -> object:
    if name in DIFFERENT_MESSAGES:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=DIFFERENT_MESSAGES[name]), id=name)
    return pytest.param(name, id=name)


@pytest.mark.parametrize(
    "name", [_message_case(name) for name in MESSAGES if name.split("/")[0] not in REMOVED]
)
def test_reference_message(name):
    assert _message(_BY_NAME[name]) == MESSAGES[name]["message"]


def test_handlers_require_the_jsonata_python_release_the_suite_ran_on():
    """asl_jsonata subclasses jsonata-python's evaluator, parser and signatures: a generated
    folder asks for exactly the release these tests ran on, as asl2durable itself does."""
    import tomllib
    from importlib.metadata import version

    from asl2durable.translate import translate

    definition = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% 1 %}", "End": True}}}
    pinned = f"jsonata-python=={version('jsonata-python')}"
    assert pinned in translate(definition, name="p").files["requirements.txt"].splitlines()
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pinned in project["project"]["dependencies"]
