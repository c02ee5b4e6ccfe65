"""Atomic file replacement: write to a temporary file, then rename it."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_write"]

#: Linux file whose ``Umask:`` line gives the umask (Linux 4.7 and later).
_PROC_STATUS = "/proc/self/status"


def _default_mode() -> int:
    return 0o666 & ~_current_umask()


def _current_umask() -> int:
    """Return the process umask; on Linux it is read without changing it."""
    # Elsewhere os.umask can only read the umask by setting it, and a file
    # that another thread creates between the two calls gets mode 0o666.
    try:
        with open(_PROC_STATUS, encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _check_target(path: str, target: str) -> None:
    """Raise an OSError that names ``path`` if it cannot be written as a file.

    Without this check the error would come from creating the temporary file
    and name that file instead of the one the caller asked for.
    """
    if os.path.isdir(target):
        raise _os_error(
            IsADirectoryError,
            errno.EISDIR,
            f"Cannot write {path}: it is a directory. Choose a file name.",
        )
    folder = os.path.dirname(target)
    try:
        folder_mode = os.stat(folder).st_mode
    except FileNotFoundError:
        raise _os_error(
            FileNotFoundError,
            errno.ENOENT,
            f"Cannot write {path}: the folder {folder} does not exist. "
            f"Create it first or choose another path.",
        ) from None
    except NotADirectoryError:
        raise _os_error(
            NotADirectoryError,
            errno.ENOTDIR,
            f"Cannot write {path}: a part of {folder} is a file, not a folder.",
        ) from None
    if not stat.S_ISDIR(folder_mode):
        raise _os_error(
            NotADirectoryError,
            errno.ENOTDIR,
            f"Cannot write {path}: {folder} is a file, not a folder.",
        )


def _os_error(kind: type[OSError], code: int, message: str) -> OSError:
    # Set errno after construction, since OSError(code, text) would print as
    # "[Errno <code>] <text>".
    error = kind(message)
    error.errno = code
    return error


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file that replaces ``path`` when the block succeeds.

    The temporary file lives in the target's folder, so the final
    :func:`os.replace` is a rename within one file system. If the block raises,
    the temporary file is removed and ``path`` keeps its old content. The new
    file gets the permissions of the file it replaces, or the umask default.
    Errors from creating, renaming or setting the mode of the temporary
    file name ``path`` instead of it.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. A symbolic link is followed, so the
        file it points to is replaced and the link stays.

    Yields
    ------
    BinaryIO
        A binary file object to write to.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    NotADirectoryError
        If the folder of ``path`` is a file.
    OSError
        If the temporary file cannot be created or renamed, for example
        without write permission on the folder.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as handle:
    ...     _ = handle.write(b"done")
    >>> target.read_bytes()
    b'done'
    """
    requested = os.fspath(path)
    # Writing through a symbolic link replaces the file it points to and
    # keeps the link, as writing to it in place would.
    target = os.path.realpath(requested)
    _check_target(requested, target)
    folder, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_mode()

    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    except OSError as exc:
        raise _renamed(exc, requested) from exc
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except OSError as exc:
            raise _renamed(exc, requested) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _renamed(exc: OSError, path: str) -> OSError:
    """Return a copy of ``exc`` that names ``path`` instead of a temporary file."""
    # Errors from os.open, os.chmod and os.replace always carry errno and
    # strerror, so the copy prints as "[Errno <n>] <strerror>: '<path>'".
    return type(exc)(exc.errno, exc.strerror, path)
