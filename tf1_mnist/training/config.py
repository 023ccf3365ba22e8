"""The options of a training run: one place for their defaults and help texts.

Every port's command line is this dataclass (``tf1_mnist.support.cli`` makes the flags); a
port's own defaults (the post's batch size, learning rate, step count, cadences) live in its
``ModelSpec`` and reach a run through ``spec.config(**overrides)``.
"""

from __future__ import annotations

import dataclasses
import math
import os

from tf1_mnist.input_data import DATA_DIR
from tf1_mnist.support.cli import option
from tf1_mnist.support.console import LANGS
from tf1_mnist.support.errors import ConfigError

LOGDIR = "logs/"
CKPT_DIR = "ckpt/"


@dataclasses.dataclass
class Config:
    """Everything a run needs; the flags of ``python -m tf1_mnist.<model>`` mirror it."""

    data_dir: str = option(
        DATA_DIR,
        "Folder with the four MNIST files, as the posts' read_data_sets(dir). Looked up there, "
        "then in $TF1_MNIST_DATA_DIR, and downloaded there only if both lack them.",
    )
    logdir: str = option(LOGDIR, "Summaries go to LOGDIR/<model>/ for `tensorboard --logdir`.")
    ckpt_dir: str = option(
        CKPT_DIR, "Checkpoints go to CKPT_DIR/<model>/; the latest is restored on start."
    )
    is_train: int = option(
        1,
        "1: train (resuming from the latest checkpoint); 0: predict test samples one by one "
        "from the latest checkpoint.",
    )
    max_steps: int = option(
        1000, "Total training steps (a resumed run trains only the steps still missing)."
    )
    batch_size: int = option(100, "Examples per training step (next_batch size).")
    learning_rate: float = option(0.01, "Optimizer learning rate.")
    seed: int = option(0, "Graph-level TensorFlow seed and the shuffling seed of the data.")
    log_every: int = option(
        0, "Print step, batch loss and batch accuracy every N steps (0: never)."
    )
    summary_every: int = option(1, "Write the merged summaries every N steps (0: never).")
    save_every: int = option(100, "Save a checkpoint every N steps (0: only at the end).")
    eval_batch_size: int = option(
        1000, "Examples per evaluation batch (the CNN cannot take 10000 at once)."
    )
    eval_every: int = option(
        0,
        "Evaluate the validation set every N steps (0: never), printed and written as the "
        "TensorBoard run LOGDIR/<model>/validation.",
    )
    predict_count: int = option(
        100, "Test samples to predict one by one with --is_train=0 (1 to 10000)."
    )
    checkpoint: str = option(
        "",
        "Restore this checkpoint (a prefix such as CKPT_DIR/<model>/model-500, as the "
        "folder's files are named) instead of the folder's latest: an older one when the "
        "latest is damaged.",
    )
    fresh: bool = option(
        False, "Delete this model's checkpoints and summaries and train from step 0."
    )
    plots: bool = option(
        False,
        "Draw PNG figures: the post's own (post 004's digit and 5x5 prediction grid), and with "
        "--is_train=0 a grid of the predicted samples.",
    )
    plot_dir: str = option(
        "", "Folder for the PNG figures (default: the run's summaries folder LOGDIR/<model>/)."
    )
    show: bool = option(False, "Also open the figures in a window (needs a display).")
    embedding: int = option(
        0,
        "After training, write the last hidden layer's activations for the first N test "
        "images (N <= 10000) as TensorBoard's projector run LOGDIR/<model>/projector/ "
        "(0: none).",
    )
    pr_curves: bool = option(
        False,
        "Write a precision/recall curve per digit on the test set (TensorBoard's PR CURVES) "
        "at every --eval_every and after training.",
    )
    mixed_precision: bool = option(
        False,
        "Compute in float16 on a GPU, bfloat16 on a CPU with bfloat16 instructions (grappler's "
        "rewrite); variables and checkpoints stay float32. The posts are float32.",
    )
    ps_hosts: str = option(
        "",
        "Distributed training (TF1's between-graph replication): comma-separated host:port "
        "of the parameter servers.",
    )
    worker_hosts: str = option(
        "", "Comma-separated host:port of the workers; task 0 is the chief (checkpoints, logs)."
    )
    job_name: str = option("", "This process's job in the cluster: ps or worker (empty: alone).")
    task_index: int = option(0, "This process's index within its job.")
    sync_replicas: bool = option(
        False,
        "Aggregate the workers' gradients into one update per step (SyncReplicasOptimizer) "
        "instead of applying each worker's as it comes (asynchronous).",
    )
    replicas_to_aggregate: int = option(
        0, "Gradients per update with --sync_replicas (0: one from each worker)."
    )
    cluster_timeout: int = option(
        30,
        "Seconds a worker waits on another task (a parameter server that died) before it "
        "stops with a message.",
    )
    lang: str = option(
        "post",
        "post: print the post's own lines (its format strings, in its language); en: their "
        "English translation. Lines of ours go to stderr either way.",
        choices=LANGS,
    )

    def check(self) -> None:
        """Raise ``ConfigError`` for a value out of its range, before any work is done (and so
        before ``--fresh`` deletes anything)."""
        at_least = {
            "batch_size": 1,
            "eval_batch_size": 1,
            "max_steps": 0,
            "log_every": 0,
            "summary_every": 0,
            "save_every": 0,
            "eval_every": 0,
            "task_index": 0,
            "replicas_to_aggregate": 0,
            "cluster_timeout": 1,
        }
        for name, lowest in at_least.items():
            value = getattr(self, name)
            if value < lowest:
                raise ConfigError(f"--{name}={value}: give {lowest} or more")
        ranges = {"seed": (0, 2**32 - 1), "predict_count": (1, 10000), "embedding": (0, 10000)}
        for name, (lowest, highest) in ranges.items():
            value = getattr(self, name)
            if not lowest <= value <= highest:
                raise ConfigError(f"--{name}={value}: give {lowest} to {highest}")
        if self.is_train not in (0, 1):
            raise ConfigError(f"--is_train={self.is_train}: give 1 (train) or 0 (predict)")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ConfigError(f"--learning_rate={self.learning_rate}: give a positive number")
        for name in ("logdir", "ckpt_dir", "checkpoint"):
            check_utf8(f"--{name}", getattr(self, name))


def check_utf8(flag: str, path: str) -> None:
    """TensorFlow takes paths as UTF-8 only: a name with other bytes (a folder made under a
    Latin-1 or GBK locale) would fail deep inside it, so it is refused up front."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise ConfigError(
            f"{flag}={shown}: the path is not valid UTF-8, which TensorFlow cannot open; "
            "rename the folder or choose another"
        ) from None
