"""``${Name}`` placeholders, as CloudFormation and Step Functions substitute them.

``DefinitionSubstitutions`` and ``Fn::Sub`` replace text in the definition *before* it is parsed,
so a placeholder works wherever its value makes valid JSON: inside a string (``"${Table}"``,
``"States.Format('${Url}?t={}', $.t)"``, ``"{% ${Flag} = true %}"``) or unquoted, standing for a
number or boolean (``"TimeoutSeconds": ${Timeout}``). This module is where the translator knows
that:

- :data:`PLACEHOLDER` is the one pattern of a placeholder (``${Name}``; its name in group 1):
  :func:`names`, :func:`used`, :func:`has_placeholder`, :func:`sub_variables` (an ``Fn::Sub``
  text's variables) and :func:`unclosed` read text with it (the support modules that run beside
  a handler keep their own copy: a test holds them equal);
- :func:`placeholder_name` and :func:`fresh` name a placeholder made for a template's value, and
  :func:`env_names` the environment variable a handler reads each placeholder's value from;
- :func:`protect` makes JSON text with unquoted placeholders parseable (each becomes a string of
  the same length, so line and column numbers stay right), and :func:`restore` turns those
  strings into :class:`Unquoted` values after parsing;
- :func:`settle` decides, once the values are known (a template's substitutions, or
  ``--substitute``), what becomes of each placeholder: an unquoted one in data (Parameters,
  Arguments, Result, Output, Assign, ...) stays a placeholder that the handler
  reads from its environment variable as JSON; one that shapes the machine (TimeoutSeconds, a
  Wait's Seconds, a Retry's MaxAttempts, a Choice rule's operand, ...) or sits in a path or outside
  an intrinsic's string literals takes its value at conversion; one without a value is a diagnostic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterator, Mapping
from typing import Any

from asl2durable.diagnostics import Diagnostic, Severity, pointer

PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
# a "${" that no "}" closes (the closing brace of a placeholder cut short)
_UNCLOSED = re.compile(r"\$\{(?![^{}]*\})")

# CloudFormation's pseudo parameters that a running function can know: they resolve at run time
PSEUDO_PARAMETERS = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix")

UNRESOLVED = "UNRESOLVED_PLACEHOLDER"
FIXED = "PLACEHOLDER_FIXED_AT_CONVERSION"
BAD_VALUE = "INVALID_PLACEHOLDER_VALUE"

# state fields whose value is data (a payload template, JSONata, an Assign): a placeholder there is
# read by the handler at run time
_DATA_FIELDS = frozenset(
    {"Parameters", "Arguments", "Result", "ResultSelector", "ItemSelector", "Output", "Assign", "Items", "Condition"}
)
# fields of ItemReader, ItemBatcher, ResultWriter and Catch/Choices entries that are data
_NESTED_DATA_FIELDS = frozenset({"Parameters", "Arguments", "BatchInput", "Output", "Assign", "Condition"})
_COMPARISONS = frozenset(
    f"{family}{op}"
    for family in ("String", "Numeric", "Timestamp")
    for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
) | {"StringMatches", "BooleanEquals"}
_SUB_MACHINES = {"Branches": 2, "ItemProcessor": 1, "Iterator": 1}  # tokens before a sub-machine's "States"


class Unquoted(str):
    """A placeholder that stood unquoted in the definition's text (``"TimeoutSeconds": ${T}``): its
    value is JSON text (a number, a boolean, ...), not a string. The string is ``${Name}``."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self[2:-1]


def names(text: str) -> list[str]:
    """The placeholder names in ``text``, each once, in order."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def used(definition: Any) -> list[str]:
    """The placeholder names in a definition (its strings and keys), each once, in order."""
    return names(json.dumps(definition, ensure_ascii=False))


def has_placeholder(value: object) -> bool:
    """Is ``value`` a string holding a ``${Name}`` placeholder (a name of at least one character)?"""
    return isinstance(value, str) and any(PLACEHOLDER.findall(value))


def unclosed(text: str) -> bool:
    """Does ``text`` hold a ``${`` without its ``}``?"""
    return _UNCLOSED.search(text) is not None


def sub_variables(text: str) -> list[str]:
    """The variables of an ``Fn::Sub`` text in order (``${Name}``, ``${Resource.Attribute}``,
    ``${AWS::Region}``): not ``${!Text}``, which ``Fn::Sub`` writes as the literal ``${Text}``."""
    return [name for name in PLACEHOLDER.findall(text) if name and not name.startswith("!")]


# --------------------------------------------------------------------------------------
# naming


def placeholder_name(hint: str) -> str:
    """The name of a placeholder made for a template's value, from ``hint`` (what the value is
    called there): runs of characters other than letters, digits and "_" become "_"; "Value"
    when nothing is left."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", hint).strip("_") or "Value"


def fresh(base: str, taken: Container[str], sep: str = "") -> str:
    """``base``, or the first of ``base2``, ``base3``, ... (``sep`` before the number) not taken."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{sep}{n}", n + 1
    return candidate


_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Lambda refuses these as environment variable names; ASL_ names are asl2durable's own.
_RESERVED_PREFIXES = ("AWS_", "LAMBDA_", "ASL_", "_")
_RESERVED = {"TZ", "PATH", "PYTHONPATH", "HOME", "LANG", "LD_LIBRARY_PATH"}
ENV_PREFIX = "SFN_"


def env_names(names: list[str], taken: set[str] | None = None) -> dict[str, str]:
    """An environment variable name for each placeholder name, collision-free, in the order given.

    A name that is a valid identifier (letters, digits, "_", starting with a letter) and not
    reserved (Lambda's ``AWS_*``/``LAMBDA_*``/``_*`` names, asl2durable's ``ASL_*``) is kept;
    otherwise other characters become "_" and ``SFN_`` is put in front when the result is
    still not allowed (``AWS::Region`` -> ``SFN_AWS_Region``). Names that would be equal
    (case-insensitively) get ``_2``, ``_3``, ... ``taken``: the (upper-case) names already
    given, to which the new ones are added.
    """
    out: dict[str, str] = {}
    taken = set() if taken is None else taken
    for name in names:
        if name in out:
            continue
        candidate = name if _allowed(name) else re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
        if not _allowed(candidate):
            candidate = ENV_PREFIX + (candidate or "VALUE")
        base, n = candidate, 2
        while candidate.upper() in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate.upper())
        out[name] = candidate
    return out


def _allowed(name: str) -> bool:
    return bool(_IDENT.match(name)) and not name.upper().startswith(_RESERVED_PREFIXES) and name.upper() not in _RESERVED


# --------------------------------------------------------------------------------------
# reading text


def protect(text: str) -> tuple[str, frozenset[str]]:
    """JSON ``text`` with each placeholder outside a string (``${Name}``) written as the string
    ``"$Name"``, which is as long, and the names so written. Names that cannot be written so (a
    quote, a backslash or a control character in them), or whose ``"$Name"`` string the text
    already has, are left alone (the text then does not parse, as it would not on AWS without
    the value)."""
    out, written, pos, n = [], set(), 0, len(text)
    start = 0
    while pos < n:
        c = text[pos]
        if c == '"':  # skip the string
            pos += 1
            while pos < n and text[pos] != '"':
                pos += 2 if text[pos] == "\\" else 1
            pos += 1
            continue
        if c == "$":
            match = PLACEHOLDER.match(text, pos)
            if match and _writable(match.group(1), text):
                out.append(text[start:pos])
                out.append(f'"${match.group(1)}"')
                written.add(match.group(1))
                pos = start = match.end()
                continue
        pos += 1
    if not written:
        return text, frozenset()
    out.append(text[start:])
    return "".join(out), frozenset(written)


def _writable(name: str, text: str) -> bool:
    return bool(name) and not re.search(r'["\\\x00-\x1f]', name) and f'"${name}"' not in text


def restore(value: Any, written: frozenset[str]) -> Any:
    """A value parsed from :func:`protect`'s text with each ``"$Name"`` it wrote as ``Unquoted``."""
    if not written:
        return value
    if isinstance(value, str):
        return Unquoted("${" + value[1:] + "}") if value[:1] == "$" and value[1:] in written else value
    if isinstance(value, dict):
        return {k: restore(v, written) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v, written) for v in value]
    return value


# --------------------------------------------------------------------------------------
# where a placeholder is


def is_data(ptr: str) -> bool:
    """Is the value at ``ptr`` (a JSON pointer into a definition) data that the handler computes
    at run time, rather than a field that shapes the machine?"""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]] if ptr else []
    while len(tokens) >= 3 and tokens[0] == "States":
        field = tokens[2]
        rest = tokens[3:]
        if field in _SUB_MACHINES and len(rest) >= _SUB_MACHINES[field] and rest[_SUB_MACHINES[field] - 1] == "States":
            tokens = rest[_SUB_MACHINES[field] - 1 :]
            continue
        if field in _DATA_FIELDS:
            return True
        if field in ("ItemReader", "ItemBatcher", "ResultWriter"):
            return bool(rest) and rest[0] in _NESTED_DATA_FIELDS
        if field in ("Catch", "Choices"):  # a Choice rule's operand is checked, so fixed at conversion
            return any(t in _NESTED_DATA_FIELDS for t in rest[1:])
        return False
    return False


def _strings(value: Any, ptr: str = "") -> Iterator[tuple[str, Any, str | None]]:
    """(pointer, string, key) of every string in ``value``, member keys included (``key``: the
    member's key; a key itself comes with ``key`` None)."""
    if isinstance(value, str):
        yield ptr, value, None
    elif isinstance(value, dict):
        for k, v in value.items():
            yield ptr + pointer(k), k, None
            if isinstance(v, str):
                yield ptr + pointer(k), v, k
            else:
                yield from _strings(v, ptr + pointer(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, ptr + pointer(i))


def _is_expression(key: str | None, text: str) -> bool:
    """Is the string an expression Step Functions parses (a ``.$`` field, or a path field)?"""
    return key is not None and (key.endswith(".$") or key in _PATH_FIELDS)


_PATH_FIELDS = frozenset(
    {"InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable", "SecondsPath", "TimestampPath",
     "ErrorPath", "CausePath", "HeartbeatSecondsPath", "TimeoutSecondsPath", "MaxConcurrencyPath",
     "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "MaxItemsPath", "MaxItemsPerBatchPath",
     "MaxInputBytesPerBatchPath"}
) | {f"{c}Path" for c in _COMPARISONS}


def _outside_literals(text: str) -> Iterator[re.Match]:
    """The placeholders of an expression that are not inside one of its '...' string literals."""
    quoted = False
    pos = 0
    while pos < len(text):
        c = text[pos]
        if c == "\\" and quoted:
            pos += 2
            continue
        if c == "'":
            quoted = not quoted
        elif c == "$" and not quoted:
            match = PLACEHOLDER.match(text, pos)
            if match:
                yield match
                pos = match.end()
                continue
        pos += 1


# --------------------------------------------------------------------------------------
# settling


def settle(
    definition: dict, values: Mapping[str, str | None], *, configured: frozenset[str] = frozenset()
) -> tuple[dict, list[Diagnostic]]:
    """The definition with the placeholders that must take their value at conversion replaced,
    and the diagnostics: what was fixed at conversion (INFO), what has no value (ERROR where
    the definition cannot be read without one, WARNING where the text stays as it is).

    ``values`` maps each placeholder with a known value to its text (as CloudFormation would
    substitute it), and each placeholder the handler can read from its environment to None
    (a template's intrinsic function, a pseudo parameter); ``configured`` are the names the
    handler reads (every name of ``values``, unless given)."""
    settler = _Settler(values, configured or frozenset(values))
    settled = settler.walk(definition, "", None)
    settler.report_left(settled)
    return settled, settler.diagnostics


class _Settler:
    """One :func:`settle`: the values, the names the handler reads, the diagnostics so far."""

    def __init__(self, values: Mapping[str, str | None], configured: frozenset[str]):
        self.values = values
        self.configured = configured
        self.diagnostics: list[Diagnostic] = []

    def value_of(self, name: str, where: str, why: str) -> Any:
        text = self.values.get(name)
        if text is None:
            self.diagnostics.append(Diagnostic(where, UNRESOLVED, (
                f"${{{name}}} has no value, and {why}: give it one with --substitute {name}=VALUE "
                "(or --substitutions FILE.json), or in the template's DefinitionSubstitutions"
            )))
            return None
        try:
            value = json.loads(text)
        except ValueError:
            self.diagnostics.append(Diagnostic(where, BAD_VALUE, (
                f"${{{name}}} stands unquoted, so its value must be JSON (a number, true, false, ...), not {text!r}"
            )))
            return None
        self.diagnostics.append(Diagnostic(where, FIXED, (
            f"${{{name}}} takes its value, {text}, at conversion (this field shapes the machine): "
            "convert again when the value changes"
        ), Severity.INFO))
        return value

    def fix_text(self, match: re.Match, where: str) -> str:
        name = match.group(1)
        text = self.values.get(name)
        if text is None:  # the text stays: a WARNING of report_left says so
            return match.group(0)
        self.diagnostics.append(Diagnostic(where, FIXED, (
            f"${{{name}}} takes its value, {text}, at conversion (it is part of an expression): "
            "convert again when the value changes"
        ), Severity.INFO))
        return text

    def unquoted(self, value: Unquoted, ptr: str) -> Any:
        name = value.name
        if not is_data(ptr):
            fixed = self.value_of(name, ptr, "this field shapes the machine")
        elif name in self.configured:
            if self.values.get(name) is not None and not _is_json(self.values[name]):
                self.diagnostics.append(Diagnostic(ptr, BAD_VALUE, (
                    f"${{{name}}} stands unquoted, so its value must be JSON (a number, true, "
                    f"false, ...), not {self.values[name]!r}"
                )))
            return value
        else:
            fixed = self.value_of(name, ptr, "an unquoted placeholder stands for a JSON value")
        return value if fixed is None else fixed

    def walk(self, value: Any, ptr: str, key: str | None) -> Any:
        if isinstance(value, Unquoted):
            return self.unquoted(value, ptr)
        if isinstance(value, str):
            if _is_expression(key, value) and PLACEHOLDER.search(value):
                return _sub_outside_literals(value, lambda m: self.fix_text(m, ptr))
            return value
        if isinstance(value, dict):
            return {k: self.walk(v, ptr + pointer(k), k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, ptr + pointer(i), None) for i, v in enumerate(value)]
        return value

    def report_left(self, settled: Any) -> None:
        """Placeholders left in strings (and keys) with no value: the text stays as it is (a
        Task's Resource is lowering's to report: UNSUPPORTED_INTEGRATION says what it stands for)."""
        for ptr, text, key in _strings(settled):
            if isinstance(text, Unquoted) or key == "Resource":
                continue
            for name in names(text):
                if name not in self.configured and not name.startswith("!"):
                    self.diagnostics.append(Diagnostic(ptr, UNRESOLVED, (
                        f"${{{name}}} has no value, so it stays as this text in the handler (Step Functions "
                        f"would substitute it): give it one with --substitute {name}=VALUE (or --substitutions "
                        "FILE.json), or in the template's DefinitionSubstitutions"
                    ), Severity.WARNING))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _sub_outside_literals(text: str, replace: Any) -> str:
    pieces, last = [], 0
    for match in _outside_literals(text):
        pieces += [text[last : match.start()], replace(match)]
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text


def standin(text: str, values: Mapping[str, str | None]) -> str:
    """An expression's text as Step Functions would parse it: each placeholder replaced by its
    value, or by ``x`` when the value is not known (for checking its syntax at conversion)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "x", text)
