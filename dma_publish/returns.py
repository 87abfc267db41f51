"""Read returns CSV files into one table, refusing files that are structurally broken.

Structural faults (not UTF-8, empty, missing or unknown columns, a wrong number of fields, a
truncated last line) raise `InputError` naming the file and line; everything about the values in
a row is left to `dma_publish.validate`, which reports it row by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.errors import InputError

RETURN_COLUMNS: tuple[str, ...] = (
    "year",
    "org_code",
    "care_setting",
    "question_id",
    "answer",
    "submitted_at",
    "submitter_name",
    "submitter_email",
)
PERSONAL_COLUMNS: tuple[str, ...] = ("submitter_name", "submitter_email")
SOURCE_COLUMNS: tuple[str, ...] = ("source_file", "source_line")
NOTICE_COLUMNS: tuple[str, ...] = ("file", "line", "column", "value", "rule", "message")


@dataclass(frozen=True)
class ReturnsRead:
    """Every answer row of every returns file, as text, with where it came from.

    `rows` has `RETURN_COLUMNS` (all str) plus `source_file` and `source_line` (1-based, header is
    line 1). `notices` holds file-level warnings (`NOTICE_COLUMNS`) that do not stop the build.
    """

    rows: pd.DataFrame
    files: tuple[str, ...]
    notices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTICE_COLUMNS))


def read_returns(paths: Iterable[str | Path]) -> ReturnsRead:
    """Read returns CSV files (in the order given) into one `ReturnsRead`; raise on broken files."""
    frames: list[pd.DataFrame] = []
    notices: list[dict[str, object]] = []
    names: list[str] = []
    for path in paths:
        name = str(path)
        names.append(name)
        frame, file_notices = parse_returns_text(name, Path(path).read_bytes())
        frames.append(frame)
        notices.extend(file_notices)
    columns = [*RETURN_COLUMNS, *SOURCE_COLUMNS]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    rows["source_line"] = rows["source_line"].astype("int64")
    notice_frame = pd.DataFrame(notices, columns=list(NOTICE_COLUMNS))
    return ReturnsRead(rows=rows[columns], files=tuple(names), notices=notice_frame)


def parse_returns_text(name: str, raw: bytes) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Parse the bytes of one returns file; `name` is used in errors. Returns rows and notices."""
    text = _decode(name, raw)
    if not text.strip():
        raise InputError(name, "line 1", "the file is empty: expected a header row", "empty_file")
    header, body = _read_records(name, text)
    order = _check_header(name, header)
    notices: list[dict[str, object]] = []
    if not text.endswith(("\n", "\r")):
        last_line = body.lines[-1] if body.lines else 1
        notices.append(
            _notice(
                name,
                last_line,
                "missing_final_newline",
                "the file does not end with a newline; the last line has every field, so it was read",
            )
        )
    columns = {column: body.columns[index] for column, index in order.items()}
    frame = pd.DataFrame(columns, columns=list(RETURN_COLUMNS), dtype=object)
    frame["source_file"] = name
    frame["source_line"] = pd.Series(body.lines, dtype="int64")
    return frame, notices


@dataclass
class _Body:
    """The data rows of a file, column by column (values interned: answers repeat a lot)."""

    columns: list[list[str]]
    lines: list[int]


def _read_records(name: str, text: str) -> tuple[list[str], _Body]:
    """Split CSV text into the header and the data rows (column lists), skipping blank lines.

    Rows are checked for their number of fields as they are read, and stored column by column
    with repeated values shared, so a large file costs little more memory than its text.
    """
    # A very long answer is a fault of its return (validation rejects it), not of the file.
    limit = csv.field_size_limit(len(text) + 1)
    try:
        return _records(name, csv.reader(io.StringIO(text, newline=""), strict=True))
    finally:
        csv.field_size_limit(limit)


def _records(name: str, reader: Any) -> tuple[list[str], _Body]:
    header: list[str] | None = None
    body = _Body(columns=[], lines=[])
    seen: list[dict[str, str]] = []
    start = 1
    pending: tuple[int, int] | None = None  # (line, fields) of a short row not yet known as last
    try:
        for fields in reader:
            if any(field.strip() for field in fields):  # blank or whitespace-only lines are skipped
                if header is None:
                    header = fields
                    body.columns = [[] for _ in fields]
                    seen = [{} for _ in fields]
                else:
                    if pending is not None:
                        _raise_field_count(name, pending[0], pending[1], len(header), last=False)
                    if len(fields) != len(header):
                        pending = (start, len(fields))
                    else:
                        for column, cache, value in zip(body.columns, seen, fields, strict=True):
                            column.append(cache.setdefault(value, value))
                        body.lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        # The csv module fails at end of input inside an open quote: the last line was cut short.
        at_end = "end of data" in str(error) or "EOF" in str(error)
        rule = "truncated_last_line" if at_end else "malformed_csv"
        raise InputError(name, f"line {start}", f"cannot read the CSV: {error}", rule) from None
    if header is None:
        raise InputError(name, "line 1", "the file is empty: expected a header row", "empty_file")
    if pending is not None:
        _raise_field_count(name, pending[0], pending[1], len(header), last=True)
    return header, body


def _decode(name: str, raw: bytes) -> str:
    """Decode UTF-8 (a byte-order mark is allowed); name the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            name,
            f"line {line}",
            f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "save it as CSV UTF-8",
            "not_utf8",
        ) from None


def _check_header(name: str, header: list[str]) -> dict[str, int]:
    """Map each expected column to its position; raise on missing, unknown or repeated columns."""
    cleaned = [column.strip().lower() for column in header]
    unknown = [column for column in cleaned if column not in RETURN_COLUMNS]
    if unknown:
        raise InputError(
            name,
            f"line 1, column {unknown[0]!r}",
            f"unknown column {unknown[0]!r}; expected the columns {', '.join(RETURN_COLUMNS)}",
            "unknown_column",
        )
    missing = [column for column in RETURN_COLUMNS if column not in cleaned]
    if missing:
        raise InputError(
            name,
            f"line 1, column {missing[0]!r}",
            f"missing column(s) {', '.join(missing)}; expected {', '.join(RETURN_COLUMNS)}",
            "missing_column",
        )
    if len(set(cleaned)) != len(cleaned):
        repeated = next(column for column in cleaned if cleaned.count(column) > 1)
        raise InputError(
            name,
            f"line 1, column {repeated!r}",
            f"column {repeated!r} appears twice",
            "duplicate_column",
        )
    return {column: cleaned.index(column) for column in RETURN_COLUMNS}


def _raise_field_count(name: str, line: int, found: int, width: int, *, last: bool) -> None:
    """Raise for a row with the wrong number of fields: a truncated last line or a malformed row."""
    if last and found < width:
        raise InputError(
            name,
            f"line {line}",
            f"the last line has {found} of {width} fields: the file looks truncated",
            "truncated_last_line",
        )
    raise InputError(
        name,
        f"line {line}",
        f"the row has {found} fields, the header has {width}",
        "wrong_field_count",
    )


def _notice(name: str, line: int, rule: str, message: str) -> dict[str, object]:
    """One file-level warning row."""
    return {
        "file": name,
        "line": line,
        "column": "",
        "value": "",
        "rule": rule,
        "message": f"{name} line {line}: {message} [{rule}]",
    }
