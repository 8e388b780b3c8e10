"""A Distributed Map over a 100,000-row CSV in S3 (moto), with a ResultWriter, run locally
(not part of the test suite): wall time, memory, operations per execution.

Memory is measured three ways, because the local run holds in one process what AWS spreads
over many: the local runner's store keeps every execution's history and moto keeps every S3
object, both growing with the item count, while the function's own work does not:

* ``peak RSS``: the whole process (ru_maxrss) after the run;
* ``planning``: tracemalloc's peak while the plan is made (the step that reads the dataset once);
* ``one part``: tracemalloc's peak while one part's items are read from S3 (what one child
  execution holds besides its results);
* ``parsed dataset``: the items read at once (what a Map that reads its items in one step holds,
  and checkpoints).

The last three read the object from an in-memory stand-in for S3 that serves ranges and
streams without copying the object (moto copies the whole object for every request, and that
copy, S3's memory, would count as the function's).

    python benchmarks/distributed_map.py [--rows 100000] [--width 64] [--memory-only]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUCKET = "data-bucket"
GET = "arn:aws:states:::s3:getObject"
MACHINE = {
    "StartAt": "Rows",
    "States": {
        "Rows": {
            "Type": "Map",
            "ItemReader": {"Resource": GET, "ReaderConfig": {"InputType": "CSV"}, "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"}},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Pick",
                "States": {"Pick": {"Type": "Pass", "Parameters": {"id.$": "$.id", "index.$": "$$.Map.Item.Index"}, "End": True}},
            },
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "out"}},
            "End": True,
        }
    },
}


def csv_rows(count: int, width: int) -> bytes:
    pad = "x" * width
    return ("id,name,pad\n" + "".join(f'{i},"name, {i}",{pad}\n' for i in range(count))).encode()


def traced(function) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = function()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Body:
    def __init__(self, data: memoryview):
        self.data, self.position = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else min(len(self.data), self.position + size)
        chunk = bytes(self.data[self.position : end])
        self.position = end
        return chunk

    def close(self) -> None:
        pass


class _ObjectStandIn:
    """get_object / head_object of one object held in memory (what asl_itemio calls)."""

    def __init__(self, body: bytes):
        self.body = memoryview(body)

    def get_object(self, Range: str | None = None, **_params) -> dict:
        data = self.body
        if Range:
            start, end = Range[len("bytes=") :].split("-")
            data = data[int(start) : int(end) + 1]
        return {"Body": _Body(data), "ETag": '"stand-in"'}

    def head_object(self, **_params) -> dict:
        return {"ETag": '"stand-in"'}


def memory(asl_itemio, body: bytes, part_items: int) -> tuple[int, int, int]:
    """(planning, one part, parsed dataset) peaks in bytes, reading ``body`` from the stand-in."""
    params, config = {"Bucket": BUCKET, "Key": "rows.csv"}, {"InputType": "CSV"}
    client = _ObjectStandIn(body)
    saved = asl_itemio._s3_client
    asl_itemio._s3_client = lambda: client
    try:
        items, parsed = traced(lambda: asl_itemio.read_items(GET, params, config))
        del items
        plan, planning = traced(lambda: asl_itemio.plan_items(GET, params, config, None, part_items))
        _, one_part = traced(lambda: asl_itemio.read_partition(GET, params, config, plan, plan["Partitions"][0]))
    finally:
        asl_itemio._s3_client = saved
    return planning, one_part, parsed


def _operations(operations: list[dict]) -> list[dict]:
    out, stack = [], list(operations)
    while stack:
        op = stack.pop()
        out.append(op)
        stack.extend(op.get("children", []))
    return out


def walk(operations: list[dict]) -> tuple[int, int]:
    """(operations, largest checkpointed payload in bytes) of one execution's history."""
    ops = _operations(operations)
    return len(ops), max((len((op.get("result") or "").encode("utf-8")) for op in ops), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--width", type=int, default=64, help="characters of padding per row")
    parser.add_argument("--memory-only", action="store_true", help="only the memory of planning and of one part")
    args = parser.parse_args()

    import boto3

    from asl2durable.run.aws_local import moto_aws
    from asl2durable.run.local import _runtime, run_local

    rt = _runtime()
    import asl_itemio

    body = csv_rows(args.rows, args.width)
    planning, one_part, parsed = memory(asl_itemio, body, rt.MAP_RUN_PART_ITEMS)
    mib = 1024 * 1024
    print(f"rows: {args.rows:,} ({len(body) / mib:.1f} MiB of CSV)")
    print(f"planning: {planning / mib:.1f} MiB; one part: {one_part / mib:.1f} MiB; parsed dataset: {parsed / mib:.1f} MiB")
    if args.memory_only:
        return
    with moto_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=body)
        plan = asl_itemio.plan_items(GET, {"Bucket": BUCKET, "Key": "rows.csv"}, {"InputType": "CSV"}, None, rt.MAP_RUN_PART_ITEMS)

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = run_local(MACHINE, {}, timeout=3600)
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=result.output["ResultWriterDetails"]["Key"])["Body"].read())

    parent = walk(result.operations)
    children = [walk(ops) for ops in result.child_operations]
    print(f"parts: {len(plan['Partitions'])} of {rt.MAP_RUN_PART_ITEMS:,}")
    print(f"wall time: {seconds:.1f} s ({args.rows / seconds:,.0f} items/s)")
    print(f"peak RSS: {rss / 1024:.0f} MiB (before the run: {rss_before / 1024:.0f} MiB)")
    (read,) = [op for op in _operations(result.operations) if op["name"].endswith("(read items)")]
    print(f"plan (the step result, as checkpointed): {len(read['result'].encode('utf-8')):,} bytes")
    print(f"parent: {parent[0]:,} operations, largest payload {parent[1]:,} bytes")
    print(
        f"children: {len(children)}, {max(c[0] for c in children):,} operations at most, "
        f"largest payload {max(c[1] for c in children):,} bytes"
    )
    print(f"result files: {len(manifest['ResultFiles']['SUCCEEDED'])} SUCCEEDED, {len(manifest['ResultFiles']['FAILED'])} FAILED")


if __name__ == "__main__":
    main()
