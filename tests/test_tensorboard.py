"""`tensorboard --logdir logs` for real: a server over short runs, read over HTTP, and its pages
(scalars, graphs, images, projector, PR curves) rendered in a real browser, headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import browser
import numpy as np
import pytest
from PIL import Image

from tf1_mnist.training import board, command, ports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base: str, path: str, **query: str) -> bytes:
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read()


@contextlib.contextmanager
def tensorboard(logdir: Path, ready: str = "/data/plugin/scalars/tags") -> Iterator[str]:
    """`tensorboard --logdir LOGDIR` on 127.0.0.1 and a free port; yields its address once
    ``ready`` answers with data (bounded: 90 s)."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            f"--logdir={logdir}",
            "--host=127.0.0.1",
            f"--port={port}",
            "--load_fast=false",
            "--samples_per_plugin=scalars=100000,histograms=100000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                if json.loads(_get(base, ready)):
                    break
            assert server.poll() is None, server.stderr.read().decode()
            time.sleep(1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_tensorboard_shows_scalars_histograms_and_graphs(tmp_path: Path, mnist_dir: Path) -> None:
    common = dict(
        data_dir=str(mnist_dir), logdir=str(tmp_path / "logs"), ckpt_dir=str(tmp_path / "ckpt")
    )
    for name in ("fc", "softmax"):
        spec = ports.get(name)
        command.run(spec, spec.config(**common, max_steps=40))

    with tensorboard(tmp_path / "logs") as base:
        scalar_tags = json.loads(_get(base, "/data/plugin/scalars/tags"))
        assert set(scalar_tags) == {"fc", "softmax"}
        assert set(scalar_tags["fc"]) == {"loss", "acc"}
        assert set(scalar_tags["softmax"]) == {"loss", "acc"}

        loss = json.loads(_get(base, "/data/plugin/scalars/scalars", run="fc", tag="loss"))
        assert [step for _, step, _ in loss] == list(range(40))
        soft = json.loads(_get(base, "/data/plugin/scalars/scalars", run="softmax", tag="acc"))
        assert [step for _, step, _ in soft] == [0, 10, 20, 30]  # summary_every=10

        histogram_tags = json.loads(_get(base, "/data/plugin/histograms/tags"))
        assert set(histogram_tags["fc"]) == {"w1", "b1", "w2", "b2"}
        w1 = json.loads(_get(base, "/data/plugin/histograms/histograms", run="fc", tag="w1"))
        assert len(w1) == 40

        graph = _get(base, "/data/plugin/graphs/graph", run="fc").decode()
        for node in ("data/feature", "fc_model/weightes_1", "softmax_cross/compute_loss"):
            assert f'name: "{node}"' in graph


# --------------------------------------------------------------------------- in a browser

COLOR_BY_LABEL = """(() => {
  const find = (root) => {
    const hit = root.querySelector('vz-projector-data-panel');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      const inner = el.shadowRoot || (el.tagName === 'IFRAME' && el.contentDocument);
      const found = inner && find(inner);
      if (found) return found;
    }
    return null;
  };
  const panel = find(document);
  if (!panel) return null;
  panel.selectedColorOptionName = 'label';  // what choosing "Color by: label" does
  return panel.selectedColorOptionName;
})()"""


def _not_blank(png: Path, min_colors: int) -> np.ndarray:
    """The screenshot's pixels, after checking it shows something: not one flat colour, and
    at least ``min_colors`` clearly different colours (chart lines, coloured points)."""
    rgb = np.asarray(Image.open(png).convert("RGB"))
    assert rgb.std() > 10, f"{png} looks blank"
    quantised = {tuple(c) for c in (rgb[::2, ::2].reshape(-1, 3) // 32).tolist()}
    assert len(quantised) >= min_colors, f"{png}: only {len(quantised)} colours"
    return rgb


def _run_colour_pixels(rgb: np.ndarray) -> int:
    """How many pixels below the orange title bar have the first run's orange (TensorBoard's
    #ff7043): the lines of its charts."""
    body = rgb[80:, 360:].astype(int)
    r, g, b = body[..., 0], body[..., 1], body[..., 2]
    return int(((r > 200) & (g > 70) & (g < 170) & (b < 120)).sum())


def _chromium() -> None:
    if not browser.available():
        pytest.fail(f"the browser test needs Debian's chromium: {browser.INSTALL}")


def test_pages_render_in_a_browser(cnn_short_run: tuple[Path, list, str], tmp_path: Path) -> None:
    """After `python -m tf1_mnist.cnn --max_steps=500 --embedding=2000 --pr_curves`, headless
    Chromium shows what a person would see: the runs and tags on the scalars, images and PR
    curves pages, the graph's ops, and the projector's 2000 digits, coloured by label."""
    _chromium()
    logdir = cnn_short_run[0] / "logs"
    shots = tmp_path / "shots"
    shots.mkdir()
    with (
        tensorboard(logdir, ready="/data/plugin/projector/runs") as base,
        browser.Browser() as chromium,
    ):
        scalars = chromium.page(f"{base}/#scalars")
        # The runs, the two cards, and both charts' step axes (summaries every 100 steps): each
        # chart draws its axes when its own data arrives, so wait for both (CI once caught the
        # loss chart still on its empty 0-1 axis).
        needles = ("cnn/projector", "acc acc", "loss loss")
        text = scalars.wait_until(
            lambda page: all(n in page for n in needles) and page.count(" 400 ") >= 2
        )
        assert " cnn " in text and text.count(" 400 ") >= 2, text
        time.sleep(2)  # the lines are drawn after the axes
        rgb = _not_blank(scalars.screenshot(shots / "scalars.png"), min_colors=4)
        assert _run_colour_pixels(rgb) > 300, "no curves on the scalars page"

        graphs = chromium.page(f"{base}/#graphs")
        text = graphs.wait_for_text("Conv2D")
        for op in ("Conv2D", "MaxPool", "Adam", "dropout", "w_fc1"):
            assert op in text, op
        _not_blank(graphs.screenshot(shots / "graphs.png"), min_colors=4)

        images = chromium.page(f"{base}/#images")
        text = images.wait_for_text("input/image/2")
        assert "input/image/0" in text and "cnn" in text
        _not_blank(images.screenshot(shots / "images.png"), min_colors=3)

        curves = chromium.page(f"{base}/#pr_curves")
        axes = "0.7 0.8 0.9 1 0 0.1 0.2"  # recall and precision, drawn once the data is in
        text = curves.wait_for_text(axes, *(f"pr_curve/digit_{d}/pr_curves" for d in range(10)))
        for digit in range(10):
            assert f"tag: pr_curve/digit_{digit}/pr_curves" in text, digit
        assert "cnn is at step 500" in text and axes in text, text
        time.sleep(2)
        rgb = _not_blank(curves.screenshot(shots / "pr_curves.png"), min_colors=4)
        assert _run_colour_pixels(rgb) > 300, "no curves on the PR curves page"

        projector = chromium.page(f"{base}/#projector")
        text = projector.wait_for_text("Points: 2000", "Dimension: 1024")
        assert "embedding" in text and "Points: 2000" in text, text
        assert projector.evaluate(COLOR_BY_LABEL) == "label"
        legend = re.compile(" ".join(rf"{d} (\d+)" for d in range(10)))  # "0 175 1 234 ..."
        deadline = time.monotonic() + 30
        while not legend.search(text) and time.monotonic() < deadline:
            text = projector.text()
        counts = {d: int(n) for d, n in enumerate(legend.search(text).groups())}
        labels = np.loadtxt(
            logdir / "cnn" / board.PROJECTOR_RUN / "metadata.tsv", skiprows=1, dtype=int
        )[:, 0]
        assert counts == {d: int((labels == d).sum()) for d in range(10)}  # the legend
        time.sleep(2)  # the scatter plot redraws in its new colours
        rgb = _not_blank(projector.screenshot(shots / "projector.png"), min_colors=12)
        plot = rgb[150:, 320:1080]  # the scatter plot, between the side panels
        saturated = (plot.max(axis=2).astype(int) - plot.min(axis=2)) > 80
        assert saturated.mean() > 0.02, "no coloured points in the projector"
    if os.environ.get("TF1_MNIST_KEEP_SCREENSHOTS"):  # for the README's pictures
        for png in shots.iterdir():
            (Path(os.environ["TF1_MNIST_KEEP_SCREENSHOTS"]) / png.name).write_bytes(
                png.read_bytes()
            )
