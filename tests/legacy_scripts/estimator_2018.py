# A 2018-style custom Estimator (the "Guide to TF Layers" shape) on synthetic 8x8 "digits":
# model_fn with tf.layers, numpy_input_fn, a LoggingTensorHook and a hook of its own,
# train -> evaluate -> predict; model_dir and steps from the command line.
from __future__ import print_function

import sys

import numpy as np
import tensorflow as tf

tf.logging.set_verbosity(tf.logging.INFO)

model_dir, steps = sys.argv[1], int(sys.argv[2])

rng = np.random.RandomState(1234)
centers = rng.rand(4, 64).astype(np.float32)
train_labels = rng.randint(0, 4, size=2000).astype(np.int32)
train_data = centers[train_labels] + 0.8 * rng.randn(2000, 64).astype(np.float32)
eval_labels = rng.randint(0, 4, size=500).astype(np.int32)
eval_data = centers[eval_labels] + 0.8 * rng.randn(500, 64).astype(np.float32)


def model_fn(features, labels, mode, params):
    net = tf.reshape(features["x"], [-1, 64])
    net = tf.layers.dense(net, params["hidden"], activation=tf.nn.relu)
    logits = tf.layers.dense(net, 4)
    predictions = {
        "classes": tf.argmax(input=logits, axis=1),
        "probabilities": tf.nn.softmax(logits, name="softmax_tensor"),
    }
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode=mode, predictions=predictions)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    if mode == tf.estimator.ModeKeys.TRAIN:
        optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.1)
        train_op = optimizer.minimize(loss=loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode=mode, loss=loss, train_op=train_op)
    eval_metric_ops = {
        "accuracy": tf.metrics.accuracy(labels=labels, predictions=predictions["classes"])
    }
    return tf.estimator.EstimatorSpec(mode=mode, loss=loss, eval_metric_ops=eval_metric_ops)


class CountingHook(tf.train.SessionRunHook):
    """Counts the training steps it sees and the sessions it is told about."""

    def begin(self):
        self.runs, self.sessions = 0, 0

    def after_create_session(self, session, coord):
        self.sessions += 1

    def after_run(self, run_context, run_values):
        self.runs += 1


config = tf.estimator.RunConfig(save_checkpoints_steps=25, log_step_count_steps=20)
classifier = tf.estimator.Estimator(
    model_fn=model_fn, model_dir=model_dir, config=config, params={"hidden": 32})
logging_hook = tf.train.LoggingTensorHook(tensors={"probabilities": "softmax_tensor"},
                                          every_n_iter=1000)
counting = CountingHook()
train_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": train_data}, y=train_labels, batch_size=50, num_epochs=None, shuffle=True)
classifier.train(input_fn=train_input_fn, steps=steps, hooks=[logging_hook, counting])
print("hook saw %d steps in %d session" % (counting.runs, counting.sessions))

eval_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": eval_data}, y=eval_labels, num_epochs=1, shuffle=False)
eval_results = classifier.evaluate(input_fn=eval_input_fn)
print(eval_results)

predict_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": eval_data[:30]}, num_epochs=1, shuffle=False)
predicted = [p["classes"] for p in classifier.predict(input_fn=predict_input_fn)]
print("predicted %d, agree with labels %d" % (
    len(predicted), sum(int(p == l) for p, l in zip(predicted, eval_labels[:30]))))
