"""The one runner every port shares, after TensorFlow's ``fully_connected_feed.py``.

A port builds its graph and names its defaults (``tf1_mnist.registry``); this module does the
rest, the same way for every port: the graph and session, seeds, data, summary writers,
``Saver`` checkpoints with the global step, the training loop with its step lines, progress and
graceful interrupts, batched evaluation, and ``--is_train=0`` prediction.  It knows no post by
name: what a post does besides training comes through its spec's hooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from absl import logging

from tf1_mnist import checkpoints, cli, evaluation, input_data, plots, precision
from tf1_mnist.compat import global_step, tf
from tf1_mnist.config import Config
from tf1_mnist.console import note, say
from tf1_mnist.errors import CheckpointError, ConfigError, DivergedError
from tf1_mnist.registry import Model, ModelSpec, RunContext, RunDirs, run_dirs

PROGRESS_SECONDS = 10.0  # how often a long run reports steps/s and its ETA on stderr


@dataclasses.dataclass(frozen=True)
class BuiltGraph:
    """The port's graph plus what the harness adds: global step, prediction, saver, summaries."""

    spec: ModelSpec
    graph: Any
    model: Model
    global_step: Any
    probabilities: Any
    prediction: Any
    summaries: Any
    saver: Any
    init: Any
    extras: dict = dataclasses.field(default_factory=dict)
    """Ops a caller added before the graph was finalized (``extend``)."""


def build_graph(
    spec: ModelSpec,
    cfg: Config,
    device: Any = None,
    extend: Callable[[], dict] | None = None,
    finalize: bool = True,
) -> BuiltGraph:
    """Build ``spec``'s graph in a new ``tf.Graph`` and finalize it (no op can be added later:
    the post 002 bug of adding ops per prediction fails loudly instead of leaking).

    ``device`` places the ops (a ``replica_device_setter`` for a cluster); ``extend`` adds ops
    of the caller's before the graph is finalized, returned as ``extras``; ``finalize=False``
    leaves that to the caller (a ``MonitoredTrainingSession``, whose hooks add their ops).
    """
    graph = tf.Graph()
    with graph.as_default(), tf.device(device):
        tf.set_random_seed(cfg.seed)
        model = spec.build(cfg)
        step = global_step()
        with tf.name_scope("predict"):
            probabilities = (
                model.probabilities
                if model.probabilities is not None
                else tf.nn.softmax(model.logits)
            )
            prediction = tf.argmax(probabilities, 1)
        built = BuiltGraph(
            spec=spec,
            graph=graph,
            model=model,
            global_step=step,
            probabilities=probabilities,
            prediction=prediction,
            summaries=tf.summary.merge_all(),
            saver=tf.train.Saver(max_to_keep=5),
            init=tf.global_variables_initializer(),
            extras=extend() if extend is not None else {},
        )
    if finalize:
        graph.finalize()
    return built


@dataclasses.dataclass(frozen=True)
class TrainResult:
    first_step: int
    last_step: int
    seconds: float
    interrupted_by: int | None = None
    """The signal (SIGINT, SIGTERM) that stopped the run early, if one did."""
    evaluated_at: int | None = None
    """The step of the loop's last evaluation (validation, PR curves), if it made one."""

    @property
    def steps_per_second(self) -> float:
        steps = self.last_step - self.first_step
        return steps / self.seconds if self.seconds > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class RunResult:
    model: str
    training: TrainResult | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    predictions: tuple[tuple[int, int], ...] = ()
    """(true digit, predicted digit) of each sample predicted with ``is_train=0``."""


# --------------------------------------------------------------------------- a run


def run(spec: ModelSpec, cfg: Config) -> RunResult:
    """Train (``is_train=1``) or predict (``is_train=0``) one port; return what happened.

    Training first proves its folders writable and takes the checkpoint folder's lock, so a
    bad folder or a second run into the same folder fails at once, before any work.
    """
    dirs = run_dirs(spec, cfg)
    if cfg.job_name:  # one task of a cluster
        from tf1_mnist import distributed

        return distributed.run(spec, cfg)
    if not cfg.is_train:
        return _predict(spec, cfg, dirs)
    if not 0 <= cfg.embedding <= 10000:
        raise ConfigError(f"--embedding={cfg.embedding}: give 0 (none) to 10000 test images")
    checkpoints.ensure_writable(dirs.ckpt_dir, "checkpoints")
    checkpoints.ensure_writable(dirs.logdir, "summaries")
    if cfg.plots:
        checkpoints.ensure_writable(dirs.plot_dir, "figures")
    with checkpoints.training_lock(dirs.ckpt_dir):
        if cfg.fresh:
            checkpoints.clear(dirs.ckpt_dir)
            shutil.rmtree(dirs.logdir, ignore_errors=True)
            note(f"--fresh: removed the checkpoints in {dirs.ckpt_dir}/ and {dirs.logdir}/")
        return _train_and_test(spec, cfg, dirs)


def _predict(spec: ModelSpec, cfg: Config, dirs: RunDirs) -> RunResult:
    """Post 002's --is_train=0: test samples one by one from the latest checkpoint."""
    built = build_graph(spec, cfg)
    data = input_data.read_data_sets(cfg.data_dir, one_hot=True, seed=cfg.seed)
    with restored_session(spec, cfg, built) as sess:
        images, labels, predicted = evaluation.predict_samples(
            sess, built, data.test, cfg.predict_count, spec.lines_for(cfg.lang)
        )
        if cfg.plots and len(images):
            path = dirs.plot_dir / "predictions.png"
            plots.show_result(
                images, labels, predicted, 0, path, num=min(25, len(images)), show=cfg.show
            )
            note(f"grid of the predicted samples: {path}")
    pairs = tuple(zip(labels.tolist(), predicted.tolist(), strict=True))
    return RunResult(spec.name, predictions=pairs)


def _train_and_test(spec: ModelSpec, cfg: Config, dirs: RunDirs) -> RunResult:
    built = build_graph(spec, cfg)
    data = input_data.read_data_sets(cfg.data_dir, one_hot=True, seed=cfg.seed)
    config = precision.session_config(cfg.mixed_precision)
    with tf.Session(graph=built.graph, config=config) as sess:
        restored = checkpoints.restore_latest(sess, built.saver, dirs.ckpt_dir, spec.name)
        if spec.prologue is not None:
            spec.prologue(RunContext(data, cfg, dirs.plot_dir))
        if restored is None:
            sess.run(built.init)
        else:
            note(f"restored {restored}: resuming at step {sess.run(built.global_step)}")
        training = train(sess, built, data, cfg)
        if training.interrupted_by is not None:
            return RunResult(spec.name, training)
        return finish(sess, built, data, cfg, training)


def finish(
    sess: Any, built: BuiltGraph, data: input_data.Datasets, cfg: Config, training: TrainResult
) -> RunResult:
    """After training: the test accuracy (the post's line, or ours), PR curves, the
    projector and the post's epilogue."""
    spec, dirs = built.spec, run_dirs(built.spec, cfg)
    test_loss, test_accuracy = evaluation.evaluate(
        sess, built.model, data.test, cfg.eval_batch_size
    )
    say(
        "test",
        spec.lines_for(cfg.lang),
        {"test_accuracy": test_accuracy, "test_accuracy_float32": np.float32(test_accuracy)},
    )
    if cfg.pr_curves and training.evaluated_at != training.last_step:  # else written already
        with contextlib.closing(_writer(dirs.logdir)) as writer:
            evaluation.write_pr_curves(sess, built, data.test, cfg, writer, training.last_step)
    if cfg.embedding:
        evaluation.write_embedding(sess, built, data.test, cfg)
    if spec.epilogue is not None:
        spec.epilogue(
            RunContext(
                data,
                cfg,
                dirs.plot_dir,
                predict=lambda images: evaluation.predict_digits(
                    sess, built, images, cfg.eval_batch_size
                ),
            )
        )
    return RunResult(spec.name, training, test_loss, test_accuracy)


@contextlib.contextmanager
def restored_session(
    spec: ModelSpec, cfg: Config, built: BuiltGraph | None = None
) -> Iterator[Any]:
    """A session holding the port's latest checkpoint, for prediction.

    Raises ``CheckpointError`` (train first) when there is none: never predicts from random
    weights.
    """
    built = built or build_graph(spec, cfg)
    ckpt_dir = run_dirs(spec, cfg).ckpt_dir
    with tf.Session(
        graph=built.graph, config=precision.session_config(cfg.mixed_precision)
    ) as sess:
        restored = checkpoints.restore_latest(sess, built.saver, ckpt_dir, spec.name)
        if restored is None:
            raise CheckpointError(
                f"no checkpoint in {ckpt_dir}/: train first with "
                f"`python -m tf1_mnist.{spec.name}` (same --ckpt_dir)"
            )
        note(f"restored {restored} (step {sess.run(built.global_step)})")
        yield sess


# --------------------------------------------------------------------------- training


class _Interrupts:
    """Turns SIGINT/SIGTERM into a request to stop after the current step (a second one kills)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        print(f"\n{signal.Signals(signum).name}: stopping after this step...", file=sys.stderr)

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupts]:
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        for s in previous:
            signal.signal(s, self._handle)
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _writer(logdir: Any, graph: Any = None) -> Any:
    # A unique suffix: two runs in the same second would otherwise share (and truncate) a file.
    return tf.summary.FileWriter(
        str(logdir), graph=graph, filename_suffix=f".{uuid.uuid4().hex[:8]}"
    )


@dataclasses.dataclass(frozen=True)
class Role:
    """How this process takes part in training: alone (``LOCAL``), or as one worker of a
    cluster whose workers share the global step (``tf1_mnist.distributed``)."""

    chief: bool = True
    """Writes the summaries and evaluates (every worker prints its step lines)."""
    shared_step: bool = False
    """Other workers move the global step too: it is read back after every step."""
    saves: bool = True
    """Saves checkpoints itself (False: a hook of the monitored session saves them)."""
    should_stop: Callable[[], bool] | None = None
    """The monitored session's own stop condition (another worker reached the budget)."""
    stopped_by: tuple[type[BaseException], ...] = ()
    """Errors of a step that mean the others have stopped (a synchronous worker's token queue
    closed by the chief): the loop ends as if the budget were reached."""


LOCAL = Role()


def train(
    sess: Any, built: BuiltGraph, data: input_data.Datasets, cfg: Config, role: Role = LOCAL
) -> TrainResult:
    """The training loop: batch, step, summaries, step lines, checkpoints, interrupts.

    Trains from the session's global step up to ``cfg.max_steps``; checkpoints go to the
    port's ``CKPT_DIR/<model>/``, summaries to ``LOGDIR/<model>/`` (validation to its
    ``validation/`` run).  Every cadence (``--log_every``, ``--save_every``, ...) fires when
    the global step reaches or passes a multiple, so a worker whose shared step jumps keeps it.
    """
    with built.graph.as_default():  # summary writers need graph mode, whoever calls
        return _train(sess, built, data, cfg, role)


def due(every: int, before: int, after: int) -> bool:
    """A multiple of ``every`` lies in (before, after]: the cadence fires at ``after``."""
    return every > 0 and before // every != after // every


def _train(
    sess: Any, built: BuiltGraph, data: input_data.Datasets, cfg: Config, role: Role
) -> TrainResult:
    spec, m = built.spec, built.model
    dirs = run_dirs(spec, cfg)
    first = step = int(sess.run(built.global_step))
    if step >= cfg.max_steps:
        note(f"already trained {step} steps (--max_steps={cfg.max_steps}); --fresh retrains")
        return TrainResult(first, step, 0.0)
    writer = validation_writer = None
    if role.chief:
        dirs.ckpt_dir.mkdir(parents=True, exist_ok=True)
        writer = _writer(dirs.logdir, graph=built.graph if step == 0 else None)
        if step:  # TensorBoard drops events a crashed earlier run wrote past this step
            writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), step)
        if cfg.eval_every > 0:
            validation_writer = _writer(dirs.logdir / "validation")
    # The loss every step (a NaN stops the run); the batch accuracy only for step lines.
    fetches = {"train": m.train_op, "loss": m.loss}
    if role.shared_step:  # read in the same run (before or after this update)
        fetches["global_step"] = built.global_step
    with_accuracy = dict(fetches, accuracy=m.accuracy)
    with_summary = dict(with_accuracy, summary=built.summaries)
    lines = spec.lines_for(cfg.lang)
    # Post 001's tutorial prints the batch's accuracy with dropout off, before the step.
    eval_accuracy = lines.step is not None and "eval_accuracy" in lines.step.fields
    previous = step - 1  # the step of the previous iteration (cadences fire on crossing)
    saved_step = step
    evaluated_at = None
    interrupts = _Interrupts()
    start = time.perf_counter()
    try:
        with interrupts.installed():
            while step < cfg.max_steps and interrupts.signum is None:
                if role.should_stop is not None and role.should_stop():
                    break
                xs, ys = data.train.next_batch(cfg.batch_size)
                log = due(cfg.log_every, previous, step)
                before = None
                if log and eval_accuracy:
                    before = sess.run(m.accuracy, {m.x: xs, m.labels: ys, **m.eval_feed})
                summarize = writer is not None and built.summaries is not None
                summarize = summarize and due(cfg.summary_every, previous, step)
                try:
                    out = sess.run(
                        with_summary if summarize else with_accuracy if log else fetches,
                        feed_dict={m.x: xs, m.labels: ys, **m.train_feed},
                    )
                except role.stopped_by:
                    break
                if not math.isfinite(out["loss"]):
                    raise _diverged(spec, cfg, out["loss"], step, saved_step)
                if summarize:
                    writer.add_summary(out["summary"], step)
                if log:
                    values = dict(out, step=step, batch_size=len(xs), eval_accuracy=before)
                    say("step", lines, values)
                previous = step
                if role.shared_step:  # the cluster's count: the monitored session stops it
                    step = max(step, int(out["global_step"]))
                else:
                    step += 1
                if role.chief and due(cfg.eval_every, previous, step):
                    evaluation.validate(sess, built, data, cfg, step, validation_writer)
                    if cfg.pr_curves:
                        evaluation.write_pr_curves(sess, built, data.test, cfg, writer, step)
                    evaluated_at = step
                if role.saves and due(cfg.save_every, previous, step):
                    # The graph (.meta) is written with the run's last checkpoint only: it does
                    # not change, and rewriting it doubled the cost of a small model's save.
                    last = step >= cfg.max_steps or interrupts.signum is not None
                    built.saver.save(
                        sess, str(dirs.ckpt_prefix), global_step=step, write_meta_graph=last
                    )
                    saved_step = step
                _progress(first, step, cfg.max_steps, start)
        # Deliberate difference from post 002, whose last save was at step 1900: save the end.
        if role.saves and saved_step != step:
            built.saver.save(sess, str(dirs.ckpt_prefix), global_step=step)
    finally:
        seconds = time.perf_counter() - start
        for w in (writer, validation_writer):
            if w is not None:
                w.close()  # flushes: summaries survive errors and interrupts
    if interrupts.signum is not None:
        if role.saves:
            kept = f"checkpoint {dirs.ckpt_prefix}-{step} saved and summaries flushed"
        elif role.chief:
            kept = "the last checkpoint is saved as the session closes"
        else:
            kept = "the chief keeps the checkpoints"
        note(f"interrupted at step {step}: {kept}; run the same command again to resume")
    return TrainResult(first, step, seconds, interrupts.signum, evaluated_at)


def _diverged(
    spec: ModelSpec, cfg: Config, loss: float, step: int, saved_step: int
) -> DivergedError:
    kept = f"the checkpoint of step {saved_step} is kept" if saved_step else "nothing was saved"
    hint = f" ({spec.divergence_hint})" if spec.divergence_hint else ""
    return DivergedError(
        f"loss is {loss} at step {step}: training diverged{hint}. Try a lower "
        f"--learning_rate than {cfg.learning_rate}; {kept}"
    )


def _progress(first: int, step: int, total: int, start: float) -> None:
    """Steps/s and ETA on stderr every PROGRESS_SECONDS, so a long run is never silent
    (absl logging: shown under a command, silent when the harness is used as a library)."""
    elapsed = time.perf_counter() - start
    if elapsed < PROGRESS_SECONDS:
        return
    rate = (step - first) / elapsed
    eta = (total - step) / rate if rate else 0.0
    logging.log_every_n_seconds(
        logging.INFO,
        "[%d/%d %.0f%%] %.1f steps/s, ETA %d:%02d",
        PROGRESS_SECONDS,
        step,
        total,
        100 * step / total,
        rate,
        eta // 60,
        eta % 60,
    )


# --------------------------------------------------------------------------- command line


def main(spec: ModelSpec) -> None:
    """``python -m tf1_mnist.<port>``: the post's defaults on the common flags, then app.run."""

    def _run(cfg: Config, _args: list[str]) -> int:
        result = run(spec, cfg)
        interrupted = result.training.interrupted_by if result.training else None
        return 0 if interrupted is None else 128 + interrupted

    cli.main(_run, spec.config())
