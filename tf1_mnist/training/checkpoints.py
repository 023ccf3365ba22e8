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
import fcntl
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tf1_mnist.support.compat import tf
from tf1_mnist.support.errors import CheckpointError, Error

LOCK_NAME = ".training.lock"


class LockedError(Error):
    """Another run is training into the same checkpoint folder."""


GLOB_CHARACTERS = frozenset("*?[]")
"""TensorFlow looks a checkpoint's files up as a glob pattern: a path with these never matches."""
_NOISE_LINES = ("Graph execution error:", "Detected at node", "[[", "File ")


def first_line(error: BaseException) -> str:
    """The line of an exception's message that says what went wrong (TensorFlow's run to
    dozens, and an op's error starts with "Graph execution error:" and the node's name)."""
    message = getattr(error, "message", None) or str(error)
    for line in message.strip().splitlines():
        line = line.strip()
        if line and not line.startswith(_NOISE_LINES):
            return line
    return type(error).__name__


def named(ckpt_dir: Path) -> list[str]:
    """The checkpoints the folder's ``checkpoint`` state file names, newest first, each looked
    up inside ``ckpt_dir`` whatever folder the file names: a copied, moved or remounted
    checkpoint folder restores its own files, never those of the folder it was copied from."""
    state_file = ckpt_dir / "checkpoint"
    try:
        text = state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{state_file} is unreadable ({e})") from e
    from google.protobuf import text_format
    from tensorflow.python.checkpoint.checkpoint_management import CheckpointState

    state = CheckpointState()
    try:
        text_format.Merge(text, state)
    except text_format.ParseError as e:
        raise CheckpointError(f"{state_file} is corrupt ({e}){_offer(ckpt_dir, [])}") from e
    prefixes = [state.model_checkpoint_path, *reversed(state.all_model_checkpoint_paths)]
    resolved = [str(ckpt_dir / os.path.basename(p.rstrip("/"))) for p in prefixes if p]
    return list(dict.fromkeys(resolved))


def latest(ckpt_dir: Path) -> str | None:
    """Prefix of the newest checkpoint in ``ckpt_dir``; None if it holds none yet."""
    prefixes = named(ckpt_dir)
    return prefixes[0] if prefixes else None


def as_prefix(path: str) -> str:
    """A checkpoint's prefix from the prefix itself or the name of one of its files."""
    return re.sub(r"\.(index|meta|data-\d{5}-of-\d{5})$", "", path)


@contextlib.contextmanager
def readable(prefix: str) -> Iterator[str]:
    """``prefix`` as TensorFlow can open it: a folder name with glob characters (``run[1]``)
    is hidden behind links to the checkpoint's files in a temporary folder."""
    if not GLOB_CHARACTERS & set(prefix):
        yield prefix
        return
    folder, name = os.path.split(prefix)
    links = Path(tempfile.mkdtemp(prefix="tf1_mnist-checkpoint-"))
    try:
        for path in Path(folder).iterdir():
            if path.name.startswith(f"{name}."):
                (links / path.name).symlink_to(path.resolve())
        yield str(links / name)
    finally:
        shutil.rmtree(links, ignore_errors=True)


def damage(prefix: str) -> str | None:
    """Which file of checkpoint ``prefix`` is missing or damaged, and why; None if every
    variable in it can be read back."""
    found = _damage(prefix)
    return None if found is None else found[0]


def _damage(prefix: str, read_data: bool = True) -> tuple[str, BaseException | None] | None:
    """``damage``, with TensorFlow's error where it gave one (kept as the cause).
    ``read_data=False`` opens the index only: a restore reads (and checksums) the data itself."""
    index = Path(f"{prefix}.index")
    folder = Path(os.path.dirname(prefix) or ".")
    name = os.path.basename(prefix)
    data = (
        sorted(p for p in folder.iterdir() if p.name.startswith(f"{name}.data-"))
        if folder.is_dir()
        else []
    )
    data_name = data[0] if len(data) == 1 else Path(f"{prefix}.data-00000-of-00001")
    if not index.is_file():
        return f"{index} is missing", None
    if not data:
        return f"{data_name} is missing", None
    with readable(prefix) as path:
        try:
            reader = tf.train.load_checkpoint(path)
        except Exception as e:
            return f"{index} is damaged ({first_line(e)})", e
        if not read_data:
            return None
        try:
            for variable in reader.get_variable_to_shape_map():
                reader.get_tensor(variable)
        except Exception as e:
            return f"{data_name} is damaged ({first_line(e)})", e
    return None


def _step(prefix: str) -> int:
    found = re.search(r"-(\d+)$", prefix)
    return int(found.group(1)) if found else -1


def _offer(ckpt_dir: Path, tried: list[str]) -> str:
    """The end of a message about an unusable checkpoint: the newest intact one left in the
    folder to restore with ``--checkpoint``, or (only when none is left) ``--fresh``."""
    try:
        others = named(ckpt_dir)
    except CheckpointError:
        others = []
    if ckpt_dir.is_dir():
        found = [as_prefix(str(p)) for p in ckpt_dir.iterdir() if p.name.endswith(".index")]
        others += sorted(found, key=_step, reverse=True)
    for prefix in dict.fromkeys(others):
        if prefix not in tried and damage(prefix) is None:
            return (
                f". The older checkpoint {prefix} is intact: add --checkpoint={prefix} to "
                "restore it (training resumes from its step)"
            )
    return f"; no intact checkpoint is left in {ckpt_dir}/: --fresh starts over"


def usable(
    ckpt_dir: Path, graph: Any, model_name: str, chosen: str = "", read_data: bool = True
) -> str | None:
    """The checkpoint to restore (``chosen``, else the folder's latest) once it is known to be
    whole (its data read back unless ``read_data`` is False) and to fit ``graph``; None if the
    folder holds none yet."""
    prefix = as_prefix(chosen) if chosen else latest(ckpt_dir)
    if prefix is None:
        return None
    found = _damage(prefix, read_data)
    if found is not None:
        raise _unusable(ckpt_dir, prefix, chosen, found)
    check_matches(prefix, graph, model_name)
    return prefix


def _unusable(
    ckpt_dir: Path, prefix: str, chosen: str, found: tuple[str, BaseException | None]
) -> CheckpointError:
    """What is damaged in ``prefix``, and (for the latest) the older intact one to use."""
    if chosen:
        error = CheckpointError(f"--checkpoint={chosen}: {found[0]}")
    else:
        error = CheckpointError(
            f"the latest checkpoint is unusable: {found[0]}{_offer(ckpt_dir, [prefix])}"
        )
    error.__cause__ = found[1]
    return error


def check_matches(prefix: str, graph: Any, model_name: str) -> None:
    """Raise ``CheckpointError`` unless checkpoint ``prefix`` holds every variable of
    ``graph`` with the graph's shape."""
    try:
        with readable(prefix) as path:
            stored = dict(tf.train.list_variables(path))
    except Exception as e:
        raise CheckpointError(f"checkpoint {prefix} is unreadable ({first_line(e)})") from e
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


def restore_latest(
    sess: Any, saver: Any, ckpt_dir: Path, model_name: str, chosen: str = ""
) -> str | None:
    """Restore ``chosen`` or else the newest checkpoint in ``ckpt_dir`` into ``sess``; None if
    there is none.

    If a trainer replaces the newest checkpoint while it is read (and deletes the old one),
    the newer one is restored instead.
    """
    for attempt in range(3):
        seen = None if chosen else latest(ckpt_dir)
        try:
            # The restore reads and checksums every tensor: the data is read back to name a
            # damaged file only when it fails.
            prefix = usable(ckpt_dir, sess.graph, model_name, chosen, read_data=False)
            if prefix is None:
                return None
            try:
                with readable(prefix) as path:
                    saver.restore(sess, path)
            except Exception:
                found = _damage(prefix)
                if found is not None:
                    raise _unusable(ckpt_dir, prefix, chosen, found) from found[1]
                raise
            return prefix
        except Exception as e:
            if not chosen and attempt < 2 and _moved_on(ckpt_dir, seen):
                continue  # a running trainer moved on while we read: take its newer checkpoint
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(
                f"checkpoint {chosen or ckpt_dir} could not be restored ({first_line(e)})"
            ) from e
    raise AssertionError("unreachable")


def _moved_on(ckpt_dir: Path, seen: str | None) -> bool:
    """Whether the folder's latest checkpoint is another than ``seen`` (a trainer saved)."""
    try:
        now = latest(ckpt_dir)
    except CheckpointError:
        return False
    return now is not None and now != seen


# --------------------------------------------------------------------------- writing


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
        # os.fsencode: an argument may hold bytes that are not UTF-8 (surrogate-escaped).
        command = b" ".join(os.fsencode(arg) for arg in sys.argv)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode() + command + b"\n", 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (deleting it would race)


def forget_dropped(prefix: str) -> None:
    """What ``Saver(max_to_keep=...)`` fails to do in a folder named with glob characters (its
    deletion looks the files up as a pattern): delete the checkpoints of ``prefix``'s name older
    than every one the state file still names."""
    if not GLOB_CHARACTERS & set(prefix):
        return
    folder = Path(os.path.dirname(prefix))
    base = re.escape(re.sub(r"-\d+$", "", os.path.basename(prefix)))
    kept = [_step(p) for p in named(folder)]
    if not kept:
        return
    for path in folder.iterdir():
        found = re.fullmatch(rf"{base}-(\d+)\.(index|meta|data-\d{{5}}-of-\d{{5}})", path.name)
        if found and int(found.group(1)) < min(kept):
            path.unlink(missing_ok=True)


def remove_leftovers(ckpt_dir: Path, checkpoint_name: str) -> list[str]:
    """Delete what saves of ``checkpoint_name`` that were killed (kill -9, a power cut) left
    behind: TensorFlow's ``.tempstate`` files, the state file's temporary copies, and data
    files whose index was never written.  Only while holding the folder's lock (no save of
    ours is running), never a checkpoint the state file names (a damaged one is reported)."""
    try:
        kept = {os.path.basename(p) for p in named(ckpt_dir)}
    except CheckpointError:
        return []  # reported when the run restores
    own = re.escape(checkpoint_name)
    removed = []
    for path in ckpt_dir.iterdir():
        data = re.fullmatch(rf"({own}-\d+)\.data-\d{{5}}-of-\d{{5}}", path.name)
        orphan = (
            re.fullmatch(rf"{own}-\d+\..*\.tempstate\d*", path.name)
            or re.fullmatch(r"checkpoint\.tmp[0-9a-f]+", path.name)
            or (
                data is not None
                and data.group(1) not in kept
                and not (ckpt_dir / f"{data.group(1)}.index").exists()
            )
        )
        if orphan and path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path.name)
    return removed


def clear(ckpt_dir: Path) -> None:
    """Delete the folder's checkpoints (``--fresh``), keeping the lock the run holds."""
    for path in ckpt_dir.iterdir():
        if path.name == LOCK_NAME:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
