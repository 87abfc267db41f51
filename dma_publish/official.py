"""Import NHS England's published DMA results workbook into a data folder the build reads.

The workbook ("Digital Maturity Assessment Results Data File", NHS England, 30 March 2026) has
no organisation codes: every Provider, ICS and Region name is mapped to its ODS / ONS code through
the committed reference (`data/official/organisations/`). Nothing is guessed: any fault stops the
import with an `InputError` naming the sheet, the Excel cell or row, the value and what was
expected. Surprising but legitimate facts are kept as published and reported as findings.

`import_workbook(path, reference_dir) -> Imported` is pure (reads only its two inputs);
`write_import(imported, out_dir, release_file)` writes the data folder:

    release.yaml                     copied from the official release metadata
    reference/organisations.csv      project reference (org_code, org_name, ..., ons_code)
    reference/regions.csv, reference.yaml
    reference/icb-hexmap.hexjson     the ICBs' hex map layout (reference_dir/hexmap/), as it is
    published/pillar_scores.csv      year, org_code, care_setting, pillar_id, score (as published)
    published/overall_scores.csv     year, org_code, care_setting, score: NHS England's overall
                                     score over comparable domains (2024 and 2025)
    published/pillars.csv            pillar_id, pillar_name, pillar_order (the workbook's headers)
    published/findings.csv           one row per finding (severity, sheet, cell, value, rule, message)
    published/provenance.json        workbook sha256, bytes, sheets, row counts, reconciliation
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.errors import InputError
from dma_publish.hexmap import LAYOUT_FILE

YEAR = 2025
# the ICBs' hex map layout in the reference folder (MIT licence and source note beside it)
HEXMAP_SOURCE = "hexmap/nhs-icb-2022.hexjson"
PREVIOUS_YEAR = 2024
PILLAR_HEADERS: tuple[tuple[str, str], ...] = (
    ("Well Led", "well_led"),
    ("Ensure Smart Foundations", "ensure_smart_foundations"),
    ("Safe Practice", "safe_practice"),
    ("Support Workforce", "support_workforce"),
    ("Empower People", "empower_people"),
    ("Improve Care", "improve_care"),
    ("Healthy Populations", "healthy_populations"),
)
PC_HEADERS: tuple[str, ...] = (
    "Well Led",
    "Ensuring Smart Foundations",
    "Support People",
    "Empower People",
    "Improve care",
)
CARE_SETTINGS = {
    "acute": "acute",
    "community": "community",
    "mental health": "mental_health",
    "ambulance": "ambulance",
}
OVERALL_HEADERS = ("2025 Average", "2024 Average")
SC_KEYS = ("Region", "ICS", "Provider", "Care Setting")
ICB_KEYS = ("Region", "ICS")


@dataclass(frozen=True)
class SheetSpec:
    """One data sheet: its name (spaces normalised), key columns and score columns."""

    key: str
    name: str
    keys: tuple[str, ...]
    scores: tuple[str, ...]
    published: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.scores


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "sc_pillars", "SC - 2025 Pillar Summary", SC_KEYS, tuple(h for h, _ in PILLAR_HEADERS)
    ),
    SheetSpec("sc_overall", "SC - 24 vs 25 Overall DMA", SC_KEYS, OVERALL_HEADERS),
    SheetSpec(
        "icb_pillars", "ICB - 2025 Pillar Summary", ICB_KEYS, tuple(h for h, _ in PILLAR_HEADERS)
    ),
    SheetSpec("icb_overall", "ICB -24 vs 25 Overall DMA", ICB_KEYS, OVERALL_HEADERS),
    SheetSpec(
        "icb_primary_care", "2025 Pillar Summary (ICB PC)", ICB_KEYS, PC_HEADERS, published=False
    ),
)
INTRO_SHEET = "Introduction"
HEADER_SEARCH_ROWS = 40
FINDING_COLUMNS = [
    "severity",
    "sheet",
    "cell",
    "value",
    "rule",
    "message",
    "org_code",
    "care_setting",
]
PRIMARY_CARE_REASON = (
    "The hidden sheet '2025 Pillar Summary (ICB PC)' holds ICBs' answers to a separate primary-care "
    "survey: five pillars under other names (Well Led, Ensuring Smart Foundations, Support People, "
    "Empower People, Improve care), whole-number scores, and no comparison year. NHS England hid it "
    "in the workbook and its introduction and contents do not list it, so it is not part of the "
    "publication. It is read and checked (every ICS name maps to an ICB) but deliberately not "
    "published here."
)


@dataclass
class Imported:
    """What the import produced: tidy tables, the project reference, findings and provenance."""

    pillar_scores: pd.DataFrame
    overall_scores: pd.DataFrame
    pillars: pd.DataFrame
    organisations: pd.DataFrame
    regions: pd.DataFrame
    findings: pd.DataFrame
    provenance: dict[str, Any]
    reconciliation: dict[str, int] = field(default_factory=dict)
    hexmap: str | None = None  # the ICBs' hex map layout (HexJSON text), copied as it is


# ---------------------------------------------------------------------------------------------
# Names and cells


def normalise_name(value: Any) -> str:
    """Upper case, single spaces: the form names are compared in."""
    return " ".join(str(value).split()).upper()


def normalise_label(value: Any) -> str:
    """Spaces collapsed and stripped: the form sheet names and headers are compared in."""
    return " ".join(str(value).split()) if value is not None else ""


def cell_ref(row: int, col: int) -> str:
    """Excel reference of a 1-based row and column, e.g. (12, 4) -> 'D12'."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


class _Context:
    """Raises InputErrors naming the workbook, sheet and cell."""

    def __init__(self, path: Path):
        self.path = str(path)

    def fail(self, sheet: str, where: str, message: str, rule: str) -> InputError:
        return InputError(self.path, f"sheet {sheet!r}, {where}", message, rule)


def _closest(value: str, names: list[str]) -> str:
    close = difflib.get_close_matches(normalise_name(value), names, n=3, cutoff=0.6)
    return (
        "; closest reference names: " + ", ".join(repr(c) for c in close)
        if close
        else ("; no reference name is close")
    )


# ---------------------------------------------------------------------------------------------
# Reference


@dataclass(frozen=True)
class _Reference:
    organisations: pd.DataFrame  # the committed nhs-organisations table
    regions: pd.DataFrame
    trusts: dict[str, dict]  # normalised dma_name -> row
    icbs: dict[str, dict]
    regions_by_name: dict[str, dict]
    not_in_file: pd.DataFrame


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(str(path), "file", "reference file not found", "missing_file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            str(path), "line 1", f"missing columns: {', '.join(missing)}", "missing_column"
        )
    return frame


def load_official_reference(directory: Path) -> _Reference:
    """The committed ODS/ONS reference for the names in the workbook."""
    directory = Path(directory)
    orgs = _read_csv(
        directory / "organisations.csv",
        ["org_code", "org_name", "org_type", "icb_code", "icb_ons_code", "region_code",
         "region_ons_code", "dma_name", "care_settings"],
    )  # fmt: skip
    regions = _read_csv(
        directory / "regions.csv", ["region_code", "region_name", "region_ons_code", "dma_name"]
    )
    absent_path = directory / "not-in-file.csv"
    absent = (
        _read_csv(absent_path, ["org_code", "org_name", "reason"])
        if absent_path.is_file()
        else pd.DataFrame(columns=["org_code", "org_name", "reason"])
    )

    def by_name(frame: pd.DataFrame) -> dict[str, dict]:
        return {normalise_name(r["dma_name"]): r for r in frame.to_dict("records")}

    return _Reference(
        organisations=orgs,
        regions=regions,
        trusts=by_name(orgs[orgs["org_type"] == "trust"]),
        icbs=by_name(orgs[orgs["org_type"] == "icb"]),
        regions_by_name=by_name(regions),
        not_in_file=absent,
    )


# ---------------------------------------------------------------------------------------------
# Workbook reading


def _open_workbook(path: Path, ctx: _Context) -> Any:
    import openpyxl

    if not path.is_file():
        raise InputError(str(path), "file", "file not found", "missing_file")
    if not zipfile.is_zipfile(path):
        raise InputError(
            str(path),
            "file",
            "not an Excel .xlsx workbook (expected a zip-based Office Open XML file)",
            "not_xlsx",
        )
    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(
            str(path),
            "file",
            f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
            "not_xlsx",
        ) from exc


@dataclass
class _Sheet:
    spec: SheetSpec
    title: str  # exact name in the workbook
    state: str
    header_row: int
    columns: dict[str, int]  # header -> 1-based column
    rows: list[tuple[int, tuple]]  # (Excel row, values) of data rows
    notes: list[tuple[int, str]]  # non-data text rows after the header (notes, footers)
    dropped: int  # title, blank, note and footer rows


def _find_sheet(wb: Any, spec: SheetSpec, ctx: _Context) -> Any:
    for ws in wb.worksheets:
        if normalise_label(ws.title) == spec.name:
            return ws
    names = [ws.title for ws in wb.worksheets]
    close = difflib.get_close_matches(
        spec.name, [normalise_label(n) for n in names], n=1, cutoff=0.6
    )
    hint = f"; closest: {close[0]!r} (renamed?)" if close else ""
    raise InputError(
        ctx.path,
        "workbook",
        f"sheet {spec.name!r} is missing; sheets present: {', '.join(repr(n) for n in names)}{hint}",
        "missing_sheet",
    )


def _find_header(ws: Any, spec: SheetSpec, ctx: _Context, grid: list[tuple]) -> int:
    """The header row: the first row whose cells include every key column's label."""
    wanted = {k.lower() for k in spec.keys}
    for i, values in enumerate(grid[:HEADER_SEARCH_ROWS], start=1):
        labels = {normalise_label(v).lower() for v in values if isinstance(v, str)}
        if wanted <= labels:
            return i
    raise ctx.fail(
        ws.title,
        f"rows 1-{min(len(grid), HEADER_SEARCH_ROWS)}",
        f"no header row found: expected a row with the columns {', '.join(spec.keys)}",
        "missing_header",
    )


def _header_columns(
    ws: Any, spec: SheetSpec, ctx: _Context, row: int, values: tuple
) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, value in enumerate(values, start=1):
        label = normalise_label(value)
        if not label:
            continue
        match = next((c for c in spec.columns if c.lower() == label.lower()), None)
        if match is None:
            close = difflib.get_close_matches(label, list(spec.columns), n=1, cutoff=0.6)
            hint = f" (renamed from {close[0]!r}?)" if close else ""
            raise ctx.fail(
                ws.title, f"cell {cell_ref(row, col)}",
                f"unexpected column {label!r}{hint}; expected the columns {', '.join(spec.columns)}",
                "unknown_column",
            )  # fmt: skip
        if match in found:
            raise ctx.fail(
                ws.title,
                f"cell {cell_ref(row, col)}",
                f"column {match!r} appears twice",
                "duplicate_column",
            )
        found[match] = col
    missing = [c for c in spec.columns if c not in found]
    if missing:
        raise ctx.fail(
            ws.title, f"row {row}",
            f"column {missing[0]!r} is missing from the header row; expected {', '.join(spec.columns)}",
            "missing_column",
        )  # fmt: skip
    return found


def _read_sheet(wb: Any, spec: SheetSpec, ctx: _Context) -> _Sheet:
    ws = _find_sheet(wb, spec, ctx)
    grid = [tuple(r) for r in ws.iter_rows(values_only=True)]
    header = _find_header(ws, spec, ctx, grid)
    columns = _header_columns(ws, spec, ctx, header, grid[header - 1])
    key_cols = [columns[k] for k in spec.keys]
    rows, notes = [], []
    for excel_row, values in enumerate(grid[header:], start=header + 1):
        cells = [(c, v) for c, v in enumerate(values, start=1) if v is not None and str(v).strip()]
        if not cells:
            continue
        if all(_has(values, c) for c in key_cols):
            if notes:
                first = notes[0][0]
                raise ctx.fail(
                    ws.title, f"row {excel_row}",
                    f"data row after the notes or footer that start on row {first}; expected the data "
                    "in one block under the header",
                    "data_after_footer",
                )  # fmt: skip
            rows.append((excel_row, values))
        elif len(cells) == 1 and isinstance(cells[0][1], str) and cells[0][0] == key_cols[0]:
            notes.append((excel_row, normalise_label(cells[0][1])))
        else:
            col = next(c for c in key_cols if not _has(values, c))
            raise ctx.fail(
                ws.title, f"cell {cell_ref(excel_row, col)}",
                f"empty {_label_of(columns, col)!r} in a data row; expected {', '.join(spec.keys)} "
                "on every data row",
                "missing_value",
            )  # fmt: skip
    if not rows:
        raise ctx.fail(
            ws.title, f"rows {header + 1}-", "no data rows under the header", "empty_sheet"
        )
    return _Sheet(
        spec=spec,
        title=ws.title,
        state=ws.sheet_state,
        header_row=header,
        columns=columns,
        rows=rows,
        notes=notes,
        dropped=len(grid) - len(rows),
    )


def _has(values: tuple, col: int) -> bool:
    return col <= len(values) and values[col - 1] is not None and str(values[col - 1]).strip() != ""


def _label_of(columns: dict[str, int], col: int) -> str:
    return next(k for k, v in columns.items() if v == col)


# ---------------------------------------------------------------------------------------------
# Checking rows


class _Checker:
    """Maps names to codes and checks scores, collecting findings."""

    def __init__(self, ctx: _Context, ref: _Reference):
        self.ctx = ctx
        self.ref = ref
        self.findings: list[dict] = []

    def finding(self, severity: str, sheet: str, cell: str, value: Any, rule: str, message: str,
                org_code: str = "", care_setting: str = "") -> None:  # fmt: skip
        self.findings.append(
            {"severity": severity, "sheet": sheet, "cell": cell, "value": "" if value is None else str(value),
             "rule": rule, "message": message, "org_code": org_code, "care_setting": care_setting}
        )  # fmt: skip

    def lookup(
        self, sheet: _Sheet, row: int, column: str, value: Any, table: dict[str, dict], kind: str
    ) -> dict:
        key = normalise_name(value)
        if key in table:
            return table[key]
        where = f"cell {cell_ref(row, sheet.columns[column])}"
        raise self.ctx.fail(
            sheet.title, where,
            f"{column} {str(value)!r} is not a {kind} name in the reference{_closest(str(value), sorted(table))}",
            "unknown_name",
        )  # fmt: skip

    def score(self, sheet: _Sheet, row: int, column: str, value: Any) -> float:
        where = f"cell {cell_ref(row, sheet.columns[column])}"
        if value is None or (isinstance(value, str) and not value.strip()):
            raise self.ctx.fail(
                sheet.title,
                where,
                f"{column} score is empty; expected a number from 1 to 5",
                "missing_score",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.ctx.fail(
                sheet.title,
                where,
                f"{column} score {value!r} is text; expected a number from 1 to 5",
                "score_not_number",
            )
        if not 1 <= float(value) <= 5:
            raise self.ctx.fail(
                sheet.title,
                where,
                f"{column} score {value!r} is outside 1 to 5",
                "score_out_of_range",
            )
        return float(value)

    def care_setting(self, sheet: _Sheet, row: int, value: Any) -> str:
        key = normalise_label(value).lower()
        if key in CARE_SETTINGS:
            return CARE_SETTINGS[key]
        raise self.ctx.fail(
            sheet.title, f"cell {cell_ref(row, sheet.columns['Care Setting'])}",
            f"care setting {value!r} is not one of Acute, Community, Mental Health, Ambulance",
            "unknown_care_setting",
        )  # fmt: skip


@dataclass
class _Row:
    excel_row: int
    org_code: str
    care_setting: str
    icb_code: str  # the ICS column's ICB
    region_code: str
    scores: dict[str, float]
    provider_name: str


def _check_rows(sheet: _Sheet, chk: _Checker) -> list[_Row]:
    out: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for excel_row, values in sheet.rows:

        def val(col: str, values: tuple = values) -> Any:
            return values[sheet.columns[col] - 1]

        region = chk.lookup(
            sheet, excel_row, "Region", val("Region"), chk.ref.regions_by_name, "NHS England region"
        )
        icb = chk.lookup(sheet, excel_row, "ICS", val("ICS"), chk.ref.icbs, "ICB")
        if icb["region_code"] != region["region_code"]:
            raise chk.ctx.fail(
                sheet.title, f"cell {cell_ref(excel_row, sheet.columns['Region'])}",
                f"region {val('Region')!r} is not the region of ICS {val('ICS')!r} "
                f"(reference: {icb['region_code']})",
                "region_mismatch",
            )  # fmt: skip
        if "Provider" in sheet.columns:
            org = chk.lookup(sheet, excel_row, "Provider", val("Provider"), chk.ref.trusts, "trust")
            setting = chk.care_setting(sheet, excel_row, val("Care Setting"))
            name = str(val("Provider"))
        else:
            org, setting, name = icb, "icb", str(val("ICS"))
        key = (org["org_code"], setting)
        if key in seen:
            raise chk.ctx.fail(
                sheet.title, f"row {excel_row}",
                f"duplicate row for {name!r} ({org['org_code']}), care setting {setting}: "
                f"already on row {seen[key]}; expected one row per organisation and care setting",
                "duplicate_row",
            )  # fmt: skip
        seen[key] = excel_row
        scores = {}
        for c in sheet.spec.scores:
            if not sheet.spec.published and not _has(values, sheet.columns[c]):
                chk.finding(
                    "warning", sheet.title, cell_ref(excel_row, sheet.columns[c]), "", "empty_score",
                    f"{c} score of {name!r} is empty (sheet not published)", org["org_code"], setting,
                )  # fmt: skip
                continue
            scores[c] = chk.score(sheet, excel_row, c, val(c))
        out.append(
            _Row(
                excel_row,
                org["org_code"],
                setting,
                icb["org_code"],
                region["region_code"],
                scores,
                name,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Findings on legitimate surprises


def _sheet_name_findings(sheets: list[_Sheet], intro_title: str | None, chk: _Checker) -> None:
    for title in [s.title for s in sheets] + ([intro_title] if intro_title else []):
        if title != title.strip() or "  " in title:
            chk.finding(
                "info", title, "sheet name", title, "sheet_name_spaces",
                f"sheet name {title!r} has stray spaces; matched with spaces ignored",
            )  # fmt: skip
    for s in sheets:
        if s.state != "visible":
            chk.finding(
                "info", s.title, "sheet", s.state, "hidden_sheet",
                f"sheet {s.title!r} is {s.state} in the workbook ({len(s.rows)} data rows)",
            )  # fmt: skip


def _ics_findings(sheet: _Sheet, rows: list[_Row], chk: _Checker) -> None:
    """Trusts whose ODS ICB differs from the workbook's ICS column (kept as published)."""
    trusts = chk.ref.organisations.set_index("org_code")
    names = chk.ref.organisations.set_index("org_code")["org_name"]
    done: set[str] = set()
    for r in rows:
        ods_icb = trusts.at[r.org_code, "icb_code"]
        if ods_icb != r.icb_code and r.org_code not in done:
            done.add(r.org_code)
            chk.finding(
                "warning", sheet.title, cell_ref(r.excel_row, sheet.columns["ICS"]), r.icb_code,
                "ics_differs_from_ods",
                f"{names[r.org_code]} ({r.org_code}): the workbook places it in {names[r.icb_code]} "
                f"({r.icb_code}); ODS (July 2025) records {names[ods_icb]} ({ods_icb}). "
                "Published as in the workbook.",
                r.org_code, r.care_setting,
            )  # fmt: skip


def _identical_setting_findings(sheet: _Sheet, rows: list[_Row], chk: _Checker) -> None:
    by_org: dict[str, list[_Row]] = {}
    for r in rows:
        by_org.setdefault(r.org_code, []).append(r)
    names = chk.ref.organisations.set_index("org_code")["org_name"]
    for code, group in sorted(by_org.items()):
        if len(group) > 1 and all(g.scores == group[0].scores for g in group[1:]):
            settings = ", ".join(g.care_setting.replace("_", " ") for g in group)
            excel_rows = ", ".join(str(g.excel_row) for g in group)
            chk.finding(
                "info", sheet.title, f"rows {excel_rows}", "", "identical_setting_scores",
                f"{names[code]} ({code}) has identical pillar scores in each of its care settings "
                f"({settings}). Published as in the workbook.",
                code,
            )  # fmt: skip


def _case_findings(sheet: _Sheet, rows: list[_Row], chk: _Checker) -> None:
    for r in rows:
        if r.provider_name != r.provider_name.upper():
            chk.finding(
                "info", sheet.title, cell_ref(r.excel_row, sheet.columns["Provider"]), r.provider_name,
                "name_not_upper_case",
                "the only provider name not in upper case; matched ignoring case",
                r.org_code, r.care_setting,
            )  # fmt: skip


def _stated_count_findings(intro: list[str], n_trusts: int, chk: _Checker, title: str) -> None:
    stated = sorted({int(m) for text in intro for m in re.findall(r"(\d+) NHS Trusts", text, re.I)})
    for count in stated:
        if count != n_trusts:
            absent = "; ".join(
                f"{a['org_name']} ({a['org_code']}): {a['reason']}"
                for a in chk.ref.not_in_file.to_dict("records")
            )
            chk.finding(
                "warning", title, "introduction", str(count), "trust_count_differs",
                f"the introduction says {count} NHS trusts; the data sheets name {n_trusts}."
                + (f" Not in the data sheets: {absent}" if absent else ""),
            )  # fmt: skip


def _same_keys(a: tuple[_Sheet, list[_Row]], b: tuple[_Sheet, list[_Row]], chk: _Checker) -> None:
    keys_a = {(r.org_code, r.care_setting): r for r in a[1]}
    keys_b = {(r.org_code, r.care_setting): r for r in b[1]}
    for sheet, mine, other in ((a[0], keys_a, keys_b), (b[0], keys_b, keys_a)):
        missing = sorted(set(mine) - set(other))
        if missing:
            r = mine[missing[0]]
            other_title = b[0].title if sheet is a[0] else a[0].title
            raise chk.ctx.fail(
                sheet.title, f"row {r.excel_row}",
                f"{r.provider_name!r} ({r.org_code}, {r.care_setting}) has no row in sheet "
                f"{other_title!r}; expected the same organisations and care settings in both",
                "rows_differ_between_sheets",
            )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The import


def _intro(wb: Any) -> tuple[str | None, list[str], dict[str, str]]:
    """The introduction sheet's title, its text cells and labelled values (e.g. Publication date)."""
    ws = next((w for w in wb.worksheets if normalise_label(w.title) == INTRO_SHEET), None)
    if ws is None:
        return None, [], {}
    texts, labels = [], {}
    for row in ws.iter_rows():
        for c in row:
            if c.hyperlink is not None and c.hyperlink.target:
                labels.setdefault("link", c.hyperlink.target)
        values = [c.value for c in row]
        cells = [v for v in values if isinstance(v, str) and v.strip()]
        texts.extend(cells)
        if len(cells) >= 2 and cells[0].strip().endswith(":"):
            labels[cells[0].strip().rstrip(":").strip()] = normalise_label(cells[1])
    return ws.title, texts, labels


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def import_workbook(path: Path | str, reference_dir: Path | str) -> Imported:
    """Read, check and map NHS England's DMA results workbook (see the module docstring)."""
    path = Path(path)
    ctx = _Context(path)
    ref = load_official_reference(Path(reference_dir))
    wb = _open_workbook(path, ctx)
    sheets = {spec.key: _read_sheet(wb, spec, ctx) for spec in SHEETS}
    chk = _Checker(ctx, ref)
    rows = {key: _check_rows(sheet, chk) for key, sheet in sheets.items()}
    _same_keys(
        (sheets["sc_pillars"], rows["sc_pillars"]), (sheets["sc_overall"], rows["sc_overall"]), chk
    )
    _same_keys(
        (sheets["icb_pillars"], rows["icb_pillars"]),
        (sheets["icb_overall"], rows["icb_overall"]),
        chk,
    )
    _same_keys(
        (sheets["icb_pillars"], rows["icb_pillars"]),
        (sheets["icb_primary_care"], rows["icb_primary_care"]),
        chk,
    )
    intro_title, intro_texts, labels = _intro(wb)
    _sheet_name_findings(list(sheets.values()), intro_title, chk)
    _ics_findings(sheets["sc_pillars"], rows["sc_pillars"], chk)
    _identical_setting_findings(sheets["sc_pillars"], rows["sc_pillars"], chk)
    _case_findings(sheets["sc_pillars"], rows["sc_pillars"], chk)
    n_trusts = len({r.org_code for r in rows["sc_pillars"]})
    _stated_count_findings(intro_texts, n_trusts, chk, intro_title or INTRO_SHEET)
    imported = _assemble(path, sheets, rows, chk, ref, labels)
    layout = Path(reference_dir) / HEXMAP_SOURCE
    hexmap = layout.read_text(encoding="utf-8") if layout.is_file() else None
    return replace(imported, hexmap=hexmap)


def _tables(rows: dict[str, list[_Row]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    pillar_ids = dict(PILLAR_HEADERS)
    pillar = [
        {"year": YEAR, "org_code": r.org_code, "care_setting": r.care_setting,
         "pillar_id": pillar_ids[h], "score": v}
        for key in ("sc_pillars", "icb_pillars") for r in rows[key] for h, v in r.scores.items()
    ]  # fmt: skip
    overall = [
        {"year": int(h[:4]), "org_code": r.org_code, "care_setting": r.care_setting, "score": v}
        for key in ("sc_overall", "icb_overall") for r in rows[key] for h, v in r.scores.items()
    ]  # fmt: skip
    order = {pid: i for i, (_, pid) in enumerate(PILLAR_HEADERS)}
    pillars = pd.DataFrame(pillar)
    pillars = (
        pillars.assign(_o=pillars["pillar_id"].map(order))
        .sort_values(["year", "org_code", "care_setting", "_o"], kind="stable")
        .drop(columns="_o")
    )
    overall_frame = pd.DataFrame(overall).sort_values(
        ["year", "org_code", "care_setting"], kind="stable"
    )
    return pillars.reset_index(drop=True), overall_frame.reset_index(drop=True)


def _project_reference(
    ref: _Reference, rows: dict[str, list[_Row]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Organisations as published: each trust in the ICS the workbook places it, its settings."""
    placed: dict[str, tuple[str, str]] = {}
    settings: dict[str, set[str]] = {}
    for r in rows["sc_pillars"]:
        placed[r.org_code] = (r.icb_code, r.region_code)
        settings.setdefault(r.org_code, set()).add(r.care_setting)
    records = []
    for o in ref.organisations.sort_values("org_code").to_dict("records"):
        code = o["org_code"]
        if o["org_type"] == "icb":
            records.append({"org_code": code, "org_name": o["org_name"], "org_type": "icb", "care_settings": "icb",
                            "icb_code": code, "region_code": o["region_code"], "ons_code": o["icb_ons_code"],
                            "predecessor_codes": ""})  # fmt: skip
        elif code in placed:
            icb, region = placed[code]
            records.append({"org_code": code, "org_name": o["org_name"], "org_type": "trust",
                            "care_settings": ";".join(sorted(settings[code])), "icb_code": icb,
                            "region_code": region, "ons_code": "", "predecessor_codes": ""})  # fmt: skip
    regions = ref.regions.rename(columns={"region_ons_code": "ons_code"})[
        ["region_code", "region_name", "ons_code"]
    ]
    return pd.DataFrame(records), regions.sort_values("region_code").reset_index(drop=True)


def _assemble(path: Path, sheets: dict[str, _Sheet], rows: dict[str, list[_Row]], chk: _Checker,
              ref: _Reference, labels: dict[str, str]) -> Imported:  # fmt: skip
    pillar_scores, overall_scores = _tables(rows)
    organisations, regions = _project_reference(ref, rows)
    n_in = sum(len(r) for r in rows.values())
    n_published = sum(len(rows[s.key]) for s in SHEETS if s.published)
    n_left_out = sum(len(rows[s.key]) for s in SHEETS if not s.published)
    reconciliation = {
        "rows_read": n_in,
        "rows_published": n_published,
        "rows_left_out": n_left_out,
        "non_data_rows_dropped": sum(s.dropped for s in sheets.values()),
    }
    for s in SHEETS:
        if not s.published:
            chk.finding(
                "warning", sheets[s.key].title, f"rows {sheets[s.key].rows[0][0]}-{sheets[s.key].rows[-1][0]}",
                str(len(rows[s.key])), "sheet_not_published",
                f"{len(rows[s.key])} rows read and checked, not published. {PRIMARY_CARE_REASON}",
            )  # fmt: skip
    footnote = next(
        (
            text
            for s in ("sc_overall", "icb_overall")
            for _, text in sheets[s].notes
            if text[:2] == "1)"
        ),
        "",
    )
    provenance = {
        "file_name": path.name,
        "file_version": (lambda m: f"version {m.group(1)}" if m else "")(
            re.search(r"\bv(\d+)\b", path.stem)
        ),
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "publication_date": labels.get("Publication date", ""),
        "publisher": "NHS England",
        "source_url": labels.get("link", ""),
        "comparable_footnote": re.sub(r"^1\)\s*", "", footnote),
        "sheets": [
            {
                "key": s.spec.key,
                "name": s.title,
                "state": s.state,
                "header_row": s.header_row,
                "first_data_row": s.rows[0][0],
                "last_data_row": s.rows[-1][0],
                "data_rows": len(s.rows),
                "non_data_rows_dropped": s.dropped,
                "published": s.spec.published,
            }
            for s in sheets.values()
        ],  # fmt: skip
        "reconciliation": reconciliation,
    }
    findings = pd.DataFrame(chk.findings, columns=FINDING_COLUMNS)
    pillars = pd.DataFrame(
        [
            {"pillar_id": pid, "pillar_name": h, "pillar_order": i}
            for i, (h, pid) in enumerate(PILLAR_HEADERS, 1)
        ]
    )
    return Imported(
        pillar_scores,
        overall_scores,
        pillars,
        organisations,
        regions,
        findings,
        provenance,
        reconciliation,
    )


def check_reconciliation(imported: Imported) -> None:
    """Rows read must equal rows published plus rows left out (and reported)."""
    rec = imported.reconciliation
    if rec["rows_read"] != rec["rows_published"] + rec["rows_left_out"]:
        raise AssertionError(f"import reconciliation does not balance: {rec}")


def format_reconciliation(imported: Imported) -> str:
    rec = imported.reconciliation
    return (
        f"reconciliation: data rows read {rec['rows_read']} = published {rec['rows_published']}"
        f" + left out and reported {rec['rows_left_out']}"
        f" (title, note, footer and blank rows dropped: {rec['non_data_rows_dropped']})"
    )


def format_findings(imported: Imported) -> str:
    counts = imported.findings.groupby(["severity", "rule"]).size()
    lines = [
        f"findings: {len(imported.findings)} (kept as published, listed in the validation report)"
    ]
    lines += [f"  {sev:<7} {rule:<26} {n}" for (sev, rule), n in counts.items()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Writing the data folder


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


REFERENCE_YAML = (
    "# Written by dma-publish import-nhse from data/official/organisations/ (see SOURCES.md there).\n"
    "is_demo: false\n"
    "description: >-\n"
    "  NHS trusts and Integrated Care Boards named in NHS England's Digital Maturity Assessment\n"
    "  results (30 March 2026), with ODS codes (NHS England, July 2025) and ONS codes for ICBs and\n"
    "  regions (Office for National Statistics). Contains public sector information licensed under\n"
    "  the Open Government Licence v3.0.\n"
)


def write_import(imported: Imported, out_dir: Path | str, release_file: Path | str) -> None:
    """Write the data folder the build reads (see the module docstring)."""
    out = Path(out_dir)
    published = out / "published"
    if published.exists():
        shutil.rmtree(published)
    _write_csv(imported.pillar_scores, published / "pillar_scores.csv")
    _write_csv(imported.overall_scores, published / "overall_scores.csv")
    _write_csv(imported.pillars, published / "pillars.csv")
    _write_csv(imported.findings, published / "findings.csv")
    (published / "provenance.json").write_text(
        json.dumps(imported.provenance, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    _write_csv(imported.organisations, out / "reference" / "organisations.csv")
    _write_csv(imported.regions, out / "reference" / "regions.csv")
    (out / "reference" / "reference.yaml").write_text(REFERENCE_YAML, encoding="utf-8")
    layout = out / "reference" / LAYOUT_FILE
    if imported.hexmap is not None:
        layout.write_text(imported.hexmap, encoding="utf-8", newline="")
    elif layout.exists():
        layout.unlink()
    release_file = Path(release_file)
    if not release_file.is_file():
        raise InputError(str(release_file), "file", "release metadata not found", "missing_file")
    shutil.copyfile(release_file, out / "release.yaml")
    policy = release_file.parent / "publication-policy.yaml"
    if policy.is_file():
        shutil.copyfile(policy, out / "publication-policy.yaml")
    # the zips of earlier versions of this re-publication (dma_publish.releases), if any
    archive = release_file.parent / "releases"
    if (out / "releases").exists():
        shutil.rmtree(out / "releases")
    if archive.is_dir():
        shutil.copytree(archive, out / "releases")


# ---------------------------------------------------------------------------------------------
# Reading the data folder back: published scores as the pipeline's input granularity

GRANULARITY = "published_scores"
CARE_SETTING_ROWS = (
    ("acute", "Acute", "secondary_care"),
    ("ambulance", "Ambulance", "secondary_care"),
    ("community", "Community", "secondary_care"),
    ("icb", "Integrated care board", "icb"),
    ("mental_health", "Mental health", "secondary_care"),
)


def is_published_folder(data_dir: Path) -> bool:
    """A data folder written by import-nhse (published scores, no methodology or returns)."""
    return (Path(data_dir) / "published" / "provenance.json").is_file()


def _read_published(path: Path, columns: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    frame = _read_csv(path, columns)
    for col, dtype in dtypes.items():
        try:
            frame[col] = frame[col].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(
                str(path), f"column {col}", f"not all values are {dtype}: {exc}", "bad_value"
            ) from exc
    return frame


def empty_methodology_frames(pillars: pd.DataFrame) -> Any:
    """Methodology frames with pillars and care settings only: no domains, questions or elements."""
    from dma_publish.methodology import _YEAR_FRAMES, MethodologyFrames

    frames = {name: pd.DataFrame(columns=columns) for name, (columns, _) in _YEAR_FRAMES.items()}
    frames["domains"] = frames["domains"].astype({"year": "int64", "is_scoring": bool})
    frames["comparability"] = frames["comparability"].astype(
        {"year": "int64", "previous_year": "int64"}
    )
    frames["pillars"] = pillars.assign(former_name=None)[
        ["pillar_id", "pillar_name", "pillar_order", "former_name"]
    ]
    frames["care_settings"] = pd.DataFrame(
        CARE_SETTING_ROWS, columns=["care_setting", "care_setting_name", "survey"]
    )
    frames["level_descriptions"] = pd.DataFrame(
        columns=["survey", "pillar_id", "level", "level_description", "attribution"]
    )
    return MethodologyFrames(**frames)


def load_published(data_dir: Path | str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(methodology frames, validated, scores, provenance) from a folder import-nhse wrote."""
    from dma_publish.score import Scores
    from dma_publish.validate import ANSWER_COLUMNS, ISSUE_COLUMNS, RETURN_STATUS_COLUMNS, Validated

    folder = Path(data_dir) / "published"
    try:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            str(folder / "provenance.json"), "file", f"not readable JSON: {exc}", "bad_json"
        ) from exc
    key = ["year", "org_code", "care_setting"]
    pillar = _read_published(
        folder / "pillar_scores.csv",
        [*key, "pillar_id", "score"],
        {"year": "int64", "score": float},
    )
    overall = _read_published(
        folder / "overall_scores.csv", [*key, "score"], {"year": "int64", "score": float}
    )
    pillars = _read_published(
        folder / "pillars.csv",
        ["pillar_id", "pillar_name", "pillar_order"],
        {"pillar_order": "int64"},
    )
    findings = _read_csv(folder / "findings.csv", FINDING_COLUMNS)
    pillar = pillar.assign(
        n_scores=pd.array([pd.NA] * len(pillar), dtype="Int64"),
        lfl_previous_year=pd.array([pd.NA] * len(pillar), dtype="Int64"),
        lfl_score=float("nan"), lfl_previous_score=float("nan"),
        lfl_n_scores=pd.array([pd.NA] * len(pillar), dtype="Int64"),
    )  # fmt: skip
    overall = overall.assign(n_pillars=pd.array([pd.NA] * len(overall), dtype="Int64"))
    scores = Scores(
        domain_scores=pd.DataFrame(
            {
                "year": pd.Series(dtype="int64"),
                "org_code": pd.Series(dtype=str),
                "care_setting": pd.Series(dtype=str),
                "score_id": pd.Series(dtype=str),
                "domain_id": pd.Series(dtype=str),
                "pillar_id": pd.Series(dtype=str),
                "score": pd.Series(dtype="int64"),
            }
        ),  # fmt: skip
        pillar_scores=pillar.sort_values([*key, "pillar_id"]).reset_index(drop=True),
        overall_scores=overall.sort_values(key).reset_index(drop=True),
        element_results=pd.DataFrame(columns=[*key, "element_id", "score_id", "level", "is_met"]),
    )
    units = (
        pd.concat([pillar[key], overall[key]])
        .drop_duplicates()
        .sort_values(key)
        .reset_index(drop=True)
    )
    issues = pd.DataFrame(
        {"severity": findings["severity"], "file": provenance["file_name"], "line": "",
         "column": "'" + findings["sheet"] + "'!" + findings["cell"], "value": findings["value"],
         "rule": findings["rule"], "message": findings["message"], "year": "",
         "org_code": findings["org_code"], "care_setting": findings["care_setting"]},
        columns=list(ISSUE_COLUMNS),
    )  # fmt: skip
    rec = provenance["reconciliation"]
    validated = Validated(
        answers=pd.DataFrame(columns=list(ANSWER_COLUMNS)),
        issues=issues,
        returns=units.assign(status="scored", n_rows=0, n_errors=0)[list(RETURN_STATUS_COLUMNS)],
        reconciliation={
            "rows_read": rec["rows_read"], "rows_scored": rec["rows_published"],
            "rows_rejected": rec["rows_left_out"], "returns_read": len(units), "returns_scored": len(units),
            "returns_rejected": 0, "errors": 0, "warnings": int((findings["severity"] == "warning").sum()),
        },
    )  # fmt: skip
    return empty_methodology_frames(pillars), validated, scores, provenance
