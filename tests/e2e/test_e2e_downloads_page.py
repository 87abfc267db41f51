"""The downloads page in the browser: the per-organisation files are found through a filter."""

from __future__ import annotations

from e2e_helpers import assert_clean, open_page


def test_organisation_files_are_behind_a_filter(page, log, server, samples):
    open_page(page, server.url + "downloads/index.html", log)
    headings = page.locator("article h2").all_text_contents()
    assert headings.index("Everything in one file") < headings.index("Tables and other files")
    files = page.locator(".dma-filterable table tbody tr")
    assert not files.first.is_visible()  # behind a closed <details>
    page.locator("details summary", has_text="organisation files").click()
    total = files.count()
    box = page.get_by_label("Show only files whose name or organisation contains")
    box.fill(samples.trust.code)
    visible = [r for r in files.all() if r.is_visible()]
    assert 1 <= len(visible) < total
    assert all(samples.trust.code in r.text_content() for r in visible)
    assert "shown" in page.locator(".dma-filter [role=status]").text_content()
    box.fill("")
    assert sum(r.is_visible() for r in files.all()) == total
    assert_clean(log, "downloads page")
