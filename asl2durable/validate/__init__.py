"""Validate an ASL definition: the JSON Schema (``asl.schema.json``) plus semantic checks.

    from asl2durable.validate import validate
    diagnostics = validate(definition)   # [] when valid

Never raises on bad input. Diagnostics are sorted by pointer, then code. Codes reuse AWS's
(SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, DUPLICATE_STATE_NAME, ...); the list is in
``asl2durable.validate.messages``.
"""

from __future__ import annotations

from asl2durable.diagnostics import Diagnostic
from asl2durable.validate.messages import INVALID_JSON_DESCRIPTION, error
from asl2durable.validate.schema import check_schema
from asl2durable.validate.semantic import CHECKS
from asl2durable.validate.walk import walked_once

__all__ = ["validate"]

INTERNAL_ERROR = "VALIDATOR_INTERNAL_ERROR"


def validate(definition: object) -> list[Diagnostic]:
    """Every problem found in ``definition`` (a parsed JSON object), sorted by pointer then code."""
    if not isinstance(definition, dict):
        kind = type(definition).__name__
        return [error("", f"Definition must be a JSON object, not {kind}", INVALID_JSON_DESCRIPTION)]
    found: set[Diagnostic] = set()
    with walked_once(definition):
        for check in (check_schema, *CHECKS):
            try:
                found.update(check(definition))
            except RecursionError:
                found.add(error("", "The definition is nested too deeply to validate", "TOO_DEEPLY_NESTED"))
            except Exception as exc:  # a bug here must not hide the other checks' findings
                found.add(error("", f"{check.__name__} failed: {type(exc).__name__}: {exc}", INTERNAL_ERROR))
    return sorted(found)
