"""Open data: tidy tables and files a researcher can trust, from a small hand-built Publication."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dma_publish.aggregate import benchmark
from dma_publish.methodology import MethodologyFrames
from dma_publish.opendata import (
    UnsafeCellError,
    csv_bytes,
    organisation_slices,
    parquet_bytes,
    publication_tables,
    read_csv,
    read_parquet,
    write_open_data,
)
from dma_publish.publication import Publication
from dma_publish.reference import Reference
from dma_publish.registry import (
    PACKAGE_TABLES,
    SCORE_TABLES,
    TABLES,
    SchemaDriftError,
    arrow_schema,
    data_dictionary,
    pandas_dtypes,
)
from dma_publish.release import Release
from dma_publish.score import Scores

FRICTIONLESS = Path(sys.executable).parent / "frictionless"
NAN = float("nan")
KEY = ["year", "org_code", "care_setting"]
EMAIL = "jo.bloggs@example.nhs.uk"

# --- a small hand-built publication (frames as in CONTRACTS.md) -----------------------------------

# (domain_id, name, pillar, survey, care settings, is_scoring, scores)
DOMAINS = {
    2024: [
        ("strategy", "Strategy", "well_led", "secondary_care", ("acute", "mental_health"), True, None),
        ("records", "Records", "smart_foundations", "secondary_care", ("acute", "mental_health"), True, None),
        ("old_thing", "Old thing", "smart_foundations", "secondary_care", ("acute",), True, None),
        ("dspt", "Security toolkit", "well_led", "secondary_care", ("acute", "mental_health"), False, None),
        ("icb_strategy", "ICB strategy", "well_led", "icb", ("icb",), True, None),
    ],
    2025: [
        ("strategy", "Strategy", "well_led", "secondary_care", ("acute", "mental_health"), True, None),
        ("records", "Records", "smart_foundations", "secondary_care", ("acute", "mental_health"), True, None),
        (
            "medicines", "Digital medicines", "smart_foundations", "secondary_care", ("acute",), True,
            [("med_epma", "Prescribing"), ("med_robot", "Dispensing")],
        ),
        ("dspt", "Security toolkit", "well_led", "secondary_care", ("acute", "mental_health"), False, None),
        ("icb_strategy", "ICB strategy", "well_led", "icb", ("icb",), True, None),
    ],
}  # fmt: skip
COMPARABILITY = [
    (2025, "strategy", "comparable", "Same questions and elements."),
    (2025, "records", "changed", "Level 4 now asks for a shared record."),
    (2025, "medicines", "new", "New domain in 2025."),
    (2025, "old_thing", "discontinued", "Folded into records."),
    (2025, "dspt", "comparable", "Same questions."),
    (2025, "icb_strategy", "comparable", "Same questions."),
]
# (year, org, setting, score_id) -> score
DOMAIN_SCORES = {
    (2024, "ZAA", "acute", "strategy"): 2,
    (2024, "ZAA", "acute", "records"): 3,
    (2024, "ZAA", "acute", "old_thing"): 1,
    (2024, "ZAA", "mental_health", "strategy"): 1,
    (2024, "ZAA", "mental_health", "records"): 1,
    (2024, "QZA", "icb", "icb_strategy"): 2,
    (2025, "ZAA", "acute", "strategy"): 3,
    (2025, "ZAA", "acute", "records"): 4,
    (2025, "ZAA", "acute", "med_epma"): 2,
    (2025, "ZAA", "acute", "med_robot"): 2,
    (2025, "ZAA", "mental_health", "strategy"): 2,
    (2025, "ZAA", "mental_health", "records"): 1,
    (2025, "ZAB", "acute", "strategy"): 5,
    (2025, "ZAB", "acute", "records"): 2,
    (2025, "ZAB", "acute", "med_epma"): 3,
    (2025, "ZAB", "acute", "med_robot"): 1,
    (2025, "ZAC", "mental_health", "strategy"): 4,
    (2025, "ZAC", "mental_health", "records"): 3,
    (2025, "QZA", "icb", "icb_strategy"): 3,
    (2025, "QZB", "icb", "icb_strategy"): 1,
}


def _methodology() -> MethodologyFrames:
    """Methodology frames for 2024 and 2025."""
    domains, score_defs, elements = [], [], []
    for year, rows in DOMAINS.items():
        for domain_id, name, pillar, survey, settings, scoring, scores in rows:
            domains.append(
                (year, domain_id, name, pillar, survey, settings, scoring, f"About {name}.")
            )
            if scoring:
                for score_id, score_name in scores or [(domain_id, name)]:
                    score_defs.append((year, domain_id, score_id, score_name))
                    for level in (2, 3):
                        element_id = f"{score_id}_l{level}"
                        text = f"{score_name} in place at level {level}"
                        elements.append(
                            (
                                year,
                                element_id,
                                domain_id,
                                score_id,
                                level,
                                "q1",
                                "equals",
                                '"Yes"',
                                text,
                            )
                        )
    comparability = [(y, d, 2024, s, r) for y, d, s, r in COMPARABILITY]
    return MethodologyFrames(
        pillars=pd.DataFrame(
            [("well_led", "Well Led", 1, ""), ("smart_foundations", "Ensure Smart Foundations", 2, "")],
            columns=["pillar_id", "pillar_name", "pillar_order", "former_name"],
        ),
        care_settings=pd.DataFrame(
            [("acute", "Acute", "secondary_care"), ("mental_health", "Mental health", "secondary_care"), ("icb", "ICB", "icb")],
            columns=["care_setting", "care_setting_name", "survey"],
        ),
        domains=pd.DataFrame(domains, columns=["year", "domain_id", "domain_name", "pillar_id", "survey", "care_settings", "is_scoring", "description"]),
        score_defs=pd.DataFrame(score_defs, columns=["year", "domain_id", "score_id", "score_name"]),
        questions=pd.DataFrame(columns=["year", "question_id", "domain_id", "question_text", "answer_type", "options", "min_value", "max_value", "is_required", "care_settings"]),
        elements=pd.DataFrame(elements, columns=["year", "element_id", "domain_id", "score_id", "level", "question_id", "condition_op", "condition_value", "element_text"]),
        comparability=pd.DataFrame(comparability, columns=["year", "domain_id", "previous_year", "status", "reason"]),
        level_descriptions=pd.DataFrame(
            [("secondary_care", "well_led", 1, "Little in place.", "NHS England, DMA maturity matrix, Open Government Licence v3.0")],
            columns=["survey", "pillar_id", "level", "level_description", "attribution"],
        ),
    )  # fmt: skip


def _reference() -> Reference:
    """Two regions, two ICBs and three trusts (one with a predecessor)."""
    organisations = pd.DataFrame(
        [
            ("QZA", "North Demo ICB", "icb", ("icb",), "QZA", "Y56", "E54900001", ()),
            ("QZB", "South Demo ICB", "icb", ("icb",), "QZB", "Y58", "E54900002", ()),
            ("ZAA", "Alpha Hospitals NHS Trust", "trust", ("acute", "mental_health"), "QZA", "Y56", None, ("ZX1", "ZX2")),
            ("ZAB", "Beta Hospital NHS Trust", "trust", ("acute",), "QZA", "Y56", None, ()),
            ("ZAC", "Gamma Mental Health NHS Trust", "trust", ("mental_health",), "QZB", "Y58", None, ()),
            ("ZAD", "Delta Hospital NHS Trust", "trust", ("acute",), "QZB", "Y58", None, ()),
        ],
        columns=["org_code", "org_name", "org_type", "care_settings", "icb_code", "region_code", "ons_code", "predecessor_codes"],
    )  # fmt: skip
    regions = pd.DataFrame(
        [("Y56", "London", "E40000003"), ("Y58", "South West", "E40000006")],
        columns=["region_code", "region_name", "ons_code"],
    )
    return Reference(organisations=organisations, regions=regions, is_demo=True)


def _scores(meth: MethodologyFrames) -> Scores:
    """Domain scores as above; pillar and overall means; like-for-like over comparable domains."""
    rows = [(*k, v) for k, v in DOMAIN_SCORES.items()]
    domain = pd.DataFrame(rows, columns=[*KEY, "score_id", "score"])
    domain = domain.merge(
        meth.score_defs[["year", "score_id", "domain_id"]], on=["year", "score_id"]
    )
    domain = domain.merge(
        meth.domains[["year", "domain_id", "pillar_id"]], on=["year", "domain_id"]
    )
    domain = domain[[*KEY, "score_id", "domain_id", "pillar_id", "score"]].sort_values(
        [*KEY, "score_id"]
    )
    pillar = (
        domain.groupby([*KEY, "pillar_id"])["score"]
        .agg(score="mean", n_scores="size")
        .reset_index()
    )
    comparable = meth.comparability.loc[meth.comparability["status"] == "comparable", "domain_id"]
    same = domain[domain["domain_id"].isin(comparable)]
    lfl = same[same["year"] == 2025].merge(
        same[same["year"] == 2024][["org_code", "care_setting", "score_id", "score"]],
        on=["org_code", "care_setting", "score_id"],
        suffixes=("", "_prev"),
    )
    lfl = lfl.groupby([*KEY, "pillar_id"]).agg(
        lfl_score=("score", "mean"),
        lfl_previous_score=("score_prev", "mean"),
        lfl_n_scores=("score", "size"),
    )
    pillar = pillar.merge(lfl.reset_index(), on=[*KEY, "pillar_id"], how="left")
    pillar["lfl_previous_year"] = np.where(pillar["year"] == 2025, 2024, NAN)
    pillar = pillar.astype({"lfl_previous_year": "Int64", "lfl_n_scores": "Int64"})
    overall = pillar.groupby(KEY)["score"].agg(score="mean", n_pillars="size").reset_index()
    elements = pd.DataFrame(columns=[*KEY, "element_id", "score_id", "level", "is_met"])
    return Scores(domain, pillar, overall, elements)


def _release(date: dt.date = dt.date(2025, 9, 18)) -> Release:
    """Release metadata with a two-entry revision log."""
    return Release(
        version="2025.1.0",
        release_date=date,
        status="final",
        reporting_period="April to June 2025",
        years=(2024, 2025),
        title="Digital Maturity Assessment 2025 (test data)",
        publisher="DMA Open Data Team (fictional)",
        contact="dma@example.org",
        licence="Open Government Licence v3.0",
        revisions=(
            {"version": "2025.0.1", "date": dt.date(2025, 7, 31), "note": "Provisional release."},
            {"version": "2025.1.0", "date": date, "note": "First public release."},
        ),
    )


def make_publication() -> Publication:
    """A small publication: two years, six organisations, a discontinued and a new domain."""
    meth = _methodology()
    reference = _reference()
    scores = _scores(meth)
    # every scored return, with personal data beside it that must never reach an output
    returns = scores.overall_scores[["year", "org_code", "care_setting"]].assign(
        status="scored", n_rows=10, n_errors=0, submitter_email=EMAIL, submitter_name="Jo Bloggs"
    )
    validated = SimpleNamespace(
        answers=pd.DataFrame(), issues=pd.DataFrame(), returns=returns, reconciliation={}
    )
    return Publication(
        release=_release(),
        reference=reference,
        methodology=meth,
        validated=validated,
        scores=scores,
        benchmarks=benchmark(scores, reference),
        inputs_hash="0" * 64,
        generator_version="0.1.0",
        is_demo=True,
    )


def suppressed(pub: Publication) -> Publication:
    """The publication as the suppression stage leaves it: one domain score and one benchmark withheld."""
    domain = pub.scores.domain_scores.copy()
    domain["score"] = domain["score"].astype("Int64")
    hit = (domain["org_code"] == "ZAB") & (domain["score_id"] == "med_robot")
    domain["is_suppressed"] = hit
    domain.loc[hit, "score"] = pd.NA
    pillar = pub.scores.pillar_scores.assign(lfl_is_suppressed=False)
    bench = pub.benchmarks.copy()
    bench["is_suppressed"] = bench["n_orgs"] < 2
    bench.loc[bench["is_suppressed"], ["mean", "median", "q1", "q3", "min", "max"]] = NAN
    scores = dataclasses.replace(pub.scores, domain_scores=domain, pillar_scores=pillar)
    return dataclasses.replace(pub, scores=scores, benchmarks=bench)


@pytest.fixture(scope="module")
def pub() -> Publication:
    """The hand-built publication after suppression."""
    return suppressed(make_publication())


@pytest.fixture(scope="module")
def tables(pub: Publication) -> dict[str, pd.DataFrame]:
    """The publication tables."""
    return publication_tables(pub)


@pytest.fixture(scope="module")
def written(pub: Publication, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The open data written once for the module."""
    out = tmp_path_factory.mktemp("downloads")
    return out, write_open_data(pub, out)


# --- tables -------------------------------------------------------------------------------------


def test_tables_have_registry_columns_dtypes_and_primary_key_order(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Each table has exactly its registry columns, in order, typed, sorted and unique by key."""
    assert set(tables) == {*PACKAGE_TABLES}
    for name, frame in tables.items():
        table = TABLES[name]
        assert list(frame.columns) == table.columns
        assert frame.dtypes.astype(str).to_dict() == pandas_dtypes(table)
        key = list(table.primary_key)
        assert not frame.duplicated(key).any()
        assert frame.equals(frame.sort_values(key).reset_index(drop=True))


def test_every_score_row_carries_the_organisation_columns(tables: dict[str, pd.DataFrame]) -> None:
    """Year, organisation code/name/type, care setting, ICB and region on every score row."""
    must = ["year", "org_code", "org_name", "org_type", "care_setting", "icb_code", "region_code"]
    for name in SCORE_TABLES:
        frame = tables[name]
        assert frame[must].notna().all().all()
    row = tables["overall_scores"].query("org_code == 'ZAC'").iloc[0]
    assert (row["org_name"], row["icb_code"], row["region_code"]) == (
        "Gamma Mental Health NHS Trust",
        "QZB",
        "Y58",
    )


def test_means_are_rounded_half_away_to_two_places_and_scores_stay_integers(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Pillar 2.5 stays 2.5, (3+4+2+2)/4=2.75; overall (3+2.75)/2 = 2.875 -> 2.88; domain scores are Int8."""
    pillar = tables["pillar_scores"].set_index([*KEY, "pillar_id"])
    assert (
        pillar.loc[(2025, "ZAA", "acute", "smart_foundations"), "pillar_score"] == 2.67
    )  # (4+2+2)/3
    overall = tables["overall_scores"].set_index(KEY)
    # (3 + 2.6667) / 2 = 2.8333 -> 2.83; (5 + 2) / 2 = 3.5
    assert overall.loc[(2025, "ZAA", "acute"), "overall_score"] == 2.83
    assert overall.loc[(2025, "ZAB", "acute"), "overall_score"] == 3.5
    assert str(tables["domain_scores"]["domain_score"].dtype) == "Int8"


def test_like_for_like_change_and_markers(tables: dict[str, pd.DataFrame]) -> None:
    """Like-for-like change is lfl_score - lfl_previous_score; missing where not applicable."""
    pillar = tables["pillar_scores"].set_index([*KEY, "pillar_id"])
    row = pillar.loc[(2025, "ZAA", "acute", "well_led")]
    assert (
        row["lfl_previous_year"],
        row["lfl_score"],
        row["lfl_previous_score"],
        row["lfl_change"],
    ) == (2024, 3.0, 2.0, 1.0)
    assert pd.isna(pillar.loc[(2024, "ZAA", "acute", "well_led"), "lfl_previous_year"])
    # 2025 but no comparable score in both years: available year, missing value ([x])
    assert pd.isna(pillar.loc[(2025, "ZAB", "acute", "well_led"), "lfl_score"])


def test_domains_table_has_levels_scores_and_comparability(tables: dict[str, pd.DataFrame]) -> None:
    """Domains: care settings joined, score ids, element text per level, comparability per year."""
    domains = tables["domains"].set_index(["year", "domain_id"])
    medicines = domains.loc[(2025, "medicines")]
    assert medicines["score_ids"] == "med_epma;med_robot"
    assert (
        medicines["level_2_description"]
        == "Prescribing: Prescribing in place at level 2 | Dispensing: Dispensing in place at level 2"
    )
    assert medicines["comparability_status"] == "new"
    assert pd.isna(domains.loc[(2025, "dspt"), "score_ids"])
    assert pd.isna(domains.loc[(2024, "strategy"), "comparability_status"])
    assert domains.loc[(2025, "strategy"), "care_settings"] == "acute;mental_health"


def test_comparability_notes_name_discontinued_domains_from_their_last_year(
    tables: dict[str, pd.DataFrame],
) -> None:
    """A discontinued domain's name and pillar come from the previous year."""
    notes = tables["comparability_notes"].set_index(["year", "domain_id"])
    assert notes.loc[(2025, "old_thing"), "domain_name"] == "Old thing"
    assert notes.loc[(2025, "old_thing"), "comparability_status"] == "discontinued"


def test_organisations_table(tables: dict[str, pd.DataFrame]) -> None:
    """ICB and region names and ONS codes joined; predecessors joined or missing."""
    orgs = tables["organisations"].set_index("org_code")
    assert orgs.loc["ZAA", "predecessor_codes"] == "ZX1;ZX2"
    assert pd.isna(orgs.loc["ZAB", "predecessor_codes"])
    assert orgs.loc["ZAC", "icb_ons_code"] == "E54900002"
    assert orgs.loc["ZAC", "region_ons_code"] == "E40000006"
    assert orgs.loc["ZAA", "care_settings"] == "acute;mental_health"


def test_benchmarks_named(tables: dict[str, pd.DataFrame]) -> None:
    """Peer groups and measures carry names."""
    bench = tables["benchmarks"]
    groups = zip(bench["peer_group_code"], bench["care_setting"], strict=True)
    names = dict(zip(groups, bench["peer_group_name"], strict=True))
    # every group is one care setting, and its name says which
    assert names[("ENG", "acute")] == "England, Acute"
    assert names[("Y56", "acute")] == "London, Acute"
    assert names[("QZA", "acute")] == "North Demo ICB, Acute"
    measures = dict(zip(bench["measure_id"], bench["measure_name"], strict=True))
    assert measures["med_robot"] == "Dispensing"
    assert measures["overall"] == "Overall score"


# --- files --------------------------------------------------------------------------------------


def test_frictionless_validates_the_package(written: tuple[Path, list]) -> None:
    """`frictionless validate datapackage.json` passes: types, constraints, keys, hashes, bytes."""
    out, _ = written
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_frictionless_catches_a_changed_file(written: tuple[Path, list], tmp_path: Path) -> None:
    """The declared hashes are checked: a one-byte change makes the package invalid."""
    out, _ = written
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    path = copy / "overall_scores.csv"
    path.write_bytes(path.read_bytes().replace(b"2.83", b"2.84", 1))
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0


def test_every_file_reads_back_equal_to_the_table(
    written: tuple[Path, list], tables: dict[str, pd.DataFrame]
) -> None:
    """Parquet (pandas and pyarrow) and CSV read back equal to the in-memory tables, dtypes included."""
    out, _ = written
    for name, frame in tables.items():
        table = TABLES[name]
        if "parquet" in table.formats:
            pd.testing.assert_frame_equal(read_parquet(out / f"{name}.parquet"), frame)
            arrow = pq.read_table(out / f"{name}.parquet")
            assert arrow.schema.equals(arrow_schema(table), check_metadata=True)
            assert arrow.to_pandas(types_mapper=pd.ArrowDtype).shape == frame.shape
        pd.testing.assert_frame_equal(read_csv(table, out / f"{name}.csv"), frame)


def test_parquet_is_zstd_with_no_pandas_metadata(written: tuple[Path, list]) -> None:
    """No pandas (library) metadata in the schema; zstd; integer scores stored as int8."""
    out, _ = written
    for path in out.glob("*.parquet"):
        schema = pq.read_schema(path)
        assert not schema.metadata or b"pandas" not in schema.metadata
        meta = pq.ParquetFile(path).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
    assert str(pq.read_schema(out / "domain_scores.parquet").field("domain_score").type) == "int8"


def test_csv_format_markers_and_decimal_places(written: tuple[Path, list]) -> None:
    """'\\n' line endings; whole numbers without '.0'; 2 dp means; [x], [z] and [c] where missing."""
    out, _ = written
    for path in out.rglob("*.csv"):
        data = path.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n") and not data.startswith(b"\xef\xbb\xbf")
    domain = pd.read_csv(out / "domain_scores.csv", dtype=str, keep_default_na=False)
    assert set(domain["domain_score"]) <= {"1", "2", "3", "4", "5", "[c]"}
    assert domain.loc[domain["is_suppressed"] == "true", "domain_score"].tolist() == ["[c]"]
    pillar = pd.read_csv(out / "pillar_scores.csv", dtype=str, keep_default_na=False)
    assert pillar["pillar_score"].str.fullmatch(r"\d\.\d\d").all()
    first_year = pillar[pillar["year"] == "2024"]
    assert set(first_year["lfl_score"]) == {"[z]"} and set(first_year["lfl_previous_year"]) == {
        "[z]"
    }
    no_comparable = pillar[
        (pillar["year"] == "2025")
        & (pillar["org_code"] == "ZAB")
        & (pillar["pillar_id"] == "well_led")
    ]
    assert no_comparable[["lfl_score", "lfl_change"]].iloc[0].tolist() == ["[x]", "[x]"]
    bench = pd.read_csv(out / "benchmarks.csv", dtype=str, keep_default_na=False)
    assert set(bench.loc[bench["is_suppressed"] == "true", "mean_score"]) == {"[c]"}
    assert bench["n_level_1"].str.fullmatch(r"\d+").all()


def test_meta_csv_beside_each_csv(written: tuple[Path, list]) -> None:
    """Every table CSV has a .meta.csv listing its columns as EES filters and indicators."""
    out, _ = written
    for name in PACKAGE_TABLES:
        meta = pd.read_csv(out / f"{name}.meta.csv", dtype=str, keep_default_na=False)
        assert list(meta.columns) == [
            "col_name",
            "col_type",
            "label",
            "indicator_unit",
            "indicator_dp",
            "filter_hint",
            "filter_grouping_column",
        ]
        assert meta["col_name"].tolist() == TABLES[name].columns
        assert set(meta["col_type"]) <= {"Filter", "Indicator"}
    meta = pd.read_csv(out / "pillar_scores.meta.csv", dtype=str, keep_default_na=False).set_index(
        "col_name"
    )
    assert (
        meta.loc["pillar_score", "indicator_dp"] == "2"
        and meta.loc["n_scores", "indicator_dp"] == "0"
    )


def test_manifest_hashes_and_checksums_match_the_files(written: tuple[Path, list]) -> None:
    """Manifest, SHA256SUMS and datapackage hashes (Parquet too) all match the bytes on disk."""
    out, manifest = written
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [f.path for f in manifest] == on_disk
    for f in manifest:
        data = (out / f.path).read_bytes()
        assert (f.bytes, f.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    sums = (out / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in sums)
    assert sorted(listed) == [p for p in on_disk if p != "SHA256SUMS"]
    for path, digest in listed.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest
    package = json.loads((out / "datapackage.json").read_text())
    for resource in package["resources"]:
        data = (out / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert ("bytes" in resource) == (resource["format"] == "csv")


def test_two_writes_are_byte_identical(
    pub: Publication, written: tuple[Path, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same inputs, same bytes, whatever the clock or SOURCE_DATE_EPOCH say (the release has a date)."""
    out, manifest = written
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    again = write_open_data(pub, tmp_path)
    assert again == manifest
    for f in manifest:
        assert (tmp_path / f.path).read_bytes() == (out / f.path).read_bytes()


def test_rewrite_into_the_same_folder_leaves_no_stale_file(tmp_path: Path) -> None:
    """Writing again removes files the previous write made that the new one does not."""
    pub = make_publication()
    write_open_data(pub, tmp_path)
    orgs = pub.reference.organisations[pub.reference.organisations["org_code"] != "ZAD"]
    smaller = dataclasses.replace(
        pub, reference=dataclasses.replace(pub.reference, organisations=orgs)
    )
    manifest = write_open_data(smaller, tmp_path)
    assert not (tmp_path / "organisations" / "ZAD.csv").exists()
    assert sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    ) == [f.path for f in manifest]


def test_source_date_epoch_used_only_without_a_release_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The package's created date is the release date; SOURCE_DATE_EPOCH only when there is none."""
    from dma_publish.opendata import release_datetime

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert release_datetime(_release()).isoformat() == "2025-09-18T00:00:00+00:00"
    assert (
        release_datetime(SimpleNamespace(release_date=None)).isoformat()
        == "2023-11-14T22:13:20+00:00"
    )


def test_datapackage_metadata(written: tuple[Path, list]) -> None:
    """Profile, licence, version, created, contributors, keys and missing values are declared."""
    out, _ = written
    package = json.loads((out / "datapackage.json").read_text())
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    assert package["licenses"][0]["path"].startswith("https://www.nationalarchives.gov.uk/")
    assert (package["version"], package["created"]) == ("2025.1.0", "2025-09-18T00:00:00Z")
    assert package["contributors"][0]["roles"] == ["publisher"]
    resources = {r["name"]: r for r in package["resources"]}
    schema = resources["domain_scores"]["schema"]
    assert schema["missingValues"] == ["[x]", "[z]", "[c]"]
    assert schema["primaryKey"] == ["year", "org_code", "care_setting", "score_id"]
    assert {fk["reference"]["resource"] for fk in schema["foreignKeys"]} == {
        "organisations",
        "domains",
    }
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["domain_score"]["type"] == "integer"
    assert fields["domain_score"]["constraints"] == {"required": False, "minimum": 1, "maximum": 5}
    assert resources["domain_scores_parquet"]["mediatype"] == "application/vnd.apache.parquet"


def test_slices_add_up_to_the_score_tables(
    written: tuple[Path, list], tables: dict[str, pd.DataFrame]
) -> None:
    """One CSV per organisation; stacked together and split by table they give back every score table."""
    out, _ = written
    files = sorted((out / "organisations").glob("*.csv"))
    assert [p.stem for p in files] == sorted(tables["organisations"]["org_code"])
    slice_table = TABLES["organisation_slice"]
    stacked = pd.concat([read_csv(slice_table, p) for p in files], ignore_index=True)
    assert len(stacked) == sum(len(tables[name]) for name in SCORE_TABLES)
    for name in SCORE_TABLES:
        part = stacked[stacked["table"] == name][tables[name].columns]
        part = part.sort_values(list(TABLES[name].primary_key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(part, tables[name], check_dtype=False)
    assert read_csv(slice_table, out / "organisations" / "ZAD.csv").empty  # no returns: header only
    pd.testing.assert_frame_equal(
        organisation_slices(tables).reset_index(drop=True),
        stacked.sort_values(list(slice_table.primary_key)).reset_index(drop=True),
    )


def test_zip_is_sorted_with_fixed_timestamps(written: tuple[Path, list]) -> None:
    """The zip holds every other file, sorted, each with the release date as its timestamp."""
    out, manifest = written
    (zip_file,) = [f for f in manifest if f.format == "zip"]
    with zipfile.ZipFile(out / zip_file.path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(2025, 9, 18, 0, 0, 0)}
        inner = {n.split("/", 1)[1]: archive.read(n) for n in names}
    expected = {f.path for f in manifest} - {zip_file.path, "SHA256SUMS"}
    assert set(inner) == expected
    assert all(inner[p] == (out / p).read_bytes() for p in expected)


def test_dictionary_covers_exactly_the_columns_written(written: tuple[Path, list]) -> None:
    """data-dictionary.csv equals data_dictionary() and lists exactly the columns of the files."""
    out, _ = written
    dictionary = pd.read_csv(out / "data-dictionary.csv", dtype=str, keep_default_na=False)
    assert dictionary.equals(data_dictionary().astype(str))
    present = set()
    for name in TABLES:
        path = (
            out / f"{name}.csv"
            if name != "organisation_slice"
            else out / "organisations" / "ZAA.csv"
        )
        present |= {(name, col) for col in pd.read_csv(path, nrows=0).columns}
    assert set(zip(dictionary["table"], dictionary["column"], strict=True)) == present


def test_readme_has_citation_licence_and_comparability(written: tuple[Path, list]) -> None:
    """README.txt carries the citation, the OGL attribution and the comparability rules."""
    out, _ = written
    text = (out / "README.txt").read_text()
    assert (
        "DMA Open Data Team (fictional) (2025). Digital Maturity Assessment 2025 (test data). Version 2025.1.0"
        in text
    )
    assert (
        "Contains public sector information licensed under the Open Government Licence v3.0."
        in text
    )
    assert "2025 compared with 2024: changed 1, comparable 3, discontinued 1, new 1" in text
    assert "FICTIONAL DEMONSTRATION DATA" in text


def test_revisions_and_comparability_notes_files(written: tuple[Path, list]) -> None:
    """Revision log CSV from the release; comparability notes as CSV and JSON."""
    out, _ = written
    revisions = read_csv(TABLES["revisions"], out / "revisions.csv")
    assert revisions["version"].tolist() == ["2025.0.1", "2025.1.0"]
    notes = json.loads((out / "comparability_notes.json").read_text())
    assert {(n["domain_id"], n["comparability_status"]) for n in notes} >= {
        ("old_thing", "discontinued"),
        ("medicines", "new"),
    }


def test_no_personal_data_in_any_output(written: tuple[Path, list]) -> None:
    """No returns' personal-data column or value appears in any file (zip included, uncompressed)."""
    out, manifest = written
    for f in manifest:
        data = (out / f.path).read_bytes()
        if f.format == "zip":
            with zipfile.ZipFile(out / f.path) as archive:
                data = b"".join(archive.read(n) for n in archive.namelist())
        for needle in (b"submitter", EMAIL.encode(), b"Jo Bloggs", b"submitted_at"):
            assert needle not in data, (f.path, needle)


# --- refusals -----------------------------------------------------------------------------------


def test_registry_drift_raises_at_write_time(tables: dict[str, pd.DataFrame]) -> None:
    """An extra column, or a registry field without a column, is an error in every writer."""
    frame = tables["overall_scores"]
    table = TABLES["overall_scores"]
    for writer in (csv_bytes, parquet_bytes):
        with pytest.raises(SchemaDriftError, match="extra_col"):
            writer(table, frame.assign(extra_col=1))
        with pytest.raises(SchemaDriftError, match="n_pillars"):
            writer(table, frame.drop(columns="n_pillars"))
        with pytest.raises(SchemaDriftError, match="submitter_email"):
            writer(table, frame.assign(submitter_email="x"))


@pytest.mark.parametrize(
    "bad",
    ["=HYPERLINK(1)", "+44+A1", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0", "\t=1", " =1", "\uff1d1+1"],
)
def test_formula_like_text_is_refused(tables: dict[str, pd.DataFrame], bad: str) -> None:
    """Any cell a spreadsheet would run stops the write, naming the file, line and column
    (the loaders refuse such text first: this is the last line of defence)."""
    table = TABLES["organisations"]
    frame = tables["organisations"].copy()
    frame.loc[0, "org_name"] = bad
    with pytest.raises(UnsafeCellError, match=r"organisations\.csv: line 2, column org_name"):
        csv_bytes(table, frame)


def test_plain_numbers_and_dashes_inside_text_are_written() -> None:
    from dma_publish.vocab import is_formula_like

    assert not any(map(is_formula_like, ["-1.5", "+3", "Well-led", "A - B", "", "[c]"]))


def test_unknown_organisation_in_scores_raises() -> None:
    """A score for an organisation missing from the reference is an error, not a blank name."""
    pub = make_publication()
    orgs = pub.reference.organisations[pub.reference.organisations["org_code"] != "ZAC"]
    broken = dataclasses.replace(
        pub, reference=dataclasses.replace(pub.reference, organisations=orgs)
    )
    with pytest.raises(ValueError, match="ZAC"):
        publication_tables(broken)


def test_unsuppressed_publication_writes_flags_false(tmp_path: Path) -> None:
    """Before the suppression stage, the withheld flags are false and nothing is [c]."""
    tables = publication_tables(make_publication())
    assert not tables["domain_scores"]["is_suppressed"].any()
    assert not tables["pillar_scores"]["lfl_is_suppressed"].any()
    assert b"[c]" not in csv_bytes(TABLES["benchmarks"], tables["benchmarks"])


def test_csv_text_uses_regex_safe_markers() -> None:
    """The markers are the GSS ones, exactly."""
    assert re.fullmatch(r"\[[xzc]\]", "[c]")
