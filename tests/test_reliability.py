"""Nothing lost, nothing silent: checkpoint folders that are copied, moved or oddly named,
``--fresh`` that deletes only after validating, full disks, flag ranges, a vanished reader of
our output, damaged checkpoints and the leftovers of kill -9.  Every case runs the command as
a user types it, on the small synthetic data set."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import ports

# Each test runs whole commands or a Jupyter kernel in subprocesses (TensorFlow's import,
# seconds each): the full suite's, not the fast layer's (which stays under 2 minutes).
pytestmark = pytest.mark.slow


def _folders(work: Path, data: Path | str) -> list[str]:
    return [f"--data_dir={data}", f"--logdir={work / 'logs'}", f"--ckpt_dir={work / 'ckpt'}"]


def _softmax(work: Path, data: Path | str, *flags: str) -> subprocess.CompletedProcess:
    return run_cli("tf1_mnist.softmax", *_folders(work, data), *flags, timeout=120)


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The command failed with exit 1 and one ``error:`` line, no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr[-2000:]
    return errors[0]


def _restored(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr[-2000:]
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("restored ")]
    return line


# --------------------------------------------------------------------------- 1. portable


def test_a_copied_or_moved_checkpoint_folder_restores_its_own_model(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    assert _softmax(a, synthetic_dir, "--max_steps=20").returncode == 0
    state = (a / "ckpt" / "softmax" / "checkpoint").read_text()
    assert str(tmp_path) not in state, state  # names relative to the folder holding them
    shutil.copytree(a, b, symlinks=True)
    assert _softmax(a, synthetic_dir, "--max_steps=30").returncode == 0  # A moves on
    line = _restored(_softmax(b, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert f"{b}/ckpt/softmax/softmax-20 (step 20)" in line, line
    moved = tmp_path / "C"
    b.rename(moved)
    line = _restored(_softmax(moved, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert f"{moved}/ckpt/softmax/softmax-20 (step 20)" in line, line


def test_an_old_state_file_with_absolute_paths_is_read_inside_its_folder(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    """Folders written before relative names: the file names count, not the folder named."""
    a = tmp_path / "A"
    assert _softmax(a, synthetic_dir, "--max_steps=20").returncode == 0
    state = a / "ckpt" / "softmax" / "checkpoint"
    gone = "/nonexistent/elsewhere/softmax/softmax-20"
    state.write_text(f'model_checkpoint_path: "{gone}"\nall_model_checkpoint_paths: "{gone}"\n')
    line = _restored(_softmax(a, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert f"{a}/ckpt/softmax/softmax-20 (step 20)" in line, line


# --------------------------------------------------------------------------- 2. [ and ]


def test_a_folder_named_with_brackets_resumes_and_predicts(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    work = tmp_path / "run[1]"
    assert _softmax(work, synthetic_dir, "--max_steps=10", "--save_every=1").returncode == 0
    kept = sorted(p.name for p in (work / "ckpt" / "softmax").glob("softmax-*.index"))
    assert len(kept) == 5, kept  # max_to_keep holds here too
    resumed = _softmax(work, synthetic_dir, "--max_steps=20")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming at step 10" in resumed.stderr, resumed.stderr[-2000:]
    line = _restored(_softmax(work, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert "softmax-20 (step 20)" in line


# --------------------------------------------------------------------------- 3. --fresh


def test_fresh_deletes_nothing_when_the_run_cannot_start(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    assert _softmax(tmp_path, synthetic_dir, "--max_steps=10").returncode == 0
    kept = sorted(p.name for p in (tmp_path / "ckpt" / "softmax").iterdir())
    events = list((tmp_path / "logs" / "softmax").glob("events.out.tfevents.*"))
    assert "softmax-10.index" in kept and events
    corrupt = tmp_path / "corrupt-data"
    shutil.copytree(synthetic_dir, corrupt)
    (corrupt / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with ThreadPoolExecutor(2) as pool:
        procs = list(
            pool.map(
                lambda args: _softmax(tmp_path, args[0], "--fresh", *args[1:]),
                [
                    (synthetic_dir, "--seed=-1"),
                    (synthetic_dir, "--batch_size=0"),
                    (synthetic_dir, "--max_steps=0"),
                    (corrupt,),
                ],
            )
        )
    for proc in procs:
        _one_error_line(proc)
        assert "--fresh: removed" not in proc.stderr
    assert sorted(p.name for p in (tmp_path / "ckpt" / "softmax").iterdir()) == kept
    assert all(e.exists() for e in events)


# --------------------------------------------------------------------------- 4. full disks


def _on_small_disks(script: str, *mounts: tuple[Path, str]) -> subprocess.CompletedProcess:
    """Run the shell ``script`` with each folder of ``mounts`` on a tmpfs of the given size, in
    a private mount namespace (nothing is left mounted); skipped where none can be made."""
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {mounts[0][0]}"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({probe.stderr.decode().strip()})")
    mount = " && ".join(f"mount -t tmpfs -o size={size} tmpfs {folder}" for folder, size in mounts)
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{mount} && {script}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )


def _file_size_limited(command: list[str], limit: int) -> subprocess.CompletedProcess:
    """``command`` with every file it writes capped at ``limit`` bytes (EFBIG past it): a write
    failure injected by the kernel where no small disk can be mounted."""
    import resource

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=180, preexec_fn=cap
    )


def _softmax_command(work: Path, data: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "tf1_mnist.softmax", *_folders(work, data), *flags]


def test_a_full_disk_under_the_summaries_stops_with_one_line(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    train = _softmax_command(
        tmp_path, synthetic_dir, "--max_steps=20000", "--summary_every=1", "--save_every=100"
    )
    if os.geteuid() == 0 and shutil.which("unshare"):
        keep = tmp_path / "kept-logs"
        proc = _on_small_disks(
            f"{' '.join(train)}; code=$?; cp -a {logs} {keep}; exit $code", (logs, "96k")
        )
    else:
        proc = _file_size_limited(train, 96 * 1024)
    line = _one_error_line(proc)
    assert f"{logs}/softmax" in line and "summaries" in line, line
    ckpt = tmp_path / "ckpt" / "softmax"
    assert list(ckpt.glob("softmax-*.index")), "the last good checkpoint is kept"
    assert "softmax-20000" not in (ckpt / "checkpoint").read_text()
    predict = _softmax(tmp_path, synthetic_dir, "--is_train=0", "--predict_count=1")
    _restored(predict)


def test_a_full_disk_under_the_checkpoints_keeps_the_last_good_one(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    keep = tmp_path / "kept-ckpt"
    # softmax's checkpoint is 31 kB of weights: two fit in 80 kB, a third does not.
    train = _softmax_command(tmp_path, synthetic_dir, "--max_steps=500", "--save_every=10")
    proc = _on_small_disks(
        f"{' '.join(train)}; code=$?; cp -a {ckpt} {keep}; exit $code", (ckpt, "80k")
    )
    line = _one_error_line(proc)
    assert f"{ckpt}/softmax" in line and "checkpoint" in line, line
    assert "OOM" not in proc.stderr and "ResourceExhausted" not in proc.stderr
    shutil.rmtree(ckpt)
    keep.rename(ckpt)
    state = (ckpt / "softmax" / "checkpoint").read_text()
    assert 'model_checkpoint_path: "softmax-' in state, state
    line = _restored(_softmax(tmp_path, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert "(step 10)" in line or "(step 20)" in line, line


# --------------------------------------------------------------------------- 5. flag ranges


BAD_FLAGS = [
    (("--eval_batch_size=-3",), "--eval_batch_size=-3"),
    (("--eval_batch_size=0",), "--eval_batch_size=0"),
    (("--seed=-1",), "--seed=-1"),
    (("--seed=4294967296",), "--seed=4294967296"),
    (("--is_train=2",), "--is_train=2"),
    (("--is_train=0", "--predict_count=10001"), "--predict_count=10001"),
    (("--batch_size=1101",), "--batch_size=1101"),  # the synthetic training set holds 1100
    (("--max_steps=0",), "--max_steps=0"),  # nothing to train in an empty folder
]


def test_every_numeric_flag_is_checked_before_any_work(tmp_path: Path, synthetic_dir: Path) -> None:
    def attempt(case: tuple) -> tuple:
        flags, named = case
        work = tmp_path / str(abs(hash(flags)))
        return named, work, _softmax(work, synthetic_dir, *flags)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(attempt, BAD_FLAGS))
    for named, work, proc in results:
        line = _one_error_line(proc)
        assert named in line, (named, line)
        assert not list(work.glob("ckpt/softmax/softmax-*")), named  # no work was done
    top = run_cli("tf1_mnist.predict", "softmax", "--top=0", "x.png", timeout=60)
    assert "--top=0" in _one_error_line(top)


def test_config_check_names_each_range() -> None:
    spec = ports.get("softmax")
    for field, value in (
        ("batch_size", 0),
        ("eval_batch_size", -3),
        ("seed", -1),
        ("seed", 2**32),
        ("max_steps", -1),
        ("is_train", 2),
        ("predict_count", 0),
        ("predict_count", 10001),
        ("log_every", -1),
        ("summary_every", -1),
        ("save_every", -1),
        ("eval_every", -1),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("cluster_timeout", 0),
        ("replicas_to_aggregate", -1),
        ("task_index", -1),
    ):
        with pytest.raises(ConfigError, match=f"--{field}="):
            spec.config(**{field: value}).check()
    spec.config().check()  # the defaults pass


# --------------------------------------------------------------------------- 6. broken pipe


def _wait_for(path_glob: Path, pattern: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not list(path_glob.glob(pattern)):
        assert proc.poll() is None, "the run ended early"
        assert time.monotonic() < deadline, f"no {pattern} in {path_glob}"
        time.sleep(0.1)


def test_sigterm_after_the_reader_of_our_output_is_gone_still_saves(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    proc = subprocess.Popen(
        _softmax_command(tmp_path, synthetic_dir, "--max_steps=10000000", "--save_every=0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdout.close()  # the reader is gone: every write of ours is a broken pipe
    proc.stderr.close()
    _wait_for(tmp_path / "logs" / "softmax", "events.out.tfevents.*", proc)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) != 0
    saved = list((tmp_path / "ckpt" / "softmax").glob("softmax-*.index"))
    assert saved and "softmax-0.index" not in [p.name for p in saved], saved


def test_a_broken_pipe_on_stdout_saves_before_it_stops(tmp_path: Path, synthetic_dir: Path) -> None:
    """fc prints a line per step: when stdout's reader goes, the steps are not lost."""
    err = tmp_path / "stderr.txt"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tf1_mnist.fc",
                *_folders(tmp_path, synthetic_dir),
                "--max_steps=100000",
                "--save_every=100000",
                "--log_every=1",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
        )
        proc.stdout.readline()
        proc.stdout.close()
        code = proc.wait(timeout=60)
    assert code != 0
    assert "Traceback" not in err.read_text(), err.read_text()[-2000:]
    saved = list((tmp_path / "ckpt" / "fc").glob("fc_nn_model-*.index"))
    assert saved, err.read_text()[-2000:]


# --------------------------------------------------------------------------- damaged


def test_a_damaged_latest_checkpoint_names_the_file_and_offers_the_older_one(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    assert _softmax(tmp_path, synthetic_dir, "--max_steps=20", "--save_every=10").returncode == 0
    folder = tmp_path / "ckpt" / "softmax"
    data = folder / "softmax-20.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    line = _one_error_line(_softmax(tmp_path, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert data.name in line and f"--checkpoint={folder}/softmax-10" in line, line
    assert "--fresh" not in line and "Graph execution error" not in line, line
    line = _one_error_line(_softmax(tmp_path, synthetic_dir, "--max_steps=30"))
    assert data.name in line and "--fresh" not in line, line
    older = _softmax(
        tmp_path,
        synthetic_dir,
        "--is_train=0",
        "--predict_count=1",
        f"--checkpoint={folder}/softmax-10",
    )
    assert f"{folder}/softmax-10 (step 10)" in _restored(older)
    (folder / "softmax-20.index").unlink()
    line = _one_error_line(_softmax(tmp_path, synthetic_dir, "--is_train=0", "--predict_count=1"))
    assert "softmax-20.index" in line and "--checkpoint=" in line and "--fresh" not in line, line


# --------------------------------------------------------------------------- odd bytes


def test_folder_names_that_are_not_utf8_get_one_line(tmp_path: Path, synthetic_dir: Path) -> None:
    odd = os.fsencode(tmp_path) + b"/ckpt-\xff"
    for extra in ((), (b"--is_train=0",)):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tf1_mnist.softmax",
                f"--data_dir={synthetic_dir}",
                f"--logdir={tmp_path / 'logs'}",
                b"--ckpt_dir=" + odd,
                "--max_steps=5",
                *extra,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        line = _one_error_line(proc)
        assert "--ckpt_dir" in line and "UTF-8" in line and "corrupt" not in line, line


# --------------------------------------------------------------------------- kill -9 leftovers


def test_leftovers_of_a_killed_save_are_removed_at_start(
    tmp_path: Path, synthetic_dir: Path
) -> None:
    assert _softmax(tmp_path, synthetic_dir, "--max_steps=10").returncode == 0
    folder = tmp_path / "ckpt" / "softmax"
    orphans = [
        "softmax-15.data-00000-of-00001.tempstate7312690452",
        "softmax-15.index.tempstate7312690453",
        "softmax-17.data-00000-of-00001",
        "checkpoint.tmp5b4a27ac5fd44b4d",
    ]
    others = ["notes.txt", "other-3.data-00000-of-00001"]
    for name in orphans + others:
        (folder / name).write_bytes(b"")
    proc = _softmax(tmp_path, synthetic_dir, "--max_steps=20")
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {p.name for p in folder.iterdir()}
    assert not names & set(orphans), names
    assert set(others) <= names and "softmax-20.index" in names
    assert "removed 4 leftovers" in proc.stderr, proc.stderr[-2000:]
