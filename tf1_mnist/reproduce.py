"""Reproduce the posts' numbers in one command, and write the report.

    python -m tf1_mnist.reproduce [--models=softmax,fc,cnn,logistic] [--quick] [--force]

Trains each port at its post's budget (``--quick``: each port's short budget where it has one,
the CNN's 500 steps; the others train in seconds at full budget) into
``LOGDIR/reproduce-<full|quick>/<model>/`` and ``CKPT_DIR/reproduce-<full|quick>/<model>/``,
then writes ``REPORT_DIR/reproduction.md``: per port the post, the budget, the accuracy of our
reference run at that budget, the reproduced test accuracy, wall time, steps per second and a
learning-curve PNG.  A model already finished at that budget is not retrained (``--force``
retrains it); an interrupted run resumes from its checkpoint.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import sys
import time
from pathlib import Path

from tf1_mnist.input_data import DATA_DIR
from tf1_mnist.support import cli, plots
from tf1_mnist.support.atomic import atomic_path
from tf1_mnist.support.cli import option
from tf1_mnist.support.compat import VERSION
from tf1_mnist.training import command, ports
from tf1_mnist.training.config import CKPT_DIR, LOGDIR


@dataclasses.dataclass
class Options:
    """``python -m tf1_mnist.reproduce [flags]``"""

    models: list[str] = option(list(ports.PORTS), "Ports to reproduce, comma-separated.")
    quick: bool = option(
        False, "Short budgets where a port has one (the CNN at 500 steps): about a minute."
    )
    force: bool = option(False, "Retrain models already finished at this budget.")
    data_dir: str = option(
        DATA_DIR, "MNIST folder (then $TF1_MNIST_DATA_DIR; downloaded if both lack it)."
    )
    logdir: str = option(LOGDIR, "Runs go to LOGDIR/reproduce-<full|quick>/<model>/.")
    ckpt_dir: str = option(CKPT_DIR, "Checkpoints: CKPT_DIR/reproduce-<full|quick>/<model>/.")
    report_dir: str = option("reports/", "reproduction.md and the curves go here.")
    embedding: int = option(
        2000, "Test digits in each model's TensorBoard projector run (0: none)."
    )
    pr_curves: bool = option(True, "Write each model's per-digit PR curves for TensorBoard.")
    mixed_precision: bool = option(
        False,
        "Train in mixed precision (the posts, and the references, are float32): a report of "
        "its own, reports/reproduction-mixed.md.",
    )

    @property
    def label(self) -> str:
        """The budgets' name (``full``, ``quick``), with ``-mixed`` for mixed precision: each
        kind of run has its own folders, results and report."""
        return ("quick" if self.quick else "full") + ("-mixed" if self.mixed_precision else "")


def reproduce(opts: Options) -> dict:
    """Train what is missing, write the report; return the results by model."""
    specs = ports.specs(opts.models)
    report_dir = Path(opts.report_dir)
    results_path = report_dir / f"results-{opts.label}.json"
    results = _load(results_path)
    logdir = Path(opts.logdir) / f"reproduce-{opts.label}"
    ckpt_dir = Path(opts.ckpt_dir) / f"reproduce-{opts.label}"
    start = time.perf_counter()
    for k, spec in enumerate(specs, 1):
        budget = spec.budget_for(opts.quick)
        cfg = spec.config(
            quick=opts.quick,
            data_dir=opts.data_dir,
            logdir=str(logdir),
            ckpt_dir=str(ckpt_dir),
            log_every=0,
            fresh=opts.force,
            embedding=opts.embedding,
            pr_curves=opts.pr_curves,
            mixed_precision=opts.mixed_precision,
        )
        done = results.get(spec.name)
        finished = (
            done is not None
            and done["steps"] == budget.steps
            and (ports.run_dirs(spec, cfg).ckpt_dir / "checkpoint").exists()
        )
        if finished and not opts.force:
            print(
                f"[{k}/{len(specs)}] {spec.name}: already reproduced at {budget.steps} steps "
                f"(test accuracy {done['accuracy']:.4f}); --force retrains"
            )
            continue
        remaining = sum(_expected_seconds(results, s, opts.quick) for s in specs[k - 1 :])
        print(
            f"[{k}/{len(specs)}] {spec.name}: {budget.steps} steps; about "
            f"{_minutes(remaining)} left in all",
            flush=True,
        )
        began = time.perf_counter()
        result = command.run(spec, cfg)
        wall = time.perf_counter() - began
        training = result.training
        if training.interrupted_by is not None:
            print(
                f"interrupted: {spec.name} keeps its checkpoint at step {training.last_step}; "
                "run the same command to resume",
                file=sys.stderr,
            )
            _write_report(opts, results, report_dir, logdir)
            raise KeyboardInterrupt
        record = {
            "steps": budget.steps,
            "accuracy": result.test_accuracy,
            "wall_seconds": wall,
            "train_seconds": training.seconds,
            "steps_per_second": training.steps_per_second,
            "resumed_from": training.first_step,
            "date": datetime.date.today().isoformat(),
        }
        if training.first_step >= budget.steps and done:  # trained earlier: keep its timing
            for key in ("wall_seconds", "train_seconds", "steps_per_second", "resumed_from"):
                record[key] = done[key]
        results[spec.name] = record
        _atomic_write(results_path, json.dumps(results, indent=2))
    report = _write_report(opts, results, report_dir, logdir)
    print(f"report: {report} ({_minutes(time.perf_counter() - start)})")
    return results


def _expected_seconds(results: dict, spec: ports.ModelSpec, quick: bool) -> float:
    """This machine's measured rate if the model ran here before, else the reference run's."""
    budget = spec.budget_for(quick)
    rate = results.get(spec.name, {}).get("steps_per_second") or 0.0
    return budget.steps / rate if rate else budget.seconds


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d} min"


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:  # a damaged record only means retraining
        print(f"warning: ignoring {path} ({e})", file=sys.stderr)
        return {}


def _atomic_write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _write_report(opts: Options, results: dict, report_dir: Path, logdir: Path) -> Path:
    rows = []
    for spec in ports.specs():
        budget = spec.budget_for(opts.quick)
        r = results.get(spec.name)
        if r is None or r["steps"] != budget.steps:
            continue
        curve = report_dir / f"{spec.name}-{opts.label}-curves.png"
        runs = {"train": logdir / spec.name}
        if (logdir / spec.name / "validation").is_dir():
            runs["validation"] = logdir / spec.name / "validation"
        plots.learning_curves(
            runs,
            curve,
            tags=(spec.loss_tag, spec.accuracy_tag),
            title=f"tf1_mnist.{spec.name}, {budget.steps} steps",
        )
        verdict = "yes" if r["accuracy"] >= budget.threshold else "**no**"
        resumed = f" (resumed at {r['resumed_from']})" if r["resumed_from"] else ""
        rows.append(
            f"| {spec.post} | `tf1_mnist.{spec.name}` | {budget.steps} x "
            f"{spec.defaults['batch_size']} | {budget.reference:.4f} ({budget.source}) "
            f"| {r['accuracy']:.4f} | {verdict} (>= {budget.threshold}) "
            f"| {r['wall_seconds']:.1f} s{resumed} | {r['steps_per_second']:.1f} "
            f"| ![{spec.name}]({curve.name}) |"
        )
    text = "\n".join(
        [
            f"# Reproduction ({opts.label} budgets)",
            "",
            f"`python -m tf1_mnist.reproduce{' --quick' if opts.quick else ''}"
            f"{' --mixed_precision' if opts.mixed_precision else ''}` on "
            f"{datetime.date.today().isoformat()}, TensorFlow {VERSION}, "
            f"{os.cpu_count()} CPU cores. Test accuracy on MNIST's 10000 test images. The "
            "reference is the test accuracy of our own reference run at the same budget "
            "(canonical MNIST, seed 0, TensorFlow 2.21, 2 CPU cores), with what the post or "
            "the tutorial it follows reports. Wall time includes graph building, data loading "
            "and evaluation; steps/s is training alone.",
            "",
            "| post | module | steps x batch | reference | reproduced | meets bar | wall time "
            "| steps/s | curves |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    path = report_dir / ("reproduction-mixed.md" if opts.mixed_precision else "reproduction.md")
    _atomic_write(path, text)
    return path


def main(opts: Options, _args: list[str]) -> int:
    try:
        results = reproduce(opts)
    except KeyboardInterrupt:
        return 130
    below = [
        spec.name
        for spec in ports.specs(opts.models)
        if results[spec.name]["accuracy"] < spec.budget_for(opts.quick).threshold
    ]
    if below:
        print(f"below the reference bar: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    cli.main(main, Options())
