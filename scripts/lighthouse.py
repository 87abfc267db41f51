"""Measure Lighthouse scores of a built site, page type by page type; print them.

Usage: .venv/bin/python scripts/lighthouse.py [--site site] [--runs 3] [--form-factor mobile]

A measurement, not a test (Lighthouse's simulated throttling still depends on this machine's load:
run it on an idle machine). Lighthouse 12 is installed from npm into .cache/lighthouse on first
use and drives Debian's Chromium; the site is served over loopback HTTP with gzip, as any static
host would serve it. Prints the median of `--runs` runs per page: performance, accessibility,
LCP, TBT and bytes on the wire.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / ".cache" / "lighthouse"
BIN = LIGHTHOUSE / "node_modules" / ".bin" / "lighthouse"
VERSION = "12.8.2"
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".csv", ".txt")


class GzipHandler(SimpleHTTPRequestHandler):
    """A static server that gzips text files, as a production web server would."""

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (gz and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format, *args):
        pass


def ensure_lighthouse() -> None:
    if BIN.is_file():
        return
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(LIGHTHOUSE),
            f"lighthouse@{VERSION}",
        ],
        check=True,
    )


def sample_pages(site: Path) -> dict[str, str]:
    """One page of each type."""

    def first(folder: str) -> str:
        pages = sorted(p.name for p in (site / folder).glob("*.html") if p.name != "index.html")
        return f"{folder}/{pages[0]}"

    pages = {"home": "index.html", "national": "national.html", "region": first("regions"),
             "icb": first("icbs"), "trust": first("trusts"), "downloads": "downloads/index.html"}  # fmt: skip
    if (site / "domains").is_dir():
        pages["domain"] = first("domains")
    return pages


def run_once(url: str, form_factor: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [str(BIN), url, "--quiet", "--only-categories=performance,accessibility",
               "--chrome-flags=--headless=new --no-sandbox", "--output=json", f"--output-path={out.name}"]  # fmt: skip
        if form_factor == "desktop":
            cmd.append("--preset=desktop")
        subprocess.run(
            cmd, check=True, env={"CHROME_PATH": "/usr/bin/chromium", "PATH": "/usr/bin:/bin"}
        )
        report = json.loads(Path(out.name).read_text(encoding="utf-8"))
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--form-factor", choices=("mobile", "desktop"), default="mobile")
    args = parser.parse_args()
    ensure_lighthouse()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(GzipHandler, directory=str(args.site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    print(
        f"Lighthouse {VERSION}, {args.form_factor}, median of {args.runs} runs, gzip over loopback"
    )
    print(
        f"{'page':<10} {'path':<28} {'perf':>5} {'a11y':>5} {'LCP s':>6} {'TBT ms':>7} {'KiB':>6}"
    )
    for kind, path in sample_pages(args.site).items():
        runs = [run_once(base + path, args.form_factor) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{kind:<10} {path:<28} {med['performance']:>5.0f} {med['accessibility']:>5.0f} "
              f"{med['lcp_s']:>6.1f} {med['tbt_ms']:>7.0f} {med['kib']:>6.0f}")  # fmt: skip
        sys.stdout.flush()
    server.shutdown()


if __name__ == "__main__":
    main()
