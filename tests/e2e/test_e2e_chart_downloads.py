"""Issue 14: every chart offers its downloads (SVG, its data as CSV, its spec) as real
`<a download>` links, and a PNG button (issue 26: made in the browser, test_e2e_static_charts.py), on the demo's chart pages and the official site's; each file is served, opens
and parses, carries the source, licence and release footer, and the CSV is the page's table."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin
from xml.etree import ElementTree

import pandas as pd
import pytest
from browser import serve
from e2e_helpers import DESKTOP, PHONE, open_page, read_charts

TEXTS = ["SVG", "PNG", "data (CSV)", "Vega-Lite (JSON)"]  # PNG: a button
READ_LINKS = """() => [...document.querySelectorAll('figure.dma-chart')].map((f) => ({
  id: f.id,
  title: f.querySelector('.dma-chart__title').textContent.trim(),
  links: [...f.querySelectorAll('.dma-chart__files a, .dma-chart__files button')].map((a) => {
    const box = a.getBoundingClientRect();
    return {tag: a.tagName, href: a.getAttribute('href'), url: a.href,
            download: a.hasAttribute('download'),
            text: a.textContent.trim(), label: a.getAttribute('aria-label') || '',
            left: box.left, right: box.right, top: box.top, bottom: box.bottom,
            width: box.width, height: box.height};
  }),
}))"""


def _release(site: Path) -> SimpleNamespace:
    """The site's release metadata, as its datapackage.json states it."""
    package = json.loads((site / "downloads" / "datapackage.json").read_text(encoding="utf-8"))
    return SimpleNamespace(
        title=package["title"],
        licence=package["licenses"][0]["title"],
        version=package["version"],
        release_date=package["created"][:10],
    )


def _get(url: str) -> bytes:
    """A file over loopback HTTP (the test server); fails on anything but 200."""
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read()


def _svg_texts(data: bytes) -> list[str]:
    """The lines of text an SVG draws (Vega writes a multi-line title as tspans)."""
    root = ElementTree.fromstring(data)  # parses as XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return [el.text for el in root.iter() if el.tag.endswith(("}text", "}tspan")) and el.text]


def _check_downloads(page, url: str, release) -> set[str]:
    """Every chart on the page at `url`: four download links whose files open, carry the footer,
    and (the CSV) hold exactly the chart's table. Returns the chart kinds seen."""
    open_page(page, url)
    tables = {c.chart_id: c for c in read_charts(page)}
    figures = page.evaluate(READ_LINKS)
    assert figures, f"{url}: no chart"
    footer = f"Licence: {release.licence}. Release {release.version}, {release.release_date}."
    for fig in figures:
        where = f"{url}#{fig['id']}"
        assert [a["text"] for a in fig["links"]] == TEXTS, where
        links = [a for a in fig["links"] if a["tag"] == "A"]
        (button,) = [a for a in fig["links"] if a["tag"] == "BUTTON"]
        assert button["label"].startswith("PNG") and fig["title"] in button["label"], where
        for a in links:
            assert a["download"], f"{where}: {a['text']} is not a download link"
            assert a["label"].startswith(a["text"]) and fig["title"] in a["label"], a["label"]
            assert a["href"].startswith("../") or a["href"].startswith("downloads/"), a["href"]
        svg, csv, spec = (_get(urljoin(url, a["href"])) for a in links)
        texts = _svg_texts(svg)
        # the title, perhaps over two lines, and the footer
        assert fig["title"] in " ".join(texts), f"{where}: title not in the SVG"
        assert footer in texts, f"{where}: footer not in the SVG"
        assert f"Source: {release.title}" in " ".join(texts), where  # perhaps over lines
        # the SVG offered for download is the image the page shows
        shown = page.evaluate(
            "(id) => document.getElementById(id).querySelector('img.dma-chart__view').src",
            fig["id"],
        )
        assert shown == urljoin(url, links[0]["href"]), where
        chart = tables[fig["id"]]
        text = csv.decode("utf-8")
        assert f"# {footer}" in text.splitlines()[:5], f"{where}: footer not in the CSV"
        table = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
        assert list(table.columns) == chart.columns, where
        assert table.values.tolist() == chart.rows, f"{where}: the CSV is not the page's table"
        numbers = pd.read_csv(io.StringIO(text), comment="#", na_values=["[c]"])
        assert len(numbers) == len(chart.rows)
        assert b'"vconcat"' in spec and footer.encode() in spec
    return {c.kind for c in tables.values()}


def test_every_chart_kind_offers_svg_and_csv_that_open_and_match_the_table(
    page, server, chart_pages, site_dir
) -> None:
    release = _release(site_dir)
    kinds: set[str] = set()
    for path in chart_pages.values():
        kinds |= _check_downloads(page, server.url + path, release)
    assert kinds == {
        "national_levels", "national_overall", "region", "icb_system",
        "org_pillars", "org_domains", "org_lfl", "domain_levels", "icb_hexmap",
    }  # fmt: skip


def test_the_official_sites_charts_offer_their_downloads(browser, official_site) -> None:
    site, _ = official_site
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    with serve(site) as running:
        kinds = set()
        for path in ("national.html", "regions/Y58.html", "icbs/QHM.html", "trusts/RNZ.html"):
            kinds |= _check_downloads(page, running.url + path, _release(site))
    ctx.close()
    assert {"org_pillars", "icb_system", "region"} <= kinds


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_download_links_fit_the_screen_and_are_big_enough_to_hit(
    browser, server, chart_pages, viewport
) -> None:
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    for path in chart_pages.values():
        open_page(page, server.url + path)
        for fig in page.evaluate(READ_LINKS):
            boxes = fig["links"]
            for a in boxes:
                assert a["left"] >= 0 and a["right"] <= viewport["width"], (path, a)
                assert a["height"] >= 24 and a["width"] >= 24, (path, a)  # WCAG 2.5.8
            for one, other in zip(boxes, boxes[1:], strict=False):
                apart = one["right"] <= other["left"] or one["bottom"] <= other["top"]
                assert apart, f"{path}: {one['text']} and {other['text']} overlap"
    ctx.close()


def test_a_charts_downloads_are_reached_by_keyboard(page, server, chart_pages) -> None:
    open_page(page, server.url + chart_pages["domain"])
    first = page.locator(".dma-chart__files a").first
    href = first.get_attribute("href")
    reached = False
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('href')") == href:
            reached = True
            break
    assert reached, "Tab never reached the chart's first download link"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused download link shows no focus outline"
