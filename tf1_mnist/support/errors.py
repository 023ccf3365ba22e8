"""The one error family of the package: every failure a user can fix derives from ``Error``.

Commands print such an error as one ``error: ...`` line and exit 1; used as a library it
propagates with its cause (``__cause__``) intact.  Nothing here imports TensorFlow.
"""

from __future__ import annotations


class Error(Exception):
    """A failure the user can fix (bad input, no data, no checkpoint, divergence): a message."""


class ConfigError(Error):
    """A flag or option value that cannot work (unknown model, negative budget, ...)."""


class CheckpointError(Error):
    """No usable checkpoint: none yet, corrupt, or written by another model."""


class DivergedError(Error):
    """The training loss became NaN or infinite."""


class WriteError(Error):
    """A checkpoint or summary could not be written (a full disk, an I/O error)."""
