"""Differential test (issue 7, item 1): random JSONPath machines, translated and run locally,
against moto's Step Functions interpreter (offline, through ``behaviour.check``).

A hypothesis strategy builds valid machines of Pass, Choice, Wait, Parallel, Map, Fail,
Succeed and Task states (Lambda stubs, by function ARN and through ``lambda:invoke``), with
InputPath/Parameters/ResultSelector/ResultPath/OutputPath, Retry and Catch. The generator
tracks the shape of the data at every state (which fields exist, of which type), so that
every path it writes reads a field that exists and every Choice compares a field of the right
type. Machines are acyclic, so they end.

The stubs are deterministic functions of their input, or (``flaky_*``) fail a given number of
times before succeeding; their call counters are reset before each side runs (both sides run
the same stubs, one after the other). What could make two correct runs differ is kept out:

* a concurrent sub-machine (Parallel branch, Map iteration) fails, if at all, only with one
  error and cause (``Inner``/``inner``): when several branches or iterations fail, which error
  the Parallel or Map state reports is a race, in AWS as anywhere;
* flaky stubs (call counters) are not used inside Parallel and Map: their counts would depend
  on how many concurrent calls ran before a sibling failed;
* a Lambda stub inside Parallel or Map that can fail is always caught there (``States.ALL``);
* stubs compute on their event without run-specific values (``clean``): the HTTP metadata of a
  ``lambda:invoke`` result, a caught Lambda error's request id and stack trace.

Known deviations of moto's interpreter from AWS, kept out of the generator (each has an
explicit test below with the AWS behaviour):

* a Choice state without Default where no rule matches: AWS fails with
  ``States.NoChoiceMatched``, the interpreter with ``States.Runtime``; generated Choice states
  always have a Default;
* the result of ``arn:aws:states:::lambda:invoke`` has no ``SdkHttpMetadata`` and
  ``SdkResponseMetadata`` on the interpreter (AWS's has them; behaviour.check ignores those
  keys, and the stubs do not read them).

Every machine must behave the same on both sides ("same"); a "could not compare" (the
interpreter rejected the machine or did not finish) is counted and may be a small fraction
only. Shrunk counterexamples found by this test are the explicit tests at the end of the file.

Per run: four tests of 150/150/120/120 machines (540, derandomized: the same machines on
every run), one input each; about 0.45 s of CPU per machine.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from typing import Any
from unittest import mock

import moto.stepfunctions.parser  # noqa: F401 - moto is a test dependency: fail loudly when missing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl2durable.run import behaviour
from asl2durable.run.behaviour import check, report
from asl2durable.run.local import run_local

# When a Parallel branch fails, moto's interpreter stops the execution while sibling branch
# threads still run; they end with "Could not set NextState value when in state
# ProgramStopped", which pytest reports as an unhandled thread exception (the interpreter's
# noise: the execution's result is already decided).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")]  # slow: each machine family run through moto's ASL interpreter and the translation, minutes

ACCOUNT = "123456789012"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


# --------------------------------------------------------------------------- Lambda stubs

ERRORS = ("BoomError", "FlakyError", "OtherError")
_ERROR_CLASSES = {name: type(name, (Exception,), {}) for name in ERRORS + ("Inner",)}


RUN_SPECIFIC = ("SdkHttpMetadata", "SdkResponseMetadata", "requestId", "stackTrace")


def clean(value: Any) -> Any:
    """A stub's view of its event, without what differs between two correct runs: integral
    floats as ints (1.0 and 1 are one JSON value); no HTTP metadata of ``lambda:invoke``
    results that reach it through ``$`` (dates and request ids; moto's interpreter leaves it
    out, AWS's result has it; behaviour.check ignores these keys); and in a caught Lambda
    error's Cause (JSON text), no request id or stack trace."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: clean(x) for k, x in value.items() if k not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [clean(x) for x in value]
    if isinstance(value, str) and value.startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(clean(parsed), sort_keys=True)
    return value


def _canonical(value: Any) -> str:
    return json.dumps(clean(value), sort_keys=True)


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [int(value)]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ints(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ints(v)]
    return []


def total(event, context):
    return {"total": sum(_ints(clean(event)))}


def echo(event, context):
    return {"echo": clean(event)}


def label(event, context):
    return f"label-{zlib.crc32(_canonical(event).encode()) % 1000}"


def make_sometimes(error: str):
    """Fails with ``error`` for about a third of its inputs (by their content), else succeeds."""

    def sometimes(event, context):
        if zlib.crc32(_canonical(event).encode()) % 3 == 0:
            raise _ERROR_CLASSES[error](f"{error} for this input")
        return {"ok": True}

    return sometimes


class Flaky:
    """Fails ``times`` times with ``error``, then returns how many calls it took."""

    def __init__(self, error: str, times: int):
        self.error, self.times, self.calls = error, times, 0

    def __call__(self, event, context):
        self.calls += 1
        if self.calls <= self.times:
            raise _ERROR_CLASSES[self.error](f"attempt {self.calls} failed")
        return {"attempts": self.calls}


# stub name -> the shape of its result (None: depends on the input, see task_result_shape)
PURE_STUBS = {"total": total, "echo": echo, "label": label}
for _error in ERRORS + ("Inner",):
    PURE_STUBS[f"sometimes_{_error}"] = make_sometimes(_error)


# --------------------------------------------------------------------------- data shapes
# A shape is ("int",), ("str",), ("bool",), ("any",), ("arr", item shape) or ("obj", {field: shape}).

INT, STR, BOOL, ANY = ("int",), ("str",), ("bool",), ("any",)


def obj(**fields) -> tuple:
    return ("obj", dict(fields))


INPUT_SHAPE = obj(a=INT, b=INT, s=STR, f=BOOL, o=obj(k=INT, t=STR), nums=("arr", INT), recs=("arr", obj(k=INT, t=STR)))
STRINGS = ["x", "y", "zz", ""]


def inputs() -> st.SearchStrategy:
    small = st.integers(-3, 5)
    text = st.sampled_from(STRINGS)
    rec = st.fixed_dictionaries({"k": small, "t": text})
    return st.fixed_dictionaries({
        "a": small, "b": small, "s": text, "f": st.booleans(), "o": rec,
        "nums": st.lists(small, max_size=3), "recs": st.lists(rec, max_size=3),
    })


def intersect(shapes: list) -> tuple | None:
    """The shape every one of ``shapes`` has (None: no path gets here)."""
    shapes = [s for s in shapes if s is not None]
    if not shapes:
        return None
    first = shapes[0]
    if all(s == first for s in shapes):
        return first
    if all(s[0] == "obj" for s in shapes):
        common = {}
        for key in first[1]:
            if all(key in s[1] for s in shapes):
                inner = intersect([s[1][key] for s in shapes])
                common[key] = inner if inner is not None else ANY
        return ("obj", common)
    return ANY


def leaves(shape: tuple, prefix: str = "$") -> list[tuple[str, tuple]]:
    """Every (path, shape) under an object shape, nested objects included."""
    out = []
    if shape[0] == "obj":
        for key, value in shape[1].items():
            path = f"{prefix}.{key}"
            out.append((path, value))
            out += leaves(value, path)
    return out


# --------------------------------------------------------------------------- the generator


class Gen:
    def __init__(self, draw, kinds: tuple[str, ...], max_states: int):
        self.draw, self.kinds, self.max_states = draw, kinds, max_states
        self.count = 0
        self.lambdas: dict[str, Any] = {}
        self.flaky: list[Flaky] = []

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def ints(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def coin(self, p_true: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < p_true * 100

    # ---- machines and sequences

    def machine(self, shape, depth: int, concurrent: bool, length: int) -> tuple[dict, tuple | None]:
        states: dict = {}
        first, exits, out = self.sequence(states, shape, depth, concurrent, length)
        self.close(states, exits, None)
        return {"StartAt": first, "States": states}, out

    def close(self, states: dict, exits: list, nxt: str | None) -> None:
        """Point the open exits at ``nxt``, or end them."""
        end_state = None
        for holder, key in exits:
            if nxt is not None:
                holder[key] = nxt
            elif key == "Next" and "Type" in holder:
                holder.pop("Next", None)
                holder["End"] = True
            else:  # a Choice rule, a Default or a Catcher: they need a state to go to
                if end_state is None:
                    end_state = self.name("Done")
                    states[end_state] = {"Type": "Succeed"}
                holder[key] = end_state

    def sequence(self, states: dict, shape, depth: int, concurrent: bool, length: int):
        """States one after the other: (first state, open exits, shape at the end)."""
        first = None
        exits: list = []
        for i in range(length):
            last = i == length - 1
            name, new_exits, new_shape = self.state(states, shape, depth, concurrent, last)
            if first is None:
                first = name
            else:
                self.close(states, exits, name)
            exits, shape = new_exits, new_shape
            if shape is None or not exits:  # every path ended
                return first, [], None
        return first, exits, shape

    def state(self, states: dict, shape, depth: int, concurrent: bool, last: bool):
        kinds = list(self.kinds)
        if depth >= 2 or self.count >= self.max_states:
            kinds = [k for k in kinds if k not in ("Parallel", "Map", "Choice")]
        if not last:
            kinds = [k for k in kinds if k not in ("Fail", "Succeed")]
        kind = self.pick(kinds or ["Pass"])
        return getattr(self, kind.lower())(states, shape, depth, concurrent)

    # ---- paths and templates

    def paths_of(self, shape, *types) -> list[str]:
        return [p for p, s in leaves(shape) if not types or s[0] in types]

    def input_path(self, state: dict, shape):
        return self.maybe_select(state, "InputPath", shape, 0.15)

    def output_path(self, state: dict, shape):
        return self.maybe_select(state, "OutputPath", shape, 0.1)

    def maybe_select(self, state: dict, field: str, shape, chance: float):
        """Sometimes set ``field`` to the path of an object in ``shape``: the shape it selects."""
        objects = self.paths_of(shape, "obj")
        if objects and self.coin(chance):
            path = self.pick(objects)
            state[field] = path
            return select(shape, path)
        return shape

    def template(self, shape, context: bool = True) -> tuple[dict, tuple]:
        """A Parameters-like template of a few fields reading ``shape``: (template, its shape)."""
        out: dict = {}
        fields: dict = {}
        for i in range(self.ints(1, 3)):
            key = f"p{i}"
            options = ["const"]
            readable = self.paths_of(shape)
            if readable:
                options += ["path", "path"]
            if self.paths_of(shape, "int"):
                options.append("add")
            if self.paths_of(shape, "str"):
                options.append("format")
            if self.paths_of(shape, "arr"):
                options.append("length")
            if readable:
                options.append("json")
            if context:
                options.append("context")
            how = self.pick(options)
            if how == "const":
                out[key] = self.pick([1, "c", {"n": 2}, [1, 2], None, True])
                fields[key] = ANY if not isinstance(out[key], int) or isinstance(out[key], bool) else INT
            elif how == "path":
                path = self.pick(readable + ["$"])
                out[f"{key}.$"] = path
                fields[key] = shape if path == "$" else select(shape, path)
            elif how == "add":
                out[f"{key}.$"] = f"States.MathAdd({self.pick(self.paths_of(shape, 'int'))}, {self.ints(-2, 2)})"
                fields[key] = INT
            elif how == "format":
                out[f"{key}.$"] = f"States.Format('v={{}}', {self.pick(self.paths_of(shape, 'str'))})"
                fields[key] = STR
            elif how == "length":
                out[f"{key}.$"] = f"States.ArrayLength({self.pick(self.paths_of(shape, 'arr'))})"
                fields[key] = INT
            elif how == "json":
                path = self.pick(readable)
                out[f"{key}.$"] = self.pick([f"States.JsonToString({path})", f"States.StringToJson(States.JsonToString({path}))",
                                             f"States.Array({path}, 1)"])
                fields[key] = STR if out[f"{key}.$"].startswith("States.JsonToString") else ANY
            else:
                out[f"{key}.$"] = self.pick(["$$.State.Name", "$$.Execution.Input.a", "$$.State.RetryCount"])
                fields[key] = STR if out[f"{key}.$"] == "$$.State.Name" else INT
        if self.coin(0.2):
            out["nested"] = {"q.$": "$", "lit": "z"}
            fields["nested"] = obj(q=shape, lit=STR)
        return out, ("obj", fields)

    def result_path(self, state: dict, shape, result, result_is_object: bool):
        options = ["$.r", "$.r", "$.out", "null"]
        if result_is_object:
            options.append("$")
        if self.paths_of(shape, "obj"):
            options.append("nested")
        choice = self.pick(options)
        if choice == "null":
            state["ResultPath"] = None
            return shape
        if choice == "$":
            state["ResultPath"] = "$"
            return result
        if choice == "nested":
            parent = self.pick(self.paths_of(shape, "obj"))
            path = f"{parent}.r"
        else:
            path = choice
        state["ResultPath"] = path
        return put(shape, path, result)

    # ---- states

    def pass_(self, states, shape, depth, concurrent):
        name = self.name("Pass")
        state: dict = {"Type": "Pass"}
        states[name] = state
        effective = self.input_path(state, shape)
        how = self.pick(["plain", "result", "parameters", "parameters"])
        if how == "result":
            state["Result"] = self.pick([{"v": 1}, {"v": "w", "list": [1, 2]}, 7, "text", [1, {"x": 2}]])
            result = shape_of(state["Result"])
        elif how == "parameters":
            state["Parameters"], result = self.template(effective)
        else:
            result = effective
        if how != "plain" or self.coin(0.3):
            out = self.result_path(state, shape, result, result[0] == "obj")
        else:
            out = result
        if out[0] != "obj":  # keep the data an object between states
            state["ResultPath"] = "$.r"
            out = put(shape, "$.r", result)
        out = self.output_path(state, out)
        state["Next"] = None
        return name, [(state, "Next")], out

    def wait(self, states, shape, depth, concurrent):
        name = self.name("Wait")
        state = {"Type": "Wait", "Seconds": self.ints(0, 2), "Next": None}
        states[name] = state
        return name, [(state, "Next")], shape

    def succeed(self, states, shape, depth, concurrent):
        name = self.name("Succeed")
        state: dict = {"Type": "Succeed"}
        self.output_path(state, shape)
        states[name] = state
        return name, [], None

    def fail(self, states, shape, depth, concurrent):
        name = self.name("Fail")
        if concurrent:
            states[name] = {"Type": "Fail", "Error": "Inner", "Cause": "inner"}
        else:
            states[name] = {"Type": "Fail", "Error": self.pick(ERRORS + ("Custom",)), "Cause": self.pick(["why", "because"])}
        return name, [], None

    def condition(self, shape, depth: int = 0) -> dict:
        ints, strs, bools = (self.paths_of(shape, k) for k in ("int", "str", "bool"))
        options = ["present"]
        if self.paths_of(shape, "int", "str", "bool", "obj"):
            options.append("type")
        if ints:
            options += ["num", "num", "numpath"]
        if strs:
            options += ["str", "str"]
        if bools:
            options.append("bool")
        if depth < 2:
            options += ["and", "or", "not"]
        how = self.pick(options)
        if how == "num":
            op = self.pick(["NumericEquals", "NumericGreaterThan", "NumericLessThanEquals"])
            return {"Variable": self.pick(ints), op: self.ints(-2, 4)}
        if how == "numpath":
            op = self.pick(["NumericEqualsPath", "NumericGreaterThanPath"])
            return {"Variable": self.pick(ints), op: self.pick(ints)}
        if how == "str":
            op = self.pick(["StringEquals", "StringEquals", "StringGreaterThan", "StringMatches", "StringEqualsPath"])
            if op == "StringMatches":
                return {"Variable": self.pick(strs), op: self.pick(["x*", "*z", "v=*", "*"])}
            if op == "StringEqualsPath":
                return {"Variable": self.pick(strs), op: self.pick(strs)}
            return {"Variable": self.pick(strs), op: self.pick(STRINGS + ["v=x"])}
        if how == "type":
            test = self.pick(["IsNumeric", "IsString", "IsBoolean", "IsNull"])
            return {"Variable": self.pick(self.paths_of(shape, "int", "str", "bool", "obj")), test: self.coin()}
        if how == "bool":
            return {"Variable": self.pick(bools), "BooleanEquals": self.coin()}
        if how == "present":
            return {"Variable": self.pick(self.paths_of(shape) + ["$.missing", "$.o.missing"]), "IsPresent": self.coin()}
        if how == "not":
            return {"Not": self.condition(shape, depth + 1)}
        return {how.capitalize(): [self.condition(shape, depth + 1) for _ in range(self.ints(1, 2))]}

    def choice(self, states, shape, depth, concurrent):
        name = self.name("Choice")
        state: dict = {"Type": "Choice", "Choices": []}
        states[name] = state
        exits: list = []
        outs = []
        for _ in range(self.ints(1, 2)):
            rule = self.condition(shape)
            state["Choices"].append(rule)
            first, sub_exits, out = self.sequence(states, shape, depth + 1, concurrent, self.ints(1, 2))
            rule["Next"] = first
            exits += sub_exits
            outs.append(out)
        # Always a Default: without one and no rule matching, AWS fails with States.NoChoiceMatched
        # (the ASL spec; asl-features.md 1.6), moto's interpreter with States.Runtime (a known
        # deviation of the interpreter, see test_choice_without_default_fails_no_choice_matched).
        if True:
            if self.coin(0.3):  # straight on to what follows the Choice
                state["Default"] = None
                exits.append((state, "Default"))
                outs.append(shape)
            else:
                first, sub_exits, out = self.sequence(states, shape, depth + 1, concurrent, self.ints(1, 2))
                state["Default"] = first
                exits += sub_exits
                outs.append(out)
        return name, exits, intersect(outs)

    def retry_and_catch(self, state: dict, states: dict, shape, depth: int, concurrent: bool, errors: list[str],
                        must_catch: bool):
        """Retry and Catch for a state that may fail with ``errors``: (open exits from catchers, shapes)."""
        if self.coin(0.6):
            retriers = []
            for _ in range(self.ints(1, 2)):
                matched = self.pick(["specific", "specific", "all", "taskfailed"])
                if matched == "specific":
                    equals = sorted(set(self.draw(st.lists(st.sampled_from(errors + ["OtherError"]), min_size=1, max_size=2))))
                elif matched == "taskfailed":
                    equals = ["States.TaskFailed"]
                else:
                    equals = ["States.ALL"]
                retrier = {"ErrorEquals": equals, "IntervalSeconds": 1, "MaxAttempts": self.ints(0, 3)}
                if self.coin(0.5):
                    retrier["BackoffRate"] = self.pick([1, 1.5, 2.0])
                retriers.append(retrier)
            # States.ALL must be alone and last
            alls = [r for r in retriers if r["ErrorEquals"] == ["States.ALL"]]
            state["Retry"] = [r for r in retriers if r["ErrorEquals"] != ["States.ALL"]] + alls[:1]
        exits: list = []
        outs: list = []
        if must_catch or self.coin(0.5):
            catchers = []
            kinds = ["all"] if must_catch else ["specific", "all", "taskfailed"]
            matched = [self.pick(kinds) for _ in range(1 if must_catch else self.ints(1, 2))]
            # States.ALL must be alone and last
            matched = [m for m in matched if m != "all"] + (["all"] if "all" in matched else [])
            for how in matched:
                if how == "specific":
                    equals = sorted(set(self.draw(st.lists(st.sampled_from(errors), min_size=1, max_size=2))))
                else:
                    equals = ["States.ALL" if how == "all" else "States.TaskFailed"]
                catcher: dict = {"ErrorEquals": equals}
                error_shape = obj(Error=STR, Cause=STR)
                where = self.pick(["$.err", "$.err", "$", "null"])
                if where == "null":
                    catcher["ResultPath"] = None
                    after = shape
                elif where == "$":
                    catcher["ResultPath"] = "$"
                    after = error_shape
                else:
                    catcher["ResultPath"] = where
                    after = put(shape, where, error_shape)
                if self.coin(0.5):
                    first, sub_exits, out = self.sequence(states, after, depth + 1, concurrent, self.ints(1, 2))
                    catcher["Next"] = first
                    exits += sub_exits
                else:
                    catcher["Next"] = None
                    exits.append((catcher, "Next"))
                    out = after
                outs.append(out)
                catchers.append(catcher)
            state["Catch"] = catchers
        return exits, outs

    def task(self, states, shape, depth, concurrent):
        name = self.name("Task")
        state: dict = {"Type": "Task"}
        states[name] = state
        effective = self.input_path(state, shape)
        options = ["total", "echo", "label", "sometimes"]
        if not concurrent:
            options.append("flaky")
        stub = self.pick(options)
        errors: list[str] = []
        if stub == "sometimes":
            error = self.pick(ERRORS)
            function = f"sometimes_{error}"
            self.lambdas[function] = PURE_STUBS[function]
            errors = [error]
        elif stub == "flaky":
            error = self.pick(ERRORS)
            function = f"flaky_{name}"
            flaky = Flaky(error, self.ints(1, 3))
            self.lambdas[function] = flaky
            self.flaky.append(flaky)
            errors = [error]
        else:
            function = stub
            self.lambdas[function] = PURE_STUBS[function]
        if self.coin(0.5):
            payload, payload_shape = self.template(effective) if self.coin(0.6) else ("$", effective)
        else:
            payload, payload_shape = None, effective
        if stub == "total":
            result = obj(total=INT)
        elif stub == "echo":
            result = obj(echo=payload_shape)
        elif stub == "label":
            result = STR
        elif stub == "sometimes":
            result = obj(ok=BOOL)
        else:
            result = obj(attempts=INT)
        if self.coin(0.5):
            state["Resource"] = function_arn(function)
            if payload is not None:
                state["Parameters"] = {"in.$": "$"} if payload == "$" else payload
                if payload == "$":
                    payload_shape = obj(**{"in": effective})
                    if stub == "echo":
                        result = obj(echo=payload_shape)
        else:
            state["Resource"] = LAMBDA_INVOKE
            params: dict = {"FunctionName": self.pick([function, function_arn(function)])}
            if payload == "$" or payload is None:
                params["Payload.$"] = "$"
            else:
                params["Payload"] = payload
            state["Parameters"] = params
            if self.coin(0.6):
                state["ResultSelector"] = {"value.$": "$.Payload", "code.$": "$.StatusCode"}
                result = obj(value=result, code=INT)
            else:
                result = obj(Payload=result, StatusCode=INT, ExecutedVersion=STR)
        return self.exits(name, state, states, shape, depth, concurrent, result, result[0] == "obj", errors)

    def parallel(self, states, shape, depth, concurrent):
        name = self.name("Parallel")
        state: dict = {"Type": "Parallel", "Branches": []}
        states[name] = state
        effective = self.input_path(state, shape)
        if self.coin(0.3):
            state["Parameters"], effective = self.template(effective)
        outs = []
        for _ in range(self.ints(1, 3)):
            branch, out = self.machine(effective, depth + 1, True, self.ints(1, 3))
            state["Branches"].append(branch)
            outs.append(out)
        if outs[0] is not None and self.coin(0.4):
            state["ResultSelector"] = {"first.$": "$[0]", "all.$": "$"}
            result = obj(first=outs[0], all=ANY)
        else:
            result = ANY
        return self.container_exits(name, state, states, shape, depth, concurrent, result, result[0] == "obj")

    def map(self, states, shape, depth, concurrent):
        arrays = [p for p, s in leaves(shape) if s[0] == "arr"]
        if not arrays:
            return self.pass_(states, shape, depth, concurrent)
        name = self.name("Map")
        path = self.pick(arrays)
        item = select(shape, path)[1]
        state: dict = {"Type": "Map", "ItemsPath": path}
        states[name] = state
        if item[0] != "obj" or self.coin(0.6):
            key = self.pick(["ItemSelector", "ItemSelector", "Parameters"])
            state[key] = {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}
            item = obj(value=item, index=INT)
            ints = self.paths_of(shape, "int")
            if ints and self.coin(0.5):
                state[key]["outer.$"] = self.pick(ints)
                item[1]["outer"] = INT
        if self.coin(0.5):
            state["MaxConcurrency"] = self.ints(0, 2)
        processor, out = self.machine(item, depth + 1, True, self.ints(1, 3))
        state["ItemProcessor" if self.coin(0.7) else "Iterator"] = processor
        result = ("arr", out if out is not None else ANY)
        return self.container_exits(name, state, states, shape, depth, concurrent, result, False)

    def container_exits(self, name, state, states, shape, depth, concurrent, result, result_is_object):
        """A Parallel or Map state's exits; a Retry/Catch when an inner state can fail."""
        errors = ["Inner"] if any(s.get("Type") == "Fail" for s in _all_states(state)) else []
        return self.exits(name, state, states, shape, depth, concurrent, result, result_is_object, errors)

    def exits(self, name, state, states, shape, depth, concurrent, result, result_is_object, errors):
        """A Task, Parallel or Map state's ResultPath, OutputPath and Next, and a Retry/Catch when
        it can fail with ``errors``: its name, its exits and the shape of its output."""
        out = self.result_path(state, shape, result, result_is_object)
        if out[0] != "obj":
            state["ResultPath"] = "$.r"
            out = put(shape, "$.r", result)
        out = self.output_path(state, out)
        state["Next"] = None
        exits = [(state, "Next")]
        outs = [out]
        if errors:
            catch_exits, catch_outs = self.retry_and_catch(state, states, shape, depth, concurrent, errors, concurrent)
            exits += catch_exits
            outs += catch_outs
        return name, exits, intersect(outs)


def _all_states(state: dict):
    for branch in state.get("Branches") or []:
        for inner in branch["States"].values():
            yield inner
            yield from _all_states(inner)
    for key in ("ItemProcessor", "Iterator"):
        if key in state:
            for inner in state[key]["States"].values():
                yield inner
                yield from _all_states(inner)


def select(shape, path: str):
    for part in path.split(".")[1:]:
        shape = shape[1][part]
    return shape


def put(shape, path: str, value):
    parts = path.split(".")[1:]
    if not parts:
        return value
    fields = dict(shape[1])
    head = parts[0]
    if len(parts) == 1:
        fields[head] = value
    else:
        fields[head] = put(fields.get(head, obj()), "$." + ".".join(parts[1:]), value)
    return ("obj", fields)


def shape_of(value: Any) -> tuple:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, str):
        return STR
    if isinstance(value, dict):
        return ("obj", {k: shape_of(v) for k, v in value.items()})
    return ANY


Gen.pass_.__name__ = "pass"
setattr(Gen, "pass", Gen.pass_)

ALL_KINDS = ("Pass", "Choice", "Wait", "Parallel", "Map", "Fail", "Succeed", "Task")


@st.composite
def machines(draw, kinds: tuple[str, ...] = ALL_KINDS, max_states: int = 10, length: int = 3):
    """(definition, input, lambdas, flaky stubs) of a random valid JSONPath machine: ``length``
    states at most one after the other at the top (more in Choice branches, catchers, Parallel
    branches and Map iterations), nesting stopped after about ``max_states`` states."""
    gen = Gen(draw, kinds, max_states)
    definition, _ = gen.machine(INPUT_SHAPE, 0, False, draw(st.integers(1, length)))
    return definition, draw(inputs()), gen.lambdas, gen.flaky


# --------------------------------------------------------------------------- running them

RUN: Counter = Counter()  # verdicts over this module's generated machines
RAN: Counter = Counter()  # machines run by each test
COULD_NOT_COMPARE: list[tuple[dict, str]] = []


def run_both(definition: dict, value: Any, lambdas: dict, flaky: list[Flaky]):
    """behaviour.check on one input, the flaky stubs' counters reset before each side."""

    def reset():
        for stub in flaky:
            stub.calls = 0

    original = behaviour._run_durable

    def durable(*args, **kwargs):
        reset()
        return original(*args, **kwargs)

    reset()
    with mock.patch.object(behaviour, "_run_durable", durable):
        [comparison] = check(definition, [value], lambdas=lambdas, timeout=20)
    return comparison


def differential(test: str, example) -> None:
    definition, value, lambdas, flaky = example
    comparison = run_both(definition, value, lambdas, flaky)
    RUN[comparison.verdict] += 1
    RAN[test] += 1
    if comparison.verdict == "could not compare":
        COULD_NOT_COMPARE.append((definition, comparison.reason))
        return
    assert comparison.verdict == "same", (
        json.dumps(definition, indent=1) + "\n" + report([comparison]) + "\n" + json.dumps(comparison.to_dict(), default=str)[:3000]
    )


@pytest.fixture(scope="module", autouse=True)
def botocore_files_read_once():
    """Each run on the interpreter starts moto afresh, which makes a new boto3 session, which
    reads botocore's endpoint and service files again (about 0.2 s each, several per run):
    while this module runs they are read once. (botocore does not change what it loaded, but
    for merging the same extras again, which changes nothing.)"""
    import botocore.loaders

    cache: dict = {}
    original = botocore.loaders.JSONFileLoader.load_file

    def load_file(self, file_path):
        if file_path not in cache:
            cache[file_path] = original(self, file_path)
        return cache[file_path]

    with mock.patch.object(botocore.loaders.JSONFileLoader, "load_file", load_file):
        yield


COMMON = {"derandomize": True, "deadline": None, "suppress_health_check": list(HealthCheck), "database": None}


@settings(max_examples=150, **COMMON)
@given(machines(kinds=("Pass", "Choice", "Wait", "Fail", "Succeed", "Task")))
def test_sequential_machines_behave_the_same(example):
    differential("test_sequential_machines_behave_the_same", example)


@settings(max_examples=150, **COMMON)
@given(machines(kinds=("Pass", "Task", "Task", "Choice", "Fail")))
def test_machines_handling_task_errors_behave_the_same(example):
    differential("test_machines_handling_task_errors_behave_the_same", example)


@settings(max_examples=120, **COMMON)
@given(machines(kinds=("Pass", "Parallel", "Map", "Choice", "Task", "Fail")))
def test_parallel_and_map_behave_the_same(example):
    differential("test_parallel_and_map_behave_the_same", example)


@settings(max_examples=120, **COMMON)
@given(machines())
def test_any_machines_behave_the_same(example):
    differential("test_any_machines_behave_the_same", example)


def test_enough_machines_ran_and_few_could_not_be_compared():
    generated = [name for name in globals() if name.startswith("test_") and name.endswith("_behave_the_same")]
    if set(RAN) != set(generated):
        return  # a partial run (-k): the figure is about whole runs of the file
    total_run = sum(RUN.values())
    assert total_run >= 500, RUN
    assert RUN["could not compare"] <= total_run // 50, COULD_NOT_COMPARE[:5]


# --------------------------------------------------------------------------- explicit cases
# Shrunk counterexamples of the differential test, with the result the ASL specification gives
# (not the translation's output).


def test_choice_without_default_fails_no_choice_matched():
    # moto's interpreter fails with States.Runtime here; the ASL spec: "If no Choice Rule matches
    # and the Default field is not specified, the interpreter raises States.NoChoiceMatched".
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.b", "NumericGreaterThan": 1, "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}}
    result = run_local(definition, {"b": 1})
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")
    assert run_local(definition, {"b": 2}).output == {"b": 2}
