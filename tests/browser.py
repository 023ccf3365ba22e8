"""A real browser for the tests: Debian's headless Chromium, driven over the DevTools protocol
on a pipe (``--remote-debugging-pipe``: JSON messages on file descriptors 3 and 4, no network
port, nothing beyond the standard library).

TensorBoard's dashboards are web components whose content lives in shadow roots, which
``chromium --dump-dom`` does not print; ``Page.text`` walks them, so a test reads what a
person sees on the page.  ``screenshot`` captures it as PNG.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium   (Debian's package; .ci/run installs it)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",  # WebGL (the projector's scatter plot) in software
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# The page's text, shadow roots and (same-origin) frames included, as one line, without style
# sheets and scripts.
DEEP_TEXT = """(() => {
  const skip = new Set(['STYLE', 'SCRIPT', 'NOSCRIPT', 'TEMPLATE']);
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) out.push(node.textContent);
    if (node.nodeType === Node.ELEMENT_NODE && skip.has(node.tagName)) return;
    if (node.shadowRoot) walk(node.shadowRoot);
    if (node.tagName === 'IFRAME' && node.contentDocument) walk(node.contentDocument.body);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out.join(' ').replace(/\\s+/g, ' ');
})()"""


def available() -> bool:
    return Path(CHROMIUM).is_file()


class Browser:
    """One headless Chromium; ``page(url)`` opens a tab."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="tf1-mnist-chromium-")
        to_browser = os.pipe()
        from_browser = os.pipe()
        read_end, write_end = to_browser[0], from_browser[1]

        def fds_3_and_4() -> None:  # the protocol's file descriptors in the child
            high_read, high_write = os.dup(read_end), os.dup(write_end)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds_3_and_4,  # runs before the child closes all but pass_fds
            pass_fds=(3, 4),
        )
        os.close(read_end)
        os.close(write_end)
        self.writer = os.fdopen(to_browser[1], "wb", buffering=0)
        self.reader = os.fdopen(from_browser[0], "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> Any:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _receive(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = self.reader.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def page(self, url: str) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Page.navigate", {"url": url})
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        for stream in (self.writer, self.reader):
            stream.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict | None = None) -> Any:
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.evaluate(DEEP_TEXT) or ""

    def wait_for_text(self, *needles: str, timeout: float = 60) -> str:
        """The page's text once it holds every needle (or, at the time-out, as it is)."""
        return self.wait_until(lambda text: all(needle in text for needle in needles), timeout)

    def wait_until(self, done: Callable[[str], bool], timeout: float = 60) -> str:
        """The page's text once ``done(text)`` holds (or, at the time-out, as it is): for what
        a needle cannot say, such as every chart of a page having drawn its axes."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if done(text):
                return text
            time.sleep(0.5)
        return text

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path
