"""The support modules the walk evaluates with: JSONata, the intrinsic functions, and
``asl_runtime``'s and ``asl_testing``'s pure helpers, compiled without their imports
(``runtime_subset``)."""

from __future__ import annotations

import functools
from typing import Any

from asl2durable._resources import support_module
from asl2durable.render.runtime_subset import NotSeparable, subset


def _runtime_module(name: str) -> Any:
    return support_module(name)


# The helpers of asl_runtime the plan calls: pure functions in a module that imports the durable
# SDK and boto3 (which cost more than the rest of a ``convert``); compiled apart from it. And the
# stub key of a function name, asl_testing's (the generated tests' harness keys stubs by it).
RUNTIME_HELPERS = ("compare", "error_matches", "parse_timestamp")
TESTING_HELPERS = ("function_key",)


def _runtime_helpers() -> Any:
    return _helpers("asl_runtime", RUNTIME_HELPERS)


@functools.cache
def _helpers(module: str, names: tuple[str, ...]) -> Any:
    """``names`` of the support module ``module``, its own code (runtime_subset); the whole
    module when they cannot be compiled apart."""
    try:
        return subset(module, names)
    except NotSeparable:
        return _runtime_module(module)
