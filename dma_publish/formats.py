"""One way to write each kind of published number: a score, a change, a count.

The published tables hold the numbers, rounded once (`dma_publish.index`); these only write them,
for pages and for charts alike. A missing value is `[x]` (not available) and a withheld one `[c]`
(the GSS symbols). A change has a sign: `+0.25`, `0.00`, and a true minus (`−0.25`) in prose and
page tables, an ASCII one where the text is also data (a chart's table is its CSV).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

MISSING = "[x]"  # GSS symbol: not available
WITHHELD = "[c]"  # GSS symbol: withheld under the publication policy
TRUE_MINUS = "\u2212"


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA."""
    return value is None or bool(pd.isna(value))


def fmt_score(value: Any, digits: int = 2, withheld: bool = False) -> str:
    """A published score: with `digits` decimals (a whole level with 0), `[c]` when withheld,
    `[x]` when absent."""
    if withheld:
        return WITHHELD
    if is_missing(value):
        return MISSING
    if digits == 0:
        return str(int(value))
    return f"{float(value):.{digits}f}"


def fmt_change(value: Any, minus: str = TRUE_MINUS) -> str:
    """A published change in score, signed: `+0.25`, `0.00`, `−0.25` (`minus="-"` where the
    text is also data); `[x]` when absent."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if number == 0:
        return "0.00"
    return f"{'+' if number > 0 else minus}{abs(number):.2f}"


def fmt_count(value: Any, withheld: bool = False) -> str:
    """A whole-number count as a table cell (no thousands separator: it is also data); `[c]`
    when withheld or absent."""
    if withheld or is_missing(value):
        return WITHHELD
    return str(int(value))
