"""``tf.estimator.inputs``: input functions over numpy arrays (and pandas frames).

TF 1.x fed them through queues and queue runners; here a ``tf.data`` pipeline of row indices
(shuffled with the graph's seed, repeated ``num_epochs`` times, batched with a smaller last
batch as TF 1.x's ``dequeue_up_to`` gave) gathers the rows with ``numpy_function``: the
arrays stay in Python, out of the graph (a graph holding MNIST as constants would be written
to ``graph.pbtxt`` at every run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tf1_mnist.legacy.namespace import Refusal
from tf1_mnist.support import quiet

tf = quiet.import_tensorflow().compat.v1


def _as_dict(value: Any, what: str) -> tuple[dict[str, np.ndarray], bool]:
    if isinstance(value, dict):
        return {key: np.asarray(array) for key, array in value.items()}, True
    return {what: np.asarray(value)}, False


def numpy_input_fn(
    x: Any,
    y: Any = None,
    batch_size: int = 128,
    num_epochs: int | None = 1,
    shuffle: bool | None = None,
    queue_capacity: int = 1000,
    num_threads: int = 1,
) -> Callable[[], Any]:
    """An input_fn yielding batches of ``x`` (an array or a dict of arrays) and ``y``."""
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided explicitly as a bool, got {shuffle}")
    arrays, features_are_dict, labels_are_dict = _keyed_arrays(x, y)
    length = _row_count(arrays)
    keys = list(arrays)

    def input_fn() -> Any:
        indices = _index_batches(length, shuffle, queue_capacity, num_epochs, batch_size)
        dataset = indices.map(
            lambda batch_indices: _gathered_rows(arrays, keys, batch_indices),
            num_parallel_calls=max(num_threads, 1),
        ).prefetch(1)
        batch = tf.data.make_one_shot_iterator(dataset).get_next()
        named = dict(zip(keys, batch, strict=True))
        feature_tensors = {k: v for (side, k), v in named.items() if side == "x"}
        label_tensors = {k: v for (side, k), v in named.items() if side == "y"}
        feats = feature_tensors if features_are_dict else feature_tensors["__x__"]
        if y is None:
            return feats
        return feats, (label_tensors if labels_are_dict else label_tensors["__y__"])

    return input_fn


def _keyed_arrays(x: Any, y: Any) -> tuple[dict[tuple[str, str], np.ndarray], bool, bool]:
    """Features and labels in one dict keyed by side (``x``/``y``) and name, so one gather
    serves both; whether each side was a dict decides the shape input_fn returns."""
    features, features_are_dict = _as_dict(x, "__x__")
    labels, labels_are_dict = ({}, False) if y is None else _as_dict(y, "__y__")
    overlap = set(features) & set(labels) if labels_are_dict else set()
    if overlap:
        raise ValueError(f"{sorted(overlap)} duplicate keys are found in both x and y")
    arrays = {
        **{("x", k): v for k, v in features.items()},
        **{("y", k): v for k, v in labels.items()},
    }
    return arrays, features_are_dict, labels_are_dict


def _row_count(arrays: dict) -> int:
    """The one row count all arrays share; a mismatch or no rows is refused before any
    graph is built."""
    lengths = {len(array) for array in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"Length of tensors in x and y is mismatched: {sorted(lengths)}")
    length = lengths.pop()
    if length == 0:
        raise ValueError("numpy_input_fn: x has no rows")
    return length


def _index_batches(
    length: int, shuffle: bool, queue_capacity: int, num_epochs: int | None, batch_size: int
) -> Any:
    """Batches of row indices: the shuffle buffer is the queue's capacity, as TF 1.x's
    shuffling queue was, and the last batch of the last epoch may be smaller."""
    dataset = tf.data.Dataset.range(length)
    if shuffle:
        dataset = dataset.shuffle(max(queue_capacity, 1))
    return dataset.repeat(num_epochs).batch(batch_size)


def _gathered_rows(arrays: dict, keys: list, indices: Any) -> tuple:
    """The rows at ``indices`` of every array, gathered in numpy so the arrays stay out of
    the graph; shapes are set again because numpy_function loses them."""

    def gather(batch_indices: np.ndarray) -> list[np.ndarray]:
        return [arrays[key][batch_indices] for key in keys]

    values = tf.numpy_function(gather, [indices], [tf.as_dtype(arrays[k].dtype) for k in keys])
    for value, key in zip(values, keys, strict=True):
        value.set_shape([None, *arrays[key].shape[1:]])
    return tuple(values)


def pandas_input_fn(
    x: Any,
    y: Any = None,
    batch_size: int = 128,
    num_epochs: int | None = 1,
    shuffle: bool | None = None,
    queue_capacity: int = 1000,
    num_threads: int = 1,
    target_column: str = "target",
) -> Callable[[], Any]:
    """An input_fn over a pandas DataFrame's columns (and a Series of labels)."""
    try:
        import pandas as pd
    except ImportError as e:
        raise Refusal(
            "tf.estimator.inputs.pandas_input_fn needs pandas, which tf1_mnist does not "
            "install: `pip install pandas`"
        ) from e
    if not isinstance(x, pd.DataFrame):
        raise TypeError(f"x must be a pandas DataFrame, given: {type(x)}")
    if y is not None and target_column in x:
        raise ValueError(f"Cannot use name {target_column} for target column: already in x")
    columns = {str(name): x[name].to_numpy() for name in x.columns}
    labels = None if y is None else np.asarray(y)
    return numpy_input_fn(
        columns, labels, batch_size, num_epochs, shuffle, queue_capacity, num_threads
    )
