# TF 0.x-era reading_data idioms: a TFRecord writer calling ndarray.tostring() (NumPy 1),
# then tf.train.string_input_producer(num_epochs=...) + tf.initialize_all_variables() (which
# in 0.x also initialized the epoch counter) and queue runners reading the records back.
from __future__ import print_function

import os
import sys

import numpy as np
import tensorflow as tf

path = os.path.join(sys.argv[1], "images.tfrecords")
images = (np.arange(5 * 4, dtype=np.uint8).reshape(5, 4) * 3).astype(np.uint8)
writer = tf.python_io.TFRecordWriter(path)
for index in range(5):
    image_raw = images[index].tostring()
    example = tf.train.Example(features=tf.train.Features(feature={
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[index])),
        "image_raw": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image_raw]))}))
    writer.write(example.SerializeToString())
writer.close()

filename_queue = tf.train.string_input_producer([path], num_epochs=2)
reader = tf.TFRecordReader()
_, serialized = reader.read(filename_queue)
features = tf.parse_single_example(serialized, features={
    "label": tf.FixedLenFeature([], tf.int64),
    "image_raw": tf.FixedLenFeature([], tf.string)})
image = tf.decode_raw(features["image_raw"], tf.uint8)

sess = tf.Session()
sess.run(tf.initialize_all_variables())
coord = tf.train.Coordinator()
threads = tf.train.start_queue_runners(sess=sess, coord=coord)
total, count = 0, 0
try:
    while not coord.should_stop():
        value, label = sess.run([image, features["label"]])
        total += int(value.sum())
        count += 1
except tf.errors.OutOfRangeError:
    print("Done reading: %d records, pixel sum %d" % (count, total))
finally:
    coord.request_stop()
coord.join(threads)
sess.close()
