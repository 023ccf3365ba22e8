"""The building blocks of the legacy runner's ``tensorflow``: namespaces that forward to a real
module with extra and refused names, lazily loaded values, empty packages, and the refusals.

They sit below every module that builds a part of the shim (``shim``, ``contrib``,
``keras_compat``), so those import them from here and nothing imports back.
"""

from __future__ import annotations

import importlib.abc
import types
from collections.abc import Callable
from typing import Any

from tf1_mnist.support.errors import Error


class Refusal(Error):
    """Something of TF 0.x/1.x the runner cannot provide; the message says what to use."""


class RefusedName(Refusal, AttributeError):
    """``tf.<name>`` that cannot be provided (an AttributeError, so ``hasattr`` stays False)."""


class RefusedImport(Refusal, ImportError):
    """``import tensorflow.<module>`` that cannot be provided."""


class Namespace(types.ModuleType):
    """A module that forwards to ``target`` after ``extra``; ``refused`` names raise clearly,
    and so does any name ``target`` lacks (with ``missing(name)``'s message if given).

    ``target`` may be a ``Lazy``: loaded on first use, so ``tf.contrib.slim`` imports tf_slim
    only when a script touches it.
    """

    def __init__(
        self,
        name: str,
        target: Any,
        extra: dict | None = None,
        refused: dict[str, str] | None = None,
        missing: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(name)
        self._target_or_lazy, self._extra = target, dict(extra or {})
        self._refused, self._missing = dict(refused or {}), missing

    @property
    def _target(self) -> Any:
        if isinstance(self._target_or_lazy, Lazy):
            self._target_or_lazy = self._target_or_lazy.load()
        return self._target_or_lazy

    def __getattr__(self, attr: str) -> Any:
        if attr == "__path__":  # a package to `import`, so `from tf.x import y` asks _Finder
            return getattr(self._target, "__path__", [])
        if attr.startswith("__"):  # __spec__, __file__...: the target's, or a plain miss
            return getattr(self._target, attr)
        if attr in self._refused:
            raise RefusedName(self._refused[attr])
        if attr in self._extra:
            value = self._extra[attr]
            if isinstance(value, Lazy):
                value = self._extra[attr] = value.load()
            return value
        try:
            return getattr(self._target, attr)
        except AttributeError as e:
            if self._missing is not None:
                raise RefusedName(self._missing(attr)) from e
            raise RefusedName(
                f"`{self.__name__}.{attr}` does not exist in TensorFlow 1.x's API "
                "(tf.compat.v1), nor among the 0.x names tf1_mnist.legacy maps"
            ) from e

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._target)) | set(self._extra))


class Lazy:
    """A value built on first use (tf.contrib.layers imports tf_slim, which takes a while)."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self.load = load


class Provided(importlib.abc.Loader):
    """Loads an object the shim already holds (a Namespace, a module) under an import name."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def create_module(self, spec: Any) -> Any:
        return self.module

    def exec_module(self, module: Any) -> None:
        pass


def package_module(name: str) -> types.ModuleType:
    """An empty package (a ``__path__``, so that ``import name.sub`` is looked up)."""
    module = types.ModuleType(name)
    module.__path__ = []
    return module
