"""python -m tf1_mnist.legacy: period-style TF 0.x/1.x scripts (tests/legacy_scripts/) run
unmodified, train briefly and reach their accuracy; what cannot work says so clearly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import event_steps, run_cli

SCRIPTS = Path(__file__).parent / "legacy_scripts"


def legacy(*args: str, cwd: Path, mnist_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {} if mnist_dir is None else {"TF1_MNIST_DATA_DIR": str(mnist_dir)}
    return run_cli("tf1_mnist.legacy", *args, env=env, cwd=cwd)


def _float_after(pattern: str, text: str) -> float:
    match = re.search(pattern + r"\s*([0-9.]+)", text)
    assert match, f"{pattern!r} not in output:\n{text}"
    return float(match.group(1))


def test_seed_000_runs_as_the_post_prints_it(tmp_path: Path, mnist_dir: Path) -> None:
    """The 2016 softmax post: tf.initialize_all_variables, reduction_indices, and a hard-coded
    /home/fly/... data folder that must not force a download (TF1_MNIST_DATA_DIR wins)."""
    proc = legacy("--seed=0", str(SCRIPTS / "softmax_2016.py"), cwd=tmp_path, mnist_dir=mnist_dir)
    assert proc.returncode == 0, proc.stderr
    accuracy = float(proc.stdout.strip().splitlines()[-1])
    assert accuracy >= 0.91  # the post: about 92%; our port's reference 0.9187
    assert not Path("/home/fly/TensorFlow/mnist").exists()


def test_tensorflow_0x_names_and_summaries(tmp_path: Path, mnist_dir: Path) -> None:
    """tf.mul/sub/neg/pack, tf.split/tf.concat in the old argument order, positional
    cross-entropy, keep_dims, InteractiveSession, the *_summary names, SummaryWriter."""
    logdir = tmp_path / "logs"
    proc = legacy(
        str(SCRIPTS / "summaries_2016.py"), str(logdir), cwd=tmp_path, mnist_dir=mnist_dir
    )
    assert proc.returncode == 0, proc.stderr
    assert "losses (2,) mean prob shape (100, 1)" in proc.stdout
    assert _float_after("test accuracy", proc.stdout) >= 0.90
    steps = list(range(0, 1000, 100))
    for tag in ("cross_entropy", "accuracy", "weights", "input/image/0"):
        assert event_steps(logdir, tag) == steps, tag


def test_app_flags_run_and_the_scripts_folder(tmp_path: Path, mnist_dir: Path) -> None:
    """tf.app.flags (log_dir too, which absl.logging also owns), tf.app.run passing unknown
    arguments to main, __name__, sys.argv, a helper imported from the script's folder, and
    `import tensorflow.examples.tutorials.mnist.input_data as input_data`."""
    script = SCRIPTS / "flags_2017.py"
    proc = legacy(
        str(script),
        f"--log_dir={tmp_path / 'logs'}",
        "--max_steps=300",
        "extra_arg",
        cwd=tmp_path,
        mnist_dir=mnist_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"argv: ['{script}', 'extra_arg']" in proc.stdout
    assert "script: flags_2017.py name: __main__" in proc.stdout
    assert _float_after("Accuracy at step 300:", proc.stdout) >= 0.90
    assert event_steps(tmp_path / "logs" / "train", "cross_entropy") == [0, 100, 200]


def test_seed_002_style_trains_then_predicts(tmp_path: Path, mnist_dir: Path) -> None:
    """Variable scopes, FLAGS.is_train read without tf.app.run, Saver, and the post's
    per-sample tf.argmax(...).eval() prediction loop."""
    script = str(SCRIPTS / "fc_2018.py")
    trained = legacy(script, str(tmp_path), cwd=tmp_path, mnist_dir=mnist_dir)
    assert trained.returncode == 0, trained.stderr
    assert _float_after("test accuracy:", trained.stdout) >= 0.83  # the post: about 0.85
    assert (tmp_path / "fc_model.index").is_file()
    predicted = legacy(script, str(tmp_path), "--is_train=0", cwd=tmp_path, mnist_dir=mnist_dir)
    assert predicted.returncode == 0, predicted.stderr
    assert len(re.findall(r"第\d+个样本的真实值为:\d, 模型预测结果为:\d", predicted.stdout)) == 100
    assert _float_after("right:", predicted.stdout) >= 70  # out of 100


def test_contrib_names_the_symbol_and_line(tmp_path: Path) -> None:
    proc = legacy(str(SCRIPTS / "contrib_2017.py"), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{SCRIPTS / 'contrib_2017.py'}:5: hidden = tf.contrib.layers" in proc.stderr
    assert "`tf.contrib` was removed in TensorFlow 2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_name_names_the_symbol_and_line(tmp_path: Path) -> None:
    script = tmp_path / "typo.py"
    script.write_text("import tensorflow as tf\n\nx = tf.no_such_op(1)\n")
    proc = legacy(str(script), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{script}:3: x = tf.no_such_op(1)" in proc.stderr
    assert "`tensorflow.no_such_op` does not exist" in proc.stderr


def test_python2_script_gets_a_hint(tmp_path: Path) -> None:
    proc = legacy(str(SCRIPTS / "python2_2016.py"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "python2_2016.py:4:" in proc.stderr and "2to3" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_data_is_one_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TF1_MNIST_DATA_DIR"}
    env["TF1_MNIST_SOURCE_URL"] = "http://127.0.0.1:9/"  # nothing listens: no network
    folder_existed = Path("/home/fly").exists()  # the post's hard-coded data folder
    proc = subprocess.run(
        [sys.executable, "-m", "tf1_mnist.legacy", str(SCRIPTS / "softmax_2016.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "softmax_2016.py:5: mnist = input_data.read_data_sets" in proc.stderr
    assert "TF1_MNIST_DATA_DIR" in proc.stderr and "Traceback" not in proc.stderr
    assert not any(tmp_path.rglob("*.gz"))
    assert Path("/home/fly").exists() == folder_existed  # no folders left by the failed download


def test_exit_code_and_usage(tmp_path: Path) -> None:
    script = tmp_path / "exits.py"
    script.write_text("import sys\nimport tensorflow as tf\nsys.exit(3)\n")
    assert legacy(str(script), cwd=tmp_path).returncode == 3
    missing = legacy(str(tmp_path / "nope.py"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such script" in missing.stderr
    assert legacy(cwd=tmp_path).returncode == 2
    assert legacy("--seed=x", str(script), cwd=tmp_path).returncode == 2


RENAMED_OPS = [
    ("tf.mul(a, b)", "tf.multiply(a, b)"),
    ("tf.sub(a, b)", "tf.subtract(a, b)"),
    ("tf.neg(a)", "tf.negative(a)"),
    ("tf.inv(a)", "tf.reciprocal(a)"),
    ("tf.pack([a, b])", "tf.stack([a, b])"),
    ("tf.unpack(tf.pack([a, b]))[1]", "b"),
    ("tf.concat(0, [a, b])", "tf.concat([a, b], 0)"),
    ("tf.concat(concat_dim=0, values=[a, b])", "tf.concat([a, b], axis=0)"),
    ("tf.split(0, 2, tf.concat(0, [a, b]))[1]", "b"),
    ("tf.batch_matmul(tf.reshape(a, [1, 1, 2]), tf.reshape(b, [1, 2, 1]))", "[[[11.0]]]"),
    ("tf.select(a > 1.5, a, b)", "tf.where(a > 1.5, a, b)"),
    ("tf.reduce_sum(tf.pack([a, b]), reduction_indices=[1], keep_dims=True)", "[[3.], [7.]]"),
    (
        "tf.nn.softmax_cross_entropy_with_logits(tf.pack([a, b]), tf.eye(2))",
        "tf.nn.softmax_cross_entropy_with_logits(logits=tf.pack([a, b]), labels=tf.eye(2))",
    ),
]


def test_renamed_ops_compute_the_same() -> None:
    """Each 0.x spelling gives what its 1.x spelling gives (one process, the installed shim)."""
    code = (
        "import sys\n"
        "from tf1_mnist import legacy\n"
        "tf = legacy.install()\n"
        "import numpy as np\n"
        "a = tf.constant([1., 2.]); b = tf.constant([3., 4.])\n"
        "sess = tf.Session()\n"
        "for old, new in eval(sys.argv[1]):\n"
        "    got, want = sess.run(eval(old)), eval(new)\n"
        "    want = sess.run(want) if hasattr(want, 'graph') else np.asarray(want)\n"
        "    print(np.shape(got) == np.shape(want) and np.allclose(got, want), old)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, repr(RENAMED_OPS)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    results = proc.stdout.strip().splitlines()
    assert len(results) == len(RENAMED_OPS)
    assert all(line.startswith("True ") for line in results), results


def test_summary_and_variable_renames_are_the_1x_functions() -> None:
    code = (
        "from tf1_mnist import legacy\n"
        "tf = legacy.install()\n"
        "import tensorflow as shim\n"
        "assert shim is tf and tf.VARIABLES == 'variables'\n"
        "s = tf.compat.v1.summary if hasattr(tf, 'compat') else None\n"
        "pairs = [(tf.scalar_summary, tf.summary.scalar), (tf.histogram_summary,"
        " tf.summary.histogram), (tf.image_summary, tf.summary.image), (tf.audio_summary,"
        " tf.summary.audio), (tf.merge_summary, tf.summary.merge), (tf.merge_all_summaries,"
        " tf.summary.merge_all), (tf.train.SummaryWriter, tf.summary.FileWriter),"
        " (tf.initialize_all_variables, tf.global_variables_initializer),"
        " (tf.initialize_variables, tf.variables_initializer), (tf.initialize_local_variables,"
        " tf.local_variables_initializer), (tf.all_variables, tf.global_variables)]\n"
        "assert all(old is new for old, new in pairs), [o for o, n in pairs if o is not n]\n"
        "import tensorflow.examples.tutorials.mnist.input_data as input_data\n"
        "from tf1_mnist import input_data as ours\n"
        "assert input_data is ours\n"
        "assert tf.InteractiveSession and tf.app.run and tf.app.flags.DEFINE_integer\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_legacy_does_not_import_the_harness() -> None:
    code = (
        "import sys\nfrom tf1_mnist import legacy\nlegacy.install()\n"
        "print('tf1_mnist.harness' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr
