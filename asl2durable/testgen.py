"""The test plan of a translated machine: the stubs and the test cases of ``test_handler.py``.

Read from the IR only. The plan has

* a stub per Lambda function, service API, task-token resource and Distributed Map
  ItemReader / ResultWriter the machine calls (``Stub``), keyed as ``asl_testing`` looks
  them up (a function name, a Task resource, ``ItemReader:<resource>``, ...);
* one test case per terminal path that a simple input reaches (``Case``): the execution
  input, the stub results and stub failures the path needs, and the outcome to assert
  (the status; the error name of a failure; the output; the request each stub gets, one
  per call, in ``asl_testing``'s order; parts nothing can know, such as a UUID, are ``ANY``);
* for each Task retrier, a stub failing every attempt with the names that retrier takes, in
  turn, so that the calls show MaxAttempts (and an error no retrier takes, called once);
* tests of single states (their functions in handler.py): states no path test enters, and
  Choice rules, Catch routes and retry failures no path test takes (``_state_cases``).

Paths are found by a bounded symbolic walk of the state graph. The execution input and each
stub's result are trees built on demand: a JSONPath read adds the member it reads (a hole,
filled at the end with a placeholder: the member's name), a Choice rule fixes a hole to a
value that makes it true or false (String*, Numeric*, Boolean*, Timestamp*, Is* and their
*Path forms, under And/Or/Not, keeping a few ways to make a rule false), and a Catch route is
reached by making the Task's stub fail with a name that catcher (and no earlier one)
matches. JSONata fields and intrinsic functions are evaluated with the real support modules
(``asl_jsonata``, ``asl_intrinsics``) on the data built so far, which is then frozen; plain
member paths (``$states.input.a.b``, ``$var.x``) are followed like JSONPath. Whatever cannot
be followed for certain (wildcards, filters, context-object values, a Map over many items,
an evaluation that fails) ends the walk of that path: it is not a test, and the Choice rules,
Catch routes and end states no test takes are listed at the end of the generated file.

A stub called several times in turn on a path answers each call from a tree of its own
(``asl_testing.answers``), so a polling loop can see "RUNNING" and then "DONE"; calls that may
run in any order (several Parallel branches or Map iterations) share one answer.

The search is bounded: a state is entered at most twice on one path (a loop's back edge is
taken once), a branch other than the first is followed only when it covers a new edge,
retries are followed up to ``MAX_ATTEMPTS`` attempts per test, ``MAX_VISITS`` states are
entered in all, and a machine gets at most ``MAX_TESTS`` tests of paths and ``MAX_STATE_TESTS``
of single states.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import ir
from ._resources import support_module
from .placeholders import PLACEHOLDER
from .runtime_subset import NotSeparable, subset

MAX_TESTS = 20
MAX_STATE_TESTS = 12  # tests of single states that no path test enters
MAX_VISITS = 3000  # states entered, over the whole search of one machine
MAX_ATTEMPTS = 12  # Task attempts (with retries) in one test: each costs ~0.1 s in the runner
MAX_ITEMS = 10  # Map iterations followed when the items are given by the definition
DYNAMIC_FUNCTION = "dynamic-function"  # the name given to a Lambda function read from the data
CATCH_ALL_ERROR = "TestError"  # the error a stub raises to reach a States.ALL / States.TaskFailed catcher


# --------------------------------------------------------------------------- the plan


@dataclass
class Stub:
    key: str  # what asl_testing looks up: a function name or a Task resource
    kind: str  # "lambda" | "service" | "job" | "callback" | "reader" | "writer"
    states: list[str]
    ident: str = ""
    default: Any = None


@dataclass
class Case:
    name: str
    path: list[str]  # the states and routes taken, for the test's docstring
    input: Any
    status: str  # "SUCCEEDED" | "FAILED"
    error: str | None = None
    results: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    output: Any = None
    check_output: bool = False
    # each stub key -> the requests its stub gets (ordered by JSON text, as asl_testing records
    # them); None: the walk does not know them for certain (a failure inside a Parallel or Map)
    calls: dict | None = None
    # a test of one state's function (``function`` in handler.py) rather than of the machine: the
    # state chooses its successor (``routed``: a Choice, a Catch) and goes to ``next_state``
    function: str | None = None
    routed: bool = False
    next_state: str | None = None


@dataclass
class Plan:
    stubs: list[Stub]
    cases: list[Case]
    untested: list[str]  # terminal states without a test
    routes: list[str]  # Choice rules and Catch routes without a test
    reasons: list[str]  # why walks stopped (distinct, capped)
    dynamic: list[str]  # Task states whose callee is only known at run time (no stub)
    uses_any: bool = False  # an expected value has parts no test can know (unittest.mock.ANY)


# --------------------------------------------------------------------------- symbolic values


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __deepcopy__(self, memo: dict) -> _Marker:
        return self


HOLE = _Marker("HOLE")  # a member that exists, value not chosen yet
ABSENT = _Marker("ABSENT")  # a member that must not exist
UNKNOWN = _Marker("UNKNOWN")  # a value the walk cannot know (UUIDs, the context object, ...)
ANYTHING = _Marker("ANY")  # an UNKNOWN part of an expected value: written ``ANY`` in the tests


@dataclass(frozen=True)
class Ref:
    """A place in a tree under construction: the execution input or a stub's result."""

    root: str
    path: tuple = ()

    def child(self, key: Any) -> Ref:
        return Ref(self.root, self.path + (key,))


@dataclass
class Merged:
    """An object from a tree (``base``) with members set by ResultPath (``fields``)."""

    base: Ref
    fields: dict


@dataclass(frozen=True)
class JsonOf:
    """A string member holding the JSON text of another tree (read with States.StringToJson)."""

    root: str


@dataclass
class Answers:
    """The answers of a stub called several times in turn (``asl_testing.answers``)."""

    values: list


class Stop(Exception):
    """This path cannot be followed for certain."""


@dataclass
class _Walk:
    """One path being followed (copied at each branch)."""

    trees: dict = field(default_factory=lambda: {"input": HOLE})
    outcomes: dict = field(default_factory=dict)  # stub key -> None (answers) | error name | names, one per call
    read: set = field(default_factory=set)  # stub results the path depends on
    frozen: set = field(default_factory=set)  # (root, path) subtrees fixed by an evaluation
    variables: dict = field(default_factory=dict)
    visits: dict = field(default_factory=dict)
    attempts: int = 0
    trail: list = field(default_factory=list)
    task_token: bool = False  # $$.Task.Token exists (the payload of a callback Task)
    calls: list = field(default_factory=list)  # (stub key, request) of each call, in order
    calls_exact: bool = True  # the calls are known for certain (not after a failed Parallel or Map)
    failing: tuple | None = None  # the error names of the attempts of the Task that just failed
    # stub key -> how many calls in turn had an answer of their own (tree "result:KEY", then
    # "result:KEY#2", ...); 0: one answer for every call (calls from concurrent branches)
    answers: dict = field(default_factory=dict)

    def fork(self) -> _Walk:
        """A deep copy (what ``copy.deepcopy`` gives, shared objects still shared): walks fork
        at every Choice and Task, so this is the test plan's inner loop. The trees and variables
        are copied by ``_copied``; the bookkeeping that grows with the path (visits, trail,
        outcomes, read, frozen) holds only immutable values, so a shallow copy is a deep one,
        and it is made in C (a Python-level copy made long machines' plans quadratic in time)."""
        memo: dict = {}
        return _Walk(
            trees=_copied(self.trees, memo),
            outcomes=dict(self.outcomes),  # stub key -> None | error name
            read=set(self.read),  # root names
            frozen=set(self.frozen),  # (root, path tuple)
            variables=_copied(self.variables, memo),
            visits=dict(self.visits),  # (machine, state) -> count
            attempts=self.attempts,
            trail=list(self.trail),  # state names and labels
            task_token=self.task_token,
            calls=list(self.calls),  # (stub key, request): requests are not changed once made
            calls_exact=self.calls_exact,
            failing=self.failing,
            answers=dict(self.answers),
        )


# Immutable values a deep copy may share: deepcopy gives these back or an equal copy.
_SHARED = frozenset({str, int, float, bool, type(None), bytes, _Marker, Ref, JsonOf})


def _copied(value: Any, memo: dict) -> Any:
    kind = type(value)
    if kind in _SHARED:
        return value
    found = memo.get(id(value))
    if found is not None:
        return found
    if kind is dict:
        out: Any = {}
        memo[id(value)] = out
        for k, v in value.items():
            out[k if type(k) in _SHARED else _copied(k, memo)] = _copied(v, memo)
        return out
    if kind is list:
        out = []
        memo[id(value)] = out
        out.extend(_copied(v, memo) for v in value)
        return out
    if kind is tuple:
        for v in value:
            if type(v) not in _SHARED:
                break
        else:
            return value
        items = tuple(_copied(v, memo) for v in value)
        out = value if all(a is b for a, b in zip(items, value)) else items
        memo[id(value)] = out
        return out
    if kind is set:
        out = {v if type(v) in _SHARED else _copied(v, memo) for v in value}
        memo[id(value)] = out
        return out
    if kind is Merged:
        out = Merged.__new__(Merged)
        memo[id(value)] = out
        out.base = _copied(value.base, memo)
        out.fields = _copied(value.fields, memo)
        return out
    return copy.deepcopy(value, memo)


@dataclass
class _Scope:
    """Where states run: the machine's context-object parts and the enclosing catchers."""

    item: Any = None  # $$.Map.Item.Value
    index: Any = None
    in_map: bool = False
    outer_errors: tuple = ()  # error names an enclosing Catch handles
    concurrent: bool = False  # in one of several Parallel branches or Map iterations


def _runtime_module(name: str) -> Any:
    return support_module(name)


# The helpers of asl_runtime the plan calls: pure functions in a module that imports the durable
# SDK and boto3 (which cost more than the rest of a ``convert``); compiled apart from it. And the
# stub key of a function name, asl_testing's (the generated tests' harness keys stubs by it).
RUNTIME_HELPERS = ("compare", "error_matches", "parse_timestamp")
TESTING_HELPERS = ("function_key",)


def _runtime_helpers() -> Any:
    return _helpers("asl_runtime", RUNTIME_HELPERS)


@functools.cache
def _helpers(module: str, names: tuple[str, ...]) -> Any:
    """``names`` of the support module ``module``, its own code (runtime_subset); the whole
    module when they cannot be compiled apart."""
    try:
        return subset(module, names)
    except NotSeparable:
        return _runtime_module(module)


# --------------------------------------------------------------------------- trees


def _frozen(w: _Walk, root: str, path: tuple) -> bool:
    return any(r == root and path[: len(p)] == p for r, p in w.frozen)


def _locate(w: _Walk, ref: Ref) -> tuple[Any, Any]:
    """The container and key of ``ref``'s node, creating members on the way (holes)."""
    if ref.root.startswith("result:"):
        w.read.add(ref.root)
    container, key = w.trees, ref.root
    for depth, step in enumerate(ref.path):
        node = container[key]
        if node is HOLE:
            if _frozen(w, ref.root, ref.path[:depth]):
                raise Stop("a path into a value fixed earlier")
            node = {} if isinstance(step, str) else []
            container[key] = node
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise Stop(f"a path reads {step!r} from a value that is not an object")
            if step not in node:
                if _frozen(w, ref.root, ref.path[:depth]):
                    raise Stop("a path into a value fixed earlier")
                node[step] = HOLE
            elif node[step] is ABSENT:
                raise Stop("a path reads a member that must be absent")
        else:
            if not isinstance(node, list) or step < 0:
                raise Stop("a path reads an index from a value that is not an array")
            while len(node) <= step:
                if _frozen(w, ref.root, ref.path[:depth]):
                    raise Stop("a path into a value fixed earlier")
                node.append(HOLE)
        container, key = node, step
    return container, key


def _node(w: _Walk, ref: Ref) -> Any:
    container, key = _locate(w, ref)
    return container[key]


def _set(w: _Walk, ref: Ref, value: Any) -> None:
    container, key = _locate(w, ref)
    container[key] = value


def _resolve(w: _Walk, value: Any) -> Any:
    """A Ref whose node is a scalar is that scalar; other values are kept."""
    if isinstance(value, Ref):
        node = _node(w, value)
        if node is HOLE or isinstance(node, (dict, list, JsonOf)):
            return value
        return node
    return value


def _step(w: _Walk, value: Any, step: Any) -> Any:
    value = _resolve(w, value)
    if isinstance(value, Ref):
        return _resolve(w, value.child(step))
    if isinstance(value, Merged):
        if isinstance(step, str) and step in value.fields:
            return value.fields[step]
        if not isinstance(step, str):
            raise Stop("a path reads an index from an object")
        return _step(w, value.base, step)
    if isinstance(step, str) and isinstance(value, dict):
        if step not in value:
            raise Stop(f"a path reads {step!r}, which the data does not have")
        return value[step]
    if isinstance(step, int) and isinstance(value, list):
        if not 0 <= step < len(value):
            raise Stop("a path reads an index past the end of an array")
        return value[step]
    raise Stop("a path reads from a value the walk does not know")


def _step_raw(w: _Walk, value: Any, step: Any) -> Any:
    """Like ``_step``, but a member of a tree stays a Ref (so that it can be fixed)."""
    base = _resolve(w, value)
    if isinstance(base, Ref):
        _node(w, base.child(step))
        return base.child(step)
    return _step(w, base, step)


def _simple_steps(steps: Any) -> list:
    out = []
    for step in steps:
        if step[0] == "key" or step[0] == "index":
            out.append(step[1])
        else:
            raise Stop(f"a path with {step[0]} steps")
    return out


_CONTEXT_LEAVES = {
    ("Execution", "Id"), ("Execution", "Name"), ("Execution", "RoleArn"), ("Execution", "StartTime"),
    ("Execution", "RedriveCount"), ("State", "Name"), ("State", "EnteredTime"), ("State", "RetryCount"),
    ("StateMachine", "Id"), ("StateMachine", "Name"), ("Task", "Token"),
}


def _read(w: _Walk, scope: _Scope, data: Any, spec: Any) -> Any:
    """The value at a JSONPath (root ``$``, ``$$`` or ``$variable``) with simple steps."""
    root, steps = spec[0], _simple_steps(spec[1])
    if root == "$":
        value = data
    elif root == "$$":
        head = tuple(steps[:2])
        if head == ("Execution", "Input"):
            value, steps = Ref("input"), steps[2:]
        elif tuple(steps[:3]) == ("Map", "Item", "Value") and scope.in_map:
            value, steps = scope.item, steps[3:]
        elif tuple(steps[:3]) == ("Map", "Item", "Index") and scope.in_map and len(steps) == 3:
            return scope.index
        elif head == ("Task", "Token") and not w.task_token:
            raise Stop("$$.Task.Token outside a callback Task")
        elif head in _CONTEXT_LEAVES and len(steps) == 2:
            return UNKNOWN
        else:
            raise Stop("a context-object path")
    else:
        name = root[1:]
        if name not in w.variables:
            raise Stop(f"variable ${name} is not known")
        value = w.variables[name]
    for step in steps:
        value = _step(w, value, step)
    return value


def _placeholder(path: tuple) -> Any:
    """The value of a member nothing constrains: its name (an array element: "item")."""
    if path and isinstance(path[-1], str) and path[-1]:
        return path[-1]
    return "item"


_NONE = object()


def _concrete(w: _Walk, value: Any, unknown: list | None = None, freeze: bool = False, filler: Any = None) -> Any:
    """Plain JSON for a value; holes become placeholders (fixed in the tree when ``freeze``).
    UNKNOWN parts are None, and make ``unknown`` non-empty."""

    def tree(node: Any, root: str, path: tuple) -> Any:
        if isinstance(node, JsonOf):
            return json.dumps(tree(w.trees[node.root], node.root, ()), separators=(",", ":"))
        if node is HOLE:
            return {} if path == () else _placeholder(path)  # a whole input or result: an object
        if isinstance(node, dict):
            return {k: tree(v, root, path + (k,)) for k, v in node.items() if v is not ABSENT}
        if isinstance(node, list):
            return [tree(v, root, path + (i,)) for i, v in enumerate(node)]
        return node

    def walk(v: Any) -> Any:
        if isinstance(v, Ref):
            if v.root.startswith("result:"):
                w.read.add(v.root)
            out = tree(_node(w, v), v.root, v.path)
            if freeze:
                _set(w, v, copy.deepcopy(out))
                w.frozen.add((v.root, v.path))
            return out
        if isinstance(v, Merged):
            base = walk(v.base)
            if not isinstance(base, dict):
                raise Stop("ResultPath into a value that is not an object")
            return {**base, **{k: walk(x) for k, x in v.fields.items()}}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if v is UNKNOWN:
            if unknown is not None:
                unknown.append(True)
            return filler
        return v

    return walk(value)


def _require_object(w: _Walk, value: Any) -> None:
    value = _resolve(w, value)
    if isinstance(value, Ref):
        if _node(w, value) is HOLE:
            if _frozen(w, value.root, value.path):
                raise Stop("a value fixed earlier")
            _set(w, value, {})
        elif not isinstance(_node(w, value), dict):
            raise Stop("ResultPath into a value that is not an object")
    elif not isinstance(value, (dict, Merged)):
        raise Stop("ResultPath into a value that is not an object")


def _set_path(w: _Walk, value: Any, steps: list, result: Any) -> Any:
    """ResultPath: ``value`` with ``result`` placed at ``steps``."""
    if not steps:
        return result
    key, rest = steps[0], steps[1:]
    if not isinstance(key, str):
        raise Stop("a ResultPath with an index")
    value = _resolve(w, value)
    _require_object(w, value)
    if isinstance(value, Ref):
        inner = _set_path(w, value.child(key), rest, result) if rest else result
        return Merged(value, {key: inner})
    if isinstance(value, Merged):
        current = value.fields[key] if key in value.fields else (value.base.child(key) if rest else None)
        return Merged(value.base, {**value.fields, key: _set_path(w, current, rest, result) if rest else result})
    current = value.get(key, {}) if rest else None
    return {**value, key: _set_path(w, current, rest, result) if rest else result}


# --------------------------------------------------------------------------- data flow


def _template(w: _Walk, scope: _Scope, data: Any, template: Any) -> Any:
    if isinstance(template, ir.Path):
        return _read(w, scope, data, template.spec)
    if isinstance(template, ir.Intrinsic):
        return _intrinsic(w, scope, data, template)
    if isinstance(template, dict):
        return {k: _template(w, scope, data, v) for k, v in template.items()}
    if isinstance(template, list):
        return [_template(w, scope, data, v) for v in template]
    return template


def _intrinsic(w: _Walk, scope: _Scope, data: Any, call: ir.Intrinsic) -> Any:
    """Evaluate an intrinsic with the real implementation; the values it reads are frozen."""
    intrinsics = _runtime_module("asl_intrinsics")
    spec = call.spec
    if spec[1] == "States.StringToJson" and len(spec[2]) == 1 and spec[2][0][0] == "path":
        text = _read(w, scope, data, spec[2][0][1])
        if _fixable(w, text):  # the text is the JSON of a new tree, built as it is read
            root = f"json:{len(w.trees)}"
            w.trees[root] = HOLE
            _set(w, text, JsonOf(root))
            return Ref(root)
        if isinstance(text, Ref) and isinstance(_node(w, text), JsonOf):
            return Ref(_node(w, text).root)
    unknown: list = []
    _prefill(w, scope, data, call.spec)

    def resolve(spec: Any) -> Any:
        return _concrete(w, _read(w, scope, data, spec), unknown, freeze=True)

    try:
        value = intrinsics.evaluate(call.spec, resolve)
    except Stop:
        raise
    except Exception as err:  # the call would fail at run time (or differ): not a simple path
        raise Stop(f"intrinsic {call.text} fails on the synthesized input ({type(err).__name__})") from None
    return UNKNOWN if unknown or call.nondeterministic else value


# A value for a hole that an intrinsic reads, by function and argument position ("*": any).
_INTRINSIC_ARGS = {
    "States.StringToJson": {0: "{}"},
    "States.MathAdd": {"*": 1},
    "States.MathRandom": {"*": 1},
    "States.ArrayLength": {0: []},
    "States.ArrayUnique": {0: []},
    "States.ArrayContains": {0: []},
    "States.ArrayGetItem": {0: ["item"], 1: 0},
    "States.ArrayRange": {"*": 1},
    "States.ArrayPartition": {0: [], 1: 1},
    "States.StringSplit": {0: "a,b", 1: ","},
    "States.Base64Decode": {0: ""},
    "States.Base64Encode": {0: "x"},
    "States.Hash": {0: "x", 1: "SHA-256"},
    "States.Format": {"*": "x"},
}


def _prefill(w: _Walk, scope: _Scope, data: Any, spec: Any) -> None:
    """Give the holes an intrinsic reads values of the types its function takes."""
    if not (isinstance(spec, list) and spec and spec[0] == "call"):
        return
    table = _INTRINSIC_ARGS.get(spec[1], {})
    for i, arg in enumerate(spec[2]):
        if arg[0] == "call":
            _prefill(w, scope, data, arg)
        elif arg[0] == "path":
            wanted = table.get(i, table.get("*"))
            try:
                value = _read(w, scope, data, arg[1])
            except Stop:
                continue
            if wanted is not None and _fixable(w, value):
                _set(w, value, copy.deepcopy(wanted))


_SIMPLE_JSONATA = re.compile(r"^\{%\s*\$(states\.(input|result|errorOutput)|(?!states\b)[A-Za-z_][A-Za-z0-9_]*)((\.[A-Za-z_][A-Za-z0-9_]*)*)\s*%\}$")
_MEMBER = re.compile(r"\$(states\.input|states\.result|[A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_VOLATILE = re.compile(r"\$(now|millis|uuid|random)\s*\(|\$states\.context")


def _expressions(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("{%") and value.rstrip().endswith("%}") else []
    if isinstance(value, dict):
        return [e for v in value.values() for e in _expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    return []


def _jsonata(w: _Walk, scope: _Scope, value: Any, field_name: str, bindings: dict, expect: str | None = None) -> Any:
    """A JSONata field. Plain member paths (``$states.input.a.b``, ``$var.x``) are followed like
    JSONPath; anything else is evaluated with ``asl_jsonata`` on the data built so far, frozen."""
    if isinstance(value, ir.Jsonata):
        value = value.value
    expressions = _expressions(value)
    if all(_SIMPLE_JSONATA.match(e) for e in expressions):
        if expect is None:
            return _simple_jsonata(w, value, bindings)
        if isinstance(value, str) and expect in _EXPECTED:
            got = _simple_jsonata(w, value, bindings)
            if _fixable(w, got):
                _set(w, got, copy.deepcopy(_EXPECTED[expect]))
            return got if expect == "array" and isinstance(_resolve(w, got), Ref) else _concrete_checked(w, got, expect)
    jsonata = _runtime_module("asl_jsonata")
    text = " ".join(expressions)
    for head, steps in _MEMBER.findall(text):  # members the expressions read: part of a simple input
        source = bindings.get(head.split(".", 1)[1], _NONE) if head.startswith("states.") else w.variables.get(head, _NONE)
        if source is _NONE:
            continue
        try:
            current = source
            for step in [x for x in steps.split(".") if x]:
                current = _step_raw(w, current, step)
            if _fixable(w, current):
                hint = _hint(text, head + steps)
                if hint is not None:
                    _set(w, current, hint)
            _concrete(w, current, freeze=True)  # what the expression saw stays so
        except Stop:
            pass
    for name, bound in bindings.items():  # a binding used whole is fixed whole
        if len(re.findall(r"\$states\." + name + r"\b", text)) > len(re.findall(r"\$states\." + name + r"\.[A-Za-z_]", text)):
            _concrete(w, bound, freeze=True)
    for name, bound in w.variables.items():
        if re.search(r"\$" + re.escape(name) + r"\b", text):
            _concrete(w, bound, freeze=True)
    if "$states.context" in text:
        _concrete(w, Ref("input"), freeze=True)
    unknown: list = []
    results = []
    for filler in (None, "\u2063"):  # UNKNOWN parts as two different values: the result must not depend on them
        states = {k: _concrete(w, v, unknown, filler=filler) for k, v in bindings.items()}
        variables = {k: _concrete(w, v, unknown, filler=filler) for k, v in w.variables.items()}
        states["context"] = {
            "Execution": {"Id": "", "Input": _concrete(w, Ref("input"), unknown, filler=filler), "Name": "", "RoleArn": "",
                          "StartTime": "2024-01-01T00:00:00.000Z", "RedriveCount": 0},
            "State": {"Name": ""},
            "StateMachine": {"Id": "", "Name": ""},
        }
        if scope.in_map:
            states["context"]["Map"] = {"Item": {"Index": scope.index, "Value": _concrete(w, scope.item, unknown, filler=filler)}}
        try:
            result = jsonata.evaluate_template(copy.deepcopy(value), {**variables, "states": states}, field=field_name)
            if expect is not None:
                jsonata.expect_type(result, expect, field=field_name, text=value)
        except Exception as err:  # the field would fail at run time (or differ): not a simple path
            raise Stop(f"a JSONata {field_name} fails on the synthesized input ({type(err).__name__})") from None
        results.append(result)
        if not unknown:
            break
    if len(results) > 1 and results[0] != results[1] or _VOLATILE.search(text):
        return UNKNOWN
    return results[0]


_EXPECTED = {"array": [HOLE], "integer": 1, "number": 1, "boolean": True, "string": "x"}


def _concrete_checked(w: _Walk, value: Any, expect: str) -> Any:
    got = _concrete(w, value, freeze=True)
    python_type = {"integer": int, "number": (int, float), "boolean": bool, "string": str, "array": list}[expect]
    if not isinstance(got, python_type) or (expect in ("integer", "number") and isinstance(got, bool)):
        raise Stop(f"a JSONata field that is not a{'n' if expect[0] in 'ai' else ''} {expect}")
    return got


def _hint(expression: str, member: str) -> Any:
    """A value for a member an expression reads, guessed from how it is used: aggregated
    (``$sum(x)``: an array of numbers) or in arithmetic/comparison with a number (a number)."""
    name = re.escape("$" + member)
    if re.search(r"\$(sum|max|min|average)\(\s*" + name + r"\s*\)", expression):
        return [1]
    if re.search(r"\$count\(\s*" + name + r"\s*\)", expression):
        return [HOLE]
    number = r"-?\d+(\.\d+)?"
    if re.search(name + r"(?![.\w])\s*([-+*/%<>]=?|!=|=)\s*" + number, expression) or re.search(number + r"\s*([-+*/%<>]=?|!=|=)\s*" + name + r"(?![.\w])", expression):
        return 1
    return None


def _simple_jsonata(w: _Walk, value: Any, bindings: dict) -> Any:
    if isinstance(value, dict):
        return {k: _simple_jsonata(w, v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_simple_jsonata(w, v, bindings) for v in value]
    if not isinstance(value, str):
        return value
    match = _SIMPLE_JSONATA.match(value)
    if not match:
        return value
    head, steps = match.group(1), [s for s in match.group(3).split(".") if s]
    if head.startswith("states."):
        name = head.split(".", 1)[1]
        if name not in bindings:
            raise Stop(f"$states.{name} is not available here")
        current = bindings[name]
    else:
        if head not in w.variables:
            raise Stop(f"variable ${head} is not known")
        current = w.variables[head]
    for step in steps:
        current = _step(w, current, step)
    return current


def _select(w: _Walk, scope: _Scope, data: Any, p: Any) -> Any:
    """InputPath / OutputPath (None: an empty object)."""
    if p is ir.DEFAULT:
        return data
    if p is None:
        return {}
    return _read(w, scope, data, p.spec)


def _result_path(w: _Walk, state_input: Any, result: Any, p: Any) -> Any:
    if p is ir.DEFAULT:
        return result
    if p is None:
        return state_input
    root, steps = p.spec
    if root != "$":
        raise Stop("a ResultPath that is not rooted at $")
    return _set_path(w, state_input, _simple_steps(steps), result)


def _integer(w: _Walk, scope: _Scope, data: Any, p: Any, default: int) -> int:
    value = _read(w, scope, data, p.spec)
    if isinstance(value, Ref) and _node(w, value) is HOLE and not _frozen(w, value.root, value.path):
        _set(w, value, default)
        return default
    value = _resolve(w, value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Stop("a number read from the data is not a small whole number")
    return value


def _number_field(w: _Walk, scope: _Scope, value: Any, field_name: str, bindings: dict) -> None:
    """A literal or JSONata number field: check it evaluates to a whole number (a literal
    ``"${Placeholder}"`` left in the definition fails at run time)."""
    if isinstance(value, ir.Jsonata):
        _jsonata(w, scope, value, field_name, bindings, expect="integer")
    elif value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Stop(f"{field_name} is not a whole number")


# --------------------------------------------------------------------------- Choice


def _candidates(operator: str, operand: Any) -> list:
    if operator.startswith("String"):
        if operator == "StringMatches":
            literal = re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*", "", operand))
            return [literal, literal + "x", "x" + literal, "", "~"]
        return [operand, operand + "z", "", "a", "~", operand[:-1]]
    if operator.startswith("Numeric"):
        return [operand, operand + 1, operand - 1, 0, operand + 0.5, operand - 0.5]
    if operator == "BooleanEquals":
        return [operand, not operand]
    if operator.startswith("Timestamp"):
        moment = _parse_time(operand)
        if moment is None:
            return []
        return [_iso(moment), _iso(moment + _dt.timedelta(days=1)), _iso(moment - _dt.timedelta(days=1))]
    return {
        "IsNull": [None, "x"],
        "IsNumeric": [1, "x"],
        "IsString": ["x", 1],
        "IsBoolean": [True, "x"],
        "IsTimestamp": ["2024-01-01T00:00:00Z", "x"],
    }.get(operator, [])


def _parse_time(text: Any) -> _dt.datetime | None:
    return _runtime_helpers().parse_timestamp(text)


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_OPERAND_PLACEHOLDER = {"String": "value", "Numeric": 1, "Boolean": True, "Timestamp": "2024-01-01T00:00:00Z"}


def _compare_value(w: _Walk, value: Any) -> Any:
    """The value a comparison sees, for a value that is not a hole."""
    value = _resolve(w, value)
    if isinstance(value, Ref) and isinstance(_node(w, value), JsonOf):
        raise Stop("a Choice tests a value the walk does not know")
    if isinstance(value, (Ref, Merged, dict)):
        return {}
    if isinstance(value, list):
        return []
    if value is UNKNOWN or isinstance(value, JsonOf):
        raise Stop("a Choice tests a value the walk does not know")
    return value


def _fixable(w: _Walk, value: Any) -> bool:
    return isinstance(value, Ref) and _node(w, value) is HOLE and not _frozen(w, value.root, value.path)


MAX_WAYS = 4  # the ways to satisfy one condition that the walk keeps


def _ways(w: _Walk, scope: _Scope, data: Any, condition: Any, want: bool) -> list[_Walk]:
    """Copies of ``w`` in which ``condition`` evaluates to ``want`` (up to MAX_WAYS of them:
    an And made false by its first, second, ... rule; an Or made true likewise)."""
    if isinstance(condition, ir.Combinator):
        rules = condition.rules
        if condition.kind == "Not":
            return _ways(w, scope, data, rules[0], not want)
        if (condition.kind == "And") == want:  # And→true / Or→false: every rule must give `want`
            ways = [w]
            for rule in rules:
                ways = [x for way in ways for x in _ways(way, scope, data, rule, want)][:MAX_WAYS]
            return ways
        out: list[_Walk] = []
        for i in range(len(rules)):  # short-circuit: rules before i give `not want`, rule i gives `want`
            ways = [w]
            for rule in rules[:i]:
                ways = [x for way in ways for x in _ways(way, scope, data, rule, not want)][:MAX_WAYS]
            out.extend(x for way in ways for x in _ways(way, scope, data, rules[i], want))
        return out[:MAX_WAYS]
    one = _solve(w, scope, data, condition, want)
    return [] if one is None else [one]


def _taking(w: _Walk, scope: _Scope, data: Any, rules: list, i: int) -> _Walk | None:
    """A way in which Choice rule ``i`` is true and the rules before it are false, fixing rule
    ``i``'s values first (so that "not COMPLETED" does not rule out "FAILED")."""
    for way in _ways(w, scope, data, rules[i].condition, True):
        ways = [way]
        for rule in rules[:i]:
            ways = [x for y in ways for x in _ways(y, scope, data, rule.condition, False)][:MAX_WAYS]
        if ways:
            return ways[0]
    return None


def _solve(w: _Walk, scope: _Scope, data: Any, condition: Any, want: bool) -> _Walk | None:
    """A copy of ``w`` in which ``condition`` evaluates to ``want`` (None: none found)."""
    compare = _runtime_helpers().compare
    w = w.fork()
    try:
        if isinstance(condition, ir.Combinator):
            ways = _ways(w, scope, data, condition, want)
            return ways[0] if ways else None
        if isinstance(condition, ir.Jsonata):
            return None  # handled by the caller (evaluated, not solved)
        operator, operand = condition.operator, condition.operand
        if operator == "IsPresent":
            return _solve_present(w, scope, data, condition.variable.spec, operand == want)
        value = _read(w, scope, data, condition.variable.spec)
        if operator.endswith("Path"):
            other = _read(w, scope, data, operand.spec)
            operator = operator[: -len("Path")]
            if _fixable(w, other):
                family = next((f for f in _OPERAND_PLACEHOLDER if operator.startswith(f)), "String")
                _set(w, other, _OPERAND_PLACEHOLDER[family])
            operand = _compare_value(w, other)
        if _fixable(w, value):
            for candidate in _candidates(operator, operand):
                try:
                    if compare(operator, candidate, operand) == want:
                        _set(w, value, candidate)
                        return w
                except (TypeError, ValueError):
                    continue
            return None
        return w if compare(operator, _compare_value(w, value), operand) == want else None
    except Stop:
        return None


def _solve_present(w: _Walk, scope: _Scope, data: Any, spec: Any, present: bool) -> _Walk | None:
    root, steps = spec[0], spec[1]
    if root != "$":
        return w if present == _safe_present(w, scope, data, spec) else None
    value: Any = data
    steps = _simple_steps(steps)
    for i, step in enumerate(steps):
        value = _resolve(w, value)
        if isinstance(value, Ref):
            node = _node(w, value)
            frozen = _frozen(w, value.root, value.path)
            if node is HOLE or (isinstance(node, dict) and isinstance(step, str) and step not in node):
                if frozen:
                    return None if present else w
                if present:
                    _read(w, scope, value, ("$", tuple(("key" if isinstance(s, str) else "index", s) for s in steps[i:])))
                    return w
                if not isinstance(step, str):
                    return None
                if node is HOLE:
                    _set(w, value, {})
                _set(w, value.child(step), ABSENT)
                return w
            if isinstance(node, dict) and node.get(step) is ABSENT:
                return None if present else w
            if not isinstance(node, (dict, list)):
                return None if present else w
            value = value.child(step)
            continue
        try:
            value = _step(w, value, step)
        except Stop:
            return None if present else w
    return w if present else None


def _safe_present(w: _Walk, scope: _Scope, data: Any, spec: Any) -> bool:
    _read(w, scope, data, spec)  # a context-object or variable path: present, or the walk stops
    return True


# --------------------------------------------------------------------------- the walk


class _Search:
    def __init__(self, workflow: ir.Workflow):
        self.workflow = workflow
        self.visits = 0
        self.edges: set = set()
        self.reasons: list[str] = []

    def note(self, state: str, err: Stop) -> None:
        reason = f"{state}: {err}"
        if reason not in self.reasons and len(self.reasons) < 12:
            self.reasons.append(reason)

    def new_edge(self, edge: tuple, first: bool) -> bool:
        if first or edge not in self.edges:
            self.edges.add(edge)
            return True
        return False

    # A machine run: yields (walk, ("succeeded", output, last_state) | ("failed", error, last_state)).
    def machine(self, machine: ir.Machine, w: _Walk, data: Any, scope: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        yield from self.run_from(machine, machine.start_at, w, data, scope)

    def run_from(self, machine: ir.Machine, name: str, w: _Walk, data: Any, scope: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        self.visits += 1
        if self.visits > MAX_VISITS:
            return
        key = (machine.ident, name)
        if w.visits.get(key, 0) >= 2:
            return
        w.visits[key] = w.visits.get(key, 0) + 1
        state = machine.states[name]
        start = len(w.trail)
        try:
            alternatives = list(self.state(state, w, data, scope))
        except Stop as err:
            self.note(name, err)
            return
        for w2, (kind, value, label) in alternatives:
            # before the states a Parallel or Map ran inside it
            w2.trail.insert(start, name + (f" ({label})" if label else ""))
            if kind == "next":
                nxt, output = value
                if nxt is None:
                    yield w2, ("succeeded", output, name)
                else:
                    yield from self.run_from(machine, nxt, w2, output, scope)
            else:
                yield w2, ("failed", value, name)

    def state(self, s: ir.State, w: _Walk, data: Any, scope: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        """The ways a state can end: ("next", (next or None, output), label) or ("error", name, label)."""
        if s.unsupported:
            raise Stop(f"not translated ({s.unsupported})")
        if isinstance(s, ir.PassState):
            yield w, ("next", (s.next, self.pass_output(s, w, data, scope)), "")
        elif isinstance(s, ir.ChoiceState):
            yield from self.choice(s, w, data, scope)
        elif isinstance(s, ir.WaitState):
            yield w, ("next", (s.next, self.wait(s, w, data, scope)), "")
        elif isinstance(s, ir.SucceedState):
            if s.jsonata:
                output = data if s.output is ir.DEFAULT else _jsonata(w, scope, s.output, "Output", {"input": data})
            else:
                output = _select(w, scope, _select(w, scope, data, s.input_path), s.output_path)
            yield w, ("next", (None, output), "")
        elif isinstance(s, ir.FailState):
            yield w, ("error", self.fail_name(s, w, data, scope), "")
        elif isinstance(s, (ir.TaskState, ir.ParallelState, ir.MapState)):
            yield from self.work(s, w, data, scope)
        else:
            raise Stop(f"a {type(s).__name__}")

    def finish(self, s: ir.State, w: _Walk, scope: _Scope, state_input: Any, output: Any, result: Any, assign_from: Any) -> Any:
        """Output (JSONata) or OutputPath, then Assign."""
        if s.jsonata:
            bindings = {"input": state_input}
            if result is not ir.DEFAULT:
                bindings["result"] = result
            if s.output is not ir.DEFAULT:
                output = _jsonata(w, scope, s.output, "Output", bindings)
            if s.assign is not ir.DEFAULT:
                w.variables.update(self.jsonata_assign(w, scope, s.assign, bindings))
            return output
        flow = getattr(s, "flow", None)
        output_path = flow.output_path if flow is not None else getattr(s, "output_path", ir.DEFAULT)
        output = _select(w, scope, output, output_path)
        if s.assign is not ir.DEFAULT:
            w.variables.update(self.assigned(_template(w, scope, assign_from, s.assign)))
        return output

    def jsonata_assign(self, w: _Walk, scope: _Scope, assign: Any, bindings: dict) -> dict:
        """A JSONata Assign, one variable at a time (a variable may be UNKNOWN)."""
        spec = assign.value if isinstance(assign, ir.Jsonata) else assign
        if isinstance(spec, dict):
            return {k: _jsonata(w, scope, v, "Assign", bindings) for k, v in spec.items()}
        return self.assigned(_jsonata(w, scope, assign, "Assign", bindings))

    @staticmethod
    def assigned(values: Any) -> dict:
        if values is UNKNOWN:
            raise Stop("variables the walk cannot know")
        if not isinstance(values, dict):
            raise Stop("an Assign that is not an object")
        return values

    def pass_output(self, s: ir.PassState, w: _Walk, data: Any, scope: _Scope) -> Any:
        if s.jsonata:
            return self.finish(s, w, scope, data, data, ir.DEFAULT, None)
        selected = _select(w, scope, data, s.flow.input_path)
        if s.result is not ir.DEFAULT:
            result = copy.deepcopy(s.result)
        elif s.flow.parameters is not ir.DEFAULT:
            result = _template(w, scope, selected, s.flow.parameters)
        else:
            result = selected
        output = _result_path(w, data, result, s.flow.result_path)
        return self.finish(s, w, scope, data, output, result, result)

    def wait(self, s: ir.WaitState, w: _Walk, data: Any, scope: _Scope) -> Any:
        if s.jsonata:
            selected = data
            for value, name, expect in ((s.seconds, "Seconds", "integer"), (s.timestamp, "Timestamp", "string")):
                if isinstance(value, ir.Jsonata):
                    got = _jsonata(w, scope, value, name, {"input": data}, expect=expect)
                    if name == "Timestamp" and _parse_time(got) is None:
                        raise Stop("a Timestamp that is not a timestamp")
        else:
            selected = _select(w, scope, data, s.input_path)
            _number_field(w, scope, s.seconds, "Seconds", {})
            if isinstance(s.timestamp, str) and _parse_time(s.timestamp) is None:
                raise Stop("a Timestamp that is not a timestamp")
            if s.seconds_path is not None:
                _integer(w, scope, selected, s.seconds_path, 1)
            if s.timestamp_path is not None:
                value = _read(w, scope, selected, s.timestamp_path.spec)
                if _fixable(w, value):
                    _set(w, value, "2024-01-01T00:00:00Z")
                elif _parse_time(_compare_value(w, value)) is None:
                    raise Stop("a TimestampPath that does not read a timestamp")
        return self.finish(s, w, scope, data, selected, selected, selected)

    def fail_name(self, s: ir.FailState, w: _Walk, data: Any, scope: _Scope) -> str | None:
        names = []
        for value, p, field_name, placeholder in ((s.error, s.error_path, "Error", "CustomError"), (s.cause, s.cause_path, "Cause", "cause")):
            if isinstance(p, ir.Path):
                got = _read(w, scope, data, p.spec)
                if _fixable(w, got):
                    _set(w, got, placeholder)
                    got = placeholder
                got = _resolve(w, got)
                if got is UNKNOWN and field_name == "Cause":
                    got = ""  # a caught error's Cause, say: a string, not asserted
                if not isinstance(got, str):
                    raise Stop(f"{field_name}Path does not read a string")
                names.append(got)
            elif isinstance(p, ir.Intrinsic):
                got = _intrinsic(w, scope, data, p)
                if got is UNKNOWN and field_name == "Cause":
                    got = ""
                if not isinstance(got, str):
                    raise Stop(f"{field_name}Path is not a known string")
                names.append(got)
            elif isinstance(value, ir.Jsonata):
                got = _jsonata(w, scope, value, field_name, {"input": data}, expect="string")
                if got is UNKNOWN and field_name == "Cause":
                    got = ""
                if not isinstance(got, str):
                    raise Stop(f"{field_name} is not a known string")
                names.append(got)
            else:
                names.append(value)
        return names[0]

    def choice(self, s: ir.ChoiceState, w: _Walk, data: Any, scope: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        if s.jsonata:
            # JSONata conditions are evaluated on the data as built so far: one way through
            for i, rule in enumerate(s.rules):
                if _jsonata(w, scope, rule.condition, "Condition", {"input": data}, expect="boolean") is True:
                    yield w, ("next", (rule.next, self.choice_output(s, w, scope, data, rule.output, rule.assign)), f"rule {i + 1}")
                    return
            if s.default is None:
                yield w, ("error", "States.NoChoiceMatched", "no rule matched")
            else:
                yield w, ("next", (s.default, self.choice_output(s, w, scope, data, s.output, s.assign)), "default")
            return
        selected = _select(w, scope, data, s.input_path)
        output = _select(w, scope, selected, s.output_path)
        first = True
        currents = [w]  # the ways in which the rules so far are all false
        for i, rule in enumerate(s.rules):
            if not currents:
                return
            taken = _taking(w, scope, selected, s.rules, i) or next(
                (x for c in currents for x in _ways(c, scope, selected, rule.condition, True)), None
            )
            if taken is not None and self.new_edge(("rule", s.name, i), first):
                first = False
                try:
                    if rule.assign is not ir.DEFAULT:
                        taken.variables.update(self.assigned(_template(taken, scope, selected, rule.assign)))
                    yield taken, ("next", (rule.next, output), f"rule {i + 1}")
                except Stop as err:
                    self.note(s.name, err)
            currents = [x for c in currents for x in _ways(c, scope, selected, rule.condition, False)][:MAX_WAYS]
        if not currents or not self.new_edge(("default", s.name), first):
            return
        current = currents[0]
        if s.default is None:
            yield current, ("error", "States.NoChoiceMatched", "no rule matched")
            return
        try:
            if s.assign is not ir.DEFAULT:
                current.variables.update(self.assigned(_template(current, scope, selected, s.assign)))
            yield current, ("next", (s.default, output), "default")
        except Stop as err:
            self.note(s.name, err)

    def choice_output(self, s: ir.ChoiceState, w: _Walk, scope: _Scope, data: Any, output: Any, assign: Any) -> Any:
        result = data
        if output is not ir.DEFAULT:
            result = _jsonata(w, scope, output, "Output", {"input": data})
        if assign is not ir.DEFAULT:
            w.variables.update(self.jsonata_assign(w, scope, assign, {"input": data}))
        return result

    # ---- Task, Parallel, Map: the work, then retries, Catch and the data flow after it

    def work(self, s: Any, w: _Walk, data: Any, scope: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        selected = data if s.jsonata else _select(w, scope, data, s.flow.input_path)
        handled = tuple(self.catch_errors(s.catch)) + scope.outer_errors
        inner = _Scope(scope.item, scope.index, scope.in_map, handled, scope.concurrent)
        first = True
        for w2, (kind, value) in self.attempt(s, w, data, selected, scope, inner):
            if kind == "error":
                attempts, name = _attempts(s.retry, w2.failing or (value,))
                w2.failing = None
                w2.attempts += attempts - 1
                if attempts > 1:
                    if isinstance(s, ir.TaskState) and w2.calls:
                        w2.calls.extend([w2.calls[-1]] * (attempts - 1))  # each attempt calls again
                    else:
                        w2.calls_exact = False  # a retried Parallel or Map runs its states again
                if w2.attempts > MAX_ATTEMPTS:
                    self.note(s.name, Stop("too many retries to follow"))
                    continue
                catcher = next((c for c in s.catch if _matches(name, c.error_equals)), None)
                if catcher is None:
                    tries = f" after {attempts} attempts" if attempts > 1 else ", not retried" if s.retry else ""
                    yield w2, ("error", name, f"fails with {name}{tries}")
                    continue
                if not self.new_edge(("catch", s.name, catcher.next, name), False):
                    continue
                try:
                    yield w2, ("next", (catcher.next, self.caught(s, w2, scope, data, catcher, name)), f"caught {name}")
                except Stop as err:
                    self.note(s.name, err)
                continue
            if not self.new_edge(("ok", s.name), first):
                continue
            first = False
            try:
                yield w2, ("next", (s.next, self.after(s, w2, scope, data, value)), "")
            except Stop as err:
                self.note(s.name, err)

    @staticmethod
    def catch_errors(catchers: list) -> Iterator[str]:
        """An error name for each catcher that a stub can raise to reach it."""
        for i in range(len(catchers)):
            name = _catch_name(catchers, i)
            if name is not None:
                yield name

    def caught(self, s: Any, w: _Walk, scope: _Scope, state_input: Any, catcher: ir.Catcher, name: str) -> Any:
        error_output = {"Error": name, "Cause": UNKNOWN}
        if s.jsonata:
            output = error_output
            bindings = {"input": state_input, "errorOutput": error_output}
            if catcher.output is not ir.DEFAULT:
                output = _jsonata(w, scope, catcher.output, "Output", bindings)
            if catcher.assign is not ir.DEFAULT:
                w.variables.update(self.jsonata_assign(w, scope, catcher.assign, bindings))
            return output
        if catcher.result_path is ir.DEFAULT:
            output: Any = error_output
        else:
            output = _result_path(w, state_input, error_output, catcher.result_path)
        if catcher.assign is not ir.DEFAULT:
            w.variables.update(self.assigned(_template(w, scope, error_output, catcher.assign)))
        return output

    def after(self, s: Any, w: _Walk, scope: _Scope, state_input: Any, result: Any) -> Any:
        if s.jsonata:
            return self.finish(s, w, scope, state_input, result, result, None)
        if s.flow.result_selector is not ir.DEFAULT:
            result = _template(w, scope, result, s.flow.result_selector)
        output = _result_path(w, state_input, result, s.flow.result_path)
        return self.finish(s, w, scope, state_input, output, result, result)

    def payload(self, s: Any, w: _Walk, scope: _Scope, state_input: Any, selected: Any) -> Any:
        if s.jsonata:
            if s.arguments is ir.DEFAULT:
                return state_input
            return _jsonata(w, scope, s.arguments, "Arguments", {"input": state_input})
        if s.flow.parameters is not ir.DEFAULT:
            return _template(w, scope, selected, s.flow.parameters)
        return selected

    def attempt(self, s: Any, w: _Walk, state_input: Any, selected: Any, scope: _Scope, inner: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        """The work of one Task/Parallel/Map: ("ok", result) or ("error", name)."""
        if isinstance(s, ir.TaskState):
            yield from self.task(s, w, state_input, selected, scope, inner)
        elif isinstance(s, ir.ParallelState):
            branch_input = self.payload(s, w, scope, state_input, selected)
            branch = dataclasses.replace(inner, concurrent=inner.concurrent or len(s.branches) > 1)
            yield from self.branches(s.branches, w, [branch_input] * len(s.branches), [branch] * len(s.branches), [])
        else:
            yield from self.map(s, w, state_input, selected, scope, inner)

    def task(self, s: ir.TaskState, w: _Walk, state_input: Any, selected: Any, scope: _Scope, inner: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        bindings = {"input": state_input}
        for value, p, field_name in (
            (s.timeout_seconds, s.timeout_seconds_path, "TimeoutSeconds"),
            (s.heartbeat_seconds, s.heartbeat_seconds_path, "HeartbeatSeconds"),
        ):
            if p is not None:
                _integer(w, scope, selected, p, 60)
            _number_field(w, scope, value, field_name, bindings)
        call = s.call
        w.task_token = isinstance(call, ir.ServiceCall) and call.pattern == "callback"
        try:
            payload = self.payload(s, w, scope, state_input, selected)
        finally:
            w.task_token = False
        if isinstance(call, ir.LambdaCall) and call.envelope or isinstance(call, ir.ServiceCall) and call.kind == "lambda":
            # lambda:invoke sends a string Payload as is: Lambda takes only JSON, so make it an object
            body = _resolve(w, payload)
            sent = body.get("Payload") if isinstance(body, dict) else _step(w, body, "Payload") if isinstance(body, (Ref, Merged)) else None
            if _fixable(w, sent):
                _set(w, sent, {})
            elif isinstance(_resolve(w, sent), str):
                raise Stop("a Lambda payload that is a string (not JSON)")
        key = stub_key(s)
        if key is None and isinstance(call, ir.LambdaCall) and call.envelope:
            # FunctionName from the data: the walk names it DYNAMIC_FUNCTION, which has a stub
            body = _resolve(w, payload)
            name = body.get("FunctionName") if isinstance(body, dict) else _step(w, body, "FunctionName") if isinstance(body, (Ref, Merged)) else None
            if _fixable(w, name):
                _set(w, name, DYNAMIC_FUNCTION)
                name = DYNAMIC_FUNCTION
            name = _resolve(w, name)
            if name is not None and isinstance(name, str) and _function_key(name) == DYNAMIC_FUNCTION:
                key = DYNAMIC_FUNCTION
        if key is None:
            raise Stop("the function is only known at run time")
        if isinstance(call, ir.ServiceCall) and call.kind == "lambda" and _resolve(w, payload) is UNKNOWN:
            raise Stop("a payload the walk does not know")
        result_ref = Ref(_answer_root(w, key, inner.concurrent))
        if result_ref.root not in w.trees:
            w.trees[result_ref.root] = HOLE
        if isinstance(call, ir.LambdaCall) and call.envelope:
            result: Any = {"ExecutedVersion": "$LATEST", "Payload": result_ref, "SdkHttpMetadata": UNKNOWN,
                           "SdkResponseMetadata": UNKNOWN, "StatusCode": 200}
        else:
            result = result_ref
        w.calls.append((key, _request(w, call, payload)))
        if key in w.outcomes:
            fixed = w.outcomes[key]
            yield w, (("ok", result) if fixed is None else ("error", fixed if isinstance(fixed, str) else fixed[-1]))
            return
        ok = w.fork()
        ok.outcomes[key] = None
        yield ok, ("ok", result)
        for names in dict.fromkeys([*((name,) for name in inner.outer_errors), *_retry_failures(s.retry)]):
            failing = w.fork()
            failing.outcomes[key] = names[0] if len(names) == 1 else names
            failing.failing = names
            yield failing, ("error", names[-1])

    def branches(self, machines: list, w: _Walk, inputs: list, scopes: list, outputs: list) -> Iterator[tuple[_Walk, tuple]]:
        """Run sub-machines one after the other: each takes its first successful way (or fails)."""
        if not machines:
            yield w, ("ok", outputs)
            return
        successes = failures = 0
        for w2, (status, value, _last) in self.machine(machines[0], w.fork(), inputs[0], scopes[0]):
            if status == "succeeded":
                if successes:
                    continue
                successes += 1
                yield from self.branches(machines[1:], w2, inputs[1:], scopes[1:], outputs + [value])
            elif failures < 4:
                failures += 1
                if len(machines) + len(outputs) > 1:
                    w2.calls_exact = False  # the other branches (iterations) may have run, or not
                yield w2, ("error", value)

    def map(self, s: ir.MapState, w: _Walk, state_input: Any, selected: Any, scope: _Scope, inner: _Scope) -> Iterator[tuple[_Walk, tuple]]:
        writer = writer_key(s)
        if s.result_writer is not ir.DEFAULT and writer is None:
            raise Stop("a ResultWriter without a literal Resource")
        if s.processor is None:
            raise Stop("a Map without a processor")
        bindings = {"input": state_input}
        for value, p in ((s.max_concurrency, s.max_concurrency_path), (s.tolerated_failure_count, s.tolerated_failure_count_path)):
            if p is not None:
                _integer(w, scope, selected, p, 1)
            _number_field(w, scope, value, "MaxConcurrency", bindings)
        if s.tolerated_failure_percentage_path is not None:
            _integer(w, scope, selected, s.tolerated_failure_percentage_path, 0)
        tolerant = s.tolerated_failure_count is not None or s.tolerated_failure_percentage is not None or s.tolerated_failure_count_path or s.tolerated_failure_percentage_path
        reader = reader_key(s)
        if s.item_reader is not ir.DEFAULT:
            if reader is None:
                raise Stop("an ItemReader whose resource is only known at run time")
            # the reader's Parameters must evaluate; the stub answers with the items
            self.io_spec(s, s.item_reader, "ItemReader", w, scope, selected, bindings)
            w.calls.append((reader, UNKNOWN))
            items = Ref("result:" + reader)
            if items.root not in w.trees:
                w.trees[items.root] = HOLE
        elif isinstance(s.items, ir.Jsonata):
            items = _jsonata(w, scope, s.items, "Items", bindings, expect="array")
        elif s.items_path is not ir.DEFAULT:
            items = _read(w, scope, selected, s.items_path.spec)
        else:
            items = selected
        items = _resolve(w, items)
        if isinstance(items, Ref):
            node = _node(w, items)
            if node is HOLE and not _frozen(w, items.root, items.path):
                _set(w, items, [HOLE])
                node = [HOLE]
            if not isinstance(node, list):
                raise Stop("Map items that are not an array")
            values = [items.child(i) for i in range(len(node))]
        elif isinstance(items, list):
            values = items
        else:
            raise Stop("Map items the walk does not know")
        if len(values) > MAX_ITEMS:
            raise Stop("a Map over more items than the walk follows")
        if s.item_batcher is not ir.DEFAULT:
            batcher = self.io_spec(s, s.item_batcher, "ItemBatcher", w, scope, selected, bindings)
            if not isinstance(batcher, dict):
                raise Stop("an ItemBatcher the walk does not know")
            size = batcher.get("MaxItemsPerBatch", len(values) or 1)
            if not isinstance(size, int) or isinstance(size, bool) or size < 1 or (len(values) > 1 and "MaxInputBytesPerBatch" in batcher):
                raise Stop("an ItemBatcher the walk does not follow")
            envelope = {"BatchInput": batcher["BatchInput"]} if "BatchInput" in batcher else {}
            values = [{**envelope, "Items": values[i:i + size]} for i in range(0, len(values), size)]
        inputs, scopes = [], []
        for i, item in enumerate(values):
            item_scope = _Scope(item, i, True, () if tolerant else inner.outer_errors, inner.concurrent or len(values) > 1)
            if isinstance(s.item_selector, ir.Jsonata):
                value = _jsonata(w, item_scope, s.item_selector, "ItemSelector", bindings)
            elif s.item_selector is not ir.DEFAULT:
                value = _template(w, item_scope, selected, s.item_selector)
            else:
                value = item
            inputs.append(value)
            scopes.append(item_scope)
        for w2, outcome in self.branches([s.processor] * len(values), w, inputs, scopes, []):
            if outcome[0] == "error" and tolerant:
                continue  # the tolerated-failure threshold decides: not followed
            if outcome[0] == "ok" and writer is not None:
                self.io_spec(s, s.result_writer, "ResultWriter", w2, scope, selected, bindings)
                w2.calls.append((writer, UNKNOWN))
                root = "result:" + writer
                w2.trees.setdefault(root, HOLE)
                outcome = ("ok", Ref(root))  # the writer's stub answers with the Map's result
            yield w2, outcome

    def io_spec(self, s: ir.MapState, spec: Any, field_name: str, w: _Walk, scope: _Scope, selected: Any, bindings: dict) -> Any:
        """An ItemReader / ItemBatcher / ResultWriter evaluated (``*Path`` fields read as integers)."""
        if isinstance(spec, ir.Jsonata):
            return _jsonata(w, scope, spec, field_name, bindings)
        defaults = {"MaxInputBytesPerBatchPath": 100_000}

        def evaluate(node: Any) -> Any:
            if isinstance(node, dict):
                out = {}
                for key, value in node.items():
                    if key.endswith("Path") and isinstance(value, ir.Path):
                        out[key[: -len("Path")]] = _integer(w, scope, selected, value, defaults.get(key, 1))
                    else:
                        out[key] = evaluate(value)
                return out
            if isinstance(node, list):
                return [evaluate(v) for v in node]
            return _template(w, scope, selected, node)

        return evaluate(spec)


def _answer_root(w: _Walk, key: str, concurrent: bool) -> str:
    """The tree of the answer to this call of stub ``key``: calls in turn each have their own
    (a polling loop sees "RUNNING", then "DONE"); calls that may run in any order share one."""
    made = w.answers.get(key)
    if made is None:
        w.answers[key] = 0 if concurrent else 1
        return "result:" + key
    if made == 0 or concurrent:
        if made > 1:
            raise Stop("a stub called in turn, then from concurrent branches")
        w.answers[key] = 0
        return "result:" + key
    w.answers[key] = made + 1
    return f"result:{key}#{made + 1}"


def _request(w: _Walk, call: Any, payload: Any) -> Any:
    """What the stub gets: the payload, or its ``Payload`` member for ``lambda:invoke``."""
    if isinstance(call, ir.LambdaCall) and call.envelope:
        body = _resolve(w, payload)
        if isinstance(body, dict):
            return body.get("Payload", {})  # no Payload: the function's event is {}
        try:
            return _step(w, body, "Payload")
        except Stop:
            return UNKNOWN
    if isinstance(call, ir.ServiceCall) and call.kind == "activity":  # what a worker gets from GetActivityTask
        return {"taskToken": UNKNOWN, "input": payload}
    return payload


_WILDCARDS = ("States.ALL", "States.TaskFailed")


def _retry_failures(retriers: list) -> list[tuple]:
    """For each retrier, the errors of a stub that fails every attempt with the names that
    retrier takes (and no earlier one), in turn: the test shows that each name is retried and
    that the stub is called 1 + MaxAttempts times; and, when the retriers do not take every
    error, an error they do not match (called once: not retried)."""
    out = []
    for i, retrier in enumerate(retriers):
        names = [n for n in retrier.error_equals if n not in _WILDCARDS and not any(_matches(n, r.error_equals) for r in retriers[:i])]
        if not names:
            name = _catch_name(retriers, i)
            if name is None:
                continue
            names = [name]
        tries = 1 + retrier.max_attempts
        out.append(tuple(names[k % len(names)] for k in range(tries)) if len(names) > 1 and tries <= MAX_ATTEMPTS else (names[0],))
    if retriers and not any(_matches(CATCH_ALL_ERROR, r.error_equals) for r in retriers):
        out.append((CATCH_ALL_ERROR,))
    return out


def _attempts(retriers: list, names: tuple) -> tuple[int, str]:
    """How many attempts a state makes when attempt k fails with ``names[k]`` (the last name
    repeating), and the error it then fails with, as its Retry decides (a retrier's MaxAttempts
    counts the retries it made)."""
    made = [0] * len(retriers)
    attempt = 0
    while True:
        name = names[min(attempt, len(names) - 1)]
        i = next((j for j, r in enumerate(retriers) if _matches(name, r.error_equals)), None)
        if i is None or made[i] >= retriers[i].max_attempts:
            return attempt + 1, name
        if attempt >= len(names) - 1:  # the same name from here on: the rest of its retries at once
            return attempt + 1 + retriers[i].max_attempts - made[i], name
        made[i] += 1
        attempt += 1


def _catch_name(catchers: list, i: int) -> str | None:
    """The error a stub raises to reach catcher ``i`` (None: earlier catchers take every name)."""
    catcher = catchers[i]
    options = [n for n in catcher.error_equals if n not in ("States.ALL", "States.TaskFailed", "States.Runtime")]
    for name in [*options, CATCH_ALL_ERROR]:
        if _matches(name, catcher.error_equals) and not any(_matches(name, c.error_equals) for c in catchers[:i]):
            return name
    return None


def _untested_routes(workflow: ir.Workflow, cases: list[Case]) -> list[str]:
    """Choice rules, Defaults and Catch routes that no test takes."""
    taken = {step for case in cases for step in case.path}
    out = []
    for s in workflow.states():
        if isinstance(s, ir.ChoiceState):
            for i, rule in enumerate(s.rules):
                if f"{s.name} (rule {i + 1})" not in taken:
                    out.append(f"{s.name}: rule {i + 1} -> {rule.next}")
            if s.default is not None and f"{s.name} (default)" not in taken:
                out.append(f"{s.name}: Default -> {s.default}")
        for i, catcher in enumerate(getattr(s, "catch", None) or []):
            name = _catch_name(s.catch, i)
            if name is None or f"{s.name} (caught {name})" not in taken:
                out.append(f"{s.name}: Catch {list(catcher.error_equals)} -> {catcher.next}")
    return out


def _matches(name: str, error_equals: Any) -> bool:
    return _runtime_helpers().error_matches(name, list(error_equals))


# --------------------------------------------------------------------------- stubs


def stub_key(s: ir.TaskState) -> str | None:
    """The key ``asl_testing`` looks the Task's stub up by (None: known only at run time)."""
    call = s.call
    if isinstance(call, ir.LambdaCall):
        return _function_key(call.function) if call.function else None
    if isinstance(call, ir.ServiceCall):
        if call.pattern == "callback":
            return call.resource
        if call.pattern in ("sync", "sync:2"):
            return call.resource
        return call.base
    return None


def reader_key(s: ir.MapState) -> str | None:
    """The stub key of a Distributed Map's ItemReader (None: no reader, or not a literal resource)."""
    return _io_key(s.item_reader, "ItemReader")


def writer_key(s: ir.MapState) -> str | None:
    """The stub key of a Distributed Map's ResultWriter (None: none, or no literal Resource)."""
    return _io_key(s.result_writer, "ResultWriter")


def _io_key(field: Any, kind: str) -> str | None:
    if field is ir.DEFAULT:
        return None
    spec = field.value if isinstance(field, ir.Jsonata) else field
    resource = spec.get("Resource") if isinstance(spec, dict) else None
    if not isinstance(resource, str) or resource.startswith("{%"):
        return None
    return f"{kind}:{resource}"


def _function_key(name: str) -> str:
    return _helpers("asl_testing", TESTING_HELPERS).function_key(name)


def stub_kind(s: ir.TaskState) -> str:
    call = s.call
    if isinstance(call, ir.LambdaCall):
        return "lambda"
    if call.pattern == "callback":
        return "callback"
    return "job" if call.pattern in ("sync", "sync:2") else "service"


def _identifier(text: str, taken: set, prefix: str, length: int = 48) -> str:
    base = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:length].strip("_") or prefix
    if not base.isascii() or not base.isidentifier() or base[0].isdigit():
        base = f"{prefix}_{base}" if base and base.isascii() else prefix
    if not base.isidentifier():
        base = prefix
    candidate, n = base, 2
    while candidate in taken or __import__("keyword").iskeyword(candidate):
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _short(key: str) -> str:
    """A readable name for a stub key: the function name, or the integration's service and action."""
    text = key.replace(".waitForTaskToken", "").replace(".sync:2", "").replace(".sync", "")
    if text.startswith("ItemReader:"):
        return "item_reader_" + _short(text[len("ItemReader:"):])
    if text.startswith("ResultWriter:"):
        return "result_writer_" + _short(text[len("ResultWriter:"):])
    if text.startswith("arn:") and ":activity:" in text:
        return "activity_" + text.rsplit(":", 1)[-1]
    if text.startswith("arn:aws:states:::"):
        return text[len("arn:aws:states:::"):].replace("aws-sdk:", "")
    return text


# --------------------------------------------------------------------------- the plan


def settings(workflow: ir.Workflow) -> dict[str, str]:
    """The environment variables the handler reads (``ir.Setting`` placeholders), sorted, each with
    its value in the generated tests: its own name, so a stub's key names the variable that selects
    it; a variable read as JSON (a typed setting) its value at conversion, else its name as a JSON
    string."""
    found: dict[str, str] = {}
    _collect_settings(workflow, found)
    return dict(sorted(found.items()))


def _collect_settings(value: Any, found: dict[str, str]) -> None:
    if value is None or isinstance(value, (str, int, float)):  # (most of the IR's values)
        return
    if isinstance(value, ir.Setting):
        for _, variable in value.env:
            if value.typed:
                found[variable] = value.example if value.example is not None else json.dumps(variable)
            else:
                found.setdefault(variable, variable)
    elif isinstance(value, list) and len(value) == 3 and value[0] == "setting" and isinstance(value[2], dict):
        for variable in value[2].values():  # a setting argument of an intrinsic
            found.setdefault(variable, variable)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_settings(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_settings(v, found)
    else:
        for name in ir.field_names(type(value)) or ():  # a dataclass: its fields
            _collect_settings(getattr(value, name), found)


def _expand_settings(value: Any, values: dict[str, str]) -> Any:
    """``value`` (IR) with every ``ir.Setting`` (and setting argument of an intrinsic) replaced by
    what it reads in the generated tests, where each variable is set as ``settings`` says
    (``${Fn}`` → ``"FnArn"`` when the variable is ``FnArn``); a part without one is the same
    object (see ``_same``)."""
    if value is None or isinstance(value, (str, int, float)):  # (most of the IR's values)
        return value
    if isinstance(value, ir.Setting):
        env = dict(value.env)
        text = PLACEHOLDER.sub(lambda m: values.get(env.get(m.group(1), ""), m.group(0)), value.text)
        if value.typed:
            try:
                return json.loads(text)
            except ValueError:  # the handler fails on it, as the tests will show
                return text
        return text
    if isinstance(value, list) and len(value) == 3 and value[0] == "setting" and isinstance(value[2], dict):
        env = value[2]
        return ["lit", PLACEHOLDER.sub(lambda m: values.get(env.get(m.group(1), ""), m.group(0)), value[1])]
    if isinstance(value, dict):
        expanded = {k: _expand_settings(v, values) for k, v in value.items()}
        return value if _same(expanded.values(), value.values()) else expanded
    if isinstance(value, list):
        items = [_expand_settings(v, values) for v in value]
        return value if _same(items, value) else items
    if isinstance(value, tuple):
        items = [_expand_settings(v, values) for v in value]
        return value if _same(items, value) else tuple(items)
    names = ir.field_names(type(value))
    if names is not None:  # a dataclass
        fields = [getattr(value, name) for name in names]
        items = [_expand_settings(v, values) for v in fields]
        return value if _same(items, fields) else dataclasses.replace(value, **dict(zip(names, items)))
    return value


def _same(expanded: Any, original: Any) -> bool:
    """Did expanding leave every part as it was? Then the original stands for the copy: the
    plan reads the IR and changes none of it (it copies what it builds on), and most
    machines have no setting at all."""
    return all(a is b for a, b in zip(expanded, original))


def plan(workflow: ir.Workflow, values: dict[str, str] | None = None) -> Plan:
    """The generated tests of ``workflow``; ``values``: its ``settings`` when the caller has them."""
    workflow = _expand_settings(workflow, settings(workflow) if values is None else values)
    stubs: dict[str, Stub] = {}
    dynamic = []
    for s in workflow.states():
        if isinstance(s, ir.TaskState) and not s.unsupported and s.call is not None:
            key = stub_key(s)
            if key is None:
                dynamic.append(s.name)
                if isinstance(s.call, ir.LambdaCall) and s.call.envelope:
                    stubs.setdefault(DYNAMIC_FUNCTION, Stub(DYNAMIC_FUNCTION, "lambda", [])).states.append(s.name)
                continue
            stub = stubs.setdefault(key, Stub(key, stub_kind(s), []))
            stub.states.append(s.name)
        elif isinstance(s, ir.MapState):
            for key, kind in ((reader_key(s), "reader"), (writer_key(s), "writer")):
                if key:
                    stub = stubs.setdefault(key, Stub(key, kind, []))
                    stub.states.append(s.name)
    taken: set = {"run", "run_state", "machine", "handler", "asl_testing", "rt", "pytest", "stubs", "any"}
    for stub in stubs.values():
        short = _short(stub.key)
        if re.sub(r"[^0-9a-zA-Z]+", "_", short).strip("_").lower().startswith("test"):
            short = "stub_" + short  # pytest would collect a function called test*
        stub.ident = _identifier(short, taken, "stub")

    search = _Search(workflow)
    cases: list[Case] = []
    seen: set = set()
    for w, (status, value, last) in search.machine(workflow.root, _Walk(), Ref("input"), _Scope()):
        if len(cases) >= MAX_TESTS:
            break
        signature = (last, status, value if status == "failed" else None, w.trail[-2] if len(w.trail) > 1 else None, _looped(w))
        if signature in seen:
            continue
        try:
            case = _case(w, status, value, last, stubs)
        except Stop as err:
            search.note(last, err)
            continue
        seen.add(signature)
        cases.append(case)
    cases += _state_cases(workflow, stubs, {step for case in cases for step in case.path})
    taken_tests: set = set()
    labels = [case.name for case in cases]
    for case in cases:
        label = case.name
        if labels.count(label) > 1 and len(case.path) > 1:  # the same end reached another way
            label += " from " + case.path[-2]
        # 69 characters: with a "_99" suffix, "def ...() -> None:" still fits black's 88 columns
        case.name = _identifier("test_" + label, taken_tests, "test_path", length=69)
    for stub in stubs.values():
        stub.default = next((c.results[stub.key] for c in cases if stub.key in c.results), [] if stub.kind == "reader" else {})
        if isinstance(stub.default, Answers):
            stub.default = stub.default.values[-1]
    terminals = [
        name for name, s in workflow.root.states.items()
        if isinstance(s, (ir.SucceedState, ir.FailState)) or (isinstance(s, ir.Transitioning) and s.next is None)
    ]
    reached = {c.path[-1].split(" (")[0] for c in cases}
    untested = [t for t in terminals if t not in reached]
    routes = _untested_routes(workflow, cases)
    uses_any = any(c.check_output and _has_any(c.output) or _has_any(c.calls) for c in cases)
    return Plan(list(stubs.values()), cases, untested, routes, search.reasons if untested or routes else [], dynamic, uses_any)


_ROUTES = ("rule ", "default", "caught ", "fails with ")  # the labels of a state's ways to end

# The states a test of its own shows nothing of: no field the walk follows changes their data.
_NOT_TESTED_ALONE = (ir.SucceedState, ir.WaitState)


def _state_cases(workflow: ir.Workflow, stubs: dict, taken: set) -> list[Case]:
    """Tests of single states (their functions in handler.py): of states no path test enters,
    and of the Choice rules and Catch routes no path test takes. Each is the walk of one state
    from an input built as it reads it, each way it can end (a Choice rule, success, a retried
    or caught error), up to MAX_STATE_TESTS in all."""
    from .structure import routed

    entered = {step.split(" (")[0] for step in taken}
    out: list[Case] = []
    for s in workflow.states():
        function = workflow.functions.get(s.name)
        if function is None or s.name in workflow.inline or s.unsupported or isinstance(s, _NOT_TESTED_ALONE):
            continue  # (a state written in its machine's body has no function to run alone)
        search = _Search(workflow)
        try:
            alternatives = list(search.state(s, _Walk(), Ref("input"), _Scope()))
        except Stop:
            continue
        if s.name in entered:  # only the routes no path test takes
            alternatives = [a for a in alternatives if a[1][2].startswith(_ROUTES) and f"{s.name} ({a[1][2]})" not in taken]
        for w, (kind, value, label) in alternatives[:4]:
            if len(out) >= MAX_STATE_TESTS:
                return out
            w.trail.append(s.name + (f" ({label})" if label else ""))
            try:
                if kind == "next":
                    case = _case(w, "succeeded", value[1], s.name, stubs)
                    case.next_state = value[0]
                else:
                    case = _case(w, "failed", value, s.name, stubs)
            except Stop:
                continue
            case.name = f"state {s.name} {label}" if label else f"state {s.name}"
            case.function, case.routed = function, routed(s)
            out.append(case)
    return out


def _case(w: _Walk, status: str, value: Any, last: str, stubs: dict) -> Case:
    calls = _calls(w) if w.calls_exact else None
    test_input = _concrete(w, Ref("input"))
    output = _concrete(w, value, filler=ANYTHING) if status == "succeeded" else None
    results: dict = {}
    for key in sorted({root[len("result:"):].split("#")[0] for root in w.read if root.startswith("result:")}):
        if key in stubs and w.outcomes.get(key) is None:
            made = w.answers.get(key, 0)
            if made > 1:  # each call in turn its own answer
                results[key] = Answers([_concrete(w, Ref("result:" + key + (f"#{i}" if i > 1 else ""))) for i in range(1, made + 1)])
            else:
                results[key] = _concrete(w, Ref("result:" + key))
    errors = {k: list(v) if isinstance(v, tuple) else v for k, v in w.outcomes.items() if v is not None}
    label = f"{last} fails" if status == "failed" else f"ends at {last}"
    if status == "failed" and w.trail and w.trail[-1].startswith(f"{last} (fails with "):
        label += f" with {value}"  # a Task's error, not a Fail state's
    if _looped(w):
        label += " after looping back"
    return Case(
        name=label,
        path=list(w.trail),
        input=test_input,
        status="SUCCEEDED" if status == "succeeded" else "FAILED",
        error=value if status == "failed" else None,
        results=results,
        errors=errors,
        output=output,
        check_output=status == "succeeded" and output is not ANYTHING,
        calls=calls,
    )


def _looped(w: _Walk) -> bool:
    """Did the path go round a loop, leaving a state another way the second time?"""
    ways: dict = {}
    for step in w.trail:
        ways.setdefault(step.split(" (")[0], set()).add(step)
    return any(len(v) > 1 for v in ways.values())


def _has_any(value: Any) -> bool:
    if value is ANYTHING:
        return True
    if isinstance(value, dict):
        return any(_has_any(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_any(v) for v in value)
    return False


def _calls(w: _Walk) -> dict:
    """The requests each stub gets on the path, ordered by their JSON text (as ``asl_testing``
    records them); a stub whose requests differ only in values no test knows: ``ANY``."""
    requests: dict[str, list] = {}
    for key, request in w.calls:
        requests.setdefault(key, []).append(_concrete(w, request, filler=ANYTHING))
    out: dict = {}
    for key, values in requests.items():
        texts = [json.dumps(v, sort_keys=True, default=repr) for v in values]
        if len(set(texts)) > 1 and any(_has_any(v) for v in values):
            out[key] = ANYTHING  # the order asl_testing gives depends on the unknown values
        else:
            out[key] = [v for _, v in sorted(zip(texts, values), key=lambda pair: pair[0])]
    return out
