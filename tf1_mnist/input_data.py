"""Drop-in replacement for the removed ``tensorflow.examples.tutorials.mnist.input_data``.

``read_data_sets(dir, one_hot=True)`` returns ``.train`` (55000), ``.validation`` (5000, the
first 5000 training images, as TensorFlow did) and ``.test`` (10000), each a :class:`DataSet`
whose ``next_batch`` has TensorFlow's exact semantics.  Files are looked up in ``train_dir``,
then in ``$TF1_MNIST_DATA_DIR``, and only then downloaded (atomically, checksum-verified).
This module needs only numpy: it never imports TensorFlow.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import os
import struct
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from tf1_mnist.support.atomic import atomic_path
from tf1_mnist.support.errors import Error

DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
DATA_DIR = "MNIST_data/"
"""The posts' ``read_data_sets("MNIST_data/")``: every command's default data folder."""
DATA_DIR_ENV = "TF1_MNIST_DATA_DIR"
CACHE_DIR_ENV = "TF1_MNIST_CACHE_DIR"
SOURCE_URL_ENV = "TF1_MNIST_SOURCE_URL"  # a mirror to download from instead of the default

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# SHA-256 of the decompressed payloads (the gzip wrappers differ between mirrors).
SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
NUM_CLASSES = 10

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class DataError(Error, ValueError):
    """A data file is missing, malformed or failed to download; the message says which and why."""


class DownloadError(DataError):
    """Fetching a file failed (no network, HTTP error, short or corrupt transfer)."""


# --------------------------------------------------------------------------- IDX parsing


def parse_idx(payload: bytes | memoryview, name: str, expected_magic: int) -> np.ndarray:
    """Parse a decompressed IDX payload into uint8 [N, rows, cols, 1] images or [N] labels.

    Checks the magic number, the dimensions and the exact payload length, so a bad file fails
    here with its name and its fault instead of deep inside a numpy reshape.
    """
    kind = "image" if expected_magic == IMAGE_MAGIC else "label"
    header_len = 16 if expected_magic == IMAGE_MAGIC else 8
    if len(payload) < header_len:
        raise DataError(
            f"{name}: truncated: {len(payload)} bytes, shorter than the {header_len}-byte "
            f"header of an IDX {kind} file"
        )
    magic = struct.unpack_from(">i", payload, 0)[0]
    if magic != expected_magic:
        raise DataError(
            f"{name}: invalid magic number {magic} (expected {expected_magic} for an IDX "
            f"{kind} file)"
        )
    if expected_magic == IMAGE_MAGIC:
        count, rows, cols = struct.unpack_from(">iii", payload, 4)
        if count < 0 or rows <= 0 or cols <= 0:
            raise DataError(f"{name}: bad dimensions {count} x {rows} x {cols}")
        shape: tuple[int, ...] = (count, rows, cols, 1)
    else:
        (count,) = struct.unpack_from(">i", payload, 4)
        if count < 0:
            raise DataError(f"{name}: bad count {count}")
        shape = (count,)
    expected = header_len + int(np.prod(shape))
    if len(payload) != expected:
        fault = "truncated" if len(payload) < expected else "trailing bytes"
        raise DataError(
            f"{name}: {fault}: header announces {count} {kind}s, which take {expected} bytes, "
            f"but the file holds {len(payload)}"
        )
    data = np.frombuffer(payload, dtype=np.uint8, offset=header_len).reshape(shape)
    if expected_magic == LABEL_MAGIC and count and int(data.max()) >= NUM_CLASSES:
        bad = int(np.argmax(data >= NUM_CLASSES))
        raise DataError(f"{name}: label {int(data[bad])} at index {bad} is not a digit 0-9")
    return data


def extract_images(f: Any) -> np.ndarray:
    """TensorFlow's ``extract_images``: a (gzip) file object -> uint8 [N, rows, cols, 1]."""
    name = getattr(f, "name", "<images>")
    return parse_idx(_decompress(f.read(), str(name)), str(name), IMAGE_MAGIC)


def extract_labels(f: Any, one_hot: bool = False, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """TensorFlow's ``extract_labels``: a (gzip) file object -> uint8 [N] or one-hot [N, 10]."""
    name = getattr(f, "name", "<labels>")
    labels = parse_idx(_decompress(f.read(), str(name)), str(name), LABEL_MAGIC)
    return dense_to_one_hot(labels, num_classes) if one_hot else labels


def dense_to_one_hot(labels_dense: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Digits [N] -> one-hot float32 [N, num_classes]."""
    # Deliberate difference: TensorFlow returned float64 one-hot labels; float32 is what every
    # placeholder in the tutorials is fed, so feeding skips a conversion per batch.
    one_hot = np.zeros((labels_dense.shape[0], num_classes), dtype=np.float32)
    one_hot[np.arange(labels_dense.shape[0]), labels_dense.astype(np.intp)] = 1.0
    return one_hot


def _decompress(data: bytes, name: str) -> bytes:
    """Gunzip ``data`` if it is gzip, else return it as is; a broken stream names the file."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{name}: corrupt or truncated gzip data ({e})") from e


# --------------------------------------------------------------------------- DataSet


class DataSet:
    """Images and labels with TensorFlow's ``next_batch`` semantics.

    Shuffles before the first epoch, reads sequentially through the shuffled order, and at the
    end of an epoch returns the old epoch's tail plus the new (reshuffled) epoch's head.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        fake_data: bool = False,
        one_hot: bool = False,
        dtype: Any = np.float32,
        reshape: bool = True,
        seed: int | None = None,
    ) -> None:
        dtype = _as_numpy_dtype(dtype)
        # Deliberate difference: TensorFlow reseeded numpy's global generator here; each DataSet
        # gets its own generator instead, so two data sets never disturb each other's order.
        # seed=None keeps using numpy's global generator (np.random.seed in a script still works).
        self._rng = np.random if seed is None else np.random.RandomState(seed)
        if fake_data:
            self._num_examples = 10000
            self.one_hot = one_hot
        else:
            if images.shape[0] != labels.shape[0]:
                raise DataError(
                    f"images.shape: {images.shape} labels.shape: {labels.shape}: "
                    "image and label counts differ"
                )
            self._num_examples = images.shape[0]
            if reshape and images.ndim == 4:
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dtype == np.float32 and images.dtype != np.float32:
                images = _to_unit_float32(images)
        self._images = images
        self._labels = labels
        self._order: np.ndarray | None = None  # the shuffled order of the current epoch
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self) -> np.ndarray:
        return self._images

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    @property
    def num_examples(self) -> int:
        return self._num_examples

    @property
    def epochs_completed(self) -> int:
        return self._epochs_completed

    def next_batch(
        self, batch_size: int, fake_data: bool = False, shuffle: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the next ``batch_size`` examples, exactly as TensorFlow's DataSet did."""
        if fake_data:
            fake_image = [1.0] * 784
            fake_label = [1] + [0] * 9 if self.one_hot else 0
            return (
                [fake_image for _ in range(batch_size)],
                [fake_label for _ in range(batch_size)],
            )
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0:
            self._order = self._permutation() if shuffle else None
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest = self._take(start, self._num_examples)
            if shuffle:
                # Composing permutations reproduces TensorFlow, which shuffled the already
                # shuffled arrays; we shuffle an index instead of copying 170 MB per epoch.
                perm = self._permutation()
                self._order = perm if self._order is None else self._order[perm]
            self._index_in_epoch = batch_size - (self._num_examples - start)
            head = self._take(0, self._index_in_epoch)
            return (
                np.concatenate((rest[0], head[0]), axis=0),
                np.concatenate((rest[1], head[1]), axis=0),
            )
        self._index_in_epoch += batch_size
        return self._take(start, self._index_in_epoch)

    def _permutation(self) -> np.ndarray:
        perm = np.arange(self._num_examples)
        self._rng.shuffle(perm)
        return perm

    def _take(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        if self._order is None:
            return self._images[start:end], self._labels[start:end]
        idx = self._order[start:end]
        return self._images[idx], self._labels[idx]


def _as_numpy_dtype(dtype: Any) -> np.dtype:
    """Accept numpy dtypes and TensorFlow dtypes (``tf.float32``, ``tf.uint8``)."""
    dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    if dtype not in (np.float32, np.uint8):
        raise TypeError(f"Invalid image dtype {dtype}, expected uint8 or float32")
    return dtype


def _to_unit_float32(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [0, 1] as TensorFlow computed it (x * float32(1/255)).

    Converted in two halves on two threads: numpy releases the GIL, and this is half of the
    load time.
    """
    out = np.empty(images.shape, dtype=np.float32)
    scale = np.float32(1.0 / 255.0)
    n = images.shape[0]
    if n < 20000:
        np.multiply(images, scale, out=out, dtype=np.float32)
        return out
    half = n // 2
    with ThreadPoolExecutor(2) as pool:
        for s in (slice(0, half), slice(half, n)):
            pool.submit(np.multiply, images[s], scale, out=out[s], dtype=np.float32)
    return out


# --------------------------------------------------------------------------- locating files


def _candidates(directory: Path, filename: str) -> list[Path]:
    """Spellings a copy of ``filename`` may have: .gz, raw, LeCun's 'train-images.idx3-ubyte'."""
    raw = filename[: -len(".gz")]
    stem, _, kind = raw.partition("-idx")
    return [directory / filename, directory / raw, directory / f"{stem}.idx{kind}"]


def find_file(filename: str, directories: list[Path]) -> Path | None:
    """First existing spelling of ``filename`` in ``directories``, searched in order."""
    for directory in directories:
        for path in _candidates(directory, filename):
            if path.is_file():
                return path
    return None


def maybe_download(filename: str, work_directory: str | os.PathLike, source_url: str) -> Path:
    """Download ``filename`` to ``work_directory`` unless it is there or in $TF1_MNIST_DATA_DIR."""
    work_directory = Path(work_directory)
    found = find_file(filename, _search_dirs(work_directory))
    if found is not None:
        return found
    return download(filename, work_directory, source_url)


def _search_dirs(train_dir: Path) -> list[Path]:
    dirs = [train_dir]
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        dirs.append(Path(env))
    return dirs


def download(filename: str, work_directory: Path, source_url: str, timeout: float = 60) -> Path:
    """Fetch ``source_url + filename`` to a temp file; rename it into place only once verified.

    The decompressed payload must parse as IDX and, for the canonical MNIST files, match the
    published SHA-256.  Any failure (Ctrl-C too) removes the temp file and the folders the
    download created: no half file is ever left behind.
    """
    url = source_url + filename
    created = [d for d in (work_directory, *work_directory.parents) if not d.exists()]
    target = work_directory / filename
    try:
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
            payload = _decompress(tmp.read_bytes(), url)
            parse_idx(payload, url, LABEL_MAGIC if "labels" in filename else IMAGE_MAGIC)
            if filename in SHA256 and hashlib.sha256(payload).hexdigest() != SHA256[filename]:
                raise DataError("SHA-256 of the payload does not match MNIST's published one")
    except (OSError, urllib.error.URLError, ValueError) as e:  # network, HTTP, short read, bad data
        _remove_empty(created)
        reason = getattr(e, "reason", None) or e
        raise DownloadError(f"{url}: {reason}; nothing was written") from e
    except BaseException:
        _remove_empty(created)
        raise
    print(f"Successfully downloaded {filename} {target.stat().st_size} bytes.")
    return target


def _remove_empty(created: list[Path]) -> None:
    """Remove the folders a failed download created (deepest first), if still empty."""
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            return


# --------------------------------------------------------------------------- decompressed cache


def cache_dir() -> Path:
    """Where decompressed copies live: $TF1_MNIST_CACHE_DIR, else the user's cache folder.

    Never beside the data: data folders are often shared or read-only.
    """
    base = os.environ.get(CACHE_DIR_ENV)
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "tf1_mnist")
    return Path(base)


def load_idx(source: Path, expected_magic: int) -> np.ndarray:
    """The parsed array of IDX file ``source`` (gzip or raw).

    A gzip file's array is cached as a plain ``.npy`` (memory-mapped on the next load) whose
    name records the source's size and mtime and a CRC-32 of the array: a cache that is stale,
    truncated or altered is rebuilt, never trusted.
    """
    with open(source, "rb") as f:
        head = f.read(2)
    if head != b"\x1f\x8b":
        return parse_idx(source.read_bytes(), str(source), expected_magic)
    st = source.stat()
    key = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:16]
    stem = f"{key}-{source.name}-{st.st_size}-{st.st_mtime_ns}"
    for cached in cache_dir().glob(f"{stem}-*.npy"):
        array = _read_cache(cached)
        if array is not None:
            return array
    array = parse_idx(_decompress(source.read_bytes(), str(source)), str(source), expected_magic)
    _write_cache(cache_dir(), key, stem, array)
    return array


def _read_cache(path: Path) -> np.ndarray | None:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        crc = int(path.stem.rsplit("-", 1)[1], 16)
    except (OSError, ValueError):  # truncated, not an .npy, a mangled name
        return None
    return array if zlib.crc32(array) == crc else None


def _write_cache(folder: Path, key: str, stem: str, array: np.ndarray) -> None:
    """Best effort (a read-only disk only costs speed), atomic (temp file, then rename); the
    source's older caches are removed."""
    try:
        for old in folder.glob(f"{key}-*.npy"):
            old.unlink()
        with atomic_path(folder / f"{stem}-{zlib.crc32(array):08x}.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, array, allow_pickle=False)
    except OSError:
        pass


# --------------------------------------------------------------------------- read_data_sets


def _missing_data_message(train_dir: Path, failure: DownloadError) -> str:
    env = os.environ.get(DATA_DIR_ENV)
    searched = f"{train_dir}/ (the script's folder, --data_dir)"
    searched += f", ${DATA_DIR_ENV}={env}" if env else f", ${DATA_DIR_ENV} (not set)"
    return (
        "MNIST data not found locally, and downloading it failed.\n"
        f"  Needed: {', '.join(FILES)} (or the same names uncompressed)\n"
        f"  Searched: {searched}\n"
        f"  Download failed: {failure}\n"
        f"  Fix: put the four files in a folder and pass --data_dir=FOLDER or set "
        f"{DATA_DIR_ENV}=FOLDER."
    )


def read_data_sets(
    train_dir: str | os.PathLike,
    fake_data: bool = False,
    one_hot: bool = False,
    dtype: Any = np.float32,
    reshape: bool = True,
    validation_size: int = 5000,
    seed: int | None = None,
    source_url: str = DEFAULT_SOURCE_URL,
) -> Datasets:
    """Load MNIST as TensorFlow 1.x did: train (55000), validation (5000), test (10000)."""
    if fake_data:

        def fake() -> DataSet:
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)

        return Datasets(train=fake(), validation=fake(), test=fake())

    _as_numpy_dtype(dtype)  # fail on a bad dtype before any I/O
    train_dir = Path(train_dir)
    if not source_url or source_url == DEFAULT_SOURCE_URL:
        source_url = os.environ.get(SOURCE_URL_ENV) or DEFAULT_SOURCE_URL
    paths = {}
    for name in FILES:
        try:
            paths[name] = maybe_download(name, train_dir, source_url)
        except DownloadError as e:
            raise DataError(_missing_data_message(train_dir, e)) from e

    def load(name: str) -> np.ndarray:
        magic = LABEL_MAGIC if "labels" in name else IMAGE_MAGIC
        return load_idx(paths[name], magic)

    with ThreadPoolExecutor(len(FILES)) as pool:  # zlib and crc32 release the GIL
        train_images, train_labels, test_images, test_labels = pool.map(load, FILES)
    # The cache's arrays are read-only memory maps: copy what is not converted below, so a
    # script may modify what it gets, as with TensorFlow's loader.
    train_labels, test_labels = np.array(train_labels), np.array(test_labels)
    if _as_numpy_dtype(dtype) != np.float32:
        train_images, test_images = np.array(train_images), np.array(test_images)

    for images, labels, im_name, lb_name in (
        (train_images, train_labels, TRAIN_IMAGES, TRAIN_LABELS),
        (test_images, test_labels, TEST_IMAGES, TEST_LABELS),
    ):
        if images.shape[0] != labels.shape[0]:
            raise DataError(
                f"{paths[im_name]} holds {images.shape[0]} images but {paths[lb_name]} holds "
                f"{labels.shape[0]} labels"
            )
    if one_hot:
        train_labels = dense_to_one_hot(train_labels)
        test_labels = dense_to_one_hot(test_labels)

    if not 0 <= validation_size <= len(train_images):
        raise ValueError(
            f"Validation size should be between 0 and {len(train_images)}. "
            f"Received: {validation_size}."
        )
    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    if np.dtype(_as_numpy_dtype(dtype)) == np.float32 and reshape:
        # Convert once for train+validation instead of twice (they share the source array).
        train_images = _to_unit_float32(train_images.reshape(train_images.shape[0], -1))
    validation = DataSet(train_images[:validation_size], train_labels[:validation_size], **options)
    train = DataSet(train_images[validation_size:], train_labels[validation_size:], **options)
    test = DataSet(test_images, test_labels, **options)
    return Datasets(train=train, validation=validation, test=test)


def load_mnist(train_dir: str | os.PathLike = "MNIST-data") -> Datasets:
    """TensorFlow's shorthand: ``read_data_sets(train_dir)``."""
    return read_data_sets(train_dir)
