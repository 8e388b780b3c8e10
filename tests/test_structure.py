"""Structured control flow: state graphs become sequences, if/elif and while loops.

Shapes are checked on the generated ``state_machine`` function (reviewed by hand); behaviour is
checked by running generated handlers, including random graphs against a small reference
interpreter, so a wrong join or loop exit shows up as a different trace.
"""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl2durable.run.local import run_local
from asl2durable.lower.structure import DISPATCH_LOOP
from asl2durable.translate import translate


def machine(states: dict, start: str | None = None) -> dict:
    return {"StartAt": start or next(iter(states)), "States": states}


def trace_pass(nxt: str | None = None) -> dict:
    """A Pass state that appends its name to $.trace and counts $.n up (see with_traces)."""
    state = {"Type": "Pass"}
    if nxt is None:
        state["End"] = True
    else:
        state["Next"] = nxt
    return state


def with_traces(definition: dict) -> dict:
    for name, state in definition["States"].items():
        if state["Type"] == "Pass" and "Parameters" not in state:
            state["Parameters"] = {
                "n.$": "States.MathAdd($.n, 1)",
                "trace.$": f"States.Format('{{}} {name}', $.trace)",
            }
    return definition


def choice(rules: list[tuple[int, str]], default: str | None) -> dict:
    """Rules ``$.n == value → next``; a rule ``$.n >= 20 → Stop`` first bounds every cycle."""
    state = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 20, "Next": "Stop"}]
        + [{"Variable": "$.n", "NumericEquals": value, "Next": nxt} for value, nxt in rules],
    }
    if default:
        state["Default"] = default
    return state


STOP = {"Type": "Succeed"}
BOOM = {"Type": "Fail", "Error": "Boom", "Cause": "boom"}


_BLOCK = re.compile(r'(\s*)with run\.in_(?:state|task)\(("(?:[^"\\]|\\.)*"), data(?:, entered_time=True)?\):')


def body_of(definition: dict) -> str:
    """The generated state_machine function without its signature and docstring, each simple
    state written in it (a ``with run.in_state(...)`` block) shown as ``[its function's
    name]``, after ``return`` or ``raise`` when the block ends the machine that way."""
    translation = translate(definition, name="m", outputs=("handler",))
    assert translation.ok, translation.diagnostics
    source = translation.files["handler.py"]
    function = source[source.index("def state_machine(") :].split("\n\n\n")[0]
    lines, out = function.split("\n")[2:], []
    while lines:
        line = lines.pop(0)
        block = _BLOCK.fullmatch(line)
        if block is None:
            out.append(line)
            continue
        indent, body = block.group(1), []
        while lines and lines[0].startswith(indent + "    "):
            line = lines.pop(0)
            if not line.startswith(indent + "     ") and not line.strip().startswith((")", "]", "}")):
                body.append(line.strip())  # a statement's first line
        ending = next((word + " " for word in ("return", "raise") if body and body[-1].startswith(word)), "")
        out.append(f"{indent}{ending}[{translation.workflow.functions[json.loads(block.group(2))]}]")
    return "\n".join(out)


# --------------------------------------------------------------------------- shapes

SHAPES = {
    "sequence": (
        machine({"A": trace_pass("B"), "B": trace_pass()}),
        """
    [a]
    return [b]
""",
    ),
    "choice with a join": (
        machine(
            {
                "C": choice([(1, "A")], "B"),
                "A": trace_pass("J"),
                "B": trace_pass("J"),
                "J": trace_pass(),
                "Stop": STOP,
            }
        ),
        """
    route, data = c(run, data)
    if route == "Stop":
        return [stop]
    elif route == "A":
        [a]
    elif route == "B":
        [b]
    return [j]
""",
    ),
    "failing branch is a guard": (
        machine({"C": choice([(1, "Boom")], "A"), "A": trace_pass(), "Boom": BOOM, "Stop": STOP}),
        """
    route, data = c(run, data)
    if route == "Stop":
        return [stop]
    elif route == "Boom":
        raise [boom]
    return [a]
""",
    ),
    "polling loop": (
        machine(
            {
                "Poll": trace_pass("Done?"),
                "Done?": choice([(3, "Boom")], "Poll"),
                "Boom": BOOM,
                "Stop": STOP,
            }
        ),
        """
    while True:  # loop from 'Poll'
        [poll]
        route, data = done(run, data)
        if route == "Stop":
            break
        elif route == "Boom":
            raise [boom]
    return [stop]
""",
    ),
    "catch joins the normal path": (
        machine(
            {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                    "Next": "Report",
                },
                "Recover": trace_pass("Report"),
                "Report": trace_pass(),
            }
        ),
        """
    route, data = work(run, data)
    if route == "Recover":
        [recover]
    return [report]
""",
    ),
}


@pytest.mark.parametrize("name", SHAPES)
def test_structured_shape(name):
    definition, expected = SHAPES[name]
    assert body_of(with_traces(definition)).strip("\n") == expected.strip("\n")


def test_nested_loops_continue_the_outer_loop_after_a_break():
    definition = with_traces(
        machine(
            {
                "Outer": trace_pass("Inner"),
                "Inner": trace_pass("Again?"),
                "Again?": choice([(2, "Inner"), (4, "Inner")], "Restart?"),
                "Restart?": choice([(3, "Outer"), (6, "Outer")], "Stop"),
                "Stop": STOP,
            }
        )
    )
    body = body_of(definition)
    assert body.count("while True:") == 2 and "break" in body and "rt.run_machine" not in body
    result = run_local(definition, {"n": 0, "trace": ""})
    assert result.status == "SUCCEEDED", result
    assert result.output["trace"] == reference(definition, {"n": 0, "trace": ""})[1]["trace"]


def test_irreducible_cycle_keeps_a_dispatch_loop_and_says_so():
    # A and B form a cycle that can be entered at A (from C) and at B (from C): no single header.
    definition = with_traces(
        machine(
            {
                "C": choice([(0, "A")], "B"),
                "A": trace_pass("B?"),
                "B?": choice([], "B"),
                "B": trace_pass("A?"),
                "A?": choice([], "A"),
                "Stop": STOP,
            }
        )
    )
    translation = translate(definition, name="m")
    dispatch = [d for d in translation.diagnostics if d.code == DISPATCH_LOOP]
    assert [(d.pointer, d.severity.value) for d in dispatch] == [("", "INFO")]
    assert "can be entered at more than one state" in dispatch[0].message
    assert "rt.run_machine(" in translation.files["handler.py"]
    for start in (0, 1):
        event = {"n": start, "trace": ""}
        result = run_local(definition, event)
        assert result.status == "SUCCEEDED", result
        assert result.output == reference(definition, event)[1]


def test_branches_and_iterations_are_named_functions():
    definition = machine(
        {
            "Fan out": {
                "Type": "Parallel",
                "Branches": [machine({"One": {"Type": "Pass", "End": True}}), machine({"Two": {"Type": "Pass", "End": True}})],
                "Next": "Each",
            },
            "Each": {"Type": "Map", "ItemProcessor": machine({"Item": {"Type": "Pass", "End": True}}), "End": True},
        }
    )
    source = translate(definition, name="m").files["handler.py"]
    assert '"""Branch 1 of the Parallel state \'Fan out\'."""' in source
    assert "def fan_out_branch_1(run: rt.Run, data: Any) -> Any:" in source
    assert "def each_iteration(run: rt.Run, data: Any) -> Any:" in source
    assert "rt.parallel(" in source and "[fan_out_branch_1, fan_out_branch_2]" in source
    assert run_local(definition, [1, 2]).output == [[1, 2], [1, 2]]


def test_state_names_that_are_not_plain_identifiers_get_plain_function_names():
    definition = machine({"data": {"Type": "Pass", "Next": "1 Step"}, "1 Step": {"Type": "Pass", "End": True}})
    body = body_of(definition)
    # "data" and "run" are local names in generated functions: states never take them
    assert body == "    [data_2]\n    return [s_1_step]"


# --------------------------------------------------------------------------- random graphs


def reference(definition: dict, event: dict) -> tuple[str, dict]:
    """A reference interpreter for the Pass/Choice/Succeed/Fail machines built here."""
    states, name, data = definition["States"], definition["StartAt"], json.loads(json.dumps(event))
    for _ in range(1000):
        state = states[name]
        if state["Type"] == "Pass":
            data = {"n": data["n"] + 1, "trace": f"{data['trace']} {name}"}
        elif state["Type"] == "Fail":
            return "FAILED", {"error": state["Error"]}
        elif state["Type"] == "Succeed":
            return "SUCCEEDED", data
        if state["Type"] == "Choice":
            chosen = state.get("Default")
            for rule in state["Choices"]:
                if ("NumericGreaterThanEquals" in rule and data["n"] >= rule["NumericGreaterThanEquals"]) or (
                    "NumericEquals" in rule and data["n"] == rule["NumericEquals"]
                ):
                    chosen = rule["Next"]
                    break
            if chosen is None:
                return "FAILED", {"error": "States.NoChoiceMatched"}
            name = chosen
        elif state.get("End"):
            return "SUCCEEDED", data
        else:
            name = state["Next"]
    raise AssertionError("the reference run did not end")


@st.composite
def graphs(draw):
    """Random machines of Pass and Choice states with cycles, joins and exits. Choice states only
    lead to Pass states (or Stop/Boom) and Pass states never loop among themselves, so every
    cycle counts $.n up and passes a Choice, which ends it at $.n >= 20."""
    size = draw(st.integers(2, 9))
    names = [f"S{i}" for i in range(size)]
    kinds = ["Pass"] + [draw(st.sampled_from(["Pass", "Choice"])) for _ in names[1:]]
    passes = [n for n, k in zip(names, kinds) if k == "Pass"]
    choices = [n for n, k in zip(names, kinds) if k == "Choice"]
    exits = ["Stop", "Boom"]
    states: dict = {}
    for i, (name, kind) in enumerate(zip(names, kinds)):
        if kind == "Pass":
            # a Pass goes on to a Choice, a later Pass or the end: every cycle passes a Choice
            later = [n for n in passes if int(n[1:]) > i]
            target = draw(st.sampled_from(choices + later + ["End"]))
            states[name] = trace_pass(None if target == "End" else target)
        else:
            rules = draw(st.lists(st.tuples(st.integers(0, 12), st.sampled_from(passes + exits)), max_size=3))
            default = draw(st.sampled_from(passes + exits + [None]))
            states[name] = choice(rules, default)
    states["Stop"], states["Boom"] = dict(STOP), dict(BOOM)
    # keep what StartAt reaches (unreachable states are a validation error)
    reached, todo = set(), ["S0"]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        state = states[name]
        todo += [r["Next"] for r in state.get("Choices", [])] + [state[k] for k in ("Next", "Default") if state.get(k)]
    return with_traces(machine({n: s for n, s in states.items() if n in reached}, "S0"))


@pytest.mark.slow  # random graphs, each translated and run
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=graphs(), start=st.integers(0, 5))
def test_random_graphs_run_like_the_reference(definition, start):
    event = {"n": start, "trace": ""}
    status, expected = reference(definition, event)
    result = run_local(definition, event)
    assert result.status == status, (definition, result)
    if status == "SUCCEEDED":
        assert result.output == expected, definition
    else:
        assert result.error == expected["error"], definition
    source = translate(definition, name="m").files["handler.py"]
    if DISPATCH_LOOP not in json.dumps([d.code for d in translate(definition, name="m").diagnostics]):
        assert "rt.run_machine(" not in source
    assert not re.search(r"\bstate_machine\(run, data\)", source)


def nested_loops(n: int) -> dict:
    """``n`` states: ``n/2`` Wait states, each the header of a loop closed by one of the Choice
    states after them, innermost first (loops nested ``n/2`` deep: the machine keeps its
    dispatch loop, but finding that out must not cost the square of its size)."""
    m = n // 2
    order = [f"W{i}" for i in range(m)] + [f"C{i}" for i in reversed(range(m))]
    states: dict = {}
    for k, name in enumerate(order):
        nxt = order[k + 1] if k + 1 < len(order) else "Done"
        if name.startswith("W"):
            states[name] = {"Type": "Wait", "Seconds": 1, "Next": nxt}
        else:
            rule = {"Variable": f"$.{name}", "NumericLessThan": 3, "Next": "W" + name[1:]}
            states[name] = {"Type": "Choice", "Choices": [rule], "Default": nxt}
    states["Done"] = {"Type": "Succeed"}
    return {"StartAt": order[0], "States": states}


def test_deeply_nested_loops_are_analysed_in_near_linear_work(monkeypatch):
    """The work of the dominator analyses (nodes in all the dominator trees computed) grows
    about linearly with the machine: only the loops emission reaches are analysed."""
    from asl2durable.lower import structure as module
    from asl2durable.lower.lower import lower

    real = module._immediate_dominators
    work = []

    def counted(root, next_of):
        idom = real(root, next_of)
        work[-1] += len(idom)
        return idom

    monkeypatch.setattr(module, "_immediate_dominators", counted)
    for n in (200, 800):
        work.append(0)
        workflow, _ = lower(nested_loops(n), "m", ())
        [diagnostic] = module.structure(workflow)
        assert diagnostic.code == DISPATCH_LOOP and "nest too deeply" in diagnostic.message
    assert work[1] < 4 * 1.5 * work[0], work  # 4 times the states; the old analysis did 16 times the work
