# Seed 002's style (2018): variable scopes, tf.app.flags is_train read without tf.app.run,
# Saver save/restore, prediction by tf.argmax(...).eval() per sample.
# Deliberate difference from the post: y_true is float32 (the post's int32 cannot feed the loss).
import os
import sys

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

tf.app.flags.DEFINE_integer("is_train", 1, "训练or预测")
FLAGS = tf.app.flags.FLAGS
CKPT = os.path.join(sys.argv[1], "fc_model")


def full_connected():
    mnist = input_data.read_data_sets("./data/mnist/input_data/", one_hot=True)
    with tf.variable_scope("data"):
        x = tf.placeholder(tf.float32, [None, 784], name="feature")
        y_true = tf.placeholder(tf.float32, [None, 10], name="label")
    with tf.variable_scope("fc_model"):
        weight_1 = tf.Variable(tf.random_normal([784, 64], mean=0.0, stddev=1.0), name="w1")
        bias_1 = tf.Variable(tf.random_normal([64], mean=0.0, stddev=1.0), name="b1")
        weight_2 = tf.Variable(tf.random_normal([64, 10], mean=0.0, stddev=1.0), name="w2")
        bias_2 = tf.Variable(tf.random_normal([10], mean=0.0, stddev=1.0), name="b2")
        y1 = tf.matmul(x, weight_1) + bias_1
        y_predict = tf.matmul(y1, weight_2) + bias_2
    with tf.variable_scope("softmax_cross"):
        all_loss = tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_predict)
        loss = tf.reduce_mean(all_loss)
    with tf.variable_scope("GD"):
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.variable_scope("accuracy"):
        equal_list = tf.equal(tf.argmax(y_true, 1), tf.argmax(y_predict, 1))
        accuracy = tf.reduce_mean(tf.cast(equal_list, tf.float32))
    init_op = tf.global_variables_initializer()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(init_op)
        if FLAGS.is_train == 1:
            for i in range(2000):
                mnist_x, mnist_y = mnist.train.next_batch(50)
                sess.run(train_op, feed_dict={x: mnist_x, y_true: mnist_y})
                if i % 500 == 0:
                    saver.save(sess, CKPT)
            saver.save(sess, CKPT)
            print("test accuracy: %f" % sess.run(
                accuracy, feed_dict={x: mnist.test.images, y_true: mnist.test.labels}))
        else:
            saver.restore(sess, CKPT)
            right = 0
            for i in range(100):
                x_test, y_test = mnist.test.next_batch(1)
                true = tf.argmax(sess.run(y_true, feed_dict={x: x_test, y_true: y_test}), 1).eval()
                pred = tf.argmax(sess.run(y_predict, feed_dict={x: x_test}), 1).eval()
                right += int(true[0] == pred[0])
                print("第%d个样本的真实值为:%d, 模型预测结果为:%d" % (i, true[0], pred[0]))
            print("right: %d/100" % right)


if __name__ == "__main__":
    full_connected()
