"""Charts into pages and files: the HTML block, the page scripts, and each chart's downloads
(SVG, PNG, CSV of its data, Vega-Lite spec)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import vl_convert

from dma_publish.charts.builders import Chart
from dma_publish.charts.style import DARK_GREY, STATIC_FONT, STATS, TEXT

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
# Images drawn by earlier builds, by what they depend on (see `draw_images`).
IMAGE_CACHE = BUNDLE_CACHE.parent / "chart-images"
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

    Lean HTML: no classes or styles (a header cell in a body row is a row header; `row_href`
    may link it, by the chart's row keys). Every end tag is written, though HTML lets a table
    leave some out: the theme's search indexer keeps an element open until its end tag, and
    each unclosed cell made every later tag of the page slower to index (quadratic in cells)."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in chart.columns)
    keys = chart.row_keys if row_href is not None else ()
    body = []
    for n, row in enumerate(chart.rows):
        name = escape(row[0])
        href = row_href(keys[n]) if n < len(keys) and row_href is not None else None
        if href:
            name = f'<a href="{escape(href)}">{name}</a>'
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row[1:])
        body.append(f"<tr><th>{name}</th>{cells}</tr>")
    return (
        f"<table><caption>{escape(chart.table_caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def chart_html(
    chart: Chart,
    row_href: Callable[[str], str | None] | None = None,
    table_summary: str = "Table of this chart's data (the chart as text)",
    downloads: str = "",
) -> str:
    """The whole chart block for a Markdown page: figure, spec, summary, key and data table,
    and `downloads` (HTML, one line: links to the chart's files) at the figure's end.

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
        f'<p class="dma-chart__key" id="{cid}-key">{escape(chart.key)}</p>{downloads}</figure>',
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
class ChartFiles:
    """A chart's downloadable files: names within each output folder (the chart id and a suffix)."""

    svg: str
    png: str
    csv: str
    spec: str


def chart_files(chart_id: str) -> ChartFiles:
    """The names of a chart's files, from its id alone (pages link to them before they exist)."""
    return ChartFiles(
        svg=f"{chart_id}.svg",
        png=f"{chart_id}.png",
        csv=f"{chart_id}.csv",
        spec=f"{chart_id}.vl.json",
    )


def static_spec(chart: Chart, footer: Sequence[str] = ()) -> dict[str, Any]:
    """The spec for a standalone image: fixed width, with the title and how to read it above,
    and the footer lines (source, licence, release) below, clear of the chart."""
    spec = json.loads(json.dumps(chart.spec))
    spec["width"] = STATIC_WIDTH
    spec["title"] = {"text": chart.title, "subtitle": _wrap(chart.key, 95)}
    spec["config"] = {**spec.get("config", {}), "font": STATIC_FONT, "title": TITLE_CONFIG}
    if not footer:
        return spec
    # The chart becomes the one view of a vertical concatenation, and the footer that view's
    # title, set at its bottom: Vega lays it out below the axes and legends, so it never overlaps.
    view = {key: spec.pop(key) for key in VIEW_KEYS if key in spec}
    view["title"] = {
        "text": [line for text in footer for line in _wrap(text, 125)],
        **FOOTER_TITLE,
    }
    spec["vconcat"] = [view]
    return spec


# What stays with the chart when a footer wraps it (the rest, such as config, stays on top).
VIEW_KEYS = ("data", "encoding", "height", "layer", "mark", "transform", "width")
FOOTER_TITLE = {
    "orient": "bottom",
    "anchor": "start",
    "color": DARK_GREY,
    "fontSize": 10,
    "fontWeight": "normal",
    "offset": 14,
}


def _wrap(text: str, width: int) -> list[str]:
    """Split text into lines of at most width characters, at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# vl-convert renders one image at a time in a process (about 0.1 s each, nearly all of it in
# Vega's layout), so helper processes, one per core, render them. A helper is a bare interpreter
# running this loop (not multiprocessing, which would import the caller's main module again).
# A helper sees no system fonts (FONTCONFIG_FILE names a configuration with an empty folder):
# vl-convert then lays out and rasterises text in the Liberation Sans it carries, so an image
# does not depend on the fonts a machine has; and with a system copy of Liberation Sans present
# it opened and mapped that file again for every piece of text it measured, thousands of times
# per image (0.5 s an SVG instead of 0.12, most of it in the kernel).
# The PNG is rasterised from the SVG (vl-convert's own vegalite_to_png does the same, with a
# second layout): the same pixels, whatever the ids in the SVG are called.
_HELPER = """
import base64, json, sys, vl_convert
for line in sys.stdin:
    svg = vl_convert.vegalite_to_svg(json.loads(line), vl_version=sys.argv[1])
    png = vl_convert.svg_to_png(svg, scale=1.0, ppi=72.0)
    sys.stdout.write(json.dumps([svg, base64.b64encode(png).decode("ascii")]) + "\\n")
    sys.stdout.flush()
"""
MIN_IMAGES_PER_HELPER = 8
# Vega numbers the gradients (and clip paths, patterns) it defines with a counter that runs on
# over every image a process draws, so an image's ids depend on what was drawn before it there.
_DEF_ID = re.compile(
    r'(?<=id=")((?:gradient_|clip|pattern_)\d+)(?=")|(?<=url\(#)((?:gradient_|clip|pattern_)\d+)(?=\))'
)
Image = tuple[str, bytes]  # a chart drawn: SVG text and PNG bytes


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


def _draw(spec: dict[str, Any]) -> Image:
    """One spec as SVG text and PNG bytes, drawn in this process."""
    svg = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)
    return svg, vl_convert.svg_to_png(svg, scale=1.0, ppi=72.0)


def _helpers(n_images: int, workers: int | None) -> int:
    """How many helper processes to start: one per core, at least one, and no more than one per
    MIN_IMAGES_PER_HELPER images (a helper takes a second or two to start)."""
    cores = workers if workers is not None else (os.cpu_count() or 1)
    return max(1, min(cores, n_images // MIN_IMAGES_PER_HELPER))


@cache
def _no_system_fonts() -> dict[str, str]:
    """The environment of a helper: a fontconfig configuration whose only font folder is empty
    (kept for the life of this process; removed when it exits)."""
    folder = tempfile.TemporaryDirectory(prefix="dma-fonts-")
    _FONT_FOLDERS.append(folder)
    empty = Path(folder.name) / "fonts"
    empty.mkdir()
    config = Path(folder.name) / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{escape(str(empty))}</dir></fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


_FONT_FOLDERS: list[tempfile.TemporaryDirectory[str]] = []


class _Images:
    """The images to draw, handed out in order, one at a time, to whichever helper asks first."""

    def __init__(
        self,
        specs: list[dict[str, Any]],
        progress: Callable[[int], None] | None = None,
        done: Callable[[int, Image], None] | None = None,
    ) -> None:
        self.specs = specs
        self.progress = progress
        self.done = done
        self.drawn: list[Image | None] = [None] * len(specs)
        self._lock = threading.Lock()
        self._next = 0

    def put(self, i: int, image: Image) -> None:
        """Image i is drawn (its ids renumbered, so it is final)."""
        image = (_stable_ids(image[0]), image[1])
        self.drawn[i] = image
        if self.done is not None:
            self.done(i, image)
        if self.progress is not None:
            self.progress(1)

    def take(self) -> int | None:
        """The index of an image nobody has taken yet, or None when all are taken."""
        with self._lock:
            if self._next >= len(self.specs):
                return None
            self._next += 1
            return self._next - 1


def _helper(images: _Images) -> None:
    """Feed images to one helper process, one at a time, until none are left or it fails."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HELPER, VL_VERSION],
            env=_no_system_fonts(),
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
        while (i := images.take()) is not None:
            try:
                proc.stdin.write(json.dumps(images.specs[i], allow_nan=False) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
                svg, png = json.loads(line)  # no line: the helper died
                image = svg, base64.b64decode(png)
            except (OSError, ValueError):
                break  # image i is left for this process
            images.put(i, image)
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def render_images(
    specs: list[dict[str, Any]],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    done: Callable[[int, Image], None] | None = None,
) -> list[Image]:
    """Each Vega-Lite spec as (SVG text, PNG bytes), in order, drawn by `workers` helper
    processes (by default one per core), each taking the next image not yet taken, so the work
    balances itself. Every image is the same whichever helper drew it, and in whatever order.
    Whatever no helper returns (none could start, or one died) is drawn in this process, which
    sees the system's fonts: the same image where the system has no other Liberation Sans.
    `done(i, image)` is told of each image a helper draws, as it is drawn (from any thread)."""
    images = _Images(specs, progress, done)
    threads = [
        threading.Thread(target=_helper, args=(images,), daemon=True)
        for _ in range(_helpers(len(specs), workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # what no helper drew, drawn here: with the system's fonts, so not kept in the cache
    images.done = None
    for i, drawn in enumerate(images.drawn):
        if drawn is None:
            images.put(i, _draw(specs[i]))
    return [image for image in images.drawn if image is not None]


def _cache_key(spec_text: str) -> str:
    """What an image depends on: the spec, vl-convert (its Vega and the fonts it carries, the
    only fonts a helper sees) and Vega-Lite."""
    version = getattr(vl_convert, "__version__", "unknown")
    fonts = "vl-convert's own fonts"
    return hashlib.sha256(f"{version}\n{fonts}\n{VL_VERSION}\n{spec_text}".encode()).hexdigest()


def _digest(image: Image) -> str:
    """What a kept image's bytes hash to: a truncated or altered file does not match."""
    return hashlib.sha256(image[0].encode("utf-8") + b"\0" + image[1]).hexdigest()


def _cached(key: str) -> Image | None:
    """An image drawn by an earlier build from the same spec, or None: also when a file is
    missing, or when the files do not match the digest kept with them (a corrupt cache is
    drawn again, so the output stays the same)."""
    svg, png, digest = (IMAGE_CACHE / f"{key}{suffix}" for suffix in (".svg", ".png", ".sha256"))
    try:
        image = svg.read_bytes().decode("utf-8"), png.read_bytes()
        if digest.read_text(encoding="ascii").strip() != _digest(image):
            return None
    except (OSError, UnicodeDecodeError):
        return None
    return image


def _keep(key: str, image: Image) -> None:
    """Keep an image for later builds: each file written whole, then renamed (a reader never
    sees half a file), the digest last, so an image counts as kept only once all of it is."""
    files = (
        (".svg", image[0].encode("utf-8")),
        (".png", image[1]),
        (".sha256", _digest(image).encode("ascii") + b"\n"),
    )
    try:
        IMAGE_CACHE.mkdir(parents=True, exist_ok=True)
        for suffix, data in files:
            # helpers' threads keep images at once: the name is this thread's own
            temporary = IMAGE_CACHE / f"{key}{suffix}.{os.getpid()}-{threading.get_ident()}.tmp"
            temporary.write_bytes(data)
            temporary.replace(IMAGE_CACHE / f"{key}{suffix}")
    except OSError:
        pass  # a read-only checkout just draws the images each time


def draw_images(
    specs: list[dict[str, Any]],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Image]:
    """Each spec as (SVG, PNG): from the cache where an earlier build drew the same spec, the
    rest drawn in parallel (`render_images`) and kept. The images depend only on the spec and
    vl-convert, so a cached image is the same bytes as a new one. `progress(n)` is told of
    each image as it is ready (from the cache or drawn; from any thread)."""
    keys = [_cache_key(spec_text(spec)) for spec in specs]
    images: list[Image | None] = [_cached(key) for key in keys]
    missing = [n for n, image in enumerate(images) if image is None]
    STATS.n_images_drawn += len(missing)
    STATS.n_images_cached += len(specs) - len(missing)
    if progress is not None and len(specs) > len(missing):
        progress(len(specs) - len(missing))
    # each image is kept as soon as it is drawn: a build stopped part way keeps what it drew
    drawn = (
        render_images(
            [specs[n] for n in missing], workers, progress,
            done=lambda i, image: _keep(keys[missing[i]], image),
        )
        if missing
        else []
    )  # fmt: skip
    for n, image in zip(missing, drawn, strict=True):
        images[n] = image
    return [image for image in images if image is not None]


def spec_text(spec: dict[str, Any]) -> str:
    """A spec as the .vl.json file published beside its images."""
    return json.dumps(spec, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write_chart_files(
    charts: Iterable[Chart],
    out_dirs: Iterable[Path],
    footer: Sequence[str] = (),
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, ChartFiles]:
    """Write each chart's downloads into each folder: the image as SVG and PNG with the footer
    lines (source, licence, release) drawn below it, its data as CSV (the table the page shows,
    the footer as a leading `# ` comment block) and its Vega-Lite spec.

    The images are drawn in parallel (`draw_images`; `workers=1` in one helper, one by one);
    the files are the same either way."""
    dirs = [Path(d) for d in out_dirs]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    chosen = list(charts)
    specs = [static_spec(chart, footer) for chart in chosen]
    images = draw_images(specs, workers, progress)
    written: dict[str, ChartFiles] = {}
    for chart, spec, (svg, png) in zip(chosen, specs, images, strict=True):
        files = chart_files(chart.chart_id)
        data = chart_csv(chart, footer)
        for d in dirs:
            (d / files.svg).write_text(svg, encoding="utf-8")
            (d / files.png).write_bytes(png)
            (d / files.csv).write_bytes(data)
            (d / files.spec).write_text(spec_text(spec), encoding="utf-8")
        written[chart.chart_id] = files
    return written


def chart_csv(chart: Chart, footer: Sequence[str] = ()) -> bytes:
    """The chart's data as CSV: exactly the table the page shows (withheld values `[c]`), after
    a `# ` comment block with the chart's title and the footer lines, so that
    `pandas.read_csv(path, comment="#", na_values=["[c]"])` reads it."""
    from dma_publish.opendata import commented_csv_bytes

    comments = [chart.title, *footer, CSV_HOW_TO_READ]
    return commented_csv_bytes(
        f"{chart.chart_id}.csv", comments, list(chart.columns), [list(r) for r in chart.rows]
    )


CSV_HOW_TO_READ = (
    'Withheld values are [c]. Read with pandas.read_csv(path, comment="#", na_values=["[c]"]).'
)
