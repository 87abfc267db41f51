"""Release metadata: the committed release.yaml is valid, and bad metadata names the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pydantic
import pytest
import yaml

from dma_publish.errors import InputError
from dma_publish.release import load_release

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "data" / "release.yaml"


def good() -> dict:
    """A valid release mapping to break one field at a time."""
    return yaml.safe_load(RELEASE.read_text(encoding="utf-8"))


class _NoAliases(yaml.SafeDumper):
    """Write repeated values out in full: input files may not use YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def write(tmp_path: Path, data: object) -> Path:
    """Write a release.yaml and return its path."""
    path = tmp_path / "release.yaml"
    path.write_text(yaml.dump(data, Dumper=_NoAliases), encoding="utf-8")
    return path


def test_committed_release_loads() -> None:
    release = load_release(RELEASE)
    assert release.status in ("provisional", "final")
    assert release.years == (2024, 2025)
    assert release.latest_year == 2025
    assert release.revisions[-1].version == release.version
    assert release.revisions[-1].date == release.release_date
    assert len(release.revisions) >= 2  # an earlier revision shows the log
    assert release.contact.endswith((".invalid", ".example", "example.org", "example.com"))
    assert "Open Government Licence" in release.licence
    assert release.reporting_period == "April to June 2025"


def test_release_is_immutable() -> None:
    release = load_release(RELEASE)
    with pytest.raises(pydantic.ValidationError):  # a frozen model
        release.version = "9999.0.0"  # type: ignore[misc]


BROKEN = [
    ("status", "draft", "status"),
    ("version", "v1", "version"),
    ("release_date", "next tuesday", "release_date"),
    ("years", [2025, 2024], "years"),
    ("years", [], "years"),
    ("contact", "not an address", "contact"),
    ("title", "", "title"),
    ("colour", "blue", "colour"),
]


@pytest.mark.parametrize(("field", "value", "location"), BROKEN)
def test_broken_field_is_named(tmp_path: Path, field: str, value: object, location: str) -> None:
    data = good()
    data[field] = value
    with pytest.raises(InputError) as caught:
        load_release(write(tmp_path, data))
    assert caught.value.location == location
    assert caught.value.rule == "invalid_release"
    assert caught.value.file.endswith("release.yaml")


def test_missing_field_is_named(tmp_path: Path) -> None:
    data = good()
    del data["licence"]
    with pytest.raises(InputError) as caught:
        load_release(write(tmp_path, data))
    assert caught.value.location == "licence"


def test_revision_fields_are_located(tmp_path: Path) -> None:
    data = good()
    data["revisions"][0]["date"] = "soon"
    with pytest.raises(InputError) as caught:
        load_release(write(tmp_path, data))
    assert caught.value.location == "revisions[0].date"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["revisions"].reverse(), "date order"),
        (lambda d: d["revisions"].append(dict(d["revisions"][-1])), "listed twice"),
        (lambda d: d.update(version="2025.2.0"), "last entry must be this release"),
        (lambda d: d.update(release_date=dt.date(2025, 10, 1)), "last entry must be this release"),
    ],
)
def test_revision_log_consistency(tmp_path: Path, change, message: str) -> None:
    data = good()
    change(data)
    with pytest.raises(InputError, match=message):
        load_release(write(tmp_path, data))


@pytest.mark.parametrize(
    ("text", "rule"),
    [("version: [\n", "yaml_syntax"), ("- just a list\n", "invalid_release")],
)
def test_unreadable_release(tmp_path: Path, text: str, rule: str) -> None:
    path = tmp_path / "release.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_release(path)
    assert caught.value.rule == rule


def test_missing_release_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_release(tmp_path / "release.yaml")
    assert caught.value.rule == "file_missing"
