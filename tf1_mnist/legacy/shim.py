"""The ``tensorflow`` a TF 0.x/1.x script imports under the legacy runner.

``tf`` is ``tf.compat.v1`` with v2 behaviour disabled, plus what TensorFlow 1.x had and 2.x moved
or removed: the 0.x names 1.0 renamed (``tf.mul``, ``tf.scalar_summary``, ``tf.nn.rnn``, ...),
``tf.app.flags`` read before parsing, the ``tf.contrib`` parts with an exact 1.x equivalent
(``tf1_mnist.legacy.contrib``), TensorFlow's tutorial modules ``input_data`` and ``mnist``, and
``tf.keras.datasets.mnist`` reading the local MNIST, and ``tf.estimator``
(``tf1_mnist.legacy.estimator``, on TensorFlow's own session hooks).  Whatever cannot work (the
rest of ``tf.contrib``) raises a :class:`Refusal` whose message names a replacement.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
import types
from collections.abc import Callable
from typing import Any

from tf1_mnist import input_data
from tf1_mnist.legacy import contrib, keras_compat
from tf1_mnist.legacy.namespace import (
    Lazy,
    Namespace,
    Provided,
    RefusedImport,
    RefusedName,
    package_module,
)
from tf1_mnist.support import quiet

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
        "initialize_all_variables": _initialize_all_variables(v1),
        "initialize_variables": v1.variables_initializer,
        "initialize_local_variables": v1.local_variables_initializer,
        "initialize_all_tables": v1.tables_initializer,
        "all_variables": v1.global_variables,
        "VARIABLES": v1.GraphKeys.GLOBAL_VARIABLES,
    }


def _initialize_all_variables(v1: Any) -> Callable:
    """TF 0.x's ``initialize_all_variables()``: before 0.12 every variable was global, the
    input producers' epoch counters too (now local variables), so it initialized them all."""

    def initialize_all_variables() -> Any:
        return v1.group(
            v1.global_variables_initializer(), v1.local_variables_initializer(), name="init"
        )

    return initialize_all_variables


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


def _nn(v1: Any) -> Namespace:
    logits_ops = {
        name: _named_logits(getattr(v1.nn, name))
        for name in (
            "softmax_cross_entropy_with_logits",
            "sparse_softmax_cross_entropy_with_logits",
            "sigmoid_cross_entropy_with_logits",
        )
    }
    # TF 0.x's RNN functions, renamed static_* by 1.0.
    rnn = {"rnn": v1.nn.static_rnn, "bidirectional_rnn": v1.nn.static_bidirectional_rnn}
    return Namespace("tensorflow.nn", v1.nn, {**logits_ops, **rnn})


def _patch_rnn_module() -> None:
    """``from tensorflow.python.ops import rnn`` then ``rnn.rnn(...)`` (TF 0.9-0.12): the
    module is TensorFlow's own, its two 0.x functions added under their old names; and
    ``tensorflow.python.ops.constant_op`` (0.x), which moved to ``framework``."""
    from tensorflow.python.framework import constant_op
    from tensorflow.python.ops import cond, control_flow_case, control_flow_ops, rnn

    # `control_flow_ops.cond`/`.case` (TF 1.x; tf_slim's batch_norm and data providers call
    # them there): TensorFlow 2.13 moved them to their own modules.
    for name, value in (("cond", cond.cond), ("case", control_flow_case.case)):
        if not hasattr(control_flow_ops, name):
            setattr(control_flow_ops, name, value)
    rnn.rnn = rnn.static_rnn
    rnn.bidirectional_rnn = rnn.static_bidirectional_rnn
    sys.modules.setdefault("tensorflow.python.ops.constant_op", constant_op)


def _models_rnn(v1: Any) -> dict[str, types.ModuleType]:
    """``from tensorflow.models.rnn import rnn, rnn_cell`` (TF 0.6-0.8), with that era's
    semantics: LSTM states concatenated by default (``state_is_tuple=False``; 1.0 made tuples
    the default), cells taking the old ``input_size`` argument (ignored since 0.9), and
    ``bidirectional_rnn`` returning the outputs alone (0.9 added the two final states)."""
    cells = types.ModuleType("tensorflow.models.rnn.rnn_cell")
    cells.__dict__.update(
        {name: getattr(v1.nn.rnn_cell, name) for name in dir(v1.nn.rnn_cell) if name[0] != "_"}
    )

    def old_cell(base: type, concatenated: bool) -> type:
        def __init__(self: Any, num_units: int, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("input_size", None)
            if concatenated:
                kwargs.setdefault("state_is_tuple", False)
            base.__init__(self, num_units, *args, **kwargs)

        return type(base.__name__, (base,), {"__init__": __init__})

    cells.BasicLSTMCell = old_cell(v1.nn.rnn_cell.BasicLSTMCell, concatenated=True)
    cells.GRUCell = old_cell(v1.nn.rnn_cell.GRUCell, concatenated=False)
    cells.BasicRNNCell = old_cell(v1.nn.rnn_cell.BasicRNNCell, concatenated=False)

    def multi_rnn_cell(cells_: list, state_is_tuple: bool = False) -> Any:
        return v1.nn.rnn_cell.MultiRNNCell(cells_, state_is_tuple=state_is_tuple)

    cells.MultiRNNCell = multi_rnn_cell

    def bidirectional_rnn(*args: Any, **kwargs: Any) -> Any:
        outputs, _, _ = v1.nn.static_bidirectional_rnn(*args, **kwargs)
        return outputs

    rnn = types.ModuleType("tensorflow.models.rnn.rnn")
    rnn.rnn = v1.nn.static_rnn
    rnn.bidirectional_rnn = bidirectional_rnn
    rnn.rnn_cell = cells
    package = package_module("tensorflow.models.rnn")
    package.rnn, package.rnn_cell = rnn, cells
    models = package_module("tensorflow.models")
    models.rnn = package
    return {
        "tensorflow.models": models,
        "tensorflow.models.rnn": package,
        "tensorflow.models.rnn.rnn": rnn,
        "tensorflow.models.rnn.rnn_cell": cells,
    }


def _session(session_class: type, mixed_precision: bool) -> type:
    """A session that places an op pinned to a device this machine lacks (``/gpu:0`` in a
    GPU-era script) on one it has, as ``allow_soft_placement`` does, instead of failing; and
    computes in mixed precision with the runner's ``--mixed_precision``."""

    def __init__(self: Any, target: str = "", graph: Any = None, config: Any = None) -> None:
        import tensorflow as real_tf

        from tf1_mnist.support import mixed_precision as precision  # not the flag's name

        placed = real_tf.compat.v1.ConfigProto()
        if config is not None:
            placed.CopyFrom(config)  # the script's own options, and these on top
        placed.allow_soft_placement = True
        precision.apply(placed, mixed_precision)
        session_class.__init__(self, target, graph, placed)

    return type(session_class.__name__, (session_class,), {"__init__": __init__})


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


def _flags_module(v1: Any) -> Namespace:
    from absl import flags as absl_flags

    real = absl_flags.FLAGS
    extra = {
        name: _define(getattr(v1.flags, name), real)
        for name in dir(v1.flags)
        if name.startswith("DEFINE_")
    }
    extra["FLAGS"] = _AutoParsedFlags(real)
    return Namespace("tensorflow.app.flags", v1.flags, extra)


# --------------------------------------------------------------------------- imports


class _Finder(importlib.abc.MetaPathFinder):
    """``import tensorflow.contrib.rnn``, ``from tensorflow.keras.datasets import mnist``:
    import names under ``tensorflow.<root>`` resolved through the shim's namespaces, so the
    import forms and the attribute form (``tf.contrib.rnn``) give the same module or the same
    refusal.  (Python turns a failed ``from tensorflow.contrib import x`` into its own
    "cannot import name" unless the import of the submodule raises first: this raises first.)
    """

    def __init__(self, tf: Namespace, real_path: list[str]) -> None:
        self.tf, self.real_path = tf, real_path

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        parts = fullname.split(".")
        if parts[0] == "tensorflow_estimator" or parts[:3] == ["tensorflow", "python", "estimator"]:
            return _estimator_spec(fullname, self.tf)
        if parts[0] != "tensorflow" or len(parts) < 2:
            return None
        top = f"tensorflow.{parts[1]}"
        if importlib.machinery.PathFinder.find_spec(top, self.real_path) is not None:
            return None  # TensorFlow's own module (tensorflow.python...): imported as usual
        parent: Any = None
        obj: Any = self.tf
        for part in parts[1:]:
            parent = obj
            try:
                obj = getattr(obj, part)
            except RefusedName as e:
                if part == parts[-1] and _is_package(parent) and parent is not self.tf:
                    found = importlib.machinery.PathFinder.find_spec(fullname, parent.__path__)
                    if found is not None:
                        return found  # a real subpackage (tf_slim.nets)
                raise RefusedImport(str(e), name=fullname) from e
        return importlib.machinery.ModuleSpec(fullname, Provided(obj))


class _LocalLoader(importlib.abc.MetaPathFinder):
    """A bare ``import input_data``: TensorFlow 0.5-0.6's tutorials had the reader download
    TensorFlow's ``input_data.py`` beside the script, and many collections shipped a copy.
    Such a copy downloads MNIST from mirrors that are gone and ignores ``$TF1_MNIST_DATA_DIR``,
    and a script copied without it finds none: both get ``tf1_mnist.input_data`` (the same
    API), with a note saying so.  A loader of the script's own is imported as it is."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "input_data" or path is not None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname)
        if spec is None:
            print(
                "note: the script imports `input_data`, TensorFlow's MNIST loader that its "
                "tutorial had you download beside it; using tf1_mnist.input_data (the same API)",
                file=sys.stderr,
            )
            return importlib.machinery.ModuleSpec(fullname, Provided(input_data))
        if not spec.origin or not spec.origin.endswith(".py"):
            return None
        try:
            text = open(spec.origin, encoding="utf-8", errors="replace").read()
        except OSError:
            return None
        if not ("def maybe_download" in text and "def read_data_sets" in text):
            return None  # a loader of the script's own: imported as is
        print(
            f"note: {spec.origin} is a copy of TensorFlow's MNIST loader, which downloads "
            "from mirrors that are gone; using tf1_mnist.input_data (the same API, and it "
            "finds $TF1_MNIST_DATA_DIR)",
            file=sys.stderr,
        )
        return importlib.machinery.ModuleSpec(fullname, Provided(input_data))


def _estimator_spec(fullname: str, tf: Namespace) -> Any:
    """``tensorflow.python.estimator...`` and ``tensorflow_estimator...``: TF 1.x's estimator
    modules, answered by ``tf1_mnist.legacy.estimator`` (TensorFlow 2.16 has none)."""
    from tf1_mnist.legacy import estimator

    module = estimator.module_for(fullname, tf.estimator)
    if module is None:
        raise RefusedImport(estimator.missing_module(fullname), name=fullname)
    return importlib.machinery.ModuleSpec(fullname, Provided(module))


def _is_package(module: Any) -> bool:
    try:
        return bool(getattr(module, "__path__", None))
    except AttributeError:
        return False


def _gpu_usable(real_tf: Any) -> Callable[[], bool]:
    """``tf.test.is_built_with_cuda()``: every TensorFlow 2 wheel is, so the official models'
    ``channels_first if is_built_with_cuda() else channels_last`` built NCHW convolutions a
    CPU cannot run; what those programs meant was whether a GPU is usable."""

    def is_built_with_cuda() -> bool:
        return bool(real_tf.config.list_physical_devices("GPU"))

    return is_built_with_cuda


def seed_every_graph(seed: int) -> None:
    """The graph-level seed of the default graph and of every graph made from now on (a
    script's own ``with tf.Graph().as_default():``, an estimator's), as ``--seed`` promises."""
    from tensorflow.python.framework import ops

    real_init = ops.Graph.__init__

    @functools.wraps(real_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self.seed = seed

    ops.Graph.__init__ = __init__
    ops.get_default_graph().seed = seed


def _estimator_namespace() -> Namespace:
    from tf1_mnist.legacy import estimator

    return estimator.namespace()


def install(mixed_precision: bool = False) -> types.ModuleType:
    """Put the TF1 ``tensorflow`` and the tutorials' import paths into ``sys.modules``
    (once: a second call returns the same namespace)."""
    if isinstance(sys.modules.get("tensorflow"), Namespace):
        return sys.modules["tensorflow"]
    real_tf = _import_tf1()
    # TensorFlow's tutorial `mnist` module imports TensorFlow: only after the quiet import, and
    # before `tensorflow` names the shim (the module is written against the real one).
    from tf1_mnist.legacy import tutorial_mnist

    tf, models_rnn = _tf_namespace(real_tf, mixed_precision)
    # `import tensorflow.python...` finds TensorFlow's own modules; the API paths TensorFlow 2
    # adds (its v2 API, Keras 3's and tf-keras' v2 API) are left out: API modules are v1's.
    package_dir = os.path.dirname(real_tf.__file__)
    tf.__path__ = [package_dir]
    tf.__file__ = real_tf.__file__
    tf.__version__ = real_tf.__version__
    sys.modules["tensorflow"] = tf
    sys.modules.update(models_rnn)
    _install_tutorial_modules(tf, tutorial_mnist)
    sys.meta_path.insert(0, _Finder(tf, [package_dir]))
    sys.meta_path.insert(0, _LocalLoader())
    return tf


def _import_tf1() -> types.ModuleType:
    """The real TensorFlow, imported quietly and switched to TF 1.x behaviour (graphs,
    sessions, Keras 2) before the script sees any of it."""
    # Keras 2 for tf.layers and tf.keras in TF1 graphs, as in TF 1.x: read when TensorFlow is
    # first imported, which in the runner's process is here.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    real_tf = quiet.import_tensorflow()
    v1 = real_tf.compat.v1
    real_tf.get_logger().setLevel("ERROR")  # before the deprecation notices of the next line
    # TF 1.x's log lines once, as `INFO:tensorflow:...`: not again through the root logger,
    # where absl's handler (installed by tf.app.run) would print each a second time.
    real_tf.get_logger().propagate = False
    v1.disable_v2_behavior()
    _patch_rnn_module()
    return real_tf


def _tf_namespace(
    real_tf: types.ModuleType, mixed_precision: bool
) -> tuple[Namespace, dict[str, types.ModuleType]]:
    """``tf`` as a TF1 script sees it: ``tf.compat.v1`` plus the 0.x names and the parts
    TensorFlow 2 moved or dropped; and the ``tensorflow.models.rnn`` modules to register."""
    v1 = real_tf.compat.v1
    train = Namespace("tensorflow.train", v1.train, {"SummaryWriter": v1.summary.FileWriter})
    models_rnn = _models_rnn(v1)
    flags = _flags_module(v1)
    app = Namespace("tensorflow.app", v1.app, {"flags": flags})
    compat = Namespace("tensorflow.compat", v1.compat)
    tf = Namespace(
        "tensorflow",
        v1,
        dict(
            _renames(v1),
            compat=compat,
            estimator=Lazy(_estimator_namespace),
            nn=_nn(v1),
            train=train,
            app=app,
            flags=flags,
            contrib=contrib.namespace(v1),
            keras=keras_compat.namespace(v1),
            types=Namespace("tensorflow.types", v1.dtypes),
            test=Namespace(
                "tensorflow.test", v1.test, {"is_built_with_cuda": _gpu_usable(real_tf)}
            ),  # TF 0.5-0.6 kept dtypes there
            models=models_rnn["tensorflow.models"],
            Session=_session(v1.Session, mixed_precision),
            InteractiveSession=_session(v1.InteractiveSession, mixed_precision),
        ),
    )
    compat._extra["v1"] = tf  # tf.compat.v1.estimator, tf.compat.v1.<0.x name>: the same tf
    return tf, models_rnn


def _install_tutorial_modules(tf: Namespace, tutorial_mnist: types.ModuleType) -> None:
    """TensorFlow's tutorial modules, under their 0.7-1.15 and 0.5-0.6 import paths (the
    scripts import them from there, and TensorFlow 2 no longer ships them)."""
    for root in ("tensorflow.examples.tutorials.mnist", "tensorflow.g3doc.tutorials.mnist"):
        parent = tf
        parts = root.split(".")
        for i in range(2, len(parts) + 1):
            name = ".".join(parts[:i])
            module = sys.modules.get(name) or package_module(name)
            sys.modules[name] = module
            if parent is tf:
                tf._extra.setdefault(parts[i - 1], module)
            else:
                setattr(parent, parts[i - 1], module)
            parent = module
        for name, module in (("input_data", input_data), ("mnist", tutorial_mnist)):
            sys.modules[f"{root}.{name}"] = module
            setattr(parent, name, module)
