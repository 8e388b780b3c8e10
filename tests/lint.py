"""Running cfn-lint from the tests (shared by test_deploy, test_templates and test_corpus)."""

import subprocess
import sys


def cfn_lint(*paths) -> None:
    """Assert that cfn-lint finds nothing in the templates at ``paths``."""
    # cfn-lint has no ``python -m cfnlint`` entry point: call its runner's main.
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
