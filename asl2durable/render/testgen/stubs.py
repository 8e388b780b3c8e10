"""Stubs: the key ``asl_testing`` looks each Task's (and Distributed Map reader's and writer's)
stub up by, its kind, and readable identifiers for the generated file."""

from __future__ import annotations

import re
from typing import Any

from asl2durable.lower import ir
from asl2durable.render.testgen.support import TESTING_HELPERS, _helpers


def stub_key(s: ir.TaskState) -> str | None:
    """The key ``asl_testing`` looks the Task's stub up by (None: known only at run time)."""
    call = s.call
    if isinstance(call, ir.LambdaCall):
        return _function_key(call.function) if call.function else None
    if isinstance(call, ir.ServiceCall):
        if call.pattern == "callback":
            return call.resource
        if call.pattern in ("sync", "sync:2"):
            return call.resource
        return call.base
    return None


def reader_key(s: ir.MapState) -> str | None:
    """The stub key of a Distributed Map's ItemReader (None: no reader, or not a literal resource)."""
    return _io_key(s.item_reader, "ItemReader")


def writer_key(s: ir.MapState) -> str | None:
    """The stub key of a Distributed Map's ResultWriter (None: none, or no literal Resource)."""
    return _io_key(s.result_writer, "ResultWriter")


def _io_key(field: Any, kind: str) -> str | None:
    if field is ir.DEFAULT:
        return None
    spec = field.value if isinstance(field, ir.Jsonata) else field
    resource = spec.get("Resource") if isinstance(spec, dict) else None
    if not isinstance(resource, str) or resource.startswith("{%"):
        return None
    return f"{kind}:{resource}"


def _function_key(name: str) -> str:
    return _helpers("asl_testing", TESTING_HELPERS).function_key(name)


def stub_kind(s: ir.TaskState) -> str:
    call = s.call
    if isinstance(call, ir.LambdaCall):
        return "lambda"
    if call.pattern == "callback":
        return "callback"
    return "job" if call.pattern in ("sync", "sync:2") else "service"


def _identifier(text: str, taken: set, prefix: str, length: int = 48) -> str:
    base = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:length].strip("_") or prefix
    if not base.isascii() or not base.isidentifier() or base[0].isdigit():
        base = f"{prefix}_{base}" if base and base.isascii() else prefix
    if not base.isidentifier():
        base = prefix
    candidate, n = base, 2
    while candidate in taken or __import__("keyword").iskeyword(candidate):
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _short(key: str) -> str:
    """A readable name for a stub key: the function name, or the integration's service and action."""
    text = key.replace(".waitForTaskToken", "").replace(".sync:2", "").replace(".sync", "")
    if text.startswith("ItemReader:"):
        return "item_reader_" + _short(text[len("ItemReader:"):])
    if text.startswith("ResultWriter:"):
        return "result_writer_" + _short(text[len("ResultWriter:"):])
    if text.startswith("arn:") and ":activity:" in text:
        return "activity_" + text.rsplit(":", 1)[-1]
    if text.startswith("arn:aws:states:::"):
        return text[len("arn:aws:states:::"):].replace("aws-sdk:", "")
    return text
