"""TensorFlow 1.x MNIST tutorials, ported faithfully to today's TensorFlow through tf.compat.v1."""

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext tf1_mnist``: TensorFlow 1.x in this IPython/Jupyter session (imported only
    then: ``import tf1_mnist`` stays light)."""
    from tf1_mnist.legacy import ipython

    ipython.load_ipython_extension(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext tf1_mnist``."""
    from tf1_mnist.legacy import ipython

    ipython.unload_ipython_extension(shell)
