"""Robustness (issue 7): bad input is refused precisely, a failed or killed build leaves the
published site alone, builds are deterministic, and neither personal data nor a hostile
organisation name gets through to the published site.

Builds are expensive, so this module shares them: one copy of the demo data is planted with a
submitter canary, a hostile organisation name and a distinctive withheld score (see
`planted_build`) and built once; tests/test_policy_publish.py reads the same build. The
determinism test builds that planted copy a second time, from another folder. Everything else
runs `--check-only` or stops before the expensive stages.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import fakes
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from dma_publish.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "data"
RETURNS_2025 = "dma-returns-2025.csv"

# --- helpers: copies of the inputs, CSV files, the command line -------------------------------


def copy_data(dst: Path, returns: bool = True, archive: bool = False) -> Path:
    """A copy of the demo inputs (without the returns files when `returns` is false). Without
    the release archive unless `archive`: a copy whose returns a test changes is compared with
    no earlier version (compared with the archived one, a planted change to a withheld value
    would stop the build, as it should: test_releases covers that)."""
    patterns = ([] if returns else ["dma-returns-*.csv"]) + ([] if archive else ["releases"])
    shutil.copytree(DATA, dst, ignore=shutil.ignore_patterns(*patterns) if patterns else None)
    (dst / "returns").mkdir(exist_ok=True)
    return dst


def read_rows(path: Path) -> list[list[str]]:
    """Every record of a CSV file, header first."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write CSV records (UTF-8, '\\n' line endings)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def run_cli(*args: str) -> Any:
    """Invoke `dma-publish build ...` in-process; the output holds stdout and stderr."""
    return CliRunner().invoke(cli, ["build", *args], catch_exceptions=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fake_site(site: Path) -> dict[str, bytes]:
    """A previously published site (a couple of marker files); returns its snapshot."""
    (site / "trusts").mkdir(parents=True)
    (site / "index.html").write_text("<p>previous release</p>\n", encoding="utf-8")
    (site / "trusts" / "Z00.html").write_text("<p>previous trust page</p>\n", encoding="utf-8")
    return snapshot(site)


RECONCILIATION = re.compile(
    r"reconciliation: answer rows read (\d+) = scored (\d+) \+ rejected (\d+); "
    r"returns read (\d+) = scored (\d+) \+ rejected (\d+)"
)


def reconciliation(output: str) -> tuple[int, ...]:
    """The six counts of the printed reconciliation line."""
    match = RECONCILIATION.search(output)
    assert match, f"no reconciliation line in the output:\n{output}"
    return tuple(int(n) for n in match.groups())


# --- helpers: reading a built site, including inside zips, gzip and Parquet --------------------


def _expand(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield from _expand(f"{name}!{info.filename}", archive.read(info))
    elif name.endswith(".gz"):
        yield from _expand(f"{name}!{name[:-3]}", gzip.decompress(data))
    elif name.endswith(".parquet"):
        frame = pq.read_table(io.BytesIO(data)).to_pandas()
        yield f"{name}!values.csv", frame.to_csv(index=False).encode("utf-8")


def site_blobs(site: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of a site as bytes, plus the members of zips, gzip files and Parquet values."""
    for path in sorted(site.rglob("*")):
        if path.is_file():
            yield from _expand(path.relative_to(site).as_posix(), path.read_bytes())


def parquet_frames(site: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every Parquet file of a site (also inside zips), read."""
    for name, data in site_blobs(site):
        if name.endswith(".parquet"):
            yield name, pq.read_table(io.BytesIO(data)).to_pandas()


def csv_tables(site: Path) -> Iterator[tuple[str, list[list[str]]]]:
    """Every CSV file of a site (also inside zips), parsed."""
    for name, data in site_blobs(site):
        if name.endswith(".csv") and "!values.csv" not in name:
            yield name, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


class PageParser(HTMLParser):
    """Collects a page's script elements, its text and its tables (rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._script: tuple[str, list[str]] | None = None
        self._cell: list[str] | None = None
        self._rows: list[list[str]] | None = None
        self.event_handlers: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.event_handlers.append((tag, f"{name}={value}"))
        if tag == "script":
            self._script = ((dict(attrs).get("type") or "").lower(), [])
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._close_cell()  # HTML lets a cell's and a row's end tags be left out
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._close_cell()
            self._cell = []

    def _close_cell(self) -> None:
        if self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
        self._cell = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None
        elif tag in ("td", "th", "tr", "thead", "tbody"):
            self._close_cell()
        elif tag == "table" and self._rows is not None:
            self._close_cell()
            self.tables.append([row for row in self._rows if row])
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


# --- the planted build, shared with tests/test_policy_publish.py -------------------------------

CANARY_NAME = "Quorvell Vantablix"
CANARY_EMAIL = "zephyrquorvell.canary@privacy-canary.example"
CANARY_TOKENS = ("quorvell", "vantablix", "zephyrquorvell", "privacy-canary")
HOSTILE_NAME = "Hostile <script>alert(1)</script> NHS Trust"
CYBER = "sc_cyber_network_security"
CYBER_BEST = {
    # Answers meeting every element of Cyber and Network Security, levels 2 to 5.
    "sc_cyber_network_security_plan": "Yes",
    "sc_cyber_network_security_coverage": "100",
    "sc_cyber_network_security_review": "Monthly",
    "sc_cyber_network_security_audit": "Yes",
}


@dataclass(frozen=True)
class Planted:
    """The planted copy of the demo data and its full build."""

    data: Path
    site: Path
    docs: Path
    report: Path
    publication: Any
    cyber_org: str  # an acute trust whose 2025 cyber answers were raised to level 5
    privacy_org: str  # an acute trust whose 2025 submitter is the canary
    hostile_org: str  # a trust named HOSTILE_NAME
    output: str


def _acute_trusts(data: Path) -> list[str]:
    rows = read_rows(data / "reference" / "organisations.csv")
    col = {c: i for i, c in enumerate(rows[0])}
    return sorted(
        r[col["org_code"]]
        for r in rows[1:]
        if r[col["org_type"]] == "trust" and "acute" in r[col["care_settings"]].split(";")
    )


def plant(data: Path) -> dict[str, str]:
    """Plant the canary submitter, the hostile name and a level-5 cyber return into `data`."""
    acute = _acute_trusts(data)
    path = data / "returns" / RETURNS_2025
    rows = read_rows(path)
    col = {c: i for i, c in enumerate(rows[0])}

    def answers(org: str) -> dict[str, str]:
        return {
            r[col["question_id"]]: r[col["answer"]]
            for r in rows[1:]
            if r[col["org_code"]] == org and r[col["care_setting"]] == "acute"
        }

    # a trust not already at level 5 in cyber (its independent audit answer is not Yes)
    cyber_org = next(o for o in acute if answers(o).get("sc_cyber_network_security_audit") == "No")
    privacy_org = next(o for o in acute if o != cyber_org)
    hostile_org = next(o for o in acute if o not in (cyber_org, privacy_org))
    measures = _question_options(data, 2025, "sc_cyber_network_security_measures")
    best = {**CYBER_BEST, "sc_cyber_network_security_measures": ";".join(measures)}
    for r in rows[1:]:
        if r[col["org_code"]] == cyber_org and r[col["question_id"]] in best:
            r[col["answer"]] = best[r[col["question_id"]]]
        if r[col["org_code"]] == privacy_org:
            r[col["submitter_name"]] = CANARY_NAME
            r[col["submitter_email"]] = CANARY_EMAIL
    write_rows(path, rows)
    orgs = read_rows(data / "reference" / "organisations.csv")
    for r in orgs[1:]:
        if r[0] == hostile_org:
            r[1] = HOSTILE_NAME
    write_rows(data / "reference" / "organisations.csv", orgs)
    return {"cyber_org": cyber_org, "privacy_org": privacy_org, "hostile_org": hostile_org}


def _question_options(data: Path, year: int, question_id: str) -> list[str]:
    doc = yaml.safe_load((data / "methodology" / f"dma-methodology-{year}.yaml").read_text("utf-8"))
    for domain in doc["domains"]:
        for question in domain["questions"]:
            if question["id"] == question_id:
                return list(question["options"])
    raise KeyError(question_id)


_BUILDS: dict[str, Planted] = {}


def _build(work: Path, data: Path, orgs: dict[str, str]) -> Planted:
    from dma_publish.pipeline import run_build

    lines: list[str] = []
    pub = run_build(
        data_dir=data,
        site_dir=work / "site",
        report_path=work / "validation-report.csv",
        strict=False,
        check_only=False,
        echo=lambda *parts: lines.append(" ".join(str(p) for p in parts)),
        docs_dir=work / "docs",
    )
    return Planted(
        data=data,
        site=work / "site",
        docs=work / "docs",
        report=work / "validation-report.csv",
        publication=pub,
        output="\n".join(lines),
        **orgs,
    )


def planted_build(factory: pytest.TempPathFactory) -> Planted:
    """The planted copy of the demo data, built once per session (a full build)."""
    if "first" not in _BUILDS:
        work = factory.mktemp("planted")
        data = copy_data(work / "data")
        orgs = plant(data)
        _BUILDS["first"] = _build(work, data, orgs)
    return _BUILDS["first"]


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return planted_build(tmp_path_factory)


# === 1. bad returns: every validation rule, in one planted copy, through the CLI ==============


@dataclass(frozen=True)
class Expected:
    rule: str
    file: str
    line: int | None
    column: str
    value: str
    key: tuple[str, str, str]  # year, org_code, care_setting of the return it rejects


@pytest.fixture(scope="module")
def bad_returns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the data with one fault per validation rule, each in its own return."""
    from dma_publish.methodology import load_methodologies, methodology_frames

    work = tmp_path_factory.mktemp("bad-returns")
    data = copy_data(work / "data")
    frames = methodology_frames(load_methodologies(data / "methodology"))
    q25 = frames.questions[frames.questions["year"] == 2025].set_index("question_id")
    path = data / "returns" / RETURNS_2025
    rows = read_rows(path)
    col = {c: i for i, c in enumerate(rows[0])}
    by_return: dict[tuple[str, str], list[int]] = {}
    for index, r in enumerate(rows[1:], start=1):
        by_return.setdefault((r[col["org_code"]], r[col["care_setting"]]), []).append(index)
    org_rows = read_rows(data / "reference" / "organisations.csv")
    settings = {r[0]: r[3].split(";") for r in org_rows[1:]}
    acute = [k for k in by_return if k[1] == "acute"]
    acute_only = [k for k in acute if settings[k[0]] == ["acute"]]
    icb = next(k for k in by_return if k[1] == "icb")
    last = list(by_return)[-1]
    expected: list[Expected] = []

    def key(k: tuple[str, str], year: str = "2025") -> tuple[str, str, str]:
        return (year, k[0], k[1])

    def first_row(k: tuple[str, str], answer_type: str) -> int:
        return next(
            i
            for i in by_return[k]
            if q25.loc[rows[i][col["question_id"]], "answer_type"] == answer_type
        )

    # answer not allowed (and formula-like: the report must not let a spreadsheet run it)
    i = first_row(acute[0], "yes_no")
    rows[i][col["answer"]] = "=1+2"
    expected.append(
        Expected("invalid_answer", RETURNS_2025, i + 1, "answer", "=1+2", key(acute[0]))
    )
    # a percentage out of range
    i = first_row(acute[1], "percentage")
    rows[i][col["answer"]] = "150"
    expected.append(Expected("out_of_range", RETURNS_2025, i + 1, "answer", "150", key(acute[1])))
    # required question unanswered: the row is deleted from the last return in the file
    i = next(j for j in by_return[last] if q25.loc[rows[j][col["question_id"]], "is_required"])
    missing_question = rows[i][col["question_id"]]
    del rows[i]
    expected.append(
        Expected(
            "missing_required_answer", RETURNS_2025, None, "answer", missing_question, key(last)
        )
    )

    template = rows[by_return[acute[2]][0]]

    def append(rule: str, column: str, value: str, k: tuple[str, str, str], **cells: str) -> None:
        row = list(template)
        row[col["year"]], row[col["org_code"]], row[col["care_setting"]] = k
        for name, cell in cells.items():
            row[col[name]] = cell
        rows.append(row)
        expected.append(Expected(rule, RETURNS_2025, len(rows), column, value, k))

    # a second answer to the same question
    append("duplicate_answer", "question_id", template[col["question_id"]], key(acute[2]))
    # a question in no year's methodology
    append(
        "unknown_question",
        "question_id",
        "sc_no_such_question",
        key(acute[3]),
        question_id="sc_no_such_question",
    )
    # a question asked in another care setting only
    append(
        "question_not_for_care_setting", "question_id", "sc_ambulance_handover_plan", key(acute[4]),
        question_id="sc_ambulance_handover_plan", answer="Yes",
    )  # fmt: skip
    # a question of another year only
    append(
        "question_not_in_year", "question_id", "icb_digital_investment_plan", key(icb),
        question_id="icb_digital_investment_plan", answer="Yes",
    )  # fmt: skip
    # an organisation not in the reference
    assert "ZQQ9" not in settings
    append("unknown_organisation", "org_code", "ZQQ9", ("2025", "ZQQ9", "acute"))
    # a care setting the trust does not deliver
    other = acute_only[0][0]
    append(
        "care_setting_not_delivered", "care_setting", "ambulance", ("2025", other, "ambulance"),
        question_id="sc_ambulance_handover_plan", answer="Yes",
    )  # fmt: skip
    write_rows(path, rows)
    # a year with no methodology, in a file of its own
    old = [rows[0]] + [list(r) for r in (rows[j] for j in by_return[acute[5]][:2])]
    for r in old[1:]:
        r[col["year"]] = "2023"
    write_rows(data / "returns" / "dma-returns-2023.csv", old)
    for line in (2, 3):
        expected.append(
            Expected(
                "no_methodology", "dma-returns-2023.csv", line, "year", "2023", ("2023", *acute[5])
            )
        )
    # the final row count of every return, to reconcile against
    sizes: Counter = Counter()
    for name in ("dma-returns-2023.csv", "dma-returns-2024.csv", RETURNS_2025):
        for r in read_rows(data / "returns" / name)[1:]:
            sizes[(r[col["year"]], r[col["org_code"]], r[col["care_setting"]])] += 1

    site = work / "site"
    previous = fake_site(site)
    strict = run_cli(
        "--strict", "--data", str(data), "--site", str(site), "--report", str(work / "strict.csv")
    )
    check = run_cli("--check-only", "--data", str(data), "--report", str(work / "report.csv"))
    report = pd.read_csv(work / "report.csv", dtype=str, keep_default_na=False)
    return {
        "expected": expected,
        "sizes": sizes,
        "strict": strict,
        "check": check,
        "report": report,
        "work": work,
        "site": site,
        "previous": previous,
    }


def test_each_validation_rule_names_file_line_column_and_rule(bad_returns) -> None:
    report = bad_returns["report"]
    errors = report[report["severity"] == "error"]
    for exp in bad_returns["expected"]:
        found = errors[
            (errors["rule"] == exp.rule)
            & errors["file"].str.endswith(exp.file)
            & (errors["line"] == ("" if exp.line is None else str(exp.line)))
            & (errors["column"] == exp.column)
        ]
        assert len(found) == 1, f"{exp}: expected one report row, found:\n{errors.to_string()}"
        row = found.iloc[0]
        assert row["org_code"] == exp.key[1] and row["care_setting"] == exp.key[2]
        message = row["message"]
        where = "no row" if exp.line is None else f"line {exp.line}"
        for part in (exp.file, where, f"column {exp.column}", f"[{exp.rule}]"):
            assert part in message, f"{exp.rule}: {part!r} not in {message!r}"
        if exp.rule != "invalid_answer":
            assert row["value"] == exp.value
    assert set(errors["rule"]) == {e.rule for e in bad_returns["expected"]}


def test_formula_like_answer_is_quoted_in_the_validation_report(bad_returns) -> None:
    report = bad_returns["report"]
    row = report[report["rule"] == "invalid_answer"].iloc[0]
    assert row["value"] == "'=1+2"
    assert "spreadsheet formula" in row["message"]
    for column in report.columns:
        cells = report[column]
        assert not cells.str.match(r"[=+@]").any(), f"a {column} cell would run as a formula"


def test_only_the_faulty_returns_are_rejected_and_counts_reconcile(bad_returns) -> None:
    check = bad_returns["check"]
    assert check.exit_code == 0, check.output
    report = bad_returns["report"]
    errors = report[report["severity"] == "error"]
    rejected = {tuple(k) for k in errors[["year", "org_code", "care_setting"]].to_numpy()}
    expected = {e.key for e in bad_returns["expected"]}
    assert rejected == expected
    sizes = bad_returns["sizes"]
    rows_read, rows_scored, rows_rejected, returns_read, returns_scored, returns_rejected = (
        reconciliation(check.output)
    )
    assert rows_read == sum(sizes.values()) == rows_scored + rows_rejected
    assert rows_rejected == sum(sizes[k] for k in expected)
    assert returns_read == len(sizes) == returns_scored + returns_rejected
    assert returns_rejected == len(expected) == 10


def test_strict_exits_3_after_writing_the_report_and_publishes_nothing(bad_returns) -> None:
    strict = bad_returns["strict"]
    assert strict.exit_code == 3, strict.output
    assert "--strict" in strict.output and "validation errors" in strict.output
    work = bad_returns["work"]
    assert (work / "strict.csv").read_bytes() == (work / "report.csv").read_bytes()
    assert snapshot(bad_returns["site"]) == bad_returns["previous"]
    assert not list(work.glob(".site.work-*"))


# === 2. structural faults: returns files, reference, methodology ==============================


@pytest.fixture(scope="module")
def inputs_without_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inputs without returns: structural faults stop the build before returns matter."""
    return copy_data(tmp_path_factory.mktemp("inputs") / "data", returns=False)


def _inputs(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "data"))


def _assert_input_error(result: Any, file: str, location: str, rule: str) -> None:
    assert result.exit_code == 2, result.output
    line = next((ln for ln in result.output.splitlines() if ln.startswith("error: ")), "")
    assert file in line and f": {location}:" in line and line.endswith(f"[{rule}]"), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("fixture", "location", "rule"),
    [
        ("not_utf8.csv", "line 3", "not_utf8"),
        ("empty.csv", "line 1", "empty_file"),
        ("missing_column.csv", "line 1, column 'submitted_at'", "missing_column"),
        ("unknown_column.csv", "line 1, column 'org_name'", "unknown_column"),
        ("truncated_last_line.csv", "line 3", "truncated_last_line"),
        ("unterminated_quote.csv", "line 3", "truncated_last_line"),
        ("wrong_field_count.csv", "line 2", "wrong_field_count"),
    ],
)
def test_structural_fault_in_a_returns_file_exits_2(
    inputs_without_returns: Path, tmp_path: Path, fixture: str, location: str, rule: str
) -> None:
    data = _inputs(inputs_without_returns, tmp_path)
    shutil.copy(FIXTURES / "returns" / fixture, data / "returns" / RETURNS_2025)
    result = run_cli("--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv"))
    _assert_input_error(result, RETURNS_2025, location, rule)


def _edit_organisations(data: Path, edit: Any) -> int:
    """Apply edit(rows, col) to organisations.csv; it returns the 1-based line it changed."""
    path = data / "reference" / "organisations.csv"
    rows = read_rows(path)
    col = {c: i for i, c in enumerate(rows[0])}
    line = edit(rows, col)
    write_rows(path, rows)
    return line


def _trust_index(rows: list[list[str]], col: dict[str, int], n: int = 0) -> int:
    return [i for i, r in enumerate(rows) if i and r[col["org_type"]] == "trust"][n]


def _drop_ons_code(rows: list[list[str]], col: dict[str, int]) -> int:
    for r in rows:
        del r[col["ons_code"]]
    return 1


def _unknown_icb(rows: list[list[str]], col: dict[str, int]) -> int:
    i = _trust_index(rows, col)
    assert not any(r[0] == "QZQQ" for r in rows)
    rows[i][col["icb_code"]] = "QZQQ"
    return i + 1


def _duplicate_code(rows: list[list[str]], col: dict[str, int]) -> int:
    i, j = _trust_index(rows, col, 0), _trust_index(rows, col, 1)
    rows[j][col["org_code"]] = rows[i][col["org_code"]]
    return j + 1


def _named(name: str) -> Any:
    def edit(rows: list[list[str]], col: dict[str, int]) -> int:
        i = _trust_index(rows, col, 3)
        rows[i][col["org_name"]] = name
        return i + 1

    return edit


@pytest.mark.parametrize(
    ("edit", "column", "rule"),
    [
        (_drop_ons_code, "ons_code", "missing_column"),
        (_unknown_icb, "icb_code", "unknown_icb"),
        (_duplicate_code, "org_code", "duplicate_code"),
        (_named('=HYPERLINK("http://example.com","Trust")'), "org_name", "formula_like_text"),
        (_named("@SUM(A1:A9) NHS Trust"), "org_name", "formula_like_text"),
        (_named("+44 NHS Trust"), "org_name", "formula_like_text"),
        (_named("-1 NHS Trust"), "org_name", "formula_like_text"),
    ],
    ids=["missing_column", "unknown_icb", "duplicate_code", "name=", "name@", "name+", "name-"],
)
def test_reference_fault_exits_2_naming_line_and_column(
    inputs_without_returns: Path, tmp_path: Path, edit: Any, column: str, rule: str
) -> None:
    data = _inputs(inputs_without_returns, tmp_path)
    line = _edit_organisations(data, edit)
    result = run_cli("--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv"))
    _assert_input_error(result, "organisations.csv", f"line {line}, column {column}", rule)


def test_broken_methodology_yaml_exits_2_naming_the_line(
    inputs_without_returns: Path, tmp_path: Path
) -> None:
    data = _inputs(inputs_without_returns, tmp_path)
    path = data / "methodology" / "dma-methodology-2025.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, text in enumerate(lines) if text == "  name: Cyber and Network Security")
    lines[index] = "  name: [Cyber and Network Security"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv"))
    assert result.exit_code == 2, result.output
    match = re.search(
        r"dma-methodology-2025\.yaml: line (\d+), column \d+: .*\[yaml_syntax\]", result.output
    )
    assert match, result.output
    assert index + 1 <= int(match.group(1)) <= index + 3


def test_methodology_schema_error_exits_2_naming_the_document_path(
    inputs_without_returns: Path, tmp_path: Path
) -> None:
    data = _inputs(inputs_without_returns, tmp_path)
    path = data / "methodology" / "dma-methodology-2025.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    d, q = next(
        (d, q)
        for d, domain in enumerate(doc["domains"])
        for q, question in enumerate(domain["questions"])
        if question["answer_type"] == "yes_no"
    )
    text = path.read_text(encoding="utf-8").replace("answer_type: yes_no", "answer_type: essay", 1)
    path.write_text(text, encoding="utf-8")
    result = run_cli("--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv"))
    _assert_input_error(
        result, "dma-methodology-2025.yaml", f"domains[{d}].questions[{q}].answer_type", "schema"
    )
    assert "essay" in result.output


# === 3. a build that fails or is killed leaves the published site alone =======================


def _fake_publication() -> Any:
    return fakes.publication(scores=fakes.scores(domain_scores=fakes.one_domain_score()))


def _stub_data_and_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the (expensive) data files and charts stages: the failures under test come later."""
    from dma_publish import api_versions, charts, opendata, sitebuild

    monkeypatch.setattr(opendata, "publication_tables", lambda *a, **k: {})
    monkeypatch.setattr(opendata, "write_open_data", lambda *a, **k: [])
    monkeypatch.setattr(sitebuild, "write_release_files", lambda *a, **k: [])
    monkeypatch.setattr(api_versions, "write_api_versions", lambda *a, **k: [])
    monkeypatch.setattr(charts, "build_all", lambda *a, **k: {})
    monkeypatch.setattr(charts, "write_chart_assets", lambda *a, **k: None)
    monkeypatch.setattr(charts, "write_chart_files", lambda *a, **k: {})


def test_failure_while_writing_pages_leaves_the_site(monkeypatch, tmp_path: Path) -> None:
    from dma_publish import pages, pipeline

    _stub_data_and_charts(monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("pages failed")

    monkeypatch.setattr(pages, "build_pages", broken)
    before = fake_site(tmp_path / "site")
    with pytest.raises(RuntimeError, match="pages failed"):
        pipeline.publish(
            _fake_publication(), site_dir=tmp_path / "site", docs_dir=tmp_path / "docs"
        )
    assert snapshot(tmp_path / "site") == before


def test_failure_during_mkdocs_leaves_the_site_and_the_next_build_recovers(
    monkeypatch, tmp_path: Path
) -> None:
    from dma_publish import pages, pipeline, sitebuild

    _stub_data_and_charts(monkeypatch)
    monkeypatch.setattr(pages, "build_pages", lambda *a, **k: {})
    monkeypatch.setattr(pages, "save_pages", lambda *a, **k: [])

    def half_then_fail(
        config: Path, site_dir: Path, extra: dict, docs_dir: Path | None = None, **_: Any
    ) -> None:
        (Path(site_dir) / "trusts").mkdir(parents=True)
        (Path(site_dir) / "trusts" / "Z00.html").write_text("half-written", encoding="utf-8")
        raise RuntimeError("mkdocs failed")

    def complete(
        config: Path, site_dir: Path, extra: dict, docs_dir: Path | None = None, **_: Any
    ) -> None:
        Path(site_dir).mkdir(parents=True)
        (Path(site_dir) / "index.html").write_text("<p>new release</p>", encoding="utf-8")

    site = tmp_path / "site"
    before = fake_site(site)
    monkeypatch.setattr(sitebuild, "mkdocs_build", half_then_fail)
    with pytest.raises(RuntimeError, match="mkdocs failed"):
        pipeline.publish(_fake_publication(), site_dir=site, docs_dir=tmp_path / "docs")
    assert snapshot(site) == before
    monkeypatch.setattr(sitebuild, "mkdocs_build", complete)
    pipeline.publish(_fake_publication(), site_dir=site, docs_dir=tmp_path / "docs")
    assert snapshot(site) == {"index.html": b"<p>new release</p>"}
    # no work folder, no staging, no .old: only the lock file beside the site
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "docs", "site"]


def test_cli_exits_1_on_an_unexpected_failure_and_keeps_the_site(
    planted: Planted, monkeypatch, tmp_path: Path
) -> None:
    from dma_publish import pages, pipeline

    _stub_data_and_charts(monkeypatch)
    monkeypatch.setattr(pipeline, "assemble", lambda *a, **k: planted.publication)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("pages failed")

    monkeypatch.setattr(pages, "build_pages", broken)
    before = fake_site(tmp_path / "site")
    result = run_cli(
        "--data", str(planted.data), "--site", str(tmp_path / "site"),
        "--report", str(tmp_path / "r.csv"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert snapshot(tmp_path / "site") == before


TESTS_DIR = Path(__file__).resolve().parent
KILLED_BUILD = """
import shutil, sys, types
from pathlib import Path
from dma_publish import api_versions, charts, opendata, pages, pipeline

source_docs, docs, site = (Path(a) for a in sys.argv[1:4])
opendata.publication_tables = lambda *a, **k: {}
opendata.write_open_data = lambda *a, **k: []
api_versions.write_api_versions = lambda *a, **k: []
charts.build_all = lambda *a, **k: {}
charts.write_chart_assets = lambda *a, **k: None
charts.write_chart_files = lambda *a, **k: {}
# the pages of the planted build, already generated: the real mkdocs stage then builds them
pages.build_pages = lambda *a, **k: {}
pages.save_pages = lambda pub, docs_dir, *a, **k: sorted(
    str(p.relative_to(shutil.copytree(source_docs, docs_dir, dirs_exist_ok=True))) for p in Path(docs_dir).rglob("*.md")
)
sys.path.insert(0, TESTS_DIR)
import fakes
pub = fakes.publication(scores=fakes.scores(domain_scores=fakes.one_domain_score()))
pipeline.publish(pub, site_dir=site, docs_dir=docs)
"""


def test_build_killed_during_mkdocs_leaves_the_site(planted: Planted, tmp_path: Path) -> None:
    """A real process running the real mkdocs stage, killed with SIGKILL part way through."""
    script = tmp_path / "killed_build.py"
    script.write_text(KILLED_BUILD.replace("TESTS_DIR", repr(str(TESTS_DIR))), encoding="utf-8")
    site = tmp_path / "site"
    before = fake_site(site)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(planted.docs), str(tmp_path / "docs"), str(site)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(tmp_path.glob(".site.work-*/site/trusts/*.html")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, (
            f"the build ended before it could be killed: {proc.stderr.read()!r}"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(site) == before, "the killed build changed the published site"
    # the half-built site is left aside in the killed build's work folder, never published
    assert len(list(tmp_path.glob(".site.work-*/site"))) == 1


# === 4. determinism ===========================================================================


@pytest.mark.slow
def test_two_builds_of_the_same_inputs_are_byte_identical(
    planted: Planted, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The planted inputs copied to another folder and built again (after a killed build left a
    half-built staging folder there) give the same site, byte for byte."""
    work = tmp_path_factory.mktemp("determinism")
    data = Path(shutil.copytree(planted.data, work / "inputs-elsewhere"))
    fake_site(work / "site")
    for stale in (".site.work-killed/site/trusts", ".site.building/trusts"):
        (work / stale).mkdir(parents=True)
        (work / stale / "stale.html").write_text("stale", encoding="utf-8")
    orgs = {k: getattr(planted, k) for k in ("cyber_org", "privacy_org", "hostile_org")}
    second = _build(work, data, orgs)
    first_files, second_files = snapshot(planted.site), snapshot(second.site)
    only_first = sorted(set(first_files) - set(second_files))
    only_second = sorted(set(second_files) - set(first_files))
    differ = sorted(
        p for p in set(first_files) & set(second_files) if first_files[p] != second_files[p]
    )
    assert not (only_first or only_second or differ), (
        f"only in the first build: {only_first[:20]}; only in the second: {only_second[:20]}; "
        f"different bytes: {differ[:50]}"
    )
    left = sorted(p.name for p in work.glob(".site*")) + sorted(p.name for p in work.glob("*.old"))
    assert left == [".site.lock"], left


# === 5. privacy ===============================================================================


def test_submitter_name_and_email_appear_nowhere_in_the_site(planted: Planted) -> None:
    rows = read_rows(planted.data / "returns" / RETURNS_2025)
    assert any(CANARY_EMAIL in r for r in rows)  # planted
    leaks = []
    for name, data in site_blobs(planted.site):
        lower = data.lower()
        leaks += [(name, token) for token in CANARY_TOKENS if token.encode() in lower]
    assert not leaks, f"personal data published: {leaks[:20]}"
    # and the canary's return was scored (its data is published, its submitter is not)
    returns = planted.publication.validated.returns
    mine = returns[(returns["org_code"] == planted.privacy_org) & (returns["year"] == 2025)]
    assert mine["status"].tolist() == ["scored"]


# === 6. hostile organisation names ============================================================

EXECUTABLE_TYPES = ("", "text/javascript", "application/javascript", "module")


def test_hostile_name_is_shown_as_text_never_as_markup(planted: Planted) -> None:
    site = planted.site
    problems = []
    for path in sorted(site.rglob("*.html")):
        page = parse_page(path.read_text(encoding="utf-8"))
        rel = path.relative_to(site).as_posix()
        for kind, body in page.scripts:
            if kind in EXECUTABLE_TYPES and "alert(1)" in body:
                problems.append(f"{rel}: executable script with the hostile name")
            if "json" in kind:
                try:
                    json.loads(body)
                except ValueError:
                    problems.append(f"{rel}: a {kind} script does not parse (broken out of?)")
        problems += [f"{rel}: event handler {h}" for h in page.event_handlers if "alert" in h[1]]
    assert not problems, problems[:20]
    own = parse_page((site / "trusts" / f"{planted.hostile_org}.html").read_text(encoding="utf-8"))
    text = " ".join("".join(own.text).split())
    assert HOSTILE_NAME in text, "the hostile name is not shown as text on its own page"
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert "<script" not in doc.get(field, "").lower(), (doc["location"], field)
    assert any("alert(1)" in doc["title"] + doc["text"] for doc in index["docs"])  # shown, escaped


def test_svg_charts_parse_and_hold_no_script(planted: Planted) -> None:
    for path in sorted(planted.site.rglob("*.svg")):
        root = ET.fromstring(path.read_bytes())
        for element in root.iter():
            assert not element.tag.lower().endswith("script"), path
            assert not any(a.lower().startswith("on") for a in element.attrib), path


def test_no_csv_cell_could_run_as_a_formula(planted: Planted) -> None:
    risky = []
    for name, rows in csv_tables(planted.site):
        for number, row in enumerate(rows, start=1):
            for cell in row:
                if cell[:1] in ("=", "@", "\t", "\r"):
                    risky.append((name, number, cell))
                elif cell.startswith(("-", "+")):  # a signed number (a chart's change) is safe
                    try:
                        float(cell)
                    except ValueError:
                        risky.append((name, number, cell))
    assert not risky, risky[:20]
    names = [
        r[1]
        for name, rows in csv_tables(planted.site)
        if name == "downloads/organisations.csv"
        for r in rows
    ]
    assert HOSTILE_NAME in names  # published as it is: the name is text, not a formula


def test_a_build_where_every_return_is_rejected_stops_with_a_clear_error(tmp_path: Path) -> None:
    """Issue 27: with no return scored there is no year to lead with (Publication.latest_year
    raised IndexError in the pages). Without --strict too, the build stops after writing the
    validation report, which lists every rejected return; the site is untouched."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    shutil.rmtree(data / "releases", ignore_errors=True)
    for path in (data / "returns").glob("*.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table["org_code"] = "XX" + table["org_code"]  # no such organisation
        table.to_csv(path, index=False)
    site = fake_site(tmp_path / "site")
    report = tmp_path / "report.csv"
    result = run_cli("--data", str(data), "--site", str(tmp_path / "site"), "--report", str(report))
    assert result.exit_code == 3, result.output
    assert "no return could be scored" in result.output and "nothing to publish" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, IndexError)
    rejected = pd.read_csv(report, dtype=str)
    assert len(rejected) > 0 and (rejected["severity"] == "error").all()
    assert snapshot(tmp_path / "site") == site
