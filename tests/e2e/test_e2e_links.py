"""Issue 7: no broken internal link or anchor anywhere in the site."""

from __future__ import annotations

from browser import check_links


def test_no_broken_internal_links_or_anchors(site_dir):
    problems = check_links(site_dir)
    assert problems == [], f"{len(problems)} broken links:\n" + "\n".join(problems[:50])
