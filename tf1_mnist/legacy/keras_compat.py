"""``tf.keras`` under the legacy runner: Keras 2 (the ``tf-keras`` package), as in TF 1.x.

TensorFlow 2.16 made ``tf.keras`` Keras 3, which refuses to build inside a TF1 graph
("`dense` is not available with Keras 3"), and ``tf.layers`` is built on it.  The runner sets
``TF_USE_LEGACY_KERAS=1`` before TensorFlow loads, so both are Keras 2 again.  One change:
``tf.keras.datasets.mnist.load_data()`` reads the local MNIST (``~/.keras/datasets/mnist.npz``
when present, else ``input_data``'s folders) instead of downloading.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from tf1_mnist import input_data
from tf1_mnist.legacy.namespace import Lazy, Namespace


def load_data(path: str = "mnist.npz") -> tuple:
    """``(x_train, y_train), (x_test, y_test)``: uint8 [N, 28, 28] images and [N] digits in
    the files' order, as Keras's ``mnist.load_data`` returns them."""
    cached = Path(os.path.expanduser("~/.keras/datasets")) / path
    if cached.is_file():
        with np.load(cached, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    data = input_data.read_data_sets(
        input_data.DATA_DIR, dtype=np.uint8, reshape=False, validation_size=0
    )
    return (
        (data.train.images[..., 0], data.train.labels),
        (data.test.images[..., 0], data.test.labels),
    )


def namespace(v1: Any) -> Namespace:
    """``tf.keras`` (the TF1 API of tf-keras) with the local ``datasets.mnist``."""

    def datasets() -> Namespace:
        real = v1.keras.datasets
        mnist = Namespace("tensorflow.keras.datasets.mnist", real.mnist, {"load_data": load_data})
        return Namespace("tensorflow.keras.datasets", real, {"mnist": mnist})

    return Namespace("tensorflow.keras", Lazy(lambda: v1.keras), {"datasets": Lazy(datasets)})
