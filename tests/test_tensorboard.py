"""`tensorboard --logdir logs` for real: a server over short softmax and fc runs, read over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tf1_mnist import harness, registry


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base: str, path: str, **query: str) -> bytes:
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read()


def test_tensorboard_shows_scalars_histograms_and_graphs(tmp_path: Path, mnist_dir: Path) -> None:
    common = dict(
        data_dir=str(mnist_dir), logdir=str(tmp_path / "logs"), ckpt_dir=str(tmp_path / "ckpt")
    )
    for name in ("fc", "softmax"):
        spec = registry.get(name)
        harness.run(spec, spec.config(**common, max_steps=40))

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(tmp_path / "logs"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--load_fast=false",
            "--samples_per_plugin=scalars=100000,histograms=100000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        scalar_tags: dict = {}
        while time.monotonic() < deadline:
            try:
                scalar_tags = json.loads(_get(base, "/data/plugin/scalars/tags"))
                if {"fc", "softmax"} <= scalar_tags.keys():
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            time.sleep(1)
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
    finally:
        server.terminate()
        server.wait(timeout=30)
