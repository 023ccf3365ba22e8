# tf.contrib.factorization (k-means) has no TF 1.x core equivalent: the runner must say so,
# naming this line and a replacement.
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784])
kmeans = tf.contrib.factorization.KMeans(inputs=x, num_clusters=25)
