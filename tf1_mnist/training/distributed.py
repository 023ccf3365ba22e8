"""Distributed training the TF1 way: parameter servers and workers, between-graph replication.

What TensorFlow's ``mnist_replica.py`` and its "Distributed TensorFlow" guide taught, on
TensorFlow's own runtime (which 2.21 still ships): a ``ClusterSpec`` from ``--ps_hosts`` and
``--worker_hosts``, a ``tf.train.Server`` per task (``--job_name``, ``--task_index``), the
variables placed on the parameter servers by ``replica_device_setter``, and every worker
running the port's unchanged graph in a ``MonitoredSession`` (what
``MonitoredTrainingSession`` builds: the chief's or a worker's session creator, a
``StopAtStepHook``, the chief's ``CheckpointSaverHook``) through the shared training loop.
Worker 0, the chief, initializes or restores the variables and writes the checkpoints and
summaries into the usual ``CKPT_DIR/<model>/`` and ``LOGDIR/<model>/``, so ``--is_train=0``,
``predict``, ``reproduce`` and TensorBoard work on the result.  ``--sync_replicas`` aggregates
the workers' gradients with ``SyncReplicasOptimizer``.

The traps of doing this on today's TensorFlow, handled here:
- ``tf.device`` of TF 2 refuses a device function: the graph is placed with
  ``tf.compat.v1.device``.
- A worker that checks readiness before the chief initialized waits 30 s (the session
  manager's retry interval): non-chief workers poll ``report_uninitialized_variables`` of the
  global variables (the local ones include the sync optimizer's per-worker step, which never
  becomes ready on the parameter servers) before they open their session.
- ``SyncReplicasOptimizer``'s chief waits ``stop_grace_period_secs`` (120 s by default) on a
  blocked queue runner when it closes: a few seconds are given instead.
- A parameter server never exits by itself: it waits on a queue that each worker signals when
  it is done (``FIFOQueue`` with a ``shared_name``), then exits.
- A parameter server that died would hang the workers: the monitored session retries a lost
  parameter server for ever, an operation waits for ever, and closing the session blocks in
  TensorFlow's C++.  Operations time out after ``--cluster_timeout`` seconds, the session
  creator gives up after as long, and the worker reports the parameter server and ends.  At the
  start, when tasks started by hand in any order may still be coming up, a worker waits ten
  times as long for the parameter servers and the chief.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from tensorflow.python.client.session import SessionInterface

from tf1_mnist.support import cli, mixed_precision, quiet
from tf1_mnist.support.compat import tf
from tf1_mnist.support.console import note
from tf1_mnist.support.errors import ConfigError, Error
from tf1_mnist.training import checkpoints, evaluation, loop
from tf1_mnist.training.config import Config
from tf1_mnist.training.graph import BuiltGraph, build_graph
from tf1_mnist.training.ports import ModelSpec, RunContext
from tf1_mnist.training.prepare import Prepared, prepared
from tf1_mnist.training.results import RunResult, TrainResult

POLL_SECONDS = 0.2
# What a step or a session gets from a task that is gone, or not up yet.
UNREACHABLE = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError)
STARTUP_PATIENCE = 10  # x --cluster_timeout: how long a starting task waits for the others
LAUNCHER_GONE = signal.SIGHUP
"""What every task started by ``tf1_mnist.cluster`` gets when the launcher dies: a worker
stops after its step (the chief saving, like a single process on SIGTERM), a parameter server
waits for the chief."""


class ClusterError(Error):
    """A task of the cluster cannot be reached (a parameter server died) or never got ready."""


@dataclasses.dataclass(frozen=True)
class ClusterTask:
    """This process's place in the cluster the flags describe."""

    ps: tuple[str, ...]
    workers: tuple[str, ...]
    job: str
    task: int

    @property
    def spec(self) -> Any:
        return tf.train.ClusterSpec({"ps": list(self.ps), "worker": list(self.workers)})

    @property
    def chief(self) -> bool:
        return self.job == "worker" and self.task == 0

    @property
    def address(self) -> str:
        return (self.ps if self.job == "ps" else self.workers)[self.task]

    @classmethod
    def from_config(cls, cfg: Config) -> ClusterTask:
        ps = tuple(h.strip() for h in cfg.ps_hosts.split(",") if h.strip())
        workers = tuple(h.strip() for h in cfg.worker_hosts.split(",") if h.strip())
        if cfg.job_name not in ("ps", "worker"):
            raise ConfigError(f"--job_name={cfg.job_name!r}: give ps or worker")
        if not ps or not workers:
            raise ConfigError("distributed training needs --ps_hosts and --worker_hosts")
        hosts = ps if cfg.job_name == "ps" else workers
        if not 0 <= cfg.task_index < len(hosts):
            raise ConfigError(
                f"--task_index={cfg.task_index}: the {cfg.job_name} job has {len(hosts)} "
                f"task(s), 0 to {len(hosts) - 1}"
            )
        for host in ps + workers:
            if not host.rpartition(":")[2].isdigit():
                raise ConfigError(f"{host!r} is not host:port")
        return cls(ps, workers, cfg.job_name, cfg.task_index)


def _session_config(cluster: ClusterTask, cfg: Config) -> Any:
    if cluster.job == "ps":  # it talks to no one, and waits for the workers without a limit
        return tf.ConfigProto(device_filters=[f"/job:ps/task:{cluster.task}"])
    config = tf.ConfigProto(
        # A worker talks to the parameter servers and itself only: no waiting on the others.
        device_filters=["/job:ps", f"/job:worker/task:{cluster.task}"],
        operation_timeout_in_ms=cfg.cluster_timeout * 1000,
    )
    return mixed_precision.apply(config, cfg.mixed_precision)


def _done_queues(cluster: ClusterTask) -> list[Any]:
    """One queue per parameter server, shared by name: a worker puts a token in each when it
    is done, and a parameter server exits once it holds one from every worker."""
    queues = []
    for i in range(len(cluster.ps)):
        with tf.device(f"/job:ps/task:{i}"):
            queues.append(
                tf.FIFOQueue(len(cluster.workers), tf.int32, shared_name=f"tf1_mnist_done_{i}")
            )
    return queues


def run(spec: ModelSpec, cfg: Config) -> RunResult:
    """This process's part: serve as a parameter server, or train as a worker."""
    cluster = ClusterTask.from_config(cfg)
    if not cfg.is_train:
        raise ConfigError("--is_train=0 predicts alone: leave out --job_name")
    cfg.check()  # before the server starts: a bad value ends this task before it joins
    with quiet.run_noise_filtered(), _quiet_queue_runner_ends():
        return _run(spec, cfg, cluster)


def _run(spec: ModelSpec, cfg: Config, cluster: ClusterTask) -> RunResult:
    server = tf.train.Server(
        cluster.spec,
        job_name=cluster.job,
        task_index=cluster.task,
        config=_session_config(cluster, cfg),
    )
    if cluster.job == "ps":
        _serve(server, cluster, cfg)
        return RunResult(spec.name)
    return _work(spec, cfg, cluster, server)


def _serve(server: Any, cluster: ClusterTask, cfg: Config) -> None:
    """A parameter server: hold the variables until every worker says it is done.

    When the local launcher is gone (``LAUNCHER_GONE``, sent by the kernel as it dies) the
    workers are stopping too: the parameter server waits for the chief only (its last save
    reads the variables held here; a worker killed before its loop says nothing), for
    ``--cluster_timeout`` seconds at most."""
    graph = tf.Graph()
    with graph.as_default():
        done = _done_queues(cluster)[cluster.task].dequeue()
    note(f"ps {cluster.task} at {cluster.address}: serving {len(cluster.workers)} worker(s)")
    failures: list[BaseException] = []
    done_by: list[int] = []
    finished = threading.Event()

    def serve() -> None:
        try:
            with tf.Session(server.target, graph=graph) as sess:
                workers = len(cluster.workers)
                for count in range(1, workers + 1):
                    worker = sess.run(done)
                    done_by.append(int(worker))
                    note(f"ps {cluster.task}: worker {worker} is done ({count}/{workers})")
        except BaseException as e:
            failures.append(e)
        finally:
            finished.set()

    # In a thread: a signal handler runs in the main thread, which a blocked sess.run holds.
    threading.Thread(target=serve, name="serve", daemon=True).start()
    orphaned: list[float] = []
    previous = signal.signal(LAUNCHER_GONE, lambda *_: orphaned.append(time.monotonic()))
    try:
        while not finished.wait(POLL_SECONDS):
            if orphaned and 0 in done_by:
                note(f"ps {cluster.task}: the launcher is gone and the chief is done; exiting")
                return
            if orphaned and time.monotonic() - orphaned[0] > cfg.cluster_timeout:
                note(
                    f"ps {cluster.task}: the launcher is gone and the workers did not finish "
                    f"within --cluster_timeout={cfg.cluster_timeout} s; exiting"
                )
                return
    finally:
        signal.signal(LAUNCHER_GONE, previous)
    if failures:
        raise failures[0]
    note(f"ps {cluster.task}: every worker is done; exiting")


@contextlib.contextmanager
def _synchronous(cfg: Config, workers: int) -> Iterator[list]:
    """While the port builds its graph, whatever optimizer it minimizes with is wrapped in a
    ``SyncReplicasOptimizer``: the port's module stays as its post wrote it."""
    made: list = []
    if not cfg.sync_replicas:
        yield made
        return
    original = tf.train.Optimizer.minimize

    def minimize(self: Any, loss: Any, global_step: Any = None, **kwargs: Any) -> Any:
        if isinstance(self, tf.train.SyncReplicasOptimizer):
            return original(self, loss, global_step=global_step, **kwargs)
        sync = tf.train.SyncReplicasOptimizer(
            self,
            replicas_to_aggregate=cfg.replicas_to_aggregate or workers,
            total_num_replicas=workers,
        )
        made.append(sync)
        return sync.minimize(loss, global_step=global_step, **kwargs)

    tf.train.Optimizer.minimize = minimize
    try:
        yield made
    finally:
        tf.train.Optimizer.minimize = original


def _work(spec: ModelSpec, cfg: Config, cluster: ClusterTask, server: Any) -> RunResult:
    """A worker: the same preparation as a single process (the chief owns the folders), the
    port's graph placed on the cluster, the monitored session's training, then the end."""
    # Each worker shuffles the data with its own seed: they see different batches.
    with prepared(spec, cfg, owner=cluster.chief, data_seed=cfg.seed + cluster.task) as run:
        built, sync = _build(spec, cfg, cluster)
        where = f"worker {cluster.task} at {cluster.address}"
        config = _session_config(cluster, cfg)
        with _lost_tasks(cluster, cfg), built.graph.as_default():
            if cluster.chief:
                _before_chief_session(spec, cfg, built, run, where)
            else:
                _wait_until_initialized(server, built, config, cfg, cluster, where)
            training = _train(spec, cfg, cluster, server, built, sync, run, config)
            return _end(cfg, cluster, server, built, run, config, training, where)


def _build(spec: ModelSpec, cfg: Config, cluster: ClusterTask) -> tuple[BuiltGraph, list]:
    """The port's graph with its variables on the parameter servers, plus the ops a worker
    adds: readiness, the done tokens, the release of synchronous workers."""
    workers = len(cluster.workers)
    device = tf.train.replica_device_setter(
        worker_device=f"/job:worker/task:{cluster.task}", cluster=cluster.spec
    )

    def extend() -> dict:
        uninitialized = tf.report_uninitialized_variables(tf.global_variables())
        uninitialized.mark_used()  # run later, by _wait_until_initialized
        return {
            "uninitialized": uninitialized,
            "done": [q.enqueue(cluster.task) for q in _done_queues(cluster)],
            # Tokens that let the other workers finish the step they block in once the
            # chief has stopped aggregating (else they wait for it until the time-out).
            "release": [s.get_init_tokens_op(num_tokens=workers) for s in sync],
        }

    with _synchronous(cfg, workers) as sync:
        # Not finalized: the monitored session's hooks add their ops, then it finalizes.
        built = build_graph(spec, cfg, device=device, extend=extend, finalize=False)
    return built, sync


def _before_chief_session(
    spec: ModelSpec, cfg: Config, built: BuiltGraph, run: Prepared, where: str
) -> None:
    """The chief names the checkpoint it restores (after checking it fits the graph, for a
    clear message) and runs the post's prologue, as a single process does."""
    prefix = checkpoints.usable(run.dirs.ckpt_dir, built.graph, spec.name, cfg.checkpoint)
    if prefix is not None:
        note(f"{where}: restoring {prefix}")
    if spec.prologue is not None:
        spec.prologue(RunContext(run.data, cfg, run.dirs.plot_dir))


def _hooks(
    spec: ModelSpec,
    cfg: Config,
    cluster: ClusterTask,
    built: BuiltGraph,
    sync: list,
    run: Prepared,
) -> list:
    """What ``MonitoredTrainingSession`` would install: the stop at the budget, the sync
    optimizer's hooks, and the chief's checkpoint saver."""
    hooks = [tf.train.StopAtStepHook(last_step=cfg.max_steps)]
    hooks += [s.make_session_run_hook(cluster.chief) for s in sync]
    if cluster.chief:
        # The hook also saves as the session closes (the end, or an interrupt): with
        # --save_every=0 ("only at the end") that is the one save after its first.
        hooks.append(
            tf.train.CheckpointSaverHook(
                str(run.dirs.ckpt_dir),
                save_steps=cfg.save_every if cfg.save_every > 0 else max(cfg.max_steps, 1),
                saver=built.saver,
                checkpoint_basename=spec.checkpoint_name,
            )
        )
    return hooks


def _train(
    spec: ModelSpec,
    cfg: Config,
    cluster: ClusterTask,
    server: Any,
    built: BuiltGraph,
    sync: list,
    run: Prepared,
    config: Any,
) -> TrainResult:
    """The shared loop in a monitored session (what ``MonitoredTrainingSession`` builds, with a
    session creator that gives up on a lost parameter server instead of retrying for ever)."""
    scaffold = tf.train.Scaffold(saver=built.saver)
    if cluster.chief:
        creator = _ChiefCreator(scaffold, server.target, config, run, built, cfg.checkpoint)
    else:
        creator = tf.train.WorkerSessionCreator(
            scaffold, server.target, config, max_wait_secs=STARTUP_PATIENCE * cfg.cluster_timeout
        )
    with tf.train.MonitoredSession(
        session_creator=_GiveUp(creator, cluster, cfg),
        hooks=_hooks(spec, cfg, cluster, built, sync, run),
        stop_grace_period_secs=3,
    ) as sess:
        role = loop.Role(
            chief=cluster.chief,
            shared_step=True,
            saves=False,
            should_stop=sess.should_stop,
            # A synchronous worker blocked for its next token when the chief stops: the
            # chief's closing of the token queue ends its last step.
            stopped_by=(tf.errors.CancelledError, tf.errors.OutOfRangeError)
            if sync and not cluster.chief
            else (),
        )
        try:
            return loop.train(sess, built, run.data, cfg, run.dirs, role)
        except ClusterError as e:
            # The session cannot be closed without its parameter server (TensorFlow's
            # close blocks), nor can a tf.train.Server be stopped: report and end here.
            # The loop has flushed the summaries; the chief's last checkpoint stays.
            quiet.drain()
            cli.finish(cli.report(e))


def _end(
    cfg: Config,
    cluster: ClusterTask,
    server: Any,
    built: BuiltGraph,
    run: Prepared,
    config: Any,
    training: TrainResult,
    where: str,
) -> RunResult:
    """After the loop: the true global step, the chief's test (as a single process's), and
    this worker's token to the parameter servers."""
    with tf.Session(server.target, graph=built.graph, config=config) as sess:
        last = int(sess.run(built.global_step))  # the loop saw a lower bound of it
        training = dataclasses.replace(training, last_step=last)
        note(f"{where}: trained; the global step is {last}")
        result = RunResult(built.spec.name, training)
        if cluster.chief:
            with contextlib.suppress(tf.errors.CancelledError, tf.errors.OutOfRangeError):
                sess.run(built.extras["release"])  # (the token queue may be closed already)
            if training.interrupted_by is None:
                result = evaluation.finish(sess, built, run.data, cfg, run.dirs, training)
        sess.run(built.extras["done"])  # the parameter servers exit once all are done
    return result


class _ChiefCreator(tf.train.SessionCreator):
    """The chief's session, restored from the checkpoint ``checkpoints.usable`` picks each
    time one is made (TensorFlow's own would take the state file's paths as they are written
    and look them up as glob patterns: a moved folder or a ``run[1]`` would restore nothing)."""

    def __init__(
        self,
        scaffold: Any,
        target: str,
        config: Any,
        run: Prepared,
        built: BuiltGraph,
        chosen: str,
    ) -> None:
        self.scaffold, self.target, self.config = scaffold, target, config
        self.run, self.built, self.chosen = run, built, chosen

    def create_session(self) -> Any:
        # --checkpoint applies to the first session only; a re-made one takes the latest.
        chosen, self.chosen = self.chosen, ""
        ckpt_dir = self.run.dirs.ckpt_dir
        prefix = checkpoints.usable(ckpt_dir, self.built.graph, self.built.spec.name, chosen)
        with contextlib.ExitStack() as stack:
            path = stack.enter_context(checkpoints.readable(prefix)) if prefix else None
            return tf.train.ChiefSessionCreator(
                self.scaffold, self.target, self.config, checkpoint_filename_with_path=path
            ).create_session()


class _GiveUp(tf.train.SessionCreator):
    """Creates the worker's session, retrying for ``--cluster_timeout`` seconds while a task
    is unreachable, then stopping with a message naming the parameter servers (the monitored
    session would otherwise try to recover from a lost parameter server for ever)."""

    def __init__(self, creator: Any, cluster: ClusterTask, cfg: Config) -> None:
        self.creator, self.cluster, self.timeout = creator, cluster, cfg.cluster_timeout
        self.started = False

    def create_session(self) -> Any:
        # At the start the parameter servers may still be starting (tasks are started in any
        # order, and importing TensorFlow takes seconds): as long as the wait for the chief.
        patience = self.timeout if self.started else STARTUP_PATIENCE * self.timeout
        deadline = time.monotonic() + patience
        while True:
            try:
                sess = _FailFast(self.creator.create_session(), self.cluster, self.timeout)
                self.started = True
                return sess
            except (*UNREACHABLE, tf.errors.AbortedError) as e:
                if time.monotonic() > deadline:
                    raise _lost(self.cluster, self.timeout, e) from e
                time.sleep(POLL_SECONDS)


class _FailFast(SessionInterface):
    """The raw session under the monitored one: a step that fails because a task is gone
    (still unreachable after ``--cluster_timeout`` seconds of retries) raises ``ClusterError``
    (the monitored session would close the session to recover, and closing a session whose
    parameter server is gone blocks in TensorFlow's C++)."""

    def __init__(self, sess: Any, cluster: ClusterTask, timeout: int) -> None:
        self._sess, self._cluster, self._timeout = sess, cluster, timeout

    @property
    def graph(self) -> Any:
        return self._sess.graph

    @property
    def sess_str(self) -> str:
        return self._sess.sess_str

    def run(self, *args: Any, **kwargs: Any) -> Any:
        # A task unreachable for a moment (a connection still being made) is retried; one
        # unreachable for --cluster_timeout seconds is lost.
        deadline = None
        while True:
            try:
                return self._sess.run(*args, **kwargs)
            except UNREACHABLE as e:
                deadline = deadline or time.monotonic() + self._timeout
                if time.monotonic() > deadline:
                    raise _lost(self._cluster, self._timeout, e) from e
                time.sleep(POLL_SECONDS)

    def partial_run_setup(self, *args: Any, **kwargs: Any) -> Any:
        return self._sess.partial_run_setup(*args, **kwargs)

    def partial_run(self, *args: Any, **kwargs: Any) -> Any:
        return self._sess.partial_run(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # close, list_devices, ...
        return getattr(self._sess, name)


def _lost(cluster: ClusterTask, timeout: int, error: BaseException) -> ClusterError:
    tasks = ", ".join(f"ps {i} at {host}" for i, host in enumerate(cluster.ps))
    why = (
        f"no answer within --cluster_timeout={timeout} s"
        if isinstance(error, tf.errors.DeadlineExceededError)
        else "it is unreachable"
    )
    return ClusterError(
        f"worker {cluster.task} lost the parameter server(s) ({tasks}): {why} "
        f"({type(error).__name__}); restart the parameter server, then the chief: it restores "
        "its last checkpoint"
    )


@contextlib.contextmanager
def _quiet_queue_runner_ends() -> Iterator[None]:
    """The synchronous chief's token queue runner thread dies with a CancelledError when its
    session closes (possibly after the session returned), a traceback in the middle of a
    normal end: that one is not printed."""
    previous = threading.excepthook

    def hook(args: Any) -> None:
        thread = args.thread.name if args.thread else ""
        if issubclass(args.exc_type, tf.errors.CancelledError) and "QueueRunner" in thread:
            return
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def _wait_until_initialized(
    server: Any, built: BuiltGraph, config: Any, cfg: Config, cluster: ClusterTask, where: str
) -> None:
    """A non-chief worker waits for the chief's initialization (or restore) in short polls,
    and for the parameter servers to start listening."""
    patience = STARTUP_PATIENCE * cfg.cluster_timeout
    deadline = time.monotonic() + patience
    note(f"{where}: waiting for the chief to initialize the variables")
    with tf.Session(server.target, graph=built.graph, config=config) as sess:
        while True:
            try:
                if not len(sess.run(built.extras["uninitialized"])):
                    return
            except UNREACHABLE as e:
                if time.monotonic() > deadline:  # a parameter server never came up
                    raise _lost(cluster, cfg.cluster_timeout, e) from e
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{where}: the chief did not initialize the variables within "
                    f"{patience} s; is worker 0 running?"
                )
            time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def _lost_tasks(cluster: ClusterTask, cfg: Config) -> Iterator[None]:
    """TensorFlow's errors of a task that went away, as one message naming the task."""
    try:
        yield
    except UNREACHABLE as e:
        raise _lost(cluster, cfg.cluster_timeout, e) from e
    except tf.errors.AbortedError as e:
        raise ClusterError(
            f"worker {cluster.task}: a parameter server restarted and lost the variables "
            f"({checkpoints.first_line(e)}); restart the chief to restore the last checkpoint"
        ) from e
