"""Table cells from benchmark rows: statistics, ranges and counts, or a GSS symbol."""

from __future__ import annotations

from typing import Any

from dma_publish.formats import MISSING, WITHHELD, fmt_count, fmt_score

Row = dict[str, Any] | None


def _symbol(row: Row) -> str | None:
    """[x] for a benchmark that does not exist, [c] for one withheld, else None."""
    if row is None:
        return MISSING
    return WITHHELD if row.get("is_suppressed") else None


def stat_cell(row: Row, column: str) -> str:
    """One statistic of a benchmark row: a count as a whole number, a score to 2 places."""
    if column == "n_orgs" and row is not None:
        return fmt_count(row["n_orgs"])
    return _symbol(row) or fmt_score(row[column])  # type: ignore[index]


def iqr_cell(row: Row) -> str:
    """A peer group's middle half, Q1 to Q3."""
    return _symbol(row) or f"{fmt_score(row['q1'])} to {fmt_score(row['q3'])}"  # type: ignore[index]


def level_counts(row: Row) -> list[str]:
    """How many returns sit at each level 1 to 5."""
    symbol = _symbol(row)
    if symbol:
        return [symbol] * 5
    return [fmt_count(row[f"n_level_{i}"]) for i in range(1, 6)]  # type: ignore[index]
