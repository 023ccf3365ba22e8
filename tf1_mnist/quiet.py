"""Import TensorFlow without its C++ start-up preamble.

On a CPU machine TensorFlow 2.21 writes seven lines to stderr before any user code runs, twice:
"All log messages before absl::InitializeLog() ...", the oneDNN notice, "Could not find cuda
drivers", the CPU-instructions notice and ``E0000 ... failed call to cuInit``.  They are logged
before ``TF_CPP_MIN_LOG_LEVEL`` is read, so the level cannot hide them, and a learner reads an
ERROR at every start.  ``import_tensorflow`` imports TensorFlow (and initialises its devices,
which is where cuInit is called) with file descriptor 2 sent to a temporary file, then writes
back everything that is not one of those known lines: a real error still shows.
``TF1_MNIST_VERBOSE=1`` shows everything.  Nothing here imports TensorFlow at module level.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

VERBOSE_ENV = "TF1_MNIST_VERBOSE"

# The start-up lines of a healthy CPU run (and of a GPU build on a machine without a GPU).
PREAMBLE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:. ]+\d+ (?:"
    r"port\.cc:\d+\] oneDNN custom operations are on"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    r"|cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized"
    r"|cuda_platform\.cc:\d+\] failed call to cuInit"
    r"|cuda_(?:dnn|fft|blas)\.cc:\d+\] Unable to register cu\w+ factory"
    r"|computation_placer\.cc:\d+\] computation placer already registered"
    r"|mlir_graph_optimization_pass\.cc:\d+\] MLIR V1 optimization pass is not enabled"
    r")"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate "
    r"compiler flags\."
)


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Within the block, what anything (C++ included) writes to fd 2 is held back; after it,
    everything but the known preamble lines is written to stderr, in order."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [
                line
                for line in held.read().decode("utf-8", "replace").splitlines(keepends=True)
                if not PREAMBLE.match(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_tensorflow() -> Any:
    """``import tensorflow``, quietly: the preamble of its import and of its first device
    initialisation is dropped, anything else it writes is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # the INFO lines logged later
    with native_stderr_filtered():
        import tensorflow

        tensorflow.config.list_physical_devices()  # cuInit happens here, not mid-run
    return tensorflow
