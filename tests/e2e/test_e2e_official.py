"""Issue 11: the official site in Chromium: axe clean on its page types at two widths, and the
search finds a trust and an ICB by name and by ODS code."""

from __future__ import annotations

import pytest
from browser import RequestLog, format_violations, run_axe, serve
from e2e_helpers import open_page, search

PAGES = {
    "home": "index.html",
    "trust": "trusts/RNZ.html",
    "two-setting trust": "trusts/RVW.html",
    "icb": "icbs/QHM.html",
    "region": "regions/Y58.html",
    "national": "national.html",
    "organisations index": "organisations/index.html",
    "downloads": "downloads/index.html",
    "data quality": "about/data-quality.html",
    "methodology": "about/methodology.html",
}


@pytest.fixture(scope="module")
def official_server(official_site):
    with serve(official_site[0]) as running:
        yield running


@pytest.mark.parametrize("width", [1280, 375])
def test_official_page_types_have_no_axe_violations(browser, official_server, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    log = RequestLog(allowed_origins=(official_server.origin,))
    log.attach(page)
    found = {}
    for name, path in PAGES.items():
        open_page(page, official_server.url + path, log)
        violations = run_axe(page)
        if violations:
            found[name] = format_violations(violations)
        assert log.external_requests() == [] and log.failures == [], name
    ctx.close()
    assert not found, found


@pytest.mark.parametrize(
    "query, target",
    [
        ("Salisbury", "trusts/RNZ.html"),
        ("RNZ", "trusts/RNZ.html"),
        ("Northumbria Healthcare", "trusts/RTF.html"),
        ("QHM", "icbs/QHM.html"),
    ],
)
def test_search_finds_official_organisations_by_name_and_code(
    browser, official_server, query, target
):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    open_page(page, official_server.url + "index.html")
    hrefs = search(page, query, expect=target)
    ctx.close()
    assert any(target in href for href in hrefs), f"searching {query!r}: {hrefs}"
