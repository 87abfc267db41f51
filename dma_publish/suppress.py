"""Suppression: apply the publication policy to every table before anything is published.

A pure stage, Publication in, Publication out. What it withholds becomes the GSS symbol `[c]`
downstream: the value is missing and its `is_suppressed` flag is true.

- Organisation level: a domain whose finest level is above `organisation` has its organisation
  scores withheld. So that the withheld score cannot be worked back as "a total minus the rest"
  from the published pillar score, the organisation's other domain scores in that pillar are
  withheld too, and so is a like-for-like pillar score computed over a different set of domains.
- Aggregates: a benchmark is withheld when its peer group is finer than the domain's finest level,
  or describes fewer organisations than the minimum group size. Where a group is split into parts
  (a care setting's nation into regions, a region into ICB systems) and exactly one part is
  withheld, the smallest other part is withheld too, so the withheld one cannot be worked
  out as the whole minus the rest.
- "What the next level needs": the elements of the next level an organisation has not met, only
  for the domains whose organisation scores are published and whose policy allows it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dma_publish.aggregate import peer_group_members
from dma_publish.peergroups import PEER_GROUP_TYPES, peer_group_type, ranks
from dma_publish.policy import LEVEL_RANK, Policy
from dma_publish.publication import Publication
from dma_publish.vocab import RETURN_KEY

STAT_COLUMNS = ["mean", "median", "q1", "q3", "min", "max"]
LEVEL_COLUMNS = [f"n_level_{i}" for i in range(1, 6)]


def _key_codes(frames: list[pd.DataFrame], cols: list[str]) -> list[np.ndarray]:
    """Integer codes for the rows' values of `cols`, equal across frames exactly where the
    values are (missing values match each other, as in a pandas merge). Matching rows on one
    int64 column is far cheaper than merging on several text columns."""
    sizes = [len(f) for f in frames]
    code = np.zeros(sum(sizes), dtype=np.int64)
    for col in cols:
        arrays = [f[col].to_numpy() for f in frames]
        if len({a.dtype for a in arrays}) > 1:
            arrays = [a.astype(object) for a in arrays]
        values = np.concatenate(arrays)
        part, uniques = pd.factorize(values)
        # compact after each column so the codes stay below the number of rows
        code, _ = pd.factorize(code * (len(uniques) + 1) + (part + 1))
    return np.split(code.astype(np.int64), np.cumsum(sizes)[:-1])


def _score_treatment(pub: Publication, policy: Policy) -> pd.DataFrame:
    """One row per (year, score_id): its domain, pillar and treatment."""
    defs = pub.methodology.score_defs[["year", "domain_id", "score_id"]]
    return defs.merge(policy.domains, on=["year", "domain_id"], how="left", validate="m:1")


def suppress_domain_scores(domain_scores: pd.DataFrame, treatment: pd.DataFrame) -> pd.DataFrame:
    """Withhold organisation scores of withheld domains and of the rest of their pillar."""
    score_code, treatment_code = _key_codes([domain_scores, treatment], ["year", "score_id"])
    withheld = (treatment["finest_level"].fillna("organisation") != "organisation").to_numpy()
    primary = np.isin(score_code, treatment_code[withheld])
    (pillar_code,) = _key_codes([domain_scores], RETURN_KEY + ["pillar_id"])
    hit = np.isin(pillar_code, pillar_code[primary])
    out = domain_scores.copy()
    out["score"] = out["score"].astype("Int64")
    out["is_suppressed"] = hit
    out.loc[hit, "score"] = pd.NA
    return out


def suppress_like_for_like(
    pillar_scores: pd.DataFrame, domain_scores: pd.DataFrame
) -> pd.DataFrame:
    """Withhold a like-for-like pillar score whose domain set differs from the pillar score's,
    where that pillar has withheld organisation scores (the difference would give them away)."""
    out = pillar_scores.copy()
    pillar_code, score_code = _key_codes([pillar_scores, domain_scores], RETURN_KEY + ["pillar_id"])
    flagged = np.isin(pillar_code, score_code[domain_scores["is_suppressed"].to_numpy(bool)])
    differs = out["lfl_n_scores"].notna() & (out["lfl_n_scores"] != out["n_scores"])
    hit = flagged & differs.to_numpy(dtype=bool, na_value=False)
    out["lfl_is_suppressed"] = hit
    for col in ("lfl_score", "lfl_previous_score", "lfl_n_scores"):
        out.loc[hit, col] = np.nan
    return out


def _primary_benchmark_mask(
    bench: pd.DataFrame, treatment: pd.DataFrame, min_size: int
) -> pd.Series:
    """Aggregates finer than the domain's finest level, or over too few organisations."""
    bench_code, treatment_code = _key_codes(
        [bench.rename(columns={"measure_id": "score_id"}), treatment], ["year", "score_id"]
    )
    treatment_rank = treatment["finest_level"].fillna("organisation").map(LEVEL_RANK).to_numpy()
    # (year, score_id) is the treatment's key: at most one row matches
    where = pd.Index(treatment_code).get_indexer(bench_code)
    # -1 (no treatment, e.g. no domains at all) picks the appended organisation level
    finest_rank = np.append(treatment_rank, LEVEL_RANK["organisation"])[where]
    finest_rank = np.where(
        bench["measure_type"].to_numpy() == "domain", finest_rank, LEVEL_RANK["organisation"]
    )
    # fails closed: a peer group type of no known rank raises (peergroups.UnknownPeerGroup)
    group_rank = ranks(bench["peer_group_type"])
    too_fine = group_rank < finest_rank
    # the threshold counts distinct organisations: a trust with two care settings is one
    sizes = bench["n_distinct_orgs"] if "n_distinct_orgs" in bench else bench["n_orgs"]
    too_small = sizes.to_numpy() < min_size
    return pd.Series(too_fine | too_small, index=bench.index)


CELL = ["year", "survey", "care_setting", "measure_type", "measure_id"]


def _partitions(
    bench: pd.DataFrame, reference: pd.DataFrame
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Groups whose parts split a published whole exactly, one entry per kind of split.

    Each entry is (positions, group): the row positions of the parts, ordered by group and then
    by (n_orgs, peer_group_code), so the first visible part of a group is the one to withhold
    next; and each part's group number. A group is one whole (a parent row present in the same
    year, survey, care setting and measure) and the parts that split it: for each peer group
    type with a parent (dma_publish.peergroups), the parent's groups into its own (the nation
    into regions, a region into its ICB systems).
    """
    t, code = bench["peer_group_type"], bench["peer_group_code"]
    kinds = []
    for kind in PEER_GROUP_TYPES:
        if kind.parent is None:
            continue
        parent = peer_group_type(kind.parent)
        parent_key = child_key = None
        if parent.code_column is not None:  # many wholes: each part's own reference row names it
            own = reference.loc[reference["org_code"].isin(code[t == kind.name])]
            parent_key = code
            child_key = own.drop_duplicates("org_code").set_index("org_code")[kind.parent_column]
        # (parent rows, their key, child rows, each child's parent code: None for one whole)
        kinds.append((t == parent.name, parent_key, t == kind.name, child_key))
    (cell,) = _key_codes([bench], CELL)
    code_rank, _ = pd.factorize(code, sort=True)
    n_orgs = bench["n_orgs"].to_numpy()
    out = []
    for parent_mask, parent_key, child_mask, child_key in kinds:
        parent_pos = np.flatnonzero(parent_mask.to_numpy())
        child_pos = np.flatnonzero(child_mask.to_numpy())
        if parent_key is None:  # a single whole per cell
            parent_cell, child_cell = cell[parent_pos], cell[child_pos]
        else:
            keys = pd.concat(
                [parent_key.iloc[parent_pos], code.iloc[child_pos].map(child_key)],
                ignore_index=True,
            )
            key, uniques = pd.factorize(keys)  # a child with no whole (NaN) gets -1
            combined = np.concatenate([cell[parent_pos], cell[child_pos]]) * (len(uniques) + 1)
            combined += key + 1
            parent_cell, child_cell = combined[: len(parent_pos)], combined[len(parent_pos) :]
            has_key = key[len(parent_pos) :] >= 0
            child_pos, child_cell = child_pos[has_key], child_cell[has_key]
        whole = np.isin(child_cell, parent_cell)
        child_pos, child_cell = child_pos[whole], child_cell[whole]
        if not len(child_pos):
            continue
        _, group = np.unique(child_cell, return_inverse=True)
        order = np.lexsort((code_rank[child_pos], n_orgs[child_pos], group))
        out.append((child_pos[order], group[order]))
    return out


def _secondary_pass(hidden: np.ndarray, partitions: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Withhold one more part wherever exactly one part of a whole is withheld: the visible
    part describing fewest organisations (then the first by code), so that the withheld part
    cannot be worked out as the whole minus the rest."""
    changed = False
    for pos, group in partitions:
        part_hidden = hidden[pos]
        n_groups = int(group.max()) + 1
        n_hidden = np.bincount(group, weights=part_hidden, minlength=n_groups)
        size = np.bincount(group, minlength=n_groups)
        exposed = (n_hidden == 1) & (size > 1)
        candidates = exposed[group] & ~part_hidden
        if not candidates.any():
            continue
        # parts are in victim order within each group: the first candidate of each group
        _, first = np.unique(group[candidates], return_index=True)
        hidden[pos[candidates][first]] = True
        changed = True
    return changed


def suppress_benchmarks(
    benchmarks: pd.DataFrame, treatment: pd.DataFrame, organisations: pd.DataFrame, min_size: int
) -> pd.DataFrame:
    """Withhold aggregates the policy does not allow, and those that would give one away."""
    bench = benchmarks.reset_index(drop=True)
    hidden = _primary_benchmark_mask(bench, treatment, min_size).to_numpy().copy()
    partitions = _partitions(bench, organisations)
    for _ in range(10):  # reaches a fixed point in two or three passes
        if not _secondary_pass(hidden, partitions):
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
    key = RETURN_KEY + ["score_id"]
    allowed = treatment.loc[treatment["show_unmet_elements"].astype(bool)]
    score_year, allowed_year = _key_codes([domain_scores, allowed], ["year", "score_id"])
    keep = (
        ~domain_scores["is_suppressed"].to_numpy(bool)
        & np.isin(score_year, allowed_year)
        & (domain_scores["score"] < 5).to_numpy(dtype=bool, na_value=False)
    )
    scores = domain_scores.loc[keep, key + ["domain_id", "score"]]
    unmet = element_results[~element_results["is_met"].astype(bool)]
    score_code, unmet_code = _key_codes([scores, unmet], key)
    merged = scores.assign(_k=score_code).merge(
        unmet[["level", "element_id"]].assign(_k=unmet_code), on="_k", how="inner"
    )
    merged = merged[merged["level"] == merged["score"].astype(int) + 1]
    cols = RETURN_KEY + ["domain_id", "score_id", "score", "level", "element_id"]
    out = merged[cols].rename(columns={"level": "next_level"})
    out["score"] = out["score"].astype(int)
    return out.sort_values(RETURN_KEY + ["score_id", "element_id"]).reset_index(drop=True)


def distinct_organisations(pub: Publication) -> pd.Series:
    """How many distinct organisations each benchmark row describes (aligned to its rows)."""
    from dma_publish.aggregate import BENCHMARK_KEY, ICB_SURVEY_SETTING, measure_values

    units = measure_values(pub.scores)
    places = pub.reference.organisations[["org_code", "icb_code", "region_code"]]
    units = units.merge(places, on="org_code", how="left", validate="many_to_one")
    units["survey"] = np.where(units["care_setting"] == ICB_SURVEY_SETTING, "icb", "secondary_care")
    members = peer_group_members(units)
    counts = members.groupby(BENCHMARK_KEY)["org_code"].nunique()
    index = pd.MultiIndex.from_frame(pub.benchmarks[BENCHMARK_KEY])
    return pd.Series(counts.reindex(index).to_numpy(), index=pub.benchmarks.index)


def suppress(pub: Publication, policy: Policy) -> Publication:
    """Apply the policy to every table the publishers read; return the publishable view."""
    treatment = _score_treatment(pub, policy)
    scores = pub.scores
    domain_scores = suppress_domain_scores(scores.domain_scores, treatment)
    pillar_scores = suppress_like_for_like(scores.pillar_scores, domain_scores)
    element_code, score_code = _key_codes(
        [scores.element_results, domain_scores], RETURN_KEY + ["score_id"]
    )
    visible = score_code[~domain_scores["is_suppressed"].to_numpy(bool)]
    element_results = scores.element_results[np.isin(element_code, visible)]
    next_level = next_level_elements(domain_scores, scores.element_results, treatment)
    new_scores = dataclasses.replace(
        scores,
        domain_scores=domain_scores,
        pillar_scores=pillar_scores,
        element_results=element_results.reset_index(drop=True),
    )
    benchmarks = suppress_benchmarks(
        pub.benchmarks.assign(n_distinct_orgs=distinct_organisations(pub)),
        treatment,
        pub.reference.organisations,
        policy.minimum_group_size,
    ).drop(columns="n_distinct_orgs")
    return dataclasses.replace(
        pub, scores=new_scores, benchmarks=benchmarks, policy=policy, next_level=next_level
    )
