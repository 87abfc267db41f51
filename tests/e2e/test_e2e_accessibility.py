"""Issue 7: no axe-core violations (WCAG 2.x A and AA) on any kind of page, on a desktop and a
phone screen, with the search closed and open (showing results)."""

from __future__ import annotations

import os

import pytest
from browser import RequestLog, format_violations, run_axe
from e2e_helpers import PHONE, assert_clean, open_page, search

PAGE_KINDS = [
    "home",
    "national",
    "region",
    "icb",
    "trust",
    "domain",
    "domains index",
    "organisations index",
    "downloads",
    "methodology",
    "data dictionary",
    "comparability",
    "revisions",
    "superseded version",
    "corrected trust",
    "removed trust",
    "404",
]
# With the search open, axe looks at the header (search box, dialog and results) by default: the
# page behind is the one just checked with the search closed. DMA_E2E_AXE_FULL=1 checks it all.
SEARCH_CONTEXT = None if os.environ.get("DMA_E2E_AXE_FULL") else ".md-header"


def _path(kind: str, chart_pages: dict[str, str]) -> str:
    fixed = {
        "home": "index.html",
        "domains index": "domains/index.html",
        "organisations index": "organisations/index.html",
        "downloads": "downloads/index.html",
        "methodology": "about/methodology.html",
        "data dictionary": "data-dictionary.html",
        "comparability": "comparability.html",
        "revisions": "revisions.html",
        "superseded version": "releases/2025.1.0.html",
        "corrected trust": "trusts/Z00.html",
        "removed trust": "trusts/ZXQ.html",
        "404": "trusts/no-such-organisation.html",
    }
    return fixed.get(kind) or chart_pages[kind]


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_no_axe_violations(page, server, chart_pages, samples, kind):
    """Each page once, in four states: desktop with the search closed, then open (with results);
    the window narrowed to a phone's width with the search still open, then closed."""
    log = RequestLog(allowed_origins=(server.origin,))
    log.attach(page)
    path = _path(kind, chart_pages)
    response = open_page(page, server.url + path, log)
    assert response.status == (404 if kind == "404" else 200)
    problems = []

    def check(state: str, context: str | None = None) -> None:
        # run_axe audits a settled page: it waits until no transition or animation is running.
        violations = run_axe(page, context=context)
        if violations:
            problems.append(f"{path}, {state}:\n{format_violations(violations)}")

    check("1280px, search closed")
    assert search(page, samples.trust.code, expect=samples.trust.path), "no search results"
    check("1280px, search open", SEARCH_CONTEXT)
    page.set_viewport_size(PHONE)
    check("375px, search open", SEARCH_CONTEXT)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('__search').checked")
    check("375px, search closed")
    assert not problems, "\n".join(problems)
    if kind != "404":  # the 404 page's own status is logged as a console error
        assert_clean(log, path)
