"""Serverless Framework inputs: ``serverless.yml`` with the serverless-step-functions plugin.

Each ``stepFunctions.stateMachines.<name>`` of a ``serverless.yml`` (or ``serverless.yaml``) is one
machine: its ``definition`` (inline YAML, JSON text, or ``${file(...)}``), ``type: EXPRESS``. The file
is read as the Serverless Framework reads it (YAML 1.2 booleans: ``Yes``/``No``/``on``/``off`` are
strings; keys are strings, as in JavaScript; CloudFormation short-form tags), by the loader's parser.

Serverless variables (``${self:...}``, ``${opt:...}``, ``${sls:...}``, ``${env:...}``, ``${ssm:...}``,
``${file(...)...}``, with fallbacks ``${opt:stage, 'dev'}``) are resolved as far as the file says:
``${self:...}`` and ``${file(...)}`` (a local YAML or JSON file) are looked up; a string or number they
name, and what is only known when the service is deployed (an option, the environment, a parameter),
become ``${placeholder}``s of the definition, as Terraform interpolations do (asl2durable.load.terraform): a
:class:`cfn.Substitution` whose value is the literal found (or the fallback), else
``{"Serverless": "<the variable>"}``, with an INFO diagnostic naming the variable. Where the definition
needs a number or boolean (the whole value is one variable with such a value) the literal is used.
``${aws:region}`` and ``${aws:accountId}`` are ``!Ref AWS::Region`` and ``!Ref AWS::AccountId``.

Intrinsic functions in the definition (``Fn::GetAtt``, ``Ref``, ``Fn::Sub``) become placeholders as in
an inline CloudFormation ``Definition`` (asl2durable.load.cfn); as the plugin does, a function key of the
file (``hello``) in ``Ref``/``Fn::GetAtt`` is its Lambda logical ID (``HelloLambdaFunction``), and when
the definition has intrinsic functions or ``#{AWS::Region}`` pseudo parameters, ``${AWS::Region}`` in
its strings is an ``Fn::Sub`` variable. A Lambda ARN written with the function's deployed name
(``arn:aws:lambda:...:function:${self:service}-${opt:stage}-hello``) is that function too. Nothing
here raises for bad input: problems are diagnostics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.load import cfn
from asl2durable.diagnostics import Diagnostic, Severity, pointer
from asl2durable.load.placeholders import fresh, placeholder_name, used

FILE_NAMES = ("serverless.yml", "serverless.yaml")
PLACEHOLDER = "SERVERLESS_PLACEHOLDER"
UNRESOLVED = "SERVERLESS_VARIABLE_UNRESOLVED"
NO_DEFINITION = cfn.NO_DEFINITION
BAD_DEFINITION = cfn.BAD_DEFINITION
BAD_FILE = cfn.BAD_TEMPLATE
MACHINES_POINTER = pointer("stepFunctions", "stateMachines")

# "${" starting a Serverless variable: a source ("self:", "opt:", "file(", "strToBool(") but not a
# CloudFormation "${AWS::Region}" or "${Resource.Attribute}", which Fn::Sub reads.
_VARIABLE = re.compile(r"\$\{(?=\s*[A-Za-z][A-Za-z0-9_-]*\s*(?::(?!:)|\())")
_MAX_DEPTH = 60
_SENTINEL = re.compile("\x00(\\d+)\x00")
# CloudFormation pseudo parameters as the serverless-pseudo-parameters plugin writes them.
_PSEUDO = re.compile(r"#\{([^{}]*)\}")
_AWS_VARIABLES = {"aws:region": {"Ref": "AWS::Region"}, "aws:accountId": {"Ref": "AWS::AccountId"}}

Parse = Callable[[str, bool], tuple[object, list[Diagnostic]]]
Read = Callable[[Path], tuple[str, str | None]]


def is_serverless(path: Path) -> bool:
    return path.name.lower() in FILE_NAMES


def normalized_name(name: str) -> str:
    """A name as the Serverless Framework and the plugin put it in logical IDs: "-" is "Dash",
    "_" is "Underscore", the first letter capitalised."""
    normalized = name.replace("-", "Dash").replace("_", "Underscore")
    return normalized[:1].upper() + normalized[1:]


def lambda_logical_id(function: str) -> str:
    """The logical ID the Serverless Framework gives the function ``function`` of ``functions:``."""
    return normalized_name(function) + "LambdaFunction"


# --------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class Unknown:
    """A variable only known when the service is deployed; its literal value or fallback, if any."""

    expression: str
    default: Any = None
    has_default: bool = False
    hint: str = "Value"  # the placeholder name to use
    value: Any = None  # what the substitution is set to, when it is not the default or the expression


@dataclass(frozen=True)
class _Text:
    """A string with unknown pieces."""

    pieces: tuple


_MISSING = object()


@dataclass
class Service:
    """A parsed ``serverless.yml``."""

    path: Path
    document: dict | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parse: Parse | None = None
    read: Read | None = None
    text: str = field(default="", repr=False)  # the text read

    def machines(self) -> list[str]:
        """The keys of ``stepFunctions.stateMachines``."""
        resolver = _Resolver(self)
        machines = resolver.known(resolver.lookup(["stepFunctions", "stateMachines"]))
        return [str(k) for k in machines] if isinstance(machines, dict) else []


def read_service(path: Path, read: Read, parse: Parse) -> Service:
    """Read and parse ``path``; ``parse(text, yaml_syntax)`` is the loader's Serverless YAML parser."""
    text, problem = read(path)
    if problem:
        return Service(path, None, [Diagnostic("", cfn.NOT_READABLE, problem)])
    document, diagnostics = parse(text, not text.lstrip().startswith("{"))
    if document is None:
        return Service(path, None, diagnostics or [Diagnostic("", BAD_FILE, f"{path.name} is empty")])
    if not isinstance(document, dict):
        return Service(path, None, [*diagnostics, Diagnostic("", BAD_FILE, f"{path.name} is not a mapping")])
    return Service(path, document, diagnostics, parse, read, text)


class _Resolver:
    """Resolves the Serverless variables of one service's values."""

    def __init__(self, service: Service):
        self.service = service
        self.depth = 0
        self.files: list[Path] = []
        self.problems: list[str] = []
        self.resolving: list[str] = []  # the variables being resolved, to find one that refers to itself
        self._file_cache: dict[Path, Any] = {}

    # whole values -----------------------------------------------------------------------

    def value(self, value: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                self.problems.append("variables refer to each other too deeply")
                return Unknown("${…}", hint="Value")
            if isinstance(value, str):
                return self.string(value)
            if isinstance(value, dict):
                return {k: self.value(v) for k, v in value.items()}
            if isinstance(value, list):
                return [self.value(v) for v in value]
            return value
        finally:
            self.depth -= 1

    def known(self, value: Any) -> Any:
        """A resolved value as a plain value where the file says it (an unknown's literal default);
        ``_MISSING`` where it does not."""
        value = self.value(value) if isinstance(value, str) else value
        if isinstance(value, Unknown):
            return value.default if value.has_default else _MISSING
        if isinstance(value, _Text):
            return _MISSING
        return value

    def lookup(self, path: list[str], root: Any = None) -> Any:
        """The value at ``path`` in ``root`` (the service's document), resolving variables on the way."""
        node: Any = self.service.document if root is None else root
        for step in path:
            node = self.known(node)
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                return _MISSING
        return node

    # strings ----------------------------------------------------------------------------

    def string(self, text: str) -> Any:
        pieces = _split(text)
        if pieces is None:
            self.problems.append(f"unterminated variable in {text!r}")
            return text
        if len(pieces) == 1 and isinstance(pieces[0], _Var):
            return self.variable(pieces[0].inner)
        resolved = [p if isinstance(p, str) else self.variable(p.inner) for p in pieces]
        return _join(resolved)

    def variable(self, inner: str) -> Any:
        """The value of ``${inner}``: a known value, or an Unknown."""
        expression = "${" + inner + "}"
        parts = _split_top(inner, ",")
        if expression in self.resolving:
            self.problems.append(f"{expression} refers to itself")
            return Unknown(expression, hint=_hint(parts[0].strip()))
        self.resolving.append(expression)
        try:
            return self._variable(expression, parts)
        finally:
            self.resolving.pop()

    def _variable(self, expression: str, parts: list[str]) -> Any:
        primary = self.reference(parts[0].strip(), expression)
        if primary is not _MISSING and not isinstance(primary, Unknown):
            return primary
        for fallback in parts[1:]:
            value = self.reference(fallback.strip(), expression)
            if value is _MISSING:
                continue
            if isinstance(value, Unknown):
                if value.has_default:
                    value = value.default
                else:
                    continue
            if isinstance(value, _Text):
                continue
            if not isinstance(primary, Unknown):  # missing: the fallback is the value
                return value
            return Unknown(expression, value, True, primary.hint, primary.value)
        if isinstance(primary, Unknown):
            return primary
        return Unknown(expression, hint=_hint(parts[0].strip()))

    def reference(self, text: str, expression: str) -> Any:
        """One reference of a variable (the first, or a fallback)."""
        if not text:
            return _MISSING
        if text.startswith("${") and text.endswith("}"):
            return self.string(text)
        literal = _literal(text)
        if literal is not _MISSING:
            return literal
        if "${" in text:  # a variable inside the address: self:custom.${opt:stage}
            address = self.string(text)
            if not isinstance(address, str):
                return Unknown(expression, hint=_hint(text))
            text = address
        source = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*(:|\()", text)
        if source is None:
            return text  # a bare word as a fallback
        kind = source.group(1)
        if kind == "self" and source.group(2) == ":":
            return self.own(text, text[source.end():].strip(), expression)
        if kind == "file" and source.group(2) == "(":
            return self.file(text, expression)
        if text in _AWS_VARIABLES:
            return Unknown(expression, hint=_hint(text), value=_AWS_VARIABLES[text])
        if text.replace(" ", "") == "sls:stage":
            stage = self.known(self.lookup(["provider", "stage"]))
            return Unknown(expression, stage if isinstance(stage, str) else "dev", True, "stage")
        return Unknown(expression, hint=_hint(text))

    def own(self, text: str, address: str, expression: str) -> Any:
        """A ``self:`` reference: the value at ``address`` in the file."""
        path = [p for p in address.split(".") if p] if address else []
        found = self.lookup(path)
        if found is _MISSING:
            return _MISSING
        value = self.value(found)
        if isinstance(value, (str, int, float, bool)):
            return Unknown(expression, value, True, _hint(text))
        return value

    def file(self, text: str, expression: str) -> Any:
        """``file(path)`` or ``file(path):address``: a local YAML or JSON file's content."""
        found, hint = self.file_node(text, expression)
        if found is _MISSING or isinstance(found, Unknown):
            return found
        value = self.value(found)
        if isinstance(value, (str, int, float, bool)):
            return Unknown(expression, value, True, hint)
        return value

    def file_node(self, text: str, expression: str) -> tuple[Any, str]:
        """What ``file(path):address`` names, as written in the file (``_MISSING`` when the address is
        not there, an Unknown when the file cannot be read); and the placeholder name it gives."""
        close = text.find(")")
        if close < 0:
            self.problems.append(f"{expression}: no closing parenthesis")
            return Unknown(expression, hint="file"), "file"
        name = text[text.index("(") + 1:close].strip().strip("'\"")
        rest = text[close + 1:].strip()
        address = rest[1:].strip() if rest.startswith(":") else ""
        hint = _hint(address or Path(name).stem)
        path = self.service.path.parent / name
        if path.suffix.lower() not in (".yml", ".yaml", ".json"):
            self.problems.append(f"{expression}: only YAML and JSON files are read, not {name}")
            return Unknown(expression, hint=hint), hint
        if path not in self._file_cache:
            assert self.service.read is not None and self.service.parse is not None
            content, problem = self.service.read(path)
            document = None
            if problem:
                self.problems.append(f"{expression}: {problem}")
            else:
                document, problems = self.service.parse(content, path.suffix.lower() != ".json")
                if document is None:
                    self.problems.append(f"{expression}: " + "; ".join(d.message for d in problems))
                self.files.append(path)
            self._file_cache[path] = document
        document = self._file_cache[path]
        if document is None:
            return Unknown(expression, hint=hint), hint
        return (self.lookup([p for p in address.split(".") if p], document) if address else document), hint

    def written(self, value: Any) -> Any:
        """``value`` followed through variables that are the whole value and name a part of the file
        or of a ``${file(...)}`` (``${self:custom.machine}``, ``${file(./definition.yml)}``): what is
        written there, its own variables not resolved yet."""
        for _ in range(_MAX_DEPTH):
            pieces = _split(value) if isinstance(value, str) else None
            if not pieces or len(pieces) != 1 or not isinstance(pieces[0], _Var):
                return value
            expression = "${" + pieces[0].inner + "}"
            parts = _split_top(pieces[0].inner, ",")
            reference = parts[0].strip()
            if len(parts) != 1 or "${" in reference:
                return value
            if reference.startswith("self:"):
                found = self.lookup([p for p in reference[5:].strip().split(".") if p])
            elif reference.startswith("file("):
                found = self.file_node(reference, expression)[0]
            else:
                return value
            if found is _MISSING or isinstance(found, Unknown):
                return value
            value = found
        return value


@dataclass(frozen=True)
class _Var:
    inner: str


def _split(text: str) -> list | None:
    """``text`` as literal pieces and variables; None when a variable is not closed."""
    pieces: list = []
    pos = 0
    for match in _VARIABLE.finditer(text):
        if match.start() < pos:
            continue
        end = _closing(text, match.end())
        if end is None:
            return None
        if match.start() > pos:
            pieces.append(text[pos:match.start()])
        pieces.append(_Var(text[match.end():end]))
        pos = end + 1
    if pos < len(text) or not pieces:
        pieces.append(text[pos:])
    return pieces


def _closing(text: str, start: int) -> int | None:
    """The index of the "}" closing a variable whose inside starts at ``start``."""
    depth = 0
    quote = None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
    return None


def _split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside quotes, braces and parentheses."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _join(values: list) -> Any:
    """A string's resolved pieces: a str when all are known, else a _Text."""
    pieces: list = []
    for v in values:
        if isinstance(v, _Text):
            pieces += v.pieces
        elif isinstance(v, Unknown):
            pieces.append(v)
        elif v is _MISSING or v is None:
            pieces.append("")
        elif isinstance(v, bool):
            pieces.append("true" if v else "false")
        elif isinstance(v, (int, float, str)):
            pieces.append(str(v))
        else:
            pieces.append(json.dumps(v, separators=(",", ":")))
    if all(isinstance(p, str) for p in pieces):
        return "".join(pieces)
    return _Text(tuple(pieces))


def _literal(text: str) -> Any:
    """A literal fallback of a variable (a quoted string, a number, true or false), or _MISSING."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    return _MISSING


def _hint(reference: str) -> str:
    """The placeholder name of a reference: its address's last name (``opt:stage`` -> stage,
    ``self:custom.tableName`` -> tableName, ``ssm:/app/key`` -> key)."""
    address = re.sub(r"^[A-Za-z][A-Za-z0-9_-]*\s*[:(]", "", reference.strip())
    address = re.sub(r"^[^)]*\)\s*:?", "", address) if reference.strip().startswith("file(") else address
    names = [n for n in re.split(r"[.:/~\s]+", address) if re.sub(r"[^A-Za-z0-9_]", "", n)]
    return placeholder_name(names[-1] if names else "")


# --------------------------------------------------------------------------------------
# extraction


@dataclass
class Extracted:
    """One state machine taken out of a ``serverless.yml``."""

    definition: dict | None
    substitutions: tuple[cfn.Substitution, ...] = ()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    workflow_type: str | None = "STANDARD"
    definition_pointer: str | None = None  # an inline definition's pointer in the file
    definition_file: tuple[Path, str] | None = None  # a definition that is a whole ${file(...)}: the file, its text
    files: tuple[Path, ...] = ()  # the files read by ${file(...)}
    details: dict = field(default_factory=dict)  # what MIGRATION.md says about the machine


def extract(service: Service, key: str) -> Extracted:
    """The definition of ``stepFunctions.stateMachines.<key>``."""
    here = MACHINES_POINTER + pointer(key)
    resolver = _Resolver(service)
    machines = resolver.known(resolver.lookup(["stepFunctions", "stateMachines"]))
    if not isinstance(machines, dict) or key not in machines:
        return Extracted(None, (), [Diagnostic("", BAD_FILE, f"{key} is not a state machine of {service.path.name}")], None)
    machine = resolver.known(machines[key])
    if not isinstance(machine, dict):
        return Extracted(None, (), [Diagnostic(here, BAD_FILE, f"the state machine {key} is not a mapping")], None)
    workflow_type = cfn._workflow_type(resolver.known(machine.get("type", "STANDARD")))
    details = _details(service, resolver, key, machine)
    if "definition" not in machine:
        return Extracted(None, (), [Diagnostic(here, NO_DEFINITION, f"the state machine {key} has no definition")], workflow_type, details=details)
    written = machine["definition"]
    definition_pointer = here + pointer("definition") if isinstance(written, dict) else None
    functions = _functions(service, resolver)
    raw = _lambda_arns(resolver.written(written), functions, _service_name(resolver))
    known_problems = len(resolver.problems)
    value = resolver.value(raw)
    where = here + pointer("definition")
    if isinstance(value, (Unknown, _Text)):
        why = "; ".join(resolver.problems) or "it is only known when the service is deployed"
        return Extracted(None, (), [Diagnostic(where, BAD_DEFINITION, f"the definition is {written if isinstance(written, str) else 'a variable'}: {why}")],
                         workflow_type, files=tuple(resolver.files), details=details)
    diagnostics = [
        Diagnostic(where, UNRESOLVED, f"a Serverless variable is not resolved: {problem}", Severity.WARNING)
        for problem in dict.fromkeys(resolver.problems[known_problems:])
    ]
    if isinstance(value, str):  # JSON text
        assert service.parse is not None
        value, problems = service.parse(value, False)
        diagnostics += [Diagnostic(where + d.pointer, d.code, d.message, d.severity) for d in problems]
        definition_pointer = None
    if not isinstance(value, dict):
        if not diagnostics:
            diagnostics.append(Diagnostic(where, BAD_DEFINITION, "the definition is not a mapping"))
        return Extracted(None, (), diagnostics, workflow_type, files=tuple(resolver.files), details=details)
    definition_file = None
    whole = re.fullmatch(r"\$\{\s*file\(\s*['\"]?([^)'\"]+)['\"]?\s*\)\s*\}", written.strip()) if isinstance(written, str) else None
    if whole and service.read is not None:
        path = service.path.parent / whole.group(1).strip()
        text, problem = service.read(path)
        definition_file = None if problem else (path, text)
    unknowns: list[Unknown] = []
    definition = _sentinels(value, unknowns)
    resources = _resources(resolver)
    logical_ids = {k: lambda_logical_id(k) for k in functions if k not in resources}
    holder = cfn._Placeholders({*logical_ids.values(), *(k for k, t in resources.items() if t in cfn.FUNCTION_TYPES)})
    definition = _short_names(definition, logical_ids, _activities(resolver))
    text = json.dumps(definition)
    if any(cfn.is_intrinsic(v) for v in _nodes(definition)) or _PSEUDO.search(text):
        definition = _as_sub(definition, holder)  # the plugin puts the definition in an Fn::Sub
    definition = cfn._replace_intrinsics(definition, holder, "Definition")
    names = _name_unknowns(definition, unknowns, holder)
    definition = _unsentinel(definition, names)
    names_used = set(used(definition))
    holder.values = {k: v for k, v in holder.values.items() if k in names_used}
    substitutions = holder.substitutions()
    expressions = {names[i]: u.expression for i, u in enumerate(unknowns) if i in names}
    functions_by_id = {v: k for k, v in logical_ids.items()}
    for sub in substitutions:
        target = _target(sub.value) if isinstance(sub.value, dict) else None
        if sub.name in expressions:
            message = f"${{{sub.name}}} is the Serverless variable {expressions[sub.name]}" + (
                f" (its value in the file: {json.dumps(sub.value)})" if not (isinstance(sub.value, dict) and "Serverless" in sub.value) and not cfn.is_intrinsic(sub.value) else ""
            )
        elif sub.function and target is not None and target in functions_by_id:
            message = f"${{{sub.name}}} is the function {functions_by_id[target]} of {service.path.name}"
        else:
            continue
        diagnostics.append(Diagnostic(where, PLACEHOLDER, f"{message}; the handler reads it from the environment variable {sub.env}", Severity.INFO))
    details["settings"] = {sub.name: expressions.get(sub.name) for sub in substitutions}
    details["functions"] = {
        sub.name: functions_by_id[t] for sub in substitutions
        if sub.function and isinstance(sub.value, dict) and (t := _target(sub.value)) is not None and t in functions_by_id
    }
    return Extracted(definition, substitutions, diagnostics, workflow_type, definition_pointer, definition_file, tuple(resolver.files), details)


def _target(value: dict) -> str | None:
    if "Ref" in value:
        return value["Ref"]
    arg = value.get("Fn::GetAtt")
    return arg[0] if isinstance(arg, list) and arg else None


def _nodes(value: Any):
    stack = [value]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack += node.values()
        elif isinstance(node, list):
            stack += node


def _functions(service: Service, resolver: _Resolver) -> dict[str, Any]:
    """The ``functions:`` of the service (a mapping, or a list of mappings as ``${file()}`` gives)."""
    functions = resolver.known(resolver.lookup(["functions"]))
    if isinstance(functions, list):
        merged: dict = {}
        for item in functions:
            item = resolver.known(item)
            if isinstance(item, dict):
                merged.update(item)
        functions = merged
    return {str(k): v for k, v in functions.items()} if isinstance(functions, dict) else {}


def _resources(resolver: _Resolver) -> dict[str, str | None]:
    """Logical ID -> Type of the service's ``resources.Resources``."""
    out: dict[str, str | None] = {}
    resources = resolver.known(resolver.lookup(["resources"]))
    for block in resources if isinstance(resources, list) else [resources]:
        block = resolver.known(block)
        inner = resolver.known(block.get("Resources")) if isinstance(block, dict) else None
        if isinstance(inner, dict):
            for k, r in inner.items():
                out[str(k)] = r.get("Type") if isinstance(r, dict) else None
    return out


def _service_name(resolver: _Resolver) -> str | None:
    name = resolver.known(resolver.lookup(["service"]))
    if isinstance(name, dict):
        name = resolver.known(name.get("name"))
    return name if isinstance(name, str) else None


_ARN_PART = r"(?:[^:${}#]|\$\{(?:[^{}]|\{[^{}]*\})*\}|#\{[^{}]*\})+"
_LAMBDA_ARN = re.compile(rf"arn:{_ARN_PART}:lambda:{_ARN_PART}:{_ARN_PART}:function:(?P<name>{_ARN_PART})")
_STAGE = r"(?:\$\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9]+)"


def _lambda_arns(raw: Any, functions: dict[str, Any], service: str | None) -> Any:
    """A Lambda ARN naming a function of the file by its deployed name (``<service>-<stage>-<key>``,
    or its ``name:``), written out or in an ``Fn::Sub``, as ``Fn::GetAtt [<logical ID>, Arn]``."""
    services = ["${self:service}", "${self:service.name}"] + ([service] if service else [])

    def function(text: str) -> str | None:
        match = _LAMBDA_ARN.fullmatch(text.strip())
        if match is None:
            return None
        name = match.group("name")
        for key, spec in functions.items():
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                if spec["name"].replace(" ", "") == name.replace(" ", ""):
                    return key
                continue
            pattern = rf"(?:{'|'.join(re.escape(s) for s in services)})-{_STAGE}-{re.escape(key)}"
            if re.fullmatch(pattern, name.replace(" ", "") if name.startswith("${") else name):
                return key
        return None

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            key = function(value)
            return {"Fn::GetAtt": [lambda_logical_id(key), "Arn"]} if key else value
        if isinstance(value, dict):
            if len(value) == 1 and isinstance(value.get("Fn::Sub"), str):
                key = function(value["Fn::Sub"])
                if key:
                    return {"Fn::GetAtt": [lambda_logical_id(key), "Arn"]}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(raw)


def _activities(resolver: _Resolver) -> dict[str, str]:
    """Logical ID -> name of the activities the plugin creates (``stepFunctions.activities``)."""
    names = resolver.known(resolver.lookup(["stepFunctions", "activities"]))
    out = {}
    for name in names if isinstance(names, list) else []:
        name = resolver.known(name)
        if isinstance(name, str):
            out[normalized_name(name) + "StepFunctionsActivity"] = name
    return out


def _short_names(value: Any, logical_ids: dict[str, str], activities: dict[str, str]) -> Any:
    """``Ref: hello`` / ``Fn::GetAtt: [hello, Arn]`` with ``hello`` a function key: its logical ID; the
    ``Ref`` of an activity of the plugin: its ARN (an ``Fn::Sub`` of its name)."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in logical_ids:
            return {"Ref": logical_ids[value["Ref"]]}
        if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in activities:
            return {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:activity:" + activities[value["Ref"]]}
        arg = value.get("Fn::GetAtt") if len(value) == 1 else None
        if isinstance(arg, str) and "." in arg:
            arg = arg.split(".", 1)
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            return {"Fn::GetAtt": [logical_ids.get(arg[0], arg[0]), arg[1]]}
        return {k: _short_names(v, logical_ids, activities) for k, v in value.items()}
    if isinstance(value, list):
        return [_short_names(v, logical_ids, activities) for v in value]
    return value


def _sentinels(value: Any, unknowns: list[Unknown]) -> Any:
    """A resolved value as JSON data, each unknown piece as a sentinel (``\\0N\\0``): a value that
    is one unknown with a literal number or boolean is that literal."""

    def token(u: Unknown) -> str:
        unknowns.append(u)
        return f"\x00{len(unknowns) - 1}\x00"

    if isinstance(value, Unknown):
        if value.has_default and not isinstance(value.default, str) and value.value is None:
            return value.default
        return token(value)
    if isinstance(value, _Text):
        return "".join(p if isinstance(p, str) else token(p) for p in value.pieces)
    if isinstance(value, dict):
        return {k: _sentinels(v, unknowns) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinels(v, unknowns) for v in value]
    return value


def _as_sub(value: Any, holder: cfn._Placeholders) -> Any:
    """Strings of a definition the plugin wraps in Fn::Sub: ``#{X}`` and ``${X}`` are Sub variables."""
    if isinstance(value, str):
        text = _PSEUDO.sub(lambda m: "${" + m.group(1) + "}", value)
        return holder.sub_text(text, {}) if "${" in text else text
    if cfn.is_intrinsic(value):
        return value
    if isinstance(value, dict):
        return {k: _as_sub(v, holder) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sub(v, holder) for v in value]
    return value


def _name_unknowns(definition: Any, unknowns: list[Unknown], holder: cfn._Placeholders) -> dict[int, str]:
    """A placeholder name for each unknown the definition uses (one per distinct variable), added to
    ``holder`` with its value."""
    strings = [n for n in _nodes(definition) if isinstance(n, str)]
    strings += [k for n in _nodes(definition) if isinstance(n, dict) for k in n]
    used = sorted({int(i) for text in strings for i in _SENTINEL.findall(text)})
    names: dict[int, str] = {}
    by_expression: dict[str, str] = {}
    for i in used:
        u = unknowns[i]
        if u.expression in by_expression:
            names[i] = by_expression[u.expression]
            continue
        value = u.value if u.value is not None else u.default if u.has_default else {"Serverless": u.expression}
        candidate = fresh(placeholder_name(u.hint), holder.values)
        holder.values[candidate] = value
        names[i] = by_expression[u.expression] = candidate
    return names


def _unsentinel(value: Any, names: dict[int, str]) -> Any:
    if isinstance(value, str):
        return _SENTINEL.sub(lambda m: "${" + names[int(m.group(1))] + "}", value)
    if isinstance(value, dict):
        return {_unsentinel(k, names): _unsentinel(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsentinel(v, names) for v in value]
    return value


def _details(service: Service, resolver: _Resolver, key: str, machine: dict) -> dict:
    """What MIGRATION.md tells about the machine: its file, key, logical ID, and the plugin settings
    that do not carry over to the function."""
    custom = resolver.known(machine.get("id")) if "id" in machine else resolver.known(machine.get("name")) if "name" in machine else None
    if isinstance(custom, str):
        logical_id: str | None = normalized_name(custom)
    elif custom is None:
        logical_id = normalized_name(key) + "StepFunctionsStateMachine"
    else:
        logical_id = None
    kept = ("definition", "type", "name", "id", "events")
    return {
        "file": service.path.name,
        "key": key,
        "logical_id": logical_id,
        "others": sorted(str(k) for k in machine if k not in kept),
        "events": [next(iter(e)) for e in machine.get("events") or [] if isinstance(e, dict) and e] if isinstance(machine.get("events"), list) else [],
    }


def definition_files(service: Service, key: str) -> tuple[Path, ...]:
    """The files a machine's definition is read from (``${file(...)}``)."""
    resolver = _Resolver(service)
    machines = resolver.known(resolver.lookup(["stepFunctions", "stateMachines"]))
    if isinstance(machines, dict) and key in machines:
        machine = resolver.known(machines[key])
        if isinstance(machine, dict) and "definition" in machine:
            resolver.value(machine["definition"])
    return tuple(resolver.files)


__all__ = [
    "FILE_NAMES",
    "PLACEHOLDER",
    "UNRESOLVED",
    "Extracted",
    "Service",
    "definition_files",
    "extract",
    "is_serverless",
    "lambda_logical_id",
    "read_service",
]
