"""Diagnostic codes and message wording shared by the schema and the semantic checks.

Codes reuse the ones AWS's ValidateStateMachineDefinition returns where one exists; messages
follow AWS's recorded wording where it is known.
"""

from __future__ import annotations

from asl2durable.diagnostics import Diagnostic, Severity
from asl2durable.validate.walk import JSONATA, JSONPATH

SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
INVALID_TRANSITION = "INVALID_TRANSITION"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
UNREACHABLE_STATE = "UNREACHABLE_STATE"
MISSING_TERMINAL_STATE = "MISSING_TERMINAL_STATE"
INVALID_JSONPATH = "INVALID_JSONPATH"
DUPLICATE_FIELD_NAME = "DUPLICATE_FIELD_NAME"

COMPARISON_OPERATORS: dict[str, str] = {
    # operator -> what its value must be
    **{
        f"String{op}": "string"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    "StringMatches": "string",
    **{
        f"Numeric{op}": "number"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    "BooleanEquals": "boolean",
    **{
        f"Timestamp{op}": "timestamp"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    **{f"Is{kind}": "boolean" for kind in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")},
}
COMPARISON_OPERATORS.update(
    {
        f"{op}Path": "path"
        for op in list(COMPARISON_OPERATORS)
        if op != "StringMatches" and not op.startswith("Is")
    }
)
assert len(COMPARISON_OPERATORS) == 39
CHOICE_COMBINATORS = ("And", "Or", "Not")

#: Fields that only exist in JSONPath states (and their sub-objects).
JSONPATH_ONLY_FIELDS = frozenset(
    {
        "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result",
        "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ItemsPath",
        "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
        "MaxItemsPath", "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath", "ErrorPath", "CausePath",
        "Variable", "RoleArn.$", *COMPARISON_OPERATORS, *CHOICE_COMBINATORS,
    }
)  # fmt: skip
#: Fields that only exist in JSONata states.
JSONATA_ONLY_FIELDS = frozenset({"Arguments", "Output", "Condition", "Items"})


def error(pointer: str, message: str, code: str = SCHEMA_VALIDATION_FAILED) -> Diagnostic:
    return Diagnostic(pointer, code, message, Severity.ERROR)


def warning(pointer: str, message: str, code: str = SCHEMA_VALIDATION_FAILED) -> Diagnostic:
    return Diagnostic(pointer, code, message, Severity.WARNING)


def unsupported_field(field: str, query_language: str | None = None) -> str:
    """Message for a field that is not allowed where it is; explains query-language mixes."""
    if query_language == JSONATA and field in JSONPATH_ONLY_FIELDS:
        return f"The field '{field}' is only supported when QueryLanguage is JSONPath, but it is JSONata here"
    if query_language == JSONPATH and field in JSONATA_ONLY_FIELDS:
        return f"The field '{field}' is only supported when QueryLanguage is JSONata, but it is JSONPath here"
    return f'The field "{field}" is not supported by Step Functions'


def required_field(field: str) -> str:
    return f"The field '{field}' is required but was missing"


def soften(diagnostic: Diagnostic, note: str) -> Diagnostic:
    """The same finding as a WARNING, with ``note`` saying why it may not be an error."""
    return Diagnostic(diagnostic.pointer, diagnostic.code, f"{diagnostic.message} ({note})", Severity.WARNING)


PLACEHOLDER_NOTE = "the value holds a ${...} placeholder; check again after substitution"
