"""Pages about the data: downloads, comparability notes, data dictionary and revisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dma_publish import opendata
from dma_publish.pages.markdown import (
    Md,
    filterable,
    fmt_bytes,
    json_for_script,
    md_identifier,
    md_link,
    md_table,
    search_excluded,
)
from dma_publish.pages.organisations import STATUS_WORDS
from dma_publish.pages.render import render
from dma_publish.pages.site import Site, rel
from dma_publish.registry import TABLES, data_dictionary

DOWNLOADS = "downloads/index.md"
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "zip": "application/zip",
    "txt": "text/plain",
    "sha256": "text/plain",
    "svg": "image/svg+xml",
}


def _is_slice(item: Any) -> bool:
    """True for a per-organisation data file."""
    return item.path.startswith(f"{opendata.SLICE_DIR}/")


def _file_rows(site: Site, files: Sequence[Any], page: str) -> list[list[Any]]:
    """One row per file: link, format, size and what it holds."""
    rows = []
    for f in files:
        code = f.path.rsplit("/", 1)[-1].split(".")[0]
        org = site.orgs.get(code) if _is_slice(f) else None
        title = f"{org.name} ({code})" if org else f.title
        rows.append(
            [
                md_link(f.path, rel(f"downloads/{f.path}", page)),
                f.format.upper(),
                fmt_bytes(f.bytes),
                title,
                f.description,
            ]
        )
    return rows


def dataset_json_ld(site: Site, files: Sequence[Any]) -> Md:
    """schema.org Dataset metadata for search engines and catalogues."""
    release, pub = site.release, site.pub
    return json_for_script(
        {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": release.title,
            "description": opendata._package_description(pub),
            "version": release.version,
            "datePublished": release.release_date.isoformat(),
            "license": opendata.LICENCE["path"],
            "isAccessibleForFree": True,
            "creator": {
                "@type": "Organization",
                "name": release.publisher,
                "email": release.contact,
            },
            "publisher": {"@type": "Organization", "name": release.publisher},
            "citation": opendata.citation(pub),
            "spatialCoverage": "England",
            "temporalCoverage": f"{site.years[0]}/{site.years[-1]}",
            "keywords": [
                "NHS",
                "digital maturity",
                "Digital Maturity Assessment",
                "What Good Looks Like",
            ],
            "variableMeasured": sorted(t.title for t in TABLES.values()),
            "distribution": [
                {
                    "@type": "DataDownload",
                    "name": f.title,
                    "contentUrl": f.path,
                    "encodingFormat": MEDIA_TYPES.get(f.format, f.format),
                    "contentSize": f"{f.bytes} B",
                }
                for f in files
                if not _is_slice(f)
            ],
        }
    )


def downloads_page(site: Site, files: Sequence[Any]) -> str:
    """Every file with its size and format, how to cite the data, and the licence."""
    files = sorted(files, key=lambda f: f.path)
    main = [f for f in files if not _is_slice(f)]
    slices = [f for f in files if _is_slice(f)]
    archive = next((f for f in main if f.path.endswith(".zip")), None)
    headers = ["File", "Format", "Size", "Title", "What it holds"]
    slice_rows = [row[:1] + row[2:4] for row in _file_rows(site, slices, DOWNLOADS)]
    return render(
        "downloads.md.j2",
        DOWNLOADS,
        site=site,
        archive=archive,
        archive_link=md_link(archive.path, rel(f"downloads/{archive.path}", DOWNLOADS))
        if archive
        else None,
        archive_size=fmt_bytes(archive.bytes) if archive else "",
        main=md_table(headers, _file_rows(site, [f for f in main if f is not archive], DOWNLOADS))
        if main
        else None,
        slices=search_excluded(filterable(md_table(["File", "Size", "Organisation"], slice_rows)))
        if slices
        else None,
        n_slices=len(slices),
        citation=opendata.citation(site.pub),
        licence=opendata.LICENCE,
        json_ld=dataset_json_ld(site, files),
        api_index=rel("api/v1/index.json", DOWNLOADS),
        api_example=next(iter(site.orgs), "RNZ"),
    )


def comparability_page(site: Site) -> str:
    """Every domain's comparability with the year before, with the reason."""
    page = "comparability.md"
    comp = site.comparability
    groups = []
    for year in sorted(comp["year"].unique(), reverse=True):
        part = comp[comp["year"] == year]
        rows = []
        for r in sorted(
            part.to_dict("records"),
            key=lambda r: (
                site.domain_latest(r["domain_id"])["domain_name"].casefold(),
                r["domain_id"],
            ),
        ):
            d = site.domain_latest(r["domain_id"])
            rows.append(
                [
                    md_link(d["domain_name"], rel(site.domain_path(r["domain_id"]), page)),
                    site.pillars.get(d["pillar_id"], d["pillar_id"]),
                    STATUS_WORDS.get(r["status"], r["status"]),
                    r["reason"],
                ]
            )
        previous = int(part["previous_year"].iloc[0])
        groups.append(
            (int(year), previous, md_table(["Domain", "Pillar", "Comparability", "Reason"], rows))
        )
    policy = getattr(site.pub, "policy", None)
    withheld = policy.withheld_domains() if policy is not None else None
    return render(
        "comparability.md.j2",
        page,
        site=site,
        groups=groups,
        policy=policy,
        withheld=_withheld_rows(site, withheld, page),
    )


def _withheld_rows(site: Site, withheld: Any, page: str) -> Md | None:
    """The domains the publication policy withholds at organisation level, and why."""
    if withheld is None or withheld.empty:
        return None
    latest = withheld.sort_values("year").drop_duplicates("domain_id", keep="last")
    rows = [
        [
            md_link(
                site.domain_latest(r["domain_id"])["domain_name"],
                rel(site.domain_path(r["domain_id"]), page),
            ),
            r["finest_level"].replace("_", " "),
            r["reason"],
        ]
        for r in sorted(latest.to_dict("records"), key=lambda r: r["domain_id"])
    ]
    return md_table(["Domain", "Published no finer than", "Reason"], rows)


def dictionary_page(site: Site) -> str:
    """Every column of every published table, from the one field registry."""
    frame = data_dictionary()
    tables = []
    for name in sorted(frame["table"].unique()):
        part = frame[frame["table"] == name].sort_values("position")
        rows = [
            [
                md_identifier(r["column"]),
                r["label"],
                r["type"],
                r["unit"],
                r["decimal_places"],
                md_identifier(r["allowed_values"].replace(";", ", ")),
                md_identifier(r["description"]),
            ]
            for r in part.to_dict("records")
        ]
        table = TABLES[name]
        tables.append(
            (
                table,
                md_table(
                    [
                        "Column",
                        "Label",
                        "Type",
                        "Unit",
                        "Decimal places",
                        "Allowed values",
                        "Meaning",
                    ],
                    rows,
                ),
            )
        )
    return render(
        "data_dictionary.md.j2",
        "data-dictionary.md",
        site=site,
        tables=tables,
        markers=sorted(opendata.MISSING_VALUES.items()),
    )


DATA_QUALITY = "about/data-quality.md"
RESPONSE_HEADING = "## Returns received, rejected and missing {#returns}"


def response_section(site: Site) -> str:
    """The data-quality page's reconciliation and non-response: what was read, scored and
    rejected, and which expected returns are missing, from the same tables as the downloads."""
    from dma_publish import response

    pub, page = site.pub, DATA_QUALITY
    orgs = pub.reference.organisations
    counts = response.reconciliation(pub.validated, orgs, pub.years)
    register = response.return_register(pub.validated, orgs, pub.years)
    rows = [
        [
            r.year,
            f"{r.returns_expected:,}",
            f"{r.returns_read:,}",
            f"{r.returns_scored:,}",
            f"{r.returns_rejected:,}",
            f"{r.returns_unexpected:,}",
            f"{r.returns_missing:,}",
            f"{r.answer_rows_read:,}",
            f"{r.answer_rows_scored:,}",
            f"{r.answer_rows_rejected:,}",
        ]
        for r in counts.itertuples()
    ]
    headers = [
        "Year",
        "Returns expected",
        "Returns read",
        "Scored",
        "Rejected",
        "Not expected",
        "Missing",
        "Answer rows read",
        "Rows scored",
        "Rows rejected",
    ]
    missing = register[register["return_status"] == "missing"]
    missing_rows = []
    for r in missing.itertuples():
        org = site.orgs[r.org_code]
        missing_rows.append(
            [
                r.year,
                md_link(org.name, rel(org.path, page)),
                r.org_code,
                site.setting_name(r.care_setting),
                site.regions.get(org.region_code, org.region_code),
            ]
        )
    files = " and ".join(
        md_link(f"{name}.csv", rel(f"downloads/{name}.csv", page))
        for name in ("reconciliation", "returns")
    )
    lines = [
        "",
        RESPONSE_HEADING,
        "",
        "A return is one organisation's answers for one care setting in one year. A return is "
        "expected from every organisation in the reference list, once for each of its care "
        "settings (an ICB once, for its own survey), in every year published. The counts "
        "reconcile: answer rows read = rows scored + rows rejected; returns read = returns "
        "scored + returns rejected; returns expected = returns read - returns not expected + "
        "returns missing. A rejected return is listed, with the reason, in the validation "
        f"report; the same figures are in {files} (and as Parquet).",
        "",
        search_excluded(md_table(headers, rows, "l" + "r" * 9)),
        "",
        "### Missing returns (non-response) {#non-response}",
        "",
    ]
    if missing_rows:
        lines += [
            f"{len(missing_rows):,} expected return{'s' if len(missing_rows) != 1 else ''} "
            f"{'were' if len(missing_rows) != 1 else 'was'} not received. They have no scores: an organisation's page says so for that "
            "year and care setting, and it is in no benchmark.",
            "",
            search_excluded(
                md_table(
                    ["Year", "Organisation", "Code", "Care setting", "Region"],
                    missing_rows,
                    "lllll",
                )
            ),
        ]
    else:
        lines.append("Every expected return was received.")
    return "\n".join(lines) + "\n"
