"""Import of NHS England's DMA results workbook: small workbooks in the official layout.

Each test writes a workbook with openpyxl the way NHS England lays it out (title block in rows
1-10, header on row 11, empty column A, footer rows, stray spaces in sheet names, a hidden
primary-care sheet), breaks one thing, and asserts the exact error or result.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from dma_publish import official
from dma_publish.cli import cli
from dma_publish.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "official" / "organisations"
RELEASE = ROOT / "data" / "official" / "release.yaml"

SW = "SOUTH WEST"
BSW = "NHS BATH AND NORTH EAST SOMERSET, SWINDON AND WILTSHIRE INTEGRATED CARE BOARD"
NE = "NORTH EAST AND YORKSHIRE"
NENC = "NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD"
PILLARS = [h for h, _ in official.PILLAR_HEADERS]

SC_ROWS = [
    [SW, BSW, "SALISBURY NHS FOUNDATION TRUST", "Acute", 2.8, 2.4, 2, 2, 1.9, 2, 1.4],
    [
        SW,
        BSW,
        "ROYAL UNITED HOSPITALS BATH NHS FOUNDATION TRUST",
        "Acute",
        2.8,
        3.1,
        1.8,
        2.5,
        2.3,
        2,
        2,
    ],
    [NE, NENC, "NORTH TEES AND HARTLEPOOL NHS FOUNDATION TRUST", "Acute", 3, 3, 3, 3, 3, 3, 3],
    [NE, NENC, "NORTH TEES AND HARTLEPOOL NHS FOUNDATION TRUST", "Community", 3, 3, 3, 3, 3, 3, 3],
    [NE, NENC, "Gateshead Health NHS Foundation Trust", "Acute", 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7],
]
SC_OVERALL = [r[:4] + [2.0 + i / 7, 1.5 + i / 9] for i, r in enumerate(SC_ROWS)]
ICB_ROWS = [[SW, BSW, 2, 4, 3.3, 1.5, 2, 2.8, 2.6], [NE, NENC, 2.5, 3, 3, 3, 3, 3, 3]]
ICB_OVERALL = [[SW, BSW, 2.7916666666666665, 2.6666666666666665], [NE, NENC, 2.5, 2.375]]
PC_ROWS = [[SW, BSW, 5, 5, 2, 5, 5], [NE, NENC, 4, 3, 3, 4, 4]]


def _data_sheet(
    wb, title, header, rows, group="Organisation Details", header_row=11, footnote=None
):
    ws = wb.create_sheet(title)
    ws.cell(2, 2, "2025 DMA: Secondary Care Provider Response Data")
    ws.cell(9, 2, "England")
    ws.cell(header_row - 1, 2, group)
    for col, label in enumerate(header, start=2):
        ws.cell(header_row, col, label)
    for i, row in enumerate(rows, start=header_row + 1):
        for col, value in enumerate(row, start=2):
            ws.cell(i, col, value)
    end = header_row + len(rows)
    if footnote:
        ws.cell(end + 2, 2, "Notes:")
        ws.cell(end + 3, 2, footnote)
        end += 3
    ws.cell(end + 2, 2, "Source: NHS England Digital Maturity Assessment (DMA)")
    ws.cell(end + 3, 2, "Copyright © 2026, NHS England")
    return ws


FOOTNOTE = (
    "1) Comparable domains are only included here when calculating these scores. Therefore this "
    "score may be different to what has already been seen as a standalone DMA 2024 or DMA 2025 score."
)


def write_workbook(
    path: Path, *, sc_rows=None, skip=(), rename=None, header_row=11, intro_count=205
):
    """A workbook in the official layout; `skip` leaves sheets out, `rename` renames headers."""
    wb = openpyxl.Workbook()
    intro = wb.active
    intro.title = "Introduction "
    intro.cell(6, 2, "Digital Maturity Assessment 2025")
    intro.cell(8, 2, "Publication date: ")
    intro.cell(8, 3, "30 March 2026")
    intro.cell(9, 2, "Link to publication: ")
    intro.cell(9, 3, "Digital Maturity Assessment").hyperlink = "https://example.org/dma"
    intro.cell(
        15, 2, f"The organisations in scope of the assessment are: \n- {intro_count} NHS Trusts \n"
    )
    rename = rename or {}

    def head(cols):
        return [rename.get(c, c) for c in cols]

    sc = sc_rows if sc_rows is not None else SC_ROWS
    sheets = [
        ("SC - 2025 Pillar Summary", head(["Region", "ICS", "Provider", "Care Setting", *PILLARS]), sc, None),
        ("SC - 24 vs 25 Overall DMA", head(["Region", "ICS", "Provider", "Care Setting", *official.OVERALL_HEADERS]),
         [r[:4] + [2.0 + i / 7, 1.5 + i / 9] for i, r in enumerate(sc)], FOOTNOTE),
        ("ICB - 2025 Pillar Summary", head(["Region", "ICS", *PILLARS]), ICB_ROWS, None),
        ("ICB -24 vs 25 Overall DMA ", head(["Region", "ICS", *official.OVERALL_HEADERS]), ICB_OVERALL, None),
        ("2025 Pillar Summary (ICB PC)", head(["Region", "ICS", *official.PC_HEADERS]), PC_ROWS, None),
    ]  # fmt: skip
    for title, header, rows, note in sheets:
        if title.strip() in skip:
            continue
        ws = _data_sheet(wb, title, header, rows, header_row=header_row, footnote=note)
        if "ICB PC" in title:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def _error(tmp_path: Path, **kwargs) -> InputError:
    path = write_workbook(tmp_path / "dma.xlsx", **kwargs)
    with pytest.raises(InputError) as info:
        official.import_workbook(path, REFERENCE)
    return info.value


def test_a_clean_workbook_maps_every_name_to_codes(tmp_path):
    imported = official.import_workbook(write_workbook(tmp_path / "dma.xlsx"), REFERENCE)
    pillars = imported.pillar_scores
    assert len(pillars) == (5 + 2) * 7
    rnz = pillars[(pillars["org_code"] == "RNZ")]
    assert rnz["care_setting"].unique().tolist() == ["acute"]
    assert rnz.set_index("pillar_id")["score"].to_dict() == {
        "well_led": 2.8, "ensure_smart_foundations": 2.4, "safe_practice": 2.0, "support_workforce": 2.0,
        "empower_people": 1.9, "improve_care": 2.0, "healthy_populations": 1.4,
    }  # fmt: skip
    overall = imported.overall_scores
    assert sorted(overall["year"].unique()) == [2024, 2025]
    qox = overall[overall["org_code"] == "QOX"].set_index("year")["score"]
    assert qox[2025] == pytest.approx(2.7916666666666665, abs=1e-14)  # unrounded, as published
    assert qox[2024] == pytest.approx(2.6666666666666665, abs=1e-14)
    orgs = imported.organisations.set_index("org_code")
    assert orgs.loc["RVW", "care_settings"] == "acute;community"
    assert orgs.loc["RR7", "org_name"] == "Gateshead Health NHS Foundation Trust"
    assert orgs.loc["QHM", "ons_code"] == "E54000050"
    assert set(orgs.index) == {"RNZ", "RD1", "RVW", "RR7"} | set(
        official.load_official_reference(REFERENCE).organisations.query("org_type == 'icb'")[
            "org_code"
        ]
    )
    assert imported.regions.set_index("region_code").loc["Y58", "ons_code"] == "E40000006"


def test_title_footer_and_notes_are_dropped_and_rows_reconcile(tmp_path):
    imported = official.import_workbook(write_workbook(tmp_path / "dma.xlsx"), REFERENCE)
    sheets = {s["key"]: s for s in imported.provenance["sheets"]}
    assert sheets["sc_pillars"]["header_row"] == 11
    assert (sheets["sc_pillars"]["first_data_row"], sheets["sc_pillars"]["last_data_row"]) == (
        12,
        16,
    )
    assert sheets["icb_overall"]["name"] == "ICB -24 vs 25 Overall DMA "
    assert sheets["icb_primary_care"]["state"] == "hidden"
    assert imported.reconciliation == {
        "rows_read": 5 + 5 + 2 + 2 + 2,
        "rows_published": 14,
        "rows_left_out": 2,
        "non_data_rows_dropped": sum(s["non_data_rows_dropped"] for s in sheets.values()),
    }
    official.check_reconciliation(imported)
    assert imported.provenance["publication_date"] == "30 March 2026"
    assert imported.provenance["source_url"] == "https://example.org/dma"
    assert imported.provenance["comparable_footnote"].startswith(
        "Comparable domains are only included"
    )


def test_header_is_found_by_content_not_row_number(tmp_path):
    imported = official.import_workbook(
        write_workbook(tmp_path / "dma.xlsx", header_row=14), REFERENCE
    )
    assert {s["header_row"] for s in imported.provenance["sheets"]} == {14}
    assert len(imported.pillar_scores) == 49


def test_legitimate_surprises_are_kept_and_reported(tmp_path):
    imported = official.import_workbook(write_workbook(tmp_path / "dma.xlsx"), REFERENCE)
    f = imported.findings
    rules = sorted(f["rule"].unique())
    assert rules == [
        "hidden_sheet", "identical_setting_scores", "name_not_upper_case", "sheet_name_spaces",
        "sheet_not_published", "trust_count_differs",
    ]  # fmt: skip
    same = f[f["rule"] == "identical_setting_scores"].iloc[0]
    assert (same["org_code"], same["cell"]) == ("RVW", "rows 14, 15")
    count = f[f["rule"] == "trust_count_differs"].iloc[0]
    assert count["message"].startswith(
        "the introduction says 205 NHS trusts; the data sheets name 4."
    )
    assert "(RVN)" in count["message"]
    spaces = sorted(f.loc[f["rule"] == "sheet_name_spaces", "sheet"])
    assert spaces == ["ICB -24 vs 25 Overall DMA ", "Introduction "]
    assert f.loc[f["rule"] == "name_not_upper_case", "cell"].tolist() == ["D16"]


def test_a_trust_placed_in_another_ics_than_ods_is_published_as_in_the_workbook(tmp_path):
    sc = [[SW, BSW, "SALISBURY NHS FOUNDATION TRUST", "Acute", 2.8, 2.4, 2, 2, 1.9, 2, 1.4],
          [NE, NENC, "NORTH EAST AMBULANCE SERVICE NHS FOUNDATION TRUST", "Ambulance", 2, 2, 2, 2, 2, 2, 2],
          [SW, "NHS DORSET INTEGRATED CARE BOARD", "SOUTH WESTERN AMBULANCE SERVICE NHS FOUNDATION TRUST",
           "Ambulance", 2, 2, 2, 2, 2, 2, 2.5]]  # fmt: skip
    imported = official.import_workbook(
        write_workbook(tmp_path / "dma.xlsx", sc_rows=sc), REFERENCE
    )
    f = imported.findings[imported.findings["rule"] == "ics_differs_from_ods"]
    assert f[["org_code", "cell", "value"]].values.tolist() == [["RYF", "C14", "QVV"]]
    assert "ODS (July 2025) records NHS Devon Integrated Care Board (QJK)" in f.iloc[0]["message"]
    assert imported.organisations.set_index("org_code").loc["RYF", "icb_code"] == "QVV"


def test_an_unmatched_name_names_the_cell_and_the_closest_reference_names(tmp_path):
    sc = [list(r) for r in SC_ROWS]
    sc[1][2] = "ROYAL UNITED HOSPITAL BATH NHS FOUNDATION TRUST"
    err = _error(tmp_path, sc_rows=sc)
    assert err.rule == "unknown_name"
    assert err.location == "sheet 'SC - 2025 Pillar Summary', cell D13"
    assert err.message.startswith(
        "Provider 'ROYAL UNITED HOSPITAL BATH NHS FOUNDATION TRUST' is not a trust name in the reference; "
        "closest reference names: 'ROYAL UNITED HOSPITALS BATH NHS FOUNDATION TRUST'"
    )


def test_a_duplicated_provider_and_setting_stops_the_import(tmp_path):
    err = _error(tmp_path, sc_rows=[*SC_ROWS, list(SC_ROWS[0])])
    assert err.rule == "duplicate_row"
    assert err.location == "sheet 'SC - 2025 Pillar Summary', row 17"
    assert err.message == (
        "duplicate row for 'SALISBURY NHS FOUNDATION TRUST' (RNZ), care setting acute: already on row 12; "
        "expected one row per organisation and care setting"
    )


def test_text_in_a_score_cell_stops_the_import(tmp_path):
    sc = [list(r) for r in SC_ROWS]
    sc[2][6] = "n/a"
    err = _error(tmp_path, sc_rows=sc)
    assert (err.rule, err.location) == (
        "score_not_number",
        "sheet 'SC - 2025 Pillar Summary', cell H14",
    )
    assert err.message == "Safe Practice score 'n/a' is text; expected a number from 1 to 5"


def test_a_score_outside_1_to_5_stops_the_import(tmp_path):
    sc = [list(r) for r in SC_ROWS]
    sc[0][10] = 5.1
    err = _error(tmp_path, sc_rows=sc)
    assert (err.rule, err.location) == (
        "score_out_of_range",
        "sheet 'SC - 2025 Pillar Summary', cell L12",
    )
    assert err.message == "Healthy Populations score 5.1 is outside 1 to 5"


def test_a_missing_sheet_stops_the_import(tmp_path):
    err = _error(tmp_path, skip={"ICB - 2025 Pillar Summary"})
    assert (err.rule, err.location) == ("missing_sheet", "workbook")
    assert err.message.startswith(
        "sheet 'ICB - 2025 Pillar Summary' is missing; sheets present: 'Introduction ',"
    )


def test_a_renamed_column_stops_the_import(tmp_path):
    err = _error(tmp_path, rename={"Support Workforce": "Support People"})
    assert (err.rule, err.location) == (
        "unknown_column",
        "sheet 'SC - 2025 Pillar Summary', cell I11",
    )
    assert err.message.startswith("unexpected column 'Support People'")


def test_an_unknown_care_setting_stops_the_import(tmp_path):
    sc = [list(r) for r in SC_ROWS]
    sc[0][3] = "Primary"
    err = _error(tmp_path, sc_rows=sc)
    assert (err.rule, err.location) == (
        "unknown_care_setting",
        "sheet 'SC - 2025 Pillar Summary', cell E12",
    )


def test_a_file_that_is_not_xlsx_stops_the_import(tmp_path):
    path = tmp_path / "dma.xlsx"
    path.write_text("Region,ICS\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        official.import_workbook(path, REFERENCE)
    assert info.value.rule == "not_xlsx"
    assert info.value.file == str(path)


def test_the_command_writes_a_data_folder_and_exits_2_on_a_fault(tmp_path):
    good = write_workbook(tmp_path / "good.xlsx")
    out = tmp_path / "data"
    result = CliRunner().invoke(
        cli, ["import-nhse", str(good), "--out", str(out), "--release", str(RELEASE)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "reconciliation: data rows read 16 = published 14 + left out and reported 2"
        in result.output
    )
    assert "trust_count_differs" in result.output
    for name in (
        "pillar_scores.csv",
        "overall_scores.csv",
        "pillars.csv",
        "findings.csv",
        "provenance.json",
    ):
        assert (out / "published" / name).is_file()
    prov = json.loads((out / "published" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["sha256"] == official.sha256_file(good)
    assert (out / "reference" / "organisations.csv").is_file() and (out / "release.yaml").is_file()

    sc = [list(r) for r in SC_ROWS]
    sc[0][4] = "high"
    bad = write_workbook(tmp_path / "bad.xlsx", sc_rows=sc)
    result = CliRunner().invoke(cli, ["import-nhse", str(bad), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert (
        "sheet 'SC - 2025 Pillar Summary', cell F12: Well Led score 'high' is text" in result.output
    )
    assert "Traceback" not in result.output


def test_the_committed_workbook_imports_with_the_known_findings():
    imported = official.import_workbook(
        ROOT
        / "data"
        / "official"
        / "source"
        / "Digital Maturity Assessment Results Data File v2.xlsx",
        REFERENCE,
    )
    sheets = {s["key"]: s["data_rows"] for s in imported.provenance["sheets"]}
    assert sheets == {
        "sc_pillars": 285,
        "sc_overall": 285,
        "icb_pillars": 42,
        "icb_overall": 42,
        "icb_primary_care": 42,
    }
    counts = imported.findings.groupby("rule").size().to_dict()
    assert counts["ics_differs_from_ods"] == 11
    assert counts["identical_setting_scores"] == 8
    assert counts["trust_count_differs"] == 1
    assert imported.organisations["org_type"].value_counts().to_dict() == {"trust": 204, "icb": 42}
    assert (
        imported.provenance["sha256"]
        == "4ea98849dae795aa24c632473b4b3856d500657c89b99978490d591c8286ca4d"
    )
