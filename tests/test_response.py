"""Reconciliation and non-response: every expected return is scored, rejected or missing, and the
counts reconcile (read = scored + rejected; expected = read - not expected + missing)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from dma_publish import response

ORGS = pd.DataFrame(
    {
        "org_code": ["T1", "T2", "Q1"],
        "care_settings": [("acute", "community"), ("ambulance",), ("icb",)],
    }
)


def _validated() -> SimpleNamespace:
    returns = pd.DataFrame(
        [
            (2025, "T1", "acute", "scored", 100, 0),
            (2025, "T2", "ambulance", "rejected", 40, 2),
            (2025, "Q1", "icb", "scored", 90, 0),
            (2025, "ZZ9", "acute", "rejected", 5, 1),  # not in the reference: not expected
        ],
        columns=["year", "org_code", "care_setting", "status", "n_rows", "n_errors"],
    )
    return SimpleNamespace(returns=returns)


def test_every_expected_return_is_scored_rejected_or_missing():
    register = response.return_register(_validated(), ORGS, [2025])
    status = {(r.org_code, r.care_setting): r.return_status for r in register.itertuples()}
    assert status == {
        ("Q1", "icb"): "scored",
        ("T1", "acute"): "scored",
        ("T1", "community"): "missing",  # T1 answered for one of its two care settings
        ("T2", "ambulance"): "rejected",
    }
    missing = register[register["return_status"] == "missing"]
    assert missing["n_answer_rows"].tolist() == [0] and missing["n_errors"].tolist() == [0]


def test_the_counts_reconcile():
    (row,) = response.reconciliation(_validated(), ORGS, [2025]).to_dict("records")
    assert row == {
        "year": 2025,
        "answer_rows_read": 235,
        "answer_rows_scored": 190,
        "answer_rows_rejected": 45,
        "returns_read": 4,
        "returns_scored": 2,
        "returns_rejected": 2,
        "returns_unexpected": 1,
        "returns_expected": 4,
        "returns_missing": 1,
    }


def test_a_year_whose_every_return_was_rejected_is_still_counted():
    validated = _validated()
    validated.returns.loc[:, "status"] = "rejected"
    years = response.publication_years(validated, [])
    assert years == [2025]
    (row,) = response.reconciliation(validated, ORGS, []).to_dict("records")
    assert row["returns_rejected"] == 4 and row["returns_missing"] == 1


def test_demo_reconciliation_and_non_response(publication):
    pub = publication
    counts = response.reconciliation(pub.validated, pub.reference.organisations, pub.years)
    total = counts.drop(columns="year").sum()
    rec = pub.validated.reconciliation
    assert total["answer_rows_read"] == rec["rows_read"] == 129_885
    assert total["returns_read"] == rec["returns_read"] == 562
    assert total["answer_rows_read"] == total["answer_rows_scored"] + total["answer_rows_rejected"]
    assert total["returns_read"] == total["returns_scored"] + total["returns_rejected"]
    assert (
        total["returns_expected"]
        == total["returns_read"] - total["returns_unexpected"] + total["returns_missing"]
    )
    # published returns are the scored ones: every scored return has an overall score
    overall = pub.scores.overall_scores
    assert total["returns_scored"] == len(
        overall.drop_duplicates(["year", "org_code", "care_setting"])
    )
    register = response.return_register(pub.validated, pub.reference.organisations, pub.years)
    missing = register[register["return_status"] == "missing"]
    assert len(missing) == total["returns_missing"] == 8
    assert counts.set_index("year")["returns_missing"].to_dict() == {2024: 6, 2025: 2}
    # a missing return has no scores anywhere
    keys = set(zip(overall["year"], overall["org_code"], overall["care_setting"], strict=True))
    assert not keys & set(
        zip(missing["year"], missing["org_code"], missing["care_setting"], strict=True)
    )


def test_the_files_and_the_data_quality_page_publish_them(built_site):
    site = built_site.site
    returns = pd.read_csv(site / "downloads" / "returns.csv", dtype=str, keep_default_na=False)
    rec = pd.read_csv(site / "downloads" / "reconciliation.csv", dtype=str, keep_default_na=False)
    assert (site / "downloads" / "returns.parquet").exists()
    assert (site / "downloads" / "reconciliation.parquet").exists()
    missing = returns[returns["return_status"] == "missing"]
    assert len(missing) == 8
    assert rec["returns_missing"].astype(int).sum() == 8
    page = (site / "about" / "data-quality.html").read_text(encoding="utf-8")
    assert 'id="returns"' in page and 'id="non-response"' in page
    assert "8 expected returns were not received" in page
    for r in missing.itertuples():
        assert r.org_code in page
    package = (site / "downloads" / "datapackage.json").read_text(encoding="utf-8")
    assert '"name": "returns"' in package and '"name": "reconciliation"' in package
