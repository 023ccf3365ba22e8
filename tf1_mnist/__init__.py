"""TensorFlow 1.x MNIST tutorials, ported faithfully to today's TensorFlow through tf.compat.v1."""

from tf1_mnist.support import interrupts as _interrupts

__version__ = "0.1.0"

# First, before any command imports TensorFlow: a Ctrl-C during those seconds is one line.
_interrupts.quiet_when_run_as_command()
