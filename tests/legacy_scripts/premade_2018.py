# 2018-style premade estimators over feature columns on synthetic data (three blobs in 10
# dimensions): DNNClassifier with train_and_evaluate, LinearClassifier and
# DNNLinearCombinedClassifier with train/evaluate, and the import paths of the era.
from __future__ import print_function

import sys

import numpy as np
import tensorflow as tf
from tensorflow.python.estimator.inputs import numpy_io
from tensorflow_estimator.python.estimator.canned import dnn

tf.logging.set_verbosity(tf.logging.INFO)
out = sys.argv[1]

rng = np.random.RandomState(7)
centers = 0.7 * rng.randn(3, 10).astype(np.float32)
y_train = rng.randint(0, 3, 1500).astype(np.int32)
x_train = centers[y_train] + rng.randn(1500, 10).astype(np.float32)
y_test = rng.randint(0, 3, 300).astype(np.int32)
x_test = centers[y_test] + rng.randn(300, 10).astype(np.float32)

feature_columns = [tf.feature_column.numeric_column("x", shape=[10])]
train_input_fn = numpy_io.numpy_input_fn(
    x={"x": x_train}, y=y_train, batch_size=32, num_epochs=None, shuffle=True)
test_input_fn = tf.estimator.inputs.numpy_input_fn(
    x={"x": x_test}, y=y_test, num_epochs=1, shuffle=False)

dnn_classifier = dnn.DNNClassifier(
    hidden_units=[32, 16], feature_columns=feature_columns, n_classes=3,
    model_dir=out + "/dnn", config=tf.estimator.RunConfig(save_checkpoints_steps=100))
train_spec = tf.estimator.TrainSpec(input_fn=train_input_fn, max_steps=300)
eval_spec = tf.estimator.EvalSpec(input_fn=test_input_fn, steps=None, throttle_secs=0)
metrics, _ = tf.estimator.train_and_evaluate(dnn_classifier, train_spec, eval_spec)
print("dnn: accuracy %.3f at step %d" % (metrics["accuracy"], metrics["global_step"]))

linear = tf.estimator.LinearClassifier(
    feature_columns=feature_columns, n_classes=3, model_dir=out + "/linear")
linear.train(input_fn=train_input_fn, steps=200)
print("linear: accuracy %.3f" % linear.evaluate(input_fn=test_input_fn)["accuracy"])

combined = tf.estimator.DNNLinearCombinedClassifier(
    model_dir=out + "/combined", linear_feature_columns=feature_columns,
    dnn_feature_columns=feature_columns, dnn_hidden_units=[16], n_classes=3,
    dnn_optimizer=tf.train.AdamOptimizer(0.01))
combined.train(input_fn=train_input_fn, steps=200)
print("combined: accuracy %.3f" % combined.evaluate(input_fn=test_input_fn)["accuracy"])

binary = tf.estimator.DNNClassifier(hidden_units=[8], feature_columns=feature_columns,
                                    model_dir=out + "/binary")
binary.train(input_fn=tf.estimator.inputs.numpy_input_fn(
    x={"x": x_train}, y=(y_train == 0).astype(np.int32), batch_size=32, num_epochs=None,
    shuffle=True), steps=100)
print("binary: %s" % sorted(binary.evaluate(input_fn=tf.estimator.inputs.numpy_input_fn(
    x={"x": x_test}, y=(y_test == 0).astype(np.int32), num_epochs=1, shuffle=False))))

predictions = list(dnn_classifier.predict(input_fn=tf.estimator.inputs.numpy_input_fn(
    x={"x": x_test[:5]}, num_epochs=1, shuffle=False)))
print("predict keys: %s" % sorted(predictions[0]))
print("predicted classes: %s" % [int(p["class_ids"][0]) for p in predictions])
print("true classes: %s" % [int(c) for c in y_test[:5]])
