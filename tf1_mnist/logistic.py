"""Logistic (softmax) regression with plots, seed 004.

Post: "Python如何利用逻辑回归模型解决MNIST手写数字识别问题".

``python -m tf1_mnist.logistic`` prints the data set's facts and plots ``train.images[1000]``,
trains 50 epochs of 550 batches of 100 (GD 0.01), printing validation loss and accuracy after
every epoch (reference 0.8652 after epoch 50), then predicts the test set and draws the
post's 5x5 grid (10 test images from index 10) as PNG under logs/logistic/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tf1_mnist import harness, input_data, plots
from tf1_mnist.harness import tf

TRAIN_EPOCHS = 50
BATCH_SIZE = 100
BATCH_NUM = int(55000 / BATCH_SIZE)  # batches per epoch: int(mnist.train.num_examples / 100)


def look_at_the_data(mnist: input_data.Datasets, cfg: harness.Config, plot_dir: Path) -> None:
    """The post's first cell: counts and shapes, one batch, one label, one image."""
    print(
        "training set:",
        mnist.train.num_examples,
        "images:",
        mnist.train.images.shape,
        "labels:",
        mnist.train.labels.shape,
    )
    batch_images, batch_labels = mnist.train.next_batch(batch_size=10)
    print(batch_images.shape, batch_labels.shape)
    print("label:", np.argmax(mnist.train.labels[1000]), end=" ")
    print("one-hot:", mnist.train.labels[1000])
    # Deliberate difference: saved as PNG (a window only with --show).
    path = plots.plot_image(
        mnist.train.images[1000], plot_dir / "train_image_1000.png", show=cfg.show
    )
    print(f"train.images[1000]: {path}")


def build(cfg: harness.Config) -> harness.Model:
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    y = tf.placeholder(tf.float32, [None, 10], name="y")
    W = tf.Variable(tf.random_normal([784, 10]), name="W")
    b = tf.Variable(tf.zeros([10]), name="b")
    forward = tf.matmul(x, W) + b
    pred = tf.nn.softmax(forward)

    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

    loss_function = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), axis=1))
    # global_step added so a restored checkpoint continues its step count.
    optimizer = tf.train.GradientDescentOptimizer(cfg.learning_rate).minimize(
        loss_function, global_step=harness.global_step()
    )

    # Added: the post writes no summaries; the harness writes the validation run alongside.
    tf.summary.scalar("loss", loss_function)
    tf.summary.scalar("acc", accuracy)
    return harness.Model(
        x=x,
        labels=y,
        probabilities=pred,
        loss=loss_function,
        train_op=optimizer,
        accuracy=accuracy,
    )


SPEC = harness.ModelSpec(
    name="logistic",
    blog="004: Python如何利用逻辑回归模型解决MNIST手写数字识别问题",
    build=build,
    defaults=dict(
        max_steps=TRAIN_EPOCHS * BATCH_NUM,
        batch_size=BATCH_SIZE,
        learning_rate=0.01,
        log_every=0,
        summary_every=BATCH_NUM,
        eval_every=BATCH_NUM,
        save_every=BATCH_NUM,
        eval_batch_size=5000,
        grid=True,
    ),
    checkpoint_name="logistic",
    prologue=look_at_the_data,
)

if __name__ == "__main__":
    harness.main(SPEC)
