"""The site build's IO: the docs folder (hand-written parts copied, generated ones cleaned),
MkDocs or Zensical into a staging folder, and what the theme is told of the publication.

`pipeline.publish` decides the order; this module does the file work (the lock and the atomic
swap are `dma_publish.sitedir`'s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from dma_publish import sitedir
from dma_publish.errors import PublishError
from dma_publish.progress import Stage
from dma_publish.publication import Publication

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
def build_date(when: Any) -> Iterator[None]:
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


def add_audit_section(pub: Publication, page: Path) -> None:
    """Put the disclosure audit's figures in the hand-written data-quality page's place for them
    (a copy in the build's docs folder; the page in site_src keeps its marker)."""
    from dma_publish.pages.disclosure import MARKER, audit_section

    if page.is_file():
        text = page.read_text(encoding="utf-8")
        if MARKER in text:
            page.write_text(
                text.replace(MARKER, audit_section(pub)), encoding="utf-8", newline="\n"
            )


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
