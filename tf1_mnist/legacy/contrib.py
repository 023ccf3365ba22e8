"""``tf.contrib`` under the legacy runner: the parts MNIST tutorials use that have an exact
TF 1.x equivalent, and a clear refusal naming a replacement for the rest.

The mappings follow TensorFlow 2's own upgrade tool (``tf_upgrade_v2``), which moved
``tf.contrib.rnn``'s cells and ``static_*rnn`` into ``tf.compat.v1.nn``, and the
``tf-slim`` package, where ``tf.contrib.slim``, ``tf.contrib.layers``' layers, initializers,
regularizers and summaries and ``tf.contrib.framework``'s ``arg_scope`` live on unchanged.
``tf.contrib.learn``'s MNIST reader is TensorFlow's ``input_data``, ours.
"""

from __future__ import annotations

import types
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.legacy.namespace import Lazy, Namespace, package_module

UNSUPPORTED = {
    "factorization": "`tf.contrib.factorization` (k-means, WALS) has no TF 1.x core equivalent: "
    "use scikit-learn's KMeans (pip install scikit-learn)",
    "tensor_forest": "`tf.contrib.tensor_forest` (random forests) has no TF 1.x core "
    "equivalent: use scikit-learn's RandomForestClassifier (pip install scikit-learn)",
    "boosted_trees": "`tf.contrib.boosted_trees` has no TF 1.x core equivalent (tf.estimator's "
    "BoostedTrees went with tf.estimator in TensorFlow 2.16): use scikit-learn's "
    "GradientBoostingClassifier (pip install scikit-learn)",
    "learn": "`tf.contrib.learn` (TF 1.x) maps only the names with an exact tf.estimator "
    "successor (RunConfig, Estimator, ModelFnOps, MetricSpec, DNNClassifier, LinearClassifier, "
    "SKCompat, infer_real_valued_columns_from_input, datasets): rewrite the rest with "
    "tf.estimator",
}


def _learn(name: str) -> Lazy:
    """A ``tf.contrib.learn`` name from the estimator package (loaded on first use)."""

    def load() -> Any:
        from tf1_mnist.legacy.estimator import learn

        return learn.names()[name]

    return Lazy(load)


# tf.contrib.learn's names with an exact tf.estimator successor (tf1_mnist.legacy.estimator.learn).
LEARN_NAMES = (
    "RunConfig",
    "Estimator",
    "ModelFnOps",
    "MetricSpec",
    "ModeKeys",
    "DNNClassifier",
    "LinearClassifier",
    "SKCompat",
    "infer_real_valued_columns_from_input",
    "infer_real_valued_columns_from_input_fn",
)


def _learn_names() -> dict[str, Lazy]:
    return {name: _learn(name) for name in LEARN_NAMES}


def refusal(parts: list[str]) -> str:
    """The message for ``tf.contrib.<parts...>``, which the runner does not provide."""
    name = ".".join(parts)
    if parts and parts[0] in UNSUPPORTED:
        message = UNSUPPORTED[parts[0]]
        return message if len(parts) == 1 else f"`tf.contrib.{name}`: {message}"
    return (
        f"`tf.contrib.{name}` was removed in TensorFlow 2 and has no TF 1.x equivalent that "
        "tf1_mnist.legacy maps (it maps tf.contrib.rnn, .layers, .slim, .framework, .keras, "
        ".losses and .learn's MNIST reader): replace it by hand, following TensorFlow's "
        "tf_upgrade_v2 list of moves"
    )


def _missing(prefix: str) -> Any:
    return lambda attr: refusal([prefix, attr])


def _slim() -> Any:
    """The tf-slim package, which imports ``tensorflow.python.framework.ops.Tensor``: that
    name moved to ``tensor.Tensor`` in TensorFlow 2.17 and is aliased back for it."""
    import tensorflow as tf
    from tensorflow.python.framework import ops

    if not hasattr(ops, "Tensor"):
        ops.Tensor = tf.Tensor
    _legacy_layers_path()
    import tf_slim

    return tf_slim


def _legacy_layers_path() -> None:
    """``tensorflow.python.layers.normalization`` (tf_slim's batch_norm builds its layer there)
    loads ``tf_keras.legacy_tf_layers.normalization``, a path tf-keras keeps under ``src``."""
    import importlib
    import sys

    if "tf_keras.legacy_tf_layers" in sys.modules:
        return
    try:
        layers = importlib.import_module("tf_keras.src.legacy_tf_layers")
        normalization = importlib.import_module("tf_keras.src.legacy_tf_layers.normalization")
    except ImportError:
        return
    sys.modules["tf_keras.legacy_tf_layers"] = layers
    sys.modules["tf_keras.legacy_tf_layers.normalization"] = normalization


def _mnist_reader() -> types.ModuleType:
    """``tf.contrib.learn.datasets.mnist``: TensorFlow's MNIST reader, which is ours."""
    module = types.ModuleType("tensorflow.contrib.learn.python.learn.datasets.mnist")
    for name in (
        "read_data_sets",
        "load_mnist",
        "DataSet",
        "extract_images",
        "extract_labels",
        "dense_to_one_hot",
        "maybe_download",
        "SOURCE_URL",
    ):
        if hasattr(input_data, name):
            setattr(module, name, getattr(input_data, name))
    module.SOURCE_URL = input_data.DEFAULT_SOURCE_URL
    return module


def _load_dataset(name: str, size: str = "small", test_with_fake_data: bool = False) -> Any:
    """``tf.contrib.learn.datasets.load_dataset``: only 'mnist' is an MNIST tutorial's."""
    if name != "mnist":
        raise ValueError(f"tf1_mnist.legacy provides only the 'mnist' data set, not {name!r}")
    return input_data.load_mnist()


def namespace(v1: Any) -> Namespace:
    """``tensorflow.contrib`` and its mapped parts."""
    learn = _learn_namespace()
    parts = {"rnn": _rnn_namespace(v1), **_slim_parts(v1), "learn": learn}
    return Namespace(
        "tensorflow.contrib",
        package_module("tensorflow.contrib"),
        parts,
        refused={name: UNSUPPORTED[name] for name in UNSUPPORTED if name not in parts},
        missing=lambda attr: refusal([attr]),
    )


def _learn_datasets() -> Namespace:
    """``tf.contrib.learn.datasets``: the MNIST reader the 1.x tutorials import from there."""
    return Namespace(
        "tensorflow.contrib.learn.python.learn.datasets",
        package_module("datasets"),
        {"mnist": _mnist_reader(), "load_dataset": _load_dataset},
        missing=_missing("learn.datasets"),
    )


def _learn_estimators() -> Namespace:
    """``tf.contrib.learn``'s estimators module, where ``model_fn`` scripts import from."""
    model_fn = Namespace(
        "tensorflow.contrib.learn.python.learn.estimators.model_fn",
        package_module("model_fn"),
        {"ModelFnOps": _learn("ModelFnOps"), "ModeKeys": _learn("ModeKeys")},
        missing=_missing("learn.python.learn.estimators.model_fn"),
    )
    return Namespace(
        "tensorflow.contrib.learn.python.learn.estimators",
        package_module("estimators"),
        {"model_fn": model_fn, **_learn_names()},
        missing=_missing("learn.python.learn.estimators"),
    )


def _learn_namespace() -> Namespace:
    """``tf.contrib.learn``, reachable under both its short and its ``python.learn`` path
    (scripts import from either)."""
    datasets = _learn_datasets()
    learn_python_learn = Namespace(
        "tensorflow.contrib.learn.python.learn",
        package_module("learn"),
        {"datasets": datasets},
        missing=_missing("learn"),
    )
    learn_python_learn._extra.update(estimators=_learn_estimators(), **_learn_names())
    return Namespace(
        "tensorflow.contrib.learn",
        package_module("learn"),
        {
            **_learn_names(),
            "datasets": datasets,
            "python": Namespace(
                "tensorflow.contrib.learn.python",
                package_module("python"),
                {"learn": learn_python_learn},
                missing=_missing("learn.python"),
            ),
        },
        missing=_missing("learn"),
    )


def _rnn_namespace(v1: Any) -> Namespace:
    """``tf.contrib.rnn``: TF 1.x's cells, and the static RNN functions it also exported."""
    return Namespace(
        "tensorflow.contrib.rnn",
        v1.nn.rnn_cell,
        {
            "static_rnn": v1.nn.static_rnn,
            "static_bidirectional_rnn": v1.nn.static_bidirectional_rnn,
            "static_state_saving_rnn": v1.nn.static_state_saving_rnn,
        },
        missing=_missing("rnn"),
    )


def _slim_parts(v1: Any) -> dict[str, Any]:
    """The contrib parts that live on in tf-slim (loaded only when a script touches one) and
    ``tf.contrib.keras``."""
    slim = Lazy(_slim)
    return {
        "layers": Namespace(
            "tensorflow.contrib.layers",
            slim,
            {"real_valued_column": _learn("real_valued_column")},
            missing=_missing("layers"),
        ),
        "slim": Namespace("tensorflow.contrib.slim", slim, missing=_missing("slim")),
        "framework": Namespace("tensorflow.contrib.framework", slim, missing=_missing("framework")),
        "losses": Namespace(
            "tensorflow.contrib.losses", Lazy(lambda: _slim().losses), missing=_missing("losses")
        ),
        "keras": Lazy(lambda: v1.keras),  # tf.contrib.keras (1.2-1.3) became tf.keras
    }
