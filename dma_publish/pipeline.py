"""The pipeline: load inputs, validate, score, aggregate, then hand one Publication to publishers."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dma_publish import sitedir
from dma_publish.errors import PublishError, ValidationFailed
from dma_publish.progress import Stage, StageLog
from dma_publish.publication import Publication

# ---------------------------------------------------------------------------------------------
# Load -> validate -> score -> aggregate

GENERATED_DIRS = (
    "organisations",
    "regions",
    "icbs",
    "trusts",
    "domains",
    "downloads",
    "api",
    "releases",
)
GENERATED_FILES = (
    "feed.xml",
    "index.md",
    "national.md",
    "comparability.md",
    "data-dictionary.md",
    "revisions.md",
    "assets/js",
)


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
        from dma_publish.releases import ARCHIVE_DIR, load_archive

        archive = load_archive(
            data_dir / ARCHIVE_DIR, release, GRANULARITY if published else "answers"
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
    from dma_publish import releases
    from dma_publish.disclose import run_stage
    from dma_publish.suppress import suppress

    with log.stage("suppress"):
        suppressed = suppress(pub, policy)
    with log.stage("disclosure audit"):
        rules = policy.disclosure_audit
        # what an archived version published with the same figures stays public
        public = releases.public_benchmark_rows(suppressed, archive, pub.granularity)
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

    from dma_publish import releases
    from dma_publish.errors import PolicyUnsafe
    from dma_publish.opendata import value_tables

    current = releases.current_cells(value_tables(pub), pub.granularity)
    history = releases.history(pub.release, archive, current, pub.granularity)
    extra = None if pub.disclosure is None else pub.disclosure.benchmark_rows
    if extra is not None:
        risks = releases.differencing_risks(history, pub, extra, pub.granularity)
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


def clean_generated(docs_dir: Path) -> None:
    """Remove generated pages and files from docs_dir, keeping the hand-written ones."""
    for name in GENERATED_DIRS + GENERATED_FILES:
        path = docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _nav_without(nav: list, pages: set[str]) -> list:
    """The nav with the entries for `pages` left out (at any depth)."""
    out = []
    for item in nav:
        ((title, target),) = item.items()
        if isinstance(target, list):
            out.append({title: _nav_without(target, pages)})
        elif target not in pages:
            out.append(item)
    return out


def _page_counter(stage: Stage) -> Any:
    """A plugin that counts MkDocs' pages as it writes them, for the mkdocs stage's progress bar
    (added to the loaded configuration in this process only: mkdocs.yml names no plugin)."""
    from mkdocs.plugins import BasePlugin

    class PageCounter(BasePlugin):
        def on_nav(self, nav: Any, **_: Any) -> Any:
            stage.total(len(nav.pages), "pages")
            return nav

        def on_post_page(self, output: str, **_: Any) -> str:
            stage.advance()
            return output

    return PageCounter()


def mkdocs_build(
    config_file: Path,
    site_dir: Path,
    extra: dict[str, Any],
    docs_dir: Path | None = None,
    drop_pages: set[str] | None = None,
    stage: Stage | None = None,
) -> None:
    """Run `mkdocs build --strict` with release provenance added to `extra`, into site_dir."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    with open(config_file, encoding="utf-8") as fh:
        base = yaml.safe_load(fh) or {}
    base_extra = base.get("extra") or {}
    overrides: dict[str, Any] = {}
    if drop_pages:
        overrides["nav"] = _nav_without(base.get("nav") or [], drop_pages)
    config = load_config(
        config_file=str(config_file),
        site_dir=str(site_dir),
        strict=True,
        extra={**base_extra, **extra},
        **({"docs_dir": str(docs_dir)} if docs_dir is not None else {}),
        **overrides,
    )
    if stage is not None:
        config.plugins["dma-progress"] = _page_counter(stage)
    build(config)  # strict: any warning raises mkdocs.exceptions.Abort
    offline_search_index(site_dir)


def offline_search_index(site_dir: Path) -> None:
    """Write search/search_index.js beside the theme's search_index.json: a page opened from
    file:// cannot fetch the JSON, and the theme then loads this script and reads `__index`
    (what the theme's own offline plugin writes, without the script it adds from another host)."""
    index = site_dir / "search" / "search_index.json"
    if index.is_file():
        data = index.read_text(encoding="utf-8")
        (index.parent / "search_index.js").write_text(f"var __index = {data}", encoding="utf-8")


BUILDERS = ("mkdocs", "zensical")
ZENSICAL_CONFIG = "zensical.yml"


def zensical_build(
    config_file: Path,
    site_dir: Path,
    extra: dict[str, Any],
    docs_dir: Path,
    drop_pages: set[str] | None = None,
) -> None:
    """Build the same pages with Zensical (the optional `zensical` extra) into site_dir.

    Zensical reads mkdocs.yml, but keeps docs_dir and site_dir inside the folder its config is
    in: the config is written, with the release's `extra`, into the build's own work folder
    (the parent of docs_dir), beside the pages and the staging site. Zensical keeps a cache
    there too, which goes with the work folder. Strict: a warning fails the build."""
    docs_dir, site_dir = Path(docs_dir).resolve(), Path(site_dir).resolve()
    project = docs_dir.parent
    if not site_dir.is_relative_to(project):
        raise PublishError(
            f"Zensical builds only into the build's own work folder ({site_dir} is outside "
            f"{project})"
        )
    with open(config_file, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    config["docs_dir"] = docs_dir.relative_to(project).as_posix()
    config["site_dir"] = site_dir.relative_to(project).as_posix()
    config["theme"] = {**config.get("theme", {}), "custom_dir": f"{config['docs_dir']}/overrides"}
    config["extra"] = {**(config.get("extra") or {}), **extra}
    if drop_pages:
        config["nav"] = _nav_without(config.get("nav") or [], drop_pages)
    path = project / ZENSICAL_CONFIG
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "zensical", "build", "--strict", "-f", str(path)],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise PublishError(f"could not run Zensical: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        if any("No module named zensical" in line for line in said):
            raise PublishError(
                "Zensical is not installed: pip install -e '.[zensical]' (or build with MkDocs)"
            )
        raise PublishError("Zensical failed: " + " | ".join(said[-5:]))


@contextmanager
def _build_date(when: Any) -> Iterator[None]:
    """MkDocs dates pages (sitemap, its gzip header) by SOURCE_DATE_EPOCH, else today: give it
    the release's date for the build, so the site does not depend on the day it is built."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


HAND_WRITTEN = ("overrides", "assets", "about")


def prepare_docs(docs_dir: Path, source_docs: Path) -> None:
    """Empty docs_dir of generated files; when it is not site_src itself, copy the hand-written
    parts there (tests and benchmarks build in a scratch folder, never in the repository)."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    clean_generated(docs_dir)
    if docs_dir.resolve() != source_docs.resolve():
        for name in HAND_WRITTEN:
            src = source_docs / name
            if src.exists():
                shutil.copytree(src, docs_dir / name, dirs_exist_ok=True)


def clean_all(root: Path) -> list[Path]:
    """Remove every generated file and folder; return what was removed."""
    removed = []
    from dma_publish.resources import CACHE_DIR, SITE_SOURCE

    site = root / "site"
    # the build's caches too (chart images, the Vega bundle); the test tools' (.cache/node) stay
    caches = (CACHE_DIR / "chart-images", CACHE_DIR / "vega")
    for path in (site, *sitedir.leftovers(site), root / "reports", root / "build", *caches):
        if path.exists():
            shutil.rmtree(path)
            removed.append(path)
    if sitedir.lock_path(site).exists():
        sitedir.lock_path(site).unlink()
        removed.append(sitedir.lock_path(site))
    docs = SITE_SOURCE
    for name in GENERATED_DIRS + GENERATED_FILES:
        if (docs / name).exists():
            removed.append(docs / name)
    clean_generated(docs)
    for path in sorted((root / "charts").glob("*")):
        if path.name != "README.md":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(path)
    return removed


def write_validation_report(issues: pd.DataFrame, path: Path) -> None:
    """Write the validation report CSV (UTF-8, one row per problem, in file and line order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    issues.to_csv(path, index=False, lineterminator="\n")


def format_inputs(pub: Publication) -> str:
    """Counts of what was read, for the terminal."""
    m, ref, v = pub.methodology, pub.reference, pub.validated
    orgs = ref.organisations
    if pub.provenance is not None:
        prov = pub.provenance
        return "\n".join([
            f"release {pub.release.version} ({pub.release.status}), inputs sha256 {pub.inputs_hash[:12]}",
            f"published scores: {prov['file_name']} (sha256 {prov['sha256'][:12]}), "
            f"{len(pub.scores.pillar_scores)} pillar scores, {len(pub.scores.overall_scores)} overall scores",
            f"reference: {int((orgs['org_type'] == 'trust').sum())} trusts, "
            f"{int((orgs['org_type'] == 'icb').sum())} ICBs, {len(ref.regions)} regions",
        ])  # fmt: skip
    lines = [
        f"release {pub.release.version} ({pub.release.status}), inputs sha256 {pub.inputs_hash[:12]}",
        f"methodology: years {', '.join(str(y) for y in sorted(m.domains['year'].unique()))}; "
        f"{len(m.domains)} domain-years, {len(m.questions)} question-years, "
        f"{len(m.elements)} element-years",
        f"reference: {int((orgs['org_type'] == 'trust').sum())} trusts, "
        f"{int((orgs['org_type'] == 'icb').sum())} ICBs, {len(ref.regions)} regions"
        + (" (fictional demonstration data)" if pub.is_demo else ""),
        f"returns: {v.reconciliation['rows_read']} answer rows in "
        f"{v.reconciliation['returns_read']} returns",
    ]
    return "\n".join(lines)


def format_reconciliation(rec: dict[str, int]) -> str:
    """The reconciliation, as the build prints it."""
    return (
        f"reconciliation: answer rows read {rec['rows_read']} = scored {rec['rows_scored']}"
        f" + rejected {rec['rows_rejected']}; returns read {rec['returns_read']}"
        f" = scored {rec['returns_scored']} + rejected {rec['returns_rejected']}"
    )


def format_disclosure(record: Any) -> str:
    """The disclosure audit stage's outcome, as the build prints it."""
    if record is None or record.n_withheld == 0:
        return "disclosure audit: nothing withheld, nothing to work back"
    return (
        f"disclosure audit: {record.n_withheld} withheld values, {record.pinned_before} pinned "
        f"before extra withholding, {len(record.pinned)} after; extra withheld "
        f"{len(record.benchmark_rows)} benchmark rows and {len(record.pillar_scores)} pillar "
        f"scores ({record.rounds} audits, solver {record.seconds:.1f} s"
        + (", kept from an earlier build of the same tables)" if record.cached else ")")
    )


def format_history(history: Any) -> str:
    """The releases stage's outcome, as the build prints it."""
    if history is None:
        return "releases: no history"
    archived = [v.version for v in history.versions if v.archived is not None]
    if not archived:
        return f"releases: {history.current}; no earlier version's values are archived"
    c = history.changes
    mine = c[c["version"] == history.current]
    org = mine["unit_type"] == "organisation"
    text = (
        f"releases: {history.current} against archived {', '.join(archived)}: "
        f"{len(mine)} published values changed ({int(org.sum())} of "
        f"{mine.loc[org, 'unit_code'].nunique()} organisations, {int((~org).sum())} benchmark values)"
    )
    if history.unused_reasons:
        codes = ", ".join(f"{code} ({version})" for version, code in history.unused_reasons)
        text += (
            f"; release.yaml gives reasons for {codes}, but no published value of theirs changed"
        )
    return text


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
    echo(format_inputs(pub))
    # validation_report quotes text a spreadsheet would run as a formula (answers are raw input).
    write_validation_report(validation_report(pub.validated), report_path)
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
        echo(format_reconciliation(pub.validated.reconciliation))
    echo(format_disclosure(pub.disclosure))
    echo(format_history(pub.history))
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
    `builder` is MkDocs (the default) or Zensical (`zensical_build`), with the same work
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


def _add_audit_section(pub: Publication, page: Path) -> None:
    """Put the disclosure audit's figures in the hand-written data-quality page's place for them
    (a copy in the build's docs folder; the page in site_src keeps its marker)."""
    from dma_publish.pages.disclosure import MARKER, audit_section

    if page.is_file():
        text = page.read_text(encoding="utf-8")
        if MARKER in text:
            page.write_text(
                text.replace(MARKER, audit_section(pub)), encoding="utf-8", newline="\n"
            )


def _publish_into(
    pub: Publication,
    work: Path,
    site_dir: Path,
    docs_dir: Path | None,
    log: StageLog,
    builder: str = "mkdocs",
) -> None:
    from dma_publish import api, charts, index, opendata, pages
    from dma_publish.resources import MKDOCS_CONFIG, SITE_SOURCE

    source_docs = SITE_SOURCE
    provenance = pub.provenance
    scratch = docs_dir is None  # generated pages go in the build's own work folder
    docs_dir = work / "docs" if docs_dir is None else Path(docs_dir)
    staging = work / "site"
    prepare_docs(docs_dir, source_docs)
    with log.stage("data files") as stage:
        tables = opendata.publication_tables(pub)
        downloads = opendata.write_open_data(pub, docs_dir / "downloads", tables)
        kept = write_release_files(pub, docs_dir)
        stage.count(len(downloads) + len(kept), "files")
    with log.stage("api") as stage:  # the same rounded, suppressed tables as the data files
        stage.count(len(api.write_api(pub, tables, docs_dir, downloads)), "documents")
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
            _add_audit_section(pub, docs_dir / "about" / "data-quality.md")
    if builder not in BUILDERS:
        raise ValueError(f"unknown site builder {builder!r}: one of {', '.join(BUILDERS)}")
    with log.stage(builder) as stage:
        extra, drop = mkdocs_arguments(pub, docs_dir)
        with _build_date(opendata.release_datetime(pub.release)):
            if builder == "zensical":
                zensical_build(MKDOCS_CONFIG, staging, extra, docs_dir=docs_dir, **drop)
            else:
                mkdocs_build(MKDOCS_CONFIG, staging, extra, docs_dir=docs_dir, stage=stage, **drop)
    sitedir.swap_in(staging, site_dir)


def write_release_files(pub: Publication, docs_dir: Path) -> list[Path]:
    """Every version's whole-dataset zip at its stable address, releases/<version>/: this
    build's (a copy of the one in downloads/) and each archived earlier version's, unchanged."""
    from dma_publish.opendata import zip_name
    from dma_publish.pages.releases import version_zip_path

    history = pub.history
    if history is None:
        return []
    written = []
    sources = [(pub.release.version, docs_dir / "downloads" / zip_name(pub.release))]
    sources += [(v.version, v.archived.path) for v in history.superseded]
    for version, source in sources:
        target = docs_dir / version_zip_path(version)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written


def page_folders(docs_dir: Path) -> list[str]:
    """The folders of docs_dir that hold pages, sorted: the 404 page's script needs them, and
    working them out here keeps string methods out of the template (Zensical has none)."""
    folders = {p.relative_to(docs_dir).parts[0] for p in Path(docs_dir).glob("*/**/*.md")}
    return sorted(folders - {"overrides"})


def mkdocs_arguments(
    pub: Publication, docs_dir: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the theme is told of the publication (`extra`; with docs_dir, the folders that hold
    pages), and the pages left out of the navigation (a publication without domain scores has
    no domain index or comparability page): the same for the build and for the benchmark's
    bare MkDocs build of its pages."""
    provenance = pub.provenance
    extra: dict[str, Any] = {
        "demo": pub.is_demo,
        "release_version": str(pub.release.version),
        "release_status": str(pub.release.status),
        "inputs_hash": pub.inputs_hash,
        "generator_version": pub.generator_version,
        "official": provenance is not None,
    }
    if docs_dir is not None:
        extra["page_folders"] = page_folders(docs_dir)
    if provenance is not None:
        extra.update(
            official_date=provenance["publication_date"],
            source_url=provenance["source_url"],
            source_file=provenance["file_name"],
            source_version=provenance.get("file_version", ""),
        )
    no_domains = not pub.has_domains
    drop = {"drop_pages": {"domains/index.md", "comparability.md"}} if no_domains else {}
    return extra, drop
