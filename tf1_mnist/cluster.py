"""Try distributed training on one machine: the whole TF1 cluster as local processes.

    python -m tf1_mnist.cluster MODEL [--workers=2] [--ps=1] [the port's flags...]

starts ``--ps`` parameter servers and ``--workers`` workers of ``python -m tf1_mnist.MODEL`` on
free ports of ``--host`` (127.0.0.1), each with ``--ps_hosts``, ``--worker_hosts``,
``--job_name`` and ``--task_index`` (and every other flag given, such as ``--sync_replicas`` or
``--max_steps``), prefixes their output with the task's name, and exits with the chief's exit
code.  Ctrl-C stops every process it started (the workers first, so the chief saves its last
checkpoint).  On several machines, run the same command line per task by hand: see the README.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from tf1_mnist.support import cli, quiet
from tf1_mnist.support.cli import option
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import ports

GRACE_SECONDS = 60  # how long the other tasks may take to finish after the chief
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
# A worker stops and saves on it like on SIGTERM, a parameter server waits for the chief; a
# hang-up, not SIGTERM, because the kernel may send it several times (as each thread of the
# launcher dies) and a second SIGTERM kills.
LAUNCHER_GONE = signal.SIGHUP


@dataclasses.dataclass
class Options:
    """``python -m tf1_mnist.cluster MODEL [flags] [the port's flags]``"""

    workers: int = option(2, "Worker processes (worker 0 is the chief).")
    ps: int = option(1, "Parameter server processes.")
    host: str = option(
        "127.0.0.1",
        "Address the tasks listen on and reach each other at (TensorFlow's gRPC server "
        "listens on every interface whatever this says: use a private network if that matters).",
    )


@functools.cache
def can_isolate() -> bool:
    """Whether this user can make a network namespace (``unshare -n``, usually root) with a
    loopback it can bring up (``ip``)."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def loopback_only(command: list[str]) -> list[str]:
    """``command`` inside a new network namespace holding only loopback, where one can be made
    (else ``command`` as it is): TensorFlow's gRPC servers listen on every interface, and there
    no other machine can reach them."""
    if not can_isolate():
        return command
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', *command]


def dies_with(parent: int, signum: int) -> Callable[[], None]:
    """A ``preexec_fn`` asking the kernel to send the task ``signum`` when the launcher dies,
    however it dies (kill -9 included), so that no task trains on as an orphan holding the
    checkpoint folder's lock.  Linux only (``PR_SET_PDEATHSIG``); elsewhere a no-op."""

    def ask() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the launcher died before the request was made
            os.kill(os.getpid(), signum)

    return ask


def free_ports(host: str, count: int) -> list[int]:
    """``count`` ports free on ``host`` now (bound together, so they differ, then released)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def pump(stream: IO[str], prefix: str, out: IO[str], noise: quiet.NoiseFilter | None) -> None:
    """Each line of a task's ``stream`` to ``out``, after the task's name.  On stderr the
    cluster's chatter is dropped here too: a task's own filter ends shortly before the process
    does, and TensorFlow's threads may still log in between."""
    pending = ""  # a line a dropped record was glued onto, waiting for its newline
    for line in stream:
        if noise is not None:
            line = pending + noise(line)
            pending = "" if line.endswith("\n") else line
            if pending or not line:
                continue
        out.write(f"[{prefix}] {line}")
        out.flush()
    if pending:
        out.write(f"[{prefix}] {pending}\n")
        out.flush()


class LocalCluster:
    """The processes of one local cluster."""

    def __init__(self, model: str, opts: Options, extra: list[str]) -> None:
        ports.get(model)  # an unknown model fails here, before anything starts
        if opts.workers < 1 or opts.ps < 1:
            raise ConfigError("--workers and --ps need at least 1 each")
        addresses = free_ports(opts.host, opts.ps + opts.workers)
        ps = [f"{opts.host}:{p}" for p in addresses[: opts.ps]]
        workers = [f"{opts.host}:{p}" for p in addresses[opts.ps :]]
        common = [f"--ps_hosts={','.join(ps)}", f"--worker_hosts={','.join(workers)}", *extra]
        self.tasks: dict[str, subprocess.Popen] = {}
        self.threads: list[threading.Thread] = []
        self.interrupted = False
        # The parameter servers first, then the workers, the chief last (it is waited on).
        for job, count in (("ps", opts.ps), ("worker", opts.workers)):
            for i in reversed(range(count)) if job == "worker" else range(count):
                self._start(
                    f"{job}{i}",
                    [
                        sys.executable,
                        "-m",
                        f"tf1_mnist.{model}",
                        *common,
                        f"--job_name={job}",
                        f"--task_index={i}",
                    ],
                )
        print(
            f"cluster: {opts.ps} ps ({', '.join(ps)}), {opts.workers} worker(s) "
            f"({', '.join(workers)}); the chief is worker0",
            file=sys.stderr,
            flush=True,
        )

    def _start(self, name: str, command: list[str]) -> None:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches us only: we stop the tasks in order
            preexec_fn=dies_with(os.getpid(), LAUNCHER_GONE),
        )
        self.tasks[name] = proc
        noise = None if quiet.verbose() else quiet.NoiseFilter()
        pumps = ((proc.stdout, sys.stdout, None), (proc.stderr, sys.stderr, noise))
        for stream, out, drop in pumps:
            thread = threading.Thread(target=pump, args=(stream, name, out, drop), daemon=True)
            thread.start()
            self.threads.append(thread)

    def wait(self) -> int:
        """The chief's exit code, once every task ended (the rest get GRACE_SECONDS).

        Polls, so that a signal handler never waits on a process this thread waits on."""
        chief = self.tasks["worker0"]
        while chief.poll() is None and not self.interrupted:
            time.sleep(0.2)
        if self.interrupted:
            self.stop(signal.SIGINT)
        code = chief.wait()
        # A chief that failed never tells the parameter servers it is done: they would wait.
        deadline = time.monotonic() + (GRACE_SECONDS if code == 0 else 0)
        for name, proc in self.tasks.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                if code == 0:
                    print(f"cluster: {name} still running; stopping it", file=sys.stderr)
        self.stop()
        for thread in self.threads:
            thread.join(timeout=5)
        return code

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Signal the workers (they save and stop), then whatever is left."""
        for group in ("worker", "ps"):
            for name, proc in self.tasks.items():
                if name.startswith(group) and proc.poll() is None:
                    proc.send_signal(signum)
            deadline = time.monotonic() + 20
            for name, proc in self.tasks.items():
                if name.startswith(group):
                    try:
                        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parsed = cli.front_end(
        Options, argv, prog="tf1_mnist.cluster", doc=__doc__, flags_anywhere=True
    )
    if isinstance(parsed, int):
        return parsed
    opts, rest = parsed
    models = [a for a in rest if not a.startswith("-")]
    if len(models) != 1:
        return cli.usage_error(Options, f"name one model ({', '.join(ports.PORTS)})")
    model = models[0]
    extra = [a for a in rest if a != model]
    try:
        cluster = LocalCluster(model, opts, extra)
    except ConfigError as e:
        return cli.report(e)

    def interrupted(signum: int, frame: Any) -> None:
        print(f"cluster: {signal.Signals(signum).name}: stopping every task", file=sys.stderr)
        cluster.interrupted = True  # Cluster.wait stops them, outside this handler

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, interrupted)
    return cluster.wait()


if __name__ == "__main__":
    sys.exit(main())
