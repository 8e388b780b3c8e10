"""The generated tests notice a changed definition: the mutation check (tests/mutation.py) on a
small fixed sample. The figure over the real-world corpus is benchmarks/mutation.py's (README,
"Generated tests")."""

from __future__ import annotations

import json
from pathlib import Path

import mutation
import pytest

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SAMPLE = ["order-processing", "polling-loop", "wait-and-fail"]


def test_mutants_are_one_change_each_and_the_same_every_time():
    definition = json.loads((GOLDEN / "order-processing.asl.json").read_text())
    first = mutation.mutants(definition, per_operator=2, seed="x")
    again = mutation.mutants(json.loads(json.dumps(definition)), per_operator=2, seed="x")
    assert [(m.operator, m.where, m.change) for m in first] == [(m.operator, m.where, m.change) for m in again]
    assert {m.operator for m in first} == set(mutation.OPERATORS)
    for m in first:
        assert m.definition != definition
        changed = [k for k in definition["States"] if definition["States"][k] != m.definition["States"][k]]
        assert len(changed) == 1, (m.change, changed)  # one state changed
    by_change = {m.change for m in first}
    assert "MaxAttempts 3 -> 2" in by_change and "Error 'OrderRejected' -> 'OrderRejectedMutated'" in by_change


@pytest.mark.slow  # the generated tests run against mutated handlers
def test_generated_tests_kill_the_mutants_of_a_sample():
    """The ORIGINAL's generated tests, run on each mutant's handler, fail for every mutant of the
    sample (13 mutants, one per operator and machine; about 30 s: the polling loop's Choice
    mutant loops until mutation.RUN_TIMEOUT)."""
    results = []
    for name in SAMPLE:
        check = mutation.check(json.loads((GOLDEN / f"{name}.asl.json").read_text()), name, per_operator=1)
        assert check.failing == [] and check.tests > 0, (name, check.failing)
        results += check.results
    counted = [r for r in results if r.status in ("killed", "survived")]
    killed = [r for r in counted if r.status == "killed"]
    survivors = [f"{r.machine} {r.operator} {r.where}: {r.change}" for r in counted if r.status == "survived"]
    assert len(counted) >= 10
    assert len(killed) == len(counted), survivors
