"""Figures of a legacy script on a machine without a display: saved as PNG, never blocking.

Tutorials end with ``plt.show()`` or wait for a click (``plt.waitforbuttonpress()``).  With no
display those block or fail; here matplotlib draws off-screen (Agg), ``show()`` saves every
open figure as ``<script>_figure_<n>.png`` in the working folder and prints its path, and the
waiting calls return at once.  With a display nothing changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import itertools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tf1_mnist.support.atomic import atomic_path


def headless() -> bool:
    """No display to open a window on (Linux without X11 or Wayland)."""
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


class _PatchedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, patch: Callable[[Any], None]) -> None:
        self.loader, self.patch = loader, patch

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        self.patch(module)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``patch(module)`` right after module ``name`` is first imported."""

    def __init__(self, name: str, patch: Callable[[Any], None]) -> None:
        self.name, self.patch = name, patch

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; and so that the real finders answer next line
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchedLoader(spec.loader, self.patch)
        return spec


def install(workdir: Path, stem: str) -> None:
    """Make ``matplotlib.pyplot`` save instead of show when there is no display."""
    if not headless() or any(isinstance(f, _AfterImport) for f in sys.meta_path):
        return
    os.environ.setdefault("MPLBACKEND", "Agg")
    numbers = itertools.count(1)

    def patch(pyplot: Any) -> None:
        def save_figures() -> None:
            for number in pyplot.get_fignums():
                path = workdir / f"{stem}_figure_{next(numbers)}.png"
                with atomic_path(path, suffix=".png") as tmp:
                    pyplot.figure(number).savefig(tmp, format="png")
                print(f"figure saved (no display): {path}", file=sys.stderr)

        def show(*args: Any, **kwargs: Any) -> None:
            save_figures()
            pyplot.close("all")  # what closing the windows did

        def waitforbuttonpress(*args: Any, **kwargs: Any) -> None:
            save_figures()
            return None  # the time-out answer: no click, no key

        def ginput(*args: Any, **kwargs: Any) -> list:
            save_figures()
            return []

        pyplot.show = show
        pyplot.waitforbuttonpress = waitforbuttonpress
        pyplot.ginput = ginput
        pyplot.pause = lambda interval: None  # Agg's pause only sleeps

    sys.meta_path.insert(0, _AfterImport("matplotlib.pyplot", patch))
