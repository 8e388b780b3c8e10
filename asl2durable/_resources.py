"""Locate the grammars/ and templates/ folders, in a checkout and in an installed wheel; and
the user's private cache folder, where built parsers and compiled templates are kept between
runs (start-up time: building them costs more than the rest of a small ``validate``)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
RUNTIME_DIR = _PACKAGE_DIR / "runtime"  # the support modules copied next to a handler (in the package)
_RUNTIME_PACKAGE = "asl2durable.runtime."
_SUPPORT_NAME = re.compile(r"asl_[a-z0-9_]+")


class _SupportModules:  # a meta path finder (importlib.abc.MetaPathFinder, not imported: start-up time)
    """One module per support module and process. Generated handlers and the support modules
    import each other by plain name (``import asl_jsonpath``), so that is the module's one
    identity: ``asl_X`` is loaded from :data:`RUNTIME_DIR`, and ``asl2durable.runtime.asl_X``
    is that same module object (an alias), never a second copy with its own caches and classes.
    Only the support modules' names are served (nothing else in the folder becomes importable),
    ahead of ``sys.path``, as the package's own copies must be the ones it runs."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        plain = name.removeprefix(_RUNTIME_PACKAGE)
        if not _SUPPORT_NAME.fullmatch(plain) or not (RUNTIME_DIR / f"{plain}.py").is_file():
            return None
        if plain == name:
            return importlib.util.spec_from_file_location(name, RUNTIME_DIR / f"{name}.py")
        return importlib.machinery.ModuleSpec(name, _Alias(plain))


class _Alias:  # a loader (importlib.abc.Loader)
    """Loads ``asl2durable.runtime.asl_X`` as the module ``asl_X``: the import system returns
    what ``sys.modules`` holds under the name once the loader has run."""

    def __init__(self, plain: str) -> None:
        self.plain = plain

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        sys.modules[module.__name__] = importlib.import_module(self.plain)


def install_support_modules() -> None:
    """Make the support modules importable by plain name, once per process (the package's
    import does it)."""
    if not any(isinstance(finder, _SupportModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SupportModules())


def support_module(name: str) -> Any:
    """The support module ``name`` (``"asl_runtime"``), under the name generated handlers use."""
    install_support_modules()
    return importlib.import_module(name)


@cache
def resource_dir(name: str) -> Path:
    """Return the folder ``name`` ("grammars" or "templates").

    An installed wheel carries them inside the package (``asl2durable/<name>``);
    a checkout or an editable install has them at the top level, next to the package.
    """
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"asl2durable resource folder {name!r} is missing from the installation")


@cache
def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/asl2durable`` (default ``~/.cache/asl2durable``), created private to
    this user; None when it cannot be, or when it is not this user's alone (what is kept there
    is loaded as code, so a folder others can write to is never used)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "asl2durable"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o077):
        return None
    return folder


def lark_parser(grammar: str, **options: Any) -> Any:
    """The LALR parser for ``grammars/<grammar>``: loaded from the cache folder when it holds
    one built from the same grammar text, options (but the transformer) and lark and Python
    versions (the file's name says which; lark checks again), else built and saved there under
    a temporary name, then renamed into place, so no process reads a file half written."""
    import hashlib

    import lark

    text = (resource_dir("grammars") / grammar).read_text(encoding="utf-8")
    folder = cache_dir()
    if folder is None:
        return lark.Lark(text, parser="lalr", **options)
    key = [text, lark.__version__, sys.version, *sorted(f"{k}={v!r}" for k, v in options.items() if k != "transformer")]
    digest = hashlib.sha256("\0".join(key).encode("utf-8")).hexdigest()[:16]
    path = folder / f"{grammar}-{digest}.cache"
    if path.is_file():
        return lark.Lark(text, parser="lalr", cache=str(path), **options)
    temporary = str(folder / f".{grammar}-{digest}.{os.getpid()}.tmp")
    try:
        parser = lark.Lark(text, parser="lalr", cache=temporary, **options)
        os.replace(temporary, path)
    except OSError:  # lark could not write it: no cache this time
        return lark.Lark(text, parser="lalr", **options)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return parser


def template_cache() -> Any:
    """Jinja's cache of compiled templates in the cache folder (None: no cache); Jinja checks
    each entry against the template's text and writes each atomically."""
    folder = cache_dir()
    if folder is None:
        return None
    import jinja2

    return jinja2.FileSystemBytecodeCache(str(folder), "jinja-%s.cache")


def cached_code(name: str, key: list[str], build: Callable[[], CodeType | None]) -> CodeType | None:
    """The code object ``build`` returns (or None), kept in the cache folder as
    ``<name>-<digest>.code`` (marshal), the digest of ``key`` and Python's version; written
    under a temporary name, then renamed into place, as lark's parsers are."""
    import hashlib
    import marshal

    folder = cache_dir()
    if folder is None:
        return build()
    digest = hashlib.sha256("\0".join([sys.version, *key]).encode("utf-8")).hexdigest()[:16]
    path = folder / f"{name}-{digest}.code"
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        kept = marshal.loads(path.read_bytes())
        if kept is None or isinstance(kept, CodeType):
            return kept
    code = build()
    keep(path, marshal.dumps(code))
    return code


def keep(path: Path, data: bytes) -> None:
    """Write a cache entry: ``data`` under a temporary name beside ``path``, then renamed into
    place (no process reads a file half written; of two processes writing at once, one's is
    kept). A failure to write leaves the cache as it was."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
