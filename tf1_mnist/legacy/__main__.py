"""``python -m tf1_mnist.legacy [--seed=N] SCRIPT.py [its arguments]``."""

import sys

from tf1_mnist.legacy.runner import main

sys.exit(main())
