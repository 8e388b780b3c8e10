"""Seeds for running conformance cases against moto (``asl2durable.run.aws_local.moto_aws``).

``case_seed(case_data)`` turns the ``resources`` a case's original test created into a seed, so
the definition and input find the same names and ARNs they reference (region ``us-east-1``,
account ``111111111111``: pass those to ``moto_aws``, they are its defaults)::

    with moto_aws(case_seed(case.data)):
        result = run_local(case.data["definition"], case.data["input"], ...)

How each recorded resource becomes part of the seed:

* ``s3_objects`` (Bucket, Key, Body) -> ``buckets[Bucket][Key]``. A Body recorded as the text of
  a Python bytes literal (``"b'binary data'"``: the test put bytes) becomes those bytes
  (``{"base64": ...}``); any other Body is put as UTF-8 text.
* ``other`` kind ``s3`` -> an (empty) bucket, kind ``sqs`` -> a queue, ``sns`` -> a topic,
  ``activity`` -> a Step Functions activity, ``secret``/``secretsmanager`` -> a secret (no case
  records one today; the value is ``value`` if recorded, else empty). FIFO queues and topics
  follow from the ``.fifo`` name (``moto_aws`` does that).
* ``other`` kind ``dynamodb`` -> a table. The cases do not record key schemas, so the key is
  inferred from the DynamoDB ``Key`` maps the case uses: every object member named ``Key`` (or
  ``Key.$`` resolved against the input with a simple ``$.a.b`` path) in the definition and the
  input whose value looks like a DynamoDB key (``{"name": {"S"|"N"|"B": value}}``, one or two
  attributes). The table it belongs to is the ``TableName`` beside it (literal, or ``TableName.$``
  resolved against the input); a ``Key`` with no resolvable table name is used when the case has
  one table. The first attribute is the HASH key, a second one the RANGE key, each typed by its
  value's type tag. With no such ``Key``, the first attribute of a ``KeyConditionExpression``
  (``"id = :id"``) is a string HASH key; with nothing at all, a string HASH key named ``id`` (what
  the LocalStack tests' ``dynamodb_create_table`` fixture uses).
* Lambda functions are not part of a seed (``run_local`` serves them with ``lambdas=``).

Resources that the original test deleted again before starting the execution (the record says
only that they were created) are left out: ``DELETED_BEFORE_RUN``, keyed by the test in ``source``.
"""

from __future__ import annotations

import ast
import base64
import re
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "111111111111"

# test (the `source` field up to any "[param]") -> names of resources it deleted before the run
DELETED_BEFORE_RUN: dict[str, set[str]] = {
    # sns_create_topic(); aws_client.sns.delete_topic(...)  -> SNS.NotFoundException expected
    "tests/aws/services/stepfunctions/v2/services/test_sns_task_service.py::TestTaskServiceSns::"
    "test_publish_base_error_topic_arn": {"topic-u0001"},
    # create_activity(); delete_activity(...)  -> "The activity ... does not exist" expected
    "tests/aws/services/stepfunctions/v2/activities/test_activities.py::TestActivities::"
    "test_activity_task_on_deleted": {"activity-u0001"},
}

_BYTES_LITERAL = re.compile(r"""^b(['"]).*\1$""", re.S)
_ATTRIBUTE_TYPES = {"S", "N", "B"}
_SIMPLE_PATH = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_-]*)*$")


def case_seed(case_data: dict) -> dict:
    """A seed for ``moto_aws`` with the resources the case's test created (see the module doc)."""
    resources = case_data.get("resources") or {}
    deleted = DELETED_BEFORE_RUN.get(str(case_data.get("source", "")).split("[")[0], set())
    seed: dict[str, Any] = {}

    def bucket(name: str) -> dict:
        return seed.setdefault("buckets", {}).setdefault(name, {})

    def add(kind: str, name: str) -> None:
        items = seed.setdefault(kind, [])
        if name not in items:
            items.append(name)

    for obj in resources.get("s3_objects") or []:
        if obj["Bucket"] in deleted:
            continue
        bucket(obj["Bucket"])[obj["Key"]] = _s3_body(obj.get("Body", ""))

    tables: list[str] = []
    for other in resources.get("other") or []:
        kind, name = other.get("kind"), other.get("name")
        if not name or name in deleted:
            continue
        if kind == "s3":
            bucket(name)
        elif kind == "sqs":
            add("queues", name)
        elif kind == "sns":
            add("topics", name)
        elif kind == "activity":
            add("activities", name)
        elif kind in ("secret", "secretsmanager"):
            seed.setdefault("secrets", {})[name] = str(other.get("value", ""))
        elif kind == "dynamodb":
            if name not in tables:
                tables.append(name)
        else:
            raise ValueError(f"case {case_data.get('id')}: unknown resource kind {kind!r}")

    if tables:
        keys = _dynamodb_keys(case_data, tables)
        seed["tables"] = {name: _table(keys.get(name), case_data) for name in tables}
    return seed


# --------------------------------------------------------------------------------------


def _s3_body(body: str) -> str | dict:
    if _BYTES_LITERAL.match(body):
        try:
            data = ast.literal_eval(body)
        except (ValueError, SyntaxError):
            return body
        if isinstance(data, bytes):
            return {"base64": base64.b64encode(data).decode("ascii")}
    return body


def _resolve(path: str, data: Any) -> Any:
    """Follow a simple JSONPath (``$``, ``$.a.b``) into ``data``; None when it is not that simple or absent."""
    if not isinstance(path, str) or not _SIMPLE_PATH.match(path):
        return None
    for part in path.split(".")[1:]:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _is_key(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and 1 <= len(value) <= 2
        and all(isinstance(v, dict) and len(v) == 1 and next(iter(v)) in _ATTRIBUTE_TYPES for v in value.values())
    )


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _dynamodb_keys(case_data: dict, tables: list[str]) -> dict[str, dict]:
    """Table name -> a DynamoDB Key map used with it in the definition or input."""
    data_input = case_data.get("input")
    found: dict[str, dict] = {}
    unattached: list[dict] = []
    for node in [*_walk(case_data.get("definition")), *_walk(data_input)]:
        key = node["Key"] if "Key" in node else _resolve(node.get("Key.$"), data_input)
        if not _is_key(key):
            continue
        table = node["TableName"] if "TableName" in node else _resolve(node.get("TableName.$"), data_input)
        if isinstance(table, str) and table in tables:
            found.setdefault(table, key)
        else:
            unattached.append(key)
    if len(tables) == 1 and tables[0] not in found and unattached:
        found[tables[0]] = unattached[0]
    return found


def _table(key: dict | None, case_data: dict) -> dict:
    if key:
        names = list(key)
        return {
            "key_schema": [
                {"AttributeName": name, "KeyType": "HASH" if i == 0 else "RANGE"} for i, name in enumerate(names)
            ],
            "attributes": [{"AttributeName": name, "AttributeType": next(iter(key[name]))} for name in names],
        }
    name = "id"
    for node in _walk(case_data.get("definition")):
        expression = node.get("KeyConditionExpression")
        match = re.match(r"\s*(#?[A-Za-z_][A-Za-z0-9_]*)\s*=", expression) if isinstance(expression, str) else None
        if match:
            name = match.group(1)
            if name.startswith("#"):  # a placeholder: its ExpressionAttributeNames entry, if literal
                names = node.get("ExpressionAttributeNames")
                name = names.get(name) if isinstance(names, dict) else None
                name = name if isinstance(name, str) else "id"
            break
    return {
        "key_schema": [{"AttributeName": name, "KeyType": "HASH"}],
        "attributes": [{"AttributeName": name, "AttributeType": "S"}],
    }
