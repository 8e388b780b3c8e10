"""Runs the ``test_handler.py`` of translated folders, as a user would after ``convert``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

_TESTS = Path(__file__).resolve().parent


def generated_test_failures(folders: Iterable[Path], *, timeout: float = 1800) -> list[str]:
    """Runs the tests of all ``folders`` in one pytest process, each folder with its own
    ``handler`` and support modules (the ``folder_isolation`` plugin); returns one text per
    folder whose tests failed (or ran none), with the end of each failure's report."""
    folders = [Path(folder).resolve() for folder in folders]
    if not folders:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "folder_isolation",
            "--import-mode=importlib", f"--folder-report={report}", f"--rootdir={scratch}",
            *(str(folder / "test_handler.py") for folder in folders),
        ]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_TESTS), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run(
            command, cwd=scratch, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=timeout, check=False,
        )
        if not report.is_file():
            return [f"pytest wrote no report (exit {done.returncode}):\n{done.stdout[-4000:]}"]
        seen = json.loads(report.read_text(encoding="utf-8"))
    failures = []
    for folder in folders:
        found = seen.get(str(folder), {"ran": 0, "failures": []})
        if found["failures"]:
            failures.append(f"{folder.name}:\n" + "\n".join(found["failures"]))
        elif found["ran"] == 0:
            failures.append(f"{folder.name}: no tests ran")
    if not failures and done.returncode != 0:
        failures.append(f"pytest exited {done.returncode}:\n{done.stdout[-4000:]}")
    return failures
