"""Page parts for input of the published-scores granularity (e.g. NHS England's own results).

There are no domain scores: an organisation's section shows its published pillar scores against
its care-setting peers and the publisher's own overall score over comparable domains for each
year, with the publisher's footnote. Nothing is recomputed from the pillars.
"""

from __future__ import annotations

from typing import Any

from dma_publish.formats import MISSING, fmt_change, fmt_score
from dma_publish.pages.cells import iqr_cell, stat_cell
from dma_publish.pages.markdown import Md, front_matter, md_table
from dma_publish.publication import Publication

OVERALL_NAME = "Overall score over comparable domains"
# Findings of the import shown on the organisation's own page (all are on the data-quality page).
NOTE_RULES = ("identical_setting_scores", "ics_differs_from_ods")


def footnote(site: Any) -> str:
    """The publisher's footnote on the comparable-domains overall score."""
    prov = site.pub.provenance or {}
    return prov.get("comparable_footnote", "")


def pillar_table(site: Any, code: str, setting: str, year: int) -> Md:
    """Published pillar scores of one organisation and care setting against its peers."""
    mine = {r["pillar_id"]: r for r in site.pillar_rows(code, setting) if r["year"] == year}
    rows = []
    for pillar_id, name in site.pillars.items():
        if pillar_id in mine:
            peer = site.peers(year, setting, "pillar", pillar_id)
            rows.append(
                [
                    name,
                    fmt_score(mine[pillar_id]["score"], site.pillar_digits),
                    stat_cell(peer, "median"),
                    iqr_cell(peer),
                ]
            )
    return md_table(["Pillar", "Score", "Peer median", "Peer middle half (Q1 to Q3)"], rows, "lrrr")


def overall_table(site: Any, code: str, setting: str) -> Md:
    """The comparable-domains overall score in each year, its change and the peers' medians."""
    scores = {y: site.overall(code, setting, y) for y in site.years}
    rows = []
    for year in site.years:
        peer = site.peers(year, setting, "overall", "overall")
        row = scores[year]
        rows.append(
            [str(year), fmt_score(row["score"]) if row else MISSING, stat_cell(peer, "median")]
        )
    first, last = scores[site.years[0]], scores[site.years[-1]]
    if first and last and len(site.years) > 1:
        rows.append(
            [
                f"Change, {site.years[0]} to {site.years[-1]}",
                fmt_change(last["score"] - first["score"]),
                "",
            ]
        )
    return md_table(["Year", OVERALL_NAME, "Peer median"], rows, "lrr")


def setting_section(site: Any, org: Any, setting: str, page: str, links: Any) -> dict[str, Any]:
    """What the template shows for one care setting when only published scores exist."""
    years = [y for y in site.years if site.has_return(org.code, setting, y)]
    pillar_years = sorted({int(r["year"]) for r in site.pillar_rows(org.code, setting)})
    year = pillar_years[-1] if pillar_years else None
    section: dict[str, Any] = {
        "published": True,
        "setting": setting,
        "name": site.setting_name(setting),
        "year": year,
        "missing": [],
        "peers": "all ICBs"
        if setting == "icb"
        else f"all {site.setting_name(setting).lower()} trusts",
        "overall_name": OVERALL_NAME,
        "footnote": footnote(site),
    }
    issues = site.pub.validated.issues
    mine = issues[(issues["org_code"] == org.code) & issues["rule"].isin(NOTE_RULES)]
    if setting == org.care_settings[0]:
        section["notes"] = [
            m.replace(" Published as in the workbook.", "") for m in mine["message"]
        ]
    if year is None and not years:
        section["year"] = None
        return section
    section.update(
        pillars=pillar_table(site, org.code, setting, year) if year is not None else None,
        chart=Md(links.chart(page, "org", org.code, setting, year, embed=("org_pillars",)))
        if year is not None
        else "",
        overall=overall_table(site, org.code, setting),
    )
    return section


def data_quality_page(pub: Publication) -> str:
    """The data-quality statement of a publication built from published scores."""
    from dma_publish.pages.disclosure import audit_section
    from dma_publish.pages.markdown import md_text

    prov = pub.provenance
    rec = prov["reconciliation"]
    issues = pub.validated.issues
    sheets = md_table(
        ["Sheet (exact name)", "State", "Header row", "Data rows", "Excel rows", "Published"],
        [
            [
                Md("`" + s["name"].replace("`", "") + "`"),
                s["state"],
                str(s["header_row"]),
                str(s["data_rows"]),
                f"{s['first_data_row']} to {s['last_data_row']}",
                "yes" if s["published"] else "no",
            ]
            for s in prov["sheets"]
        ],  # fmt: skip
        "llrrll",
    )
    findings = md_table(
        ["Severity", "Where", "Rule", "Finding"],
        [[r["severity"], r["column"], r["rule"], r["message"]] for r in issues.to_dict("records")],
        "llll",
    )
    link = (
        f"[{md_text(prov['source_url'])}]({prov['source_url']})"
        if prov.get("source_url")
        else "NHS England"
    )
    lines = [
        front_matter(
            "Data quality",
            "Where the official Digital Maturity Assessment results on this site come from, "
            "how they were checked and matched to organisation codes, and what was found.",
        ),
        "# Data quality",
        "",
        "## Source",
        "",
        f"Official statistics published by NHS England on {md_text(prov['publication_date'])}: the "
        f"Digital Maturity Assessment results data file, re-published here with organisation codes. "
        f"Source: {link}.",
        "",
        "- File: " + md_text(prov["file_name"]) + f" ({prov['bytes']:,} bytes)",
        f"- SHA-256: `{prov['sha256']}`",
        f"- Release: version {md_text(str(pub.release.version))}; inputs hash `{pub.inputs_hash}`",
        "- Licence: Source: NHS England, Digital Maturity Assessment 2024 and 2025 results. Contains "
        "public sector information licensed under the Open Government Licence v3.0. Organisation "
        "codes: ODS (NHS England) and ONS (Office for National Statistics), Open Government Licence v3.0.",
        "",
        "NHS England publishes pillar scores for 2025 (to 1 decimal place) and an overall score over "
        "the domains comparable between 2024 and 2025, for each trust and care setting and for each "
        "ICB. It publishes no domain scores, so this site has no domain pages.",
        "",
        "## Reproducibility",
        "",
        "The pages and downloads are generated by one program from the workbook and the committed "
        "organisation codes. The footer of every page, under Provenance, records the inputs hash; "
        "the same inputs always produce the same outputs, byte for byte.",
        "",
        "## Sheets read",
        "",
        sheets,
        "",
        "Each sheet's header row was found by its content; title, note, footer and blank rows were "
        "dropped. Every Provider, ICS and Region name was matched to exactly one organisation in "
        "the committed reference; an unmatched name would have stopped the import.",
        "",
        "## Reconciliation",
        "",
        f"Data rows read: {rec['rows_read']} = rows published {rec['rows_published']} + rows left "
        f"out and reported {rec['rows_left_out']}. Title, note, footer and blank rows dropped: "
        f"{rec['non_data_rows_dropped']}.",
        "",
        "## The hidden primary-care sheet",
        "",
        md_text(_primary_care_reason()),
        "",
        "## Findings",
        "",
        "Surprising but legitimate facts found by the import, kept as published. Trusts that the "
        "file places in another ICB than ODS does are shown in the file's ICB.",
        "",
        findings,
        "",
        audit_section(pub),
    ]
    return "\n".join(lines)


def _primary_care_reason() -> str:
    from dma_publish.official import PRIMARY_CARE_REASON

    return PRIMARY_CARE_REASON


def methodology_page(pub: Publication) -> str:
    """The methodology statement of a publication built from published scores."""
    from dma_publish.pages.markdown import md_text

    prov = pub.provenance
    pillars = ", ".join(pub.methodology.pillars.sort_values("pillar_order")["pillar_name"])
    return "\n".join(
        [
            front_matter(
                "Methodology",
                "How NHS England's published Digital Maturity Assessment scores were re-published "
                "here: what the scores are, how names were matched to codes, and how peers are "
                "compared.",
            ),
            "# Methodology",
            "",
            "## The scores",
            "",
            "The Digital Maturity Assessment (DMA) is NHS England's yearly self-assessment. Each trust "
            "answers a survey for each of its care settings and each integrated care board (ICB) answers "
            "its own; answers are scored from 1 to 5 in about 47 domains, grouped into the seven pillars "
            f"of the What Good Looks Like framework ({md_text(pillars)}).",
            "",
            f"This site re-publishes NHS England's own results of {md_text(prov['publication_date'])}. "
            "NHS England publishes, for each trust and care setting and for each ICB, the 2025 pillar "
            "scores (to 1 decimal place) and an overall score over only the domains comparable between "
            "2024 and 2025, for both years. Nothing is recomputed here: the pillar scores are shown as "
            "published, and the overall scores are rounded once, to 2 decimal places, in the downloads, "
            "which the pages and charts show. The change shown from one year to the next is the "
            "difference of the two overall scores as published, so it can be checked from the "
            "downloads.",
            "",
            "Note from NHS England on the overall score: "
            + md_text(prov.get("comparable_footnote", "")),
            "",
            "## Organisation codes",
            "",
            "The file names organisations but gives no codes. Every Provider, ICS and Region name was "
            "matched to exactly one ODS code (NHS England, July 2025) and, for ICBs and regions, ONS "
            "code (Office for National Statistics), through a committed reference with its sources and "
            "decisions. Names are shown in proper case from that reference. Where the file places a trust "
            "in another ICB than ODS does, the file's ICB is used and the difference is listed on the "
            "[data quality](data-quality.md) page.",
            "",
            "## Peers and benchmarks",
            "",
            "NHS England advises that data can usually be compared within the same care setting. Each "
            "organisation's scores are shown beside the median and middle half (quartiles) of the same "
            "care setting nationally, or of all ICBs for an ICB. Area pages show how scores spread in a "
            "region or ICB system, one care setting at a time: a trust with two care settings is in "
            "each setting's groups once, never twice in one group, and no benchmark pools settings. "
            "Quartiles are type 7 (R's default, Excel's QUARTILE.INC). There are no ranks: this is not "
            "a league table.",
            "",
            "## Publication policy",
            "",
            "Every organisation score on this site is already published by NHS England, so nothing is "
            "withheld and aggregates describe any number of organisations.",
            "",
        ]
    )
