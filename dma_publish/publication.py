"""What passes between the pipeline's stages: the Publication and what stages add to it.

At the bottom of the import graph: it imports only the modules whose types it names (the inputs'
models and the frames of validation and scoring), none of which imports a publisher, so every
stage and publisher can import it and nothing imports back up. Stages hand on frozen values: a
stage that adds something returns a new Publication (`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dma_publish.audit import n_levels
from dma_publish.methodology import MethodologyFrames
from dma_publish.policy import Policy
from dma_publish.reference import Reference
from dma_publish.registry import TABLES
from dma_publish.release import Release, Revision
from dma_publish.score import Scores
from dma_publish.validate import Validated
from dma_publish.vocab import RETURN_KEY

# "answers" (returns scored here) or "published_scores" (pillar and overall scores published by
# someone else, e.g. NHS England's workbook through dma_publish.official: no domain scores).
Granularity = Literal["answers", "published_scores"]
LEVELS = (1, 2, 3, 4, 5)  # a domain score's levels


@dataclass(frozen=True)
class DisclosureRecord:
    """What the stage found and did: the published summary of the audit."""

    values: pd.DataFrame  # every withheld value's feasible range after the stage (never published)
    pinned_before: int  # withheld values pinned to one level before any extra withholding
    n_withheld: int  # withheld domain scores audited
    rounds: int  # audits run (the first included)
    benchmark_rows: pd.DataFrame  # the extra benchmark rows withheld: BENCHMARK_KEY
    pillar_scores: pd.DataFrame  # the extra pillar scores withheld: PILLAR_KEY
    seconds: float  # solver time (for the terminal and the benchmark, never for pages)
    cached: bool = False  # replayed from an earlier build's audit of the same tables

    @property
    def pinned(self) -> pd.DataFrame:
        """Withheld values still pinned to one level (empty when the stage succeeded)."""
        return self.values[self.values["low"] == self.values["high"]]

    def counts(self, years: list[int]) -> pd.DataFrame:
        """Withheld values by number of feasible levels (1 to 5), per year and survey.

        The published table: counts only, never a value's range (a range is itself a clue)."""
        values = self.values
        survey = np.where(values["care_setting"] == "icb", "icb", "secondary_care")
        found = pd.DataFrame(
            {
                "year": values["year"].astype(int),
                "survey": survey,
                "feasible_levels": n_levels(values),
            }
        )
        grid = pd.MultiIndex.from_product(
            [sorted(int(y) for y in years), ["icb", "secondary_care"], list(LEVELS)],
            names=["year", "survey", "feasible_levels"],
        )
        counts = (
            found.groupby(["year", "survey", "feasible_levels"]).size().reindex(grid, fill_value=0)
        )
        return counts.rename("n_withheld").reset_index()


def empty_values() -> pd.DataFrame:
    """The audit's per-value frame with no withheld value."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="int64" if c in ("year", "low", "high", "levels") else "object")
            for c in [*RETURN_KEY, "score_id", "pillar_id", "low", "high", "levels"]
        }
    )


# Versions (dma_publish.releases)

Cells = tuple[list[str], list[list[str]]]  # a CSV's header and data rows, as text


@dataclass(frozen=True)
class ArchivedRelease:
    """One earlier version's zip, as the archive holds it."""

    version: str
    path: Path
    sha256: str
    size: int
    members: tuple[tuple[str, int], ...]  # files in the zip (without its folder) and sizes
    tables: dict[str, Cells]  # the value tables it published

    @property
    def file_name(self) -> str:
        """The zip's name (the same as when it was published)."""
        return self.path.name


@dataclass(frozen=True)
class Version:
    """One entry of the revision log, and what is known of its values."""

    revision: Revision
    archived: ArchivedRelease | None  # None for the current version or a version not archived
    is_current: bool

    @property
    def version(self) -> str:
        """The version number."""
        return str(self.revision.version)

    @property
    def has_values(self) -> bool:
        """Whether its published values are known here (archived, or this build's)."""
        return self.is_current or self.archived is not None


@dataclass(frozen=True)
class History:
    """Every version of the publication, and the value-by-value changes between them."""

    current: str
    versions: tuple[Version, ...]  # oldest first, as the revision log lists them
    changes: pd.DataFrame  # registry table "changes", sorted by its key
    unused_reasons: tuple[tuple[str, str], ...] = ()  # (version, org code) with no change

    @property
    def superseded(self) -> list[Version]:
        """The archived versions other than this one: the site publishes each under releases/."""
        return [v for v in self.versions if v.archived is not None and not v.is_current]

    def organisation_changes(self, org_code: str) -> pd.DataFrame:
        """The change records of one organisation's own values, in key order."""
        c = self.changes
        return c[(c["unit_type"] == "organisation") & (c["unit_code"] == org_code)]


def empty_changes() -> pd.DataFrame:
    """A changes table with no rows (no earlier version's values are archived)."""
    return pd.DataFrame({name: pd.Series(dtype="string") for name in TABLES["changes"].fields})


@dataclass(frozen=True)
class Publication:
    """Everything the publishing stages (open data, charts, pages) may read; nothing else."""

    release: Release
    reference: Reference  # frames: organisations, regions
    methodology: MethodologyFrames
    validated: Validated  # answers, issues, returns, reconciliation
    scores: Scores  # domain_scores, pillar_scores, overall_scores, element_results
    benchmarks: pd.DataFrame
    inputs_hash: str  # sha256 over every input file, hex
    generator_version: str
    is_demo: bool
    policy: Policy | None = None  # set by the suppression stage
    next_level: pd.DataFrame | None = None  # unmet elements of the next level (suppress stage)
    # "answers" (returns scored here) or "published_scores" (pillar and overall scores published
    # by someone else, e.g. NHS England's workbook through dma_publish.official: no domain scores).
    granularity: Granularity = "answers"
    provenance: dict | None = None  # the source workbook's sha256, sheets and row counts
    disclosure: DisclosureRecord | None = None  # set by the disclosure audit stage
    history: History | None = None  # every version and the values each changed (releases stage)
    # "full": the stages' full precision; "published": every score and benchmark value as the
    # published tables hold it, rounded once (dma_publish.index): what charts and pages read
    values: Literal["full", "published"] = "full"

    @property
    def has_domains(self) -> bool:
        """Whether the input has domain scores (and so domain pages, rubrics, next-level lists)."""
        return not self.scores.domain_scores.empty

    @property
    def years(self) -> list[int]:
        """Assessment years present in the scores, ascending."""
        s = self.scores
        years = (
            set(s.domain_scores["year"])
            | set(s.pillar_scores["year"])
            | set(s.overall_scores["year"])
        )
        return sorted(int(y) for y in years)

    @property
    def latest_year(self) -> int:
        """The most recent assessment year: what pages lead with."""
        return self.years[-1]
