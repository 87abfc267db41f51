"""A small hand-built methodology and reference, in the frame shapes of CONTRACTS.md, for tests.

Two years (2024, 2025); care settings acute, community (secondary care) and icb.

2025 domains (2024 has the same except `medicines`, new in 2025):
- strategy (well_led, scoring, acute+community)
    L2 q_strategy == "Yes"; L3 q_board in ["Some", "All"]; L4 q_board == "All" and q_plan == "Yes";
    L5 q_pct >= 80
- context (well_led, NON-scoring, acute+community): q_context (number), one element
- medicines (smart_foundations, scoring, acute only), three score ids from q_med (multi) and q_med_n:
    med_interop L2 includes "Interop", L3 count_at_least 2;
    med_prescribing L2 includes "EPMA", L3 includes_all ["EPMA", "Barcode"], L4 q_med_n <= 5;
    med_dispensing L2 includes "Robot"
- icb_strategy (well_led, scoring, icb): L2 q_icb == "Yes"
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

NAN = float("nan")
SECONDARY = ("acute", "community")


@dataclass(frozen=True)
class Frames:
    """Stand-in for dma_publish.methodology.MethodologyFrames."""

    pillars: pd.DataFrame
    care_settings: pd.DataFrame
    domains: pd.DataFrame
    score_defs: pd.DataFrame
    questions: pd.DataFrame
    elements: pd.DataFrame
    comparability: pd.DataFrame
    level_descriptions: pd.DataFrame


@dataclass(frozen=True)
class Ref:
    """Stand-in for dma_publish.reference.Reference."""

    organisations: pd.DataFrame
    regions: pd.DataFrame
    is_demo: bool = True
    hexmap: pd.DataFrame | None = None  # no ICB map


# year-independent definitions
_DOMAINS = [
    ("strategy", "Strategy", "well_led", "secondary_care", SECONDARY, True),
    ("context", "Context", "well_led", "secondary_care", SECONDARY, False),
    ("medicines", "Digital medicines", "smart_foundations", "secondary_care", ("acute",), True),
    ("icb_strategy", "ICB strategy", "well_led", "icb", ("icb",), True),
]
_QUESTIONS = [
    # question_id, domain_id, answer_type, options, min, max, required, settings
    ("q_strategy", "strategy", "yes_no", (), NAN, NAN, True, SECONDARY),
    ("q_board", "strategy", "single_choice", ("None", "Some", "All"), NAN, NAN, True, SECONDARY),
    ("q_plan", "strategy", "yes_no", (), NAN, NAN, False, SECONDARY),
    ("q_pct", "strategy", "percentage", (), 0.0, 100.0, False, SECONDARY),
    ("q_context", "context", "number", (), 0.0, NAN, False, SECONDARY),
    (
        "q_med",
        "medicines",
        "multiple_choice",
        ("EPMA", "Interop", "Robot", "Barcode"),
        NAN,
        NAN,
        False,
        ("acute",),
    ),
    ("q_med_n", "medicines", "number", (), 0.0, 100.0, False, ("acute",)),
    ("q_icb", "icb_strategy", "yes_no", (), NAN, NAN, True, ("icb",)),
]
_ELEMENTS = [
    # element_id, domain_id, score_id, level, question_id, op, value
    ("e_strat_2", "strategy", "strategy", 2, "q_strategy", "equals", "Yes"),
    ("e_strat_3", "strategy", "strategy", 3, "q_board", "in", ["Some", "All"]),
    ("e_strat_4a", "strategy", "strategy", 4, "q_board", "equals", "All"),
    ("e_strat_4b", "strategy", "strategy", 4, "q_plan", "equals", "Yes"),
    ("e_strat_5", "strategy", "strategy", 5, "q_pct", "at_least", 80),
    ("e_context_2", "context", "context", 2, "q_context", "at_least", 0),
    ("e_med_i2", "medicines", "med_interop", 2, "q_med", "includes", "Interop"),
    ("e_med_i3", "medicines", "med_interop", 3, "q_med", "count_at_least", 2),
    ("e_med_p2", "medicines", "med_prescribing", 2, "q_med", "includes", "EPMA"),
    ("e_med_p3", "medicines", "med_prescribing", 3, "q_med", "includes_all", ["EPMA", "Barcode"]),
    ("e_med_p4", "medicines", "med_prescribing", 4, "q_med_n", "at_most", 5),
    ("e_med_d2", "medicines", "med_dispensing", 2, "q_med", "includes", "Robot"),
    ("e_icb_2", "icb_strategy", "icb_strategy", 2, "q_icb", "equals", "Yes"),
]
_SCORES = [
    ("strategy", "strategy"),
    ("medicines", "med_interop"),
    ("medicines", "med_prescribing"),
    ("medicines", "med_dispensing"),
    ("icb_strategy", "icb_strategy"),
]
_YEAR_DOMAINS = {2024: ("strategy", "context", "icb_strategy"), 2025: tuple(d[0] for d in _DOMAINS)}


def methodology(years: tuple[int, ...] = (2024, 2025)) -> Frames:
    """The mini methodology frames for the given years."""
    domains, defs, questions, elements, comparability = [], [], [], [], []
    for year in years:
        keep = _YEAR_DOMAINS[year]
        for domain_id, name, pillar, survey, settings, scoring in _DOMAINS:
            if domain_id in keep:
                domains.append((year, domain_id, name, pillar, survey, settings, scoring, ""))
        defs += [(year, d, s, s) for d, s in _SCORES if d in keep]
        for qid, did, kind, options, low, high, required, settings in _QUESTIONS:
            if did in keep:
                questions.append(
                    (year, qid, did, f"Text of {qid}", kind, options, low, high, required, settings)
                )
        for eid, did, sid, level, qid, op, value in _ELEMENTS:
            if did in keep:
                elements.append(
                    (year, eid, did, sid, level, qid, op, json.dumps(value), f"{eid} in place")
                )
        if year - 1 in years:
            for domain_id in sorted(set(keep) | set(_YEAR_DOMAINS[year - 1])):
                status = "comparable" if domain_id in _YEAR_DOMAINS[year - 1] else "new"
                comparability.append((year, domain_id, year - 1, status, ""))
    return Frames(
        pillars=pd.DataFrame(
            [("well_led", "Well led", 1, ""), ("smart_foundations", "Smart foundations", 2, "")],
            columns=["pillar_id", "pillar_name", "pillar_order", "former_name"],
        ),
        care_settings=pd.DataFrame(
            [("acute", "Acute", "secondary_care"), ("community", "Community", "secondary_care"), ("icb", "ICB", "icb")],
            columns=["care_setting", "care_setting_name", "survey"],
        ),
        domains=pd.DataFrame(
            domains,
            columns=["year", "domain_id", "domain_name", "pillar_id", "survey", "care_settings", "is_scoring", "description"],
        ),
        score_defs=pd.DataFrame(defs, columns=["year", "domain_id", "score_id", "score_name"]),
        questions=pd.DataFrame(
            questions,
            columns=[
                "year", "question_id", "domain_id", "question_text", "answer_type", "options",
                "min_value", "max_value", "is_required", "care_settings",
            ],
        ),
        elements=pd.DataFrame(
            elements,
            columns=[
                "year", "element_id", "domain_id", "score_id", "level", "question_id",
                "condition_op", "condition_value", "element_text",
            ],
        ),
        comparability=pd.DataFrame(
            comparability, columns=["year", "domain_id", "previous_year", "status", "reason"]
        ),
        level_descriptions=pd.DataFrame(
            columns=["survey", "pillar_id", "level", "level_description", "attribution"]
        ),
    )  # fmt: skip


def reference() -> Ref:
    """Three trusts and two ICBs in two regions."""
    organisations = pd.DataFrame(
        [
            ("RAA", "Alpha Trust", "trust", ("acute", "community"), "QAA", "Y61", "", ()),
            ("RBB", "Beta Trust", "trust", ("acute",), "QAA", "Y61", "", ()),
            ("RCC", "Gamma Trust", "trust", ("community",), "QBB", "Y62", "", ()),
            ("QAA", "Alpha ICB", "icb", ("icb",), "QAA", "Y61", "E54000001", ()),
            ("QBB", "Beta ICB", "icb", ("icb",), "QBB", "Y62", "E54000002", ()),
        ],
        columns=[
            "org_code", "org_name", "org_type", "care_settings", "icb_code", "region_code",
            "ons_code", "predecessor_codes",
        ],
    )  # fmt: skip
    regions = pd.DataFrame(
        [("Y61", "North", "E40000001"), ("Y62", "South", "E40000002")],
        columns=["region_code", "region_name", "ons_code"],
    )
    return Ref(organisations=organisations, regions=regions)


# A complete 2025 answer set per care setting that meets every element.
FULL = {
    "acute": {
        "q_strategy": "Yes", "q_board": "All", "q_plan": "Yes", "q_pct": "90", "q_context": "3",
        "q_med": "EPMA;Interop;Robot;Barcode", "q_med_n": "2",
    },
    "community": {"q_strategy": "Yes", "q_board": "All", "q_plan": "Yes", "q_pct": "90", "q_context": "3"},
    "icb": {"q_icb": "Yes"},
}  # fmt: skip


def answers_for(year: int, org: str, setting: str, **overrides: str | None) -> list[tuple]:
    """Answer tuples (year, org, setting, question, answer) for one return; None drops a row."""
    answers = {**FULL[setting], **overrides}
    if year == 2024:
        answers = {q: a for q, a in answers.items() if not q.startswith("q_med")}
    return [(year, org, setting, q, a) for q, a in answers.items() if a is not None]


def answers_frame(*groups: list[tuple]) -> pd.DataFrame:
    """A validated-answers frame from answer tuples."""
    rows = [row for group in groups for row in group]
    frame = pd.DataFrame(
        rows, columns=["year", "org_code", "care_setting", "question_id", "answer"]
    )
    return frame.astype({"year": "int64"})


def rows_frame(*groups: list[tuple], file: str = "dma-returns-2025.csv") -> pd.DataFrame:
    """A read-returns rows frame (all text, with source file and line) from answer tuples."""
    rows = [row for group in groups for row in group]
    frame = pd.DataFrame(
        [(str(y), o, c, q, a, "2025-05-01T10:00:00Z", "Ann Example", "ann@example.nhs.uk") for y, o, c, q, a in rows],
        columns=[
            "year", "org_code", "care_setting", "question_id", "answer", "submitted_at",
            "submitter_name", "submitter_email",
        ],
    )  # fmt: skip
    frame["source_file"] = file
    frame["source_line"] = range(2, len(frame) + 2)
    return frame


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of a rows frame, as a returns file would hold it."""
    return frame.drop(columns=["source_file", "source_line"]).to_csv(
        index=False, lineterminator="\n"
    )
