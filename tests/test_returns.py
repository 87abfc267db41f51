"""Reading returns files: rows with their source, and structural faults refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dma_publish.errors import InputError
from dma_publish.returns import RETURN_COLUMNS, parse_returns_text, read_returns

FIXTURES = Path(__file__).parent / "data" / "returns"


def test_reads_rows_with_source_file_and_line() -> None:
    read = read_returns([FIXTURES / "good.csv"])
    rows = read.rows
    assert list(rows.columns) == [*RETURN_COLUMNS, "source_file", "source_line"]
    assert rows["source_line"].tolist() == [2, 3]
    assert rows["source_file"].unique().tolist() == [str(FIXTURES / "good.csv")]
    assert rows.loc[1, "submitter_name"] == "Example, Ann"  # quoted comma kept in one field
    assert rows["year"].tolist() == ["2025", "2025"]  # values stay text for validation
    assert read.notices.empty


def test_stacks_files_in_the_order_given() -> None:
    read = read_returns([FIXTURES / "good.csv", FIXTURES / "bom_no_final_newline.csv"])
    assert len(read.rows) == 4
    assert read.files == (str(FIXTURES / "good.csv"), str(FIXTURES / "bom_no_final_newline.csv"))


def test_byte_order_mark_accepted_and_missing_final_newline_is_a_warning() -> None:
    read = read_returns([FIXTURES / "bom_no_final_newline.csv"])
    assert read.rows["year"].tolist() == ["2025", "2025"]
    assert read.notices["rule"].tolist() == ["missing_final_newline"]
    assert read.notices["line"].tolist() == [3]


def test_line_numbers_count_physical_lines_when_a_field_spans_lines() -> None:
    text = (
        "year,org_code,care_setting,question_id,answer,submitted_at,submitter_name,submitter_email\n"
        '2025,RAA,acute,q_a,"two\nlines",t,n,e\n'
        "\n"
        "2025,RAA,acute,q_b,x,t,n,e\n"
    )
    frame, _ = parse_returns_text("f.csv", text.encode())
    assert frame["source_line"].tolist() == [2, 5]
    assert frame.loc[0, "answer"] == "two\nlines"


def test_header_columns_in_another_order_or_case_are_matched_by_name() -> None:
    text = "ORG_CODE,year,care_setting,question_id,answer,submitted_at,submitter_name,submitter_email\nRAA,2025,acute,q,a,t,n,e\n"
    frame, _ = parse_returns_text("f.csv", text.encode())
    assert frame.loc[0, "org_code"] == "RAA" and frame.loc[0, "year"] == "2025"


@pytest.mark.parametrize(
    ("fixture", "rule", "location"),
    [
        ("not_utf8.csv", "not_utf8", "line 3"),
        ("empty.csv", "empty_file", "line 1"),
        ("missing_column.csv", "missing_column", "line 1, column 'submitted_at'"),
        ("unknown_column.csv", "unknown_column", "line 1, column 'org_name'"),
        ("truncated_last_line.csv", "truncated_last_line", "line 3"),
        ("unterminated_quote.csv", "truncated_last_line", "line 3"),
        ("wrong_field_count.csv", "wrong_field_count", "line 2"),
    ],
)
def test_structural_faults_raise_input_error_naming_file_location_and_rule(
    fixture: str, rule: str, location: str
) -> None:
    path = FIXTURES / fixture
    with pytest.raises(InputError) as caught:
        read_returns([path])
    error = caught.value
    assert error.rule == rule
    assert error.file == str(path)
    assert error.location == location
    assert str(path) in str(error) and f"[{rule}]" in str(error)


def test_whitespace_only_file_is_empty() -> None:
    with pytest.raises(InputError, match="empty_file"):
        parse_returns_text("blank.csv", b"\n \n")


def test_header_only_file_has_no_rows() -> None:
    header = ",".join(RETURN_COLUMNS) + "\n"
    frame, notices = parse_returns_text("h.csv", header.encode())
    assert frame.empty and not notices


def test_repeated_column_is_refused() -> None:
    header = ",".join([*RETURN_COLUMNS, "year"]) + "\n"
    with pytest.raises(InputError) as caught:
        parse_returns_text("d.csv", header.encode())
    assert caught.value.rule == "duplicate_column"


def test_no_files_gives_an_empty_table() -> None:
    read = read_returns([])
    assert read.rows.empty and list(read.rows.columns)[-2:] == ["source_file", "source_line"]
