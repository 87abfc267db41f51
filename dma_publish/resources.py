"""Files the package ships, and where a build keeps its caches.

The site's frame (`mkdocs.yml` and `site_src/`: hand-written pages, theme overrides, styles and
page scripts), the page templates and the chart page script are package data, read through
`importlib.resources`, so an installed package builds a site as a checkout does. Caches live
in the working folder's `.cache/` (or `DMA_PUBLISH_CACHE`), never inside the package.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def package_file(*parts: str) -> Path:
    """A file or folder shipped in the package, as a path on disk (the package is installed as
    files, as pip installs it, never imported from a zip)."""
    found = files("dma_publish").joinpath(*parts)
    if not isinstance(found, Path):  # a zipped package has no folders to copy
        raise RuntimeError(f"dma_publish must be installed as files on disk to read {found}")
    return found


MKDOCS_CONFIG = package_file("mkdocs.yml")
SITE_SOURCE = package_file("site_src")
CACHE_DIR = Path(os.environ.get("DMA_PUBLISH_CACHE") or Path.cwd() / ".cache").resolve()
