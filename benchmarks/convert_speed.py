"""Conversion speed, measured in one run (not part of the test suite):

* start-up, as whole processes (``python -m asl2durable.cli`` with the repository first on the
  path), the median of several runs each after one run not counted (a warm start, as a user's
  second run: Python's bytecode and asl2durable's cache folder filled): ``--help``, ``validate``
  of one small definition, ``convert`` of the order-processing example into a fresh folder;
  and the corpus through ``convert`` at its default settings (no ``-j``: one job per CPU);
* the real-world corpus (tests/fixtures/corpus/realworld) through ``asl2durable convert``, with
  one job and with ``-j 2``: definitions per second (wall clock, including start-up), and the
  CPU seconds used per definition (all processes; what the figure would be on an idle machine,
  where wall clock also counts other programs' load);
* the corpus through ``translate()`` in this process: CPU per definition, the part of it that
  is black (the formatting stage) as it runs, and black's floor: one pass over the finished
  files, which black leaves unchanged (what formatting would cost if the templates already
  wrote black's layout), timed beside each pass, with the collection of the syntax trees that
  pass leaves (black on its own collects them as it runs; the figure without it is printed
  too, see ``black_measured``);
* ``translate()`` of synthetic machines of 100, 1,000 and 10,000 states (a chain of Pass, Task,
  Choice and Wait states with a polling loop every 25 states, see synthetic.py): seconds, CPU
  seconds, and time per state at each size with its ratio to the smallest size's (1.0 is
  linear growth), and black's part and floor as above.

    python benchmarks/convert_speed.py [--sizes 100,1000,10000] [--skip-corpus] [--startup-only] [--runs 5]
    python benchmarks/convert_speed.py --skip-convert --sizes ""   # only the corpus through translate()

``--skip-convert`` leaves out the whole processes (start-up and ``convert``), ``--sizes ""`` the
synthetic machines: what is left is the in-process figure, quick to repeat on a busy machine.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "realworld"
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import chain

from asl2durable.render import render
from asl2durable.translate import translate

# The start-up commands timed: (label, arguments after ``-m asl2durable.cli``); OUT is a fresh folder.
STARTUP = [
    ("--help", ["--help"]),
    ("validate examples/polling-loop.asl.json", ["validate", str(EXAMPLES / "polling-loop.asl.json")]),
    ("convert examples/order-processing.asl.json", ["convert", str(EXAMPLES / "order-processing.asl.json"), "-o", "OUT"]),
]


def cli(args: list[str]) -> subprocess.CompletedProcess:
    """One whole ``asl2durable`` process, this checkout's code first on the path (its bytecode
    written and used, as an installed package's is); run in the checkout, as ``-m`` puts the
    working folder first on the path."""
    return subprocess.run(
        [sys.executable, "-m", "asl2durable.cli", *args], env=_env(), cwd=ROOT, capture_output=True, text=True,
        check=False,
    )


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def check_the_code_timed() -> None:
    """Stop unless the processes timed import this checkout's package (not an installed one)."""
    done = subprocess.run(
        [sys.executable, "-c", "import asl2durable; print(asl2durable.__file__)"], env=_env(), cwd=ROOT,
        capture_output=True, text=True, check=True,
    )
    if Path(done.stdout.strip()).resolve().parent != ROOT / "asl2durable":
        raise SystemExit(f"the processes would time {done.stdout.strip()}, not {ROOT / 'asl2durable'}")


def startup_seconds(args: list[str], runs: int) -> tuple[float, float]:
    """The median wall time and CPU time of ``runs`` whole processes (each converting into a
    new folder), after one more that is not counted. The CPU time is what the wall time would
    be on an idle machine, less waiting for the disk."""
    times, cpus = [], []
    for _ in range(runs + 1):
        with tempfile.TemporaryDirectory() as out:
            argv = [str(Path(out) / "out") if a == "OUT" else a for a in args]
            start, cpu = time.perf_counter(), children_cpu()
            done = cli(argv)
            times.append(time.perf_counter() - start)
            cpus.append(children_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return statistics.median(times[1:]), statistics.median(cpus[1:])


def startup(runs: int) -> None:
    for label, args in STARTUP:
        wall, cpu = startup_seconds(args, runs)
        print(f"start-up, {label}: {wall:.2f} s, {cpu:.2f} s CPU (medians of {runs})")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def corpus_throughput(jobs: int | None) -> tuple[int, float, float]:
    """Convert the corpus in one process tree: ``-j jobs``, or the default with None."""
    n = len(list(CORPUS.glob("*.asl.json")))
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), children_cpu()
        done = cli(["convert", str(CORPUS), "-o", out, *([] if jobs is None else ["-j", str(jobs)])])
        elapsed, cpu = time.perf_counter() - start, children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"convert failed:\n{done.stdout}\n{done.stderr}")
    return n, elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up timings")
    parser.add_argument("--skip-convert", action="store_true", help="no whole processes: no start-up, no convert")
    parser.add_argument("--runs", type=int, default=5, help="runs per start-up timing (the median is shown)")
    args = parser.parse_args()
    check_the_code_timed()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.skip_convert:
        startup(args.runs)
    if args.startup_only:
        return
    if not args.skip_corpus and not args.skip_convert:
        n, elapsed, cpu = corpus_throughput(None)
        print(f"corpus, convert (default jobs): {n} definitions in {elapsed:.1f} s = {n / elapsed:.2f} definitions/s;"
              f" {cpu:.1f} s CPU")
        serial = None
        for jobs in (1, 2):
            n, elapsed, cpu = corpus_throughput(jobs)
            rate = n / elapsed
            serial = serial or rate
            print(f"corpus, convert -j {jobs}: {n} definitions in {elapsed:.1f} s = {rate:.2f} definitions/s"
                  f" ({rate / serial:.2f} x one job); {cpu:.1f} s CPU = {cpu / n * 1000:.0f} ms CPU per definition")
    translate(chain(10))  # imports, templates, schema
    if not args.skip_corpus:
        definitions = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.asl.json"))]
        n = len(definitions)
        with black_measured() as black:
            cpu = time.process_time()
            for definition in definitions:
                translate(definition)
            cpu = time.process_time() - cpu - black.floor()  # (the floor's passes ran in the loop)
        floor, bare = black.floor(), black.floor_cpu
        print(f"corpus, translate() in one process: {cpu / n * 1000:.0f} ms CPU per definition, of which black"
              f" {black.cpu / n * 1000:.0f} ms as it runs; black's floor {floor / n * 1000:.0f} ms"
              f" ({cpu / floor:.2f} x the floor; {cpu / bare:.2f} x its pass without the collection of its trees)")
    base = None
    for n in (int(size) for size in args.sizes.split(",") if size.strip()):
        definition = chain(n)
        with black_measured() as black:
            wall, cpu = time.perf_counter(), time.process_time()
            translation = translate(definition)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        wall, cpu = wall - black.floor_wall - black.aside_wall, cpu - black.floor()  # (the floor's passes ran within)
        assert translation.ok, translation.diagnostics
        per_state = cpu / n * 1000
        base = base or per_state
        lines = translation.files["handler.py"].count("\n")
        print(f"synthetic {n:>6} states: {wall:7.2f} s ({cpu:7.2f} s CPU), {per_state:5.2f} ms CPU per state,"
              f" growth {per_state / base:4.2f} x per state; handler.py {lines} lines;"
              f" black {black.cpu:.1f} s CPU as it runs, floor {black.floor():.1f} s")


class BlackTime:
    """The CPU time spent in the formatting stage, and the files it wrote."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.formatted: list[str] = []
        self.floor_cpu = 0.0
        self.floor_wall = 0.0
        # collecting the floor passes' syntax trees (part of the floor)
        self.aside_cpu = 0.0
        self.aside_wall = 0.0

    def floor(self) -> float:
        """CPU time of black over its own output: one pass, nothing left to change, and the
        collection of the syntax trees it leaves. Each file's pass is timed right after the
        stage formats it, so a burst of load on a shared machine lands on both figures alike
        (not on one of them, as a pass over all the files after the run would let it)."""
        return self.floor_cpu + self.aside_cpu


@contextlib.contextmanager
def black_measured() -> Iterator[BlackTime]:
    measured, real = BlackTime(), render.format_python

    def timed(source: str) -> str:
        cpu = time.process_time()
        out = real(source)
        measured.cpu += time.process_time() - cpu
        measured.formatted.append(out)
        # Black runs with the collector paused (render.format_python): its syntax trees are
        # collected after it. Those of the stage's pass are collected here, in the conversion's
        # figure as in a run without the floor; those of the floor's pass right after it, in
        # the floor's figure: collecting its trees is part of what a black pass costs (black on
        # its own collects them as it runs). Left to the collector's next rounds, they used to
        # land in the conversion's figure (about 4 ms per corpus definition). ``aside`` keeps
        # that collection's share of the floor, for the figure without it.
        gc.collect(0)
        wall, cpu = time.perf_counter(), time.process_time()
        assert real(out) == out
        measured.floor_cpu += time.process_time() - cpu
        measured.floor_wall += time.perf_counter() - wall
        wall, cpu = time.perf_counter(), time.process_time()
        gc.collect(0)
        measured.aside_cpu += time.process_time() - cpu
        measured.aside_wall += time.perf_counter() - wall
        return out

    render.format_python = timed
    try:
        yield measured
    finally:
        render.format_python = real


if __name__ == "__main__":
    main()
