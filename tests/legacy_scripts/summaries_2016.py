# A TensorFlow 0.x-era (2016) script: the names TensorFlow 1.0 renamed, an InteractiveSession,
# positional cross-entropy arguments, the old tf.concat/tf.split argument order.
# Usage: python summaries_2016.py LOGDIR
import sys

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

logdir = sys.argv[1]
mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
sess = tf.InteractiveSession()

x = tf.placeholder(tf.float32, [None, 784])
y_ = tf.placeholder(tf.float32, [None, 10])
# Two halves of the image, each with its own weights, joined again: old split/concat order.
left, right = tf.split(1, 2, x)
W_left = tf.Variable(tf.zeros([392, 10]))
W_right = tf.Variable(tf.zeros([392, 10]))
W = tf.concat(0, [W_left, W_right])
b = tf.Variable(tf.zeros([10]))
logits = tf.add(tf.matmul(left, W_left) + tf.matmul(right, W_right), b)
y = tf.nn.softmax(logits)
# tf.mul / tf.sub / tf.neg: an L2 penalty spelt with 0.x names (weight 0: same optimum).
l2 = tf.mul(0.0, tf.reduce_sum(tf.mul(W, W)))
cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits, y_))
loss = tf.sub(cross_entropy, tf.neg(l2))
stacked = tf.pack([cross_entropy, l2])
mean_prob = tf.reduce_mean(y, reduction_indices=[1], keep_dims=True)
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)

correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
tf.scalar_summary("cross_entropy", cross_entropy)
tf.scalar_summary("accuracy", accuracy)
tf.histogram_summary("weights", W)
tf.image_summary("input", tf.reshape(x, [-1, 28, 28, 1]), 3)
merged = tf.merge_all_summaries()
writer = tf.train.SummaryWriter(logdir, sess.graph)

tf.initialize_all_variables().run()
for i in range(1000):
    batch_xs, batch_ys = mnist.train.next_batch(100)
    if i % 100 == 0:
        summary, _ = sess.run([merged, train_step], feed_dict={x: batch_xs, y_: batch_ys})
        writer.add_summary(summary, i)
    else:
        train_step.run({x: batch_xs, y_: batch_ys})
writer.close()
print("losses", stacked.eval({x: batch_xs, y_: batch_ys}).shape,
      "mean prob shape", mean_prob.eval({x: batch_xs}).shape)
print("test accuracy %g" % accuracy.eval({x: mnist.test.images, y_: mnist.test.labels}))
