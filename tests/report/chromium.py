"""Drive headless Chromium over the DevTools protocol on a pipe (no extra dependency).

``render_page(html_path, png_path)`` opens a local file, waits for it to load, and returns
what a user's browser saw: console messages, uncaught exceptions, log entries, every
network request, the page's text, the number of <script> elements, and a full-page
screenshot written to ``png_path``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe")


def find_chromium() -> str | None:
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


@dataclass
class PageReport:
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    text: str = ""
    scripts: int = -1
    title: str = ""


class _Pipe:
    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int) -> None:
        self.proc, self.w, self.r = proc, write_fd, read_fd
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: str | None = None, timeout: float = 30, **params: Any) -> dict:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))


def _high(fd: int) -> int:
    """Move a pipe end above fd 4, so the child's dup2 onto 3 and 4 never clobbers it."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def render_page(html_path: str | Path, png_path: str | Path, width: int = 1280) -> PageReport:
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    to_chrome_r, to_chrome_w = (_high(fd) for fd in os.pipe())
    from_chrome_r, from_chrome_w = (_high(fd) for fd in os.pipe())
    profile = tempfile.mkdtemp(prefix="danfang-chromium-")

    def child_fds() -> None:  # chromium reads commands on fd 3 and writes replies on fd 4
        os.dup2(to_chrome_r, 3)
        os.dup2(from_chrome_w, 4)

    proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
    try:
        return _visit(pipe, Path(html_path).resolve(), Path(png_path), width)
    finally:
        proc.kill()
        proc.wait()
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        shutil.rmtree(profile, ignore_errors=True)


def _visit(pipe: _Pipe, html_path: Path, png_path: Path, width: int) -> PageReport:
    target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
    s = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.call(f"{domain}.enable", session=s)
    pipe.call("Emulation.setDeviceMetricsOverride", session=s, width=width, height=900, deviceScaleFactor=1,
              mobile=False)
    pipe.events.clear()
    pipe.call("Page.navigate", session=s, url=html_path.as_uri())
    pipe.wait_for("Page.loadEventFired")
    time.sleep(0.3)  # let late console messages arrive
    page = PageReport()
    page.title = pipe.call("Runtime.evaluate", session=s, expression="document.title",
                           returnByValue=True)["result"]["value"]
    page.text = pipe.call("Runtime.evaluate", session=s, expression="document.body.innerText",
                          returnByValue=True)["result"]["value"]
    page.scripts = pipe.call("Runtime.evaluate", session=s, expression="document.scripts.length",
                             returnByValue=True)["result"]["value"]
    height = pipe.call("Runtime.evaluate", session=s, returnByValue=True,
                       expression="Math.ceil(document.documentElement.scrollHeight)")["result"]["value"]
    pipe.call("Emulation.setDeviceMetricsOverride", session=s, width=width, height=int(height),
              deviceScaleFactor=1, mobile=False)
    shot = pipe.call("Page.captureScreenshot", session=s, format="png", captureBeyondViewport=True)
    png_path.write_bytes(base64.b64decode(shot["data"]))
    for e in pipe.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            page.console.append(params)
        elif method == "Runtime.exceptionThrown":
            page.exceptions.append(params)
        elif method == "Log.entryAdded":
            page.log.append(params.get("entry", {}))
        elif method == "Network.requestWillBeSent":
            page.requests.append(params.get("request", {}).get("url", ""))
    return page
