"""TensorFlow 1.x MNIST tutorials, ported faithfully to today's TensorFlow through tf.compat.v1."""

__version__ = "0.1.0"
