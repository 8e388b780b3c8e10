"""The write stage: a Translation's files into OUTDIR/<name>/."""

from __future__ import annotations

from pathlib import Path

from .translate import Translation


def write_translation(translation: Translation, outdir: Path | str) -> Path:
    """Write the translation's files to ``outdir/<name>/`` and return that folder.

    Files are written with '\\n' line endings and UTF-8, so the same input always gives
    byte-identical output.
    """
    folder = Path(outdir) / translation.name
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(translation.files.items()):
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    return folder
