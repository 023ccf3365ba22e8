"""Mixed precision on request (``--mixed_precision``), through TensorFlow's graph rewriter.

The posts train in float32 and so do the ports by default.  Asked for, grappler rewrites the
graph of every session: on a GPU its ``auto_mixed_precision`` pass computes in float16, on a
CPU with bfloat16 instructions (AVX512_BF16, AMX) its ``auto_mixed_precision_onednn_bfloat16``
pass computes matmuls and convolutions in bfloat16 through oneDNN.  Variables, and so
checkpoints, stay float32: a mixed-precision checkpoint restores in a float32 run and back.
Where neither applies a one-line notice says so and the run stays float32.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tf1_mnist.support.compat import tf
from tf1_mnist.support.console import note

CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()}


@functools.lru_cache(maxsize=1)
def mode() -> tuple[str | None, str]:
    """The mixed precision this machine can run: ('float16' on a GPU | 'bfloat16' on a CPU |
    None) and why, in words."""
    import tensorflow as real_tf

    if real_tf.config.list_physical_devices("GPU"):
        return "float16", "float16 on the GPU (grappler's auto_mixed_precision)"
    found = [flag for flag in CPU_FLAGS if flag in _cpu_flags()]
    if found:
        return "bfloat16", (
            f"bfloat16 on this CPU ({', '.join(found)}; grappler's oneDNN bfloat16 rewrite)"
        )
    return None, "no GPU and no bfloat16 instructions (AVX512_BF16, AMX) here"


@functools.lru_cache(maxsize=2)
def _announce(mixed_precision: bool) -> None:
    if not mixed_precision:
        return
    kind, why = mode()
    if kind is None:
        note(f"--mixed_precision: {why}; training in float32")
    else:
        note(f"mixed precision: {why}; variables and checkpoints stay float32")


def apply(config: Any, mixed_precision: bool) -> Any:
    """``config`` (a ``ConfigProto``) with the mixed-precision rewrite switched on if asked
    for and possible here."""
    _announce(mixed_precision)
    kind, _ = mode() if mixed_precision else (None, "")
    rewrites = config.graph_options.rewrite_options
    on = type(rewrites).ON
    if kind == "float16":
        rewrites.auto_mixed_precision = on
    elif kind == "bfloat16":
        rewrites.auto_mixed_precision_onednn_bfloat16 = on
    return config


def session_config(mixed_precision: bool = False) -> Any:
    """The ``ConfigProto`` every session of a run uses."""
    return apply(tf.ConfigProto(), mixed_precision)
