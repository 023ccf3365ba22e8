# NumPy 1.x spellings of a 2018 script, which NumPy 2 removed.
import sys

import numpy as np
from numpy import asscalar

a = np.arange(6, dtype=np.float)
print("float:", a.dtype)
print("asscalar:", asscalar(np.array([3])))
print("reshape:", np.reshape(a, newshape=(2, 3)).shape)
print("int:", np.zeros(2, dtype=np.int).dtype)
import tensorflow as tf  # noqa: E402

print("the process's numpy is unchanged:", not hasattr(sys.modules["numpy"], "float"))
print("tensorflow:", tf.constant(np.float32(1.5)).dtype.name)
