"""Training speed of the ports, as ratios against alternatives measured in the same run.

    python benchmarks/bench_training.py --data_dir=DIR [--sections=b,c,d,e,f,g]

(b) steps/s of each port's graph stepped by the harness's own loop, against the same model in
    Keras 3 ``fit`` and in a ``tf.function`` loop (informational: a faithful feed_dict step of
    a small model is bound by ``Session.run``'s overhead).
(c) the CNN's achieved GFLOP/s (forward + backward, from its layer shapes) against TensorFlow's
    own float32 matmul rate measured here. Goal: >= 80%.
(d) training time at the posts' summary/checkpoint cadence against none.
(e) mixed precision: the CNN's steps/s in float32 and with ``--mixed_precision``, alternated,
    and the test accuracy of both after the same steps from the same start.
(f) where a float32 CNN step goes: TensorFlow's step stats summed per op kind, and the
    session settings tried against the profile (threads, XLA).
(g) whole processes, alternated: each port's command against the import + load floor (a
    process that only imports TensorFlow and loads MNIST) and against the same model as a
    Keras ``fit`` script (``benchmarks/keras_fit.py``). Goal for the small ports: <= 1.15x
    the floor.

Everything but (g) runs in this one process; medians of ``--repeats`` alternated runs.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
from keras_fit import keras_model

from tf1_mnist import input_data
from tf1_mnist.support import cli, mixed_precision
from tf1_mnist.support.cli import option
from tf1_mnist.support.compat import VERSION, tf
from tf1_mnist.training import command, evaluation, graph, loop, ports

SPECS = {spec.name: spec for spec in ports.specs()}
THROUGHPUT_STEPS = {"softmax": 2000, "fc": 2000, "cnn": 150, "logistic": 3000}
OVERHEAD_STEPS = {"softmax": 1000, "fc": 2000, "cnn": 2000, "logistic": 5500}
OVERHEAD_REPEATS = {"cnn": 1}  # two CNN runs of 2000 steps take two minutes already
MATMUL_GOAL, OVERHEAD_GOAL, FLOOR_GOAL = 0.80, 0.10, 1.15
PRECISION_STEPS = 500  # the CNN's quick budget: accuracy of float32 and mixed precision
WHOLE_PROCESS_STEPS = {"cnn": 500}  # the CNN's whole process at its quick budget


# --------------------------------------------------------------------------- (b) throughput


def ours(name: str, data: input_data.Datasets, scratch: str) -> Callable[[int], float]:
    """The port trained by the shared loop (``training.loop.train``), continuing one session
    from call to call, with step lines, summaries and periodic checkpoints off."""
    spec = SPECS[name]
    cfg = spec.config(
        log_every=0,
        summary_every=0,
        save_every=0,
        logdir=os.path.join(scratch, "logs"),
        ckpt_dir=os.path.join(scratch, "ckpt"),
    )
    built = graph.build_graph(spec, cfg)
    sess = tf.Session(graph=built.graph)
    sess.run(built.init)
    step = 0

    def run(steps: int) -> float:
        nonlocal step
        step += steps
        more = dataclasses.replace(cfg, max_steps=step)
        return _quiet(
            lambda: loop.train(sess, built, data, more, ports.run_dirs(spec, more))
        ).seconds

    return run


def keras_fit(name: str, data: input_data.Datasets) -> Callable[[int], float]:
    import keras

    model, optimizer = keras_model(name)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    batch = SPECS[name].defaults["batch_size"]
    images, labels = data.train.images, data.train.labels

    def run(steps: int) -> float:
        n = steps * batch
        start = time.perf_counter()
        model.fit(images[:n], labels[:n], batch_size=batch, epochs=1, shuffle=True, verbose=0)
        return time.perf_counter() - start

    return run


def tf_function_loop(name: str, data: input_data.Datasets) -> Callable[[int], float]:
    import keras
    import tensorflow as tf2

    model, optimizer = keras_model(name)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    batch = SPECS[name].defaults["batch_size"]

    @tf2.function
    def step(x, y):
        with tf2.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        accuracy = tf2.reduce_mean(
            tf2.cast(tf2.equal(tf2.argmax(logits, 1), tf2.argmax(y, 1)), tf2.float32)
        )
        return loss, accuracy

    def run(steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            xs, ys = data.train.next_batch(batch)
            loss, _ = step(xs, ys)
        float(loss)  # wait for the last step
        return time.perf_counter() - start

    return run


def throughput(names: list[str], data: input_data.Datasets, repeats: int, scratch: str) -> dict:
    results = {}
    for name in names:
        runners = {
            "ours (tf.compat.v1 graph)": ours(name, data, scratch),
            "Keras 3 fit": keras_fit(name, data),
            "tf.function loop": tf_function_loop(name, data),
        }
        steps = THROUGHPUT_STEPS[name]
        for run in runners.values():  # warm-up: graph building, tracing, first allocations
            run(max(10, steps // 10))
        rates: dict[str, list[float]] = {label: [] for label in runners}
        for r in range(repeats):
            order = list(runners.items())
            for label, run in order if r % 2 == 0 else order[::-1]:
                rates[label].append(steps / run(steps))
        medians = {label: statistics.median(v) for label, v in rates.items()}
        results[name] = medians
        base = medians["ours (tf.compat.v1 graph)"]
        print(f"\n{name} (batch {SPECS[name].defaults['batch_size']}, {steps} steps x {repeats})")
        for label, rate in medians.items():
            print(f"  {label:28s} {rate:9.1f} steps/s   ours is {base / rate:5.2f}x")
    return results


# --------------------------------------------------------------------------- (c) GFLOP/s


def cnn_flops_per_image() -> float:
    """Forward multiply-adds x 2, times 3 for forward + backward (input and weight gradients)."""
    forward = (
        2 * 28 * 28 * 32 * 5 * 5 * 1  # conv1, 'SAME'
        + 2 * 14 * 14 * 64 * 5 * 5 * 32  # conv2
        + 2 * 3136 * 1024  # fc1
        + 2 * 1024 * 10  # fc2
    )
    return 3.0 * forward


def matmul_gflops(repeats: int, n: int = 2048) -> dict[str, float]:
    """float32 n x n matmul rate of numpy and of TensorFlow (graph mode), best of ``repeats``."""
    rng = np.random.RandomState(0)
    a, b = rng.rand(n, n).astype(np.float32), rng.rand(n, n).astype(np.float32)
    flops = 2.0 * n**3
    rates = {}
    best = min(_timed(lambda: a @ b) for _ in range(repeats * 3))
    rates["numpy"] = flops / best / 1e9
    graph = tf.Graph()
    with graph.as_default():
        # Variables, not constants: grappler would fold a constant product away.
        x, y = tf.Variable(a), tf.Variable(b)
        product = tf.reduce_sum(tf.matmul(x, y))  # a scalar out: time the matmul, not a copy
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(product)
            best = min(_timed(lambda: sess.run(product)) for _ in range(repeats * 3))
    rates["TensorFlow"] = flops / best / 1e9
    return rates


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --------------------------------------------------------------------------- (d) overhead


def overhead(names: list[str], data_dir: str, repeats: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            spec = SPECS[name]
            steps = OVERHEAD_STEPS[name]
            times: dict[str, list[float]] = {"blog cadence": [], "none": []}
            for r in range(OVERHEAD_REPEATS.get(name, repeats)):
                for label in ("blog cadence", "none") if r % 2 == 0 else ("none", "blog cadence"):
                    cfg = spec.config(
                        data_dir=data_dir,
                        logdir=os.path.join(scratch, "logs"),
                        ckpt_dir=os.path.join(scratch, "ckpt"),
                        max_steps=steps,
                        log_every=0,
                        fresh=True,
                        plots=False,
                    )
                    if label == "none":
                        cfg = dataclasses.replace(cfg, summary_every=0, save_every=0)
                    result = _quiet(lambda s=spec, c=cfg: command.run(s, c))
                    times[label].append(result.training.seconds)
            with_, without = (statistics.median(times[k]) for k in ("blog cadence", "none"))
            results[name] = with_ / without - 1.0
            d = spec.config()
            print(
                f"  {name:9s} {steps:5d} steps, summaries every {d.summary_every}, checkpoint "
                f"every {d.save_every}: {with_:6.2f} s vs {without:6.2f} s without "
                f"({100 * results[name]:+.1f}%)"
            )
    return results


def _quiet(fn: Callable[[], object]) -> object:
    """Run ``fn`` with its stdout (step and epoch lines) sent to /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            return fn()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


# --------------------------------------------------------------------------- (e) precision


def precision_runs(data: input_data.Datasets, repeats: int) -> dict:
    """The CNN in float32 and with mixed precision from the same start and the same batches:
    steps/s over alternated stretches, then test accuracy after PRECISION_STEPS steps."""
    spec = SPECS["cnn"]
    sessions = {}
    for mixed in (False, True):
        cfg = spec.config(mixed_precision=mixed)
        built = graph.build_graph(spec, cfg)
        sess = tf.Session(graph=built.graph, config=mixed_precision.session_config(mixed))
        sess.run(built.init)
        sessions["mixed" if mixed else "float32"] = (built, sess)
    order = np.random.RandomState(0)
    stretch = PRECISION_STEPS // (2 * repeats)
    rates: dict[str, list[float]] = {k: [] for k in sessions}
    for r in range(2 * repeats):
        indices = [order.randint(0, data.train.num_examples, 100) for _ in range(stretch)]
        pairs = list(sessions.items())
        for label, (built, sess) in pairs if r % 2 == 0 else pairs[::-1]:
            m = built.model
            start = time.perf_counter()
            for idx in indices:
                feed = {m.x: data.train.images[idx], m.labels: data.train.labels[idx]}
                sess.run(m.train_op, {**feed, **m.train_feed})
            rates[label].append(stretch / (time.perf_counter() - start))
    results = {}
    for label, (built, sess) in sessions.items():
        _, accuracy = evaluation.evaluate(sess, built.model, data.test, 500)
        results[label] = {"steps_per_second": statistics.median(rates[label]), "accuracy": accuracy}
        sess.close()
    steps = stretch * 2 * repeats
    base = results["float32"]["steps_per_second"]
    for label, r in results.items():
        rate = r["steps_per_second"]
        print(
            f"  {label:8s} {rate:6.1f} steps/s ({rate / base:4.2f}x)  test accuracy after "
            f"{steps} steps {r['accuracy']:.4f}"
        )
    return results


# --------------------------------------------------------------------------- (f) profile


def profile(data: input_data.Datasets, repeats: int) -> dict:
    """One float32 CNN step, traced: its op time summed by op kind; then session settings."""
    spec = SPECS["cnn"]
    built = graph.build_graph(spec, spec.config())
    m = built.model

    def feed() -> dict:
        xs, ys = data.train.next_batch(100)
        return {m.x: xs, m.labels: ys, **m.train_feed}

    kinds: dict[str, float] = {}
    with tf.Session(graph=built.graph) as sess:
        sess.run(built.init)
        for _ in range(10):
            sess.run(m.train_op, feed())
        traced = 5
        for _ in range(traced):
            metadata = tf.RunMetadata()
            options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            sess.run(m.train_op, feed(), options=options, run_metadata=metadata)
            for device in metadata.step_stats.dev_stats:
                for node in device.node_stats:
                    label = node.timeline_label.split(" = ")[-1].split("(")[0]
                    kind = _op_kind(label or node.node_name)
                    kinds[kind] = kinds.get(kind, 0.0) + node.all_end_rel_micros / traced / 1e3
    total = sum(kinds.values())
    print(f"  op time of one step, summed over both cores: {total:.1f} ms")
    for kind, ms in sorted(kinds.items(), key=lambda kv: -kv[1]):
        if ms / total >= 0.005:
            print(f"    {kind:34s} {ms:6.2f} ms  {100 * ms / total:4.1f}%")
    settings = {
        "default (2 inter-op, 2 intra-op threads)": tf.ConfigProto(),
        "1 inter-op thread": tf.ConfigProto(inter_op_parallelism_threads=1),
        "XLA (global_jit_level ON_1)": _xla(),
    }
    rates: dict[str, list[float]] = {k: [] for k in settings}
    sessions = {}
    for label, config in settings.items():
        sessions[label] = tf.Session(graph=built.graph, config=config)
        sessions[label].run(built.init)
        for _ in range(10):
            sessions[label].run(m.train_op, feed())
    for _ in range(repeats):
        for label, sess in sessions.items():
            start = time.perf_counter()
            for _ in range(40):
                sess.run(m.train_op, feed())
            rates[label].append(40 / (time.perf_counter() - start))
    base = statistics.median(rates["default (2 inter-op, 2 intra-op threads)"])
    for label, sess in sessions.items():
        sess.close()
        rate = statistics.median(rates[label])
        print(f"  {label:42s} {rate:6.1f} steps/s ({rate / base:4.2f}x)")
    return {"kinds_ms": kinds, "settings": {k: statistics.median(v) for k, v in rates.items()}}


def _op_kind(op: str) -> str:
    """oneDNN's op names, in words."""
    names = {
        "Conv2DBackpropFilter": "conv backward (filter)",
        "Conv2DBackpropInput": "conv backward (input)",
        "FusedConv2D": "conv forward (fused bias, ReLU)",
        "Conv2D": "conv forward",
        "FusedMatMul": "matmul forward (fused bias, ReLU)",
        "MatMul": "matmul (backward, logits)",
        "ApplyAdam": "Adam update",
        "MaxPoolGrad": "max-pool backward",
        "MaxPool": "max-pool forward",
        "ReluGrad": "ReLU backward",
    }
    for key, kind in names.items():
        if key in op:
            return kind
    if "Mkl" in op and ("ToTf" in op or "Layout" in op):
        return "layout conversion"
    return "other (" + op.lstrip("_") + ")" if op in ("RandomUniform", "Sum") else "other"


def _xla() -> object:
    config = tf.ConfigProto()
    config.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1
    return config


# --------------------------------------------------------------------------- (g) whole processes


def whole_processes(names: list[str], data_dir: str, repeats: int) -> dict:
    """Wall time of whole commands, alternated: the floor, each port, its Keras script."""
    here = os.path.dirname(os.path.abspath(__file__))
    floor = [
        sys.executable,
        "-c",
        "import sys, tensorflow; from tf1_mnist import input_data; "
        "input_data.read_data_sets(sys.argv[1], one_hot=True)",
        data_dir,
    ]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            steps = WHOLE_PROCESS_STEPS.get(name, SPECS[name].budget.steps)
            commands = {
                "floor": floor,
                "ours": [
                    sys.executable,
                    "-m",
                    f"tf1_mnist.{name}",
                    f"--data_dir={data_dir}",
                    f"--logdir={scratch}/logs",
                    f"--ckpt_dir={scratch}/ckpt",
                    f"--max_steps={steps}",
                    "--fresh",
                ],
                "keras": [
                    sys.executable,
                    os.path.join(here, "keras_fit.py"),
                    name,
                    f"--data_dir={data_dir}",
                    f"--steps={steps}",
                ],
            }
            times: dict[str, list[float]] = {k: [] for k in commands}
            for r in range(repeats):
                order = list(commands.items())
                for label, command in order if r % 2 == 0 else order[::-1]:
                    start = time.perf_counter()
                    subprocess.run(command, capture_output=True, check=True, cwd=scratch)
                    times[label].append(time.perf_counter() - start)
            med = {k: statistics.median(v) for k, v in times.items()}
            results[name] = dict(med, steps=steps)
            print(
                f"  {name:9s} {steps:6d} steps: ours {med['ours']:5.2f} s, floor "
                f"{med['floor']:5.2f} s ({med['ours'] / med['floor']:4.2f}x), Keras fit "
                f"{med['keras']:5.2f} s ({_faster(med['ours'], med['keras'])})"
            )
    return results


def _faster(ours: float, theirs: float) -> str:
    """Which of two wall times wins, and by how much."""
    if ours <= theirs:
        return f"ours {theirs / ours:4.2f}x faster"
    return f"Keras fit {ours / theirs:4.2f}x faster"


# --------------------------------------------------------------------------- main


@dataclasses.dataclass
class Options:
    """``python benchmarks/bench_training.py [flags]``"""

    data_dir: str = option("MNIST_data/", "MNIST folder (then $TF1_MNIST_DATA_DIR).")
    models: list[str] = option(list(ports.PORTS), "Ports to measure, comma-separated.")
    repeats: int = option(3, "Alternated runs per measurement (the median is reported).")
    overhead_repeats: int = option(3, "Alternated runs per port for (d).")
    sections: list[str] = option(
        ["b", "c", "d", "e", "f", "g"], "Which of the sections (b) to (g) to run."
    )


def main(opts: Options, _args: list[str]) -> int:
    names = [spec.name for spec in ports.specs(opts.models)]
    data = input_data.read_data_sets(opts.data_dir, one_hot=True, seed=0)
    print(f"TensorFlow {VERSION}, {os.cpu_count()} cores; medians of {opts.repeats} runs")
    sections = opts.sections
    rates, matmul, cnn_rate, costs, whole = {}, {}, None, {}, {}
    if "b" in sections or "c" in sections:
        print("\n(b) training throughput")
        with tempfile.TemporaryDirectory() as scratch:
            rates = throughput(names if "b" in sections else ["cnn"], data, opts.repeats, scratch)
    if "c" in sections:
        print("\n(c) CNN arithmetic rate")
        matmul = matmul_gflops(opts.repeats)
        per_step = cnn_flops_per_image() * SPECS["cnn"].defaults["batch_size"]
        cnn_rate = per_step * rates["cnn"]["ours (tf.compat.v1 graph)"] / 1e9
        print(
            f"  CNN: {cnn_flops_per_image() / 1e6:.1f} MFLOP per image per training step, "
            f"{cnn_rate:.0f} GFLOP/s"
        )
        for label, rate in matmul.items():
            print(
                f"  {label} float32 2048x2048 matmul: {rate:.0f} GFLOP/s -> CNN at "
                f"{100 * cnn_rate / rate:.0f}%"
            )
    if "d" in sections:
        print("\n(d) summaries and checkpoints at the posts' cadence (harness, train loop time)")
        costs = overhead(names, opts.data_dir, opts.overhead_repeats)
    if "e" in sections:
        print("\n(e) mixed precision (CNN)")
        precision_runs(data, opts.repeats)
    if "f" in sections:
        print("\n(f) where a float32 CNN step goes")
        profile(data, opts.repeats)
    if "g" in sections:
        print("\n(g) whole processes (wall time, alternated)")
        whole = whole_processes(names, opts.data_dir, opts.repeats)

    print("\ngoals")
    if cnn_rate and "TensorFlow" in matmul:
        share = cnn_rate / matmul["TensorFlow"]
        print(
            f"  CNN GFLOP/s / TensorFlow's matmul rate {100 * share:.0f}%  (goal >= "
            f"{100 * MATMUL_GOAL:.0f}%) {'met' if share >= MATMUL_GOAL else 'MISSED'}"
        )
    for name, cost in costs.items():
        print(
            f"  {name:9s} summaries+checkpoints {100 * cost:+5.1f}%  (goal < "
            f"{100 * OVERHEAD_GOAL:.0f}%) {'met' if cost < OVERHEAD_GOAL else 'MISSED'}"
        )
    for name in ("softmax", "logistic", "fc"):
        if name in whole:
            ratio = whole[name]["ours"] / whole[name]["floor"]
            print(
                f"  {name:9s} whole process / import+load floor {ratio:4.2f}x  (goal <= "
                f"{FLOOR_GOAL}x) {'met' if ratio <= FLOOR_GOAL else 'MISSED'}"
            )
    return 0


if __name__ == "__main__":
    cli.main(main, Options())
