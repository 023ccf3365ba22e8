# Helpers beside the script, imported as `from mnist_helpers import ...` (the script's folder
# is on sys.path under `python SCRIPT.py`).
import tensorflow as tf


def weight_variable(shape):
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def bias_variable(shape):
    return tf.Variable(tf.constant(0.1, shape=shape))
