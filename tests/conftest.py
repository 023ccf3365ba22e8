"""Shared fixtures: the real MNIST (required under CI), synthetic IDX files, CLI runner.

Every test that uses the real MNIST (the ``mnist_dir``, ``mnist`` or ``cnn_short_run``
fixtures) is marked ``slow``: ``python -m pytest -m "not slow"`` is the fast layer, which needs
no data and trains on synthetic IDX files only.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tf1_mnist import input_data
from tf1_mnist.support.compat import tf
from tf1_mnist.training import ports

ROOT = Path(__file__).resolve().parent.parent
REAL_DATA_FIXTURES = {"mnist_dir", "mnist", "cnn_short_run"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the user's decompression cache."""
    os.environ[input_data.CACHE_DIR_ENV] = str(tmp_path_factory.mktemp("mnist-cache"))


def real_mnist_dir() -> Path:
    """The folder holding the real MNIST; fails under CI (never skips) when it is missing."""
    env = os.environ.get(input_data.DATA_DIR_ENV)
    if env and all(input_data.find_file(name, [Path(env)]) for name in input_data.FILES):
        return Path(env).resolve()
    message = (
        f"the real MNIST is needed: set {input_data.DATA_DIR_ENV} to a folder holding "
        f"{', '.join(input_data.FILES)} ({input_data.DATA_DIR_ENV}="
        f"{env if env is not None else '<unset>'})"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return real_mnist_dir()


@pytest.fixture(scope="session")
def mnist(mnist_dir: Path) -> input_data.Datasets:
    return input_data.read_data_sets(mnist_dir, one_hot=True, seed=0)


# --------------------------------------------------------------------------- synthetic IDX


def idx_images(images: np.ndarray, magic: int = input_data.IMAGE_MAGIC) -> bytes:
    n, rows, cols = images.shape
    return struct.pack(">iiii", magic, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = input_data.LABEL_MAGIC) -> bytes:
    return struct.pack(">ii", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_synthetic(
    folder: Path,
    n_train: int = 5100,
    n_test: int = 200,
    seed: int = 0,
    compress: bool = True,
    overrides: dict | None = None,
) -> dict:
    """Write four small MNIST-shaped IDX files (digit k is a bright k-th row band) to ``folder``.

    ``overrides`` maps a canonical file name to the exact bytes to write instead.
    Returns the arrays written.
    """
    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for images_name, labels_name, n in (
        (input_data.TRAIN_IMAGES, input_data.TRAIN_LABELS, n_train),
        (input_data.TEST_IMAGES, input_data.TEST_LABELS, n_test),
    ):
        labels = rng.randint(0, 10, size=n).astype(np.uint8)
        images = rng.randint(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, digit in enumerate(labels):
            images[i, 2 + 2 * digit : 4 + 2 * digit, 4:24] = 255
        arrays[images_name], arrays[labels_name] = images, labels
        for name, payload in ((images_name, idx_images(images)), (labels_name, idx_labels(labels))):
            payload = (overrides or {}).get(name, payload)
            if compress:
                (folder / name).write_bytes(gzip.compress(payload, compresslevel=1))
            else:
                (folder / name[: -len(".gz")]).write_bytes(payload)
    return arrays


# --------------------------------------------------------------------------- command line


def run_cli(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``python -m tf1_mnist.<args>`` as a user would type it; returns the finished process."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small MNIST-shaped IDX files (1100 training images after the 5000 of validation, 200
    test images), learnable in a few dozen steps: the fast layer's data."""
    folder = tmp_path_factory.mktemp("synthetic-mnist")
    write_synthetic(folder, n_train=6100, n_test=200)
    return folder


@pytest.fixture(scope="session")
def cnn_short_run(
    tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path
) -> tuple[Path, list, str]:
    """``python -m tf1_mnist.cnn --max_steps=500 --embedding=2000 --pr_curves`` (its quick
    budget, and what TensorBoard's projector and PR-curve pages show) as the README says, once
    per session.

    Returns the output folder, the folder flags and the printed output.
    """
    out = tmp_path_factory.mktemp("cnn")
    args = [f"--data_dir={mnist_dir}", f"--logdir={out / 'logs'}", f"--ckpt_dir={out / 'ckpt'}"]
    steps = ports.get("cnn").quick.steps
    proc = run_cli(
        "tf1_mnist.cnn", f"--max_steps={steps}", "--embedding=2000", "--pr_curves", *args
    )
    assert proc.returncode == 0, proc.stderr
    return out, args, proc.stdout


# --------------------------------------------------------------------------- TensorBoard files


def event_steps(run_dir: Path, tag: str) -> list[int]:
    """Sorted steps at which ``tag`` was written, over all event files of one run folder
    (a step written twice appears twice)."""
    steps = []
    for path in run_dir.glob("events.out.tfevents.*"):
        for event in tf.train.summary_iterator(str(path)):
            steps += [event.step for v in event.summary.value if v.tag == tag]
    return sorted(steps)


# --------------------------------------------------------------------------- figures


def png_pixels(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The grey levels of a PNG the blogs' plots wrote, after checking it is ``size`` (w, h)
    and not blank (a figure of digits has dark strokes on white)."""
    from PIL import Image

    assert path.is_file(), f"{path} was not written"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        grey = np.asarray(image.convert("L"), dtype=np.float32)
    dark = (grey < 100).mean()
    assert 0.005 < dark < 0.5, f"{path}: {dark:.2%} dark pixels, looks blank"
    assert not list(path.parent.glob(f".{path.stem}.*")), "a temporary file was left behind"
    return grey
