"""Time ``read_data_sets(one_hot=True)`` cold and warm against a plain gzip + numpy reader.

Cold: only the .gz files exist (empty decompression cache).  Warm: the validated cache is
there.  The three loaders run alternated in one process, ``--repeats`` times each; medians
are reported with ratios.  Goals on the 2-core reference machine: cold <= 0.6 s, warm <= 0.15 s.

    python benchmarks/bench_data_loading.py --data_dir ../shared/mnist
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tf1_mnist import input_data
from tf1_mnist.support import cli
from tf1_mnist.support.cli import option

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


@dataclasses.dataclass
class Options:
    """``python benchmarks/bench_data_loading.py [flags]``"""

    data_dir: str = option("MNIST_data/", "Folder with the four MNIST .gz files.")
    repeats: int = option(5, "Alternated runs of each loader (the median is reported).")


def main(opts: Options, _args: list[str]) -> int:
    folder = Path(opts.data_dir)
    if not all(input_data.find_file(name, [folder]) for name in input_data.FILES):
        raise input_data.DataError(f"{folder}: the four MNIST .gz files are not all there")
    times: dict[str, list[float]] = {"plain gzip+numpy": [], "ours, cold": [], "ours, warm": []}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(opts.repeats):
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
    print(f"read_data_sets(one_hot=True), median of {opts.repeats} alternated runs:")
    for label, seconds in med.items():
        print(f"  {label:18s} {seconds:6.3f} s   {plain / seconds:4.1f}x the plain reader")
    cold_ok, warm_ok = med["ours, cold"] <= COLD_GOAL_S, med["ours, warm"] <= WARM_GOAL_S
    print(
        f"goals: cold <= {COLD_GOAL_S} s: {'met' if cold_ok else 'MISSED'}; "
        f"warm <= {WARM_GOAL_S} s: {'met' if warm_ok else 'MISSED'}"
    )
    return 0 if cold_ok and warm_ok else 1


if __name__ == "__main__":
    cli.main(main, Options())
