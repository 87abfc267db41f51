"""The organisation reference: the committed demo files load, and broken files fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dma_publish.errors import InputError
from dma_publish.reference import CODE_PATTERN, load_reference

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "data" / "reference"

REGIONS = "region_code,region_name,ons_code\nY56,London,E40000003\nY59,South East,E40000005\n"
HEADER = (
    "org_code,org_name,org_type,care_settings,icb_code,region_code,ons_code,predecessor_codes\n"
)
ROWS = [
    "QZ01,NHS Herondene Integrated Care Board,icb,icb,QZ01,Y56,E54900001,",
    "QZ02,NHS Wrenmoor Integrated Care Board,icb,icb,QZ02,Y59,E54900002,",
    "Z01,Kestrelmere Hospitals NHS Trust,trust,acute;community,QZ01,Y56,,",
    "Z02,Plovercombe Partnership NHS Foundation Trust,trust,mental_health,QZ02,Y59,,Z98;Z99",
]
METADATA = "is_demo: true\ndescription: Fictional organisations for tests.\n"


def write_reference(
    directory: Path, rows: list[str] = ROWS, header: str = HEADER, regions: str = REGIONS
) -> Path:
    """Write a small reference directory (organisations as given) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "organisations.csv").write_text(
        header + "".join(r + "\n" for r in rows), encoding="utf-8"
    )
    (directory / "regions.csv").write_text(regions, encoding="utf-8")
    (directory / "reference.yaml").write_text(METADATA, encoding="utf-8")
    return directory


def replace_row(index: int, column: str, value: str) -> list[str]:
    """ROWS with one cell changed."""
    columns = HEADER.strip().split(",")
    rows = [r.split(",") for r in ROWS]
    rows[index][columns.index(column)] = value
    return [",".join(r) for r in rows]


# --- the committed demo reference ------------------------------------------------------------


@pytest.fixture(scope="module")
def committed():
    """The committed reference, loaded once."""
    return load_reference(REFERENCE_DIR)


def test_committed_reference_is_marked_demo(committed) -> None:
    assert committed.is_demo is True
    assert "fictional" in committed.description.lower()


def test_committed_reference_has_the_real_regions(committed) -> None:
    regions = committed.regions.set_index("region_code")["ons_code"].to_dict()
    assert regions == {
        "Y56": "E40000003",
        "Y58": "E40000006",
        "Y59": "E40000005",
        "Y60": "E40000011",
        "Y61": "E40000007",
        "Y62": "E40000010",
        "Y63": "E40000012",
    }


def test_committed_reference_icbs_per_region_as_in_england(committed) -> None:
    orgs = committed.organisations
    icbs = orgs[orgs["org_type"] == "icb"]
    names = committed.regions.set_index("region_code")["region_name"]
    counts = icbs["region_code"].map(names).value_counts().to_dict()
    assert counts == {
        "London": 5,
        "South East": 6,
        "South West": 7,
        "East of England": 6,
        "Midlands": 11,
        "North West": 3,
        "North East and Yorkshire": 4,
    }
    assert icbs["ons_code"].str.match(r"^E549\d{5}$").all()
    assert (icbs["icb_code"] == icbs["org_code"]).all()


def test_committed_reference_trust_mix(committed) -> None:
    trusts = committed.organisations[committed.organisations["org_type"] == "trust"]
    settings = trusts["care_settings"]
    assert len(trusts) == 205
    assert 125 <= settings.map(lambda s: "acute" in s).sum() <= 140
    assert 8 <= settings.map(lambda s: "ambulance" in s).sum() <= 12
    assert settings.map(len).max() == 2  # some trusts deliver two care settings
    assert trusts["ons_code"].isna().all()
    assert (trusts["predecessor_codes"].map(len) > 0).sum() >= 2


def test_committed_reference_every_icb_has_trusts_in_its_region(committed) -> None:
    orgs = committed.organisations
    icbs = orgs[orgs["org_type"] == "icb"].set_index("org_code")
    trusts = orgs[orgs["org_type"] == "trust"]
    assert trusts["icb_code"].isin(icbs.index).all()
    assert (
        trusts["region_code"].to_numpy() == icbs.loc[trusts["icb_code"], "region_code"].to_numpy()
    ).all()
    per_icb = trusts["icb_code"].value_counts()
    assert set(per_icb.index) == set(icbs.index)
    assert per_icb.min() >= 1 and per_icb.median() >= 3


def test_committed_reference_codes_and_names(committed) -> None:
    orgs = committed.organisations
    assert orgs["org_code"].is_unique and orgs["org_name"].is_unique
    assert orgs["org_code"].map(lambda c: bool(CODE_PATTERN.match(c))).all()
    icbs = orgs["org_type"] == "icb"
    assert orgs.loc[icbs, "org_code"].str.match(r"^QZ[A-Z0-9]{2,3}$").all()
    assert orgs.loc[~icbs, "org_code"].str.match(r"^Z[A-Z0-9]{2,3}$").all()
    predecessors = {c for codes in orgs["predecessor_codes"] for c in codes}
    assert not predecessors & set(orgs["org_code"])
    assert list(orgs["org_code"]) == sorted(orgs["org_code"])


# --- loading and normalising -----------------------------------------------------------------


def test_load_normalises_codes_and_lists(tmp_path: Path) -> None:
    rows = replace_row(2, "org_code", " z01 ")
    rows = [r.replace("QZ01,Y56,,", "qz01 ,Y56,,") if r.startswith(" z01") else r for r in rows]
    ref = load_reference(write_reference(tmp_path, rows))
    trust = ref.organisations.set_index("org_code").loc["Z01"]
    assert trust["icb_code"] == "QZ01"
    assert trust["care_settings"] == ("acute", "community")
    assert ref.organisations.set_index("org_code").loc["Z02", "predecessor_codes"] == ("Z98", "Z99")
    assert ref.is_demo is True


# --- broken files: each names the file, the line and the column ------------------------------


BROKEN_CELLS = [
    (2, "icb_code", "QZ77", "line 4, column icb_code", "unknown_icb"),
    (2, "region_code", "Y99", "line 4, column region_code", "unknown_region"),
    (2, "region_code", "Y59", "line 4, column region_code", "region_mismatch"),
    (
        3,
        "care_settings",
        "mental_health;dentistry",
        "line 5, column care_settings",
        "unknown_care_setting",
    ),
    (0, "care_settings", "acute", "line 2, column care_settings", "unknown_care_setting"),
    (3, "org_code", "Z-2", "line 5, column org_code", "malformed_code"),
    (3, "org_code", "z01", "line 5, column org_code", "duplicate_code"),
    (3, "org_name", "kestrelmere hospitals nhs trust", "line 5, column org_name", "duplicate_name"),
    (3, "org_type", "hospital", "line 5, column org_type", "unknown_org_type"),
    (1, "ons_code", "", "line 3, column ons_code", "missing_value"),
    (1, "ons_code", "E5400", "line 3, column ons_code", "malformed_code"),
    (2, "ons_code", "E54900009", "line 4, column ons_code", "unexpected_value"),
    (1, "icb_code", "QZ01", "line 3, column icb_code", "icb_code_mismatch"),
    (3, "predecessor_codes", "Z01", "line 5, column predecessor_codes", "invalid_predecessor"),
    (3, "org_name", " ", "line 5, column org_name", "missing_value"),
]


@pytest.mark.parametrize(("row", "column", "value", "location", "rule"), BROKEN_CELLS)
def test_broken_cell_names_file_line_and_column(
    tmp_path: Path, row, column, value, location, rule
) -> None:
    write_reference(tmp_path, replace_row(row, column, value))
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    error = caught.value
    assert (error.location, error.rule) == (location, rule)
    assert error.file.endswith("organisations.csv")
    assert "organisations.csv" in str(error) and location in str(error)


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace(",predecessor_codes", "")
    rows = [r.rsplit(",", 1)[0] for r in ROWS]
    write_reference(tmp_path, rows, header=header)
    with pytest.raises(InputError, match="missing column 'predecessor_codes'") as caught:
        load_reference(tmp_path)
    assert (caught.value.location, caught.value.rule) == (
        "line 1, column predecessor_codes",
        "missing_column",
    )


def test_unknown_column(tmp_path: Path) -> None:
    write_reference(tmp_path, [r + ",x" for r in ROWS], header=HEADER.strip() + ",colour\n")
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert (caught.value.location, caught.value.rule) == ("line 1, column colour", "unknown_column")


def test_wrong_field_count(tmp_path: Path) -> None:
    write_reference(tmp_path, [*ROWS[:3], ROWS[3] + ",extra"])
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert (caught.value.location, caught.value.rule) == ("line 5", "wrong_field_count")


@pytest.mark.parametrize("text", ["", "\n\n", HEADER])
def test_empty_file(tmp_path: Path, text: str) -> None:
    write_reference(tmp_path)
    (tmp_path / "organisations.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert caught.value.rule == "empty_file"


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    write_reference(tmp_path)
    text = (HEADER + "\n".join(ROWS) + "\n").replace("Plovercombe", "Pl\u00f6vercombe")
    (tmp_path / "organisations.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert (caught.value.location, caught.value.rule) == ("line 5", "not_utf8")


def test_broken_regions_file(tmp_path: Path) -> None:
    write_reference(tmp_path, regions=REGIONS + "Y56,London again,E40000003\n")
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert caught.value.file.endswith("regions.csv")
    assert (caught.value.location, caught.value.rule) == (
        "line 4, column region_code",
        "duplicate_code",
    )


def test_missing_file(tmp_path: Path) -> None:
    write_reference(tmp_path)
    (tmp_path / "regions.csv").unlink()
    with pytest.raises(InputError, match=re.escape("regions.csv: file: file not found")):
        load_reference(tmp_path)


@pytest.mark.parametrize("metadata", ["is_demo: maybe\n", "- a list\n", "is_demo: [\n"])
def test_broken_metadata(tmp_path: Path, metadata: str) -> None:
    write_reference(tmp_path)
    (tmp_path / "reference.yaml").write_text(metadata, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_reference(tmp_path)
    assert caught.value.file.endswith("reference.yaml")
