"""The demo generator: deterministic, realistic, valid answers, and the committed data is its output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dma_publish.demo import (
    generate_reference,
    generate_returns,
    meets,
    organisations_csv,
    write_demo_data,
)
from dma_publish.reference import CODE_PATTERN, load_reference
from dma_publish.returns import RETURN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
HAS_METHODOLOGY = any((DATA / "methodology").glob("dma-methodology-*.yaml"))
needs_methodology = pytest.mark.skipif(not HAS_METHODOLOGY, reason="no methodology YAML yet")

PILLARS = [
    "well_led",
    "ensure_smart_foundations",
    "safe_practice",
    "support_workforce",
    "empower_people",
    "improve_care",
    "healthy_populations",
]
TRUST_SETTINGS = ("acute", "mental_health", "community", "ambulance")


@dataclass(frozen=True)
class MiniMethodology:
    """A small hand-built stand-in for MethodologyFrames: every answer type and condition operator."""

    pillars: pd.DataFrame
    domains: pd.DataFrame
    questions: pd.DataFrame
    elements: pd.DataFrame


def _question(
    year, qid, domain, kind, settings, options=(), low=np.nan, high=np.nan, required=True
):
    return {
        "year": year, "question_id": qid, "domain_id": domain, "question_text": qid, "answer_type": kind,
        "options": tuple(options), "min_value": low, "max_value": high, "is_required": required,
        "care_settings": settings,
    }  # fmt: skip


def _element(year, domain, level, qid, op, value):
    return {
        "year": year, "element_id": f"{qid}_{op}_l{level}", "domain_id": domain, "score_id": domain,
        "level": level, "question_id": qid, "condition_op": op, "condition_value": json.dumps(value),
        "element_text": "x",
    }  # fmt: skip


def _domain(
    year: int, survey: str, pillar: str, settings: tuple[str, ...]
) -> tuple[dict, list, list]:
    """One scoring domain with a question of each answer type and elements at levels 2-5."""
    d = f"{survey}_{pillar}"
    q = [
        _question(year, f"{d}_yn", d, "yes_no", settings),
        _question(
            year, f"{d}_sc", d, "single_choice", settings, ["None", "Planned", "Partial", "Full"]
        ),
        _question(year, f"{d}_pct", d, "percentage", settings, low=0, high=100),
        _question(year, f"{d}_mc", d, "multiple_choice", settings, list("abcdef")),
        _question(year, f"{d}_days", d, "number", settings, low=0, required=False),
        _question(year, f"{d}_note", d, "yes_no", settings, required=False),
    ]
    e = [
        _element(year, d, 2, f"{d}_yn", "equals", "Yes"),
        _element(year, d, 2, f"{d}_sc", "in", ["Partial", "Full"]),
        _element(year, d, 3, f"{d}_pct", "at_least", 50),
        _element(year, d, 3, f"{d}_mc", "includes", "a"),
        _element(year, d, 4, f"{d}_mc", "count_at_least", 3),
        _element(year, d, 4, f"{d}_pct", "at_least", 80),
        _element(year, d, 5, f"{d}_mc", "includes_all", ["d", "e"]),
        _element(year, d, 5, f"{d}_days", "at_most", 7),
        _element(year, d, 5, f"{d}_sc", "equals", "Full"),
    ]
    domain = {
        "year": year,
        "domain_id": d,
        "pillar_id": pillar,
        "survey": survey,
        "care_settings": settings,
    }
    return domain, q, e


def mini_methodology(years=(2024, 2025)) -> MiniMethodology:
    """Both surveys, every pillar, two years; one secondary care question asked of acute only."""
    domains, questions, elements = [], [], []
    for year in years:
        for pillar in PILLARS:
            for survey, settings in (("sc", TRUST_SETTINGS), ("icb", ("icb",))):
                d, q, e = _domain(year, survey, pillar, settings)
                domains.append(d)
                questions += q
                elements += e
        questions.append(
            _question(
                year, "sc_well_led_acute_only", "sc_well_led", "number", ("acute",), low=0, high=50
            )
        )
    pillars = pd.DataFrame({"pillar_id": PILLARS, "pillar_order": range(1, 8)})
    frames = [pd.DataFrame(rows) for rows in (domains, questions, elements)]
    frames[1] = frames[1].sort_values(["year", "question_id"], ignore_index=True)
    frames[2] = frames[2].sort_values(["year", "element_id"], ignore_index=True)
    return MiniMethodology(pillars, *frames)


def estimate_scores(answers: pd.DataFrame, methodology) -> pd.DataFrame:
    """A private stand-in for the scorer: a domain scores L when every element of levels 2..L is met."""
    elements = methodology.elements
    merged = answers.merge(elements, on=["year", "question_id"])
    merged["is_met"] = [
        meets(op, json.loads(v), a)
        for op, v, a in zip(
            merged["condition_op"], merged["condition_value"], merged["answer"], strict=True
        )
    ]
    units = answers[["year", "org_code", "care_setting"]].drop_duplicates()
    settings_of = methodology.domains.set_index(["year", "domain_id"])["care_settings"]
    grid = units.merge(
        elements[["year", "score_id", "domain_id", "element_id", "level"]], on="year"
    )
    grid = grid[
        [
            s in settings_of[(y, d)]
            for s, y, d in zip(grid["care_setting"], grid["year"], grid["domain_id"], strict=True)
        ]
    ]
    keys = ["year", "org_code", "care_setting", "element_id"]
    grid = grid.merge(merged[[*keys, "is_met"]], on=keys, how="left")
    grid["is_met"] = grid["is_met"].eq(True)
    failed = (
        grid[~grid["is_met"].astype(bool)]
        .groupby(["year", "org_code", "care_setting", "score_id"])["level"]
        .min()
    )
    scores = grid.groupby(
        ["year", "org_code", "care_setting", "score_id", "domain_id"], as_index=False
    ).size()
    scores["score"] = [
        int(failed.get((y, o, c, s), 6)) - 1
        for y, o, c, s in zip(
            scores["year"],
            scores["org_code"],
            scores["care_setting"],
            scores["score_id"],
            strict=True,
        )
    ]
    pillar = methodology.domains.set_index(["year", "domain_id"])["pillar_id"]
    scores["pillar_id"] = [
        pillar[(y, d)] for y, d in zip(scores["year"], scores["domain_id"], strict=True)
    ]
    return scores


def overall_scores(domain_scores: pd.DataFrame) -> pd.DataFrame:
    """Pillar means per unit, then the mean of those."""
    keys = ["year", "org_code", "care_setting"]
    pillars = domain_scores.groupby([*keys, "pillar_id"], as_index=False)["score"].mean()
    return pillars.groupby(keys, as_index=False)["score"].mean()


@pytest.fixture(scope="module")
def reference():
    """The scale-1 demo organisations and regions."""
    return generate_reference(2025, 1)


@pytest.fixture(scope="module")
def mini_returns(reference):
    """Returns for the mini methodology."""
    return generate_returns(mini_methodology(), reference[0], seed=7)


# --- reference -------------------------------------------------------------------------------


def test_reference_shape_at_scale_1(reference) -> None:
    orgs, regions = reference
    assert len(regions) == 7
    assert (orgs["org_type"] == "icb").sum() == 42
    trusts = orgs[orgs["org_type"] == "trust"]
    assert len(trusts) == 205
    assert trusts["care_settings"].map(lambda s: "acute" in s).sum() == 134
    assert trusts["care_settings"].map(lambda s: "ambulance" in s).sum() == 10
    assert trusts["icb_code"].isin(orgs.loc[orgs["org_type"] == "icb", "org_code"]).all()


def test_scale_10_gives_ten_times_the_organisations() -> None:
    orgs, regions = generate_reference(3, 10)
    assert len(regions) == 7
    assert (orgs["org_type"] == "icb").sum() == 420
    assert (orgs["org_type"] == "trust").sum() == 2050
    assert orgs["org_code"].is_unique and orgs["org_name"].is_unique
    assert orgs["org_code"].map(lambda c: bool(CODE_PATTERN.match(c))).all()
    icbs_per_region = orgs[orgs["org_type"] == "icb"].groupby("region_code").size()
    assert icbs_per_region.to_dict() == {
        "Y56": 50,
        "Y58": 70,
        "Y59": 60,
        "Y60": 110,
        "Y61": 60,
        "Y62": 30,
        "Y63": 40,
    }


def test_reference_round_trips_through_the_loader(tmp_path: Path, reference) -> None:
    orgs, regions = reference
    (tmp_path / "organisations.csv").write_text(organisations_csv(orgs), encoding="utf-8")
    (tmp_path / "regions.csv").write_text(regions.to_csv(index=False), encoding="utf-8")
    (tmp_path / "reference.yaml").write_text("is_demo: true\n", encoding="utf-8")
    loaded = load_reference(tmp_path)
    pd.testing.assert_frame_equal(loaded.organisations, orgs)
    pd.testing.assert_frame_equal(loaded.regions, regions)


def test_different_seeds_give_different_organisations() -> None:
    a, _ = generate_reference(1, 1)
    b, _ = generate_reference(2, 1)
    assert list(a["org_code"]) != list(b["org_code"])


# --- returns ---------------------------------------------------------------------------------


def test_returns_columns_and_years(mini_returns) -> None:
    assert sorted(mini_returns) == [2024, 2025]
    for year, table in mini_returns.items():
        assert list(table.columns) == list(RETURN_COLUMNS)
        assert (table["year"] == year).all()
        stamps = pd.to_datetime(table["submitted_at"], utc=True)
        assert stamps.min() >= pd.Timestamp(f"{year}-04-01", tz="UTC")
        assert stamps.max() < pd.Timestamp(f"{year}-07-01", tz="UTC")
        assert table["submitter_email"].str.endswith(".example").all()
        assert not table.duplicated(["org_code", "care_setting", "question_id"]).any()


def test_every_unit_answers_only_its_care_setting_questions(mini_returns, reference) -> None:
    orgs = reference[0].set_index("org_code")
    methodology = mini_methodology()
    asked = methodology.questions.set_index(["year", "question_id"])["care_settings"]
    table = mini_returns[2025]
    assert all(
        s in orgs.loc[o, "care_settings"]
        for o, s in zip(table["org_code"], table["care_setting"], strict=True)
    )
    assert all(
        s in asked[(2025, q)]
        for q, s in zip(table["question_id"], table["care_setting"], strict=True)
    )
    acute_only = table[table["question_id"] == "sc_well_led_acute_only"]
    assert set(acute_only["care_setting"]) == {"acute"}


def assert_valid_answers(returns: dict[int, pd.DataFrame], questions: pd.DataFrame) -> None:
    """Every distinct answer is allowed by its question's type, options and range."""
    questions = questions.set_index(["year", "question_id"])
    distinct = pd.concat(returns.values())[["year", "question_id", "answer"]].drop_duplicates()
    for year, qid, answer in distinct.itertuples(index=False):
        q = questions.loc[(year, qid)]
        if answer == "":
            assert not q["is_required"], qid
        elif q["answer_type"] == "yes_no":
            assert answer in ("Yes", "No"), qid
        elif q["answer_type"] == "single_choice":
            assert answer in q["options"], qid
        elif q["answer_type"] == "multiple_choice":
            parts = answer.split(";")
            assert set(parts) <= set(q["options"]) and len(set(parts)) == len(parts), qid
        else:
            value = float(answer)
            assert value == int(value), qid
            assert np.isnan(q["min_value"]) or value >= q["min_value"], qid
            assert np.isnan(q["max_value"]) or value <= q["max_value"], qid


def test_answers_are_valid_for_their_question(mini_returns) -> None:
    assert_valid_answers(mini_returns, mini_methodology().questions)


def test_optional_questions_are_sometimes_blank(mini_returns) -> None:
    table = mini_returns[2025]
    optional = table[table["question_id"].str.endswith(("_days", "_note"))]
    assert (optional["answer"] == "").any()
    assert (table.loc[~table.index.isin(optional.index), "answer"] != "").all()


def test_a_few_organisations_miss_a_year(mini_returns, reference) -> None:
    orgs = set(reference[0]["org_code"])
    present = {year: set(t["org_code"]) for year, t in mini_returns.items()}
    missing = {year: orgs - codes for year, codes in present.items()}
    assert 1 <= len(missing[2024]) <= 10 and 1 <= len(missing[2025]) <= 10
    merged = set(reference[0].loc[reference[0]["predecessor_codes"].map(len) > 0, "org_code"])
    assert missing[2024] == merged


def test_scores_use_the_whole_range_and_follow_the_targets(mini_returns) -> None:
    methodology = mini_methodology()
    table = pd.concat(mini_returns.values())
    scores = estimate_scores(table, methodology)
    assert set(scores["score"]) == {1, 2, 3, 4, 5}
    trusts = scores[scores["care_setting"] != "icb"]
    pillar_means = trusts[trusts["year"] == 2025].groupby("pillar_id")["score"].mean()
    assert pillar_means.between(1.8, 3.6).all()
    # one domain per pillar here, so only the gap between the strongest and weakest is reliable
    assert pillar_means["ensure_smart_foundations"] > pillar_means["empower_people"] + 0.4
    overall = overall_scores(scores)
    icb = overall[(overall["care_setting"] == "icb") & (overall["year"] == 2025)]["score"]
    assert (
        icb.min() >= 1.0 and icb.max() <= 4.0
    )  # seven domains only: tighter targets on the real data
    assert (icb > 2.5).mean() < 0.5
    by_year = overall.pivot_table(
        index=["org_code", "care_setting"], columns="year", values="score"
    ).dropna()
    change = by_year[2025] - by_year[2024]
    assert change.mean() > 0  # slightly better on average ...
    assert (change < 0).mean() > 0.1  # ... but not for everyone


def test_same_seed_same_returns_other_seed_different(reference) -> None:
    methodology = mini_methodology()
    a = generate_returns(methodology, reference[0], seed=11)
    b = generate_returns(methodology, reference[0], seed=11)
    c = generate_returns(methodology, reference[0], seed=12)
    for year in a:
        assert a[year].to_csv(index=False) == b[year].to_csv(index=False)
    assert a[2025].to_csv(index=False) != c[2025].to_csv(index=False)


@pytest.mark.parametrize(
    ("op", "value", "answer", "expected"),
    [
        ("equals", "Yes", "Yes", True),
        ("equals", "Yes", "No", False),
        ("in", ["Partial", "Full"], "Full", True),
        ("at_least", 50, "50", True),
        ("at_least", 50, "49", False),
        ("at_most", 7, "7", True),
        ("includes", "a", "b;a", True),
        ("includes_all", ["d", "e"], "a;d", False),
        ("count_at_least", 3, "a;b;c", True),
        ("equals", "Yes", "", False),
    ],
)
def test_meets(op: str, value, answer: str, expected: bool) -> None:
    assert meets(op, value, answer) is expected


# --- files -----------------------------------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@needs_methodology
def test_write_demo_data_is_byte_identical_for_a_seed(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "a", seed=5, scale=1)
    write_demo_data(tmp_path / "b", seed=5, scale=1)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a == b
    assert "reference/organisations.csv" in a and "returns/dma-returns-2025.csv" in a
    assert b"\r\n" not in a["returns/dma-returns-2025.csv"]
    assert load_reference(tmp_path / "a" / "reference").is_demo


@needs_methodology
def test_committed_demo_data_is_the_generators_output(tmp_path: Path) -> None:
    write_demo_data(tmp_path, seed=2025, scale=1)
    for name in ("reference/organisations.csv", "reference/regions.csv", "reference/reference.yaml",
                 "returns/dma-returns-2024.csv", "returns/dma-returns-2025.csv"):  # fmt: skip
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


@pytest.fixture(scope="module")
def committed_scores():
    """The committed demo returns, validated and scored by the real stages."""
    from dma_publish.methodology import load_methodologies, methodology_frames
    from dma_publish.returns import read_returns
    from dma_publish.score import score_returns
    from dma_publish.validate import validate_returns

    frames = methodology_frames(load_methodologies(DATA / "methodology"))
    reference = load_reference(DATA / "reference")
    read = read_returns(sorted((DATA / "returns").glob("dma-returns-*.csv")))
    validated = validate_returns(read, frames, reference)
    return validated, score_returns(validated.answers, frames, reference)


@needs_methodology
def test_committed_returns_validate_without_errors(committed_scores) -> None:
    validated, _ = committed_scores
    errors = validated.issues[validated.issues["severity"] == "error"]
    assert errors.empty, errors.head().to_dict("records")
    assert (validated.returns["status"] == "scored").all()


@needs_methodology
def test_committed_returns_meet_the_realism_targets(committed_scores) -> None:
    _, scores = committed_scores
    assert set(scores.domain_scores["score"]) == {1, 2, 3, 4, 5}
    pillars = scores.pillar_scores
    trusts = pillars[(pillars["care_setting"] != "icb") & (pillars["year"] == 2025)]
    means = trusts.groupby("pillar_id")["score"].mean()
    assert means.between(1.9, 3.4).all(), means.to_dict()
    assert means.idxmax() == "ensure_smart_foundations" and means.idxmin() == "empower_people"
    overall = scores.overall_scores
    icb = overall[(overall["care_setting"] == "icb") & (overall["year"] == 2025)]["score"]
    # real 2023 ICS scores ran from 1.8 to 3.3; a demo ICB may sit a little outside that range
    assert icb.min() >= 1.4 and icb.max() <= 3.4, icb.describe().to_dict()
    assert (icb > 2.5).mean() < 1 / 3
    by_year = overall.pivot_table(
        index=["org_code", "care_setting"], columns="year", values="score"
    )
    change = (by_year[2025] - by_year[2024]).dropna()
    assert 0 < change.mean() < 0.4
    assert (change < 0).mean() > 0.1
