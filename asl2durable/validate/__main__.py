"""Print what ``validate`` reports for ASL files: ``python -m asl2durable.validate FILE...``.

A file may hold a definition or a conformance case (``{"definition": {...}, ...}``). Only files
with findings are listed; the exit status is 1 when any file has an ERROR.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from asl2durable.diagnostics import has_errors
from asl2durable.validate import validate


def main(paths: list[str]) -> int:
    failed, codes = 0, Counter()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and "definition" in data and "States" not in data:
            data = data["definition"]
        diagnostics = validate(data)
        codes.update(f"{d.severity.value} {d.code}" for d in diagnostics)
        failed += has_errors(diagnostics)
        if diagnostics:
            print(path)
            for d in diagnostics:
                print(f"  {d}")
    print(
        f"{len(paths)} files, {failed} with errors; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
