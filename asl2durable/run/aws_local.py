"""Run translated handlers against moto's in-process AWS emulation, with seeded resources.

``moto_aws(seed)`` is a context manager: inside it every boto3 client (the generated handlers'
service integrations included, since they create their clients at call time) talks to moto
instead of AWS, with fake credentials, the given region and account id. The resources listed in
the seed are created first::

    from asl2durable.run.aws_local import load_seed, moto_aws
    from asl2durable.run.local import run_local

    with moto_aws(load_seed("@seed.json")) as created:
        result = run_local("machine.asl.json", {"QueueUrl": created["queues"]["jobs"]})

moto is an optional dependency (``pip install 'asl2durable[aws-local]'``, or moto itself):
this module imports without it and ``moto_aws`` raises ``RuntimeError`` when it is missing.

Seed file
---------
A JSON object; every member is optional and no other member is allowed (``SEED_SCHEMA``)::

    {
      "buckets": {                         # S3 buckets (SSE-S3 default encryption, as on AWS)
                                           # and the objects put in them
        "my-bucket": {
          "notes.txt": "text body",                     # a string: UTF-8 text
          "data.json": {"json": [1, 2, 3]},             # JSON text of the value
          "blob.bin":  {"base64": "AAEC"},              # bytes
          "page.html": {"text": "<p/>", "content_type": "text/html"}
        },                                              # (text/json/base64: exactly one,
        "empty-bucket": {}                              #  content_type optional)
      },
      "tables": {                          # DynamoDB tables (on-demand billing)
        "orders": {
          "key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],
          "attributes": [{"AttributeName": "id", "AttributeType": "S"}],
          "items": [{"id": {"S": "o1"}, "total": {"N": "12"}}]   # DynamoDB JSON, optional
        }
      },
      "queues": ["jobs", "jobs.fifo"],     # SQS queues; a ".fifo" name makes a FIFO queue
      "topics": ["alerts", "alerts.fifo"], # SNS topics; a ".fifo" name makes a FIFO topic
      "secrets": {"db-password": "hunter2", "db-config": {"json": {"host": "h"}}},
                                           # Secrets Manager secrets (SecretString)
      "activities": ["approve"]            # Step Functions activities
    }

What ``moto_aws`` yields
------------------------
A dict of what was created::

    {"region": "us-east-1", "account_id": "111111111111",
     "buckets": ["my-bucket", ...], "tables": ["orders"],
     "queues": {"jobs": "https://sqs.us-east-1.amazonaws.com/111111111111/jobs", ...},
     "topics": {"alerts": "arn:aws:sns:us-east-1:111111111111:alerts", ...},
     "secrets": {"db-password": "arn:aws:secretsmanager:...:secret:db-password-AbCdEf", ...},
     "activities": {"approve": "arn:aws:states:us-east-1:111111111111:activity:approve"}}

Account and region
------------------
moto takes the account id of each request from the ``MOTO_ACCOUNT_ID`` environment variable
(read per request), so ARNs and queue URLs carry ``account_id`` (default ``111111111111``, the
account the conformance cases use). The region is set through ``AWS_DEFAULT_REGION`` and
``AWS_REGION``. Fake credentials replace any real ones, ``AWS_PROFILE`` and ``AWS_ENDPOINT_URL*``
are removed while the context is active, and the environment is restored on exit.

One emulation at a time
-----------------------
moto's emulation is the process's: it patches botocore for every thread, keeps its resources
per process, and reads the account from the environment, which is process-wide too. So a
process holds one ``moto_aws`` at a time: one started in another thread (a seeded ``verify`` or
``run`` beside another) waits until the first has ended, then starts with its own seed. In one
thread they nest, as moto's own contexts do. Local runs without a seed take no part in this:
they need no lock (``run_local`` is re-entrant).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["SEED_SCHEMA", "load_seed", "moto_aws", "validate_seed"]

_NAME = {"type": "string", "minLength": 1}

_OBJECT_BODY = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "json": {},
                "base64": {"type": "string", "contentEncoding": "base64"},
                "content_type": {"type": "string"},
            },
            "additionalProperties": False,
            "minProperties": 1,
            # exactly one of text / json / base64
            "oneOf": [{"required": ["text"]}, {"required": ["json"]}, {"required": ["base64"]}],
        },
    ]
}

_KEY_ELEMENT = {
    "type": "object",
    "properties": {"AttributeName": _NAME, "KeyType": {"enum": ["HASH", "RANGE"]}},
    "required": ["AttributeName", "KeyType"],
    "additionalProperties": False,
}

_ATTRIBUTE_DEFINITION = {
    "type": "object",
    "properties": {"AttributeName": _NAME, "AttributeType": {"enum": ["S", "N", "B"]}},
    "required": ["AttributeName", "AttributeType"],
    "additionalProperties": False,
}

SEED_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "asl2durable moto seed",
    "description": "AWS resources to create in moto before a local run (see asl2durable.run.aws_local).",
    "type": "object",
    "properties": {
        "buckets": {
            "type": "object",
            "description": "bucket name -> {object key -> body}",
            "propertyNames": {"minLength": 3},
            "additionalProperties": {"type": "object", "additionalProperties": _OBJECT_BODY},
        },
        "tables": {
            "type": "object",
            "description": "DynamoDB table name -> key schema, attribute definitions and items",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "key_schema": {"type": "array", "items": _KEY_ELEMENT, "minItems": 1, "maxItems": 2},
                    "attributes": {"type": "array", "items": _ATTRIBUTE_DEFINITION, "minItems": 1},
                    "items": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["key_schema", "attributes"],
                "additionalProperties": False,
            },
        },
        "queues": {"type": "array", "items": _NAME, "uniqueItems": True},
        "topics": {"type": "array", "items": _NAME, "uniqueItems": True},
        "secrets": {
            "type": "object",
            "description": 'secret name -> SecretString (a string, or {"json": value})',
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "object", "properties": {"json": {}}, "required": ["json"], "additionalProperties": False},
                ]
            },
        },
        "activities": {"type": "array", "items": _NAME, "uniqueItems": True},
    },
    "additionalProperties": False,
}

MISSING_MOTO = (
    "AWS emulation needs moto, which is not installed: "
    "install asl2durable[aws-local] (or `pip install 'moto[s3,sqs,sns,dynamodb,secretsmanager,stepfunctions]'`)"
)


# --------------------------------------------------------------------------------------
# seed files


def validate_seed(seed: Any) -> dict:
    """Check ``seed`` against ``SEED_SCHEMA``; return it, or raise ``ValueError`` saying what is wrong."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(SEED_SCHEMA)
    errors = sorted(validator.iter_errors(seed), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        error = jsonschema.exceptions.best_match(errors) or errors[0]
        where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise ValueError(f"invalid seed at {'seed' + where}: {_short(error)}")
    # What the schema cannot say: base64 bodies decode, table keys are defined attributes.
    for bucket, objects in seed.get("buckets", {}).items():
        for key, body in objects.items():
            if isinstance(body, dict) and "base64" in body:
                try:
                    base64.b64decode(body["base64"], validate=True)
                except ValueError:
                    raise ValueError(f"invalid seed at seed.buckets.{bucket}.{key}: base64 is not valid") from None
    for name, table in seed.get("tables", {}).items():
        defined = {a["AttributeName"] for a in table["attributes"]}
        for element in table["key_schema"]:
            if element["AttributeName"] not in defined:
                raise ValueError(
                    f"invalid seed at seed.tables.{name}: key attribute {element['AttributeName']!r} "
                    "is not listed in attributes"
                )
    return seed


def _short(error: Any) -> str:
    if error.validator == "oneOf" and error.context:
        return error.context[0].message if len(error.context) == 1 else f"{error.instance!r} is not a valid value here"
    return error.message


def load_seed(path_or_text: str) -> dict:
    """Read a seed: ``@file.json``, a path to a JSON file, or inline JSON text (starting with ``{``).

    Raises ``ValueError`` with a plain message when the file cannot be read, is not JSON, or is
    not a valid seed.
    """
    text = path_or_text
    where = "the seed"
    if path_or_text.startswith("@") or not path_or_text.lstrip().startswith(("{", "[")):
        name = path_or_text.removeprefix("@")
        where = name
        try:
            text = Path(name).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValueError(f"cannot read seed file {name}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read seed file {name}: {getattr(e, 'strerror', None) or e}") from None
    try:
        seed = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    return validate_seed(seed)


# --------------------------------------------------------------------------------------
# the emulation


_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE")


@contextmanager
def _environment(region: str, account_id: str) -> Iterator[None]:
    """Set the variables boto3 and moto read; put back exactly what was there before."""
    values = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "MOTO_ACCOUNT_ID": account_id,
    }
    cleared = [k for k in os.environ if k in _CLEARED or k.startswith("AWS_ENDPOINT_URL_")]
    saved = {k: os.environ.get(k) for k in [*values, *cleared]}
    try:
        for key in cleared:
            del os.environ[key]
        os.environ.update(values)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def moto_aws(
    seed: dict | None = None, *, region: str = "us-east-1", account_id: str = "111111111111"
) -> Iterator[dict]:
    """Start moto's in-process AWS emulation, create the seeded resources, yield what was created.

    The environment (fake credentials, ``AWS_DEFAULT_REGION``/``AWS_REGION`` = ``region``,
    ``MOTO_ACCOUNT_ID`` = ``account_id``) is set for the duration and restored afterwards; moto's
    state is discarded on exit. Raises ``RuntimeError`` when moto is not installed and
    ``ValueError`` when the seed is invalid (both before anything is started).
    """
    seed = validate_seed({} if seed is None else seed)
    if not (isinstance(account_id, str) and len(account_id) == 12 and account_id.isdigit()):
        raise ValueError(f"account_id must be 12 digits, not {account_id!r}")
    try:
        from moto import mock_aws
    except ImportError:
        raise RuntimeError(MISSING_MOTO) from None

    with _EMULATION:
        reset_clients()
        try:
            with _environment(region, account_id), mock_aws():
                yield _create(seed, region, account_id)
        finally:
            reset_clients()


# The process's one emulation (see "One emulation at a time"): re-entrant, for nesting.
_EMULATION = threading.RLock()


def reset_clients() -> None:
    """Forget the AWS clients the support modules keep per process (``asl_aws``), so that the
    next call creates clients inside the emulation that is starting (or outside it, once it
    has stopped). The module has one identity (``_resources.install_support_modules``)."""
    module = sys.modules.get("asl_aws")
    if module is not None:
        module.reset()


def _create(seed: dict, region: str, account_id: str) -> dict:
    """Create what ``seed`` lists, kind by kind in :data:`_SEEDERS`' order; return what was
    created (bucket and table names; queue URLs, topic, secret and activity ARNs by name)."""
    import boto3

    created: dict[str, Any] = {"region": region, "account_id": account_id}
    for kind, (service, empty, seeder) in _SEEDERS.items():
        created[kind] = empty()
        if seed.get(kind):
            config = {"config": _s3_seed_config()} if service == "s3" else {}
            seeder(boto3.client(service, region_name=region, **config), seed[kind], created[kind], region)
    return created


def _seed_buckets(s3: Any, buckets: dict, created: list, region: str) -> None:
    for bucket, objects in buckets.items():
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        # AWS encrypts every new bucket with SSE-S3 by default (since January 2023) and says so
        # in GetObject/PutObject responses (ServerSideEncryption: AES256); moto does only when asked.
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_SSE_S3)
        created.append(bucket)
        for key, body in objects.items():
            data, content_type = _object_body(body)
            put: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": data}
            if content_type:
                put["ContentType"] = content_type
            s3.put_object(**put)


def _seed_tables(dynamodb: Any, tables: dict, created: list, _region: str) -> None:
    for name, table in tables.items():
        dynamodb.create_table(
            TableName=name,
            KeySchema=table["key_schema"],
            AttributeDefinitions=table["attributes"],
            BillingMode="PAY_PER_REQUEST",
        )
        for item in table.get("items", []):
            dynamodb.put_item(TableName=name, Item=item)
        created.append(name)


def _seed_queues(sqs: Any, names: Any, created: dict, _region: str) -> None:
    for name in names:
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        created[name] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _seed_topics(sns: Any, names: Any, created: dict, _region: str) -> None:
    for name in names:
        attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
        created[name] = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]


def _seed_secrets(secrets: Any, values: dict, created: dict, _region: str) -> None:
    for name, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value["json"])
        created[name] = secrets.create_secret(Name=name, SecretString=text)["ARN"]


def _seed_activities(sfn: Any, names: Any, created: dict, _region: str) -> None:
    for name in names:
        created[name] = sfn.create_activity(name=name)["activityArn"]


# a seed's kind -> the service that holds it, what ``_create`` reports for it when empty, and
# how it is created; in the order they are created
_SEEDERS: dict[str, tuple[str, Callable[[], Any], Callable[[Any, Any, Any, str], None]]] = {
    "buckets": ("s3", list, _seed_buckets),
    "tables": ("dynamodb", list, _seed_tables),
    "queues": ("sqs", dict, _seed_queues),
    "topics": ("sns", dict, _seed_topics),
    "secrets": ("secretsmanager", dict, _seed_secrets),
    "activities": ("stepfunctions", dict, _seed_activities),
}


def _s3_seed_config() -> Any:
    """Put seeded objects without a checksum: newer botocore adds a CRC32 to every upload, which
    moto then reports on every later GetObject (AWS Step Functions' SDK would not see one)."""
    from botocore.config import Config

    try:
        return Config(request_checksum_calculation="when_required")
    except TypeError:  # botocore older than 1.36 sends no checksum anyway
        return None


_SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def _object_body(body: str | dict) -> tuple[bytes, str | None]:
    if isinstance(body, str):
        return body.encode("utf-8"), None
    content_type = body.get("content_type")
    if "base64" in body:
        return base64.b64decode(body["base64"]), content_type
    if "json" in body:
        return json.dumps(body["json"]).encode("utf-8"), content_type
    return body["text"].encode("utf-8"), content_type
