"""NumPy 1.x spellings that NumPy 2 removed, for the legacy script only.

A TF1-era script writes ``np.float``, ``np.asscalar(x)`` or ``np.reshape(a, newshape=...)``;
NumPy 2 raises on all three, possibly after hours of training (``newshape`` is often in the
evaluation that follows the loop).
The script (and the helper modules beside it) get a proxy of ``numpy`` that answers those
spellings with their NumPy 2 equivalents and says so once on stderr, naming the old spelling
and the script's line.  ``sys.modules["numpy"]`` stays the real module: TensorFlow, our own
code and every other library see NumPy unchanged.
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import gc
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Removed name -> (its NumPy 2 spelling, the value).
REMOVED: dict[str, tuple[str, Any]] = {
    "float": ("float", float),
    "int": ("int", int),
    "bool": ("bool", bool),
    "object": ("object", object),
    "complex": ("complex", complex),
    "str": ("str", str),
    "unicode": ("str", str),
    "long": ("int", int),
    "float_": ("np.float64", np.float64),
    "complex_": ("np.complex128", np.complex128),
    "string_": ("np.bytes_", np.bytes_),
    "unicode_": ("np.str_", np.str_),
    "int0": ("np.intp", np.intp),
    "uint0": ("np.uintp", np.uintp),
    "bool8": ("np.bool_", np.bool_),
    "NaN": ("np.nan", np.nan),
    "NAN": ("np.nan", np.nan),
    "Inf": ("np.inf", np.inf),
    "Infinity": ("np.inf", np.inf),
    "infty": ("np.inf", np.inf),
    "PINF": ("np.inf", np.inf),
    "NINF": ("-np.inf", -np.inf),
    "PZERO": ("0.0", 0.0),
    "NZERO": ("-0.0", -0.0),
    "asscalar": ("a.item()", lambda a: np.asarray(a).item()),
    "product": ("np.prod", np.prod),
    "cumproduct": ("np.cumprod", np.cumprod),
    "alltrue": ("np.all", np.all),
    "sometrue": ("np.any", np.any),
    "round_": ("np.round", np.round),
    "in1d": ("np.isin(...).ravel()", lambda a, b, **kw: np.isin(a, b, **kw).ravel()),
    "trapz": ("np.trapezoid", getattr(np, "trapezoid", None)),
    "msort": ("np.sort(a, axis=0)", lambda a: np.sort(a, axis=0)),
    "asfarray": (
        "np.asarray(a, dtype=float)",
        lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
    ),
    "mat": ("np.asmatrix", np.asmatrix),
    "rank": ("np.ndim", np.ndim),
    "alen": ("len(a)", len),
}


def _reshape(a: Any, *args: Any, **kwargs: Any) -> Any:
    if "newshape" in kwargs:
        _notice("np.reshape(..., newshape=...)", "np.reshape(..., shape=...)")
        kwargs["shape"] = kwargs.pop("newshape")
    return np.reshape(a, *args, **kwargs)


_noticed: set[str] = set()


def _notice(old: str, new: str) -> None:
    if old in _noticed:
        return
    _noticed.add(old)
    where = _script_frame()
    print(
        f"note: {where}{old} was removed in NumPy 2; tf1_mnist.legacy uses {new}",
        file=sys.stderr,
    )


_scope: list[Path] = []


def _script_frame() -> str:
    """``SCRIPT:LINE: `` of the innermost caller inside the script's folder, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if _in_scope(filename):
            return f"{filename}:{frame.f_lineno}: "
        frame = frame.f_back
    return ""


def _in_scope(filename: str | None) -> bool:
    if not filename or filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    return any(path.is_relative_to(folder) for folder in _scope)


class _NumPy1(types.ModuleType):
    """``numpy`` as a NumPy 1.x script sees it."""

    def __getattr__(self, name: str) -> Any:
        if name == "reshape":
            return _reshape
        try:
            return getattr(np, name)
        except AttributeError:
            if name not in REMOVED or REMOVED[name][1] is None:
                raise
        spelling, value = REMOVED[name]
        _notice(f"np.{name}", spelling)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(np)) | set(REMOVED))


_proxy = _NumPy1("numpy", np.__doc__)
_proxy.__file__ = np.__file__
_proxy.__path__ = list(np.__path__)
_proxy.__version__ = np.__version__


def _tostring(self: Any, order: str = "C") -> bytes:
    _notice("ndarray.tostring()", "ndarray.tobytes()")
    return self.tobytes(order)


def _add_tostring() -> None:
    """``a.tostring()`` (every TFRecord writer of the era): NumPy 2 removed the method from
    ndarray and the scalar types, which are C types whose attributes Python code cannot set;
    their type dictionaries get it back, as ``tobytes``."""
    for cls in (np.ndarray, np.generic):
        if hasattr(cls, "tostring"):
            continue
        gc.get_referents(cls.__dict__)[0]["tostring"] = _tostring
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))


def install(script_dir: Path) -> None:
    """From now on, ``import numpy`` in code under ``script_dir`` gets the NumPy 1.x proxy."""
    _scope.append(script_dir.resolve())
    # NumPy 2 prints a scalar as `np.float32(0.97)`; the era's scripts print dicts of them
    # (an estimator's evaluate results) and their readers expect `0.97`.
    np.set_printoptions(legacy="1.25")
    _add_tostring()
    real_import: Callable = builtins.__import__
    if getattr(real_import, "numpy1_proxy", False):
        return

    @functools.wraps(real_import)
    def importing(name: str, globals: Any = None, locals: Any = None, fromlist=(), level=0):
        module = real_import(name, globals, locals, fromlist, level)
        if module is np and level == 0 and globals and _in_scope(globals.get("__file__")):
            return _proxy
        return module

    importing.numpy1_proxy = True
    builtins.__import__ = importing
