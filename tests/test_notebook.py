"""python -m tf1_mnist.legacy NOTEBOOK.ipynb and %load_ext tf1_mnist: period-style notebooks
(written here with nbformat, in the style of the 2016-2018 tutorials) run in a real Jupyter
kernel on the TF1 shim; Python 2's ``/`` survives the conversion of scripts and cells."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tf1_mnist.legacy import python2

# Each test runs whole commands or a Jupyter kernel in subprocesses (TensorFlow's import,
# seconds each): the full suite's, not the fast layer's (which stays under 2 minutes).
pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_notebook(path: Path, *cells: str, kernel: str = "python3") -> Path:
    """A notebook of code cells (a markdown cell first, as tutorials have), for ``kernel``."""
    nb = new_notebook(cells=[new_markdown_cell("# A 2017 tutorial"), *map(new_code_cell, cells)])
    display = "Python 2" if kernel == "python2" else "Python 3"
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": display, "language": "python"}
    nbformat.write(nb, str(path))
    return path


def legacy(*args: str, cwd: Path, data: Path | None = None) -> subprocess.CompletedProcess:
    env = {} if data is None else {"TF1_MNIST_DATA_DIR": str(data)}
    return run_cli("tf1_mnist.legacy", *args, env=env, cwd=cwd, timeout=300)


# ----------------------------------------------------------------------- Python 2's "/"


def _run_py2(source: str) -> dict:
    converted, _ = python2.convert(source)
    namespace: dict = {}
    exec(python2.compile_converted(converted, "<py2>"), namespace)
    return namespace


def test_python2_division_floors_ints_only() -> None:
    """int / int floors (negative too, and NumPy integers); a float, a float array and a
    `from __future__ import division` module divide truly; `/=` too; lines are kept."""
    import numpy as np

    ns = _run_py2(
        "import numpy as np\n"
        "a = 7 / 2\nb = -7 / 2\nc = 7.0 / 2\nd = np.array([7, 9]) / 2\ne = np.int64(9) / 2\n"
        "f = np.array([7.0]) / 2\ng = 9\ng /= 2\nh = [0, 9]\nh[1] /= 2\n"
        "def steps(n):\n    return len(xrange(n / 100))\ni = steps(55000)\n"
    )
    assert (ns["a"], ns["b"], ns["c"], ns["e"], ns["g"], ns["h"], ns["i"]) == (
        3,
        -4,
        3.5,
        4,
        4,
        [0, 4],
        550,
    )
    assert ns["d"].tolist() == [3, 4] and ns["f"].tolist() == [3.5]
    assert isinstance(ns["e"], np.integer)
    assert _run_py2("from __future__ import division\nx = 7 / 2\n")["x"] == 3.5
    code = python2.compile_converted("x = 1\n\ny = x / 0\n", "<py2>")
    with pytest.raises(ZeroDivisionError) as raised:
        exec(code, {})
    frame = [entry for entry in raised.traceback if str(entry.path) == "<py2>"][-1]
    assert frame.lineno + 1 == 3  # pytest counts lines from 0


def test_python2_script_divides_as_python_2(tmp_path: Path) -> None:
    """A Python 2 script's `xrange(num_examples / 100)`: a TypeError after a plain 2to3."""
    script = tmp_path / "py2_steps.py"
    script.write_text(
        "num_examples = 55000\nbatch_size = 100\n"
        "print 'steps', len(xrange(num_examples / batch_size)), 7 / 2, 7.0 / 2\n"
    )
    proc = legacy(str(script), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "steps 550 3 3.5"


# ------------------------------------------------------------------------- notebooks


@pytest.fixture(scope="module")
def magics_run(tmp_path_factory: pytest.TempPathFactory, synthetic_dir: Path) -> dict:
    """One run of a 2017-style softmax notebook full of IPython syntax (a kernel start costs
    seconds: the tests below read this one run)."""
    folder = tmp_path_factory.mktemp("magics")
    notebook = write_notebook(
        folder / "softmax_2017.ipynb",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np\n"
        "import tensorflow as tf\nfrom tensorflow.examples.tutorials.mnist import input_data",
        "!pip install tensorflow==1.4.0",
        "\nmnist = input_data.read_data_sets('/home/user/MNIST_data/', one_hot=True)\n"
        "print('train', mnist.train.num_examples)",
        "tf.nn.softmax?",
        "x = tf.placeholder(tf.float32, [None, 784])\nW = tf.Variable(tf.zeros([784, 10]))\n"
        "b = tf.Variable(tf.zeros([10]))\ny = tf.matmul(x, W) + b\n"
        "y_ = tf.placeholder(tf.float32, [None, 10])\n"
        "cross_entropy = tf.reduce_mean(\n"
        "    tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))\n"
        "train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)\n"
        "sess = tf.InteractiveSession()\ntf.global_variables_initializer().run()",
        "%%time\nfor _ in range(200):\n    batch_xs, batch_ys = mnist.train.next_batch(100)\n"
        "    sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})",
        "correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))\n"
        "accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))\n"
        "print('Accuracy on test-set: {0:.1%}'.format(\n"
        "    sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels})))",
        "plt.imshow(mnist.test.images[0].reshape(28, 28), cmap=np.float and 'binary')\nplt.show()",
        "display(np.arange(3))\nW.get_shape().as_list()",
    )
    proc = legacy(str(notebook), "--seed=3", cwd=folder, data=synthetic_dir)
    return {"proc": proc, "folder": folder, "notebook": notebook}


def test_notebook_runs_in_a_kernel_with_magics(magics_run: dict) -> None:
    """%matplotlib inline, %%time, `?`, display(), the TF1 shim, NumPy 1 spellings, a
    hard-coded data folder: the notebook trains and prints its accuracy; the last
    expression's repr carries its cell number; !pip installs nothing."""
    proc = magics_run["proc"]
    assert proc.returncode == 0, proc.stderr
    accuracy = re.search(r"Accuracy on test-set: ([\d.]+)%", proc.stdout)
    assert accuracy and float(accuracy.group(1)) >= 90, proc.stdout
    assert "train 1100" in proc.stdout
    assert "Wall time:" in proc.stdout  # %%time
    assert "Out[9]: [784, 10]" in proc.stdout and "array([0, 1, 2])" in proc.stdout
    assert "softmax" in proc.stdout.lower() and "Docstring" in proc.stdout  # the `?` page
    assert "note: `pip install tensorflow==1.4.0` not run" in proc.stderr
    assert "np.float was removed in NumPy 2" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "mixed precision" not in proc.stderr  # float32 unless --mixed_precision
    assert not Path("/home/user/MNIST_data").exists()


def test_notebook_figures_and_executed_copy(magics_run: dict) -> None:
    """The inline figure is saved as a PNG and named; the executed notebook is written
    beside the run with this run's outputs (the figure inline), the input untouched."""
    folder, proc = magics_run["folder"], magics_run["proc"]
    figure = folder / "softmax_2017_figure_1.png"
    assert f"figure saved: {figure} (cell In [8])" in proc.stderr
    assert figure.read_bytes().startswith(PNG_MAGIC)
    executed = folder / "softmax_2017.tf1.ipynb"
    assert f"executed notebook: {executed}" in proc.stderr
    nb = nbformat.read(str(executed), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, 10))
    images = [o for o in code[7].outputs if "image/png" in o.get("data", {})]
    assert base64.b64decode(images[0].data["image/png"]) == figure.read_bytes()
    assert nb.metadata.kernelspec.name == "python3"
    original = nbformat.read(str(magics_run["notebook"]), as_version=4)
    assert all(not c.get("outputs") for c in original.cells if c.cell_type == "code")
    assert not list(folder.glob(".*.part")) and not list(folder.glob(".*.ipynb"))


def test_python2_notebook_and_a_failing_cell(tmp_path: Path) -> None:
    """A python2-kernel notebook runs converted (print statements, xrange, int division);
    the failing cell stops the run with one error line naming the notebook, the cell and
    the line in it (leading blank lines counted); the cells after it do not run."""
    notebook = write_notebook(
        tmp_path / "py2_2016.ipynb",
        "num_examples = 55000\nprint 'steps', len(xrange(num_examples / 100)), 7 / 2",
        "def half(n):\n    return n / 2\nprint half(9), half(9.0)",
        "\n\nrates = {'a': 1}\nfor k, v in rates.iteritems():\n    print k, v\nprint rates['b']",
        "print 'never reached'",
        kernel="python2",
    )
    proc = legacy(str(notebook), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["steps 550 3", "4 4.5", "a 1"]
    assert "is a Python 2 notebook" in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-2] == f"error: {notebook}: cell In [3], line 6: KeyError: 'b'"
    assert lines[-1] == "    print rates['b']"
    assert "never reached" not in proc.stdout
    nb = nbformat.read(str(tmp_path / "py2_2016.tf1.ipynb"), as_version=4)
    assert nb.cells[-1].outputs == [] and nb.cells[-1].execution_count is None
    assert nb.cells[-2].outputs[-1].output_type == "error"


def test_refused_part_in_a_cell(tmp_path: Path) -> None:
    """A tf.contrib part with no TF 1.x equivalent in a cell: the refusal's message, no
    traceback wall."""
    notebook = write_notebook(
        tmp_path / "kmeans_2017.ipynb",
        "import tensorflow as tf",
        "points = tf.placeholder(tf.float32, [None, 784])\n"
        "kmeans = tf.contrib.factorization.KMeans(points, 10)",
    )
    proc = legacy(str(notebook), cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-2].startswith(
        f"error: {notebook}: cell In [2], line 2: `tf.contrib.factorization`"
    ), lines
    assert lines[-1].startswith("    kmeans = tf.contrib.factorization.KMeans")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.ipynb", '{"cells": [{"cell_type": "code", ', "the file is not valid JSON"),
        ("empty.ipynb", "", "the file is not valid JSON"),
        ("list.ipynb", "[1, 2]", "the JSON has no cells"),
        ("saved_as.py", '{"cells": 5, "nbformat": 4, "metadata": {}}', "not a Jupyter notebook"),
    ],
)
def test_invalid_notebook_is_one_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    """Never run as Python (a notebook's JSON exec'd: `NameError: name 'true'`, or exit 0)."""
    path = tmp_path / name
    path.write_text(text)
    proc = legacy(str(path), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: {path}") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not list(tmp_path.glob("*.tf1.ipynb"))


def test_output_flag_and_never_over_the_input(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "tiny.ipynb", "print(6 * 7)")
    proc = legacy(str(notebook), f"--output={notebook}", cwd=tmp_path)
    assert proc.returncode == 2 and "that is the notebook being run" in proc.stderr
    proc = legacy(str(notebook), "extra", cwd=tmp_path)
    assert proc.returncode == 2 and "a notebook takes no arguments: extra" in proc.stderr
    script = tmp_path / "script.py"
    script.write_text("print(1)\n")
    proc = legacy("--output=out.ipynb", str(script), cwd=tmp_path)
    assert proc.returncode == 2 and "--output is for notebooks" in proc.stderr


def test_without_jupyter_one_line_names_the_extra(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    (blocked / "nbclient").mkdir(parents=True)
    (blocked / "nbclient" / "__init__.py").write_text("raise ImportError('blocked for a test')\n")
    notebook = write_notebook(tmp_path / "tiny.ipynb", "print(6 * 7)")
    root = Path(__file__).resolve().parent.parent
    proc = run_cli(
        "tf1_mnist.legacy",
        str(notebook),
        env={"PYTHONPATH": f"{blocked}:{root}"},
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: {notebook}: running a notebook needs Jupyter's nbclient: "
        "`pip install 'tf1_mnist[notebook]'`"
    )


def test_load_ext_in_a_real_kernel(tmp_path: Path, synthetic_dir: Path) -> None:
    """`%load_ext tf1_mnist` in a kernel started as Jupyter starts it: TF1 graphs, the
    tutorial loader, a Python 2 cell, `!pip install` answered by a note."""
    import os

    from nbclient import NotebookClient

    nb = new_notebook(
        cells=[
            new_code_cell("%load_ext tf1_mnist"),
            new_code_cell(
                "import tensorflow as tf\n"
                "from tensorflow.examples.tutorials.mnist import input_data\n"
                "mnist = input_data.read_data_sets('MNIST_data', one_hot=True)\n"
                "a = tf.placeholder(tf.float32)\nsess = tf.Session()\n"
                "print(sess.run(tf.mul(a, 3.0), {a: 2.0}), mnist.test.num_examples)"
            ),
            new_code_cell("print 'py2', 7 / 2"),
            new_code_cell("!pip install tensorflow-gpu==1.15"),
            new_code_cell("%unload_ext tf1_mnist"),
        ]
    )
    client = NotebookClient(
        nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    saved = os.environ.get("TF1_MNIST_DATA_DIR")
    os.environ["TF1_MNIST_DATA_DIR"] = str(synthetic_dir)
    try:
        client.execute()
    finally:
        if saved is None:
            del os.environ["TF1_MNIST_DATA_DIR"]
        else:
            os.environ["TF1_MNIST_DATA_DIR"] = saved

    def text(cell: nbformat.NotebookNode) -> str:
        return "".join(o.get("text", "") for o in cell.outputs)

    assert "`import tensorflow` is TensorFlow 1.x now" in text(nb.cells[0])
    assert "6.0 200" in text(nb.cells[1])
    assert "py2 3" in text(nb.cells[2])
    assert "note: `pip install tensorflow-gpu==1.15` not run" in text(nb.cells[3])
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]


def test_importing_tf1_mnist_stays_light() -> None:
    """The IPython extension entry points load nothing until %load_ext calls them."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tf1_mnist; print(tf1_mnist.load_ipython_extension.__name__,"
            " any(m in sys.modules for m in ('tensorflow', 'IPython', 'numpy')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split() == ["load_ipython_extension", "False"]


def test_a_kernel_that_dies_is_one_line(tmp_path: Path) -> None:
    """A cell that ends the kernel's process (as an out-of-memory kill does): one line naming
    the cell; the cells after it do not run; the executed copy keeps the cells before it."""
    notebook = write_notebook(
        tmp_path / "dies.ipynb", "print('before')", "import os\nos._exit(3)", "print('after')"
    )
    proc = legacy(str(notebook), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.split() == ["before"]
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {notebook}: cell In [2]: the kernel died (out of memory, or a crash in "
        "native code)"
    )
    nb = nbformat.read(str(tmp_path / "dies.tf1.ipynb"), as_version=4)
    assert nb.cells[1].outputs[0].text == "before\n"


def test_tf_app_run_in_a_cell_ends_the_run_with_its_code(tmp_path: Path) -> None:
    """`tf.app.run()` pasted into a notebook: main runs, its exit code is the run's (as for a
    script), the cells after it do not run, and no traceback or IPython prompt advice."""
    notebook = write_notebook(
        tmp_path / "app_run.ipynb",
        "import tensorflow as tf\n\ndef main(_):\n    print('main ran')\n    return 4\n\n"
        "tf.app.run()",
        "print('after')",
    )
    proc = legacy(str(notebook), cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout.split() == ["main", "ran"]
    assert proc.stderr.strip().splitlines()[-1] == (
        f"note: {notebook}: cell In [1]: the notebook exited (SystemExit: 4); later cells not run"
    )
    assert "Traceback" not in proc.stderr and "To exit" not in proc.stderr


def test_seed_reaches_a_cells_own_graph_and_urls_are_served_locally(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """A notebook gets the same setup as a script: ``--seed`` reaches a graph a cell makes
    itself (``with tf.Graph().as_default():``), and an MNIST URL is served from the local
    copy (no network: the mirror is a closed port)."""
    notebook = write_notebook(
        tmp_path / "graphs_2017.ipynb",
        "import tensorflow as tf\n"
        "with tf.Graph().as_default():\n"
        "    w = tf.Variable(tf.random_normal([3]))\n"
        "    with tf.Session() as sess:\n"
        "        sess.run(tf.global_variables_initializer())\n"
        "        print('weights', sess.run(w).tolist())",
        "import urllib.request\n"
        "path, _ = urllib.request.urlretrieve(\n"
        "    'http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz', 'labels.gz')\n"
        "import os; print('bytes', os.path.getsize(path) > 0)",
    )

    def run() -> str:
        proc = run_cli(
            "tf1_mnist.legacy",
            "--seed=3",
            str(notebook),
            env={
                "TF1_MNIST_DATA_DIR": str(synthetic_dir),
                "TF1_MNIST_SOURCE_URL": "http://127.0.0.1:9/",
            },
            cwd=tmp_path,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "bytes True" in proc.stdout, proc.stdout
        return re.search(r"^weights .*$", proc.stdout, re.M).group(0)

    assert run() == run()
