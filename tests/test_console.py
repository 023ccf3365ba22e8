"""What a run prints, and when it refuses to start: the posts' own lines (their format strings,
copied below from the posts as literals), their English translations, our notes on stderr, a
quiet start, one training run per checkpoint folder, unwritable folders."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from tf1_mnist import cluster
from tf1_mnist.support import quiet
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import checkpoints, command, graph, local, ports

# The posts' own print statements (post 001's are those of TensorFlow's "Deep MNIST for
# Experts", which it follows; post 000 prints the bare accuracy).
POST_002_STEP = "第 %d 步的50个样本损失为:%f , 准确率为:%f"
POST_002_SAMPLE = "第 %d 样本,真实的图片数字为:%d, 神经网络预测的数字为:%d "
POST_004_EPOCH = "第%2d轮训练:损失为:%9f,准确率:%.4f"
POST_004_FIRST_CELL = ("训练集数量:", "特征值组成:", "标签组成:", "标签值:", "独热编码表示:")
TUTORIAL_001_STEP = "step %d, training accuracy %g"
TUTORIAL_001_TEST = "test accuracy %g"

_CONVERSIONS = {
    "d": (r"-?\d+", int),
    "f": (r"-?\d+\.\d+", float),
    "g": (r"-?[\d.]+(?:e[-+]\d+)?", float),
}


def _matches_verbatim(fmt: str, line: str) -> bool:
    """``line`` is exactly what ``fmt % values`` prints for the values it shows: the text,
    spacing, widths and number formats of ``fmt``, to the character."""
    parts = re.split(r"(%[-\d.]*[dfg])", fmt)
    pattern, converters = "", []
    for part in parts:
        spec = re.fullmatch(r"%([-\d]*)(?:\.\d+)?([dfg])", part)
        if spec:
            regex, convert = _CONVERSIONS[spec.group(2)]
            pattern += rf"\s*({regex})"
            converters.append(convert)
        else:
            pattern += re.escape(part)
    match = re.fullmatch(pattern, line)
    if not match:
        return False
    values = tuple(c(v) for c, v in zip(converters, match.groups(), strict=True))
    return fmt % values == line


def _run(name: str, tmp_path: Path, data_dir: Path, capsys, **overrides) -> tuple[str, str]:
    spec = ports.get(name)
    cfg = spec.config(
        data_dir=str(data_dir),
        logdir=str(tmp_path / "logs"),
        ckpt_dir=str(tmp_path / "ckpt"),
        plots=False,
        **overrides,
    )
    capsys.readouterr()
    command.run(spec, cfg)
    out = capsys.readouterr()
    return out.out, out.err


def test_the_format_check_can_fail() -> None:
    assert _matches_verbatim(POST_004_EPOCH, POST_004_EPOCH % (3, 0.5, 0.25))
    assert not _matches_verbatim(POST_004_EPOCH, "第3轮训练:损失为:0.500000,准确率:0.2500")  # %2d
    assert not _matches_verbatim(POST_002_SAMPLE, POST_002_SAMPLE.rstrip() % (1, 2, 3))


def test_post_002_prints_its_own_lines(tmp_path: Path, synthetic_dir: Path, capsys) -> None:
    out, err = _run("fc", tmp_path, synthetic_dir, capsys, max_steps=5)
    lines = out.splitlines()
    assert len(lines) == 5 and all(_matches_verbatim(POST_002_STEP, line) for line in lines)
    assert [int(re.match(r"第 (\d+) 步", line).group(1)) for line in lines] == list(range(5))
    assert "test accuracy:" in err and "test accuracy" not in out  # ours: the post has none
    out, err = _run("fc", tmp_path, synthetic_dir, capsys, is_train=0, predict_count=4)
    assert [_matches_verbatim(POST_002_SAMPLE, line) for line in out.splitlines()] == [True] * 4
    assert "restored" in err and "/4 predicted correctly" in err


def test_post_004_prints_its_first_cell_and_epoch_lines(
    tmp_path: Path, synthetic_dir: Path, capsys
) -> None:
    epoch = 11  # 1100 synthetic training images in batches of 100
    out, _ = _run(
        "logistic", tmp_path, synthetic_dir, capsys, max_steps=2 * epoch, eval_every=epoch
    )
    lines = out.splitlines()
    count, features, labels, label, one_hot = POST_004_FIRST_CELL
    # print("训练集数量:", n, "特征值组成:", shape, "标签组成:", shape), as the post calls it
    assert lines[0] == f"{count} 1100 {features} (1100, 784) {labels} (1100, 10)"
    assert lines[1] == "(10, 784) (10, 10)"
    assert re.fullmatch(rf"{label} \d {one_hot} \[(?:[01]\. ?){{10}}\]", lines[2])
    assert [_matches_verbatim(POST_004_EPOCH, line) for line in lines[3:]] == [True, True]
    assert lines[3].startswith("第 1轮训练") and lines[4].startswith("第 2轮训练")


def test_post_001_prints_the_tutorials_lines(tmp_path: Path, synthetic_dir: Path, capsys) -> None:
    out, _ = _run(
        "cnn", tmp_path, synthetic_dir, capsys, max_steps=3, log_every=1, eval_batch_size=100
    )
    lines = out.splitlines()
    assert [_matches_verbatim(TUTORIAL_001_STEP, line) for line in lines[:3]] == [True] * 3
    assert _matches_verbatim(TUTORIAL_001_TEST, lines[3]) and len(lines) == 4


def test_post_000_prints_the_bare_accuracy(tmp_path: Path, synthetic_dir: Path, capsys) -> None:
    out, _ = _run("softmax", tmp_path, synthetic_dir, capsys, max_steps=20, eval_batch_size=100)
    (line,) = out.splitlines()
    assert line == str(np.float32(float(line)))  # print(sess.run(accuracy)): a float32


def test_lang_en_translates_the_same_lines(tmp_path: Path, synthetic_dir: Path, capsys) -> None:
    out, _ = _run("fc", tmp_path, synthetic_dir, capsys, max_steps=2, lang="en")
    assert [re.sub(r"[\d.]+", "N", line) for line in out.splitlines()] == [
        "Step N, loss of the N samples: N , accuracy: N"
    ] * 2
    out, _ = _run(
        "logistic", tmp_path / "l", synthetic_dir, capsys, max_steps=11, lang="en", eval_every=11
    )
    assert out.splitlines()[0] == "training examples: 1100 features: (1100, 784) labels: (1100, 10)"
    assert re.fullmatch(r"Epoch  1: loss: +[\d.]+, accuracy: [\d.]{6}", out.splitlines()[-1])


# --------------------------------------------------------------------------- quiet start


def _through_filter(name: str, *lines: str) -> str:
    """What reaches stderr of a process whose C++ side writes ``lines`` to fd 2 inside
    ``quiet.<name>()``."""
    payloads = [line.encode() + b"\n" for line in lines]
    writes = "".join(f"    os.write(2, {payload!r})\n" for payload in payloads)
    code = (
        f"import os\nfrom tf1_mnist.support import quiet\n"
        f"with quiet.{name}():\n{writes}quiet.drain()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr


def test_preamble_filter_keeps_everything_else() -> None:
    """What C++ writes to fd 2 inside the filter: the known preamble lines go, the rest stays."""
    real = "E0000 00:00:1795.5   42 some_op.cc:7] a real error"
    assert (
        _through_filter(
            "native_stderr_filtered",
            "WARNING: All log messages before absl::InitializeLog() is called are written to "
            "STDERR",
            "E0000 00:00:1795.5   42 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
            real,
        )
        == real + "\n"
    )


def test_cluster_filter_drops_the_ends_of_sessions_only() -> None:
    """A cluster task's fd 2: the chatter of sessions closing against a parameter server that
    has exited goes, continuation lines included; a real error stays."""
    real = "E0000 00:00:1796.6   20819 master_session.cc:9] INTERNAL: real"
    assert (
        _through_filter(
            "run_noise_filtered",
            "W0000 00:00:1796.6   20819 master_session.cc:2166] UNAVAILABLE: Socket closed",
            "Additional GRPC error information from remote target /job:ps/replica:0/task:0",
            ":UNKNOWN:Error received from peer  {grpc_status:14}",
            "W0000 00:00:1796.6   21780 master_session.cc:2166] UNAVAILABLE: recvmsg:Connection "
            "reset by peer",
            real,
        )
        == real + "\n"
    )


def test_run_filter_drops_the_cpu_trace_notice() -> None:
    """A traced step (``RunOptions(trace_level=FULL_TRACE)``) on a machine without a GPU: its
    notice goes, a real warning stays."""
    real = "W0000 00:00:1796.2   29841 op_kernel.cc:1857] OP_REQUIRES failed: real"
    assert (
        _through_filter(
            "run_noise_filtered",
            "W0000 00:00:1796284144.182503   29841 xplane_to_step_stats.cc:84] GPU trace was "
            "not collected.",
            real,
        )
        == real + "\n"
    )


def test_cluster_filter_cuts_a_record_out_of_a_line_it_landed_in() -> None:
    """``print`` to stderr is two writes (the text, then the newline): a record TensorFlow's
    C++ logs in between is cut out, and our line is whole again (CI once saw it leak)."""
    record = (
        "W1202 10:51:59.123458   20909 local_rendezvous.cc:412] Local rendezvous is aborting "
        "with status: ABORTED: Cleanup 29124014889878070 "
        "[type.googleapis.com/tensorflow.DerivedStatus='']\n"
    )
    code = (
        "import os\nfrom tf1_mnist.support import quiet\nwith quiet.run_noise_filtered():\n"
        "    os.write(2, b'ps 0: worker 1 is done (1/2)')\n"
        f"    os.write(2, {record.encode()!r})\n"
        "    os.write(2, b'\\n')\n"
        "    os.write(2, b'ps 0: worker 0 is done (2/2)\\n')\n"
        "quiet.drain()\n"
    )
    stderr = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
    assert stderr == "ps 0: worker 1 is done (1/2)\nps 0: worker 0 is done (2/2)\n"
    # The launcher's copy of the filter, line by line, as its pump sees them.
    noise = quiet.NoiseFilter()
    assert noise("ps 0: worker 1 is done (1/2)" + record) == "ps 0: worker 1 is done (1/2)"
    assert noise("\t [[{{node global_step/Read}}]]\n") == ""
    assert noise("\n") == "\n"
    assert noise(record) == "" and noise("a real line\n") == "a real line\n"


def test_launcher_drops_late_cluster_records(capsys: pytest.CaptureFixture[str]) -> None:
    """The launcher's pump: records a task logged after its own filter ended are dropped, a
    line they were glued onto is printed whole, after the task's name."""
    record = "I0000 00:00:1796.6   20819 master_session.cc:2166] UNAVAILABLE: Socket closed\n"
    lines = ["ps 0: exiting" + record, "\n", "a real error\n", record, "last words"]
    cluster.pump(iter(lines), "ps0", sys.stderr, quiet.NoiseFilter())
    assert capsys.readouterr().err == "[ps0] ps 0: exiting\n[ps0] a real error\n[ps0] last words\n"


@pytest.mark.slow
def test_verbose_shows_the_preamble_the_filter_hides(tmp_path: Path, synthetic_dir: Path) -> None:
    """TF1_MNIST_VERBOSE=1: TensorFlow's start-up lines, on this machine, come back (so the
    quiet runs that the other tests check are quiet because of the filter)."""
    args = [
        "tf1_mnist.softmax",
        f"--data_dir={synthetic_dir}",
        f"--logdir={tmp_path / 'logs'}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
        "--max_steps=3",
    ]
    loud = run_cli(*args, env={"TF1_MNIST_VERBOSE": "1"}, cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert "absl::InitializeLog" in loud.stderr


# --------------------------------------------------------------------------- folders


def _trainer(tmp_path: Path, data_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tf1_mnist.fc",
            f"--data_dir={data_dir}",
            f"--logdir={tmp_path / 'logs'}",
            f"--ckpt_dir={tmp_path / 'ckpt'}",
            "--max_steps=1000000",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def _wait_for_steps(proc: subprocess.Popen, step: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if line.startswith(f"第 {step} 步") or time.monotonic() > deadline:
            return


@pytest.mark.slow  # two trainers and 25 restores: about 15 s
def test_one_run_per_checkpoint_folder(tmp_path: Path, synthetic_dir: Path) -> None:
    """A second run into the same folder stops at once naming the first run's pid; predicting
    works meanwhile, from complete checkpoints only; the lock of a killed run is taken over."""
    first = _trainer(tmp_path, synthetic_dir, "--save_every=1")  # a checkpoint every step
    try:
        _wait_for_steps(first, 10)
        second = run_cli(
            "tf1_mnist.fc",
            f"--data_dir={synthetic_dir}",
            f"--ckpt_dir={tmp_path / 'ckpt'}",
            f"--logdir={tmp_path / 'l2'}",
            cwd=tmp_path,
        )
        assert second.returncode == 1
        assert f"is being trained by another run (pid {first.pid}" in second.stderr
        assert "--ckpt_dir" in second.stderr and "Traceback" not in second.stderr
        assert not second.stdout  # it trained nothing

        spec = ports.get("fc")
        cfg = spec.config(ckpt_dir=str(tmp_path / "ckpt"), is_train=0)
        built = graph.build_graph(spec, cfg)
        steps = set()
        for _ in range(25):  # while checkpoints are written and deleted (max_to_keep=5)
            with local.restored_session(spec, cfg, built) as sess:
                steps.add(int(sess.run(built.global_step)))
        assert len(steps) > 1  # it really read a moving target
    finally:
        first.send_signal(signal.SIGKILL)  # no chance to clean up
        first.wait(timeout=60)
    third = _trainer(tmp_path, synthetic_dir, "--save_every=0")
    try:
        _wait_for_steps(third, max(steps) + 3)
        assert third.poll() is None  # training: the dead run's lock was taken over
    finally:
        third.send_signal(signal.SIGINT)
        _, stderr = third.communicate(timeout=60)
    assert third.returncode == 128 + signal.SIGINT, stderr
    assert "restored" in stderr and "resuming at step" in stderr


def test_unwritable_folders_fail_before_any_work(tmp_path: Path) -> None:
    """A file in the way, a read-only place (/proc refuses even root): one error naming the
    folder, before the data is even looked for (there is none here)."""
    (tmp_path / "taken").write_text("a file where the checkpoint folder should be")
    spec = ports.get("fc")
    common = dict(data_dir=str(tmp_path / "no_data"), logdir=str(tmp_path / "logs"))
    with pytest.raises(ConfigError, match=r"cannot write checkpoints to .*taken/fc/ \(a file"):
        command.run(spec, spec.config(**common, ckpt_dir=str(tmp_path / "taken")))
    with pytest.raises(ConfigError, match=r"cannot write summaries to /proc/tf1_mnist/fc/"):
        command.run(
            spec,
            spec.config(
                data_dir=str(tmp_path), ckpt_dir=str(tmp_path / "c"), logdir="/proc/tf1_mnist"
            ),
        )
    assert not (tmp_path / "no_data").exists()


def test_training_lock_is_reentrant_across_runs_in_one_process(tmp_path: Path) -> None:
    with checkpoints.training_lock(tmp_path):
        pass
    with checkpoints.training_lock(tmp_path):  # released at the end of the block
        content = (tmp_path / checkpoints.LOCK_NAME).read_text()
    assert content.split()[0] == str(os.getpid())
