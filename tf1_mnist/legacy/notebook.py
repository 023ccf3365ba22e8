"""Run a TensorFlow 0.x/1.x-era Jupyter notebook, unmodified, on TensorFlow 2.x.

    python -m tf1_mnist.legacy NOTEBOOK.ipynb [--seed=N] [--output=PATH]

The notebook's code cells run in order in a real Jupyter kernel (``nbformat`` reads the file,
``nbclient`` drives an ``ipykernel`` of this Python), so IPython's syntax means what it means in
Jupyter.  Before the first cell the kernel gets the script runner's TensorFlow 1.x
(``kernel_setup``).  What the cells print streams to the terminal as they run, figures are
saved as PNG files, and the executed notebook is written beside them (``NAME.tf1.ipynb``) for
Jupyter to open.  A failing cell stops the run with one ``error:`` line naming the notebook,
the cell and the line in it.  Jupyter's packages are an extra: without them a notebook gets one
line saying what to install.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from tf1_mnist.legacy.namespace import Refusal
from tf1_mnist.support.atomic import atomic_path

INSTALL_HINT = "pip install 'tf1_mnist[notebook]'"
JUPYTER_MODULES = ("nbformat", "nbclient", "ipykernel")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\s*\[(\d+)\], line (\d+)")
# Errors whose message already says what to do: no traceback before the `error:` line.
EXPLAINED = {
    "DataError",
    "DeadKernelError",
    Refusal.__name__,
    *(c.__name__ for c in Refusal.__subclasses__()),
}


def is_notebook(path: Path, source: str) -> bool:
    """A ``.ipynb`` file, or a notebook's JSON under another name (a download saved as .py
    or .txt): either way never Python source."""
    if path.suffix.lower() == ".ipynb":
        return True
    if not source.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(source)
    except ValueError:
        return False
    return isinstance(data, dict) and ("cells" in data or "worksheets" in data)


def _missing_jupyter() -> list[str]:
    """Jupyter's packages this process cannot import (the kernel's is only looked up: it
    runs in its own process)."""
    missing = []
    for name in JUPYTER_MODULES:
        try:
            if name == "ipykernel":
                if importlib.util.find_spec(name) is None:
                    missing.append(name)
            else:
                importlib.import_module(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def read(path: Path, source: str) -> Any:
    """The notebook (nbformat 4, older versions converted), or a one-line reason it is not
    one."""
    try:
        data = json.loads(source)
    except ValueError as e:
        where = f":{e.lineno}" if hasattr(e, "lineno") else ""
        return f"{path}{where}: not a Jupyter notebook: the file is not valid JSON ({e})"
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        return f"{path}: not a Jupyter notebook: the JSON has no cells"
    import nbformat

    try:
        nb = nbformat.reads(source, as_version=4, capture_validation_error={})
    except Exception as e:  # nbformat raises several kinds for a malformed notebook
        return f"{path}: not a Jupyter notebook nbformat can read ({type(e).__name__}: {e})"
    if not isinstance(nb.get("cells"), list):
        return f"{path}: not a Jupyter notebook: the JSON has no cells"
    return nb


def python2_kernel(nb: Any) -> bool:
    """Written for a Python 2 kernel (its kernelspec or its recorded language version)."""
    spec = nb.metadata.get("kernelspec", {}) or {}
    info = nb.metadata.get("language_info", {}) or {}
    name = f"{spec.get('name', '')} {spec.get('display_name', '')}".lower()
    version = str(info.get("version", ""))
    return "python2" in name or "python 2" in name or version.startswith("2.")


def _kernel_manager_class() -> type:
    """A kernel of this very Python (whatever kernelspecs the machine has installed: a
    Python 2 notebook names ``python2``, which would not run TensorFlow 2)."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class OwnPythonKernel(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
            )

    return OwnPythonKernel


class Figures:
    """Saves each ``image/png`` output as ``<stem>_figure_<n>.png`` in ``folder``."""

    def __init__(self, folder: Path, stem: str) -> None:
        self.folder, self.stem, self.count = folder, stem, 0

    def save(self, data: str, cell: str) -> None:
        self.count += 1
        path = self.folder / f"{self.stem}_figure_{self.count}.png"
        with atomic_path(path, suffix=".png") as tmp:
            tmp.write_bytes(base64.b64decode(data))
        print(f"figure saved: {path} ({cell})", file=sys.stderr, flush=True)


def _client_class() -> type:
    from nbclient import NotebookClient

    class StreamingClient(NotebookClient):
        """nbclient's client, echoing each output to the terminal as it arrives."""

        figures: Figures

        def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
            out = super().output(outs, msg, display_id, cell_index)
            if out is not None:
                count = msg.get("content", {}).get("execution_count")
                cell = self.nb.cells[cell_index] if 0 <= cell_index < len(self.nb.cells) else {}
                _echo(out, count or cell.get("execution_count"), self.figures)
            return out

    return StreamingClient


def _echo(out: Any, count: int | None, figures: Figures) -> None:
    kind = out.get("output_type")
    if kind == "stream":
        stream = sys.stderr if out.get("name") == "stderr" else sys.stdout
        stream.write(out.get("text", ""))
        stream.flush()
        return
    if kind not in ("execute_result", "display_data"):
        return  # errors are reported once the cell has finished
    data = out.get("data", {})
    where = f"cell In [{count}]" if count else "setup"
    if "image/png" in data:
        figures.save(data["image/png"], where)
        return
    text = data.get("text/plain")
    if text is None:
        return
    prefix = f"Out[{count}]: " if kind == "execute_result" and count else ""
    print(prefix + text, flush=True)


def _show_pages(cell: Any, cell_index: int, execute_reply: dict) -> None:
    """What Jupyter shows in its pager (``obj?``, ``%pdoc``): printed, as IPython does."""
    for payload in execute_reply.get("content", {}).get("payload", []):
        if payload.get("source") == "page":
            text = payload.get("data", {}).get("text/plain", "")
            if not sys.stdout.isatty():
                text = ANSI.sub("", text)
            print(text, flush=True)


def _cell_line(error: dict, count: int | None) -> int | None:
    """The line inside cell ``In [count]`` where the error happened (IPython's traceback
    names it ``Cell In[count], line L``; the innermost such frame is the cell's)."""
    text = ANSI.sub("", "\n".join(error.get("traceback", [])))
    lines = [int(line) for n, line in CELL_LINE.findall(text) if count is None or int(n) == count]
    return lines[-1] if lines else None


def _blank_lines_before_code(source: str) -> int:
    """IPython drops a cell's leading blank lines before it compiles it, so its line numbers
    start at the first line with code."""
    lines = source.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip()), 0)


def _error_output(cell: Any) -> dict:
    return next((o for o in reversed(cell.get("outputs", [])) if o.output_type == "error"), {})


def _explain(error: dict, notebook: Path, not_installed: dict[str, str]) -> tuple[str, bool] | None:
    """The message for an error that needs no traceback, and whether to show the traceback."""
    name, value = error.get("ename", ""), error.get("evalue", "")
    if name in EXPLAINED:
        return value, False
    if name == "ModuleNotFoundError":
        found = re.search(r"No module named '([^']+)'", value)
        package = found.group(1).split(".")[0] if found else ""
        if package in not_installed:
            return (
                f"the notebook imports `{package}`, which tf1_mnist does not install: "
                f"`pip install {not_installed[package]}`",
                False,
            )
        if package and not package.startswith("tensorflow"):
            return (
                f"the notebook imports `{package}`, which is neither installed nor beside the "
                f"notebook in {notebook.parent}/: copy the tutorial's `{package}.py` there, or "
                "install the package that provides it",
                False,
            )
    return None


def _setup_source(notebook: Path, seed: int | None, mixed_precision: bool, python2: bool) -> str:
    return (
        "import tf1_mnist.legacy.kernel_setup as __tf1_mnist_setup\n"
        f"__tf1_mnist_setup.prepare(get_ipython(), notebook={str(notebook)!r}, seed={seed!r}, "
        f"mixed_precision={mixed_precision!r}, python2_kernel={python2!r}, argv=[])\n"
        "del __tf1_mnist_setup\n"
    )


def run_notebook(
    notebook: str | Path,
    source: str,
    seed: int | None = None,
    mixed_precision: bool = False,
    output: str | None = None,
    not_installed: dict[str, str] | None = None,
) -> int:
    """Run the notebook's code cells in a fresh kernel; the exit code (0, or 1 with one
    ``error:`` line when a cell fails or the file is not a notebook)."""
    path = Path(notebook).resolve()
    prepared = _prepare(notebook, path, source, output)
    if isinstance(prepared, int):
        return prepared
    nb, target, stem = prepared
    python2 = python2_kernel(nb)
    if python2:
        print(f"note: {notebook} is a Python 2 notebook; its cells run converted", file=sys.stderr)
    client = _client(nb, path, Figures(target.parent.resolve(), stem))
    failed = _execute(client, nb, notebook, _setup_source(path, seed, mixed_precision, python2))
    if isinstance(failed, int):
        return failed
    if failed is None:
        _write(nb, None, target)
        return 0
    index, cell = failed
    if cell.get("execution_count") is None:  # the kernel died before it numbered the cell
        cell.execution_count = sum(
            1 for c in nb.cells[: index + 1] if c.cell_type == "code" and c.source.strip()
        )
    code, message = _report(Path(notebook), index, cell, not_installed or {})
    _write(nb, failed, target)
    print(message, file=sys.stderr)
    return code


def _prepare(
    notebook: str | Path, path: Path, source: str, output: str | None
) -> tuple[Any, Path, str] | int:
    """The notebook, the file to write it to and the stem of its figures; or the exit code
    after one ``error:`` line, before a kernel starts (it takes seconds) for nothing."""
    missing = _missing_jupyter()
    if missing:
        print(
            f"error: {notebook}: running a notebook needs Jupyter's {', '.join(missing)}: "
            f"`{INSTALL_HINT}`",
            file=sys.stderr,
        )
        return 1
    nb = read(Path(notebook), source)
    if isinstance(nb, str):
        print(f"error: {nb}", file=sys.stderr)
        return 1
    stem = path.name[: -len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    target = Path(output) if output else Path.cwd() / f"{stem}.tf1.ipynb"
    if target.resolve() == path:
        print(
            f"error: {output}: that is the notebook being run; name another file", file=sys.stderr
        )
        return 2
    if target.is_dir():
        print(f"error: {output}: is a folder; name the notebook file to write", file=sys.stderr)
        return 2
    return nb, target, stem


def _client(nb: Any, path: Path, figures: Figures) -> Any:
    """nbclient's client on a kernel of this Python, in the notebook's folder, echoing what
    the cells print and saving their figures."""
    client = _client_class()(
        nb,
        kernel_manager_class=_kernel_manager_class(),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        timeout=None,
        startup_timeout=120,
        # The kernel's own warnings (about its local TCP sockets) are no concern of the user's.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    client.figures = figures
    client.on_cell_executed = _show_pages
    return client


def _execute(
    client: Any, nb: Any, notebook: str | Path, setup_source: str
) -> tuple[int, Any] | int | None:
    """Prepare the kernel, then run the cells until one fails: ``None`` when all ran, the
    failing ``(index, cell)``, or the exit code after one ``error:`` line when the kernel
    could not be started or prepared."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    setup = nbformat.v4.new_code_cell(setup_source)
    # debugpy's start-up warning about frozen modules is the kernel's noise, not the notebook's
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    try:
        with client.setup_kernel(env=env):
            client.nb = nbformat.v4.new_notebook(cells=[setup])  # nbclient stores cells by index
            try:
                client.execute_cell(setup, 0, store_history=False)
            except CellExecutionError:
                error = _error_output(setup)
                print(ANSI.sub("", "\n".join(error.get("traceback", []))), file=sys.stderr)
                print(f"error: {notebook}: the kernel could not be prepared", file=sys.stderr)
                return 1
            finally:
                client.nb = nb
            return _run_cells(client, nb)
    except (RuntimeError, TimeoutError) as e:  # the kernel did not start, or its channels broke
        print(
            f"error: {notebook}: the Jupyter kernel failed ({type(e).__name__}: {e})",
            file=sys.stderr,
        )
        return 1


def _run_cells(client: Any, nb: Any) -> tuple[int, Any] | None:
    """The notebook's cells in order; the first that fails, with a dead kernel recorded as
    the cell's error output (the kernel sends none when it dies)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    for index, cell in enumerate(nb.cells):
        try:
            client.execute_cell(cell, index)
        except CellExecutionError:
            return index, cell
        except DeadKernelError:
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename="DeadKernelError",
                    evalue="the kernel died (out of memory, or a crash in native code)",
                    traceback=[],
                )
            )
            return index, cell
    return None


def _write(nb: Any, failed: tuple[int, Any] | None, target: Path) -> None:
    """The executed notebook: this run's outputs, none of the 2017 outputs of cells that did
    not run, and the kernel it ran on (a ``python2`` kernelspec would not open)."""
    import nbformat

    if failed is not None:
        for cell in nb.cells[failed[0] + 1 :]:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    with atomic_path(target, suffix=".ipynb") as tmp:
        nbformat.write(nb, str(tmp))
    ran = "executed notebook" if failed is None else "executed notebook (up to the failing cell)"
    print(f"{ran}: {target}", file=sys.stderr)


def _report(
    notebook: Path, index: int, cell: Any, not_installed: dict[str, str]
) -> tuple[int, str]:
    """Print the failing cell's traceback where its message does not explain it; the exit
    code and the ``error:`` line (with the cell's line) to print last."""
    error = _error_output(cell)
    count = cell.get("execution_count")
    line = _cell_line(error, count)
    if line is not None:
        line += _blank_lines_before_code(cell.get("source", ""))
    where = f"{notebook}: cell In [{count}]" if count else f"{notebook}: cell {index + 1}"
    if line is not None:
        where += f", line {line}"
    name, value = error.get("ename", "Error"), error.get("evalue", "")
    if name == "SystemExit":  # tf.app.run() or sys.exit(): the exit code, as for a script
        code = int(value) if value.lstrip("-").isdigit() else (0 if value in ("", "None") else 1)
        return (
            code,
            f"note: {where}: the notebook exited (SystemExit: {value or 0}); later cells not run",
        )
    explained = _explain(error, notebook, not_installed)
    if explained is None:
        traceback = "\n".join(error.get("traceback", []))
        if not sys.stderr.isatty():
            traceback = ANSI.sub("", traceback)
        if traceback:
            print(traceback, file=sys.stderr)
        message = f"{name}: {value}" if value else name
    else:
        message = explained[0]
    message = f"error: {where}: {message}"
    source_lines = cell.get("source", "").splitlines()
    if line is not None and 0 < line <= len(source_lines) and source_lines[line - 1].strip():
        message += f"\n    {source_lines[line - 1].strip()}"
    return 1, message
