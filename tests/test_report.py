"""Tests for ``asl2durable report``: statuses, durable operation counts, the state → handler.py
lines table, the files written, and agreement with ``convert --format json``."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from asl2durable import cli

REALWORLD = Path(__file__).parent / "fixtures" / "corpus" / "realworld"
TEMPLATES = Path(__file__).parent / "fixtures" / "templates"
FN = "arn:aws:lambda:us-east-1:111111111111:function:work"


def task(**fields: object) -> dict:
    return {"Type": "Task", "Resource": FN, **fields}


# name → (definition, expected status)
MACHINES = {
    "exact": ({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "exact"),
    "approximated": (
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ToleratedFailureCount": 1,  # no effect on an inline Map: a WARNING
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        },
        "approximated",
    ),
    "unsupported": ({"StartAt": "T", "States": {"T": task(Resource="${WorkArn}", End=True)}}, "unsupported"),
    "invalid": ({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}, "invalid"),
}

# A small machine whose durable operations are counted by hand: state → operations.
COUNTED = {
    "StartAt": "Call",
    "States": {
        "Call": task(Retry=[{"ErrorEquals": ["States.ALL"]}], Next="Pause"),  # a chained invoke; waits between attempts
        "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Until"},  # a wait
        "Until": {"Type": "Wait", "Timestamp": "2030-01-01T00:00:00Z", "Next": "Both"},  # clock step + wait
        "Both": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": task(End=True)}},
            "Next": "Token",
        },
        "Token": {  # a callback, and the step that hands out its token
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody.$": "$$.Task.Token"},
            "Next": "Job",
        },
        "Job": {  # start, then poll (one wait_for_condition: a step whose attempts are the polls)
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:child"},
            "Next": "Stamp",
        },
        "Stamp": {  # a step reading the clock (the whole field); a step per $uuid() elsewhere
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Output": {"at": "{% $now() %}", "id": "{% $uuid() %}"},
            "Assign": {"a": "{% $uuid() %}", "b": "{% $uuid() %}"},
            "Next": "Id",
        },
        "Id": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "Next": "Done"},  # a step
        "Done": {"Type": "Succeed"},
    },
}
COUNTED_OPERATIONS = {
    "Call": {"invoke": 1, "wait": 1},
    "Pause": {"wait": 1},
    "Until": {"step": 1, "wait": 1},
    "Both": {"parallel": 1},
    "B": {},
    "Each": {"map": 1},
    "Item": {"invoke": 1},
    "Token": {"step": 1, "callback": 1},
    "Job": {"step": 2},
    "Stamp": {"step": 3},
    "Id": {"step": 1},
    "Done": {},
}


def invoke(*args: object):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def write(folder: Path, machines: dict[str, dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, definition in machines.items():
        (folder / f"{name}.asl.json").write_text(json.dumps(definition), encoding="utf-8")
    return folder


def report_of(tmp_path: Path, *paths: object) -> dict:
    result = invoke("report", *paths, "-o", tmp_path / "report")
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))


def by_name(report: dict) -> dict[str, dict]:
    return {m["name"]: m for m in report["machines"]}


def test_statuses(tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {name: definition for name, (definition, _) in MACHINES.items()})
    report = report_of(tmp_path, folder)
    machines = by_name(report)
    assert {name: m["status"] for name, m in machines.items()} == {name: s for name, (_, s) in MACHINES.items()}
    assert report["statuses"] == {"exact": 1, "approximated": 1, "unsupported": 1, "invalid": 1}
    assert [d["code"] for d in machines["exact"]["diagnostics"]] == ["WORKFLOW_TYPE_ASSUMED"]  # an INFO
    assert {d["code"] for d in machines["unsupported"]["diagnostics"]} >= {"UNSUPPORTED_INTEGRATION"}
    assert machines["invalid"]["states"] == [] and machines["invalid"]["state_count"] == 0
    blockers = {b["code"]: b["machines"] for b in report["blockers"]}
    assert blockers["MISSING_TRANSITION_TARGET"] == ["invalid"]
    assert blockers["UNSUPPORTED_INTEGRATION"] == ["unsupported"]


def test_blockers_ranked_by_machines_affected(tmp_path: Path) -> None:
    placeholder = MACHINES["unsupported"][0]
    folder = write(tmp_path / "in", {"a": placeholder, "b": placeholder, "c": MACHINES["invalid"][0]})
    blockers = report_of(tmp_path, folder)["blockers"]
    assert [(b["code"], b["count"], b["machines"]) for b in blockers] == [
        ("UNSUPPORTED_INTEGRATION", 2, ["a", "b"]),
        ("MISSING_TRANSITION_TARGET", 1, ["c"]),
    ]


def test_operation_counts(tmp_path: Path) -> None:
    machine = by_name(report_of(tmp_path, write(tmp_path / "in", {"counted": COUNTED})))["counted"]
    assert machine["status"] == "exact", machine["diagnostics"]
    assert {row["name"]: row["operations"] for row in machine["states"]} == COUNTED_OPERATIONS
    assert machine["state_count"] == 12  # nested states included
    assert machine["operations"] == {"step": 8, "invoke": 2, "wait": 3, "callback": 1, "parallel": 1, "map": 1}


def test_state_table_points_at_handler_lines(tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"counted": COUNTED})
    machine = by_name(report_of(tmp_path, folder))["counted"]
    assert invoke("convert", folder, "-o", tmp_path / "out").exit_code == 0
    lines = (tmp_path / "out" / "counted" / "handler.py").read_text(encoding="utf-8").split("\n")
    for row in machine["states"]:
        first, last = row["lines"]
        if not row["function"]:  # a simple state, written in its machine's body
            block = lines[first - 1]
            assert block.strip().startswith(("with run.in_state(", "with run.in_task(")), row
            assert f'"{row["name"]}"' in block and row["call_sites"] == [first], row
            indent = len(block) - len(block.lstrip())
            assert all(line.startswith(" " * (indent + 4)) for line in lines[first:last]), row
            continue
        assert lines[first - 1].startswith(("@rt.task(", "@rt.state(")) and f'"{row["name"]}"' in lines[first - 1], row
        assert lines[first].startswith(f"def {row['function']}("), row
        assert lines[first + 1].strip().startswith(f'"""{row["name"]} ({row["type"]}'), row
        assert lines[last - 1].startswith("    ") and not lines[last].startswith("    "), row
        assert row["call_sites"], row
        for line in row["call_sites"]:
            assert f"{row['function']}(run, data)" in lines[line - 1], (row, lines[line - 1])


def test_files_written_and_markdown_is_safe(tmp_path: Path) -> None:
    name = "<b>|```x"  # HTML, a table pipe, and a code fence inside the handler's comments
    folder = write(tmp_path / "in", {"m": {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}})
    report_of(tmp_path, folder)
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    prose, fence, code = text.partition("````python\n")  # a fence longer than the name's
    assert "| [m](#1) | exact | 1 |" in prose
    assert "| \\<b\\>\\|\\`\\`\\`x | Pass |" in prose and "<b>" not in prose
    assert fence and "def state_machine(" in code and code.endswith("\n````\n")
    first = (tmp_path / "report" / "report.json").read_bytes()
    report_of(tmp_path, folder)
    assert (tmp_path / "report" / "report.json").read_bytes() == first  # deterministic

    only_json = tmp_path / "only-json"
    assert invoke("report", folder, "-o", only_json, "--format", "json").exit_code == 0
    assert sorted(p.name for p in only_json.iterdir()) == ["report.json"]


class Page(HTMLParser):
    """What a test reads off an HTML page: the elements, ids, links, table rows and text."""

    def __init__(self, path: Path):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if "id" in attrs}

    def links(self) -> list[str]:
        return [attrs["href"] for tag, attrs in self.tags if tag == "a" and "href" in attrs]


def test_html_pages(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script> & </pre>'
    folder = write(tmp_path / "in", {
        **{name: definition for name, (definition, _) in MACHINES.items()},
        "counted": COUNTED,
        "hostile": {"StartAt": hostile, "States": {hostile: {"Type": "Pass", "Comment": hostile, "End": True}}},
    })
    report = report_of(tmp_path, folder)
    root = tmp_path / "report"
    index = Page(root / "index.html")
    # The portfolio: a row per machine with the status and counts report.json gives.
    rows = [row for row in index.rows[1:] if len(row) > 3]
    assert len(rows) == len(report["machines"])
    for machine, row in zip(report["machines"], rows):
        assert row[0] == machine["name"] + machine["source"]  # the name, then the source
        assert row[1] == machine["status"] and row[2] == str(machine["state_count"]), row
    # Every link from the portfolio (machines and blockers) opens an existing machine page.
    pages = [href for href in index.links() if href.startswith("machines/")]
    assert len(set(pages)) == len(report["machines"])
    assert all((root / href).is_file() for href in pages)
    blocker_row = next(row for row in index.rows if row and row[0] == "UNSUPPORTED_INTEGRATION")
    assert blocker_row[1:] == ["1", "unsupported"]

    counted = by_name(report)["counted"]
    page = Page(next(root.glob("machines/*-counted.html")))
    ids = page.ids()
    # Each state's row links to its function's first line, and every in-page link has a target.
    for row in counted["states"]:
        assert f"#L{row['lines'][0]}" in page.links()
    assert all(href[1:] in ids for href in page.links() if href.startswith("#"))
    assert {f"L{n}" for n in range(1, max(r["lines"][1] for r in counted["states"]) + 1)} <= ids
    # The diagrams: per machine of the workflow (the top one, the Parallel branch, the Map
    # iteration), the ASL graph beside the handler's structure, each state linked to its code.
    diagrams = [attrs["class"] for tag, attrs in page.tags if tag == "svg"]
    assert diagrams == ["diagram state-graph", "diagram handler-structure"] * 3
    nodes = {attrs["data-state"] for tag, attrs in page.tags if tag == "g" and "data-state" in attrs}
    assert nodes == {row["name"] for row in counted["states"]}
    spans = {attrs.get("class") for tag, attrs in page.tags if tag == "span"}
    assert {"kw", "str", "def", "com"} <= spans  # highlighted

    # Text from the definition is text, never markup: the only script is the page's own.
    hostile_page = Page(next(root.glob("machines/*-hostile.html")))
    assert [tag for tag, _ in hostile_page.tags].count("script") == 1
    assert hostile in "".join(hostile_page.text)
    first = (root / "index.html").read_bytes(), next(root.glob("machines/*-hostile.html")).read_bytes()
    report_of(tmp_path, folder)
    assert ((root / "index.html").read_bytes(), next(root.glob("machines/*-hostile.html")).read_bytes()) == first

    # A later report into the same folder leaves no page of a machine it no longer has.
    (folder / "hostile.asl.json").unlink()
    report_of(tmp_path, folder)
    assert not list(root.glob("machines/*-hostile.html"))
    assert len(list(root.glob("machines/*.html"))) == len(report["machines"]) - 1


@pytest.mark.parametrize("inputs", ["definitions", "templates"])
def test_agrees_with_convert(tmp_path: Path, inputs: str) -> None:
    if inputs == "templates":  # SAM/CloudFormation templates and describe-state-machine output
        folder = TEMPLATES
    else:
        definitions = {name: definition for name, (definition, _) in MACHINES.items()}
        folder = write(tmp_path / "in", {**definitions, "counted": COUNTED})
        (folder / "broken.json").write_text("{not json", encoding="utf-8")
    machines = by_name(report_of(tmp_path, folder))
    printed = json.loads(invoke("convert", folder, "-o", tmp_path / "out", "--format", "json").stdout)
    converted = [r for r in printed if not r["skipped"] and r.get("kind") != "template"]
    assert len(converted) == len(machines) == 6
    for record in converted:
        machine = machines[record["name"]]
        assert machine["source"] == record["source"]
        assert machine["diagnostics"] == record["diagnostics"]
        assert (machine["status"] == "invalid") == (not record["converted"])


@pytest.mark.parametrize(
    ("inputs", "code", "bar"),
    [
        (["exact"], 0, False),
        (["exact", "invalid"], 0, True),
        (["broken"], 1, False),  # nothing could be read
    ],
)
def test_exit_code_and_progress_bar(tmp_path: Path, inputs: list[str], code: int, bar: bool) -> None:
    folder = write(tmp_path / "in", {n: MACHINES[n][0] for n in inputs if n in MACHINES})
    if "broken" in inputs:
        (folder / "broken.asl.json").write_text("{not json", encoding="utf-8")
    result = invoke("report", folder, "-o", tmp_path / "report")
    assert result.exit_code == code, result.output
    assert ("Reporting" in result.stderr) == bar
    rows = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))["machines"]
    assert sorted(r["name"] for r in rows) == sorted(inputs)


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert invoke("report", tmp_path / "nope", "-o", tmp_path / "report").exit_code == 2


@pytest.mark.slow  # the whole corpus through report
def test_realworld_corpus_in_one_command(tmp_path: Path) -> None:
    report = report_of(tmp_path, REALWORLD)
    assert len(report["machines"]) == 170
    assert not [m["name"] for m in report["machines"] if m["status"] == "invalid"]
    assert "INTERNAL_ERROR" not in {b["code"] for b in report["blockers"]}
    assert sum(report["statuses"].values()) == 170


def test_behaviour_sections(tmp_path: Path) -> None:
    from asl2durable.run.behaviour import Comparison, RunResult
    from asl2durable.report.report import Report, machine_report, write_report
    from asl2durable.translate import translate

    definition = MACHINES["exact"][0]
    machine = machine_report("m", "m.asl.json", [], translate(definition, name="m"))
    machine.comparisons = [
        Comparison({"a": 1}, "same", "", RunResult("SUCCEEDED", {"a": 1}), RunResult("SUCCEEDED", {"a": 1})),
        Comparison(
            {"a": "<2>"}, "differs", "output.a", RunResult("SUCCEEDED", {"a": "<2>"}), RunResult("SUCCEEDED", {"a": 3}),
            [{"path": "output.a", "expected": "<2>", "actual": 3}],
        ),
        Comparison({}, "could not compare", "JSONata: moto cannot evaluate it"),
    ]
    write_report(Report([machine]), tmp_path, ("html", "md", "json"))
    index = Page(tmp_path / "index.html")
    assert "1 same, 1 differs, 1 could not compare" in "".join(index.text)
    page = Page(next(tmp_path.glob("machines/*.html")))
    text = "".join(page.text)
    assert "Input 2: differs" in text and '"<2>"' in text and "JSONata: moto cannot evaluate it" in text
    diff_rows = [row for row in page.rows if row and row[0] == "output.a"]
    assert diff_rows == [["output.a", '"<2>"', "3"]]
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert '| 2 | differs | `output.a`: Step Functions `"<2>"`, durable `3` |' in markdown
    assert "| 3 | could not compare | JSONata: moto cannot evaluate it |" in markdown
    assert [c["verdict"] for c in json.loads((tmp_path / "report.json").read_text())["machines"][0]["behaviour"]] == [
        "same", "differs", "could not compare",
    ]


# --------------------------------------------------------------------------- counts and runs

_TOKEN_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "MessageBody.$": "$$.Task.Token"},
    "End": True,
}
# Machines whose every state runs once (a Map over one item, every branch): what the report counts
# for them (once per place in the code) is what a run does.
RUN_ONCE = {
    "task": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}},
    "task with a timeout": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "TimeoutSeconds": 5, "End": True}}},
    "wait": {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "Next": "U"},
        "U": {"Type": "Wait", "TimestampPath": "$.until", "End": True},
    }},
    "parallel": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": FN, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "End": True}}},
    ]}}},
    "map": {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": FN, "End": True}}},
    }}},
    "callback": {"StartAt": "C", "States": {"C": _TOKEN_TASK}},
    "clock and random values": {"StartAt": "S", "States": {
        "S": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"at": "{% $now() %}", "id": "{% $uuid() %}"},
              "Assign": {"a": "{% $uuid() %}"}, "Next": "Id"},
        "Id": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True},
    }},
}


@pytest.mark.parametrize("name", list(RUN_ONCE))
def test_the_reports_operation_counts_are_what_a_run_records(name: str) -> None:
    """The report's durable operations (ir.operations, per state) against the operations a local
    run checkpoints (LocalResult.operations, counted as the cost estimate counts them)."""
    import datetime

    from asl2durable.run.aws_local import moto_aws
    from asl2durable.run.behaviour import count_operations
    from asl2durable.run.local import run_local
    from asl2durable.report.report import OPERATIONS, machine_report
    from asl2durable.translate import translate

    definition = RUN_ONCE[name]
    translation = translate(definition)
    counted = machine_report(name, "", translation.diagnostics, translation).operations
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with moto_aws({"queues": ["q"]}):
        result = run_local(
            definition, {"items": [1], "until": until}, lambdas={"work": lambda event, context: {"done": True}},
            callbacks=lambda request: {"output": {"answered": True}},
        )
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    recorded = count_operations(result.operations)
    assert counted == {kind: recorded[kind] for kind in OPERATIONS if recorded.get(kind)}
    assert counted  # each machine does something durable
