"""Start-up: what the command line and the package import, validate's pipeline without the
renderer, the runtime's helpers compiled without the runtime's imports, and the user's cache
folder for built parsers, compiled templates and those helpers.

The timings themselves are in benchmarks/convert_speed.py (``--startup-only``); these tests
check the behaviour the timings rest on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asl2durable import _resources

from asl2durable.render import runtime_subset
from asl2durable.render.testgen import RUNTIME_HELPERS, TESTING_HELPERS
from asl2durable.translate import OUTPUTS, RENDER_CHECK_DEPTH, nesting_depth, translate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "polling-loop.asl.json"
CONVERTED = ROOT / "examples" / "order-processing.asl.json"
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "realworld"
RENDERER = ("black", "jinja2", "aws_durable_execution_sdk_python", "boto3")
PIPELINE = ("asl2durable.load.loader", "asl2durable.translate", "lark", "jsonschema", "yaml", *RENDERER)


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


def test_validate_of_a_valid_definition_does_not_import_jsonschema():
    assert "jsonschema" not in imported_by("validate", str(EXAMPLE))


def test_validate_of_an_invalid_definition_words_its_errors_with_jsonschema(tmp_path: Path):
    bad = tmp_path / "bad.asl.json"
    bad.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": "yes"}}}))
    assert "jsonschema" in imported_by("validate", str(bad))


def test_convert_imports_neither_the_sdk_nor_boto3(tmp_path: Path):
    found = imported_by("convert", str(CONVERTED), "-o", str(tmp_path / "out"))
    assert (tmp_path / "out" / "order-processing" / "test_handler.py").is_file()  # it did plan tests
    assert "jinja2" in found and "black" in found
    assert [m for m in found if m in ("aws_durable_execution_sdk_python", "boto3", "jsonschema")] == []


def test_the_test_plan_and_the_renderer_import_each_other_one_way():
    """Data flows translate -> testgen (the plan, then test_handler.py through render's tools) and
    translate -> render: render does not import testgen, and testgen never imports translate."""
    code = (
        "import json, sys\n"
        "import asl2durable.render.render\n"
        "print('AFTER_RENDER', json.dumps(sorted(m for m in sys.modules if m.startswith('asl2durable.render.testgen'))))\n"
        "import asl2durable.render.testgen\n"
        "print('AFTER_TESTGEN', json.dumps('asl2durable.translate' in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert json.loads(lines["AFTER_RENDER"]) == []
    assert json.loads(lines["AFTER_TESTGEN"]) is False


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


@pytest.mark.parametrize("path", _definitions()[::4], ids=lambda p: p.name)
def test_each_group_of_outputs_is_its_part_of_the_whole(path: Path):
    """``translate(outputs=...)`` builds only the groups asked for, each as the whole has it;
    the diagnostics, the IR and the handler's source map are the same."""
    definition = json.loads(path.read_text(encoding="utf-8"))
    full = translate(definition, name="m")
    parts = {group: translate(definition, name="m", outputs=(group,)) for group in OUTPUTS}
    assert [name for part in parts.values() for name in part.files] == list(full.files)
    for part in parts.values():
        assert part.diagnostics == full.diagnostics
        assert part.files == {name: full.files[name] for name in part.files}
    assert {"handler.py", "definition.asl.json", "asl_runtime.py"} <= set(parts["handler"].files)
    assert {"test_handler.py", "asl_testing.py"} <= set(parts["tests"].files)
    assert {"template.yaml", "MIGRATION.md"} <= set(parts["deploy"].files)
    assert (parts["handler"].source_map is None) == (full.source_map is None)
    assert translate(definition, name="m", outputs=OUTPUTS).files == full.files
    with pytest.raises(ValueError, match="unknown outputs"):
        translate(definition, outputs=("handlers",))


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


# ---- the runtime's helpers, compiled apart from the runtime (runtime_subset) ------------------


def test_the_helpers_are_the_runtimes_own_code(cache_home: Path):
    import asl_runtime
    import asl_testing

    runtime_subset.subset.cache_clear()
    helpers = runtime_subset.subset("asl_runtime", RUNTIME_HELPERS)
    testing = runtime_subset.subset("asl_testing", TESTING_HELPERS)
    for subset, module, names in ((helpers, asl_runtime, RUNTIME_HELPERS), (testing, asl_testing, TESTING_HELPERS)):
        for name in names:
            ours, theirs = getattr(subset, name).__code__, getattr(module, name).__code__
            assert (ours.co_code, ours.co_consts, ours.co_names) == (theirs.co_code, theirs.co_consts, theirs.co_names)
            assert ours.co_filename == theirs.co_filename and ours.co_firstlineno == theirs.co_firstlineno
    assert testing.function_key("arn:aws:lambda:us-east-1:1:function:f:live") == "f"
    assert helpers.compare("TimestampLessThan", "2024-01-01T00:00:00Z", "2024-01-01T00:00:01+00:00")
    assert helpers.error_matches("States.Timeout", ["States.ALL"])
    assert not helpers.error_matches("States.Timeout", ["States.TaskFailed"])
    (kept,) = cache_home.glob("subset-asl_runtime-*.code")
    runtime_subset.subset.cache_clear()
    assert runtime_subset.subset("asl_runtime", RUNTIME_HELPERS).compare("NumericEquals", 1, 1.0)
    assert list(cache_home.glob("subset-asl_runtime-*.code")) == [kept]


def test_a_helper_that_needs_the_sdk_is_not_compiled_apart(cache_home: Path):
    runtime_subset.subset.cache_clear()
    with pytest.raises(runtime_subset.NotSeparable):
        runtime_subset.subset("asl_runtime", ("step",))


def _subset(source: str, *names: str) -> dict | None:
    code = runtime_subset._compile(textwrap.dedent(source), "<test>", names)
    if code is None:
        return None
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - code compiled from the test's own source
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def test_what_a_function_needs_is_taken_with_it():
    source = """
        from __future__ import annotations
        import json
        import re
        import heavy_thing
        from heavy_thing import Context
        _WORD = re.compile(r"\\w+")
        TABLE = {"a": 1}
        TABLE["b"] = 2
        def register(name):
            def wrap(f):
                TABLE[name] = f
                return f
            return wrap
        @register("c")
        def c() -> Context:
            return 3
        def words(text: str, out: Context = None) -> list:
            return _WORD.findall(text) + sorted(TABLE)
        def unrelated():
            return heavy_thing.go(json.dumps(1))
        def uses_heavy():
            return heavy_thing.go()
    """
    taken = _subset(source, "words")
    assert taken is not None and taken["words"]("x y") == ["x", "y", "a", "b", "c"]
    assert "unrelated" not in taken and "json" not in taken and "heavy_thing" not in taken
    assert _subset(source, "uses_heavy") is None
    assert _subset(source, "missing") is None


@pytest.fixture
def sdk_names(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``integrations.sdk_api``'s answers kept afresh in ``cache_home`` (no AWS settings of the user's)."""
    from asl2durable.lower import integrations

    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    monkeypatch.setenv("HOME", str(cache_home.parent.parent / "home"))  # no ~/.aws
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    integrations._sdk_names.cache_clear()
    yield cache_home
    integrations._sdk_names.cache_clear()


_SDK_CASES = [("s3", "listObjectsV2"), ("eventbridge", "putEvents"), ("s3", "noSuchApi"), ("nosuchservice", "getThing")]


def _looked_up(service: str, action: str) -> tuple[str | None, str | None]:
    """What botocore's models say, as ``sdk_api`` found it before it kept its answers."""
    from asl2durable.runtime import asl_services as svc

    boto = svc.sdk_service(service)
    operation = svc.find_operation(svc.service_model(boto), action) if boto else None
    return boto, operation.name if operation is not None else None


def test_aws_sdk_names_are_kept_per_botocore_version_and_read_back(sdk_names: Path, monkeypatch: pytest.MonkeyPatch):
    import botocore

    from asl2durable.lower import integrations
    from asl2durable.runtime import asl_services as svc

    expected = {case: _looked_up(*case) for case in _SDK_CASES}
    assert expected[("s3", "listObjectsV2")] == ("s3", "ListObjectsV2")
    assert expected[("eventbridge", "putEvents")] == ("events", "PutEvents")
    assert expected[("nosuchservice", "getThing")] == (None, None)
    assert {case: integrations.sdk_api(*case) for case in _SDK_CASES} == expected
    (kept,) = sdk_names.glob("aws-sdk-names-*.json")
    rules = hashlib.sha256(Path(svc.__file__).read_bytes()).hexdigest()[:16]
    assert kept.name == f"aws-sdk-names-{botocore.__version__}-{rules}.json"  # a new asl2durable: a new file
    assert not list(sdk_names.glob("*.tmp"))

    def no_model(name: str) -> None:
        raise AssertionError(f"botocore's model of {name} loaded again")

    integrations._sdk_names.cache_clear()  # a new process: the answers come from the file
    monkeypatch.setattr(svc, "service_model", no_model)
    monkeypatch.setattr(svc, "sdk_service", no_model)
    assert {case: integrations.sdk_api(*case) for case in _SDK_CASES} == expected


def test_aws_sdk_names_are_not_kept_when_botocore_reads_other_models(sdk_names: Path, monkeypatch: pytest.MonkeyPatch):
    from asl2durable.lower import integrations

    monkeypatch.setenv("AWS_DATA_PATH", str(sdk_names.parent / "models"))
    assert integrations.sdk_api("s3", "listObjectsV2") == ("s3", "ListObjectsV2")
    assert not list(sdk_names.glob("aws-sdk-names-*.json"))
