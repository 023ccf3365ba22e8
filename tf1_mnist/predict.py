"""Recognise your own digit images with a trained port: post 003's closing demo.

    python -m tf1_mnist.predict --model=cnn my_digit.jpg photos/

restores ``ckpt/<model>/``'s latest checkpoint, preprocesses each image the way MNIST was made
(``tf1_mnist.support.preprocess``) and prints, per image, the predicted digit, its probability
and the top 3. ``--grid out.png`` draws the inputs as the network sees them, titled with the
prediction. A file that cannot be read (or is not a regular file: a FIFO is skipped, never
waited on) is reported on one line and the rest are still predicted; the exit code is 1 if any
failed. An image larger than 2048 pixels a side is decoded downscaled.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from tf1_mnist.support import atomic, cli, plots, preprocess
from tf1_mnist.support.cli import option
from tf1_mnist.support.errors import ConfigError
from tf1_mnist.training import evaluation, local, ports
from tf1_mnist.training.config import CKPT_DIR
from tf1_mnist.training.graph import build_graph

EVAL_BATCH_SIZE = 500  # images per forward pass (the CNN's activations stay bounded)


@dataclasses.dataclass
class Options:
    """``python -m tf1_mnist.predict [flags] IMAGE_OR_FOLDER...``"""

    model: str = option("cnn", "Which port's latest checkpoint predicts.", choices=ports.PORTS)
    ckpt_dir: str = option(
        CKPT_DIR, "Checkpoints of the model are in CKPT_DIR/<model>/ (as trained)."
    )
    grid: str = option(
        "", "Also draw the preprocessed inputs with their predictions to this PNG file."
    )
    top: int = option(3, "How many most probable digits to print per image.")
    show: bool = option(False, "Also open the grid in a window (needs a display).")


def image_files(paths: Sequence[str]) -> Iterator[tuple[Path, str | None]]:
    """Each named file, and each image file inside each named folder (recursively, sorted).

    Yields (path, None) to predict, or (path, message) for a path that cannot be listed.
    """
    extensions = {ext.lower() for ext in Image.registered_extensions()}
    for name in paths:
        path = Path(name)
        if not path.is_dir():
            yield path, None  # a missing or non-image file is reported when read
            continue
        try:
            found = sorted(
                p
                for p in _walk(path)
                if p.suffix.lower() in extensions and not p.name.startswith(".")
            )
        except OSError as e:
            yield path, f"{path}: cannot read the folder ({e.strerror or e})"
            continue
        if not found:
            yield path, f"{path}: no image files in this folder"
        for p in found:
            yield p, None


def _walk(folder: Path) -> Iterator[Path]:
    for root, _dirs, files in os.walk(folder, onerror=_raise):
        for f in files:
            yield Path(root) / f


def _raise(error: OSError) -> None:
    raise error


def predict_files(model: str, paths: Sequence[str], ckpt_dir: str, top: int = 3) -> dict:
    """Preprocess and predict every image under ``paths`` with port ``model``'s latest
    checkpoint in ``CKPT_DIR/<model>/``.

    Returns {"results": [(path, digit, probabilities)], "errors": [message], "images": [...]}.
    Raises ``CheckpointError`` when the model has no usable checkpoint.
    """
    if top < 1:
        raise ConfigError(f"--top={top}: give 1 or more")
    spec = ports.get(model)
    cfg = spec.config(ckpt_dir=ckpt_dir, is_train=0)
    files, images, errors = [], [], []
    for path, problem in image_files(paths):
        if problem is not None:
            errors.append(problem)
            continue
        try:
            images.append(preprocess.load(path))
            files.append(path)
        except preprocess.ImageError as e:
            errors.append(str(e))
    results = []
    built = build_graph(spec, cfg)
    with local.restored_session(spec, cfg, built) as sess:
        if images:
            probs = evaluation.probabilities(sess, built, np.stack(images), EVAL_BATCH_SIZE)
            for path, p in zip(files, probs, strict=True):
                ranked = p.argsort()[::-1][:top]
                results.append((path, int(ranked[0]), p))
                alternatives = ", ".join(f"{d} {p[d]:.3f}" for d in ranked)
                print(
                    f"{path}: {ranked[0]} (probability {p[ranked[0]]:.3f}; top {top}: "
                    f"{alternatives})"
                )
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    return {"results": results, "errors": errors, "images": images}


def main(opts: Options, paths: list[str]) -> int:
    if opts.grid:  # before the restore and the predictions, not after them
        atomic.check_writable(opts.grid, "the grid", "--grid")
    out = predict_files(opts.model, paths, opts.ckpt_dir, top=opts.top)
    results = out["results"]
    if opts.grid and results:
        digits = [digit for _, digit, _ in results]
        titles = [f"{path.name[:14]}: {digit}" for path, digit, _ in results]
        grid = plots.show_result(
            np.stack(out["images"]),
            np.array(digits),
            digits,
            0,
            opts.grid,
            num=len(results),
            show=opts.show,
            titles=titles,
        )
        shown = f" (the first 25 of {len(results)})" if len(results) > 25 else ""
        print(f"grid of the preprocessed inputs{shown}: {grid}")
    failed = len(out["errors"])
    print(f"{len(results)} predicted, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    cli.main(main, Options(), positional="at least one image file or folder")
