"""Deterministic demonstration data: fictional organisations in the real NHS structure, and returns.

Everything comes from one seed through numpy Generators (no global random state, no clock), so
the same seed and scale always give byte-identical files. The organisations are fictional:

- 7 real NHS England regions; ICBs per region as in England (London 5, South East 6, South West 7,
  East of England 6, Midlands 11, North West 3, North East and Yorkshire 4), times ``scale``;
- 205 trusts per unit of scale: 134 acute (14 also community), 10 ambulance, 49 mental health
  (24 also community) and 12 community, each in one ICB of its region;
- codes from ranges no real organisation uses: ICBs ``QZ`` + 2 letters/digits (3 past 1,296 ICBs),
  trusts ``Z`` + 2 letters/digits (3 past 1,296 codes), ICB ONS codes ``E549`` + 5 digits.

Returns follow a latent maturity per organisation, care setting and pillar (with regional and
care-setting effects), so that domain scores use the whole 1-5 range; answers are chosen, per
question, as the valid answer that best matches the scoring elements the organisation should meet.
Submitter names and e-mail addresses are invented (``.example`` domains), yet are personal data in
the shape of real returns: they must never be published.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import shutil
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from dma_publish import hexmap
from dma_publish.reference import ORGANISATION_COLUMNS, REGION_COLUMNS, TRUST_CARE_SETTINGS
from dma_publish.returns import RETURN_COLUMNS

DEFAULT_SEED = 2025
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class _Region:
    """A real NHS England region and the demo's organisation counts in it (per unit of scale)."""

    code: str
    name: str
    ons_code: str
    n_icbs: int
    n_trusts: int
    n_ambulance: int


REGIONS = (
    _Region("Y56", "London", "E40000003", 5, 36, 1),
    _Region("Y59", "South East", "E40000005", 6, 30, 2),
    _Region("Y58", "South West", "E40000006", 7, 21, 1),
    _Region("Y61", "East of England", "E40000007", 6, 20, 1),
    _Region("Y60", "Midlands", "E40000011", 11, 38, 2),
    _Region("Y62", "North West", "E40000010", 3, 30, 1),
    _Region("Y63", "North East and Yorkshire", "E40000012", 4, 30, 2),
)

# Non-ambulance trusts per unit of scale, by the care settings they deliver (195 + 10 ambulance).
TRUST_MIX = {
    ("acute",): 120,
    ("acute", "community"): 14,
    ("mental_health",): 25,
    ("mental_health", "community"): 24,
    ("community",): 12,
}
MERGED_TRUSTS_PER_SCALE = 5

_STEMS = (
    "Kestrel", "Heron", "Linnet", "Curlew", "Plover", "Merlin", "Bramble", "Sorrel", "Tansy",
    "Yarrow", "Juniper", "Rowan", "Fennel", "Cinder", "Saffron", "Lantern", "Wren", "Osprey",
    "Marten", "Falcon", "Larkspur", "Foxglove", "Willow", "Hazel", "Aspen", "Cedar", "Amber",
    "Granite", "Ember", "Starling", "Kingfisher", "Heather", "Clover", "Harrow", "North",
    "Corve", "Dunmar", "Elster", "Gorran", "Kelden", "Lorne", "Pellow", "Ravel", "Tarrow",
    "Wendle", "Yarrel", "Aldwyn", "Brenny", "Caddon", "Fallow", "Mistle", "Oriel", "Quill",
)  # fmt: skip
_ENDINGS = (
    "mere", "dene", "wick", "combe", "holt", "ley", "stead", "thwaite", "bourne", "ford", "by",
    "ham", "ton", "field", "worth", "bridge", "hurst", "brook", "moor", "dale", "well", "haven",
    "minster", "cross",
)  # fmt: skip
_QUALIFIERS = ("North", "South", "East", "West", "Upper", "Lower", "Great", "Little")
# Combinations that name real places (or famously real things) are left out.
_REAL_PLACES = frozenset(
    {
        "Harrowby", "Harrowden", "Northwick", "Northleigh", "Northwood", "Northfield", "Northmoor",
        "Northbridge", "Northbourne", "Northam", "Northholt", "Northstead", "Northcross",
        "Northbrook", "Northdale", "Northwell", "Northton", "Northby", "Northford", "Northley",
        "Northcombe", "Northworth", "Northhurst", "Northmere", "Northdene", "Northminster",
        "Falconhurst", "Willowfield", "Willowbrook", "Hazelwick", "Hazeldene", "Hazelford",
        "Hazelmere", "Hazelbrook", "Hazelhurst", "Heronsgate", "Cedarwood", "Amberley", "Heatherley",
        "Heatherton", "Cloverley", "Cloverfield", "Fallowfield", "Merlinwell", "Larkspurfield",
        "Kingfisherbridge", "Aspley", "Ambermoor", "Granitebridge", "Willowdale",
    }
)  # fmt: skip
_NAME_TEMPLATES = {
    ("acute",): (
        "{a} Hospitals NHS Foundation Trust",
        "{a} University Hospitals NHS Foundation Trust",
        "{a} and {b} Hospitals NHS Trust",
        "{a} General Hospital NHS Trust",
        "{a} Teaching Hospitals NHS Foundation Trust",
        "University Hospitals of {a} NHS Trust",
    ),
    ("acute", "community"): (
        "{a} Integrated Care NHS Foundation Trust",
        "{a} Healthcare NHS Foundation Trust",
        "{a} Hospitals and Community Services NHS Trust",
    ),
    ("mental_health",): (
        "{a} Partnership NHS Foundation Trust",
        "{a} Mental Health NHS Trust",
        "{a} and {b} Mental Health NHS Foundation Trust",
    ),
    ("mental_health", "community"): (
        "{a} Health and Care NHS Foundation Trust",
        "{a} Care Partnership NHS Foundation Trust",
        "{a} and {b} Healthcare Partnership NHS Trust",
    ),
    ("community",): (
        "{a} Community Healthcare NHS Trust",
        "{a} Community Health Services NHS Trust",
        "{a} and {b} Community Care NHS Trust",
    ),
    ("ambulance",): (
        "{a} Coast Ambulance Service NHS Trust",
        "{a} Valley Ambulance Service NHS Foundation Trust",
        "{a} and {b} Ambulance Service NHS Trust",
        "{a} Counties Ambulance Service NHS Foundation Trust",
    ),
    ("icb",): (
        "NHS {a} and {b} Integrated Care Board",
        "NHS {a} Integrated Care Board",
        "NHS {a} and {b} Integrated Care Board",
    ),
}
_FIRST_NAMES = (
    "Alex", "Amira", "Bethan", "Callum", "Chidi", "Daniel", "Priya", "Eilidh", "Farah", "Gareth",
    "Hannah", "Imran", "Joanna", "Kwame", "Laura", "Mohammed", "Niamh", "Oliver", "Zoë", "Rhys",
    "Siân", "Tomasz", "Una", "Vikram", "Wendy", "Yusuf", "Bríd", "Ravi", "Grace", "Owen",
)  # fmt: skip
_LAST_NAMES = (
    "Ashdown", "Brightwater", "Carrow", "Delamere", "Evenlode", "Fairbairn", "Gillingwater",
    "Hallowes", "Ingleby", "Jessamy", "Kittredge", "Lindqvist", "Marchbank", "Nettleford",
    "Okonkwo-Reed", "Penhallow", "Quennell", "Rosewarne", "Stanier", "Trevanion", "Underhay",
    "Vasquez-Hale", "Winterbourne", "Yelland", "Zabłocki", "Ó Ceallaigh",
)  # fmt: skip

# Latent maturity: pillar baselines (pillar_order 1-7: Well Led, Ensure Smart Foundations, Safe
# Practice, Support Workforce, Empower People, Improve Care, Healthy Populations) for the first year.
_TRUST_PILLAR_BASE = np.array([2.95, 3.35, 2.95, 2.55, 2.05, 2.65, 2.35])
_ICB_PILLAR_BASE = np.array([2.55, 2.6, 2.4, 2.2, 2.0, 2.35, 2.15])
_ORG_SD = {"trust": 0.45, "icb": 0.2}
_REGION_SD = 0.12
_SETTING_PILLAR_SD = 0.15
_ORG_PILLAR_SD = 0.3
_YEAR_GAIN_MEAN, _YEAR_GAIN_SD = 0.12, 0.2
_DOMAIN_SD = 0.3
_UNIT_DOMAIN_SD = 0.75
_PARTIAL_MET_P = 0.35  # an element above the next level is sometimes met anyway
_BLANK_OPTIONAL_P = 0.1
_MAX_ENUMERATED_OPTIONS = 10


# --- reference -------------------------------------------------------------------------------


def generate_reference(
    seed: int = DEFAULT_SEED, scale: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the fictional organisations and the real regions, as ``load_reference`` returns them."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = np.random.default_rng([seed, 0])
    places = _PlacePool(rng)
    icbs = _generate_icbs(rng, places, scale)
    trusts = _generate_trusts(rng, places, scale, icbs)
    organisations = pd.DataFrame.from_records(icbs + trusts, columns=list(ORGANISATION_COLUMNS))
    organisations = organisations.sort_values("org_code", ignore_index=True)
    regions = pd.DataFrame(
        [(r.code, r.name, r.ons_code) for r in REGIONS], columns=list(REGION_COLUMNS)
    ).sort_values("region_code", ignore_index=True)
    return organisations, regions


class _PlacePool:
    """Hands out unique fictional place names in a seeded order, qualified ones only when needed."""

    def __init__(self, rng: np.random.Generator):
        base = [s + e for s, e in itertools.product(_STEMS, _ENDINGS) if s + e not in _REAL_PLACES]
        qualified = [f"{q} {p}" for q, p in itertools.product(_QUALIFIERS, base)]
        self._names = [base[i] for i in rng.permutation(len(base))]
        self._names += [qualified[i] for i in rng.permutation(len(qualified))]
        self._next = 0

    def take(self) -> str:
        """Return the next unused place name."""
        name = self._names[self._next]
        self._next += 1
        return name


def _codes(rng: np.random.Generator, prefix: str, n: int) -> list[str]:
    """Draw ``n`` distinct codes ``prefix`` + 2 letters/digits (3 when 2 cannot give ``n``)."""
    width = 2 if n <= len(ALPHANUMERIC) ** 2 else 3
    suffixes = ["".join(chars) for chars in itertools.product(ALPHANUMERIC, repeat=width)]
    return [prefix + suffixes[i] for i in rng.choice(len(suffixes), size=n, replace=False)]


def _name(rng: np.random.Generator, places: _PlacePool, settings: tuple[str, ...]) -> str:
    """Compose an organisation name from a template for its care settings and fresh places."""
    templates = _NAME_TEMPLATES[settings]
    template = templates[rng.integers(len(templates))]
    b = places.take() if "{b}" in template else ""
    return template.format(a=places.take(), b=b)


def _generate_icbs(rng: np.random.Generator, places: _PlacePool, scale: int) -> list[dict]:
    """ICBs per region as in England (times scale), with codes and ONS codes from unused ranges."""
    n_icbs = sum(r.n_icbs for r in REGIONS) * scale
    codes = iter(_codes(rng, "QZ", n_icbs))
    records = []
    for region in REGIONS:
        for _ in range(region.n_icbs * scale):
            records.append(
                {
                    "org_code": next(codes),
                    "org_name": _name(rng, places, ("icb",)),
                    "org_type": "icb",
                    "care_settings": ("icb",),
                    "region_code": region.code,
                    "predecessor_codes": (),
                }
            )
    for number, record in enumerate(sorted(records, key=lambda r: r["org_code"]), start=1):
        record["icb_code"] = record["org_code"]
        record["ons_code"] = f"E549{number:05d}"
    return records


def _trust_settings(rng: np.random.Generator, scale: int) -> dict[str, list[tuple[str, ...]]]:
    """Share the trust mix out among regions: each region's list of trusts' care settings."""
    mix = [settings for settings, n in TRUST_MIX.items() for _ in range(n * scale)]
    mix = [mix[i] for i in rng.permutation(len(mix))]
    by_region = {}
    start = 0
    for region in REGIONS:
        n_other = (region.n_trusts - region.n_ambulance) * scale
        by_region[region.code] = mix[start : start + n_other] + [("ambulance",)] * (
            region.n_ambulance * scale
        )
        start += n_other
    return by_region


def _assign_icbs(
    rng: np.random.Generator, settings: list[tuple[str, ...]], icbs: list[str]
) -> list[str]:
    """Give every ICB one acute trust first, then spread the rest unevenly, as in England."""
    order = sorted(range(len(settings)), key=lambda i: ("acute" not in settings[i], i))
    weights = rng.gamma(6.0, size=len(icbs))
    weights /= weights.sum()
    assigned = [""] * len(settings)
    for rank, index in enumerate(order):
        if rank < len(icbs):
            assigned[index] = icbs[rank]
        else:
            assigned[index] = icbs[rng.choice(len(icbs), p=weights)]
    return assigned


def _generate_trusts(
    rng: np.random.Generator, places: _PlacePool, scale: int, icbs: list[dict]
) -> list[dict]:
    """Trusts in every region, each in one of its region's ICBs; a few formed by merger."""
    n_trusts = sum(r.n_trusts for r in REGIONS) * scale
    n_merged = MERGED_TRUSTS_PER_SCALE * scale
    codes = _codes(rng, "Z", n_trusts + 2 * n_merged)
    trust_codes, predecessor_codes = codes[:n_trusts], codes[n_trusts:]
    settings_by_region = _trust_settings(rng, scale)
    records = []
    for region in REGIONS:
        region_icbs = [i["org_code"] for i in icbs if i["region_code"] == region.code]
        settings = settings_by_region[region.code]
        for setting, icb in zip(settings, _assign_icbs(rng, settings, region_icbs), strict=True):
            records.append(
                {
                    "org_code": trust_codes[len(records)],
                    "org_name": _name(rng, places, setting),
                    "org_type": "trust",
                    "care_settings": setting,
                    "icb_code": icb,
                    "region_code": region.code,
                    "ons_code": None,
                    "predecessor_codes": (),
                }
            )
    for k, index in enumerate(rng.choice(n_trusts, size=n_merged, replace=False)):
        records[index]["predecessor_codes"] = tuple(sorted(predecessor_codes[2 * k : 2 * k + 2]))
    return records


# --- returns ---------------------------------------------------------------------------------


def generate_returns(
    methodology: Any, organisations: pd.DataFrame, seed: int = DEFAULT_SEED
) -> dict[int, pd.DataFrame]:
    """Build one returns table per methodology year (columns as CONTRACTS.md), fully determined by seed."""
    units = _units(organisations)
    years = sorted(int(y) for y in methodology.questions["year"].unique())
    latent = _latent_maturity(units, np.random.default_rng([seed, 1]))
    missing = _missing_org_years(organisations, years, np.random.default_rng([seed, 2]))
    gains = np.random.default_rng([seed, 3]).normal(
        _YEAR_GAIN_MEAN, _YEAR_GAIN_SD, size=(len(years), len(units), 1)
    )
    gains = np.clip(gains, _YEAR_GAIN_MEAN - 2 * _YEAR_GAIN_SD, _YEAR_GAIN_MEAN + 2 * _YEAR_GAIN_SD)
    gains[0] = 0.0
    domain_effects = _domain_effects(methodology, seed)
    returns = {}
    for index, year in enumerate(years):
        rng = np.random.default_rng([seed, 4, year])
        present = ~units["org_code"].isin(missing.get(year, set())).to_numpy()
        maturity = latent + gains[: index + 1].sum(axis=0)
        year_units = units[present].reset_index(drop=True)
        tables = (methodology, year_units, maturity[present])
        returns[year] = _year_returns(year, tables, domain_effects, rng)
    return returns


# The demo's correction (release 2025.1.1 in data/release.yaml). The first public release,
# 2025.1.0 (archived in data/releases/), was built from returns whose latest year held, for the
# first CORRECTED_TRUSTS acute trusts by code, draft answers to one domain's questions (those of
# another trust): `draft_returns` gives those returns. The corrected returns are the ones
# generate_returns gives, which data/returns/ holds.
CORRECTED_DOMAIN = "sc_care_coordination"
CORRECTED_TRUSTS = 3


def draft_returns(
    returns: dict[int, pd.DataFrame], methodology: Any, domain_id: str = CORRECTED_DOMAIN
) -> dict[int, pd.DataFrame]:
    """The latest year's returns as the demo's first public release held them: for the first
    CORRECTED_TRUSTS acute trusts by code, the answers to domain_id's questions are those of
    the trust CORRECTED_TRUSTS places after it (a draft entered in error)."""
    year = max(returns)
    table = returns[year].copy()
    questions = methodology.questions
    ids = set(
        questions.loc[
            (questions["year"] == year) & (questions["domain_id"] == domain_id), "question_id"
        ]
    )
    acute = table[(table["care_setting"] == "acute") & table["question_id"].isin(ids)]
    codes = sorted(acute["org_code"].unique())[: 2 * CORRECTED_TRUSTS]
    for target, source in zip(codes[:CORRECTED_TRUSTS], codes[CORRECTED_TRUSTS:], strict=True):
        theirs = acute[acute["org_code"] == source].set_index("question_id")["answer"]
        rows = (table["org_code"] == target) & (table["care_setting"] == "acute")
        rows &= table["question_id"].isin(theirs.index)
        table.loc[rows, "answer"] = table.loc[rows, "question_id"].map(theirs)
    return {**returns, year: table}


def _units(organisations: pd.DataFrame) -> pd.DataFrame:
    """One row per organisation and care setting: the unit that submits one return a year."""
    frame = organisations[["org_code", "org_type", "region_code", "care_settings"]].copy()
    frame["care_setting"] = frame["care_settings"].map(
        lambda s: tuple(s.split(";")) if isinstance(s, str) else tuple(s)
    )
    frame = frame.explode("care_setting").drop(columns="care_settings")
    return frame.sort_values(["org_code", "care_setting"], ignore_index=True)


def _latent_maturity(units: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Latent maturity (units x 7 pillars): pillar base + region + setting + organisation + noise."""
    is_icb = (units["org_type"] == "icb").to_numpy()
    base = np.where(is_icb[:, None], _ICB_PILLAR_BASE, _TRUST_PILLAR_BASE)
    regions = sorted(r.code for r in REGIONS)
    region_effect = dict(zip(regions, rng.normal(0, _REGION_SD, len(regions)), strict=True))
    settings = [*TRUST_CARE_SETTINGS, "icb"]
    setting_effect = dict(
        zip(settings, rng.normal(0, _SETTING_PILLAR_SD, (len(settings), 7)), strict=True)
    )
    orgs = units["org_code"].unique()
    org_noise = dict(zip(orgs, np.clip(rng.normal(0, 1, len(orgs)), -1.8, 1.8), strict=True))
    org_sd = np.where(is_icb, _ORG_SD["icb"], _ORG_SD["trust"])
    org_effect = units["org_code"].map(org_noise).to_numpy() * org_sd
    return (
        base
        + units["region_code"].map(region_effect).to_numpy()[:, None]
        + np.stack(units["care_setting"].map(setting_effect).to_list())
        + org_effect[:, None]
        + np.clip(rng.normal(0, 1, (len(units), 7)), -1.8, 1.8) * _ORG_PILLAR_SD
    )


def _missing_org_years(
    organisations: pd.DataFrame, years: list[int], rng: np.random.Generator
) -> dict[int, set[str]]:
    """A few organisations without returns: merged trusts miss the first year, 1% of trusts the last."""
    missing: dict[int, set[str]] = {year: set() for year in years}
    if len(years) < 2:
        return missing
    merged = organisations["predecessor_codes"].map(len) > 0
    missing[years[0]] = set(organisations.loc[merged, "org_code"])
    trusts = organisations.loc[
        (organisations["org_type"] == "trust") & ~merged, "org_code"
    ].to_numpy()
    n_absent = max(1, round(len(trusts) / 100))
    missing[years[-1]] = set(rng.choice(trusts, size=n_absent, replace=False))
    return missing


@dataclass(frozen=True)
class _Candidates:
    """The distinct answers worth considering for a question: text (or an integer range) per candidate."""

    texts: list[str]
    lows: np.ndarray | None  # integer ranges for number/percentage questions
    highs: np.ndarray | None

    def render(self, chosen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The answer text for each chosen candidate (a random whole number within a range)."""
        if self.lows is None:
            return np.asarray(self.texts, dtype=object)[chosen]
        values = rng.integers(self.lows[chosen], self.highs[chosen] + 1)
        return np.asarray([str(v) for v in values], dtype=object)


def _domain_effects(methodology: Any, seed: int) -> dict[str, float]:
    """A lasting effect per score (some domains are harder than others), the same in every year."""
    score_ids = sorted(set(methodology.elements["score_id"]))
    return {
        s: float(np.random.default_rng([seed, 5, zlib.crc32(s.encode())]).normal(0, _DOMAIN_SD))
        for s in score_ids
    }


def _year_returns(
    year: int,
    tables: tuple[Any, pd.DataFrame, np.ndarray],
    domain_effects: dict[str, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """All answer rows of one year: pick each unit's answers from its desired element outcomes."""
    methodology, units, maturity = tables
    questions = methodology.questions[methodology.questions["year"] == year].reset_index(drop=True)
    elements = _elements_with_pillar(methodology, year)
    desired = _desired_outcomes(elements, maturity, domain_effects, rng)
    element_positions = {e: i for i, e in enumerate(elements["element_id"])}
    settings = units["care_setting"].to_numpy()
    parts = []
    for q_index, question in enumerate(questions.itertuples(index=False)):
        asked = np.flatnonzero(np.isin(settings, list(question.care_settings)))
        if asked.size == 0:
            continue
        q_elements = elements[elements["question_id"] == question.question_id]
        columns = [element_positions[e] for e in q_elements["element_id"]]
        wanted = desired[np.ix_(asked, columns)]
        answers = _answers(question, q_elements, wanted, maturity[asked].mean(axis=1), rng)
        keep, answers = _blank_optional(question, wanted, answers, rng)
        parts.append(pd.DataFrame({"unit": asked[keep], "q": q_index, "answer": answers[keep]}))
    rows = pd.concat(parts, ignore_index=True).sort_values(["unit", "q"], ignore_index=True)
    return _assemble(year, units, questions, rows, rng)


def _elements_with_pillar(methodology: Any, year: int) -> pd.DataFrame:
    """The year's elements with the pillar position (0-6) of their domain, for the latent lookup."""
    elements = methodology.elements[methodology.elements["year"] == year]
    domains = methodology.domains[methodology.domains["year"] == year][["domain_id", "pillar_id"]]
    order = methodology.pillars.set_index("pillar_id")["pillar_order"]
    merged = elements.merge(domains, on="domain_id", how="left", validate="many_to_one")
    merged["pillar_index"] = merged["pillar_id"].map(order).astype(int) - 1
    return merged.reset_index(drop=True)


def _desired_outcomes(
    elements: pd.DataFrame,
    maturity: np.ndarray,
    domain_effects: dict[str, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Which elements each unit should meet (units x elements): all up to its target level, not the next."""
    n_units = len(maturity)
    desired = np.zeros((n_units, len(elements)), dtype=bool)
    for score_id, group in elements.groupby("score_id", sort=True):
        pillar = int(group["pillar_index"].iloc[0])
        noise = rng.normal(0, _UNIT_DOMAIN_SD, n_units)
        latent = maturity[:, pillar] + domain_effects[score_id] + noise
        target = np.clip(np.rint(latent), 1, 5).astype(int)
        levels = group["level"].to_numpy()
        positions = group.index.to_numpy()
        met = levels[None, :] <= target[:, None]
        partial = rng.random(met.shape) < _PARTIAL_MET_P
        next_level = levels[None, :] == target[:, None] + 1
        # One element of the next level stays unmet, so the score does not run past the target.
        keys = np.where(next_level, rng.random(met.shape), np.inf)
        blocker = next_level & (keys == keys.min(axis=1, keepdims=True))
        desired[:, positions] = (met | partial) & ~blocker
    return desired


def _answers(
    question: Any,
    elements: pd.DataFrame,
    wanted: np.ndarray,
    maturity: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Answers for the units asked: the candidate that agrees with most wanted outcomes, ties at random."""
    if elements.empty:
        return _free_answers(question, maturity, rng)
    conditions = list(
        zip(elements["condition_op"], elements["condition_value"].map(json.loads), strict=True)
    )
    candidates = _candidates(question, conditions, rng)
    outcomes = np.array(
        [[meets(op, value, text) for op, value in conditions] for text in candidates.texts]
    )
    agreement = (outcomes[None, :, :] == wanted[:, None, :]).sum(axis=2)
    chosen = np.argmax(agreement + rng.random(agreement.shape) * 0.5, axis=1)
    return candidates.render(chosen, rng)


def _candidates(
    question: Any, conditions: list[tuple[str, Any]], rng: np.random.Generator
) -> _Candidates:
    """The distinct answers that matter for a question's conditions."""
    kind = question.answer_type
    if kind == "yes_no":
        return _Candidates(["Yes", "No"], None, None)
    if kind == "single_choice":
        return _Candidates(list(question.options), None, None)
    if kind == "multiple_choice":
        return _Candidates([";".join(s) for s in _subsets(list(question.options), rng)], None, None)
    return _numeric_candidates(question, conditions)


def _subsets(options: list[str], rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Non-empty option subsets (all of them for few options, else a seeded sample), in option order."""
    n = len(options)
    if n <= _MAX_ENUMERATED_OPTIONS:
        masks = range(1, 2**n)
    else:
        masks = sorted({int(m) for m in rng.integers(1, 2**n, size=2048)} | {2**n - 1})
    return [tuple(o for i, o in enumerate(options) if mask >> i & 1) for mask in masks]


def _bounds(question: Any, thresholds: list[float]) -> tuple[int, int]:
    """Whole-number answer range: the question's own, or 0-100 for percentages, or from thresholds."""
    low = 0 if pd.isna(question.min_value) else math.ceil(question.min_value)
    if not pd.isna(question.max_value):
        high = math.floor(question.max_value)
    elif question.answer_type == "percentage":
        high = 100
    else:
        high = max([low + 10, *(math.ceil(2 * t) for t in thresholds)])
    return low, high


def _numeric_candidates(question: Any, conditions: list[tuple[str, Any]]) -> _Candidates:
    """Whole-number ranges between the conditions' thresholds: each range meets the same elements."""
    thresholds = [float(v) for _, v in conditions if isinstance(v, int | float)]
    low, high = _bounds(question, thresholds)
    cuts = set()
    for op, value in conditions:
        if op == "at_least":
            cuts.add(math.ceil(value))
        elif op == "at_most":
            cuts.add(math.floor(value) + 1)
        elif op == "equals" and isinstance(value, int | float):
            cuts |= {math.ceil(value), math.floor(value) + 1}
    starts = sorted({low} | {c for c in cuts if low < c <= high})
    lows = np.array(starts)
    highs = np.array([*(s - 1 for s in starts[1:]), high])
    return _Candidates([str(s) for s in starts], lows, highs)


def meets(op: str, value: Any, answer: str) -> bool:
    """Whether an answer (text, as in the returns) meets an element's condition (CONTRACTS.md)."""
    if answer == "":
        return False
    chosen = set(answer.split(";"))
    checks = {
        "equals": lambda: _same(answer, value),
        "in": lambda: any(_same(answer, v) for v in value),
        "at_least": lambda: float(answer) >= float(value),
        "at_most": lambda: float(answer) <= float(value),
        "includes": lambda: str(value) in chosen,
        "includes_all": lambda: set(map(str, value)) <= chosen,
        "count_at_least": lambda: len(chosen) >= float(value),
    }
    return checks[op]()


def _same(answer: str, value: Any) -> bool:
    """Compare an answer with a condition value: as numbers when the value is a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(answer) == float(value)
        except ValueError:
            return False
    return answer == str(value)


def _free_answers(question: Any, maturity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Answers to a question no element reads (context questions): plausible, tilted by maturity."""
    n = len(maturity)
    kind = question.answer_type
    if kind == "yes_no":
        yes = rng.random(n) < 1 / (1 + np.exp(-(maturity - 2.5) * 1.5))
        return np.where(yes, "Yes", "No").astype(object)
    if kind in ("single_choice", "multiple_choice"):
        options = list(question.options)
        if kind == "single_choice":
            return np.asarray(options, dtype=object)[rng.integers(len(options), size=n)]
        picks = rng.random((n, len(options))) < 0.45
        picks[~picks.any(axis=1), 0] = True
        return np.array(
            [";".join(o for o, p in zip(options, row, strict=True) if p) for row in picks],
            dtype=object,
        )
    low, high = _bounds(question, [])
    share = np.clip(rng.normal((maturity - 1) / 4, 0.2), 0, 1)
    return np.asarray(
        [str(v) for v in np.rint(low + share * (high - low)).astype(int)], dtype=object
    )


def _blank_optional(
    question: Any, wanted: np.ndarray, answers: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Leave some optional questions unanswered (an empty answer, or now and then no row at all)."""
    keep = np.ones(len(answers), dtype=bool)
    if question.is_required:
        return keep, answers
    blank = (rng.random(len(answers)) < _BLANK_OPTIONAL_P) & ~wanted.any(axis=1)
    answers = np.where(blank, "", answers).astype(object)
    keep &= ~(blank & (rng.random(len(answers)) < 0.3))
    return keep, answers


def _assemble(
    year: int,
    units: pd.DataFrame,
    questions: pd.DataFrame,
    rows: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Attach organisation, question and the (fictional, personal) submission fields to the rows."""
    submissions = _submissions(year, units, rng)
    unit = rows["unit"].to_numpy()
    frame = pd.DataFrame(
        {
            "year": year,
            "org_code": units["org_code"].to_numpy()[unit],
            "care_setting": units["care_setting"].to_numpy()[unit],
            "question_id": questions["question_id"].to_numpy()[rows["q"].to_numpy()],
            "answer": rows["answer"].to_numpy(),
        }
    )
    for column in ("submitted_at", "submitter_name", "submitter_email"):
        frame[column] = submissions[column][unit]
    return frame[list(RETURN_COLUMNS)]


def _submissions(year: int, units: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One submission per unit: a time within April-June (UK summer time) and a fictional submitter."""
    n = len(units)
    start = dt.datetime(year, 4, 1, 8, 0, 0)
    days = rng.integers(0, 91, n)
    seconds = rng.integers(0, 10 * 3600, n)
    stamps = [
        (start + dt.timedelta(days=int(d), seconds=int(s))).isoformat() + "+01:00"
        for d, s in zip(days, seconds, strict=True)
    ]
    first = np.asarray(_FIRST_NAMES, dtype=object)[rng.integers(len(_FIRST_NAMES), size=n)]
    last = np.asarray(_LAST_NAMES, dtype=object)[rng.integers(len(_LAST_NAMES), size=n)]
    emails = [
        f"{_ascii(f)}.{_ascii(s)}@{code.lower()}.example"
        for f, s, code in zip(first, last, units["org_code"], strict=True)
    ]
    return {
        "submitted_at": np.asarray(stamps, dtype=object),
        "submitter_name": np.asarray(
            [f"{f} {s}" for f, s in zip(first, last, strict=True)], dtype=object
        ),
        "submitter_email": np.asarray(emails, dtype=object),
    }


def _ascii(name: str) -> str:
    """Lower-case ASCII letters and hyphens of a name, for the local part of an e-mail address."""
    plain = unicodedata.normalize("NFKD", name.replace("ł", "l")).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalpha() or c == "-")


# --- files -----------------------------------------------------------------------------------


def organisations_csv(organisations: pd.DataFrame) -> str:
    """The organisations frame as organisations.csv text (list cells ``;``-joined)."""
    frame = organisations[list(ORGANISATION_COLUMNS)].copy()
    for column in ("care_settings", "predecessor_codes"):
        frame[column] = frame[column].map(";".join)
    frame["ons_code"] = frame["ons_code"].fillna("")
    return frame.to_csv(index=False, lineterminator="\n")


def write_demo_data(
    data_dir: str | Path,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    source_dir: str | Path = REPO_DATA_DIR,
) -> list[Path]:
    """Write demo reference and returns into data_dir (copying methodology and release from source_dir)."""
    from dma_publish.methodology import load_methodologies, methodology_frames

    data_dir, source_dir = Path(data_dir), Path(source_dir)
    if data_dir.resolve() != source_dir.resolve():
        _copy_inputs(source_dir, data_dir)
    frames = methodology_frames(load_methodologies(source_dir / "methodology"))
    organisations, regions = generate_reference(seed, scale)
    written = _write_reference(data_dir / "reference", organisations, regions, seed, scale)
    written += _write_hexmap(data_dir / "reference", organisations, source_dir / "official")
    returns_dir = data_dir / "returns"
    returns_dir.mkdir(parents=True, exist_ok=True)
    for year, table in generate_returns(frames, organisations, seed).items():
        path = returns_dir / f"dma-returns-{year}.csv"
        _write_text(path, table.to_csv(index=False, lineterminator="\n"))
        written.append(path)
    return written


def _copy_inputs(source_dir: Path, data_dir: Path) -> None:
    """Copy the methodology and the top-level YAML (release, policy) so data_dir is a whole input set."""
    shutil.copytree(source_dir / "methodology", data_dir / "methodology", dirs_exist_ok=True)
    for path in sorted(source_dir.glob("*.yaml")):
        shutil.copyfile(path, data_dir / path.name)


def _write_reference(
    directory: Path, organisations: pd.DataFrame, regions: pd.DataFrame, seed: int, scale: int
) -> list[Path]:
    """Write organisations.csv, regions.csv and reference.yaml (marked as demonstration data)."""
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {
        "is_demo": True,
        "description": (
            "Demonstration data: fictional NHS trusts and Integrated Care Boards in the real NHS"
            " England regions. Codes come from ranges no real organisation uses (ICBs QZ + 2-3"
            " letters/digits, trusts Z + 2-3 letters/digits, ICB ONS codes E549 + 5 digits)."
            f" Generated by dma_publish.demo with seed {seed} and scale {scale}."
        ),
        "seed": seed,
        "scale": scale,
    }
    files = {
        "organisations.csv": organisations_csv(organisations),
        "regions.csv": regions.to_csv(index=False, lineterminator="\n"),
        "reference.yaml": yaml.safe_dump(metadata, sort_keys=True, allow_unicode=True, width=100),
    }
    for name, text in files.items():
        _write_text(directory / name, text)
    return [directory / name for name in files]


def demo_hexmap(organisations: pd.DataFrame, official_dir: Path) -> dict[str, Any] | None:
    """The demo's ICBs on the official layout's 42 hexagons, each region's ICBs on that region's
    hexagons (regions from the official reference); None when a region has more ICBs than
    hexagons (scales above 1) or the official layout is absent."""
    layout_path = official_dir / "organisations" / "hexmap" / "nhs-icb-2022.hexjson"
    if not layout_path.is_file():
        return None
    official = pd.read_csv(official_dir / "organisations" / "organisations.csv", dtype=str)
    regions = dict(zip(official["org_code"], official["region_code"], strict=True))
    icbs = organisations.loc[organisations["org_type"] == "icb", ["org_code", "region_code"]]
    try:
        doc = hexmap.place_on(hexmap.read_layout(layout_path), regions, icbs)
    except ValueError:
        return None
    doc["note"] = (
        "Demonstration layout: the demo's fictional ICBs placed by dma_publish.demo on the "
        "hexagons of Open Innovations' nhs-icb-2022 hex map (MIT licence), each region's ICBs "
        "on that region's hexagons. Positions say nothing about any real place."
    )
    return doc


def _write_hexmap(directory: Path, organisations: pd.DataFrame, official_dir: Path) -> list[Path]:
    """Write the demo's hex map layout, or remove an earlier one when there is none."""
    path = directory / hexmap.LAYOUT_FILE
    doc = demo_hexmap(organisations, official_dir)
    if doc is None:
        path.unlink(missing_ok=True)
        return []
    hexes = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc["hexes"].items())
    head = f'{{\n "layout": {json.dumps(doc["layout"])},\n "note": {json.dumps(doc["note"])},\n'
    _write_text(path, f'{head} "hexes": {{\n{hexes}\n }}\n}}\n')
    return [path]


def _write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line endings, whatever the platform."""
    path.write_text(text, encoding="utf-8", newline="\n")
