"""A port's graph as every run uses it: the post's ``build``, plus the global step, the
prediction ops, one ``Saver`` and the merged summaries, in a finalized ``tf.Graph``.

TensorFlow's ``mnist.py`` split its graph into ``inference``, ``loss``, ``training`` and
``evaluation``; the ports keep that split in their ``build``, and this adds what the runner needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tf1_mnist.support.compat import global_step, tf
from tf1_mnist.training import checkpoints
from tf1_mnist.training.config import Config
from tf1_mnist.training.ports import Model, ModelSpec


class _Saver(tf.train.Saver):
    """TensorFlow's ``Saver``, whose ``max_to_keep`` also holds in a folder named with glob
    characters (``run[1]``), for every save: the loop's and a cluster chief's hook's."""

    def save(self, sess: Any, save_path: str, *args: Any, **kwargs: Any) -> Any:
        path = super().save(sess, save_path, *args, **kwargs)
        if path:
            checkpoints.forget_dropped(path)
        return path


@dataclasses.dataclass(frozen=True)
class BuiltGraph:
    """The port's graph plus what the runner adds: global step, prediction, saver, summaries."""

    spec: ModelSpec
    graph: Any
    model: Model
    global_step: Any
    probabilities: Any
    prediction: Any
    summaries: Any
    saver: Any
    init: Any
    extras: dict = dataclasses.field(default_factory=dict)
    """Ops a caller added before the graph was finalized (``extend``)."""


def build_graph(
    spec: ModelSpec,
    cfg: Config,
    device: Any = None,
    extend: Callable[[], dict] | None = None,
    finalize: bool = True,
) -> BuiltGraph:
    """Build ``spec``'s graph in a new ``tf.Graph`` and finalize it (no op can be added later:
    the post 002 bug of adding ops per prediction fails loudly instead of leaking).

    ``device`` places the ops (a ``replica_device_setter`` for a cluster); ``extend`` adds ops
    of the caller's before the graph is finalized, returned as ``extras``; ``finalize=False``
    leaves that to the caller (a ``MonitoredTrainingSession``, whose hooks add their ops).
    """
    graph = tf.Graph()
    with graph.as_default(), tf.device(device):
        tf.set_random_seed(cfg.seed)
        model = spec.build(cfg)
        step = global_step()
        with tf.name_scope("predict"):
            probabilities = (
                model.probabilities
                if model.probabilities is not None
                else tf.nn.softmax(model.logits)
            )
            prediction = tf.argmax(probabilities, 1)
        built = BuiltGraph(
            spec=spec,
            graph=graph,
            model=model,
            global_step=step,
            probabilities=probabilities,
            prediction=prediction,
            summaries=tf.summary.merge_all(),
            # Relative names in the `checkpoint` state file: the folder can be copied or moved.
            saver=_Saver(max_to_keep=5, save_relative_paths=True),
            init=tf.global_variables_initializer(),
            extras=extend() if extend is not None else {},
        )
    if finalize:
        graph.finalize()
    return built
