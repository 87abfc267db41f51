"""Helpers for the browser tests: open a page and wait for its charts, read its charts, search."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dma_publish.browser import RequestLog

CHART_TIMEOUT_MS = 20_000
SEARCH_TIMEOUT_MS = 30_000
NHS_BLUE = "rgb(0, 94, 184)"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Every chart view has settled: rendered ("done") or failed ("error").
CHARTS_SETTLED = """() => [...document.querySelectorAll('.dma-chart__view')].every(
    (v) => ['done', 'error'].includes(v.getAttribute('data-rendered')))"""


def open_page(page: Any, url: str, log: RequestLog | None = None, draw_all: bool = True) -> Any:
    """Go to `url` and wait for the load event; return the response.

    A page draws a chart only when it comes near the screen (charts.js). With `draw_all` the
    page is asked to draw every chart, as it does before printing (`dmaCharts.renderAll`, the
    same code path), and the call waits until each has settled: the tests then read every chart,
    those in hidden tabs and far down the page too. `tests/e2e/test_e2e_lazy_charts.py` checks
    the drawing on approach."""
    if log is not None:
        log.clear()
    response = page.goto(url, wait_until="load")
    if draw_all:
        draw_charts(page)
    return response


def draw_charts(page: Any) -> None:
    """Ask the page to draw every chart now; wait until every chart view has settled."""
    page.evaluate("() => window.dmaCharts ? window.dmaCharts.renderAll().then(() => true) : true")
    page.wait_for_function(CHARTS_SETTLED, timeout=CHART_TIMEOUT_MS)


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
    rendered: str | None
    svg_count: int
    marks: int
    width: int  # the drawn SVG's size on screen, px
    height: int
    room: int  # the width of the chart's figure, px
    summary: str
    columns: list[str]
    rows: list[list[str]]


READ_CHARTS = """() => [...document.querySelectorAll('figure.dma-chart')].map((f) => {
  const view = f.querySelector('.dma-chart__view');
  const svgs = view ? view.querySelectorAll('svg') : [];
  const marks = view ? view.querySelectorAll(
      'svg g[class*="mark-"] > path, svg g[class*="mark-"] > line, svg g[class*="mark-"] > rect, '
      + 'svg g[class*="mark-"] > circle, svg g[class*="mark-"] > text').length : 0;
  const box = svgs.length ? svgs[0].getBoundingClientRect() : {width: 0, height: 0};
  const table = f.querySelector('.dma-chart__data table');
  const text = (cell) => cell.textContent.trim();
  return {
    chart_id: f.id,
    kind: f.dataset.chartKind || '',
    rendered: view ? view.getAttribute('data-rendered') : null,
    svg_count: svgs.length,
    marks: marks,
    width: Math.round(box.width),
    height: Math.round(box.height),
    room: view ? Math.round(view.parentElement.getBoundingClientRect().width) : 0,
    summary: (f.querySelector('.dma-chart__summary') || {textContent: ''}).textContent.trim(),
    columns: table ? [...table.querySelectorAll('thead th')].map(text) : [],
    rows: table ? [...table.querySelectorAll('tbody tr')].map(
        (tr) => [...tr.querySelectorAll('th, td')].map(text)) : [],
  };
})"""


def read_charts(page: Any) -> list[ChartState]:
    """Every chart on the page: its rendering state, SVG marks, summary and data table."""
    return [ChartState(**item) for item in page.evaluate(READ_CHARTS)]


def assert_drawn(chart: ChartState, where: str) -> None:
    """The chart is drawn: one SVG with marks, of a readable size, within its figure."""
    assert chart.rendered == "done", f"{where}: chart state {chart.rendered}"
    assert chart.svg_count == 1, f"{where}: {chart.svg_count} SVGs in the view"
    assert chart.marks > 0, f"{where}: the SVG has no marks"
    assert chart.width >= min(250, chart.room * 0.8), f"{where}: drawn {chart.width}px wide"
    assert chart.height >= 100, f"{where}: drawn {chart.height}px high"
    assert chart.width <= chart.room + 1, f"{where}: {chart.width}px wide in {chart.room}px"


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
