"""docs/integrations.md, "Every optimized integration AWS lists", is the code's table written out.

The rows must be exactly ``asl2durable.lower.integrations.optimized_status()``: AWS's list
(``AWS_OPTIMIZED``), the patterns AWS offers, the patterns ``classify`` translates, the status
that follows from them, and the tests named for a *tested* row must exist. asl2durable must never
translate an integration or a pattern AWS does not offer.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from asl2durable.lower import integrations
from asl2durable.lower.integrations import classify
from asl2durable.runtime import asl_services as svc

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "integrations.md"
WORDS = {"rr": "request-response", ".sync": "sync", ".sync:2": "sync:2", "callback": "callback"}


def doc_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Every optimized integration AWS lists", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| AWS service")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def patterns(cell: str) -> list[str]:
    return [] if cell == "—" else [WORDS[word.strip()] for word in cell.split(",")]


def test_the_doc_table_is_the_code_table():
    rows = doc_rows()
    documented = [(name, integration.strip("`"), patterns(aws), patterns(ours), status) for name, integration, aws, ours, status, _ in rows]
    tested = {row[1].strip("`") for row in rows if row[5] != "—"}
    computed = []
    for name, service, action, aws, ours, _reason in integrations.optimized_status():
        key = f"{service}:{action}"
        status = "not supported" if not ours else ("translated, tested" if key in tested else "translated, untested")
        computed.append((name, key, aws, ours, status))
    assert documented == computed


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_the_tests_named_exist():
    named = {cell for row in doc_rows() for cell in re.findall(r"`([^`]+::[^`]+)`", row[5])}
    assert named
    for node in named:
        file, function = node.split("::")
        assert function in _test_functions(ROOT / "tests" / file), node


def test_nothing_is_translated_that_aws_does_not_offer():
    for key, spec in {**svc.OPTIMIZED, **svc.CUSTOM}.items():
        assert key in integrations.AWS_OPTIMIZED, key
        assert set(spec.patterns) <= integrations.AWS_OPTIMIZED[key][1], key


@pytest.mark.parametrize(
    "resource",
    ["arn:aws:states:::batch:submitJob.waitForTaskToken", "arn:aws:states:::emr-serverless:startJobRun.waitForTaskToken"],
)
def test_patterns_aws_does_not_offer_are_unsupported(resource):
    integration = classify(resource)
    assert integration.kind == "unsupported" and "no '.waitForTaskToken' pattern" in integration.reason
