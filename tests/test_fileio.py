"""Atomic writes: all or nothing, through links, keeping modes, never over a device; and reads
of regular files only, capped by the bytes read."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ontrack import fileio
from ontrack.cli.main import app
from ontrack.interop.history import read_history
from ontrack.interop.periods import read_periods
from ontrack.interop.progressfile import read_progress
from tests.conftest import EXAMPLES


def test_write_replaces_whole_file_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old")
    fileio.write_text_atomic(target, "new")
    assert target.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        fileio.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


# ------------------------------------------------------------------------------ writing: where


needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and devices")


def leftovers(*folders: Path) -> list[str]:
    return [p.name for folder in folders for p in folder.iterdir() if p.name.endswith(".tmp")]


@contextlib.contextmanager
def no_hang(seconds: int = 5) -> Iterator[None]:
    """Fail instead of hanging the suite (a FIFO opened for reading waits for a writer)."""

    def timeout(signum: int, frame: object) -> None:
        raise AssertionError(f"blocked for {seconds}s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_write_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "report.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    fileio.write_text_atomic(link, "new")
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert leftovers(tmp_path, real_dir) == []


def test_write_through_a_relative_chain_of_links(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    real = tmp_path / "out" / "x.csv"
    real.write_text("old")
    (tmp_path / "b.csv").symlink_to("out/x.csv")
    (tmp_path / "a.csv").symlink_to("b.csv")
    fileio.write_bytes_atomic(tmp_path / "a.csv", b"new")
    assert (tmp_path / "a.csv").is_symlink() and (tmp_path / "b.csv").is_symlink()
    assert real.read_bytes() == b"new"


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "new.txt")
    fileio.write_text_atomic(link, "hello")
    assert link.is_symlink()
    assert (tmp_path / "new.txt").read_text() == "hello"


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "secret.csv"
    target.write_text("old")
    target.chmod(0o600)
    fileio.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o640)
    fileio.write_text_atomic(target, "newer")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_existing_file_behind_a_link_keeps_its_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.xml"
    real.write_text("old")
    real.chmod(0o600)
    (tmp_path / "link.xml").symlink_to(real)
    fileio.write_text_atomic(tmp_path / "link.xml", "new")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_new_file_gets_the_umask_default_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        fileio.write_text_atomic(tmp_path / "new.html", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.html").stat().st_mode) == 0o640


@needs_posix
def test_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "out.html"
    os.mkfifo(fifo)
    with no_hang(), pytest.raises(fileio.NotAFileError) as raised:
        fileio.write_text_atomic(fifo, "x")
    assert raised.value.strerror == "is a FIFO, not a file"
    assert isinstance(raised.value, OSError)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(tmp_path) == []


@needs_posix
def test_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "out.csv").symlink_to(fifo)
    with no_hang(), pytest.raises(fileio.NotAFileError):
        fileio.write_bytes_atomic(tmp_path / "out.csv", b"x")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out.html"
    folder.mkdir()
    with pytest.raises(fileio.NotAFileError) as raised:
        fileio.write_text_atomic(folder, "x")
    assert raised.value.strerror == "is a folder, not a file"
    assert folder.is_dir()
    assert list(folder.iterdir()) == [] and leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/dev/null").is_char_device(), reason="needs /dev/null")
def test_device_is_refused_and_stays_a_device(tmp_path: Path) -> None:
    with pytest.raises(fileio.NotAFileError) as raised:
        fileio.write_text_atomic(Path("/dev/null"), "x")
    assert raised.value.strerror == "is a device, not a file"
    assert Path("/dev/null").is_char_device()
    link = tmp_path / "null.html"
    link.symlink_to("/dev/null")
    with pytest.raises(fileio.NotAFileError):
        fileio.write_bytes_atomic(link, b"x")
    assert link.is_symlink()


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs /dev/full")
def test_dev_full_is_refused_before_anything_is_written() -> None:
    # Never replaced by a regular file, even when run as root (the folder is then writable).
    with pytest.raises(fileio.NotAFileError):
        fileio.write_text_atomic(Path("/dev/full"), "x")
    assert Path("/dev/full").is_char_device()


def test_failed_write_through_a_link_leaves_target_link_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "out.yaml"
    real.write_text("old")
    (tmp_path / "link.yaml").symlink_to(real)

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        fileio.write_text_atomic(tmp_path / "link.yaml", "new")
    assert real.read_text() == "old"
    assert (tmp_path / "link.yaml").is_symlink()
    assert leftovers(tmp_path, real_dir) == []


# ------------------------------------------------------------------------------------- reading


def test_read_limited_reads_a_regular_file_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 10)
    assert fileio.read_bytes_limited(path, 10) == b"x" * 10
    with pytest.raises(fileio.FileTooLargeError) as raised:
        fileio.read_bytes_limited(path, 9)
    assert raised.value.size == 10 and raised.value.limit == 9
    assert isinstance(raised.value, OSError)
    path.write_text("été", encoding="utf-8")
    assert fileio.read_text_limited(path, 100) == "été"


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")
def test_read_limited_counts_bytes_read_not_the_reported_size() -> None:
    # /proc files say they are 0 bytes long, as devices do.
    assert Path("/proc/self/status").stat().st_size == 0
    with pytest.raises(fileio.FileTooLargeError) as raised:
        fileio.read_bytes_limited("/proc/self/status", 16)
    assert raised.value.size is None
    assert "more than 16 bytes" in str(raised.value.strerror)


@pytest.mark.skipif(not Path("/dev/zero").is_char_device(), reason="needs /dev/zero")
def test_read_limited_refuses_devices() -> None:
    with pytest.raises(fileio.NotAFileError) as raised:
        fileio.read_bytes_limited("/dev/zero", 100)
    assert raised.value.kind == "device"


@needs_posix
def test_read_limited_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    with no_hang(), pytest.raises(fileio.NotAFileError) as raised:
        fileio.read_bytes_limited(fifo, 100)
    assert raised.value.kind == "FIFO"


@needs_posix
def test_read_limited_opens_without_blocking_when_the_path_changes_after_the_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A regular file when looked at, a FIFO when opened: the open must not wait for a writer.
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    regular = (tmp_path / "regular").resolve()
    regular.write_text("x")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular))
    with no_hang(), pytest.raises(fileio.NotAFileError):
        fileio.read_bytes_limited(fifo, 100)


def test_read_limited_refuses_folders_and_reports_missing_files(tmp_path: Path) -> None:
    with pytest.raises(fileio.NotAFileError) as raised:
        fileio.read_bytes_limited(tmp_path, 100)
    assert raised.value.kind == "folder"
    with pytest.raises(FileNotFoundError):
        fileio.read_bytes_limited(tmp_path / "nope", 100)


def test_is_inside_resolves_links(tmp_path: Path) -> None:
    (tmp_path / "plan").mkdir()
    (tmp_path / "secret.yaml").write_text("x")
    (tmp_path / "plan" / "in.yaml").write_text("x")
    (tmp_path / "plan" / "out.yaml").symlink_to(tmp_path / "secret.yaml")
    (tmp_path / "plan" / "sneaky.yaml").symlink_to("../plan/../secret.yaml")
    assert fileio.is_inside(tmp_path / "plan" / "in.yaml", tmp_path / "plan")
    assert not fileio.is_inside(tmp_path / "plan" / "out.yaml", tmp_path / "plan")
    assert not fileio.is_inside(tmp_path / "plan" / "sneaky.yaml", tmp_path / "plan")


# ----------------------------------------------------------------------- through the commands


@needs_posix
def test_generate_to_a_fifo_is_a_coded_error(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    with no_hang(20):
        result = CliRunner().invoke(app, ["generate", "--tasks", "5", "-o", str(fifo)])
    assert result.exit_code == 1
    assert "E701" in result.output and "is a FIFO, not a file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_to_a_folder_is_a_coded_error(tmp_path: Path) -> None:
    folder = tmp_path / "out.mmd"
    folder.mkdir()
    result = CliRunner().invoke(app, ["export", str(EXAMPLES / "small"), "-o", str(folder)])
    assert result.exit_code == 1
    assert "E462" in result.output and "is a folder, not a file" in result.output
    assert folder.is_dir()


def test_export_keeps_a_private_file_private(tmp_path: Path) -> None:
    target = tmp_path / "out.mmd"
    target.write_text("old")
    target.chmod(0o600)
    result = CliRunner().invoke(app, ["export", str(EXAMPLES / "small"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("gantt")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_folder_error_is_also_an_is_a_directory_error(tmp_path: Path) -> None:
    # Callers that tell a folder apart with `except IsADirectoryError` keep doing so.
    with pytest.raises(IsADirectoryError):
        fileio.read_bytes_limited(tmp_path, 10)
    with pytest.raises(IsADirectoryError):
        fileio.write_bytes_atomic(tmp_path, b"x")


@needs_posix
def test_history_periods_and_progress_files_refuse_a_fifo_without_blocking(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "items.csv"
    os.mkfifo(fifo)
    with no_hang():
        _, history = read_history(fifo)
        _, periods = read_periods(fifo)
        _, progress = read_progress(fifo, task_ids=["a"], hours_per_day=Fraction(8))
    for found, code in ((history, "E410"), (periods, "E430"), (progress, "E440")):
        assert [d.code for d in found] == [code]
        assert "is a FIFO, not a file" in found[0].message
