"""A durable handler written by hand for REPLAY_MACHINE in replay_cpu.py: what a developer
would write for the same workflow with the durable execution SDK, without asl_runtime.

The Lambda call runs the same Python stub the generated handler's invoker runs (``ECHO``), in a
checkpointed step, as ``lambda:invoke`` with ``Payload.$: $`` and a ``ResultSelector`` would.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration


def echo(event: Any, context: Any = None) -> Any:
    return {"n": event.get("n", 0), "seen": True}


@durable_execution
def handler(event: Any, context: DurableContext) -> Any:
    data = dict(event)
    data["greeting"] = {"text": "hello"}  # Greet (Pass, ResultPath $.greeting)
    payload = context.step(lambda _ctx: echo(data), name="Work")  # Work (Task)
    data["work"] = {"value": payload}  # ResultSelector + ResultPath $.work
    if data["work"]["value"]["n"] > 0:  # Check (Choice)
        context.wait(Duration(5), name="Pause")  # Pause (Wait)
    return data  # Done (Succeed)
