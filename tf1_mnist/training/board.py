"""TensorBoard: the runs' summary writers, and beyond the posts' scalars the embedding
projector and per-digit PR curves.

``write_projector`` is TensorFlow 1.x's MNIST embedding visualisation: the activations of a
model's last hidden layer for N test images as a variable saved by a ``Saver``, a
``projector_config.pbtxt``, ``metadata.tsv`` (true and predicted digit) and a sprite image of
the N digits, all in one run folder with paths relative to it (the projector refuses assets
outside the config's folder).  The folder is written beside its final place and renamed in,
so TensorBoard never reads half of it and a re-run replaces it whole.

``pr_curves`` is one precision/recall curve per digit (that digit against the other nine) from
the model's probabilities, as summaries for the PR-curve plugin.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tf1_mnist.support.compat import tf
from tf1_mnist.support.errors import WriteError

PROJECTOR_RUN = "projector"
VALIDATION_RUN = "validation"
EMBEDDING_NAME = "embedding"
SPRITE_SIZE = 28


RECORD_OVERHEAD = 16
"""Bytes a TFRecord adds to its payload: the length, and the CRCs of length and payload."""


def summary_writer(logdir: str | Path, graph: Any = None) -> Any:
    """A ``FileWriter`` into ``logdir`` (one TensorBoard run), with the graph if given, that
    counts the bytes it should have written, for ``check_written``."""
    _writer_failures_reported_once()
    # A unique suffix: two runs in the same second would otherwise share (and truncate) a file.
    writer = tf.summary.FileWriter(str(logdir), filename_suffix=f".{uuid.uuid4().hex[:8]}")
    events = writer.event_writer
    events.tf1_mnist_expected = _written(writer)  # the file version record, written at once
    add_event = events.add_event

    def counted(event: Any) -> None:
        events.tf1_mnist_expected += RECORD_OVERHEAD + event.ByteSize()
        add_event(event)

    events.add_event = counted
    if graph is not None:
        writer.add_graph(graph)
    return writer


def _written(writer: Any) -> int:
    # TensorFlow's C++ events writer ignores a failed write (a full disk leaves a truncated
    # record and no error): the file's size against the bytes sent is the only witness.
    return os.path.getsize(os.fsdecode(writer.event_writer._ev_writer.FileName()))


@functools.cache
def _writer_failures_reported_once() -> None:
    """A writer's thread that fails (a full disk) logs an ERROR and dies with a traceback; the
    failure is raised again by the next flush, which ``check_written`` turns into one line:
    the log record and the thread's traceback are not printed."""

    class DropWriterThreadError(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not str(record.msg).startswith("EventFileWriter writer thread error")

    logging.getLogger("tensorflow").addFilter(DropWriterThreadError())
    previous = threading.excepthook

    def hook(args: Any) -> None:
        if args.thread is None or args.thread.name != "EventLoggerThread":
            previous(args)

    threading.excepthook = hook


def _reason(error: BaseException) -> str:
    """TensorFlow's "<path>; No space left on device" without the path (the message names
    the folder)."""
    text = str(error).strip().splitlines()
    reason = text[0].rpartition("; ")[2] if text else type(error).__name__
    return "the disk is full" if "No space left" in reason else reason


def check_written(writer: Any) -> None:
    """Flush ``writer`` and raise ``WriteError`` naming its folder unless every summary sent
    to it is on disk."""
    logdir = writer.get_logdir()
    try:
        writer.flush()
        written = _written(writer)
    except Exception as e:  # the writer's thread failed, or the file is gone
        raise WriteError(
            f"cannot write the summaries to {logdir}/ ({_reason(e)}); free space there, then "
            "run the same command to resume from the last checkpoint"
        ) from e
    expected = writer.event_writer.tf1_mnist_expected
    if written < expected:
        try:
            free = shutil.disk_usage(logdir).free
        except OSError:
            free = -1
        why = "the disk is full" if 0 <= free < 1 << 20 else "a write failed"
        raise WriteError(
            f"cannot write the summaries to {logdir}/: {why} ({written} of {expected} bytes "
            "of its events file were written); free space there, then run the same command "
            "to resume from the last checkpoint"
        )


def sprite(images: np.ndarray) -> Image.Image:
    """The digits [N, 784] in [0, 1] on a square grid, dark ink on white, as the projector's
    thumbnails (at most 8192 pixels a side: 10000 digits make 2800)."""
    n = len(images)
    side = math.ceil(math.sqrt(n))
    grid = np.ones((side * SPRITE_SIZE, side * SPRITE_SIZE), np.float32)
    for k, image in enumerate(images):
        row, col = divmod(k, side)
        grid[
            row * SPRITE_SIZE : (row + 1) * SPRITE_SIZE,
            col * SPRITE_SIZE : (col + 1) * SPRITE_SIZE,
        ] = 1.0 - image.reshape(SPRITE_SIZE, SPRITE_SIZE)
    return Image.fromarray(np.round(grid * 255).astype(np.uint8), mode="L")


def write_projector(
    run_dir: Path,
    activations: np.ndarray,
    images: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray,
    layer: str,
) -> Path:
    """Write (or replace) the projector run ``run_dir`` for ``activations`` [N, D] of the
    test ``images`` [N, 784] with their true ``labels`` and ``predicted`` digits."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}-", dir=run_dir.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the run from a TensorBoard of another user
    try:
        graph = tf.Graph()
        with graph.as_default():
            embedding = tf.Variable(activations.astype(np.float32), name=EMBEDDING_NAME)
            saver = tf.train.Saver([embedding], save_relative_paths=True)
            with tf.Session(graph=graph) as sess:
                sess.run(embedding.initializer)
                saver.save(sess, str(staging / f"{EMBEDDING_NAME}.ckpt"), write_meta_graph=False)
        # An event file makes the folder a TensorBoard run, which is where the projector
        # looks for a projector_config.pbtxt.
        tf.summary.FileWriter(str(staging), filename_suffix=".projector").close()
        with open(staging / "metadata.tsv", "w", encoding="utf-8") as f:
            f.write("label\tpredicted\n")
            f.writelines(f"{t}\t{p}\n" for t, p in zip(labels, predicted, strict=True))
        sprite(images).save(staging / "sprite.png")
        (staging / "projector_config.pbtxt").write_text(
            "embeddings {\n"
            f'  tensor_name: "{EMBEDDING_NAME}"\n'
            '  metadata_path: "metadata.tsv"\n'
            "  sprite {\n"
            '    image_path: "sprite.png"\n'
            f"    single_image_dim: {SPRITE_SIZE}\n"
            f"    single_image_dim: {SPRITE_SIZE}\n"
            "  }\n"
            "}\n",
            encoding="utf-8",
        )
        (staging / "README.txt").write_text(
            f"{len(activations)} test digits as {activations.shape[1]}-dimensional points: the "
            f"activations of {layer}. Open `tensorboard --logdir` on the logs folder, tab "
            "PROJECTOR; colour by label.\n",
            encoding="utf-8",
        )
        old = None
        if run_dir.exists():
            old = run_dir.rename(run_dir.with_name(f".{run_dir.name}-old-{staging.name[-8:]}"))
        staging.rename(run_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run_dir


def pr_curves(probabilities: np.ndarray, labels: np.ndarray, num_thresholds: int = 201) -> bytes:
    """A serialized ``Summary`` with one PR curve per digit, tags ``pr_curve/digit_<d>``."""
    from tensorboard.plugins.pr_curve import summary as pr_summary

    summary = tf.Summary()
    for digit in range(probabilities.shape[1]):
        one = pr_summary.pb(
            f"pr_curve/digit_{digit}",
            labels=labels == digit,
            predictions=probabilities[:, digit],
            num_thresholds=num_thresholds,
            display_name=f"digit {digit}",
            description=f"precision/recall of digit {digit} against the other nine, test set",
        )
        summary.value.extend(tf.Summary.FromString(one.SerializeToString()).value)
    return summary.SerializeToString()
