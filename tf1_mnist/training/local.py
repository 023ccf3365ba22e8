"""A port run in this process: train then test (``--is_train=1``), or predict test samples
one by one from the latest checkpoint (``--is_train=0``, post 002's second half).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.support import atomic, mixed_precision, plots
from tf1_mnist.support.compat import tf
from tf1_mnist.support.console import note
from tf1_mnist.support.errors import CheckpointError
from tf1_mnist.training import checkpoints, evaluation, loop
from tf1_mnist.training.config import Config
from tf1_mnist.training.graph import BuiltGraph, build_graph
from tf1_mnist.training.ports import ModelSpec, RunContext, RunDirs, run_dirs
from tf1_mnist.training.prepare import prepared
from tf1_mnist.training.results import RunResult


def train_and_test(spec: ModelSpec, cfg: Config) -> RunResult:
    """Train ``spec`` up to ``cfg.max_steps`` (resuming its latest checkpoint), then test it.

    Everything is checked before any work (``prepare``): a bad option or folder, or a second
    run into the same folder, fails at once.
    """
    with prepared(spec, cfg) as run:
        built = build_graph(spec, cfg)
        config = mixed_precision.session_config(cfg.mixed_precision)
        with tf.Session(graph=built.graph, config=config) as sess:
            restored = checkpoints.restore_latest(
                sess, built.saver, run.dirs.ckpt_dir, spec.name, cfg.checkpoint
            )
            if spec.prologue is not None:
                spec.prologue(RunContext(run.data, cfg, run.dirs.plot_dir))
            if restored is None:
                sess.run(built.init)
            else:
                note(f"restored {restored}: resuming at step {sess.run(built.global_step)}")
            training = loop.train(sess, built, run.data, cfg, run.dirs)
            if training.interrupted_by is not None:
                return RunResult(spec.name, training)
            return evaluation.finish(sess, built, run.data, cfg, run.dirs, training)


def predict(spec: ModelSpec, cfg: Config) -> RunResult:
    """Post 002's --is_train=0: test samples one by one from the latest checkpoint."""
    cfg.check()
    dirs = run_dirs(spec, cfg)
    grid = dirs.plot_dir / "predictions.png"
    if cfg.plots:  # before the restore and the predictions, not after them
        atomic.check_writable(grid, "the grid of the predicted samples", "--plot_dir")
    built = build_graph(spec, cfg)
    data = input_data.read_data_sets(cfg.data_dir, one_hot=True, seed=cfg.seed)
    with restored_session(spec, cfg, built, dirs) as sess:
        images, labels, predicted = evaluation.predict_samples(
            sess, built, data.test, cfg.predict_count, spec.lines_for(cfg.lang)
        )
        if cfg.plots and len(images):
            plots.show_result(
                images, labels, predicted, 0, grid, num=min(25, len(images)), show=cfg.show
            )
            note(f"grid of the predicted samples: {grid}")
    pairs = tuple(zip(labels.tolist(), predicted.tolist(), strict=True))
    return RunResult(spec.name, predictions=pairs)


@contextlib.contextmanager
def restored_session(
    spec: ModelSpec, cfg: Config, built: BuiltGraph | None = None, dirs: RunDirs | None = None
) -> Iterator[Any]:
    """A session holding the port's latest checkpoint, for prediction.

    Raises ``CheckpointError`` (train first) when there is none: never predicts from random
    weights.
    """
    built = built or build_graph(spec, cfg)
    ckpt_dir = (dirs or run_dirs(spec, cfg)).ckpt_dir
    with tf.Session(
        graph=built.graph, config=mixed_precision.session_config(cfg.mixed_precision)
    ) as sess:
        restored = checkpoints.restore_latest(
            sess, built.saver, ckpt_dir, spec.name, cfg.checkpoint
        )
        if restored is None:
            raise CheckpointError(
                f"no checkpoint in {ckpt_dir}/: train first with "
                f"`python -m tf1_mnist.{spec.name}` (same --ckpt_dir)"
            )
        note(f"restored {restored} (step {sess.run(built.global_step)})")
        yield sess
