"""House style and chart templates: each chart type is built once with Altair, then refilled.

Building a chart through Altair (and validating it) costs about 10 ms; copying a finished spec
and putting new data values in costs a few hundredths of that. So every chart type is built
once, with empty named datasets, into a template; a chart is the template plus its data.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import altair as alt

THEME = "dma"
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
TEXT = "#212B32"
DARK_GREY = "#425563"
MID_GREY = "#768692"
PALE_GREY = "#E8EDEE"
# Okabe-Ito vermilion: colour-blind safe against NHS blue, 3.9:1 against white.
VERMILION = "#D55E00"
FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Arial, sans-serif"
# A standalone image's text is laid out when it is drawn (vl-convert measures it with the Liberation
# Sans it carries) and shown later wherever the file is opened: name fonts of the same widths
# first (Liberation Sans, Arial and Helvetica share their metrics), so no label runs past its room.
STATIC_FONT = "'Liberation Sans', Arial, Helvetica, sans-serif"
SCORE_DOMAIN = [1, 5]
LEVELS = [1, 2, 3, 4, 5]
GRID_STEP = 34  # pixels per row in the level grids
ROW_STEP = 46  # pixels per row in the row charts: a label line, then the marks line

Records = list[dict[str, Any]]


# Config shared by the Altair theme and the hand-written row charts.
_BASE_CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "gridColor": PALE_GREY,
        "domainColor": MID_GREY,
        "tickColor": MID_GREY,
    },
    "text": {"color": TEXT, "fontSize": 12},
}


@alt.theme.register(THEME, enable=True)
def dma_theme() -> alt.theme.ThemeConfig:
    """The house theme: system fonts, NHS colours, full-width charts that reflow on a phone."""
    return {
        "autosize": {"type": "fit-x", "contains": "padding"},
        "width": "container",
        "background": "white",
        "config": {
            **_BASE_CONFIG,
            "legend": {
                "labelColor": TEXT,
                "titleColor": TEXT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "top",
                "direction": "horizontal",
                "labelLimit": 300,
                "titleLimit": 400,
            },
            "title": {"color": TEXT, "subtitleColor": DARK_GREY, "anchor": "start"},
            "range": {"category": [NHS_BLUE, VERMILION, "#009E73", "#CC79A7", "#0072B2"]},
        },
    }


@dataclass(frozen=True)
class Series:
    """A kind of point in a row chart: its legend name, colour and shape."""

    name: str
    colour: str
    shape: str


@dataclass
class ChartStats:
    """How many charts were generated and how long it took, to check the 1 ms budget.

    `seconds` is the time inside the builders (including any template or index of the
    publication a builder had to make first); `build_seconds` is the wall time of whole
    `build_all` runs, everything included, which is what `ms_per_chart` reports once there is one.
    """

    n_charts: int = 0
    seconds: float = 0.0
    n_templates: int = 0
    template_seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    n_built: int = 0  # charts made by build_all
    build_seconds: float = 0.0
    n_images_drawn: int = 0  # static images drawn by vl-convert (render.draw_images)
    n_images_cached: int = 0  # static images read from the cache instead

    @property
    def ms_per_chart(self) -> float:
        """Mean milliseconds per chart: over whole build_all runs (the publication's index,
        templates and every builder included), else over the builders' own time."""
        if self.n_built:
            return 1000 * self.build_seconds / self.n_built
        if not self.n_charts:
            return 0.0
        return 1000 * self.seconds / self.n_charts

    def reset(self) -> None:
        """Start counting again (the templates stay built)."""
        self.n_charts, self.seconds, self.by_kind = 0, 0.0, {}
        self.n_built, self.build_seconds = 0, 0.0
        self.n_images_drawn, self.n_images_cached = 0, 0

    def format(self) -> str:
        """One line for the build log."""
        n, secs = (
            (self.n_built, self.build_seconds) if self.n_built else (self.n_charts, self.seconds)
        )
        return (
            f"{n} charts in {1000 * secs:.0f} ms ({self.ms_per_chart:.3f} ms per chart, "
            f"{self.n_templates} templates built in {1000 * self.template_seconds:.0f} ms)"
        )


STATS = ChartStats()


# ---------------------------------------------------------------------------------------------
# Row charts: one band per row (a pillar, a domain, a care setting), with the row's name on a
# line of its own above its marks, so long names never squeeze the plot on a narrow screen.
#
# They are written as Vega-Lite JSON directly (not through Altair), as small as they can be: every
# chart of an organisation page carries its own spec, so each byte is paid once per chart. The
# shared y encoding sits at the top level, data fields have one-letter names and a record holds
# only the fields it has (a missing field is a missing value: no mark). Dataset "rows":
#   i  row number (from 1; the y position)     l  label           h  1 on a heading row
#   n  note (why there is no mark)             t  value text (named-points charts only)
#   a, q, m, r, b  the peers' lowest, lower quartile, median, upper quartile and highest
#   v  the organisation's value; p  its previous value (like-for-like)
# Dataset "points" (named-points charts only): i, s (series: "a" or "b"), v, o (its name).

ROW_KINDS = ("profile", "domains", "pair", "named")
_Y = {
    "field": "i",
    "type": "ordinal",
    "axis": None,
    "scale": {"paddingInner": 0, "paddingOuter": 0},
}
_MARKS_BAND = 0.72
_LEGEND_CONFIG = {
    "labelColor": TEXT,
    "labelFontSize": 12,
    "orient": "top",
    "direction": "horizontal",
    "labelLimit": 300,
}
# Text at the right of a row's label line, worked out in the chart from the row's numbers.
_F2 = "format(datum.{0},'.2f')"
_VALUE_TEXT = {
    "profile": (
        f"isValid(datum.v)?{_F2.format('v')}+' (median '+"
        f"(isValid(datum.m)?{_F2.format('m')}:'[c]')+')':''"
    ),
    "domains": (
        "datum.h?'':(isValid(datum.v)?datum.v:'[c]')+' (median '+"
        f"(isValid(datum.m)?{_F2.format('m')}:'[c]')+')'"
    ),
    "pair": f"isValid(datum.p)&&isValid(datum.v)?{_F2.format('p')}+' to '+{_F2.format('v')}:''",
}
_ROW_LABEL = {"profile": "Pillar", "domains": "Domain", "pair": "Pillar"}


def _quantity(name: str) -> dict[str, Any]:
    return {"field": name, "type": "quantitative"}


def _text_layers(kind: str) -> list[dict[str, Any]]:
    """The label line (name, and the value as text) and the note on the marks line."""
    y0 = {**_Y, "bandPosition": 0}
    label: dict[str, Any] = {
        "type": "text",
        "align": "left",
        "baseline": "top",
        "dy": 4,
        "limit": {"expr": "max(width - 130, 120)"},
    }
    if kind == "domains":
        label["fontWeight"] = {"expr": "datum.h?'bold':'normal'"}
    value: dict[str, Any] = {
        "mark": {"type": "text", "align": "right", "baseline": "top", "dy": 4},
        "encoding": {"x": {"datum": SCORE_DOMAIN[1]}, "y": y0, "text": {"field": "t"}},
    }
    # a text mark writes "undefined" for a missing field: rows without one are left out
    value["transform"] = (
        [{"calculate": _VALUE_TEXT[kind], "as": "t"}]
        if kind in _VALUE_TEXT
        else [{"filter": "datum.t"}]
    )
    return [
        {
            "mark": label,
            "encoding": {"x": {"datum": SCORE_DOMAIN[0]}, "y": y0, "text": {"field": "l"}},
        },
        value,
        {
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "middle",
                "fontStyle": "italic",
                "color": DARK_GREY,
            },
            "encoding": {"x": {"datum": SCORE_DOMAIN[0]}, "text": {"field": "n"}},
            "transform": [{"filter": "datum.n"}],
        },
    ]


def _spread_layers(kind: str) -> list[dict[str, Any]]:
    """The peers' spread: range line, middle-half bar and median tick (domains: the median only);
    for like-for-like, the line joining the two years instead."""
    if kind == "pair":
        return [
            {
                "mark": {"type": "rule", "color": DARK_GREY, "strokeWidth": 1.5},
                "encoding": {"x": _quantity("p"), "x2": {"field": "v"}},
            }
        ]
    median = {
        "mark": {
            "type": "tick",
            "color": TEXT,
            "thickness": 2.5,
            "size": 20,
            "orient": "vertical",
            # a tick is centred in its row's band whatever its bandPosition: moved down onto
            # the marks line, where the bar and the organisation's dot are
            "yOffset": round((_MARKS_BAND - 0.5) * ROW_STEP),
        },
        "encoding": {"x": _quantity("m")},
    }
    if kind == "domains":
        return [median]
    return [
        {
            "mark": {"type": "rule", "color": DARK_GREY, "strokeWidth": 1.5},
            "encoding": {"x": _quantity("a"), "x2": {"field": "b"}},
        },
        {
            "mark": {"type": "rule", "color": MID_GREY, "strokeWidth": 9, "strokeCap": "butt"},
            "encoding": {"x": _quantity("q"), "x2": {"field": "r"}},
        },
        median,
    ]


def _points_layer(kind: str, series: tuple[Series, ...], x_title: str) -> dict[str, Any]:
    """The organisation's points (or, for named points, everyone's), which carry the x axis."""
    field_name = "x" if kind == "pair" else "v"
    encoding: dict[str, Any] = {
        "x": {
            **_quantity(field_name),
            "title": x_title,
            "scale": {"domain": SCORE_DOMAIN, "nice": False, "zero": False},
            "axis": {"values": LEVELS, "format": "d", "orient": "bottom", "grid": True},
        }
    }
    layer: dict[str, Any] = {
        "mark": {
            "type": "point",
            "filled": True,
            "size": 110,
            "opacity": 1,
            "stroke": "white",
            "strokeWidth": 1,
        },
        "encoding": encoding,
    }
    if len(series) > 1:
        names = [s.name for s in series]
        keys = ["a", "b"] if kind == "named" else names
        legend: dict[str, Any] = {"title": None}
        if kind == "named":
            legend["labelExpr"] = f"datum.label=='a'?{json.dumps(names[0])}:{json.dumps(names[1])}"
        for channel, values in (
            ("color", [s.colour for s in series]),
            ("shape", [s.shape for s in series]),
        ):
            encoding[channel] = {
                "field": "s",
                "type": "nominal",
                "scale": {"domain": keys, "range": values},
                "legend": legend,
            }
    else:
        encoding["color"] = {"value": series[0].colour}
        encoding["shape"] = {"value": series[0].shape}
    if kind == "named":
        layer["data"] = {"name": "points"}
        encoding["tooltip"] = [
            {"field": "o", "title": "Organisation"},
            {"field": "v", "type": "quantitative", "title": "Score", "format": ".2f"},
        ]
    elif kind == "pair":
        first, second = (json.dumps(s.name) for s in series)
        layer["transform"] = [
            {"fold": ["p", "v"], "as": ["s", "x"]},
            {"calculate": f"datum.s=='p'?{first}:{second}", "as": "s"},
        ]
        encoding["tooltip"] = [
            {"field": "l", "title": "Pillar"},
            {"field": "s", "title": "Year"},
            {"field": "x", "type": "quantitative", "title": "Score", "format": ".2f"},
        ]
    else:
        level = kind == "domains"
        encoding["tooltip"] = [
            {"field": "l", "title": _ROW_LABEL[kind]},
            {
                "field": "v",
                "type": "quantitative",
                "title": "Level" if level else "Score",
                "format": "d" if level else ".2f",
            },
            {"field": "m", "type": "quantitative", "title": "Peer median", "format": ".2f"},
        ]
    return layer


@cache
def row_template(kind: str, series: tuple[Series, ...], x_title: str) -> dict[str, Any]:
    """A row chart's spec without data or description (never modified: `fill` copies the top).

    kind: "profile" (an organisation's value per row against the peers' spread), "domains"
    (levels against the peers' median, with heading rows), "pair" (two years' values joined by a
    line) or "named" (anyone's named points, from the "points" dataset, against a spread)."""
    if kind not in ROW_KINDS:
        raise ValueError(f"unknown row chart {kind!r}")
    config = dict(_BASE_CONFIG)
    if len(series) > 1:
        config["legend"] = _LEGEND_CONFIG
    layers = [*_text_layers(kind), *_spread_layers(kind), _points_layer(kind, series, x_title)]
    return {
        "autosize": {"type": "fit-x", "contains": "padding"},
        "width": "container",
        "background": "white",
        "config": config,
        "height": {"step": ROW_STEP},
        "data": {"name": "rows"},
        "encoding": {"y": {**_Y, "bandPosition": _MARKS_BAND}},
        "layer": _with_top_axis(layers) if kind == "domains" else layers,
    }


def _with_top_axis(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The layers of a long chart (an organisation's every domain, about 50 rows) with the x
    axis repeated at the top, so the levels can be read at either end. A second axis orient
    cannot be merged with the first, so Vega-Lite draws each layer's axis: every other layer's
    is turned off, and the top axis comes from one invisible, empty point."""
    out = []
    for layer in layers:
        x = layer.get("encoding", {}).get("x")
        if x is not None and "axis" not in x:
            layer = {**layer, "encoding": {**layer["encoding"], "x": {**x, "axis": None}}}
        out.append(layer)
    points_x = layers[-1]["encoding"]["x"]
    top = {
        "data": {"values": [{"v": SCORE_DOMAIN[0]}]},
        "mark": {"type": "point", "opacity": 0, "size": 0},
        "encoding": {
            "x": {
                **points_x,
                "title": None,
                "axis": {**points_x["axis"], "orient": "top", "grid": False},
            },
            "y": {"value": 0},
        },
    }
    return [*out, top]


# ---------------------------------------------------------------------------------------------
# Level grid: rows (pillars, or care settings and years) by levels 1-5, each cell the number of
# organisations written in it, shaded by the share of the row. Dataset "cells": row, level, n,
# share, text, is_dark.


def level_grid(datasets: dict[str, Records]) -> alt.LayerChart:
    """Rows by levels 1 to 5; every cell carries its count as text, not only as colour."""
    base = alt.Chart(alt.Data(name="cells")).encode(
        x=alt.X("level:O", title="Level", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y(
            "row:N",
            title=None,
            sort=None,
            axis=alt.Axis(labelLimit=150),
            scale=alt.Scale(paddingInner=0, paddingOuter=0),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "share:Q",
            title="Share of the row's organisations",
            scale=alt.Scale(domain=[0, 1], range=["#F0F4F5", NHS_DARK_BLUE]),
            legend=alt.Legend(format=".0%", gradientLength=160, values=[0, 0.5, 1]),
        ),
        tooltip=[
            alt.Tooltip("row:N", title="Row"),
            alt.Tooltip("level:O", title="Level"),
            alt.Tooltip("n:Q", title="Organisations"),
            alt.Tooltip("share:Q", title="Share of row", format=".0%"),
        ],
    )
    counts = base.mark_text(fontSize=13).encode(
        text="text:N",
        color=alt.condition("datum.is_dark", alt.value("white"), alt.value(TEXT)),
    )
    return alt.layer(cells, counts).properties(height=alt.Step(GRID_STEP), datasets=datasets)


# ---------------------------------------------------------------------------------------------
# Histogram of overall scores. Dataset "bins": start, end, n, text. Dataset "marker": value, text.


def histogram(datasets: dict[str, Records]) -> alt.LayerChart:
    """Counts of organisations in score bands, each labelled, with the median marked."""
    bins = alt.Chart(alt.Data(name="bins"))
    x = alt.X(
        "start:Q",
        title="Overall score (1 to 5)",
        scale=alt.Scale(domain=SCORE_DOMAIN, nice=False, zero=False),
        axis=alt.Axis(values=LEVELS, format="d"),
    )
    bars = bins.mark_bar(color=NHS_BLUE, stroke="white", strokeWidth=1).encode(
        x=x,
        x2="end:Q",
        # Bars stand on zero: y2 at 0 (without it a ranged x draws a dash at the count), and
        # the axis starts at 0, so an empty band is an empty bar, not a missing one.
        y=alt.Y(
            "n:Q",
            title="Organisations",
            scale=alt.Scale(zero=True, domainMin=0, nice=True),
            axis=alt.Axis(tickMinStep=1, format="d"),
        ),
        y2=alt.datum(0),
        tooltip=[
            alt.Tooltip("start:Q", title="From", format=".2f"),
            alt.Tooltip("end:Q", title="Up to", format=".2f"),
            alt.Tooltip("n:Q", title="Organisations"),
        ],
    )
    counts = bins.mark_text(baseline="bottom", dy=-2, fontSize=11).encode(
        x=alt.X("mid:Q"), y="n:Q", text="text:N"
    )
    marker = alt.Chart(alt.Data(name="marker"))
    rule = marker.mark_rule(color=TEXT, strokeDash=[4, 3], strokeWidth=2).encode(x="value:Q")
    rule_text = marker.mark_text(align="left", baseline="top", dx=4, y=0).encode(
        x="value:Q", text="text:N"
    )
    return alt.layer(bars, counts, rule, rule_text).properties(height=220, datasets=datasets)


# ---------------------------------------------------------------------------------------------
# Templates and filling


def finish(spec: dict[str, Any]) -> dict[str, Any]:
    """Drop the $schema URL: nothing in a published spec names another host."""
    spec.pop("$schema", None)
    return spec


@cache
def _template_json(kind: str) -> str:
    """Build one chart type through Altair (validating it), with empty datasets, as JSON."""
    start = time.perf_counter()
    if kind == "grid":
        chart = level_grid({"cells": []})
    elif kind == "histogram":
        chart = histogram({"bins": [], "marker": []})
    else:
        raise ValueError(f"unknown chart template {kind!r}")
    text = json.dumps(finish(chart.to_dict(validate=True)))
    STATS.n_templates += 1
    STATS.template_seconds += time.perf_counter() - start
    return text


@cache
def _template(kind: str) -> dict[str, Any]:
    """The chart type's spec without data (never modified)."""
    return json.loads(_template_json(kind))


def fill(
    kind: str,
    datasets: dict[str, Records],
    description: str,
    series: tuple[Series, ...] = (),
    x_title: str = "",
) -> dict[str, Any]:
    """A new spec: the chart type's template with these data values and description.

    kind is "grid", "histogram" or a row chart kind (`row_template`). The spec's own top level
    holds the data and description; everything below the other keys (layers, encodings, scales)
    is the template's, shared by every chart of the type, so a spec is read-only: copy it before
    changing it (as `render.static_spec` does)."""
    template = row_template(kind, series, x_title) if kind in ROW_KINDS else _template(kind)
    return _fixed_height(kind, {**template, "datasets": datasets, "description": description})


def _fixed_height(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with a height by step (so many pixels a row) turned into pixels.

    A chart whose width fits its container cannot also size its height by step: Vega-Lite drops
    "fit-y" with a warning in the browser. The rows have no padding, so the height is exact."""
    height = spec.get("height")
    if isinstance(height, dict) and "step" in height:
        field, data = ("row", "cells") if kind == "grid" else ("i", "rows")
        n_rows = len({r[field] for r in spec["datasets"].get(data, [])})
        spec["height"] = height["step"] * max(n_rows, 1)
    return spec


def build_direct(kind: str, datasets: dict[str, Records], description: str) -> dict[str, Any]:
    """A grid or histogram spec built through Altair from scratch: slow; for tests and checking."""
    chart = level_grid(datasets) if kind == "grid" else histogram(datasets)
    return _fixed_height(
        kind, finish(chart.properties(description=description).to_dict(validate=True))
    )
