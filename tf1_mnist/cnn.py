"""The "deep MNIST" convolutional network, post 001: "tensorflow實現MNIST手寫數字識別".

``python -m tf1_mnist.cnn``: two 5x5 conv + ReLU + 2x2 max-pool layers (32, 64 maps), a
1024-unit fully connected ReLU layer with dropout, a 10-way readout; Adam 1e-4, batch 100,
30000 steps (measured 0.9922 in 14 minutes on 2 cores; ``--max_steps=500`` reaches about
0.95 in under a minute). TensorFlow's "Deep MNIST for experts" reports 0.992 at the full budget.
"""

from __future__ import annotations

from tf1_mnist.support.compat import global_step, tf
from tf1_mnist.support.console import Line, Lines
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import Budget, Model, ModelSpec


# 2. Helpers for the convolutional layers.
def weight_variable(shape: list[int]) -> tf.Variable:
    # Fixed blog bug (here and below): the post lower-cased API names (tf.variable, 'same').
    initial = tf.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)


def bias_variable(shape: list[int]) -> tf.Variable:
    initial = tf.constant(0.1, shape=shape)
    return tf.Variable(initial)


def conv2d(x: tf.Tensor, w: tf.Variable) -> tf.Tensor:
    return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")


# Fixed blog bug: `def max_pool_2*2(x)` is not a Python name.
def max_pool_2x2(x: tf.Tensor) -> tf.Tensor:
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build(cfg: Config) -> Model:
    # 1. Placeholders (the post uses x and y_ without showing them; these are the tutorial's).
    x = tf.placeholder(tf.float32, [None, 784])
    y_ = tf.placeholder(tf.float32, [None, 10])

    # 3. First convolutional layer.
    x_image = tf.reshape(x, [-1, 28, 28, 1])
    w_conv1 = weight_variable([5, 5, 1, 32])
    b_conv1 = bias_variable([32])
    h_conv1 = tf.nn.relu(conv2d(x_image, w_conv1) + b_conv1)
    h_pool1 = max_pool_2x2(h_conv1)

    # 4. Second convolutional layer.
    w_conv2 = weight_variable([5, 5, 32, 64])
    b_conv2 = bias_variable([64])
    h_conv2 = tf.nn.relu(conv2d(h_pool1, w_conv2) + b_conv2)
    h_pool2 = max_pool_2x2(h_conv2)

    # 5. Fully connected layer with dropout.
    # Fixed blog bug: w_fc1 was [7, 7, 64, 1024] and h_pool2 reshaped to [-1, 7, 7, 64];
    # matmul needs [3136, 1024] and [-1, 3136].
    w_fc1 = weight_variable([7 * 7 * 64, 1024])
    b_fc1 = bias_variable([1024])
    h_reshape = tf.reshape(h_pool2, [-1, 7 * 7 * 64])
    h_fc1 = tf.nn.relu(tf.matmul(h_reshape, w_fc1) + b_fc1)
    keep_prob = tf.placeholder(tf.float32)
    h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob=keep_prob)

    # 6. Readout layer: the logits.
    w_fc2 = weight_variable([1024, 10])
    b_fc2 = bias_variable([10])
    y_conv = tf.matmul(h_fc1_drop, w_fc2) + b_fc2

    # 7. Softmax and cross-entropy.
    cross_entropy = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y_conv)
    )
    # 8. Adam (fixed blog bug: tf.train.adamoptimizer); global_step added for resuming.
    train_step = tf.train.AdamOptimizer(cfg.learning_rate).minimize(
        cross_entropy, global_step=global_step()
    )
    # 9. Accuracy.
    predict_correct = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(predict_correct, tf.float32))

    # Added: the post writes no summaries.
    tf.summary.scalar("loss", cross_entropy)
    tf.summary.scalar("acc", accuracy)
    for name, weight in (
        ("w_conv1", w_conv1),
        ("w_conv2", w_conv2),
        ("w_fc1", w_fc1),
        ("w_fc2", w_fc2),
    ):
        tf.summary.histogram(name, weight)
    tf.summary.image("input", x_image, max_outputs=3)

    # 10. Training feeds keep_prob 0.5 (the post's empty feed_dict= is fixed); evaluation 1.0.
    return Model(
        x=x,
        labels=y_,
        logits=y_conv,
        loss=cross_entropy,
        train_op=train_step,
        accuracy=accuracy,
        train_feed={keep_prob: 0.5},
        eval_feed={keep_prob: 1.0},
        embedding=h_fc1,
        embedding_layer="fc1, the 1024 ReLU units before dropout",
    )


PORT = ModelSpec(
    name="cnn",
    post="001: tensorflow實現MNIST手寫數字識別 (deep MNIST CNN)",
    build=build,
    budget=Budget(
        steps=30000,
        reference=0.9922,
        threshold=0.99,
        source="our reference run; TensorFlow's Deep MNIST tutorial: 0.992",
        seconds=987.0,
    ),
    quick=Budget(
        steps=500,
        reference=0.952,
        threshold=0.94,
        source="our reference run at 500 steps",
        seconds=17.0,
    ),
    defaults=dict(
        batch_size=100,
        learning_rate=1e-4,
        log_every=100,
        summary_every=100,
        save_every=1000,
        eval_batch_size=500,
    ),
    checkpoint_name="cnn",
    # The post prints nothing; these are the lines of the "Deep MNIST for Experts" tutorial it
    # follows (the step line's accuracy is the batch's with dropout off, before the step).
    lines={
        "post": Lines(
            step=Line("step %d, training accuracy %g", ("step", "eval_accuracy")),
            test=Line("test accuracy %g", ("test_accuracy",)),
        )
    },
)

if __name__ == "__main__":
    from tf1_mnist.training.command import main

    main(PORT)
