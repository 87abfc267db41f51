"""A corpus of hostile and careless edits to every input file (issue 15). Each one either stops
the build with exit 2 and a message naming the file, the place in it (line and column, or the
YAML path) and the rule, or, for a fault of one return, rejects that return and reports it;
never a traceback, never a huge message.

The build runs `--check-only` (inputs read and checked, nothing published), in-process through
the command line, on a copy of the demo inputs: without the returns where the fault stops the
build before returns matter.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dma_publish.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data"
METHODOLOGY = "methodology/dma-methodology-2025.yaml"
RELEASE = "release.yaml"
POLICY = "publication-policy.yaml"
REFERENCE_META = "reference/reference.yaml"
ORGANISATIONS = "reference/organisations.csv"
REGIONS = "reference/regions.csv"
RETURNS = "returns/dma-returns-2025.csv"

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"the corpus edit expects {old!r} in the file"
        return text.replace(old, new, 1)

    return edit


def _prepend(extra: str) -> Callable[[str], str]:
    return lambda text: extra + text


def _cell(column: str, value: str, row: int = 1) -> Callable[[str], str]:
    """Set one cell of a CSV (data row `row`, 1-based)."""

    def edit(text: str) -> str:
        rows = list(csv.reader(text.splitlines()))
        rows[row][rows[0].index(column)] = value
        return "".join(",".join(_quote(c) for c in r) + "\n" for r in rows)

    return edit


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell


@dataclass(frozen=True)
class Case:
    """One hostile edit: which file, how, and what the build must say (exit 2)."""

    id: str
    file: str
    edit: Callable[[str], str] | bytes
    where: str  # the location the message must give
    rule: str


CASES = [
    # --- methodology YAML
    Case("alias bomb", METHODOLOGY, _prepend(ALIAS_BOMB), "line 2, column", "yaml_alias"),
    Case(
        "merge-key alias",
        METHODOLOGY,
        _prepend("base: &b {x: 1}\nother: {<<: *b}\n"),
        "line 2",
        "yaml_alias",
    ),
    Case(
        "deep nesting",
        METHODOLOGY,
        _prepend("deep: " + "[" * 60 + "]" * 60 + "\n"),
        "line 1",
        "yaml_too_deep",
    ),
    Case("not UTF-8", METHODOLOGY, _prepend("# caf\udce9\n"), "line 1", "not_utf8"),
    Case(
        "formula domain name",
        METHODOLOGY,
        _replace("name: Digital and Data Strategy", "name: \"-2+3+cmd|' /C calc'!A0\""),
        "domains[0].name",
        "formula_like_text",
    ),
    Case(
        "equals in question text",
        METHODOLOGY,
        _replace("text: Does the organisation have a board-approved", "text: =HYPERLINK(1) Does"),
        "domains[0].questions[0].text",
        "formula_like_text",
    ),
    Case(
        "at sign in title",
        METHODOLOGY,
        _replace("title: 'NHS Digital", "title: '@SUM(A1) NHS Digital"),
        "title",
        "formula_like_text",
    ),
    Case(
        "right-to-left override in a domain name",
        METHODOLOGY,
        _replace("name: Digital and Data Strategy", "name: Digital \u202eygetartS"),
        "domains[0].name",
        "hidden_character",
    ),
    Case(
        "300-character domain id",
        METHODOLOGY,
        _replace("- id: sc_digital_strategy\n", "- id: sc_" + "x" * 300 + "\n"),
        "domains[0].id",
        "schema",
    ),
    Case(
        "duplicate key",
        METHODOLOGY,
        _replace("year: 2025\n", "year: 2025\nyear: 2025\n"),
        "line 7",
        "yaml_syntax",
    ),
    Case(
        "date where a year goes",
        METHODOLOGY,
        _replace("year: 2025\n", "year: 2025-02-30\n"),
        "year",
        "schema",
    ),
    # --- release.yaml
    Case(
        "impossible release date",
        RELEASE,
        _replace("release_date: 2025-10-02", "release_date: 2025-02-30"),
        "release_date",
        "invalid_release",
    ),
    Case(
        "impossible revision date",
        RELEASE,
        _replace("date: 2025-07-31", "date: 2025-02-30"),
        "revisions[0].date",
        "invalid_release",
    ),
    Case(
        "formula revision note",
        RELEASE,
        _replace("note: First public release.", "note: \"-1+1|cmd '/C calc'!A0\""),
        "revisions[1].note",
        "formula_like_text",
    ),
    Case(
        "plus in title",
        RELEASE,
        _replace("title: Digital", "title: +Digital"),
        "title",
        "formula_like_text",
    ),
    Case("alias in release", RELEASE, _prepend("x: &x 1\ny: *x\n"), "line 2", "yaml_alias"),
    Case("release not UTF-8", RELEASE, b"version: \xff\n", "line 1", "not_utf8"),
    # --- publication-policy.yaml
    Case(
        "formula policy reason text",
        POLICY,
        _replace("      Organisation-level detail", "      @Organisation-level detail"),
        "rules[0].reason",
        "formula_like_text",
    ),
    Case("alias in policy", POLICY, _prepend("x: &x 1\ny: *x\n"), "line 2", "yaml_alias"),
    Case("policy not UTF-8", POLICY, b"minimum_group_size: \xfe5\n", "line 1", "not_utf8"),
    # --- reference/reference.yaml
    Case(
        "formula description",
        REFERENCE_META,
        _replace("description: 'Demonstration", "description: '=Demonstration"),
        "description",
        "formula_like_text",
    ),
    Case(
        "alias in reference metadata",
        REFERENCE_META,
        _prepend("x: &x 1\ny: *x\n"),
        "line 2",
        "yaml_alias",
    ),
    Case(
        "impossible date in reference metadata",
        REFERENCE_META,
        _replace("is_demo: true", "is_demo: 2025-02-30"),
        "is_demo",
        "invalid_metadata",
    ),
    # --- reference/organisations.csv and regions.csv
    Case(
        "care settings ';'",
        ORGANISATIONS,
        _cell("care_settings", ";", row=43),
        "line 44, column care_settings",
        "missing_value",
    ),
    Case(
        "code CON",
        ORGANISATIONS,
        _cell("org_code", "CON", row=43),
        "line 44, column org_code",
        "reserved_code",
    ),
    Case(
        "code nul in lower case",
        ORGANISATIONS,
        _cell("org_code", "nul", row=43),
        "line 44, column org_code",
        "reserved_code",
    ),
    Case(
        "right-to-left override in a name",
        ORGANISATIONS,
        _cell("org_name", "Trust \u202eSHN", row=43),
        "line 44, column org_name",
        "hidden_character",
    ),
    Case(
        "tab-led name",
        ORGANISATIONS,
        _cell("org_name", "\t=1+1", row=43),
        "line 44, column org_name",
        "formula_like_text",
    ),
    Case(
        "minus-led name",
        ORGANISATIONS,
        _cell("org_name", "-2+3+cmd|' /C calc'!A0", row=43),
        "line 44, column org_name",
        "formula_like_text",
    ),
    Case(
        "region code AUX",
        REGIONS,
        _cell("region_code", "AUX"),
        "line 2, column region_code",
        "reserved_code",
    ),
    Case(
        "formula region name",
        REGIONS,
        _cell("region_name", "@London"),
        "line 2, column region_name",
        "formula_like_text",
    ),
]


def _apply(data: Path, case: Case) -> None:
    path = data / case.file
    if isinstance(case.edit, bytes):
        path.write_bytes(case.edit)
        return
    text = path.read_text(encoding="utf-8")
    edited = case.edit(text)
    path.write_bytes(edited.encode("utf-8", errors="surrogateescape"))


@pytest.fixture(scope="module")
def clean_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inputs without the returns (the faults stop the build before returns matter)."""
    data = tmp_path_factory.mktemp("clean") / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("dma-returns-*.csv"))
    (data / "returns").mkdir(exist_ok=True)
    return data


def _check_only(data: Path, tmp_path: Path):
    return CliRunner().invoke(
        cli,
        ["build", "--data", str(data), "--check-only", "--report", str(tmp_path / "report.csv")],
        catch_exceptions=True,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_exits_2_naming_file_place_and_rule(
    case: Case, clean_inputs: Path, tmp_path: Path
) -> None:
    data = Path(shutil.copytree(clean_inputs, tmp_path / "data"))
    _apply(data, case)
    result = _check_only(data, tmp_path)
    output = result.output
    assert result.exit_code == 2, output[-2000:]
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    line = next(x for x in output.splitlines() if x.startswith("error: "))
    assert Path(case.file).name in line, line
    assert case.where in line, line
    assert line.endswith(f"[{case.rule}]"), line
    assert len(output) < 3_000, f"{len(output):,} characters of output"


def test_alias_bomb_in_every_yaml_file_is_refused_quickly(
    clean_inputs: Path, tmp_path: Path
) -> None:
    """The 9-level bomb (9**9 strings if expanded) in each YAML input: refused, not expanded."""
    for name in (METHODOLOGY, RELEASE, POLICY, REFERENCE_META):
        data = Path(shutil.copytree(clean_inputs, tmp_path / name.replace("/", "_")))
        (data / name).write_text(ALIAS_BOMB, encoding="utf-8")
        result = _check_only(data, tmp_path)
        assert result.exit_code == 2 and "[yaml_alias]" in result.output, result.output[-500:]


# --- faults of one return: the return is rejected and reported, the build goes on ------------


@pytest.fixture(scope="module")
def returns_faults(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three faults in the 2025 returns file: a 2024 return in it, an answer of 200,000
    characters, and a line of spaces; built once with --check-only."""
    work = tmp_path_factory.mktemp("returns-faults")
    # without the release archive: the rejected returns change published values, and a change
    # beside a withheld value would stop the build at the comparison with the archived version
    data = Path(shutil.copytree(DATA, work / "data", ignore=shutil.ignore_patterns("releases")))
    path = data / RETURNS
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    keys = frame[["org_code", "care_setting"]].drop_duplicates().to_numpy().tolist()
    (year_org, year_setting), (long_org, long_setting) = keys[0], keys[1]
    moved = (frame["org_code"] == year_org) & (frame["care_setting"] == year_setting)
    frame.loc[moved, "year"] = "2024"
    first_long = frame.index[
        (frame["org_code"] == long_org) & (frame["care_setting"] == long_setting)
    ][0]
    frame.loc[first_long, "answer"] = "Y" * 200_000
    text = frame.to_csv(index=False, lineterminator="\n")
    lines = text.splitlines(keepends=True)
    lines.insert(5, "      \n")
    path.write_text("".join(lines), encoding="utf-8")
    result = _check_only(data, work)
    report = pd.read_csv(work / "report.csv", dtype=str, keep_default_na=False)
    return {
        "result": result,
        "report": report,
        "year_key": ("2024", year_org, year_setting),
        "long_key": ("2025", long_org, long_setting),
        "rows": len(frame)
        + len(pd.read_csv(data / "returns/dma-returns-2024.csv", dtype=str, keep_default_na=False)),
    }


def test_a_return_in_the_wrong_years_file_is_rejected(returns_faults: dict) -> None:
    result, report = returns_faults["result"], returns_faults["report"]
    assert result.exit_code == 0, result.output[-2000:]
    found = report[report["rule"] == "year_not_file_year"]
    year, org, setting = returns_faults["year_key"]
    assert set(found["org_code"]) == {org} and set(found["care_setting"]) == {setting}
    assert (found["severity"] == "error").all() and (found["value"] == year).all()
    assert found["message"].str.contains("dma-returns-2025.csv line").all()


def test_an_over_long_answer_rejects_its_return_not_the_build(returns_faults: dict) -> None:
    result, report = returns_faults["result"], returns_faults["report"]
    assert result.exit_code == 0, result.output[-2000:]
    found = report[report["rule"] == "answer_too_long"]
    _, org, setting = returns_faults["long_key"]
    assert found[["org_code", "care_setting"]].to_numpy().tolist() == [[org, setting]]
    assert "200,000 characters long" in found["message"].iloc[0]
    assert report["value"].str.len().max() < 300 and report["message"].str.len().max() <= 1_100
    assert len(result.output) < 20_000


def test_a_whitespace_only_line_is_skipped_and_counts_reconcile(returns_faults: dict) -> None:
    result = returns_faults["result"]
    assert result.exit_code == 0, result.output[-2000:]
    # every row of both files read (the line of spaces is no row), and the counts reconcile
    match = re.search(r"answer rows read (\d+) = scored (\d+) \+ rejected (\d+)", result.output)
    assert match, result.output[-2000:]
    read, scored, rejected = map(int, match.groups())
    assert read == returns_faults["rows"] == scored + rejected
