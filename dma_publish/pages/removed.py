"""An organisation a version no longer publishes keeps its page, marked removed.

Identifiers never change between versions and nothing is deleted: the page of an organisation
that the previous archived version published and this one does not stays at its address and
says so at the top, with the values this version removed (from the change records, which never
show a withheld value) and links to the archived version that published it.
"""

from __future__ import annotations

from dma_publish.api_versions import archived_path, removed_organisations
from dma_publish.pages.markdown import front_matter, md_link, md_table, md_text
from dma_publish.pages.site import Site, rel


def removed_pages(site: Site) -> dict[str, str]:
    """A page for each organisation the previous version published and this one does not."""
    from dma_publish.api import organisation_page, organisation_path
    from dma_publish.pages.releases import REVISIONS, change_text, changes_anchor

    history = site.pub.history
    gone = removed_organisations(site.pub)
    if history is None or gone.empty:
        return {}
    previous = history.superseded[-1].version
    out = {}
    for org in gone.itertuples(index=False):
        page = organisation_page(org._asdict()).removesuffix(".html") + ".md"
        mine = history.organisation_changes(org.org_code)
        mine = mine[mine["version"] == history.current]
        rows = [
            [r.year, site.setting_name(r.care_setting), r.measure_name, change_text(r)]
            for r in mine.itertuples(index=False)
        ]
        archived = archived_path(previous, organisation_path(org.org_code))
        lines = [
            front_matter(
                f"{org.org_name} ({org.org_code}): no longer published",
                f"Version {history.current} no longer publishes {org.org_name}; version "
                f"{previous} did.",
                search_exclude=True,
            ),
            f"# {md_text(org.org_name)} ({md_text(org.org_code)})",
            "",
            f'!!! warning "Removed in version {md_text(history.current)}"',
            "",
            f"    Version {md_text(history.current)} no longer publishes this organisation. "
            f"Version {md_text(previous)} published it: see "
            f"{md_link(f'version {previous}', rel(f'releases/{previous}.md', page))} "
            f"(its files, unchanged) and its {md_link('API document', rel(archived, page))}; "
            f"{md_link('what changed', rel(REVISIONS, page) + '#' + changes_anchor(history.current))}.",
            "",
        ]
        if rows:
            lines += [
                "## Values removed in this version",
                "",
                md_table(["Year", "Care setting", "Measure", "Change"], rows),
                "",
            ]
        out[page] = "\n".join(lines)
    return out
