"""The command line: a thin layer over the pipeline's functions."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from dma_publish import __version__
from dma_publish.errors import InputError, PolicyUnsafe, PublishError, ValidationFailed

# Inputs and outputs are found in the folder the command runs in (a checkout of this repository,
# or any project folder laid out like it); the package's own files come from the package.
ROOT = Path()


def _setup_logging(verbose: bool) -> None:
    """Show MkDocs' warnings (they fail a strict build) and, with --verbose, its progress."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    mk = logging.getLogger("mkdocs")
    mk.handlers[:] = [handler]
    mk.setLevel(logging.INFO if verbose else logging.WARNING)
    mk.propagate = False


@click.group()
@click.version_option(__version__, prog_name="dma-publish")
def cli() -> None:
    """Score NHS Digital Maturity Assessment returns and publish them as a static website."""


@cli.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "data",
    show_default="data/",
    help="Inputs: methodology/, reference/, returns/, release.yaml, publication-policy.yaml.",
)
@click.option(
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "site",
    show_default="site/",
    help="Where the finished website goes (replaced only when the build succeeds).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=ROOT / "reports" / "validation-report.csv",
    show_default="reports/validation-report.csv",
    help="Where the validation report (one row per problem found in the returns) is written.",
)
@click.option("--strict", is_flag=True, help="Exit non-zero (3) if any return has an error.")
@click.option("--check-only", is_flag=True, help="Validate, score and report; publish nothing.")
@click.option("--verbose", is_flag=True, help="Show MkDocs' progress messages.")
@click.option(
    "--quiet",
    is_flag=True,
    help="Print nothing but errors: no progress bars or stage lines, no summary.",
)
@click.option(
    "--official",
    is_flag=True,
    help="Build NHS England's official results: import data/official/source/*.xlsx into "
    "build/official-data, then build from it (in place of --data).",
)
@click.option(
    "--archive",
    is_flag=True,
    help="Once the site is built, keep this version's zip in the release archive "
    "(data/releases/, or data/official/releases/ with --official), so the next version "
    "lists what it changed and keeps this one's downloads.",
)
@click.option(
    "--builder",
    type=click.Choice(["mkdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="The static site builder: MkDocs with Material, or Zensical (its successor; install "
    "the zensical extra). Both read the same mkdocs.yml and pages.",
)
def build(
    official: bool,
    archive: bool,
    builder: str,
    data_dir: Path,
    site_dir: Path,
    report_path: Path,
    strict: bool,
    check_only: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Validate and score the returns, then publish the site, data files and charts.

    On a terminal each stage shows a progress bar with counts (pages, charts, files) and its
    time; in CI (CI set) or when the output is piped, one plain line per stage."""
    from dma_publish.pipeline import run_build
    from dma_publish.progress import Progress, StageLog

    _setup_logging(verbose)
    try:
        archive_dir = data_dir / "releases"
        if official:
            data_dir = _import_official(ROOT / "build" / "official-data")
            archive_dir = ROOT / "data" / "official" / "releases"
        pub = run_build(
            data_dir=data_dir,
            site_dir=site_dir,
            report_path=report_path,
            strict=strict,
            check_only=check_only,
            builder=builder,
            echo=(lambda *_: None) if quiet else click.echo,
            log=StageLog(progress=Progress.choose(quiet=quiet)),
        )
        if archive and not check_only:
            _archive(pub, site_dir, archive_dir, (lambda *_: None) if quiet else click.echo)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(InputError.exit_code)
    except ValidationFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ValidationFailed.exit_code)
    except PolicyUnsafe as exc:
        click.echo(f"error: {exc}; nothing was published", err=True)
        sys.exit(PolicyUnsafe.exit_code)
    except PublishError as exc:
        click.echo(f"error: {exc}; the published site is unchanged", err=True)
        sys.exit(PublishError.exit_code)


def _archive(pub: object, site_dir: Path, archive_dir: Path, echo: object) -> None:
    """Keep the zip this build published in the release archive."""
    from dma_publish.opendata import zip_name
    from dma_publish.releases import write_archive

    target, added = write_archive(site_dir / "downloads" / zip_name(pub.release), archive_dir)
    echo(f"release archive: {'added' if added else 'already holds'} {target}")


def _import_official(out_dir: Path) -> Path:
    """Import the committed official workbook (data/official/source/) into out_dir."""
    from dma_publish import official

    source = ROOT / "data" / "official"
    workbooks = sorted((source / "source").glob("*.xlsx"))
    if len(workbooks) != 1:
        raise InputError(
            str(source / "source"), "folder", "expected exactly one .xlsx workbook", "missing_file"
        )
    imported = official.import_workbook(workbooks[0], source / "organisations")
    official.check_reconciliation(imported)
    official.write_import(imported, out_dir, source / "release.yaml")
    click.echo(f"imported {workbooks[0].name}: {official.format_reconciliation(imported)}")
    click.echo(official.format_findings(imported))
    return out_dir


@cli.command("demo-data")
@click.option("--seed", type=int, default=2025, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Multiplies the number of trusts and ICBs (1: 205 trusts, 42 ICBs).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Data folder to write: reference/ and returns/ (methodology and release copied).",
)
def demo_data(seed: int, scale: int, out_dir: Path) -> None:
    """Write a fictional, deterministic demo dataset (reference and returns) for testing."""
    from dma_publish.demo import write_demo_data

    source = ROOT / "data"  # the methodology and release files are the project's, not the package's
    if not (source / "methodology").is_dir():
        raise click.ClickException(
            f"{source / 'methodology'}: not found (demo-data copies the methodology and release "
            "files from the data/ folder where it runs: run it in a project folder)"
        )
    write_demo_data(out_dir, seed=seed, scale=scale, source_dir=source)
    click.echo(f"wrote demo data (seed {seed}, scale {scale}) to {out_dir}")


@cli.command("import-nhse")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Data folder to write: reference/, published/ and release.yaml (what the build reads).",
)
@click.option(
    "--reference",
    "reference_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "data" / "official" / "organisations",
    show_default="data/official/organisations/",
    help="The ODS/ONS reference for the workbook's names (organisations.csv, regions.csv).",
)
@click.option(
    "--release",
    "release_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=ROOT / "data" / "official" / "release.yaml",
    show_default="data/official/release.yaml",
    help="Release metadata for the publication (copied into the data folder).",
)
def import_nhse(workbook: Path, out_dir: Path, reference_dir: Path, release_file: Path) -> None:
    """Import NHS England's published DMA results workbook (.xlsx) into a data folder."""
    import time

    from dma_publish import official

    start = time.perf_counter()
    try:
        imported = official.import_workbook(workbook, reference_dir)
        official.write_import(imported, out_dir, release_file)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(InputError.exit_code)
    prov = imported.provenance
    click.echo(f"workbook {prov['file_name']}: sha256 {prov['sha256']}, {prov['bytes']} bytes")
    for s in prov["sheets"]:
        state = "" if s["state"] == "visible" else f" ({s['state']})"
        click.echo(
            f"  sheet {s['name']!r}{state}: header row {s['header_row']}, {s['data_rows']} data rows"
            f" (rows {s['first_data_row']}-{s['last_data_row']})"
            + ("" if s["published"] else ", not published")
        )
    click.echo(official.format_findings(imported))
    for f in imported.findings.itertuples():
        click.echo(f"  {f.severity}: {f.sheet!s}, {f.cell}: {f.message} [{f.rule}]")
    official.check_reconciliation(imported)
    click.echo(official.format_reconciliation(imported))
    click.echo(f"wrote {out_dir} in {time.perf_counter() - start:.1f} s")


@cli.command("audit")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "data",
    show_default="data/",
    help="Inputs, as for build.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=ROOT / "reports" / "disclosure-audit.csv",
    show_default="reports/disclosure-audit.csv",
    help="Where the feasible range of every withheld value is written.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Prove every level of each value feasible or not (slow); by default the solver stops at a second level.",
)
def audit_command(data_dir: Path, out_path: Path, exact: bool) -> None:
    """Disclosure audit: which withheld scores could an attacker work back? Exit 4 if any."""
    from dma_publish.audit import audit
    from dma_publish.pipeline import assemble

    try:
        truth = assemble(data_dir, apply_policy=False).scores.domain_scores
        result = audit(assemble(data_dir), truth, exact=exact)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(InputError.exit_code)
    except PolicyUnsafe as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(PolicyUnsafe.exit_code)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    result.values.to_csv(out_path, index=False, lineterminator="\n")
    click.echo(result.summary().to_string(index=False))
    n = len(result.pinned)
    click.echo(
        f"{len(result.values)} withheld values in {result.n_components} neighbourhoods, "
        f"{n} pinned to one level; audit {result.seconds:.1f} s; ranges: {out_path}"
    )
    if n:
        sys.exit(4)


@cli.command()
def clean() -> None:
    """Remove everything the build generates: site/, generated pages, charts/, reports/, and
    its caches (.cache/chart-images, .cache/vega). Run it in the project folder (the one with
    data/ in it)."""
    from dma_publish.sitebuild import clean_all

    if not (ROOT / "data").is_dir():
        click.echo(
            f"error: no data/ folder in {ROOT.resolve()}: run clean in the project folder", err=True
        )
        sys.exit(InputError.exit_code)
    for path in clean_all(ROOT):
        click.echo(f"removed {path}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="dma-publish")
