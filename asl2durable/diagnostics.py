"""Diagnostics: problems with the input, collected as data instead of raised."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "ERROR"  # the definition is invalid, or cannot be translated
    WARNING = "WARNING"  # translated, but something is approximated or unsupported
    INFO = "INFO"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding about a definition.

    ``code`` reuses the code AWS's ValidateStateMachineDefinition gives where one exists
    (SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, DUPLICATE_STATE_NAME, ...).
    ``pointer`` is an RFC 6901 JSON pointer into the definition ("" is the whole document).
    """

    pointer: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "pointer": self.pointer,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.pointer or "/"
        return f"{self.severity.value} {self.code} at {where}: {self.message}"


def pointer(*parts: object) -> str:
    """Build a JSON pointer from path parts, escaping '~' and '/' as RFC 6901 requires."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
