"""Render page templates (Jinja2, under dma_publish/templates/pages) with escaping by default."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dma_publish.formats import MISSING, WITHHELD
from dma_publish.pages.markdown import Md, front_matter, md_link, md_text, tabbed
from dma_publish.pages.site import rel

POLICY_PAGE = "about/methodology.md#publication-policy"


def _finalize(value: Any) -> str:
    """Print Markdown built by the helpers as it is; escape everything else."""
    return value if isinstance(value, Md) else md_text(value)


def _macro_output(value: str) -> Md:
    """Mark a macro's output as Markdown: its own expressions were escaped when it rendered."""
    return Md(value)


@cache
def environment() -> Environment:
    """The one Jinja2 environment: Markdown output, strict about undefined names."""
    env = Environment(
        loader=PackageLoader("dma_publish", "templates/pages"),
        autoescape=False,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _macro_output
    return env


def render(template: str, path: str, **context: Any) -> str:
    """Render one page; `link(text, target)` in the template links relative to this page."""

    def link(text: Any, target: str) -> Md:
        return md_link(text, rel(target, path))

    def href(target: str) -> Md:
        return Md(rel(target, path))

    text = (
        environment()
        .get_template(template)
        .render(path=path, link=link, href=href, front=front_matter, tabs=tabbed, **context)
    )
    return explain_symbols(text.rstrip("\n") + "\n", path)


# How the GSS symbols reach a page: escaped by md_text in Markdown, as themselves in chart HTML.
_SHOWS_WITHHELD = (md_text(WITHHELD), WITHHELD)
_EXPLAINED = "means withheld under the"


def _shows_withheld(text: str) -> bool:
    """Whether the page shows [c] to a reader: as Markdown text, or as a value in chart HTML.

    A chart spec's label expression names the symbol as a quoted string literal (`'[c]'`, shown
    only where a value is withheld); that alone does not put [c] on the page.
    """
    escaped, plain = _SHOWS_WITHHELD
    return escaped in text or plain in text.replace(f"'{plain}'", "")


def explain_symbols(text: str, path: str) -> str:
    """A page that shows [c] says what it means: if no sentence on it explains it, one is put
    after the page's opening paragraph (wherever the symbol appears further down)."""
    if _EXPLAINED in text or not _shows_withheld(text):
        return text
    note = (
        f"{md_text(WITHHELD)} {_EXPLAINED} "
        f"{md_link('publication policy', rel(POLICY_PAGE, path))}: the value exists but is not "
        f"published, so that it cannot identify or be worked back to one organisation's "
        f"withheld scores. {md_text(MISSING)} means not available."
    )
    heading = text.find("\n# ")
    end = text.find("\n\n", text.find("\n\n", heading + 1) + 2) if heading >= 0 else -1
    if end < 0:
        return text + "\n" + note + "\n"
    return text[:end] + "\n\n" + note + text[end:]
