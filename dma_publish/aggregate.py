"""Benchmarks: how scores are spread within each peer group, per year and measure (no ranks).

A pure stage. Peer groups stay within a survey: secondary-care returns are compared nationally,
by region, by ICB system (an ICB's member trusts), by care setting and by region and care setting;
ICB returns are compared among ICBs nationally and by region.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dma_publish.score import round_half_away

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
NATIONAL_CODE = "ENG"
ICB_SURVEY_SETTING = "icb"


def benchmark(scores: Any, reference: Any) -> pd.DataFrame:
    """Count, mean, median, quartiles, range and organisations at each level, per peer group.

    A unit is one organisation in one care setting. Quartiles interpolate linearly (pandas'
    default); for pillar and overall scores the level is the score rounded half away from zero.
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
    overall = scores.overall_scores[[*key, "score"]].assign(measure_type="overall", measure_id="overall")
    pillar = scores.pillar_scores[[*key, "pillar_id", "score"]].rename(columns={"pillar_id": "measure_id"})
    domain = scores.domain_scores[[*key, "score_id", "score"]].rename(columns={"score_id": "measure_id"})
    long = pd.concat(
        [overall, pillar.assign(measure_type="pillar"), domain.assign(measure_type="domain")],
        ignore_index=True,
    ).rename(columns={"score": "value"})
    long["value"] = long["value"].astype(float)
    long["level"] = round_half_away(long["value"], 0).astype("int64")
    return long[[*key, "measure_type", "measure_id", "value", "level"]]


def peer_group_members(units: pd.DataFrame) -> pd.DataFrame:
    """Each unit once per peer group it belongs to, with peer_group_type, peer_group_code and care_setting."""
    secondary = units[units["survey"] == "secondary_care"]
    groups = [
        units.assign(peer_group_type="national", peer_group_code=NATIONAL_CODE, group_setting="all"),
        units.assign(peer_group_type="region", peer_group_code=units["region_code"], group_setting="all"),
        secondary.assign(
            peer_group_type="icb_system", peer_group_code=secondary["icb_code"], group_setting="all"
        ),
        secondary.assign(
            peer_group_type="care_setting",
            peer_group_code=secondary["care_setting"],
            group_setting=secondary["care_setting"],
        ),
        secondary.assign(
            peer_group_type="region_care_setting",
            peer_group_code=secondary["region_code"] + ":" + secondary["care_setting"],
            group_setting=secondary["care_setting"],
        ),
    ]
    members = pd.concat(groups, ignore_index=True)
    members = members.drop(columns="care_setting").rename(columns={"group_setting": "care_setting"})
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
