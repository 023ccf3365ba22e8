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
            _drive_animations(pyplot)
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


def _drive_animations(pyplot: Any) -> None:
    """Run each finite ``FuncAnimation`` of an open figure to its last frame: the codelab's
    training happens inside the animation's step function, which only a window's timer
    would call."""
    import matplotlib.animation as animation

    open_figures = set(pyplot.get_fignums())
    for anim in list(_animations):
        frames = getattr(anim, "_save_count", None)
        figure = getattr(anim, "_fig", None)
        if not isinstance(frames, int) or figure is None or figure.number not in open_figures:
            continue
        _animations.remove(anim)
        figure.canvas.mpl_disconnect(anim._first_draw_id)  # no timer-driven start on savefig
        anim._draw_was_started = True
        if anim._init_func is not None:
            anim._init_func()
        for frame in anim.new_frame_seq():
            anim._func(frame, *anim._args)
    del animation


_animations: list[Any] = []


def era_matplotlib(script_dir: Path) -> None:
    """The matplotlib API of the TF1 era where it moved: ``canvas.set_window_title`` (removed
    in 3.6), ``legend.draggable`` (3.2), ``ax.collections.remove`` (3.5), and style files named
    relative to the script's folder (the codelab's ``tensorflowvisu.mplstyle``, wherever the
    script is run from)."""

    def patch_matplotlib(matplotlib: Any) -> None:
        from matplotlib import animation, backend_bases, legend, style

        def set_window_title(canvas: Any, title: str) -> None:
            if canvas.manager is not None:
                canvas.manager.set_window_title(title)

        if not hasattr(backend_bases.FigureCanvasBase, "set_window_title"):
            backend_bases.FigureCanvasBase.set_window_title = set_window_title
        if not hasattr(legend.Legend, "draggable"):
            legend.Legend.draggable = lambda self, state=None, use_blit=False, update="loc": (
                self.set_draggable(
                    not self.get_draggable() if state is None else state, use_blit, update
                )
            )
        # `ax.collections.remove(c)` (the codelab empties its histograms so): the axes' lists
        # became read-only views in 3.5; removing the artist is what the call did.
        from matplotlib.axes import _base

        artist_list = _base._AxesBase.ArtistList
        if not hasattr(artist_list, "remove"):
            artist_list.remove = lambda self, artist: artist.remove()
        real_use = style.use

        def use(names: Any) -> None:
            listed = [names] if isinstance(names, (str, Path, dict)) else list(names)
            resolved = []
            for name in listed:
                if (
                    isinstance(name, (str, Path))
                    and not Path(name).exists()
                    and (script_dir / name).exists()
                ):
                    name = str(script_dir / name)
                resolved.append(name)
            real_use(resolved)

        style.use = use
        matplotlib.style.use = use
        real_init = animation.FuncAnimation.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            real_init(self, *args, **kwargs)
            _animations.append(self)

        animation.FuncAnimation.__init__ = init

    if "matplotlib" in sys.modules:
        patch_matplotlib(sys.modules["matplotlib"])
    elif not any(isinstance(f, _AfterImport) and f.name == "matplotlib" for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("matplotlib", patch_matplotlib))
