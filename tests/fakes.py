"""Real publications for tests, built small: one constructor, `publication(...)`, and one for each
part it is made of. Every value is the real type the pipeline hands on (Release, Reference,
MethodologyFrames, Validated, Scores, Publication), never a stand-in, so the product code needs
no guard for a test's missing attribute. A part left out is empty, with its real columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from dma_publish.methodology import MethodologyFrames
from dma_publish.publication import Publication
from dma_publish.reference import Reference
from dma_publish.release import Release
from dma_publish.score import Scores
from dma_publish.validate import ANSWER_COLUMNS, ISSUE_COLUMNS, RETURN_STATUS_COLUMNS, Validated

METHODOLOGY_COLUMNS = {
    "pillars": ["year", "pillar_id", "pillar_name", "order"],
    "care_settings": ["year", "care_setting", "care_setting_name", "survey"],
    "domains": ["year", "domain_id", "domain_name", "pillar_id", "survey", "care_settings",
                "is_scoring", "order"],
    "score_defs": ["year", "domain_id", "score_id", "score_name", "pillar_id"],
    "questions": ["year", "domain_id", "question_id", "text", "answer_type", "options"],
    "elements": ["year", "domain_id", "score_id", "element_id", "level", "text", "question_id",
                 "op", "value"],
    "comparability": ["year", "domain_id", "previous_year", "status", "reason"],
    "level_descriptions": ["year", "domain_id", "score_id", "level", "description"],
}  # fmt: skip
SCORE_COLUMNS = {
    "domain_scores": ["year", "org_code", "care_setting", "domain_id", "score_id", "pillar_id",
                      "score"],
    "pillar_scores": ["year", "org_code", "care_setting", "pillar_id", "score", "n_scores"],
    "overall_scores": ["year", "org_code", "care_setting", "score", "n_pillars"],
    "element_results": ["year", "org_code", "care_setting", "element_id", "met"],
}  # fmt: skip
ORGANISATION_COLUMNS = ["org_code", "org_name", "org_type", "care_settings", "icb_code",
                        "region_code"]  # fmt: skip


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def release(version: str = "2025.1.0", status: str = "final", **fields: Any) -> Release:
    """A valid Release (one revision: this version)."""
    date = fields.pop("release_date", dt.date(2025, 9, 18))
    values = {
        "version": version,
        "release_date": date,
        "status": status,
        "reporting_period": "April to June 2025",
        "years": (2025,),
        "title": "Digital Maturity Assessment (test)",
        "publisher": "Test publisher",
        "contact": "test@example.org",
        "licence": "Open Government Licence v3.0",
        "revisions": ({"version": version, "date": date, "note": "First release."},),
        **fields,
    }
    return Release.model_validate(values)


def reference(
    organisations: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
    is_demo: bool = True,
) -> Reference:
    """A Reference of these organisations (and regions)."""
    return Reference(
        organisations=_empty(ORGANISATION_COLUMNS) if organisations is None else organisations,
        regions=_empty(["region_code", "region_name"]) if regions is None else regions,
        is_demo=is_demo,
    )


def methodology(**frames: pd.DataFrame) -> MethodologyFrames:
    """MethodologyFrames with these frames, the others empty."""
    return MethodologyFrames(
        **{name: frames.get(name, _empty(cols)) for name, cols in METHODOLOGY_COLUMNS.items()}
    )


def scores(**frames: pd.DataFrame) -> Scores:
    """Scores with these frames (domain_scores, pillar_scores, ...), the others empty."""
    return Scores(**{name: frames.get(name, _empty(cols)) for name, cols in SCORE_COLUMNS.items()})


def validated(**frames: Any) -> Validated:
    """What validation hands on, with nothing read unless given."""
    return Validated(
        answers=frames.get("answers", _empty(list(ANSWER_COLUMNS))),
        issues=frames.get("issues", _empty(list(ISSUE_COLUMNS))),
        returns=frames.get("returns", _empty(list(RETURN_STATUS_COLUMNS))),
        reconciliation=frames.get("reconciliation", {}),
    )


def publication(**parts: Any) -> Publication:
    """A Publication of these parts (any field of Publication), the rest empty but real."""
    values: dict[str, Any] = {
        "release": release(),
        "reference": reference(),
        "methodology": methodology(),
        "validated": validated(),
        "scores": scores(),
        "benchmarks": pd.DataFrame(),
        "inputs_hash": "0" * 64,
        "generator_version": "0",
        "is_demo": True,
        **parts,
    }
    return Publication(**values)


def one_domain_score() -> pd.DataFrame:
    """One domain score row: a publication that has domain scores (`has_domains`)."""
    row = ["2025", "Z00", "acute", "d1", "d1", "well_led", 3]
    return pd.DataFrame([row], columns=SCORE_COLUMNS["domain_scores"])
