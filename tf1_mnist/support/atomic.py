"""Atomic file writes: what a run writes is either whole or absent, never half."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tf1_mnist.support.errors import ConfigError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".part") -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed onto ``path`` only if the block
    succeeds, removed otherwise (an error, Ctrl-C)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _folder_problem(folder: Path, where: str) -> tuple[str, OSError] | None:
    """Why no file can be created in ``folder`` (made if needed), with the error; None if one
    can.  ``where`` names the folder in the reason ("the folder", "its folder")."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        if isinstance(e, FileExistsError | NotADirectoryError) or e.errno == errno.ENOTDIR:
            return f"a file is in the way of {where}", e
        if e.errno == errno.ENOENT:  # /proc and the like: no files can be created there
            return "files cannot be created in that folder", e
        return e.strerror or str(e), e
    return None


def ensure_writable(folder: str | os.PathLike, what: str, flag: str) -> None:
    """Create ``folder`` if needed and prove a file can be written there, before any work, or
    raise ``ConfigError`` naming it, why (read-only, a file in the way, no permission) and
    ``flag``, the option that names it."""
    folder = Path(folder)
    problem = _folder_problem(folder, "the folder")
    if problem is not None:
        reason, error = problem
        raise ConfigError(
            f"cannot write {what} to {folder}/ ({reason}); choose another folder with {flag}"
        ) from error


def check_writable(path: str | os.PathLike, what: str, flag: str) -> Path:
    """Prove, before any work, that ``atomic_path`` will be able to write the file ``path``:
    its folder exists or can be made, a file can be created in it, and ``path`` is not a
    folder or a special file (a rename would replace a device such as /dev/null).

    Raises ``ConfigError`` naming the path, why, and ``flag`` (the option that names it).
    """
    path = Path(path)
    fix = f"choose another path with {flag}"
    if path.is_dir():
        raise ConfigError(f"cannot write {what} to {path}: it is a folder; name a file, or {fix}")
    if path.exists() and not path.is_file():
        raise ConfigError(f"cannot write {what} to {path}: not a regular file; {fix}")
    problem = _folder_problem(path.parent, "its folder")
    if problem is not None:
        reason, error = problem
        raise ConfigError(f"cannot write {what} to {path} ({reason}); {fix}") from error
    return path
