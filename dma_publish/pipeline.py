"""The pipeline: load inputs, validate, score, aggregate, then hand one Publication to publishers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Publication:
    """Everything the publishing stages (open data, charts, pages) may read; nothing else."""

    release: Any  # dma_publish.release.Release
    reference: Any  # dma_publish.reference.Reference (frames: organisations, regions)
    methodology: Any  # dma_publish.methodology.MethodologyFrames
    validated: Any  # dma_publish.validate.Validated (answers, issues, returns, reconciliation)
    scores: Any  # dma_publish.score.Scores (domain_scores, pillar_scores, overall_scores, element_results)
    benchmarks: pd.DataFrame
    inputs_hash: str  # sha256 over every input file, hex
    generator_version: str
    is_demo: bool

    @property
    def years(self) -> list[int]:
        """Assessment years present in the scores, ascending."""
        return sorted(int(y) for y in self.scores.domain_scores["year"].unique())

    @property
    def latest_year(self) -> int:
        """The most recent assessment year: what pages lead with."""
        return self.years[-1]
