"""The ICBs' hex map layout (HexJSON, "odd-r"): read it and check it against the ICB reference.

One hexagon per ICB, keyed by its ODS code, at column `q` (west to east) and row `r` (south to
north; odd rows sit half a hexagon to the right). Only the keys and `q`/`r` are read: names and
regions come from the organisations reference. The file is optional (`LAYOUT_FILE` in the
reference folder): without it there is no map. With it, every ICB of the reference has exactly
one hexagon of its own, or the build stops naming the file, the key and the rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from dma_publish.errors import InputError

LAYOUT_FILE = "icb-hexmap.hexjson"
LAYOUT = "odd-r"
COLUMNS = ("org_code", "q", "r")


def _no_repeats(path: Path) -> Any:
    """A json object hook that refuses a key given twice (json keeps the last one silently)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise InputError(
                    str(path),
                    f"hexes.{key}",
                    f"hexagon {key!r} is given twice",
                    "duplicate_hexagon",
                )
            seen[key] = value
        return seen

    return hook


def read_layout(path: Path) -> dict[str, Any]:
    """The file's hexagons by key, each a mapping with integer `q` and `r`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_repeats(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(path), "file", f"not a HexJSON file: {exc}", "invalid_json") from None
    if not isinstance(doc, dict) or doc.get("layout") != LAYOUT:
        found = doc.get("layout") if isinstance(doc, dict) else None
        raise InputError(
            str(path), "layout", f"layout is {found!r}; expected {LAYOUT!r}", "unsupported_layout"
        )
    hexes = doc.get("hexes")
    if not isinstance(hexes, dict) or not hexes:
        raise InputError(
            str(path), "hexes", "no hexagons (an object keyed by ICB code)", "no_hexes"
        )
    for key, hexagon in hexes.items():
        ok = isinstance(hexagon, dict) and all(
            type(hexagon.get(axis)) is int for axis in ("q", "r")
        )
        if not ok:
            raise InputError(
                str(path), f"hexes.{key}", "q and r must be whole numbers", "malformed_hexagon"
            )
    return hexes


def load_layout(path: str | Path, icb_codes: list[str]) -> pd.DataFrame:
    """The layout as a frame (`org_code`, `q`, `r`, sorted by code), checked against the ICBs:
    every hexagon names an ICB (`extra_hexagon`), every ICB has one (`missing_hexagon`), and no
    two share a place (`duplicate_hexagon`)."""
    path = Path(path)
    hexes = read_layout(path)
    known = set(icb_codes)
    places: dict[tuple[int, int], str] = {}
    rows = []
    for key in sorted(hexes):
        code = key.strip().upper()
        if code not in known:
            raise InputError(
                str(path),
                f"hexes.{key}",
                f"hexagon {key!r} is not an ICB of the organisations reference",
                "extra_hexagon",
            )
        place = (hexes[key]["q"], hexes[key]["r"])
        if place in places:
            raise InputError(
                str(path),
                f"hexes.{key}",
                f"hexagon {key!r} is at q={place[0]}, r={place[1]}, where {places[place]!r} is",
                "duplicate_hexagon",
            )
        places[place] = code
        rows.append((code, *place))
    missing = sorted(known - {code for code, _, _ in rows})
    if missing:
        raise InputError(
            str(path),
            f"hexes.{missing[0]}",
            f"no hexagon for ICB {missing[0]!r}"
            + (
                f" (nor for {len(missing) - 1} more: {', '.join(missing[1:])})"
                if missing[1:]
                else ""
            )
            + "; the layout needs one hexagon for every ICB of the organisations reference",
            "missing_hexagon",
        )
    return pd.DataFrame(rows, columns=list(COLUMNS)).sort_values("org_code", ignore_index=True)


def reference_layout(directory: Path, organisations: pd.DataFrame) -> pd.DataFrame | None:
    """The reference folder's layout, checked against its ICBs; None when it has none."""
    path = Path(directory) / LAYOUT_FILE
    if not path.is_file():
        return None
    icbs = organisations.loc[organisations["org_type"] == "icb", "org_code"]
    return load_layout(path, sorted(icbs))


def place_on(layout: dict[str, Any], regions: dict[str, str], icbs: pd.DataFrame) -> dict[str, Any]:
    """A HexJSON layout for other ICBs on the same hexagons: each region's ICBs (`icbs`:
    `org_code`, `region_code`), by code, on that region's hexagons (`regions`: the layout's
    key -> region code), south to north and west to east. Raises ValueError when a region has
    more ICBs than hexagons."""
    spots: dict[str, list[tuple[int, int]]] = {}
    for key, hexagon in layout.items():
        spots.setdefault(regions[key], []).append((hexagon["r"], hexagon["q"]))
    hexes = {}
    for region, group in icbs.sort_values("org_code").groupby("region_code", sort=True):
        free = sorted(spots.get(region, []))
        if len(group) > len(free):
            raise ValueError(f"region {region}: {len(group)} ICBs, {len(free)} hexagons")
        for code, (r, q) in zip(group["org_code"], free, strict=False):
            hexes[code] = {"q": q, "r": r}
    return {"layout": LAYOUT, "hexes": dict(sorted(hexes.items()))}
