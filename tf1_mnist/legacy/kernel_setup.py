"""What a Jupyter kernel gets before an old notebook's first cell (and from ``%load_ext``).

The same setup as a script's (``era.install_era``: TensorFlow 1.x, NumPy 1.x spellings for the
notebook's ``import numpy``, the era's matplotlib, MNIST URLs served locally, the seed of every
graph), TensorFlow's mid-run C++ chatter filtered, and three IPython hooks: Python 2 cells
converted in memory (``python2``, after IPython's own transforms, so magics keep working),
Python 2's ``/`` for those cells, and ``!pip install`` / ``%pip install`` answered with a note
instead of installing a TensorFlow 1.x that does not exist for this Python. Figures are left to
the kernel's inline backend: they travel as ``image/png`` outputs, which the notebook runner
saves.
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from tf1_mnist.legacy import python2
from tf1_mnist.legacy.era import install_era
from tf1_mnist.support import quiet

INSTALL_COMMAND = re.compile(
    r"^\s*(?:sudo\s+)?(?:\S*python[\d.]*\s+-m\s+)?(?:pip[\d.]*|conda|mamba)\s+install\b"
)
NOTE_SKIPPED_INSTALL = (
    "note: `{command}` not run: tf1_mnist provides TensorFlow 1.x here; "
    "install other packages yourself if a later cell needs them"
)


class Python2Cells:
    """IPython's input and AST hooks for Python 2 code.

    ``python2_kernel``: the notebook was written for a Python 2 kernel, so every cell is
    converted and divides as Python 2 did (until a ``from __future__ import division``).
    Otherwise only a cell that is not valid Python 3 is converted, as the runner does for
    scripts.  The input hook records whether the cell it just saw was converted; the AST
    hook, which IPython calls next on that same cell, reads it.
    """

    def __init__(self, python2_kernel: bool) -> None:
        self.python2_kernel = python2_kernel
        self.future_division = False
        self.converted = False
        self.noted = False

    def transform_lines(self, lines: list[str]) -> list[str]:
        source = "".join(lines)
        self.converted = False
        if not self.python2_kernel and _valid_python3(source):
            return lines
        try:
            converted, edits = python2.convert(source)
        except (SyntaxError, ValueError, IndexError, python2.tokenize.TokenError):
            return lines  # IPython's compile reports the error, on the cell's own line
        if not _valid_python3(converted):
            return lines
        self.converted = self.python2_kernel or bool(edits)
        if edits and not self.noted:
            self.noted = True
            done = ", ".join(f"{kind} ({n})" for kind, n in sorted(edits.items()))
            print(
                "note: Python 2 code converted in memory (the notebook is unchanged): " + done,
                file=sys.stderr,
            )
        return converted.splitlines(keepends=True)

    def visit(self, tree: ast.Module) -> ast.Module:
        """IPython's AST transformer interface: Python 2's ``/`` in converted cells."""
        if python2.future_division(tree):
            self.future_division = True
        if not self.converted or self.future_division:
            return tree
        return python2.floor_int_division(tree)


def _valid_python3(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    except (ValueError, MemoryError, RecursionError):
        return True  # not a syntax question: let IPython report it
    return True


class _SkippedInstalls:
    """``shell.system`` (what ``!command`` calls) with installs answered by a note."""

    def __init__(self, system: Any) -> None:
        self.system = system

    def __call__(self, command: str, *args: Any, **kwargs: Any) -> Any:
        if INSTALL_COMMAND.match(command):
            print(NOTE_SKIPPED_INSTALL.format(command=command.strip()), file=sys.stderr)
            return None
        return self.system(command, *args, **kwargs)


def _install_magic(kind: str, original: Any) -> Any:
    """``%pip`` / ``%conda``: ``install`` answered by a note, anything else as before."""

    def magic(line: str) -> Any:
        if INSTALL_COMMAND.match(f"{kind} {line}") or original is None:
            print(NOTE_SKIPPED_INSTALL.format(command=f"%{kind} {line.strip()}"), file=sys.stderr)
            return None
        return original(line)

    magic.__name__ = kind
    return magic


# The live session's hooks, so that ``unload`` removes exactly what ``prepare`` added.
_installed: dict[int, dict[str, Any]] = {}
_noise_filter = contextlib.ExitStack()


def prepare(
    shell: Any,
    notebook: str | None = None,
    seed: int | None = None,
    mixed_precision: bool = False,
    python2_kernel: bool = False,
    argv: list[str] | None = None,
) -> Any:
    """Install the TF1 shim and the hooks into IPython ``shell``; the ``tensorflow`` it
    installed.  ``notebook``: the notebook's path (its folder is where ``import numpy`` gets
    NumPy 1.x spellings; a live session uses the working folder)."""
    path = Path(notebook).resolve() if notebook else Path.cwd() / "notebook.ipynb"
    # The same setup as a script's (figures stay inline), seed included: every graph gets it.
    tf = install_era(path.parent, seed, mixed_precision)
    # IPython's advice on SystemExit is for a person at a prompt; the runner reports the exit.
    warnings.filterwarnings("ignore", message="To exit: use 'exit', 'quit', or Ctrl-D.")
    if not quiet.verbose() and not quiet._filter:
        _noise_filter.enter_context(quiet.run_noise_filtered())
    # numpy1 recognises the notebook's code by ``__file__``, which Jupyter leaves unset.
    shell.user_ns.setdefault("__file__", str(path))
    if argv is not None:
        sys.argv = [str(path), *argv]
    if id(shell) not in _installed:
        cells = Python2Cells(python2_kernel)
        shell.input_transformers_post.append(cells.transform_lines)
        shell.ast_transformers.append(cells)
        saved_system = shell.system
        shell.system = _SkippedInstalls(saved_system)
        saved_magics = {k: shell.magics_manager.magics["line"].get(k) for k in ("pip", "conda")}
        for kind, original in saved_magics.items():
            shell.register_magic_function(_install_magic(kind, original), "line", kind)
        _installed[id(shell)] = dict(cells=cells, system=saved_system, magics=saved_magics)
    else:
        _installed[id(shell)]["cells"].python2_kernel = python2_kernel
    return tf


def unload(shell: Any) -> None:
    """Remove the hooks ``prepare`` added (the imported TensorFlow 1.x stays: modules cannot
    be un-imported safely)."""
    state = _installed.pop(id(shell), None)
    if state is None:
        return
    cells = state["cells"]
    with contextlib.suppress(ValueError):
        shell.input_transformers_post.remove(cells.transform_lines)
    with contextlib.suppress(ValueError):
        shell.ast_transformers.remove(cells)
    shell.system = state["system"]
    for kind, magic in state["magics"].items():
        if magic is not None:
            shell.magics_manager.magics["line"][kind] = magic
