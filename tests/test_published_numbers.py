"""Every number a page shows is the number in the downloadable file it came from.

Pages round with the publication's one rule, so a page can never disagree with the CSV beside
it (a raw 3.0749999999999997 is 3.08 in both). Checked on the built demo site: each
organisation's pillar and overall scores, and its peers' medians, against the CSVs.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dma_publish.formats import fmt_score
from dma_publish.score import round_half_away

SECTION = re.compile(r"^## (?P<name>.+?) \{ data-search-exclude \}$", re.M)
PILLAR_TABLE = re.compile(
    r"^### Pillar scores, (?P<year>\d{4}) .*?\n\n.*?\n\n(?P<table>(?:\|[^\n]*\n)+)", re.M | re.S
)


def _csv(site, name: str) -> pd.DataFrame:
    return pd.read_csv(site / "downloads" / f"{name}.csv", dtype=str, keep_default_na=False)


def _cells(line: str) -> list[str]:
    return [c.strip().strip("*") for c in line.strip().strip("|").split("|")]


@pytest.mark.parametrize("raw", [3.0749999999999997, 2.675, 1.005, 4.125, -0.125, 2.5])
def test_display_code_formats_the_published_value_and_rounds_nothing(raw: float) -> None:
    published = float(round_half_away(raw, 2)) + 0.0
    assert fmt_score(published) == f"{published:.2f}"


def test_charts_and_pages_read_the_published_tables_values(publication) -> None:
    """The published view (dma_publish.index) holds exactly the tables' numbers: rounded once,
    withheld ones empty; the full-precision frames differ from it (so this is not vacuous)."""
    from dma_publish.index import VALUE_COLUMNS, shown
    from dma_publish.opendata import publication_tables

    view, tables = shown(publication), publication_tables(publication)
    assert view.values == "published" and publication.values == "full"
    differ = 0
    for name, (_, columns) in VALUE_COLUMNS.items():
        frame = view.benchmarks if name == "benchmarks" else getattr(view.scores, name)
        full = publication.benchmarks if name == "benchmarks" else getattr(publication.scores, name)
        for column, published in columns.items():
            expected = tables[name][published].astype("float64").to_numpy()
            pd.testing.assert_series_equal(
                frame[column].reset_index(drop=True),
                pd.Series(expected, name=column),
                check_dtype=False,
            )
            if column in full.columns:
                differ += int((full[column].astype("float64").to_numpy() != expected).sum())
    assert differ > 1000


def test_organisation_pages_show_the_scores_in_the_csv_files(built_site) -> None:
    site, docs = built_site.site, built_site.docs
    pillars = _csv(site, "pillar_scores")
    overall = _csv(site, "overall_scores")
    bench = _csv(site, "benchmarks")
    setting_names = {
        r.care_setting_name: r.care_setting
        for r in built_site.publication.methodology.care_settings.itertuples()
    }
    pillar_score = {
        (r.org_code, r.care_setting, r.year, r.pillar_name): r.pillar_score
        for r in pillars.itertuples()
    }
    overall_score = {
        (r.org_code, r.care_setting, r.year): r.overall_score for r in overall.itertuples()
    }
    # Peers: trusts of the same care setting nationally; for an ICB, all ICBs.
    peers = bench[bench["peer_group_type"] == "national"]
    medians = {
        (r.year, r.care_setting, r.measure_type, r.measure_name): r.median_score
        for r in peers.itertuples()
    }
    checked = 0
    for page in sorted([*docs.glob("trusts/*.md"), *docs.glob("icbs/*.md")]):
        text = page.read_text(encoding="utf-8")
        code = page.stem
        parts = SECTION.split(text)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name not in setting_names:
                continue
            setting = setting_names[name]
            match = PILLAR_TABLE.search(body)
            if match is None:
                continue
            year = match["year"]
            for line in match["table"].splitlines()[2:]:
                pillar, score, median, *_ = _cells(line)
                if pillar == "Overall":
                    assert score == overall_score[(code, setting, year)], (page.name, setting)
                    expected = medians.get((year, setting, "overall", "Overall score"))
                else:
                    assert score == pillar_score[(code, setting, year, pillar)], (page.name, pillar)
                    expected = medians.get((year, setting, "pillar", pillar))
                if expected is not None and median != "[c]":
                    assert median == expected, (page.name, setting, pillar)
                checked += 1
    assert checked > 1000


HEAT_CELL = re.compile(r'dma-heat--(?P<level>\d)">(?P<text>[^<]*)<')


def test_every_shaded_cell_is_the_level_of_the_number_printed_in_it(built_site) -> None:
    """The one level rule (score.level_of), read back from every built page: a reader who rounds
    the printed number to a whole level gets the cell's shade."""
    from dma_publish.score import level_of

    seen = 0
    for page in sorted(built_site.site.rglob("*.html")):
        for cell in HEAT_CELL.finditer(page.read_text(encoding="utf-8")):
            printed = float(cell["text"])
            assert int(cell["level"]) == int(level_of(printed)), (page.name, cell.group(0))
            seen += 1
    assert seen > 500  # the region pages' heat maps


def test_level_counts_take_the_level_of_the_published_score() -> None:
    """n_level_* counts a mean of 2.4952 (published 2.50) at level 3, not 2."""
    from dma_publish.aggregate import measure_values
    from dma_publish.score import level_of

    assert level_of(2.4952) == 3.0 and level_of(2.4949) == 2.0 and level_of(2.505) == 3.0
    assert level_of(4.4951) == 5.0 and level_of(1.0) == 1.0
    key = {"year": 2025, "org_code": "Z1", "care_setting": "acute"}
    frame = pd.DataFrame([{**key, "score": 2.4952}])
    scores = type(
        "S",
        (),
        {
            "overall_scores": frame,
            "pillar_scores": frame.assign(pillar_id="p").iloc[:0],
            "domain_scores": frame.assign(score_id="d").iloc[:0],
        },
    )
    assert measure_values(scores)["level"].tolist() == [3]


def test_one_formatter_writes_scores_changes_and_counts() -> None:
    """Pages and charts write a number one way (dma_publish.formats): a change is signed, zero
    is 0.00 everywhere, and the minus is a true one except where the text is also data."""
    from dma_publish.charts.data import fmt
    from dma_publish.formats import fmt_change, fmt_count

    assert fmt_change(0.0) == fmt_change(-0.0) == fmt_change(0.0, minus="-") == "0.00"
    assert fmt_change(0.25) == "+0.25" and fmt_change(-0.25) == "\u22120.25"
    assert fmt_change(-0.25, minus="-") == "-0.25" and float(fmt_change(0.25, minus="-")) == 0.25
    assert fmt_score(2.5) == fmt(2.5) == "2.50" and fmt(None) == "[c]"
    assert fmt_score(None) == "[x]" and fmt_score(3.0, withheld=True) == "[c]"
    assert fmt_count(12.0) == "12" and fmt_count(None) == "[c]"
