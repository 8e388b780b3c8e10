"""How long ``verify`` takes on a long history (not part of the test suite): reading the
history, running the translation as recorded, and comparing the two, each timed on its own.

The machine is a Map over N items whose iterations call a Lambda function through
``lambda:invoke`` and then pass, so the history has 6 + 7 N events (N = 143: 1,007 events).

    python benchmarks/verify.py [--items 143] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asl2durable.load import history as _history
from asl2durable.run import local, verify

FN = "arn:aws:lambda:us-east-1:123456789012:function:double"
DEFINITION = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "MaxConcurrency": 10,
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": FN, "Payload.$": "$"},
                        "ResultSelector": {"n.$": "$.Payload"},
                        "End": True,
                    }
                },
            },
            "End": True,
        }
    },
}


def history(items: int) -> dict:
    """A history as get-execution-history prints it, iterations in order."""
    events: list[dict] = []

    def add(kind: str, previous: int, details: str | None = None, **fields) -> int:
        ident = len(events) + 1
        event = {"timestamp": "2026-11-30T10:00:00.000000+00:00", "type": kind, "id": ident, "previousEventId": previous}
        if details:
            event[details] = {k: json.dumps(v) if k in ("input", "output", "parameters") else v for k, v in fields.items()}
        events.append(event)
        return ident

    data = list(range(items))
    add("ExecutionStarted", 0, "executionStartedEventDetails", input=data, roleArn="arn:aws:iam::123456789012:role/r")
    e = add("MapStateEntered", 1, "stateEnteredEventDetails", name="Each", input=data)
    started = add("MapStateStarted", e, "mapStateStartedEventDetails", length=items)
    e = started
    for i in data:
        e = add("MapIterationStarted", e, "mapIterationStartedEventDetails", name="Each", index=i)
        e = add("TaskStateEntered", e, "stateEnteredEventDetails", name="Double", input=i)
        e = add("TaskScheduled", e, "taskScheduledEventDetails", resourceType="lambda", resource="invoke",
                region="us-east-1", parameters={"FunctionName": FN, "Payload": i})
        e = add("TaskStarted", e, "taskStartedEventDetails", resourceType="lambda", resource="invoke")
        e = add("TaskSucceeded", e, "taskSucceededEventDetails", resourceType="lambda", resource="invoke",
                output={"ExecutedVersion": "$LATEST", "Payload": 2 * i, "StatusCode": 200})
        e = add("TaskStateExited", e, "stateExitedEventDetails", name="Double", output={"n": 2 * i})
        e = add("MapIterationSucceeded", e, "mapIterationSucceededEventDetails", name="Each", index=i)
    e = add("MapStateSucceeded", e)
    output = [{"n": 2 * i} for i in data]
    e = add("MapStateExited", e, "stateExitedEventDetails", name="Each", output=output)
    add("ExecutionSucceeded", e, "executionSucceededEventDetails", output=output)
    return {"events": events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=143)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    doc = history(args.items)
    events = doc["events"]
    prepared = local.prepare(DEFINITION)

    reads, runs, compares = [], [], []
    for _ in range(args.repeat):
        text = json.dumps(doc)
        began = time.perf_counter()
        execution = _history.read(json.loads(text)["events"], DEFINITION)
        reads.append(time.perf_counter() - began)
        comparer = verify.Comparer()
        began = time.perf_counter()
        tracer, result = verify._run(prepared, execution, comparer, timeout=300)
        runs.append(time.perf_counter() - began)
        began = time.perf_counter()
        compare = verify._Compare(comparer, execution)
        found = compare.lane(execution.root, tracer.root, "") or compare.end(result)
        compares.append(time.perf_counter() - began)
        assert found is None, str(found)
    best = min
    print(f"history: {len(events):,} events, {args.items} iterations")
    print(f"read (JSON text to lanes):   {best(reads) * 1000:8.1f} ms")
    print(f"run as recorded (local):     {best(runs) * 1000:8.1f} ms")
    print(f"compare (trace vs history):  {best(compares) * 1000:8.1f} ms")
    print(f"verify without the run:      {(best(reads) + best(compares)) * 1000:8.1f} ms (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
