"""Chart data obeys suppression exactly as tables do.

Every number in every chart spec of every page of the built demo site (each page's chart is the
image drawn from its Vega-Lite spec, downloads/charts/<id>.vl.json, beside the SVG the page shows)
is either published or derived from published numbers:

- a spread (lowest, lower quartile, median, upper quartile, highest) on a row is one published,
  not withheld, row of benchmarks.csv, all five together;
- every other plotted number (a score, a median, a count) is a cell of the chart's own table on
  the page, which is the chart's CSV download;
- derived, and checked as such: a level cell's share is its count over the row's total;
- excluded, narrowly: `i` (a row's position on the y axis) and `level` (a level's own number, 1
  to 5); `h`, a heading row's flag, always 1; a histogram bin's `start`, `end` and `mid`, checked
  to lie on the fixed grid of bins from 1 (`BIN_WIDTH` apart); the ICB map's drawing (`MAP_PLACES`:
  where a hexagon, a label or a piece of the key sits, a hexagon's size, the faded and white-label
  flags), whose plotted score `v` is checked like any other; and outside the datasets the
  template's constants (axis domains, sizes), which are the same in every spec of a chart kind
  (only the height follows the number of rows).
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from dma_publish.charts.builders import BIN_WIDTH

FIGURE = re.compile(
    r'<figure class="dma-chart" id="(?P<id>[^"]+)" data-chart-kind="(?P<kind>[^"]+)">(?P<body>.*?)</figure>',
    re.S,
)
IMAGE = re.compile(r'<img class="dma-chart__view" src="(?P<src>[^"]+)"')
TABLE = re.compile(r'<div class="dma-chart__table".*?<table>(.*?)</table>', re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)(?=<t[hd]|<tr|</tr|</tbody|</thead|$)", re.S)
TAG = re.compile(r"<[^>]+>")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
POSITIONS = {"i", "level"}  # where a row or a level sits: not a number the data carries
BIN_EDGES = {"start", "end", "mid"}  # a histogram bin's fixed place on the 1-to-5 scale
MAP_DATA = {"hexes", "blank", "outline", "labels", "ramp", "words", "median"}  # the ICB map's
MAP_PLACES = {"x", "y", "x2", "y2", "s", "m", "w"}
SPREAD = {"a": "min_score", "q": "q1_score", "m": "median_score", "r": "q3_score", "b": "max_score"}


def _key(value: float) -> str:
    return f"{round(value + 0.0, 2):.2f}"


def _numbers(text: str) -> set[str]:
    return {_key(float(n)) for n in NUMBER.findall(text.replace(",", ""))}


def _table_numbers(table_html: str) -> set[str]:
    out: set[str] = set()
    for cell in CELL.findall(table_html):
        out |= _numbers(html.unescape(TAG.sub("", cell)))
    return out


def _published_spreads(site: Path) -> set[tuple]:
    bench = pd.read_csv(site / "downloads" / "benchmarks.csv", dtype=str, keep_default_na=False)
    bench = bench[bench["is_suppressed"] == "false"]
    return {
        tuple(_key(float(v)) for v in row)
        for row in bench[list(SPREAD.values())].itertuples(index=False)
    }


def _leaves(node, path=()):
    """(path, number) for every number in a JSON value (booleans are not numbers)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


def _check_spread(where: str, rec: dict, spreads: set[tuple]) -> int:
    """A row's spread is one published benchmark row, all its numbers together."""
    spread = {k: _key(rec[k]) for k in SPREAD if k in rec}
    if spread:
        order = list(SPREAD)
        assert any(all(s[order.index(k)] == v for k, v in spread.items()) for s in spreads), (
            where,
            rec,
        )
    return len(spread)


def _check_shares(where: str, records: list) -> int:
    """A level cell's share is derived: its count over the row's total."""
    totals: dict = defaultdict(int)
    for rec in records:
        totals[rec["row"]] += rec["n"] or 0
    checked = 0
    for rec in records:
        if rec.get("share") is not None:
            assert rec["n"] is not None, (where, rec)
            assert rec["share"] == pytest.approx(rec["n"] / totals[rec["row"]]), (where, rec)
            checked += 1
    return checked


def _check_fixed(name: str, rec: dict) -> None:
    """A heading flag is 1; a bin's edges lie on the fixed grid, its middle half way."""
    if name == "rows" and "h" in rec:
        assert rec["h"] == 1, rec
    if name == "bins":
        for edge in ("start", "end"):
            assert ((rec[edge] - 1) / BIN_WIDTH) == pytest.approx(
                round((rec[edge] - 1) / BIN_WIDTH)
            )
        assert rec["end"] - rec["start"] == pytest.approx(BIN_WIDTH), rec
        assert rec["mid"] == pytest.approx((rec["start"] + rec["end"]) / 2), rec


def _plotted(name: str, rec: dict) -> list[tuple[str, float]]:
    """The numbers of a record to find in the chart's table (not positions, spreads, shares)."""
    _check_fixed(name, rec)
    skip = POSITIONS | {"share"} | (set(SPREAD) if name == "rows" else set())
    skip |= {"h"} if name == "rows" else BIN_EDGES if name == "bins" else set()
    skip |= MAP_PLACES if name in MAP_DATA else set()
    return [
        (k, v)
        for k, v in rec.items()
        if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool)
    ]


def _check_datasets(
    where: str, datasets: dict, table: set[str], spreads: set[tuple], page: set[str]
) -> int:
    """Assert every number of a chart's data is published or derived; return how many. A
    histogram's median marker is the page's published median (its table counts the bins)."""
    checked = 0
    for name, records in datasets.items():
        allowed = table | page if name == "marker" else table
        for rec in records:
            if name == "rows":
                checked += _check_spread(where, rec, spreads)
            for k, v in _plotted(name, rec):
                assert _key(v) in allowed, (where, name, k, v, rec)
                checked += 1
        if name == "cells":
            checked += _check_shares(where, records)
    return checked


def _page_numbers(text: str) -> set[str]:
    """The numbers a page shows as text (its tables and words), not those in its chart specs."""
    shown = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    return _numbers(html.unescape(TAG.sub(" ", shown)))


def _template_numbers(spec: dict) -> tuple:
    """Numbers outside the datasets, but the height (which follows the number of rows)."""
    rest = {k: v for k, v in spec.items() if k not in ("datasets", "height", "vconcat")}
    views = [{k: v for k, v in view.items() if k != "height"} for view in spec.get("vconcat", [])]
    return tuple(_leaves({**rest, "vconcat": views}))


def _page_spec(page: Path, fig: re.Match[str]) -> dict:
    """The spec of the image a page shows for a chart: the SVG it points to was drawn from the
    .vl.json beside it, named by the chart's id."""
    (src,) = IMAGE.findall(fig["body"])
    image = (page.parent / html.unescape(src)).resolve()
    assert image.name == f"{fig['id']}.svg" and image.is_file(), (page, src)
    return json.loads(image.with_name(f"{fig['id']}.vl.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site.site


@pytest.fixture(scope="module")
def spreads(site) -> set[tuple]:
    return _published_spreads(site)


def test_every_number_in_every_page_chart_is_published(site, spreads):
    templates: dict[str, set] = defaultdict(set)
    n_charts = n_numbers = 0
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        page_numbers = _page_numbers(text)
        for fig in FIGURE.finditer(text):
            body = fig["body"]
            spec = _page_spec(page, fig)
            (table_html,) = TABLE.findall(body)
            where = f"{page.relative_to(site)}#{fig['id']}"
            n_numbers += _check_datasets(
                where, spec["datasets"], _table_numbers(table_html), spreads, page_numbers
            )
            templates[fig["kind"]].add(_template_numbers(spec))
            n_charts += 1
    assert n_charts > 500 and n_numbers > 10_000, (n_charts, n_numbers)
    # outside the data, a spec holds only its kind's constants: the same in every chart of a kind
    for kind, variants in templates.items():
        assert len(variants) == 1, kind


def test_every_chart_download_is_the_page_chart(site, spreads):
    charts = site / "downloads" / "charts"
    specs = sorted(charts.glob("*.vl.json"))
    assert specs
    # a histogram's median marker: the national medians, as the national page shows them
    page_medians = _page_numbers((site / "national.html").read_text(encoding="utf-8"))
    for path in specs:
        spec = json.loads(path.read_text(encoding="utf-8"))
        table = path.with_name(path.name.removesuffix(".vl.json") + ".csv").read_text(
            encoding="utf-8"
        )
        numbers = set()
        rows = csv.reader(line for line in table.splitlines() if not line.startswith("#"))
        for row in rows:
            for cell in row:
                numbers |= _numbers(cell)
        _check_datasets(path.name, spec["datasets"], numbers, spreads, page_medians)


def test_a_withheld_median_is_never_plotted(site):
    """Where the table says [c], the chart draws no diamond for that group (the region pages'
    median of a care setting withheld, for one)."""
    withheld_rows = 0
    for page in sorted((site / "regions").glob("*.html")):
        for fig in FIGURE.finditer(page.read_text(encoding="utf-8")):
            if fig["kind"] != "region":
                continue  # the ICB map's withheld values: tests/test_hexmap.py
            spec = _page_spec(page, fig)
            (table_html,) = TABLE.findall(fig["body"])
            rows = [
                [html.unescape(TAG.sub("", c)).strip() for c in CELL.findall(tr)]
                for tr in table_html.split("<tr>")[2:]
            ]
            labels = {r["i"]: r["l"] for r in spec["datasets"]["rows"]}
            medians = {p["i"] for p in spec["datasets"]["points"] if p["s"] == "b"}
            for i, label in labels.items():
                region = [r for r in rows if r[:2] == [label, "Region"]]
                assert len(region) == 1, (page.name, label)
                if region[0][2] == "[c]":
                    assert i not in medians, (page.name, label)
                    withheld_rows += 1
                else:
                    assert i in medians, (page.name, label)
    assert withheld_rows > 0
