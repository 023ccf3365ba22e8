# A 2017 tf.app.flags script in the style of TensorFlow's mnist_with_summaries / the fc post:
# flags (log_dir included, which absl.logging also defines), tf.app.run(main), a helper module
# from the script's own folder, the dotted input_data import.
from __future__ import absolute_import, division, print_function

import os
import sys

import tensorflow as tf
import tensorflow.examples.tutorials.mnist.input_data as input_data

from mnist_helpers import bias_variable, weight_variable

flags = tf.app.flags
flags.DEFINE_string("data_dir", "/tmp/tensorflow/mnist/input_data", "Directory for data")
flags.DEFINE_string("log_dir", "/tmp/tensorflow/mnist/logs", "Summaries directory")
flags.DEFINE_integer("max_steps", 500, "Number of steps to run trainer.")
flags.DEFINE_float("learning_rate", 0.001, "Initial learning rate")
FLAGS = flags.FLAGS


def main(argv):
    print("argv:", argv)
    print("script:", os.path.basename(sys.argv[0]), "name:", __name__)
    mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)
    x = tf.placeholder(tf.float32, [None, 784])
    y_ = tf.placeholder(tf.float32, [None, 10])
    W1 = weight_variable([784, 256])
    b1 = bias_variable([256])
    hidden = tf.nn.relu(tf.matmul(x, W1) + b1)
    W2 = weight_variable([256, 10])
    b2 = bias_variable([10])
    y = tf.matmul(hidden, W2) + b2
    cross_entropy = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
    train_step = tf.train.AdamOptimizer(FLAGS.learning_rate).minimize(cross_entropy)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1)), tf.float32))
    tf.summary.scalar("cross_entropy", cross_entropy)
    merged = tf.summary.merge_all()
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(FLAGS.log_dir + "/train", sess.graph)
        sess.run(tf.global_variables_initializer())
        for i in range(FLAGS.max_steps):
            xs, ys = mnist.train.next_batch(100)
            summary, _ = sess.run([merged, train_step], feed_dict={x: xs, y_: ys})
            if i % 100 == 0:
                writer.add_summary(summary, i)
        writer.close()
        acc = sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels})
        print("Accuracy at step %s: %s" % (FLAGS.max_steps, acc))


if __name__ == "__main__":
    tf.app.run()
