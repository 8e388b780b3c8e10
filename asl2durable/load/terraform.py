"""Terraform configurations as inputs: ``aws_sfn_state_machine`` resources in ``.tf`` files.

A ``.tf`` file is parsed with python-hcl2 (its Lark parse tree, which keeps line numbers). Each
``resource "aws_sfn_state_machine" "NAME"`` is one machine, and so is each ``module "NAME"``
block that sets a ``definition`` (a call of a state machine module such as
terraform-aws-modules/step-functions). The ``definition`` may be ``jsonencode({...})``,
``templatefile("...", {...})``, ``file("...")``, ``data.template_file.NAME.rendered``, a heredoc,
a string, or a ``local`` holding one of these; files are read relative to the ``.tf`` file's folder
(``path.module``), and ``local`` and ``variable`` blocks come from every ``.tf`` file of that folder,
as Terraform reads a module.

What Terraform only knows at apply time (``aws_lambda_function.f.arn``, a variable without a
default, ``data.aws_region.current.name``) becomes a ``${placeholder}`` of the definition: a
:class:`cfn.Substitution` whose value is ``{"Terraform": "<expression>"}``, which the generated
handler reads from an environment variable, with an INFO diagnostic naming the expression. A
variable with a literal default is a placeholder too (its default is the value), except where the
definition needs a number or boolean, where the default is used. Locals are resolved.
Nothing here raises for bad input: problems are diagnostics whose message names ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asl2durable.load import cfn
from asl2durable.load.placeholders import env_names, fresh, placeholder_name, used
from asl2durable.diagnostics import Diagnostic, Severity, pointer

MACHINE_TYPE = "aws_sfn_state_machine"
LAMBDA_TYPE = "aws_lambda_function"

# diagnostic codes
BAD_HCL = "INVALID_HCL"
NO_DEFINITION = cfn.NO_DEFINITION
BAD_DEFINITION = cfn.BAD_DEFINITION
NOT_READABLE = cfn.NOT_READABLE
PLACEHOLDER = "TERRAFORM_PLACEHOLDER"

_TEMPLATE_PIECE = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_MAX_DEPTH = 150  # nesting of expressions evaluated (objects in objects, locals in locals)


# --------------------------------------------------------------------------------------
# parsing


@dataclass
class _File:
    path: Path
    text: str
    body: Any  # the Lark "body" tree


@dataclass
class Module:
    """The ``.tf`` files of one folder: the file asked for, and its siblings for locals and variables."""

    folder: Path
    main: _File | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    locals: dict[str, tuple[_File, Any]] = field(default_factory=dict)
    variables: dict[str, tuple[_File, Any]] = field(default_factory=dict)  # name -> its default
    data: dict[tuple[str, str], tuple[_File, Any]] = field(default_factory=dict)  # (type, name) -> body
    lambdas: set[str] = field(default_factory=set)  # names of aws_lambda_function resources

    def machines(self) -> list[tuple[str, Any]]:
        """(ID, body) of the file's machines: ``aws_sfn_state_machine.NAME`` or ``module.NAME``."""
        if self.main is None:
            return []
        out = []
        for kind, labels, body in _blocks(self.main.body):
            if kind == "resource" and len(labels) == 2 and labels[0] == MACHINE_TYPE:
                out.append((f"{MACHINE_TYPE}.{labels[1]}", body))
            elif kind == "module" and len(labels) == 1 and "definition" in _attributes(body):
                out.append((f"module.{labels[0]}", body))
        return out


def parse_tree(text: str) -> Any:
    """The Lark parse tree of HCL ``text`` (raises the parser's errors)."""
    from hcl2.api import parses_to_tree

    return parses_to_tree(text)


def _parse_file(path: Path, text: str) -> tuple[_File | None, Diagnostic | None]:
    try:
        tree = parse_tree(text)
    except RecursionError:
        return None, Diagnostic("", BAD_HCL, f"Invalid HCL in {path.name}: nested too deeply")
    except Exception as e:  # noqa: BLE001 - lark's UnexpectedInput, the post-lexer's errors: never a traceback
        line = getattr(e, "line", None)
        column = getattr(e, "column", None)
        where = f"{path.name}:{line}" + (f":{column}" if isinstance(column, int) and column > 0 else "") if isinstance(line, int) and line > 0 else path.name
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return None, Diagnostic("", BAD_HCL, f"Invalid HCL at {where}: {first}")
    body = next((c for c in tree.children if _is(c, "body")), None)
    return _File(path, text, body), None


def read_module(path: Path, read: Callable[[Path], tuple[str, str | None]], *, siblings: bool = True) -> Module:
    """Parse ``path`` and (unless ``siblings`` is False: only its machines are wanted) the other
    ``.tf`` files of its folder. ``read(path)`` is the loader's file reader: ``(text, problem)``."""
    module = Module(path.parent, None)
    text, problem = read(path)
    if problem:
        module.diagnostics.append(Diagnostic("", NOT_READABLE, problem))
        return module
    main, bad = _parse_file(path, text)
    if main is None:
        module.diagnostics.append(bad or Diagnostic("", BAD_HCL, f"Invalid HCL in {path.name}"))
        return module
    module.main = main
    files = [main]
    try:
        others = sorted(p for p in path.parent.glob("*.tf") if p.is_file() and p.resolve() != path.resolve()) if siblings else []
    except OSError:
        others = []
    for sibling in others:
        sibling_text, problem = read(sibling)
        parsed = None if problem else _parse_file(sibling, sibling_text)[0]
        if parsed is not None:  # a sibling that does not parse is reported when it is loaded itself
            files.append(parsed)
    for f in files:
        for kind, labels, body in _blocks(f.body):
            if kind == "locals":
                for name, expr in _attributes(body).items():
                    module.locals.setdefault(name, (f, expr))
            elif kind == "variable" and len(labels) == 1:
                default = _attributes(body).get("default")
                module.variables.setdefault(labels[0], (f, default))
            elif kind == "data" and len(labels) == 2:
                module.data.setdefault((labels[0], labels[1]), (f, body))
            elif kind == "resource" and len(labels) == 2 and labels[0] == LAMBDA_TYPE:
                module.lambdas.add(labels[1])
    return module


# --------------------------------------------------------------------------------------
# the parse tree


def _is(node: Any, name: str) -> bool:
    return getattr(node, "data", None) == name


def _kids(node: Any) -> list:
    """Children that are not line breaks or comments."""
    return [c for c in node.children if not _is(c, "new_line_or_comment")]


def _trees(node: Any) -> list:
    return [c for c in _kids(node) if hasattr(c, "data")]


def _name(node: Any) -> str | None:
    """The text of an identifier, keyword, literal value or plain string used as a name."""
    if _is(node, "expr_term") and len(_trees(node)) == 1:
        return _name(_trees(node)[0])
    if _is(node, "identifier") or _is(node, "keyword") or _is(node, "literal_value"):
        return str(node.children[0])
    if _is(node, "string"):
        parts = [c for c in node.children if _is(c, "string_part")]
        if all(len(p.children) == 1 and not hasattr(p.children[0], "data") for p in parts):
            return "".join(str(p.children[0]) for p in parts)
    return None


def _blocks(body: Any) -> list[tuple[str, list[str], Any]]:
    out = []
    for node in _trees(body) if body is not None else []:
        if _is(node, "block"):
            trees = _trees(node)
            names = [n for n in (_name(t) for t in trees[:-1]) if n is not None]
            if trees and _is(trees[-1], "body") and names and len(names) == len(trees) - 1:
                out.append((names[0], names[1:], trees[-1]))
    return out


def _attributes(body: Any) -> dict[str, Any]:
    out = {}
    for node in _trees(body) if body is not None else []:
        if _is(node, "attribute"):
            trees = _trees(node)
            name = _name(trees[0])
            if name is not None and len(trees) >= 2:
                out[name] = trees[-1]
    return out


def _line(node: Any) -> int | None:
    meta = getattr(node, "meta", None)
    return getattr(meta, "line", None) if meta is not None and not getattr(meta, "empty", True) else None


def _source(f: _File, node: Any) -> str:
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return "?"
    return " ".join(f.text[meta.start_pos:meta.end_pos].split())


# --------------------------------------------------------------------------------------
# evaluation


@dataclass(frozen=True)
class Unknown:
    """A value Terraform computes at apply time: its expression, and a variable's literal default."""

    expression: str
    default: Any = None
    has_default: bool = False
    hint: str | None = None  # the placeholder name to use (a templatefile variable's name)


class _Placeholders:
    """The ``${name}`` placeholders of one definition: one per distinct expression."""

    def __init__(self, lambdas: set[str]):
        self.lambdas = lambdas
        self.values: dict[str, Any] = {}
        self.expressions: dict[str, str] = {}
        self.functions: set[str] = set()

    def add(self, unknown: Unknown) -> str:
        value = unknown.default if unknown.has_default else {"Terraform": unknown.expression}
        for existing, expression in self.expressions.items():
            if expression == unknown.expression:
                return existing
        candidate = fresh(placeholder_name(unknown.hint or _placeholder_name(unknown.expression)), self.values)
        self.values[candidate] = value
        self.expressions[candidate] = unknown.expression
        found = re.fullmatch(rf"{LAMBDA_TYPE}\.([A-Za-z0-9_-]+)\.(arn|qualified_arn|function_name)", unknown.expression)
        if found and found.group(1) in self.lambdas:
            self.functions.add(candidate)
        return candidate

    def substitutions(self, used: set[str]) -> tuple[cfn.Substitution, ...]:
        names = [n for n in self.values if n in used]
        envs = env_names(names)
        return tuple(cfn.Substitution(n, self.values[n], envs[n], n in self.functions) for n in names)


def _placeholder_name(expression: str) -> str:
    """``var.table_name`` -> table_name, ``aws_lambda_function.charge.arn`` -> charge_arn."""
    parts = [p for p in re.split(r"[.\[\]\"]+", expression) if p]
    if parts and parts[0] in ("var", "local") and len(parts) >= 2:
        return "_".join(parts[1:])
    if parts and parts[0] in ("data", "module") and len(parts) >= 3:
        return "_".join(parts[2:] if parts[0] == "data" else parts[1:])
    if len(parts) >= 3 and "(" not in expression:
        return "_".join(parts[1:])
    return expression


class _Failure(Exception):
    """A definition that cannot be read: a diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Evaluator:
    def __init__(self, module: Module, where: str, placeholders: _Placeholders):
        self.module = module
        self.where = where  # JSON pointer of the attribute evaluated, for diagnostics
        self.placeholders = placeholders
        self.depth = 0
        self.evaluating: list[str] = []  # the locals being evaluated, to find a cycle
        self.files: list[Path] = []  # files read by file()/templatefile()

    def fail(self, f: _File, node: Any, message: str, code: str = BAD_DEFINITION) -> _Failure:
        line = _line(node)
        return _Failure(Diagnostic(self.where, code, f"{f.path.name}:{line}: {message}" if line else f"{f.path.name}: {message}"))

    # expressions ----------------------------------------------------------------------

    def value(self, f: _File, node: Any, scope: dict[str, Any]) -> Any:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise self.fail(f, node, "the expression is nested too deeply")
            return self._value(f, node, scope)
        finally:
            self.depth -= 1

    def _value(self, f: _File, node: Any, scope: dict[str, Any]) -> Any:
        kind = getattr(node, "data", None)
        if kind == "expr_term":
            trees = _trees(node)
            return self.value(f, trees[0], scope) if len(trees) == 1 else Unknown(_source(f, node))
        if kind == "int_lit":
            return int(str(node.children[0]))
        if kind == "float_lit":
            return float(str(node.children[0]))
        if kind == "literal_value":
            return {"true": True, "false": False, "null": None}[str(node.children[0])]
        if kind == "string":
            return self.string(f, node, scope)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return self.template(f, node, _heredoc(str(node.children[0]), kind.endswith("trim")), scope)
        if kind == "tuple":
            return [self.value(f, c, scope) for c in _trees(node)]
        if kind == "object":
            out = {}
            for elem in _trees(node):
                trees = _trees(elem)
                key_node = _trees(trees[0])[0] if _trees(trees[0]) else trees[0]
                key = _name(key_node)
                if key is None:
                    key = self.value(f, key_node, scope)
                if not isinstance(key, str):
                    raise self.fail(f, elem, f"an object key must be a known string, not {_source(f, key_node)}")
                out[key] = self.value(f, trees[-1], scope)
            return out
        if kind == "function_call":
            return self.call(f, node, scope)
        if kind in ("identifier", "get_attr_expr_term", "index_expr_term"):
            return self.reference(f, node, scope)
        return Unknown(_source(f, node))  # operators, conditionals, for and splat expressions, template strings

    def string(self, f: _File, node: Any, scope: dict[str, Any]) -> Any:
        pieces: list[Any] = []
        for part in (c for c in node.children if _is(c, "string_part")):
            inner = part.children[0]
            if not hasattr(inner, "data"):
                text = str(inner)
                pieces.append("${" + text[3:] if text.startswith("$${") else "%{" + text[3:] if text.startswith("%%{") else _unescape(text))
            elif _is(inner, "interpolation"):
                pieces.append(self.value(f, _trees(inner)[0], scope))
            else:
                raise self.fail(f, part, "template directives (%{if}, %{for}) are not supported in a definition")
        return self.join(pieces)

    def join(self, pieces: list[Any]) -> Any:
        """A string template's value: one piece alone keeps its type; else the text."""
        if len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]
        return "".join(self.text(p) for p in pieces)

    def text(self, value: Any) -> str:
        """A value interpolated into text; an unknown one becomes its ``${placeholder}``."""
        if isinstance(value, Unknown):
            return "${" + self.placeholders.add(value) + "}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return ""
        if isinstance(value, (int, float, str)):
            return str(value)
        return json.dumps(self.json(value), separators=(",", ":"))

    def json(self, value: Any) -> Any:
        """A value as ``jsonencode`` sees it: unknown strings become ``${placeholder}`` strings;
        an unknown with a literal number or boolean default is that default."""
        if isinstance(value, Unknown):
            if value.has_default and not isinstance(value.default, str):
                return self.json(value.default)
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value

    def template(self, f: _File, node: Any, text: str, scope: dict[str, Any]) -> Any:
        """A heredoc's or template file's text with its ``${...}`` interpolations evaluated."""
        pieces: list[Any] = []
        pos = 0
        for match in _TEMPLATE_PIECE.finditer(text):
            if match.start() < pos:
                continue
            pieces.append(text[pos:match.start()])
            token = match.group()
            if token in ("$${", "%%{"):
                pieces.append(token[1:])
                pos = match.end()
                continue
            end = _closing_brace(text, match.end())
            if end is None:
                raise self.fail(f, node, f"unterminated {token} in the template", BAD_HCL)
            if token == "%{":
                raise self.fail(f, node, "template directives (%{if}, %{for}) are not supported in a definition")
            expression = text[match.end():end].strip().strip("~").strip()
            pieces.append(self.expression(f, node, expression, scope))
            pos = end + 1
        pieces.append(text[pos:])
        pieces = [p for p in pieces if p != ""]
        return self.join(pieces) if pieces else ""

    def expression(self, f: _File, node: Any, expression: str, scope: dict[str, Any]) -> Any:
        """The value of an expression written inside a template."""
        try:
            tree = parse_tree(f"x = {expression}\n")
            expr = _attributes(next(c for c in tree.children if _is(c, "body")))["x"]
        except Exception:  # noqa: BLE001 - as in _parse_file
            raise self.fail(f, node, f"cannot parse the template expression ${{{expression}}}", BAD_HCL) from None
        inner = _File(f.path, f"x = {expression}\n", None)
        value = self.value(inner, expr, scope)
        if isinstance(value, Unknown) and value.hint is None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expression) and expression in scope:
            value = Unknown(value.expression, value.default, value.has_default, expression)
        return value

    def call(self, f: _File, node: Any, scope: dict[str, Any]) -> Any:
        trees = _trees(node)
        function = _name(trees[0])
        arguments = _trees(trees[-1]) if len(trees) > 1 and _is(trees[-1], "arguments") else []
        if function == "jsonencode" and len(arguments) == 1:
            value = self.value(f, arguments[0], scope)
            return json.dumps(self.json(value), indent=2, ensure_ascii=False)
        if function in ("file", "templatefile") and len(arguments) == (1 if function == "file" else 2):
            name = self.value(f, arguments[0], scope)
            if not isinstance(name, str):
                raise self.fail(f, node, f"the file name of {function}() is not known here: {_source(f, arguments[0])}")
            path = Path(name) if Path(name).is_absolute() else self.module.folder / name
            try:
                content = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                why = getattr(e, "strerror", None) or str(e)
                raise self.fail(f, node, f"cannot read {name}: {why}", NOT_READABLE) from None
            self.files.append(path)
            if function == "file":
                return content
            variables = self.value(f, arguments[1], scope)
            if not isinstance(variables, dict):
                raise self.fail(f, node, f"the variables of templatefile() are not known here: {_source(f, arguments[1])}")
            return self.template(f, node, content, {k: _hinted(v, k) for k, v in variables.items()})
        if function in ("trimspace", "chomp", "tostring") and len(arguments) == 1:
            value = self.value(f, arguments[0], scope)
            if isinstance(value, str):
                return value.strip() if function == "trimspace" else value.rstrip("\r\n") if function == "chomp" else value
        return Unknown(_source(f, node))

    def reference(self, f: _File, node: Any, scope: dict[str, Any]) -> Any:
        steps = _traversal(node)
        expression = _source(f, node)
        if steps is None:
            return Unknown(expression)
        root, rest = steps[0], steps[1:]
        if root in scope:
            return _walk(scope[root], rest, expression)
        module = self.module
        if root == "var" and rest and isinstance(rest[0], str):
            found = module.variables.get(rest[0])
            if found is None or found[1] is None:
                return Unknown(f"var.{rest[0]}" if len(rest) == 1 else expression)
            default = self.value(found[0], found[1], {})
            if _known(default):
                if len(rest) == 1:
                    return Unknown(f"var.{rest[0]}", default, True) if isinstance(default, (str, int, float, bool)) else default
                return _walk(default, rest[1:], expression)
            return Unknown(expression)
        if root == "local" and rest and isinstance(rest[0], str) and rest[0] in module.locals:
            lf, expr = module.locals[rest[0]]
            if rest[0] in self.evaluating:
                raise self.fail(lf, expr, f"local.{rest[0]} refers to itself")
            self.evaluating.append(rest[0])
            try:
                return _walk(self.value(lf, expr, {}), rest[1:], expression)
            finally:
                self.evaluating.pop()
        if root == "path" and len(rest) == 1 and rest[0] in ("module", "root", "cwd"):
            return "."  # file names are taken relative to the .tf file's folder
        if root == "data" and len(rest) == 3 and rest[0] == "template_file" and rest[2] == "rendered":
            found = module.data.get(("template_file", rest[1]))
            if found is not None:
                df, body = found
                attributes = _attributes(body)
                if "template" in attributes:
                    text = self.value(df, attributes["template"], {})
                    variables = self.value(df, attributes["vars"], {}) if "vars" in attributes else {}
                    if isinstance(text, str) and isinstance(variables, dict):
                        return self.template(df, attributes["template"], text, {k: _hinted(v, k) for k, v in variables.items()})
        return Unknown(expression)


def _hinted(value: Any, name: str) -> Any:
    """A templatefile variable: an unknown value takes the variable's name as its placeholder's."""
    if isinstance(value, Unknown) and value.hint is None:
        return Unknown(value.expression, value.default, value.has_default, name)
    return value


def _known(value: Any) -> bool:
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return True


def _walk(value: Any, steps: list, expression: str) -> Any:
    for step in steps:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return Unknown(expression)
    return value


def _traversal(node: Any) -> list | None:
    """``var.x[0].y`` as ["var", "x", 0, "y"]; None when it is not a plain traversal."""
    if _is(node, "expr_term"):
        trees = _trees(node)
        return _traversal(trees[0]) if len(trees) == 1 else None
    if _is(node, "identifier"):
        return [str(node.children[0])]
    if _is(node, "get_attr_expr_term") or _is(node, "index_expr_term"):
        trees = _trees(node)
        head = _traversal(trees[0])
        if head is None or len(trees) != 2:
            return None
        step = trees[1]
        if _is(step, "get_attr"):
            name = _name(_trees(step)[0])
            return None if name is None else [*head, name]
        if _is(step, "short_index"):
            return [*head, int(str(step.children[-1]))]
        if _is(step, "braces_index"):
            inner = _trees(step)[0]
            trees_inner = _trees(inner) if _is(inner, "expr_term") else [inner]
            if len(trees_inner) == 1 and _is(trees_inner[0], "int_lit"):
                return [*head, int(str(trees_inner[0].children[0]))]
            name = _name(inner)
            return None if name is None else [*head, name]
    return None


def _heredoc(token: str, trim: bool) -> str:
    """The text of a heredoc token ``<<EOF\\n...\\nEOF\\n`` (``<<-``: common indentation removed)."""
    lines = token.split("\n")
    body = lines[1:-2]  # the last two are the marker line and the empty string after its newline
    body = [line.rstrip("\r") for line in body]
    if trim:
        indents = [len(line) - len(line.lstrip(" \t")) for line in body if line.strip()]
        cut = min(indents, default=0)
        body = [line[cut:] for line in body]
    return "\n".join(body) + ("\n" if body else "")


def _closing_brace(text: str, start: int) -> int | None:
    """The index of the "}" closing an interpolation that starts at ``start`` (strings and nested braces skipped)."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return None


def _unescape(text: str) -> str:
    """The escapes of an HCL quoted string."""
    if "\\" not in text:
        return text
    return re.sub(
        r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)",
        lambda m: {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}.get(m.group(1), None)
        or (chr(int(m.group(1)[1:], 16)) if m.group(1)[0] in "uU" and len(m.group(1)) > 1 else m.group(0)),
        text,
    )


# --------------------------------------------------------------------------------------
# extraction


@dataclass
class Extracted:
    """One state machine taken out of a ``.tf`` file."""

    definition: dict | None
    substitutions: tuple[cfn.Substitution, ...] = ()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    workflow_type: str | None = "STANDARD"
    files: tuple[Path, ...] = ()  # the files its definition was read from


def machine_pointer(machine_id: str) -> str:
    kind, _, name = machine_id.rpartition(".")
    return pointer("module", name) if kind == "module" else pointer("resource", kind, name)


def extract(module: Module, machine_id: str, parse: Any) -> Extracted:
    """The definition of the machine ``machine_id`` (``aws_sfn_state_machine.NAME`` or
    ``module.NAME``); ``parse(text, yaml_syntax)`` is the loader's JSON parser."""
    machines = dict(module.machines())
    here = machine_pointer(machine_id)
    if machine_id not in machines or module.main is None:
        return Extracted(None, (), [Diagnostic("", cfn.BAD_TEMPLATE, f"{machine_id} is not a state machine of the file")], None)
    body = machines[machine_id]
    f = module.main
    attributes = _attributes(body)
    placeholders = _Placeholders(module.lambdas)
    evaluator = _Evaluator(module, here + pointer("definition"), placeholders)
    workflow_type = _workflow_type(evaluator, f, attributes.get("type"))
    if "definition" not in attributes:
        return Extracted(None, (), [Diagnostic(here, NO_DEFINITION, f"{f.path.name}:{_line(body) or '?'}: {machine_id} has no definition")], workflow_type)
    node = attributes["definition"]
    try:
        value = evaluator.value(f, node, {})
        if isinstance(value, dict):  # a definition written as an object, not as text
            value = json.dumps(evaluator.json(value))
    except _Failure as e:
        return Extracted(None, (), [e.diagnostic], workflow_type, tuple(evaluator.files))
    except RecursionError:
        return Extracted(None, (), [evaluator.fail(f, node, "the definition is nested too deeply").diagnostic], workflow_type)
    if isinstance(value, Unknown):
        return Extracted(None, (), [Diagnostic(
            here + pointer("definition"), BAD_DEFINITION,
            f"{f.path.name}:{_line(node)}: the definition is {value.expression}, which Terraform only knows when it applies "
            "the configuration; give the definition as jsonencode(...), templatefile(...), file(...), a heredoc or a local",
        )], workflow_type, tuple(evaluator.files))
    if not isinstance(value, str):
        return Extracted(None, (), [Diagnostic(here + pointer("definition"), BAD_DEFINITION, f"{f.path.name}:{_line(node)}: the definition is not text")], workflow_type)
    definition, problems = parse(value, False)
    diagnostics = [Diagnostic(here + pointer("definition") + d.pointer, d.code, f"{f.path.name}:{_line(node)}: {d.message}", d.severity) for d in problems]
    if not isinstance(definition, dict):
        if not diagnostics:
            diagnostics.append(Diagnostic(here + pointer("definition"), BAD_DEFINITION, f"{f.path.name}:{_line(node)}: the definition is not a JSON object"))
        return Extracted(None, (), diagnostics, workflow_type, tuple(evaluator.files))
    substitutions = placeholders.substitutions(set(used(definition)))
    for sub in substitutions:
        diagnostics.append(Diagnostic(
            here + pointer("definition"), PLACEHOLDER,
            f"${{{sub.name}}} is the Terraform expression {placeholders.expressions[sub.name]}"
            + (f" (default {json.dumps(sub.value)})" if not isinstance(sub.value, dict) else "")
            + f"; the handler reads it from the environment variable {sub.env}",
            Severity.INFO,
        ))
    return Extracted(definition, substitutions, diagnostics, workflow_type, tuple(evaluator.files))


def _workflow_type(evaluator: _Evaluator, f: _File, node: Any) -> str | None:
    """STANDARD or EXPRESS (``type``, default STANDARD), or None when it is not known here."""
    if node is None:
        return "STANDARD"
    try:
        value = evaluator.value(f, node, {})
    except (_Failure, RecursionError):
        return None
    if isinstance(value, Unknown) and value.has_default:
        value = value.default
    return cfn._workflow_type(value)


def definition_files(module: Module, machine_id: str) -> tuple[Path, ...]:
    """The files a machine's definition is read from (``file()``, ``templatefile()``)."""
    return extract(module, machine_id, lambda text, yaml_syntax: (None, [])).files


def is_terraform(path: Path) -> bool:
    return path.suffix.lower() == ".tf"


__all__ = [
    "BAD_HCL",
    "MACHINE_TYPE",
    "PLACEHOLDER",
    "Extracted",
    "Module",
    "definition_files",
    "extract",
    "is_terraform",
    "machine_pointer",
    "read_module",
]
