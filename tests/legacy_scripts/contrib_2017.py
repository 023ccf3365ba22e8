# tf.contrib was removed in TensorFlow 2: the runner must say so, naming this line.
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784])
hidden = tf.contrib.layers.fully_connected(x, 128)
