"""Time ``read_data_sets(one_hot=True)`` cold and warm against a plain gzip + numpy reader.

Cold: only the .gz files exist (empty decompression cache).  Warm: the validated cache is
there.  The three loaders run alternated in one process, ``--repeats`` times each; medians
are reported with ratios.  Goals on the 2-core reference machine: cold <= 0.6 s, warm <= 0.15 s.

    python benchmarks/bench_data_loading.py --data_dir ../shared/mnist
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tf1_mnist import input_data

COLD_GOAL_S, WARM_GOAL_S = 0.6, 0.15


def plain_reader(folder: Path) -> tuple:
    """What a script without our loader does: gunzip each file, reshape, scale, one-hot."""

    def read(name: str, offset: int) -> np.ndarray:
        with gzip.open(folder / name, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    train_x = read(input_data.TRAIN_IMAGES, 16).reshape(-1, 784).astype(np.float32) / 255.0
    test_x = read(input_data.TEST_IMAGES, 16).reshape(-1, 784).astype(np.float32) / 255.0
    train_y = np.eye(10, dtype=np.float32)[read(input_data.TRAIN_LABELS, 8)]
    test_y = np.eye(10, dtype=np.float32)[read(input_data.TEST_LABELS, 8)]
    return train_x[5000:], train_y[5000:], train_x[:5000], train_y[:5000], test_x, test_y


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=os.environ.get(input_data.DATA_DIR_ENV))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit(f"error: pass --data_dir or set {input_data.DATA_DIR_ENV}")
    folder = Path(args.data_dir)
    times: dict[str, list[float]] = {"plain gzip+numpy": [], "ours, cold": [], "ours, warm": []}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.repeats):
            os.environ[input_data.CACHE_DIR_ENV] = os.path.join(scratch, f"cache{i}")
            for label, load in (
                ("plain gzip+numpy", lambda: plain_reader(folder)),
                ("ours, cold", lambda: input_data.read_data_sets(folder, one_hot=True)),
                ("ours, warm", lambda: input_data.read_data_sets(folder, one_hot=True)),
            ):
                start = time.perf_counter()
                load()
                times[label].append(time.perf_counter() - start)
    med = {label: statistics.median(t) for label, t in times.items()}
    plain = med["plain gzip+numpy"]
    print(f"read_data_sets(one_hot=True), median of {args.repeats} alternated runs:")
    for label, seconds in med.items():
        print(f"  {label:18s} {seconds:6.3f} s   {plain / seconds:4.1f}x the plain reader")
    cold_ok, warm_ok = med["ours, cold"] <= COLD_GOAL_S, med["ours, warm"] <= WARM_GOAL_S
    print(
        f"goals: cold <= {COLD_GOAL_S} s: {'met' if cold_ok else 'MISSED'}; "
        f"warm <= {WARM_GOAL_S} s: {'met' if warm_ok else 'MISSED'}"
    )
    return 0 if cold_ok and warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
