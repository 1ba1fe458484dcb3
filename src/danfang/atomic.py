"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one, never
half of one. Temp file in the same folder, flush + fsync, rename, fsync of the folder.

A write that fails because the location cannot be written (a full disk, a read-only or
forbidden folder) raises :class:`~danfang.errors.OutputError` saying so (exit 2), after
removing its temp file."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path
from typing import IO, Callable, Iterator

from danfang.errors import OutputError

#: errno values that mean "this location cannot be written"
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG})


def write_failure(exc: BaseException | None) -> OSError | None:
    """The OSError saying the output location cannot be written, in ``exc`` or in what it was
    raised from (``torch.save`` turns a full disk into a RuntimeError raised while handling it)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def is_write_failure(exc: BaseException) -> bool:
    """Does ``exc`` say that the output location cannot be written?"""
    return write_failure(exc) is not None


def output_error(exc: BaseException, path: str | os.PathLike | None = None) -> OutputError:
    """The :class:`OutputError` for a failed write of ``path`` (default: the error's file)."""
    exc = write_failure(exc) or exc
    assert isinstance(exc, OSError)
    where = path if path is not None else (exc.filename or "the output folder")
    name = errno.errorcode.get(exc.errno or 0, "")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        advice = "Free some space, or pass --out to a folder on a disk with room."
    else:
        advice = "The folder is read-only or not writable by you: pass --out to a folder you can write."
    return OutputError(f"cannot write {where}: {exc.strerror or exc}{f' ({name})' if name else ''}. {advice}")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[IO], None], *, binary: bool = False) -> None:
    """Call ``write(fh)`` on a temp file beside ``path`` and move it into place atomically.

    On any failure the temp file is removed and ``path`` keeps its previous content.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if is_write_failure(exc):
            raise output_error(exc, path) from exc  # type: ignore[arg-type]
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text))


@contextlib.contextmanager
def removed_on_failure(folder: str | os.PathLike) -> Iterator[None]:
    """Remove ``folder`` when the block fails, if the block is what made it: a failed command
    leaves no empty or half-written output folder (an existing one is never touched)."""
    folder = Path(folder)
    made = not folder.exists()
    try:
        yield
    except BaseException:
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        raise
