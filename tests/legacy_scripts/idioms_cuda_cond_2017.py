# 2017 idioms: the official models' data_format choice by tf.test.is_built_with_cuda(),
# control_flow_ops.cond/case imported from tensorflow.python.ops, and tf.contrib.layers'
# batch_norm (tf_slim, which calls control_flow_ops.cond for is_training).
from __future__ import print_function

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_ops

data_format = "channels_first" if tf.test.is_built_with_cuda() else "channels_last"
print("data_format", data_format)

images = tf.placeholder(tf.float32, [None, 28, 28, 1])
net = images
if data_format == "channels_first":
    net = tf.transpose(net, [0, 3, 1, 2])
net = tf.layers.conv2d(net, 4, 3, data_format=data_format, name="conv")
is_training = tf.placeholder(tf.bool, [])
net = tf.contrib.layers.batch_norm(net, is_training=is_training, scope="bn")
x = tf.placeholder(tf.float32, [])
branch = control_flow_ops.cond(x > 0, lambda: x * 2.0, lambda: x - 1.0)
case = control_flow_ops.case([(x > 10, lambda: tf.constant(10.0))], default=lambda: x)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    out = sess.run(net, {images: np.ones([2, 28, 28, 1], np.float32), is_training: True})
    print("conv+bn", out.shape)
    print("cond", sess.run(branch, {x: 3.0}), sess.run(branch, {x: -3.0}))
    print("case", sess.run(case, {x: 20.0}), sess.run(case, {x: 2.0}))
