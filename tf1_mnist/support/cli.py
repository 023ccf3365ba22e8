"""One command-line convention for every command: a dataclass of options becomes absl flags.

Each option is a dataclass field made by :func:`option`, which keeps its help text in the
field's metadata. :func:`define_flags` turns the fields of a dataclass instance into absl flags
(bool, int, float, str, a list of strings, or an enum when the field names its choices) with the
instance's values as defaults, :func:`parse` reads them back into the dataclass, and
:func:`main` runs ``absl.app.run``: every :class:`tf1_mnist.support.errors.Error` becomes one
``error: ...`` line and exit code 1, Ctrl-C exit code 130. Flags are defined when a command
starts, never on import, so importing any module leaves the flag namespace to its caller.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

from absl import app, flags, logging

from tf1_mnist.support import errors
from tf1_mnist.support.console import note

FLAGS = flags.FLAGS
T = TypeVar("T")


def option(default: Any, help: str, *, choices: Sequence[str] | None = None) -> Any:
    """A dataclass field that is also a command-line flag: its default, help and choices."""
    metadata = {"help": help, "choices": tuple(choices) if choices else None}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def flag_type(hint: Any) -> type:
    """``int | None`` -> int; ``list[str]`` -> list."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return typing.get_origin(hint) or hint


def define_flags(options: Any, flag_values: flags.FlagValues = FLAGS) -> None:
    """Define one flag per field of the dataclass instance ``options``, defaulting to its values.

    A flag already defined (a second command in one process, tests) only gets the new default.
    """
    hints = typing.get_type_hints(type(options))
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if field.name in flag_values:
            flag_values.set_default(field.name, value)
            continue
        kind = flag_type(hints[field.name])
        help_text = field.metadata.get("help") or field.name
        choices = field.metadata.get("choices")
        if choices:
            flags.DEFINE_enum(field.name, value, choices, help_text, flag_values=flag_values)
            continue
        define = {
            bool: flags.DEFINE_bool,
            int: flags.DEFINE_integer,
            float: flags.DEFINE_float,
            str: flags.DEFINE_string,
            list: flags.DEFINE_list,
        }[kind]
        define(field.name, value, help_text, flag_values=flag_values)


def parse(cls: type[T], flag_values: flags.FlagValues = FLAGS) -> T:
    """The dataclass ``cls`` filled from the parsed flags of the same names."""
    return cls(**{f.name: flag_values[f.name].value for f in dataclasses.fields(cls)})


def report(error: BaseException) -> int:
    """Print a user-fixable error as one line; return the command's exit code."""
    if isinstance(error, KeyboardInterrupt):
        note("interrupted")
        return 130
    note(f"error: {error}")
    return 1


def main(
    run: Callable[[T, list[str]], int],
    defaults: T,
    *,
    positional: str | None = None,
) -> None:
    """``absl.app.run`` a command: flags from ``defaults``' fields, then ``run(options, args)``.

    ``positional`` names the positional arguments the command takes (for its usage error);
    without it any positional argument is a usage error.  When ``run`` has returned, every
    file it wrote is closed, and the process ends at once (``finish``).
    """
    define_flags(defaults)

    def _main(argv: list[str]) -> int:
        args = argv[1:]
        if positional is None and args:
            raise app.UsageError(f"unexpected arguments: {' '.join(args)}")
        if positional is not None and not args:
            raise app.UsageError(f"name {positional}")
        try:
            code = run(parse(type(defaults)), args)
        except (errors.Error, KeyboardInterrupt) as e:
            code = report(e)
        finish(code)

    app.run(_main)


def finish(code: int) -> NoReturn:
    """End a command's process with ``code`` once its output is flushed, skipping Python's
    teardown of TensorFlow (about 0.8 s on 2 cores, a sixth of a small port's whole run, and
    nothing a finished command needs: its checkpoints, summaries and figures are closed).
    Only for our own commands: a legacy script may rely on teardown to flush its files."""
    logging.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # its reader is gone: the command's work is saved all the same
            pass
    os._exit(code)
