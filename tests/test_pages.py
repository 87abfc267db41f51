"""The generated Markdown pages: inventory, determinism, escaping, order and trust page content."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_lib
import re
from pathlib import Path
from types import SimpleNamespace

import markdown
import mini
import pandas as pd
import pytest

from dma_publish.aggregate import benchmark
from dma_publish.formats import fmt_score
from dma_publish.methodology import load_methodologies, methodology_frames
from dma_publish.pages import build_pages, md_text, page_inventory, write_pages
from dma_publish.policy import PolicyFile, load_policy, resolve_policy
from dma_publish.publication import Publication
from dma_publish.release import Release, Revision
from dma_publish.score import score_returns
from dma_publish.suppress import suppress

HOSTILE = "Trust <script>alert(1)</script> | *x* [y](z) _u_"
SITE_SRC = Path(__file__).resolve().parents[1] / "dma_publish" / "site_src"
WITHHOLD_MEDICINES = {
    "minimum_group_size": 1,
    "rules": [
        {
            "domains": ["medicines"],
            "finest_level": "region",
            "show_unmet_elements": False,
            "reason": "Detail would help an attacker.",
        }
    ],
}
NAV_TARGETS = [
    "index.md",
    "national.md",
    "organisations/index.md",
    "regions/index.md",
    "icbs/index.md",
    "domains/index.md",
    "downloads/index.md",
    "comparability.md",
    "data-dictionary.md",
    "revisions.md",
]


def _release() -> Release:
    """Release metadata for the mini publication."""
    return Release(
        version="2025.1.0",
        release_date=dt.date(2025, 9, 18),
        status="final",
        reporting_period="April to June 2025",
        years=(2024, 2025),
        title="Digital Maturity Assessment 2025 (test)",
        publisher="Test publisher",
        contact="test@example.org",
        licence="Open Government Licence v3.0",
        revisions=(
            Revision(version="2025.1.0", date=dt.date(2025, 9, 18), note="First public release."),
        ),
    )


def _answers() -> pd.DataFrame:
    """Returns for both years; Gamma (RCC) has no 2024 return, Beta (RBB) a weaker 2025 one."""
    groups = []
    for year in (2024, 2025):
        groups += [
            mini.answers_for(year, "RAA", "acute", q_pct="50"),
            mini.answers_for(year, "RAA", "community", q_board="Some"),
            mini.answers_for(year, "QAA", "icb"),
            mini.answers_for(year, "QBB", "icb", q_icb="No"),
        ]
    groups += [
        mini.answers_for(2024, "RBB", "acute"),
        mini.answers_for(2025, "RBB", "acute", q_strategy="No", q_med="EPMA"),
        mini.answers_for(2025, "RCC", "community"),
    ]
    return mini.answers_frame(*groups)


def mini_publication() -> Publication:
    """A small hand-built publication through the real scoring and benchmark stages."""
    frames = mini.methodology()
    ref = mini.reference()
    orgs = ref.organisations.copy()
    orgs.loc[orgs["org_code"] == "RCC", "org_name"] = HOSTILE
    ref = dataclasses.replace(ref, organisations=orgs)
    answers = _answers()
    scores = score_returns(answers, frames, ref)
    returns = (
        answers[["year", "org_code", "care_setting"]].drop_duplicates().assign(status="scored")
    )
    returns = pd.concat(
        [
            returns,
            pd.DataFrame(
                [
                    {
                        "year": 2024,
                        "org_code": "RCC",
                        "care_setting": "community",
                        "status": "rejected",
                    }
                ]
            ),
        ]
    )
    validated = SimpleNamespace(
        answers=answers, returns=returns, issues=pd.DataFrame(), reconciliation={}
    )
    return Publication(
        release=_release(),
        reference=ref,
        methodology=frames,
        validated=validated,
        scores=scores,
        benchmarks=benchmark(scores, ref),
        inputs_hash="0" * 64,
        generator_version="0.1.0",
        is_demo=True,
    )


def mini_downloads() -> list[SimpleNamespace]:
    """A manifest like opendata.write_open_data's, with one slice per organisation."""
    files = [
        SimpleNamespace(
            path="domain_scores.csv",
            bytes=2048,
            format="csv",
            title="Domain scores",
            description="d",
        )
    ]
    for code in ("QAA", "QBB", "RAA", "RBB", "RCC"):
        files.append(
            SimpleNamespace(
                path=f"organisations/{code}.csv",
                bytes=100,
                format="csv",
                title=code,
                description="s",
            )
        )
    return files


@pytest.fixture(scope="module")
def pub() -> Publication:
    """The mini publication."""
    return mini_publication()


@pytest.fixture(scope="module")
def downloads() -> list[SimpleNamespace]:
    """The mini manifest."""
    return mini_downloads()


@pytest.fixture(scope="module")
def pages(pub, downloads) -> dict[str, str]:
    """Every page of the mini publication."""
    return build_pages(pub, downloads)


@pytest.fixture(scope="module")
def policied_pages(pub, downloads) -> dict[str, str]:
    """Every page of the mini publication with medicines withheld by the publication policy."""
    policy = resolve_policy(PolicyFile.model_validate(WITHHOLD_MEDICINES), pub.methodology.domains)
    return build_pages(suppress(pub, policy), downloads)


def _rendered(text: str) -> str:
    """A page body as MkDocs would render it (front matter dropped)."""
    body = text.split("---\n", 2)[2]
    return markdown.markdown(body, extensions=["tables", "toc", "attr_list", "md_in_html"])


# --- md_text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        HOSTILE,
        "<img src=x onerror=alert(1)>",
        "a|b",
        "e_snake_case _em_ a_ _b x:y :z 4: w",
        "**bold** and `code`",
        "[link](http://x)",
        "# heading",
        "~~s~~ ==m== :smile:",
    ],
)
def test_md_text_renders_as_the_same_text(hostile):
    html = markdown.markdown(f"| h |\n|---|\n| {md_text(hostile)} |", extensions=["tables"])
    cell = re.search(r"<td>(.*)</td>", html).group(1)
    assert "<" not in cell.replace("&lt;", "")
    assert html_lib.unescape(cell) == hostile


def test_md_text_collapses_newlines_so_tables_hold():
    assert "\n" not in md_text("line one\nline two")
    assert md_text(None) == ""


# --- inventory --------------------------------------------------------------------------------


def test_every_organisation_area_and_domain_has_its_page(pages, pub):
    assert sorted(pages) == page_inventory(pub)
    for code in ("RAA", "RBB", "RCC"):
        assert f"trusts/{code}.md" in pages
    for code in ("QAA", "QBB"):
        assert f"icbs/{code}.md" in pages
    for code in ("Y61", "Y62"):
        assert f"regions/{code}.md" in pages
    for domain in ("strategy", "context", "medicines", "icb_strategy"):
        assert f"domains/{domain}.md" in pages
    for target in NAV_TARGETS:
        assert target in pages


def test_write_pages_writes_files_and_returns_paths(pub, downloads, tmp_path):
    written = write_pages(pub, tmp_path, downloads=downloads)
    assert written == sorted(written) == page_inventory(pub)
    assert all((tmp_path / p).is_file() for p in written)
    assert not (tmp_path / "about").exists() and not (tmp_path / "overrides").exists()


def test_output_is_deterministic(pub, downloads, tmp_path):
    write_pages(pub, tmp_path / "a", downloads=downloads)
    write_pages(pub, tmp_path / "b", downloads=downloads)
    for path in sorted((tmp_path / "a").rglob("*.md")):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_every_page_has_title_and_description(pages):
    for path, text in pages.items():
        assert text.startswith("---\n"), path
        front = text.split("---\n")[1]
        assert re.search(r"^title: \S", front, re.M), path
        assert re.search(r"^description: \S", front, re.M), path


def test_every_markdown_link_is_relative_and_resolves(pages, policied_pages):
    for path, text in {**pages, **policied_pages}.items():
        for target in re.findall(r"\]\(([^)]+)\)", text):
            if target.startswith("http"):
                continue
            target = target.split("#")[0]
            assert not target.startswith("/"), (path, target)
            resolved = Path(path).parent.joinpath(target).as_posix()
            resolved = str(Path(resolved).resolve().relative_to(Path.cwd().resolve()))
            if resolved.endswith(".md"):
                assert resolved in pages or (SITE_SRC / resolved).is_file(), (path, target)


# --- escaping ---------------------------------------------------------------------------------


def test_hostile_name_shows_as_text_everywhere(pages):
    for path, text in pages.items():
        html = _rendered(text)
        assert "<script>alert" not in html, path
        assert "<em>x</em>" not in html, path
    trust = _rendered(pages["trusts/RCC.md"])
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", trust).group(1)
    assert "<" not in heading.replace("&lt;", "")
    assert html_lib.unescape(heading) == f"{HOSTILE} (RCC)"


def test_front_matter_is_escaped_for_the_theme(pages):
    front = pages["trusts/RCC.md"].split("---\n")[1]
    assert "<script>" not in front
    assert "&lt;script&gt;" in front


def test_tables_keep_their_columns_with_hostile_names(pages):
    html = _rendered(pages["organisations/index.md"])
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        assert row.count("<td>") in (0, 6)


# --- order -------------------------------------------------------------------------------------


def test_lists_are_sorted_by_name_never_by_score(pages):
    az = pages["organisations/index.md"]
    names = ["Alpha ICB", "Alpha Trust", "Beta ICB", "Beta Trust"]
    positions = [az.index(md_text(n)) for n in names]
    assert positions == sorted(positions)
    assert az.index("Beta Trust") < az.index(md_text(HOSTILE))


def test_icb_member_trusts_in_name_order(pages):
    page = pages["icbs/QAA.md"]
    assert page.index("Alpha Trust") < page.index("Beta Trust")


def test_no_ranks(pages):
    for path, text in pages.items():
        assert not re.search(r"\brank(ed)?\b|\b\d+(st|nd|rd|th) (of|out of) \d+", text, re.I), path


# --- trust page ----------------------------------------------------------------------------


def test_trust_page_has_code_settings_tables_and_download(pages):
    text = pages["trusts/RAA.md"]
    body = text.split("---\n", 2)[2]
    first = body.split("\n\n")[0] + body.split("\n\n")[1]
    assert "RAA" in first
    assert "## Acute" in text and "## Community" in text
    assert "| Pillar | Score | Peer median | Peer middle half (Q1 to Q3) |" in text
    assert "| Domain | Pillar | Score | Peer median |" in text
    assert (
        "| Pillar | 2024, all domains | 2025, all domains | 2024 → 2025, comparable domains only |"
        in text
    )
    assert "| Well led | 4.00 | 4.00 | 4.00 → 4.00, 0.00 (1 comparable domain) |" in text
    assert "(../downloads/organisations/RAA.csv)" in text
    assert "data-search-exclude" in text


def test_trust_page_peers_are_the_same_care_setting(pages, pub):
    bench = pub.benchmarks
    row = bench[
        (bench["year"] == 2025)
        & (bench["peer_group_type"] == "national")
        & (bench["care_setting"] == "acute")
        & (bench["measure_type"] == "overall")
    ].iloc[0]
    assert f"{row['median']:.2f}" in pages["trusts/RAA.md"]


def test_missing_year_is_said_plainly(pages):
    text = pages["trusts/RCC.md"]
    assert "2024: no scores." in text
    assert "failed validation" in text


def test_trust_page_searchable_by_name_and_code_only(pages):
    html = _rendered(pages["trusts/RAA.md"])
    headings = re.findall(r"<h([1-6])([^>]*)>", html)
    assert headings[0] == ("1", ' id="alpha-trust-raa"')
    assert all("data-search-exclude" in attrs for level, attrs in headings[1:])
    intro = html.split("</h1>", 1)[1].split("<h2", 1)[0]
    assert "Alpha Trust" in intro and "RAA" in intro


def test_withheld_scores_show_as_c_and_are_explained(policied_pages):
    text = policied_pages["trusts/RAA.md"]
    rows = [r for r in text.splitlines() if r.startswith("| [med")]
    assert len(rows) == 3 and all("| &#91;c&#93; |" in r for r in rows)
    assert (
        "published only as regional and national aggregates. Detail would help an attacker." in text
    )
    assert "(../about/methodology.md#publication-policy)" in text
    strategy = [r for r in text.splitlines() if r.startswith("| [strategy]")][0]
    assert "| 4 |" in strategy


def test_next_level_lists_unmet_elements_where_the_policy_allows(policied_pages):
    text = policied_pages["trusts/RBB.md"]
    assert "- **strategy**, level 1. To reach level 2: e_strat_2 in place." in text
    assert "To reach" not in text.split("**strategy**")[0]
    assert "med_" not in text.split("What the next level needs")[1].split("###")[0]


def test_withheld_domain_page_shows_aggregates_but_no_organisations(policied_pages):
    text = policied_pages["domains/medicines.md"]
    assert "**Published only as regional and national aggregates.**" in text
    assert "| Year | Care setting | Returns | Level 1 |" in text
    assert "| Region | Care setting | Returns | Level 1 |" in text
    for org in ("Alpha Trust", "Beta Trust", "RAA", "RBB", "trusts/"):
        assert org not in text


def test_domain_page_explains_levels_and_distribution(pages):
    text = pages["domains/strategy.md"]
    assert "**Level 4.**" in text and "e_strat_4a in place" in text
    assert "An organisation at level 3 lacks at least one of these." in text
    assert "| Year | Care setting | Returns | Level 1 |" in text
    assert "not scored" in pages["domains/context.md"]


def test_downloads_page_lists_files_with_json_ld(pages):
    text = pages["downloads/index.md"]
    assert "2.0 kB" in text and "CSV" in text
    assert '<script type="application/ld+json">' in text
    assert '"@type": "Dataset"' in text
    assert "(../data-dictionary.md)" in text
    assert "Open Government Licence" in text


def test_revisions_page_lists_the_log(pages):
    assert (
        "| 2025.1.0 | 2025-09-18 | Scheduled release | First public release. |"
        in pages["revisions.md"]
    )


def test_charts_are_embedded_through_the_seam(pub, downloads):
    class Charts:
        def get(self, *scope):
            return [] if scope[0] != "org" else []

    assert build_pages(pub, downloads, charts=Charts()) == build_pages(pub, downloads)


def test_methodology_and_data_quality_pages_explain_the_publication_policy():
    """The hand-written pages name every domain the policy withholds and its group size."""
    root = SITE_SRC.parents[1] / "data"
    frames = methodology_frames(load_methodologies(root / "methodology"))
    policy = load_policy(root / "publication-policy.yaml", frames.domains)
    withheld = frames.domains.merge(policy.withheld_domains()[["year", "domain_id"]])
    methodology, quality = (
        " ".join((SITE_SRC / "about" / name).read_text(encoding="utf-8").split())
        for name in ("methodology.md", "data-quality.md")
    )
    assert "{#publication-policy}" in methodology
    assert "(methodology.md#publication-policy)" in quality
    for name in sorted(set(withheld["domain_name"])):
        assert name in methodology
        assert name.lower() in quality.lower()
    assert f"at least **{policy.minimum_group_size}** distinct organisations" in methodology
    assert f"fewer than {policy.minimum_group_size} distinct organisations" in quality


def test_organisation_pages_embed_all_three_charts_with_their_tables(pub, downloads):
    """Issue 5: per care setting, the pillar, domain and like-for-like charts, each with its data
    table; the domain chart's table is the page's table of domain scores, linked to each domain."""
    from dma_publish import charts

    chart_set = charts.build_all(pub)
    pages = build_pages(pub, downloads, charts=chart_set)
    plain = build_pages(pub, downloads)
    for path, text in pages.items():
        if not path.startswith(("trusts/", "icbs/")) or path.endswith("index.md"):
            continue
        kinds = re.findall(r'data-chart-kind="(org_\w+)"', text)
        for year_scope in ("org_pillars", "org_domains"):
            assert kinds.count(year_scope) == text.count("### Pillar scores, "), path
        if 'data-chart-kind="org_domains"' in text:
            # the table of domain scores is the chart's, not a second copy
            assert "domain score" in text and '<details markdown="1">\n<summary>All' not in text
            assert re.search(r'<th><a href="\.\./domains/[a-z_]+\.html">', text), path
        if "### Domain scores" in text:  # without charts, the page keeps its own table
            assert '<details markdown="1">' in plain[path] and "dma-chart" not in plain[path]
    trust = next(t for p, t in pages.items() if p.startswith("trusts/") and "org_lfl" in t)
    body = _rendered(trust)
    assert body.count('class="dma-chart"') >= 3
    assert body.count("<section data-search-exclude") == body.count('class="dma-chart"')


# --- comparing with peers ------------------------------------------------------------------------


def test_level_cell_shades_by_level_and_always_writes_the_number():
    from dma_publish.pages.markdown import level_cell

    assert level_cell(2.494) == '<span class="dma-heat dma-heat--2">2.49</span>'
    assert 'dma-heat--3">2.50<' in level_cell(2.5)  # 2.5 rounds half away from zero to level 3
    assert level_cell(None) == "[x]" and level_cell(3.0, withheld=True) == "[c]"
    # the shade is the level of the number printed: 2.4952 is printed 2.50, so level 3
    assert level_cell(2.4952) == '<span class="dma-heat dma-heat--3">2.50</span>'
    assert level_cell(2.4949) == '<span class="dma-heat dma-heat--2">2.49</span>'


def test_lists_give_scores_in_sortable_tables(pages, pub):
    from dma_publish.pages.site import Site

    site = Site(pub)
    az = pages["organisations/index.md"]
    assert 'class="dma-sortable"' in az and f"Overall score {site.latest}" in az
    org = site.by_name("trust")[0]
    setting = org.care_settings[0]
    score = site.overall(org.code, setting, site.latest)["score"]
    row = next(line for line in az.splitlines() if f"| {org.code} |" in line)
    assert row.rstrip(" |").endswith(fmt_score(score))
    assert 'class="dma-sortable"' in pages["icbs/index.md"]
    region = next(p for k, p in pages.items() if k.startswith("regions/") and "index" not in k)
    assert "dma-sortable dma-compact" in region and "dma-heat--" in region


def test_compare_data_holds_every_return_with_the_published_numbers(pub):
    from dma_publish.pages.compare import compare_data
    from dma_publish.pages.site import Site

    site = Site(pub)
    data = compare_data(site)
    assert data["max"] == 5 and data["measures"][-1] == ["overall", "Overall"]
    ids = [r["id"] for r in data["returns"]]
    assert len(ids) == len(set(ids))
    for r in data["returns"]:
        code, setting = r["code"], r["id"].removeprefix(r["code"] + "-")
        for year, scores in r["scores"].items():
            overall = site.overall(code, setting, int(year))
            assert scores.get("overall") == (fmt_score(overall["score"]) if overall else None)
        assert r["href"].endswith(".html") and not r["href"].startswith("/")


def test_organisation_and_area_pages_have_a_cite_box_with_the_release_date(pages, pub):
    date = pub.release.release_date.isoformat()
    for path, text in pages.items():
        if path.split("/")[0] in ("trusts", "icbs", "regions") and not path.endswith("index.md"):
            assert "**Cite this page.**" in text and f"released {date}" in text, path


def test_a_pillar_score_the_audit_withholds_is_explained_where_it_is_shown(pub, downloads):
    from dma_publish.disclose import replace, withhold_pillars

    ps = pub.scores.pillar_scores
    row = ps[(ps["org_code"] == "RAA") & ps["score"].notna()].sort_values(["year", "pillar_id"])
    key = tuple(row.iloc[0][["year", "org_code", "care_setting", "pillar_id"]])
    withheld = replace(pub, scores=withhold_pillars(pub.scores, {key}))
    page = build_pages(withheld, downloads)["trusts/RAA.md"]
    pillar = pub.methodology.pillars.set_index("pillar_id").loc[key[3], "pillar_name"]
    note = f"The {key[0]} {pillar} pillar score is withheld"
    assert note in page
    assert "(../about/data-quality.md#disclosure-audit)" in page
    # nothing withheld: no note
    assert "pillar score is withheld" not in build_pages(pub, downloads)["trusts/RAA.md"]
