"""Page weight per page type, and what a keyboard reaches: charts (with their summary announced),
and no invisible tab stop."""

from __future__ import annotations

import gzip

import pytest
from e2e_helpers import open_page

# Pages without a chart stay light: the charts' script is loaded only where there is a chart.
LIGHT_PAGE_KIB = 400  # on the wire (gzip, as any web server sends text)
CHART_SCRIPT = "/assets/js/charts.js"


def _weigh(page, url: str) -> tuple[int, list[str]]:
    """Bytes the page moved, compressed as a web server would send them, and the URLs."""
    sizes: dict[str, int] = {}

    def record(response) -> None:
        try:
            sizes[response.url] = len(gzip.compress(response.body(), 6))
        except Exception:  # a redirect or an aborted request has no body
            return

    page.on("response", record)
    open_page(page, url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", record)
    return sum(sizes.values()), sorted(sizes)


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "organisations/index.html",
        "regions/index.html",
        "icbs/index.html",
        "domains/index.html",
        "downloads/index.html",
        "data-dictionary.html",
        "comparability.html",
    ],
)
def test_pages_without_charts_are_light(page, server, path):
    total, urls = _weigh(page, server.url + path)
    assert not any(u.endswith(CHART_SCRIPT) for u in urls), f"{path} loads the charts' script"
    assert total <= LIGHT_PAGE_KIB * 1024, f"{path}: {total / 1024:.0f} KiB on the wire"


def test_chart_pages_load_the_charts_script_once_and_no_chart_library(page, server, chart_pages):
    for kind, path in chart_pages.items():
        open_page(page, server.url + path)
        loaded = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
        assert sum(u.endswith(CHART_SCRIPT) for u in loaded) == 1, kind
        assert not [u for u in loaded if "vega" in u.lower()], kind


def test_every_chart_kind_is_an_image_named_and_described_by_its_summary(page, server, chart_pages):
    for kind, path in chart_pages.items():
        open_page(page, server.url + path)
        chart = page.evaluate(
            """() => {
              const e = document.querySelector('img.dma-chart__view');
              const described = (e.getAttribute('aria-describedby') || '').split(' ')
                .map((id) => document.getElementById(id)).filter(Boolean)
                .map((n) => n.textContent.trim());
              return {name: e.getAttribute('alt'), described: described, tab: e.tabIndex};
            }"""
        )
        assert chart["name"], kind
        assert chart["tab"] == -1, f"{kind}: the image is a tab stop (it does nothing)"
        summary = page.locator(".dma-chart__summary").first.text_content().strip()
        assert summary in chart["described"], f"{kind}: the summary is not announced"


def test_the_data_table_comes_before_the_chart_and_says_what_it_is(page, server, chart_pages):
    open_page(page, server.url + chart_pages["national"])
    order = page.evaluate(
        """() => [...document.querySelector('figure.dma-chart').children]
            .map((c) => c.classList[0] || c.tagName)"""
    )
    assert order.index("dma-chart__data") < order.index("dma-chart__view")
    label = page.locator("figure.dma-chart .dma-chart__data > summary").first.text_content()
    assert "table" in label.lower()


def test_no_invisible_tab_stops_at_the_top_of_a_page(page, server):
    open_page(page, server.url + "index.html")
    for stop in range(1, 8):
        page.keyboard.press("Tab")
        box = page.evaluate(
            """() => { const e = document.activeElement; const r = e.getBoundingClientRect();
                 return {w: r.width, h: r.height, cls: e.className, tag: e.tagName}; }"""
        )
        # The skip link is shown when focused; everything else has a size on screen.
        assert box["w"] > 0 and box["h"] > 0, f"tab stop {stop} is invisible: {box}"
