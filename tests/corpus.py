"""The real-world corpus (``tests/fixtures/corpus/realworld``) and the goldens' definitions, with
each one's translation made once per test process: several test files read the same 170
translations, and none changes what it reads."""

import json
from functools import cache
from pathlib import Path

from asl2durable.translate import Translation, translate

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = sorted((FIXTURES / "corpus" / "realworld").glob("*.asl.json"))
GOLDEN = sorted((FIXTURES / "golden").glob("*.asl.json"))


@cache
def translated(source: Path) -> Translation:
    """``source``'s translation with the defaults, named after its file."""
    return translate(json.loads(source.read_text(encoding="utf-8")), name=source.stem)
