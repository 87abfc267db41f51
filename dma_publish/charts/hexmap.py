"""A hex map of England's ICBs: one hexagon each (`dma_publish.hexmap`), shaded by its overall
score in the ICBs' own survey, drawn statically like every chart, with its table beside it.

Positions are worked out here in pixels (pointy-top hexagons, "odd-r": odd rows half a hexagon
to the right; rows run south to north, so the top of the image is the north) and drawn with
identity scales. The key under the map is drawn in the same layers: the score ramp in score units
(1 to 5) with England's median marked. A withheld score is never in the spec: its hexagon is
white with a dashed edge, and the table says `[c]`. A second layer (`system_hexmap`) maps a care
setting's trusts' median by ICB system, from the published benchmarks, where the peer groups
allow it (`system_layer_allowed`).
"""

from __future__ import annotations

import json
import math
import time
from functools import cache
from typing import Any

import altair as alt

from dma_publish.charts.builders import Chart, ChartSet, _plural, _timed, chart_id
from dma_publish.charts.builders import build_all as build_charts
from dma_publish.charts.data import Lookup, Record, fmt, is_missing, lookup, num
from dma_publish.charts.style import MID_GREY, NHS_DARK_BLUE, STATS, TEXT, Records, finish
from dma_publish.formats import MISSING, fmt_count
from dma_publish.publication import Publication
from dma_publish.reference import ICB_CARE_SETTING

WIDTH = 440  # render.STATIC_WIDTH: the image's width in CSS pixels
HEX_PATH = "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z"  # circumradius 1
LOW, HIGH = "#DCE9F5", NHS_DARK_BLUE  # score 1 and 5: lightness falls all the way (greyscale)
RAMP_X = (40, 400)  # where the key's ramp runs, lowest to highest score of the domain
RAMP_STEPS = 40


def _rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


# black, not the text colour: on any shade white or black text reads at 4.58:1 or more (the
# site's dark grey leaves mid-blues under 4.5:1 either way)
LABEL_DARK = "#000000"


def _luminance(rgb: tuple[float, ...]) -> float:
    """WCAG relative luminance."""
    lin = [(c / 255) / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def shade(value: float, domain: tuple[float, float]) -> tuple[str, bool]:
    """The fill of a score (RGB between LOW and HIGH over the domain) and whether white text
    reads better on it than dark text."""
    lo, hi = domain
    t = (min(max(value, lo), hi) - lo) / (hi - lo)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(_rgb(LOW), _rgb(HIGH), strict=True))
    lum = _luminance(rgb)
    white = 1.05 / (lum + 0.05) > (lum + 0.05) / (_luminance(_rgb(LABEL_DARK)) + 0.05)
    return "#" + "".join(f"{c:02X}" for c in rgb), white


def colour_domain(lk: Lookup, care_setting: str = ICB_CARE_SETTING) -> tuple[float, float]:
    """The scores the shades run between, the same for every map and year of a publication (and
    layer): the published values' range, widened to half points (at least one point). The ICBs'
    own overall scores; for another care setting, its trusts' medians by ICB system."""
    if ("hexmap_domain", care_setting) not in lk.memo:
        if care_setting == ICB_CARE_SETTING:
            found = [
                r["score"]
                for (_, cs), recs in lk.overall.items()
                if cs == care_setting
                for r in recs
            ]
        else:
            found = [
                stats.get("overall", {}).get("median")
                for (_, _, kind, _, cs, measure), stats in lk.bench.items()
                if kind == "icb_system" and cs == care_setting and measure == "overall"
            ]
        values = [num(v) for v in found if not is_missing(v)]
        lo = max(math.floor(2 * min(values, default=1)) / 2, 1.0)
        hi = min(max(math.ceil(2 * max(values, default=5)) / 2, lo + 1), 5.0)
        lk.memo[("hexmap_domain", care_setting)] = (lo, hi)
    return lk.memo[("hexmap_domain", care_setting)]


def _xy(name: str) -> dict[str, alt.X | alt.Y]:
    return {"x": alt.X(f"{name}x:Q", scale=None, axis=None), "y": alt.Y(f"{name}y:Q", scale=None)}


def _hexes(name: str, **mark: Any) -> alt.Chart:
    chart = alt.Chart(alt.Data(name=name)).mark_point(shape=HEX_PATH, opacity=1, **mark)
    return chart.encode(**_xy(""), size=alt.Size("s:Q", scale=None, legend=None))


def hexmap_chart() -> alt.LayerChart:
    """The map's layers: scored hexagons, blank (withheld) ones, the highlight's outlines, the
    labels, then the key: the ramp, its numbers and words, and England's median."""
    colour = alt.Color("f:N", scale=None, legend=None)  # worked out here: `shade`
    scored = _hexes("hexes", filled=True, stroke="white", strokeWidth=1.5).encode(
        color=colour,
        opacity=alt.condition("datum.m", alt.value(0.3), alt.value(1)),
        tooltip=[alt.Tooltip("n:N", title="ICB"), alt.Tooltip("t:N", title="Overall score")],
    )
    blank = _hexes(
        "blank", filled=True, fill="white", stroke=MID_GREY, strokeWidth=1.5, strokeDash=[4, 3]
    ).encode(tooltip=[alt.Tooltip("n:N", title="ICB"), alt.Tooltip("t:N", title="Overall score")])
    outline = _hexes("outline", filled=False, stroke=TEXT, strokeWidth=2.5)
    labels = (
        alt.Chart(alt.Data(name="labels"))
        .mark_text(fontSize=14, fontWeight="bold")
        .encode(
            **_xy(""),
            text="c:N",
            color=alt.condition("datum.w", alt.value("white"), alt.value(LABEL_DARK)),
        )
    )
    ramp = (
        alt.Chart(alt.Data(name="ramp"))
        .mark_rect()
        .encode(**_xy(""), x2="x2:Q", y2="y2:Q", color=colour)
    )
    words = [
        alt.Chart(alt.Data(name="words"))
        .transform_filter(f"datum.a == '{side}'")
        .mark_text(fontSize=12, baseline="middle", align=side)
        .encode(**_xy(""), text="t:N")
        for side in ("left", "center", "right")
    ]
    median = (
        alt.Chart(alt.Data(name="median"))
        .mark_rule(color=TEXT, strokeWidth=2)
        .encode(**_xy(""), y2="y2:Q")
    )
    return alt.layer(scored, blank, outline, labels, ramp, median, *words).properties(
        width=WIDTH, height=100, autosize={"type": "pad"}
    )


@cache
def _template_json() -> str:
    STATS.n_templates += 1
    return json.dumps(finish(hexmap_chart().to_dict(validate=True)))


def _layout(layout: Records) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Each ICB's centre in pixels, the hexagon's circumradius and the map's height."""
    qs, rs = [h["q"] for h in layout], [h["r"] for h in layout]
    step = WIDTH / (max(qs) - min(qs) + 1.5)  # a hexagon's width, flat side to flat side
    radius = step / math.sqrt(3)
    centres = {}
    for h in layout:
        x = (h["q"] - min(qs) + 0.5 + (0.5 if h["r"] % 2 else 0)) * step
        y = (max(rs) - h["r"]) * 1.5 * radius + radius
        centres[h["org_code"]] = (round(x, 1), round(y, 1))
    height = (max(rs) - min(rs)) * 1.5 * radius + 2 * radius
    return centres, radius, height


def _key(top: float, median: Any, domain: tuple, words: str, label: str) -> dict[str, Records]:
    """The key's data: the ramp over the domain and its numbers, the words, England's median."""
    (x0, x1), (lo, hi) = RAMP_X, domain
    at = lambda v: round(x0 + (x1 - x0) * (v - lo) / (hi - lo), 1)  # noqa: E731
    bar, step = top + 22, (hi - lo) / RAMP_STEPS
    ramp = []
    for i in range(RAMP_STEPS):
        a, b = lo + i * step, lo + (i + 1) * step
        ramp.append(
            {"x": at(a), "x2": at(b) + 0.5, "y": bar, "y2": bar + 12, "f": shade(a, domain)[0]}
        )
    tick = 0.5 if hi - lo <= 2.5 else 1.0
    texts = [
        {"x": at(lo + i * tick), "y": bar + 24, "t": f"{lo + i * tick:.1f}", "a": "center"}
        for i in range(round((hi - lo) / tick) + 1)
    ]
    texts = [*texts, {"x": x0, "y": bar + 42, "t": words, "a": "left"}]
    marks = []
    if not is_missing(median):
        x = at(num(median))
        marks.append({"x": x, "y": bar - 6, "y2": bar + 16})
        side = "right" if x > (x0 + x1) / 2 else "left"
        texts.append({"x": x, "y": bar - 13, "t": f"{label} {fmt(median)}", "a": side})
    return {"ramp": ramp, "words": texts, "median": marks}


def _rows(lk: Lookup, year: int, region_code: str | None) -> list[tuple[str, str, str, Any]]:
    """(region name, ICB name, code, its overall score record or None), the region's first."""
    scores = {r["org_code"]: r for r in lk.overall.get((year, ICB_CARE_SETTING), [])}
    rows = []
    for code, org in lk.orgs.items():
        if org["org_type"] != "icb":
            continue
        region = lk.regions[org["region_code"]]["region_name"]
        rows.append((region, org["org_name"], code, scores.get(code)))
    first = lambda r: lk.orgs[r[2]]["region_code"] != region_code  # noqa: E731
    return sorted(rows, key=lambda r: (first(r), r[0], r[1], r[2]))


def _summary(
    head: str, values: list, median: Any, median_words: str, what: str = "overall scores"
) -> str:
    """'42 ICBs; overall scores from 2.31 to 3.74, England's median 2.83; 1 without a published
    score.' (values: a number per ICB, None for one without)."""
    known = [v for v in values if v is not None]
    spread = f"from {fmt(min(known))} to {fmt(max(known))}" if known else "none published"
    words = f"{head}: {what} {spread}, {median_words} {fmt(median)}"
    n_blank = len(values) - len(known)
    return words + (f"; {n_blank} without a published score." if n_blank else ".")


Item = tuple[str, str, float | None, str, bool]  # code, name, value (None: blank), text, mine


def _draw(
    pub: Publication,
    items: list[Item],
    domain: tuple,
    median: Any,
    key_words: str,
    median_label: str = "England median",
) -> dict:
    """The map's datasets: a hexagon per item, shaded by its value or blank, outlined when the
    map has a region (items not `mine` are faded), labelled with its code; and the key."""
    centres, radius, height = _layout(pub.reference.hexmap.to_dict("records"))
    size = round((2 * radius) ** 2, 1)
    data: dict[str, Records] = {"hexes": [], "blank": [], "outline": [], "labels": []}
    outlined = not all(mine for *_, mine in items)
    for code, name, value, text, mine in items:
        (x, y), white = centres[code], False
        datum = {"x": x, "y": y, "s": size, "n": name, "t": text, "m": 0 if mine else 1}
        if value is None:
            data["blank"].append(datum)
        else:
            fill, white = shade(value, domain)
            data["hexes"].append({**datum, "v": value, "f": fill})
        if outlined and mine:
            data["outline"].append({"x": x, "y": y, "s": size})
        data["labels"].append({"x": x, "y": y, "c": code, "w": 1 if white and mine else 0})
    data.update(_key(height + 8, median, domain, key_words, median_label))
    return {**json.loads(_template_json()), "datasets": data, "height": round(height + 80)}


@_timed("icb_hexmap")
def icb_hexmap(pub: Publication, year: int, region_code: str | None = None) -> Chart:
    """Every ICB's overall score (its own survey) on the hex map; with `region_code`, the
    region's ICBs outlined and the rest faded."""
    lk = lookup(pub)
    items: list[Item] = []
    table: list[tuple[str, ...]] = []
    for region, name, code, rec in _rows(lk, year, region_code):
        mine = region_code is None or lk.orgs[code]["region_code"] == region_code
        score = None if rec is None else rec["score"]
        text = MISSING if rec is None else fmt(score)
        items.append((code, name, None if is_missing(score) else num(score), text, mine))
        table.append((name, code, region, text))
    median = lk.peer_stats(year, ICB_CARE_SETTING, "overall").get("overall", {}).get("median")
    spec = _draw(pub, items, colour_domain(lk), median, "Overall score: darker is higher")
    values = [v for _, _, v, _, _ in items]
    summary = _summary(_plural(len(values), "ICB"), values, median, "England's median")
    words = "England's integrated care boards"
    key = (
        "Each hexagon is one ICB, labelled with its code and placed near its neighbours (all the "
        "same size, whatever the area), shaded by its overall score: darker is higher. "
        "White with a dashed edge: no published score."
    )
    scope: tuple = ("national", year)
    title = f"Overall scores of {words} on a map, {year}"
    if region_code is not None:
        region = lk.regions[region_code]["region_name"]
        stats = lk.region_stats(year, region_code, ICB_CARE_SETTING, "overall").get("overall", {})
        ours = [v for _, _, v, _, mine in items if mine]
        head = f"{_plural(len(ours), 'ICB')} in {region} (outlined)"
        summary = _summary(head, ours, stats.get("median"), "the region's median")
        summary += f" England's median {fmt(median)}."
        key += f" ICBs in {region} are outlined in black; the rest of England is faded."
        scope, title = (
            ("region", region_code, year),
            f"ICBs in {region} on a map of England, {year}",
        )
    return Chart(
        chart_id=chart_id(*scope, "icb", "map"),
        kind="icb_hexmap",
        scope=scope,
        title=title,
        description=(
            f"Hex map of {words}, one equal hexagon per ICB placed near its neighbours, each "
            f"shaded by the ICB's overall score in its own survey for {year}."
            + (" The region's ICBs are outlined." if region_code else "")
        ),
        summary=summary,
        key=key,
        spec={**spec, "description": f"{title}."},
        columns=("ICB", "Code", "Region", f"Overall score, {year}"),
        rows=tuple(table),
        table_caption=f"Overall scores of {words} (ICB survey), {year}, as on the map",
        row_keys=tuple(r[1] for r in table),
    )


def _systems(lk: Lookup, year: int, care_setting: str) -> dict[str, Record]:
    """Each ICB system's published benchmark of its trusts' overall scores in a care setting."""
    out = {}
    for code, org in lk.orgs.items():
        key = (year, "secondary_care", "icb_system", code, care_setting, "overall")
        if org["org_type"] == "icb" and lk.bench.get(key, {}).get("overall"):
            out[code] = lk.bench[key]["overall"]
    return out


def system_layer_allowed(lk: Lookup, year: int, care_setting: str) -> bool:
    """Whether the peer groups allow a map of a care setting's medians by ICB system: at least
    half of all the ICB systems have a published median (not withheld under the publication
    policy for too few trusts; ambulance trusts, one to a region or two, never qualify)."""
    n_icbs = sum(1 for org in lk.orgs.values() if org["org_type"] == "icb")
    systems = _systems(lk, year, care_setting)
    shown = sum(1 for s in systems.values() if not is_missing(s.get("median")))
    return 2 * shown >= n_icbs > 0


@_timed("system_hexmap")
def system_hexmap(pub: Publication, year: int, care_setting: str) -> Chart:
    """The median overall score of a care setting's trusts in each ICB system (a published
    benchmark), on the hex map: a system without a published median is blank."""
    lk = lookup(pub)
    systems, trusts = _systems(lk, year, care_setting), lk.peers_label(care_setting)
    items: list[Item] = []
    table: list[tuple[str, ...]] = []
    for region, name, code, _ in _rows(lk, year, None):
        stats = systems.get(code)
        median = None if stats is None else stats.get("median")
        text = MISSING if stats is None else fmt(median)
        items.append((code, name, None if is_missing(median) else num(median), text, True))
        count = "0" if stats is None else fmt_count(stats.get("n_orgs"))
        table.append((name, code, region, text, count))
    england = lk.peer_stats(year, care_setting, "overall").get("overall", {}).get("median")
    spec = _draw(
        pub,
        items,
        colour_domain(lk, care_setting),
        england,
        "Median of the system's trusts: darker is higher",
        f"England's {trusts}",
    )
    values = [v for code, _, v, _, _ in items if code in systems]
    head = f"{_plural(len(values), 'ICB system')} with {trusts}"
    title = f"Median overall score of {trusts} by ICB system, {year}"
    return Chart(
        chart_id=chart_id("national", year, care_setting, "system", "map"),
        kind="system_hexmap",
        scope=("national", year),
        title=title,
        description=(
            f"Hex map of England's ICB systems, one equal hexagon each placed near its "
            f"neighbours, shaded by the median overall score of the system's {trusts} in {year}."
        ),
        summary=_summary(head, values, england, f"England's {trusts}' median", "medians"),
        key=(
            f"Each hexagon is one ICB system, labelled with its ICB's code, shaded by the median "
            f"overall score of its {trusts}: darker is higher. White with a dashed edge: no "
            "published median (withheld [c]: too few trusts; or none [x])."
        ),
        spec={**spec, "description": f"{title}."},
        columns=("ICB system", "Code", "Region", f"Median, {year}", "Trusts"),
        rows=tuple(table),
        table_caption=f"Median overall score of {trusts} in each ICB system, {year}, as on the map",
        row_keys=tuple(r[1] for r in table),
    )


def has_map(pub: Publication) -> bool:
    """Whether this publication has a hex map layout (the demo at scales above 1 has none)."""
    return pub.reference.hexmap is not None


def build_all(pub: Publication) -> ChartSet:
    """Every chart of the publication (`builders.build_all`), then the ICB maps: the national
    page's, each year, and each region page's."""
    out = build_charts(pub)
    lk, start, n_maps = lookup(pub), time.perf_counter(), len(out)
    if not has_map(pub) or ICB_CARE_SETTING not in lk.settings:
        return out
    for year in pub.years:
        if not lk.overall.get((year, ICB_CARE_SETTING)):
            continue
        out.add(icb_hexmap(pub, year))
        for cs, setting in lk.settings.items():
            if setting["survey"] == "secondary_care" and system_layer_allowed(lk, year, cs):
                out.add(system_hexmap(pub, year, cs))
        for region_code in sorted(lk.regions):
            out.add(icb_hexmap(pub, year, region_code))
    STATS.build_seconds += time.perf_counter() - start
    STATS.n_built += len(out) - n_maps
    return out
