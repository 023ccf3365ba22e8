"""Logistic (softmax) regression with plots, post 004.

Post: "Python如何利用逻辑回归模型解决MNIST手写数字识别问题".

``python -m tf1_mnist.logistic`` prints the data set's facts and plots ``train.images[1000]``,
trains 50 epochs of 550 batches of 100 (GD 0.01), printing validation loss and accuracy after
every epoch (reference 0.8652 after epoch 50), then predicts the test set and draws the
post's 5x5 grid (10 test images from index 10) as PNG under logs/logistic/.
"""

from __future__ import annotations

import numpy as np

from tf1_mnist.support import plots
from tf1_mnist.support.compat import global_step, tf
from tf1_mnist.support.console import Line, Lines, note
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import Budget, Model, ModelSpec, RunContext

TRAIN_EPOCHS = 50
BATCH_SIZE = 100
BATCH_NUM = int(55000 / BATCH_SIZE)  # batches per epoch: int(mnist.train.num_examples / 100)

# The words of the post's first cell, and their English translation (--lang=en).
WORDS = {
    "post": ("训练集数量:", "特征值组成:", "标签组成:", "标签值:", "独热编码表示:"),
    "en": ("training examples:", "features:", "labels:", "label:", "one-hot:"),
}


def look_at_the_data(run: RunContext) -> None:
    """The post's first cell: counts and shapes, one batch, one label, one image."""
    mnist = run.data
    count, features, labels, label, one_hot = WORDS[run.cfg.lang]
    print(
        count,
        mnist.train.num_examples,
        features,
        mnist.train.images.shape,
        labels,
        mnist.train.labels.shape,
    )
    batch_images, batch_labels = mnist.train.next_batch(batch_size=10)  # 批量读取数据
    print(batch_images.shape, batch_labels.shape)
    print(label, np.argmax(mnist.train.labels[1000]), end=" ")
    print(one_hot, mnist.train.labels[1000])
    if run.cfg.plots:
        # Deliberate difference: saved as PNG (a window only with --show).
        path = plots.plot_image(
            mnist.train.images[1000], run.plot_dir / "train_image_1000.png", show=run.cfg.show
        )
        note(f"train.images[1000]: {path}")


def build(cfg: Config) -> Model:
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
        loss_function, global_step=global_step()
    )

    # Added: the post writes no summaries; the harness writes the validation run alongside.
    tf.summary.scalar("loss", loss_function)
    tf.summary.scalar("acc", accuracy)
    return Model(
        x=x,
        labels=y,
        probabilities=pred,
        loss=loss_function,
        train_op=optimizer,
        accuracy=accuracy,
        embedding=forward,
        embedding_layer="the logits xW + b",
    )


def show_test_predictions(run: RunContext) -> None:
    """The post's last cell: predict the test set, show 10 test images from index 10."""
    if not run.cfg.plots:
        return
    mnist = run.data
    prediction_result = run.predict(mnist.test.images)
    path = plots.show_result(
        mnist.test.images,
        mnist.test.labels,
        prediction_result,
        10,
        run.plot_dir / "test_predictions.png",
        num=10,
        show=run.cfg.show,
    )
    note(f"grid of test predictions: {path}")


PORT = ModelSpec(
    name="logistic",
    post="004: Python如何利用逻辑回归模型解决MNIST手写数字识别问题",
    build=build,
    budget=Budget(
        steps=TRAIN_EPOCHS * BATCH_NUM,
        reference=0.864,
        threshold=0.85,
        source="our reference run; validation 0.8652 after epoch 50, as the post prints it",
        seconds=19.2,
    ),
    defaults=dict(
        batch_size=BATCH_SIZE,
        learning_rate=0.01,
        log_every=0,
        summary_every=BATCH_NUM,
        eval_every=BATCH_NUM,
        save_every=BATCH_NUM,
        eval_batch_size=5000,
        plots=True,
    ),
    checkpoint_name="logistic",
    prologue=look_at_the_data,
    epilogue=show_test_predictions,
    divergence_hint="the post's -sum(y * log(pred)) is NaN once a softmax output reaches 0",
    # After each epoch, the validation set's loss and accuracy (the post's only training line).
    lines={
        "post": Lines(
            validation=Line("第%2d轮训练:损失为:%9f,准确率:%.4f", ("epoch", "loss", "accuracy"))
        ),
        "en": Lines(
            validation=Line("Epoch %2d: loss: %9f, accuracy: %.4f", ("epoch", "loss", "accuracy"))
        ),
    },
)

if __name__ == "__main__":
    from tf1_mnist.training.command import main

    main(PORT)
