"""TF1's distributed runtime against one process: the CNN's training rate with 1, 2 and 4
workers (and one parameter server) against the single-process run, and the test accuracy
each reaches at the same global step.

    python benchmarks/bench_distributed.py --data_dir=DIR [--workers=1,2,4] [--repeats=1]

Every run is a whole process (``python -m tf1_mnist.cnn``, or ``python -m tf1_mnist.cluster
cnn --workers=N``), alternated, at the CNN's quick budget (its 500 steps: 0.952 alone).  The
training rate is the global step's: (last - first summary step) / (their wall-time gap), from
the chief's event file, so start-up, evaluation and exit are left out; the wall time of the
whole command is reported beside it.  On a 2-core machine the workers share the cores: this
measures the runtime's overhead (gRPC, variables on the parameter server), not a speed-up.
Where ``unshare -n`` works (root), every cluster runs in a private network namespace
(TensorFlow's gRPC servers listen on every interface).
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tf1_mnist import cluster
from tf1_mnist.support import cli
from tf1_mnist.support.cli import option
from tf1_mnist.support.compat import tf
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import ports

SPEC = ports.get("cnn")


@dataclasses.dataclass
class Options:
    """``python benchmarks/bench_distributed.py [flags]``"""

    data_dir: str = option("MNIST_data/", "Folder with the four MNIST files.")
    workers: str = option("1,2,4", "Worker counts of the clusters to measure, comma-separated.")
    steps: int = option(
        SPEC.budget_for(quick=True).steps, "Global steps of every run (the CNN's quick budget)."
    )
    repeats: int = option(1, "Alternated runs of each setting (the median is reported).")


def training_rate(logdir: Path) -> float:
    """Global steps per second between the first and the last ``loss`` summary."""
    points = []
    for events in logdir.glob("events.out.tfevents.*"):
        for event in tf.train.summary_iterator(str(events)):
            if any(v.tag == "loss" for v in event.summary.value):
                points.append((event.step, event.wall_time))
    points.sort()
    if len(points) < 2:
        raise ConfigError(f"{logdir}: fewer than two loss summaries; raise --steps")
    (first, t0), (last, t1) = points[0], points[-1]
    return (last - first) / (t1 - t0)


def one_run(workers: int, opts: Options, scratch: Path) -> dict:
    """A fresh run (0 workers: the single process); its rate, wall time and test accuracy."""
    work = Path(tempfile.mkdtemp(dir=scratch))
    flags = [
        f"--data_dir={opts.data_dir}",
        f"--logdir={work / 'logs'}",
        f"--ckpt_dir={work / 'ckpt'}",
        f"--max_steps={opts.steps}",
        "--log_every=0",
    ]
    if workers:
        command = cluster.loopback_only(
            [sys.executable, "-m", "tf1_mnist.cluster", "cnn", f"--workers={workers}", *flags]
        )
    else:
        command = [sys.executable, "-m", "tf1_mnist.cnn", *flags]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise ConfigError(f"{' '.join(command[-8:])} failed:\n{proc.stderr[-2000:]}")
    found = re.search(r"test accuracy ([0-9.]+)", proc.stdout)
    if found is None:
        raise ConfigError(f"no test accuracy in the output of {command}:\n{proc.stdout[-500:]}")
    step = re.search(r"\[worker0\] .* the global step is (\d+)", proc.stderr)
    return {
        "rate": training_rate(work / "logs" / "cnn"),
        "wall": wall,
        "accuracy": float(found.group(1)),
        "step": int(step.group(1)) if step else opts.steps,
    }


def main(opts: Options, _args: list[str]) -> int:
    counts = [int(n) for n in opts.workers.split(",") if n.strip()]
    settings = [0, *counts]  # 0: the single process
    results: dict[int, list[dict]] = {n: [] for n in settings}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(opts.repeats):
            for n in settings:
                results[n].append(one_run(n, opts, Path(scratch)))
                print(f"  ran {n or 'single'}: {results[n][-1]}", file=sys.stderr, flush=True)
    med = {
        n: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for n, runs in results.items()
    }
    alone = med[0]
    print(
        f"CNN, {opts.steps} global steps x {SPEC.defaults.get('batch_size', 100)}, "
        f"1 parameter server, median of {opts.repeats} alternated run(s):"
    )
    print("| run | global steps/s | vs one process | whole command | test accuracy | last step |")
    print("|---|---|---|---|---|---|")
    for n in settings:
        m = med[n]
        name = "one process" if n == 0 else f"{n} worker{'s' if n > 1 else ''} + 1 ps"
        print(
            f"| {name} | {m['rate']:.1f} | {m['rate'] / alone['rate']:.2f}x | "
            f"{m['wall']:.1f} s | {m['accuracy']:.4f} | {m['step']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    cli.main(main, Options())
