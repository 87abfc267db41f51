"""The publication site: every generated Markdown page, written into the MkDocs docs_dir.

`write_pages` is the entry point. It reads only the Publication, the open-data manifest and the
charts; every list is sorted by name or code (never by score) and the same inputs give
byte-identical pages. Hand-written parts of docs_dir (overrides/, assets/, about/) are never
touched.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from dma_publish.pages.areas import home_page, icbs_index, national_page, region_page, regions_index
from dma_publish.pages.compare import compare_page
from dma_publish.pages.domains import domain_page, domains_index
from dma_publish.pages.markdown import md_text
from dma_publish.pages.organisations import PageLinks, organisation_page, organisations_index
from dma_publish.pages.reference_pages import comparability_page, dictionary_page, downloads_page
from dma_publish.pages.releases import revisions_page, version_pages
from dma_publish.pages.removed import removed_pages
from dma_publish.pages.site import Site, rel
from dma_publish.publication import Publication

__all__ = ["build_pages", "md_text", "page_inventory", "save_pages", "write_pages"]

HAND_WRITTEN = ("overrides", "assets", "about")


def chart_lookup(charts: Any, linked: dict[str, Any] | None = None) -> Callable[..., str]:
    """Adapt a ChartSet to `lookup(page, *scope, embed=None) -> HTML`.

    Every chart of a scope is shown (left out of search), or only those whose kind is in
    `embed`: its image (the SVG file under downloads/charts/) with its words, table and
    downloads; every chart shown is recorded in `linked` (by id), so that only those images
    are drawn. `row_href` links the rows of a chart's table (by its row keys) and
    `table_summary` names it.
    """
    if charts is None:
        return lambda page, *scope, **options: ""
    from dma_publish.charts import chart_files, chart_html

    record = linked if linked is not None else {}

    def lookup(
        page: str,
        *scope: Any,
        embed: Iterable[str] | None = None,
        row_href: Callable[[str], str | None] | None = None,
        table_summary: str | None = None,
    ) -> str:
        blocks = []
        for chart in charts.get(*scope):
            if embed is not None and chart.kind not in embed:
                continue
            extra = {} if table_summary is None else {"table_summary": table_summary}
            image = rel(f"{CHART_DIR}/{chart_files(chart.chart_id).svg}", page)
            block = chart_html(
                chart, row_href, downloads=_downloads_html(chart, page), image=image, **extra
            )
            record[chart.chart_id] = chart
            # A <section>, not a <div>: Material's search indexer ends an exclusion at the first
            # closing tag of the same name, and the chart holds <div>s of its own.
            blocks.append(f"<section data-search-exclude>\n{block}</section>")
        return "\n\n".join(blocks)

    return lookup


CHART_DIR = "downloads/charts"
# Each file download: the link's text and the words that open its accessible name.
CHART_DOWNLOADS = (
    ("svg", "SVG", "SVG image of the chart"),
    ("csv", "data (CSV)", "data (CSV) of the chart"),
    ("spec", "Vega-Lite (JSON)", "Vega-Lite (JSON) specification of the chart"),
)
PNG_LABEL = "PNG image of the chart"


def _downloads_html(chart: Any, page: str) -> str:
    """A chart's downloads: real `<a download>` links to its files, each named with the chart's
    title, and a PNG button that the page script shows and that makes the PNG from the SVG in
    the browser (hidden without the script: there is no PNG file)."""
    from dma_publish.charts import chart_files

    files = chart_files(chart.chart_id)
    title = html.escape(chart.title)
    links = [
        f'<a href="{html.escape(rel(f"{CHART_DIR}/{getattr(files, kind)}", page))}" download '
        f'aria-label="{label}: {title}">{text}</a>'
        for kind, text, label in CHART_DOWNLOADS
    ]
    png = (
        f'<button type="button" class="dma-chart__png" hidden '
        f'data-file="{html.escape(files.png)}" aria-label="{PNG_LABEL}: {title}">PNG</button>'
    )
    links.insert(1, png)
    return f'<p class="dma-chart__files">Download chart: {" ".join(links)}</p>'


def _slices(downloads: Iterable[Any]) -> dict[str, str]:
    """Each organisation's own data file (relative to docs_dir), from the open-data manifest."""
    out = {}
    for item in downloads:
        path = str(item.path)
        if path.startswith("organisations/") and path.endswith(".csv"):
            out[path.rsplit("/", 1)[-1].removesuffix(".csv")] = f"downloads/{path}"
    return out


def build_pages(
    pub: Publication,
    downloads: Sequence[Any] = (),
    charts: Any = None,
    linked_charts: dict[str, Any] | None = None,
    site: Site | None = None,
) -> dict[str, str]:
    """Every generated page as {path relative to docs_dir: Markdown}, in path order; the charts
    the pages show are recorded in `linked_charts` (by id)."""
    site = Site(pub) if site is None else site
    links = PageLinks(org_slices=_slices(downloads), chart=chart_lookup(charts, linked_charts))
    pages = {
        "index.md": home_page(site),
        "national.md": national_page(site, links),
        "organisations/index.md": organisations_index(site),
        "regions/index.md": regions_index(site),
        "icbs/index.md": icbs_index(site),
        "domains/index.md": domains_index(site),
        "downloads/index.md": downloads_page(site, downloads),
        "comparability.md": comparability_page(site),
        "compare.md": compare_page(site),
        "data-dictionary.md": dictionary_page(site),
        "revisions.md": revisions_page(site),
    }
    for code in site.regions:
        pages[f"regions/{code}.md"] = region_page(site, code, links)
    for org in site.orgs.values():
        pages[org.path] = organisation_page(site, org, links)
    for domain_id in site.domain_ids():
        pages[site.domain_path(domain_id)] = domain_page(site, domain_id, links)
    pages.update(version_pages(site, downloads) | removed_pages(site))
    if not pub.has_domains:  # published scores only: no domain index, no comparability notes
        del pages["domains/index.md"], pages["comparability.md"]
    return dict(sorted(pages.items()))


def page_inventory(pub: Publication) -> list[str]:
    """The relative paths write_pages writes for a publication, sorted."""
    ref = pub.reference
    fixed = [
        "index.md",
        "national.md",
        "organisations/index.md",
        "regions/index.md",
        "icbs/index.md",
        "domains/index.md",
        "downloads/index.md",
        "comparability.md",
        "compare.md",
        "data-dictionary.md",
        "revisions.md",
    ]
    regions = [f"regions/{c}.md" for c in ref.regions["region_code"]]
    orgs = [
        f"{'icbs' if t == 'icb' else 'trusts'}/{c}.md"
        for c, t in zip(ref.organisations["org_code"], ref.organisations["org_type"], strict=True)
    ]
    domains = [f"domains/{d}.md" for d in pub.methodology.domains["domain_id"].unique()]
    if not pub.has_domains:
        fixed = [f for f in fixed if f not in ("domains/index.md", "comparability.md")]
    return sorted({*fixed, *regions, *orgs, *domains})


def add_response_section(site: Site, docs_dir: Path) -> None:
    """Append the reconciliation and non-response to the data-quality page copied into a build's
    own docs_dir (the hand-written page in site_src/ itself is never changed); a second call
    replaces the section rather than adding another."""
    from dma_publish.pages.reference_pages import DATA_QUALITY, RESPONSE_HEADING, response_section

    target = docs_dir / DATA_QUALITY
    from dma_publish.resources import SITE_SOURCE

    source = SITE_SOURCE / DATA_QUALITY
    if not target.exists() or (source.exists() and target.resolve() == source.resolve()):
        return
    text = target.read_text(encoding="utf-8").split("\n" + RESPONSE_HEADING, 1)[0]
    target.write_text(text + response_section(site), encoding="utf-8", newline="\n")


def save_pages(
    pub: Publication,
    docs_dir: Path,
    pages: dict[str, str],
    sizes: dict[str, tuple[int, int]] | None = None,
) -> list[str]:
    """Write pages (`build_pages`) into docs_dir, each chart image's size filled in from `sizes`
    (by chart id: `charts.write_chart_files`, once the images are drawn), with the Atom feed;
    return their paths relative to docs_dir, sorted. A page that shows a chart with no size
    is a fault (KeyError): its image would make the page move when it arrives."""
    from dma_publish.charts import fill_sizes
    from dma_publish.pages.releases import FEED, atom_feed

    docs_dir = Path(docs_dir)
    site = Site(pub)
    if pub.granularity == "answers":
        add_response_section(site, docs_dir)
    for rel_path, text in pages.items():
        if rel_path.split("/", 1)[0] in HAND_WRITTEN:
            raise ValueError(f"refusing to write {rel_path}: hand-written part of docs_dir")
        target = docs_dir / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill_sizes(text, sizes or {}), encoding="utf-8", newline="\n")
    (docs_dir / FEED).write_bytes(atom_feed(site))  # the Atom feed of versions and corrections
    return list(pages)


def write_pages(
    pub: Publication,
    docs_dir: Path,
    downloads: Sequence[Any] = (),
    charts: Any = None,
    linked_charts: dict[str, Any] | None = None,
    draw: Callable[[list[Any]], dict[str, tuple[int, int]]] | None = None,
) -> list[str]:
    """Write every generated page into docs_dir; return their paths relative to it, sorted.

    `downloads` is the open-data manifest (`opendata.write_open_data`), `charts` the ChartSet
    (`charts.build_all`); each chart a page shows is recorded in `linked_charts` and drawn by
    `draw` (`charts.write_chart_files` into downloads/charts/), which gives each image's size.
    """
    linked = linked_charts if linked_charts is not None else {}
    pages = build_pages(pub, downloads, charts, linked)
    if linked and draw is None:
        raise ValueError("pages show charts, but nothing draws them (write_pages: draw)")
    sizes = draw(list(linked.values())) if linked and draw is not None else {}
    return save_pages(pub, docs_dir, pages, sizes)
