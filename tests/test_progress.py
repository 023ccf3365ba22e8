"""Progress of long runs: a redrawn bar on a terminal, plain lines in a log, nothing for a
short run, and never glued to another line."""

from __future__ import annotations

import io
import re

import pytest

from tf1_mnist.support import progress
from tf1_mnist.support.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress.time, "perf_counter", fake)
    return fake


def test_a_log_gets_a_plain_line_every_few_seconds(clock: Clock) -> None:
    out = io.StringIO()
    bar = Progress(0, 1000, stream=out, delay=10.0, interactive=False)
    for step in range(1, 1001):
        clock.now = step * 0.1  # 10 steps/s: 100 s in all
        bar.update(step)
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 8 <= len(lines) <= 10, lines  # one every 10 s, none in the first 10 s
    assert re.fullmatch(r"\[#+-*\] 100/1000  10% 10\.0 steps/s, 00:10<01:30", lines[0]), lines[0]


def test_a_terminal_gets_one_line_redrawn_in_place(clock: Clock) -> None:
    out = io.StringIO()
    bar = Progress(500, 1500, stream=out, delay=1.0, interactive=True)
    for step in range(501, 1501):
        clock.now = (step - 500) * 0.01
        bar.update(step)
    bar.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, ended once
    frames = [f for f in text.split("\r") if f]
    assert len(frames) > 5
    assert "1500/1500 100%" in frames[-1] and "100.0 steps/s" in frames[-1]


def test_a_short_run_prints_nothing(clock: Clock) -> None:
    out = io.StringIO()
    bar = Progress(0, 50, stream=out, delay=10.0, interactive=True)
    for step in range(1, 51):
        clock.now = step * 0.1
        bar.update(step)
    bar.close()
    assert out.getvalue() == ""


def test_another_line_clears_the_bar_first(clock: Clock) -> None:
    """A step line or a note is printed on a clean line, not after the bar."""
    out = io.StringIO()
    bar = Progress(0, 100, stream=out, delay=0.0, interactive=True)
    clock.now = 1.0
    bar.update(10)
    bar.clear()
    out.write("a line of ours\n")
    clock.now = 2.0
    bar.update(20)
    bar.close()
    assert "\r\x1b[Ka line of ours\n" in out.getvalue()
