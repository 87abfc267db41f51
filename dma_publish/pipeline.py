"""The pipeline: load inputs, validate, score, aggregate, then hand one Publication to publishers."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dma_publish import report, sitebuild, sitedir
from dma_publish.errors import PublishError, ValidationFailed
from dma_publish.progress import Stage, StageLog
from dma_publish.publication import Publication

# ---------------------------------------------------------------------------------------------
# Load -> validate -> score -> aggregate


def input_files(data_dir: Path) -> list[Path]:
    """Every input file the build reads, in a stable order (what the inputs' hash covers)."""
    files = [
        p
        for sub in ("methodology", "reference", "returns", "published")
        for p in sorted((data_dir / sub).glob("*"))
        if p.is_file() and not p.name.startswith(".")
    ]
    for name in ("release.yaml", "publication-policy.yaml"):
        if (data_dir / name).is_file():
            files.append(data_dir / name)
    from dma_publish.releases import ARCHIVE_DIR, archive_files

    return files + archive_files(data_dir / ARCHIVE_DIR)


def hash_inputs(data_dir: Path) -> str:
    """sha256 over the inputs' relative paths and bytes: the provenance shown on every page."""
    digest = hashlib.sha256()
    for path in input_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def assemble(data_dir: Path, log: StageLog | None = None, apply_policy: bool = True) -> Publication:
    """Read and check every input, validate the returns, score and benchmark them, then apply
    the publication policy (apply_policy=False gives the unsuppressed tables, for checks)."""
    from dma_publish import __version__
    from dma_publish.aggregate import benchmark
    from dma_publish.methodology import load_methodologies, methodology_frames
    from dma_publish.official import GRANULARITY, is_published_folder, load_published
    from dma_publish.policy import load_policy
    from dma_publish.reference import load_reference
    from dma_publish.release import load_release
    from dma_publish.returns import read_returns
    from dma_publish.score import score_returns
    from dma_publish.validate import validate_returns

    log = log if log is not None else StageLog()
    data_dir = Path(data_dir)
    published = is_published_folder(data_dir)
    provenance = None
    with log.stage("load") as stage:
        stage.count(len(input_files(data_dir)), "files")
        release = load_release(data_dir / "release.yaml")
        reference = load_reference(data_dir / "reference")
        if published:
            frames, validated, scores, provenance = load_published(data_dir)
        else:
            frames = methodology_frames(load_methodologies(data_dir / "methodology"))
            returns = read_returns(sorted((data_dir / "returns").glob("*.csv")))
        policy = load_policy(data_dir / "publication-policy.yaml", frames.domains)
        from dma_publish import api_versions, releases, withheld_versions

        archive = api_versions.load_archive(
            data_dir / releases.ARCHIVE_DIR, release, GRANULARITY if published else "answers"
        )
        inputs_hash = hash_inputs(data_dir)
    if not published:
        with log.stage("validate") as stage:
            validated = validate_returns(returns, frames, reference)
            stage.count(len(validated.returns), "returns")
        with log.stage("score") as stage:
            scores = score_returns(validated.answers, frames, reference)
            stage.count(len(scores.domain_scores), "domain scores")
    with log.stage("aggregate") as stage:
        benchmarks = benchmark(scores, reference)
        stage.count(len(benchmarks), "benchmark rows")
    pub = Publication(
        release=release,
        reference=reference,
        methodology=frames,
        validated=validated,
        scores=scores,
        benchmarks=benchmarks,
        inputs_hash=inputs_hash,
        generator_version=__version__,
        is_demo=bool(reference.is_demo),
        granularity=GRANULARITY if published else "answers",
        provenance=provenance,
    )
    if not apply_policy:
        return pub
    from dma_publish.disclose import run_stage
    from dma_publish.suppress import suppress

    with log.stage("suppress"):
        suppressed = suppress(pub, policy)
    with log.stage("disclosure audit"):
        rules = policy.disclosure_audit
        # what an archived version published with the same figures stays public
        public = withheld_versions.public_benchmark_rows(suppressed, archive, pub.granularity)
        audited = run_stage(
            suppressed,
            pub.scores.domain_scores,
            tuple(rules.withhold),
            rules.max_rounds,
            public_rows=public,
        )
    with log.stage("releases") as stage:  # compare with the archived versions, value by value
        return with_history(audited, archive, stage)


def with_history(pub: Publication, archive: dict, stage: Stage | None = None) -> Publication:
    """The publication with its history: every version in its revision log, and every published
    value changed between consecutive versions whose values are known (dma_publish.releases).
    Stops (PolicyUnsafe) if comparing this version with the previous one would reveal a
    withheld value."""
    from dataclasses import replace

    from dma_publish import releases, withheld_versions
    from dma_publish.errors import PolicyUnsafe
    from dma_publish.opendata import value_tables

    current = releases.current_cells(value_tables(pub), pub.granularity)
    history = releases.history(pub.release, archive, current, pub.granularity)
    extra = None if pub.disclosure is None else pub.disclosure.benchmark_rows
    if extra is not None:
        risks = withheld_versions.differencing_risks(history, pub, extra, pub.granularity)
        if risks:
            raise PolicyUnsafe(
                "comparing this version with the previous one would reveal withheld values: "
                + "; ".join(risks[:5])
                + (f"; and {len(risks) - 5} more" if len(risks) > 5 else "")
                + ". Withhold these benchmarks in the policy, or publish the correction as "
                "a new release of all the data"
            )
    if stage is not None:
        stage.count(len(history.changes), "changed values")
    return replace(pub, history=history)


# ---------------------------------------------------------------------------------------------
# Publish: data files, charts, pages, then mkdocs into a temporary folder swapped in at the end


def run_build(
    data_dir: Path,
    site_dir: Path,
    report_path: Path,
    strict: bool,
    check_only: bool,
    echo: Any = print,
    docs_dir: Path | None = None,
    log: StageLog | None = None,
    builder: str = "mkdocs",
) -> Publication:
    """The whole build: assemble, report, and (unless check_only) publish into site_dir with
    `builder` (MkDocs or Zensical)."""
    from dma_publish.validate import check_reconciliation, format_summary, validation_report

    log = log if log is not None else StageLog()
    pub = assemble(data_dir, log)
    echo(report.format_inputs(pub))
    # validation_report quotes text a spreadsheet would run as a formula (answers are raw input).
    report.write_validation_report(validation_report(pub.validated), report_path)
    echo(format_summary(pub.validated))
    echo(f"validation report: {report_path}")
    if pub.provenance is not None:
        rec = pub.provenance["reconciliation"]
        if rec["rows_read"] != rec["rows_published"] + rec["rows_left_out"]:
            raise AssertionError(f"import reconciliation does not balance: {rec}")
        echo(
            f"reconciliation: workbook data rows read {rec['rows_read']} = published "
            f"{rec['rows_published']} + left out and reported {rec['rows_left_out']}"
        )
    else:
        check_reconciliation(pub.validated)
        echo(report.format_reconciliation(pub.validated.reconciliation))
    echo(report.format_disclosure(pub.disclosure))
    echo(report.format_history(pub.history))
    n_errors = int((pub.validated.issues["severity"] == "error").sum())
    if strict and n_errors:
        raise ValidationFailed(f"{n_errors} validation errors (--strict); see {report_path}")
    if not pub.years:  # every return rejected: no score of any year, so nothing to publish
        n_returns = len(pub.validated.returns)
        raise ValidationFailed(
            f"no return could be scored ({n_returns} returns read, every one rejected): "
            f"nothing to publish; see {report_path}"
        )
    if not check_only:
        publish(pub, site_dir=site_dir, docs_dir=docs_dir, log=log, echo=echo, builder=builder)
        echo(f"published {site_dir}")
    if log.progress.mode == "quiet":
        echo("stages:\n" + log.format())
    else:
        seconds = sum(secs for _, secs, _ in log.stages)
        peak = max((peak for _, _, peak in log.stages), default=0)
        echo(f"built in {seconds:.1f} s, peak memory {peak / 2**20:.0f} MiB")
    return pub


def publish(
    pub: Publication,
    site_dir: Path,
    docs_dir: Path | None = None,
    log: StageLog | None = None,
    echo: Any = print,
    builder: str = "mkdocs",
) -> None:
    """Write the data files, charts and pages, build the site, and swap it into site_dir.

    One build at a time per target (a second one waits); the pages are generated in the build's
    own work folder beside the target (or in docs_dir, when given), never in the repository.
    `builder` is MkDocs (the default) or Zensical (`sitebuild.zensical_build`), with the same work
    folder, lock and swap.
    A file system fault (disk full, no permission) stops it as a PublishError naming the path,
    and the work folder is removed; the published site is never touched until the swap."""
    log = log if log is not None else StageLog()
    site_dir = Path(site_dir).absolute()  # MkDocs reads relative paths from its config's folder
    docs_dir = None if docs_dir is None else Path(docs_dir).absolute()
    try:
        with sitedir.locked_target(site_dir, echo) as work:
            _publish_into(pub, work, site_dir, docs_dir, log, builder)
    except OSError as exc:
        where = exc.filename or site_dir
        raise PublishError(f"could not write the site: {exc.strerror or exc} ({where})") from exc


def _publish_into(
    pub: Publication,
    work: Path,
    site_dir: Path,
    docs_dir: Path | None,
    log: StageLog,
    builder: str = "mkdocs",
) -> None:
    from dma_publish import api_versions, charts, index, opendata, pages
    from dma_publish.resources import MKDOCS_CONFIG, SITE_SOURCE

    source_docs = SITE_SOURCE
    provenance = pub.provenance
    scratch = docs_dir is None  # generated pages go in the build's own work folder
    docs_dir = work / "docs" if docs_dir is None else Path(docs_dir)
    staging = work / "site"
    sitebuild.prepare_docs(docs_dir, source_docs)
    with log.stage("data files") as stage:
        tables = opendata.publication_tables(pub)
        downloads = opendata.write_open_data(pub, docs_dir / "downloads", tables)
        kept = sitebuild.write_release_files(pub, docs_dir)
        stage.count(len(downloads) + len(kept), "files")
    with log.stage("api") as stage:  # the same rounded, suppressed tables as the data files
        stage.count(len(api_versions.write_api_versions(pub, tables, docs_dir, downloads)), "files")
    # charts and pages read the numbers the tables publish, never the full-precision frames
    view = index.published_view(pub, tables)
    with log.stage("charts") as stage:
        chart_set = charts.build_all(view)
        charts.write_chart_assets(docs_dir)
        stage.count(len(chart_set), "charts")
    linked: dict[str, charts.Chart] = {}
    with log.stage("pages") as stage:
        texts = pages.build_pages(view, downloads=downloads, charts=chart_set, linked_charts=linked)
        stage.count(len(texts), "pages")
    with log.stage("chart files") as stage:
        # every chart a page shows, drawn as SVG, with its CSV and spec; a real build run in a
        # checkout also leaves them in its charts/ folder
        checkout = Path.cwd() / "charts"
        targets = [docs_dir / "downloads" / "charts"]
        targets += [checkout] if scratch and checkout.is_dir() else []
        sizes: dict[str, tuple[int, int]] = {}
        if linked:
            stage.total(len(linked), "charts")
            sizes = charts.write_chart_files(
                linked.values(), targets, footer=opendata.source_note(pub), progress=stage.advance
            )
        del chart_set, linked
    with log.stage("page files") as stage:
        written = pages.save_pages(view, docs_dir, texts, sizes)
        del texts
        stage.count(len(written), "pages")
        if provenance is not None and docs_dir.resolve() != source_docs.resolve():
            from dma_publish.pages.published import data_quality_page, methodology_page

            for name, text in (
                ("data-quality", data_quality_page(view)),
                ("methodology", methodology_page(view)),
            ):
                (docs_dir / "about" / f"{name}.md").write_text(text, encoding="utf-8", newline="\n")
        elif docs_dir.resolve() != source_docs.resolve():
            sitebuild.add_audit_section(pub, docs_dir / "about" / "data-quality.md")
    if builder not in sitebuild.BUILDERS:
        raise ValueError(
            f"unknown site builder {builder!r}: one of {', '.join(sitebuild.BUILDERS)}"
        )
    with log.stage(builder) as stage:
        extra, drop = sitebuild.mkdocs_arguments(pub, docs_dir)
        with sitebuild.build_date(opendata.release_datetime(pub.release)):
            if builder == "zensical":
                sitebuild.zensical_build(MKDOCS_CONFIG, staging, extra, docs_dir=docs_dir, **drop)
            else:
                sitebuild.mkdocs_build(
                    MKDOCS_CONFIG, staging, extra, docs_dir=docs_dir, stage=stage, **drop
                )
    sitedir.swap_in(staging, site_dir)
