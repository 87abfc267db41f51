"""Benchmarks compare like with like: one care setting per peer group, each organisation once.

Pillar scores are built from different domain sets in each care setting (in 2025 Empower People
has seven scores for an acute trust, one for an ambulance trust), so no group pools settings, and
a trust with two care settings is one row in each setting's groups, never two rows in one group.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from dma_publish.aggregate import BENCHMARK_KEY, benchmark
from dma_publish.registry import PEER_GROUP_TYPES

ORGS = pd.DataFrame(
    {
        "org_code": ["T1", "T2", "T3", "Q1"],
        "org_type": ["trust", "trust", "trust", "icb"],
        "icb_code": ["Q1", "Q1", "Q1", "Q1"],
        "region_code": ["R1", "R1", "R1", "R1"],
    }
)


def _scores() -> SimpleNamespace:
    # T1 is acute and community; T2 acute; T3 community; Q1 is an ICB
    returns = [("T1", "acute", 4.0), ("T1", "community", 1.0), ("T2", "acute", 2.0),
               ("T3", "community", 3.0), ("Q1", "icb", 5.0)]  # fmt: skip
    key = pd.DataFrame(returns, columns=["org_code", "care_setting", "score"]).assign(year=2025)
    pillar = key.assign(pillar_id="well_led")
    domain = key.assign(score_id="strategy", domain_id="strategy", pillar_id="well_led")
    domain["score"] = domain["score"].astype(int)
    return SimpleNamespace(overall_scores=key, pillar_scores=pillar, domain_scores=domain)


def _bench() -> pd.DataFrame:
    return benchmark(_scores(), SimpleNamespace(organisations=ORGS))


def test_every_peer_group_holds_one_care_setting_and_no_all_settings_row():
    bench = _bench()
    assert set(bench["care_setting"]) == {"acute", "community", "icb"}
    assert set(bench["peer_group_type"]) == set(PEER_GROUP_TYPES)
    assert not bench.duplicated(BENCHMARK_KEY).any()


def test_a_trust_with_two_care_settings_counts_once_in_each_settings_groups():
    bench = _bench()
    overall = bench[bench["measure_type"] == "overall"].set_index(
        ["peer_group_type", "care_setting"]
    )
    # T1's acute score (4) is with T2's acute score (2), never with its community score (1)
    acute = overall.loc[("national", "acute")]
    assert (acute["n_orgs"], acute["mean"], acute["min"], acute["max"]) == (2, 3.0, 2.0, 4.0)
    community = overall.loc[("icb_system", "community")]
    assert (community["n_orgs"], community["mean"]) == (2, 2.0)
    # the ICB's own survey is a setting of its own, and has no ICB-system group
    icb = overall.loc[("region", "icb")]
    assert (icb["n_orgs"], icb["median"]) == (1, 5.0)
    assert ("icb_system", "icb") not in overall.index


def test_demo_groups_count_distinct_organisations_and_never_pool_settings(raw_publication):
    pub = raw_publication
    bench = pub.benchmarks
    assert "all" not in set(bench["care_setting"])
    places = pub.reference.organisations.set_index("org_code")
    for mtype, frame, mid in (
        ("pillar", pub.scores.pillar_scores, "pillar_id"),
        ("overall", pub.scores.overall_scores.assign(m="overall"), "m"),
    ):
        scores = frame.join(places[["region_code", "icb_code"]], on="org_code")
        # each return is one organisation in one care setting: no organisation twice in a group
        assert not scores.duplicated(["year", "org_code", "care_setting", mid]).any()
        for ptype, code_col in (("national", None), ("region", "region_code"),
                                ("icb_system", "icb_code")):  # fmt: skip
            rows = bench[(bench["peer_group_type"] == ptype) & (bench["measure_type"] == mtype)]
            keys = ["year", "care_setting", mid] + ([code_col] if code_col else [])
            part = scores if ptype != "icb_system" else scores[scores["care_setting"] != "icb"]
            expected = part.groupby(keys)["score"].agg(["size", "mean", "median"])
            expected = expected.rename(columns={"size": "n_orgs"})
            got = rows.rename(columns={"measure_id": mid})
            if code_col:
                got = got.rename(columns={"peer_group_code": code_col})
            got = got.set_index(keys)[["n_orgs", "mean", "median"]].sort_index()
            pd.testing.assert_frame_equal(
                got, expected.sort_index(), check_dtype=False, check_names=False
            )
    # a two-setting trust is in both settings' national groups, once each
    two = pub.reference.organisations
    two = two[two["care_settings"].map(len) > 1]
    assert len(two) > 0


def test_demo_benchmark_rows_before_and_after(raw_publication):
    """9,612 rows pooled settings; one care setting per group gives one row per group kind,
    setting, year and measure (many ICB-system rows are then withheld as too small)."""
    bench = raw_publication.benchmarks
    counts = bench.groupby("peer_group_type").size().to_dict()
    assert set(counts) == {"national", "region", "icb_system"}
    assert len(bench) == 15093
