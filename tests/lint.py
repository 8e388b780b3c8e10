"""Running cfn-lint from the tests (shared by test_deploy, test_templates and test_corpus)."""

import re
import subprocess
import sys
from pathlib import Path

# cfn-lint's Lambda runtime deprecation rules (E2531, E2533, W2531) compare the runtime's
# end-of-support dates with today's date, so the same template passes one year and fails the
# next. cfn-lint runs here on the day the pinned test stack was written (constraints.txt,
# refreshed by .ci/lock), which moves only when the pins do.
_PINNED_ON = re.search(
    r"Written by \.ci/lock on (\d{4})-(\d\d)-(\d\d)",
    (Path(__file__).resolve().parent.parent / "constraints.txt").read_text(encoding="utf-8"),
)
_RUN = """
import datetime, sys

class PinnedDay(datetime.datetime):
    @classmethod
    def today(cls):
        return cls({y}, {m}, {d})

    @classmethod
    def now(cls, tz=None):
        return cls({y}, {m}, {d}, tzinfo=tz)

datetime.datetime = PinnedDay  # before cfn-lint loads its rules ("from datetime import datetime")
from cfnlint.runner import main
sys.exit(main())
"""


def cfn_lint(*paths) -> None:
    """Assert that cfn-lint finds nothing in the templates at ``paths``."""
    # cfn-lint has no ``python -m cfnlint`` entry point: call its runner's main.
    y, m, d = (int(part) for part in _PINNED_ON.groups())
    result = subprocess.run(
        [sys.executable, "-c", _RUN.format(y=y, m=m, d=d), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
