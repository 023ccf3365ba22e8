# A 2017 TF-Slim network: `import tensorflow.contrib.slim as slim`, arg_scope over conv2d and
# fully_connected, tf.contrib.layers' l2_regularizer, slim's own losses and train op.
import tensorflow as tf
import tensorflow.contrib.slim as slim
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data", one_hot=True)
images = tf.placeholder(tf.float32, [None, 784])
labels = tf.placeholder(tf.float32, [None, 10])
is_training = tf.placeholder(tf.bool, [])

with slim.arg_scope([slim.conv2d, slim.fully_connected],
                    activation_fn=tf.nn.relu,
                    weights_initializer=tf.contrib.layers.xavier_initializer(),
                    weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4)):
    net = tf.reshape(images, [-1, 28, 28, 1])
    net = slim.conv2d(net, 32, [5, 5], scope="conv1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.conv2d(net, 64, [5, 5], scope="conv2")
    net = slim.max_pool2d(net, [2, 2], scope="pool2")
    net = slim.flatten(net)
    net = slim.fully_connected(net, 256, scope="fc1")
    net = slim.dropout(net, 0.5, is_training=is_training)
    logits = slim.fully_connected(net, 10, activation_fn=None, scope="logits")

slim.losses.softmax_cross_entropy(logits, labels)
total_loss = slim.losses.get_total_loss()
train_op = slim.learning.create_train_op(total_loss, tf.train.AdamOptimizer(1e-3))
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)), "float"))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(200):
        xs, ys = mnist.train.next_batch(64)
        loss = sess.run(train_op, {images: xs, labels: ys, is_training: True})
        if step % 50 == 0:
            print("step %d, total loss %.4f" % (step, loss))
    print("model variables:", len(slim.get_model_variables()))
    test = [sess.run(accuracy, {images: mnist.test.images[i:i + 2000],
                                labels: mnist.test.labels[i:i + 2000], is_training: False})
            for i in range(0, 10000, 2000)]
    print("test accuracy %.4f" % (sum(test) / len(test)))
