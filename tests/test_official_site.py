"""End to end: the official site built from NHS England's committed workbook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dma_publish import official

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = ROOT / "data" / "official"
WORKBOOK = OFFICIAL / "source" / "Digital Maturity Assessment Results Data File v2.xlsx"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


@pytest.fixture(scope="module")
def site(official_site):
    return official_site


def test_every_trust_setting_row_and_icb_is_published(site):
    out, pub = site
    pillars = pd.read_csv(out / "downloads" / "pillar_scores.csv", dtype=str)
    trusts = pillars[pillars["org_type"] == "trust"][["org_code", "care_setting"]].drop_duplicates()
    assert len(trusts) == 285
    assert pillars.loc[pillars["org_type"] == "icb", "org_code"].nunique() == 42
    orgs = pd.read_csv(out / "downloads" / "organisations.csv", dtype=str)
    icbs = orgs[orgs["org_type"] == "icb"]
    assert len(icbs) == 42 and icbs["icb_ons_code"].str.match(r"^E54\d{6}$").all()
    assert orgs["region_ons_code"].str.match(r"^E40\d{6}$").all()
    assert set(pd.read_csv(out / "downloads" / "overall_scores.csv", dtype=str)["year"]) == {
        "2024",
        "2025",
    }


def test_every_organisation_is_reachable_from_the_index_and_search(site):
    out, pub = site
    index = (out / "organisations" / "index.html").read_text(encoding="utf-8")
    search = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles = {d["location"].split("#")[0]: d["title"] for d in search["docs"]}
    for org in pub.reference.organisations.itertuples():
        folder = "icbs" if org.org_type == "icb" else "trusts"
        page = out / folder / f"{org.org_code}.html"
        assert page.is_file(), org.org_code
        assert f"../{folder}/{org.org_code}.html" in index
        title = titles[f"{folder}/{org.org_code}.html"]
        assert org.org_code in title and org.org_name.replace("&", "&amp;") in title


def test_national_pillar_medians_equal_those_of_the_workbook(site):
    out, _ = site
    wb = openpyxl.load_workbook(WORKBOOK, data_only=True)
    ws = wb["SC - 2025 Pillar Summary"]
    rows = list(ws.iter_rows(min_row=11, values_only=True))
    header = [c for c in rows[0]]
    data = pd.DataFrame([r for r in rows[1:] if r[1] and r[2]], columns=header)
    bench = pd.read_csv(out / "downloads" / "benchmarks.csv", dtype={"year": str})
    national = bench[(bench["peer_group_type"] == "national") & (bench["survey"] == "secondary_care")
                     & (bench["measure_type"] == "pillar") & (bench["year"] == "2025")]  # fmt: skip
    names = dict(official.PILLAR_HEADERS)
    checked = 0
    # one care setting at a time: the workbook's rows of a setting against that setting's group
    for setting_label, setting in official.CARE_SETTINGS.items():
        part = data[data["Care Setting"].astype(str).str.strip().str.lower() == setting_label]
        if part.empty:
            continue
        group = national[national["care_setting"] == setting]
        for label, pid in names.items():
            expected = round(float(pd.Series(part[label], dtype=float).median()), 2)
            row = group.loc[group["measure_id"] == pid]
            assert float(row["median_score"].iloc[0]) == expected, (setting, pid)
            assert int(row["n_orgs"].iloc[0]) == len(part), (setting, pid)
            checked += 1
    assert checked == 4 * len(names)


def test_pages_say_what_they_are_and_nothing_is_fictional(site):
    out, _ = site
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"fictional|demonstration data", text, re.I), page
        if page.name != "404.html":
            assert "Official statistics published by NHS England, 30 March 2026" in text, page
            assert "dma-demo-banner" not in text
    # the generated pages' front matter is YAML the builders read (a colon in a description
    # once broke the methodology page's, which Zensical refuses)
    for name, said in (("methodology", "were re-published here: what"), ("data-quality", "come")):
        head = (out / "about" / f"{name}.html").read_text(encoding="utf-8").split("</head>")[0]
        assert re.search(r'<meta name="description" content="[^"]*' + said, head), name
    quality = (out / "about" / "data-quality.html").read_text(encoding="utf-8")
    assert "4ea98849dae795aa24c632473b4b3856d500657c89b99978490d591c8286ca4d" in quality
    assert "ics_differs_from_ods" in quality and "primary-care" in quality
    rnz = (out / "trusts" / "RNZ.html").read_text(encoding="utf-8")
    assert "Salisbury NHS Foundation Trust (RNZ)" in rnz
    assert "may be different to what has already been seen as a standalone DMA 2024" in rnz
    assert "Domain scores" not in rnz and "[z]" not in rnz


def test_the_official_package_is_frictionless_valid_and_carries_provenance(site):
    out, _ = site
    package = json.loads((out / "downloads" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["sourceWorkbook"]["sha256"] == official.sha256_file(WORKBOOK)
    assert [s["data_rows"] for s in package["sourceWorkbook"]["sheets"]] == [285, 285, 42, 42, 42]
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"], cwd=out / "downloads",
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


def test_nothing_is_withheld_so_no_page_explains_withheld_values(site):
    """The official results withhold nothing: no organisation or area page shows [c] or says
    what it means (a chart's label expression naming the symbol does not count)."""
    out, _ = site
    for folder in ("trusts", "icbs", "regions"):
        for page in (out / folder).glob("*.html"):
            text = page.read_text(encoding="utf-8")
            assert "means withheld under the" not in text, page
            visible = re.sub(r"<script.*?</script>", "", text, flags=re.S)
            assert "[c]" not in visible, page


def test_peer_figures_say_how_they_are_worked_out(site):
    out, _ = site
    rnz = (out / "trusts" / "RNZ.html").read_text(encoding="utf-8")
    assert "worked out here from the published scores" in rnz
    assert "worked out from the unrounded scores" in rnz
    # Published pillar scores are shown to the 1 decimal place NHS England gives them, everywhere.
    region = (out / "regions" / "Y58.html").read_text(encoding="utf-8")
    assert re.search(r'dma-heat--\d">\d\.\d<', region)
    compare = (out / "compare.html").read_text(encoding="utf-8")
    assert re.search(r'"well_led": ?"\d\.\d"', compare)


def test_the_disclosure_audit_runs_and_reports_nothing_withheld(site):
    out, pub = site
    assert pub.disclosure is not None and pub.disclosure.n_withheld == 0
    assert pub.disclosure.benchmark_rows.empty and pub.disclosure.pillar_scores.empty
    counts = pd.read_csv(out / "downloads" / "disclosure_audit.csv", dtype=str)
    assert set(counts["year"]) == {"2024", "2025"} and (counts["n_withheld"] == "0").all()
    page = (out / "about" / "data-quality.html").read_text(encoding="utf-8")
    assert "Disclosure audit" in page and "Nothing is withheld in this publication" in page
