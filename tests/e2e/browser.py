"""Helpers for checking the built site in a real browser, offline.

- `serve(directory, prefix)`: a loopback HTTP server on a free port, in a thread, serving a
  folder under an optional sub-path (as a host would), with the site's 404.html for misses;
- `launch_chromium(playwright)`: Debian's Chromium, headless, with its background traffic off
  (never a browser downloaded by `playwright install`);
- `RequestLog`: every request a page makes and every console error, and which requests left
  the test server;
- `run_axe(page)`: axe-core's WCAG 2.x A/AA violations, from the offline copy of axe-core;
- `check_links(site_dir)`: every relative href/src in the built HTML resolves, anchors included.
"""

from __future__ import annotations

import functools
import posixpath
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


# ---------------------------------------------------------------------------------------------
# A loopback web server


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serve `directory` under `prefix`; answer misses with the site's 404.html, status 404."""

    prefix = "/"

    def send_head(self) -> Any:
        if not urlsplit(self.path).path.startswith(self.prefix):
            self.send_error(404)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + urlsplit(path).path[len(self.prefix) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@dataclass(frozen=True)
class Server:
    """A running server: `url` is the site's root, ending in '/'."""

    host: str
    port: int
    prefix: str

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.origin + self.prefix


@contextmanager
def serve(directory: Path, prefix: str = "/") -> Iterator[Server]:
    """Serve `directory` at http://127.0.0.1:<free port><prefix> until the block ends."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = type("Handler", (_SiteHandler,), {"prefix": prefix})
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(Path(directory).resolve()))
    )
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield Server("127.0.0.1", httpd.server_address[1], prefix)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# The browser


def chromium_path() -> str:
    """Debian's Chromium; a clear error (not a skip) when it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if path is None:
        raise RuntimeError("chromium not found: run `bash scripts/setup.sh --test` to install it")
    return path


def launch_chromium(playwright: Any) -> Any:
    """Launch headless Chromium through Playwright, with background network traffic off."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
    )


LOCAL_SCHEMES = ("data", "blob", "about", "file")


@dataclass
class RequestLog:
    """Every URL a page requested, failed responses, and console errors, for one page."""

    allowed_origins: tuple[str, ...]
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        """Start recording on a Playwright page; return the page."""
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: self.failures.append(f"failed {request.url}"))
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        return page

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.url}")

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def external_requests(self) -> list[str]:
        """Requests to anywhere but the test server (or file://, data: and the like)."""
        return [url for url in self.requests if not self.is_local(url)]

    def is_local(self, url: str) -> bool:
        scheme = urlsplit(url).scheme
        if scheme in LOCAL_SCHEMES:
            return True
        origin = f"{scheme}://{urlsplit(url).netloc}"
        return origin in self.allowed_origins

    def clear(self) -> None:
        self.requests.clear()
        self.failures.clear()
        self.console_errors.clear()


# ---------------------------------------------------------------------------------------------
# Accessibility


# Wait, frame by frame, until no CSS transition or animation is running or pending (the theme fades
# search results in: colours sampled mid-fade differ from run to run). Endless animations (none on
# this site) would make it give up after `rounds` rounds and return false.
_SETTLE_JS = """async (rounds) => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  for (let i = 0; i < rounds; i++) {
    await frame();
    const moving = document.getAnimations().filter(
        (a) => a.playState === 'running' || a.pending);
    if (moving.length === 0) return true;
    await Promise.all(moving.map((a) => a.finished.catch(() => null)));
  }
  return false;
}"""


def settle(page: Any, rounds: int = 40) -> bool:
    """Wait until nothing on the page is animating; false if it never comes to rest."""
    return bool(page.evaluate(_SETTLE_JS, rounds))


def run_axe(page: Any, tags: tuple[str, ...] = AXE_TAGS, context: str | None = None) -> list[dict]:
    """Inject the offline axe-core into `page` and return its violations (tags: WCAG 2.x A/AA).

    Each violation is axe's dict: id, impact, help, helpUrl, nodes (with target and summary).
    """
    if not AXE_JS.is_file():
        raise RuntimeError(f"{AXE_JS} not found: run `bash scripts/setup.sh --test`")
    if not settle(page):
        raise RuntimeError("the page's animations did not end: axe would audit a moving state")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    result = page.evaluate(
        "([context, options]) => axe.run(context || document, options)", [context, options]
    )
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    """axe violations as short readable lines, for assertion messages."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Links


class _LinkParser(HTMLParser):
    """Collect the ids in a page and the URLs its elements point at."""

    URL_ATTRS = {"href", "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif name in self.URL_ATTRS:
                self.urls.append((value, self.getpos()[0]))
            elif name == "srcset":
                for part in value.split(","):
                    if part.strip():
                        self.urls.append((part.split()[0], self.getpos()[0]))


@functools.lru_cache(maxsize=4096)
def _parse_html(path: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def _resolve(site: Path, page: Path, url: str) -> tuple[Path, str] | str:
    """The file and fragment a relative URL in `page` points at, or a problem."""
    parts = urlsplit(url)
    if parts.path.startswith("/"):
        return "absolute path (breaks under a sub-path)"
    target_rel = posixpath.normpath(
        posixpath.join(page.parent.relative_to(site).as_posix(), unquote(parts.path))
    )
    if parts.path and (target_rel == ".." or target_rel.startswith("../")):
        return "points outside the site"
    target = (site / target_rel) if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def check_links(site_dir: Path) -> list[str]:
    """Every relative href/src in every HTML file of `site_dir` resolves to a file, and every
    #fragment to an id in the target page. Returns one line per problem (empty when clean).

    Links to other hosts (http:, https:, mailto: ...) are not followed: the site must work
    offline; whether it requests other hosts is the browser tests' job.
    """
    site = Path(site_dir).resolve()
    _parse_html.cache_clear()
    problems = []
    for page in sorted(site.rglob("*.html")):
        for url, line in _parse_html(page).urls:
            if not url or _is_external(url) or url.startswith("#!"):
                continue
            where = f"{page.relative_to(site).as_posix()}:{line}: {url}"
            resolved = _resolve(site, page, url)
            if isinstance(resolved, str):
                problems.append(f"{where}: {resolved}")
                continue
            target, fragment = resolved
            if not target.is_file():
                problems.append(f"{where}: no such file")
            elif fragment and target.suffix == ".html" and fragment not in _parse_html(target).ids:
                problems.append(f"{where}: no element with id '{fragment}'")
    return problems
