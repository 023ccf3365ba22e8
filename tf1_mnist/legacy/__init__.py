"""Run a TensorFlow 0.x/1.x-era MNIST script, unmodified, on TensorFlow 2.x: the runner
(``runner``, ``python -m tf1_mnist.legacy``) and the ``tensorflow`` it installs (``shim``).

This package never imports the training machinery: the script owns the absl flag namespace.
"""
