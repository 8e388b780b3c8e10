"""Real-world definitions from public AWS samples: every one validates (or is diagnosed) and
converts into a handler that compiles and imports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from asl2durable.local import load_handler
from asl2durable.translate import translate

CORPUS = sorted((Path(__file__).parent / "fixtures" / "corpus" / "realworld").glob("*.asl.json"))


def test_corpus_is_present():
    assert len(CORPUS) == 170


@pytest.mark.parametrize("source", CORPUS, ids=[p.name.removesuffix(".asl.json") for p in CORPUS])
def test_realworld_definition_converts_and_imports(source):
    translation = translate(json.loads(source.read_text(encoding="utf-8")), name=source.stem)
    assert translation.ok, [str(d) for d in translation.diagnostics]
    module = load_handler(translation.files["handler.py"], source.stem)
    assert callable(module.handler)


def test_every_generated_handler_passes_ruff(tmp_path):
    """pyflakes and pycodestyle errors (ruff's F and E rules; line length is black's business),
    in the handlers and in their generated tests."""
    for source in CORPUS:
        translation = translate(json.loads(source.read_text(encoding="utf-8")), name=source.stem)
        stem = source.stem.replace(".", "_").replace("-", "_")
        (tmp_path / f"{stem}.py").write_text(translation.files["handler.py"])
        (tmp_path / f"{stem}_tests.py").write_text(translation.files["test_handler.py"])  # the generated tests
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "E,F", "--ignore", "E501", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout[-3000:]
