"""Benchmarks: how scores are spread within each peer group, per year and measure (no ranks).

A pure stage. Peer groups compare like with like: every group is one care setting (pillars are
built from different domain sets in each setting), at one level of geography. Trusts are compared
with trusts of the same setting nationally, in their region and in their ICB system (an ICB's
member trusts); ICBs' own returns (care setting `icb`) with ICBs nationally and in their region.
A trust with two care settings has one return, so one row, in each setting's groups, and never
counts twice in one group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dma_publish.peergroups import NATIONAL_CODE, PEER_GROUP_TYPES
from dma_publish.score import level_of

BENCHMARK_KEY: list[str] = [
    "year",
    "survey",
    "peer_group_type",
    "peer_group_code",
    "care_setting",
    "measure_type",
    "measure_id",
]
LEVEL_COLUMNS: list[str] = [f"n_level_{level}" for level in range(1, 6)]
BENCHMARK_COLUMNS: list[str] = [
    *BENCHMARK_KEY,
    "n_orgs",
    "mean",
    "median",
    "q1",
    "q3",
    "min",
    "max",
    *LEVEL_COLUMNS,
]
ICB_SURVEY_SETTING = "icb"


def benchmark(scores: Any, reference: Any) -> pd.DataFrame:
    """Count, mean, median, quartiles, range and organisations at each level, per peer group.

    A unit is one organisation in one care setting, and a group holds one care setting, so each
    organisation appears in it once. Quartiles are type 7 (R's default, Excel's QUARTILE.INC:
    linear interpolation); for pillar and overall scores the level is `score.level_of`: the
    published 2-dp value rounded half away from zero.
    """
    units = measure_values(scores)
    places = reference.organisations[["org_code", "icb_code", "region_code"]]
    units = units.merge(places, on="org_code", how="left", validate="many_to_one")
    units["survey"] = np.where(units["care_setting"] == ICB_SURVEY_SETTING, "icb", "secondary_care")
    members = peer_group_members(units)
    return summarise(members)


def measure_values(scores: Any) -> pd.DataFrame:
    """Every score as one long table: year, org_code, care_setting, measure_type, measure_id, value, level."""
    key = ["year", "org_code", "care_setting"]
    overall = scores.overall_scores[[*key, "score"]].assign(
        measure_type="overall", measure_id="overall"
    )
    pillar = scores.pillar_scores[[*key, "pillar_id", "score"]].rename(
        columns={"pillar_id": "measure_id"}
    )
    domain = scores.domain_scores[[*key, "score_id", "score"]].rename(
        columns={"score_id": "measure_id"}
    )
    long = pd.concat(
        [overall, pillar.assign(measure_type="pillar"), domain.assign(measure_type="domain")],
        ignore_index=True,
    ).rename(columns={"score": "value"})
    long["value"] = long["value"].astype(float)
    long["level"] = level_of(long["value"]).astype("int64")
    return long[[*key, "measure_type", "measure_id", "value", "level"]]


def peer_group_members(units: pd.DataFrame) -> pd.DataFrame:
    """Each unit once per peer group it belongs to, with peer_group_type and peer_group_code.

    A group is one care setting at one level: each type of dma_publish.peergroups (national,
    region and, trusts only, ICB system).
    """
    groups = []
    for kind in PEER_GROUP_TYPES:
        these = units if kind.surveys is None else units[units["survey"].isin(kind.surveys)]
        code = NATIONAL_CODE if kind.code_column is None else these[kind.code_column]
        groups.append(these.assign(peer_group_type=kind.name, peer_group_code=code))
    members = pd.concat(groups, ignore_index=True)
    return members.dropna(subset=["peer_group_code"])


def summarise(members: pd.DataFrame) -> pd.DataFrame:
    """The summary statistics and level counts of each peer group and measure."""
    grouped = members.groupby(BENCHMARK_KEY)["value"]
    stats = grouped.agg(n_orgs="size", mean="mean", median="median", min="min", max="max")
    stats["q1"] = grouped.quantile(0.25)
    stats["q3"] = grouped.quantile(0.75)
    levels = members.groupby([*BENCHMARK_KEY, "level"]).size().unstack("level")
    levels = levels.reindex(columns=range(1, 6)).fillna(0).astype("int64")
    levels.columns = LEVEL_COLUMNS
    table = stats.join(levels).reset_index()
    table[LEVEL_COLUMNS] = table[LEVEL_COLUMNS].fillna(0).astype("int64")
    table = table.astype({"n_orgs": "int64", "year": "int64"})
    return table[BENCHMARK_COLUMNS].sort_values(BENCHMARK_KEY, kind="stable").reset_index(drop=True)
