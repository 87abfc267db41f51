"""Open data: the tidy publication tables, and the files a researcher downloads, from one Publication.

Three blocks (OWID style). Build: `publication_tables` turns the Publication into tidy, enriched
tables, rounded once here (half away from zero, to each field's decimal places in the registry).
Format: CSV text and Parquet bytes, both derived from `dma_publish.registry`. Write:
`write_open_data` writes every file under the site's ``downloads/`` folder and returns a manifest.

Files (all described in README.txt and, the data files, in datapackage.json):

- ``<table>.parquet`` (zstd, explicit schema, no pandas metadata), ``<table>.csv`` (UTF-8, comma,
  ``\\n`` line endings, a header row, fixed decimal places per column, GSS markers ``[x]``
  not available, ``[z]`` not applicable, ``[c]`` confidential in place of missing values) and
  ``<table>.meta.csv`` (DfE explore-education-statistics style);
- ``comparability_notes.json`` beside its CSV; ``revisions.csv`` (the revision log);
- ``organisations/<ORG_CODE>.csv``: one organisation's rows of every score table, stacked with a
  ``table`` column (long format), one file per organisation in the reference;
- ``datapackage.json`` (Frictionless Data Package v2), ``data-dictionary.csv``, ``README.txt``;
- ``dma-open-data-<version>.zip`` (everything above, fixed timestamps, sorted entries) and
  ``SHA256SUMS`` (``sha256sum -c SHA256SUMS``) over every other file.

Nothing depends on the wall clock: dates come from the release (``SOURCE_DATE_EPOCH`` only when
the release has no date), so the same inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dma_publish import response
from dma_publish.errors import PublishError
from dma_publish.peergroups import NATIONAL_CODE, NATIONAL_NAME
from dma_publish.publication import Publication
from dma_publish.registry import (
    CONFIDENTIAL,
    MISSING_VALUES,
    NOT_APPLICABLE,
    Field,
    Table,
    arrow_schema,
    conform,
    data_dictionary,
    frictionless_schema,
    meta_frame,
    package_tables_for,
    pandas_dtypes,
    score_tables_for,
    tables_for,
)
from dma_publish.score import round_half_away
from dma_publish.vocab import FORMULA_FIRST_CHARS, excerpt, is_formula_like

PACKAGE_NAME = "nhs-digital-maturity-assessment"
DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
SLICE_DIR = "organisations"
CHECKSUMS = "SHA256SUMS"
_MEDIATYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
}
_SCORE_RENAMES = {
    "domain_scores": {"score": "domain_score"},
    "pillar_scores": {"score": "pillar_score", "is_suppressed": "score_is_suppressed"},
    "overall_scores": {"score": "overall_score", "is_suppressed": "score_is_suppressed"},
}
_STAT_RENAMES = {s: f"{s}_score" for s in ("mean", "median", "q1", "q3", "min", "max")}


class UnsafeCellError(PublishError, ValueError):
    """A text cell a spreadsheet could run as a formula, or one that reads as a missing marker.
    The loaders refuse such input text, so this is a last line of defence: it names the file,
    row and column, and the build stops rather than publish the cell."""


@dataclass(frozen=True)
class DownloadFile:
    """One written file: where it is (relative to downloads/), its size, format, title and hash."""

    path: str
    bytes: int
    format: str
    title: str
    description: str
    sha256: str


# --- build: tidy publication tables -----------------------------------------------------------


def publication_tables(pub: Publication) -> dict[str, pd.DataFrame]:
    """The tidy, rounded, enriched tables, keyed by table name, each conformed to the registry."""
    builders = {
        **_VALUE_BUILDERS,
        "next_level_elements": _next_level,
        "domains": _domains,
        "organisations": _organisations,
        "comparability_notes": _comparability_notes,
        "returns": _returns,
        "reconciliation": _reconciliation,
        "disclosure_audit": _disclosure_audit,
        "revisions": lambda p: _revisions(p.release),
        "changes": _changes,
    }
    return _build_tables(pub, builders)


def value_tables(pub: Publication) -> dict[str, pd.DataFrame]:
    """Only the tables compared between versions (registry.VALUE_TABLES), as published."""
    return _build_tables(pub, _VALUE_BUILDERS)


def _build_tables(pub: Publication, builders: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Run the builders of the tables this publication's granularity has, and finish each."""
    tables = tables_for(pub.granularity)
    out = {}
    for name, build in builders.items():
        if name in tables:
            frame = build(pub)
            if pub.granularity != "answers":  # fewer columns than the answers' tables
                frame = frame[[c for c in frame.columns if c in tables[name].fields]]
            out[name] = finish(tables[name], frame)
    return out


def finish(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Round each number to its field's decimal places (once, here), then conform to the registry."""
    out = frame.copy()
    for f in table.field_defs():
        if f.type == "number" and f.dp is not None and f.name in out.columns:
            # + 0.0 turns -0.0 into 0.0, so a rounded change never prints as "-0.00".
            out[f.name] = round_half_away(out[f.name].astype("float64"), f.dp) + 0.0
    return conform(table, out)


def organisation_slices(
    tables: dict[str, pd.DataFrame], granularity: str = "answers"
) -> pd.DataFrame:
    """Every score table's rows stacked in long format with a `table` column (all organisations)."""
    parts = [tables[name].assign(table=name) for name in score_tables_for(granularity)]
    stacked = pd.concat(parts, ignore_index=True)
    table = tables_for(granularity)["organisation_slice"]
    for name, dtype in pandas_dtypes(table).items():
        if name not in stacked.columns:
            stacked[name] = pd.Series(pd.NA, index=stacked.index, dtype=dtype)
    return conform(table, stacked)


def _org_dims(pub: Publication) -> pd.DataFrame:
    """The organisation columns every score row carries."""
    orgs = pub.reference.organisations
    return orgs[["org_code", "org_name", "org_type", "icb_code", "region_code"]]


def _with_orgs(frame: pd.DataFrame, pub: Publication) -> pd.DataFrame:
    """Add the organisation columns; a score for an organisation not in the reference is an error."""
    out = frame.merge(_org_dims(pub), on="org_code", how="left", validate="many_to_one")
    unknown = out.loc[out["org_name"].isna(), "org_code"]
    if len(unknown):
        raise ValueError(
            f"scores for organisations not in the reference: {sorted(set(unknown))[:5]}"
        )
    return out


def _pillar_names(pub: Publication) -> pd.DataFrame:
    """pillar_id to pillar_name."""
    return pub.methodology.pillars[["pillar_id", "pillar_name"]].drop_duplicates("pillar_id")


def _flag(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Ensure a suppression flag exists (false when the suppression stage has not run)."""
    out = frame.copy()
    out[column] = out[column].fillna(False).astype(bool) if column in out else False
    return out


def _domain_scores(pub: Publication) -> pd.DataFrame:
    """Scores by domain, with organisation, pillar, domain and score names."""
    meth = pub.methodology
    frame = _flag(pub.scores.domain_scores, "is_suppressed").rename(
        columns=_SCORE_RENAMES["domain_scores"]
    )
    frame = _with_orgs(frame, pub).merge(_pillar_names(pub), on="pillar_id", how="left")
    frame = frame.merge(
        meth.domains[["year", "domain_id", "domain_name"]], on=["year", "domain_id"], how="left"
    )
    names = meth.score_defs[["year", "domain_id", "score_id", "score_name"]]
    return frame.merge(names, on=["year", "domain_id", "score_id"], how="left")


def _pillar_scores(pub: Publication) -> pd.DataFrame:
    """Scores by pillar with the like-for-like change (computed at full precision)."""
    frame = _flag(_flag(pub.scores.pillar_scores, "lfl_is_suppressed"), "is_suppressed").rename(
        columns=_SCORE_RENAMES["pillar_scores"]
    )
    frame["lfl_change"] = frame["lfl_score"].astype("float64") - frame["lfl_previous_score"].astype(
        "float64"
    )
    return _with_orgs(frame, pub).merge(_pillar_names(pub), on="pillar_id", how="left")


def _overall_scores(pub: Publication) -> pd.DataFrame:
    """Overall scores with the organisation columns."""
    frame = _flag(pub.scores.overall_scores, "is_suppressed").rename(
        columns=_SCORE_RENAMES["overall_scores"]
    )
    return _with_orgs(frame, pub)


def _disclosure_audit(pub: Publication) -> pd.DataFrame:
    """Withheld domain scores by number of feasible levels (the disclosure audit stage's record;
    all zero where nothing is withheld, or the stage has not run)."""
    from dma_publish.publication import DisclosureRecord, empty_values

    record = pub.disclosure
    if record is None:
        record = DisclosureRecord(empty_values(), 0, 0, 0, pd.DataFrame(), pd.DataFrame(), 0.0)
    return record.counts(pub.years)


def _next_level(pub: Publication) -> pd.DataFrame:
    """The unmet elements of each organisation's next level, where the policy shows them."""
    columns = [
        "year",
        "org_code",
        "care_setting",
        "domain_id",
        "score_id",
        "score",
        "next_level",
        "element_id",
    ]
    source = pub.next_level if pub.next_level is not None else pd.DataFrame(columns=columns)
    meth = pub.methodology
    frame = source[columns].rename(columns={"score": "domain_score"})
    frame = frame.merge(
        meth.domains[["year", "domain_id", "domain_name", "pillar_id"]],
        on=["year", "domain_id"],
        how="left",
        validate="many_to_one",
    )
    frame = frame.merge(_pillar_names(pub), on="pillar_id", how="left")
    names = meth.score_defs[["year", "domain_id", "score_id", "score_name"]]
    frame = frame.merge(names, on=["year", "domain_id", "score_id"], how="left")
    texts = meth.elements[["year", "element_id", "element_text"]]
    frame = frame.merge(texts, on=["year", "element_id"], how="left", validate="many_to_one")
    return _with_orgs(frame, pub)


def _benchmarks(pub: Publication) -> pd.DataFrame:
    """Benchmarks with the peer group's and the measure's names."""
    frame = _flag(pub.benchmarks, "is_suppressed").rename(columns=_STAT_RENAMES)
    group_names = _group_names(pub)
    frame["peer_group_name"] = [
        _peer_group_name(group_names, c, s)
        for c, s in zip(frame["peer_group_code"], frame["care_setting"], strict=True)
    ]
    frame["measure_name"] = _measure_names(pub, frame)
    return frame


def _group_names(pub: Publication) -> dict[str, str]:
    """Names of every code a peer group can be: England, regions, ICBs and care settings."""
    regions = pub.reference.regions.set_index("region_code")["region_name"].to_dict()
    orgs = pub.reference.organisations
    icbs = orgs.loc[orgs["org_type"] == "icb"].set_index("org_code")["org_name"].to_dict()
    settings = pub.methodology.care_settings.set_index("care_setting")[
        "care_setting_name"
    ].to_dict()
    return {NATIONAL_CODE: NATIONAL_NAME, **regions, **icbs, **settings}


def _peer_group_name(names: dict[str, str], code: str, setting: str) -> str:
    """A peer group's name and its one care setting, e.g. 'London, Acute'."""
    return f"{names.get(code, code)}, {names.get(setting, setting)}"


def _measure_names(pub: Publication, frame: pd.DataFrame) -> pd.Series:
    """The name of what each benchmark row summarises: overall, a pillar or a score."""
    pillars = _pillar_names(pub).set_index("pillar_id")["pillar_name"]
    scores = pub.methodology.score_defs.drop_duplicates(["year", "score_id"]).set_index(
        ["year", "score_id"]
    )
    score_names = scores["score_name"]
    out = []
    for year, mtype, mid in zip(
        frame["year"], frame["measure_type"], frame["measure_id"], strict=True
    ):
        if mtype == "overall":
            out.append("Overall score")
        elif mtype == "pillar":
            out.append(pillars.get(mid, mid))
        else:
            out.append(score_names.get((year, mid), mid))
    return pd.Series(out, index=frame.index, dtype="string")


def _domains(pub: Publication) -> pd.DataFrame:
    """The methodology dimension: one row per domain and year, with level elements and comparability."""
    meth = pub.methodology
    frame = meth.domains.rename(columns={"description": "domain_description"})
    frame = frame.merge(_pillar_names(pub), on="pillar_id", how="left")
    frame["care_settings"] = frame["care_settings"].map(";".join)
    frame["is_scoring"] = frame["is_scoring"].astype(bool)
    score_ids = (
        meth.score_defs.groupby(["year", "domain_id"])["score_id"].agg(";".join).rename("score_ids")
    )
    frame = frame.merge(score_ids.reset_index(), on=["year", "domain_id"], how="left")
    frame.loc[~frame["is_scoring"], "score_ids"] = pd.NA
    frame = frame.merge(_level_descriptions(meth), on=["year", "domain_id"], how="left")
    comparability = meth.comparability.rename(columns=_COMPARABILITY_RENAMES)
    return frame.merge(comparability, on=["year", "domain_id"], how="left")


_COMPARABILITY_RENAMES = {
    "previous_year": "comparability_previous_year",
    "status": "comparability_status",
    "reason": "comparability_reason",
}


def _level_descriptions(meth: Any) -> pd.DataFrame:
    """Per domain and year, the text of each level's elements (score name first if several scores)."""
    columns = ["year", "domain_id", *(f"level_{level}_description" for level in range(2, 6))]
    elements = meth.elements.merge(
        meth.score_defs, on=["year", "domain_id", "score_id"], how="left"
    )
    if elements.empty:
        return pd.DataFrame(columns=columns)
    n_scores = meth.score_defs.groupby(["year", "domain_id"])["score_id"].transform("size")
    several = set(meth.score_defs.loc[n_scores > 1, "score_id"])
    text = [
        f"{name}: {words}" if sid in several else words
        for sid, name, words in zip(
            elements["score_id"], elements["score_name"], elements["element_text"], strict=True
        )
    ]
    elements = elements.assign(text=text).sort_values(
        ["year", "domain_id", "score_id", "element_id"]
    )
    joined = (
        elements.groupby(["year", "domain_id", "level"])["text"].agg(" | ".join).unstack("level")
    )
    joined = joined.reindex(columns=range(2, 6))
    joined.columns = columns[2:]
    return joined.reset_index()


def _organisations(pub: Publication) -> pd.DataFrame:
    """Organisations with ICB and region names and ONS codes; lists joined with ';'."""
    orgs = pub.reference.organisations
    icbs = orgs.loc[orgs["org_type"] == "icb", ["org_code", "org_name", "ons_code"]]
    icbs = icbs.rename(
        columns={"org_code": "icb_code", "org_name": "icb_name", "ons_code": "icb_ons_code"}
    )
    regions = pub.reference.regions.rename(columns={"ons_code": "region_ons_code"})
    frame = orgs.drop(columns=["ons_code"]).merge(icbs, on="icb_code", how="left")
    frame = frame.merge(regions, on="region_code", how="left")
    frame["care_settings"] = frame["care_settings"].map(";".join)
    frame["predecessor_codes"] = frame["predecessor_codes"].map(
        lambda codes: ";".join(codes) or pd.NA
    )
    return frame


def _returns(pub: Publication) -> pd.DataFrame:
    """Every expected return: scored, rejected or missing (non-response)."""
    register = response.return_register(pub.validated, pub.reference.organisations, pub.years)
    return _with_orgs(register, pub)


def _reconciliation(pub: Publication) -> pd.DataFrame:
    """Answer rows and returns read, scored and rejected; returns expected and missing; by year."""
    return response.reconciliation(pub.validated, pub.reference.organisations, pub.years)


def _comparability_notes(pub: Publication) -> pd.DataFrame:
    """Comparability with the previous year, per domain; a discontinued domain named from that year."""
    meth = pub.methodology
    notes = meth.comparability.rename(columns=_COMPARABILITY_RENAMES)
    info = meth.domains[["year", "domain_id", "domain_name", "pillar_id", "survey"]]
    this_year = notes.merge(info, on=["year", "domain_id"], how="left")
    previous = notes.merge(
        info.rename(columns={"year": "comparability_previous_year"}),
        on=["comparability_previous_year", "domain_id"],
        how="left",
    )
    return this_year.fillna(previous[["domain_name", "pillar_id", "survey"]])


def _changes(pub: Publication) -> pd.DataFrame:
    """Every published value changed between archived versions and this one (releases stage)."""
    from dma_publish.publication import empty_changes

    history = pub.history
    return empty_changes() if history is None else history.changes


_VALUE_BUILDERS: dict[str, Any] = {
    "domain_scores": _domain_scores,
    "pillar_scores": _pillar_scores,
    "overall_scores": _overall_scores,
    "benchmarks": _benchmarks,
}


def _revisions(release: Any) -> pd.DataFrame:
    """The revision log from the release metadata, oldest first."""
    rows = [
        {
            "version": r.version,
            "revision_date": str(r.date),
            "revision_kind": getattr(r, "kind", "scheduled"),
            "note": r.note,
        }
        for r in getattr(release, "revisions", ())
    ]
    return pd.DataFrame(rows, columns=["version", "revision_date", "revision_kind", "note"])


# --- format: CSV and Parquet from the registry ------------------------------------------------


def _markers(f: Field, frame: pd.DataFrame) -> pd.Series:
    """The GSS marker for each cell of a column, used where the value is missing."""
    markers = pd.Series(f.missing, index=frame.index, dtype="object")
    if f.na_when_null:
        markers[frame[f.na_when_null].isna().to_numpy()] = NOT_APPLICABLE
    if f.suppressed_by:
        flags = frame[f.suppressed_by].fillna(False).astype(bool).to_numpy()
        markers[flags] = CONFIDENTIAL
    return markers


def _text_cells(f: Field, values: pd.Series) -> list[str]:
    """Format present values of one column as CSV text, refusing formula-like text."""
    if f.type == "integer":
        return [str(int(v)) for v in values]
    if f.type == "number":
        return [f"{v:.{f.dp if f.dp is not None else 15}f}" for v in values]
    if f.type == "boolean":
        return ["true" if v else "false" for v in values]
    cells = [str(v) for v in values]
    for cell in cells:
        if cell in MISSING_VALUES:
            raise UnsafeCellError(f"{f.name}: text cell {cell!r} would be read as a marker")
    return cells


def _csv_column(f: Field, frame: pd.DataFrame) -> list[str]:
    """One column as CSV cells: formatted values, and GSS markers where values are missing."""
    values = frame[f.name]
    present = values.notna().to_numpy()
    cells = _markers(f, frame).to_numpy(copy=True)
    cells[present] = _text_cells(f, values[present])
    return cells.tolist()


def csv_rows(table: Table, frame: pd.DataFrame) -> list[list[str]]:
    """The data rows of a conformed frame as CSV cells, in registry column order."""
    columns = [_csv_column(f, frame) for f in table.field_defs()]
    return [list(row) for row in zip(*columns, strict=True)]


def _refuse_formula_cells(name: str, header: list[str], rows: list[list[str]]) -> None:
    """Defence in depth: no cell of any CSV written may be text a spreadsheet would run."""
    for number, row in enumerate([header, *rows], start=1):
        for column, cell in zip(header, row, strict=True):
            if cell and cell[0] in FORMULA_FIRST_CHARS and is_formula_like(cell):
                raise UnsafeCellError(
                    f"{name}: line {number}, column {column}: {excerpt(cell)} would run as a "
                    "formula in a spreadsheet; refusing to publish it"
                )


def _csv_bytes(name: str, header: list[str], rows: Iterable[list[str]]) -> bytes:
    """CSV bytes: UTF-8, comma, minimal quoting, '\\n' line endings, a header row; refuses
    any cell a spreadsheet would run as a formula."""
    rows = rows if isinstance(rows, list) else list(rows)
    _refuse_formula_cells(name, header, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _quoted(cell: str) -> str:
    """A CSV cell, quoted where it holds a comma, quote, line break or `#` (which a reader told
    that `#` starts a comment would otherwise cut short)."""
    if any(c in cell for c in ',"\n\r#'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def commented_csv_bytes(
    name: str, comments: Iterable[str], header: list[str], rows: list[list[str]]
) -> bytes:
    """CSV bytes as `_csv_bytes` writes them, after a block of `# ` comment lines (read with
    `pandas.read_csv(..., comment="#")`; R `read.csv(..., comment.char = "#")`); refuses any
    cell a spreadsheet would run as a formula."""
    _refuse_formula_cells(name, header, rows)
    lines = [f"# {' '.join(str(text).split())}" for text in comments]
    lines += [",".join(_quoted(cell) for cell in row) for row in [header, *rows]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def csv_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """A table as CSV bytes, after checking the frame against the registry."""
    frame = conform(table, frame)
    return _csv_bytes(f"{table.name}.csv", table.columns, csv_rows(table, frame))


def parquet_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """A table as Parquet bytes: explicit schema, sorted by primary key, zstd, no pandas metadata."""
    frame = conform(table, frame)
    schema = arrow_schema(table)
    arrow = pa.Table.from_pandas(
        frame, schema=schema, preserve_index=False
    ).replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def read_csv(table: Table, path: str | Path) -> pd.DataFrame:
    """Read a published CSV back with the registry's dtypes (markers become missing values)."""
    return pd.read_csv(
        path,
        dtype=pandas_dtypes(table),
        na_values=list(MISSING_VALUES),
        keep_default_na=False,
        float_precision="round_trip",
        encoding="utf-8",
    )


def read_parquet(path: str | Path) -> pd.DataFrame:
    """Read a published Parquet file back into the same nullable dtypes as the in-memory tables."""
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


# --- write: files, metadata, checksums ---------------------------------------------------------


def release_datetime(release: Any) -> dt.datetime:
    """When the release was published: its release_date, else SOURCE_DATE_EPOCH, else 1980-01-01."""
    date = getattr(release, "release_date", None)
    if date is not None:
        return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


class _Writer:
    """Writes files under one folder and remembers what each one is, for the manifest."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.files: dict[str, tuple[str, str, str]] = {}  # path -> (format, title, description)

    def write(self, path: str, data: bytes, fmt: str, title: str, description: str) -> None:
        """Write one file (creating folders) and record it."""
        target = self.out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[path] = (fmt, title, description)

    def read(self, path: str) -> bytes:
        """The bytes of a file already written."""
        return (self.out_dir / path).read_bytes()

    def manifest(self) -> list[DownloadFile]:
        """Every written file, sorted by path."""
        out = []
        for path in sorted(self.files):
            fmt, title, description = self.files[path]
            data = self.read(path)
            out.append(DownloadFile(path, len(data), fmt, title, description, sha256(data)))
        return out


def write_open_data(
    pub: Publication, out_dir: Path, tables: dict[str, pd.DataFrame] | None = None
) -> list[DownloadFile]:
    """Write the whole open dataset under out_dir (the site's downloads/); return the manifest.
    `tables` are `publication_tables(pub)` when the caller has them already (the API reads them)."""
    out_dir = Path(out_dir)
    _remove_previous(out_dir)
    tables = publication_tables(pub) if tables is None else tables
    writer = _Writer(out_dir)
    registry_tables = tables_for(pub.granularity)
    for name, frame in tables.items():
        _write_table(writer, registry_tables[name], frame)
    _write_slices(writer, tables, pub.granularity)
    writer.write(
        "data-dictionary.csv",
        _dictionary_bytes(registry_tables),
        "csv",
        "Data dictionary",
        "Every column of every table: meaning, type, unit, decimal places and constraints.",
    )
    writer.write(
        "README.txt",
        readme_text(pub).encode("utf-8"),
        "txt",
        "Read me",
        "What the files are, how to cite them, the licence and the comparability rules.",
    )
    writer.write(
        "datapackage.json",
        _json_bytes(datapackage(pub, writer)),
        "json",
        "Data package",
        "Frictionless Data Package (v2) describing every data file.",
    )
    _write_zip(writer, pub)
    writer.write(
        CHECKSUMS,
        _checksums(writer),
        "sha256",
        "Checksums",
        "SHA-256 of every other file (check with: sha256sum -c SHA256SUMS).",
    )
    return writer.manifest()


def _remove_previous(out_dir: Path) -> None:
    """Delete the files a previous write listed in its SHA256SUMS, so no stale file survives."""
    listing = out_dir / CHECKSUMS
    if not listing.is_file():
        return
    for line in listing.read_text(encoding="utf-8").splitlines():
        relative = line.partition("  ")[2]
        target = (out_dir / relative).resolve()
        if relative and target.is_relative_to(out_dir.resolve()) and target.is_file():
            target.unlink()
    listing.unlink()


def _write_table(writer: _Writer, table: Table, frame: pd.DataFrame) -> None:
    """Write one table in each of its formats, plus its .meta.csv beside the CSV."""
    if "parquet" in table.formats:
        writer.write(
            f"{table.name}.parquet",
            parquet_bytes(table, frame),
            "parquet",
            table.title,
            table.description,
        )
    if "csv" in table.formats:
        writer.write(
            f"{table.name}.csv", csv_bytes(table, frame), "csv", table.title, table.description
        )
        meta = meta_frame(table)
        writer.write(
            f"{table.name}.meta.csv",
            _csv_bytes(
                f"{table.name}.meta.csv", list(meta.columns), meta.astype(str).to_numpy().tolist()
            ),
            "csv",
            f"{table.title}: column metadata",
            "Filters and indicators of the CSV (DfE explore-education-statistics style).",
        )
    if "json" in table.formats:
        writer.write(
            f"{table.name}.json", _records_json(frame), "json", table.title, table.description
        )


def _records_json(frame: pd.DataFrame) -> bytes:
    """A table as a JSON array of objects (missing values as null)."""
    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    return _json_bytes(records)


def _json_bytes(data: Any) -> bytes:
    """JSON with sorted keys and no NaN, so files diff cleanly and parse everywhere."""
    text = json.dumps(data, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _write_slices(
    writer: _Writer, tables: dict[str, pd.DataFrame], granularity: str = "answers"
) -> None:
    """One CSV per organisation in the reference: its rows from every score table (long format)."""
    table = tables_for(granularity)["organisation_slice"]
    slices = organisation_slices(tables, granularity)
    rows = csv_rows(table, slices)
    by_org: dict[str, list[list[str]]] = {code: [] for code in tables["organisations"]["org_code"]}
    for code, row in zip(slices["org_code"], rows, strict=True):
        by_org[code].append(row)
    for code, org_rows in by_org.items():
        writer.write(
            f"{SLICE_DIR}/{code}.csv",
            _csv_bytes(f"{SLICE_DIR}/{code}.csv", table.columns, org_rows),
            "csv",
            f"{code}: scores",
            "One organisation's rows from every score table; the table column says which.",
        )


def _dictionary_bytes(tables: dict[str, Table] | None = None) -> bytes:
    """data-dictionary.csv from the registry."""
    frame = data_dictionary(tables)
    rows = frame.astype(str).to_numpy().tolist()
    return _csv_bytes("data-dictionary.csv", list(frame.columns), rows)


def _resource(writer: _Writer, table: Table, fmt: str) -> dict[str, Any]:
    """One Data Package resource for a written file."""
    path = f"{table.name}.{fmt}"
    data = writer.read(path)
    resource: dict[str, Any] = {
        "name": table.name if fmt == "csv" else f"{table.name}_{fmt}",
        "path": path,
        "title": table.title if fmt == "csv" else f"{table.title} ({fmt.capitalize()})",
        "description": table.description,
        "format": fmt,
        "mediatype": _MEDIATYPES[fmt],
        "hash": f"sha256:{sha256(data)}",
    }
    if fmt == "csv":
        resource |= {
            "type": "table",
            "encoding": "utf-8",
            "bytes": len(data),
            "dialect": {
                "delimiter": ",",
                "lineTerminator": "\n",
                "header": True,
                "quoteChar": '"',
                "doubleQuote": True,
            },
            "schema": frictionless_schema(table),
        }
        return resource
    # Parquet and JSON copies are described as files: frictionless needs an extra package
    # (fastparquet) to read Parquet as a table. Their rows and columns are those of the CSV.
    resource |= {
        "type": "file",
        "description": f"{table.description} Same rows and columns as {table.name}.csv.",
    }
    if fmt == "parquet":
        resource["schema"] = frictionless_schema(table, resource_suffix="_parquet")
    return resource


def datapackage(pub: Publication, writer: _Writer) -> dict[str, Any]:
    """The Frictionless Data Package (v2) descriptor of every data file written."""
    release = pub.release
    tables = tables_for(pub.granularity)
    resources = [
        _resource(writer, tables[name], fmt)
        for name in package_tables_for(pub.granularity)
        for fmt in ("csv", "parquet", "json")
        if fmt in tables[name].formats
    ]
    return {
        "$schema": DATAPACKAGE_PROFILE,
        "name": PACKAGE_NAME,
        "title": release.title,
        "description": _package_description(pub),
        "version": release.version,
        "created": release_datetime(release).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keywords": [
            "NHS",
            "digital maturity",
            "Digital Maturity Assessment",
            "What Good Looks Like",
            "ICB",
            "NHS trust",
        ],
        "licenses": [LICENCE],
        "sources": [{"title": _source_title(pub)}],
        "contributors": [
            {
                "title": release.publisher,
                ("path" if release.contact.startswith("https://") else "email"): release.contact,
                "roles": ["publisher"],
            }
        ],
        "resources": resources,
        "status": release.status,
        "reportingPeriod": release.reporting_period,
        "years": [int(y) for y in pub.years],
        "isDemo": bool(pub.is_demo),
        **({"sourceWorkbook": pub.provenance} if pub.provenance is not None else {}),
        "generator": {"name": "dma-publish", "version": pub.generator_version},
        "inputsHash": f"sha256:{pub.inputs_hash}",
    }


def _source_title(pub: Publication) -> str:
    """Where the data comes from."""
    if pub.is_demo:
        return "Fictional demonstration returns generated by dma-publish (not real NHS data)"
    return (
        "NHS Digital Maturity Assessment survey returns from NHS trusts and Integrated Care Boards"
    )


def _package_description(pub: Publication) -> str:
    """One paragraph: what the package holds."""
    text = (
        "Digital Maturity Assessment scores of NHS trusts and Integrated Care Boards in England: "
        "whole-number domain scores (1 to 5), pillar and overall means (rounded half away from "
        "zero to 2 decimal places), peer-group benchmarks, the domains and their comparability "
        "between years, and the organisations. Benchmarks compare; they are not a ranking."
    )
    if pub.is_demo:
        text += " FICTIONAL DEMONSTRATION DATA: the organisations and scores are not real."
    return text


def zip_name(release: Any) -> str:
    """The name of the whole-dataset zip, carrying the version."""
    return f"dma-open-data-{release.version}.zip"


def _write_zip(writer: _Writer, pub: Publication) -> None:
    """A deterministic zip of every file written so far: sorted entries, fixed timestamps."""
    stamp = release_datetime(pub.release)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    folder = zip_name(pub.release).removesuffix(".zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(writer.files):
            info = zipfile.ZipInfo(f"{folder}/{path}", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, writer.read(path))
    writer.write(
        zip_name(pub.release),
        buffer.getvalue(),
        "zip",
        "Whole dataset (zip)",
        "Every file of the open dataset in one zip.",
    )


def _checksums(writer: _Writer) -> bytes:
    """SHA256SUMS in sha256sum format: '<hex>  <path>' per file, sorted by path."""
    lines = [f"{sha256(writer.read(path))}  {path}\n" for path in sorted(writer.files)]
    return "".join(lines).encode("utf-8")


# --- README ------------------------------------------------------------------------------------


def citation(pub: Publication) -> str:
    """The suggested citation of this version."""
    release = pub.release
    date = release_datetime(release).date()
    return f"{release.publisher} ({date.year}). {release.title}. Version {release.version}, released {date.isoformat()}."


def source_note(pub: Publication) -> tuple[str, str]:
    """The footer of every chart file: source, licence and release, from the release metadata."""
    release = pub.release
    date = release_datetime(release).date()
    return (
        f"Source: {release.title}, {release.publisher}.",
        f"Licence: {release.licence}. Release {release.version}, {date.isoformat()}.",
    )


def comparability_rules(pub: Publication) -> list[str]:
    """Plain-words rules for comparing years, with counts per status from the methodology."""
    rules = [
        "Compare a domain score with the previous year only where the domain's comparability_status is 'comparable'.",
        "'changed': the questions or scoring elements changed, so a change in score may come from the method, not the organisation.",
        "'new': no previous score; 'discontinued': no score this year; 'moved': the domain moved between the provider (secondary care) and ICB surveys.",
        "Do not compare pillar_score or overall_score across years directly: use the like-for-like columns (lfl_*), computed over only the scores comparable in both years.",
        "Benchmarks describe the spread of a peer group; they are not a ranking.",
    ]
    notes = pub.methodology.comparability
    for year, group in notes.groupby("year"):
        counts = group["status"].value_counts().sort_index()
        listed = ", ".join(f"{status} {n}" for status, n in counts.items())
        previous = int(group["previous_year"].iloc[0])
        rules.append(
            f"{int(year)} compared with {previous}: {listed} (see comparability_notes.csv)."
        )
    return rules


def _table_lines(granularity: str = "answers") -> list[str]:
    """One line per table and its files."""
    lines = []
    for name in package_tables_for(granularity):
        table = tables_for(granularity)[name]
        files = ", ".join(f"{name}.{fmt}" for fmt in table.formats)
        lines += [f"- {table.title}: {files}", f"  {table.description}"]
    return lines


def readme_text(pub: Publication) -> str:
    """README.txt: what the files are, how to read them, citation, licence and comparability rules."""
    release = pub.release
    markers = "; ".join(f"{code} {meaning}" for code, meaning in MISSING_VALUES.items())
    lines = [
        release.title,
        "=" * len(release.title),
        "",
        f"Version {release.version} ({release.status}), released {release_datetime(release).date().isoformat()}. Reporting period: {release.reporting_period}.",
    ]
    if pub.is_demo:
        lines += [
            "",
            "FICTIONAL DEMONSTRATION DATA: the organisations, codes and scores are not real.",
        ]
    lines += [
        "",
        "Tables",
        "------",
        *_table_lines(pub.granularity),
        f"- Per organisation: {SLICE_DIR}/<ORG_CODE>.csv, one file per organisation: its rows of the three score tables stacked (long format); the 'table' column says which table a row comes from and columns that do not apply to it are [z].",
        "",
        "Reading the files",
        "-----------------",
        "- CSV: UTF-8 (no byte-order mark), comma-separated, one header row, '\\n' line endings, quoted only where needed. Numbers have a fixed number of decimal places per column (data-dictionary.csv); whole numbers never carry a decimal point.",
        f"- Missing values are GSS shorthand: {markers}. Parquet holds a null instead; is_suppressed / lfl_is_suppressed say where a value is withheld.",
        "- Parquet: zstd-compressed, one explicit schema per table (integer scores are int8, counts int16, means float64), sorted by the primary key.",
        "- <table>.meta.csv: column metadata in the DfE explore-education-statistics style.",
        "- datapackage.json: Frictionless Data Package v2 (types, descriptions, units, constraints, keys, licence, sources, version). Validate with: frictionless validate datapackage.json",
        f"- {CHECKSUMS}: check every file with: sha256sum -c {CHECKSUMS}",
        "- Rounding: pillar, overall and benchmark figures are rounded once, at publication, half away from zero, to 2 decimal places. Domain scores are whole numbers 1 to 5.",
        "",
        "Comparing years",
        "---------------",
        *(f"- {rule}" for rule in comparability_rules(pub)),
        "",
        "Citation",
        "--------",
        citation(pub),
        "",
        "Licence",
        "-------",
        f"{ATTRIBUTION} {LICENCE['path']}",
        *_methodology_attribution(pub),
        "",
        "No personal data: the names and contact details of the people who submitted returns are never published.",
        "",
    ]
    return "\n".join(lines)


def _methodology_attribution(pub: Publication) -> list[str]:
    """The attribution of quoted maturity-level descriptions, if the methodology carries one."""
    frame = pub.methodology.level_descriptions
    if frame is None or "attribution" not in frame or frame.empty:
        return []
    return [
        f"Maturity level descriptions: {text}"
        for text in sorted(set(frame["attribution"].dropna()))
        if text
    ]
