"""Checkpoint folders: restoring with a clear message for every way a checkpoint can be
unusable, one training run per folder, and a writability check before any work.

A checkpoint's variables are compared with the graph's before restoring, so another model's
checkpoint gets a message naming what differs, and a corrupt one a message naming the file.
TensorFlow's ``Saver`` writes the data and index files before it renames the ``checkpoint``
state file into place, so a reader never sees a half-written checkpoint; it may see one that a
running trainer deletes (``max_to_keep``) before it is restored, which ``restore_latest``
answers by restoring the newer one.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tf1_mnist.support.compat import tf
from tf1_mnist.support.errors import CheckpointError, ConfigError, Error

LOCK_NAME = ".training.lock"


class LockedError(Error):
    """Another run is training into the same checkpoint folder."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (TensorFlow's run to dozens)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def latest(ckpt_dir: Path) -> str | None:
    """Prefix of the newest checkpoint in ``ckpt_dir``; None if it holds none yet."""
    try:
        found = tf.train.latest_checkpoint(str(ckpt_dir))
    except Exception as e:  # an unparsable 'checkpoint' state file
        raise CheckpointError(f"{ckpt_dir}/checkpoint is corrupt ({first_line(e)})") from e
    if found is None and (ckpt_dir / "checkpoint").exists():
        raise CheckpointError(
            f"{ckpt_dir}/checkpoint names a checkpoint whose files are missing; "
            "use --fresh to start over"
        )
    return found


def check_matches(prefix: str, graph: Any, model_name: str) -> None:
    """Raise ``CheckpointError`` unless checkpoint ``prefix`` holds every variable of
    ``graph`` with the graph's shape."""
    try:
        stored = dict(tf.train.list_variables(prefix))
    except Exception as e:
        raise CheckpointError(
            f"checkpoint {prefix} is unreadable or corrupt ({first_line(e)}); "
            "use --fresh to start over"
        ) from e
    with graph.as_default():
        wanted = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    missing = sorted(name for name in wanted if name not in stored)
    wrong_shape = sorted(
        f"{n} {stored[n]} (model: {s})" for n, s in wanted.items() if n in stored and stored[n] != s
    )
    if missing or wrong_shape:
        details = []
        if missing:
            details.append(f"lacks {', '.join(missing[:4])}")
        if wrong_shape:
            details.append(f"has other shapes: {', '.join(wrong_shape[:4])}")
        raise CheckpointError(
            f"checkpoint {prefix} was not written by model '{model_name}' ({'; '.join(details)}); "
            "point --ckpt_dir at this model's checkpoints or use --fresh"
        )


def restore_latest(sess: Any, saver: Any, ckpt_dir: Path, model_name: str) -> str | None:
    """Restore the newest checkpoint in ``ckpt_dir`` into ``sess``; None if there is none.

    If a trainer replaces the newest checkpoint while it is read (and deletes the old one),
    the newer one is restored instead.
    """
    for attempt in range(3):
        prefix = latest(ckpt_dir)
        if prefix is None:
            return None
        try:
            check_matches(prefix, sess.graph, model_name)
            saver.restore(sess, prefix)
            return prefix
        except Exception as e:
            if attempt < 2 and latest(ckpt_dir) not in (None, prefix):
                continue  # a running trainer moved on while we read: take its newer checkpoint
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(
                f"checkpoint {prefix} is corrupt ({first_line(e)}); use --fresh to start over"
            ) from e
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- writing


def ensure_writable(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be written there, or raise
    ``ConfigError`` naming it and why (read-only, a file in the way, no permission)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as e:
        reason = e.strerror or str(e)
        if isinstance(e, FileExistsError | NotADirectoryError) or e.errno == errno.ENOTDIR:
            reason = "a file is in the way of the folder"
        raise ConfigError(
            f"cannot write {what} to {folder}/ ({reason}); choose another folder with the "
            "flag that names it"
        ) from e


@contextlib.contextmanager
def training_lock(ckpt_dir: Path) -> Iterator[None]:
    """Hold ``ckpt_dir`` for one training run, or raise ``LockedError`` naming the run that
    holds it.  An advisory ``flock``: the kernel releases it when its process ends, however
    it ends, so the lock of a killed run is taken over without any cleaning up."""
    path = ckpt_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").split("\n", 1)[0]
            pid, _, since = holder.partition(" ")
            raise LockedError(
                f"{ckpt_dir}/ is being trained by another run (pid {pid or '?'}"
                f"{', since ' + since if since else ''}): wait for it to finish, or train "
                "into another folder with --ckpt_dir (predicting from it works meanwhile)"
            ) from e
        started = datetime.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n{' '.join(sys.argv)}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (deleting it would race)


def clear(ckpt_dir: Path) -> None:
    """Delete the folder's checkpoints (``--fresh``), keeping the lock the run holds."""
    for path in ckpt_dir.iterdir():
        if path.name == LOCK_NAME:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
