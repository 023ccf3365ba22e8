"""tf1_mnist.logistic, post 004, at the post's full budget: the data facts, a validation line
per epoch, two overlaid TensorBoard runs, and the two figures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import event_steps, png_pixels, run_cli

from tf1_mnist import logistic
from tf1_mnist.support.compat import tf

EPOCH = 550  # batches of 100 per epoch
BUDGET = logistic.PORT.budget


def test_graph_is_the_posts() -> None:
    graph = tf.Graph()
    with graph.as_default():
        model = logistic.build(logistic.PORT.config())
    shapes = {v.op.name: v.shape.as_list() for v in graph.get_collection("variables")}
    assert shapes == {"W": [784, 10], "b": [10], "global_step": []}
    assert model.probabilities.op.type == "Softmax" and model.logits is None
    ops = {op.type for op in graph.get_operations()}
    assert {"RandomStandardNormal", "Log"} <= ops
    assert any(op.endswith("ApplyGradientDescent") for op in ops)
    assert BUDGET.steps == 50 * EPOCH


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> tuple[Path, str, str]:
    """``python -m tf1_mnist.logistic`` with the post's budget (about 30 s of training)."""
    out = tmp_path_factory.mktemp("logistic")
    proc = run_cli(
        "tf1_mnist.logistic",
        f"--data_dir={mnist_dir}",
        f"--logdir={out / 'logs'}",
        f"--ckpt_dir={out / 'ckpt'}",
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout, proc.stderr


def test_prints_the_data_facts(full_run: tuple) -> None:
    stdout = full_run[1]
    assert "训练集数量: 55000 特征值组成: (55000, 784) 标签组成: (55000, 10)" in stdout
    assert "(10, 784) (10, 10)" in stdout
    label = re.search(r"标签值: (\d) 独热编码表示: \[([0-9. ]+)\]", stdout)
    one_hot = np.array(label.group(2).split(), dtype=float)
    assert one_hot.sum() == 1 and one_hot.argmax() == int(label.group(1))


def test_full_budget_reaches_reference(full_run: tuple) -> None:
    epochs = re.findall(r"^第 ?(\d+)轮训练:损失为: *([0-9.]+),准确率:([0-9.]+)$", full_run[1], re.M)
    assert [int(e) for e, _, _ in epochs] == list(range(1, 51))
    losses = [float(loss) for _, loss, _ in epochs]
    assert losses[-1] < losses[0]
    assert float(epochs[-1][2]) >= BUDGET.threshold  # validation; the post's last line
    assert float(re.search(r"test accuracy: ([0-9.]+)", full_run[2]).group(1)) >= BUDGET.threshold


def test_train_and_validation_are_two_runs(full_run: tuple) -> None:
    run_dir = full_run[0] / "logs" / "logistic"
    for tag in ("loss", "acc"):
        assert event_steps(run_dir, tag) == list(range(0, 50 * EPOCH, EPOCH))
        assert event_steps(run_dir / "validation", tag) == list(range(EPOCH, 51 * EPOCH, EPOCH))


def test_figures_are_saved(full_run: tuple) -> None:
    out, _, stderr = full_run
    run_dir = out / "logs" / "logistic"
    assert f"{run_dir / 'test_predictions.png'}" in stderr  # our note
    grey = png_pixels(run_dir / "test_predictions.png", (1000, 1200))
    h, w = grey.shape
    dark_rows = [(grey[r * h // 5 : (r + 1) * h // 5] < 100).sum() for r in range(5)]
    assert min(dark_rows[:2]) > 10 * max(dark_rows[3:] + [1])  # ten images: two rows of five
    png_pixels(run_dir / "train_image_1000.png", (640, 480))
