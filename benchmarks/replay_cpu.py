"""CPU time of one run of a small machine, three ways (not part of the test suite):

* the generated handler (asl2durable's translation) in the durable SDK's local runner;
* a hand-written durable handler for the same workflow (hand_written_handler.py), same runner;
* moto's ASL interpreter running the definition (as ``asl2durable.run.behaviour`` does).

CPU time is the process's (all threads: the local runner and the interpreter run in threads),
the median of ``--runs`` runs, after one warm-up run each; translation is not counted.

    python benchmarks/replay_cpu.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPLAY_MACHINE = {
    "Comment": "Greet, call a Lambda function, wait when it says so",
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Pass", "Result": {"text": "hello"}, "ResultPath": "$.greeting", "Next": "Work"},
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
            "ResultSelector": {"value.$": "$.Payload"},
            "ResultPath": "$.work",
            "Next": "Check",
        },
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.work.value.n", "NumericGreaterThan": 0, "Next": "Pause"}],
            "Default": "Done",
        },
        "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
EVENT = {"n": 1}


def cpu_of(run, runs: int) -> tuple[float, object]:
    result = run()  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.process_time()
        result = run()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import hand_written_handler

    from asl2durable.run.behaviour import _run_interpreter
    from asl2durable.run.local import _runtime, load_handler
    from asl2durable.translate import translate

    rt = _runtime()
    import asl_testing

    translation = translate(REPLAY_MACHINE, name="replay")
    generated = load_handler(translation.files["handler.py"], "replay")
    invoker = rt.local_invoker({"echo": hand_written_handler.echo})

    def run_generated():
        return asl_testing.run_handler(generated.handler, EVENT, invoker=invoker)

    def run_hand_written():
        return asl_testing.run_handler(hand_written_handler.handler, EVENT, invoker=invoker)

    def run_interpreter():
        return _run_interpreter(REPLAY_MACHINE, EVENT, name="replay", invoker=invoker, seed=None, timeout=60)

    figures = {}
    for label, run in (("generated handler", run_generated), ("hand-written handler", run_hand_written),
                       ("moto ASL interpreter", run_interpreter)):
        cpu, result = cpu_of(run, args.runs)
        figures[label] = cpu
        status = getattr(result, "status", None)
        output = getattr(result, "output", None)
        print(f"{label:22s} {cpu * 1000:8.1f} ms CPU per run   ({status}; output {output})")
    base = figures["hand-written handler"]
    print(f"generated / hand-written: {figures['generated handler'] / base:.2f} x")
    print(f"moto interpreter / generated: {figures['moto ASL interpreter'] / figures['generated handler']:.2f} x")


if __name__ == "__main__":
    main()
