"""Organisation pages: one per trust and per ICB, and the A–Z of all organisations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dma_publish.pages.cells import iqr_cell, stat_cell
from dma_publish.pages.markdown import (
    MISSING,
    WITHHELD,
    Md,
    fmt_change,
    fmt_score,
    md_link,
    md_table,
    md_text,
    search_excluded,
)
from dma_publish.pages.render import render
from dma_publish.pages.site import Org, Site, rel

STATUS_WORDS = {
    "comparable": "Comparable",
    "changed": "Changed: not comparable",
    "new": "New this year: not comparable",
    "moved": "Moved between surveys: not comparable",
    "discontinued": "Discontinued",
}


@dataclass(frozen=True)
class PageLinks:
    """Paths a page links to that other stages decide (charts, data slices)."""

    org_slices: dict[str, str]  # org code -> its data file, relative to docs_dir
    chart: Any  # callable(page, *scope) -> HTML of the charts for that scope, or ""


def pillar_table(site: Site, org: Org, setting: str, year: int) -> Md:
    """Pillar and overall scores of one return against its national care-setting peers."""
    pillars = site.org_frame("pillar_scores", org.code)
    pillars = pillars[(pillars["care_setting"] == setting) & (pillars["year"] == year)]
    by_pillar = {r["pillar_id"]: r for r in pillars.to_dict("records")}
    rows = []
    for pillar_id, name in site.pillars.items():
        if pillar_id not in by_pillar:
            continue
        mine = by_pillar[pillar_id]
        peer = site.peers(year, setting, "pillar", pillar_id)
        rows.append(
            [
                name,
                fmt_score(mine["score"]),
                stat_cell(peer, "median"),
                iqr_cell(peer),
                stat_cell(peer, "n_orgs"),
                int(mine["n_scores"]),
            ]
        )
    overall = site.overall(org.code, setting, year)
    if overall is not None:
        peer = site.peers(year, setting, "overall", "overall")
        rows.append(
            [
                Md("**Overall**"),
                Md(f"**{fmt_score(overall['score'])}**"),
                stat_cell(peer, "median"),
                iqr_cell(peer),
                stat_cell(peer, "n_orgs"),
                "",
            ]
        )
    headers = [
        "Pillar",
        "Score",
        "Peer median",
        "Peer middle half (Q1 to Q3)",
        "Peer organisations",
        "Domain scores",
    ]
    return md_table(headers, rows, "lrrrrr")


def _level_meaning(site: Site, year: int, score_id: str, score: Any) -> str:
    """What a domain score says is in place, in the methodology's plain words."""
    if pd.isna(score):
        return ""
    level = int(score)
    if level == 1:
        return "Level 1, the starting level: not every level 2 element is in place."
    elements = site.level_elements(year, score_id, level)
    return f"Level {level}: " + "; ".join(elements) + "." if elements else f"Level {level}."


def _comparability_words(site: Site, domain_id: str, year: int) -> str:
    """Whether a domain's score can be compared with the year before, in words."""
    comp = site.comparability_of(domain_id, year)
    if comp is None:
        return "No earlier year"
    return f"{STATUS_WORDS.get(comp['status'], comp['status'])} (with {comp['previous_year']})"


def _domain_order(site: Site, frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Domain score rows in pillar order, then by score name."""
    order = {p: i for i, p in enumerate(site.pillars)}
    out = frame.assign(
        _pillar=frame["pillar_id"].map(order),
        _name=[site.score_name(year, s).casefold() for s in frame["score_id"]],
    )
    return out.sort_values(["_pillar", "_name", "score_id"])


def domain_table(site: Site, org: Org, setting: str, year: int, page: str) -> Md:
    """Every domain score of one return: score, peer median, meaning and comparability."""
    df = site.org_frame("domain_scores", org.code)
    df = df[(df["care_setting"] == setting) & (df["year"] == year)]
    rows = []
    for r in _domain_order(site, df, year).to_dict("records"):
        withheld = bool(r.get("is_suppressed", False))
        peer = site.peers(year, setting, "domain", r["score_id"])
        rows.append(
            [
                md_link(
                    site.score_name(year, r["score_id"]),
                    rel(site.domain_path(r["domain_id"]), page),
                ),
                site.pillars.get(r["pillar_id"], r["pillar_id"]),
                fmt_score(r["score"], 0, withheld),
                stat_cell(peer, "median"),
                "" if withheld else _level_meaning(site, year, r["score_id"], r["score"]),
                _comparability_words(site, r["domain_id"], year),
            ]
        )
    headers = [
        "Domain",
        "Pillar",
        "Score",
        "Peer median",
        "What the level means",
        f"Compared with {year - 1}",
    ]
    return md_table(headers, rows, "llrrll")


def lfl_table(site: Site, org: Org, setting: str) -> Md | None:
    """Like-for-like change: pillar scores over only the domains comparable in both years."""
    df = site.org_frame("pillar_scores", org.code)
    df = df[(df["care_setting"] == setting) & df["lfl_previous_year"].notna()]
    if df.empty:
        return None
    order = {p: i for i, p in enumerate(site.pillars)}
    df = df.assign(_o=df["pillar_id"].map(order)).sort_values(["year", "_o"])
    rows = []
    for r in df.to_dict("records"):
        prev, year = int(r["lfl_previous_year"]), int(r["year"])
        withheld = bool(r.get("lfl_is_suppressed", False))
        change = r["lfl_score"] - r["lfl_previous_score"]
        rows.append(
            [
                f"{prev} to {year}",
                site.pillars.get(r["pillar_id"], r["pillar_id"]),
                fmt_score(r["lfl_previous_score"], withheld=withheld),
                fmt_score(r["lfl_score"], withheld=withheld),
                WITHHELD if withheld else fmt_change(change),
                WITHHELD if withheld else fmt_score(r["lfl_n_scores"], 0),
            ]
        )
    headers = ["Years", "Pillar", "Earlier year", "Later year", "Change", "Domain scores compared"]
    return md_table(headers, rows, "llrrrr")


def years_table(site: Site, org: Org, setting: str) -> Md:
    """Pillar and overall scores in every year, each over that year's full set of domains."""
    df = site.org_frame("pillar_scores", org.code)
    df = df[df["care_setting"] == setting]
    scores = {(r["pillar_id"], r["year"]): r["score"] for r in df.to_dict("records")}
    rows = [
        [name] + [fmt_score(scores.get((pid, y))) for y in site.years]
        for pid, name in site.pillars.items()
    ]
    overall = [site.overall(org.code, setting, y) for y in site.years]
    rows.append(["Overall"] + [fmt_score(o["score"]) if o else MISSING for o in overall])
    return md_table(["Pillar", *[str(y) for y in site.years]], rows, "l" + "r" * len(site.years))


def next_level_items(site: Site, org: Org, setting: str, year: int, page: str) -> list[Md]:
    """For each domain below level 5, the elements of the next level not yet in place."""
    df = site.next_level.get(org.code)
    if df is None:
        return []
    df = df[(df["care_setting"] == setting) & (df["year"] == year)]
    items = []
    for (score_id, domain_id), part in df.groupby(["score_id", "domain_id"], sort=True):
        texts = [site.element_text(year, e) for e in sorted(part["element_id"])]
        level = int(part["next_level"].iloc[0])
        link = md_link(site.score_name(year, score_id), rel(site.domain_path(domain_id), page))
        items.append(Md(f"{link}, level {level}: " + "; ".join(md_text(t) for t in texts) + "."))
    return items


def _missing_years(site: Site, org: Org, setting: str) -> list[tuple[int, str]]:
    """Years without scores for a care setting, with why: rejected or missing."""
    out = []
    for year in site.years:
        status = site.return_status(org.code, setting, year)
        if status != "scored":
            out.append((year, status))
    return out


def setting_section(
    site: Site, org: Org, setting: str, page: str, links: PageLinks
) -> dict[str, Any]:
    """Everything the template shows for one care setting of an organisation."""
    scored = [y for y in site.years if site.has_return(org.code, setting, y)]
    year = scored[-1] if scored else None
    section: dict[str, Any] = {
        "setting": setting,
        "name": site.setting_name(setting),
        "year": year,
        "missing": _missing_years(site, org, setting),
        "peers": "all ICBs"
        if setting == "icb"
        else f"all {site.setting_name(setting).lower()} trusts",
    }
    if year is None:
        return section
    section.update(
        pillars=pillar_table(site, org, setting, year),
        domains=search_excluded(domain_table(site, org, setting, year, page)),
        lfl=lfl_table(site, org, setting),
        by_year=years_table(site, org, setting),
        next_level=next_level_items(site, org, setting, year, page),
        chart=Md(links.chart(page, "org", org.code, setting, year)),
        withheld=site.has_withheld(org.code, setting, year),
    )
    return section


def member_table(site: Site, icb: Org, year: int, page: str) -> Md:
    """The ICB system's trusts, A–Z, with each care setting's overall score and its peers' median."""
    rows = []
    for trust in site.members(icb.code):
        for setting in trust.care_settings:
            overall = site.overall(trust.code, setting, year)
            peer = site.peers(year, setting, "overall", "overall")
            rows.append(
                [
                    md_link(trust.name, rel(trust.path, page)),
                    trust.code,
                    site.setting_name(setting),
                    fmt_score(overall["score"]) if overall else MISSING,
                    stat_cell(peer, "median"),
                ]
            )
    headers = [
        "Trust",
        "Code",
        "Care setting",
        f"Overall score {year}",
        "National median (care setting)",
    ]
    return md_table(headers, rows, "lllrr")


def system_table(site: Site, icb: Org, year: int) -> Md:
    """How the system's trusts' pillar scores spread, beside the national spread."""
    rows = []
    measures = [("pillar", pid, name) for pid, name in site.pillars.items()] + [
        ("overall", "overall", "Overall")
    ]
    for mtype, mid, name in measures:
        system = site.area_bench(year, "secondary_care", "icb_system", icb.code, mtype, mid)
        nation = site.area_bench(year, "secondary_care", "national", "ENG", mtype, mid)
        if system is None and nation is None:
            continue
        rows.append(
            [
                name,
                stat_cell(system, "median"),
                iqr_cell(system),
                stat_cell(system, "n_orgs"),
                stat_cell(nation, "median"),
            ]
        )
    headers = [
        "Pillar",
        "System median",
        "System middle half (Q1 to Q3)",
        "Trust returns",
        "National median",
    ]
    return md_table(headers, rows, "lrrrr")


def _description(site: Site, org: Org) -> str:
    """The meta description of an organisation page."""
    kind = "integrated care board" if org.org_type == "icb" else "NHS trust"
    return (
        f"Digital Maturity Assessment scores of {org.name} ({org.code}), an {kind} in "
        f"{site.regions.get(org.region_code, org.region_code)}: pillar and domain scores "
        f"against peers, change over time and the data."
    )


def organisation_page(site: Site, org: Org, links: PageLinks) -> str:
    """The page of one trust or ICB."""
    page = org.path
    sections = [setting_section(site, org, s, page, links) for s in org.care_settings]
    context: dict[str, Any] = {
        "site": site,
        "org": org,
        "icb": site.orgs.get(org.icb_code),
        "region_name": site.regions.get(org.region_code, org.region_code),
        "sections": sections,
        "slice": links.org_slices.get(org.code),
        "description": _description(site, org),
    }
    if org.org_type == "icb":
        context.update(
            members=site.members(org.code),
            member_table=search_excluded(member_table(site, org, site.latest, page)),
            system_table=system_table(site, org, site.latest),
            system_chart=Md(links.chart(page, "icb", org.code, site.latest)),
        )
        return render("icb.md.j2", page, **context)
    return render("trust.md.j2", page, **context)


def organisations_index(site: Site) -> str:
    """The A–Z of every organisation, then organisations by care setting."""
    page = "organisations/index.md"
    rows = [
        [
            md_link(o.name, rel(o.path, page)),
            o.code,
            "ICB" if o.org_type == "icb" else "Trust",
            site.settings_text(o),
            site.regions.get(o.region_code, o.region_code),
        ]
        for o in site.by_name()
    ]
    az = md_table(["Organisation", "Code", "Type", "Care settings", "Region"], rows)
    settings = [
        (site.setting_name(s), [md_link(o.name, rel(o.path, page)) for o in site.with_setting(s)])
        for s in site.setting_names
    ]
    return render("organisations.md.j2", page, site=site, az=az, settings=settings)
