"""The disclosure audit stage: hand-built publications that leak, withheld more until safe; the
policy's options; an unsafe policy stops the build; the demo build passes the audit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dma_publish.audit import audit
from dma_publish.cli import cli
from dma_publish.disclose import run_stage
from dma_publish.errors import InputError, PolicyUnsafe
from dma_publish.policy import read_policy
from tests.test_audit import publication

ROOT = Path(__file__).resolve().parent.parent
BOTH = ("benchmark", "pillar_score")


def _pinned_after(pub, truth) -> pd.DataFrame:
    """Withheld values an attacker can still pin, proved by a fresh exact audit."""
    return audit(pub, truth, exact=True).pinned


def test_region_level_counts_are_withheld_until_no_score_is_pinned():
    # every cyber score 3: the region's published level counts say so, and each Safe Practice
    # pillar score (cyber + gov) then gives gov away (10 values pinned)
    values = {f"N{i:02d}": (3, g, 2) for i, g in enumerate((1, 2, 4, 5, 2))}
    pub, truth = publication(values, {"N": 5})
    assert len(audit(pub, truth).pinned) == 10
    out = run_stage(pub, truth, BOTH, max_rounds=8)
    record = out.disclosure
    assert record.pinned_before == 10 and record.pinned.empty
    assert len(record.benchmark_rows) >= 1
    assert record.pillar_scores.empty  # benchmarks suffice: no organisation's score withheld
    withheld = out.benchmarks[out.benchmarks["is_suppressed"]]
    key = record.benchmark_rows.columns.tolist()
    assert set(map(tuple, record.benchmark_rows.values)) <= set(map(tuple, withheld[key].values))
    assert withheld["mean"].isna().all() and withheld["n_level_3"].isna().all()
    assert _pinned_after(out, truth).empty
    # what was published before and not withheld now is unchanged
    before = pub.benchmarks.reset_index(drop=True)
    kept = ~out.benchmarks["is_suppressed"].to_numpy()
    pd.testing.assert_frame_equal(
        out.benchmarks[kept].drop(columns="is_suppressed").reset_index(drop=True),
        before[kept].drop(columns="is_suppressed").reset_index(drop=True),
        check_dtype=False,
    )


def test_a_pillar_score_at_an_extreme_is_withheld_with_the_overall_score():
    # N00's Safe Practice 1.00 over two withheld scores says both are 1: no benchmark can help
    values = {"N00": (1, 1, 3), "N01": (3, 4, 2), "N02": (2, 5, 4)}
    pub, truth = publication(values, {"N": 3})
    out = run_stage(pub, truth, BOTH, max_rounds=8)
    record = out.disclosure
    assert record.pillar_scores.values.tolist() == [[2025, "N00", "acute", "safe_practice"]]
    ps = out.scores.pillar_scores.set_index(["org_code", "pillar_id"])
    assert ps.loc[("N00", "safe_practice"), "is_suppressed"]
    assert pd.isna(ps.loc[("N00", "safe_practice"), "score"])
    assert not ps.loc[("N00", "well_led"), "is_suppressed"]  # the other pillar stays
    assert not ps.loc[("N01", "safe_practice"), "is_suppressed"]
    ov = out.scores.overall_scores.set_index("org_code")
    assert ov.loc["N00", "is_suppressed"] and pd.isna(ov.loc["N00", "score"])
    assert not ov.loc["N01", "is_suppressed"]
    assert _pinned_after(out, truth).empty


def test_benchmarks_alone_cannot_free_a_pillar_at_an_extreme_and_the_build_stops():
    values = {"N00": (1, 1, 3), "N01": (3, 4, 2)}
    pub, truth = publication(values, {"N": 2})
    with pytest.raises(PolicyUnsafe) as exc:
        run_stage(pub, truth, ("benchmark",), max_rounds=8)
    message = str(exc.value)
    assert "2025 N00 acute cyber" in message and "2025 N00 acute gov" in message
    assert "disclosure_audit.withhold" in message and "pillar_score" in message
    assert PolicyUnsafe.exit_code == 4


def test_withholding_nothing_more_stops_the_build_where_a_value_is_pinned():
    values = {f"N{i:02d}": (3, g, 2) for i, g in enumerate((1, 2, 4, 5, 2))}
    pub, truth = publication(values, {"N": 5})
    with pytest.raises(PolicyUnsafe, match="10 withheld values can still be worked back"):
        run_stage(pub, truth, (), max_rounds=8)


def test_nothing_pinned_means_nothing_more_withheld():
    values = {"N00": (2, 3, 3), "N01": (3, 4, 2), "N02": (4, 2, 4), "N03": (3, 3, 1)}
    pub, truth = publication(values, {"N": 4}, min_size=5)
    out = run_stage(pub, truth, (), max_rounds=1)
    assert out.disclosure.pinned_before == 0 and out.disclosure.rounds == 1
    assert out.disclosure.benchmark_rows.empty and out.disclosure.pillar_scores.empty
    counts = out.disclosure.counts([2025])
    assert (
        counts["n_withheld"].sum() == 8
        and counts["feasible_levels"].tolist() == [1, 2, 3, 4, 5] * 2
    )
    assert counts.loc[counts["feasible_levels"] == 1, "n_withheld"].sum() == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=7
    ),
    st.integers(1, 3),
)
def test_after_the_stage_no_withheld_value_has_a_single_feasible_level(vals, min_size):
    values = {f"N{i:02d}": v for i, v in enumerate(vals)}
    pub, truth = publication(values, {"N": len(vals)}, min_size=min_size)
    out = run_stage(pub, truth, BOTH, max_rounds=30)
    assert out.disclosure.pinned.empty
    # a fresh audit, proving every range whole, agrees: nothing is pinned
    assert _pinned_after(out, truth).empty


# --- the policy's options ---------------------------------------------------------------------


def _policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "publication-policy.yaml"
    path.write_text("minimum_group_size: 5\n" + text, encoding="utf-8")
    return path


def test_disclosure_audit_options_are_read_with_defaults():
    policy = read_policy(ROOT / "data" / "publication-policy.yaml")
    assert policy.disclosure_audit.withhold == ["benchmark", "pillar_score"]
    assert policy.disclosure_audit.max_rounds == 8


def test_disclosure_audit_defaults_when_the_section_is_absent(tmp_path):
    policy = read_policy(_policy_file(tmp_path, ""))
    assert policy.disclosure_audit.withhold == ["benchmark", "pillar_score"]
    assert policy.disclosure_audit.max_rounds == 8
    policy = read_policy(_policy_file(tmp_path, "disclosure_audit: {withhold: []}\n"))
    assert policy.disclosure_audit.withhold == []


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("disclosure_audit: {withhold: [benchmark, quartiles]}\n", "disclosure_audit.withhold[1]"),
        ("disclosure_audit: {withhold: [benchmark], rounds: 3}\n", "disclosure_audit.rounds"),
        ("disclosure_audit: {max_rounds: 0}\n", "disclosure_audit.max_rounds"),
        ("disclosure_audit: {max_rounds: many}\n", "disclosure_audit.max_rounds"),
        ("disclosure_audit: {withhold: [benchmark, benchmark]}\n", "disclosure_audit.withhold"),
        ("disclosure_audit: {withhold: benchmark}\n", "disclosure_audit.withhold"),
    ],
)
def test_disclosure_audit_schema_errors_name_the_file_and_key(tmp_path, text, location):
    path = _policy_file(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_policy(path)
    assert exc.value.file == str(path)
    assert exc.value.location == location
    assert exc.value.rule == "policy_schema"


# --- the build --------------------------------------------------------------------------------


def test_an_unsafe_policy_stops_the_build_with_exit_4_and_publishes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "publication-policy.yaml"
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy["disclosure_audit"] = {"withhold": [], "max_rounds": 8}
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    site = tmp_path / "site"
    result = CliRunner().invoke(
        cli,
        ["build", "--data", str(data), "--site", str(site), "--report", str(tmp_path / "r.csv")],
    )
    assert result.exit_code == 4, result.output
    assert "the publication policy is not safe" in result.output
    assert "can still be worked back exactly" in result.output
    assert "disclosure_audit.withhold" in result.output and "nothing was published" in result.output
    assert not site.exists()


def test_the_demo_publication_passes_the_audit(publication, raw_publication):
    record = publication.disclosure
    assert record.pinned_before > 0  # the demo policy alone leaves values pinned
    assert record.pinned.empty
    assert len(record.benchmark_rows) > 0
    # an independent audit of what is published, from scratch, finds nothing pinned
    again = audit(publication, raw_publication.scores.domain_scores)
    assert again.pinned.empty
    assert len(again.values) == record.n_withheld
    # every extra withheld benchmark row is withheld in the published benchmarks
    bench = publication.benchmarks
    key = record.benchmark_rows.columns.tolist()
    hidden = set(map(tuple, bench.loc[bench["is_suppressed"], key].values))
    assert set(map(tuple, record.benchmark_rows.values)) <= hidden
    # a withheld pillar score takes the return's overall score with it
    ps, ov = publication.scores.pillar_scores, publication.scores.overall_scores
    for r in record.pillar_scores.itertuples(index=False):
        row = ps[
            (ps["year"] == r.year)
            & (ps["org_code"] == r.org_code)
            & (ps["care_setting"] == r.care_setting)
            & (ps["pillar_id"] == r.pillar_id)
        ]
        assert row["is_suppressed"].all() and row["score"].isna().all()
        overall = ov[
            (ov["year"] == r.year)
            & (ov["org_code"] == r.org_code)
            & (ov["care_setting"] == r.care_setting)
        ]
        assert overall["is_suppressed"].all() and overall["score"].isna().all()


def test_the_audit_is_published_as_counts_on_the_data_quality_page_and_in_downloads(built_site):
    record = built_site.publication.disclosure
    counts = pd.read_csv(built_site.site / "downloads" / "disclosure_audit.csv", dtype=str)
    assert list(counts.columns) == ["year", "survey", "feasible_levels", "n_withheld"]
    assert counts["n_withheld"].map(int).sum() == record.n_withheld
    assert (counts.loc[counts["feasible_levels"] == "1", "n_withheld"] == "0").all()
    parquet = pd.read_parquet(built_site.site / "downloads" / "disclosure_audit.parquet")
    assert parquet["n_withheld"].sum() == record.n_withheld
    # counts only: no organisation and no range is published
    assert "org_code" not in counts.columns and "low" not in counts.columns
    page = (built_site.site / "about" / "data-quality.html").read_text(encoding="utf-8")
    assert "Disclosure audit" in page and "disclosure audit: generated" not in page
    assert f"{record.pinned_before:,} of them" in page
    assert f"{len(record.benchmark_rows):,} benchmark rows" in page
    assert " s)" not in page and "seconds" not in page  # no timing: pages stay byte-identical
    for r in record.pillar_scores.itertuples(index=False):
        assert f"({r.org_code})" in page


def test_the_published_audit_counts_equal_a_fresh_exact_audit_of_the_final_site(
    built_site, raw_publication
):
    """disclosure_audit.csv describes the publication as published: a fresh exact audit of the
    final tables (after every extra withholding) gives the same counts, level for level."""
    import dataclasses

    pub = built_site.publication
    fresh = audit(pub, raw_publication.scores.domain_scores, exact=True)
    assert fresh.pinned.empty
    expected = dataclasses.replace(pub.disclosure, values=fresh.values).counts(pub.years)
    published = pd.read_csv(built_site.site / "downloads" / "disclosure_audit.csv")
    key = ["year", "survey", "feasible_levels"]
    got = published[[*key, "n_withheld"]].sort_values(key).reset_index(drop=True)
    want = expected[[*key, "n_withheld"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert (got["feasible_levels"] * got["n_withheld"]).sum() > 2 * got["n_withheld"].sum()


def test_an_audit_of_the_same_tables_is_replayed_and_gives_the_same_publication(
    tmp_path, monkeypatch
):
    """Issue 26: the stage's outcome is kept by a hash of the tables it reads. A rebuild from
    the same tables replays it without solving; a changed table, or a damaged entry, audits
    again; either way the publication is the same."""
    from dma_publish import disclose

    monkeypatch.setattr(disclose, "AUDIT_CACHE", tmp_path / "cache")
    values = {"N00": (1, 1, 3), "N01": (3, 4, 2), "N02": (2, 5, 4)}
    pub, truth = publication(values, {"N": 3})
    first = run_stage(pub, truth, BOTH, max_rounds=8)
    assert not first.disclosure.cached and len(list((tmp_path / "cache").iterdir())) == 1

    real_audit = disclose.audit
    monkeypatch.setattr(disclose, "audit", lambda *a, **k: pytest.fail("audited again"))
    again = run_stage(pub, truth, BOTH, max_rounds=8)
    assert again.disclosure.cached
    for name in ("pillar_scores", "overall_scores", "domain_scores"):
        pd.testing.assert_frame_equal(getattr(again.scores, name), getattr(first.scores, name))
    pd.testing.assert_frame_equal(again.benchmarks, first.benchmarks)
    pd.testing.assert_frame_equal(again.disclosure.values, first.disclosure.values)
    pd.testing.assert_frame_equal(again.disclosure.pillar_scores, first.disclosure.pillar_scores)
    assert again.disclosure.counts([2025]).equals(first.disclosure.counts([2025]))

    calls = []
    monkeypatch.setattr(disclose, "audit", lambda *a, **k: calls.append(1) or real_audit(*a, **k))
    # another policy setting is another key
    run_stage(pub, truth, BOTH, max_rounds=9)
    assert calls
    # a damaged entry is audited again, and the result is the same
    for entry in (tmp_path / "cache").iterdir():
        entry.write_bytes(entry.read_bytes()[:-10])
    calls.clear()
    redone = run_stage(pub, truth, BOTH, max_rounds=8)
    assert calls and not redone.disclosure.cached
    pd.testing.assert_frame_equal(redone.benchmarks, first.benchmarks)
    # a changed table is another key
    other, truth2 = publication({**values, "N02": (2, 5, 5)}, {"N": 3})
    calls.clear()
    run_stage(other, truth2, BOTH, max_rounds=8)
    assert calls
