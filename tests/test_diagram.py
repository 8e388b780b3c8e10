"""SVG diagrams of the HTML report: the state graph and the handler structure of each machine.

The pictures are checked by what they contain (nodes, edges, labels, links, escaping) on the
parsed XML, not against stored copies.
"""

import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from asl2durable.report import diagram

from asl2durable.lower import ir
from asl2durable.diagnostics import has_errors
from asl2durable.lower.lower import lower
from asl2durable.lower.structure import structure
from asl2durable.validate import validate

SVG = "{http://www.w3.org/2000/svg}"
HERE = Path(__file__).parent
CORPUS = sorted((HERE / "fixtures" / "corpus" / "realworld").glob("*.asl.json"))
EXAMPLES = HERE.parent / "examples"


def workflow_of(definition: dict) -> ir.Workflow:
    """The structured IR of a valid definition (what ``translate`` builds, without rendering)."""
    assert not has_errors(validate(definition))
    workflow, _ = lower(definition, "x")
    structure(workflow)
    return workflow


def example(name: str) -> ir.Workflow:
    return workflow_of(json.loads((EXAMPLES / f"{name}.asl.json").read_text(encoding="utf-8")))


def chain(names: list[str]) -> dict:
    """Pass states in a row."""
    states = {n: {"Type": "Pass", "Next": m} for n, m in itertools.pairwise(names)}
    states[names[-1]] = {"Type": "Pass", "End": True}
    return {"StartAt": names[0], "States": states}


def nodes(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "node" in g.get("class", "").split()]


def edges(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "edge" in g.get("class", "").split()]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def expected_pairs(machine: ir.Machine) -> set[tuple[str, str]]:
    """The distinct (source, target) transitions, read from the IR independently of diagram.py."""
    pairs = set()
    for name, state in machine.states.items():
        targets = [r.next for r in getattr(state, "rules", [])] + [getattr(state, "default", None)]
        targets += [getattr(state, "next", None)] + [c.next for c in getattr(state, "catch", [])]
        pairs |= {(name, t) for t in targets if t is not None}
    return pairs


def statement_states(body: tuple) -> list[str]:
    """The states the statements of a body run, in order, with repetitions."""
    out = []
    for s in body:
        if isinstance(s, (ir.Call, ir.Finish, ir.Raise, ir.Route)):
            out.append(s.state)
        if isinstance(s, ir.Route):
            for case in s.cases:
                out += statement_states(case.body)
        if isinstance(s, ir.Loop):
            out += statement_states(s.body)
    return out


def check_state_graph(machine: ir.Machine, text: str) -> ET.Element:
    svg = ET.fromstring(text)
    assert svg.tag == f"{SVG}svg" and svg.get("class") == "diagram state-graph"
    assert svg.get("role") == "img" and svg.get("aria-label") and svg.find(f"{SVG}title") is not None
    assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"
    names = [g.get("data-state") for g in nodes(svg)]
    assert sorted(names) == sorted(machine.states), "every state exactly once"
    pairs = [(g.get("data-from"), g.get("data-to")) for g in edges(svg)]
    assert len(pairs) == len(set(pairs)) and set(pairs) == expected_pairs(machine)
    return svg


def check_structure(machine: ir.Machine, text: str) -> ET.Element:
    svg = ET.fromstring(text)
    assert svg.tag == f"{SVG}svg" and svg.get("class") == "diagram handler-structure"
    assert svg.get("role") == "img" and svg.get("aria-label")
    if machine.body is not None:
        assert [g.get("data-state") for g in nodes(svg)] == statement_states(machine.body)
    return svg


# --------------------------------------------------------------------------- the corpus


def test_every_corpus_machine_gives_two_well_formed_diagrams():
    """All machines of the 170 real-world definitions."""
    assert len(CORPUS) == 170
    for source in CORPUS:
        workflow = workflow_of(json.loads(source.read_text(encoding="utf-8")))
        for machine in workflow.machines():
            graph = diagram.state_graph(machine, link=lambda name: "#L1")
            boxes = diagram.handler_structure(machine, workflow, link=lambda name: "#L1")
            check_state_graph(machine, graph)
            check_structure(machine, boxes)


# --------------------------------------------------------------------------- the state graph


def test_a_loop_is_drawn_as_a_dashed_back_edge():
    workflow = example("polling-loop")
    svg = check_state_graph(workflow.root, diagram.state_graph(workflow.root))
    back = [g for g in edges(svg) if "back-edge" in g.get("class").split()]
    assert [(g.get("data-from"), g.get("data-to")) for g in back] == [("Finished?", "Wait 30 seconds")]
    assert back[0].find(f"{SVG}path").get("stroke-dasharray")
    assert texts(back[0]) == ["default"]


def test_choice_rules_default_and_catch_are_labelled():
    workflow = example("order-processing")
    svg = check_state_graph(workflow.root, diagram.state_graph(workflow.root))
    labels = {(g.get("data-from"), g.get("data-to")): texts(g) for g in edges(svg)}
    assert labels[("Is valid?", "Charge card")] == ["rule 1"]
    assert labels[("Is valid?", "Rejected")] == ["default"]
    assert labels[("Charge card", "Rejected")] == ["catch: PaymentDeclined"]
    assert labels[("Validate order", "Is valid?")] == []


@pytest.mark.parametrize(
    ("state", "kind", "classes"),
    [
        ({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": True}, "Task", {"task", "terminal"}),
        ({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Z"}], "Default": "Z"}, "Choice", {"choice"}),
        ({"Type": "Wait", "Seconds": 1, "Next": "Z"}, "Wait", {"wait"}),
        ({"Type": "Succeed"}, "Succeed", {"succeed", "terminal"}),
        ({"Type": "Fail", "Error": "E"}, "Fail", {"fail", "terminal"}),
        (
            {"Type": "Parallel", "Next": "Z", "Branches": [chain(["b1"]), chain(["b2"]), chain(["b3"])]},
            "Parallel (3 branches)",
            {"parallel"},
        ),
        ({"Type": "Map", "Next": "Z", "ItemProcessor": chain(["item"])}, "Map", {"map"}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_node_says_its_type_and_terminal_states_stand_out(state, kind, classes):
    states = {"A": state, "Z": {"Type": "Pass", "End": True}} if '"Z"' in json.dumps(state) else {"A": state}
    workflow = workflow_of({"StartAt": "A", "States": states})
    svg = check_state_graph(workflow.root, diagram.state_graph(workflow.root))
    node = next(g for g in nodes(svg) if g.get("data-state") == "A")
    assert texts(node) == ["A", kind]
    assert set(node.get("class").split()) == {"node", *classes}


def test_start_marker():
    workflow = example("polling-loop")
    svg = ET.fromstring(diagram.state_graph(workflow.root))
    assert len([g for g in svg.iter(f"{SVG}g") if g.get("class") == "start"]) == 1


def test_long_names_are_cut_and_kept_whole_in_the_title():
    name = "Process the incoming order and notify every downstream system about it"
    workflow = workflow_of(chain([name, "B"]))
    node = next(g for g in nodes(ET.fromstring(diagram.state_graph(workflow.root))) if g.get("data-state") == name)
    shown = texts(node)[0]
    assert shown.endswith("…") and len(shown) < len(name)
    assert node.find(f"{SVG}title").text.startswith(name)


# --------------------------------------------------------------------------- the handler structure


def test_structure_mirrors_the_printed_body():
    workflow = example("polling-loop")
    svg = check_structure(workflow.root, diagram.handler_structure(workflow.root, workflow))
    classes = [g.get("class") for g in svg.iter(f"{SVG}g")]
    assert "loop" in classes and "break" in classes and "case" in classes
    code = texts(svg)
    assert "def state_machine(run, data):" in code
    assert "while True:  # loop from 'Wait 30 seconds'" in code
    assert "route, data = finished(run, data)" in code
    assert "if route == 'Publish':" in code and "elif route == 'Job failed':" in code
    assert 'with run.in_state("Job failed", data): …' in code  # simple states: written in the body
    assert 'with run.in_state("Publish", data): …' in code


def test_a_state_shows_its_name():
    """A simple state is its with block, which names it; a state that is a function shows its
    function, and its name too where the function is renamed (``s_class`` for "class")."""
    workflow = workflow_of(chain(["Check: the order", "class"]))
    svg = check_structure(workflow.root, diagram.handler_structure(workflow.root, workflow))
    first, second = nodes(svg)
    assert texts(first) == ['with run.in_state("Check: the order", data): …']
    assert texts(second) == ['with run.in_state("class", data): …']
    workflow.inline = frozenset()  # as functions
    svg = check_structure(workflow.root, diagram.handler_structure(workflow.root, workflow))
    plain, renamed = nodes(svg)
    assert texts(plain) == ["data = check_the_order(run, data)"]
    assert texts(renamed) == ["return s_class(run, data)", "class"]


def test_a_dispatch_loop_is_one_box_with_its_reason():
    # A and B both enter the cycle B <-> C: an irreducible graph
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}], "Default": "C"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.y", "IsPresent": True, "Next": "C"}], "Default": "D"},
            "C": {"Type": "Pass", "Next": "B"},
            "D": {"Type": "Succeed"},
        },
    }
    workflow = workflow_of(definition)
    assert workflow.root.body is None
    svg = check_structure(workflow.root, diagram.handler_structure(workflow.root, workflow))
    box = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "dispatch")
    assert "A dispatch loop runs these states" in texts(box)
    assert workflow.root.dispatch_reason in box.find(f"{SVG}title").text


# --------------------------------------------------------------------------- links, ids, escaping


@pytest.mark.parametrize("draw", ["state_graph", "handler_structure"])
def test_links_wrap_the_nodes_they_are_given_for(draw):
    workflow = example("order-processing")
    lines = {name: f"#L{i}" for i, name in enumerate(workflow.root.states, 1) if name != "Done"}
    args = (workflow.root, workflow) if draw == "handler_structure" else (workflow.root,)
    svg = ET.fromstring(getattr(diagram, draw)(*args, link=lines.get))
    anchors = list(svg.iter(f"{SVG}a"))
    assert anchors
    for a in anchors:
        (node,) = nodes(a)
        assert a.get("href") == lines[node.get("data-state")]
    linked = {node.get("data-state") for a in anchors for node in nodes(a)}
    assert "Done" not in linked
    assert not list(ET.fromstring(getattr(diagram, draw)(*args)).iter(f"{SVG}a"))


def test_marker_ids_are_unique_per_machine_and_resolve():
    branches = [chain([f"b{i}a", f"b{i}b"]) for i in range(3)]
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": branches, "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": chain(["item"]), "End": True},
        },
    }
    workflow = workflow_of(definition)
    ids = []
    for machine in workflow.machines():
        text = diagram.state_graph(machine) + diagram.handler_structure(machine, workflow)
        for svg in (ET.fromstring(t) for t in text.replace("</svg><svg", "</svg>\0<svg").split("\0")):
            own = [e.get("id") for e in svg.iter() if e.get("id")]
            ids += own
            for e in svg.iter():
                if e.get("marker-end"):
                    assert e.get("marker-end").removeprefix("url(#").removesuffix(")") in own
    assert len(workflow.machines()) == 5
    assert len(ids) == len(set(ids)) == 5


HOSTILE = [
    "<script>alert(1)</script>",
    'say "hi" & \'bye\'',
    "]]><script>x</script><![CDATA[",
    "line\nbreak",
    "para\u2028graph\u2029sep",
    "</svg><svg onload=alert(1)>",
    "&amp; &lt; &#60;",
    "日本語の状態",
]


def test_hostile_names_stay_text():
    """Names, error names and labels from the definition never become markup."""
    states = {}
    for name, following in itertools.pairwise(HOSTILE):
        states[name] = {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:1:function:f",
            "Next": following,
            "Catch": [{"ErrorEquals": ["<script>e</script>", 'Err"&'], "Next": HOSTILE[-1]}],
        }
    states[HOSTILE[-1]] = {"Type": "Fail", "Error": "<b>"}
    workflow = workflow_of({"StartAt": HOSTILE[0], "States": states})
    machine = workflow.root
    for text in (
        diagram.state_graph(machine, link=lambda name: "#" + name),
        diagram.handler_structure(machine, workflow, link=lambda name: "#" + name),
    ):
        svg = ET.fromstring(text)
        assert not [e for e in svg.iter() if e.tag.endswith("script") or e.tag.endswith("foreignObject")]
        assert not [e for e in svg.iter() for attribute in e.attrib if attribute.startswith("on")]
        found = [g.get("data-state") for g in nodes(svg)]
        assert set(found) == set(HOSTILE)
        for a in svg.iter(f"{SVG}a"):
            assert a.get("href") == "#" + nodes(a)[0].get("data-state")
        titles = {g.get("data-state"): g.find(f"{SVG}title").text for g in nodes(svg)}
        assert all(titles[name].startswith(name) for name in HOSTILE)
    svg = ET.fromstring(diagram.state_graph(machine))
    catch = [t for g in edges(svg) for t in texts(g) if t.startswith("catch")]
    assert catch and all(t.startswith("catch: <script>e</script>, Err\"&") or t.endswith("…") for t in catch)


def test_characters_xml_cannot_hold_are_replaced():
    name = "nul\x00 and bell\x07"
    workflow = workflow_of(chain([name, "B"]))
    svg = ET.fromstring(diagram.state_graph(workflow.root))
    assert {g.get("data-state") for g in nodes(svg)} == {"nul\ufffd and bell\ufffd", "B"}


# --------------------------------------------------------------------------- determinism and speed


def test_output_is_deterministic():
    source = (EXAMPLES / "order-processing.asl.json").read_text(encoding="utf-8")
    first, second = workflow_of(json.loads(source)), workflow_of(json.loads(source))
    for a, b in zip(first.machines(), second.machines()):
        assert diagram.state_graph(a) == diagram.state_graph(b) == diagram.state_graph(a)
        assert diagram.handler_structure(a, first) == diagram.handler_structure(b, second)


def choices(count: int) -> dict:
    """Choice states that skip ahead and loop back, with Pass states in between."""
    states: dict = {}
    for i in range(count):
        rules = [
            {"Variable": "$.a", "NumericEquals": 1, "Next": f"P{min(i + 3, count - 1)}"},
            {"Variable": "$.b", "NumericEquals": 2, "Next": f"P{max(i - 2, 0)}"},
            {"Variable": "$.c", "NumericEquals": 3, "Next": f"P{(i * 7) % count}"},
        ]
        states[f"C{i}"] = {"Type": "Choice", "Choices": rules, "Default": f"P{i}"}
        states[f"P{i}"] = {"Type": "Pass", "Next": f"C{i + 1}"} if i + 1 < count else {"Type": "Succeed"}
    return {"StartAt": "C0", "States": states}


@pytest.mark.parametrize(
    ("definition", "states"),
    [(chain([f"S{i}" for i in range(1000)]), 1000), (choices(150), 300)],
    ids=["chain-1000", "choices-300"],
)
def test_large_machines_draw_whole(definition, states):
    """Large machines are drawn whole (how long it takes is for benchmarks, not tests)."""
    workflow = workflow_of(definition)
    assert len(workflow.root.states) == states
    graph = diagram.state_graph(workflow.root)
    boxes = diagram.handler_structure(workflow.root, workflow)
    check_state_graph(workflow.root, graph)
    check_structure(workflow.root, boxes)


def test_transitions_to_one_target_share_an_edge_and_a_self_loop_is_a_back_edge():
    rule = {"Variable": "$.a", "IsPresent": True}
    definition = {
        "StartAt": "Again?",
        "States": {
            "Again?": {
                "Type": "Choice",
                "Choices": [{**rule, "Next": "Done"}, {**rule, "Next": "Again?"}, {**rule, "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    workflow = workflow_of(definition)
    svg = check_state_graph(workflow.root, diagram.state_graph(workflow.root))
    labels = {(g.get("data-from"), g.get("data-to"), g.get("class")): texts(g) for g in edges(svg)}
    assert labels == {
        ("Again?", "Done", "edge"): ["rule 1, rule 3, default"],
        ("Again?", "Again?", "edge back-edge"): ["rule 2"],
    }
