"""MNIST downloads a legacy script makes itself, answered from the local copy.

Scripts of the era fetch MNIST by URL (``urllib.request.urlretrieve(
'http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz', ...)``, through ``six.moves``
too, as the models repository's ``convolutional.py`` does); that server refuses scripts today
and a machine may be offline.  A URL naming one of the four MNIST files gets the copy
``tf1_mnist.input_data`` would use (``$TF1_MNIST_DATA_DIR``, else its own download, checked
against MNIST's published SHA-256), with a note; every other URL is fetched as before.
"""

from __future__ import annotations

import email.message
import gzip
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.support.atomic import atomic_path


def _local_copy(filename: str) -> Path:
    """The MNIST file ``filename`` (a .gz name), found or downloaded as input_data does."""
    env = os.environ.get(input_data.DATA_DIR_ENV)
    found = input_data.find_file(filename, [Path(env)] if env else [])
    if found is None:
        folder = input_data.cache_dir() / "downloads"
        found = input_data.find_file(filename, [folder])
        if found is None:
            source = os.environ.get(input_data.SOURCE_URL_ENV) or input_data.DEFAULT_SOURCE_URL
            found = input_data.download(filename, folder, source)
    return found


def install() -> None:
    """``urllib.request.urlretrieve`` serves the four MNIST files from the local copy."""
    real = urllib.request.urlretrieve
    if getattr(real, "serves_mnist", False):
        return

    def urlretrieve(url: str, filename: Any = None, reporthook: Any = None, data: Any = None):
        name = Path(urllib.parse.urlparse(str(url)).path).name
        if name not in input_data.FILES:
            return real(url, filename, reporthook, data)
        source = _local_copy(name)
        if filename is None:
            handle, filename = tempfile.mkstemp(suffix=".gz")
            os.close(handle)
        target = Path(filename)
        with atomic_path(target) as tmp:
            if source.suffix == ".gz":
                shutil.copyfile(source, tmp)
            else:  # a decompressed copy: the script asked for the .gz
                with open(source, "rb") as raw, gzip.open(tmp, "wb") as out:
                    shutil.copyfileobj(raw, out)
        print(
            f"note: {url} served from the local MNIST copy ({source.name}) instead of "
            "downloading it",
            file=sys.stderr,
        )
        return str(target), email.message.Message()

    urlretrieve.serves_mnist = True
    urllib.request.urlretrieve = urlretrieve
