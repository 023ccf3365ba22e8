"""Every port through the shared harness on synthetic IDX data, in seconds (part of the fast
layer: no MNIST needed).

Builds, trains, resumes, interrupts, bad checkpoints, divergence, prediction, the hooks and the
summary tags, for every port in the registry, without the real MNIST.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, event_steps, run_cli

from tf1_mnist import input_data
from tf1_mnist.support import console
from tf1_mnist.support.compat import tf
from tf1_mnist.support.errors import CheckpointError, DivergedError, Error
from tf1_mnist.training import command, graph, ports, results

STEPS = 12  # a few dozen steps at most: the fast layer checks mechanics, not accuracy


def _config(spec: ports.ModelSpec, tmp_path: Path, data_dir: Path, **overrides):
    values = dict(
        data_dir=str(data_dir),
        logdir=str(tmp_path / "logs"),
        ckpt_dir=str(tmp_path / "ckpt"),
        max_steps=STEPS,
        log_every=0,
        summary_every=1,
        save_every=5,
        eval_every=6,
        eval_batch_size=100,
        plots=False,
    )
    values.update(overrides)
    return spec.config(**values)


@pytest.fixture(params=ports.PORTS)
def spec(request: pytest.FixtureRequest) -> ports.ModelSpec:
    return ports.get(request.param)


# --------------------------------------------------------------------------- graph and train


def test_graph_is_finalized_with_step_and_tagged_summaries(spec: ports.ModelSpec) -> None:
    built = graph.build_graph(spec, spec.config())
    assert built.graph.finalized
    assert built.global_step.op.name == "global_step"
    with pytest.raises(RuntimeError):  # post 002's per-sample .eval() bug cannot come back
        with built.graph.as_default():
            tf.argmax(built.probabilities, 1)
    tags = {op.op.name for op in built.graph.get_collection(tf.GraphKeys.SUMMARIES)}
    assert {spec.loss_tag, spec.accuracy_tag} <= tags


def test_trains_resumes_and_starts_fresh(
    spec: ports.ModelSpec, tmp_path: Path, synthetic_dir: Path
) -> None:
    first = command.run(spec, _config(spec, tmp_path, synthetic_dir))
    assert (first.training.first_step, first.training.last_step) == (0, STEPS)
    assert 0.0 <= first.test_accuracy <= 1.0 and first.test_loss == first.test_loss  # not NaN
    dirs = ports.run_dirs(spec, _config(spec, tmp_path, synthetic_dir))
    latest = tf.train.latest_checkpoint(str(dirs.ckpt_dir))
    assert latest == f"{dirs.ckpt_prefix}-{STEPS}"  # saved at the end, not only every 5
    assert (Path(f"{dirs.ckpt_prefix}-10.index")).exists()
    assert event_steps(dirs.logdir, spec.loss_tag) == list(range(STEPS))
    assert event_steps(dirs.logdir / "validation", spec.accuracy_tag) == [6, 12]

    second = command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=STEPS + 4))
    assert (second.training.first_step, second.training.last_step) == (STEPS, STEPS + 4)
    assert event_steps(dirs.logdir, spec.loss_tag) == list(range(STEPS + 4))  # continued

    done = command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=STEPS + 4))
    assert done.training.first_step == done.training.last_step == STEPS + 4
    assert done.test_accuracy == pytest.approx(second.test_accuracy)

    fresh = command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=3, fresh=True))
    assert (fresh.training.first_step, fresh.training.last_step) == (0, 3)
    assert event_steps(dirs.logdir, spec.loss_tag) == [0, 1, 2]


def test_softmax_learns_the_synthetic_digits(tmp_path: Path, synthetic_dir: Path) -> None:
    """The loop really trains: the synthetic digit k is a bright band at row 2k."""
    spec = ports.get("softmax")
    result = command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=40))
    assert result.test_accuracy >= 0.9


@pytest.mark.parametrize("eval_every", [6, 5])
def test_pr_curves_at_each_evaluation_and_once_at_the_end(
    eval_every: int, tmp_path: Path, synthetic_dir: Path
) -> None:
    """One set of PR curves per evaluation, and the end's, never written twice at one step
    (with 12 steps: evaluations at 6 and 12, or at 5 and 10 and then the end)."""
    spec = ports.get("softmax")
    cfg = _config(spec, tmp_path, synthetic_dir, eval_every=eval_every, pr_curves=True)
    command.run(spec, cfg)
    expected = sorted({*range(eval_every, STEPS + 1, eval_every), STEPS})
    assert event_steps(tmp_path / "logs" / "softmax", "pr_curve/digit_3/pr_curves") == expected


def test_predict_mode_prints_samples_and_draws_the_grid(
    spec: ports.ModelSpec, tmp_path: Path, synthetic_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=2))
    capsys.readouterr()
    cfg = _config(spec, tmp_path, synthetic_dir, is_train=0, predict_count=7, plots=True)
    result = command.run(spec, cfg)
    out = capsys.readouterr().out
    assert len(result.predictions) == 7
    line = spec.lines_for(cfg.lang).sample or console.OURS.sample  # the post's, or ours
    expected = [
        line.format({"index": i, "true": t, "predicted": p})
        for i, (t, p) in enumerate(result.predictions)
    ]
    assert out.splitlines() == expected
    assert (ports.run_dirs(spec, cfg).plot_dir / "predictions.png").is_file()
    assert event_steps(ports.run_dirs(spec, cfg).logdir, spec.loss_tag) == [0, 1]


# --------------------------------------------------------------------------- interrupts


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_saves_flushes_and_resumes(
    signum: int, tmp_path: Path, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ports.get("fc")
    batches = input_data.DataSet.next_batch
    calls = []

    def next_batch(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 8:  # the signal arrives while step 7 runs
            os.kill(os.getpid(), signum)
        return batches(self, *args, **kwargs)

    monkeypatch.setattr(input_data.DataSet, "next_batch", next_batch)
    cfg = _config(spec, tmp_path, synthetic_dir, max_steps=1000, save_every=0)
    result = command.run(spec, cfg)
    assert result.training.interrupted_by == signum
    assert result.training.last_step == 8 and result.test_accuracy is None
    dirs = ports.run_dirs(spec, cfg)
    assert tf.train.latest_checkpoint(str(dirs.ckpt_dir)) == f"{dirs.ckpt_prefix}-8"
    assert event_steps(dirs.logdir, spec.loss_tag) == list(range(8))
    monkeypatch.undo()
    resumed = command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=10))
    assert (resumed.training.first_step, resumed.training.last_step) == (8, 10)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


# --------------------------------------------------------------------------- checkpoints


@pytest.fixture
def short_fc(tmp_path: Path, synthetic_dir: Path) -> ports.RunDirs:
    spec = ports.get("fc")
    command.run(spec, _config(spec, tmp_path, synthetic_dir, max_steps=5))
    return ports.run_dirs(spec, _config(spec, tmp_path, synthetic_dir))


def _run_fc(tmp_path: Path, data_dir: Path, **overrides) -> results.RunResult:
    spec = ports.get("fc")
    return command.run(spec, _config(spec, tmp_path, data_dir, **overrides))


def test_predict_without_checkpoint_says_train_first(tmp_path: Path, synthetic_dir: Path) -> None:
    with pytest.raises(CheckpointError, match="train first with `python -m tf1_mnist.fc`"):
        _run_fc(tmp_path, synthetic_dir, is_train=0)


@pytest.mark.parametrize("is_train", [0, 1])
def test_corrupt_checkpoint_data(
    short_fc: ports.RunDirs, tmp_path: Path, synthetic_dir: Path, is_train: int
) -> None:
    next(short_fc.ckpt_dir.glob("*.data-*")).write_bytes(b"\x00" * 10)
    damaged = r"fc_nn_model-5\.data-00000-of-00001 is damaged"
    with pytest.raises(CheckpointError, match=damaged) as err:
        _run_fc(tmp_path, synthetic_dir, is_train=is_train)
    assert err.value.__cause__ is not None  # the library keeps TensorFlow's error


def test_corrupt_checkpoint_index(
    short_fc: ports.RunDirs, tmp_path: Path, synthetic_dir: Path
) -> None:
    next(short_fc.ckpt_dir.glob("*.index")).write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"fc_nn_model-5\.index is damaged"):
        _run_fc(tmp_path, synthetic_dir, is_train=0)


def test_checkpoint_state_file_pointing_nowhere(
    short_fc: ports.RunDirs, tmp_path: Path, synthetic_dir: Path
) -> None:
    for f in short_fc.ckpt_dir.glob("fc_nn_model-*"):
        f.unlink()
    with pytest.raises(CheckpointError, match=r"fc_nn_model-5\.index is missing"):
        _run_fc(tmp_path, synthetic_dir, is_train=0)


def test_checkpoint_of_another_model(tmp_path: Path, synthetic_dir: Path) -> None:
    softmax = ports.get("softmax")
    command.run(softmax, _config(softmax, tmp_path, synthetic_dir, max_steps=3))
    shutil.copytree(tmp_path / "ckpt" / "softmax", tmp_path / "ckpt" / "fc")
    with pytest.raises(CheckpointError, match="not written by model 'fc'.*weightes_1"):
        _run_fc(tmp_path, synthetic_dir, is_train=0)


# --------------------------------------------------------------------------- hooks


def test_divergence_stops_with_the_posts_hint(tmp_path: Path, synthetic_dir: Path) -> None:
    spec = ports.get("softmax")
    with pytest.raises(DivergedError, match="training diverged") as err:
        command.run(spec, _config(spec, tmp_path, synthetic_dir, learning_rate=1e4))
    assert spec.divergence_hint in str(err.value) and "--learning_rate" in str(err.value)
    assert isinstance(err.value, Error)
    dirs = ports.run_dirs(spec, _config(spec, tmp_path, synthetic_dir))
    assert not list(dirs.ckpt_dir.glob("*.index"))  # no NaN weights saved


def test_prologue_and_epilogue_run_around_training(tmp_path: Path, synthetic_dir: Path) -> None:
    """Post 004's look at the data before training and its prediction grid after, as figures
    in --plot_dir (and nothing of the kind for a port without hooks)."""
    logistic = ports.get("logistic")
    cfg = _config(logistic, tmp_path, synthetic_dir, plots=True, plot_dir=str(tmp_path / "fig"))
    command.run(logistic, cfg)
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == [
        "test_predictions.png",
        "train_image_1000.png",
    ]
    fc = ports.get("fc")
    command.run(fc, _config(fc, tmp_path, synthetic_dir, plots=True))
    assert not list((tmp_path / "logs").rglob("*.png"))


@pytest.mark.parametrize(
    "module",
    # ports.py holds the list of ports; config.py's help texts tell users which post a flag serves.
    sorted(
        p.name
        for p in (ROOT / "tf1_mnist" / "training").glob("*.py")
        if p.name not in ("ports.py", "config.py")
    ),
)
def test_training_knows_no_post_by_name(module: str) -> None:
    """No import of a port and no string naming one in the training machinery (the list of
    ports is ``training/ports.py``'s alone): post-specific behaviour comes through the spec's
    hooks (comments may still say which post a shared fix comes from)."""
    tree = ast.parse((ROOT / "tf1_mnist" / "training" / module).read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    strings = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]
    for name in ports.PORTS:
        assert name not in imported
        assert not [s for s in strings if re.search(rf"\b{name}\b|\bpost 0", s)], name


# --------------------------------------------------------------------------- the command


def test_command_trains_on_synthetic_data(tmp_path: Path, synthetic_dir: Path) -> None:
    proc = run_cli(
        "tf1_mnist.fc",
        f"--data_dir={synthetic_dir}",
        f"--logdir={tmp_path / 'logs'}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
        "--max_steps=3",
        "--lang=en",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^Step 2, loss of the 50 samples: ", proc.stdout, re.M)
    assert "test accuracy:" in proc.stderr  # ours: post 002 prints no test accuracy
    # A quiet start: none of TensorFlow's C++ preamble (tf1_mnist.support.quiet).
    for preamble in ("cuInit", "absl::InitializeLog", "E0000", "oneDNN custom operations"):
        assert preamble not in proc.stderr, proc.stderr


def test_command_errors_are_one_line(tmp_path: Path, synthetic_dir: Path) -> None:
    args = [f"--data_dir={synthetic_dir}", f"--ckpt_dir={tmp_path / 'ckpt'}"]
    no_ckpt = run_cli("tf1_mnist.softmax", "--is_train=0", *args, cwd=tmp_path)
    assert no_ckpt.returncode == 1
    assert no_ckpt.stderr.strip().splitlines()[-1].startswith("error: no checkpoint in")
    assert "Traceback" not in no_ckpt.stderr
    (tmp_path / "taken").write_text("a file where the checkpoint folder should be")
    taken = run_cli("tf1_mnist.softmax", f"--ckpt_dir={tmp_path / 'taken'}", cwd=tmp_path)
    assert taken.returncode == 1 and "Traceback" not in taken.stderr
    assert taken.stderr.strip().splitlines()[-1].startswith("error: cannot write checkpoints")
    bad_flag = run_cli("tf1_mnist.softmax", "--max_steps=many", *args, cwd=tmp_path)
    assert bad_flag.returncode == 1 and "max_steps" in bad_flag.stderr


def test_ctrl_c_on_the_command_saves_and_exits_128_plus_sigint(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """Ctrl-C on a real command: exit code 128 + SIGINT, one message, a checkpoint that the
    next command restores."""
    args = [
        f"--data_dir={synthetic_dir}",
        f"--logdir={tmp_path / 'logs'}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tf1_mnist.fc", "--max_steps=1000000", "--save_every=0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if line.startswith("第 20 步") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    assert "interrupted at step" in stderr and "Traceback" not in stderr
    step = int(re.search(r"interrupted at step (\d+)", stderr).group(1))
    assert step > 20
    latest = tf.train.latest_checkpoint(str(tmp_path / "ckpt" / "fc"))
    assert latest.endswith(f"fc_nn_model-{step}")  # saved although --save_every=0
    assert event_steps(tmp_path / "logs" / "fc", "loss") == list(range(step))  # flushed
    restored = run_cli("tf1_mnist.fc", "--is_train=0", "--predict_count=3", *args, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert f"(step {step})" in restored.stderr  # our note; stdout is the post's lines
