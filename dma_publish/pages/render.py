"""Render page templates (Jinja2, under dma_publish/templates/pages) with escaping by default."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dma_publish.pages.markdown import Md, front_matter, md_link, md_text
from dma_publish.pages.site import rel


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
        .render(path=path, link=link, href=href, front=front_matter, **context)
    )
    return text.rstrip("\n") + "\n"
