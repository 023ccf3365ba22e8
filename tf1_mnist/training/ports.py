"""The ports and their contract: what a post module declares, and the one list of all of them.

A port is a module ``tf1_mnist.<name>`` holding the post's graph (``build``) and ``PORT``, its
``ModelSpec``: the post, its budget with the accuracy measured at that budget, its flag defaults
and its hooks.
Adding a port means writing that module and adding its name to ``PORTS``.  Everything that
iterates over ports (``predict``, ``reproduce``, the benchmarks, the tests) reads them here.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tf1_mnist.support.console import Lines
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training.config import Config

PORTS = ("softmax", "cnn", "fc", "logistic")
"""Every port, in the order of their posts (000, 001, 002, 004)."""


@dataclasses.dataclass(frozen=True)
class Budget:
    """A training budget, the test accuracy measured at it, and the bar a run must clear."""

    steps: int
    reference: float
    """Test accuracy of our reference run at this budget (canonical MNIST, seed 0)."""
    threshold: float
    """What the tests and ``reproduce`` hold a run to (below ``reference``: seeds and CPUs vary)."""
    source: str
    """Where ``reference`` comes from, and what the post or its tutorial reports."""
    seconds: float
    """Training time of the reference run on 2 CPU cores (for an ETA before a run)."""


@dataclasses.dataclass
class Model:
    """What a port's ``build`` returns: its placeholders and the tensors the harness runs.

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
    embedding: Any = None
    """The last hidden layer's activations, for TensorBoard's projector (``--embedding``)."""
    embedding_layer: str = ""
    """What ``embedding`` is, in words (written beside the projector's files)."""


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What a port's hooks get: the data, the options, where figures go, and (after training
    only) ``predict``, the trained model's digits for an array of images."""

    data: Any
    cfg: Config
    plot_dir: Path
    predict: Callable[[Any], Any] | None = None


Hook = Callable[[RunContext], None]


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A ported post: its graph, its budget, its defaults and what it does besides training."""

    name: str
    post: str
    build: Callable[[Config], Model]
    budget: Budget
    defaults: Mapping[str, Any]
    """The post's flag values (batch size, learning rate, cadences); max_steps is the budget's."""
    quick: Budget | None = None
    """A shorter budget with its own measured reference, for the tests and ``reproduce
    --quick`` (only where the post's budget takes minutes)."""
    checkpoint_name: str = "model"
    prologue: Hook | None = None
    """The post's look at the data before training (post 004 prints shapes, plots a digit)."""
    epilogue: Hook | None = None
    """The post's work after training (post 004's grid of test predictions)."""
    divergence_hint: str = ""
    """Why this post's loss can become NaN, added to the message when it does."""
    loss_tag: str = "loss"
    accuracy_tag: str = "acc"
    """The scalar summary tags of the batch loss and accuracy; validation is written with the
    same tags as a second TensorBoard run so the curves overlay."""
    lines: Mapping[str, Lines] = dataclasses.field(default_factory=dict)
    """What the post prints, by ``--lang`` (``post``: its own format strings; ``en``)."""

    def lines_for(self, lang: str) -> Lines:
        return self.lines.get(lang) or self.lines.get("post") or Lines()

    def budget_for(self, quick: bool = False) -> Budget:
        return self.quick if quick and self.quick is not None else self.budget

    def config(self, *, quick: bool = False, **overrides: Any) -> Config:
        """The post's options at its (quick) budget, with ``overrides`` on top."""
        values = dict(self.defaults, max_steps=self.budget_for(quick).steps)
        values.update(overrides)
        return Config(**values)


def get(name: str) -> ModelSpec:
    """The ``ModelSpec`` of port ``name``; ``ConfigError`` naming the ports for any other name."""
    if name not in PORTS:
        raise ConfigError(f"unknown model '{name}'; the ports are {', '.join(PORTS)}")
    return importlib.import_module(f"tf1_mnist.{name}").PORT


def specs(names: tuple[str, ...] | list[str] = PORTS) -> list[ModelSpec]:
    """The specs of ``names`` (all ports by default), checked before any is imported."""
    unknown = [n for n in names if n not in PORTS]
    if unknown:
        raise ConfigError(
            f"unknown model(s) {', '.join(unknown)}; the ports are {', '.join(PORTS)}"
        )
    return [get(n) for n in names]


@dataclasses.dataclass(frozen=True)
class RunDirs:
    """Where one model's run writes: summaries, checkpoints and figures."""

    logdir: Path
    ckpt_dir: Path
    plot_dir: Path
    ckpt_prefix: Path


def run_dirs(spec: ModelSpec, cfg: Config) -> RunDirs:
    """``LOGDIR/<model>/``, ``CKPT_DIR/<model>/<checkpoint name>``, figures in ``--plot_dir``
    or beside the summaries."""
    logdir = Path(cfg.logdir) / spec.name
    ckpt_dir = Path(cfg.ckpt_dir) / spec.name
    return RunDirs(
        logdir=logdir,
        ckpt_dir=ckpt_dir,
        plot_dir=Path(cfg.plot_dir) if cfg.plot_dir else logdir,
        ckpt_prefix=ckpt_dir / spec.checkpoint_name,
    )
