"""``tf.estimator.Estimator`` of TensorFlow 1.x on TensorFlow's own session machinery.

Training is ``tf.compat.v1.train.MonitoredTrainingSession`` with the hooks TF 1.x's Estimator
gave it (``NanTensorHook``, ``LoggingTensorHook`` for ``loss = ..., step = ...``, a
``CheckpointSaverHook``; the session adds ``StepCounterHook`` and ``SummarySaverHook``), so a
second run restores the latest checkpoint in ``model_dir`` and carries on.  Evaluation is
``tf.compat.v1``'s ``evaluation._evaluate_once`` (the loop TF 1.x's Estimator called), and
prediction a ``MonitoredSession``; the log lines are TensorFlow's own or TF 1.x's words.
"""

from __future__ import annotations

import collections
import copy
import functools
import inspect
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from tensorflow.python.data.ops import dataset_ops
from tensorflow.python.platform import tf_logging as logging
from tensorflow.python.training import evaluation

from tf1_mnist.legacy.estimator.run_config import RunConfig
from tf1_mnist.legacy.namespace import Refusal
from tf1_mnist.support import quiet

tf = quiet.import_tensorflow().compat.v1

LOSS_METRIC_KEY = "loss"


class ModeKeys:
    """The three modes a ``model_fn`` is called in."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


_SPEC_FIELDS = (
    "mode",
    "predictions",
    "loss",
    "train_op",
    "eval_metric_ops",
    "export_outputs",
    "training_chief_hooks",
    "training_hooks",
    "scaffold",
    "evaluation_hooks",
    "prediction_hooks",
)


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _SPEC_FIELDS)):
    """What a ``model_fn`` returns; checked as TF 1.x checked it, so a mistake is named here
    rather than deep inside the session."""

    def __new__(
        cls,
        mode: str,
        predictions: Any = None,
        loss: Any = None,
        train_op: Any = None,
        eval_metric_ops: dict | None = None,
        export_outputs: dict | None = None,
        training_chief_hooks: Any = None,
        training_hooks: Any = None,
        scaffold: Any = None,
        evaluation_hooks: Any = None,
        prediction_hooks: Any = None,
    ) -> EstimatorSpec:
        loss = _checked_loss(mode, predictions, loss, train_op)
        metrics = _checked_metrics(eval_metric_ops)
        hooks = _checked_hooks(
            training_chief_hooks=training_chief_hooks,
            training_hooks=training_hooks,
            evaluation_hooks=evaluation_hooks,
            prediction_hooks=prediction_hooks,
        )
        return super().__new__(
            cls,
            mode=mode,
            predictions=predictions,
            loss=loss,
            train_op=train_op,
            eval_metric_ops=metrics,
            export_outputs=export_outputs,
            scaffold=scaffold or tf.train.Scaffold(),
            **hooks,
        )


def _checked_loss(mode: str, predictions: Any, loss: Any, train_op: Any) -> Any:
    """The fields each mode needs, and the loss as a scalar tensor (TF 1.x accepted a
    one-element loss and reshaped it)."""
    if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
        raise ValueError(f"mode={mode!r} is not one of ModeKeys.TRAIN, EVAL, PREDICT")
    if mode == ModeKeys.TRAIN and train_op is None:
        raise ValueError("Missing train_op.")
    if mode != ModeKeys.PREDICT and loss is None:
        raise ValueError("Missing loss.")
    if mode == ModeKeys.PREDICT and predictions is None:
        raise ValueError("Missing predictions.")
    if loss is not None:
        loss = tf.convert_to_tensor(loss)
        if loss.shape.ndims not in (None, 0) and loss.shape.num_elements() != 1:
            raise ValueError(f"Loss must be scalar, given: {loss}")
        loss = tf.reshape(loss, [])
    return loss


def _checked_metrics(eval_metric_ops: dict | None) -> dict:
    """The metrics as a dict of (value, update_op) pairs, the form evaluate unpacks."""
    metrics = dict(eval_metric_ops or {})
    for key, value in metrics.items():
        if not (isinstance(value, tuple) and len(value) == 2):
            raise TypeError(
                f"Values of eval_metric_ops must be (metric_value, update_op) tuples, "
                f"given: {value!r} for key: {key}"
            )
    return metrics


def _checked_hooks(**groups: Any) -> dict[str, tuple]:
    """Each hook group as a tuple of SessionRunHooks, so a wrong hook fails here rather than
    inside the session."""
    hooks = {name: tuple(value or ()) for name, value in groups.items()}
    for group in hooks.values():
        for hook in group:
            if not isinstance(hook, tf.train.SessionRunHook):
                raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook}")
    return hooks


def fn_args(fn: Callable) -> tuple[str, ...]:
    """The argument names ``fn`` can be called with (a partial's bound ones left out)."""
    bound: set[str] = set()
    if isinstance(fn, functools.partial):
        bound = set(fn.keywords or ())
    return tuple(
        name for name in inspect.signature(fn).parameters if name not in bound and name != "self"
    )


class _DatasetInitializerHook(tf.train.SessionRunHook):
    """Initializes a Dataset's iterator when a session is created (as TF 1.x's Estimator did
    for an input_fn returning a Dataset)."""

    def __init__(self, iterator: Any) -> None:
        self._iterator = iterator

    def begin(self) -> None:
        self._initializer = self._iterator.initializer

    def after_create_session(self, session: Any, coord: Any) -> None:
        session.run(self._initializer)


def parse_input_fn_result(result: Any) -> tuple[Any, Any, list]:
    """(features, labels, hooks) from what an input_fn returned: a Dataset, a
    ``(features, labels)`` pair, or features alone."""
    hooks = []
    if isinstance(result, dataset_ops.DatasetV2):
        iterator = tf.data.make_initializable_iterator(result)
        hooks.append(_DatasetInitializerHook(iterator))
        result = iterator.get_next()
    if isinstance(result, (list, tuple)):
        if len(result) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return result[0], result[1], hooks
    return result, None, hooks


def _dict_to_str(dictionary: dict) -> str:
    return ", ".join(
        f"{key} = {value!s}"
        for key, value in sorted(dictionary.items())
        if not isinstance(value, bytes)
    )


def _write_dict_to_summary(output_dir: str, dictionary: dict, global_step: int) -> None:
    """The eval results as scalar summaries in ``output_dir`` (TensorBoard's eval run)."""
    logging.info("Saving dict for global step %d: %s", global_step, _dict_to_str(dictionary))
    writer = tf.summary.FileWriterCache.get(output_dir)
    summary = tf.Summary()
    for key, value in dictionary.items():
        if value is None or key == "global_step":
            continue
        if isinstance(value, (int, float, np.floating, np.integer)) or (
            isinstance(value, np.ndarray) and value.size == 1
        ):
            summary.value.add(tag=key, simple_value=float(value))
        else:
            logging.warn(
                "Skipping summary for %s, must be a float, np.float32, np.int64, np.int32 or int.",
                key,
            )
    writer.add_summary(summary, global_step)
    writer.flush()


class Estimator:
    """``tf.estimator.Estimator(model_fn, model_dir, config, params, warm_start_from)``."""

    def __init__(
        self,
        model_fn: Callable,
        model_dir: str | None = None,
        config: RunConfig | None = None,
        params: dict | None = None,
        warm_start_from: Any = None,
    ) -> None:
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of RunConfig, but provided {config}.")
        if model_dir is not None:
            model_dir = os.fspath(model_dir)
        if model_dir and config.model_dir and model_dir != config.model_dir:
            raise ValueError(
                "model_dir are set both in constructor and RunConfig, but with different "
                f"values. In constructor: '{model_dir}', in RunConfig: '{config.model_dir}' "
            )
        model_dir = model_dir or config.model_dir
        if not model_dir:
            model_dir = tempfile.mkdtemp()
            logging.warning("Using temporary folder as model directory: %s", model_dir)
        self._config = config.replace(model_dir=model_dir)
        self._model_dir = model_dir
        logging.info("Using config: %s", self._config)
        if not callable(model_fn):
            raise ValueError(f"model_fn must be callable, given: {model_fn!r}")
        if "features" not in fn_args(model_fn):
            raise ValueError(f"model_fn ({model_fn}) must include features argument.")
        self._model_fn = model_fn
        self._params = copy.deepcopy(params or {})
        if isinstance(warm_start_from, os.PathLike):
            warm_start_from = os.fspath(warm_start_from)
        if warm_start_from is not None and not isinstance(warm_start_from, str):
            raise Refusal(
                "Estimator(warm_start_from=WarmStartSettings(...)): only a checkpoint path is "
                "provided by tf1_mnist.legacy's tf.estimator"
            )
        self._warm_start_from = warm_start_from

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))
    model_fn = property(lambda self: self._model_fn)

    # ------------------------------------------------------------------ checkpoints

    def latest_checkpoint(self) -> str | None:
        return tf.train.latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list[str]:
        return [name for name, _ in tf.train.list_variables(self._model_dir)]

    def get_variable_value(self, name: str) -> np.ndarray:
        return tf.train.load_variable(self._model_dir, name)

    def _global_step_on_disk(self) -> int:
        checkpoint = self.latest_checkpoint()
        if not checkpoint:
            return 0
        return int(tf.train.load_variable(checkpoint, tf.GraphKeys.GLOBAL_STEP))

    # ------------------------------------------------------------------ calling user code

    def _optional_arguments(self, fn: Callable, mode: str) -> dict[str, Any]:
        """``mode``, ``params`` and ``config`` for the user function that names them: TF 1.x
        passed each only where the function's signature asked for it."""
        args = fn_args(fn)
        return {
            name: mode if name == "mode" else getattr(self, name)
            for name in ("mode", "params", "config")
            if name in args
        }

    def _call_input_fn(self, input_fn: Callable, mode: str) -> tuple[Any, Any, list]:
        kwargs = self._optional_arguments(input_fn, mode)
        with tf.device("/cpu:0"):
            return parse_input_fn_result(input_fn(**kwargs))

    def _call_model_fn(self, features: Any, labels: Any, mode: str) -> EstimatorSpec:
        kwargs = self._optional_arguments(self._model_fn, mode)
        if "labels" in fn_args(self._model_fn):
            kwargs["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        logging.info("Calling model_fn.")
        spec = self._model_fn(features=features, **kwargs)
        logging.info("Done calling model_fn.")
        if not isinstance(spec, EstimatorSpec):
            raise ValueError("model_fn should return an EstimatorSpec.")
        return spec

    def _graph(self) -> Any:
        graph = tf.Graph()
        if self._config.tf_random_seed is not None:
            graph.seed = self._config.tf_random_seed
        return graph

    # ------------------------------------------------------------------ train

    def train(
        self,
        input_fn: Callable,
        hooks: Any = None,
        steps: int | None = None,
        max_steps: int | None = None,
        saving_listeners: Any = None,
    ) -> Estimator:
        """Train from the latest checkpoint on; ``steps`` more, or up to ``max_steps``."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None and max_steps <= self._global_step_on_disk():
            logging.info("Skipping training since max_steps has already saved.")
            return self
        hooks = list(hooks or [])
        for hook in hooks:
            if not isinstance(hook, tf.train.SessionRunHook):
                raise TypeError(f"Hooks must be a SessionRunHook, given: {hook}")
        if steps is not None or max_steps is not None:
            hooks.append(tf.train.StopAtStepHook(steps, max_steps))
        loss = self._train_model(input_fn, hooks, list(saving_listeners or []))
        logging.info("Loss for final step: %s.", loss)
        return self

    def _train_model(self, input_fn: Callable, hooks: list, saving_listeners: list) -> Any:
        config = self._config
        with self._graph().as_default():
            global_step = tf.train.get_or_create_global_step()
            features, labels, input_hooks = self._call_input_fn(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            if self._warm_start_from and not self.latest_checkpoint():
                tf.train.warm_start(self._warm_start_from)
            tf.summary.scalar("loss", spec.loss)
            tf.add_to_collection(tf.GraphKeys.LOSSES, spec.loss)
            worker_hooks = [
                *hooks,
                *input_hooks,
                tf.train.NanTensorHook(spec.loss),
                tf.train.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step},
                    every_n_iter=config.log_step_count_steps,
                ),
                *spec.training_hooks,
            ]
            _add_default_saver(spec.scaffold, config)
            chief_hooks = list(spec.training_chief_hooks)
            self._attach_saving_listeners(
                worker_hooks, chief_hooks, spec.scaffold, saving_listeners
            )
            return self._run_training(spec, worker_hooks, chief_hooks)

    def _attach_saving_listeners(
        self, worker_hooks: list, chief_hooks: list, scaffold: Any, saving_listeners: list
    ) -> None:
        """Listeners ride on the first CheckpointSaverHook, so one is added to the chief hooks
        when the model_fn brought none and the config asks for checkpoints (TF 1.x's order)."""
        config = self._config
        saver_hooks = [
            h for h in worker_hooks + chief_hooks if isinstance(h, tf.train.CheckpointSaverHook)
        ]
        if not saver_hooks and (config.save_checkpoints_secs or config.save_checkpoints_steps):
            saver_hooks = [
                tf.train.CheckpointSaverHook(
                    self._model_dir,
                    save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps,
                    scaffold=scaffold,
                )
            ]
            chief_hooks.append(saver_hooks[0])
        if saving_listeners:
            if not saver_hooks:
                raise ValueError(
                    "There should be a CheckpointSaverHook to use saving_listeners. Please "
                    "set one of the RunConfig.save_checkpoints_steps or "
                    "RunConfig.save_checkpoints_secs."
                )
            saver_hooks[0]._listeners.extend(saving_listeners)

    def _run_training(self, spec: EstimatorSpec, worker_hooks: list, chief_hooks: list) -> Any:
        """The training loop; the session saves no checkpoints itself because the
        CheckpointSaverHook among the hooks does."""
        config = self._config
        loss = None
        with tf.train.MonitoredTrainingSession(
            master=config.master,
            is_chief=True,
            checkpoint_dir=self._model_dir,
            scaffold=spec.scaffold,
            hooks=worker_hooks,
            chief_only_hooks=chief_hooks,
            save_checkpoint_secs=0,
            save_summaries_steps=config.save_summary_steps,
            config=config.session_config,
            log_step_count_steps=config.log_step_count_steps,
        ) as session:
            while not session.should_stop():
                _, loss = session.run([spec.train_op, spec.loss])
        return loss

    def _checkpoint_to_restore(self, checkpoint_path: str | None, purpose: str) -> str | None:
        """The given checkpoint or the latest one; without any, evaluate and predict run on
        freshly initialized variables, as TF 1.x did, and say so."""
        if not checkpoint_path:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                logging.info(
                    "Could not find trained model in model_dir: %s, running initialization to %s.",
                    self._model_dir,
                    purpose,
                )
        return checkpoint_path

    # ------------------------------------------------------------------ evaluate

    def eval_dir(self, name: str | None = None) -> str:
        return os.path.join(self._model_dir, "eval" if not name else "eval_" + name)

    def evaluate(
        self,
        input_fn: Callable,
        steps: int | None = None,
        hooks: Any = None,
        checkpoint_path: str | None = None,
        name: str | None = None,
    ) -> dict:
        """The metrics over ``steps`` batches (or until the input ends) at the latest
        checkpoint, with ``loss`` and ``global_step``; also written as eval summaries."""
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        hooks = list(hooks or [])
        checkpoint_path = self._checkpoint_to_restore(checkpoint_path, "evaluate")
        with self._graph().as_default():
            global_step = tf.train.get_or_create_global_step()
            features, labels, input_hooks = self._call_input_fn(input_fn, ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
            if LOSS_METRIC_KEY in spec.eval_metric_ops:
                raise ValueError(
                    'Metric with name "loss" is not allowed, because Estimator already '
                    "defines a default metric with the same name."
                )
            metrics = dict(spec.eval_metric_ops)
            metrics[LOSS_METRIC_KEY] = tf.metrics.mean(spec.loss)
            update_op = tf.group(*(update for _, update in metrics.values()))
            final_ops = {key: value for key, (value, _) in metrics.items()}
            if "global_step" in final_ops:
                raise ValueError("Metric with name `global_step` is not allowed.")
            final_ops["global_step"] = global_step
            all_hooks = [*input_hooks, *hooks, *spec.evaluation_hooks]
            if steps is not None:
                all_hooks.append(evaluation._StopAfterNEvalsHook(num_evals=steps))
            results = evaluation._evaluate_once(
                checkpoint_path=checkpoint_path,
                master=self._config.evaluation_master,
                scaffold=spec.scaffold,
                eval_ops=update_op,
                final_ops=final_ops,
                hooks=all_hooks,
                config=self._config.session_config,
            )
        step = int(results["global_step"])
        _write_dict_to_summary(self.eval_dir(name), results, step)
        return results

    # ------------------------------------------------------------------ predict

    def predict(
        self,
        input_fn: Callable,
        predict_keys: Any = None,
        hooks: Any = None,
        checkpoint_path: str | None = None,
        yield_single_examples: bool = True,
    ) -> Iterator[Any]:
        """The model's predictions at the latest checkpoint, one example (or one batch) at a
        time, until the input ends."""
        hooks = list(hooks or [])
        checkpoint_path = self._checkpoint_to_restore(checkpoint_path, "predict")
        with self._graph().as_default():
            tf.train.get_or_create_global_step()
            features, _, input_hooks = self._call_input_fn(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            predictions = _extract_keys(spec.predictions, predict_keys)
            creator = tf.train.ChiefSessionCreator(
                checkpoint_filename_with_path=checkpoint_path,
                master=self._config.master,
                scaffold=spec.scaffold,
                config=self._config.session_config,
            )
            all_hooks = [*input_hooks, *hooks, *spec.prediction_hooks]
            with tf.train.MonitoredSession(session_creator=creator, hooks=all_hooks) as session:
                while not session.should_stop():
                    values = session.run(predictions)
                    if not yield_single_examples:
                        yield values
                    elif not isinstance(predictions, dict):
                        yield from values
                    else:
                        for i in range(_batch_length(values)):
                            yield {key: value[i] for key, value in values.items()}

    # ------------------------------------------------------------------ what is not provided

    def export_saved_model(self, *args: Any, **kwargs: Any) -> Any:
        raise Refusal(
            "Estimator.export_saved_model/export_savedmodel is not provided by tf1_mnist.legacy's "
            "tf.estimator: the checkpoints in model_dir hold the trained model "
            "(tf.train.Saver restores them)"
        )

    export_savedmodel = export_saved_model


def _add_default_saver(scaffold: Any, config: Any) -> None:
    """TF 1.x's Estimator saver (sharded, relative paths, the config's retention) unless the
    model_fn's scaffold or graph brought one."""
    if not (scaffold.saver or tf.get_collection(tf.GraphKeys.SAVERS)):
        tf.add_to_collection(
            tf.GraphKeys.SAVERS,
            tf.train.Saver(
                sharded=True,
                max_to_keep=config.keep_checkpoint_max,
                keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours,
                defer_build=True,
                save_relative_paths=True,
            ),
        )


def _extract_keys(predictions: Any, predict_keys: Any) -> Any:
    if not predict_keys:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict predictions.")
    if isinstance(predict_keys, str):
        predict_keys = [predict_keys]
    chosen = {key: value for key, value in predictions.items() if key in predict_keys}
    if not chosen:
        raise ValueError(
            f"Expected to run at least one output from {list(predictions)}, provided "
            f"{predict_keys}."
        )
    return chosen


def _batch_length(values: dict) -> int:
    lengths = {key: value.shape[0] for key, value in values.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(
            "Batch length of predictions should be same. "
            + ", ".join(f"{k} has different batch length than others." for k in lengths)
        )
    return next(iter(lengths.values()))
