"""The intermediate representation: a workflow graph the renderer reads.

``lower.py`` builds it from a validated ASL definition; nothing after lowering reads raw ASL.
Every value here is plain data: names, JSON values from the definition, and parsed paths.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeGuard, Union

from asl2durable.expressions import jsonata
from asl2durable.runtime import asl_jsonpath

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Path:
    """A JSONPath from the definition, with its parse (see ``paths.parse_path``)."""

    text: str
    spec: tuple


@dataclass(frozen=True)
class Intrinsic:
    """An intrinsic function call (``States.Format(...)``) with its parse (``intrinsics.parse_intrinsic``)."""

    text: str
    spec: list
    nondeterministic: bool = False  # States.UUID, unseeded States.MathRandom: evaluated in a durable step


@dataclass(frozen=True)
class Jsonata:
    """A JSONata template: JSON data whose ``"{% ... %}"`` strings are expressions."""

    value: Any


@dataclass(frozen=True)
class Setting:
    """A string holding ``${Name}`` placeholders that are configuration of the function: each is
    read at run time from the environment variable ``env`` gives it (``(placeholder, variable)``
    pairs). Made from a template's DefinitionSubstitutions and intrinsic values, and from
    ``--substitute`` values.

    A ``typed`` setting is one placeholder that stood unquoted in the definition
    (``"limit": ${Limit}``): its variable holds JSON text, read as the JSON value (a number, a
    boolean, ...), as CloudFormation's text substitution makes it; ``example`` is its value at
    conversion (JSON text), which the generated tests use."""

    text: str
    env: tuple[tuple[str, str], ...]
    typed: bool = False
    example: str | None = None


# A payload template: JSON data whose dynamic leaves ("key.$" entries) are Path or Intrinsic.
Template = Any


class _Default:
    """Marker for an ASL field that is absent (as opposed to present and null)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: str = "NONE"


@dataclass(frozen=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Path | None | _Default = DEFAULT
    assign: Any = DEFAULT  # a JSONPath Template, or Jsonata
    output: Jsonata | _Default = DEFAULT  # JSONata states only


@dataclass
class DataFlow:
    """The JSONPath data-flow fields of a state. ``DEFAULT`` stands for an absent field."""

    input_path: Path | None | _Default = DEFAULT
    parameters: Template | _Default = DEFAULT
    result_selector: Template | _Default = DEFAULT
    result_path: Path | None | _Default = DEFAULT
    output_path: Path | None | _Default = DEFAULT


# A JSONPath state's data flow, its steps in Step Functions' order: defined with the JSONPath
# evaluation the support modules share (asl_jsonpath), whose wording of a failed read replays it.
DATA_FLOW = asl_jsonpath.DATA_FLOW


# --------------------------------------------------------------------------- Choice rules


@dataclass(frozen=True)
class Comparison:
    """``{"Variable": variable, operator: operand}``; for ``...Path`` operators the operand is a Path."""

    operator: str
    variable: Path
    operand: Any


@dataclass(frozen=True)
class Combinator:
    kind: str  # "And" | "Or" | "Not"
    rules: tuple["Condition", ...]


Condition = Union[Comparison, Combinator]


@dataclass(frozen=True)
class ChoiceRule:
    condition: "Condition | Jsonata"
    next: str
    assign: Any = DEFAULT
    output: Jsonata | _Default = DEFAULT


# --------------------------------------------------------------------------- states


@dataclass
class State:
    name: str
    pointer: str  # JSON pointer of the state in the definition
    comment: str | None = None
    # set when the state uses a feature this version does not translate: the generated
    # function then raises at run time instead of doing something else silently
    unsupported: str | None = None
    query_language: str = "JSONPath"
    assign: Any = DEFAULT  # JSONPath: a Template; JSONata: a Jsonata
    output: "Jsonata | _Default" = DEFAULT  # JSONata Output
    needs_entered_time: bool = False  # the state reads $$.State.EnteredTime
    flow: DataFlow = field(default_factory=DataFlow)  # JSONPath: the fields the state has

    @property
    def jsonata(self) -> bool:
        return self.query_language == "JSONata"

    @property
    def reads_items(self) -> bool:
        """A Distributed Map whose ItemReader reads its dataset (see MapState)."""
        return False


@dataclass
class Transitioning(State):
    next: str | None = None  # None when End: true


@dataclass
class PassState(Transitioning):
    result: Any = DEFAULT


@dataclass
class LambdaCall:
    """How a Task calls Lambda.

    ``function`` is the function name or ARN when it is known statically; otherwise it comes
    from the evaluated parameters (``FunctionName``). ``envelope`` is True for the
    ``lambda:invoke`` integration, whose result is the Invoke response.
    """

    function: str | None
    envelope: bool
    # why the call is made from a durable step rather than as a chained invoke, when the
    # definition says so statically (InvocationType Event, ClientContext, LogType Tail)
    from_step: str | None = None
    # the module constant the handler names a function given as the Resource by (VALIDATE_ORDER)
    constant: str | None = None


@dataclass
class ServiceCall:
    """A Task resource other than a plain Lambda call (see ``integrations.classify``).

    ``kind``: "optimized", "aws-sdk", "lambda" (``lambda:invoke.waitForTaskToken``) or "activity";
    ``pattern``: "request-response", "sync", "sync:2" or "callback"; ``base``: the resource
    without its suffix; ``function``: the static function of ``lambda:invoke.waitForTaskToken``.
    """

    kind: str
    pattern: str
    resource: str
    base: str
    function: str | None = None


def waits_for_token(call: "LambdaCall | ServiceCall | None") -> TypeGuard[ServiceCall]:
    """Does a Task's call hand out a task token and wait for the answer (``.waitForTaskToken``,
    an activity)? Its state makes a durable callback."""
    return isinstance(call, ServiceCall) and call.pattern == "callback"


@dataclass
class TaskState(Transitioning):
    resource: str = ""
    arguments: "Jsonata | _Default" = DEFAULT
    call: "LambdaCall | ServiceCall | None" = None  # None: not translated (the state is flagged unsupported)
    heartbeat_seconds: "int | Jsonata | None" = None
    heartbeat_seconds_path: Path | None = None
    timeout_seconds: "int | Jsonata | None" = None
    timeout_seconds_path: Path | None = None
    retry: list[Retrier] = field(default_factory=list)
    catch: list[Catcher] = field(default_factory=list)


@dataclass
class ChoiceState(State):
    rules: list[ChoiceRule] = field(default_factory=list)
    default: str | None = None


@dataclass
class WaitState(Transitioning):
    seconds: "int | Jsonata | None" = None
    seconds_path: Path | None = None
    timestamp: "str | Jsonata | None" = None
    timestamp_path: Path | None = None


@dataclass
class SucceedState(State):
    pass


@dataclass
class FailState(State):
    error: "str | Jsonata | None" = None
    error_path: Path | Intrinsic | None = None
    cause: "str | Jsonata | None" = None
    cause_path: Path | Intrinsic | None = None


@dataclass
class ParallelState(Transitioning):
    branches: list["Machine"] = field(default_factory=list)
    arguments: "Jsonata | _Default" = DEFAULT
    retry: list[Retrier] = field(default_factory=list)
    catch: list[Catcher] = field(default_factory=list)


@dataclass
class MapState(Transitioning):
    processor: "Machine | None" = None
    items_path: Path | _Default = DEFAULT
    items: "Jsonata | _Default" = DEFAULT  # JSONata Items
    item_selector: Template | _Default = DEFAULT  # JSONata states: a Jsonata
    max_concurrency: "int | Jsonata" = 0
    max_concurrency_path: Path | None = None
    tolerated_failure_count: "int | Jsonata | None" = None
    tolerated_failure_count_path: Path | None = None
    tolerated_failure_percentage: "float | Jsonata | None" = None
    tolerated_failure_percentage_path: Path | None = None
    distributed: bool = False
    # Distributed Map I/O: the definition's ItemReader / ItemBatcher / ResultWriter, with
    # "key.$" entries and *Path fields parsed (JSONPath) or kept as Jsonata templates
    item_reader: Any = DEFAULT
    item_batcher: Any = DEFAULT
    result_writer: Any = DEFAULT
    label: str | None = None
    retry: list[Retrier] = field(default_factory=list)
    catch: list[Catcher] = field(default_factory=list)

    @property
    def reads_items(self) -> bool:
        """A Distributed Map whose ItemReader reads its dataset (from S3): it may run in parts."""
        return self.item_reader is not DEFAULT and self.item_reader is not None


def plain_spelling(name: str) -> str:
    """A state name in lower case with each run of characters other than letters, digits and "_"
    as one "_" (none at the ends): what its function is named after (``lower``), and when a call
    needs no comment saying which state it runs (``render``)."""
    return re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_").lower()


def transitions(state: State) -> list[tuple[str | None, str]]:
    """Every transition of a state as (target, label), in definition order: its Next (label "";
    target None where the state ends the machine: a Succeed, or ``End: true``), a Choice's rules
    ("rule 1", ...) and Default ("default"), and its Catch entries ("catch: States.ALL"). A Fail
    state has none. The state graph of structure.py, the diagrams and the tests are built on it."""
    if isinstance(state, FailState):
        return []
    if isinstance(state, SucceedState):
        return [(None, "")]
    if isinstance(state, ChoiceState):
        out = [(rule.next, f"rule {i}") for i, rule in enumerate(state.rules, 1)]
        return out + ([(state.default, "default")] if state.default else [])
    assert isinstance(state, Transitioning)
    catchers: list[Catcher] = getattr(state, "catch", [])
    return [(state.next, "")] + [(c.next, "catch: " + ", ".join(c.error_equals)) for c in catchers]


# --------------------------------------------------------------------------- structured control flow
# ``structure.py`` turns each machine's state graph into these statements; the renderer prints
# them as Python (``data = f(run, data)``, ``if``/``elif``, ``while True``, ``return``, ``raise``).


@dataclass(frozen=True)
class Call:
    """Run a state that has one successor: ``data = state(run, data)``."""

    state: str


@dataclass(frozen=True)
class Finish:
    """Run a state that ends the machine and return its output: ``return state(run, data)``."""

    state: str


@dataclass(frozen=True)
class Raise:
    """Run a Fail state: ``raise state(run, data)``."""

    state: str


@dataclass(frozen=True)
class Return:
    """End the machine with the current data (a state with ``End`` took a route to the end)."""


@dataclass(frozen=True)
class Case:
    target: str | None  # the state the route leads to; None: the end of the machine
    body: tuple["Statement", ...]


@dataclass(frozen=True)
class Route:
    """Run a state with several successors (Choice; a Task, Parallel or Map with Catch):
    ``route, data = state(run, data)``, then one ``if``/``elif`` case per route that does not
    simply go on to the statement after it."""

    state: str
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Loop:
    """``while True:`` around the states of a cycle; ``header`` is the state it starts at."""

    header: str
    body: tuple["Statement", ...]


@dataclass(frozen=True)
class Continue:
    header: str  # back to the start of the innermost loop


@dataclass(frozen=True)
class Break:
    header: str  # out of the innermost loop


Statement = Union[Call, Finish, Raise, Return, Route, Loop, Continue, Break]


@dataclass
class Machine:
    """A state machine or sub-machine (Parallel branch, Map processor)."""

    start_at: str
    states: dict[str, State]
    ident: str  # the Python name of the machine's function in generated code
    comment: str | None = None
    pointer: str = ""  # JSON pointer of the (sub-)machine in the definition
    title: str = ""  # what it is, for its function's docstring
    # the structured body (``structure.py``); None when the graph is run by a dispatch loop
    body: tuple[Statement, ...] | None = None
    dispatch_reason: str | None = None  # why the graph could not be structured


@dataclass
class Workflow:
    """The whole translated definition."""

    name: str
    root: Machine
    comment: str | None = None
    timeout_seconds: int | None = None
    # the Python identifier of each state's function, by state name (names are unique machine-wide)
    functions: dict[str, str] = field(default_factory=dict)
    # the states written in their machine's body rather than as functions (structure.py)
    inline: frozenset[str] = frozenset()
    # (function name or ARN, constant) of the Lambda functions Tasks name as their Resource
    lambdas: tuple[tuple[str, str], ...] = ()
    uses: frozenset[str] = frozenset()  # "intrinsics", "jsonata": optional support modules needed
    settings: tuple[tuple[str, str], ...] = ()  # (placeholder, environment variable) the handler reads, sorted
    # STANDARD: each side effect at most once per attempt; EXPRESS: at least once (Step Functions' types)
    workflow_type: str = "STANDARD"
    # how long an execution may run, in seconds (DurableConfig.ExecutionTimeout), and why
    lifetime: int = 31_622_400
    lifetime_reason: str = ""
    # (placeholder, pattern) of each startExecution Task whose StateMachineArn is a machine of the
    # same template: in the rewritten template, that machine's durable function (alias ARN)
    starts: tuple[tuple[str, str], ...] = ()

    def machines(self) -> list[Machine]:
        """Every machine, nested ones first, so that definitions precede their uses."""
        out: list[Machine] = []

        def visit(machine: Machine) -> None:
            for state in machine.states.values():
                if isinstance(state, ParallelState):
                    for branch in state.branches:
                        visit(branch)
                elif isinstance(state, MapState) and state.processor is not None:
                    visit(state.processor)
            out.append(machine)

        visit(self.root)
        return out

    def states(self) -> list[State]:
        """Every state in definition order; a Parallel's or Map's inner states follow it."""
        out: list[State] = []

        def visit(machine: Machine) -> None:
            for state in machine.states.values():
                out.append(state)
                if isinstance(state, ParallelState):
                    for branch in state.branches:
                        visit(branch)
                elif isinstance(state, MapState) and state.processor is not None:
                    visit(state.processor)

        visit(self.root)
        return out


# --------------------------------------------------------------------------- durable operations
# What the generated code of each state does, by durable operation kind (the order reports list
# them): the report counts them, and a test holds them to what a local run records.

OPERATIONS = ("step", "invoke", "wait", "callback", "parallel", "map")


def operations(state: State) -> dict[str, int]:
    """The durable operations the generated code of one state performs (its inner machines'
    states count on their own), by kind: counted once per place in the code, not per run."""
    ops: Counter[str] = Counter()
    if isinstance(state, TaskState):
        call = state.call
        if waits_for_token(call):
            ops.update(callback=1, step=1)  # the step hands out the task token
        elif isinstance(call, ServiceCall) and call.pattern.startswith("sync"):
            ops.update(step=2)  # start the job; poll it until it ends (wait_for_condition, a step)
        elif isinstance(call, LambdaCall) and call.from_step is None:
            ops.update(invoke=1)  # a chained invoke
            if state.timeout_seconds is not None or state.timeout_seconds_path is not None:
                ops.update(parallel=1, callback=1)  # it races a durable timer
        elif call is not None:
            ops.update(step=1)
    elif isinstance(state, WaitState):
        ops.update(wait=1)
        if state.timestamp is not None or state.timestamp_path is not None:
            ops.update(step=1)  # the clock is read in a step
    elif isinstance(state, ParallelState):
        ops.update(parallel=1)
    elif isinstance(state, MapState):
        ops.update(map=1)
        ops.update(step=sum(value is not DEFAULT for value in (state.item_reader, state.result_writer)))
    if getattr(state, "retry", None):
        ops.update(wait=1)  # durable waits between attempts
    if state.needs_entered_time:
        ops.update(step=1)  # $$.State.EnteredTime is read in a step
    ops.update(step=_drawing_steps(vars(state)))
    return ordered_operations(ops)


_DRAW = re.compile(r"\$(uuid|random)\s*\(")


def _drawing_steps(value: Any) -> int:
    """Steps that read the clock or draw random values in a state's fields: one per JSONata field
    calling $now()/$millis() (evaluated in one step), else one per $uuid()/$random() call; one
    per States.UUID/unseeded States.MathRandom call. Inner machines are not visited (their states count on their own)."""
    if isinstance(value, Jsonata):
        return 1 if reads_clock(value) else len(_DRAW.findall(json.dumps(value.value, default=str)))
    if isinstance(value, Intrinsic):
        return int(value.nondeterministic)
    if isinstance(value, dict):
        return sum(_drawing_steps(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_drawing_steps(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, (type, Machine)):
        return _drawing_steps(vars(value))
    return 0


def ordered_operations(counts: Counter[str]) -> dict[str, int]:
    """Counts by operation kind in the order of OPERATIONS, kinds with none left out."""
    return {kind: counts[kind] for kind in OPERATIONS if counts[kind]}


def reads_clock(value: Any) -> bool:
    """Does a JSONata template call $now() or $millis()? (The runtime's test, which
    ``rt.jsonata`` applies to the template it is given; a configured placeholder is tested by
    its text.)"""
    if isinstance(value, Jsonata):
        value = value.value
    if isinstance(value, Setting):
        value = value.text
    if isinstance(value, str):
        return bool(jsonata.reads_the_clock(value))
    if isinstance(value, dict):
        return any(reads_clock(v) for v in value.values())
    if isinstance(value, list):
        return any(reads_clock(v) for v in value)
    return False


# --------------------------------------------------------------------------- walking the IR


@cache
def field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type (an IR node's), None for any other type: what
    ``dataclasses.is_dataclass`` and ``dataclasses.fields`` say, looked up once per type, as
    the walkers over a whole workflow ask it for every value they meet."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(f.name for f in dataclasses.fields(kind))
