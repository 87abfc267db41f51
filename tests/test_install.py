"""A non-editable install builds the demo: the package carries every file a build reads.

The package is built into a wheel and installed (not in editable mode) into a fresh virtual
environment, outside this checkout; its pinned dependencies come from the test environment
(added to the fresh one's path, so nothing is downloaded). Then the installed `dma-publish`,
run from an empty folder, builds the demo data into a site.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ("dma_publish", "pyproject.toml", "README.md")


def _copy_source(target: Path) -> None:
    """The files `pip install .` reads, without the checkout's caches and generated pages."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=ignore)
        else:
            shutil.copy2(src, target / name)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_a_non_editable_install_builds_the_demo(tmp_path: Path) -> None:
    source, venv, work = tmp_path / "source", tmp_path / "venv", tmp_path / "work"
    source.mkdir()
    work.mkdir()
    _copy_source(source)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    fresh = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    # the test environment's packages, after the fresh environment's own (its .pth files,
    # among them this checkout's editable install, are not read from a path added this way)
    (fresh / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CI")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run(
        [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", str(source)],
        cwd=work, env=env,
    )  # fmt: skip
    where = _run([python, "-c", "import dma_publish; print(dma_publish.__file__)"], work, env)
    installed = Path(where.stdout.strip()).parent
    assert installed.is_relative_to(fresh), installed  # not this checkout's code
    for shipped in (
        "mkdocs.yml",
        "assets/charts.js",
        "site_src/overrides/main.html",
        "site_src/about/methodology.md",
        "templates/pages/trust.md.j2",
    ):
        assert (installed / shipped).is_file(), shipped  # fmt: skip
    # demo-data copies the project's methodology and release files, never the package's folder
    tool = str(venv / "bin" / "dma-publish")
    lost = subprocess.run(
        [tool, "demo-data", "--out", "demo"], cwd=work, env=env, capture_output=True, text=True
    )
    assert lost.returncode == 1 and "Traceback" not in lost.stderr, lost.stderr
    assert "data/methodology: not found" in lost.stderr and not (work / "demo").exists()
    project = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "methodology", project / "data" / "methodology")
    shutil.copyfile(ROOT / "data" / "release.yaml", project / "data" / "release.yaml")
    _run([tool, "demo-data", "--out", "demo"], cwd=project, env=env)
    assert len(list((project / "demo" / "returns").glob("*.csv"))) == 2
    assert (project / "demo" / "methodology").is_dir()
    # the caches of this checkout's builds (keyed by what they hold) spare the drawing and audit
    env["DMA_PUBLISH_CACHE"] = str(ROOT / ".cache")
    env["NO_MKDOCS_2_WARNING"] = "1"
    _run(
        [venv / "bin" / "dma-publish", "build", "--quiet", "--data", str(ROOT / "data"),
         "--site", "site", "--report", "report.csv"],
        cwd=work, env=env,
    )  # fmt: skip
    site = work / "site"
    assert (site / "index.html").is_file() and any(site.rglob("charts.js"))
    assert len(list((site / "trusts").glob("*.html"))) > 200
    assert "FICTIONAL" in (site / "downloads" / "datapackage.json").read_text(encoding="utf-8")
    assert not (work / "charts").exists()  # a build outside a checkout leaves only its site
    assert not (installed / "site_src" / "trusts").exists()  # nothing written into the package
