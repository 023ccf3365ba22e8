"""The blogs' matplotlib figures, saved as PNG (non-interactive) and shown only when asked.

``plot_image`` is post 004's single-digit figure; ``show_result`` its 5x5 grid of test images
titled "label:X,predict:Y".  Both write atomically (temp file, then rename).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tf1_mnist.support.atomic import atomic_path


def _pyplot(show: bool):
    import matplotlib

    if not show:
        matplotlib.use("Agg")  # no display needed; a window only with --show
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, show: bool) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    if show:
        _pyplot(True).show()
    _pyplot(show).close(fig)
    return path


def plot_image(image: np.ndarray, path: str | os.PathLike, show: bool = False) -> Path:
    """Post 004's ``plot_image``: one 784-pixel image as 28x28, colour map 'binary'."""
    plt = _pyplot(show)
    fig = plt.figure()
    plt.imshow(np.reshape(image, (28, 28)), cmap="binary")
    return _save(fig, Path(path), show)


def show_result(
    images: np.ndarray,
    labels: np.ndarray,
    prediction: Sequence[int],
    index: int,
    path: str | os.PathLike,
    num: int = 10,
    show: bool = False,
    titles: Sequence[str] | None = None,
) -> Path:
    """Post 004's ``show_result``: ``num`` (<= 25) images from ``index`` on a 10x12-inch 5x5 grid.

    Each is titled "label:<true>,predict:<predicted>" (font size 10, no ticks); ``labels`` may
    be one-hot or digits, ``titles`` replaces the titles (e.g. file names of the user's images).
    """
    plt = _pyplot(show)
    fig = plt.gcf()
    fig.set_size_inches(10, 12)
    num = min(num, 25)  # Deliberate difference: the blog's grid silently broke past 25.
    for i in range(num):
        sub_pic = plt.subplot(5, 5, i + 1)
        sub_pic.imshow(np.reshape(images[index], (28, 28)), cmap="binary")
        if titles is not None:
            title = titles[i]
        else:
            label = labels[index]
            title = "label:" + str(int(np.argmax(label)) if np.ndim(label) else int(label))
            if len(prediction) > 0:
                title += ",predict:" + str(int(prediction[index]))
        sub_pic.set_title(title, fontsize=10)
        sub_pic.set_xticks([])
        sub_pic.set_yticks([])
        index += 1
    return _save(fig, Path(path), show)


def scalars(run_dir: str | os.PathLike) -> dict[str, tuple[list[int], list[float]]]:
    """Every scalar summary of one TensorBoard run folder: {tag: (steps, values)}, by step.

    A step written twice (a resumed run repeating steps after a crash) keeps its last value.
    """
    from tensorflow.compat.v1 import train

    by_tag: dict[str, dict[int, float]] = {}
    for path in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    by_tag.setdefault(value.tag, {})[event.step] = value.simple_value
    return {
        tag: (sorted(points), [points[s] for s in sorted(points)]) for tag, points in by_tag.items()
    }


def learning_curves(
    runs: dict[str, str | os.PathLike],
    path: str | os.PathLike,
    tags: tuple[str, str] = ("loss", "acc"),
    title: str = "",
) -> Path:
    """Loss and accuracy (their scalar ``tags``) against the step, one line per run (train,
    validation), as PNG."""
    plt = _pyplot(False)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for label, run_dir in runs.items():
        series = scalars(run_dir)
        for ax, tag in zip(axes, tags, strict=True):
            if tag in series:
                ax.plot(*series[tag], label=label)
    for ax, name in zip(axes, ("loss", "accuracy"), strict=True):
        ax.set_xlabel("step")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, Path(path), False)
