"""Domain pages: what each level requires, comparability, and how organisations spread."""

from __future__ import annotations

from typing import Any

from dma_publish.pages.cells import level_counts, stat_cell
from dma_publish.pages.markdown import Md, md_link, md_table, search_excluded
from dma_publish.pages.organisations import AGGREGATE_WORDS, POLICY_PAGE, STATUS_WORDS, PageLinks
from dma_publish.pages.render import render
from dma_publish.pages.site import Site, rel

SURVEY_NAMES = {"secondary_care": "Secondary care (trusts)", "icb": "Integrated care boards"}


def _score_ids(site: Site, domain_id: str, year: int) -> list[str]:
    """The scores a domain yields in a year, by id."""
    d = site.score_defs
    return sorted(d.loc[(d["domain_id"] == domain_id) & (d["year"] == year), "score_id"])


def levels(site: Site, year: int, score_id: str) -> list[dict[str, Any]]:
    """Levels 1 to 5 of one score: the elements each level adds."""
    return [{"level": n, "elements": site.level_elements(year, score_id, n)} for n in range(1, 6)]


def _distribution_rows(site: Site, domain: dict[str, Any], score_id: str) -> list[list[Any]]:
    """Returns at each level, by year and care setting."""
    rows = []
    for year in site.domain_years(domain["domain_id"]):
        for setting in domain["care_settings"]:
            row = site.peers(year, setting, "domain", score_id)
            if row is not None:
                rows.append(
                    [
                        year,
                        site.setting_name(setting),
                        stat_cell(row, "n_orgs"),
                        *level_counts(row),
                        stat_cell(row, "median"),
                    ]
                )
    return rows


def distribution_table(site: Site, domain: dict[str, Any], score_id: str) -> Md | None:
    """How many returns sit at each level of a score, by year and care setting."""
    rows = _distribution_rows(site, domain, score_id)
    if not rows:
        return None
    headers = ["Year", "Care setting", "Returns", *[f"Level {i}" for i in range(1, 6)], "Median"]
    return md_table(headers, rows, "llr" + "r" * 5 + "r")


def region_table(site: Site, domain: dict[str, Any], score_id: str, year: int) -> Md | None:
    """How returns in each region and care setting sit across the levels (settings apart: a
    domain's questions can differ between settings, and a trust counts once in a group)."""
    rows = []
    for code, name in sorted(site.regions.items(), key=lambda kv: (kv[1].casefold(), kv[0])):
        for setting in domain["care_settings"]:
            row = site.benchmark(year, "region", code, setting, "domain", score_id)
            if row is not None:
                rows.append(
                    [
                        name,
                        site.setting_name(setting),
                        stat_cell(row, "n_orgs"),
                        *level_counts(row),
                        stat_cell(row, "median"),
                    ]
                )
    if not rows:
        return None
    headers = ["Region", "Care setting", "Returns", *[f"Level {i}" for i in range(1, 6)], "Median"]
    return md_table(headers, rows, "llr" + "r" * 5 + "r")


def comparability_rows(site: Site, domain_id: str) -> list[list[Any]]:
    """A domain's comparability with the year before, for each year that has one."""
    c = site.comparability
    hit = c[c["domain_id"] == domain_id].sort_values("year")
    return [
        [
            f"{r['previous_year']} to {r['year']}",
            STATUS_WORDS.get(r["status"], r["status"]),
            r["reason"],
        ]
        for r in hit.to_dict("records")
    ]


def pillar_descriptions(site: Site, survey: str, pillar_id: str) -> tuple[Md | None, str]:
    """The official pillar-level descriptions of levels 1 to 5, and their attribution."""
    d = site.level_descriptions
    hit = d[(d["survey"] == survey) & (d["pillar_id"] == pillar_id)].sort_values("level")
    if hit.empty:
        return None, ""
    rows = [[int(r["level"]), r["level_description"]] for r in hit.to_dict("records")]
    return md_table(["Level", "Description of the pillar at this level"], rows, "rl"), str(
        hit["attribution"].iloc[0]
    )


def domain_page(site: Site, domain_id: str, links: PageLinks) -> str:
    """The page of one domain."""
    page = site.domain_path(domain_id)
    domain = site.domain_latest(domain_id)
    year = int(domain["year"])
    scores = [
        {
            "id": s,
            "name": site.score_name(year, s),
            "levels": levels(site, year, s),
            "distribution": search_excluded(t)
            if (t := distribution_table(site, domain, s))
            else None,
            "regions": search_excluded(t) if (t := region_table(site, domain, s, year)) else None,
            "chart": Md(links.chart(page, "domain", s)),
        }
        for s in (_score_ids(site, domain_id, year) if domain["is_scoring"] else [])
    ]
    described, attribution = pillar_descriptions(site, domain["survey"], domain["pillar_id"])
    comp = comparability_rows(site, domain_id)
    return render(
        "domain.md.j2",
        page,
        site=site,
        domain=domain,
        year=year,
        scores=scores,
        pillar=site.pillars.get(domain["pillar_id"], domain["pillar_id"]),
        survey=SURVEY_NAMES.get(domain["survey"], domain["survey"]),
        settings=", ".join(site.setting_name(s) for s in domain["care_settings"]),
        years=site.domain_years(domain_id),
        comparability=md_table(["Years", "Comparability", "Reason"], comp) if comp else None,
        described=described,
        attribution=attribution,
        withheld=site.domain_policy(year).get(domain_id),
        aggregate_words=AGGREGATE_WORDS,
        policy_page=POLICY_PAGE,
        description=f"{domain['domain_name']}: a domain of the {site.pillars.get(domain['pillar_id'], '')} pillar "
        "in the Digital Maturity Assessment. What each level requires and how organisations are spread.",
    )


def domains_index(site: Site) -> str:
    """Every domain, grouped by pillar in framework order, A–Z within a pillar."""
    page = "domains/index.md"
    groups = []
    for pillar_id, pillar in site.pillars.items():
        rows = []
        domains = [site.domain_latest(d) for d in site.domain_ids()]
        for d in sorted(
            (d for d in domains if d["pillar_id"] == pillar_id),
            key=lambda d: (d["domain_name"].casefold(), d["domain_id"]),
        ):
            comp = site.comparability_of(d["domain_id"], site.latest)
            rows.append(
                [
                    md_link(d["domain_name"], rel(site.domain_path(d["domain_id"]), page)),
                    SURVEY_NAMES.get(d["survey"], d["survey"]),
                    "Yes" if d["is_scoring"] else "No (context only)",
                    ", ".join(str(y) for y in site.domain_years(d["domain_id"])),
                    STATUS_WORDS.get(comp["status"], comp["status"]) if comp else "",
                ]
            )
        if rows:
            headers = [
                "Domain",
                "Survey",
                "Scored",
                "Years",
                f"{site.latest} compared with {site.latest - 1}",
            ]
            groups.append((pillar, md_table(headers, rows)))
    return render("domains.md.j2", page, site=site, groups=groups)
