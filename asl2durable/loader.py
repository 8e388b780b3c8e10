"""Load step of the pipeline: read a state machine definition from a file, text or dict.

Nothing here raises for bad input: problems come back as diagnostics on ``Loaded``.
``discover`` expands the command line's PATH arguments (files and folders) into a
sorted list of inputs, each with a machine name that is unique within the batch.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from asl2durable.diagnostics import Diagnostic, pointer

__all__ = [
    "DEFAULT_NAME",
    "Discovered",
    "Loaded",
    "discover",
    "load",
    "machine_name",
    "unique_names",
]

DEFAULT_NAME = "state_machine"

INVALID_JSON = "INVALID_JSON_DESCRIPTION"
NOT_READABLE = "INPUT_NOT_READABLE"

# Suffixes stripped from a file name to get the machine name ("orders.asl.json" -> "orders").
_NAME_SUFFIXES = (".json", ".yaml", ".yml", ".asl")
# Files picked up while walking a folder (*.asl.json and *.asl.yaml end in these too).
_DISCOVER_SUFFIXES = (".json", ".yaml", ".yml")
_YAML_SUFFIXES = (".yaml", ".yml")
_MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class Loaded:
    source: str  # the path as given, or "<dict>" / "<text>"
    name: str  # machine name, usable as a folder name
    definition: dict | None  # None when it could not be loaded
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Discovered:
    """One input found by ``discover``.

    ``source`` is a file path, or the JSON text itself when a PATH argument was inline JSON.
    ``skipped`` inputs (found while walking a folder, but not state machines) carry a ``reason``
    and are not to be processed; they take no part in name de-duplication.
    """

    source: Path | str
    name: str
    skipped: bool = False
    reason: str | None = None

    @property
    def display(self) -> str:
        return "<text>" if self.is_text else str(self.source)

    @property
    def is_text(self) -> bool:
        return not isinstance(self.source, Path)


# --------------------------------------------------------------------------------------
# names


def machine_name(path: str | os.PathLike) -> str:
    """The machine name for a file: its name without .asl/.json/.yaml/.yml suffixes, sanitised.

    Characters outside [A-Za-z0-9_.-] become "_"; leading dots are dropped; an empty result
    is "state_machine".
    """
    filename = Path(path).name
    stem = filename
    while True:
        lowered = stem.lower()
        for suffix in _NAME_SUFFIXES:
            if lowered.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            break
    if stem == filename:  # none of ours: drop the one suffix there is ("machine.txt" -> "machine")
        stem = Path(filename).stem
    return _sanitise(stem)


def _sanitise(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    name = name.lstrip(".")  # no hidden folders, no "." or ".."
    name = name[:_MAX_NAME_LENGTH].rstrip(".")  # trailing dots are dropped by Windows
    if not name.strip("_"):
        return DEFAULT_NAME
    return name


def unique_names(names: Iterable[str]) -> list[str]:
    """Make names unique (case-insensitively, for case-insensitive file systems).

    The first of several equal names keeps it; the later ones get "-2", "-3", ...,
    never taking a name that another input has in its own right.
    """
    names = list(names)
    natural = Counter(n.casefold() for n in names)
    taken: set[str] = set()
    result = []
    for n in names:
        key = n.casefold()
        if key not in taken:
            taken.add(key)
            result.append(n)
            continue
        i = 2
        while f"{n}-{i}".casefold() in taken or f"{n}-{i}".casefold() in natural:
            i += 1
        taken.add(f"{n}-{i}".casefold())
        result.append(f"{n}-{i}")
    return result


# --------------------------------------------------------------------------------------
# load


def load(source: str | os.PathLike | dict, *, name: str | None = None) -> Loaded:
    """Load a definition from a dict, a .json/.yaml/.yml file, or JSON text (a str starting with "{").

    ``name`` overrides the machine name (``discover`` hands out names unique in a batch).
    """
    if isinstance(source, dict):
        return Loaded("<dict>", name or DEFAULT_NAME, source, [])

    if isinstance(source, str) and not _exists(source) and source.lstrip().startswith("{"):
        definition, diagnostics = _parse(source, yaml_syntax=False)
        return _finish("<text>", name or DEFAULT_NAME, definition, diagnostics)

    if not isinstance(source, (str, os.PathLike)):
        return Loaded(
            repr(source)[:80],
            name or DEFAULT_NAME,
            None,
            [Diagnostic("", NOT_READABLE, f"Cannot load a definition from a {type(source).__name__}")],
        )

    display = os.fspath(source)
    path = Path(source)
    name = name or machine_name(path)
    text, problem = _read_text(path)
    if problem:
        return Loaded(display, name, None, [Diagnostic("", NOT_READABLE, problem)])
    definition, diagnostics = _parse(text, yaml_syntax=path.suffix.lower() in _YAML_SUFFIXES)
    return _finish(display, name, definition, diagnostics)


def _exists(text: str) -> bool:
    try:
        return os.path.exists(text)
    except (OSError, ValueError):
        return False


def _read_text(path: Path) -> tuple[str, str | None]:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        return "", f"{path} is a directory, not a file"
    except FileNotFoundError:
        return "", f"{path} does not exist"
    except PermissionError:
        return "", f"Permission denied reading {path}"
    except OSError as e:
        return "", f"Cannot read {path}: {e.strerror or e}"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return "", f"{path} is not UTF-8 text (invalid byte at offset {e.start})"


def _finish(display: str, name: str, definition: object, diagnostics: list[Diagnostic]) -> Loaded:
    if diagnostics and definition is None:
        return Loaded(display, name, None, diagnostics)
    if not isinstance(definition, dict):
        kind = _json_type(definition)
        message = f"Definition must be a JSON object, not {kind}"
        return Loaded(display, name, None, [Diagnostic("", INVALID_JSON, message)])
    return Loaded(display, name, definition, diagnostics)


def _json_type(value: object) -> str:
    if value is None:
        return "null (the input is empty)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _parse(text: str, *, yaml_syntax: bool) -> tuple[object, list[Diagnostic]]:
    """Parse JSON (or YAML when ``yaml_syntax``). Returns (value, diagnostics); value None on failure.

    A YAML file whose text is JSON is parsed as JSON first (JSON allows things, such as
    tabs, that YAML does not). Duplicate keys are reported, as AWS rejects them.
    """
    if not yaml_syntax or text.lstrip().startswith(("{", "[")):
        try:
            return _parse_json(text)
        except json.JSONDecodeError as e:
            if not yaml_syntax:
                where = f" at line {e.lineno}, column {e.colno}"
                return None, [Diagnostic("", INVALID_JSON, f"Invalid JSON: {e.msg}{where}")]
        except ValueError as e:  # NaN / Infinity
            if not yaml_syntax:
                return None, [Diagnostic("", INVALID_JSON, f"Invalid JSON: {e}")]
        except RecursionError:
            return None, [Diagnostic("", INVALID_JSON, "Invalid JSON: nested too deeply")]
    try:
        return _parse_yaml(text)
    except yaml.MarkedYAMLError as e:
        return None, [Diagnostic("", INVALID_JSON, "Invalid YAML: " + _yaml_message(e))]
    except yaml.YAMLError as e:
        return None, [Diagnostic("", INVALID_JSON, f"Invalid YAML: {e}")]
    except RecursionError:
        return None, [Diagnostic("", INVALID_JSON, "Invalid YAML: nested too deeply")]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a valid JSON value")


def _parse_json(text: str) -> tuple[object, list[Diagnostic]]:
    # id -> (the object, its duplicate keys); holding the object keeps its id from being reused
    duplicates: dict[int, tuple[dict, list[str]]] = {}

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            dups = []
            for k, _ in pairs:
                if k in seen and k not in dups:
                    dups.append(k)
                seen.add(k)
            duplicates[id(obj)] = (obj, dups)
        return obj

    value = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    return value, _duplicate_diagnostics(value, duplicates)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (e.context, e.problem) if p]
    message = ", ".join(parts) or str(e)
    mark = e.problem_mark or e.context_mark
    if mark is not None:
        message += f" at line {mark.line + 1}, column {mark.column + 1}"
    return message


class _JsonCompatibleLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings (ASL wants strings) and records duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # id -> (the mapping, its duplicate keys); holding the mapping keeps its id from being reused
        self.duplicates: dict[int, tuple[dict, list[str]]] = {}


def _construct_map(loader: _JsonCompatibleLoader, node: yaml.MappingNode):
    data: dict = {}
    yield data
    # Count the keys written in this mapping, before "<<" merge keys are expanded
    # (a key that overrides a merged one is not a duplicate).
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"]
    data.update(loader.construct_mapping(node))
    dups = [k for k, count in Counter(keys).items() if count > 1]
    if dups:
        loader.duplicates[id(data)] = (data, dups)


_JsonCompatibleLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_yaml(text: str) -> tuple[object, list[Diagnostic]]:
    loader = _JsonCompatibleLoader(text)
    try:
        value = loader.get_single_data()
    finally:
        loader.dispose()
    problem = _non_json(value)
    if problem:
        return None, [Diagnostic(problem[0], INVALID_JSON, problem[1])]
    return value, _duplicate_diagnostics(value, loader.duplicates)


def _walk(value: object):
    """Yield (json pointer, parent key, value) for every node, iteratively (no recursion limit)."""
    stack: list[tuple[str, object, object]] = [("", None, value)]
    seen: set[int] = set()
    while stack:
        ptr, parent_key, node = stack.pop()
        yield ptr, parent_key, node
        if isinstance(node, (dict, list)):
            if id(node) in seen:  # YAML anchors can share (or even cycle) nodes
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for k in reversed(list(node)):
                stack.append((ptr + pointer(k), k, node[k]))
        elif isinstance(node, list):
            for i in reversed(range(len(node))):
                stack.append((ptr + pointer(i), parent_key, node[i]))


def _non_json(value: object) -> tuple[str, str] | None:
    """The first place where a YAML value is not plain JSON data, as (pointer, message)."""
    cycle = _cycle(value)
    if cycle:
        return cycle
    for ptr, _, node in _walk(value):
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str):
                    kind = "null" if k is None else type(k).__name__
                    return ptr, f"Keys must be strings; {k!r} is a {kind} (quote it in the YAML)"
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                return ptr, f"{node!r} is not a valid JSON value"
        elif node is not None and not isinstance(node, (str, int, list)):
            return ptr, f"A {type(node).__name__} value cannot be represented as JSON"
    return None


def _cycle(value: object) -> tuple[str, str] | None:
    """Find a container that contains itself (possible with YAML anchors)."""
    on_path: set[int] = set()
    stack: list[tuple[str, object, bool]] = [("", value, False)]
    while stack:
        ptr, node, leaving = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            return ptr, "A YAML alias refers to its own ancestor; that cannot be represented as JSON"
        on_path.add(id(node))
        stack.append((ptr, node, True))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append((ptr + pointer(k), v, False))
    return None


def _duplicate_diagnostics(value: object, duplicates: dict[int, tuple[dict, list[str]]]) -> list[Diagnostic]:
    if not duplicates:
        return []
    diagnostics = []
    reported: set[int] = set()
    for ptr, parent_key, node in _walk(value):
        if isinstance(node, dict) and id(node) in duplicates and id(node) not in reported:
            reported.add(id(node))
            for key in duplicates[id(node)][1]:
                if parent_key == "States":
                    diagnostics.append(
                        Diagnostic(ptr + pointer(key), "DUPLICATE_STATE_NAME", f"Duplicate State name: {key}")
                    )
                else:
                    diagnostics.append(
                        Diagnostic(ptr + pointer(key), INVALID_JSON, f"Duplicate key {key!r}; only the last is kept")
                    )
    return sorted(diagnostics)


# --------------------------------------------------------------------------------------
# discover


def discover(paths: Iterable[str | os.PathLike]) -> list[Discovered]:
    """Expand PATH arguments into a sorted list of inputs.

    Files are taken as given, whatever their suffix. Folders are walked recursively (hidden
    files and folders are left out; symlinked folders are not followed) for *.json, *.yaml
    and *.yml files; of those, files that parse to something other than an object with
    "StartAt" or "States" are returned with ``skipped=True`` and a reason. Files that do not
    parse at all are kept, so that loading them reports the problem.

    A str argument that is not an existing path and starts with "{" is inline JSON text.
    Raises FileNotFoundError for any other argument that does not exist (a usage error).
    Inputs are sorted by path (inline texts last, in the order given), duplicates removed,
    and each gets a machine name unique in the batch.
    """
    files: dict[str, Discovered] = {}
    texts: list[str] = []
    missing: list[str] = []
    for arg in paths:
        if isinstance(arg, str) and not _exists(arg) and arg.lstrip().startswith("{"):
            texts.append(arg)
            continue
        path = Path(arg)
        if path.is_dir():
            for found in _walk_folder(path):
                files.setdefault(_identity(found.source), found)
        elif path.exists() or path.is_symlink():
            # given explicitly: never skipped, even if a folder walk skipped it
            key = _identity(path)
            if key not in files or files[key].skipped:
                files[key] = Discovered(path, machine_name(path))
        else:
            missing.append(os.fspath(arg))
    if missing:
        raise FileNotFoundError("No such file or folder: " + ", ".join(missing))

    items = sorted(files.values(), key=lambda d: _sort_key(d.source))
    items += [Discovered(t, DEFAULT_NAME) for t in texts]
    active = [i for i, d in enumerate(items) if not d.skipped]
    names = unique_names(items[i].name for i in active)
    for i, n in zip(active, names):
        if items[i].name != n:
            items[i] = Discovered(items[i].source, n, items[i].skipped, items[i].reason)
    return items


def _identity(path: Path) -> str:
    try:
        return os.path.normcase(os.path.realpath(path))
    except (OSError, ValueError):
        return os.path.normcase(os.path.abspath(path))


def _sort_key(path: Path) -> tuple:
    return tuple(path.parts)


def _walk_folder(folder: Path) -> list[Discovered]:
    found: list[Discovered] = []
    unreadable: list[Path] = []

    def onerror(e: OSError) -> None:
        if e.filename:
            unreadable.append(Path(e.filename))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith(".") or not filename.lower().endswith(_DISCOVER_SUFFIXES):
                continue
            path = Path(dirpath) / filename
            reason = _not_a_state_machine(path)
            found.append(Discovered(path, machine_name(path), reason is not None, reason))
    # A folder that cannot be listed is kept as an input, so that loading it reports the problem.
    found += [Discovered(p, machine_name(p)) for p in unreadable]
    return found


def _not_a_state_machine(path: Path) -> str | None:
    """Why a file found in a folder walk is not a state machine, or None if it is (or may be)."""
    loaded = load(path)
    if loaded.definition is None:
        codes = {d.code for d in loaded.diagnostics}
        if codes == {INVALID_JSON} and any(
            d.message.startswith("Definition must be a JSON object") for d in loaded.diagnostics
        ):
            return "not a JSON object"
        return None  # unreadable or malformed: keep it, loading reports the problem
    if "StartAt" not in loaded.definition and "States" not in loaded.definition:
        return 'has neither "StartAt" nor "States"'
    return None
