"""Issue 7: the site works wherever it is copied: under a sub-path of a web server, and opened
straight from the file system (file://, where the theme's document$ never fires)."""

from __future__ import annotations

import pytest
from browser import RequestLog
from e2e_helpers import NHS_BLUE, assert_clean, assert_drawn, open_page, read_charts, search


def _check_page(page, log, url: str, where: str) -> None:
    response = open_page(page, url, log)
    if response is not None:  # file:// gives no HTTP response
        assert response.status == 200, where
    assert page.locator("h1").first.is_visible(), where
    header = page.eval_on_selector(".md-header", "(h) => getComputedStyle(h).backgroundColor")
    assert header == NHS_BLUE, f"{where}: stylesheets not applied"
    for chart in read_charts(page):
        assert_drawn(chart, f"{where} {chart.chart_id}")
    assert_clean(log, where)


PAGES = ["index.html", "national.html", "downloads/index.html", "about/methodology.html"]


def _all_pages(chart_pages):
    return PAGES + [chart_pages[k] for k in ("region", "icb", "trust", "domain")]


def test_under_a_sub_path(page, log, sub_path_server, chart_pages, samples):
    assert sub_path_server.url.endswith("/some/prefix/")
    for path in _all_pages(chart_pages):
        _check_page(page, log, sub_path_server.url + path, f"sub-path {path}")
    # The feed is named in the head for feed readers, and found relative to the page.
    feed = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    assert feed.count() == 1
    assert page.evaluate("(l) => l.href", feed.element_handle()) == sub_path_server.url + "feed.xml"
    # Search works there too (its index is found relative to the page).
    open_page(page, sub_path_server.url + chart_pages["national"], log)
    hrefs = search(page, samples.trust.code, expect=samples.trust.path)
    assert any(h.startswith(sub_path_server.url + samples.trust.path) for h in hrefs), hrefs
    assert_clean(log, "sub-path search")


def test_from_the_file_system(page, site_dir, chart_pages):
    log = RequestLog(allowed_origins=())
    log.attach(page)
    for path in _all_pages(chart_pages):
        _check_page(page, log, (site_dir / path).as_uri(), f"file:// {path}")
        assert page.evaluate("() => location.protocol") == "file:"
        # the feed link is gone before the theme reads it (its sitemap fetch fails here)
        assert page.locator('link[type="application/atom+xml"]').count() == 0
    # Links between pages work: follow one from the home page.
    open_page(page, (site_dir / "index.html").as_uri(), log)
    page.locator('.md-nav a[href$="national.html"]').first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/national.html")
    assert_clean(log, "file:// link")


@pytest.mark.parametrize("prefix", ["root", "sub-path"])
@pytest.mark.parametrize("missing", ["no-such-page.html", "trusts/NO-SUCH-CODE.html"])
def test_missing_page_is_the_styled_404(page, server, sub_path_server, prefix, missing):
    """A mistyped address gets the site's own 404 page, styled, with working links home."""
    running = server if prefix == "root" else sub_path_server
    log = RequestLog(allowed_origins=(running.origin,))
    log.attach(page)
    response = page.goto(running.url + missing, wait_until="load")
    assert response.status == 404
    assert page.locator("h1").first.inner_text() == "Page not found"
    header = page.eval_on_selector(".md-header", "(h) => getComputedStyle(h).backgroundColor")
    assert header == NHS_BLUE, "404 page unstyled"
    home = page.locator('.md-content a:has-text("home page")').get_attribute("href")
    page.locator('.md-content a:has-text("home page")').click()
    page.wait_for_load_state("load")
    assert page.url.rstrip("/") in (running.url + "index.html", running.url.rstrip("/")), home
    assert log.external_requests() == []
    assert [e for e in log.console_errors if "404" not in e] == []
