"""Restoring ``Saver`` checkpoints, with a clear message for every way one can be unusable.

A checkpoint's variables are compared with the graph's before restoring, so another model's
checkpoint gets a message naming what differs, and a corrupt one a message naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tf1_mnist.compat import tf
from tf1_mnist.errors import CheckpointError


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
    """Restore the newest checkpoint in ``ckpt_dir`` into ``sess``; None if there is none."""
    prefix = latest(ckpt_dir)
    if prefix is None:
        return None
    check_matches(prefix, sess.graph, model_name)
    try:
        saver.restore(sess, prefix)
    except Exception as e:
        raise CheckpointError(
            f"checkpoint {prefix} is corrupt ({first_line(e)}); use --fresh to start over"
        ) from e
    return prefix
