"""The mutation figure of the generated tests over the real-world corpus (README, "Generated tests").

Each definition of tests/fixtures/corpus/realworld gets up to ``--per-operator`` mutants of each
operator (tests/mutation.py: ResultPath, static Parameters values, Choice thresholds and strings,
Retry MaxAttempts and ErrorEquals, Catch targets, Fail names), chosen with a generator seeded by
the file name; the ORIGINAL's generated tests run against each mutant's handler. A mutant is
killed when a test that passes on the original fails; mutants whose handler is byte-identical to
the original's are not counted. Prints the share killed overall and by operator, and writes
every mutant's result as JSON (``--out``).

    python benchmarks/mutation.py [--per-operator 2] [-j 4] [--out mutation.json] [FILES...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import mutation  # tests/mutation.py

CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "realworld"


def _check(job: tuple[str, int]) -> dict:
    import logging

    logging.getLogger("aws_durable_execution_sdk_python").setLevel(logging.CRITICAL)
    path, per_operator = job
    name = Path(path).name.removesuffix(".asl.json")
    started = time.time()
    try:
        definition = json.loads(Path(path).read_text(encoding="utf-8"))
        result = mutation.check(definition, name, per_operator=per_operator, seed=Path(path).name)
    except Exception as err:  # noqa: BLE001 - one machine's crash is reported, not fatal
        return {"machine": name, "error": f"{type(err).__name__}: {err}", "results": [], "tests": 0, "failing": []}
    return {
        "machine": name,
        "tests": result.tests,
        "failing": result.failing,
        "error": result.error,
        "seconds": round(time.time() - started, 1),
        "results": [r.__dict__ for r in result.results],
    }


def table(results: list[mutation.Result]) -> str:
    rows = mutation.summary(results)
    lines = ["| operator | mutants | killed | share |", "|---|---:|---:|---:|"]
    for op in (*mutation.OPERATORS, "all"):
        row = rows.get(op, {"mutants": 0, "killed": 0, "identical": 0})
        share = f"{100 * row['killed'] / row['mutants']:.0f} %" if row["mutants"] else "-"
        label = f"**{op}**" if op == "all" else op
        lines.append(f"| {label} | {row['mutants']} | {row['killed']} | {share} |")
    identical = rows.get("all", {}).get("identical", 0)
    lines.append(f"\n({identical} mutants with a byte-identical handler not counted)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--per-operator", type=int, default=2)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("mutation.json"))
    args = parser.parse_args()
    files = sorted(args.files or CORPUS.glob("*.asl.json"))
    started = time.time()
    machines = []
    with multiprocessing.get_context("spawn").Pool(args.jobs, maxtasksperchild=10) as pool:
        for i, done in enumerate(pool.imap_unordered(_check, [(str(f), args.per_operator) for f in files]), 1):
            machines.append(done)
            print(f"[{i}/{len(files)}] {done['machine']}: {sum(r['status'] == 'killed' for r in done['results'])} killed of "
                  f"{sum(r['status'] in ('killed', 'survived') for r in done['results'])} {done.get('error') or ''}", file=sys.stderr)
    machines.sort(key=lambda m: m["machine"])
    args.out.write_text(json.dumps(machines, indent=1), encoding="utf-8")
    results = [mutation.Result(**r) for m in machines for r in m["results"]]
    print(table(results))
    failing = sum(len(m["failing"]) for m in machines)
    print(f"\n{len(files)} definitions, {sum(m['tests'] for m in machines)} generated tests passing on the original "
          f"({failing} failing), {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
