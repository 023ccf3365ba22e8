"""Ctrl-C before a command is ready: one line and exit code 130, never a traceback.

Every command imports TensorFlow at module import time (``tf1_mnist.support.compat``), seconds
before its own Ctrl-C handling exists (``cli.main``'s ``KeyboardInterrupt`` -> "interrupted",
130; the training loop's save-then-stop; the cluster launcher's stop-every-task).  A Ctrl-C in
those seconds escapes ``runpy`` as a ``KeyboardInterrupt`` whose traceback runs through
TensorFlow's import machinery for dozens of lines, and Python then ends the process by the
signal instead of with exit code 130.

``quiet_when_run_as_command`` (called by the package's ``__init__``, so before any heavy
import) puts a ``sys.excepthook`` in front of Python's: an uncaught ``KeyboardInterrupt`` prints
"interrupted" and ends the process with 130; everything else goes to the previous hook
unchanged (an error raised while an interrupt was handled, a failed save, shows as it is).
A command's own handlers still take over once they are installed: they catch the interrupt
before it is uncaught.  Only ``python -m tf1_mnist.<command>`` gets the hook: a program or
notebook that imports the package keeps Python's behaviour.
"""

from __future__ import annotations

import os
import signal
import sys
import types

EXIT_INTERRUPTED = 128 + signal.SIGINT  # what a shell reports for a Ctrl-C'd command


_OPTIONS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}
_previous_hook = sys.excepthook


def running_as_command(argv: list[str] | None = None) -> bool:
    """True when this process is ``python [options] -m tf1_mnist...`` (``sys.orig_argv``)."""
    argv = list(sys.orig_argv if argv is None else argv)[1:]
    while argv:
        arg = argv.pop(0)
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (argv[0] if argv else "")
            return module == "tf1_mnist" or module.startswith("tf1_mnist.")
        if arg in _OPTIONS_WITH_VALUE:
            argv = argv[1:]
        elif arg == "-c" or not arg.startswith("-"):
            return False  # a program (``-c``, a script): a later ``-m`` is its argument
    return False


def quiet_interrupt_hook(
    kind: type[BaseException], error: BaseException, tb: types.TracebackType | None
) -> None:
    """``sys.excepthook``: an interrupt is one line and exit code 130; the rest as before."""
    if not isinstance(error, KeyboardInterrupt):
        _previous_hook(kind, error, tb)
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot cut this short
    try:
        sys.stdout.flush()
    except Exception:  # a closed or broken stdout: the exit code still says it all
        pass
    try:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def quiet_when_run_as_command() -> None:
    """Install the hook (once) when this process is one of the package's commands."""
    global _previous_hook
    if running_as_command() and sys.excepthook is not quiet_interrupt_hook:
        _previous_hook = sys.excepthook
        sys.excepthook = quiet_interrupt_hook
