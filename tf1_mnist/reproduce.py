"""Reproduce the blogs' numbers in one command, and write the report.

    python -m tf1_mnist.reproduce [--models softmax,fc,cnn,logistic] [--quick] [--force]

Trains each port at its blog budget (``--quick``: the CNN at 500 steps, the others at their
full budgets, which take seconds) into ``logs/reproduce-<full|quick>/<model>/`` and
``ckpt/reproduce-<full|quick>/<model>/``, then writes ``reports/reproduction.md``: per script
the post, the budget, the reference accuracy (SPEC), the reproduced test accuracy, wall time,
steps per second and a learning-curve PNG.  A model already finished at that budget is not
retrained (``--force`` retrains it); an interrupted run resumes from its checkpoint.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import json
import os
import sys
import time
from pathlib import Path

from absl import app, flags

from tf1_mnist import harness, input_data, plots
from tf1_mnist.atomic import atomic_path

MODELS = ("softmax", "fc", "cnn", "logistic")


@dataclasses.dataclass(frozen=True)
class Budget:
    """A training budget with the accuracy SPEC reports for it and the bar it must clear."""

    steps: int
    reference: float
    threshold: float
    source: str


# Reference accuracies: ../shared/SPEC.md (measured on the canonical data, TF 2.21, 2 cores).
FULL = {
    "softmax": Budget(1000, 0.9187, 0.91, "SPEC"),
    "fc": Budget(2000, 0.852, 0.83, "SPEC"),
    "cnn": Budget(30000, 0.992, 0.99, "TensorFlow's Deep MNIST tutorial"),
    "logistic": Budget(27500, 0.864, 0.85, "SPEC; validation 0.8652"),
}
QUICK = dict(FULL, cnn=Budget(500, 0.952, 0.94, "SPEC, at 500 steps"))
# Steps per second measured here (2 cores), for the overall ETA before a model has run.
TYPICAL_RATE = {"softmax": 1700.0, "fc": 410.0, "cnn": 36.0, "logistic": 2600.0}

FLAGS = flags.FLAGS


def define_flags() -> None:
    if "models" in FLAGS:
        return
    flags.DEFINE_list("models", list(MODELS), "Ports to reproduce, comma-separated.")
    flags.DEFINE_bool("quick", False, "Short budgets (the CNN at 500 steps): a few minutes.")
    flags.DEFINE_bool("force", False, "Retrain models already finished at this budget.")
    flags.DEFINE_string(
        "data_dir",
        os.environ.get(input_data.DATA_DIR_ENV) or "MNIST_data/",
        f"MNIST folder (default ${input_data.DATA_DIR_ENV}, else MNIST_data/).",
    )
    flags.DEFINE_string("logdir", "logs/", "Runs go to LOGDIR/reproduce-<full|quick>/<model>/.")
    flags.DEFINE_string("ckpt_dir", "ckpt/", "Checkpoints: CKPT_DIR/reproduce-<full|quick>/.")
    flags.DEFINE_string("report_dir", "reports/", "reproduction.md and the curves go here.")


@dataclasses.dataclass
class Options:
    models: list[str]
    quick: bool = False
    force: bool = False
    data_dir: str = "MNIST_data/"
    logdir: str = "logs/"
    ckpt_dir: str = "ckpt/"
    report_dir: str = "reports/"

    @property
    def label(self) -> str:
        return "quick" if self.quick else "full"


def reproduce(opts: Options) -> dict:
    """Train what is missing, write the report; return the results by model."""
    unknown = [m for m in opts.models if m not in MODELS]
    if unknown:
        raise harness.UserError(f"unknown model(s) {', '.join(unknown)}; choose from {MODELS}")
    budgets = QUICK if opts.quick else FULL
    report_dir = Path(opts.report_dir)
    results_path = report_dir / f"results-{opts.label}.json"
    results = _load(results_path)
    logdir = Path(opts.logdir) / f"reproduce-{opts.label}"
    ckpt_dir = Path(opts.ckpt_dir) / f"reproduce-{opts.label}"
    start = time.perf_counter()
    for k, model in enumerate(opts.models, 1):
        budget = budgets[model]
        spec = importlib.import_module(f"tf1_mnist.{model}").SPEC
        done = results.get(model)
        finished = (
            done is not None
            and done["steps"] == budget.steps
            and (ckpt_dir / model / "checkpoint").exists()
        )
        if finished and not opts.force:
            print(
                f"[{k}/{len(opts.models)}] {model}: already reproduced at {budget.steps} steps "
                f"(test accuracy {done['accuracy']:.4f}); --force retrains"
            )
            continue
        remaining = sum(budgets[m].steps / _rate(results, m) for m in opts.models[k - 1 :])
        print(
            f"[{k}/{len(opts.models)}] {model}: {budget.steps} steps; about "
            f"{_minutes(remaining)} left in all",
            flush=True,
        )
        cfg = harness.Config(
            **dict(
                spec.defaults,
                data_dir=opts.data_dir,
                logdir=str(logdir),
                ckpt_dir=str(ckpt_dir),
                max_steps=budget.steps,
                log_every=0,
                fresh=opts.force,
            )
        )
        began = time.perf_counter()
        result = harness.run(spec, cfg)
        wall = time.perf_counter() - began
        if result.interrupted_by is not None:
            print(
                f"interrupted: {model} keeps its checkpoint at step {result.last_step}; "
                "run the same command to resume",
                file=sys.stderr,
            )
            _write_report(opts, budgets, results, report_dir, logdir)
            raise KeyboardInterrupt
        record = {
            "steps": budget.steps,
            "accuracy": result.test_accuracy,
            "wall_seconds": wall,
            "train_seconds": result.train_seconds,
            "steps_per_second": result.steps_per_second,
            "resumed_from": result.first_step,
            "date": datetime.date.today().isoformat(),
        }
        if result.first_step >= budget.steps and done:  # trained earlier: keep its timing
            record.update(
                {
                    key: done[key]
                    for key in ("wall_seconds", "train_seconds", "steps_per_second", "resumed_from")
                }
            )
        results[model] = record
        _atomic_write(results_path, json.dumps(results, indent=2))
    report = _write_report(opts, budgets, results, report_dir, logdir)
    print(f"report: {report} ({_minutes(time.perf_counter() - start)})")
    return results


def _rate(results: dict, model: str) -> float:
    measured = results.get(model, {}).get("steps_per_second") or 0.0
    return measured or TYPICAL_RATE[model]


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


def _write_report(
    opts: Options, budgets: dict, results: dict, report_dir: Path, logdir: Path
) -> Path:
    rows = []
    for model in MODELS:
        if model not in results or results[model]["steps"] != budgets[model].steps:
            continue
        spec = importlib.import_module(f"tf1_mnist.{model}").SPEC
        r, b = results[model], budgets[model]
        curve = report_dir / f"{model}-{opts.label}-curves.png"
        runs = {"train": logdir / model}
        if (logdir / model / "validation").is_dir():
            runs["validation"] = logdir / model / "validation"
        plots.learning_curves(runs, curve, title=f"tf1_mnist.{model}, {b.steps} steps")
        verdict = "yes" if r["accuracy"] >= b.threshold else "**no**"
        resumed = f" (resumed at {r['resumed_from']})" if r["resumed_from"] else ""
        rows.append(
            f"| {spec.blog} | `tf1_mnist.{model}` | {b.steps} x {spec.defaults['batch_size']}"
            f" | {b.reference:.4f} ({b.source}) | {r['accuracy']:.4f} | {verdict} (>= "
            f"{b.threshold}) | {r['wall_seconds']:.1f} s{resumed} | {r['steps_per_second']:.1f}"
            f" | ![{model}]({curve.name}) |"
        )
    text = "\n".join(
        [
            f"# Reproduction ({opts.label} budgets)",
            "",
            f"`python -m tf1_mnist.reproduce{' --quick' if opts.quick else ''}` on "
            f"{datetime.date.today().isoformat()}, TensorFlow {harness.tf.VERSION}, "
            f"{os.cpu_count()} CPU cores. Test accuracy on MNIST's 10000 test images; wall "
            "time includes graph building, data loading and evaluation; steps/s is training.",
            "",
            "| post | module | steps x batch | reference | reproduced | meets bar | wall time "
            "| steps/s | curves |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    path = report_dir / "reproduction.md"
    _atomic_write(path, text)
    return path


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    opts = Options(
        models=FLAGS.models,
        quick=FLAGS.quick,
        force=FLAGS.force,
        data_dir=FLAGS.data_dir,
        logdir=FLAGS.logdir,
        ckpt_dir=FLAGS.ckpt_dir,
        report_dir=FLAGS.report_dir,
    )
    try:
        results = reproduce(opts)
    except (harness.UserError, input_data.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    budgets = QUICK if opts.quick else FULL
    below = [m for m in opts.models if results[m]["accuracy"] < budgets[m].threshold]
    if below:
        print(f"below the reference bar: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
