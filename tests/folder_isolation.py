"""A pytest plugin: the ``test_handler.py`` of many generated folders in one pytest process.

Each generated folder holds modules of the same names (``handler``, ``asl_runtime``, ...) and
its tests import them by plain name, as a user's ``pytest`` in the folder does. Here each
folder gets its own: while a folder's test file is imported and while each of its tests runs,
``sys.modules`` holds that folder's modules and no other folder's, the folder is first on
``sys.path``, and the environment variables its test file sets (``os.environ.setdefault`` of
the template's configuration) are set; between them, they are put away. Test files are
imported with ``--import-mode=importlib`` (they all have one name).

``--folder-report PATH`` writes, as JSON, each folder's count of tests run and the text of its
failures (collection errors included): ``tests/generated.py`` reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


class _Folder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.modules: dict[str, ModuleType] = {}  # its own, while put away
        self.environ: dict[str, str] = {}  # what its test file set
        self.ran = 0
        self.failures: list[str] = []


_FOLDERS: dict[str, _Folder] = {}  # by the folder's path (resolved)
_CURRENT: list[_Folder] = []  # the folder whose test is running


def _folder(path: Any) -> _Folder:
    where = Path(str(path)).resolve().parent
    if str(where) not in _FOLDERS:
        _FOLDERS[str(where)] = _Folder(where)
    return _FOLDERS[str(where)]


def _home(module: Any) -> str | None:
    """The generated folder a module was loaded from (None: not one of them); the folder is
    on ``sys.path`` as its resolved path, so a module's file is in it by that name."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return None
    parent = os.path.dirname(file)
    return parent if parent in _FOLDERS else None


@contextlib.contextmanager
def _inside(folder: _Folder) -> Iterator[None]:
    saved_path, saved_environ = list(sys.path), dict(os.environ)
    for name in [name for name, module in sys.modules.items() if _home(module) is not None]:
        del sys.modules[name]  # another folder's, left by a test that imported late
    sys.path.insert(0, str(folder.path))
    sys.modules.update(folder.modules)
    os.environ.update(folder.environ)
    try:
        yield
    finally:
        folder.modules = {name: module for name, module in sys.modules.items() if _home(module) == str(folder.path)}
        for name in folder.modules:
            del sys.modules[name]
        folder.environ.update({key: value for key, value in os.environ.items() if saved_environ.get(key) != value})
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.path[:] = saved_path


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--folder-report", default=None, help="write each folder's tests run and failures here (JSON)")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: Any) -> Iterator[None]:
    if not isinstance(collector, pytest.Module):
        yield
        return
    folder = _folder(collector.path)
    with _inside(folder):
        outcome = yield
    report = outcome.get_result()
    if report.failed:
        folder.failures.append(f"collecting {collector.path.name}:\n{report.longreprtext[-2000:]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
    folder = _folder(item.path)
    _CURRENT[:] = [folder]
    with _inside(folder):
        yield
    _CURRENT.clear()


def pytest_runtest_logreport(report: Any) -> None:
    if not _CURRENT:
        return
    folder = _CURRENT[0]
    if report.when == "call":
        folder.ran += 1
    if report.failed:
        folder.failures.append(f"{report.nodeid} ({report.when}):\n{report.longreprtext[-2000:]}")


def pytest_sessionfinish(session: Any) -> None:
    path = session.config.getoption("--folder-report")
    if path:
        report = {str(f.path): {"ran": f.ran, "failures": f.failures} for f in _FOLDERS.values()}
        Path(path).write_text(json.dumps(report, indent=1), encoding="utf-8")
