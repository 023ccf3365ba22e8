# fully_connected_feed.py's shape (2017): the graph is built in `with tf.Graph().as_default():`
# with random initial weights and shuffled batches, so only a seed reaching that graph
# makes two runs print the same numbers.
from __future__ import print_function

import numpy as np
import tensorflow as tf


def run_training():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 20])
        y = tf.placeholder(tf.int64, [None])
        w = tf.Variable(tf.truncated_normal([20, 5], stddev=1.0))
        logits = tf.matmul(tf.nn.dropout(x, keep_prob=0.7), w)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        data = np.random.rand(200, 20).astype(np.float32)
        labels = np.random.randint(0, 5, 200)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(20):
                idx = np.random.choice(200, 32)
                _, value = sess.run([train_op, loss], {x: data[idx], y: labels[idx]})
            print("final loss %.6f weights sum %.6f" % (value, sess.run(tf.reduce_sum(w))))


run_training()
