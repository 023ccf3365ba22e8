"""``python -m tf1_mnist.<port>``: one port's command line, and the choice of where it runs
(this process, or one task of a cluster when ``--job_name`` is given).

A port's ``__main__`` block imports this module; importing the port itself does not.
"""

from __future__ import annotations

from tf1_mnist.support import cli
from tf1_mnist.training import distributed, local
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import ModelSpec
from tf1_mnist.training.results import RunResult


def run(spec: ModelSpec, cfg: Config) -> RunResult:
    """Train (``is_train=1``) or predict (``is_train=0``) one port; return what happened."""
    if cfg.job_name:  # one task of a cluster
        return distributed.run(spec, cfg)
    if not cfg.is_train:
        return local.predict(spec, cfg)
    return local.train_and_test(spec, cfg)


def main(spec: ModelSpec) -> None:
    """``python -m tf1_mnist.<port>``: the post's defaults on the common flags, then app.run."""

    def _run(cfg: Config, _args: list[str]) -> int:
        result = run(spec, cfg)
        interrupted = result.training.interrupted_by if result.training else None
        return 0 if interrupted is None else 128 + interrupted

    cli.main(_run, spec.config())
