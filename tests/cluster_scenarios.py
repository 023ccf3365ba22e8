"""Fault scenarios of a TF1 cluster, run by test_distributed.py inside a private network
namespace (``unshare -n``: TensorFlow's gRPC servers listen on every interface, and there only
loopback exists).  Each scenario starts the tasks of ``python -m tf1_mnist.softmax`` on
127.0.0.1, kills what it kills, and prints what it observed as one JSON line.

    python tests/cluster_scenarios.py SCENARIO DATA_DIR WORK_DIR
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

STEP = re.compile(r"^step (\d+): loss")
TIMEOUT = 120  # no scenario waits longer than this for anything


STARTED: list[Task] = []


class Task:
    """One process of the cluster, its output collected as it comes."""

    def __init__(self, name: str, args: list[str], cwd: Path) -> None:
        STARTED.append(self)
        self.name = name
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tf1_mnist.softmax", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=cwd,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def steps(self) -> list[int]:
        return [int(m.group(1)) for line in self.lines if (m := STEP.match(line))]

    def wait_for_step(self, step: int) -> int:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.steps() and self.steps()[-1] >= step:
                return self.steps()[-1]
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} never reached step {step}:\n" + "\n".join(self.lines))

    def wait(self, timeout: float = TIMEOUT) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def cluster_args(workers: int, data_dir: str, work: Path, *extra: str) -> list[str]:
    ports = free_ports(1 + workers)
    return [
        f"--ps_hosts=127.0.0.1:{ports[0]}",
        "--worker_hosts=" + ",".join(f"127.0.0.1:{p}" for p in ports[1:]),
        f"--data_dir={data_dir}",
        f"--logdir={work / 'logs'}",
        f"--ckpt_dir={work / 'ckpt'}",
        "--log_every=50",
        "--save_every=200",
        "--cluster_timeout=5",
        *extra,
    ]


def worker_killed(data_dir: str, work: Path) -> dict:
    """Asynchronous: worker 1 is killed; the chief goes on; worker 1 restarts and rejoins."""
    args = cluster_args(2, data_dir, work, "--max_steps=1600")
    ps = Task("ps", [*args, "--job_name=ps"], work)
    chief = Task("worker0", [*args, "--job_name=worker", "--task_index=0"], work)
    first = Task("worker1", [*args, "--job_name=worker", "--task_index=1"], work)
    killed_at = first.wait_for_step(400)
    first.kill()
    chief_after_kill = chief.wait_for_step(killed_at + 200)  # the chief trains on alone
    again = Task("worker1-again", [*args, "--job_name=worker", "--task_index=1"], work)
    codes = {"worker1-again": again.wait(), "worker0": chief.wait(), "ps": ps.wait()}
    return {
        "killed_at": killed_at,
        "chief_after_kill": chief_after_kill,
        "rejoined_steps": again.steps(),
        "codes": codes,
        "chief_lines": chief.lines[-4:],
        "again_lines": again.lines,
    }


def chief_killed(data_dir: str, work: Path) -> dict:
    """The chief is killed; its last checkpoint survives; a restarted chief resumes there."""
    args = cluster_args(1, data_dir, work, "--max_steps=900")
    ps = Task("ps", [*args, "--job_name=ps"], work)
    chief = Task("worker0", [*args, "--job_name=worker", "--task_index=0"], work)
    killed_at = chief.wait_for_step(500)
    chief.kill()
    checkpoints = sorted(p.name for p in (work / "ckpt" / "softmax").glob("*.index"))
    again = Task("worker0-again", [*args, "--job_name=worker", "--task_index=0"], work)
    codes = {"worker0-again": again.wait(), "ps": ps.wait()}
    return {
        "killed_at": killed_at,
        "checkpoints_after_kill": checkpoints,
        "resumed_steps": again.steps(),
        "codes": codes,
        "again_lines": again.lines,
    }


def ps_late(data_dir: str, work: Path) -> dict:
    """The workers start first and the parameter server only after three of the workers'
    --cluster_timeout (tasks are started by hand, in any order): they wait, then train."""
    args = cluster_args(2, data_dir, work, "--max_steps=300")
    chief = Task("worker0", [*args, "--job_name=worker", "--task_index=0"], work)
    other = Task("worker1", [*args, "--job_name=worker", "--task_index=1"], work)
    time.sleep(15)
    started_alone = {"worker0": chief.proc.poll(), "worker1": other.proc.poll()}
    ps = Task("ps", [*args, "--job_name=ps"], work)
    codes = {"worker0": chief.wait(), "worker1": other.wait(), "ps": ps.wait()}
    return {
        "running_before_ps": started_alone,
        "codes": codes,
        "chief_steps": chief.steps(),
        "chief_lines": chief.lines[-4:],
    }


def ps_killed(data_dir: str, work: Path) -> dict:
    """The parameter server is killed: the worker stops with a message naming it."""
    args = cluster_args(1, data_dir, work, "--max_steps=100000")
    ps = Task("ps", [*args, "--job_name=ps"], work)
    chief = Task("worker0", [*args, "--job_name=worker", "--task_index=0"], work)
    chief.wait_for_step(200)
    ps.kill()
    killed = time.monotonic()
    code = chief.wait(timeout=60)
    return {
        "seconds_to_exit": time.monotonic() - killed,
        "code": code,
        "ps_address": args[0].split("=", 1)[1],
        "chief_lines": chief.lines[-6:],
    }


if __name__ == "__main__":
    scenario, data_dir, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    try:
        print(json.dumps(globals()[scenario](data_dir, work)))
    finally:  # whatever happened, no task outlives its scenario
        for task in STARTED:
            if task.proc.poll() is None:
                task.proc.kill()
