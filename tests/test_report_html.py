"""The HTML report in a real browser (headless Chromium, see tests/browser.py).

``asl2durable report`` over examples/ (and one invalid machine, so that there is a blocker
and a page without a translation, and one machine with sample inputs, so that there is a
behaviour check and a cost estimate) writes ``index.html`` and ``machines/*.html``.  Every page
is opened twice, with JavaScript and without, and must load with no console error, no
exception and no request for anything but local files; its links must lead somewhere; the
pages of translated machines must show their diagrams (``svg.diagram.state-graph`` and
``svg.diagram.handler-structure``, one of each per machine of the workflow, with a non-zero
size) and link each state to its lines (``#L<n>``) in the highlighted code (``pre.code``).
With JavaScript, hovering every state (``[data-state]``) highlights it and raises no error.

Screenshots of the index and of one machine page are saved in build/test-artifacts/ (never
committed) to look at.
"""

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser import chromium_fixture  # noqa: F401 - the `chromium` fixture
from click.testing import CliRunner

from asl2durable.cli import main

pytestmark = pytest.mark.slow  # a browser opens the reports

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "build" / "test-artifacts"

# Not translated: an error (a transition to a missing state), so also a blocker of the batch.
INVALID_MACHINE = {"StartAt": "Nowhere", "States": {"Only": {"Type": "Pass", "End": True}}}
# With sample inputs (``report --inputs``): its page also has the behaviour check and the cost.
SAMPLED_MACHINE = {
    "StartAt": "Which",
    "States": {
        "Which": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "NumericGreaterThan": 1, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
    },
}
SAMPLE_INPUTS = [{"x": 1}, {"x": 2}]

# What the tests look at in a page, in one round trip.
FACTS = """(() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const svgs = kind => [...document.querySelectorAll('svg.diagram.' + kind)].map(box);
  // HTML and SVG links alike (an SVG <a> may use xlink:href; its .href is not a string).
  const links = [...document.querySelectorAll('a')].map(a => {
    const href = a.getAttribute('href') ?? a.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
    return href === null ? null : {
      href, url: new URL(href, document.baseURI).href, text: a.textContent.trim(), svg: !!a.closest('svg'),
    };
  }).filter(link => link !== null);
  return {
    title: document.title,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    links,
    lineLinks: links.filter(link => /^#L\\d+$/.test(link.href)).map(link => {
      const target = document.getElementById(link.href.slice(1));
      return {href: link.href, svg: link.svg, exists: !!target, inCode: !!(target && target.closest('pre.code'))};
    }),
    stateGraphs: svgs('state-graph'),
    handlerStructures: svgs('handler-structure'),
    codeBlocks: document.querySelectorAll('pre.code').length,
  };
})()"""


def run_report(*args: str) -> None:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, f"asl2durable report {' '.join(args)}:\n{result.output}\n{result.exception!r}"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("machines")
    for example in sorted((REPO / "examples").glob("*.asl.json")):
        shutil.copy(example, folder)
    (folder / "broken.asl.json").write_text(json.dumps(INVALID_MACHINE))
    (folder / "sampled.asl.json").write_text(json.dumps(SAMPLED_MACHINE))
    return folder


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "sampled.json").write_text(json.dumps(SAMPLE_INPUTS))
    return folder


@pytest.fixture(scope="module")
def report(inputs, samples, tmp_path_factory) -> Path:
    """The report folder, written with the default formats (and the behaviour check)."""
    out = tmp_path_factory.mktemp("report")
    run_report(str(inputs), "-o", str(out), "--inputs", str(samples))
    assert (out / "index.html").is_file(), "asl2durable report wrote no index.html (is the HTML report there yet?)"
    return out


@pytest.fixture(scope="module")
def statuses(report) -> dict[str, str]:
    """Machine name -> status, from report.json."""
    return {m["name"]: m["status"] for m in json.loads((report / "report.json").read_text())["machines"]}


@pytest.fixture(scope="module")
def blockers(report) -> list[dict]:
    return json.loads((report / "report.json").read_text())["blockers"]


def machine_pages(report: Path) -> list[Path]:
    return sorted((report / "machines").glob("*.html"))


def path_of(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


@pytest.fixture(scope="module", params=[True, False], ids=["javascript", "no-javascript"])
def pages(request, chromium, report) -> dict[Path, dict]:
    """Every page of the report opened (with or without JavaScript): path -> what was seen."""
    seen = {}
    for path in [report / "index.html", *machine_pages(report)]:
        with chromium.open_page(path, javascript=request.param) as page:
            facts = page.evaluate(FACTS)
            page.collect()
            facts.update(errors=page.errors, requests=page.requests, remote=page.remote_requests)
            seen[path] = facts
    return seen


def translated_pages(report: Path, pages: dict[Path, dict], statuses: dict[str, str]) -> dict[str, Path]:
    """Machine name -> its page, for the machines that were translated (the index's links)."""
    return translated(pages[report / "index.html"]["links"], statuses)


def translated(links: list[dict], statuses: dict[str, str]) -> dict[str, Path]:
    """Machine name -> its page, for the machines that were translated, from the index's ``links``."""
    found = {}
    for name, status in statuses.items():
        targets = [path_of(link["url"]) for link in links if link["text"] == name and link["url"].startswith("file:")]
        assert targets, f"index.html has no link named {name!r} (links: {[link['text'] for link in links]})"
        if status != "invalid":
            found[name] = targets[0]
    return found


# --------------------------------------------------------------------------------------


def test_html_alone_is_written_with_format_html(inputs, tmp_path):
    run_report(str(inputs), "-o", str(tmp_path), "--format", "html")
    assert (tmp_path / "index.html").is_file()
    assert len(machine_pages(tmp_path)) == 4
    assert not (tmp_path / "report.json").exists() and not (tmp_path / "report.md").exists()


def test_every_machine_has_a_page(report, statuses):
    assert len(machine_pages(report)) == len(statuses) == 4


def test_pages_load_without_errors_or_remote_requests(pages):
    problems = {
        path.name: {"errors": facts["errors"], "remote requests": facts["remote"]}
        for path, facts in pages.items()
        if facts["errors"] or facts["remote"]
    }
    assert problems == {}
    for path, facts in pages.items():
        assert facts["requests"][0] == path.as_uri()  # the page itself was what loaded
        assert facts["title"], f"{path.name} has no title"


def test_index_links_each_machine_name_to_its_page(report, pages, statuses):
    index = pages[report / "index.html"]
    linked = {path_of(link["url"]) for link in index["links"] if link["url"].startswith("file:")}
    assert set(machine_pages(report)) <= linked, "every machine page is linked from index.html"
    for name in statuses:
        targets = {path_of(link["url"]) for link in index["links"] if link["text"] == name}
        assert targets and all(t.is_file() and t.parent == report / "machines" for t in targets), name


def test_index_links_blockers_to_machine_pages(report, pages, blockers):
    assert blockers, "the invalid machine is a blocker"
    index = pages[report / "index.html"]
    # Each blocked machine: its link in the table of machines, and one more in the blockers.
    for blocker in blockers:
        for name in blocker["machines"]:
            (page,) = {path_of(link["url"]) for link in index["links"] if link["text"] == name}
            links = [link for link in index["links"] if link["url"].startswith("file:") and path_of(link["url"]) == page]
            assert len(links) >= 2, f"blocker {blocker['code']}: no link to {name}'s page besides the table's"


def test_local_links_resolve(pages):
    broken = []
    for path, facts in pages.items():
        for link in facts["links"]:
            url = urlsplit(link["url"])
            if url.scheme != "file":
                continue
            target = path_of(link["url"])
            if not target.is_file():
                broken.append((path.name, link["href"], "no such file"))
            elif url.fragment and target in pages and unquote(url.fragment) not in pages[target]["ids"]:
                broken.append((path.name, link["href"], "no such id"))
    assert broken == []


def test_translated_machines_show_their_diagrams(report, pages, statuses):
    translated = translated_pages(report, pages, statuses)
    assert translated, "some example translates"
    for name, path in translated.items():
        facts = pages[path]
        graphs, structures = facts["stateGraphs"], facts["handlerStructures"]
        assert len(graphs) >= 1 and len(structures) >= 1, f"{name}: {len(graphs)} state graphs, {len(structures)} handler structures"
        assert len(graphs) == len(structures), f"{name}: one of each per machine of the workflow"
        for width, height in graphs + structures:
            assert width > 0 and height > 0, f"{name}: a diagram with no size ({width} x {height})"


def test_state_tables_link_to_lines_of_the_code(report, pages, statuses):
    for name, path in translated_pages(report, pages, statuses).items():
        facts = pages[path]
        assert facts["codeBlocks"] >= 1, f"{name}: no pre.code"
        assert facts["lineLinks"], f"{name}: no #L links"
        missing = [link["href"] for link in facts["lineLinks"] if not (link["exists"] and link["inCode"])]
        assert missing == [], f"{name}: line links without their line in pre.code"


def test_screenshots(chromium, report, statuses):
    """Not a check: pictures of the index and of one translated machine in build/test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    with chromium.open_page(report / "index.html") as page:
        shots = [page.screenshot(ARTIFACTS / "report-index.png")]
        links = page.evaluate(FACTS)["links"]
    name = next(name for name, status in sorted(statuses.items()) if status != "invalid")
    url = next(link["url"] for link in links if link["text"] == name)
    with chromium.open_page(url) as page:
        shots.append(page.screenshot(ARTIFACTS / f"report-machine-{path_of(url).stem}.png"))
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# Hover each element of a state (data-state, in the diagrams and the tables), as a mouse
# would; say which of them the page's script highlighted.
HOVER = """(() => {
  const hovered = [];
  for (const el of document.querySelectorAll('[data-state]')) {
    el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    const name = el.getAttribute('data-state');
    const same = [...document.querySelectorAll('[data-state]')].filter(e => e.getAttribute('data-state') === name);
    hovered.push({name, highlighted: same.every(e => e.classList.contains('highlight'))});
  }
  return hovered;
})()"""


def test_hovering_states_raises_no_error(chromium, report, statuses):
    """The pages' one script (hovering a state highlights it everywhere) runs without error."""
    with chromium.open_page(report / "index.html") as index:
        pages = translated(index.evaluate(FACTS)["links"], statuses)
    for name, path in pages.items():
        with chromium.open_page(path) as page:
            hovered = page.evaluate(HOVER)
            page.collect()
            assert page.errors == [], name
            assert [h["name"] for h in hovered if not h["highlighted"]] == [], f"{name}: states not highlighted"


def test_the_sampled_machine_shows_its_behaviour_check_and_cost(report, pages):
    machines = json.loads((report / "report.json").read_text())["machines"]
    (sampled,) = [m for m in machines if m["name"] == "sampled"]
    assert len(sampled["behaviour"]) == len(SAMPLE_INPUTS), "the behaviour check ran on each input"
    (path,) = [p for p in machine_pages(report) if p.stem.endswith("sampled")]
    assert {"behaviour", "cost"} <= set(pages[path]["ids"]), "the sections #behaviour and #cost"


def test_realworld_corpus_report_opens_without_errors(chromium, tmp_path):
    """The issue's bar: the report over the real-world corpus, in one command, opens in the
    browser: every page without an error or a remote request, each translated machine's page
    with its diagrams, and the portfolio with a row per machine of report.json."""
    run_report(str(REPO / "tests" / "fixtures" / "corpus" / "realworld"), "-o", str(tmp_path), "--format", "html",
               "--format", "json")
    machines = json.loads((tmp_path / "report.json").read_text())["machines"]
    assert len(machines) == len(machine_pages(tmp_path)) == 170
    with chromium.open_page(tmp_path / "index.html") as index:
        facts = index.evaluate(FACTS)
        rows = index.evaluate("document.querySelectorAll('table.machines tbody tr').length")
        index.collect()
        assert (index.errors, index.remote_requests) == ([], [])
    assert rows == len(machines)
    pages = translated(facts["links"], {m["name"]: m["status"] for m in machines})
    problems = {}
    for name, path in pages.items():
        with chromium.open_page(path) as page:
            seen = page.evaluate(FACTS)
            page.collect()
            if page.errors or page.remote_requests or not seen["stateGraphs"] or (
                len(seen["stateGraphs"]) != len(seen["handlerStructures"])
            ):
                problems[name] = (page.errors, page.remote_requests, len(seen["stateGraphs"]), len(seen["handlerStructures"]))
    assert problems == {}
