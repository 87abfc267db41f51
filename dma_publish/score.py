"""Score validated answers: elements met, domain scores 1-5, pillar and overall means, like-for-like.

A pure, vectorised stage: merges and group-bys over whole tables, no loop per organisation.
Scores keep full precision; `round_half_away` is the one rounding rule, applied at publication.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

RETURN_KEY: list[str] = ["year", "org_code", "care_setting"]
LEVELS: tuple[int, ...] = (2, 3, 4, 5)  # level 1 is the floor and has no elements
SCORE_DP = 2  # decimal places of a published mean score (pillar, overall, benchmark figures)
LEVEL_RULE = (
    "the level of a pillar or overall score is its published value (rounded half away from zero "
    "to 2 decimal places) rounded half away from zero to a whole number: 2.495 is published as "
    "2.50, so it is level 3"
)
CONDITION_OPS: tuple[str, ...] = (
    "equals",
    "in",
    "at_least",
    "at_most",
    "includes",
    "includes_all",
    "count_at_least",
)


@dataclass(frozen=True)
class Scores:
    """Scores at every level, plus which element each return met (the evidence for each score)."""

    domain_scores: pd.DataFrame
    pillar_scores: pd.DataFrame
    overall_scores: pd.DataFrame
    element_results: pd.DataFrame


def score_returns(answers: pd.DataFrame, methodology_frames: Any, reference: Any = None) -> Scores:
    """Score every return in `answers` (the valid rows from validation) against its year's methodology.

    `reference` is accepted for the stage contract; scoring needs only the methodology.
    """
    results = element_results(answers, methodology_frames)
    domains = domain_scores(results, methodology_frames)
    pillars = pillar_scores(domains)
    pillars = pillars.merge(like_for_like(domains, methodology_frames.comparability), how="left")
    return Scores(
        domain_scores=domains,
        pillar_scores=pillars.astype({"lfl_previous_year": "Int64", "lfl_n_scores": "Int64"}),
        overall_scores=overall_scores(pillars),
        element_results=results,
    )


def element_results(answers: pd.DataFrame, methodology_frames: Any) -> pd.DataFrame:
    """Whether each return met each scoring element that applies to its care setting.

    An element applies when its domain covers the care setting and its question is asked there;
    an unanswered (optional) question meets none of its elements.
    """
    applicable = _applicable_elements(methodology_frames)
    returns = answers[RETURN_KEY].drop_duplicates()
    base = returns.merge(applicable, on=["year", "care_setting"])
    given = answers[[*RETURN_KEY, "question_id", "answer"]]
    base = base.merge(given, on=[*RETURN_KEY, "question_id"], how="left", validate="many_to_one")
    met = evaluate_conditions(
        base["answer"].fillna(""), base["condition_op"], base["condition_value"]
    )
    base = base.assign(is_met=met.to_numpy())
    columns = [*RETURN_KEY, "element_id", "score_id", "level", "is_met"]
    results = base[columns].sort_values([*RETURN_KEY, "element_id"], kind="stable")
    return results.astype({"level": "int64", "is_met": bool}).reset_index(drop=True)


def domain_scores(results: pd.DataFrame, methodology_frames: Any) -> pd.DataFrame:
    """Each score: the highest level whose elements are all met, every lower level met too.

    Level 1 is the floor. A level with no element applying to the care setting is never reached,
    so a score is only ever earned on evidence.
    """
    key = [*RETURN_KEY, "score_id"]
    level_met = results.groupby([*key, "level"])["is_met"].all().unstack("level")
    level_met = level_met.reindex(columns=list(LEVELS)).eq(True)
    reached = np.cumprod(level_met.to_numpy(), axis=1).sum(axis=1)
    scores = level_met.index.to_frame(index=False).assign(score=(1 + reached).astype("int64"))
    owners = _score_owners(methodology_frames)
    scores = scores.merge(owners, on=["year", "score_id"], how="left", validate="many_to_one")
    columns = [*RETURN_KEY, "score_id", "domain_id", "pillar_id", "score"]
    return scores[columns].sort_values(key, kind="stable").reset_index(drop=True)


def pillar_scores(domains: pd.DataFrame) -> pd.DataFrame:
    """Each pillar score: the mean of its scores (each score id once), at full precision."""
    grouped = domains.groupby([*RETURN_KEY, "pillar_id"])["score"]
    pillars = grouped.agg(score="mean", n_scores="size").reset_index()
    return pillars.astype({"score": float, "n_scores": "int64"})


def overall_scores(pillars: pd.DataFrame) -> pd.DataFrame:
    """Each overall score: the mean of the return's pillar scores, at full precision."""
    overall = pillars.groupby(RETURN_KEY)["score"].agg(score="mean", n_pillars="size").reset_index()
    return overall.astype({"score": float, "n_pillars": "int64"})


def like_for_like(domains: pd.DataFrame, comparability: pd.DataFrame) -> pd.DataFrame:
    """Pillar scores of a year and its previous year over only the scores comparable in both.

    A score counts when its domain is `comparable` for the later year and the return was scored
    on it in both years; the result sits on the later year's rows.
    """
    comparable = comparability.loc[
        comparability["status"] == "comparable", ["year", "domain_id", "previous_year"]
    ].drop_duplicates(["year", "domain_id"])
    later = domains.merge(comparable, on=["year", "domain_id"])
    earlier = domains[[*RETURN_KEY, "score_id", "score"]].rename(
        columns={"year": "previous_year", "score": "previous_score"}
    )
    both = later.merge(earlier, on=["previous_year", "org_code", "care_setting", "score_id"])
    grouped = both.groupby([*RETURN_KEY, "pillar_id"])
    lfl = grouped.agg(
        lfl_previous_year=("previous_year", "first"),
        lfl_score=("score", "mean"),
        lfl_previous_score=("previous_score", "mean"),
        lfl_n_scores=("score", "size"),
    ).reset_index()
    return lfl.astype({"lfl_score": float, "lfl_previous_score": float})


def evaluate_conditions(answers: pd.Series, ops: pd.Series, values: pd.Series) -> pd.Series:
    """Whether each answer meets its element's condition (`ops` and JSON `values` row by row).

    Vectorised per operator: each distinct condition value is parsed once.
    """
    unknown = set(ops.unique()) - set(CONDITION_OPS)
    if unknown:
        raise ValueError(f"unknown condition operator(s): {', '.join(sorted(map(str, unknown)))}")
    answers = answers.fillna("").astype(str).str.strip().to_numpy(dtype=object)
    codes, parsed = _parse_values(values)
    met = np.zeros(len(answers), dtype=bool)
    for op, test in _OPERATORS.items():
        rows = np.flatnonzero(ops.to_numpy() == op)
        if len(rows):
            met[rows] = test(answers[rows], codes[rows], parsed)
    return pd.Series(met, index=ops.index)


def round_half_away(x: Any, ndigits: int = 0) -> Any:
    """Round half away from zero (2.5 -> 3, -2.5 -> -3, 2.675 -> 2.68); NaN stays NaN.

    Python's round() rounds half to even and works on the binary value (round(2.675, 2) is 2.67).
    Publication needs the rule people expect, so each value is read as its shortest decimal to 15
    significant digits (the precision a float reliably holds) and rounded with Decimal. Works on a
    number, a numpy array or a pandas Series (returning the same kind).
    """
    if isinstance(x, pd.Series):
        return x.map(lambda v: _round_one(v, ndigits)).astype(float)
    if isinstance(x, np.ndarray):
        return np.array([_round_one(v, ndigits) for v in x.ravel()], dtype=float).reshape(x.shape)
    return _round_one(x, ndigits)


def as_published(x: Any) -> Any:
    """A mean score as the tables publish it: `SCORE_DP` places, half away from zero. The
    disclosure audit models what a reader sees with this, before the tables exist."""
    return round_half_away(x, SCORE_DP)


def level_of(x: Any) -> Any:
    """The level of a mean score, by the one level rule (`LEVEL_RULE`): the score as published
    (`SCORE_DP` places), rounded half away from zero to a whole number, so a reader can check
    the level of every number printed. Same kinds as `round_half_away`; NaN stays NaN."""
    return round_half_away(as_published(x), 0)


def _round_one(value: Any, ndigits: int) -> float:
    """`round_half_away` for one number."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    exact = Decimal(format(float(value), ".15g"))
    return float(exact.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP))


# --- methodology lookups ------------------------------------------------------------------------


def _applicable_elements(methodology_frames: Any) -> pd.DataFrame:
    """Scoring elements with the care settings they apply to, one row per (element, setting)."""
    domains = methodology_frames.domains
    scoring = domains.loc[
        domains["is_scoring"].astype(bool), ["year", "domain_id", "care_settings"]
    ]
    elements = methodology_frames.elements.merge(scoring, on=["year", "domain_id"])
    elements = elements.explode("care_settings").rename(columns={"care_settings": "care_setting"})
    questions = methodology_frames.questions[["year", "question_id", "care_settings"]]
    asked = questions.explode("care_settings").rename(columns={"care_settings": "care_setting"})
    elements = elements.merge(asked.dropna(), on=["year", "question_id", "care_setting"])
    columns = ["year", "care_setting", "element_id", "score_id", "level", "question_id"]
    return elements[[*columns, "condition_op", "condition_value"]]


def _score_owners(methodology_frames: Any) -> pd.DataFrame:
    """The domain and pillar each score id belongs to, per year."""
    defs = methodology_frames.score_defs[["year", "score_id", "domain_id"]]
    pillars = methodology_frames.domains[["year", "domain_id", "pillar_id"]]
    return defs.merge(pillars, on=["year", "domain_id"], how="left").drop_duplicates(
        ["year", "score_id"]
    )


# --- condition operators ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    """Distinct condition values, parsed once; rows point at them by code."""

    text: np.ndarray  # the value as text, for equals on text
    number: np.ndarray  # the value as a float (NaN if not a number)
    items: (
        pd.DataFrame
    )  # code, item: one row per item of a list value (a scalar is a one-item list)
    n_items: np.ndarray


def _parse_values(values: pd.Series) -> tuple[np.ndarray, _Parsed]:
    """Parse each distinct JSON condition value once; return row codes and the parsed table."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    loaded = [json.loads(value) for value in uniques]
    lists = [[str(item) for item in v] if isinstance(v, list) else [_as_text(v)] for v in loaded]
    items = pd.DataFrame(
        {
            "code": np.repeat(np.arange(len(lists)), [len(v) for v in lists]),
            "item": list(chain.from_iterable(lists)),
        }
    )
    parsed = _Parsed(
        text=np.array([_as_text(v) for v in loaded], dtype=object),
        number=np.array([_as_number(v) for v in loaded], dtype=float),
        items=items,
        n_items=np.array([len(set(v)) for v in lists], dtype="int64"),
    )
    return codes, parsed


def _as_text(value: Any) -> str:
    """A scalar condition value as answer text (JSON true/false read as Yes/No)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _as_number(value: Any) -> float:
    """A scalar condition value as a number, NaN when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _numbers(answers: np.ndarray) -> np.ndarray:
    """Answers read as numbers (NaN where not a number)."""
    return pd.to_numeric(pd.Series(answers, dtype=object), errors="coerce").to_numpy(dtype=float)


def _equals(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """answer == value: numerically when the value is a number, else as text."""
    number = parsed.number[codes]
    numeric = ~np.isnan(number)
    same_text = answers == parsed.text[codes]
    with np.errstate(invalid="ignore"):
        same_number = _numbers(answers) == number
    return np.where(numeric, same_number, same_text)


def _in(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """answer is one of the listed values."""
    allowed = pd.MultiIndex.from_frame(parsed.items)
    return pd.MultiIndex.from_arrays([codes, answers]).isin(allowed)


def _at_least(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """numeric answer >= value (a missing or non-numeric answer never meets it)."""
    with np.errstate(invalid="ignore"):
        return _numbers(answers) >= parsed.number[codes]


def _at_most(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """numeric answer <= value (a missing or non-numeric answer never meets it)."""
    with np.errstate(invalid="ignore"):
        return _numbers(answers) <= parsed.number[codes]


def _matched_options(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """How many distinct listed options each multiple-choice answer contains."""
    parts = _answer_parts(answers).assign(code=lambda f: codes[f["row"].to_numpy()])
    listed = pd.MultiIndex.from_frame(parsed.items)
    parts = parts[pd.MultiIndex.from_frame(parts[["code", "part"]]).isin(listed)]
    hits = parts.drop_duplicates(["row", "part"]).groupby("row").size()
    return hits.reindex(np.arange(len(answers)), fill_value=0).to_numpy()


def _includes(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """the multiple-choice answer contains the option (any of them, if a list is given)."""
    return _matched_options(answers, codes, parsed) > 0


def _includes_all(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """the multiple-choice answer contains every listed option."""
    return _matched_options(answers, codes, parsed) >= parsed.n_items[codes]


def _count_at_least(answers: np.ndarray, codes: np.ndarray, parsed: _Parsed) -> np.ndarray:
    """the multiple-choice answer has at least `value` distinct options."""
    counts = _answer_parts(answers).drop_duplicates().groupby("row").size()
    counts = counts.reindex(np.arange(len(answers)), fill_value=0).to_numpy()
    with np.errstate(invalid="ignore"):
        return counts >= parsed.number[codes]


def _answer_parts(answers: np.ndarray) -> pd.DataFrame:
    """One row per non-empty option of each `;`-joined answer: row (position), part."""
    split = pd.Series(answers, dtype=object).str.split(";").explode()
    parts = pd.DataFrame(
        {"row": split.index.to_numpy(), "part": split.fillna("").str.strip().to_numpy()}
    )
    return parts[parts["part"] != ""].reset_index(drop=True)


_OPERATORS = {
    "equals": _equals,
    "in": _in,
    "at_least": _at_least,
    "at_most": _at_most,
    "includes": _includes,
    "includes_all": _includes_all,
    "count_at_least": _count_at_least,
}
