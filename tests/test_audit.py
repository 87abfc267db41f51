"""The disclosure audit: hand-built publications that leak withheld scores, and the solver that
finds them."""

from __future__ import annotations

import fakes
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dma_publish.aggregate import benchmark
from dma_publish.audit import audit
from dma_publish.score import Scores, overall_scores, pillar_scores
from dma_publish.suppress import (
    STAT_COLUMNS,
    _primary_benchmark_mask,
    suppress_benchmarks,
    suppress_domain_scores,
)

SCORES = [("cyber", "safe_practice"), ("gov", "safe_practice"), ("strategy", "well_led")]


def _organisations(regions: dict[str, int]) -> pd.DataFrame:
    rows = []
    for region, n in regions.items():
        for i in range(n):
            rows.append((f"{region}{i:02d}", "trust", f"I{region}{i % 2}", region))
    return pd.DataFrame(rows, columns=["org_code", "org_type", "icb_code", "region_code"])


def _treatment(withheld=("cyber",)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": 2025,
            "score_id": [s for s, _ in SCORES],
            "domain_id": [s for s, _ in SCORES],
            "finest_level": ["region" if s in withheld else "organisation" for s, _ in SCORES],
            "show_unmet_elements": False,
        }
    )


def publication(
    values: dict[str, tuple[int, int, int]],
    regions: dict[str, int],
    min_size: int = 5,
    secondary: bool = True,
):
    """A one-year acute publication: each organisation's (cyber, gov, strategy) scores, cyber
    withheld at organisation level; benchmarks computed and suppressed as the build does."""
    orgs = _organisations(regions)
    rows = [
        {
            "year": 2025,
            "org_code": o,
            "care_setting": "acute",
            "score_id": s,
            "domain_id": s,
            "pillar_id": p,
            "score": v,
        }
        for o, vals in values.items()
        for (s, p), v in zip(SCORES, vals, strict=True)
    ]
    domain = pd.DataFrame(rows)
    pillars = pillar_scores(domain)
    for col in ("lfl_previous_year", "lfl_score", "lfl_previous_score", "lfl_n_scores"):
        pillars[col] = pd.NA
    truth = Scores(domain, pillars, overall_scores(pillars), pd.DataFrame())
    ref = fakes.reference(orgs)
    bench = benchmark(truth, ref)
    treatment = _treatment()
    if secondary:
        bench = suppress_benchmarks(bench, treatment, orgs, min_size)
    else:
        hidden = _primary_benchmark_mask(bench, treatment, min_size).to_numpy()
        bench = bench.assign(is_suppressed=hidden)
        bench.loc[hidden, STAT_COLUMNS] = float("nan")
    published = Scores(
        suppress_domain_scores(domain, treatment), pillars, truth.overall_scores, pd.DataFrame()
    )
    comparability = pd.DataFrame(columns=["year", "domain_id", "previous_year", "status"])
    pub = fakes.publication(
        scores=published,
        benchmarks=bench,
        reference=ref,
        methodology=fakes.methodology(comparability=comparability),
    )
    return pub, domain


def _range(result, org, score_id):
    v = result.values.set_index(["org_code", "score_id"]).loc[(org, score_id)]
    return int(v["low"]), int(v["high"])


def test_a_pillar_score_at_an_extreme_pins_every_withheld_score_of_the_pillar():
    values = {"N00": (1, 1, 3), "N01": (3, 4, 2)}
    pub, truth = publication(values, {"N": 2})
    result = audit(pub, truth, exact=True)
    assert _range(result, "N00", "cyber") == (1, 1)
    assert _range(result, "N00", "gov") == (1, 1)
    assert _range(result, "N01", "cyber") == (2, 5)  # 3 + 4 = 7: (2, 5) .. (5, 2)
    # without `exact` the solver stops at a second level: the same values pinned, the rest
    # witnessed at two levels or more, inside the exact range
    fast = audit(pub, truth)
    assert set(fast.pinned["org_code"]) == {"N00"} and _range(fast, "N00", "cyber") == (1, 1)
    low, high = _range(fast, "N01", "cyber")
    assert 2 <= low < high <= 5 and low <= 3 <= high


def test_region_level_counts_with_each_pillar_total_pin_the_scores():
    # five organisations, every cyber score 3: the region's level counts say so, and each
    # Safe Practice pillar score (cyber + gov) then gives gov away
    values = {f"N{i:02d}": (3, g, 2) for i, g in enumerate((1, 2, 4, 5, 2))}
    pub, truth = publication(values, {"N": 5})
    result = audit(pub, truth)
    assert len(result.pinned) == 10


def test_england_minus_the_published_regions_gives_a_small_region_away():
    # region S has one organisation (its table withheld as too small); England and region N are
    # published, so England's counts minus N's are S's own cyber score
    values = {f"N{i:02d}": (c, 3, 3) for i, c in enumerate((1, 2, 3, 4, 5))}
    values["S00"] = (2, 3, 3)
    pub, truth = publication(values, {"N": 5, "S": 1}, secondary=False)
    result = audit(pub, truth)
    assert _range(result, "S00", "cyber") == (2, 2)
    # the build's secondary suppression withholds region N as well; S is then not pinned by it
    pub, truth = publication(values, {"N": 5, "S": 1}, secondary=True)
    n_published = pub.benchmarks[
        (pub.benchmarks["peer_group_type"] == "region")
        & ~pub.benchmarks["is_suppressed"]
        & (pub.benchmarks["measure_id"] == "cyber")
    ]
    assert n_published.empty


def test_nothing_withheld_means_nothing_to_audit():
    values = {"N00": (2, 2, 2)}
    pub, truth = publication(values, {"N": 1})
    pub.scores.domain_scores["is_suppressed"] = False
    assert audit(pub, truth).values.empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=7
    )
)
def test_every_witnessed_range_holds_the_true_value_and_pinned_means_no_other_solution(vals):
    values = {f"N{i:02d}": v for i, v in enumerate(vals)}
    pub, truth = publication(values, {"N": len(vals)})
    result = audit(pub, truth, exact=True)
    fast = audit(pub, truth)  # stops at a second level: the same pinned values, narrower ranges
    assert (fast.values["low"] >= result.values["low"]).all()
    assert (fast.values["high"] <= result.values["high"]).all()
    assert (
        (fast.values["low"] == fast.values["high"])
        == (result.values["low"] == result.values["high"])
    ).all()
    true = truth.set_index(["org_code", "score_id"])["score"]
    for r in result.values.itertuples(index=False):
        assert r.low <= true[(r.org_code, r.score_id)] <= r.high
        # a pinned value has no alternative: brute force over the pillar's pair agrees
        if r.low == r.high and len(vals) < 5:
            pillar = values[r.org_code][0] + values[r.org_code][1]
            options = {c for c in range(1, 6) if 1 <= pillar - c <= 5}
            assert len(options) == 1


def test_minimum_group_size_counts_distinct_organisations_not_care_settings():
    # four trusts, one with acute and community returns: five units, four organisations
    orgs = _organisations({"N": 4})
    rows = []
    for org in orgs["org_code"]:
        settings_ = ("acute", "community") if org == "N00" else ("acute",)
        for cs in settings_:
            rows.append(
                {
                    "year": 2025,
                    "org_code": org,
                    "care_setting": cs,
                    "score_id": "strategy",
                    "domain_id": "strategy",
                    "pillar_id": "well_led",
                    "score": 3,
                }
            )
    domain = pd.DataFrame(rows)
    pillars = pillar_scores(domain)
    scores = Scores(domain, pillars, overall_scores(pillars), pd.DataFrame())
    ref = fakes.reference(orgs)
    pub = fakes.publication(scores=scores, reference=ref, benchmarks=benchmark(scores, ref))
    from dma_publish.suppress import distinct_organisations

    bench = pub.benchmarks.assign(n_distinct_orgs=distinct_organisations(pub))
    national = bench[(bench["peer_group_type"] == "national") & (bench["measure_type"] == "domain")]
    # one group per care setting: N00 is once in acute and once in community, never twice in one
    assert national["care_setting"].tolist() == ["acute", "community"]
    assert national["n_orgs"].tolist() == [4, 1] and national["n_distinct_orgs"].tolist() == [4, 1]
    assert (bench["n_orgs"] == bench["n_distinct_orgs"]).all()
    out = suppress_benchmarks(bench, _treatment(withheld=()), orgs, 5)
    assert out["is_suppressed"].all()  # no group has five distinct organisations


def test_a_level_between_two_witnessed_ones_counts_only_when_a_solution_takes_it():
    """Two withheld values of a group published as one at level 2 and one at level 4 can each
    be 2 or 4, never 3: the exact audit asks for every unwitnessed level, so each counts 2
    feasible levels (a range from 2 to 4 would say 3)."""
    import numpy as np

    from dma_publish.audit import Constraint, _explore, _level_frame, n_levels

    group = Constraint("levels", frozenset({0, 1}), ((0, 1), (0, 1, 0, 1, 0)))
    seen = np.zeros((2, 5), dtype=bool)
    seen[0, 1] = seen[1, 3] = True  # the truth: levels 2 and 4
    _explore([0, 1], [group], seen, {0, 1}, exact=True)
    found = pd.DataFrame(_level_frame(seen))
    assert found["low"].tolist() == [2, 2] and found["high"].tolist() == [4, 4]
    assert n_levels(found).tolist() == [2, 2]
    assert seen[:, 2].tolist() == [False, False]  # level 3 proven impossible, not just unseen
