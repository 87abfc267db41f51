"""Issue 7: every download link on the downloads page answers 200 and its file parses."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from urllib.parse import urlsplit
from urllib.request import urlopen
from xml.etree import ElementTree

import pandas as pd
import pyarrow.parquet as pq
from e2e_helpers import assert_clean, open_page


def _check_file(name: str, body: bytes) -> None:
    """The file parses as what its name says it is."""
    if name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(body))
        assert table.num_columns > 0
    elif name.endswith(".csv"):
        frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
        assert len(frame.columns) > 0
    elif name.endswith(".json"):
        json.loads(body.decode("utf-8"))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.namelist(), "empty zip"
            assert archive.testzip() is None, "corrupt member"
    elif name.endswith(".svg"):
        ElementTree.fromstring(body)
    else:  # README.txt, SHA256SUMS and the like: UTF-8 text
        assert body.decode("utf-8").strip()


def test_every_download_answers_and_parses(page, log, server):
    open_page(page, server.url + "downloads/index.html", log)
    hrefs = page.eval_on_selector_all(".md-content a[href]", "(links) => links.map((a) => a.href)")
    files = sorted(
        {
            href.split("#")[0]
            for href in hrefs
            if href.startswith(server.origin) and not urlsplit(href).path.endswith((".html", "/"))
        }
    )
    assert any(f.endswith(".parquet") for f in files) and any(f.endswith(".csv") for f in files)
    assert any(f.endswith(".zip") for f in files), files
    bodies = {}
    for url in files:
        with urlopen(url, timeout=30) as response:
            assert response.status == 200, url
            body = response.read()
        try:
            _check_file(urlsplit(url).path, body)
        except Exception as error:  # name the file that failed
            raise AssertionError(f"{url}: {error}") from error
        bodies[urlsplit(url).path.rsplit("/downloads/", 1)[-1]] = body

    # The checksums file, when linked, matches the files it lists.
    sums = bodies.get("SHA256SUMS")
    if sums:
        checked = 0
        for line in sums.decode("utf-8").splitlines():
            digest, _, name = line.strip().partition("  ")
            name = name.lstrip("*")
            if name in bodies:
                assert hashlib.sha256(bodies[name]).hexdigest() == digest, name
                checked += 1
        assert checked, "SHA256SUMS lists none of the linked files"
    assert_clean(log, "downloads")
