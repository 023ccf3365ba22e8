"""``%load_ext tf1_mnist``: TensorFlow 1.x in a live IPython or Jupyter session.

A learner opens an old notebook in their own Jupyter, adds this one line at the top and runs
it: ``import tensorflow as tf`` is then the runner's TensorFlow 1.x (``kernel_setup``).
"""

from __future__ import annotations

from typing import Any


def load_ipython_extension(shell: Any) -> None:
    """IPython's extension entry point (``%load_ext tf1_mnist``)."""
    from tf1_mnist.legacy import kernel_setup

    tf = kernel_setup.prepare(shell)
    print(
        f"tf1_mnist: `import tensorflow` is TensorFlow 1.x now (tf.compat.v1 of {tf.__version__})"
    )


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext tf1_mnist``: the hooks go; the imported TensorFlow 1.x stays."""
    from tf1_mnist.legacy import kernel_setup

    kernel_setup.unload(shell)
