"""Issue 27: one table of peer group types (dma_publish/peergroups.py) that everything derives
from, and suppression that fails closed: a type of no known rank stops the build, never
publishes."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dma_publish import aggregate, api, peergroups, registry
from dma_publish.cli import cli
from dma_publish.errors import PolicyUnsafe
from dma_publish.peergroups import PEER_GROUP_TYPES, UnknownPeerGroup, peer_group_type
from dma_publish.policy import LEVEL_RANK, Level
from dma_publish.suppress import suppress_benchmarks

ROOT = Path(__file__).resolve().parent.parent
TYPES = [t.name for t in PEER_GROUP_TYPES]


def test_the_table_is_whole_and_ordered() -> None:
    names = {t.name for t in PEER_GROUP_TYPES}
    assert len(names) == len(PEER_GROUP_TYPES)
    roots = [t for t in PEER_GROUP_TYPES if t.parent is None]
    assert [t.name for t in roots] == ["national"] and roots[0].code_column is None
    for kind in PEER_GROUP_TYPES:
        if kind.parent is not None:
            parent = peer_group_type(kind.parent)
            assert parent.rank > kind.rank, kind  # a whole is coarser than its parts
            assert kind.code_column is not None
            assert (kind.parent_column is None) == (parent.code_column is None), kind
    assert len({t.rank for t in PEER_GROUP_TYPES}) == len(PEER_GROUP_TYPES)
    assert min(t.rank for t in PEER_GROUP_TYPES) > peergroups.ORGANISATION_RANK


def test_every_place_derives_from_the_table() -> None:
    assert tuple(TYPES) == registry.PEER_GROUP_TYPES
    assert tuple(registry.FIELDS["peer_group_type"].enum) == tuple(TYPES)
    assert set(LEVEL_RANK) == {"organisation", *TYPES}
    assert typing.get_args(Level) == tuple(sorted(LEVEL_RANK, key=LEVEL_RANK.get))
    assert {t.name: t.api_folder for t in PEER_GROUP_TYPES} == api.AREA_FOLDERS


@pytest.mark.parametrize("name", ["county", "", None, "NATIONAL"])
def test_an_unknown_type_raises_naming_it(name) -> None:
    with pytest.raises(UnknownPeerGroup, match=re.escape(repr(name))) as caught:
        peer_group_type(name)
    assert isinstance(caught.value, PolicyUnsafe)  # the build stops: exit 4
    with pytest.raises(UnknownPeerGroup):
        peergroups.ranks(pd.Series(["national", name, "region"]))


def _units() -> pd.DataFrame:
    """Four trusts and two ICBs in two regions, one care setting each."""
    rows = [
        ("T1", "acute", "secondary_care", "I1", "R1"),
        ("T2", "acute", "secondary_care", "I1", "R1"),
        ("T3", "acute", "secondary_care", "I2", "R2"),
        ("T4", "acute", "secondary_care", "I2", "R2"),
        ("I1", "icb", "icb", "I1", "R1"),
        ("I2", "icb", "icb", "I2", "R2"),
    ]
    return pd.DataFrame(
        rows, columns=["org_code", "care_setting", "survey", "icb_code", "region_code"]
    )


def test_every_unit_is_in_one_group_of_each_type_its_survey_has() -> None:
    members = aggregate.peer_group_members(_units())
    for kind in PEER_GROUP_TYPES:
        these = members[members["peer_group_type"] == kind.name]
        expected = (
            _units() if kind.surveys is None else _units()[_units()["survey"].isin(kind.surveys)]
        )
        assert sorted(these["org_code"]) == sorted(expected["org_code"]), kind.name
        if kind.code_column is None:
            assert set(these["peer_group_code"]) == {peergroups.NATIONAL_CODE}
        else:
            assert list(these["peer_group_code"]) == list(these[kind.code_column])


def _bench(types: list[str]) -> pd.DataFrame:
    """One domain benchmark row per type given, each over 5 organisations."""
    rows = []
    for t in types:
        code = peergroups.NATIONAL_CODE if t == "national" else {"region": "R1"}.get(t, "I1")
        rows.append(
            {"year": 2025, "survey": "secondary_care", "peer_group_type": t,
             "peer_group_code": code, "care_setting": "acute", "measure_type": "domain",
             "measure_id": "d1", "n_orgs": 5, "mean": 3.0, "median": 3.0, "q1": 2.0, "q3": 4.0,
             "min": 1.0, "max": 5.0, "n_level_1": 1, "n_level_2": 1, "n_level_3": 1,
             "n_level_4": 1, "n_level_5": 1}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("finest", ["organisation", *TYPES])
def test_suppression_withholds_every_type_finer_than_the_policy_allows(finest) -> None:
    treatment = pd.DataFrame([{"year": 2025, "score_id": "d1", "finest_level": finest}])
    orgs = pd.DataFrame([("I1", "icb", "R1")], columns=["org_code", "org_type", "region_code"])
    out = suppress_benchmarks(_bench(TYPES), treatment, orgs, min_size=2)
    for row in out.itertuples():
        finer = LEVEL_RANK[row.peer_group_type] < LEVEL_RANK[finest]
        assert bool(row.is_suppressed) == finer, (finest, row.peer_group_type)


def test_suppression_fails_closed_on_a_type_it_does_not_know() -> None:
    treatment = pd.DataFrame([{"year": 2025, "score_id": "d1", "finest_level": "organisation"}])
    orgs = pd.DataFrame(columns=["org_code", "org_type", "region_code"])
    with pytest.raises(UnknownPeerGroup, match="'county'"):
        suppress_benchmarks(_bench(["national", "county"]), treatment, orgs, min_size=2)


def test_a_build_with_an_invented_peer_group_stops_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = aggregate.benchmark

    def with_a_county(scores, reference):
        bench = real(scores, reference)
        county = bench[bench["peer_group_type"] == "region"].head(3).copy()
        county["peer_group_type"] = "county"
        return pd.concat([bench, county], ignore_index=True)

    monkeypatch.setattr(aggregate, "benchmark", with_a_county)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("the last release", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["build", "--data", str(ROOT / "data"), "--site", str(site), "--report",
         str(tmp_path / "report.csv"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "unknown peer group type 'county'" in result.output
    assert "Traceback" not in result.output
    assert [p.name for p in site.iterdir()] == ["index.html"]  # the site is untouched
    assert (site / "index.html").read_text(encoding="utf-8") == "the last release"


def test_the_words_for_a_domains_published_aggregates_come_from_the_table() -> None:
    assert peergroups.aggregates_from("national") == "national aggregates"
    assert peergroups.aggregates_from("region") == "regional and national aggregates"
    assert (
        peergroups.aggregates_from("icb_system") == "ICB system, regional and national aggregates"
    )
    with pytest.raises(UnknownPeerGroup):
        peergroups.aggregates_from("county")
