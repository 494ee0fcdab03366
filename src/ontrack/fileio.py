"""Reading and writing the user's files safely.

Writing: a crash or a full disk never leaves half a file behind. The data goes to a temporary file
beside the target, is flushed to disk, and is renamed over the target. A symlink is written
through (its target is replaced, the link stays); an existing file keeps its permissions; a
device, FIFO, socket or folder at the path is refused rather than replaced by a regular file.

Reading: only regular files are read, without ever blocking on a FIFO or reading a device, and
never more than a limit, counted in the bytes actually read (a device or ``/proc`` file reports a
size of 0).

Every refusal is an ``OSError`` (``NotAFileError`` or ``FileTooLargeError``) whose ``strerror``
says what is wrong, so a caller that turns ``OSError`` into a diagnostic reports it clearly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

#: A ceiling for the other files users hand us (CSV histories, periods, progress), as imports.
MAX_INPUT_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


class NotAFileError(OSError):
    """The path is a folder, a device, a FIFO or a socket, not a regular file."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        code = errno.EISDIR if kind == "folder" else errno.EINVAL
        super().__init__(code, f"is a {kind}, not a file", os.fspath(path))
        self.kind = kind


class FolderNotAFileError(NotAFileError, IsADirectoryError):
    """A folder where a file belongs (also an ``IsADirectoryError``, as ``open()`` raises)."""


def not_a_file(path: str | os.PathLike[str], mode: int) -> NotAFileError:
    """The error for ``path``, whose ``st_mode`` is not a regular file's."""
    kind = file_kind(mode)
    return FolderNotAFileError(path, kind) if kind == "folder" else NotAFileError(path, kind)


class FileTooLargeError(OSError):
    """The file holds more than the limit. ``size`` is its size when known (a regular file's
    size as stat reported it), else None (it grew while it was read)."""

    def __init__(self, path: str | os.PathLike[str], limit: int, size: int | None) -> None:
        said = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
        super().__init__(errno.EFBIG, f"is {said}; the limit is {limit:,}", os.fspath(path))
        self.limit = limit
        self.size = size


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words: 'file', 'folder', 'device', 'FIFO', 'socket', ..."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


# ---------------------------------------------------------------------------------------- reading


def read_bytes_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``limit`` of them.

    Raises ``NotAFileError`` for a folder, device, FIFO or socket (a FIFO is opened without
    blocking and a device is never opened), ``FileTooLargeError`` past ``limit`` bytes, and
    other ``OSError`` as opening and reading raise them.
    """
    # Look before opening: opening some devices has effects (a tape rewinds, a tty attaches).
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise not_a_file(path, mode)
    # The path can change between the look and the open: open without blocking (a FIFO would
    # wait for a writer) and check what was opened.
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise not_a_file(path, info.st_mode)
        if info.st_size > limit:
            raise FileTooLargeError(path, limit, info.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileTooLargeError(path, limit, None)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_limited(path: str | os.PathLike[str], limit: int, encoding: str = "utf-8") -> str:
    """``read_bytes_limited`` decoded; raises ``UnicodeDecodeError`` as ``bytes.decode`` does."""
    return read_bytes_limited(path, limit).decode(encoding)


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path``, every symlink resolved, lies inside ``folder`` (also resolved)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


# ---------------------------------------------------------------------------------------- writing


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """``write_bytes_atomic`` of ``text`` in UTF-8."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``, all or nothing.

    A symlink is written through: its target is replaced, atomically, and the link is kept. An
    existing file keeps its permission bits (and, where allowed, its owner); a new file gets the
    umask's default (as ``open()`` would give it). A folder, device, FIFO or socket at the path
    raises ``NotAFileError`` and is left as it was. Any failure leaves the old file as it was and
    no temporary file behind.
    """
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise not_a_file(path, existing.st_mode)
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode) & 0o777  # never carry set-id bits to new content
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    folder = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file private (0600); give it the mode the file has or would get.
            os.chmod(tmp, mode)
            if existing is not None and hasattr(os, "fchown"):
                info = os.fstat(handle.fileno())
                if (info.st_uid, info.st_gid) != (existing.st_uid, existing.st_gid):
                    with contextlib.suppress(OSError):  # only root may give a file away
                        os.fchown(handle.fileno(), existing.st_uid, existing.st_gid)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every system can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
