"""The support modules have one identity per process, and local runs share no state.

Generated handlers import the support modules by plain name (``import asl_jsonpath``); the
package reaches them as ``asl2durable.runtime.asl_jsonpath`` too. Both names are one module
object (``_resources.install_support_modules``): one cache, one set of classes, so that
``isinstance`` and ``except`` work across the package and a handler.
"""

from __future__ import annotations

import sys
from pathlib import Path

from asl2durable import run_local, translate
from asl2durable._resources import RUNTIME_DIR

MACHINE = {
    "StartAt": "Shape",
    "States": {
        "Shape": {"Type": "Pass", "Parameters": {"value.$": "$.value"}, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True},
    },
}


def _support_modules() -> dict[str, list[object]]:
    """Each support module's file -> the module objects loaded from it (under any name but
    ``runtime_subset``'s: a few pure helpers compiled apart, for testgen, on purpose)."""
    loaded: dict[str, list[object]] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.startswith("asl2durable.render.runtime_subset.") or not file or Path(file).parent != RUNTIME_DIR:
            continue
        if not any(module is seen for seen in loaded.setdefault(Path(file).name, [])):
            loaded[Path(file).name].append(module)
    return loaded


def test_translate_and_run_load_each_support_module_once():
    assert translate(MACHINE).ok
    result = run_local(MACHINE, {"value": 2}, lambdas={"double": lambda event, _context: event["value"] * 2})
    assert result.status == "SUCCEEDED" and result.output == 4
    import asl_jsonpath

    import asl2durable.runtime.asl_jsonpath as by_package
    from asl2durable.runtime import asl_services

    assert by_package is asl_jsonpath
    assert asl_services is sys.modules["asl_services"]
    loaded = _support_modules()
    assert {"asl_jsonpath.py", "asl_runtime.py", "asl_testing.py"} <= set(loaded)
    assert {name: len(modules) for name, modules in loaded.items() if len(modules) > 1} == {}
    for name, module in list(sys.modules.items()):
        if name.startswith("asl2durable.runtime.asl_"):
            assert module is sys.modules[name.removeprefix("asl2durable.runtime.")], name


def test_an_error_class_is_one_class_for_the_package_and_a_handler():
    import asl_jsonpath

    from asl2durable.runtime.asl_jsonpath import PathNotFound

    try:
        asl_jsonpath.read({}, asl_jsonpath.parse("$.missing"))
    except PathNotFound as err:  # raised by the module a handler imports, caught by the package's name
        assert type(err).__module__ == "asl_jsonpath"
    else:
        raise AssertionError("no PathNotFound")


def test_importing_the_package_makes_the_support_modules_importable_without_a_sys_path_entry():
    """What the tests' conftest relies on, in a fresh interpreter: no ``sys.path`` entry."""
    import subprocess

    script = (
        "import sys, asl2durable\n"
        "from asl2durable._resources import RUNTIME_DIR\n"
        "import asl_runtime, asl2durable.runtime.asl_runtime as by_package\n"
        "assert by_package is asl_runtime and asl_runtime.__file__ == str(RUNTIME_DIR / 'asl_runtime.py')\n"
        "assert str(RUNTIME_DIR) not in sys.path\n"
        "import asl_not_a_support_module\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=RUNTIME_DIR.parent.parent, check=False
    )
    assert done.returncode == 1 and done.stderr.strip().endswith(
        "ModuleNotFoundError: No module named 'asl_not_a_support_module'"
    ), done.stderr


# ---- local runs at the same time ------------------------------------------------------

CONCURRENT = {
    "TimeoutSeconds": 50,
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:scale",
            "ResultPath": "$.lambda",
            "Next": "Read",
        },
        "Read": {  # in a branch: the SDK runs it on a thread of its own
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Get",
                    "States": {
                        "Get": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::dynamodb:getItem",
                            "Parameters": {"TableName": "table", "Key": {"id": {"S": "1"}}},
                            "ResultSelector": {"who.$": "$.Item.who.S"},
                            "End": True,
                        }
                    },
                }
            ],
            "ResultSelector": {"who.$": "$[0].who"},
            "ResultPath": "$.service",
            "Next": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}


def test_local_runs_in_threads_at_the_same_time_are_independent():
    """Three runs, each in its own thread and all inside their Lambda call at once (a
    barrier: a lock around runs would deadlock it), with their own functions, service
    answers (read in a Parallel branch, on a thread the SDK starts) and limits; the
    third's strict limits time it out (its Wait goes past its TimeoutSeconds), the others
    run without them."""
    import threading

    from asl2durable.run import local

    prepared = local.prepare(CONCURRENT)
    together = threading.Barrier(3, timeout=60)
    results: dict[str, object] = {}

    def scale(factor):
        def function(event, _context):
            together.wait()
            return event["value"] * factor

        return function

    def run(name, factor, strict):
        results[name] = local.execute(
            prepared,
            {"value": 2},
            lambdas={"scale": scale(factor)},
            services=lambda resource, params, pattern: {"Item": {"who": {"S": name}}},
            strict_limits=strict,
        )

    threads = [
        threading.Thread(target=run, args=("a", 2, False)),
        threading.Thread(target=run, args=("b", 3, False)),
        threading.Thread(target=run, args=("c", 5, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    a, b, c = results["a"], results["b"], results["c"]
    assert (a.status, a.output, a.limits) == ("SUCCEEDED", {"value": 2, "lambda": 4, "service": {"who": "a"}}, [])
    assert (b.status, b.output, b.limits) == ("SUCCEEDED", {"value": 2, "lambda": 6, "service": {"who": "b"}}, [])
    assert c.status == "TIMED_OUT" and len(c.limits) == 1 and "times out after 50 s" in c.limits[0]
    import asl_runtime

    assert asl_runtime.hook("service_caller") is None  # nothing left set in this thread
    assert asl_runtime._LOCAL_RUNS == {}  # nor by execution


# ---- generated folders' tests in one pytest process -------------------------------------


def test_generated_folders_run_in_one_pytest_process_each_with_its_own_modules(tmp_path):
    """``generated_test_failures`` runs every folder's tests in one pytest process; each
    folder's tests see its own ``handler`` and support modules and its own environment
    variables, and a failing folder is reported by name."""
    from generated import generated_test_failures

    from asl2durable.writer import write_translation

    folders = []
    for name, output in (("first", 1), ("second", 2), ("broken", 3)):
        machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": output, "End": True}}}
        folder = write_translation(translate(machine, name=name), tmp_path)
        check = "" if name != "broken" else "    assert False, 'broken on purpose'\n"
        (folder / "test_handler.py").write_text(
            (folder / "test_handler.py").read_text()
            + "\n\nimport os\nimport sys\nfrom pathlib import Path\n\n"
            + f"os.environ.setdefault('ASL_TEST_FOLDER', {name!r})\n\n\n"
            + "def test_own_modules():\n"
            + "    here = Path(__file__).parent\n"
            + "    import asl_runtime\n"
            + "    assert Path(sys.modules['handler'].__file__).parent == here\n"
            + "    assert Path(asl_runtime.__file__).parent == here\n"
            + "    assert asl_testing.rt is asl_runtime\n"
            + f"    assert os.environ['ASL_TEST_FOLDER'] == {name!r}\n"
            + f"    assert run({{}}).output == {output}\n"
            + check
        )
        folders.append(folder)
    failures = generated_test_failures(folders)
    assert len(failures) == 1 and failures[0].startswith("broken:") and "broken on purpose" in failures[0], failures


def test_a_runs_configuration_reaches_its_handler_only(tmp_path):
    """Two template machines with the same placeholder and different values, run at the same
    time: each handler reads its own template's value, and the process's environment is not
    changed (``asl_runtime.environ``: the run's values, where the process sets none)."""
    import json
    import os
    import threading

    from asl2durable.run import local
    from asl2durable.load.loader import load

    together = threading.Barrier(2, timeout=60)
    results = {}

    def template(table):
        machine = {
            "StartAt": "Call",
            "States": {
                "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:wait",
                         "ResultPath": None, "Next": "Read"},
                "Read": {"Type": "Pass", "Parameters": {"table": "${Table}"}, "End": True},
            },
        }
        resources = {"Machine": {"Type": "AWS::Serverless::StateMachine", "Properties": {
            "Definition": machine, "DefinitionSubstitutions": {"Table": table}}}}
        path = tmp_path / f"{table}.json"
        path.write_text(json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}))
        return load(path, resource="Machine")

    def run(table):
        results[table] = local.run_local(
            template(table), {}, lambdas={"wait": lambda _event, _context: together.wait() and None}
        )

    before = dict(os.environ)
    threads = [threading.Thread(target=run, args=(table,)) for table in ("orders-a", "orders-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert {table: (r.status, r.output) for table, r in results.items()} == {
        "orders-a": ("SUCCEEDED", {"table": "orders-a"}),
        "orders-b": ("SUCCEEDED", {"table": "orders-b"}),
    }
    assert dict(os.environ) == before
