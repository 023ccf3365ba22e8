"""The TensorFlow 1.x API the ports are written against, and the step counter they share.

``from tf1_mnist.support.compat import tf`` gives ``tf.compat.v1``: placeholders, sessions, variable
scopes, ``tf.train`` optimizers and ``Saver``, ``tf.summary`` writers, as the posts wrote them.
"""

from __future__ import annotations

from typing import Any

from tf1_mnist.support import quiet

_tf = quiet.import_tensorflow()  # without the C++ start-up preamble (tf1_mnist.support.quiet)

tf = _tf.compat.v1
"""``tf.compat.v1``, the API of the posts."""

VERSION: str = _tf.__version__

# The ports use the TF1 API on purpose: its deprecation notices are noise to their users.
_tf.get_logger().setLevel("ERROR")


def global_step() -> Any:
    """The step counter saved with every checkpoint, so a restored run continues its count.

    Always the graph's root ``global_step``, whatever scope the post's optimizer is built in.
    """
    with tf.variable_scope(tf.VariableScope(reuse=None)):
        return tf.train.get_or_create_global_step()
