"""Golden files: the generated handler for each fixtures/golden/*.asl.json, compared whole.

A change to generated code shows up here as a readable diff. After reviewing the new output,
refresh the files with ``UPDATE_GOLDEN=1 pytest tests/test_golden.py``.
"""

import json
import os
from pathlib import Path

import pytest

from asl2durable.translate import translate

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
CASES = sorted(GOLDEN.glob("*.asl.json"))


@pytest.mark.parametrize("source", CASES, ids=[p.name.removesuffix(".asl.json") for p in CASES])
def test_generated_handler_matches_golden_file(source):
    name = source.name.removesuffix(".asl.json")
    translation = translate(json.loads(source.read_text()), name=name)
    assert translation.ok, translation.diagnostics
    expected_file = GOLDEN / f"{name}.handler.py"
    actual = translation.files["handler.py"]
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


def test_translation_is_deterministic():
    definition = json.loads(CASES[0].read_text())
    first = translate(definition, name="m").files
    second = translate(json.loads(json.dumps(definition)), name="m").files
    assert first == second


def test_generated_folders_pass_mypy(tmp_path):
    """Each golden example's folder (handler and the support modules it uses) type-checks
    with the durable SDK installed."""
    import subprocess
    import sys

    from asl2durable.writer import write_translation

    for source in CASES:
        name = source.name.removesuffix(".asl.json")
        folder = write_translation(translate(json.loads(source.read_text()), name=name), tmp_path)
        modules = sorted(p.name for p in folder.glob("*.py"))
        check = subprocess.run(
            [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy"), *modules],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, f"{name}:\n{check.stdout[-3000:]}"
