"""What a run prints: the post's own lines on stdout, everything we add on stderr.

A reader puts the post beside the terminal and compares line by line, so a port's lines are
the post's ``%`` format strings, verbatim (its Chinese text, spacing and number formats), with
an English translation for ``--lang=en``.  Where a post prints nothing of a kind (a test
accuracy, a per-step line), the harness prints its own line, on stderr: so are the restored
checkpoint, the paths of figures, progress and every other note of ours.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

LANGS = ("post", "en")
"""``post``: the post's own lines; ``en``: their English translation."""


@dataclasses.dataclass(frozen=True)
class Line:
    """A ``%`` format string and the names of the values it takes, in order."""

    fmt: str
    fields: tuple[str, ...]

    def format(self, values: Mapping[str, Any]) -> str:
        return self.fmt % tuple(values[name] for name in self.fields)


@dataclasses.dataclass(frozen=True)
class Lines:
    """The lines a post prints, in one language; None where the post prints none.

    Values a line may name: ``step``, ``batch_size``, ``loss``, ``accuracy`` (of the training
    batch, in the training step), ``eval_accuracy`` (of the training batch before the step,
    evaluation feed: dropout off), ``epoch``, ``test_accuracy``, ``test_accuracy_float32``
    (what ``print(sess.run(accuracy))`` shows), ``index``, ``true``, ``predicted``.
    """

    step: Line | None = None
    """Every ``--log_every`` steps."""
    validation: Line | None = None
    """Every ``--eval_every`` steps (validation loss and accuracy)."""
    test: Line | None = None
    """After training (test accuracy)."""
    sample: Line | None = None
    """Each sample predicted with ``--is_train=0``."""


OURS = Lines(
    step=Line(
        "step %d: loss of the %d samples %f, accuracy %f",
        ("step", "batch_size", "loss", "accuracy"),
    ),
    validation=Line("%s: validation loss %9f, accuracy %.4f", ("where", "loss", "accuracy")),
    test=Line("test accuracy: %.4f", ("test_accuracy",)),
    sample=Line("sample %d: true digit %d, predicted digit %d", ("index", "true", "predicted")),
)
"""The harness's own lines, for what a post does not print (on stderr, except ``sample``:
predicting is what ``--is_train=0`` is for, so its lines are the command's output)."""


def say(kind: str, lines: Lines, values: Mapping[str, Any]) -> None:
    """Print the post's line of ``kind`` on stdout, or ours on stderr if it has none (or its
    line needs a value this event lacks, such as a whole epoch)."""
    line = getattr(lines, kind)
    if line is not None and all(values.get(name) is not None for name in line.fields):
        print(line.format(values))
        return
    ours = getattr(OURS, kind)
    if kind == "sample":
        print(ours.format(values))
    else:
        note(ours.format(values))


def note(message: str) -> None:
    """A line of ours (restored checkpoint, figure paths, ...): stderr, never the post's.

    One write, newline included (``print`` makes two, and TensorFlow's C++ threads log to the
    same file descriptor in between).  A stderr whose reader is gone (a closed pipe, a killed
    launcher) swallows the line: a note must never stop a run before it saves."""
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except OSError:
        pass
