# A Python 2 post of 2016: print statements (plain, trailing comma, >>), xrange, except E, e.
import sys

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
x = tf.placeholder(tf.float32, [None, 784])
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(x, W) + b)
y_ = tf.placeholder(tf.float32, [None, 10])
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
sess = tf.InteractiveSession()
tf.initialize_all_variables().run()
for i in xrange(500):
    batch_xs, batch_ys = mnist.train.next_batch(100)
    train_step.run({x: batch_xs, y_: batch_ys})
    if i % 100 == 0:
        print "step", i,
        print "loss %f" % cross_entropy.eval({x: batch_xs, y_: batch_ys})
try:
    tf.no_such_thing
except AttributeError, e:
    print >>sys.stderr, "expected:", type(e).__name__
correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
print "accuracy", tf.reduce_mean(tf.cast(correct, tf.float32)).eval(
    {x: mnist.test.images, y_: mnist.test.labels})
