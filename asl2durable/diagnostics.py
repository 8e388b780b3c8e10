"""Diagnostics: problems with the input, collected as data instead of raised."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "ERROR"  # the definition is invalid, or cannot be translated
    WARNING = "WARNING"  # translated, but something is approximated or unsupported
    INFO = "INFO"


@dataclass(frozen=True)
class Position:
    """Where in a text file a diagnostic's pointer is: 1-based line and column (in characters)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding about a definition.

    ``code`` reuses the code AWS's ValidateStateMachineDefinition gives where one exists
    (SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, DUPLICATE_STATE_NAME, ...).
    ``pointer`` is an RFC 6901 JSON pointer into the definition ("" is the whole document).
    ``position`` is where that is in the file read, when it was text (``Loaded.locate`` sets it);
    it takes no part in comparisons, and the JSON records leave it out.
    """

    pointer: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    position: Position | None = field(default=None, compare=False)

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


def failing(diagnostics: list[Diagnostic], *, strict: bool = False) -> list[Diagnostic]:
    """The diagnostics that fail an input: its ERRORs, and with ``strict`` its WARNINGs too."""
    severities = (Severity.ERROR, Severity.WARNING) if strict else (Severity.ERROR,)
    return [d for d in diagnostics if d.severity in severities]
