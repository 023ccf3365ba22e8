"""The training loop every port shares, after TensorFlow's ``fully_connected_feed.py``: batch,
step, summaries, step lines, validation, checkpoints with the global step, progress, and
graceful interrupts.  It knows no post by name: a post's lines come through its spec.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.support.compat import tf
from tf1_mnist.support.console import note, say
from tf1_mnist.support.errors import DivergedError, WriteError
from tf1_mnist.support.progress import Progress
from tf1_mnist.training import board, checkpoints, evaluation
from tf1_mnist.training.config import Config
from tf1_mnist.training.graph import BuiltGraph
from tf1_mnist.training.ports import ModelSpec, RunDirs
from tf1_mnist.training.results import TrainResult


class Interrupts:
    """Turns SIGINT/SIGTERM/SIGHUP into a request to stop after the current step (a second
    SIGINT or SIGTERM kills).

    SIGHUP is a hang-up: the terminal closed, or the launcher of a cluster's task died (the
    kernel may send it once per thread of the dying launcher).  It never kills, and once one
    came it is ignored after the loop too, so the checkpoint saved as the run closes is saved.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.signum: int | None = None
        self.hung_up = False

    def _handle(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.hung_up = True
        if self.signum is not None:
            if signum == signal.SIGHUP:
                return
            raise KeyboardInterrupt
        self.signum = signum
        note(f"\n{signal.Signals(signum).name}: stopping after this step...")

    @contextlib.contextmanager
    def installed(self) -> Iterator[Interrupts]:
        previous = {s: signal.getsignal(s) for s in self.SIGNALS}
        for s in previous:
            signal.signal(s, self._handle)
        try:
            yield self
        finally:
            if self.hung_up:
                previous[signal.SIGHUP] = signal.SIG_IGN
            for s, handler in previous.items():
                signal.signal(s, handler)


@dataclasses.dataclass(frozen=True)
class Role:
    """How this process takes part in training: alone (``LOCAL``), or as one worker of a
    cluster whose workers share the global step (``tf1_mnist.training.distributed``)."""

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
SUMMARY_CHECK_SECONDS = 5.0
"""How often the loop proves its summaries reached the disk (a check flushes them)."""


def due(every: int, before: int, after: int) -> bool:
    """A multiple of ``every`` lies in (before, after]: the cadence fires at ``after``."""
    return every > 0 and before // every != after // every


def train(
    sess: Any,
    built: BuiltGraph,
    data: input_data.Datasets,
    cfg: Config,
    dirs: RunDirs,
    role: Role = LOCAL,
) -> TrainResult:
    """Train from the session's global step up to ``cfg.max_steps``.

    Checkpoints go to ``dirs.ckpt_prefix``, summaries to ``dirs.logdir`` (validation to its
    ``validation/`` run).  Every cadence (``--log_every``, ``--save_every``, ...) fires when
    the global step reaches or passes a multiple, so a worker whose shared step jumps keeps it.
    """
    with built.graph.as_default():  # summary writers need graph mode, whoever calls
        first = int(sess.run(built.global_step))
        if first >= cfg.max_steps:
            note(f"already trained {first} steps (--max_steps={cfg.max_steps}); --fresh retrains")
            return TrainResult(first, first, 0.0)
        writers = _Writers(built, cfg, dirs, first) if role.chief else None
        try:
            result = _Loop(sess, built, data, cfg, dirs, role, writers).run(first)
        except BaseException:
            if writers is not None:
                writers.close(check=False)  # flushes: summaries survive errors and interrupts
            raise
        if writers is not None:
            writers.close()
        return result


class _Writers:
    """The chief's TensorBoard runs: the training run and, with ``--eval_every``, validation."""

    def __init__(self, built: BuiltGraph, cfg: Config, dirs: RunDirs, step: int) -> None:
        dirs.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.train = board.summary_writer(dirs.logdir, graph=built.graph if step == 0 else None)
        if step:  # TensorBoard drops events a crashed earlier run wrote past this step
            self.train.add_session_log(tf.SessionLog(status=tf.SessionLog.START), step)
        self.validation = (
            board.summary_writer(dirs.logdir / board.VALIDATION_RUN) if cfg.eval_every > 0 else None
        )

        self.checked = time.monotonic()

    def check(self, every: float = 0.0) -> None:
        """Raise ``WriteError`` if a summary did not reach the disk (at most once per
        ``every`` seconds: a check flushes)."""
        if time.monotonic() - self.checked < every:
            return
        for writer in (self.train, self.validation):
            if writer is not None:
                board.check_written(writer)
        self.checked = time.monotonic()

    def close(self, check: bool = True) -> None:
        try:
            if check:
                self.check()
        finally:
            for writer in (self.train, self.validation):
                if writer is not None:
                    with contextlib.suppress(Exception):  # reported by the check
                        writer.close()


class _Loop:
    """One run of the loop; its state (the step, the last save) in named fields."""

    def __init__(
        self,
        sess: Any,
        built: BuiltGraph,
        data: input_data.Datasets,
        cfg: Config,
        dirs: RunDirs,
        role: Role,
        writers: _Writers | None,
    ) -> None:
        self.sess, self.built, self.data, self.cfg = sess, built, data, cfg
        self.dirs, self.role, self.writers = dirs, role, writers
        self.lines = built.spec.lines_for(cfg.lang)
        m = built.model
        # The loss every step (a NaN stops the run); the batch accuracy only for step lines.
        self.fetches: dict[str, Any] = {"train": m.train_op, "loss": m.loss}
        if role.shared_step:  # read in the same run (before or after this update)
            self.fetches["global_step"] = built.global_step
        self.with_accuracy = dict(self.fetches, accuracy=m.accuracy)
        self.with_summary = dict(self.with_accuracy, summary=built.summaries)
        # Post 001's tutorial prints the batch's accuracy with dropout off, before the step.
        step_line = self.lines.step
        self.eval_accuracy = step_line is not None and "eval_accuracy" in step_line.fields
        self.interrupts = Interrupts()
        self.evaluated_at: int | None = None

    def run(self, first: int) -> TrainResult:
        cfg, role = self.cfg, self.role
        step = saved = first
        previous = step - 1  # the step of the previous iteration (cadences fire on crossing)
        progress = Progress(first, cfg.max_steps)
        start = time.perf_counter()
        try:
            with self.interrupts.installed():
                while step < cfg.max_steps and self.interrupts.signum is None:
                    if role.should_stop is not None and role.should_stop():
                        break
                    out = self._step(step, previous, saved, progress)
                    if out is None:  # the other workers have stopped
                        break
                    previous = step
                    if role.shared_step:  # the cluster's count: the monitored session stops it
                        step = max(step, int(out["global_step"]))
                    else:
                        step += 1
                    if role.chief and due(cfg.eval_every, previous, step):
                        progress.clear()
                        self._evaluate(step)
                    if role.saves and due(cfg.save_every, previous, step):
                        if self.writers is not None:
                            self.writers.check()
                        self._save(step, last=step >= cfg.max_steps or self.interrupted)
                        saved = step
                    elif self.writers is not None:
                        self.writers.check(every=SUMMARY_CHECK_SECONDS)
                    progress.update(step)
            # Deliberate difference from post 002, whose last save was at step 1900: save the end.
            if role.saves and saved != step:
                self._save(step, last=True)
        finally:
            seconds = time.perf_counter() - start
            progress.close()
        if self.interrupted:
            self._say_interrupted(step)
        return TrainResult(first, step, seconds, self.interrupts.signum, self.evaluated_at)

    @property
    def interrupted(self) -> bool:
        return self.interrupts.signum is not None

    def _step(self, step: int, previous: int, saved: int, progress: Progress) -> dict | None:
        """One training step; its fetched values, or None when the others have stopped."""
        m, cfg = self.built.model, self.cfg
        xs, ys = self.data.train.next_batch(cfg.batch_size)
        log = due(cfg.log_every, previous, step)
        before = None
        if log and self.eval_accuracy:
            before = self.sess.run(m.accuracy, {m.x: xs, m.labels: ys, **m.eval_feed})
        summarize = self.writers is not None and self.built.summaries is not None
        summarize = summarize and due(cfg.summary_every, previous, step)
        fetches = self.with_summary if summarize else self.with_accuracy if log else self.fetches
        try:
            out = self.sess.run(fetches, feed_dict={m.x: xs, m.labels: ys, **m.train_feed})
        except self.role.stopped_by:
            return None
        if not math.isfinite(out["loss"]):
            raise _diverged(self.built.spec, cfg, out["loss"], step, saved)
        if summarize:
            self.writers.train.add_summary(out["summary"], step)
        if log:
            progress.clear()
            values = dict(out, step=step, batch_size=len(xs), eval_accuracy=before)
            with self._output_may_be_gone():
                say("step", self.lines, values)
        return out

    @contextlib.contextmanager
    def _output_may_be_gone(self) -> Iterator[None]:
        """Our stdout's reader went away (a closed pipe): stop as on a signal, saving first;
        the step's training is done, only its line is lost."""
        try:
            yield
        except BrokenPipeError:
            if self.interrupts.signum is None:
                self.interrupts.signum = signal.SIGPIPE

    def _evaluate(self, step: int) -> None:
        """Validation (printed and written), and the PR curves with ``--pr_curves``."""
        with self._output_may_be_gone():
            evaluation.validate(
                self.sess, self.built, self.data, self.cfg, step, self.writers.validation
            )
        if self.cfg.pr_curves:
            evaluation.write_pr_curves(
                self.sess, self.built, self.data.test, self.cfg, self.writers.train, step
            )
        self.evaluated_at = step

    def _save(self, step: int, last: bool) -> None:
        # The graph (.meta) does not change during a run: written with its last checkpoint only.
        try:
            self.built.saver.save(
                self.sess, str(self.dirs.ckpt_prefix), global_step=step, write_meta_graph=last
            )
        except (tf.errors.OpError, OSError, ValueError) as e:
            raise _unsaved(self.dirs, step, e) from e

    def _say_interrupted(self, step: int) -> None:
        if self.role.saves:
            kept = f"checkpoint {self.dirs.ckpt_prefix}-{step} saved and summaries flushed"
        elif self.role.chief:
            kept = "the last checkpoint is saved as the session closes"
        else:
            kept = "the chief keeps the checkpoints"
        note(f"interrupted at step {step}: {kept}; run the same command again to resume")


def _unsaved(dirs: RunDirs, step: int, error: BaseException) -> WriteError:
    """A failed save as one line: the folder, the real cause (TensorFlow calls a full disk
    ``ResourceExhaustedError`` with a hint about GPU memory), and what is kept."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else None
    reason = reason or checkpoints.first_line(error)
    if isinstance(error, tf.errors.ResourceExhaustedError) or "No space left" in reason:
        reason = "the disk is full"
    try:
        kept = checkpoints.latest(dirs.ckpt_dir)
    except Exception:
        kept = None
    left = f"the last good checkpoint {kept} is kept" if kept else "no checkpoint was saved"
    return WriteError(
        f"cannot write the checkpoint of step {step} to {dirs.ckpt_dir}/ ({reason}); {left}"
    )


def _diverged(
    spec: ModelSpec, cfg: Config, loss: float, step: int, saved_step: int
) -> DivergedError:
    kept = f"the checkpoint of step {saved_step} is kept" if saved_step else "nothing was saved"
    hint = f" ({spec.divergence_hint})" if spec.divergence_hint else ""
    return DivergedError(
        f"loss is {loss} at step {step}: training diverged{hint}. Try a lower "
        f"--learning_rate than {cfg.learning_rate}; {kept}"
    )
