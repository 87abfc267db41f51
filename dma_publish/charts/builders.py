"""One builder per chart type: data from the Publication in, a Chart (spec, words, table) out.

Rows are in the framework's pillar order, then by name or code; nothing is ordered by score
(the assessment is "not a league table").
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dma_publish.charts.data import Lookup, Record, fmt, is_missing, lookup, num
from dma_publish.charts.style import (
    NHS_BLUE,
    STATS,
    VERMILION,
    Records,
    Series,
    fill,
)
from dma_publish.formats import fmt_change, fmt_count
from dma_publish.publication import Publication

THIS_ORG = Series("This organisation", NHS_BLUE, "circle")
MEMBER = Series("Member trust return", VERMILION, "circle")
# A diamond is always a group's median (an ICB system's, a region's), on every chart.
SYSTEM_MEDIAN = Series("System median", NHS_BLUE, "diamond")
REGION_ORG = Series("Organisation in the region", VERMILION, "circle")
REGION_MEDIAN = Series("Region median", NHS_BLUE, "diamond")
SPREAD_KEY = (
    "Each row: the thin line runs from the lowest to the highest score of {peers}, the grey bar "
    "covers their middle half (lower to upper quartile), and the black tick is their median."
)
PILLAR_AXIS = "Score (1 to 5)"


@dataclass(frozen=True)
class Chart:
    """A chart ready to publish: its Vega-Lite spec and the words and table that stand for it."""

    chart_id: str
    kind: str
    scope: tuple
    title: str
    description: str  # one or two sentences: what the chart shows (the chart's aria-label)
    summary: str  # one line computed from the data shown: what it says
    key: str  # how to read the marks, in words
    spec: dict[str, Any]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # display text; the first column heads each row
    table_caption: str
    row_keys: tuple[str, ...] = ()  # what each table row is about (org_domains: domain ids)

    @property
    def table(self) -> pd.DataFrame:
        """The chart's data as displayed, one row per table row."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


@dataclass
class ChartSet:
    """Every chart of a publication, by id and by scope (what a page asks for)."""

    charts: dict[str, Chart] = field(default_factory=dict)
    by_scope: dict[tuple, list[Chart]] = field(default_factory=dict)

    def add(self, chart: Chart) -> None:
        """Add a chart; ids are unique."""
        if chart.chart_id in self.charts:
            raise ValueError(f"duplicate chart id {chart.chart_id}")
        self.charts[chart.chart_id] = chart
        self.by_scope.setdefault(chart.scope, []).append(chart)

    def get(self, *scope: Any) -> list[Chart]:
        """Charts for a scope: ("national", year), ("org", code, setting, year),
        ("icb", code, year), ("region", code, year) or ("domain", score_id)."""
        return list(self.by_scope.get(tuple(scope), []))

    def __iter__(self) -> Iterator[Chart]:
        return iter(self.charts.values())

    def __len__(self) -> int:
        return len(self.charts)


def chart_id(*parts: Any) -> str:
    """A stable, HTML-safe id: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def _timed(kind: str) -> Callable:
    """Count and time a builder in STATS (the 1 ms per chart budget)."""

    def wrap(func: Callable[..., Chart]) -> Callable[..., Chart]:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Chart:
            start = time.perf_counter()
            chart = func(*args, **kwargs)
            STATS.seconds += time.perf_counter() - start
            STATS.n_charts += 1
            STATS.by_kind[kind] = STATS.by_kind.get(kind, 0) + 1
            return chart

        return inner

    return wrap


SPREAD = ("min", "q1", "median", "q3", "max")
_NO_SPREAD = ({k: None for k in SPREAD}, {k: fmt(None) for k in SPREAD})


def _spread(stats: Record | None) -> tuple[Record, dict[str, str]]:
    """A peer group's spread as displayed: the rounded numbers (None where unknown or withheld)
    and their text (`[c]` where so). Worked out once per benchmark record, which is kept with it:
    the same peer group is drawn behind every organisation of a care setting."""
    if not stats:
        return _NO_SPREAD
    shown = stats.get("_spread")
    if shown is None:
        numbers = {k: num(stats.get(k)) for k in SPREAD}
        shown = (numbers, {k: fmt(v) for k, v in numbers.items()})
        stats["_spread"] = shown
    return shown


_SHORT = {"min": "a", "q1": "q", "median": "m", "q3": "r", "max": "b"}


def _row(i: int, label: str, stats: Record | None = None, **extra: Any) -> Record:
    """One row of a row chart (see `style.ROW_KINDS`): its number from 1 (the y position), label
    and the peers' spread, with only the fields that have a value (no key: no mark)."""
    rec: Record = {"i": i + 1, "l": label}
    for name, number in _spread(stats)[0].items():
        if number is not None:
            rec[_SHORT[name]] = number
    rec.update({k: v for k, v in extra.items() if v is not None and v != ""})
    return rec


def _point(row: Record, series: str, value: Any, name: str) -> Record:
    """One named point of a row chart (series "a" or "b")."""
    return {"i": row["i"], "s": series, "v": num(value), "o": name}


def _at_or_above(pairs: list[tuple[Any, Any]]) -> tuple[int, int]:
    """How many (value, median) pairs, both known, have value >= median as displayed."""
    known = [(num(v), num(m)) for v, m in pairs if not (is_missing(v) or is_missing(m))]
    return sum(v >= m for v, m in known), len(known)


def _plural(n: int, word: str) -> str:
    """'1 pillar', '3 pillars'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _org(lk: Lookup, org_code: str) -> Record:
    """The organisation's reference row; a clear error for an unknown code."""
    try:
        return lk.orgs[org_code]
    except KeyError:
        raise KeyError(f"unknown organisation {org_code!r}") from None


# ---------------------------------------------------------------------------------------------
# Organisation profile


@_timed("org_pillars")
def org_pillar_profile(pub: Publication, org_code: str, care_setting: str, year: int) -> Chart:
    """An organisation's pillar scores against its peers' spread and median (a spine chart)."""
    lk = lookup(pub)
    org = _org(lk, org_code)
    own = lk.pillar_scores.get((year, org_code, care_setting), [])
    scores = {r["pillar_id"]: r["score"] for r in own}
    withheld = {r["pillar_id"] for r in own if r.get("is_suppressed")}
    peers = lk.peer_stats(year, care_setting, "pillar")
    peer_words = lk.peers_label(care_setting)
    rows, table, pairs = [], [], []
    for i, pillar in enumerate(lk.pillars):
        pid, name = pillar["pillar_id"], pillar["pillar_name"]
        score, stats = scores.get(pid), peers.get(pid, {})
        text = _spread(stats)[1]
        if is_missing(score):
            # a score the disclosure audit withholds is [c], as in the table; else there is none
            row = _row(i, name, stats, n="[c] (withheld)" if pid in withheld else "No score")
        else:
            row = _row(i, name, stats, v=num(score))
        rows.append(row)
        pairs.append((score, stats.get("median")))
        table.append((name, fmt(score), *(text[k] for k in ("median", "q1", "q3", "min", "max"))))
    above, known = _at_or_above(pairs)
    setting = lk.setting_name(care_setting).lower()
    return Chart(
        chart_id=chart_id("org", org_code, care_setting, year, "pillars"),
        kind="org_pillars",
        scope=("org", org_code, care_setting, year),
        title=f"Pillar scores against {peer_words}, {year}",
        description=(
            f"Dot plot of {org['org_name']}'s {setting} pillar scores for {year}, each shown "
            f"against the lowest, middle half, median and highest scores of {peer_words}."
        ),
        summary=f"{above} of {known} pillars at or above the median for {peer_words}.",
        key="The blue dot is this organisation's score. " + SPREAD_KEY.format(peers=peer_words),
        spec=fill(
            "profile",
            {"rows": rows},
            f"Pillar scores against {peer_words}, {year}.",
            (THIS_ORG,),
            PILLAR_AXIS,
        ),
        columns=(
            "Pillar",
            "This organisation",
            "Median",
            "Lower quartile",
            "Upper quartile",
            "Lowest",
            "Highest",
        ),
        rows=tuple(table),
        table_caption=f"{org['org_name']}, {setting}, {year}: pillar scores and those of {peer_words}",
    )


@_timed("org_domains")
def org_domain_profile(pub: Publication, org_code: str, care_setting: str, year: int) -> Chart:
    """An organisation's domain scores against its peers' median, grouped by pillar."""
    lk = lookup(pub)
    org = _org(lk, org_code)
    names = lk.memo.get(("score_names", year))
    if names is None:
        names = {d["score_id"]: d["score_name"] for d in lk.score_defs.get(year, [])}
        lk.memo[("score_names", year)] = names
    mine = lk.domain_scores.get((year, org_code, care_setting), [])
    peers = lk.peer_stats(year, care_setting, "domain")
    peer_words = lk.peers_label(care_setting)
    by_pillar: dict[str, list[Record]] = {}
    for r in mine:
        by_pillar.setdefault(r["pillar_id"], []).append(r)
    rows, table, pairs, keys = [], [], [], []
    for pillar in lk.pillars:
        these = sorted(
            by_pillar.get(pillar["pillar_id"], []),
            key=lambda r: (names.get(r["score_id"], r["score_id"]), r["score_id"]),
        )
        if not these:
            continue
        rows.append(_row(len(rows), pillar["pillar_name"], h=1))
        for rec in these:
            name, stats, score = (
                names.get(rec["score_id"], rec["score_id"]),
                peers.get(rec["score_id"], {}),
                rec["score"],
            )
            shown = fmt_count(score)
            numbers, text = _spread(stats)
            row = {"i": len(rows) + 1, "l": name}
            if numbers["median"] is not None:
                row["m"] = numbers["median"]
            if is_missing(score):
                row["n"] = "Withheld [c]"
            else:
                row["v"] = int(score)
            rows.append(row)
            pairs.append((score, stats.get("median")))
            table.append((name, pillar["pillar_name"], shown, text["median"]))
            keys.append(rec["domain_id"])
    above, known = _at_or_above(pairs)
    withheld = sum(is_missing(r["score"]) for r in mine)
    summary = f"{above} of {known} domain scores at or above the median for {peer_words}"
    summary += f"; {withheld} withheld." if withheld else "."
    setting = lk.setting_name(care_setting).lower()
    return Chart(
        chart_id=chart_id("org", org_code, care_setting, year, "domains"),
        kind="org_domains",
        scope=("org", org_code, care_setting, year),
        title=f"Domain scores against {peer_words}, {year}",
        description=(
            f"Dot plot of {org['org_name']}'s {setting} domain scores (whole levels 1 to 5) for "
            f"{year}, grouped by pillar, each against the median of {peer_words}."
        ),
        summary=summary,
        key=(
            "The blue dot is this organisation's level and the black tick is the median of "
            f"{peer_words}. Pillar names, in bold, head their domains."
        ),
        spec=fill(
            "domains",
            {"rows": rows},
            f"Domain scores against {peer_words}, {year}.",
            (THIS_ORG,),
            "Level (1 to 5)",
        ),
        columns=("Domain", "Pillar", "This organisation", "Median"),
        rows=tuple(table),
        row_keys=tuple(keys),
        table_caption=f"{org['org_name']}, {setting}, {year}: domain scores and the median of {peer_words}",
    )


# ---------------------------------------------------------------------------------------------
# Like-for-like change


def previous_year(pub: Publication, year: int) -> int | None:
    """The year a year's like-for-like change is measured from (per the methodology)."""
    comp = pub.methodology.comparability
    prev = comp.loc[comp["year"] == year, "previous_year"]
    return int(prev.iloc[0]) if len(prev) else None


def _not_comparable_reason(lk: Lookup, year: int, prev: int, pillar_id: str) -> str:
    """Why a pillar has no like-for-like score: its domains' comparability notes."""
    key = ("not_comparable", year, prev, pillar_id)
    if key not in lk.memo:
        lk.memo[key] = _work_out_not_comparable_reason(lk, year, prev, pillar_id)
    return lk.memo[key]


def _work_out_not_comparable_reason(lk: Lookup, year: int, prev: int, pillar_id: str) -> str:
    """`_not_comparable_reason`, worked out (once per year and pillar)."""
    notes = sorted(
        (r["domain_id"], r["status"], r["reason"])
        for (y, _), r in lk.comparability.items()
        if y == year
        and r["status"] != "comparable"
        and _domain_pillar(lk, year, prev, r["domain_id"]) == pillar_id
    )
    if not notes:
        return f"Not comparable: no domain of this pillar was scored in both {prev} and {year}"
    return f"Not comparable: {notes[0][2]}".rstrip(".")


def _domain_pillar(lk: Lookup, year: int, prev: int, domain_id: str) -> str | None:
    """The pillar a domain belongs to in year (or, if discontinued, in the previous year)."""
    for y in (year, prev):
        for d in lk.score_defs.get(y, []):
            if d["domain_id"] == domain_id:
                return d["pillar_id"]
    return None


def _lfl_row(
    lk: Lookup, i: int, pillar: Record, rec: Record | None, years: tuple[int, int, str]
) -> tuple[Record, list[Record], tuple]:
    """One pillar's like-for-like row: a line between the two years, or a note saying why not."""
    prev, year, _ = years
    row = _row(i, pillar["pillar_name"])
    before = None if rec is None else rec.get("lfl_previous_score")
    after = None if rec is None else rec.get("lfl_score")
    n = None if rec is None else rec.get("lfl_n_scores")
    if rec is not None and rec.get("lfl_is_suppressed"):
        row["n"] = "Withheld under the publication policy [c]"
    elif is_missing(before) or is_missing(after):
        row["n"] = _not_comparable_reason(lk, year, prev, pillar["pillar_id"])
    else:
        row.update(p=num(before), v=num(after))
        change = float(rec["lfl_change"])  # published: from full precision, rounded once
        total = (
            "" if rec is None or is_missing(rec.get("n_scores")) else f" of {int(rec['n_scores'])}"
        )
        table_row = (
            pillar["pillar_name"],
            fmt(before),
            fmt(after),
            fmt_change(change, minus="-"),
            f"{int(n)}{total}",
            "",
        )
        return row, table_row
    return (
        row,
        (pillar["pillar_name"], "", "", "", "0" if is_missing(n) else fmt_count(n), row["n"]),
    )


@_timed("org_lfl")
def org_like_for_like(
    pub: Publication, org_code: str, care_setting: str, year: int | None = None
) -> Chart:
    """Pillar scores in two years over comparable domains only; a break, with why, where not."""
    lk = lookup(pub)
    org = _org(lk, org_code)
    year = pub.latest_year if year is None else year
    key = ("previous_year", year)
    if key not in lk.memo:
        lk.memo[key] = previous_year(pub, year)
    prev = lk.memo[key]
    if prev is None:
        raise KeyError(f"{year} has no previous year to compare with")
    mine = {r["pillar_id"]: r for r in lk.pillar_scores.get((year, org_code, care_setting), [])}
    had_prev = (prev, care_setting) in lk.returns_by_org.get(org_code, [])
    rows, table = [], []
    for i, pillar in enumerate(lk.pillars):
        if had_prev:
            row, table_row = _lfl_row(
                lk, i, pillar, mine.get(pillar["pillar_id"]), (prev, year, org["org_name"])
            )
        else:
            row = _row(i, pillar["pillar_name"], n=f"No {prev} return to compare with")
            table_row = (pillar["pillar_name"], "", "", "", "0", row["n"])
        rows.append(row)
        table.append(table_row)
    changes = [float(t[3]) for t in table if t[3]]
    up, down = sum(c > 0 for c in changes), sum(c < 0 for c in changes)
    summary = (
        f"Over comparable domains, between {prev} and {year}: {_plural(up, 'pillar')} rose, "
        f"{down} fell, {len(changes) - up - down} unchanged"
    )
    missing = len(table) - len(changes)
    summary += f"; {missing} not comparable." if missing else "."
    setting = lk.setting_name(care_setting).lower()
    series = (Series(str(prev), VERMILION, "square"), Series(str(year), NHS_BLUE, "circle"))
    return Chart(
        chart_id=chart_id("org", org_code, care_setting, year, "like-for-like"),
        kind="org_lfl",
        scope=("org", org_code, care_setting, year),
        title=f"Like-for-like change, {prev} to {year}: scores over comparable domains only",
        description=(
            f"Dot plot of {org['org_name']}'s {setting} pillar scores in {prev} and {year}, computed "
            "over the domains comparable in both years; pillars that cannot be compared show why."
        ),
        summary=summary,
        key=(
            f"Square: {prev}; circle: {year}; the line joins them. Both are computed over only the "
            "domains comparable in both years (not the full pillar scores in the tables above), so a "
            "change is not an artefact of changed questions. Where a pillar cannot be compared "
            "there is no line, and the row says why."
        ),
        spec=fill(
            "pair",
            {"rows": rows},
            f"Like-for-like pillar scores, {prev} to {year}.",
            series,
            "Score over comparable domains (1 to 5)",
        ),
        columns=(
            "Pillar",
            f"{prev}, comparable domains",
            f"{year}, comparable domains",
            "Change",
            "Comparable scores",
            "Note",
        ),
        rows=tuple(table),
        table_caption=f"{org['org_name']}, {setting}: pillar scores over comparable domains, {prev} and {year}",
    )


# ---------------------------------------------------------------------------------------------
# ICB system and region


@_timed("icb_system")
def icb_system(pub: Publication, icb_code: str, year: int) -> Chart:
    """An ICB's member trusts' pillar scores and their median, against the national spread.

    The ICB's own survey is a different questionnaire, not comparable with the trusts', so it is
    not drawn here: it has its own section on the ICB's page."""
    lk = lookup(pub)
    icb = _org(lk, icb_code)
    members = sorted(
        (lk.orgs[code]["org_name"], code, cs)
        for code, org in lk.orgs.items()
        if org["org_type"] == "trust" and org.get("icb_code") == icb_code
        for (y, cs) in lk.returns_by_org.get(code, [])
        if y == year
    )
    member_scores = [
        (
            name,
            code,
            cs,
            {r["pillar_id"]: r["score"] for r in lk.pillar_scores.get((year, code, cs), [])},
        )
        for name, code, cs in members
    ]
    settings = [cs for cs in lk.settings if any(m[2] == cs for m in members)]
    rows, points, pairs, table = [], [], [], []
    for cs in settings:
        # Like with like: each setting's trusts against that setting's national spread, and the
        # system's median in that setting as published (withheld where the group is too small).
        national = lk.peer_stats(year, cs, "pillar")
        system = lk.bench.get((year, "secondary_care", "icb_system", icb_code, cs, "pillar"), {})
        in_setting = [m for m in member_scores if m[2] == cs]
        medians = []
        for pillar in lk.pillars:
            pid = pillar["pillar_id"]
            stats = system.get(pid) or {}
            median = None if stats.get("is_suppressed") else stats.get("median")
            median = None if is_missing(median) else median
            medians.append(median)
            row = _row(
                len(rows),
                f"{pillar['pillar_name']} ({lk.setting_name(cs).lower()})",
                national.get(pid),
                t="" if median is None else f"system median {fmt(median)}",
            )
            points += [
                _point(row, "a", sc[pid], f"{name} ({lk.setting_name(cs).lower()})")
                for name, _, _, sc in in_setting
                if not is_missing(sc.get(pid))
            ]
            if median is not None:
                points.append(_point(row, "b", median, "System median"))
            if median is None and all(is_missing(sc.get(pid)) for *_, sc in in_setting):
                row["n"] = "No scores"
            rows.append(row)
            pairs.append((median, national.get(pid, {}).get("median")))
        table += [
            (
                f"System median, {lk.setting_name(cs).lower()}",
                "Member trust returns",
                *(fmt(m) for m in medians),
            ),
            (
                f"National median, {lk.setting_name(cs).lower()}",
                lk.peers_label(cs).capitalize(),
                *(fmt(national.get(p["pillar_id"], {}).get("median")) for p in lk.pillars),
            ),
        ]
    above, known = _at_or_above(pairs)
    table += [
        (name, lk.setting_name(cs), *(fmt(sc.get(p["pillar_id"])) for p in lk.pillars))
        for name, _, cs, sc in member_scores
    ]
    n_trusts = len({code for _, code, _ in members})
    return Chart(
        chart_id=chart_id("icb", icb_code, year, "system"),
        kind="icb_system",
        scope=("icb", icb_code, year),
        title=f"Member trusts' pillar scores against the national spread, by care setting, {year}",
        description=(
            f"Dot plot of the pillar scores of {icb['org_name']}'s member trusts for {year} and "
            "their median, each care setting against the spread and median of the trusts of that "
            "setting in England (pillars are built from different domains in each setting, so "
            "settings are not pooled). The ICB's own survey is not comparable with the trusts' "
            "and is not drawn."
        ),
        summary=(
            f"{_plural(len(members), 'return')} from {_plural(n_trusts, 'member trust')}; "
            + (
                f"their median is at or above the national median of their care setting in "
                f"{above} of {known} pillars."
                if known
                else "their median is withheld [c] under the publication policy (too few returns)."
                if members
                else "no scores to compare."
            )
        ),
        key=(
            "Circles: member trusts' returns (one per care setting); diamond: their median in "
            "that setting. "
            + SPREAD_KEY.format(peers="the trusts of that care setting in England")
            + " The ICB's own survey is a different questionnaire, so it is not on this axis."
        ),
        spec=fill(
            "named",
            {"rows": rows, "points": points},
            f"{icb['org_name']}: member trusts' pillar scores and their median, {year}.",
            (MEMBER, SYSTEM_MEDIAN),
            PILLAR_AXIS,
        ),
        columns=("Return", "Organisation or care setting", *(p["pillar_name"] for p in lk.pillars)),
        rows=tuple(table),
        table_caption=f"{icb['org_name']}, {year}: pillar scores of the member trusts and their median",
    )


def _region_rows(
    lk: Lookup, region_code: str, year: int
) -> tuple[list[Record], list[Record], list[tuple], list[tuple]]:
    """Per care setting: England's spread, the region's organisations and the region's median."""
    rows, points, table, pairs = [], [], [], []
    for cs, setting in lk.settings.items():
        scores = sorted(
            (lk.orgs[r["org_code"]]["org_name"], r["score"])
            for r in lk.overall.get((year, cs), [])
            if lk.orgs.get(r["org_code"], {}).get("region_code") == region_code
        )
        if not scores:
            continue
        england = lk.peer_stats(year, cs, "overall").get("overall", {})
        mine = lk.region_stats(year, region_code, cs, "overall").get("overall", {})
        row = _row(len(rows), setting["care_setting_name"], england)
        row["t"] = f"region {fmt(mine.get('median'))}, England {fmt(england.get('median'))}"
        points += [_point(row, "a", s, n) for n, s in scores if not is_missing(s)]
        if not is_missing(mine.get("median")):
            points.append(_point(row, "b", mine["median"], "Region median"))
        rows.append(row)
        pairs.append((mine.get("median"), england.get("median")))
        name = setting["care_setting_name"]
        for group, stats in (("England", england), ("Region", mine)):
            text = _spread(stats)[1]
            table.append((name, group, *(text[k] for k in ("median", "q1", "q3", "min", "max"))))
        table += [(name, n, fmt(s), "", "", "", "") for n, s in scores]
    return rows, points, table, pairs


@_timed("region")
def region_distribution(pub: Publication, region_code: str, year: int) -> Chart:
    """A region's trusts' and ICBs' overall scores, by care setting, against England's spread."""
    lk = lookup(pub)
    region = lk.regions[region_code]["region_name"]
    rows, points, table, pairs = _region_rows(lk, region_code, year)
    above, known = _at_or_above(pairs)
    n_orgs = sum(1 for p in points if p["s"] == "a")
    return Chart(
        chart_id=chart_id("region", region_code, year, "overall"),
        kind="region",
        scope=("region", region_code, year),
        title=f"Overall scores in {region} against England, by care setting, {year}",
        description=(
            f"Dot plot of the overall scores of every trust and ICB in {region} for {year}, one row "
            "per care setting, each against the spread and median of England."
        ),
        summary=(
            f"{_plural(n_orgs, 'return')} in {region}; the region's median is at or above England's "
            f"in {above} of {known} care settings."
        ),
        key=(
            "Circles: the region's organisations; diamond: the region's median. "
            + SPREAD_KEY.format(peers="organisations in England in that care setting")
        ),
        spec=fill(
            "named",
            {"rows": rows, "points": points},
            f"{region}: overall scores by care setting against England, {year}.",
            (REGION_ORG, REGION_MEDIAN),
            "Overall score (1 to 5)",
        ),
        columns=(
            "Care setting",
            "Organisation or group",
            "Score or median",
            "Lower quartile",
            "Upper quartile",
            "Lowest",
            "Highest",
        ),
        rows=tuple(table),
        table_caption=f"{region}, {year}: overall scores by care setting, with England's",
    )


# ---------------------------------------------------------------------------------------------
# Level counts: national (pillars) and domain pages (care settings and years)


def _grid_cells(label: str, stats: Record) -> tuple[Records, tuple]:
    """One row of a level grid, and its table row."""
    total = stats.get("n_orgs")
    cells, counts = [], []
    for level in range(1, 6):
        n = stats.get(f"n_level_{level}")
        share = None if is_missing(n) or not total else n / total
        text = fmt_count(n)
        cells.append(
            {
                "row": label,
                "level": level,
                "n": None if is_missing(n) else int(n),
                "share": share,
                "text": text,
                "is_dark": bool(share is not None and share >= 0.45),
            }
        )
        counts.append(text)
    return cells, (label, *counts, fmt_count(total))


@_timed("national_levels")
def national_level_counts(pub: Publication, year: int, care_setting: str) -> Chart:
    """For each pillar, how many organisations of a care setting sit at each level."""
    lk = lookup(pub)
    peers = lk.peer_stats(year, care_setting, "pillar")
    peer_words = lk.peers_label(care_setting)
    cells, table = [], []
    for pillar in lk.pillars:
        row_cells, table_row = _grid_cells(
            pillar["pillar_name"], peers.get(pillar["pillar_id"], {})
        )
        cells += row_cells
        table.append(table_row)
    known = [c for c in cells if c["n"] is not None]
    high = sum(c["n"] for c in known if c["level"] >= 3)
    total = sum(c["n"] for c in known)
    n_orgs = max(
        (int(s["n_orgs"]) for s in peers.values() if not is_missing(s.get("n_orgs"))), default=0
    )
    share = f"{round(100 * high / total)}%" if total else "none"
    return Chart(
        chart_id=chart_id("national", year, care_setting, "levels"),
        kind="national_levels",
        scope=("national", year),
        title=f"Pillar levels of {peer_words}, {year}",
        description=(
            f"Grid of the seven pillars by levels 1 to 5, each cell the number of {peer_words} "
            f"whose pillar score rounds to that level in {year}."
        ),
        summary=f"{n_orgs} {peer_words}; {share} of their pillar scores are at level 3 or above.",
        key="Each cell gives the number of organisations; darker cells hold a larger share of the row.",
        spec=fill("grid", {"cells": cells}, f"Pillar levels of {peer_words}, {year}."),
        columns=("Pillar", "Level 1", "Level 2", "Level 3", "Level 4", "Level 5", "Organisations"),
        rows=tuple(table),
        table_caption=f"Number of {peer_words} at each pillar level, {year} (pillar score rounded to a whole level)",
    )


@_timed("domain_levels")
def domain_distribution(pub: Publication, score_id: str) -> Chart:
    """A domain score's levels across organisations, by care setting and year."""
    lk = lookup(pub)
    defs = [
        (y, d) for y in sorted(lk.score_defs) for d in lk.score_defs[y] if d["score_id"] == score_id
    ]
    if not defs:
        raise KeyError(f"unknown score {score_id!r}")
    name = defs[-1][1]["score_name"]
    cells, table, latest = [], [], []
    for y, _ in defs:
        for cs, setting in lk.settings.items():
            stats = lk.peer_stats(y, cs, "domain").get(score_id)
            if stats is None:
                continue
            row_cells, table_row = _grid_cells(f"{setting['care_setting_name']}, {y}", stats)
            cells += row_cells
            table.append(table_row)
            if y == defs[-1][0]:
                latest.append((lk.peers_label(cs), row_cells, table_row[-1]))
    parts = []
    for words, row_cells, total in latest:
        top = max(
            (c for c in row_cells if c["n"] is not None),
            key=lambda c: (c["n"], -c["level"]),
            default=None,
        )
        if top is not None:
            parts.append(f"level {top['level']} for {words} ({top['n']} of {total})")
    summary = (
        f"In {defs[-1][0]}, the most common level is " + "; ".join(parts) + "."
        if parts
        else "No published levels."
    )
    return Chart(
        chart_id=chart_id("domain", score_id, "levels"),
        kind="domain_levels",
        scope=("domain", score_id),
        title=f"{name}: levels by care setting and year",
        description=(
            f"Grid of care settings and years by levels 1 to 5 for {name}, each cell the number of "
            "organisations at that level."
        ),
        summary=summary,
        key="Each cell gives the number of organisations; darker cells hold a larger share of the row.",
        spec=fill("grid", {"cells": cells}, f"{name}: levels by care setting and year."),
        columns=(
            "Care setting and year",
            "Level 1",
            "Level 2",
            "Level 3",
            "Level 4",
            "Level 5",
            "Organisations",
        ),
        rows=tuple(table),
        table_caption=f"{name}: number of organisations at each level, by care setting and year",
    )


# ---------------------------------------------------------------------------------------------
# Overall score distribution

BIN_WIDTH = 0.25


def _band_label(start: float, end: float, last: bool) -> str:
    """'2.25 to under 2.50'; the last band includes 5."""
    return f"{start:.2f} to {end:.2f}" if last else f"{start:.2f} to under {end:.2f}"


@_timed("national_overall")
def national_overall_distribution(pub: Publication, year: int, care_setting: str) -> Chart:
    """How many organisations of a care setting have overall scores in each quarter-point band."""
    lk = lookup(pub)
    values = [
        num(r["score"])
        for r in lk.overall.get((year, care_setting), [])
        if not is_missing(r["score"])
    ]
    n_bins = int(4 / BIN_WIDTH)
    counts = [0] * n_bins
    for v in values:
        counts[min(int((v - 1) / BIN_WIDTH), n_bins - 1)] += 1
    bins = []
    for i, n in enumerate(counts):
        start = 1 + i * BIN_WIDTH
        bins.append(
            {
                "start": start,
                "end": start + BIN_WIDTH,
                "mid": start + BIN_WIDTH / 2,
                "n": n,
                "text": str(n) if n else "",
            }
        )
    median = lk.peer_stats(year, care_setting, "overall").get("overall", {}).get("median")
    marker = [] if is_missing(median) else [{"value": num(median), "text": f"Median {fmt(median)}"}]
    peer_words = lk.peers_label(care_setting)
    spread = (
        f"from {fmt(min(values))} to {fmt(max(values))}, median {fmt(median)}"
        if values
        else "none published"
    )
    table = [
        (_band_label(b["start"], b["end"], last=i == n_bins - 1), str(b["n"]))
        for i, b in enumerate(bins)
    ]
    return Chart(
        chart_id=chart_id("national", year, care_setting, "overall"),
        kind="national_overall",
        scope=("national", year),
        title=f"Overall scores of {peer_words}, {year}",
        description=(
            f"Histogram of the overall scores of {len(values)} {peer_words} in {year}, in bands a "
            "quarter of a point wide, with the median marked."
        ),
        summary=f"{len(values)} {peer_words}; overall scores {spread}.",
        key="Each bar gives the number of organisations whose overall score falls in that band; the dashed line is the median.",
        spec=fill(
            "histogram",
            {"bins": bins, "marker": marker},
            f"Overall scores of {peer_words}, {year}.",
        ),
        columns=("Overall score", "Organisations"),
        rows=tuple(table),
        table_caption=f"Number of {peer_words} by overall score, {year}",
    )


# ---------------------------------------------------------------------------------------------
# Everything


def _org_charts(pub: Publication, lk: Lookup, out: ChartSet) -> None:
    """Profile charts for every return, and like-for-like charts where there is a previous year."""
    comparable_years = {y: previous_year(pub, y) for y in pub.years}
    for org_code in sorted(lk.returns_by_org):
        for year, cs in sorted(lk.returns_by_org[org_code]):
            out.add(org_pillar_profile(pub, org_code, cs, year))
            out.add(org_domain_profile(pub, org_code, cs, year))
            if comparable_years.get(year) is not None:
                out.add(org_like_for_like(pub, org_code, cs, year))


def build_all(pub: Publication) -> ChartSet:
    """Every chart of the publication, in a stable order; timed whole in STATS."""
    start = time.perf_counter()
    lk = lookup(pub)
    out = ChartSet()
    for year in pub.years:
        for cs in lk.settings:
            if lk.overall.get((year, cs)):
                out.add(national_level_counts(pub, year, cs))
                out.add(national_overall_distribution(pub, year, cs))
        for region_code in sorted(lk.regions):
            out.add(region_distribution(pub, region_code, year))
        for code in sorted(c for c, o in lk.orgs.items() if o["org_type"] == "icb"):
            out.add(icb_system(pub, code, year))
    _org_charts(pub, lk, out)
    score_ids = sorted({d["score_id"] for defs in lk.score_defs.values() for d in defs})
    for score_id in score_ids:
        out.add(domain_distribution(pub, score_id))
    STATS.build_seconds += time.perf_counter() - start
    STATS.n_built += len(out)
    return out
