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
SCORE_DOMAIN = [1, 5]
LEVELS = [1, 2, 3, 4, 5]
ROW_STEP = 46  # pixels per row in the row charts: a label line, then the marks line

Records = list[dict[str, Any]]


@alt.theme.register(THEME, enable=True)
def dma_theme() -> alt.theme.ThemeConfig:
    """The house theme: system fonts, NHS colours, full-width charts that reflow on a phone."""
    return {
        "autosize": {"type": "fit-x", "contains": "padding"},
        "width": "container",
        "background": "white",
        "config": {
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
            "legend": {
                "labelColor": TEXT,
                "titleColor": TEXT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "top",
                "direction": "horizontal",
                "labelLimit": 300,
            },
            "text": {"color": TEXT, "fontSize": 12},
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
# Dataset "rows": row (sort key), label, is_heading, value_text, note, min, q1, median, q3, max.
# Dataset "points": row, series, value, name.


def _row_y(band_position: float) -> alt.Y:
    """The shared row position: sorted by the row key, no axis (labels are text marks)."""
    return alt.Y(
        "row:O",
        axis=None,
        bandPosition=band_position,
        scale=alt.Scale(paddingInner=0, paddingOuter=0),
    )


def _row_layers() -> list[alt.Chart]:
    """The label line and the spread of peers: range line, middle-half bar, median tick."""
    rows = alt.Chart(alt.Data(name="rows"))
    marks_y = _row_y(0.72)
    label = rows.mark_text(
        align="left",
        baseline="top",
        dy=4,
        limit=alt.ExprRef(expr="max(width - 130, 120)"),
        fontWeight=alt.ExprRef(expr="datum.is_heading ? 'bold' : 'normal'"),
    ).encode(x=alt.datum(SCORE_DOMAIN[0]), y=_row_y(0), text="label:N")
    value_text = rows.mark_text(align="right", baseline="top", dy=4).encode(
        x=alt.datum(SCORE_DOMAIN[1]), y=_row_y(0), text="value_text:N"
    )
    note = rows.mark_text(align="left", baseline="middle", fontStyle="italic").encode(
        x=alt.datum(SCORE_DOMAIN[0]), y=marks_y, text="note:N", color=alt.value(DARK_GREY)
    )
    spread = rows.mark_rule(color=DARK_GREY, strokeWidth=1.5).encode(
        x="min:Q", x2="max:Q", y=marks_y
    )
    middle = rows.mark_rule(color=MID_GREY, strokeWidth=9, strokeCap="butt").encode(
        x="q1:Q", x2="q3:Q", y=marks_y
    )
    median = rows.mark_tick(color=TEXT, thickness=2.5, size=20, orient="vertical").encode(
        x="median:Q", y=marks_y
    )
    return [label, value_text, note, spread, middle, median]


def row_chart(
    series: tuple[Series, ...], x_title: str, datasets: dict[str, Records]
) -> alt.LayerChart:
    """Rows of peer spreads with an organisation's (or several) points on each."""
    legend = alt.Legend(title=None) if len(series) > 1 else None
    names = [s.name for s in series]
    points = (
        alt.Chart(alt.Data(name="points"))
        .mark_point(filled=True, size=110, opacity=1, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "value:Q",
                title=x_title,
                scale=alt.Scale(domain=SCORE_DOMAIN, nice=False, zero=False),
                axis=alt.Axis(values=LEVELS, format="d", orient="bottom", grid=True),
            ),
            y=_row_y(0.72),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=[s.colour for s in series]),
                legend=legend,
            ),
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(domain=names, range=[s.shape for s in series]),
                legend=legend,
            ),
            tooltip=[
                alt.Tooltip("name:N", title="Organisation"),
                alt.Tooltip("series:N", title="Shown as"),
                alt.Tooltip("value:Q", title="Score", format=".2f"),
            ],
        )
    )
    return alt.layer(*_row_layers(), points).properties(
        height=alt.Step(ROW_STEP), datasets=datasets
    )


# ---------------------------------------------------------------------------------------------
# Level grid: rows (pillars, or care settings and years) by levels 1-5, each cell the number of
# organisations written in it, shaded by the share of the row. Dataset "cells": row, level, n,
# share, text, is_dark.


def level_grid(datasets: dict[str, Records]) -> alt.LayerChart:
    """Rows by levels 1 to 5; every cell carries its count as text, not only as colour."""
    base = alt.Chart(alt.Data(name="cells")).encode(
        x=alt.X("level:O", title="Level", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=150)),
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
    return alt.layer(cells, counts).properties(height=alt.Step(34), datasets=datasets)


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
        y=alt.Y("n:Q", title="Organisations", axis=alt.Axis(tickMinStep=1, format="d")),
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


# The row template is built with stand-in series and axis title, which `_template` replaces: the
# only parts of a row chart's spec that differ between its uses (which series, so the colour and
# shape scales and whether there is a legend, and the x axis title).
_STAND_IN_SERIES = (Series("a", NHS_BLUE, "circle"), Series("b", VERMILION, "square"))
_STAND_IN_TITLE = "x"


@cache
def _template_json(kind: str) -> str:
    """Build one chart type through Altair (validating it), with empty datasets, as JSON."""
    start = time.perf_counter()
    if kind == "rows":
        chart = row_chart(_STAND_IN_SERIES, _STAND_IN_TITLE, {"rows": [], "points": []})
    elif kind == "grid":
        chart = level_grid({"cells": []})
    elif kind == "histogram":
        chart = histogram({"bins": [], "marker": []})
    else:
        raise ValueError(f"unknown chart template {kind!r}")
    text = json.dumps(finish(chart.to_dict(validate=True)))
    STATS.n_templates += 1
    STATS.template_seconds += time.perf_counter() - start
    return text


def _set_series(spec: dict[str, Any], series: tuple[Series, ...], x_title: str) -> None:
    """Put a row chart's series and x axis title into its points layer (the last layer), as
    `row_chart` writes them: a legend only for more than one series."""
    encoding = spec["layer"][-1]["encoding"]
    legend = {"title": None} if len(series) > 1 else None
    names = [s.name for s in series]
    for channel, values in (
        ("color", [s.colour for s in series]),
        ("shape", [s.shape for s in series]),
    ):
        encoding[channel]["legend"] = legend
        encoding[channel]["scale"]["domain"] = names
        encoding[channel]["scale"]["range"] = values
    encoding["x"]["title"] = x_title


@cache
def _template(kind: str, series: tuple[Series, ...], x_title: str) -> dict[str, Any]:
    """The chart type's spec for these series and axis title, without data (never modified)."""
    spec = json.loads(_template_json(kind))
    if kind == "rows":
        _set_series(spec, series, x_title)
    return spec


def fill(
    kind: str,
    datasets: dict[str, Records],
    description: str,
    series: tuple[Series, ...] = (),
    x_title: str = "",
) -> dict[str, Any]:
    """A new spec: the chart type's template with these data values and description.

    The spec's own top level holds the data and description; everything below the other keys
    (layers, encodings, scales) is the template's, shared by every chart of the type, so a spec
    is read-only: copy it before changing it (as `render.static_spec` does).
    """
    template = _template(kind, series if kind == "rows" else (), x_title if kind == "rows" else "")
    return {**template, "datasets": datasets, "description": description}


def build_direct(
    kind: str,
    datasets: dict[str, Records],
    description: str,
    series: tuple[Series, ...] = (),
    x_title: str = "",
) -> dict[str, Any]:
    """The same spec built through Altair from scratch: slow; for tests and checking."""
    if kind == "rows":
        chart = row_chart(series, x_title, datasets)
    elif kind == "grid":
        chart = level_grid(datasets)
    else:
        chart = histogram(datasets)
    return finish(chart.properties(description=description).to_dict(validate=True))
