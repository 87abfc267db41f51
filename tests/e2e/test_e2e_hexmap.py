"""Issue 30: the ICBs' hex map in Chromium, on the national page and a region page of the demo
and of the official site, at 1280 and 375 px: 42 hexagons are seen, whole, with labels that can
be read; the table beside the map links every ICB to its page (and comes first in reading
order); axe-core finds no violation."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from browser import RequestLog, format_violations, run_axe, serve
from e2e_helpers import DESKTOP, PHONE, open_page

MAP = 'figure[data-chart-kind="icb_hexmap"]'
STATIC_WIDTH = 440  # charts.render.STATIC_WIDTH: the width the image is drawn for
LABEL_PX = 14  # the labels' font size in the image
SYMBOLS = """(svgText) => {
    const holder = document.createElement('div');
    holder.innerHTML = svgText;
    document.body.appendChild(holder);
    const svg = holder.querySelector('svg');
    const box = svg.getBoundingClientRect();
    const places = new Set();
    let inside = true;
    for (const p of svg.querySelectorAll('g.mark-symbol path')) {
        const r = p.getBoundingClientRect();
        if (r.width < 20 || r.height < 20) continue;
        places.add(Math.round(r.x - box.x) + ',' + Math.round(r.y - box.y));
        inside = inside && r.left >= box.left - 1 && r.right <= box.right + 1
            && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }
    holder.remove();
    return {n: places.size, inside};
}"""


def _check_map_page(page, base: str, path: str, width: int) -> None:
    """The first map shown on the page: seen whole, 42 hexagons, every ICB linked to its page."""
    where = f"{path} at {width}px"
    figure = page.locator(f"{MAP}:visible").first
    assert figure.count() == 1, f"{where}: no map shown"
    image = figure.locator("img.dma-chart__view")
    box = image.bounding_box()
    assert box and box["width"] > 300 and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (
        where
    )
    assert image.evaluate("(i) => i.complete && i.naturalWidth > 0"), f"{where}: image not drawn"
    # labels at least 10 px high as shown (14 px in an image drawn 440 px wide)
    assert LABEL_PX * box["width"] / STATIC_WIDTH >= 10, where
    svg = page.request.get(urljoin(base + path, image.get_attribute("src"))).text()
    found = page.evaluate(SYMBOLS, svg)
    assert found == {"n": 42, "inside": True}, f"{where}: {found}"
    # the table comes before the image in reading order and links every ICB to its page
    order = figure.evaluate(
        """(f) => [...f.querySelectorAll('table, img')].map((e) => e.tagName)"""
    )
    assert order == ["TABLE", "IMG"], where
    links = figure.locator("table tbody th a")
    assert links.count() == 42, where
    for href in links.evaluate_all("(as) => as.map((a) => a.href)"):
        assert "/icbs/" in href and href.endswith(".html"), href
        assert page.request.get(href).status == 200, href


def _check_site(browser, server, pages: list[str]) -> None:
    found = {}
    for viewport in (DESKTOP, PHONE):
        ctx = browser.new_context(viewport=viewport)
        page = ctx.new_page()
        log = RequestLog(allowed_origins=(server.origin,))
        log.attach(page)
        try:
            for path in pages:
                open_page(page, server.url + path, log)
                _check_map_page(page, server.url, path, viewport["width"])
                violations = run_axe(page)
                if violations:
                    found[f"{path} at {viewport['width']}"] = format_violations(violations)
                assert log.external_requests() == [] and log.failures == [], path
        finally:
            ctx.close()
    assert not found, found


def test_the_demo_map_on_the_national_and_a_region_page(browser, server, samples):
    _check_site(browser, server, ["national.html", samples.region])


@pytest.fixture(scope="module")
def official_server(official_site):
    with serve(official_site[0]) as running:
        yield running


def test_the_official_map_on_the_national_and_a_region_page(browser, official_server):
    _check_site(browser, official_server, ["national.html", "regions/Y60.html"])


def test_every_region_page_has_a_map(site_dir: Path):
    regions = sorted((site_dir / "regions").glob("Y*.html"))
    assert len(regions) == 7
    for path in regions:
        assert 'data-chart-kind="icb_hexmap"' in path.read_text(encoding="utf-8"), path.name
