"""Issue 7: the main pages at a desktop's and a phone's width: screenshots for a person to look at
(in DMA_E2E_SHOTS, default /tmp/e2e/shots), and no page wider than a phone's screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_helpers import DESKTOP, PHONE, assert_clean, assert_drawn, open_page, read_charts

SHOTS = Path(os.environ.get("DMA_E2E_SHOTS", "/tmp/e2e/shots"))


@pytest.mark.parametrize("kind", ["home", "trust", "icb", "domain"])
def test_screens(page, log, server, chart_pages, kind):
    path = "index.html" if kind == "home" else chart_pages[kind]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        open_page(page, server.url + path, log)
        for chart in read_charts(page):
            assert_drawn(chart, f"{path} at {size['width']}px {chart.chart_id}")
        page.screenshot(path=str(SHOTS / f"{kind}-{name}.png"), full_page=True)
        # Nothing makes the page itself scroll sideways (wide tables scroll in their own box).
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {size['width']}px is {overflow}px wider than the screen"
        assert_clean(log, f"{path} at {size['width']}px")
