"""Versions in the JSON API: the archived 2025.1.0 API is published under releases/2025.1.0/api/v1/
from the archived zip's tables, every document of both versions is valid against the schema it
names, every archived document names the version that supersedes it, the current index lists
the versions, removed items are marked (never deleted, never showing a withheld value), and a
malformed archive stops the build with a clear error."""

from __future__ import annotations

import csv
import io
import json
import posixpath
import shutil
import zipfile
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from click.testing import CliRunner

from dma_publish import api_versions
from dma_publish.errors import InputError
from dma_publish.registry import CONFIDENTIAL

ROOT = Path(__file__).resolve().parent.parent
ZIP = ROOT / "data" / "releases" / "dma-open-data-2025.1.0.zip"
CURRENT = "api/v1"
ARCHIVED = "releases/2025.1.0/api/v1"


def _validated(site: Path, folder: str) -> dict[str, dict]:
    """Every document under folder, each valid against the schema it names (draft 2020-12)."""
    docs, validators = {}, {}
    for path in sorted((site / folder).rglob("*.json")):
        if "/schema/" in path.as_posix():
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        schema_file = (path.parent / doc["schema"]).resolve()
        if schema_file not in validators:
            schema = json.loads(schema_file.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[schema_file] = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()
            )
        errors = sorted(validators[schema_file].iter_errors(doc), key=str)
        assert not errors, f"{path}: {errors[0].json_path}: {errors[0].message}"
        docs[path.relative_to(site).as_posix()] = doc
    return docs


@pytest.fixture(scope="module")
def both(built_site) -> tuple[dict[str, dict], dict[str, dict]]:
    site = built_site.site
    return _validated(site, CURRENT), _validated(site, ARCHIVED)


def _zip_rows(member: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(ZIP) as z:
        text = z.read(f"dma-open-data-2025.1.0/{member}").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_both_versions_validate_and_mirror_each_other(both) -> None:
    current, archived = both
    assert len(archived) > 300
    # the same identifiers in both versions: every archived path is a current path
    mirrored = {p.replace(ARCHIVED, CURRENT, 1) for p in archived}
    assert mirrored <= set(current)
    assert {d["release"]["version"] for d in archived.values()} == {"2025.1.0"}
    assert {d["release"]["version"] for d in current.values()} == {"2025.1.1"}


def test_every_archived_document_names_the_version_that_supersedes_it(both, built_site) -> None:
    _, archived = both
    for path, doc in archived.items():
        newer = doc["superseded_by"]
        assert newer["version"] == "2025.1.1" and newer["release_date"] == "2025-10-02"
        here = posixpath.dirname(path)
        target = posixpath.normpath(posixpath.join(here, newer["document"]))
        assert target == path.replace(ARCHIVED, CURRENT, 1), path
        assert (built_site.site / target).is_file()


def test_every_link_of_an_archived_document_resolves(both, built_site) -> None:
    _, archived = both

    def links(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("document", "url", "schema") and isinstance(value, str):
                    yield value
                elif key == "links":
                    yield from value.values()
                else:
                    yield from links(value)
        elif isinstance(node, list):
            for value in node:
                yield from links(value)

    for path, doc in archived.items():
        for link in links(doc):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
            assert (built_site.site / target.split("#")[0]).is_file(), (path, link)
            # an archived document never sends a reader to today's pages or files
            assert target.startswith(("releases/", CURRENT)), (path, link)


def test_archived_values_are_the_archived_zips_not_todays(both) -> None:
    """Z00's corrected Care Coordination score: 4 in 2025.1.0's zip and API, 3 now."""
    current, archived = both

    def score(doc):
        (row,) = [
            r
            for r in doc["domain_scores"]
            if r["year"] == 2025 and r["score_id"] == "sc_care_coordination"
        ]
        return row["domain_score"]

    zipped = [
        r
        for r in _zip_rows("domain_scores.csv")
        if r["org_code"] == "Z00"
        and r["year"] == "2025"
        and r["score_id"] == "sc_care_coordination"
    ]
    assert (
        score(archived[f"{ARCHIVED}/organisations/Z00.json"]) == int(zipped[0]["domain_score"]) == 4
    )
    assert score(current[f"{CURRENT}/organisations/Z00.json"]) == 3
    # every archived pillar score is the zip's cell, a withheld one null
    doc = archived[f"{ARCHIVED}/organisations/Z00.json"]
    zipped = {
        (int(r["year"]), r["care_setting"], r["pillar_id"]): r["pillar_score"]
        for r in _zip_rows("pillar_scores.csv")
        if r["org_code"] == "Z00"
    }
    for row in doc["pillar_scores"]:
        cell = zipped[(row["year"], row["care_setting"], row["pillar_id"])]
        assert (None if cell == CONFIDENTIAL else float(cell)) == row["pillar_score"]


def test_the_current_index_lists_every_version(both) -> None:
    current, _ = both
    versions = current[f"{CURRENT}/index.json"]["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [
        ("2025.0.1", "values_not_archived"),
        ("2025.1.0", "superseded"),
        ("2025.1.1", "current"),
    ]
    assert versions[1]["index"] == "../../releases/2025.1.0/api/v1/index.json"
    assert versions[0]["index"] is None and versions[2]["index"] == "index.json"


# --- removed items: marked, not deleted ------------------------------------------------------------


def test_removed_values_and_organisations_are_marked(publication) -> None:
    """A value the previous version had and this one does not is listed in its document; an
    organisation the previous version published and this one does not keeps a document."""
    import dataclasses

    from dma_publish import api, opendata

    history = publication.history
    gone = history.changes.iloc[:2].copy()
    gone["change_type"] = "removed"
    gone["new_value"] = pd.NA
    gone.loc[gone.index[1], "old_value"] = pd.NA  # withheld in the previous version
    pub = dataclasses.replace(
        publication, history=dataclasses.replace(history, changes=gone.reset_index(drop=True))
    )
    docs = api.api_documents(pub, opendata.publication_tables(pub))
    orgs = api_versions.archived_tables(ZIP, "2025.1.0", "answers")["organisations"]
    extra = orgs.iloc[[0]].copy()
    extra["org_code"], extra["org_name"] = "Z9Z", "Closed Trust"
    api_versions.mark_removed(pub, docs, extra)
    marked = {p: d["removed_values"] for p, d in docs.items() if "removed_values" in d}
    assert sum(len(v) for v in marked.values()) == 2
    assert [v["old_value"] for vs in marked.values() for v in vs].count(None) == 1
    removed = docs[api.organisation_path("Z9Z")]
    assert removed["removed"] == {
        "version": "2025.1.1",
        "previous_version": "2025.1.0",
        "archived_document": "../../../releases/2025.1.0/api/v1/organisations/Z9Z.json",
    }
    schemas = api_versions.current_schemas(api.api_schemas("answers"))
    for path, doc in [*marked.items(), (api.organisation_path("Z9Z"), removed)]:
        doc = docs[path]
        schema = schemas[api.schema_path(doc["kind"])]
        parsed = json.loads(api.json_bytes(doc))
        jsonschema.Draft202012Validator(schema).validate(parsed)


# --- a malformed archive: a clear error, exit 2, no traceback ------------------------------------


def _broken(tmp_path: Path, edit) -> Path:
    """The demo's data folder with its archived zip rewritten by edit(member, bytes)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("official"))
    target = data / "releases" / ZIP.name
    out = io.BytesIO()
    with zipfile.ZipFile(ZIP) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            content = edit(info.filename, old.read(info))
            if content is not None:
                new.writestr(info, content)
    target.write_bytes(out.getvalue())
    return data


@pytest.mark.parametrize(
    "rule, edit, where",
    [
        ("archive_incomplete", lambda m, b: None if m.endswith("/pillar_scores.csv") else b,
         "pillar_scores.csv"),
        ("archive_columns", lambda m, b: b.replace(b"mean_score", b"average", 1)
         if m.endswith("/benchmarks.csv") else b, "benchmarks.csv"),
        ("archive_csv", lambda m, b: b.replace(b"\n", b"\nZ,Z\n", 1)
         if m.endswith("/overall_scores.csv") else b, "overall_scores.csv"),
    ],
)  # fmt: skip
def test_a_malformed_archive_stops_the_build_with_a_clear_error(
    tmp_path: Path, monkeypatch, rule: str, edit, where: str
) -> None:
    from dma_publish.cli import cli

    data = _broken(tmp_path, edit)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--check-only", "--quiet"])
    assert result.exit_code == 2, result.output
    assert f"[{rule}]" in result.output and where in result.output and ZIP.name in result.output
    assert "Traceback" not in result.output


def test_archived_tables_refuse_a_cell_of_the_wrong_type(tmp_path: Path) -> None:
    data = _broken(
        tmp_path,
        lambda m, b: b.replace(b"\n2024,", b"\ntwenty,", 1)
        if m.endswith("/pillar_scores.csv")
        else b,
    )
    with pytest.raises(InputError) as err:
        api_versions.archived_tables(data / "releases" / ZIP.name, "2025.1.0", "answers")
    assert err.value.rule == "archive_csv" and "pillar_scores.csv" in err.value.file


def test_a_removed_organisations_withheld_value_is_not_worked_out(publication) -> None:
    """A trust the previous version published with a withheld pillar score, gone now: a changed
    benchmark of its old peer group would give that withheld score away (old minus new), so
    the build stops (withheld_versions.differencing_risks)."""
    import datetime as dt

    from test_releases import PILLAR_HEADER, _pillar

    from dma_publish import withheld_versions
    from dma_publish.aggregate import BENCHMARK_KEY
    from dma_publish.publication import ArchivedRelease, History, Version
    from dma_publish.registry import TABLES
    from dma_publish.release import Revision

    old_rev = Revision(version="2025.1.0", date=dt.date(2025, 9, 18), note="First.")
    new_rev = Revision(version="2025.1.1", date=dt.date(2025, 10, 2), note="Second.")
    cells = {"pillar_scores": (PILLAR_HEADER, [_pillar("ZQQ", "improve_care", "[c]", "true")])}
    archived = ArchivedRelease("2025.1.0", ZIP, "0" * 64, 1, (), cells)
    base = dict.fromkeys(TABLES["changes"].fields, pd.NA)
    base |= {"version": "2025.1.1", "previous_version": "2025.1.0", "year": "2025",
             "care_setting": "acute", "measure_type": "pillar", "measure_id": "improve_care",
             "measure_name": "Improve Care", "value_column": "pillar_score"}  # fmt: skip
    removed = base | {"unit_type": "organisation", "unit_code": "ZQQ", "change_type": "removed"}
    moved = base | {"unit_type": "region", "unit_code": "Y56", "unit_name": "Region Y56",
                    "value_table": "benchmarks", "change_type": "changed"}  # fmt: skip
    history = History(
        "2025.1.1",
        (Version(old_rev, archived, False), Version(new_rev, None, True)),
        pd.DataFrame([removed, moved]).astype("string"),
    )
    none = pd.DataFrame(columns=BENCHMARK_KEY)
    risks = withheld_versions.differencing_risks(history, publication, none, "answers")
    assert risks == [
        "the Region Y56 benchmark of Improve Care (2025) changed, and ZQQ, a member, has its "
        "value of it withheld"
    ]
    # the same trust with its score published then: nothing to work out
    shown = {"pillar_scores": (PILLAR_HEADER, [_pillar("ZQQ", "improve_care", "2.40")])}
    history = _with_archived_tables(history, shown)
    assert withheld_versions.differencing_risks(history, publication, none, "answers") == []


def _with_archived_tables(history, tables):
    """The history with its archived version's value tables replaced."""
    import dataclasses

    old = history.versions[0]
    archived = dataclasses.replace(old.archived, tables=tables)
    return dataclasses.replace(
        history, versions=(dataclasses.replace(old, archived=archived), history.versions[1])
    )
