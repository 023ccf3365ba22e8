"""TensorFlow 1.x MNIST tutorials, ported faithfully to today's TensorFlow through tf.compat.v1."""

from typing import Any

from tf1_mnist.support import interrupts as _interrupts

__version__ = "0.1.0"

# First, before any command imports TensorFlow: a Ctrl-C during those seconds is one line.
_interrupts.quiet_when_run_as_command()


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext tf1_mnist``: TensorFlow 1.x in this IPython/Jupyter session (imported only
    then: ``import tf1_mnist`` stays light)."""
    from tf1_mnist.legacy import ipython

    ipython.load_ipython_extension(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext tf1_mnist``."""
    from tf1_mnist.legacy import ipython

    ipython.unload_ipython_extension(shell)
