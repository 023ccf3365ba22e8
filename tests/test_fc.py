"""tf1_mnist.fc, seed 002, and the harness it runs on: graph, accuracy, resume, interrupt, predict,
and every bad-checkpoint case."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, event_steps, png_pixels, run_cli

from tf1_mnist import fc, harness, softmax
from tf1_mnist.harness import tf


def _config(tmp_path: Path, mnist_dir: Path, **overrides) -> harness.Config:
    values = dict(
        fc.SPEC.defaults,
        data_dir=str(mnist_dir),
        logdir=str(tmp_path / "logs"),
        ckpt_dir=str(tmp_path / "ckpt"),
        log_every=0,
    )
    values.update(overrides)
    return harness.Config(**values)


# --------------------------------------------------------------------------- the blog's graph


def test_graph_has_the_blogs_scopes_names_and_shapes() -> None:
    graph = tf.Graph()
    with graph.as_default():
        model = fc.build(harness.Config(learning_rate=0.1))
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
def trained(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> tuple[Path, str]:
    """``python -m tf1_mnist.fc`` at the blog's budget, once for this module."""
    out = tmp_path_factory.mktemp("fc")
    proc = run_cli(
        "tf1_mnist.fc",
        f"--data_dir={mnist_dir}",
        f"--logdir={out / 'logs'}",
        f"--ckpt_dir={out / 'ckpt'}",
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_blog_budget_reaches_reference(trained: tuple[Path, str]) -> None:
    out, stdout = trained
    step_lines = re.findall(
        r"^step (\d+): loss of the 50 samples ([0-9.]+), accuracy ([0-9.]+)$", stdout, re.MULTILINE
    )
    assert [int(s[0]) for s in step_lines] == list(range(2000))  # every step, like the blog
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", stdout).group(1))
    assert accuracy >= 0.83  # reference 0.852 (SPEC, seed 0)
    ckpt = out / "ckpt" / "fc"
    assert tf.train.latest_checkpoint(str(ckpt)).endswith("fc_nn_model-2000")  # saved at the end
    assert (ckpt / "fc_nn_model-1900.index").exists()
    assert event_steps(out / "logs" / "fc", "loss") == list(range(2000))
    assert len(event_steps(out / "logs" / "fc", "w1")) == 2000


def test_predict_mode_prints_the_blogs_lines(trained: tuple[Path, str], mnist_dir: Path) -> None:
    out, _ = trained
    proc = run_cli(
        "tf1_mnist.fc",
        "--is_train=0",
        "--grid",
        f"--data_dir={mnist_dir}",
        f"--logdir={out / 'logs'}",
        f"--ckpt_dir={out / 'ckpt'}",
    )
    assert proc.returncode == 0, proc.stderr
    png_pixels(out / "logs" / "fc" / "predictions.png", (1000, 1200))  # the first 25 samples
    lines = re.findall(
        r"^sample (\d+): true digit (\d), predicted digit (\d)$", proc.stdout, re.MULTILINE
    )
    assert [int(i) for i, _, _ in lines] == list(range(100))
    right = sum(t == p for _, t, p in lines)
    assert f"{right}/100 predicted correctly" in proc.stdout
    assert right >= 70  # the model is ~85% accurate
    assert "fc_nn_model-2000" in proc.stdout
    assert event_steps(out / "logs" / "fc", "loss") == list(range(2000))  # predicting wrote nothing


def test_second_run_trains_nothing_and_reports(trained: tuple[Path, str], mnist_dir: Path) -> None:
    out, _ = trained
    result = harness.run(fc.SPEC, _config(out, mnist_dir))
    assert result.first_step == result.last_step == 2000
    assert result.test_accuracy >= 0.83


# --------------------------------------------------------------------------- resume, interrupt


def test_resume_continues_the_step_count(tmp_path: Path, mnist_dir: Path) -> None:
    first = harness.run(fc.SPEC, _config(tmp_path, mnist_dir, max_steps=30))
    assert (first.first_step, first.last_step) == (0, 30)
    second = harness.run(fc.SPEC, _config(tmp_path, mnist_dir, max_steps=50))
    assert (second.first_step, second.last_step) == (30, 50)
    assert tf.train.latest_checkpoint(str(tmp_path / "ckpt" / "fc")).endswith("-50")
    # TensorBoard's curve continues instead of starting over at 0.
    assert event_steps(tmp_path / "logs" / "fc", "loss") == list(range(50))
    fresh = harness.run(fc.SPEC, _config(tmp_path, mnist_dir, max_steps=10, fresh=True))
    assert (fresh.first_step, fresh.last_step) == (0, 10)
    assert event_steps(tmp_path / "logs" / "fc", "loss") == list(range(10))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_a_checkpoint_that_restores(
    tmp_path: Path, mnist_dir: Path, signum: int
) -> None:
    args = [
        f"--data_dir={mnist_dir}",
        f"--logdir={tmp_path / 'logs'}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tf1_mnist.fc", "--max_steps=1000000", "--save_every=0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if line.startswith("step 20:") or time.monotonic() > deadline:
            break
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted at step" in stderr and "Traceback" not in stderr
    step = int(re.search(r"interrupted at step (\d+)", stderr).group(1))
    assert step > 20
    latest = tf.train.latest_checkpoint(str(tmp_path / "ckpt" / "fc"))
    assert latest.endswith(f"fc_nn_model-{step}")  # saved although --save_every=0
    assert event_steps(tmp_path / "logs" / "fc", "loss") == list(range(step))  # flushed
    restored = run_cli("tf1_mnist.fc", "--is_train=0", "--predict_count=3", *args)
    assert restored.returncode == 0, restored.stderr
    assert f"(step {step})" in restored.stdout


# --------------------------------------------------------------------------- bad checkpoints


def test_predict_without_checkpoint_says_train_first(tmp_path: Path, mnist_dir: Path) -> None:
    proc = run_cli(
        "tf1_mnist.fc",
        "--is_train=0",
        f"--data_dir={mnist_dir}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
        f"--logdir={tmp_path / 'logs'}",
    )
    assert proc.returncode == 1
    assert "no checkpoint" in proc.stderr and "python -m tf1_mnist.fc" in proc.stderr
    assert "Traceback" not in proc.stderr and "sample 0" not in proc.stdout


@pytest.fixture
def short_fc(tmp_path: Path, mnist_dir: Path) -> Path:
    harness.run(fc.SPEC, _config(tmp_path, mnist_dir, max_steps=5))
    return tmp_path / "ckpt" / "fc"


def test_corrupt_checkpoint_data(tmp_path: Path, mnist_dir: Path, short_fc: Path) -> None:
    data_file = next(short_fc.glob("*.data-*"))
    data_file.write_bytes(b"\x00" * 10)
    for is_train in (0, 1):
        with pytest.raises(harness.CheckpointError, match="fc_nn_model-5 is (corrupt|unreadable)"):
            harness.run(fc.SPEC, _config(tmp_path, mnist_dir, is_train=is_train))


def test_corrupt_checkpoint_index(tmp_path: Path, mnist_dir: Path, short_fc: Path) -> None:
    next(short_fc.glob("*.index")).write_bytes(b"garbage")
    with pytest.raises(harness.CheckpointError, match="unreadable or corrupt"):
        harness.run(fc.SPEC, _config(tmp_path, mnist_dir, is_train=0))


def test_checkpoint_state_file_pointing_nowhere(
    tmp_path: Path, mnist_dir: Path, short_fc: Path
) -> None:
    for f in short_fc.glob("fc_nn_model-*"):
        f.unlink()
    with pytest.raises(harness.CheckpointError, match="files are missing"):
        harness.run(fc.SPEC, _config(tmp_path, mnist_dir, is_train=0))


def test_checkpoint_of_another_model(tmp_path: Path, mnist_dir: Path) -> None:
    harness.run(softmax.SPEC, _config(tmp_path, mnist_dir, max_steps=3))
    shutil.copytree(tmp_path / "ckpt" / "softmax", tmp_path / "ckpt" / "fc")
    with pytest.raises(harness.CheckpointError, match="not written by model 'fc'.*weightes_1"):
        harness.run(fc.SPEC, _config(tmp_path, mnist_dir, is_train=0))
