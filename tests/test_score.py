"""Scoring: hand-computed golden cases, condition operators, like-for-like, rounding, properties."""

from __future__ import annotations

import json
import math

import mini
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dma_publish.score import (
    Scores,
    domain_scores,
    element_results,
    evaluate_conditions,
    pillar_scores,
    round_half_away,
    score_returns,
)

METHOD = mini.methodology()
REF = mini.reference()


def score(*groups: list[tuple], method: mini.Frames = METHOD) -> Scores:
    """Score answer tuples with the mini methodology."""
    return score_returns(mini.answers_frame(*groups), method, REF)


def domain(scores: Scores, org: str, setting: str, score_id: str, year: int = 2025) -> int:
    """One domain score."""
    d = scores.domain_scores
    row = d[
        (d["year"] == year)
        & (d["org_code"] == org)
        & (d["care_setting"] == setting)
        & (d["score_id"] == score_id)
    ]
    assert len(row) == 1
    return int(row["score"].iloc[0])


def pillar(scores: Scores, org: str, setting: str, pillar_id: str, year: int = 2025) -> pd.Series:
    """One pillar-score row."""
    p = scores.pillar_scores
    row = p[
        (p["year"] == year)
        & (p["org_code"] == org)
        & (p["care_setting"] == setting)
        & (p["pillar_id"] == pillar_id)
    ]
    assert len(row) == 1
    return row.iloc[0]


# --- golden cases ------------------------------------------------------------------------------


def test_every_element_met_gives_5() -> None:
    assert domain(score(mini.answers_for(2025, "RAA", "acute")), "RAA", "acute", "strategy") == 5


def test_all_higher_levels_met_but_one_level_2_element_missed_gives_1() -> None:
    scores = score(mini.answers_for(2025, "RAA", "acute", q_strategy="No"))
    assert domain(scores, "RAA", "acute", "strategy") == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"q_board": "Some"}, 3),  # level 4 needs All
        (
            {"q_plan": "No"},
            3,
        ),  # one of two level-4 elements missed: stop at 3 though level 5 is met
        ({"q_plan": None}, 3),  # unanswered optional question: its element is not met
        ({"q_plan": ""}, 3),  # blank answer is unanswered too
        ({"q_pct": "80"}, 5),  # at_least boundary
        ({"q_pct": "79.9"}, 4),
        ({"q_pct": None}, 4),
        ({"q_board": "None"}, 2),
    ],
)
def test_strategy_levels(overrides: dict, expected: int) -> None:
    scores = score(mini.answers_for(2025, "RAA", "acute", **overrides))
    assert domain(scores, "RAA", "acute", "strategy") == expected


def test_non_scoring_domain_never_scores() -> None:
    scores = score(
        mini.answers_for(2025, "RAA", "acute"), mini.answers_for(2025, "RCC", "community")
    )
    assert "context" not in set(scores.domain_scores["domain_id"])
    assert "e_context_2" not in set(scores.element_results["element_id"])


def test_pillar_with_one_scoring_domain_equals_that_domain() -> None:
    scores = score(mini.answers_for(2025, "RAA", "acute", q_board="Some"))
    row = pillar(scores, "RAA", "acute", "well_led")
    assert row["score"] == 3.0 and row["n_scores"] == 1


def test_digital_medicines_yields_three_scores_that_each_count_once() -> None:
    scores = score(mini.answers_for(2025, "RBB", "acute", q_med="EPMA;Barcode", q_med_n="5"))
    assert (
        domain(scores, "RBB", "acute", "med_prescribing") == 4
    )  # includes, includes_all, at_most 5
    assert (
        domain(scores, "RBB", "acute", "med_interop") == 1
    )  # two options but no Interop: level 2 missed
    assert domain(scores, "RBB", "acute", "med_dispensing") == 1
    meds = scores.domain_scores[scores.domain_scores["domain_id"] == "medicines"]
    assert sorted(meds["score_id"]) == ["med_dispensing", "med_interop", "med_prescribing"]
    row = pillar(scores, "RBB", "acute", "smart_foundations")
    assert row["score"] == pytest.approx(2.0) and row["n_scores"] == 3
    overall = scores.overall_scores.set_index("org_code").loc["RBB"]
    assert overall["score"] == pytest.approx((5 + 2.0) / 2) and overall["n_pillars"] == 2


def test_medicines_interop_levels() -> None:
    scores = score(mini.answers_for(2025, "RBB", "acute", q_med="Interop"))
    assert domain(scores, "RBB", "acute", "med_interop") == 2  # count_at_least 2 not met
    scores = score(mini.answers_for(2025, "RBB", "acute", q_med="Interop;Robot", q_med_n="6"))
    assert domain(scores, "RBB", "acute", "med_interop") == 3
    assert domain(scores, "RBB", "acute", "med_dispensing") == 2


def test_organisation_with_two_care_settings_is_scored_per_setting() -> None:
    scores = score(
        mini.answers_for(2025, "RAA", "acute", q_med="Robot"),
        mini.answers_for(2025, "RAA", "community", q_board="Some"),
    )
    overall = scores.overall_scores.set_index("care_setting")
    assert overall.loc["community", "score"] == 3.0 and overall.loc["community", "n_pillars"] == 1
    assert overall.loc["acute", "score"] == pytest.approx((5 + (1 + 1 + 2) / 3) / 2)
    community = scores.domain_scores[scores.domain_scores["care_setting"] == "community"]
    assert community["score_id"].tolist() == ["strategy"]  # medicines is not a community domain


def test_icb_return_scores_its_own_survey() -> None:
    scores = score(
        mini.answers_for(2025, "QAA", "icb"), mini.answers_for(2025, "QBB", "icb", q_icb="No")
    )
    d = scores.domain_scores.set_index("org_code")["score"]
    assert d["QAA"] == 2 and d["QBB"] == 1


def test_a_level_with_no_elements_is_never_reached() -> None:
    elements = METHOD.elements[METHOD.elements["element_id"] != "e_strat_3"]
    method = mini.Frames(**{**METHOD.__dict__, "elements": elements})
    assert (
        domain(
            score(mini.answers_for(2025, "RAA", "acute"), method=method), "RAA", "acute", "strategy"
        )
        == 2
    )


def test_frame_shapes() -> None:
    scores = score(mini.answers_for(2025, "RAA", "acute"), mini.answers_for(2024, "RAA", "acute"))
    assert list(scores.domain_scores.columns) == [
        "year", "org_code", "care_setting", "score_id", "domain_id", "pillar_id", "score",
    ]  # fmt: skip
    assert list(scores.pillar_scores.columns) == [
        "year", "org_code", "care_setting", "pillar_id", "score", "n_scores",
        "lfl_previous_year", "lfl_score", "lfl_previous_score", "lfl_n_scores",
    ]  # fmt: skip
    assert list(scores.overall_scores.columns) == [
        "year",
        "org_code",
        "care_setting",
        "score",
        "n_pillars",
    ]
    assert list(scores.element_results.columns) == [
        "year", "org_code", "care_setting", "element_id", "score_id", "level", "is_met",
    ]  # fmt: skip
    assert scores.domain_scores["score"].dtype == "int64"
    assert scores.pillar_scores["score"].dtype == "float64"
    assert scores.element_results["is_met"].dtype == bool


def test_element_results_show_the_evidence() -> None:
    results = score(mini.answers_for(2025, "RAA", "acute", q_plan="No")).element_results
    met = results.set_index("element_id")["is_met"]
    assert not met["e_strat_4b"] and met["e_strat_4a"] and met["e_strat_5"]
    assert len(results) == 11  # 5 strategy + 6 medicines elements apply to acute


# --- like-for-like -----------------------------------------------------------------------------


def test_like_for_like_uses_only_comparable_domains_on_the_later_year() -> None:
    scores = score(
        mini.answers_for(2024, "RAA", "acute", q_pct="50"),  # strategy 4 in 2024
        mini.answers_for(2025, "RAA", "acute", q_med="Robot"),  # strategy 5, medicines new in 2025
        mini.answers_for(2025, "RAA", "community"),  # no 2024 return
    )
    well_led = pillar(scores, "RAA", "acute", "well_led")
    assert well_led["lfl_previous_year"] == 2024
    assert (
        well_led["lfl_score"] == 5.0
        and well_led["lfl_previous_score"] == 4.0
        and well_led["lfl_n_scores"] == 1
    )
    smart = pillar(
        scores, "RAA", "acute", "smart_foundations"
    )  # only a new domain: no like-for-like
    assert (
        pd.isna(smart["lfl_score"])
        and pd.isna(smart["lfl_previous_year"])
        and pd.isna(smart["lfl_n_scores"])
    )
    assert pd.isna(pillar(scores, "RAA", "community", "well_led")["lfl_score"])
    assert (
        pillar(scores, "RAA", "acute", "well_led", year=2024)[["lfl_score", "lfl_previous_score"]]
        .isna()
        .all()
    )


def test_like_for_like_drops_changed_domains() -> None:
    comparability = METHOD.comparability.assign(
        status=METHOD.comparability["status"].where(
            METHOD.comparability["domain_id"] != "strategy", "changed"
        )
    )
    method = mini.Frames(**{**METHOD.__dict__, "comparability": comparability})
    scores = score(
        mini.answers_for(2024, "RAA", "acute"),
        mini.answers_for(2025, "RAA", "acute"),
        method=method,
    )
    assert pd.isna(pillar(scores, "RAA", "acute", "well_led")["lfl_score"])


# --- condition operators -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "op", "value", "expected"),
    [
        ("Yes", "equals", "Yes", True),
        ("No", "equals", "Yes", False),
        ("", "equals", "Yes", False),
        ("Yes", "equals", True, True),
        ("5.0", "equals", 5, True),
        ("5", "equals", 6, False),
        ("Some", "in", ["Some", "All"], True),
        ("None", "in", ["Some", "All"], False),
        ("80", "at_least", 80, True),
        ("79.99", "at_least", 80, False),
        ("", "at_least", 0, False),
        ("abc", "at_least", 0, False),
        ("5", "at_most", 5, True),
        ("5.01", "at_most", 5, False),
        ("EPMA;Robot", "includes", "Robot", True),
        ("EPMA; Robot", "includes", "Robot", True),
        ("EPMA;Robotic", "includes", "Robot", False),
        ("EPMA;Robot", "includes_all", ["Robot", "EPMA"], True),
        ("EPMA", "includes_all", ["Robot", "EPMA"], False),
        ("A;B", "count_at_least", 2, True),
        ("A;A", "count_at_least", 2, False),
        ("A", "count_at_least", 2, False),
        ("", "count_at_least", 0, True),
    ],
)
def test_condition_operators(answer: str, op: str, value: object, expected: bool) -> None:
    met = evaluate_conditions(pd.Series([answer]), pd.Series([op]), pd.Series([json.dumps(value)]))
    assert met.tolist() == [expected]


def test_conditions_evaluate_many_rows_with_mixed_operators() -> None:
    answers = pd.Series(["Yes", "3", "A;B", "No", "B"], index=[10, 11, 12, 13, 14])
    ops = pd.Series(["equals", "at_least", "includes", "equals", "in"], index=answers.index)
    values = pd.Series(['"Yes"', "2", '"B"', '"Yes"', '["A", "B"]'], index=answers.index)
    met = evaluate_conditions(answers, ops, values)
    assert met.index.tolist() == [10, 11, 12, 13, 14]
    assert met.tolist() == [True, True, True, False, True]


def test_unknown_condition_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        evaluate_conditions(pd.Series(["x"]), pd.Series(["resembles"]), pd.Series(['"x"']))


# --- rounding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ndigits", "expected"),
    [
        (2.5, 0, 3.0),
        (3.5, 0, 4.0),
        (-2.5, 0, -3.0),
        (2.4999, 0, 2.0),
        (2.675, 2, 2.68),
        (1.005, 2, 1.01),
        (0.125, 2, 0.13),
        (-0.125, 2, -0.13),
        (2.5 - 4e-16, 0, 3.0),  # float noise around a half is read as the half
        (4.0, 1, 4.0),
        (15.0, -1, 20.0),
    ],
)
def test_round_half_away_from_zero(value: float, ndigits: int, expected: float) -> None:
    assert round_half_away(value, ndigits) == expected


def test_round_half_away_on_series_arrays_and_nan() -> None:
    assert math.isnan(round_half_away(float("nan"), 1))
    series = round_half_away(pd.Series([0.5, 1.25, np.nan], index=[3, 4, 5]), 1)
    assert (
        series.index.tolist() == [3, 4, 5]
        and series.iloc[:2].tolist() == [0.5, 1.3]
        and pd.isna(series.iloc[2])
    )
    assert round_half_away(np.array([[0.5, 1.5]]), 0).tolist() == [[1.0, 2.0]]


# --- properties --------------------------------------------------------------------------------

_APPLICABLE = element_results(
    mini.answers_frame(
        mini.answers_for(2025, "RAA", "acute"), mini.answers_for(2025, "RBB", "acute")
    ),
    METHOD,
).drop(columns="is_met")


@st.composite
def met_flags(draw: st.DrawFn) -> pd.DataFrame:
    """Element results for two acute returns with arbitrary elements met."""
    flags = draw(st.lists(st.booleans(), min_size=len(_APPLICABLE), max_size=len(_APPLICABLE)))
    return _APPLICABLE.assign(is_met=flags)


@settings(max_examples=80, deadline=None)
@given(results=met_flags(), flip=st.integers(min_value=0, max_value=len(_APPLICABLE) - 1))
def test_meeting_one_more_element_never_lowers_a_score(results: pd.DataFrame, flip: int) -> None:
    before = domain_scores(results, METHOD)
    more = results.copy()
    more.loc[more.index[flip], "is_met"] = True
    after = domain_scores(more, METHOD)
    assert (after["score"].to_numpy() >= before["score"].to_numpy()).all()
    assert before["score"].between(1, 5).all() and before["score"].dtype == "int64"


@settings(max_examples=60, deadline=None)
@given(results=met_flags())
def test_pillar_score_lies_between_its_domain_scores(results: pd.DataFrame) -> None:
    domains = domain_scores(results, METHOD)
    pillars = pillar_scores(domains)
    bounds = domains.groupby(["year", "org_code", "care_setting", "pillar_id"])["score"].agg(
        ["min", "max"]
    )
    joined = pillars.set_index(["year", "org_code", "care_setting", "pillar_id"]).join(bounds)
    assert ((joined["score"] >= joined["min"]) & (joined["score"] <= joined["max"])).all()


_CHOICES = {
    "q_strategy": st.sampled_from(["Yes", "No", None]),
    "q_board": st.sampled_from(["None", "Some", "All", None]),
    "q_plan": st.sampled_from(["Yes", "No", "", None]),
    "q_pct": st.one_of(st.none(), st.integers(0, 100).map(str)),
    "q_med": st.one_of(
        st.none(),
        st.lists(st.sampled_from(["EPMA", "Interop", "Robot", "Barcode"]), unique=True).map(
            ";".join
        ),
    ),
    "q_med_n": st.one_of(st.none(), st.integers(0, 100).map(str)),
}


@settings(max_examples=30, deadline=None)
@given(
    answers=st.lists(st.fixed_dictionaries(_CHOICES), min_size=1, max_size=3),
    seed=st.integers(0, 2**31 - 1),
)
def test_scores_are_whole_levels_and_shuffling_rows_changes_nothing(
    answers: list[dict], seed: int
) -> None:
    orgs = ["RAA", "RBB", "RAA"]
    groups = [
        mini.answers_for(2025, orgs[i], "acute" if i < 2 else "community", **a)
        for i, a in enumerate(answers)
    ]
    frame = mini.answers_frame(*groups)
    first = score_returns(frame, METHOD, REF)
    second = score_returns(frame.sample(frac=1, random_state=seed), METHOD, REF)
    for name in ("domain_scores", "pillar_scores", "overall_scores", "element_results"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.domain_scores["score"].isin([1, 2, 3, 4, 5]).all()
