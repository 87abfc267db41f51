"""Versions and withheld values: no comparison of two versions may work a withheld value back.

- `public_benchmark_rows`: the benchmark rows an archived version published with the figures
  this one would; they are public already, so the disclosure audit must not count on withholding
  them.
- `differencing_risks`: what comparing this version with the previous one would reveal, as
  sentences: a benchmark the audit withholds now that the previous version published, or a
  benchmark that changed over a peer group holding any organisation whose value of that measure
  is withheld, in this version or in the previous one (an organisation this version no longer
  publishes is judged by the previous version's cells and the peer groups that version gave
  it). The change records' old figures then involve published values only: they tell the
  disclosure audit nothing it has not seen.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dma_publish.publication import ArchivedRelease, History, Publication
from dma_publish.registry import CONFIDENTIAL, tables_for
from dma_publish.releases import current_cells


def _indicator_columns(name: str, granularity: str, header: list[str]) -> list[str]:
    table = tables_for(granularity)[name]
    return [f.name for f in table.field_defs() if f.kind == "indicator" and f.name in header]


def public_benchmark_rows(
    pub: Publication, archive: dict[str, ArchivedRelease], granularity: str
) -> frozenset[int]:
    """Positions (in pub.benchmarks) of the rows an archived version published with exactly the
    figures this one would: they are public already, so the disclosure audit must not count on
    withholding them (dma_publish.disclose.run_stage)."""
    from dma_publish.aggregate import BENCHMARK_KEY
    from dma_publish.opendata import value_tables

    if not archive:
        return frozenset()
    header, rows = current_cells(value_tables(pub), granularity)["benchmarks"]
    values = _indicator_columns("benchmarks", granularity, header)
    current = pd.DataFrame(rows, columns=header, dtype="string")
    public = pd.Series(False, index=current.index)
    for old in archive.values():
        if "benchmarks" not in old.tables:
            continue
        o_header, o_rows = old.tables["benchmarks"]
        shared = [c for c in values if c in o_header]
        if not all(k in o_header for k in BENCHMARK_KEY) or not shared:
            continue
        before = pd.DataFrame(o_rows, columns=o_header, dtype="string")[[*BENCHMARK_KEY, *shared]]
        before = before[~(before[shared] == CONFIDENTIAL).any(axis=1)]
        both = (
            current[[*BENCHMARK_KEY, *shared]]
            .reset_index()
            .merge(before, on=BENCHMARK_KEY, suffixes=("", "_old"))
        )
        same = pd.Series(True, index=both.index)
        for c in shared:
            same &= (both[c] == both[f"{c}_old"]).fillna(False)
        public[both.loc[same, "index"].to_numpy()] = True
    key = current.loc[public, BENCHMARK_KEY].astype(str)
    bench = pub.benchmarks.reset_index(drop=True)[BENCHMARK_KEY].astype(str)
    position = bench.reset_index().merge(key, on=BENCHMARK_KEY)["index"]
    return frozenset(int(p) for p in position)


def differencing_risks(
    history: History, audited: Any, extra_withheld: pd.DataFrame, granularity: str
) -> list[str]:
    """What comparing this version with the previous one would reveal of a withheld value, as
    sentences (none when it is safe). Two ways:

    - a benchmark the disclosure audit withholds in this version that the previous version
      published (with other figures: the same ones are never withheld): the old figures, with
      the organisations' own changes taken off, describe what the audit withholds;
    - a benchmark published in both versions whose figures changed, over a peer group holding
      an organisation whose value of that measure is withheld, in this version or the previous
      one: the old figures are published too (in the change records and the archived version),
      and the disclosure audit models only this version's, so a changed benchmark may involve
      published values alone. (The difference between the two versions would otherwise be a
      corrected organisation's withheld change, or narrow another member's withheld value.)
    """
    from dma_publish.aggregate import BENCHMARK_KEY, peer_group_members

    c = history.changes
    latest = c[c["version"] == history.current]
    if latest.empty:
        return []
    risks = []
    bench = latest[latest["value_table"] == "benchmarks"]
    audit_rows = {
        tuple(str(x) for x in r) for r in extra_withheld[BENCHMARK_KEY].itertuples(index=False)
    }
    for row in bench[bench["change_type"] == "now_withheld"].itertuples(index=False):
        survey = "icb" if row.care_setting == "icb" else "secondary_care"
        key = (
            str(row.year),
            survey,
            row.unit_type,
            row.unit_code,
            row.care_setting,
            row.measure_type,
            row.measure_id,
        )
        if key in audit_rows:
            risks.append(
                f"the {row.unit_name} benchmark of {row.measure_name} ({row.year}) was "
                f"published by {row.previous_version}, and the disclosure audit withholds it in "
                f"{row.version}"
            )
    moved = bench[bench["change_type"] == "changed"]
    if moved.empty:
        return sorted(set(risks))
    orgs = audited.reference.organisations[["org_code", "icb_code", "region_code"]]
    units = _withheld_values(audited).merge(orgs, on="org_code", how="inner")
    units = pd.concat([units, _previously_withheld(history, granularity)])
    units = units.drop_duplicates(ignore_index=True)
    if units.empty:
        return sorted(set(risks))
    units["survey"] = units["care_setting"].map(lambda s: "icb" if s == "icb" else "secondary_care")
    members = peer_group_members(units)
    members = members.astype({"year": str})
    hit = moved.merge(
        members,
        left_on=["year", "unit_type", "unit_code", "care_setting", "measure_type", "measure_id"],
        right_on=[
            "year",
            "peer_group_type",
            "peer_group_code",
            "care_setting",
            "measure_type",
            "measure_id",
        ],
    )
    for row in hit.drop_duplicates(["unit_code", "measure_id", "year", "org_code"]).itertuples():
        risks.append(
            f"the {row.unit_name} benchmark of {row.measure_name} ({row.year}) changed, and "
            f"{row.org_code}, a member, has its value of it withheld"
        )
    return sorted(set(risks))


def _withheld_values(pub: Publication) -> pd.DataFrame:
    """(year, org, setting, measure) of every withheld value of an organisation, now."""
    s = pub.scores
    parts = []
    for frame, measure_type, id_column, flag in (
        (s.domain_scores, "domain", "score_id", "is_suppressed"),
        (s.pillar_scores, "pillar", "pillar_id", "is_suppressed"),
        (s.overall_scores, "overall", None, "is_suppressed"),
    ):
        if frame.empty or flag not in frame:
            continue
        mine = frame[frame[flag].fillna(False).astype(bool)]
        parts.append(
            pd.DataFrame(
                {
                    "year": mine["year"].astype(int),
                    "org_code": mine["org_code"],
                    "care_setting": mine["care_setting"],
                    "measure_type": measure_type,
                    "measure_id": mine[id_column] if id_column else "overall",
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["year", "org_code", "care_setting", "measure_type", "measure_id"]
        )
    return pd.concat(parts, ignore_index=True).drop_duplicates()


_ORG_TABLES = {"domain_scores": ("domain", "score_id"), "pillar_scores": ("pillar", "pillar_id"),
               "overall_scores": ("overall", None)}  # fmt: skip


def _previously_withheld(history: History, granularity: str) -> pd.DataFrame:
    """(year, org, setting, measure, icb, region) of every organisation's value the previous
    version withheld, with the peer groups that version gave it: an organisation this version
    no longer publishes is judged by what it was then."""
    columns = ["year", "org_code", "care_setting", "measure_type", "measure_id"]
    compared = [v for v in history.versions if v.has_values]
    previous = compared[-2].archived if len(compared) > 1 else None
    parts = [pd.DataFrame(columns=[*columns, "icb_code", "region_code"])]
    for name, (measure_type, id_column) in _ORG_TABLES.items():
        if previous is None or name not in previous.tables:
            continue
        header, rows = previous.tables[name]
        frame = pd.DataFrame(rows, columns=header, dtype="string")
        values = _indicator_columns(name, granularity, header)
        mine = frame[(frame[values] == CONFIDENTIAL).any(axis=1)]
        parts.append(
            pd.DataFrame(
                {
                    "year": mine["year"].astype(int),
                    "org_code": mine["org_code"].astype(str),
                    "care_setting": mine["care_setting"].astype(str),
                    "measure_type": measure_type,
                    "measure_id": mine[id_column].astype(str) if id_column else "overall",
                    "icb_code": mine["icb_code"].astype(str),
                    "region_code": mine["region_code"].astype(str),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
