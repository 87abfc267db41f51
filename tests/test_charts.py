"""Charts: specs validate and round-trip, show the data, carry words and tables, render offline."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import altair as alt
import fakes
import jsonschema
import numpy as np
import pandas as pd
import pytest
import vl_convert

from dma_publish import charts
from dma_publish.aggregate import benchmark
from dma_publish.charts import style
from dma_publish.methodology import MethodologyFrames
from dma_publish.publication import Publication

# ---------------------------------------------------------------------------------------------
# A small hand-built publication: three pillars, two years, five trusts returns and two ICBs.

PILLARS = [("well_led", "Well Led", 1), ("smart_foundations", "Ensure Smart Foundations", 2),
           ("empower_people", "Empower People", 3)]  # fmt: skip
SCORE_PILLAR = {"sc_strategy": "well_led", "sc_board": "well_led", "sc_infra": "smart_foundations",
                "sc_records": "empower_people", "icb_plan": "well_led",
                "icb_infra": "smart_foundations", "icb_citizens": "empower_people"}  # fmt: skip
SCORE_NAME = {"sc_strategy": "Strategy", "sc_board": "Board assurance", "sc_infra": "Infrastructure",
              "sc_records": "Patient records", "icb_plan": "System plan",
              "icb_infra": "Shared infrastructure", "icb_citizens": "Citizen access"}  # fmt: skip
ORGS = [  # code, name, type, settings, icb, region
    ("RA1", "Alpha Hospitals NHS Trust", "trust", ("acute",), "QAA", "Y56"),
    ("RA2", "Beta Ambulance Service", "trust", ("ambulance",), "QAA", "Y56"),
    ("RA3", "Gamma Healthcare", "trust", ("acute",), "QAA", "Y56"),
    ("RB1", "Delta Hospitals", "trust", ("acute",), "QBB", "Y58"),
    ("RB2", "Epsilon Trust", "trust", ("acute",), "QBB", "Y58"),
    ("QAA", "NHS North Test ICB", "icb", ("icb",), "QAA", "Y56"),
    ("QBB", "NHS South Test ICB", "icb", ("icb",), "QBB", "Y58"),
]
# (year, org, setting) -> domain scores in SCORE order of the survey
SC = ("sc_board", "sc_infra", "sc_records", "sc_strategy")
ICB = ("icb_citizens", "icb_infra", "icb_plan")
RETURNS = {
    (2024, "RA1", "acute"): (2, 2, 1, 3),
    (2024, "RA3", "acute"): (3, 3, 2, 3),
    (2024, "RB1", "acute"): (1, 2, 2, 2),
    (2024, "RB2", "acute"): (4, 3, 3, 4),
    (2024, "RA2", "ambulance"): (2, 3, 2, 2),
    (2025, "RA1", "acute"): (3, 2, 2, 4),
    (2025, "RA3", "acute"): (3, 4, 2, 3),
    (2025, "RB1", "acute"): (2, 2, 3, 2),
    (2025, "RB2", "acute"): (4, 5, 3, 4),
    (2025, "RA2", "ambulance"): (2, 3, 1, 3),
    (2024, "QAA", "icb"): (1, 2, 2),
    (2025, "QAA", "icb"): (2, 2, 3),
    (2025, "QBB", "icb"): (3, 4, 2),
}
KEY = ["year", "org_code", "care_setting"]


def _domain_scores() -> pd.DataFrame:
    """One row per score of every return."""
    rows = []
    for (year, org, cs), values in RETURNS.items():
        ids = ICB if cs == "icb" else SC
        for sid, score in zip(ids, values, strict=True):
            rows.append((year, org, cs, sid, sid, SCORE_PILLAR[sid], score))
    cols = [*KEY, "score_id", "domain_id", "pillar_id", "score"]
    return pd.DataFrame(rows, columns=cols).sort_values([*KEY, "score_id"]).reset_index(drop=True)


def _pillar_scores(domain: pd.DataFrame) -> pd.DataFrame:
    """Pillar means, with like-for-like over comparable scores (sc_records changed in 2025)."""
    pillar = domain.groupby([*KEY, "pillar_id"], as_index=False).agg(
        score=("score", "mean"), n_scores=("score", "size")
    )
    comparable = domain[domain["score_id"] != "sc_records"]
    lfl = comparable.groupby([*KEY, "pillar_id"], as_index=False).agg(lfl_score=("score", "mean"))
    lfl["lfl_n_scores"] = comparable.groupby([*KEY, "pillar_id"]).size().to_numpy()
    prev = lfl[lfl["year"] == 2024].drop(columns=["year", "lfl_n_scores"])
    prev = prev.rename(columns={"lfl_score": "lfl_previous_score"})
    now = lfl[lfl["year"] == 2025].merge(prev, on=["org_code", "care_setting", "pillar_id"])
    now["lfl_previous_year"] = 2024
    out = pillar.merge(now, on=[*KEY, "pillar_id"], how="left")
    out["lfl_is_suppressed"] = False
    return out.astype({"lfl_previous_year": "float"})


@cache
def _frames() -> MethodologyFrames:
    """The methodology frames (both years stacked)."""
    pillars = pd.DataFrame(PILLARS, columns=["pillar_id", "pillar_name", "pillar_order"])
    pillars["former_name"] = ""
    settings = pd.DataFrame(
        [("acute", "Acute", "secondary_care"), ("ambulance", "Ambulance", "secondary_care"),
         ("icb", "Integrated care board", "icb")],
        columns=["care_setting", "care_setting_name", "survey"],
    )  # fmt: skip
    defs = pd.DataFrame(
        [(y, s, s, SCORE_NAME[s]) for y in (2024, 2025) for s in sorted(SCORE_PILLAR)],
        columns=["year", "domain_id", "score_id", "score_name"],
    )
    domains = defs.rename(columns={"score_name": "domain_name"}).drop(columns="score_id")
    domains["pillar_id"] = domains["domain_id"].map(SCORE_PILLAR)
    comp = pd.DataFrame(
        [(2025, s, 2024, "changed" if s == "sc_records" else "comparable",
          "Questions on record sharing were rewritten" if s == "sc_records" else "")
         for s in sorted(SCORE_PILLAR)],
        columns=["year", "domain_id", "previous_year", "status", "reason"],
    )  # fmt: skip
    return fakes.methodology(
        pillars=pillars, care_settings=settings, domains=domains, score_defs=defs,
        comparability=comp,
    )  # fmt: skip


def make_pub(org_names: dict[str, str] | None = None) -> Publication:
    """The small publication, optionally with organisations renamed."""
    orgs = pd.DataFrame(
        ORGS,
        columns=["org_code", "org_name", "org_type", "care_settings", "icb_code", "region_code"],
    )
    orgs["org_name"] = orgs["org_code"].map(org_names or {}).fillna(orgs["org_name"])
    regions = pd.DataFrame(
        [("Y56", "London"), ("Y58", "South West")], columns=["region_code", "region_name"]
    )
    domain = _domain_scores()
    pillar = _pillar_scores(domain)
    overall = pillar.groupby(KEY, as_index=False).agg(
        score=("score", "mean"), n_pillars=("score", "size")
    )
    scores = fakes.scores(domain_scores=domain, pillar_scores=pillar, overall_scores=overall)
    reference = fakes.reference(orgs, regions)
    return fakes.publication(
        reference=reference, methodology=_frames(), scores=scores,
        benchmarks=benchmark(scores, reference), generator_version="test",
    )  # fmt: skip


@pytest.fixture(scope="module")
def pub() -> Publication:
    return make_pub()


@pytest.fixture(scope="module")
def chart_set(pub: Publication) -> charts.ChartSet:
    return charts.build_all(pub)


@cache
def _validator() -> jsonschema.protocols.Validator:
    """The Vega-Lite v5 JSON schema shipped inside Altair (no network)."""
    path = Path(alt.vegalite.v5.schema.__file__).parent / "vega-lite-schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _layer(spec: dict, mark: str) -> list[dict]:
    """The layers of a spec with this mark type."""
    return [
        layer for layer in spec["layer"]
        if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) == mark
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Every chart


def test_build_all_makes_every_kind_once_per_scope(chart_set: charts.ChartSet) -> None:
    kinds = {c.kind for c in chart_set}
    assert kinds == {
        "national_levels", "national_overall", "org_pillars", "org_domains", "org_lfl",
        "icb_system", "region", "domain_levels",
    }  # fmt: skip
    # 10 trust returns + 3 ICB returns have two profiles; the 7 returns of 2025 add like-for-like
    assert len([c for c in chart_set if c.kind in ("org_pillars", "org_domains")]) == 26
    assert len([c for c in chart_set if c.kind == "org_lfl"]) == 7
    assert [c.kind for c in chart_set.get("org", "RA1", "acute", 2025)] == [
        "org_pillars", "org_domains", "org_lfl",
    ]  # fmt: skip


def test_every_spec_validates_against_the_vega_lite_schema(chart_set: charts.ChartSet) -> None:
    for chart in chart_set:
        errors = list(_validator().iter_errors(chart.spec))
        assert not errors, (chart.chart_id, errors[0].message if errors else "")


def test_every_spec_round_trips_through_json(chart_set: charts.ChartSet) -> None:
    for chart in chart_set:
        text = json.dumps(chart.spec, allow_nan=False)
        assert json.loads(text) == chart.spec
        assert json.loads(charts.spec_json(chart.spec)) == chart.spec


def _keys(obj: object) -> set[str]:
    """Every dict key anywhere in a JSON value."""
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


def test_no_spec_names_another_host_or_loads_data(chart_set: charts.ChartSet) -> None:
    for chart in chart_set:
        assert "http" not in json.dumps(chart.spec)
        assert "url" not in _keys(chart.spec)
        assert "$schema" not in chart.spec


def test_every_chart_fills_the_width_of_its_container(chart_set: charts.ChartSet) -> None:
    for chart in chart_set:
        assert chart.spec["width"] == "container"
        assert chart.spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_every_chart_has_words_and_a_table(chart_set: charts.ChartSet) -> None:
    for chart in chart_set:
        assert chart.description and chart.summary and chart.key and chart.table_caption
        assert chart.spec["description"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", chart.chart_id)
        assert len(chart.rows) > 0
        assert all(len(row) == len(chart.columns) for row in chart.rows)
        assert list(chart.table.columns) == list(chart.columns)


def test_filling_a_template_gives_the_spec_altair_builds(chart_set: charts.ChartSet) -> None:
    template = {"national_levels": "grid", "domain_levels": "grid", "national_overall": "histogram"}
    seen = set()
    for chart in chart_set:
        if chart.kind not in template or chart.kind in seen:
            continue
        seen.add(chart.kind)
        direct = style.build_direct(
            template[chart.kind], chart.spec["datasets"], chart.spec["description"]
        )
        assert direct == chart.spec, chart.kind
    assert len(seen) == 3


def test_row_charts_are_lean(chart_set: charts.ChartSet) -> None:
    """Organisation charts are embedded in every organisation page: each costs little."""
    layers: dict[str, object] = {}
    for chart in chart_set:
        if not chart.kind.startswith("org_"):
            continue
        # one template per kind (and series): only the data and description differ
        if chart.kind != "org_lfl":
            assert layers.setdefault(chart.kind, chart.spec["layer"]) is chart.spec["layer"]
        assert list(chart.spec["datasets"]) == ["rows"]
        for row in chart.spec["datasets"]["rows"]:
            assert all(v is not None and v != "" for v in row.values()), row
    chart = chart_set.charts["org-ra1-acute-2025-pillars"]
    assert len(charts.spec_json(chart.spec)) < 3000
    assert "Alpha Hospitals" not in charts.spec_json(chart.spec)  # the name is on the page


def test_a_text_mark_never_writes_undefined(pub: Publication) -> None:
    chart = charts.org_domain_profile(pub, "RA1", "acute", 2025)
    svg = vl_convert.vegalite_to_svg(
        {**chart.spec, "width": 500}, vl_version=charts.render.VL_VERSION
    )
    assert "undefined" not in svg and "null" not in svg
    assert "3 (median 3.00)" in svg


def test_charts_built_again_from_the_cached_templates_are_the_same(pub: Publication) -> None:
    """Speed is measured by scripts/benchmark.py (ms per chart), never by a timed test: here,
    the second build (templates cached) gives the same charts and the counter counts them."""
    first = charts.build_all(pub)
    charts.STATS.reset()
    second = charts.build_all(pub)
    assert charts.STATS.n_charts == len(second) == len(first)
    assert {k: c.spec for k, c in first.charts.items()} == {
        k: c.spec for k, c in second.charts.items()
    }


# ---------------------------------------------------------------------------------------------
# Organisation profile


def test_pillar_profile_shows_the_scores_against_peers(pub: Publication) -> None:
    chart = charts.org_pillar_profile(pub, "RA1", "acute", 2025)
    spec = chart.spec
    assert [len(_layer(spec, m)) for m in ("text", "rule", "tick", "point")] == [3, 2, 1, 1]
    rows = spec["datasets"]["rows"]
    # RA1 2025 acute: well led (3 + 4) / 2, foundations 2, empower 2
    assert [(r["i"], r["v"]) for r in rows] == [(1, 3.5), (2, 2.0), (3, 2.0)]
    assert [r["l"] for r in rows] == ["Well Led", "Ensure Smart Foundations", "Empower People"]
    # acute well led 2025: RA1 3.5, RA3 3.0, RB1 2.0, RB2 4.0 -> median 3.25, q1 2.75, q3 3.625
    assert (rows[0]["a"], rows[0]["q"], rows[0]["m"], rows[0]["r"], rows[0]["b"]) == (
        2.0, 2.75, 3.25, 3.63, 4.0,
    )  # fmt: skip
    assert chart.rows[0] == ("Well Led", "3.50", "3.25", "2.75", "3.63", "2.00", "4.00")


def test_pillar_profile_summary_agrees_with_its_table(pub: Publication) -> None:
    for org in ("RA1", "RA3", "RB1", "RB2"):
        chart = charts.org_pillar_profile(pub, org, "acute", 2025)
        above = sum(float(r[1]) >= float(r[2]) for r in chart.rows)
        assert chart.summary == f"{above} of 3 pillars at or above the median for acute trusts."


def test_icb_profile_compares_with_all_icbs(pub: Publication) -> None:
    chart = charts.org_pillar_profile(pub, "QAA", "icb", 2025)
    assert chart.summary.endswith("the median for ICBs.")
    # ICBs 2025 well led: QAA 3, QBB 2 -> median 2.5
    assert chart.spec["datasets"]["rows"][0]["m"] == 2.5


def test_domain_profile_groups_scores_under_pillars_sorted_by_name(pub: Publication) -> None:
    chart = charts.org_domain_profile(pub, "RA1", "acute", 2025)
    rows = chart.spec["datasets"]["rows"]
    assert [(r["l"], "h" in r) for r in rows] == [
        ("Well Led", True), ("Board assurance", False), ("Strategy", False),
        ("Ensure Smart Foundations", True), ("Infrastructure", False),
        ("Empower People", True), ("Patient records", False),
    ]  # fmt: skip
    assert [r["i"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["v"] for r in rows if "v" in r] == [3, 4, 2, 2]
    assert chart.rows[0][:3] == ("Board assurance", "Well Led", "3")
    assert len(chart.row_keys) == len(chart.rows)  # domain ids, for links to their pages


def test_domain_profile_shows_a_withheld_score_as_words_not_a_point() -> None:
    pub = make_pub()
    ds = pub.scores.domain_scores.copy()
    ds["score"] = ds["score"].astype("Int64")
    hit = (ds["org_code"] == "RA1") & (ds["year"] == 2025) & (ds["score_id"] == "sc_infra")
    ds.loc[hit, "score"] = pd.NA
    ds["is_suppressed"] = hit
    withheld = replace(pub, scores=replace(pub.scores, domain_scores=ds))
    chart = charts.org_domain_profile(withheld, "RA1", "acute", 2025)
    row = next(r for r in chart.spec["datasets"]["rows"] if r["l"] == "Infrastructure")
    assert row["n"] == "Withheld [c]"
    assert "v" not in row
    assert chart.rows[2][:3] == ("Infrastructure", "Ensure Smart Foundations", "[c]")
    assert chart.summary.endswith("; 1 withheld.")


# ---------------------------------------------------------------------------------------------
# Like-for-like


def test_like_for_like_draws_no_line_across_a_break_and_says_why(pub: Publication) -> None:
    chart = charts.org_like_for_like(pub, "RA1", "acute")
    rows = chart.spec["datasets"]["rows"]
    # well led comparable: 2024 (2 + 3) / 2 = 2.5 -> 2025 3.5; empower (sc_records) changed
    assert rows[0] == {"i": 1, "l": "Well Led", "p": 2.5, "v": 3.5}
    # the break: no values, so no points and no line; the note says why
    assert rows[2] == {
        "i": 3,
        "l": "Empower People",
        "n": "Not comparable: Questions on record sharing were rewritten",
    }
    line = next(layer for layer in _layer(chart.spec, "rule"))
    assert (line["encoding"]["x"]["field"], line["encoding"]["x2"]["field"]) == ("p", "v")
    svg = vl_convert.vegalite_to_svg(
        {**chart.spec, "width": 500}, vl_version=charts.render.VL_VERSION
    )
    assert "2.50 to 3.50" in svg and "rewritten" in svg and "undefined" not in svg
    assert chart.rows[0] == ("Well Led", "2.50", "3.50", "+1.00", "2 of 2", "")
    assert chart.summary == (
        "Over comparable domains, between 2024 and 2025: 1 pillar rose, 0 fell, 1 unchanged; "
        "1 not comparable."
    )


def test_like_for_like_without_a_previous_return_says_so(pub: Publication) -> None:
    chart = charts.org_like_for_like(pub, "QBB", "icb", 2025)
    rows = chart.spec["datasets"]["rows"]
    assert not any("p" in r or "v" in r for r in rows)
    assert all(r["n"] == "No 2024 return to compare with" for r in rows)


# ---------------------------------------------------------------------------------------------
# ICB system, region, national, domain


def test_icb_system_shows_member_returns_their_median_and_the_national_median(
    pub: Publication,
) -> None:
    chart = charts.icb_system(pub, "QAA", 2025)
    points = chart.spec["datasets"]["points"]
    rows = chart.spec["datasets"]["rows"]
    # one row per care setting and pillar: settings are never pooled (3 pillars x 2 settings)
    assert [r["l"] for r in rows][:4] == [
        "Well Led (acute)", "Ensure Smart Foundations (acute)", "Empower People (acute)",
        "Well Led (ambulance)",
    ]  # fmt: skip
    well_led = [(p["s"], p["o"], p["v"]) for p in points if p["i"] == 1]
    assert well_led == [
        ("a", "Alpha Hospitals NHS Trust (acute)", 3.5),
        ("a", "Gamma Healthcare (acute)", 3.0),
        ("b", "System median", 3.25),
    ]
    ambulance = [(p["s"], p["o"], p["v"]) for p in points if p["i"] == 4]
    assert ambulance == [
        ("a", "Beta Ambulance Service (ambulance)", 2.5),
        ("b", "System median", 2.5),
    ]
    # The ICB's own survey is not comparable with its trusts': it is never on their axis.
    assert not any(p["o"] == "NHS North Test ICB" for p in points)
    assert chart.rows[0][:2] == ("System median, acute", "Member trust returns")
    assert "diamond: their median in that setting" in chart.key
    # national acute trusts 2025 well led: 3.5, 3.0, 2.0, 4.0 -> median 3.25 (the ambulance
    # trust's 2.5 is in the ambulance row only)
    assert rows[0]["m"] == 3.25
    assert chart.rows[1][:3] == ("National median, acute", "Acute trusts", "3.25")
    assert [r[0] for r in chart.rows[4:]] == sorted(r[0] for r in chart.rows[4:])
    assert chart.summary.startswith("3 returns from 3 member trusts;")


def test_region_shows_its_organisations_against_england(pub: Publication) -> None:
    chart = charts.region_distribution(pub, "Y58", 2025)
    rows = chart.spec["datasets"]["rows"]
    assert [r["l"] for r in rows] == ["Acute", "Integrated care board"]
    names = [p["o"] for p in chart.spec["datasets"]["points"] if p["i"] == 1]
    assert names == ["Delta Hospitals", "Epsilon Trust", "Region median"]


def test_national_level_counts_match_the_benchmarks(pub: Publication) -> None:
    chart = charts.national_level_counts(pub, 2025, "acute")
    cells = chart.spec["datasets"]["cells"]
    assert len(cells) == 15
    bench = pub.benchmarks
    row = bench[(bench["year"] == 2025) & (bench["peer_group_type"] == "national")
                & (bench["care_setting"] == "acute") & (bench["measure_id"] == "well_led")].iloc[0]  # fmt: skip
    counts = [c["n"] for c in cells if c["row"] == "Well Led"]
    assert counts == [int(row[f"n_level_{i}"]) for i in range(1, 6)]
    assert chart.rows[0] == ("Well Led", *(str(n) for n in counts), "4")
    assert all(c["text"] == str(c["n"]) for c in cells)  # counts are written, not only shaded


def test_overall_distribution_counts_every_organisation(pub: Publication) -> None:
    chart = charts.national_overall_distribution(pub, 2025, "acute")
    bins = chart.spec["datasets"]["bins"]
    assert sum(b["n"] for b in bins) == 4
    assert [b["start"] for b in bins][:2] == [1.0, 1.25] and bins[-1]["end"] == 5.0
    assert chart.spec["datasets"]["marker"][0]["text"].startswith("Median ")
    assert chart.summary.startswith("4 acute trusts; overall scores from ")


def test_domain_distribution_is_by_care_setting_and_year(pub: Publication) -> None:
    chart = charts.domain_distribution(pub, "sc_strategy")
    assert [r[0] for r in chart.rows] == [
        "Acute, 2024",
        "Ambulance, 2024",
        "Acute, 2025",
        "Ambulance, 2025",
    ]
    # acute 2025 strategy: 4, 3, 2, 4 -> level 4 most common (2 of 4)
    assert chart.rows[2] == ("Acute, 2025", "0", "1", "1", "2", "0", "4")
    assert chart.summary == (
        "In 2025, the most common level is level 4 for acute trusts (2 of 4); "
        "level 3 for ambulance trusts (1 of 1)."
    )


def test_readable_at_375_pixels(pub: Publication) -> None:
    chart = charts.org_domain_profile(pub, "RA1", "acute", 2025)
    spec = {**chart.spec, "width": 375}
    svg = vl_convert.vegalite_to_svg(spec, vl_version=charts.render.VL_VERSION)
    assert re.search(r'<svg[^>]* width="375"', svg)
    assert "Board assurance" in svg and "Ensure Smart Foundations" in svg


# ---------------------------------------------------------------------------------------------
# HTML, assets and static files


class _Parsed(HTMLParser):
    """Collect the tags, attributes and text of a chart block."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop() != tag:
            pass  # the table leaves out its </th>, </td> and </tr>

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text[self._open[-1]] = self.text.get(self._open[-1], "") + data


def _view(parsed: _Parsed) -> dict:
    """The attributes of the chart's image."""
    return next(a for t, a in parsed.tags if t == "img" and a.get("class") == "dma-chart__view")


def test_chart_html_has_the_image_summary_and_an_accessible_table(pub: Publication) -> None:
    chart = charts.org_pillar_profile(pub, "RA1", "acute", 2025)
    html = charts.chart_html(chart, image="../downloads/charts/org-ra1-acute-2025-pillars.svg")
    assert html.startswith('<figure class="dma-chart" id="org-ra1-acute-2025-pillars"')
    assert "\n\n" not in html and not re.search(r"^\s", html, re.M)  # one raw HTML block
    parsed = _Parsed()
    parsed.feed(html)
    view = _view(parsed)
    # the image drawn at build time, named by the chart's description; no spec, no script
    assert view["src"] == "../downloads/charts/org-ra1-acute-2025-pillars.svg"
    assert view["alt"] == chart.description and view["loading"] == "lazy"
    assert "<script" not in html and json.dumps(chart.spec["datasets"])[:40] not in html
    assert parsed.text["caption"] == chart.table_caption
    scopes = [a.get("scope") for t, a in parsed.tags if t == "th"]
    assert scopes == ["col"] * len(chart.columns) + [None] * len(chart.rows)  # row headers
    table = html.split("<table>")[1].split("</table>")[0]
    assert "style=" not in table and "class=" not in table
    assert chart.summary in html
    # its summary and key describe it; the table comes before the image
    assert view["aria-describedby"] == f"{chart.chart_id}-summary {chart.chart_id}-key"
    assert html.index('class="dma-chart__data"') < html.index('class="dma-chart__view"')
    # its size is filled in once it is drawn; a chart with no size is a fault
    assert view["data-dma-size"] == chart.chart_id and "width=" not in html
    filled = charts.fill_sizes(html, {chart.chart_id: (440, 486)})
    assert 'width="440" height="486"' in filled and "data-dma-size" not in filled
    with pytest.raises(KeyError):
        charts.fill_sizes(html, {})


def test_chart_html_escapes_every_text() -> None:
    pub = make_pub({"RA1": 'R&D </script><b>"Trust"</b> <!--'})
    chart = charts.org_pillar_profile(pub, "RA1", "acute", 2025)
    html = charts.chart_html(chart, image='a "b".svg')
    assert "</script>" not in html and "<!--" not in html and "<b>" not in html
    parsed = _Parsed()
    parsed.feed(html)
    assert 'R&D </script><b>"Trust"</b> <!--' in _view(parsed)["alt"]
    assert _view(parsed)["src"] == 'a "b".svg'


def test_the_chart_script_only_makes_pngs_in_the_browser(tmp_path: Path) -> None:
    charts.write_chart_assets(tmp_path)
    page = (tmp_path / "assets/js/charts.js").read_text(encoding="utf-8")
    assert charts.CHART_SCRIPTS == ("assets/js/charts.js",)
    assert sorted(p.name for p in (tmp_path / "assets/js").iterdir()) == ["charts.js"]  # no Vega
    assert "document$" in page and "DOMContentLoaded" in page and "toBlob" in page
    assert "http" not in page and "vega" not in page.lower()


FOOTER = (
    "Source: Digital Maturity Assessment 2025, Publisher.",
    "Licence: Open Government Licence v3.0. Release 2025.1.0, 2025-09-18.",
)


def test_chart_files_are_svg_csv_and_spec_each_with_the_footer(
    pub: Publication, tmp_path: Path
) -> None:
    chosen = [
        charts.national_level_counts(pub, 2025, "acute"),
        charts.org_pillar_profile(pub, "RA1", "acute", 2025),
    ]
    sizes = charts.write_chart_files(chosen, [tmp_path / "a", tmp_path / "b"], footer=FOOTER)
    assert list(sizes) == [c.chart_id for c in chosen]
    for chart in chosen:
        files = charts.chart_files(chart.chart_id)
        for folder in ("a", "b"):
            here = tmp_path / folder
            svg = ElementTree.fromstring((here / files.svg).read_bytes())  # well-formed XML
            texts = [t.text for t in svg.iter() if t.tag.endswith(("}text", "}tspan")) and t.text]
            assert chart.title in texts and FOOTER[1] in texts
            assert any(t.startswith("Source: Digital Maturity Assessment 2025") for t in texts)
            # the size the page gives the image is the SVG's own
            assert sizes[chart.chart_id] == (int(svg.get("width")), int(svg.get("height")))
            assert sizes[chart.chart_id][0] == charts.render.STATIC_WIDTH
            assert not (here / files.png).exists()  # PNGs are made in the browser
            spec = json.loads((here / files.spec).read_text(encoding="utf-8"))
            assert spec == charts.static_spec(chart, FOOTER)
            assert spec["title"]["text"] == [chart.title]
            assert spec["vconcat"][0]["title"]["orient"] == "bottom"  # the footer, below
            table = pd.read_csv(here / files.csv, comment="#", dtype=str, keep_default_na=False)
            assert list(table.columns) == list(chart.columns)
            assert table.values.tolist() == [list(r) for r in chart.rows]
            head = (here / files.csv).read_text(encoding="utf-8").splitlines()[:4]
            assert head[:3] == [f"# {chart.title}", f"# {FOOTER[0]}", f"# {FOOTER[1]}"]
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(f"{c.chart_id}.{x}" for c in chosen for x in ("svg", "csv", "vl.json"))


def test_a_long_title_is_wrapped_within_the_image(pub: Publication) -> None:
    chart = charts.org_pillar_profile(pub, "RA1", "acute", 2025)
    long = replace(chart, title="Member trusts' pillar scores against the national spread, " * 2)
    lines = charts.static_spec(long, FOOTER)["title"]["text"]
    assert len(lines) > 1 and all(len(line) <= charts.render.TITLE_CHARS for line in lines)
    assert " ".join(lines) == long.title.strip()


def test_a_chart_csv_quotes_a_hash_so_the_comment_reader_keeps_the_cell() -> None:
    chart = charts.org_pillar_profile(make_pub(), "RA1", "acute", 2025)
    odd = replace(chart, rows=(("Trust #1, north", "2.50", "[c]", "", "", "", ""),))
    text = charts.chart_csv(odd, FOOTER).decode("utf-8")
    assert '"Trust #1, north",2.50,[c]' in text
    table = pd.read_csv(io.StringIO(text), comment="#", na_values=["[c]"])
    assert table.iloc[0, 0] == "Trust #1, north" and table.iloc[0, 1] == 2.5
    assert pd.isna(table.iloc[0, 2])


# ---------------------------------------------------------------------------------------------
# Suppression, speed and stable images


def _withheld_pub(sentinels: bool) -> tuple[Publication, Publication]:
    """The small publication before and after the policy withholds `sc_infra` below region level
    (minimum group size 2). With sentinels, every value the policy withholds is first set to a
    number found nowhere else (9 for a domain score, 4.321 for a statistic, 77 for a count)."""
    from dataclasses import replace

    from dma_publish.policy import PolicyFile, resolve_policy
    from dma_publish.suppress import (
        LEVEL_COLUMNS,
        STAT_COLUMNS,
        suppress_benchmarks,
        suppress_domain_scores,
        suppress_like_for_like,
    )

    pub = make_pub()
    doc = {
        "minimum_group_size": 2,
        "rules": [{"domains": ["sc_infra"], "finest_level": "region", "reason": "r"}],
    }
    policy = resolve_policy(PolicyFile.model_validate(doc), pub.methodology.domains)
    defs = pub.methodology.score_defs[["year", "domain_id", "score_id"]]
    treatment = defs.merge(policy.domains, on=["year", "domain_id"])
    domain, pillar, bench = pub.scores.domain_scores, pub.scores.pillar_scores, pub.benchmarks
    if sentinels:
        hit = suppress_domain_scores(domain, treatment)["is_suppressed"].to_numpy()
        domain = domain.assign(score=np.where(hit, 9, domain["score"]))
        hit = suppress_like_for_like(pillar, suppress_domain_scores(domain, treatment))
        pillar = pillar.copy()
        pillar.loc[hit["lfl_is_suppressed"].to_numpy(), ["lfl_score", "lfl_previous_score"]] = 4.321
        hit = suppress_benchmarks(bench, treatment, pub.reference.organisations, 2)
        bench = bench.copy()
        hidden = hit["is_suppressed"].to_numpy()
        bench.loc[hidden, STAT_COLUMNS] = 4.321
        bench.loc[hidden, LEVEL_COLUMNS] = 77
    raw = replace(
        pub,
        scores=replace(pub.scores, domain_scores=domain, pillar_scores=pillar),
        benchmarks=bench,
    )
    domain_out = suppress_domain_scores(domain, treatment)
    scores = replace(
        pub.scores,
        domain_scores=domain_out,
        pillar_scores=suppress_like_for_like(pillar, domain_out),
    )
    published = replace(
        pub,
        scores=scores,
        benchmarks=suppress_benchmarks(bench, treatment, pub.reference.organisations, 2),
    )
    assert scores.domain_scores["is_suppressed"].any()
    assert published.benchmarks["is_suppressed"].any()
    return raw, published


def _shown_values(chart_set: charts.ChartSet) -> tuple[list, list]:
    """Every number in the charts' data, and every cell of their tables."""
    numbers, cells = [], []
    for chart in chart_set:
        for records in chart.spec["datasets"].values():
            for rec in records:
                numbers += [v for v in rec.values() if isinstance(v, int | float)]
        cells += [cell for row in chart.rows for cell in row]
    return numbers, cells


def _as_published(pub: Publication) -> Publication:
    """The frames as they are, marked as published (with the change the tables would add)."""
    pillar = pub.scores.pillar_scores
    pillar = pillar.assign(lfl_change=pillar["lfl_score"] - pillar["lfl_previous_score"])
    return replace(pub, scores=replace(pub.scores, pillar_scores=pillar), values="published")


def test_no_chart_shows_a_value_the_policy_withholds() -> None:
    raw, published = _withheld_pub(sentinels=True)
    # the sentinels are out of range, so no table would publish them: the charts are given the
    # frames as they are, as if published (what the builders then show is what is checked)
    raw, published = _as_published(raw), _as_published(published)
    # without the policy the sentinels are drawn (so the check below can see them) ...
    numbers, cells = _shown_values(charts.build_all(raw))
    assert 9 in numbers and 4.321 in numbers and 77 in numbers and "9" in cells
    # ... and with it none is, in a spec or a table; withheld cells read [c]
    numbers, cells = _shown_values(charts.build_all(published))
    assert not {9, 4.32, 4.321, 77} & set(numbers)
    assert not {"9", "4.32", "77"} & set(cells)
    assert "[c]" in cells


def test_ms_per_chart_covers_the_whole_build(pub: Publication) -> None:
    charts.STATS.reset()
    chart_set = charts.build_all(pub)
    assert charts.STATS.n_built == len(chart_set) == charts.STATS.n_charts
    assert charts.STATS.build_seconds >= charts.STATS.seconds
    assert charts.STATS.ms_per_chart == 1000 * charts.STATS.build_seconds / len(chart_set)
    assert "ms per chart" in charts.STATS.format()


def test_chart_images_are_the_same_whichever_process_draws_them_and_in_any_order(
    pub: Publication, tmp_path: Path
) -> None:
    from dma_publish.charts.render import _stable_ids, render_images

    grids = [charts.national_level_counts(pub, y, "acute") for y in (2024, 2025)]
    specs = [charts.static_spec(c, FOOTER) for c in grids]
    # a gradient legend: Vega numbers its gradients on from every image the process drew before
    first = render_images(specs, workers=1)
    again = render_images(list(reversed(specs)), workers=1)
    assert first == list(reversed(again))
    assert all('id="gradient_0"' in svg for svg in first)
    raw = [vl_convert.vegalite_to_svg(s, vl_version=charts.render.VL_VERSION) for s in specs * 2]
    assert [_stable_ids(s) for s in raw] == first * 2
    # helper processes (at least 8 images per helper) give the same files as this process alone
    many = specs * 8
    assert render_images(many, workers=2) == first * 8


def test_cached_chart_images_are_the_images_drawn(
    pub: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dma_publish.charts import render

    monkeypatch.setattr(render, "IMAGE_CACHE", tmp_path / "cache")
    specs = [charts.static_spec(charts.national_overall_distribution(pub, 2025, "acute"), FOOTER)]
    drawn = render.draw_images(specs, workers=1)
    kept = sorted((tmp_path / "cache").iterdir())
    assert [p.suffix for p in kept] == [".sha256", ".svg"]  # the SVG and its digest
    assert drawn == render.render_images(specs, workers=1)
    real_render = render.render_images
    monkeypatch.setattr(render, "render_images", lambda *a, **k: pytest.fail("drawn again"))
    assert render.draw_images(specs, workers=1) == drawn
    # a cache entry cut short, altered, half-deleted or unreadable is drawn again, silently,
    # and the image is the same as ever
    redrawn = []
    monkeypatch.setattr(
        render, "render_images", lambda *a, **k: redrawn.append(1) or real_render(*a, **k)
    )
    digest, svg = kept
    for damage in (
        lambda: svg.write_bytes(svg.read_bytes()[:100]),
        lambda: svg.write_bytes(svg.read_bytes()[:-8] + b"altered>"),
        lambda: digest.unlink(),
        lambda: svg.write_bytes(b"\xff\xfe not utf-8"),
        lambda: svg.unlink(),
    ):
        damage()
        assert render.draw_images(specs, workers=1) == drawn
    assert len(redrawn) == 5
    assert render.draw_images(specs, workers=1) == drawn and len(redrawn) == 5  # kept again


def test_no_chart_csv_shows_a_value_the_policy_withholds() -> None:
    raw, published = _withheld_pub(sentinels=True)
    raw, published = _as_published(raw), _as_published(published)  # as in the test above
    cells = {
        cell
        for chart in charts.build_all(raw)
        for row in pd.read_csv(io.BytesIO(charts.chart_csv(chart, FOOTER)), comment="#", dtype=str)
        .fillna("")
        .values.tolist()
        for cell in row
    }
    assert {"9", "4.32", "77"} <= cells  # without the policy the sentinels are there
    withheld = 0
    for chart in charts.build_all(published):
        data = charts.chart_csv(chart, FOOTER)
        text = pd.read_csv(io.BytesIO(data), comment="#", dtype=str, keep_default_na=False)
        assert text.values.tolist() == [list(r) for r in chart.rows]  # the page's table
        assert not {"9", "4.32", "4.321", "77"} & set(text.values.ravel())
        read = pd.read_csv(io.BytesIO(data), comment="#", na_values=["[c]"])
        hidden = (text == "[c]").to_numpy()
        assert read.isna().to_numpy()[hidden].all()  # a withheld value reads as missing
        withheld += int(hidden.sum())
    assert withheld > 0  # the withheld values are there, as [c]


def test_a_chart_image_is_laid_out_in_fonts_of_the_widths_it_is_shown_in(pub: Publication) -> None:
    # vl-convert measures text with the Liberation Sans it carries; the SVG names it (and Arial
    # and Helvetica, of the same widths) first, so a label laid out to fit still fits when the
    # file is opened in a browser. The page's own charts keep the system fonts (measured there).
    from dma_publish.charts.render import _draw

    chart = charts.national_level_counts(pub, 2025, "acute")
    svg = _draw(charts.static_spec(chart, FOOTER))
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families == {charts.style.STATIC_FONT}
    assert charts.style.STATIC_FONT.startswith("'Liberation Sans', Arial")
    assert chart.spec["config"]["font"] == charts.style.FONT
    # the measure: a label in the static font takes the room Liberation Sans gives it
    probe = {
        "data": {"values": [{"a": "Ensure Smart Foundations", "b": 1}]},
        "mark": "bar",
        "encoding": {
            "y": {"field": "a", "type": "nominal"},
            "x": {"field": "b", "type": "quantitative"},
        },
    }
    offsets = {
        font: re.search(
            r"translate\(([\d.]+),",
            vl_convert.vegalite_to_svg(
                {**probe, "config": {"font": font}}, vl_version=charts.render.VL_VERSION
            ),
        ).group(1)
        for font in (charts.style.STATIC_FONT, "Liberation Sans", "DejaVu Sans")
    }
    assert offsets[charts.style.STATIC_FONT] == offsets["Liberation Sans"] != offsets["DejaVu Sans"]
