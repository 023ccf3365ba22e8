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
import threading
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


# What TensorFlow's C++ logs mid-run on a healthy run.  A TF1 cluster's tasks, as they cancel
# cross-task receives at the end of steps and sessions, or retry a task that is still starting
# or already gone: harmless, several a second, and a wall of text around the worker's own
# lines (a task that is really lost ends the worker with tf1_mnist.training.distributed's message).
# And a step run with ``RunOptions(trace_level=FULL_TRACE)`` (TensorFlow's
# mnist_with_summaries.py traces every 100th step) on a machine without a GPU, where TF 1.x
# said nothing.
RUN_NOISE = re.compile(
    r"[IWE]\d{4} [\d:. ]+\d+ (?:"
    r"xplane_to_step_stats\.cc:\d+\] GPU trace was not collected"
    r"|local_rendezvous\.cc:\d+\] Local rendezvous is aborting with status"
    r"|queue_base\.cc:\d+\] sync_token_q: Skipping cancelled dequeue attempt"
    # Connecting to a task still starting, or closing a session on a task that has exited
    # (the end of every run): "failed to connect", "Socket closed", "Connection reset by peer".
    r"|master_session\.cc:\d+\] UNAVAILABLE: "
    r")"
)
CONTINUATION = re.compile(
    r"\s+\[\[|Additional GRPC error information from remote target"
    r"|:UNKNOWN:Error received from peer"
)


class NoiseFilter:
    """Drops ``RUN_NOISE`` records (and their continuation lines) from a stream of lines.

    A C++ record is one write, but Python's ``print`` to stderr is two (the text, then the
    newline), so a record from another thread can land inside a line of ours:
    ``ps 0: worker 1 is done (1/2)W1202 ... local_rendezvous.cc:412] ...\n`` then ``\n``.  The
    text before the record is kept, without a newline: the newline that follows completes it.
    """

    def __init__(self) -> None:
        self.dropping = False

    def __call__(self, line: str) -> str:
        """What of ``line`` (one line, its newline included) to pass on; "" for nothing."""
        found = RUN_NOISE.search(line)
        if found is not None:
            self.dropping = True
            return line[: found.start()]
        if self.dropping and CONTINUATION.match(line):
            return ""
        self.dropping = False
        return line


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


_filter: list[tuple[int, threading.Thread]] = []  # the live filter's saved fd 2 and thread


@contextlib.contextmanager
def run_noise_filtered() -> Iterator[None]:
    """Within the block, fd 2 goes through a thread that drops ``RUN_NOISE`` lines (and
    their indented continuation) and passes everything else on at once."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    real_stderr = os.dup(saved)  # here, not in the thread: a short block may close ``saved``

    def forward() -> None:
        keep = NoiseFilter()
        with os.fdopen(read_end, "rb") as lines, os.fdopen(real_stderr, "wb", 0) as out:
            for raw in lines:
                line = raw.decode("utf-8", "replace")
                kept = keep(line)
                if kept:
                    out.write(raw if kept == line else kept.encode("utf-8", "replace"))

    thread = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    thread.start()
    _filter.append((saved, thread))
    try:
        yield
    finally:
        drain()


def drain() -> None:
    """End the live filter: fd 2 is the real stderr again once all it held is written (also
    before a process ends with ``os._exit``, which would lose what the thread holds)."""
    sys.stderr.flush()
    while _filter:
        saved, thread = _filter.pop()
        os.dup2(saved, 2)  # the pipe's last writer goes: the thread reads to its end
        os.close(saved)
        thread.join(timeout=10)


def import_tensorflow() -> Any:
    """``import tensorflow``, quietly: the preamble of its import and of its first device
    initialisation is dropped, anything else it writes is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # the INFO lines logged later
    with native_stderr_filtered():
        import tensorflow

        tensorflow.config.list_physical_devices()  # cuInit happens here, not mid-run
    return tensorflow
