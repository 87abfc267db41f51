"""The static JSON API: every document of the built site is valid against its JSON Schema, the
index lists exactly the documents written, values equal the CSV files to the character, withheld
values are null, links resolve, and the bytes are deterministic."""

from __future__ import annotations

import csv
import json
import posixpath
from pathlib import Path

import jsonschema
import pytest

from dma_publish import api, api_versions, opendata
from dma_publish.registry import CONFIDENTIAL, MISSING_VALUES, tables_for

API = Path("api") / "v1"


def _documents(site: Path) -> dict[str, dict]:
    """Every API document of a site (schemas aside), numbers kept as their text ("2.40")."""
    return {
        p.relative_to(site).as_posix(): json.loads(p.read_text(encoding="utf-8"), parse_float=str)
        for p in sorted((site / API).rglob("*.json"))
        if "/schema/" not in p.as_posix()
    }


def _validate_all(site: Path) -> dict[str, dict]:
    """Validate every document against the schema it names; return the documents."""
    docs = _documents(site)
    validators: dict[Path, jsonschema.Draft202012Validator] = {}
    for path, doc in docs.items():
        schema_file = (site / path).parent / doc["schema"]
        if schema_file not in validators:
            schema = json.loads(schema_file.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[schema_file] = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()
            )
        # numbers were kept as text for the CSV comparison: validate the parsed document
        parsed = json.loads((site / path).read_text(encoding="utf-8"))
        errors = sorted(validators[schema_file].iter_errors(parsed), key=str)
        assert not errors, f"{path}: {errors[0].json_path}: {errors[0].message}"
    return docs


@pytest.fixture(scope="module")
def docs(built_site) -> dict[str, dict]:
    return _validate_all(built_site.site)


def test_every_document_of_the_demo_site_is_valid_against_its_schema(docs, built_site) -> None:
    kinds = {doc["kind"] for doc in docs.values()}
    assert kinds == {"index", "organisation", "area", "domain", "table"}
    schemas = sorted(p.name for p in (built_site.site / API / "schema").iterdir())
    assert schemas == sorted(f"{k}.schema.json" for k in api.KINDS)
    for schema in schemas:
        data = json.loads((built_site.site / API / "schema" / schema).read_text(encoding="utf-8"))
        assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_index_lists_every_document_once_and_nothing_else(docs, built_site) -> None:
    index = docs[f"{API.as_posix()}/index.json"]
    listed = [
        posixpath.normpath(posixpath.join(API.as_posix(), entry["document"]))
        for group in index["documents"].values()
        for entry in group
    ]
    assert sorted(listed) == sorted(p for p in docs if not p.endswith("index.json"))
    assert index["n_documents"] == len(listed)
    pub = built_site.publication
    orgs = pub.reference.organisations
    listed_orgs = index["documents"]["organisations"]
    assert [e["id"] for e in listed_orgs if not e.get("is_removed")] == sorted(orgs["org_code"])
    # and the organisations an earlier version published and this one does not, marked removed
    assert [e["id"] for e in listed_orgs if e.get("is_removed")] == ["ZXQ"]
    assert len(index["documents"]["regions"]) == len(pub.reference.regions)
    assert len(index["documents"]["icb_systems"]) == int((orgs["org_type"] == "icb").sum())
    assert {e["id"] for e in index["documents"]["tables"]} == set(opendata.publication_tables(pub))


def _csv_rows(site: Path, name: str) -> dict[tuple, dict[str, str]]:
    """A published CSV's rows (text as written) by primary key."""
    table = tables_for("answers")[name]
    with open(site / "downloads" / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return {tuple(r[k] for k in table.primary_key): r for r in csv.DictReader(fh)}


def _as_csv_text(value) -> str | None:
    """A JSON value as the CSV writes it (None for a null, which the CSV writes as a marker)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _assert_same(path: str, row: dict, csv_row: dict[str, str]) -> None:
    for column, value in row.items():
        cell = csv_row[column]
        text = _as_csv_text(value)
        if text is None:
            assert cell in MISSING_VALUES, f"{path}: {column} is null but the CSV has {cell!r}"
        else:
            assert text == cell, f"{path}: {column} {text!r} but the CSV has {cell!r}"


def test_values_equal_the_csv_files_character_for_character(docs, built_site) -> None:
    site = built_site.site
    csv_tables = {
        name: _csv_rows(site, name)
        for name in ("domain_scores", "pillar_scores", "overall_scores", "benchmarks", "domains")
    }
    keys = {name: tables_for("answers")[name].primary_key for name in csv_tables}
    seen = dict.fromkeys(csv_tables, 0)
    for path, doc in docs.items():
        parts = []
        if doc["kind"] == "organisation":
            code = doc["id"]
            parts = [
                (name, {**row, "org_code": code})
                for name in ("domain_scores", "pillar_scores", "overall_scores")
                for row in doc[name]
            ]
        if doc["kind"] == "domain":
            parts = [("domains", row) for row in doc["years"]]
        parts += [("benchmarks", row) for row in doc.get("benchmarks", [])]
        for name, row in parts:
            key = tuple(_as_csv_text(row[k]) for k in keys[name])
            _assert_same(path, row, csv_tables[name][key])
            seen[name] += 1
    # every score row is in exactly one organisation's document, every benchmark in an area's
    for name in ("domain_scores", "pillar_scores", "overall_scores"):
        assert seen[name] == len(csv_tables[name]), name
    area_rows = sum(len(d["benchmarks"]) for d in docs.values() if d["kind"] == "area")
    assert area_rows == len(csv_tables["benchmarks"])


def test_withheld_values_are_null_exactly_where_the_csv_has_the_marker(docs, built_site) -> None:
    scores = _csv_rows(built_site.site, "domain_scores")
    withheld = {k for k, r in scores.items() if r["domain_score"] == CONFIDENTIAL}
    assert withheld, "the demo policy withholds some domain scores"
    found = set()
    for doc in docs.values():
        if doc["kind"] != "organisation":
            continue
        for row in doc["domain_scores"]:
            if row["is_suppressed"]:
                assert row["domain_score"] is None
                found.add((str(row["year"]), doc["id"], row["care_setting"], row["score_id"]))
            else:
                assert row["domain_score"] is not None
    assert found == withheld
    benchmarks = [r for d in docs.values() for r in d.get("benchmarks", []) if r["is_suppressed"]]
    assert benchmarks and all(
        r["mean_score"] is None and r["n_level_1"] is None for r in benchmarks
    )


def test_the_schema_refuses_a_number_beside_a_withheld_flag(built_site) -> None:
    site = built_site.site
    path = next(
        p for p, d in _documents(site).items()
        if d["kind"] == "organisation" and any(r["is_suppressed"] for r in d["domain_scores"])
    )  # fmt: skip
    doc = json.loads((site / path).read_text(encoding="utf-8"))
    schema = json.loads(((site / path).parent / doc["schema"]).read_text(encoding="utf-8"))
    row = next(r for r in doc["domain_scores"] if r["is_suppressed"])
    row["domain_score"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


def test_every_link_in_every_document_resolves(docs, built_site) -> None:
    site = built_site.site
    for path, doc in docs.items():
        targets = [doc["schema"], *doc["links"].values()]
        targets += [m["document"] for m in doc.get("members", [])]
        targets += [f["url"] for f in doc.get("files", [])]
        if doc["kind"] == "index":
            targets += [e["document"] for g in doc["documents"].values() for e in g]
            targets += list(doc["schemas"].values())
        for target in targets:
            resolved = (site / path).parent / target
            assert resolved.is_file(), f"{path}: {target} does not resolve"


def test_table_documents_describe_every_column_and_link_the_files(docs, built_site) -> None:
    doc = docs[f"{API.as_posix()}/tables/pillar_scores.json"]
    table = tables_for("answers")["pillar_scores"]
    assert [f["name"] for f in doc["table"]["fields"]] == table.columns
    assert {f["format"] for f in doc["files"]} == {"csv", "parquet", "meta.csv"}
    for item in doc["files"]:
        data = ((built_site.site / API / "tables") / item["url"]).read_bytes()
        assert len(data) == item["bytes"] and opendata.sha256(data) == item["sha256"]


def test_numbers_are_written_at_their_decimal_places() -> None:
    assert api.json_bytes({"b": api.fixed(2.4, 2), "a": [1, None, True]}) == (
        b'{"a":[1,null,true],"b":2.40}\n'
    )
    with pytest.raises(ValueError):
        api.fixed(float("nan"), 2)


def test_two_writes_are_byte_identical(publication, tmp_path: Path) -> None:
    tables = opendata.publication_tables(publication)
    first = api_versions.write_api_versions(publication, tables, tmp_path / "a")
    second = api_versions.write_api_versions(publication, tables, tmp_path / "b")
    assert any(p.startswith("releases/2025.1.0/api/v1/") for p, _ in first)  # and the archived API
    assert first == second
    for path, _ in first:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()


def test_the_downloads_page_python_example_runs_against_the_site(built_site, capsys) -> None:
    text = (built_site.docs / "downloads" / "index.md").read_text(encoding="utf-8")
    (code,) = [c for c in text.split("```python\n")[1:] if "urlopen" in c]
    code = code.split("```")[0]
    base = (built_site.site / API).as_uri() + "/"
    namespace: dict = {}
    exec(code.replace("https://example.org/dma/api/v1/", base), namespace)
    assert namespace["codes"] and namespace["org"]["kind"] == "organisation"
    assert capsys.readouterr().out.strip()
    curl = [line for line in text.splitlines() if line.startswith("curl -s ")]
    for line in curl:
        target = line.removeprefix("curl -s https://example.org/dma/")
        assert (built_site.site / target).is_file(), line


def test_the_official_site_has_a_valid_api(official_site) -> None:
    site, pub = official_site
    docs = _validate_all(site)
    kinds = {d["kind"] for d in docs.values()}
    assert kinds == {"index", "organisation", "area", "table"}
    org = next(d for d in docs.values() if d["kind"] == "organisation" and d["pillar_scores"])
    assert "domain_scores" not in org and org["benchmarks"]
