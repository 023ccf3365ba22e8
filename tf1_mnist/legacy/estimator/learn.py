"""``tf.contrib.learn``'s MNIST-era estimator names, where TF 1.x's ``tf.estimator`` is their
exact successor: ``RunConfig``, ``Estimator`` with ``ModelFnOps``/``MetricSpec``,
``DNNClassifier``, ``LinearClassifier``, ``SKCompat``, ``infer_real_valued_columns_from_input``.

Their ``fit(x, y)``/``predict(x)`` (numpy in, numpy out) are ``numpy_input_fn`` over the
arrays, and an unnamed feature column (``""``) stands for the whole feature tensor, as
``infer_real_valued_columns_from_input`` made it in TF 1.x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tf1_mnist.legacy.estimator import premade
from tf1_mnist.legacy.estimator.estimator import Estimator as _CoreEstimator
from tf1_mnist.legacy.estimator.estimator import EstimatorSpec, ModeKeys, fn_args, tf
from tf1_mnist.legacy.estimator.inputs import numpy_input_fn
from tf1_mnist.legacy.estimator.run_config import _USE_DEFAULT
from tf1_mnist.legacy.estimator.run_config import RunConfig as _CoreRunConfig
from tf1_mnist.legacy.namespace import Refusal


class ModeKeys_:  # noqa: N801 - contrib.learn's spelling of PREDICT was INFER
    TRAIN = ModeKeys.TRAIN
    EVAL = ModeKeys.EVAL
    INFER = ModeKeys.PREDICT


class RunConfig(_CoreRunConfig):
    """``tf.contrib.learn.RunConfig``: the core one, with the hardware arguments of its day
    (cores, GPU memory fraction, device placement logging) read into ``session_config``."""

    def __init__(
        self,
        master: Any = None,
        num_cores: int = 0,
        log_device_placement: bool = False,
        gpu_memory_fraction: float = 1,
        tf_random_seed: int | None = None,
        save_summary_steps: int = 100,
        save_checkpoints_secs: Any = _USE_DEFAULT,
        save_checkpoints_steps: Any = None,
        keep_checkpoint_max: int = 5,
        keep_checkpoint_every_n_hours: float = 10000,
        log_step_count_steps: int = 100,
        protocol: Any = None,
        evaluation_master: str = "",
        model_dir: str | None = None,
        session_config: Any = None,
    ) -> None:
        if session_config is None and (
            num_cores or log_device_placement or gpu_memory_fraction < 1
        ):
            session_config = tf.ConfigProto(
                log_device_placement=log_device_placement,
                inter_op_parallelism_threads=num_cores,
                intra_op_parallelism_threads=num_cores,
                gpu_options=tf.GPUOptions(per_process_gpu_memory_fraction=gpu_memory_fraction),
            )
        if save_checkpoints_steps is not None and save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = None
        elif save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = 600
        super().__init__(
            model_dir=model_dir,
            tf_random_seed=tf_random_seed,
            save_summary_steps=save_summary_steps,
            save_checkpoints_steps=save_checkpoints_steps,
            save_checkpoints_secs=save_checkpoints_secs,
            session_config=session_config,
            keep_checkpoint_max=keep_checkpoint_max,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            log_step_count_steps=log_step_count_steps,
        )


def ModelFnOps(  # noqa: N802 - TF 1.x's class name
    mode: str,
    predictions: Any = None,
    loss: Any = None,
    train_op: Any = None,
    eval_metric_ops: dict | None = None,
    output_alternatives: Any = None,
    training_chief_hooks: Any = None,
    training_hooks: Any = None,
    scaffold: Any = None,
) -> EstimatorSpec:
    """contrib.learn's model_fn result: an EstimatorSpec (its fields are the same)."""
    return EstimatorSpec(
        mode=mode,
        predictions=predictions,  # EstimatorSpec says so when PREDICT mode has none
        loss=loss,
        train_op=train_op,
        eval_metric_ops=eval_metric_ops,
        training_chief_hooks=training_chief_hooks,
        training_hooks=training_hooks,
        scaffold=scaffold,
    )


class MetricSpec:
    """``MetricSpec(metric_fn, prediction_key, label_key, weight_key)`` for ``evaluate``."""

    def __init__(
        self,
        metric_fn: Callable,
        prediction_key: str | None = None,
        label_key: str | None = None,
        weight_key: str | None = None,
    ) -> None:
        self.metric_fn, self.prediction_key = metric_fn, prediction_key
        self.label_key, self.weight_key = label_key, weight_key

    def create_metric_ops(self, features: Any, labels: Any, predictions: Any) -> Any:
        if isinstance(predictions, dict):
            if self.prediction_key is None:
                raise ValueError("MetricSpec without prediction_key, but predictions is a dict")
            predictions = predictions[self.prediction_key]
        if isinstance(labels, dict) and self.label_key is not None:
            labels = labels[self.label_key]
        kwargs = {"labels": labels, "predictions": predictions}
        if self.weight_key is not None:
            kwargs["weights"] = features[self.weight_key]
        return self.metric_fn(**kwargs)


def _as_spec(result: Any, mode: str) -> EstimatorSpec:
    if isinstance(result, EstimatorSpec):
        return result
    if isinstance(result, tuple) and len(result) == 3:  # contrib's (predictions, loss, train_op)
        predictions, loss, train_op = result
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions)
        if mode == ModeKeys.EVAL:
            return EstimatorSpec(mode, predictions=predictions, loss=loss)
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op)
    raise ValueError("model_fn should return a ModelFnOps or (predictions, loss, train_op).")


def _refuse_monitors(monitors: Any) -> list:
    hooks = []
    for monitor in monitors or ():
        if not isinstance(monitor, tf.train.SessionRunHook):
            raise Refusal(
                f"tf.contrib.learn monitor {type(monitor).__name__} has no TF 1.x core "
                "equivalent that tf1_mnist.legacy maps: pass a tf.train.SessionRunHook "
                "(LoggingTensorHook, ...) or use tf.estimator.train_and_evaluate"
            )
        hooks.append(monitor)
    return hooks


class Estimator(_CoreEstimator):
    """``tf.contrib.learn.Estimator``: model_fn(features, labels, mode[, params][, config])
    returning ModelFnOps, and the numpy ``fit``/``evaluate``/``predict`` forms."""

    def __init__(
        self,
        model_fn: Callable | None = None,
        model_dir: str | None = None,
        config: Any = None,
        params: dict | None = None,
        feature_engineering_fn: Callable | None = None,
    ) -> None:
        self._contrib_fn, self._engineer = model_fn, feature_engineering_fn
        self._metric_specs: dict[str, MetricSpec] = {}
        super().__init__(self._wrapped_model_fn, model_dir, config, params)

    def _wrapped_model_fn(
        self, features: Any, labels: Any, mode: str, params: Any, config: Any
    ) -> EstimatorSpec:
        if self._engineer is not None:
            features, labels = self._engineer(features, labels)
        spec = _as_spec(self._user_model_fn(features, labels, mode, params, config), mode)
        if mode == ModeKeys.EVAL and self._metric_specs:
            metrics = dict(spec.eval_metric_ops)
            for name, metric in self._metric_specs.items():
                key = name if isinstance(name, str) else name[0]
                metrics[key] = metric.create_metric_ops(features, labels, spec.predictions)
            spec = spec._replace(eval_metric_ops=metrics)
        return spec

    def _user_model_fn(
        self, features: Any, labels: Any, mode: str, params: Any, config: Any
    ) -> Any:
        args = fn_args(self._contrib_fn)
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = params
        if "config" in args:
            kwargs["config"] = config
        return self._contrib_fn(features, labels, **kwargs)

    def _input(
        self, x: Any, y: Any, input_fn: Any, batch_size: Any, epochs: Any, shuffle: bool
    ) -> Callable:
        if input_fn is not None:
            if x is not None or y is not None:
                raise ValueError("Either x, y or input_fn must be provided, not both.")
            return input_fn
        if x is None:
            raise ValueError("Either x or input_fn must be provided.")
        if isinstance(x, dict) or not hasattr(x, "shape"):
            x = np.asarray(x)
        return numpy_input_fn(x, y, batch_size=batch_size or 32, num_epochs=epochs, shuffle=shuffle)

    def fit(
        self,
        x=None,
        y=None,
        input_fn=None,
        steps=None,
        batch_size=None,
        monitors=None,
        max_steps=None,
    ) -> Estimator:
        hooks = _refuse_monitors(monitors)
        self.train(
            self._input(x, y, input_fn, batch_size, None, True),
            hooks=hooks,
            steps=steps,
            max_steps=max_steps,
        )
        return self

    def evaluate(
        self,
        x=None,
        y=None,
        input_fn=None,
        feed_fn=None,
        batch_size=None,
        steps=None,
        metrics=None,
        name=None,
        checkpoint_path=None,
        hooks=None,
        log_progress=True,
    ) -> dict:
        if feed_fn is not None:
            raise Refusal(
                "tf.contrib.learn evaluate(feed_fn=...) has no TF 1.x core equivalent: pass x and y"
            )
        self._metric_specs = dict(metrics or {})
        try:
            return super().evaluate(
                self._input(x, y, input_fn, batch_size, 1, False),
                steps=steps,
                hooks=hooks,
                checkpoint_path=checkpoint_path,
                name=name,
            )
        finally:
            self._metric_specs = {}

    def predict(
        self, x=None, input_fn=None, batch_size=None, outputs=None, as_iterable=True, **kwargs: Any
    ) -> Any:
        if (
            "predict_keys" in kwargs or "yield_single_examples" in kwargs or "hooks" in kwargs
        ):  # the core form
            return super().predict(input_fn, **kwargs)
        results = super().predict(
            self._input(x, None, input_fn, batch_size, 1, False), predict_keys=outputs
        )
        if as_iterable:
            return results
        results = list(results)
        if results and isinstance(results[0], dict):
            return {key: np.stack([r[key] for r in results]) for key in results[0]}
        return np.stack(results)


def _whole_tensor(features: Any) -> Any:
    return features if isinstance(features, dict) else {"": features}


class _Classifier(Estimator):
    """contrib.learn's DNN/Linear classifiers: their mean loss and their predict_* methods."""

    def __init__(
        self, model_fn: Callable, model_dir: Any, config: Any, feature_engineering_fn: Any
    ) -> None:
        super().__init__(
            lambda features, labels, mode: model_fn(_whole_tensor(features), labels, mode),
            model_dir,
            config,
            None,
            feature_engineering_fn,
        )

    def predict_classes(self, x=None, input_fn=None, batch_size=None, as_iterable=True) -> Any:
        classes = (
            p["class_ids"][0]
            for p in Estimator.predict(self, x, input_fn, batch_size, outputs=["class_ids"])
        )
        return classes if as_iterable else np.array(list(classes))

    def predict_proba(self, x=None, input_fn=None, batch_size=None, as_iterable=True) -> Any:
        probabilities = (
            p["probabilities"]
            for p in Estimator.predict(self, x, input_fn, batch_size, outputs=["probabilities"])
        )
        return probabilities if as_iterable else np.array(list(probabilities))

    def predict(
        self, x=None, input_fn=None, batch_size=None, as_iterable=True, **kwargs: Any
    ) -> Any:
        if kwargs.get("outputs"):
            return Estimator.predict(
                self, x, input_fn, batch_size, as_iterable=as_iterable, **kwargs
            )
        return self.predict_classes(x, input_fn, batch_size, as_iterable)


def _refuse_changed_maths(**arguments: Any) -> None:
    """contrib.learn's options that would train another model than ours: given, they are
    refused by name (never accepted and ignored)."""
    given = [name for name, value in arguments.items() if value not in (None, False)]
    if given:
        raise Refusal(
            f"tf.contrib.learn's {', '.join(given)} is not provided by tf1_mnist.legacy: leave "
            "it out (the model then trains without it), or use tf.estimator's premade models"
        )


class DNNClassifier(_Classifier):
    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column_name=None,
        optimizer=None,
        activation_fn=None,
        dropout=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        config=None,
        feature_engineering_fn=None,
        embedding_lr_multipliers=None,
        input_layer_min_slice_size=None,
        label_keys=None,
    ) -> None:
        _refuse_changed_maths(
            gradient_clip_norm=gradient_clip_norm,
            enable_centered_bias=enable_centered_bias,
            embedding_lr_multipliers=embedding_lr_multipliers,
        )
        head = premade._Head(n_classes, weight_column_name, label_keys, tf.losses.Reduction.MEAN)
        model_fn = premade._dnn_model_fn(
            head,
            hidden_units,
            feature_columns,
            optimizer or "Adagrad",
            activation_fn,
            dropout,
            False,
        )
        super().__init__(model_fn, model_dir, config, feature_engineering_fn)


class LinearClassifier(_Classifier):
    def __init__(
        self,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column_name=None,
        optimizer=None,
        gradient_clip_norm=None,
        enable_centered_bias=False,
        _joint_weight=False,
        config=None,
        feature_engineering_fn=None,
        label_keys=None,
    ) -> None:
        _refuse_changed_maths(
            gradient_clip_norm=gradient_clip_norm,
            enable_centered_bias=enable_centered_bias,
            _joint_weight=_joint_weight,
        )
        head = premade._Head(n_classes, weight_column_name, label_keys, tf.losses.Reduction.MEAN)
        model_fn = premade._linear_model_fn(head, feature_columns, optimizer or "Ftrl", "sum")
        super().__init__(model_fn, model_dir, config, feature_engineering_fn)


class SKCompat:
    """``SKCompat(estimator)``: scikit-learn's fit/score/predict over numpy arrays."""

    def __init__(self, estimator: Estimator) -> None:
        self._estimator = estimator

    def fit(self, x, y, batch_size=128, steps=None, max_steps=None, monitors=None) -> SKCompat:
        self._estimator.fit(
            x=x, y=y, batch_size=batch_size, steps=steps, max_steps=max_steps, monitors=monitors
        )
        return self

    def score(self, x, y, batch_size=128, steps=None, metrics=None, name=None) -> dict:
        return self._estimator.evaluate(
            x=x, y=y, batch_size=batch_size, steps=steps, metrics=metrics, name=name
        )

    def predict(self, x, batch_size=128, outputs=None) -> Any:
        return Estimator.predict(
            self._estimator, x=x, batch_size=batch_size, outputs=outputs, as_iterable=False
        )


def infer_real_valued_columns_from_input(x: Any) -> list:
    """One numeric column named ``""`` over the whole feature array (TF 1.x's inference)."""
    x = np.asarray(x)
    shape = tuple(x.shape[1:]) or (1,)
    dtype = tf.float32 if x.dtype.kind == "f" else tf.int64
    return [tf.feature_column.numeric_column("", shape=shape, dtype=dtype)]


def infer_real_valued_columns_from_input_fn(input_fn: Callable) -> list:
    with tf.Graph().as_default():
        features = input_fn()
        if isinstance(features, tuple):
            features = features[0]
        features = _whole_tensor(features)
        return [
            tf.feature_column.numeric_column(
                key, shape=tuple(t.shape[1:].as_list()) or (1,), dtype=t.dtype
            )
            for key, t in features.items()
        ]


def real_valued_column(
    column_name: str,
    dimension: int = 1,
    default_value: Any = None,
    dtype: Any = None,
    normalizer: Any = None,
) -> Any:
    """``tf.contrib.layers.real_valued_column``: the core numeric_column."""
    return tf.feature_column.numeric_column(
        column_name,
        shape=(dimension,),
        default_value=default_value,
        dtype=dtype or tf.float32,
        normalizer_fn=normalizer,
    )


def names() -> dict[str, Any]:
    """``tf.contrib.learn``'s names provided here (and contrib.layers' real_valued_column)."""
    return {
        "real_valued_column": real_valued_column,
        "RunConfig": RunConfig,
        "Estimator": Estimator,
        "ModelFnOps": ModelFnOps,
        "MetricSpec": MetricSpec,
        "ModeKeys": ModeKeys_,
        "DNNClassifier": DNNClassifier,
        "LinearClassifier": LinearClassifier,
        "SKCompat": SKCompat,
        "infer_real_valued_columns_from_input": infer_real_valued_columns_from_input,
        "infer_real_valued_columns_from_input_fn": infer_real_valued_columns_from_input_fn,
    }
