"""Run a TensorFlow 1.x-era MNIST script, unmodified, on TensorFlow 2.x.

    python -m tf1_mnist.legacy old_tutorial.py [the script's own arguments]

Inside the script ``import tensorflow as tf`` gives the TF1 API (``tf.compat.v1`` with v2
behaviour disabled) plus the 0.x names TensorFlow 1.0 renamed (``tf.mul``, ``tf.scalar_summary``,
``tf.train.SummaryWriter``, ``tf.concat(dim, values)``, ...), and
``tensorflow.examples.tutorials.mnist.input_data`` is ``tf1_mnist.input_data`` (so
``$TF1_MNIST_DATA_DIR`` is honoured whatever folder the script names). ``sys.argv``,
``__name__ == "__main__"`` and the script's folder on ``sys.path`` are as under
``python SCRIPT.py``.  What cannot work (``tf.contrib``, Python 2 syntax) stops with one message
naming the symbol and the script's line.

This module never imports the harness: the script owns the absl flag namespace.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from tf1_mnist import input_data  # noqa: E402


class LegacyError(AttributeError):
    """A TF 0.x/1.x name this runner cannot provide; the message says why and what instead."""


# --------------------------------------------------------------------------- the 0.x renames
# TensorFlow 1.0's release notes list the renames; each maps to its 1.x spelling here.


def _renames(v1: Any) -> dict[str, Any]:
    summary = v1.summary
    return {
        # math
        "mul": v1.multiply,
        "sub": v1.subtract,
        "neg": v1.negative,
        "inv": v1.reciprocal,
        "batch_matmul": v1.matmul,
        "complex_abs": v1.abs,
        "select": v1.where,
        "listdiff": v1.setdiff1d,
        "pack": v1.stack,
        "unpack": v1.unstack,
        "concat": _old_concat(v1.concat),
        "split": _old_split(v1.split),
        # summaries
        "scalar_summary": summary.scalar,
        "histogram_summary": summary.histogram,
        "image_summary": summary.image,
        "audio_summary": summary.audio,
        "merge_summary": summary.merge,
        "merge_all_summaries": summary.merge_all,
        # variables
        "initialize_all_variables": v1.global_variables_initializer,
        "initialize_variables": v1.variables_initializer,
        "initialize_local_variables": v1.local_variables_initializer,
        "initialize_all_tables": v1.tables_initializer,
        "all_variables": v1.global_variables,
        "VARIABLES": v1.GraphKeys.GLOBAL_VARIABLES,
    }


def _old_concat(concat: Callable) -> Callable:
    """``tf.concat(concat_dim, values)`` (0.x) as well as ``tf.concat(values, axis)`` (1.x)."""

    @functools.wraps(concat)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "concat_dim" in kwargs:
            return concat(
                kwargs.pop("values", args[0] if args else None), kwargs.pop("concat_dim"), **kwargs
            )
        if len(args) >= 2 and _is_axis(args[0]) and not _is_axis(args[1]):
            return concat(args[1], args[0], *args[2:], **kwargs)
        return concat(*args, **kwargs)

    return wrapper


def _old_split(split: Callable) -> Callable:
    """``tf.split(split_dim, num_split, value)`` (0.x) as well as ``tf.split(value, n, axis)``."""

    @functools.wraps(split)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "split_dim" in kwargs or "num_split" in kwargs:
            value = kwargs.pop("value", args[-1] if args else None)
            return split(value, kwargs.pop("num_split"), kwargs.pop("split_dim"), **kwargs)
        if len(args) == 3 and _is_axis(args[0]) and _is_axis(args[1]) and not _is_axis(args[2]):
            return split(args[2], args[1], args[0], **kwargs)
        return split(*args, **kwargs)

    return wrapper


def _is_axis(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _named_logits(op: Callable) -> Callable:
    """0.x ``softmax_cross_entropy_with_logits(logits, labels)`` took them positionally."""

    @functools.wraps(op)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args:
            names = ("logits", "labels", "dim" if "dim" not in kwargs else "name")
            kwargs.update(zip(names, args, strict=False))
        return op(**kwargs)

    return wrapper


# --------------------------------------------------------------------------- tf.app.flags


class _AutoParsedFlags:
    """TF 1.x's ``tf.app.flags.FLAGS``: parses ``sys.argv`` on first use, so a script may read
    a flag at module level or without ``tf.app.run`` (absl's FLAGS refuses until parsed)."""

    def __init__(self, flag_values: Any) -> None:
        object.__setattr__(self, "_flags", flag_values)

    def _parsed(self) -> Any:
        values = object.__getattribute__(self, "_flags")
        if not values.is_parsed():
            values(sys.argv, known_only=True)
        return values

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_flags")
        if name in values and not name.startswith("_"):
            return getattr(self._parsed(), name)
        return getattr(values, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._parsed(), name, value)

    def __contains__(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_flags")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_flags")(*args, **kwargs)


def _define(define: Callable, flag_values: Any) -> Callable:
    """``DEFINE_*`` that lets a script take back a name absl.logging already owns (``log_dir``
    is the usual one: TF 1.x's own argparse-based flags never had it)."""

    @functools.wraps(define)
    def wrapper(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in flag_values and flag_values.find_module_defining_flag(name, "").startswith(
            "absl.logging"
        ):
            flag_values.__delattr__(name)
        return define(name, *args, **kwargs)

    return wrapper


def _flags_module(v1: Any) -> types.ModuleType:
    from absl import flags as absl_flags

    real = absl_flags.FLAGS
    extra = {
        name: _define(getattr(v1.flags, name), real)
        for name in dir(v1.flags)
        if name.startswith("DEFINE_")
    }
    extra["FLAGS"] = _AutoParsedFlags(real)
    return _Namespace("tensorflow.app.flags", v1.flags, extra, {})


# --------------------------------------------------------------------------- the shim modules


class _Namespace(types.ModuleType):
    """A module that forwards to ``target`` after ``extra``; ``removed`` names raise clearly."""

    def __init__(self, name: str, target: Any, extra: dict, removed: dict[str, str]) -> None:
        super().__init__(name, getattr(target, "__doc__", None))
        self._target, self._extra, self._removed = target, extra, removed

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            return getattr(self._target, attr)
        if attr in self._removed:
            raise LegacyError(self._removed[attr])
        if attr in self._extra:
            return self._extra[attr]
        try:
            return getattr(self._target, attr)
        except AttributeError:
            raise LegacyError(
                f"`{self.__name__}.{attr}` does not exist in TensorFlow 1.x's API "
                "(tf.compat.v1), nor among the 0.x names tf1_mnist.legacy maps"
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._target)) | set(self._extra))


CONTRIB = (
    "`tf.contrib` was removed in TensorFlow 2 and tf1_mnist.legacy cannot provide it: "
    "replace it by hand (tf.contrib.layers -> tf.compat.v1.layers or Keras layers, "
    "tf.contrib.learn's MNIST reader -> input_data.read_data_sets)"
)


def install() -> types.ModuleType:
    """Put the TF1 ``tensorflow`` and the old ``input_data`` import path into ``sys.modules``."""
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    real_tf.get_logger().setLevel("ERROR")  # before the deprecation notices of the next line
    v1.disable_v2_behavior()

    nn = _Namespace(
        "tensorflow.nn",
        v1.nn,
        {
            name: _named_logits(getattr(v1.nn, name))
            for name in (
                "softmax_cross_entropy_with_logits",
                "sparse_softmax_cross_entropy_with_logits",
                "sigmoid_cross_entropy_with_logits",
            )
        },
        {},
    )
    train = _Namespace("tensorflow.train", v1.train, {"SummaryWriter": v1.summary.FileWriter}, {})
    flags = _flags_module(v1)
    app = _Namespace("tensorflow.app", v1.app, {"flags": flags}, {})
    tf = _Namespace(
        "tensorflow",
        v1,
        dict(
            _renames(v1), nn=nn, train=train, app=app, flags=flags, __version__=real_tf.__version__
        ),
        {"contrib": CONTRIB},
    )
    tf.__path__ = list(real_tf.__path__)  # `import tensorflow.python...` still works
    tf.__file__ = real_tf.__file__
    # tensorflow.examples.tutorials.mnist.input_data, as TensorFlow 1.x shipped it.
    parents = [
        "tensorflow.examples",
        "tensorflow.examples.tutorials",
        "tensorflow.examples.tutorials.mnist",
    ]
    modules = {"tensorflow": tf}
    for name in parents:
        module = types.ModuleType(name)
        module.__path__ = []
        modules[name] = module
    modules["tensorflow.examples.tutorials.mnist.input_data"] = input_data
    for name, module in modules.items():
        sys.modules[name] = module
        if "." in name:
            parent, child = name.rsplit(".", 1)
            if parent == "tensorflow":
                tf._extra[child] = module
            else:
                setattr(modules[parent], child, module)
    return tf


# --------------------------------------------------------------------------- running a script


def _script_line(script: Path, tb: types.TracebackType | None) -> str:
    """``SCRIPT:LINE: source`` of the deepest frame in the script, or the script's name."""
    frames = [f for f in traceback.extract_tb(tb) if Path(f.filename) == script]
    if not frames:
        return str(script)
    frame = frames[-1]
    return f"{script}:{frame.lineno}: {frame.line}"


def run_script(script: str | os.PathLike, args: list[str], seed: int | None = None) -> int:
    """Run ``script`` as ``python SCRIPT.py args`` would, on the TF1 shim; its exit code.

    ``seed`` (added: old scripts are unseeded) seeds Python's and numpy's global generators,
    which ``input_data``'s shuffling uses, and the default graph's TensorFlow seed.
    """
    path = Path(script).resolve()
    if not path.is_file():
        print(f"error: {script}: no such script", file=sys.stderr)
        return 2
    try:
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
    except SyntaxError as e:
        hint = " (Python 2 syntax? convert it first: `2to3 -w SCRIPT.py`)" if _python2(e) else ""
        print(
            f"error: {path}:{e.lineno}: {e.msg}{hint}\n  {(e.text or '').strip()}", file=sys.stderr
        )
        return 1
    except (OSError, UnicodeDecodeError) as e:
        print(f"error: {script}: cannot read the script ({e})", file=sys.stderr)
        return 2
    tf = install()
    if seed is not None:
        import random

        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
        tf.set_random_seed(seed)
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(path.parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
    except LegacyError as e:
        print(f"error: {_script_line(path, e.__traceback__)}\n  {e}", file=sys.stderr)
        return 1
    except input_data.DataError as e:  # no MNIST: the loader's message says what to do
        print(f"error: {_script_line(path, e.__traceback__)}\n  {e}", file=sys.stderr)
        return 1
    except SystemExit as e:  # tf.app.run and sys.exit: the script's own exit code
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0


def _python2(error: SyntaxError) -> bool:
    text = (error.text or "").strip()
    return "print" in text or "Missing parentheses" in str(error.msg) or text.startswith("exec ")


USAGE = "usage: python -m tf1_mnist.legacy [--seed=N] SCRIPT.py [the script's arguments]"


def main(argv: list[str] | None = None) -> int:
    """Options before SCRIPT.py are the runner's; everything after it is the script's."""
    argv = sys.argv[1:] if argv is None else list(argv)
    seed = None
    while argv and argv[0].startswith("-"):
        option = argv.pop(0)
        if option in ("-h", "--help"):
            print(f"{__doc__.strip()}\n\n{USAGE}")
            return 0
        if option.startswith("--seed="):
            try:
                seed = int(option.split("=", 1)[1])
            except ValueError:
                print(f"error: --seed needs an integer, got {option}\n{USAGE}", file=sys.stderr)
                return 2
            continue
        print(f"error: unknown option {option} before the script\n{USAGE}", file=sys.stderr)
        return 2
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    return run_script(argv[0], argv[1:], seed=seed)


if __name__ == "__main__":
    sys.exit(main())
