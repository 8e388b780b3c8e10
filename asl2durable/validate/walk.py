"""Walk a definition's (sub-)machines and states, remembering JSON pointers and query languages.

The walkers skip anything that does not have the expected shape (a state that is not an object,
``Branches`` that is not an array, ...): the schema reports those, and the semantic checks built
on these walkers only look at well-formed parts, so one shape error does not cascade.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from asl2durable.diagnostics import pointer

JSONPATH = "JSONPath"
JSONATA = "JSONata"
QUERY_LANGUAGES = (JSONPATH, JSONATA)

STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
#: State types that take exactly one of ``Next`` / ``End``.
FLOW_TYPES = ("Task", "Pass", "Wait", "Parallel", "Map")


@dataclass(frozen=True)
class Machine:
    """The top-level machine, a Parallel branch or a Map processor (``ItemProcessor``/``Iterator``)."""

    node: dict
    pointer: str  # "" for the top level
    kind: str  # "root", "branch" or "processor"

    @property
    def states(self) -> dict:
        states = self.node.get("States")
        return states if isinstance(states, dict) else {}

    def state(self, name: str, node: dict) -> State:
        return State(name, node, pointer_join(self.pointer, "States", name), self)


@dataclass(frozen=True)
class State:
    """One state (always a dict) with its name, pointer and enclosing machine."""

    name: str
    node: dict
    pointer: str
    machine: Machine

    @property
    def type(self) -> object:
        return self.node.get("Type")

    def at(self, *parts: object) -> str:
        """Pointer to a field (or deeper) inside this state."""
        return pointer_join(self.pointer, *parts)


def pointer_join(base: str, *parts: object) -> str:
    return base + pointer(*parts)


def top_query_language(definition: dict) -> str:
    """The machine-wide default query language (JSONPath unless the top level says JSONata)."""
    return JSONATA if definition.get("QueryLanguage") == JSONATA else JSONPATH


def query_language(definition: dict, state: State) -> str:
    """The effective query language of ``state``: its own field, else the top-level one."""
    own = state.node.get("QueryLanguage")
    return own if own in QUERY_LANGUAGES else top_query_language(definition)


def sub_machines(state: State) -> Iterator[Machine]:
    """The Parallel branches and Map processors directly inside ``state``."""
    if state.type == "Parallel" and isinstance(state.node.get("Branches"), list):
        for i, branch in enumerate(state.node["Branches"]):
            if isinstance(branch, dict):
                yield Machine(branch, state.at("Branches", i), "branch")
    if state.type == "Map":
        for field in ("ItemProcessor", "Iterator"):
            if isinstance(state.node.get(field), dict):
                yield Machine(state.node[field], state.at(field), "processor")


# The walks of the definition ``validate`` is checking (see ``walked_once``): id -> machines, states.
_WALKED: dict[int, tuple[list[Machine], list[State]]] = {}


@contextmanager
def walked_once(definition: object) -> Iterator[None]:
    """Inside, ``iter_machines`` and ``iter_states`` of ``definition`` give back one walk of
    it: ``validate`` runs a score of checks over one definition, which none of them changes,
    and each would walk it again."""
    key = id(definition)
    machines = list(_machines(definition))
    previous = _WALKED.get(key)
    _WALKED[key] = (machines, [state for machine in machines for state in states_of(machine)])
    try:
        yield
    finally:
        if previous is None:
            del _WALKED[key]
        else:
            _WALKED[key] = previous


def iter_machines(definition: object) -> Iterator[Machine]:
    """Every machine, the top level first, then nested ones depth-first in document order."""
    walked = _WALKED.get(id(definition))
    return iter(walked[0]) if walked is not None else _machines(definition)


def _machines(definition: object) -> Iterator[Machine]:
    if not isinstance(definition, dict):
        return
    stack = [Machine(definition, "", "root")]
    while stack:
        machine = stack.pop()
        yield machine
        nested = [sub for state in states_of(machine) for sub in sub_machines(state)]
        stack.extend(reversed(nested))


def states_of(machine: Machine) -> Iterator[State]:
    """The states (objects only) directly in ``machine``."""
    for name, node in machine.states.items():
        if isinstance(node, dict):
            yield machine.state(name, node)


def iter_states(definition: object) -> Iterator[State]:
    """Every state of every machine."""
    walked = _WALKED.get(id(definition))
    if walked is not None:
        return iter(walked[1])
    return (state for machine in _machines(definition) for state in states_of(machine))


def transitions(state: State) -> Iterator[tuple[str, object]]:
    """(pointer, target) for every transition out of ``state``: Next, Default, Choice rules, Catch."""
    node = state.node
    if "Next" in node:
        yield state.at("Next"), node["Next"]
    if state.type == "Choice":
        if "Default" in node:
            yield state.at("Default"), node["Default"]
        if isinstance(node.get("Choices"), list):
            for i, rule in enumerate(node["Choices"]):
                if isinstance(rule, dict) and "Next" in rule:
                    yield state.at("Choices", i, "Next"), rule["Next"]
    if isinstance(node.get("Catch"), list):
        for i, catcher in enumerate(node["Catch"]):
            if isinstance(catcher, dict) and "Next" in catcher:
                yield state.at("Catch", i, "Next"), catcher["Next"]


def field_name(pointer_text: str) -> str:
    """The last segment of a JSON pointer, unescaped (the field a diagnostic is about)."""
    last = pointer_text.rsplit("/", 1)[-1]
    return last.replace("~1", "/").replace("~0", "~")


def nesting_depth(value: object) -> int:
    """How deeply JSON containers nest in ``value`` (a scalar: 0), without recursing."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, depth = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        todo.extend((child, depth + 1) for child in children)
    return deepest
