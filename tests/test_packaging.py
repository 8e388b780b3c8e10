"""The wheel carries grammars/ and templates/ and works without the checkout."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # builds a wheel
def test_wheel_ships_grammars_templates_and_runtime_and_translates_from_an_unpacked_wheel(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("asl2durable-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "asl2durable/grammars/jsonpath.lark",
        "asl2durable/grammars/intrinsics.lark",
        "asl2durable/templates/handler.py.jinja",
        "asl2durable/templates/states.py.jinja",
        "asl2durable/templates/template.yaml.jinja",
        "asl2durable/templates/MIGRATION.md.jinja",
        "asl2durable/runtime/asl_runtime.py",
        "asl2durable/runtime/asl_jsonpath.py",
        "asl2durable/runtime/asl_aws.py",
        "asl2durable/runtime/asl_sdk.py",
        "asl2durable/runtime/asl_intrinsics.py",
        "asl2durable/runtime/asl_jsonata.py",
        "asl2durable/runtime/asl_paths.py",
        "asl2durable/runtime/asl_lambda.py",
        "asl2durable/runtime/asl_tasks.py",
        "asl2durable/runtime/asl_map.py",
        "asl2durable/validate/asl.schema.json",
    ):
        assert required in names

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.b"}, "End": True}}}
    script = (
        "import json, sys, asl2durable\n"
        "assert asl2durable.__file__.startswith(sys.argv[1]), asl2durable.__file__\n"
        "tr = asl2durable.translate(json.loads(sys.argv[2]), name='m')\n"
        "print(json.dumps(sorted(tr.files)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    out = subprocess.run(
        [sys.executable, "-c", script, str(unpacked), json.dumps(definition)],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True,
    )
    assert json.loads(out.stdout) == [
        "MIGRATION.md", "asl_jsonpath.py", "asl_paths.py", "asl_runtime.py", "asl_sdk.py", "asl_testing.py",
        "definition.asl.json", "handler.py", "requirements-test.txt", "requirements.txt", "template.yaml", "test_handler.py",
    ]
