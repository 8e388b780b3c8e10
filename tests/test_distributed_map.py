"""Distributed Map at scale: a large S3 dataset runs in parts, in child executions of the
function, without any durable operation over AWS's limits and in bounded memory.

The limits every execution (parent and each child) must keep (Lambda quotas page, "Durable
functions"; Step Functions quotas): a checkpointed payload (step result, context result,
error) at most 256 KiB, at most 25,000 operations in an execution's history.
"""

from __future__ import annotations

import json

import pytest

from asl2durable.run.aws_local import moto_aws
from asl2durable.run.local import run_local

pytestmark = pytest.mark.slow  # datasets of thousands of items through S3 in moto

BUCKET = "data-bucket"
CHECKPOINT_LIMIT = 256 * 1024  # bytes of one checkpointed payload
HISTORY_LIMIT = 25_000  # operations in one execution


def _walk(operations: list[dict]):
    for op in operations:
        yield op
        yield from _walk(op.get("children", []))


def assert_within_limits(result) -> dict:
    """Every execution of ``result`` (the parent and each child) kept the limits: run_local's
    strict limits refused nothing, and the histories say so too; returns the largest operation
    count and payload seen."""
    assert result.limits == []
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


# --------------------------------------------------------------------------- parts in child executions
# Small parts (monkeypatched) make a few thousand rows run in several child executions; every
# result must be what the same Map gives when it runs all its items in one execution.


@pytest.fixture
def rt():
    import asl_runtime

    return asl_runtime


def map_module():
    """asl_map, where the runtime's Distributed Map settings live."""
    import asl_map

    return asl_map


@pytest.fixture
def s3():
    with moto_aws():
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def both_ways(rt, monkeypatch, definition: dict, part_items: int, **kwargs) -> tuple:
    """The run in parts of ``part_items``, and the run in one execution."""
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", part_items)
    parts = run_local(definition, {}, timeout=120, **kwargs)
    assert_within_limits(parts)
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 10**6)
    whole = run_local(definition, {}, timeout=120, **kwargs)
    assert not whole.child_operations
    return parts, whole


def test_parts_give_the_outputs_of_one_execution(rt, monkeypatch, s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(2500, width=5))
    parts, whole = both_ways(rt, monkeypatch, machine(), 1000)
    assert len(parts.child_operations) == 3
    assert parts.status == whole.status == "SUCCEEDED"
    assert parts.output == whole.output
    assert parts.output[2499] == {"id": "2499", "index": 2499}


def test_batches_are_those_of_one_execution(rt, monkeypatch, s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(700, width=5))
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Count",
        "States": {"Count": {"Type": "Pass", "Parameters": {"first.$": "$.Items[0].id", "n.$": "States.ArrayLength($.Items)", "i.$": "$$.Map.Item.Index", "b.$": "$.BatchInput"}, "End": True}},
    }
    batcher = {"MaxItemsPerBatch": 7, "MaxInputBytesPerBatch": 300, "BatchInput": {"run": 1}}
    parts, whole = both_ways(rt, monkeypatch, machine(processor=processor, ItemBatcher=batcher), 20)
    assert len(parts.child_operations) > 1
    assert parts.output == whole.output
    assert [o["i"] for o in parts.output] == list(range(len(parts.output)))


def test_a_listing_runs_in_parts(rt, monkeypatch, s3):
    for i in range(30):
        s3.put_object(Bucket=BUCKET, Key=f"in/{i:02}", Body=b"x" * i)
    definition = machine()
    definition["States"]["Rows"]["ItemReader"] = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": BUCKET, "Prefix": "in/"}}
    definition["States"]["Rows"]["ItemProcessor"]["States"]["Pick"]["Parameters"] = {"key.$": "$.Key", "size.$": "$.Size"}
    parts, whole = both_ways(rt, monkeypatch, definition, 8)
    assert len(parts.child_operations) == 4
    assert parts.output == whole.output == [{"key": f"in/{i:02}", "size": i} for i in range(30)]


def failing(on: set[int]) -> dict:
    """A processor that fails (Error "Row.Bad") on the rows whose id is in ``on``."""
    rules = [{"Variable": "$.id", "StringEquals": str(i), "Next": "Bad"} for i in sorted(on)]
    return {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": rules, "Default": "Good"},
            "Bad": {"Type": "Fail", "Error": "Row.Bad", "Cause": "a bad row"},
            "Good": {"Type": "Pass", "End": True},
        },
    }


def test_a_failing_item_fails_the_map_and_the_state_catch_sees_it(rt, monkeypatch, s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(300, width=5))
    definition = machine(processor=failing({250}))
    parts, whole = both_ways(rt, monkeypatch, definition, 100)
    assert (parts.status, parts.error, parts.cause) == (whole.status, whole.error, whole.cause) == ("FAILED", "Row.Bad", "a bad row")
    rows = definition["States"]["Rows"]
    rows["Catch"] = [{"ErrorEquals": ["Row.Bad"], "ResultPath": "$.error", "Next": "Caught"}]
    rows.pop("End")
    rows["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    parts, whole = both_ways(rt, monkeypatch, definition, 100)
    assert parts.status == "SUCCEEDED" and parts.output == whole.output == {"error": {"Error": "Row.Bad", "Cause": "a bad row"}}


@pytest.mark.parametrize(
    "tolerance,status",
    [
        ({"ToleratedFailureCount": 3}, "SUCCEEDED"),
        ({"ToleratedFailureCount": 2}, "FAILED"),
        ({"ToleratedFailurePercentage": 1}, "SUCCEEDED"),  # 3 of 300
        ({"ToleratedFailurePercentage": 0.9}, "FAILED"),
    ],
)
def test_tolerated_failures_are_counted_across_parts(rt, monkeypatch, s3, tolerance, status):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(300, width=5))
    definition = machine(processor=failing({5, 150, 299}), writer=WRITER, **tolerance)
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 100)
    result = run_local(definition, {}, timeout=120)
    assert_within_limits(result)
    assert len(result.child_operations) == 3
    assert result.status == status
    if status == "FAILED":
        assert result.error == "States.ExceedToleratedFailureThreshold"
        return
    manifest = _s3_json(s3, result.output["ResultWriterDetails"]["Key"])
    failed = [record for f in manifest["ResultFiles"]["FAILED"] for record in _s3_json(s3, f["Key"])]
    assert [(json.loads(r["Input"])["id"], r["Error"], r["Cause"]) for r in failed] == [
        ("5", "Row.Bad", "a bad row"), ("150", "Row.Bad", "a bad row"), ("299", "Row.Bad", "a bad row")
    ]
    succeeded = sum(len(_s3_json(s3, f["Key"])) for f in manifest["ResultFiles"]["SUCCEEDED"])
    assert succeeded == 297


def test_without_result_writer_the_output_obeys_the_256_kib_limit(rt, monkeypatch, s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(1500, width=200))
    whole_rows = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Same",
        "States": {"Same": {"Type": "Pass", "End": True}},
    }
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 500)
    result = run_local(machine(processor=whole_rows), {}, timeout=120)
    assert_within_limits(result)
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_without_max_concurrency_a_map_runs_a_bounded_number_of_iterations_at_once(rt):
    """The SDK would start one thread per item; Lambda allows 1,024."""
    seen = {}

    class Context:
        def map(self, items, function, name=None, config=None):
            seen["max_concurrency"] = config.max_concurrency
            raise StopIteration

    run = rt.Run(Context(), {"Id": "x"}, {"Name": "m"})
    run.at("M")
    with pytest.raises(StopIteration):
        rt.map_items(run, list(range(5000)), lambda run, value: value, None)
    assert seen["max_concurrency"] == rt.DEFAULT_MAX_CONCURRENCY <= 1000
    with pytest.raises(StopIteration):
        rt.map_items(run, list(range(5000)), lambda run, value: value, None, max_concurrency=7)
    assert seen["max_concurrency"] == 7


@pytest.mark.parametrize(
    "max_concurrency,expected",
    [(0, (10, 100)), (1, (1, 1)), (3, (3, 1)), (10, (10, 1)), (25, (10, 2)), (1000, (10, 100)), (1001, (11, 91)), (10_000, (100, 100))],
)
def test_max_concurrency_bounds_the_iterations_of_all_parts_together(rt, max_concurrency, expected):
    children, per_child = rt.map_run_concurrency(max_concurrency)
    assert (children, per_child) == expected
    assert children * per_child <= (max_concurrency or map_module().MAP_RUN_CHILDREN * rt.DEFAULT_MAX_CONCURRENCY)
    assert per_child <= rt.DEFAULT_MAX_CONCURRENCY


def test_parts_replay_deterministically(rt, monkeypatch, s3):
    """Every operation followed by a replay of all before it, in the parent and in each child."""
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(90, width=5))
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 30)
    replayed = run_local(machine(), {}, timeout=120, force_replays=True)
    assert replayed.status == "SUCCEEDED", (replayed.error, replayed.cause)
    assert len(replayed.child_operations) == 3
    assert replayed.output == [{"id": str(i), "index": i} for i in range(90)]


def test_a_dataset_of_one_part_runs_in_the_execution_and_its_step_saves_only_the_plan(s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(900, width=50))
    result = run_local(machine(), {}, timeout=120)
    assert result.status == "SUCCEEDED" and len(result.output) == 900
    assert not result.child_operations
    (read,) = [op for op in _walk(result.operations) if op["name"] == "Rows (read items)"]
    plan = json.loads(json.loads(read["result"]))  # a string (the plan as JSON text), then the plan
    assert plan["Count"] == 900 and len(plan["Partitions"]) == 1
    assert len(read["result"]) < 300  # the 900 rows are some 80 KB


def test_the_cost_of_a_run_counts_its_child_executions(rt, monkeypatch, s3):
    from asl2durable.run.behaviour import _run_durable

    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(90, width=5))
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 30)
    counted = _run_durable(machine(), {}, lambdas=None, seed=None, timeout=120)
    assert counted.operations["execution"] == 4  # the parent and its 3 parts
    assert counted.operations["map_iteration"] == 3 + 90
    assert counted.invocations >= 4


def test_a_part_event_too_large_for_a_chained_invoke_fails_the_state(rt, monkeypatch, s3):
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=csv_rows(90, width=5))
    monkeypatch.setattr(map_module(), "MAP_RUN_PART_ITEMS", 30)
    monkeypatch.setattr(map_module(), "CHAINED_INVOKE_PAYLOAD_LIMIT", 64 * 1024 + 500)
    result = run_local(machine(), {"padding": "x" * 600}, timeout=60)
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    assert "chained invoke payload limit" in result.cause
    assert not result.child_operations


def test_a_generated_folder_with_a_distributed_map_type_checks(tmp_path):
    import subprocess
    import sys

    from asl2durable.translate import translate
    from asl2durable.writer import write_translation

    folder = write_translation(translate(machine(writer=WRITER, ItemBatcher={"MaxItemsPerBatch": 5}), name="rows"), tmp_path)
    assert "MAP_RUNS = {" in (folder / "handler.py").read_text()
    modules = sorted(p.name for p in folder.glob("*.py"))
    check = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy"), *modules],
        cwd=folder, capture_output=True, text=True, check=False,
    )
    assert check.returncode == 0, check.stdout[-3000:]
