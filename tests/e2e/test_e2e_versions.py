"""Issue 29 in Chromium: an archived version's page says at the top that a newer version exists,
and its link to the newer version resolves; an organisation this version no longer publishes
keeps its page, marked removed, linking to the archived version; every archived API document
names its newer version, and that link resolves over HTTP."""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest
from e2e_helpers import DESKTOP, PHONE, assert_clean, open_page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_an_archived_page_shows_the_newer_version_notice_first(page, log, server, viewport):
    page.set_viewport_size(viewport)
    response = open_page(page, server.url + "releases/2025.1.0.html", log)
    assert response.status == 200
    notice = page.locator(".md-content .admonition.warning").first
    assert "A newer version of this publication is available" in notice.inner_text()
    # at the top: the first thing after the heading, seen without scrolling
    box = notice.bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"]
    first = page.eval_on_selector(
        ".md-content .md-typeset", "(el) => el.querySelector('h1').nextElementSibling.className"
    )
    assert "admonition" in first
    link = notice.get_by_role("link", name="current version 2025.1.1")
    link.click()
    page.wait_for_load_state("load")
    assert page.url == server.url + "downloads/index.html"
    assert "2025.1.1" in page.locator("body").inner_text()
    assert_clean(log, "archived version page")


def test_a_removed_organisation_keeps_its_page(page, log, server):
    response = open_page(page, server.url + "trusts/ZXQ.html", log)
    assert response.status == 200
    notice = page.locator(".md-content .admonition.warning").first
    assert "Removed in version 2025.1.1" in notice.inner_text()
    page.get_by_role("link", name="version 2025.1.0").click()
    page.wait_for_load_state("load")
    assert page.url == server.url + "releases/2025.1.0.html"
    assert_clean(log, "removed organisation page")


def test_an_archived_api_document_links_to_its_newer_version(server):
    base = server.url + "releases/2025.1.0/api/v1/organisations/"
    with urlopen(base + "Z00.json", timeout=30) as response:
        doc = json.loads(response.read())
    assert doc["release"]["version"] == "2025.1.0"
    newer = doc["superseded_by"]
    with urlopen(base + newer["document"], timeout=30) as response:
        current = json.loads(response.read())
    assert current["release"]["version"] == newer["version"] == "2025.1.1"
    assert current["id"] == "Z00"
