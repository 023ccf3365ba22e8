"""Training throughput of the ported graphs against Keras 3 ``fit`` and a ``tf.function`` loop,
the CNN's GFLOP/s against this machine's matmul rate, and the cost of summaries + checkpoints.

Everything runs in one process, alternated ``--repeats`` times; medians are reported as ratios.

    python benchmarks/bench_training.py --data_dir ../shared/mnist

(b) steps/s of each port trained by the harness's own loop (next_batch, feed, train op, loss
    and accuracy fetched; summaries, step lines and periodic checkpoints off) against the same
    architecture, initializers, batch and optimizer trained by Keras ``model.fit`` and by a
    ``tf.function`` GradientTape loop. Goal: ours >= 2x fit.
(c) the CNN's achieved GFLOP/s (forward + backward, counted from its layer shapes) against the
    float32 matmul rate of numpy and of TensorFlow here. Goal: >= 85% of the matmul rate.
(d) training time at the blog's summary/checkpoint cadence against none, through the harness.
    Goal: < 10%.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from tf1_mnist import cli, harness, input_data, registry
from tf1_mnist.cli import option
from tf1_mnist.compat import VERSION, tf

SPECS = {spec.name: spec for spec in registry.specs()}
THROUGHPUT_STEPS = {"softmax": 2000, "fc": 2000, "cnn": 150, "logistic": 3000}
OVERHEAD_STEPS = {"softmax": 1000, "fc": 2000, "cnn": 2000, "logistic": 5500}
OVERHEAD_REPEATS = {"cnn": 1}  # two CNN runs of 2000 steps take two minutes already
FIT_GOAL, MATMUL_GOAL, OVERHEAD_GOAL = 2.0, 0.85, 0.10


# --------------------------------------------------------------------------- (b) throughput


def ours(name: str, data: input_data.Datasets, scratch: str) -> Callable[[int], float]:
    """The port trained by the harness's own loop (``harness.train``), continuing one session
    from call to call, with step lines, summaries and periodic checkpoints off."""
    spec = SPECS[name]
    cfg = spec.config(
        log_every=0,
        summary_every=0,
        save_every=0,
        logdir=os.path.join(scratch, "logs"),
        ckpt_dir=os.path.join(scratch, "ckpt"),
    )
    built = harness.build_graph(spec, cfg)
    sess = tf.Session(graph=built.graph)
    sess.run(built.init)
    step = 0

    def run(steps: int) -> float:
        nonlocal step
        step += steps
        more = dataclasses.replace(cfg, max_steps=step)
        return _quiet(lambda: harness.train(sess, built, data, more)).seconds

    return run


def keras_model(name: str):
    """The same architecture, initializers and optimizer in Keras 3."""
    import keras
    from keras import initializers as init
    from keras import layers

    normal = init.RandomNormal(0.0, 1.0)
    if name == "softmax":
        body = [layers.Dense(10, kernel_initializer="zeros")]
        optimizer = keras.optimizers.SGD(0.5)
    elif name == "fc":
        body = [
            layers.Dense(64, kernel_initializer=normal, bias_initializer=normal),
            layers.Dense(10, kernel_initializer=normal, bias_initializer=normal),
        ]
        optimizer = keras.optimizers.SGD(0.1)
    elif name == "logistic":
        body = [layers.Dense(10, kernel_initializer=normal)]
        optimizer = keras.optimizers.SGD(0.01)
    else:
        w, b = init.TruncatedNormal(stddev=0.1), init.Constant(0.1)
        conv = dict(padding="same", activation="relu", kernel_initializer=w, bias_initializer=b)
        body = [
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(32, 5, **conv),
            layers.MaxPooling2D(2, padding="same"),
            layers.Conv2D(64, 5, **conv),
            layers.MaxPooling2D(2, padding="same"),
            layers.Flatten(),
            layers.Dense(1024, activation="relu", kernel_initializer=w, bias_initializer=b),
            layers.Dropout(0.5),
            layers.Dense(10, kernel_initializer=w, bias_initializer=b),
        ]
        optimizer = keras.optimizers.Adam(1e-4)
    model = keras.Sequential([keras.Input((784,)), *body])
    return model, optimizer


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
                    result = _quiet(lambda s=spec, c=cfg: harness.run(s, c))
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


# --------------------------------------------------------------------------- main


@dataclasses.dataclass
class Options:
    """``python benchmarks/bench_training.py [flags]``"""

    data_dir: str = option("MNIST_data/", "MNIST folder (then $TF1_MNIST_DATA_DIR).")
    models: list[str] = option(list(registry.PORTS), "Ports to measure, comma-separated.")
    repeats: int = option(3, "Alternated runs per measurement (the median is reported).")
    overhead_repeats: int = option(3, "Alternated runs per port for (d).")
    sections: list[str] = option(["b", "c", "d"], "Which of (b), (c), (d) to run.")


def main(opts: Options, _args: list[str]) -> int:
    names = [spec.name for spec in registry.specs(opts.models)]
    data = input_data.read_data_sets(opts.data_dir, one_hot=True, seed=0)
    print(f"TensorFlow {VERSION}, {os.cpu_count()} cores; medians of {opts.repeats} runs")

    sections = opts.sections
    rates, matmul, cnn_rate, costs = {}, {}, None, {}
    if "b" in sections or "c" in sections:
        print("\n(b) training throughput")
        with tempfile.TemporaryDirectory() as scratch:
            rates = throughput(names if "b" in sections else ["cnn"], data, opts.repeats, scratch)
    if "c" in sections:
        print("\n(c) CNN arithmetic rate")
        matmul = matmul_gflops(opts.repeats)
    if "c" in sections and "cnn" in rates:
        per_step = cnn_flops_per_image() * SPECS["cnn"].defaults["batch_size"]
        cnn_rate = per_step * rates["cnn"]["ours (tf.compat.v1 graph)"] / 1e9
        print(
            f"  CNN: {cnn_flops_per_image() / 1e6:.1f} MFLOP per image per training step, "
            f"{cnn_rate:.0f} GFLOP/s"
        )
    for label, rate in matmul.items():
        share = f" -> CNN at {100 * cnn_rate / rate:.0f}%" if cnn_rate else ""
        print(f"  {label} float32 2048x2048 matmul: {rate:.0f} GFLOP/s{share}")

    if "d" in sections:
        print("\n(d) summaries and checkpoints at the blog's cadence (harness, train loop time)")
        costs = overhead(names, opts.data_dir, opts.overhead_repeats)

    print("\ngoals")
    for name, medians in rates.items():
        ratio = medians["ours (tf.compat.v1 graph)"] / medians["Keras 3 fit"]
        print(
            f"  {name:9s} ours / Keras fit  {ratio:5.2f}x  (goal >= {FIT_GOAL}x) "
            f"{'met' if ratio >= FIT_GOAL else 'MISSED'}"
        )
    for label, rate in matmul.items() if cnn_rate else ():
        share = cnn_rate / rate
        print(
            f"  CNN GFLOP/s / {label} matmul rate {100 * share:.0f}%  (goal >= "
            f"{100 * MATMUL_GOAL:.0f}%) {'met' if share >= MATMUL_GOAL else 'MISSED'}"
        )
    for name, cost in costs.items():
        print(
            f"  {name:9s} summaries+checkpoints {100 * cost:+5.1f}%  (goal < "
            f"{100 * OVERHEAD_GOAL:.0f}%) {'met' if cost < OVERHEAD_GOAL else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    cli.main(main, Options())
