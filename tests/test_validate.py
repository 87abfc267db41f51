"""Validation: one test per rule (the message names file, row, column and rule), the reject-whole-
return policy, normalisation warnings, reconciliation and the removal of personal data."""

from __future__ import annotations

import mini
import pandas as pd
import pytest

from dma_publish.returns import ReturnsRead
from dma_publish.validate import (
    ANSWER_COLUMNS,
    ISSUE_COLUMNS,
    RETURN_STATUS_COLUMNS,
    ReconciliationError,
    Validated,
    check_reconciliation,
    format_summary,
    validate_returns,
    validation_report,
)

FILE = "dma-returns-2025.csv"
METHOD = mini.methodology()
REF = mini.reference()


def run(rows: pd.DataFrame) -> Validated:
    """Validate a rows frame against the mini methodology and reference."""
    return validate_returns(rows, METHOD, REF)


def good_rows(**rbb_overrides: str | None) -> list[list[tuple]]:
    """Two complete 2025 acute returns, RAA untouched and RBB with overrides."""
    return [
        mini.answers_for(2025, "RAA", "acute"),
        mini.answers_for(2025, "RBB", "acute", **rbb_overrides),
    ]


def last_line(rows: pd.DataFrame, org: str, question: str) -> int:
    """The line of the last row for this organisation and question (as written in the file)."""
    match = rows[(rows["org_code"] == org) & (rows["question_id"] == question)]
    return int(match["source_line"].iloc[-1])


RULE_CASES = [
    # rule, RBB overrides, extra rows, column, value, (org, question) locating the row or None
    ("invalid_year", {}, [("20x5", "RBB", "acute", "q_strategy", "Yes")], "year", "20x5", ("RBB", "q_strategy")),
    ("no_methodology", {}, [("2023", "RBB", "acute", "q_strategy", "Yes")], "year", "2023", ("RBB", "q_strategy")),
    ("unknown_organisation", {}, [(2025, "RZZ", "acute", "q_strategy", "Yes")], "org_code", "RZZ", ("RZZ", "q_strategy")),
    ("unknown_care_setting", {}, [(2025, "RBB", "dental", "q_strategy", "Yes")], "care_setting", "dental", ("RBB", "q_strategy")),
    ("care_setting_not_delivered", {}, [(2025, "RBB", "community", "q_strategy", "Yes")], "care_setting", "community", ("RBB", "q_strategy")),
    ("unknown_question", {}, [(2025, "RBB", "acute", "q_nope", "Yes")], "question_id", "q_nope", ("RBB", "q_nope")),
    ("question_not_in_year", {}, [(2024, "RAA", "community", "q_med", "EPMA")], "question_id", "q_med", ("RAA", "q_med")),
    ("question_not_for_care_setting", {}, [(2025, "RCC", "community", "q_med", "EPMA")], "question_id", "q_med", ("RCC", "q_med")),
    ("invalid_answer", {"q_strategy": "Maybe"}, [], "answer", "Maybe", ("RBB", "q_strategy")),
    ("invalid_answer", {"q_board": "Most"}, [], "answer", "Most", ("RBB", "q_board")),
    ("invalid_answer", {"q_board": '=HYPERLINK("http://x","All")'}, [], "answer", '=HYPERLINK("http://x","All")', ("RBB", "q_board")),
    ("invalid_answer", {"q_board": "@All"}, [], "answer", "@All", ("RBB", "q_board")),
    ("invalid_answer", {"q_med": "EPMA;Teleport"}, [], "answer", "EPMA;Teleport", ("RBB", "q_med")),
    ("invalid_answer", {"q_med": ";"}, [], "answer", ";", ("RBB", "q_med")),
    ("invalid_answer", {"q_pct": "fifty"}, [], "answer", "fifty", ("RBB", "q_pct")),
    ("invalid_answer", {"q_pct": "inf"}, [], "answer", "inf", ("RBB", "q_pct")),
    ("invalid_answer", {"q_context": "-two"}, [], "answer", "-two", ("RBB", "q_context")),
    ("out_of_range", {"q_pct": "100.5"}, [], "answer", "100.5", ("RBB", "q_pct")),
    ("out_of_range", {"q_pct": "-1"}, [], "answer", "-1", ("RBB", "q_pct")),
    ("out_of_range", {"q_context": "-0.01"}, [], "answer", "-0.01", ("RBB", "q_context")),
    ("out_of_range", {"q_med_n": "101"}, [], "answer", "101", ("RBB", "q_med_n")),
    ("duplicate_answer", {}, [(2025, "RBB", "acute", "q_board", "Some")], "question_id", "q_board", ("RBB", "q_board")),
    ("missing_required_answer", {"q_board": None}, [], "answer", "q_board", None),
    ("missing_required_answer", {"q_board": ""}, [], "answer", "q_board", ("RBB", "q_board")),
    ("missing_required_answer", {"q_strategy": "   "}, [], "answer", "q_strategy", ("RBB", "q_strategy")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "overrides", "extra", "column", "value", "locate"),
    RULE_CASES,
    ids=[f"{case[0]}-{case[4]}" for case in RULE_CASES],
)
def test_each_rule_names_file_row_column_value_and_rule(
    rule, overrides, extra, column, value, locate
) -> None:
    rows = mini.rows_frame(*good_rows(**overrides), extra)
    validated = run(rows)
    found = validated.issues[validated.issues["rule"] == rule]
    assert len(found) == 1, validated.issues[["rule", "message"]]
    issue = found.iloc[0]
    assert issue["severity"] == "error"
    assert issue["file"] == FILE and issue["column"] == column and issue["value"] == value
    message = issue["message"]
    assert (
        message.startswith(FILE) and f"column {column}" in message and message.endswith(f"[{rule}]")
    )
    if locate is None:
        assert pd.isna(issue["line"])
        assert "no row (the return is at lines" in message
    else:
        line = last_line(rows, *locate)
        assert issue["line"] == line and f"line {line}," in message
    # the return holding the fault is rejected whole; the clean RAA return still goes on
    assert validated.reconciliation["returns_rejected"] == 1
    assert (
        (validated.answers["org_code"] == "RAA") & (validated.answers["year"] == 2025)
    ).sum() == 7
    check_reconciliation(validated)


def test_formula_like_choice_answer_is_called_out() -> None:
    validated = run(mini.rows_frame(*good_rows(q_board="=1+2")))
    message = validated.issues.loc[validated.issues["rule"] == "invalid_answer", "message"].iloc[0]
    assert "allowed: None, Some, All" in message and "spreadsheet formula" in message


def test_range_boundaries_and_blank_optional_answers_are_valid() -> None:
    rows = mini.rows_frame(
        *good_rows(q_pct="100", q_context="0", q_med_n="100", q_plan=""),
        mini.answers_for(2025, "RAA", "community", q_pct="0", q_context="1e3", q_plan=None),
    )
    validated = run(rows)
    assert validated.issues.empty
    assert validated.reconciliation["returns_scored"] == 3
    blank = validated.answers[
        (validated.answers["org_code"] == "RBB") & (validated.answers["question_id"] == "q_plan")
    ]
    assert blank["answer"].tolist() == [""]


def test_error_rejects_the_whole_return_and_only_that_return() -> None:
    rows = mini.rows_frame(*good_rows(q_pct="150"), mini.answers_for(2025, "QAA", "icb"))
    validated = run(rows)
    assert "RBB" not in set(validated.answers["org_code"])
    status = validated.returns.set_index(["org_code", "care_setting"])
    assert status.loc[("RBB", "acute"), "status"] == "rejected"
    assert (
        status.loc[("RBB", "acute"), "n_rows"] == 7
        and status.loc[("RBB", "acute"), "n_errors"] == 1
    )
    assert (
        status.loc[("RAA", "acute"), "status"] == "scored"
        and status.loc[("QAA", "icb"), "status"] == "scored"
    )


def test_codes_with_spaces_or_wrong_case_are_normalised_with_a_warning() -> None:
    rows = mini.rows_frame(mini.answers_for(2025, "RBB", "acute"))
    rows.loc[0, ["org_code", "care_setting", "question_id"]] = [" rbb", "Acute ", "Q_STRATEGY"]
    rows.loc[:, "year"] = rows["year"].where(rows.index != 1, " 2025 ")
    validated = run(rows)
    assert set(validated.issues["severity"]) == {"warning"}
    warned = validated.issues.set_index(["line", "column"])
    assert warned.loc[(2, "org_code"), "rule"] == "normalised_code"
    assert "' rbb' read as 'RBB'" in warned.loc[(2, "org_code"), "message"]
    assert warned.loc[(2, "care_setting"), "value"] == "Acute "
    assert warned.loc[(3, "year"), "value"] == " 2025 "
    assert (
        validated.reconciliation["returns_read"] == 1
        and validated.reconciliation["returns_scored"] == 1
    )
    assert set(validated.answers["org_code"]) == {"RBB"} and "q_strategy" in set(
        validated.answers["question_id"]
    )


def test_choice_answers_are_matched_ignoring_case_and_spaces() -> None:
    rows = mini.rows_frame(
        good_rows(q_strategy="yes", q_board=" all ", q_med="interop ; EPMA;;epma")[1]
    )
    validated = run(rows)
    assert set(validated.issues["rule"]) == {"normalised_answer"}
    answers = validated.answers.set_index("question_id")["answer"]
    assert answers["q_strategy"] == "Yes" and answers["q_board"] == "All"
    assert answers["q_med"] == "Interop;EPMA"


def test_bad_submission_time_is_only_a_warning() -> None:
    rows = mini.rows_frame(mini.answers_for(2025, "RBB", "acute"))
    rows.loc[3, "submitted_at"] = "yesterday"
    validated = run(rows)
    assert validated.issues["rule"].tolist() == ["invalid_submitted_at"]
    assert validated.issues["severity"].tolist() == ["warning"]
    assert validated.reconciliation["returns_scored"] == 1


def test_file_level_notices_become_warnings() -> None:
    rows = mini.rows_frame(mini.answers_for(2025, "RBB", "acute"))
    notices = pd.DataFrame(
        [
            {
                "file": FILE,
                "line": 8,
                "column": "",
                "value": "",
                "rule": "missing_final_newline",
                "message": "m",
            }
        ]
    )
    validated = validate_returns(
        ReturnsRead(rows=rows, files=(FILE,), notices=notices), METHOD, REF
    )
    assert validated.issues["rule"].tolist() == ["missing_final_newline"]
    assert validated.issues["severity"].tolist() == ["warning"]


def test_reconciliation_with_injected_bad_rows() -> None:
    rows = mini.rows_frame(
        mini.answers_for(2025, "RAA", "acute"),  # 7 rows, scored
        mini.answers_for(2025, "RAA", "community"),  # 5 rows, scored
        mini.answers_for(2025, "RBB", "acute", q_pct="500"),  # 7 rows, rejected
        [
            (2025, "RZZ", "acute", "q_strategy", "Yes"),
            (2025, "RZZ", "acute", "q_board", "All"),
        ],  # rejected
        [("2099", "RCC", "community", "q_strategy", "Yes")],  # no methodology, rejected
    )
    validated = run(rows)
    assert validated.reconciliation == {
        "rows_read": 22,
        "rows_scored": 12,
        "rows_rejected": 10,
        "returns_read": 5,
        "returns_scored": 2,
        "returns_rejected": 3,
        "errors": 5,  # 2099 in dma-returns-2025.csv: no methodology, and not the file's year
        "warnings": 0,
    }
    check_reconciliation(validated)
    broken = Validated(
        answers=validated.answers.iloc[1:],
        issues=validated.issues,
        returns=validated.returns,
        reconciliation=validated.reconciliation,
    )
    with pytest.raises(ReconciliationError, match="rows scored = valid answer rows"):
        check_reconciliation(broken)
    assert issubclass(ReconciliationError, AssertionError)


def test_personal_data_never_leaves_validation() -> None:
    rows = mini.rows_frame(*good_rows(q_board="Most"))
    validated = run(rows)
    assert list(validated.answers.columns) == list(ANSWER_COLUMNS)
    for frame in (validated.answers, validated.issues, validated.returns):
        text = frame.astype(str).to_csv()
        assert "Ann Example" not in text and "ann@example.nhs.uk" not in text
        assert "submitter" not in " ".join(frame.columns)


def test_frame_shapes_and_types() -> None:
    validated = run(mini.rows_frame(*good_rows(q_pct="x")))
    assert list(validated.issues.columns) == list(ISSUE_COLUMNS)
    assert list(validated.returns.columns) == list(RETURN_STATUS_COLUMNS)
    assert (
        str(validated.issues["line"].dtype) == "Int64"
        and str(validated.issues["year"].dtype) == "Int64"
    )
    assert validated.answers["year"].dtype == "int64"
    keys = ["year", "org_code", "care_setting", "question_id"]
    assert validated.answers.equals(validated.answers.sort_values(keys).reset_index(drop=True))


def test_shuffled_rows_give_the_same_result() -> None:
    rows = mini.rows_frame(
        *good_rows(q_pct="x"), mini.answers_for(2025, "RAA", "community", q_board="some")
    )
    first = run(rows)
    second = run(rows.sample(frac=1, random_state=7))
    pd.testing.assert_frame_equal(first.answers, second.answers)
    pd.testing.assert_frame_equal(first.issues, second.issues)
    pd.testing.assert_frame_equal(first.returns, second.returns)


def test_summary_and_spreadsheet_safe_report() -> None:
    validated = run(mini.rows_frame(*good_rows(q_board="=cmd()")))
    summary = format_summary(validated)
    assert "Returns read: 2 (14 answer rows)" in summary
    assert "rejected: 1 returns (7 rows)" in summary and "invalid_answer 1" in summary
    report = validation_report(validated)
    assert report["value"].tolist() == ["'=cmd()"]
    assert validated.issues["value"].tolist() == [
        "=cmd()"
    ]  # the frame itself keeps the text as read


def test_no_rows_validates_to_empty_frames() -> None:
    validated = run(mini.rows_frame([]))
    assert validated.answers.empty and validated.issues.empty and validated.returns.empty
    check_reconciliation(validated)
