"""tf1_mnist.input_data: IDX parsing, DataSet.next_batch semantics, locating files, the cache."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_images, idx_labels, write_synthetic

from tf1_mnist import input_data
from tf1_mnist.input_data import DataError, DataSet


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any download attempt in this file goes to a closed local port and fails at once."""
    monkeypatch.setenv(input_data.SOURCE_URL_ENV, "http://127.0.0.1:9/")
    monkeypatch.delenv(input_data.DATA_DIR_ENV, raising=False)


# --------------------------------------------------------------------------- IDX parsing


def test_synthetic_round_trip_gz_raw_and_dotted_names(tmp_path: Path) -> None:
    arrays = write_synthetic(tmp_path / "gz")
    raw = tmp_path / "raw"
    write_synthetic(raw, compress=False)
    dotted = tmp_path / "dotted"
    dotted.mkdir()
    for f in raw.iterdir():  # LeCun's own spelling: train-images.idx3-ubyte
        (dotted / f.name.replace("-idx", ".idx")).write_bytes(f.read_bytes())
    for folder in (tmp_path / "gz", raw, dotted):
        data = input_data.read_data_sets(folder, dtype=np.uint8, validation_size=100)
        train_images = arrays[input_data.TRAIN_IMAGES].reshape(-1, 784)
        np.testing.assert_array_equal(data.validation.images, train_images[:100])
        np.testing.assert_array_equal(data.train.images, train_images[100:])
        np.testing.assert_array_equal(data.test.labels, arrays[input_data.TEST_LABELS])


def _broken(tmp_path: Path, name: str, payload: bytes) -> str:
    write_synthetic(tmp_path, overrides={name: payload})
    with pytest.raises(DataError) as err:
        input_data.read_data_sets(tmp_path, validation_size=100)
    return str(err.value)


def test_wrong_magic_names_file_and_fault(tmp_path: Path) -> None:
    images = np.zeros((5100, 28, 28), np.uint8)
    msg = _broken(tmp_path, input_data.TRAIN_IMAGES, idx_images(images, magic=2049))
    assert "train-images-idx3-ubyte.gz" in msg and "magic number 2049" in msg and "2051" in msg


def test_label_file_with_image_magic(tmp_path: Path) -> None:
    msg = _broken(tmp_path, input_data.TEST_LABELS, idx_labels(np.zeros(200), magic=2051))
    assert "t10k-labels-idx1-ubyte.gz" in msg and "magic number 2051" in msg


def test_truncated_payload(tmp_path: Path) -> None:
    good = idx_images(np.zeros((5100, 28, 28), np.uint8))
    msg = _broken(tmp_path, input_data.TRAIN_IMAGES, good[:-100])
    assert "train-images-idx3-ubyte.gz" in msg and "truncated" in msg


def test_truncated_header(tmp_path: Path) -> None:
    msg = _broken(tmp_path, input_data.TRAIN_LABELS, b"\x00\x00\x08")
    assert "train-labels-idx1-ubyte.gz" in msg and "truncated" in msg and "header" in msg


def test_trailing_bytes(tmp_path: Path) -> None:
    msg = _broken(tmp_path, input_data.TEST_LABELS, idx_labels(np.zeros(200)) + b"\x00")
    assert "t10k-labels-idx1-ubyte.gz" in msg and "trailing bytes" in msg


def test_image_label_count_mismatch(tmp_path: Path) -> None:
    msg = _broken(tmp_path, input_data.TEST_LABELS, idx_labels(np.zeros(199)))
    assert "200 images" in msg and "199 labels" in msg and "t10k-labels" in msg


def test_label_not_a_digit(tmp_path: Path) -> None:
    labels = np.zeros(200)
    labels[7] = 12
    msg = _broken(tmp_path, input_data.TEST_LABELS, idx_labels(labels))
    assert "label 12 at index 7" in msg


def test_corrupt_gzip_stream(tmp_path: Path) -> None:
    write_synthetic(tmp_path)
    path = tmp_path / input_data.TRAIN_LABELS
    path.write_bytes(path.read_bytes()[:-30])  # cut the deflate stream short
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: corrupt or truncated gzip"):
        input_data.read_data_sets(tmp_path, validation_size=100)


def test_bad_dtype_and_validation_size(tmp_path: Path) -> None:
    write_synthetic(tmp_path)
    with pytest.raises(TypeError, match="Invalid image dtype"):
        input_data.read_data_sets(tmp_path, dtype=np.int16)
    with pytest.raises(ValueError, match="Validation size should be between 0 and 5100"):
        input_data.read_data_sets(tmp_path, validation_size=6000)


def test_extract_functions_take_file_objects(tmp_path: Path) -> None:
    arrays = write_synthetic(tmp_path)
    with open(tmp_path / input_data.TEST_IMAGES, "rb") as f:
        images = input_data.extract_images(f)
    assert images.shape == (200, 28, 28, 1)
    with open(tmp_path / input_data.TEST_LABELS, "rb") as f:
        one_hot = input_data.extract_labels(f, one_hot=True)
    np.testing.assert_array_equal(one_hot.argmax(1), arrays[input_data.TEST_LABELS])


# --------------------------------------------------------------------------- DataSet


class _TensorFlowDataSet:
    """TensorFlow 1.x's original next_batch (arrays reshuffled in place), as the oracle."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, rng: np.random.RandomState):
        self._images, self._labels, self._rng = images, labels, rng
        self._n, self._epochs_completed, self._index_in_epoch = len(images), 0, 0

    def next_batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0:
            perm0 = np.arange(self._n)
            self._rng.shuffle(perm0)
            self._images, self._labels = self._images[perm0], self._labels[perm0]
        if start + batch_size > self._n:
            self._epochs_completed += 1
            rest_num = self._n - start
            images_rest, labels_rest = self._images[start:], self._labels[start:]
            perm = np.arange(self._n)
            self._rng.shuffle(perm)
            self._images, self._labels = self._images[perm], self._labels[perm]
            self._index_in_epoch = batch_size - rest_num
            end = self._index_in_epoch
            return (
                np.concatenate((images_rest, self._images[:end])),
                np.concatenate((labels_rest, self._labels[:end])),
            )
        self._index_in_epoch += batch_size
        return self._images[start : self._index_in_epoch], self._labels[
            start : self._index_in_epoch
        ]


def _toy(n: int = 23, seed: int | None = 3) -> DataSet:
    images = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2, 1)
    return DataSet(images, np.arange(n, dtype=np.uint8), dtype=np.uint8, seed=seed)


def test_next_batch_matches_tensorflow_exactly() -> None:
    ours = _toy()
    oracle = _TensorFlowDataSet(
        _toy().images, np.arange(23, dtype=np.uint8), np.random.RandomState(3)
    )
    for _ in range(40):  # 7 does not divide 23: many boundary-crossing batches, 12 epochs
        a, b = ours.next_batch(7), oracle.next_batch(7)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    assert ours.epochs_completed == oracle._epochs_completed == 12


def test_one_epoch_covers_every_sample_once_and_is_shuffled() -> None:
    ds = _toy(n=100)
    labels = np.concatenate([ds.next_batch(10)[1] for _ in range(10)])
    assert sorted(labels.tolist()) == list(range(100))
    assert labels.tolist() != list(range(100))  # shuffled before the first epoch
    assert ds.epochs_completed == 0


def test_boundary_batch_is_old_tail_plus_new_head() -> None:
    ds = _toy(n=10)
    first_epoch = np.concatenate([ds.next_batch(4)[1], ds.next_batch(4)[1]])
    crossing = ds.next_batch(4)[1]
    tail = sorted(set(range(10)) - set(first_epoch.tolist()))
    assert sorted(crossing[:2].tolist()) == tail
    assert ds.epochs_completed == 1
    rest_of_second_epoch = np.concatenate([crossing[2:], ds.next_batch(8)[1]])
    assert sorted(rest_of_second_epoch.tolist()) == list(range(10))


def test_seeded_determinism_and_unshuffled_mode() -> None:
    a, b, c = _toy(seed=5), _toy(seed=5), _toy(seed=6)
    batches_a = [a.next_batch(5)[1].tolist() for _ in range(10)]
    assert batches_a == [b.next_batch(5)[1].tolist() for _ in range(10)]
    assert batches_a != [c.next_batch(5)[1].tolist() for _ in range(10)]
    plain = _toy()
    assert plain.next_batch(5, shuffle=False)[1].tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="batch_size must be positive"):
        plain.next_batch(0)


def test_fake_data() -> None:
    data = input_data.read_data_sets("unused", fake_data=True, one_hot=True)
    images, labels = data.train.next_batch(3, fake_data=True)
    assert len(images) == 3 and len(images[0]) == 784 and labels[0][0] == 1


# --------------------------------------------------------------------------- the real MNIST


def test_real_mnist_shapes_and_values(mnist: input_data.Datasets) -> None:
    assert mnist.train.num_examples == 55000
    assert mnist.validation.num_examples == 5000
    assert mnist.test.num_examples == 10000
    assert mnist.train.images.shape == (55000, 784) and mnist.train.images.dtype == np.float32
    assert mnist.train.labels.shape == (55000, 10) and mnist.train.labels.dtype == np.float32
    assert mnist.test.images.min() == 0.0 and mnist.test.images.max() == 1.0
    np.testing.assert_array_equal(mnist.train.labels.sum(1), 1.0)
    # TensorFlow's scaling exactly: x * float32(1/255)
    assert mnist.test.images[0].max() == np.float32(255) * np.float32(1 / 255)


def test_real_mnist_validation_is_first_5000_and_uint8(
    mnist_dir: Path, mnist: input_data.Datasets
) -> None:
    raw = input_data.read_data_sets(mnist_dir, dtype=np.uint8, reshape=False)
    assert raw.train.images.shape == (55000, 28, 28, 1) and raw.train.images.dtype == np.uint8
    assert raw.validation.labels.dtype == np.uint8 and raw.validation.labels.ndim == 1
    np.testing.assert_array_equal(
        raw.validation.images.reshape(5000, 784) * np.float32(1 / 255), mnist.validation.images
    )
    np.testing.assert_array_equal(raw.test.labels, mnist.test.labels.argmax(1))
    # The canonical digit counts of the MNIST test set.
    assert np.bincount(raw.test.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]


# --------------------------------------------------------------------------- where files come from


def test_data_dir_env_is_used_before_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_synthetic(tmp_path / "local")
    monkeypatch.setenv(input_data.DATA_DIR_ENV, str(tmp_path / "local"))
    script_dir = tmp_path / "hard-coded/by/the/blog"
    data = input_data.read_data_sets(script_dir, validation_size=100)
    assert data.test.num_examples == 200
    assert not script_dir.exists()  # nothing downloaded, nothing created


def test_train_dir_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_synthetic(tmp_path / "a", n_test=200)
    write_synthetic(tmp_path / "b", n_test=300)
    monkeypatch.setenv(input_data.DATA_DIR_ENV, str(tmp_path / "b"))
    assert input_data.read_data_sets(tmp_path / "a", validation_size=1).test.num_examples == 200


def test_no_data_and_no_network_gives_one_clear_message(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        input_data.read_data_sets(tmp_path / "MNIST_data")
    msg = str(err.value)
    for needed in (
        *input_data.FILES,
        "MNIST_data",
        input_data.DATA_DIR_ENV,
        "--data_dir",
        "127.0.0.1:9",
    ):
        assert needed in msg
    assert not (tmp_path / "MNIST_data").exists()  # no half file, nor the folder it made


# --------------------------------------------------------------------------- decompressed cache


def _cache_files() -> list[Path]:
    return sorted(input_data.cache_dir().glob("*.npy"))


def test_cache_is_used_validated_and_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(input_data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "data"
    arrays = write_synthetic(folder)
    cold = input_data.read_data_sets(folder, dtype=np.uint8, validation_size=0)
    caches = _cache_files()
    assert len(caches) == 4 and not list(folder.glob(".*"))  # never beside the data

    # Corrupt one cached byte of the train images: detected (CRC), rebuilt, right data.
    big = max(caches, key=lambda p: p.stat().st_size)
    blob = bytearray(big.read_bytes())
    blob[-1] ^= 0xFF
    big.write_bytes(bytes(blob))
    warm = input_data.read_data_sets(folder, dtype=np.uint8, validation_size=0)
    np.testing.assert_array_equal(warm.train.images, cold.train.images)
    assert big.read_bytes() != bytes(blob)

    # Truncated cache: rebuilt.
    big.write_bytes(big.read_bytes()[:100])
    again = input_data.read_data_sets(folder, dtype=np.uint8, validation_size=0)
    np.testing.assert_array_equal(again.train.images, cold.train.images)

    # Stale cache: the source changed (new data, new mtime): never served from the cache.
    new_labels = (arrays[input_data.TEST_LABELS] + 1) % 10
    path = folder / input_data.TEST_LABELS
    path.write_bytes(gzip.compress(idx_labels(new_labels)))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    fresh = input_data.read_data_sets(folder, dtype=np.uint8, validation_size=0)
    np.testing.assert_array_equal(fresh.test.labels, new_labels)


def test_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(input_data.CACHE_DIR_ENV, str(blocker / "cache"))
    write_synthetic(tmp_path / "data")
    assert input_data.read_data_sets(tmp_path / "data", validation_size=0).test.num_examples == 200


def test_parse_idx_header_fields() -> None:
    payload = struct.pack(">iiii", 2051, 2, 3, 4) + bytes(24)
    assert input_data.parse_idx(payload, "x", input_data.IMAGE_MAGIC).shape == (2, 3, 4, 1)
    with pytest.raises(DataError, match="bad dimensions"):
        input_data.parse_idx(struct.pack(">iiii", 2051, 2, 0, 4), "x", input_data.IMAGE_MAGIC)
