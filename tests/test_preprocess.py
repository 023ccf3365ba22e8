"""support.preprocess: users' images become MNIST digits; MNIST digits stay as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from photos import KINDS, bomb_png, photo
from PIL import Image

from tf1_mnist import input_data
from tf1_mnist.support import preprocess


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> np.ndarray:
    """The real MNIST test digits, uint8 [10000, 28, 28]."""
    data = input_data.read_data_sets(mnist_dir, dtype=np.uint8, validation_size=0)
    return data.test.images.reshape(-1, 28, 28)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    grid = np.arange(image.shape[0])
    total = image.sum()
    return (image.sum(1) * grid).sum() / total, (image.sum(0) * grid).sum() / total


def test_mnist_digits_round_trip_unchanged(digits: np.ndarray) -> None:
    worst = np.array(
        [np.abs(preprocess.to_mnist(d / 255.0) * 255.0 - d.ravel()).max() for d in digits]
    )
    # Within rounding: the ink's peak (254 or 255) is stretched to 1.
    unchanged = worst <= 1.0 + 1e-6
    # The few exceptions are digits MNIST itself cut at the field's edge (box under 20 px) or
    # whose centre of mass lies exactly half a pixel off; measured 4 of 10000.
    assert unchanged.mean() >= 0.999, f"{(~unchanged).sum()} digits changed"


def test_output_is_an_mnist_digit(digits: np.ndarray, tmp_path: Path) -> None:
    """A large off-centre digit on a photo of paper comes out normalised and centred."""
    for i in range(20):
        path = photo(digits[i], "pencil", tmp_path, f"p{i}", seed=i)
        with Image.open(path) as img:
            assert img.size == (640, 480)
        out = preprocess.load(path)
        assert out.dtype == np.float32 and out.shape == (784,)
        assert out.min() == 0.0 and out.max() == 1.0
        np.testing.assert_array_equal(np.round(out * 255) / 255, out)  # uint8 / 255 steps
        image = out.reshape(28, 28)
        ys, xs = np.nonzero(image)
        assert max(np.ptp(ys), np.ptp(xs)) + 1 == 20  # fits the 20x20 box, longer side 20
        cy, cx = _centre_of_mass(image)
        assert abs(cy - 14) <= 0.5 + 1e-9 and abs(cx - 14) <= 0.5 + 1e-9
        assert np.corrcoef(out, digits[i].ravel())[0, 1] > 0.8


@pytest.mark.parametrize("kind", KINDS)
def test_every_format_looks_like_the_digit(kind: str, digits: np.ndarray, tmp_path: Path) -> None:
    correlations = []
    for i in range(10):
        out = preprocess.load(photo(digits[i], kind, tmp_path, f"{kind}{i}", seed=i))
        correlations.append(np.corrcoef(out, digits[i].ravel())[0, 1])
    assert np.mean(correlations) > 0.85, correlations
    assert min(correlations) > 0.6, correlations


def test_polarity_decided_from_the_background(digits: np.ndarray) -> None:
    ink = digits[3] / 255.0
    light_on_dark = preprocess.to_mnist(ink)
    dark_on_light = preprocess.to_mnist(1.0 - ink)
    np.testing.assert_allclose(light_on_dark, dark_on_light, atol=1.5 / 255)


def test_gif_uses_its_first_frame(digits: np.ndarray, tmp_path: Path) -> None:
    path = photo(digits[0], "palette_gif", tmp_path, "two_frames")
    with Image.open(path) as img:
        assert img.n_frames == 2
    assert preprocess.load(path).max() == 1.0  # the second frame is blank grey: no ink


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.png", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "notes.png", b"not an image at all"), "not an image"),
        (lambda d: _write(d / "half.png", _png_bytes()[:60]), "unreadable image"),
        (lambda d: _blank(d / "blank.jpg"), "no ink"),
        (lambda d: bomb_png(d / "bomb.png"), "too large"),
    ],
    ids=["missing", "folder", "not-image", "truncated", "blank", "bomb"],
)
def test_bad_input_names_the_file(make, message: str, tmp_path: Path) -> None:
    path = make(tmp_path)
    with pytest.raises(preprocess.ImageError) as error:
        preprocess.load(path)
    assert str(error.value).startswith(f"{path}:") and message in str(error.value)
    assert "\n" not in str(error.value)


def _write(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path


def _png_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (64, 64), np.uint8)).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def _blank(path: Path) -> Path:
    noise = np.random.RandomState(0).normal(0, 3, (300, 400))
    Image.fromarray(np.clip(235 + noise, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path
