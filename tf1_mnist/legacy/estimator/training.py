"""``tf.estimator.train_and_evaluate`` of TensorFlow 1.x, run locally: train to
``max_steps`` and evaluate after each new checkpoint (no more often than ``throttle_secs``),
through a saving listener on the training's ``CheckpointSaverHook``, as TF 1.x did."""

from __future__ import annotations

import collections
import json
import os
from typing import Any

from tensorflow.python.platform import tf_logging as logging

from tf1_mnist.legacy.estimator.estimator import Estimator, tf
from tf1_mnist.legacy.namespace import Refusal


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks"])):
    def __new__(cls, input_fn: Any, max_steps: int | None = None, hooks: Any = None) -> TrainSpec:
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        return super().__new__(cls, input_fn, max_steps, tuple(hooks or ()))


class EvalSpec(
    collections.namedtuple(
        "EvalSpec",
        ["input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs", "throttle_secs"],
    )
):
    def __new__(
        cls,
        input_fn: Any,
        steps: int | None = 100,
        name: str | None = None,
        hooks: Any = None,
        exporters: Any = None,
        start_delay_secs: int = 120,
        throttle_secs: int = 600,
    ) -> EvalSpec:
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        if exporters:
            raise Refusal(
                "EvalSpec(exporters=...): exporting a SavedModel is not provided by "
                "tf1_mnist.legacy's tf.estimator; the checkpoints in model_dir hold the model"
            )
        return super().__new__(
            cls, input_fn, steps, name, tuple(hooks or ()), (), start_delay_secs, throttle_secs
        )


class _EvaluateAfterCheckpoints(tf.train.CheckpointSaverListener):
    """Evaluates after a new checkpoint at most every ``throttle_secs``, and after the last."""

    def __init__(self, estimator: Estimator, eval_spec: EvalSpec) -> None:
        self._estimator, self._spec = estimator, eval_spec
        self._timer = tf.train.SecondOrStepTimer(every_secs=eval_spec.throttle_secs)
        self.eval_result: dict | None = None
        self._last_evaluated: str | None = None

    def begin(self) -> None:
        self._timer.reset()
        self._is_first_run = True

    def after_save(self, session: Any, global_step_value: int) -> bool:
        if self._is_first_run:  # the checkpoint of the step training starts from
            self._is_first_run = False
            return False
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            logging.info(
                "Skip the current checkpoint eval due to throttle secs (%d secs).",
                self._spec.throttle_secs,
            )
        return False

    def end(self, session: Any, global_step_value: int) -> None:
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value: int) -> None:
        self._timer.update_last_triggered_step(global_step_value)
        checkpoint = self._estimator.latest_checkpoint()
        if checkpoint is None or checkpoint == self._last_evaluated:
            logging.info("Skip the current checkpoint eval due to no new checkpoint.")
            return
        self._last_evaluated = checkpoint
        self.eval_result = self._estimator.evaluate(
            self._spec.input_fn,
            steps=self._spec.steps,
            hooks=self._spec.hooks,
            checkpoint_path=checkpoint,
            name=self._spec.name,
        )


def train_and_evaluate(estimator: Estimator, train_spec: TrainSpec, eval_spec: EvalSpec) -> Any:
    """Train ``estimator`` per ``train_spec``, evaluating per ``eval_spec`` along the way;
    (the last eval's metrics, the export results: none)."""
    if not isinstance(estimator, Estimator):
        raise TypeError(
            f"`estimator` must have type `tf.estimator.Estimator`, given {type(estimator)}"
        )
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(
            f"`train_spec` must have type `tf.estimator.TrainSpec`, given {type(train_spec)}"
        )
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(
            f"`eval_spec` must have type `tf.estimator.EvalSpec`, given {type(eval_spec)}"
        )
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster")
    if cluster:
        raise Refusal(
            "train_and_evaluate with a TF_CONFIG cluster (distributed training) is not provided "
            "by tf1_mnist.legacy's tf.estimator: unset TF_CONFIG to train on this machine, or "
            "use `python -m tf1_mnist.cluster`"
        )
    config = estimator.config
    logging.info("Running training and evaluation locally (non-distributed).")
    logging.info(
        "Start train and evaluate loop. The evaluate will happen after every checkpoint. "
        "Checkpoint frequency is determined based on RunConfig arguments: "
        "save_checkpoints_steps %s or save_checkpoints_secs %s.",
        config.save_checkpoints_steps,
        config.save_checkpoints_secs,
    )
    listener = _EvaluateAfterCheckpoints(estimator, eval_spec)
    estimator.train(
        train_spec.input_fn,
        hooks=list(train_spec.hooks),
        max_steps=train_spec.max_steps,
        saving_listeners=[listener],
    )
    return listener.eval_result, []
