"""Safe Markdown building blocks: escaped text, links, tables and front matter.

Every piece of data text (organisation names, domain names, element texts, notes) reaches a page
through `md_text`, which turns it into inert text: HTML and Markdown syntax characters become
numeric character references, so a name such as ``Trust <script> | *x*`` shows exactly as written
and can neither add markup nor break a table. Helpers that build Markdown return `Md`, a str
subclass the page templates pass through unchanged; anything else a template prints is escaped.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import yaml

from dma_publish.formats import MISSING, fmt_score, is_missing
from dma_publish.score import level_of

# Characters with a meaning in HTML, Python-Markdown or the pymdownx extensions Material offers,
# anywhere in a line. `_` and `:` are left alone where they cannot open or close markup: an
# underscore between two letters or digits (Python-Markdown ignores intraword underscores) and a
# colon that neither starts the text (a definition) nor precedes a word character (an emoji
# shortcode or an address scheme). Escaping only what needs it keeps pages small and their
# Markdown and search index readable.
_ALWAYS = '&<>"\\`*{}[]#+!|~^=$@'
_ENTITIES = {c: f"&#{ord(c)};" for c in _ALWAYS + "_:"}
_ENTITIES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_UNSAFE = re.compile("[" + re.escape(_ALWAYS) + r"]|(?<![^\W_])_|_(?![^\W_])|^:|:(?=[\w+-])")
_WHITESPACE = re.compile(r"\s+")


class Md(str):
    """Markdown that is already safe: templates print it as it is."""


def md_text(value: Any) -> Md:
    """Escape any value as inert inline text for Markdown and HTML (one line, tables safe)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Md("")
    return _escaped(str(value))


@lru_cache(maxsize=1 << 16)
def _escaped(text: str) -> Md:
    """md_text of a string (pages repeat the same names and numbers many times)."""
    text = _WHITESPACE.sub(" ", text).strip()
    return Md(_UNSAFE.sub(lambda m: _ENTITIES[m.group()], text))


def html_attr(value: Any) -> str:
    """Escape plain text for an HTML attribute or a front matter field the theme prints raw."""
    text = _WHITESPACE.sub(" ", "" if value is None else str(value)).strip()
    return html.escape(text, quote=True)


def md_identifier(value: Any) -> Md:
    """Text with identifiers such as `lfl_previous_score` that may wrap after an underscore
    (<wbr>), so a narrow table column need not be as wide as the longest name; copied, it reads
    as written."""
    return Md(md_text(value).replace("_", "_<wbr>"))


def md_link(text: Any, target: str) -> Md:
    """A Markdown link with escaped text to a relative target (a .md page or a file)."""
    return Md(f"[{md_text(text)}]({target})")


def _cell(value: Any) -> str:
    """One table cell: Markdown passes, anything else is escaped; never empty."""
    text = value if isinstance(value, Md) else md_text(value)
    return text.replace("\n", " ") or "&nbsp;"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: str = "") -> Md:
    """A Markdown table with a header row; `align` holds one of l, r, c or - per column.

    A column without alignment (-, the default) is left aligned by the theme, with no style
    attribute on each of its cells: long tables are much smaller in HTML."""
    align = align or "-" * len(headers)
    marks = {"l": ":--", "r": "--:", "c": ":-:", "-": "---"}
    lines = [
        "| " + " | ".join(md_text(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return Md("\n".join(lines))


def sortable(block: str, compact: bool = False) -> Md:
    """Wrap a Markdown table so the page script makes its columns sortable (needs md_in_html);
    without the script it stays in the order it was written. `compact`: a tighter table (a heat
    map of many columns) that fits the text column at 1280 px."""
    classes = "dma-sortable dma-compact" if compact else "dma-sortable"
    return Md(f'<div markdown="1" class="{classes}">\n\n{block}\n\n</div>')


def filterable(block: str) -> Md:
    """Wrap a Markdown table so the page script puts a filter box above it (rows whose text
    contains what is typed stay shown); without the script every row shows."""
    return Md(f'<div markdown="1" class="dma-filterable">\n\n{block}\n\n</div>')


def level_cell(value: Any, withheld: bool = False, digits: int = 2) -> Md:
    """A score shaded by its level (`score.level_of`: the printed number rounded to a whole level;
    a heat-map cell); the number is always written, so the shade only repeats what the text says."""
    text = fmt_score(value, digits, withheld=withheld)
    if withheld or is_missing(value):
        return Md(text)
    level = min(5, max(1, int(level_of(float(value)))))
    return Md(f'<span class="dma-heat dma-heat--{level}">{text}</span>')


def tabbed(group: str, label: str, panels: Sequence[tuple[str, str, str]]) -> Md:
    """Panels shown one at a time, chosen by a row of tabs: radio buttons and their labels,
    so the choice works without JavaScript and by keyboard (Tab to the group, arrow keys to
    change). `group` names the set (unique on the page), `label` the choice ("Care setting");
    each panel is (key, tab text, Markdown). One panel needs no tabs: it is returned as it is.
    Hidden panels keep their width (dma.css), so a chart in one is drawn at its true size."""
    if len(panels) <= 1:
        return Md(panels[0][2] if panels else "")
    name = f"dma-tabs-{group}"
    bar = [f'<div class="dma-tabs__bar" role="radiogroup" aria-label="{html_attr(label)}">']
    for i, (key, text, _) in enumerate(panels):
        tab_id = f"{name}-{key}"
        checked = " checked" if i == 0 else ""
        bar.append(
            f'<input class="dma-tabs__input" type="radio" name="{name}" id="{tab_id}"'
            f' aria-controls="{tab_id}-panel"{checked}>'
            f'<label class="dma-tabs__label" for="{tab_id}">{html_attr(text)}</label>'
        )
    bar.append("</div>")
    parts = ['<div class="dma-tabs" markdown="1">', "", "".join(bar), ""]
    for key, _, body in panels:
        parts += [
            f'<div class="dma-tabs__panel" id="{name}-{key}-panel" markdown="1">',
            "",
            body.strip("\n"),
            "",
            "</div>",
            "",
        ]
    parts.append("</div>")
    return Md("\n".join(parts))


def search_excluded(block: str) -> Md:
    """Wrap a Markdown block so Material's search leaves it out (needs md_in_html)."""
    return Md(f'<div markdown="1" data-search-exclude>\n\n{block}\n\n</div>')


def is_withheld(row: Any) -> bool:
    """True when a score row's value is withheld (its `is_suppressed` flag is set)."""
    value = row.get("is_suppressed") if row else None
    return not is_missing(value) and bool(value)


def score_text(row: Any, digits: int = 2) -> str:
    """A pillar or overall score row's score as published: [x] without a row, [c] when withheld."""
    if row is None:
        return MISSING
    return fmt_score(row["score"], digits, is_withheld(row))


def fmt_bytes(size: int) -> str:
    """A file size in plain units (kB = 1,000 bytes)."""
    for unit, scale in (("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} bytes"


def front_matter(title: str, description: str, search_exclude: bool = False) -> Md:
    """YAML front matter; title and description are HTML-escaped because the theme prints them raw."""
    meta: dict[str, Any] = {"title": html_attr(title), "description": html_attr(description)}
    if search_exclude:
        meta["search"] = {"exclude": True}
    body = yaml.safe_dump(meta, sort_keys=True, allow_unicode=True, width=10_000)
    return Md(f"---\n{body}---\n")


def json_for_script(data: Any) -> Md:
    """JSON safe to embed in a <script> element: no '<', '>' or '&' can close or confuse it."""
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return Md(text)
