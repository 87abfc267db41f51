"""The downloads page's code snippets load the data correctly: run them on the built files.

The Python (pandas) and DuckDB snippets are taken from the page as published and run in the
downloads folder; the symbols [x], [z] and [c] must read as missing values, so score columns are
numbers. (The R snippet is not run: R is not part of the test environment.)
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

BLOCK = re.compile(r"^```(?P<lang>\w+)\n(?P<code>.*?)^```$", re.M | re.S)


@contextmanager
def _in(folder: Path):
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _snippets(built_site, lang: str) -> list[str]:
    text = (built_site.docs / "downloads" / "index.md").read_text(encoding="utf-8")
    return [m["code"] for m in BLOCK.finditer(text) if m["lang"] == lang]


def test_the_page_leads_with_the_zip_citation_and_licence(built_site):
    text = (built_site.docs / "downloads" / "index.md").read_text(encoding="utf-8")
    order = [
        text.index(h)
        for h in ("## Everything in one file", "## How to cite", "## Licence", "## Load the data")
    ]
    assert order == sorted(order)
    assert order[-1] < text.index("## Tables and other files") < text.index("## One organisation")
    assert 'class="dma-filterable"' in text and "<details" in text


def test_python_snippet_reads_symbols_as_missing(built_site):
    (code,) = [c for c in _snippets(built_site, "python") if "pillars =" in c]
    csv_line, parquet_line = (line for line in code.splitlines() if line.startswith("pillars ="))
    downloads = built_site.site / "downloads"
    with _in(downloads):
        namespace: dict = {}
        exec(code.replace(parquet_line, ""), namespace)
        from_csv = namespace["pillars"]
        exec(code.replace(csv_line, ""), namespace)
        from_parquet = namespace["pillars"]
    assert len(from_csv) == len(from_parquet) > 0
    for column in ("pillar_score", "lfl_score", "lfl_change"):
        assert pd.api.types.is_float_dtype(from_csv[column]), column
        assert from_csv[column].isna().sum() == from_parquet[column].isna().sum(), column
    raw = pd.read_csv(downloads / "pillar_scores.csv", dtype=str, keep_default_na=False)
    assert (raw["lfl_score"] == "[z]").sum() == from_csv["lfl_score"].isna().sum() - (
        raw["lfl_score"].isin(["[x]", "[c]"]).sum()
    )


def test_duckdb_snippets_run_and_read_symbols_as_missing(built_site):
    duckdb = pytest.importorskip("duckdb")
    (code,) = _snippets(built_site, "sql")
    statements = [s.strip() for s in code.split(";") if s.strip()]
    assert len(statements) == 2
    with _in(built_site.site / "downloads"):
        from_csv, from_parquet = (duckdb.sql(s).df() for s in statements)
    assert len(from_csv) == len(from_parquet) > 0
    assert pd.api.types.is_float_dtype(from_csv["lfl_score"])
    assert from_csv["lfl_score"].isna().sum() == from_parquet["lfl_score"].isna().sum()
