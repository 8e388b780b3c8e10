"""The write stage: a Translation's files into OUTDIR/<name>/.

Each folder is written atomically: the files go into a hidden temporary sibling folder in OUTDIR
(so on the same file system), which is then renamed into place. An interrupted write leaves the
target folder as it was (absent, or the previous version), never half-written.

Overwrite rule:

* the target folder is absent or empty: written;
* it holds exactly the files that would be written, byte for byte (and nothing else): left
  alone, reported as unchanged (a re-run over an unchanged input is not an error);
* otherwise (other content, edited files, extra files, or a file in its place): refused with
  ``OutputExists`` unless ``force``; with ``force`` the old folder is renamed aside, the new one
  renamed in, and the old one removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from asl2durable.translate import Translation

Outcome = Literal["written", "replaced", "unchanged"]


class OutputExists(Exception):
    """The target folder exists with other content and ``force`` was not given."""

    def __init__(self, path: Path):
        super().__init__(f"{path} already exists with other content (use --force to replace it)")
        self.path = path


def write_translation(translation: Translation, outdir: Path | str, *, force: bool = False) -> Path:
    """Write the translation's files to ``outdir/<name>/`` and return that folder.

    Files are written with '\\n' line endings and UTF-8, so the same input always gives
    byte-identical output. Raises ``OutputExists`` (see the module docstring) or ``OSError``.
    """
    folder, _ = write_folder(outdir, translation.name, translation.files, force=force)
    return folder


def write_folder(outdir: Path | str, name: str, files: dict[str, str], *, force: bool = False) -> tuple[Path, Outcome]:
    """Write ``files`` (relative name -> text) as the folder ``outdir/name``, atomically.

    Returns the folder and what happened: "written" (it was absent or empty), "replaced"
    (``force`` over other content) or "unchanged" (it already held exactly these files).
    """
    outdir = Path(outdir)
    target = outdir / name
    data = {rel: text.encode("utf-8") for rel, text in files.items()}  # newline="\n": the texts use "\n"
    existing = _state(target, data)
    if existing == "same":
        return target, "unchanged"
    if existing == "other" and not force:
        raise OutputExists(target)
    tmp = _fresh(outdir, name, "tmp")
    tmp.mkdir()  # plain mode (umask applies), unlike mkdtemp's 0700
    try:
        for rel, content in sorted(data.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        if existing == "absent":
            os.rename(tmp, target)  # fails (and leaves the target alone) if it appeared meanwhile
            return target, "written"
        _swap(tmp, target)
        return target, "written" if existing == "empty" else "replaced"
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _state(target: Path, data: dict[str, bytes]) -> str:
    """"absent", "empty", "same" (exactly ``data``) or "other"."""
    if not os.path.lexists(target):
        return "absent"
    if target.is_symlink() or not target.is_dir():
        return "other"
    found = {}
    for path in target.rglob("*"):
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            return "other"
        if path.is_file():
            found[path.relative_to(target).as_posix()] = path
    if not found and not any(target.iterdir()):
        return "empty"
    if set(found) != set(data):
        return "other"
    for rel, path in found.items():
        if path.stat().st_size != len(data[rel]) or path.read_bytes() != data[rel]:
            return "other"
    # the same files; folders that hold no file (left empty) also count as other content
    dirs = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_dir()}
    return "same" if dirs <= _ancestors(data) else "other"


def _ancestors(data: dict[str, bytes]) -> set[str]:
    out: set[str] = set()
    for rel in data:
        parent = Path(rel).parent
        while parent.as_posix() != ".":
            out.add(parent.as_posix())
            parent = parent.parent
    return out


def _swap(new: Path, target: Path) -> None:
    """Replace the folder (or file) ``target`` by the folder ``new``: old aside, new in, old removed.
    SIGTERM and SIGINT wait until this is done, so ``target`` is never left missing and the old
    folder never left aside."""
    aside = _fresh(target.parent, target.name, "old")
    with _signals_deferred():
        os.rename(target, aside)
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(aside, target)  # put the old one back
            raise
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGTERM and SIGINT that arrive inside the block are held and raised again after it, for
    the handlers in place before. Done with Python handlers (they always run in the main thread),
    not a thread's signal mask, which other threads of the process would not share. Only the main
    thread can set handlers; elsewhere nothing is deferred."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: set outside Python, it could not be put back
            previous[signum] = signal.signal(signum, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in pending:
            signal.raise_signal(signum)


def _fresh(outdir: Path, name: str, kind: str) -> Path:
    """An unused hidden name next to the target: ``.<name>.<random>.<kind>``."""
    while True:
        path = outdir / f".{name}.{uuid.uuid4().hex[:12]}.{kind}"
        if not os.path.lexists(path):
            return path
