"""Start-up: what the command line and the package import, validate's pipeline without the
renderer, and the user's cache folder for built parsers and compiled templates.

The timings themselves are in benchmarks/convert_speed.py (``--startup-only``); these tests
check the behaviour the timings rest on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asl2durable import _resources
from asl2durable.translate import RENDER_CHECK_DEPTH, nesting_depth, translate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "polling-loop.asl.json"
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "realworld"
RENDERER = ("black", "jinja2", "aws_durable_execution_sdk_python", "boto3")
PIPELINE = ("asl2durable.loader", "asl2durable.translate", "lark", "jsonschema", "yaml", *RENDERER)


def imported_by(*args: str) -> list[str]:
    """Which of PIPELINE a fresh process has imported after running the command line."""
    code = (
        "import json, sys\n"
        "from asl2durable import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('MODULES', json.dumps([m for m in {PIPELINE!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


def test_help_imports_none_of_the_pipeline():
    assert imported_by("--help") == []


def test_validate_imports_neither_black_nor_jinja_nor_the_sdk():
    found = imported_by("validate", str(EXAMPLE))
    assert "asl2durable.translate" in found  # it did validate
    assert [m for m in found if m in RENDERER] == []


def test_the_package_names_are_the_functions_however_imported():
    code = (
        "import asl2durable.translate, asl2durable.validate\n"
        "import asl2durable\n"
        "from asl2durable import translate, validate, load, Severity\n"
        "assert callable(translate) and translate is asl2durable.translate, translate\n"
        "assert callable(validate) and validate.__module__ == 'asl2durable.validate', validate\n"
        "assert all(hasattr(asl2durable, name) for name in asl2durable.__all__)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def _definitions() -> list[Path]:
    return [*sorted((ROOT / "examples").glob("*.asl.json")), *sorted(CORPUS.glob("*.asl.json"))[::6]]


@pytest.mark.parametrize("path", _definitions(), ids=lambda p: p.name)
def test_without_rendering_the_diagnostics_are_the_same(path: Path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    full, checked = translate(definition), translate(definition, render=False)
    assert checked.diagnostics == full.diagnostics
    assert checked.files == {}
    assert (checked.workflow is None) == (full.workflow is None)


def test_a_definition_too_deep_to_write_is_still_found_without_rendering():
    value: object = "x"
    for _ in range(210):
        value = {"a": value}
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": value, "End": True}}}
    assert nesting_depth(definition) > RENDER_CHECK_DEPTH
    checked = translate(definition, render=False).diagnostics
    assert "TOO_DEEPLY_NESTED" in {d.code for d in checked}
    assert checked == translate(definition).diagnostics


def test_nesting_depth():
    assert nesting_depth("x") == 0
    assert nesting_depth({}) == 1
    assert nesting_depth({"a": [1, {"b": []}], "c": 2}) == 4
    deep: object = 1
    for _ in range(5000):  # no recursion
        deep = [deep]
    assert nesting_depth(deep) == 5000


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _resources.cache_dir.cache_clear()
    yield tmp_path / "cache" / "asl2durable"
    _resources.cache_dir.cache_clear()


def test_a_built_parser_is_kept_in_a_private_folder_and_reused(cache_home: Path):
    first = _resources.lark_parser("jsonpath.lark", maybe_placeholders=True)
    (kept,) = cache_home.glob("jsonpath.lark-*.cache")
    assert cache_home.stat().st_mode & 0o777 == 0o700
    assert not list(cache_home.glob(".*.tmp"))
    again = _resources.lark_parser("jsonpath.lark", maybe_placeholders=True)
    assert list(cache_home.glob("jsonpath.lark-*.cache")) == [kept]
    assert str(again.parse("$.a[0]")) == str(first.parse("$.a[0]"))


def test_a_cache_folder_others_can_write_to_is_not_used(cache_home: Path):
    cache_home.mkdir(parents=True)
    cache_home.chmod(0o777)
    assert _resources.cache_dir() is None
    parser = _resources.lark_parser("jsonpath.lark", maybe_placeholders=True)
    assert parser.parse("$.a") is not None
    assert list(cache_home.iterdir()) == []
    assert _resources.template_cache() is None
