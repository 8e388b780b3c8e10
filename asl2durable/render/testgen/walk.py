"""The bounded symbolic walk of a machine's states (``_Search``): the ways each state can end,
following the data flow, Choice rules, Task stubs, retries and Catch routes, Parallel
branches and Map iterations."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

from asl2durable.lower import ir
from asl2durable.render.testgen.choice import MAX_WAYS, _compare_value, _parse_time, _taking, _ways
from asl2durable.render.testgen.dataflow import (
    _integer,
    _intrinsic,
    _number_field,
    _result_path,
    _select,
    _template,
)
from asl2durable.render.testgen.errors import _attempts, _catch_name, _matches, _retry_failures
from asl2durable.render.testgen.jsonata_fields import _jsonata
from asl2durable.render.testgen.model import (
    DYNAMIC_FUNCTION,
    HOLE,
    MAX_ATTEMPTS,
    MAX_ITEMS,
    MAX_VISITS,
    UNKNOWN,
    Merged,
    Ref,
    Stop,
    _Scope,
    _Walk,
)
from asl2durable.render.testgen.stubs import _function_key, reader_key, stub_key, writer_key
from asl2durable.render.testgen.trees import _fixable, _frozen, _node, _read, _resolve, _set, _step

DATA_FLOW = ir.DATA_FLOW
AFTER_WORK = DATA_FLOW[DATA_FLOW.index("work") + 1 :]
_RESULTS = (ir.PassState, ir.TaskState, ir.ParallelState, ir.MapState)  # the types with ResultPath


@dataclasses.dataclass
class _Flow:
    """A JSONPath state's values along its data flow: its input, the effective input (InputPath),
    the payload (Parameters), the work's result, the output so far and what Assign reads."""

    input: Any
    result: Any = ir.DEFAULT

    def __post_init__(self) -> None:
        self.effective = self.payload = self.output = self.assign_from = self.input


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
                output = self.flow(s, w, scope, _Flow(data), DATA_FLOW).output
            yield w, ("next", (None, output), "")
        elif isinstance(s, ir.FailState):
            yield w, ("error", self.fail_name(s, w, data, scope), "")
        elif isinstance(s, (ir.TaskState, ir.ParallelState, ir.MapState)):
            yield from self.work(s, w, data, scope)
        else:
            raise Stop(f"a {type(s).__name__}")

    def finish(self, s: ir.State, w: _Walk, scope: _Scope, state_input: Any, output: Any, result: Any) -> Any:
        """A JSONata state's Output, then Assign."""
        bindings = {"input": state_input}
        if result is not ir.DEFAULT:
            bindings["result"] = result
        if s.output is not ir.DEFAULT:
            output = _jsonata(w, scope, s.output, "Output", bindings)
        if s.assign is not ir.DEFAULT:
            w.variables.update(self.jsonata_assign(w, scope, s.assign, bindings))
        return output

    # ---- a JSONPath state's data flow, step by step in its order (ir.DATA_FLOW)

    def flow(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow, steps: tuple[str, ...]) -> _Flow:
        """Apply ``steps`` of the data flow to ``v``, in DATA_FLOW's order. The steps a state's
        work takes itself (a Task's settings and Parameters, a Map's items) are followed there."""
        for step in DATA_FLOW:
            apply = getattr(self, "flow_" + step, None)
            if step in steps and apply is not None:
                apply(s, w, scope, v)
        return v

    def flow_input_path(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        v.effective = v.payload = v.output = v.assign_from = _select(w, scope, v.input, s.flow.input_path)

    def flow_settings(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if isinstance(s, ir.WaitState):
            self.wait_settings(s, w, scope, v.effective)

    def flow_parameters(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if isinstance(s, ir.PassState) and s.flow.parameters is not ir.DEFAULT:
            v.payload = _template(w, scope, v.effective, s.flow.parameters)

    def flow_work(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if isinstance(s, ir.PassState):
            v.result = copy.deepcopy(s.result) if s.result is not ir.DEFAULT else v.payload

    def flow_result_selector(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if s.flow.result_selector is not ir.DEFAULT:
            v.result = _template(w, scope, v.result, s.flow.result_selector)

    def flow_result_path(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if isinstance(s, _RESULTS):
            v.output, v.assign_from = _result_path(w, v.input, v.result, s.flow.result_path), v.result

    def flow_output_path(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        v.output = _select(w, scope, v.output, s.flow.output_path)

    def flow_assign(self, s: ir.State, w: _Walk, scope: _Scope, v: _Flow) -> None:
        if s.assign is not ir.DEFAULT:
            w.variables.update(self.assigned(_template(w, scope, v.assign_from, s.assign)))

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
            return self.finish(s, w, scope, data, data, ir.DEFAULT)
        return self.flow(s, w, scope, _Flow(data), DATA_FLOW).output

    def wait(self, s: ir.WaitState, w: _Walk, data: Any, scope: _Scope) -> Any:
        if s.jsonata:
            for value, name, expect in ((s.seconds, "Seconds", "integer"), (s.timestamp, "Timestamp", "string")):
                if isinstance(value, ir.Jsonata):
                    got = _jsonata(w, scope, value, name, {"input": data}, expect=expect)
                    if name == "Timestamp" and _parse_time(got) is None:
                        raise Stop("a Timestamp that is not a timestamp")
            return self.finish(s, w, scope, data, data, data)
        return self.flow(s, w, scope, _Flow(data), DATA_FLOW).output

    @staticmethod
    def wait_settings(s: ir.WaitState, w: _Walk, scope: _Scope, selected: Any) -> None:
        """A JSONPath Wait's Seconds, Timestamp, SecondsPath and TimestampPath."""
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
        v = self.flow(s, w, scope, _Flow(data), ("input_path", "output_path"))  # then the rules, and Assign
        selected, output = v.effective, v.output
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
        selected = data if s.jsonata else self.flow(s, w, scope, _Flow(data), ("input_path",)).effective
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
            return self.finish(s, w, scope, state_input, result, result)
        return self.flow(s, w, scope, _Flow(state_input, result=result), AFTER_WORK).output

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
        tolerant = self.map_limits(s, w, scope, selected, bindings)
        values = _item_values(w, self.map_items(s, w, scope, selected, bindings))
        if s.item_batcher is not ir.DEFAULT:
            values = self.batches(s, w, scope, selected, bindings, values)
        inputs, scopes = self.iterations(s, w, selected, bindings, values, inner, tolerant)
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

    def map_limits(self, s: ir.MapState, w: _Walk, scope: _Scope, selected: Any, bindings: dict) -> Any:
        """Check the Map's MaxConcurrency and tolerated failures; truthy when it tolerates failures."""
        for value, p in ((s.max_concurrency, s.max_concurrency_path), (s.tolerated_failure_count, s.tolerated_failure_count_path)):
            if p is not None:
                _integer(w, scope, selected, p, 1)
            _number_field(w, scope, value, "MaxConcurrency", bindings)
        if s.tolerated_failure_percentage_path is not None:
            _integer(w, scope, selected, s.tolerated_failure_percentage_path, 0)
        return s.tolerated_failure_count is not None or s.tolerated_failure_percentage is not None or s.tolerated_failure_count_path or s.tolerated_failure_percentage_path

    def map_items(self, s: ir.MapState, w: _Walk, scope: _Scope, selected: Any, bindings: dict) -> Any:
        """The items: the ItemReader's stub answer, Items (JSONata), ItemsPath or the input."""
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
            return items
        if isinstance(s.items, ir.Jsonata):
            return _jsonata(w, scope, s.items, "Items", bindings, expect="array")
        if s.items_path is not ir.DEFAULT:
            return _read(w, scope, selected, s.items_path.spec)
        return selected

    def batches(self, s: ir.MapState, w: _Walk, scope: _Scope, selected: Any, bindings: dict, values: list) -> list:
        """The items grouped as the ItemBatcher says (each batch ``{"Items": [...]}``, with BatchInput)."""
        batcher = self.io_spec(s, s.item_batcher, "ItemBatcher", w, scope, selected, bindings)
        if not isinstance(batcher, dict):
            raise Stop("an ItemBatcher the walk does not know")
        size = batcher.get("MaxItemsPerBatch", len(values) or 1)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1 or (len(values) > 1 and "MaxInputBytesPerBatch" in batcher):
            raise Stop("an ItemBatcher the walk does not follow")
        envelope = {"BatchInput": batcher["BatchInput"]} if "BatchInput" in batcher else {}
        return [{**envelope, "Items": values[i:i + size]} for i in range(0, len(values), size)]

    def iterations(self, s: ir.MapState, w: _Walk, selected: Any, bindings: dict, values: list, inner: _Scope,
                   tolerant: Any) -> tuple[list, list]:
        """The input (ItemSelector) and the scope of each iteration."""
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
        return inputs, scopes

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


def _item_values(w: _Walk, items: Any) -> list:
    """The Map's items, one value each (a hole becomes an array of one item); at most MAX_ITEMS."""
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
    return values


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
