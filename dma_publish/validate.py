"""Validate returns against the methodology and the organisation reference (a pure stage).

Tables in, valid answer rows and a report out. Every problem becomes one issue row naming the
file, line, column, value and rule. A return (one organisation, care setting and year) with any
error is rejected whole; the others go on to scoring. Submitter names and emails stop here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dma_publish.returns import NOTICE_COLUMNS, RETURN_COLUMNS, ReturnsRead
from dma_publish.vocab import MESSAGE_CHARS, is_formula_like, quote_formula

ISSUE_COLUMNS: tuple[str, ...] = (
    "severity",
    "file",
    "line",
    "column",
    "value",
    "rule",
    "message",
    "year",
    "org_code",
    "care_setting",
)
ANSWER_COLUMNS: tuple[str, ...] = ("year", "org_code", "care_setting", "question_id", "answer")
RETURN_KEY: tuple[str, ...] = ("year", "org_code", "care_setting")
RETURN_STATUS_COLUMNS: tuple[str, ...] = (*RETURN_KEY, "status", "n_rows", "n_errors")

# Codes are compared after stripping spaces and fixing case (with a warning).
_CODE_CASE = {"year": None, "org_code": "upper", "care_setting": "lower", "question_id": "lower"}
_CHOICE_TYPES = ("yes_no", "single_choice", "multiple_choice")
MAX_ANSWER_CHARS = 1_000  # no answer type needs more: a longer answer is refused
MAX_REPORTED_CHARS = 200  # the most of a value the validation report quotes
_NUMERIC_TYPES = ("percentage", "number")
_INTERNAL_ISSUE_COLUMNS = (*ISSUE_COLUMNS, "year_key")


@dataclass(frozen=True)
class Validated:
    """What validation hands on: valid answers, the issues, each return's fate, the counts."""

    answers: pd.DataFrame
    issues: pd.DataFrame
    returns: pd.DataFrame
    reconciliation: dict[str, int]


class ReconciliationError(AssertionError):
    """Rows or returns read do not equal those scored plus those rejected."""


def validate_returns(
    returns: ReturnsRead | pd.DataFrame, methodology_frames: Any, reference: Any
) -> Validated:
    """Check every answer row; reject whole returns with errors; drop personal data."""
    rows, notices = _rows_and_notices(returns)
    work, parts = _normalise(rows)
    work = _attach_questions(work, methodology_frames.questions)
    parts += [_notice_issues(notices)]
    parts += _check_keys(work, methodology_frames, reference)
    answer_parts, canonical = _check_answers(work, methodology_frames.questions)
    parts += answer_parts
    work["answer"] = canonical
    parts += [_check_duplicates(work), _check_required(work, methodology_frames, reference)]
    parts += [_check_submitted_at(work), _check_length(work)]
    issues = _finish_issues(parts)
    status = _return_status(work, issues)
    rejected = status.loc[status["status"] == "rejected", ["year_key", "org_code", "care_setting"]]
    keep = ~_key_in(work, rejected)
    answers = _answers(work[keep])
    reconciliation = {
        "rows_read": len(work),
        "rows_scored": len(answers),
        "rows_rejected": int((~keep).sum()),
        "returns_read": len(status),
        "returns_scored": int((status["status"] == "scored").sum()),
        "returns_rejected": int((status["status"] == "rejected").sum()),
        "errors": int((issues["severity"] == "error").sum()),
        "warnings": int((issues["severity"] == "warning").sum()),
    }
    return Validated(
        answers=answers,
        issues=issues.drop(columns="year_key").reset_index(drop=True),
        returns=status.drop(columns="year_key").reset_index(drop=True),
        reconciliation=reconciliation,
    )


def check_reconciliation(validated: Validated) -> None:
    """Raise `ReconciliationError` unless read = scored + rejected, for rows and for returns."""
    counts = validated.reconciliation
    returns = validated.returns
    scored = returns["status"] == "scored"
    checks = {
        "rows read = rows scored + rows rejected": counts["rows_read"]
        == counts["rows_scored"] + counts["rows_rejected"],
        "returns read = returns scored + returns rejected": counts["returns_read"]
        == counts["returns_scored"] + counts["returns_rejected"],
        "rows scored = valid answer rows": counts["rows_scored"] == len(validated.answers),
        "rows scored = rows of scored returns": counts["rows_scored"]
        == int(returns.loc[scored, "n_rows"].sum()),
        "rows read = rows of all returns": counts["rows_read"] == int(returns["n_rows"].sum()),
        "returns scored = returns with no error": counts["returns_scored"]
        == int((scored & (returns["n_errors"] == 0)).sum()),
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise ReconciliationError(
            f"validation counts do not reconcile: {'; '.join(failed)} ({counts})"
        )


def format_summary(validated: Validated) -> str:
    """A short plain-text summary of validation for the terminal."""
    counts = validated.reconciliation
    lines = [
        f"Returns read: {counts['returns_read']:,} ({counts['rows_read']:,} answer rows)",
        f"  scored:   {counts['returns_scored']:,} returns ({counts['rows_scored']:,} rows)",
        f"  rejected: {counts['returns_rejected']:,} returns ({counts['rows_rejected']:,} rows)",
    ]
    for severity in ("error", "warning"):
        found = validated.issues[validated.issues["severity"] == severity]
        by_rule = found["rule"].value_counts().sort_index()
        detail = ", ".join(f"{rule} {n:,}" for rule, n in by_rule.items())
        lines.append(f"  {severity}s: {len(found):,}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines)


def validation_report(validated: Validated) -> pd.DataFrame:
    """The issues frame made safe to open in a spreadsheet: every text cell a spreadsheet would
    run as a formula (raw answers, codes, file names) is quoted with a leading apostrophe."""
    report = validated.issues.copy()
    for column in report.columns:
        if report[column].dtype == object:
            text = report[column].fillna("").astype(str)
            report[column] = text.map(quote_formula)
    return report


# --- reading the input ------------------------------------------------------------------------


def _rows_and_notices(returns: ReturnsRead | pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accept a `ReturnsRead` or a bare rows frame (for tests and callers that build their own)."""
    if isinstance(returns, ReturnsRead):
        return returns.rows, returns.notices
    return returns, pd.DataFrame(columns=list(NOTICE_COLUMNS))


def _normalise(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Strip and re-case codes (warning when that changed them); keep the raw text for reports."""
    work = pd.DataFrame(
        {
            "row_id": np.arange(len(rows)),
            "file": rows["source_file"].astype(str).to_numpy(),
            "line": rows["source_line"].astype("int64").to_numpy(),
        }
    )
    for column in (*RETURN_COLUMNS[:6],):
        work[f"raw_{column}"] = _per_value(rows[column].fillna(""), str).to_numpy()
    for column, case in _CODE_CASE.items():
        clean = _per_value(work[f"raw_{column}"], str.strip)
        work[column] = _per_value(
            clean, str.upper if case == "upper" else str.lower if case else str
        )
    work["year_key"] = work["year"]
    parts: list[pd.DataFrame] = []
    for column in _CODE_CASE:
        changed = work[work[column] != work[f"raw_{column}"]]
        detail = "'" + changed[f"raw_{column}"] + "' read as '" + changed[column] + "'"
        parts.append(_issues(changed, "normalised_code", column, detail, severity="warning"))
    is_year = work["year"].str.fullmatch(r"\d{4}")
    work["year_num"] = (
        pd.to_numeric(work["year"].where(is_year), errors="coerce").fillna(-1).astype("int64")
    )
    work["answer"] = _per_value(work["raw_answer"], str.strip)
    return work, parts


def _per_value(column: pd.Series, function: Any) -> pd.Series:
    """Apply a string function once per distinct value (codes and answers repeat a lot).

    The result shares one string object per distinct value, so a million rows cost little memory.
    """
    values = pd.unique(column.to_numpy())
    mapping = {value: function(value) for value in values}
    return pd.Series(
        [mapping[value] for value in column.to_numpy()], index=column.index, dtype=object
    )


def _attach_questions(work: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Join each row to its question in that year's methodology (NaN where there is none)."""
    wanted = [
        "year",
        "question_id",
        "answer_type",
        "options",
        "min_value",
        "max_value",
        "is_required",
    ]
    found = questions[wanted].rename(columns={"year": "year_num"})
    found = found.assign(q_settings=questions["care_settings"].to_numpy(), has_question=True)
    merged = work.merge(found, on=["year_num", "question_id"], how="left", validate="many_to_one")
    merged["has_question"] = merged["has_question"].eq(True)
    return merged


# --- the rules ----------------------------------------------------------------------------------


def _check_keys(work: pd.DataFrame, methodology_frames: Any, reference: Any) -> list[pd.DataFrame]:
    """Year, organisation, care setting and question: known, and belonging together."""
    years = set(methodology_frames.questions["year"].astype(int)) | set(
        methodology_frames.domains["year"].astype(int)
    )
    orgs = reference.organisations
    delivered = _explode_pairs(orgs, "org_code", "care_settings", "care_setting")
    settings = set(methodology_frames.care_settings["care_setting"])
    year_ok = work["year_num"] >= 0
    has_method = work["year_num"].isin(years)
    org_ok = work["org_code"].isin(orgs["org_code"])
    setting_ok = work["care_setting"].isin(settings)
    delivers = _key_in(work, delivered)
    known_question = work["question_id"].isin(methodology_frames.questions["question_id"])
    asked = _setting_in_tuple(work["care_setting"], work["q_settings"])
    file_year = _per_value(work["file"], _file_year).astype(float)
    rules = [
        ("invalid_year", "year", ~year_ok, "the year is not a four-digit year"),
        (
            "year_not_file_year",
            "year",
            year_ok & file_year.notna() & work["year_num"].ne(file_year),
            "the year differs from the year in the file's name (dma-returns-YYYY.csv holds YYYY)",
        ),
        ("no_methodology", "year", year_ok & ~has_method, "there is no methodology for this year"),
        (
            "unknown_organisation",
            "org_code",
            ~org_ok,
            "the organisation code is not in the reference",
        ),
        (
            "unknown_care_setting",
            "care_setting",
            ~setting_ok,
            "the care setting is not one the methodology defines",
        ),
        (
            "care_setting_not_delivered",
            "care_setting",
            org_ok & setting_ok & ~delivers,
            "the organisation does not deliver this care setting",
        ),
        (
            "unknown_question",
            "question_id",
            ~known_question,
            "the question is in no year's methodology",
        ),
        (
            "question_not_in_year",
            "question_id",
            has_method & known_question & ~work["has_question"],
            "the question is not in this year's methodology",
        ),
        (
            "question_not_for_care_setting",
            "question_id",
            work["has_question"] & setting_ok & ~asked,
            "the question is not in this care setting's survey",
        ),
    ]
    parts = []
    for rule, column, mask, text in rules:
        found = work[mask]
        parts.append(_issues(found, rule, column, "'" + found[f"raw_{column}"] + "': " + text))
    return parts


def _file_year(file: str) -> float:
    """The year a returns file's name gives (dma-returns-2025.csv: 2025), else NaN."""
    match = re.search(r"dma-returns-(\d{4})\.csv$", str(file))
    return float(match.group(1)) if match else float("nan")


def _check_length(work: pd.DataFrame) -> pd.DataFrame:
    """No answer is longer than MAX_ANSWER_CHARS: a longer one rejects its return."""
    length = work["raw_answer"].str.len()
    found = work[length > MAX_ANSWER_CHARS]
    if found.empty:
        return _issues(found, "answer_too_long", "answer", "")
    detail = (
        "the answer is " + length[found.index].map("{:,}".format) + " characters long; at most "
        f"{MAX_ANSWER_CHARS:,} are allowed"
    )
    return _issues(found, "answer_too_long", "answer", detail)


def _check_answers(
    work: pd.DataFrame, questions: pd.DataFrame
) -> tuple[list[pd.DataFrame], pd.Series]:
    """Answers allowed for the question's type and options, numbers within range.

    Also returns each row's answer in canonical form (options spelt as in the methodology).
    """
    canonical, valid = _canonical_choices(work, questions)
    answered = work["has_question"] & work["answer"].ne("")
    is_choice = work["answer_type"].isin(_CHOICE_TYPES)
    is_numeric = work["answer_type"].isin(_NUMERIC_TYPES)
    number = pd.to_numeric(work["answer"].where(is_numeric), errors="coerce")
    finite = np.isfinite(number.to_numpy(dtype=float))
    low = work["min_value"].where(work["min_value"].notna(), _default_bound(work, 0.0))
    high = work["max_value"].where(work["max_value"].notna(), _default_bound(work, 100.0))
    outside = (number < low) | (number > high)
    bad_choice = answered & is_choice & ~valid
    bad_number = answered & is_numeric & ~finite
    parts = [
        _issues(work[bad_choice], "invalid_answer", "answer", _choice_detail(work[bad_choice])),
        _issues(
            work[bad_number],
            "invalid_answer",
            "answer",
            "'"
            + work.loc[bad_number, "raw_answer"]
            + "' is not a number"
            + _formula_note(work[bad_number]),
        ),
    ]
    out = work[answered & is_numeric & finite & outside]
    detail = (
        "'"
        + out["raw_answer"]
        + "' is outside the allowed range "
        + low[out.index].map(_fmt_bound)
        + " to "
        + high[out.index].map(_fmt_bound)
    )
    parts.append(_issues(out, "out_of_range", "answer", detail))
    fixed = answered & is_choice & valid & canonical.ne(work["answer"])
    changed = work[fixed]
    note = "'" + changed["raw_answer"] + "' read as '" + canonical[fixed] + "'"
    parts.append(_issues(changed, "normalised_answer", "answer", note, severity="warning"))
    return parts, canonical.where(answered & is_choice & valid, work["answer"])


def _check_duplicates(work: pd.DataFrame) -> pd.DataFrame:
    """A second answer to the same question in the same return (every extra one is an error)."""
    key = ["year_key", "org_code", "care_setting", "question_id"]
    extra = work.duplicated(key, keep="first")
    first_line = work.groupby(key, sort=False)["line"].transform("first")
    found = work[extra]
    detail = (
        "question '"
        + found["question_id"]
        + "' is answered again (first answered at line "
        + first_line[extra].astype(str)
        + ")"
    )
    return _issues(found, "duplicate_answer", "question_id", detail)


def _check_required(work: pd.DataFrame, methodology_frames: Any, reference: Any) -> pd.DataFrame:
    """A required question with no answer in an otherwise identifiable return: an incomplete return."""
    delivered = _explode_pairs(reference.organisations, "org_code", "care_settings", "care_setting")
    eligible = work[(work["year_num"] >= 0) & _key_in(work, delivered)]
    spans = eligible.groupby(
        ["year_key", "year_num", "org_code", "care_setting"], as_index=False
    ).agg(file=("file", "first"), first_line=("line", "min"), last_line=("line", "max"))
    questions = methodology_frames.questions
    required = _explode_pairs(
        questions[questions["is_required"].astype(bool)].rename(columns={"year": "year_num"}),
        ["year_num", "question_id"],
        "care_settings",
        "care_setting",
    )
    needed = spans.merge(required, on=["year_num", "care_setting"])
    answered = eligible.loc[
        eligible["answer"].ne(""), ["year_key", "org_code", "care_setting", "question_id"]
    ]
    missing = needed[~_key_in(needed, answered.drop_duplicates())]
    blank = eligible.loc[
        eligible["answer"].eq(""), ["year_key", "org_code", "care_setting", "question_id", "line"]
    ]
    missing = missing.merge(
        blank.drop_duplicates(["year_key", "org_code", "care_setting", "question_id"]),
        on=["year_key", "org_code", "care_setting", "question_id"],
        how="left",
    )
    missing = missing.assign(line=missing["line"].astype("Int64"))
    span = "no row (the return is at lines " + missing["first_line"].astype(str)
    span = span + "-" + missing["last_line"].astype(str) + ")"
    detail = "required question '" + missing["question_id"] + "' has no answer"
    return _issues(
        missing,
        "missing_required_answer",
        "answer",
        detail,
        value=missing["question_id"],
        no_row=span,
    )


def _check_submitted_at(work: pd.DataFrame) -> pd.DataFrame:
    """A submission time that is not ISO 8601 is worth a warning; it does not affect scores."""
    parsed = pd.to_datetime(
        work["raw_submitted_at"].str.strip(), format="ISO8601", errors="coerce", utc=True
    )
    found = work[parsed.isna()]
    detail = "'" + found["raw_submitted_at"] + "' is not an ISO 8601 date and time"
    return _issues(found, "invalid_submitted_at", "submitted_at", detail, severity="warning")


def _notice_issues(notices: pd.DataFrame) -> pd.DataFrame:
    """File-level warnings from reading the CSV, in the issues shape."""
    frame = notices.reindex(columns=list(NOTICE_COLUMNS)).assign(severity="warning")
    frame["line"] = frame["line"].astype("Int64")
    return frame.reindex(columns=list(_INTERNAL_ISSUE_COLUMNS))


# --- helpers ------------------------------------------------------------------------------------


def _canonical_choices(work: pd.DataFrame, questions: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Match choice answers to the options ignoring case and spaces: canonical text and validity."""
    choice = work[work["answer_type"].isin(_CHOICE_TYPES) & work["answer"].ne("")]
    multi = choice["answer_type"].eq("multiple_choice")
    key = ["row_id", "year_num", "question_id"]
    single = choice.loc[~multi, [*key, "answer"]].rename(columns={"answer": "part"})
    several = (
        choice.loc[multi, key]
        .assign(part=choice.loc[multi, "answer"].str.split(";"))
        .explode("part")
    )
    several = several[several["part"].str.strip().ne("")]
    parts = pd.concat([single, several], ignore_index=True)
    parts["key"] = parts["part"].str.strip().str.lower()
    matched = parts.merge(
        _option_lookup(questions), on=["year_num", "question_id", "key"], how="left"
    )
    counts = matched.groupby("row_id")["option"].agg(["count", "size"])
    valid = work["row_id"].map(counts["count"] == counts["size"]).eq(True)
    # Rebuild the text only where it changes: case or spaces, repeated or empty options.
    gaps = choice.loc[multi & choice["answer"].str.contains(r"(?:^|;)\s*(?:;|$)"), "row_id"]
    redo = matched["option"].ne(matched["part"]) | matched.duplicated(["row_id", "option"])
    redo_ids = set(matched.loc[redo, "row_id"]) | set(gaps)
    fixed = matched[matched["row_id"].isin(redo_ids)].drop_duplicates(["row_id", "option"])
    joined = fixed.dropna(subset=["option"]).groupby("row_id")["option"].agg(";".join)
    canonical = work["row_id"].map(joined).fillna(work["answer"])
    return canonical, valid


def _option_lookup(questions: pd.DataFrame) -> pd.DataFrame:
    """One row per allowed option of each choice question, keyed by its lower-case text."""
    lookup = questions[["year", "question_id", "answer_type", "options"]]
    yes_no = lookup["answer_type"].eq("yes_no") & lookup["options"].map(len).eq(0)
    options = lookup["options"].where(
        ~yes_no, pd.Series([("Yes", "No")] * len(lookup), index=lookup.index)
    )
    lookup = lookup.assign(option=options).explode("option").dropna(subset=["option"])
    lookup = lookup.assign(key=lookup["option"].str.strip().str.lower(), year_num=lookup["year"])
    return lookup.drop_duplicates(["year_num", "question_id", "key"])[
        ["year_num", "question_id", "key", "option"]
    ]


def _choice_detail(found: pd.DataFrame) -> pd.Series:
    """Say why a choice answer is refused, listing the allowed options."""
    options = (
        found.apply(
            lambda row: "Yes, No"
            if row["answer_type"] == "yes_no" and not row["options"]
            else ", ".join(row["options"]),
            axis=1,
        )
        if len(found)
        else pd.Series(dtype=object)
    )
    return (
        "'"
        + found["raw_answer"]
        + "' is not an allowed answer (allowed: "
        + options
        + ")"
        + _formula_note(found)
    )


def _formula_note(found: pd.DataFrame) -> pd.Series:
    """A note for answers that look like spreadsheet formulas, which are never valid answers."""
    text = found["answer"]
    looks = text.map(is_formula_like).astype(bool)
    return looks.map({True: "; it looks like a spreadsheet formula", False: ""}).astype(object)


def _default_bound(work: pd.DataFrame, value: float) -> pd.Series:
    """Percentages are 0 to 100 unless the methodology says otherwise; numbers are unbounded."""
    unbounded = -np.inf if value == 0.0 else np.inf
    return pd.Series(
        np.where(work["answer_type"].eq("percentage"), value, unbounded), index=work.index
    )


def _fmt_bound(value: float) -> str:
    """A range bound for a message: whole numbers without a decimal point."""
    if not np.isfinite(value):
        return "any"
    return f"{value:g}"


def _issues(
    rows: pd.DataFrame,
    rule: str,
    column: str,
    detail: pd.Series | str,
    *,
    severity: str = "error",
    value: pd.Series | None = None,
    no_row: pd.Series | str = "no row",
) -> pd.DataFrame:
    """Issue rows for `rows`; the message names file, line, column, the problem and the rule.

    `no_row` says where to look when the problem is a row that is missing (line is NA).
    """
    if rows.empty:
        return pd.DataFrame(columns=list(_INTERNAL_ISSUE_COLUMNS))
    line = rows["line"].astype("Int64")
    where = ("line " + line.astype(str)).where(line.notna(), no_row)
    message = rows["file"] + " " + where + ", column " + column + ": " + detail + " [" + rule + "]"
    return pd.DataFrame(
        {
            "severity": severity,
            "file": rows["file"],
            "line": line,
            "column": column,
            "value": rows[f"raw_{column}"] if value is None else value,
            "rule": rule,
            "message": message,
            "year": pd.NA,
            "org_code": rows["org_code"],
            "care_setting": rows["care_setting"],
            "year_key": rows["year_key"],
        },
        columns=list(_INTERNAL_ISSUE_COLUMNS),
    )


def _finish_issues(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack the issue parts, type the columns and sort by where the problem is."""
    parts = [part for part in parts if len(part)]
    issues = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=list(_INTERNAL_ISSUE_COLUMNS))
    )
    issues["line"] = issues["line"].astype("Int64")
    is_year = issues["year_key"].fillna("").astype(str).str.fullmatch(r"\d{4}")
    issues["year"] = pd.to_numeric(issues["year_key"].where(is_year), errors="coerce").astype(
        "Int64"
    )
    for column in ("file", "column", "value", "rule", "message", "severity"):
        issues[column] = issues[column].fillna("").astype(str)
    for column, limit in (("value", MAX_REPORTED_CHARS), ("message", MESSAGE_CHARS)):
        issues[column] = _cut(issues[column], limit)
    order = ["file", "line", "column", "rule", "value", "severity"]
    return issues.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)


def _cut(text: pd.Series, limit: int) -> pd.Series:
    """Text longer than `limit` cut there, saying how long it was (reports stay readable)."""
    length = text.str.len()
    long = length > limit
    if not long.any():
        return text
    cut = (
        text[long].str.slice(0, limit) + "... (" + length[long].map("{:,}".format) + " characters)"
    )
    return text.where(~long, cut)


def _return_status(work: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """One row per return: scored or rejected, with its row and error counts."""
    key = ["year_key", "org_code", "care_setting"]
    sizes = work.groupby(key).size().rename("n_rows")
    errors = issues[issues["severity"] == "error"].groupby(key).size().rename("n_errors")
    status = pd.concat([sizes, errors], axis=1).fillna(0).astype("int64").reset_index()
    status = status[status["n_rows"] > 0]
    status["status"] = np.where(status["n_errors"] > 0, "rejected", "scored")
    is_year = status["year_key"].str.fullmatch(r"\d{4}")
    status["year"] = pd.to_numeric(status["year_key"].where(is_year), errors="coerce").astype(
        "Int64"
    )
    status = status.sort_values([*RETURN_KEY, "year_key"], na_position="last", kind="stable")
    return status[["year_key", *RETURN_STATUS_COLUMNS]]


def _answers(kept: pd.DataFrame) -> pd.DataFrame:
    """The valid answer rows, typed and sorted, with no personal data and no source columns."""
    answers = kept.assign(year=kept["year_num"].astype("int64"))[list(ANSWER_COLUMNS)]
    answers = answers.astype({column: str for column in ANSWER_COLUMNS[1:]})
    return answers.sort_values(list(ANSWER_COLUMNS[:4]), kind="stable").reset_index(drop=True)


def _explode_pairs(
    frame: pd.DataFrame, key: str | list[str], tuple_column: str, name: str
) -> pd.DataFrame:
    """Turn a tuple column into one row per (key, item) pair."""
    keys = [key] if isinstance(key, str) else list(key)
    pairs = frame[[*keys, tuple_column]].explode(tuple_column).dropna(subset=[tuple_column])
    return pairs.rename(columns={tuple_column: name}).drop_duplicates().reset_index(drop=True)


def _key_in(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """Whether each row's values in the columns of `keys` appear as a row of `keys`."""
    columns = list(keys.columns)
    index = pd.MultiIndex.from_frame(keys.astype(frame[columns].dtypes.to_dict()))
    return pd.Series(pd.MultiIndex.from_frame(frame[columns]).isin(index), index=frame.index)


def _setting_in_tuple(settings: pd.Series, tuples: pd.Series) -> pd.Series:
    """Whether each care setting is in the tuple on the same row (False where there is no tuple)."""
    pairs = pd.DataFrame({"setting": settings, "allowed": tuples}).explode("allowed")
    hit = pairs["setting"].eq(pairs["allowed"])
    return hit.groupby(level=0).any().reindex(settings.index, fill_value=False)
