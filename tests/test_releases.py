"""Versions kept, corrections listed: the release archive, the change table, and where they show.

The change table is tested on two small hand-written releases (golden rows for changed, added,
removed, withheld and unchanged values); the demo's correction (2025.1.0 -> 2025.1.1) end to
end: the revisions page, the corrected organisations' pages, the superseded version's page and
zip, the changes download and the Atom feed (read with feedparser).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import feedparser
import pandas as pd
import pytest

from dma_publish import releases
from dma_publish.errors import InputError
from dma_publish.registry import TABLES
from dma_publish.release import Release, Revision

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "data" / "releases"

PILLAR_HEADER = list(TABLES["pillar_scores"].columns)
BENCH_HEADER = list(TABLES["benchmarks"].columns)


def _pillar(org: str, pillar: str, score: str, flag: str = "false") -> list[str]:
    """A pillar_scores CSV row (only the cells the comparison reads are meaningful)."""
    cells = dict.fromkeys(PILLAR_HEADER, "[z]")
    cells.update(
        year="2025",
        org_code=org,
        org_name=f"Trust {org}",
        org_type="trust",
        care_setting="acute",
        icb_code="QZ01",
        region_code="Y56",
        pillar_id=pillar,
        pillar_name=pillar.replace("_", " ").title(),
        pillar_score=score,
        n_scores="6" if score != "[c]" else "[c]",
        score_is_suppressed=flag,
        lfl_is_suppressed="false",
    )
    return [cells[c] for c in PILLAR_HEADER]


def _bench(code: str, mean: str) -> list[str]:
    cells = dict.fromkeys(BENCH_HEADER, "[c]" if mean == "[c]" else "1")
    cells.update(
        year="2025",
        survey="secondary_care",
        peer_group_type="region",
        peer_group_code=code,
        peer_group_name=f"Region {code}",
        care_setting="acute",
        measure_type="pillar",
        measure_id="improve_care",
        measure_name="Improve Care",
        n_orgs="12",
        mean_score=mean,
        is_suppressed="true" if mean == "[c]" else "false",
    )
    return [cells[c] for c in BENCH_HEADER]


REVISION = Revision(
    version="2025.1.1",
    date=dt.date(2025, 10, 2),
    note="Correction of three returns.",
    kind="correction",
    reasons={"Z01": "Its return held draft answers."},
)


def test_change_table_golden() -> None:
    old = {
        "pillar_scores": (
            PILLAR_HEADER,
            [
                _pillar("Z01", "improve_care", "2.40"),  # changed
                _pillar("Z02", "improve_care", "3.00"),  # unchanged
                _pillar("Z03", "improve_care", "2.00"),  # now withheld
                _pillar("Z04", "improve_care", "[c]", "true"),  # no longer withheld
                _pillar("Z05", "improve_care", "[c]", "true"),  # withheld in both
                _pillar("Z06", "improve_care", "1.50"),  # removed
            ],
        ),
        "benchmarks": (BENCH_HEADER, [_bench("Y56", "2.50"), _bench("Y58", "[c]")]),
    }
    new = {
        "pillar_scores": (
            PILLAR_HEADER,
            [
                _pillar("Z01", "improve_care", "2.60"),
                _pillar("Z02", "improve_care", "3.00"),
                _pillar("Z03", "improve_care", "[c]", "true"),
                _pillar("Z04", "improve_care", "4.00"),
                _pillar("Z05", "improve_care", "[c]", "true"),
                _pillar("Z07", "improve_care", "2.20"),  # added
            ],
        ),
        "benchmarks": (BENCH_HEADER, [_bench("Y56", "2.52"), _bench("Y58", "[c]")]),
    }
    changes = releases.compare(old, new, REVISION, "2025.1.0", "answers")
    got = changes[
        ["unit_code", "value_column", "change_type", "old_value", "new_value", "reason"]
    ].astype(object)
    got = got.where(got.notna(), None).values.tolist()
    assert got == [
        ["Y56", "mean_score", "changed", "2.50", "2.52", "Correction of three returns."],
        ["Z01", "pillar_score", "changed", "2.40", "2.60", "Its return held draft answers."],
        ["Z03", "n_scores", "now_withheld", None, None, "Correction of three returns."],
        ["Z03", "pillar_score", "now_withheld", None, None, "Correction of three returns."],
        ["Z04", "n_scores", "no_longer_withheld", None, None, "Correction of three returns."],
        ["Z04", "pillar_score", "no_longer_withheld", None, None, "Correction of three returns."],
        ["Z06", "n_scores", "removed", "6", None, "Correction of three returns."],
        ["Z06", "pillar_score", "removed", "1.50", None, "Correction of three returns."],
        ["Z07", "n_scores", "added", None, "6", "Correction of three returns."],
        ["Z07", "pillar_score", "added", None, "2.20", "Correction of three returns."],
    ]
    assert set(changes["version"]) == {"2025.1.1"}
    assert set(changes["previous_version"]) == {"2025.1.0"}
    assert set(changes["revision_kind"]) == {"correction"}
    assert set(changes["revision_date"]) == {"2025-10-02"}
    # nothing withheld in either version is shown: no number sits beside a [c]
    assert "[c]" not in set(changes["old_value"].dropna()) | set(changes["new_value"].dropna())
    from dma_publish.opendata import csv_bytes, finish

    csv_bytes(TABLES["changes"], finish(TABLES["changes"], changes))  # conforms to the registry


def test_the_same_cells_give_no_change_and_numbers_compare_as_numbers() -> None:
    rows = [_pillar("Z01", "improve_care", "2.40")]
    same = {"pillar_scores": (PILLAR_HEADER, rows)}
    assert releases.compare(same, same, REVISION, "2025.1.0", "answers").empty
    respelt = {"pillar_scores": (PILLAR_HEADER, [_pillar("Z01", "improve_care", "2.4")])}
    assert releases.compare(same, respelt, REVISION, "2025.1.0", "answers").empty


def _release(*versions: str) -> Release:
    revisions = [
        {"version": v, "date": dt.date(2025, 9, 18) + dt.timedelta(days=i), "note": f"v{v}."}
        for i, v in enumerate(versions)
    ]
    last = revisions[-1]
    return Release(
        version=last["version"],
        release_date=last["date"],
        status="final",
        reporting_period="April to June 2025",
        years=(2025,),
        title="Test",
        publisher="Test",
        contact="test@example.org",
        licence="OGL",
        revisions=revisions,
    )


def _zip(folder: Path, version: str, stated: str | None = None, tables: dict | None = None) -> Path:
    buffer = io.BytesIO()
    prefix = f"dma-open-data-{version}/"
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(prefix + "datapackage.json", json.dumps({"version": stated or version}))
        for name, (header, rows) in (tables or {}).items():
            text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
            z.writestr(prefix + f"{name}.csv", text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"dma-open-data-{version}.zip"
    path.write_bytes(buffer.getvalue())
    return path


def test_archive_refuses_what_it_cannot_trust(tmp_path: Path) -> None:
    release = _release("2025.1.0", "2025.1.1")
    assert releases.load_archive(tmp_path / "none", release, "answers") == {}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("x")
    with pytest.raises(InputError) as err:
        releases.load_archive(tmp_path / "a", release, "answers")
    assert err.value.rule == "archive_file_name" and "notes.txt" in err.value.file
    _zip(tmp_path / "b", "2024.1.0")
    with pytest.raises(InputError) as err:
        releases.load_archive(tmp_path / "b", release, "answers")
    assert err.value.rule == "archive_unlisted"
    _zip(tmp_path / "c", "2025.1.0", stated="2025.1.9")
    with pytest.raises(InputError) as err:
        releases.load_archive(tmp_path / "c", release, "answers")
    assert err.value.rule == "archive_version" and "datapackage.json" in err.value.location
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "dma-open-data-2025.1.0.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError) as err:
        releases.load_archive(tmp_path / "d", release, "answers")
    assert err.value.rule == "archive_file"
    ragged = {"pillar_scores": (PILLAR_HEADER, [_pillar("Z01", "improve_care", "2.4")[:-1]])}
    _zip(tmp_path / "e", "2025.1.0", tables=ragged)
    with pytest.raises(InputError) as err:
        releases.load_archive(tmp_path / "e", release, "answers")
    assert err.value.rule == "archive_csv" and err.value.location == "line 2"


def test_a_published_version_never_changes(tmp_path: Path) -> None:
    release = _release("2025.1.0")
    published = {"pillar_scores": (PILLAR_HEADER, [_pillar("Z01", "improve_care", "2.40")])}
    _zip(tmp_path, "2025.1.0", tables=published)
    archive = releases.load_archive(tmp_path, release, "answers")
    same = releases.history(release, archive, published, "answers")
    assert same.changes.empty and same.superseded == []
    other = {"pillar_scores": (PILLAR_HEADER, [_pillar("Z01", "improve_care", "2.60")])}
    with pytest.raises(InputError) as err:
        releases.history(release, archive, other, "answers")
    assert err.value.rule == "archive_differs" and "Z01" in err.value.location


def test_reasons_name_organisations() -> None:
    with pytest.raises(ValueError, match="not an organisation code"):
        Revision(version="2025.1.1", date=dt.date(2025, 10, 2), note="x", reasons={"bad": "y"})
    assert REVISION.reason_for("Z01") == "Its return held draft answers."
    assert REVISION.reason_for("Z99") == "Correction of three returns."


# --- the demo's correction, end to end -------------------------------------------------------


def test_demo_history(publication) -> None:
    history = publication.history
    assert history.current == publication.release.version == "2025.1.1"
    assert [v.version for v in history.superseded] == ["2025.1.0"]
    assert [v.version for v in history.versions if not v.has_values] == ["2025.0.1"]
    c = history.changes
    orgs = c[c["unit_type"] == "organisation"]
    assert sorted(orgs["unit_code"].unique()) == ["Z00", "Z03"]
    assert set(orgs["change_type"]) == {"changed"}
    domain = orgs[orgs["value_table"] == "domain_scores"]
    assert set(domain["measure_id"]) == {"sc_care_coordination"}
    # only the corrected trusts' peer groups (their England, region and ICB system) move
    bench = c[c["unit_type"] != "organisation"]
    places = publication.reference.organisations.set_index("org_code")
    groups = {"ENG"} | {places.loc[o, "region_code"] for o in ("Z00", "Z03")}
    groups |= {places.loc[o, "icb_code"] for o in ("Z00", "Z03")}
    assert set(bench["unit_code"]) <= groups
    assert history.unused_reasons == (("2025.1.1", "Z07"),)


def test_no_benchmark_an_earlier_version_published_is_withheld_now(publication) -> None:
    """What 2025.1.0 published with the same figures stays published: withholding it now would
    hide nothing (the audit frees what it pins another way)."""
    from dma_publish.aggregate import BENCHMARK_KEY

    extra = publication.disclosure.benchmark_rows
    c = publication.history.changes
    assert not (c["change_type"] == "now_withheld").any()
    old = releases.load_archive(ARCHIVE, publication.release, "answers")["2025.1.0"]
    header, rows = old.tables["benchmarks"]
    archived = pd.DataFrame(rows, columns=header)
    published = archived[archived["is_suppressed"] == "false"][BENCHMARK_KEY].astype(str)
    clash = extra.astype(str).merge(published, on=BENCHMARK_KEY)
    assert clash.empty, clash.head()


def test_changes_download_matches_the_history(built_site) -> None:
    from dma_publish.opendata import read_csv

    table = read_csv(TABLES["changes"], built_site.site / "downloads" / "changes.csv")
    assert len(table) == len(built_site.publication.history.changes) > 0
    text = (built_site.site / "downloads" / "changes.csv").read_text(encoding="utf-8")
    assert "[c]" not in text
    package = json.loads((built_site.site / "downloads" / "datapackage.json").read_text())
    assert "changes" in {r["name"] for r in package["resources"]}


def test_revisions_page_lists_every_version_and_the_correction(built_site) -> None:
    page = (built_site.site / "revisions.html").read_text(encoding="utf-8")
    assert 'id="changes-2025-1-1"' in page
    for version in ("2025.1.1", "2025.1.0", "2025.0.1"):
        assert version in page
    assert "Cloverstead University Hospitals NHS Foundation Trust" in page
    assert "domain score 4 → 3" in page
    assert "Also corrected, with no published value changed" in page
    assert 'href="releases/2025.1.0/dma-open-data-2025.1.0.zip"' in page


def test_corrected_organisation_pages_say_so(built_site) -> None:
    for code, change in (("Z00", "domain score 4 → 3"), ("Z03", "domain score 2 → 1")):
        page = (built_site.site / "trusts" / f"{code}.html").read_text(encoding="utf-8")
        assert "Corrected in version 2025.1.1" in page
        assert change in page
        assert "draft answers to the Care Coordination questions" in page
        assert 'href="../revisions.html#changes-2025-1-1"' in page
    unchanged = (built_site.site / "trusts" / "Z07.html").read_text(encoding="utf-8")
    assert "Corrected in version" not in unchanged


def test_superseded_version_page_points_to_the_newer_one(built_site) -> None:
    site = built_site.site
    page = (site / "releases" / "2025.1.0.html").read_text(encoding="utf-8")
    content = page.index("<h1")
    notice = page.index("A newer version of this publication is available", content)
    assert notice < page.index("Files of this version", content)
    links = re.findall(r'href="([^"#]+)(?:#[^"]*)?"', page[notice : notice + 2000])
    assert "../downloads/index.html" in links and "../revisions.html" in links
    for link in links:
        assert (site / "releases" / link).resolve().is_file(), link
    kept = site / "releases" / "2025.1.0" / "dma-open-data-2025.1.0.zip"
    assert kept.read_bytes() == (ARCHIVE / "dma-open-data-2025.1.0.zip").read_bytes()
    digest = hashlib.sha256(kept.read_bytes()).hexdigest()
    assert digest in page
    current = site / "releases" / "2025.1.1" / "dma-open-data-2025.1.1.zip"
    assert current.read_bytes() == (site / "downloads" / "dma-open-data-2025.1.1.zip").read_bytes()
    assert "(current)" in (site / "releases" / "2025.1.1.html").read_text(encoding="utf-8")


def test_atom_feed_parses_and_lists_releases_and_corrections(built_site) -> None:
    site = built_site.site
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert titles[0] == "Version 2025.1.1: correction"
    assert (
        "Corrected in 2025.1.1: Cloverstead University Hospitals NHS Foundation Trust (Z00)"
        in titles
    )
    assert titles[-1] == "Version 2025.0.1: scheduled release"
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids))
    # one entry per release in the revision log, and one per organisation a correction changed
    pub = built_site.publication
    c = pub.history.changes
    corrected = c.loc[c["unit_type"] == "organisation", ["version", "unit_code"]].drop_duplicates()
    assert len(feed.entries) == len(pub.release.revisions) + len(corrected) == 3 + 2
    for entry in feed.entries:
        target = entry.link.split("#", 1)[0]
        assert (site / target).is_file(), entry.link
    # the revisions page links to the feed, and every page's head names it for feed readers
    assert '<a href="feed.xml">' in (site / "revisions.html").read_text(encoding="utf-8")
    heads = {
        page: page.read_text(encoding="utf-8").split("</head>", 1)[0]
        for page in [site / "index.html", *sorted(site.glob("*/*.html"))[:50]]
    }
    for page, head in heads.items():
        link = re.search(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', head
        )
        assert link, page
        assert (page.parent / link.group(1)).resolve() == (site / "feed.xml").resolve(), page
