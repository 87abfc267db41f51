"""The methodology files: structure as the DMA publishes it, the loader's checks and its errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dma_publish import methodology_source
from dma_publish.errors import InputError
from dma_publish.methodology import load_methodologies, load_methodology, methodology_frames

ROOT = Path(__file__).resolve().parent.parent
METHODOLOGY = ROOT / "data" / "methodology"
PILLARS_2025 = [
    "Well Led",
    "Ensure Smart Foundations",
    "Safe Practice",
    "Support Workforce",
    "Empower People",
    "Improve Care",
    "Healthy Populations",
]


@pytest.fixture(scope="module")
def frames():
    return methodology_frames(load_methodologies(METHODOLOGY))


def _year(frame, year):
    return frame[frame["year"] == year]


def test_committed_files_are_the_generators_output(tmp_path: Path) -> None:
    for path in methodology_source.write_all(tmp_path):
        committed = METHODOLOGY / path.name
        assert committed.read_bytes() == path.read_bytes(), f"regenerate {committed}"


def test_the_seven_pillars_with_their_2025_names(frames) -> None:
    pillars = frames.pillars.sort_values("pillar_order")
    assert pillars["pillar_name"].tolist() == PILLARS_2025
    assert pillars["pillar_id"].is_unique


@pytest.mark.parametrize("year", [2024, 2025])
def test_ids_are_unique(frames, year: int) -> None:
    assert _year(frames.domains, year)["domain_id"].is_unique
    assert _year(frames.questions, year)["question_id"].is_unique
    assert _year(frames.elements, year)["element_id"].is_unique
    assert _year(frames.score_defs, year)["score_id"].is_unique


@pytest.mark.parametrize("year", [2024, 2025])
def test_every_level_of_every_score_has_elements(frames, year: int) -> None:
    scores = _year(frames.score_defs, year)
    scoring = _year(frames.domains, year).query("is_scoring")["domain_id"]
    scores = scores[scores["domain_id"].isin(scoring)]
    levels = _year(frames.elements, year).groupby("score_id")["level"].agg(set)
    for score_id in scores["score_id"]:
        assert levels.get(score_id) == {2, 3, 4, 5}, score_id


def test_secondary_care_survey_shape(frames) -> None:
    domains = _year(frames.domains, 2025)
    secondary = domains[domains["survey"] == "secondary_care"]
    per_setting = {
        s: int(secondary["care_settings"].map(lambda t, s=s: s in t).sum())
        for s in ("acute", "mental_health", "community", "ambulance")
    }
    assert 44 <= per_setting["acute"] <= 50, per_setting
    assert all(per_setting[s] <= per_setting["acute"] for s in per_setting), per_setting
    assert len(set(map(tuple, secondary["care_settings"]))) > 1  # tailored sets, not one list
    questions = _year(frames.questions, 2025)
    assert questions["domain_id"].isin(secondary["domain_id"]).sum() >= 250
    dspt = secondary[secondary["domain_name"].str.contains("Data Security and Protection Toolkit")]
    assert len(dspt) == 1 and not dspt["is_scoring"].iloc[0]
    medicines = secondary[secondary["domain_name"] == "Digital Medicines"]["domain_id"]
    score_defs = _year(frames.score_defs, 2025)
    names = set(score_defs.loc[score_defs["domain_id"].isin(medicines), "score_name"])
    assert names == {
        "Digital Medicines Interoperability",
        "Prescribing and Administration",
        "Dispensing and Supply",
    }


def test_icb_survey_shape(frames) -> None:
    icb = _year(frames.domains, 2025).query("survey == 'icb'")
    assert len(icb) == 28
    non_scoring = icb.loc[~icb["is_scoring"], "domain_name"].tolist()
    assert non_scoring == ["ICS Wide Analytical Use Cases"]
    new = _year(frames.comparability, 2025).query("status == 'new'")["domain_id"]
    assert icb["domain_id"].isin(new).sum() == 3
    questions = _year(frames.questions, 2025)
    assert questions["domain_id"].isin(icb["domain_id"]).sum() >= 150


def test_questions_say_type_options_and_whether_required(frames) -> None:
    questions = frames.questions
    assert set(questions["answer_type"]) == {
        "yes_no",
        "single_choice",
        "multiple_choice",
        "percentage",
        "number",
    }
    choices = questions[questions["answer_type"].isin(["single_choice", "multiple_choice"])]
    assert (choices["options"].map(len) >= 2).all()
    assert questions["is_required"].any() and (~questions["is_required"]).any()


def test_comparability_covers_every_domain_and_a_minority_is_not_comparable(frames) -> None:
    comparability = _year(frames.comparability, 2025)
    both_years = set(frames.domains["domain_id"])
    assert set(comparability["domain_id"]) == both_years
    assert {"comparable", "changed", "new", "discontinued", "moved"} <= set(comparability["status"])
    not_comparable = (comparability["status"] != "comparable").mean()
    assert 0.05 < not_comparable < 0.5
    assert comparability["reason"].str.len().gt(10).all()


def test_level_descriptions_are_attributed(frames) -> None:
    levels = frames.level_descriptions
    assert len(levels) == 2 * 7 * 5  # two surveys, seven pillars, five levels
    assert levels["attribution"].str.contains("NHS England").all()


def _broken_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "methodology"
    shutil.copytree(METHODOLOGY, folder)
    path = folder / "dma-methodology-2025.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_a_schema_fault_names_the_file_and_the_path_in_the_document(tmp_path: Path) -> None:
    def edit(document):
        document["domains"][3]["elements"][0]["level"] = 7

    path = _broken_copy(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        load_methodology(path)
    assert caught.value.file == str(path)
    assert caught.value.location.startswith("domains[3].elements[0].level")
    assert caught.value.rule == "schema"


def test_a_level_without_elements_is_refused(tmp_path: Path) -> None:
    def edit(document):
        domain = next(d for d in document["domains"] if d["scoring"] and "scores" not in d)
        domain["elements"] = [e for e in domain["elements"] if e["level"] != 4]

    path = _broken_copy(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        load_methodology(path)
    assert "4" in caught.value.message and caught.value.file == str(path)


def test_an_unknown_question_in_an_element_is_refused(tmp_path: Path) -> None:
    def edit(document):
        document["domains"][0]["elements"][0]["question"] = "no_such_question"

    path = _broken_copy(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        load_methodology(path)
    assert "no_such_question" in caught.value.message
    assert caught.value.location.startswith("domains[0].elements[0]")


def test_a_wrong_comparability_status_is_refused(tmp_path: Path) -> None:
    def edit(document):
        entry = next(c for c in document["comparability"] if c["status"] == "changed")
        entry["status"] = "comparable"

    _broken_copy(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        load_methodologies(tmp_path / "methodology")
    assert caught.value.rule == "comparability" and "comparability[" in caught.value.location


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dma-methodology-2025.yaml"
    path.write_text("year: 2025\ndomains: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_methodology(path)
    assert caught.value.file == str(path) and "line" in caught.value.location
