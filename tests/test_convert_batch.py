"""Batch safety of ``asl2durable convert``: atomic folders, no silent overwrite, every failure reported.

Rules under test (see asl2durable/writer.py):
* each OUTDIR/<name>/ is written into a hidden temporary sibling and renamed into place, so an
  interrupted write leaves the target as it was and no temporary folder behind;
* an existing folder with other content is refused (OUTPUT_EXISTS) unless --force, which replaces it;
* a folder that already holds exactly the new output is left alone ("unchanged", not an error);
* one failing input does not stop the others; the failures are listed at the end, exit 1.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asl2durable import cli, writer

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
PASS_FILE = FIXTURES / "pass.asl.json"
FAIL_FILE = FIXTURES / "fail.asl.json"
BATCH = FIXTURES / "batch"
SAM_APP = Path(__file__).parent / "fixtures" / "templates" / "sam-app" / "template.yaml"


def invoke(*args: object):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def by_name(result) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads(result.stdout)}


def codes(record: dict) -> list[str]:
    return [d["code"] for d in record["diagnostics"] if d["severity"] == "ERROR"]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------------------
# re-runs and overwriting


def test_rerun_over_unchanged_output_is_not_an_error(tmp_path):
    out = tmp_path / "out"
    assert invoke("convert", PASS_FILE, FAIL_FILE, "-o", out).exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    first = tree(out)
    result = invoke("convert", PASS_FILE, FAIL_FILE, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"converted -> {out / 'pass'} (unchanged)" in result.stdout
    assert tree(out) == first
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before  # nothing rewritten
    assert hidden(out) == []


def test_existing_folder_with_other_content_is_refused_without_force(tmp_path):
    out = tmp_path / "out"
    (out / "pass").mkdir(parents=True)
    (out / "pass" / "handler.py").write_text("# edited by hand\n")
    result = invoke("convert", PASS_FILE, FAIL_FILE, "-o", out, "--format", "json")
    assert result.exit_code == 1
    records = by_name(result)
    assert records["pass"]["converted"] is False and codes(records["pass"]) == ["OUTPUT_EXISTS"]
    assert str(out / "pass") in records["pass"]["diagnostics"][-1]["message"]
    assert records["fail"]["converted"] is True  # the batch went on
    assert tree(out / "pass") == {"handler.py": b"# edited by hand\n"}
    assert (out / "fail" / "handler.py").is_file()
    assert hidden(out) == []


@pytest.mark.parametrize("extra", ["edited", "added", "file-in-place"])
def test_force_replaces_the_folder(tmp_path, extra):
    out = tmp_path / "out"
    reference = tmp_path / "reference"
    assert invoke("convert", PASS_FILE, "-o", reference).exit_code == 0
    if extra == "file-in-place":
        out.mkdir()
        (out / "pass").write_text("not a folder")
    else:
        shutil.copytree(reference, out)
        if extra == "edited":
            (out / "pass" / "handler.py").write_text("# edited\n")
        else:
            (out / "pass" / "notes.txt").write_text("mine\n")
    assert invoke("convert", PASS_FILE, "-o", out).exit_code == 1
    result = invoke("convert", PASS_FILE, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    assert f"converted -> {out / 'pass'} (replaced)" in result.stdout
    assert tree(out / "pass") == tree(reference / "pass")
    assert hidden(out) == []


def test_an_empty_existing_folder_is_written_without_force(tmp_path):
    out = tmp_path / "out"
    (out / "pass").mkdir(parents=True)
    assert invoke("convert", PASS_FILE, "-o", out).exit_code == 0
    assert (out / "pass" / "handler.py").is_file()


def test_template_folder_follows_the_same_rule(tmp_path):
    out = tmp_path / "out"
    assert invoke("convert", SAM_APP, "-o", out).exit_code == 0
    assert invoke("convert", SAM_APP, "-o", out).exit_code == 0  # unchanged
    (out / "template" / "template.yaml").write_text("edited: true\n")
    result = invoke("convert", SAM_APP, "-o", out, "--format", "json")
    assert result.exit_code == 1
    record = by_name(result)["template"]
    assert record["kind"] == "template" and codes(record) == ["OUTPUT_EXISTS"]
    assert (out / "template" / "template.yaml").read_text() == "edited: true\n"
    assert invoke("convert", SAM_APP, "-o", out, "--force").exit_code == 0
    assert (out / "template" / "template.yaml").read_text() != "edited: true\n"


# --------------------------------------------------------------------------------------
# interrupted writes


def _failing_write_bytes(monkeypatch, error: BaseException, after: int = 1):
    real = Path.write_bytes
    calls = []

    def write_bytes(self, data):
        calls.append(self)
        if len(calls) > after:
            raise error
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    return calls


def test_interrupted_write_leaves_no_folder_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    calls = _failing_write_bytes(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    result = invoke("convert", PASS_FILE, "-o", out, "--format", "json")
    assert len(calls) == 2  # it really failed midway
    assert result.exit_code == 1
    assert codes(by_name(result)["pass"]) == ["OUTPUT_NOT_WRITABLE"]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("error", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()])
def test_interrupted_forced_write_keeps_the_old_folder(tmp_path, monkeypatch, error):
    out = tmp_path / "out"
    (out / "m").mkdir(parents=True)
    (out / "m" / "handler.py").write_text("old\n")
    _failing_write_bytes(monkeypatch, error)
    with pytest.raises(type(error)):
        writer.write_folder(out, "m", {"a.py": "a\n", "b.py": "b\n", "handler.py": "new\n"}, force=True)
    assert tree(out / "m") == {"handler.py": b"old\n"}
    assert hidden(out) == []


def test_failed_rename_into_place_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "m").mkdir(parents=True)
    (out / "m" / "handler.py").write_text("old\n")
    real = os.rename

    def rename(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(src, dst)

    monkeypatch.setattr(writer.os, "rename", rename)
    with pytest.raises(OSError):
        writer.write_folder(out, "m", {"handler.py": "new\n"}, force=True)
    assert tree(out / "m") == {"handler.py": b"old\n"}
    assert hidden(out) == []


# --------------------------------------------------------------------------------------
# failures, collisions, unwritable output


def test_a_dot_template_found_in_a_walk_is_converted_as_a_template(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "stack.template").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Flow:\n    Type: AWS::StepFunctions::StateMachine\n"
        "    Properties:\n      Definition:\n        StartAt: P\n        States:\n          P: {Type: Succeed}\n"
    )
    out = tmp_path / "out"
    result = invoke("convert", src, "-o", out)
    assert result.exit_code == 0, result.output
    # the machine's folder is <file stem>-<logical ID>, the rewritten template's <file stem>
    assert sorted(p.name for p in out.iterdir()) == ["stack", "stack-Flow"]
    assert (out / "stack" / "template.yaml").is_file()
    assert (out / "stack-Flow" / "handler.py").is_file()


def test_failures_are_listed_at_the_end_with_exit_1(tmp_path):
    out = tmp_path / "out"
    result = invoke("convert", BATCH, "-o", out)
    assert result.exit_code == 1
    assert (out / "good" / "handler.py").is_file()
    assert "error: 1 input not converted:" in result.stderr
    summary = result.stderr.split("error: 1 input not converted:")[1].strip().splitlines()
    assert len(summary) == 1 and "bad.json: " in summary[0]


def test_same_folder_name_twice_in_a_batch_never_overwrites(tmp_path):
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    shutil.copy(PASS_FILE, src / "a" / "Orders.asl.json")
    shutil.copy(FAIL_FILE, src / "b" / "orders.json")  # the same name on a case-insensitive file system
    out = tmp_path / "out"
    result = invoke("convert", src, "-o", out, "--force", "--format", "json")
    assert result.exit_code == 0, result.output
    outputs = [r["output"] for r in json.loads(result.stdout)]
    assert len({o.casefold() for o in outputs}) == 2
    handlers = {Path(o).name: (Path(o) / "handler.py").read_text() for o in outputs}
    assert len(set(handlers.values())) == 2  # each input kept its own output


def test_unwritable_output_folder_is_a_clear_error(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.parent == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    result = invoke("convert", PASS_FILE, FAIL_FILE, "-o", out)
    assert result.exit_code == 1
    assert "OUTPUT_NOT_WRITABLE" in result.stdout and "Permission denied" in result.stdout
    assert "error: 2 inputs not converted:" in result.stderr


def test_output_folder_under_a_file(tmp_path):
    """A real failure to write, even for root: the output folder would be inside a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke("convert", PASS_FILE, "-o", blocker / "out")
    assert result.exit_code == 1
    assert f"Error: cannot create output folder {blocker / 'out'}: Not a directory" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------
# kill (SIGTERM) during a parallel batch

CORPUS = Path(__file__).parent / "fixtures" / "corpus" / "realworld"


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes in the process group ``pgid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _wait_for(condition, what: str, deadline: float = 120.0) -> None:
    """Poll ``condition`` until true; the deadline only keeps a broken run from hanging CI."""
    import time

    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"still waiting for {what}"
        time.sleep(0.05)


def test_sigterm_stops_the_workers_and_leaves_no_half_written_folder(tmp_path):
    import signal
    import subprocess
    import sys

    inputs = tmp_path / "in"
    inputs.mkdir()
    sources = sorted(CORPUS.glob("*.asl.json"))[:40]
    for k, source in enumerate(sources):
        shutil.copy(source, inputs / f"m{k:02}.asl.json")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "asl2durable.cli", "convert", str(inputs), "-o", str(out), "-j", "2"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: len(_group(process.pid)) >= 3, "the two workers to start")
        process.send_signal(signal.SIGTERM)  # the parent only, as `kill PID` does
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 143, stderr
        assert b"Traceback" not in stderr
        _wait_for(lambda: not _group(process.pid), "the workers to exit")
    finally:
        for pid in _group(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert hidden(out) == []
    written = list(out.iterdir())
    assert len(written) < len(sources)  # it was stopped
    for folder in written:  # each folder whole: they appear only by renaming a finished one in
        assert {"handler.py", "test_handler.py", "template.yaml", "MIGRATION.md"} <= set(tree(folder)), folder


def test_signals_wait_while_a_folder_is_swapped(tmp_path, monkeypatch):
    """SIGTERM during the renames of a forced write arrives once the new folder is in and the old
    one removed: the folder is never missing and nothing is left aside (also when the process
    has other threads)."""
    import signal
    import threading

    received = []
    previous = signal.signal(signal.SIGTERM, lambda *_: received.append(sorted(os.listdir(tmp_path))))
    target = tmp_path / "t"
    target.mkdir()
    new = tmp_path / "new"
    new.mkdir()
    (new / "f").write_text("x")
    real_rename = os.rename

    def rename(a, b):
        real_rename(a, b)
        if not received and Path(b).name.endswith(".old"):
            os.kill(os.getpid(), signal.SIGTERM)  # between "old aside" and "new in"

    monkeypatch.setattr(os, "rename", rename)
    other = threading.Thread(target=threading.Event().wait, args=(30,), daemon=True)
    other.start()  # a second thread, which the kernel may pick to receive the signal
    try:
        writer._swap(new, target)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == [["t"]]
    assert (target / "f").read_text() == "x"
