"""The publication seen from the pages: organisations, areas, domains and scores, looked up fast.

Built once from a `Publication`; every list it returns is sorted by name or code, never by score.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from dma_publish.aggregate import BENCHMARK_KEY
from dma_publish.index import shown
from dma_publish.peergroups import NATIONAL_CODE
from dma_publish.publication import Publication
from dma_publish.vocab import RETURN_KEY, survey_of

NATIONAL = NATIONAL_CODE
BENCH_KEY = BENCHMARK_KEY


@dataclass(frozen=True)
class Org:
    """One organisation from the reference."""

    code: str
    name: str
    org_type: str  # trust or icb
    care_settings: tuple[str, ...]
    icb_code: str
    region_code: str
    ons_code: str
    predecessor_codes: tuple[str, ...]

    @property
    def path(self) -> str:
        """The page of this organisation, relative to docs_dir."""
        folder = "icbs" if self.org_type == "icb" else "trusts"
        return f"{folder}/{self.code}.md"

    @property
    def sort_key(self) -> tuple[str, str]:
        """A–Z by name, then code."""
        return (self.name.casefold(), self.code)


def rel(target: str, page: str) -> str:
    """A relative link from one docs_dir page to another path in docs_dir (addresses stay as they are)."""
    if "://" in target:
        return target
    return _relpath(target, posixpath.dirname(page) or ".")


@cache
def _relpath(target: str, folder: str) -> str:
    """posixpath.relpath, remembered: pages in one folder link to the same targets."""
    return posixpath.relpath(target, folder)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dictionaries (column by column: much faster than DataFrame.to_dict)."""
    columns = list(frame.columns)
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _key(row: dict[str, Any]) -> tuple[str, str, int]:
    """The return a score row belongs to: organisation, care setting, year."""
    return (row["org_code"], row["care_setting"], int(row["year"]))


class Site:
    """Lookups over one publication, shared by every page builder."""

    def __init__(self, pub: Publication) -> None:
        """Index the publication's frames once, as published (`dma_publish.index.shown`)."""
        pub = shown(pub)
        self.pub = pub
        self.release = pub.release
        self.years: list[int] = pub.years
        self.latest: int = pub.latest_year
        m = pub.methodology
        self.orgs = self._load_orgs(pub.reference.organisations)
        self.regions: dict[str, str] = dict(
            zip(
                pub.reference.regions["region_code"],
                pub.reference.regions["region_name"],
                strict=True,
            )
        )
        self.setting_names: dict[str, str] = dict(
            zip(m.care_settings["care_setting"], m.care_settings["care_setting_name"], strict=True)
        )
        self.setting_survey: dict[str, str] = dict(
            zip(m.care_settings["care_setting"], m.care_settings["survey"], strict=True)
        )
        pillars = m.pillars.sort_values("pillar_order")
        self.pillars: dict[str, str] = dict(
            zip(pillars["pillar_id"], pillars["pillar_name"], strict=True)
        )
        self.domains = m.domains
        self.score_defs = m.score_defs
        self.elements = m.elements
        self.comparability = m.comparability
        self.level_descriptions = m.level_descriptions
        self.policy = pub.policy
        self._index_methodology()
        self._index_scores(pub)
        # Published scores' overall score is over comparable domains only (NHS England's).
        has_domains = pub.has_domains
        self.overall_name = "Overall" if has_domains else "Overall (comparable domains)"
        # Pillar scores to the places they are known to: computed ones to 2, published ones as
        # published (NHS England's to 1).
        self.pillar_digits = 2 if has_domains else 1
        self.bench = self._index_benchmarks(pub.benchmarks)

    # --- organisations and areas ----------------------------------------------------------

    @staticmethod
    def _load_orgs(frame: pd.DataFrame) -> dict[str, Org]:
        """Organisations by code, in code order."""
        orgs = {}
        for row in _records(frame.sort_values("org_code")):
            orgs[row["org_code"]] = Org(
                code=row["org_code"],
                name=row["org_name"],
                org_type=row["org_type"],
                care_settings=tuple(row["care_settings"]),
                icb_code=row["icb_code"],
                region_code=row["region_code"],
                ons_code=row["ons_code"] if isinstance(row["ons_code"], str) else "",
                predecessor_codes=tuple(row["predecessor_codes"] or ()),
            )
        return orgs

    def by_name(self, org_type: str | None = None) -> list[Org]:
        """Organisations A–Z by name (all, or only trusts or ICBs)."""
        orgs = [o for o in self.orgs.values() if org_type in (None, o.org_type)]
        return sorted(orgs, key=lambda o: o.sort_key)

    def icbs_in(self, region_code: str) -> list[Org]:
        """The ICBs of a region, A–Z."""
        return [o for o in self.by_name("icb") if o.region_code == region_code]

    def trusts_in_region(self, region_code: str) -> list[Org]:
        """The trusts of a region, A–Z."""
        return [o for o in self.by_name("trust") if o.region_code == region_code]

    def members(self, icb_code: str) -> list[Org]:
        """The trusts of an ICB system, A–Z."""
        return [o for o in self.by_name("trust") if o.icb_code == icb_code]

    def with_setting(self, care_setting: str) -> list[Org]:
        """Organisations assessed in a care setting, A–Z."""
        return [o for o in self.by_name() if care_setting in o.care_settings]

    def setting_name(self, care_setting: str) -> str:
        """The care setting's display name."""
        return self.setting_names.get(care_setting, care_setting.replace("_", " ").capitalize())

    def settings_text(self, org: Org) -> str:
        """An organisation's care settings in words."""
        return ", ".join(self.setting_name(c) for c in org.care_settings)

    # --- scores -----------------------------------------------------------------------------

    def _index_scores(self, pub: Publication) -> None:
        """Score rows as plain dictionaries by return, so page loops never filter frames."""
        s = pub.scores
        self._domain_rows: dict[tuple, list[dict[str, Any]]] = {}
        for r in _records(s.domain_scores):
            self._domain_rows.setdefault(_key(r), []).append(r)
        self._pillar_rows: dict[tuple, list[dict[str, Any]]] = {}
        for r in _records(s.pillar_scores.sort_values(RETURN_KEY)):
            self._pillar_rows.setdefault((r["org_code"], r["care_setting"]), []).append(r)
        self._overall = {_key(r): r for r in _records(s.overall_scores)}
        self._pillar_keys = {_key(r) for r in _records(s.pillar_scores)} | set(self._overall)
        self._rejected = {
            _key(r) for r in _records(pub.validated.returns) if r.get("status") == "rejected"
        }
        next_level = pub.next_level
        self._next_level: dict[tuple, list[dict[str, Any]]] = {}
        if next_level is not None:
            for r in _records(next_level):
                self._next_level.setdefault(_key(r), []).append(r)

    def domain_rows(self, code: str, care_setting: str, year: int) -> list[dict[str, Any]]:
        """One return's domain score rows (empty when there is no such return)."""
        return self._domain_rows.get((code, care_setting, year), [])

    def pillar_rows(self, code: str, care_setting: str) -> list[dict[str, Any]]:
        """An organisation's pillar score rows for one care setting, every year."""
        return self._pillar_rows.get((code, care_setting), [])

    def next_level_rows(self, code: str, care_setting: str, year: int) -> list[dict[str, Any]]:
        """The unmet elements of the next level, where the publication policy shows them."""
        return self._next_level.get((code, care_setting, year), [])

    def overall(self, code: str, care_setting: str, year: int) -> dict[str, Any] | None:
        """An organisation's overall score row for a care setting and year."""
        return self._overall.get((code, care_setting, year))

    def has_return(self, code: str, care_setting: str, year: int) -> bool:
        """True when the organisation has scores for that care setting and year."""
        key = (code, care_setting, year)
        return key in self._domain_rows or key in self._pillar_keys

    def withheld_rows(self, code: str, care_setting: str, year: int) -> list[dict[str, Any]]:
        """The return's domain score rows the publication policy withheld."""
        return [r for r in self.domain_rows(code, care_setting, year) if r.get("is_suppressed")]

    def return_status(self, code: str, care_setting: str, year: int) -> str:
        """scored, rejected (failed validation) or missing (no return received)."""
        if self.has_return(code, care_setting, year):
            return "scored"
        return "rejected" if (code, care_setting, year) in self._rejected else "missing"

    # --- benchmarks -------------------------------------------------------------------------

    @staticmethod
    def _index_benchmarks(bench: pd.DataFrame) -> dict[tuple, dict[str, Any]]:
        """Benchmark rows by their full key."""
        index = {}
        for row in _records(bench):
            index[tuple(row[k] for k in BENCH_KEY)] = row
        return index

    def benchmark(
        self,
        year: int,
        peer_type: str,
        code: str,
        care_setting: str,
        measure_type: str,
        measure_id: str,
    ) -> dict[str, Any] | None:
        """One benchmark row (secondary care unless the care setting is icb), or None."""
        return self.bench.get(
            (year, survey_of(care_setting), peer_type, code, care_setting, measure_type, measure_id)
        )

    def peers(
        self, year: int, care_setting: str, measure_type: str, measure_id: str
    ) -> dict[str, Any] | None:
        """The national peer group of a care setting: trusts of that setting, or all ICBs."""
        return self.benchmark(year, "national", NATIONAL, care_setting, measure_type, measure_id)

    # --- domains ----------------------------------------------------------------------------

    def domain_ids(self) -> list[str]:
        """Every domain of any year, by id."""
        return sorted(self.domains["domain_id"].unique())

    def domain_latest(self, domain_id: str) -> dict[str, Any]:
        """A domain's definition from the latest year it appears in."""
        return self._domain_latest[domain_id]

    def domain_years(self, domain_id: str) -> list[int]:
        """The years a domain is assessed in."""
        return sorted(
            int(y) for y in self.domains.loc[self.domains["domain_id"] == domain_id, "year"]
        )

    def domain_path(self, domain_id: str) -> str:
        """The page of a domain, relative to docs_dir."""
        return f"domains/{domain_id}.md"

    def domain_policy(self, year: int) -> dict[str, dict[str, Any]]:
        """Domains whose organisation scores the publication policy withholds in a year:
        {domain_id: treatment row (finest_level, show_unmet_elements, reason)}."""
        return self._withheld_domains.get(year, {})

    def comparability_of(self, domain_id: str, year: int) -> dict[str, Any] | None:
        """A domain's comparability between year and the year before, or None."""
        return self._comparability.get((domain_id, year))

    def score_name(self, year: int, score_id: str) -> str:
        """The display name of a score (a domain, or one of a domain's several scores)."""
        return self._score_names.get((year, score_id)) or self._score_names.get(score_id, score_id)

    def element_text(self, year: int, element_id: str) -> str:
        """The plain words of one scoring element."""
        return self._element_texts.get((year, element_id), element_id)

    def level_elements(self, year: int, score_id: str, level: int) -> list[str]:
        """The plain-words elements of one level of a score, in element order."""
        return self._elements.get((year, score_id, level), [])

    def _index_methodology(self) -> None:
        """Dictionaries over the methodology frames, for lookups in loops."""
        self._withheld_domains: dict[int, dict[str, dict[str, Any]]] = {}
        if self.policy is not None:
            for r in _records(self.policy.withheld_domains()):
                self._withheld_domains.setdefault(int(r["year"]), {})[r["domain_id"]] = r
        self._domain_latest = {
            r["domain_id"]: r for r in _records(self.domains.sort_values(["year", "domain_id"]))
        }
        self._comparability = {(r["domain_id"], r["year"]): r for r in _records(self.comparability)}
        self._score_names: dict[Any, str] = {}
        for r in _records(self.score_defs.sort_values(["year", "score_id"])):
            self._score_names[(r["year"], r["score_id"])] = r["score_name"]
            self._score_names[r["score_id"]] = r["score_name"]
        self._element_texts = {
            (r["year"], r["element_id"]): r["element_text"] for r in _records(self.elements)
        }
        self._elements: dict[tuple, list[str]] = {}
        for r in _records(self.elements.sort_values(["year", "score_id", "level", "element_id"])):
            self._elements.setdefault((r["year"], r["score_id"], r["level"]), []).append(
                r["element_text"]
            )
