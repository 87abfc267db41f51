"""Releases: the archive of published versions, and every published value a version changed.

A release is the immutable set of files one version published. The archive is a folder of the
zips earlier versions published (``data/releases/dma-open-data-<version>.zip``, byte for byte
as their ``downloads/`` held it); ``build --archive`` adds this version's zip once it is built.

- `load_archive` reads and checks every archived version: its file name, the version its
  ``datapackage.json`` states, that the revision log lists it, and its value tables' CSVs.
- `compare` lists every value of the value tables (``registry.VALUE_TABLES``: organisations'
  domain, pillar and overall scores and the benchmarks) that one version changed, added or
  removed against an earlier one, keyed as the tables are (year, organisation or peer group,
  care setting, measure, column). Values are compared as published (the CSV cells). A value
  withheld (``[c]``) in either version is never shown, and one withheld in both is not
  compared at all: a change record must not say whether a withheld value moved.
- `history` ties it together for the build's releases stage (``Publication.history``): each
  version in the revision log, whether its values are archived, and the changes between each
  pair of consecutive versions whose values are known.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.errors import InputError
from dma_publish.publication import (
    ArchivedRelease,
    Cells,
    History,
    Version,
    empty_changes,
)
from dma_publish.registry import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    TABLES,
    VALUE_TABLES,
    tables_for,
)

ARCHIVE_DIR = "releases"
ZIP_NAME = re.compile(r"^dma-open-data-(\d{4}\.\d+\.\d+)\.zip$")
CHANGE_KEY = list(TABLES["changes"].primary_key)  # version, value_table, then the value's key
_VALUE_KEY = CHANGE_KEY[2:]
_NO_VALUE = {NOT_AVAILABLE, NOT_APPLICABLE}
_ORG_MEASURES = {  # table: (measure_type, id column, name column)
    "domain_scores": ("domain", "score_id", "score_name"),
    "pillar_scores": ("pillar", "pillar_id", "pillar_name"),
    "overall_scores": ("overall", None, None),
}


# --- the archive -------------------------------------------------------------------------------


def load_archive(folder: Path, release: Any, granularity: str) -> dict[str, ArchivedRelease]:
    """Every archived version in folder (absent: none), checked against the revision log."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    log = [r.version for r in release.revisions]
    out: dict[str, ArchivedRelease] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = ZIP_NAME.match(path.name)
        if match is None:
            raise InputError(
                str(path),
                "file name",
                "the release archive holds only the zips versions published, named "
                "dma-open-data-<version>.zip",
                "archive_file_name",
            )
        version = match.group(1)
        if version not in log:
            raise InputError(
                str(path),
                "version",
                f"version {version} is archived but the revision log in release.yaml does not "
                "list it",
                "archive_unlisted",
            )
        out[version] = _read_zip(path, version, granularity)
    return out


def archive_files(folder: Path) -> list[Path]:
    """The files of the archive folder, sorted (what the inputs' hash covers)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _read_zip(path: Path, version: str, granularity: str) -> ArchivedRelease:
    """Read one archived zip: its members, the version it states, and its value tables."""
    data = path.read_bytes()
    prefix = f"dma-open-data-{version}/"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if f"{prefix}datapackage.json" not in names:
            raise InputError(
                str(path),
                f"{prefix}datapackage.json",
                "not in the zip: an archived release is the zip its downloads/ published",
                "archive_incomplete",
            )
        package = json.loads(archive.read(f"{prefix}datapackage.json"))
        if package.get("version") != version:
            raise InputError(
                str(path),
                f"{prefix}datapackage.json: version",
                f"states version {package.get('version')!r}, but the file name says {version}",
                "archive_version",
            )
        tables = {}
        for name in VALUE_TABLES:
            member = f"{prefix}{name}.csv"
            if name in tables_for(granularity) and member in names:
                tables[name] = _cells(path, member, archive.read(member))
        members = tuple(
            (info.filename.removeprefix(prefix), info.file_size)
            for info in archive.infolist()
            if info.filename.startswith(prefix) and not info.is_dir()
        )
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            str(path), "file", f"not a readable release zip: {exc}", "archive_file"
        ) from None
    return ArchivedRelease(
        version, path, hashlib.sha256(data).hexdigest(), len(data), members, tables
    )


def _cells(path: Path, member: str, data: bytes) -> Cells:
    """A published CSV's header and rows, as text; a ragged row names its line."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if not rows:
        raise InputError(f"{path}:{member}", "line 1", "no header row", "archive_csv")
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}:{member}",
                f"line {number}",
                f"{len(row)} cells, but the header has {len(header)}",
                "archive_csv",
            )
    return header, body


def current_cells(tables: dict[str, pd.DataFrame], granularity: str) -> dict[str, Cells]:
    """This build's value tables as the CSV cells it publishes."""
    from dma_publish.opendata import csv_rows

    registry = tables_for(granularity)
    return {
        name: (registry[name].columns, csv_rows(registry[name], frame))
        for name, frame in tables.items()
        if name in VALUE_TABLES
    }


# --- comparing two versions ----------------------------------------------------------------------


def _long(name: str, cells: Cells, granularity: str, where: str) -> pd.DataFrame:
    """One value table as one row per value: the unified key, names, column and CSV cell."""
    header, rows = cells
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    table = tables_for(granularity)[name]
    if name == "benchmarks":
        ids = {
            "unit_type": "peer_group_type",
            "unit_code": "peer_group_code",
            "unit_name": "peer_group_name",
            "measure_type": "measure_type",
            "measure_id": "measure_id",
            "measure_name": "measure_name",
        }
        needed = ["year", "care_setting", *ids.values()]
    else:
        measure_type, id_column, name_column = _ORG_MEASURES[name]
        ids = {"unit_code": "org_code", "unit_name": "org_name"}
        if id_column is not None:
            ids.update(measure_id=id_column, measure_name=name_column)
        needed = ["year", "care_setting", *ids.values()]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(where, "header", f"no column {missing[0]!r}", "archive_columns")
    out = pd.DataFrame({"year": frame["year"], "care_setting": frame["care_setting"]})
    for target, source in ids.items():
        out[target] = frame[source]
    if name != "benchmarks":
        out["unit_type"] = "organisation"
        if "measure_id" not in out:
            out["measure_id"], out["measure_name"] = "overall", "Overall score"
        out["measure_type"] = _ORG_MEASURES[name][0]
    values = [f.name for f in table.field_defs() if f.kind == "indicator" and f.name in header]
    out = pd.concat([out, frame[values]], axis=1)
    long = out.melt(
        id_vars=[c for c in out.columns if c not in values],
        value_vars=values,
        var_name="value_column",
        value_name="cell",
    )
    long.insert(0, "value_table", name)
    duplicated = long.duplicated(["value_table", *_VALUE_KEY], keep=False)
    if duplicated.any():
        key = long.loc[duplicated, _VALUE_KEY].iloc[0].tolist()
        raise InputError(where, "rows", f"the key {key} is there twice", "archive_key")
    return long


def compare(
    old: dict[str, Cells],
    new: dict[str, Cells],
    revision: Any,
    previous_version: str,
    granularity: str,
    where: str = "",
) -> pd.DataFrame:
    """The change records of `revision`'s version against previous_version (registry "changes")."""
    parts = []
    for name in VALUE_TABLES:
        if name not in old and name not in new:
            continue
        empty: Cells = (new.get(name) or old[name])[0], []
        before = _long(name, old.get(name, empty), granularity, f"{where} {name}.csv".strip())
        after = _long(name, new.get(name, empty), granularity, f"{name}.csv")
        parts.append(_changed(before, after))
    if not parts:
        return empty_changes()
    changes = pd.concat(parts, ignore_index=True)
    if changes.empty:
        return empty_changes()
    org = changes["unit_type"] == "organisation"
    changes["reason"] = [
        revision.reason_for(code) if is_org else revision.note
        for code, is_org in zip(changes["unit_code"], org, strict=True)
    ]
    changes["version"] = str(revision.version)
    changes["previous_version"] = previous_version
    changes["revision_date"] = revision.date.isoformat()
    changes["revision_kind"] = getattr(revision, "kind", "scheduled")
    columns = list(TABLES["changes"].fields)
    return changes[columns].astype("string").sort_values(CHANGE_KEY, ignore_index=True)


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The values that differ between two long frames of one table, classified."""
    keys = ["value_table", *_VALUE_KEY]
    both = before.merge(after, on=keys, how="outer", suffixes=("_old", "_new"))
    o, n = both["cell_old"], both["cell_new"]
    o_withheld, n_withheld = (o == CONFIDENTIAL).fillna(False), (n == CONFIDENTIAL).fillna(False)
    o_has = o.notna() & ~o.isin(_NO_VALUE) & ~o_withheld
    n_has = n.notna() & ~n.isin(_NO_VALUE) & ~n_withheld
    o_none, n_none = ~o_has & ~o_withheld, ~n_has & ~n_withheld
    o_num, n_num = pd.to_numeric(o, errors="coerce"), pd.to_numeric(n, errors="coerce")
    same = (o_num == n_num).fillna(False) | (o == n).fillna(False)
    kinds = pd.Series(pd.NA, index=both.index, dtype="string")
    kinds[o_has & n_has & ~same] = "changed"
    kinds[o_none & (n_has | n_withheld)] = "added"
    kinds[(o_has | o_withheld) & n_none] = "removed"
    kinds[o_has & n_withheld] = "now_withheld"
    kinds[o_withheld & n_has] = "no_longer_withheld"
    keep = kinds.notna()
    shown = ~(o_withheld | n_withheld)  # neither value beside a withheld one
    out = both.loc[keep, keys].copy()
    out["unit_name"] = both.loc[keep, "unit_name_new"].fillna(both.loc[keep, "unit_name_old"])
    out["measure_name"] = both.loc[keep, "measure_name_new"].fillna(
        both.loc[keep, "measure_name_old"]
    )
    out["change_type"] = kinds[keep]
    out["old_value"] = o.where(o_has & shown)[keep]
    out["new_value"] = n.where(n_has & shown)[keep]
    return out


# --- the build's releases stage ------------------------------------------------------------------


def history(
    release: Any,
    archive: dict[str, ArchivedRelease],
    current: dict[str, Cells],
    granularity: str,
) -> History:
    """Every version in the revision log and the changes between consecutive known versions.

    A version archived under this release's own number must hold the same values: a published
    version never changes (give a correction a new version and a revision entry)."""
    this = str(release.version)
    if this in archive:
        clash = compare(archive[this].tables, current, release.revisions[-1], this, granularity)
        if not clash.empty:
            first = clash.iloc[0]
            raise InputError(
                str(archive[this].path),
                f"{first['value_table']}.csv: {first['unit_code']} {first['year']} "
                f"{first['measure_id']} {first['value_column']}",
                f"version {this} was published with different values ({len(clash):,} differ): "
                "a published version never changes; give this release a new version and add "
                "it to the revision log",
                "archive_differs",
            )
    versions = tuple(
        Version(r, archive.get(r.version), r.version == this) for r in release.revisions
    )
    parts = []
    known = [(v, current if v.is_current else v.archived.tables) for v in versions if v.has_values]
    compared = set()
    for (before, old), (after, new) in zip(known, known[1:], strict=False):
        compared.add(after.version)
        where = str(before.archived.path) if before.archived is not None else ""
        parts.append(compare(old, new, after.revision, before.version, granularity, where))
    changes = pd.concat(parts, ignore_index=True) if parts else empty_changes()
    org_code = changes["unit_code"].where(changes["unit_type"] == "organisation")
    changed_orgs = set(zip(changes["version"], org_code, strict=True))
    unused = tuple(
        (r.version, code)
        for r in release.revisions
        for code, _ in getattr(r, "reasons", ())
        if r.version in compared and (r.version, code) not in changed_orgs
    )
    return History(this, versions, changes.reset_index(drop=True), unused)


def write_archive(zip_path: Path, folder: Path) -> tuple[Path, bool]:
    """Keep a published zip in the archive: (its path there, whether it was added). A zip of the
    same version already there is kept as it is (the build has checked its values agree)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / zip_path.name
    if target.exists():
        return target, False
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(zip_path.read_bytes())
    tmp.replace(target)
    return target, True
