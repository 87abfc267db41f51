"""The compare page: up to five organisations' scores side by side, in the browser.

Every return's pillar and overall scores (rounded as in the files) are embedded in the page as
JSON; the page script (site_src/assets/scripts/compare.js) draws the chosen ones as a table. No
server, no request: it works from a copied folder opened as files.
"""

from __future__ import annotations

from typing import Any

from dma_publish.pages.markdown import json_for_script, score_text
from dma_publish.pages.render import render
from dma_publish.pages.site import Site, rel

PAGE = "compare.md"
MAX_CHOSEN = 5


def compare_data(site: Site) -> dict[str, Any]:
    """Returns A to Z (organisation, care setting) with their scores by year, and the pillars."""
    returns = []
    for org in site.by_name():
        for setting in org.care_settings:
            years: dict[str, dict[str, str]] = {}
            for r in site.pillar_rows(org.code, setting):
                years.setdefault(str(int(r["year"])), {})[r["pillar_id"]] = score_text(
                    r, site.pillar_digits
                )
            for year in site.years:
                overall = site.overall(org.code, setting, year)
                if overall is not None:
                    years.setdefault(str(year), {})["overall"] = score_text(overall)
            if not years:
                continue
            link = rel(org.path, PAGE)
            returns.append(
                {
                    "id": f"{org.code}-{setting}",
                    "name": org.name,
                    "code": org.code,
                    "setting": site.setting_name(setting),
                    "survey": site.setting_survey.get(setting, ""),
                    "href": link[: -len(".md")] + ".html",
                    "scores": years,
                }
            )
    return {
        "max": MAX_CHOSEN,
        "years": [str(y) for y in site.years],
        "latest": str(site.latest),
        "measures": [[pid, name] for pid, name in site.pillars.items()] + [["overall", "Overall"]],
        "returns": returns,
    }


def compare_page(site: Site) -> str:
    """The compare page with its data."""
    return render(
        "compare.md.j2", PAGE, site=site, max=MAX_CHOSEN, data=json_for_script(compare_data(site))
    )
