"""The peer groups a benchmark describes: one row per type, and everything else derives from it.

A peer group is one care setting at one level (the nation, a region, an ICB system). This table
says, for each type, how fine it is (its rank among the levels a publication policy names), which
type's groups its groups split (for complementary suppression: a withheld part must not be the
whole minus the rest), which column of a unit holds its code, which surveys' units belong to it,
its folder in the JSON API, and the words pages and files use for it. The national group's code
is here, once.

A lookup of a type that is not in the table raises `UnknownPeerGroup`, naming it: suppression
must never treat an unknown group as publishable (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dma_publish.errors import PolicyUnsafe

NATIONAL_CODE = "ENG"  # the national peer group's code (there is one nation: England)
NATIONAL_NAME = "England"
ORGANISATION_RANK = 0  # an organisation's own value: finer than any peer group


@dataclass(frozen=True)
class PeerGroupType:
    """One type of peer group."""

    name: str  # peer_group_type in the tables
    rank: int  # how coarse: an organisation 0, then each level up (policy finest_level)
    parent: str | None  # the type whose groups this type's groups split exactly, or None
    code_column: str | None  # the unit column holding the group's code (None: one group, national)
    parent_column: str | None  # the column of the group's own reference row naming its parent
    surveys: tuple[str, ...] | None  # the surveys whose units belong (None: every unit)
    api_folder: str  # api/v1/<api_folder>/<code>.json
    label: str  # the type as a table names it: "Region"
    adjective: str  # its aggregates in words: "regional" (aggregates)


PEER_GROUP_TYPES: tuple[PeerGroupType, ...] = (
    PeerGroupType(
        name="national",
        rank=3,
        parent=None,
        code_column=None,
        parent_column=None,
        surveys=None,
        api_folder="national",
        label="England",
        adjective="national",
    ),
    PeerGroupType(
        name="region",
        rank=2,
        parent="national",
        code_column="region_code",
        parent_column=None,
        surveys=None,
        api_folder="regions",
        label="Region",
        adjective="regional",
    ),
    PeerGroupType(
        name="icb_system",
        rank=1,
        parent="region",
        code_column="icb_code",
        parent_column="region_code",
        surveys=("secondary_care",),
        api_folder="icb-systems",
        label="ICB system",
        adjective="ICB system",
    ),
)
NAMES: tuple[str, ...] = tuple(t.name for t in PEER_GROUP_TYPES)
_BY_NAME = {t.name: t for t in PEER_GROUP_TYPES}


class UnknownPeerGroup(PolicyUnsafe, ValueError):
    """A peer group type that is not in the table: whether its figures may be published cannot
    be told, so the build stops (exit 4, as for any policy that cannot be made safe)."""

    def __init__(self, name: object) -> None:
        super().__init__(
            f"unknown peer group type {name!r}: the known types are {', '.join(NAMES)} "
            "(dma_publish/peergroups.py); nothing is published for a group of unknown rank"
        )
        self.name = name


def peer_group_type(name: str) -> PeerGroupType:
    """The type called `name`; raises UnknownPeerGroup for any other."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise UnknownPeerGroup(name) from None


def level_ranks() -> dict[str, int]:
    """Each level a publication policy names (an organisation and every peer group type), by
    rank: the finer, the lower."""
    ranked = sorted(PEER_GROUP_TYPES, key=lambda t: t.rank)
    return {"organisation": ORGANISATION_RANK, **{t.name: t.rank for t in ranked}}


def aggregates_from(level: str) -> str:
    """The aggregates published of a domain whose finest level is `level`, in words: "regional
    and national aggregates" (each peer group type at that level or coarser, finest first)."""
    rank = peer_group_type(level).rank
    words = [t.adjective for t in sorted(PEER_GROUP_TYPES, key=lambda t: t.rank) if t.rank >= rank]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{listed} aggregates"


def ranks(types: pd.Series) -> np.ndarray:
    """The rank of each peer group type in a column; raises UnknownPeerGroup on any other."""
    found = types.map({t.name: t.rank for t in PEER_GROUP_TYPES})
    if found.isna().any():
        raise UnknownPeerGroup(types[found.isna()].iloc[0])
    return found.to_numpy(dtype="int64")
