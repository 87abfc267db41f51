"""Charts into pages and files: the HTML block, the page script, and each chart's files.

A chart is drawn once, at build time, as an SVG image with its title, how to read it and the
footer (source, licence, release): the page shows that image (no JavaScript needed to see it),
and the same file is its SVG download. The PNG download is made in the reader's browser from the
SVG (assets/charts.js). The chart's data (CSV) and Vega-Lite spec are files beside it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape, unescape
from pathlib import Path
from typing import Any

import vl_convert

from dma_publish.charts.builders import Chart
from dma_publish.charts.style import DARK_GREY, STATIC_FONT, STATS, TEXT
from dma_publish.resources import CACHE_DIR, package_file

# Vega-Lite 6 compiles to Vega 6, the Vega that vl-convert bundles. Altair 5.5 validates against
# Vega-Lite 5.20, whose schema the specs here keep to.
VL_VERSION = "6.4"
ASSET_DIR = Path("assets") / "js"
SCRIPT_NAME = "charts.js"
# Loaded by overrides/main.html on pages with a chart (path relative to the docs folder).
CHART_SCRIPTS = ((ASSET_DIR / SCRIPT_NAME).as_posix(),)
PAGE_SCRIPT = package_file("assets", SCRIPT_NAME)
# Images drawn by earlier builds, by what they depend on (see `draw_images`).
IMAGE_CACHE = CACHE_DIR / "chart-images"
# An image's width in CSS pixels: the page shows it at up to 1.2 times this on a wide screen and
# shrinks it to fit a phone (343 px of a 375 px screen: 12 px labels shown at 9.4 px).
STATIC_WIDTH = 440
# Characters per line of the title, the words under it and the footer (13 px bold, 12 px and
# 10 px Liberation Sans), so that none runs past the image's width.
TITLE_CHARS, KEY_CHARS, FOOTER_CHARS = 54, 68, 84
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
    image: str = "",
) -> str:
    """The whole chart block for a Markdown page: figure, title, summary, data table, the drawn
    image (`image`: its address from the page) and `downloads` (HTML, one line) at the end.

    Raw HTML with no blank lines, so Python-Markdown passes it through untouched; every text is
    escaped. The image is the chart's SVG file, drawn at build time with its title, how to read
    it and its source below: nothing on the page needs a script to be seen or printed. Its size
    is not known until it is drawn, so the image carries a slot (`size_slot`) that
    `fill_sizes` fills in once it is. `row_href` links the table's row headers (by the chart's
    row keys) to pages; `table_summary` is the words that open the table.
    """
    cid = escape(chart.chart_id)
    # The summary comes first and the table, the chart's text alternative, before the image. The
    # image is named by its description and described by the summary and how to read it. Its
    # title and key are drawn in it, so their words on the page are for screen readers only.
    lines = [
        f'<figure class="dma-chart" id="{cid}" data-chart-kind="{escape(chart.kind)}">',
        f'<figcaption class="dma-chart__title">{escape(chart.title)}</figcaption>',
        f'<p class="dma-chart__summary" id="{cid}-summary">{escape(chart.summary)}</p>',
        f'<details class="dma-chart__data"><summary>{escape(table_summary)}</summary>',
        f'<div class="dma-chart__table" role="region" tabindex="0" style="overflow-x:auto" '
        f'aria-label="{escape(chart.table_caption)}">',
        _table_html(chart, row_href) + "</div></details>",
        f'<img class="dma-chart__view" src="{escape(image)}" alt="{escape(chart.description)}" '
        f'aria-describedby="{cid}-summary {cid}-key" {size_slot(chart.chart_id)} '
        'loading="lazy" decoding="async">',
        f'<p class="dma-chart__key" id="{cid}-key">{escape(chart.key)}</p>{downloads}</figure>',
    ]
    return "\n".join(lines) + "\n"


def size_slot(chart_id: str) -> str:
    """What stands for an image's width and height in a page until it is drawn."""
    return f'data-dma-size="{escape(chart_id)}"'


_SIZE_SLOT = re.compile(r'data-dma-size="([^"]*)"')


def fill_sizes(text: str, sizes: dict[str, tuple[int, int]]) -> str:
    """A page with each image's size slot filled with its width and height (so the page does
    not move when the image arrives). A chart with no size is a fault: it raises KeyError."""
    if "data-dma-size=" not in text:
        return text

    def size(match: re.Match[str]) -> str:
        width, height = sizes[unescape(match.group(1))]
        return f'width="{width}" height="{height}"'

    return _SIZE_SLOT.sub(size, text)


def write_chart_assets(site_docs_dir: Path) -> None:
    """Write the chart script (PNG downloads made in the browser) into the docs folder."""
    out = Path(site_docs_dir) / ASSET_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / SCRIPT_NAME).write_text(PAGE_SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")


@dataclass(frozen=True)
class ChartFiles:
    """A chart's downloads: names within each output folder (the chart id and a suffix). `png` is
    not a file: it is the name the browser saves the PNG it makes from the SVG under."""

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
    spec["title"] = {
        "text": _wrap(chart.title, TITLE_CHARS),
        "subtitle": _wrap(chart.key, KEY_CHARS),
    }
    # aria: false - an image's marks are not read out one by one (the page names the image and
    # gives its table); without an aria-label on every mark the SVG is a third smaller
    spec["config"] = {
        **spec.get("config", {}),
        "aria": False,
        "font": STATIC_FONT,
        "title": TITLE_CONFIG,
    }
    if not footer:
        return spec
    # The chart becomes the one view of a vertical concatenation, and the footer that view's
    # title, set at its bottom: Vega lays it out below the axes and legends, so it never overlaps.
    view = {key: spec.pop(key) for key in VIEW_KEYS if key in spec}
    view["title"] = {
        "text": [line for text in footer for line in _wrap(text, FOOTER_CHARS)],
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


# vl-convert draws one image at a time in a process (about 0.1 s each, nearly all of it in Vega's
# layout), so helper processes, one per core, draw them. A helper is a bare interpreter running
# this loop (not multiprocessing, which would import the caller's main module again). A helper
# sees no system fonts (FONTCONFIG_FILE names a configuration with an empty folder): vl-convert
# then lays out text in the Liberation Sans it carries, so an image does not depend on the fonts
# a machine has; and with a system copy of Liberation Sans present it opened and mapped that file
# again for every piece of text it measured (0.5 s an SVG instead of 0.12).
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
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="(\d+(?:\.\d+)?)"[^>]*?\sheight="(\d+(?:\.\d+)?)"')


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


def svg_size(svg: str) -> tuple[int, int]:
    """An SVG's width and height in CSS pixels, from its root element (rounded up)."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise ValueError("an SVG without a width and height on its root element")
    return math.ceil(float(match.group(1))), math.ceil(float(match.group(2)))


def _draw(spec: dict[str, Any]) -> str:
    """One spec as SVG text, drawn in this process."""
    return vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)


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
        done: Callable[[int, str], None] | None = None,
    ) -> None:
        self.specs = specs
        self.progress = progress
        self.done = done
        self.drawn: list[str | None] = [None] * len(specs)
        self._lock = threading.Lock()
        self._next = 0

    def put(self, i: int, svg: str) -> None:
        """Image i is drawn (its ids renumbered, so it is final)."""
        svg = _stable_ids(svg)
        self.drawn[i] = svg
        if self.done is not None:
            self.done(i, svg)
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
                svg = json.loads(proc.stdout.readline())  # no line: the helper died
                if not isinstance(svg, str):
                    raise ValueError("not an SVG")
            except (OSError, ValueError):
                break  # image i is left for this process
            images.put(i, svg)
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def render_images(
    specs: list[dict[str, Any]],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    done: Callable[[int, str], None] | None = None,
) -> list[str]:
    """Each Vega-Lite spec as SVG text, in order, drawn by `workers` helper processes (by
    default one per core), each taking the next image not yet taken, so the work balances
    itself. Every image is the same whichever helper drew it, and in whatever order. Whatever
    no helper returns (none could start, or one died) is drawn in this process, which sees the
    system's fonts: the same image where the system has no other Liberation Sans.
    `done(i, svg)` is told of each image a helper draws, as it is drawn (from any thread)."""
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
    return [svg for svg in images.drawn if svg is not None]


def _cache_key(spec_text: str) -> str:
    """What an image depends on: the spec, vl-convert (its Vega and the fonts it carries, the
    only fonts a helper sees) and Vega-Lite."""
    version = getattr(vl_convert, "__version__", "unknown")
    fonts = "vl-convert's own fonts"
    return hashlib.sha256(
        f"svg\n{version}\n{fonts}\n{VL_VERSION}\n{spec_text}".encode()
    ).hexdigest()


def _digest(svg: bytes) -> str:
    """What a kept image's bytes hash to: a truncated or altered file does not match."""
    return hashlib.sha256(svg).hexdigest()


def _cached(key: str) -> str | None:
    """An image drawn by an earlier build from the same spec, or None: also when a file is
    missing, or when the image does not match the digest kept with it (a corrupt cache is
    drawn again, so the output stays the same)."""
    svg, digest = (IMAGE_CACHE / f"{key}{suffix}" for suffix in (".svg", ".sha256"))
    try:
        data = svg.read_bytes()
        if digest.read_text(encoding="ascii").strip() != _digest(data):
            return None
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _keep(key: str, svg: str) -> None:
    """Keep an image for later builds: each file written whole, then renamed (a reader never
    sees half a file), the digest last, so an image counts as kept only once all of it is."""
    data = svg.encode("utf-8")
    files = ((".svg", data), (".sha256", _digest(data).encode("ascii") + b"\n"))
    try:
        IMAGE_CACHE.mkdir(parents=True, exist_ok=True)
        for suffix, content in files:
            # helpers' threads keep images at once: the name is this thread's own
            temporary = IMAGE_CACHE / f"{key}{suffix}.{os.getpid()}-{threading.get_ident()}.tmp"
            temporary.write_bytes(content)
            temporary.replace(IMAGE_CACHE / f"{key}{suffix}")
    except OSError:
        pass  # a read-only checkout just draws the images each time


def draw_images(
    specs: list[dict[str, Any]],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Each spec as SVG text: from the cache where an earlier build drew the same spec, the rest
    drawn in parallel (`render_images`) and kept. The images depend only on the spec and
    vl-convert, so a cached image is the same bytes as a new one. `progress(n)` is told of each
    image as it is ready (from the cache or drawn; from any thread)."""
    keys = [_cache_key(spec_text(spec)) for spec in specs]
    images: list[str | None] = [_cached(key) for key in keys]
    missing = [n for n, image in enumerate(images) if image is None]
    STATS.n_images_drawn += len(missing)
    STATS.n_images_cached += len(specs) - len(missing)
    if progress is not None and len(specs) > len(missing):
        progress(len(specs) - len(missing))
    # each image is kept as soon as it is drawn: a build stopped part way keeps what it drew
    drawn = (
        render_images(
            [specs[n] for n in missing], workers, progress,
            done=lambda i, svg: _keep(keys[missing[i]], svg),
        )
        if missing
        else []
    )  # fmt: skip
    for n, image in zip(missing, drawn, strict=True):
        images[n] = image
    return [image for image in images if image is not None]


def spec_text(spec: dict[str, Any]) -> str:
    """A spec as the .vl.json file published beside its image."""
    return json.dumps(spec, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write_chart_files(
    charts: Iterable[Chart],
    out_dirs: Iterable[Path],
    footer: Sequence[str] = (),
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, tuple[int, int]]:
    """Write each chart's files into each folder: the image as SVG with the footer lines (source,
    licence, release) drawn below it, its data as CSV (the table the page shows, the footer as a
    leading `# ` comment block) and its Vega-Lite spec. Returns each image's width and height
    (by chart id), for the pages that show it (`fill_sizes`).

    The images are drawn in parallel (`draw_images`; `workers=1` in one helper, one by one);
    the files are the same either way. Each image is written as soon as its files are, and not
    held after."""
    dirs = [Path(d) for d in out_dirs]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    chosen = list(charts)
    specs = [static_spec(chart, footer) for chart in chosen]
    images = draw_images(specs, workers, progress)
    sizes: dict[str, tuple[int, int]] = {}
    for n, (chart, spec) in enumerate(zip(chosen, specs, strict=True)):
        svg, images[n] = images[n], ""
        files = chart_files(chart.chart_id)
        data = chart_csv(chart, footer)
        for d in dirs:
            (d / files.svg).write_text(svg, encoding="utf-8")
            (d / files.csv).write_bytes(data)
            (d / files.spec).write_text(spec_text(spec), encoding="utf-8")
        sizes[chart.chart_id] = svg_size(svg)
    return sizes


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
