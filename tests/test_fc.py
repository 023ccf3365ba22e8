"""tf1_mnist.fc, post 002: the post's graph, its accuracy at its budget, and its prediction
loop (the harness mechanics it shares with every port are in test_harness.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import event_steps, png_pixels, run_cli

from tf1_mnist import fc
from tf1_mnist.support.compat import tf
from tf1_mnist.training import command

BUDGET = fc.PORT.budget


# --------------------------------------------------------------------------- the blog's graph


def test_graph_has_the_blogs_scopes_names_and_shapes() -> None:
    graph = tf.Graph()
    with graph.as_default():
        model = fc.build(fc.PORT.config())
    assert model.x.name == "data/feature:0" and model.x.shape.as_list() == [None, 784]
    assert model.labels.name == "data/label:0" and model.labels.dtype == tf.float32
    shapes = {v.op.name: v.shape.as_list() for v in graph.get_collection("variables")}
    assert shapes == {
        "fc_model/weightes_1": [784, 64],
        "fc_model/biases_1": [64],
        "fc_model/weightes_2": [64, 10],
        "fc_model/biases_2": [10],
        "global_step": [],
    }
    ops = {op.name for op in graph.get_operations()}
    assert "softmax_cross/compute_loss" in ops
    assert any(name.startswith("GD/GradientDescent") for name in ops)
    assert any(name.startswith("accuracy/") for name in ops)
    # N(0, 1) initialisers, and no activation between the two layers.
    assert "fc_model/random_normal/RandomStandardNormal" in ops
    assert not any(op.type in ("Relu", "Sigmoid", "Tanh") for op in graph.get_operations())
    tags = {op.op.name for op in graph.get_collection(tf.GraphKeys.SUMMARIES)}
    assert tags == {"loss", "acc", "w1", "b1", "w2", "b2"}


# --------------------------------------------------------------------------- the blog's run


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path
) -> tuple[Path, subprocess.CompletedProcess]:
    """``python -m tf1_mnist.fc`` at the blog's budget, once for this module."""
    out = tmp_path_factory.mktemp("fc")
    proc = run_cli(
        "tf1_mnist.fc",
        f"--data_dir={mnist_dir}",
        f"--logdir={out / 'logs'}",
        f"--ckpt_dir={out / 'ckpt'}",
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_blog_budget_reaches_reference(trained: tuple) -> None:
    out, proc = trained
    stdout, stderr = proc.stdout, proc.stderr
    step_lines = re.findall(
        r"^第 (\d+) 步的50个样本损失为:([0-9.]+) , 准确率为:([0-9.]+)$", stdout, re.MULTILINE
    )
    steps = list(range(BUDGET.steps))
    assert [int(s[0]) for s in step_lines] == steps  # every step, like the post
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", stderr).group(1))  # ours
    assert accuracy >= BUDGET.threshold
    ckpt = out / "ckpt" / "fc"
    assert tf.train.latest_checkpoint(str(ckpt)).endswith("fc_nn_model-2000")  # saved at the end
    assert (ckpt / "fc_nn_model-1900.index").exists()
    assert event_steps(out / "logs" / "fc", "loss") == steps
    assert len(event_steps(out / "logs" / "fc", "w1")) == BUDGET.steps


def test_predict_mode_prints_the_posts_lines(trained: tuple, mnist_dir: Path) -> None:
    out, _ = trained
    proc = run_cli(
        "tf1_mnist.fc",
        "--is_train=0",
        "--plots",
        f"--data_dir={mnist_dir}",
        f"--logdir={out / 'logs'}",
        f"--ckpt_dir={out / 'ckpt'}",
    )
    assert proc.returncode == 0, proc.stderr
    png_pixels(out / "logs" / "fc" / "predictions.png", (1000, 1200))  # the first 25 samples
    lines = re.findall(
        r"^第 (\d+) 样本,真实的图片数字为:(\d), 神经网络预测的数字为:(\d) $", proc.stdout, re.M
    )
    assert [int(i) for i, _, _ in lines] == list(range(100))
    right = sum(t == p for _, t, p in lines)
    assert f"{right}/100 predicted correctly" in proc.stderr
    assert right >= 70  # the model is ~85% accurate
    assert "fc_nn_model-2000" in proc.stderr
    assert event_steps(out / "logs" / "fc", "loss") == list(range(2000))  # predicting wrote nothing


def test_second_run_trains_nothing_and_reports(trained: tuple, mnist_dir: Path) -> None:
    out, _ = trained
    cfg = fc.PORT.config(
        data_dir=str(mnist_dir), logdir=str(out / "logs"), ckpt_dir=str(out / "ckpt")
    )
    result = command.run(fc.PORT, cfg)
    assert result.training.first_step == result.training.last_step == BUDGET.steps
    assert result.test_accuracy >= BUDGET.threshold
