"""Distributed Map at scale: a large S3 dataset runs in parts, in child executions of the
function, without any durable operation over AWS's limits and in bounded memory.

The limits every execution (parent and each child) must keep (Lambda quotas page, "Durable
functions"; Step Functions quotas): a checkpointed payload (step result, context result,
error) at most 256 KiB, at most 25,000 operations in an execution's history.
"""

from __future__ import annotations

import gc
import json
import tracemalloc

import pytest

from asl2durable.aws_local import moto_aws
from asl2durable.local import run_local

BUCKET = "data-bucket"
CHECKPOINT_LIMIT = 256 * 1024  # bytes of one checkpointed payload
HISTORY_LIMIT = 25_000  # operations in one execution


def _walk(operations: list[dict]):
    for op in operations:
        yield op
        yield from _walk(op.get("children", []))


def assert_within_limits(result) -> dict:
    """Every execution of ``result`` (the parent and each child) keeps the limits; returns the
    largest operation count and payload seen. (To be replaced by run_local's strict limits.)"""
    largest = {"operations": 0, "payload": 0}
    for operations in [result.operations, *result.child_operations]:
        ops = list(_walk(operations))
        assert len(ops) < HISTORY_LIMIT
        largest["operations"] = max(largest["operations"], len(ops))
        for op in ops:
            size = len((op.get("result") or "").encode("utf-8"))
            assert size <= CHECKPOINT_LIMIT, f"{op['name']}: {size} bytes"
            largest["payload"] = max(largest["payload"], size)
    return largest


def csv_rows(count: int, width: int = 200) -> bytes:
    pad = "x" * width
    return ("id,name,pad\n" + "".join(f'{i},"name, {i}",{pad}\n' for i in range(count))).encode()


def machine(*, writer: dict | None = None, processor: dict | None = None, **fields) -> dict:
    state = {
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV"},
            "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"},
        },
        "ItemProcessor": processor
        or {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Pick",
            "States": {"Pick": {"Type": "Pass", "Parameters": {"id.$": "$.id", "index.$": "$$.Map.Item.Index"}, "End": True}},
        },
        "End": True,
        **fields,
    }
    if writer is not None:
        state["ResultWriter"] = writer
    return {"StartAt": "Rows", "States": {"Rows": state}}


WRITER = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "out"}}


def _s3_json(client, key: str):
    return json.loads(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_a_20000_row_csv_with_result_writer_keeps_every_limit_in_bounded_memory(monkeypatch):
    import asl_itemio  # the support module the generated handler imports

    rows = 20_000
    reads: list[int] = []
    read_partition = asl_itemio.read_partition
    monkeypatch.setattr(asl_itemio, "read_partition", lambda *a: reads.append(len(r := read_partition(*a))) or r)
    monkeypatch.setattr(asl_itemio, "read_items", lambda *a: pytest.fail("the whole dataset was read"))
    with moto_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(rows))
        result = run_local(machine(writer=WRITER), {}, timeout=300)

        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert_within_limits(result)
        assert len(result.child_operations) == rows // 1000
        manifest = _s3_json(s3, result.output["ResultWriterDetails"]["Key"])
        files = manifest["ResultFiles"]["SUCCEEDED"]
        assert [f["Key"].rsplit("/", 1)[1] for f in files] == [f"SUCCEEDED_{i}.json" for i in range(rows // 1000)]
        assert not manifest["ResultFiles"]["FAILED"]
        last = _s3_json(s3, files[-1]["Key"])
        assert len(last) == 1000
        assert json.loads(last[-1]["Output"]) == {"id": str(rows - 1), "index": rows - 1}
        assert json.loads(last[-1]["Input"])["name"] == f"name, {rows - 1}"
    # bounded memory: the plan streams the object; each child holds one part's items
    assert sorted(reads) == [1000] * (rows // 1000)
