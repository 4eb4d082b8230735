"""Atomic file replacement: the one helper behind project saves and paths files.

A temp file is written beside the real target (same folder, so the rename cannot cross file
systems), flushed and fsynced, given the old file's permissions, then renamed over the target with
os.replace and the folder fsynced: the file is the old one or the new one, never a mix.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def real_target(path: str | Path) -> Path:
    """Where writing `path` must land: a symlink's target (so the link stays), else `path` itself."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None], durable: bool = True) -> Path:
    """Replace the file at `path` (a symlink's target) with what `write(fh)` writes; returns the file written.

    Raises OSError, the old file intact, when the folder or the file cannot be written: a file
    marked read-only is refused (os.replace alone would swap it out, since renaming needs only
    the folder's permission). `durable=False` skips the fsyncs (still never a half-written file,
    but a power cut may lose the newest version): for exports written many files at a time.
    """
    target = real_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.exists() and not target.is_dir():
        mode = target.stat().st_mode
        if not (mode & 0o222) or not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, "the file is read-only", str(target))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".saving", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        try:  # keep the user's file permissions; a new file gets the usual ones
            os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(folder)
    return target


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (best effort: not every platform can open a folder)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows; the rename is still atomic
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
