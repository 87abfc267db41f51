"""The static JSON API: one document per organisation, area, domain and table, with JSON Schemas.

Three blocks. Build: `api_documents` turns the publication tables (the same rounded, suppressed
frames the CSV and Parquet files are written from, `opendata.publication_tables`) into documents
keyed by their path under ``api/v1/``; `api_schemas` derives a JSON Schema (draft 2020-12) per
document kind from `dma_publish.registry`, so a column's type, constraints and withheld rule are
said once. Format: `json_bytes` writes sorted keys and every number with its field's decimal
places (2.40, as in the CSV). Write: `write_files` writes files in path order (the api stage,
`api_versions.write_api_versions`, writes every version's documents with it).

Withheld means withheld: a withheld value is null, with `is_suppressed` (or `lfl_is_suppressed`)
true, exactly where the CSV has `[c]`; the schemas refuse a number beside a true flag. Every link
in a document is relative to the document itself, so the API works from any host or sub-path.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.peergroups import (
    NATIONAL_CODE,
    NATIONAL_NAME,
    PEER_GROUP_TYPES,
    peer_group_type,
)
from dma_publish.publication import Publication
from dma_publish.registry import Table, frictionless_field, tables_for
from dma_publish.vocab import survey_of

API_VERSION = "v1"
API_DIR = f"api/{API_VERSION}"
SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("index", "organisation", "area", "domain", "table")
# Document folders under api/v1/, by kind (areas have one folder per area type).
AREA_FOLDERS = {t.name: t.api_folder for t in PEER_GROUP_TYPES}
# The dimension columns an organisation document states once, not on every score row.
_ORG_COLUMNS = ("org_code", "org_name", "org_type", "icb_code", "region_code")
_BENCH_NAMES = ("peer_group_name", "measure_name")


# --- format ------------------------------------------------------------------------------------

# A number travels through json.dumps as this marker and its fixed-point text ("\x002.40"), and is
# then written bare: json.dumps cannot write 2.40, and a float would print as 2.4. No text value
# can hold the marker (text is screened for control characters, and `rows` refuses it).
_NUMBER = "\x00"
_NUMBER_TOKEN = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)"')


def fixed(value: float, dp: int) -> str:
    """A number to be written with dp decimal places (as in the CSV), e.g. 2.40."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f"{_NUMBER}{value:.{dp}f}"


def json_bytes(document: Any) -> bytes:
    """A document as one line of UTF-8 JSON with sorted keys and a newline: the same document
    gives the same bytes."""
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return (_NUMBER_TOKEN.sub(r"\1", text) + "\n").encode("utf-8")


# --- rows from the registry ---------------------------------------------------------------------


def _text(value: Any) -> str:
    text = str(value)
    if _NUMBER in text:
        raise ValueError(f"text value holds a NUL character: {text[:40]!r}")
    return text


def _converter(table: Table, name: str) -> Any:
    """A function turning a present cell of a column into its JSON value."""
    f = table.get_field(name)
    if f.type == "integer":
        return int
    if f.type == "number":
        dp = f.dp if f.dp is not None else 15
        return lambda v: fixed(float(v), dp)
    if f.type == "boolean":
        return bool
    return _text


def rows(table: Table, frame: pd.DataFrame, drop: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The frame's rows as JSON objects of the table's fields (missing values as null)."""
    dropped = set(drop)
    columns = [c for c in table.columns if c not in dropped]
    values = []
    for name in columns:
        fn = _converter(table, name)
        column = frame[name]
        present = column.notna().to_numpy().tolist()
        values.append(
            [fn(v) if ok else None for v, ok in zip(column.tolist(), present, strict=True)]
        )
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _by(items: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    """Values grouped by key, each group in input order."""
    out: dict[Any, list[Any]] = {}
    for key, value in items:
        out.setdefault(key, []).append(value)
    return out


# --- build: documents --------------------------------------------------------------------------


def _link(target: str, document: str) -> str:
    """A link from one API document to a path of the site, relative to the document."""
    return posixpath.relpath(target, posixpath.dirname(document))


def _release(pub: Publication) -> dict[str, Any]:
    """The release a document belongs to."""
    release = pub.release
    return {
        "version": str(release.version),
        "release_date": release.release_date.isoformat(),
        "status": str(release.status),
    }


def _head(pub: Publication, kind: str, doc_id: str, path: str) -> dict[str, Any]:
    """What every document starts with: its kind, id, release and its own schema."""
    return {
        "api_version": API_VERSION,
        "kind": kind,
        "id": doc_id,
        "release": _release(pub),
        "is_demo": bool(pub.is_demo),
        "schema": _link(schema_path(kind), path),
    }


def schema_path(kind: str) -> str:
    """Where a kind's JSON Schema is, relative to the site."""
    return f"{API_DIR}/schema/{kind}.schema.json"


def organisation_path(code: str) -> str:
    """An organisation's document, relative to the site."""
    return f"{API_DIR}/organisations/{code}.json"


def organisation_page(org: dict[str, Any]) -> str:
    """An organisation's page (`org_type`, `org_code`), relative to the site."""
    folder = "icbs" if org["org_type"] == "icb" else "trusts"
    return f"{folder}/{org['org_code']}.html"


def area_path(area_type: str, code: str) -> str:
    """An area's document (national, region or ICB system), relative to the site."""
    return f"{API_DIR}/{AREA_FOLDERS[area_type]}/{code}.json"


def domain_path(domain_id: str) -> str:
    """A domain's document, relative to the site."""
    return f"{API_DIR}/domains/{domain_id}.json"


def table_path(name: str) -> str:
    """A table's document, relative to the site."""
    return f"{API_DIR}/tables/{name}.json"


def _peer_group(care_setting: str) -> tuple[str, str, str, str]:
    """The national peer group an organisation's scores in a care setting are compared with
    (survey, peer group type, code, care setting), as its page compares them."""
    return (survey_of(care_setting), "national", NATIONAL_CODE, care_setting)


_SCORE_TABLES = {"domain_scores": "domain", "pillar_scores": "pillar", "overall_scores": "overall"}
# Names that the domain, table and index documents carry: score rows keep only the ids.
_NAMES = ("pillar_name", "domain_name", "score_name")
_BENCH_KEY = (
    "year", "survey", "peer_group_type", "peer_group_code", "care_setting", "measure_type", "measure_id",
)  # fmt: skip


def _area_of(peer_type: str, code: str) -> tuple[str, str]:
    """The area document a benchmark's peer group belongs in: (area type, area code)."""
    kind = peer_group_type(peer_type)  # raises on a type of no known folder
    return (kind.name, NATIONAL_CODE if kind.code_column is None else code)


class _Builder:
    """Turns each publication table into JSON rows once, then builds every document from them."""

    def __init__(self, pub: Publication, tables: dict[str, pd.DataFrame]) -> None:
        self.pub = pub
        self.tables = tables
        self.registry = tables_for(pub.granularity)
        bench = tables["benchmarks"]
        self.bench_rows = rows(self.registry["benchmarks"], bench, drop=_BENCH_NAMES)
        self.bench_index = {tuple(r[k] for k in _BENCH_KEY): r for r in self.bench_rows}
        self.orgs = rows(self.registry["organisations"], tables["organisations"])
        self.scores: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name in _SCORE_TABLES:
            if name in tables:
                frame = tables[name]
                listed = rows(self.registry[name], frame, drop=(*_ORG_COLUMNS, *_NAMES))
                self.scores[name] = _by(zip(frame["org_code"].tolist(), listed, strict=True))

    def organisation(self, org: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """An organisation: its details, every score row, and the benchmarks of its national peers
        for its pillar and overall scores (a domain score's are in the domain's document)."""
        code = org["org_code"]
        path = organisation_path(code)
        doc = _head(self.pub, "organisation", code, path)
        doc["organisation"] = org
        peers: dict[tuple, dict[str, Any]] = {}
        for name, measure in _SCORE_TABLES.items():
            if name not in self.scores:
                continue
            doc[name] = self.scores[name].get(code, [])
            if measure == "domain":  # a domain's peers are in its own document (size)
                continue
            for r in doc[name]:
                mid = r["pillar_id"] if measure == "pillar" else "overall"
                key = (r["year"], *_peer_group(r["care_setting"]), measure, mid)
                if key in self.bench_index:
                    peers[key] = self.bench_index[key]
        doc["benchmarks"] = [peers[k] for k in sorted(peers)]
        links = {
            "self": _link(path, path),
            "page": _link(organisation_page(org), path),
            "data_csv": _link(f"downloads/organisations/{code}.csv", path),
            "index": _link(f"{API_DIR}/index.json", path),
            "region": _link(area_path("region", org["region_code"]), path),
            "icb_system": _link(area_path("icb_system", org["icb_code"]), path),
        }
        if org["org_type"] == "trust":
            links["icb"] = _link(organisation_path(org["icb_code"]), path)
        doc["links"] = links
        return path, doc

    def areas(self) -> dict[str, dict[str, Any]]:
        """England, each region and each ICB system: members and every benchmark of the area."""
        regions = self.pub.reference.regions
        specs = [("national", NATIONAL_CODE, NATIONAL_NAME, None)]
        specs += [
            ("region", code, name, ons)
            for code, name, ons in zip(
                regions["region_code"], regions["region_name"], regions["ons_code"], strict=True
            )
        ]
        specs += [
            ("icb_system", o["org_code"], o["org_name"], o.get("icb_ons_code"))
            for o in self.orgs
            if o["org_type"] == "icb"
        ]
        bench = _by(
            (_area_of(r["peer_group_type"], r["peer_group_code"]), r) for r in self.bench_rows
        )
        members = _by(
            pair
            for o in self.orgs
            for pair in ((("national", NATIONAL_CODE), o), (("region", o["region_code"]), o),
                         (("icb_system", o["icb_code"]), o))
        )  # fmt: skip
        out = {}
        for area_type, code, name, ons in specs:
            path = area_path(area_type, code)
            page = {"national": "national.html", "region": f"regions/{code}.html"}.get(
                area_type, f"icbs/{code}.html"
            )
            doc = _head(self.pub, "area", code, path)
            doc |= {
                "area": {"area_type": area_type, "code": code, "name": name, "ons_code": ons},
                "members": [
                    {
                        "org_code": o["org_code"],
                        "org_name": o["org_name"],
                        "org_type": o["org_type"],
                        "document": _link(organisation_path(o["org_code"]), path),
                    }
                    for o in members.get((area_type, code), [])
                ],
                "benchmarks": bench.get((area_type, code), []),
                "links": {
                    "self": _link(path, path),
                    "page": _link(page, path),
                    "index": _link(f"{API_DIR}/index.json", path),
                    "benchmarks_csv": _link("downloads/benchmarks.csv", path),
                },
            }
            out[path] = doc
        return out

    def domains(self) -> dict[str, dict[str, Any]]:
        """Each domain: its definition each year, its comparability and its national benchmarks."""
        if "domains" not in self.tables:
            return {}
        years = rows(self.registry["domains"], self.tables["domains"])
        notes = _by(
            (r["domain_id"], r)
            for r in rows(self.registry["comparability_notes"], self.tables["comparability_notes"])
        )
        score_ids = _by(
            (i, r["domain_id"]) for r in years for i in (r["score_ids"] or "").split(";") if i
        )
        bench = _by(
            (score_ids[r["measure_id"]][0], r)
            for r in self.bench_rows
            if r["measure_type"] == "domain"
            and r["peer_group_type"] == "national"
            and r["measure_id"] in score_ids
        )
        out = {}
        for domain_id, defined in _by((r["domain_id"], r) for r in years).items():
            path = domain_path(domain_id)
            doc = _head(self.pub, "domain", domain_id, path)
            doc |= {
                "years": defined,
                "comparability": notes.get(domain_id, []),
                "benchmarks": bench.get(domain_id, []),
                "links": {
                    "self": _link(path, path),
                    "page": _link(f"domains/{domain_id}.html", path),
                    "index": _link(f"{API_DIR}/index.json", path),
                    "domains_csv": _link("downloads/domains.csv", path),
                    "domain_scores_csv": _link("downloads/domain_scores.csv", path),
                },
            }
            out[path] = doc
        return out

    def table_docs(self, downloads: Sequence[Any]) -> dict[str, dict[str, Any]]:
        """Each published table: its columns and keys, and links to its files."""
        files = {f.path: f for f in downloads}
        out = {}
        for name, frame in self.tables.items():
            table = self.registry[name]
            path = table_path(name)
            formats = [*table.formats, *(["meta.csv"] if "csv" in table.formats else [])]
            described = [
                {
                    "format": fmt,
                    "url": _link(f"downloads/{files[f'{name}.{fmt}'].path}", path),
                    "bytes": int(files[f"{name}.{fmt}"].bytes),
                    "sha256": files[f"{name}.{fmt}"].sha256,
                }
                for fmt in formats
                if f"{name}.{fmt}" in files
            ]
            fields = []
            for f in table.field_defs():
                field = frictionless_field(f)
                if f.suppressed_by:
                    field["withheld_when"] = f.suppressed_by
                fields.append(field)
            doc = _head(self.pub, "table", name, path)
            doc |= {
                "table": {
                    "name": name,
                    "title": table.title,
                    "description": table.description,
                    "primary_key": list(table.primary_key),
                    "n_rows": len(frame),
                    "fields": fields,
                },
                "files": described,
                "links": {
                    "self": _link(path, path),
                    "index": _link(f"{API_DIR}/index.json", path),
                    "data_dictionary": _link("data-dictionary.html", path),
                    "datapackage": _link("downloads/datapackage.json", path),
                },
            }
            out[path] = doc
        return out


def _index_entry(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Which list of the index a document goes in, and its entry there (without its link)."""
    kind = doc["kind"]
    if kind == "organisation":
        org = doc["organisation"]
        return "organisations", {
            "id": doc["id"],
            "name": org["org_name"],
            "org_type": org["org_type"],
        }
    if kind == "area":
        folder = AREA_FOLDERS[doc["area"]["area_type"]].replace("-", "_")
        return folder, {"id": doc["id"], "name": doc["area"]["name"]}
    if kind == "domain":
        return "domains", {"id": doc["id"], "name": doc["years"][-1]["domain_name"]}
    return "tables", {"id": doc["id"], "name": doc["table"]["title"]}


def api_documents(
    pub: Publication, tables: dict[str, pd.DataFrame], downloads: Sequence[Any] = ()
) -> dict[str, dict[str, Any]]:
    """Every API document, keyed by its path relative to the site, in path order."""
    builder = _Builder(pub, tables)
    docs = dict(builder.organisation(org) for org in builder.orgs)
    docs |= builder.areas()
    docs |= builder.domains()
    docs |= builder.table_docs(downloads)
    index_path = f"{API_DIR}/index.json"
    listing: dict[str, list[dict[str, Any]]] = {}
    for path, doc in sorted(docs.items()):
        group, entry = _index_entry(doc)
        listing.setdefault(group, []).append(entry | {"document": _link(path, index_path)})
    schemas = api_schemas(pub.granularity)
    index = _head(pub, "index", "index", index_path)
    index |= {
        "documents": listing,
        "n_documents": len(docs),
        "schemas": {
            kind: _link(schema_path(kind), index_path)
            for kind in KINDS
            if schema_path(kind) in schemas
        },
        "links": {
            "self": "index.json",
            "downloads": _link("downloads/index.html", index_path),
            "datapackage": _link("downloads/datapackage.json", index_path),
        },
    }
    docs[index_path] = index
    return dict(sorted(docs.items()))


# --- build: schemas ----------------------------------------------------------------------------

_JSON_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "string",
}


def _field_schema(table: Table, name: str) -> dict[str, Any]:
    """The JSON Schema of one column's value, from the registry (null where it may be missing)."""
    f = table.get_field(name)
    schema: dict[str, Any] = {"description": f.description}
    json_type = _JSON_TYPES[f.type]
    schema["type"] = json_type if f.required else [json_type, "null"]
    if f.type == "date":
        schema["format"] = "date"
    if f.enum is not None:
        schema["enum"] = [*f.enum, *([] if f.required else [None])]
    if f.minimum is not None:
        schema["minimum"] = f.minimum if not float(f.minimum).is_integer() else int(f.minimum)
    if f.maximum is not None:
        schema["maximum"] = f.maximum if not float(f.maximum).is_integer() else int(f.maximum)
    if f.pattern is not None:
        schema["pattern"] = f.pattern
    return schema


def row_schema(table: Table, drop: Iterable[str] = ()) -> dict[str, Any]:
    """A row of a table as a JSON object: every field, no other; a withheld field is null."""
    dropped = set(drop)
    columns = [c for c in table.columns if c not in dropped]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {c: _field_schema(table, c) for c in columns},
        "required": columns,
        "additionalProperties": False,
    }
    withheld: dict[str, list[str]] = {}
    for c in columns:
        flag = table.get_field(c).suppressed_by
        if flag and flag in columns:
            withheld.setdefault(flag, []).append(c)
    if withheld:
        schema["allOf"] = [
            {
                "if": {"properties": {flag: {"const": True}}, "required": [flag]},
                "then": {"properties": {c: {"type": "null"} for c in cols}},
            }
            for flag, cols in sorted(withheld.items())
        ]
    return schema


def _head_schema(
    kind: str, title: str, body: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """A document schema: the common head, then the kind's own properties."""
    links = {"type": "object", "additionalProperties": {"type": "string"}, "required": ["self"]}
    properties = {
        "api_version": {"const": API_VERSION},
        "kind": {"const": kind},
        "id": {"type": "string", "minLength": 1},
        "release": {
            "type": "object",
            "properties": {
                "version": {"type": "string", "pattern": r"^\d{4}\.\d+\.\d+$"},
                "release_date": {"type": "string", "format": "date"},
                "status": {"enum": ["provisional", "final"]},
            },
            "required": ["version", "release_date", "status"],
            "additionalProperties": False,
        },
        "is_demo": {"type": "boolean"},
        "schema": {"type": "string"},
        "links": links,
        **body,
    }
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": f"{kind}.schema.json",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": [
            "api_version",
            "kind",
            "id",
            "release",
            "is_demo",
            "schema",
            "links",
            *required,
        ],
        "additionalProperties": False,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def api_schemas(granularity: str) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each document kind, keyed by its path relative to the site."""
    reg = tables_for(granularity)
    bench = _array(row_schema(reg["benchmarks"], drop=_BENCH_NAMES))
    org_body: dict[str, Any] = {
        "organisation": row_schema(reg["organisations"]),
        "benchmarks": bench,
    }
    for name in ("domain_scores", "pillar_scores", "overall_scores"):
        if name in reg:
            org_body[name] = _array(row_schema(reg[name], drop=(*_ORG_COLUMNS, *_NAMES)))
    member = {
        "type": "object",
        "properties": {
            "org_code": {"type": "string"},
            "org_name": {"type": "string"},
            "org_type": {"enum": ["trust", "icb"]},
            "document": {"type": "string"},
        },
        "required": ["org_code", "org_name", "org_type", "document"],
        "additionalProperties": False,
    }
    area = {
        "type": "object",
        "properties": {
            "area_type": {"enum": list(AREA_FOLDERS)},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "ons_code": {"type": ["string", "null"]},
        },
        "required": ["area_type", "code", "name", "ons_code"],
        "additionalProperties": False,
    }
    file_item = {
        "type": "object",
        "properties": {
            "format": {"enum": ["csv", "parquet", "json", "meta.csv"]},
            "url": {"type": "string"},
            "bytes": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        "required": ["format", "url", "bytes", "sha256"],
        "additionalProperties": False,
    }
    table_body = {
        "table": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "primary_key": _array({"type": "string"}),
                "n_rows": {"type": "integer", "minimum": 0},
                "fields": _array(
                    {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "title": {"type": "string"},
                            "type": {"enum": sorted(_JSON_TYPES)},
                            "description": {"type": "string"},
                            "constraints": {"type": "object"},
                            "unit": {"type": "string"},
                            "decimalPlaces": {"type": "integer"},
                            "withheld_when": {"type": "string"},
                        },
                        "required": ["name", "title", "type", "description", "constraints"],
                        "additionalProperties": False,
                    }
                ),  # fmt: skip
            },
            "required": ["name", "title", "description", "primary_key", "n_rows", "fields"],
            "additionalProperties": False,
        },
        "files": _array(file_item),
    }
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "org_type": {"enum": ["trust", "icb"]},
            "document": {"type": "string"},
        },
        "required": ["id", "name", "document"],
        "additionalProperties": False,
    }
    index_body = {
        "documents": {"type": "object", "additionalProperties": _array(entry)},
        "n_documents": {"type": "integer", "minimum": 0},
        "schemas": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    kinds: dict[str, dict[str, Any]] = {
        "index": _head_schema("index", "API index", index_body, list(index_body)),
        "organisation": _head_schema(
            "organisation", "Organisation", org_body, ["organisation", "benchmarks"]
        ),
        "area": _head_schema(
            "area",
            "Area (England, a region or an ICB system)",
            {"area": area, "members": _array(member), "benchmarks": bench},
            ["area", "members", "benchmarks"],
        ),
        "table": _head_schema("table", "Published table", table_body, list(table_body)),
    }
    if "domains" in reg:
        domain_body = {
            "years": _array(row_schema(reg["domains"])),
            "comparability": _array(row_schema(reg["comparability_notes"])),
            "benchmarks": bench,
        }
        kinds["domain"] = _head_schema("domain", "Domain", domain_body, list(domain_body))
    return {schema_path(kind): schema for kind, schema in kinds.items()}


# --- write -------------------------------------------------------------------------------------


def schema_bytes(schema: dict[str, Any]) -> bytes:
    """A JSON Schema as written: sorted keys, indented."""
    return (json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def write_files(docs_dir: Path, files: dict[str, bytes]) -> list[tuple[str, int]]:
    """Write files (path relative to docs_dir: bytes) in path order; return (path, bytes)."""
    written = []
    for path in sorted(files):
        target = Path(docs_dir) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[path])
        written.append((path, len(files[path])))
    return written
