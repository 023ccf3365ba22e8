"""python -m tf1_mnist.reproduce: the report, its thresholds, and no retraining of what is done."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import png_pixels, run_cli

from tf1_mnist.training import ports


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("reproduce")
    proc = run_cli(
        "tf1_mnist.reproduce", "--quick", "--models=softmax,fc", f"--data_dir={mnist_dir}", cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr
    return cwd, proc.stdout


def _rows(report: str) -> dict[str, list[str]]:
    rows = {}
    for line in report.splitlines():
        match = re.match(r"\| .* \| `tf1_mnist\.(\w+)` \|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip("|").split("|")]
    return rows


def test_report_meets_the_thresholds(first_run: tuple[Path, str]) -> None:
    cwd, _ = first_run
    report = (cwd / "reports" / "reproduction.md").read_text()
    rows = _rows(report)
    assert set(rows) == {"softmax", "fc"}
    for model, cells in rows.items():
        post, _, budget, reference, reproduced, verdict, wall, rate, curve = cells
        spec = ports.get(model)
        assert budget == f"{spec.budget.steps} x {spec.defaults['batch_size']}"
        assert float(reproduced) >= spec.budget.threshold, (model, reproduced)
        assert reference.startswith(f"{spec.budget.reference:.4f} (our reference run")
        assert verdict.startswith("yes")
        assert float(wall.split()[0]) > 0 and float(rate) > 0
        png = re.search(r"\((.+\.png)\)", curve).group(1)
        png_pixels(cwd / "reports" / png, (1000, 400))
    results = json.loads((cwd / "reports" / "results-quick.json").read_text())
    assert {m: r["steps"] for m, r in results.items()} == {"softmax": 1000, "fc": 2000}
    assert (cwd / "logs" / "reproduce-quick" / "fc").is_dir()
    assert (cwd / "ckpt" / "reproduce-quick" / "fc" / "checkpoint").is_file()


def test_second_call_retrains_nothing(first_run: tuple[Path, str], mnist_dir: Path) -> None:
    cwd, _ = first_run
    before = sorted(p.name for p in (cwd / "ckpt" / "reproduce-quick").rglob("*"))
    results = (cwd / "reports" / "results-quick.json").read_text()
    proc = run_cli(
        "tf1_mnist.reproduce", "--quick", "--models=softmax,fc", f"--data_dir={mnist_dir}", cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("already reproduced") == 2
    assert "steps/s" not in proc.stderr  # no training progress
    assert sorted(p.name for p in (cwd / "ckpt" / "reproduce-quick").rglob("*")) == before
    assert (cwd / "reports" / "results-quick.json").read_text() == results
    assert set(_rows((cwd / "reports" / "reproduction.md").read_text())) == {"softmax", "fc"}


def test_force_retrains(first_run: tuple[Path, str], mnist_dir: Path) -> None:
    cwd, _ = first_run
    proc = run_cli(
        "tf1_mnist.reproduce",
        "--quick",
        "--models=softmax",
        "--force",
        f"--data_dir={mnist_dir}",
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    assert "already reproduced" not in proc.stdout
    assert "--fresh: removed" in proc.stderr
    assert re.search(r"^0\.9\d+$", proc.stdout, re.M)  # post 000's bare test accuracy


def test_unknown_model_is_one_message(tmp_path: Path) -> None:
    proc = run_cli("tf1_mnist.reproduce", "--models=softmax,lenet", cwd=tmp_path)
    assert proc.returncode == 1
    assert "unknown model(s) lenet" in proc.stderr and "Traceback" not in proc.stderr
    assert "the ports are softmax, cnn, fc, logistic" in proc.stderr
