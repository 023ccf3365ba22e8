"""The one runner every ported script shares, after TensorFlow's ``fully_connected_feed.py``.

A model module only builds its graph (placeholders, inference, loss, training, evaluation, its
summaries) and names its defaults.  This module owns everything around it: absl flags, the
graph and session, seeds, data, summary writers, ``Saver`` checkpoints with the global step,
the training loop with step lines, progress and graceful interrupts, batched evaluation and
``--is_train=0`` prediction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # hide TensorFlow's C++ start-up chatter

import numpy as np  # noqa: E402
import tensorflow as _tf  # noqa: E402
from absl import app, flags  # noqa: E402

from tf1_mnist import input_data, plots  # noqa: E402

tf = _tf.compat.v1
"""The TensorFlow 1.x API the ports are written against (``tf.compat.v1``)."""
_tf.get_logger().setLevel("ERROR")  # deprecation notices about the TF1 API we port on purpose

# --------------------------------------------------------------------------- configuration


@dataclasses.dataclass
class Config:
    """Everything a run needs; the absl flags mirror these fields one to one."""

    data_dir: str = os.environ.get(input_data.DATA_DIR_ENV) or "MNIST_data/"
    logdir: str = "logs/"
    ckpt_dir: str = "ckpt/"
    is_train: int = 1
    max_steps: int = 1000
    batch_size: int = 100
    learning_rate: float = 0.01
    seed: int = 0
    log_every: int = 0
    summary_every: int = 1
    save_every: int = 100
    eval_batch_size: int = 1000
    eval_every: int = 0
    predict_count: int = 100
    fresh: bool = False
    grid: bool = False
    plot_dir: str = ""
    show: bool = False


HELP = {
    "data_dir": "Folder with the four MNIST files (downloaded there if missing). "
    f"Defaults to ${input_data.DATA_DIR_ENV}, else MNIST_data/.",
    "logdir": "Summaries go to LOGDIR/<model>/ for `tensorboard --logdir LOGDIR`.",
    "ckpt_dir": "Checkpoints go to CKPT_DIR/<model>/; the latest is restored on start.",
    "is_train": "1: train (resuming from the latest checkpoint); 0: predict test samples "
    "one by one from the latest checkpoint.",
    "max_steps": "Total training steps (a resumed run trains only the steps still missing).",
    "batch_size": "Examples per training step (next_batch size).",
    "learning_rate": "Optimizer learning rate.",
    "seed": "Graph-level TensorFlow seed and the shuffling seed of the data.",
    "log_every": "Print step, batch loss and batch accuracy every N steps (0: never).",
    "summary_every": "Write the merged summaries every N steps (0: never).",
    "save_every": "Save a checkpoint every N steps (0: only at the end).",
    "eval_batch_size": "Examples per evaluation batch (the CNN cannot take 10000 at once).",
    "eval_every": "Evaluate the validation set every N steps (0: never), printed and "
    "written as the run LOGDIR/<model>/validation.",
    "predict_count": "Test samples to predict one by one with --is_train=0.",
    "fresh": "Delete this model's checkpoints and summaries and train from step 0.",
    "grid": "Draw post 004's 5x5 grid of test images titled with label and prediction (PNG): "
    "after training, and of the predicted samples with --is_train=0.",
    "plot_dir": "Folder for PNG plots (default: the run's summaries folder LOGDIR/<model>/).",
    "show": "Also open plots in a window (needs a display).",
}


FLAGS = flags.FLAGS


def define_flags() -> None:
    """Define the common absl flags (once). Called by ``main``, not on import, so importing a
    model (the predictor, the legacy runner, tests) leaves the flag namespace to its caller."""
    if "max_steps" in FLAGS:
        return
    defaults = Config()
    for field in dataclasses.fields(Config):
        value = getattr(defaults, field.name)
        define = {
            bool: flags.DEFINE_bool,
            int: flags.DEFINE_integer,
            float: flags.DEFINE_float,
            str: flags.DEFINE_string,
        }[type(value)]
        define(field.name, value, HELP[field.name])


# --------------------------------------------------------------------------- model contract


@dataclasses.dataclass
class Model:
    """What a model module's ``build`` returns: its placeholders and the tensors the runner needs.

    Give ``logits`` or ``probabilities``; ``train_feed``/``eval_feed`` carry extra placeholders
    such as dropout's ``keep_prob``.
    """

    x: Any
    labels: Any
    loss: Any
    train_op: Any
    accuracy: Any
    logits: Any = None
    probabilities: Any = None
    train_feed: dict = dataclasses.field(default_factory=dict)
    eval_feed: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A ported script: its name, its blog post, its graph builder and its default flags."""

    name: str
    blog: str
    build: Callable[[Config], Model]
    defaults: dict
    checkpoint_name: str = "model"
    # The blog's look at the data before training (post 004 prints shapes and plots a digit).
    prologue: Callable[[input_data.Datasets, Config, Path], None] | None = None


class UserError(Exception):
    """A failure the user can fix (no data, no checkpoint, divergence): a message, no traceback."""


class CheckpointError(UserError):
    """No usable checkpoint: none yet, corrupt, or written by another model."""


def global_step() -> Any:
    """The step counter saved with every checkpoint, so a restored run continues its count.

    Always the graph's root ``global_step``, whatever scope the blog's optimizer is built in.
    """
    with tf.variable_scope(tf.VariableScope(reuse=None)):
        return tf.train.get_or_create_global_step()


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class RunResult:
    model: str
    first_step: int = 0
    last_step: int = 0
    train_seconds: float = 0.0
    test_loss: float | None = None
    test_accuracy: float | None = None
    interrupted_by: int | None = None
    predictions: list = dataclasses.field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        steps = self.last_step - self.first_step
        return steps / self.train_seconds if self.train_seconds > 0 else 0.0


# --------------------------------------------------------------------------- running


class _Graph:
    """The model's graph plus what the runner adds: global step, prediction, saver, summaries."""

    def __init__(self, spec: ModelSpec, cfg: Config) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(cfg.seed)
            self.model = spec.build(cfg)
            self.global_step = global_step()
            m = self.model
            with tf.name_scope("predict"):
                self.probabilities = (
                    m.probabilities if m.probabilities is not None else tf.nn.softmax(m.logits)
                )
                self.prediction = tf.argmax(self.probabilities, 1)
            self.summaries = tf.summary.merge_all()
            self.saver = tf.train.Saver(max_to_keep=5)
            self.init = tf.global_variables_initializer()
        self.graph.finalize()  # a loop that adds ops (the blog's .eval() bug) now fails loudly


def run(spec: ModelSpec, cfg: Config) -> RunResult:
    """Train (``is_train=1``) or predict (``is_train=0``) one model; return what happened."""
    ckpt_dir = Path(cfg.ckpt_dir) / spec.name
    run_logdir = Path(cfg.logdir) / spec.name
    if cfg.fresh and cfg.is_train:
        for folder in (ckpt_dir, run_logdir):
            if folder.exists():
                shutil.rmtree(folder)
                print(f"--fresh: removed {folder}/")
    plot_dir = Path(cfg.plot_dir) if cfg.plot_dir else run_logdir
    built = _Graph(spec, cfg)
    data = input_data.read_data_sets(cfg.data_dir, one_hot=True, seed=cfg.seed)
    result = RunResult(spec.name)
    if not cfg.is_train:
        with restored_session(spec, cfg, built) as (sess, _):
            images, labels, predicted = predict(sess, built, data.test, cfg.predict_count)
            result.predictions = list(zip(labels.tolist(), predicted.tolist(), strict=True))
            if cfg.grid and len(images):
                path = plot_dir / "predictions.png"
                plots.show_result(
                    images, labels, predicted, 0, path, num=min(25, len(images)), show=cfg.show
                )
                print(f"grid of the predicted samples: {path}")
        return result
    with tf.Session(graph=built.graph) as sess:
        restored = restore_latest(sess, built, ckpt_dir, spec)
        if spec.prologue is not None:
            spec.prologue(data, cfg, plot_dir)
        if restored is None:
            sess.run(built.init)
        else:
            print(f"restored {restored}: resuming at step {sess.run(built.global_step)}")
        train(sess, built, data, cfg, ckpt_dir / spec.checkpoint_name, run_logdir, result)
        if result.interrupted_by is None:
            result.test_loss, result.test_accuracy = evaluate(
                sess, built.model, data.test, cfg.eval_batch_size
            )
            print(f"test accuracy: {result.test_accuracy:.4f}")
            if cfg.grid:
                # Post 004: predict the whole test set, show 10 images from index 10.
                prediction = predict_all(sess, built, data.test.images, cfg.eval_batch_size)
                path = plot_dir / "test_predictions.png"
                plots.show_result(
                    data.test.images, data.test.labels, prediction, 10, path, show=cfg.show
                )
                print(f"grid of test predictions: {path}")
    return result


@contextlib.contextmanager
def restored_session(
    spec: ModelSpec, cfg: Config, built: _Graph | None = None
) -> Iterator[tuple[Any, _Graph]]:
    """A session holding the model's latest checkpoint, for prediction.

    Raises ``CheckpointError`` (train first) when there is none: never predicts from random
    weights.
    """
    built = built or _Graph(spec, cfg)
    ckpt_dir = Path(cfg.ckpt_dir) / spec.name
    with tf.Session(graph=built.graph) as sess:
        restored = restore_latest(sess, built, ckpt_dir, spec)
        if restored is None:
            raise CheckpointError(
                f"no checkpoint in {ckpt_dir}/: train first with "
                f"`python -m tf1_mnist.{spec.name}` (same --ckpt_dir)"
            )
        print(f"restored {restored} (step {sess.run(built.global_step)})")
        yield sess, built


def restore_latest(sess: Any, built: _Graph, ckpt_dir: Path, spec: ModelSpec) -> str | None:
    """Restore the newest checkpoint in ``ckpt_dir``; None if there is none.

    Checks the checkpoint's variables against the graph first, so another model's checkpoint
    gets a message naming what differs, and a corrupt one a message naming the file.
    """
    try:
        latest = tf.train.latest_checkpoint(str(ckpt_dir))
    except Exception as e:  # an unparsable 'checkpoint' state file
        raise CheckpointError(f"{ckpt_dir}/checkpoint is corrupt ({_first_line(e)})") from None
    if latest is None:
        if (ckpt_dir / "checkpoint").exists():
            raise CheckpointError(
                f"{ckpt_dir}/checkpoint names a checkpoint whose files are missing; "
                "use --fresh to start over"
            )
        return None
    try:
        stored = dict(tf.train.list_variables(latest))
    except Exception as e:
        raise CheckpointError(
            f"checkpoint {latest} is unreadable or corrupt ({_first_line(e)}); "
            "use --fresh to start over"
        ) from None
    with built.graph.as_default():
        wanted = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    missing = sorted(name for name in wanted if name not in stored)
    wrong_shape = sorted(
        f"{n} {stored[n]} (model: {s})" for n, s in wanted.items() if n in stored and stored[n] != s
    )
    if missing or wrong_shape:
        detail = f"lacks {', '.join(missing[:4])}" if missing else ""
        detail += ("; " if detail else "") + (
            f"has other shapes: {', '.join(wrong_shape[:4])}" if wrong_shape else ""
        )
        raise CheckpointError(
            f"checkpoint {latest} was not written by model '{spec.name}' ({detail}); "
            "point --ckpt_dir at this model's checkpoints or use --fresh"
        )
    try:
        built.saver.restore(sess, latest)
    except Exception as e:
        raise CheckpointError(
            f"checkpoint {latest} is corrupt ({_first_line(e)}); use --fresh to start over"
        ) from None
    return latest


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


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


class _Progress:
    """Steps/s and ETA on stderr every ``every`` seconds, so long runs are never silent."""

    def __init__(self, first: int, total: int, every: float = 10.0) -> None:
        self.first, self.total, self.every = first, total, every
        self.start = self.last = time.perf_counter()

    def update(self, step: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.every or step <= self.first:
            return
        self.last = now
        rate = (step - self.first) / (now - self.start)
        eta = (self.total - step) / rate if rate else 0.0
        print(
            f"[{step}/{self.total} {100 * step / self.total:.0f}%] {rate:.1f} steps/s, "
            f"ETA {int(eta // 60)}:{int(eta % 60):02d}",
            file=sys.stderr,
        )


def train(
    sess: Any,
    built: _Graph,
    data: input_data.Datasets,
    cfg: Config,
    ckpt_prefix: Path,
    run_logdir: Path,
    result: RunResult,
) -> None:
    """The training loop: batch, step, summaries, step lines, checkpoints, interrupts."""
    m = built.model
    step = result.first_step = result.last_step = int(sess.run(built.global_step))
    if step >= cfg.max_steps:
        print(f"already trained {step} steps (--max_steps={cfg.max_steps}); --fresh retrains")
        return
    ckpt_prefix.parent.mkdir(parents=True, exist_ok=True)
    # A unique suffix: two runs in the same second would otherwise share (and truncate) a file.
    writer = tf.summary.FileWriter(
        str(run_logdir),
        graph=built.graph if step == 0 else None,
        filename_suffix=f".{uuid.uuid4().hex[:8]}",
    )
    if step:  # TensorBoard drops events a crashed earlier run wrote past this step
        writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), step)
    validation_writer = None
    if cfg.eval_every > 0:
        validation_writer = tf.summary.FileWriter(
            str(run_logdir / "validation"), filename_suffix=f".{uuid.uuid4().hex[:8]}"
        )
    fetches = {"train": m.train_op, "loss": m.loss, "accuracy": m.accuracy}
    with_summary = dict(fetches, summary=built.summaries)
    saved_step = step
    progress = _Progress(step, cfg.max_steps)
    start = time.perf_counter()
    try:
        with _Interrupts().installed() as interrupts:
            while step < cfg.max_steps and interrupts.signum is None:
                xs, ys = data.train.next_batch(cfg.batch_size)
                summarize = (
                    built.summaries is not None
                    and cfg.summary_every > 0
                    and step % cfg.summary_every == 0
                )
                out = sess.run(
                    with_summary if summarize else fetches,
                    feed_dict={m.x: xs, m.labels: ys, **m.train_feed},
                )
                if not math.isfinite(out["loss"]):
                    kept = (
                        f"the checkpoint of step {saved_step} is kept"
                        if saved_step
                        else "no checkpoint was written"
                    )
                    raise UserError(
                        f"loss is {out['loss']} at step {step}: training diverged (the blog's "
                        "-sum(y_ * log(y)) is NaN once a softmax output reaches 0). Try a lower "
                        f"--learning_rate than {cfg.learning_rate}; {kept}"
                    )
                if summarize:
                    writer.add_summary(out["summary"], step)
                if cfg.log_every > 0 and step % cfg.log_every == 0:
                    print(
                        f"step {step}: loss of the {len(xs)} samples {out['loss']:f}, "
                        f"accuracy {out['accuracy']:f}"
                    )
                step += 1
                result.last_step = step
                if cfg.eval_every > 0 and step % cfg.eval_every == 0:
                    _validate(sess, m, data, cfg, step, validation_writer)
                if cfg.save_every > 0 and step % cfg.save_every == 0:
                    # The graph (.meta) is written with the run's last checkpoint only: it does
                    # not change, and rewriting it doubled the cost of a small model's save.
                    last = step >= cfg.max_steps or interrupts.signum is not None
                    built.saver.save(
                        sess, str(ckpt_prefix), global_step=step, write_meta_graph=last
                    )
                    saved_step = step
                progress.update(step)
            result.interrupted_by = interrupts.signum
        # Deliberate difference: the blog's last save was at step 1900; save the end too.
        if saved_step != step:
            built.saver.save(sess, str(ckpt_prefix), global_step=step)
            saved_step = step
    finally:
        result.train_seconds = time.perf_counter() - start
        writer.close()  # flushes: summaries survive errors and interrupts
        if validation_writer is not None:
            validation_writer.close()
    if result.interrupted_by is not None:
        print(
            f"interrupted at step {step}: checkpoint {ckpt_prefix}-{step} saved and summaries "
            "flushed; run the same command again to resume",
            file=sys.stderr,
        )


def evaluate(
    sess: Any, model: Model, dataset: input_data.DataSet, batch_size: int
) -> tuple[float, float]:
    """Mean loss and accuracy over ``dataset`` in order, in batches (bounded memory)."""
    n = dataset.num_examples
    loss_sum = acc_sum = 0.0
    for start in range(0, n, batch_size):
        xs = dataset.images[start : start + batch_size]
        ys = dataset.labels[start : start + batch_size]
        loss, acc = sess.run(
            [model.loss, model.accuracy],
            feed_dict={model.x: xs, model.labels: ys, **model.eval_feed},
        )
        loss_sum += float(loss) * len(xs)
        acc_sum += float(acc) * len(xs)
    return loss_sum / n, acc_sum / n


def _validate(
    sess: Any, model: Model, data: input_data.Datasets, cfg: Config, step: int, writer: Any
) -> None:
    """Validation loss and accuracy: printed (per epoch when steps make whole epochs), and
    written with the training run's tags so TensorBoard overlays the two curves."""
    loss, acc = evaluate(sess, model, data.validation, cfg.eval_batch_size)
    epochs, rest = divmod(step * cfg.batch_size, data.train.num_examples)
    where = f"epoch {epochs:2d}" if rest == 0 else f"step {step}"
    print(f"{where}: validation loss {loss:9f}, accuracy {acc:.4f}")
    summary = tf.Summary(
        value=[
            tf.Summary.Value(tag="loss", simple_value=loss),
            tf.Summary.Value(tag="acc", simple_value=acc),
        ]
    )
    writer.add_summary(summary, step)


def probabilities(sess: Any, built: _Graph, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The model's class probabilities [N, 10] for ``images`` [N, 784], in batches."""
    m = built.model
    return np.concatenate(
        [
            sess.run(built.probabilities, {m.x: images[i : i + batch_size], **m.eval_feed})
            for i in range(0, len(images), batch_size)
        ]
    )


def predict_all(sess: Any, built: _Graph, images: np.ndarray, batch_size: int) -> np.ndarray:
    """Predicted digits of ``images``, in batches."""
    return probabilities(sess, built, images, batch_size).argmax(axis=1)


def predict(
    sess: Any, built: _Graph, dataset: input_data.DataSet, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blog's prediction loop: ``count`` samples one at a time, true vs predicted digit.

    Returns the images, their true digits and the predicted digits.
    """
    m = built.model
    images, labels, predicted = [], [], []
    for i in range(count):
        image, label = dataset.next_batch(1)
        # Fixed blog bug: tf.argmax(...).eval() per sample added new ops to the graph each time.
        (digit,) = sess.run(built.prediction, feed_dict={m.x: image, **m.eval_feed})
        true = int(np.argmax(label, 1)[0])
        images.append(image[0])
        labels.append(true)
        predicted.append(int(digit))
        print(f"sample {i}: true digit {true}, predicted digit {int(digit)}")
    right = sum(t == p for t, p in zip(labels, predicted, strict=True))
    print(f"{right}/{count} predicted correctly")
    return np.array(images), np.array(labels, dtype=np.int64), np.array(predicted, dtype=np.int64)


# --------------------------------------------------------------------------- command line


def config_from_flags() -> Config:
    return Config(**{f.name: getattr(FLAGS, f.name) for f in dataclasses.fields(Config)})


def main(spec: ModelSpec) -> None:
    """``python -m tf1_mnist.<model>``: the model's defaults on the common flags, then app.run."""
    define_flags()
    for name, value in spec.defaults.items():
        FLAGS.set_default(name, value)

    def _main(argv: list[str]) -> int:
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
        try:
            result = run(spec, config_from_flags())
        except (UserError, input_data.DataError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        if result.interrupted_by is not None:
            return 128 + result.interrupted_by
        return 0

    app.run(_main)
