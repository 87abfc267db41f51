"""Issue 14: pages that fit a screen. Every table fits its column at 1280 px; at 375 px every
cell's value can be reached (on screen, or in a box that scrolls, takes focus and has a name);
care settings and years are tabs that switch by keyboard and without JavaScript, a chart in a
tab shown later is drawn at its full width, and each tab state is axe-clean."""

from __future__ import annotations

import pandas as pd
import pytest
from browser import format_violations, run_axe
from e2e_helpers import DESKTOP, PHONE, assert_drawn, open_page, read_charts

FIXED_PAGES = {
    "home": "index.html",
    "national": "national.html",
    "data dictionary": "data-dictionary.html",
    "downloads": "downloads/index.html",
    "organisations index": "organisations/index.html",
    "comparability": "comparability.html",
    "methodology": "about/methodology.html",
    "revisions": "revisions.html",
    "superseded version": "releases/2025.1.0.html",
    "corrected trust": "trusts/Z00.html",
}
KINDS = [*FIXED_PAGES, "region", "icb", "trust", "two-setting trust", "domain"]

# Every table's box (the theme's scroll wrapper, or the table) and the table: how wide their
# content is against the room they have. Closed <details> are opened first: a chart's data
# table is inside one.
TABLE_WIDTHS = """() => {
  document.querySelectorAll('.md-content details').forEach((d) => { d.open = true; });
  return [...document.querySelectorAll('.md-content table')].map((t) => {
    const box = t.closest('.md-typeset__scrollwrap, .dma-chart__table') || t.parentElement;
    return {
      head: [...t.querySelectorAll('thead th')].map((h) => h.textContent.trim()).join(' | '),
      box: [box.scrollWidth, box.clientWidth],
      table: [t.scrollWidth, t.clientWidth],
    };
  });
}"""

# Every table cell with a value that cannot be seen within the window's width and is not in a
# box that scrolls sideways, takes keyboard focus and is named.
UNREACHABLE = """() => {
  document.querySelectorAll('.md-content details').forEach((d) => { d.open = true; });
  const width = document.documentElement.clientWidth;
  const scroller = (cell) => {
    for (let n = cell.parentElement; n && n !== document.body; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (['auto', 'scroll'].includes(style.overflowX) && n.scrollWidth > n.clientWidth + 1) {
        return n;
      }
    }
    return null;
  };
  const out = [];
  for (const cell of document.querySelectorAll('.md-content table th, .md-content table td')) {
    const text = cell.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || cell.closest('.dma-tabs__panel') && getComputedStyle(cell).visibility === 'hidden') {
      continue;  // in a tab not shown: checked when its tab is chosen
    }
    if (cell.closest('thead') && cell.closest('table[data-dma-stack]')) {
      continue;  // a card layout repeats each column's name beside its value (data-label)
    }
    const box = cell.getBoundingClientRect();
    if (box.width > 0 && box.left >= -1 && box.right <= width + 1) {
      continue;
    }
    const s = scroller(cell);
    const named = s && (s.getAttribute('aria-label') || s.getAttribute('aria-labelledby'));
    if (s && s.tabIndex >= 0 && named && box.width > 0) {
      continue;
    }
    out.push(text.slice(0, 60) + ' (' + Math.round(box.left) + '..' + Math.round(box.right) + ')');
  }
  return out;
}"""

TAB_STATE = """(panel) => {
  const p = document.getElementById(panel);
  const style = getComputedStyle(p);
  return {visible: style.visibility === 'visible', height: p.getBoundingClientRect().height};
}"""


@pytest.fixture(scope="session")
def two_setting_trust(site_dir) -> str:
    """A trust assessed in two care settings (its page has a tab for each)."""
    orgs = pd.read_csv(site_dir / "downloads" / "organisations.csv", dtype=str)
    both = orgs[(orgs["org_type"] == "trust") & orgs["care_settings"].str.contains(";")]
    code = next(c for c in sorted(both["org_code"]) if (site_dir / f"trusts/{c}.html").is_file())
    return f"trusts/{code}.html"


@pytest.fixture(scope="session")
def layout_pages(chart_pages, two_setting_trust) -> dict[str, str]:
    return {**FIXED_PAGES, **chart_pages, "two-setting trust": two_setting_trust}


def _tabs(page) -> list[tuple[str, str]]:
    """Each tab on the page: its radio button's id and its panel's id."""
    return page.eval_on_selector_all(
        ".dma-tabs__input", "(inputs) => inputs.map((i) => [i.id, i.id + '-panel'])"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_no_table_is_wider_than_its_column_at_1280(page, server, layout_pages, kind):
    open_page(page, server.url + layout_pages[kind])
    tables = page.evaluate(TABLE_WIDTHS)
    assert tables or kind in ("home", "methodology"), f"{kind}: no table to check"
    wide = [t for t in tables if t["box"][0] > t["box"][1] + 1 or t["table"][0] > t["table"][1] + 1]
    assert wide == [], f"{kind}: tables wider than their column at 1280 px: {wide}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_table_value_is_reachable_at_375(browser, server, layout_pages, kind):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        open_page(page, server.url + layout_pages[kind])
        states = _tabs(page) or [(None, None)]
        for tab, _ in states:
            if tab:
                page.click(f"label[for='{tab}']")
            missing = page.evaluate(UNREACHABLE)
            assert missing == [], f"{kind} ({tab}): values out of reach at 375 px: {missing[:8]}"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_wide_tables_of_words_become_cards_on_a_phone(browser, server):
    """The data dictionary's tables are words: on a phone each row is a card whose values carry
    their column's name; on a desktop they are ordinary tables."""
    for viewport, stacked in ((PHONE, True), (DESKTOP, False)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        open_page(page, server.url + "data-dictionary.html")
        cards = page.eval_on_selector_all(
            ".md-content table", "(ts) => ts.filter((t) => t.hasAttribute('data-dma-stack')).length"
        )
        label = page.eval_on_selector(
            ".md-content table tbody td:nth-child(7)", "(td) => td.getAttribute('data-label')"
        )
        context.close()
        assert (cards > 0) is stacked, f"{viewport}: {cards} tables as cards"
        # the cells of a table laid out as cards are named by their column (written only then)
        assert label == ("Meaning" if stacked else None)


@pytest.mark.parametrize("which", ["two-setting trust", "national"])
def test_tabs_switch_by_keyboard_and_a_chart_in_a_later_tab_is_shown_full_width(
    page, server, layout_pages, which
):
    open_page(page, server.url + layout_pages[which])
    tabs = _tabs(page)
    assert len(tabs) >= 2, f"{which}: {len(tabs)} tabs"
    (first, first_panel), (second, second_panel) = tabs[0], tabs[1]
    assert page.evaluate(TAB_STATE, first_panel)["visible"]
    assert not page.evaluate(TAB_STATE, second_panel)["visible"]
    assert page.evaluate(TAB_STATE, second_panel)["height"] == 0

    page.focus(f"#{first}")
    page.keyboard.press("ArrowRight")
    assert page.is_checked(f"#{second}")
    assert page.evaluate("() => document.activeElement.id") == second
    shown, hidden = page.evaluate(TAB_STATE, second_panel), page.evaluate(TAB_STATE, first_panel)
    assert shown["visible"] and shown["height"] > 200 and not hidden["visible"]

    charts = [c for c in read_charts(page) if page.is_visible(f"#{second_panel} #{c.chart_id}")]
    assert charts, f"{which}: no chart in the second tab"
    for chart in charts:
        assert_drawn(chart, f"{which}, second tab, {chart.chart_id}")
        # as wide as the column, up to 528 px, 1.2 times a chart's 440 (dma.css; the ICB map's
        # image is a little wider than the other charts')
        full = min(chart.room, 528, 1.2 * chart.natural[0])
        assert chart.width >= full - 1, f"{chart.chart_id}: {chart.width} in {chart.room}"

    page.keyboard.press("ArrowLeft")
    assert page.is_checked(f"#{first}")
    assert page.evaluate(TAB_STATE, first_panel)["visible"]


def test_tabs_work_without_javascript(browser, server, two_setting_trust):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url + two_setting_trust, wait_until="load")
        (first, first_panel), (second, second_panel) = page.eval_on_selector_all(
            ".dma-tabs__input", "(inputs) => inputs.map((i) => [i.id, i.id + '-panel'])"
        )[:2]
        assert page.is_visible(f"#{first_panel} h2")
        page.click(f"label[for='{second}']")
        assert page.is_checked(f"#{second}")
        assert page.is_visible(f"#{second_panel} h2") and not page.is_visible(f"#{first_panel} h2")
    finally:
        context.close()


def test_a_link_to_a_heading_in_a_hidden_tab_shows_that_tab(page, server, two_setting_trust):
    open_page(page, server.url + two_setting_trust)
    second, panel = _tabs(page)[1]
    heading = page.eval_on_selector(f"#{panel} h3[id]", "(h) => h.id")
    page.goto(server.url + two_setting_trust + "#" + heading, wait_until="load")
    page.wait_for_function("(id) => document.getElementById(id).checked", arg=second)
    assert page.is_visible(f"#{heading}")


@pytest.mark.parametrize("which", ["two-setting trust", "national"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_every_tab_state_is_axe_clean(browser, server, layout_pages, which, viewport):
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        open_page(page, server.url + layout_pages[which])
        for tab, _ in _tabs(page):
            page.click(f"label[for='{tab}']")
            violations = run_axe(page)
            assert violations == [], f"{which}, tab {tab}:\n{format_violations(violations)}"
    finally:
        context.close()


def test_one_withheld_note_on_a_two_setting_trust_page(page, server, two_setting_trust):
    """The publication policy's reasons are said once on the page, not once per care setting."""
    open_page(page, server.url + two_setting_trust)
    text = page.inner_text(".md-content")
    if "[c]" not in text:
        pytest.skip("nothing withheld on this trust's page")
    assert text.count("means withheld under the publication policy (how and why)") == 1
    assert text.count("published only as") == 1
