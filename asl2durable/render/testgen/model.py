"""The plan's data (``Stub``, ``Case``, ``Plan``), the bounds of the search, and the symbolic
values a walk builds the execution input and the stub answers from (holes, references into
the trees under construction, ``_Walk``: one path being followed)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

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
