"""Everything a training run checks and takes before its first step, for a single process and
for a cluster's chief alike: the options' ranges, writable folders, the checkpoint folder's
lock, readable data, and only then ``--fresh``'s deletion (a run that cannot start deletes
nothing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterator

from tf1_mnist import input_data
from tf1_mnist.support.atomic import ensure_writable
from tf1_mnist.support.console import note
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import checkpoints
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import ModelSpec, RunDirs, run_dirs


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A run's folders (computed once, here) and its data."""

    dirs: RunDirs
    data: input_data.Datasets


@contextlib.contextmanager
def prepared(
    spec: ModelSpec, cfg: Config, *, owner: bool = True, data_seed: int | None = None
) -> Iterator[Prepared]:
    """Check and take what the run of ``spec`` needs, in an order that loses nothing.

    ``owner``: this process writes the checkpoints and summaries (a single process, a cluster's
    chief): its folders are proved writable and locked, and ``--fresh`` clears them once all
    else is known to work.  ``data_seed`` shuffles the data (default ``cfg.seed``; each worker
    of a cluster has its own).
    """
    cfg.check()
    dirs = run_dirs(spec, cfg)
    lock: contextlib.AbstractContextManager = contextlib.nullcontext()
    if owner:
        ensure_writable(dirs.ckpt_dir, "checkpoints", "--ckpt_dir")
        ensure_writable(dirs.logdir, "summaries", "--logdir")
        if cfg.plots:
            ensure_writable(dirs.plot_dir, "figures", "--plot_dir")
        lock = checkpoints.training_lock(dirs.ckpt_dir)
    with lock:
        seed = cfg.seed if data_seed is None else data_seed
        data = input_data.read_data_sets(cfg.data_dir, one_hot=True, seed=seed)
        check_fits(cfg, data, dirs if owner else None)
        if owner and cfg.fresh:
            checkpoints.clear(dirs.ckpt_dir)
            shutil.rmtree(dirs.logdir, ignore_errors=True)
            note(f"--fresh: removed the checkpoints in {dirs.ckpt_dir}/ and {dirs.logdir}/")
        elif owner:
            removed = checkpoints.remove_leftovers(dirs.ckpt_dir, spec.checkpoint_name)
            if removed:
                note(f"removed {len(removed)} leftovers of interrupted saves from {dirs.ckpt_dir}/")
        yield Prepared(dirs, data)


def check_fits(cfg: Config, data: input_data.Datasets, dirs: RunDirs | None) -> None:
    """The checks that need the data or the folder: a batch the training set can fill, and
    something to do with ``--max_steps=0`` (``dirs``: the folders this process owns)."""
    examples = data.train.num_examples
    if cfg.batch_size > examples:
        raise ConfigError(
            f"--batch_size={cfg.batch_size}: the training set holds {examples} examples; "
            f"give 1 to {examples}"
        )
    if (
        dirs is not None
        and cfg.max_steps == 0
        and (cfg.fresh or checkpoints.latest(dirs.ckpt_dir) is None)
    ):
        where = "after --fresh" if cfg.fresh else f"and {dirs.ckpt_dir}/ holds no checkpoint"
        raise ConfigError(
            f"--max_steps=0 {where}: nothing to train or test; give a number of steps"
        )
