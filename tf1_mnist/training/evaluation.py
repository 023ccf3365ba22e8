"""Evaluating a trained port: what a run does after training (``finish``), accuracy over a
data set in bounded batches, the validation line and summaries, predictions (post 002's sample
loop among them), and what TensorBoard gets from the predictions: per-digit PR curves and the
projector's embedding.

TensorFlow's ``mnist.py`` split its graph into ``inference``, ``loss``, ``training`` and
``evaluation``; this is the runner's ``evaluation``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from tf1_mnist import input_data
from tf1_mnist.support.compat import tf
from tf1_mnist.support.console import Lines, note, say
from tf1_mnist.training import board
from tf1_mnist.training.config import Config
from tf1_mnist.training.graph import BuiltGraph
from tf1_mnist.training.ports import Model, RunContext, RunDirs
from tf1_mnist.training.results import RunResult, TrainResult


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


def validate(
    sess: Any,
    built: BuiltGraph,
    data: input_data.Datasets,
    cfg: Config,
    step: int,
    writer: Any,
) -> tuple[float, float]:
    """Validation loss and accuracy: printed (per epoch when steps make whole epochs), and
    written with the training run's tags so TensorBoard overlays the two curves."""
    loss, acc = evaluate(sess, built.model, data.validation, cfg.eval_batch_size)
    epochs, rest = divmod(step * cfg.batch_size, data.train.num_examples)
    values = {
        "loss": loss,
        "accuracy": acc,
        "epoch": epochs if rest == 0 else None,  # a post's epoch line only at whole epochs
        "where": f"epoch {epochs:2d}" if rest == 0 else f"step {step}",
    }
    say("validation", built.spec.lines_for(cfg.lang), values)
    summary = tf.Summary(
        value=[
            tf.Summary.Value(tag=built.spec.loss_tag, simple_value=loss),
            tf.Summary.Value(tag=built.spec.accuracy_tag, simple_value=acc),
        ]
    )
    writer.add_summary(summary, step)
    return loss, acc


# --------------------------------------------------------------------------- prediction


def probabilities(sess: Any, built: BuiltGraph, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The model's class probabilities [N, 10] for ``images`` [N, 784], in batches."""
    m = built.model
    return np.concatenate(
        [
            sess.run(built.probabilities, {m.x: images[i : i + batch_size], **m.eval_feed})
            for i in range(0, len(images), batch_size)
        ]
    )


def predict_digits(sess: Any, built: BuiltGraph, images: np.ndarray, batch_size: int) -> np.ndarray:
    """Predicted digits of ``images``, in batches."""
    return probabilities(sess, built, images, batch_size).argmax(axis=1)


def predict_samples(
    sess: Any, built: BuiltGraph, dataset: input_data.DataSet, count: int, lines: Lines
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Post 002's prediction loop: ``count`` samples one at a time, true vs predicted digit.

    Returns the images, their true digits and the predicted digits.
    """
    m = built.model
    images, labels, predicted = [], [], []
    for i in range(count):
        image, label = dataset.next_batch(1)
        # Fixed post 002 bug: tf.argmax(...).eval() per sample added ops to the graph each time.
        (digit,) = sess.run(built.prediction, feed_dict={m.x: image, **m.eval_feed})
        true = int(np.argmax(label, 1)[0])
        images.append(image[0])
        labels.append(true)
        predicted.append(int(digit))
        say("sample", lines, {"index": i, "true": true, "predicted": int(digit)})
    right = sum(t == p for t, p in zip(labels, predicted, strict=True))
    note(f"{right}/{count} predicted correctly")
    return np.array(images), np.array(labels, dtype=np.int64), np.array(predicted, dtype=np.int64)


def write_pr_curves(
    sess: Any, built: BuiltGraph, dataset: input_data.DataSet, cfg: Config, writer: Any, step: int
) -> None:
    """One PR curve per digit of ``dataset`` (the test set) at ``step``, for TensorBoard."""
    probs = probabilities(sess, built, dataset.images, cfg.eval_batch_size)
    labels = dataset.labels.argmax(axis=1)
    writer.add_summary(tf.Summary.FromString(board.pr_curves(probs, labels)), step)


def write_embedding(
    sess: Any, built: BuiltGraph, dataset: input_data.DataSet, cfg: Config, dirs: RunDirs
) -> None:
    """TensorBoard's projector run for the first ``cfg.embedding`` images of ``dataset``."""
    m = built.model
    tensor = m.embedding if m.embedding is not None else m.logits
    images = dataset.images[: cfg.embedding]
    activations = np.concatenate(
        [
            sess.run(tensor, {m.x: images[i : i + cfg.eval_batch_size], **m.eval_feed})
            for i in range(0, len(images), cfg.eval_batch_size)
        ]
    )
    predicted = predict_digits(sess, built, images, cfg.eval_batch_size)
    run_dir = dirs.logdir / board.PROJECTOR_RUN
    labels = dataset.labels[: cfg.embedding].argmax(axis=1)
    layer = m.embedding_layer or "the logits"
    board.write_projector(run_dir, activations, images, labels, predicted, layer)
    note(f"projector: {len(images)} test digits ({layer}) in {run_dir}/")


# --------------------------------------------------------------------------- after training


def finish(
    sess: Any,
    built: BuiltGraph,
    data: input_data.Datasets,
    cfg: Config,
    dirs: RunDirs,
    training: TrainResult,
) -> RunResult:
    """After training: the test accuracy (the post's line, or ours), PR curves, the
    projector and the post's epilogue."""
    spec = built.spec
    test_loss, test_accuracy = evaluate(sess, built.model, data.test, cfg.eval_batch_size)
    say(
        "test",
        spec.lines_for(cfg.lang),
        {"test_accuracy": test_accuracy, "test_accuracy_float32": np.float32(test_accuracy)},
    )
    if cfg.pr_curves and training.evaluated_at != training.last_step:  # else written already
        with contextlib.closing(board.summary_writer(dirs.logdir)) as writer:
            write_pr_curves(sess, built, data.test, cfg, writer, training.last_step)
    if cfg.embedding:
        write_embedding(sess, built, data.test, cfg, dirs)
    if spec.epilogue is not None:
        spec.epilogue(
            RunContext(
                data,
                cfg,
                dirs.plot_dir,
                predict=lambda images: predict_digits(sess, built, images, cfg.eval_batch_size),
            )
        )
    return RunResult(spec.name, training, test_loss, test_accuracy)
