"""Issue 14: words a reader stumbles on, checked across every page of the built demo site."""

from __future__ import annotations

import re

PROVENANCE = re.compile(
    r'<details class="dma-provenance__more">\s*<summary>Provenance</summary>.*?'
    r'data-dma="inputs-hash">([0-9a-f]{64})</code>.*?</details>',
    re.S,
)


def test_the_inputs_hash_is_on_every_page_behind_provenance(built_site) -> None:
    expected = built_site.publication.inputs_hash
    pages = sorted(built_site.site.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        match = PROVENANCE.search(text)
        assert match and match.group(1) == expected, page
        # Shown once, inside the disclosure only.
        assert text.count(expected) == 1 or page.name == "data-quality.html", page
    quality = (built_site.site / "about" / "data-quality.html").read_text(encoding="utf-8")
    assert 'id="reproducibility"' in quality


def test_no_page_says_at_least_100_percent(built_site) -> None:
    for page in built_site.site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"At least 100(\.0)?%", text), page
    domains = "".join(
        p.read_text(encoding="utf-8") for p in (built_site.site / "domains").glob("*.html")
    )
    assert "All of the " in domains


def test_the_file_system_search_index_is_the_search_index(built_site) -> None:
    folder = built_site.site / "search"
    data = (folder / "search_index.json").read_text(encoding="utf-8")
    assert (folder / "search_index.js").read_text(encoding="utf-8") == f"var __index = {data}"
