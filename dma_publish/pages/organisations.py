"""Organisation pages: one per trust and per ICB, and the A–Z of all organisations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dma_publish.formats import MISSING, WITHHELD, fmt_change, fmt_score, is_missing
from dma_publish.pages.cells import iqr_cell, stat_cell
from dma_publish.pages.markdown import (
    Md,
    is_withheld,
    md_link,
    md_table,
    md_text,
    score_text,
    search_excluded,
    sortable,
)
from dma_publish.pages.render import render
from dma_publish.pages.site import Org, Site, rel
from dma_publish.peergroups import PEER_GROUP_TYPES, aggregates_from

STATUS_WORDS = {
    "comparable": "Comparable",
    "changed": "Changed: not comparable",
    "new": "New this year: not comparable",
    "moved": "Moved between surveys: not comparable",
    "discontinued": "Discontinued",
}


POLICY_PAGE = "about/methodology.md#publication-policy"
AGGREGATE_WORDS = {kind.name: aggregates_from(kind.name) for kind in PEER_GROUP_TYPES}


@dataclass(frozen=True)
class PageLinks:
    """Paths a page links to that other stages decide (charts, data slices)."""

    org_slices: dict[str, str]  # org code -> its data file, relative to docs_dir
    chart: Any  # callable(page, *scope) -> HTML of the charts for that scope, or ""


def pillar_table(site: Site, org: Org, setting: str, year: int) -> Md:
    """Pillar and overall scores of one return against its national care-setting peers."""
    by_pillar = {
        r["pillar_id"]: r for r in site.pillar_rows(org.code, setting) if r["year"] == year
    }
    rows = []
    for pillar_id, name in site.pillars.items():
        if pillar_id not in by_pillar:
            continue
        mine = by_pillar[pillar_id]
        peer = site.peers(year, setting, "pillar", pillar_id)
        rows.append(
            [
                name,
                score_text(mine),
                stat_cell(peer, "median"),
                iqr_cell(peer),
                int(mine["n_scores"]),
            ]
        )
    overall = site.overall(org.code, setting, year)
    if overall is not None:
        peer = site.peers(year, setting, "overall", "overall")
        rows.append(
            [
                Md("**Overall**"),
                Md(f"**{score_text(overall)}**"),
                stat_cell(peer, "median"),
                iqr_cell(peer),
                "",
            ]
        )
    headers = [
        "Pillar",
        "Score",
        "Peer median",
        "Peer middle half (Q1 to Q3)",
        "Number of domain scores",
    ]
    return md_table(headers, rows)


def _domain_order(site: Site, rows: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """Domain score rows in pillar order, then by score name."""
    order = {p: i for i, p in enumerate(site.pillars)}
    return sorted(
        rows,
        key=lambda r: (
            order.get(r["pillar_id"], len(order)),
            site.score_name(year, r["score_id"]).casefold(),
            r["score_id"],
        ),
    )


def domain_table(site: Site, org: Org, setting: str, year: int, page: str) -> Md:
    """Every domain score of one return, with its peers' median.

    Scores are single digits and medians have two decimals, so every column reads well left
    aligned; that keeps the table's HTML small (no style on every cell). Comparability with
    the year before is on each domain's page: this page compares years by pillar."""
    rows = []
    for r in _domain_order(site, site.domain_rows(org.code, setting, year), year):
        peer = site.peers(year, setting, "domain", r["score_id"])
        rows.append(
            [
                md_link(
                    site.score_name(year, r["score_id"]),
                    rel(site.domain_path(r["domain_id"]), page),
                ),
                site.pillars.get(r["pillar_id"], r["pillar_id"]),
                fmt_score(r["score"], 0, bool(r.get("is_suppressed"))),
                stat_cell(peer, "median"),
            ]
        )
    return md_table(["Domain", "Pillar", "Score", "Peer median"], rows)


def _lfl_cell(row: dict[str, Any] | None) -> str:
    """A like-for-like change in a pillar score and how many domain scores it compares."""
    if row is None or is_missing(row["lfl_previous_year"]):
        return MISSING
    if row.get("lfl_is_suppressed"):
        return WITHHELD
    n = int(row["lfl_n_scores"])
    before, after = fmt_score(row["lfl_previous_score"]), fmt_score(row["lfl_score"])
    change = fmt_change(row["lfl_change"])
    return f"{before} → {after}, {change} ({n} comparable domain{'s' if n != 1 else ''})"


def change_table(site: Site, org: Org, setting: str) -> tuple[Md, bool]:
    """Pillar and overall scores in every year (each over that year's full set of domains),
    then the like-for-like change for each pair of years; and whether any change exists."""
    rows = {(r["pillar_id"], r["year"]): r for r in site.pillar_rows(org.code, setting)}
    pairs = [
        (prev, year)
        for prev, year in zip(site.years, site.years[1:], strict=False)
        if any(not is_missing(r["lfl_previous_year"]) and r["year"] == year for r in rows.values())
    ]
    body = []
    for pid, name in site.pillars.items():
        scores = [score_text(rows.get((pid, y))) for y in site.years]
        body.append([name, *scores, *[_lfl_cell(rows.get((pid, y))) for _, y in pairs]])
    overall = [site.overall(org.code, setting, y) for y in site.years]
    body.append(["Overall", *[score_text(o) for o in overall], *[""] * len(pairs)])
    headers = [
        "Pillar",
        *[f"{y}, all domains" for y in site.years],
        *[f"{prev} → {year}, comparable domains only" for prev, year in pairs],
    ]
    return md_table(headers, body), bool(pairs)


def next_level_items(site: Site, org: Org, setting: str, year: int) -> list[Md]:
    """For each domain below level 5 whose policy allows it, the next level's unmet elements."""
    by_score: dict[str, list[dict[str, Any]]] = {}
    for r in site.next_level_rows(org.code, setting, year):
        by_score.setdefault(r["score_id"], []).append(r)
    scores = [r for r in site.domain_rows(org.code, setting, year) if r["score_id"] in by_score]
    items = []
    for score in _domain_order(site, scores, year):
        rows = by_score[score["score_id"]]
        elements = sorted(r["element_id"] for r in rows)
        texts = "; ".join(md_text(site.element_text(year, e)) for e in elements)
        name = md_text(site.score_name(year, score["score_id"]))
        now, level = int(rows[0]["score"]), int(rows[0]["next_level"])
        items.append(Md(f"**{name}**, level {now}. To reach level {level}: {texts}."))
    return items


def _and(names: list[str]) -> str:
    """Names joined in words: a, b and c."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _withheld_split(
    site: Site, org: Org, setting: str, year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A return's withheld domain scores: those the policy names, and those withheld with them
    so that they cannot be worked out from the pillar score."""
    withheld = _domain_order(site, site.withheld_rows(org.code, setting, year), year)
    policy = site.domain_policy(year)
    return (
        [r for r in withheld if r["domain_id"] in policy],
        [r for r in withheld if r["domain_id"] not in policy],
    )


def withheld_note(site: Site, org: Org, returns: list[tuple[str, int]]) -> Md | None:
    """Which domains the publication policy withholds on this page, and why: said once for the
    page, over every care setting's latest return (`returns`: setting and year)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for setting, year in returns:
        policy = site.domain_policy(year)
        for r in _withheld_split(site, org, setting, year)[0]:
            treatment = policy[r["domain_id"]]
            names = groups.setdefault((treatment["finest_level"], treatment["reason"]), [])
            if (name := site.score_name(year, r["score_id"])) not in names:
                names.append(name)
    if not groups and not any(_withheld_split(site, org, s, y)[1] for s, y in returns):
        return None
    parts = [
        f"{md_text(WITHHELD)} means withheld under the publication policy "
        f"({md_link('how and why', rel(POLICY_PAGE, org.path))})."
    ]
    for (level, reason), names in groups.items():
        parts.append(
            md_text(
                f"{_and(names)} {'is' if len(names) == 1 else 'are'} published only as "
                f"{AGGREGATE_WORDS.get(level, 'aggregates')}. {reason}"
            )
        )
    return Md(" ".join(parts))


def withheld_others(site: Site, org: Org, setting: str, year: int) -> Md | None:
    """The domain scores of one return withheld with the policy's own, so that those cannot be
    worked out from the pillar score; None when there are none."""
    others = _withheld_split(site, org, setting, year)[1]
    if not others:
        return None
    pillars = sorted({site.pillars.get(r["pillar_id"], r["pillar_id"]) for r in others})
    names = _and([site.score_name(year, r["score_id"]) for r in others])
    return md_text(
        f"So that the withheld scores cannot be worked out from the {_and(pillars)} pillar "
        f"score, this organisation's other {_and(pillars)} domain scores in this care setting "
        f"are withheld too: {names}."
    )


def withheld_pillars_note(site: Site, org: Org, setting: str, page: str) -> Md | None:
    """Why a pillar score is withheld: only the disclosure audit withholds one, when published
    beside the other figures it would let a withheld domain score be worked out exactly."""
    rows = [r for r in site.pillar_rows(org.code, setting) if is_withheld(r)]
    if not rows:
        return None
    names = _and([f"{r['year']} {site.pillars.get(r['pillar_id'], r['pillar_id'])}" for r in rows])
    audit = md_link("disclosure audit", rel("about/data-quality.md#disclosure-audit", page))
    one = len(rows) == 1
    return Md(
        f"The {md_text(names)} pillar score{' is' if one else 's are'} withheld "
        f"({md_text(WITHHELD)}), and with {'it' if one else 'them'} the overall score of "
        f"{'that year' if one else 'those years'} and the like-for-like changes that use "
        f"{'it' if one else 'them'}: the {audit} found that, published beside the other "
        f"figures, {'it' if one else 'they'} would let withheld domain scores be worked out "
        "exactly."
    )


def _missing_years(site: Site, org: Org, setting: str) -> list[tuple[int, str]]:
    """Years without scores for a care setting, with why: rejected or missing."""
    out = []
    for year in site.years:
        status = site.return_status(org.code, setting, year)
        if status != "scored":
            out.append((year, status))
    return out


def html_href(target: str, page: str) -> str:
    """A link from a page to another, as the built site names it (for raw HTML, which MkDocs
    does not rewrite)."""
    link = rel(target, page)
    return link[: -len(".md")] + ".html" if link.endswith(".md") else link


def _domains_summary(n: int, year: int) -> str:
    """The words that open a return's table of domain scores."""
    return f"{'All ' if n > 1 else ''}{n} domain score{'s' if n != 1 else ''}, {year}, as a table"


def setting_section(
    site: Site, org: Org, setting: str, page: str, links: PageLinks
) -> dict[str, Any]:
    """Everything the template shows for one care setting of an organisation."""
    if not site.pub.has_domains:
        from dma_publish.pages import published

        return published.setting_section(site, org, setting, page, links)
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
    n_domains = len(site.domain_rows(org.code, setting, year))
    section.update(
        pillars=pillar_table(site, org, setting, year),
        n_domains=n_domains,
        domains=domain_table(site, org, setting, year, page),
        change=change_table(site, org, setting),
        withheld_pillars=withheld_pillars_note(site, org, setting, page),
        next_level=next_level_items(site, org, setting, year),
        chart=Md(links.chart(page, "org", org.code, setting, year, embed=("org_pillars",))),
        domain_chart=Md(
            links.chart(
                page,
                "org",
                org.code,
                setting,
                year,
                embed=("org_domains",),
                row_href=lambda domain_id: html_href(site.domain_path(domain_id), page),
                table_summary=_domains_summary(n_domains, year),
            )
        ),
        lfl_chart=Md(links.chart(page, "org", org.code, setting, year, embed=("org_lfl",))),
        withheld_others=withheld_others(site, org, setting, year),
        has_withheld=bool(site.withheld_rows(org.code, setting, year)),
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
                    score_text(overall),
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
    """How the system's trusts' pillar scores spread in each care setting, beside the national
    spread of that setting (settings are never pooled: their pillars use different domains)."""
    rows = []
    measures = [("pillar", pid, name) for pid, name in site.pillars.items()] + [
        ("overall", "overall", site.overall_name)
    ]
    for setting in site.setting_names:
        if setting == "icb":
            continue
        for mtype, mid, name in measures:
            system = site.benchmark(year, "icb_system", icb.code, setting, mtype, mid)
            if system is None:
                continue
            nation = site.peers(year, setting, mtype, mid)
            rows.append(
                [
                    site.setting_name(setting),
                    name,
                    stat_cell(system, "median"),
                    iqr_cell(system),
                    stat_cell(system, "n_orgs"),
                    stat_cell(nation, "median"),
                ]
            )
    headers = [
        "Care setting",
        "Pillar",
        "System median",
        "System middle half (Q1 to Q3)",
        "Trust returns",
        "National median (care setting)",
    ]
    return md_table(headers, rows, "llrrrr")


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
    from dma_publish.pages.releases import corrections_note

    page = org.path
    sections = [setting_section(site, org, s, page, links) for s in org.care_settings]
    latest = [(s["setting"], s["year"]) for s in sections if s.get("year") is not None]
    context: dict[str, Any] = {
        "withheld": withheld_note(site, org, latest) if site.pub.has_domains else None,
        "corrections": corrections_note(site, org),
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
            member_table=search_excluded(sortable(member_table(site, org, site.latest, page))),
            system_table=system_table(site, org, site.latest),
            system_chart=Md(links.chart(page, "icb", org.code, site.latest)),
        )
        return render("icb.md.j2", page, **context)
    return render("trust.md.j2", page, **context)


def organisations_index(site: Site) -> str:
    """The A–Z of every organisation, then organisations by care setting."""
    page = "organisations/index.md"
    year = site.latest
    rows = []
    for o in site.by_name():
        for setting in o.care_settings:
            overall = site.overall(o.code, setting, year)
            rows.append(
                [
                    md_link(o.name, rel(o.path, page)),
                    o.code,
                    "ICB" if o.org_type == "icb" else "Trust",
                    site.setting_name(setting),
                    site.regions.get(o.region_code, o.region_code),
                    score_text(overall),
                ]
            )
    headers = ["Organisation", "Code", "Type", "Care setting", "Region", f"Overall score {year}"]
    az = sortable(md_table(headers, rows))
    settings = [
        (site.setting_name(s), [md_link(o.name, rel(o.path, page)) for o in site.with_setting(s)])
        for s in site.setting_names
    ]
    return render("organisations.md.j2", page, site=site, az=az, settings=settings)
