"""Issue 22's hard cases of the commands, run as a user types them: unwritable output paths,
FIFOs among the images, a huge image, source encodings and mixed tabs in legacy scripts, and
Ctrl-C while TensorFlow is still being imported."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image, ImageDraw

from tf1_mnist.support import preprocess

# Each test runs whole commands or a Jupyter kernel in subprocesses (TensorFlow's import,
# seconds each): the full suite's, not the fast layer's (which stays under 2 minutes).
pytestmark = pytest.mark.slow

PREDICTED = re.compile(r"^(.+): (\d) \(probability [0-9.]+; top 3: .+\)$", re.M)


@pytest.fixture(scope="module")
def softmax_ckpt(tmp_path_factory: pytest.TempPathFactory, synthetic_dir: Path) -> Path:
    """A checkpoint folder holding a few steps of post 000's softmax (synthetic data)."""
    out = tmp_path_factory.mktemp("softmax")
    proc = run_cli(
        "tf1_mnist.softmax",
        f"--data_dir={synthetic_dir}",
        "--max_steps=5",
        f"--ckpt_dir={out / 'ckpt'}",
        f"--logdir={out / 'logs'}",
    )
    assert proc.returncode == 0, proc.stderr
    return out / "ckpt"


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder where no file can be created: a read-only tmpfs where this process may mount
    one, else /proc (which refuses even root; chmod does not stop root)."""
    target = tmp_path / "read-only"
    target.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(target)],
            capture_output=True,
        ).returncode
        == 0
        if os.geteuid() == 0
        else False
    )
    try:
        yield target if mounted else Path("/proc")
    finally:
        if mounted:
            subprocess.run(["umount", str(target)], check=True)


def _digit_png(path: Path, side: int = 100) -> Path:
    """A dark '1' on white paper, ``side`` pixels square."""
    image = Image.new("L", (side, side), 255)
    ImageDraw.Draw(image).line(
        (side // 2, side // 10, side // 2, side - side // 10), fill=0, width=max(2, side // 12)
    )
    image.save(path)
    return path


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


# --------------------------------------------------------------------------- output paths


def test_output_paths_are_checked_before_the_work(
    tmp_path: Path, softmax_ckpt: Path, synthetic_dir: Path, read_only_dir: Path
) -> None:
    """--grid on a read-only folder, on an existing folder, under a file, on a FIFO; and
    --plot_dir of --is_train=0 read-only or under a file: one error line naming the path and
    the flag, before any checkpoint is restored (tracebacks after the work, before)."""
    image = _digit_png(tmp_path / "one.png")
    (tmp_path / "a_file").write_text("in the way")
    (tmp_path / "a_folder").mkdir()
    # A FIFO stands for a device such as /dev/null, which a rename as root would replace.
    os.mkfifo(tmp_path / "special.png")
    grids = {
        read_only_dir / "grid.png": "",
        tmp_path / "a_folder": "it is a folder",
        tmp_path / "a_file" / "grid.png": "a file is in the way of its folder",
        tmp_path / "special.png": "not a regular file",
    }
    for grid, reason in grids.items():
        proc = run_cli(
            "tf1_mnist.predict",
            "--model=softmax",
            f"--ckpt_dir={softmax_ckpt}",
            f"--grid={grid}",
            str(image),
            cwd=tmp_path,
        )
        assert proc.returncode == 1, (grid, proc.stderr)
        line = _one_error_line(proc)  # no "restored ..." line: checked before the restore
        assert line.startswith(f"error: cannot write the grid to {grid}"), line
        assert reason in line and "--grid" in line, line
        assert not proc.stdout  # nothing predicted
    assert (tmp_path / "special.png").is_fifo()  # not replaced by a PNG

    for plot_dir in (read_only_dir / "figures", tmp_path / "a_file" / "figures"):
        proc = run_cli(
            "tf1_mnist.softmax",
            "--is_train=0",
            "--plots",
            f"--plot_dir={plot_dir}",
            f"--data_dir={synthetic_dir}",
            f"--ckpt_dir={softmax_ckpt}",
            f"--logdir={tmp_path / 'logs'}",
            cwd=tmp_path,
        )
        assert proc.returncode == 1, proc.stderr
        line = _one_error_line(proc)
        assert line.startswith("error: cannot write the grid of the predicted samples to "), line
        assert str(plot_dir) in line and "--plot_dir" in line, line
        assert not proc.stdout  # no sample predicted


# --------------------------------------------------------------------------- FIFOs


def test_fifos_are_skipped_never_waited_on(tmp_path: Path, softmax_ckpt: Path) -> None:
    """A FIFO named on the command line and one inside a folder: one line each, the images
    around them still predicted, exit code 1 (it hung forever before)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    _digit_png(folder / "a.png")
    os.mkfifo(folder / "b.png")
    os.mkfifo(tmp_path / "pipe.png")
    good = _digit_png(tmp_path / "c.png")
    proc = run_cli(
        "tf1_mnist.predict",
        "--model=softmax",
        f"--ckpt_dir={softmax_ckpt}",
        str(tmp_path / "pipe.png"),
        str(folder),
        str(good),
        timeout=90,
    )
    assert proc.returncode == 1, proc.stderr
    assert {Path(m.group(1)).name for m in PREDICTED.finditer(proc.stdout)} == {"a.png", "c.png"}
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(errors) == sorted(
        f"error: {path}: not a regular file (a FIFO); skipped"
        for path in (tmp_path / "pipe.png", folder / "b.png")
    )
    assert "Traceback" not in proc.stderr
    assert "2 predicted, 2 failed" in proc.stdout


# --------------------------------------------------------------------------- huge images


def _run_measured(args: list[str], stdout: Path, timeout: float) -> tuple[int, float, float]:
    """Run ``python -m args`` (its stdout to a file); its exit code, wall seconds and peak
    memory in GB (``wait4``: this child's own, not the largest of all children so far)."""
    with stdout.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args], stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT
        )
    timer = threading.Timer(timeout, proc.kill)
    began = time.monotonic()
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    seconds = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert seconds < timeout, f"{' '.join(args)} ran past {timeout} s"
    return proc.returncode, seconds, usage.ru_maxrss / 2**20


def test_a_huge_image_is_decoded_downscaled(tmp_path: Path, softmax_ckpt: Path) -> None:
    """A 9400x9400 PNG (just under Pillow's bomb limit) is predicted in bounded memory (it took
    5.7 GB more than a small image, and 40-50 s, before), and downscaled it still becomes the
    same MNIST digit."""
    side = 9400
    assert side * side < Image.MAX_IMAGE_PIXELS
    big = _digit_png(tmp_path / "huge.png", side)
    peaks = {}
    for path in (_digit_png(tmp_path / "small.png"), big):  # the small one: TensorFlow's own
        stdout = tmp_path / "stdout.txt"
        code, seconds, peaks[path] = _run_measured(
            ["tf1_mnist.predict", "--model=softmax", f"--ckpt_dir={softmax_ckpt}", str(path)],
            stdout,
            timeout=120,
        )
        assert code == 0
        assert [m.group(1) for m in PREDICTED.finditer(stdout.read_text())] == [str(path)]
    extra = peaks[big] - min(peaks.values())
    assert extra < 1.0, f"the image took {extra:.2f} GB more ({seconds:.1f} s)"

    # The same drawing at a tenth of the size: the same digit, within a few grey levels.
    small = preprocess.load(_seven_png(tmp_path / "small.png", 940))
    huge = _seven_png(tmp_path / "huge7.png", side)
    jpeg = tmp_path / "huge7.jpg"
    with Image.open(huge) as image:
        image.save(jpeg, quality=90)  # JPEG: decoded at a fraction of its size (draft)
    for path in (huge, jpeg):
        assert np.abs(preprocess.load(path) - small).max() < 0.1, path


def _seven_png(path: Path, side: int) -> Path:
    """A dark '7' on white paper, ``side`` pixels square (not symmetric: centring is exact)."""
    image = Image.new("L", (side, side), 255)
    s = side / 100
    ImageDraw.Draw(image).line(
        [(25 * s, 15 * s), (75 * s, 15 * s), (40 * s, 88 * s)], fill=0, width=round(9 * s)
    )
    image.save(path)
    return path


# --------------------------------------------------------------------------- legacy sources


def legacy(script: Path, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli("tf1_mnist.legacy", str(script), cwd=cwd)


def test_coding_declarations_are_honoured(tmp_path: Path) -> None:
    """A GBK script declaring `coding: gbk`, a latin-1 Python 2 one, a UTF-8 one with a BOM
    run as under plain `python`; undeclared non-UTF-8 bytes get one line naming the line,
    the byte and the fix."""
    gbk = tmp_path / "gbk_tutorial.py"
    gbk.write_bytes(
        "# -*- coding: gbk -*-\n# 手写数字识别 (MNIST)\nprint('准确率', 0.92)\n".encode("gbk")
    )
    plain = subprocess.run([sys.executable, str(gbk)], capture_output=True, text=True)
    assert plain.returncode == 0 and plain.stdout == "准确率 0.92\n"  # what `python` does
    proc = legacy(gbk, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == plain.stdout

    latin1 = tmp_path / "latin1_py2.py"
    latin1.write_bytes("# -*- coding: latin-1 -*-\nprint 'précision', 0.92\n".encode("latin-1"))
    proc = legacy(latin1, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "précision 0.92\n"

    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfprint('BOM', 1)\n")
    proc = legacy(bom, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "BOM 1\n"

    undeclared = tmp_path / "undeclared_py2.py"
    undeclared.write_bytes("x = 1\nprint 'précision', x\n".encode("latin-1"))
    proc = legacy(undeclared, tmp_path)
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert line.startswith(f"error: {undeclared}:2: not UTF-8 (byte 0xe9) and no coding line")
    assert "# -*- coding: latin-1 -*-" in line and "save it as UTF-8" in line


TABS_PY2 = (
    'print "start"\n'
    'doc = """\n\tkept as it is\n"""\n'
    "def f(x):\n"
    "        if x:\n"  # eight spaces
    "\t    return 1\n"  # a tab and four spaces: column 12 for Python 2
    "\treturn 0\n"  # a tab: column 8
    "print f(1), f(0), repr(doc)\n"
)


def test_mixed_tabs_are_read_as_python_2_read_them(tmp_path: Path) -> None:
    """Python 2 read a tab as advancing to the next multiple of 8 columns: such a script runs
    (strings keep their tabs); one that still cannot be converted gets a fix that works."""
    script = tmp_path / "tabs_py2.py"
    script.write_text(TABS_PY2)
    proc = legacy(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "start\n1 0 '\\n\\tkept as it is\\n'\n"
    assert "tabs in indentation -> 8 columns (2)" in proc.stderr

    unconvertible = tmp_path / "backticks.py"
    unconvertible.write_text(TABS_PY2.replace("return 1", "return `x`"))
    proc = legacy(unconvertible, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: {unconvertible}:1: ")
    assert "`expand -i -t 8 SCRIPT.py > fixed.py`, then `2to3 -w fixed.py`" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- Ctrl-C at start


@contextlib.contextmanager
def _started(args: list[str], cwd: Path) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _import_seconds() -> float:
    """How long importing TensorFlow (as every command does) takes on this machine now: the
    shorter of two tries, so that a busy moment does not stretch it."""
    probe = (
        "import time; began = time.perf_counter(); import tf1_mnist.support.compat; "
        "print(time.perf_counter() - began)"
    )
    tries = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)]
    tries.append(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True))
    assert all(proc.returncode == 0 for proc in tries), [proc.stderr for proc in tries]
    return min(float(proc.stdout.split()[-1]) for proc in tries)


def test_ctrl_c_while_tensorflow_is_imported_is_one_line(
    tmp_path: Path, softmax_ckpt: Path, synthetic_dir: Path
) -> None:
    """SIGINT at a quarter to a half of TensorFlow's import time after start: exit code 130 and
    "interrupted", for every command (a 30-80 line KeyboardInterrupt traceback and death by
    the signal before)."""
    image = _digit_png(tmp_path / "one.png")
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text("import time\nimport tensorflow as tf\ntime.sleep(60)\n")
    data, ckpt = f"--data_dir={synthetic_dir}", f"--ckpt_dir={tmp_path / 'ckpt'}"
    seconds = _import_seconds()
    commands = [  # the legacy runner is quiet at any moment: its script sleeps
        (["tf1_mnist.fc", data, ckpt, f"--logdir={tmp_path / 'logs'}"], 0.25),
        (["tf1_mnist.predict", "--model=softmax", f"--ckpt_dir={softmax_ckpt}", str(image)], 0.4),
        (["tf1_mnist.reproduce", "--help"], 0.55),
        (["tf1_mnist.cluster", "softmax", data, ckpt], 0.4),
        (["tf1_mnist.legacy", str(sleeper)], 0.25),
        (["tf1_mnist.legacy", str(sleeper)], 0.9),
    ]
    for args, fraction in commands:
        delay = fraction * seconds
        with _started(args, tmp_path) as proc:
            time.sleep(delay)
            assert proc.poll() is None, (args, proc.communicate())
            proc.send_signal(signal.SIGINT)
            try:
                stdout, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{args} still running 60 s after SIGINT at {delay:.2f} s")
        assert proc.returncode == 128 + signal.SIGINT, (args, delay, proc.returncode, stderr)
        assert stderr.strip().splitlines()[-1:] == ["interrupted"], (args, delay, stderr)
        assert len(stderr.strip().splitlines()) <= 2, (args, delay, stderr)
        assert not stdout
