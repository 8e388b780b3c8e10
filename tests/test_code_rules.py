"""Rules the package's own code keeps, checked by running the tool that states them.

The support modules (asl2durable/runtime/) are copied next to users' handlers and read by
them, and the translator is read by whoever extends it: no function may branch so much that
it cannot be read in one go (issue 19, item 4).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_COMPLEXITY = 15


def test_no_function_above_complexity_15():
    """ruff's C901 (McCabe complexity) finds no function of the package above 15."""
    result = subprocess.run(
        [
            sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format=concise",
            "--select", "C901", "--config", f"lint.mccabe.max-complexity={MAX_COMPLEXITY}",
            "asl2durable",
        ],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"


def test_ci_runs_the_readmes_test_command():
    """The README's second command is what .ci/run runs: a newcomer runs what CI runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command.startswith("python -m pytest") and ci[-1] == command
