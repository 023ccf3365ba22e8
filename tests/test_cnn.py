"""tf1_mnist.cnn, post 001: the fixed architecture, its quick-budget accuracy bar, summaries,
batched evaluation and the --is_train=0 grid."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import event_steps, png_pixels, run_cli

from tf1_mnist import cnn, input_data
from tf1_mnist.support.compat import tf
from tf1_mnist.training import evaluation, graph, local

QUICK = cnn.PORT.quick  # the test's budget: the full 30000 steps are `reproduce`'s
SHORT_BUDGET = QUICK.steps


def test_graph_is_the_fixed_architecture() -> None:
    graph = tf.Graph()
    with graph.as_default():
        model = cnn.build(cnn.PORT.config())
    shapes = sorted(v.shape.as_list() for v in graph.get_collection("trainable_variables"))
    assert shapes == sorted(
        [[5, 5, 1, 32], [32], [5, 5, 32, 64], [64], [3136, 1024], [1024], [1024, 10], [10]]
    )  # the post's [7, 7, 64, 1024] fully connected weight cannot be multiplied
    assert model.logits.shape.as_list() == [None, 10]
    types = [op.type for op in graph.get_operations()]
    assert types.count("Conv2D") == 2 and types.count("MaxPool") == 2
    assert "Adam" in " ".join(types) or any(t.startswith("ApplyAdam") for t in types)
    (keep_prob,) = model.train_feed
    assert model.train_feed[keep_prob] == 0.5 and model.eval_feed[keep_prob] == 1.0
    tags = {op.op.name for op in graph.get_collection(tf.GraphKeys.SUMMARIES)}
    assert {"loss", "acc", "w_conv1", "w_conv2", "w_fc1", "w_fc2", "input"} <= tags


def test_dropout_only_in_training() -> None:
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        model = cnn.build(cnn.PORT.config())
        images = np.random.RandomState(0).rand(4, 784).astype(np.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            evals = [sess.run(model.logits, {model.x: images, **model.eval_feed}) for _ in "ab"]
            trains = [sess.run(model.logits, {model.x: images, **model.train_feed}) for _ in "ab"]
    np.testing.assert_array_equal(evals[0], evals[1])
    assert not np.allclose(trains[0], trains[1])


@pytest.fixture(scope="module")
def short_run(cnn_short_run: tuple[Path, list, str]) -> tuple[Path, list, str]:
    """``python -m tf1_mnist.cnn --max_steps=500`` as the README says (shared with predict)."""
    return cnn_short_run


def test_short_budget_reaches_threshold(short_run: tuple) -> None:
    out, _, stdout = short_run
    steps = re.findall(r"^step (\d+), training accuracy [0-9.]+$", stdout, re.MULTILINE)
    assert [int(s) for s in steps] == list(range(0, SHORT_BUDGET, 100))
    accuracy = float(re.search(r"^test accuracy ([0-9.]+)$", stdout, re.M).group(1))
    assert accuracy >= QUICK.threshold
    assert tf.train.latest_checkpoint(str(out / "ckpt" / "cnn")).endswith(f"cnn-{SHORT_BUDGET}")


def test_histograms_and_images_are_written(short_run: tuple) -> None:
    run_dir = short_run[0] / "logs" / "cnn"
    expected = list(range(0, SHORT_BUDGET, 100))
    assert event_steps(run_dir, "loss") == expected
    histograms = {}
    for path in run_dir.glob("events.out.tfevents.*"):
        for event in tf.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.HasField("histo"):
                    histograms.setdefault(value.tag, []).append(value.histo.num)
                if value.HasField("image"):
                    assert (value.image.width, value.image.height) == (28, 28)
    assert sorted(histograms) == ["w_conv1", "w_conv2", "w_fc1", "w_fc2"]
    assert histograms["w_fc1"] == [3136 * 1024] * len(expected)
    assert len(event_steps(run_dir, "input/image/0")) == len(expected)


def test_predict_mode_draws_the_grid(short_run: tuple) -> None:
    out, args, _ = short_run
    proc = run_cli("tf1_mnist.cnn", "--is_train=0", "--predict_count=25", "--plots", *args)
    assert proc.returncode == 0, proc.stderr
    lines = re.findall(r"^sample \d+: true digit (\d), predicted digit (\d)$", proc.stdout, re.M)
    assert len(lines) == 25 and sum(t == p for t, p in lines) >= 20
    png_pixels(out / "logs" / "cnn" / "predictions.png", (1000, 1200))


def test_evaluation_in_batches_equals_one_pass(short_run: tuple, mnist_dir: Path) -> None:
    """Uneven batches are weighted by size: 3 batches of 3000 and one of 1000 give the same
    accuracy as 10000 at once (the one-pass run is what would need over 1 GB)."""
    out = short_run[0]
    cfg = cnn.PORT.config(data_dir=str(mnist_dir), ckpt_dir=str(out / "ckpt"), is_train=0)
    built = graph.build_graph(cnn.PORT, cfg)
    data = input_data.read_data_sets(str(mnist_dir), one_hot=True)
    with local.restored_session(cnn.PORT, cfg, built) as sess:
        loss_3000, acc_3000 = evaluation.evaluate(sess, built.model, data.test, 3000)
        loss_all, acc_all = evaluation.evaluate(sess, built.model, data.test, 10000)
    assert acc_3000 == pytest.approx(acc_all, abs=1e-6)
    assert loss_3000 == pytest.approx(loss_all, rel=1e-5)
