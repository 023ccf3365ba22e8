"""tf1_mnist.softmax, post 000: the post's accuracy at its budget, its NaN guard, and the
missing-data message."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from tf1_mnist import input_data, softmax


def _dirs(tmp_path: Path) -> list[str]:
    return [f"--logdir={tmp_path / 'logs'}", f"--ckpt_dir={tmp_path / 'ckpt'}"]


def test_blog_budget_reaches_reference(tmp_path: Path, mnist_dir: Path) -> None:
    proc = run_cli("tf1_mnist.softmax", f"--data_dir={mnist_dir}", *_dirs(tmp_path))
    assert proc.returncode == 0, proc.stderr
    accuracy = float(proc.stdout.strip())  # the post prints the bare accuracy
    assert accuracy >= softmax.PORT.budget.threshold
    assert (tmp_path / "ckpt" / "softmax" / "softmax-1000.index").exists()


def test_nan_loss_stops_with_a_message(tmp_path: Path, mnist_dir: Path) -> None:
    proc = run_cli(
        "tf1_mnist.softmax", f"--data_dir={mnist_dir}", "--learning_rate=100", *_dirs(tmp_path)
    )
    assert proc.returncode == 1
    assert "training diverged" in proc.stderr and "--learning_rate" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "ckpt" / "softmax").glob("*.index"))  # no NaN weights saved


def test_missing_data_without_network_is_one_clear_error(tmp_path: Path) -> None:
    env = {input_data.SOURCE_URL_ENV: "http://127.0.0.1:9/", input_data.DATA_DIR_ENV: ""}
    proc = run_cli(
        "tf1_mnist.softmax", f"--data_dir={tmp_path / 'MNIST_data'}", *_dirs(tmp_path), env=env
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    for needed in (*input_data.FILES, "MNIST_data", input_data.DATA_DIR_ENV, "--data_dir"):
        assert needed in proc.stderr
