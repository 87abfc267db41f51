"""Suppression: apply the publication policy to every table before anything is published.

A pure stage, Publication in, Publication out. What it withholds becomes the GSS symbol `[c]`
downstream: the value is missing and its `is_suppressed` flag is true.

- Organisation level: a domain whose finest level is above `organisation` has its organisation
  scores withheld. So that the withheld score cannot be worked back as "a total minus the rest"
  from the published pillar score, the organisation's other domain scores in that pillar are
  withheld too, and so is a like-for-like pillar score computed over a different set of domains.
- Aggregates: a benchmark is withheld when its peer group is finer than the domain's finest level,
  or describes fewer organisations than the minimum group size. Where a group is split into parts
  (nation into regions or care settings, region into care settings or ICB systems) and exactly one
  part is withheld, the smallest other part is withheld too, so the withheld one cannot be worked
  out as the whole minus the rest.
- "What the next level needs": the elements of the next level an organisation has not met, only
  for the domains whose organisation scores are published and whose policy allows it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dma_publish.pipeline import Publication
from dma_publish.policy import LEVEL_RANK, PEER_GROUP_LEVEL, Policy

STAT_COLUMNS = ["mean", "median", "q1", "q3", "min", "max"]
LEVEL_COLUMNS = [f"n_level_{i}" for i in range(1, 6)]
RETURN_KEY = ["year", "org_code", "care_setting"]


def _score_treatment(pub: Publication, policy: Policy) -> pd.DataFrame:
    """One row per (year, score_id): its domain, pillar and treatment."""
    defs = pub.methodology.score_defs[["year", "domain_id", "score_id"]]
    return defs.merge(policy.domains, on=["year", "domain_id"], how="left", validate="m:1")


def suppress_domain_scores(domain_scores: pd.DataFrame, treatment: pd.DataFrame) -> pd.DataFrame:
    """Withhold organisation scores of withheld domains and of the rest of their pillar."""
    df = domain_scores.merge(
        treatment[["year", "score_id", "finest_level"]], on=["year", "score_id"], how="left"
    )
    primary = df["finest_level"].fillna("organisation") != "organisation"
    pillar_key = RETURN_KEY + ["pillar_id"]
    touched = df.loc[primary, pillar_key].drop_duplicates()
    touched["_hit"] = True
    df = df.merge(touched, on=pillar_key, how="left")
    out = domain_scores.copy()
    out["score"] = out["score"].astype("Int64")
    hit = df["_hit"].notna().to_numpy()
    out["is_suppressed"] = hit
    out.loc[hit, "score"] = pd.NA
    return out


def suppress_like_for_like(
    pillar_scores: pd.DataFrame, domain_scores: pd.DataFrame
) -> pd.DataFrame:
    """Withhold a like-for-like pillar score whose domain set differs from the pillar score's,
    where that pillar has withheld organisation scores (the difference would give them away)."""
    out = pillar_scores.copy()
    key = RETURN_KEY + ["pillar_id"]
    suppressed = domain_scores[domain_scores["is_suppressed"]][key].drop_duplicates()
    flagged = out.merge(suppressed.assign(_sup=True), on=key, how="left")["_sup"]
    differs = out["lfl_n_scores"].notna() & (out["lfl_n_scores"] != out["n_scores"])
    hit = flagged.notna().to_numpy() & differs.to_numpy()
    out["lfl_is_suppressed"] = hit
    for col in ("lfl_score", "lfl_previous_score", "lfl_n_scores"):
        out.loc[hit, col] = np.nan
    return out


def _primary_benchmark_mask(
    bench: pd.DataFrame, treatment: pd.DataFrame, min_size: int
) -> pd.Series:
    """Aggregates finer than the domain's finest level, or over too few organisations."""
    finest = bench.merge(
        treatment[["year", "score_id", "finest_level"]].rename(columns={"score_id": "measure_id"}),
        on=["year", "measure_id"],
        how="left",
    )["finest_level"]
    finest = finest.where(bench["measure_type"].to_numpy() == "domain", "organisation")
    finest_rank = finest.fillna("organisation").map(LEVEL_RANK).to_numpy()
    group_rank = bench["peer_group_type"].map(PEER_GROUP_LEVEL).map(LEVEL_RANK).to_numpy()
    too_fine = group_rank < finest_rank
    too_small = bench["n_orgs"].to_numpy() < min_size
    return pd.Series(too_fine | too_small, index=bench.index)


def _partitions(bench: pd.DataFrame, reference: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """(parent mask, children mask) pairs: groups whose units split the parent's exactly."""
    t, code, cs = bench["peer_group_type"], bench["peer_group_code"], bench["care_setting"]
    pairs = [
        ((t == "national") & (cs == "all"), t == "care_setting"),
        ((t == "national") & (cs == "all"), t == "region"),
    ]
    for region in sorted(bench.loc[t == "region", "peer_group_code"].unique()):
        region_children = (t == "region_care_setting") & code.str.startswith(f"{region}:")
        pairs.append(((t == "region") & (code == region), region_children))
        icbs = reference.loc[
            (reference["org_type"] == "icb") & (reference["region_code"] == region), "org_code"
        ]
        pairs.append(((t == "region") & (code == region), (t == "icb_system") & code.isin(icbs)))
    for setting in sorted(bench.loc[t == "care_setting", "care_setting"].unique()):
        pairs.append(
            (
                (t == "care_setting") & (cs == setting),
                (t == "region_care_setting") & (cs == setting),
            )
        )
    return pairs


def _secondary_pass(bench: pd.DataFrame, hidden: np.ndarray, pairs: list) -> bool:
    """Withhold one more part wherever exactly one part of a published whole is withheld."""
    changed = False
    cell = ["year", "survey", "measure_type", "measure_id"]
    for parent_mask, child_mask in pairs:
        children = bench[child_mask.to_numpy()]
        parents = bench[parent_mask.to_numpy()]
        if children.empty or parents.empty:
            continue
        for _, grp in children.groupby(cell, sort=True):
            if parents.merge(grp[cell].head(1), on=cell).empty:
                continue
            n_hidden = hidden[grp.index.to_numpy()].sum()
            if n_hidden == 1 and len(grp) > 1:
                visible = grp[~hidden[grp.index.to_numpy()]]
                victim = visible.sort_values(["n_orgs", "peer_group_code"]).index[0]
                hidden[victim] = True
                changed = True
    return changed


def suppress_benchmarks(
    benchmarks: pd.DataFrame, treatment: pd.DataFrame, organisations: pd.DataFrame, min_size: int
) -> pd.DataFrame:
    """Withhold aggregates the policy does not allow, and those that would give one away."""
    bench = benchmarks.reset_index(drop=True)
    hidden = _primary_benchmark_mask(bench, treatment, min_size).to_numpy().copy()
    pairs = _partitions(bench, organisations)
    for _ in range(10):  # reaches a fixed point in two or three passes
        if not _secondary_pass(bench, hidden, pairs):
            break
    out = bench.copy()
    for col in LEVEL_COLUMNS:
        out[col] = out[col].astype("Int64")
        out.loc[hidden, col] = pd.NA
    out.loc[hidden, STAT_COLUMNS] = np.nan
    out["is_suppressed"] = hidden
    return out


def next_level_elements(
    domain_scores: pd.DataFrame, element_results: pd.DataFrame, treatment: pd.DataFrame
) -> pd.DataFrame:
    """The elements of the next level each organisation has not met, where that may be shown."""
    allowed = treatment.loc[treatment["show_unmet_elements"].astype(bool), ["year", "score_id"]]
    scores = domain_scores[~domain_scores["is_suppressed"]].merge(allowed, on=["year", "score_id"])
    scores = scores[scores["score"] < 5]
    unmet = element_results[~element_results["is_met"].astype(bool)]
    merged = scores.merge(unmet, on=RETURN_KEY + ["score_id"], how="inner")
    merged = merged[merged["level"] == merged["score"].astype(int) + 1]
    cols = RETURN_KEY + ["domain_id", "score_id", "score", "level", "element_id"]
    out = merged[cols].rename(columns={"level": "next_level"})
    out["score"] = out["score"].astype(int)
    return out.sort_values(RETURN_KEY + ["score_id", "element_id"]).reset_index(drop=True)


def suppress(pub: Publication, policy: Policy) -> Publication:
    """Apply the policy to every table the publishers read; return the publishable view."""
    treatment = _score_treatment(pub, policy)
    scores = pub.scores
    domain_scores = suppress_domain_scores(scores.domain_scores, treatment)
    pillar_scores = suppress_like_for_like(scores.pillar_scores, domain_scores)
    visible = domain_scores.loc[~domain_scores["is_suppressed"], RETURN_KEY + ["score_id"]]
    element_results = scores.element_results.merge(
        visible, on=RETURN_KEY + ["score_id"], how="inner"
    )
    next_level = next_level_elements(domain_scores, scores.element_results, treatment)
    new_scores = dataclasses.replace(
        scores,
        domain_scores=domain_scores,
        pillar_scores=pillar_scores,
        element_results=element_results.reset_index(drop=True),
    )
    benchmarks = suppress_benchmarks(
        pub.benchmarks, treatment, pub.reference.organisations, policy.minimum_group_size
    )
    return dataclasses.replace(
        pub, scores=new_scores, benchmarks=benchmarks, policy=policy, next_level=next_level
    )
