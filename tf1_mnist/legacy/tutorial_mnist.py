"""``tensorflow.examples.tutorials.mnist.mnist`` for the legacy runner: the graph module that
TensorFlow's ``fully_connected_feed.py`` (0.7 to 1.15) imports.

Written for tf1_mnist after the module's documented API, in the split TensorFlow taught:
``inference`` builds the network, ``loss`` adds the loss, ``training`` the optimizer step,
``evaluation`` the count of correct predictions.  Two ReLU hidden layers; weights drawn from a
truncated normal of standard deviation 1/sqrt(fan-in), zero biases; the name scopes
``hidden1``, ``hidden2`` and ``softmax_linear`` TensorBoard showed.  Labels are integer digits.
"""

from __future__ import annotations

import math
from typing import Any

import tensorflow as _tf

tf = _tf.compat.v1

NUM_CLASSES = 10
"""The digits 0-9."""
IMAGE_SIZE = 28
"""MNIST images are 28x28 pixels."""
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def _layer(inputs: Any, fan_in: int, units: int) -> tuple[Any, Any]:
    weights = tf.Variable(
        tf.truncated_normal([fan_in, units], stddev=1.0 / math.sqrt(float(fan_in))),
        name="weights",
    )
    biases = tf.Variable(tf.zeros([units]), name="biases")
    return tf.matmul(inputs, weights) + biases, weights


def inference(images: Any, hidden1_units: int, hidden2_units: int) -> Any:
    """Logits [batch, NUM_CLASSES] of ``images`` [batch, IMAGE_PIXELS] through two ReLU
    layers of ``hidden1_units`` and ``hidden2_units`` and a linear readout."""
    with tf.name_scope("hidden1"):
        pre_activation, _ = _layer(images, IMAGE_PIXELS, hidden1_units)
        hidden1 = tf.nn.relu(pre_activation)
    with tf.name_scope("hidden2"):
        pre_activation, _ = _layer(hidden1, hidden1_units, hidden2_units)
        hidden2 = tf.nn.relu(pre_activation)
    with tf.name_scope("softmax_linear"):
        logits, _ = _layer(hidden2, hidden2_units, NUM_CLASSES)
    return logits


def loss(logits: Any, labels: Any) -> Any:
    """Mean softmax cross-entropy of ``logits`` against integer ``labels`` [batch]."""
    labels = tf.cast(labels, tf.int64)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name="xentropy"
    )
    return tf.reduce_mean(cross_entropy, name="xentropy_mean")


def training(loss: Any, learning_rate: float) -> Any:
    """The op that takes one gradient-descent step on ``loss`` and counts it in a
    ``global_step`` variable; also writes ``loss`` as a scalar summary."""
    tf.summary.scalar("loss", loss)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss, global_step=global_step)


def evaluation(logits: Any, labels: Any) -> Any:
    """How many of the batch's top-1 predictions equal ``labels`` (an int32 scalar)."""
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))
