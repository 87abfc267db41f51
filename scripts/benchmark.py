"""Benchmark the whole build at several scales of demo data; print figures, write BENCHMARKS.md.

Usage: .venv/bin/python scripts/benchmark.py [--scales 1 10 25] [--cold 1] [--official] [--out BENCHMARKS.md]
       .venv/bin/python scripts/benchmark.py --report-only   (the report again from BENCHMARKS.json)

Each scale runs in its own process (so peak memory is that build's own): demo data is generated
into a scratch folder, then the full build runs there (load, validate, score, aggregate, suppress,
data files, charts, pages, mkdocs), then a bare `mkdocs build` of the same generated pages. This
is a measurement, not a test: nothing here fails on a missed target; BENCHMARKS.md says which
targets were met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_build(data: Path, work: Path) -> dict:
    """One full build of `data` into work/site (pages generated in work/docs), measured."""
    from dma_publish.charts import STATS as CHART_STATS
    from dma_publish.pipeline import run_build
    from dma_publish.progress import StageLog

    log = StageLog()
    CHART_STATS.reset()
    t0 = time.perf_counter()
    pub = run_build(
        data_dir=data,
        site_dir=work / "site",
        report_path=work / "report.csv",
        strict=False,
        check_only=False,
        echo=lambda *_: None,
        docs_dir=work / "docs",
        log=log,
    )
    return {
        "pub": pub,
        "total_s": time.perf_counter() - t0,
        "stages": [[n, s, p] for n, s, p in log.stages],
        "n_charts": CHART_STATS.n_built,
        "chart_ms_per_chart": CHART_STATS.ms_per_chart,
        "images_drawn": CHART_STATS.n_images_drawn,
        "images_cached": CHART_STATS.n_images_cached,
    }


def change_one_answer(data: Path) -> str:
    """Change one answer of one trust's return in the latest returns file (a Yes to No, or No
    to Yes): what a corrected return does to a rebuild. Returns which row changed."""
    path = sorted((data / "returns").glob("*.csv"))[-1]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[2] != "icb" and cells[4] in ("Yes", "No"):
            cells[4] = "No" if cells[4] == "Yes" else "Yes"
            lines[n] = ",".join(cells)
            path.write_text("".join(lines), encoding="utf-8", newline="")
            return f"{path.name} line {n + 1}: {cells[1]} {cells[3]}"
    raise SystemExit(f"{path}: no Yes/No answer of a trust to change")


def measure_one(
    scale: int, cold: bool = False, rebuilds: bool = True, zensical: bool = False
) -> dict:
    """Build the demo data at this scale (or, for scale 0, NHS England's official file) in a
    scratch folder and measure it (child process): a full build, a bare MkDocs build of the same
    pages, a rebuild with the same inputs, and a rebuild after one answer of one return changes.

    With `cold`, chart images and the disclosure audit are cached in the scratch folder (the
    full build draws and solves them all); otherwise in the checkout's .cache, as a real build
    does."""
    from dma_publish import disclose
    from dma_publish.charts import render
    from dma_publish.demo import write_demo_data
    from dma_publish.resources import MKDOCS_CONFIG
    from dma_publish.sitebuild import mkdocs_arguments, mkdocs_build, zensical_build

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    work = Path(tempfile.mkdtemp(prefix=f"dma-bench-{scale}-"))
    if cold:
        render.IMAGE_CACHE = work / "image-cache"
        disclose.AUDIT_CACHE = work / "audit-cache"
    try:
        data = work / "data"
        t0 = time.perf_counter()
        if scale == 0:
            from dma_publish.cli import _import_official

            data = _import_official(work / "official-data")
        else:
            shutil.copytree(ROOT / "data", data)
            shutil.rmtree(data / "returns")
            shutil.rmtree(data / "reference")
            write_demo_data(data, seed=2025, scale=scale)
            if scale != 1 and (data / "releases").exists():
                # the archived 2025.1.0 is of the 1x organisations: other scales compare nothing
                shutil.rmtree(data / "releases")
        gen_s = time.perf_counter() - t0
        full = _one_build(data, work)
        pub = full.pop("pub")
        figures = site_figures(work / "site")
        t0 = time.perf_counter()
        extra, drop = mkdocs_arguments(pub, work / "docs")
        mkdocs_build(MKDOCS_CONFIG, work / "bare-site", extra, docs_dir=work / "docs", **drop)
        bare_s = time.perf_counter() - t0
        zensical_s = None
        if zensical:  # Zensical, a whole process, on the same pages (its cache starts empty)
            t0 = time.perf_counter()
            zensical_build(
                MKDOCS_CONFIG, work / "zensical-site", extra, docs_dir=work / "docs", **drop
            )
            zensical_s = time.perf_counter() - t0
        warm = _one_build(data, work) if rebuilds else None
        changed = None
        one_change = None
        if rebuilds and scale != 0:  # the official file has no answers to change
            changed = change_one_answer(data)
            one_change = _one_build(data, work)
        n_orgs = int(len(pub.reference.organisations))
        return {
            "scale": scale,
            "cold": cold,
            "generate_s": gen_s,
            **{k: v for k, v in full.items()},
            "bare_mkdocs_s": bare_s,
            "mkdocs_ms_per_page": 1000 * bare_s / max(figures["pages"], 1),
            "zensical_s": zensical_s,
            "warm_s": warm["total_s"] if warm else None,
            "warm_images_drawn": warm["images_drawn"] if warm else None,
            "changed": changed,
            "one_change_s": one_change["total_s"] if one_change else None,
            "one_change_images_drawn": one_change["images_drawn"] if one_change else None,
            "n_orgs": n_orgs,
            "s_per_org": full["total_s"] / n_orgs,
            **figures,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def site_figures(site: Path) -> dict:
    """Pages, bytes, trust-page sizes and search-index size of a built site."""
    files = [p for p in site.rglob("*") if p.is_file()]
    html = [p for p in files if p.suffix == ".html"]
    trust_pages = sorted(p.stat().st_size for p in (site / "trusts").glob("*.html"))
    index = site / "search" / "search_index.json"
    return {
        "pages": len(html),
        "site_bytes": sum(p.stat().st_size for p in files),
        "html_bytes": sum(p.stat().st_size for p in html),
        "trust_page_median": statistics.median(trust_pages) if trust_pages else 0,
        "trust_page_max": max(trust_pages) if trust_pages else 0,
        "search_index_bytes": index.stat().st_size if index.exists() else 0,
        "png_files": sum(p.suffix == ".png" and "charts" in p.parts for p in files),
    }


def run_child(scale: int, cold: bool, rebuilds: bool = True, zensical: bool = False) -> dict:
    """Run one scale in a fresh interpreter and read its JSON result."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(scale),
            *(["--child-cold"] if cold else []),
            *([] if rebuilds else ["--child-no-rebuilds"]),
            *(["--child-zensical"] if zensical else []),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    # how busy the machine was (other processes share its cores): the mean number of runnable
    # processes over the last 15 minutes, when the build ended
    measured["load_15min"] = round(os.getloadavg()[2], 2)
    return measured


def label(r: dict) -> str:
    """A result's row label: the demo's scale, or the official publication."""
    return "official" if r["scale"] == 0 else f"{r['scale']}x"


def before_mkdocs(r: dict) -> tuple[float, float]:
    """Seconds of the stages before MkDocs, and of MkDocs' own stage, in the full build."""
    mkdocs = sum(secs for name, secs, _ in r["stages"] if name == "mkdocs")
    return sum(secs for name, secs, _ in r["stages"] if name != "mkdocs"), mkdocs


def targets(results: list[dict]) -> list[tuple[str, str, bool]]:
    """The issue's targets, each with the measured figure and whether it is met."""
    demo = [r for r in results if r["scale"] > 0]
    by = {r["scale"]: r for r in demo}
    one = by.get(1)
    rows = []
    for r in results:
        ratio = r["total_s"] / r["bare_mkdocs_s"]
        kind = "cold full build" if r.get("cold") else "full build"
        rows.append((f"{kind} / bare mkdocs at {label(r)} <= 2.0", f"{ratio:.2f}", ratio <= 2.0))
        if r.get("warm_s") is not None:
            warm = r["warm_s"] / r["bare_mkdocs_s"]
            rows.append(
                (
                    f"warm rebuild / bare mkdocs at {label(r)} <= 1.3",
                    f"{warm:.2f} ({r['warm_images_drawn']} images drawn)",
                    warm <= 1.3,
                )
            )
        if r.get("one_change_s") is not None:
            n_images = r["images_drawn"] + r["images_cached"]
            rows.append(
                (
                    f"rebuild after one changed answer at {label(r)} redraws only changed charts",
                    f"{r['one_change_images_drawn']} of {n_images} images drawn,"
                    f" {r['one_change_s'] / r['total_s']:.2f} x the full build",
                    r["one_change_images_drawn"] < n_images,
                )
            )
        per_org = r["site_bytes"] / r["n_orgs"]
        rows.append(
            (
                f"site bytes per organisation at {label(r)} <= 500 KB",
                f"{per_org / 1000:.0f} KB",
                per_org <= 500_000,
            )
        )
        rows.append(
            (f"PNG files the build writes at {label(r)}: none", str(r.get("png_files", "?")),
             r.get("png_files") == 0)
        )  # fmt: skip
        rows.append(
            (
                f"median / largest trust page at {label(r)} <= 60 / 100 KB",
                f"{r['trust_page_median'] / 1000:.1f} / {r['trust_page_max'] / 1000:.1f} KB",
                r["trust_page_median"] <= 60_000 and r["trust_page_max"] <= 100_000,
            )
        )
        peak = max(p for _, _, p in r["stages"])
        limit = {10: 2, 25: 4}.get(r["scale"])
        if limit:
            rows.append(
                (
                    f"peak memory at {label(r)} <= {limit} GiB",
                    f"{peak / 2**30:.2f} GiB",
                    peak <= limit * 2**30,
                )
            )
        if r["scale"] == 25:
            rows.append(
                (
                    "25x build runs to the end in <= 40 min",
                    f"{r['total_s'] / 60:.1f} min",
                    r["total_s"] <= 40 * 60,
                )
            )
    if one:
        rows.append(
            (
                "search index at 1x <= 1.5 MB",
                f"{one['search_index_bytes'] / 1e6:.2f} MB",
                one["search_index_bytes"] <= 1_500_000,
            )
        )
        for top in (r for r in demo if r["scale"] > 1):
            scale = label(top)
            change = top["s_per_org"] / one["s_per_org"] - 1
            rows.append(
                (
                    f"build time per organisation, 1x to {scale}, within 10%",
                    f"{change:+.1%} ({1000 * one['s_per_org']:.0f} -> "
                    f"{1000 * top['s_per_org']:.0f} ms)",
                    abs(change) <= 0.10,
                )
            )
    return rows


# Why a target can be missed, and what would close it (printed only for targets that are missed).
WHY_MISSED = {
    "cold full build / bare mkdocs": (
        "Every stage before MkDocs is work MkDocs does not do, and even with no chart at all they"
        " take five times MkDocs' own stage at 1x (about 53 s against 10 s: loading, validating"
        " and scoring every answer, every table as Parquet and CSV with metadata and"
        " per-organisation slices, the JSON API and the pages, and above all the disclosure"
        " audit, about 41 s cold, whose final exact run proves every feasible level of every"
        " withheld score through HiGHS, so the published counts are true). Next is drawing every"
        " chart a page shows as SVG through vl-convert (the chart files stage): about 43 ms of CPU an image"
        " (an organisation's domain chart 48 ms, its like-for-like chart 30 ms, its pillar chart"
        " 26 ms, nearly all of it Vega laying out and measuring text), one helper per core. The"
        " build no longer draws PNGs (they were 60% of the old cold build). Closing it would need"
        " the row charts (853 of the 1,006 at 1x: fixed layouts of labels, rules and dots)"
        " written as SVG by Python without Vega, and the stages before MkDocs cached by their"
        " inputs' hash as the images and the audit are."
    ),
    "full build / bare mkdocs": (
        "The official publication's MkDocs stage is short (about 4 s for 267 pages), so drawing"
        " its 396 chart images (about 8 s on 2 cores, when none is cached) and the other stages"
        " are more than it; with the images cached the build is about 1.6 times MkDocs."
    ),
    "warm rebuild / bare mkdocs": (
        "A rebuild with unchanged inputs draws no image and solves no audit (both are kept by"
        " the hash of what they read), but it loads, validates and scores every answer, writes"
        " every data file, API document and page again, and MkDocs builds every page again (it"
        " has no incremental build): MkDocs' own stage alone is 1.0x. Closing it would need each"
        " stage cached by its inputs' hash and a builder that rebuilds only changed pages."
    ),
    "build time per organisation": (
        "The disclosure audit grows faster than the data: its final exact run proves every"
        " feasible level of every withheld score, one neighbourhood (the organisations sharing"
        " every published group) at a time, and at 10x the regions and their peer groups hold ten"
        " times as many organisations, so each neighbourhood's integer programme is larger and"
        " harder (about 41 s at 1x, 468 s at 10x). Without it, time per organisation falls from"
        " 1x to 10x, as fixed costs are shared by more organisations. Part of the 10x build also"
        " shared its cores with a test suite (see Conditions). Closing it would need the exact"
        " run's neighbourhoods split further (fixing more of the publication at its true values,"
        " which can only understate the counts) or its proofs cached per neighbourhood."
    ),
}


def report(results: list[dict]) -> str:
    """BENCHMARKS.md text."""
    lines = [
        "# Benchmarks",
        "",
        "Regenerated by `.venv/bin/python scripts/benchmark.py` (do not edit by hand).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}.",
        "Peak memory is the process's peak resident set size after each stage (so it never falls).",
        "Each row is one child process: a full build of the demo data at that scale (or of NHS"
        " England's official file), a bare `mkdocs build` of the same generated pages, a rebuild"
        " with the same inputs (warm), and a rebuild after one answer of one trust's return"
        " changes (one change). A cold row caches chart images and the disclosure audit in its scratch"
        " folder, so its full build draws every image and solves every audit; the others use the"
        " checkout's `.cache`.",
        "",
        "| build | orgs | pages | site MB | trust page median KB | largest KB | search index KB"
        " | charts | images drawn | full build s | bare mkdocs s | MkDocs ms per page | warm s"
        " | one change s (images drawn) | ms per org |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        one = (
            f"{r['one_change_s']:.1f} ({r['one_change_images_drawn']})"
            if r.get("one_change_s") is not None
            else "-"
        )
        lines.append(
            f"| {label(r)}{' cold' if r.get('cold') else ''} | {r['n_orgs']} | {r['pages']} |"
            f" {r['site_bytes'] / 1e6:.1f} |"
            f" {r['trust_page_median'] / 1000:.1f} | {r['trust_page_max'] / 1000:.1f} |"
            f" {r['search_index_bytes'] / 1000:.0f} | {r.get('n_charts', 0)} |"
            f" {r.get('images_drawn', 0)} | {r['total_s']:.1f} | {r['bare_mkdocs_s']:.1f} |"
            f" {r['mkdocs_ms_per_page']:.0f} |"
            f" {'-' if r.get('warm_s') is None else format(r['warm_s'], '.1f')} | {one} |"
            f" {1000 * r['s_per_org']:.0f} |"
        )
    lines += ["", "## Stages of the full build (seconds, peak MiB)", ""]
    names: list[str] = []
    for r in results:
        names += [n for n, _, _ in r["stages"] if n not in names]
    lines.append("| stage | " + " | ".join(label(r) for r in results) + " |")
    lines.append("|---|" + "---|" * len(results))
    for name in names:
        cells = []
        for r in results:
            got = [(s, p) for n, s, p in r["stages"] if n == name]
            cells.append(f"{got[0][0]:.2f} s, {got[0][1] / 2**20:.0f} MiB" if got else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    zensical = [r for r in results if r.get("zensical_s")]
    if zensical:
        lines += [
            "",
            "## MkDocs and Zensical on the same pages",
            "",
            "Each builder as a bare build of the full build's generated pages (Zensical 0.0.73,"
            " the `zensical` extra, in a process of its own, its cache empty).",
            "",
            "| build | pages | MkDocs s | MkDocs ms per page | Zensical s | Zensical ms per page |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {label(r)} | {r['pages']} | {r['bare_mkdocs_s']:.1f} |"
            f" {r['mkdocs_ms_per_page']:.0f} | {r['zensical_s']:.1f} |"
            f" {1000 * r['zensical_s'] / max(r['pages'], 1):.0f} |"
            for r in zensical
        ]
    lines += [
        "",
        "## Conditions",
        "",
        f"The machine has {os.cpu_count()} cores. Load: the mean number of runnable processes over"
        " the 15 minutes before each build ended (above the core count, other work slowed it).",
        "",
        "| build | load | note |",
        "|---|---|---|",
    ]
    lines += [
        f"| {label(r)} | {r['load_15min'] if r.get('load_15min') is not None else '-'}"
        f" | {r.get('note') or '-'} |"
        for r in results
    ]
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    rows = targets(results)
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in rows]
    missed = [key for key in WHY_MISSED if any(t.startswith(key) and not ok for t, _, ok in rows)]
    if missed:
        lines += ["", "## Missed targets: why, and what would close them", ""]
        lines += [f"- **{key}**: {WHY_MISSED[key]}" for key in missed]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments; run each scale in a child process; print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 25])
    parser.add_argument(
        "--cold", type=int, nargs="*", default=[1], help="scales whose full build draws every image"
    )
    parser.add_argument("--official", action="store_true", help="also build NHS England's file")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "BENCHMARKS.json",
        help="where each build's measurements are kept (JSON, kept in git beside the report, so a"
        " later run can --merge one scale), for --report-only",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the report from the kept measurements, building nothing",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--child-cold", dest="child_cold", action="store_true", help=argparse.SUPPRESS
    )
    parser.add_argument("--child-no-rebuilds", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-zensical", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--zensical",
        action="store_true",
        help="also time a bare Zensical build of the same pages (the zensical extra)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the kept measurements of builds not run now (same scale: replaced)",
    )
    parser.add_argument(
        "--note", default="", help="said beside every build run now (what else ran, say)"
    )
    parser.add_argument(
        "--rebuilds",
        type=int,
        nargs="*",
        help="scales (0: official) that also get the unchanged and one-change rebuilds"
        " (default: every scale)",
    )
    args = parser.parse_args()
    if args.child is not None:
        print(
            json.dumps(
                measure_one(
                    args.child, args.child_cold, not args.child_no_rebuilds, args.child_zensical
                )
            )
        )
        return
    if args.report_only:
        text = report(json.loads(args.results.read_text(encoding="utf-8")))
        args.out.write_text(text, encoding="utf-8")
        print(text)
        return
    results = []
    if args.merge and args.results.is_file():
        results = json.loads(args.results.read_text(encoding="utf-8"))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    for scale in [*args.scales, *([0] if args.official else [])]:
        cold = scale in args.cold
        print(
            f"{'official' if scale == 0 else f'scale {scale}x'}{' (cold)' if cold else ''} ...",
            file=sys.stderr,
            flush=True,
        )
        try:
            rebuilds = args.rebuilds is None or scale in args.rebuilds
            measured = run_child(scale, cold, rebuilds, args.zensical)
            measured["note"] = args.note
            results = [r for r in results if r["scale"] != scale] + [measured]
            results.sort(key=lambda r: (r["scale"] == 0, r["scale"]))
        except subprocess.CalledProcessError as exc:  # report it; measure the other builds
            print(f"  failed (exit {exc.returncode}):\n{exc.stderr}", file=sys.stderr, flush=True)
            continue
        # written after each build, so a long run stopped part way keeps what it measured
        args.results.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        args.out.write_text(report(results), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
