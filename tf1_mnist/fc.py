"""Two-layer network with TensorBoard and Saver, post 002: "神经网络实战之Softmax回归".

``python -m tf1_mnist.fc`` trains 2000 steps of 50 (GD 0.1), printing each step's batch loss
and accuracy, writing summaries to logs/fc/ and checkpoints to ckpt/fc/ (reference test
accuracy 0.852); ``python -m tf1_mnist.fc --is_train=0`` predicts 100 test samples one by one.
The blog's network really is linear: there is no activation between its two layers.
"""

from __future__ import annotations

from tf1_mnist.support.compat import global_step, tf
from tf1_mnist.support.console import Line, Lines
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import Budget, Model, ModelSpec


def build(cfg: Config) -> Model:
    # 1. The data placeholders.
    with tf.variable_scope("data"):
        x = tf.placeholder(tf.float32, [None, 784], name="feature")
        # Fixed blog bug: the label placeholder was int32, but the loss needs float labels.
        y_true = tf.placeholder(tf.float32, [None, 10], name="label")

    # 2. Two fully connected layers, N(0, 1) initialized, no activation in between.
    with tf.variable_scope("fc_model"):
        weight_1 = tf.Variable(tf.random_normal([784, 64], mean=0.0, stddev=1.0), name="weightes_1")
        bias_1 = tf.Variable(tf.random_normal([64], mean=0.0, stddev=1.0), name="biases_1")
        weight_2 = tf.Variable(tf.random_normal([64, 10], mean=0.0, stddev=1.0), name="weightes_2")
        bias_2 = tf.Variable(tf.random_normal([10], mean=0.0, stddev=1.0), name="biases_2")
        y1 = tf.matmul(x, weight_1) + bias_1
        y_predict = tf.matmul(y1, weight_2) + bias_2

    # 3. Softmax and cross-entropy in one op, averaged over the batch.
    with tf.variable_scope("softmax_cross"):
        all_loss = tf.nn.softmax_cross_entropy_with_logits(
            labels=y_true, logits=y_predict, name="compute_loss"
        )
        loss = tf.reduce_mean(all_loss)

    # 4. Gradient descent.
    with tf.variable_scope("GD"):
        # Added: global_step, so a restored checkpoint continues its step count.
        train_op = tf.train.GradientDescentOptimizer(cfg.learning_rate).minimize(
            loss, global_step=global_step()
        )

    # 5. Accuracy of the batch.
    with tf.variable_scope("accuracy"):
        equal_list = tf.equal(tf.argmax(y_true, 1), tf.argmax(y_predict, 1))
        accuracy = tf.reduce_mean(tf.cast(equal_list, tf.float32))

    # TensorBoard: scalars and histograms, merged by the runner.
    tf.summary.scalar("loss", loss)
    tf.summary.scalar("acc", accuracy)
    tf.summary.histogram("w1", weight_1)
    tf.summary.histogram("b1", bias_1)
    tf.summary.histogram("w2", weight_2)
    tf.summary.histogram("b2", bias_2)

    return Model(
        x=x,
        labels=y_true,
        logits=y_predict,
        loss=loss,
        train_op=train_op,
        accuracy=accuracy,
        embedding=y1,
        embedding_layer="the 64-unit first layer (linear, as in the post)",
    )


PORT = ModelSpec(
    name="fc",
    post="002: 神经网络实战之Softmax回归 (two-layer network, TensorBoard, Saver)",
    build=build,
    budget=Budget(
        steps=2000,
        reference=0.852,
        threshold=0.83,
        source="our reference run; the post prints each batch's accuracy, no test accuracy",
        seconds=6.9,
    ),
    defaults=dict(
        batch_size=50,
        learning_rate=0.1,
        log_every=1,
        summary_every=1,
        save_every=100,
    ),
    checkpoint_name="fc_nn_model",
    lines={
        "post": Lines(
            # Deliberate difference: the post writes the batch size into the text ("50个样本");
            # %d prints the same 50 by default and the truth with another --batch_size.
            step=Line(
                "第 %d 步的%d个样本损失为:%f , 准确率为:%f",
                ("step", "batch_size", "loss", "accuracy"),
            ),
            sample=Line(
                "第 %d 样本,真实的图片数字为:%d, 神经网络预测的数字为:%d ",
                ("index", "true", "predicted"),
            ),
        ),
        "en": Lines(
            step=Line(
                "Step %d, loss of the %d samples: %f , accuracy: %f",
                ("step", "batch_size", "loss", "accuracy"),
            ),
            sample=Line(
                "Sample %d, true digit: %d, predicted digit: %d ", ("index", "true", "predicted")
            ),
        ),
    },
)

if __name__ == "__main__":
    from tf1_mnist.training.command import main

    main(PORT)
