"""Downloading against a real HTTP server on 127.0.0.1: good, corrupt, truncated, missing files."""

from __future__ import annotations

import gzip
import http.server
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tf1_mnist import input_data
from tf1_mnist.input_data import DataError


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}  # path -> (status, body, announced length or None)
    hits: list = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        status, body, length = self.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)  # a shorter body than announced: the connection just closes

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict, list]]:
    routes: dict = {}
    hits: list = []
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": hits})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/mnist/", routes, hits
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _only_this_test_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(input_data.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(input_data.SOURCE_URL_ENV, raising=False)


def _serve_real(routes: dict, mnist_dir: Path) -> None:
    for name in input_data.FILES:
        routes[f"/mnist/{name}"] = (200, input_data.find_file(name, [mnist_dir]).read_bytes(), None)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_all_four_then_reuse(server: tuple, mnist_dir: Path, tmp_path: Path) -> None:
    url, routes, hits = server
    _serve_real(routes, mnist_dir)
    target = tmp_path / "MNIST_data"
    data = input_data.read_data_sets(target, one_hot=True, source_url=url)
    assert data.train.num_examples == 55000 and data.test.labels.shape == (10000, 10)
    assert _leftovers(target) == sorted(input_data.FILES)  # no temp files
    assert len(hits) == 4
    input_data.read_data_sets(target, source_url=url)
    assert len(hits) == 4  # present now: not downloaded again


def test_source_url_env_names_a_mirror(
    server: tuple, mnist_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, routes, hits = server
    _serve_real(routes, mnist_dir)
    monkeypatch.setenv(input_data.SOURCE_URL_ENV, url)
    input_data.read_data_sets(tmp_path / "d")
    assert len(hits) == 4


def test_checksum_mismatch_leaves_nothing(server: tuple, mnist_dir: Path, tmp_path: Path) -> None:
    url, routes, _ = server
    payload = bytearray(
        gzip.decompress(input_data.find_file(input_data.TEST_LABELS, [mnist_dir]).read_bytes())
    )
    payload[100] = (payload[100] + 1) % 10  # still a valid IDX file, but not MNIST's
    routes[f"/mnist/{input_data.TEST_LABELS}"] = (200, gzip.compress(bytes(payload)), None)
    with pytest.raises(DataError, match="SHA-256 .* does not match"):
        input_data.download(input_data.TEST_LABELS, tmp_path, url)
    assert _leftovers(tmp_path) == []


def test_corrupt_gzip_leaves_nothing(server: tuple, mnist_dir: Path, tmp_path: Path) -> None:
    url, routes, _ = server
    body = bytearray(input_data.find_file(input_data.TRAIN_LABELS, [mnist_dir]).read_bytes())
    body[len(body) // 2] ^= 0xFF
    routes[f"/mnist/{input_data.TRAIN_LABELS}"] = (200, bytes(body), None)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        input_data.download(input_data.TRAIN_LABELS, tmp_path, url)
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_leaves_nothing(server: tuple, mnist_dir: Path, tmp_path: Path) -> None:
    url, routes, _ = server
    body = input_data.find_file(input_data.TRAIN_LABELS, [mnist_dir]).read_bytes()
    routes[f"/mnist/{input_data.TRAIN_LABELS}"] = (200, body[:10000], len(body))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        input_data.download(input_data.TRAIN_LABELS, tmp_path, url)
    assert _leftovers(tmp_path) == []


def test_missing_file_404(server: tuple, tmp_path: Path) -> None:
    url, _, _ = server
    with pytest.raises(DataError) as err:
        input_data.read_data_sets(tmp_path / "MNIST_data", source_url=url)
    msg = str(err.value)
    assert "404" in msg and "train-images-idx3-ubyte.gz" in msg and "--data_dir" in msg
    assert not (tmp_path / "MNIST_data").exists()  # the folder it made for the download too


def test_malformed_idx_download_leaves_nothing(server: tuple, tmp_path: Path) -> None:
    url, routes, _ = server
    payload = struct.pack(">ii", 2049, 20) + bytes(17)  # announces 20 labels, holds 17
    routes[f"/mnist/{input_data.TEST_LABELS}"] = (200, gzip.compress(payload), None)
    with pytest.raises(DataError, match="truncated"):
        input_data.download(input_data.TEST_LABELS, tmp_path, url)
    assert _leftovers(tmp_path) == []
