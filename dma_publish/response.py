"""Response: which expected returns were scored, rejected or never received, and the counts.

A pure stage over the validation result and the reference. A return is one organisation, care
setting and year. It is *expected* for every organisation in the reference list, once for each of
its care settings (an ICB once, for its own survey), in every year published; the reference is
where "expected" comes from. A return read for an organisation or setting the reference does not
list is *unexpected* (it is always rejected, and listed in the validation report).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dma_publish.registry import TABLES
from dma_publish.vocab import RETURN_KEY

RETURN_COLUMNS = [*RETURN_KEY, "return_status", "n_answer_rows", "n_errors"]


def publication_years(validated: Any, years: list[int]) -> list[int]:
    """Years with scores, or with any return read (a year whose every return was rejected)."""
    read = {int(y) for y in validated.returns["year"]} if len(validated.returns) else set()
    return sorted(read | {int(y) for y in years})


def expected_returns(organisations: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Every (year, org_code, care_setting) the reference list expects a return for."""
    units = organisations[["org_code", "care_settings"]].explode("care_settings")
    units = units.rename(columns={"care_settings": "care_setting"}).dropna()
    frame = pd.concat([units.assign(year=y) for y in years], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=RETURN_KEY)
    return frame[RETURN_KEY].sort_values(RETURN_KEY).reset_index(drop=True)


def return_register(validated: Any, organisations: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """One row per expected return: scored, rejected or missing, with its rows and errors."""
    expected = expected_returns(organisations, publication_years(validated, years))
    read = validated.returns[[*RETURN_KEY, "status", "n_rows", "n_errors"]]
    out = expected.merge(read, on=RETURN_KEY, how="left", validate="one_to_one")
    out["return_status"] = out["status"].fillna("missing")
    out["n_answer_rows"] = out["n_rows"].fillna(0).astype("int64")
    out["n_errors"] = out["n_errors"].fillna(0).astype("int64")
    return out[RETURN_COLUMNS].sort_values(RETURN_KEY).reset_index(drop=True)


def reconciliation(validated: Any, organisations: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Per year: answer rows and returns read, scored and rejected; returns expected and missing.

    read = scored + rejected, for rows and for returns; expected = read - unexpected + missing.
    """
    all_years = publication_years(validated, years)
    read = validated.returns.copy()
    read["year"] = read["year"].astype("int64")
    register = return_register(validated, organisations, years)
    expected_keys = pd.MultiIndex.from_frame(register[RETURN_KEY])
    read["is_expected"] = pd.MultiIndex.from_frame(read[RETURN_KEY]).isin(expected_keys)
    rows = []
    for year in all_years:
        r = read[read["year"] == year]
        scored = r["status"] == "scored"
        reg = register[register["year"] == year]
        rows.append(
            {
                "year": year,
                "answer_rows_read": int(r["n_rows"].sum()),
                "answer_rows_scored": int(r.loc[scored, "n_rows"].sum()),
                "answer_rows_rejected": int(r.loc[~scored, "n_rows"].sum()),
                "returns_read": len(r),
                "returns_scored": int(scored.sum()),
                "returns_rejected": int((~scored).sum()),
                "returns_unexpected": int((~r["is_expected"]).sum()),
                "returns_expected": len(reg),
                "returns_missing": int((reg["return_status"] == "missing").sum()),
            }
        )
    return pd.DataFrame(rows, columns=TABLES["reconciliation"].columns)
