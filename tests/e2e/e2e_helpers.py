"""Helpers for the browser tests: open a page and wait for its charts, read its charts, search."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from browser import RequestLog
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHART_TIMEOUT_MS = 20_000
SEARCH_TIMEOUT_MS = 30_000
NHS_BLUE = "rgb(0, 94, 184)"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Every chart's image has arrived: loaded, or failed (a broken image has no natural width).
IMAGES_SETTLED = (
    """() => [...document.querySelectorAll('img.dma-chart__view')].every((i) => i.complete)"""
)


def open_page(page: Any, url: str, log: RequestLog | None = None, draw_all: bool = True) -> Any:
    """Go to `url` and wait for the load event; return the response.

    A chart is an image drawn at build time, fetched when it comes near the screen (loading
    lazy). With `draw_all` every chart's image is fetched now, as before printing, and the call
    waits until each has arrived: the tests then read every chart, those in hidden tabs and far
    down the page too. `tests/e2e/test_e2e_static_charts.py` checks the pages without it."""
    if log is not None:
        log.clear()
    response = page.goto(url, wait_until="load")
    if draw_all:
        draw_charts(page)
    return response


def draw_charts(page: Any) -> None:
    """Fetch every chart's image now (as the page does before printing); wait for them all."""
    page.evaluate(
        """() => document.querySelectorAll('img.dma-chart__view')
            .forEach((i) => { i.loading = 'eager'; })"""
    )
    page.wait_for_function(IMAGES_SETTLED, timeout=CHART_TIMEOUT_MS)


def assert_clean(log: RequestLog, where: str) -> None:
    """No request left the test server, no request failed, nothing was logged as an error."""
    assert log.external_requests() == [], f"{where}: requests to other hosts"
    assert log.failures == [], f"{where}: failed requests"
    assert log.console_errors == [], f"{where}: console errors"


@dataclass(frozen=True)
class ChartState:
    """One chart as the browser shows it."""

    chart_id: str
    kind: str
    rendered: str | None  # "done" (its image arrived), "error" (it failed) or None (not yet)
    images: int  # images in the figure
    src: str  # the image's address, resolved
    natural: tuple[int, int]  # the image's own size, px
    width: int  # the image's size on screen, px
    height: int
    room: int  # the width of the chart's figure, px
    summary: str
    columns: list[str]
    rows: list[list[str]]


READ_CHARTS = """() => [...document.querySelectorAll('figure.dma-chart')].map((f) => {
  const images = f.querySelectorAll('img.dma-chart__view');
  const view = images[0];
  const box = view ? view.getBoundingClientRect() : {width: 0, height: 0};
  const table = f.querySelector('.dma-chart__data table');
  const text = (cell) => cell.textContent.trim();
  return {
    chart_id: f.id,
    kind: f.dataset.chartKind || '',
    rendered: !view || !view.complete ? null : (view.naturalWidth > 0 ? 'done' : 'error'),
    images: images.length,
    src: view ? view.currentSrc || view.src : '',
    natural: view ? [view.naturalWidth, view.naturalHeight] : [0, 0],
    width: Math.round(box.width),
    height: Math.round(box.height),
    room: Math.round(f.getBoundingClientRect().width),
    summary: (f.querySelector('.dma-chart__summary') || {textContent: ''}).textContent.trim(),
    columns: table ? [...table.querySelectorAll('thead th')].map(text) : [],
    rows: table ? [...table.querySelectorAll('tbody tr')].map(
        (tr) => [...tr.querySelectorAll('th, td')].map(text)) : [],
  };
})"""


def read_charts(page: Any) -> list[ChartState]:
    """Every chart on the page: its image's state and size, summary and data table."""
    charts = []
    for item in page.evaluate(READ_CHARTS):
        item["natural"] = tuple(item["natural"])
        charts.append(ChartState(**item))
    return charts


def assert_drawn(chart: ChartState, where: str) -> None:
    """The chart is shown: one image, arrived, of a readable size, within its figure."""
    assert chart.images == 1, f"{where}: {chart.images} images in the figure"
    assert chart.rendered == "done", f"{where}: image {chart.rendered} ({chart.src})"
    assert chart.src.endswith(f"/{chart.chart_id}.svg"), f"{where}: shows {chart.src}"
    assert chart.natural[0] > 0 and chart.natural[1] > 0, f"{where}: an empty image"
    if chart.room == 0:
        return  # in a tab that is not chosen: not laid out, so no size on screen to check
    assert chart.width >= min(250, chart.room * 0.8), f"{where}: shown {chart.width}px wide"
    assert chart.height >= 100, f"{where}: shown {chart.height}px high"
    assert chart.width <= chart.room + 1, f"{where}: {chart.width}px wide in {chart.room}px"
    # shown at its own proportions
    ratio = chart.natural[1] / chart.natural[0]
    assert abs(chart.height - chart.width * ratio) <= 2, f"{where}: stretched"


def number(text: str) -> float | None:
    """A table cell as a number ("+0.66", "2.40", "132"); None for "[x]", blanks and words."""
    text = text.strip().replace(",", "").replace("\u2212", "-")
    try:
        return float(text)
    except ValueError:
        return None


def ints(text: str) -> list[int]:
    """The whole numbers written in a sentence, in order."""
    return [int(m) for m in re.findall(r"(?<![\d.])(\d+)(?![\d.])", text)]


def open_search(page: Any) -> Any:
    """Open the search box (the same key at every width) and return its input."""
    page.locator("body").press("/")
    query = page.locator("input.md-search__input")
    query.wait_for(state="visible")
    return query


def search(page: Any, text: str, expect: str) -> list[str]:
    """Type `text` into the search box a key at a time and wait for a result whose link contains
    `expect` (results change while typing); return every result link's href."""
    query = open_search(page)
    query.fill("")
    query.press_sequentially(text, delay=20)
    page.wait_for_selector(".md-search-result__item", timeout=SEARCH_TIMEOUT_MS)
    with contextlib.suppress(PlaywrightTimeout):  # the caller reports what the search found
        page.wait_for_function(
            """(expect) => [...document.querySelectorAll('.md-search-result__item a')]
                .some((a) => a.href.includes(expect))""",
            arg=expect,
            timeout=SEARCH_TIMEOUT_MS,
        )
    return page.eval_on_selector_all(
        ".md-search-result__item a", "(links) => links.map((a) => a.href)"
    )
