"""What asl2durable's support code needs from the durable SDK beyond its public API, in
one place.

Copied next to every generated ``handler.py``. Each function here relies on something
the SDK does not document as public; ``tests/test_sdk_adapter.py`` checks each one
against the installed SDK and fails, naming the function, when a release changes what it
relies on. Nothing else in the support modules touches SDK internals.

* :func:`named_exception` - the SDK records an exception's type as
  ``module.QualifiedName``, and a class in ``builtins`` by its bare name
  (``lambda_service._qualified_error_type``). A class made here records exactly the ASL
  error name, at every nesting level (step, child context, branch, execution result).
* :func:`execution_start` - when the execution started: the EXECUTION operation's start
  time (``ExecutionState.get_execution_operation``), the same on every replay;
  ``$$.Execution.StartTime``.
* :func:`callback_error_type` - the error name a callback was failed with
  (``SendDurableExecutionCallbackFailure``'s ``Error.ErrorType``):
  ``CallbackExternalError`` keeps only the message, the name stays on the checkpointed
  operation (``ExecutionState.get_checkpoint_result``).
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any

_CLASSES: dict[tuple[str, type], type] = {}
_LOCK = threading.Lock()


def named_exception(
    error_name: str, base: type[BaseException], /, **attributes: Any
) -> type:
    """The exception class (subclass of ``base``) that the SDK records under exactly
    ``error_name``: one class per name and base, so that ``except``/``isinstance`` work
    across calls. ``attributes`` are set on the class when it is first made."""
    with _LOCK:
        found = _CLASSES.get((error_name, base))
        if found is None:
            namespace = {
                "__module__": "builtins",
                "__qualname__": error_name,
                **attributes,
            }
            # (a class's __name__ cannot hold NUL; the SDK reads __qualname__, which
            # can)
            found = _CLASSES[error_name, base] = type(
                error_name.replace("\0", "\ufffd"), (base,), namespace
            )
        return found


def execution_start(context: Any) -> float | None:
    """The execution's start time (seconds since the epoch), or None when it is not
    known."""
    state = getattr(context, "state", None)
    operation = getattr(state, "get_execution_operation", lambda: None)()
    started = getattr(operation, "start_timestamp", None)
    if started is None:
        return None
    if isinstance(started, _dt.datetime):
        return started.timestamp()
    return (
        started / 1000
        if isinstance(started, (int, float)) and started > 1e11
        else started
    )


def callback_error_type(callback: Any) -> str | None:
    """The error name a failed callback was completed with, or None."""
    state = getattr(callback, "state", None)
    if state is None:
        return None
    error = state.get_checkpoint_result(callback.operation_id).error
    return error.type if error is not None else None
