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


def front_end(
    options: type[T],
    argv: list[str],
    *,
    prog: str,
    doc: str,
    flags_anywhere: bool = False,
) -> tuple[T, list[str]] | int:
    """A launcher's command line: its own flags, then arguments it passes on (a script and the
    script's arguments, a port's flags).  The same usage, help and exit codes for every such
    command: ``--help`` prints ``doc``, the usage line and the flags (exit 0); a bad flag is one
    ``error:`` line and the usage (exit 2).

    Returns the options and the rest of ``argv``, or the exit code when the command is done.
    ``flags_anywhere``: our flags may come anywhere and unknown ones pass on (the cluster
    launcher hands the port's flags to its tasks); otherwise ours end at the first argument
    that is not a flag (the legacy runner: everything from SCRIPT.py on is the script's).
    """
    usage = f"usage: {(options.__doc__ or '').strip().strip('`')}"
    flag_values = flags.FlagValues()
    define_flags(options(), flag_values)
    if flags_anywhere:
        ours, passed_on = argv, []
    else:
        split = next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))
        ours, passed_on = argv[:split], argv[split:]
    if any(a in ("-h", "--help", "--helpfull") for a in ours):
        print(f"{doc.strip()}\n\n{usage}\n\nflags:\n{flag_values.get_help()}")
        return 0
    try:
        rest = flag_values([prog, *ours], known_only=flags_anywhere)[1:]
    except flags.Error as e:
        note(f"error: {e}\n{usage}")
        return 2
    return parse(options, flag_values), rest + passed_on


def usage_error(options: type, message: str) -> int:
    """A launcher's usage error: one ``error:`` line, the usage line, exit code 2."""
    note(f"error: {message}\nusage: {(options.__doc__ or '').strip().strip('`')}")
    return 2


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
    teardown of TensorFlow (slow, and nothing a finished command needs: its checkpoints,
    summaries and figures are closed; the README's benchmarks give its cost).
    Only for our own commands: a legacy script may rely on teardown to flush its files."""
    logging.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # its reader is gone: the command's work is saved all the same
            pass
    os._exit(code)
