"""Area pages: home, the national overview, regions and the ICB index."""

from __future__ import annotations

from typing import Any

from dma_publish.formats import MISSING
from dma_publish.pages.cells import iqr_cell, level_counts, stat_cell
from dma_publish.pages.markdown import (
    Md,
    is_withheld,
    level_cell,
    md_link,
    md_table,
    md_text,
    score_text,
    sortable,
)
from dma_publish.pages.organisations import PageLinks, html_href
from dma_publish.pages.render import render
from dma_publish.pages.site import Org, Site, rel

SURVEYS = {
    "secondary_care": "Trusts (secondary care survey)",
    "icb": "Integrated care boards (ICB survey)",
}


def _measures(site: Site) -> list[tuple[str, str, str]]:
    """Pillars in framework order, then the overall score."""
    return [("pillar", pid, name) for pid, name in site.pillars.items()] + [
        ("overall", "overall", site.overall_name)
    ]


def setting_title(site: Site, setting: str) -> str:
    """A care setting's heading: 'Acute trusts', 'Integrated care boards (ICB survey)'."""
    if setting == "icb":
        return SURVEYS["icb"]
    return f"{site.setting_name(setting)} trusts"


def area_pillar_table(site: Site, year: int, setting: str, peer_type: str, code: str) -> Md | None:
    """An area's pillar spread in one care setting beside that setting's national one."""
    rows = []
    for mtype, mid, name in _measures(site):
        area = site.benchmark(year, peer_type, code, setting, mtype, mid)
        nation = site.peers(year, setting, mtype, mid)
        if area is None:
            continue
        rows.append(
            [
                name,
                stat_cell(area, "median"),
                iqr_cell(area),
                stat_cell(area, "n_orgs"),
                stat_cell(nation, "median"),
            ]
        )
    if not rows:
        return None
    headers = ["Pillar", "Median", "Middle half (Q1 to Q3)", "Returns", "National median"]
    return md_table(headers, rows, "lrrrr")


def national_pillar_table(site: Site, year: int, setting: str) -> Md | None:
    """The national spread of pillar scores in one care setting and year."""
    rows = []
    for mtype, mid, name in _measures(site):
        row = site.peers(year, setting, mtype, mid)
        if row is not None:
            rows.append(
                [
                    name,
                    stat_cell(row, "median"),
                    iqr_cell(row),
                    stat_cell(row, "min"),
                    stat_cell(row, "max"),
                    stat_cell(row, "n_orgs"),
                ]
            )
    if not rows:
        return None
    return md_table(
        ["Pillar", "Median", "Middle half (Q1 to Q3)", "Lowest", "Highest", "Returns"],
        rows,
        "lrrrrr",
    )


def setting_table(site: Site, year: int, region: str | None = None) -> Md:
    """Overall scores by care setting: spread and how many returns at each level (rounded)."""
    rows = []
    for setting, name in site.setting_names.items():
        if region is None:
            row = site.peers(year, setting, "overall", "overall")
        else:
            row = site.benchmark(year, "region", region, setting, "overall", "overall")
        if row is not None:
            rows.append(
                [
                    name,
                    stat_cell(row, "n_orgs"),
                    stat_cell(row, "median"),
                    iqr_cell(row),
                    *level_counts(row),
                ]
            )
    headers = [
        "Care setting",
        "Returns",
        "Median",
        "Middle half (Q1 to Q3)",
        *[f"Level {i}" for i in range(1, 6)],
    ]
    return md_table(headers, rows, "lrrr" + "r" * 5)


def returns_table(site: Site) -> Md:
    """Returns scored and rejected in each year, by survey."""
    returns = site.pub.validated.returns
    rows = []
    for year in site.years:
        part = returns[returns["year"] == year]
        icb = part["care_setting"] == "icb"
        scored = part["status"] == "scored"
        rows.append(
            [year, int((scored & ~icb).sum()), int((scored & icb).sum()), int((~scored).sum())]
        )
    return md_table(
        ["Year", "Trust returns scored", "ICB returns scored", "Returns rejected"], rows, "lrrr"
    )


def headline(site: Site) -> dict[str, Any]:
    """The home page's headline figures for the latest year."""
    year = site.latest
    overall = site.pub.scores.overall_scores
    latest = overall[overall["year"] == year]
    settings = []
    for setting in site.setting_names:
        row = site.peers(year, setting, "overall", "overall")
        if row is not None:
            label = "ICBs" if setting == "icb" else setting_title(site, setting)
            settings.append(
                {"label": label, "median": stat_cell(row, "median"), "iqr": iqr_cell(row)}
            )
    return {
        "year": year,
        "n_trusts": int(latest.loc[latest["care_setting"] != "icb", "org_code"].nunique()),
        "n_icbs": int(latest.loc[latest["care_setting"] == "icb", "org_code"].nunique()),
        "settings": settings,
    }


def whats_new(site: Site) -> dict[str, Any]:
    """This release's revision note and the domains new or changed in the latest year."""
    comp = site.comparability
    latest = comp[comp["year"] == site.latest]
    counts = {
        s: int((latest["status"] == s).sum()) for s in ("new", "changed", "moved", "discontinued")
    }
    return {
        "revision": site.release.revisions[-1],
        "counts": counts,
        "has_previous": not latest.empty,
    }


def home_page(site: Site) -> str:
    """The home page: what the DMA is, headline figures, how to find an organisation, caveats."""
    page = "index.md"
    regions = [
        md_link(name, rel(f"regions/{code}.md", page)) for code, name in _regions_by_name(site)
    ]
    settings = [(code, name) for code, name in site.setting_names.items()]
    return render(
        "home.md.j2",
        page,
        site=site,
        head=headline(site),
        new=whats_new(site),
        regions=regions,
        settings=settings,
    )


def _regions_by_name(site: Site) -> list[tuple[str, str]]:
    """Regions A–Z by name."""
    return sorted(site.regions.items(), key=lambda kv: (kv[1].casefold(), kv[0]))


def icb_links(site: Site, page: str) -> Any:
    """Links from a page's chart tables to the ICB pages, by code (the map's rows)."""
    return lambda code: html_href(site.orgs[code].path, page) if code in site.orgs else None


def national_page(site: Site, links: PageLinks) -> str:
    """The national overview: returns, spread by care setting and pillar, in each year."""
    years = []
    for year in reversed(site.years):
        years.append(
            {
                "year": year,
                "settings": setting_table(site, year),
                "chart": Md(
                    links.chart(
                        "national.md", "national", year, row_href=icb_links(site, "national.md")
                    )
                ),
                "surveys": [
                    (setting_title(site, s), t)
                    for s in site.setting_names
                    if (t := national_pillar_table(site, year, s)) is not None
                ],
            }
        )
    return render(
        "national.md.j2",
        "national.md",
        site=site,
        years=years,
        returns=returns_table(site),
    )


def _heat(row: dict[str, Any] | None, digits: int) -> Md | str:
    """A heat-map cell of a pillar or overall score row: [x] without one, [c] when withheld."""
    if row is None:
        return MISSING
    return level_cell(row["score"], is_withheld(row), digits)


def heat_map(site: Site, orgs: list[Org], year: int, page: str) -> Md | None:
    """Organisations by pillars: each return's pillar and overall scores in a year, shaded by
    the level they round to, in a table whose columns sort (A to Z by name to start with)."""
    rows = []
    for org in orgs:
        for setting in org.care_settings:
            scores = {
                r["pillar_id"]: r for r in site.pillar_rows(org.code, setting) if r["year"] == year
            }
            if not scores:
                continue
            overall = site.overall(org.code, setting, year)
            rows.append(
                [
                    Md(
                        f"{md_link(org.name, rel(org.path, page))}<br>"
                        f'<span class="dma-setting">{md_text(site.setting_name(setting))}</span>'
                    ),
                    *[_heat(scores.get(p), site.pillar_digits) for p in site.pillars],
                    _heat(overall, 2),
                ]
            )
    if not rows:
        return None
    headers = ["Organisation and care setting", *site.pillars.values(), "Overall"]
    return sortable(md_table(headers, rows), compact=True)


def region_page(site: Site, code: str, links: PageLinks) -> str:
    """One NHS England region: its ICBs, trusts and how their scores spread."""
    page = f"regions/{code}.md"
    icbs = site.icbs_in(code)
    icb_rows = [
        [md_link(i.name, rel(i.path, page)), i.code, len(site.members(i.code))] for i in icbs
    ]
    trusts = site.trusts_in_region(code)
    trust_rows = [
        [
            md_link(t.name, rel(t.path, page)),
            t.code,
            site.settings_text(t),
            site.orgs[t.icb_code].name,
        ]
        for t in trusts
    ]
    year = site.latest
    tables = [
        (setting_title(site, s), t)
        for s in site.setting_names
        if (t := area_pillar_table(site, year, s, "region", code)) is not None
    ]
    ons = site.pub.reference.regions.set_index("region_code").loc[code, "ons_code"]
    return render(
        "region.md.j2",
        page,
        site=site,
        code=code,
        name=site.regions[code],
        ons=ons,
        year=year,
        icbs=icbs,
        trusts=trusts,
        icb_table=md_table(["ICB", "Code", "Trusts"], icb_rows, "llr"),
        trust_table=md_table(["Trust", "Code", "Care settings", "ICB"], trust_rows),
        pillar_tables=tables,
        settings=setting_table(site, year, code),
        chart=Md(links.chart(page, "region", code, year, row_href=icb_links(site, page))),
        trust_heat=heat_map(site, trusts, year, page),
        icb_heat=heat_map(site, icbs, year, page),
    )


def regions_index(site: Site) -> str:
    """All regions, A–Z, with their ICBs and trusts counted."""
    page = "regions/index.md"
    rows = [
        [
            md_link(name, rel(f"regions/{code}.md", page)),
            code,
            len(site.icbs_in(code)),
            len(site.trusts_in_region(code)),
        ]
        for code, name in _regions_by_name(site)
    ]
    return render(
        "regions.md.j2", page, table=md_table(["Region", "Code", "ICBs", "Trusts"], rows, "llrr")
    )


def icbs_index(site: Site) -> str:
    """All ICBs, A–Z, with their region and number of trusts."""
    page = "icbs/index.md"
    year = site.latest
    rows = []
    for i in site.by_name("icb"):
        own = site.overall(i.code, "icb", year)
        rows.append(
            [
                md_link(i.name, rel(i.path, page)),
                i.code,
                site.regions.get(i.region_code, i.region_code),
                len(site.members(i.code)),
                score_text(own),
            ]
        )
    headers = [
        "ICB",
        "Code",
        "Region",
        "Trusts",
        f"ICB's own overall score {year}",
    ]
    return render("icbs.md.j2", page, year=year, table=sortable(md_table(headers, rows, "lllrr")))
