"""Remake the demo's release archive: data/releases/dma-open-data-2025.1.0.zip.

The demo's story (data/release.yaml): 2025.1.0 was the first public release; three acute trusts'
2025 returns held draft answers to the Care Coordination questions (`demo.draft_returns`), and
2025.1.1 corrects them. 2025.1.0 also listed a community trust that had closed before the
collection (REMOVED_TRUST: no return, so no score and no benchmark counts it); 2025.1.1 no
longer lists it, and its page and API document stay, marked removed. This builds 2025.1.0 as this version of dma-publish publishes it (the
draft returns, release.yaml as it stood on 2025-09-18, no archive) and keeps its zip.

A real publication never does this: its archive holds what was published, and a change of method
between versions is a revision that the changes table shows. The demo's archive is a fixture of
the demo's story, so it is remade when the method of publication changes (the level rule, the
rounding), to keep the demo's correction the only difference between its two versions.

    .venv/bin/python scripts/demo_archive.py   # then commit data/releases/
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
VERSION = "2025.1.0"
# A trust 2025.1.0 listed and 2025.1.1 does not (organisations.csv's columns).
REMOVED_TRUST = "ZXQ,Wrenmoor Community Health NHS Trust,trust,community,QZOW,Y62,,\n"


def draft_data(work: Path) -> Path:
    """A data folder holding the inputs of 2025.1.0: the demo's inputs with the draft returns."""
    from dma_publish.demo import draft_returns
    from dma_publish.methodology import load_methodologies, methodology_frames

    data = work / "data"
    for name in ("methodology", "reference"):
        shutil.copytree(DATA / name, data / name)
    with (data / "reference" / "organisations.csv").open("a", encoding="utf-8", newline="") as f:
        f.write(REMOVED_TRUST)  # sorted by code when read
    shutil.copy2(DATA / "publication-policy.yaml", data / "publication-policy.yaml")
    frames = methodology_frames(load_methodologies(DATA / "methodology"))
    paths = {int(p.stem.rsplit("-", 1)[1]): p for p in sorted((DATA / "returns").glob("*.csv"))}
    returns = {y: pd.read_csv(p, dtype=str, keep_default_na=False) for y, p in paths.items()}
    (data / "returns").mkdir()
    for year, table in draft_returns(returns, frames).items():
        table.to_csv(data / "returns" / paths[year].name, index=False, lineterminator="\n")
    release = yaml.safe_load((DATA / "release.yaml").read_text(encoding="utf-8"))
    kept = [r for r in release["revisions"] if str(r["version"]) <= VERSION]
    release.update(version=VERSION, release_date=str(kept[-1]["date"]), revisions=kept)
    text = yaml.safe_dump(release, sort_keys=False, allow_unicode=True, width=100)
    (data / "release.yaml").write_text(text, encoding="utf-8")
    return data


def main() -> int:
    """Build 2025.1.0 in a scratch folder and put its zip in data/releases/."""
    from dma_publish.opendata import zip_name
    from dma_publish.pipeline import run_build

    with tempfile.TemporaryDirectory(prefix="dma-archive-") as tmp:
        work = Path(tmp)
        pub = run_build(
            data_dir=draft_data(work),
            site_dir=work / "site",
            report_path=work / "report.csv",
            strict=False,
            check_only=False,
            echo=lambda *_: None,
            docs_dir=work / "docs",
        )
        assert pub.release.version == VERSION, pub.release.version
        name = zip_name(pub.release)
        target = DATA / "releases" / name
        shutil.copy2(work / "site" / "downloads" / name, target)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
