# Python 2 was still common in 2016 posts.
import tensorflow as tf

print "TensorFlow", tf.__version__
