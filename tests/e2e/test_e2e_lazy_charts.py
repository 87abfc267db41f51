"""Charts are drawn when they are needed (charts.js): a chart far from the screen is not drawn and
the Vega bundle is not loaded until a chart comes near, by scrolling, by keyboard, from file://
too. Issue 14: a chart page is ready to read as soon as its words are (Lighthouse performance)."""

from __future__ import annotations

import pytest
from e2e_helpers import CHART_TIMEOUT_MS, DESKTOP, PHONE, open_page

BUNDLE = "vega-bundle.js"
NEAR_PX = 200  # charts.js draws a chart within this distance of the viewport

# Where each chart view is, and whether it is drawn.
VIEWS = """() => [...document.querySelectorAll('.dma-chart__view')].map((v) => {
  const r = v.getBoundingClientRect();
  return {id: v.closest('figure').id, top: r.top, bottom: r.bottom,
          shown: (r.width > 0 || r.height > 0) && getComputedStyle(v).visibility !== 'hidden',
          rendered: v.getAttribute('data-rendered')};
})"""

BUNDLE_LOADED = f"""() => performance.getEntriesByType('resource')
    .filter((e) => e.name.endsWith('{BUNDLE}')).length"""


def _views(page) -> list[dict]:
    return page.evaluate(VIEWS)


def _wait_drawn(page, chart_id: str) -> None:
    page.wait_for_function(
        """(id) => { const v = document.querySelector('#' + CSS.escape(id) + ' .dma-chart__view');
                     return v && ['done', 'error'].includes(v.getAttribute('data-rendered')); }""",
        arg=chart_id,
        timeout=CHART_TIMEOUT_MS,
    )
    state = page.evaluate(
        "(id) => document.querySelector('#' + CSS.escape(id) + ' .dma-chart__view')"
        ".getAttribute('data-rendered')",
        chart_id,
    )
    assert state == "done", f"{chart_id}: {state}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_charts_far_from_the_screen_wait_and_the_bundle_with_them(
    browser, server, chart_pages, viewport
):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        for kind, path in chart_pages.items():
            open_page(page, server.url + path, draw_all=False)
            page.wait_for_load_state("networkidle")
            views = _views(page)
            assert views, f"{kind}: no chart"
            height = viewport["height"]
            near = [
                v
                for v in views
                if v["shown"] and v["top"] < height + NEAR_PX and v["bottom"] > -NEAR_PX
            ]
            far = [v for v in views if not v["shown"] or v["top"] > height + NEAR_PX + 1]
            assert far, f"{kind}: every chart is near the top of the page"
            for view in far:
                assert view["rendered"] is None, (
                    f"{kind}: {view['id']} drawn though far from the screen"
                )
            if not near:
                assert page.evaluate(BUNDLE_LOADED) == 0, (
                    f"{kind}: the chart bundle loaded with no chart near"
                )
            # Scrolled to, the first far chart is drawn, and the bundle is loaded once.
            target = next(v for v in far if v["shown"])
            page.locator(f"#{target['id']} .dma-chart__view").scroll_into_view_if_needed()
            _wait_drawn(page, target["id"])
            assert page.evaluate(BUNDLE_LOADED) == 1, kind
    finally:
        context.close()


def test_a_chart_reached_by_keyboard_is_drawn(page, server, chart_pages):
    open_page(page, server.url + chart_pages["trust"], draw_all=False)
    for _ in range(400):
        page.keyboard.press("Tab")
        chart_id = page.evaluate(
            """() => { const e = document.activeElement;
                       return e && e.classList.contains('dma-chart__view') ? e.closest('figure').id : null; }"""
        )
        if chart_id:
            break
    else:
        pytest.fail("no chart reached by Tab")
    _wait_drawn(page, chart_id)


def test_a_chart_in_a_tab_not_shown_is_drawn_when_its_tab_is_chosen(page, server):
    # The national page has one tab per year; only the latest is shown at first.
    open_page(page, server.url + "national.html", draw_all=False)
    hidden = [v for v in _views(page) if not v["shown"]]
    assert hidden, "the national page has no chart in a tab that is not shown"
    assert all(v["rendered"] is None for v in hidden)
    chart_id = hidden[0]["id"]
    page.evaluate(
        """(id) => { const panel = document.getElementById(id).closest('.dma-tabs__panel');
                     const input = document.querySelector('[aria-controls="' + panel.id + '"]');
                     document.querySelector('label[for="' + input.id + '"]').click(); }""",
        chart_id,
    )
    page.locator(f"#{chart_id} .dma-chart__view").scroll_into_view_if_needed()
    _wait_drawn(page, chart_id)


def test_charts_are_drawn_on_approach_from_file(page, site_dir, chart_pages):
    open_page(page, (site_dir / chart_pages["trust"]).as_uri(), draw_all=False)
    far = [v for v in _views(page) if v["shown"] and v["rendered"] is None]
    assert far, "every chart on the trust page was drawn at once from file://"
    page.locator(f"#{far[0]['id']} .dma-chart__view").scroll_into_view_if_needed()
    _wait_drawn(page, far[0]["id"])


def test_every_chart_is_drawn_before_printing(page, server, chart_pages):
    open_page(page, server.url + chart_pages["national"], draw_all=False)
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.dma-chart__view')]
            .every((v) => v.getAttribute('data-rendered') === 'done')""",
        timeout=CHART_TIMEOUT_MS,
    )
