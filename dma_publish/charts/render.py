"""Charts into pages and files: the HTML block, the page scripts, static SVGs with their specs."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import vl_convert

from dma_publish.charts.builders import Chart
from dma_publish.charts.style import DARK_GREY, TEXT

# Vega-Lite 6 compiles to Vega 6, the Vega that vl-convert bundles (Vega-Lite 5 compiles to Vega 5
# and vega-embed warns of the mismatch). Altair 5.5 validates against Vega-Lite 5.20, whose
# schema the specs here keep to.
VL_VERSION = "6.4"
ASSET_DIR = Path("assets") / "js"
BUNDLE_NAME = "vega-bundle.js"
SCRIPT_NAME = "charts.js"
# Loaded in this order by overrides/main.html on pages with a chart (paths relative to the docs folder).
CHART_SCRIPTS = ((ASSET_DIR / BUNDLE_NAME).as_posix(), (ASSET_DIR / SCRIPT_NAME).as_posix())
PAGE_SCRIPT = Path(__file__).resolve().parent.parent / "assets" / SCRIPT_NAME
BUNDLE_CACHE = Path(__file__).resolve().parent.parent.parent / ".cache" / "vega"
STATIC_WIDTH = 640
TITLE_CONFIG = {"color": TEXT, "subtitleColor": DARK_GREY, "anchor": "start"}


def _whole(value: Any) -> Any:
    """A JSON value with whole floats written as integers (3.0 as 3: the same number)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def spec_json(spec: dict[str, Any]) -> str:
    """A spec as compact JSON, safe inside a <script> element (no `</` or `<!--` can appear)."""
    text = json.dumps(
        _whole(spec), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
    )
    return text.replace("<", "\\u003c")


def _table_html(chart: Chart, row_href: Callable[[str], str | None] | None = None) -> str:
    """The chart's data as an accessible table: caption, column headers, row headers.

    Lean HTML: no classes or styles, and the end tags HTML lets a table leave out (a header
    cell in a body row is a row header; `row_href` may link it, by the chart's row keys)."""
    head = "".join(f'<th scope="col">{escape(c)}' for c in chart.columns)
    keys = chart.row_keys if row_href is not None else ()
    body = []
    for n, row in enumerate(chart.rows):
        name = escape(row[0])
        href = row_href(keys[n]) if n < len(keys) and row_href is not None else None
        if href:
            name = f'<a href="{escape(href)}">{name}</a>'
        body.append(f"<tr><th>{name}" + "".join(f"<td>{escape(cell)}" for cell in row[1:]))
    return (
        f"<table><caption>{escape(chart.table_caption)}</caption>"
        f"<thead><tr>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    )


def chart_html(
    chart: Chart,
    row_href: Callable[[str], str | None] | None = None,
    table_summary: str = "Table of this chart's data (the chart as text)",
) -> str:
    """The whole chart block for a Markdown page: figure, spec, summary, key and data table.

    Raw HTML with no blank lines, so Python-Markdown passes it through untouched; every text is
    escaped. The page script renders the spec into the view; without it the words and table stand.
    `row_href` links the table's row headers (by the chart's row keys) to pages; `table_summary`
    is the words that open the table.
    """
    cid = escape(chart.chart_id)
    # The summary comes first and the table, the chart's text alternative, before the drawing.
    # The drawing takes keyboard focus (tabindex 0) and is announced as an image named by its
    # description, described by the summary and how to read it.
    lines = [
        f'<figure class="dma-chart" id="{cid}" data-chart-kind="{escape(chart.kind)}">',
        f'<figcaption class="dma-chart__title">{escape(chart.title)}</figcaption>',
        f'<p class="dma-chart__summary" id="{cid}-summary">{escape(chart.summary)}</p>',
        f'<details class="dma-chart__data"><summary>{escape(table_summary)}</summary>',
        f'<div class="dma-chart__table" role="region" tabindex="0" style="overflow-x:auto" '
        f'aria-label="{escape(chart.table_caption)}">',
        _table_html(chart, row_href) + "</div></details>",
        f'<div class="dma-chart__view" role="img" tabindex="0" '
        f'aria-label="{escape(chart.description)}" aria-describedby="{cid}-summary {cid}-key">'
        "</div>",
        f'<script type="application/json" class="dma-chart__spec">{spec_json(chart.spec)}</script>',
        f'<p class="dma-chart__key" id="{cid}-key">{escape(chart.key)}</p></figure>',
    ]
    return "\n".join(lines) + "\n"


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed from vl-convert, as a classic script (works from file://).

    The bundle is an ES module body with no imports or exports that sets window.vegaEmbed;
    wrapped in a function it runs as a classic script, without leaking its names.
    """
    versions = (
        f"vega {vl_convert.get_vega_version()}, vega-lite {VL_VERSION}, "
        f"vega-embed {vl_convert.get_vega_embed_version()}"
    )
    body = _cached_bundle_body()
    return (
        f"/* Vega, Vega-Lite and vega-embed ({versions}), BSD-3-Clause, bundled by "
        "vl-convert-python at build time. */\n"
        '(function () {\n"use strict";\n' + body + "\n})();\n"
    )


def _cached_bundle_body() -> str:
    """vl-convert's bundle, cached on disk per vl-convert and Vega-Lite version (3 s to make).

    The bundle depends only on those versions, so a cached copy gives the same bytes.
    """
    version = getattr(vl_convert, "__version__", "unknown")
    path = BUNDLE_CACHE / f"vega-bundle-{version}-vl{VL_VERSION}.js"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    body = vl_convert.javascript_bundle(vl_version=VL_VERSION)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(body, encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only checkout just rebuilds the bundle each time
    return body


def write_chart_assets(site_docs_dir: Path) -> None:
    """Write the chart scripts into the docs folder: assets/js/vega-bundle.js and charts.js."""
    out = Path(site_docs_dir) / ASSET_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / BUNDLE_NAME).write_text(vega_bundle(), encoding="utf-8")
    (out / SCRIPT_NAME).write_text(PAGE_SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")


@dataclass(frozen=True)
class StaticChart:
    """A chart's static files: names within each output folder."""

    svg: str
    spec: str


def static_spec(chart: Chart) -> dict[str, Any]:
    """The spec for a standalone image: fixed width, with the title and how to read it."""
    spec = json.loads(json.dumps(chart.spec))
    spec["width"] = STATIC_WIDTH
    spec["title"] = {"text": chart.title, "subtitle": _wrap(chart.key, 95)}
    spec["config"] = {**spec.get("config", {}), "title": TITLE_CONFIG}
    return spec


def _wrap(text: str, width: int) -> list[str]:
    """Split text into lines of at most width characters, at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# vl-convert renders one image at a time in a process (about 0.15 s each, nearly all of it in
# Vega's layout), so helper processes render others meanwhile. A helper is a bare interpreter
# running this loop (not multiprocessing, which would import the caller's main module again).
_HELPER = """
import json, sys, vl_convert
for line in sys.stdin:
    svg = vl_convert.vegalite_to_svg(json.loads(line), vl_version=sys.argv[1])
    sys.stdout.write(json.dumps(svg) + "\\n")
    sys.stdout.flush()
"""
MIN_IMAGES_PER_HELPER = 8
# Vega numbers the gradients (and clip paths, patterns) it defines with a counter that runs on
# over every image a process draws, so an image's ids depend on what was drawn before it there.
_DEF_ID = re.compile(
    r'(?<=id=")((?:gradient_|clip|pattern_)\d+)(?=")|(?<=url\(#)((?:gradient_|clip|pattern_)\d+)(?=\))'
)


def _stable_ids(svg: str) -> str:
    """Renumber an SVG's gradient, clip and pattern ids from 0 in order of appearance, so the
    image depends only on its spec (whichever process drew it, and whatever it drew before)."""
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in numbers:
            prefix = name.rstrip("0123456789")
            numbers[name] = f"{prefix}{sum(n.startswith(prefix) for n in numbers)}"
        return numbers[name]

    return _DEF_ID.sub(renumber, svg)


def _to_svg(spec: dict[str, Any]) -> str:
    """One spec as SVG text, drawn in this process."""
    return vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)


def _helpers(n_images: int, workers: int | None) -> int:
    """How many helper processes to start: one fewer than the cores (this process renders too),
    and none for a handful of images (a helper takes a second or two to start)."""
    cores = workers if workers is not None else (os.cpu_count() or 1)
    return max(0, min(cores - 1, n_images // MIN_IMAGES_PER_HELPER))


class _Images:
    """The images still to draw: helpers take them from the front, this process from the back."""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        self.specs = specs
        self.svgs: list[str | None] = [None] * len(specs)
        self._lock = threading.Lock()
        self._front, self._back = 0, len(specs)

    def take(self, from_front: bool) -> int | None:
        """The index of an image nobody has taken yet, or None when all are taken."""
        with self._lock:
            if self._front >= self._back:
                return None
            if from_front:
                self._front += 1
                return self._front - 1
            self._back -= 1
            return self._back


def _helper(images: _Images) -> None:
    """Feed images to one helper process, one at a time, until none are left or it fails."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HELPER, VL_VERSION],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
    except OSError:
        return
    assert proc.stdin is not None and proc.stdout is not None
    try:
        while (i := images.take(from_front=True)) is not None:
            proc.stdin.write(json.dumps(images.specs[i], allow_nan=False) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                break  # the helper died: image i is left for this process
            images.svgs[i] = json.loads(line)
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def render_svgs(specs: list[dict[str, Any]], workers: int | None = None) -> list[str]:
    """Each Vega-Lite spec as SVG text, in order, spread over `workers` processes (this one
    included; by default one per core). Helpers take images from the front of the list and this
    process from the back, so the work balances itself; whatever a helper fails to return (it
    could not start, or died) is drawn here. Every image is the same whichever process drew it."""
    images = _Images(specs)
    threads = [
        threading.Thread(target=_helper, args=(images,), daemon=True)
        for _ in range(_helpers(len(specs), workers))
    ]
    for thread in threads:
        thread.start()
    while (i := images.take(from_front=False)) is not None:
        images.svgs[i] = _to_svg(specs[i])
    for thread in threads:
        thread.join()
    return [
        _stable_ids(svg if svg is not None else _to_svg(spec))
        for svg, spec in zip(images.svgs, specs, strict=True)
    ]


def write_static_charts(
    charts: Iterable[Chart], out_dirs: Iterable[Path], workers: int | None = None
) -> dict[str, StaticChart]:
    """Write each national, region and ICB chart as SVG with its spec beside it, in each folder.

    The images are rendered in parallel (`render_svgs`; `workers=1` renders them here, one by
    one); the files are the same either way."""
    dirs = [Path(d) for d in out_dirs]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    chosen = [chart for chart in charts if chart.is_static]
    specs = [static_spec(chart) for chart in chosen]
    svgs = render_svgs(specs, workers)
    written: dict[str, StaticChart] = {}
    for chart, spec, svg in zip(chosen, specs, svgs, strict=True):
        text = (
            json.dumps(spec, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
        )
        files = StaticChart(svg=f"{chart.chart_id}.svg", spec=f"{chart.chart_id}.vl.json")
        for d in dirs:
            (d / files.svg).write_text(svg, encoding="utf-8")
            (d / files.spec).write_text(text, encoding="utf-8")
        written[chart.chart_id] = files
    return written
