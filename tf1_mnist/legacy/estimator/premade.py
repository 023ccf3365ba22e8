"""TF 1.x's premade estimators over ``tf.feature_column`` columns: ``DNNClassifier``,
``LinearClassifier``, ``DNNLinearCombinedClassifier`` and their regressors.

The networks, variable names, default optimizers and learning rates, the SUM loss reduction,
the prediction keys and the eval metrics are TF 1.x's (``tensorflow_estimator`` 1.15's canned
``dnn``, ``linear``, ``dnn_linear_combined`` and heads).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from tf1_mnist.legacy.estimator.estimator import Estimator, EstimatorSpec, ModeKeys, tf
from tf1_mnist.legacy.estimator.run_config import RunConfig

_OPTIMIZERS = {
    "Adagrad": lambda rate: tf.train.AdagradOptimizer(learning_rate=rate),
    "Adam": lambda rate: tf.train.AdamOptimizer(learning_rate=rate),
    "Ftrl": lambda rate: tf.train.FtrlOptimizer(learning_rate=rate),
    "RMSProp": lambda rate: tf.train.RMSPropOptimizer(learning_rate=rate),
    "SGD": lambda rate: tf.train.GradientDescentOptimizer(learning_rate=rate),
}
_DNN_LEARNING_RATE = 0.05
_LINEAR_LEARNING_RATE = 0.2
_COMBINED_DNN_LEARNING_RATE = 0.001
_COMBINED_LINEAR_LEARNING_RATE = 0.005


def _optimizer(optimizer: Any, learning_rate: float) -> Any:
    """An optimizer from its TF 1.x name, an instance, or a function returning one."""
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(
                f"Unsupported optimizer name: {optimizer}. Supported names are: "
                f"{tuple(sorted(_OPTIMIZERS))}"
            )
        return _OPTIMIZERS[optimizer](learning_rate)
    if callable(optimizer) and not isinstance(optimizer, tf.train.Optimizer):
        optimizer = optimizer()
    if not isinstance(optimizer, tf.train.Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {optimizer}")
    return optimizer


# --------------------------------------------------------------------------- networks


def _dense(net: Any, units: int, activation: Callable | None, name: str) -> Any:
    with tf.variable_scope(name):
        kernel = tf.get_variable(
            "kernel", [net.shape[-1], units], initializer=tf.glorot_uniform_initializer()
        )
        bias = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        net = tf.nn.bias_add(tf.matmul(net, kernel), bias)
        return activation(net) if activation is not None else net


def _dnn_logits(
    features: Any,
    mode: str,
    units: int,
    hidden_units: Sequence[int],
    feature_columns: Sequence[Any],
    activation_fn: Callable,
    dropout: float | None,
    batch_norm: bool,
) -> Any:
    training = mode == ModeKeys.TRAIN
    with tf.variable_scope("dnn"):
        with tf.variable_scope("input_from_feature_columns"):
            net = tf.feature_column.input_layer(features, list(feature_columns))
        for i, width in enumerate(hidden_units):
            net = _dense(net, width, activation_fn, f"hiddenlayer_{i}")
            if dropout is not None and training:
                net = tf.nn.dropout(net, rate=dropout)
            if batch_norm:
                net = tf.layers.batch_normalization(
                    net, momentum=0.999, training=training, name=f"batchnorm_{i}"
                )
            tf.summary.histogram(f"hiddenlayer_{i}/activation", net)
            tf.summary.scalar(f"hiddenlayer_{i}/fraction_of_zero_values", tf.nn.zero_fraction(net))
        return _dense(net, units, None, "logits")


def _linear_logits(features: Any, units: int, feature_columns: Sequence[Any], combiner: str) -> Any:
    with tf.variable_scope("linear"):
        return tf.feature_column.linear_model(
            features, list(feature_columns), units=units, sparse_combiner=combiner
        )


# --------------------------------------------------------------------------- heads


class _Head:
    """Loss, predictions and metrics over logits: TF 1.x's classification and regression
    heads (a loss summed over the batch unless ``loss_reduction`` says otherwise)."""

    def __init__(
        self,
        n_classes: int | None,
        weight_column: Any,
        label_vocabulary: Sequence[str] | None,
        loss_reduction: str,
        label_dimension: int = 1,
    ) -> None:
        if n_classes is not None and n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for classification: {n_classes}")
        if label_vocabulary is not None and (
            n_classes is None or len(label_vocabulary) != n_classes
        ):
            raise ValueError(
                f"label_vocabulary should have n_classes={n_classes} entries: {label_vocabulary}"
            )
        self.n_classes, self.weight_column = n_classes, weight_column
        self.label_vocabulary = list(label_vocabulary) if label_vocabulary else None
        self.loss_reduction, self.label_dimension = loss_reduction, label_dimension

    @property
    def logits_dimension(self) -> int:
        if self.n_classes is None:
            return self.label_dimension
        return 1 if self.n_classes == 2 else self.n_classes

    def _weights(self, features: Any) -> Any:
        if self.weight_column is None:
            return 1.0
        key = getattr(self.weight_column, "key", self.weight_column)
        return tf.reshape(tf.cast(features[key], tf.float32), [-1, 1])

    def _class_ids(self, labels: Any) -> Any:
        if isinstance(labels, dict):
            raise ValueError("A premade classifier takes labels as one tensor, not a dict.")
        labels = tf.convert_to_tensor(labels)
        if self.label_vocabulary is not None:
            vocabulary = tf.constant(self.label_vocabulary)
            ids = tf.argmax(
                tf.cast(tf.equal(tf.reshape(labels, [-1, 1]), vocabulary[None, :]), tf.int64), 1
            )
            return tf.reshape(ids, [-1, 1])
        ids = tf.reshape(tf.cast(labels, tf.int64), [-1, 1])
        checks = [
            tf.assert_non_negative(ids, message="Labels must >= 0"),
            tf.assert_less(
                ids, tf.cast(self.n_classes, tf.int64), message="Labels must <= n_classes - 1"
            ),
        ]
        with tf.control_dependencies(checks):
            return tf.identity(ids)

    def _classes(self, class_ids: Any) -> Any:
        if self.label_vocabulary is not None:
            return tf.gather(tf.constant(self.label_vocabulary), class_ids)
        return tf.as_string(class_ids)

    def predictions(self, logits: Any) -> dict[str, Any]:
        if self.n_classes is None:
            return {"predictions": logits}
        all_class_ids = tf.tile(
            tf.range(self.n_classes, dtype=tf.int64)[None, :], [tf.shape(logits)[0], 1]
        )
        every_class = {"all_class_ids": all_class_ids, "all_classes": self._classes(all_class_ids)}
        if self.n_classes == 2:
            logistic = tf.sigmoid(logits)
            class_ids = tf.cast(tf.greater(logits, 0.0), tf.int64)
            return {
                "logits": logits,
                "logistic": logistic,
                "probabilities": tf.concat([1.0 - logistic, logistic], axis=1),
                "class_ids": class_ids,
                "classes": self._classes(class_ids),
                **every_class,
            }
        class_ids = tf.expand_dims(tf.argmax(logits, axis=1), axis=1)
        return {
            "logits": logits,
            "probabilities": tf.nn.softmax(logits),
            "class_ids": class_ids,
            "classes": self._classes(class_ids),
            **every_class,
        }

    def create_spec(
        self, features: Any, mode: str, logits: Any, labels: Any, train_op_fn: Callable
    ) -> EstimatorSpec:
        predictions = self.predictions(logits)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions)
        weights = self._weights(features)
        if self.n_classes is None:
            labels = tf.reshape(tf.cast(labels, tf.float32), [-1, self.label_dimension])
            unweighted = tf.square(logits - labels)
        elif self.n_classes == 2:
            labels = self._class_ids(labels)
            unweighted = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(labels, tf.float32), logits=logits
            )
        else:
            labels = self._class_ids(labels)
            unweighted = tf.expand_dims(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.squeeze(labels, axis=1), logits=logits
                ),
                axis=1,
            )
        loss = tf.losses.compute_weighted_loss(
            unweighted, weights=weights, reduction=self.loss_reduction
        )
        if mode == ModeKeys.EVAL:
            return EstimatorSpec(
                mode,
                predictions=predictions,
                loss=loss,
                eval_metric_ops=self._metrics(labels, predictions, unweighted, weights),
            )
        tf.summary.scalar(
            "average_loss",
            tf.losses.compute_weighted_loss(
                unweighted, weights=weights, reduction=tf.losses.Reduction.MEAN
            ),
        )
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op_fn(loss))

    def _metrics(self, labels: Any, predictions: dict, unweighted: Any, weights: Any) -> dict:
        weights = None if isinstance(weights, float) else weights
        metrics = {"average_loss": tf.metrics.mean(unweighted, weights=weights)}
        if self.n_classes is None:
            metrics["label/mean"] = tf.metrics.mean(labels, weights=weights)
            metrics["prediction/mean"] = tf.metrics.mean(
                predictions["predictions"], weights=weights
            )
            return metrics
        metrics["accuracy"] = tf.metrics.accuracy(labels, predictions["class_ids"], weights=weights)
        if self.n_classes == 2:
            probability = predictions["logistic"]
            label_mean = tf.metrics.mean(labels, weights=weights)
            metrics["label/mean"] = label_mean
            metrics["prediction/mean"] = tf.metrics.mean(probability, weights=weights)
            metrics["accuracy_baseline"] = (
                tf.maximum(label_mean[0], 1.0 - label_mean[0]),
                tf.maximum(label_mean[1], 1.0 - label_mean[1]),
            )
            metrics["auc"] = tf.metrics.auc(labels, probability, weights=weights)
            metrics["auc_precision_recall"] = tf.metrics.auc(
                labels, probability, weights=weights, curve="PR"
            )
            metrics["precision"] = tf.metrics.precision(
                labels, predictions["class_ids"], weights=weights
            )
            metrics["recall"] = tf.metrics.recall(labels, predictions["class_ids"], weights=weights)
        return metrics


def _minimize(optimizer: Any, loss: Any, var_list: list | None = None) -> Any:
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        return optimizer.minimize(loss, var_list=var_list)


def _train_op_with_step(train_ops: list) -> Any:
    with tf.control_dependencies(train_ops):
        return tf.assign_add(tf.train.get_global_step(), 1).op


_SUM = "weighted_sum"


class _Premade(Estimator):
    """An Estimator whose model_fn is built from the constructor's arguments."""

    def __init__(
        self, model_fn: Callable, model_dir: Any, config: RunConfig | None, warm_start_from: Any
    ) -> None:
        super().__init__(
            model_fn=model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


def _dnn_model_fn(
    head: _Head, hidden_units, feature_columns, optimizer, activation_fn, dropout, batch_norm
) -> Callable:
    """The DNN estimators' model_fn (core and contrib.learn alike); the columns and layer
    widths are read once here, so an iterator given for them is not used up by the first
    graph, and no activation means TF 1.x's ReLU."""
    hidden_units, feature_columns = list(hidden_units), list(feature_columns)
    activation_fn = activation_fn or tf.nn.relu

    def model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
        logits = _dnn_logits(
            features,
            mode,
            head.logits_dimension,
            hidden_units,
            feature_columns,
            activation_fn,
            dropout,
            batch_norm,
        )
        return head.create_spec(
            features,
            mode,
            logits,
            labels,
            lambda loss: _train_op_with_step(
                [_minimize(_optimizer(optimizer, _DNN_LEARNING_RATE), loss)]
            ),
        )

    return model_fn


def _linear_model_fn(head: _Head, feature_columns, optimizer, sparse_combiner) -> Callable:
    """The linear estimators' model_fn; TF 1.x's learning rate shrinks with the number of
    columns."""
    feature_columns = list(feature_columns)
    rate = min(_LINEAR_LEARNING_RATE, 1.0 / math.sqrt(len(feature_columns)))

    def model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
        logits = _linear_logits(features, head.logits_dimension, feature_columns, sparse_combiner)
        return head.create_spec(
            features,
            mode,
            logits,
            labels,
            lambda loss: _train_op_with_step([_minimize(_optimizer(optimizer, rate), loss)]),
        )

    return model_fn


def _combined_model_fn(
    head: _Head,
    linear_feature_columns,
    linear_optimizer,
    dnn_feature_columns,
    dnn_optimizer,
    dnn_hidden_units,
    dnn_activation_fn,
    dnn_dropout,
    batch_norm,
    linear_sparse_combiner,
) -> Callable:
    """The wide-and-deep model_fn: the logits of both parts summed, each part trained by its
    own optimizer on its own variables."""
    linear_columns, dnn_columns = _combined_columns(
        linear_feature_columns, dnn_feature_columns, dnn_hidden_units
    )
    linear_rate = (
        min(_COMBINED_LINEAR_LEARNING_RATE, 1.0 / math.sqrt(len(linear_columns)))
        if linear_columns
        else 0
    )
    dnn_activation_fn = dnn_activation_fn or tf.nn.relu

    def model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
        logits, parts = [], []
        if dnn_columns:
            logits.append(
                _dnn_logits(
                    features,
                    mode,
                    head.logits_dimension,
                    dnn_hidden_units,
                    dnn_columns,
                    dnn_activation_fn,
                    dnn_dropout,
                    batch_norm,
                )
            )
            parts.append(("dnn", dnn_optimizer, _COMBINED_DNN_LEARNING_RATE))
        if linear_columns:
            logits.append(
                _linear_logits(
                    features, head.logits_dimension, linear_columns, linear_sparse_combiner
                )
            )
            parts.append(("linear", linear_optimizer, linear_rate))
        return head.create_spec(
            features,
            mode,
            tf.add_n(logits) if len(logits) > 1 else logits[0],
            labels,
            lambda loss: _train_op_per_part(parts, loss),
        )

    return model_fn


def _combined_columns(
    linear_feature_columns: Any, dnn_feature_columns: Any, dnn_hidden_units: Any
) -> tuple[list, list]:
    """Both column lists, refused as TF 1.x refused them: at least one part, and a DNN part
    only with its layer widths."""
    linear_columns, dnn_columns = (
        list(linear_feature_columns or []),
        list(dnn_feature_columns or []),
    )
    if not linear_columns and not dnn_columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    if dnn_columns and not dnn_hidden_units:
        raise ValueError(
            "dnn_hidden_units must be defined when dnn_feature_columns is specified. "
            f"Given: {dnn_hidden_units}"
        )
    return linear_columns, dnn_columns


def _train_op_per_part(parts: list, loss: Any) -> Any:
    """One minimize per part, restricted to the variables under its scope, then one step."""
    ops = []
    for scope, optimizer, rate in parts:
        variables = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope=scope + "/")
        ops.append(_minimize(_optimizer(optimizer, rate), loss, variables))
    return _train_op_with_step(ops)


class DNNClassifier(_Premade):
    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Adagrad",
        activation_fn=None,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        batch_norm=False,
    ) -> None:
        head = _Head(n_classes, weight_column, label_vocabulary, loss_reduction)
        model_fn = _dnn_model_fn(
            head,
            hidden_units,
            feature_columns,
            optimizer,
            activation_fn,
            dropout,
            batch_norm,
        )
        super().__init__(model_fn, model_dir, config, warm_start_from)


class DNNRegressor(_Premade):
    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Adagrad",
        activation_fn=None,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        batch_norm=False,
    ) -> None:
        head = _Head(None, weight_column, None, loss_reduction, label_dimension)
        model_fn = _dnn_model_fn(
            head,
            hidden_units,
            feature_columns,
            optimizer,
            activation_fn,
            dropout,
            batch_norm,
        )
        super().__init__(model_fn, model_dir, config, warm_start_from)


class LinearClassifier(_Premade):
    def __init__(
        self,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        sparse_combiner="sum",
    ) -> None:
        head = _Head(n_classes, weight_column, label_vocabulary, loss_reduction)
        model_fn = _linear_model_fn(head, feature_columns, optimizer, sparse_combiner)
        super().__init__(model_fn, model_dir, config, warm_start_from)


class LinearRegressor(_Premade):
    def __init__(
        self,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        sparse_combiner="sum",
    ) -> None:
        head = _Head(None, weight_column, None, loss_reduction, label_dimension)
        model_fn = _linear_model_fn(head, feature_columns, optimizer, sparse_combiner)
        super().__init__(model_fn, model_dir, config, warm_start_from)


class DNNLinearCombinedClassifier(_Premade):
    def __init__(
        self,
        model_dir=None,
        linear_feature_columns=None,
        linear_optimizer="Ftrl",
        dnn_feature_columns=None,
        dnn_optimizer="Adagrad",
        dnn_hidden_units=None,
        dnn_activation_fn=None,
        dnn_dropout=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        batch_norm=False,
        linear_sparse_combiner="sum",
    ) -> None:
        head = _Head(n_classes, weight_column, label_vocabulary, loss_reduction)
        model_fn = _combined_model_fn(
            head,
            linear_feature_columns,
            linear_optimizer,
            dnn_feature_columns,
            dnn_optimizer,
            dnn_hidden_units,
            dnn_activation_fn,
            dnn_dropout,
            batch_norm,
            linear_sparse_combiner,
        )
        super().__init__(model_fn, model_dir, config, warm_start_from)


class DNNLinearCombinedRegressor(_Premade):
    def __init__(
        self,
        model_dir=None,
        linear_feature_columns=None,
        linear_optimizer="Ftrl",
        dnn_feature_columns=None,
        dnn_optimizer="Adagrad",
        dnn_hidden_units=None,
        dnn_activation_fn=None,
        dnn_dropout=None,
        label_dimension=1,
        weight_column=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=_SUM,
        batch_norm=False,
        linear_sparse_combiner="sum",
    ) -> None:
        head = _Head(None, weight_column, None, loss_reduction, label_dimension)
        model_fn = _combined_model_fn(
            head,
            linear_feature_columns,
            linear_optimizer,
            dnn_feature_columns,
            dnn_optimizer,
            dnn_hidden_units,
            dnn_activation_fn,
            dnn_dropout,
            batch_norm,
            linear_sparse_combiner,
        )
        super().__init__(model_fn, model_dir, config, warm_start_from)
