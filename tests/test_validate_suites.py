"""The asl-validator and statelint test fixtures, run through our validator.

``tests/fixtures/validate/verdicts.json`` gives, per fixture, the suite's own verdict (as its
tests assert it), ours, the (code, pointer) findings we report, and, where the two verdicts
differ, the reason we deliberately differ. The fixtures are copied unchanged (see the README
next to them); a verdict is what ``asl2durable validate`` makes of the file: the loader's
findings (duplicate JSON keys, ...) plus the validator's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl2durable.diagnostics import Severity
from asl2durable.load.loader import load
from asl2durable.validate import validate

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
SUITES = ("asl-validator", "statelint")
VERDICTS = json.loads((FIXTURES / "verdicts.json").read_text(encoding="utf-8"))

CASES = [(suite, name) for suite in SUITES for name in VERDICTS[suite]]


def _findings(path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    loaded = load(path)
    diagnostics = list(loaded.diagnostics)
    if loaded.definition is not None:
        diagnostics += validate(loaded.definition)
    found = {severity: {(d.code, d.pointer) for d in diagnostics if d.severity is severity} for severity in Severity}
    return found[Severity.ERROR], found[Severity.WARNING]


def test_every_fixture_has_a_verdict():
    for suite in SUITES:
        files = {p.name for p in (FIXTURES / suite).glob("*.json")}
        assert files == set(VERDICTS[suite]), suite
    assert len(VERDICTS["asl-validator"]) == 112
    assert len(VERDICTS["statelint"]) == 72


def test_asl_validator_verdict_is_its_file_name():
    """asl-validator's validator.test.ts expects valid-*.json valid and invalid-*.json invalid."""
    for name, entry in VERDICTS["asl-validator"].items():
        assert entry["suite"] == name.split("-", 1)[0], name


def test_a_differing_verdict_has_a_reason():
    """A ``reason`` says why the verdicts differ; a ``note``, why the same verdict has another ground."""
    for suite, name in CASES:
        entry = VERDICTS[suite][name]
        differs = entry["suite"] != entry["ours"]
        assert differs == bool(entry.get("reason")), f"{suite}/{name}"
        assert not (differs and "note" in entry), f"{suite}/{name}"


@pytest.mark.parametrize(("suite", "name"), CASES, ids=[f"{s}/{n}" for s, n in CASES])
def test_our_verdict(suite, name):
    entry = VERDICTS[suite][name]
    errors, warnings = _findings(FIXTURES / suite / name)
    assert ("invalid" if errors else "valid") == entry["ours"], sorted(errors)
    assert {tuple(e) for e in entry.get("errors", [])} <= errors, sorted(errors)
    assert {tuple(w) for w in entry.get("warnings", [])} <= warnings, sorted(warnings)


def test_agreement_counts():
    """Where the suites are right, we agree; the rest are the deliberate differences."""
    agree = {suite: sum(e["suite"] == e["ours"] for e in VERDICTS[suite].values()) for suite in SUITES}
    assert agree == {"asl-validator": 92, "statelint": 53}


def test_readme_lists_every_difference():
    """The README's table of deliberate differences is a copy of the reasons in verdicts.json."""
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[2].strip(" `") for line in readme.splitlines() if line.startswith(("| asl-validator |", "| statelint |"))}
    differing = {name for suite, name in CASES if "reason" in VERDICTS[suite][name]}
    assert rows == differing
