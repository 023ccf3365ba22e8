"""Run a TensorFlow 0.x/1.x-era MNIST script, unmodified, on TensorFlow 2.x.

    python -m tf1_mnist.legacy [--seed=N] old_tutorial.py [the script's own arguments]
    python -m tf1_mnist.legacy old_tutorial.ipynb [--seed=N] [--output=PATH]   (``notebook``)

Inside the script ``import tensorflow as tf`` is TensorFlow 1.x (``tf1_mnist.legacy.shim``):
``tf.compat.v1`` with v2 behaviour off, the 0.x names, ``tf.layers`` and ``tf.keras`` on Keras 2,
the common ``tf.contrib`` parts, TensorFlow's tutorial modules ``input_data`` and ``mnist``
(``$TF1_MNIST_DATA_DIR`` is honoured whatever folder the script names).  NumPy 1.x spellings
work in the script (``numpy1``), Python 2 scripts are converted in memory (``python2``), and
figures are saved instead of shown on a machine without a display (``display``).
``sys.argv``, ``__name__ == "__main__"``, the script's folder on ``sys.path`` and its exit code
are as under ``python SCRIPT.py``.  What cannot work stops with one ``error:`` line naming the
script's line and a replacement.

This module never imports the training machinery: the script owns the absl flag namespace.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
import types
from pathlib import Path

from tf1_mnist import input_data
from tf1_mnist.legacy import python2
from tf1_mnist.legacy.era import install_era
from tf1_mnist.legacy.namespace import Refusal
from tf1_mnist.legacy.source import SourceEncodingError, read_source
from tf1_mnist.support import cli, quiet
from tf1_mnist.support.cli import option

__all__ = ["Options", "Refusal", "main", "run_script"]

# Packages a TF1 tutorial may import that tf1_mnist does not install: name -> pip name.
NOT_INSTALLED = {
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "pandas": "pandas",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "seaborn": "seaborn",
    "imageio": "imageio",
    "tqdm": "tqdm",
    "yaml": "pyyaml",
}


@dataclasses.dataclass
class Options:
    """``python -m tf1_mnist.legacy [flags] SCRIPT.py [its arguments] | NOTEBOOK.ipynb [flags]``"""

    seed: int | None = option(
        None,
        "Seed Python's, numpy's and TensorFlow's default generators before the script runs "
        "(old scripts are unseeded: this makes their shuffling and initial weights repeat).",
    )
    mixed_precision: bool = option(
        False,
        "Run the script's sessions in mixed precision (float16 on a GPU, bfloat16 on a CPU "
        "with bfloat16 instructions); its variables and checkpoints stay float32.",
    )
    output: str | None = option(
        None,
        "A notebook only: where to write the executed notebook (default: NAME.tf1.ipynb in "
        "the working folder).",
    )


def _script_line(script: Path, tb: types.TracebackType | None) -> tuple[str, str]:
    """``SCRIPT:LINE`` of the deepest frame in the script, and that line's source."""
    frames = [f for f in traceback.extract_tb(tb) if Path(f.filename) == script]
    if not frames:
        return f"{script}", ""
    frame = frames[-1]
    return f"{script}:{frame.lineno}", (frame.line or "").strip()


def _refuse(script: Path, error: BaseException, message: str) -> int:
    where, line = _script_line(script, error.__traceback__)
    print(f"error: {where}: {message}", file=sys.stderr)
    if line:
        print(f"    {line}", file=sys.stderr)
    return 1


def _compile(path: Path, source: str) -> types.CodeType | str:
    """The script's code; Python 2 source converted in memory; else a one-line message."""
    try:
        return compile(source, str(path), "exec")
    except SyntaxError as error:
        original = error
    try:
        converted, edits = python2.convert(source)
        code = python2.compile_converted(converted, str(path))
    except (SyntaxError, ValueError, IndexError, python2.tokenize.TokenError) as e:
        code = None
        if isinstance(original, TabError) and isinstance(e, SyntaxError) and e.lineno:
            original = e  # the tabs were read as Python 2 read them: this is what remains
    if code is None or not edits:
        hint = ""
        if _looks_py2(original):
            hint = " (Python 2 the runner cannot convert: `2to3 -w SCRIPT.py`)"
            if python2.mixes_tabs(source):  # which 2to3 keeps, and Python 3 refuses
                hint = (
                    " (Python 2 the runner cannot convert, its indentation mixing tabs and "
                    "spaces: `expand -i -t 8 SCRIPT.py > fixed.py`, then `2to3 -w fixed.py`)"
                )
        lines = source.splitlines()
        text = lines[original.lineno - 1] if 0 < (original.lineno or 0) <= len(lines) else ""
        return f"{path}:{original.lineno}: {original.msg}{hint}\n    {text.strip()}"
    done = ", ".join(f"{kind} ({n})" for kind, n in sorted(edits.items()))
    print(
        f"note: {path} is Python 2; converted in memory (the file is unchanged): {done}",
        file=sys.stderr,
    )
    return code


def _looks_py2(error: SyntaxError) -> bool:
    text = (error.text or "").strip()
    return "print" in text or "Missing parentheses" in str(error.msg) or text.startswith("exec ")


def run_script(
    script: str | os.PathLike,
    args: list[str],
    seed: int | None = None,
    mixed_precision: bool = False,
    output: str | None = None,
) -> int:
    """Run ``script`` as ``python SCRIPT.py args`` would, on the TF1 shim; its exit code.
    A notebook runs in a Jupyter kernel instead (``notebook``), its executed copy written to
    ``output``.

    ``seed`` (added: old scripts are unseeded) seeds Python's and numpy's global generators,
    which ``input_data``'s shuffling uses, and the TensorFlow seed of every graph.
    """
    path = Path(script).resolve()
    source = _read(script, path)
    if isinstance(source, int):
        return source
    from tf1_mnist.legacy import notebook  # a notebook's JSON is never run as Python

    if notebook.is_notebook(path, source):
        return notebook.run_notebook(
            script, source, seed, mixed_precision, output, not_installed=NOT_INSTALLED
        )
    code = _compile(path, source)
    if isinstance(code, str):
        print(f"error: {code}", file=sys.stderr)
        return 1
    install_era(path.parent, seed, mixed_precision, figures_for=path.stem)
    return _execute(script, path, code, args)


def _read(script: str | os.PathLike, path: Path) -> str | int:
    """The script's source, or the exit code after one ``error:`` line (2 for a file that is
    not there or cannot be read, as for a wrong command line; 1 for an undecodable source)."""
    if not path.is_file():
        print(f"error: {script}: no such script", file=sys.stderr)
        return 2
    try:
        return read_source(path)
    except OSError as e:
        print(f"error: {script}: cannot read the script ({e})", file=sys.stderr)
        return 2
    except SourceEncodingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _execute(script: str | os.PathLike, path: Path, code: types.CodeType, args: list[str]) -> int:
    """Run ``code`` as the ``__main__`` module of ``python SCRIPT.py args`` (its argv, its
    folder first on ``sys.path``); the exit code of how it ended."""
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(path.parent))
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        with quiet.run_noise_filtered():  # TensorFlow's mid-run C++ chatter, not the script's
            exec(code, module.__dict__)
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        return _outcome(path, e)
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    return 0


def _outcome(path: Path, error: BaseException) -> int:
    """The exit code for the script ending in ``error``, after what to print: one ``error:``
    line where the message says what to do, else the script's traceback."""
    # A refusal names the replacement; no MNIST: the loader's message says what to do.
    if isinstance(error, (Refusal, input_data.DataError)):
        return _refuse(path, error, str(error))
    if isinstance(error, ModuleNotFoundError):
        return _missing_module(path, error)
    if isinstance(error, SystemExit):  # tf.app.run and sys.exit: the script's own exit code
        code = error.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return _script_error(path, error)  # the script's own error: its traceback, as Python's


def _missing_module(path: Path, error: ModuleNotFoundError) -> int:
    """What to install, or to copy beside the script, for the module it could not import."""
    package = (error.name or "").split(".")[0]
    if package in NOT_INSTALLED:
        return _refuse(
            path,
            error,
            f"the script imports `{package}`, which tf1_mnist does not install: "
            f"`pip install {NOT_INSTALLED[package]}`",
        )
    if package and not package.startswith("tensorflow"):
        # No pip command for a name we do not know: it may be a helper module of the
        # tutorial's repository, and PyPI's package of that name someone else's.
        return _refuse(
            path,
            error,
            f"the script imports `{package}`, which is neither installed nor beside the "
            f"script in {path.parent}/: copy the tutorial's `{package}.py` there, or "
            "install the package that provides it",
        )
    return _script_error(path, error)


def _script_error(script: Path, error: BaseException) -> int:
    """Print ``error``'s traceback from the script's first frame on (the runner's frames are
    not the user's business), as ``python SCRIPT.py`` would; exit code 1."""
    tb = error.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Flags before SCRIPT.py are the runner's (absl flags of their own namespace); everything
    from SCRIPT.py on is the script's."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parsed = cli.front_end(Options, argv, prog="tf1_mnist.legacy", doc=__doc__)
    if isinstance(parsed, int):
        return parsed
    opts, rest = parsed
    if not rest:
        return cli.usage_error(Options, "name the script to run")
    if rest[0].lower().endswith(".ipynb"):  # takes no arguments: our flags may follow it
        at = argv.index(rest[0])
        ours = argv[:at] + argv[at + 1 :]
        parsed = cli.front_end(Options, ours, prog="tf1_mnist.legacy", doc=__doc__)
        if isinstance(parsed, int):
            return parsed
        opts, extra = parsed
        if extra:
            return cli.usage_error(Options, f"a notebook takes no arguments: {' '.join(extra)}")
    elif opts.output is not None:
        return cli.usage_error(Options, "--output is for notebooks (NAME.ipynb)")
    try:
        return run_script(rest[0], rest[1:], opts.seed, opts.mixed_precision, output=opts.output)
    except KeyboardInterrupt as e:
        return cli.report(e)
