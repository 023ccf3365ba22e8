# A 2018-style CNN on tf.layers (Keras 2 underneath), with a tf.keras layer in the same TF1
# graph, batch normalization and its UPDATE_OPS dependency, summaries and a Saver.
import sys

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

out_dir = sys.argv[1]
mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])
training = tf.placeholder_with_default(False, shape=())

net = tf.reshape(x, [-1, 28, 28, 1])
net = tf.layers.conv2d(net, 32, 5, padding="same", activation=tf.nn.relu, name="conv1")
net = tf.layers.max_pooling2d(net, 2, 2)
net = tf.layers.conv2d(net, 64, 5, padding="same", activation=tf.nn.relu, name="conv2")
net = tf.layers.max_pooling2d(net, 2, 2)
net = tf.layers.flatten(net)
net = tf.layers.dense(net, 256, name="fc1")
net = tf.layers.batch_normalization(net, training=training)
net = tf.nn.relu(net)
net = tf.layers.dropout(net, rate=0.4, training=training)
logits = tf.keras.layers.Dense(10, name="logits")(net)

loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
tf.summary.scalar("loss", loss)
merged = tf.summary.merge_all()

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    writer = tf.summary.FileWriter(out_dir + "/logs", sess.graph)
    for i in range(300):
        batch_x, batch_y = mnist.train.next_batch(50)
        _, s = sess.run([train_op, merged], feed_dict={x: batch_x, y: batch_y, training: True})
        if i % 100 == 0:
            writer.add_summary(s, i)
            print("step %d, training accuracy %g" % (i, accuracy.eval(
                feed_dict={x: batch_x, y: batch_y})))
    writer.close()
    tf.train.Saver().save(sess, out_dir + "/layers_cnn.ckpt")
    acc = sum(
        accuracy.eval(feed_dict={x: mnist.test.images[i:i + 1000], y: mnist.test.labels[i:i + 1000]})
        for i in range(0, 10000, 1000)) / 10
    print("test accuracy %g" % acc)
