"""``tf.estimator`` of TensorFlow 1.x for the legacy runner, on ``tf.compat.v1``'s
``MonitoredTrainingSession`` and session hooks (TensorFlow 2.16 removed the estimator, and
``tensorflow-estimator`` 2.15 no longer imports).

``namespace()`` is ``tf.estimator``; ``module_for(name)`` answers the import paths the era's
scripts used: ``tensorflow.estimator``, ``tensorflow.python.estimator...`` and
``tensorflow_estimator...``.  Loaded on first use: importing this imports TensorFlow.
"""

from __future__ import annotations

import types
from typing import Any

from tf1_mnist.legacy.namespace import Namespace, Refusal, package_module

PROVIDED = (
    "Estimator, EstimatorSpec, ModeKeys, RunConfig, TrainSpec, EvalSpec, train_and_evaluate, "
    "inputs.numpy_input_fn/pandas_input_fn, DNNClassifier, LinearClassifier, "
    "DNNLinearCombinedClassifier and their regressors, and the session hooks"
)


def missing(prefix: str) -> Any:
    def message(attr: str) -> str:
        return (
            f"`{prefix}.{attr}` is not provided by tf1_mnist.legacy's tf.estimator (TF 1.x "
            f"on tf.compat.v1's MonitoredTrainingSession), which provides {PROVIDED}"
        )

    return message


def missing_module(fullname: str) -> str:
    return (
        f"`import {fullname}` is not provided by tf1_mnist.legacy's tf.estimator (TF 1.x on "
        f"tf.compat.v1's MonitoredTrainingSession), which provides {PROVIDED}"
    )


def _refused(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Refusal(
            f"`tf.estimator.{name}` (exporting a SavedModel) is not provided by "
            "tf1_mnist.legacy's tf.estimator; the checkpoints in model_dir hold the model"
        )

    return refuse


def _module(name: str, values: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(values)
    return module


_built: dict[str, Any] = {}


_ROOT = "tensorflow.python.estimator"
_CANNED = ("dnn", "linear", "dnn_linear_combined", "head", "prediction_keys")
_PREMADE = (
    "DNNClassifier",
    "DNNRegressor",
    "LinearClassifier",
    "LinearRegressor",
    "DNNLinearCombinedClassifier",
    "DNNLinearCombinedRegressor",
)


def _build() -> dict[str, Any]:
    """All estimator modules by their TF 1.x import path (under ``tensorflow.python``)."""
    if _built:
        return _built
    from tf1_mnist.legacy.estimator import estimator, premade, run_config, training

    everything = {
        name: value
        for module in (estimator, run_config, training, premade)
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, type | types.FunctionType)
    }
    inputs_module = _inputs_module("tensorflow.estimator.inputs")
    public = _public_names(inputs_module)
    modules = _python_estimator_modules(everything, public, inputs_module)
    python_estimator = package_module(_ROOT)
    for name, module in modules.items():
        if "." not in name:
            setattr(python_estimator, name, module)
    _built.update(public=public, modules=modules, package=python_estimator)
    return _built


def _inputs_module(name: str) -> types.ModuleType:
    """``tf.estimator.inputs``: one module object, the same under every path that names it."""
    from tf1_mnist.legacy.estimator import inputs

    return _module(
        name,
        {"numpy_input_fn": inputs.numpy_input_fn, "pandas_input_fn": inputs.pandas_input_fn},
    )


def _public_names(inputs_module: types.ModuleType) -> dict[str, Any]:
    """``tf.estimator``'s names: the session hooks are tf.train's own, as TF 1.x re-exported
    them, and the SavedModel exporters are refused when called, not when named."""
    from tf1_mnist.legacy.estimator import estimator, premade, run_config, training

    tf = estimator.tf
    hooks = {
        name: getattr(tf.train, name)
        for name in dir(tf.train)
        if name.endswith("Hook")
        or name.startswith("SessionRun")
        or name == "CheckpointSaverListener"
    }
    exporters = {
        name: _refused(name)
        for name in ("LatestExporter", "BestExporter", "FinalExporter", "Exporter")
    }
    return {
        "Estimator": estimator.Estimator,
        "EstimatorSpec": estimator.EstimatorSpec,
        "ModeKeys": estimator.ModeKeys,
        "RunConfig": run_config.RunConfig,
        "TrainSpec": training.TrainSpec,
        "EvalSpec": training.EvalSpec,
        "train_and_evaluate": training.train_and_evaluate,
        "inputs": inputs_module,
        **{name: getattr(premade, name) for name in _PREMADE},
        **hooks,
        **exporters,
    }


def _python_estimator_modules(
    everything: dict[str, Any], public: dict[str, Any], inputs_module: types.ModuleType
) -> dict[str, types.ModuleType]:
    """The ``tensorflow.python.estimator`` modules by their path below it; the internal
    modules all hold every public name because scripts imported them from any of these."""
    from tf1_mnist.legacy.estimator import inputs

    canned = package_module(f"{_ROOT}.canned")
    for name in _CANNED:
        setattr(canned, name, _module(f"{_ROOT}.canned.{name}", everything))
    numpy_io = _module(f"{_ROOT}.inputs.numpy_io", {"numpy_input_fn": inputs.numpy_input_fn})
    pandas_io = _module(f"{_ROOT}.inputs.pandas_io", {"pandas_input_fn": inputs.pandas_input_fn})
    inputs_package = package_module(f"{_ROOT}.inputs")
    inputs_package.__dict__.update(
        numpy_io=numpy_io,
        pandas_io=pandas_io,
        inputs=inputs_module,
        numpy_input_fn=inputs.numpy_input_fn,
        pandas_input_fn=inputs.pandas_input_fn,
    )
    return {
        "estimator": _module(f"{_ROOT}.estimator", everything),
        "model_fn": _module(f"{_ROOT}.model_fn", everything),
        "run_config": _module(f"{_ROOT}.run_config", everything),
        "training": _module(f"{_ROOT}.training", everything),
        "estimator_lib": _module(f"{_ROOT}.estimator_lib", public),
        "canned": canned,
        "inputs": inputs_package,
        **{f"canned.{n}": getattr(canned, n) for n in _CANNED},
        "inputs.numpy_io": numpy_io,
        "inputs.pandas_io": pandas_io,
        "inputs.inputs": inputs_module,
    }


def namespace() -> Namespace:
    """``tf.estimator`` (the names TF 1.x's ``tf.estimator`` had that this provides)."""
    built = _build()
    target = package_module("tensorflow.estimator")
    return Namespace(
        "tensorflow.estimator", target, built["public"], missing=missing("tf.estimator")
    )


def module_for(fullname: str, tf_estimator: Any) -> Any:
    """The module ``import fullname`` gets, for ``tensorflow.python.estimator[...]`` and
    ``tensorflow_estimator[...]``; None where this has no such module."""
    built = _build()
    parts = fullname.split(".")
    if parts[0] == "tensorflow_estimator":
        if "root" not in built:
            root = package_module("tensorflow_estimator")
            root.estimator = tf_estimator
            root.python = package_module("tensorflow_estimator.python")
            root.python.estimator = built["package"]
            built["root"] = root
        if len(parts) == 1:
            return built["root"]
        if parts[1:] == ["estimator"]:
            return tf_estimator
        if parts[1:] == ["python"]:
            return built["root"].python
        if parts[1] != "python":
            return None
        parts = ["tensorflow", *parts[1:]]
    if parts[:3] != ["tensorflow", "python", "estimator"]:
        return None
    if len(parts) == 3:
        return built["package"]
    return built["modules"].get(".".join(parts[3:]))
