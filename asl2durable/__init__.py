"""asl2durable: AWS Step Functions (Amazon States Language) → AWS Lambda durable function handlers.

The pipeline, one module a stage: ``loader`` → ``validate`` → ``lower`` (IR, ``ir``) →
``render`` (Jinja + black) → ``writer``. ``translate`` runs it for one definition and
``local.run_local`` runs the result in the durable SDK's local test runner;
``verify.verify`` replays a recorded execution on it, state by state.

The names below are imported on first use (PEP 562), so importing the package, or the command
line, does not import the pipeline, black, Jinja or the durable SDK until a command needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from asl2durable import _resources

if TYPE_CHECKING:  # for type checkers and editors: the names are re-exported
    from asl2durable.diagnostics import Diagnostic as Diagnostic
    from asl2durable.diagnostics import Severity as Severity
    from asl2durable.load.loader import load as load
    from asl2durable.run.local import LocalResult as LocalResult
    from asl2durable.run.local import run_local as run_local
    from asl2durable.translate import Translation as Translation
    from asl2durable.translate import translate as translate
    from asl2durable.validate import validate as validate
    from asl2durable.writer import write_translation as write_translation

# public name -> the module that defines it
_EXPORTS = {
    "Diagnostic": "asl2durable.diagnostics",
    "Severity": "asl2durable.diagnostics",
    "load": "asl2durable.load.loader",
    "LocalResult": "asl2durable.run.local",
    "run_local": "asl2durable.run.local",
    "Translation": "asl2durable.translate",
    "translate": "asl2durable.translate",
    "validate": "asl2durable.validate",
    "write_translation": "asl2durable.writer",
}

# The pipeline recurses once per nesting level or per state in places (the validator, the test
# plan's walk, black) and has run with Python's recursion limit at 10,000 ever since this package
# imported jsonata-python (which sets it so) on import; importing lazily, it is set here.
RECURSION_LIMIT = 10_000
if sys.getrecursionlimit() < RECURSION_LIMIT:
    sys.setrecursionlimit(RECURSION_LIMIT)

# The support modules (``asl2durable/runtime/asl_*.py``) have one identity in a process: their
# plain name, as generated handlers import them (see ``_resources.install_support_modules``).
_resources.install_support_modules()

__all__ = [
    "Diagnostic",
    "LocalResult",
    "Severity",
    "Translation",
    "load",
    "run_local",
    "translate",
    "validate",
    "write_translation",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'asl2durable' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """``asl2durable.translate`` and ``asl2durable.validate`` are the functions, as when this
    package imported them eagerly: importing the submodule of the same name does not rebind
    them to the module (the import system sets the parent's attribute; that is ignored here)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name, "").endswith("." + name):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
