"""Mutation check of the generated tests: do they notice a changed definition?

A mutant is a definition with one change a reviewer would call a bug (``OPERATORS``): a
ResultPath, a static Parameters/Arguments value, a Choice threshold or string, a Retry's
MaxAttempts or ErrorEquals, a Catch target, a Fail state's Error. ``check`` converts the
original and each mutant, and runs the ORIGINAL's generated ``test_handler.py`` against the
mutant's ``handler.py``; the mutant is *killed* when a test that passes on the original fails.
A mutant whose handler is byte-identical to the original's is not counted (``identical``).

The tests run in this process: the handler and the test module are compiled from their text
(no files, no pytest), with the support modules imported from ``asl2durable/runtime``.

Used by ``tests/test_mutation.py`` (a small fixed sample) and ``benchmarks/mutation.py`` (the
real-world corpus, the README figure).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import os
import random
import re
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from asl2durable.diagnostics import has_errors
from asl2durable.lower.lower import lower
from asl2durable.render.render import render_handler
from asl2durable.lower.structure import structure
from asl2durable.translate import RUNTIME_DIR, translate
from asl2durable.validate import validate

OPERATORS = ("result_path", "parameters", "choice", "retry_attempts", "retry_errors", "catch_target", "fail_name")
MUTANT_ERROR = "Mutant.Error"  # an error name no test raises
RUN_TIMEOUT = 10  # seconds one execution of a test may take (a mutant can loop for ever)


@dataclass
class Mutant:
    operator: str
    where: str  # the state (and field) changed
    change: str  # what changed, for a reader
    definition: dict


@dataclass
class Result:
    machine: str
    operator: str
    where: str
    change: str
    status: str  # "killed" | "survived" | "identical" | "invalid" (the mutant does not translate)
    by: str = ""  # the test that killed it, and how


@dataclass
class MachineCheck:
    machine: str
    tests: int = 0  # generated tests that pass on the original
    failing: list = field(default_factory=list)  # generated tests that fail on the original
    results: list = field(default_factory=list)
    error: str = ""  # why the machine was not checked


# --------------------------------------------------------------------------- the mutants


def _states(definition: dict, steps: tuple = ()) -> Iterator[tuple[tuple, dict, dict]]:
    """(steps to it, state, the States map it is in) for every state, nested machines included:
    the steps are state names, ("Branches", i), ("Iterator",) and ("ItemProcessor",)."""
    states = definition.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = steps + (name,)
        yield here, state, states
        for i, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _states(branch, here + (("Branches", i),))
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                yield from _states(state[key], here + ((key,),))


def _mutated_path(path: Any) -> str:
    if not isinstance(path, str) or path == "$":
        return "$.mutated"
    return path + "_mutated"


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Static scalar leaves of a Parameters/Arguments template (no paths, no expressions)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and k.endswith(".$"):
                continue
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    elif isinstance(value, str):
        if not (value.startswith("{%") and value.rstrip().endswith("%}")):
            yield path, value
    elif isinstance(value, (int, float)):  # bool included
        yield path, value


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return value + "-mutated" if value else "mutated"


def _conditions(rule: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path in the rule, operator) of each comparison with a literal operand."""
    if not isinstance(rule, dict):
        return
    for kind in ("And", "Or"):
        for i, inner in enumerate(rule.get(kind) or []):
            yield from _conditions(inner, path + (kind, i))
    if isinstance(rule.get("Not"), dict):
        yield from _conditions(rule["Not"], path + ("Not",))
    for key, operand in rule.items():
        literal = isinstance(operand, (str, int, float)) and not key.endswith("Path")
        if literal and re.fullmatch(r"(String|Numeric|Boolean|Timestamp)[A-Za-z]*", key):
            yield path, key


_LITERAL = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|(?<![\w.$])-?\d+(?:\.\d+)?(?![\w.]))""")


def _mutated_condition(text: str) -> str | None:
    """A JSONata condition with its first literal (a string or a number) changed."""
    body = text[2:-2]
    found = _LITERAL.search(body)
    if found is None:
        return None
    literal = found.group(0)
    if literal[0] in "\"'":
        new = literal[:-1] + "-mutated" + literal[-1]
    else:
        number = float(literal)
        new = str(int(number) + 1) if number == int(number) else str(number + 1)
    return "{%" + body[: found.start()] + new + body[found.end():] + "%}"


def _shifted_time(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text + "x"
    return (moment + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")


def _get(root: Any, path: tuple) -> Any:
    for step in path:
        root = root[step]
    return root


def _sites(definition: dict) -> dict[str, list[tuple[str, str, Callable[[dict], None]]]]:
    """Per operator, the places it can change: (where, change, apply(copy of the definition))."""
    sites: dict[str, list] = {op: [] for op in OPERATORS}

    def at(steps: tuple) -> Callable[[dict], dict]:
        def find(root: dict) -> dict:
            machine, state = root, root
            for step in steps:
                if isinstance(step, tuple):
                    machine = state[step[0]] if len(step) == 1 else state[step[0]][step[1]]
                else:
                    state = machine["States"][step]
            return state

        return find

    for steps, state, siblings in _states(definition):
        find = at(steps)
        pointer = "/" + "/".join(s if isinstance(s, str) else "/".join(map(str, s)) for s in steps)
        kind = state.get("Type")
        jsonata = state.get("QueryLanguage", definition.get("QueryLanguage")) == "JSONata"
        # a ResultPath as written, or the default "$" of a Task, Parallel or Map
        if kind in ("Task", "Pass", "Parallel", "Map") and not jsonata and ("ResultPath" in state or kind != "Pass"):
            new = _mutated_path(state.get("ResultPath", "$"))

            def apply(d: dict, find=find, new=new) -> None:
                find(d)["ResultPath"] = new

            sites["result_path"].append((pointer, f"ResultPath {state.get('ResultPath', '$')!r} -> {new!r}", apply))
        field_name = "Arguments" if jsonata else "Parameters"
        if isinstance(state.get(field_name), (dict, list)):
            for leaf, value in _leaves(state[field_name]):
                new = _changed(value)

                def apply(d: dict, find=find, leaf=leaf, new=new, field_name=field_name) -> None:
                    _get(find(d)[field_name], leaf[:-1])[leaf[-1]] = new

                sites["parameters"].append((f"{pointer}/{field_name}/{'/'.join(map(str, leaf))}", f"{value!r} -> {new!r}", apply))
        if kind == "Choice":
            for i, rule in enumerate(state.get("Choices") or []):
                if isinstance(rule, dict) and isinstance(rule.get("Condition"), str):
                    new = _mutated_condition(rule["Condition"])
                    if new is not None:

                        def apply(d: dict, find=find, i=i, new=new) -> None:
                            find(d)["Choices"][i]["Condition"] = new

                        sites["choice"].append((f"{pointer}/Choices[{i}]", f"{rule['Condition']!r} -> {new!r}", apply))
                    continue
                for path, operator in _conditions(rule):
                    operand = _get(rule, path)[operator]
                    if operator.startswith("Timestamp"):
                        new = _shifted_time(operand)
                    elif operator.startswith("String"):
                        new = operand + "x" if operator == "StringMatches" else _changed(operand)
                    else:
                        new = _changed(operand)

                    def apply(d: dict, find=find, i=i, path=path, operator=operator, new=new) -> None:
                        _get(find(d)["Choices"][i], path)[operator] = new

                    sites["choice"].append((f"{pointer}/Choices[{i}]", f"{operator} {operand!r} -> {new!r}", apply))
        for i, retrier in enumerate(state.get("Retry") or []):
            if not isinstance(retrier, dict):
                continue
            attempts = retrier.get("MaxAttempts", 3)
            if isinstance(attempts, int) and not isinstance(attempts, bool):
                new = attempts - 1 if attempts >= 2 else attempts + 1

                def apply(d: dict, find=find, i=i, new=new) -> None:
                    find(d)["Retry"][i]["MaxAttempts"] = new

                sites["retry_attempts"].append((f"{pointer}/Retry[{i}]", f"MaxAttempts {attempts} -> {new}", apply))
            names = retrier.get("ErrorEquals")
            if isinstance(names, list):
                for j, name in enumerate(names):

                    def apply(d: dict, find=find, i=i, j=j) -> None:
                        find(d)["Retry"][i]["ErrorEquals"][j] = MUTANT_ERROR

                    sites["retry_errors"].append((f"{pointer}/Retry[{i}]", f"ErrorEquals {name!r} -> {MUTANT_ERROR!r}", apply))
        for i, catcher in enumerate(state.get("Catch") or []):
            if not isinstance(catcher, dict) or not isinstance(catcher.get("Next"), str):
                continue
            others = sorted(n for n in siblings if n != catcher["Next"] and siblings[n] is not state)
            if others:
                new = others[zlib_index(pointer + catcher["Next"], len(others))]

                def apply(d: dict, find=find, i=i, new=new) -> None:
                    find(d)["Catch"][i]["Next"] = new

                sites["catch_target"].append((f"{pointer}/Catch[{i}]", f"Next {catcher['Next']!r} -> {new!r}", apply))
        if kind == "Fail" and isinstance(state.get("Error"), str) and not state["Error"].startswith("{%"):
            new = state["Error"] + "Mutated"

            def apply(d: dict, find=find, new=new) -> None:
                find(d)["Error"] = new

            sites["fail_name"].append((pointer, f"Error {state['Error']!r} -> {new!r}", apply))
    return sites


def zlib_index(text: str, n: int) -> int:
    """A stable index in ``range(n)`` for ``text`` (Python's ``hash`` of a str is salted)."""
    import zlib

    return zlib.crc32(text.encode("utf-8")) % n


def mutants(definition: dict, *, per_operator: int = 2, seed: str = "") -> list[Mutant]:
    """Up to ``per_operator`` mutants of each operator, chosen with a seeded random generator
    (the same definition and seed give the same mutants)."""
    out = []
    for operator, places in _sites(definition).items():
        chosen = random.Random(f"{seed}:{operator}").sample(places, min(per_operator, len(places)))
        for where, change, apply in chosen:
            mutant = copy.deepcopy(definition)
            apply(mutant)
            out.append(Mutant(operator, where, change, mutant))
    return out


# --------------------------------------------------------------------------- running tests


def handler_source(definition: dict, name: str, substitutions: tuple = ()) -> str | None:
    """The ``handler.py`` of a definition (None: it does not translate). What ``translate``
    writes, without the tests and the deployment files."""
    if has_errors(validate(definition)):
        return None
    workflow, _ = lower(definition, name, substitutions, None)
    structure(workflow)
    try:
        return render_handler(workflow)
    except (SyntaxError, RecursionError):
        return None


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """The environment variables and the ``handler`` module are restored afterwards."""
    if str(RUNTIME_DIR) not in sys.path:
        sys.path.insert(0, str(RUNTIME_DIR))
    environ = dict(os.environ)
    saved = sys.modules.get("handler")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        if saved is None:
            sys.modules.pop("handler", None)
        else:
            sys.modules["handler"] = saved


def load_tests(test_source: str, handler: str) -> dict[str, Callable[[], None]]:
    """The test functions of ``test_source`` (a generated test_handler.py) with ``from handler
    import handler`` giving the handler compiled from ``handler`` (its source text)."""
    module = types.ModuleType("handler")
    module.__file__ = "handler.py"
    sys.modules["handler"] = module
    exec(compile(handler, "handler.py", "exec"), module.__dict__)  # noqa: S102 - the generated handler
    tests = types.ModuleType("test_handler")
    tests.__file__ = "test_handler.py"
    exec(compile(test_source, "test_handler.py", "exec"), tests.__dict__)  # noqa: S102 - its generated tests
    import asl_testing

    harness = types.ModuleType("asl_testing")
    harness.__dict__.update(asl_testing.__dict__)
    harness.run = functools.partial(asl_testing.run, timeout=RUN_TIMEOUT)
    harness.run_state = functools.partial(asl_testing.run_state, timeout=RUN_TIMEOUT)
    tests.__dict__["asl_testing"] = harness
    return {name: value for name, value in tests.__dict__.items() if name.startswith("test_") and callable(value)}


def _failure(test: Callable[[], None]) -> str | None:
    try:
        test()
    except AssertionError as err:
        return f"assertion: {str(err).splitlines()[0][:200] if str(err) else 'failed'}"
    except Exception as err:  # noqa: BLE001 - any error fails the test
        return f"{type(err).__name__}: {str(err)[:200]}"
    return None


def check(definition: dict, name: str, *, per_operator: int = 2, seed: str = "", operators: tuple = OPERATORS) -> MachineCheck:
    """Convert ``definition``, run its generated tests on its handler, then on each mutant's."""
    out = MachineCheck(name)
    translation = translate(definition, name=name, outputs=("handler", "tests"))
    if not translation.ok:
        out.error = "the definition does not translate"
        return out
    original = translation.files["handler.py"]
    test_source = translation.files["test_handler.py"]
    with _isolated():
        tests = load_tests(test_source, original)
        passing = []
        for test_name, test in tests.items():
            problem = _failure(test)
            if problem is None:
                passing.append(test_name)
            else:
                out.failing.append(f"{test_name}: {problem}")
    out.tests = len(passing)
    for mutant in mutants(definition, per_operator=per_operator, seed=seed or name):
        if mutant.operator not in operators:
            continue
        result = Result(name, mutant.operator, mutant.where, mutant.change, "survived")
        out.results.append(result)
        source = handler_source(mutant.definition, name)
        if source is None:
            result.status = "invalid"
            continue
        if source == original:
            result.status = "identical"
            continue
        with _isolated():
            mutant_tests = load_tests(test_source, source)
            for test_name in passing:
                problem = _failure(mutant_tests[test_name])
                if problem is not None:
                    result.status, result.by = "killed", f"{test_name}: {problem}"
                    break
    return out


def summary(results: list[Result]) -> dict[str, dict[str, int]]:
    """Per operator (and "all"): mutants counted (not identical, translating), killed, identical."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        for key in (r.operator, "all"):
            row = table.setdefault(key, {"mutants": 0, "killed": 0, "identical": 0, "invalid": 0})
            if r.status in ("identical", "invalid"):
                row[r.status] += 1
            else:
                row["mutants"] += 1
                row["killed"] += r.status == "killed"
    return table
