"""The plan (``plan``): the stubs, a test per terminal path the walk reaches, tests of single
states, and what no test takes."""

from __future__ import annotations

import json
import re
from typing import Any

from asl2durable.lower import ir
from asl2durable.lower.structure import ends_machine, routed
from asl2durable.render.testgen.env_settings import _expand_settings, settings
from asl2durable.render.testgen.errors import _catch_name
from asl2durable.render.testgen.model import (
    ANYTHING,
    DYNAMIC_FUNCTION,
    MAX_STATE_TESTS,
    MAX_TESTS,
    Answers,
    Case,
    Plan,
    Ref,
    Stop,
    Stub,
    _Scope,
    _Walk,
)
from asl2durable.render.testgen.stubs import _identifier, _short, reader_key, stub_key, stub_kind, writer_key
from asl2durable.render.testgen.trees import _concrete
from asl2durable.render.testgen.walk import _Search


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


def plan(workflow: ir.Workflow, values: dict[str, str] | None = None) -> Plan:
    """The generated tests of ``workflow``; ``values``: its ``settings`` when the caller has them."""
    workflow = _expand_settings(workflow, settings(workflow) if values is None else values)
    stubs, dynamic = _stubs(workflow)
    search = _Search(workflow)
    cases = _path_cases(workflow, search, stubs)
    cases += _state_cases(workflow, stubs, {step for case in cases for step in case.path})
    _name_tests(cases)
    for stub in stubs.values():
        stub.default = next((c.results[stub.key] for c in cases if stub.key in c.results), [] if stub.kind == "reader" else {})
        if isinstance(stub.default, Answers):
            stub.default = stub.default.values[-1]
    terminals = [name for name, s in workflow.root.states.items() if ends_machine(s)]
    reached = {c.path[-1].split(" (")[0] for c in cases}
    untested = [t for t in terminals if t not in reached]
    routes = _untested_routes(workflow, cases)
    uses_any = any(c.check_output and _has_any(c.output) or _has_any(c.calls) for c in cases)
    return Plan(list(stubs.values()), cases, untested, routes, search.reasons if untested or routes else [], dynamic, uses_any)


def _stubs(workflow: ir.Workflow) -> tuple[dict[str, Stub], list[str]]:
    """A stub for each key the machine's Tasks and Distributed Maps call (with the states that
    call it), and the Tasks whose callee is only known at run time."""
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
    return stubs, dynamic


def _path_cases(workflow: ir.Workflow, search: _Search, stubs: dict) -> list[Case]:
    """A test for each distinct way the walk from StartAt ends (up to MAX_TESTS)."""
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
    return cases


def _name_tests(cases: list[Case]) -> None:
    """Each case's test function name, from its label (and the state before the end, where
    another case ends the same way)."""
    taken_tests: set = set()
    labels = [case.name for case in cases]
    for case in cases:
        label = case.name
        if labels.count(label) > 1 and len(case.path) > 1:  # the same end reached another way
            label += " from " + case.path[-2]
        # 69 characters: with a "_99" suffix, "def ...() -> None:" still fits black's 88 columns
        case.name = _identifier("test_" + label, taken_tests, "test_path", length=69)


_ROUTES = ("rule ", "default", "caught ", "fails with ")  # the labels of a state's ways to end

# The states a test of its own shows nothing of: no field the walk follows changes their data.
_NOT_TESTED_ALONE = (ir.SucceedState, ir.WaitState)


def _state_cases(workflow: ir.Workflow, stubs: dict, taken: set) -> list[Case]:
    """Tests of single states (their functions in handler.py): of states no path test enters,
    and of the Choice rules and Catch routes no path test takes. Each is the walk of one state
    from an input built as it reads it, each way it can end (a Choice rule, success, a retried
    or caught error), up to MAX_STATE_TESTS in all."""
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
