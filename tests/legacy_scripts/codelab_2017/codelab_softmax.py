# The codelab's mnist_1.0_softmax.py shape (2017), on synthetic data: training happens in
# the helper's animation callback; the final accuracy is printed after the window closes.
from __future__ import print_function

import numpy as np
import tensorflow as tf

import visu_helper

tf.set_random_seed(0)
rng = np.random.RandomState(0)
centers = rng.rand(3, 16).astype(np.float32)
labels = rng.randint(0, 3, 600)
data = centers[labels] + 0.2 * rng.randn(600, 16).astype(np.float32)

X = tf.placeholder(tf.float32, [None, 16])
Y_ = tf.placeholder(tf.int64, [None])
W = tf.Variable(tf.zeros([16, 3]))
b = tf.Variable(tf.zeros([3]))
Y = tf.nn.softmax(tf.matmul(X, W) + b)
cross_entropy = -tf.reduce_mean(tf.reduce_sum(tf.one_hot(Y_, 3) * tf.log(Y + 1e-9), 1))
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(Y, 1), Y_), tf.float32))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
datavis = visu_helper.DataVis()
steps = []


def training_step(i):
    idx = rng.choice(600, 50)
    sess.run(train_step, {X: data[idx], Y_: labels[idx]})
    steps.append(i)
    if i % 10 == 0:
        datavis.append(i, sess.run(accuracy, {X: data, Y_: labels}))


datavis.animate(training_step, iterations=100, freq=10)
print("steps trained: %d" % len(steps))
print("max test accuracy: " + str(max(datavis.acc)))
