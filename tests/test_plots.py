"""tf1_mnist.support.plots: post 004's figures, drawn without a display and written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import png_pixels

from tf1_mnist.support import plots


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 784-pixel images, image k a bar whose width grows with k, and one-hot labels."""
    images = np.zeros((n, 784), np.float32)
    for k in range(n):
        images[k].reshape(28, 28)[10:18, 4 : 6 + k % 20] = 1.0
    return images, np.eye(10, dtype=np.float32)[np.arange(n) % 10]


def _cells(grey: np.ndarray) -> np.ndarray:
    """Dark-pixel count of each of the 5x5 grid cells."""
    h, w = grey.shape
    return np.array(
        [
            [
                (grey[r * h // 5 : (r + 1) * h // 5, c * w // 5 : (c + 1) * w // 5] < 100).sum()
                for c in range(5)
            ]
            for r in range(5)
        ]
    )


def test_grid_is_the_posts_figure(tmp_path: Path) -> None:
    images, labels = _digits(30)
    path = plots.show_result(images, labels, np.arange(30) % 10, 10, tmp_path / "grid.png")
    cells = _cells(png_pixels(path, (1000, 1200)))  # 10x12 inches at 100 dpi
    assert (cells[:2] > 100).all()  # ten images from index 10 fill the first two rows
    assert (cells[3:] == 0).all()  # (the cells' edges do not match the subplots' exactly)


def test_grid_takes_digit_labels_and_caps_at_25(tmp_path: Path) -> None:
    images, labels = _digits(40)
    path = plots.show_result(
        images, labels.argmax(1), [], 0, tmp_path / "grid.png", num=40
    )  # the post's grid raised past 25 subplots
    assert (_cells(png_pixels(path, (1000, 1200))) > 100).all()


def test_single_image_plot(tmp_path: Path) -> None:
    images, _ = _digits(3)
    grey = png_pixels(plots.plot_image(images[2], tmp_path / "one.png"), (640, 480))
    assert (grey < 100).sum() > 1000


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.figure

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    images, _ = _digits(1)
    with pytest.raises(OSError, match="disk full"):
        plots.plot_image(images[0], tmp_path / "one.png")
    assert list(tmp_path.iterdir()) == []
