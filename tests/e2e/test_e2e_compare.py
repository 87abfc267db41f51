"""Comparing with peers in the browser: sortable score tables and the compare page."""

from __future__ import annotations

import pandas as pd
from e2e_helpers import assert_clean, number, open_page


def _column(page, table, index: int) -> list[str]:
    return table.evaluate(
        "(t, i) => [...t.tBodies[0].rows].map((r) => r.children[i].textContent.trim())", index
    )


def test_a_to_z_sorts_by_score_both_ways_with_symbols_last(page, log, server):
    open_page(page, server.url + "organisations/index.html", log)
    table = page.locator(".dma-sortable table").first
    headers = table.locator("thead th")
    score = headers.count() - 1
    button = headers.nth(score).locator("button")
    assert "Overall score" in button.text_content()

    button.click()
    assert headers.nth(score).get_attribute("aria-sort") == "ascending"
    values = _column(page, table, score)
    numbers = [number(v) for v in values]
    known = [n for n in numbers if n is not None]
    assert known == sorted(known) and len(known) > 100
    assert all(n is None for n in numbers[len(known) :])  # [x] and [c] come last

    button.click()
    assert headers.nth(score).get_attribute("aria-sort") == "descending"
    known_desc = [n for n in (number(v) for v in _column(page, table, score)) if n is not None]
    assert known_desc == sorted(known, reverse=True)

    # By keyboard too: the header button takes focus and Enter sorts by name.
    name = headers.nth(0).locator("button")
    name.focus()
    page.keyboard.press("Enter")
    names = _column(page, table, 0)
    assert names == sorted(names, key=str.casefold)
    assert_clean(log, "A to Z")


def test_region_heat_map_has_a_shaded_score_for_every_pillar(page, log, server, samples, site_dir):
    open_page(page, server.url + samples.region, log)
    heat = page.locator(".dma-sortable table").first
    columns = heat.locator("thead th").all_text_contents()
    assert columns[0] == "Organisation and care setting" and columns[-1] == "Overall"
    cells = heat.locator(".dma-heat")
    assert cells.count() >= heat.locator("tbody tr").count() * 8 * 0.9
    shades = {
        cells.nth(i).evaluate("(c) => getComputedStyle(c).backgroundColor") for i in range(10)
    }
    assert len(shades) > 1
    # The numbers are the files' numbers.
    overall = pd.read_csv(site_dir / "downloads" / "overall_scores.csv", dtype=str)
    published = set(overall["overall_score"])
    assert set(_column(page, heat, len(columns) - 1)) <= published | {"[x]"}
    assert_clean(log, "region heat map")


def test_compare_page_puts_chosen_organisations_side_by_side(page, log, server, site_dir):
    overall = pd.read_csv(site_dir / "downloads" / "overall_scores.csv", dtype=str)
    latest = overall["year"].max()
    rows = overall[overall["year"] == latest].sort_values(["org_code", "care_setting"]).head(6)
    open_page(page, server.url + "compare.html", log)
    box = page.get_by_label("Organisation name or code")
    labels = page.evaluate(
        """() => Object.fromEntries(JSON.parse(document.getElementById('dma-compare-data')
            .textContent).returns.map((r) => [r.id, r.name + ' (' + r.code + '), ' + r.setting]))"""
    )
    for row in rows.head(5).itertuples():
        box.fill(labels[f"{row.org_code}-{row.care_setting}"])
        page.get_by_role("button", name="Add").click()
    assert page.locator(".dma-compare__chosen li").count() == 5
    table = page.locator(".dma-compare__table table").last
    assert table.locator("caption").text_content().endswith(latest)
    overall_row = table.locator("tbody tr").last
    assert overall_row.locator("th").text_content() == "Overall"
    shown = overall_row.locator("td").all_text_contents()
    assert shown == list(rows.head(5)["overall_score"])

    # A sixth is refused, with a message; the choice is in the address.
    sixth = rows.iloc[5]
    box.fill(labels[f"{sixth.org_code}-{sixth.care_setting}"])
    page.get_by_role("button", name="Add").click()
    assert "up to 5" in page.locator("#dma-compare-status").text_content()
    assert page.url.count(",") == 4

    # The address brings the same choice back; removing one updates the table.
    page.goto(page.url)
    page.wait_for_selector(".dma-compare__chosen li")
    assert page.locator(".dma-compare__chosen li").count() == 5
    page.locator(".dma-compare__remove").first.click()
    assert page.locator(".dma-compare__chosen li").count() == 4
    assert_clean(log, "compare page")


def test_compare_and_score_tables_pass_axe(page, server):
    from browser import run_axe

    open_page(page, server.url + "compare.html")
    ids = page.evaluate(
        "() => JSON.parse(document.getElementById('dma-compare-data').textContent)"
        ".returns.slice(0, 2).map((r) => r.id)"
    )
    for path in (f"compare.html#{','.join(ids)}", "organisations/index.html"):
        open_page(page, server.url + path)
        page.reload()  # the address's choice is read when the page loads
        if path.startswith("organisations"):
            page.locator(".dma-sortable thead th button").last.click()
        violations = run_axe(page)
        assert violations == [], (path, [(v["id"], v["nodes"][0]["target"]) for v in violations])
