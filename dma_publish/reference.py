"""Organisation reference: load and check the trusts, ICBs and regions that returns may name.

Files in the reference directory (see CONTRACTS.md):

- ``organisations.csv``: ``org_code``, ``org_name``, ``org_type`` (``trust`` or ``icb``),
  ``care_settings`` (``;``-joined; ``icb`` for an ICB), ``icb_code`` (an ICB's own code for an
  ICB), ``region_code``, ``ons_code`` (ICBs only), ``predecessor_codes`` (``;``-joined).
- ``regions.csv``: ``region_code``, ``region_name``, ``ons_code``.
- ``reference.yaml``: ``is_demo`` (bool) and ``description``.

Organisation codes have the ODS shape ``^[A-Z0-9]{3,5}$``; they are stripped and upper-cased on
load. The demonstration reference (``dma_publish.demo``) draws codes from ranges no real
organisation uses: ICBs ``QZ`` + 2 or 3 letters/digits (real ICB codes are ``Q`` + 2), trusts
``Z`` + 2 letters/digits (3 when more than 1,296 codes are needed), and ICB ONS codes
``E549`` + 5 digits (real ICB ONS codes are ``E54000xxx``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dma_publish.errors import InputError
from dma_publish.hexmap import reference_layout
from dma_publish.vocab import excerpt, is_reserved_file_name, text_fault
from dma_publish.yamlfile import read_yaml

ORGANISATION_COLUMNS = (
    "org_code",
    "org_name",
    "org_type",
    "care_settings",
    "icb_code",
    "region_code",
    "ons_code",
    "predecessor_codes",
)
REGION_COLUMNS = ("region_code", "region_name", "ons_code")
ORG_TYPES = ("trust", "icb")
TRUST_CARE_SETTINGS = ("acute", "mental_health", "community", "ambulance")
ICB_CARE_SETTING = "icb"
CODE_PATTERN = re.compile(r"^[A-Z0-9]{3,5}$")
ONS_CODE_PATTERN = re.compile(r"^E\d{8}$")

ORGANISATIONS_FILE = "organisations.csv"
REGIONS_FILE = "regions.csv"
METADATA_FILE = "reference.yaml"


@dataclass(frozen=True)
class Reference:
    """The organisations and regions a publication covers, and whether they are demonstration data."""

    organisations: pd.DataFrame
    regions: pd.DataFrame
    is_demo: bool
    description: str = ""
    hexmap: pd.DataFrame | None = None  # org_code, q, r: the ICBs' hex map (dma_publish.hexmap)


@dataclass(frozen=True)
class _Row:
    """One CSV data row with its 1-based line number, for error messages."""

    line: int
    values: dict[str, str]


def load_reference(directory: str | Path) -> Reference:
    """Read and check the reference directory, so later stages can trust every code in it."""
    directory = Path(directory)
    regions = _load_regions(directory / REGIONS_FILE)
    organisations = _load_organisations(directory / ORGANISATIONS_FILE, regions)
    is_demo, description = _load_metadata(directory / METADATA_FILE)
    return Reference(
        organisations, regions, is_demo, description, reference_layout(directory, organisations)
    )


def normalise_code(value: str) -> str:
    """Strip and upper-case an organisation or region code, the one form every stage compares."""
    return value.strip().upper()


def split_list(value: str) -> tuple[str, ...]:
    """Split a ``;``-joined cell into its stripped, non-empty parts."""
    return tuple(part.strip() for part in value.split(";") if part.strip())


# --- regions ---------------------------------------------------------------------------------


def _load_regions(path: Path) -> pd.DataFrame:
    """Read regions.csv: unique well-formed region codes and ONS codes."""
    records = []
    seen: set[str] = set()
    for row in _read_rows(path, REGION_COLUMNS):
        code = _code(path, row, "region_code", seen)
        name = _name(path, row, "region_name")
        ons = _ons_code(path, row, required=True)
        records.append({"region_code": code, "region_name": name, "ons_code": ons})
    frame = pd.DataFrame.from_records(records, columns=list(REGION_COLUMNS))
    return frame.sort_values("region_code", ignore_index=True)


# --- organisations ---------------------------------------------------------------------------


def _load_organisations(path: Path, regions: pd.DataFrame) -> pd.DataFrame:
    """Read organisations.csv, checking every row and then every trust's parent ICB."""
    region_codes = set(regions["region_code"])
    seen_codes: set[str] = set()
    seen_names: dict[str, int] = {}
    records = []
    lines: dict[str, int] = {}
    for row in _read_rows(path, ORGANISATION_COLUMNS):
        record = _organisation(path, row, region_codes, seen_codes)
        _check_unique_name(path, row, record["org_name"], seen_names)
        lines[record["org_code"]] = row.line
        records.append(record)
    _check_parents(path, records, lines)
    frame = pd.DataFrame.from_records(records, columns=list(ORGANISATION_COLUMNS))
    return frame.sort_values("org_code", ignore_index=True)


def _organisation(path: Path, row: _Row, region_codes: set[str], seen: set[str]) -> dict:
    """Check one organisation row and return it normalised (tuples for list cells)."""
    code = _code(path, row, "org_code", seen)
    name = _name(path, row, "org_name")
    org_type = _required(path, row, "org_type").lower()
    if org_type not in ORG_TYPES:
        raise _error(
            path,
            row,
            "org_type",
            f"unknown organisation type {excerpt(org_type)}; expected trust or icb",
            "unknown_org_type",
        )
    care_settings = _care_settings(path, row, org_type)
    icb_code = _code(path, row, "icb_code")
    if org_type == "icb" and icb_code != code:
        raise _error(
            path,
            row,
            "icb_code",
            f"an ICB's icb_code must be its own code {code}",
            "icb_code_mismatch",
        )
    region_code = _code(path, row, "region_code")
    if region_code not in region_codes:
        raise _error(
            path,
            row,
            "region_code",
            f"unknown region {excerpt(region_code)}: not in {REGIONS_FILE}",
            "unknown_region",
        )
    ons = _ons_code(path, row, required=org_type == "icb")
    if org_type == "trust" and ons is not None:
        raise _error(path, row, "ons_code", "only ICBs carry an ONS code", "unexpected_value")
    return {
        "org_code": code,
        "org_name": name,
        "org_type": org_type,
        "care_settings": care_settings,
        "icb_code": icb_code,
        "region_code": region_code,
        "ons_code": ons,
        "predecessor_codes": _predecessors(path, row, code),
    }


def _care_settings(path: Path, row: _Row, org_type: str) -> tuple[str, ...]:
    """Parse the care settings: known trust settings, no repeats; exactly ``icb`` for an ICB."""
    settings = tuple(s.lower() for s in split_list(_required(path, row, "care_settings")))
    if org_type == "icb":
        if settings != (ICB_CARE_SETTING,):
            raise _error(
                path,
                row,
                "care_settings",
                "an ICB's care_settings must be 'icb'",
                "unknown_care_setting",
            )
        return settings
    if not settings:
        raise _error(
            path, row, "care_settings", "a trust needs at least one care setting", "missing_value"
        )
    for setting in settings:
        if setting not in TRUST_CARE_SETTINGS:
            allowed = ", ".join(TRUST_CARE_SETTINGS)
            raise _error(
                path,
                row,
                "care_settings",
                f"unknown care setting {excerpt(setting)}; expected one of {allowed}",
                "unknown_care_setting",
            )
    if len(set(settings)) != len(settings):
        raise _error(
            path, row, "care_settings", "a care setting is listed twice", "duplicate_care_setting"
        )
    return tuple(sorted(settings, key=TRUST_CARE_SETTINGS.index))


def _predecessors(path: Path, row: _Row, code: str) -> tuple[str, ...]:
    """Parse predecessor codes: well-formed and never the organisation's own code."""
    codes = tuple(normalise_code(c) for c in split_list(row.values["predecessor_codes"]))
    for predecessor in codes:
        if not CODE_PATTERN.match(predecessor):
            raise _error(
                path,
                row,
                "predecessor_codes",
                f"malformed code {excerpt(predecessor)}; expected 3-5 letters or digits",
                "malformed_code",
            )
        if predecessor == code:
            raise _error(
                path,
                row,
                "predecessor_codes",
                "an organisation cannot be its own predecessor",
                "invalid_predecessor",
            )
    return codes


def _check_unique_name(path: Path, row: _Row, name: str, seen: dict[str, int]) -> None:
    """Refuse two organisations with the same name: people find organisations by name."""
    key = name.casefold()
    if key in seen:
        raise _error(
            path,
            row,
            "org_name",
            f"duplicate name {excerpt(name)} (first on line {seen[key]})",
            "duplicate_name",
        )
    seen[key] = row.line


def _check_parents(path: Path, records: list[dict], lines: dict[str, int]) -> None:
    """Every trust's ICB must be an ICB in the file, in the same region; no code may be reused as a predecessor."""
    icb_regions = {r["org_code"]: r["region_code"] for r in records if r["org_type"] == "icb"}
    for record in records:
        location = f"line {lines[record['org_code']]}"
        icb = record["icb_code"]
        if icb not in icb_regions:
            raise InputError(
                str(path),
                f"{location}, column icb_code",
                f"ICB {excerpt(icb)} of {record['org_code']} is not an ICB in this file",
                "unknown_icb",
            )
        if icb_regions[icb] != record["region_code"]:
            message = f"region {record['region_code']} differs from its ICB {icb}'s region {icb_regions[icb]}"
            raise InputError(
                str(path), f"{location}, column region_code", message, "region_mismatch"
            )
        reused = [c for c in record["predecessor_codes"] if c in lines]
        if reused:
            message = f"predecessor {reused[0]} is a current organisation"
            raise InputError(
                str(path), f"{location}, column predecessor_codes", message, "invalid_predecessor"
            )


# --- metadata --------------------------------------------------------------------------------


def _load_metadata(path: Path) -> tuple[bool, str]:
    """Read reference.yaml: whether the organisations are demonstration data, and a description."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            str(path),
            "document",
            "expected a mapping with is_demo and description",
            "invalid_metadata",
        )
    is_demo = data.get("is_demo")
    if not isinstance(is_demo, bool):
        raise InputError(str(path), "is_demo", "is_demo must be true or false", "invalid_metadata")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError(str(path), "description", "description must be text", "invalid_metadata")
    return is_demo, description.strip()


# --- CSV reading and cell checks -------------------------------------------------------------


def _read_text(path: Path) -> str:
    """Read a file as UTF-8 (a byte-order mark is allowed), naming the line of any bad byte."""
    if not path.is_file():
        raise InputError(str(path), "file", "file not found", "file_missing")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            str(path), f"line {line}", f"not UTF-8 (byte {raw[exc.start]:#04x})", "not_utf8"
        ) from exc


def _read_rows(path: Path, columns: tuple[str, ...]) -> Iterator[_Row]:
    """Yield the data rows of a CSV whose header has exactly the expected columns."""
    text = _read_text(path)
    if not text.strip():
        raise InputError(str(path), "line 1", "file is empty; expected a header row", "empty_file")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    _check_header(path, header, columns)
    data_rows = 0
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            message = f"{len(values)} fields; the header has {len(header)}"
            raise InputError(str(path), f"line {line}", message, "wrong_field_count")
        data_rows += 1
        yield _Row(line, dict(zip(header, values, strict=True)))
    if data_rows == 0:
        raise InputError(str(path), "line 2", "no data rows after the header", "empty_file")


def _check_header(path: Path, header: list[str], columns: tuple[str, ...]) -> None:
    """Name the first missing, unknown or repeated column."""
    for name in header:
        if name not in columns:
            raise InputError(
                str(path),
                f"line 1, column {name}",
                f"unknown column {excerpt(name)}; expected {', '.join(columns)}",
                "unknown_column",
            )
        if header.count(name) > 1:
            raise InputError(
                str(path),
                f"line 1, column {name}",
                f"column {excerpt(name)} appears twice",
                "duplicate_column",
            )
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            str(path),
            f"line 1, column {missing[0]}",
            f"missing column {excerpt(missing[0])}",
            "missing_column",
        )


def _error(path: Path, row: _Row, column: str, message: str, rule: str) -> InputError:
    """Build an InputError located at a row's line and column."""
    return InputError(str(path), f"line {row.line}, column {column}", message, rule)


def _required(path: Path, row: _Row, column: str) -> str:
    """Return a stripped cell that must not be empty."""
    value = row.values[column].strip()
    if not value:
        raise _error(path, row, column, f"{column} is empty", "missing_value")
    return value


def _name(path: Path, row: _Row, column: str) -> str:
    """Return a required name, refusing one that a spreadsheet would run as a formula."""
    value = _required(path, row, column)
    fault = text_fault(value)
    if fault:
        raise _error(path, row, column, f"{column} {fault[1]}", fault[0])
    return value


def _code(path: Path, row: _Row, column: str, seen: set[str] | None = None) -> str:
    """Return a normalised, well-formed code; when ``seen`` is given, refuse repeats."""
    code = normalise_code(_required(path, row, column))
    if not CODE_PATTERN.match(code):
        raise _error(
            path,
            row,
            column,
            f"malformed code {excerpt(code)}; expected 3-5 letters or digits",
            "malformed_code",
        )
    if is_reserved_file_name(code):
        raise _error(
            path,
            row,
            column,
            f"code {code!r} is a name Windows reserves for a device; no page or file can have it",
            "reserved_code",
        )
    if seen is not None:
        if code in seen:
            raise _error(path, row, column, f"duplicate code {code!r}", "duplicate_code")
        seen.add(code)
    return code


def _ons_code(path: Path, row: _Row, *, required: bool) -> str | None:
    """Return a well-formed ONS code, or None when the cell is empty and not required."""
    value = normalise_code(row.values["ons_code"])
    if not value:
        if required:
            raise _error(path, row, "ons_code", "ons_code is empty", "missing_value")
        return None
    if not ONS_CODE_PATTERN.match(value):
        raise _error(
            path,
            row,
            "ons_code",
            f"malformed ONS code {value!r}; expected E and 8 digits",
            "malformed_code",
        )
    return value
