"""Versions in the static JSON API: every version kept, the current one the default.

- The current API (``api/v1/``) lists every version of the revision log in its index
  (`versions`: each with its status and, where its values are archived, its own index).
- Each archived version's API is published under ``releases/<version>/api/v1/``, built from the
  tables of that version's archived zip (never from today's inputs), with the same paths and
  schemas as the current API; every archived document says it is superseded (`superseded_by`:
  the current version and the current document of the same path, or the current index).
- Removed items are marked, not deleted: a value the previous version published and this one
  does not is listed in the current document of its organisation or area (`removed_values`,
  from the change records, which never show a withheld value); an organisation that the
  previous version published and this one does not keeps its document, marked `removed` and
  linking to its archived document.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import io
import json
import posixpath
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish import api, releases
from dma_publish.errors import InputError
from dma_publish.publication import History, Publication, Version
from dma_publish.registry import MISSING_VALUES, VALUE_TABLES, pandas_dtypes, tables_for

INDEX = f"{api.API_DIR}/index.json"
_SCORE_TABLES = ("domain_scores", "pillar_scores", "overall_scores")
# The tables an archived version's API is built from (those its granularity has).
API_TABLES = (*VALUE_TABLES, "organisations", "domains", "comparability_notes")
_LINK_KEYS = ("document", "schema", "url")
_REMOVED_FIELDS = (
    "year", "care_setting", "value_table", "measure_type", "measure_id", "value_column",
    "old_value", "version", "previous_version", "reason",
)  # fmt: skip


def version_root(version: str) -> str:
    """Where an archived version's files are, relative to the site."""
    return f"releases/{version}"


def archived_path(version: str, path: str) -> str:
    """An archived version's copy of a current API path."""
    return f"{version_root(version)}/{path}"


# --- reading an archived version's tables -------------------------------------------------------


def load_archive(folder: Path, release: Any, granularity: str) -> dict[str, Any]:
    """Every archived version (`releases.load_archive`), with the tables its API is built from
    checked at once: each is in the zip (archive_incomplete) with every column (archive_columns)."""
    archive = releases.load_archive(folder, release, granularity)
    for v in archive.values():
        with zipfile.ZipFile(v.path) as z:
            _check_headers(v.path, v.version, granularity, z)
    return archive


def _check_headers(path: Path, version: str, granularity: str, archive: Any) -> None:
    prefix, registry = f"dma-open-data-{version}/", tables_for(granularity)
    names = set(archive.namelist())
    for name in (t for t in API_TABLES if t in registry):
        member = f"{prefix}{name}.csv"
        if member not in names:
            raise InputError(
                str(path), member, "not in the zip: every published table must be there",
                "archive_incomplete",
            )  # fmt: skip
        with archive.open(member) as f:
            header = next(csv.reader(io.TextIOWrapper(f, encoding="utf-8")), [])
        missing = [c for c in registry[name].columns if c not in header]
        if missing:
            raise InputError(
                f"{path}:{member}", "line 1 (header)", f"no column {missing[0]!r}",
                "archive_columns",
            )  # fmt: skip


def archived_tables(path: Path, version: str, granularity: str) -> dict[str, pd.DataFrame]:
    """The API's tables as the archived zip published them, with the registry's dtypes (a
    table or column missing, or a cell not of its column's type, stops the build: exit 2)."""
    registry = tables_for(granularity)
    with zipfile.ZipFile(path) as archive:
        _check_headers(path, version, granularity, archive)
        return {
            name: _read_table(archive, path, version, name, granularity)
            for name in API_TABLES
            if name in registry
        }


def archived_table(path: Path, version: str, name: str, granularity: str) -> pd.DataFrame:
    """One table of an archived zip, checked and typed as `archived_tables` says."""
    with zipfile.ZipFile(path) as archive:
        _check_headers(path, version, granularity, archive)
        return _read_table(archive, path, version, name, granularity)


def _read_table(
    archive: Any, path: Path, version: str, name: str, granularity: str
) -> pd.DataFrame:
    member, table = f"dma-open-data-{version}/{name}.csv", tables_for(granularity)[name]
    try:
        return pd.read_csv(
            io.BytesIO(archive.read(member)),
            dtype=pandas_dtypes(table),
            na_values=list(MISSING_VALUES),
            keep_default_na=False,
            float_precision="round_trip",
            encoding="utf-8",
        )[list(table.columns)]
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{path}:{member}", "cells", f"a cell is not of its column's type: {exc}",
            "archive_csv",
        ) from None  # fmt: skip


def removed_organisations(pub: Publication) -> pd.DataFrame:
    """The organisations the previous archived version published and this one does not (its
    `organisations` rows): marked removed in the API and on the site, never deleted."""
    superseded = pub.history.superseded if pub.history is not None else []
    if not superseded:
        return pd.DataFrame(columns=list(tables_for(pub.granularity)["organisations"].columns))
    v = superseded[-1]
    orgs = archived_table(v.archived.path, v.version, "organisations", pub.granularity)
    gone = ~orgs["org_code"].isin(pub.reference.organisations["org_code"])
    return orgs[gone].reset_index(drop=True)


def _members(path: Path, version: str) -> list[Any]:
    """The archived zip's top-level files, as the table documents describe files."""
    prefix = f"dma-open-data-{version}/"
    files = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.removeprefix(prefix)
            if info.filename.startswith(prefix) and "/" not in name and not info.is_dir():
                digest = hashlib.sha256(archive.read(info)).hexdigest()
                files.append(_File(name, info.file_size, digest))
    return files


@dataclasses.dataclass(frozen=True)
class _File:
    path: str
    bytes: int
    sha256: str


def _archived_publication(pub: Publication, v: Version, tables: dict) -> Publication:
    """The publication as the archived version stated it: its version, date, status (from its
    datapackage.json) and regions."""
    orgs = tables["organisations"]
    regions = (
        orgs[["region_code", "region_name", "region_ons_code"]]
        .rename(columns={"region_ons_code": "ons_code"})
        .drop_duplicates("region_code")
        .sort_values("region_code", ignore_index=True)
        .astype(object)
    )
    regions = regions.where(regions.notna(), None)
    with zipfile.ZipFile(v.archived.path) as z:  # load_archive has read it: it is there
        stated = json.loads(z.read(f"dma-open-data-{v.version}/datapackage.json"))
    if stated.get("status") not in ("provisional", "final"):
        raise InputError(
            str(v.archived.path), "datapackage.json: status",
            f"states status {stated.get('status')!r}: provisional or final", "archive_incomplete",
        )  # fmt: skip
    release = pub.release.model_copy(
        update={"version": v.version, "release_date": v.revision.date, "status": stated["status"]}
    )
    reference = dataclasses.replace(pub.reference, regions=regions)
    return dataclasses.replace(pub, release=release, reference=reference)


# --- an archived version's API --------------------------------------------------------------------


def _relink(link: str, path: str, version: str) -> str:
    """A link of a document at `path` (as the current API has it), for the archived copy: links
    within the API stay; a page becomes the version's page, a download the version's zip."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
    if target.startswith("api/"):
        return link
    if target.split("#", 1)[0].endswith(".html"):
        new = f"releases/{version}.html"
    else:
        new = f"{version_root(version)}/dma-open-data-{version}.zip"
    return posixpath.relpath(new, posixpath.dirname(archived_path(version, path)))


def _relinked(node: Any, path: str, version: str, key: str = "") -> Any:
    """Every link in a document rewritten by _relink (recursively)."""
    if isinstance(node, dict):
        return {
            k: _relinked(v, path, version, k if key != "links" else "links")
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relinked(v, path, version, key) for v in node]
    if isinstance(node, str) and (key in _LINK_KEYS or key == "links"):
        return _relink(node, path, version)
    return node


def _superseded_by(pub: Publication, path: str, version: str, current: set[str]) -> dict:
    """Where a reader of an archived document goes instead."""
    here = posixpath.dirname(archived_path(version, path))
    target = path if path in current else INDEX
    return {
        "version": str(pub.release.version),
        "release_date": pub.release.release_date.isoformat(),
        "document": posixpath.relpath(target, here),
        "index": posixpath.relpath(INDEX, here),
    }


_SUPERSEDED_SCHEMA = {
    "type": "object",
    "description": "A newer version of this publication: use its document instead.",
    "properties": {
        "version": {"type": "string", "pattern": r"^\d{4}\.\d+\.\d+$"},
        "release_date": {"type": "string", "format": "date"},
        "document": {"type": "string"},
        "index": {"type": "string"},
    },
    "required": ["version", "release_date", "document", "index"],
    "additionalProperties": False,
}


def archived_api(
    pub: Publication, v: Version, tables: dict[str, pd.DataFrame], current: set[str]
) -> dict[str, bytes]:
    """An archived version's API (from its zip's tables), keyed by each file's path in the site."""
    assert v.archived is not None
    old = _archived_publication(pub, v, tables)
    docs = api.api_documents(old, tables, _members(v.archived.path, v.version))
    files = {}
    for path, doc in docs.items():
        moved = _relinked(doc, path, v.version)
        moved["superseded_by"] = _superseded_by(pub, path, v.version, current)
        files[archived_path(v.version, path)] = api.json_bytes(moved)
    for path, schema in api.api_schemas(pub.granularity).items():
        schema = copy.deepcopy(schema)
        schema["properties"]["superseded_by"] = _SUPERSEDED_SCHEMA
        schema["required"].append("superseded_by")
        files[archived_path(v.version, path)] = api.schema_bytes(schema)
    return files


# --- the current API: its versions, and what it no longer has -------------------------------------


def version_list(history: History | None) -> list[dict[str, Any]]:
    """Every version of the revision log, oldest first, for the current index."""
    out = []
    for v in history.versions if history is not None else ():
        if v.is_current:
            status, index = "current", "index.json"
        elif v.archived is not None:
            status = "superseded"
            index = posixpath.relpath(archived_path(v.version, INDEX), api.API_DIR)
        else:
            status, index = "values_not_archived", None
        page = (
            None if index is None else posixpath.relpath(f"releases/{v.version}.html", api.API_DIR)
        )
        out.append(
            {
                "version": v.version,
                "release_date": v.revision.date.isoformat(),
                "kind": str(v.revision.kind),
                "status": status,
                "index": index,
                "page": page,
            }
        )
    return out


def _removed_records(history: History) -> pd.DataFrame:
    c = history.changes
    return c[(c["version"] == history.current) & (c["change_type"] == "removed")]


def _removed_value(row: Any) -> dict[str, Any]:
    out = {k: (None if pd.isna(getattr(row, k)) else str(getattr(row, k))) for k in _REMOVED_FIELDS}
    out["year"] = int(out["year"])
    return out


def mark_removed(pub: Publication, docs: dict[str, dict], gone: pd.DataFrame) -> None:
    """Add `removed_values` to the current documents whose values the previous version had, and
    a `removed` document for each organisation the previous version published and this one
    does not (in place)."""
    history = pub.history
    if history is None:
        return
    records = _removed_records(history)
    previous = history.superseded[-1] if history.superseded else None
    by_doc: dict[str, list[dict]] = {}
    for row in records.itertuples(index=False):
        if row.unit_type == "organisation":
            path = api.organisation_path(row.unit_code)
        else:
            path = api.area_path(row.unit_type, row.unit_code)
        by_doc.setdefault(path, []).append(_removed_value(row))
    if previous is not None:
        for org in api.rows(tables_for(pub.granularity)["organisations"], gone):
            path = api.organisation_path(org["org_code"])
            doc = api._head(pub, "organisation", org["org_code"], path)
            here = posixpath.dirname(path)
            doc |= {
                "organisation": org,
                "benchmarks": [],
                **{name: [] for name in _SCORE_TABLES if name in tables_for(pub.granularity)},
                "removed": {
                    "version": history.current,
                    "previous_version": previous.version,
                    "archived_document": posixpath.relpath(
                        archived_path(previous.version, path), here
                    ),
                },
                "links": {
                    "self": posixpath.basename(path),
                    "index": posixpath.relpath(INDEX, here),
                    "archived": posixpath.relpath(archived_path(previous.version, path), here),
                    "page": posixpath.relpath(api.organisation_page(org), here),
                },
            }
            docs[path] = doc
    for path, values in by_doc.items():
        if path in docs:
            docs[path]["removed_values"] = values


_REMOVED_VALUE_SCHEMA = {
    "type": "object",
    "description": "A value the previous version published and this one does not (a change "
    "record of kind removed; old_value is null where either version withheld it).",
    "properties": {
        **{k: {"type": ["string", "null"]} for k in _REMOVED_FIELDS},
        "year": {"type": "integer"},
    },
    "required": list(_REMOVED_FIELDS),
    "additionalProperties": False,
}


def current_schemas(schemas: dict[str, dict]) -> dict[str, dict]:
    """The current API's schemas with the versions, removed values and removed documents."""
    out = copy.deepcopy(schemas)
    index = out[api.schema_path("index")]
    index["properties"]["versions"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "release_date": {"type": "string", "format": "date"},
                "kind": {"enum": ["scheduled", "correction"]},
                "status": {"enum": ["current", "superseded", "values_not_archived"]},
                "index": {"type": ["string", "null"]},
                "page": {"type": ["string", "null"]},
            },
            "required": ["version", "release_date", "kind", "status", "index", "page"],
            "additionalProperties": False,
        },
    }
    index["required"].append("versions")
    entry = index["properties"]["documents"]["additionalProperties"]["items"]
    entry["properties"]["is_removed"] = {"const": True}
    for kind in ("organisation", "area"):
        out[api.schema_path(kind)]["properties"]["removed_values"] = {
            "type": "array",
            "items": _REMOVED_VALUE_SCHEMA,
        }
    out[api.schema_path("organisation")]["properties"]["removed"] = {
        "type": "object",
        "description": "This version no longer publishes the organisation: its last values "
        "are in the archived document.",
        "properties": {
            "version": {"type": "string"},
            "previous_version": {"type": "string"},
            "archived_document": {"type": "string"},
        },
        "required": ["version", "previous_version", "archived_document"],
        "additionalProperties": False,
    }
    return out


# --- the api stage ---------------------------------------------------------------------------------


def write_api_versions(
    pub: Publication, tables: dict[str, pd.DataFrame], docs_dir: Path, downloads: Any = ()
) -> list[tuple[str, int]]:
    """The api stage: the current API (with its versions and removed items) and each archived
    version's API, written under docs_dir in path order; returns (path, bytes)."""
    history = pub.history
    superseded = history.superseded if history is not None else []
    docs = api.api_documents(pub, tables, downloads)
    archived = {
        v.version: archived_tables(v.archived.path, v.version, pub.granularity) for v in superseded
    }
    mark_removed(pub, docs, removed_organisations(pub))
    index = docs.pop(INDEX)
    removed = sorted(p for p, d in docs.items() if "removed" in d)
    for path in removed:
        entry = {
            "id": docs[path]["id"],
            "name": docs[path]["organisation"]["org_name"],
            "org_type": docs[path]["organisation"]["org_type"],
            "document": posixpath.relpath(path, api.API_DIR),
            "is_removed": True,
        }
        listed = index["documents"].setdefault("organisations", [])
        listed.append(entry)
        listed.sort(key=lambda e: e["id"])
    index["n_documents"] = len(docs)
    index["versions"] = version_list(history)
    docs[INDEX] = index
    files = {path: api.json_bytes(doc) for path, doc in docs.items()}
    for path, schema in current_schemas(api.api_schemas(pub.granularity)).items():
        files[path] = api.schema_bytes(schema)
    for v in superseded:
        files |= archived_api(pub, v, archived[v.version], set(docs))
    return api.write_files(docs_dir, files)
