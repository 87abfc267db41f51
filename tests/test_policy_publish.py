"""The publication policy as published (issue 8), checked on the planted build.

The planted build (tests/test_robustness.py) raises one acute trust's 2025 answers for Cyber and
Network Security to level 5, a domain that data/publication-policy.yaml publishes only at region
level and above. That trust's score for it must appear nowhere in the site (HTML, JSON with the
search index, CSV, Parquet, chart specs), while the national and regional aggregates that include
it are still published. Changing the policy file changes what is published, with no code change.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from test_robustness import (
    CYBER,
    Planted,
    copy_data,
    parse_page,
    planted_build,
    site_blobs,
)

WITHHELD = "[c]"


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return planted_build(tmp_path_factory)


@pytest.fixture(scope="module")
def raw_scores(planted: Planted) -> Any:
    """The planted returns scored again, before any policy (score.py on the same answers)."""
    from dma_publish.score import score_returns

    pub = planted.publication
    return score_returns(pub.validated.answers, pub.methodology, pub.reference)


def _csv(site: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(site / "downloads" / name, dtype=str, keep_default_na=False)


def _cyber_element_texts(pub: Any) -> list[str]:
    elements = pub.methodology.elements
    return sorted(set(elements.loc[elements["domain_id"] == CYBER, "element_text"]))


# --- the planted score is withheld everywhere -------------------------------------------------


def test_planted_score_is_level_5_before_the_policy(planted: Planted, raw_scores: Any) -> None:
    ds = raw_scores.domain_scores
    mine = ds[
        (ds["org_code"] == planted.cyber_org) & (ds["year"] == 2025) & (ds["score_id"] == CYBER)
    ]
    assert mine["score"].tolist() == [5]


def test_withheld_score_is_not_in_any_table_file(planted: Planted) -> None:
    """CSV, Parquet and JSON files (also inside the zip), and the organisation's own slices."""
    org, checked = planted.cyber_org, 0
    for name, data in site_blobs(planted.site):
        if name.endswith(".csv") and "!values.csv" not in name:
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            for row in rows:
                if row.get("org_code") == org and CYBER in (
                    row.get("score_id"),
                    row.get("domain_id"),
                ):
                    checked += 1
                    assert row.get("table", "domain_scores") == "domain_scores", (name, row)
                    assert row["domain_score"] == WITHHELD and row["is_suppressed"] == "true", name
        elif name.endswith(".parquet"):
            frame = pq.read_table(io.BytesIO(data)).to_pandas()
            if {"org_code", "domain_score"} <= set(frame.columns):
                key = frame["score_id"] if "score_id" in frame else frame["domain_id"]
                hit = frame[(frame["org_code"] == org) & (key == CYBER)]
                checked += len(hit)
                assert hit["domain_score"].isna().all(), name
        elif name.endswith(".json"):
            leaks = _json_leaks(json.loads(data), org, _org_name(planted))
            assert not leaks, (name, leaks[:5])
    assert checked >= 6  # domain_scores CSV + Parquet, the zip's copies and the slice, 2 years


def _json_leaks(node: Any, org: str, org_name: str) -> list[Any]:
    """Objects naming the organisation and the withheld domain that carry a number."""
    found = []
    if isinstance(node, dict):
        values = [v for v in node.values() if isinstance(v, str)]
        names_org = any(org == v or v.startswith(org_name) for v in values)
        names_domain = any(CYBER in v or "Cyber and Network Security" in v for v in values)
        numbers = {
            k: v for k, v in node.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        numbers.pop("year", None)
        if names_org and names_domain and numbers:
            found.append(node)
        for value in node.values():
            found += _json_leaks(value, org, org_name)
    elif isinstance(node, list):
        for value in node:
            found += _json_leaks(value, org, org_name)
    return found


def _org_name(planted: Planted) -> str:
    orgs = planted.publication.reference.organisations
    return str(orgs.loc[orgs["org_code"] == planted.cyber_org, "org_name"].iloc[0])


def test_withheld_score_is_not_on_the_trust_page_or_in_search(planted: Planted) -> None:
    page_path = planted.site / "trusts" / f"{planted.cyber_org}.html"
    html = page_path.read_text(encoding="utf-8")
    page = parse_page(html)
    rows = _cyber_score_cells(page)
    assert rows, "no domain score row for Cyber and Network Security on the trust page"
    assert all(cell == WITHHELD for cell in rows), rows
    texts = _cyber_element_texts(planted.publication)
    text = " ".join("".join(page.text).split())
    assert not [t for t in texts if t in text], "the page lists the withheld domain's elements"
    index = json.loads((planted.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = [
        d for d in index["docs"] if d["location"].startswith(f"trusts/{planted.cyber_org}.html")
    ]
    assert docs
    for doc in docs:
        section = parse_page(doc["text"])
        flat = " ".join("".join(section.text).split())
        assert not [t for t in texts if t in flat], doc["location"]
        assert all(cell == WITHHELD for cell in _cyber_score_cells(section)), doc["location"]


SCORE_HEADERS = ("This organisation", "Score")


def _cyber_score_cells(page: Any) -> list[str]:
    """The organisation's own score cells in the domain-score rows of Cyber and Network Security."""
    cells = []
    for table in page.tables:
        header = table[0] if table else []
        column = next((h for h in SCORE_HEADERS if h in header), None)
        if column is None or not header or header[0] != "Domain":
            continue
        for row in table[1:]:
            if row and row[0] == "Cyber and Network Security":
                cells.append(dict(zip(header, row, strict=False))[column])
    return cells


def test_next_level_never_lists_a_withheld_domain(planted: Planted) -> None:
    pub = planted.publication
    withheld = set(pub.policy.withheld_domains()["domain_id"])
    assert CYBER in withheld
    assert not pub.next_level["domain_id"].isin(withheld).any()
    published = _csv(planted.site, "next_level_elements.csv")
    assert not published["domain_id"].isin(withheld).any()
    assert len(published) == len(pub.next_level)


# --- aggregates of the withheld domain are published; small groups are not ---------------------


def test_national_and_regional_aggregates_of_the_withheld_domain_are_published(
    planted: Planted, raw_scores: Any
) -> None:
    bench = _csv(planted.site, "benchmarks.csv")
    cyber = bench[(bench["measure_id"] == CYBER) & (bench["year"] == "2025")]
    # published, except the rows the disclosure audit withholds (its record names each one)
    extra = planted.publication.disclosure.benchmark_rows
    by_audit = {tuple(str(v) for v in row) for row in extra.itertuples(index=False)}
    in_audit = cyber[list(extra.columns)].apply(lambda r: tuple(r) in by_audit, axis=1)
    national = cyber[cyber["peer_group_type"] == "national"]
    assert len(national)
    assert ((national["is_suppressed"] == "true") == in_audit[national.index]).all()
    assert (national["is_suppressed"] == "false").any()
    shown = national[national["is_suppressed"] == "false"]
    assert shown["median_score"].map(float).between(1, 5).all()
    assert (national.loc[national["is_suppressed"] == "true", "median_score"] == WITHHELD).all()
    regions = cyber[cyber["peer_group_type"] == "region"]
    assert (regions["is_suppressed"] == "false").any()
    published = regions[regions["is_suppressed"] == "false"]
    assert published["median_score"].map(float).between(1, 5).all()
    # finer than the policy allows: every ICB system aggregate is withheld
    systems = cyber[cyber["peer_group_type"] == "icb_system"]
    assert len(systems) and (systems["is_suppressed"] == "true").all()
    assert (systems["median_score"] == WITHHELD).all()
    # the planted level 5 is counted in the national acute distribution
    ds = raw_scores.domain_scores
    raw = ds[(ds["year"] == 2025) & (ds["score_id"] == CYBER) & (ds["care_setting"] == "acute")]
    acute = national[national["care_setting"] == "acute"]
    if acute["is_suppressed"].iloc[0] == "false":
        assert int(acute["n_level_5"].iloc[0]) == int((raw["score"] == 5).sum())
    else:  # withheld by the disclosure audit, as its record says
        assert in_audit[acute.index].all()
    # and the domain page shows the national distribution
    domain_page = parse_page(
        (planted.site / "domains" / f"{CYBER}.html").read_text(encoding="utf-8")
    )
    level_rows = [
        row for table in domain_page.tables if table and "Level 5" in table[0] for row in table[1:]
    ]
    assert any(row[0] == "Acute, 2025" and row[-1].isdigit() for row in level_rows)


def test_aggregates_over_too_few_organisations_are_c(planted: Planted) -> None:
    minimum = planted.publication.policy.minimum_group_size
    bench = _csv(planted.site, "benchmarks.csv")
    small = bench[bench["n_orgs"].map(lambda n: n.isdigit() and int(n) < minimum)]
    assert len(small)
    assert (small["is_suppressed"] == "true").all()
    for column in (
        "mean_score",
        "median_score",
        "q1_score",
        "q3_score",
        "min_score",
        "max_score",
        "n_level_5",
    ):
        assert (small[column] == WITHHELD).all(), column
    # in pages: a region whose ambulance trusts are too few for an overall median
    small_regions = small[
        (small["peer_group_type"] == "region")
        & (small["care_setting"] == "ambulance")
        & (small["measure_type"] == "overall")
        & (small["year"] == "2025")
    ]
    assert len(small_regions)
    checked = 0
    for code in small_regions["peer_group_code"]:
        page = parse_page((planted.site / "regions" / f"{code}.html").read_text(encoding="utf-8"))
        for table in page.tables:
            header = table[0] if table else []
            if "Median" not in header or "Care setting" not in header:
                continue
            for row in table[1:]:
                cells = dict(zip(header, row, strict=False))
                if cells.get("Care setting") == "Ambulance" and cells.get("Year", "2025") == "2025":
                    assert cells["Median"] == WITHHELD, (code, cells)
                    checked += 1
    assert checked


# --- the policy file, not the code, decides ---------------------------------------------------


def test_changing_the_policy_file_changes_what_is_published(
    planted: Planted, tmp_path: Path
) -> None:
    """Without the rule, the trust's cyber score is published; a larger minimum group size
    withholds every aggregate. Same code, a different policy file (assemble + open data tables)."""
    from dma_publish.opendata import publication_tables
    from dma_publish.pipeline import assemble

    data = copy_data(tmp_path / "data", returns=False)
    for name in ("dma-returns-2024.csv", "dma-returns-2025.csv"):
        (data / "returns" / name).write_bytes((planted.data / "returns" / name).read_bytes())
    (data / "reference" / "organisations.csv").write_bytes(
        (planted.data / "reference" / "organisations.csv").read_bytes()
    )
    policy = yaml.safe_load((data / "publication-policy.yaml").read_text(encoding="utf-8"))
    policy["rules"] = []
    policy["minimum_group_size"] = 10_000
    (data / "publication-policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")

    changed = publication_tables(assemble(data))
    before = publication_tables(planted.publication)

    def cyber_score(tables: dict[str, pd.DataFrame]) -> list[Any]:
        ds = tables["domain_scores"]
        mine = ds[
            (ds["org_code"] == planted.cyber_org) & (ds["year"] == 2025) & (ds["score_id"] == CYBER)
        ]
        return mine["domain_score"].tolist()

    assert pd.isna(cyber_score(before)[0])
    assert cyber_score(changed) == [5]
    assert not changed["domain_scores"]["is_suppressed"].any()
    assert changed["benchmarks"]["is_suppressed"].all()
    assert not before["benchmarks"]["is_suppressed"].all()


# --- "what the next level needs" agrees with scoring -----------------------------------------


def test_next_level_lists_agree_with_scoring(planted: Planted, raw_scores: Any) -> None:
    pub = planted.publication
    key = ["year", "org_code", "care_setting", "score_id"]
    scores = pub.scores.domain_scores  # as published: NA where withheld
    treatment = pub.policy.domains[["year", "domain_id", "show_unmet_elements"]]
    shown = scores[~scores["is_suppressed"]].merge(treatment, on=["year", "domain_id"])
    shown = shown[shown["show_unmet_elements"].astype(bool) & (shown["score"] < 5)]
    raw = raw_scores.domain_scores.merge(shown[key], on=key)
    unmet = raw_scores.element_results[~raw_scores.element_results["is_met"].astype(bool)]
    expected = raw.merge(unmet, on=key)
    expected = expected[expected["level"] == expected["score"] + 1]
    expected_set = {
        (
            int(r.year),
            r.org_code,
            r.care_setting,
            r.score_id,
            int(r.score),
            int(r.level),
            r.element_id,
        )
        for r in expected.itertuples()
    }
    got = {
        (
            int(r.year),
            r.org_code,
            r.care_setting,
            r.score_id,
            int(r.score),
            int(r.next_level),
            r.element_id,
        )
        for r in pub.next_level.itertuples()
    }
    assert got == expected_set
    assert len(got) > 0
    # every listed element is really unmet, at exactly the level above the organisation's score
    for year, org, setting, _score_id, score, _level, element in sorted(got)[:200]:
        hit = raw_scores.element_results[
            (raw_scores.element_results["year"] == year)
            & (raw_scores.element_results["org_code"] == org)
            & (raw_scores.element_results["care_setting"] == setting)
            & (raw_scores.element_results["element_id"] == element)
        ]
        assert hit["is_met"].tolist() == [False] and hit["level"].tolist() == [score + 1]
