# A 2016 script that downloads MNIST itself, as the models repository's convolutional.py
# does (six.moves.urllib + tf.gfile), then reads the labels with gzip and numpy.
from __future__ import print_function

import gzip
import os
import sys

import numpy
from six.moves import urllib
import tensorflow as tf

SOURCE_URL = "http://yann.lecun.com/exdb/mnist/"
WORK_DIRECTORY = sys.argv[1]


def maybe_download(filename):
    if not tf.gfile.Exists(WORK_DIRECTORY):
        tf.gfile.MakeDirs(WORK_DIRECTORY)
    filepath = os.path.join(WORK_DIRECTORY, filename)
    if not tf.gfile.Exists(filepath):
        filepath, _ = urllib.request.urlretrieve(SOURCE_URL + filename, filepath)
        with tf.gfile.GFile(filepath) as f:
            size = f.size()
        print("Successfully downloaded", filename, size, "bytes.")
    return filepath


def extract_labels(filename, num_images):
    with gzip.open(filename) as bytestream:
        bytestream.read(8)
        buf = bytestream.read(1 * num_images)
        return numpy.frombuffer(buf, dtype=numpy.uint8).astype(numpy.int64)


labels = extract_labels(maybe_download("t10k-labels-idx1-ubyte.gz"), 10)
print("first labels", list(labels))
