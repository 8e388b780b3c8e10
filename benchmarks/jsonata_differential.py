"""Differential check of asl_jsonata against the reference implementation (issue 20, item 4).

Not part of the test suite: it needs Node.js and npm. It installs jsonata-js 2.0.6 (the version
Step Functions implements) with npm into a temporary folder, then evaluates random expressions
(hypothesis) over random JSON documents in both, and compares them as the reference suite's test
does (tests/test_jsonata_suite.py): equal results, both undefined, or errors with the same code.

    python benchmarks/jsonata_differential.py [--examples 2000] [--seed 0] [--show 20]
    python benchmarks/jsonata_differential.py --suite-messages

It prints the number of cases, how many agree, and the disagreements grouped by the first
function or operator of the expression, with an example of each. ``--suite-messages`` instead
writes tests/fixtures/jsonata-suite/messages.json: jsonata-js's code and message for each case
of the reference suite that expects an error (the cause Step Functions gives quotes it), which
tests/test_jsonata_suite.py compares with ours.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "fixtures" / "jsonata-suite"
sys.path.insert(0, str(ROOT))

from asl2durable.runtime import asl_jsonata  # noqa: E402

VERSION = "2.0.6"

# A Node.js worker: one JSON line in ({"expr", "data"}), one JSON line out.
WORKER = r"""
const jsonata = require("jsonata");
const readline = require("readline");
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { expr, data, bindings } = JSON.parse(line);
  let out;
  try {
    const result = await jsonata(expr).evaluate(data === null ? undefined : data.value, bindings);
    if (result === undefined) out = { kind: "undefined" };
    else if (typeof result === "function") out = { kind: "function" };
    else out = { kind: "value", value: JSON.parse(JSON.stringify(result, (k, v) =>
      typeof v === "number" && !isFinite(v) ? String(v) : v)) };
  } catch (e) {
    out = { kind: "error", code: e.code || null, message: String(e.message) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"""

# ---- random JSON and random expressions ------------------------------------------------------

NAMES = ["a", "b", "c", "name", "price", "items"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**17, max_value=10**17),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(alphabet="abcXYZ 0-9.,éß", max_size=8),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(NAMES), children, max_size=4)
    ),
    max_leaves=12,
)


def _literal(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


UNARY = [
    "$string", "$number", "$boolean", "$not", "$exists", "$type", "$count", "$sum", "$max", "$min",
    "$average", "$uppercase", "$lowercase", "$trim", "$length", "$keys", "$reverse", "$sort",
    "$distinct", "$abs", "$floor", "$ceil", "$round", "$sqrt", "$spread", "$each", "$merge",
    "$base64encode", "$encodeUrlComponent", "$decodeUrl", "$formatBase", "$fromMillis", "$toMillis",
]
BINARY = [
    "$join", "$split", "$contains", "$substring", "$substringBefore", "$substringAfter", "$append",
    "$lookup", "$power", "$round", "$pad", "$formatNumber", "$formatInteger", "$zip", "$replace",
]
OPERATORS = ["+", "-", "*", "/", "%", "&", "=", "!=", "<", "<=", ">", ">=", "and", "or", "in"]

leaves = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(["$", "$$", "*", "**", "items[0]", "a.b", "a[b]", "items[-1]", "items#$i"]),
    scalars.map(_literal),
)


def _expressions(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, st.sampled_from(OPERATORS), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(children, children).map(lambda t: f"{t[0]}.{t[1]}"),
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(st.sampled_from(NAMES), children).map(lambda t: f'{{"{t[0]}": {t[1]}}}'),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        children.map(lambda e: f"-{e}"),
    )


expressions = st.recursive(leaves, _expressions, max_leaves=6)

# ---- the two evaluators -----------------------------------------------------------------------

_UNDEFINED = object()


def ours(expr: str, data: object) -> dict:
    try:
        result = asl_jsonata.evaluate_document(expr, data, {}, undefined=_UNDEFINED)
    except asl_jsonata.QueryEvaluationError as error:
        return {"kind": "error", "code": error.code, "message": str(error)}
    except Exception as error:  # noqa: BLE001 - a crash of the evaluator is a finding too
        return {"kind": "crash", "message": repr(error)}
    return {"kind": "undefined"} if result is _UNDEFINED else {"kind": "value", "value": result}


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        # as doubles: JavaScript writes 2**53 and above with 17 significant digits at most
        # ("-58767160781386250"), where Step Functions keeps the double's exact whole value
        return float(a) == float(b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def agree(mine: dict, reference: dict) -> bool:
    if reference["kind"] == "function":  # Step Functions rejects a function result itself
        return mine["kind"] == "error"
    if mine["kind"] != reference["kind"]:
        return False
    if mine["kind"] == "error":
        return mine["code"] == reference["code"] or (reference["code"] is None and mine["code"] is None)
    return mine["kind"] == "undefined" or _same(mine["value"], reference["value"])


def _install(folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed: install Node.js")
    subprocess.run([npm, "init", "-y"], cwd=folder, check=True, capture_output=True)
    subprocess.run([npm, "install", "--silent", f"jsonata@{VERSION}"], cwd=folder, check=True)
    (folder / "worker.js").write_text(WORKER, encoding="utf-8")


def _suite_messages(reference) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import test_jsonata_suite as suite

    messages = {}
    for name, case in suite.CASES:
        # the runner's own guard (depth, time limit) is not jsonata-js's to word
        if ("code" in case or "error" in case) and "timelimit" not in case:
            document = suite._document(case)
            document = _UNDEFINED if document is suite._UNDEFINED else document
            found = reference(case["expr"], document, case.get("bindings"))
            if found["kind"] == "error":
                messages[name] = {"code": found["code"], "message": found["message"]}
    path = SUITE / "messages.json"
    path.write_text(json.dumps(messages, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(messages)} messages written to {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=20)
    parser.add_argument("--suite-messages", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _install(folder)
        node = subprocess.Popen(
            ["node", "worker.js"], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert node.stdin is not None and node.stdout is not None
        stdin, stdout = node.stdin, node.stdout

        def reference(expr: str, data: object, bindings: dict | None = None) -> dict:
            document = None if data is _UNDEFINED else {"value": data}
            stdin.write(json.dumps({"expr": expr, "data": document, "bindings": bindings}) + "\n")
            stdin.flush()
            return json.loads(stdout.readline())

        if args.suite_messages:
            _suite_messages(reference)
            node.terminate()
            return

        seen: set[tuple[str, str]] = set()
        disagreements: dict[str, list[tuple[str, object, dict, dict]]] = collections.defaultdict(list)
        count = collections.Counter()

        @settings(
            max_examples=args.examples, database=None, deadline=None, derandomize=args.seed == 0,
            suppress_health_check=list(HealthCheck),
        )
        @given(expressions, documents)
        def check(expr: str, data: object) -> None:
            key = (expr, json.dumps(data, sort_keys=True))
            if key in seen:
                return
            seen.add(key)
            mine, theirs = ours(expr, data), reference(expr, data)
            count["cases"] += 1
            if agree(mine, theirs):
                count["agree"] += 1
            else:
                head = expr.lstrip("(-[").split("(")[0] if expr.lstrip("(-[").startswith("$") else "operator/path"
                disagreements[head].append((expr, data, mine, theirs))

        check()
        node.terminate()

    print(f"jsonata-js {VERSION} against asl_jsonata: {count['cases']} cases, {count['agree']} agree, "
          f"{count['cases'] - count['agree']} disagree")
    for head, found in sorted(disagreements.items(), key=lambda item: -len(item[1]))[: args.show]:
        expr, data, mine, theirs = found[0]
        print(f"  {head}: {len(found)}; e.g. {expr}  over {json.dumps(data)[:80]}")
        print(f"      ours: {json.dumps(mine, default=str)[:160]}")
        print(f"      jsonata-js: {json.dumps(theirs)[:160]}")


if __name__ == "__main__":
    main()
