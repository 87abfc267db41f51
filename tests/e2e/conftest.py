"""Browser fixtures: one Chromium for the session, the built demo site served over loopback HTTP
(at the root and under a sub-path), and the pages the tests visit."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from browser import RequestLog, launch_chromium, serve
from e2e_helpers import DESKTOP

SUB_PATH = "/some/prefix/"


def pytest_collection_modifyitems(items):
    """Every test here drives a browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_session():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session):
    """Debian's Chromium, headless, shared by every test."""
    chromium = launch_chromium(playwright_session)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def site_dir(request) -> Path:
    """The demo site built for the session, or an already built site named by DMA_E2E_SITE
    (to check a real release, or to rerun these tests without rebuilding)."""
    given = os.environ.get("DMA_E2E_SITE")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"DMA_E2E_SITE={given}: no index.html there"
        return path
    return request.getfixturevalue("built_site").site


@pytest.fixture(scope="session")
def server(site_dir):
    """The site at http://127.0.0.1:<port>/."""
    with serve(site_dir) as running:
        yield running


@pytest.fixture(scope="session")
def sub_path_server(site_dir):
    """The site at http://127.0.0.1:<port>/some/prefix/, as a host might publish it."""
    with serve(site_dir, SUB_PATH) as running:
        yield running


@pytest.fixture
def context(browser):
    """A fresh browser context (no cache, no storage) at desktop width."""
    ctx = browser.new_context(viewport=DESKTOP)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def log(page, server, sub_path_server) -> RequestLog:
    """Record the page's requests and console errors; only the test servers are allowed."""
    recorder = RequestLog(allowed_origins=(server.origin, sub_path_server.origin))
    recorder.attach(page)
    return recorder


# ---------------------------------------------------------------------------------------------
# Which pages to visit


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    path: str  # relative to the site root


@dataclass(frozen=True)
class Samples:
    """One page of each kind, and words to search for."""

    trust: Organisation
    icb: Organisation
    region: str
    domain: str
    domain_name: str
    trust_word: str  # a word of the trust's name that few other organisations share


def _h1(path: Path) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", path.read_text(encoding="utf-8"), re.S)
    assert match, f"no <h1> in {path}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.fixture(scope="session")
def samples(site_dir) -> Samples:
    site = site_dir
    orgs = pd.read_csv(site / "downloads" / "organisations.csv", dtype=str)
    trusts = orgs[orgs["org_type"] == "trust"].sort_values("org_code")
    icbs = orgs[orgs["org_type"] == "icb"].sort_values("org_code")
    trust_row = next(
        r for r in trusts.itertuples() if (site / f"trusts/{r.org_code}.html").is_file()
    )
    icb_row = next(r for r in icbs.itertuples() if (site / f"icbs/{r.org_code}.html").is_file())

    # The trust's rarest word (longest on ties): the search should lead to it.
    counts = Counter(w for name in orgs["org_name"] for w in set(re.findall(r"[A-Za-z]{5,}", name)))
    words = re.findall(r"[A-Za-z]{5,}", trust_row.org_name)
    trust_word = min(words, key=lambda w: (counts[w], -len(w)))

    # A scoring domain (its page has charts) whose name no other domain page shares.
    pages = sorted(p for p in (site / "domains").glob("*.html") if p.stem != "index")
    domain_names = {p.stem: _h1(p) for p in pages}
    name_counts = Counter(domain_names.values())
    domain = next(
        p.stem
        for p in pages
        if name_counts[domain_names[p.stem]] == 1
        and 'class="dma-chart"' in p.read_text(encoding="utf-8")
    )
    region = sorted(p.stem for p in (site / "regions").glob("*.html") if p.stem != "index")[0]
    return Samples(
        trust=Organisation(
            trust_row.org_code, trust_row.org_name, f"trusts/{trust_row.org_code}.html"
        ),
        icb=Organisation(icb_row.org_code, icb_row.org_name, f"icbs/{icb_row.org_code}.html"),
        region=f"regions/{region}.html",
        domain=f"domains/{domain}.html",
        domain_name=domain_names[domain],
        trust_word=trust_word,
    )


@pytest.fixture(scope="session")
def chart_pages(samples) -> dict[str, str]:
    """The pages with charts, by kind."""
    return {
        "national": "national.html",
        "region": samples.region,
        "icb": samples.icb.path,
        "trust": samples.trust.path,
        "domain": samples.domain,
    }
