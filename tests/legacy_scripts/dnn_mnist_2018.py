# The 2018 premade-estimator MNIST tutorial shape: tf.contrib.learn's MNIST loader, a
# DNNClassifier over one numeric feature column, and tf.estimator.train_and_evaluate.
from __future__ import print_function

import sys

import numpy as np
import tensorflow as tf

tf.logging.set_verbosity(tf.logging.INFO)
model_dir, max_steps = sys.argv[1], int(sys.argv[2])

mnist = tf.contrib.learn.datasets.load_dataset("mnist")
train_x, train_y = mnist.train.images, np.asarray(mnist.train.labels, dtype=np.int32)
test_x, test_y = mnist.test.images, np.asarray(mnist.test.labels, dtype=np.int32)

feature_columns = [tf.feature_column.numeric_column("x", shape=[28, 28])]
classifier = tf.estimator.DNNClassifier(
    feature_columns=feature_columns, hidden_units=[256, 32],
    optimizer=tf.train.AdamOptimizer(1e-4), n_classes=10, dropout=0.1,
    model_dir=model_dir, config=tf.estimator.RunConfig(save_checkpoints_steps=1000))
train_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": train_x}, y=train_y, num_epochs=None, batch_size=50, shuffle=True)
test_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": test_x}, y=test_y, num_epochs=1, shuffle=False)
train_spec = tf.estimator.TrainSpec(input_fn=train_input_fn, max_steps=max_steps)
eval_spec = tf.estimator.EvalSpec(input_fn=test_input_fn, steps=None, throttle_secs=0)
metrics, _ = tf.estimator.train_and_evaluate(classifier, train_spec, eval_spec)
print("\nTest Accuracy: {0:f}%\n".format(metrics["accuracy"] * 100))
