"""What a TF1-era program gets before its first line runs, whether it is a script (``runner``)
or a notebook's kernel (``kernel_setup``): one setup, so that the two cannot drift apart.
"""

from __future__ import annotations

import random
import types
from pathlib import Path

from tf1_mnist.legacy import display, downloads, numpy1
from tf1_mnist.legacy.shim import install, seed_every_graph


def install_era(
    folder: Path,
    seed: int | None = None,
    mixed_precision: bool = False,
    figures_for: str | None = None,
) -> types.ModuleType:
    """The TF1 shim and the era's other parts (NumPy 1.x names for the code in ``folder``, the
    matplotlib API of the time, the old MNIST download URLs) and the seed; the ``tensorflow``
    installed.  ``figures_for``: the script's name, whose figures are saved headless (a
    notebook's kernel shows them inline instead)."""
    tf = install(mixed_precision)
    numpy1.install(folder)
    if figures_for is not None:
        display.install(Path.cwd(), figures_for)
    display.era_matplotlib(folder)
    downloads.install()
    if seed is not None:
        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
        seed_every_graph(seed)
    return tf
