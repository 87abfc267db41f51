"""Plain-Python lookups over a Publication's frames, built once, so each chart costs microseconds."""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dma_publish.formats import fmt_score, is_missing
from dma_publish.index import shown
from dma_publish.peergroups import NATIONAL_CODE
from dma_publish.publication import Publication

Record = dict[str, Any]
STATS = ("n_orgs", "median", "q1", "q3", "min", "max")


def num(value: Any) -> float | None:
    """A published number as a chart datum (the tables rounded it: `dma_publish.index`); None
    when missing."""
    return None if is_missing(value) else float(value)


def fmt(value: Any) -> str:
    """A published score as text (`formats.fmt_score`); `[c]` when missing: a chart's missing
    value is a withheld one."""
    return fmt_score(value, withheld=is_missing(value))


def _records(frame: pd.DataFrame) -> list[Record]:
    """Rows as dicts of plain Python values (None where missing)."""
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.astype(object).tolist() if col.dtype.kind == "M" else col.tolist()
        missing = col.isna().to_numpy()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        columns.append(values)
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _group(records: list[Record], keys: tuple[str, ...]) -> dict[tuple, list[Record]]:
    """Records grouped by the values of keys, in their original order."""
    out: dict[tuple, list[Record]] = defaultdict(list)
    for rec in records:
        out[tuple(rec[k] for k in keys)].append(rec)
    return dict(out)


@dataclass
class Lookup:
    """Everything the chart builders read, indexed for constant-time access."""

    pillars: list[Record]  # pillar_id, pillar_name, in pillar_order
    settings: dict[str, Record]  # care_setting -> care_setting_name, survey
    orgs: dict[str, Record]  # org_code -> org_name, org_type, icb_code, region_code, ...
    regions: dict[str, Record]
    pillar_scores: dict[tuple, list[Record]]  # (year, org_code, care_setting)
    domain_scores: dict[tuple, list[Record]]  # (year, org_code, care_setting)
    overall: dict[tuple, list[Record]]  # (year, care_setting)
    returns_by_org: dict[str, list[tuple[int, str]]]  # org_code -> [(year, care_setting)]
    bench: dict[tuple, dict[str, Record]]  # (year, survey, type, code, setting, measure_type)
    score_defs: dict[int, list[Record]]  # year -> score_id, score_name, domain_name, pillar_id
    comparability: dict[tuple, Record]  # (year, domain_id)
    memo: dict[tuple, Any] = field(default_factory=dict)  # builders' derived values, by key

    def peer_stats(self, year: int, care_setting: str, measure_type: str) -> dict[str, Record]:
        """Benchmarks of an organisation's national peers: its care setting, or all ICBs."""
        survey = self.settings[care_setting]["survey"]
        return self.bench.get(
            (year, survey, "national", NATIONAL_CODE, care_setting, measure_type), {}
        )

    def region_stats(
        self, year: int, region_code: str, care_setting: str, measure_type: str
    ) -> dict[str, Record]:
        """Benchmarks of a region's organisations in a care setting (ICBs: the region's ICBs)."""
        survey = self.settings[care_setting]["survey"]
        return self.bench.get((year, survey, "region", region_code, care_setting, measure_type), {})

    def setting_name(self, care_setting: str) -> str:
        """The care setting's display name."""
        return str(self.settings.get(care_setting, {}).get("care_setting_name", care_setting))

    def peers_label(self, care_setting: str) -> str:
        """Plain words for an organisation's peers: 'acute trusts', 'ICBs'."""
        if self.settings.get(care_setting, {}).get("survey") == "icb":
            return "ICBs"
        return f"{self.setting_name(care_setting).lower()} trusts"


def _bench_key(rec: Record) -> tuple:
    """Benchmarks key (the national group's code is peergroups.NATIONAL_CODE, as in the tables)."""
    return (
        int(rec["year"]),
        rec["survey"],
        rec["peer_group_type"],
        rec["peer_group_code"],
        rec["care_setting"],
        rec["measure_type"],
    )


def build_lookup(pub: Publication) -> Lookup:
    """Index a Publication's frames as published (about 0.1 s for the demo data, once per
    build): its published view, `dma_publish.index.shown`."""
    pub = shown(pub)
    m, ref, scores = pub.methodology, pub.reference, pub.scores
    pillars = _records(
        m.pillars.drop_duplicates("pillar_id").sort_values(["pillar_order", "pillar_id"])
    )
    defs = m.score_defs.merge(
        m.domains[["year", "domain_id", "domain_name", "pillar_id"]], on=["year", "domain_id"]
    ).sort_values(["year", "score_id"])
    bench: dict[tuple, dict[str, Record]] = defaultdict(dict)
    for rec in _records(pub.benchmarks):
        bench[_bench_key(rec)][rec["measure_id"]] = rec
    returns_by_org: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for y, org, cs in scores.overall_scores[["year", "org_code", "care_setting"]].itertuples(
        index=False
    ):
        returns_by_org[org].append((int(y), cs))
    return Lookup(
        pillars=pillars,
        settings={
            r["care_setting"]: r for r in _records(m.care_settings.drop_duplicates("care_setting"))
        },
        orgs={r["org_code"]: r for r in _records(ref.organisations)},
        regions={r["region_code"]: r for r in _records(ref.regions)},
        pillar_scores=_group(_records(scores.pillar_scores), ("year", "org_code", "care_setting")),
        domain_scores=_group(_records(scores.domain_scores), ("year", "org_code", "care_setting")),
        overall=_group(_records(scores.overall_scores), ("year", "care_setting")),
        returns_by_org=dict(returns_by_org),
        bench=dict(bench),
        score_defs={k[0]: v for k, v in _group(_records(defs), ("year",)).items()},
        comparability={(r["year"], r["domain_id"]): r for r in _records(m.comparability)},
    )


_CACHE: dict[str, Any] = {"ref": None, "lookup": None}


def lookup(pub: Publication) -> Lookup:
    """The Lookup of this Publication, built on first use and kept while it is the current one."""
    ref = _CACHE["ref"]
    if ref is None or ref() is not pub:
        _CACHE["lookup"] = build_lookup(pub)
        _CACHE["ref"] = weakref.ref(pub)
    return _CACHE["lookup"]
