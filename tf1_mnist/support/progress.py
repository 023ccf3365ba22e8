"""Progress of a long run on stderr, as users of the field know it (tqdm, Keras): on a terminal
one line redrawn in place; otherwise (a log file, CI) a plain line every few seconds.

The line is ours, on stderr: stdout stays the post's output.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

BAR_WIDTH = 24


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """Steps from ``first`` towards ``total``: ``update(step)`` after each, ``close()`` at the
    end.  Silent for the first ``delay`` seconds, so a short run prints nothing."""

    def __init__(
        self,
        first: int,
        total: int,
        *,
        stream: TextIO | None = None,
        delay: float = 10.0,
        every: float | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.first, self.total = first, max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        if interactive is None:
            interactive = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.interactive = interactive
        self.delay = delay
        # Redrawn often on a terminal; a line every `delay` seconds in a log.
        self.every = every if every is not None else (0.2 if interactive else delay)
        self.start = time.perf_counter()
        self.shown_at = 0.0
        self.drawn = False
        self.step = first

    def line(self, step: int, elapsed: float) -> str:
        """``[#####-------] 10252/27500  37% 12.3 steps/s, 03:12<23:21``"""
        done = (step - self.first) / elapsed if elapsed > 0 else 0.0
        left = (self.total - step) / done if done > 0 else 0.0
        fraction = min(max(step / self.total, 0.0), 1.0)
        filled = int(round(fraction * BAR_WIDTH))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return (
            f"[{bar}] {step}/{self.total} {100 * fraction:3.0f}% {done:.1f} steps/s, "
            f"{_clock(elapsed)}<{_clock(left)}"
        )

    def update(self, step: int) -> None:
        self.step = step
        elapsed = time.perf_counter() - self.start
        if elapsed < self.delay or elapsed - self.shown_at < self.every:
            return
        self.shown_at = elapsed
        if self.interactive:
            self._write("\r" + self.line(step, elapsed) + "\x1b[K")
            self.drawn = True
        else:
            self._write(self.line(step, elapsed) + "\n")

    def clear(self) -> None:
        """Take the redrawn line away before another line is printed (it comes back)."""
        if self.drawn:
            self._write("\r\x1b[K")
            self.drawn = False

    def close(self) -> None:
        """Draw the last step and end the redrawn line: what follows starts on its own line."""
        if self.drawn:
            elapsed = time.perf_counter() - self.start
            self._write("\r" + self.line(self.step, elapsed) + "\x1b[K\n")
            self.drawn = False

    def _write(self, text: str) -> None:
        # A stream whose reader is gone (a closed pipe) loses the line, never the run.
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:
            pass
