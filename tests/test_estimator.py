"""tf.estimator under the legacy runner (tf1_mnist.legacy.estimator), and the TF1 idioms real
MNIST programs still trip on: scripts in tests/legacy_scripts/ written in the period's style
(estimator_2018.py, premade_2018.py, contrib_learn_2017.py, idioms_*.py, codelab_2017/) run
unmodified through ``python -m tf1_mnist.legacy``, on synthetic data unless marked slow."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import event_steps, run_cli

from tf1_mnist.support.compat import tf

# Each test runs whole commands or a Jupyter kernel in subprocesses (TensorFlow's import,
# seconds each): the full suite's, not the fast layer's (which stays under 2 minutes).
pytestmark = pytest.mark.slow

SCRIPTS = Path(__file__).parent / "legacy_scripts"


def legacy(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli("tf1_mnist.legacy", *args, env=env, cwd=cwd)


def _info(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("INFO:tensorflow:")]


def _eval_dict(stdout: str) -> dict:
    line = next(line for line in stdout.splitlines() if line.startswith("{'accuracy'"))
    return eval(line)  # the script prints the dict evaluate() returned


def test_custom_estimator_trains_evaluates_predicts_and_resumes(tmp_path: Path) -> None:
    """model_fn + numpy_input_fn + hooks on MonitoredTrainingSession: TF 1.x's log lines
    (once each), checkpoints and summaries in model_dir, eval summaries in model_dir/eval;
    a second run restores the checkpoint and carries on from step 60."""
    model_dir = tmp_path / "model"
    script = str(SCRIPTS / "estimator_2018.py")
    first = legacy(script, str(model_dir), "60", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "hook saw 60 steps in 1 session" in first.stdout
    results = _eval_dict(first.stdout)
    assert results["global_step"] == 60 and results["accuracy"] >= 0.8, results
    agree = re.search(r"predicted 30, agree with labels (\d+)", first.stdout)
    assert agree and int(agree.group(1)) >= 24, first.stdout
    info = _info(first.stderr)
    first_loss = next(line for line in info if "loss = " in line)
    assert re.fullmatch(r"INFO:tensorflow:loss = [0-9.]+, step = 1", first_loss), first_loss
    assert any(re.search(r"loss = [0-9.]+, step = 21 \([0-9.]+ sec\)", line) for line in info)
    assert f"INFO:tensorflow:Saving checkpoints for 60 into {model_dir}/model.ckpt." in info
    saving_dict = [line for line in info if "Saving dict for global step" in line]
    assert len(saving_dict) == 1, first.stderr  # once: not again through absl's handler
    assert re.fullmatch(
        r"INFO:tensorflow:Saving dict for global step 60: accuracy = [0-9.]+, "
        r"global_step = 60, loss = [0-9.]+",
        saving_dict[0],
    )
    assert "np.float32" not in first.stdout  # printed as TF 1.x printed it (NumPy 1 repr)
    assert (model_dir / "checkpoint").is_file() and (model_dir / "graph.pbtxt").is_file()
    assert event_steps(model_dir, "loss")  # the SummarySaverHook's
    assert event_steps(model_dir, "global_step/sec") == [21, 41]  # the StepCounterHook's
    assert event_steps(model_dir / "eval", "accuracy") == [60]

    second = legacy(script, str(model_dir), "60", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    info = _info(second.stderr)
    assert f"INFO:tensorflow:Restoring parameters from {model_dir}/model.ckpt-60" in info
    assert any(re.fullmatch(r"INFO:tensorflow:loss = [0-9.]+, step = 61", line) for line in info)
    assert _eval_dict(second.stdout)["global_step"] == 120
    assert event_steps(model_dir / "eval", "accuracy") == [60, 120]


def test_premade_classifiers_and_train_and_evaluate(tmp_path: Path) -> None:
    """DNNClassifier through train_and_evaluate (an evaluation after each checkpoint),
    LinearClassifier, DNNLinearCombinedClassifier, a binary head's metrics, predict's keys;
    imported as `tensorflow.python.estimator.inputs.numpy_io` and
    `tensorflow_estimator.python.estimator.canned.dnn` as well as `tf.estimator`."""
    proc = legacy(str(SCRIPTS / "premade_2018.py"), str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"dnn: accuracy 0\.[7-9]\d\d at step 300", out), out
    for name in ("linear", "combined"):
        assert float(re.search(name + r": accuracy ([0-9.]+)", out).group(1)) >= 0.7, out
    assert (
        "binary: ['accuracy', 'accuracy_baseline', 'auc', 'auc_precision_recall', "
        "'average_loss', 'global_step', 'label/mean', 'loss', 'precision', "
        "'prediction/mean', 'recall']" in out
    )
    assert (
        "predict keys: ['all_class_ids', 'all_classes', 'class_ids', 'classes', 'logits', "
        "'probabilities']" in out
    )
    predicted = re.search(r"predicted classes: (\[.*\])", out).group(1)
    true = re.search(r"true classes: (\[.*\])", out).group(1)
    assert sum(p == t for p, t in zip(eval(predicted), eval(true), strict=True)) >= 3
    assert event_steps(tmp_path / "dnn" / "eval", "accuracy") == [100, 200, 300]
    assert event_steps(tmp_path / "dnn" / "eval", "average_loss") == [100, 200, 300]
    assert len(list((tmp_path / "linear").glob("model.ckpt-200.index"))) == 1


def test_contrib_learn_names_with_an_exact_successor(tmp_path: Path) -> None:
    """tf.contrib.learn: infer_real_valued_columns_from_input, DNNClassifier.fit/evaluate/
    predict on numpy arrays, SKCompat(Estimator(model_fn -> ModelFnOps)) with a MetricSpec."""
    proc = legacy(str(SCRIPTS / "contrib_learn_2017.py"), str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    match = re.search(
        r"evaluate accuracy ([0-9.]+), predict accuracy ([0-9.]+), step 300", proc.stdout
    )
    assert match, proc.stdout
    assert (
        float(match.group(1)) >= 0.7 and abs(float(match.group(1)) - float(match.group(2))) < 0.01
    )
    match = re.search(
        r"SKCompat: accuracy ([0-9.]+), predict shapes \(10,\) \(10, 3\)", proc.stdout
    )
    assert match and float(match.group(1)) >= 0.7, proc.stdout


def test_every_estimator_import_form_is_the_same_object(tmp_path: Path) -> None:
    script = tmp_path / "forms.py"
    script.write_text(
        "import tensorflow as tf\n"
        "import tensorflow.estimator as estimator_module\n"
        "from tensorflow.estimator import inputs\n"
        "from tensorflow.python.estimator import estimator as estimator_lib\n"
        "from tensorflow.python.estimator.model_fn import ModeKeys, EstimatorSpec\n"
        "from tensorflow.python.estimator.run_config import RunConfig\n"
        "from tensorflow.python.estimator.canned import dnn, linear\n"
        "import tensorflow_estimator as tf_estimator\n"
        "from tensorflow_estimator.python.estimator import training\n"
        "from tensorflow.contrib import learn\n"
        "assert estimator_module is tf.estimator is tf.compat.v1.estimator\n"
        "assert tf_estimator.estimator is tf.estimator\n"
        "assert estimator_lib.Estimator is tf.estimator.Estimator\n"
        "assert ModeKeys is tf.estimator.ModeKeys and ModeKeys.PREDICT == 'infer'\n"
        "assert EstimatorSpec is tf.estimator.EstimatorSpec\n"
        "assert RunConfig is tf.estimator.RunConfig\n"
        "assert dnn.DNNClassifier is tf.estimator.DNNClassifier\n"
        "assert linear.LinearClassifier is tf.estimator.LinearClassifier\n"
        "assert training.train_and_evaluate is tf.estimator.train_and_evaluate\n"
        "assert inputs.numpy_input_fn is tf.compat.v1.estimator.inputs.numpy_input_fn\n"
        "assert tf.estimator.LoggingTensorHook is tf.train.LoggingTensorHook\n"
        "assert learn.SKCompat and learn.RunConfig().save_checkpoints_secs == 600\n"
        "assert tf.estimator.RunConfig().save_checkpoints_secs == 600\n"
        "assert tf.estimator.RunConfig(save_checkpoints_steps=5).save_checkpoints_secs is None\n"
        "assert not hasattr(tf.estimator, 'BoostedTreesClassifier')\n"
        "print('ok')\n"
    )
    proc = legacy(str(script), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_gpu_question_control_flow_ops_and_slim_batch_norm(tmp_path: Path) -> None:
    """tf.test.is_built_with_cuda() answers whether a GPU is usable (none here: NHWC, which a
    CPU runs); control_flow_ops.cond/.case; tf.contrib.layers.batch_norm through tf_slim."""
    gpu = bool(tf.config.list_physical_devices("GPU"))
    proc = legacy(str(SCRIPTS / "idioms_cuda_cond_2017.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"data_format {'channels_first' if gpu else 'channels_last'}",
        f"conv+bn {(2, 4, 26, 26) if gpu else (2, 26, 26, 4)}",
        "cond 6.0 -4.0",
        "case 10.0 2.0",
    ]


def test_tostring_and_initialize_all_variables_with_epoch_counters(tmp_path: Path) -> None:
    """A TFRecord writer calling ndarray.tostring(), read back through
    string_input_producer(num_epochs=2) after TF 0.x's tf.initialize_all_variables()."""
    proc = legacy(str(SCRIPTS / "idioms_records_2016.py"), str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Done reading: 10 records, pixel sum 1140"
    assert (
        "ndarray.tostring() was removed in NumPy 2; tf1_mnist.legacy uses ndarray.tobytes()"
        in proc.stderr
    )


def test_an_mnist_url_is_served_from_the_local_copy_without_network(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """urlretrieve('http://yann.lecun.com/exdb/mnist/...') through six.moves gets the copy in
    $TF1_MNIST_DATA_DIR; any socket the run opened would fail the run."""
    code = (
        "import socket, sys\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('the run opened a network connection')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from tf1_mnist.legacy import runner\n"
        "sys.exit(runner.run_script(sys.argv[1], sys.argv[2:]))\n"
    )
    env = {"TF1_MNIST_DATA_DIR": str(synthetic_dir), "TF1_MNIST_SOURCE_URL": "http://127.0.0.1:9/"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(SCRIPTS / "idioms_download_2016.py"),
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    served = tmp_path / "data" / "t10k-labels-idx1-ubyte.gz"
    assert served.read_bytes() == (synthetic_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    labels = np.frombuffer(gzip.decompress(served.read_bytes())[8:18], np.uint8)
    assert f"first labels {list(map(int, labels))}" in proc.stdout
    assert (
        "note: http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz served from the "
        "local MNIST copy" in proc.stderr
    )


def test_seed_reaches_the_graphs_a_script_makes(tmp_path: Path) -> None:
    """fully_connected_feed.py's `with tf.Graph().as_default():`: two runs with --seed print
    the same numbers; and no session computes in mixed precision unless asked."""
    script = str(SCRIPTS / "idioms_seed_2017.py")
    runs = [legacy("--seed=5", script, cwd=tmp_path) for _ in range(2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        assert "mixed precision" not in proc.stderr
    assert runs[0].stdout.startswith("final loss ")
    assert runs[0].stdout == runs[1].stdout


def test_codelab_helper_runs_headless_from_another_folder(tmp_path: Path) -> None:
    """The codelab's chart helper: its style file by a name relative to its own folder,
    canvas.set_window_title, legend.draggable and ax.collections.remove (matplotlib removed
    them), the training run inside the FuncAnimation step, and the final figure saved."""
    proc = legacy(str(SCRIPTS / "codelab_2017" / "codelab_softmax.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "steps trained: 100" in proc.stdout
    assert float(proc.stdout.split("max test accuracy: ")[1]) >= 0.9
    figure = tmp_path / "codelab_softmax_figure_1.png"
    assert figure.is_file() and figure.stat().st_size > 1000
    assert f"figure saved (no display): {figure}" in proc.stderr


@pytest.mark.slow
def test_premade_dnn_classifier_reaches_its_accuracy_on_mnist(
    tmp_path: Path, mnist_dir: Path
) -> None:
    """The premade-estimator MNIST tutorial's shape: DNNClassifier + train_and_evaluate on the
    real MNIST via tf.contrib.learn.datasets.load_dataset('mnist'); 3000 steps of 50."""
    proc = legacy(
        str(SCRIPTS / "dnn_mnist_2018.py"),
        str(tmp_path / "model"),
        "3000",
        cwd=tmp_path,
        env={"TF1_MNIST_DATA_DIR": str(mnist_dir)},
    )
    assert proc.returncode == 0, proc.stderr
    accuracy = float(re.search(r"Test Accuracy: ([0-9.]+)%", proc.stdout).group(1))
    assert accuracy >= 93.0
    assert event_steps(tmp_path / "model" / "eval", "accuracy") == [1000, 2000, 3000]


def test_contrib_learn_options_that_change_the_model_are_refused(tmp_path: Path) -> None:
    """``gradient_clip_norm`` would train another model than ours: one line naming it,
    never accepted and silently ignored."""
    script = tmp_path / "clipped_2017.py"
    script.write_text(
        "import tensorflow as tf\n"
        "from tensorflow.contrib import learn\n"
        "columns = [tf.contrib.layers.real_valued_column('', dimension=4)]\n"
        "clf = learn.DNNClassifier([8], columns, n_classes=3, gradient_clip_norm=5.0)\n"
    )
    proc = run_cli("tf1_mnist.legacy", str(script), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"error: {script}:4: tf.contrib.learn's gradient_clip_norm is not provided" in (
        proc.stderr
    ), proc.stderr
    assert "Traceback" not in proc.stderr
