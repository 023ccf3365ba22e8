"""``tf.estimator.RunConfig`` of TensorFlow 1.x, for one machine: where the model lives, the
graph seed, and how often the session hooks save checkpoints, summaries and step-rate logs."""

from __future__ import annotations

import copy
from typing import Any

from tf1_mnist.legacy.namespace import Refusal

_USE_DEFAULT = object()

# The names RunConfig.replace accepts, as in TensorFlow 1.x.
_REPLACEABLE = (
    "model_dir",
    "tf_random_seed",
    "save_summary_steps",
    "save_checkpoints_steps",
    "save_checkpoints_secs",
    "session_config",
    "keep_checkpoint_max",
    "keep_checkpoint_every_n_hours",
    "log_step_count_steps",
    "train_distribute",
    "device_fn",
    "protocol",
    "eval_distribute",
    "experimental_distribute",
    "experimental_max_worker_delay_secs",
    "session_creation_timeout_secs",
)


class RunConfig:
    """TF 1.x's RunConfig: 600 s between checkpoints unless steps are given (never both), a
    summary every 100 steps, ``loss = ..., step = ...`` and ``global_step/sec`` every 100."""

    def __init__(
        self,
        model_dir: str | None = None,
        tf_random_seed: int | None = None,
        save_summary_steps: int = 100,
        save_checkpoints_steps: Any = _USE_DEFAULT,
        save_checkpoints_secs: Any = _USE_DEFAULT,
        session_config: Any = None,
        keep_checkpoint_max: int = 5,
        keep_checkpoint_every_n_hours: float = 10000,
        log_step_count_steps: int = 100,
        train_distribute: Any = None,
        device_fn: Any = None,
        protocol: Any = None,
        eval_distribute: Any = None,
        experimental_distribute: Any = None,
        experimental_max_worker_delay_secs: Any = None,
        session_creation_timeout_secs: int = 7200,
    ) -> None:
        if save_checkpoints_steps is _USE_DEFAULT and save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_steps, save_checkpoints_secs = None, 600
        elif save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = None
        elif save_checkpoints_steps is _USE_DEFAULT:
            save_checkpoints_steps = None
        elif save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError(
                "Can not provide both save_checkpoints_steps and save_checkpoints_secs."
            )
        if train_distribute is not None or eval_distribute is not None:
            raise Refusal(
                "RunConfig(train_distribute=...): distribution strategies are not provided by "
                "tf1_mnist.legacy's tf.estimator (one machine); drop the argument, or use "
                "`python -m tf1_mnist.cluster` for a distributed run"
            )
        self._model_dir = model_dir
        self._tf_random_seed = tf_random_seed
        self._save_summary_steps = save_summary_steps
        self._save_checkpoints_steps = save_checkpoints_steps
        self._save_checkpoints_secs = save_checkpoints_secs
        self._session_config = session_config
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._log_step_count_steps = log_step_count_steps
        self._train_distribute = None
        self._device_fn = device_fn
        self._protocol = protocol
        self._eval_distribute = None
        self._experimental_distribute = experimental_distribute
        self._experimental_max_worker_delay_secs = experimental_max_worker_delay_secs
        self._session_creation_timeout_secs = session_creation_timeout_secs

    def replace(self, **kwargs: Any) -> RunConfig:
        """A copy with the named properties changed (the others kept)."""
        for name in kwargs:
            if name not in _REPLACEABLE:
                raise ValueError(f"{name} is not a valid property to replace")
        new = copy.deepcopy(self)
        steps, secs = kwargs.get("save_checkpoints_steps"), kwargs.get("save_checkpoints_secs")
        if steps is not None and secs is not None:
            raise ValueError(
                "Can not provide both save_checkpoints_steps and save_checkpoints_secs."
            )
        if "save_checkpoints_steps" in kwargs and steps is not None:
            new._save_checkpoints_secs = None
        if "save_checkpoints_secs" in kwargs and secs is not None:
            new._save_checkpoints_steps = None
        for name, value in kwargs.items():
            setattr(new, f"_{name}", value)
        return new

    def __repr__(self) -> str:
        return repr({name: getattr(self, name) for name in _REPLACEABLE[:9]})

    model_dir = property(lambda self: self._model_dir)
    tf_random_seed = property(lambda self: self._tf_random_seed)
    save_summary_steps = property(lambda self: self._save_summary_steps)
    save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
    save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
    session_config = property(lambda self: self._session_config)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_every_n_hours = property(lambda self: self._keep_checkpoint_every_n_hours)
    log_step_count_steps = property(lambda self: self._log_step_count_steps)
    train_distribute = property(lambda self: self._train_distribute)
    eval_distribute = property(lambda self: self._eval_distribute)
    device_fn = property(lambda self: self._device_fn)
    protocol = property(lambda self: self._protocol)
    session_creation_timeout_secs = property(lambda self: self._session_creation_timeout_secs)
    # One machine: the chief worker of a cluster of one.
    master = property(lambda self: "")
    evaluation_master = property(lambda self: "")
    is_chief = property(lambda self: True)
    num_ps_replicas = property(lambda self: 0)
    num_worker_replicas = property(lambda self: 1)
    task_type = property(lambda self: "worker")
    task_id = property(lambda self: 0)
    global_id_in_cluster = property(lambda self: 0)
    cluster_spec = property(lambda self: None)
    service = property(lambda self: None)
