"""Charts: Vega-Lite specs built from the Publication, each with words and a table standing for it.

Importing this package registers and enables the house Altair theme (once).
"""

from dma_publish.charts.builders import (
    Chart,
    ChartSet,
    chart_id,
    domain_distribution,
    icb_system,
    national_level_counts,
    national_overall_distribution,
    org_domain_profile,
    org_like_for_like,
    org_pillar_profile,
    previous_year,
    region_distribution,
)
from dma_publish.charts.hexmap import build_all, has_map, icb_hexmap
from dma_publish.charts.render import (
    CHART_SCRIPTS,
    ChartFiles,
    chart_csv,
    chart_files,
    chart_html,
    fill_sizes,
    spec_json,
    static_spec,
    write_chart_assets,
    write_chart_files,
)
from dma_publish.charts.style import STATS, ChartStats

__all__ = [
    "CHART_SCRIPTS",
    "STATS",
    "Chart",
    "ChartFiles",
    "ChartSet",
    "ChartStats",
    "build_all",
    "chart_csv",
    "chart_files",
    "chart_html",
    "chart_id",
    "fill_sizes",
    "has_map",
    "icb_hexmap",
    "domain_distribution",
    "icb_system",
    "national_level_counts",
    "national_overall_distribution",
    "org_domain_profile",
    "org_like_for_like",
    "org_pillar_profile",
    "previous_year",
    "region_distribution",
    "spec_json",
    "static_spec",
    "write_chart_assets",
    "write_chart_files",
]
