"""Runs the ``test_handler.py`` of translated folders, as a user would after ``convert``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def generated_test_failures(folders: Iterable[Path], *, at_once: int = 2, timeout: float = 300) -> list[str]:
    """Runs pytest in each folder (``at_once`` at a time: each run starts the SDK's local runner);
    returns one text per folder whose tests failed, with the end of pytest's output."""
    failures = []
    pending, running = list(folders), []
    while pending or running:
        while pending and len(running) < at_once:
            folder = pending.pop(0)
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_handler.py"]
            running.append((folder, subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        folder, process = running.pop(0)
        output, _ = process.communicate(timeout=timeout)
        if process.returncode != 0:
            failures.append(f"{folder.name}:\n{output[-2000:]}")
    return failures
