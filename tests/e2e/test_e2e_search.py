"""Issue 7: the home page loads, and the search finds organisations by name or code and domains by
name, leading to their pages."""

from __future__ import annotations

import pytest
from e2e_helpers import NHS_BLUE, assert_clean, open_page, search


def test_home_page_loads(page, log, server):
    response = open_page(page, server.url, log)
    assert response.status == 200
    assert page.locator("h1").first.is_visible()
    assert "Digital Maturity Assessment" in page.title()
    # The theme's stylesheets and the site's own loaded: the header is NHS blue.
    header = page.eval_on_selector(".md-header", "(h) => getComputedStyle(h).backgroundColor")
    assert header == NHS_BLUE
    assert page.locator("input.md-search__input").count() == 1
    assert_clean(log, "home")


@pytest.mark.parametrize("how", ["trust name", "trust code", "icb code", "domain name"])
def test_search_leads_to_the_page(page, log, server, samples, how):
    target, query, heading = {
        "trust name": (samples.trust.path, samples.trust_word, samples.trust.name),
        "trust code": (samples.trust.path, samples.trust.code, samples.trust.code),
        "icb code": (samples.icb.path, samples.icb.code.lower(), samples.icb.code),
        "domain name": (samples.domain, samples.domain_name, samples.domain_name),
    }[how]
    open_page(page, server.url + "index.html", log)
    hrefs = search(page, query, expect=target)
    assert any(target in href for href in hrefs), f"searching {query!r}: {hrefs}"

    page.locator(f'.md-search-result__item a[href*="{target}"]').first.click()
    page.wait_for_url(f"**/{target}*")
    page.wait_for_load_state("load")
    assert heading in page.locator("h1").first.inner_text()
    assert_clean(log, f"search {query!r}")
