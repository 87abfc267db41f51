"""One registry of the published fields and tables (PUDL style): every output format derives from it.

A `Field` says what a column is once (type, description, unit, decimal places, constraints, how a
missing cell is written); a `Table` lists its fields in column order, its primary and foreign keys
and the formats it is published in. From these come the pyarrow schema for Parquet, the pandas
dtypes, the CSV column order and decimal places, the Frictionless Table Schema, the DfE
explore-education-statistics ``.meta.csv`` and the data dictionary. Checks against a frame refuse
drift both ways: a column without metadata and metadata without a column are errors.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from dma_publish import peergroups
from dma_publish.aggregate import BENCHMARK_KEY
from dma_publish.score import SCORE_DP

FieldType = Literal["string", "integer", "number", "boolean", "date"]
Kind = Literal["filter", "indicator"]

NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
CONFIDENTIAL = "[c]"
# GSS shorthand written in place of a missing value in CSV (Parquet holds a null).
MISSING_VALUES: dict[str, str] = {
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
    CONFIDENTIAL: "confidential: withheld under the publication policy",
}
# Columns of the returns that are personal data or submission bookkeeping: never published.
UNPUBLISHABLE_COLUMNS = frozenset(
    {"submitter_name", "submitter_email", "submitted_at", "source_file", "source_line"}
)

CODE_PATTERN = r"^[A-Z0-9]{3,5}$"
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
ONS_PATTERN = r"^E\d{8}$"
CODE_LIST_PATTERN = r"^[A-Z0-9]{3,5}(;[A-Z0-9]{3,5})*$"
ID_LIST_PATTERN = r"^[a-z][a-z0-9_]*(;[a-z][a-z0-9_]*)*$"
VERSION_PATTERN = r"^\d{4}\.\d+\.\d+$"

CARE_SETTINGS = ("acute", "mental_health", "community", "ambulance", "icb")
SURVEYS = ("secondary_care", "icb")
COMPARABILITY_STATUSES = ("comparable", "changed", "new", "discontinued", "moved")
RETURN_STATUSES = ("scored", "rejected", "missing")
PEER_GROUP_TYPES = peergroups.NAMES
SCORE_TABLES = ("domain_scores", "pillar_scores", "overall_scores")
# The tables compared value by value between versions (dma_publish.releases).
VALUE_TABLES = (*SCORE_TABLES, "benchmarks")
REVISION_KINDS = ("scheduled", "correction")
CHANGE_TYPES = ("changed", "added", "removed", "now_withheld", "no_longer_withheld")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
}
_PANDAS_DTYPES = {
    "int8": "Int8",
    "int16": "Int16",
    "int32": "Int32",
    "float64": "Float64",
    "string": "string",
    "bool": "boolean",
}


class SchemaDriftError(ValueError):
    """A frame and the registry disagree: a column without metadata, or metadata without a column."""


class ConstraintError(ValueError):
    """A published value breaks its field's declared constraint (required, enum, range, pattern)."""


@dataclass(frozen=True)
class Field:
    """One published column: what it means, its type and constraints, and how it is written."""

    name: str
    title: str
    description: str
    type: FieldType
    storage: str  # key of _ARROW_TYPES: the Parquet/arrow type and the pandas dtype
    kind: Kind = "filter"
    unit: str | None = None
    dp: int | None = None  # decimal places in CSV (numbers); values are rounded to it
    required: bool = True
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    missing: str = NOT_AVAILABLE  # marker for a null cell in CSV
    na_when_null: str | None = None  # a null here is [z] when this other column is null
    suppressed_by: str | None = None  # a null here is [c] when this boolean column is true
    hint: str = ""  # EES filter_hint

    @property
    def arrow_type(self) -> pa.DataType:
        """The pyarrow type of the column in Parquet."""
        return _ARROW_TYPES[self.storage]

    @property
    def pandas_dtype(self) -> str:
        """The pandas (nullable) dtype of the column in memory and when read back."""
        return _PANDAS_DTYPES[self.storage]


@dataclass(frozen=True)
class ForeignKey:
    """Columns of one table that must match the key of another (for referential integrity)."""

    fields: tuple[str, ...]
    table: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One published table: its fields in column order, keys, formats and EES filter groupings."""

    name: str
    title: str
    description: str
    fields: tuple[str, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    formats: tuple[str, ...] = ("parquet", "csv")
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    groupings: Mapping[str, str] = field(default_factory=dict)  # EES filter_grouping_column

    @property
    def columns(self) -> list[str]:
        """The column order of every format."""
        return list(self.fields)

    def field_defs(self) -> list[Field]:
        """The table's fields, with any table-specific overrides applied."""
        return [
            dataclasses.replace(FIELDS[name], **self.overrides.get(name, {}))
            for name in self.fields
        ]

    def get_field(self, name: str) -> Field:
        """One field of this table, overrides applied."""
        if name not in self.fields:
            raise KeyError(f"{self.name} has no field {name!r}")
        return dataclasses.replace(FIELDS[name], **self.overrides.get(name, {}))


def _f(name: str, title: str, description: str, type_: FieldType, storage: str, **kw: Any) -> Field:
    """Build a Field (short form, so the registry below reads as a table)."""
    return Field(name, title, description, type_, storage, **kw)


def _score(name: str, title: str, description: str, **kw: Any) -> Field:
    """A published mean score: 1 to 5, rounded half away from zero to `SCORE_DP` (2) places."""
    kw = {"unit": "score (1 to 5)", "dp": SCORE_DP, "minimum": 1, "maximum": 5, **kw}
    return _f(name, title, description, "number", "float64", kind="indicator", **kw)


def _count(name: str, title: str, description: str, storage: str = "int16", **kw: Any) -> Field:
    """A whole-number count (never written with a decimal point)."""
    kw = {"dp": 0, "minimum": 0, **kw}
    return _f(name, title, description, "integer", storage, kind="indicator", **kw)


_LEVEL_COUNTS = [
    _count(
        f"n_level_{level}",
        f"Organisations at level {level}",
        f"Number of organisations in the peer group whose score is at level {level} (pillar and "
        "overall scores: the published 2-decimal-place score rounded half away from zero to a "
        "whole level, so 2.495, published as 2.50, is level 3).",
        unit="organisations",
        required=False,
        suppressed_by="is_suppressed",
    )
    for level in range(1, 6)
]
_LEVEL_DESCRIPTIONS = [
    _f(
        f"level_{level}_description",
        f"Level {level} elements",
        f"What is in place at level {level}: the scoring elements of this level, joined with "
        "' | ' (prefixed by the score name where a domain yields several scores). Level 1 is the "
        "floor and has no elements.",
        "string",
        "string",
        required=False,
        missing=NOT_APPLICABLE,
    )
    for level in range(2, 6)
]

_FIELD_LIST: list[Field] = [
    # --- time and organisation ---------------------------------------------------------------
    _f(
        "year",
        "Assessment year",
        "The assessment year the return or figure belongs to.",
        "integer",
        "int16",
        minimum=2021,
        maximum=2100,
    ),
    _f(
        "org_code",
        "Organisation code",
        "ODS code of the trust or Integrated Care Board (ICB).",
        "string",
        "string",
        pattern=CODE_PATTERN,
        hint="ODS code",
    ),
    _f("org_name", "Organisation name", "Name of the trust or ICB.", "string", "string"),
    _f(
        "org_type",
        "Organisation type",
        "trust (secondary care provider) or icb (Integrated Care Board).",
        "string",
        "string",
        enum=("trust", "icb"),
    ),
    _f(
        "care_setting",
        "Care setting",
        "The care setting the return describes: each trust answers a tailored survey per care setting; an ICB's is icb.",
        "string",
        "string",
        enum=CARE_SETTINGS,
    ),
    _f(
        "care_settings",
        "Care settings",
        "The care settings the organisation provides (or the domain applies to), joined with ';'.",
        "string",
        "string",
        pattern=ID_LIST_PATTERN,
    ),
    _f(
        "icb_code",
        "ICB code",
        "ODS code of the Integrated Care Board whose system the organisation belongs to (an ICB's own code for an ICB).",
        "string",
        "string",
        pattern=CODE_PATTERN,
    ),
    _f("icb_name", "ICB name", "Name of the Integrated Care Board.", "string", "string"),
    _f(
        "icb_ons_code",
        "ICB ONS code",
        "ONS (GSS) code of the Integrated Care Board.",
        "string",
        "string",
        pattern=ONS_PATTERN,
    ),
    _f(
        "region_code",
        "Region code",
        "ODS code of the NHS England region.",
        "string",
        "string",
        pattern=CODE_PATTERN,
    ),
    _f("region_name", "Region name", "Name of the NHS England region.", "string", "string"),
    _f(
        "region_ons_code",
        "Region ONS code",
        "ONS (GSS) code of the NHS England region.",
        "string",
        "string",
        pattern=ONS_PATTERN,
    ),
    _f(
        "predecessor_codes",
        "Predecessor codes",
        "ODS codes of organisations merged into this one, joined with ';'; [z] when there are none.",
        "string",
        "string",
        pattern=CODE_LIST_PATTERN,
        required=False,
        missing=NOT_APPLICABLE,
    ),
    # --- methodology dimension -------------------------------------------------------------
    _f(
        "survey",
        "Survey",
        "The survey the domain belongs to: secondary_care (trusts) or icb.",
        "string",
        "string",
        enum=SURVEYS,
    ),
    _f(
        "pillar_id",
        "Pillar",
        "Identifier of the What Good Looks Like pillar.",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f(
        "pillar_name", "Pillar name", "Name of the What Good Looks Like pillar.", "string", "string"
    ),
    _f(
        "domain_id",
        "Domain",
        "Identifier of the assessment domain.",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f("domain_name", "Domain name", "Name of the assessment domain.", "string", "string"),
    _f(
        "domain_description",
        "Domain description",
        "What the domain assesses.",
        "string",
        "string",
        required=False,
    ),
    _f(
        "is_scoring",
        "Is scoring",
        "true when the domain is scored; false for a non-scoring domain published as context only.",
        "boolean",
        "bool",
    ),
    _f(
        "score_id",
        "Score",
        "Identifier of the score a domain yields (the domain's own id unless it yields several scores).",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f("score_name", "Score name", "Name of the score.", "string", "string"),
    _f(
        "score_ids",
        "Scores",
        "The scores the domain yields, joined with ';'; [z] for a non-scoring domain.",
        "string",
        "string",
        pattern=ID_LIST_PATTERN,
        required=False,
        missing=NOT_APPLICABLE,
    ),
    *_LEVEL_DESCRIPTIONS,
    _f(
        "comparability_previous_year",
        "Compared with year",
        "The previous assessment year the comparability status refers to; [z] in the first year.",
        "integer",
        "int16",
        kind="indicator",
        dp=0,
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _f(
        "comparability_status",
        "Comparability with previous year",
        "comparable, changed, new, discontinued or moved (between provider and ICB level): whether a score can be compared with the previous year's.",
        "string",
        "string",
        enum=COMPARABILITY_STATUSES,
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _f(
        "comparability_reason",
        "Comparability reason",
        "Why the domain is or is not comparable with the previous year.",
        "string",
        "string",
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _f(
        "element_id",
        "Element",
        "Identifier of a scoring element: one condition on one answer that a level requires.",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f(
        "element_text",
        "Element description",
        "In plain words, what is in place when the element is met.",
        "string",
        "string",
    ),
    _f(
        "next_level",
        "Next level",
        "The level above the organisation's domain score: the level whose unmet elements the row lists.",
        "integer",
        "int8",
        unit="level (2 to 5)",
        dp=0,
        minimum=2,
        maximum=5,
    ),
    # --- scores ----------------------------------------------------------------------------
    _f(
        "domain_score",
        "Domain score",
        "Whole-number maturity level 1 to 5: the highest level whose every scoring element is met, all lower levels' elements being met too (level 1 is the floor).",
        "integer",
        "int8",
        kind="indicator",
        unit="level (1 to 5)",
        dp=0,
        minimum=1,
        maximum=5,
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "pillar_score",
        "Pillar score",
        "Mean of the organisation's domain scores in the pillar for that care setting and year; "
        "[c] where the disclosure audit withholds it (it would give withheld domain scores away).",
        required=False,
        suppressed_by="score_is_suppressed",
    ),
    _count(
        "n_scores",
        "Number of domain scores in pillar",
        "Number of domain scores the pillar score is the mean of.",
        unit="scores",
        minimum=1,
    ),
    _score(
        "overall_score",
        "Overall score",
        "Mean of the organisation's pillar scores for that care setting and year; [c] where one "
        "of its pillar scores is withheld (the missing pillar would follow from it).",
        required=False,
        suppressed_by="score_is_suppressed",
    ),
    _count(
        "n_pillars",
        "Pillars",
        "Number of pillar scores the overall score is the mean of.",
        unit="pillars",
        minimum=1,
        maximum=7,
    ),
    _f(
        "lfl_previous_year",
        "Like-for-like previous year",
        "The previous assessment year the like-for-like change compares with; [z] where there is none.",
        "integer",
        "int16",
        kind="indicator",
        dp=0,
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _score(
        "lfl_score",
        "Like-for-like score",
        "Pillar score over only the scores comparable between the previous year and this year; [x] when the organisation has no comparable scores in both years.",
        required=False,
        na_when_null="lfl_previous_year",
        suppressed_by="lfl_is_suppressed",
    ),
    _score(
        "lfl_previous_score",
        "Like-for-like previous score",
        "The previous year's pillar score over the same comparable scores.",
        required=False,
        na_when_null="lfl_previous_year",
        suppressed_by="lfl_is_suppressed",
    ),
    _score(
        "lfl_change",
        "Like-for-like change",
        "lfl_score minus lfl_previous_score, computed at full precision and then rounded.",
        unit="score points",
        minimum=-4,
        maximum=4,
        required=False,
        na_when_null="lfl_previous_year",
        suppressed_by="lfl_is_suppressed",
    ),
    _count(
        "lfl_n_scores",
        "Like-for-like scores",
        "Number of comparable scores the like-for-like scores are means of.",
        unit="scores",
        minimum=1,
        required=False,
        na_when_null="lfl_previous_year",
        suppressed_by="lfl_is_suppressed",
    ),
    _f(
        "lfl_is_suppressed",
        "Like-for-like withheld",
        "true when the like-for-like values are withheld under the publication policy (written [c]).",
        "boolean",
        "bool",
    ),
    _f(
        "score_is_suppressed",
        "Score withheld",
        "true when the pillar or overall score is withheld by the disclosure audit, because "
        "with the rest of the publication it would give withheld domain scores away (written [c]).",
        "boolean",
        "bool",
    ),
    _f(
        "is_suppressed",
        "Withheld",
        "true when the row's values are withheld under the publication policy (written [c]).",
        "boolean",
        "bool",
    ),
    # --- benchmarks ------------------------------------------------------------------------
    _f(
        "peer_group_type",
        "Peer group type",
        "The level of the peer group: national, region or icb_system (an ICB's member trusts). "
        "Every group holds one care setting (care_setting): pillar and overall scores are built "
        "from different domains in each setting, so settings are never pooled.",
        "string",
        "string",
        enum=PEER_GROUP_TYPES,
    ),
    _f(
        "peer_group_code",
        "Peer group code",
        "ENG (national), a region code or an ICB code.",
        "string",
        "string",
    ),
    _f("peer_group_name", "Peer group name", "Name of the peer group.", "string", "string"),
    _f(
        "measure_type",
        "Measure type",
        "What is summarised: overall, pillar or domain scores.",
        "string",
        "string",
        enum=("overall", "pillar", "domain"),
    ),
    _f(
        "measure_id",
        "Measure",
        "overall, a pillar id or a score id.",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f(
        "measure_name",
        "Measure name",
        "Name of the overall score, pillar or score summarised.",
        "string",
        "string",
    ),
    _count(
        "n_orgs",
        "Organisations",
        "Number of distinct organisations in the peer group with a score (a group holds one "
        "care setting, so each organisation counts once).",
        unit="organisations",
        minimum=1,
    ),
    _score(
        "mean_score",
        "Mean",
        "Mean score of the peer group.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "median_score",
        "Median",
        "Median score of the peer group.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "q1_score",
        "Lower quartile",
        "Lower quartile (25th percentile, linear interpolation: type 7, as R's quantile() and Excel's QUARTILE.INC) of the peer group's scores.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "q3_score",
        "Upper quartile",
        "Upper quartile (75th percentile, linear interpolation: type 7, as R's quantile() and Excel's QUARTILE.INC) of the peer group's scores.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "min_score",
        "Lowest",
        "Lowest score in the peer group.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    _score(
        "max_score",
        "Highest",
        "Highest score in the peer group.",
        required=False,
        suppressed_by="is_suppressed",
    ),
    *_LEVEL_COUNTS,
    # --- release metadata ------------------------------------------------------------------
    _f(
        "version",
        "Version",
        "Version of the publication (year.major.minor).",
        "string",
        "string",
        pattern=VERSION_PATTERN,
    ),
    _f("revision_date", "Date", "Date the version was released (ISO 8601).", "date", "string"),
    _f("note", "Note", "What the version changed.", "string", "string"),
    _f(
        "revision_kind",
        "Kind of revision",
        "scheduled: a planned release or revision (new data); correction: an error fixed, as the "
        "Code of Practice for Statistics distinguishes them.",
        "string",
        "string",
        enum=REVISION_KINDS,
    ),
    # --- changes between versions ----------------------------------------------------------
    _f(
        "previous_version",
        "Previous version",
        "The earlier version compared with (the last one whose values are archived).",
        "string",
        "string",
        pattern=VERSION_PATTERN,
    ),
    _f(
        "value_table",
        "Table",
        "The published table the value is in.",
        "string",
        "string",
        enum=VALUE_TABLES,
    ),
    _f(
        "unit_type",
        "Unit",
        "Whose value it is: an organisation, or a peer group (national, region, icb_system).",
        "string",
        "string",
        enum=("organisation", *PEER_GROUP_TYPES),
    ),
    _f(
        "unit_code",
        "Unit code",
        "The organisation code (ODS), or the peer group's code.",
        "string",
        "string",
        pattern=CODE_PATTERN,
    ),
    _f("unit_name", "Unit name", "The organisation's or peer group's name.", "string", "string"),
    _f(
        "value_column",
        "Column",
        "The column of the table whose value changed (see the data dictionary).",
        "string",
        "string",
        pattern=ID_PATTERN,
    ),
    _f(
        "change_type",
        "Change",
        "changed: a different value; added: a value the previous version did not have; "
        "removed: a value this version no longer has; now_withheld and no_longer_withheld: "
        "the value is withheld in one of the two versions, so neither value is shown.",
        "string",
        "string",
        enum=CHANGE_TYPES,
    ),
    _f(
        "old_value",
        "Old value",
        "The value in the previous version, exactly as its CSV published it ([z] when that "
        "version had no value, or when either version withholds it).",
        "string",
        "string",
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _f(
        "new_value",
        "New value",
        "The value in this version, exactly as its CSV publishes it ([z] when this version has "
        "no value, or when either version withholds it).",
        "string",
        "string",
        required=False,
        missing=NOT_APPLICABLE,
    ),
    _f(
        "reason",
        "Reason",
        "Why the value changed: the reason the revision log gives for this organisation, else "
        "the version's note.",
        "string",
        "string",
    ),
    # --- disclosure audit ------------------------------------------------------------------
    _count(
        "feasible_levels",
        "Feasible levels",
        "How many of the levels 1 to 5 a withheld domain score can take, given everything "
        "published: the levels some solution gives it in the disclosure audit's final, exact "
        "run on the publication as published (after any extra withholding), within its "
        "neighbourhood with the rest held at its true values; 1 would mean it could be worked "
        "back exactly.",
        unit="levels",
        minimum=1,
        maximum=5,
    ),
    _count(
        "n_withheld",
        "Withheld scores",
        "Number of withheld organisation domain scores with this many feasible levels.",
        unit="scores",
    ),
    # --- per-organisation slices -----------------------------------------------------------
    _f("table", "Table", "Which table the row comes from.", "string", "string", enum=SCORE_TABLES),
    # --- returns: reconciliation and non-response --------------------------------------------
    _f(
        "return_status",
        "Return status",
        "scored (passed validation and scored), rejected (failed validation: set aside whole and "
        "listed in the validation report) or missing (expected but not received: no answer rows).",
        "string",
        "string",
        enum=RETURN_STATUSES,
    ),
    _count(
        "n_answer_rows",
        "Answer rows",
        "Answer rows read for the return (0 when it is missing).",
        unit="rows",
    ),
    _count(
        "n_errors",
        "Errors",
        "Validation errors found in the return (a return with any error is rejected).",
        unit="errors",
    ),
    _count(
        "returns_expected",
        "Returns expected",
        "Returns expected: every organisation in the reference list, once for each of its care "
        "settings (an ICB once, for its own survey).",
        unit="returns",
    ),
    _count(
        "returns_read",
        "Returns read",
        "Returns with at least one answer row in the returns file.",
        unit="returns",
    ),
    _count("returns_scored", "Returns scored", "Returns read and scored.", unit="returns"),
    _count(
        "returns_rejected",
        "Returns rejected",
        "Returns read and rejected whole by validation.",
        unit="returns",
    ),
    _count(
        "returns_missing",
        "Returns missing",
        "Expected returns not received (non-response).",
        unit="returns",
    ),
    _count(
        "returns_unexpected",
        "Returns not expected",
        "Returns read for an organisation or care setting not in the reference list (always "
        "rejected).",
        unit="returns",
    ),
    _count("answer_rows_read", "Answer rows read", "Answer rows read.", "int32", unit="rows"),
    _count(
        "answer_rows_scored",
        "Answer rows scored",
        "Answer rows of scored returns.",
        "int32",
        unit="rows",
    ),
    _count(
        "answer_rows_rejected",
        "Answer rows rejected",
        "Answer rows of rejected returns.",
        "int32",
        unit="rows",
    ),
]
FIELDS: dict[str, Field] = {f.name: f for f in _FIELD_LIST}

_ORG = ("org_code", "org_name", "org_type", "care_setting", "icb_code", "region_code")
_SCORE_DIMS = ("year", *_ORG)
_ORG_FK = ForeignKey(("org_code",), "organisations", ("org_code",))
_DOMAIN_FK = ForeignKey(("year", "domain_id"), "domains", ("year", "domain_id"))
_DOMAIN_PARTS = ("pillar_id", "pillar_name", "domain_id", "domain_name", "score_id", "score_name")
_PILLAR_PARTS = ("pillar_id", "pillar_name")
_LFL = ("lfl_previous_year", "lfl_score", "lfl_previous_score", "lfl_change", "lfl_n_scores")
_NOT_HERE = {"required": False, "missing": NOT_APPLICABLE}

_TABLE_LIST: list[Table] = [
    Table(
        "domain_scores",
        "Scores by domain",
        "One row per organisation, care setting, year and score: the whole-number domain score.",
        (*_SCORE_DIMS, *_DOMAIN_PARTS, "domain_score", "is_suppressed"),
        ("year", "org_code", "care_setting", "score_id"),
        (_ORG_FK, _DOMAIN_FK),
        groupings={"domain_id": "pillar_id", "score_id": "domain_id", "org_code": "region_code"},
    ),
    Table(
        "pillar_scores",
        "Scores by pillar",
        "One row per organisation, care setting, year and pillar: the mean of its domain scores, "
        "with the like-for-like comparison with the previous year.",
        (
            *_SCORE_DIMS,
            *_PILLAR_PARTS,
            "pillar_score",
            "n_scores",
            *_LFL,
            "score_is_suppressed",
            "lfl_is_suppressed",
        ),
        ("year", "org_code", "care_setting", "pillar_id"),
        (_ORG_FK,),
        groupings={"org_code": "region_code"},
    ),
    Table(
        "overall_scores",
        "Overall scores",
        "One row per organisation, care setting and year: the mean of its pillar scores.",
        (*_SCORE_DIMS, "overall_score", "n_pillars", "score_is_suppressed"),
        ("year", "org_code", "care_setting"),
        (_ORG_FK,),
        groupings={"org_code": "region_code"},
    ),
    Table(
        "benchmarks",
        "Benchmarks",
        "One row per peer group (a level of geography and one care setting), year and measure: "
        "how the group's scores are distributed (count, mean, median, quartiles of type 7, "
        "range, organisations at each level). A trust with two care settings is one row in each "
        "setting's groups and never counts twice in one group. Benchmarks compare; they are not "
        "a league table.",
        (
            "year",
            "survey",
            "peer_group_type",
            "peer_group_code",
            "peer_group_name",
            "care_setting",
            "measure_type",
            "measure_id",
            "measure_name",
            "n_orgs",
            "mean_score",
            "median_score",
            "q1_score",
            "q3_score",
            "min_score",
            "max_score",
            *(f.name for f in _LEVEL_COUNTS),
            "is_suppressed",
        ),
        tuple(BENCHMARK_KEY),
        overrides={
            "care_setting": {
                "enum": CARE_SETTINGS,
                "description": "The one care setting the peer group covers (icb: ICBs' own "
                "survey). Settings are never pooled.",
            },
        },
        groupings={"measure_id": "measure_type", "peer_group_code": "peer_group_type"},
    ),
    Table(
        "domains",
        "Domains",
        "One row per domain and year: the methodology dimension (pillar, survey, care settings, "
        "scoring or not, the elements of each level) and comparability with the previous year.",
        (
            "year",
            "domain_id",
            "domain_name",
            "pillar_id",
            "pillar_name",
            "survey",
            "care_settings",
            "is_scoring",
            "score_ids",
            "domain_description",
            *(f.name for f in _LEVEL_DESCRIPTIONS),
            "comparability_previous_year",
            "comparability_status",
            "comparability_reason",
        ),
        ("year", "domain_id"),
        groupings={"domain_id": "pillar_id"},
    ),
    Table(
        "organisations",
        "Organisations",
        "One row per trust and ICB: codes (ODS and ONS), names, type, care settings, ICB, region "
        "and predecessors.",
        (
            "org_code",
            "org_name",
            "org_type",
            "care_settings",
            "icb_code",
            "icb_name",
            "icb_ons_code",
            "region_code",
            "region_name",
            "region_ons_code",
            "predecessor_codes",
        ),
        ("org_code",),
        (ForeignKey(("icb_code",), "organisations", ("org_code",)),),
        groupings={"org_code": "region_code"},
    ),
    Table(
        "comparability_notes",
        "Comparability notes",
        "One row per domain, year and previous year: whether the domain's scores can be compared "
        "with the previous year's, and why. Discontinued domains are listed in the year they stop.",
        (
            "year",
            "comparability_previous_year",
            "domain_id",
            "domain_name",
            "pillar_id",
            "survey",
            "comparability_status",
            "comparability_reason",
        ),
        ("year", "domain_id"),
        formats=("csv", "json"),
        overrides={
            "comparability_previous_year": {"required": True},
            "comparability_status": {"required": True},
            "comparability_reason": {"required": True},
        },
        groupings={"domain_id": "pillar_id"},
    ),
    Table(
        "next_level_elements",
        "What the next level needs",
        "One row per organisation, care setting, year, score and unmet element of the next level: "
        "the elements an organisation still needs for the level above its domain score. Published "
        "only for domains whose organisation scores the publication policy shows.",
        (
            *_SCORE_DIMS,
            *_DOMAIN_PARTS,
            "domain_score",
            "next_level",
            "element_id",
            "element_text",
        ),
        ("year", "org_code", "care_setting", "score_id", "element_id"),
        (_ORG_FK, _DOMAIN_FK),
        overrides={"domain_score": {"required": True, "maximum": 4, "suppressed_by": None}},
        groupings={"score_id": "domain_id", "org_code": "region_code"},
    ),
    Table(
        "returns",
        "Returns and non-response",
        "One row per expected return (organisation, care setting and year): whether it was scored, "
        "rejected by validation or is missing (not received). Every trust is expected once for "
        "each care setting in the reference list and every ICB once, in every year published.",
        (*_SCORE_DIMS, "return_status", "n_answer_rows", "n_errors"),
        ("year", "org_code", "care_setting"),
        (_ORG_FK,),
        groupings={"org_code": "region_code"},
    ),
    Table(
        "reconciliation",
        "Reconciliation",
        "One row per year: answer rows and returns read, scored and rejected, and returns "
        "expected and missing. Rows read = rows scored + rows rejected; returns read = returns "
        "scored + returns rejected; returns expected = returns read - returns not expected + "
        "returns missing.",
        (
            "year",
            "answer_rows_read",
            "answer_rows_scored",
            "answer_rows_rejected",
            "returns_read",
            "returns_scored",
            "returns_rejected",
            "returns_unexpected",
            "returns_expected",
            "returns_missing",
        ),
        ("year",),
    ),
    Table(
        "disclosure_audit",
        "Disclosure audit",
        "One row per year, survey and number of feasible levels: how many withheld organisation "
        "domain scores an attacker who knows every published figure could narrow to that many "
        "levels (1 to 5). Counts only: a score's own range is not published. After the build's "
        "extra withholding no score has 1 feasible level.",
        ("year", "survey", "feasible_levels", "n_withheld"),
        ("year", "survey", "feasible_levels"),
        overrides={
            "survey": {"description": "The survey: secondary_care (trusts) or icb."},
        },
    ),
    Table(
        "revisions",
        "Revision log",
        "One row per version of this publication: when it was released, whether it was a "
        "scheduled release or a correction, and what it changed.",
        ("version", "revision_date", "revision_kind", "note"),
        ("version",),
        formats=("csv",),
    ),
    Table(
        "changes",
        "Changes between versions",
        "One row per published value that a version changed, added or removed compared with the "
        "previous version whose values are archived: scores of organisations and benchmarks of "
        "peer groups, value by value (the same keys: year, organisation or peer group, care "
        "setting, measure and column). A value withheld in either version is never shown.",
        (
            "version",
            "previous_version",
            "revision_date",
            "revision_kind",
            "value_table",
            "year",
            "unit_type",
            "unit_code",
            "unit_name",
            "care_setting",
            "measure_type",
            "measure_id",
            "measure_name",
            "value_column",
            "change_type",
            "old_value",
            "new_value",
            "reason",
        ),
        (
            "version",
            "value_table",
            "year",
            "unit_type",
            "unit_code",
            "care_setting",
            "measure_type",
            "measure_id",
            "value_column",
        ),
        overrides={
            "care_setting": {"enum": CARE_SETTINGS},
            "revision_date": {"description": "Date the version was released (ISO 8601)."},
        },
        groupings={"unit_code": "unit_type", "measure_id": "measure_type"},
    ),
    Table(
        "organisation_slice",
        "One organisation's scores",
        "All rows of the score tables for one organisation, stacked (long format): the table "
        "column says which table a row comes from; columns that do not apply to it are [z].",
        (
            "table",
            *_SCORE_DIMS,
            "pillar_id",
            "pillar_name",
            "domain_id",
            "domain_name",
            "score_id",
            "score_name",
            "domain_score",
            "pillar_score",
            "n_scores",
            "overall_score",
            "n_pillars",
            *_LFL,
            "is_suppressed",
            "score_is_suppressed",
            "lfl_is_suppressed",
        ),
        ("table", "org_code", "year", "care_setting", "pillar_id", "score_id"),
        formats=("csv",),
        overrides={
            **{
                name: _NOT_HERE
                for name in (
                    "pillar_id",
                    "pillar_name",
                    "domain_id",
                    "domain_name",
                    "score_id",
                    "score_name",
                    "pillar_score",
                    "n_scores",
                    "overall_score",
                    "n_pillars",
                    "lfl_is_suppressed",
                    "score_is_suppressed",
                    "is_suppressed",
                )
            },
            "lfl_previous_year": {"missing": NOT_APPLICABLE},
        },
    ),
]
TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
# Tables described in datapackage.json (the per-organisation slices are documented in README).
PACKAGE_TABLES = tuple(name for name in TABLES if name != "organisation_slice")


# --- schemas derived from the registry ---------------------------------------------------------


def arrow_schema(table: Table) -> pa.Schema:
    """The explicit Parquet schema: types, nullability and each field's description as metadata."""
    return pa.schema(
        [
            pa.field(
                f.name,
                f.arrow_type,
                nullable=not f.required,
                metadata={"description": f.description},
            )
            for f in table.field_defs()
        ]
    )


def pandas_dtypes(table: Table) -> dict[str, str]:
    """The nullable pandas dtype of every column, in column order."""
    return {f.name: f.pandas_dtype for f in table.field_defs()}


def _number(value: float | None) -> int | float | None:
    """A constraint bound as JSON: whole numbers without a decimal point."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def frictionless_field(f: Field) -> dict[str, Any]:
    """One Frictionless (Table Schema v2) field descriptor."""
    constraints: dict[str, Any] = {"required": f.required}
    if f.enum is not None:
        constraints["enum"] = list(f.enum)
    if f.minimum is not None:
        constraints["minimum"] = _number(f.minimum)
    if f.maximum is not None:
        constraints["maximum"] = _number(f.maximum)
    if f.pattern is not None:
        constraints["pattern"] = f.pattern
    out: dict[str, Any] = {
        "name": f.name,
        "title": f.title,
        "type": f.type,
        "description": f.description,
        "constraints": constraints,
    }
    if f.unit is not None:
        out["unit"] = f.unit
    if f.dp is not None and f.type == "number":
        out["decimalPlaces"] = f.dp
    return out


def frictionless_schema(table: Table, resource_suffix: str = "") -> dict[str, Any]:
    """The Frictionless Table Schema: fields, missing-value markers, primary and foreign keys.

    Foreign keys name the referenced table's resource plus `resource_suffix` (e.g. "_parquet").
    """
    schema: dict[str, Any] = {
        "fields": [frictionless_field(f) for f in table.field_defs()],
        "missingValues": list(MISSING_VALUES),
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.fields),
                "reference": {
                    "resource": f"{fk.table}{resource_suffix}",
                    "fields": list(fk.reference_fields),
                },
            }
            for fk in table.foreign_keys
        ]
    return schema


def meta_frame(table: Table) -> pd.DataFrame:
    """The DfE explore-education-statistics ``.meta.csv`` rows: one per column, filter or indicator."""
    rows = []
    for f in table.field_defs():
        is_indicator = f.kind == "indicator"
        rows.append(
            {
                "col_name": f.name,
                "col_type": "Indicator" if is_indicator else "Filter",
                "label": f.title,
                "indicator_unit": (f.unit or "") if is_indicator else "",
                "indicator_dp": str(f.dp if f.dp is not None else 0) if is_indicator else "",
                "filter_hint": f.hint if not is_indicator else "",
                "filter_grouping_column": table.groupings.get(f.name, "")
                if not is_indicator
                else "",
            }
        )
    return pd.DataFrame(rows, dtype="string")


def _missing_rule(f: Field) -> str:
    """Plain words: which GSS marker a missing cell of this field can carry."""
    if f.required:
        return ""
    markers = [f.missing]
    if f.na_when_null:
        markers.append(f"{NOT_APPLICABLE} when {f.na_when_null} is {NOT_APPLICABLE}")
    if f.suppressed_by:
        markers.append(f"{CONFIDENTIAL} when {f.suppressed_by} is true")
    return "; ".join(dict.fromkeys(markers))


def data_dictionary(tables: dict[str, Table] | None = None) -> pd.DataFrame:
    """Every column of every published table, with its meaning, type, unit and constraints."""
    rows = []
    for table in (tables if tables is not None else TABLES).values():
        for position, f in enumerate(table.field_defs(), start=1):
            rows.append(
                {
                    "table": table.name,
                    "column": f.name,
                    "position": position,
                    "label": f.title,
                    "description": f.description,
                    "type": f.type,
                    "parquet_type": str(f.arrow_type) if "parquet" in table.formats else "",
                    "unit": f.unit or "",
                    "decimal_places": "" if f.dp is None else str(f.dp),
                    "required": "true" if f.required else "false",
                    "allowed_values": ";".join(f.enum) if f.enum else "",
                    "minimum": "" if f.minimum is None else str(_number(f.minimum)),
                    "maximum": "" if f.maximum is None else str(_number(f.maximum)),
                    "pattern": f.pattern or "",
                    "missing_values": _missing_rule(f),
                    "is_primary_key": "true" if f.name in table.primary_key else "false",
                }
            )
    frame = pd.DataFrame(rows)
    dtypes = {c: "string" for c in frame.columns if c != "position"} | {"position": "Int16"}
    return frame.astype(dtypes)


# --- checks against a frame ---------------------------------------------------------------------


def check_columns(table: Table, frame: pd.DataFrame) -> None:
    """Refuse drift: every column needs metadata and every field a column."""
    extra = [c for c in frame.columns if c not in table.fields]
    missing = [c for c in table.fields if c not in frame.columns]
    if extra or missing:
        raise SchemaDriftError(
            f"{table.name}: columns without metadata {extra}; metadata without a column {missing}"
        )
    forbidden = UNPUBLISHABLE_COLUMNS.intersection(frame.columns)
    if forbidden:
        raise SchemaDriftError(f"{table.name}: unpublishable columns {sorted(forbidden)}")


def conform(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Check columns, cast to the registry dtypes, order columns, sort by primary key, check values."""
    check_columns(table, frame)
    out = frame[table.columns].astype(pandas_dtypes(table))
    out = out.sort_values(list(table.primary_key), kind="mergesort").reset_index(drop=True)
    check_values(table, out)
    return out


def _violations(f: Field, column: pd.Series) -> pd.Series:
    """A boolean mask of the cells that break the field's constraints (nulls checked separately)."""
    present = column.dropna()
    bad = pd.Series(False, index=present.index)
    if f.enum is not None:
        bad |= ~present.isin(f.enum)
    if f.pattern is not None:
        regex = re.compile(f.pattern)
        bad |= ~present.map(lambda v: bool(regex.match(str(v)))).astype(bool)
    if f.minimum is not None:
        bad |= present.astype("float64") < f.minimum
    if f.maximum is not None:
        bad |= present.astype("float64") > f.maximum
    return bad


def check_values(table: Table, frame: pd.DataFrame) -> None:
    """Enforce the declared constraints and a unique primary key before anything is written."""
    for f in table.field_defs():
        column = frame[f.name]
        if f.required and column.isna().any():
            row = int(column.isna().to_numpy().argmax())
            raise ConstraintError(f"{table.name}.{f.name}: missing value in row {row} (required)")
        bad = _violations(f, column)
        if bad.any():
            value = column[bad[bad].index[0]]
            raise ConstraintError(f"{table.name}.{f.name}: value {value!r} breaks its constraints")
    duplicated = frame.duplicated(list(table.primary_key), keep=False)
    if duplicated.any():
        key = frame.loc[duplicated, list(table.primary_key)].iloc[0].tolist()
        raise ConstraintError(f"{table.name}: primary key {key} is not unique")


# --- published-scores granularity (e.g. NHS England's own results, dma_publish.official) ------
# Only pillar scores and an overall score over comparable domains are published: no domain
# tables, no counts of scores and no like-for-like columns that would all be [z].

_PUBLISHED_SCORE_TABLES = ("pillar_scores", "overall_scores")
_PUBLISHED_LIST: list[Table] = [
    Table(
        "pillar_scores",
        "Scores by pillar",
        "One row per organisation, care setting, year and pillar: the pillar score as published "
        "(NHS England publishes it to 1 decimal place).",
        (*_SCORE_DIMS, *_PILLAR_PARTS, "pillar_score"),
        ("year", "org_code", "care_setting", "pillar_id"),
        (_ORG_FK,),
        overrides={"pillar_score": {"required": True, "suppressed_by": None}},
        groupings={"org_code": "region_code"},
    ),
    Table(
        "overall_scores",
        "Overall scores over comparable domains",
        "One row per organisation, care setting and year: NHS England's overall score over the "
        "domains comparable between 2024 and 2025 only, unrounded in the source. It may differ "
        "from a standalone DMA 2024 or DMA 2025 overall score.",
        (*_SCORE_DIMS, "overall_score"),
        ("year", "org_code", "care_setting"),
        (_ORG_FK,),
        overrides={
            "overall_score": {
                "title": "Overall score over comparable domains",
                "description": "NHS England's overall score over the domains comparable between "
                "2024 and 2025 only, rounded here to 2 decimal places.",
                "required": True,
                "suppressed_by": None,
            }
        },
        groupings={"org_code": "region_code"},
    ),
    TABLES["benchmarks"],
    TABLES["organisations"],
    TABLES["disclosure_audit"],
    TABLES["revisions"],
    TABLES["changes"],
    Table(
        "organisation_slice",
        "One organisation's scores",
        "All rows of the score tables for one organisation, stacked (long format): the table "
        "column says which table a row comes from; columns that do not apply to it are [z].",
        ("table", *_SCORE_DIMS, "pillar_id", "pillar_name", "pillar_score", "overall_score"),
        ("table", "org_code", "year", "care_setting", "pillar_id"),
        formats=("csv",),
        overrides={
            "table": {"enum": _PUBLISHED_SCORE_TABLES},
            **{
                name: {**_NOT_HERE, "suppressed_by": None} if "score" in name else _NOT_HERE
                for name in ("pillar_id", "pillar_name", "pillar_score", "overall_score")
            },
        },
    ),
]
PUBLISHED_TABLES: dict[str, Table] = {t.name: t for t in _PUBLISHED_LIST}


def tables_for(granularity: str) -> dict[str, Table]:
    """The published tables for an input granularity ("answers" or "published_scores")."""
    return PUBLISHED_TABLES if granularity == "published_scores" else TABLES


def score_tables_for(granularity: str) -> tuple[str, ...]:
    """The score tables stacked into the per-organisation slices."""
    return _PUBLISHED_SCORE_TABLES if granularity == "published_scores" else SCORE_TABLES


def package_tables_for(granularity: str) -> tuple[str, ...]:
    """Tables described in datapackage.json."""
    return tuple(name for name in tables_for(granularity) if name != "organisation_slice")
