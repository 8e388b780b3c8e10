"""A headless Chromium for the tests, driven over the Chrome DevTools Protocol (CDP).

No browser-automation package: Chromium is started with ``--remote-debugging-pipe``, which
makes it read CDP commands from its file descriptor 3 and write replies and events to its
file descriptor 4, each message one JSON object followed by a NUL byte.  The protocol is
documented at https://chromedevtools.github.io/devtools-protocol/.

Use::

    with Browser(find_chromium()) as browser:
        page = browser.open_page(tmp_path / "index.html", javascript=False)
        assert page.errors == []
        assert page.evaluate("document.title") == "Report"
        page.screenshot(tmp_path / "page.png")

or, from a test, the ``chromium`` fixture (a running :class:`Browser` shared by the
module's tests), which fails the test, saying how to install it, when Chromium is not
installed.  A one-off :func:`open_page` starts and stops its own
browser.

Everything waits at most ``timeout`` seconds, and the browser (with all the processes it
started) is killed when the ``with`` block ends.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

import pytest

MISSING_CHROMIUM = "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"

# The flags: headless, CDP over fds 3 and 4, a fresh profile, and nothing that phones home.
# The host resolver rule makes every host name unresolvable, so that a page referring to a
# remote resource fails to fetch it at once (the request is still recorded) instead of
# waiting for the network.
FLAGS = [
    "--headless",
    "--remote-debugging-pipe",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",  # screenshots as wide as the page
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

# The URL schemes a page may load from without touching the network.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


class BrowserError(RuntimeError):
    """Chromium died, timed out, or answered a command with an error."""


def find_chromium() -> str | None:
    """The path of Chromium, or None when it is not installed."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module", name="chromium")
def chromium_fixture():
    """A running headless :class:`Browser`, shared by the tests of a module.

    The one place that decides what a missing Chromium means: a failure that says how to
    install it (.ci/run and the README's first command do).
    Test modules import this function and ask for ``chromium``.
    """
    executable = find_chromium()
    if executable is None:
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    with Browser(executable) as browser:
        yield browser


def _url(path_or_url: str | os.PathLike) -> str:
    """A URL as is; a path as an absolute file:// URL."""
    if isinstance(path_or_url, str) and ":" in path_or_url.split("/", 1)[0]:
        return path_or_url
    return Path(path_or_url).resolve().as_uri()


class Browser:
    """One Chromium process and its CDP connection (a context manager)."""

    def __init__(self, executable: str | None = None, *, timeout: float = 30):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError(MISSING_CHROMIUM)
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._buffer = b""
        self._events: list[dict] = []  # events read while waiting for something else
        self._process: subprocess.Popen | None = None

    # -- process -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        self._profile = tempfile.mkdtemp(prefix="asl2durable-chromium-")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open while Chromium runs; close() closes it
        # to_child: we write commands, Chromium reads them on its fd 3.
        # from_child: Chromium writes on its fd 4, we read.
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Chromium's ends, moved to 10 or above (close-on-exec), so that placing one of them
        # on fd 3 cannot overwrite the other before it is placed on fd 4.
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w)]
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def onto_3_and_4() -> None:  # runs in the child, between fork and exec
            os.dup2(theirs[0], 3)
            os.dup2(theirs[1], 4)

        try:
            self._process = subprocess.Popen(
                [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(3, 4),  # kept open across exec (subprocess closes the others)
                preexec_fn=onto_3_and_4,  # noqa: PLW1509 - only two dup2 calls; the tests start no threads
                start_new_session=True,  # its own process group: close() kills all of it
            )
        except BaseException:
            os.close(self._to_child)
            os.close(self._from_child)
            self._stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)
            raise
        finally:
            for fd in theirs:
                os.close(fd)

    def close(self) -> None:
        """Ask Chromium to quit, then kill its process group; remove the profile."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                try:
                    self._write({"id": next(self._ids), "method": "Browser.close"})
                    process.wait(timeout=3)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the renderers and helpers too
            except (ProcessLookupError, PermissionError):
                pass
            process.wait(timeout=10)
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode(errors="replace")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- protocol ------------------------------------------------------------------------

    def _write(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_child, data) :]

    def _read(self, deadline: float) -> dict:
        """The next message from Chromium; BrowserError when none comes before ``deadline``."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise BrowserError("Chromium did not answer in time\n" + self._stderr_tail())
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the connection (it exited?)\n" + self._stderr_tail())
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *, session: str | None = None, timeout=None) -> dict:
        """Send a command (to a page when ``session`` is given) and return its result."""
        if self._process is None:
            raise BrowserError("the browser is not running")
        command_id = next(self._ids)
        message = {"id": command_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            self._write(message)
        except OSError as e:  # a broken pipe: Chromium is gone
            raise BrowserError(f"cannot send {method} to Chromium: {e}\n" + self._stderr_tail()) from e
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read(deadline)
            if reply.get("id") == command_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, method: str, *, session: str | None = None, where=None, timeout=None) -> dict:
        """Wait for the event ``method`` (of the page ``session``; whose params satisfy
        ``where``, if given) and return its params.

        Events read meanwhile stay queued for :meth:`take_events`.
        """

        def wanted(event: dict) -> bool:
            return (
                event.get("method") == method
                and event.get("sessionId") == session
                and (where is None or where(event.get("params", {})))
            )

        deadline = time.monotonic() + (timeout or self.timeout)
        for event in self._events:
            if wanted(event):
                return event.get("params", {})
        while True:
            event = self._read(deadline)
            if "method" in event:
                self._events.append(event)
                if wanted(event):
                    return event.get("params", {})

    def take_events(self, session: str) -> list[dict]:
        """The events of ``session`` read so far (removed from the queue)."""
        mine = [e for e in self._events if e.get("sessionId") == session]
        self._events = [e for e in self._events if e.get("sessionId") != session]
        return mine

    # -- pages ---------------------------------------------------------------------------

    def open_page(self, path_or_url, *, javascript=True, width=1280, height=900, timeout=30) -> PageResult:
        """Open a file (or URL) in a new tab and wait for its load event (the end of ``onload``).

        With ``javascript=False`` the page's scripts do not run (DevTools' evaluate still
        does).  The returned page has the console errors and requested URLs collected so
        far; close it with :meth:`PageResult.close` or a ``with`` block.
        """
        url = _url(path_or_url)
        target = self.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, timeout=timeout)["sessionId"]
        page = PageResult(self, target, session, url, timeout)
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                self.send(f"{domain}.enable", session=session, timeout=timeout)
            # Lifecycle events name the navigation they belong to (unlike Page.loadEventFired,
            # which could be about:blank's).
            self.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session=session, timeout=timeout)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
                timeout=timeout,
            )
            if not javascript:
                self.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=session, timeout=timeout)
            self.take_events(session)  # about:blank's
            navigation = self.send("Page.navigate", {"url": url}, session=session, timeout=timeout)
            if navigation.get("errorText"):
                raise BrowserError(f"cannot open {url}: {navigation['errorText']}")
            self.wait_for(
                "Page.lifecycleEvent",
                session=session,
                where=lambda e: e.get("name") == "load" and e.get("loaderId") == navigation.get("loaderId"),
                timeout=timeout,
            )
            page.collect()
        except BaseException:
            page.close()
            raise
        return page


class PageResult:
    """An open tab: what happened while it loaded, and commands to inspect it.

    ``errors``: console errors and assertions, uncaught exceptions, and error log entries
    (such as failed resource loads), as text.  ``requests``: the URLs the page requested,
    the page's own first.  Both grow with later events (see :meth:`collect`).
    """

    def __init__(self, browser: Browser, target: str, session: str, url: str, timeout: float):
        self.browser, self.target, self.session, self.url, self.timeout = browser, target, session, url, timeout
        self.errors: list[str] = []
        self.requests: list[str] = []
        self._closed = False
        self._owns_browser = False  # set by open_page(): close() stops the browser too

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, session=self.session, timeout=self.timeout)

    def collect(self) -> None:
        """Record the errors and requests among the events read so far."""
        for event in self.browser.take_events(self.session):
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
                self.errors.append(f"console.{params['type']}: " + " ".join(map(str, args)))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text", "")
                self.errors.append(f"exception: {text}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
            elif method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])

    @property
    def remote_requests(self) -> list[str]:
        """The requested URLs that are not file:, data:, about: or blob:."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-able results only).

        An expression that throws raises BrowserError; it is not one of the page's errors.
        """
        result = self._send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        self.collect()
        return result["result"].get("value")

    def screenshot(self, path) -> Path:
        """Save a PNG of the whole page (not only the viewport) at ``path``."""
        metrics = self._send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self._send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        """Close the tab; the browser stays, unless the page came from :func:`open_page`."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.browser.running:
                self.browser.send("Target.closeTarget", {"targetId": self.target}, timeout=5)
                self.browser.take_events(self.session)
        except BrowserError:
            pass
        finally:
            if self._owns_browser:
                self.browser.close()


def open_page(path_or_url, *, javascript=True, width=1280, height=900, timeout=30, executable=None) -> PageResult:
    """Open one page in a browser of its own; closing the page stops that browser.

    For several pages, share one :class:`Browser` (or the ``chromium`` fixture) instead.
    """
    browser = Browser(executable, timeout=timeout).__enter__()
    try:
        page = browser.open_page(path_or_url, javascript=javascript, width=width, height=height, timeout=timeout)
    except BaseException:
        browser.close()
        raise
    page._owns_browser = True
    return page
