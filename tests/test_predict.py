"""python -m tf1_mnist.predict: users' images through a short-trained CNN, and every bad input."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import png_pixels, run_cli
from photos import KINDS, bomb_png, photo
from PIL import Image

from tf1_mnist import input_data, predict

PER_KIND = 20
LINE = re.compile(r"^(.+): (\d) \(probability ([0-9.]+); top 3: (.+)\)$", re.M)


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    data = input_data.read_data_sets(mnist_dir, dtype=np.uint8, validation_size=0)
    n = PER_KIND * len(KINDS)
    return data.test.images[:n].reshape(-1, 28, 28), data.test.labels[:n]


def _predicted(stdout: str) -> dict[str, int]:
    return {Path(m.group(1)).name: int(m.group(2)) for m in LINE.finditer(stdout)}


def test_photos_recognised_like_the_digits(
    cnn_short_run: tuple[Path, list, str], test_digits: tuple, tmp_path: Path
) -> None:
    """Test digits as photos (upscaled, dark on light, off-centre, coloured ink, noise, JPEG,
    transparency, 16-bit, GIF) are recognised nearly as well as the digits themselves."""
    digits, labels = test_digits
    photos, plain = tmp_path / "photos", tmp_path / "plain"
    photos.mkdir()
    plain.mkdir()
    for i, (digit, label) in enumerate(zip(digits, labels, strict=True)):
        photo(digit, KINDS[i % len(KINDS)], photos, f"{i:03d}_label{label}", seed=i)
        Image.fromarray(digit).save(plain / f"{i:03d}_label{label}.png")
    ckpt = f"--ckpt_dir={cnn_short_run[0] / 'ckpt'}"
    grid = tmp_path / "grid.png"
    accuracy = {}
    for folder in (photos, plain):
        extra = [f"--grid={grid}"] if folder is photos else []
        proc = run_cli("tf1_mnist.predict", "--model=cnn", ckpt, *extra, str(folder))
        assert proc.returncode == 0, proc.stderr
        predicted = _predicted(proc.stdout)
        assert len(predicted) == len(labels)
        right = [int(re.search(r"label(\d)", n).group(1)) == d for n, d in predicted.items()]
        accuracy[folder.name] = np.mean(right)
        assert f"{len(labels)} predicted, 0 failed" in proc.stdout
    assert accuracy["photos"] >= 0.90, accuracy
    assert accuracy["photos"] >= accuracy["plain"] - 0.05, accuracy
    png_pixels(grid, (1000, 1200))


def test_output_line_gives_probability_and_top3(
    cnn_short_run: tuple[Path, list, str], test_digits: tuple, tmp_path: Path
) -> None:
    digits, _ = test_digits
    path = photo(digits[0], "pencil", tmp_path, "seven")
    proc = run_cli(
        "tf1_mnist.predict", "--model=cnn", f"--ckpt_dir={cnn_short_run[0] / 'ckpt'}", str(path)
    )
    assert proc.returncode == 0, proc.stderr
    (match,) = LINE.finditer(proc.stdout)
    top = [(int(d), float(p)) for d, p in re.findall(r"(\d) ([0-9.]+)", match.group(4))]
    assert len(top) == 3 and top[0] == (int(match.group(2)), float(match.group(3)))
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert match.group(2) == "7" and 0.5 < top[0][1] <= 1.0  # test digit 0 is a 7


def test_bad_inputs_reported_and_the_rest_predicted(
    cnn_short_run: tuple[Path, list, str], test_digits: tuple, tmp_path: Path
) -> None:
    digits, _ = test_digits
    good = photo(digits[0], "blue_jpeg", tmp_path, "good")
    (tmp_path / "notes.png").write_text("not an image")
    Image.new("L", (200, 100), 240).save(tmp_path / "blank.png")
    bomb = bomb_png(tmp_path / "bomb.png")
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    missing = tmp_path / "missing.jpg"
    proc = run_cli(
        "tf1_mnist.predict",
        "--model=cnn",
        f"--ckpt_dir={cnn_short_run[0] / 'ckpt'}",
        str(good),
        str(tmp_path / "notes.png"),
        str(tmp_path / "blank.png"),
        str(bomb),
        str(missing),
        str(empty),
    )
    assert proc.returncode == 1
    assert _predicted(proc.stdout) == {"good.jpg": 7}
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    expected = {
        "notes.png": "not an image",
        "blank.png": "no ink",
        "bomb.png": "too large",
        "missing.jpg": "no such file",
        "empty_folder": "no image files",
    }
    assert len(errors) == len(expected)
    for name, message in expected.items():
        assert any(name in e and message in e for e in errors), (name, errors)
    assert "Traceback" not in proc.stderr
    assert "1 predicted, 5 failed" in proc.stdout


def test_unreadable_folder_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A folder that cannot be listed (chmod 000 cannot stop root, so os.walk is made to fail)."""
    (tmp_path / "locked").mkdir()

    def walk(top, onerror=None, **kwargs):
        onerror(PermissionError(13, "Permission denied", str(top)))
        yield from ()

    monkeypatch.setattr(predict.os, "walk", walk)
    ((path, problem),) = predict.image_files([str(tmp_path / "locked")])
    assert problem == f"{tmp_path / 'locked'}: cannot read the folder (Permission denied)"
    if os.geteuid() != 0:  # a real unreadable folder too, where permissions apply
        monkeypatch.undo()
        locked = tmp_path / "really_locked"
        locked.mkdir()
        locked.chmod(0)
        try:
            ((_, problem),) = predict.image_files([str(locked)])
            assert "cannot read the folder" in problem
        finally:
            locked.chmod(0o755)


def test_folders_are_searched_for_images_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.png", "a.JPG", "sub/c.bmp", "readme.txt", ".hidden.png"):
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p, _ in predict.image_files([str(tmp_path)])]
    assert found == ["a.JPG", "b.png", "sub/c.bmp"]


def test_no_checkpoint_says_train_first(tmp_path: Path, test_digits: tuple) -> None:
    path = photo(test_digits[0][0], "bmp", tmp_path, "digit")
    proc = run_cli("tf1_mnist.predict", "--model=fc", f"--ckpt_dir={tmp_path}", str(path))
    assert proc.returncode == 1
    assert "train first with `python -m tf1_mnist.fc`" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_importing_commands_defines_no_flags() -> None:
    """Flags are defined when a command starts, so importing any module (the legacy runner
    imports none of them) leaves the namespace to the caller."""
    from absl import flags

    from tf1_mnist import cnn, reproduce  # noqa: F401

    assert not {"max_steps", "model", "models", "grid"} & set(flags.FLAGS)
