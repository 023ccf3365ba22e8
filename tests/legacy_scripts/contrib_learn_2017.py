# A 2017 tf.contrib.learn quickstart on synthetic data: infer_real_valued_columns_from_input,
# learn.DNNClassifier fit/evaluate/predict on numpy arrays, and SKCompat around a
# learn.Estimator whose model_fn returns ModelFnOps, scored with a MetricSpec.
from __future__ import print_function

import sys

import numpy as np
import tensorflow as tf
from tensorflow.contrib import learn
from tensorflow.contrib.learn.python.learn.estimators import model_fn as model_fn_lib

tf.logging.set_verbosity(tf.logging.ERROR)
out = sys.argv[1]

rng = np.random.RandomState(3)
centers = 0.6 * rng.randn(3, 16).astype(np.float32)
y_train = rng.randint(0, 3, 1200)
x_train = centers[y_train] + rng.randn(1200, 16).astype(np.float32)
y_test = rng.randint(0, 3, 300)
x_test = centers[y_test] + rng.randn(300, 16).astype(np.float32)

feature_columns = learn.infer_real_valued_columns_from_input(x_train)
classifier = learn.DNNClassifier(hidden_units=[20, 10], feature_columns=feature_columns,
                                 n_classes=3, model_dir=out + "/dnn",
                                 config=learn.RunConfig(tf_random_seed=1))
classifier.fit(x_train, y_train.astype(np.int32), batch_size=50, steps=300)
score = classifier.evaluate(x=x_test, y=y_test.astype(np.int32))
y_predicted = list(classifier.predict(x_test, as_iterable=True))
accuracy = np.mean(np.array(y_predicted) == y_test)
print("DNNClassifier: evaluate accuracy %.3f, predict accuracy %.3f, step %d" % (
    score["accuracy"], accuracy, score["global_step"]))


def my_model(features, labels, mode):
    logits = tf.layers.dense(features, 3)
    predictions = {"classes": tf.argmax(logits, 1), "probabilities": tf.nn.softmax(logits)}
    loss = None
    train_op = None
    if mode != learn.ModeKeys.INFER:
        onehot = tf.one_hot(indices=tf.cast(labels, tf.int32), depth=3)
        loss = tf.losses.softmax_cross_entropy(onehot_labels=onehot, logits=logits)
    if mode == learn.ModeKeys.TRAIN:
        train_op = tf.train.AdamOptimizer(0.05).minimize(
            loss, global_step=tf.contrib.framework.get_global_step())
    return model_fn_lib.ModelFnOps(mode=mode, predictions=predictions, loss=loss,
                                   train_op=train_op)


sk = learn.SKCompat(learn.Estimator(model_fn=my_model, model_dir=out + "/sk"))
sk.fit(x=x_train, y=y_train, batch_size=100, steps=200)
metrics = {"accuracy": learn.MetricSpec(metric_fn=tf.metrics.accuracy,
                                         prediction_key="classes")}
result = sk.score(x=x_test, y=y_test, metrics=metrics)
predicted = sk.predict(x_test[:10])
print("SKCompat: accuracy %.3f, predict shapes %s %s" % (
    result["accuracy"], predicted["classes"].shape, predicted["probabilities"].shape))
