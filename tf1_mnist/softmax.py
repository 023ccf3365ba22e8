"""Softmax regression, post 000: "TensorFlow 入门之手写识别(MNIST) softmax算法" (Fly, 2016.6).

``python -m tf1_mnist.softmax``: y = softmax(xW + b), the blog's own cross-entropy formula,
gradient descent 0.5, 1000 steps of 100; prints the test accuracy (reference 0.9187).
"""

from __future__ import annotations

from tf1_mnist.support.compat import global_step, tf
from tf1_mnist.support.console import Line, Lines
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import Budget, Model, ModelSpec


def inference(x: tf.Tensor) -> tf.Tensor:
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.nn.softmax(tf.matmul(x, W) + b)
    return y


def loss(y: tf.Tensor, y_: tf.Tensor) -> tf.Tensor:
    # The blog's formula, not the fused op: log(y) is -inf once y underflows to 0, so the runner
    # stops on a NaN loss with a message.  (reduction_indices is axis's old name.)
    cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=[1]))
    return cross_entropy


def training(cross_entropy: tf.Tensor, learning_rate: float) -> tf.Operation:
    # Added: global_step, so a restored checkpoint continues its step count.
    return tf.train.GradientDescentOptimizer(learning_rate).minimize(
        cross_entropy, global_step=global_step()
    )


def evaluation(y: tf.Tensor, y_: tf.Tensor) -> tf.Tensor:
    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    return accuracy


def build(cfg: Config) -> Model:
    x = tf.placeholder(tf.float32, [None, 784])
    y = inference(x)
    y_ = tf.placeholder(tf.float32, [None, 10])
    cross_entropy = loss(y, y_)
    train_step = training(cross_entropy, cfg.learning_rate)
    accuracy = evaluation(y, y_)
    # Added: the blog writes no summaries; these give `tensorboard --logdir logs` its curves.
    tf.summary.scalar("loss", cross_entropy)
    tf.summary.scalar("acc", accuracy)
    return Model(
        x=x,
        labels=y_,
        probabilities=y,
        loss=cross_entropy,
        train_op=train_step,
        accuracy=accuracy,
        embedding=y.op.inputs[0],  # xW + b, the input of the post's softmax
        embedding_layer="the logits xW + b",
    )


PORT = ModelSpec(
    name="softmax",
    post="000: TensorFlow 入门之手写识别(MNIST) softmax算法",
    build=build,
    budget=Budget(
        steps=1000,
        reference=0.9187,
        threshold=0.91,
        source="our reference run; the post prints the accuracy, TensorFlow's tutorial: ~92%",
        seconds=0.85,
    ),
    # Added: summaries every 10 steps, and a checkpoint at the end (and on Ctrl-C) for
    # --is_train=0; the post writes neither, and its run takes a second.
    defaults=dict(batch_size=100, learning_rate=0.5, log_every=0, summary_every=10, save_every=0),
    checkpoint_name="softmax",
    divergence_hint="the post's -sum(y_ * log(y)) is NaN once a softmax output reaches 0",
    # The post's only line: print(sess.run(accuracy, feed_dict=<the test set>)).
    lines={"post": Lines(test=Line("%s", ("test_accuracy_float32",)))},
)

if __name__ == "__main__":
    from tf1_mnist.training.command import main

    main(PORT)
