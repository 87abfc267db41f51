"""Versions and corrections on the site: the revisions page, one page per version with values,
the correction notice on an organisation's page, and the Atom feed of releases and corrections.

Everything here reads `Publication.history` (dma_publish.releases): the change records are
already free of withheld values, and nothing here adds any.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import pandas as pd

from dma_publish import opendata
from dma_publish.pages.markdown import (
    Md,
    fmt_bytes,
    front_matter,
    md_link,
    md_table,
    md_text,
    search_excluded,
)
from dma_publish.pages.site import Site, rel
from dma_publish.registry import FIELDS

REVISIONS = "revisions.md"
FEED = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
KIND_WORDS = {"scheduled": "Scheduled release", "correction": "Correction"}
CHANGE_WORDS = {
    "now_withheld": "now withheld (neither value is shown)",
    "no_longer_withheld": "no longer withheld (neither value is shown)",
}
_MEASURE_WORDS = {"domain": "domain", "pillar": "pillar", "overall": ""}


def version_page_path(version: str) -> str:
    """The page of one version, relative to docs_dir."""
    return f"releases/{version}.md"


def version_zip_path(version: str) -> str:
    """A version's whole-dataset zip at its stable address, relative to docs_dir."""
    return f"releases/{version}/dma-open-data-{version}.zip"


def changes_anchor(version: str) -> str:
    """The revisions page's heading id for the changes a version made."""
    return "changes-" + version.replace(".", "-")


def _history(site: Site) -> Any:
    return site.pub.history


def _value(text: Any) -> str:
    return "" if pd.isna(text) else str(text)


def _column_words(column: str) -> str:
    """A value column's title, lower case after the first word (as a phrase)."""
    title = FIELDS[column].title if column in FIELDS else column
    return title[:1].lower() + title[1:] if not title.isupper() else title


def change_text(row: Any) -> str:
    """One change as words: 'pillar score 2.40 → 2.60', 'mean added: 2.31'."""
    column = _column_words(row.value_column)
    old, new = _value(row.old_value), _value(row.new_value)
    if row.change_type == "changed":
        return f"{column} {old} → {new}"
    if row.change_type == "added":
        return f"{column} added: {new}" if new else f"{column} added (withheld)"
    if row.change_type == "removed":
        return f"{column} removed (was {old})" if old else f"{column} removed"
    return f"{column} {CHANGE_WORDS[row.change_type]}"


def _measure(site: Site, row: Any) -> str:
    """What was measured: 'Safe Practice (pillar)', 'Overall score', 'Care Coordination (domain)'."""
    words = _MEASURE_WORDS.get(row.measure_type, "")
    return f"{row.measure_name} ({words})" if words else str(row.measure_name)


def _grouped(changes: pd.DataFrame) -> list[tuple[Any, list[Any]]]:
    """Change records grouped by the value's owner and measure (one line each), in key order."""
    keys = ["unit_type", "unit_code", "year", "care_setting", "measure_type", "measure_id"]
    groups: dict[tuple, list[Any]] = {}
    for row in changes.itertuples(index=False):
        groups.setdefault(tuple(getattr(row, k) for k in keys), []).append(row)
    return [(rows[0], rows) for rows in groups.values()]


def _org_link(site: Site, code: str, name: str, page: str) -> Md:
    org = site.orgs.get(code)
    return md_link(org.name, rel(org.path, page)) if org is not None else md_text(name)


# --- the revisions page ------------------------------------------------------------------------


def revisions_page(site: Site) -> str:
    """The revision policy, every version (with its files), the changes each made, and the log."""
    from dma_publish.pages.render import render

    history = _history(site)
    page = REVISIONS
    return render(
        "revisions.md.j2",
        page,
        site=site,
        versions=_versions_table(site, history, page),
        changes=[_changes_section(site, history, v, page) for v in _compared(history)],
        not_compared=_not_compared(history),
        log=md_table(
            ["Version", "Date", "Kind", "What changed"],
            [
                [r.version, r.date.isoformat(), KIND_WORDS[getattr(r, "kind", "scheduled")], r.note]
                for r in reversed(site.release.revisions)
            ],
        ),
        feed=rel(FEED, page),
    )


def _versions_table(site: Site, history: Any, page: str) -> Md:
    rows = []
    versions = history.versions if history is not None else ()
    for v in reversed(versions):
        if v.is_current:
            status = "Current"
            files = [
                md_link("downloads", rel("downloads/index.md", page)),
                md_link("API", rel("api/v1/index.json", page)),
                md_link("version page", rel(version_page_path(v.version), page)),
            ]
        elif v.archived is not None:
            status = "Superseded (archived)"
            files = [
                md_link("zip", rel(version_zip_path(v.version), page)),
                md_link("API", rel(f"releases/{v.version}/api/v1/index.json", page)),
                md_link("version page", rel(version_page_path(v.version), page)),
            ]
        else:
            status, files = "Values not archived", []
        r = v.revision
        rows.append(
            [
                r.version,
                r.date.isoformat(),
                KIND_WORDS[getattr(r, "kind", "scheduled")],
                status,
                Md(" · ".join(files)) if files else "",
            ]
        )
    return md_table(["Version", "Released", "Kind", "Status", "Files"], rows)


def _compared(history: Any) -> list[Any]:
    """The versions compared with an earlier one, newest first."""
    known = [v for v in (history.versions if history is not None else ()) if v.has_values]
    return list(reversed(known[1:]))


def _not_compared(history: Any) -> list[str]:
    """Versions whose values are not archived, as sentences."""
    return [
        f"{v.version} ({v.revision.date.isoformat()}): its values are not archived here, so the "
        "values it changed cannot be listed one by one; the revision log says what changed."
        for v in (history.versions if history is not None else ())
        if not v.has_values
    ]


def _changes_section(site: Site, history: Any, version: Any, page: str) -> dict[str, Any]:
    """One version's changes: the organisations' values, and the benchmarks that followed."""
    c = history.changes
    mine = c[c["version"] == version.version]
    previous = str(mine["previous_version"].iloc[0]) if len(mine) else _previous(history, version)
    orgs = mine[mine["unit_type"] == "organisation"]
    bench = mine[mine["unit_type"] != "organisation"]
    org_rows = [
        [
            _org_link(site, first.unit_code, first.unit_name, page),
            first.unit_code,
            first.year,
            site.setting_name(first.care_setting),
            _measure(site, first),
            "; ".join(change_text(r) for r in rows),
            first.reason,
        ]
        for first, rows in _grouped(orgs)
    ]
    bench_rows = [
        [
            first.unit_name,
            first.year,
            _measure(site, first),
            "; ".join(change_text(r) for r in rows),
        ]
        for first, rows in _grouped(bench)
    ]
    n_orgs = orgs["unit_code"].nunique()
    unchanged = [
        _org_link(site, code, code, page) + f" ({code})"
        for v, code in history.unused_reasons
        if v == version.version
    ]
    return {
        "unchanged": Md(", ".join(unchanged)) if unchanged else None,
        "version": version.version,
        "anchor": changes_anchor(version.version),
        "previous": previous,
        "kind": KIND_WORDS[getattr(version.revision, "kind", "scheduled")].lower(),
        "n_values": len(mine),
        "n_org_values": len(orgs),
        "n_orgs": n_orgs,
        "n_bench_values": len(bench),
        "organisations": search_excluded(
            md_table(
                ["Organisation", "Code", "Year", "Care setting", "Measure", "Change", "Reason"],
                org_rows,
            )
        )
        if org_rows
        else None,
        "benchmarks": search_excluded(
            md_table(["Peer group", "Year", "Measure", "Change"], bench_rows)
        )
        if bench_rows
        else None,
    }


def _previous(history: Any, version: Any) -> str:
    known = [v.version for v in history.versions if v.has_values]
    return known[known.index(version.version) - 1]


# --- an organisation's page ------------------------------------------------------------------------


def corrections_note(site: Site, org: Any) -> Md | None:
    """The notice at the top of an organisation's page: every value of its own that a version
    changed, with the reason, newest version first (None when no version changed any)."""
    history = _history(site)
    if history is None:
        return None
    mine = history.organisation_changes(org.code)
    if mine.empty:
        return None
    page = org.path
    blocks = []
    for version in sorted(mine["version"].unique(), key=_version_key, reverse=True):
        rows = mine[mine["version"] == version]
        first = rows.iloc[0]
        kind = "Corrected" if first["revision_kind"] == "correction" else "Revised"
        lines = [
            f'!!! warning "{kind} in version {version}"',
            "",
            f"    Version {md_text(version)}, released {first['revision_date']}, changed "
            f"{'this value' if len(rows) == 1 else 'these values'} of this organisation "
            f"(version {md_text(first['previous_version'])} published the old ones):",
            "",
        ]
        for head, group in _grouped(rows):
            lines.append(
                f"    - {head.year}, {md_text(site.setting_name(head.care_setting))}, "
                f"{md_text(_measure(site, head))}: "
                f"{md_text('; '.join(change_text(r) for r in group))}"
            )
        reasons = list(dict.fromkeys(rows["reason"]))
        lines += [
            "",
            f"    Reason: {md_text(' '.join(reasons))} "
            + md_link(
                "Every change in this version",
                rel(REVISIONS, page) + "#" + changes_anchor(version),
            )
            + ".",
        ]
        blocks.append("\n".join(lines))
    return Md("\n\n".join(blocks))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# --- one page per version ------------------------------------------------------------------------


def version_pages(site: Site, downloads: Iterable[Any]) -> dict[str, str]:
    """A page for this version and for every archived earlier one (releases/<version>.md)."""
    history = _history(site)
    if history is None:
        return {}
    current = next(v for v in history.versions if v.is_current)
    pages = {version_page_path(current.version): _current_page(site, current, downloads)}
    for v in history.superseded:
        pages[version_page_path(v.version)] = _superseded_page(site, v, current)
    return pages


def _current_page(site: Site, v: Any, downloads: Iterable[Any]) -> str:
    page = version_page_path(v.version)
    r = v.revision
    zip_file = next((d for d in downloads if d.path == opendata.zip_name(site.release)), None)
    lines = [
        front_matter(
            f"Version {v.version}",
            f"Version {v.version} of the Digital Maturity Assessment open data: the current "
            "version.",
        ),
        f"# Version {md_text(v.version)} (current)",
        "",
        f"This is the current version of this publication, released {r.date.isoformat()} "
        f"({KIND_WORDS[getattr(r, 'kind', 'scheduled')].lower()}). {md_text(r.note)}",
        "",
        f"Its files are on the {md_link('downloads page', rel('downloads/index.md', page))}. "
        "The whole dataset is also kept at this version's own address, which will not change "
        f"when a newer version is published: {md_link(opendata.zip_name(site.release), rel(version_zip_path(v.version), page))}"
        + (
            f" ({fmt_bytes(zip_file.bytes)}, SHA-256 `{zip_file.sha256}`)."
            if zip_file is not None
            else "."
        ),
        "",
        f"What each version changed: {md_link('revisions and corrections', rel(REVISIONS, page))}.",
        "",
    ]
    return "\n".join(lines)


def _superseded_page(site: Site, v: Any, current: Any) -> str:
    page = version_page_path(v.version)
    a, r = v.archived, v.revision
    newer = current.revision
    files = [[name, fmt_bytes(size)] for name, size in a.members if "/" not in name]
    folders: dict[str, list[int]] = {}
    for name, size in a.members:
        if "/" in name:
            folders.setdefault(name.split("/", 1)[0], []).append(size)
    files += [
        [f"{folder}/ ({len(sizes):,} files, one per organisation)", fmt_bytes(sum(sizes))]
        for folder, sizes in sorted(folders.items())
    ]
    lines = [
        front_matter(
            f"Version {v.version} (superseded)",
            f"Version {v.version} of the Digital Maturity Assessment open data, superseded by "
            f"version {current.version}.",
        ),
        f"# Version {md_text(v.version)} (superseded)",
        "",
        '!!! warning "A newer version of this publication is available"',
        "",
        f"    This is version {md_text(v.version)}, released {r.date.isoformat()}. It has been "
        f"superseded by version {md_text(current.version)}, released "
        f"{newer.date.isoformat()}: use the "
        f"{md_link(f'current version {current.version}', rel('downloads/index.md', page))}, "
        f"and see {md_link('what changed', rel(REVISIONS, page) + '#' + changes_anchor(_next_known(site, v)))}.",
        "",
        f"{md_text(r.note)}",
        "",
        "## Files of this version",
        "",
        f"Its JSON API, as it published it: "
        f"{md_link(f'api/v1/index.json of {v.version}', rel(f'releases/{v.version}/api/v1/index.json', page))}.",
        "",
        f"The whole dataset as version {md_text(v.version)} published it, unchanged: "
        f"{md_link(a.file_name, rel(version_zip_path(v.version), page))} "
        f"({fmt_bytes(a.size)}, SHA-256 `{a.sha256}`). It holds:",
        "",
        search_excluded(md_table(["File", "Size"], files, "lr")),
        "",
    ]
    return "\n".join(lines)


def _next_known(site: Site, v: Any) -> str:
    """The version that was compared with v (the next one whose values are known)."""
    known = [x.version for x in _history(site).versions if x.has_values]
    return known[known.index(v.version) + 1]


# --- the Atom feed -------------------------------------------------------------------------------


def _feed_authority(release: Any) -> str:
    """A tag URI authority (RFC 4151) from the publisher's contact: its email or host."""
    contact = str(release.contact)
    match = re.match(r"^https://([^/]+)", contact)
    return match.group(1) if match else contact


def _entry_order(revision: Any, flag: int, code: str) -> tuple:
    """Newest version first; its own entry, then its organisations A to Z by code."""
    newest_first = tuple(-part for part in _version_key(revision.version))
    return (-revision.date.toordinal(), newest_first, flag, code)


def atom_feed(site: Site) -> bytes:
    """An Atom feed (RFC 4287) of every version and of every organisation a version corrected,
    newest first. Links are relative to the site's root, where the feed is."""
    release = site.release
    history = _history(site)
    first_year = release.revisions[0].date.year
    base = f"tag:{_feed_authority(release)},{first_year}:{opendata.PACKAGE_NAME}"
    ET.register_namespace("", ATOM)

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    def stamp(day: Any) -> str:
        return f"{day.isoformat()}T00:00:00Z"

    feed = ET.Element(f"{{{ATOM}}}feed")
    el(feed, "title", f"{release.title}: releases and corrections")
    el(feed, "id", f"{base}/feed")
    el(feed, "updated", stamp(release.release_date))
    el(feed, "link", rel="self", href=FEED)
    el(feed, "link", rel="alternate", href="revisions.html")
    author = el(feed, "author")
    el(author, "name", release.publisher)
    el(feed, "rights", release.licence)
    entries: list[tuple[tuple, ET.Element]] = []
    changes = history.changes if history is not None else None
    for r in release.revisions:
        entry = ET.Element(f"{{{ATOM}}}entry")
        kind = KIND_WORDS[getattr(r, "kind", "scheduled")]
        el(entry, "title", f"Version {r.version}: {kind.lower()}")
        el(entry, "id", f"{base}/version/{r.version}")
        el(entry, "updated", stamp(r.date))
        el(entry, "link", rel="alternate", href=f"revisions.html#{changes_anchor(r.version)}")
        el(entry, "category", term=getattr(r, "kind", "scheduled"), label=kind)
        el(entry, "summary", r.note)
        entries.append((_entry_order(r, 0, ""), entry))
        if changes is None:
            continue
        mine = changes[(changes["version"] == r.version) & (changes["unit_type"] == "organisation")]
        for code in sorted(mine["unit_code"].unique()):
            rows = mine[mine["unit_code"] == code]
            org = site.orgs.get(code)
            name = org.name if org is not None else str(rows.iloc[0]["unit_name"])
            verb = "Corrected" if getattr(r, "kind", "") == "correction" else "Revised"
            entry = ET.Element(f"{{{ATOM}}}entry")
            el(entry, "title", f"{verb} in {r.version}: {name} ({code})")
            el(entry, "id", f"{base}/version/{r.version}/organisation/{code}")
            el(entry, "updated", stamp(r.date))
            if org is not None:
                el(entry, "link", rel="alternate", href=org.path.removesuffix(".md") + ".html")
            el(entry, "category", term=getattr(r, "kind", "scheduled"), label=kind)
            lines = [
                f"{head.year}, {site.setting_name(head.care_setting)}, {_measure(site, head)}: "
                + "; ".join(change_text(x) for x in group)
                for head, group in _grouped(rows)
            ]
            reasons = " ".join(dict.fromkeys(rows["reason"]))
            el(entry, "summary", " | ".join(lines) + f". Reason: {reasons}")
            entries.append((_entry_order(r, 1, code), entry))
    for _, entry in sorted(entries, key=lambda e: e[0]):
        feed.append(entry)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
