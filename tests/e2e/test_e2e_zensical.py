"""Issue 31: the same sources build with Zensical (`dma-publish build --builder zensical`), the
successor of MkDocs and Material: every page MkDocs makes is there, links resolve, the pages
carry the same scores as the CSV, and axe-core finds no violation on the main page kinds."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from browser import check_links

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
TAG = re.compile(r"<[^>]+>")
TABLE = re.compile(r"<table>.*?</table>", re.S)


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory) -> Path:
    """The demo built with Zensical (pages, data files and charts as for MkDocs)."""
    pytest.importorskip("zensical")
    from dma_publish.pipeline import run_build

    work = tmp_path_factory.mktemp("zensical")
    run_build(
        data_dir=DATA,
        site_dir=work / "site",
        report_path=work / "report.csv",
        strict=False,
        check_only=False,
        echo=lambda *_: None,
        builder="zensical",
    )
    return work / "site"


def _pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


def _tables(page: Path) -> list[list[str]]:
    """Every table cell of a page's content, as text, table by table."""
    text = page.read_text(encoding="utf-8")
    return [
        [" ".join(html.unescape(TAG.sub("", cell)).split()) for cell in CELL.findall(table)]
        for table in TABLE.findall(text)
    ]


def test_every_page_mkdocs_makes_zensical_makes(zensical_site, built_site) -> None:
    mkdocs = _pages(built_site.site)
    zensical = _pages(zensical_site)
    assert mkdocs - zensical == set(), sorted(mkdocs - zensical)[:10]
    assert len(mkdocs) > 300


def test_internal_links_resolve(zensical_site) -> None:
    # Zensical renders the 404 page's navigation from the server's root (/index.html): right on
    # a host's root, not under a sub-path (the README says so); every other page links relatively.
    problems = [p for p in check_links(zensical_site) if not p.startswith("404.html:")]
    assert problems == [], problems[:10]


def test_pages_carry_the_same_tables_and_the_csvs_scores(zensical_site, built_site) -> None:
    pillars = pd.read_csv(zensical_site / "downloads" / "pillar_scores.csv", dtype=str)
    sample = sorted((zensical_site / "trusts").glob("*.html"))[::25]
    sample += sorted((zensical_site / "icbs").glob("*.html"))[::10]
    assert len(sample) >= 10
    for page in sample:
        rel = page.relative_to(zensical_site)
        assert _tables(page) == _tables(built_site.site / rel), rel
        code = page.stem
        mine = pillars[(pillars["org_code"] == code) & (pillars["year"] == "2025")]
        cells = {cell for table in _tables(page) for cell in table}
        shown = [s for s in mine["pillar_score"] if s not in ("[c]", "[z]", "[x]")]
        assert shown and set(shown) <= cells, (rel, shown)


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["home", "trust", "icb", "domain"])
def test_no_axe_violations(browser, zensical_site, kind) -> None:
    from browser import format_violations, run_axe, serve

    paths = {
        "home": "index.html",
        "trust": sorted((zensical_site / "trusts").glob("*.html"))[0],
        "icb": sorted((zensical_site / "icbs").glob("*.html"))[0],
        "domain": sorted((zensical_site / "domains").glob("*.html"))[1],
    }
    path = paths[kind]
    if isinstance(path, Path):
        path = path.relative_to(zensical_site).as_posix()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        with serve(zensical_site) as server:
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                assert page.goto(server.url + path, wait_until="load").status == 200
                violations = run_axe(page)
                assert violations == [], f"{path} at {width}px:\n{format_violations(violations)}"
    finally:
        context.close()
