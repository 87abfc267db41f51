"""Issue 7: the home page loads, and the search finds organisations by name or code and domains by
name, leading to their pages. Issue 14: one typo is forgiven, and search works from file://."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from browser import RequestLog
from e2e_helpers import NHS_BLUE, assert_clean, open_page, search

ROOT = Path(__file__).resolve().parents[2]


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


def _one_typo(word: str) -> str:
    """The word with its middle letter left out (one edit)."""
    middle = len(word) // 2
    return word[:middle] + word[middle + 1 :]


def test_search_forgives_one_typo_in_a_name(page, log, server, samples):
    typo = _one_typo(samples.trust_word.lower())
    assert typo not in samples.trust.name.lower()
    open_page(page, server.url + "index.html", log)
    hrefs = search(page, typo, expect=samples.trust.path)
    assert any(samples.trust.path in href for href in hrefs), f"searching {typo!r}: {hrefs}"
    # Served over HTTP, the file:// shim is not loaded.
    assert not [url for url in log.requests if "iframe-worker" in url]
    assert_clean(log, f"search {typo!r}")


def test_search_works_in_a_copy_opened_from_the_file_system(page, site_dir, samples):
    """A copied folder opened as files: the same search box finds an organisation by code and by
    name (with a typo too), and its result opens the page; nothing is requested from elsewhere."""
    log = RequestLog(allowed_origins=())
    log.attach(page)
    open_page(page, (site_dir / "index.html").as_uri(), log)
    assert page.evaluate("() => location.protocol") == "file:"
    target = (site_dir / samples.trust.path).as_uri()
    for query in (samples.trust.code, _one_typo(samples.trust_word.lower())):
        hrefs = search(page, query, expect=samples.trust.path)
        assert any(h.startswith(target) for h in hrefs), f"file:// searching {query!r}: {hrefs}"
    page.locator(f'.md-search-result__item a[href*="{samples.trust.path}"]').first.click()
    page.wait_for_url(f"**/{samples.trust.path}*")
    page.wait_for_load_state("load")
    assert samples.trust.name in page.locator("h1").first.inner_text()
    assert_clean(log, "file:// search")


def test_the_vendored_iframe_worker_shim_is_the_published_file():
    """dma_publish/site_src/assets/vendor/iframe-worker/shim.js is npm's iframe-worker 1.0.4 shim/index.js,
    unchanged, with its licence beside it."""
    vendor = ROOT / "dma_publish" / "site_src" / "assets" / "vendor" / "iframe-worker"
    digest = hashlib.sha256((vendor / "shim.js").read_bytes()).hexdigest()
    assert digest == "e8e412dbcfea9b7e31b5ffa288d7b6035915e714c542f4176a0cdbe262fc9609"
    assert digest in (vendor / "README.txt").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in (vendor / "LICENSE").read_text(encoding="utf-8")
