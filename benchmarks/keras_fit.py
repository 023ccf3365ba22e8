"""Each port's model written the Keras way, for the benchmarks' comparisons.

``keras_model(name)`` is the same architecture, initializers and optimizer in Keras 3;
run as a script it is a whole program of its own, the alternative a user would write today:

    python benchmarks/keras_fit.py MODEL --data_dir=DIR [--steps=N]

loads MNIST with the same loader, trains with ``model.fit`` for the port's budget (the same
steps of the same batch size) and prints the test accuracy.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.support import cli
from tf1_mnist.support.cli import option
from tf1_mnist.training import ports


def keras_model(name: str) -> tuple[Any, Any]:
    """The port ``name``'s model and optimizer in Keras 3 (logits out)."""
    import keras
    from keras import initializers as init
    from keras import layers

    normal = init.RandomNormal(0.0, 1.0)
    if name == "softmax":
        body = [layers.Dense(10, kernel_initializer="zeros")]
        optimizer = keras.optimizers.SGD(0.5)
    elif name == "fc":
        body = [
            layers.Dense(64, kernel_initializer=normal, bias_initializer=normal),
            layers.Dense(10, kernel_initializer=normal, bias_initializer=normal),
        ]
        optimizer = keras.optimizers.SGD(0.1)
    elif name == "logistic":
        body = [layers.Dense(10, kernel_initializer=normal)]
        optimizer = keras.optimizers.SGD(0.01)
    else:
        w, b = init.TruncatedNormal(stddev=0.1), init.Constant(0.1)
        conv = dict(padding="same", activation="relu", kernel_initializer=w, bias_initializer=b)
        body = [
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(32, 5, **conv),
            layers.MaxPooling2D(2, padding="same"),
            layers.Conv2D(64, 5, **conv),
            layers.MaxPooling2D(2, padding="same"),
            layers.Flatten(),
            layers.Dense(1024, activation="relu", kernel_initializer=w, bias_initializer=b),
            layers.Dropout(0.5),
            layers.Dense(10, kernel_initializer=w, bias_initializer=b),
        ]
        optimizer = keras.optimizers.Adam(1e-4)
    model = keras.Sequential([keras.Input((784,)), *body])
    return model, optimizer


@dataclasses.dataclass
class Options:
    """``python benchmarks/keras_fit.py MODEL [flags]``"""

    data_dir: str = option("MNIST_data/", "MNIST folder (then $TF1_MNIST_DATA_DIR).")
    steps: int = option(0, "Training steps (0: the port's own budget).")


def main(opts: Options, args: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    spec = ports.get(args[0])
    steps = opts.steps or spec.budget.steps
    batch = spec.defaults["batch_size"]
    data = input_data.read_data_sets(opts.data_dir, one_hot=True, seed=0)
    model, optimizer = keras_model(spec.name)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    per_epoch = data.train.num_examples // batch
    epochs, rest = divmod(steps, per_epoch)
    x, y = data.train.images, data.train.labels
    if epochs:
        model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0)
    if rest:
        model.fit(x[: rest * batch], y[: rest * batch], batch_size=batch, epochs=1, verbose=0)
    _, accuracy = model.evaluate(data.test.images, data.test.labels, verbose=0)
    print(f"{spec.name}: {steps} steps of {batch} with Keras fit, test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    cli.main(main, Options(), positional="a model")
