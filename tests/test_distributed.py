"""Distributed training the TF1 way: a parameter server and workers on TensorFlow's own runtime,
on loopback only, inside a private network namespace where the test can make one (TensorFlow's
gRPC servers listen on every interface).  Bounded in steps and time."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from tf1_mnist import cluster
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import loop, ports
from tf1_mnist.training.distributed import ClusterTask

SCENARIOS = Path(__file__).parent / "cluster_scenarios.py"


def _cluster(data_dir: Path, work: Path, *extra: str) -> list[str]:
    """``python -m tf1_mnist.cluster softmax --workers=2 --ps=1`` writing into ``work``, in a
    private network namespace when we can make one."""
    return cluster.loopback_only(
        [
            sys.executable,
            "-m",
            "tf1_mnist.cluster",
            "softmax",
            "--workers=2",
            "--ps=1",
            f"--data_dir={data_dir}",
            f"--logdir={work / 'logs'}",
            f"--ckpt_dir={work / 'ckpt'}",
            *extra,
        ]
    )


def _scenario(name: str, data_dir: Path, work: Path) -> dict:
    proc = subprocess.run(
        cluster.loopback_only([sys.executable, str(SCENARIOS), name, str(data_dir), str(work)]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- flags


def test_cluster_flags_are_checked() -> None:
    spec = ports.get("softmax")
    good = dict(ps_hosts="127.0.0.1:1", worker_hosts="127.0.0.1:2,127.0.0.1:3")
    cluster = ClusterTask.from_config(spec.config(**good, job_name="worker", task_index=1))
    assert (cluster.ps, cluster.task, cluster.chief) == (("127.0.0.1:1",), 1, False)
    assert ClusterTask.from_config(spec.config(**good, job_name="worker")).chief
    for bad, message in (
        (dict(good, job_name="chief"), "--job_name='chief': give ps or worker"),
        (dict(good, job_name="worker", task_index=2), "worker job has 2 task"),
        (dict(ps_hosts="", worker_hosts="h:2", job_name="ps"), "needs --ps_hosts"),
        (dict(good, ps_hosts="nohost", job_name="ps"), "'nohost' is not host:port"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            ClusterTask.from_config(spec.config(**bad))


def test_cadences_fire_on_crossing_a_multiple() -> None:
    """A worker whose shared global step jumps (others train too) keeps every cadence."""
    assert [s for s in range(12) if loop.due(5, s - 1, s)] == [0, 5, 10]
    assert loop.due(100, 97, 103) and not loop.due(100, 101, 199)
    assert not loop.due(0, 0, 100)


# --------------------------------------------------------------------------- a real cluster


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_local_cluster_trains_and_its_checkpoint_predicts(
    mode: str, tmp_path: Path, mnist_dir: Path
) -> None:
    """`python -m tf1_mnist.cluster softmax --workers=2 --ps=1`: post 000's softmax trained by
    two workers through one parameter server, to about its accuracy alone; the chief's
    checkpoint then serves `--is_train=0` like any other."""
    extra = ["--sync_replicas"] if mode == "sync" else []
    proc = subprocess.run(
        _cluster(mnist_dir, tmp_path, *extra),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    accuracy = float(re.search(r"^\[worker0\] ([0-9.]+)$", proc.stdout, re.M).group(1))
    assert accuracy >= 0.90  # alone: 0.9187
    for task in ("ps0", "worker0", "worker1"):
        assert f"[{task}]" in proc.stderr
    assert "[ps0] ps 0: every worker is done; exiting" in proc.stderr
    assert "Traceback" not in proc.stderr and "local_rendezvous" not in proc.stderr
    last = int(re.search(r"\[worker0\] .* the global step is (\d+)", proc.stderr).group(1))
    assert 1000 <= last <= 1002
    folders = [f"--data_dir={mnist_dir}", f"--ckpt_dir={tmp_path / 'ckpt'}"]
    predicted = run_cli(
        "tf1_mnist.softmax", "--is_train=0", "--predict_count=20", *folders, cwd=tmp_path
    )
    assert predicted.returncode == 0, predicted.stderr
    assert f"(step {last})" in predicted.stderr
    assert int(re.search(r"(\d+)/20 predicted correctly", predicted.stderr).group(1)) >= 15


@pytest.mark.slow
def test_ctrl_c_stops_every_task(tmp_path: Path, synthetic_dir: Path) -> None:
    proc = subprocess.Popen(
        _cluster(synthetic_dir, tmp_path, "--max_steps=1000000", "--log_every=100"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if re.search(r"\[worker0\] step [1-9]\d*00: loss", line) or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    tasks = ["pgrep", "-f", "--", f"--ckpt_dir={tmp_path / 'ckpt'}"]
    try:
        _, stderr = proc.communicate(timeout=90)
        left = subprocess.run(tasks, capture_output=True, text=True).stdout.split()
    finally:  # never leave a task behind, whatever the assertions say
        subprocess.run(["pkill", "-9", "-f", "--", f"--ckpt_dir={tmp_path / 'ckpt'}"])
    assert proc.returncode == 128 + signal.SIGINT, stderr[-2000:]
    assert "stopping every task" in stderr and "[worker0] interrupted at step" in stderr
    assert list((tmp_path / "ckpt" / "softmax").glob("softmax-*.index"))  # the chief saved
    assert not left, f"tasks left running: {left}"


@pytest.mark.slow
def test_a_killed_worker_leaves_the_others_training_and_rejoins(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    seen = _scenario("worker_killed", synthetic_dir, tmp_path)
    assert seen["codes"] == {"worker1-again": 0, "worker0": 0, "ps": 0}, seen
    assert seen["chief_after_kill"] >= seen["killed_at"] + 200  # the chief went on alone
    assert seen["rejoined_steps"] and min(seen["rejoined_steps"]) > seen["killed_at"], seen
    assert any("waiting for the chief" in line for line in seen["again_lines"])


@pytest.mark.slow
def test_a_killed_chief_resumes_from_its_last_checkpoint(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    seen = _scenario("chief_killed", synthetic_dir, tmp_path)
    assert seen["codes"] == {"worker0-again": 0, "ps": 0}, seen
    saved = [int(re.search(r"-(\d+)\.index", n).group(1)) for n in seen["checkpoints_after_kill"]]
    assert saved and max(saved) <= seen["killed_at"], seen
    restoring = [line for line in seen["again_lines"] if ": restoring " in line]
    assert restoring and f"softmax-{max(saved)}" in restoring[0], seen["again_lines"]
    assert max(saved) <= min(seen["resumed_steps"]) <= max(saved) + 60, seen  # from there


@pytest.mark.slow
def test_workers_started_before_the_parameter_server_wait_for_it(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    seen = _scenario("ps_late", synthetic_dir, tmp_path)
    assert seen["running_before_ps"] == {"worker0": None, "worker1": None}, seen
    assert seen["codes"] == {"worker0": 0, "worker1": 0, "ps": 0}, seen
    assert seen["chief_steps"] and max(seen["chief_steps"]) >= 250, seen


@pytest.mark.slow
def test_a_killed_parameter_server_stops_the_worker_with_a_message(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    seen = _scenario("ps_killed", synthetic_dir, tmp_path)
    assert seen["code"] == 1, seen
    errors = [line for line in seen["chief_lines"] if line.startswith("error: ")]
    assert errors and seen["ps_address"] in errors[0], seen
    assert seen["seconds_to_exit"] < 5 + 30, seen  # --cluster_timeout=5, and the close


# --------------------------------------------------------------------------- one preparation


def test_a_cluster_task_checks_its_options_before_it_serves(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """The cluster path runs the same checks as a single process (``training.prepare``): a bad
    ``--embedding`` ends the chief at once with one line, before its server starts."""
    proc = run_cli(
        "tf1_mnist.softmax",
        "--job_name=worker",
        "--task_index=0",
        "--ps_hosts=127.0.0.1:1",  # never reached
        "--worker_hosts=127.0.0.1:2",
        "--embedding=20000",
        f"--data_dir={synthetic_dir}",
        f"--ckpt_dir={tmp_path / 'ckpt'}",
        f"--logdir={tmp_path / 'logs'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --embedding=20000"), proc.stderr
    assert not (tmp_path / "ckpt").exists()


@pytest.mark.slow
def test_fresh_through_the_cluster_path(tmp_path: Path, synthetic_dir: Path) -> None:
    """``--fresh`` under ``python -m tf1_mnist.cluster`` clears the chief's checkpoints and
    summaries like a single process (it was never read there), and a bad ``--embedding``
    ends the whole cluster with the chief's one line instead of leaving the others waiting."""
    folder = tmp_path / "ckpt" / "softmax"

    def launch(*extra: str) -> subprocess.CompletedProcess:
        command = _cluster(synthetic_dir, tmp_path, "--save_every=2", *extra)
        command[command.index("--workers=2")] = "--workers=1"
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=180)

    first = launch("--max_steps=6")
    assert first.returncode == 0, first.stderr[-3000:]
    assert (folder / "softmax-6.index").exists()

    started = time.monotonic()
    bad = launch("--max_steps=9", "--fresh", "--embedding=20000")
    assert bad.returncode == 1 and "[worker0] error: --embedding=20000" in bad.stderr, bad.stderr
    assert time.monotonic() - started < 60  # the ps was stopped, not waited for
    assert (folder / "softmax-6.index").exists()  # nothing deleted by the failed run

    fresh = launch("--max_steps=3", "--fresh")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "--fresh: removed the checkpoints" in fresh.stderr
    assert not (folder / "softmax-6.index").exists()
    assert re.search(r"the global step is [34]\b", fresh.stderr), fresh.stderr[-2000:]


@pytest.mark.slow
def test_killing_the_launcher_stops_its_tasks_and_the_chief_saves(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """kill -9 of `python -m tf1_mnist.cluster`: no task trains on as an orphan holding the
    folder's lock; the chief saves its last checkpoint as it stops, like a single process."""
    proc = subprocess.Popen(
        _cluster(synthetic_dir, tmp_path, "--max_steps=100000000", "--save_every=0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    # The chief is training once its summaries are being written.
    while not list((tmp_path / "logs" / "softmax").glob("events.out.tfevents.*")):
        assert proc.poll() is None and time.monotonic() < deadline, "the cluster did not train"
        time.sleep(0.2)
    time.sleep(2)
    proc.kill()  # the launcher (unshare execs it): SIGKILL, no handler runs
    proc.wait()
    tasks = ["pgrep", "-f", "--", f"--ckpt_dir={tmp_path / 'ckpt'}"]
    deadline = time.monotonic() + 45
    left = subprocess.run(tasks, capture_output=True, text=True).stdout.split()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = subprocess.run(tasks, capture_output=True, text=True).stdout.split()
    for pid in left:  # never leave a task behind, whatever the assertions say
        subprocess.run(["kill", "-9", pid])
    assert not left, f"tasks left running after the launcher died: {left}"
    saved = [
        int(re.search(r"-(\d+)\.index$", p.name).group(1))
        for p in (tmp_path / "ckpt" / "softmax").glob("softmax-*.index")
    ]
    assert saved and max(saved) > 0, f"the chief saved no step past 0: {saved}"
