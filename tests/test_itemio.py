"""Distributed Map item I/O (runtime/asl_itemio.py) against a moto S3.

* Every recorded AWS case with an ItemReader (fixtures/conformance/cases): the case's S3 objects,
  its evaluated ItemReader Parameters / ReaderConfig -> the items AWS iterated (the recorded
  output, since each processor is a plain Pass without ItemSelector) or AWS's error and cause.
* The recorded ResultWriter case: the state result's shape and the S3 layout behind it.
* Tables for what no recording covers: JSONL, ItemsPointer, compression, CSV parsing rules (AWS
  docs), listObjectsV2, LOAD_AND_FLATTEN, S3 inventory and Athena manifests, MaxItems, S3 errors,
  ItemBatcher and the ResultWriter transformations.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest


# The support module is copied next to generated handlers and imports nothing from asl2durable:
# load it from its file, as a handler folder does.
RUNTIME_FILE = Path(__file__).parents[1] / "asl2durable" / "runtime" / "asl_itemio.py"
_spec = importlib.util.spec_from_file_location("asl_itemio", RUNTIME_FILE)
asl_itemio = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(asl_itemio)
ItemIOError = asl_itemio.ItemIOError
batch_items = asl_itemio.batch_items
map_run_arn_for = asl_itemio.map_run_arn_for
parse_delimited = asl_itemio.parse_delimited
read_items = asl_itemio.read_items
write_results = asl_itemio.write_results

CASES_DIR = Path(__file__).parent / "fixtures" / "conformance" / "cases"
GET = "arn:aws:states:::s3:getObject"
LIST = "arn:aws:states:::s3:listObjectsV2"
BUCKET = "data-bucket"


@pytest.fixture(scope="module")
def _aws():
    """One moto S3 for the module (starting moto per test is slow), with fake credentials in
    us-east-1; the code under test creates its own clients."""
    import boto3
    import moto  # a test dependency (pyproject's test extra)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with moto.mock_aws():
            yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def s3(_aws):
    """The module's moto S3, emptied, with BUCKET created."""
    for bucket in _aws.list_buckets()["Buckets"]:
        name = bucket["Name"]
        for page in _aws.get_paginator("list_object_versions").paginate(Bucket=name):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                _aws.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
        _aws.delete_bucket(Bucket=name)
    _aws.create_bucket(Bucket=BUCKET)
    yield _aws


def put(client, key: str, body, bucket: str = BUCKET) -> None:
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    client.put_object(Bucket=bucket, Key=key, Body=body)


def fails(error: str, cause: str | None = None, contains: str | None = None):
    return {"error": error, "cause": cause, "contains": contains}


def check_failure(excinfo, expected: dict) -> None:
    assert excinfo.value.error == expected["error"]
    if expected.get("cause") is not None:
        assert str(excinfo.value) == expected["cause"]
    if expected.get("contains") is not None:
        assert expected["contains"] in str(excinfo.value)


# --------------------------------------------------------------------------- recorded cases


def _case_files(pattern: str) -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.json") if re.search(pattern, p.name))


def _map_state(definition: dict) -> dict:
    return next(s for s in definition["States"].values() if s["Type"] == "Map")


def _evaluate(value, data: dict, variables: dict):
    """The few expression forms the recorded ItemReaders use."""
    if isinstance(value, str):
        if m := re.fullmatch(r"\$\.(\w+)", value):
            return data[m.group(1)]
        if m := re.fullmatch(r"\$(\w+)", value):
            return variables[m.group(1)]
        if m := re.fullmatch(r"\{%\s*\$states\.input\.(\w+)\s*%\}", value):
            return data[m.group(1)]
        if m := re.fullmatch(r"\{%\s*\$\w+\s*:=\s*(\d+)\s*%\}", value):
            return int(m.group(1))
    return value


def _evaluated_reader(case: dict) -> tuple[str, dict, dict]:
    definition, data = case["definition"], case["input"]
    variables: dict = {}
    for state in definition["States"].values():
        variables.update(state.get("Assign", {}))
    reader = _map_state(definition)["ItemReader"]
    params = {}
    for key, value in (reader.get("Parameters") or reader.get("Arguments") or {}).items():
        params[key[:-2] if key.endswith(".$") else key] = _evaluate(value, data, variables)
    config = dict(reader.get("ReaderConfig", {}))
    if "MaxItemsPath" in config:
        config["MaxItems"] = _evaluate(config.pop("MaxItemsPath"), data, variables)
    if "MaxItems" in config:
        config["MaxItems"] = _evaluate(config["MaxItems"], data, variables)
    return reader["Resource"], params, config


READER_CASES = _case_files(r"item_reader|MAX_I")


def test_every_recorded_item_reader_case_is_a_row():
    assert len(READER_CASES) == 16  # 15 test_map_item_reader_* + the MaxItemsPath variable case


@pytest.mark.parametrize("path", READER_CASES, ids=lambda p: p.name.split(".")[2])
def test_recorded_item_reader_case(s3, path):
    case = json.loads(path.read_text())
    processor = _map_state(case["definition"])["ItemProcessor"]
    assert [s["Type"] for s in processor["States"].values()] == ["Pass"]
    assert "ItemSelector" not in _map_state(case["definition"])
    for obj in case["resources"]["s3_objects"]:
        put(s3, obj["Key"], obj["Body"], bucket=obj["Bucket"])
    resource, params, config = _evaluated_reader(case)
    expected = case["expected"]
    if expected["status"] == "SUCCEEDED":
        assert read_items(resource, params, config) == expected["output"]
    else:
        with pytest.raises(ItemIOError) as excinfo:
            read_items(resource, params, config)
        check_failure(excinfo, fails(expected["error"], expected["cause"]))


def test_recorded_result_writer_case(s3):
    case = json.loads(next(iter(_case_files(r"result_writer"))).read_text())
    state = _map_state(case["definition"])
    s3.create_bucket(Bucket="result-bucket")
    results = [{"status": "SUCCEEDED", "input": item, "output": item} for item in case["input"]]
    map_run_id = "0f2ad6f7-7c1e-4f53-8d2e-9b1f6f0c1a2b"
    arn = map_run_arn_for("arn:aws:lambda:us-east-1:111111111111:function:fn", "Machine", state["Label"], map_run_id)
    out = write_results(state["ResultWriter"], results, map_run_id=map_run_id, execution_name="exec-1", map_run_arn=arn)

    expected = case["expected"]["output"]
    assert set(out) == set(expected) and set(out["ResultWriterDetails"]) == {"Bucket", "Key"}
    # The placeholders of the recording stand for the partition, region, machine name and map run id.
    arn_pattern = re.escape(expected["MapRunArn"])
    for placeholder, rx in [
        ("<partition>", r"aws[\w-]*"),
        ("<region>", r"[a-z0-9-]+"),
        ("<ArnPart_0idx>", r"[^:/]+"),
        ("<MapRunArnPart1_0idx>", r"(?P<id>[^:/]+)"),
    ]:
        arn_pattern = arn_pattern.replace(re.escape(placeholder), rx)
    match = re.fullmatch(arn_pattern, out["MapRunArn"])
    assert match and match.group("id") == map_run_id
    assert out["ResultWriterDetails"] == {
        "Bucket": expected["ResultWriterDetails"]["Bucket"],
        "Key": expected["ResultWriterDetails"]["Key"].replace("<MapRunArnPart1_0idx>", map_run_id),
    }
    manifest = json.loads(s3.get_object(Bucket="result-bucket", Key=out["ResultWriterDetails"]["Key"])["Body"].read())
    assert manifest["DestinationBucket"] == "result-bucket" and manifest["MapRunArn"] == out["MapRunArn"]
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    assert succeeded["Key"] == f"mapJobs/{map_run_id}/SUCCEEDED_0.json"
    body = s3.get_object(Bucket="result-bucket", Key=succeeded["Key"])["Body"].read()
    assert succeeded["Size"] == len(body)
    records = json.loads(body)
    assert [json.loads(r["Output"]) for r in records] == ["Hello", "World"]
    assert [json.loads(r["Input"]) for r in records] == ["Hello", "World"]
    assert all(
        r["Status"] == "SUCCEEDED"
        and r["StateMachineArn"] == "arn:aws:states:us-east-1:111111111111:stateMachine:Machine/TestMap"
        and r["ExecutionArn"] == f"arn:aws:states:us-east-1:111111111111:execution:Machine/TestMap:{r['Name']}"
        for r in records
    )


# --------------------------------------------------------------------------- getObject datasets

FACTS = [{"verdict": "true", "n": 1}, {"verdict": "false", "n": 2}, {"verdict": "mostly-true", "n": 3}]

GET_OBJECT_ROWS = [
    # (id, key, body, reader config, expected items or failure)
    ("json", "f.json", json.dumps(FACTS), {"InputType": "JSON"}, FACTS),
    ("json-max-items", "f.json", json.dumps(FACTS), {"InputType": "JSON", "MaxItems": 1}, FACTS[:1]),
    ("json-default-type", "f.json", json.dumps(FACTS), {}, FACTS),
    ("json-scalars", "f.json", "[1, \"a\", null, [2]]", {"InputType": "JSON"}, [1, "a", None, [2]]),
    ("json-empty-array", "f.json", "[]", {"InputType": "JSON"}, []),
    ("json-object", "f.json", '{"Hello": "world"}', {"InputType": "JSON"}, fails("States.ItemReaderFailed", "Attempting to map over non-iterable node.")),
    ("json-scalar", "f.json", "42", {"InputType": "JSON"}, fails("States.ItemReaderFailed", "Attempting to map over non-iterable node.")),
    ("json-invalid", "f.json", "not json", {"InputType": "JSON"}, fails("States.ItemReaderFailed", contains="not valid JSON")),
    ("json-bom", "f.json", "\ufeff[1, 2]", {"InputType": "JSON"}, [1, 2]),
    ("json-pointer", "f.json", json.dumps({"inventory": {"products": {"featured": FACTS}}}),
     {"InputType": "JSON", "ItemsPointer": "/inventory/products/featured"}, FACTS),
    ("json-pointer-index", "f.json", json.dumps({"a": [[1, 2], [3]]}), {"InputType": "JSON", "ItemsPointer": "/a/1"}, [3]),
    ("json-pointer-escapes", "f.json", json.dumps({"a/b": {"~c": [1]}}), {"InputType": "JSON", "ItemsPointer": "/a~1b/~0c"}, [1]),
    ("json-pointer-empty", "f.json", json.dumps(FACTS), {"InputType": "JSON", "ItemsPointer": ""}, FACTS),
    ("json-pointer-missing", "f.json", json.dumps({"records": [1]}), {"InputType": "JSON", "ItemsPointer": "/missing"},
     fails("States.ItemReaderFailed", "The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure.")),
    ("json-pointer-scalar", "f.json", json.dumps({"records": 123}), {"InputType": "JSON", "ItemsPointer": "/records"},
     fails("States.ItemReaderFailed", "Attempting to map over non-iterable node.")),
    ("jsonl", "f.jsonl", "\n".join(json.dumps(f) for f in FACTS), {"InputType": "JSONL"}, FACTS),
    ("jsonl-trailing-newline-crlf-blank-lines", "f.jsonl", '{"a":1}\r\n\r\n  \n[2]\n"s"\n', {"InputType": "JSONL"}, [{"a": 1}, [2], "s"]),
    ("jsonl-max-items", "f.jsonl", "\n".join(json.dumps(f) for f in FACTS), {"InputType": "JSONL", "MaxItems": 2}, FACTS[:2]),
    ("jsonl-invalid-line", "f.jsonl", '{"a":1}\n{oops\n', {"InputType": "JSONL"}, fails("States.ItemReaderFailed", contains="line 2")),
    ("jsonl-empty", "f.jsonl", "", {"InputType": "JSONL"}, []),
    ("gzip-json", "f.json.gz", gzip.compress(json.dumps(FACTS).encode()), {"InputType": "JSON"}, FACTS),
    ("gzip-jsonl-by-magic", "f.jsonl", gzip.compress(b'{"a":1}\n{"a":2}\n'), {"InputType": "JSONL"}, [{"a": 1}, {"a": 2}]),
    ("gzip-corrupt", "f.json.gz", b"\x1f\x8bnot gzip", {"InputType": "JSON"}, fails("States.ItemReaderFailed", contains="GZIP")),
    ("parquet", "f.parquet", b"PAR1", {"InputType": "PARQUET"}, fails("States.ItemReaderFailed", contains="PARQUET")),
    ("unknown-input-type", "f.txt", "x", {"InputType": "XML"}, fails("States.ItemReaderFailed", contains="XML")),
    # CSV (AWS docs "How Step Functions parses input CSV files")
    ("csv-first-row", "f.csv", "a,b\n1,2\n3,4\n", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]),
    ("csv-default-header-location", "f.csv", "a,b\n1,2", {"InputType": "CSV"}, [{"a": "1", "b": "2"}]),
    ("csv-given", "f.csv", "1,2\n3,4", {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["x", "y"]}, [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]),
    ("csv-missing-and-extra-fields", "f.csv", "a,b,c\n1\n1,2,3,4\n", {"InputType": "CSV"}, [{"a": "1", "b": "", "c": ""}, {"a": "1", "b": "2", "c": "3"}]),
    ("csv-pipe", "f.csv", "a|b\n1,5|2\n", {"InputType": "CSV", "CSVDelimiter": "PIPE"}, [{"a": "1,5", "b": "2"}]),
    ("csv-semicolon", "f.csv", "a;b\n1;2\n", {"InputType": "CSV", "CSVDelimiter": "SEMICOLON"}, [{"a": "1", "b": "2"}]),
    ("csv-tab", "f.csv", "a\tb\n1\t2\n", {"InputType": "CSV", "CSVDelimiter": "TAB"}, [{"a": "1", "b": "2"}]),
    ("csv-space", "f.csv", "a b\n1 2\n", {"InputType": "CSV", "CSVDelimiter": "SPACE"}, [{"a": "1", "b": "2"}]),
    ("csv-comma-explicit", "f.csv", "a,b\n1,2\n", {"InputType": "CSV", "CSVDelimiter": "COMMA"}, [{"a": "1", "b": "2"}]),
    ("csv-bad-delimiter", "f.csv", "a,b\n", {"InputType": "CSV", "CSVDelimiter": "COLON"}, fails("States.ItemReaderFailed", contains="COLON")),
    ("csv-duplicate-first-row-headers", "f.csv", "a,a\n1,2\n", {"InputType": "CSV"}, fails("States.ItemReaderFailed", "CSV headers cannot contain duplicates.")),
    ("csv-given-without-headers", "f.csv", "1,2\n", {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}, fails("States.ItemReaderFailed", contains="CSVHeaders")),
    ("csv-empty-file", "f.csv", "", {"InputType": "CSV"}, []),
    ("csv-header-only", "f.csv", "a,b\n", {"InputType": "CSV"}, []),
    ("csv-max-items", "f.csv", "a\n1\n2\n3\n", {"InputType": "CSV", "MaxItems": 2}, [{"a": "1"}, {"a": "2"}]),
    ("csv-crlf", "f.csv", "a,b\r\n1,2\r\n", {"InputType": "CSV"}, [{"a": "1", "b": "2"}]),
    ("csv-gzip", "f.csv.gz", gzip.compress(b"a,b\n1,2\n"), {"InputType": "CSV"}, [{"a": "1", "b": "2"}]),
]


@pytest.mark.parametrize("key,body,config,expected", [r[1:] for r in GET_OBJECT_ROWS], ids=[r[0] for r in GET_OBJECT_ROWS])
def test_get_object_datasets(s3, key, body, config, expected):
    put(s3, key, body)
    params = {"Bucket": BUCKET, "Key": key}
    if isinstance(expected, dict) and "error" in expected:
        with pytest.raises(ItemIOError) as excinfo:
            read_items(GET, params, config)
        check_failure(excinfo, expected)
    else:
        assert read_items(GET, params, config) == expected


def test_get_object_passes_version_id(s3):
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=BUCKET, Key="v.json", Body=b"[1]")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="v.json", Body=b"[2]")
    assert read_items(GET, {"Bucket": BUCKET, "Key": "v.json"}, {"InputType": "JSON"}) == [2]
    assert read_items(GET, {"Bucket": BUCKET, "Key": "v.json", "VersionId": first}, {"InputType": "JSON"}) == [1]


# --------------------------------------------------------------------------- CSV record splitting

DELIMITED_ROWS = [
    # (id, text, delimiter, records)
    ("plain", "a,b\nc,d", ",", [["a", "b"], ["c", "d"]]),
    ("trailing-newline", "a,b\n", ",", [["a", "b"]]),
    ("empty-fields", ",,,\n", ",", [["", "", "", ""]]),
    ("blanks-kept", "   \n", ",", [["   "]]),
    ("empty-line-skipped", "a\n\nb\n", ",", [["a"], ["b"]]),
    ("crlf-and-cr", "a\r\nb\rc", ",", [["a"], ["b"], ["c"]]),
    ("quoted-delimiter-and-newline", '"x,y","1\n2"\n', ",", [["x,y", "1\n2"]]),
    ("doubled-quote", '"say ""hi"""', ",", [['say "hi"']]),
    ("quote-inside-unquoted-field-is-literal", 'ab"c,d', ",", [['ab"c', "d"]]),
    ("doubled-quote-in-unquoted-field", '{""k"":""v""},x', ",", [['{"k":"v"}', "x"]]),
    ("quoted-empty-field", '"",x', ",", [["", "x"]]),
    ("text-after-closing-quote", '"ab"cd,e', ",", [["abcd", "e"]]),
    ("quoted-empty-line-is-a-record", '""\n', ",", [[""]]),
    ("backslash-escapes-backslash", "C:\\\\Program Files\\\\MyApp.exe,6534512", ",", [["C:\\Program Files\\MyApp.exe", "6534512"]]),
    ("backslash-escapes-delimiter", "a\\,b,c", ",", [["a,b", "c"]]),
    ("backslash-escapes-quote", 'a\\"b', ",", [['a"b']]),
    ("backslash-before-other-is-dropped", "a\\xb", ",", [["axb"]]),
    ("backslash-escapes-pipe-not-comma", "a\\|b|c\\,d", "|", [["a|b", "c,d"]]),
    ("trailing-backslash", "a\\", ",", [["a"]]),
    # The AWS docs' example row (CSVHeaders MyLetters, MyNumbers, MyString, MyObject, MyArray).
    ("aws-docs-example",
     'abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n)",{""MyKey"":""MyValue""},"[1,2,3]"',
     ",",
     [["abc", "123", 'This string contains commas, a double quotation marks ("), and a newline (\n)', '{"MyKey":"MyValue"}', "[1,2,3]"]]),
]


@pytest.mark.parametrize("text,delimiter,records", [r[1:] for r in DELIMITED_ROWS], ids=[r[0] for r in DELIMITED_ROWS])
def test_parse_delimited(text, delimiter, records):
    assert parse_delimited(text, delimiter) == records


# --------------------------------------------------------------------------- MaxItems

MAX_ITEMS_ROWS = [
    # (id, MaxItems, expected count or failure) over a 5-item JSON array
    ("absent", None, 5),
    ("zero-means-all", 0, 5),
    ("two", 2, 2),
    ("more-than-items", 9, 5),
    ("integer-string", "2", 2),
    ("integral-float", 3.0, 3),
    ("above-limit-is-clipped", 200_000_000, 5),
    ("negative", -1, fails("States.ItemReaderFailed", "field MaxItems must be positive")),
    ("negative-string", "-3", fails("States.ItemReaderFailed", "field MaxItems must be positive")),
    ("fraction", 2.5, fails("States.ItemReaderFailed", contains="not a valid integer")),
    ("word", "two", fails("States.ItemReaderFailed", contains="'two'")),
    ("boolean", True, fails("States.ItemReaderFailed", contains="not a valid integer")),
]


@pytest.mark.parametrize("max_items,expected", [r[1:] for r in MAX_ITEMS_ROWS], ids=[r[0] for r in MAX_ITEMS_ROWS])
def test_max_items(s3, max_items, expected):
    put(s3, "five.json", list(range(5)))
    config = {"InputType": "JSON"} if max_items is None else {"InputType": "JSON", "MaxItems": max_items}
    if isinstance(expected, dict):
        with pytest.raises(ItemIOError) as excinfo:
            read_items(GET, {"Bucket": BUCKET, "Key": "five.json"}, config)
        check_failure(excinfo, expected)
    else:
        assert read_items(GET, {"Bucket": BUCKET, "Key": "five.json"}, config) == list(range(expected))


def test_max_items_is_validated_before_reading(s3):
    with pytest.raises(ItemIOError) as excinfo:  # the object does not exist: MaxItems fails first
        read_items(GET, {"Bucket": BUCKET, "Key": "absent.json"}, {"InputType": "JSON", "MaxItems": -1})
    assert str(excinfo.value) == "field MaxItems must be positive"


# --------------------------------------------------------------------------- S3 and resource errors

ERROR_ROWS = [
    ("missing-key", GET, {"Bucket": BUCKET, "Key": "absent.json"}, {"InputType": "JSON"}, fails("States.ItemReaderFailed", contains="NoSuchKey")),
    ("missing-bucket", GET, {"Bucket": "no-such-bucket", "Key": "k"}, {"InputType": "JSON"}, fails("States.ItemReaderFailed", contains="NoSuchBucket")),
    ("missing-bucket-listing", LIST, {"Bucket": "no-such-bucket"}, {}, fails("States.ItemReaderFailed", contains="NoSuchBucket")),
    ("bad-parameter", GET, {"Bucket": BUCKET, "Key": "k", "Nope": 1}, {"InputType": "JSON"}, fails("States.ItemReaderFailed", contains="Nope")),
    ("unsupported-resource", "arn:aws:states:::s3:putObject", {"Bucket": BUCKET}, {}, fails("States.ItemReaderFailed", contains="s3:putObject")),
    ("not-an-arn", "s3:getObject", {"Bucket": BUCKET}, {}, fails("States.ItemReaderFailed", contains="not supported")),
    ("unknown-manifest-type", GET, {"Bucket": BUCKET, "Key": "k"}, {"ManifestType": "OTHER"}, fails("States.ItemReaderFailed", contains="OTHER")),
    ("unknown-transformation", LIST, {"Bucket": BUCKET}, {"Transformation": "SHRED"}, fails("States.ItemReaderFailed", contains="SHRED")),
    ("flatten-without-input-type", LIST, {"Bucket": BUCKET}, {"Transformation": "LOAD_AND_FLATTEN"}, fails("States.ItemReaderFailed", contains="InputType")),
]


@pytest.mark.parametrize("resource,params,config,expected", [r[1:] for r in ERROR_ROWS], ids=[r[0] for r in ERROR_ROWS])
def test_reader_errors(s3, resource, params, config, expected):
    with pytest.raises(ItemIOError) as excinfo:
        read_items(resource, params, config)
    check_failure(excinfo, expected)


def test_other_partitions_are_accepted(s3):
    put(s3, "f.json", [1])
    assert read_items("arn:aws-cn:states:::s3:getObject", {"Bucket": BUCKET, "Key": "f.json"}, {"InputType": "JSON"}) == [1]


# --------------------------------------------------------------------------- listObjectsV2


def test_list_objects_v2_items_have_the_step_functions_shape(s3):
    put(s3, "in/a.txt", "hello")
    put(s3, "in/b/c.txt", "x")
    put(s3, "other/d.txt", "y")
    items = read_items(LIST, {"Bucket": BUCKET, "Prefix": "in/"}, None)
    heads = {k: s3.head_object(Bucket=BUCKET, Key=k) for k in ("in/a.txt", "in/b/c.txt")}
    assert items == [
        {
            "Etag": heads[k]["ETag"],
            "Key": k,
            "LastModified": int(heads[k]["LastModified"].timestamp()),
            "Size": heads[k]["ContentLength"],
            "StorageClass": "STANDARD",
        }
        for k in ("in/a.txt", "in/b/c.txt")
    ]
    assert items[0]["Etag"].startswith('"') and items[0]["Etag"].endswith('"')  # the quotes stay
    assert isinstance(items[0]["LastModified"], int)


LIST_ROWS = [
    # (id, params, config, expected keys)
    ("whole-bucket", {}, {}, ["k0", "k1", "k2", "k3", "k4"]),
    ("prefix", {"Prefix": "k1"}, {}, ["k1"]),
    ("max-items", {}, {"MaxItems": 3}, ["k0", "k1", "k2"]),
    ("pagination", {"MaxKeys": 2}, {}, ["k0", "k1", "k2", "k3", "k4"]),
    ("pagination-and-max-items", {"MaxKeys": 2}, {"MaxItems": 3}, ["k0", "k1", "k2"]),
    ("start-after", {"StartAfter": "k2"}, {}, ["k3", "k4"]),
    ("empty-prefix-match", {"Prefix": "zzz"}, {}, []),
    ("transformation-none", {}, {"Transformation": "NONE"}, ["k0", "k1", "k2", "k3", "k4"]),
]


@pytest.mark.parametrize("params,config,keys", [r[1:] for r in LIST_ROWS], ids=[r[0] for r in LIST_ROWS])
def test_list_objects_v2(s3, params, config, keys):
    for i in range(5):
        put(s3, f"k{i}", "x")
    items = read_items(LIST, {"Bucket": BUCKET, **params}, config)
    assert [item["Key"] for item in items] == keys


FLATTEN_ROWS = [
    ("json", {"data/a.json": [1, 2], "data/b.json": [3], "data/dir/": ""}, {"InputType": "JSON"}, [1, 2, 3]),
    ("jsonl", {"data/a.jsonl": '{"a":1}\n{"a":2}\n', "data/b.jsonl": '{"a":3}\n'}, {"InputType": "JSONL"}, [{"a": 1}, {"a": 2}, {"a": 3}]),
    ("csv-headers-per-file", {"data/a.csv": "x,y\n1,2\n", "data/b.csv": "y,x\n3,4\n"}, {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
     [{"x": "1", "y": "2"}, {"y": "3", "x": "4"}]),
    ("max-items-across-files", {"data/a.json": [1, 2], "data/b.json": [3, 4]}, {"InputType": "JSON", "MaxItems": 3}, [1, 2, 3]),
]


@pytest.mark.parametrize("objects,config,expected", [r[1:] for r in FLATTEN_ROWS], ids=[r[0] for r in FLATTEN_ROWS])
def test_list_objects_v2_load_and_flatten(s3, objects, config, expected):
    for key, body in objects.items():
        put(s3, key, body)
    put(s3, "elsewhere.json", [99])
    got = read_items(LIST, {"Bucket": BUCKET, "Prefix": "data/"}, {**config, "Transformation": "LOAD_AND_FLATTEN"})
    assert got == expected


# --------------------------------------------------------------------------- manifests


def _inventory(s3, fmt: str = "CSV", schema: str = "Bucket, Key, Size, LastModifiedDate") -> None:
    rows = [
        '"src-bucket","csvDataset/","0","2022-11-16T00:27:19.000Z"',
        '"src-bucket","csvDataset/titles.csv","3399671","2022-11-16T00:29:32.000Z"',
    ]
    more = ['"src-bucket","imageDataset/n02085620_10074.jpg","27034","2022-11-15T20:02:16.000Z"']
    put(s3, "inv/data/one.csv.gz", gzip.compress(("\n".join(rows) + "\n").encode()), bucket="inventory-bucket")
    put(s3, "inv/data/two.csv", "\n".join(more) + "\n", bucket="inventory-bucket")
    put(s3, "inv/manifest.json", {
        "sourceBucket": "src-bucket",
        "destinationBucket": "arn:aws:s3:::inventory-bucket",
        "version": "2016-11-30",
        "fileFormat": fmt,
        "fileSchema": schema,
        "files": [{"key": "inv/data/one.csv.gz", "size": 1}, {"key": "inv/data/two.csv", "size": 1}],
    }, bucket="inventory-bucket")


INVENTORY_ITEM = {"LastModifiedDate": "2022-11-16T00:29:32.000Z", "Bucket": "src-bucket", "Size": "3399671", "Key": "csvDataset/titles.csv"}

MANIFEST_ROWS = [
    ("input-type-manifest", {"InputType": "MANIFEST"}, 3),
    ("manifest-type-s3-inventory", {"ManifestType": "S3_INVENTORY"}, 3),
    ("max-items", {"InputType": "MANIFEST", "MaxItems": 2}, 2),
]


@pytest.mark.parametrize("config,count", [r[1:] for r in MANIFEST_ROWS], ids=[r[0] for r in MANIFEST_ROWS])
def test_s3_inventory_manifest(s3, config, count):
    _inventory(s3)
    items = read_items(GET, {"Bucket": "inventory-bucket", "Key": "inv/manifest.json"}, config)
    assert len(items) == count
    assert items[1] == INVENTORY_ITEM  # the AWS docs' example child input


def test_s3_inventory_manifest_must_be_csv(s3):
    _inventory(s3, fmt="ORC")
    with pytest.raises(ItemIOError) as excinfo:
        read_items(GET, {"Bucket": "inventory-bucket", "Key": "inv/manifest.json"}, {"InputType": "MANIFEST"})
    check_failure(excinfo, fails("States.ItemReaderFailed", contains="ORC"))


ATHENA_ROWS = [
    ("jsonl", {"InputType": "JSONL"}, {"q/a": '{"n":1}\n{"n":2}\n', "q/b": '{"n":3}\n'}, [{"n": 1}, {"n": 2}, {"n": 3}]),
    ("csv-given", {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["n"]}, {"q/a": "1\n2\n", "q/b": "3\n"},
     [{"n": "1"}, {"n": "2"}, {"n": "3"}]),
    ("max-items", {"InputType": "JSONL", "MaxItems": 1}, {"q/a": '{"n":1}\n{"n":2}\n', "q/b": '{"n":3}\n'}, [{"n": 1}]),
]


@pytest.mark.parametrize("config,files,expected", [r[1:] for r in ATHENA_ROWS], ids=[r[0] for r in ATHENA_ROWS])
def test_athena_manifest(s3, config, files, expected):
    for key, body in files.items():
        put(s3, key, body)
    put(s3, "q/manifest.csv", "".join(f"s3://{BUCKET}/{key}\n" for key in files))
    got = read_items(GET, {"Bucket": BUCKET, "Key": "q/manifest.csv"}, {"ManifestType": "ATHENA_DATA", **config})
    assert got == expected


# --------------------------------------------------------------------------- ItemBatcher

ITEMS5 = [{"i": i} for i in range(5)]  # each {"i":n} is 7 bytes


def _size(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


BATCH_ROWS = [
    # (id, items, batcher, expected batch sizes or failure)
    ("max-items", ITEMS5, {"MaxItemsPerBatch": 2}, [2, 2, 1]),
    ("max-items-exact", ITEMS5, {"MaxItemsPerBatch": 5}, [5]),
    ("max-items-one", ITEMS5, {"MaxItemsPerBatch": 1}, [1, 1, 1, 1, 1]),
    ("max-items-string", ITEMS5, {"MaxItemsPerBatch": "3"}, [3, 2]),
    ("docs-1130-by-100", list(range(1130)), {"MaxItemsPerBatch": 100}, [100] * 11 + [30]),
    # {"Items":[]} is 12 bytes; each item 7 bytes plus a comma after the first.
    ("bytes-exact-fit", ITEMS5, {"MaxInputBytesPerBatch": 12 + 7 + 8}, [2, 2, 1]),
    ("bytes-one-short", ITEMS5, {"MaxInputBytesPerBatch": 12 + 7 + 8 - 1}, [1, 1, 1, 1, 1]),
    ("bytes-and-items", ITEMS5, {"MaxItemsPerBatch": 4, "MaxInputBytesPerBatch": 12 + 7 + 8 * 2}, [3, 2]),
    ("items-tighter-than-bytes", ITEMS5, {"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 1000}, [2, 2, 1]),
    ("bytes-count-batch-input", ITEMS5, {"MaxInputBytesPerBatch": 12 + 7 + 8 + len('"BatchInput":1,'), "BatchInput": 1}, [2, 2, 1]),
    # {"s":"x"*1000} is 1008 bytes: 12 + 1008n + (n-1) <= 262144 gives n = 259.
    ("default-256-kib", [{"s": "x" * 1000} for _ in range(600)], {"MaxItemsPerBatch": 1000}, [259, 259, 82]),
    ("above-256-kib-is-capped", [{"s": "x" * 1000} for _ in range(600)], {"MaxInputBytesPerBatch": 10**7}, [259, 259, 82]),
    ("empty", [], {"MaxItemsPerBatch": 2}, []),
    ("no-limits-given", ITEMS5, {}, [5]),
    ("item-too-big", [{"s": "x" * 100}], {"MaxInputBytesPerBatch": 50}, fails("States.Runtime", contains="index 0")),
    ("zero", ITEMS5, {"MaxItemsPerBatch": 0}, fails("States.Runtime", "field MaxItemsPerBatch must be positive")),
    ("negative-bytes", ITEMS5, {"MaxInputBytesPerBatch": -5}, fails("States.Runtime", "field MaxInputBytesPerBatch must be positive")),
    ("not-an-integer", ITEMS5, {"MaxItemsPerBatch": "lots"}, fails("States.Runtime", contains="'lots'")),
]


@pytest.mark.parametrize("items,batcher,expected", [r[1:] for r in BATCH_ROWS], ids=[r[0] for r in BATCH_ROWS])
def test_batch_items(items, batcher, expected):
    if isinstance(expected, dict):
        with pytest.raises(ItemIOError) as excinfo:
            batch_items(items, batcher)
        check_failure(excinfo, expected)
        return
    batches = batch_items(items, batcher)
    assert [len(b["Items"]) for b in batches] == expected
    assert [item for b in batches for item in b["Items"]] == items  # order kept, nothing lost
    limit = min(batcher.get("MaxInputBytesPerBatch", 262144), 262144)
    assert all(_size(b) <= limit for b in batches)


BATCH_INPUT_ROWS = [
    ("absent", {"MaxItemsPerBatch": 2}, [{"Items": [1, 2]}, {"Items": [3]}]),
    ("object", {"MaxItemsPerBatch": 2, "BatchInput": {"factCheck": "December 2022"}},
     [{"BatchInput": {"factCheck": "December 2022"}, "Items": [1, 2]}, {"BatchInput": {"factCheck": "December 2022"}, "Items": [3]}]),
    ("null", {"MaxItemsPerBatch": 3, "BatchInput": None}, [{"BatchInput": None, "Items": [1, 2, 3]}]),
]


@pytest.mark.parametrize("batcher,expected", [r[1:] for r in BATCH_INPUT_ROWS], ids=[r[0] for r in BATCH_INPUT_ROWS])
def test_batch_input(batcher, expected):
    assert batch_items([1, 2, 3], batcher) == expected


def test_batch_sizes_count_utf8_bytes():
    items = ["é" * 10] * 3  # 12 characters, 22 bytes each as JSON
    assert [len(b["Items"]) for b in batch_items(items, {"MaxInputBytesPerBatch": 12 + 22 + 23})] == [2, 1]


# --------------------------------------------------------------------------- ResultWriter

RUN_ID = "ad9b5f27-090b-3ac6-9beb-243cd77144a7"
RUN_ARN = f"arn:aws:states:us-east-2:123456789012:mapRun:csvProcess/Map:{RUN_ID}"
ORDERS = [[{"customer_id": "145538", "order_id": "100000"}, {"customer_id": "898037", "order_id": "100001"}], [{"customer_id": "169881", "order_id": "100005"}]]
RESULTS = [
    {"status": "SUCCEEDED", "input": {"n": 0}, "output": ORDERS[0]},
    {"status": "FAILED", "input": {"n": 1}, "error": "States.TaskFailed", "cause": "boom"},
    {"status": "SUCCEEDED", "input": {"n": 2}, "output": ORDERS[1]},
    {"status": "PENDING", "input": {"n": 3}},
]


def _read(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _write(writer, results=RESULTS):
    return write_results(writer, results, map_run_id=RUN_ID, execution_name="exec", map_run_arn=RUN_ARN)


def test_result_writer_layout_transformation_none(s3):
    out = _write({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "csvProcessJobs"}})
    manifest_key = f"csvProcessJobs/{RUN_ID}/manifest.json"
    assert out == {"MapRunArn": RUN_ARN, "ResultWriterDetails": {"Bucket": BUCKET, "Key": manifest_key}}  # AWS docs' example
    manifest = json.loads(_read(s3, BUCKET, manifest_key))
    files = manifest["ResultFiles"]
    assert manifest["DestinationBucket"] == BUCKET and manifest["MapRunArn"] == RUN_ARN
    assert {group: [f["Key"] for f in entries] for group, entries in files.items()} == {
        "SUCCEEDED": [f"csvProcessJobs/{RUN_ID}/SUCCEEDED_0.json"],
        "FAILED": [f"csvProcessJobs/{RUN_ID}/FAILED_0.json"],
        "PENDING": [f"csvProcessJobs/{RUN_ID}/PENDING_0.json"],
    }
    bodies = {group: _read(s3, BUCKET, entries[0]["Key"]) for group, entries in files.items()}
    assert all(files[group][0]["Size"] == len(body) for group, body in bodies.items())

    succeeded = json.loads(bodies["SUCCEEDED"])
    assert [list(r) for r in succeeded] == [[
        "ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount",
        "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status", "StopDate",
    ]] * 2
    first = succeeded[0]
    assert first["Output"] == json.dumps(ORDERS[0], separators=(",", ":"))  # a JSON string, as AWS writes it
    assert json.loads(first["Input"]) == {"n": 0}
    assert first["ExecutionArn"] == f"arn:aws:states:us-east-2:123456789012:execution:csvProcess/Map:{first['Name']}"
    assert first["StateMachineArn"] == "arn:aws:states:us-east-2:123456789012:stateMachine:csvProcess/Map"
    assert (first["RedriveStatus"], first["RedriveStatusReason"]) == ("NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["StartDate"])

    [failed] = json.loads(bodies["FAILED"])
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "States.TaskFailed", "boom")
    assert "Output" not in failed
    [pending] = json.loads(bodies["PENDING"])
    assert pending["Status"] == "PENDING" and json.loads(pending["Input"]) == {"n": 3}


TRANSFORM_ROWS = [
    # (id, WriterConfig, expected SUCCEEDED_0.json content)
    ("compact", {"Transformation": "COMPACT"}, ORDERS),
    ("flatten", {"Transformation": "FLATTEN"}, ORDERS[0] + ORDERS[1]),
    ("flatten-jsonl", {"Transformation": "FLATTEN", "OutputType": "JSONL"}, ORDERS[0] + ORDERS[1]),
    ("compact-jsonl", {"Transformation": "COMPACT", "OutputType": "JSONL"}, ORDERS),
]


@pytest.mark.parametrize("config,expected", [r[1:] for r in TRANSFORM_ROWS], ids=[r[0] for r in TRANSFORM_ROWS])
def test_result_writer_transformations_in_s3(s3, config, expected):
    out = _write({"Parameters": {"Bucket": BUCKET, "Prefix": "p"}, "WriterConfig": config})

    def entries(group: str) -> list:
        body = _read(s3, BUCKET, f"p/{RUN_ID}/{group}_0.json").decode()
        if config.get("OutputType") == "JSONL":
            assert body.endswith("\n")
            return [json.loads(line) for line in body.splitlines()]
        return json.loads(body)

    assert entries("SUCCEEDED") == expected
    # A child that did not succeed keeps its full record whatever the transformation (AWS docs).
    [failed] = entries("FAILED")
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "States.TaskFailed", "boom")
    assert out["ResultWriterDetails"]["Key"] == f"p/{RUN_ID}/manifest.json"


PREFIX_ROWS = [
    ("no-slash", "jobs", f"jobs/{RUN_ID}/"),
    ("slash", "jobs/", f"jobs/{RUN_ID}/"),
    ("nested", "a/b", f"a/b/{RUN_ID}/"),
    ("empty", "", f"{RUN_ID}/"),
    ("absent", None, f"{RUN_ID}/"),
]


@pytest.mark.parametrize("prefix,folder", [r[1:] for r in PREFIX_ROWS], ids=[r[0] for r in PREFIX_ROWS])
def test_result_writer_prefix(s3, prefix, folder):
    params = {"Bucket": BUCKET} if prefix is None else {"Bucket": BUCKET, "Prefix": prefix}
    out = _write({"Arguments": params}, results=[{"status": "SUCCEEDED", "input": 1, "output": 2}])
    assert out["ResultWriterDetails"]["Key"] == folder + "manifest.json"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == [folder + "SUCCEEDED_0.json", folder + "manifest.json"]  # no empty FAILED/PENDING files


PREVIEW_ROWS = [
    # WriterConfig only: the transformed results are the state result (item order kept).
    ("default-compact", {"WriterConfig": {"OutputType": "JSON"}}, [ORDERS[0], "FAILED", ORDERS[1], "PENDING"]),
    ("flatten", {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}, ORDERS[0] + ["FAILED"] + ORDERS[1] + ["PENDING"]),
    ("none", {"WriterConfig": {"Transformation": "NONE"}}, ["SUCCEEDED", "FAILED", "SUCCEEDED", "PENDING"]),
]


@pytest.mark.parametrize("writer,expected", [r[1:] for r in PREVIEW_ROWS], ids=[r[0] for r in PREVIEW_ROWS])
def test_result_writer_without_bucket_returns_the_results(writer, expected):
    out = _write(writer)
    shown = [entry["Status"] if isinstance(entry, dict) and "Status" in entry else entry for entry in out]
    assert shown == expected


def test_result_writer_bare_parameters_and_default_arn(s3, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    out = write_results({"Bucket": BUCKET, "Prefix": "x"}, [{"status": "SUCCEEDED", "input": 1, "output": 1}],
                        map_run_id="run-1", execution_name="my-exec")
    assert out["MapRunArn"] == "arn:aws:states:eu-west-1::mapRun:my-exec:run-1"
    assert out["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": "x/run-1/manifest.json"}


def test_map_run_arn_for():
    arn = map_run_arn_for("arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:fn:live", "Machine", "Map", "abc")
    assert arn == "arn:aws-us-gov:states:us-gov-west-1:111111111111:mapRun:Machine/Map:abc"


WRITER_ERROR_ROWS = [
    ("missing-bucket", {"Parameters": {"Bucket": "no-such-bucket", "Prefix": "p"}}, fails("States.ResultWriterFailed", contains="NoSuchBucket")),
    ("no-bucket-name", {"Parameters": {"Prefix": "p"}}, fails("States.ResultWriterFailed", contains="Bucket")),
    ("bad-transformation", {"WriterConfig": {"Transformation": "SQUASH"}}, fails("States.ResultWriterFailed", contains="SQUASH")),
    ("bad-output-type", {"WriterConfig": {"OutputType": "CSV"}}, fails("States.ResultWriterFailed", contains="CSV")),
    ("bad-resource", {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": BUCKET}}, fails("States.ResultWriterFailed", contains="s3:getObject")),
]


@pytest.mark.parametrize("writer,expected", [r[1:] for r in WRITER_ERROR_ROWS], ids=[r[0] for r in WRITER_ERROR_ROWS])
def test_result_writer_errors(s3, writer, expected):
    with pytest.raises(ItemIOError) as excinfo:
        _write(writer)
    check_failure(excinfo, expected)


def test_module_is_standalone():
    """The support module is copied next to generated handlers: stdlib, boto3 and asl_aws (the
    shared AWS clients, copied next to every handler) only."""
    source = RUNTIME_FILE.read_text()
    imported = set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, re.M))
    assert {name.split(".")[0] for name in imported} <= {
        "__future__", "collections", "datetime", "gzip", "json", "os", "re", "uuid", "typing", "boto3", "botocore",
        "compression", "zstandard",
        "asl_aws",
    }


# --------------------------------------------------------------------------- plans and partitions
# A Distributed Map saves a plan, not its items; each partition is read where it is processed.
# Reading every partition of a plan gives exactly what read_items gives, whatever the partition
# size and however the object arrives in chunks.

plan_items = asl_itemio.plan_items
read_partition = asl_itemio.read_partition


def _by_partitions(resource, params, config, per_partition, batcher=None) -> tuple[dict, list]:
    plan = plan_items(resource, params, config, batcher, per_partition)
    items = []
    for partition in plan["Partitions"]:
        items.extend(read_partition(resource, params, config, plan, partition))
    assert plan["Count"] == len(items)
    return plan, items


_PLANNED = [r for r in GET_OBJECT_ROWS if not (isinstance(r[4], dict) and "error" in r[4])]


@pytest.mark.parametrize("chunk", [1, 2, 3, 1024 * 1024])
@pytest.mark.parametrize("per_partition", [1, 2, 1000])
@pytest.mark.parametrize("key,body,config,expected", [r[1:] for r in _PLANNED], ids=[r[0] for r in _PLANNED])
def test_partitions_read_the_items_read_items_reads(s3, monkeypatch, key, body, config, expected, per_partition, chunk):
    monkeypatch.setattr(asl_itemio, "_CHUNK", chunk)
    put(s3, key, body)
    params = {"Bucket": BUCKET, "Key": key}
    plan, items = _by_partitions(GET, params, config, per_partition)
    assert items == expected
    assert len(plan["Partitions"]) == -(-len(expected) // per_partition)
    ranged = config.get("InputType") in ("CSV", "JSONL") and not isinstance(body, bytes)
    assert plan["Kind"] == ("RANGE" if ranged else "WHOLE")


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
@pytest.mark.parametrize("text,delimiter,records", [r[1:] for r in DELIMITED_ROWS], ids=[r[0] for r in DELIMITED_ROWS])
def test_csv_records_split_where_parse_delimited_splits(text, delimiter, records, chunk):
    raw = text.encode("utf-8")
    pieces = [raw[i : i + chunk] for i in range(0, len(raw), chunk)]
    found = list(asl_itemio._csv_records(pieces, delimiter))
    assert [parse_delimited(r.decode(), delimiter) for r, _, _ in found] == [[record] for record in records]
    assert all(raw[start:end] == r for r, start, end in found)


def test_a_csv_plan_is_small_and_partitions_are_byte_ranges(s3):
    rows = "".join(f'{i},"name, {i}","multi\nline {i}"\n' for i in range(5000))
    put(s3, "big.csv", "id,name,note\n" + rows)
    params = {"Bucket": BUCKET, "Key": "big.csv"}
    plan, items = _by_partitions(GET, params, {"InputType": "CSV"}, 1000)
    assert items == read_items(GET, params, {"InputType": "CSV"})
    assert plan["Header"] == ["id", "name", "note"] and len(plan["Partitions"]) == 5
    assert len(json.dumps(plan)) < 1000  # the plan, not the 5,000 items, is what a step saves
    assert items[4321] == {"id": "4321", "name": "name, 4321", "note": "multi\nline 4321"}


def test_partitions_end_at_batch_boundaries(s3):
    put(s3, "rows.jsonl", "\n".join(json.dumps({"n": i, "pad": "x" * (i % 7)}) for i in range(100)))
    params, config = {"Bucket": BUCKET, "Key": "rows.jsonl"}, {"InputType": "JSONL"}
    everything = read_items(GET, params, config)
    for batcher in ({"MaxItemsPerBatch": 3}, {"MaxInputBytesPerBatch": 200, "BatchInput": {"b": 1}}):
        plan = plan_items(GET, params, config, batcher, 4)  # at most 4 batches per partition
        batches = []
        for partition in plan["Partitions"]:
            part = batch_items(read_partition(GET, params, config, plan, partition), batcher)
            assert len(part) <= 4
            batches.extend(part)
        assert batches == batch_items(everything, batcher)


def test_listing_partitions_use_start_after_cursors(s3):
    for i in range(25):
        put(s3, f"in/{i:03}.txt", "x" * i)
    params = {"Bucket": BUCKET, "Prefix": "in/"}
    plan, items = _by_partitions(LIST, params, {}, 10)
    assert items == read_items(LIST, params, {})
    assert plan["Kind"] == "LISTING"
    assert [p[2] for p in plan["Partitions"]] == [None, "in/009.txt", "in/019.txt"]


def test_a_changed_dataset_fails_the_partition(s3):
    put(s3, "rows.csv", "a\n1\n2\n3\n")
    params, config = {"Bucket": BUCKET, "Key": "rows.csv"}, {"InputType": "CSV"}
    plan = plan_items(GET, params, config, None, 2)
    put(s3, "rows.csv", "a\n1\n2\n3\n4\n")
    with pytest.raises(ItemIOError) as excinfo:
        read_partition(GET, params, config, plan, plan["Partitions"][1])
    assert excinfo.value.error == "States.ItemReaderFailed"
    for i in range(3):
        put(s3, f"l/{i}", "x")
    plan = plan_items(LIST, {"Bucket": BUCKET, "Prefix": "l/"}, {}, None, 2)
    put(s3, "l/0a", "x")
    with pytest.raises(ItemIOError, match="changed"):
        read_partition(LIST, {"Bucket": BUCKET, "Prefix": "l/"}, {}, plan, plan["Partitions"][0])


def test_result_parts_and_manifest(s3):
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "out"}}
    arn = "arn:aws:states:us-east-1:1:mapRun:m/Map:run"
    first = asl_itemio.write_result_part(
        writer, [{"status": "SUCCEEDED", "input": 1, "output": 2}], map_run_id="run", map_run_arn=arn, part=0
    )
    second = asl_itemio.write_result_part(
        writer, [{"status": "FAILED", "input": 3, "error": "E", "cause": "c"}], map_run_id="run", map_run_arn=arn, part=1, first=1
    )
    result = asl_itemio.write_manifest(writer, [first, second], map_run_id="run", map_run_arn=arn)
    assert result == {"MapRunArn": arn, "ResultWriterDetails": {"Bucket": BUCKET, "Key": "out/run/manifest.json"}}
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key="out/run/manifest.json")["Body"].read())
    assert [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]] == ["out/run/SUCCEEDED_0.json"]
    assert [f["Key"] for f in manifest["ResultFiles"]["FAILED"]] == ["out/run/FAILED_1.json"]


def test_a_plan_too_large_for_a_checkpoint_is_refused(s3, monkeypatch):
    monkeypatch.setattr(asl_itemio, "MAX_PLAN_BYTES", 100)
    put(s3, "rows.jsonl", "\n".join(str(i) for i in range(50)))
    params = {"Bucket": BUCKET, "Key": "rows.jsonl"}
    assert len(plan_items(GET, params, {"InputType": "JSONL"}, None, 10)["Partitions"]) == 5
    with pytest.raises(ItemIOError, match="more than asl2durable's Distributed Map runs") as excinfo:
        plan_items(GET, params, {"InputType": "JSONL"}, None, 1)
    assert excinfo.value.error == "States.ItemReaderFailed"
