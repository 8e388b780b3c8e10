"""Locate the grammars/ and templates/ folders, in a checkout and in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the folder ``name`` ("grammars" or "templates").

    An installed wheel carries them inside the package (``asl2durable/<name>``);
    a checkout or an editable install has them at the top level, next to the package.
    """
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"asl2durable resource folder {name!r} is missing from the installation")
