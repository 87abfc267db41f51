"""Shared fixtures: the demo publication, assembled once, and the demo site, built once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@dataclass(frozen=True)
class BuiltSite:
    """A full build of the demo data in a scratch folder."""

    site: Path
    docs: Path
    report: Path
    publication: object


@pytest.fixture(scope="session")
def raw_publication():
    """The demo data validated, scored and benchmarked, before the publication policy."""
    from dma_publish.pipeline import assemble

    return assemble(DATA, apply_policy=False)


@pytest.fixture(scope="session")
def publication():
    """The demo data as published: validated, scored, benchmarked and suppressed by policy."""
    from dma_publish.pipeline import assemble

    return assemble(DATA)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """Build the whole demo publication once for the session (never into the repository)."""
    from dma_publish.pipeline import run_build

    work = tmp_path_factory.mktemp("built")
    pub = run_build(
        data_dir=DATA,
        site_dir=work / "site",
        report_path=work / "validation-report.csv",
        strict=False,
        check_only=False,
        echo=lambda *_: None,
        docs_dir=work / "docs",
    )
    return BuiltSite(
        site=work / "site",
        docs=work / "docs",
        report=work / "validation-report.csv",
        publication=pub,
    )


@pytest.fixture(scope="session")
def official_site(tmp_path_factory):
    """The official publication built once from NHS England's committed workbook: (site, pub)."""
    from dma_publish import official
    from dma_publish.pipeline import run_build

    source = Path(__file__).resolve().parent.parent / "data" / "official"
    work = tmp_path_factory.mktemp("official")
    workbook = next((source / "source").glob("*.xlsx"))
    imported = official.import_workbook(workbook, source / "organisations")
    official.write_import(imported, work / "data", source / "release.yaml")
    pub = run_build(
        data_dir=work / "data",
        site_dir=work / "site",
        report_path=work / "report.csv",
        strict=True,
        check_only=False,
        echo=lambda *_: None,
        docs_dir=work / "docs",
    )
    return work / "site", pub
