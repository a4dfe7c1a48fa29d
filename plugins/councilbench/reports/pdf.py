"""Headless Chromium: HTML reports to PDF, and a check that a report renders cleanly.

One browser serves a whole run (the annual reports and 33 packs): it is started once
with the flags below and driven over the DevTools protocol (a websocket on 127.0.0.1),
which is what ``chromium --headless --print-to-pdf`` does internally, minus a browser
start per file. Each document gets its own tab; the tab reports console errors,
uncaught exceptions and any request that leaves the machine (a self-contained report
makes none), and prints with the page's own CSS page size (A4).

    with Chromium() as browser:
        result = browser.render(Path("report.html"), pdf=Path("report.pdf"))
        result.console_errors, result.external_requests, result.svg_count

The browser runs with a fresh, throw-away profile, no network services (background
networking, component updates, sync off) and --no-sandbox (it runs as root in
containers). COUNCILBENCH_CHROMIUM names the binary when it is not on PATH as
chromium, chromium-browser, google-chrome or headless_shell.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from councilbench.core import settings
from councilbench.reports import format as fmt

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
)
START_TIMEOUT = 30.0
PAGE_TIMEOUT = 60.0
#: A4's width between the reports' @page margins (210 mm - 2 x 13 mm), in CSS pixels.
PRINT_WIDTH_PX = round((210 - 2 * 13) / 25.4 * 96)

#: What the page reports about itself once loaded (for the checks and the tests).
_INSPECT = """(() => {
  const svgs = [...document.querySelectorAll('svg')];
  return JSON.stringify({
    title: document.title,
    svg_count: svgs.length,
    svgs_without_title: svgs.filter(s => !s.querySelector(':scope > title') || !s.querySelector(':scope > desc')
                                         || s.getAttribute('role') !== 'img').length,
    images: document.images.length,
    scripts: document.scripts.length,
    h1: [...document.querySelectorAll('h1')].map(h => h.textContent.trim()),
    text_length: document.body ? document.body.innerText.length : 0,
  });
})()"""


class ChromiumNotFound(RuntimeError):
    """No Chromium binary: install it (Debian: apt-get install chromium) or set COUNCILBENCH_CHROMIUM."""


class RenderError(RuntimeError):
    """The browser could not load or print a document."""


def find_chromium() -> str:
    explicit = settings.get("COUNCILBENCH_CHROMIUM")
    if explicit:
        if not (shutil.which(explicit) or Path(explicit).is_file()):
            raise ChromiumNotFound(f"COUNCILBENCH_CHROMIUM={explicit} is not an executable")
        return shutil.which(explicit) or explicit
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFound(
        "no Chromium found (tried " + ", ".join(CANDIDATES) + "): install it, e.g. "
        "`apt-get install chromium`, or set COUNCILBENCH_CHROMIUM to its path"
    )


def available() -> bool:
    try:
        find_chromium()
        return True
    except ChromiumNotFound:
        return False


@dataclass
class RenderResult:
    path: Path
    pdf: Path | None = None
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    page: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def svg_count(self) -> int:
        return int(self.page.get("svg_count", 0))

    @property
    def clean(self) -> bool:
        return not (
            self.console_errors or self.exceptions or self.external_requests or self.page.get("svgs_without_title")
        )

    def problems(self) -> list[str]:
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"uncaught exception: {e}" for e in self.exceptions]
        out += [f"request off the machine: {u}" for u in self.external_requests]
        if self.page.get("svgs_without_title"):
            out.append(f"{fmt.plural(self.page['svgs_without_title'], 'chart')} without role=img, <title> and <desc>")
        return out


def _footer(title: str) -> str:
    from html import escape

    return (
        '<div style="font-family:Arial,sans-serif;font-size:7.5pt;color:#444;width:100%;'
        'padding:0 13mm;display:flex;justify-content:space-between;">'
        f'<span>{escape(title)}</span><span>Page <span class="pageNumber"></span> of '
        '<span class="totalPages"></span></span></div>'
    )


class Chromium:
    """A headless Chromium driven over the DevTools protocol (see the module doc)."""

    def __init__(self, binary: str | None = None):
        self.binary = binary or find_chromium()
        self._proc: subprocess.Popen | None = None
        self._profile: str | None = None
        self._ws = None
        self._next_id = 0
        self._events: list[dict] = []

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Chromium:
        from websockets.sync.client import connect

        self._profile = tempfile.mkdtemp(prefix="councilbench-chromium-")
        args = [
            self.binary,
            *FLAGS,
            f"--user-data-dir={self._profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if port_file.is_file():
                lines = port_file.read_text().splitlines()
                if len(lines) >= 2:
                    port, path = lines[0].strip(), lines[1].strip()
                    break
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode("utf-8", "replace")[-2000:] if self._proc.stderr else ""
                self.close()
                raise RenderError(f"{self.binary} exited with {self._proc.returncode} before it was ready: {err}")
            if time.monotonic() > deadline:
                self.close()
                raise RenderError(f"{self.binary} did not open its DevTools port within {START_TIMEOUT:.0f} s")
            time.sleep(0.03)
        self._ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=START_TIMEOUT)
        return self

    def close(self) -> None:
        if self._ws is not None:
            # Closing must not fail: the browser or its socket may already be gone, in
            # whatever way (a RenderError, a closed connection, an OSError).
            with suppress(Exception):
                self._call("Browser.close", timeout=5)
            with suppress(Exception):
                self._ws.close()
            self._ws = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def __enter__(self) -> Chromium:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- protocol ------------------------------------------------------------------------
    def _call(
        self, method: str, params: dict | None = None, session: str | None = None, timeout: float = PAGE_TIMEOUT
    ) -> dict:
        self._next_id += 1
        msg_id = self._next_id
        message = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RenderError(f"no answer to {method} within {timeout:.0f} s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RenderError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _wait_for(self, method: str, session: str, timeout: float = PAGE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if any(e["method"] == method and e.get("sessionId") == session for e in self._events):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RenderError(f"the page did not fire {method} within {timeout:.0f} s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if "method" in reply:
                self._events.append(reply)

    # --- documents -------------------------------------------------------------------------
    @contextmanager
    def _tab(self, html: Path):
        """A new tab with `html` loaded (its events collected in self._events); the tab's
        session id while open."""
        if self._ws is None:
            raise RenderError("the browser is not started (use `with Chromium() as browser:`)")
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._events = []
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                self._call(f"{domain}.enable", session=session)
            self._call("Page.navigate", {"url": html.as_uri()}, session=session)
            self._wait_for("Page.loadEventFired", session)
            yield session
        finally:
            with suppress(RenderError):  # cleanup: must not hide what the page itself raised
                self._call("Target.closeTarget", {"targetId": target}, timeout=10)

    def _evaluate(self, expression: str, session: str):
        return self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)[
            "result"
        ].get("value")

    def render(self, html: Path, pdf: Path | None = None, *, footer: str | None = None) -> RenderResult:
        """Load a local HTML file, collect what went wrong, and print it to `pdf` (A4 from
        the page's CSS) when given."""
        started = time.monotonic()
        html = Path(html).resolve()
        with self._tab(html) as session:
            result = RenderResult(path=html, page=json.loads(self._evaluate(_INSPECT, session)))
            if pdf is not None:
                params = {
                    "printBackground": True,
                    "preferCSSPageSize": True,
                    "generateTaggedPDF": True,
                    "generateDocumentOutline": True,
                    "displayHeaderFooter": footer is not None,
                }
                if footer is not None:
                    params.update(headerTemplate="<span></span>", footerTemplate=_footer(footer))
                data = self._call("Page.printToPDF", params, session=session)["data"]
                pdf = Path(pdf)
                pdf.parent.mkdir(parents=True, exist_ok=True)
                tmp = pdf.with_suffix(pdf.suffix + ".part")
                tmp.write_bytes(base64.b64decode(data))
                tmp.replace(pdf)
                result.pdf = pdf
            self._collect(result, session, html)
        result.seconds = round(time.monotonic() - started, 2)
        return result

    def evaluate(self, html: Path, expression: str, *, media: str = "print", width: int = PRINT_WIDTH_PX):
        """The value of a JavaScript expression on a local HTML file laid out for `media`
        at `width` CSS pixels (by default as printed: A4 between the page margins), for
        checks of what a reader sees (a header broken mid-word, a legend outside its chart)."""
        with self._tab(Path(html).resolve()) as session:
            self._call("Emulation.setEmulatedMedia", {"media": media}, session=session)
            self._call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            return self._evaluate(expression, session)

    def _collect(self, result: RenderResult, session: str, html: Path) -> None:
        for e in self._events:
            if e.get("sessionId") != session:
                continue
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                result.console_errors.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                )
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                result.console_errors.append(p["entry"].get("text", ""))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                result.exceptions.append(d.get("exception", {}).get("description") or d.get("text", ""))
            elif e["method"] == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not (url.startswith(("data:", "about:")) or url == html.as_uri()):
                    result.external_requests.append(url)


def render_one(html: Path, pdf: Path | None = None, *, footer: str | None = None) -> RenderResult:
    with Chromium() as browser:
        return browser.render(html, pdf, footer=footer)
