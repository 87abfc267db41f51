"""The numbers charts and pages show, read from the published tables: one index, one rounding.

`opendata.publication_tables` rounds every number once, to its field's decimal places in the
registry, and leaves withheld values empty; the data files and the API write those tables.
`published_view` gives charts and pages the same numbers: the Publication with each value column
of its score and benchmark frames replaced by the published table's column (same rows, same
order: checked), so display code only formats and can never show a number the files do not hold.

The frames keep their own column names (`score`, `median`), and the published names are mapped
here, once: `VALUE_COLUMNS`.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

import pandas as pd

from dma_publish.aggregate import BENCHMARK_KEY
from dma_publish.publication import Publication
from dma_publish.vocab import RETURN_KEY

# frame -> (its key, {frame column: published table column}); the table has the frame's name
VALUE_COLUMNS: dict[str, tuple[list[str], dict[str, str]]] = {
    "domain_scores": ([*RETURN_KEY, "score_id"], {"score": "domain_score"}),
    "pillar_scores": (
        [*RETURN_KEY, "pillar_id"],
        {
            "score": "pillar_score",
            "lfl_score": "lfl_score",
            "lfl_previous_score": "lfl_previous_score",
            "lfl_change": "lfl_change",
        },
    ),
    "overall_scores": (list(RETURN_KEY), {"score": "overall_score"}),
    "benchmarks": (
        BENCHMARK_KEY,
        {
            "mean": "mean_score",
            "median": "median_score",
            "q1": "q1_score",
            "q3": "q3_score",
            "min": "min_score",
            "max": "max_score",
        },
    ),
}


class IndexMismatch(AssertionError):
    """A frame and its published table do not hold the same rows in the same order (a bug)."""


def published_view(pub: Publication, tables: dict[str, pd.DataFrame]) -> Publication:
    """The Publication as published: its score and benchmark values are the tables' values.

    A frame whose table this publication does not publish (no domain scores in NHS England's
    results) is kept as it is: it is empty there."""
    if pub.values == "published":
        return pub
    scores = {}
    for name, (key, columns) in VALUE_COLUMNS.items():
        frame = pub.benchmarks if name == "benchmarks" else getattr(pub.scores, name)
        table = tables.get(name)
        if table is None:
            continue
        _check_rows(name, frame, table, key)
        # a column this granularity does not publish (NHS England's results have no
        # like-for-like scores) is empty: nothing the tables leave out is shown
        values = {
            column: table[published].astype("float64").to_numpy()
            if published in table.columns
            else float("nan")
            for column, published in columns.items()
        }
        scores[name] = frame.assign(**values)
    bench = scores.pop("benchmarks", pub.benchmarks)
    return dataclasses.replace(
        pub,
        scores=dataclasses.replace(pub.scores, **scores),
        benchmarks=bench,
        values="published",
    )


def _check_rows(name: str, frame: pd.DataFrame, table: pd.DataFrame, key: list[str]) -> None:
    """The frame and the table list the same rows in the same order."""
    if len(frame) != len(table):
        raise IndexMismatch(f"{name}: {len(frame)} rows, but its table has {len(table)}")
    for column in key:
        left = frame[column].astype(str).to_numpy()
        right = table[column].astype(str).to_numpy()
        if not (left == right).all():
            raise IndexMismatch(f"{name}: the table's {column} is in another order")


_VIEWS: dict[str, Any] = {"of": None, "view": None}


def shown(pub: Publication) -> Publication:
    """The published view of pub, for display code given a full-precision Publication (tests,
    the official pages): built from its tables once, and kept while pub is the current one."""
    if pub.values == "published":
        return pub
    of = _VIEWS["of"]
    if of is None or of() is not pub:
        from dma_publish.opendata import value_tables

        _VIEWS["view"] = published_view(pub, value_tables(pub))
        _VIEWS["of"] = weakref.ref(pub)
    return _VIEWS["view"]
