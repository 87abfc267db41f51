"""Issue 26: charts are static first. Each is the SVG image drawn at build time, seen with
JavaScript off and in print; no chart library is loaded; the PNG download is made in the
reader's browser from the SVG, at twice its size. (axe-core checks the chart pages with the PNG
button shown: test_e2e_accessibility.py.)"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from browser import RequestLog
from e2e_helpers import DESKTOP, PHONE, assert_drawn, draw_charts, open_page, read_charts

PNG_SCALE = 2  # assets/charts.js: pixels of the PNG per CSS pixel of the chart


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk (Pillow is not a dependency)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_every_chart_is_an_image_seen_with_javascript_off(browser, server, chart_pages, viewport):
    ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = ctx.new_page()
    log = RequestLog(allowed_origins=(server.origin,))
    log.attach(page)
    try:
        for kind, path in chart_pages.items():
            log.clear()
            page.goto(server.url + path, wait_until="load")
            # with scripting off the browser fetches every image (no lazy loading to wait for)
            page.wait_for_function(
                "() => [...document.querySelectorAll('img.dma-chart__view')].every((i) => i.complete)"
            )
            charts = read_charts(page)
            assert charts, f"{kind}: no chart"
            shown = 0
            for chart in charts:
                if chart.room == 0:
                    continue  # in a tab that is not chosen (tabs are CSS: they work without JS)
                assert_drawn(chart, f"{path} at {viewport['width']}px, no JS: {chart.chart_id}")
                shown += 1
            assert shown, f"{kind}: no chart shown"
            # the PNG button needs the script: without it, it is not offered
            assert page.locator("button.dma-chart__png:visible").count() == 0, kind
            assert log.failures == [] and log.external_requests() == [], kind
    finally:
        ctx.close()


def test_no_chart_library_is_loaded_and_images_wait_until_they_are_near(page, server, chart_pages):
    for kind, path in chart_pages.items():
        open_page(page, server.url + path, draw_all=False)
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
        scripts = [u for u in loaded if u.endswith(".js")]
        assert not [u for u in loaded if "vega" in u.lower()], f"{kind}: a Vega file was loaded"
        assert sum(u.endswith("/charts.js") for u in scripts) == 1, kind
        images = [u for u in loaded if u.endswith(".svg") and "/downloads/charts/" in u]
        total = page.locator("img.dma-chart__view").count()
        if kind in ("trust", "icb", "domain"):  # long pages: the images far down wait
            assert len(images) < total, f"{kind}: every image fetched at once"
        # scrolled to, the last chart's image arrives
        last = page.locator("img.dma-chart__view:visible").last
        last.scroll_into_view_if_needed()
        page.wait_for_function("(i) => i.complete && i.naturalWidth > 0", arg=last.element_handle())


def test_every_chart_image_is_fetched_before_printing(page, server, chart_pages):
    open_page(page, server.url + chart_pages["trust"], draw_all=False)
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function(
        """() => [...document.querySelectorAll('img.dma-chart__view')]
            .every((i) => i.complete && i.naturalWidth > 0)"""
    )
    page.emulate_media(media="print")
    for chart in read_charts(page):
        assert_drawn(chart, f"print: {chart.chart_id}")
    page.emulate_media(media="screen")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_the_png_button_makes_a_png_of_the_chart_at_twice_its_size(
    browser, server, chart_pages, viewport, tmp_path: Path
):
    ctx = browser.new_context(viewport=viewport, accept_downloads=True)
    page = ctx.new_page()
    try:
        for kind in ("trust", "national", "region"):
            open_page(page, server.url + chart_pages[kind])
            figure = page.locator("figure.dma-chart:visible").first
            chart_id = figure.get_attribute("id")
            button = figure.locator("button.dma-chart__png")
            assert button.is_visible(), f"{kind}: no PNG button"
            assert button.get_attribute("aria-label").startswith("PNG image of the chart: ")
            with page.expect_download() as info:
                button.click()
            download = info.value
            assert download.suggested_filename == f"{chart_id}.png", kind
            target = tmp_path / f"{kind}-{viewport['width']}.png"
            download.save_as(target)
            natural = page.evaluate(
                "(f) => { const i = f.querySelector('img.dma-chart__view');"
                " return [i.naturalWidth, i.naturalHeight]; }",
                figure.element_handle(),
            )
            assert _png_size(target.read_bytes()) == (
                natural[0] * PNG_SCALE,
                natural[1] * PNG_SCALE,
            ), kind
            status = figure.locator(".dma-chart__status")
            assert status.text_content() == "PNG saved.", kind
            assert status.get_attribute("role") == "status"
    finally:
        ctx.close()


def test_the_png_button_from_a_copy_on_disk_says_why_not_and_points_to_the_svg(
    page, site_dir, chart_pages
):
    page.goto((site_dir / chart_pages["trust"]).as_uri(), wait_until="load")
    draw_charts(page)
    figure = page.locator("figure.dma-chart").first
    figure.locator("button.dma-chart__png").click()
    status = figure.locator(".dma-chart__status")
    status.wait_for()
    page.wait_for_function(
        "(s) => !s.textContent.startsWith('Making')", arg=status.element_handle()
    )
    assert status.text_content() in (
        "PNG saved.",  # a browser that lets a page read back a file's image
        "A PNG can be made only when the site is served by a web server: the SVG is the same chart.",
    )
