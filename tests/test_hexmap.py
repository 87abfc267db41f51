"""The ICBs' hex map (issue 30): the layout is checked against the ICB reference, the demo's
layout is made from the official one, and every hexagon shows the number of the table beside it
(a withheld one shows none)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dma_publish import charts, hexmap
from dma_publish.charts.hexmap import LABEL_DARK, _luminance, _rgb, shade
from dma_publish.cli import cli
from dma_publish.demo import demo_hexmap, generate_reference
from dma_publish.errors import InputError
from dma_publish.formats import WITHHELD, fmt_score
from dma_publish.index import shown
from dma_publish.reference import load_reference

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = ROOT / "data" / "official"
LAYOUT = OFFICIAL / "organisations" / "hexmap" / "nhs-icb-2022.hexjson"


def _official_icbs() -> list[str]:
    with (OFFICIAL / "organisations" / "organisations.csv").open(encoding="utf-8") as f:
        return sorted(r["org_code"] for r in csv.DictReader(f) if r["org_type"] == "icb")


def _write(tmp_path: Path, doc: dict | str) -> Path:
    path = tmp_path / hexmap.LAYOUT_FILE
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _official_doc() -> dict:
    return json.loads(LAYOUT.read_text(encoding="utf-8"))


# --- the layout ------------------------------------------------------------------------------


def test_the_official_layout_has_one_hexagon_per_icb_each_in_its_own_place() -> None:
    frame = hexmap.load_layout(LAYOUT, _official_icbs())
    assert list(frame["org_code"]) == _official_icbs()
    assert len(frame) == 42
    assert len({(q, r) for q, r in zip(frame["q"], frame["r"], strict=True)}) == 42


def test_a_layout_missing_an_icb_is_a_clear_error(tmp_path: Path) -> None:
    doc = _official_doc()
    del doc["hexes"]["QT6"]
    with pytest.raises(InputError) as err:
        hexmap.load_layout(_write(tmp_path, doc), _official_icbs())
    assert err.value.rule == "missing_hexagon"
    assert err.value.file.endswith(hexmap.LAYOUT_FILE)
    assert err.value.location == "hexes.QT6"
    assert "no hexagon for ICB 'QT6'" in str(err.value)


def test_an_extra_hexagon_is_a_clear_error(tmp_path: Path) -> None:
    doc = _official_doc()
    doc["hexes"]["QZZZ"] = {"q": 1, "r": 9}
    with pytest.raises(InputError) as err:
        hexmap.load_layout(_write(tmp_path, doc), _official_icbs())
    assert (err.value.rule, err.value.location) == ("extra_hexagon", "hexes.QZZZ")


def test_a_hexagon_given_twice_or_two_in_one_place_is_a_clear_error(tmp_path: Path) -> None:
    text = LAYOUT.read_text(encoding="utf-8").replace(
        '"hexes": {', '"hexes": {"QT6": {"q": 1, "r": 1},', 1
    )
    with pytest.raises(InputError) as err:
        hexmap.load_layout(_write(tmp_path, text), _official_icbs())
    assert (err.value.rule, err.value.location) == ("duplicate_hexagon", "hexes.QT6")
    doc = _official_doc()
    doc["hexes"]["QJK"].update(q=1, r=1)  # Cornwall's place
    with pytest.raises(InputError) as err:
        hexmap.load_layout(_write(tmp_path, doc), _official_icbs())
    assert err.value.rule == "duplicate_hexagon"
    assert "where" in err.value.message


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("{", "invalid_json"),
        ('{"layout": "odd-q", "hexes": {}}', "unsupported_layout"),
        ('{"layout": "odd-r", "hexes": {}}', "no_hexes"),
        ('{"layout": "odd-r", "hexes": {"QT6": {"q": "1", "r": 1}}}', "malformed_hexagon"),
    ],
)
def test_a_malformed_layout_names_its_rule(tmp_path: Path, text: str, rule: str) -> None:
    with pytest.raises(InputError) as err:
        hexmap.load_layout(_write(tmp_path, text), _official_icbs())
    assert err.value.rule == rule


def test_the_reference_loads_the_layout_and_the_cli_stops_on_a_bad_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("returns", "official"))
    reference = load_reference(data / "reference")
    assert reference.hexmap is not None and len(reference.hexmap) == 42
    layout = data / "reference" / hexmap.LAYOUT_FILE
    doc = json.loads(layout.read_text(encoding="utf-8"))
    gone = sorted(doc["hexes"])[0]
    del doc["hexes"][gone]
    layout.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["build", "--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 2, result.output
    assert hexmap.LAYOUT_FILE in result.output
    assert f"hexes.{gone}" in result.output and "[missing_hexagon]" in result.output
    assert "Traceback" not in result.output


def test_without_a_layout_file_there_is_no_map(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data" / "reference", tmp_path / "ref")
    (tmp_path / "ref" / hexmap.LAYOUT_FILE).unlink()
    assert load_reference(tmp_path / "ref").hexmap is None


# --- the demo's layout -----------------------------------------------------------------------


def test_the_demo_layout_is_the_committed_one_each_region_on_its_own_hexagons() -> None:
    organisations, _ = generate_reference(2025, 1)
    doc = demo_hexmap(organisations, OFFICIAL)
    committed = json.loads((ROOT / "data" / "reference" / hexmap.LAYOUT_FILE).read_text("utf-8"))
    assert doc == committed
    with (OFFICIAL / "organisations" / "organisations.csv").open(encoding="utf-8") as f:
        official_region = {r["org_code"]: r["region_code"] for r in csv.DictReader(f)}
    region_at = {(h["q"], h["r"]): official_region[k] for k, h in _official_doc()["hexes"].items()}
    demo_region = dict(zip(organisations["org_code"], organisations["region_code"], strict=True))
    assert len(doc["hexes"]) == 42
    for code, h in doc["hexes"].items():
        assert region_at[(h["q"], h["r"])] == demo_region[code], code


def test_at_scales_above_one_the_demo_has_no_layout() -> None:
    organisations, _ = generate_reference(2025, 2)
    assert demo_hexmap(organisations, OFFICIAL) is None


# --- the chart -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def maps(publication) -> list[charts.Chart]:
    found = [c for c in charts.build_all(shown(publication)) if c.kind == "icb_hexmap"]
    assert found, "no maps"
    return found


def _csv_rows(chart: charts.Chart) -> list[list[str]]:
    text = charts.chart_csv(chart).decode("utf-8")
    return list(csv.reader(line for line in io.StringIO(text) if not line.startswith("#")))


def test_a_map_for_each_year_and_each_region_page(publication, maps) -> None:
    years = sorted(shown(publication).years)
    n_regions = len(publication.reference.regions)
    assert sorted(c.scope for c in maps if c.scope[0] == "national") == [
        ("national", y) for y in years
    ]
    assert len(maps) == len(years) * (1 + n_regions)


def test_every_hexagon_value_is_the_value_in_its_table_and_csv(publication, maps) -> None:
    view = shown(publication)
    icb = view.scores.overall_scores.query("care_setting == 'icb'")
    published = {(int(r.year), r.org_code): r.score for r in icb.itertuples()}
    for chart in maps:
        year = chart.scope[-1]
        data = chart.spec["datasets"]
        assert len(data["hexes"]) + len(data["blank"]) == 42
        by_name = {row[0]: row for row in chart.rows}
        csv_rows = {row[0]: row for row in _csv_rows(chart)[1:]}
        for datum in data["hexes"]:
            row = by_name[datum["n"]]
            assert row[3] == fmt_score(datum["v"]) == datum["t"], (chart.chart_id, row)
            assert csv_rows[datum["n"]] == list(row)
            assert datum["v"] == published[(year, row[1])]
        assert [len(c) for c in chart.rows] == [4] * 42
        assert chart.row_keys == tuple(row[1] for row in chart.rows)


def test_withheld_values_stay_withheld_in_the_spec(maps) -> None:
    n_withheld = 0
    for chart in maps:
        data = chart.spec["datasets"]
        withheld = {row[0] for row in chart.rows if row[3] == WITHHELD}
        n_withheld += len(withheld)
        assert {d["n"] for d in data["blank"]} >= withheld
        for datum in data["blank"]:
            assert "v" not in datum and "f" not in datum
            assert set(datum) == {"x", "y", "s", "n", "t", "m"}
        assert not withheld & {d["n"] for d in data["hexes"]}
    assert n_withheld, "the demo withholds an ICB's overall score: it should be on a map"


def test_a_region_map_outlines_its_icbs_and_fades_the_rest(publication, maps) -> None:
    orgs = publication.reference.organisations.set_index("org_code")
    for chart in maps:
        if chart.scope[0] != "region":
            continue
        region = chart.scope[1]
        mine = {c for c in chart.row_keys if orgs.loc[c, "region_code"] == region}
        data = chart.spec["datasets"]
        assert len(data["outline"]) == len(mine) > 0
        assert chart.row_keys[: len(mine)] == tuple(sorted(mine, key=chart.row_keys.index))
        faded = [d for d in data["hexes"] + data["blank"] if d["m"]]
        assert len(faded) == 42 - len(mine)


def test_the_key_marks_englands_median_and_the_scale_reads_in_greyscale(maps) -> None:
    for chart in maps:
        words = [w["t"] for w in chart.spec["datasets"]["words"]]
        has_median = any(t.startswith("England median ") for t in words)
        assert has_median == (f"England's median {WITHHELD}" not in chart.summary)
    lum = [_luminance(_rgb(shade(v / 10, (1.0, 5.0))[0])) for v in range(10, 51)]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False)), "darker means higher"
    assert _luminance(_rgb(shade(1.0, (1.0, 5.0))[0])) < 0.9  # never white (white: withheld)


def test_every_label_reads_at_4_5_to_1_on_its_shade() -> None:
    """White or black, whichever reads better, on every shade of the scale (WCAG 1.4.3)."""

    def contrast(a: float, b: float) -> float:
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)

    for v in range(100, 501):
        fill, white = shade(v / 100, (1.0, 5.0))
        text = _luminance(_rgb("#FFFFFF" if white else LABEL_DARK))
        assert contrast(_luminance(_rgb(fill)), text) >= 4.5, (fill, white)


def test_labels_are_codes_of_three_or_four_characters(maps) -> None:
    for chart in maps:
        labels = [d["c"] for d in chart.spec["datasets"]["labels"]]
        assert sorted(labels) == sorted(chart.row_keys)
        assert all(3 <= len(c) <= 4 for c in labels)


def test_without_a_layout_there_is_no_map_and_the_pages_say_so() -> None:
    from test_pages import mini_publication

    from dma_publish.pages.areas import national_page, region_page
    from dma_publish.pages.organisations import PageLinks
    from dma_publish.pages.site import Site

    pub = mini_publication()
    assert pub.reference.hexmap is None
    assert not [c for c in charts.build_all(pub) if c.kind == "icb_hexmap"]
    site = Site(pub)
    links = PageLinks(org_slices={}, chart=lambda *a, **k: "<figure>a chart</figure>")
    assert "There is no map of ICBs in this publication" in national_page(site, links)
    region = sorted(site.regions)[0]
    assert "There is no map of ICBs in this publication" in region_page(site, region, links)


# --- the second layer: trusts' medians by ICB system (issue 30, point 4) ----------------------


def test_the_demo_withholds_too_many_system_medians_for_a_layer(maps, publication) -> None:
    view = shown(publication)
    assert not [c for c in charts.build_all(view) if c.kind == "system_hexmap"]


def test_official_system_layers_show_the_published_medians(official_site) -> None:
    _, pub = official_site
    view = shown(pub)
    layers = [c for c in charts.build_all(view) if c.kind == "system_hexmap"]
    settings = sorted({c.chart_id.split("-", 2)[2].rsplit("-system-map", 1)[0] for c in layers})
    assert settings == ["acute", "community", "mental-health"]  # ambulance: one trust a region
    bench = view.benchmarks.query("peer_group_type == 'icb_system' and measure_type == 'overall'")
    for chart in layers:
        year, setting = chart.scope[1], chart.chart_id.split("-", 2)[2][: -len("-system-map")]
        setting = setting.replace("-", "_")
        medians = {
            r.peer_group_code: r.median
            for r in bench.itertuples()
            if r.year == year and r.care_setting == setting
        }
        data = chart.spec["datasets"]
        assert len(data["hexes"]) + len(data["blank"]) == len(chart.rows) == 42
        by_name = {row[0]: row for row in chart.rows}
        csv_rows = {row[0]: row for row in _csv_rows(chart)[1:]}
        for datum in data["hexes"]:
            row = by_name[datum["n"]]
            assert datum["v"] == medians[row[1]] and row[3] == fmt_score(datum["v"]), row
            assert csv_rows[datum["n"]] == list(row)
        for datum in data["blank"]:
            assert "v" not in datum and by_name[datum["n"]][3] in (WITHHELD, "[x]")
