"""Issue 7: on a trust, an ICB, a region, a domain and the national page every chart renders (an
SVG with marks in the chart's view), and its text summary and data table are there and agree."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import ChartState, assert_clean, assert_drawn, ints, number, open_page, read_charts

KINDS = ["national", "region", "icb", "trust", "domain"]


def column(chart: ChartState, name: str) -> list[str]:
    """The cells of the named column (the row header is column 0)."""
    assert name in chart.columns, f"{chart.chart_id}: no column {name!r} in {chart.columns}"
    i = chart.columns.index(name)
    return [row[i] for row in chart.rows]


def _at_or_above(chart: ChartState) -> None:
    """Org pillars and domains: "N of M ... at or above the median ...", from the table."""
    match = re.search(r"(\d+) of (\d+) \w+(?: \w+)? at or above the median", chart.summary)
    assert match, f"{chart.chart_id}: {chart.summary!r}"
    pairs = [
        (number(own), number(median))
        for own, median in zip(
            column(chart, "This organisation"), column(chart, "Median"), strict=True
        )
    ]
    scored = [(own, median) for own, median in pairs if own is not None and median is not None]
    at_or_above = sum(own >= median for own, median in scored)
    assert (int(match.group(1)), int(match.group(2))) == (at_or_above, len(scored)), chart
    withheld = re.search(r"(\d+) withheld", chart.summary)
    if withheld:
        missing = sum(own is None for own, _ in pairs)
        assert int(withheld.group(1)) == missing, chart


def _like_for_like(chart: ChartState) -> None:
    """ "3 pillars rose, 3 fell, 1 unchanged", from the Change column's signs."""
    changes = [number(c) for c in column(chart, "Change")]
    counted = {
        "rose": sum(c is not None and c > 0 for c in changes),
        "fell": sum(c is not None and c < 0 for c in changes),
        "unchanged": sum(c == 0 for c in changes),
    }
    for word, count in counted.items():
        match = re.search(rf"(\d+) (?:pillars? )?{word}", chart.summary)
        if match or count:
            assert match and int(match.group(1)) == count, (word, chart)


def _levels(chart: ChartState) -> None:
    """National levels: "132 acute trusts; 66% of their pillar scores are at level 3 or above"."""
    organisations = {int(n) for n in column(chart, "Organisations")}
    assert ints(chart.summary)[0] in organisations, chart
    level_cols = [c for c in chart.columns if re.fullmatch(r"Level \d", c)]
    # a pillar's counts may be withheld ([c], by the disclosure audit): the share is of the rest
    counts = {c: sum(int(v) for v in column(chart, c) if v != "[c]") for c in level_cols}
    percent = re.search(r"(\d+)% of their \w+ scores are at level (\d) or above", chart.summary)
    if percent:
        level = int(percent.group(2))
        high = sum(n for c, n in counts.items() if int(c.split()[1]) >= level)
        assert abs(100 * high / sum(counts.values()) - int(percent.group(1))) <= 0.5, chart


def _overall(chart: ChartState) -> None:
    """National overall: "132 acute trusts; overall scores from 1.97 to 3.93, median 2.68"."""
    total = sum(int(n) for n in column(chart, "Organisations"))
    assert ints(chart.summary)[0] == total, chart


def _domain_levels(chart: ChartState) -> None:
    """Domain levels: "the most common level is level 2 for ICBs (18 of 42)" in the latest year."""
    match = re.search(r"most common level is level (\d)[^(]*\((\d+) of (\d+)\)", chart.summary)
    assert match, chart
    level, count, total = (int(g) for g in match.groups())
    rows = chart.rows
    year = re.search(r"\b(20\d\d)\b", chart.summary)
    if year:
        rows = [row for row in rows if year.group(1) in row[0]]
    assert any(
        number(row[chart.columns.index(f"Level {level}")]) == count
        and number(row[chart.columns.index("Organisations")]) == total
        for row in rows
    ), chart


def _region(chart: ChartState) -> None:
    """Region overall: "... at or above England's in 1 of 3 care settings", England vs Region."""
    match = re.search(r"at or above England's in (\d+) of (\d+)", chart.summary)
    assert match, chart
    by_setting: dict[str, dict[str, float | None]] = {}
    values = column(chart, "Score or median")
    groups = column(chart, "Organisation or group")
    for row, group, value in zip(chart.rows, groups, values, strict=True):
        by_setting.setdefault(row[0], {})[group] = number(value)
    compared = [
        v
        for v in by_setting.values()
        if v.get("England") is not None and v.get("Region") is not None
    ]
    assert int(match.group(2)) == len(compared), chart
    assert int(match.group(1)) == sum(v["Region"] >= v["England"] for v in compared), chart


def _hexmap(chart: ChartState) -> None:
    """ICB map: "42 ICBs: overall scores from 2.31 to 3.74, ..." (a region's map: its ICBs,
    listed first), from the table."""
    ours = chart.rows
    if "(outlined)" in chart.summary:
        ours = [row for row in chart.rows if row[2] == chart.rows[0][2]]
    scores = [number(row[3]) for row in ours if number(row[3]) is not None]
    assert ints(chart.summary)[0] == len(ours), chart
    assert f"from {min(scores):.2f} to {max(scores):.2f}" in chart.summary, chart


AGREE = {
    "icb_hexmap": _hexmap,
    "org_pillars": _at_or_above,
    "org_domains": _at_or_above,
    "org_lfl": _like_for_like,
    "national_levels": _levels,
    "national_overall": _overall,
    "domain_levels": _domain_levels,
    "region": _region,
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_renders_with_summary_and_table(page, log, server, chart_pages, kind):
    path = chart_pages[kind]
    assert open_page(page, server.url + path, log).status == 200
    charts = read_charts(page)
    assert charts, f"{path}: no charts"
    for chart in charts:
        where = f"{path} {chart.chart_id}"
        assert_drawn(chart, where)
        assert chart.summary, f"{where}: no text summary"
        assert chart.columns and chart.rows, f"{where}: no data table"
        assert all(len(row) == len(chart.columns) for row in chart.rows), f"{where}: ragged table"
        check = AGREE.get(chart.kind)
        if check is not None:
            check(chart)
    assert_clean(log, path)


def test_chart_kinds_are_all_checked(page, log, server, chart_pages):
    """Every kind of chart on the sampled pages has a summary-against-table check (a new kind
    should get one)."""
    kinds = set()
    for path in chart_pages.values():
        open_page(page, server.url + path, log)
        kinds |= {chart.kind for chart in read_charts(page)}
    assert kinds - set(AGREE) <= {"icb_system"}, kinds - set(AGREE)
